"""A board imports its roster in a real browser (issue 13): the template downloaded from the
page, a file with one bad row uploaded, the preview read in Vietnamese (the row, the
column, the value, the message) with nothing written, the problems workbook downloaded,
the import confirmed, and the members on the branch's roster page; the page passes
axe-core and stays on this machine."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import load_workbook

from tests.browser.support import assert_accessible, shoot
from tests.browser.test_board_flows import Site, sign_in
from tests.e2e.support import ADMIN_TOKEN
from tests.unit.test_imports import ROSTER_HEADER, xlsx

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytest_plugins = ["tests.browser.test_board_flows"]


def test_a_board_imports_a_roster_through_the_page(
    site: Site, site_page: Callable[[], Page], tmp_path: Path
) -> None:
    page = site_page()
    sign_in(page, ADMIN_TOKEN)
    page.get_by_role("link", name="Nhập từ Excel").click()
    page.wait_for_url(re.compile(r"/ui/imports$"))
    assert_accessible(page, within=["header", "main"])

    with page.expect_download() as template:
        page.get_by_role("link", name="Danh sách đảng viên").last.click()
    saved = tmp_path / "mau.xlsx"
    template.value.save_as(saved)
    assert [c.value for c in load_workbook(saved).worksheets[0][1]][:3] == ROSTER_HEADER[:3]

    rows = [
        ["CB01", "Đinh Thị Hoa", "Nữ", "02/09/1991", "Mường", None, "017191000777",
         "19/05/2016", "19/05/2017", None, None, None],
        ["CB01", "Lường Văn Piếng", "Nam", "30/02/1988", "Thái", None, None, "03/02/2012",
         None, None, None, None],
    ]  # fmt: skip
    upload = xlsx(tmp_path / "dang-vien.xlsx", ROSTER_HEADER, rows)
    page.get_by_label("Loại dữ liệu").select_option("roster")
    page.get_by_label("Tệp (.xlsx hoặc .csv)").set_input_files(str(upload))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    page.wait_for_load_state()
    table = page.locator("table")
    assert "Ngày sinh" in table.inner_text() and "30/02/1988" in table.inner_text()
    assert "không phải ngày có thật" in table.inner_text()
    assert_accessible(page, within=["header", "main"])
    shoot(page, "import-preview")
    before = len(site.world.app.roster.members_on(site.world.app.today()))

    with page.expect_download() as problems:
        page.get_by_role("link", name=re.compile("dòng có lỗi")).click()
    fix = tmp_path / "loi.xlsx"
    problems.value.save_as(fix)
    sheet = load_workbook(fix).worksheets[0]
    assert [c.value for c in sheet[2]][1] == "Lường Văn Piếng"

    page.get_by_role("button", name="Xác nhận nhập").click()
    page.wait_for_load_state()
    assert "1" in page.locator("main").inner_text()
    after = site.world.app.roster.members_on(site.world.app.today())
    assert len(after) == before + 1

    page.goto(f"/ui/units/{site.tree.branch}/roster")
    assert page.get_by_text("Đinh Thị Hoa").first.is_visible()
