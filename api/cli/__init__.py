"""The ``ketnap`` command line (typer): ``main`` holds the root command and the entry point,
and each group or verb has its own module (``audit``, ``projections``, ``serve``, ``demo``).

The CLI calls the same use cases as the HTTP API (``api.audit``, the read side) and never
imports ``api.http``, except ``ketnap serve``, which runs it.
"""
