"""From a plain-language request to a template and field values, by rules (no model needed).

Owns `classify` (keyword scoring over each template's strong keywords / keywords,
deterministic, NoTemplateMatch when nothing or several fit equally) and
`rule_extract` (parties with their details, product lines with quantity and unit price,
payment schedules, courts / arbitration bodies, and every scalar field declared with
`cues` in its template: dates, amounts, percentages, durations, text). Values come back
in the loose input form that `fields.validate` checks, exactly like user-supplied fields.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..numerals import DATE_RE, date_iso
from .errors import NoTemplateMatch
from .items import CLAUSE_DELIMS, CN_SMALL, clause_spans, extract_items
from .money import AMOUNT, format_number, parse_number
from .parties import Mention, find_commissions, find_courts, find_details, find_orgs, find_persons, mask
from .schema import FieldSpec, Template, load_templates

_WIDTH = str.maketrans("０１２３４５６７８９％．\u3000", "0123456789%. ")
SENTENCE_DELIMS = re.compile(r"[。；;！!？?\n]")
PERCENT_RE = re.compile(rf"(?P<num>\d+(?:\.\d+)?)\s*%|(?P<per>百|千|万)分之(?P<cn>[{CN_SMALL}点]+|\d+(?:\.\d+)?)")
AMOUNT_RE = re.compile(AMOUNT)
DURATION_RE = re.compile(rf"(?P<num>\d+|[{CN_SMALL}]+)\s*(?P<unit>个自然日|自然日|个工作日|工作日|日|天|个月|月|年|周|星期|份|小时)")
UNIT_CANON = {"个自然日": "日", "自然日": "日", "天": "日", "月": "个月", "星期": "周", "个工作日": "工作日"}
UNIT_FACTOR = {("年", "个月"): 12, ("周", "日"): 7}
TEXT_END = re.compile(r"(?:的房子|的房屋|的住房|的住宅|的商铺|的房产|出租给|租给|出售给|卖给|借给|交给|用于|作为|运到|运至|运往|"
                      r"送到|送至).*$")
SELF_MARK = re.compile(r"(?:我们|我公司|我司|我方|我单位|本公司|本单位|我叫|我是|本人|我名叫)(?:公司)?(?:是|为|系|叫|：|:)?[（(]?$")
GENERIC_ANCHORS = ("朋友", "同事", "亲戚", "客户", "我叫", "我是", "本人", "名叫", "我名叫")
ONE_OFF_RE = re.compile(r"一次性(?:付款|支付|付清)|全额(?:付款|支付)|付清全部")
PAY_VERB = re.compile(r"预付|支付|付款|付清|付")
NOT_SCHEDULE = re.compile(r"违约|利率|利息|逾期|滞纳|罚|赔偿|押金|保证金")
STAGE_NOISE = re.compile(r"向?[甲乙]方|的|即|合同总价款|合同总价|总价款|总价|货款|价款|款项|合同金额|服务费|运费|费用|租金|"
                         r"预付|支付|付款|付清|付|[，,、\s]")


def normalize(text: str) -> str:
    """Full-width digits and % to ASCII; length unchanged so spans stay valid."""
    return text.translate(_WIDTH)


# --- which template ----------------------------------------------------------------------------
def choices() -> list[dict]:
    return [{"name": t.name, "title": t.title} for t in load_templates().values()]


def score(tpl: Template, text: str) -> int:
    return sum(3 for k in tpl.strong_keywords if k in text) + sum(1 for k in tpl.keywords if k in text)


def classify(request: str) -> Template:
    """The template a request asks for; NoTemplateMatch (listing every template) if none or a tie."""
    text = normalize(request)
    text = mask(text, [(m.start, m.end) for m in find_orgs(text)] + [(s, e) for s, e, _ in find_courts(text)])
    scored = sorted(((score(t, text), t) for t in load_templates().values()), key=lambda x: -x[0])
    best = scored[0][0]
    if best == 0:
        raise NoTemplateMatch("the request names no contract type lawglm has a template for", choices())
    tied = [t for s, t in scored if s == best]
    if len(tied) > 1:
        names = "、".join(t.title for t in tied)
        raise NoTemplateMatch(f"the request fits several contract types equally ({names})", choices())
    return tied[0]


# --- parties ------------------------------------------------------------------------------------
def _role_words(tpl: Template) -> dict[str, str]:
    words: dict[str, str] = {}
    for n, s in tpl.fields.items():
        if s.type == "party":
            for w in (s.role, s.title, *s.aliases):
                words.setdefault(w, n)
    return words


def _nearest_role(head: str, roles: dict[str, str]) -> str:
    best, best_end = "", -1
    for w, f in roles.items():
        i = head.rfind(w)
        if i >= 0 and i + len(w) > best_end:
            best, best_end = f, i + len(w)
    return best


def _self_party(tpl: Template, text: str) -> str:
    """Which party the person writing is (我们公司 / 我叫…): the template's self_rules, else its self_party."""
    for rule in tpl.self_rules:
        if any(w in text for w in rule["when"]):
            return rule["party"]
    return tpl.self_party


def _role_of(text: str, m: Mention, roles: dict[str, str], tpl: Template) -> str:
    """The party field a name belongs to: a role word before it (clause, then sentence), a role or
    `after` word right after it, 我们/我叫 (the writer's own party), or 向X (the source party)."""
    window = text[max(0, m.start - 20):m.start]
    sentence = window[max((window.rfind(c) for c in "。；;\n"), default=-1) + 1:]
    head = sentence[max((sentence.rfind(c) for c in "，,"), default=-1) + 1:]
    for part in (head, sentence):  # the clause first, then the sentence: （甲方，深圳某某有限公司）
        best = _nearest_role(part, roles)
        if best:
            return best
    tail = text[m.end:m.end + 10]
    role_after = re.match(rf"^[（(]?(?:作为|为|是)?({'|'.join(map(re.escape, roles))})", tail)
    if role_after:
        return roles[role_after.group(1)]
    for name, spec in tpl.fields.items():
        if spec.type == "party" and any(tail.startswith(w) for w in spec.after):
            return name
    if SELF_MARK.search(head):
        return _self_party(tpl, text)
    return tpl.source_party if tpl.source_party and re.search(r"[向从]\s*$", head) else ""


def extract_parties(tpl: Template, text: str) -> tuple[dict[str, dict], list[tuple[int, int]]]:
    """Party fields -> {name, kind, credit_code, …}, and the spans they used."""
    roles = _role_words(tpl)
    if not roles:
        return {}, []
    words = tuple(sorted(roles, key=len, reverse=True))
    orgs = find_orgs(text, words)
    persons = [p for p in find_persons(text, words + GENERIC_ANCHORS + (("向",) if tpl.source_party else ()))
               if not any(o.start <= p.start < o.end for o in orgs)]
    mentions = orgs + persons
    for m in mentions:
        m.target = _role_of(text, m, roles, tpl)
        kind = tpl.fields[m.target].kind if m.target else "any"
        if kind != "any" and kind != m.kind:
            m.target = ""
    bare = [Mention(x.start(), x.end(), target=roles[x.group(0)])
            for x in re.finditer("|".join(map(re.escape, words)), text)]
    values: dict[str, dict] = {}
    spans = []
    for m in sorted(mentions, key=lambda x: x.start):
        if m.target and "name" not in values.get(m.target, {}):
            values.setdefault(m.target, {}).update(name=m.name, kind=m.kind)
            spans.append((m.start, m.end))
    anchors = sorted([m for m in mentions if m.target] + bare, key=lambda x: x.start)
    for s, e, key, value in find_details(text):
        before = [a for a in anchors if a.end <= s and not SENTENCE_DELIMS.search(text[a.end:s])]
        if before:
            values.setdefault(before[-1].target, {}).setdefault(key, value)
            spans.append((s, e))
    return values, spans


# --- payment schedule ----------------------------------------------------------------------------
def percent_value(m: re.Match) -> str | None:
    """30% -> '30'; 百分之三十 -> '30'; 百分之零点五 -> '0.5'; 万分之五 -> '0.05' (all in percent); None if garbled."""
    if m.group("num"):
        return m.group("num")
    whole, _, frac = m.group("cn").partition("点")
    try:
        value = parse_number(whole) if whole else Decimal(0)
        if frac:
            value += Decimal("0." + "".join(str(int(parse_number(c))) for c in frac))
    except ValueError:
        return None
    return format_number(value * {"百": Decimal(1), "千": Decimal("0.1"), "万": Decimal("0.01")}[m.group("per")])


def extract_schedule(text: str) -> tuple[list[dict], list[tuple[int, int]]]:
    """Instalments: 合同签订后支付30% -> {stage: 合同签订后, percent: 30}; 验收后一次性付清 -> one stage of 100%."""
    stages, spans = [], []
    for s, e in clause_spans(text):
        clause = text[s:e]
        pm, vm = PERCENT_RE.search(clause), PAY_VERB.search(clause)
        if not pm or not vm or NOT_SCHEDULE.search(clause) or percent_value(pm) is None:
            continue
        stage = STAGE_NOISE.sub("", clause.replace(pm.group(0), "")).strip("＿")
        if len(stage) < 2:
            stage = "预付款" if "预付" in clause else f"第{len(stages) + 1}期"
        stages.append({"stage": stage, "percent": percent_value(pm)})
        spans.append((s, e))
    if not stages:
        for s, e in clause_spans(text):
            m = ONE_OFF_RE.search(text[s:e])
            if m and not NOT_SCHEDULE.search(text[s:e]):
                stage = STAGE_NOISE.sub("", text[s:s + m.start()]).strip("＿")
                return [{"stage": stage or "一次性付款", "percent": "100"}], [(s, e)]
    return stages, spans


# --- scalar fields by their cues ----------------------------------------------------------------
def _duration(spec: FieldSpec, m: re.Match) -> str | None:
    """'两年' for a field counted in 个月 -> '24'; None when the units do not convert."""
    unit = UNIT_CANON.get(m.group("unit"), m.group("unit"))
    want = spec.unit or unit
    try:
        n = parse_number(m.group("num"))
    except ValueError:
        return None
    if unit == want:
        return format_number(n)
    factor = UNIT_FACTOR.get((unit, want))
    return format_number(n * factor) if factor else None


def _values_in(spec: FieldSpec, text: str, s: int, e: int) -> list[tuple[int, int, Any]]:
    """Candidate values of the field's type inside text[s:e] (absolute spans)."""
    clause, out = text[s:e], []
    if spec.type == "date":
        out = [(m.start(), m.end(), date_iso(m)) for m in DATE_RE.finditer(clause)]
    elif spec.type == "money":
        out = [(m.start(), m.end(), m.group(0)) for m in AMOUNT_RE.finditer(clause)]
    elif spec.type == "percent":
        out = [(m.start(), m.end(), percent_value(m)) for m in PERCENT_RE.finditer(clause)]
    elif spec.type == "integer":
        out = [(m.start(), m.end(), v) for m in DURATION_RE.finditer(clause) if (v := _duration(spec, m))]
    elif spec.type == "number":
        units = "|".join(map(re.escape, [spec.unit, *NUMBER_UNITS.get(spec.unit, ())])) if spec.unit else "(?!)"
        out = [(m.start(), m.end(), m.group(1)) for m in re.finditer(rf"(\d+(?:\.\d+)?)\s*(?:{units})", clause)]
    return [(s + a, s + b, v) for a, b, v in out if v is not None]


NUMBER_UNITS = {"平方米": ("㎡", "平米", "m²", "m2", "平")}


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return all(span[1] <= a or span[0] >= b for a, b in taken)


def _clause_of(text: str, pos: int) -> tuple[int, int]:
    before = [m.end() for m in CLAUSE_DELIMS.finditer(text, 0, pos)]
    after = CLAUSE_DELIMS.search(text, pos)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def _value_near(spec: FieldSpec, text: str, cue: re.Match, taken: list) -> tuple[Any, tuple[int, int]] | None:
    s, e = _clause_of(text, cue.start())
    if any(w in text[s:e] for w in spec.avoid):
        return None
    if spec.type == "text":
        lead = re.match(r"[为是系：:在至于\s]*", text[cue.end():e]).end()
        value = TEXT_END.sub("", text[cue.end() + lead:e]).strip()
        span = (cue.end() + lead, cue.end() + lead + len(value))
        ok = len(value) >= 2 and "＿" not in value and _free(span, taken)
        return (value, span) if ok else None
    found = [v for v in _values_in(spec, text, s, e) if _free(v[:2], taken)]
    after = [v for v in found if v[0] >= cue.end()]
    before = [v for v in found if v[1] <= cue.start()]
    pick = after[0] if after else (before[-1] if before else None)
    return (pick[2], pick[:2]) if pick else None


def cue_value(spec: FieldSpec, text: str, taken: list[tuple[int, int]]) -> tuple[Any, tuple[int, int]] | None:
    """The field's value next to its most specific cue (cues are listed specific first):
    the nearest value after the cue in its clause, else the nearest before it."""
    for cue in spec.cues:
        for m in re.finditer(re.escape(cue), text):
            found = _value_near(spec, text, m, taken)
            if found:
                return found
    return None


def choice_value(spec: FieldSpec, text: str) -> str | None:
    """The one choice the text mentions (by name or synonym); None if none or several."""
    hits = {c for c in spec.choices for w in (c, *spec.synonyms.get(c, ())) if w in text}
    return hits.pop() if len(hits) == 1 else None


def dispute_value(text: str, courts: list, commissions: list) -> dict:
    litigate = bool(courts) or bool(re.search(r"诉讼|起诉", text))
    arbitrate = bool(commissions) or "仲裁" in text
    if litigate and arbitrate:  # both named: the method word said last with 选择/约定 decides
        said = re.findall(r"(?:选择|约定|采用|通过|选)(诉讼|仲裁)", text)
        litigate, arbitrate = (said[-1] == "诉讼", said[-1] == "仲裁") if said else (bool(courts), not courts)
    if litigate:
        return {"method": "诉讼", **({"court": courts[0][2]} if courts else {})}
    if arbitrate:
        return {"method": "仲裁", **({"commission": commissions[0][2]} if commissions else {})}
    return {}


def rule_extract(tpl: Template, request: str) -> dict[str, Any]:
    """Field values found in the request by rules, in input form (checked later by fields.validate)."""
    text = normalize(request)
    out: dict[str, Any] = {}
    parties, taken = extract_parties(tpl, text)
    out.update(parties)
    courts, commissions = find_courts(text), find_commissions(text)
    taken += [(s, e) for s, e, _ in courts + commissions]
    for name, spec in tpl.fields.items():
        if spec.type == "dispute":
            out[name] = dispute_value(mask(text, taken), courts, commissions)
        elif spec.finder in ("court", "commission"):
            named = courts if spec.finder == "court" else commissions
            out[name] = named[0][2] if named else None
        elif spec.type == "items":
            out[name], spans = extract_items(spec, mask(text, taken))
            taken += spans
    for name, spec in tpl.fields.items():
        if spec.type == "schedule":
            out[name], spans = extract_schedule(mask(text, taken))
            taken += spans
    for name, spec in tpl.fields.items():
        if spec.cues and spec.type not in ("choice", "party", "items", "schedule", "dispute") and not spec.finder:
            found = cue_value(spec, mask(text, taken), taken)
            if found:
                out[name] = found[0]
                taken.append(found[1])
    for name, spec in tpl.fields.items():
        if spec.type == "choice":
            out[name] = choice_value(spec, mask(text, taken))
    return {k: v for k, v in out.items() if v}
