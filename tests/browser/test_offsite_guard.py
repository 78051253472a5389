"""The fence of every page fixture: a request to the server passes, any other is aborted
before it is sent, recorded, and fails the test. (The other host is ``offsite.invalid``:
a name that never resolves, and is never looked up, since the request is stopped first.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.server import DemoServer
from tests.browser.support import OffsiteGuard

OFFSITE = "http://offsite.invalid/beacon.gif"


def test_a_request_to_another_host_is_aborted_recorded_and_fails_the_test(
    browser: Browser, demo_server: DemoServer
) -> None:
    context = browser.new_context(base_url=demo_server.base_url)
    guard = OffsiteGuard(demo_server.netloc)
    guard.install(context)
    try:
        page = context.new_page()
        response = page.goto("/health")
        assert response is not None and response.status == 200
        outcome = page.evaluate(
            "async (url) => { try { await fetch(url); return 'sent'; }"
            " catch (error) { return 'refused'; } }",
            OFFSITE,
        )
        assert outcome == "refused"
    finally:
        context.close()
    assert guard.blocked == [f"GET {OFFSITE} (fetch)"]
    with pytest.raises(pytest.fail.Exception, match=r"offsite\.invalid"):
        guard.check()
