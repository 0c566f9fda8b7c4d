"""Fit the deciding-article chooser (lawglm/answer/chooser.py → lawglm/data/decider.json) on real questions
with the articles a lawyer cited, and report how it picks against today's overlap rule.

    python3 bench/decider_train.py --index-dir /tmp/idx-final --fit dev+answers --precision 0.85 [--install] \
        [--train ../shared/data/sft_train.jsonl] [--dev ../shared/data/sft_dev.jsonl] [--skip-dev 80] \
        [--work DIR]

Sets: train (--train, sft_train), dev (--dev, sft_dev), answers (the dev rows of bench/data/answers, gold
`article`), everyday (the dev rows of bench/data/everyday, gold `gold`); held-back rows are never read. For
every row with a gold article (sft rows: `gold` plus the valid citations among `cited`) the question is
retrieved as the retrieval-only answer retrieves it (Assistant.search, default top_k) — cached in --work — and
each of the top chooser.CANDIDATES articles gets its features (chooser.features) and label (a gold article). A
candidate may be chosen when its best 款/项 shares at least MIN_SHARED content bigrams with the question.
--fit names the set(s) fitted on (cross-validated); the others are only evaluated. Printed:
  cv      5-fold cross-validation on the fitted set(s) (folds by sha1 of the question): top-1 pick accuracy of
          the model and of today's rule (clauses.ranked: rank-weighted overlap), over all questions and over
          those where an eligible candidate is gold, per origin; calibration of the picks' probabilities
  others  the same for the model fitted on all of --fit, on each other set
  sure_at the smallest probability (0.05 grid) whose cross-validated picks are at least --precision gold:
          the line between 「起决定作用的是」 and 「与您的问题最相关的是」
--install writes the weights, bias, sure_at and each rank's mean retrieval score (what an unscored source is
read as) to lawglm/data/decider.json (atomic).
Why not --fit train: the shipped ranker was trained with sft_train's questions (and ships LeCoQA's as known
questions), so retrieval on them is far better than on new questions (top hit gold 93 % vs 53 % on
sft_dev) and a model fitted there only learns to trust retrieval; sft_dev and the answers rows are new to it.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lawglm.train import decider as td

K = 5
BINS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def log(*a) -> None:
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def _dev_rows(path: Path, question: str, gold: str) -> list[tuple]:
    """(question, [(law, article_no)], [], origin) of the dev split of one of our answers / everyday sets
    (the held-back third is never read)."""
    from lawglm.eval.answers import held_back

    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line) if line.strip() else None
            if r is None or held_back(r["id"]):
                continue
            arts = r[gold] if isinstance(r[gold], list) else [r[gold]] if r.get(gold) else []
            if arts:
                out.append((r[question], [(a["law"], int(a["article_no"])) for a in arts], [], path.stem))
    return out


SETS = {"answers": (ROOT / "bench/data/answers/answers.jsonl", "question", "article"),
        "everyday": (ROOT / "bench/data/everyday/everyday.jsonl", "query", "gold")}


def retrieve(path: str, index_dir: str, work: Path) -> list[tuple]:
    """(question, articles, scores, gold, origin) per gold row of `path` (an sft file, or `answers` /
    `everyday`: our sets' dev split), cached in work."""
    cache = work / (Path(path).stem + ".pkl")
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from lawglm.answer.assistant import Assistant
    from lawglm.answer.options import AskOptions
    from lawglm.search.retrieval import Retriever
    from lawglm.settings import get_settings

    settings = get_settings(index_dir=index_dir)
    assistant = Assistant(Retriever.from_settings(settings), None, settings)
    corpus = assistant.retriever.corpus
    rows = _dev_rows(*SETS[path]) if path in SETS else td.read_gold(path)
    out = []
    for n, (q, gold, cited, origin) in enumerate(rows):
        hits = assistant.search(q, [], AskOptions(question=q, top_k=settings.top_k))
        laws = td.gold_articles(gold, cited, corpus)
        if laws:
            out.append((q, [h.article for h in hits], [h.score for h in hits], laws, origin))
        if n % 500 == 0:
            log(path, n)
    work.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(out))
    return out


def groups_of(rows: list[tuple]) -> list[td.Group]:
    out = []
    for q, arts, scores, gold, origin in rows:
        g = td.make_group(q, arts, scores, gold, td.fold_of(q, K), origin)
        if g is not None:
            out.append(g)
    return out


def threshold(chosen: list, precision: float) -> float:
    """The smallest probability (on a 0.05 grid) from which the picks are at least `precision` gold."""
    for t in np.arange(0.05, 1.0, 0.05):
        claims = [(i, g) for i, p, g in chosen if i >= 0 and p >= t]
        if claims and sum(1 for i, g in claims if g.y[i] > 0) / len(claims) >= precision:
            return round(float(t), 2)
    return 0.95


def main() -> None:
    from lawglm.answer.chooser import DEFAULT_CHOOSER, FEATURES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", default="index")
    ap.add_argument("--train", default="../shared/data/sft_train.jsonl")
    ap.add_argument("--dev", default="../shared/data/sft_dev.jsonl")
    ap.add_argument("--work", default="/tmp/lawglm-decider")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--precision", type=float, default=0.85,
                    help="cross-validated claim precision for sure_at")
    ap.add_argument("--origin", default="", help="train only on rows whose source starts with this")
    ap.add_argument("--fit", choices=("train", "dev", "dev+answers"), default="dev+answers",
                    help="the set fitted on (cross-validated); the others are only evaluated")
    ap.add_argument("--drop", default="", help="features left out (comma-separated)")
    ap.add_argument("--skip-dev", type=int, default=80,
                    help="the first N rows of --dev are never fitted on or reported: they are the "
                         "consultations `lawglm eval answers --rouge-data` scores (two slices of 40)")
    ap.add_argument("--install", action="store_true")
    args = ap.parse_args()
    work = Path(args.work)
    sets = {"train": args.train, "dev": args.dev, "answers": "answers", "everyday": "everyday"}
    groups = {name: groups_of(retrieve(path, args.index_dir, work)) for name, path in sets.items()}
    with open(args.dev, encoding="utf-8") as fh:
        measured = {json.loads(line)["question"] for line, _ in zip(fh, range(args.skip_dev))}
    groups["dev"] = [g for g in groups["dev"] if g.question not in measured]
    drop = [FEATURES.index(x) for x in args.drop.split(",") if x]
    for g in (g for gs in groups.values() for g in gs):
        g.x[:, drop] = 0.0  # a dropped feature reads 0 everywhere: its weight is 0 and it is not saved
    fit = [g for name in args.fit.split("+") for g in groups[name]]
    if args.origin:
        fit = [g for g in fit if g.origin.startswith(args.origin)]
    log(f"fit on {args.fit}: {len(fit)} questions; features {', '.join(FEATURES)}")
    chosen = []
    for f in range(K):
        w, b = td.fit_logistic(*td.stack([g for g in fit if g.fold != f]), l2=args.l2)
        chosen += td.picks([g for g in fit if g.fold == f], w, b)
    sure_at = threshold(chosen, args.precision)
    print(f"cv ({K} folds of {args.fit})", json.dumps(td.report(chosen, sure_at)))
    for origin in sorted({g.origin for g in fit}):
        part = [c for c in chosen if c[2].origin == origin]
        print(f"cv {origin:<24}", json.dumps(td.report(part, sure_at)))
    print("cv calibration (p>=, picks, gold):", td.calibration(chosen, BINS))
    w, b = td.fit_logistic(*td.stack(fit), l2=args.l2)
    results = {}
    for name, gs in groups.items():
        if name in args.fit.split("+"):
            continue
        results[name] = td.report(td.picks(gs, w, b), sure_at)
        print(f"{name:<9}", json.dumps(results[name]))
        print(f"{name} calibration (p>=, picks, gold):", td.calibration(td.picks(gs, w, b), BINS))
    print(f"sure_at {sure_at} (cv claims >= {args.precision} gold); weights (raw features), bias {b:.3f}:")
    for name, x in zip(FEATURES, w):
        print(f"  {name:<14} {x:+.3f}")
    if args.install:
        info = {"fitted_on": "+".join(Path(sets[x]).name for x in args.fit.split("+")),
                "questions": len(fit), "l2": args.l2,
                "precision": args.precision, "cv": td.report(chosen, sure_at), **results,
                "made_by": "python3 bench/decider_train.py"}
        td.save(DEFAULT_CHOOSER, w, b, sure_at, info, skip=args.drop.split(","),
                rank_scores=td.rank_scores(fit))
        log("wrote", DEFAULT_CHOOSER)


if __name__ == "__main__":
    main()
