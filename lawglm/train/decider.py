"""Fitting the deciding-article chooser (lawglm/answer/chooser.py): candidates retrieved for real questions,
their features and 0/1 labels (the article is one a lawyer cited), an L2 logistic regression (Newton's
method on standardized features, folded back to raw-feature weights), cross-validation by question folds,
and the atomic write of lawglm/data/decider.json. `bench/decider_train.py` runs it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lawglm.answer.chooser import FEATURES, MIN_SHARED, features
from lawglm.errors import DataError


@dataclass
class Group:
    """One question's candidates: features (n × FEATURES), labels, and which may be chosen (a clause
    sharing at least MIN_SHARED bigrams with the question)."""

    question: str
    x: np.ndarray
    y: np.ndarray
    eligible: np.ndarray
    baseline: int  # the candidate today's rule (clauses.ranked) picks; -1 when none
    fold: int
    origin: str


def fold_of(text: str, k: int) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % k


def read_gold(path: str | Path) -> list[tuple[str, list[tuple[str, int]], list[str], str]]:
    """(question, [(law, article_no)], the lawyer's `cited` strings, origin) of every row with a gold
    article (DataError naming file and line on a malformed one)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                gold = [(g["law"], int(g["article_no"])) for g in r.get("gold") or []]
                q = str(r["question"])
                cited = [str(c) for c in r.get("cited") or []]
            except (ValueError, KeyError, TypeError) as e:
                raise DataError(f"{path}:{n}: {e}") from e
            if (gold or cited) and q.strip():
                out.append((q, gold, cited, str(r.get("source", "")).split(":")[0]))
    return out


def gold_articles(gold: Sequence[tuple[str, int]], cited: Sequence[str], corpus) -> set[tuple[str, int]]:
    """(law, article_no) of the row's gold articles and of every valid citation among the lawyer's `cited`
    strings (the gold field holds 法律 articles only; a 司法解释 or 条例 the lawyer cited counts too)."""
    from lawglm.statutes.citations import verify

    out = {(corpus.resolve_law(law) or law, no) for law, no in gold}
    for text in cited:
        out |= {(c.law, c.article_no) for c in verify(text, corpus) if c.reason == "valid"}
    return out


def make_group(question: str, articles: Sequence, scores: Sequence[float], gold: set[tuple[str, int]],
               fold: int, origin: str) -> Group | None:
    from lawglm.answer.clauses import ranked

    rows = features(question, articles, scores)
    if not rows:
        return None
    x = np.array([[f[name] for name in FEATURES] for f, _, _ in rows], dtype=float)
    y = np.array([1.0 if (a.law, a.article_no) in gold else 0.0 for a in articles[:len(rows)]])
    eligible = np.array([c is not None and s >= MIN_SHARED for _, c, s in rows])
    found = ranked(question, articles)
    base = -1
    if found:
        top = found[0][0].article
        base = next(i for i, a in enumerate(articles) if a is top)
    return Group(question, x, y, eligible, base, fold, origin)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """(raw-feature weights, bias) of an L2-regularized logistic regression (Newton's method on
    standardized features; the bias is not penalized)."""
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -50, 50)))
        grad = z.T @ (p - y) + reg * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / sd
    bias = float(w[-1] - (w[:-1] * mu / sd).sum())
    return weights, bias


def rank_scores(groups: Sequence[Group]) -> list[float]:
    """Retrieval's mean score at each candidate rank over `groups` (what an unscored source is read as)."""
    col = FEATURES.index("score")
    n = max(len(g.x) for g in groups)
    return [float(np.mean([g.x[i, col] for g in groups if len(g.x) > i])) for i in range(n)]


def stack(groups: Sequence[Group]) -> tuple[np.ndarray, np.ndarray]:
    """Training rows: the eligible candidates of every group."""
    xs = [g.x[g.eligible] for g in groups if g.eligible.any()]
    ys = [g.y[g.eligible] for g in groups if g.eligible.any()]
    return np.vstack(xs), np.concatenate(ys)


def picks(groups: Sequence[Group], weights: np.ndarray, bias: float) -> list[tuple[int, float, Group]]:
    """(chosen candidate or -1, its probability, group) for each group — the serving rule
    (chooser.Chooser.choose: best probability among the eligible, a tie to the better-ranked)."""
    out = []
    for g in groups:
        if not g.eligible.any():
            out.append((-1, 0.0, g))
            continue
        p = 1.0 / (1.0 + np.exp(-np.clip(g.x @ weights + bias, -50, 50)))
        p[~g.eligible] = -1.0
        i = int(np.argmax(p))
        out.append((i, float(p[i]), g))
    return out


def report(chosen: Sequence[tuple[int, float, Group]], sure_at: float) -> dict:
    """Top-1 accuracy of the picks (all groups / those with a gold eligible candidate), the baseline's
    (today's overlap rule), and the claims at `sure_at`: how many, how many gold."""
    n = len(chosen)
    reach = [c for c in chosen if (c[2].y[c[2].eligible] > 0).any()]
    ok = sum(1 for i, _, g in chosen if i >= 0 and g.y[i] > 0)
    base = sum(1 for _, _, g in chosen if g.baseline >= 0 and g.y[g.baseline] > 0)
    claims = [(i, p, g) for i, p, g in chosen if i >= 0 and p >= sure_at]
    claims_ok = sum(1 for i, _, g in claims if g.y[i] > 0)
    return {"questions": n, "reachable": len(reach), "model_top1": ok, "baseline_top1": base,
            "model_acc_reachable": round(ok / len(reach), 3) if reach else None,
            "baseline_acc_reachable": round(base / len(reach), 3) if reach else None,
            "claims": len(claims), "claims_gold": claims_ok,
            "claim_precision": round(claims_ok / len(claims), 3) if claims else None}


def calibration(chosen: Sequence[tuple[int, float, Group]], bins: Sequence[float]) -> list[tuple]:
    """(lower bound, picks with probability in the bin, of them gold) per bin."""
    out = []
    edges = [*bins, 1.01]
    for lo, hi in itertools.pairwise(edges):
        sel = [(i, g) for i, p, g in chosen if i >= 0 and lo <= p < hi]
        out.append((lo, len(sel), sum(1 for i, g in sel if g.y[i] > 0)))
    return out


def save(path: str | Path, weights: np.ndarray, bias: float, sure_at: float, info: dict,
         skip: Sequence[str] = (), rank_scores: Sequence[float] = ()) -> None:
    """Writes the chooser's json atomically (a temporary file renamed over the target); features in
    `skip` (left out of the fit) are not written."""
    data = {"weights": {name: round(float(w), 6) for name, w in zip(FEATURES, weights) if name not in skip},
            "bias": round(bias, 6), "sure_at": sure_at,
            "rank_scores": [round(float(x), 4) for x in rank_scores], "info": info}
    path = Path(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
