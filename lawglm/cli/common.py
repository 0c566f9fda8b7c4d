"""What every `lawglm` command shares: the root group, settings from flags, JSON output, the flags of the
commands that answer (ask, chat) and their checks.

Every command maps its flags onto `Settings`; library errors become one line on
stderr and exit code 1 (usage errors: exit 2).
"""

from __future__ import annotations

import json

import click

from lawglm.answer.options import MIN_MAX_LENGTH, AskOptions
from lawglm.settings import ANSWER_SHAPES, LLM_MODES, MAX_TEMPERATURE, MAX_TOP_K, Settings, get_settings

LLM_CHOICES = LLM_MODES  # every command's --llm: local model, retrieval-only, --llm-url
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


def command_group(name: str, doc: str) -> click.Group:
    """A subcommand group of `lawglm` (index, corpus, eval, convert, adapters)."""
    grp = click.Group(name=name, help=doc)
    cli.add_command(grp)
    return grp


def _generation_options(f):
    """Flags shared by `ask` and `chat` (they map onto Settings / Assistant.stream)."""
    opts = [
        click.option("--llm", type=click.Choice(LLM_CHOICES), default=None, help=LLM_HELP),
        click.option("--llm-url", default=None, help="OpenAI-compatible server (vLLM, ChatGLM3 api demo)"),
        click.option(
            "--model", default=None, help="backbone: gemma-3-270m (default), a local HF dir or hub id"
        ),
        click.option("--adapter", default=None, help="adapter name under adapters/ or a path; 'none' = bare"),
        click.option("--index-dir", "index_dir", default=None, help="index directory (default: index/)"),
        click.option("--top-k", type=click.IntRange(1, MAX_TOP_K), default=None, help="articles to retrieve"),
        click.option("--law", default=None, help="search only this law (e.g. 劳动合同法)"),
        click.option("--level", default=None, help="search only these levels: 法律 | 行政法规 | 司法解释"),
        click.option("--department", default=None, help="search only this 部门 (民法商法, 社会法, 刑法, …)"),
        click.option("--max-length", type=click.IntRange(MIN_MAX_LENGTH), default=None,
                     help="prompt + reply tokens"),
        click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=None),
        click.option("--temperature", type=click.FloatRange(0, MAX_TEMPERATURE), default=None,
                     help="0 = greedy"),
        click.option("--quantize", type=click.Choice(["8", "4", "none"]), default=None, help=QUANTIZE_HELP),
        click.option("--device", default=None, help="auto | cpu | cuda | mps"),
        click.option("--draft-first", is_flag=True, help="draft an answer, retrieve with it, answer again"),
        click.option(
            "--agent",
            is_flag=True,
            default=None,
            help="the model calls lawglm's legal tools itself (remote / ChatGLM3 / GLM-4 models)",
        ),
        click.option(
            "--answer-shape",
            type=click.Choice(ANSWER_SHAPES),
            default=None,
            help="grounded: 结论 + verbatim 法律依据 + 下一步 (default for the embedded backbone); "
            "free: the model's own answer (default for other models)",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def statute_corpus(index_dir, extra: str | None = None, law: str | None = None, source: str | None = None):
    """The statutes `lookup` and `verify` read — the same ones `search` and the answers see: the corpus
    of the index at `index_dir` (the default corpus plus every document `index update` added; the
    default corpus itself while no index is built), with the statute files of `extra` (--corpus) merged
    on top as `index update` would merge them. `law`: only that law's articles (quick: `lookup`). `source`:
    the corpus to read while no index is built (Settings.corpus_source(); default: the default corpus)."""
    from lawglm.search.index import current_version, index_corpus
    from lawglm.statutes.corpus import Corpus
    from lawglm.statutes.ingest import load_corpus, load_law

    built = current_version(index_dir) is not None
    if extra is None:
        if built:
            return index_corpus(index_dir, law)
        return load_law(source, law) if law else load_corpus(source)
    from pathlib import Path

    from lawglm.search.updates import merge
    from lawglm.statutes.ingest import ingest_paths

    base = index_corpus(index_dir) if built else load_corpus(source)
    result = ingest_paths([Path(extra)], strict=True)
    for line in result.report.skipped:
        click.echo(f"note: {line}", err=True)
    merged = Corpus(merge(base, result)[0], source=base.source)
    return Corpus(merged.law_articles(merged.require_law(law)), source=base.source) if law else merged


def statute_links(index_dir, extra: str | None = None, source: str | None = None, law: str | None = None,
                  corpus=None, articles=None):
    """The cross-reference graph of the statutes `statute_corpus` reads (same arguments): the index version's
    links.json when an index is built (read alone, nothing else loaded), else computed from the statutes
    (`corpus`: the whole of them when the caller has it loaded already). `law`: only the links into and out
    of that law's articles, or of `articles` of it (statutes.links.links_touching: the documents naming
    it are read, not all)."""
    from lawglm.search.index import current_version, index_links
    from lawglm.statutes.links import build_links, links_touching

    if extra is None and current_version(index_dir) is not None:
        stored = index_links(index_dir)
        if stored is not None:
            return stored
    whole = corpus if corpus is not None else statute_corpus(index_dir, extra, source=source)
    return links_touching(whole, law, articles) if law is not None else build_links(whole)


def _quantize_flag(value: str | None) -> int | None:
    return None if value is None else 0 if value == "none" else int(value)


def _check_llm(s: Settings) -> None:
    if s.llm == "remote" and not s.llm_url:
        raise click.BadParameter("remote needs --llm-url (or LAWGLM_LLM_URL)", param_hint="--llm")


def _assistant_from_flags(flags: dict, question: str | None = None, announce=None):
    """Settings from the flags, the request checked (before anything loads), then the Assistant;
    `announce(settings)` is called once the checks passed, just before loading starts."""
    from lawglm.answer.assistant import Assistant
    from lawglm.search.index import current_path

    s = settings_from(llm=flags.pop("llm"), llm_url=flags.pop("llm_url"), model=flags.pop("model"),
                      index_dir=flags.pop("index_dir"), device=flags.pop("device"),
                      quantize=_quantize_flag(flags.pop("quantize")), answer_shape=flags.pop("answer_shape"),
                      agent=flags.pop("agent", None))
    _check_llm(s)
    _check_question(s, question, flags.get("law"), flags.get("level"))
    current_path(s.index_dir)  # no index: one line saying so, before anything is announced or loaded
    if announce is not None:
        announce(s)
    assistant = Assistant.from_settings(s, adapter=flags.pop("adapter"))
    if s.agent:
        from lawglm.tools.agent import AgentAssistant

        return AgentAssistant(assistant)
    return assistant


def _check_question(s: Settings, question: str | None, law: str | None, level: str | None = None) -> None:
    """What a question request can be refused for without a model or the index loaded: its length
    (Settings.max_question_chars), --law (against the index manifest's law names) and --level."""
    if question is not None and len(question) > s.max_question_chars:
        raise click.BadParameter(f"question is too long ({len(question)} characters; the limit is "
                                 f"{s.max_question_chars})", param_hint="QUESTION")
    if law or level:
        from lawglm.search.retrieval import check_request

        check_request(s.index_dir, "法律", 1, law=law, level=level)


def _request_opts(flags: dict) -> dict:
    """Per-request AskOptions fields (the adapter chosen by --adapter is already the assistant's default)."""
    keys = [k for k in AskOptions.names() if k not in ("question", "history", "adapter", "answer_shape",
                                                       "draft_first")]
    return {**{k: flags[k] for k in keys if flags.get(k) is not None},
            "draft_first": flags.get("draft_first", False)}
