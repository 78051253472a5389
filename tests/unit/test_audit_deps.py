"""The dependency audit's verdicts (``tests.audit_deps``, ADR 0016): a vulnerability with a
fix fails it, one without is listed, and an audit that could not be done says so and fails
(or, in CI, warns): never a silent pass.

The last tests run the real pip-audit against a stub OSV service on loopback, so the whole
path (pip-audit's JSON report included) is checked without the network.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.audit_deps import judge, main, report

pytestmark = pytest.mark.timeout(120)

FIXABLE = {"id": "GHSA-aaaa-bbbb-cccc", "fix_versions": ["3.21"], "aliases": ["CVE-2026-1"]}
UNFIXABLE = {"id": "PYSEC-2026-9", "fix_versions": [], "aliases": []}


def _report(*dependencies: dict[str, Any]) -> dict[str, Any]:
    return {"dependencies": list(dependencies), "fixes": []}


def test_a_vulnerability_with_a_fix_fails(capsys: pytest.CaptureFixture[str]) -> None:
    verdict = judge(
        _report(
            {"name": "idna", "version": "3.20", "vulns": [FIXABLE]},
            {"name": "rich", "version": "15.0.0", "vulns": [UNFIXABLE]},
            {"name": "six", "version": "1.17.0", "vulns": []},
        )
    )
    assert verdict.audited == 3
    assert report(verdict, "", "pypi", "warn") == 1  # warn concerns reachability only
    captured = capsys.readouterr()
    assert "idna 3.20: GHSA-aaaa-bbbb-cccc (CVE-2026-1), fixed in 3.21" in captured.err
    assert "rich 15.0.0: PYSEC-2026-9, no fix yet" in captured.out


def test_vulnerabilities_without_a_fix_are_listed_not_fatal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    verdict = judge(_report({"name": "rich", "version": "15.0.0", "vulns": [UNFIXABLE]}))
    assert report(verdict, "", "pypi", "fail") == 0
    out = capsys.readouterr().out
    assert "PYSEC-2026-9" in out and "1 pinned packages, no fixable vulnerability" in out


@pytest.mark.parametrize(("if_unreachable", "code"), [("fail", 2), ("warn", 0)])
def test_packages_not_asked_about_are_not_a_pass(
    if_unreachable: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # What pip-audit reports when the service answers 404 for every package (exit code 0,
    # "No known vulnerabilities found").
    skipped = {"name": "idna", "skip_reason": "Dependency not found on PyPI: idna (3.20)"}
    verdict = judge(_report(skipped, {"name": "six", "version": "1.17.0", "vulns": []}))
    assert report(verdict, "", "pypi", if_unreachable) == code
    captured = capsys.readouterr()
    assert "DEPENDENCY AUDIT NOT DONE" in captured.err and "1 of 2 pinned packages" in captured.err
    assert "no fixable vulnerability" not in captured.out


# --- pip-audit itself, against a stub OSV service ----------------------------------------


class _StubOsv(BaseHTTPRequestHandler):
    """Answers an OSV query: idna 3.20 has a vulnerability fixed in 3.21, rich one without a
    fix, anything else none."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        affected = {"package": {"name": name, "ecosystem": "PyPI"}, "ranges": []}
        vulns = []
        if name == "idna":
            events = [{"introduced": "0"}, {"fixed": "3.21"}]
            ranges = [{"type": "ECOSYSTEM", "events": events}]
            vulns.append({"id": "GHSA-aaaa-bbbb-cccc", "affected": [affected | {"ranges": ranges}]})
        elif name == "rich":
            vulns.append({"id": "PYSEC-2026-9", "affected": [affected]})
        body = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def stub_osv() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()
    server.server_close()


def _lock(tmp_path: Path, *pins: str) -> str:
    path = tmp_path / "requirements.lock"
    path.write_text("# a lock\n" + "\n".join(pins) + "\n")
    return str(path)


def test_pip_audit_report_with_a_fixable_vulnerability_fails(
    tmp_path: Path, stub_osv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = _lock(tmp_path, "idna==3.20", "rich==15.0.0", "six==1.17.0")
    assert main(["--lock", lock, "--service", "osv", "--osv-url", stub_osv]) == 1
    captured = capsys.readouterr()
    assert "idna 3.20: GHSA-aaaa-bbbb-cccc, fixed in 3.21" in captured.err
    assert "rich 15.0.0: PYSEC-2026-9, no fix yet" in captured.out


def test_pip_audit_report_without_a_fixable_vulnerability_passes(
    tmp_path: Path, stub_osv: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = _lock(tmp_path, "rich==15.0.0", "six==1.17.0")
    assert main(["--lock", lock, "--service", "osv", "--osv-url", stub_osv]) == 0
    assert "2 pinned packages, no fixable vulnerability, 1 without a fix" in capsys.readouterr().out


@pytest.mark.parametrize(("if_unreachable", "code"), [("fail", 2), ("warn", 0)])
def test_an_unreachable_service_is_said_loudly(
    if_unreachable: str, code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/query"
    lock = _lock(tmp_path, "six==1.17.0")
    argv = ["--lock", lock, "--service", "osv", "--osv-url", url, "--if-unreachable"]
    assert main([*argv, if_unreachable]) == code
    err = capsys.readouterr().err
    assert "DEPENDENCY AUDIT NOT DONE" in err and "No package was checked" in err
