"""Fixtures of the browser tests: Debian's chromium (``/usr/bin/chromium``, never a
downloaded build) driven by Playwright's sync API, against the real application serving
the demo province on a loopback port.

- ``demo_server`` (session): the running server, a ``DemoServer`` (tests/browser/server.py)
  with ``base_url``, ``url(path)`` and ``tokens["admin" | "board" | "auditor"]``.
- ``browser`` (session): one headless chromium for the whole session (per xdist worker).
- ``page``: a fresh context and page at 1280×800; ``phone_page``: at 375×812, as a phone
  (touch, mobile viewport). Relative URLs go to the server: ``page.goto("/docs")``.
- ``new_page(**context_options)``: more pages of the same kind (other viewports, headers,
  ``bypass_csp=True``...).

Every context routes every request: requests to the server pass, any other is aborted and
recorded, and the test fails at teardown listing them: no request leaves the machine.

Without Playwright or ``/usr/bin/chromium`` (``make browser`` installs it) these tests are
skipped; under ``KETNAP_TEST_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.browser.server import DemoServer, copy_store, serving_demo, shared_demo_store
from tests.browser.support import OffsiteGuard

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_ENV = "KETNAP_TEST_REQUIRE_BROWSER"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# Long enough for a loaded 2-core CI machine; a missing element fails well before pytest's.
TIMEOUT_MS = 15_000
LOOPBACK_ONLY = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"

NewPage = Callable[..., "Page"]

try:
    import playwright.sync_api  # noqa: F401
except ImportError:
    _NO_PLAYWRIGHT = True
    if os.environ.get(REQUIRE_ENV) != "1":  # required: collecting the tests fails instead
        # The test modules import Playwright: leave them out rather than fail collecting.
        collect_ignore_glob = ["test_*.py"]
else:
    _NO_PLAYWRIGHT = False


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _NO_PLAYWRIGHT:
        terminalreporter.write_line("tests/browser skipped: Playwright is not installed")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser ``browser`` (``-m "not browser"`` leaves them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless chromium from Debian, one per session (per xdist worker)."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root, where chromium's sandbox cannot start.
        # The resolver rule is a second fence behind the routing: no host name but the
        # loopback one resolves.
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The application serving a copy of the demo province on a free loopback port."""
    # Under xdist every worker has its own basetemp in one directory of the run.
    own = tmp_path_factory.getbasetemp()
    shared = own.parent if os.environ.get("PYTEST_XDIST_WORKER") else own
    store = tmp_path_factory.mktemp("browser") / "served.db"
    copy_store(shared_demo_store(shared), store)
    with serving_demo(store) as server:
        yield server


@pytest.fixture
def new_page(browser: Browser, demo_server: DemoServer) -> Iterator[NewPage]:
    """Open pages in fresh contexts on ``demo_server`` (``new_page(**context_options)``,
    options as Playwright's ``Browser.new_context``; default a 1280×800 viewport), each
    kept on this machine; closes them and fails the test if any tried to leave."""
    guards: list[OffsiteGuard] = []
    contexts = []

    def open_page(**options: Any) -> Page:
        settings: dict[str, Any] = {
            "base_url": demo_server.base_url,
            "viewport": DESKTOP,
            "locale": "vi-VN",
            "timezone_id": "Asia/Ho_Chi_Minh",
            # A service worker's requests would pass around the routing.
            "service_workers": "block",
            **options,
        }
        context = browser.new_context(**settings)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        guard = OffsiteGuard(demo_server.netloc)
        guard.install(context)
        guards.append(guard)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    for guard in guards:
        guard.check()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page at 1280×800 on ``demo_server``, kept on this machine."""
    return new_page()


@pytest.fixture
def phone_page(new_page: NewPage) -> Page:
    """A page at 375×812 on ``demo_server``, as a phone (touch, mobile viewport)."""
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True)
