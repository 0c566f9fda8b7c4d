"""The status an article is shown with and its amendment history come from the corpus: laws.db marks the whole
刑法 已被修改; an article no later amending act names reads 现行有效, one that 《刑法修正案（十二）》 rewrote
stays 已被修改 and names the act; every date is the one laws.db stores."""

from __future__ import annotations

import sqlite3

import pytest

from lawglm.statutes.amendments import amended_law, named_articles, shown_status, status_detail
from lawglm.statutes.corpus import Corpus
from lawglm.statutes.shipped import laws_db

CRIMINAL_LAW = "中华人民共和国刑法"


@pytest.fixture(scope="module")
def stored_acts():
    """(name, version_date, effective_date) of every act laws.db lists as amending the 刑法."""
    con = sqlite3.connect(f"file:{laws_db()}?mode=ro", uri=True)
    rows = con.execute("SELECT law_name, version_date, effective_date FROM laws WHERE law_name LIKE ? "
                       "AND doc_type = '修正案'", (CRIMINAL_LAW + "修正案%",)).fetchall()
    con.close()
    return rows


def _later_act(corpus, article):
    return [a for a in status_detail(article, corpus)["amendments"] if a["date"] > article.version_date]


def test_amended_laws_and_named_articles():
    assert amended_law(CRIMINAL_LAW + "修正案（十二）") == CRIMINAL_LAW
    assert (
        amended_law("全国人民代表大会常务委员会关于修改《中华人民共和国网络安全法》的决定")
        == "中华人民共和国网络安全法"
    )
    assert amended_law(CRIMINAL_LAW) is None
    # the quoted new wording (which cites other articles) is not what the act amends
    assert named_articles(
        ['将刑法第三百九十条修改为："依照本法第十条处罚。"', "在刑法第一百三十三条之一后增加一条"]
    ) == {(390, 0), (133, 1)}


def test_an_article_no_later_act_names_reads_in_force(corpus, stored_acts):
    article = corpus.get(CRIMINAL_LAW, 20)
    assert article.status == "已被修改"  # laws.db's tag for the whole law
    later = _later_act(corpus, article)
    assert later and not any(a["names_this_article"] for a in later)
    detail = status_detail(article, corpus)
    assert detail["label"] == shown_status(article, corpus) == "现行有效"
    assert all(a["name"] in detail["note"] for a in later)
    # the history is laws.db's own acts and dates (those whose articles the corpus holds)
    listed = {(a["name"], a["date"], a["effective_date"]) for a in detail["amendments"]}
    assert listed and listed <= set(stored_acts)
    assert [a["date"] for a in detail["amendments"]] == sorted(a["date"] for a in detail["amendments"])


def test_an_article_a_later_act_rewrote_stays_amended_and_names_it(corpus):
    touched = [a for a in corpus.law_articles(CRIMINAL_LAW)
               if any(x["names_this_article"] for x in _later_act(corpus, a))]
    assert touched  # 修正案（十二） rewrote some articles of the stored text
    for article in touched:
        detail = status_detail(article, corpus)
        act = next(x for x in _later_act(corpus, article) if x["names_this_article"])
        assert (
            detail["label"] == "已被修改" and act["name"] in detail["note"] and act["date"] in detail["note"]
        )
        assert corpus.get(act["name"], 1) is not None  # the act is in the corpus, to be read


def test_without_the_amending_acts_the_tag_is_kept_and_explained(tiny_corpus):
    article = tiny_corpus.get(CRIMINAL_LAW, 20)
    detail = status_detail(article, tiny_corpus)
    assert detail["label"] == "已被修改" and "无法确认" in detail["note"] and detail["amendments"] == []
    other = Corpus([tiny_corpus.get("中华人民共和国民法典", 1254)])
    assert status_detail(other.articles[0], other)["label"] == "现行有效"
