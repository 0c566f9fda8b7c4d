"""Statute search over a built index: direct article lookup, then a learned ranker over several lists.

`Retriever.search(query)`:
1. direct lookup — a query that names an article (《民法典》第1254条, 民法典第一千二百五十四条,
   民法商法民法典第十条的内容是什么？) gets exactly that article at rank 1 (citations.extract);
2. mode "fused" (default): candidates from five lists (word BM25, character BM25, dense, and BM25 /
   dense over the questions known to cite each article; lawglm/search/ranker.py), each filtered by status /
   law / department / level (法律 / 行政法规 / 司法解释), ordered by the learned ranker
   (lawglm/data/ranker.json), which also sees law detection — a law named in the query (劳动合同法, 《消法》)
   or the distinctive core of a law's name (农民专业合作社 -> 农民专业合作社法) — and the question's legal
   area (search/routing.py: whether an article's document governs it, and the document's level);
   mode "combsum" (v1; also used when the ranker cannot apply, e.g. an index built with another
   encoder): weighted sum of the min-max normalised BM25 and dense scores plus law boosts;
   modes "bm25" / "dense": one of those two lists alone, with the same law boosts (comparison rows);
3. an optional cross-encoder (`Params.reranker`, LAWGLM_RERANKER) reorders the best `rerank_depth`.

A Retriever holds one immutable `_State` per index version; `reload()` builds the new state
first and then swaps one reference, so searches already running finish on the old version.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from lawglm.errors import InvalidQuery, ModelError
from lawglm.records import CURRENT_STATUSES, HISTORICAL, REPEALED, Hit
from lawglm.search import ranker as rk
from lawglm.search.encoder import encode
from lawglm.search.index import LoadedIndex, current_version, load_index
from lawglm.search.text import short_law_name, tokenize, without_quantities
from lawglm.settings import (
    MAX_QUESTION_CHARS,
    MAX_SEARCH_K,
    PACKAGE_DIR,
    RETRIEVAL_MODES,
    Settings,
    get_settings,
)
from lawglm.statutes.corpus import DEPARTMENTS, Corpus, normalize_law_name
from lawglm.statutes.links import Links

MAX_K = MAX_SEARCH_K
STATUS_ALIASES = {"repealed": (REPEALED,), "historical": (HISTORICAL,), "current": CURRENT_STATUSES}
_LAW_SUFFIX = re.compile(r"(法典|法|条例|规定|办法|决定)$")




@dataclass(frozen=True)
class Params:
    """Search knobs. v1 fusion weights were set on principle and checked on two dev sets (see bench/)."""

    mode: str = "fused"  # fused (learned ranker) | combsum (v1) | bm25 | dense
    ranker: str = str(rk.DEFAULT_RANKER)  # the learned ranker's weights
    questions: str = str(rk.DEFAULT_QUESTIONS)  # known questions per article (qbm25 / qdense lists)
    reranker: str = ""  # a sentence-transformers CrossEncoder path: reorders the best rerank_depth
    rerank_depth: int = 20
    candidates: int = 100  # per list, before fusion
    w_sparse: float = 0.4  # CombSUM weights of the min-max normalised BM25 / dense scores
    w_dense: float = 0.6
    named_law_boost: float = 0.3  # the query names the law (劳动合同法, 《消法》): its articles come first
    core_law_boost: float = 0.1  # the query mentions a law's subject (农民专业合作社)
    min_core_chars: int = 4  # shorter name cores (公司, 保险) are too generic to mean the law
    max_query_chars: int = MAX_QUESTION_CHARS  # a longer query is refused (InvalidQuery)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Params:
        """Params from Settings (retrieval_mode, ranker, reranker, rerank_depth, max_question_chars);
        None: the process environment's (get_settings)."""
        s = settings or get_settings()
        return cls(mode=s.retrieval_mode, ranker=s.ranker or str(rk.DEFAULT_RANKER), reranker=s.reranker,
                   rerank_depth=s.rerank_depth, max_query_chars=s.max_question_chars)

    def __post_init__(self):
        if self.mode not in RETRIEVAL_MODES:
            raise InvalidQuery(f"unknown retrieval mode {self.mode!r} (one of: {', '.join(RETRIEVAL_MODES)})")
        if not 1 <= self.rerank_depth <= MAX_K:
            raise InvalidQuery(f"rerank_depth must be 1..{MAX_K}, got {self.rerank_depth}")


@dataclass
class _State:
    """Everything one search needs from one index version, precomputed once."""

    index: LoadedIndex
    law_of: np.ndarray  # law id per article row
    laws: list[str]
    dept_of: np.ndarray
    depts: list[str]
    status_of: np.ndarray
    statuses: list[str]
    names: dict[str, str]  # alias as written (>= 3 chars) -> law
    names_re: re.Pattern
    cores: dict[str, str]  # distinctive name core -> law
    cores_re: re.Pattern
    row: dict[str, int]  # Article.key -> row
    status_masks: dict[str, np.ndarray]
    all_names: dict[str, str]  # every exact name resolve_law knows, incl. department-prefixed ones
    longest_name: int
    law_id: dict[str, int]
    nested_laws: tuple[str, ...] = ()  # law names with a 《》 citation inside (关于《X》第十三条…的解释)
    level_of: np.ndarray | None = None  # level code per article row (法律 / 行政法规 / 司法解释 / "")
    levels: tuple[str, ...] = ()
    src: rk.Sources | None = None  # what the learned ranker reads (mode "fused" only)
    ranker: rk.Ranker | None = None
    reranker: object | None = None

    @classmethod
    def build(cls, index: LoadedIndex, params: Params) -> _State:
        arts = index.corpus.articles
        law_of, laws = _codes([a.law for a in arts])
        dept_of, depts = _codes([a.department for a in arts])
        status_of, statuses = _codes([a.status for a in arts])
        names = {a: law for a, law in index.corpus.aliases().items() if len(a) >= 3}
        cores = _law_cores(laws, params.min_core_chars)
        masks = {s: status_of == i for i, s in enumerate(statuses)}
        all_names = _all_names(index.corpus)
        st = cls(index, law_of, laws, dept_of, depts, status_of, statuses, names, _alternation(names),
                 cores, _alternation(cores), {a.key: i for i, a in enumerate(arts)}, masks, all_names,
                 max(map(len, all_names), default=0), {law: i for i, law in enumerate(laws)},
                 tuple(law for law in laws if "《" in law))
        level_of, levels = _codes([a.level for a in arts])
        st.level_of, st.levels = level_of, tuple(levels)
        if params.mode == "fused":
            ranker = _ranker_for(index, params.ranker)
            if ranker is not None:
                st.ranker = ranker
                st.src = rk.sources_from_index(index, law_of, laws, st.status_mask("current"),
                                               rk.load_questions(params.questions, index.corpus))
        if params.reranker:
            from lawglm.search.rerank import load_reranker

            st.reranker = load_reranker(params.reranker)
        return st

    def status_mask(self, status: str) -> np.ndarray:
        wanted = [self.status_masks[s] for s in _statuses(status) if s in self.status_masks]
        return np.logical_or.reduce(wanted) if wanted else np.zeros(len(self.law_of), dtype=bool)


def level_mask(st: _State, level: str | None) -> np.ndarray | None:
    """Rows whose level is one of `level` (法律 / 行政法规 / 司法解释, or law / regulation / interpretation;
    comma-separated for several); None when there is no level filter. InvalidQuery names the choices."""
    if not level or not level.strip():
        return None
    from lawglm.statutes.levels import UnknownLevel, check_levels

    try:
        wanted = check_levels(level, [lv for lv in st.levels if lv])
    except UnknownLevel as exc:
        raise InvalidQuery(f"level: {exc}") from None
    return np.isin(st.level_of, [st.levels.index(w) for w in wanted])


def _and(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    return b if a is None else a if b is None else a & b


def _all_names(corpus: Corpus) -> dict[str, str]:
    """Aliases (normalised as resolve_law sees them), also with each department prefix (民法商法民法典)."""
    names = {normalize_law_name(alias): law for alias, law in corpus.aliases().items()}
    names = {k: v for k, v in names.items() if len(k) >= 2}
    return {**{dept + alias: law for dept in DEPARTMENTS for alias, law in names.items()}, **names}


def _alternation(words: dict[str, str]) -> re.Pattern:
    """One regex matching any of `words`, longest first (so 劳动合同法 wins over 合同法)."""
    alts = sorted(words, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alts)) if alts else r"(?!)")


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    uniq = sorted(set(values))
    pos = {v: i for i, v in enumerate(uniq)}
    return np.fromiter((pos[v] for v in values), dtype=np.int32, count=len(values)), uniq


def _law_cores(laws: list[str], min_chars: int) -> dict[str, str]:
    """农民专业合作社法 -> 农民专业合作社: the part of a law's name a layperson would write."""
    cores: dict[str, str] = {}
    for law in laws:
        core = _LAW_SUFFIX.sub("", short_law_name(law))
        if len(core) >= min_chars:
            cores.setdefault(core, law)
    return cores


@runtime_checkable
class SearchService(Protocol):
    """What the answer pipeline, the server and the tools ask of a retriever (`Retriever` is the
    implementation; a test double implements every member)."""

    index_dir: Path

    @property
    def corpus(self) -> Corpus: ...
    @property
    def version(self) -> str: ...
    @property
    def links(self) -> Links: ...
    def levels(self) -> list[str]: ...
    def search(self, query: str, k: int = 5, *, law: str | None = None, department: str | None = None,
               status: str = "current", level: str | None = None) -> list[Hit]: ...
    def relevance(self, query: str) -> float: ...
    def is_relevant(self, query: str, threshold: float) -> bool: ...
    def reload(self, force: bool = False) -> bool: ...


class Retriever:
    """Search one index directory; `reload()` swaps to its new CURRENT version atomically."""

    def __init__(self, index: LoadedIndex, index_dir: str | Path | None = None, params: Params | None = None):
        self.params = params or Params.from_settings()
        self.index_dir = Path(index_dir) if index_dir is not None else index.path.parent.parent
        self._state = _State.build(index, self.params)
        self._lock = threading.Lock()
        tokenize("法律")  # load jieba and the encoder now, not on the first query
        index.encoder()
        _single_thread_faiss()

    @classmethod
    def load(cls, index_dir: str | Path, params: Params | None = None) -> Retriever:
        """The index in `index_dir`; `params` None: Params.from_settings() (the process environment)."""
        return cls(load_index(index_dir), index_dir, params)

    @classmethod
    def from_settings(cls, settings: Settings, index_dir: str | Path | None = None) -> Retriever:
        """The index `settings` names (or `index_dir`), searched with the settings' Params."""
        return cls.load(
            settings.index_dir if index_dir is None else index_dir, Params.from_settings(settings)
        )

    @property
    def index(self) -> LoadedIndex:
        return self._state.index

    @property
    def corpus(self) -> Corpus:
        return self._state.index.corpus

    @property
    def version(self) -> str:
        return self._state.index.version

    @property
    def links(self) -> Links:
        """The law <-> interpretation cross-references of the version being served."""
        return self._state.index.links

    @property
    def learned_scores(self) -> bool:
        """Whether hits carry the learned ranker's scores (no cross-encoder after it): probabilities
        comparable across questions, which the deciding-article chooser (answer/chooser.py) weighs."""
        return self._state.ranker is not None and self._state.reranker is None

    def reload(self, force: bool = False) -> bool:
        """Load the index's CURRENT version if it changed (or `force`), then swap; True when swapped."""
        with self._lock:
            if not force and current_version(self.index_dir) == self.version:
                return False
            index, old = load_index(self.index_dir), self._state.index
            if _encoder_sha(index) and _encoder_sha(index) == _encoder_sha(old):
                index._encoder = old._encoder  # same model files: keep the loaded model
            state = _State.build(index, self.params)
            state.index.encoder()  # warm the encoder before serving from the new state
            self._state = state
            return True

    # --- search ------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, law: str | None = None, department: str | None = None,
               status: str = "current", level: str | None = None) -> list[Hit]:
        """The k best articles for `query`, filtered by law / department / status / level (see module doc)."""
        st = self._state  # one reference for the whole search: a concurrent reload can't mix versions
        query = _check_query(query, k, self.params.max_query_chars)
        scope = _and(self._scope(st, law, department), level_mask(st, level))
        mask = st.status_mask(status) if scope is None else scope & st.status_mask(status)
        scope = np.ones(len(mask), dtype=bool) if scope is None else scope
        direct = self._direct(st, query, mask, scope if status == "current" else mask)
        want = max(k + len(direct), self.params.rerank_depth if st.reranker is not None else 0)
        if st.ranker is not None:
            ranked = self._by_ranker(st, query, mask, law, want)
        else:
            fused = self._fused(st, expand_query(query), mask)
            self._boost_laws(st, query, fused, law)
            ranked = _ranked(st, fused, want)
        if st.reranker is not None:
            from lawglm.search.rerank import rerank

            ranked = rerank(st.reranker, query, ranked, self.params.rerank_depth)
        seen = {d.article.key for d in direct}
        return (direct + [h for h in ranked if h.article.key not in seen])[:k]

    def relevance(self, query: str) -> float:
        """How much the current statutes have to say about `query`: ranker.lexical_relevance, or without
        the ranker's sources the best word-BM25 score alone. 0 when no word of it is in the corpus."""
        st = self._state
        expanded = expand_query(_check_query(query, 1, self.params.max_query_chars))
        mask = st.status_mask("current")
        if st.src is not None:
            return rk.lexical_relevance(st.src, expanded, mask)
        tokens = tokenize(expanded)
        return (
            float(np.where(mask, st.index.bm25.get_scores(tokens), 0.0).max(initial=0.0)) if tokens else 0.0
        )

    def is_relevant(self, query: str, threshold: float) -> bool:
        """Whether the statutes have something to say about `query`: relevance >= threshold on the signal the
        threshold was calibrated on (the ranker's sources); without them, any word of it in the corpus."""
        value = self.relevance(query)
        return value >= threshold if self._state.src is not None else value > 0

    def _by_ranker(
        self, st: _State, query: str, mask: np.ndarray, law_filter: str | None, n: int
    ) -> list[Hit]:
        """The learned ranker over the union of the five lists' candidates (lawglm/search/ranker.py)."""
        expanded = expand_query(query)
        dense_query = without_quantities(expanded)
        vec = encode(st.src.encoder, [dense_query])[0] if st.src.encoder is not None else None
        dense_top = self._dense(st, expanded, mask, vec, rk.DEPTH["dense"]) if vec is not None else None
        lists = rk.query_lists(st.src, expanded, mask, vec, dense_top)
        cand = rk.candidates(lists)
        if not len(cand):
            return []
        named, cores = detect_laws(st, query) if not law_filter else (set(), set())
        x = rk.features(
            st.src, query, lists, cand, {st.law_id[w] for w in named}, {st.law_id[w] for w in cores}
        )
        scores = st.ranker.score(x)
        prob = np.exp(scores - scores.max())
        prob /= prob.sum()
        arts = st.index.corpus.articles
        return [Hit(arts[cand[i]], float(prob[i]), lists.sources_of(int(cand[i])))
                for i in np.lexsort((cand, -scores))[:n]]

    def _scope(self, st: _State, law: str | None, department: str | None) -> np.ndarray | None:
        """Rows the law / department filters allow (any status); None when there is no such filter."""
        if not law and not department:
            return None
        mask = np.ones(len(st.law_of), dtype=bool)
        if law:
            name = st.index.corpus.require_law(law)
            mask &= st.law_of == st.laws.index(name)
        if department:
            dept = department.strip()
            if dept not in st.depts:
                known = [d for d in st.depts if d] or list(DEPARTMENTS)
                raise InvalidQuery(f"unknown department {department!r} (one of: {', '.join(known)})")
            mask &= st.dept_of == st.depts.index(dept)
        return mask

    def levels(self) -> list[str]:
        """The levels the index holds (法律, 行政法规, 司法解释 …), for --level / `level` choices."""
        return [lv for lv in self._state.levels if lv]

    def _direct(self, st: _State, query: str, mask: np.ndarray, fallback: np.ndarray) -> list[Hit]:
        """Articles the query names outright, in the order named.

        A named article with no version passing `mask` is still shown when it passes `fallback`
        (status "current": someone asking for 合同法第五十二条 sees it, labelled 已废止).
        """
        from lawglm.statutes.citations import extract

        corpus = st.index.corpus
        out: list[Hit] = []
        names = _name_spans(st, query) if "《" in query and st.nested_laws else []
        for c in extract(query, corpus):
            if any(lo < c.span[0] and c.span[1] <= hi for lo, hi in names):
                continue  # 《…关于《X法》第十三条…的解释》第三条: the inner citation is part of a law's name
            law = _law_ending_at(st, query, c.span[0]) or (corpus.resolve_law(c.law) if c.law else None)
            versions = corpus.versions(law, c.article_no, c.sub_no) if law else []
            allowed = ([a for a in versions if mask[st.row[a.key]]]
                       or [a for a in versions[:1] if fallback[st.row[a.key]]])
            if allowed and all(h.article.key != allowed[0].key for h in out):
                out.append(Hit(allowed[0], 1.0 + 1.0 / (1 + len(out)), ("direct",)))
        return out

    def _fused(self, st: _State, query: str, mask: np.ndarray) -> dict[int, list]:
        """row -> [score, sources]: weighted sum of each list's min-max normalised scores (CombSUM);
        mode "bm25" / "dense" keeps one list."""
        p = self.params
        fused: dict[int, list] = {}
        lists = [("bm25", p.w_sparse, self._sparse(st, query, mask))] if p.mode != "dense" else []
        if st.index.dense and p.mode != "bm25":
            lists.append(("dense", p.w_dense, self._dense(st, query, mask)))
        total = sum(w for _, w, (rows, _) in lists if len(rows)) or 1.0
        for name, weight, (rows, scores) in lists:
            for row, norm in zip(rows.tolist(), _minmax(scores).tolist()):
                entry = fused.setdefault(row, [0.0, []])
                entry[0] += weight / total * norm
                entry[1].append(name)
        return fused

    def _sparse(self, st: _State, query: str, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tokens = tokenize(query)
        if not tokens:
            return _EMPTY
        scores = np.where(mask, st.index.bm25.get_scores(tokens), 0.0)
        rows = _top(scores, self.params.candidates)
        return rows, scores[rows]

    def _dense(self, st: _State, query: str, mask: np.ndarray, vec: np.ndarray | None = None,
               depth: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The `depth` (default: candidates) rows in `mask` nearest to the query, via FAISS."""
        depth = depth or self.params.candidates
        vec = encode(st.index.encoder(), [without_quantities(query)]) if vec is None else vec[None, :]
        n_allowed = int(mask.sum())
        if n_allowed == 0 or not np.any(vec):
            return _EMPTY
        if n_allowed < 0.5 * len(mask):  # a narrow filter (one law): score just those rows exactly
            rows = np.flatnonzero(mask)
            scores = rk.matvec(st.index.embeddings[rows], vec[0])
            best = np.argsort(-scores, kind="stable")[:depth]
            return rows[best], scores[best]
        want = min(len(mask), int(depth * len(mask) / n_allowed) + 1)
        sims, ids = st.index.faiss.search(vec, want)
        keep = (ids[0] >= 0) & mask[np.maximum(ids[0], 0)]
        return ids[0][keep][:depth], sims[0][keep][:depth]

    def _boost_laws(self, st: _State, query: str, fused: dict[int, list], law_filter: str | None) -> None:
        if law_filter or not fused:
            return
        named, cores = detect_laws(st, query)
        for row, entry in fused.items():
            law = st.laws[st.law_of[row]]
            if law in named:
                entry[0] += self.params.named_law_boost
            elif law in cores:
                entry[0] += self.params.core_law_boost


@lru_cache(maxsize=1)
def _legal_terms() -> tuple[tuple[re.Pattern, str], ...]:
    path = PACKAGE_DIR / "data" / "legal_terms.json"
    terms = json.loads(path.read_text(encoding="utf-8"))
    return tuple((re.compile(k), v) for k, v in terms.items() if not k.startswith("_"))


def expand_query(query: str) -> str:
    """The query plus the legal terms for the everyday words it uses (借钱 -> 借款, 房东 -> 出租人)."""
    extra = [terms for pattern, terms in _legal_terms() if pattern.search(query)]
    return query + (" " + " ".join(extra) if extra else "")


def detect_laws(st: _State, query: str) -> tuple[set[str], set[str]]:
    """Laws the query names (劳动合同法, 《消法》) and laws whose subject it mentions (农民专业合作社)."""
    named = {st.names[m.group()] for m in st.names_re.finditer(normalize_law_name(query))}
    for bracketed in re.findall(r"《([^》]{1,60})》", query):  # short forms count when quoted: 《消法》
        law = st.index.corpus.resolve_law(bracketed)
        if law:
            named.add(law)
    text = st.names_re.sub("\0", normalize_law_name(query))
    cores = {st.cores[m.group()] for m in st.cores_re.finditer(text)} - named
    return named, cores


def _name_spans(st: _State, query: str) -> list[tuple[int, int]]:
    """Spans of the known law names written in the query that themselves contain a 《》 citation."""
    return [(at, at + len(name)) for name in st.nested_laws if (at := query.find(name)) >= 0]


def _law_ending_at(st: _State, query: str, pos: int) -> str | None:
    """The longest known law name written right before `pos` (…议事规则第十九条, names with 、 or 《》
    inside, 民法商法民法典第十条) — exact names only, so it is safe to prefer over the citation grammar."""
    before = normalize_law_name(query[max(0, pos - st.longest_name - 8):pos]).rstrip("的")
    for length in range(min(len(before), st.longest_name), 1, -1):
        law = st.all_names.get(before[-length:])
        if law:
            return law
    return None


def _ranker_for(index: LoadedIndex, path: str) -> rk.Ranker | None:
    """The learned ranker when it applies to this index: trained with the index's encoder (or both
    without one); None means the v1 fusion (an index built with another encoder, or no ranker file)."""
    if not path or path.strip().lower() == "none":
        return None
    ranker = rk.load_ranker(str(path))
    if ranker is None:
        if Path(path) != rk.DEFAULT_RANKER:
            raise ModelError(f"ranker not found: {path} (pass 'none' for the v1 fusion)")
        return None
    return ranker if ranker.info.get("encoder_sha256") == _encoder_sha(index) else None


def _encoder_sha(index: LoadedIndex) -> str | None:
    return (index.manifest.get("encoder") or {}).get("sha256")


def check_request(index_dir: str | Path, query: str, k: int, *, law: str | None = None,
                  department: str | None = None, status: str = "current", level: str | None = None,
                  max_chars: int = MAX_QUESTION_CHARS) -> None:
    """The argument checks `Retriever.search` makes, from the index's manifest alone: a bad query, k,
    status, level, law or department fails in milliseconds, before any index part is loaded (the law
    against the manifest's law names; the department when the manifest lists departments, i.e. built
    since; a level that is no level at all — whether this index holds it is checked when searching)."""
    _check_query(query, k, max_chars)
    _statuses(status)
    if level and level.strip():
        from lawglm.statutes.levels import UnknownLevel, check_levels

        try:
            check_levels(level)
        except UnknownLevel as exc:
            raise InvalidQuery(f"level: {exc}") from None
    if not law and not department:
        return
    from lawglm.search.index import current_path, read_manifest
    from lawglm.statutes.corpus import require_law_in

    manifest = read_manifest(current_path(index_dir))
    if law:
        require_law_in(manifest.get("law_hashes", {}), law)
    known = manifest.get("corpus", {}).get("departments")
    if department and known is not None and department.strip() not in known:
        raise InvalidQuery(f"unknown department {department!r} (one of: {', '.join(known or DEPARTMENTS)})")


def _check_query(query: str, k: int, max_chars: int = MAX_QUESTION_CHARS) -> str:
    if not isinstance(query, str) or not query.strip():
        raise InvalidQuery("query is empty: type a question or an article like 民法典第1254条")
    if len(query) > max_chars:
        raise InvalidQuery(f"query is too long ({len(query)} characters; the limit is {max_chars})")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidQuery(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
    return query.strip()


def _statuses(status: str) -> tuple[str, ...]:
    s = (status or "current").strip()
    if s == "all":
        return CURRENT_STATUSES + (REPEALED, HISTORICAL)
    if s in STATUS_ALIASES:
        return STATUS_ALIASES[s]
    if s in CURRENT_STATUSES + (REPEALED, HISTORICAL):
        return (s,)
    raise InvalidQuery(f"unknown status {status!r} (current, all, repealed, historical, or one of "
                       f"{', '.join(CURRENT_STATUSES + (REPEALED, HISTORICAL))})")


_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def _minmax(scores: np.ndarray) -> np.ndarray:
    """Scale a candidate list's scores to [0, 1] (best = 1); a single candidate scores 1."""
    if not len(scores):
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    return (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n highest positive scores, best first."""
    n = min(n, int(np.count_nonzero(scores > 0)))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


def _ranked(st: _State, fused: dict[int, list], n: int) -> list[Hit]:
    """The n best fused rows as Hits (ties broken by row, so results are deterministic)."""
    arts = st.index.corpus.articles
    order = sorted(fused.items(), key=lambda kv: (-kv[1][0], kv[0]))[:n]
    return [Hit(arts[row], float(score), tuple(dict.fromkeys(src))) for row, (score, src) in order]


def _single_thread_faiss() -> None:
    """One query is microseconds of work: FAISS's OpenMP threads only add spin-waits (40 ms vs 3 ms
    per query on a busy 2-core machine), and concurrent requests parallelise across threads anyway."""
    import faiss

    faiss.omp_set_num_threads(1)
