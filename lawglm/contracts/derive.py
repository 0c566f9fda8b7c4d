"""Values a request states through another value: 押二付一 / 押金为两个月租金 (a multiple of the rent),
年租金12万元 for a month rent (divided, only when it divides to the cent), 招聘快递员何军 (the job title),
顾问费每年8万元 (the period of a fee: a choice field's `period_of`), 成交价的百分之一 (the base of a percent
field: a text field's `base_of`); and, on typed values, money fields declared `product_of` a rate and a
quantity (每吨200元 × 30吨, 每月3000元 × 12个月, 每小时150元 × 40小时).

Owns `derive(tpl, extraction, taken)`, run after the cue rules; each derived value records the
words it came from and a note saying how it was computed, so nothing is silently transformed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .money import MAX_AMOUNT, format_number, parse_amount, parse_number, quantize
from .schema import Template

DEPOSIT_MONTHS = re.compile(
    r"押\s*(?P<n>[一二两三四五六\d])\s*付|交\s*[一二两三四五六\d]\s*押\s*(?P<k>[一二两三四五六\d])|"
    r"(?P<m>[一二两三四五六\d])\s*个月(?:的)?(?:租金|房租|月租)"
)
TITLE_BEFORE = re.compile(
    r"(?:招聘|聘用|聘请|录用|雇佣|雇用|雇|招了?个?|新来的|新招的|是一名|是一位|我是)(?:了)?(?:一名|一位|一个|名|位)?"
    r"(?P<title>[\u4e00-\u9fff]{2,6}?)(?:一名|一位)?(?:[，,]?\s*(?:叫|名叫|姓名))?[：:]?$"
)


def _multiple(tpl: Template, ex, name: str, spec) -> None:
    base = ex.values.get(spec.multiple_of)
    if base is None or name in ex.values:
        return
    cues = "|".join(map(re.escape, spec.cues)) or "(?!)"
    for m in DEPOSIT_MONTHS.finditer(ex.text):
        near = ex.text[max(0, m.start() - 8):m.start()]
        if m.group("m") and not re.search(cues, near):
            continue
        try:
            n = parse_number(m.group("n") or m.group("k") or m.group("m"))
            total = parse_amount(str(base)) * n
        except ValueError:
            return
        ex.put(name, format_number(total), [m.span()])
        ex.notes.append(f"{spec.label}按「{m.group(0)}」计为{format_number(n)}个月租金，即{format_number(total)}元")
        return


def _divided(ex, name: str, spec) -> None:
    spans = ex.evidence.get(name)
    if name not in ex.values or not spans:
        return
    head = ex.text[max(0, spans[0][0] - 6):spans[0][0]]
    for cue, divisor in spec.divide.items():
        if cue in head:
            try:
                total = parse_amount(str(ex.values[name]))
            except ValueError:
                return
            part = total / Decimal(divisor)
            if part != quantize(part):
                del ex.values[name]
                ex.notes.append(f"「{cue}{ex.words(name)}」不能按{divisor}期折算为整分的{spec.label}，已留空")
                return
            ex.values[name] = format_number(quantize(part))
            ex.notes.append(f"{spec.label}由「{cue}{ex.words(name)}」按{divisor}折算为{format_number(quantize(part))}元")
            return


def _title(ex, name: str) -> None:
    if name in ex.values:
        return
    for start, _ in sorted(ex.evidence.get("_parties", [])):
        m = TITLE_BEFORE.search(ex.text, max(0, start - 20), start)
        if m and not re.search(r"[的了为是个]", m.group("title")):
            ex.put(name, m.group("title"), [m.span("title")])
            return


PERCENT_AFTER = re.compile(r"^[^，,。；;]{0,4}?(?:按|为|是)?\s*(?P<pct>\d+(?:\.\d+)?)\s*%")


def _percent_of(ex, name: str, spec) -> None:
    """试用期工资按80%发: that percentage of the money field named by `percent_of`, when it is known."""
    from .scalars import cues_of

    base = ex.values.get(spec.percent_of)
    if name in ex.values or base is None:
        return
    for rx in cues_of(spec):
        for cue in rx.finditer(ex.text):
            m = PERCENT_AFTER.match(ex.text[cue.end():])
            if not m:
                continue
            try:
                value = quantize(parse_amount(str(base)) * Decimal(m.group("pct")) / 100)
            except ValueError:
                return
            span = (cue.start(), cue.end() + m.end())
            ex.put(name, format_number(value), [span])
            ex.notes.append(f"{spec.label}按「{ex.text[span[0]:span[1]]}」计为{format_number(value)}元")
            return


def _period(ex, name: str, spec) -> None:
    """顾问费每年8万元 / 年费8万元 / 8万元/年: the choice whose words stand in the money's clause up to just
    after
    its amount (exactly one choice)."""
    from .scalars import clause_of

    spans = ex.evidence.get(spec.period_of)
    if name in ex.values or not spans:
        return
    s, e = spans[0]
    start = clause_of(ex.text, s)[0]
    after = re.match(r"[^，,。；;：:\s]{0,3}", ex.text[e:]).group(
        0
    )  # 8万元/年, not the next clause's 每月汇报
    window = ex.text[start:e] + after
    hits = {c for c in spec.choices for w in (c, *spec.synonyms.get(c, ())) if w in window}
    if len(hits) == 1:
        ex.put(name, hits.pop(), [])


BASE_BEFORE = re.compile(
    r"(?P<base>[\u4e00-\u9fff]{1,10}?(?:价|价款|额|款|金|费|收入|标的|利润|总价))(?:的|之)?\s*$"
)
BASE_STOPS = ("按照", "按", "为", "是", "提取", "收取", "取", "照", "支付", "计", "的")


def _base(ex, name: str, spec) -> None:
    """成交价的百分之一 / 按房屋总价1%收取: the base the percent field's value is a share of."""
    spans = ex.evidence.get(spec.base_of)
    if name in ex.values or not spans:
        return
    s = spans[0][0]
    head = ex.text[max(0, s - 14):s]
    head = head[max([head.rfind(c) + 1 for c in "，,。；;：:"] + [0]):]
    m = BASE_BEFORE.search(head)
    if not m:
        return
    base = m.group("base")
    cut = max((base.rfind(w) + len(w) for w in BASE_STOPS if w in base[:-1]), default=0)
    base = base[cut:]
    if len(base) >= 2:
        at = s - len(head) + m.start("base") + cut
        ex.put(name, base, [(at, at + len(base))])


def derive(tpl: Template, ex, taken: list) -> None:
    for name, spec in tpl.fields.items():
        if spec.period_of:
            _period(ex, name, spec)
        if spec.base_of:
            _base(ex, name, spec)
        if spec.percent_of:
            _percent_of(ex, name, spec)
        if spec.divide:
            _divided(ex, name, spec)
        if spec.multiple_of:
            _multiple(tpl, ex, name, spec)
        if spec.from_title:
            _title(ex, name)


# --- on typed values: rate × quantity ----------------------------------------------------------------
def _quantity(tpl: Template, values: dict, name: str, per: str) -> tuple[Decimal, str] | None:
    """(quantity in the rate's unit, how it was written) from a number/integer field with a unit, or from the
    rows of an items field when every row's unit converts to the rate's (电钻3000台、角磨机1500台 per 台)."""
    from .units import convert

    spec, v = tpl.fields[name], values.get(name)
    if v is None:
        return None
    if spec.type == "items":
        total, shown = Decimal(0), []
        for row in v:
            q = convert(row["quantity"], row.get("unit", ""), per) if "quantity" in row else None
            if q is None:
                return None
            total += q
            shown.append(f"{row['name']}{format_number(row['quantity'])}{row.get('unit', '')}")
        return (total, "、".join(shown)) if v else None
    q = convert(Decimal(v), spec.unit, per)
    return (q, f"{format_number(Decimal(v))}{spec.unit}") if q is not None else None


def products(tpl: Template, values: dict) -> tuple[dict, list[str]]:
    """Money fields declared `product_of: [rate, quantity]` computed when both are known and the field is not
    (每吨200元 × 30吨 -> 6000); a stated amount that differs from the product is kept, with a note."""
    derived, notes = {}, []
    for name, spec in tpl.fields.items():
        if not spec.product_of:
            continue
        rate_name, qty_name = spec.product_of
        rate = values.get(rate_name)
        qty = _quantity(tpl, values, qty_name, rate.per) if rate is not None else None
        if qty is None:
            continue
        total = quantize(rate.amount * qty[0])
        how = f"{tpl.fields[rate_name].label}{rate}×{qty[1]}"
        if name in values:
            if values[name] != total:
                notes.append(f"{spec.label}写明为{format_number(values[name])}元，与{how}计得的{format_number(total)}元"
                             f"不一致，合同按写明的金额起草，请核对")
            continue
        if total > MAX_AMOUNT:
            continue
        derived[name] = total
        notes.append(f"{spec.label}按{how}计为{format_number(total)}元")
    return derived, notes
