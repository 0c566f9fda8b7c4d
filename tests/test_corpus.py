"""The corpus: aliases, lookups, versions/status, JSONL round trip, malformed sources."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from lawglm.errors import ArticleNotFound, CorpusError, UnknownLaw
from lawglm.statutes.corpus import Corpus, read_jsonl, write_jsonl
from lawglm.statutes.ingest import load_corpus

CIVIL = "中华人民共和国民法典"


def test_installed_corpus_shape(corpus):
    assert len(corpus.laws()) > 300 and len(corpus) > 20_000
    assert {a.status for a in corpus.articles} >= {"现行有效", "已废止", "历史版本"}
    assert all(a.is_current for a in corpus.current())


@pytest.mark.parametrize("name, law", [
    ("民法典", CIVIL), ("《民法典》", CIVIL), ("《中华人民共和国民法典》", CIVIL), (" 民法典 ", CIVIL),
    ("中华人民共和国刑法", "中华人民共和国刑法"), ("刑法", "中华人民共和国刑法"),
    ("经济法个人所得税法", "中华人民共和国个人所得税法"), ("民法商法民法典", CIVIL),
    ("刑诉法", "中华人民共和国刑事诉讼法"), ("消法", "中华人民共和国消费者权益保护法"),
    ("个税法", "中华人民共和国个人所得税法"),
])
def test_resolve_law(corpus, name, law):
    assert corpus.resolve_law(name) == law


@pytest.mark.parametrize("name", ["", "不存在法", "民法商法", "经济法火星法"])
def test_unknown_law(corpus, name):
    assert corpus.resolve_law(name) is None
    with pytest.raises(UnknownLaw):
        corpus.require_law(name)


def test_law_with_inner_brackets_resolves_by_its_own_name(corpus):
    law = next(x for x in corpus.laws() if "《" in x)
    assert corpus.resolve_law(law) == law


@pytest.mark.parametrize("article", ["第一千二百五十四条", "1254", 1254, "第1254条"])
def test_lookup_forms(corpus, article):
    a = corpus.lookup("民法典", article)
    assert (a.law, a.article_no, a.sub_no) == (CIVIL, 1254, 0) and a.is_current and a.text


def test_lookup_sub_article(corpus):
    a = corpus.lookup("刑法", "第十七条之一")
    assert (a.article_no, a.sub_no) == (17, 1) and a.label == "第十七条之一"
    assert a.text != corpus.lookup("刑法", 17).text


def test_lookup_errors_say_what_is_missing(corpus):
    with pytest.raises(ArticleNotFound, match="88888"):
        corpus.lookup("民法典", 88888)
    with pytest.raises(ArticleNotFound, match="malformed"):
        corpus.lookup("民法典", "第条")
    with pytest.raises(UnknownLaw, match="火星法"):
        corpus.lookup("火星法", 1)


def test_versions_prefer_current(corpus):
    key = next(k for k, v in corpus._versions.items() if len(v) > 1)
    versions = corpus.versions(*key)
    assert versions[0].is_current and {v.status for v in versions[1:]} == {"历史版本"}
    assert corpus.get(*key) == versions[0]


def test_repealed_law_status(corpus):
    law = "中华人民共和国农村土地承包法"  # marked 已废止 in laws.db
    assert corpus.law_status(law) == "已废止"
    assert not any(a.is_current for a in corpus.law_articles(law))


def test_jsonl_round_trip_keeps_everything(corpus, tmp_path):
    picked = ([a for a in corpus.articles if a.sub_no][:3] + [a for a in corpus.articles if "《" in a.law][:2]
              + [a for a in corpus.articles if a.status == "已废止"][:2] + corpus.law_articles(CIVIL)[:3])
    write_jsonl(picked, tmp_path / "a.jsonl")
    back = read_jsonl(tmp_path / "a.jsonl")
    assert [replace(a, source="") for a in back] == [replace(a, source="") for a in picked]
    assert Corpus(back).sha256 == Corpus(picked).sha256
    assert load_corpus(tmp_path / "a.jsonl").get(picked[0].law, picked[0].article_no, picked[0].sub_no)


def test_jsonl_record_with_bracketed_name_and_chinese_number(tmp_path):
    rec = {"law": "《中华人民共和国测试法》", "article_no": "第十二条", "text": " 测试条文。 "}
    (tmp_path / "t.jsonl").write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    a = read_jsonl(tmp_path / "t.jsonl")[0]
    assert (a.law, a.article_no, a.text, a.status) == ("中华人民共和国测试法", 12, "测试条文。", "现行有效")


@pytest.mark.parametrize("content, message", [
    ('{"law": "测试法", "article_no": 1, "text": "x"}\n{oops\n', ":2: invalid JSON"),
    ('{"law": "测试法", "text": "x"}\n', ":1: missing field(s) article_no"),
    ('{"law": "测试法", "article_no": "第X条", "text": "x"}\n', ":1: malformed article_no"),
    ("\n", "no articles"),
])
def test_malformed_jsonl(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_jsonl(path)


def test_missing_or_broken_database(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope.db")
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite")
    with pytest.raises(CorpusError, match="cannot read"):
        load_corpus(bad)


def test_one_law_read_alone_is_that_law_of_the_full_corpus(corpus):
    """`lawglm lookup LAW N` reads only LAW's rows of laws.db: same articles, same versions, same errors."""
    from lawglm.statutes.corpus import sqlite_law_names
    from lawglm.statutes.ingest import load_law

    assert sqlite_law_names(Path(corpus.source)) == set(corpus.laws())  # 「全文」-only laws left out alike
    for name in ("民法典", "刑法", "中华人民共和国农村土地承包法"):
        one = load_law(corpus.source, name)
        law = corpus.require_law(name)
        assert one.laws() == [law] and [a.key for a in one.articles] == [
            a.key for a in corpus.law_articles(law)
        ]
        some = corpus.law_articles(law)[3]
        assert one.versions(law, some.article_no, some.sub_no) == corpus.versions(
            law, some.article_no, some.sub_no
        )
    with pytest.raises(UnknownLaw, match=f"{len(corpus.laws())} laws"):
        load_law(corpus.source, "火星法")


def test_read_snapshot_reads_what_read_jsonl_reads(tmp_path, corpus):
    """Lines already in article form are built directly; every other line goes through read_jsonl's
    checks and normalisation, so both readers give the same articles."""
    import json

    from lawglm.records import Article
    from lawglm.statutes.corpus import read_jsonl, read_snapshot, write_jsonl

    sample = corpus.articles[:: max(1, len(corpus.articles) // 200)]
    path = tmp_path / "snap.jsonl"
    write_jsonl(sample, path)
    base = {**vars(sample[0])}
    odd = [
        {**base, "law": " 《中华人民共和国民法典》 "},  # spaces, outer 《》: normalised
        {**base, "version_date": "", "effective_date": "2021-01-01"},  # version taken from effective
        {**base, "law_id": "", "status": ""},  # computed, defaulted
        {**base, "text": "  正文。 "},  # stripped
        {**base, "department": None, "article_no": "第十条之二", "sub_no": 0},  # no str / a label
        {k: v for k, v in base.items() if k != "doc_no"},  # a field missing
        {**base, "extra": 1},  # a field too many
    ]
    with open(path, "a", encoding="utf-8") as f:
        f.writelines(json.dumps(rec, ensure_ascii=False) + "\n" for rec in odd)
    fast, slow = read_snapshot(path), read_jsonl(path)
    assert fast == slow and len(fast) == len(sample) + len(odd)
    assert all(type(a) is Article for a in fast) and fast[len(sample)].law == "中华人民共和国民法典"
    assert fast[len(sample) + 1].version_date == "2021-01-01" and fast[len(sample) + 3].text == "正文。"
