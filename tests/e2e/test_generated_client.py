"""A client generated from the live OpenAPI document (openapi-python-client, offline, in a
temporary directory) works against the real server: it nominates a candidate, and reads a
refusal (409 with its ``rule``), an unknown id (404) and an invalid correction (422) as the
typed ``Problem`` of the document."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.e2e.support import ADMIN_TOKEN, Api, Live, nomination

PACKAGE = "ketnap_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def generated(live: Live, tmp_path: Path) -> Iterator[ModuleType]:
    """The client package generated from the server's ``/openapi.json``, importable."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(httpx.get(f"{live.base_url}/openapi.json").json()))
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the generated code is used as is
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_nominates_and_reads_refusals_as_typed_problems(
    live: Live, api: Api, generated: ModuleType
) -> None:
    tree = api.tree()
    models = _module("models")
    candidacies = "api.candidacies."
    client = generated.AuthenticatedClient(base_url=live.base_url, token=ADMIN_TOKEN)
    with client:
        body = models.Nominate.from_dict(nomination(tree))
        created = _module(candidacies + "nominate_candidate").sync_detailed(
            client=client, body=body
        )
        assert created.status_code == 201, created.content
        state = created.parsed
        assert isinstance(state, models.CandidacyOut)
        assert state.stage.value == "source_pool"

        # A ceremony before any admission: the stage refuses it.
        ceremony = models.HoldCeremony.from_dict({"held_on": "2023-03-01"})
        refused = _module(candidacies + "candidacy_ceremony").sync_detailed(
            state.id, client=client, body=ceremony
        )
        assert refused.status_code == 409
        assert isinstance(refused.parsed, models.Problem)
        assert refused.parsed.rule == "wrong_stage"
        assert refused.parsed.status == 409

        unknown = _module(candidacies + "get_candidacy").sync_detailed(uuid4(), client=client)
        assert unknown.status_code == 404
        assert isinstance(unknown.parsed, models.Problem)
        assert unknown.parsed.rule == "not_found"

        correction = models.CorrectRecord.from_dict(
            {"position": 99, "changes": {"nominated_on": "2023-01-11"}, "reason": "ghi nhầm"}
        )
        invalid = _module(candidacies + "candidacy_corrections").sync_detailed(
            state.id, client=client, body=correction
        )
        assert invalid.status_code == 422
        assert isinstance(invalid.parsed, models.Problem)
        assert invalid.parsed.rule == "invalid_correction"


def test_the_generated_client_knows_each_commands_rules(live: Live) -> None:
    """The document the client is generated from lists each command's codes (``x-rules``)
    and, readably, in the 409 answer's description."""
    document = httpx.get(f"{live.base_url}/openapi.json").json()
    operation = document["paths"]["/candidacies/{candidacy_id}/ceremony"]["post"]
    rules = {r["rule"]: r for r in operation["x-rules"]}
    assert rules["wrong_stage"]["status"] == 409
    assert rules["ceremony_overdue"]["title_vi"]
    assert rules["not_found"]["status"] == 404 and rules["version_mismatch"]["status"] == 412
    assert "`ceremony_overdue` —" in operation["responses"]["409"]["description"]
    assert "`invalid_input` —" in operation["responses"]["422"]["description"]
