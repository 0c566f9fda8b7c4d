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
ITEM_UNITS = (
    "平方米|立方米|千克|公斤|张|把|台|套|件|个|只|组|箱|吨|克|米|辆|部|本|瓶|袋|包|盒|桶|条|双|对|株|头|片|支|根|卷|"
    "升|架|樘|扇|床|顶|座|斤|罐|筐|托|方|饼|块(?!钱)|粒|颗|枚|副|幅|匹|捆|听|提"
)
QTY = rf"\d+(?:\.\d+)?万?|[{CN_SMALL}千万]+"
AMOUNT_PLAIN = re.sub(r"\?P<\w+>", "", AMOUNT)
# a unit price: 单价800元 / 单价每吨28000元 / 每斤600元 / 一箱95块钱 / 2.5元一个 / 22元/包 / 一头一万二 (at
# the end)
PRICE = (
    rf"(?:(?:单价(?:为|是)?\s*(?:每(?:{ITEM_UNITS}))?|每(?:{ITEM_UNITS})(?:单价)?|[一1](?:{ITEM_UNITS})|价格|售价|价款)(?:均)?"
    rf"(?:为|是)?\s*(?P<price>{AMOUNT})钱?(?:/(?:{ITEM_UNITS}))?"
    rf"|(?P<price_b>{AMOUNT_PLAIN})钱?\s*(?:/|每|一)(?:{ITEM_UNITS})"
    rf"|(?:每|[一1])(?:{ITEM_UNITS})\s*(?P<price_c>[一二两三四五六七八九十百千万]+)(?=$|[)）]))"
)
SPEC = r"(?:\s*[（(](?P<spec>(?!单价|每|价格|售价|价款)[^（()）]{1,30})[)）])?"
ITEM_RE = re.compile(rf"^(?P<name>.+?)\s*(?:数量(?:为|是)?)?\s*(?P<qty>{QTY})\s*(?P<unit>{ITEM_UNITS}){SPEC}"
                     rf"(?:\s*[（(]?\s*{PRICE}\s*[)）]?|(?P<amount>{AMOUNT_PLAIN}))?$")
QTY_FIRST_RE = re.compile(
    rf"^(?:[^，,]*?(?:订购|采购|购买|买|订|有|运输|托运|运|发|寄|把|卖给[^，,]*?|卖|出售))?(?P<qty>{QTY})\s*(?P<unit>{ITEM_UNITS})(?P<name>[^\d＿]{{2,20}}?)\s*(?:{PRICE})?"
    rf"(?:(?:要|需要|准备)?(?:运到|运至|运往|送到|送至|发到|发往|寄到|寄往)[^，,]*)?$"
)
NAME_PRICE_QTY_RE = re.compile(
    rf"^(?P<name>[^\d＿]{{2,20}}?)\s*{PRICE}\s*(?P<qty>{QTY})\s*(?P<unit>{ITEM_UNITS})$"
)
NAME_PRICE_RE = re.compile(rf"^(?P<name>[^\d＿]{{1,20}}?)\s*{PRICE}$")
PRICE_ONLY_RE = re.compile(rf"^[（(]?\s*{PRICE}\s*[)）]?$")
LINE_TOTAL_RE = re.compile(rf"^(?:共计|合计|总价|总计|共|价款)(?:为|是)?\s*(?P<total>{AMOUNT})$")
QTY_ONLY_RE = re.compile(
    rf"^(?:数量|一共|共计|共|合计)?(?:为|是)?\s*(?P<qty>{QTY})\s*(?P<unit>{ITEM_UNITS})$"
)
RESPECTIVE_RE = re.compile(rf"(?:单价|价格)分别(?:为|是)?(?P<list>(?:\s*{AMOUNT}\s*(?:、|和|及|与|，|,)?)+)")
NAME_LIST_RE = re.compile(r"(?:分别是|分别为|包括)(?P<list>[^，,。；;：:\d]{4,80})")
NAME_STOPS = (
    "把",
    "分别是",
    "分别为",
    "包括",
    "购买",
    "采购",
    "订购",
    "定购",
    "运输",
    "托运",
    "是",
    "为",
    "：",
    ":",
    "以及",
    "和",
    "及",
    "另有",
    "还有",
    "另外",
    "其中",
    "货物",
    "的",
    "一批",
    "一车",
    "拉一车",
    "买",
    "标的",
    "货物名称",
    "需",
)
NOT_ITEM = re.compile(
    r"支付|违约|租金|工资|期限|利息|押金|合同|元|%|试用期|日内|以内|一共|共计|合计|数量|从|到|运费|总重|重量|"
    r"体积|^约|约$|^[零〇一二两三四五六七八九十百千万亿\d.]+$"
)
SPEC_PIECE_RE = re.compile(r"^(?:规格型号|规格|型号)(?:为|是)?\s*(?P<spec>[^，,。；;]{1,20})$")
TABLE_HEAD_RE = re.compile(
    r"数量\s*[、/\s]?\s*单价"
)  # 品名 数量 单价：A4打印纸 500包 22元 — the amount is a unit price
NAME_END_RE = re.compile(
    r"(?:(?:要|需要|准备|打算)(?:运|送|发|寄)|运到|运至|运往|送到|送至|发到|发往|寄到|寄往)[^，,]*$"
)


def price_of(m: re.Match) -> str | None:
    """The unit price a PRICE match holds, whichever way it was written."""
    d = m.groupdict()
    return d.get("price") or d.get("price_b") or d.get("price_c")


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
        for m in re.finditer(rf"、|\s+|(?<=[{unit_chars}])(?:以及|和|及|与|还有|(?=从|运|送))", text[cs:ce]):
            out.append((start, cs + m.start()))
            start = cs + m.end()
        out.append((start, ce))
    return [(s, e) for s, e in out if e > s]


def _clean_name(name: str) -> tuple[str, str]:
    """'购买的家具分别是红源牌实木餐桌（1.8米）' -> ('红源牌实木餐桌', '1.8米'); a one-character stop word
    inside
    a word is part of the name (门把手)."""
    from .words import word_end_at

    cut = 0
    for w in NAME_STOPS:
        i = name.rfind(w)
        while i >= 0 and len(w) == 1 and not word_end_at(name, i):
            i = name.rfind(w, 0, i)
        if i >= 0:
            cut = max(cut, i + len(w))
    name = name[cut:].strip().lstrip("的")
    name = name[name.rfind("＿") + 1:] if "＿" in name else name
    if "（" in name and "）" not in name[name.rfind("（"):]:  # 一批家具（沙发: the line inside the bracket
        name = name[name.rfind("（") + 1:]
    name = NAME_END_RE.sub("", name) or name
    spec = ""
    m = re.search(r"[（(]([^）)]{1,30})[)）]$", name)
    if m:
        name, spec = name[:m.start()].strip(), m.group(1)
    return name, spec


def _row(
    spec: FieldSpec, name: str, qty: str, unit: str, price: str | None = None, item_spec: str = ""
) -> dict | None:
    name, inner = _clean_name(name)
    if len(re.findall(r"[\u4e00-\u9fffA-Za-z]", name)) < 1 or "＿" in name or NOT_ITEM.search(name):
        return None
    row = {"name": name, "quantity": _qty(qty), "unit": unit}
    if item_spec or inner:
        row["spec"] = item_spec or inner
    if price and spec.priced:
        row["unit_price"] = price
    return row


def _qty(q: str) -> str:
    return (
        str(int(parse_number(q[:-1]) * 10000))
        if q.endswith("万") and q[:-1].replace(".", "").isdigit()
        else q
    )


def _piece_row(spec: FieldSpec, piece: str, pending: str, table: bool = False) -> tuple[dict | None, bool]:
    """One clause as a product line (row, is_row); pending is the name written just before (买A4复印纸，
    一共800箱)."""
    if (m := QTY_ONLY_RE.match(piece)) and pending:
        return _row(spec, pending, m.group("qty"), m.group("unit")), True
    if m := NAME_PRICE_QTY_RE.match(piece):
        return _row(spec, m.group("name"), m.group("qty"), m.group("unit"), price_of(m)), True
    if m := QTY_FIRST_RE.match(piece):
        return _row(spec, m.group("name"), m.group("qty"), m.group("unit"), price_of(m)), True
    if m := ITEM_RE.match(piece):
        row = _row(spec, m.group("name"), m.group("qty"), m.group("unit"), price_of(m), m.group("spec") or "")
        if row is not None and m.group("amount") and spec.priced:
            _line_amount(row, m.group("amount"), table)
        return row, row is not None
    if (m := QTY_ONLY_RE.match(piece)) and pending:
        return _row(spec, pending, m.group("qty"), m.group("unit")), True
    return None, False


def _line_amount(row: dict, amount: str, table: bool = False) -> None:
    """沙发1套56000元: an amount right after the quantity is the line's price only when there is one unit,
    or when the request's own table heading says the column is the unit price (数量 单价)."""
    try:
        if table or parse_number(row["quantity"]) == 1:
            row["unit_price"] = amount
        else:
            row["unclear_amount"] = amount
    except ValueError:
        return


def _unclosed_cut(piece: str) -> str:
    """床10张）交给德邦物流…: the line ends at a bracket closed but never opened in it."""
    depth = 0
    for i, ch in enumerate(piece):
        depth += ch in "（("
        if ch in "）)":
            if depth == 0:
                return piece[:i]
            depth -= 1
    return piece


def _quantified_rows(spec: FieldSpec, text: str) -> tuple[list[dict], list[tuple[int, int]]]:
    """Rows written with a quantity, in any order: 餐桌10张，单价3000元 / 50张餐桌每张800元 /
    餐桌单价800元50件 /
    采购龙井茶叶200斤，每斤600元 / 买A4复印纸，一共800箱，一箱95块钱 / 水泥500吨…水泥每吨420元 /
    不锈钢合页，规格4寸，3000个，2.5元一个 / 品名 数量 单价：A4打印纸 500包 22元."""
    rows: list[dict] = []
    spans: list[tuple[int, int]] = []
    pending, pending_spec = "", ""
    table = bool(TABLE_HEAD_RE.search(text))
    adjacent = False  # the piece before belongs to the last row (its price may follow: 餐桌10张，单价3000元)
    for s, e in _pieces(text):
        piece = _unclosed_cut(text[s:e])
        e = s + len(piece)
        piece = piece.strip()
        if not piece:
            continue
        near, adjacent = adjacent, False
        if m := SPEC_PIECE_RE.match(piece):
            if rows and "spec" not in rows[-1] and not pending:
                rows[-1]["spec"] = m.group("spec")
            else:
                pending_spec = m.group("spec")
            spans.append((s, e))
            adjacent = near
            continue
        if rows and (near or len(rows) == 1) and "unit_price" not in rows[-1] and (
                m := PRICE_ONLY_RE.match(piece) or (near and (LINE_TOTAL_RE.match(piece)
                                                               or (table and AMOUNT_RE.fullmatch(piece))))):
            _add_price(rows[-1], m)
            spans.append((s, e))
            continue
        if (m := NAME_PRICE_RE.match(piece)) and (row := _named_row(rows, m.group("name"))) is not None:
            row["unit_price"] = price_of(m)
            spans.append((s, e))
            continue
        row, is_row = _piece_row(spec, piece, pending, table)
        if row is not None:
            if pending_spec and "spec" not in row:
                row["spec"] = pending_spec
            pending_spec = ""
            rows.append(row)
            spans.append((s, e))
            adjacent = True
        pending = _clean_name(piece)[0] if not is_row and not NOT_ITEM.search(piece) else ""
    return rows, spans


def _named_row(rows: list[dict], name: str) -> dict | None:
    """水泥每吨420元: the unpriced row whose name is the one written."""
    name = _clean_name(name)[0]
    hits = [r for r in rows if "unit_price" not in r and name and (name in r["name"] or r["name"] in name)]
    return hits[0] if len(hits) == 1 else None


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


def extract_items(spec: FieldSpec, text: str) -> tuple[list[dict], list[tuple[int, int]], list[str]]:
    """Product lines (name, quantity, unit, unit price), the spans they came from, and notes on amounts
    that could not be placed (椅子4把2000元: a unit price or the line's total? left blank, said so)."""
    rows, spans = _quantified_rows(spec, text)
    spans += _respective_prices(rows, text)
    if not rows:
        rows, spans = _listed_names(text)
    else:
        rows = _link_listed(rows, text)
    notes = []
    for r in rows:
        amount = r.pop("unclear_amount", None)
        if amount and "unit_price" not in r:
            notes.append(
                f"「{r['name']}{r['quantity']}{r.get('unit', '')}{amount}」中的{amount}不能确定是单价还是"
                f"该行总价，单价留空，该行不计入合计"
            )
    if not spec.priced:
        for r in rows:
            r.pop("unit_price", None)
    return rows, spans, notes


def _link_listed(rows: list[dict], text: str) -> list[dict]:
    """家具分别是红源牌实木餐桌和实木椅，餐桌单价800元50件: a short name takes the full listed name it shares
    characters with (only when exactly one listed name fits)."""
    m = NAME_LIST_RE.search(text)
    if not m:
        return rows
    listed = [n.strip() for n in re.split(r"、|以及|和|及|与", m.group("list")) if n.strip()]
    if len(listed) < 2:
        return rows
    for r in rows:
        if r["name"] in listed:
            continue
        fits = [n for n in listed if r["name"] in n] or \
               [n for n in listed if len(r["name"]) <= 3 and set(r["name"]) - {"子", "儿"} <= set(n)]
        if len(fits) == 1:
            r["name"] = fits[0]
    return rows


def _add_price(row: dict, m: re.Match) -> None:
    """A unit price from 单价3000元, or from a line total (共计30000元) that divides exactly."""
    if m.re is AMOUNT_RE:  # a bare amount in a 数量 单价 table
        row["unit_price"] = m.group(0)
        return
    if price_of(m):
        row["unit_price"] = price_of(m)
        return
    try:
        total, qty = parse_amount(m.group("total")), parse_number(row["quantity"])
    except ValueError:
        return
    if qty > 0 and total / qty == quantize(total / qty):
        row["unit_price"] = str(quantize(total / qty))
