"""``/docs`` and ``/redoc`` need nothing from another host (issue 12): every script, style
and icon they name is a path on this server, served from the vendored assets, and Swagger
UI's online validator is switched off."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.scenario import make_app

REFERENCE = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_load_only_local_assets(page: str) -> None:
    with TestClient(create_app(Settings(), admissions=make_app())) as client:
        response = client.get(page)
        assert response.status_code == 200
        html = response.text
        references = REFERENCE.findall(html)
        assert references, html
        assert "https://" not in html and "http://" not in html and "//cdn" not in html
        for reference in references:
            assert reference.startswith("/static/vendor/"), reference
            asset = client.get(reference)
            assert asset.status_code == 200 and len(asset.content) > 100, reference
        if page == "/docs":
            assert '"validatorUrl": null' in html
        # The browser refuses what the page's scripts would fetch elsewhere (ReDoc's logo
        # from cdn.redoc.ly); tests/browser/test_docs_pages.py loads both pages in chromium.
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
        assert '<html lang="en">' in html


def test_the_openapi_document_is_still_served_and_lists_no_doc_pages() -> None:
    with TestClient(create_app(Settings(), admissions=make_app())) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "/docs" not in paths and "/redoc" not in paths and "/static" not in paths


def test_every_error_is_declared_as_problem_json_with_the_problem_schema() -> None:
    document = create_app(Settings(), admissions=make_app()).openapi()
    errors = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    errors += 1
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }, f"{method.upper()} {path} {status}"
    assert errors > 100  # every operation declares several
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
