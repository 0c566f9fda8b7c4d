"""`lawglm ask`, `lawglm chat`, `lawglm serve`: answering questions, in the terminal or over HTTP."""

from __future__ import annotations

import sys

import click

from lawglm.cli.common import (
    LLM_CHOICES,
    LLM_HELP,
    QUANTIZE_HELP,
    _assistant_from_flags,
    _check_llm,
    _check_question,
    _generation_options,
    _quantize_flag,
    _request_opts,
    cli,
    echo_json,
    settings_from,
)
from lawglm.errors import LawGLMError


def _print_citations(answer: dict) -> None:
    """The citation check under an answer (Answer.to_dict's form: local and server answers alike)."""
    from types import SimpleNamespace

    from lawglm.answer.support import reason_text

    if answer["citations"]:
        click.echo("\n引用核验：")
    lines: dict[str, int] = {}  # one line per article and verdict, with how often the answer cites it
    for d in answer["citations"]:
        c = SimpleNamespace(**{k: d.get(k) for k in ("raw", "verified", "reason", "support")})
        status = f" [{d['status']}]" if d.get("status") else ""
        if c.verified and (d.get("supported") or c.support is None):
            line = f"  ✓ {c.raw}{status}" + (f"  {reason_text(c)}" if c.support else "")
        else:  # ⚠ exists but the answer's words are not what it says; ✗ no such article in force
            line = f"  {'⚠' if c.verified else '✗'} {c.raw}{status}  {reason_text(c)}"
        lines[line] = lines.get(line, 0) + 1
    for line, n in lines.items():
        click.echo(line + (f"  ×{n}" if n > 1 else ""))
    if any((d.get("support") or {}).get("corrected_from") for d in answer["citations"]):
        click.echo("更正后的回答：\n" + answer["answer"])
    if answer["retrieved"] and answer["usage"].get("mode") != "retrieval-only":
        click.echo(
            "检索到的法条：" + "；".join(f"{h['citation']}（{h['status']}）" for h in answer["retrieved"])
        )


def _show(items) -> dict:
    """Print the reply as it streams (text chunks), then the citation check; return the final answer dict."""
    from lawglm.records import Answer

    answer = None
    for item in items:
        if isinstance(item, str):
            click.echo(item, nl=False)
            sys.stdout.flush()
        else:
            answer = item.to_dict() if isinstance(item, Answer) else item
    click.echo()
    _print_citations(answer)
    return answer


LOCAL_FLAGS = ("llm", "llm_url", "model", "adapter", "index_dir", "quantize", "device", "agent")


def _server(flags: dict) -> str | None:
    """The running lawglm server to ask, unless --local or a flag that configures an in-process assistant
    (--llm, --model, --index-dir, …) says to answer here."""
    if flags.pop("local", False) or any(flags.get(k) is not None for k in LOCAL_FLAGS):
        return None
    from lawglm.cli.client import find_server

    return find_server(settings_from())


def _server_body(question: str, history, flags: dict) -> dict:
    body = {"question": question, "history": [list(p) for p in history or []] or None, **_request_opts(flags)}
    if flags.get("answer_shape"):
        body["answer_shape"] = flags["answer_shape"]
    return {k: v for k, v in body.items() if v is not None}


def _load(flags: dict, question: str | None = None):
    """The in-process assistant, saying on stderr what is loading and how long it took."""
    import time

    def announce(s) -> None:
        what = "加载索引"
        if s.llm_mode() == "local":
            from lawglm.models.backbone import needs_conversion

            what = (
                "加载索引，并首次转换内置模型（只需一次，约 1–2 分钟）"
                if needs_conversion(s)
                else "加载索引和模型"
            )
        click.echo(f"lawglm: {what}…（`lawglm serve` 在另一个终端运行时，ask / chat 直接使用它，几秒内回答）",
                   err=True)

    t0 = time.perf_counter()
    assistant = _assistant_from_flags(flags, question, announce)
    click.echo(f"lawglm: 已加载（{time.perf_counter() - t0:.1f} 秒）", err=True)
    return assistant


LOCAL_HELP = "answer in this process even when a `lawglm serve` is running"


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="print the whole Answer as JSON")
@click.option("--local", is_flag=True, help=LOCAL_HELP)
@click.option(
    "--full",
    is_flag=True,
    help="after the answer, every retrieved article in full (the deciding clause "
    "marked 【】), also those folded away as not bearing on the question",
)
@_generation_options
def ask(question: str, as_json: bool, full: bool, **flags) -> None:
    """Answer a legal question with cited, verified articles: `lawglm ask "借款利息怎么算？"`.

    Uses a running `lawglm serve` (LAWGLM_URL, or the default address if it answers); otherwise loads the
    index and model here. A greeting is answered without loading anything."""
    from lawglm.answer.smalltalk import small_talk_kind

    if not question.strip():
        raise click.UsageError("QUESTION is empty")
    _check_question(settings_from(), question, None)
    if small_talk_kind(question) is not None:  # (the answer pipeline is imported only for a greeting)
        from lawglm.answer.assistant import small_talk_answer

        greeting = small_talk_answer(question)
        echo_json(greeting.to_dict()) if as_json else click.echo(greeting.answer)
        return
    base = _server(flags)
    if base is not None:
        from lawglm.cli.client import ask_stream

        items = ask_stream(base, _server_body(question, None, flags))
        if as_json:
            echo_json([x for x in items if isinstance(x, dict)][-1])
        else:
            answer = _show(items)
            if full:
                _print_full(answer)
        return
    assistant = _load(flags, question)
    opts = _request_opts(flags)
    from lawglm.answer.options import AskOptions

    if as_json:
        echo_json(assistant.ask(AskOptions(question, **opts)).to_dict())
        return
    answer = _show(assistant.stream(AskOptions(question, **opts)))
    if full:
        _print_full(answer)


def _print_full(answer: dict) -> None:
    """Every retrieved article in full (sections.basis_full), the deciding clause marked 【】."""
    items = (answer.get("sections") or {}).get("basis_full") or []
    if not items:
        items = [
            {"citation": h["citation"], "status": h["status"], "text": h["text"]} for h in answer["retrieved"]
        ]
    click.echo("\n全部条文：")
    for a in items:
        text, clause = a["text"], (a.get("clause") or {}).get("text")
        if clause and clause in text:
            text = text.replace(clause, f"【{clause}】", 1)
        note = "" if a.get("bears", True) else "，与本问题关系不大"
        click.echo(f"{a['citation']}（{a['status']}{note}）\n{text}\n")


CHAT_WELCOME = "欢迎使用 lawglm 法律助手：输入问题即可对话，输入 clear 清空对话历史，输入 stop 退出。"


@cli.command()
@click.option("--local", is_flag=True, help=LOCAL_HELP)
@_generation_options
def chat(**flags) -> None:
    """Interactive multi-turn chat (like ChatGLM's cli_demo): `clear` resets history, `stop` exits.

    Uses a running `lawglm serve` like `ask`; otherwise the index and model load at the first question
    that needs them (a greeting does not)."""
    from lawglm.answer.assistant import small_talk_answer

    base = _server(flags)
    assistant = None
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
        greeting = small_talk_answer(question)
        try:
            if greeting is not None:
                click.echo("\nlawglm：" + greeting.answer)
                continue
            if base is None and assistant is None:
                assistant = _load(dict(flags))
            click.echo("\nlawglm：", nl=False)
            if base is not None:
                from lawglm.cli.client import ask_stream

                answer = _show(ask_stream(base, _server_body(question, history, flags)))
            else:
                from lawglm.answer.options import AskOptions

                opts = AskOptions(question, history=history, **_request_opts(flags))
                answer = _show(assistant.stream(opts))
        except LawGLMError as exc:  # one bad turn does not end the conversation
            click.echo(f"error: {exc}", err=True)
            continue
        history.append((question, answer["answer"]))


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
@click.option(
    "--templates-dir", default=None, help="user contract template directories (os.pathsep-separated)"
)
@click.option(
    "--agent", is_flag=True, default=None, help="answers: the model calls lawglm's legal tools itself"
)
def serve(
    host: str | None,
    port: int | None,
    llm: str | None,
    llm_url: str | None,
    model: str | None,
    adapter: str | None,
    index_dir: str | None,
    quantize: str | None,
    device: str | None,
    templates_dir: str | None,
    agent: bool | None,
) -> None:
    """Run the HTTP service: web page at /, APIs under /v1 (docs at /docs)."""
    import uvicorn

    from lawglm.server import create_app

    s = settings_from(host=host, port=port, llm=llm, llm_url=llm_url, model=model, adapter=adapter,
                      index_dir=index_dir, quantize=_quantize_flag(quantize), device=device,
                      templates_dir=templates_dir, agent=agent)
    _check_llm(s)
    if s.templates_dir:  # a missing directory or a broken user template is said now, not at the first draft
        from lawglm.contracts import list_templates, skipped_templates

        list_templates(s)
        for _, why in skipped_templates(s):
            click.echo(f"warning: contract template not loaded: {why}", err=True)
    if s.host not in ("127.0.0.1", "localhost", "::1") and not s.admin_token:
        click.echo(f"warning: serving on {s.host}, reachable from other machines; admin endpoints "
                   "are disabled (no LAWGLM_ADMIN_TOKEN)", err=True)
    click.echo(
        f"lawglm: http://{s.host}:{s.port}/  (llm={s.llm_mode()}, index={s.index_dir}); the page shows "
        "what is being prepared until it is ready",
        err=True,
    )
    import logging

    class _QuietPolls(
        logging.Filter
    ):  # the page polls /readyz while the server prepares: not worth a line each
        def filter(self, record: logging.LogRecord) -> bool:
            return not any(str(a).startswith(("/readyz", "/healthz")) for a in (record.args or ()))

    logging.getLogger("uvicorn.access").addFilter(_QuietPolls())
    uvicorn.run(create_app(settings=s, build_index=True), host=s.host, port=s.port, log_level="info")
