"""The demo province (Tỉnh ủy Lâm Đồng): its fixed data (``data``), the dated plan of every
candidacy (``plan``) and the loader that records it through the application's own commands
(``loader``). ``ketnap demo`` (``api.cli.demo``) loads it and prints its figures.
"""
