"""How the conclusion gate's grounding threshold was chosen (grounded.MIN_GROUNDING), on dev data.

    python3 bench/gate_thresholds.py --data ../shared/data/sft_dev.jsonl [--index index] [--top-k 5]

For each dev question, the sources are what the answer pipeline would give the model (the same
retrieval and prompt: prompts.GROUNDED), and two kinds of sentence are scored with grounded.grounding
(share of the sentence's content bigrams found in the question or the sources):
  on-topic   the opening sentences of the lawyer's own answer to that question (conclusion_target's pick)
  off-topic  the same, but taken from the answer to a different, randomly paired question
A threshold should keep most lawyer sentences and drop most off-topic ones; the sweep prints both
rates. (The gate also requires the first sentence to share a content bigram with the question.)
"""

from __future__ import annotations

import argparse
import json
import random


def main() -> None:
    from lawglm.answer.grounded import _FLUFF, _GREETING, _grams, grounding, sentences
    from lawglm.answer.prompts import GROUNDED, build_messages
    from lawglm.search.retrieval import Retriever

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--index", default="index")
    ap.add_argument("--top-k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with open(args.data, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    rows = [r for r in rows if r["question"].strip() and r["answer"].strip()]
    retriever = Retriever.load(args.index)

    def opening(answer: str) -> list[str]:
        return [s for s in sentences(_GREETING.sub("", answer)) if not _FLUFF.search(s)][:2]

    rng = random.Random(args.seed)
    partner = list(range(len(rows)))
    rng.shuffle(partner)
    on, off, first_on, first_off = [], [], [], []
    for i, row in enumerate(rows):
        hits = retriever.search(row["question"], args.top_k)
        sources = build_messages(row["question"], hits, style=GROUNDED).sources
        context = _grams(row["question"]) | {g for h in sources for g in _grams(h.article.text)}
        q = _grams(row["question"])
        other = rows[partner[i]] if partner[i] != i else rows[(i + 1) % len(rows)]
        for s in opening(row["answer"]):
            on.append(grounding(s, context))
        for s in opening(other["answer"]):
            off.append(grounding(s, context))
        if opening(row["answer"]):
            first_on.append(bool(_grams(opening(row["answer"])[0]) & q))
        if opening(other["answer"]):
            first_off.append(bool(_grams(opening(other["answer"])[0]) & q))
    print(f"data={args.data} rows={len(rows)} top_k={args.top_k} index={retriever.version}")
    print(f"sentences: on-topic {len(on)}, off-topic {len(off)}")
    print(
        "first sentence shares a content bigram with the question: on-topic "
        f"{sum(first_on) / len(first_on):.3f}, "
        f"off-topic {sum(first_off) / len(first_off):.3f}"
    )
    print(f"{'threshold':>10} {'kept on-topic':>14} {'kept off-topic':>15}")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        print(
            f"{t:>10.1f} {sum(x >= t for x in on) / len(on):>14.3f} "
            f"{sum(x >= t for x in off) / len(off):>15.3f}"
        )


if __name__ == "__main__":
    main()
