"""Time to ready of `lawglm serve`, and `lawglm ask` / `lawglm search` answered by that running server.

    python3 bench/startup_bench.py --fresh -n 5      # first start: no index, no converted backbone
    python3 bench/startup_bench.py -n 5              # later start: index/ and ~/.cache/lawglm reused
    python3 bench/startup_bench.py --home H --index-dir I   # later start on what a --fresh run left (it says)

Starts `python3 -m lawglm.cli serve` on a free port (--fresh: a new LAWGLM_HOME, so the embedded backbone
is converted again, and a new index directory, so the index is built again), and records when the port first
answers (/healthz), each preparing stage /readyz reports, and when /readyz turns 200. Then, against that
server (LAWGLM_URL), runs `lawglm ask QUESTION --json` and `lawglm search QUESTION -k 5 --json` n times each
as fresh processes: the wall time of each, the server's own answer time (usage.seconds: retrieval, prompt and
generation) and the difference (process start, HTTP, printing). Prints the load average with the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from live import free_port

QUESTION = "公司拖欠我三个月工资，我该怎么办？"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh", action="store_true", help="new LAWGLM_HOME and index dir (a first start)")
    ap.add_argument("-n", type=int, default=5, help="ask / search runs")
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--home", help="LAWGLM_HOME to use (e.g. one a --fresh run left, to time a later start)")
    ap.add_argument("--index-dir", default="index", help="index directory (default: index/)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lawglm-startup-"))
    env = {**os.environ, "LAWGLM_URL": "none"}
    index_dir = args.index_dir
    if args.home:
        env["LAWGLM_HOME"] = args.home
    if args.fresh:
        env["LAWGLM_HOME"], index_dir = str(tmp / "home"), str(tmp / "index")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp / "serve.log", "w")  # noqa: SIM115 - the server writes to it until the end
    print(f"load average at start: {os.getloadavg()}; fresh={args.fresh}; index_dir={index_dir}; "
          f"LAWGLM_HOME={env.get('LAWGLM_HOME', '(default)')}")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "lawglm.cli", "serve", "--port", str(port), "--index-dir",
                             index_dir], env=env, stdout=log, stderr=subprocess.STDOUT)
    import httpx

    bound, stages = None, {}
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {(tmp / 'serve.log').read_text()[-2000:]}")
            try:
                r = httpx.get(url + "/readyz", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            now = time.perf_counter() - t0
            bound = bound or now
            body = r.json()
            if r.status_code == 200:
                ready = now
                break
            prep = body.get("preparing") or {}
            stages.setdefault(prep.get("label", body.get("reason")), now)
            time.sleep(0.25)
        print(f"port answers after {bound:.1f} s; ready after {ready:.1f} s")
        for label, at in stages.items():
            print(f"  from {at:6.1f} s: {label}")
        env_cli = {**env, "LAWGLM_URL": url}
        for cmd in (["ask", args.question, "--json"], ["search", args.question, "-k", "5", "--json"]):
            walls, served = [], []
            for _ in range(args.n):
                t = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-m", "lawglm.cli", *cmd],
                    env=env_cli,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                walls.append(time.perf_counter() - t)
                data = json.loads(out)
                served.append(data["usage"]["seconds"] if isinstance(data, dict) else 0.0)
            extra = [w - s for w, s in zip(walls, served)]
            print(
                f"lawglm {cmd[0]} via the server (n={args.n}): wall median {statistics.median(walls):.2f} s "
                f"(min {min(walls):.2f}, max {max(walls):.2f}); server answer time median "
                f"{statistics.median(served):.2f} s; wall minus server answer time median "
                f"{statistics.median(extra):.2f} s (max {max(extra):.2f})"
            )
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lawglm.cli", "ask", "你好"], env=env, capture_output=True, check=True
        )
        print(f"lawglm ask 你好 (no server, nothing loaded): {time.perf_counter() - t:.2f} s")
        print(f"load average at end: {os.getloadavg()}")
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
