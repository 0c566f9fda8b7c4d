"""Scalar field values next to their cues: dates (and date ranges), amounts, percentages, durations, text.

Owns `cue_value(spec, text, taken)` — the value of the field's type nearest to its most specific
cue in the same clause (after the cue first) — and `date_range_values`, which gives a template's
start/end date pair (its `before` check) from 「2026年1月1日至2027年12月31日」-style ranges.
What people write is read here: 8千 / 3.6万元 / 月租3000 (a bare number right after a money cue),
百分之十五点四, 月息1分 / 月利率1.5% (as a year rate, for fields with `monthly_cues`), 两年半,
4月3日 (the year of the full date written before it). Dates are masked before durations are read,
so 「2027年1月1日」 is never 2027 years.
"""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import pairwise
from typing import Any

from ..numerals import DATE_RE, date_iso
from .items import CLAUSE_DELIMS, CN_SMALL
from .money import AMOUNT, NUMBER, format_number, parse_number
from .places import address_prefix, addresses_in
from .roles import KIN
from .schema import FieldSpec, Template
from .units import QUANTITY_RE, UNIT_WORD, UNITS, canonical, quantity_in

# 百分之十一年后: 百分之十, then 一年后 (a Chinese-numeral percent stops before a number that starts a
# duration)
PERCENT_RE = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?)\s*%|(?P<per>百|千|万)分之(?P<cn>[{CN_SMALL}点]+?(?=[一二两三四五六七八九]"
    rf"(?:个月|年|天|日|周)|[^{CN_SMALL}点]|$)|\d+(?:\.\d+)?)"
)
AMOUNT_RE = re.compile(AMOUNT)
AMOUNT_PLAIN = re.sub(r"\?P<\w+>", "", AMOUNT)
# words people put between a money cue and its amount: 装修费一共4万5 / 总价大概5万 / 合计约3000
AMOUNT_LEAD = r"(?:为|是|：|:|\s|一共|总共|共计|共|合计|总计|大概|大约|约|差不多)*"
BARE_AMOUNT_RE = re.compile(
    rf"{AMOUNT_LEAD}(?P<num>{NUMBER})\s*(?P<mult>万|千|[kKwW](?![A-Za-z]))?"
    rf"(?![\d.%个日天月年周期份平米吨件台万千百亿]|分之|美元|美金|欧元|日元|港币|港元|英镑|卢布|韩元)"
)
DURATION_RE = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?|[{CN_SMALL}]+|半)\s*(?P<unit>个自然日|自然日|个工作日|工作日|日|天|个月|月|"
    rf"年|周|星期|份|小时|号)(?P<half>半)?"
)
MONTH_DAY_RE = re.compile(
    r"(?<![年\d])(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]"
)
RANGE_SEP = re.compile(r"^\s*(?:起)?\s*(?:至|到|—|–|-|~|～|－)+\s*$")
MONTHLY_RATE_RE = re.compile(
    r"月息\s*(?P<num>\d+(?:\.\d+)?|[一二三四五六七八九两])\s*分(?P<li>[1-9一二三四五六七八九](?!\d))?"
)
UNIT_CANON = {"个自然日": "日", "自然日": "日", "天": "日", "月": "个月", "星期": "周", "个工作日": "工作日"}
UNIT_FACTOR = {("年", "个月"): 12, ("周", "日"): 7, ("个月", "日"): None}
TEXT_END = re.compile(
    r"(?:出租给|租给|出售给|卖给|借给|交给|用于|作为|(?:空|海|陆)?运到|运至|运往|运抵|送到|送至|发到|发往|寄到|"
    r"寄往|(?:开展|进行|展开)合作|(?<=项目|事宜|事项)(?:合作|洽谈)+$|洽谈$).*$"
)
ADDRESS_END = re.compile(r"(?:的房子|的房屋|的住房|的住宅|的商铺|的房产|的门面|(?<=[号室楼层幢栋座])的).*$")
# a rate's unit (每吨 / 元/台), not a period: 每月工资 / 3000元/月 are amounts of a money field
_NOT_PERIOD = "(?!(?:个)?月|年|季|周|星期|次)"  # 违约金每次10万元: an amount per breach is the amount
RATE_BEFORE = re.compile(
    rf"每{_NOT_PERIOD}(?:{UNIT_WORD})(?:每(?:个)?(?:月|天|日|年))?[\u4e00-\u9fff]{{0,4}}?(?:为|是)?\s*$|按每"
)
RATE_AFTER = re.compile(rf"\s*(?:/|每){_NOT_PERIOD}(?:{UNIT_WORD})")
# a rate in free text: 每吨运费200元 / 每月3000元 / 200元/吨 / 150元每小时 / 2.5元一台
RATE_TEXT_RE = re.compile(
    rf"每\s*(?P<per>{UNIT_WORD})\s*(?:每(?:个)?(?:月|天|日|年))?(?:的)?(?:[\u4e00-\u9fff]{{0,4}}?(?:费|价|金|资|酬|薪|款))?"
    rf"(?:为|是)?\s*"
    rf"(?P<amount>{AMOUNT_PLAIN}|(?:{NUMBER})\s*(?:万|千)?(?![\d.%个日天号月年周期份]|\s*(?:万|千|亿)?\s*(?:美元|美金|欧元|日元|港币|港元|英镑|卢布|韩元|USD|EUR)))"
    rf"|(?P<amount_b>{AMOUNT_PLAIN})\s*(?:/|每|一)\s*(?P<per_b>{UNIT_WORD})")
FOREIGN = re.compile(r"\s*(?:万|千|亿)?\s*(?:美元|美金|欧元|日元|港币|港元|英镑|卢布|韩元|USD|EUR)")
MONEY_NOUN = re.compile(r"(?:的)?(?:租金|房租|月租|工资|薪水|薪资|利息|服务费|费用)")


def percent_value(m: re.Match) -> str | None:
    """30% -> '30'; 百分之三十 -> '30'; 百分之零点五 -> '0.5'; 万分之五 -> '0.05' (all in percent); None if
    garbled."""
    if m.group("num"):
        return m.group("num")
    whole, _, frac = m.group("cn").partition("点")
    try:
        value = parse_number(whole) if whole else Decimal(0)
        if frac:
            value += Decimal("0." + "".join(str(int(parse_number(c))) for c in frac))
    except ValueError:
        return None
    return format_number(
        value * {"百": Decimal(1), "千": Decimal("0.1"), "万": Decimal("0.01")}[m.group("per")]
    )


def dates_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, YYYY-MM-DD) of every date; 4月3日 takes the year of the full date written before it."""
    full = [(m.start(), m.end(), d) for m in DATE_RE.finditer(text) if (d := date_iso(m))]
    out = list(full)
    for m in MONTH_DAY_RE.finditer(text):
        if any(s <= m.start() < e for s, e, _ in full):
            continue
        before = [d for s, e, d in full if e <= m.start()]
        if before:
            try:
                out.append((m.start(), m.end(), (f"{before[-1][:4]}-{int(parse_number(m.group('m'))):02d}-"
                                                 f"{int(parse_number(m.group('d'))):02d}")))
            except ValueError:
                continue
    return sorted(out)


def date_ranges(text: str) -> list[tuple[tuple[int, int, str], tuple[int, int, str]]]:
    """Pairs of dates written as a range: A至B / A到B / A—B / A-B (自A起至B止)."""
    found = dates_in(text)
    return [(a, b) for a, b in pairwise(found) if RANGE_SEP.match(text[a[1]:b[0]]) and a[2] < b[2]]


def date_range_values(tpl: Template, text: str) -> list[tuple[str, str, tuple, tuple]]:
    """(start field, end field, start, end) for each `before` check of two date fields and the first range."""
    ranges = date_ranges(text)
    out = []
    for check in tpl.checks:
        a, b = tpl.fields.get(check["field"]), tpl.fields.get(check["of"])
        if check["rule"] == "before" and a and b and a.type == b.type == "date" and ranges:
            out.append((a.name, b.name, ranges[0][0], ranges[0][1]))
    return out


def _calendar_month(text: str, m: re.Match) -> bool:
    return m.group("unit") == "月" and (bool(re.search(r"[年今明去从到至]$", text[:m.start()]))
                                        or bool(re.match(r"[底初份中上下旬\d]", text[m.end():m.end() + 1])))


def _duration(spec: FieldSpec, m: re.Match) -> str | None:
    """'两年' for a field counted in 个月 -> '24'; '两年半' -> '30'; None when the units do not convert."""
    unit = UNIT_CANON.get(m.group("unit"), m.group("unit"))
    if unit == "号":  # 每月10号发薪: a day of the month, only for a field that is one
        unit = "日" if spec.maximum == 31 else unit
    want = spec.unit or unit
    try:
        n = Decimal("0.5") if m.group("num") == "半" else parse_number(m.group("num"))
    except ValueError:
        return None
    if m.group("half"):
        n += Decimal("0.5")
    if unit == want:
        return format_number(n)
    factor = UNIT_FACTOR.get((unit, want))
    return format_number(n * factor) if factor else None


def _money_after(text: str, cue: re.Match, s: int, e: int) -> list[tuple[int, int, Any]]:
    """月租3000 / 违约金3万 / 工资8千 / 装修费一共4万5: a bare number right after a money cue is an amount
    in 元 — not a rate (每平方米报价980), and a Chinese numeral only when no other word follows it (一次性 is
    no amount)."""
    m = BARE_AMOUNT_RE.match(text, cue.end(), e)
    if not m or FOREIGN.match(text, m.end("num")):  # 运费12万美元: not an amount in 元
        return []
    if not re.match(r"[\d.,]+", m.group("num")) and re.match(r"[\u4e00-\u9fff]", text[m.end() : m.end() + 1]):
        return []
    if _rate_at(text[s : m.start("num")], cue.start() - s, cue.end() - s) or RATE_AFTER.match(text, m.end()):
        return []
    mult = {"万": "万元", "w": "万元", "W": "万元", "千": "000", "k": "000", "K": "000"}.get(
        m.group("mult") or "", ""
    )
    num = m.group("num")
    if mult == "000" and "." in num:  # 1.5k
        return [(m.start("num"), m.end(), format_number(parse_number(num) * 1000))]
    return [(m.start("num"), m.end(), num + mult)]


BARE_NUMBER_RE = re.compile(r"(?:为|是|：|:|约|共|\s)*(?P<num>\d+(?:\.\d+)?)(?![\d.%个日天月年周期份万元块])")


def _number_after(text: str, cue_end: int, e: int) -> list[tuple[int, int, Any]]:
    """面积：120 / 工时为40: a bare number right after the cue of a field with a unit is in that unit."""
    m = BARE_NUMBER_RE.match(text, cue_end, e)
    return [(m.start("num"), m.end(), m.group("num"))] if m else []


def _times_money(clause: str, end: int) -> bool:
    """两个月租金 (a money amount of that many months) — but not 试用期3个月工资5000元 (a duration, then a
    wage)."""
    noun = MONEY_NOUN.match(clause, end)
    return bool(noun) and not re.match(
        r"\s*(?:为|是|：|:)?\s*(?:人民币)?\s*[\d一二两三四五六七八九十]", clause[noun.end() :]
    )


def _rate_at(before: str, cue_start: int = -1, cue_end: int = -1) -> bool:
    """The words before an amount make it a rate (每平方米报价 / 每天) — unless the 每 is the field's own
    cue's (逾期竣工每天 is the cue of a per-day fee: its amount is the fee)."""
    m = RATE_BEFORE.search(before)
    return bool(m) and not (cue_start <= m.start() < cue_end)


def _values_in(spec: FieldSpec, text: str, s: int, e: int,
               cue: tuple[int, int] = (-1, -1)) -> list[tuple[int, int, Any]]:
    """Candidate values of the field's type inside text[s:e] (absolute spans); `cue` is the span of the cue
    the values are read for."""
    clause, out = text[s:e], []
    if spec.type == "date":
        return [(a, b, v) for a, b, v in dates_in(text) if s <= a and b <= e]
    if spec.type == "money":  # 每平米每天5元 / 每票500元 / 200元/吨: a rate, not the amount
        out = [(m.start(), m.end(), m.group(0)) for m in AMOUNT_RE.finditer(clause)
               if not _rate_at(clause[: m.start()], cue[0] - s, cue[1] - s)
               and not RATE_AFTER.match(clause, m.end())]
    elif spec.type == "rate":
        allowed = {canonical(u) or u for u in spec.per}
        for m in RATE_TEXT_RE.finditer(clause):
            per, amount = m.group("per") or m.group("per_b"), m.group("amount") or m.group("amount_b")
            if not allowed or (canonical(per) or per) in allowed:
                out.append((m.start(), m.end(), f"{amount.strip()}/{canonical(per) or per}"))
    elif spec.type == "percent":
        out = [(m.start(), m.end(), percent_value(m)) for m in PERCENT_RE.finditer(clause)]
    elif spec.type == "integer":  # 两个月租金 is money; 今年3月 / 3月底 is a month of the year: no durations
        out = [(m.start(), m.end(), v) for m in DURATION_RE.finditer(clause) if (v := _duration(spec, m))
               and not _times_money(clause, m.end()) and not _calendar_month(clause, m)]
    elif spec.type == "number" and canonical(spec.unit):  # 120平 / 5000公斤 for a field in 吨 / 四十个小时
        out = [(a, b, format_number(v)) for a, b, v in quantity_in(clause, spec.unit)]
    elif spec.type == "number":
        units = re.escape(spec.unit) if spec.unit else "(?!)"
        out = [
            (m.start(), m.end(), m.group(1)) for m in re.finditer(rf"(\d+(?:\.\d+)?)\s*(?:{units})", clause)
        ]
    return [(s + a, s + b, v) for a, b, v in out if v is not None]


def lone_amounts(text: str, taken: list) -> list[tuple[int, int, Any]]:
    """Every amount in 元 written with its unit (5万块钱 / 3000元) that is free, not foreign money and not
    an amount per anything (每平方米 / 每月维护费3000元 / 3000元/月: no total)."""
    out = []
    for m in AMOUNT_RE.finditer(text):
        s, _ = clause_of(text, m.start())
        per = "每" in text[s : m.start()] or re.match(r"\s*(?:/|每)", text[m.end() :])
        if _free(m.span(), taken) and not per and not FOREIGN.match(text, m.end("num")):
            out.append((m.start(), m.end(), m.group(0)))
    return out


def lone_quantities(spec: FieldSpec, text: str, taken: list) -> list[tuple[int, int, Any]]:
    """Every free quantity (大概60平 / 120平的房子) in a measure the number field's unit converts from —
    not the unit of a rate (每平方米)."""
    if spec.type != "number" or canonical(spec.unit) not in UNITS:
        return []
    return [(a, b, format_number(v)) for a, b, v in quantity_in(text, spec.unit)
            if _free((a, b), taken) and text[max(0, a - 1):a] != "每"]


def lone_rates(spec: FieldSpec, text: str) -> list[tuple[int, int, Any]]:
    """Every rate in the text in a unit the rate field allows."""
    return _values_in(spec, text, 0, len(text))


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return all(span[1] <= a or span[0] >= b for a, b in taken)


def spaced(text: str) -> bool:
    """A request written as a space-separated list (托运人 X 承运人 Y 货物 …): spaces end clauses."""
    return len(re.findall(r"[\u4e00-\u9fff）)]\s+[\u4e00-\u9fff（(]", text)) >= 3


SPACE_BETWEEN_WORDS = re.compile(CLAUSE_DELIMS.pattern + r"|(?<=[\u4e00-\u9fff）)])\s+(?=[\u4e00-\u9fff（(])")


def clause_of(text: str, pos: int, spaces: bool = False) -> tuple[int, int]:
    """The clause around pos; with spaces, a space between two words ends it too (月租 1600 元 押金 …)."""
    delims = SPACE_BETWEEN_WORDS if spaces else CLAUSE_DELIMS
    before = [m.end() for m in delims.finditer(text, 0, pos)]
    after = delims.search(text, pos)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def _text_near(spec: FieldSpec, text: str, cue_end: int, taken: list) -> tuple[Any, tuple[int, int]] | None:
    lead = re.match(r"[为是：:在至于—－\s]*", text[cue_end:]).end()
    _, e = clause_of(text, cue_end + lead, spaces=True)
    if spec.shape == "name":
        return name_value(text, cue_end + lead, e, taken)
    value = _before_other_cue(spec, TEXT_END.sub("", text[cue_end + lead:e]).strip())
    if spec.shape == "address":
        value = address_prefix(ADDRESS_END.sub("", value))
    span = (cue_end + lead, cue_end + lead + len(value))
    ok = (
        len(value) >= 2
        and "＿" not in value
        and _free(span, taken)
        and not TITLE_ONLY.match(value)
        and not AMOUNT_RE.search(value)
        and not NOT_TEXT.match(value)
        and not DURATION_RE.fullmatch(value)
        and not QUANTITY_RE.fullmatch(value)
    )  # 代理费…, 货到后付款, 6个月: no text
    return (value, span) if ok else None


NAME_LEAD = re.compile(r"(?:(?:我们?|他|她)?(?:的)?(?:" + "|".join(KIN) + r"|[哥姐弟妹爸妈]))?")


def name_value(text: str, start: int, end: int, taken: list) -> tuple[Any, tuple[int, int]] | None:
    """A text field of `shape: name` (债务人北京星河科技有限公司 / 为我弟弟刘洋): the organisation or person
    named right at its cue — the name only, never the rest of the clause."""
    from .parties import find_orgs, person_at

    orgs = [o for o in find_orgs(text[start:end]) if o.start == 0]
    if orgs:
        span = (start, start + orgs[0].end)
        return (orgs[0].name, span) if _free(span, taken) else None
    at = NAME_LEAD.match(text, start, end).end()
    name = person_at(text, at)
    span = (at, at + len(name))
    return (name, span) if name and _free(span, taken) else None


def _before_other_cue(spec: FieldSpec, value: str) -> str:
    """从天津到成都: the origin ends where the destination's cue word (到) starts a word of its own."""
    from .words import occurrences, word_at

    cut = min((i for c in spec.stop_cues for i in occurrences(c, value) if i >= 2 and word_at(value, i) == c),
              default=len(value))
    return value[:cut].strip()


NOT_TEXT = re.compile(r"费|(?:后|前|时|期)(?:付款|付清|支付|结算|还款|付)|付款$")
TITLE_ONLY = re.compile(
    r"^(?:个|份|一份|一个)?[\u4e00-\u9fff]{0,8}(?:合同|协议)$"
)  # 做个技术服务合同: the contract asked for


def address_value(spec: FieldSpec, text: str, taken: list) -> tuple[Any, tuple[int, int]] | None:
    """A required address field no cue introduced: the first street address in the request not used."""
    if spec.shape != "address" or not spec.required:
        return None
    for s, e, value in addresses_in(text):
        if _free((s, e), taken):
            return value, (s, e)
    return None


KEYED = re.compile(r"\s*[：:—－]\s*")


def _value_near(spec: FieldSpec, text: str, cue: re.Match, taken: list) -> tuple[Any, tuple[int, int]] | None:
    keyed = KEYED.match(text, cue.end())
    if (
        keyed and spec.type != "text"
    ):  # 工资：5800元/月 发薪日：… — the value runs to the next space or clause end
        s, e = clause_of(text, keyed.end(), spaces=True)
        s = cue.start()
    else:
        s, e = clause_of(text, cue.start(), spaces=spaced(text))
    if any(w in text[s:e] for w in spec.avoid):
        return None
    if spec.type == "text":  # a verb cue the field keeps (处理…事宜 / 办理…手续) starts the value
        return _text_near(spec, text, cue.start() if cue.group(0) in spec.keep_cues else cue.end(), taken)
    found = [v for v in _values_in(spec, text, s, e, cue.span()) if _free(v[:2], taken)]
    if spec.type == "money" and not any(v[0] >= cue.end() for v in found):
        found += [v for v in _money_after(text, cue, s, e) if _free(v[:2], taken)]
    if spec.type == "number" and spec.unit and not any(v[0] >= cue.end() for v in found):
        found += [v for v in _number_after(text, cue.end(), e) if _free(v[:2], taken)]
    around = [v for v in found if v[0] <= cue.start() and v[1] >= cue.end()]  # 每平方米报价980元 around 报价
    after = sorted(v for v in found if v[0] >= cue.end())
    before = sorted(v for v in found if v[1] <= cue.start())
    pick = around[0] if around else after[0] if after else (before[-1] if before else None)
    return (pick[2], pick[:2]) if pick else None


def cue_forms(cue: str) -> list[str]:
    """A cue and its short written form: 合同价款 is also written 合同价 (a 价款 / 价格 cue of 3+
    characters)."""
    short = re.sub(r"价(?:款|格)$", "价", cue)
    return [cue, short] if short != cue and len(short) >= 3 else [cue]


def cues_of(spec: FieldSpec) -> list[re.Pattern]:
    return [re.compile(c[3:]) if c.startswith("re:") else re.compile(re.escape(f))
            for c in spec.cues for f in ([c] if c.startswith("re:") else cue_forms(c))]


def cue_value(spec: FieldSpec, text: str, taken: list[tuple[int, int]]) -> tuple[Any, tuple[int, int]] | None:
    """The field's value next to its most specific cue (cues are listed specific first):
    the nearest value after the cue in its clause, else the nearest before it."""
    for rx in cues_of(spec):
        for m in rx.finditer(text):
            found = _value_near(spec, text, m, taken)
            if found:
                return _scaled(spec, text, m.group(0), found)
    return None


def _scaled(spec: FieldSpec, text: str, cue: str, found: tuple) -> tuple:
    """A year rate from a month rate (月利率1.5% -> 18) for fields that declare `monthly_cues`."""
    value, span = found
    if spec.type == "percent" and cue in spec.monthly_cues and value is not None:
        return format_number(Decimal(value) * 12), span
    return found


def monthly_rate(spec: FieldSpec, text: str, taken: list) -> tuple[Any, tuple[int, int]] | None:
    """月息1分 (one percent a month) -> 12 (a year rate)."""
    if not spec.monthly_cues:
        return None
    for m in MONTHLY_RATE_RE.finditer(text):
        if _free(m.span(), taken):
            try:
                rate = parse_number(m.group("num")) + (
                    parse_number(m.group("li")) / 10 if m.group("li") else 0
                )
                return format_number(rate * 12), m.span()
            except ValueError:
                continue
    return None


def zero_value(spec: FieldSpec, text: str) -> tuple[Any, tuple[int, int]] | None:
    """不要利息 / 无息: the field is stated as zero."""
    for w in spec.zero_words:
        i = text.find(w)
        if i >= 0:
            return "0", (i, i + len(w))
    return None
