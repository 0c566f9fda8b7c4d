"""Fuzz the served API with schemathesis over its own /openapi.json: 5xx, huge bodies, slow requests.

    python3 bench/fuzz_bench.py [--requests 10000] [--index-dir index] [--llm none]

Starts `lawglm serve` in a subprocess over a copy of the index (admin rebuilds cannot touch the original),
with
an admin token that half the requests carry. For every operation it alternates schema-valid and
schema-violating requests (schemathesis' positive / negative generation) until --requests are sent, one at a
time; meanwhile a thread asks /healthz every 50 ms. Prints: 5xx count, statuses, largest response, slowest
request, server CPU per request (psutil: user+sys time of the server process before/after each request, so the
/healthz poller's share is included), and /healthz p50/p99/max during the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hseed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

TOKEN = "fuzz-bench-token"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/live.py: free_port


def start_server(index_dir: Path, llm: str, home: Path) -> tuple[subprocess.Popen, str]:
    from live import free_port

    port = free_port()
    env = {**os.environ, "LAWGLM_ADMIN_TOKEN": TOKEN, "LAWGLM_HOME": str(home),
           "LAWGLM_INGEST_ROOTS": f'["{home / "roots"}"]'}
    proc = subprocess.Popen([sys.executable, "-m", "lawglm.cli", "serve", "--llm", llm, "--port", str(port),
                             "--index-dir", str(index_dir)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        time.sleep(0.5)
    raise SystemExit("server not ready after 600 s")


class HealthPoller(threading.Thread):
    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.times, self.failures, self.stop = url, [], 0, threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5) as c:
            while not self.stop.is_set():
                t = time.perf_counter()
                try:
                    ok = c.get(self.url + "/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.times.append(time.perf_counter() - t)
                self.failures += not ok
                time.sleep(0.05)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


def fuzz(url: str, server: psutil.Process, total: int) -> dict:
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    ops = [r.ok() for r in schema.get_all_operations()]
    per = max(1, total // (2 * len(ops)))
    stats = {"n": 0, "status": Counter(), "cpu": [], "cpu_rejected": [], "wall": [], "bytes": 0, "five": [],
             "by_op": Counter()}
    seed = 0
    while stats["n"] < total:
        for op in ops:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                seed += 1
                run_op(op, mode, per, seed, url, server, stats)
        print(f"  ... {stats['n']} requests", flush=True)
    return stats


def run_op(op, mode, n: int, seed: int, url: str, server: psutil.Process, stats: dict) -> None:
    @given(op.as_strategy(generation_mode=mode))
    @settings(max_examples=n, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @hseed(seed)
    def one(case):
        headers = {"Authorization": f"Bearer {TOKEN}"} if stats["n"] % 2 else {}
        c0, t0 = server.cpu_times(), time.perf_counter()
        try:
            r = case.call(base_url=url, headers=headers, timeout=60)
            status, size = r.status_code, len(r.content)
        except Exception as exc:  # noqa: BLE001 - a dropped connection counts as a server failure
            status, size = 599, 0
            stats["five"].append(f"{case.method} {case.formatted_path}: {type(exc).__name__}")
        wall, c1 = time.perf_counter() - t0, server.cpu_times()
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        stats["n"] += 1
        stats["status"][status] += 1
        stats["by_op"][f"{case.method} {op.path}"] += 1
        stats["cpu"].append(cpu)
        stats["wall"].append(wall)
        stats["bytes"] = max(stats["bytes"], size)
        if 400 <= status < 500:
            stats["cpu_rejected"].append(cpu)
        if 500 <= status < 599:
            stats["five"].append(f"{case.method} {case.formatted_path} -> {status}: {r.text[:200]}")
    try:
        one()
    except Unsatisfiable:  # nothing to violate in this operation (GET /healthz)
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--llm", default="none")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lawglm-fuzz-"))
    index = work / "index"
    shutil.copytree(args.index_dir, index)
    (work / "roots").mkdir()
    proc, url = start_server(index, args.llm, work)
    poller = HealthPoller(url)
    try:
        server = psutil.Process(proc.pid)
        print(f"serving {url} (--llm {args.llm}, index copy of {args.index_dir}); fuzzing …", flush=True)
        poller.start()
        t = time.perf_counter()
        s = fuzz(url, server, args.requests)
        took = time.perf_counter() - t
    finally:
        poller.stop.set()
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    report(s, poller, took, args)


def report(s: dict, poller: HealthPoller, took: float, args) -> None:
    five = sum(n for st, n in s["status"].items() if st >= 500)
    print(f"\nschemathesis {schemathesis.__version__ if hasattr(schemathesis, '__version__') else ''} over "
          f"/openapi.json, --llm {args.llm}, {len(s['by_op'])} operations, requests one at a time, "
          f"{os.cpu_count()} CPUs (shared), {took:.0f} s, load average at the end "
          f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"requests: {s['n']}   5xx (incl. dropped connections): {five}")
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(s["status"].items())))
    print(f"largest response: {s['bytes']} bytes; slowest request: {max(s['wall']):.3f} s "
          f"(p99 {pct(s['wall'], 99):.3f} s)")
    rej = s["cpu_rejected"]
    print(f"server CPU per rejected (4xx) request: max {max(rej):.3f} s, p99 {pct(rej, 99):.3f} s "
          f"({len(rej)} requests); per request overall: max {max(s['cpu']):.3f} s")
    h = poller.times
    print(
        f"/healthz during the fuzz: {len(h)} probes, p50 {pct(h, 50) * 1000:.1f} ms, p99 "
        f"{pct(h, 99) * 1000:.1f} ms, "
        f"max {max(h) * 1000:.1f} ms, failures {poller.failures}"
    )
    for line in s["five"][:10]:
        print("  5xx:", line)


if __name__ == "__main__":
    main()
