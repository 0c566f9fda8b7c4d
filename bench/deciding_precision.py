"""How often the retrieval-only 结论's confident form (「就您描述的情形，起决定作用的是《X》第N条…」) names a
gold article (and 款/项), on the dev splits only — the measurement behind settings.DECIDING_* .

    python3 bench/deciding_precision.py --index-dir /tmp/idx-base [--rows]

For every dev row (held-back third int(sha1(id),16)%3==0 skipped) of bench/data/answers/answers.jsonl (gold
`article`, `clause` where given) and bench/data/everyday/everyday.jsonl (gold `articles`), the articles are
retrieved as the retrieval-only answer retrieves them (Assistant.search, default top_k) and the answer's
Decision is built (answer/decided.decide_answer with the hits' scores — the chooser weighs them —, today =
the answers set's day). Printed per data set and
per bin of what drives the choice (where the clause came from — a calculation's rule, 下一步's rule for
what is asked, or the best-matching clause — and, for a matched clause, its score and its margin over the
best clause of another article):
  claims      answers stating 起决定作用; article / clause: of those, how many name a gold article (and, where
              the gold gives a 款/项, that clause)
  hedged      answers naming the closest clause (与您的问题最相关的是…); article: how many name a gold one
Off-topic and small-talk questions (no Decision) are counted apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ANSWERS = ROOT / "bench" / "data" / "answers" / "answers.jsonl"
EVERYDAY = ROOT / "bench" / "data" / "everyday" / "everyday.jsonl"


def _rows(path: Path) -> list[dict]:
    from lawglm.eval.answers import held_back

    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(x) for x in fh if x.strip()]
    return [r for r in rows if not held_back(r["id"])]


def clause_matches(part: str, gold: str) -> bool:
    """The clause's 款/项 part (第二款第（一）项, 第（三）项, '' for a whole article) is the gold one: equal,
    the gold 项 of an article whose 款 the label names, or an item inside the gold 款."""
    return bool(part) and (part == gold or part.endswith(gold) or part.startswith(gold))


def bin_of(d) -> str:
    if d.origin != "matched":
        return d.origin
    lo = next(b for b in (12, 9, 8, 7, 6, 5, 4, 3, 0) if d.score >= b)
    m = "margin<2" if d.margin < 2 else "margin>=2"
    return f"matched score>={lo:>2} {m}"


def main() -> None:
    from lawglm.answer.assistant import Assistant
    from lawglm.answer.chooser import default_chooser
    from lawglm.answer.decided import decide_answer
    from lawglm.answer.options import AskOptions
    from lawglm.eval.answers import DEFAULT_TODAY
    from lawglm.search.retrieval import Retriever
    from lawglm.settings import (
        DECIDING_MIN_MARGIN,
        DECIDING_MIN_SCORE,
        DECIDING_WORDS_MIN_PROBABILITY,
        get_settings,
    )

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--rows", action="store_true", help="print every claim with its verdict")
    args = ap.parse_args()
    settings = get_settings(index_dir=args.index_dir)
    assistant = Assistant(Retriever.from_settings(settings), None, settings)
    corpus = assistant.retriever.corpus

    def same_law(a: str, b: str) -> bool:
        ra, rb = corpus.resolve_law(a), corpus.resolve_law(b)
        return (ra or a) == (rb or b) or a.endswith(b) or b.endswith(a)

    sets = {"answers": [], "everyday": []}
    for r in _rows(ANSWERS):
        if r.get("article"):
            sets["answers"].append((r["id"], r["question"], [r["article"]]))
    for r in _rows(EVERYDAY):
        sets["everyday"].append((r["id"], r["query"], r["gold"]))
    print(f"index {args.index_dir}; today {DEFAULT_TODAY}; dev rows only (held-back third skipped)")
    total = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for name, rows in sets.items():
        bins: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
        skipped = 0
        for rid, question, gold in rows:
            opts = assistant.prepare(AskOptions(question))
            if assistant._off_topic(question, [], opts) is not None:
                skipped += 1
                continue
            hits = assistant.search(question, [], opts)
            d = decide_answer(question, [h.article for h in hits], corpus, DEFAULT_TODAY,
                              scores=[h.score for h in hits])
            c = d.clause
            if c is None:
                bins["no clause (NO_CLAUSE text)"][4] += 1
                continue
            no, law = c.article.article_no, c.article.law
            hit = [g for g in gold if g["article_no"] == no and same_law(law, g["law"])]
            want = next((g["clause"] for g in hit if g.get("clause")), None)
            part = c.label.removeprefix(c.article.label)
            b = bins[bin_of(d)]
            if d.sure:
                b[0] += 1
                b[1] += bool(hit)
                if want:
                    b[2] += 1
                    b[3] += clause_matches(part, want)
            else:
                b[4] += 1
                b[5] += bool(hit)
            if args.rows and d.sure:
                print(f"  {'OK ' if hit else 'BAD'} {rid} {bin_of(d)} {c.citation} | {question[:50]}")
        print(f"\n== {name}: {len(rows)} dev rows, {skipped} off-topic/small talk")
        head = ("bin", "claims", "art ok", "w/ 款项", "款项 ok", "hedged", "h art")
        print(f"{head[0]:32} " + " ".join(f"{h:>6}" for h in head[1:]))
        for k in sorted(bins):
            v = bins[k]
            print(f"{k:32} " + " ".join(f"{x:6}" for x in v))
            for i in range(6):
                total[name][i] += v[i]
        t = total[name]
        prec = f"{t[1] / t[0]:.3f}" if t[0] else "-"
        cprec = f"{t[3] / t[2]:.3f}" if t[2] else "-"
        print(f"claims {t[0]} / {len(rows) - skipped} answered; article precision {prec}; "
              f"款/项 precision {cprec} (of {t[2]} with gold 款/项); "
              f"hedged {t[4]}, naming a gold article {t[5]}")
    claims, right = sum(t[0] for t in total.values()), sum(t[1] for t in total.values())
    print(f"\nboth sets: {claims} claims of 起决定作用, {right} name a gold article "
          f"({right / max(claims, 1):.3f}); rule: settings.DECIDING_MIN_SCORE={DECIDING_MIN_SCORE}, "
          f"DECIDING_MIN_MARGIN={DECIDING_MIN_MARGIN}, DECIDING_WORDS_MIN_PROBABILITY="
          f"{DECIDING_WORDS_MIN_PROBABILITY}; chooser sure_at={default_chooser().sure_at} "
          "(lawglm/data/decider.json)")


if __name__ == "__main__":
    main()
