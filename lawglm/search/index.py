"""The on-disk search index: versioned builds, atomic switching, loading and validation.

Layout of `index_dir`:

    CURRENT                      the serving version id (replaced atomically)
    versions/<id>/manifest.json  corpus source + sha256, encoder, tokenizer, counts, per-law hashes
    versions/<id>/articles.jsonl the full corpus snapshot (all versions/statuses); row i = article i
    versions/<id>/links.json     the law ↔ interpretation cross-references (lawglm.statutes.links)
    versions/<id>/bm25/          bm25s index (no pickle) over jieba words + CJK bigrams
    versions/<id>/chars/         bm25s index over character unigrams + bigrams (the ranker's second field)
    versions/<id>/tokens/        both fields' vocab and term frequencies (`token_store`: what updates reuse)
    versions/<id>/embeddings.npy float32 unit vectors, row i = article i   (absent for sparse-only)
    versions/<id>/dense.faiss    FAISS index over those vectors            (absent for sparse-only)

A build writes into `versions/.tmp-<id>/`, validates the result, renames it into
place and only then switches CURRENT, so a crash at any point leaves the old
CURRENT loadable. `build_index(..., reuse={Article.key: vector})` embeds only
articles without a reusable vector. `build_index(..., base=Base(...))` (what `index update` does) builds
from the version it follows: every article whose indexed document is unchanged keeps its vector and its
BM25 postings (only new documents are embedded and tokenized), the links graph is recomputed only around
the changed laws (`links.update_links`), unchanged snapshot lines are copied, and the new version is
validated with the corpus in memory instead of re-reading the snapshot it just wrote. The result equals a
full build of the same corpus (tests/test_updates.py builds both and compares).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lawglm.errors import CorpusError, IndexCorrupt, IndexMissing
from lawglm.records import Article, content_sha256
from lawglm.search.encoder import embedding_dim, encode, load_query_encoder
from lawglm.search.text import TOKENIZER_NAME, article_document
from lawglm.statutes.corpus import Corpus, file_sha256, read_snapshot, write_jsonl
from lawglm.statutes.links import Links, build_links, update_links

FORMAT = 1
KEEP_VERSIONS = 3
SERVED_LOG = "SERVED"  # versions in the order they became CURRENT (pruning keeps the recently served)
SERVED_KEPT = 100
INDEX_TYPES = ("flat", "hnsw", "ivf")
IVF_TRAIN_PER_LIST = 64  # k-means training points per IVF list (a sample, see train_sample)
IVF_NPROBE = 16  # lists searched per query
NO_ENCODER = ("", "none")
ProgressCallback = Callable[[int, int, str], None]


@dataclass
class LoadedIndex:
    """One loaded index version: its corpus snapshot, sparse and dense parts, manifest."""

    corpus: Corpus
    bm25: object  # bm25s.BM25
    faiss: object | None  # faiss.Index, None for a sparse-only index
    embeddings: np.ndarray | None
    manifest: dict
    version: str
    path: Path
    chars: object | None = None  # bm25s.BM25 over char_tokens; None in indexes built before it existed
    _encoder: object | None = field(default=None, repr=False)
    _links: Links | None = field(default=None, repr=False)

    @property
    def links(self) -> Links:
        """The cross-reference graph of this version (links.json; built from the snapshot, once, for a version
        written before the graph existed)."""
        if self._links is None:
            stored = read_links(self.path, self.manifest)
            self._links = stored if stored is not None else build_links(self.corpus)
        return self._links

    @property
    def dense(self) -> bool:
        return self.faiss is not None

    def encoder(self):
        """The encoder the index was built with (loaded once, lazily): a static model is read with numpy
        (`lawglm.search.encoder.StaticEncoder`, no torch), any other through sentence-transformers."""
        if self._encoder is None and self.dense:
            self._encoder = load_query_encoder(self.manifest["encoder"]["path"])
        return self._encoder


# --- encoder -----------------------------------------------------------------
def embed_articles(model, articles: list[Article], reuse: dict[str, np.ndarray] | None,
                   progress: bool = True, base: tuple[np.ndarray, np.ndarray] | None = None,
                   documents: list[str] | None = None) -> tuple[np.ndarray, int]:
    """Vectors for all articles, taking reusable ones from `reuse` (Article.key -> vector) or `base` (the
    previous version's vectors, and for each article the row of its unchanged document there or -1);
    returns (matrix, number embedded)."""
    dim = embedding_dim(model)
    out = np.zeros((len(articles), dim), dtype=np.float32)
    done = np.zeros(len(articles), dtype=bool)
    if base is not None and base[0].shape[1:] == (dim,):
        vectors, rows = base
        done = rows >= 0
        out[done] = vectors[rows[done]]
    todo = []
    for i in np.flatnonzero(~done):
        vec = reuse.get(articles[i].key) if reuse else None
        if vec is not None and vec.shape == (dim,):
            out[i] = vec
        else:
            todo.append(int(i))
    if todo:
        if progress:
            print(f"embedding {len(todo)} of {len(articles)} articles", file=sys.stderr)
        texts = [documents[i] if documents else article_document(articles[i]) for i in todo]
        out[todo] = encode(model, texts, progress=progress)
    return out, len(todo)


def make_faiss(vectors: np.ndarray, index_type: str = "flat") -> tuple[object, str]:
    """Inner-product FAISS index over unit vectors: flat (exact), hnsw or ivf (approximate).

    Returns (index, type actually built): ivf over fewer than 1,000 vectors is built flat.
    """
    import faiss

    n, dim = vectors.shape
    if index_type == "ivf" and n < 1000:  # too few vectors to train clusters: exact search is cheap anyway
        index_type = "flat"
    if index_type == "flat":
        index = faiss.IndexFlatIP(dim)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    elif index_type == "ivf":
        nlist = max(1, int(4 * np.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(train_sample(vectors, IVF_TRAIN_PER_LIST * nlist))
        index.nprobe = min(nlist, IVF_NPROBE)
    else:
        raise ValueError(f"unknown index type {index_type!r} (choose from {', '.join(INDEX_TYPES)})")
    index.add(vectors)
    return index, index_type


def train_sample(vectors: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """A seeded random sample of at most `size` rows: IVF's k-means needs ~40-256 points per list, not all
    of them (training on 1M vectors would cost minutes; a 64-per-list sample gives the same clusters)."""
    if len(vectors) <= size:
        return vectors
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), size=size, replace=False))
    return np.ascontiguousarray(vectors[rows])


# --- versions and the CURRENT pointer ----------------------------------------
def versions_dir(index_dir: str | Path) -> Path:
    return Path(index_dir) / "versions"


def current_version(index_dir: str | Path) -> str | None:
    """The version id CURRENT points at, or None when there is no index."""
    pointer = Path(index_dir) / "CURRENT"
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return version or None


def list_versions(index_dir: str | Path) -> list[str]:
    """Complete version ids, oldest first (temp dirs of unfinished builds excluded)."""
    root = versions_dir(index_dir)
    if not root.is_dir():
        return []
    ids = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
           and (p / "manifest.json").exists()]
    return sorted(ids)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def set_current(index_dir: str | Path, version: str) -> None:
    """Point CURRENT at an existing version (atomic: temp file + fsync + os.replace)."""
    if version not in list_versions(index_dir):
        raise IndexMissing(f"no index version {version!r} in {index_dir} "
                           f"(have: {', '.join(list_versions(index_dir)) or 'none'})")
    _atomic_write(Path(index_dir) / "CURRENT", version + "\n")
    _record_served(index_dir, version)


def served_order(index_dir: str | Path) -> list[str]:
    """Versions in the order they last became CURRENT (oldest first), from the SERVED log."""
    log = Path(index_dir) / SERVED_LOG
    try:
        lines = [v.strip() for v in log.read_text(encoding="utf-8").splitlines() if v.strip()]
    except OSError:
        return []
    return list(reversed(dict.fromkeys(reversed(lines))))  # each version at its last position


def _record_served(index_dir: str | Path, version: str) -> None:
    order = [v for v in served_order(index_dir) if v != version][-SERVED_KEPT:] + [version]
    _atomic_write(Path(index_dir) / SERVED_LOG, "\n".join(order) + "\n")


def prune_versions(
    index_dir: str | Path, keep: int = KEEP_VERSIONS, protect: tuple[str, ...] = ()
) -> list[str]:
    """Delete all but the `keep` most recently *served* versions (never CURRENT, the version served before
    it, or `protect`) and stale temp dirs. Recency of serving, not of building: after a rollback the
    rolled-back-from build is the first to go, the original it replaced stays."""
    root = versions_dir(index_dir)
    served = served_order(index_dir)
    spared = {current_version(index_dir), *served[-2:], *protect}
    rank = {v: i for i, v in enumerate(served)}
    by_recency = sorted(list_versions(index_dir), key=lambda v: (rank.get(v, -1), v))
    removed = []
    for old in by_recency[:-keep] if keep > 0 else by_recency:
        if old not in spared:
            shutil.rmtree(root / old, ignore_errors=True)
            removed.append(old)
    remove_stale_builds(index_dir)
    return removed


def remove_stale_builds(index_dir: str | Path) -> list[str]:
    """Delete `versions/.tmp-*` build dirs whose process is gone (a crash or kill -9 mid-build); start-up
    calls this so a dead build's hundreds of MB do not wait for the next build."""
    root, removed = versions_dir(index_dir), []
    for tmp in root.glob(".tmp-*") if root.is_dir() else ():
        if not _pid_alive(tmp.name.rsplit("-", 1)[-1]):
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp.name)
    return removed


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _new_version_id(index_dir: Path, corpus_sha: str) -> str:
    """`<sequence>-<UTC time>-<corpus hash>`: sorts in build order even within one second."""
    existing = list_versions(index_dir)
    seq = 1 + max((int(v.split("-", 1)[0]) for v in existing if v.split("-", 1)[0].isdigit()), default=0)
    return f"{seq:05d}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{corpus_sha[:8]}"


# --- manifest ------------------------------------------------------------------
def law_hashes(articles: list[Article]) -> dict[str, str]:
    """Content hash per law (all its versions, in corpus order): what updates diff against."""
    by_law: dict[str, list[Article]] = {}
    for a in articles:
        by_law.setdefault(a.law, []).append(a)
    return {law: content_sha256(arts, LAW_HASH_FIELDS) for law, arts in sorted(by_law.items())}


LAW_HASH_FIELDS = ("law_id", "article_no", "sub_no", "status", "chapter", "section", "text")


def _lawglm_version() -> str:
    try:
        from importlib.metadata import version

        return version("lawglm")
    except Exception:  # noqa: BLE001 - running from a source tree without metadata
        return "unknown"


def _manifest(corpus: Corpus, version: str, encoder_info: dict | None, index_type: str,
              source_info: dict | None, files: dict, embedded: int, hashes: dict | None = None) -> dict:
    arts = corpus.articles
    return {
        "format": FORMAT, "version": version, "lawglm_version": _lawglm_version(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "corpus": {"source": corpus.source, "sha256": corpus.sha256, "laws": len(corpus.laws()),
                   "articles": len(arts), "current_articles": sum(a.is_current for a in arts),
                   "departments": sorted({a.department for a in arts if a.department}),
                   "by_level": levels_summary(arts)},
        "tokenizer": TOKENIZER_NAME, "encoder": encoder_info,
        "faiss": {"type": index_type} if encoder_info else None,
        "embedded": embedded, "source_info": source_info or {},
        "law_hashes": hashes if hashes is not None else law_hashes(arts), "files": files,
    }


def levels_summary(articles: list[Article]) -> dict[str, dict[str, int]]:
    """Per level (法律, 司法解释, 行政法规, 部门规章, …; "未标注" when a source gave none): documents,
    articles,
    articles in force."""
    out: dict[str, dict[str, int]] = {}
    laws: dict[str, set[str]] = {}
    for a in articles:
        level = a.level or "未标注"
        row = out.setdefault(level, {"documents": 0, "articles": 0, "current": 0})
        row["articles"] += 1
        row["current"] += a.is_current
        laws.setdefault(level, set()).add(a.law)
    for level, names in laws.items():
        out[level]["documents"] = len(names)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["articles"]))


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt(f"index version {path} has no manifest.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{path / 'manifest.json'} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorrupt(f"{path / 'manifest.json'}: unsupported index format "
                           f"{manifest.get('format') if isinstance(manifest, dict) else manifest!r}")
    return manifest


# --- build -----------------------------------------------------------------------
def _encoder_info(encoder: str | None, dest: Path) -> tuple[object | None, dict | None]:
    """Load the encoder and copy it into the version dir, so the index stays self-contained."""
    if encoder is None or str(encoder).strip().lower() in NO_ENCODER:
        return None, None
    model = load_query_encoder(str(encoder))  # a static model through numpy (torch's vectors, no torch)
    shutil.copytree(encoder, dest / "encoder")
    source = _encoder_source(Path(encoder))
    info = {"source": source, "path": "encoder", "name": Path(source).name,
            "dim": embedding_dim(model), "sha256": dir_sha256(dest / "encoder")}
    return model, info


def _encoder_source(encoder: Path) -> str:
    """Where an encoder came from: for the copy inside an index version (what updates build with), the
    source that version recorded, so the manifest never names a directory that pruning deletes."""
    real = encoder.resolve()
    manifest = real.parent / "manifest.json"
    if real.name == "encoder" and manifest.is_file():
        try:
            recorded = (json.loads(manifest.read_text(encoding="utf-8")).get("encoder") or {}).get("source")
        except (OSError, ValueError, AttributeError):
            recorded = None
        if isinstance(recorded, str) and recorded:
            return recorded
    return str(real)


def dir_sha256(path: Path) -> str:
    """Content hash of every file under `path` but its Markdown docs (names + bytes, sorted): an encoder
    fingerprint, so editing a model card does not make the learned ranker think the encoder changed."""
    h = hashlib.sha256()
    for f in sorted(p for p in Path(path).rglob("*") if p.is_file() and p.suffix.lower() != ".md"):
        h.update(str(f.relative_to(path)).encode() + b"\0" + bytes.fromhex(file_sha256(f)))
    return h.hexdigest()


def _build_sparse(documents: list[str], dest: Path, progress: bool, base: Base | None,
                  rows: np.ndarray | None, note: Callable[[str], None]) -> None:
    """Both BM25 fields (`token_store.FIELDS`): postings of unchanged documents taken from the base version,
    the rest tokenized. After a base the two fields are merged side by side (numpy's work on ~10M postings
    each runs outside the GIL: on 2 cores the stage takes about the time of one field); a full build
    tokenizes them one after the other (Python-bound, and one field's tokens at a time in memory)."""
    from concurrent.futures import ThreadPoolExecutor

    from lawglm.search import token_store

    def build(name: str) -> None:
        old = None
        if base is not None:
            old = token_store.load(base.loaded.path, name, base.bm25(name), len(base.loaded.corpus))
        todo = np.full(len(documents), -1, dtype=np.int64) if old is None else rows
        postings = token_store.merge(old, name, documents, todo, progress and old is None,
                                     on_tokenize=lambda n: note(f"{name}: tokenizing {n} documents"))
        token_store.save(dest, name, postings)

    if base is None:
        for name in token_store.FIELDS:
            build(name)
        return
    with ThreadPoolExecutor(len(token_store.FIELDS)) as pool:
        list(pool.map(build, token_store.FIELDS))


def _build_dense(model, articles: list[Article], dest: Path, reuse: dict | None, index_type: str,
                 progress: bool, base: tuple[np.ndarray, np.ndarray] | None = None,
                 documents: list[str] | None = None) -> tuple[int, str]:
    import faiss

    vectors, embedded = embed_articles(model, articles, reuse, progress, base, documents)
    np.save(dest / "embeddings.npy", vectors)
    index, built_type = make_faiss(vectors, index_type)
    faiss.write_index(index, str(dest / "dense.faiss"))
    return embedded, built_type


def build_chars_bm25(articles: list[Article]):
    """BM25 (bm25s' defaults k1=1.5, b=0.75) over character unigrams + bigrams of every article."""
    from lawglm.search import token_store

    postings = token_store.tokenize_postings("chars", [article_document(a) for a in articles])
    return token_store.bm25_of(postings, *token_store.PARAMS["chars"])


@dataclass
class Base:
    """The version an update builds on (see the module doc). `laws`: every law whose articles may differ
    between it and the corpus being built (the links are recomputed around them); `vectors`: whether its
    vectors are valid for the encoder being built with; `documents`: its articles' indexed texts, when
    the caller has them."""

    loaded: LoadedIndex
    laws: set[str]
    vectors: bool = True
    documents: list[str] | None = None
    memo: dict[int, str] | None = None  # id(article) -> its indexed text, for articles the caller holds

    def bm25(self, field: str):
        return self.loaded.bm25 if field == "bm25" else self.loaded.chars


class _Stages:
    """Progress of a build on stderr, one line per stage with its seconds (and notes such as how many
    documents were tokenized), and the `progress_callback` calls."""

    def __init__(self, progress: bool, report: ProgressCallback, total: int):
        self.progress, self.report, self.total = progress, report, total
        self.t, self.cpu = time.perf_counter(), time.process_time()
        self.done, self.name = 0, ""
        self.times: dict[str, float] = {}

    def __call__(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.name:
            self.times[self.name] = now - self.t
            if self.progress:
                took = f"{now - self.t:.2f}s (CPU {cpu - self.cpu:.2f}s)"
                print(f"  [{self.done}/{self.total}] {self.name} {took}", file=sys.stderr)
        self.report(self.done, self.total, name)
        self.done, self.name, self.t, self.cpu = self.done + 1, name, now, cpu

    def note(self, text: str) -> None:
        if self.progress:
            print(f"      {text}", file=sys.stderr)


def build_index(corpus: Corpus, index_dir: str | Path, encoder: str | None, *, progress: bool = True,
                reuse: dict[str, np.ndarray] | None = None, source_info: dict | None = None,
                index_type: str = "flat", progress_callback: ProgressCallback | None = None,
                check: Callable[[LoadedIndex], None] | None = None, base: Base | None = None) -> dict:
    """Build a new index version from `corpus`, validate it, switch CURRENT to it; returns its manifest.

    `encoder` is a sentence-transformers model path, or None / "none" for a BM25-only index. `base`: the
    version this one follows (an update; see the module doc). `progress`: stage lines and bars on stderr.
    """
    if not corpus.articles:
        raise CorpusError("cannot index an empty corpus")
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r} (choose from {', '.join(INDEX_TYPES)})")
    root = versions_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    prune_versions(index_dir, keep=max(KEEP_VERSIONS, len(list_versions(index_dir))))  # stale temp dirs only
    previous = current_version(index_dir)
    version = _new_version_id(Path(index_dir), corpus.sha256)
    tmp = root / f".tmp-{version}-{os.getpid()}"
    tmp.mkdir()
    try:
        stages = _Stages(progress, progress_callback or (lambda done, total, stage: None), 7)
        manifest = _build_into(tmp, corpus, version, encoder, reuse, source_info, index_type, progress,
                               stages, base)
        stages("validate")
        # an update validates with the corpus it wrote (the snapshot's checksum is in the manifest)
        loaded = validate(tmp) if base is None else validate(tmp, corpus)
        if check is not None:  # extra validation by the caller (index updates) before the switch
            check(loaded)
        os.rename(tmp, root / version)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    stages("switch")
    set_current(index_dir, version)
    prune_versions(index_dir, protect=(previous,) if previous else ())  # the previous one stays for rollback
    stages("done")
    manifest["build_seconds"] = dict(stages.times)  # (not in the file: what benches and the CLI print)
    return manifest


def _build_into(dest: Path, corpus: Corpus, version: str, encoder: str | None, reuse: dict | None,
                source_info: dict | None, index_type: str, progress: bool, stages: _Stages,
                base: Base | None = None) -> dict:
    articles = corpus.articles
    stages("snapshot")
    memo = base.memo if base is not None and base.memo is not None else {}
    documents = [memo.get(id(a)) or article_document(a) for a in articles]
    rows = None
    if base is not None:
        from lawglm.search.token_store import match_rows

        old_docs = base.documents or [article_document(a) for a in base.loaded.corpus.articles]
        rows = match_rows(old_docs, documents)
        stages.note(f"{int((rows < 0).sum())} of {len(articles)} articles new or changed")
    _write_snapshot(articles, dest / "articles.jsonl", base, rows)
    stages("links")
    old_links = read_links(base.loaded.path, base.loaded.manifest) if base is not None else None
    if old_links is not None:
        links = update_links(old_links, base.loaded.corpus, corpus, base.laws)
    else:
        links = build_links(corpus)
    (dest / LINKS_FILE).write_text(links.to_json(), encoding="utf-8")
    stages("bm25")
    _build_sparse(documents, dest, progress, base, rows, stages.note)
    stages("dense")
    model, info = _encoder_info(encoder, dest)
    vectors = None
    if base is not None and base.vectors and base.loaded.embeddings is not None:
        vectors = (base.loaded.embeddings, rows)
    embedded, index_type = (
        _build_dense(model, articles, dest, reuse, index_type, progress, vectors, documents) if model
        else (0, "")
    )
    stages("manifest")
    files = {
        "articles.jsonl": file_sha256(dest / "articles.jsonl"),
        LINKS_FILE: file_sha256(dest / LINKS_FILE),
    }
    manifest = _manifest(corpus, version, info, index_type, source_info, files, embedded,
                         _law_hashes(corpus, base))
    manifest["corpus"]["content_sha256"] = corpus.content_sha256 or content_sha256(articles)
    _atomic_write(dest / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def _law_hashes(corpus: Corpus, base: Base | None) -> dict[str, str]:
    """law_hashes of the corpus; after a base, only its changed laws are hashed again."""
    stored = (base.loaded.manifest.get("law_hashes") or {}) if base is not None else {}
    if not stored:
        return law_hashes(corpus.articles)
    laws = set(corpus.laws())
    redo = set(base.laws) | (laws - stored.keys())
    fresh = law_hashes([a for a in corpus.articles if a.law in redo])
    return dict(sorted({**{k: v for k, v in stored.items() if k in laws}, **fresh}.items()))


def _write_snapshot(articles: list[Article], path: Path, base: Base | None, rows: np.ndarray | None) -> None:
    """articles.jsonl; an article the base version holds as the same object (unchanged) keeps its line."""
    if base is None or rows is None:
        write_jsonl(articles, path)
        return
    old = base.loaded.corpus.articles
    lines = (base.loaded.path / "articles.jsonl").read_bytes().split(b"\n")
    if len(lines) != len(old) + 1:  # not one line per article: write every line
        write_jsonl(articles, path)
        return
    with open(path, "wb") as f:
        for a, row in zip(articles, rows.tolist()):
            if row >= 0 and old[row] is a:
                f.write(lines[row] + b"\n")
            else:
                f.write((json.dumps(dict(vars(a)), ensure_ascii=False) + "\n").encode())


# --- load + validate -------------------------------------------------------------
def current_path(index_dir: str | Path) -> Path:
    """Directory of the CURRENT version (IndexMissing when there is none, IndexCorrupt when it is gone)."""
    version = current_version(index_dir)
    if version is None:
        raise IndexMissing(f"no index at {index_dir}; run `lawglm index build`")
    path = versions_dir(index_dir) / version
    if not path.is_dir():
        raise IndexCorrupt(f"{Path(index_dir) / 'CURRENT'} points at version {version!r}, "
                           f"which is missing from {versions_dir(index_dir)}")
    return path


def load_index(index_dir: str | Path, *, mmap: bool = True) -> LoadedIndex:
    """The CURRENT version of the index at `index_dir` (IndexMissing / IndexCorrupt when it can't be)."""
    return load_version(current_path(index_dir), mmap=mmap)


def load_version(path: str | Path, *, mmap: bool = True, corpus: Corpus | None = None) -> LoadedIndex:
    """Load one version directory, checking every part against its manifest.

    `mmap`: the BM25 postings, the vectors and the FAISS index are memory-mapped rather than read (pages
    come in as searches touch them); the arrays hold the same values either way. `corpus`: the articles the
    version was just written from (a build validating it), used instead of reading the snapshot back.
    """
    from lawglm.search.token_store import LOAD_LOCK

    path = Path(path)
    manifest = read_manifest(path)
    _note_tokenizer(manifest, path)
    if corpus is None:
        corpus = _load_snapshot(path, manifest)
    elif len(corpus) != manifest["corpus"]["articles"]:
        said = manifest["corpus"]["articles"]
        raise IndexCorrupt(f"{path}: {len(corpus)} articles built, manifest says {said}")
    with LOAD_LOCK:
        bm25 = _load_bm25(path / "bm25", len(corpus), mmap)
        chars = _load_bm25(path / "chars", len(corpus), mmap) if (path / "chars").is_dir() else None
        faiss_index, embeddings = (_load_dense(path, manifest, len(corpus), mmap) if manifest.get("encoder")
                                   else (None, None))
    return LoadedIndex(corpus=corpus, bm25=bm25, faiss=faiss_index, embeddings=embeddings, manifest=manifest,
                       version=manifest.get("version", path.name), path=path, chars=chars)


LINKS_FILE = "links.json"


def read_links(path: str | Path, manifest: dict | None = None) -> Links | None:
    """The graph stored in a version directory; None when the version has none (built before it existed).
    IndexCorrupt when the file is damaged or does not match the manifest's checksum."""
    f = Path(path) / LINKS_FILE
    if not f.is_file():
        return None
    want = ((manifest if manifest is not None else read_manifest(Path(path))).get("files") or {}).get(
        LINKS_FILE
    )
    if want and file_sha256(f) != want:
        raise IndexCorrupt(f"{f} does not match manifest.json (checksum differs)")
    try:
        return Links.from_json(f.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{f} is damaged ({exc})") from None


def index_links(index_dir: str | Path) -> Links | None:
    """The graph of the CURRENT version, without loading anything else; None for a version built before
    the graph existed (callers then build it from the corpus they hold)."""
    return read_links(current_path(index_dir))


def _note_tokenizer(manifest: dict, path: Path) -> None:
    """An index tokenised by an earlier segmenter of the same scheme still serves (its tokens differ in a
    handful of articles); say once per version how to bring it up to date."""
    from lawglm.search.text import OLD_TOKENIZERS

    used = manifest.get("tokenizer")
    if used in OLD_TOKENIZERS and path not in _NOTED:
        _NOTED.add(path)
        print(
            f"note: index version {path.name} was tokenised with {used}, this lawglm uses {TOKENIZER_NAME} "
            f"(the same tokens except in a few articles); `lawglm index build` rebuilds it",
            file=sys.stderr,
        )


_NOTED: set[Path] = set()


def index_corpus(index_dir: str | Path, law: str | None = None) -> Corpus:
    """The statutes the CURRENT index serves (its corpus snapshot: the default corpus plus whatever
    `index update` added), without loading the search parts. With `law`: only that law's articles
    (UnknownLaw when the index has no such law) — read from the snapshot's lines of that law alone when
    the manifest's law names resolve it, else (a 文号 names it) from the whole snapshot."""
    from lawglm.errors import UnknownLaw
    from lawglm.statutes.corpus import article_from_record, require_law_in

    path = current_path(index_dir)
    manifest = read_manifest(path)
    if law is None:
        return _load_snapshot(path, manifest)
    try:
        name = require_law_in(manifest.get("law_hashes", {}), law)
    except UnknownLaw:
        whole = _load_snapshot(path, manifest)
        return Corpus(whole.law_articles(whole.require_law(law)), source=whole.source)
    snap = path / "articles.jsonl"
    prefix = json.dumps({"law": name}, ensure_ascii=False)[:-1] + ","  # write_jsonl puts `law` first
    with open(snap, encoding="utf-8") as f:
        rows = [(i, line) for i, line in enumerate(f, 1) if line.startswith(prefix)]
    arts = [article_from_record({**json.loads(line), "source": str(snap)}, f"{snap}:{i}") for i, line in rows]
    if not arts:  # a snapshot written some other way: read it whole
        whole = _load_snapshot(path, manifest)
        return Corpus(whole.law_articles(name), source=whole.source)
    return Corpus(arts, source=manifest.get("corpus", {}).get("source", str(snap)))


def _load_snapshot(path: Path, manifest: dict) -> Corpus:
    snap = path / "articles.jsonl"
    if not snap.exists():
        raise IndexCorrupt(f"{snap} is missing")
    try:
        articles = read_snapshot(snap)
    except CorpusError as exc:
        raise IndexCorrupt(f"corpus snapshot is damaged: {exc}") from None
    info = manifest.get("corpus", {})
    corpus = Corpus(articles, source=info.get("source", str(snap)))
    if len(corpus) != info.get("articles") or corpus.sha256 != info.get("content_sha256"):
        raise IndexCorrupt(f"{snap} does not match manifest.json ({len(corpus)} articles, "
                           f"manifest says {info.get('articles')}; content hash "
                           f"{'differs' if corpus.sha256 != info.get('content_sha256') else 'matches'})")
    corpus.sha256 = info.get("sha256", corpus.sha256)
    return corpus


def _load_bm25(path: Path, n: int, mmap: bool = False):
    import bm25s

    try:
        bm25 = bm25s.BM25.load(str(path), mmap=mmap)
    except Exception as exc:  # noqa: BLE001 - bm25s raises assorted errors on damaged files
        raise IndexCorrupt(f"cannot read BM25 index {path}: {exc}") from None
    if bm25.scores.get("num_docs") != n:
        raise IndexCorrupt(f"BM25 index holds {bm25.scores.get('num_docs')} documents, snapshot {n}")
    return bm25


def _load_dense(path: Path, manifest: dict, n: int, mmap: bool = False):
    import faiss

    dim = manifest["encoder"].get("dim")
    try:
        embeddings = np.load(path / "embeddings.npy", allow_pickle=False, mmap_mode="r" if mmap else None)
        index = faiss.read_index(str(path / "dense.faiss"), faiss.IO_FLAG_MMAP if mmap else 0)
    except Exception as exc:  # noqa: BLE001 - numpy/faiss raise assorted errors on damaged files
        raise IndexCorrupt(f"cannot read dense index in {path}: {exc}") from None
    if embeddings.shape != (n, dim) or index.ntotal != n or index.d != dim:
        raise IndexCorrupt(f"dense index shape mismatch in {path}: embeddings {embeddings.shape}, "
                           f"faiss {index.ntotal}x{index.d}, expected {n}x{dim}")
    if not (path / manifest["encoder"]["path"]).is_dir():
        raise IndexCorrupt(f"encoder copy missing from {path}")
    manifest["encoder"]["path"] = str(path / manifest["encoder"]["path"])
    return index, embeddings


def validate(path: str | Path, corpus: Corpus | None = None) -> LoadedIndex:
    """Load a version and check it works: a probe query finds its article, lookups resolve. `corpus`: the
    articles it was written from (see `load_version`)."""
    loaded = load_version(path, corpus=corpus)
    arts = loaded.corpus.articles
    probe = next((a for a in arts if a.is_current and len(a.text) >= 8), arts[0])
    from lawglm.search.text import tokenize

    scores = loaded.bm25.get_scores(tokenize(article_document(probe)))
    if not len(scores) or float(scores.max()) <= 0:
        raise IndexCorrupt(f"validation failed: a probe query returns nothing ({probe.citation})")
    if loaded.dense:
        vec = encode(loaded.encoder(), [article_document(probe)])
        _, ids = loaded.faiss.search(vec, 1)
        if ids[0][0] < 0:
            raise IndexCorrupt("validation failed: the dense index returns nothing")
    for a in arts[:: max(1, len(arts) // 50)]:
        if loaded.corpus.get(a.law, a.article_no, a.sub_no) is None:
            raise IndexCorrupt(f"validation failed: lookup of {a.citation} finds nothing")
    return loaded


def stats(index_dir: str | Path) -> dict:
    """What is built where: the current version's manifest summary, all versions, disk size."""
    path = current_path(index_dir)
    version = path.name
    manifest = read_manifest(path)
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    enc = manifest.get("encoder") or {}
    return {
        "index_dir": str(index_dir),
        "version": version,
        "versions": list_versions(index_dir),
        "built_at": manifest.get("built_at"),
        "laws": manifest["corpus"]["laws"],
        "articles": manifest["corpus"]["articles"],
        "current_articles": manifest["corpus"].get("current_articles"),
        "by_level": manifest["corpus"].get("by_level") or {},
        "corpus_source": manifest["corpus"].get("source"),
        "corpus_sha256": manifest["corpus"].get("sha256"),
        "tokenizer": manifest.get("tokenizer"),
        "encoder": enc.get("source"),
        "dim": enc.get("dim"),
        "faiss": (manifest.get("faiss") or {}).get("type"),
        "size_bytes": size,
    }
