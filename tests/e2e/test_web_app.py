"""The board's web app over HTTP, in process: sign-in and its cookie, CSRF, scope, a whole
candidacy recorded through the forms, refusals in Vietnamese next to their field, a stale
page, search, the roster form, the as-of view and the language switch.

The browser tests (tests/browser) drive the same pages in Chromium; these check what a
browser cannot see (cookie flags, status codes, nothing written on a refused form)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.e2e.support import ADMIN_TOKEN, HttpTree, official_path
from tests.scenario import ADMIN
from tests.unit.helpers import World


@pytest.fixture
def web(world: World) -> Iterator[TestClient]:
    app = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(web: TestClient, token: str) -> httpx.Response:
    form = web.get("/ui/login")
    answer: httpx.Response = web.post(
        "/ui/login", data={"token": token, "csrf": csrf_of(form.text), "next": "/ui/units"}
    )
    return answer


def http_tree(world: World) -> HttpTree:
    t = world.tree
    return HttpTree(
        province=str(t.province),
        commune=str(t.commune),
        grassroots=str(t.grassroots),
        branch=str(t.branch),
        other_branch=str(t.other_branch),
        grassroots_branch=str(t.grassroots_branch),
        officials=[str(m) for m in t.officials],
    )


def as_form(body: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON command body as the web form posts it (``document.number``,
    ``introducers.0.member_id``, a ticked box as ``on``)."""
    form: dict[str, str] = {}
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            form.update(as_form(value, f"{name}."))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                form.update(as_form(item, f"{name}.{i}.") if isinstance(item, dict) else {})
        elif isinstance(value, bool):
            if value:
                form[name] = "on"
        else:
            form[name] = str(value)
    return form


def test_root_sends_a_browser_to_the_web_app_and_pages_need_a_sign_in(web: TestClient) -> None:
    assert web.get("/").headers["location"] == "/ui/"
    answer = web.get("/ui/units")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/login?next=")


def test_signing_in_sets_a_sealed_httponly_strict_cookie_that_expires(web: TestClient) -> None:
    answer = sign_in(web, ADMIN_TOKEN)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/units"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("ketnap_session=")
    )
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/ui" in flags
    assert "max-age=28800" in flags  # KETNAP_SESSION_HOURS: 8 by default
    assert ADMIN_TOKEN not in cookie  # sealed, not the token in clear
    page = web.get("/ui/units")
    assert page.status_code == 200 and "Cây tổ chức" in page.text


def test_a_wrong_token_or_a_forged_form_does_not_sign_in(web: TestClient) -> None:
    wrong = sign_in(web, "ktn_not-a-token")
    assert wrong.status_code == 401
    assert "Mã truy cập không đúng" in wrong.text
    forged = web.post("/ui/login", data={"token": ADMIN_TOKEN, "csrf": "x", "next": "/ui/"})
    assert forged.status_code == 403
    assert "ketnap_session" not in forged.headers.get("set-cookie", "")


def test_an_altered_cookie_is_no_session(web: TestClient) -> None:
    sign_in(web, ADMIN_TOKEN)
    sealed = web.cookies["ketnap_session"]
    web.cookies.clear()
    web.cookies.set("ketnap_session", sealed[:-4] + "AAAA", path="/ui")
    assert web.get("/ui/units").status_code == 303


def test_a_revoked_token_ends_the_session_at_once(web: TestClient, world: World) -> None:
    secret, token = world.app.issue_token(Role.BOARD, world.tree.branch, "web", ADMIN)
    sign_in(web, secret)
    assert web.get(f"/ui/units/{world.tree.branch}").status_code == 200
    world.app.revoke_token(token.id, ADMIN)
    again = web.get(f"/ui/units/{world.tree.branch}")
    assert again.status_code == 303 and "reason=session_ended" in again.headers["location"]


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    web: TestClient, world: World
) -> None:
    sign_in(web, ADMIN_TOKEN)
    before = world.app.recorder.max_notification_id()
    body = {
        "full_name": "Lê Văn Tám",
        "status": "official",
        "admitted_on": "2001-05-19",
        "sex": "male",
        "date_of_birth": "1975-01-01",
        "ethnicity": "Kinh",
    }
    refused = web.post(f"/ui/units/{world.tree.branch}/roster", data=body)
    assert refused.status_code == 403
    assert "Biểu mẫu đã hết hạn" in refused.text
    assert world.app.recorder.max_notification_id() == before
    # Without a session at all the body is not even read: off to the sign-in page.
    web.cookies.clear()
    assert web.post(f"/ui/units/{world.tree.branch}/roster", data=body).status_code == 303


def test_a_board_sees_its_own_subtree_and_is_refused_another(web: TestClient, world: World) -> None:
    from tests.unit.helpers import open_candidacy

    theirs = open_candidacy(world)  # in tree.branch
    secret, _ = world.app.issue_token(Role.BOARD, world.tree.other_branch, "other", ADMIN)
    sign_in(web, secret)
    start = web.get("/ui/")
    assert start.headers["location"] == f"/ui/units/{world.tree.other_branch}"
    assert web.get(start.headers["location"]).status_code == 200
    for path in (f"/ui/candidacies/{theirs}", f"/ui/units/{world.tree.branch}/pipeline"):
        refused = web.get(path)
        assert refused.status_code == 403, path
        assert "ngoài phạm vi" in refused.text
        assert "Nguyễn" not in refused.text  # nothing of the person shown


def test_a_candidacy_recorded_from_nomination_to_official_through_the_forms(
    web: TestClient, world: World
) -> None:
    sign_in(web, ADMIN_TOKEN)
    tree = http_tree(world)
    nominate_page = web.get(f"/ui/units/{tree.branch}/nominate")
    assert nominate_page.status_code == 200
    person = {
        "person.full_name": "Nguyễn Thị Mai",
        "person.sex": "female",
        "person.date_of_birth": "2000-05-01",
        "person.ethnicity": "Tày",
        "person.education": "university",
        "person.national_id": "012345678901",
        "nominated_by": "womens_union",
        "nominated_on": "2023-01-10",
        "helper_member_id": tree.officials[0],
    }
    made = web.post(
        f"/ui/units/{tree.branch}/nominate", data={**person, "csrf": csrf_of(nominate_page.text)}
    )
    assert made.status_code == 303, made.text[:2000]
    page_url = made.headers["location"].split("?")[0]
    candidacy_id = UUID(page_url.rsplit("/", 1)[1])
    for segment, body in official_path(tree):
        page = web.get(page_url)
        assert f'id="step-{segment}"' in page.text, f"no form for {segment}"
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version
        form = {**as_form(body), "csrf": csrf_of(page.text), "version": version.group(1)}
        answer = web.post(f"{page_url}/{segment}", data=form)
        assert answer.status_code == 303, (segment, answer.text[-3000:])
    state = world.app.candidacy(candidacy_id)
    assert state.stage.value == "official"
    final = web.get(page_url)
    assert "Đảng viên chính thức" in final.text
    assert "Người ghi" in final.text and "Quy định áp dụng" in final.text  # who, which rules


def test_a_refusal_is_read_in_vietnamese_next_to_its_field_and_writes_nothing(
    web: TestClient, world: World
) -> None:
    from tests.unit.helpers import open_candidacy

    cid = open_candidacy(world)
    sign_in(web, ADMIN_TOKEN)
    page = web.get(f"/ui/candidacies/{cid}")
    before = world.app.recorder.max_notification_id()
    future = {"enrolled_on": "2031-01-01", "csrf": csrf_of(page.text)}
    refused = web.post(f"/ui/candidacies/{cid}/class-enrolment", data=future)
    assert refused.status_code == 409
    assert world.app.recorder.max_notification_id() == before
    # The refusal at the top of the step's form and next to the date it concerns.
    assert 'id="refusal-class-enrolment"' in refused.text
    field = re.search(
        r'id="f-class-enrolment-enrolled_on".*?<p class="error" id="err-f-class-enrolment-'
        r'enrolled_on" role="alert">([^<]+)</p>',
        refused.text,
        re.S,
    )
    assert field, "the refusal is not next to the date field"
    assert "Ngày không sau ngày ghi nhận: ngày 01/01/2031 sau ngày ghi nhận" in field.group(1)
    # Unreadable input: the field says what is wrong, in Vietnamese.
    bad = web.post(
        f"/ui/candidacies/{cid}/class-enrolment",
        data={"enrolled_on": "31/31/2023", "csrf": csrf_of(page.text)},
    )
    assert bad.status_code == 422 and "Ngày không hợp lệ" in bad.text


def test_a_stale_page_is_told_plainly(web: TestClient, world: World) -> None:
    from tests.unit.helpers import open_candidacy

    cid = open_candidacy(world)
    sign_in(web, ADMIN_TOKEN)
    page = web.get(f"/ui/candidacies/{cid}")
    form = {"enrolled_on": "2023-02-01", "csrf": csrf_of(page.text), "version": "1"}
    assert web.post(f"/ui/candidacies/{cid}/class-enrolment", data=form).status_code == 303
    cert = {
        "issued_on": "2023-03-01",
        "number": "CN-1",
        "issuer": "TTCT",
        "csrf": csrf_of(page.text),
        "version": "1",  # the page was opened at version 1; the candidacy is at 2
    }
    stale = web.post(f"/ui/candidacies/{cid}/certificate", data=cert)
    assert stale.status_code == 412
    assert "vừa được người khác cập nhật" in stale.text


def test_search_ignores_diacritics_and_finds_a_national_id(web: TestClient, world: World) -> None:
    from tests.unit.helpers import open_candidacy

    cid = open_candidacy(world, full_name="Nguyễn Thị Mai", national_id="079123456789")
    open_candidacy(world, full_name="Trần Văn Hùng", national_id="079000000001")
    sign_in(web, ADMIN_TOKEN)
    for q in ("nguyen thi mai", "Nguyễn Thị Mai", "079123456789"):
        found = web.get("/ui/search", params={"q": q})
        assert f"/ui/candidacies/{cid}" in found.text, q
        assert "Trần Văn Hùng" not in found.text
    partial = web.get("/ui/search", params={"q": "thi mai"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "Nguyễn Thị Mai" in partial.text


def test_the_roster_form_adds_a_member(web: TestClient, world: World) -> None:
    sign_in(web, ADMIN_TOKEN)
    page = web.get(f"/ui/units/{world.tree.branch}/roster")
    body = {
        "full_name": "Lê Văn Tám",
        "status": "official",
        "admitted_on": "2001-05-19",
        "official_on": "2002-05-19",
        "sex": "male",
        "date_of_birth": "1975-01-01",
        "ethnicity": "Kinh",
        "csrf": csrf_of(page.text),
    }
    added = web.post(f"/ui/units/{world.tree.branch}/roster", data=body)
    assert added.status_code == 200 and "Đã ghi nhận" in added.text
    assert "Lê Văn Tám" in web.get(f"/ui/units/{world.tree.branch}/roster?q=le van tam").text
    missing = web.post(
        f"/ui/units/{world.tree.branch}/roster",
        data={**body, "full_name": "", "ethnicity": "Klingon"},
    )
    assert missing.status_code == 422


def test_the_as_of_view_shows_an_old_day(web: TestClient, world: World) -> None:
    from tests.unit.helpers import open_candidacy

    cid = open_candidacy(world, upto=3)  # enrolled, certified, applied (2023-02 .. 03)
    sign_in(web, ADMIN_TOKEN)
    now = web.get(f"/ui/candidacies/{cid}")
    then = web.get(f"/ui/candidacies/{cid}", params={"as_of": "2023-01-20"})
    assert 'id="stage">Lập hồ sơ' in now.text
    assert 'id="stage">Nguồn kết nạp' in then.text
    assert 'id="steps-h"' not in then.text  # no forms on a past day
    typed = web.get(f"/ui/candidacies/{cid}", params={"as_of": "20/01/2023"})
    assert 'id="stage">Nguồn kết nạp' in typed.text and 'value="20/01/2023"' in typed.text
    known = web.get(f"/ui/candidacies/{cid}", params={"known_at": "01/01/2000 08:00"})
    assert known.status_code == 404  # nothing had been recorded by then
    bad = web.get(f"/ui/candidacies/{cid}", params={"as_of": "31/02/2023"})
    assert bad.status_code == 422 and "as_of" in bad.text and "<html" in bad.text


def test_english_is_one_switch_away(web: TestClient) -> None:
    sign_in(web, ADMIN_TOKEN)
    switched = web.get("/ui/language/en", params={"next": "/ui/units"})
    assert switched.status_code == 303 and switched.headers["location"] == "/ui/units"
    page = web.get("/ui/units")
    assert 'lang="en"' in page.text and "Organisation tree" in page.text
    assert (
        web.get("/ui/language/en", params={"next": "https://evil.example"}).headers["location"]
        == "/ui/"
    )


def test_every_page_a_board_reaches_answers(web: TestClient, world: World) -> None:
    from tests.unit.helpers import open_candidacy

    cid = open_candidacy(world, upto=5)
    sign_in(web, ADMIN_TOKEN)
    seen: set[str] = set()
    todo = ["/ui/units", f"/ui/candidacies/{cid}", "/ui/audit", "/ui/search?q=lan"]
    while todo and len(seen) < 200:
        path = todo.pop()
        if path in seen or "/language/" in path or path.endswith(".pdf"):
            continue
        seen.add(path)
        answer = web.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        todo += [
            link.replace("&amp;", "&")
            for link in re.findall(r'href="(/ui/[^"#]+)"', answer.text)
            if not link.startswith("/ui/static")
        ]
    assert len(seen) > 20
    pdf = web.get(f"/ui/candidacies/{cid}/dossier.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"


def test_the_integrity_check_runs_as_a_job_with_its_progress(web: TestClient, world: World):
    from tests.unit.helpers import open_candidacy

    open_candidacy(world, upto=5)
    sign_in(web, ADMIN_TOKEN)
    start = web.get("/ui/audit")
    assert start.status_code == 200 and 'action="/ui/audit"' in start.text
    refused = web.post("/ui/audit", data={"csrf": "wrong"})
    assert refused.status_code == 403
    started = web.post("/ui/audit", data={"csrf": csrf_of(start.text)})
    assert started.status_code == 303
    job = started.headers["location"]
    assert re.fullmatch(r"/ui/audit/[0-9a-f-]{36}", job)
    deadline = time.monotonic() + 30
    while True:
        fragment = web.get(job, headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        if "hx-trigger" not in fragment.text or time.monotonic() > deadline:
            break
        assert "<progress" in fragment.text
        time.sleep(0.05)
    assert "Toàn vẹn: không phát hiện chỉnh sửa." in fragment.text
    assert "<html" not in fragment.text  # a fragment for htmx, not a page
    whole = web.get(job)
    assert "Toàn vẹn" in whole.text and "<html" in whole.text
    assert "Lần kiểm tra gần nhất" in web.get("/ui/audit").text
    # Another token does not see the job.
    other = TestClient(web.app, follow_redirects=False)
    secret, _ = world.app.issue_token(Role.AUDITOR, world.tree.province, "second auditor", ADMIN)
    sign_in(other, secret)
    assert other.get(job).status_code == 404
