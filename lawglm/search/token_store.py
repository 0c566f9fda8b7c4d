"""BM25 postings kept per index version, so an update tokenizes only the articles that changed.

Owns the BM25 arithmetic of both fields (`build_bm25`, `bm25_of`) and the `tokens/` folder of a version dir
(written by `index._build_sparse`), one set of files per field (`bm25` = jieba words + bigrams, `chars` =
character unigrams + bigrams):
    tokens/<field>.tf.npy      term frequency of every posting, aligned with the field's BM25 CSC arrays
                               (<field>/indices.csc.index.npy = document, indptr = token; the token
                               strings are the BM25's own vocab.index.json)
    tokens/<field>.json        the tokenizer's name and the vocab size
A field's postings are (token, document, tf) triples sorted by (token, document). An update keeps the
postings of every article whose indexed document is unchanged (renumbered to its new row), adds those of
the new documents (`merge`), and recomputes the scores from them — the same numbers a full build computes
(`bm25_of` is the one formula), without tokenizing the 66,000 unchanged articles again. The vocab of the
previous version is extended (never renumbered); tokens no longer used simply have no postings.
A version written before this layout (tokens/ids.npy + offsets.npy: per-article word ids, no chars) still
serves as a base: its word postings are derived from the ids, its chars tokenized once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lawglm.search.text import CHAR_TOKENIZER_NAME, TOKENIZER_NAME, char_tokens, tokenize

# np.load parses .npy headers with ast.literal_eval, and CPython 3.11 < 3.11.8 corrupts its AST recursion
# counter when two threads do that at once ("AST constructor recursion depth mismatch"). Index files are
# loaded rarely (start-up, reload, update), so every load of them is serialised on this lock.
LOAD_LOCK = threading.RLock()

DIR = "tokens"
FIELDS = ("bm25", "chars")  # the version dir's BM25 folders
PARAMS = {"bm25": (1.2, 0.75), "chars": (1.5, 0.75)}  # (k1, b): words as tuned, chars bm25s' defaults


def tokenizer_name(field: str) -> str:
    return TOKENIZER_NAME if field == "bm25" else CHAR_TOKENIZER_NAME


def tokenize_field(field: str, texts: list[str], progress: bool = False) -> Iterator[list[str]]:
    """The tokens of each of `texts` in one field, one text at a time (callers turn them into ids at once:
    the token strings of 66,000 articles held together would take ~1 GB)."""
    from tqdm.auto import tqdm

    fn = tokenize if field == "bm25" else char_tokens
    return (fn(t) for t in tqdm(texts, desc=f"tokenising ({field})", disable=not progress, unit="doc"))


@dataclass
class Postings:
    """One BM25 field of a corpus: (token, document, tf) triples sorted by (token, document)."""

    tok: np.ndarray  # int32 token id of each posting
    doc: np.ndarray  # int32 document (article row)
    tf: np.ndarray  # int32 occurrences of the token in the document
    lengths: np.ndarray  # int64 tokens per document (repeats counted)
    vocab: list[str]
    index: dict[str, int] | None = None  # token -> id, when at hand (a loaded BM25's vocab_dict)

    @property
    def n_docs(self) -> int:
        return len(self.lengths)


def token_ids(documents: list[str], progress: bool = False) -> tuple[list[np.ndarray], list[str], int]:
    """(int32 word-token ids per document, vocab, number of documents tokenized)."""
    index: dict[str, int] = {}
    out = [np.array([index.setdefault(t, len(index)) for t in toks], dtype=np.int32)
           for toks in tokenize_field("bm25", documents, progress)]
    return out, list(index), len(documents)


def _triples(ids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tok, doc, tf) of per-document token ids (documents numbered from 0), sorted by (token, document)."""
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    flat = np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64)
    doc = np.repeat(np.arange(len(ids), dtype=np.int64), lengths)
    pairs, tf = np.unique((flat << 32) | doc, return_counts=True)  # sorted by (token, doc): CSC order
    return (pairs >> 32).astype(np.int32), (pairs & 0xFFFFFFFF).astype(np.int32), tf.astype(np.int32)


def postings_of(ids: list[np.ndarray], vocab: list[str]) -> Postings:
    """The postings of documents given as token ids."""
    tok, doc, tf = _triples(ids)
    return Postings(tok, doc, tf, np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids)),
                    list(vocab))


def tokenize_postings(field: str, documents: list[str], progress: bool = False) -> Postings:
    """The postings of `documents` in one field, tokenized from scratch (a full build)."""
    return merge(None, field, documents, np.full(len(documents), -1, dtype=np.int64), progress)


def build_bm25(ids: list[np.ndarray], vocab: list[str], k1: float = 1.2, b: float = 0.75):
    """A `bm25s.BM25` (method lucene) equal to `BM25(k1, b).index((ids, vocab_dict))`, computed with
    vectorised numpy instead of bm25s' per-document Python loops (about 4x faster on the statutes)."""
    return bm25_of(postings_of(ids, vocab), k1, b)


def bm25_of(p: Postings, k1: float, b: float):
    """The `bm25s.BM25` (lucene scores) of postings."""
    import bm25s

    n_docs, n_vocab = p.n_docs, len(p.vocab)
    df = np.bincount(p.tok, minlength=n_vocab)
    idf = np.zeros(n_vocab, dtype=np.float32)
    seen = df > 0
    idf[seen] = np.log(1 + (n_docs - df[seen] + 0.5) / (df[seen] + 0.5))
    tf = p.tf.astype(np.float32)
    # idf * tf / (k1 * ((1 - b) + b * length / mean length) + tf): the norm per document, then spread over
    # its postings, and the rest computed in place — the same float64 operations on the same values as
    # the formula written per posting, with fewer passes over (and fresh pages for) ~10M postings
    score = (k1 * ((1 - b) + b * p.lengths / p.lengths.mean()))[p.doc]
    score += tf
    np.divide(tf, score, out=score)
    np.multiply(idf[p.tok], score, out=score)
    bm25 = bm25s.BM25(k1=k1, b=b)
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    bm25.scores = {"data": score.astype(np.float32),
                   "indices": p.doc.astype(np.int32, copy=False), "indptr": indptr, "num_docs": n_docs}
    bm25.vocab_dict = dict(zip(p.vocab, range(n_vocab)))
    bm25.vocab_dict.setdefault("", n_vocab)
    bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
    bm25.nonoccurrence_array = None
    return bm25


def merge(old: Postings | None, field: str, documents: list[str], rows: np.ndarray,
          progress: bool = False, on_tokenize: Callable[[int], None] | None = None) -> Postings:
    """The postings of `documents`: document i takes the postings of `old`'s document `rows[i]` (its
    indexed text is unchanged), renumbered to i; documents with rows[i] == -1 are tokenized. Several
    documents may take the same old row (an amended law's older version keeps its texts beside the new)."""
    n = len(documents)
    fresh = np.flatnonzero(rows < 0)
    lengths = np.zeros(n, dtype=np.int64)
    vocab = list(old.vocab) if old is not None else []
    big, small, ordered = None, [], True
    if old is not None and len(fresh) < n:
        kept = np.flatnonzero(rows >= 0)
        first = np.full(old.n_docs, -1, dtype=np.int32)
        first[rows[kept][::-1]] = kept[::-1]  # the first new document taking each old row
        doc = first[old.doc]
        if (doc < 0).any():
            keep = doc >= 0
            big = (old.tok[keep], doc[keep], old.tf[keep])
        else:
            big = (old.tok, doc, old.tf)
        taken = first[first >= 0]
        ordered = bool(np.all(taken[1:] > taken[:-1]))  # old rows keep their order: still (token, doc)
        lengths[kept] = old.lengths[rows[kept]]
        again = kept[first[rows[kept]] != kept]  # later documents taking an old row already taken
        if len(again):
            small.append(_copies(old, rows, again))
    if len(fresh):
        if on_tokenize:
            on_tokenize(len(fresh))
        if old is not None and old.index is not None:  # the loaded BM25's dict (a copy)
            index = dict(old.index)
            if index.get("", 0) >= len(vocab):  # bm25s' entry for "", no token of ours
                del index[""]
        else:
            index = dict(zip(vocab, range(len(vocab))))
        toks = tokenize_field(field, [documents[i] for i in fresh], progress)
        ids = [np.array([index.setdefault(t, len(index)) for t in row], dtype=np.int32) for row in toks]
        vocab.extend(list(index)[len(vocab):])
        tok, doc, tf = _triples(ids)
        small.append((tok, fresh[doc].astype(np.int32), tf))
        lengths[fresh] = [len(x) for x in ids]
    return Postings(*_combine(big, small, ordered), lengths, vocab)


def _key(tok: np.ndarray, doc: np.ndarray) -> np.ndarray:
    """token << 32 | doc, one int64 per posting (one array allocated)."""
    key = tok.astype(np.int64)
    key <<= 32
    key |= doc
    return key


def _combine(big, small: list, ordered: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tok, doc, tf) of `big` (the kept postings; in (token, doc) order when `ordered`) and the `small`
    parts, in (token, doc) order: the small ones are inserted where they belong (one pass over the big
    arrays), or everything is sorted when the big part is out of order."""
    if small:
        tok, doc, tf = (np.concatenate([p[k] for p in small]) for k in range(3))
        order = np.argsort(_key(tok, doc), kind="stable")
        small_part = (tok[order].astype(np.int32), doc[order].astype(np.int32), tf[order].astype(np.int32))
    else:
        small_part = None
    if big is None:
        return small_part or (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32))
    big = (big[0].astype(np.int32, copy=False), big[1].astype(np.int32, copy=False),
           big[2].astype(np.int32, copy=False))
    if small_part is None and ordered:
        return big
    if small_part is not None and ordered:
        at = np.searchsorted(_key(big[0], big[1]), _key(small_part[0], small_part[1]))
        return tuple(np.insert(b, at, s) for b, s in zip(big, small_part))
    parts = [big] + ([small_part] if small_part is not None else [])
    tok, doc, tf = (np.concatenate([p[k] for p in parts]) for k in range(3))
    order = np.argsort(_key(tok, doc), kind="stable")
    return tok[order], doc[order], tf[order]


def _copies(old: Postings, rows: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tok, doc, tf) of documents `docs`, each a copy of old document rows[doc]."""
    wanted = np.zeros(old.n_docs, dtype=bool)
    wanted[rows[docs]] = True
    m = wanted[old.doc]
    tok, src, tf = old.tok[m], old.doc[m], old.tf[m]
    by_src: dict[int, list[int]] = {}
    for d in docs.tolist():
        by_src.setdefault(int(rows[d]), []).append(d)
    take, new_doc = [], []
    for i, s in enumerate(src.tolist()):  # a few hundred documents' postings at most: plain Python
        for d in by_src[s]:
            take.append(i)
            new_doc.append(d)
    at = np.array(take, dtype=np.int64)
    return tok[at], np.array(new_doc, dtype=np.int64), tf[at]


def save(dest: str | Path, field: str, p: Postings) -> None:
    """Write a field's BM25 index (`dest/<field>/`, its vocab included) and its postings' tf and tokenizer
    (`dest/tokens/`)."""
    k1, b = PARAMS[field]
    bm25_of(p, k1, b).save(Path(dest) / field, show_progress=False)
    d = Path(dest) / DIR
    d.mkdir(parents=True, exist_ok=True)
    small = p.tf.size and p.tf.max() < 1 << 16
    np.save(d / f"{field}.tf.npy", p.tf.astype(np.uint16 if small else np.int32))
    meta = {"tokenizer": tokenizer_name(field), "vocab_size": len(p.vocab)}
    (d / f"{field}.json").write_text(json.dumps(meta), encoding="utf-8")


def load(version_dir: str | Path, field: str, bm25, n_docs: int) -> Postings | None:
    """The postings a version stored for `field` (`bm25` = its loaded BM25 of that field, whose CSC arrays
    and vocab they complete); None when it stored none, for another tokenizer or number of documents."""
    d = Path(version_dir) / DIR
    try:
        meta = json.loads((d / f"{field}.json").read_text(encoding="utf-8"))
        with LOAD_LOCK:
            tf = np.load(d / f"{field}.tf.npy", allow_pickle=False)
    except (OSError, ValueError):
        return _legacy(d, field, n_docs)
    if meta.get("tokenizer") != tokenizer_name(field) or bm25 is None:
        return None
    indptr, docs = np.asarray(bm25.scores["indptr"]), np.asarray(bm25.scores["indices"])
    n_vocab = len(indptr) - 1
    if meta.get("vocab_size") != n_vocab or len(docs) != len(tf) or bm25.scores.get("num_docs") != n_docs:
        return None
    index = bm25.vocab_dict
    vocab = list(index)[:n_vocab]  # saved in id order (bm25_of); checked below
    ids = np.fromiter(index.values(), dtype=np.int64, count=len(index))[:n_vocab]
    if len(vocab) != n_vocab or not np.array_equal(ids, np.arange(n_vocab)):
        return None
    tok = np.repeat(np.arange(n_vocab, dtype=np.int32), np.diff(indptr))
    doc = docs.astype(np.int32, copy=False)
    lengths = np.bincount(doc, weights=tf, minlength=n_docs).astype(np.int64)
    return Postings(tok, doc, tf.astype(np.int32), lengths, vocab, index)


def _legacy(d: Path, field: str, n_docs: int) -> Postings | None:
    """Word postings of a version written before tf.npy (tokens/ids.npy + offsets.npy + vocab.json)."""
    if field != "bm25":
        return None
    try:
        meta = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
        with LOAD_LOCK:
            ids = np.load(d / "ids.npy", allow_pickle=False)
            offsets = np.load(d / "offsets.npy", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if meta.get("tokenizer") != TOKENIZER_NAME or len(offsets) != n_docs + 1:
        return None
    return postings_of([ids[offsets[i]:offsets[i + 1]] for i in range(n_docs)], meta["vocab"])


def match_rows(old_documents: list[str], documents: list[str]) -> np.ndarray:
    """For each document, the row of an old document with the same text, -1 for one not among them: old
    rows are taken in order, each once while it lasts, then again (more copies of a text than before)."""
    by_text: dict[str, list[int]] = {}
    for j, doc in enumerate(old_documents):
        by_text.setdefault(doc, []).append(j)
    used: dict[str, int] = {}
    rows = np.full(len(documents), -1, dtype=np.int64)
    for i, doc in enumerate(documents):
        found = by_text.get(doc)
        if found:
            k = used.get(doc, 0)
            rows[i] = found[min(k, len(found) - 1)]
            used[doc] = k + 1
    return rows
