"""Field extraction with a language model, kept honest by the schema and by the request itself.

Owns `llm_extract`: ask a generator (anything with `stream(messages, **params) -> Iterator[str]`,
as in lawglm.models.generation) for a JSON object of field values, then keep a value only if it
passes the template's type checks AND is grounded in the request — every text in it occurs
in the request, every number and date is one the request states. Anything else is dropped
with a note, and the rule-based value (if any) stands in for it.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from ..numerals import DATE_RE, date_iso
from .extract import AMOUNT_RE, PERCENT_RE, normalize, percent_value
from .fields import Bad, coerce
from .money import NUMBER, parse_amount, parse_number
from .schema import Template

MAX_NEW_TOKENS = 768
SYSTEM = ("你是合同起草助手。只根据用户的请求抽取合同字段，输出一个JSON对象，不要输出其他内容。"
          "请求中没有提到的字段一律省略，不得编造。金额用数字（单位：元），日期用YYYY-MM-DD，百分比用数字。")


def build_messages(tpl: Template, request: str) -> list[dict]:
    lines = []
    for name, spec in tpl.fields.items():
        hint = {
            "party": '{"name": "...", "credit_code": "...", "legal_representative": "...", "address": "...", '
            '"phone": "...", "id_number": "..."}',
            "items": '[{"name": "...", "spec": "...", "unit": "...", "quantity": 1, "unit_price": 100}]',
            "schedule": '[{"stage": "...", "percent": 30}]',
            "dispute": '{"method": "诉讼|仲裁", "court": "...", "commission": "..."}',
        }.get(spec.type, spec.type)
        choices = f"（可选：{'/'.join(spec.choices)}）" if spec.choices else ""
        lines.append(f"- {name}: {spec.label}{choices} {hint}")
    user = f"合同类型：{tpl.title}\n字段：\n" + "\n".join(lines) + f"\n\n请求：{request}\n\nJSON："
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_json_object(text: str) -> dict | None:
    """The first JSON object in the model's output (code fences and chatter around it allowed)."""
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text[m.start():])
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


def request_facts(request: str) -> tuple[str, set[Decimal], set[str]]:
    """The request as one string, every number it states (amounts, percentages, plain numbers), its dates."""
    text = normalize(request)
    numbers: set[Decimal] = set()
    for m in AMOUNT_RE.finditer(text):
        with contextlib.suppress(ValueError):
            numbers.add(parse_amount(m.group(0)))
    numbers |= {Decimal(p) for m in PERCENT_RE.finditer(text) if (p := percent_value(m)) is not None}
    for m in re.finditer(NUMBER, text):
        with contextlib.suppress(ValueError):
            numbers.add(parse_number(m.group(0)))
    dates = {d for m in DATE_RE.finditer(text) if (d := date_iso(m))}
    return re.sub(r"\s+", "", text), {n.normalize() for n in numbers}, dates


def grounded(value: Any, facts: tuple[str, set[Decimal], set[str]]) -> bool:
    text, numbers, dates = facts
    if isinstance(value, dict):
        return all(grounded(v, facts) for k, v in value.items() if k != "kind")
    if isinstance(value, list):
        return all(grounded(v, facts) for v in value)
    if isinstance(value, date):
        return value.isoformat() in dates
    if isinstance(value, Decimal):
        return value.normalize() in numbers
    if isinstance(value, int):
        return Decimal(value).normalize() in numbers
    return isinstance(value, str) and re.sub(r"\s+", "", value) in text


def llm_extract(generator: Any, tpl: Template, request: str) -> tuple[dict[str, Any], list[str]]:
    """Field values the model found that check out, and notes on what was dropped and why."""
    try:
        output = "".join(generator.stream(build_messages(tpl, request), max_new_tokens=MAX_NEW_TOKENS,
                                            temperature=0.1, top_p=0.9))
    except Exception as exc:  # noqa: BLE001 - a failing model must not take drafting down with it
        return {}, [f"LLM extraction failed ({type(exc).__name__}: {exc}); used rules only"]
    obj = parse_json_object(output)
    if obj is None:
        return {}, ["LLM output held no JSON object; used rules only"]
    facts = request_facts(request)
    kept, notes = {}, []
    for name, raw in obj.items():
        if name not in tpl.fields or raw in (None, "", [], {}):
            continue
        try:
            value = coerce(tpl.fields[name], raw)
        except Bad as exc:
            notes.append(f"LLM value for {exc.path} rejected: {exc.message}")
            continue
        if not grounded(value, facts):
            notes.append(f"LLM value for {name} is not stated in the request; dropped")
            continue
        kept[name] = raw
    return kept, notes
