"""Values a request states through another value: 押二付一 / 押金为两个月租金 (a multiple of the rent),
年租金12万元 for a month rent (divided, only when it divides to the cent), 招聘快递员何军 (the job title).

Owns `derive(tpl, extraction, taken)`, run after the cue rules; each derived value records the
words it came from and a note saying how it was computed, so nothing is silently transformed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .money import format_number, parse_amount, parse_number, quantize
from .parties import PERSON
from .schema import Template

DEPOSIT_MONTHS = re.compile(r"押\s*(?P<n>[一二两三四五六\d])\s*付|(?P<m>[一二两三四五六\d])\s*个月(?:的)?(?:租金|房租|月租)")
TITLE_RE = re.compile(rf"(?:招聘|聘用|录用|雇佣|招了个?)(?P<title>[\u4e00-\u9fff]{{2,6}}?)(?:一名|一位)?[：:]?(?P<name>{PERSON})"
                      rf"(?=[，,。；;（(\s]|为)")


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
            n = parse_number(m.group("n") or m.group("m"))
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
    m = TITLE_RE.search(ex.text)
    named = ex.evidence.get("_parties", [])
    if m and not re.search(r"[的了为是]", m.group("title")) and m.span("name") in named:
        ex.put(name, m.group("title"), [m.span("title")])


def derive(tpl: Template, ex, taken: list) -> None:
    for name, spec in tpl.fields.items():
        if spec.divide:
            _divided(ex, name, spec)
        if spec.multiple_of:
            _multiple(tpl, ex, name, spec)
        if spec.from_title:
            _title(ex, name)
