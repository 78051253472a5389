"""Vietnamese text compared as people type it: without diacritics, case or extra spaces.

"nguyen thi mai" finds "Nguyễn Thị Mai", "DANG UY" finds "Đảng ủy": letters are decomposed
(NFD), their combining marks dropped, đ read as d, and the result lower-cased with runs of
white space made one.
"""

from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """``text`` without diacritics or case, white space collapsed (for matching only)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def matches(query: str, *texts: str) -> bool:
    """Whether every word of ``query`` appears (folded) in one of ``texts`` together."""
    haystack = " ".join(folded(t) for t in texts)
    return all(word in haystack for word in folded(query).split())
