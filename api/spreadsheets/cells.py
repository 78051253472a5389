"""Reading one cell's value as what a column holds: a day (dd/mm/yyyy, ISO, an Excel date
or serial number), a whole number, text (NFC Unicode; legacy TCVN3/VNI text converted), or
one of an enumeration (by its API code or its Vietnamese name, case and diacritics
ignored). A value that does not fit is a ``CellProblem`` with a stable rule code and a
Vietnamese message."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from api.spreadsheets.legacy import normalise
from api.spreadsheets.reading import Formula, Value
from domain.text import folded


class CellProblem(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


# Excel's 1900 date system: serial 1 is 1900-01-01, and serial 60 is the 29 February 1900
# Lotus kept; from serial 61 on, day 0 is 1899-12-30.
_EXCEL_EPOCH = date(1899, 12, 30)
_DAY = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?\s*$")


def not_formula(value: Value | Formula) -> Value:
    if isinstance(value, Formula):
        raise CellProblem(
            "formula_not_allowed",
            f"Ô chứa công thức ({value.text[:40]}), không phải giá trị: dán giá trị (Paste "
            "Values) rồi nhập lại",
        )
    return value


def day(value: Value | Formula) -> date:
    """A day written dd/mm/yyyy (d/m/yyyy, with / . or -), ISO yyyy-mm-dd, an Excel date,
    or an Excel serial number."""
    value = not_formula(value)
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise CellProblem("invalid_date", "Ngày có cả giờ phút: chỉ ghi ngày (dd/mm/yyyy)")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellProblem("invalid_date", "Ngày phải viết dạng dd/mm/yyyy")
    if isinstance(value, int | float):
        return _serial(value)
    text = str(value).strip()
    found = _DAY.match(text)
    try:
        if found:
            d, m, y = (int(g) for g in found.groups())
            return date(y, m, d)
        iso = _ISO.match(text)
        if iso:
            y, m, d = (int(g) for g in iso.groups())
            return date(y, m, d)
    except ValueError:
        raise CellProblem("invalid_date", f"'{text}' không phải ngày có thật") from None
    if text.isdigit() and len(text) == 5:
        return _serial(int(text))
    raise CellProblem("invalid_date", f"'{text[:40]}': ngày phải viết dạng dd/mm/yyyy")


def _serial(number: float) -> date:
    if number != int(number):
        raise CellProblem("invalid_date", "Số ngày Excel có phần lẻ (giờ): chỉ ghi ngày")
    serial = int(number)
    if serial == 60 or not 1 <= serial <= 2_958_465:
        raise CellProblem("invalid_date", f"{serial} không phải số ngày Excel hợp lệ")
    if serial < 60:
        return date(1899, 12, 31) + timedelta(days=serial)
    return _EXCEL_EPOCH + timedelta(days=serial)


def text(value: Value | Formula) -> str:
    """The cell as text, NFC, trimmed; legacy-encoded Vietnamese converted to Unicode."""
    value = not_formula(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        raise CellProblem("invalid_text", "Ô này cần chữ, không phải ngày")
    raw = str(value).strip()
    return _unicode(raw)


# Letters typed with a look-alike: the Icelandic eth for the Vietnamese Đ.
_LOOK_ALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})


def _unicode(raw: str) -> str:
    """NFC; text in TCVN3 (ABC) or VNI-Windows, detected with confidence, converted; runs
    of spaces made one; a look-alike Đ made the Vietnamese letter."""
    return " ".join(normalise(raw)[0].translate(_LOOK_ALIKES).split())


NONE_WORDS = frozenset({"khong", "none", "-", "—", "khong co", "khong theo"})


def optional_text(value: Value | Formula) -> str | None:
    """Text, or None when the cell says there is none («Không», «-»): a religion column
    with «Không» means no religion, not a religion named Không."""
    written = text(value)
    return None if folded(written) in NONE_WORDS else written


def digits(value: Value | Formula, *, lengths: tuple[int, ...], what: str) -> str:
    """A number written as digits (a national id): the text of an integer cell, a text cell
    of digits. Excel drops leading zeros of a number cell, so such a cell is refused."""
    value = not_formula(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellProblem(
            "invalid_national_id",
            f"{what} ghi dạng số sẽ mất số 0 ở đầu: định dạng cột là Văn bản (Text) rồi ghi lại",
        )
    found = re.sub(r"\s", "", str(value))
    if not found.isdigit() or len(found) not in lengths:
        allowed = " hoặc ".join(str(n) for n in lengths)
        raise CellProblem("invalid_national_id", f"{what} phải có {allowed} chữ số")
    return found


def whole(value: Value | Formula, *, minimum: int = 0) -> int:
    value = not_formula(value)
    if isinstance(value, bool):
        raise CellProblem("invalid_number", "Ô này cần một số nguyên")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellProblem("invalid_number", f"{value} không phải số nguyên")
        value = int(value)
    if isinstance(value, str):
        cleaned = value.strip().replace(".", "").replace(",", "").replace(" ", "")
        if not re.fullmatch(r"-?\d{1,15}", cleaned):
            raise CellProblem("invalid_number", f"'{value[:40]}' không phải số nguyên")
        value = int(cleaned)
    if not isinstance(value, int):
        raise CellProblem("invalid_number", "Ô này cần một số nguyên")
    if value < minimum:
        raise CellProblem("invalid_number", f"Số phải từ {minimum} trở lên")
    return value


def choice(value: Value | Formula, options: Mapping[str, str]) -> str:
    """One of ``options`` (code → Vietnamese name), written as its code or its name, case
    and diacritics ignored."""
    return Choices(options)(value)


def _loose(text: str) -> str:
    """Folded, without the hyphens, apostrophes and spaces spellings differ by (Ê-đê, Ê Đê)."""
    return re.sub(r"[\s\-'’.]", "", folded(text))


class Choices:
    """``choice`` over fixed options, their folded spellings computed once; ``aliases`` are
    other names of an option (its code by the other name)."""

    def __init__(self, options: Mapping[str, str], aliases: Mapping[str, str] | None = None):
        self.options = dict(options)
        self.by_key: dict[str, str] = {}
        for code, name in options.items():
            self.by_key.setdefault(_loose(code), code)
            self.by_key.setdefault(_loose(name), code)
        for other, code in (aliases or {}).items():
            self.by_key.setdefault(_loose(other), code)

    def __call__(self, value: Value | Formula) -> str:
        written = text(value)
        found = self.by_key.get(_loose(written))
        if found is None:
            if len(self.options) > 12:
                listed = "xem danh sách ở trang «Danh sách» của tệp mẫu"
            else:
                listed = "một trong: " + ", ".join(self.options.values())
            raise CellProblem(
                "invalid_choice", f"'{written[:40]}' không có trong danh sách ({listed})"
            )
        return found
