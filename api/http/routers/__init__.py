"""The HTTP routers, one module per resource of api.md."""

from __future__ import annotations

from fastapi import FastAPI


def include_all(app: FastAPI) -> None:
    from api.http.routers import (
        audit,
        candidacies,
        imports,
        members,
        ops,
        organisations,
        quotas,
        register_reports,
        reminders,
        reports,
    )

    for module in (
        ops,
        organisations,
        members,
        candidacies,
        quotas,
        reports,
        register_reports,
        audit,
        imports,
        reminders,
    ):
        app.include_router(module.router)
