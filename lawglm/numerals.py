"""Chinese numerals: 第一千二百五十四条 <-> 1254, article-number labels, and dates.

Owns the conversion between Chinese numerals (with 两, 〇/零, leading 十 forms, 万/亿,
mixed Arabic-Chinese 1千零八十九 and spoken short forms 一万二) and integers — one pass over
at most MAX_NUMERAL_LEN characters, NumeralError (a ValueError) for anything else — parsing
and formatting of article labels such as 「第一百二十条之一」, and dates written 二〇二三年十二月二十九日 /
2023年12月29日 /
2023-12-29.
"""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
          "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}
NUMERAL_CHARS = "".join(DIGITS) + "".join(UNITS) + "".join(BIG_UNITS)
# a number as it appears in an article reference: Arabic, full-width, Chinese, or mixed (1千零八十九)
NUMBER_PATTERN = rf"[0-9０-９{NUMERAL_CHARS}]+"
# the longest numeral read (九千九百九十九亿九千九百九十九万九千九百九十九 is 23 characters): a longer run
# is rejected before any arithmetic, so parsing costs O(MAX_NUMERAL_LEN) whatever the input
MAX_NUMERAL_LEN = 32
MAX_VALUE = 10**16 - 1  # what int_to_cn writes (up to 九千九百九十九万…亿…)

_CN_DIGITS = "零一二三四五六七八九"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


class NumeralError(ValueError):
    """A numeral that cannot be read (malformed, or longer than MAX_NUMERAL_LEN)."""


def _tokens(s: str) -> list[tuple[str, int]]:
    """('d', value) for a Chinese digit or a run of Arabic digits, ('u', 10|100|1000), ('b', 10^4|10^8)."""
    out: list[tuple[str, int]] = []
    for m in re.finditer(r"[0-9]+|.", s):
        t = m.group(0)
        if t.isascii() and t.isdigit():
            out.append(("a", int(t)))
        elif t in DIGITS:
            out.append(("d", DIGITS[t]))
        elif t in UNITS:
            out.append(("u", UNITS[t]))
        elif t in BIG_UNITS:
            out.append(("b", BIG_UNITS[t]))
        else:
            raise NumeralError(f"not a Chinese numeral: {s!r}")
    return out


def cn_to_int(text: str) -> int:
    """Parse a Chinese, Arabic, full-width or mixed (1千零八十九, 10万) numeral; NumeralError if malformed.

    One pass over at most MAX_NUMERAL_LEN characters. Spoken short forms read as people mean them:
    一百一 = 110, 三千五 = 3500, 一万二 = 12000 (a digit right after a unit, with no 零 between).
    """
    s = text.strip()
    if not s:
        raise NumeralError("empty numeral")
    if len(s) > MAX_NUMERAL_LEN:
        raise NumeralError(f"numeral too long ({len(s)} characters; at most {MAX_NUMERAL_LEN})")
    s = s.translate(_FULL_WIDTH)
    if s.isascii() and s.isdigit():
        return int(s)
    if len(s) > 1 and all(ch in DIGITS for ch in s):  # digit-by-digit form: 一〇五, 二〇二三
        return int("".join(str(DIGITS[ch]) for ch in s))
    return _read_units(_tokens(s), text)


def _read_units(tokens: list[tuple[str, int]], text: str) -> int:
    """Sections below 万 (units strictly falling), at most one 万 per 亿 group, at most one 亿."""
    def bad() -> NumeralError:
        return NumeralError(f"malformed Chinese numeral: {text!r}")

    result = group = section = 0
    digit: int | None = None
    last_unit, wan = 10**4, False
    prev_unit = 0  # the unit token right before the pending digit (0: none, or a 零 / a start came first)

    def close() -> int:  # the pending digit: 一百一 -> 10 (spoken short form), 一百零一 -> 1
        if digit is None:
            return 0
        return digit * (prev_unit // 10) if prev_unit else digit

    unit_before = 0
    for kind, value in tokens:
        if kind in ("d", "a"):
            if digit or value >= last_unit:  # 三五十, 三十七一 (only 零 may come first), 1千5000
                raise bad()
            prev_unit = unit_before if (digit is None and kind == "d") else 0
            digit, unit_before = value, 0
        elif kind == "u":
            if value >= last_unit or (digit or 0) > 9 or (not digit and value != 10):
                raise bad()  # 一百二千, 12千, 百 with no digit (only 十 stands alone)
            section += (digit or 1) * value
            digit, last_unit, unit_before = None, value, value
        else:
            amount = group + section + close() if value == 10**8 else section + close()
            if amount == 0 or (value == 10**4 and (wan or amount >= 10**4)) or amount >= 10**8 or \
                    (value == 10**8 and result):
                raise bad()  # 万 / 亿 with nothing before, 一万万, 一亿二亿
            if value == 10**4:
                group, wan = amount * 10**4, True
            else:
                result, group, wan = amount * 10**8, 0, False
            section, digit, last_unit, unit_before = 0, None, 10**4, value
    return result + group + section + close()


def _section_cn(n: int) -> str:
    """0 < n < 10000 in full form (一十 kept): 1010 -> 一千零一十."""
    out, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_CN_DIGITS[d] + unit)
    return "".join(out)


def _full_cn(n: int) -> str:
    """0 < n <= MAX_VALUE with 一十 kept: groups of 亿 / 万 / units, one 零 for each gap."""
    groups = ((n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, ""))
    out, gap = "", False
    for g, unit in groups:
        if g == 0:
            gap = gap or bool(out)
            continue
        if out and (gap or g < 1000):
            out += "零"
        out += (_full_cn(g) if g >= 10**4 else _section_cn(g)) + unit
        gap = False
    return out


def int_to_cn(n: int) -> str:
    """Format a non-negative integer up to MAX_VALUE the way statutes write it (1254 -> 一千二百五十四)."""
    if n < 0 or n > MAX_VALUE:
        raise NumeralError(f"out of range: {n}")
    if n == 0:
        return "零"
    out = _full_cn(n)
    return out[1:] if out.startswith("一十") else out


_LABEL_RE = re.compile(rf"^第?\s*({NUMBER_PATTERN})\s*条?(?:之({NUMBER_PATTERN}))?$")


def parse_article_no(text: str | int) -> tuple[int, int]:
    """'第一百二十条之一' -> (120, 1); '1254' -> (1254, 0). Raises ValueError when malformed."""
    if isinstance(text, int):
        if text <= 0:
            raise ValueError(f"article number must be positive: {text}")
        return text, 0
    m = _LABEL_RE.match(text.strip())
    if not m:
        raise ValueError(f"malformed article number: {text!r}")
    number = cn_to_int(m.group(1))
    sub = cn_to_int(m.group(2)) if m.group(2) else 0
    if number <= 0:
        raise ValueError(f"article number must be positive: {text!r}")
    return number, sub


def article_label(number: int, sub: int = 0) -> str:
    """(120, 1) -> '第一百二十条之一'; a number beyond int_to_cn's range keeps its Arabic digits."""
    def cn(n: int) -> str:
        return int_to_cn(n) if 0 <= n <= MAX_VALUE else str(n)

    return f"第{cn(number)}条" + (f"之{cn(sub)}" if sub else "")


# a date as statutes and contracts write it: 二〇二三年十二月二十九日, 2023年12月29日, 2023-12-29
DATE_PATTERN = (
    r"(?P<y>[0-9０-９]{4}|[〇零○一二三四五六七八九]{4})\s*年\s*(?P<m>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]"
    r"|(?P<y2>\d{4})[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})"
)
DATE_RE = re.compile(DATE_PATTERN)


def date_iso(match: re.Match) -> str | None:
    """YYYY-MM-DD for a DATE_RE match (ranges not checked: callers decide what is plausible); None if
    garbled."""
    y, m, d = match.group("y2", "m2", "d2") if match.group("y2") else match.group("y", "m", "d")
    try:
        return f"{cn_to_int(y):04d}-{cn_to_int(m):02d}-{cn_to_int(d):02d}"
    except ValueError:
        return None
