"""From a plain-language request to a template and field values, by rules (no model needed).

Owns `classify` (keyword scoring over each template's strong keywords / keywords,
deterministic, NoTemplateMatch when nothing or several fit equally) and
`rule_extract` (parties with their details, product lines with quantity and unit price,
payment schedules, courts / arbitration bodies, and every scalar field declared with
`cues` in its template: dates, amounts, percentages, durations, text). Values come back
in the loose input form that `fields.validate` checks, exactly like user-supplied fields.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .derive import derive
from .errors import NoTemplateMatch
from .items import extract_items
from .parties import find_commissions, find_courts, find_orgs, mask
from .roles import extract_parties
from .scalars import (
    AMOUNT_RE,
    PERCENT_RE,
    _free,
    address_value,
    cue_value,
    date_range_values,
    dates_in,
    lone_amounts,
    lone_quantities,
    lone_rates,
    monthly_rate,
    percent_value,
    zero_value,
)
from .schedule import extract_schedule
from .schema import Catalog, FieldSpec, Template, catalog
from .words import occurrences

__all__ = ["AMOUNT_RE", "PERCENT_RE", "Extraction", "classify", "normalize", "percent_value", "rule_extract"]

_WIDTH = str.maketrans("０１２３４５６７８９％．\u3000", "0123456789%. ")


def normalize(text: str) -> str:
    """Full-width digits and % to ASCII; length unchanged so spans stay valid."""
    return text.translate(_WIDTH)


# --- which template ----------------------------------------------------------------------------
def choices(cat: Catalog | None = None) -> list[dict]:
    return [{"name": t.name, "title": t.title} for t in (cat or catalog()).templates.values()]


DISPUTE_ABOUT = re.compile(r"[\u4e00-\u9fff]{0,6}(?:合同|协议)?(?:纠纷|争议)(?:案件?|诉讼|仲裁)?")


def _weak_words(tpl: Template, cat: Catalog | None = None) -> frozenset[str]:
    return _weak_words_of(cat or catalog(), tpl.name)


@functools.lru_cache(maxsize=64)
def _weak_words_of(cat: Catalog, name: str) -> frozenset[str]:
    """Words that point to a template less than its keywords do: its parties' role words, the verbs of its
    relations and the cues of its fields (two characters or more, and not shared by every template)."""
    tpl = cat.templates[name]
    words = {w for f in tpl.fields.values() if f.type == "party" for w in (f.title, *f.aliases)}
    words |= set(tpl.person_anchors())
    words |= {c for f in tpl.fields.values() for c in f.cues if not c.startswith("re:")}
    return (frozenset(w for w in words if len(w) >= 2) - _shared_words(cat) - set(tpl.keywords)
            - set(tpl.strong_keywords) - GENERIC_WORDS)


GENERIC_WORDS = frozenset({"合同", "协议", "帮我", "帮忙", "替我", "甲方", "乙方", "期限", "费用"})


@functools.lru_cache(maxsize=8)
def _shared_words(cat: Catalog) -> frozenset[str]:
    sets = [{c for f in t.fields.values() for c in f.cues} for t in cat.templates.values()]
    return frozenset(set.intersection(*sets)) if sets else frozenset()


def _hits(words, text: str) -> list[tuple[int, int, str]]:
    """Where the words occur, longest first, each character counted once (出租房屋 is 出租 + 房屋, not also
    租房)."""
    found = sorted(((i, i + len(w), w) for w in set(words) for i in occurrences(w, text)),
                   key=lambda x: (-(x[1] - x[0]), x[0]))
    kept: list[tuple[int, int, str]] = []
    for s, e, w in found:
        if all(e <= a or s >= b for a, b, _ in kept):
            kept.append((s, e, w))
    return kept


def score(tpl: Template, text: str, cat: Catalog | None = None) -> float:
    """3 per strong keyword (a contract type), 1 per keyword, 0.5 per weak word (role words, relation verbs,
    field cues) of the template, each occurring word counted once."""
    strong, plain, weak = set(tpl.strong_keywords), set(tpl.keywords), _weak_words(tpl, cat)
    return sum(
        3 if w in strong else 1 if w in plain else 0.5 for _, _, w in _hits(strong | plain | weak, text)
    )


def _priced_lines(tpl: Template, text: str) -> float:
    """2 when the request lists goods with a quantity and a unit price and the template prices item lines."""
    for spec in tpl.fields.values():
        if spec.type == "items" and spec.priced:
            rows = extract_items(spec, text)[0]
            return 2.0 if any("quantity" in r and "unit_price" in r for r in rows) else 0.0
    return 0.0


def longest_keyword(tpl: Template, text: str) -> int:
    """The length of the longest keyword of the template the text holds: 房屋买卖合同 is more specific than
    买卖合同."""
    return max((e - s for s, e, _ in _hits(set(tpl.strong_keywords) | set(tpl.keywords), text)), default=0)


def first_keyword(tpl: Template, text: str) -> int:
    """Where the template's earliest keyword is written (people name the contract they want first)."""
    return min((i for k in tpl.strong_keywords + tpl.keywords if (i := text.find(k)) >= 0), default=len(text))


def classify(request: str, cat: Catalog | None = None) -> Template:
    """The template a request asks for: the best keyword score, a tie going to the template named first;
    NoTemplateMatch (listing every template) when nothing fits or the tie stays."""
    cat = cat or catalog()
    templates = cat.templates.values()
    text = normalize(request)
    roles = _all_roles(cat)
    spans = [(m.start, m.end) for m in find_orgs(text, roles)] + [(s, e) for s, e, _ in find_courts(text)]
    spans += [m.span() for m in DISPUTE_ABOUT.finditer(text) if "纠纷" in m.group(0) or "争议" in m.group(0)]
    text = mask(text, spans)
    scored = sorted(
        ((score(t, text, cat) + _priced_lines(t, text), t) for t in templates), key=lambda x: -x[0]
    )
    best = scored[0][0]
    if best < 1:  # not one keyword, nor two weaker words
        raise NoTemplateMatch("the request names no contract type lawglm has a template for", choices(cat))
    tied = [t for s, t in scored if s == best]
    if len(tied) > 1:  # the most specific keyword wins a tie (二手房买卖合同 over 买卖合同)
        longest = {t.name: longest_keyword(t, text) for t in tied}
        tied = [t for t in tied if longest[t.name] == max(longest.values())]
    if len(tied) > 1:
        where = sorted((first_keyword(t, text), t.name, t) for t in tied)
        if where[0][0] < where[1][0]:
            return where[0][2]
        names = "、".join(t.title for t in tied)
        raise NoTemplateMatch(f"the request fits several contract types equally ({names})", choices(cat))
    return tied[0]


@functools.lru_cache(maxsize=8)
def _all_roles(cat: Catalog) -> tuple[str, ...]:
    return tuple(sorted({w for t in cat.templates.values() for f in t.fields.values() if f.type == "party"
                         for w in (f.role, f.title, *f.aliases)}, key=len, reverse=True))


@dataclass(frozen=True)
class _Span:
    s: int
    e: int

    def start(self) -> int:
        return self.s

    def end(self) -> int:
        return self.e


def choice_value(spec: FieldSpec, text: str) -> str | None:
    """The one choice the text mentions (by name or synonym); None if none or several. A word inside a
    longer one that names another choice does not count (固定期限 in 无固定期限)."""
    found = [(m.start(), m.end(), c) for c in spec.choices for w in (c, *spec.synonyms.get(c, ()))
             for i in occurrences(w, text) for m in [_Span(i, i + len(w))]]
    hits = {
        c
        for s, e, c in found
        if not any(a <= s and e <= b and (b - a) > (e - s) and d != c for a, b, d in found)
    }
    return hits.pop() if len(hits) == 1 else None


MATTER_CLAUSE = re.compile(r"[^，,。；;]*(?:代理|案件|诉讼费|仲裁费|委托事项)[^，,。；;]*")


def dispute_value(text: str, courts: list, commissions: list) -> dict:
    """How disputes are settled: the court or arbitration body named, else 诉讼/仲裁 said outside the
    clauses that describe a matter handled for someone (代理劳动争议仲裁案件 is no dispute clause)."""
    said = MATTER_CLAUSE.sub("", text)
    litigate = bool(courts) or bool(re.search(r"诉讼|起诉", said))
    arbitrate = bool(commissions) or "仲裁" in said
    if litigate and arbitrate:  # both named: the method word said last with 选择/约定 decides
        said = re.findall(r"(?:选择|约定|采用|通过|选)(诉讼|仲裁)", text)
        litigate, arbitrate = (said[-1] == "诉讼", said[-1] == "仲裁") if said else (bool(courts), not courts)
    if litigate:
        return {"method": "诉讼", **({"court": courts[0][2]} if courts else {})}
    if arbitrate:
        return {"method": "仲裁", **({"commission": commissions[0][2]} if commissions else {})}
    return {}


@dataclass
class Extraction:
    """Field values found in a request (loose input form) and the request text each came from."""

    values: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    text: str = ""
    asked: set[str] = field(default_factory=set)  # optional clauses the request asks for (payment_schedule)
    notes: list[str] = field(default_factory=list)

    def put(self, name: str, value: Any, spans: list[tuple[int, int]]) -> None:
        if value not in (None, "", [], {}):
            self.values[name] = value
            self.evidence[name] = list(spans)

    def words(self, name: str) -> str:
        """The request's own words a value came from, with the words just before them in their clause."""
        out = []
        for s, e in sorted(self.evidence.get(name, [])):
            start = max([m.end() for m in re.finditer(r"[，,。；;：:\s]", self.text[:s])] + [0, s - 6])
            out.append(self.text[start:e])
        return "…".join(out) or name


def _structured(tpl: Template, text: str, ex: Extraction, taken: list) -> None:
    courts, commissions = find_courts(text), find_commissions(text)
    taken += [(s, e) for s, e, _ in courts + commissions]
    for name, spec in tpl.fields.items():
        if spec.finder in ("court", "commission"):
            named = courts if spec.finder == "court" else commissions
            ex.put(name, named[0][2] if named else None, [named[0][:2]] if named else [])
        elif spec.type == "items":
            rows, spans, notes = extract_items(spec, mask(text, taken))
            ex.put(name, rows, spans)
            ex.notes += notes
            taken += spans
    for name, spec in tpl.fields.items():
        if spec.type == "schedule":
            stages, spans, asked = extract_schedule(mask(text, taken))
            ex.put(name, stages, spans)
            taken += spans
            if asked or stages:
                ex.asked.add(name)


def _scalars(tpl: Template, text: str, ex: Extraction, taken: list) -> None:
    dates = [(s, e) for s, e, _ in dates_in(text)]
    for start, end, a, b in date_range_values(tpl, mask(text, taken)):
        ex.put(start, a[2], [a[:2]])
        ex.put(end, b[2], [b[:2]])
        taken += [a[:2], b[:2]]
    for name, spec in tpl.fields.items():
        if not spec.cues or spec.type in ("choice", "party", "items", "schedule", "dispute") or spec.finder:
            continue
        if name in ex.values:
            continue
        # a date field still sees the dates other fields took (4月3日 takes its year from them; reuse is
        # prevented by `taken`); every other field sees no date at all (2027年 is never 2027 years)
        view = mask(text, [t for t in taken if t not in dates] if spec.type == "date" else taken + dates)
        found = zero_value(spec, view) or monthly_rate(spec, view, taken) or cue_value(spec, view, taken) \
            or address_value(spec, view, taken)
        if found:
            ex.put(name, found[0], [found[1]])
            taken.append(found[1])
    _lone(tpl, text, ex, taken, dates)
    # 每吨200元 with no cue word: the one rate in a unit the field allows
    for name, spec in tpl.fields.items():
        if spec.type == "rate" and name not in ex.values:
            rates = [r for r in lone_rates(spec, mask(text, taken + dates)) if _free(r[:2], taken)]
            if len(rates) == 1:
                ex.put(name, rates[0][2], [rates[0][:2]])
                taken.append(rates[0][:2])


def _lone(tpl: Template, text: str, ex: Extraction, taken: list, dates: list) -> None:
    """Values no cue word introduced, taken only when nothing else could claim them: the one free
    quantity in a number field's measure (大概60平), and the one free amount in 元 (全包5万块钱) for the one
    required money field still blank."""
    view = mask(text, taken + dates)
    for name, spec in tpl.fields.items():
        if name not in ex.values and spec.cues:
            found = lone_quantities(spec, view, taken)
            if len({v for _, _, v in found}) == 1:
                ex.put(name, found[0][2], [found[0][:2]])
                taken.append(found[0][:2])
    blank = [n for n, s in tpl.fields.items() if s.type == "money" and s.required and n not in ex.values]
    amounts = lone_amounts(mask(text, taken + dates), taken)
    if len(blank) == 1 and len(amounts) == 1:
        ex.put(blank[0], amounts[0][2], [amounts[0][:2]])
        taken.append(amounts[0][:2])


def _dispute(tpl: Template, text: str, ex: Extraction, taken: list) -> None:
    """How disputes are settled, read last: words other fields used (处理业主欠费诉讼, a matter) are not
    it."""
    courts, commissions = find_courts(text), find_commissions(text)
    for name, spec in tpl.fields.items():
        if spec.type == "dispute":
            ex.put(name, dispute_value(mask(text, taken), courts, commissions),
                   [(s, e) for s, e, _ in courts[:1] + commissions[:1]])


def _names(tpl: Template, text: str) -> dict[str, tuple[str, tuple[int, int]]]:
    """Text fields of `shape: name` (债务人, 目标公司), read before the parties so that the name they hold is
    not taken for a party's."""
    out: dict[str, tuple[str, tuple[int, int]]] = {}
    dates = [(s, e) for s, e, _ in dates_in(text)]
    for name, spec in tpl.fields.items():
        if spec.type == "text" and spec.shape == "name" and spec.cues:
            found = cue_value(spec, mask(text, dates), dates + [span for _, span in out.values()])
            if found:
                out[name] = found
    return out


def rule_extract(tpl: Template, request: str) -> Extraction:
    """Field values found in the request by rules, in input form (checked later by fields.validate)."""
    text = normalize(request)
    ex = Extraction(text=text)
    names = _names(tpl, text)
    parties, taken = extract_parties(tpl, text, [span for _, span in names.values()])
    for name, (value, span) in names.items():
        ex.put(name, value, [span])
        taken.append(span)
    for name, value in parties.items():
        ex.put(name, value, [])
    ex.evidence.update({n: [] for n in parties})
    ex.evidence["_parties"] = list(taken)
    _structured(tpl, text, ex, taken)
    _scalars(tpl, text, ex, taken)
    _dispute(tpl, text, ex, taken)
    derive(tpl, ex, taken)
    for name, spec in tpl.fields.items():
        if spec.type == "choice" and not spec.period_of:  # a period is read next to its amount (derive)
            ex.put(name, choice_value(spec, mask(text, taken)), [])
    return ex
