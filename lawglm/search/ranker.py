"""The learned ranker: candidates from five retrieval lists, per-candidate features, a small MLP score.

Lists (each scores the article rows the search filters allow; see `Sources`):
  bm25    BM25 over jieba words + CJK bigrams of law name, chapter, text (the index's `bm25/`)
  chars   BM25 over character unigrams + bigrams of the same text (the index's `chars/`)
  dense   cosine similarity under the index's encoder
  qbm25   BM25 over the questions known to cite each article (the index's `questions.json`)
  qdense  the best cosine similarity between the query and one of the article's known questions
Candidates are the union of each list's top `depth`. Features (FEATURES): per list the score relative
to the list's best, its log, reciprocal rank and log rank; whether the query names the article's law or
its subject; the law's share of each list's top 20 and the similarity of the query to the law's
centroid; within each law, the article's BM25 with the idf computed inside that law (which words set it
apart from its neighbours) and its rank among that law's candidates (also for the dense score); article
length, position, chapter-title and law-name overlap, number of known questions; the document's level
(司法解释, 行政法规 / 部门规章) and whether it governs the question's legal area (search/routing.py: routing
confidence x the document's place among the area's governing documents; a non-law document outside them);
support through the law <-> interpretation links (lawglm/statutes/links.py: the best word-BM25 and dense
score of an article it applies or that applies it, so an interpretation applying the law article the
question is about ranks next to it, and the reverse);
query length, style (甲乙 parties), routing confidence, and each list's best score. The model standardises
the features and adds a linear term and a one-hidden-layer ReLU term; the weights live in
lawglm/data/ranker.json (made by `bench/retrieval_train.py`, code in lawglm/train/ranker.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from lawglm.search.text import bigrams, char_tokens, tokenize
from lawglm.settings import PACKAGE_DIR

DEFAULT_RANKER = PACKAGE_DIR / "data" / "ranker.json"
DEFAULT_QUESTIONS = PACKAGE_DIR / "data" / "questions.json"
LISTS = ("bm25", "chars", "dense", "qbm25", "qdense")
DEPTH = {"bm25": 100, "chars": 100, "dense": 100, "qbm25": 30, "qdense": 30}
SHARE_TOP = 20
_PARTIES = re.compile(r"[甲乙丙丁戊]|某")


def _feature_names() -> tuple[str, ...]:
    names = []
    for name in LISTS:
        names += [f"{name}_rel", f"{name}_log", f"{name}_rr", f"{name}_lrank"]
    names += ["named", "core", "share_bm25", "share_chars", "share_dense",
              "law_best_bm25", "law_best_chars", "chapter_best_bm25", "chapter_best_chars",
              "next_bm25", "next_chars", "inlaw_bm25", "inlaw_chars", "inlaw_rank_bm25", "inlaw_rank_chars",
              "inlaw_dense", "inlaw_rank_dense",
              "lawsim_gap", "lawsim_rr",
              "art_len", "art_pos", "title_overlap", "lawname_overlap", "art_questions",
              "lvl_interp", "lvl_reg", "route_gov", "route_in", "route_other_level",
              "link_bm25", "link_dense", "link_n"]
    names += ["q_len", "q_named", "q_core", "q_parties", "q_route_conf"] + [f"q_max_{name}" for name in LISTS]
    return tuple(names)


FEATURES = _feature_names()


@dataclass
class Questions:
    """Known questions per article row: a BM25 over each row's concatenated questions + their vectors."""

    bm25: object | None  # bm25s.BM25 over one document per row in `rows`
    vocab: dict[str, int]
    rows: np.ndarray  # article row of each BM25 document
    vectors: np.ndarray | None  # unit vectors of the questions (None without an encoder)
    question_rows: list[list[int]]  # article rows each question cites
    count: np.ndarray  # known questions per article row

    @classmethod
    def build(cls, n_rows: int, questions: list[tuple[str, list[int]]], encoder=None) -> Questions:
        from lawglm.search.encoder import encode
        from lawglm.search.token_store import build_bm25

        docs: dict[int, list[str]] = {}
        count = np.zeros(n_rows, dtype=np.float32)
        for text, rows in questions:
            toks = tokenize(text)
            for r in rows:
                docs.setdefault(r, []).extend(toks)
                count[r] += 1
        vocab: dict[str, int] = {}
        rows = np.array(sorted(docs), dtype=np.int64)
        ids = [np.array([vocab.setdefault(t, len(vocab)) for t in docs[r]], dtype=np.int32) for r in rows]
        bm25 = build_bm25(ids, list(vocab)) if ids and vocab else None
        vectors = encode(encoder, [q for q, _ in questions]) if encoder is not None and questions else None
        return cls(bm25, vocab, rows, vectors, [list(r) for _, r in questions], count)


@dataclass
class Sources:
    """What the lists and features read from one index version (a training fold swaps some of them)."""

    bm25: object
    chars: object
    embeddings: np.ndarray | None
    encoder: object | None
    questions: Questions | None
    law_of: np.ndarray
    chapter_of: np.ndarray  # chapter id per row (law + chapter + section)
    law_rows: np.ndarray  # rows per law id (all statuses: the in-law idf counts them all)
    law_centroids: np.ndarray | None
    art_len: np.ndarray
    art_pos: np.ndarray
    titles: list[frozenset]
    law_names: list[frozenset]  # bigrams of each law's short name, by law id
    faiss: object | None = None
    level_code: np.ndarray | None = None  # per row: 0 法律 / 宪法 / other, 1 司法解释, 2 行政法规 / 部门规章
    law_ids: dict[str, int] | None = None  # law title -> law id (routing's governing documents)
    links: dict[int, list[int]] | None = None  # row -> rows linked to it (statutes/links.py), rows with links

    @staticmethod
    def centroids(embeddings: np.ndarray, law_of: np.ndarray, mask: np.ndarray, n_laws: int) -> np.ndarray:
        out = np.zeros((n_laws, embeddings.shape[1]), dtype=np.float32)
        np.add.at(out, law_of[mask], embeddings[mask])
        return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-9)


def matvec(matrix: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """matrix @ vec without BLAS (see Ranker.score: OpenBLAS' threads cost milliseconds per call here)."""
    return np.einsum("ij,j->i", matrix, vec)


def text_sha(text: str) -> str:
    """Short content hash of an article's text: known questions apply only to the text they were asked of."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_questions(path: str | Path, corpus) -> list[tuple[str, list[int]]]:
    """(question, article rows) for each known question whose cited articles are current in `corpus` with
    the same text as when the question was labelled; [] when `path` is empty or absent."""
    p = Path(path) if path else None
    if p is None or not p.is_file():
        return []
    from lawglm.errors import DataError

    try:
        records = json.loads(p.read_text(encoding="utf-8"))["questions"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"cannot read known questions {p}: {exc}") from None
    row_of = {(a.law, a.article_no, a.sub_no): i for i, a in enumerate(corpus.articles) if a.is_current}
    out = []
    for rec in records:
        rows = []
        for law, no, sub, sha in rec["gold"]:
            row = row_of.get((law, no, sub))
            if row is not None and text_sha(corpus.articles[row].text) == sha:
                rows.append(row)
        if rows:
            out.append((rec["q"], rows))
    return out


def sources_from_index(index, law_of: np.ndarray, laws: list[str], current: np.ndarray,
                       questions: list[tuple[str, list[int]]], chars=None) -> Sources:
    """Sources of a loaded index (its character BM25 is built here when the index predates it)."""
    from lawglm.search.index import build_chars_bm25
    from lawglm.search.text import short_law_name

    arts = index.corpus.articles
    encoder = index.encoder() if index.dense else None
    top_no: dict[str, int] = {}
    for a in arts:
        top_no[a.law] = max(top_no.get(a.law, 1), a.article_no)
    centroids = (Sources.centroids(index.embeddings, law_of, current, len(laws))
                 if index.embeddings is not None else None)
    return Sources(
        bm25=index.bm25,
        chars=chars or index.chars or build_chars_bm25(arts),
        embeddings=index.embeddings,
        encoder=encoder,
        questions=Questions.build(len(arts), questions, encoder),
        law_of=law_of,
        chapter_of=_chapter_codes(arts),
        law_rows=np.bincount(law_of, minlength=len(laws)),
        law_centroids=centroids,
        art_len=np.log1p(np.array([len(a.text) for a in arts], dtype=np.float32)),
        art_pos=np.array([a.article_no / top_no[a.law] for a in arts], dtype=np.float32),
        titles=[frozenset(bigrams(" ".join(x for x in (a.chapter, a.section) if x))) for a in arts],
        law_names=[frozenset(bigrams(short_law_name(law))) for law in laws], faiss=index.faiss,
        level_code=level_codes(arts), law_ids={law: i for i, law in enumerate(laws)},
        links=link_rows(index.links, arts))


def link_rows(links, arts) -> dict[int, list[int]]:
    """row -> rows of the articles linked to it either way (statutes/links.py), over an index snapshot;
    only rows with a linked article in the snapshot appear."""
    row = {a.key: i for i, a in enumerate(arts)}
    out: dict[int, list[int]] = {}
    for i, a in enumerate(arts):
        by, to = links.of(a.key)
        rows = list(dict.fromkeys(row[r.key] for r in by + to if r.key in row))
        if rows:
            out[i] = rows
    return out


LEVEL_CODES = {"司法解释": 1, "行政法规": 2, "部门规章": 2}


def level_codes(arts) -> np.ndarray:
    """Per article row: 1 for a 司法解释, 2 for a 行政法规 / 部门规章, 0 otherwise (法律, 宪法, unknown)."""
    return np.array([LEVEL_CODES.get(a.level, 0) for a in arts], dtype=np.int8)


def _routing_columns(src: Sources, query: str, cand: np.ndarray,
                     law: np.ndarray) -> tuple[list[np.ndarray], float]:
    """Level and routing columns per candidate (see the module doc) and the routing confidence."""
    from lawglm.search.routing import route

    r = route(query)
    weight = np.zeros(len(src.law_names), dtype=np.float32)
    for i, name in enumerate(r.laws):
        lid = (src.law_ids or {}).get(name)
        if lid is not None:
            weight[lid] = 1.0 / (1 + 0.15 * i)
    lvl = src.level_code[cand] if src.level_code is not None else np.zeros(len(cand), np.int8)
    gov = weight[law]
    return [
        (lvl == 1).astype(np.float32),
        (lvl == 2).astype(np.float32),
        gov * r.confidence,
        (gov > 0).astype(np.float32),
        ((lvl > 0) & (gov == 0)).astype(np.float32),
    ], r.confidence


def _link_columns(src: Sources, lists, cand: np.ndarray) -> list[np.ndarray]:
    """Per candidate: the best word-BM25 score (over the list's best) and the best dense similarity (minus
    the list's best) of the articles linked to it, and log(1 + number of links); 0 / -1 / 0 without links."""
    n = len(cand)
    bm, dense, count = np.zeros(n, np.float32), np.full(n, -1.0, np.float32), np.zeros(n, np.float32)
    links = src.links or {}
    scores, best = lists.scores["bm25"], lists.best["bm25"] + 1e-6
    for i, c in enumerate(cand.tolist()):
        rows = links.get(c)
        if rows:
            bm[i] = float(scores[rows].max()) / best
            count[i] = math.log1p(len(rows))
            if lists.vec is not None and src.embeddings is not None:
                dense[i] = float(matvec(src.embeddings[rows], lists.vec).max()) - lists.best["dense"]
    return [bm, dense, count]


def _chapter_codes(arts) -> np.ndarray:
    codes: dict[tuple, int] = {}
    return np.array(
        [codes.setdefault((a.law_id, a.chapter, a.section), len(codes)) for a in arts], dtype=np.int64
    )


def _group_best(scores: np.ndarray, group_of: np.ndarray, rows: np.ndarray, best: float) -> np.ndarray:
    """Per candidate: the best score of any row in its group (law, chapter) over the list's best."""
    top = np.zeros(int(group_of.max()) + 1 if len(group_of) else 1, dtype=np.float32)
    nz = np.flatnonzero(scores > 0)
    np.maximum.at(top, group_of[nz], scores[nz])
    return top[group_of[rows]] / (best + 1e-6)


def _in_law_bm25(
    bm25, ids: list[int], cand: np.ndarray, law_of: np.ndarray, law_rows: np.ndarray
) -> np.ndarray:
    """BM25 of each candidate with the idf computed inside its own law (which words set an article apart
    from the other articles of the same law), from the index's stored postings (tf part = score / idf)."""
    post = bm25.scores
    data, indices, indptr, n = post["data"], post["indices"], post["indptr"], post["num_docs"]
    where = np.full(n, -1, dtype=np.int64)
    where[cand] = np.arange(len(cand))
    out = np.zeros(len(cand), dtype=np.float32)
    for t in ids:
        lo, hi = indptr[t], indptr[t + 1]
        if hi == lo:
            continue
        docs = indices[lo:hi]
        df = hi - lo
        tf = data[lo:hi] / np.log(1 + (n - df + 0.5) / (df + 0.5))
        hit = where[docs] >= 0
        if not hit.any():
            continue
        law_df = np.bincount(law_of[docs], minlength=len(law_rows))
        laws = law_of[docs[hit]]
        idf = np.log(1 + (law_rows[laws] - law_df[laws] + 0.5) / (law_df[laws] + 0.5))
        np.add.at(out, where[docs[hit]], tf[hit] * idf)
    return out


def _within_law(values: np.ndarray, law: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(value / best value among the candidates of the same law, 1 / (1 + rank within that law))."""
    best = np.zeros(int(law.max()) + 1 if len(law) else 1, dtype=np.float32)
    np.maximum.at(best, law, values)
    order = np.lexsort((-values, law))
    rank = np.empty(len(values), dtype=np.float32)
    first = np.r_[0, np.flatnonzero(np.diff(law[order])) + 1]
    starts = np.repeat(first, np.diff(np.r_[first, len(order)]))
    rank[order] = np.arange(len(order)) - starts
    return values / (best[law] + 1e-6), 1.0 / (1.0 + rank)


def _neighbour_best(scores: np.ndarray, src: Sources, rows: np.ndarray, best: float) -> np.ndarray:
    """Per candidate: the better score of the articles just before and after it in the same chapter."""
    n = len(scores)
    out = np.zeros(len(rows), dtype=np.float32)
    for step in (-1, 1):
        nb = np.clip(rows + step, 0, n - 1)
        same = (src.chapter_of[nb] == src.chapter_of[rows]) & (nb != rows)
        out = np.maximum(out, np.where(same, scores[nb], 0.0))
    return out / (best + 1e-6)


@dataclass
class QueryLists:
    scores: dict[str, np.ndarray]  # list -> score per article row (0 outside the allowed rows); no "dense"
    top: dict[str, np.ndarray]  # list -> its best rows, best first
    best: dict[str, float]  # list -> its best score
    vec: np.ndarray | None  # the query's unit vector (dense scores of candidates: embeddings[row] @ vec)
    lawsim: np.ndarray | None  # query similarity to each law's centroid
    token_ids: dict[str, list[int]]  # "bm25" / "chars" -> the query's token ids in that field

    def dense(self, src: Sources, rows: np.ndarray) -> np.ndarray:
        if self.vec is None or src.embeddings is None:
            return np.full(len(rows), -1.0, dtype=np.float32)
        return matvec(src.embeddings[rows], self.vec)

    def sources_of(self, row: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_LIST_SOURCE[name] for name in LISTS if row in self._members[name]))

    def __post_init__(self):
        self._members = {name: set(self.top[name].tolist()) for name in LISTS}


_LIST_SOURCE = {
    "bm25": "bm25",
    "chars": "chars",
    "dense": "dense",
    "qbm25": "questions",
    "qdense": "questions",
}


def _ids(bm25, tokens: list[str]) -> list[int]:
    vocab = bm25.vocab_dict
    return [vocab[t] for t in tokens if t in vocab]


def _bm25_scores(bm25, ids: list[int], n: int, mask: np.ndarray) -> np.ndarray:
    if bm25 is None or not ids:
        return np.zeros(n, dtype=np.float32)
    return np.where(mask, bm25.get_scores(ids), 0.0).astype(np.float32)


def lexical_relevance(src: Sources, query: str, mask: np.ndarray) -> float:
    """The best word-BM25 score of an allowed article plus the best known-question BM25 score (both as
    `query_lists` computes them): how much the corpus has to say about the (expanded) query, on a scale
    that does not depend on the other candidates as the ranker's scores do. 0 when no word matches."""
    words, n = tokenize(query), len(mask)
    best = float(_bm25_scores(src.bm25, _ids(src.bm25, words), n, mask).max(initial=0.0))
    q = src.questions
    if q is not None and q.bm25 is not None:
        ids = [q.vocab[t] for t in words if t in q.vocab]
        if ids:
            qb = np.zeros(n, dtype=np.float32)
            qb[q.rows] = q.bm25.get_scores(ids)
            best += float(np.where(mask, qb, 0.0).max(initial=0.0))
    return best


def top_rows(scores: np.ndarray, n: int, floor: float = 0.0) -> np.ndarray:
    """Rows of the n highest scores above `floor`, best first (ties by row)."""
    n = min(n, int(np.count_nonzero(scores > floor)))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.lexsort((part, -scores[part]))]


def exact_dense(src: Sources, vec: np.ndarray, mask: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The n rows in `mask` most similar to `vec` by brute force (training; the retriever uses FAISS)."""
    scores = np.where(mask, matvec(src.embeddings, vec), -2.0)
    rows = top_rows(scores, n, -2.0)
    return rows, scores[rows]


def query_lists(
    src: Sources,
    query: str,
    mask: np.ndarray,
    vec: np.ndarray | None,
    dense_top: tuple[np.ndarray, np.ndarray] | None = None,
) -> QueryLists:
    """Every list's scores and top rows for one (already expanded) query over the rows in `mask`.

    `dense_top` = (rows, similarities) of the dense list when the caller searched FAISS already."""
    n = len(mask)
    words = tokenize(query)
    token_ids = {"bm25": _ids(src.bm25, words), "chars": _ids(src.chars, char_tokens(query))}
    scores = {
        name: _bm25_scores(bm, token_ids[name], n, mask)
        for name, bm in (("bm25", src.bm25), ("chars", src.chars))
    }
    q = src.questions
    qb = np.zeros(n, dtype=np.float32)
    if q is not None and q.bm25 is not None:
        ids = [q.vocab[t] for t in words if t in q.vocab]
        if ids:
            qb[q.rows] = q.bm25.get_scores(ids)
    scores["qbm25"] = np.where(mask, qb, 0.0)
    qd = np.zeros(n, dtype=np.float32)
    lawsim = None
    dense_rows, dense_scores = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if vec is not None and src.embeddings is not None and np.any(vec):
        dense_rows, dense_scores = (
            dense_top if dense_top is not None else exact_dense(src, vec, mask, DEPTH["dense"])
        )
        dense_rows, dense_scores = dense_rows[: DEPTH["dense"]], dense_scores[: DEPTH["dense"]]
        if q is not None and q.vectors is not None and len(q.vectors):
            sims = matvec(q.vectors, vec)
            for j in np.argsort(-sims, kind="stable")[:64]:
                if sims[j] <= 0:
                    break
                rows = q.question_rows[j]
                qd[rows] = np.maximum(qd[rows], sims[j])
        if src.law_centroids is not None:
            lawsim = matvec(src.law_centroids, vec)
    else:
        vec = None
    scores["qdense"] = np.where(mask, qd, 0.0)
    top = {name: top_rows(s, DEPTH[name]) for name, s in scores.items()}
    top["dense"] = np.asarray(dense_rows, dtype=np.int64)
    best = {name: float(scores[name][t[0]]) if len(t) else 0.0 for name, t in top.items() if name != "dense"}
    best["dense"] = float(dense_scores[0]) if len(dense_scores) else -1.0
    return QueryLists(scores, top, best, vec, lawsim, token_ids)


def candidates(lists: QueryLists) -> np.ndarray:
    return np.unique(np.concatenate([lists.top[name] for name in LISTS]))


def _rank_in(top: np.ndarray, cand: np.ndarray, cap: int) -> np.ndarray:
    pos = {int(r): i for i, r in enumerate(top)}
    return np.array([pos.get(int(r), cap) for r in cand], dtype=np.float32)


def features(
    src: Sources, query: str, lists: QueryLists, cand: np.ndarray, named_laws: set[int], core_laws: set[int]
) -> np.ndarray:
    """The FEATURES matrix (candidates x features) for one query."""
    cols = []
    qmax = lists.best
    for name in LISTS:
        top, best = lists.top[name], lists.best[name]
        sc = lists.dense(src, cand) if name == "dense" else lists.scores[name][cand]
        rel = sc - best if name in ("dense", "qdense") else sc / (best + 1e-6)
        rank = _rank_in(top, cand, DEPTH[name])
        cols += [
            rel,
            np.log1p(np.maximum(sc, 0.0)),
            1.0 / (1.0 + rank),
            np.log1p(rank) / math.log1p(DEPTH[name]),
        ]
    law = src.law_of[cand]
    cols.append(np.isin(law, list(named_laws)).astype(np.float32))
    cols.append(np.isin(law, list(core_laws)).astype(np.float32))
    n_laws = len(src.law_names)
    for name in ("bm25", "chars", "dense"):
        top = lists.top[name][:SHARE_TOP]
        share = np.bincount(src.law_of[top], minlength=n_laws) / SHARE_TOP
        cols.append(share[law])
    for name in ("bm25", "chars"):
        cols.append(_group_best(lists.scores[name], src.law_of, cand, lists.best[name]))
    for name in ("bm25", "chars"):
        cols.append(_group_best(lists.scores[name], src.chapter_of, cand, lists.best[name]))
    for name in ("bm25", "chars"):
        cols.append(_neighbour_best(lists.scores[name], src, cand, lists.best[name]))
    inlaw = [
        _within_law(_in_law_bm25(bm, lists.token_ids[name], cand, src.law_of, src.law_rows), law)
        for name, bm in (("bm25", src.bm25), ("chars", src.chars))
    ]
    cols += [inlaw[0][0], inlaw[1][0], inlaw[0][1], inlaw[1][1]]
    cols += list(_within_law(lists.dense(src, cand) + 1.0, law))
    if lists.lawsim is not None:
        ls = lists.lawsim
        order = np.empty(len(ls), dtype=np.float32)
        order[np.argsort(-ls, kind="stable")] = np.arange(len(ls))
        cols += [ls[law] - ls.max(), 1.0 / (1.0 + order[law])]
    else:
        cols += [np.zeros(len(cand)), np.zeros(len(cand))]
    qb = set(bigrams(query))
    cols += [
        src.art_len[cand],
        src.art_pos[cand],
        np.array([len(src.titles[i] & qb) / (len(src.titles[i]) + 1) for i in cand]),
        np.array([len(src.law_names[x] & qb) / (len(src.law_names[x]) + 1) for x in law]),
        np.log1p(src.questions.count[cand]) if src.questions is not None else np.zeros(len(cand)),
    ]
    routing, confidence = _routing_columns(src, query, cand, law)
    cols += routing
    cols += _link_columns(src, lists, cand)
    q = [
        math.log1p(len(query)),
        float(bool(named_laws)),
        float(bool(core_laws)),
        float(bool(_PARTIES.search(query))),
        confidence,
    ]
    q += [
        math.log1p(max(qmax[name], 0.0)) if name in ("bm25", "chars", "qbm25") else qmax[name]
        for name in LISTS
    ]
    cols += [np.full(len(cand), v) for v in q]
    return np.stack(cols, axis=1).astype(np.float32)


@dataclass(frozen=True)
class Ranker:
    """Standardise -> linear + ReLU hidden layer -> one score per candidate (numpy only)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    w_lin: np.ndarray
    b_lin: float
    w1: np.ndarray  # (features, hidden)
    b1: np.ndarray
    w2: np.ndarray  # (hidden,)
    b2: float
    info: dict

    def score(self, x: np.ndarray) -> np.ndarray:
        # einsum, not @: a BLAS matmul this small wakes OpenBLAS' thread pool, which on a busy 2-core
        # machine costs ~9 ms per query instead of 0.3 ms
        z = (x - self.mean) / self.scale
        hidden = np.maximum(np.einsum("ij,jk->ik", z, self.w1) + self.b1, 0.0)
        return (
            np.einsum("ij,j->i", z, self.w_lin) + self.b_lin + np.einsum("ij,j->i", hidden, self.w2) + self.b2
        )

    def to_json(self) -> dict:
        arr = {k: getattr(self, k).tolist() for k in ("mean", "scale", "w_lin", "w1", "b1", "w2")}
        return {
            "format": 1,
            "features": list(self.features),
            **arr,
            "b_lin": self.b_lin,
            "b2": self.b2,
            "info": self.info,
        }

    @classmethod
    def from_json(cls, d: dict) -> Ranker:
        f32 = lambda k: np.asarray(d[k], dtype=np.float32)
        return cls(
            tuple(d["features"]),
            f32("mean"),
            f32("scale"),
            f32("w_lin"),
            float(d["b_lin"]),
            f32("w1"),
            f32("b1"),
            f32("w2"),
            float(d["b2"]),
            d.get("info", {}),
        )


@lru_cache(maxsize=4)
def load_ranker(path: str) -> Ranker | None:
    """The ranker at `path` (None when absent); ModelError when it is damaged or for other features."""
    from lawglm.errors import ModelError

    p = Path(path)
    if not p.is_file():
        return None
    try:
        ranker = Ranker.from_json(json.loads(p.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read ranker {p}: {exc}") from None
    if ranker.features != FEATURES:
        raise ModelError(f"ranker {p} was trained on other features; retrain it (bench/retrieval_train.py)")
    return ranker
