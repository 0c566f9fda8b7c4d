"""Seconds per answer through `Assistant.ask` (the product's path: retrieval, the decided answer, the model's
sentence), for the configured llm mode, with the load average and the CPU time printed beside each answer.

    python3 bench/answer_latency_bench.py [--llm none|local] [-n N] [--compare]

`--compare` answers every question twice in one process, interleaved: with `model_addition=always` (the
model asked beside every deciding clause: the behaviour before settings.model_addition) and with the
configured setting (default `unsure`: the model asked only where the clause matched the question weakly).

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


def _answer(assistant, q: str, label: str) -> float:
    t, cpu = time.time(), time.process_time()
    ans = assistant.ask(q, temperature=0)
    secs, cpu = time.time() - t, time.process_time() - cpu
    u = ans.usage
    print(f"{label:>8} {secs:6.1f} s  cpu {cpu:5.1f} s  first token {u.first_token_s}  "
          f"tokens {u.completion_tokens}  gate {u.gate}  kept {ans.sections.conclusion_from}  "
          f"load average {os.getloadavg()[0]:.1f}  {q}")
    return secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", default=None, help="none | local (default: settings)")
    ap.add_argument("-n", type=int, default=3, help="questions to answer (at most %(default)s by default)")
    ap.add_argument("--compare", action="store_true",
                    help="each question also with model_addition=always (before), interleaved")
    args = ap.parse_args()
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import get_settings

    settings = get_settings(**({"llm": args.llm} if args.llm else {}))
    t0 = time.time()
    assistant = Assistant.from_settings(settings, progress=False)
    print(f"loaded in {time.time() - t0:.1f} s (load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores, model_addition={settings.model_addition}, "
          f"at most {settings.model_addition_tokens} tokens)")
    runs: dict[str, list[float]] = {}
    before = settings.model_copy(update={"model_addition": "always"})
    for q in QUESTIONS[:args.n]:
        if args.compare:
            assistant.settings = before
            runs.setdefault("always", []).append(_answer(assistant, q, "always"))
            assistant.settings = settings
        runs.setdefault(settings.model_addition, []).append(_answer(assistant, q, settings.model_addition))
    for label, secs in runs.items():
        print(f"median {statistics.median(secs):.1f} s over {len(secs)} answers ({label})")


if __name__ == "__main__":
    main()
