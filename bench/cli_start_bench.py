"""Cold start of the CLI: wall time of one `lawglm` command in a fresh process, this checkout vs another.

    python3 bench/cli_start_bench.py --index-dir index [--before /tmp/lawglm-before] [-n 3]

Each command runs as `python3 -m lawglm.cli …` in a new process (imports, index loading, the query:
what a user waits for), n times, interleaved between this checkout and `--before` (a copy of an older
lawglm source tree, e.g. `git archive <commit> lawglm | tar -x -C /tmp/lawglm-before`), so both see the
same machine load. Prints the median and min per command and side, the ratio of medians, and the
1-minute load average before and after, because the machine may be shared: on a loaded machine the
absolute times are inflated, the ratios much less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LONG = "借" * 10_000


def commands(index_dir: str) -> list[tuple[str, list[str]]]:
    ix = ["--index-dir", index_dir]
    return [
        ("search -k 5", ["search", "同事借我钱不还怎么办", "-k", "5", *ix]),
        ("search --law 民法典", ["search", "借款利息怎么算", "--law", "民法典", "-k", "5", *ix]),
        ("search bad --status", ["search", "借钱", "--status", "bogus", *ix]),
        ("search bad --law", ["search", "借钱", "--law", "火星法", *ix]),
        ("search bad --department", ["search", "借钱", "--department", "火星法部", *ix]),
        ("search 10,000 chars", ["search", LONG, *ix]),
        ("ask 10,000 chars", ["ask", LONG, "--llm", "none", "--index-dir", index_dir]),
        ("lookup 民法典 1254", ["lookup", "民法典", "1254"]),
        ("verify", ["verify", "《劳动合同法》第五十条规定：用人单位应当在解除劳动合同时出具证明。"]),
    ]


def run_once(src: Path, args: list[str]) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "lawglm.cli", *args], env=env, capture_output=True, text=True,
                         check=False, timeout=600, cwd=str(src))
    return time.perf_counter() - t0, out.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", default="index", help="index both sides read (same on-disk format)")
    ap.add_argument("--before", default=None, help="an older lawglm source tree to compare with")
    ap.add_argument("-n", type=int, default=3, help="runs per command and side")
    args = ap.parse_args()
    index_dir = str(Path(args.index_dir).resolve())
    sides = {"this": HERE} | ({"before": Path(args.before).resolve()} if args.before else {})
    print(
        f"python3 -m lawglm.cli <command>, fresh process each, {args.n} runs interleaved; index {index_dir}; "
        f"{os.cpu_count()} CPUs; load average before {os.getloadavg()[0]:.2f}"
    )
    header = f"{'command':26s}" + "".join(f"{s + ' median / min (rc)':>28s}" for s in sides)
    print(header + ("   ratio" if len(sides) == 2 else ""))
    for name, cmd in commands(index_dir):
        times: dict[str, list[float]] = {s: [] for s in sides}
        codes: dict[str, int] = {}
        for _ in range(args.n):
            for side, src in sides.items():
                secs, codes[side] = run_once(src, cmd)
                times[side].append(secs)
        med = {s: statistics.median(t) for s, t in times.items()}
        row = f"{name:26s}" + "".join(
            f"{med[s]:13.2f} s / {min(times[s]):5.2f} s ({codes[s]})" for s in sides
        )
        print(row + (f"   {med['before'] / med['this']:5.1f}x" if len(sides) == 2 else ""), flush=True)
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
