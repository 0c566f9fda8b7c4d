"""Rendering a template to Markdown: display values, computed totals, and the safety check.

Owns the view of typed values that the Jinja text sees (`f.NAME` display strings or
blanks, `has.NAME`, `cn.NAME` capital amounts, `box.NAME` check boxes, party / item /
schedule / dispute views, `ask.NAME` for optional clauses the request or caller asked for), the computed
fields (line subtotals, totals, instalment
amounts), and `render_markdown`, which renders with StrictUndefined and then refuses
any output that still holds Jinja markers, "None" or "Undefined".
"""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import jinja2

from ..numerals import int_to_cn
from .errors import TemplateError
from .money import format_amount, format_number, quantize, to_capital
from .schema import PARTY_KEYS, TEMPLATES_DIR, Template

BLANK = "________"
SHORT_BLANK = "____"
DATE_BLANK = "______年____月____日"
BLANK_ROWS = 3
_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\bNone\b|\bUndefined\b")


# --- computed values --------------------------------------------------------------------------
def line_subtotal(row: dict) -> Decimal | None:
    if "quantity" in row and "unit_price" in row:
        return quantize(row["quantity"] * row["unit_price"])
    return None


def items_total(rows: list[dict]) -> Decimal | None:
    """Sum of the line subtotals; None unless every row has quantity and unit price."""
    subtotals = [line_subtotal(r) for r in rows]
    return None if not rows or any(s is None for s in subtotals) else sum(subtotals, Decimal("0.00"))


def base_amount(tpl: Template, values: dict, field_name: str) -> Decimal | None:
    """The amount a schedule splits: a money field, or the total of an items field."""
    spec = tpl.fields.get(field_name)
    v = values.get(field_name)
    if spec is None or v is None:
        return None
    return items_total(v) if spec.type == "items" else v


def instalments(stages: list[dict], base: Decimal | None) -> list[Decimal | None]:
    """Each stage's amount; the last takes the remainder so the amounts add up to the base exactly."""
    if base is None:
        return [None] * len(stages)
    amounts = [quantize(base * s["percent"] / 100) for s in stages[:-1]]
    return amounts + [base - sum(amounts, Decimal("0.00"))]


def computed(tpl: Template, values: dict) -> dict[str, str]:
    """Computed fields for Draft.to_dict(): totals, capital amounts, instalments."""
    out: dict[str, Any] = {}
    for name, spec in tpl.fields.items():
        v = values.get(name)
        if v is None:
            continue
        if spec.type == "money":
            out[f"{name}_capital"] = to_capital(v)
        elif spec.type == "items" and spec.priced:
            out[f"{name}_subtotals"] = [_opt(line_subtotal(r)) for r in v]
            total = items_total(v)
            if total is not None:
                out[f"{name}_total"], out[f"{name}_total_capital"] = str(total), to_capital(total)
        elif spec.type == "schedule":
            amounts = instalments(v, base_amount(tpl, values, spec.base))
            if amounts and amounts[0] is not None:
                out[f"{name}_amounts"] = [str(a) for a in amounts]
    return out


def _opt(d: Decimal | None) -> str | None:
    return None if d is None else str(d)


# --- the view the Jinja text sees ------------------------------------------------------------
def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _scalar(spec, v) -> str:
    if v is None:
        return {"date": DATE_BLANK, "integer": SHORT_BLANK, "percent": SHORT_BLANK}.get(spec.type, BLANK)
    if spec.type == "money":
        return format_amount(v)
    if spec.type in ("number", "percent"):
        return format_number(v)
    if spec.type == "date":
        return cn_date(v)
    return str(v)


def party_view(spec, v: dict | None) -> dict:
    v = v or {}
    view = {k: v.get(k) or BLANK for k in PARTY_KEYS}
    view.update(role=spec.role, title=spec.title, label=spec.label, given=bool(v),
                kind=v.get("kind") or (spec.kind if spec.kind != "any" else ""))
    return view


def items_view(spec, rows: list[dict] | None) -> dict:
    out_rows = []
    for i, r in enumerate(rows or []):
        sub = line_subtotal(r)
        out_rows.append({"no": str(i + 1), "name": _cell(r.get("name")), "spec": _cell(r.get("spec")),
                         "unit": _cell(r.get("unit")),
                         "quantity": format_number(r["quantity"]) if "quantity" in r else "",
                         "unit_price": format_amount(r["unit_price"]) if "unit_price" in r else "",
                         "subtotal": format_amount(sub) if sub is not None else ""})
    if not out_rows:
        out_rows = [
            {k: "" for k in ("name", "spec", "unit", "quantity", "unit_price", "subtotal")} | {"no": str(i)}
            for i in range(1, BLANK_ROWS + 1)
        ]
    total = items_total(rows or [])
    return {"rows": out_rows, "given": bool(rows), "priced": spec.priced,
            "total": format_amount(total) if total is not None else BLANK,
            "total_cn": to_capital(total) if total is not None else BLANK}


def _cell(s: str | None) -> str:
    return (s or "").replace("|", "｜")


def schedule_view(stages: list[dict] | None, base: Decimal | None) -> dict:
    if not stages:
        return {"given": False, "stages": [
            {"no": int_to_cn(i), "stage": BLANK, "percent": SHORT_BLANK, "amount": BLANK,
             "amount_cn": BLANK, "due": BLANK} for i in (1, 2)]}
    amounts = instalments(stages, base)
    return {"given": True, "stages": [
        {"no": int_to_cn(i + 1), "stage": s.get("stage", BLANK), "percent": format_number(s["percent"]),
         "amount": format_amount(a) if a is not None else BLANK,
         "amount_cn": to_capital(a) if a is not None else BLANK, "due": s.get("due", BLANK)}
        for i, (s, a) in enumerate(zip(stages, amounts))]}


def dispute_view(v: dict | None) -> dict:
    v = v or {}
    return {"given": bool(v), "method": v.get("method", ""),
            "court": v.get("court") or BLANK + "人民法院",
            "commission": v.get("commission") or BLANK + "仲裁委员会"}


def check_boxes(spec, v: str | None) -> str:
    return "　".join(("☑" if c == v else "□") + c for c in spec.choices)


def build_context(tpl: Template, values: dict, asked: set[str] | None = None) -> dict:
    """What the clause text may use: f, has, cn, box, ask (see the module docstring)."""
    f, has, cn, box, ask = {}, {}, {}, {}, {}
    for name, spec in tpl.fields.items():
        v = values.get(name)
        if (
            v is None
            and spec.default is not None
            and spec.type not in ("party", "items", "schedule", "dispute")
        ):
            v = spec.default
        has[name] = name in values
        ask[name] = name in values or name in (asked or ())
        if spec.type == "party":
            f[name] = party_view(spec, v)
        elif spec.type == "items":
            f[name] = items_view(spec, v)
        elif spec.type == "schedule":
            f[name] = schedule_view(v, base_amount(tpl, values, spec.base))
        elif spec.type == "dispute":
            f[name] = dispute_view(v)
        else:
            f[name] = _scalar(spec, v)
        if spec.type == "money":
            cn[name] = to_capital(v) if v is not None else BLANK
        if spec.type == "choice":
            box[name] = check_boxes(spec, v)
    return {
        "f": namespace(f),
        "has": namespace(has),
        "cn": namespace(cn),
        "box": namespace(box),
        "ask": namespace(ask),
        "BLANK": BLANK,
        "SHORT": SHORT_BLANK,
        "DATE_BLANK": DATE_BLANK,
    }


def namespace(value: Any) -> Any:
    """Dicts as attribute namespaces, so a field called `items` is not dict.items in Jinja."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [namespace(v) for v in value]
    return value


# --- Jinja -------------------------------------------------------------------------------------
def _finalize(value: Any) -> Any:
    if value is None:
        raise TemplateError("a template printed None (a value is missing its blank)")
    if isinstance(value, (dict, list, SimpleNamespace)):
        raise TemplateError("a template printed a whole view object instead of one of its values")
    return value


def count_words(value: str) -> str:
    """'2' -> '两', '12' -> '十二' (一式两份); blanks pass through."""
    if not str(value).isdigit():
        return value
    n = int(value)
    return "两" if n == 2 else int_to_cn(n)


@functools.lru_cache(maxsize=16)
def environment(directory: str = str(TEMPLATES_DIR)) -> jinja2.Environment:
    """Jinja for the templates of one folder: its own .j2 files first, then the shared built-in ones."""
    dirs = list(dict.fromkeys([directory, str(TEMPLATES_DIR)]))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False, finalize=_finalize)
    env.filters["count"] = count_words
    return env


@functools.lru_cache(maxsize=512)
def _compiled(text: str, directory: str = str(TEMPLATES_DIR)) -> jinja2.Template:
    return environment(directory).from_string('{% import "_macros.md.j2" as m with context %}' + text)


def render_clause(text: str, ctx: dict, where: str, directory: str = str(TEMPLATES_DIR)) -> str:
    try:
        return _compiled(text, directory).render(**ctx).strip()
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None


def render_markdown(tpl: Template, values: dict, basis: list[dict] | None = None,
                    asked: set[str] | None = None, title: str | None = None) -> str:
    """The whole contract as Markdown; `basis` (clause -> verified references) adds an appendix; `asked`
    names optional clauses (payment_schedule) to print as blanks although they have no value; `title` is
    the document's title when the request named a narrower one (家具买卖合同)."""
    ctx = build_context(tpl, values, asked)
    where, folder = tpl.path or tpl.name, str(tpl.directory)
    clauses = [{"label": f"第{int_to_cn(i + 1)}条", "title": c.title,
                "body": render_clause(c.text, ctx, f"{where}: clause {c.title}", folder)}
               for i, c in enumerate(tpl.clauses)]
    parties = [getattr(ctx["f"], n) for n, s in tpl.fields.items() if s.type == "party"]
    page = {
        "title": title or tpl.title,
        "preamble": render_clause(tpl.preamble, ctx, f"{where}: preamble", folder) if tpl.preamble else "",
        "recitals": render_clause(tpl.recitals, ctx, f"{where}: recitals", folder) if tpl.recitals else "",
    }
    try:
        md = environment(folder).get_template("_layout.md.j2").render(
            page=page, parties=parties, clauses=clauses, basis=basis or [], **ctx)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"_layout.md.j2: {type(exc).__name__}: {exc}") from None
    md = paragraphs(md)
    check_output(md, values)
    return md


def paragraphs(md: str) -> str:
    """One paragraph per line (blank line between), table rows kept together."""
    blocks: list[str] = []
    for line in (ln.rstrip() for ln in md.splitlines()):
        if not line.strip():
            continue
        if line.startswith("|") and blocks and blocks[-1].startswith("|"):
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return "\n\n".join(blocks) + "\n"


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def check_output(md: str, values: dict) -> None:
    """Refuse output with Jinja markers or None/Undefined that did not come from the user's own text."""
    masked = md
    for s in sorted(set(_strings(values)), key=len, reverse=True):
        masked = masked.replace(s.replace("|", "｜"), " ").replace(s, " ")
    m = _LEFTOVER.search(masked)
    if m:
        around = masked[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
        raise TemplateError(f"rendered contract still contains {m.group(0)!r}: …{around}…")
