"""How often the retrieval-only answer's stated yes / no is right, on the blind set — data no rule was
tuned on (bench/data/blind/blind.jsonl, 61 rows; gold `yesno` 是 / 否, or something else / empty where the
question has no plain yes / no).

    python3 bench/yesno_blind.py --index-dir /tmp/idx-final [--rows]

Every `query` is answered by the retrieval-only assistant (eval/generation.load_assistants, mode
retrieval-only, temperature 0, today = the answers set's day, as `lawglm eval answers` does); the yes / no
is read from the 结论's first sentence exactly as the answers eval scores it (eval/answers.verdict). Per gold
是 / 否 row: right, wrong (a stated yes/no against the gold — the harm that costs a person a right) or not
stated; a yes / no stated where the gold has none is counted apart (rows without 是 / 否).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLIND = ROOT / "bench" / "data" / "blind" / "blind.jsonl"
GOLD = {"是": "yes", "否": "no"}


def main() -> None:
    from lawglm.eval.answers import DEFAULT_TODAY, verdict
    from lawglm.eval.generation import GenEvalConfig, load_assistants
    from lawglm.settings import get_settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--data", default=str(BLIND))
    ap.add_argument("--rows", action="store_true", help="print every stated yes/no with its verdict")
    args = ap.parse_args()
    settings = get_settings(index_dir=args.index_dir)
    cfg = GenEvalConfig(data=args.data, modes=["retrieval-only"], progress=False)
    assistant, adapter = load_assistants(cfg, settings)["retrieval-only"]
    assistant.today = lambda: DEFAULT_TODAY
    with open(args.data, encoding="utf-8") as fh:
        rows = [json.loads(x) for x in fh if x.strip()]
    count: Counter = Counter()
    for row in rows:
        answer = assistant.ask(row["query"], temperature=0, adapter=adapter).answer
        first = answer.split("\n", 1)[0].removeprefix("结论：")
        said, gold = verdict(first), GOLD.get(row.get("yesno") or "")
        if gold is None:
            key = "no gold, stated" if said else "no gold, not stated"
        else:
            key = "not stated" if said is None else "right" if said == gold else "WRONG"
        count[key] += 1
        if args.rows and said is not None:
            print(f"  {key:18} {row['id']} gold={row.get('yesno') or '-'} said={said} | {first[:70]}")
    stated = count["right"] + count["WRONG"]
    print(f"blind set {args.data} ({len(rows)} rows; index {args.index_dir}; retrieval-only; "
          f"today {DEFAULT_TODAY})")
    print(f"gold 是/否 rows {stated + count['not stated']}: right {count['right']}, WRONG {count['WRONG']}, "
          f"not stated {count['not stated']}; precision of stated "
          f"{count['right'] / stated if stated else float('nan'):.3f}")
    print(f"rows without a 是/否 gold: stated {count['no gold, stated']}, "
          f"not stated {count['no gold, not stated']}")


if __name__ == "__main__":
    main()
