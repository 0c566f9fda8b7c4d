"""Payment splits in a request: 签约后支付30%，验收后支付70% / 分两期支付，各50% / 按季度平均支付 /
首付30%，中期40%，尾款30% / 剩余百分之十作为质保金 / 验收合格后一次性付清.

Owns `extract_schedule(text) -> (stages, spans, asked)`: stages in the loose input form
{stage, percent} that `fields.validate` checks, the spans they came from, and whether the
request asks for instalments at all (分期 / 首付 / 尾款 …) — the template prints the instalment
clause only then. Percentages are read per sentence that talks about paying; a split that does
not add up to 100 is returned as it is and reported by validation (never silently patched),
except that a stated remainder (剩余/余款/尾款 without a figure) takes what is left.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .items import clause_spans
from .money import format_number, parse_number
from .scalars import PERCENT_RE, percent_value

SENTENCES = re.compile(r"[^。；;！!？?\n]+")
PAY_CONTEXT = re.compile(
    r"支付|付款|付清|付|分期|分[两二三四五六\d]期|首付|尾款|预付|质保金|余款|结清|签约|验收|上线"
)
ASKED = re.compile(
    r"分期|分[两二三四五六七八九十\d]+(?:期|次)|首付|尾款|预付款|进度款|质保金|按季度|按月支付|各\d+%|各百分之"
)
NOT_SCHEDULE = re.compile(r"违约|利率|利息|逾期|滞纳|罚|赔偿|押金|保证金|年化|月息|成交价|回款|税")
ONE_OFF_RE = re.compile(r"一次性(?:付款|支付|付清)|全额(?:付款|支付)|付清全部|支付全部")
EQUAL_RE = re.compile(
    r"(?:分(?P<n>[两二三四五六\d])(?:期|次)[^，,。；;]{0,6}?(?:平均|等额|各半))|(?P<q>按季度平均|每季度平均|按季平均)"
)
EACH_RE = re.compile(
    r"分(?P<n>[两二三四五六\d])(?:期|次)[^。；;]{0,12}?各\s*(?:付|支付)?\s*(?:(?P<num>\d+(?:\.\d+)?)\s*%|"
    r"百分之(?P<cn>[一二三四五六七八九十]+)|(?P<half>一半))"
)
HALF_RE = re.compile(r"(?:另)?一半")  # 签约后付一半，验收后付另一半
REST_RE = re.compile(r"剩余|余款|尾款|余下")
STAGE_NOISE = re.compile(
    r"向?[甲乙]方|的|即|合同总价款|合同总价|总价款|总价|货款|价款|款项|合同金额|服务费|运费|费用|租金|"
    r"预付|支付|付款|付清|付|作为|[，,、\s：:]"
)


def _stage_label(clause: str, pm: re.Match | None, n: int) -> str:
    label = STAGE_NOISE.sub("", clause.replace(pm.group(0), "") if pm else clause).strip("＿")
    if len(label) < 2:
        return "预付款" if "预付" in clause else f"第{n}期"
    return label[:40]


def _clauses(text: str, s: int, e: int) -> list[tuple[int, int]]:
    return [(a, b) for a, b in clause_spans(text[s:e]) for a, b in [(s + a, s + b)]]


def _equal_split(text: str) -> tuple[list[dict], list[tuple[int, int]]]:
    m = EACH_RE.search(text)
    if m:
        n = int(parse_number(m.group("n")))
        pct = m.group("num") or ("50" if m.group("half") else format_number(parse_number(m.group("cn"))))
        if m.group("half") and n != 2:
            return [], []
        return [{"stage": f"第{i + 1}期", "percent": pct} for i in range(n)], [m.span()]
    m = EQUAL_RE.search(text)
    if m:
        n = 4 if m.group("q") else int(parse_number(m.group("n")))
        pct = Decimal(100) / n
        if pct == pct.quantize(Decimal("0.01")):
            return [{"stage": f"第{i + 1}期", "percent": format_number(pct)} for i in range(n)], [m.span()]
    return [], []


def _parts(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """A clause, split at 、 and spaces when it holds more than one percentage (40%、30%、30% / 首付50%
    尾款50%)."""
    if len(PERCENT_RE.findall(text[a:b])) < 2:
        return [(a, b)]
    out, start = [], a
    for m in re.finditer(r"[、\s]+", text[a:b]):
        out.append((start, a + m.start()))
        start = a + m.end()
    return [(x, y) for x, y in out + [(start, b)] if y > x]


def _sentence_stages(text: str, s: int, e: int) -> tuple[list[dict], list[tuple[int, int]]]:
    stages, spans, rest = [], [], None
    for a, b in [p for c in _clauses(text, s, e) for p in _parts(text, *c)]:
        clause = text[a:b]
        if NOT_SCHEDULE.search(clause):
            continue
        pm = PERCENT_RE.search(clause)
        half = HALF_RE.search(clause) if not pm and PAY_CONTEXT.search(clause) else None
        if pm and percent_value(pm) is not None:
            stages.append({"stage": _stage_label(clause, pm, len(stages) + 1), "percent": percent_value(pm)})
            spans.append((a, b))
        elif half:
            stages.append({"stage": _stage_label(clause, half, len(stages) + 1), "percent": "50"})
            spans.append((a, b))
        elif REST_RE.search(clause) and stages and rest is None:
            rest = (a, b)
    total = sum(Decimal(st["percent"]) for st in stages)
    if rest and 0 < total < 100:
        stages.append({"stage": _stage_label(text[rest[0]:rest[1]], None, len(stages) + 1),
                       "percent": format_number(100 - total)})
        spans.append(rest)
    return stages, spans


def extract_schedule(text: str) -> tuple[list[dict], list[tuple[int, int]], bool]:
    """Instalments -> ([{stage, percent}], spans, asked)."""
    asked = bool(ASKED.search(text))
    stages, spans = _equal_split(text)
    if stages:
        return stages, spans, True
    for m in SENTENCES.finditer(text):
        if not PAY_CONTEXT.search(m.group(0)):
            continue
        found, where = _sentence_stages(text, m.start(), m.end())
        if found:
            stages += found
            spans += where
    if stages:
        return stages, spans, True
    for s, e in clause_spans(text):
        m = ONE_OFF_RE.search(text[s:e])
        if m and not NOT_SCHEDULE.search(text[s:e]):
            stage = STAGE_NOISE.sub("", text[s:s + m.start()]).strip("＿")
            return [{"stage": stage or "一次性付款", "percent": "100"}], [(s, e)], asked
    return [], [], asked
