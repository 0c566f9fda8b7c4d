"""Training the learned ranker (lawglm/search/ranker.py): cross-fitted features, listwise MLP, atomic save.

Stacking without leakage: the features of a training question must look like those of a question
nobody has seen. Questions are split into K folds (sha1 of the text, `fold_of`); the features of a
question in fold f are computed with an encoder trained without fold f (dense, qdense, law centroids)
and with the known questions of the other folds only (qbm25, qdense, question counts). Dev files are
never trained on. `bench/retrieval_train.py` runs the whole pipeline (fold encoders, features, fit).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lawglm.errors import DataError
from lawglm.search import ranker as rk


@dataclass(frozen=True)
class Example:
    query: str
    gold: frozenset[int]  # article rows
    fold: int
    origin: str  # which file / source it came from


@dataclass
class Group:
    """One query's candidates, their features and 0/1 labels."""

    query: str
    rows: np.ndarray
    x: np.ndarray
    y: np.ndarray
    origin: str = ""


def fold_of(text: str, k: int) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % k


def examples_from(
    records: list[tuple[str, list[tuple[str, int, int]]]], corpus, k: int, origin: str
) -> list[Example]:
    """(query, [(law, article_no, sub_no)]) records -> Examples over the current article rows."""
    row_of = {(a.law, a.article_no, a.sub_no): i for i, a in enumerate(corpus.articles) if a.is_current}
    merged: dict[str, set[int]] = {}  # one example per question: all its gold rows
    for query, gold in records:
        rows = {
            row_of[g]
            for g in ((corpus.resolve_law(law) or law, no, sub) for law, no, sub in gold)
            if g in row_of
        }
        merged.setdefault(query, set()).update(rows)
    return [Example(q, frozenset(rows), fold_of(q, k), origin) for q, rows in merged.items() if rows]


def cited_gold(question: str, answer: str, cited: list[str], corpus, min_overlap: float) -> list[int]:
    """Current 司法解释 / 行政法规 / 部门规章 article rows a lawyer's `cited` strings name (《…规定》第N条,
    resolved by the one citation grammar, statutes/citations.py), kept when at least `min_overlap` of the
    article's character bigrams occur in the question + answer (the number was read against the text it
    quotes, not against a renumbered version); law articles are left to the row's own gold."""
    from lawglm.search.text import bigrams
    from lawglm.statutes.citations import verify

    row_of = current_rows(corpus)
    seen = set(bigrams(question + answer))
    out: list[int] = []
    for text in cited:
        for c in verify(text, corpus):
            row = row_of.get((c.law, c.article_no, c.sub_no or 0)) if c.reason == "valid" else None
            if row is None or row in out or corpus.articles[row].level in ("法律", "宪法", ""):
                continue
            grams = set(bigrams(corpus.articles[row].text))
            if grams and len(grams & seen) / len(grams) >= min_overlap:
                out.append(row)
    return out


_ROWS: dict[int, tuple] = {}


def current_rows(corpus) -> dict[tuple[str, int, int], int]:
    """(law, article_no, sub_no) -> row of the current version, cached per corpus object."""
    hit = _ROWS.get(id(corpus))
    if hit is None or hit[0] is not corpus:
        arts = corpus.articles
        hit = _ROWS[id(corpus)] = (corpus, {(a.law, a.article_no, a.sub_no): i
                                            for i, a in enumerate(arts) if a.is_current})
    return hit[1]


def question_records(examples: list[Example], exclude_fold: int | None = None) -> list[tuple[str, list[int]]]:
    """Known questions for the `questions` lists: every example outside `exclude_fold`."""
    return [(ex.query, sorted(ex.gold)) for ex in examples if ex.fold != exclude_fold]


def make_group(
    retriever, src: rk.Sources, query: str, gold: frozenset[int] | set[int], origin: str = ""
) -> Group:
    """Features of one query through the same code path as `Retriever.search` (exact dense search)."""
    from lawglm.search.encoder import encode
    from lawglm.search.retrieval import detect_laws, expand_query
    from lawglm.search.text import without_quantities

    st = retriever._state
    mask = st.status_mask("current")
    expanded = expand_query(query)
    vec = encode(src.encoder, [without_quantities(expanded)])[0] if src.encoder is not None else None
    lists = rk.query_lists(src, expanded, mask, vec)
    cand = rk.candidates(lists)
    named, cores = detect_laws(st, query)
    x = rk.features(src, query, lists, cand, {st.law_id[w] for w in named}, {st.law_id[w] for w in cores})
    y = np.array([r in gold for r in cand.tolist()], dtype=np.float32)
    return Group(query, cand, x, y, origin)


def fold_sources(
    base: rk.Sources, encoder, embeddings: np.ndarray | None, questions, current: np.ndarray
) -> rk.Sources:
    """`base` with another encoder (and its article vectors) and another set of known questions."""
    centroids = (rk.Sources.centroids(embeddings, base.law_of, current, len(base.law_names))
                 if embeddings is not None else None)
    return replace(base, encoder=encoder, embeddings=embeddings, law_centroids=centroids, faiss=None,
                   questions=rk.Questions.build(len(base.law_of), questions, encoder))


# --- the model -----------------------------------------------------------------------------------
@dataclass
class FitConfig:
    hidden: int = 32
    epochs: int = 60
    lr: float = 3e-3
    weight_decay: float = 1e-4
    batch: int = 64
    seed: int = 0
    ensemble: int = 5  # models with seeds seed, seed+1, ...; their scores are averaged (one Ranker)
    weights: dict | None = None  # origin -> sample weight (default 1)


def _pad(groups: list[Group]):
    import torch

    n, d = max(len(g.rows) for g in groups), groups[0].x.shape[1]
    x = np.zeros((len(groups), n, d), np.float32)
    y = np.zeros((len(groups), n), np.float32)
    m = np.zeros((len(groups), n), bool)
    for i, g in enumerate(groups):
        x[i, :len(g.rows)], y[i, :len(g.rows)], m[i, :len(g.rows)] = g.x, g.y, True
    return torch.tensor(x), torch.tensor(y), torch.tensor(m)


def fit(groups: list[Group], cfg: FitConfig | None = None, info: dict | None = None) -> rk.Ranker:
    """Listwise training (softmax cross-entropy towards the gold candidates) of linear + ReLU-MLP scores;
    `cfg.ensemble` seeds averaged into one Ranker (hidden units side by side, weights / ensemble)."""
    import torch

    cfg = cfg or FitConfig()
    weight = cfg.weights or {}  # origin -> sample weight; 0 leaves an origin out
    groups = [
        g for g in groups if g.y.max() > 0 and weight.get(g.origin, 1.0) > 0
    ]  # no gold candidate: nothing to learn
    if not groups:
        raise DataError("no training query has its gold article among the candidates")
    x, y, m = _pad(groups)
    flat = x[m]
    mean, scale = flat.mean(0), flat.std(0) + 1e-4
    x = (x - mean) / scale
    w = torch.tensor([weight.get(g.origin, 1.0) for g in groups], dtype=torch.float32)
    parts = [_fit_one(x, y, m, w, cfg, cfg.seed + i) for i in range(max(1, cfg.ensemble))]
    n = len(parts)
    f = lambda t: np.asarray(t, dtype=np.float32)
    return rk.Ranker(
        rk.FEATURES,
        f(mean),
        f(scale),
        f(sum(p[0] for p in parts) / n),
        sum(p[1] for p in parts) / n,
        f(np.concatenate([p[2] for p in parts], 1)),
        f(np.concatenate([p[3] for p in parts])),
        f(np.concatenate([p[4] for p in parts]) / n),
        sum(p[5] for p in parts) / n,
        dict(info or {}, fit=dict(cfg.__dict__)),
    )


def _fit_one(x, y, m, w, cfg: FitConfig, seed: int) -> tuple:
    """One model: (w_lin, b_lin, w1, b1, w2, b2) as numpy."""
    import torch

    torch.manual_seed(seed)
    d = x.shape[-1]
    lin = torch.nn.Linear(d, 1)
    l1, l2 = torch.nn.Linear(d, cfg.hidden), torch.nn.Linear(cfg.hidden, 1)
    params = [*lin.parameters(), *l1.parameters(), *l2.parameters()]
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(x), generator=gen)
        for b in range(0, len(x), cfg.batch):
            idx = perm[b:b + cfg.batch]
            xb = x[idx]
            s = (lin(xb) + l2(torch.relu(l1(xb))))[..., 0].masked_fill(~m[idx], -1e9)
            target = y[idx] / y[idx].sum(1, keepdim=True)
            loss = (-(target * torch.log_softmax(s, 1)).sum(1) * w[idx]).sum() / w[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    f = lambda t: t.detach().numpy().astype(np.float32)
    return (
        f(lin.weight[0]),
        float(lin.bias[0].detach()),
        f(l1.weight.T),
        f(l1.bias),
        f(l2.weight[0]),
        float(l2.bias[0].detach()),
    )


def ranks(ranker: rk.Ranker, groups: list[Group]) -> list[int | None]:
    """0-based rank of the first gold candidate per group under `ranker` (None: not a candidate)."""
    out = []
    for g in groups:
        s = ranker.score(g.x)
        order = np.lexsort((g.rows, -s))
        hit = np.flatnonzero(g.y[order] > 0)
        out.append(int(hit[0]) if len(hit) else None)
    return out


def save_ranker(ranker: rk.Ranker, path: str | Path) -> Path:
    """Write the ranker JSON atomically (temp file + os.replace)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(ranker.to_json(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)
    rk.load_ranker.cache_clear()
    return path


def save_questions(examples: list[Example], corpus, path: str | Path, about: str) -> Path:
    """The known-questions file (lawglm/data/questions.json): each question with its cited articles'
    (law, article_no, sub_no, text hash)."""
    arts = corpus.articles
    recs = [
        {
            "q": ex.query,
            "src": ex.origin,
            "gold": [
                [arts[r].law, arts[r].article_no, arts[r].sub_no, rk.text_sha(arts[r].text)]
                for r in sorted(ex.gold)
            ],
        }
        for ex in examples
    ]
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"about": about, "made": time.strftime("%Y-%m-%d"), "questions": recs},
                              ensure_ascii=False, indent=0), encoding="utf-8")
    os.replace(tmp, path)
    return path


def fit_residual(base: rk.Ranker, groups: list[Group], weights: dict | None = None, l2: float = 0.03,
                 info: dict | None = None, also: tuple[str, ...] = ()) -> rk.Ranker:
    """A ranker over FEATURES that keeps `base` (trained on fewer features, e.g. before the level, routing and
    link features existed, or on features of a smaller corpus) and adds a linear term over the features
    `base` lacks and those named in `also`: score = alpha x base + w . corrected, alpha and w fitted listwise
    (softmax cross-entropy, L-BFGS, L2 `l2` on w) on `groups`, each weighted by its origin (`weights`,
    default 1). One Ranker again (the base's hidden layer, zero rows for the new features), so serving
    needs nothing new."""
    import torch

    weights = weights or {}
    groups = [g for g in groups if g.y.max() > 0 and weights.get(g.origin, 1.0) > 0]
    if not groups:
        raise DataError("no training query has its gold article among the candidates")
    have = {n: i for i, n in enumerate(base.features)}
    missing = [n for n in base.features if n not in rk.FEATURES]
    if missing:
        raise DataError(f"the base ranker uses features that no longer exist: {missing}")
    unknown = [n for n in also if n not in rk.FEATURES]
    if unknown:
        raise DataError(f"no such features: {unknown}")
    old_cols = [rk.FEATURES.index(n) for n in base.features]
    new_cols = [i for i, n in enumerate(rk.FEATURES) if n not in have or n in also]
    flat = np.concatenate([g.x[:, new_cols] for g in groups])
    mu, sd = flat.mean(0), flat.std(0) + 1e-4
    data = [(torch.tensor(base.score(g.x[:, old_cols]), dtype=torch.float32),
             torch.tensor((g.x[:, new_cols] - mu) / sd, dtype=torch.float32),
             torch.tensor(g.y / g.y.sum(), dtype=torch.float32)) for g in groups]
    wt = torch.tensor([weights.get(g.origin, 1.0) for g in groups], dtype=torch.float32)
    w = torch.zeros(len(new_cols), requires_grad=True)
    alpha = torch.ones(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, alpha], max_iter=200)

    def closure():
        opt.zero_grad()
        loss = sum(k * -(t * torch.log_softmax(alpha * s + z @ w, 0)).sum() for k, (s, z, t) in zip(wt, data))
        loss = loss / wt.sum() + l2 * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    a, w_new = float(alpha.detach()[0]), w.detach().numpy() / sd
    n, hidden = len(rk.FEATURES), base.w1.shape[1]
    mean, scale = np.zeros(n, np.float32), np.ones(n, np.float32)
    w_lin, w1 = np.zeros(n, np.float32), np.zeros((n, hidden), np.float32)
    for j, name in enumerate(rk.FEATURES):
        if name in have:
            k = have[name]
            mean[j], scale[j], w_lin[j], w1[j] = base.mean[k], base.scale[k], a * base.w_lin[k], base.w1[k]
            if j in new_cols:  # the correction on the raw feature, in the base's standardised units
                w_lin[j] += w_new[new_cols.index(j)] * base.scale[k]
        else:
            w_lin[j] = w_new[new_cols.index(j)]
    trained_on: dict[str, int] = {}
    for g in groups:
        trained_on[g.origin] = trained_on.get(g.origin, 0) + 1
    residual = {"alpha": round(a, 4), "l2": l2, "weights": weights, "trained_on": trained_on,
                "new_features": [rk.FEATURES[j] for j in new_cols if rk.FEATURES[j] not in have],
                "corrected": [n for n in also if n in have]}
    return rk.Ranker(
        rk.FEATURES,
        mean,
        scale,
        w_lin,
        a * base.b_lin,
        w1,
        base.b1.copy(),
        a * base.w2,
        a * base.b2,
        dict(base.info, **(info or {}), residual=residual),
    )
