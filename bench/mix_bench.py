"""Mixed load against `lawglm serve` with the model: N clients for S seconds over search, ask, streamed ask,
contract draft and citation verify (issue 28's probe), traffic only to 127.0.0.1.

    python3 bench/mix_bench.py --index-dir index [--clients 50] [--seconds 90] [--max-requests 20000]

The server is a `lawglm serve` subprocess (default backbone + adapter unless --llm none) on a free loopback
port. Client i always sends the same kind of request (i mod 5), one at a time (after a 503 it waits the
Retry-After, as a client should; --no-retry-wait retries at once), until the time or the request budget is
spent (requests still in flight then are awaited, up to the server's answer deadline). Prints, per endpoint:
count, statuses, p50 / p95 latency; 5xx other than 503 and 503s without Retry-After; for streamed asks
the time to the first event, to `event: queued` and to the first token (when generation started); the server's
RSS before and after; the load average of the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/live.py: free_port

QUESTIONS = ["邻居家阳台上的花盆掉下来砸伤了人，谁承担责任？",
             "公司不签劳动合同，员工能要求双倍工资吗？",
             "借钱不还，出借人可以主张利息吗？", "正当防卫造成伤害要负刑事责任吗？",
             "网购商品七天无理由退货有哪些例外？", "公司拖欠我三个月工资，我该怎么办？"]
DRAFTS = ["帮我起草一份借款合同，出借人张三，借款人李四，借款金额五万元，期限一年。",
          "帮我起草一份房屋租赁合同，出租人王五，承租人赵六，月租金三千元，租期两年。"]
VERIFY = ["《民法典》第一千二百五十四条规定：禁止从建筑物中抛掷物品。",
          "依据《劳动合同法》第八十二条，应当支付二倍工资。"]
KINDS = ("search", "ask", "stream", "draft", "verify")


def request_for(kind: str, i: int) -> tuple[str, str, dict]:
    q = QUESTIONS[i % len(QUESTIONS)]
    if kind == "search":
        return "GET", "/v1/statutes/search", {"params": {"q": q, "k": 5}}
    if kind in ("ask", "stream"):
        return "POST", "/v1/legal/ask", {"json": {"question": q, "stream": kind == "stream"}}
    if kind == "draft":
        return "POST", "/v1/contracts/draft", {"json": {"request": DRAFTS[i % len(DRAFTS)]}}
    return "POST", "/v1/citations/verify", {"json": {"text": VERIFY[i % len(VERIFY)]}}


async def one(client: httpx.AsyncClient, kind: str, i: int) -> dict:
    method, path, kw = request_for(kind, i)
    t0 = time.perf_counter()
    out: dict = {"kind": kind}
    async with client.stream(method, path, **kw) as r:
        out["status"], out["retry_after"] = r.status_code, r.headers.get("retry-after")
        if kind == "stream" and r.status_code == 200:
            async for line in r.aiter_lines():
                now = time.perf_counter() - t0
                if line.startswith("event: "):
                    event = line[7:]
                    out.setdefault("first_event", now)
                    if event == "queued":
                        out.setdefault("queued", now)
                    elif event == "started":
                        out.setdefault("started", now)
                    elif event == "token":
                        out.setdefault("first_token", now)
                    elif event in ("final", "error"):
                        out["end"] = event
        else:
            await r.aread()
    out["latency"] = time.perf_counter() - t0
    return out


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


async def run(url: str, clients: int, seconds: float, max_requests: int,
              honor_retry: bool = True) -> list[dict]:
    results: list[dict] = []
    budget = iter(range(max_requests))
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300.0, limits=limits) as client:
        async def worker(w: int) -> None:
            kind = KINDS[w % len(KINDS)]
            for i in budget:
                if time.perf_counter() > stop_at:
                    return
                try:
                    res = await one(client, kind, i)
                except httpx.HTTPError as exc:
                    results.append({"kind": kind, "status": type(exc).__name__, "latency": float("nan")})
                    continue
                results.append(res)
                if honor_retry and res["status"] == 503 and res.get("retry_after", "").isdigit():
                    left = max(0.0, stop_at - time.perf_counter())
                    await asyncio.sleep(min(float(res["retry_after"]), left))
        await asyncio.gather(*(worker(w) for w in range(clients)))
    return results


def start_server(args) -> tuple[subprocess.Popen, str]:
    from live import free_port

    port = free_port()
    cmd = [sys.executable, "-m", "lawglm.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--llm",
           args.llm, "--index-dir", args.index_dir]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("server not ready after 900 s")


def warm(url: str) -> None:
    """One request of each kind, so RSS 'before' is the loaded, warmed server."""
    with httpx.Client(base_url=url, timeout=300) as c:
        for i, kind in enumerate(KINDS):
            method, path, kw = request_for(kind, i)
            c.request(method, path, **kw)


def report(results: list[dict], args, rss: tuple[int, int], load: tuple, took: float, metrics: str) -> None:
    by = defaultdict(list)
    for r in results:
        by[r["kind"]].append(r)
    print(f"\n{args.clients} clients x {took:.0f} s against lawglm serve --llm {args.llm} on 127.0.0.1 "
          f"({'503s retried at once' if args.no_retry_wait else '503s retried after Retry-After'}), "
          f"{os.cpu_count()} CPUs (shared with the clients and other jobs); load average before "
          f"{' / '.join(f'{x:.1f}' for x in load[0])}, after {' / '.join(f'{x:.1f}' for x in load[1])}")
    print(f"{'endpoint':<8} {'n':>6} {'p50 s':>8} {'p95 s':>8}  statuses")
    for kind in KINDS:
        rows = by.get(kind, [])
        ok = [r["latency"] for r in rows if r["status"] == 200]
        st = Counter(str(r["status"]) for r in rows)
        print(f"{kind:<8} {len(rows):>6} {pct(ok, 50):>8.2f} {pct(ok, 95):>8.2f}  "
              + ", ".join(f"{k}: {v}" for k, v in sorted(st.items())))
    bad5 = [r for r in results if isinstance(r["status"], int) and r["status"] >= 500 and r["status"] != 503]
    no_retry = [r for r in results if r["status"] == 503 and not r.get("retry_after")]
    dropped = [r for r in results if not isinstance(r["status"], int)]
    print(f"5xx other than 503: {len(bad5)}; 503 without Retry-After: {len(no_retry)}; transport errors: "
          f"{len(dropped)}")
    streams = [r for r in by.get("stream", []) if r["status"] == 200]
    queued = [r for r in streams if "queued" in r]
    starts = [r.get("started", 0.0) for r in streams]  # not queued: started at once
    tokens = [r["first_token"] for r in streams if "first_token" in r]
    print(f"streamed asks admitted: {len(streams)}; queued first: {len(queued)}, their first event p50 "
          f"{pct([r['first_event'] for r in queued], 50):.3f} s, max "
          f"{max((r['first_event'] for r in queued), default=float('nan')):.3f} s")
    print(f"admitted streams' start (event: started, or at once): p50 {pct(starts, 50):.1f} s, max "
          f"{max(starts, default=float('nan')):.1f} s; first token: p50 {pct(tokens, 50):.1f} s, max "
          f"{max(tokens, default=float('nan')):.1f} s; ended: "
          + ", ".join(f"{k}: {v}" for k, v in Counter(r.get("end", "none") for r in streams).items()))
    asks = [r["latency"] for r in by.get("ask", []) if r["status"] == 200]
    print(f"admitted plain asks' whole answer: p50 {pct(asks, 50):.1f} s, "
          f"max {max(asks, default=float('nan')):.1f} s")
    retry = Counter(r.get("retry_after") for r in results if r["status"] == 503)
    print("Retry-After values of the 503s: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(retry.items(), key=str)))
    est = [ln for ln in metrics.splitlines() if ln.startswith("lawglm_answer_seconds_estimate ")]
    print(f"server RSS before {rss[0] / 2**20:.0f} MiB, after {rss[1] / 2**20:.0f} MiB; "
          f"{est[0] if est else ''}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--llm", default="local", choices=("local", "none"))
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--no-retry-wait", action="store_true", help="retry a 503 at once instead of after its "
                                                                   "Retry-After")
    ap.add_argument("--json", default=None, help="also write every request's record here")
    args = ap.parse_args()
    proc, url = start_server(args)
    try:
        server = psutil.Process(proc.pid)
        warm(url)
        before, load0 = server.memory_info().rss, os.getloadavg()
        t = time.perf_counter()
        results = asyncio.run(run(url, args.clients, args.seconds, args.max_requests, not args.no_retry_wait))
        took = time.perf_counter() - t
        after, load1 = server.memory_info().rss, os.getloadavg()
        metrics = httpx.get(url + "/metrics", timeout=30).text
    finally:
        proc.terminate()
        proc.wait(30)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    report(results, args, (before, after), (load0, load1), took, metrics)


if __name__ == "__main__":
    main()
