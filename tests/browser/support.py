"""Helpers of the browser tests: the guard that keeps every page on this machine, the
accessibility check (axe-core, vendored in ``vendor/``) and the documentation
screenshots."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:  # playwright is imported only where a browser runs (conftest.py)
    from playwright.sync_api import BrowserContext, Page, Route, WebSocketRoute

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS_ENV = "KETNAP_SCREENSHOTS"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
_SHOT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# --- no request leaves the machine ---------------------------------------------------------


@dataclass
class OffsiteGuard:
    """Lets a browser context reach one ``host:port`` only. Every other request (a script,
    a font, a beacon, a link followed, a WebSocket) is aborted before it is sent and
    recorded in ``blocked``; ``check`` fails the test that made any."""

    netloc: str
    blocked: list[str] = field(default_factory=list)

    def install(self, context: BrowserContext) -> None:
        context.route("**/*", self._request)
        context.route_web_socket(re.compile(r".*"), self._socket)

    def _local(self, url: str) -> bool:
        return urlsplit(url).netloc == self.netloc

    def _request(self, route: Route) -> None:
        request = route.request
        if self._local(request.url):
            route.continue_()
            return
        self.blocked.append(f"{request.method} {request.url} ({request.resource_type})")
        route.abort("blockedbyclient")

    def _socket(self, socket: WebSocketRoute) -> None:
        if self._local(socket.url):
            socket.connect_to_server()
            return
        self.blocked.append(f"WebSocket {socket.url}")
        socket.close()

    def check(self) -> None:
        """Fail when any request to another host was made (and aborted)."""
        if self.blocked:
            listed = "\n  ".join(self.blocked)
            pytest.fail(
                f"{len(self.blocked)} request(s) to another host than {self.netloc} "
                f"(aborted; no request may leave the machine):\n  {listed}",
                pytrace=False,
            )


# --- accessibility -------------------------------------------------------------------------


@dataclass(frozen=True)
class AllowedViolation:
    """An axe violation we know of and cannot fix (in a vendored page we do not write):
    rule ``rule`` on the nodes whose CSS target contains ``target`` (every node when
    ``None``), with the ``reason`` it is accepted."""

    rule: str
    reason: str
    target: str | None = None

    def covers(self, rule: str, target: str) -> bool:
        return rule == self.rule and (self.target is None or self.target in target)


def assert_accessible(
    page: Page, *, allow: Iterable[AllowedViolation] = (), within: Sequence[str] = ()
) -> None:
    """Run axe-core on ``page`` as it is now and fail on every violation of impact serious
    or critical, naming each rule, its impact and the nodes (CSS targets), except the
    nodes an entry of ``allow`` covers. ``within``: CSS selectors of the parts to check
    (default: the whole document; a very large page, where axe's colour-contrast rule
    takes seconds per thousand elements, may check representative parts).

    axe is injected as a script tag: a page whose Content-Security-Policy forbids inline
    scripts needs a context opened with ``bypass_csp=True`` (``new_page(bypass_csp=True)``).
    """
    allowed = tuple(allow)
    page.add_script_tag(path=AXE_JS)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        pytest.fail(f"axe-core did not load on {page.url} (a Content-Security-Policy?)")
    violations: list[dict[str, Any]] = page.evaluate(
        """async (within) => {
            const context = within.length ? {include: within.map((s) => [s])} : document;
            const results = await window.axe.run(context, {resultTypes: ['violations']});
            return results.violations;
        }""",
        list(within),
    )
    lines: list[str] = []
    for violation in violations:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        targets = [_target(node) for node in violation["nodes"]]
        left = [t for t in targets if not any(a.covers(violation["id"], t) for a in allowed)]
        if not left:
            continue
        lines.append(f"{violation['id']} [{violation['impact']}] {violation['help']}")
        lines.extend(f"    {target}" for target in left)
    if lines:
        body = "\n  ".join(lines)
        pytest.fail(
            f"accessibility violations (serious or critical) on {page.url}:\n  {body}",
            pytrace=False,
        )


def _target(node: dict[str, Any]) -> str:
    """A node's CSS target; inside iframes or shadow roots, its path of selectors."""
    return " >> ".join(part if isinstance(part, str) else " ".join(part) for part in node["target"])


# --- screenshots ---------------------------------------------------------------------------


def shoot(page: Page, name: str, *, full_page: bool = False) -> Path | None:
    """Save ``page`` as ``docs/screenshots/<name>.png`` when ``KETNAP_SCREENSHOTS=1``, and
    return the path; otherwise do nothing (a plain test run rewrites no file). ``name``:
    lower-case letters, digits and hyphens."""
    if not _SHOT_NAME.match(name):
        raise ValueError(f"screenshot name {name!r}: use lower-case letters, digits, hyphens")
    if os.environ.get(SCREENSHOTS_ENV) != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    return path
