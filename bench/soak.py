"""Soak: many streamed answers against a live `lawglm serve` subprocess; server memory must stay flat.

The server runs as its own process (so its RSS is measured alone, with psutil) on a free
127.0.0.1 port. After a warm-up (caches, lazy imports), RSS is sampled as the "start"; then
`--n` streamed answers (POST /v1/legal/ask stream=true, read to the final event) are sent by
`--concurrency` clients, some of them abandoned mid-stream (client disconnects), with RSS
sampled every 100. Pass: end RSS within 10% of start.

    python bench/soak.py --index-dir index --n 500                       # retrieval-only
    python bench/soak.py --index-dir index --n 500 --llm local --model PATH  # with a model
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import time

import httpx
import psutil

sys.path.insert(0, __import__("os").path.dirname(__file__))
sys.path.insert(
    0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "tests")
)  # tests/live.py
from load_bench import _wait, load_queries

MB = 1024 * 1024


def rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


async def stream_one(client: httpx.AsyncClient, q: str, abandon: bool) -> str:
    async with client.stream("POST", "/v1/legal/ask", json={"question": q, "stream": True}) as r:
        if r.status_code != 200:
            await r.aread()
            return str(r.status_code)
        tail, final = "", False
        async for chunk in r.aiter_text():
            if abandon:  # client goes away after the first chunk
                return "abandoned"
            final = final or "event: final" in tail + chunk
            tail = chunk[-16:]
        return "200" if final else "incomplete"


async def run(url: str, queries: list[str], start: int, n: int, concurrency: int, abandon_every: int,
              pid: int, samples: list) -> dict:
    counts: dict[str, int] = {}
    todo = iter(range(start, start + n))
    async with httpx.AsyncClient(base_url=url, timeout=120.0) as client:
        async def worker() -> None:
            for i in todo:
                res = await stream_one(
                    client, queries[i % len(queries)], abandon_every > 0 and i % abandon_every == 0
                )
                counts[res] = counts.get(res, 0) + 1
                if (i - start + 1) % 100 == 0:
                    samples.append((i - start + 1, rss(pid)))
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--llm", default="none", choices=["none", "local"])
    ap.add_argument("--model", default=None)
    ap.add_argument("--adapter", default=None)
    ap.add_argument("--n", type=int, default=500, help="streamed answers after warm-up")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--abandon-every", type=int, default=10, help="every Nth client disconnects mid-stream")
    ap.add_argument("--max-seconds", type=float, default=900, help="overall time bound")
    args = ap.parse_args()
    from live import free_port

    port = free_port()
    cmd = [sys.executable, "-m", "lawglm.cli", "serve", "--port", str(port), "--llm", args.llm,
           "--index-dir", args.index_dir]
    cmd += (["--model", args.model] if args.model else []) + (
        ["--adapter", args.adapter] if args.adapter else []
    )
    print(f"lawglm soak: server `{' '.join(cmd[1:])}` (own process, RSS via psutil); warm-up "
          f"{args.warmup}, then {args.n} streamed answers, {args.concurrency} concurrent clients, every "
          f"{args.abandon_every}th abandoned after the first chunk; load average "
          f"{' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url, proc)
        queries = load_queries(1000)
        asyncio.run(asyncio.wait_for(run(url, queries, 0, args.warmup, args.concurrency, 0, proc.pid, []),
                                     args.max_seconds))
        gc.collect()
        time.sleep(1.0)
        start_rss, samples, t0 = rss(proc.pid), [], time.perf_counter()
        counts = asyncio.run(asyncio.wait_for(
            run(url, queries, args.warmup, args.n, args.concurrency, args.abandon_every, proc.pid, samples),
            args.max_seconds))
        time.sleep(1.0)
        end_rss, wall = rss(proc.pid), time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(20)
    for done, value in samples:
        print(f"  after {done:5d} answers: RSS {value / MB:8.1f} MB")
    growth = (end_rss - start_rss) / start_rss
    print(f"results: {counts} in {wall:.1f}s ({args.n / wall:.1f} answers/s)")
    print(
        f"RSS start {start_rss / MB:.1f} MB -> end {end_rss / MB:.1f} MB: {growth * 100:+.1f}% "
        f"(end/start = {end_rss / start_rss:.3f}); goal within 10% -> "
        f"{'PASS' if abs(growth) <= 0.10 else 'FAIL'}"
    )
    errors = {k: v for k, v in counts.items() if k not in ("200", "abandoned")}
    return 0 if abs(growth) <= 0.10 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
