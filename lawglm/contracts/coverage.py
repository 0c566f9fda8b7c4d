"""Nothing silently lost: the numbers, amounts and dates of a request that reached no field, and
item lines too incomplete to price.

Owns `unused_words(extraction, kept)` — one note echoing, in the request's own words, every amount,
percentage, date, relative date (下个月底), duration and quantity that no kept field came from — and
`incomplete_rows(tpl, values)`, a note per item line without quantity or unit price (such lines get
no amount, and the contract total stays blank rather than summing only part of the order).
"""

from __future__ import annotations

import re

from .items import CLAUSE_DELIMS, ITEM_UNITS
from .scalars import AMOUNT_RE, DURATION_RE, PERCENT_RE, dates_in

RELATIVE = re.compile(
    r"(?:下个?月|本月|这个月|下周|本周|明年|今年|年底|月底|年初|月初|明天|后天|下旬|上旬|中旬)"
    r"(?:\d{1,2}[号日]|底|初)?"
)
QUANTITY = re.compile(rf"\d+(?:\.\d+)?\s*(?:{ITEM_UNITS})")
MAX_ECHOED = 10


def _spans(text: str) -> list[tuple[int, int]]:
    found = [(s, e) for s, e, _ in dates_in(text)]
    for rx in (AMOUNT_RE, PERCENT_RE, RELATIVE, DURATION_RE, QUANTITY):
        found += [m.span() for m in rx.finditer(text)]
    found.sort(key=lambda x: (x[0], -x[1]))
    merged: list[tuple[int, int]] = []
    for s, e in found:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _context(text: str, s: int, e: int) -> str:
    start = max([m.end() for m in CLAUSE_DELIMS.finditer(text, 0, s)] + [0, s - 8])
    return text[start:e].strip()


def unused_words(ex, kept: dict) -> list[str]:
    """['请求中的「每平方米180元」「下个月底」未写入合同…'] or []."""
    used = [span for name in list(kept) + ["_parties"] for span in ex.evidence.get(name, [])]
    left = [(s, e) for s, e in _spans(ex.text) if not any(a < e and s < b for a, b in used)
            and ex.text[s:e] not in ("一份", "1份")]
    if not left:
        return []
    words = []
    for s, e in left:
        w = _context(ex.text, s, e)
        if w and w not in words:
            words.append(w)
    shown = "".join(f"「{w}」" for w in words[:MAX_ECHOED]) + ("等" if len(words) > MAX_ECHOED else "")
    return [f"请求中的{shown}未能对应到合同字段，没有写入合同，请核对后在合同中补充。"]


def incomplete_rows(tpl, values: dict) -> list[str]:
    out = []
    for name, spec in tpl.fields.items():
        if spec.type != "items" or not spec.priced or not values.get(name):
            continue
        for i, row in enumerate(values[name], 1):
            lacking = [
                label for key, label in (("quantity", "数量"), ("unit_price", "单价")) if key not in row
            ]
            if lacking:
                out.append(f"{spec.label}第{i}行（{row['name']}）缺少{'和'.join(lacking)}：该行金额未计算，合同总价留空。")
    return out
