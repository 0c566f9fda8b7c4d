"""`lawglm lookup`, `lawglm verify`, `lawglm ingest`: articles, citation checks, parsing statute files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lawglm.cli.common import cli, command_group, echo_json, settings_from, statute_corpus, statute_links

CORPUS_HELP = ("also these statute files (a file or directory, as `lawglm index update` reads them), merged "
               "over the index's statutes")


@cli.command()
@click.argument("law")
@click.argument("article", required=False)
@click.option("--index-dir", default=None, help="the index whose statutes to read (default: index/)")
@click.option("--corpus", default=None, help=CORPUS_HELP)
@click.option("--all-versions", is_flag=True, help="show every stored version of the article")
@click.option("--json", "as_json", is_flag=True)
def lookup(law: str, article: str | None, index_dir: str | None, corpus: str | None, all_versions: bool,
           as_json: bool) -> None:
    """Print one article: `lawglm lookup 民法典 1254` or `lawglm lookup "《民法典》第1254条"`."""
    from lawglm.errors import ArticleNotFound
    from lawglm.numerals import article_label
    from lawglm.search.index import current_version
    from lawglm.statutes.citations import extract

    s = settings_from(index_dir=index_dir)
    # with an index built: that law's lines of its snapshot, and its links.json; without one (or with
    # --corpus) the whole statutes are read once, for the article and for the links touching its law
    whole = corpus is not None or current_version(s.index_dir) is None
    c = statute_corpus(
        s.index_dir, corpus, law if article is not None and not whole else None, s.corpus_source()
    )  # LAW ARTICLE
    if article is None:  # one argument holding both: 《民法典》第1254条
        refs = extract(law, c)
        if not refs or not refs[0].law:
            raise ArticleNotFound(f"no article reference found in {law!r} (try: lawglm lookup 民法典 1254)")
        law, article = refs[0].law, article_label(refs[0].article_no, refs[0].sub_no)
    found = c.lookup(law, article)
    versions = c.versions(found.law, found.article_no, found.sub_no) if all_versions else [found]
    links = statute_links(s.index_dir, corpus, s.corpus_source(), law=found.law, corpus=c if whole else None,
                          articles=versions)
    shown = s.links_shown
    if as_json:
        echo_json([{**a.to_dict(), "links": links.to_dict(a, shown)} for a in versions])
        return
    from lawglm.statutes.amendments import status_detail

    for a in versions:
        detail = status_detail(a, c)
        click.echo(f"{a.citation}  [{detail['label']}]" + (f"  {a.chapter}" if a.chapter else ""))
        click.echo(a.text)
        click.echo(f"（{detail['note']}）")
        for line in links_lines(links.to_dict(a, shown)):
            click.echo(line)


def links_lines(links: dict) -> list[str]:
    """The cross-references of an article as `lookup` prints them: 适用本条的解释和法规：… / 本条适用：…,
    grouped by document (婚姻家庭编解释一 第一条、第二条)."""
    out = []
    for field, head in (("applied_by", "适用本条的解释和法规"), ("applies", "本条适用")):
        refs, total = links[field], links[f"{field}_total"]
        if not refs:
            continue
        groups: dict[str, list[str]] = {}
        for r in refs:
            groups.setdefault(r["short"], []).append(r["label"])
        more = f"（共 {total} 条，列出 {len(refs)} 条）" if total > len(refs) else ""
        out.append(
            f"{head}：" + "；".join(f"{name} {'、'.join(labels)}" for name, labels in groups.items()) + more
        )
    return out


@cli.command()
@click.argument("text", required=False)
@click.option("--index-dir", default=None, help="the index whose statutes to check against (default: index/)")
@click.option("--corpus", default=None, help=CORPUS_HELP)
@click.option("--law", "context_law", default=None, help="law that 本法 refers to")
@click.option(
    "--sources",
    multiple=True,
    metavar="ARTICLES|FILE",
    help="the articles TEXT was written from (民法典1079,劳动合同法85 or 《…》第N条; repeatable; a file "
    "path reads one list from the file): also checks each citation is among them and says "
    "what TEXT attributes to it",
)
@click.option("--json", "as_json", is_flag=True)
def verify(
    text: str | None,
    index_dir: str | None,
    corpus: str | None,
    context_law: str | None,
    sources: tuple[str, ...],
    as_json: bool,
) -> None:
    """Check every citation in TEXT (or stdin) against the corpus (exit 3 if any fails)."""
    from lawglm.statutes.citations import unreadable
    from lawglm.statutes.citations import verify as verify_text

    text = text if text is not None else sys.stdin.read()
    if not text.strip():
        raise click.UsageError("TEXT is empty")
    s = settings_from(index_dir=index_dir)
    c = statute_corpus(s.index_dir, corpus, source=s.corpus_source())
    if sources:
        _verify_support(text, c, context_law, sources, as_json)
        return
    from lawglm.answer.support import check_quotes, outside_quotes, reason_text

    cites = verify_text(text, c, context_law=context_law)
    check_quotes(text, outside_quotes(text, cites), c)  # "does it say that?": each quote vs its article
    bad = unreadable(text)  # 第三十七一条: a citation whose number cannot be read is a failure, not silence
    failed = bad or any(not x.verified or (x.support or {}).get("reason") == "quote_mismatch" for x in cites)
    if as_json:
        echo_json([x.to_dict() for x in cites] + [{**u.to_dict(), "reason": "unreadable", "verified": False}
                                                 for u in bad])
        sys.exit(3 if failed else 0)  # same exit code as the text output
    if not cites and not bad:
        click.echo("no citations found")
    for x in cites:
        misquoted = (x.support or {}).get("reason") == "quote_mismatch"
        mark = "✗" if not x.verified or misquoted else "✓"
        said = f"：{reason_text(x)}" if x.support else ""
        click.echo(f"{mark} {x.raw}  -> {x.reason}{said}" + (f" [{x.article.status}]" if x.article else ""))
        if x.article and x.verified:
            click.echo("    " + x.article.text.replace("\n", "\n    "))
    for u in bad:
        click.echo(f"✗ {u.to_dict()['raw']}  -> unreadable ({u.error})")
    if failed:
        sys.exit(3)


def _verify_support(
    text: str, corpus, context_law: str | None, specs: tuple[str, ...], as_json: bool
) -> None:
    """`verify --sources`: the check answers get (existence, then support against the sources)."""
    from pathlib import Path

    from lawglm.answer.support import check_support, outside_quotes, parse_sources, reason_text
    from lawglm.statutes.citations import verify as verify_text

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



@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="write the parsed articles as JSONL (e.g. corpus/articles.jsonl)")
@click.option("--json", "as_json", is_flag=True)
def ingest(paths: tuple[str, ...], out: str | None, as_json: bool) -> None:
    """Parse statute files (text, Markdown, JSONL, laws.db, directories) and print the report."""
    from pathlib import Path

    from lawglm.statutes.corpus import write_jsonl
    from lawglm.statutes.ingest import IngestError, ingest_paths

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


corpus_group = command_group("corpus", "The default corpus: laws.db + the shipped LawRefBook documents.")


@corpus_group.command("build-default")
@click.argument("checkout", type=click.Path(exists=True, file_okay=False))
@click.option("--out", default=None, help="folder to write (default: the package's lawglm/data/corpus)")
def corpus_build_default(checkout: str, out: str | None) -> None:
    """Rebuild the shipped default-corpus data from a LawRefBook CHECKOUT (司法解释, 行政法规, 部门规章; laws
    where LawRefBook's text is newer than laws.db's). Run by maintainers; users refresh with `index
    update`."""
    from lawglm.statutes.shipped import SHIPPED_DIR
    from lawglm.statutes.shipped_build import build_shipped

    info = build_shipped(checkout, out or SHIPPED_DIR)
    for level, n in info["by_level"].items():
        click.echo(f"{level}: {n['documents']} documents, {n['articles']} articles ({n['current']} in force)")
    for r in info["law_choices"]:
        click.echo(f"law text from LawRefBook: {r['law']} ({r['why']})")
    click.echo(f"wrote {info['bytes']:,} bytes to {Path(out or SHIPPED_DIR)}")


@corpus_group.command("diff")
@click.argument("checkout", type=click.Path(exists=True, file_okay=False))
@click.option("--all", "show_all", is_flag=True, help="also the laws whose texts agree")
@click.option("--json", "as_json", is_flag=True)
def corpus_diff(checkout: str, show_all: bool, as_json: bool) -> None:
    """Where a LawRefBook CHECKOUT's text of a law differs from laws.db's, and which one the default uses."""
    from lawglm.statutes import lawrefbook
    from lawglm.statutes.corpus import read_sqlite
    from lawglm.statutes.ingest import ingest_paths
    from lawglm.statutes.shipped import LAW_FOLDERS, laws_db
    from lawglm.statutes.shipped_build import diff_laws

    root = lawrefbook.find_root(checkout)
    if root is None:
        raise click.UsageError(f"{checkout} is not a LawRefBook checkout (no db.sqlite3 / 法律法规模版.md)")
    laws = ingest_paths([root / f for f in LAW_FOLDERS if (root / f).is_dir()], strict=False)
    rows = diff_laws(laws.articles, read_sqlite(laws_db()))
    shown = rows if show_all else [r for r in rows if r["articles_differing"] or r["choice"] == "lawrefbook"
                                   or r["lawrefbook"] != r["laws_db"]]
    if as_json:
        echo_json(shown)
        return
    for r in shown:
        click.echo(
            f"{r['law']}: LawRefBook {r['lawrefbook'] or '?'} / laws.db {r['laws_db'] or '-'}; "
            f"{r['articles_differing']} of the shared articles differ; uses {r['choice']} ({r['why']})"
        )
    click.echo(
        f"{len(rows)} laws compared, {sum(r['articles_differing'] > 0 for r in rows)} with differing text"
    )
