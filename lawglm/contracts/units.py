"""Units of measure as people write them: 面积 (120平 / 120㎡ / 一百二十平方米), 重量 (5吨 / 5000公斤 /
3000斤),
体积 (5方 / 5立方), 时长 (40个小时 / 40h), periods (3个月 / 一年 / 两个季度), and counting words (台, 件, 箱).

Owns `canonical(word)` (the unit a written form stands for: 平米 -> 平方米, 个小时 -> 小时, 千克 -> 公斤),
`convert(value, from_unit, to_unit)` (exact conversions within one dimension only: 5000公斤 -> 5吨, 一年 ->
12个月;
None between dimensions or for units without a fixed ratio), and `QUANTITY_RE` / `quantity_in(text, unit)`,
which read a quantity in a field's unit from free text. Used by number fields with a `unit`, rate fields
(`per`) and derived rate × quantity amounts.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .money import parse_number

# canonical unit: (dimension, size in the dimension's base unit, written forms)
UNITS: dict[str, tuple[str, Decimal, tuple[str, ...]]] = {
    "平方米": ("面积", Decimal(1), ("平方米", "平米", "平方", "㎡", "m²", "m2", "平")),
    "公顷": ("面积", Decimal(10000), ("公顷",)),
    "亩": ("亩", Decimal(1), ("亩",)),  # 2000/3 平方米: no exact ratio, its own dimension
    "吨": ("重量", Decimal(1000), ("吨", "t")),
    "公斤": ("重量", Decimal(1), ("公斤", "千克", "kg", "KG", "Kg")),
    "斤": ("重量", Decimal("0.5"), ("斤", "市斤")),
    "克": ("重量", Decimal("0.001"), ("克",)),
    "立方米": ("体积", Decimal(1), ("立方米", "立方", "方", "m³", "m3")),
    "升": ("体积", Decimal("0.001"), ("升",)),
    "小时": ("时长", Decimal(60), ("小时", "个小时", "钟头", "个钟头", "h")),
    "分钟": ("时长", Decimal(1), ("分钟",)),
    "日": ("天数", Decimal(1), ("日", "天", "自然日", "个自然日")),
    "周": ("天数", Decimal(7), ("周", "星期", "个星期")),
    "月": ("月数", Decimal(1), ("月", "个月")),
    "季度": ("月数", Decimal(3), ("季度", "个季度", "季")),
    "年": ("月数", Decimal(12), ("年", "年度")),
    "公里": ("长度", Decimal(1000), ("公里", "千米", "km")),
    "米": ("长度", Decimal(1), ("米", "m")),
}
# counting words: their own dimension each (a rate per 台 multiplies only a quantity in 台)
COUNTERS = (
    "台",
    "件",
    "个",
    "套",
    "张",
    "把",
    "箱",
    "辆",
    "部",
    "只",
    "组",
    "瓶",
    "袋",
    "包",
    "盒",
    "桶",
    "条",
    "双",
    "车",
    "趟",
    "次",
    "票",
    "人",
    "间",
    "户",
    "份",
    "本",
    "卷",
    "头",
    "株",
    "棵",
    "块",
    "位",
    "名",
    "课时",
    "节",
    "场",
)
_FORMS = {w: unit for unit, (_, _, forms) in UNITS.items() for w in forms} | {w: w for w in COUNTERS}
# longest first; a Latin form only when no letter follows it (5t, not 5tons), 平 not in 平均 / 平台
UNIT_WORD = "|".join(
    re.escape(w) + ("(?![A-Za-z])" if w.isascii() else "(?!均|台|方|衡|等|安)" if w == "平" else "")
    for w in sorted(_FORMS, key=len, reverse=True))
NUM = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+|半"
QUANTITY_RE = re.compile(rf"(?P<num>{NUM})\s*(?P<wan>万)?\s*(?P<unit>{UNIT_WORD})")


def canonical(word: str) -> str:
    """The unit a written form stands for ('' if it is none)."""
    return _FORMS.get((word or "").strip(), "")


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """value in from_unit expressed in to_unit, when both measure the same thing; else None."""
    a, b = canonical(from_unit) or from_unit, canonical(to_unit) or to_unit
    if a == b:
        return value
    if a not in UNITS or b not in UNITS or UNITS[a][0] != UNITS[b][0]:
        return None
    return value * UNITS[a][1] / UNITS[b][1]


def number_of(num: str, wan: str | None = None) -> Decimal | None:
    """'40' / '一百二十' / '1.5' / '半' (+ 万) as a Decimal; None when garbled."""
    try:
        n = Decimal("0.5") if num == "半" else parse_number(num)
    except (ValueError, InvalidOperation):
        return None
    return n * 10000 if wan else n


def quantity_in(
    text: str, unit: str, start: int = 0, end: int | None = None
) -> list[tuple[int, int, Decimal]]:
    """(start, end, value in `unit`) of every quantity in text[start:end] whose unit converts to `unit`."""
    out = []
    for m in QUANTITY_RE.finditer(text, start, len(text) if end is None else end):
        n = number_of(m.group("num"), m.group("wan"))
        v = convert(n, m.group("unit"), unit) if n is not None else None
        if v is not None:
            out.append((m.start(), m.end(), v))
    return out
