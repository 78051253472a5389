"""/metrics counts candidacy commands by type and outcome (recorded, or the refusing rule)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.scenario import build_tree, make_app, nominate


def test_commands_are_counted_by_type_and_outcome() -> None:
    app = make_app()
    tree = build_tree(app)
    cid = nominate(app, tree)
    api = create_app(Settings(admin_token="t"), admissions=app)
    with TestClient(api, headers={"Authorization": "Bearer t"}) as client:
        ok = client.post(f"/candidacies/{cid}/class-enrolment", json={"enrolled_on": "2023-02-01"})
        refused = client.post(f"/candidacies/{cid}/ceremony", json={"held_on": "2023-03-01"})
        assert (ok.status_code, refused.status_code) == (200, 409)
        text = client.get("/metrics").text
    assert 'ketnap_commands_total{command="class-enrolment",outcome="recorded"} 1.0' in text
    assert 'ketnap_commands_total{command="ceremony",outcome="wrong_stage"} 1.0' in text
