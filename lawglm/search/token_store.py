"""BM25 token ids kept per index version, so an update tokenizes only the articles that changed.

Owns the `tokens/` folder of a version dir (written by `index._build_sparse`):
    tokens/ids.npy      int32, every article's token ids concatenated (row order = articles.jsonl)
    tokens/offsets.npy  int64, len = articles + 1; article i = ids[offsets[i]:offsets[i + 1]]
    tokens/vocab.json   the token strings, id = position
Tokenizing the statutes (jieba + bigrams) is most of a BM25 build; reused ids skip it. The vocab of
the previous version is extended (never renumbered), so reused ids stay valid; tokens no longer
used by any article simply have no postings.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lawglm.search.text import TOKENIZER_NAME, tokenize_many

# np.load parses .npy headers with ast.literal_eval, and CPython 3.11 < 3.11.8 corrupts its AST recursion
# counter when two threads do that at once ("AST constructor recursion depth mismatch"). Index files are
# loaded rarely (start-up, reload, update), so every load of them is serialised on this lock.
LOAD_LOCK = threading.RLock()

DIR = "tokens"


@dataclass
class TokenReuse:
    """Token ids of a previous version's documents, for `index.build_index(reuse_tokens=...)`."""

    rows: dict[str, int]  # indexed document text -> row in ids/offsets
    ids: np.ndarray
    offsets: np.ndarray
    vocab: list[str]
    tokenizer: str = TOKENIZER_NAME


def load_reuse(version_dir: str | Path, documents: list[str]) -> TokenReuse | None:
    """The token ids stored with a version (documents = its articles' indexed texts, in row order)."""
    d = Path(version_dir) / DIR
    try:
        meta = json.loads((d / "vocab.json").read_text(encoding="utf-8"))
        with LOAD_LOCK:
            ids = np.load(d / "ids.npy", allow_pickle=False)
            offsets = np.load(d / "offsets.npy", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if meta.get("tokenizer") != TOKENIZER_NAME or len(offsets) != len(documents) + 1:
        return None
    return TokenReuse({doc: i for i, doc in enumerate(documents)}, ids, offsets, meta["vocab"])


def token_ids(documents: list[str], reuse: TokenReuse | None,
              progress: bool = False) -> tuple[list[np.ndarray], list[str], int]:
    """(int32 ids per document, vocab, number of documents tokenized), reusing stored ids where possible."""
    vocab = list(reuse.vocab) if reuse else []
    out: list[np.ndarray | None] = [None] * len(documents)
    todo = []
    for i, doc in enumerate(documents):
        row = reuse.rows.get(doc) if reuse else None
        if row is None:
            todo.append(i)
        else:
            out[i] = reuse.ids[reuse.offsets[row]:reuse.offsets[row + 1]]
    if todo:
        index = {tok: i for i, tok in enumerate(vocab)}
        for i, toks in zip(todo, tokenize_many([documents[i] for i in todo], progress=progress)):
            out[i] = np.array([index.setdefault(t, len(index)) for t in toks], dtype=np.int32)
        vocab.extend(list(index)[len(vocab):])
    return out, vocab, len(todo)


def save(dest: str | Path, ids: list[np.ndarray], vocab: list[str]) -> None:
    d = Path(dest) / DIR
    d.mkdir(parents=True, exist_ok=True)
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.concatenate(ids).astype(np.int32, copy=False) if ids else np.zeros(0, np.int32)
    np.save(d / "ids.npy", flat)
    np.save(d / "offsets.npy", offsets)
    (d / "vocab.json").write_text(
        json.dumps({"tokenizer": TOKENIZER_NAME, "vocab": vocab}, ensure_ascii=False), encoding="utf-8"
    )


def build_bm25(ids: list[np.ndarray], vocab: list[str], k1: float = 1.2, b: float = 0.75):
    """A `bm25s.BM25` (method lucene) equal to `BM25(k1, b).index((ids, vocab_dict))`, computed with
    vectorised numpy instead of bm25s' per-document Python loops (about 4x faster on the statutes)."""
    import bm25s

    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    flat = np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64)
    n_docs, n_vocab = len(ids), len(vocab)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    pairs, tf = np.unique((flat << 32) | doc, return_counts=True)  # sorted by (token, doc): CSC order
    tok, doc = pairs >> 32, pairs & 0xFFFFFFFF
    df = np.bincount(tok, minlength=n_vocab)
    idf = np.zeros(n_vocab, dtype=np.float32)
    seen = df > 0
    idf[seen] = np.log(1 + (n_docs - df[seen] + 0.5) / (df[seen] + 0.5))
    tf = tf.astype(np.float32)
    norm = k1 * ((1 - b) + b * lengths[doc] / lengths.mean())
    bm25 = bm25s.BM25(k1=k1, b=b)
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    bm25.scores = {"data": (idf[tok] * (tf / (norm + tf))).astype(np.float32),
                   "indices": doc.astype(np.int32), "indptr": indptr, "num_docs": n_docs}
    bm25.vocab_dict = {t: i for i, t in enumerate(vocab)}
    bm25.vocab_dict.setdefault("", n_vocab)
    bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
    bm25.nonoccurrence_array = None
    return bm25
