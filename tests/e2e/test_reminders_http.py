"""Reminders over HTTP and in the web app: the subscriptions' status codes (201, the secret
never answered back, 404, 409 on ending twice, 422 on a webhook without a secret, 403 for an
auditor), the digest preview, and the web page that manages them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.e2e.support import ADMIN_TOKEN, PROBLEM_JSON
from tests.e2e.test_web_app import csrf_of, sign_in
from tests.scenario import ADMIN
from tests.unit.helpers import World

SECRET = "s3cret-signing-key-0123"


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app)
    with TestClient(app, follow_redirects=False) as c:
        c.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield c


def test_subscriptions_over_the_api(world: World, client: TestClient) -> None:
    base = f"/organisations/{world.tree.commune}/reminder-subscriptions"
    body = {"channel": "webhook", "address": "https://x.vn/h", "secret": SECRET, "hour": 8}
    created = client.post(base, json=body)
    assert created.status_code == 201, created.text
    sub = created.json()
    assert SECRET not in created.text and sub["signed"] is True and sub["hour"] == 8
    assert created.headers["Location"].endswith(sub["id"])
    assert [s["id"] for s in client.get(base).json()["items"]] == [sub["id"]]
    no_secret = client.post(base, json={"channel": "webhook", "address": "https://x.vn/h"})
    assert no_secret.status_code == 422 and no_secret.headers["content-type"] == PROBLEM_JSON
    bad_email = client.post(base, json={"channel": "email", "address": "not-an-address"})
    assert bad_email.status_code == 422
    ended = client.delete(f"{base}/{sub['id']}")
    assert ended.status_code == 200 and ended.json()["ended_on"] is not None
    again = client.delete(f"{base}/{sub['id']}")
    assert (again.status_code, again.json()["rule"]) == (409, "subscription_ended")
    assert client.get(base).json()["items"] == []
    assert len(client.get(base, params={"include_ended": "true"}).json()["items"]) == 1
    unknown = client.delete(f"{base}/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404
    other = f"/organisations/{world.tree.other_branch}/reminder-subscriptions/{sub['id']}"
    assert client.delete(other).status_code == 404  # not that unit's subscription
    secret, _ = world.app.issue_token(Role.AUDITOR, world.tree.commune, "audit", ADMIN)
    denied = client.get(base, headers={"Authorization": f"Bearer {secret}"})
    assert (denied.status_code, denied.json()["rule"]) == (403, "forbidden_role")


def test_the_digest_preview(world: World, client: TestClient) -> None:
    answer = client.get(
        f"/organisations/{world.tree.commune}/reminder-digest",
        params={"on": "2026-11-02", "days_ahead": 3},
    )
    assert answer.status_code == 200, answer.text
    digest = answer.json()
    assert (digest["on"], digest["days_ahead"]) == ("2026-11-02", 3)
    assert digest["organisation_name"] and isinstance(digest["items"], list)


def test_the_web_page_subscribes_and_ends(world: World, client: TestClient) -> None:
    del client.headers["Authorization"]
    sign_in(client, ADMIN_TOKEN)
    url = f"/ui/units/{world.tree.commune}/reminders"
    shown = client.get(url)
    assert shown.status_code == 200 and "Đăng ký nhận nhắc hạn" in shown.text
    form = {"csrf": csrf_of(shown.text), "channel": "webhook", "address": "https://x.vn/h"}
    refused = client.post(url, data=form)
    assert refused.status_code == 422 and "a webhook needs a signing key" in refused.text
    done = client.post(url, data={**form, "secret": SECRET, "frequency": "weekly"})
    assert done.status_code == 303
    listed = client.get(url)
    assert "https://x.vn/h" in listed.text and "Hằng tuần" in listed.text
    assert SECRET not in listed.text
    [sub] = world.app.subscriptions(world.tree.commune)
    end = client.post(f"{url}/{sub.id}/end", data={"csrf": csrf_of(listed.text)})
    assert end.status_code == 303
    assert not world.app.subscription(sub.id).active
