"""Days and instants as a board types them in the web app: dd/mm/yyyy first, ISO from links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from api.http.web import forms
from api.http.web.i18n import Words, day, instant, parse_day, parse_instant
from workflows import commands as c


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20/01/2023", date(2023, 1, 20)),
        ("1/2/2024", date(2024, 2, 1)),
        (" 29/02/2024 ", date(2024, 2, 29)),
        ("2023-01-20", date(2023, 1, 20)),
    ],
)
def test_a_day_is_read_as_dd_mm_yyyy_or_iso(typed: str, expected: date):
    assert parse_day(typed) == expected
    assert parse_day(day(expected)) == expected  # what a page shows reads back


@pytest.mark.parametrize("typed", ["31/02/2023", "2023/01/20", "20/01/23", "20.01.2023", "x"])
def test_anything_else_is_not_a_day(typed: str):
    with pytest.raises(ValueError):
        parse_day(typed)


def test_an_instant_without_offset_is_vietnam_time():
    moment = parse_instant("05/01/2025 08:00")
    assert moment.astimezone(UTC) == datetime(2025, 1, 5, 1, 0, tzinfo=UTC)
    assert parse_instant("05/01/2025 08:00:30").second == 30
    assert parse_instant("2025-01-05T08:00") == moment  # a datetime-local value
    with_offset = parse_instant("2025-01-05T08:00:00+00:00")
    assert with_offset.tzinfo == timezone(timedelta(0))
    assert parse_instant(instant(with_offset)) == with_offset  # shown, then read back
    with pytest.raises(ValueError):
        parse_instant("05/01/2025 8:00:00:00")


def test_a_form_reads_a_typed_day_and_names_a_bad_one():
    words = Words("vi")
    form = {"enrolled_on": "02/03/2024"}
    body = forms.read(c.EnrolInClass, form, words)
    assert body.enrolled_on == date(2024, 3, 2)
    with pytest.raises(forms.FormErrors) as bad:
        forms.read(c.EnrolInClass, {**form, "enrolled_on": "32/03/2024"}, words)
    assert bad.value.errors == {"enrolled_on": "Ngày không hợp lệ: ghi theo dạng dd/mm/yyyy"}
