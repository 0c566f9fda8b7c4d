"""Product lines in a plain-language request: name, quantity, unit, unit price.

Owns the item rules of `rule_extract`: 红源牌实木餐桌10张，单价3000元 / 餐桌10张（每张3000元）/
餐桌，数量10张 / 共计30000元 (a line total that divides exactly) / 单价分别为3000元和800元 /
家具分别是餐桌和椅子 (names only). Works on the masked request text; returns rows in the
loose input form that `fields.validate` checks, plus the spans used.
"""

from __future__ import annotations

import re

from .money import AMOUNT, parse_amount, parse_number, quantize
from .schema import FieldSpec

CN_SMALL = "零〇一二两三四五六七八九十百"
AMOUNT_RE = re.compile(AMOUNT)
CLAUSE_DELIMS = re.compile(r"[，,。；;！!？?\n：:]")
ITEM_UNITS = ("平方米|立方米|千克|公斤|张|把|台|套|件|个|只|组|箱|吨|克|米|辆|部|本|瓶|袋|包|盒|桶|条|双|对|株|头|批|片|支|根|卷|"
              "升|架|樘|扇|床|顶|座")
QTY = rf"\d+(?:\.\d+)?|[{CN_SMALL}千万]+"
PRICE = rf"(?:单价|每(?:{ITEM_UNITS})(?:单价)?|价格|售价)(?:均)?(?:为|是)?\s*(?P<price>{AMOUNT})(?:/(?:{ITEM_UNITS}))?"
ITEM_RE = re.compile(rf"^(?P<name>.+?)\s*(?:数量(?:为|是)?)?\s*(?P<qty>{QTY})\s*(?P<unit>{ITEM_UNITS})"
                     rf"(?:\s*[（(]?\s*{PRICE}\s*[)）]?)?$")
PRICE_ONLY_RE = re.compile(rf"^[（(]?\s*{PRICE}\s*[)）]?$")
LINE_TOTAL_RE = re.compile(rf"^(?:共计|合计|总价|总计|共)(?:为|是)?\s*(?P<total>{AMOUNT})$")
QTY_ONLY_RE = re.compile(rf"^数量(?:为|是)?\s*(?P<qty>{QTY})\s*(?P<unit>{ITEM_UNITS})$")
RESPECTIVE_RE = re.compile(rf"(?:单价|价格)分别(?:为|是)?(?P<list>(?:\s*{AMOUNT}\s*(?:、|和|及|与|，|,)?)+)")
NAME_LIST_RE = re.compile(r"(?:分别是|分别为|包括)(?P<list>[^，,。；;：:\d]{4,80})")
NAME_STOPS = ("把", "分别是", "分别为", "包括", "购买", "采购", "订购", "定购", "运输", "托运", "是", "为", "：", ":", "以及",
              "和", "及", "另有", "还有", "另外", "其中", "货物")
NOT_ITEM = re.compile(r"支付|违约|租金|工资|期限|利息|押金|合同|元|%|试用期|日内|以内")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause between ，。；： and line breaks."""
    spans, start = [], 0
    for m in CLAUSE_DELIMS.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _pieces(text: str) -> list[tuple[int, int]]:
    """Clauses, further split at 、 and at 和/及 between two product lines."""
    out = []
    for cs, ce in clause_spans(text):
        start = cs
        unit_chars = "".join(sorted(set(ITEM_UNITS.replace("|", ""))))
        for m in re.finditer(rf"、|(?<=[{unit_chars}])(?:以及|和|及|与|还有|(?=从|运|送))", text[cs:ce]):
            out.append((start, cs + m.start()))
            start = cs + m.end()
        out.append((start, ce))
    return [(s, e) for s, e in out if e > s]


def _clean_name(name: str) -> tuple[str, str]:
    """'购买的家具分别是红源牌实木餐桌（1.8米）' -> ('红源牌实木餐桌', '1.8米')."""
    cut = 0
    for w in NAME_STOPS:
        i = name.rfind(w)
        if i >= 0:
            cut = max(cut, i + len(w))
    name = name[cut:].strip().lstrip("的")
    spec = ""
    m = re.search(r"[（(]([^）)]{1,30})[)）]$", name)
    if m:
        name, spec = name[:m.start()].strip(), m.group(1)
    return name, spec


def _quantified_rows(spec: FieldSpec, text: str) -> tuple[list[dict], list[tuple[int, int]]]:
    """Rows written with a quantity: 红源牌实木餐桌10张，单价3000元 / 餐桌，数量10张 / 餐桌10张（每张3000元）."""
    rows: list[dict] = []
    spans: list[tuple[int, int]] = []
    pending_name = ""
    for s, e in _pieces(text):
        piece = text[s:e].strip()
        if rows and "unit_price" not in rows[-1] and (m := PRICE_ONLY_RE.match(piece) or LINE_TOTAL_RE.match(piece)):
            _add_price(rows[-1], m)
            spans.append((s, e))
            continue
        m = ITEM_RE.match(piece)
        q = QTY_ONLY_RE.match(piece)
        if q and pending_name:
            rows.append({"name": pending_name, "quantity": q.group("qty"), "unit": q.group("unit")})
            spans.append((s, e))
        elif m and not NOT_ITEM.search(m.group("name")):
            name, item_spec = _clean_name(m.group("name"))
            if len(name) >= 2 and not re.search(r"[＿\d]", name[:1]):
                row = {"name": name, "quantity": m.group("qty"), "unit": m.group("unit")}
                if item_spec:
                    row["spec"] = item_spec
                if m.group("price") and spec.priced:
                    row["unit_price"] = m.group("price")
                rows.append(row)
                spans.append((s, e))
        pending_name = _clean_name(piece)[0] if not m and not NOT_ITEM.search(piece) else ""
    return rows, spans


def _respective_prices(rows: list[dict], text: str) -> list[tuple[int, int]]:
    """单价分别为3000元和800元: prices in order for the rows that have none."""
    m = RESPECTIVE_RE.search(text)
    unpriced = [r for r in rows if "unit_price" not in r]
    prices = [p.group(0) for p in AMOUNT_RE.finditer(m.group("list"))] if m else []
    if not m or not unpriced or len(prices) != len(unpriced):
        return []
    for row, price in zip(unpriced, prices):
        row["unit_price"] = price
    return [m.span()]


def _listed_names(text: str) -> tuple[list[dict], list[tuple[int, int]]]:
    """家具分别是红源牌实木餐桌和实木椅: names only, quantities and prices left blank."""
    m = NAME_LIST_RE.search(text)
    if not m:
        return [], []
    names = [n.strip() for n in re.split(r"、|以及|和|及|与", m.group("list"))]
    if len(names) < 2 or any(len(n) < 2 or len(n) > 20 or NOT_ITEM.search(n) or "＿" in n for n in names):
        return [], []
    return [{"name": n} for n in names], [m.span("list")]


def extract_items(spec: FieldSpec, text: str) -> tuple[list[dict], list[tuple[int, int]]]:
    """Product lines (name, quantity, unit, unit price) and the spans they came from."""
    rows, spans = _quantified_rows(spec, text)
    spans += _respective_prices(rows, text)
    if not rows:
        rows, spans = _listed_names(text)
    if not spec.priced:
        for r in rows:
            r.pop("unit_price", None)
    return rows, spans


def _add_price(row: dict, m: re.Match) -> None:
    """A unit price from 单价3000元, or from a line total (共计30000元) that divides exactly."""
    if m.groupdict().get("price"):
        row["unit_price"] = m.group("price")
        return
    try:
        total, qty = parse_amount(m.group("total")), parse_number(row["quantity"])
    except ValueError:
        return
    if qty > 0 and total / qty == quantize(total / qty):
        row["unit_price"] = str(quantize(total / qty))
