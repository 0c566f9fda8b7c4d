"""Incremental index updates: diff statute files against the serving index, merge, rebuild, roll back.

Owns `plan_update` (what `lawglm index diff` prints), `apply_update` (what `lawglm index update`
and the server's rebuild job run) and `rollback`, on top of `lawglm.search.index` (versioned builds,
atomic CURRENT switch).

Merge rules for each ingested law version (matched by law name; a name that is not in the index
but resolves through its aliases, e.g. 民法典, is taken as that law):
  * same text as a stored version of the law -> unchanged (an explicit 已废止 status repeals it);
  * same version (law_id, i.e. name + version date) with different text -> that version is replaced;
  * otherwise a new version is added. Per law, the version with the latest (effective, version)
    date then keeps its status and older versions still in force become 历史版本, so a later
    version replaces the earlier one in default search while `Corpus.versions` keeps both;
  * a repeal notice (title + 状态：已废止, no articles) marks the law's current version 已废止.
Only articles whose indexed text changed are embedded and tokenized again; all others reuse their
vectors and BM25 postings (`token_store`), and the links graph is recomputed only for the changed laws and
the documents naming them (`index.Base`): a one-law update of the 66,602-article default corpus takes a few
seconds, and builds the same index a full build of the merged corpus would (tests/test_updates.py).
Updates and rollbacks hold an exclusive lock on `index_dir/.update.lock`.
"""

from __future__ import annotations

import fcntl
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from lawglm.errors import DataError, IndexCorrupt, IndexMissing, UnknownLaw
from lawglm.records import CURRENT_STATUSES, REPEALED, Article
from lawglm.search.text import article_document
from lawglm.statutes.corpus import Corpus
from lawglm.statutes.ingest import (
    IngestResult,
    ParseReport,
    ingest_paths,
    law_hash,
    resolve_versions,
    version_key,
)

ProgressCallback = Callable[[int, int, str], None]


@dataclass
class LawChange:
    """What an update does to one law."""

    law: str
    kind: str  # added | new_version | older_version | corrected | repealed
    old: str = ""  # version date of the head before
    new: str = ""  # version date of the head after
    added: list[str] = field(default_factory=list)  # article labels, head vs head
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def line(self) -> str:
        arrow = f" {self.old or '-'} -> {self.new or '-'}" if self.kind != "added" else f" {self.new}"
        counts = f" (+{len(self.added)} ~{len(self.changed)} -{len(self.removed)} articles)"
        return f"  {self.kind:<13} {self.law}{arrow}{counts if self.kind != 'repealed' else ''}"


@dataclass
class UpdatePlan:
    """The diff between the serving index and the index after merging the ingested files."""

    version: str | None  # serving version the plan was made against
    added: list[str] = field(default_factory=list)  # laws new to the index
    changed: list[str] = field(default_factory=list)  # laws whose stored content changes
    removed: list[str] = field(default_factory=list)  # laws leaving default search (repealed)
    unchanged: list[str] = field(default_factory=list)  # ingested laws identical to the index
    changes: list[LawChange] = field(default_factory=list)
    reembed: int = 0  # articles whose vectors must be computed
    report: ParseReport = field(default_factory=ParseReport)
    articles: list[Article] = field(default_factory=list, repr=False)  # merged corpus

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed)

    @property
    def repeals(self) -> list[str]:
        return [c.law for c in self.changes if c.kind == "repealed"]

    def to_dict(self) -> dict:
        return {"version": self.version, "added": self.added, "changed": self.changed,
                "removed": self.removed, "unchanged": self.unchanged, "reembed": self.reembed,
                "changes": [vars(c) for c in self.changes], "report": self.report.to_dict()}

    def lines(self) -> list[str]:
        head = (
            f"against index version {self.version}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed from default search, {len(self.unchanged)} unchanged; "
            f"{self.reembed} article(s) to embed"
        )
        return (
            [head] + [c.line() for c in self.changes] + [f"  unchanged     {law}" for law in self.unchanged]
        )


# --- merging ----------------------------------------------------------------
def _versions(articles: list[Article]) -> dict[str, dict[str, list[Article]]]:
    """law -> law_id -> articles."""
    out: dict[str, dict[str, list[Article]]] = defaultdict(lambda: defaultdict(list))
    for a in articles:
        out[a.law][a.law_id].append(a)
    return out


def _head(versions: dict[str, list[Article]]) -> list[Article]:
    if not versions:
        return []
    return max(versions.values(), key=lambda arts: (version_key(arts[0]), arts[0].is_current))


def _rename(result: IngestResult, corpus: Corpus) -> list[Article]:
    """Ingested articles with law names resolved to the index's names (民法典 -> 中华人民共和国民法典)."""
    known = set(corpus.laws())
    names = {
        a.law: a.law if a.law in known else (corpus.resolve_law(a.law) or a.law) for a in result.articles
    }
    for short, full in names.items():
        if short != full:
            result.report.warnings.append(f"law name {short!r} taken as {full!r}")
    return [replace(a, law=names[a.law]) if names[a.law] != a.law else a for a in result.articles]


def merge(corpus: Corpus, result: IngestResult) -> tuple[list[Article], set[str]]:
    """The index's articles with the ingested laws merged in; returns (articles, touched laws)."""
    stored = _versions(corpus.articles)
    drop: set[str] = set()  # law_ids replaced or re-statused
    extra: list[Article] = []
    touched: set[str] = set()
    for law, versions in _versions(_rename(result, corpus)).items():
        touched.add(law)
        for law_id, arts in versions.items():
            d, e = _merge_version(stored.get(law, {}), law_id, arts)
            drop |= d
            extra += e
    for notice in result.repeals:
        law = corpus.resolve_law(notice.law)
        if law is None:
            raise UnknownLaw(f"{notice.where}: repeal notice for {notice.law!r}, which is not in the index")
        touched.add(law)
        head = _head(stored[law])
        if head and head[0].status != REPEALED:
            drop.add(head[0].law_id)
            extra += [replace(a, status=REPEALED) for a in head]
    merged = [a for a in corpus.articles if a.law_id not in drop] + extra
    return resolve_versions(merged, touched), touched


def _merge_version(stored: dict[str, list[Article]], law_id: str,
                   arts: list[Article]) -> tuple[set[str], list[Article]]:
    """(law_ids to drop, articles to add) for one ingested version of a law."""
    digest = law_hash(arts)
    for old_id, old in stored.items():
        if law_hash(old) == digest:  # same text: this version is already stored
            if arts[0].status == REPEALED and old[0].status != REPEALED:
                return {old_id}, [replace(a, status=REPEALED) for a in old]
            return set(), []
    head = _head(stored)
    if head and version_key(head[0]) > ("", "") and version_key(arts[0]) == ("", ""):
        raise DataError(f"{arts[0].source}: {arts[0].law} differs from the stored version dated "
                        f"{head[0].effective_date or head[0].version_date} but carries no date; add a "
                        "施行日期：/公布日期： header (or effective_date) so the versions can be ordered")
    if head:  # a new version of a stored law keeps the law's department / level unless given
        fill = {k: getattr(head[0], k) for k in ("department", "level")}
        arts = [replace(a, **{k: v for k, v in fill.items() if not getattr(a, k)}) for a in arts]
    return ({law_id} if law_id in stored else set()), list(arts)


# --- planning ---------------------------------------------------------------
def documents(articles: list[Article], memo: dict[int, str] | None = None) -> list[str]:
    """Indexed texts of `articles`; `memo` (id(article) -> text, for objects kept alive by the caller)
    saves recomputing them across the steps of one update."""
    if memo is None:
        return [article_document(a) for a in articles]
    out = []
    for a in articles:
        doc = memo.get(id(a))
        if doc is None:
            doc = memo[id(a)] = article_document(a)
        out.append(doc)
    return out


def plan_against(corpus: Corpus, result: IngestResult, version: str | None = None,
                 memo: dict[int, str] | None = None) -> UpdatePlan:
    """Diff the ingested files against an index corpus (no disk writes)."""
    from lawglm.search.index import law_hashes

    merged, touched = merge(corpus, result)
    # only touched laws can differ (merge changes no other law): hash those alone
    before = law_hashes([a for a in corpus.articles if a.law in touched])
    after = law_hashes([a for a in merged if a.law in touched])
    plan = UpdatePlan(version=version, report=result.report, articles=merged)
    old_by_law, new_by_law = _versions(corpus.articles), _versions(merged)
    for law in sorted(touched):
        if law not in before:
            plan.added.append(law)
        elif before[law] != after[law]:
            plan.changed.append(law)
        else:
            plan.unchanged.append(law)
            continue
        plan.changes.append(_describe(law, old_by_law.get(law, {}), new_by_law[law]))
        if _in_force(old_by_law.get(law, {})) and not _in_force(new_by_law[law]):
            plan.removed.append(law)
    plan.reembed = len(merged) - len(reusable_keys(corpus.articles, merged, memo))
    return plan


def _in_force(versions: dict[str, list[Article]]) -> bool:
    return any(a.status in CURRENT_STATUSES for arts in versions.values() for a in arts)


def _describe(law: str, old: dict[str, list[Article]], new: dict[str, list[Article]]) -> LawChange:
    old_head, new_head = _head(old), _head(new)
    change = LawChange(law, "added", new=new_head[0].version_date or new_head[0].effective_date)
    if not old_head:
        change.added = [a.label for a in new_head]
        return change
    change.old = old_head[0].version_date or old_head[0].effective_date
    if new_head[0].law_id != old_head[0].law_id:
        change.kind = "new_version"
    elif new_head[0].status == REPEALED and old_head[0].status != REPEALED:
        change.kind = "repealed"
    elif law_hash(new_head) != law_hash(old_head):
        change.kind = "corrected"
    else:
        change.kind = "older_version"
    o = {(a.article_no, a.sub_no): a for a in old_head}
    n = {(a.article_no, a.sub_no): a for a in new_head}
    change.added = [n[k].label for k in sorted(n.keys() - o.keys())]
    change.removed = [o[k].label for k in sorted(o.keys() - n.keys())]
    change.changed = [n[k].label for k in sorted(n.keys() & o.keys()) if n[k].text != o[k].text]
    return change


def reusable_keys(old: list[Article], new: list[Article], memo: dict[int, str] | None = None) -> set[str]:
    """Keys of new articles whose indexed document equals a stored article's (same text, chapter, law)."""
    docs = set(documents(old, memo))
    return {a.key for a, doc in zip(new, documents(new, memo)) if doc in docs}


def plan_update(index_dir: str | Path, paths: list[Path] | list[str]) -> UpdatePlan:
    """What `apply_update` would do, without changing anything. DataError on parse errors."""
    from lawglm.search.index import load_index

    result = ingest_paths([Path(p) for p in paths], strict=True)
    loaded = load_index(index_dir)
    return plan_against(loaded.corpus, result, loaded.version)


# --- applying -----------------------------------------------------------------
@contextmanager
def update_lock(index_dir: str | Path) -> Iterator[None]:
    """Exclusive lock for updates / rollbacks of one index (released by the OS if the process dies)."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(index_dir) / ".update.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def apply_update(index_dir: str | Path, paths: list[Path] | list[str], *, encoder: str | None = None,
                 progress: bool = True, progress_callback: ProgressCallback | None = None,
                 note: Callable[[str], None] | None = None) -> dict:
    """Merge statute files into the serving index as a new version, validate it, switch atomically.

    Returns the new manifest (the current one, unchanged, when nothing differs). Parse or validation
    failures raise DataError (IngestError carries `.report`); the serving index is left untouched.
    `encoder` defaults to the encoder the serving index was built with. `note` gets one line per file
    of a directory that was skipped as no statute (corpus/README.md).
    """
    from lawglm.search.index import Base, build_index, load_index

    report = progress_callback or (lambda done, total, stage: None)
    t0, c0 = time.perf_counter(), time.process_time()
    took = lambda t, c: f"{time.perf_counter() - t:.2f}s (CPU {time.process_time() - c:.2f}s)"
    say = (lambda text: print(text, file=sys.stderr)) if progress else (lambda text: None)
    report(0, 6, "parse")
    result = ingest_paths([Path(p) for p in paths], strict=True)
    for line in result.report.skipped:
        (note or (lambda _: None))(line)
    with update_lock(index_dir):
        report(1, 6, "diff")
        say(f"update: parsed {len(result.articles)} articles in {took(t0, c0)}")
        t, c = time.perf_counter(), time.process_time()
        loaded, memo = load_index(index_dir), {}
        say(f"  loaded {loaded.version} ({len(loaded.corpus)} articles) in {took(t, c)}")
        t, c = time.perf_counter(), time.process_time()
        plan = plan_against(loaded.corpus, result, loaded.version, memo)
        say(f"  diff {took(t, c)}: " + "; ".join(plan.lines()[:1]))
        if plan.empty:
            report(6, 6, "unchanged")
            return loaded.manifest
        enc, same_encoder = _encoder_and_reuse(loaded, encoder)
        corpus = Corpus(plan.articles, source=loaded.corpus.source)
        info = {"kind": "update", "paths": [str(p) for p in paths], "previous": loaded.version,
                "added": plan.added, "changed": plan.changed, "removed": plan.removed}
        stages = lambda done, total, stage: report(2 + done * 4 // max(total, 1), 6, f"build:{stage}")
        base = Base(loaded, set(plan.added) | set(plan.changed), vectors=same_encoder,
                    documents=documents(loaded.corpus.articles, memo), memo=memo)
        manifest = build_index(corpus, index_dir, enc, progress=progress, source_info=info,
                               index_type=(loaded.manifest.get("faiss") or {}).get("type", "flat"),
                               progress_callback=stages, check=lambda new: check_update(new, plan), base=base)
        say(f"update: done in {took(t0, c0)} (this process)")
        return manifest


def _encoder_and_reuse(loaded, encoder: str | None) -> tuple[str | None, bool]:
    """The encoder to build with, and whether the serving version's vectors are valid for it (not when the
    encoder changed)."""
    from lawglm.search.index import dir_sha256

    info = loaded.manifest.get("encoder")
    if encoder is None:
        return (info["path"] if info else None), True
    if info and Path(encoder).is_dir() and dir_sha256(Path(encoder)) == info.get("sha256"):
        return encoder, True
    return encoder, False


def check_update(loaded, plan: UpdatePlan) -> None:
    """Validate a freshly built version before it serves: counts, changed articles, a probe query."""
    corpus = loaded.corpus
    if len(corpus) != len(plan.articles):
        raise IndexCorrupt(f"update validation: {len(corpus)} articles built, {len(plan.articles)} expected")
    expected = [a for a in plan.articles if a.law in set(plan.added) | set(plan.changed)]
    for a in expected:
        got = corpus.versions(a.law, a.article_no, a.sub_no)
        if not any(g.key == a.key and g.text == a.text and g.status == a.status for g in got):
            raise IndexCorrupt(f"update validation: {a.citation} ({a.status}) not found as ingested")
    probes = [a for a in expected if a.is_current] or expected
    if probes:
        _probe(loaded, probes[len(probes) // 2])


def _probe(loaded, article: Article, k: int = 10) -> None:
    """The article's own text must retrieve it (BM25, and dense when present)."""
    from lawglm.search.encoder import encode
    from lawglm.search.text import tokenize

    row = next(i for i, a in enumerate(loaded.corpus.articles) if a.key == article.key)
    doc = article_document(article)
    scores = loaded.bm25.get_scores(tokenize(doc))
    if row not in np.argsort(-scores)[:k]:
        raise IndexCorrupt(f"update validation: BM25 probe does not find {article.citation}")
    if loaded.dense:
        _, ids = loaded.faiss.search(encode(loaded.encoder(), [doc]), k)
        if row not in ids[0]:
            raise IndexCorrupt(f"update validation: dense probe does not find {article.citation}")


def previous_version(index_dir: str | Path) -> str:
    """The version that served before CURRENT (recorded at build time, else the next older one)."""
    from lawglm.search.index import current_path, list_versions, read_manifest

    path = current_path(index_dir)
    current = path.name
    versions = list_versions(index_dir)
    prev = (read_manifest(path).get("source_info") or {}).get("previous")
    if prev in versions and prev != current:
        return prev
    older = [v for v in versions if v < current]
    if not older:
        raise IndexMissing(
            f"no earlier index version to roll back to in {index_dir} (have: {', '.join(versions)})"
        )
    return older[-1]


def rollback(index_dir: str | Path) -> str:
    """Make the previous version CURRENT (atomically) after checking it loads; returns its id."""
    from lawglm.search.index import set_current, validate, versions_dir

    with update_lock(index_dir):
        prev = previous_version(index_dir)
        validate(versions_dir(index_dir) / prev)
        set_current(index_dir, prev)
        return prev
