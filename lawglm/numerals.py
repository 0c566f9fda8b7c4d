"""Chinese numerals: 第一千二百五十四条 <-> 1254, article-number labels, and dates.

Owns the conversion between Chinese numerals (with 两, 〇/零, leading 十 forms)
and integers, parsing and formatting of article labels such as
「第一百二十条之一」, and dates written 二〇二三年十二月二十九日 / 2023年12月29日 / 2023-12-29.
"""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
          "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}
NUMERAL_CHARS = "".join(DIGITS) + "".join(UNITS) + "".join(BIG_UNITS)
# a number as it appears in an article reference: Arabic, full-width or Chinese
NUMBER_PATTERN = rf"[0-9０-９]+|[{NUMERAL_CHARS}]+"

_CN_DIGITS = "零一二三四五六七八九"


def cn_to_int(text: str) -> int:
    """Parse a Chinese (or Arabic, or full-width) numeral; raise ValueError if malformed."""
    s = text.strip()
    if not s:
        raise ValueError("empty numeral")
    s = s.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if s.isdigit():
        return int(s)
    if any(ch not in DIGITS and ch not in UNITS and ch not in BIG_UNITS for ch in s):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if all(ch in DIGITS for ch in s) and len(s) > 1:  # digit-by-digit form: 一〇五
        return int("".join(str(DIGITS[ch]) for ch in s))
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in DIGITS:
            if digit is not None and DIGITS[ch] != 0 and digit != 0:
                raise ValueError(f"malformed Chinese numeral: {text!r}")
            digit = DIGITS[ch]
        elif ch in UNITS:
            unit = UNITS[ch]
            section += (digit or 1) * unit  # 十 / 零十 (a unit with no digit before it) count once
            digit = None
        else:  # 万 / 亿
            section += digit or 0
            total = (total + section) * BIG_UNITS[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


def int_to_cn(n: int) -> str:
    """Format a non-negative integer below 10^8 the way statutes write it (1254 -> 一千二百五十四)."""
    if n < 0 or n >= 100_000_000:
        raise ValueError(f"out of range: {n}")
    if n == 0:
        return "零"
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        low_cn = int_to_cn(low) if low else ""
        rest = ("零一" + low_cn if low_cn.startswith("十") else "零" + low_cn) if 0 < low < 1000 else low_cn
        return int_to_cn(high) + "万" + rest
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
    result = "".join(out)
    return result[1:] if result.startswith("一十") else result


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
    """(120, 1) -> '第一百二十条之一'."""
    return f"第{int_to_cn(number)}条" + (f"之{int_to_cn(sub)}" if sub else "")


# a date as statutes and contracts write it: 二〇二三年十二月二十九日, 2023年12月29日, 2023-12-29
DATE_PATTERN = (r"(?P<y>[0-9０-９]{4}|[〇零○一二三四五六七八九]{4})\s*年\s*(?P<m>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*月"
                r"\s*(?P<d>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]"
                r"|(?P<y2>\d{4})[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})")
DATE_RE = re.compile(DATE_PATTERN)


def date_iso(match: re.Match) -> str | None:
    """YYYY-MM-DD for a DATE_RE match (ranges not checked: callers decide what is plausible); None if garbled."""
    y, m, d = match.group("y2", "m2", "d2") if match.group("y2") else match.group("y", "m", "d")
    try:
        return f"{cn_to_int(y):04d}-{cn_to_int(m):02d}-{cn_to_int(d):02d}"
    except ValueError:
        return None
