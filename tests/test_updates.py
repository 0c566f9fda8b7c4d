"""Incremental index updates: plan/diff, re-embedding only changed laws, versions, repeal, atomic
swap under a concurrent reader, kill-mid-build recovery, rollback, CLI."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lawglm.errors import DataError, IndexCorrupt, IndexMissing
from lawglm.records import HISTORICAL, REPEALED
from lawglm.search import index as index_mod
from lawglm.search.index import current_version, list_versions, load_index, versions_dir
from lawglm.search.text import article_document, tokenize
from lawglm.search.updates import apply_update, plan_update, rollback
from lawglm.statutes.ingest import IngestError

CONSUMER = "中华人民共和国消费者权益保护法"
COOP = "中华人民共和国农民专业合作社法"
FAKE = ("# 中华人民共和国测试法\n施行日期：2030-01-01\n第一章　总　则\n第一条　为了测试更新，制定本法。"
    "\n第二条　本法适用于测试。\n")


@pytest.fixture
def index_dir(tiny_index, tmp_path) -> Path:
    """A private copy of the session's tiny index (BM25 + dense) to update."""
    dest = tmp_path / "index"
    shutil.copytree(tiny_index, dest)
    return dest


def amended(corpus_articles, law: str, tmp_path: Path, *, change: int, date: str = "2031年1月1日",
            name: str = "amended.txt") -> tuple[Path, str]:
    """A published-text copy of `law`'s articles (from the index corpus), article `change` altered."""
    arts = sorted((a for a in corpus_articles if a.law == law and a.is_current), key=lambda a: a.article_no)
    lines, new_text = [law, f"（{date}第十五届全国人民代表大会常务委员会第一次会议修正）"], ""
    for a in arts:
        text = a.text
        if a.article_no == change:
            text = new_text = text.replace("。", "，并依照本次修正执行。", 1)
        chapter = a.chapter.replace(" ", "　")
        if chapter and chapter not in lines:
            lines.append(chapter)
        lines.append(f"{a.label}　" + text.replace("\n", "\n　　"))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, new_text


def same(a, b) -> bool:
    """The same stored article (snapshot paths in `source` differ between versions)."""
    return (a.key, a.text, a.status, a.effective_date) == (b.key, b.text, b.status, b.effective_date)


@pytest.fixture
def tokenized(monkeypatch) -> list[str]:
    """Every document the BM25 word tokenizer is asked to tokenize (spy around the real tokenize)."""
    from lawglm.search import token_store

    calls: list[str] = []
    real = token_store.tokenize

    def spy(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(token_store, "tokenize", spy)
    return calls


@pytest.fixture
def encoded(monkeypatch) -> list[str]:
    """Every text the dense encoder is asked to embed (spy around the real encode)."""
    calls: list[str] = []
    real = index_mod.encode

    def spy(model, texts, **kw):
        calls.extend(texts)
        return real(model, texts, **kw)

    monkeypatch.setattr(index_mod, "encode", spy)
    return calls


def test_amended_law_new_version_reembeds_only_changed(index_dir, tmp_path, encoded, tokenized):
    old = load_index(index_dir)
    path, new_text = amended(old.corpus.articles, CONSUMER, tmp_path, change=25)
    plan = plan_update(index_dir, [path])
    assert (plan.added, plan.changed, plan.removed, plan.reembed) == ([], [CONSUMER], [], 1)
    (change,) = plan.changes
    assert (change.kind, change.changed, change.new) == ("new_version", ["第二十五条"], "2031-01-01")
    assert current_version(index_dir) == old.version  # diff writes nothing

    manifest = apply_update(index_dir, [path], progress=False)
    new = load_index(index_dir)
    assert new.version == manifest["version"] != old.version and manifest["embedded"] == 1
    art = new.corpus.get(CONSUMER, 25)
    assert art.text == new_text and art.status == "现行有效" and art.effective_date == "2031-01-01"
    # one text embedded for the index, plus at most two single-text validation probes
    assert article_document(art) in encoded and len(encoded) <= 3
    assert tokenized == [article_document(art)]  # BM25 token ids of unchanged articles reused too
    # earlier version: 历史版本, still reachable with its dates; default search sees only the new one
    versions = new.corpus.versions(CONSUMER, 25)
    assert [v.status for v in versions] == ["现行有效", HISTORICAL]
    assert versions[1].text == old.corpus.get(CONSUMER, 25).text
    assert [a.text for a in new.corpus.current() if a.law == CONSUMER and a.article_no == 25] == [new_text]
    # unchanged articles keep their exact vectors (reused, not recomputed)
    old_rows = {a.key: old.embeddings[i] for i, a in enumerate(old.corpus.articles)}
    for i, a in enumerate(new.corpus.articles):
        if a.key in old_rows:
            assert np.array_equal(new.embeddings[i], old_rows[a.key])
    assert new.manifest["source_info"]["previous"] == old.version


def test_same_content_is_no_change(index_dir, tmp_path):
    old = load_index(index_dir)
    path, _ = amended(old.corpus.articles, CONSUMER, tmp_path, change=25)
    first = apply_update(index_dir, [path], progress=False)
    again = apply_update(index_dir, [path], progress=False)
    assert again["version"] == first["version"] and len(list_versions(index_dir)) == 2
    plan = plan_update(index_dir, [path])
    assert plan.empty and plan.unchanged == [CONSUMER]


def test_older_version_stays_historical(index_dir, tmp_path):
    old = load_index(index_dir)
    path, old_text = amended(old.corpus.articles, CONSUMER, tmp_path, change=24, date="1994年1月1日")
    plan = plan_update(index_dir, [path])
    assert [c.kind for c in plan.changes] == ["older_version"]
    apply_update(index_dir, [path], progress=False)
    new = load_index(index_dir)
    assert same(new.corpus.get(CONSUMER, 24), old.corpus.get(CONSUMER, 24))
    assert [(v.status, v.text) for v in new.corpus.versions(CONSUMER, 24)][1] == (HISTORICAL, old_text)


def test_repeal_notice_and_added_law(index_dir, tmp_path, encoded):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "repeal.txt").write_text(
        f"{COOP}\n状态：已废止\n施行日期：2030年6月1日\n", encoding="utf-8"
    )
    (tmp_path / "in" / "test.md").write_text(FAKE, encoding="utf-8")
    plan = plan_update(index_dir, [tmp_path / "in"])
    assert plan.added == ["中华人民共和国测试法"] and plan.changed == [COOP] and plan.removed == [COOP]
    assert plan.repeals == [COOP] and plan.reembed == 2
    manifest = apply_update(index_dir, [tmp_path / "in"], progress=False)
    assert manifest["embedded"] == 2
    new = load_index(index_dir)
    assert new.corpus.get(COOP, 1).status == REPEALED
    assert not any(a.law == COOP for a in new.corpus.current())
    assert new.corpus.lookup("测试法", "第二条").text == "本法适用于测试。"


def test_undated_text_for_dated_law_is_refused(index_dir, tmp_path):
    old = load_index(index_dir)
    path, _ = amended(old.corpus.articles, CONSUMER, tmp_path, change=25)
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:1] + path.read_text(
        encoding="utf-8").splitlines()[2:]), encoding="utf-8")  # drop the dated line
    with pytest.raises(DataError, match="carries no date"):
        apply_update(index_dir, [path], progress=False)
    assert current_version(index_dir) == old.version


def test_parse_error_leaves_index_untouched(index_dir, tmp_path):
    before = sorted(p.name for p in versions_dir(index_dir).iterdir())
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"law": "测试法", "article_no": 1, "text": "甲"}\n{"law": oops}\n', encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        apply_update(index_dir, [bad], progress=False)
    assert "bad.jsonl:2: invalid JSON" in exc.value.report.errors[0]
    assert sorted(p.name for p in versions_dir(index_dir).iterdir()) == before


def test_failed_validation_keeps_serving_index(index_dir, tmp_path, monkeypatch):
    old = load_index(index_dir)
    path, _ = amended(old.corpus.articles, CONSUMER, tmp_path, change=25)
    from lawglm.search import updates

    def broken_probe(loaded, article, k=10):
        raise IndexCorrupt("update validation: probe failed")

    monkeypatch.setattr(updates, "_probe", broken_probe)
    with pytest.raises(IndexCorrupt, match="probe failed"):
        apply_update(index_dir, [path], progress=False)
    assert current_version(index_dir) == old.version and list_versions(index_dir) == [old.version]
    assert not list(versions_dir(index_dir).glob(".tmp-*"))


def test_progress_callback_and_rollback(index_dir, tmp_path):
    old = load_index(index_dir)
    p1, _ = amended(old.corpus.articles, CONSUMER, tmp_path, change=25, name="a.txt")
    p2, _ = amended(old.corpus.articles, CONSUMER, tmp_path, change=24, date="2032年1月1日", name="b.txt")
    seen = []
    v1 = apply_update(
        index_dir, [p1], progress=False, progress_callback=lambda d, t, s: seen.append((d, t, s))
    )
    assert seen[0][2] == "parse" and seen[-1][0] == seen[-1][1] and [d for d, _, _ in seen] == sorted(
        d for d, _, _ in seen)
    v2 = apply_update(index_dir, [p2], progress=False)
    assert current_version(index_dir) == v2["version"]
    assert rollback(index_dir) == v1["version"] == current_version(index_dir)
    assert load_index(index_dir).corpus.get(CONSUMER, 24).text == old.corpus.get(CONSUMER, 24).text
    assert load_index(index_dir).corpus.get(CONSUMER, 25).effective_date == "2031-01-01"
    assert rollback(index_dir) == old.version
    with pytest.raises(IndexMissing, match="no earlier index version"):
        rollback(index_dir)
    # an update after a rollback builds on the rolled-back version
    apply_update(index_dir, [p2], progress=False)
    assert load_index(index_dir).corpus.get(CONSUMER, 25).text == old.corpus.get(CONSUMER, 25).text
    assert load_index(index_dir).corpus.get(CONSUMER, 25).effective_date == "2032-01-01"


def test_concurrent_reader_never_sees_a_broken_index(index_dir, tmp_path):
    old = load_index(index_dir)
    paths = [amended(old.corpus.articles, CONSUMER, tmp_path, change=25, date=f"20{31 + i}年1月1日",
                     name=f"v{i}.txt")[0] for i in range(3)]
    errors, loads, stop = [], [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                li = load_index(index_dir)
                scores = li.bm25.get_scores(tokenize("消费者 退货"))
                _, ids = li.faiss.search(li.embeddings[:1], 3)
                assert len(scores) == len(li.corpus) and ids[0][0] >= 0
                assert li.corpus.get(CONSUMER, 25).is_current
                loads.append(li.version)
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(repr(exc))

    t = threading.Thread(target=reader)
    t.start()
    try:
        for p in paths:
            apply_update(index_dir, [p], progress=False)
        rollback(index_dir)
    finally:
        time.sleep(0.2)
        stop.set()
        t.join(30)
    assert errors == []
    assert len(set(loads)) >= 2 and len(loads) >= 5


KILL_SCRIPT = """
import sys, time
from pathlib import Path
import lawglm.search.index as index
from lawglm.search.updates import apply_update
real = index._build_dense
def slow(*a, **kw):
    Path(sys.argv[3]).write_text("building")
    time.sleep(120)
    return real(*a, **kw)
index._build_dense = slow
apply_update(sys.argv[1], [sys.argv[2]], progress=False)
"""


def test_kill_mid_build_recovers(index_dir, tmp_path):
    old = load_index(index_dir)
    path, new_text = amended(old.corpus.articles, CONSUMER, tmp_path, change=25)
    marker = tmp_path / "building"
    script = tmp_path / "kill_me.py"
    script.write_text(textwrap.dedent(KILL_SCRIPT), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, str(script), str(index_dir), str(path), str(marker)], env=env)
    try:
        deadline = time.time() + 90
        while not marker.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), "the build never reached the dense stage"
        assert list(versions_dir(index_dir).glob(".tmp-*"))  # half-built version dir on disk
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert load_index(index_dir).version == old.version == current_version(index_dir)
    manifest = apply_update(index_dir, [path], progress=False)  # the lock died with the process
    assert load_index(index_dir).corpus.get(CONSUMER, 25).text == new_text
    assert manifest["version"] == current_version(index_dir)
    assert not list(versions_dir(index_dir).glob(".tmp-*"))


def test_cli_diff_update_rollback(index_dir, tmp_path, capsys):
    from lawglm.cli import main

    old = load_index(index_dir)
    path, _ = amended(old.corpus.articles, CONSUMER, tmp_path, change=25)
    main(["index", "diff", str(path), "--index-dir", str(index_dir)])
    out = capsys.readouterr().out
    assert "1 changed" in out and f"new_version   {CONSUMER}" in out and "1 article(s) to embed" in out
    main(["index", "update", str(path), "--index-dir", str(index_dir)])
    out = capsys.readouterr().out
    assert f"{old.version} -> {current_version(index_dir)}" in out and "embedded 1 article(s)" in out
    main(["index", "rollback", "--index-dir", str(index_dir)])
    assert current_version(index_dir) == old.version
    with pytest.raises(SystemExit) as exc:
        main(["index", "rollback", "--index-dir", str(index_dir)])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and err.count("\n") == 1 and "no earlier index version" in err


def _by_token(bm25) -> dict[tuple[str, int], float]:
    """(token string, document) -> BM25 score: a field's numbers independent of its vocab's order."""
    vocab = sorted(bm25.vocab_dict, key=bm25.vocab_dict.get)
    indptr, docs, data = (np.asarray(bm25.scores[k]) for k in ("indptr", "indices", "data"))
    return {(vocab[t], int(docs[i])): float(data[i]) for t in range(len(indptr) - 1)
            for i in range(indptr[t], indptr[t + 1])}


@pytest.mark.parametrize("field", ["bm25", "chars"])
def test_token_store_merge_equals_tokenizing_everything(tiny_articles, tmp_path, tokenized, field):
    import bm25s

    from lawglm.search import token_store

    docs = [article_document(a) for a in tiny_articles]
    if field == "bm25":  # the vectorised formula is bm25s' own
        ids, vocab, n = token_store.token_ids(docs)
        assert n == len(docs) and tokenized == docs
        ref = bm25s.BM25(k1=1.2, b=0.75)
        ref.index(([row.tolist() for row in ids], {t: i for i, t in enumerate(vocab)}), show_progress=False)
        ours = token_store.build_bm25(ids, vocab)
        for key in ("data", "indices", "indptr"):
            assert np.array_equal(ref.scores[key], ours.scores[key])
        assert ref.vocab_dict == ours.vocab_dict
    full = token_store.tokenize_postings(field, docs)
    token_store.save(tmp_path, field, full)
    saved = load_index_field(tmp_path, field)
    old = token_store.load(tmp_path, field, saved, len(docs))
    assert old is not None and old.vocab == full.vocab and np.array_equal(old.lengths, full.lengths)
    assert token_store.load(tmp_path, field, saved, len(docs) - 1) is None  # stored for another corpus

    # an update: the first document dropped, one changed, one new, one text twice (an older version kept)
    changed = docs[2:] + ["消费者 退货 新条文", docs[5]] + [docs[1] + "（修正）"]
    tokenized.clear()
    rows = token_store.match_rows(docs, changed)
    assert rows.tolist()[:3] == [2, 3, 4] and rows[-3] == -1 and rows[-2] == 5 and rows[-1] == -1
    merged = token_store.merge(old, field, changed, rows)
    assert merged.vocab[: len(full.vocab)] == full.vocab  # extended, never renumbered
    if field == "bm25":
        assert tokenized == ["消费者 退货 新条文", docs[1] + "（修正）"]  # only the new texts
    k1, b = token_store.PARAMS[field]
    rebuilt = token_store.bm25_of(token_store.tokenize_postings(field, changed), k1, b)
    assert _by_token(token_store.bm25_of(merged, k1, b)) == _by_token(rebuilt)


def load_index_field(where: Path, field: str):
    import bm25s

    return bm25s.BM25.load(str(where / field))


def test_readme_beside_statutes_is_skipped_with_a_note(index_dir, tmp_path, capsys):
    """corpus/ as shipped holds README.md: ingest, index diff and index update read the statute file next
    to it and say in one line that the README was skipped (they used to abort on it)."""
    from live import run_cli

    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "corpus" / "README.md", folder / "README.md")
    (folder / "test.md").write_text(FAKE, encoding="utf-8")
    code, out, err = run_cli(["ingest", str(folder)], capsys)
    assert code == 0 and "中华人民共和国测试法: 2" in out
    assert f"note: {folder / 'README.md'}: skipped, not a statute file" in out
    code, out, err = run_cli(["index", "diff", str(folder), "--index-dir", str(index_dir)], capsys)
    assert code == 0 and "1 added" in out and err.count("skipped, not a statute file") == 1
    code, out, err = run_cli(["index", "update", str(folder), "--index-dir", str(index_dir)], capsys)
    assert code == 0 and "added 1" in out and err.count("skipped, not a statute file") == 1
    assert load_index(index_dir).corpus.get("中华人民共和国测试法", 2) is not None
    # named explicitly, a file without articles is still an error: the user said it is a statute
    code, _, err = run_cli(["ingest", str(folder / "README.md")], capsys)
    assert code == 1 and "has no articles" in err


INTERP = "最高人民法院关于审理消费纠纷案件适用法律若干问题的规定"


def _as_written_before_tf(index_dir: Path) -> None:
    """Make the current version look like one written before tokens/<field>.tf.npy: per-article word
    ids (tokens/ids.npy, offsets.npy, vocab.json), no character postings."""
    import json

    from lawglm.search import token_store
    from lawglm.search.index import current_path
    from lawglm.search.text import TOKENIZER_NAME

    path = current_path(index_dir)
    for f in (path / "tokens").iterdir():
        f.unlink()
    docs = [article_document(a) for a in load_index(index_dir).corpus.articles]
    ids, vocab, _ = token_store.token_ids(docs)
    np.save(path / "tokens" / "ids.npy", np.concatenate(ids))
    np.save(path / "tokens" / "offsets.npy", np.concatenate([[0], np.cumsum([len(x) for x in ids])]))
    (path / "tokens" / "vocab.json").write_text(json.dumps({"tokenizer": TOKENIZER_NAME, "vocab": vocab}),
                                                encoding="utf-8")


@pytest.mark.parametrize("base", ["postings", "written before tf.npy"])
def test_an_update_builds_what_a_full_build_of_the_merged_corpus_builds(tmp_path, tiny_articles,
                                                                        tiny_encoder, base, tokenized):
    """One law updated in place vs the same corpus built from scratch: the same snapshot, links, BM25 scores
    of both fields, vectors and top hits — the update only reuses what a full build would compute again
    (also from a version written before the term frequencies were stored: word postings from its ids)."""
    from lawglm.records import Article
    from lawglm.search.index import build_index
    from lawglm.search.retrieval import Params, Retriever
    from lawglm.statutes.corpus import Corpus

    consumer = sorted((a for a in tiny_articles if a.law == CONSUMER), key=lambda a: a.article_no)
    cited = [a.article_no for a in consumer[:3]]
    texts = {i + 1: f"消费者依照消费者权益保护法第{n}条主张权利的，人民法院应予支持。"
             for i, n in enumerate(cited)}
    texts[len(texts) + 1] = "经营者违反消费者权益保护法第九百条的，依照本规定处理。"  # no such article yet
    interp = [Article(law=INTERP, article_no=i, text=t, law_id=f"{INTERP}@2021", status="现行有效",
                      level="司法解释", version_date="2021-01-01") for i, t in texts.items()]
    made = Corpus(tiny_articles + interp, source="made")
    updated = tmp_path / "updated"
    build_index(made, updated, tiny_encoder, progress=False)
    if base != "postings":
        _as_written_before_tf(updated)
    path, new_text = amended(made.articles, CONSUMER, tmp_path, change=cited[1])
    added = "第九百条　经营者应当依照本法处理。\n"
    path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")
    tokenized.clear()
    apply_update(updated, [path], progress=False)
    assert len(tokenized) == 2  # words: the altered article and the added one, from either base
    new = load_index(updated)
    assert new.corpus.get(CONSUMER, cited[1]).text == new_text and new.corpus.get(CONSUMER, 900) is not None

    full = tmp_path / "full"
    build_index(Corpus(new.corpus.articles, source="made"), full, tiny_encoder, progress=False)
    rebuilt = load_index(full)
    assert [(a.key, a.text, a.status) for a in new.corpus.articles] == [
        (a.key, a.text, a.status) for a in rebuilt.corpus.articles]
    assert new.links.to_json() == rebuilt.links.to_json()
    by, _ = new.links.of(new.corpus.get(CONSUMER, 900))
    assert [r.law for r in by] == [INTERP]  # the update linked the article it added
    assert _by_token(new.bm25) == _by_token(rebuilt.bm25) and _by_token(new.chars) == _by_token(rebuilt.chars)
    assert np.array_equal(new.embeddings, rebuilt.embeddings)
    a, b = Retriever.load(updated, Params()), Retriever.load(full, Params())
    for q in ("经营者提供的商品不符合质量要求怎么退货", "消费者权益受到损害", "惩罚性赔偿", new_text[:12]):
        got = [(h.article.key, round(h.score, 9)) for h in a.search(q, 5)]
        assert got and got == [(h.article.key, round(h.score, 9)) for h in b.search(q, 5)]
