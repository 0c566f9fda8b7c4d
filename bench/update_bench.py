"""One-document index update and `lookup` without an index: this checkout side by side with an earlier
commit, in one run.

    python3 bench/update_bench.py [--base /tmp/idx-base] [--before a8d6d71] [--repeats 3]

--base     a built index of the default corpus (66,602 articles); never written: every update runs on a
           fresh copy of it (/tmp/idx-update-bench-*).
--before   the commit to compare with, checked out with `git worktree add --detach` into a temp dir.
update     `lawglm index update FILE --index-dir COPY` as a CLI subprocess (Python start and imports
           included), FILE = one law (中华人民共和国证券法, ~230 articles) rendered as published text with 3
           articles altered and a later revision date (bench/index_bench.amended_copies), so each update
           adds a new version of it. before: one update of a fresh copy. after: the first update of a
           fresh copy (an index written by the earlier commit stores no term frequencies: this one
           tokenises once and writes them), then `--repeats` further updates (each a later revision) of
           that index: the steady state. Seconds per stage from the update's own stage lines.
           Then the two updated copies (same base, same file) are compared: links.json, law hashes and
           content hash must be identical.
lookup     `lawglm lookup 民法典 1254 --index-dir /nonexistent` (no index: the statutes read and the links
           computed) and with --index-dir BASE (links.json read), median of --repeats runs.
Reports wall and CPU (user + sys of the subprocess) seconds and the load average before each run: the
machine is shared, so wall time moves with the load; CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.index_bench import LAW, amended_copies


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cwd: Path, args: list[str]) -> dict:
    """One CLI run from checkout `cwd`: wall, CPU, load average before, stdout, stderr."""
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), cpu_children()
    out = subprocess.run([sys.executable, "-m", "lawglm.cli", *args], cwd=cwd, capture_output=True, text=True,
                         check=False)
    wall, cpu = time.perf_counter() - t0, cpu_children() - c0
    if out.returncode != 0:
        sys.exit(f"lawglm {' '.join(args)} failed in {cwd}:\n{out.stderr[-3000:]}")
    return {"wall": wall, "cpu": cpu, "load": load, "out": out.stdout, "err": out.stderr}


def stages(err: str) -> dict[str, str]:
    """`wall/CPU` seconds per stage from the update's stderr lines (`  loaded ... in 1.23s (CPU 0.80s)`,
    `  diff 0.50s (CPU 0.40s)`, `  [3/7] bm25 0.41s (CPU 0.30s)`)."""
    out = {}
    for line in err.splitlines():
        m = (re.match(r"^\s+(loaded) .* in ([\d.]+)s \(CPU ([\d.]+)s\)", line)
             or re.match(r"^\s+(diff) ([\d.]+)s \(CPU ([\d.]+)s\)", line)
             or re.match(r"^\s+\[\d+/\d+\] (\w+) ([\d.]+)s \(CPU ([\d.]+)s\)", line))
        if m:
            out[m.group(1)] = f"{float(m.group(2)):.2f}/{float(m.group(3)):.2f}"
    return out


def fresh_copy(base: Path, name: str) -> Path:
    dest = Path(f"/tmp/idx-update-bench-{name}")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(base, dest)
    return dest


def current(index: Path) -> Path:
    return index / "versions" / (index / "CURRENT").read_text().strip()


def same_build(a: Path, b: Path) -> dict[str, bool]:
    ma, mb = (json.loads((current(x) / "manifest.json").read_text(encoding="utf-8")) for x in (a, b))
    links = [(current(x) / "links.json").read_text(encoding="utf-8") for x in (a, b)]
    return {"links.json": links[0] == links[1], "law_hashes": ma["law_hashes"] == mb["law_hashes"],
            "content_sha256": ma["corpus"]["content_sha256"] == mb["corpus"]["content_sha256"],
            "articles": ma["corpus"]["articles"] == mb["corpus"]["articles"]}


def line(label: str, r: dict, extra: str = "") -> str:
    return f"  {label:<44}{r['wall']:>8.2f}{r['cpu']:>8.2f}{r['load']:>7.1f}  {extra}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="/tmp/idx-base")
    ap.add_argument("--before", default="a8d6d71")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    base = Path(args.base)
    print(f"# update bench  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {os.cpu_count()} CPUs visible (shared), python {platform.python_version()}; "
          f"command: python3 bench/update_bench.py {' '.join(sys.argv[1:])}")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    print(f"after = this checkout ({head.stdout.strip()}), before = {args.before}; base index {base}")
    work = Path(tempfile.mkdtemp(prefix="update-bench-"))
    before = work / "before"
    subprocess.run(["git", "worktree", "add", "--detach", str(before), args.before], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        (work / "files").mkdir()
        files = amended_copies(str(work / "files" / "x"), LAW, args.repeats + 1)
        print(f"\n## one-document update: {LAW} as published text ({files[0].stat().st_size // 1024} kB), "
              "lawglm index update as a CLI subprocess")
        print(f"  {'run':<44}{'wall s':>8}{'CPU s':>8}{'load':>7}  stages (wall/CPU s)")
        b_idx = fresh_copy(base, "before")
        r = run(before, ["index", "update", str(files[0]), "--index-dir", str(b_idx)])
        print(line(f"before ({args.before}), fresh copy", r))
        a_idx = fresh_copy(base, "after")
        r = run(ROOT, ["index", "update", str(files[0]), "--index-dir", str(a_idx)])
        print(line("after, fresh copy (first: tokenises once)", r,
                   ", ".join(f"{k} {v}" for k, v in stages(r["err"]).items())))
        checks = same_build(a_idx, b_idx)
        steady = []
        for i, f in enumerate(files[1:], 1):
            r = run(ROOT, ["index", "update", str(f), "--index-dir", str(a_idx)])
            steady.append(r)
            print(line(f"after, update #{i + 1} of that index", r,
                       ", ".join(f"{k} {v}" for k, v in stages(r["err"]).items())))
        print(f"  steady state: median {statistics.median(x['wall'] for x in steady):.2f} s wall, "
              f"{statistics.median(x['cpu'] for x in steady):.2f} s CPU (goal <= 5 s)")
        print("  before vs after, same base + same file: "
              + ", ".join(f"{k} {'identical' if v else 'DIFFERENT'}" for k, v in checks.items()))

        print("\n## lookup 民法典 1254 (CLI subprocess), median of", args.repeats)
        print(f"  {'run':<44}{'wall s':>8}{'CPU s':>8}{'load':>7}")
        outs = {}
        for who, cwd in (("before", before), ("after", ROOT)):
            for label, idx in (("no index", work / "none"), ("index links.json", base)):
                cmd = ["lookup", "民法典", "1254", "--index-dir", str(idx)]
                rs = [run(cwd, cmd) for _ in range(args.repeats)]
                med = {k: statistics.median(x[k] for x in rs) for k in ("wall", "cpu", "load")}
                outs[(who, label)] = rs[0]["out"]
                print(line(f"{who}, {label}", med))
        same = outs[("before", "no index")] == outs[("after", "no index")]
        print(f"  output without an index: {'identical' if same else 'DIFFERENT'} before/after")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, capture_output=True,
                       check=False)
        shutil.rmtree(work, ignore_errors=True)
        for name in ("before", "after"):
            shutil.rmtree(f"/tmp/idx-update-bench-{name}", ignore_errors=True)


if __name__ == "__main__":
    main()
