"""Thresholds for support checking (lawglm/answer/support.py), from labelled (attributed text, article) pairs.

    python3 bench/support_thresholds.py /work/shared/data/sft_dev.jsonl [--index-dir index] [--k 5]
                                        [--neighbours 3] [--show 8]

How the pairs are built (the same code path as answers: citations.verify, then support.attributed):
- every citation a lawyer wrote in an answer that resolves to one of the row's `gold` articles gives
  the words the answer ties to it (a quote after it, or the claim of its clause);
- positive: those words against the cited gold article;
- negatives: the same words against the articles next to it in the same law (number ±1..±neighbours:
  what a misnumbered citation points at) and against the question's top-k retrieved articles (what
  a model is given beside the right one) — both minus the row's gold articles;
- "one change": every positive again with one number, negation or modal changed (三→五, 应当→可以,
  不 dropped), labelled negative against the same article — a misquote n-gram overlap barely sees;
- a second quote set, "verbatim fragments", stands in for a model that copies from its sources: one
  fragment of each gold article (its first clause, and a 40-character window from its middle) against
  the article (positive) and the same negatives. The lawyers' own quotes are few, so this is reported
  separately and never mixed into the lawyer numbers.
Each measure is swept over thresholds; precision, recall and F1 are printed per set, and the
highest-scoring negatives are shown so label noise (a neighbour that really says the same) is visible.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lawglm.answer import overlap, support
from lawglm.records import Article
from lawglm.statutes.citations import verify

THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(14)]  # 0.30 … 0.95


def measures(kind: str) -> dict[str, callable]:
    """name -> f(Attribution, Article) -> score in [0, 1] (0 where a rule rejects the pair).

    charN: share of the attributed words' char N-grams found in the article (support.containment);
    Lk: claims with fewer than k content characters score 0; +crit: 0 when the character alignment finds a
    number, negation or modal that differs (support.differing; checked for scores >= 0.5 only)."""
    def cont(n: int, min_len: int = 0, crit: bool = False):
        def f(att, art):
            text = support.words(att)
            if len(support.normalize(text)) < min_len:
                return 0.0
            score = support.containment(text, art.text, n)
            if (
                crit and score >= 0.5 and support.differing(text, art.text)
            ):  # aligned only where it can matter
                return 0.0
            return score
        return f
    if kind == "quote":
        return {"char2": cont(2), "char3": cont(3), "char4": cont(4), "char3+crit": cont(3, crit=True),
                "char4+crit": cont(4, crit=True)}
    return {"char2": cont(2), "char3": cont(3), "char3 L10": cont(3, 10), "char3 L10+crit": cont(3, 10, True),
            "char4 L10+crit": cont(4, 10, True)}


def neighbours(corpus, a: Article, width: int) -> list[Article]:
    out = []
    for d in range(1, width + 1):
        for no in (a.article_no - d, a.article_no + d):
            n = corpus.get(a.law, no) if no > 0 else None
            if n is not None and n.is_current:
                out.append(n)
    return out


def fragments(a: Article) -> list[str]:
    text = a.text.strip()
    first = text.split("，")[0].split("。")[0]
    mid = len(text) // 2
    out = [first] if len(support.normalize(first)) >= 8 else []
    if len(text) >= 60:
        out.append(text[mid - 20:mid + 20])
    return out


def says_same(a: Article, b: Article) -> bool:
    """Two articles with (nearly) the same text — 劳动法第25条 / 劳动合同法第39条, an amendment and its
    article: a claim matching the other one is not an error, so such pairs are left out as negatives."""
    return max(support.containment(a.text, b.text, 3), support.containment(b.text, a.text, 3)) >= 0.6


def verbatim_in(text: str, article: Article) -> bool:
    return support.normalize(text) in support.normalize(article.text)


def _negatives(corpus, a: Article, hits: list[Article], gold: set, width: int, text: str, dropped: Counter):
    out = {}
    for x in neighbours(corpus, a, width) + hits:
        if (x.law, x.article_no) in gold or x.key in out:
            continue
        if verbatim_in(text, x) or says_same(a, x):
            dropped["negative that says the same (verbatim / near-duplicate article)"] += 1
            continue
        out[x.key] = x
    return list(out.values())


def _stale_gold(corpus, text: str, a: Article) -> Article | None:
    """A quote that isn't in its gold article but is verbatim in another article of the same law: the
    lawyer (and the label) used the number of an older revision."""
    if support.containment(text, a.text, 3) >= 0.2:
        return None
    other, s = support.best_in_law(support.Attribution("quote", text), corpus, a.law)
    return other if other is not None and s >= 0.9 else None


# one change of a number, negation or modal: what a model misquoting an article typically gets wrong
SWAPS = [("应当", "可以"), ("可以", "应当"), ("不得", "可以"), ("不", ""), ("未", "已"), ("无", "有"),
         ("三", "五"), ("五", "三"), ("二", "三"), ("一", "二"), ("六", "八"), ("十", "二十"), ("百", "千")]


def perturbed(pairs) -> list:
    """Each positive pair again, with its words changed once (SWAPS) and labelled negative."""
    out = []
    for att, art, label, i, cited in pairs:
        if not label:
            continue
        text = support.words(att)
        for old, new in SWAPS:
            if old in text:
                changed = text.replace(old, new, 1)
                if not verbatim_in(changed, art):
                    out += [(att, art, 1, i, cited),
                            (support.Attribution(att.kind, changed), art, 0, i, cited)]
                break
    return out


def build_pairs(rows, corpus, retriever, k: int, width: int) -> tuple[dict[str, list], Counter]:
    """{"quote"|"claim"|"fragment": [(text, article, label, row id, cited)]} and what was left out."""
    sets: dict[str, list] = {"quote": [], "claim": [], "fragment": []}
    skipped = Counter()
    for i, row in enumerate(rows):
        gold = {(g["law"], g["article_no"]) for g in row.get("gold", [])}
        hits = [h.article for h in retriever.search(row["question"], k)] if retriever else []
        cites = verify(row["answer"], corpus)
        for c in cites:
            if not c.verified or (c.law, c.article_no) not in gold:
                skipped["citation not of a gold article" if c.verified else c.reason] += 1
                continue
            att = support.attributed(row["answer"], c, cites)
            if att.kind == "none":
                skipped["no words tied to it"] += 1
                continue
            kind = "quote" if att.kind in ("quote", "block") else "claim"
            stale = _stale_gold(corpus, att.text, c.article) if kind == "quote" else None
            if stale is not None:
                skipped[f"stale gold: {c.raw} quotes {stale.citation}"] += 1
                continue
            sets[kind].append((att, c.article, 1, i, c.raw))
            sets[kind] += [
                (att, x, 0, i, c.raw)
                for x in _negatives(corpus, c.article, hits, gold, width, support.words(att), skipped)
            ]
        for law, no in gold:
            a = corpus.get(law, no)
            for frag in fragments(a) if a is not None else []:
                att = support.Attribution("quote", frag)
                sets["fragment"].append((att, a, 1, i, a.citation))
                sets["fragment"] += [(att, x, 0, i, a.citation)
                                     for x in _negatives(corpus, a, hits, gold, width, frag, skipped)]
    return sets, skipped


def sweep(pairs, fn) -> list[dict]:
    scored = [(fn(att, art), label) for att, art, label, *_ in pairs]
    pos = sum(label for _, label in scored)
    out = []
    for t in THRESHOLDS:
        tp = sum(1 for s, label in scored if s >= t and label)
        fp = sum(1 for s, label in scored if s >= t and not label)
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / pos if pos else 0.0
        out.append({"t": t, "tp": tp, "fp": fp, "fn": pos - tp, "p": p, "r": r,
                    "f1": 2 * p * r / (p + r) if p + r else 0.0})
    return out


def print_table(name: str, pairs, fns: dict) -> None:
    pos = sum(p[2] for p in pairs)
    print(f"\n## {name}: {pos} positive, {len(pairs) - pos} negative pairs")
    rows = {m: sweep(pairs, fn) for m, fn in fns.items()}
    print("| t | " + " | ".join(f"{m} P / R / F1 (FP)" for m in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for i, t in enumerate(THRESHOLDS):
        cells = [
            f"{r[i]['p']:.3f} / {r[i]['r']:.3f} / {r[i]['f1']:.3f} ({r[i]['fp']})" for r in rows.values()
        ]
        print(f"| {t:.2f} | " + " | ".join(cells) + " |")


def show_extremes(name: str, pairs, fn, show: int) -> None:
    scored = sorted(((fn(t, a), t.text, a, lab, cited) for t, a, lab, _, cited in pairs), key=lambda x: x[0])
    negs = [x for x in scored if not x[3]][-show:]
    poss = [x for x in scored if x[3]][:show]
    print(f"\n### {name}: highest-scoring negatives")
    for s, t, a, _, cited in reversed(negs):
        print(f"- {s:.3f} cited {cited} vs {a.citation}: {t[:70]!r}")
    print(f"### {name}: lowest-scoring positives")
    for s, t, a, _, cited in poss:
        print(f"- {s:.3f} {cited}: {t[:70]!r}")


def _percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {"n": len(times), "p50_ms": round(times[len(times) // 2], 3),
            "p90_ms": round(times[int(len(times) * 0.9)], 3), "max_ms": round(times[-1], 3)}


def time_check(rows, corpus, retriever, k: int) -> dict:
    """check_support wall time per answer, sources = the question's top-k: (a) the dev answers that cite
    something, first call (n-gram and per-law caches cleared before each answer) and repeated; (b) the
    retrieval-only answer (format_retrieved: k whole articles quoted under their headings)."""
    from lawglm.answer.assistant import format_retrieved

    cold, warm, retrieved = [], [], []
    for row in rows:
        hits = retriever.search(row["question"], k) if retriever else []
        srcs = [h.article for h in hits]
        if verify(row["answer"], corpus):
            for bucket in (cold, warm):
                if bucket is cold:
                    overlap.ngrams.cache_clear()
                    overlap.differing.cache_clear()
                    support._law_texts.clear()
                cites = verify(row["answer"], corpus)
                t0 = time.perf_counter()
                support.check_support(row["answer"], cites, srcs, corpus)
                bucket.append((time.perf_counter() - t0) * 1000)
        text, cites = format_retrieved(hits, corpus)
        t0 = time.perf_counter()
        support.check_support(text, cites, srcs, corpus)
        retrieved.append((time.perf_counter() - t0) * 1000)
    return {"dev answers, cold caches": _percentiles(cold), "dev answers, warm": _percentiles(warm),
            f"retrieval-only answers ({k} articles)": _percentiles(retrieved)}


def reasons_on_dev(rows, corpus, retriever, k: int) -> Counter:
    """What check_support says about every citation the lawyers wrote, sources = gold + top-k retrieved."""
    out = Counter()
    for row in rows:
        gold = [
            a for a in (corpus.get(g["law"], g["article_no"]) for g in row.get("gold", [])) if a is not None
        ]
        hits = [h.article for h in retriever.search(row["question"], k)] if retriever else []
        _, cites = support.check_support(row["answer"], verify(row["answer"], corpus), gold + hits, corpus)
        out.update(
            c.support["reason"] + (" (corrected)" if c.support.get("corrected_from") else "") for c in cites
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", help="sft_dev.jsonl: {question, answer, gold: [{law, article_no}], cited}")
    ap.add_argument("--index-dir", default="index", help="index for the retrieved negatives ('' = none)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--neighbours", type=int, default=3)
    ap.add_argument("--show", type=int, default=8)
    args = ap.parse_args()
    from lawglm.statutes.ingest import load_corpus

    with open(args.data, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    retriever = None
    if args.index_dir:
        from lawglm.search.retrieval import Retriever

        retriever = Retriever.load(args.index_dir)
    corpus = retriever.corpus if retriever else load_corpus()
    print(
        f"# support thresholds on {args.data}: {len(rows)} rows; negatives = same-law ±{args.neighbours} "
        f"and top-{args.k} retrieved ({args.index_dir or 'none'}); "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cpus; current thresholds quote char{support.QUOTE_N}>={support.QUOTE_MIN}, "
        f"claim char{support.CLAIM_N}>={support.CLAIM_MIN}"
    )
    sets, skipped = build_pairs(rows, corpus, retriever, args.k, args.neighbours)
    print("left out:")
    for why, n in sorted(skipped.items()):
        print(f"- {why}: {n}")
    quote_fns, claim_fns = measures("quote"), measures("claim")
    print_table("lawyer quotes (quote after the citation / block under it)", sets["quote"], quote_fns)
    print_table("verbatim fragments of gold articles (model-style quotes)", sets["fragment"], quote_fns)
    print_table("lawyer claims (the clause tied to the citation, no quote)", sets["claim"], claim_fns)
    print_table("one number / negation / modal changed (positives vs. their changed copies): quotes + "
                "fragments", perturbed(sets["quote"] + sets["fragment"]), quote_fns)
    print_table("one number / negation / modal changed: claims", perturbed(sets["claim"]), claim_fns)
    chosen_q = quote_fns[f"char{support.QUOTE_N}+crit"]
    chosen_c = claim_fns[f"char{support.CLAIM_N} L{support.MIN_CLAIM_MATCH}+crit"]
    show_extremes("quotes", sets["quote"], chosen_q, args.show)
    show_extremes("fragments", sets["fragment"], chosen_q, args.show)
    show_extremes("claims", sets["claim"], chosen_c, args.show)
    print(f"\n## verdicts on the lawyers' own citations (sources = gold + top-{args.k} retrieved)")
    for why, n in reasons_on_dev(rows, corpus, retriever, args.k).most_common():
        print(f"- {why}: {n}")
    print(f"\n## check_support wall time per answer (top-{args.k} retrieved as sources)")
    for name, t in time_check(rows, corpus, retriever, args.k).items():
        print(f"- {name}: {t}")


if __name__ == "__main__":
    main()
