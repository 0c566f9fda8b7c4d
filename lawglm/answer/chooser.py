"""Which retrieved article decides the question, and how sure that is: a small logistic model over
features of each candidate article — how retrieval ranked and scored it, how well its best 款/项 matches
the question's words (and by how much more than the other candidates'), whether the question names the
article's subject (个体工商户 in 「个体工商户的债务，…」), its level and length.

The weights are fitted on real questions with the articles a lawyer cited (lawglm/train/decider.py,
`python3 bench/decider_train.py`) and ship in lawglm/data/decider.json; `load_chooser()` reads them once
(a missing or corrupt file fails at start-up with a message naming it: errors.ModelError).

`features(question, sources, scores)` -> one feature dict per candidate (the top CANDIDATES sources);
`Chooser.choose(...)` -> `Choice`: the chosen article's best clause, its probability of deciding the
question (calibrated on held-out questions), and the clause's overlap score and margin. The caller
(answer/decided.py) states the clause as deciding only when the probability reaches the file's `sure_at`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lawglm.answer.clauses import MIN_SHARED, Clause, _grams, _question_grams, is_lead_in, score, split
from lawglm.errors import ModelError
from lawglm.records import Article
from lawglm.settings import PACKAGE_DIR

DEFAULT_CHOOSER = PACKAGE_DIR / "data" / "decider.json"
CANDIDATES = 5  # the best-ranked retrieved articles the chooser compares
FEATURES = ("rank_rr", "top", "score", "score_gap", "clause", "clause_margin", "clause_share",
            "q_cover", "subject", "item", "many", "interp", "log_len")
# the subject an article speaks of: its opening words up to 的 / ， (个体工商户的债务 → 个体工商户)
_SUBJECT = re.compile(r"^[^，。；：的]{2,12}?(?=的|，|。|；|：)")
_INTERP = re.compile(r"解释|最高人民法院关于|规定$")


def best_clause(question_grams: set[str], article: Article) -> tuple[Clause | None, float]:
    """(the article's clause sharing most content bigrams with the question — a tie to the earlier one —,
    its score)."""
    clauses = split(article)
    best, top = None, 0.0
    for c in clauses:
        if is_lead_in(c, clauses):
            continue
        s = score(c, question_grams)
        if best is None or s > top:
            best, top = c, s
    return best, top


def subject_share(question: str, article: Article) -> float:
    """Share of the bigrams of the article's subject (its opening words up to 的/，) the question holds;
    0 when the article opens without one."""
    m = _SUBJECT.match(article.text.strip())
    if m is None:
        return 0.0
    grams = _grams(m.group(0))
    return len(grams & _grams(question)) / len(grams) if grams else 0.0


def features(question: str, sources: Sequence[Article], scores: Sequence[float] | None = None,
             typical_scores: Sequence[float] = ()) -> list[tuple[dict[str, float], Clause | None, float]]:
    """(features, best clause, its score) of each of the top CANDIDATES sources, in rank order. `scores`:
    retrieval's scores for `sources`; where not given, `typical_scores` (retrieval's mean score at each
    rank on the questions fitted on), else 0."""
    q = _question_grams(question)
    q_own = _grams(question)
    arts = list(sources[:CANDIDATES])
    sc = [float(x) for x in (scores or [])][:len(arts)]
    typical = list(typical_scores or [])
    sc += [typical[i] if i < len(typical) else 0.0 for i in range(len(sc), len(arts))]
    bests = [best_clause(q, a) for a in arts]
    art_grams = [_grams(a.text) for a in arts]
    out = []
    for i, (a, (clause, s)) in enumerate(zip(arts, bests)):
        others = [b for j, (_, b) in enumerate(bests) if j != i]
        grams = _grams(clause.words) if clause is not None else set()
        f = {
            "rank_rr": 1.0 / (i + 1),
            "top": 1.0 if i == 0 else 0.0,
            "score": sc[i],
            "score_gap": sc[i] - sc[0],
            "clause": s,
            "clause_margin": s - max(others, default=0.0),
            "clause_share": s / len(grams) if grams else 0.0,
            "q_cover": len(art_grams[i] & q_own) / len(q_own) if q_own else 0.0,
            "subject": subject_share(question, a),
            "item": 1.0 if clause is not None and clause.item else 0.0,
            "many": 1.0 if len(split(a)) > 1 else 0.0,
            "interp": 1.0 if _INTERP.search(a.law) else 0.0,
            "log_len": math.log(1 + len(a.text)),
        }
        out.append((f, clause, s))
    return out


@dataclass(frozen=True)
class Choice:
    clause: Clause
    probability: float  # the model's probability that the clause's article decides the question
    score: float  # the clause's content bigrams shared with the question
    margin: float  # its score over the best clause of the other candidates
    rank: int  # the article's retrieval rank (0 = first)


@dataclass(frozen=True)
class Chooser:
    weights: dict[str, float]
    bias: float
    sure_at: float  # probability from which the chosen clause is stated as deciding (起决定作用)
    info: dict
    rank_scores: tuple[float, ...] = ()  # retrieval's mean score at each rank (for sources given unscored)

    def probability(self, f: dict[str, float]) -> float:
        z = self.bias + sum(w * f.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def choose(self, question: str, sources: Sequence[Article], scores: Sequence[float] | None = None
               ) -> Choice | None:
        """The candidate most likely to decide the question among those whose best clause shares at least
        MIN_SHARED content bigrams with it (a tie to the better-ranked one), or None when none does."""
        best: Choice | None = None
        for i, (f, clause, s) in enumerate(features(question, sources, scores, self.rank_scores)):
            if clause is None or s < MIN_SHARED:
                continue
            p = self.probability(f)
            if best is None or p > best.probability:
                best = Choice(clause, p, s, f["clause_margin"], i)
        return best


def load_chooser(path: str | Path = DEFAULT_CHOOSER) -> Chooser:
    """The chooser's weights from `path` (ModelError naming the file when it is missing or malformed)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        unknown = set(weights) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")
        chooser = Chooser(weights, float(data["bias"]), float(data["sure_at"]), dict(data.get("info", {})),
                          tuple(float(x) for x in data.get("rank_scores", ())))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ModelError(f"deciding-article weights unusable: {p} ({type(e).__name__}: {e}); "
                         "rebuild with `python3 bench/decider_train.py`") from e
    if not 0.0 < chooser.sure_at <= 1.0:
        raise ModelError(f"deciding-article weights unusable: {p} (sure_at {chooser.sure_at} not in (0, 1])")
    return chooser


@lru_cache(maxsize=1)
def default_chooser() -> Chooser:
    """The shipped chooser (lawglm/data/decider.json), read once."""
    return load_chooser(DEFAULT_CHOOSER)
