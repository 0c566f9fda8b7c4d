"""Money for contracts: exact Decimal amounts, amounts written in free text, and 大写金额.

Owns `to_capital` (62000 -> 人民币陆万贰仟元整, following the banking rules for
零, 角/分 and 元整), its inverse `parse_capital`, and `parse_amount`, which reads
what people write (3000元, 3,000.50, 8.75万元, 二十万元, 叁仟伍佰元, 6万8千元, 4万5, 5万块钱) into a Decimal.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..numerals import cn_to_int

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # below 一万亿: 大写 up to 玖仟玖佰玖拾玖亿…
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("仟", "佰", "拾", "")
_GROUP_UNITS = ("亿", "万", "")
PREFIX = "人民币"


def quantize(value: Decimal) -> Decimal:
    """Round half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _group(n: int) -> str:
    """0 < n < 10000 -> 壹仟零伍 (a zero between digits is written once, trailing zeros never)."""
    out, zero = [], False
    for i, d in enumerate(f"{n:04d}"):
        if d == "0":
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[int(d)] + _SMALL_UNITS[i])
    return "".join(out)


def integer_capital(n: int) -> str:
    """The integer part in capital numerals: 100100 -> 壹拾万零壹佰."""
    if n == 0:
        return "零"
    groups = (n // 10**8, n // 10**4 % 10**4, n % 10**4)
    out, skipped = "", False
    for g, unit in zip(groups, _GROUP_UNITS):
        if g == 0:
            skipped = skipped or bool(out)
            continue
        if out and (skipped or g < 1000):
            out += "零"
        out += _group(g) + unit
        skipped = False
    return out


def to_capital(amount: Decimal | int | str, prefix: str = PREFIX) -> str:
    """Decimal amount -> 人民币陆万贰仟元整 / 人民币壹仟陆佰捌拾元零叁角贰分 / 人民币伍角."""
    value = quantize(Decimal(str(amount)))
    if value < 0 or value > MAX_AMOUNT:
        raise ValueError(f"amount out of range: {amount}")
    cents = int(value * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return prefix + "零元整"
    head = integer_capital(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return prefix + head + "整"
    tail = ""
    if jiao:
        tail = _DIGITS[jiao] + "角"
        if yuan and yuan % 10 == 0:  # 壹仟陆佰捌拾元零叁角
            tail = "零" + tail
    elif yuan:  # 角 is 0, 分 is not: 元 is followed by 零
        tail = "零"
    if fen:
        tail += _DIGITS[fen] + "分"
    return prefix + head + tail


def _parse_section(text: str) -> int:
    """'壹仟零伍' (below 一万) -> 1005."""
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS.index(ch)
        elif ch in "仟佰拾":
            total += (digit or (1 if ch == "拾" and total == 0 else 0)) * {"仟": 1000, "佰": 100, "拾": 10}[
                ch
            ]
            digit = 0
        else:
            raise ValueError(f"not a capital numeral: {ch!r}")
    return total + digit


def _parse_integer(text: str) -> int:
    value = 0
    for unit, mult in (("亿", 10**8), ("万", 10**4)):
        if unit in text:
            head, text = text.split(unit, 1)
            value += _parse_section(head) * mult
    return value + _parse_section(text)


def parse_capital(text: str) -> Decimal:
    """Inverse of `to_capital`: 人民币壹仟陆佰捌拾元零叁角贰分 -> Decimal('1680.32')."""
    s = text.strip().removeprefix(PREFIX).removesuffix("整").removesuffix("正")
    m = re.fullmatch(r"(?:(?P<yuan>[^元角分]+)元)?零?(?:(?P<jiao>[壹贰叁肆伍陆柒捌玖])角)?"
                     r"(?:(?P<fen>[壹贰叁肆伍陆柒捌玖])分)?", s)
    if not m or not s:
        raise ValueError(f"not a capital amount: {text!r}")
    yuan = _parse_integer(m.group("yuan")) if m.group("yuan") else 0
    jiao = _DIGITS.index(m.group("jiao")) if m.group("jiao") else 0
    fen = _DIGITS.index(m.group("fen")) if m.group("fen") else 0
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


# --- amounts in free text --------------------------------------------------------------
CN_NUM = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
# Arabic digits with magnitudes between them, as people say amounts: 6万8千 / 4万5 (= 4万5千) / 1万2 /
# 10万5000
MIXED = r"\d+(?:[亿万千百]\d+)+[千百十]?"
# a number as people write it: 3000 / 3,000.50 / 8.75 / 二十 / 叁仟伍佰 / 6万8千; never the tail of a
# longer one
NUMBER = rf"(?<![\d.]){MIXED}|(?<![\d.])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|[{CN_NUM}]+"
# an amount: optional 人民币/￥, a number, optional 万/亿, then 元/块 (or 万元); 3块5 is 3.5 元
AMOUNT = (rf"(?:人民币|￥|¥|RMB)?\s*(?P<num>{NUMBER})\s*(?P<mult>万|亿|(?<=\d)千|(?<=\d)百)?\s*"
          rf"(?:元|块(?:钱)?(?P<jiao>[1-9一二三四五六七八九](?![\d万千百十元块个]))?)")
AMOUNT_RE = re.compile(AMOUNT)


def parse_number(text: str) -> Decimal:
    """'3,000.50' / '二十' / '一万五千' / '两' -> Decimal; ValueError when it is not a number."""
    s = text.strip().replace(",", "").replace("，", "")
    if not s:
        raise ValueError("empty number")
    try:
        return Decimal(s) if re.fullmatch(r"\d+(?:\.\d+)?", s) else Decimal(_cn_integer(s))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a number: {text!r}") from None


_ELLIPTIC = re.compile(r"^(.*[\d一二两三四五六七八九十])(万|千|百)([\d一二两三四五六七八九])$")
_NEXT_UNIT = {"万": "千", "千": "百", "百": "十"}


def _cn_integer(s: str) -> int:
    s = s.translate(str.maketrans("壹贰叁肆伍陆柒捌玖拾佰仟〇", "一二三四五六七八九十百千零"))
    if m := _ELLIPTIC.match(s):  # 一万二 = 一万二千, 三千五 = 三千五百, 两百五 = 两百五十, 4万5 = 4万5千
        s += _NEXT_UNIT[m.group(2)]
    if "亿" in s:
        high, low = s.split("亿", 1)
        return cn_to_int(high) * 10**8 + (cn_to_int(low.lstrip("零")) if low.strip("零") else 0)
    return cn_to_int(s)


def parse_amount(text: str) -> Decimal:
    """'8.75万元' -> 87500.00; '人民币3,000元' -> 3000.00; a bare number is taken as 元."""
    s = text.strip()
    m = AMOUNT_RE.fullmatch(s) or re.fullmatch(
        rf"(?:人民币|￥|¥|RMB)?\s*(?P<num>{NUMBER})\s*(?P<mult>万|亿|(?<=\d)千|(?<=\d)百)?(?:元|块)?", s)
    if not m:
        raise ValueError(f"not an amount: {text!r}")
    value = parse_number(m.group("num"))
    value *= {"万": 10**4, "亿": 10**8, "千": 10**3, "百": 10**2}.get(m.group("mult") or "", 1)
    if m.groupdict().get("jiao"):
        value += parse_number(m.group("jiao")) / 10
    return quantize(value)


def format_amount(value: Decimal) -> str:
    """62000 -> '62,000.00' (the Arabic form written next to the capital one)."""
    return f"{quantize(value):,.2f}"


def format_number(value: Decimal) -> str:
    """Decimal without trailing zeros: 10.0 -> '10', 2.50 -> '2.5'."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
