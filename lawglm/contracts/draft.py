"""Drafting a contract: template choice, field values (given, extracted), statute basis, Markdown.

Owns `Draft` and `draft()`, the API the CLI and the server call, plus `list_templates`
and `get_schema`. Every statute reference a template declares is checked against the
corpus here; only verified articles are printed in the contract's appendix, each with
its law, article number and status.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from lawglm.statutes.citations import verify_one
from lawglm.statutes.corpus import Corpus
from lawglm.statutes.ingest import load_corpus

from ..numerals import article_label, int_to_cn
from ..settings import Settings, get_settings
from .coverage import incomplete_rows, unused_words
from .derive import products
from .errors import FieldErrors
from .extract import Extraction, classify, rule_extract
from .fields import Bad, coerce, cross_checks, implausible_amount, to_jsonable, validate
from .legal import legal_warnings
from .money import parse_amount
from .render import computed, render_markdown
from .scalars import AMOUNT_RE
from .schema import Template, catalog, get_template, split_dirs

MAX_REQUEST_CHARS = 4000


@dataclass
class Draft:
    """A drafted contract and how it was made."""

    template: str
    title: str
    values: dict[str, Any]  # typed (Decimal, date, …)
    extracted: list[str]
    missing: list[str]
    markdown: str
    citations: list[dict] = field(default_factory=list)
    computed: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # legal checks (also in notes), each naming its statute

    @property
    def fields(self) -> dict[str, Any]:
        """Field values as JSON (can be sent back as `fields`)."""
        return to_jsonable(self.values)

    def to_dict(self) -> dict:
        return {"template": self.template, "title": self.title, "fields": self.fields,
                "extracted": list(self.extracted), "missing": list(self.missing), "markdown": self.markdown,
                "citations": list(self.citations), "computed": dict(self.computed), "notes": list(self.notes),
                "warnings": list(self.warnings)}


def template_dirs(settings: Settings | None = None) -> tuple[str, ...]:
    """The user template directories of the settings (LAWGLM_TEMPLATES_DIR / --templates-dir)."""
    return split_dirs((settings or get_settings()).templates_dir)


def list_templates(settings: Settings | None = None) -> list[dict]:
    """[{name, title, description, fields, source[, overrides]}] for every template."""
    return [t.summary() for t in catalog(template_dirs(settings)).templates.values()]


def skipped_templates(settings: Settings | None = None) -> list[tuple[str, str]]:
    """(file, problem) for each user template that failed the load check and was left out."""
    return list(catalog(template_dirs(settings)).skipped)


def get_schema(name: str, settings: Settings | None = None) -> dict:
    """The JSON-schema-like description of one template's fields (UnknownTemplate if none)."""
    return get_template(name, template_dirs(settings)).schema()


TITLE_STOPS = re.compile(
    r"^(?:一份|一个|份|个|的|新|写|拟|做|签|起草|帮我|我要|需要|这份|那份|本|该|简单|正式|标准|规范)"
)


def named_title(tpl: Template, request: str | None) -> str:
    """The title a request gives the document when it narrows the template's (一份家具买卖合同 ->
    家具买卖合同):
    one jieba word right before the title, a noun-like word (not 一份 / 起草 …, no digits)."""
    from .words import word_spans

    if not request or tpl.title not in request:
        return tpl.title
    at = request.index(tpl.title)
    words = [request[s:e] for s, e in word_spans(request[:at])]
    head = words[-1] if words else ""
    if 2 <= len(head) <= 6 and re.fullmatch(r"[\u4e00-\u9fff]+", head) and not TITLE_STOPS.match(head) \
            and head not in tpl.title and not re.search(r"[的了和与及]", head):
        return head + tpl.title
    return tpl.title


@functools.lru_cache(maxsize=2)
def _default_corpus(source: str) -> Corpus:
    return load_corpus(source)


def resolve_citations(tpl: Template, corpus: Corpus) -> tuple[list[dict], list[dict]]:
    """(citations for to_dict, appendix lines per clause) — unverified references are never printed as law."""
    by_key: dict[tuple, dict] = {}
    basis = []
    for i, clause in enumerate(tpl.clauses):
        verified = []
        for ref in clause.refs:
            c = verify_one(corpus, ref.law, ref.article)
            key = (c.law, c.article_no, c.sub_no)
            entry = by_key.setdefault(key, {
                "law": c.law, "article_no": c.article_no, "sub_no": c.sub_no,
                "label": article_label(c.article_no, c.sub_no), "text": c.article.text if c.article else None,
                "status": c.article.status if c.article else None, "verified": c.verified, "reason": c.reason,
                "clauses": []})
            entry["clauses"].append(clause.title)
            if c.verified:
                verified.append(entry)
        if verified:
            basis.append(
                {"clause": f"第{int_to_cn(i + 1)}条（{clause.title}）", "refs": _basis_line(verified)}
            )
    return list(by_key.values()), basis


def _basis_line(entries: list[dict]) -> str:
    groups: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        groups.setdefault((e["law"], e["status"]), []).append(e["label"])
    return "；".join(f"《{law}》{'、'.join(labels)}（{status}）" for (law, status), labels in groups.items())


def _amount(text: str):
    try:
        return parse_amount(text)
    except ValueError:
        return None


def _check_request(request: Any) -> str:
    if not isinstance(request, str) or not request.strip():
        raise FieldErrors([{"field": "request", "message": "must be a non-empty text"}])
    if len(request) > MAX_REQUEST_CHARS:
        raise FieldErrors([{"field": "request", "message": f"is {len(request)} characters; "
                                                           f"at most {MAX_REQUEST_CHARS}"}])
    return request


def extracted_values(tpl: Template, request: str, generator: Any,
                     extractor: str = "rules") -> tuple[dict, Extraction, list[str]]:
    """Field values from the request: rules, or an LLM checked against the schema with rules as fallback.

    A value that does not validate is the extractor's mistake, not the caller's: it is dropped (the
    field stays blank) and a note quotes the words it came from. Never raises FieldErrors.
    """
    ex = rule_extract(tpl, request)
    notes = []
    if extractor in ("model", "hybrid"):
        from .tagger import with_model

        ex, notes = with_model(tpl, ex, extractor)
    elif extractor not in ("rules", "llm"):
        raise ValueError(f"unknown contract extractor {extractor!r}; use rules, model, hybrid or llm")
    raw, notes = dict(ex.values), notes + list(ex.notes)
    if generator is not None:
        from .llm import llm_extract

        llm_values, llm_notes = llm_extract(generator, tpl, request)
        raw.update(llm_values)
        notes += llm_notes
    values = {}
    for name, value in raw.items():
        spec = tpl.fields[name]
        try:
            values[name] = coerce(spec, value)
        except Bad as exc:
            notes.append(f"未采用「{ex.words(name)}」：识别为{spec.label}（{exc.path}），但{exc.message}；该项留空，请核对")
            continue
        spans = ex.evidence.get(name, []) if ex.values.get(name) == value else []  # the rules' own words
        why = implausible_amount(spec, values[name], ex.text, spans) if spec.type == "money" else None
        if why:  # a wrong amount in a contract is worse than a blank
            del values[name]
            notes.append(f"未采用「{ex.words(name)}」：识别为{spec.label}，但{why}；该项留空，请核对后填写")
    return values, ex, notes


def reconcile(tpl: Template, found: dict, given: dict, ex: Extraction) -> tuple[dict, list[str]]:
    """The template's cross-field checks over extracted + given values. A broken `before` rule drops the
    extracted values involved (noted); a broken `min_ratio` rule is a legal warning, the values stay."""
    values, notes = {**found, **given}, []
    for check in tpl.checks:
        errors = cross_checks(_one_check(tpl, check), values)
        if not errors:
            continue
        names = [n for n in (check["field"], check["of"]) if n not in given]
        if check["rule"] == "min_ratio":  # a legal minimum: legal.py warns with the statute it comes from
            continue
        for n in names:
            values.pop(n, None)
        quoted = "、".join(f"「{ex.words(n)}」" for n in names)
        notes.append(f"未采用{quoted}：{check['message']}；相关项留空，请核对")
    return values, notes


def _one_check(tpl: Template, check: dict) -> Template:
    from dataclasses import replace

    return replace(tpl, checks=[check])


def draft(template: str | None = None, fields: dict | None = None, request: str | None = None,
          generator: Any = None, *, corpus: Corpus | None = None, basis: bool = True,
          extractor: str | None = None, settings: Settings | None = None) -> Draft:
    """Draft a contract from a template name and fields, a plain-language request, or both.

    Given fields win over extracted ones. `extractor` (default: the LAWGLM_CONTRACT_EXTRACTOR setting)
    is how fields are read from the request; a generator adds LLM extraction on top of it. `settings`
    (the caller's; the process-wide ones when omitted) give the extractor, corpus and LPR.
    Raises UnknownTemplate, NoTemplateMatch or FieldErrors.
    """
    if template is None and request is None:
        raise FieldErrors([{"field": "template", "message": "give a template name or a request"}])
    if request is not None:
        request = _check_request(request)
    settings = settings or get_settings()  # the CLI and the server pass theirs
    cat = catalog(template_dirs(settings))
    tpl = get_template(template, cat.dirs) if template else classify(request, cat)
    given = validate(tpl, fields)
    how = extractor or settings.contract_extractor
    found, ex, notes = extracted_values(tpl, request, generator, how) if request else ({}, Extraction(), [])
    values, more = reconcile(tpl, found, given, ex)
    notes += more
    derived, more = products(tpl, values)
    values.update(derived)
    notes += more
    for (
        name,
        amount,
    ) in derived.items():  # 运费按每台1元，共4500元: the stated total is the product's own words
        ex.evidence[name] = [m.span() for m in AMOUNT_RE.finditer(ex.text) if _amount(m.group(0)) == amount][
            :1
        ]
    found = {n: v for n, v in found.items() if n in values and n not in given}
    corpus = corpus if corpus is not None else _default_corpus(settings.corpus_source())
    citations, lines = resolve_citations(tpl, corpus)
    notes += [
        f"statute reference {c['law']} {c['label']} not verified ({c['reason']}); left out of the appendix"
        for c in citations
        if not c["verified"]
    ]
    if request:
        notes += unused_words(ex, set(ex.values))  # what was used, or already noted as not usable
    warnings = legal_warnings(tpl, values, request, corpus, settings.contract_lpr)
    asked = set(ex.asked) | {n for n in given}
    title = named_title(tpl, request)
    return Draft(
        template=tpl.name,
        title=title,
        values=values,
        extracted=[n for n in tpl.fields if n in found and n not in given],
        missing=[n for n, s in tpl.fields.items() if s.required and n not in values],
        markdown=render_markdown(tpl, values, lines if basis else None, asked=asked, title=title),
        citations=citations,
        computed=computed(tpl, values),
        notes=notes + warnings + incomplete_rows(tpl, values),
        warnings=warnings,
    )
