"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) as a person sees them: rendered by
chromium from the vendored assets alone (the ``page`` fixture fails a test whose page asks
another host for anything), with every operation of the OpenAPI document listed, and
accessible (axe-core: nothing serious or critical beyond the documented allow-list)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.server import DemoServer
from tests.browser.support import AllowedViolation, assert_accessible, shoot

# Swagger UI's own markup and palette, which we serve unchanged (api/http/static/vendor/):
# fixing them means restyling or patching the vendored bundle. /docs only; /redoc has none.
SWAGGER_UI_KNOWN = (
    AllowedViolation(
        "color-contrast",
        "Swagger UI's palette: white on its green/blue/orange method badges, grey "
        "expand buttons on grey, the version and URL stamps (ratios 1.9 to 3.8 of 4.5).",
    ),
    AllowedViolation(
        "nested-interactive",
        "Swagger UI puts each operation's copy and lock buttons inside its summary button.",
        target=".opblock-summary-control",
    ),
    AllowedViolation(
        "select-name",
        "Swagger UI's examples drop-down in an opened operation has no label.",
        target=".examples-select-element",
    ),
)


def operations(server: DemoServer) -> list[str]:
    """The operation ids of the server's OpenAPI document."""
    document = httpx.get(server.url("/openapi.json"), timeout=30.0).json()
    return [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    ]


def test_swagger_ui_lists_every_operation(page: Page, demo_server: DemoServer) -> None:
    expected = operations(demo_server)
    assert len(expected) > 40
    page.goto("/docs")
    expect(page.locator(".information-container .title")).to_contain_text("ketnap")
    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(expected))
    for operation_id in (expected[0], expected[-1]):
        expect(page.locator(f"[id$='-{operation_id}']")).to_be_visible()
    shoot(page, "docs-swagger-ui")
    assert_accessible(page, allow=SWAGGER_UI_KNOWN)


def test_swagger_ui_opens_an_operation(page: Page, demo_server: DemoServer) -> None:
    """Opening an operation renders its parameters and responses, still from this server;
    the opened part is accessible too (the rest of the page is checked above)."""
    first_id = operations(demo_server)[0]
    page.goto("/docs")
    block = page.locator(f".opblock[id$='-{first_id}']")
    block.locator(".opblock-summary-control").click()
    expect(block.locator(".responses-wrapper")).to_be_visible()
    expect(block.locator(".response").first).to_be_visible()
    assert_accessible(page, allow=SWAGGER_UI_KNOWN, within=[f"[id$='-{first_id}']"])


def test_redoc_renders_the_reference(page: Page, demo_server: DemoServer) -> None:
    expected = operations(demo_server)
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("ketnap")
    # One section per operation, each with its heading.
    sections = page.locator("[id^='operation/']")
    expect(sections).to_have_count(len(expected))
    expect(page.locator(f"[id='operation/{expected[-1]}'] h2")).to_be_attached()
    shoot(page, "docs-redoc")
    # ReDoc renders every operation at once (some 20,000 elements: axe needs 15 s or more
    # on them). Its parts repeat per operation: check the intro, the side menu (every
    # operation's entry) and the first two operations.
    parts = [".api-info", ".menu-content"] + [f"[id='operation/{o}']" for o in expected[:2]]
    assert_accessible(page, within=parts)


def test_swagger_ui_on_a_phone(phone_page: Page) -> None:
    phone_page.goto("/docs")
    expect(phone_page.locator(".information-container .title")).to_be_visible()
    expect(phone_page.locator(".opblock").first).to_be_visible()
    shoot(phone_page, "docs-swagger-ui-phone")
