"""The OpenAPI document as clients must read it: every error is ``application/problem+json``
with the ``Problem`` schema.

FastAPI puts a response model under ``application/json`` and leaves any other media type
given with ``content`` empty, and declares its own ``HTTPValidationError`` for 422. The
server never sends either for an error: it sends problem+json (``api.http.problems``). So
the generated document is rewritten once: each error response's content becomes
``{"application/problem+json": {"schema": Problem}}`` and nothing else, and 422 says so too.
A client generated from the document then reads a refusal as a typed problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.http.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems_as_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite every 4xx/5xx response of ``document`` to problem+json with ``Problem``."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status)[:1] in ("4", "5") and "content" in response:
                    response["content"] = {PROBLEM_JSON: {"schema": dict(PROBLEM_REF)}}
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and unused not in str(document.get("paths")):
            del schemas[unused]
    return document


def install(app: FastAPI) -> None:
    """Serve the rewritten document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems_as_problem_json(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
