"""Field values: checking and normalising what a caller (or the extractor) supplies.

`validate(template, values)` turns loose input (JSON numbers or strings such as
"3,000元", "2026年12月15日", "30%") into typed values — Decimal, date, int, dicts
for parties/items/schedules/dispute resolution — or raises `FieldErrors` listing
every problem with the field path (items[1].unit_price). `to_jsonable` is the inverse
used in `Draft.to_dict()`, so a draft's fields can be sent back unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import FieldErrors
from .money import CN_NUM, MAX_AMOUNT, format_number, parse_amount, parse_number, quantize
from .schema import DISPUTE_METHODS, ITEM_KEYS, PARTY_KEYS, STAGE_KEYS, FieldSpec, Template
from .units import UNIT_WORD

MAX_ROWS = 200
_MARKERS = ("{{", "}}", "{%", "%}", "{#", "#}")
_DATE_RES = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
             re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"))
_ORG_SUFFIX = re.compile(r"(公司|企业|集团|事务所|研究院|研究所|中心|大学|学院|学校|医院|合作社|工作室|商行|"
                         r"经营部|门市部|厂|店|协会|委员会|银行|局|部|院|社|所)$")
_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_CREDIT_RE = re.compile(r"^[0-9A-Z]{18}$")


class Bad(ValueError):
    """One field problem: path and message."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path, self.message = path, message


# --- scalars -------------------------------------------------------------------------------
def text_value(value: Any, path: str, max_length: int = 300) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise Bad(path, f"must be text, got {type(value).__name__}")
    s = re.sub(r"\s+", " ", str(value)).strip()
    if len(s) > max_length:
        raise Bad(path, f"is {len(s)} characters long; at most {max_length}")
    if any(m in s for m in _MARKERS):
        raise Bad(path, "must not contain template markers such as {{ or {%")
    return s


def decimal_value(value: Any, path: str, minimum: float | None = 0, money: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise Bad(path, f"must be a number, got {type(value).__name__}")
    try:
        if isinstance(value, str):
            d = parse_amount(value) if money else parse_number(value.strip().rstrip("%％"))
        else:
            d = Decimal(str(value))
    except (ValueError, InvalidOperation):
        raise Bad(path, f"is not a number: {value!r}") from None
    if not d.is_finite():
        raise Bad(path, f"is not a finite number: {value!r}")
    if minimum is not None and d < Decimal(str(minimum)):
        raise Bad(path, f"must not be less than {minimum}, got {format_number(d)}")
    if money:
        if d > MAX_AMOUNT:
            raise Bad(path, f"is too large (at most {MAX_AMOUNT})")
        return quantize(d)
    return d


def integer_value(value: Any, path: str, minimum: float | None = 0, maximum: float | None = None) -> int:
    d = decimal_value(value, path, minimum=None)
    if d != d.to_integral_value():
        raise Bad(path, f"must be a whole number, got {value!r}")
    n = int(d)
    if minimum is not None and n < minimum:
        raise Bad(path, f"must be at least {int(minimum)}, got {n}")
    if maximum is not None and n > maximum:
        raise Bad(path, f"must be at most {int(maximum)}, got {n}")
    return n


def date_value(value: Any, path: str) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise Bad(path, f"must be a date such as 2026-12-15, got {type(value).__name__}")
    s = value.strip().replace(" ", "")
    for rx in _DATE_RES:
        m = rx.match(s)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise Bad(path, f"is not a valid date (use 2026-12-15 or 2026年12月15日): {value!r}")


def choice_value(spec: FieldSpec, value: Any, path: str) -> str:
    s = text_value(value, path)
    if s in spec.choices:
        return s
    for choice, words in spec.synonyms.items():
        if s in words:
            return choice
    raise Bad(path, f"must be one of {', '.join(spec.choices)}, got {s!r}")


@dataclass(frozen=True)
class Rate:
    """An amount per unit: 200元/吨, 3000元/月, 150元/小时 (a rate field's typed value)."""

    amount: Decimal
    per: str  # the unit, canonical (吨, 月, 小时, 台 …)

    def __str__(self) -> str:
        return f"{format_number(self.amount)}元/{self.per}"


_RATE_FORMS = (
    re.compile(
        rf"^每\s*(?P<per>{UNIT_WORD})\s*(?:[\u4e00-\u9fff]{{0,4}}?(?:为|是)?)?\s*(?P<amount>[\d{CN_NUM}.,]+\s*(?:万|千)?\s*(?:元|块)?)$"
    ),
    re.compile(rf"^(?P<amount>.+?(?:元|块|万|千|\d))\s*(?:/|每|一)\s*(?P<per>{UNIT_WORD})$"),
)


def rate_value(spec: FieldSpec, value: Any, path: str) -> Rate:
    """'200元/吨' / '每吨200元' / {'amount': 200, 'per': '吨'} -> Rate; the unit must be one the field
    allows."""
    from .units import canonical

    if isinstance(value, Rate):
        amount, per = value.amount, value.per
    elif isinstance(value, dict):
        raw = _object(value, path, {"amount": "", "per": ""})
        if "amount" not in raw or "per" not in raw:
            raise Bad(path, "needs amount and per (the unit: 吨, 月, 小时 …)")
        amount, per = raw["amount"], text_value(raw["per"], f"{path}.per", 10)
    elif isinstance(value, str):
        s = value.strip().replace(" ", "")
        m = next((m for rx in _RATE_FORMS if (m := rx.match(s))), None)
        if not m:
            raise Bad(path, f"is not an amount per unit such as 200元/吨 or 每月3000元: {value!r}")
        amount, per = m.group("amount"), m.group("per")
    else:
        raise Bad(path, f"must be an amount per unit such as 200元/吨, got {type(value).__name__}")
    unit = canonical(str(per)) or str(per)
    allowed = [canonical(u) or u for u in spec.per]
    if allowed and unit not in allowed:
        raise Bad(f"{path}.per" if isinstance(value, dict) else path,
                  f"must be per {' / '.join(allowed)}, got per {per!r}")
    return Rate(
        decimal_value(amount, f"{path}.amount" if isinstance(value, dict) else path, money=True), unit
    )


# a number goes on right before / after the words an amount was read from: 4万「5千元」, 「1」万2
_NUMBER_BEFORE = re.compile(r"[\d.,万千百亿]$")
_NUMBER_AFTER = re.compile(r"^[\d万千百亿]")


def implausible_amount(
    spec: FieldSpec, value: Decimal, text: str, spans: list[tuple[int, int]]
) -> str | None:
    """Why an amount read from a request cannot be what it says (None when it is plausible): read from a part
    of a longer number, smaller than the magnitude written in its own words (万 read as less than 10000), or a
    required amount below MIN_PLAUSIBLE_AMOUNT 元. (A template's `minimum` is checked by `coerce`.)"""
    from ..settings import MIN_PLAUSIBLE_AMOUNT

    for s, e in spans:
        words = text[s:e]
        if _NUMBER_BEFORE.search(text[:s]) or _NUMBER_AFTER.match(text[e:]):
            return "只读到了一个更长数额中的一部分"
        if ("亿" in words and value < 10**8) or ("万" in words and value < 10**4):
            return f"读得的{format_number(value)}元小于原文写的数量级"
    if spec.required and value < MIN_PLAUSIBLE_AMOUNT:
        return f"读得的{format_number(value)}元作为{spec.label}不合常理（低于{MIN_PLAUSIBLE_AMOUNT}元）"
    return None


# --- structured ----------------------------------------------------------------------------
def _object(value: Any, path: str, keys: dict) -> dict:
    if not isinstance(value, dict):
        raise Bad(path, f"must be an object with keys {', '.join(keys)}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise Bad(f"{path}.{unknown[0]}", f"unknown key; known keys: {', '.join(keys)}")
    return {k: v for k, v in value.items() if v not in (None, "")}


def party_value(spec: FieldSpec, value: Any, path: str) -> dict:
    raw = {"name": value} if isinstance(value, str) else _object(value, path, PARTY_KEYS)
    out = {k: text_value(v, f"{path}.{k}", 200) for k, v in raw.items()}
    kind = out.get("kind") or (spec.kind if spec.kind != "any" else guess_kind(out))
    if kind not in ("organization", "person", ""):
        raise Bad(f"{path}.kind", "must be organization or person")
    if spec.kind != "any" and kind != spec.kind:
        raise Bad(f"{path}.kind", f"{spec.title or spec.label} must be a {spec.kind}")
    if out.get("id_number") and not _ID_RE.match(out["id_number"]):
        raise Bad(f"{path}.id_number", "must be an 18-character ID number (17 digits + digit or X)")
    if out.get("credit_code") and not _CREDIT_RE.match(out["credit_code"]):
        raise Bad(f"{path}.credit_code", "must be an 18-character unified social credit code")
    if kind:
        out["kind"] = kind
    return out


def guess_kind(party: dict) -> str:
    """organization / person from what is known; '' when nothing says."""
    if party.get("credit_code") or party.get("legal_representative"):
        return "organization"
    if party.get("id_number"):
        return "person"
    name = party.get("name", "")
    if not name:
        return ""
    return "organization" if _ORG_SUFFIX.search(name) or len(name) > 6 else "person"


def items_value(spec: FieldSpec, value: Any, path: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise Bad(path, "must be a non-empty list of rows")
    if len(value) > MAX_ROWS:
        raise Bad(path, f"has {len(value)} rows; at most {MAX_ROWS}")
    keys = ITEM_KEYS if spec.priced else {k: v for k, v in ITEM_KEYS.items() if k != "unit_price"}
    rows = []
    for i, row in enumerate(value):
        p = f"{path}[{i}]"
        raw = _object(row, p, keys)
        if "name" not in raw:
            raise Bad(f"{p}.name", "is required")
        out: dict[str, Any] = {
            k: text_value(raw[k], f"{p}.{k}", 100) for k in ("name", "spec", "unit") if k in raw
        }
        if "quantity" in raw:
            out["quantity"] = decimal_value(raw["quantity"], f"{p}.quantity", minimum=0)
        if "unit_price" in raw:
            out["unit_price"] = decimal_value(raw["unit_price"], f"{p}.unit_price", money=True)
        if "quantity" in out and "unit_price" in out and out["quantity"] * out["unit_price"] > MAX_AMOUNT:
            raise Bad(p, f"line amount quantity × unit_price is too large (at most {MAX_AMOUNT})")
        rows.append(out)
    if (
        sum(r["quantity"] * r["unit_price"] for r in rows if "quantity" in r and "unit_price" in r)
        > MAX_AMOUNT
    ):
        raise Bad(path, f"total amount is too large (at most {MAX_AMOUNT})")
    return rows


def schedule_value(value: Any, path: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise Bad(path, "must be a non-empty list of {stage, percent, due}")
    stages = []
    for i, row in enumerate(value):
        p = f"{path}[{i}]"
        raw = _object(row, p, STAGE_KEYS)
        if "percent" not in raw:
            raise Bad(f"{p}.percent", "is required")
        pct = decimal_value(raw["percent"], f"{p}.percent", minimum=0)
        if pct <= 0 or pct > 100:
            raise Bad(f"{p}.percent", f"must be above 0 and at most 100, got {format_number(pct)}")
        stages.append({"percent": pct, **{k: text_value(raw[k], f"{p}.{k}", 100) for k in ("stage", "due")
                                          if k in raw}})
    total = sum(s["percent"] for s in stages)
    if total != 100:
        raise Bad(path, f"percentages add up to {format_number(total)}, not 100")
    return stages


def dispute_value(value: Any, path: str) -> dict:
    raw = {"method": value} if isinstance(value, str) else _object(
        value, path, {"method": "", "court": "", "commission": ""})
    out = {k: text_value(v, f"{path}.{k}", 100) for k, v in raw.items()}
    method = out.get("method") or ("诉讼" if "court" in out else "仲裁" if "commission" in out else "")
    if method and method not in DISPUTE_METHODS:
        raise Bad(f"{path}.method", f"must be 诉讼 or 仲裁, got {method!r}")
    if method == "诉讼" and "commission" in out:
        raise Bad(f"{path}.commission", "only applies when method is 仲裁")
    if method == "仲裁" and "court" in out:
        raise Bad(f"{path}.court", "only applies when method is 诉讼")
    if method:
        out["method"] = method
    return out


def coerce(spec: FieldSpec, value: Any, path: str | None = None) -> Any:
    """One field's value, typed; raises Bad."""
    p = path or spec.name
    t = spec.type
    if t == "text":
        return text_value(value, p, spec.max_length)
    if t in ("money", "number", "percent"):
        minimum = 0 if spec.minimum is None else spec.minimum
        d = decimal_value(value, p, minimum=minimum, money=(t == "money"))
        maximum = spec.maximum if spec.maximum is not None else (100 if t == "percent" else None)
        if maximum is not None and d > Decimal(str(maximum)):
            raise Bad(p, f"must be at most {maximum}, got {format_number(d)}")
        return d
    if t == "integer":
        return integer_value(value, p, 0 if spec.minimum is None else spec.minimum, spec.maximum)
    if t == "date":
        return date_value(value, p)
    if t == "choice":
        return choice_value(spec, value, p)
    if t == "party":
        return party_value(spec, value, p)
    if t == "items":
        return items_value(spec, value, p)
    if t == "schedule":
        return schedule_value(value, p)
    if t == "rate":
        return rate_value(spec, value, p)
    return dispute_value(value, p)


# --- a whole set of fields -------------------------------------------------------------------
def validate(tpl: Template, values: Any) -> dict[str, Any]:
    """All supplied fields typed, unknown and malformed ones reported together (FieldErrors)."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise FieldErrors([{"field": "fields", "message": "must be an object of field values"}])
    out, errors = {}, []
    for name, value in values.items():
        if name not in tpl.fields:
            errors.append({"field": str(name), "message": f"unknown field for {tpl.name}; "
                                                          f"known: {', '.join(tpl.fields)}"})
            continue
        if value is None or value == "" or value == [] or value == {}:
            continue
        try:
            out[name] = coerce(tpl.fields[name], value)
        except Bad as exc:
            errors.append({"field": exc.path, "message": exc.message})
    errors += cross_checks(tpl, out)
    if errors:
        raise FieldErrors(errors)
    return out


def cross_checks(tpl: Template, values: dict) -> list[dict]:
    """The template's `checks`: min_ratio (a >= ratio * b) and before (date a < date b)."""
    errors = []
    for check in tpl.checks:
        a, b = values.get(check["field"]), values.get(check["of"])
        if a is None or b is None:
            continue
        broken = (check["rule"] == "min_ratio" and a < b * Decimal(str(check["ratio"]))) or \
            (check["rule"] == "before" and not a < b)
        if broken:
            errors.append({"field": check["field"], "message": check["message"]})
    return errors


def to_jsonable(value: Any) -> Any:
    """Typed values back to JSON: Decimal -> '3000.00' / '10', date -> '2026-12-15'."""
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Rate):
        return str(value)
    return value
