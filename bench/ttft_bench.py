"""Time to first token of the default backbone on CPU: the old free prompt vs the grounded prompt,
without and with the reused system-prefix KV cache — side by side on the same questions, one run.

    python3 bench/ttft_bench.py [--questions FILE.jsonl] [-n 20] [--adapter legal-lora] [--threads 2]

Each question is retrieved once (top 5, the default index), then, in rotating order:
  free         prompts.FREE: whole articles, lawglm's original system prompt, no prefix reuse
  grounded     prompts.GROUNDED: the paragraphs that matter (≤120 chars per article), no prefix reuse
  grounded+kv  the same prompt, the system prefix's KV cache reused (what `lawglm serve` does)
TTFT is DecodeStats.first_token_s (prefill + the first decode step, measured inside the decode loop).
Prints medians and p90, prompt tokens, ratios to `free`, and the load average (a busy machine is slower).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

QUESTIONS = [
    "公司拖欠我三个月工资，我该怎么办？",
    "女友不和我结婚了，我给她的彩礼能要回来吗？",
    "同事借我钱不还怎么办",
    "房东不退押金怎么办？",
    "试用期被辞退有补偿吗？",
    "网购买到假货可以要求几倍赔偿？",
    "离婚时孩子归谁抚养？",
    "被狗咬了，狗主人要承担什么责任？",
    "交通事故对方全责但不赔钱怎么办？",
    "公司不给交社保合法吗？",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", default=None, help="JSONL with a 'question' field (default: 10 built-in)")
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--adapter", default="legal-lora")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--index", default="index")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from lawglm.answer.prompts import FREE, GROUNDED, build_messages
    from lawglm.models.decoding import DecodeStats
    from lawglm.models.generation import load_generator
    from lawglm.search.retrieval import Retriever
    from lawglm.settings import get_settings

    qs = QUESTIONS
    if args.questions:
        with open(args.questions, encoding="utf-8") as fh:
            qs = [json.loads(x)["question"] for x in fh if x.strip()]
    qs = qs[:args.n]
    retriever = Retriever.load(args.index)
    settings = get_settings(adapter=args.adapter)
    gen = load_generator(settings, adapter=args.adapter, corpus=retriever.corpus, progress=False)

    def ttft(messages, reuse: bool) -> tuple[float, int]:
        gen.prefixes.max_entries = 8 if reuse else 0
        stats = DecodeStats()
        for _ in gen.stream(messages, max_new_tokens=1, temperature=0, stats=stats):
            pass
        return stats.first_token_s, stats.prompt_tokens

    ttft(build_messages(qs[0], retriever.search(qs[0], 5), style=GROUNDED).messages, True)  # warm up + cache
    runs: dict[str, list] = {"free": [], "grounded": [], "grounded+kv": []}
    for i, q in enumerate(qs):
        hits = retriever.search(q, 5)
        plans = [("free", build_messages(q, hits, style=FREE).messages, False),
                 ("grounded", build_messages(q, hits, style=GROUNDED).messages, False),
                 ("grounded+kv", build_messages(q, hits, style=GROUNDED).messages, True)]
        for name, msgs, reuse in plans[i % 3:] + plans[:i % 3]:
            runs[name].append(ttft(msgs, reuse))
    print(
        f"ttft bench: {len(qs)} questions, backbone {settings.model} + {args.adapter}, torch threads "
        f"{torch.get_num_threads()}, load average {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    base = statistics.median(t for t, _ in runs["free"])
    print(f"{'prompt':<13}{'median s':>9}{'p90 s':>8}{'tokens':>8}{'vs free':>9}")
    for name, rs in runs.items():
        ts = sorted(t for t, _ in rs)
        med = statistics.median(ts)
        print(f"{name:<13}{med:>9.3f}{ts[int(0.9 * (len(ts) - 1))]:>8.3f}"
              f"{statistics.median(n for _, n in rs):>8.0f}{base / med:>8.2f}x")


if __name__ == "__main__":
    main()
