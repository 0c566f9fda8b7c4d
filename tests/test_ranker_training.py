"""lawglm.train.ranker.cited_gold: the interpretations and regulations a lawyer's answer cites become extra
gold for training the ranker, on made-up documents."""

from __future__ import annotations

from lawglm.records import Article
from lawglm.statutes.corpus import Corpus
from lawglm.train.ranker import cited_gold

LAW = "中华人民共和国示例借贷法"
INTERP = "最高人民法院关于审理示例借贷案件适用法律若干问题的规定"
REG = "示例借贷管理条例"


def _doc(name: str, level: str, texts: dict[int, str], status: str = "现行有效",
         version: str = "2021-01-01") -> list[Article]:
    return [Article(law=name, article_no=i, text=t, law_id=f"{name}@{version}", status=status, level=level,
                    version_date=version) for i, t in texts.items()]


def _corpus() -> Corpus:
    return Corpus(
        _doc(LAW, "法律", {1: "借款合同应当采用书面形式，但是自然人之间借款另有约定的除外。"})
        + _doc(INTERP, "司法解释", {
            1: "出借人请求借款人按照合同约定利率支付利息的，人民法院应予支持，"
               "但是双方约定的利率超过合同成立时一年期贷款市场报价利率四倍的除外。",
            2: "借贷双方对逾期利率有约定的，从其约定，但是以不超过合同成立时一年期贷款市场报价利率四倍为限。",
        })
        + _doc(INTERP, "司法解释", {3: "借贷双方没有约定利息，出借人主张支付利息的，人民法院不予支持。"},
               status="历史版本", version="2015-08-06")
        + _doc(REG, "行政法规", {5: "放贷机构应当在营业场所公示贷款利率和收费项目。"}),
        source="made-up",
    )


def test_cited_interpretations_the_answer_bears_out_become_gold():
    corpus = _corpus()
    answer = ("根据规定，双方约定的利率超过合同成立时一年期贷款市场报价利率四倍的，超过部分不受保护；"
              "逾期利率也以四倍为限。")
    rows = cited_gold("借钱约定的利息太高怎么办？", answer,
                      [f"{INTERP}第一条", f"{INTERP}第二条", f"{REG}第五条", f"{LAW}第一条"], corpus, 0.3)
    got = [(corpus.articles[r].law, corpus.articles[r].article_no) for r in rows]
    # the interpretation's two articles the answer quotes; not the regulation article it does not bear out,
    # not the law article (the row's own gold says which law articles apply)
    assert got == [(INTERP, 1), (INTERP, 2)]


def test_a_cited_article_that_is_not_current_or_not_in_the_corpus_is_no_gold():
    corpus = _corpus()
    answer = "借贷双方没有约定利息，出借人主张支付利息的，人民法院不予支持。"
    cited = [f"{INTERP}第三条", f"{INTERP}第九十九条", "某某条例第一条"]
    assert cited_gold("没约定利息能要吗？", answer, cited, corpus, 0.1) == []
    # the same answer with the overlap bar at 0 still names no row: the cited versions are not current
    assert cited_gold("没约定利息能要吗？", answer, [f"{INTERP}第三条"], corpus, 0.0) == []
