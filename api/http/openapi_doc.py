"""The OpenAPI document as clients must read it: every error is ``application/problem+json``
with the ``Problem`` schema, and every command lists the ``rule`` codes it can answer with.

FastAPI puts a response model under ``application/json`` and leaves any other media type
given with ``content`` empty, and declares its own ``HTTPValidationError`` for 422. The
server never sends either for an error: it sends problem+json (``api.http.problems``). So
the generated document is rewritten once: each error response's content becomes
``{"application/problem+json": {"schema": Problem}}`` and nothing else, and 422 says so too.
A client generated from the document then reads a refusal as a typed problem.

Each command operation (a ``POST`` or ``PUT`` with a body) also carries ``x-rules``: every
``rule`` code it can answer with, ``{rule, status, title_vi}``, as read from the code that
runs it (``api.http.rule_codes``) with the Vietnamese words of ``api.audit.refusals``; and
its 404/409/412/422 descriptions list the codes of that status, one line each.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.audit.refusals import rule_title
from api.http.problems import PROBLEM_JSON, rule_status
from api.http.rule_codes import operation_rules

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
COMMAND_METHODS = ("post", "put")


def problems_as_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite every 4xx/5xx response of ``document`` to problem+json with ``Problem``."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status)[:1] in ("4", "5"):
                    response["content"] = {PROBLEM_JSON: {"schema": dict(PROBLEM_REF)}}
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and unused not in str(document.get("paths")):
            del schemas[unused]
    return document


def command_operations(app: FastAPI) -> Iterator[tuple[str, Callable[..., Any], type]]:
    """Each command operation of ``app``: its operation id, endpoint and body's type."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        if not {m.lower() for m in route.methods or ()} & set(COMMAND_METHODS):
            continue
        body = route.body_field.field_info.annotation
        if isinstance(body, type):
            yield route.operation_id or route.unique_id, route.endpoint, body


def command_rules(app: FastAPI) -> dict[str, list[dict[str, Any]]]:
    """``x-rules`` of each command operation, by operation id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for operation_id, endpoint, body in command_operations(app):
        codes = operation_rules(endpoint, body)
        found[operation_id] = [
            {"rule": code, "status": rule_status(code), "title_vi": rule_title(code) or code}
            for code in sorted(codes, key=lambda code: (rule_status(code), code))
        ]
    return found


def with_rules(document: dict[str, Any], rules: dict[str, list[dict[str, Any]]]) -> None:
    """Add ``x-rules`` to each command of ``document`` and list them in its error responses."""
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            listed = (
                rules.get(operation.get("operationId", "")) if method in COMMAND_METHODS else None
            )
            if not listed:
                continue
            operation["x-rules"] = listed
            responses = operation.get("responses", {})
            for status, response in responses.items():
                lines = [r for r in listed if str(r["status"]) == str(status)]
                if not lines:
                    continue
                response = responses[status] = copy.deepcopy(response)
                table = "\n".join(f"- `{r['rule']}` — {r['title_vi']}" for r in lines)
                response["description"] = f"{response['description']}. `rule`:\n\n{table}"


def install(app: FastAPI) -> None:
    """Serve the rewritten document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = problems_as_problem_json(FastAPI.openapi(app))
            with_rules(document, command_rules(app))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
