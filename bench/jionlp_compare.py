"""Money, date and duration fields of contract requests: lawglm's rules vs jionlp, side by side in one run.

    python3 bench/jionlp_compare.py                      # dev, dev2 and the held-back third
    python3 bench/jionlp_compare.py --part heldout --errors

Needs `pip install jionlp` (not a lawglm dependency: the rules won, see README "Contracts").

Both columns draft every request of bench/data/contract_requests/ (parts as in bench/contract_eval.py)
through the real `draft(request=…)` path with the rule extractor; the cue logic (which clause, which value
next to which cue word, what is already taken) is the same. They differ only in what recognises and parses
the values inside a clause:
  rules   lawglm/contracts: AMOUNT_RE + parse_amount, dates_in / date_ranges, DURATION_RE + unit conversion
          (with its 两个月租金-is-money and 3月底-is-a-month filters), a bare number after a money cue
  jionlp  jionlp.ner.extract_money (amounts in 元; the bare number after a money cue is kept only if
          jionlp.parse_money parses it), jionlp.ner.extract_time: `time_point`s of one day are dates,
          `time_span`s of two days are date ranges, `time_delta`s are durations converted to the field's
          unit (年 -> 12 个月, 周 -> 7 日). Relative dates resolve against a fixed base, 2026-06-01.
Fields are scored as bench/contract_eval.py scores them (right value: TP; wrong or unexpected: FP; missing or
wrong: FN), per class: money (type money), date (type date), duration (integer fields counted in 个月 / 年 /
日, not 发薪日 or 份数), and all fields of the draft.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_eval import extractor, load_set, score_one

BASE = time.mktime((2026, 6, 1, 0, 0, 0, 0, 0, -1))
CLASSES = ("money", "date", "duration", "all")
UNIT_OF = {"year": "年", "month": "个月", "day": "日", "week": "周"}
CONVERT = {("年", "个月"): 12, ("周", "日"): 7}


def field_class(spec) -> str | None:
    if spec.type in ("money", "date"):
        return spec.type
    if spec.type == "integer" and spec.unit in ("个月", "年", "日") and spec.maximum != 31:
        return "duration"
    return None


# --- jionlp in place of the value recognisers ---------------------------------------------------
def _jio():
    try:
        import jionlp
    except ImportError:
        raise SystemExit("this comparison needs jionlp: pip install jionlp") from None
    return jionlp


def _money(clause: str) -> list[tuple[int, int, str]]:
    from lawglm.contracts.scalars import RATE_BEFORE

    out = []
    for ent in _jio().ner.extract_money(clause, with_parsing=True):
        d = ent["detail"]
        # 每台1元: a rate, not the amount (the same cue rule as the rules column)
        if d.get("case") == "元" and d.get("definition") == "accurate" \
                and not RATE_BEFORE.search(clause[:ent["offset"][0]]):
            out.append((ent["offset"][0], ent["offset"][1], d["num"]))
    return out


def _day(stamp: str) -> str:
    return stamp[:10]


def _time(text: str) -> list[dict]:
    try:
        return _jio().ner.extract_time(text, time_base=BASE, with_parsing=True)
    except Exception:  # noqa: BLE001 - jionlp raises on some inputs; no time found
        return []


BASE_STAMP = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(BASE))


def _open_end(ent: dict) -> str | None:
    """The one written date of a span jionlp left open or closed at the base time: 2026年3月15日前
    ['-inf', 03-15], 从2026年7月1日开始 [07-01, 'inf'], 2026年3月20日起 [03-20, base]."""
    a, b = ent["detail"]["time"]
    if not re.search(r"月.*[日号]", ent["text"]):  # 15日内 is a duration, not a date
        return None
    if a in ("-inf", BASE_STAMP) and b not in ("inf", "-inf", BASE_STAMP):
        return _day(b)
    if b in ("inf", BASE_STAMP) and a not in ("-inf", BASE_STAMP):
        return _day(a)
    return None


def _date_part(text: str, s: int, e: int) -> tuple[int, int]:
    """The span of the written date inside an entity (从2026年7月1日开始 -> 2026年7月1日), so cue words around
    it (从, 开始, 前) stay outside the value as they do for the rules."""
    m = re.search(r"[\d一二三四五六七八九十〇零今明去本下上].*[日号]", text[s:e])
    return (s + m.start(), s + m.end()) if m else (s, e)


def jio_dates_in(text: str) -> list[tuple[int, int, str]]:
    out = []
    for ent in _time(text):
        d = ent["detail"]
        if ent["type"] == "time_point" and _day(d["time"][0]) == _day(d["time"][1]):
            out.append((*_date_part(text, *ent["offset"]), _day(d["time"][0])))
        elif ent["type"] == "time_span" and (day := _open_end(ent)):
            out.append((*_date_part(text, *ent["offset"]), day))
        elif ent["type"] == "time_span" and d["definition"] == "accurate":
            for a, b, day in _span_points(text, ent):
                out.append((a, b, day))
    return sorted(out)


def _span_points(text: str, ent: dict):
    """A two-day time_span (A至B) as its two dates, each with the part of the span before / after 至."""
    s, e = ent["offset"]
    d = ent["detail"]["time"]
    a, b = _day(d[0]), _day(d[1])
    if a == b or d[0][11:] != "00:00:00" or d[1][11:] != "23:59:59":
        return []
    piece = text[s:e]
    cut = min((piece.find(w) for w in ("至", "到", "—", "-", "~", "～") if w in piece), default=-1)
    if cut <= 0:
        return []
    return [(s, s + cut, a), (s + cut + 1, e, b)]


def jio_date_ranges(text: str):
    out = []
    for ent in _time(text):
        if ent["type"] == "time_span":
            pts = _span_points(text, ent)
            if len(pts) == 2:
                out.append((pts[0], pts[1]))
    return out


def _durations(spec, clause: str) -> list[tuple[int, int, str]]:
    from lawglm.contracts.money import format_number

    out = []
    for ent in _time(clause):
        span = ent["detail"]["time"]
        if ent["type"] == "time_span" and ent["text"].endswith("内") and span[0] == BASE_STAMP \
                and spec.unit == "日" and span[1] not in ("inf", "-inf"):  # 15日内: from the base, 15 days
            days = (time.mktime(time.strptime(_day(span[1]), "%Y-%m-%d")) - BASE) / 86400
            out.append((ent["offset"][0], ent["offset"][1], str(round(days))))
            continue
        if ent["type"] != "time_delta" or len(ent["detail"]["time"]) != 1:
            continue
        (unit, n), = ent["detail"]["time"].items()
        have = UNIT_OF.get(unit)
        factor = 1 if have == spec.unit else CONVERT.get((have, spec.unit))
        if factor:
            from decimal import Decimal

            out.append((ent["offset"][0], ent["offset"][1], format_number(Decimal(str(n)) * factor)))
    return out


def _parse_money(text: str) -> str | None:
    try:
        return _jio().parse_money(text)["num"]
    except Exception:  # noqa: BLE001 - jionlp raises on what it cannot parse (三万元整, 3块5)
        return None


@contextmanager
def jionlp_values():
    """Swap the money / date / duration recognisers of lawglm.contracts for jionlp's (see the module doc)."""
    from lawglm.contracts import extract, scalars

    saved = {k: getattr(scalars, k) for k in ("_values_in", "_money_after", "dates_in", "date_ranges")}
    saved_extract = extract.dates_in
    ours_values, ours_after = saved["_values_in"], saved["_money_after"]

    def values_in(spec, text, s, e):
        cls = field_class(spec)
        if cls == "money":
            found = _money(text[s:e])
        elif cls == "duration":
            found = _durations(spec, text[s:e])
        elif cls == "date":
            return [(a, b, v) for a, b, v in jio_dates_in(text) if s <= a and b <= e]
        else:
            return ours_values(spec, text, s, e)
        return [(s + a, s + b, v) for a, b, v in found]

    def money_after(text, cue_end, e):
        out = []
        for a, b, v in ours_after(text, cue_end, e):
            if (num := _parse_money(str(v))) is not None:
                out.append((a, b, num))
        return out

    scalars._values_in, scalars._money_after = values_in, money_after
    scalars.dates_in = extract.dates_in = jio_dates_in
    scalars.date_ranges = jio_date_ranges
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(scalars, k, v)
        extract.dates_in = saved_extract


# --- scoring ------------------------------------------------------------------------------------
def classes_of(template: str) -> dict[str, str]:
    from lawglm.contracts.schema import get_template

    return {n: c for n, spec in get_template(template).fields.items() if (c := field_class(spec))}


def run(rows: list[dict], extract, errors: bool, label: str) -> dict[str, list[int]]:
    counts = {c: [0, 0, 0] for c in CLASSES}
    for r in rows:
        try:
            template, got = extract(r["request"])
        except Exception:  # noqa: BLE001 - a refusal scores every expected field as missed
            template, got = None, {}
        if template != r["template"]:
            got = {}
        cls = classes_of(r["template"])
        for c in CLASSES:
            names = {n for n in {*r["expected"], *got} if c == "all" or cls.get(n) == c}
            tp, fp, fn, wrong = score_one({k: v for k, v in r["expected"].items() if k in names},
                                          {k: v for k, v in got.items() if k in names})
            for i, v in enumerate((tp, fp, fn)):
                counts[c][i] += v
            if errors and wrong and c != "all":
                print(f"[{label}] {r['id']}: " + "; ".join(wrong))
    return counts


def pr(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return f"{p:.3f} / {r:.3f} ({tp + fn})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="dev,dev2,heldout")
    ap.add_argument("--errors", action="store_true", help="print every wrong money / date / duration field")
    args = ap.parse_args(argv)
    from lawglm.statutes.ingest import load_corpus

    extract = extractor("rules", load_corpus())
    results = defaultdict(dict)
    for part in [p.strip() for p in args.part.split(",") if p.strip()]:
        rows = load_set(part)
        results[part]["rules"] = run(rows, extract, args.errors, "rules")
        with jionlp_values():
            results[part]["jionlp"] = run(rows, extract, args.errors, "jionlp")
        results[part]["n"] = len(rows)
    print("# money / date / duration fields of contract requests: precision / recall (expected fields), "
          "rules vs jionlp, same draft() path")
    print("| part | requests | class | lawglm rules | jionlp |\n|---|---:|---|---|---|")
    for part, res in results.items():
        for c in CLASSES:
            print(f"| {part} | {res['n']} | {c} | {pr(*res['rules'][c])} | {pr(*res['jionlp'][c])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
