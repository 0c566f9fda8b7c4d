"""Routing accuracy on the committed question sets that carry an area label, and how harmful its errors are.

    python3 bench/routing_eval.py [--split dev|heldout|all] [--errors] [--data F ...]

Data: bench/data/everyday/everyday.jsonl (`query`, `area`) and bench/data/answers/answers.jsonl
(`question`, `area`). Split: a row is held back when int(sha1(id), 16) % 3 == 0; `--split dev` (default)
reads only the other rows; `heldout` is for the one final measurement (`--errors` refuses it, so held-back
questions are never printed).

Printed, per set and for both together:
- accuracy: search/routing.route(question).area == the row's area, overall and per true area;
- the most frequent confusions (true -> routed);
- unsure rate: the share of questions for which 下一步 (answer/areas.candidates) lists more than one area,
  and how often the true area is among the candidates (the answer compares their deadlines);
- harmful confusions: the routed area's first deadline (the shortest period of the area that runs from the
  question's events, lawglm/data/areas.json) is longer than the true area's — counted twice: for the routed
  area alone ("routed"), and for what 下一步 shows first, the shortest over the candidates ("shown");
  "no deadline" counts questions routed to `other`, for which no period is shown at all;
- time per route() call (wall, after one warm-up call, mean over all questions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lawglm.answer.areas import area_of, area_spec, candidates, periods
from lawglm.search.routing import AREAS, route

DATA = (ROOT / "bench/data/everyday/everyday.jsonl", ROOT / "bench/data/answers/answers.jsonl")


def held_back(row_id: str) -> bool:
    return int(hashlib.sha1(row_id.encode()).hexdigest(), 16) % 3 == 0


def read(path: Path, split: str) -> list[tuple[str, str, str]]:
    """(id, question, area) of the split's rows."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if split != "all" and held_back(row["id"]) != (split == "heldout"):
            continue
        out.append((row["id"], row.get("query") or row["question"], row["area"]))
    return out


def first_days(area: str) -> float:
    """Upper bound in days of the area's shortest period that runs from the question's events; inf: none."""
    table = periods()
    days = [table[n].days_upper_bound() for n in area_spec(area)["periods"] if not table[n].later]
    return min(days, default=float("inf"))


def measure(rows: list[tuple[str, str, str]]) -> dict:
    route(rows[0][1] if rows else "")  # warm-up: loads the cue table
    per_area: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: Counter = Counter()
    unsure = covered = harm_routed = harm_shown = no_deadline = 0
    errors = []
    buckets: dict[float, list[int]] = defaultdict(lambda: [0, 0])  # confidence bucket -> [correct, n]
    t0 = time.perf_counter()
    routings = [route(q) for _, q, _ in rows]
    seconds = time.perf_counter() - t0
    for (rid, q, truth), r in zip(rows, routings):
        per_area[truth][1] += 1
        bucket = buckets[min(0.8, int(r.confidence * 5) / 5)]
        bucket[1] += 1
        bucket[0] += r.area == truth
        cands = candidates(r)
        shown_area = area_of(q, r)
        if shown_area != r.area:
            cands = (shown_area, *[a for a in cands if a != shown_area])
        if len(cands) > 1:
            unsure += 1
        if truth in cands:
            covered += 1
        if r.area == truth:
            per_area[truth][0] += 1
            continue
        confusions[(truth, r.area)] += 1
        errors.append((rid, truth, r, cands, q))
        if r.area == "other":
            no_deadline += 1
        true_days = first_days(truth)
        if first_days(r.area) > true_days and r.area != "other":
            harm_routed += 1
        shown = min((first_days(a) for a in (cands if len(cands) > 1 else (shown_area,))),
                    default=float("inf"))
        if shown > true_days and shown != float("inf"):
            harm_shown += 1
    n = len(rows)
    return {"n": n, "correct": sum(v[0] for v in per_area.values()), "per_area": dict(per_area),
            "confusions": confusions, "unsure": unsure, "covered": covered, "harm_routed": harm_routed,
            "harm_shown": harm_shown, "no_deadline": no_deadline, "ms": 1000 * seconds / max(n, 1),
            "errors": errors, "buckets": dict(buckets)}


def report(name: str, m: dict, top: int) -> None:
    n = max(m["n"], 1)
    print(f"\n== {name}: {m['n']} questions ==")
    print(f"accuracy {m['correct'] / n:.3f} ({m['correct']}/{m['n']})   "
          f"unsure {m['unsure'] / n:.3f} ({m['unsure']})   true area among candidates "
          f"{m['covered'] / n:.3f} ({m['covered']})")
    print(f"harmful confusions (longer first deadline than the true area's): routed {m['harm_routed']}, "
          f"shown {m['harm_shown']};  routed to other (no deadline) {m['no_deadline']};  "
          f"{m['ms']:.3f} ms/route")
    print("per area: " + "  ".join(f"{a} {c}/{t}" for a in AREAS if (a in m["per_area"])
                                   for c, t in [m["per_area"][a]]))
    print("calibration (confidence bucket: accuracy n): " + "  ".join(
        f"[{b:.1f},{b + 0.2:.1f}{']' if b >= 0.8 else ')'}: {c / t:.2f} {t}"
        for b, (c, t) in sorted(m["buckets"].items())))
    if m["confusions"]:
        top_errors = m["confusions"].most_common(top)
        top_errors = m["confusions"].most_common(top)
        print("top confusions: " + ", ".join(f"{t}->{r} {k}" for (t, r), k in top_errors))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    ap.add_argument("--data", nargs="+", type=Path, default=list(DATA))
    ap.add_argument("--errors", action="store_true", help="print every misrouted question (dev only)")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args(argv)
    if args.errors and args.split != "dev":
        print("--errors: only with --split dev (held-back questions are never printed)", file=sys.stderr)
        return 2
    print(f"routing_eval: split={args.split}; route() of search/routing.py, candidates of answer/areas.py; "
          f"first deadline = shortest non-later period of the area in data/areas.json")
    every = []
    for path in args.data:
        rows = read(path, args.split)
        every += rows
        report(path.name, measure(rows), args.top)
    m = measure(every)
    report("all sets", m, args.top)
    if args.errors:
        print()
        for rid, truth, r, cands, q in m["errors"]:
            print(f"{rid}\t{truth}->{r.area}\tconf={r.confidence:.2f}\tcands={','.join(cands)}\t"
                  f"{json.dumps(r.scores, ensure_ascii=False)}\t{q}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
