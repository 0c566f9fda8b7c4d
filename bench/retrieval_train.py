"""Train lawglm's retrieval models end to end: fold encoders, cross-fitted features, the learned ranker.

    python3 bench/retrieval_train.py --work /tmp/lawglm-rt \\
        --train ../shared/data/retrieval_train.jsonl --sources ../shared/data/sft_train.jsonl \\
        --scenarios 'bench/data/scenarios/scen-*.jsonl' \\
        --dev ../shared/data/retrieval_dev.jsonl [--dev OTHER.jsonl] [--stages encoders,features,fit,install]

encoders  K+1 static encoders (lawglm.train.encoder.train_encoder, hard negatives): one per fold, trained
          without that fold's questions, and the full one (what ships). Skipped when present (resumable).
features  an index of the default corpus with the full encoder; then, per fold f, the features of every
          training question in f from encoder f and the known questions of the other folds; dev files
          with the full encoder and all known questions (lawglm.train.ranker).
fit       the ranker on all training groups; prints recall on each dev file and, for the scenario dev
          split, K-fold cross-validated recall (the ranker refit without that fold's scenario questions).
install   copies the full encoder to lawglm/data/encoder, the ranker to lawglm/data/ranker.json, the
          known questions to lawglm/data/questions.json.
Training data: --train rows (gold fields) and the scenario files' dev split (never the held-back third,
`lawglm.eval.retrieval.is_held_out`). Known questions shipped: rows whose --sources record says LeCoQA
(MIT) and our scenario dev split; lawyer-llama rows (research-only licence) train but are not shipped.
CPU: everything runs on one thread; run it niced in the background.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from lawglm.eval.retrieval import RETRIEVAL_KS, is_held_out, read_retrieval_data
from lawglm.search import ranker as rk
from lawglm.train import ranker as rt

SHIPPABLE = ("LeCoQA", "scenario")  # origins whose question text may ship in lawglm/data/questions.json


def log(*a) -> None:
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def read_records(path: str) -> list[tuple[str, list[tuple[str, int, int]]]]:
    return [(ex.query, list(ex.gold)) for ex in read_retrieval_data(path)]


def training_examples(args, corpus) -> list[rt.Example]:
    source = {}
    if args.sources:
        for line in Path(args.sources).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                source[rec["question"]] = "LeCoQA" if "LeCoQA" in rec.get("source", "") else "lawyer-llama"
    by_origin: dict[str, list] = {}
    for path in args.train:
        for query, gold in read_records(path):
            by_origin.setdefault(source.get(query, "train"), []).append((query, gold))
    out = []
    for origin, records in sorted(by_origin.items()):
        out += rt.examples_from(records, corpus, args.folds, origin)
    scen = []
    for ex in read_retrieval_data(args.scenarios, split="dev") if args.scenarios else []:
        assert ex.id and not is_held_out(ex.id)  # the held-back third never trains anything
        scen.append((ex.query, list(ex.gold)))
    out += rt.examples_from(scen, corpus, args.folds, "scenario")
    return out


def stage_encoders(args, examples, work: Path) -> None:
    from lawglm.settings import get_settings
    from lawglm.train.encoder import EncoderConfig, train_encoder

    for f in list(range(args.folds)) + [None]:
        out = work / "enc" / ("full" if f is None else f"f{f}")
        if (out / "modules.json").exists():
            continue
        train_file = work / f"train_{'full' if f is None else f}.jsonl"
        with open(train_file, "w", encoding="utf-8") as fh:
            for ex in examples:
                if ex.fold != f:
                    fh.write(
                        json.dumps(
                            {
                                "query": ex.query,
                                "gold": [
                                    {"law": a.law, "article_no": a.article_no, "sub_no": a.sub_no}
                                    for a in (corpus_of(args).articles[r] for r in sorted(ex.gold))
                                ],
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
        log("training encoder", out.name)
        note = (
            "Question data: retrieval_train.jsonl (LeCoQA, MIT, and lawyer-llama, whose README restricts the"
            " data "
            "to academic research: the weights are derived from it) and lawglm's own scenario dev split "
            "(bench/data/scenarios, held-back third excluded)."
        )
        info = train_encoder(out, EncoderConfig(train_files=[str(train_file)]), corpus=corpus_of(args),
                             dev_files=args.dev, cache=get_settings().home, progress=False, data_note=note)
        log("  dev", info.get("dev"))


_CORPUS = []


def corpus_of(args):
    if not _CORPUS:
        from lawglm.statutes.ingest import load_corpus

        _CORPUS.append(load_corpus())
    return _CORPUS[0]


def stage_features(args, examples, work: Path) -> None:
    from lawglm.search.encoder import encode, load_encoder
    from lawglm.search.index import build_index
    from lawglm.search.retrieval import Params, Retriever
    from lawglm.search.text import article_document

    corpus = corpus_of(args)
    index_dir = work / "index"
    build_index(corpus, index_dir, str(work / "enc" / "full"), progress=False)
    r = Retriever.load(index_dir, Params(mode="combsum"))
    st = r._state
    current = st.status_mask("current")
    known = [ex for ex in examples if ex.origin in SHIPPABLE or args.ship_all]
    base = rk.sources_from_index(r.index, st.law_of, st.laws, current, rt.question_records(known))
    docs = [article_document(a) for a in corpus.articles]
    groups = {"train": [None] * len(examples)}
    for name in args.dev:
        groups[Path(name).name] = [rt.make_group(r, base, ex.query, _rows(corpus, ex), "dev")
                                   for ex in read_retrieval_data(name)]
        log("features", name)
    for f in range(args.folds):
        enc = load_encoder(str(work / "enc" / f"f{f}"))
        src = rt.fold_sources(base, enc, encode(enc, docs), rt.question_records(known, f), current)
        for i, ex in enumerate(examples):
            if ex.fold == f:
                groups["train"][i] = rt.make_group(r, src, ex.query, ex.gold, ex.origin)
        log("features fold", f)
    with open(work / "groups.pkl", "wb") as fh:
        pickle.dump({"groups": groups, "folds": [ex.fold for ex in examples]}, fh)


def _rows(corpus, ex) -> set[int]:
    row_of = {(a.law, a.article_no, a.sub_no): i for i, a in enumerate(corpus.articles) if a.is_current}
    return {
        row_of[g]
        for g in ((corpus.resolve_law(law) or law, no, sub) for law, no, sub in ex.gold)
        if g in row_of
    }


def recall(ranks: list) -> dict:
    return {
        f"R@{k}": round(sum(r is not None and r < k for r in ranks) / max(1, len(ranks)), 3)
        for k in RETRIEVAL_KS
    }


def stage_fit(args, work: Path) -> None:
    from lawglm.search.index import dir_sha256

    with open(work / "groups.pkl", "rb") as fh:
        data = pickle.load(fh)
    groups, folds = data["groups"], data["folds"]
    train = groups["train"]
    cfg = rt.FitConfig(hidden=args.hidden, epochs=args.epochs, weights=json.loads(args.weights))
    info = {
        "encoder_sha256": dir_sha256(work / "enc" / "full"),
        "trained_on": {},
        "made": time.strftime("%Y-%m-%d"),
    }
    for g in train:
        info["trained_on"][g.origin] = info["trained_on"].get(g.origin, 0) + 1
    ranker = rt.fit(train, cfg, info)
    for name, gs in groups.items():
        if name != "train":
            log(f"{name:28s}", recall(rt.ranks(ranker, gs)))
    scen = [i for i, g in enumerate(train) if g.origin == "scenario"]
    cv = []
    for f in range(args.folds):
        held = {i for i in scen if folds[i] == f}
        model = rt.fit([g for i, g in enumerate(train) if i not in held], cfg)
        cv += rt.ranks(model, [train[i] for i in sorted(held)])
    log(f"{'scenario dev split, 5-fold CV':28s}", recall(cv), f"n={len(cv)}")
    rt.save_ranker(ranker, work / "ranker.json")


def stage_install(args, examples, work: Path) -> None:
    from lawglm.search.index import dir_sha256

    data = ROOT / "lawglm" / "data"
    tmp = data / ".encoder.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(work / "enc" / "full", tmp)
    old = data / ".encoder.old"
    shutil.rmtree(old, ignore_errors=True)
    if (data / "encoder").exists():
        os.rename(data / "encoder", old)
    os.rename(tmp, data / "encoder")
    shutil.rmtree(old, ignore_errors=True)
    ranker = json.loads((work / "ranker.json").read_text(encoding="utf-8"))
    assert ranker["info"]["encoder_sha256"] == dir_sha256(data / "encoder")
    shutil.copy(work / "ranker.json", data / "ranker.json")
    about = (
        "Questions known to cite each article, for lawglm's question lists (lawglm/search/ranker.py): LeCoQA "
        "training questions (oneal2000/LeCoQA, MIT licence) and lawglm's own scenario questions (dev split "
        "of bench/data/scenarios). Each gold carries the article text's hash; a changed article drops them."
    )
    rt.save_questions(
        [ex for ex in examples if ex.origin in SHIPPABLE], corpus_of(args), data / "questions.json", about
    )
    log("installed encoder, ranker.json, questions.json into", data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/lawglm-rt")
    ap.add_argument("--train", action="append", default=[])
    ap.add_argument(
        "--sources", default="", help="sft_train.jsonl: which training rows are LeCoQA (shippable)"
    )
    ap.add_argument("--scenarios", default=str(ROOT / "bench" / "data" / "scenarios" / "scen-*.jsonl"))
    ap.add_argument("--dev", action="append", default=[])
    ap.add_argument("--stages", default="encoders,features,fit")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument(
        "--weights", default="{}", help='JSON origin -> sample weight, e.g. {"lawyer-llama": 0.5}'
    )
    ap.add_argument("--ship-all", action="store_true", help="use every training question as a known question")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    examples = training_examples(args, corpus_of(args))
    log(f"{len(examples)} training questions:", {o: sum(e.origin == o for e in examples)
                                                 for o in sorted({e.origin for e in examples})})
    stages = args.stages.split(",")
    if "encoders" in stages:
        stage_encoders(args, examples, work)
    if "features" in stages:
        stage_features(args, examples, work)
    if "fit" in stages:
        stage_fit(args, work)
    if "install" in stages:
        stage_install(args, examples, work)


if __name__ == "__main__":
    main()
