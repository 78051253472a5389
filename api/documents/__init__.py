"""Renderings of the audit answers as documents: the dossier PDF (``pdf``) with its vendored
fonts (``fonts/``). Spreadsheets in and out come here next. Documents import the audit
models they render, never an entry point (``api.http``, ``api.cli``).
"""
