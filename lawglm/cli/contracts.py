"""`lawglm contract list|templates|show|check|draft`: contracts from vetted templates, built-in or the user's
own
(--templates-dir / LAWGLM_TEMPLATES_DIR)."""

from __future__ import annotations

import json
import sys

import click

from lawglm.cli.common import cli, echo_json, settings_from

TEMPLATES_DIR_HELP = (
    "user template directories, separated by the OS path separator (default: "
    "LAWGLM_TEMPLATES_DIR); loaded beside the built-in templates, a same-named one replaces it"
)
templates_dir_option = click.option("--templates-dir", default=None, help=TEMPLATES_DIR_HELP)


@cli.group()
def contract() -> None:
    """Draft contracts from vetted templates (list, templates, show, check, draft)."""


@contract.command("list")
@click.option("--json", "as_json", is_flag=True)
@templates_dir_option
def contract_list(as_json: bool, templates_dir: str | None) -> None:
    """The contract templates there are."""
    from lawglm.contracts import list_templates

    rows = list_templates(settings_from(templates_dir=templates_dir))
    if as_json:
        echo_json(rows)
        return
    for t in rows:
        click.echo(f"{t['name']:<14}{t['title']}（{t['fields']}个字段）  {t['description']}")


@contract.command("templates")
@click.option("--json", "as_json", is_flag=True)
@templates_dir_option
def contract_templates(as_json: bool, templates_dir: str | None) -> None:
    """Every template with where it comes from (built-in or a user directory) and what it replaces."""
    from lawglm.contracts import list_templates, skipped_templates

    s = settings_from(templates_dir=templates_dir)
    rows, skipped = list_templates(s), skipped_templates(s)
    if as_json:
        echo_json({"templates": rows, "skipped": [{"file": f, "problem": why} for f, why in skipped]})
        return
    for t in rows:
        note = f"  (replaces the {t['overrides']} one)" if t.get("overrides") else ""
        click.echo(f"{t['name']:<18}{t['title']:<12}{t['source']}{note}")
    for f, why in skipped:
        click.echo(f"note: not loaded: {why}", err=True)


@contract.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@templates_dir_option
def contract_check(path: str, templates_dir: str | None) -> None:
    """Check one template file: prints each problem as `FIELD: problem`; exit 1 when there is any."""
    from lawglm.contracts.check import check_template
    from lawglm.contracts.draft import template_dirs
    from lawglm.statutes.ingest import load_corpus

    s = settings_from(templates_dir=templates_dir)
    problems = check_template(path, template_dirs(s), load_corpus(s.corpus_source()))
    for where, message in problems:
        click.echo(f"{where}: {message}")
    if problems:
        raise SystemExit(1)
    click.echo(f"{path}: ok", err=True)


@contract.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@templates_dir_option
def contract_show(name: str, as_json: bool, templates_dir: str | None) -> None:
    """The fields of one template: `lawglm contract show sale` (or 买卖合同)."""
    from lawglm.contracts import get_schema

    schema = get_schema(name, settings_from(templates_dir=templates_dir))
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
@click.option(
    "--fields",
    "fields_path",
    default=None,
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="JSON file of field values ('-' = stdin)",
)
@click.option("--request", "-r", default=None, help="the request in plain language")
@click.option("--docx", "docx_path", default=None, type=click.Path(dir_okay=False), help="also write a .docx")
@click.option("--json", "as_json", is_flag=True, help="print the whole draft as JSON")
@click.option("--no-basis", is_flag=True, help="leave out the appendix of statute articles")
@click.option(
    "--extractor",
    default=None,
    type=click.Choice(["rules", "model", "hybrid", "llm"]),
    help="how fields are read from --request (default: LAWGLM_CONTRACT_EXTRACTOR, else rules); llm uses "
    "--llm-url or the local default model",
)
@click.option(
    "--llm-url", default=None, help="OpenAI-compatible server to help extract fields (default: rules)"
)
@click.option("--llm-model", default=None)
@templates_dir_option
def contract_draft(template: str | None, fields_path: str | None, request: str | None, docx_path: str | None,
                   as_json: bool, no_basis: bool, extractor: str | None, llm_url: str | None,
                   llm_model: str | None, templates_dir: str | None) -> None:
    """Draft a contract: --template NAME --fields f.json, or --request "…" (or both)."""
    from pathlib import Path

    from lawglm.contracts import draft, to_docx

    if template is None and request is None:
        raise click.UsageError("give --template NAME (with --fields) or --request TEXT")
    s = settings_from(llm_url=llm_url, llm_model=llm_model, contract_extractor=extractor,
                      templates_dir=templates_dir)
    generator = None
    if s.llm_url and (llm_url or s.contract_extractor == "llm"):
        from lawglm.models.generation import RemoteGenerator

        generator = RemoteGenerator(s.llm_url, model=s.llm_model, api_key=s.llm_api_key)
    elif s.contract_extractor == "llm" and request:
        from lawglm.models.generation import load_generator

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
