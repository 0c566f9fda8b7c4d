"""`lawglm train` (adapters), `lawglm encoder train|eval` and `lawglm eval retrieval|generation`: offline
work."""

from __future__ import annotations

import click

from lawglm.cli.common import Settings, _quantize_flag, cli, command_group, echo_json, settings_from
from lawglm.eval.generation import GenEvalConfig
from lawglm.settings import RETRIEVAL_MODES
from lawglm.train.sft import DEFAULT_LR, TrainConfig


def _filters(pairs: tuple[str, ...]) -> dict:
    out = {}
    for p in pairs:
        if "=" not in p:
            raise click.BadParameter(f"expected FIELD=VALUE, got {p!r}", param_hint="--filter")
        k, v = p.split("=", 1)
        out[k] = v
    return out


def _defaults(config_cls) -> dict:
    """The field defaults of a config dataclass: what the flags mapping onto it default to."""
    from dataclasses import MISSING, fields

    return {f.name: f.default for f in fields(config_cls) if f.default is not MISSING}


TRAIN = _defaults(TrainConfig)


@cli.command()
@click.option("--method", type=click.Choice(["lora", "ptuning"]), default=TRAIN["method"], show_default=True)
@click.option("--data", required=True, type=click.Path(dir_okay=False), help="training JSONL")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="adapter dir, e.g. adapters/NAME"
)
@click.option("--model", default=None, help="backbone: embedded default, local path or hub id")
@click.option("--format", "data_format", type=click.Choice(["auto", "sft", "prompt", "conversations"]),
              default=TRAIN["data_format"], show_default=True)
@click.option("--filter", "filters", multiple=True, help="keep records with FIELD=VALUE (e.g. license=MIT)")
@click.option("--limit", type=click.IntRange(1), default=None, help="use the first N records")
@click.option("--with-retrieval", is_flag=True, help="put the top-k retrieved articles in each prompt")
@click.option("--top-k", type=click.IntRange(1, 20), default=TRAIN["top_k"], show_default=True)
@click.option("--index-dir", default=None)
@click.option("--gold-in-context/--no-gold-in-context", default=TRAIN["gold_in_context"], show_default=True,
              help="show the example's gold articles among the retrieved ones")
@click.option("--cite-gold/--no-cite-gold", default=TRAIN["cite_gold"], show_default=True,
              help="append 法律依据：《…》第N条 for shown gold articles the answer does not cite")
@click.option(
    "--answer-shape",
    type=click.Choice(["free", "grounded"]),
    default=TRAIN["answer_shape"],
    show_default=True,
    help="grounded: train the short conclusion + 依据 line of the grounded answer shape",
)
@click.option("--prompt-column", default=TRAIN["prompt_column"], show_default=True)
@click.option("--response-column", default=TRAIN["response_column"], show_default=True)
@click.option("--history-column", default=TRAIN["history_column"], show_default=True)
@click.option(
    "--max-source-length", type=click.IntRange(16), default=TRAIN["max_source_length"], show_default=True
)
@click.option(
    "--max-target-length", type=click.IntRange(1), default=TRAIN["max_target_length"], show_default=True
)
@click.option("--lora-rank", type=click.IntRange(1), default=TRAIN["lora_rank"], show_default=True)
@click.option("--lora-alpha", type=click.IntRange(1), default=TRAIN["lora_alpha"], show_default=True)
@click.option("--lora-dropout", type=click.FloatRange(0, 1), default=TRAIN["lora_dropout"], show_default=True)
@click.option(
    "--lora-targets", default=TRAIN["lora_targets"], show_default=True, help="comma-separated module names"
)
@click.option("--pre-seq-len", type=click.IntRange(1), default=TRAIN["pre_seq_len"], show_default=True)
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=None,
              help="default " + ", ".join(f"{v:g} ({k})" for k, v in DEFAULT_LR.items()))
@click.option("--epochs", type=click.FloatRange(0, min_open=True), default=TRAIN["epochs"], show_default=True)
@click.option("--max-steps", type=click.IntRange(1), default=None, help="overrides --epochs")
@click.option("--batch-size", type=click.IntRange(1), default=TRAIN["batch_size"], show_default=True)
@click.option("--grad-accum", type=click.IntRange(1), default=TRAIN["grad_accum"], show_default=True)
@click.option("--warmup-steps", type=click.IntRange(0), default=TRAIN["warmup_steps"], show_default=True)
@click.option("--eval-data", type=click.Path(dir_okay=False), default=None)
@click.option("--eval-limit", type=click.IntRange(1), default=TRAIN["eval_limit"], show_default=True)
@click.option("--eval-steps", type=click.IntRange(0), default=TRAIN["eval_steps"], show_default=True,
              help="0: at the end only")
@click.option("--save-steps", type=click.IntRange(0), default=TRAIN["save_steps"], show_default=True)
@click.option("--resume", is_flag=True, help="continue from the latest checkpoint in OUT")
@click.option("--seed", type=int, default=TRAIN["seed"], show_default=True)
@click.option("--device", default=TRAIN["device"], show_default=True)
@click.option("--dtype", default=TRAIN["dtype"], show_default=True)
def train(**opts) -> None:
    """Train a LoRA or P-tuning v2 adapter: `lawglm train --method lora --data F.jsonl --out
    adapters/NAME`."""
    from lawglm.train.sft import train as run_training

    opts["filters"] = _filters(opts["filters"])
    opts["history_column"] = opts["history_column"] or None
    if opts["model"] is None:
        opts["model"] = settings_from().model
    meta = run_training(TrainConfig(**opts), echo=lambda m: click.echo(m, err=True))
    echo_json({"out": opts["out"], "method": meta["method"], "metrics": meta["metrics"]})


GEN_EVAL = _defaults(GenEvalConfig)
SETTING = {k: f.default for k, f in Settings.model_fields.items()}  # what flags left out fall back to


eval_group = command_group("eval", "Evaluate retrieval or generation on a dev file.")


@eval_group.command("retrieval")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False),
              help='JSONL: {"query", "gold": [...]} (repeatable: several sets in one run)')
@click.option(
    "--lookups",
    type=click.IntRange(0, 100_000),
    default=0,
    help="also N generated look-ups (民法商法民法典第十条的内容是什么？ …) of random current articles",
)
@click.option("--split", type=click.Choice(["all", "dev", "heldout"]), default="all", show_default=True,
              help="rows of the held-back third (sha1(id) % 3 == 0) or the others")
@click.option("--compare", is_flag=True,
              help="plain bm25s, BM25 half, dense half, v1 fusion and the default, side by side")
@click.option(
    "--by",
    type=click.Choice(["law", "department", "area", "level"]),
    default=None,
    help="also report per law / department / legal area / level (area, level: fields of the gold file)",
)
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--index-dir", default=None)
@click.option("--status", default="current", show_default=True)
@click.option(
    "--mode",
    type=click.Choice(RETRIEVAL_MODES),
    default=None,
    help="retrieval mode of the default row [default: fused, or LAWGLM_RETRIEVAL_MODE]",
)
@click.option("--reranker", default=None, help="CrossEncoder dir to rerank the top hits (LAWGLM_RERANKER)")
def eval_retrieval(
    data: tuple[str, ...],
    lookups: int,
    split: str,
    compare: bool,
    by: str | None,
    k: int,
    index_dir: str | None,
    status: str,
    mode: str | None,
    reranker: str | None,
) -> None:
    """Recall@1/5/10 and MRR@10 of search on gold files; the last line is one JSON object."""
    from pathlib import Path

    from lawglm.eval.retrieval import lookup_examples, read_retrieval_data, run_eval
    from lawglm.search.retrieval import Retriever

    if not data and not lookups:
        raise click.UsageError("give --data FILE (repeatable) and/or --lookups N")
    s = settings_from(index_dir=index_dir, retrieval_mode=mode, reranker=reranker)
    sets = {
        Path(d).name + ("" if split == "all" else f" [{split}]"): read_retrieval_data(d, split) for d in data
    }
    r = Retriever.from_settings(s)
    if lookups:
        sets[f"look-ups (generated, n={lookups})"] = lookup_examples(r.corpus, lookups)
    text, result = run_eval(r, sets, compare=compare, by=by, k=k, progress=not compare, status=status)
    click.echo(text)
    echo_json(result)


@eval_group.command("generation")
@click.option(
    "--data", required=True, type=click.Path(dir_okay=False), help="dev JSONL (question/answer/gold)"
)
@click.option(
    "--modes",
    default=",".join(GenEvalConfig("").modes),
    show_default=True,
    help="comma-separated answer modes compared on the same rows: retrieval-only (no model), "
    "none (bare backbone), default (the configured adapter) or adapter names",
)
@click.option("--model", default=None, help=f"[default: {SETTING['model']}]")
@click.option(
    "--answer-shape",
    type=click.Choice(["grounded", "free"]),
    default=None,
    help="default: grounded for the embedded backbone, free for other models",
)
@click.option("--index-dir", default=None)
@click.option("--top-k", type=click.IntRange(1, 20), default=None, help=f"[default: {SETTING['top_k']}]")
@click.option("-n", "limit", type=click.IntRange(1), default=None, help="first N rows")
@click.option("--sample", type=click.IntRange(1), default=None, help="a seeded random sample of N rows")
@click.option("--seed", type=int, default=GEN_EVAL["seed"], show_default=True)
@click.option(
    "--max-new-tokens", type=click.IntRange(1), default=GEN_EVAL["max_new_tokens"], show_default=True
)
@click.option(
    "--quantize", type=click.Choice(["8"]), default=None, help="8: int8 model (compare with a run without)"
)
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False), default=None, help="write every prediction as JSONL"
)
@click.option("--device", default=None, help=f"[default: {SETTING['device']}]")
@click.option("--rescore", is_flag=True, help="DATA is a predictions JSONL from --out: score it, no model")
def eval_generation(**opts) -> None:
    """Answer modes side by side through the product's own path (Assistant.ask): BLEU/ROUGE, supported
    citations, misattributions, repeated sentences, gold hit and its retrieval bound, TTFT, tokens/s."""
    from lawglm.eval.generation import evaluate_generation, format_generation_report, score_predictions

    s = settings_from(
        model=opts.pop("model"),
        index_dir=opts.pop("index_dir"),
        top_k=opts.pop("top_k"),
        device=opts.pop("device"),
        answer_shape=opts.pop("answer_shape"),
        quantize=_quantize_flag(opts.pop("quantize")),
    )
    if opts.pop("rescore"):
        report = score_predictions(opts["data"], s, opts["limit"])
        click.echo(format_generation_report(report))
        echo_json(report)
        return
    modes = [m.strip() for m in opts.pop("modes").split(",") if m.strip()]
    if not modes:
        raise click.BadParameter("name at least one mode", param_hint="--modes")
    report = evaluate_generation(GenEvalConfig(modes=modes, **opts), s)
    click.echo(format_generation_report(report))
    echo_json(report)


@eval_group.command("answers")
@click.option(
    "--data",
    default="bench/data/answers/answers.jsonl",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="answers JSONL with key facts (schema: its README)",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "heldout", "all"]),
    default="dev",
    show_default=True,
    help="heldout: the third with int(sha1(id),16) % 3 == 0 — evaluate it once, never tune on it",
)
@click.option(
    "--modes",
    default="retrieval-only",
    show_default=True,
    help="comma-separated: retrieval-only (no model), default (the configured adapter), none (bare "
    "backbone) or adapter names",
)
@click.option("--model", default=None, help=f"[default: {SETTING['model']}]")
@click.option("--index-dir", default=None)
@click.option("--today", default="2026-12-07", show_default=True, help="the day the questions are asked on")
@click.option("-n", "limit", type=click.IntRange(1), default=None, help="first N rows of the split")
@click.option(
    "--rouge-data",
    type=click.Path(dir_okay=False),
    default=None,
    help="{question, answer} JSONL of lawyers' answers: adds ROUGE-L and the top-2-article quote",
)
@click.option("--rouge-limit", type=click.IntRange(1), default=40, show_default=True)
@click.option("--rouge-offset", type=click.IntRange(0), default=0, show_default=True,
              help="skip this many rows of --rouge-data first (a second slice: --rouge-offset 40)")
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False), default=None, help="every answer as JSONL"
)
@click.option("--device", default=None, help=f"[default: {SETTING['device']}]")
def eval_answers(**opts) -> None:
    """Does the answer decide the question? Key-fact accuracy (yes/no, deciding article, forum, deadline,
    its last day, amount), harm (wrong yes/no, court before a mandatory step, a too-long deadline) and
    echoes, answer modes side by side."""
    from lawglm.eval.answers import evaluate_answers, format_report, parse_today, read_rows

    today = parse_today(opts["today"])
    read_rows(opts["data"], opts["split"], 1)  # a bad file fails here, before anything loads
    modes = [m.strip() for m in opts["modes"].split(",") if m.strip()]
    if not modes:
        raise click.BadParameter("name at least one mode", param_hint="--modes")
    s = settings_from(model=opts["model"], index_dir=opts["index_dir"], device=opts["device"])
    report = evaluate_answers(
        opts["data"],
        modes,
        s,
        opts["split"],
        opts["limit"],
        today,
        opts["rouge_data"],
        opts["rouge_limit"],
        opts["out_path"],
        rouge_offset=opts["rouge_offset"],
    )
    click.echo(format_report(report))
    echo_json(report)


@cli.group()
def encoder() -> None:
    """lawglm's default dense encoder (static embeddings): train / evaluate."""


@encoder.command("train")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="model directory to (re)write")
@click.option(
    "--train-data",
    multiple=True,
    required=True,
    help='question->gold JSONL {"query", "gold": [...]} (repeatable)',
)
@click.option(
    "--dev", "dev_files", multiple=True, help="gold JSONL to evaluate on (repeatable; never trained on)"
)
@click.option("--corpus", default=None)
@click.option("--steps", type=click.IntRange(0), default=None, help="training steps [default: 1000]")
@click.option(
    "--hard-negatives",
    type=click.IntRange(0),
    default=None,
    help="BM25-mined negatives per question pair [default: 4]",
)
@click.option("--dim", type=click.IntRange(8, 640), default=None, help="embedding dims [default: 256]")
@click.option("--vocab-size", type=click.IntRange(100), default=None, help="[default: 30000]")
@click.option("--min-word-freq", type=click.IntRange(1), default=None, help="[default: 2]")
@click.option("--batch-size", type=click.IntRange(2), default=None, help="[default: 512]")
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=None, help="Adam lr [default: 0.05]")
@click.option(
    "--init",
    type=click.Choice(["gemma", "random"]),
    default=None,
    help="initial vectors: the backbone's token embeddings or random [default: gemma]",
)
@click.option(
    "--eval-every", type=click.IntRange(0), default=None, help="dev evaluation every N steps [default: 0]"
)
@click.option("--seed", type=int, default=None, help="[default: 42]")
def encoder_train(
    out: str, train_data: tuple[str, ...], dev_files: tuple[str, ...], corpus: str | None, **hyper
) -> None:
    """Build and train the encoder; writes a sentence-transformers model to OUT atomically."""
    from lawglm.statutes.ingest import load_corpus
    from lawglm.train.encoder import EncoderConfig, train_encoder

    cfg = EncoderConfig(train_files=list(train_data), **{k: v for k, v in hyper.items() if v is not None})
    s = settings_from(corpus=corpus)
    info = train_encoder(out, cfg, corpus=load_corpus(s.corpus_source()), dev_files=dev_files, cache=s.home)
    click.echo(
        f"encoder written to {out}: vocab {info['vocab']:,} x {cfg.dim}, "
        f"{info['train_seconds']} s" + (f", dev {info['dev']}" if info.get("dev") else "")
    )


@encoder.command("eval")
@click.option("--encoder", "encoder_path", default=None, help="model path (default: the shipped encoder)")
@click.option("--data", required=True, help="question->gold JSONL")
@click.option("--corpus", default=None)
def encoder_eval(encoder_path: str | None, data: str, corpus: str | None) -> None:
    """Dense-only recall@1/5/10 and MRR@10 over the current articles."""
    from lawglm.search.encoder import load_encoder
    from lawglm.statutes.ingest import load_corpus
    from lawglm.train.encoder import dense_recalls, read_dev_sets

    s = settings_from(encoder=encoder_path, corpus=corpus)
    sets = read_dev_sets([data])  # a malformed file fails here, before any model loads
    echo_json(
        next(iter(dense_recalls(load_encoder(s.encoder), load_corpus(s.corpus_source()), sets).values()))
    )
