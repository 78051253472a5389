"""The tables behind ``legacy``: TCVN3 (ABC) and VNI-Windows letters, the bytes a legacy
font's text arrives as, and the shape of a Vietnamese syllable.

Every table is written with the legacy *byte* as a Latin-1 character (``"\\xb8"`` is byte 0xB8):
that is how an ``.xlsx`` written with a legacy font holds it (Windows-1252 shows the bytes as
Latin-1 letters), and ``legacy_form`` maps the Windows-1252 and Windows-1258 readings of a
CSV's bytes back to the same characters.

Sources (cross-checked against each other):

- TCVN3: TCVN 5712:1993, table VN3 (the ABC fonts); UniKey's VnConv tables
  (``unikey/data.cpp``, Pham Kim Long, as kept in fcitx/fcitx5-unikey), where a toned capital
  has the code of its small letter; xvnkb's ``tcvn.h`` (Dao Hai Lam); XFree86's
  ``lcUniConv/tcvn.h`` for the full TCVN 5712 (VN1) table.
- VNI-Windows: xvnkb's ``vni.h``; duydev/vietnamese-conversion ``src/charsets.ts``; UniKey's
  VNI-WIN table (base letter + a mark character, case from the base letter).
"""

from __future__ import annotations

import re
import unicodedata

# The five tones as combining marks, in the order the tables below list them.
ACUTE, GRAVE, HOOK, TILDE, DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
TONES = (ACUTE, GRAVE, HOOK, TILDE, DOT)
STOP_TONES = frozenset({ACUTE, DOT})  # the only tones of a syllable ending in p, t, c, ch

# ---------------------------------------------------------------- TCVN3 (VN3, the ABC fonts)
# Small letters, vowel by vowel, tones grave, hook, tilde, acute, dot (the VN3 byte order).
_TCVN3_SMALL_UNI = "ăâêôơưđ" + "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
_TCVN3_SMALL_LEG = (
    "\xa8\xa9\xaa\xab\xac\xad\xae"
    "\xb5\xb6\xb7\xb8\xb9\xbb\xbc\xbd\xbe\xc6\xc7\xc8\xc9\xca\xcb"
    "\xcc\xce\xcf\xd0\xd1\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xdc\xdd\xde"
    "\xdf\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xeb\xec\xed\xee"
    "\xef\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe"
)
# The seven capitals VN3 has: the letters whose shape differs from ASCII, without a tone.
_TCVN3_CAPITAL_UNI = "ĂÂÊÔƠƯĐ"
_TCVN3_CAPITAL_LEG = "\xa1\xa2\xa3\xa4\xa5\xa6\xa7"

#: legacy character -> Unicode letter. The 60 toned letters map to small letters: VN3 has no
#: toned capitals (the ``.VnTimeH`` fonts draw the small codes as capitals), so ``legacy``
#: restores their case from the word around them.
TCVN3: dict[str, str] = dict(
    zip(
        _TCVN3_SMALL_LEG + _TCVN3_CAPITAL_LEG,
        _TCVN3_SMALL_UNI + _TCVN3_CAPITAL_UNI,
        strict=True,
    )
)
#: the toned small letters, which stand for capitals too.
TCVN3_CASELESS = frozenset(_TCVN3_SMALL_LEG[7:])

# ---------------------------------------------------------------- VNI-Windows
# A tone is a mark character after the base letter (small marks; capitals are .upper()).
_VNI_TONE_MARKS = dict(zip(TONES, "\xf9\xf8\xfb\xf5\xef", strict=True))  # ù ø û õ ï
# Circumflex (â ê ô) and breve (ă): one mark character for the shape and the tone together.
_VNI_CIRCUMFLEX = dict(zip(("", *TONES), "\xe2\xe1\xe0\xe5\xe3\xe4", strict=True))
_VNI_BREVE = dict(zip(("", *TONES), "\xea\xe9\xe8\xfa\xfc\xeb", strict=True))
# Letters that are one character: ơ ư đ, i with its tones, and ỵ.
_VNI_SINGLE_SMALL = {
    "\xf4": "ơ",
    "\xf6": "ư",
    "\xf1": "đ",
    "\xed": "í",
    "\xec": "ì",
    "\xe6": "ỉ",
    "\xf3": "ĩ",
    "\xf2": "ị",
    "\xee": "ỵ",
}


def _compose(base: str, *marks: str) -> str:
    return unicodedata.normalize("NFC", base + "".join(marks))


def _vni_small() -> dict[str, str]:
    table = dict(_VNI_SINGLE_SMALL)
    for base in "aeouy":
        for tone, mark in _VNI_TONE_MARKS.items():
            table[base + mark] = _compose(base, tone)
    for base in "aeo":
        for tone, mark in _VNI_CIRCUMFLEX.items():
            table[base + mark] = _compose(base, "\u0302", tone)
    for tone, mark in _VNI_BREVE.items():
        table["a" + mark] = _compose("a", "\u0306", tone)
    for base, letter in (("\xf4", "ơ"), ("\xf6", "ư")):
        for tone, mark in _VNI_TONE_MARKS.items():
            table[base + mark] = _compose(letter, tone)
    return table


#: small legacy sequence (one or two characters) -> small Unicode letter. A capital is the
#: sequence's ``.upper()`` (Latin-1's capitals are VNI's); its case is the base letter's.
VNI_SMALL: dict[str, str] = _vni_small()
#: every legacy sequence, small and capital, the capital's mark also accepted in small.
VNI: dict[str, str] = {
    **VNI_SMALL,
    **{seq.upper(): uni.upper() for seq, uni in VNI_SMALL.items()},
    **{seq[0].upper() + seq[1:]: uni.upper() for seq, uni in VNI_SMALL.items() if len(seq) == 2},
    "y\xef": "ỵ",  # ỵ is î; y + dot-below mark draws the same
}
VNI_BASES = frozenset("aeouyAEOUY\xf4\xf6\xd4\xd6")
VNI_CHARS = frozenset(ch for seq in VNI for ch in seq if ord(ch) > 0x7F)


# ---------------------------------------------------------------- bytes as characters
def _byte_of() -> dict[str, str]:
    """Each character a legacy byte can arrive as -> that byte as a Latin-1 character."""
    found = {chr(b): chr(b) for b in range(256)}
    for codec in ("cp1252", "cp1258"):
        for b in range(0x80, 0x100):
            try:
                ch = bytes([b]).decode(codec)
            except UnicodeDecodeError:
                continue
            assert found.get(ch, chr(b)) == chr(b), (codec, b)
            found[ch] = chr(b)
    return found


BYTE_OF: dict[str, str] = _byte_of()

# ---------------------------------------------------------------- syllables
LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")
_INITIAL_TEXT = "ngh ng nh ch gh gi kh ph qu th tr b c d đ g h k l m n p q r s t v x"
# Rhymes without tone; q takes a rhyme in u (quỳnh: q + uynh), qu any other (quốc).
_RHYME_TEXT = """
a ac ach ai am an ang anh ao ap at au ay ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây e ec em en eng eo ep et ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
o oc oi om on ong op ot ooc oong ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
oa oac oach oai oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet
u uc ui um un ung up ut ua uôc uôi uôm uôn uông uôt uơ
uâc uân uâng uât uây uê uêch uênh uy uych uya uyên uyêt uynh uyp uyt uyu
ua uai uan uang uanh uao uat uac uach uay uăc uăm uăn uăng uăp uăt ue uen ueo uet
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêng yêt yêu
"""
_RHYMES = sorted(set(_RHYME_TEXT.split()), key=len, reverse=True)
#: initial (optional) and rhyme (group 1) of a syllable without its tone.
SYLLABLE = re.compile("(?:" + "|".join(_INITIAL_TEXT.split()) + ")?(" + "|".join(_RHYMES) + ")")
STOP_FINALS = ("p", "t", "c", "ch")

#: Frequent syllables of names, places and a party board's words: only to break a tie between
#: two readings that are both valid (VNI "THÒ" is "THỊ", TCVN3 reads "THỀ").
_COMMON_TEXT = """
    nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý trịnh đinh đào
    mai cao lương lâm tạ hà văn thị hữu đức minh thanh ngọc xuân quốc bảo gia kim thế công
    anh ánh ân bình châu chi cường dũng đạt hải hạnh hiền hùng hương khoa lan linh long nam
    nga ngân nhung oanh phúc phương quân quỳnh sơn tâm thảo thắng thủy trang trí trung tuấn
    uyên vân việt yến ý ấn ứng ước khuê nguyệt tường loan huệ tuyết ngoạn khiêm hiếu hòa hoà
    thành phố tỉnh huyện quận xã phường thị trấn thôn ấp bản tổ chi bộ đảng ủy đoàn viên
    trường đại học hội đồng nhân dân ban công an quân sự đông tây bắc sơn giang hưng yên
    hải phòng nội đà nẵng cần thơ huế nghệ tĩnh thái nguyên lạng cao bằng lào cai điện
    biên hòa kết nạp ngày tháng năm số lớp trưởng phó bí thư ông bà
"""
COMMON = frozenset(_COMMON_TEXT.split())
