"""Load bench: N concurrent HTTP clients against a live lawglm server on loopback.

Starts the server in-process (uvicorn on a free 127.0.0.1 port, `--server thread`) or as a
`lawglm serve` subprocess (`--server process`, no GIL shared with the clients), then runs
phases side by side, each bounded in time and request count:

    healthz   GET  /healthz                  (HTTP floor: no work)
    search    GET  /v1/statutes/search       (hybrid retrieval only)
    ask       POST /v1/legal/ask             (retrieval-only answer, JSON)
    stream    POST /v1/legal/ask stream=true (the same, as SSE, read to the end)

Prints p50/p99 latency, throughput and errors by status per phase, and p50 ratios against the
healthz floor. Goal: 50 clients, no 5xx other than deliberate 503 (queue full, with
Retry-After), p99 of `ask` < 200 ms. Traffic goes only to 127.0.0.1.

    python bench/load_bench.py --index-dir index --clients 50 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1] / "tests")
)  # tests/live.py: the app on a loopback port

DEV_FILE = Path(os.environ.get("LAWGLM_SHARED_DATA", "/work/shared/data")) / "retrieval_dev.jsonl"
FALLBACK_QUERIES = [
    "邻居家阳台上的花盆掉下来砸伤了人，谁承担责任？",
    "公司不签劳动合同，员工能要求双倍工资吗？",
    "借钱不还，出借人可以主张利息吗？",
    "正当防卫造成伤害要负刑事责任吗？",
    "《民法典》第1079条",
    "网购商品七天无理由退货有哪些例外？",
]


def load_queries(limit: int = 200) -> list[str]:
    if not DEV_FILE.exists():
        return FALLBACK_QUERIES
    out = []
    with open(DEV_FILE, encoding="utf-8") as f:
        for line in f:
            q = json.loads(line).get("query", "").strip()
            if q:
                out.append(q[:500])
            if len(out) >= limit:
                break
    return out or FALLBACK_QUERIES


def phase_request(phase: str, q: str) -> tuple[str, str, dict]:
    if phase == "healthz":
        return "GET", "/healthz", {}
    if phase == "search":
        return "GET", "/v1/statutes/search", {"params": {"q": q, "k": 5}}
    return "POST", "/v1/legal/ask", {"json": {"question": q, "stream": phase == "stream"}}


async def one(client: httpx.AsyncClient, phase: str, q: str) -> tuple[int, float, bool]:
    method, path, kw = phase_request(phase, q)
    t0 = time.perf_counter()
    async with client.stream(method, path, **kw) as r:
        body = b"".join([chunk async for chunk in r.aiter_bytes()])
    ok = r.status_code != 200 or phase != "stream" or b"event: final" in body
    retry = r.headers.get("retry-after") is not None
    return r.status_code, time.perf_counter() - t0, ok and (r.status_code != 503 or retry)


async def run_phase(url: str, phase: str, clients: int, seconds: float, max_requests: int,
                    queries: list[str]) -> dict:
    lat: list[float] = []
    statuses: Counter = Counter()
    bad = 0
    counter = iter(range(max_requests))
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:
        async def worker() -> None:
            nonlocal bad
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                try:
                    status, dt, ok = await one(client, phase, queries[i % len(queries)])
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    continue
                statuses[status] += 1
                lat.append(dt)
                bad += not ok
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    return {"phase": phase, "n": len(lat), "wall": wall, "rps": len(lat) / wall if wall else 0.0,
            "p50": _pct(lat, 50), "p99": _pct(lat, 99), "max": max(lat, default=0.0),
            "statuses": dict(statuses), "bad": bad}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[min(98, max(0, int(p) - 1))]


@contextmanager
def live_server(args: argparse.Namespace):
    from live import free_port

    if args.server == "process":
        port = free_port()
        cmd = [sys.executable, "-m", "lawglm.cli", "serve", "--port", str(port), "--llm", args.llm,
               "--index-dir", args.index_dir] + (["--model", args.model] if args.model else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait(url, proc)
            yield url
        finally:
            proc.terminate()
            proc.wait(20)
        return
    from live import serve_in_thread

    from lawglm.server import create_app
    from lawglm.server.app import ensure_index
    from lawglm.settings import get_settings

    settings = get_settings(llm=args.llm, index_dir=args.index_dir, model=args.model)
    ensure_index(settings)
    with serve_in_thread(create_app(settings=settings), timeout=600) as url:
        yield url


def _wait(url: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server not ready in time")


def report(results: list[dict], args: argparse.Namespace) -> int:
    floor = next((r["p50"] for r in results if r["phase"] == "healthz"), None)
    print(
        f"\n{'phase':8} {'n':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p50/floor':>9}  "
        "statuses"
    )
    for r in results:
        ratio = f"{r['p50'] / floor:9.1f}" if floor else f"{'-':>9}"
        print(f"{r['phase']:8} {r['n']:6d} {r['rps']:8.1f} {r['p50'] * 1e3:8.1f} {r['p99'] * 1e3:8.1f} "
              f"{r['max'] * 1e3:8.1f} {ratio}  {r['statuses']}")
    five = {s: n for r in results for s, n in r["statuses"].items() if str(s).startswith("5") and s != 503}
    bad = sum(r["bad"] for r in results)
    ask = next((r for r in results if r["phase"] == "ask"), None)
    print(f"\n5xx other than 503: {five or 'none'}; malformed/unannounced-503 responses: {bad}")
    if ask:
        verdict = "PASS" if ask["p99"] < 0.2 else "MISS"
        print(f"goal p99(ask) < 200 ms at {args.clients} clients: {ask['p99'] * 1e3:.1f} ms -> {verdict}")
    return 1 if five or bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--llm", default="none", choices=["none", "local"])
    ap.add_argument("--model", default=None, help="backbone for --llm local")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0, help="time bound per phase")
    ap.add_argument("--max-requests", type=int, default=5000, help="request bound per phase")
    ap.add_argument("--phases", default="healthz,search,ask,stream")
    ap.add_argument("--server", default="thread", choices=["thread", "process"])
    args = ap.parse_args()
    queries = load_queries()
    print(
        f"lawglm load bench: {args.clients} concurrent httpx async clients, closed loop (no think time), "
        f"each phase <= {args.seconds:.0f}s and <= {args.max_requests} requests; server: {args.server} "
        f"(uvicorn, 127.0.0.1), llm={args.llm}, index={args.index_dir}; {len(queries)} queries from "
        f"{DEV_FILE.name if DEV_FILE.exists() else 'built-in list'}; CPU cores: {os.cpu_count()}, load "
        "average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (a shared machine inflates every number)"
    )
    with live_server(args) as url:
        results = []
        for phase in args.phases.split(","):
            asyncio.run(run_phase(url, phase, min(args.clients, 5), 1.0, 50, queries))  # warm-up
            results.append(asyncio.run(run_phase(url, phase, args.clients, args.seconds, args.max_requests,
                                                 queries)))
            print(f"  {phase}: {results[-1]['n']} requests in {results[-1]['wall']:.1f}s", flush=True)
    return report(results, args)


if __name__ == "__main__":
    sys.exit(main())
