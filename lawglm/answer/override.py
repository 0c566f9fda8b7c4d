"""Which of two rules decides when one limits the other: the clause that protects the person against a
rule the other side relies on.

- An article that restricts another by reference — 「用人单位不得依照本法第四十条、第四十一条的规定解除劳动
  合同」, 「不适用本法第X条」 — decides instead of the article it names when the question's facts meet its own
  condition (女职工在孕期… for 怀孕); 「除本法第X条规定的情形外，…」 makes article X the exception that
  decides over the article saying it. The references are read from the articles' own words (本法第X条, the
  same law); an article that restricts the chosen one but was not retrieved is taken from the corpus (the
  same law's articles are scanned once and remembered), never written by us.
- Two clauses of one law on the same act by the same party (用人单位…解除劳动合同; 劳动者…解除劳动合同):
  where one says 可以 and the other 不得, the one whose condition the facts meet more specifically decides
  (a tie: neither is stated as deciding); where both allow it, a clause whose condition the facts meet
  decides over one with no condition at all (劳动者提前三十日通知…可以解除 against 用人单位未依法缴纳社会
  保险费的，劳动者可以解除).
- A clause whose condition the question denies (我没怀孕 for 女职工在孕期) does not decide.

"The facts meet a condition" is measured as the clause chooser measures a match (clauses.score's content
bigrams, everyday words mapped to the statutes' by data/clause_terms.json), on the condition's own words —
a 项's text, or a 款's words before its 「…的，」 — less those of the lead-in and the consequence, with the
question's negated words (没/未/不是 + the next two characters) left out for a condition that is not itself
negative. `override(question, clause, sources, corpus)` -> `Override` or None; `denied(question, clause)`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lawglm.answer.clauses import ITEM_RE, Clause, _grams, _question_grams, is_lead_in, split
from lawglm.numerals import NUMBER_PATTERN, NumeralError, cn_to_int
from lawglm.records import Article
from lawglm.settings import OVERRIDE_FETCHED_MIN as FETCHED_MIN
from lawglm.settings import OVERRIDE_MEET_MIN as MEET_MIN
from lawglm.settings import OVERRIDE_MEET_SHARE as MEET_SHARE

_N = rf"(?:{NUMBER_PATTERN})"
_REF = re.compile(rf"第({_N})条")
# a clause that sets aside the articles it names: 不得依照本法第四十条、第四十一条的规定 / 不适用本法第X条
_REFS = rf"((?:第{_N}条(?:第{_N}款)?[、，和及或至]?)+)"
_BLOCKS = re.compile(rf"(?:不得(?:依照|依据|按照|根据|适用)|不适用)本法{_REFS}")
# a clause whose rule gives way to the articles it names: 除本法第X条规定的情形外 / 除依照本法第X条…外
_EXCEPT = re.compile(rf"除(?:依照|依据|按照)?本法{_REFS}[^。；]{{0,30}}?外")
# a condition that applies another article: 劳动者依照本法第三十八条规定解除劳动合同的
_APPLIES = re.compile(rf"(?<!不得)(?:依照|依据|按照)本法{_REFS}")
_MODAL = re.compile(r"可以|有权|应当|不得|无权|不能|不予")
_NEGATIVE = {"不得", "无权", "不能", "不予"}
_NEG_WORDS = re.compile(r"未|不|没|非|无")
# a negated fact in the question: 没怀孕, 没有在孕期, 不是哺乳期 (the next two characters are taken out)
_DENIED = re.compile(r"(?:没有|没|未曾|未|不是|并非|并不是)(?:在|处于)?[\u4e00-\u9fff]{0,2}")


@dataclass(frozen=True)
class Override:
    clause: Clause  # the clause that decides instead
    over: Clause  # the clause it displaces
    why: str  # restricts (by reference), exception (除…外), specific (same act, condition met), tie


def _numbers(refs: str) -> set[int]:
    out = set()
    for m in _REF.finditer(refs):
        try:
            out.add(cn_to_int(m.group(1)))
        except NumeralError:
            continue
    return out


def blocked(clause: Clause) -> set[int]:
    """Numbers of the same law's articles the clause sets aside (不得依照本法第四十条…的规定)."""
    return set().union(*(_numbers(m.group(1)) for m in _BLOCKS.finditer(clause.words)))


def excepted(clause: Clause) -> set[int]:
    """Numbers of the same law's articles the clause gives way to (除本法第X条规定的情形外)."""
    return set().union(*(_numbers(m.group(1)) for m in _EXCEPT.finditer(clause.words)))


def consequence(clause: Clause) -> tuple[str, bool, str] | None:
    """(who acts — the first two characters of the party's words —, whether the clause allows it, the act:
    解除劳动合同) of the clause's first 可以 / 不得 …, or None."""
    text = clause.lead if clause.item else clause.text
    for sentence in re.split(r"[。；：]", text):
        m = _MODAL.search(sentence)
        if m is None:
            continue
        after = re.sub(r"^(?:依照|依据|按照|根据)[^，。；]*?规定", "", sentence[m.end():])
        act = re.split(r"[，、]", after)[0][:8]
        if len(act) < 2:
            continue
        segments = re.split(r"[，,]", sentence[:m.start()])
        actor = segments[-1]
        if not actor:  # 「…，可以解除」: the party is named in an earlier segment that is not a condition
            actor = next((s for s in reversed(segments[:-1]) if s and not s.endswith("的")), "")
        return actor[:2], m.group() not in _NEGATIVE, act
    return None


def condition(clause: Clause) -> str:
    """The facts the clause turns on: a 项's own words; a 款's words before its 「…的，」 and its 可以 /
    不得; '' for a rule with no condition (劳动者提前三十日…通知…，可以解除劳动合同)."""
    if clause.item:
        return ITEM_RE.sub("", clause.text)
    m = _MODAL.search(clause.text)
    head = clause.text[:m.start()] if m else ""
    at = head.rfind("的，")
    return head[:at + 1] if at >= 0 else ""


def meets(question: str, clause: Clause) -> int:
    """Content bigrams of the clause's condition the question's facts hold (0 when it has none, or too
    few: MEET_MIN / MEET_SHARE); the question's negated words count only for a negative condition."""
    cond = condition(clause)
    if not cond:
        return 0
    own = _grams(cond) - _grams(clause.lead) - _grams(_act_words(clause))
    if not own:
        return 0
    q = question if _NEG_WORDS.search(cond) else _DENIED.sub("", question)
    shared = len(own & _question_grams(q))
    return shared if shared >= MEET_MIN and shared >= MEET_SHARE * len(own) else 0


def denied(question: str, clause: Clause) -> bool:
    """The question meets the clause's (positive) condition only through words it negates (我没怀孕)."""
    cond = condition(clause)
    if not cond or _NEG_WORDS.search(cond) or _DENIED.search(question) is None:
        return False
    own = _grams(cond) - _grams(clause.lead) - _grams(_act_words(clause))
    if not own:
        return False
    shared = len(own & _question_grams(question))
    return shared >= MEET_MIN and shared >= MEET_SHARE * len(own) and meets(question, clause) == 0


def _act_words(clause: Clause) -> str:
    found = consequence(clause)
    return found[2] if found else ""


@lru_cache(maxsize=64)
def _law_clauses(corpus: Any, law: str) -> tuple[tuple[Article, tuple[Clause, ...]], ...]:
    """Every current article of `law` with its clauses, split once per corpus and law (the corpus is kept
    alive by the cache, so a later corpus never shares its entry)."""
    if corpus is None:
        return ()
    return tuple((a, tuple(split(a))) for a in corpus.law_articles(law)
                 if corpus.get(a.law, a.article_no, a.sub_no) is a)


@lru_cache(maxsize=64)
def _restricters(corpus: Any, law: str) -> tuple[tuple[Clause, frozenset[int], frozenset[int]], ...]:
    """(clause, articles it sets aside, articles it gives way to) of every current article of `law` whose
    words name another by reference."""
    out = []
    for a, clauses in _law_clauses(corpus, law):
        if "本法第" not in a.text:
            continue
        for c in clauses:
            b, e = blocked(c), excepted(c)
            if (b or e) and not is_lead_in(c, clauses):
                out.append((c, frozenset(b), frozenset(e)))
    return tuple(out)


@lru_cache(maxsize=64)
def _applying(corpus: Any, law: str) -> tuple[tuple[Clause, frozenset[int], str], ...]:
    """(clause, the articles its condition applies, its consequence) of every current article of `law`
    whose condition applies another by reference (劳动者依照本法第三十八条规定解除劳动合同的)."""
    out = []
    for a, clauses in _law_clauses(corpus, law):
        if "本法第" not in a.text:
            continue
        for c in clauses:
            cond = condition(c)
            then = c.lead if c.item else c.text[len(cond):]
            nos = set().union(*(_numbers(m.group(1)) for m in _APPLIES.finditer(cond)))
            if nos and not is_lead_in(c, clauses):
                out.append((c, frozenset(nos), then))
    return tuple(out)


def consequence_of(clause: Clause, corpus: Any, wanted: re.Pattern) -> Clause | None:
    """The clause of the same law whose condition is the deciding clause's article applied and whose
    consequence is in `wanted` words (「劳动者依照本法第三十八条规定解除劳动合同的」 under 「用人单位
    应当向劳动者支付经济补偿」), from the corpus; None when the law has none."""
    art = clause.article
    return next((c for c, nos, then in _applying(corpus, art.law) if art.article_no in nos
                 and not _same_article(c.article, art) and wanted.search(then)), None)


def _same_article(a: Article, b: Article) -> bool:
    return (a.law, a.article_no, a.sub_no) == (b.law, b.article_no, b.sub_no)


def _best_met(question: str, article: Article) -> tuple[Clause | None, int]:
    best, top = None, 0
    for c in split(article):
        s = meets(question, c)
        if s > top:
            best, top = c, s
    return best, top


def override(question: str, clause: Clause, sources: Sequence[Article], corpus: Any) -> Override | None:
    """The clause that decides instead of `clause` (module doc), or None when `clause` stands."""
    art = clause.article
    # 1. a clause of the same law that sets this article aside (or that this article gives way to), whose
    # own condition the facts meet: from the retrieved articles, else from the corpus
    laws_clauses = list(_restricters(corpus, art.law))
    for a in sources:
        if a.law == art.law and not any(_same_article(a, c.article) for c, _, _ in laws_clauses):
            clauses = split(a)
            laws_clauses += [(c, blocked(c), excepted(c)) for c in clauses if not is_lead_in(c, clauses)]
    own_exceptions = excepted(clause)
    for c, b, _ in laws_clauses:
        if art.article_no in b and not _same_article(c.article, art) and meets(question, c):
            return Override(c, clause, "restricts")
    for no in sorted(own_exceptions):
        other = next((a for a in sources if a.law == art.law and a.article_no == no), None)
        other = other or (corpus.get(art.law, no) if corpus is not None else None)
        if other is not None:
            c, s = _best_met(question, other)
            if c is not None:
                return Override(c, clause, "exception")
    # 2. a retrieved clause of the same law on the same act by the same party
    mine = consequence(clause)
    if mine is None:
        return None
    own_meets = meets(question, clause)
    best: tuple[int, Clause] | None = None
    tie = None
    pool = list(sources)
    if not condition(clause) and corpus is not None:  # a rule with no condition: the same law's clauses
        pool += [a for a, _ in _law_clauses(corpus, art.law) if not any(_same_article(a, b) for b in sources)]
    for a in pool:
        if a.law != art.law or _same_article(a, art):
            continue
        clauses = split(a)
        for c in clauses:
            theirs = consequence(c)
            if theirs is None or theirs[0] != mine[0] or theirs[2] != mine[2] or is_lead_in(c, clauses):
                continue
            names = blocked(c)
            if names and art.article_no not in names:
                continue  # it sets aside the articles it names (不得依照本法第四十条…), not this one
            s = meets(question, c)
            if not s:
                continue
            # 可以 against 不得: the one the facts meet more specifically; both allowing it: one whose
            # condition is met over a rule with no condition at all
            wins = s > own_meets if theirs[1] != mine[1] else (not condition(clause) and (
                c.article in sources or s >= FETCHED_MIN))
            if wins and (best is None or s > best[0]):
                best = (s, c)
            elif theirs[1] != mine[1] and s == own_meets and tie is None:
                tie = Override(clause, c, "tie")
    return Override(best[1], clause, "specific") if best is not None else tie
