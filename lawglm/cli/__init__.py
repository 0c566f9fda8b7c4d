"""The `lawglm` command line: thin wrappers over the library, one module per command group (statutes, search,
answer, contracts, models, train). Every command maps its flags onto `Settings`; library errors become one
line
on stderr and exit code 1 (usage errors: exit 2)."""

from __future__ import annotations

import sys

import click

from lawglm.cli import answer, contracts, models, search, statutes, tools, train  # noqa: F401  (registers the commands)
from lawglm.cli.common import cli
from lawglm.errors import LawGLMError

__all__ = ["cli", "main"]


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
