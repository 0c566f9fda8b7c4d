"""What the small-talk rules and the relevance threshold cost and catch (lawglm/answer/smalltalk.py).

    python3 bench/smalltalk_bench.py --legal ../shared/data/sft_dev.jsonl --legal
    ../shared/data/retrieval_dev.jsonl

For every real legal question (the `question` or `query` of each row of the --legal files) it reports the
share wrongly answered as small talk or as "nothing relevant" — this must stay ~0: those questions would
lose their articles. For bench/data/smalltalk.jsonl (small talk and non-legal input written for this bench,
split dev / heldout by sha1 of the text) it reports the share caught, by the rules, by the threshold and
both. Thresholds are compared side by side on the same retrieval (one `Retriever.relevance` per input).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lawglm.answer.smalltalk import small_talk_kind
from lawglm.search.retrieval import Retriever
from lawglm.settings import Settings

THRESHOLDS = (3.0, 6.0, 10.0)


def read_texts(path: str) -> list[str]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r.get("question") or r.get("query") or r.get("text") for r in rows]


def measure(retriever: Retriever, texts: list[str]) -> list[tuple[str, bool, float]]:
    """(text, caught by the rules, relevance) per input."""
    return [(t, small_talk_kind(t) is not None, retriever.relevance(t)) for t in texts]


def shares(rows: list[tuple[str, bool, float]], thr: float) -> tuple[float, float, float]:
    n = max(len(rows), 1)
    rules = sum(r for _, r, _ in rows) / n
    low = sum(rel < thr for _, _, rel in rows) / n
    either = sum(r or rel < thr for _, r, rel in rows) / n
    return rules, low, either


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--legal", action="append", required=True, help="JSONL of real legal questions (repeatable)"
    )
    ap.add_argument("--smalltalk", default=str(ROOT / "bench" / "data" / "smalltalk.jsonl"))
    ap.add_argument("--index", default=str(Settings().index_dir))
    args = ap.parse_args()
    retriever = Retriever.load(args.index)
    default = Settings().relevance_threshold
    t0 = time.perf_counter()
    sets = {Path(p).name: measure(retriever, read_texts(p)) for p in args.legal}
    rows = [json.loads(x) for x in Path(args.smalltalk).read_text(encoding="utf-8").splitlines() if x.strip()]
    for kind in ("small_talk", "non_legal"):
        for split in ("dev", "heldout"):
            texts = [r["text"] for r in rows if r["kind"] == kind and r["split"] == split]
            sets[f"{kind} [{split}]"] = measure(retriever, texts)
    n_inputs = sum(len(v) for v in sets.values())
    print(f"index {args.index} (version {retriever.version}); {n_inputs} inputs in "
          f"{time.perf_counter() - t0:.1f} s; relevance = best word-BM25 + best known-question BM25; "
          f"default threshold {default:g}")
    print("share flagged (rules / below threshold / either) — legal sets must be ~0, the others high")
    head = "| set | n | rules | " + " | ".join(f"< {t:g} | either @{t:g}" for t in THRESHOLDS) + " |"
    print(head + "\n|" + "---|" * (head.count("|") - 1))
    for name, got in sets.items():
        cells = []
        for t in THRESHOLDS:
            _, low, either = shares(got, t)
            cells += [f"{low:.3f}", f"{either:.3f}"]
        print(f"| {name} | {len(got)} | {shares(got, 0)[0]:.3f} | " + " | ".join(cells) + " |")
    for name in (Path(p).name for p in args.legal):
        lost = [(t, round(rel, 1)) for t, r, rel in sets[name] if r or rel < default]
        lowest = sorted(sets[name], key=lambda x: x[2])[:3]
        print(f"{name}: flagged at the default: {lost or 'none'}; lowest relevance: "
              + "; ".join(f"{t} ({rel:.1f})" for t, _, rel in lowest))


if __name__ == "__main__":
    main()
