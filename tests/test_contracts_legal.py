"""Legal checks read their figures from the corpus at run time: 民法典 第六百八十条 and a loaded 民间借贷
interpretation for interest, 劳动合同法 第十九条 / 第二十条 for probation, 民法典 第五百八十六条 for 定金."""

from __future__ import annotations

import dataclasses

from lawglm.contracts import draft
from lawglm.statutes.corpus import Corpus

LOAN = "张伟借给刘强人民币五万元，年利率20%，一年后还。"
INTERPRETATION = "测试用民间借贷规定（合成条文）"


def with_interpretation(corpus, text: str) -> Corpus:
    """The installed corpus plus one synthetic article of a 'loaded' interpretation (made here, not real law)
    ."""
    base = corpus.get("中华人民共和国民法典", 680)
    fake = dataclasses.replace(base, law=INTERPRETATION, article_no=25, text=text)
    return Corpus(list(corpus.articles) + [fake], source="test")


def test_interest_without_an_interpretation_says_what_is_missing(corpus):
    d = draft(request=LOAN, corpus=corpus)
    [w] = d.warnings
    assert "年利率20%" in w and "第六百八十条" in w and "禁止高利放贷" in w  # quoted from laws.db
    assert "没有载明利率上限" in w and w in d.notes


def test_interest_cap_is_the_multiple_the_loaded_interpretation_gives(corpus, monkeypatch):
    # a synthetic three-times rule: the warning must follow the corpus, not a figure in the code
    loaded = with_interpretation(
        corpus,
        "出借人请求借款人按照合同约定利率支付利息的，但是双方约定的利率超过合同成立时"
        "一年期贷款市场报价利率三倍的除外。",
    )
    [w] = draft(request=LOAN, corpus=loaded).warnings
    assert INTERPRETATION in w and "3倍" in w and "第二十五条" in w and "6.67%" in w  # 20 / 3
    monkeypatch.setenv("LAWGLM_CONTRACT_LPR", "3.1")
    [w] = draft(request=LOAN, corpus=loaded).warnings
    assert "9.3%" in w and "超过" in w
    assert draft(request="张伟借给刘强人民币五万元，年利率6%。", corpus=loaded).warnings == []


def test_fixed_rate_cap_of_an_older_interpretation(corpus):
    loaded = with_interpretation(
        corpus,
        "借贷双方约定的利率未超过年利率24%，出借人请求借款人按照约定的利率支付利息的，人民法院应予支持。",
    )
    [w] = draft(request=LOAN.replace("20%", "30%"), corpus=loaded).warnings
    assert "30%超过" in w and "24%" in w
    assert draft(request=LOAN, corpus=loaded).warnings == []


def test_probation_longer_than_article_19_allows(corpus):
    d = draft(
        request="深圳星河科技有限公司招聘陈静为软件工程师，月薪15000元，试用期6个月，合同期限1年。",
        corpus=corpus,
    )
    [w] = d.warnings
    assert "第十九条" in w and "上限2个月" in w
    ok = draft(
        request="深圳星河科技有限公司招聘陈静为软件工程师，月薪15000元，试用期2个月，合同期限1年。",
        corpus=corpus,
    )
    assert ok.warnings == []
    task = draft(
        request="用人单位青岛海滨酒店管理有限公司与劳动者宋佳签订劳动合同，担任前台接待，以完成一定工作任务为期限，"
        "月工资4500元，试用期1个月。",
        corpus=corpus,
    )
    assert any("不得约定试用期" in w for w in task.warnings)
    dated = draft(
        request="公司：西安秦川动力设备有限公司；员工：张磊；合同期：2026年5月1日—2027年4月30日；试用期：3个月；"
        "正式工资：5000元。",
        corpus=corpus,
    )
    assert any("上限2个月" in w for w in dated.warnings)  # the term from its dates: exactly one year


def test_probation_wage_below_article_20(corpus):
    d = draft(
        request="招聘销售经理一名：钱进，公司是宁波甬江国际贸易有限公司，底薪6000元，合同期3年，试用期4个月，"
        "试用期工资4000元。",
        corpus=corpus,
    )
    assert d.fields["probation_wage"] == "4000"  # the request's own figure is kept, with the warning
    assert any("第二十条" in w and "百分之八十" in w for w in d.warnings)


def test_deposits(corpus):
    d = draft(
        request="采购合同，乙方北京红源家具有限责任公司，餐桌10张每张3000元，定金为合同总价的30%。",
        corpus=corpus,
    )
    assert any("定金9000元" in w and "百分之二十" in w and "第五百八十六条" in w for w in d.warnings)
    d = draft(
        request="招聘快递员何军，公司是南京苏宁易达物流有限公司，月工资4000元，入职交押金500元。",
        corpus=corpus,
    )
    assert any("第九条" in w and "收取财物" in w for w in d.warnings)


def test_a_corpus_without_the_articles_warns_honestly():
    empty = Corpus([], source="empty")
    d = draft(request=LOAN, corpus=empty)
    assert any("语料库中没有《民法典》第六百八十条" in w for w in d.warnings)
    d = draft(request="深圳星河科技有限公司招聘陈静为软件工程师，试用期6个月，合同期限1年。", corpus=empty)
    assert any("无法核对试用期上限" in w for w in d.warnings)
