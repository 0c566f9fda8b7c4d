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
    _generation_options,
    _quantize_flag,
    _request_opts,
    cli,
    echo_json,
    settings_from,
)
from lawglm.errors import LawGLMError


def _print_citations(answer) -> None:
    if answer.citations:
        click.echo("\n引用核验：", err=False)
    from lawglm.answer.support import reason_text

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
    from lawglm.records import Answer

    answer = None
    from lawglm.answer.options import AskOptions

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
        from lawglm.answer.options import AskOptions

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
@click.option("--templates-dir", default=None, help="user contract template directories (os.pathsep-separated)")
def serve(host: str | None, port: int | None, llm: str | None, llm_url: str | None, model: str | None,
          adapter: str | None, index_dir: str | None, quantize: str | None, device: str | None,
          templates_dir: str | None) -> None:
    """Run the HTTP service: web page at /, APIs under /v1 (docs at /docs)."""
    import uvicorn

    from lawglm.server import create_app

    s = settings_from(host=host, port=port, llm=llm, llm_url=llm_url, model=model, adapter=adapter,
                      index_dir=index_dir, quantize=_quantize_flag(quantize), device=device,
                      templates_dir=templates_dir)
    _check_llm(s)
    if s.templates_dir:  # a missing directory or a broken user template is said now, not at the first draft
        from lawglm.contracts import list_templates, skipped_templates

        list_templates(s)
        for _, why in skipped_templates(s):
            click.echo(f"warning: contract template not loaded: {why}", err=True)
    if s.host not in ("127.0.0.1", "localhost", "::1") and not s.admin_token:
        click.echo(f"warning: serving on {s.host}, reachable from other machines; admin endpoints "
                   "are disabled (no LAWGLM_ADMIN_TOKEN)", err=True)
    click.echo(f"lawglm: http://{s.host}:{s.port}/  (llm={s.llm_mode()}, index={s.index_dir}); the page shows "
               "what is being prepared until it is ready", err=True)
    uvicorn.run(create_app(settings=s, build_index=True), host=s.host, port=s.port, log_level="info")
