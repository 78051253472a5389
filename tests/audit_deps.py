"""The dependency audit (``make audit``; ADR 0018): pip-audit over ``requirements.lock``.

    python -m tests.audit_deps [--if-unreachable fail|warn] [--service pypi|osv]

pip-audit asks a vulnerability service about every pinned package (``--no-deps``: the lock
pins them all, so nothing is resolved or installed). Its JSON report is then judged here,
because pip-audit itself has no "only what can be fixed" switch and, when the service does
not answer for a package, skips it and can still report "No known vulnerabilities found":

- exit 1: a known vulnerability with a fixed version (``fix_versions``): upgrade the pin;
- exit 2: the audit could not be done (the service unreachable, a package it could not be
  asked about), with ``--if-unreachable fail`` (the default). ``warn`` (CI) prints the same
  banner and exits 0: the audit was not done, and it says so; it never says "passed";
- exit 0: every package asked about; vulnerabilities without a fix are listed, not fatal.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
# An audit that hangs is an audit not done: the whole run is bounded, and each request.
RUN_SECONDS = 120
REQUEST_SECONDS = 10
BANNER = "=" * 78


@dataclass(frozen=True)
class Finding:
    """One known vulnerability of one pinned package."""

    name: str
    version: str
    id: str
    fix_versions: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    def line(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fixed = f"fixed in {', '.join(self.fix_versions)}" if self.fix_versions else "no fix yet"
        return f"{self.name} {self.version}: {self.id}{aliases}, {fixed}"


@dataclass
class Verdict:
    """pip-audit's report judged: what was asked about, what was found, what was skipped."""

    audited: int = 0
    fixable: list[Finding] = field(default_factory=list)
    unfixable: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name: why"


def judge(report: dict[str, Any]) -> Verdict:
    """Sort pip-audit's JSON report (``-f json``) into a verdict."""
    verdict = Verdict()
    for dependency in report["dependencies"]:
        if "skip_reason" in dependency:
            verdict.skipped.append(f"{dependency['name']}: {dependency['skip_reason']}")
            continue
        verdict.audited += 1
        for vuln in dependency["vulns"]:
            finding = Finding(
                dependency["name"],
                dependency["version"],
                vuln["id"],
                tuple(vuln["fix_versions"]),
                tuple(vuln.get("aliases", ())),
            )
            (verdict.fixable if finding.fix_versions else verdict.unfixable).append(finding)
    return verdict


def run_pip_audit(lock: Path, service: str, osv_url: str | None) -> tuple[Verdict | None, str]:
    """Run pip-audit on ``lock``; its verdict, or None when it wrote no report, and why."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "report.json"
        command = [
            *(sys.executable, "-m", "pip_audit", "--requirement", str(lock)),
            *("--no-deps", "--disable-pip", "--progress-spinner", "off"),
            *("--vulnerability-service", service, "--timeout", str(REQUEST_SECONDS)),
            *("--format", "json", "--output", str(output)),
            *(("--osv-url", osv_url) if osv_url else ()),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=RUN_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            return None, f"pip-audit did not finish within {RUN_SECONDS} s"
        # With a report, a non-zero exit only means "vulnerabilities found": judged below.
        if not output.exists() or not output.stat().st_size:
            tail = "\n".join(done.stderr.strip().splitlines()[-3:])
            return None, f"pip-audit exited with {done.returncode} and no report:\n{tail}"
        return judge(json.loads(output.read_text())), ""


def report(verdict: Verdict | None, why: str, service: str, if_unreachable: str) -> int:
    """Print the verdict (problems on stderr) and return the exit code."""
    for finding in verdict.unfixable if verdict else ():
        print(f"known vulnerability without a fix (not fatal): {finding.line()}")
    code = 0
    if verdict and verdict.fixable:
        print(f"{len(verdict.fixable)} known vulnerabilities with a fix:", file=sys.stderr)
        for finding in verdict.fixable:
            print(f"  {finding.line()}", file=sys.stderr)
        print("Upgrade these pins (make lock).", file=sys.stderr)
        code = 1
    if verdict is None or verdict.skipped:
        if verdict is None:
            what = (
                f"the vulnerability service ({service}) gave no answer. {why}\n"
                "No package was checked for known vulnerabilities"
            )
        else:
            total = verdict.audited + len(verdict.skipped)
            what = (
                f"the vulnerability service ({service}) could not be asked about "
                f"{len(verdict.skipped)} of {total} pinned packages, for example:\n  "
                + "\n  ".join(verdict.skipped[:3])
                + "\nThose packages were not checked for known vulnerabilities"
            )
        outcome = "CI goes on (ADR 0018)." if if_unreachable == "warn" else "Failing."
        print(
            f"{BANNER}\nDEPENDENCY AUDIT NOT DONE: {what}: this is not a pass. {outcome}\n{BANNER}",
            file=sys.stderr,
        )
        return code or (2 if if_unreachable == "fail" else 0)
    if not code:
        unfixable = f", {len(verdict.unfixable)} without a fix" if verdict.unfixable else ""
        print(f"audit: {verdict.audited} pinned packages, no fixable vulnerability{unfixable}")
    return code


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.audit_deps``: audit the lock and exit 0, 1 or 2 (module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tests.audit_deps", description=__doc__)
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--service", choices=["pypi", "osv"], default="pypi")
    parser.add_argument("--osv-url", help="another OSV endpoint (a mirror, a test's stub)")
    parser.add_argument("--if-unreachable", choices=["fail", "warn"], default="fail")
    args = parser.parse_args(argv)
    verdict, why = run_pip_audit(args.lock, args.service, args.osv_url)
    return report(verdict, why, args.service, args.if_unreachable)


if __name__ == "__main__":
    sys.exit(main())
