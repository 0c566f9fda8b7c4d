"""Routing accuracy on the committed question sets that carry an area label, and how harmful its errors are.

    python3 bench/routing_eval.py [--split dev|heldout|all] [--errors] [--data F ...] [--silver F ...]

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
- with `--silver F ...` (e.g. /work/shared/data/retrieval_*.jsonl, sft_*.jsonl: real questions with gold
  articles), the same report on "silver" labels read off the articles a question cites (SILVER below:
  labour-contract articles on ending a contract -> labor_dismissal, on pay -> wages, 民法典 by 编 / 章, …);
  a question is kept when all its gold articles give one area, and `other` when they all lie in documents
  outside every area (商标法, 公司法, …). Silver labels are automatic and noisy: a second opinion on real
  phrasing, not a replacement for the hand-labelled sets;
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


# (law, first article, last article) -> area: the labels a question's gold articles give it (--silver)
SILVER = [
    ("中华人民共和国劳动合同法", 36, 50, "labor_dismissal"),
    ("中华人民共和国劳动合同法", 87, 87, "labor_dismissal"),
    ("中华人民共和国劳动合同法", 30, 32, "wages"), ("中华人民共和国劳动合同法", 82, 82, "wages"),
    ("中华人民共和国劳动合同法", 85, 85, "wages"), ("中华人民共和国劳动法", 44, 51, "wages"),
    ("工伤保险条例", 1, 999, "work_injury"), ("中华人民共和国职业病防治法", 1, 999, "work_injury"),
    ("中华人民共和国民法典", 703, 734, "tenancy"), ("中华人民共和国民法典", 1040, 1118, "marriage"),
    ("中华人民共和国民法典", 1119, 1163, "inheritance"), ("中华人民共和国民法典", 667, 702, "loans"),
    ("中华人民共和国民法典", 271, 296, "neighbours"), ("中华人民共和国民法典", 937, 950, "neighbours"),
    ("中华人民共和国民法典", 1245, 1258, "neighbours"), ("中华人民共和国民法典", 1032, 1039, "privacy"),
    ("中华人民共和国民法典", 1208, 1217, "traffic"), ("中华人民共和国道路交通安全法", 1, 999, "traffic"),
    ("中华人民共和国消费者权益保护法", 1, 999, "consumer"), ("中华人民共和国食品安全法", 1, 999, "consumer"),
    ("中华人民共和国产品质量法", 1, 999, "consumer"), ("中华人民共和国电子商务法", 1, 999, "online_shopping"),
    ("中华人民共和国个人信息保护法", 1, 999, "privacy"), ("中华人民共和国刑法", 1, 999, "criminal"),
    ("中华人民共和国刑事诉讼法", 1, 999, "criminal"),
] + [(law, 1, 999, "administrative") for law in (
    "中华人民共和国行政处罚法", "中华人民共和国行政复议法", "中华人民共和国行政诉讼法",
    "中华人民共和国行政强制法", "中华人民共和国行政许可法", "中华人民共和国国家赔偿法",
    "中华人民共和国治安管理处罚法")]
# documents outside every area: a question citing only these is `other`
SILVER_OTHER = ("中华人民共和国商标法", "中华人民共和国著作权法", "中华人民共和国专利法",
                "中华人民共和国公司法", "中华人民共和国合伙企业法", "中华人民共和国保险法",
                "中华人民共和国农村土地承包法", "中华人民共和国旅游法", "中华人民共和国土地管理法",
                "中华人民共和国教育法")


def silver_area(gold: list[dict]) -> str | None:
    """The area the gold articles give, `other` when all lie outside every area, None when they disagree
    or some article gives none."""
    areas = set()
    for g in gold:
        hit = [a for law, lo, hi, a in SILVER if g["law"] == law and lo <= int(g["article_no"]) <= hi]
        if hit:
            areas.add(hit[0])
        elif g["law"] in SILVER_OTHER:
            areas.add("other")
        else:
            return None
    return areas.pop() if len(areas) == 1 else None


def read_silver(path: Path, seen: set[str], split: str) -> list[tuple[str, str, str]]:
    """(id, question, silver area) of the rows of `path` with a silver label and a question not in `seen`;
    a row with an id (bench/data/scenarios) is read only in its split, like the labelled sets."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        if "id" in row and split != "all" and held_back(row["id"]) != (split == "heldout"):
            continue
        q = row.get("query") or row.get("question") or ""
        area = silver_area(row.get("gold") or [])
        if area is not None and q not in seen:
            seen.add(q)
            out.append((f"{path.stem}:{i + 1}", q, area))
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
        cands = candidates(r, q)
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
        if r.area == "other":
            no_deadline += 1
        true_days = first_days(truth)
        if first_days(r.area) > true_days and r.area != "other":
            harm_routed += 1
        shown = min((first_days(a) for a in (cands if len(cands) > 1 else (shown_area,))),
                    default=float("inf"))
        if shown > true_days and shown != float("inf"):
            harm_shown += 1
        harmful = shown > true_days and shown != float("inf")
        errors.append((rid, truth, r, cands, q, "HARM" if harmful else ""))
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
    ap.add_argument("--silver", nargs="*", type=Path, default=[],
                    help="gold-article files labelled automatically by the articles they cite (see the doc)")
    ap.add_argument("--errors", action="store_true",
                    help="print every misrouted question (dev only for the sets with a held-back third)")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args(argv)
    held = [p for p in args.data if p.resolve() in {d.resolve() for d in DATA}] + args.silver
    if args.errors and args.split != "dev" and held:
        print("--errors: only with --split dev for the sets with a held-back third (their held-back questions"
              " are never printed)", file=sys.stderr)
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
    seen: set[str] = set()  # the shared files repeat questions (retrieval_* and sft_*)
    silver = [row for path in args.silver for row in read_silver(path, seen, args.split)]
    errors = m["errors"]
    if silver:
        ms = measure(silver)
        report("silver (" + ", ".join(p.name for p in args.silver) + ")", ms, args.top)
        errors += ms["errors"]
    if args.errors:
        print()
        for rid, truth, r, cands, q, harm in errors:
            print(f"{rid}\t{truth}->{r.area}\t{harm}\tconf={r.confidence:.2f}\tcands={','.join(cands)}\t"
                  f"{json.dumps(r.scores, ensure_ascii=False)}\t{q}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
