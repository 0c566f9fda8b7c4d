"""Values a request states through another value: 押二付一 / 押金为两个月租金 (a multiple of the rent),
年租金12万元 for a month rent (divided, only when it divides to the cent), 招聘快递员何军 (the job title).

Owns `derive(tpl, extraction, taken)`, run after the cue rules; each derived value records the
words it came from and a note saying how it was computed, so nothing is silently transformed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .money import format_number, parse_amount, parse_number, quantize
from .schema import Template

DEPOSIT_MONTHS = re.compile(r"押\s*(?P<n>[一二两三四五六\d])\s*付|交\s*[一二两三四五六\d]\s*押\s*(?P<k>[一二两三四五六\d])|"
                            r"(?P<m>[一二两三四五六\d])\s*个月(?:的)?(?:租金|房租|月租)")
TITLE_BEFORE = re.compile(r"(?:招聘|聘用|聘请|录用|雇佣|雇用|雇|招了?个?|新来的|新招的|是一名|是一位|我是)(?:了)?(?:一名|一位|一个|名|位)?"
                          r"(?P<title>[\u4e00-\u9fff]{2,6}?)(?:一名|一位)?(?:[，,]?\s*(?:叫|名叫|姓名))?[：:]?$")


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


def derive(tpl: Template, ex, taken: list) -> None:
    for name, spec in tpl.fields.items():
        if spec.percent_of:
            _percent_of(ex, name, spec)
        if spec.divide:
            _divided(ex, name, spec)
        if spec.multiple_of:
            _multiple(tpl, ex, name, spec)
        if spec.from_title:
            _title(ex, name)
