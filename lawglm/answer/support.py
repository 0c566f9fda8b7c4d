"""Support checking: does each cited article say what the answer attributes to it?

Owns the step after the existence check (`citations.verify`). For every citation it finds the words the
answer ties to it — a quote right after it (“…” / 「…」 / "…", possibly after ：/规定/指出), the verbatim
block under a heading citation (retrieval-only answers, 法律依据 lists), else the claim of its own clause
— and measures them against the article text by character n-gram containment (the share of the
attributed words' n-grams found in the article; see bench/support_thresholds.py for the thresholds).
A citation is `supported` only when its article was among the sources the model was given AND the
attributed words match. A quote whose words really come from ANOTHER source article re-points the
citation there (`support.corrected_from`) and the answer text is rewritten so the reader sees the right
number. `check_support` is pure: it returns the (possibly rewritten) text and the citations.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from typing import Any

from lawglm.answer.attribution import Attribution, attributed, law_start, words
from lawglm.answer.overlap import containment, differing, normalize
from lawglm.errors import LawGLMError
from lawglm.numerals import NUMBER_PATTERN, cn_to_int, int_to_cn
from lawglm.records import Article, Citation

# Thresholds chosen on sft_dev.jsonl with bench/support_thresholds.py (sweep and reasoning: notes/README):
QUOTE_N, QUOTE_MIN = 3, 0.95  # a quote: share of its char trigrams found in the article
CLAIM_N, CLAIM_MIN = 3, 0.90  # a claim: share of its content char trigrams found in the article
MIN_QUOTE_MATCH = 6  # content characters a quote needs to support a citation
MIN_CLAIM_MATCH = 10  # content characters a claim needs to support a citation (解除劳动合同 is too generic)
PARTIAL_MIN = (
    0.5  # words this close to the article are related to it, but (below the thresholds) not what it says
)
MAX_ATTRIBUTED = 240  # characters of the attributed text echoed back in `support`
_REF_RE = re.compile(rf"(?P<no>{NUMBER_PATTERN})\s*条(?:之(?P<sub>{NUMBER_PATTERN}))?"
                     rf"(?:\s*第\s*(?:{NUMBER_PATTERN})\s*款)?(?:\s*第\s*[（(]?(?:{NUMBER_PATTERN})[）)]?\s*项)?")
# one reference as a citation span holds it: 第N条…, or a list continuation 、第N条 / 和N条
_ONE_REF_RE = re.compile(rf"\s*(?:(?:[、，,和及与或]|以及)\s*)?(?:第\s*)?{_REF_RE.pattern}\s*")


def evidence(att: Attribution, article: Article) -> tuple[float, str]:
    """(share of the attributed words' char n-grams in the article, the numbers/negations/modals where
    they and the article differ — looked for only when the words are close enough to be compared)."""
    if att.kind == "none":
        return 0.0, ""
    n = QUOTE_N if att.quoted else CLAIM_N
    text = words(att)
    score = containment(text, article.text, n)
    return score, differing(text, article.text) if score >= PARTIAL_MIN else ""


def matches(att: Attribution, article: Article) -> bool:
    """The article says what the answer attributes to it (thresholds: module top)."""
    quoted, text = att.quoted, words(att)
    if att.kind == "none" or len(normalize(text)) < (MIN_QUOTE_MATCH if quoted else MIN_CLAIM_MATCH):
        return False
    if containment(text, article.text, QUOTE_N if quoted else CLAIM_N) < (QUOTE_MIN if quoted else CLAIM_MIN):
        return False
    return not differing(text, article.text)  # aligned only when the n-grams already match: cheap


def clause_support(words: str, clause_text: str, label: str) -> dict:
    """Support at 款/项 grain: do `words`, which an answer attributes to one clause of an article, say
    what that clause (not merely the article) says? Same thresholds as a claim."""
    score = containment(words, clause_text, CLAIM_N)
    ok = (len(normalize(words)) >= MIN_CLAIM_MATCH and score >= CLAIM_MIN
          and not differing(words, clause_text))
    return {"kind": "clause", "clause": label, "attributed": words.strip()[:MAX_ATTRIBUTED],
            "score": round(score, 3), "reason": "supported" if ok else "unrelated"}


# --- where a mismatched quote really comes from ---------------------------------------
_law_texts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
PROBES, PROBE_CHARS = 8, 6  # pieces of a quote looked for verbatim to find the articles it may come from


def _current_texts(corpus: Any, law: str) -> tuple[list[Article], list[str]]:
    """Current articles of one law and their normalised texts (built once per corpus and law)."""
    per_corpus = _law_texts.setdefault(corpus, {})
    if law not in per_corpus:
        arts = [a for a in corpus.law_articles(law) if a.is_current]
        per_corpus[law] = (arts, [normalize(a.text) for a in arts])
    return per_corpus[law]


def best_in_law(att: Attribution, corpus: Any, law: str) -> tuple[Article | None, float]:
    """The current article of `law` that contains most of the quote's trigrams (None, 0.0 if none).

    Candidates are the articles holding one of PROBES evenly spaced PROBE_CHARS-character pieces of the
    quote verbatim; only they are scored, so no per-law index has to be built."""
    try:
        arts, texts = _current_texts(corpus, law)
    except (AttributeError, TypeError):
        return None, 0.0
    q = normalize(words(att))
    step = max(1, (len(q) - PROBE_CHARS) // (PROBES - 1))
    probes = {q[i:i + PROBE_CHARS] for i in range(0, max(1, len(q) - PROBE_CHARS + 1), step)}
    scored = [(containment(words(att), arts[i].text, QUOTE_N), arts[i])
              for i, t in enumerate(texts) if any(p in t for p in probes)]
    best_score, best = max(scored, key=lambda x: x[0], default=(0.0, None))
    return best, best_score


def _ref(article: Article) -> dict:
    return {"law": article.law, "article_no": article.article_no, "sub_no": article.sub_no,
            "label": article.label, "citation": article.citation}


def _same(a: Article | None, b: Article | None) -> bool:
    return (
        a is not None and b is not None and (a.law, a.article_no, a.sub_no) == (b.law, b.article_no, b.sub_no)
    )


# --- the verdict per citation --------------------------------------------------------
def _evidence_info(att: Attribution, article: Article) -> dict:
    s, missing = evidence(att, article)
    return {"score": round(s, 3), **({"differs": missing} if missing else {})}


def _other_source(att: Attribution, art: Article | None, sources: Sequence[Article]) -> Article | None:
    """The one other source article the quoted words come from (None when none or several do)."""
    found = {(a.law, a.article_no, a.sub_no): a for a in sources if not _same(a, art) and matches(att, a)}
    return next(iter(found.values())) if len(found) == 1 else None


def _mismatch(att: Attribution, art: Article, corpus: Any, in_sources: bool) -> dict:
    found, _ = best_in_law(att, corpus, art.law) if corpus is not None else (None, 0.0)
    actual = None
    if found is not None and not _same(found, art) and matches(att, found):
        actual = {**_ref(found), "in_sources": False, "score": round(evidence(att, found)[0], 3)}
    return {"reason": "quote_mismatch", "actual": actual, "in_sources": in_sources}


def _verdict(
    cite: Citation, att: Attribution, sources: Sequence[Article], corpus: Any
) -> tuple[dict, Article | None]:
    """(support dict, the source article to re-point the citation to — or None)."""
    info: dict = {"kind": att.kind, "attributed": att.text.strip()[:MAX_ATTRIBUTED]}
    art = cite.article
    if art is not None and att.kind != "none":
        info.update(_evidence_info(att, art))
    ok = art is not None and matches(att, art)
    if att.quoted and not ok:
        other = _other_source(att, art, sources)
        if other is not None:
            cited = {"cited_score": info.pop("score")} if "score" in info else {}
            info.pop("differs", None)
            return {**info, **_evidence_info(att, other), **cited, "reason": "supported"}, other
    if not cite.verified:
        return {**info, "reason": cite.reason}, None
    in_sources = any(_same(a, art) for a in sources)
    if att.quoted and not ok:
        return {**info, **_mismatch(att, art, corpus, in_sources)}, None
    if not in_sources:
        return {**info, "reason": "not_in_sources", "matches": ok}, None
    return {**info, "reason": "supported" if ok else "unrelated"}, None


# --- correcting a misnumbered citation in the text ----------------------------------------
def _ref_span(text: str, cite: Citation) -> tuple[int, int] | None:
    """The `N条(之M)(第M款)(第M项)` of this one citation inside its span, or None (ranges, lists)."""
    a, b = cite.span
    m = _ONE_REF_RE.fullmatch(text, a, b)
    if m is None:
        return None
    r = _REF_RE.search(text, a, b)
    try:
        ok = r is not None and cn_to_int(r.group("no")) == cite.article_no
    except ValueError:
        ok = False
    return (r.start(), r.end()) if ok else None


def _number(n: int, arabic: bool) -> str:
    return str(n) if arabic else int_to_cn(n)


def _rewrite(text: str, cite: Citation, new: Article) -> tuple[str, tuple[int, int], str] | None:
    """(text with the citation now naming `new`, the edited range, the new citation as written)."""
    ref = _ref_span(text, cite)
    if ref is None:
        return None
    arabic = any(ch.isdigit() for ch in text[ref[0]:ref[1]])
    label = (
        _number(new.article_no, arabic) + "条" + (f"之{_number(new.sub_no, arabic)}" if new.sub_no else "")
    )
    start = ref[0]
    if new.law != cite.law:
        at = law_start(text, cite)
        if at == cite.span[0] or text[cite.span[0]] != "第":
            return None  # the law is not written right before this reference: don't guess where it is
        start, label = at, f"《{new.law}》第{label}"
    return text[:start] + label + text[ref[1]:], (start, ref[1]), label


_SEPS = "、，,和及与或以至到~-—－ "


def _apply_fix(text: str, cite: Citation, new: Article, cites: Sequence[Citation]) -> str | None:
    """Re-point `cite` to `new` and rewrite the text at its span; shift the spans after it."""
    done = _rewrite(text, cite, new)
    if done is None:
        return None
    out, (a, b), label = done
    delta = len(label) - (b - a)
    for c in cites:
        if c is not cite and c.span[0] >= b:
            c.span = (c.span[0] + delta, c.span[1] + delta)
    cite.span = (min(cite.span[0], a), cite.span[1] + delta)
    written = out[cite.span[0]:cite.span[1]].lstrip(_SEPS)
    law_prefix = cite.raw[:cite.raw.find("》") + 1] if cite.raw.startswith("《") else ""
    old_raw = cite.raw
    cite.raw = written if written.startswith("《") else law_prefix + written
    cite.law, cite.article_no, cite.sub_no, cite.paragraph = new.law, new.article_no, new.sub_no, None
    cite.article = new
    cite.support = {**(cite.support or {}), "corrected_from": old_raw, "original_reason": cite.reason}
    cite.reason = "valid"
    return out


def _unfixable(cite: Citation, new: Article, att: Attribution, sources: Sequence[Article]) -> dict:
    """A quote that comes from another source article we can't safely re-point the text to."""
    info = {k: v for k, v in (cite.support or {}).items() if k not in ("score", "differs", "reason")}
    actual = {**_ref(new), "in_sources": True, "score": round(evidence(att, new)[0], 3)}
    if not cite.verified:
        return {**info, "reason": cite.reason, "actual": actual}
    return {**info, **_evidence_info(att, cite.article), "reason": "quote_mismatch", "actual": actual,
            "in_sources": any(_same(a, cite.article) for a in sources)}


def check_support(text: str, citations: Sequence[Citation], sources: Sequence[Article],
                  corpus: Any = None) -> tuple[str, list[Citation]]:
    """Decide `supported`/`support` for every citation of `text` (as `citations.verify` returned them).

    `sources`: the articles the model was given. Returns the text — rewritten where a misnumbered quote
    was re-pointed to the source article it comes from — and the same citations, updated in place
    (spans kept consistent with the returned text). Never raises on odd text.
    """
    cites = list(citations)
    srcs = [a for a in (sources or []) if isinstance(a, Article)]
    for c in cites:
        try:
            att = attributed(text, c, cites)
            c.support, fix = _verdict(c, att, srcs, corpus)
            if fix is not None:
                fixed = _apply_fix(text, c, fix, cites)
                if fixed is None:
                    c.support = _unfixable(c, fix, att, srcs)
                else:
                    text = fixed
        except Exception as exc:  # noqa: BLE001 - odd text must never break an answer
            c.support = {"reason": "unchecked", "error": type(exc).__name__}
    return text, cites


# --- quotes checked against the cited article (lawglm verify without --sources) ---------------------------
def best_in_corpus(att: Attribution, corpus: Any) -> Article | None:
    """The current article anywhere in the corpus whose text the quoted words are (None when none is)."""
    best, best_score = None, 0.0
    for law in corpus.laws():
        found, score = best_in_law(att, corpus, law)
        if found is not None and score > best_score and matches(att, found):
            best, best_score = found, score
    return best


def check_quotes(text: str, citations: Sequence[Citation], corpus: Any) -> list[Citation]:
    """Does each quote (“…” after a citation, or the verbatim block under one) say what the cited article
    says? Needs no sources: the cited article's text is known. A citation followed by a quote that
    matches gets `support.reason` supported; one that does not, quote_mismatch with `actual` naming the
    article the words do come from (the cited law first, then the whole corpus), or None. Citations
    without a quote keep `support` None (their existence check is the verdict). Updated in place."""
    cites = list(citations)
    for c in cites:
        if not c.verified or c.article is None:
            continue
        try:
            att = attributed(text, c, cites)
            if not att.quoted or len(normalize(words(att))) < MIN_QUOTE_MATCH:
                continue
            info = {"kind": att.kind, "attributed": att.text.strip()[:MAX_ATTRIBUTED],
                    **_evidence_info(att, c.article)}
            if matches(att, c.article):
                c.support = {**info, "reason": "supported"}
                continue
            found, _ = best_in_law(att, corpus, c.article.law)
            if found is None or _same(found, c.article) or not matches(att, found):
                found = best_in_corpus(att, corpus)
            actual = ({**_ref(found), "score": round(evidence(att, found)[0], 3)}
                      if found is not None and not _same(found, c.article) else None)
            c.support = {**info, "reason": "quote_mismatch", "actual": actual}
        except Exception as exc:  # noqa: BLE001 - odd text must never break a check
            c.support = {"reason": "unchecked", "error": type(exc).__name__}
    return cites


_QUOTED = re.compile(r"“[^”]*”|「[^」]*」")


def outside_quotes(text: str, cites: list[Citation]) -> list[Citation]:
    """The citations not inside a quotation: a quoted article's own references (本法第二十六条) are
    its words, not citations the answer makes."""
    regions = [m.span() for m in _QUOTED.finditer(text)]
    return [c for c in cites if not any(a < c.span[0] and c.span[1] <= b for a, b in regions)]


def check_answer(text: str, sources: Sequence[Article], corpus: Any, *, context_law: str | None = None,
                 citations: Sequence[Citation] | None = None) -> tuple[str, list[Citation]]:
    """Existence (citations.verify) and support (check_support) of every citation an answer makes, not
    of references inside the articles it quotes. `citations`: already found (the system's own), else
    the text's citations outside quotations."""
    from lawglm.statutes.citations import verify

    if citations is None:
        citations = outside_quotes(text, verify(text, corpus, context_law=context_law))
    return check_support(text, citations, list(sources), corpus)


# --- sources named by a person (lawglm verify --sources, POST /v1/citations/verify) -----------------
class InvalidSources(LawGLMError, ValueError):
    """A source that names no article of the corpus (the message says which one)."""


_COMPACT_RE = re.compile(r"^《?(?P<law>[^《》\d]+?)》?\s*(?P<no>\d+)(?:之(?P<sub>\d+))?$")
_SOURCE_SPLIT_RE = re.compile(r"[,，;；、\s]+")


def parse_sources(specs: str | Sequence[str], corpus: Any) -> list[Article]:
    """Articles named as 民法典1079 / 劳动合同法85 / 《中华人民共和国民法典》第一千零七十九条、第一千零八十条
    (separated by commas, semicolons, 、 or spaces; several per string). Raises InvalidSources naming a bad
    item."""
    from lawglm.statutes.citations import verify as verify_text

    out: list[Article] = []
    for spec in [specs] if isinstance(specs, str) else list(specs):
        spec = str(spec)
        cites = verify_text(spec, corpus)
        rest, pos = [], 0
        for c in sorted(cites, key=lambda c: c.span):
            rest.append(spec[pos:max(pos, law_start(spec, c))])
            pos = max(pos, c.span[1])
            if c.article is None:
                raise InvalidSources(f"sources: {c.raw!r}: {EXISTENCE_WORDS.get(c.reason, c.reason)}")
            out.append(c.article)
        for item in (x for x in _SOURCE_SPLIT_RE.split("".join(rest) + spec[pos:]) if x):
            out.append(_compact(item, corpus))
    return [a for i, a in enumerate(out) if not any(_same(a, b) for b in out[:i])]


def _compact(item: str, corpus: Any) -> Article:
    m = _COMPACT_RE.match(item)
    law = corpus.resolve_law(m.group("law")) if m else None
    art = corpus.get(law, int(m.group("no")), int(m.group("sub") or 0)) if law else None
    if art is None:
        raise InvalidSources(f"sources: {item!r} names no article of the corpus "
                             "(write 民法典1079 or 《中华人民共和国民法典》第一千零七十九条)")
    return art


# --- the verdict in words (CLI; the web page has its own copy in app.js) ---------------------------------
EXISTENCE_WORDS = {
    "article_not_found": "法规库中没有该条",
    "law_not_found": "法规库中没有该法律",
    "repealed": "该条已废止",
    "historical": "该条为历史版本（已被修改）",
    "unchecked": "未能核对",
}


def reason_text(cite: Citation) -> str:
    """What a reader should know about one checked citation, in Chinese."""
    s = cite.support or {}
    reason = s.get("reason") or ("supported" if cite.verified else cite.reason)
    if reason == "supported":
        was = s.get("corrected_from")
        if was:
            same_law = cite.raw.startswith("《") and was.startswith(cite.raw[:cite.raw.find("》") + 1])
            return f"原文写作{was[was.find('》') + 1:] if same_law else was}，已更正"
        return "原文支持" if s else "已核验"
    if reason == "quote_mismatch":
        actual = s.get("actual")
        return "引文与该条原文不符" + (f"，实为{actual['citation']}" if actual else "")
    if reason == "not_in_sources":
        return "该条不在检索到的依据中" + ("（条文内容与回答相符）" if s.get("matches") else "")
    if reason == "unrelated":
        if s.get("differs") and s.get("score", 0) >= PARTIAL_MIN:
            return "回答与该条原文不一致（数字、否定或“应当/可以”等用语不同），请核对原文"
        if s.get("score", 0) >= PARTIAL_MIN:
            return "回答的表述与该条原文出入较大，请核对原文"
        return "该条与回答内容无关"
    return EXISTENCE_WORDS.get(reason, reason)
