"""Train lawglm's retrieval models end to end: fold encoders, cross-fitted features, the learned ranker.

    python3 bench/retrieval_train.py --work /tmp/lawglm-rt \\
        --train ../shared/data/retrieval_train.jsonl --sources ../shared/data/sft_train.jsonl \\
        --scenarios 'bench/data/scenarios/scen-*.jsonl' --everyday bench/data/everyday/everyday.jsonl \\
        --dev ../shared/data/retrieval_dev.jsonl [--dev OTHER.jsonl] [--stages encoders,features,fit,install]

encoders  K+1 static encoders (lawglm.train.encoder.train_encoder, hard negatives): one per fold, trained
          without that fold's questions, and the full one (what ships). Skipped when present (resumable).
features  an index of the default corpus with the full encoder; then, per fold f, the features of every
          training question in f from encoder f and the known questions of the other folds; dev files
          with the full encoder and all known questions (lawglm.train.ranker). Each fold's part is kept
          in work/parts once made: run the stage again as more fold encoders finish.
fit       the ranker on all training groups; prints recall on each dev file and, for the scenario and
          everyday dev splits, K-fold cross-validated recall (the ranker refit without that fold's questions;
          questions without a gold candidate count as misses).
residual  instead of fit (when the full fit does not pay): keeps --base-ranker (a ranker trained on fewer
          features, or on a smaller corpus) and fits alpha x its score + a linear term over the features
          it lacks and those --correct names (lawglm.train.ranker.fit_residual; --weights per origin, --l2).
install   copies the full encoder to lawglm/data/encoder, the ranker to lawglm/data/ranker.json, the
          known questions to lawglm/data/questions.json.
Training data: --train rows (gold fields; plus the 司法解释 / 行政法规 / 部门规章 articles the --sources
record's `cited` names and its answer bears out, `lawglm.train.ranker.cited_gold`, also for rows with no
law gold), the scenario files' dev split and the everyday files' dev split
(--everyday; never the held-back third, `lawglm.eval.retrieval.is_held_out`). Known questions shipped: rows
whose --sources record says LeCoQA (MIT) and our scenario and everyday dev splits; lawyer-llama rows
(research-only licence) train but are not shipped.
--reuse-encoder retrains only the ranker on the shipped encoder (every fold uses it: the dense features of
the questions that encoder was trained on are then optimistic; the everyday questions are new to it).
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

# origins whose question text may ship in lawglm/data/questions.json
SHIPPABLE = ("LeCoQA", "scenario", "everyday")


def log(*a) -> None:
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def read_records(path: str) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """The rows of a training file; a row with an id in the held-back third is never read."""
    return [(ex.query, list(ex.gold)) for ex in read_retrieval_data(path, split="dev")]


def training_examples(args, corpus) -> list[rt.Example]:
    source, cited = {}, {}
    if args.sources:
        for line in Path(args.sources).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                source[rec["question"]] = "LeCoQA" if "LeCoQA" in rec.get("source", "") else "lawyer-llama"
                if args.cited_overlap > 0 and rec.get("cited"):
                    rows = rt.cited_gold(rec["question"], rec.get("answer", ""), rec["cited"], corpus,
                                         args.cited_overlap)
                    if rows:
                        cited.setdefault(rec["question"], []).extend(
                            (corpus.articles[r].law, corpus.articles[r].article_no, corpus.articles[r].sub_no)
                            for r in rows
                        )
    dev = {ex.query for name in args.dev for ex in read_retrieval_data(name)}
    by_origin: dict[str, list] = {}
    for path in args.train:
        for query, gold in read_records(path):
            by_origin.setdefault(source.get(query, "train"), []).append((query, gold + cited.get(query, [])))
    # questions whose lawyer cited only interpretations / regulations (no law gold, so not in --train)
    trained = {q for records in by_origin.values() for q, _ in records}
    for query, gold in cited.items():
        if query not in trained and query not in dev:
            by_origin.setdefault(source[query], []).append((query, gold))
    log(f"cited 司法解释 / 行政法规 / 部门规章 articles (overlap >= {args.cited_overlap}):",
        sum(map(len, cited.values())), "in", len(cited), "questions,",
        sum(q not in trained for q in cited), "of them with no law gold")
    for path in args.everyday:
        for ex in read_retrieval_data(path, split="dev"):
            assert ex.id and not is_held_out(ex.id)  # the held-back third never trains anything
            by_origin.setdefault("everyday", []).append((ex.query, list(ex.gold)))
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
        if (out / "modules.json").exists() or (args.encoders and out.name not in args.encoders.split(",")):
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
            "to academic research: the weights are derived from it), with the 司法解释 / 行政法规 / 部门规章 "
            "articles the lawyers' answers cite (sft_train.jsonl `cited`, borne out by the answer text), "
            "and lawglm's own scenario and everyday dev splits (bench/data/scenarios, bench/data/everyday; "
            "held-back thirds excluded)."
        )
        info = train_encoder(
            out,
            EncoderConfig(train_files=[str(train_file)]),
            corpus=corpus_of(args),
            dev_files=args.dev,
            cache=get_settings().home,
            progress=False,
            data_note=note,
        )
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
    if not (index_dir / "CURRENT").exists():  # resumable: an index built by an earlier run is reused
        build_index(corpus, index_dir, str(work / "enc" / "full"), progress=False)
    r = Retriever.load(index_dir, Params(mode="combsum"))
    st = r._state
    current = st.status_mask("current")
    known = [ex for ex in examples if ex.origin in SHIPPABLE or args.ship_all]
    base = rk.sources_from_index(r.index, st.law_of, st.laws, current, rt.question_records(known))
    docs = [article_document(a) for a in corpus.articles]
    # resumable: each dev file's and each fold's groups are kept in work/parts as they are made, so a run
    # can compute the folds whose encoders are ready while the others are still training
    parts = work / "parts"
    parts.mkdir(exist_ok=True)
    groups = {"train": [None] * len(examples)}
    for name in args.dev:
        groups[Path(name).name] = _part(parts / f"dev-{Path(name).name}.pkl", lambda name=name: [
            rt.make_group(r, base, ex.query, _rows(corpus, ex), "dev") for ex in read_retrieval_data(name)
        ])
        log("features", name)
    missing = []
    for f in range(args.folds):
        fold_enc = work / "enc" / f"f{f}"
        if not (fold_enc / "modules.json").exists() or (
            args.only_folds and str(f) not in args.only_folds.split(",")
        ):
            missing.append(f)
            continue

        def make(f=f, fold_enc=fold_enc):
            enc = load_encoder(str(fold_enc))
            same = fold_enc.resolve() == (work / "enc" / "full").resolve()  # a fold run with the full encoder
            emb = r.index.embeddings if same else encode(enc, docs)
            src = rt.fold_sources(base, enc, emb, rt.question_records(known, f), current)
            return {i: rt.make_group(r, src, ex.query, ex.gold, ex.origin)
                    for i, ex in enumerate(examples) if ex.fold == f}

        for i, g in _part(parts / f"fold{f}-of-{args.folds}.pkl", make).items():
            groups["train"][i] = g
        log("features fold", f)
    if missing:
        log("folds not computed yet (no encoder yet, or not in --only-folds; run the stage again):", missing)
        return
    with open(work / "groups.pkl", "wb") as fh:
        pickle.dump({"groups": groups, "folds": [ex.fold for ex in examples]}, fh)


def _part(path: Path, make):
    """The pickled result at `path`, made (and written atomically) when absent."""
    if path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    out = make()
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(out, fh)
    os.replace(tmp, path)
    return out


def _rows(corpus, ex) -> set[int]:
    row_of = rt.current_rows(corpus)
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
    rt.save_ranker(ranker, work / "ranker.json")
    if not args.no_cv:
        _cv(args, train, folds, lambda gs: rt.fit(gs, cfg))


def _cv(args, train: list, folds: list[int], fit) -> None:
    """K-fold cross-validated recall of our own dev splits: each fold's scenario and everyday questions are
    ranked by a ranker refit (`fit(groups)`) without them."""
    ours = [i for i, g in enumerate(train) if g.origin in ("scenario", "everyday")]
    cv: dict[str, list] = {"scenario": [], "everyday": []}
    for f in range(args.folds):
        held = {i for i in ours if folds[i] == f}
        model = fit([g for i, g in enumerate(train) if i not in held])
        for i, r in zip(sorted(held), rt.ranks(model, [train[i] for i in sorted(held)])):
            cv[train[i].origin].append(r)
    for origin, r in cv.items():
        log(f"{origin + ' dev split, ' + str(args.folds) + '-fold CV':28s}", recall(r), f"n={len(r)}")


def stage_residual(args, work: Path) -> None:
    """The base ranker (--base-ranker, trained on fewer features) plus a fitted linear term over the new ones
    (lawglm.train.ranker.fit_residual) -> work/ranker.json."""
    from lawglm.search.index import dir_sha256

    base_json = json.loads(Path(args.base_ranker).read_text(encoding="utf-8"))
    assert base_json["info"]["encoder_sha256"] == dir_sha256(work / "enc" / "full"), (
        "base ranker: another encoder"
    )
    with open(work / "groups.pkl", "rb") as fh:
        data = pickle.load(fh)
    base = rk.Ranker.from_json(base_json)
    also = _correct(args.correct)
    train, weights = data["groups"]["train"], json.loads(args.weights)
    ranker = rt.fit_residual(base, train, weights, args.l2, {"made": time.strftime("%Y-%m-%d")}, also)
    log("residual", ranker.info["residual"])
    for name, gs in data["groups"].items():
        if name != "train":
            log(f"{name:28s}", recall(rt.ranks(ranker, gs)), "base ranker:", recall(rt.ranks(base, gs)))
    for origin in ("scenario", "everyday"):
        gs = [g for g in train if g.origin == origin]
        log(f"{origin + ' dev split, base ranker':28s}", recall(rt.ranks(base, gs)), f"n={len(gs)}")
    rt.save_ranker(ranker, work / "ranker.json")
    if not args.no_cv:
        _cv(args, train, data["folds"], lambda gs: rt.fit_residual(base, gs, weights, args.l2, None, also))


# features that read the encoder (article or question vectors): under --reuse-encoder they are optimistic
# for the questions the shipped encoder was trained on, so a residual fitted on them would overrate them
ENCODER_FEATURES = tuple(
    n for n in rk.FEATURES
    if n.startswith(("dense_", "qdense_", "lawsim_"))
    or n in ("share_dense", "inlaw_dense", "inlaw_rank_dense", "link_dense", "q_max_dense", "q_max_qdense")
)


def _correct(spec: str) -> tuple[str, ...]:
    """--correct: feature names, comma-separated, or "encoder-free": all but ENCODER_FEATURES."""
    if spec == "encoder-free":
        return tuple(n for n in rk.FEATURES if n not in ENCODER_FEATURES)
    return tuple(n for n in spec.split(",") if n)


def stage_install(args, examples, work: Path) -> None:
    from lawglm.search.index import dir_sha256

    data = ROOT / "lawglm" / "data"
    if dir_sha256(work / "enc" / "full") != dir_sha256(data / "encoder"):  # a retrained encoder: swap it in
        _install_encoder(work, data)
    ranker = json.loads((work / "ranker.json").read_text(encoding="utf-8"))
    assert ranker["info"]["encoder_sha256"] == dir_sha256(data / "encoder")
    shutil.copy(work / "ranker.json", data / "ranker.json")
    about = (
        "Questions known to cite each article, for lawglm's question lists (lawglm/search/ranker.py): LeCoQA "
        "training questions (oneal2000/LeCoQA, MIT licence) and lawglm's own scenario and everyday questions "
        "(dev splits of bench/data/scenarios and bench/data/everyday). Each gold carries the article text's "
        "hash; a changed article drops them."
    )
    rt.save_questions(
        [ex for ex in examples if ex.origin in SHIPPABLE], corpus_of(args), data / "questions.json", about
    )
    log("installed ranker.json, questions.json (and the encoder when retrained) into", data)


def _install_encoder(work: Path, data: Path) -> None:
    tmp = data / ".encoder.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(work / "enc" / "full", tmp)
    old = data / ".encoder.old"
    shutil.rmtree(old, ignore_errors=True)
    if (data / "encoder").exists():
        os.rename(data / "encoder", old)
    os.rename(tmp, data / "encoder")
    shutil.rmtree(old, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/lawglm-rt")
    ap.add_argument("--train", action="append", default=[])
    ap.add_argument(
        "--sources", default="", help="sft_train.jsonl: which training rows are LeCoQA (shippable)"
    )
    ap.add_argument("--scenarios", default=str(ROOT / "bench" / "data" / "scenarios" / "scen-*.jsonl"))
    ap.add_argument(
        "--everyday",
        action="append",
        default=[],
        help="everyday question files (bench/data/everyday/everyday.jsonl): their dev part trains",
    )
    ap.add_argument("--dev", action="append", default=[])
    ap.add_argument(
        "--cited-overlap",
        type=float,
        default=0.15,
        help="--sources rows' `cited` 司法解释 / 行政法规 / 部门规章 articles join the gold when this "
        "share of the article's bigrams occurs in the question + answer (0: not used)",
    )
    ap.add_argument("--stages", default="encoders,features,fit")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--encoders",
        default="",
        help="only these encoders (f0,...,full), e.g. to train them in several processes side by side",
    )
    ap.add_argument(
        "--only-folds",
        default="",
        help="features: only these folds (0,1,...), e.g. to compute them in several processes side by side",
    )
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument(
        "--weights", default="{}", help='JSON origin -> sample weight, e.g. {"lawyer-llama": 0.5}'
    )
    ap.add_argument(
        "--reuse-encoder",
        action="store_true",
        help="keep the shipped encoder (lawglm/data/encoder) for every fold and as the full model: no "
        "encoder training; its dense features of questions it was trained on are not cross-fitted",
    )
    ap.add_argument("--base-ranker", default="", help="residual: the ranker to keep (JSON, fewer features)")
    ap.add_argument(
        "--l2", type=float, default=0.03, help="residual: L2 penalty on the new features' weights"
    )
    ap.add_argument(
        "--correct",
        default="",
        help="residual: base features that also get a fitted linear correction (comma-separated, or "
        "'encoder-free': every feature that does not read the encoder)",
    )
    ap.add_argument("--no-cv", action="store_true", help="fit: skip the cross-validated recall")
    ap.add_argument("--ship-all", action="store_true", help="use every training question as a known question")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    examples = training_examples(args, corpus_of(args))
    log(
        f"{len(examples)} training questions:",
        {o: sum(e.origin == o for e in examples) for o in sorted({e.origin for e in examples})},
    )
    stages = args.stages.split(",")
    if args.reuse_encoder:  # every fold and the full model = the shipped encoder (no encoder training)
        (work / "enc").mkdir(exist_ok=True)
        for name in [f"f{f}" for f in range(args.folds)] + ["full"]:
            link = work / "enc" / name
            if not link.exists():
                link.symlink_to(ROOT / "lawglm" / "data" / "encoder")
    if "encoders" in stages:
        stage_encoders(args, examples, work)
    if "features" in stages:
        stage_features(args, examples, work)
    if "fit" in stages:
        stage_fit(args, work)
    if "residual" in stages:
        stage_residual(args, work)
    if "install" in stages:
        stage_install(args, examples, work)


if __name__ == "__main__":
    main()
