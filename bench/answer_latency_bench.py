"""Seconds per answer through `Assistant.ask` (the product's path: retrieval, the decided answer, the model's
sentence), for the configured llm mode, with the load average printed beside each answer.

    python3 bench/answer_latency_bench.py [--llm none|local] [-n N]

The questions are everyday ones written for this bench (not from any evaluation set). The goal is a median of
4 s with the embedded model on two idle cores; report the load average with every number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

QUESTIONS = ["公司把我辞退了，干了3年，月薪1万，能要多少补偿？",
             "邻居家楼上漏水把我家天花板泡坏了，怎么办？",
             "网购的衣服12月1日签收的，我想七天无理由退货，最晚哪天之前要申请？",
             "借给朋友两万块，他一直不还怎么办？",
             "城管把我摆摊的三轮车扣了，合法吗？",
             "下班路上被车撞了，算工伤吗？"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", default=None, help="none | local (default: settings)")
    ap.add_argument("-n", type=int, default=3, help="questions to answer (at most %(default)s by default)")
    args = ap.parse_args()
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import get_settings

    settings = get_settings(**({"llm": args.llm} if args.llm else {}))
    t0 = time.time()
    assistant = Assistant.from_settings(settings, progress=False)
    print(f"loaded in {time.time() - t0:.1f} s (load average {os.getloadavg()[0]:.1f})")
    secs = []
    for q in QUESTIONS[:args.n]:
        t = time.time()
        ans = assistant.ask(q, temperature=0)
        secs.append(time.time() - t)
        first = getattr(ans.usage, "first_token_s", None)
        print(f"{secs[-1]:6.1f} s  first token {first}  load average {os.getloadavg()[0]:.1f}  {q}")
    print(f"median {statistics.median(secs):.1f} s over {len(secs)} answers")


if __name__ == "__main__":
    main()
