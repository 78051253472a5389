"""Vietnamese text in the legacy encodings still found in old files: TCVN3 and VNI (issue 13).

Before Unicode, Vietnamese was typed in fonts that drew their own letters at Latin-1 code
points: **TCVN3** (ABC; the ``.Vn`` fonts such as ``.VnTime``, ``.VnTimeH``) and **VNI**
(VNI-Windows; the ``VNI-`` fonts such as ``VNI-Times``). An ``.xlsx`` made with such a font holds
Unicode strings of those code points (TCVN3 ``"NguyÔn ThÞ Mai"``, VNI ``"Nguyeãn Thò Mai"`` for
"Nguyễn Thị Mai"); a CSV holds the bytes, which ``decode_bytes`` reads as Windows-1258 (or
UTF-8) and which this module maps back to the bytes (``legacy_tables.BYTE_OF``) before reading.

What is supported:

- TCVN3: table VN3 of TCVN 5712:1993 (the ABC fonts): all 67 small letters, and the seven
  capitals it has (Ă Â Ê Ô Ơ Ư Đ). VN3 has no toned capitals: the ``.VnTimeH`` fonts draw the
  small codes as capitals. A toned letter is therefore made a capital when the rest of its word
  is in capitals (``"NGUYÔN"`` -> "NGUYỄN"), and at the start of a word when every word of the
  text that starts with a letter of known case starts with a capital (``"Lª ¸nh"`` ->
  "Lê Ánh"); otherwise it is small. The toned capitals of the full VN1 table (at 0x01-0x17 and
  0x80-0x9F, where Windows-1252 has its quotes and dashes) are not read.
- VNI-Windows: all 134 letters, a base letter followed by a mark character (one mark for shape
  and tone together: ``"aá"`` is "ấ"), or one character (ơ ư đ, i with its tones, ỵ); the case
  is the base letter's.

Detection (``detect``) is conservative. Text with a letter no legacy text has (such as "ễ",
"ặ", or the NFD marks Windows-1258 lacks) is Unicode. Otherwise the text is cut into words; a
word is evidence for an encoding when its reading in that encoding differs from the text as it
is and is a valid Vietnamese syllable (an initial of the alphabet, a rhyme of the language, a
tone a syllable ending in p/t/c/ch can have) while the text as it is (NFC) is not. A word valid
both ways (VNI ``"Thò"``: "thị" or "thò") says nothing; a word valid only as it is counts
against. An encoding's score is its evidence's share of the words that are evidence or valid
neither way, and 0 when a word counts against it; the encoding is found when its score is at
least 0.6 and beats the other's (a tie goes to more evidence, then to more readings that are
frequent syllables, ``legacy_tables.COMMON``), else ``None``. Limits: a text of ambiguous words only
(``"Thò Mai"``, ``"Tâm"``) is left as it is; so is legacy text mixed with Unicode letters.

Sources of the tables are listed in ``legacy_tables``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from api.spreadsheets import legacy_tables as t

LegacyEncoding = Literal["tcvn3", "vni"]

ENCODING_NAMES: dict[LegacyEncoding, str] = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows"}

_ENCODINGS: tuple[LegacyEncoding, ...] = ("tcvn3", "vni")
_SHARE = 0.6  # the share of evidence an encoding needs (see ``_score``)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _is_letter(ch: str) -> bool:
    return ch.isalpha() or unicodedata.category(ch).startswith("M")


def _legacy_chars(encoding: LegacyEncoding) -> frozenset[str]:
    return frozenset(t.TCVN3) if encoding == "tcvn3" else t.VNI_CHARS


_LEGACY_CHARS = {encoding: _legacy_chars(encoding) for encoding in _ENCODINGS}


@dataclass(frozen=True)
class _Word:
    original: str  # the characters as they are in the text
    legacy: str  # the same, as the legacy font's bytes (Latin-1 characters)


def _segments(text: str, encoding: LegacyEncoding) -> list[str | _Word]:
    """The text cut into words (runs of letters, as they are or in ``encoding``) and the rest."""
    letters = _LEGACY_CHARS[encoding]
    out: list[str | _Word] = []
    original: list[str] = []
    legacy: list[str] = []

    def flush() -> None:
        if original:
            out.append(_Word("".join(original), "".join(legacy)))
            original.clear()
            legacy.clear()

    for ch in text:
        as_byte = t.BYTE_OF.get(ch)
        if _is_letter(ch) or (as_byte is not None and as_byte in letters):
            original.append(ch)
            legacy.append(as_byte if as_byte is not None else ch)
        else:
            flush()
            out.append(ch)
    flush()
    return out


# ---------------------------------------------------------------- reading one word
def _read_vni(word: _Word) -> str:
    out: list[str] = []
    i, leg, orig = 0, word.legacy, word.original
    while i < len(leg):
        pair = leg[i : i + 2]
        if len(pair) == 2 and pair[0] in t.VNI_BASES and pair in t.VNI:
            out.append(t.VNI[pair])
            i += 2
        elif leg[i] in t.VNI and ord(leg[i]) > 0x7F:
            out.append(t.VNI[leg[i]])
            i += 1
        else:
            out.append(orig[i])
            i += 1
    return "".join(out)


def _case(ch: str) -> Literal["upper", "lower"] | None:
    """The case a TCVN3 character has (None: a toned letter, which stands for both)."""
    if ch in t.TCVN3_CASELESS:
        return None
    letter = t.TCVN3.get(ch, ch)
    if letter.isupper():
        return "upper"
    return "lower" if letter.islower() else None


@dataclass(frozen=True)
class _Style:
    """How the words of a TCVN3 text are cased, for its toned letters (which have no case)."""

    title: bool  # every word whose first letter has a case starts with a capital
    upper: bool  # no word has a small letter, and some word has two capitals


def _style(words: list[_Word]) -> _Style:
    cases = [[_case(ch) for ch in w.legacy] for w in words]
    firsts = [word[0] for word in cases if word[0] is not None]
    upper = all("lower" not in word for word in cases) and any(
        word.count("upper") >= 2 for word in cases
    )
    return _Style(title=bool(firsts) and all(case == "upper" for case in firsts), upper=upper)


def _read_tcvn3(word: _Word, style: _Style) -> str:
    cases = [_case(ch) for ch in word.legacy]
    if all(case is None for case in cases):
        capitals = style.upper or style.title
    else:
        capitals = "lower" not in cases and (
            cases.count("upper") >= 2 or cases[0] is None or style.upper
        )
    out: list[str] = []
    for i, (leg, orig) in enumerate(zip(word.legacy, word.original, strict=True)):
        letter = t.TCVN3.get(leg)
        if letter is None:
            out.append(orig)
        elif leg in t.TCVN3_CASELESS and (capitals or (style.title and i == 0)):
            out.append(letter.upper())
        else:
            out.append(letter)
    return "".join(out)


def _readings(text: str, encoding: LegacyEncoding) -> list[tuple[str | _Word, str]]:
    """Each segment of the text with its reading in ``encoding``."""
    segments = _segments(text, encoding)
    if encoding == "vni":
        return [(s, s if isinstance(s, str) else _read_vni(s)) for s in segments]
    style = _style([s for s in segments if isinstance(s, _Word)])
    return [(s, s if isinstance(s, str) else _read_tcvn3(s, style)) for s in segments]


# ---------------------------------------------------------------- syllables
def _is_syllable(word: str) -> bool:
    """``word`` (NFC) is one Vietnamese syllable: initial, rhyme and a tone it can have."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [ch for ch in decomposed if ch in t.TONES]
    if len(tones) > 1:
        return False
    bare = _nfc("".join(ch for ch in decomposed if ch not in t.TONES))
    if not bare or any(ch not in t.LETTERS for ch in bare):
        return False
    match = t.SYLLABLE.fullmatch(bare)
    if match is None:
        return False
    if tones and match.group(1).endswith(t.STOP_FINALS):
        return tones[0] in t.STOP_TONES
    return not match.group(1).endswith(t.STOP_FINALS)


# ---------------------------------------------------------------- detection
def _outside(text: str) -> bool:
    """A letter of ``text`` that no legacy text has (e.g. "ễ"): it is Unicode."""
    return any(_is_letter(ch) and ch not in t.BYTE_OF for ch in text)


def _score(text: str, encoding: LegacyEncoding) -> tuple[float, int, int]:
    """The share of evidence for ``encoding`` among the words that are evidence or valid neither
    way (0 when none is evidence or one counts against it), the evidence, and the words whose
    reading differs and is a frequent syllable (``legacy_tables.COMMON``; breaks ties)."""
    evidence = against = neither = common = 0
    for segment, reading in _readings(text, encoding):
        if isinstance(segment, str):
            continue
        as_is, legacy = _nfc(segment.original), _nfc(reading)
        legacy_ok, unicode_ok = _is_syllable(legacy), _is_syllable(as_is)
        if legacy == as_is:  # no evidence; but an odd word left as it is speaks against
            neither += not (as_is.isascii() or unicode_ok)
            continue
        common += legacy.lower() in t.COMMON
        if legacy_ok and not unicode_ok:
            evidence += 1
        elif unicode_ok and not legacy_ok:
            against += 1
        elif not legacy_ok:
            neither += 1
    share = 0.0 if evidence == 0 or against else evidence / (evidence + neither)
    return share, evidence, common


def detect(text: str) -> LegacyEncoding | None:
    """The legacy encoding ``text`` is written in, or None for Unicode (or plain ASCII) text."""
    if text.isascii() or _outside(text):
        return None
    (best, encoding), (second, _other) = sorted(
        ((_score(text, e), e) for e in _ENCODINGS), reverse=True
    )
    return encoding if best[0] >= _SHARE and best > second else None


def to_unicode(text: str, encoding: LegacyEncoding) -> str:
    """``text`` converted to Unicode, NFC."""
    return _nfc("".join(reading for _segment, reading in _readings(text, encoding)))


def normalise(text: str) -> tuple[str, LegacyEncoding | None]:
    """NFC Unicode text, converting legacy text when detected confidently: (text, what it was)."""
    encoding = detect(text)
    if encoding is None:
        return _nfc(text), None
    return to_unicode(text, encoding), encoding


# ---------------------------------------------------------------- CSV bytes
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16LE"),
    (b"\xfe\xff", "utf-16-be", "UTF-16BE"),
)


def _refuse(data: bytes, codec: str, start: int, why: str) -> UnicodeDecodeError:
    return UnicodeDecodeError(codec, data, start, start + 1, why)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """A CSV file's bytes as text and the name of the encoding found: UTF-8 (with or without BOM),
    UTF-16 with BOM, else Windows-1258 (Vietnamese) when valid, else raise UnicodeDecodeError
    with a clear message. (Legacy TCVN3/VNI text inside is handled by normalise afterwards.)

    The text is returned as decoded, not normalised: Windows-1258 writes tones as combining
    marks, and ``normalise`` reads legacy text from the characters exactly as they came."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), f"{name} (BOM)"
            except UnicodeDecodeError as error:
                why = f"the file starts with a {name} byte order mark but is not valid {name}"
                raise _refuse(data, codec, len(bom) + error.start, why) from None
    if b"\x00" in data:
        why = "a NUL byte: UTF-16 without its byte order mark, or not text; save as CSV UTF-8"
        raise _refuse(data, "windows-1258", data.index(b"\x00"), why)
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), "Windows-1258"
    except UnicodeDecodeError as error:
        why = "neither UTF-8, UTF-16 with BOM nor Windows-1258; save the file as CSV UTF-8"
        raise _refuse(data, "windows-1258", error.start, why) from None
