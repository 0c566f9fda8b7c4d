"""The clause that limits another decides when the facts meet it (answer/override.py, answer/decided.py)."""

import re
from datetime import date

from lawglm.answer.clauses import split
from lawglm.answer.decided import decide_answer
from lawglm.answer.override import blocked, consequence, consequence_of, denied, excepted, meets, override
from lawglm.records import Article
from lawglm.statutes.corpus import Corpus

LAW = "示例雇佣法"
# made-up articles: 10 lets the employer end the contract, 12 forbids it under 10 for named people, 11 lets
# the worker leave on notice, 13 lets the worker leave when wages go unpaid, 14 gives way to 15
A10 = Article(LAW, 10, "有下列情形之一的，雇主提前三十日通知雇员后，可以解除雇佣合同：\n"
                       "（一）雇员不能胜任工作的；\n（二）雇主的工厂整体搬迁，致使合同无法履行的。")
A11 = Article(LAW, 11, "雇员提前三十日书面通知雇主，可以解除雇佣合同。")
A12 = Article(LAW, 12, "雇员有下列情形之一的，雇主不得依照本法第十条的规定解除雇佣合同：\n"
                       "（一）雇员在孕期、产期、哺乳期的；\n（二）雇员在医疗期内的。")
A13 = Article(LAW, 13, "雇主有下列情形之一的，雇员可以解除雇佣合同：\n（一）拖欠雇员工资的；\n"
                       "（二）未依法为雇员缴纳社会保险费的。")
A14 = Article(LAW, 14, "除本法第十五条规定的情形外，雇主不得要求雇员支付违约金。")
A15 = Article(LAW, 15, "雇主为雇员提供专项培训费用，对其进行专业技术培训的，可以与该雇员约定服务期和违约金。")
A17 = Article(LAW, 17, "有下列情形之一的，雇主应当向雇员支付经济补偿：\n"
                       "（一）雇员依照本法第十三条规定解除雇佣合同的；\n（二）雇主依照本法第十条规定解除雇佣合同的。")
A18 = Article(LAW, 18, "雇主拖欠工资的，劳动行政部门可以依照本法第十三条的规定责令支付。")
CORPUS = Corpus([A10, A11, A12, A13, A14, A15, A17, A18])


def _clause(article, item):
    return next(c for c in split(article) if c.item == item)


def test_references_and_conditions_are_read_from_the_words():
    assert blocked(_clause(A12, 1)) == {10}
    assert excepted(split(A14)[0]) == {15}
    assert consequence(_clause(A10, 2)) == ("雇主", True, "解除雇佣合同")
    assert consequence(_clause(A12, 1)) == ("雇主", False, "解除雇佣合同")
    assert consequence(split(A11)[0])[:2] == ("雇员", True)
    assert meets("我怀孕了，工厂整体搬迁", _clause(A12, 1)) > 0
    assert meets("工厂整体搬迁", _clause(A12, 1)) == 0


def test_restricting_article_overrides_the_referenced_one_when_the_facts_meet_it():
    q = "我怀孕五个月了，工厂整体搬迁到外地，雇主要解除雇佣合同，合法吗？"
    found = override(q, _clause(A10, 2), [A10], CORPUS)  # 12 not retrieved: taken from the corpus
    assert found is not None and found.why == "restricts"
    assert (found.clause.article.article_no, found.clause.item) == (12, 1)


def test_restriction_does_not_apply_when_the_facts_do_not_meet_or_deny_it():
    assert override("工厂整体搬迁到外地，雇主要解除雇佣合同，合法吗？", _clause(A10, 2), [A10, A12],
                    CORPUS) is None
    q = "我没怀孕，工厂整体搬迁到外地，雇主要解除雇佣合同，合法吗？"
    assert override(q, _clause(A10, 2), [A10, A12], CORPUS) is None
    assert denied(q, _clause(A12, 1))
    assert not denied("我怀孕了，工厂整体搬迁", _clause(A12, 1))


def test_a_met_specific_condition_decides_over_a_rule_without_one():
    q = "雇主一直不给我缴纳社会保险，我想辞职，要提前通知吗？"
    found = override(q, split(A11)[0], [A11, A13], CORPUS)
    assert found is not None and (found.clause.article.article_no, found.clause.item) == (13, 2)
    # without the facts of 13, the general rule stands
    assert override("我想辞职，要提前通知吗？", split(A11)[0], [A11, A13], CORPUS) is None


def test_an_exception_named_by_the_rule_decides_when_met():
    q = "雇主出钱送我去做专业技术培训，约定了违约金，我现在走要赔吗？"
    found = override(q, split(A14)[0], [A14], CORPUS)
    assert found is not None and found.why == "exception" and found.clause.article.article_no == 15


def test_a_prohibition_naming_other_articles_does_not_set_this_one_aside():
    other = Article(LAW, 16, "雇员严重违反规章制度的，雇主可以解除雇佣合同。")
    corpus = Corpus([A10, A11, A12, A13, A14, A15, other])
    q = "我怀孕了，严重违反规章制度，雇主要解除雇佣合同"
    assert override(q, split(other)[0], [other, A12], corpus) is None


def test_labor_contract_law_42_decides_over_40_for_a_pregnant_employee(corpus):
    law = "中华人民共和国劳动合同法"
    a40, a42 = corpus.get(law, 40), corpus.get(law, 42)
    today = date(2026, 12, 8)
    pregnant = "我怀孕了，公司业务调整把我们部门撤了，说客观情况发生重大变化要辞退我，公司能这么做吗？"
    d = decide_answer(pregnant, [a40], corpus, today)
    assert d.clause is not None and (d.clause.article.article_no, d.clause.item) == (42, 4)
    assert d.sure and "第四十二条第（四）项" in d.conclusion and "第四十条" not in d.conclusion.split("：")[0]
    assert d.basis[0] is d.clause.article and corpus.get(law, 42) is d.clause.article
    # not pregnant: 42 does not decide, 40 may stand
    for q in ("公司业务调整把我们部门撤了，说客观情况发生重大变化要辞退我，公司能这么做吗？",
              "我没怀孕，公司业务调整把我们部门撤了，说客观情况发生重大变化要辞退我，公司能这么做吗？"):
        d = decide_answer(q, [a42, a40], corpus, today)
        assert d.clause is None or d.clause.article.article_no != 42, q
    # every clause denied in turn (劳动法第二十九条 then 劳动合同法第四十二条) is passed over
    q = "我不是孕期，公司业务调整把我们部门撤了，说客观情况发生重大变化要辞退我，公司能这么做吗？"
    d = decide_answer(q, [corpus.get("中华人民共和国劳动法", 29), a42, a40], corpus, today)
    assert d.clause is None or d.clause.article.article_no not in (29, 42)


def test_the_consequence_attached_to_the_deciding_article_is_found_by_its_reference():
    money = re.compile("支付|补偿")
    found = consequence_of(_clause(A13, 2), CORPUS, money)
    assert found is not None and (found.article.article_no, found.item) == (17, 1)
    assert consequence_of(_clause(A10, 2), CORPUS, money).item == 2
    # 18 names 13 in its consequence, not as its condition: not a consequence of applying 13
    assert consequence_of(_clause(A13, 2), Corpus([A13, A18]), money) is None


def test_labor_contract_law_38_and_46_decide_for_unpaid_social_insurance(corpus):
    law = "中华人民共和国劳动合同法"
    q = "公司一直不给我交社保，我想辞职，能要经济补偿吗？"
    d = decide_answer(q, [corpus.get(law, 37), corpus.get(law, 38)], corpus, date(2026, 12, 8))
    assert d.clause is not None and d.clause.label == "第三十八条第一款第（三）项"
    assert "第四十六条第（一）项" in d.conclusion and "第三十七条" not in d.conclusion
    assert [a.article_no for a in d.basis[:2]] == [38, 46]
