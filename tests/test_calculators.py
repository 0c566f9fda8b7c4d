"""The person's numbers: each calculator against hand-worked cases (caps, the half-year rule), the facts read
from questions, and a calculation shown only when the corpus holds the rule it cites."""

from datetime import date

import pytest

from lawglm.answer.calculators import (
    Calculation,
    Ref,
    Step,
    calculate,
    deposit,
    food_damages,
    fraud_damages,
    no_written_contract,
    overtime,
    probation_floor,
    render,
    service,
    service_months,
    severance,
    wrongful_dismissal,
)


@pytest.mark.parametrize("years,months,owed", [
    (3, 0, 3.0), (3, 7, 4.0), (3, 6, 4.0), (3, 5, 3.5), (0, 4, 0.5), (0, 6, 1.0), (2, 12, 3.0), (0, 0, 0.0),
])
def test_half_year_rule(years, months, owed):
    assert service_months(years, months)[0] == owed


def test_severance_without_and_with_the_cap():
    assert severance(3, 7, 12000).amount == 48000
    assert severance(3, 0, 10000).amount == 30000
    # wage 38,000 > 3 × 12,000: base 36,000, 9.5 months (under 12): 342,000
    assert severance(9, 4, 38000, local_average=12000).amount == 342000
    # wage 50,000 > 3 × 10,000: base 30,000 and at most twelve years: 360,000 (not 15 × 30,000)
    assert severance(15, 0, 50000, local_average=10000).amount == 360000
    # wage below three times the average: no cap, all 15 years
    assert severance(15, 0, 20000, local_average=10000).amount == 300000
    # no average given: computed without a cap, and the note says the cap may apply
    calc = severance(15, 0, 50000)
    assert calc.amount == 750000 and "三倍" in calc.steps[-1].text and calc.steps[-1].ref.paragraph == 2


def test_wrongful_dismissal_is_twice():
    assert wrongful_dismissal(3, 7, 12000).amount == 96000
    assert wrongful_dismissal(0, 4, 8000).amount == 8000
    assert wrongful_dismissal(15, 0, 50000, 10000).amount == 720000


def test_overtime_rates():
    assert overtime("extended", 20, 6000 / 21.75 / 8).amount == pytest.approx(1034.48, abs=0.01)
    assert overtime("rest_day", 2, 300, "天").amount == 1200
    assert overtime("holiday", 3, 400, "天").amount == 3600


def test_no_written_contract_at_most_eleven_months():
    assert no_written_contract(5, 6000).amount == 24000    # months 2..5
    assert no_written_contract(14, 5000).amount == 55000   # capped at 11
    assert no_written_contract(1, 5000).amount == 0
    assert any("无固定期限" in n for n in no_written_contract(14, 5000).notes)


def test_probation_floor():
    calc = probation_floor(8000, 5600)
    assert calc.amount == 6400 and "800元" in calc.steps[-1].text
    assert "不低于" in probation_floor(8000, 6500).steps[-1].text


def test_deposit_cap_and_double_return():
    assert deposit(30000, 100000).amount == 50000   # 2 × 20,000 + the 10,000 above the cap
    assert deposit(10000, 100000).amount == 20000
    assert deposit(30000, 100000, receiver_breached=False).amount == 20000


def test_consumer_minimums():
    assert fraud_damages(99).amount == 500
    assert fraud_damages(1000).amount == 3000
    assert food_damages(35).amount == 1000
    assert food_damages(6000).amount == 60000


def test_facts_read_from_questions():
    assert service("在公司干了3年7个月，月薪1.2万") == (3, 7)
    assert service("我做了15年的老员工了") == (15, 0)
    assert service("干了九年零四个月") == (9, 4)
    assert service("签了3年合同，入职8个月") == (0, 8)
    # N年半 is N years and six months, which the half-year rule of 第四十七条 counts as another year
    assert service("我在公司干了三年半，月薪八千") == (3, 6)
    assert service("干了一年半就被辞退了") == (1, 6)
    assert service("才干了半年") == (0, 6)
    assert severance(*service("我在公司干了三年半"), 8000).amount == 32000
    q = "在公司干了5年2个月，月薪1.5万，公司无故把我辞退了，能要多少赔偿？"
    calcs = calculate(q, "labor_dismissal")
    assert [(c.kind, c.amount, c.headline) for c in calcs] == [("wrongful_dismissal", 165000, True),
                                                                ("severance", 82500, False)]
    q = "我2025年3月1日入职，2026年9月15日公司说业务调整跟我解除合同，月薪6000，补偿给多少？"
    assert [(c.kind, c.amount) for c in calculate(q, "labor_dismissal", date(2026, 12, 7))] == [
        ("severance", 12000)
    ]
    q = "本地上年度职工月平均工资8000元，我月薪3万，干了20年被裁员了，经济补偿多少？"
    assert calculate(q, "labor_dismissal")[0].amount == 288000
    q = "超市买的面包过期了，花了12块，吃了拉肚子"
    assert [(c.kind, c.amount) for c in calculate(q, "consumer")] == [("food", 1000)]
    q = "买房交了5万定金，房价总价100万，卖家反悔不卖了"
    assert calculate(q, "consumer")[0].amount == 100000
    assert calculate("周六加班了2天，日工资300元，公司不给加班费", "wages")[0].amount == 1200
    assert calculate("今天天气很好", "other") == []


def test_shown_only_when_the_corpus_holds_the_rule(corpus):
    lines, cited = render(severance(3, 7, 12000), corpus)
    assert "《中华人民共和国劳动合同法》第四十七条第一款" in lines[0]
    assert [a.article_no for a in cited] == [47]
    lines, cited = render(overtime("holiday", 3, 400, "天"), corpus)
    assert "第四十四条第（三）项" in lines[0]
    invented = Calculation("x", "x", 1.0, [Step("…", Ref("中华人民共和国劳动合同法", 47, 1, "四倍"))])
    assert render(invented, corpus) is None
    missing = Calculation("x", "x", 1.0, [Step("…", Ref("不存在的法", 1, 1, "一"))])
    assert render(missing, corpus) is None


def test_yes_no_only_where_it_follows_from_what_was_computed(corpus):
    from lawglm.answer.decided import decide_answer

    q = "在路边店花99块买了个耳机，结果是假货，老板承认了，能要赔偿吗"
    d = decide_answer(q, [], corpus, date(2026, 12, 7))
    assert d.conclusion.startswith("可以。") and "500元" in d.conclusion
    q = "借款2026年3月31日到期，朋友做的连带责任保证，没约定保证期间。现在还能要求担保人还钱吗"
    d = decide_answer(q, [], corpus, date(2026, 12, 7))
    assert "已于2026年9月30日届满" in d.conclusion
    q = "试用期公司就能这么随便辞人吗？干了4个月，月薪8000"   # about the employer's act: no verdict
    assert not decide_answer(q, [], corpus, date(2026, 12, 7)).conclusion.startswith("可以")


def test_injury_and_death_amounts(corpus):
    from lawglm.answer.calculators import (
        death_compensation,
        funeral_costs,
        injury_lump_sum,
        work_death_benefit,
    )

    assert injury_lump_sum(9, 6000).amount == 54000                       # nine months of 本人工资
    assert injury_lump_sum(9, 30000, area_average=7000).amount == 9 * 21000  # capped at 300% of the average
    assert injury_lump_sum(7, 3000, area_average=7000).amount == 13 * 4200   # raised to 60%
    assert work_death_benefit(54000).amount == 1080000
    assert death_compensation(45, 50000).amount == 1000000                # twenty years
    assert death_compensation(68, 50000).amount == 600000                 # 20 - (68 - 60) = 12 years
    assert death_compensation(80, 50000).amount == 250000                 # five years from 75
    assert funeral_costs(8000).amount == 48000
    if corpus.resolve_law("工伤保险条例"):  # in the default corpus: the rule words check out
        assert render(injury_lump_sum(9, 6000), corpus) is not None
        assert render(injury_lump_sum(11 - 2, 6000), corpus)[1][0].article_no == 37
