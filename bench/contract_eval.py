"""Field-level precision / recall of contract extraction on the request-phrasing set, per template.

    python3 bench/contract_eval.py                              # dev + dev2, rule extractor
    python3 bench/contract_eval.py --part dev2 --errors         # one part, print each wrong field
    python3 bench/contract_eval.py --extractor rules,model,hybrid  # extractors side by side, one run
    python3 bench/contract_eval.py --part heldout               # the held-back third (evaluate last)
    python3 bench/contract_eval.py --extractor llm --limit 20   # the local LLM (slow on CPU; opt-in)
    LAWGLM_TEMPLATES_DIR=bench/data/contract_requests/firm_template \
      python3 bench/contract_eval.py --requests bench/data/contract_requests/firm/renovation.jsonl --per-field
        # a user template's own requests (all rows of one JSONL file), P / R per field too

Parts (hand-written requests, each with the field values a careful drafter would take from it —
only what the request states):
  dev      bench/data/contract_requests/<template>.jsonl, the two thirds with sha1(id) % 3 != 0
  heldout  the same files, sha1(id) % 3 == 0 (evaluated once at the end of a round of work)
  dev2     bench/data/contract_requests/dev2/<template>.jsonl: a second set written later with
           deliberately new phrasings, measured before the rules were changed for it
  all      all three
Extractors: rules (lawglm.contracts rules only), model (the trained sequence labeller only),
hybrid (rules, plus a model value where the rules found none, kept only if it validates and
appears in the request), llm (rules + the local LLM, same keep rule).

Each request goes through the real path, `lawglm.contracts.draft(request=...)`, and the draft's
`fields` are compared with the expected ones, field by field:
  a field right (same value)              -> a true positive
  a field given but wrong or not expected -> a false positive (wrong values count as FP and FN)
  a field expected but absent or wrong    -> a false negative
Values compare as the draft's JSON (`Draft.fields`): parties by name and every detail given
(the derived `kind` is ignored), item rows exactly, payment schedules by their percentages,
everything else exactly. A request drafted from the wrong template, or refused, scores every
expected field as missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "contract_requests"
PARTS = ("dev", "dev2", "heldout", "all")
EXTRACTORS = ("rules", "model", "hybrid", "llm")


def held_back(rid: str) -> bool:
    return int(hashlib.sha1(rid.encode("utf-8")).hexdigest(), 16) % 3 == 0


def _rows(folder: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def _file_rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise SystemExit(f"--requests: no such file: {path}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_set(part: str = "dev", data: Path = DATA) -> list[dict]:
    if part == "dev2":
        return _rows(data / "dev2")
    if part == "all":
        return _rows(data) + _rows(data / "dev2")
    return [r for r in _rows(data) if held_back(r["id"]) == (part == "heldout")]


def spread(rows: list[dict], n: int) -> list[dict]:
    """The first n requests taken round-robin across templates (so a small sample covers all of them)."""
    if not n:
        return rows
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by[r["template"]].append(r)
    out, k = [], 0
    while len(out) < min(n, len(rows)):
        for name in sorted(by):
            if k < len(by[name]) and len(out) < n:
                out.append(by[name][k])
        k += 1
    return out


def comparable(name: str, value):
    """The part of a field value that is scored."""
    if isinstance(value, dict) and "name" in value:
        return {k: v for k, v in value.items() if k != "kind"}
    if name == "payment_schedule" and isinstance(value, list):
        return [str(s.get("percent")) for s in value]
    return value


def score_one(expected: dict, got: dict) -> tuple[int, int, int, list[str]]:
    tp = fp = fn = 0
    wrong = []
    for name in sorted(set(expected) | set(got)):
        e = comparable(name, expected[name]) if name in expected else None
        g = comparable(name, got[name]) if name in got else None
        if name in expected and name in got and e == g:
            tp += 1
            continue
        if name in got:
            fp += 1
        if name in expected:
            fn += 1
        wrong.append(
            f"{name}: expected {json.dumps(e, ensure_ascii=False)}, got {json.dumps(g, ensure_ascii=False)}"
        )
    return tp, fp, fn, wrong


def extractor(name: str, corpus):
    """request -> (template, fields) through the real draft() path with the named extractor."""
    from lawglm.contracts import draft

    generator = None
    if name == "llm":
        from lawglm.models.generation import load_generator
        from lawglm.settings import get_settings

        generator = load_generator(get_settings(llm="local"), corpus=corpus)

    def run(request: str) -> tuple[str, dict]:
        d = draft(request=request, corpus=corpus, basis=False, generator=generator,
                  extractor="rules" if name == "llm" else name)
        for note in d.notes:  # what happened to the LLM's proposals
            for key, words in LLM_NOTES.items():
                if note.startswith("LLM") and words in note:
                    run.llm[key] += 1
        return d.template, d.fields
    run.llm = defaultdict(int)
    return run


LLM_NOTES = {
    "rejected (invalid)": "rejected",
    "dropped (not in the request)": "not stated",
    "no JSON": "no JSON",
    "failed": "failed",
}


def evaluate(rows: list[dict], extract, show_errors: bool = False) -> dict:
    per = defaultdict(lambda: {"requests": 0, "tp": 0, "fp": 0, "fn": 0, "refused": 0, "wrong_template": 0})
    fields = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    times = []
    for r in rows:
        s = per[r["template"]]
        s["requests"] += 1
        t0 = time.perf_counter()
        try:
            template, got = extract(r["request"])
        except Exception as exc:  # noqa: BLE001 - any refusal (NoTemplateMatch, FieldErrors …) scores as all missed
            template, got = None, {}
            s["refused"] += 1
            if show_errors:
                print(f"{r['id']}: refused: {type(exc).__name__}: {exc}")
        times.append((time.perf_counter() - t0) * 1000)
        if template is not None and template != r["template"]:
            s["wrong_template"] += 1
            if show_errors:
                print(f"{r['id']}: template {template}, expected {r['template']}")
            got = {}
        tp, fp, fn, wrong = score_one(r["expected"], got)
        for name in set(r["expected"]) | set(got):  # the same comparison, one field at a time
            ftp, ffp, ffn, _ = score_one({name: r["expected"][name]} if name in r["expected"] else {},
                                         {name: got[name]} if name in got else {})
            for k, v in (("tp", ftp), ("fp", ffp), ("fn", ffn)):
                fields[name][k] += v
        s["tp"] += tp
        s["fp"] += fp
        s["fn"] += fn
        if show_errors and wrong:
            print(f"{r['id']}: " + "\n      ".join(wrong))
    return {"per_template": dict(per), "per_field": dict(fields), "ms": times}


def field_table(report: dict) -> str:
    lines = ["| field | expected | given | precision | recall |", "|---|---:|---:|---:|---:|"]
    for name, s in sorted(report["per_field"].items()):
        lines.append(f"| {name} | {s['tp'] + s['fn']} | {s['tp'] + s['fp']} | "
            f"{ratio(s['tp'], s['tp'] + s['fp']):.3f} "
                     f"| {ratio(s['tp'], s['tp'] + s['fn']):.3f} |")
    return "\n".join(lines)


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def table(report: dict) -> str:
    lines = ["| template | requests | fields expected | precision | recall |", "|---|---:|---:|---:|---:|"]
    tot = defaultdict(int)
    for name, s in sorted(report["per_template"].items()):
        for k, v in s.items():
            tot[k] += v
        lines.append(
            f"| {name} | {s['requests']} | {s['tp'] + s['fn']} | {ratio(s['tp'], s['tp'] + s['fp']):.3f} "
            f"| {ratio(s['tp'], s['tp'] + s['fn']):.3f} |"
        )
    lines.append(
        f"| **all** | {tot['requests']} | {tot['tp'] + tot['fn']} | "
        f"**{ratio(tot['tp'], tot['tp'] + tot['fp']):.3f}** | **"
        f"{ratio(tot['tp'], tot['tp'] + tot['fn']):.3f}** |"
    )
    return "\n".join(lines)


def totals(report: dict) -> dict:
    tot = defaultdict(int)
    for s in report["per_template"].values():
        for k, v in s.items():
            tot[k] += v
    return {
        "precision": ratio(tot["tp"], tot["tp"] + tot["fp"]),
        "recall": ratio(tot["tp"], tot["tp"] + tot["fn"]),
        **tot,
    }


def _names(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise SystemExit(f"--{what}: unknown {', '.join(bad) or '(none)'}; choose from {', '.join(allowed)}")
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="dev,dev2", help=f"comma-separated, from {', '.join(PARTS)}")
    ap.add_argument("--extractor", default="rules", help=f"comma-separated, from {', '.join(EXTRACTORS)}")
    ap.add_argument("--errors", action="store_true", help="print every wrong field")
    ap.add_argument("--limit", type=int, default=0,
                    help="N requests of each part only, round-robin across templates (for the slow LLM path)")
    ap.add_argument("--requests", default="",
                    help="score every row of this JSONL file instead of --part (e.g. a user template's "
                        "requests; "
                         "load the template with LAWGLM_TEMPLATES_DIR)")
    ap.add_argument("--per-field", action="store_true", help="also print P / R per field")
    args = ap.parse_args(argv)
    parts, names = _names(args.part, PARTS, "part"), _names(args.extractor, EXTRACTORS, "extractor")

    from lawglm.statutes.ingest import load_corpus

    corpus = load_corpus()
    summary = []
    for name in names:
        extract = extractor(name, corpus)
        for part in ([args.requests] if args.requests else parts):
            rows = spread(_file_rows(Path(part)) if args.requests else load_set(part), args.limit)
            report = evaluate(rows, extract, show_errors=args.errors)
            ms = sorted(report["ms"])
            t = totals(report)
            print(f"# contract extraction, part={part}, extractor={name}, {len(rows)} requests; "
                  f"draft() per request: median {ms[len(ms) // 2]:.1f} ms, max {ms[-1]:.1f} ms; "
                  f"refused {t['refused']}, wrong template {t['wrong_template']}")
            print(table(report))
            if args.per_field:
                print()
                print(field_table(report))
            if name == "llm":
                print(f"LLM proposals: {dict(extract.llm) or 'none noted'}; seconds per request: "
                      f"mean {sum(ms) / len(ms) / 1000:.1f}, median {ms[len(ms) // 2] / 1000:.1f}")
                extract.llm.clear()
            print()
            summary.append((name, part, len(rows), t, ms[len(ms) // 2]))
    if len(summary) > 1:
        print(
            "| extractor | part | requests | precision | recall | median ms |\n|---|---|---:|---:|---:|---:|"
        )
        for name, part, n, t, med in summary:
            print(f"| {name} | {part} | {n} | {t['precision']:.3f} | {t['recall']:.3f} | {med:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
