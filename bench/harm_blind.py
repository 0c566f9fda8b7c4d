"""Harm of 下一步 on the blind everyday set: the first forum and the first period the retrieval-only answer
states, beside the forum and deadline the set's author wrote, and how many answers would cost the person a
right by them.

    python3 bench/harm_blind.py --index-dir /tmp/idx-final [--data bench/data/blind/blind.jsonl]
                                [--today 2026-12-07] [--out answers.jsonl]

Each query is answered by the retrieval-only assistant (lawglm.eval.generation.load_assistants, the one
`lawglm eval answers` uses) and read with lawglm.eval.answers' own reading functions (sections_of,
first_step, stated_periods, court_before_mandatory, verdict): the first period stated in 下一步, the first
forum named as a place to go now in its first step.

The true period is read from the row's free-text `deadline` (「劳动争议仲裁时效一年（…）」) — no period is
written into this script. As a lawyer reads it, the period that binds the person is the first one the
text states, except a period that binds someone else: an authority's own limit (扣押期限不得超过三十日), the
employer's duty where the person's own period follows (用人单位30日内, …职工…1年内), a period after which the
other side is deemed to agree (六个月内未提出异议的视为同意) and a period named only to say it does not apply
(不受一年限制). Rows with a deadline text but no period binding the person are listed as not parsed; rows
without a deadline text are not judged on the period.

Harm counted (the issue's definition, on what can be read here):
- period: the first period the answer states is longer than the true one;
- forum: where the row's first forum is one that must come first (劳动仲裁, 行政复议 alone, 工伤认定), the
  first step sends the person to court before it (eval/answers.court_before_mandatory);
- yes/no (shown apart): the 结论's verdict is opposite to the row's 是 / 否.

The blind set was written blind and held out from tuning; this script reads its rows, so after it is used to
find failure patterns the set is no longer blind for 下一步's periods and forums (say so when reporting).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lawglm.eval.answers import (
    FORUM_WORDS,
    court_before_mandatory,
    first_mentions,
    first_step,
    sections_of,
    stated_periods,
    verdict,
)

# a sub-clause whose period binds someone other than the person (see the module doc)
NOT_THE_PERSONS = re.compile(r"不得超过|延长|视为同意|不受.{0,4}限制|^[^未]*用人单位(?!未)")
# the blind `forum` text -> eval/answers' forum key, where that forum must come first
MANDATORY = (("工伤认定", "工伤认定(社保行政部门)"), ("^劳动仲裁", "劳动仲裁"), ("^行政复议$", "行政复议"))
# the forums whose first words name them in a step (行政复议或行政诉讼 is 行政复议 named first)
SINGLE_FORUMS = [k for k in FORUM_WORDS if k != "行政复议或行政诉讼"]


def true_period(text: str) -> tuple[int, str] | None:
    """(days upper bound, words) of the first period in the deadline text that binds the person, None if
    none does (or the text states none)."""
    for part in re.split(r"[；;，,。]", text):
        if NOT_THE_PERSONS.search(part):
            continue
        found = stated_periods(part)
        if found:
            return found[0]
    return None


def mandatory_forum(text: str) -> str | None:
    return next((key for pat, key in MANDATORY if re.search(pat, text)), None)


def answer_forum(step: str) -> str:
    """The forum the first step names first as a place to go now ("-" when none)."""
    at = [(min(hits), k) for k in SINGLE_FORUMS if (hits := first_mentions(FORUM_WORDS[k][0], step))]
    return min(at)[1] if at else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "bench/data/blind/blind.jsonl"))
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--today", default="2026-12-07")
    ap.add_argument("--out", default=None, help="every answer as JSONL")
    args = ap.parse_args()

    from lawglm.eval.generation import RETRIEVAL_ONLY, GenEvalConfig, load_assistants
    from lawglm.settings import get_settings

    today = date.fromisoformat(args.today)
    rows = [json.loads(x) for x in Path(args.data).read_text(encoding="utf-8").splitlines() if x.strip()]
    settings = get_settings(index_dir=args.index_dir)
    assistant, _ = load_assistants(GenEvalConfig(data=args.data, modes=[RETRIEVAL_ONLY], progress=False),
                                   settings)[RETRIEVAL_ONLY]
    assistant.today = lambda: today
    harm_period, harm_forum, harm_yesno, unparsed, judged = [], [], [], [], 0
    written = []
    print(f"{'id':<10} {'area':<16} {'answer forum':<14} {'answer period':<12} | blind forum / deadline")
    for row in rows:
        text = assistant.ask(row["query"], temperature=0).answer
        steps = sections_of(text).get("下一步", "")
        stated = stated_periods(steps)
        step = first_step(text) if steps else ""
        true = true_period(row["deadline"]) if row["deadline"] else None
        marks = []
        if row["deadline"] and true is None:
            unparsed.append(row["id"])
        if true is not None:
            judged += 1
            if stated and stated[0][0] > true[0]:
                harm_period.append(row["id"])
                marks.append("PERIOD>")
        key = mandatory_forum(row["forum"])
        if key is not None and steps and court_before_mandatory(key, step):
            harm_forum.append(row["id"])
            marks.append("FORUM")
        gold = {"是": "yes", "否": "no"}.get(row.get("yesno", ""))
        said = verdict(sections_of(text).get("结论", ""))
        if gold and said and said != gold:
            harm_yesno.append(row["id"])
            marks.append("YESNO")
        first = stated[0][1] if stated else "-"
        print(f"{row['id']:<10} {row['area']:<16} {answer_forum(step):<14} {first:<12} | {row['forum']} / "
              f"{row['deadline'] or '-'} [true: {true[1] if true else '-'}] {' '.join(marks)}")
        written.append(json.dumps({"id": row["id"], "answer": text, "harm": marks}, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text("\n".join(written) + "\n", encoding="utf-8")
    print(f"\nblind rows {len(rows)}; answered retrieval-only (index {settings.index_dir}, today {today})")
    print(f"period judged on {judged} rows; stated period longer than the true one: {len(harm_period)} "
          f"{harm_period}")
    print(f"forum skips a mandatory step: {len(harm_forum)} {harm_forum}")
    print(f"harmful (period or forum): {len(set(harm_period) | set(harm_forum))}")
    print(f"yes/no opposite to the row's (shown apart): {len(harm_yesno)} {harm_yesno}")
    print(f"deadline text with no period binding the person (not parsed): {len(unparsed)} {unparsed}")


if __name__ == "__main__":
    main()
