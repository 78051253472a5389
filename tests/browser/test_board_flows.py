"""The board's web app in a real browser (Debian's chromium, Playwright): sign in, walk the
tree, record a candidacy from nomination to official membership through the forms, meet a
refusal in Vietnamese, see the quota bar move, be refused another branch's candidacy,
search with and without diacritics, read an old day; every page checked by axe-core and
kept on this machine.

These flows run on a small tree of their own (``site``: the scenario tree of the unit
tests, served on a loopback port) so that the path's votes match its roster; the
screenshots and the accessibility sweep of the main pages use the demo province
(``demo_server``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.browser.support import OffsiteGuard, assert_accessible, shoot
from tests.e2e.support import ADMIN_TOKEN, HttpTree, official_path, serve
from tests.scenario import ADMIN
from tests.unit.helpers import World, make_world

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.browser.server import DemoServer


@dataclass
class Site:
    base_url: str
    world: World
    tree: HttpTree


@pytest.fixture
def site() -> Iterator[Site]:
    world = make_world()
    app = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app)
    t = world.tree
    tree = HttpTree(
        province=str(t.province),
        commune=str(t.commune),
        grassroots=str(t.grassroots),
        branch=str(t.branch),
        other_branch=str(t.other_branch),
        grassroots_branch=str(t.grassroots_branch),
        officials=[str(m) for m in t.officials],
    )
    try:
        with serve(app) as base_url:
            yield Site(base_url, world, tree)
    finally:
        world.app.close()


@pytest.fixture
def site_page(browser: Browser, site: Site) -> Iterator[Callable[[], Page]]:
    """Pages on ``site``, kept on this machine (the test fails on any other request)."""
    guards: list[OffsiteGuard] = []
    contexts: list[Any] = []

    def open_page() -> Page:
        context = browser.new_context(
            base_url=site.base_url,
            viewport={"width": 1280, "height": 800},
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            service_workers="block",
        )
        context.set_default_timeout(15_000)
        guard = OffsiteGuard(site.base_url.removeprefix("http://"))
        guard.install(context)
        guards.append(guard)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    for guard in guards:
        guard.check()


def sign_in(page: Page, token: str) -> None:
    page.goto("/ui/login")
    page.get_by_label("Mã truy cập").fill(token)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/ui/units"))


def fill_step(page: Page, segment: str, body: dict[str, Any], prefix: str = "") -> None:
    """Fill the step's form as a board would, field by field."""
    form = page.locator(f'form[action$="/{segment}"]')
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            fill_step(page, segment, value, f"{name}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                fill_step(page, segment, item, f"{name}.{i}.")
        elif isinstance(value, bool):
            box = form.locator(f'[name="{name}"]')
            box.check() if value else box.uncheck()
        else:
            field = form.locator(f'[name="{name}"]')
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(str(value))
            elif isinstance(value, date):  # typed as a board writes a day
                field.fill(value.strftime("%d/%m/%Y"))
            else:
                field.fill(str(value))


def admitted(page: Page, unit: str, period: str) -> int:
    page.goto(f"/ui/units/{unit}/quota?period={period}")
    return int(page.locator("#quota-admitted").inner_text())


def test_a_board_records_a_candidacy_from_nomination_to_official(
    site: Site, site_page: Callable[[], Page]
) -> None:
    httpx.put(
        f"{site.base_url}/organisations/{site.tree.province}/quotas/2023",
        json={"target": 10},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ).raise_for_status()
    page = site_page()
    sign_in(page, ADMIN_TOKEN)
    # Walk the tree down to the branch.
    page.goto("/ui/units")
    for _ in range(3):
        page.locator("table tbody a").first.click()
    page.goto(f"/ui/units/{site.tree.branch}")
    assert_accessible(page)
    before = admitted(page, site.tree.province, "2023")
    assert_accessible(page)
    # Nominate.
    page.goto(f"/ui/units/{site.tree.branch}/nominate")
    assert_accessible(page)
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Mai")
    page.get_by_label("Giới tính").select_option("female")
    page.get_by_label("Ngày sinh").fill("01/05/2000")
    page.get_by_label("Dân tộc").fill("Tày")
    page.get_by_label("Trình độ học vấn").select_option("university")
    page.get_by_label("Số CCCD").fill("079123456789")
    page.get_by_label("Tổ chức giới thiệu").select_option("womens_union")
    page.locator('[name="nominated_on"]').fill("10/01/2023")
    page.get_by_label("Đảng viên giúp đỡ").fill(site.tree.officials[0])
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_load_state()
    if "/ui/candidacies/" not in page.url:
        errors = page.locator(".error").all_inner_texts()
        invalid = page.eval_on_selector_all(
            ":invalid", "els => els.map(e => e.name + ': ' + e.validationMessage)"
        )
        pytest.fail(f"the nomination was not recorded: {errors} {invalid} {page.url}")
    url = page.url.split("?")[0]
    assert page.locator("#stage").inner_text() == "Nguồn kết nạp"
    # Every step through its form, in order.
    for segment, body in official_path(site.tree):
        page.goto(url)
        details = page.locator(f"#step-{segment}")
        details.locator("summary").click()
        fill_step(page, segment, body)
        details.get_by_role("button", name="Ghi nhận").click()
        page.wait_for_load_state()
        if "recorded=" not in page.url:
            errors = page.locator(".error").all_inner_texts()
            pytest.fail(f"{segment} was not recorded: {errors}")
        assert page.get_by_role("status").first.is_visible(), segment
        if segment == "admission-decision":
            assert admitted(page, site.tree.province, "2023") == before + 1
            page.goto(url)
    page.goto(url)
    assert page.locator("#stage").inner_text() == "Đảng viên chính thức"
    assert page.get_by_text("Quyết định công nhận đảng viên chính thức").first.is_visible()
    assert_accessible(page)
    # The as-of view of an old day, typed dd/mm/yyyy into the picker.
    page.goto(url)
    page.locator("#as_of").fill("20/01/2023")
    page.locator("form.when button").click()
    page.wait_for_url("**as_of=20%2F01%2F2023**")
    assert page.locator("#stage").inner_text() == "Nguồn kết nạp"
    assert page.locator("#as_of").input_value() == "20/01/2023"
    # Search with and without diacritics, live (htmx) and by national id.
    from playwright.sync_api import expect

    page.goto("/ui/search")
    for words in ("nguyen thi mai", "Nguyễn Thị Mai", "079123456789"):
        page.get_by_label("Họ tên (không cần dấu) hoặc số CCCD").fill(words)
        page.get_by_role("button", name="Tìm kiếm").last.click()
        found = page.locator("#results").get_by_role("link", name="Nguyễn Thị Mai")
        expect(found.first).to_be_visible()
    assert_accessible(page)


def test_a_refusal_is_read_in_vietnamese_next_to_its_field(
    site: Site, site_page: Callable[[], Page]
) -> None:
    from tests.unit.helpers import open_candidacy

    cid = open_candidacy(site.world)
    page = site_page()
    sign_in(page, ADMIN_TOKEN)
    page.goto(f"/ui/candidacies/{cid}")
    step = page.locator("#step-class-enrolment")
    step.locator("summary").click()
    step.get_by_label("Ngày vào lớp").fill("2031-01-01")
    step.get_by_role("button", name="Ghi nhận").click()
    field = page.locator("#f-class-enrolment-enrolled_on")
    assert field.get_attribute("aria-invalid") == "true"
    message = page.locator("#err-f-class-enrolment-enrolled_on")
    assert "sau ngày ghi nhận" in message.inner_text()
    assert page.locator("#stage").inner_text() == "Nguồn kết nạp"  # nothing recorded
    assert_accessible(page)
    shoot(page, "refusal", full_page=False)


def test_a_board_of_one_branch_is_refused_anothers_candidacy(
    site: Site, site_page: Callable[[], Page]
) -> None:
    from tests.unit.helpers import open_candidacy

    cid = open_candidacy(site.world, full_name="Trần Văn Hùng")
    secret, _ = site.world.app.issue_token(
        Role.BOARD, site.world.tree.other_branch, "other board", ADMIN
    )
    page = site_page()
    sign_in(page, secret)
    assert page.url.endswith(f"/ui/units/{site.tree.other_branch}")
    page.goto(f"/ui/candidacies/{cid}")
    assert page.get_by_role("heading", level=1).inner_text() == "Không có quyền xem trang này"
    assert "Trần Văn Hùng" not in page.content()
    page.goto("/ui/search?q=tran van hung")
    assert page.get_by_text("Không tìm thấy ai.").first.is_visible()


def test_the_main_pages_of_the_demo_province(page: Page, demo_server: DemoServer) -> None:
    """Each main page renders for a board, passes axe, and is shot for the README."""
    sign_in(page, demo_server.tokens["admin"])
    unit = f"/ui/units/{demo_server.province_id}"
    pages = {
        "tree": unit,
        "pipeline": f"{unit}/pipeline",
        "deadlines": f"{unit}/deadlines",
        "quota": f"{unit}/quota?period=2024",
        "coverage": f"{unit}/coverage",
    }
    for name, path in pages.items():
        page.goto(path)
        assert page.get_by_role("heading", level=1).is_visible()
        assert_accessible(page, within=["header", "nav.tabs", "main > h1", "main > form"])
        shoot(page, name)
    page.goto(f"{unit}/pipeline")
    page.locator(".cardlet a").first.click()
    page.wait_for_url(re.compile(r"/ui/candidacies/"))
    assert_accessible(page, within=["header", "main > dl", "#steps-h", ".steps details"])
    shoot(page, "candidacy")
    page.goto("/ui/login")
    shoot(page, "login")


def test_a_phone_sees_the_deadline_register(phone_page: Page, demo_server: DemoServer) -> None:
    sign_in(phone_page, demo_server.tokens["board"])
    phone_page.goto(f"/ui/units/{demo_server.board_branch_id}/deadlines")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px phone"
    assert_accessible(phone_page)
    shoot(phone_page, "phone-deadlines")
