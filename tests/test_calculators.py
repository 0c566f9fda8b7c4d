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


@pytest.mark.parametrize("q", ["我们厂每天上班十一个小时，一个月加班七八十个小时是常态，月薪6000，这种合法吗",
                               "国庆加了三四天班，日工资400，该给多少？"])
def test_a_range_of_hours_or_days_gives_no_overtime_figure(q):
    """七八十个小时 / 三四天 is a range people give, not a count: no overtime figure (and no crash)."""
    from lawglm.search.routing import route

    assert not [c for c in calculate(q, route(q).area, date(2026, 12, 7)) if c.kind == "overtime"]


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


# --- loans, 违约金, 彩礼 -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def with_interpretations(corpus):
    """laws.db plus the shipped interpretations these calculators cite (民间借贷, 合同编通则, 彩礼, 婚姻家庭"
      "编一, 网络消费, 食品安全民事)."""
    from lawglm.answer.calculators import (
        BRIDE_PRICE,
        CONTRACT_GENERAL,
        FOOD_CIVIL,
        LENDING,
        MARRIAGE_FIRST,
        ONLINE_CONSUMER,
    )
    from lawglm.statutes.corpus import Corpus
    from lawglm.statutes.shipped import read_shipped

    wanted = {LENDING, CONTRACT_GENERAL, BRIDE_PRICE, MARRIAGE_FIRST, ONLINE_CONSUMER, FOOD_CIVIL}
    return Corpus([*corpus.articles, *(a for a in read_shipped() if a.law in wanted)])


def _calcs(q, area="loans"):
    return calculate(q, area, date(2026, 12, 7))


def test_agreed_rates_read_from_questions():
    from decimal import Decimal

    from lawglm.answer.calculators import agreed_rate, lpr_given

    def annual(q):
        return agreed_rate(q).annual

    assert annual("借给他10万，月息2分") == 24
    assert annual("说好了两分利") == 24 and agreed_rate("说好了两分利").loose
    assert annual("月息1分5") == 18
    assert annual("年息两成") == 20
    assert annual("年息1分") == 10 and annual("年息8厘") == 8
    assert annual("月利率1.5%") == 18
    assert annual("年化利率36%") == 36 and annual("年利率为百分之二十四") == 24
    assert annual("日利率万分之五") == Decimal("18.25")    # 0.05% a day × 365
    assert annual("借5万，一毛钱利息") == 120               # 10% a month, said to be a spoken reading
    assert agreed_rate("借给他10万块") is None
    assert lpr_given("借款时一年期LPR是3.1%") == Decimal("3.1")
    assert lpr_given("超过4倍LPR了吗") is None and lpr_given("月息2分") is None


def test_loan_interest_against_the_cap():
    from decimal import Decimal

    from lawglm.answer.calculators import Rate, Span, loan_interest

    r24 = Rate(Decimal(24), "年利率24%", "年利率24%")
    # cap 3.65% × 4 = 14.6%: 100,000 × 14.6% = 14,600 a year (24,000 agreed; 9,400 not supported)
    calc = loan_interest(100000, r24, lpr=Decimal("3.65"))
    assert calc.amount == 14600 and "9,400元不受支持" in calc.steps[-1].text
    # at the cap exactly: supported as agreed
    calc = loan_interest(100000, Rate(Decimal("14.6"), "年利率14.6%", "年利率14.6%"), lpr=Decimal("3.65"))
    assert calc.amount == 14600 and "没有超过上限" in calc.steps[1].text
    # 90 days at 18.25% with LPR 3.1%: 30,000 × 12.4% × 90/365 = 917.26
    r = Rate(Decimal("18.25"), "日利率万分之五", "")
    assert loan_interest(30000, r, Decimal("3.1"), Span(days=90)).amount == 917.26
    # six months on 180,000 at min(20%, 13.8%): 12,420
    assert loan_interest(180000, Rate(Decimal(20), "年息两成", ""), Decimal("3.45"), Span(months=6),
                         written=200000, deducted=20000).amount == 12420


def test_no_lpr_no_figure_of_ours():
    from decimal import Decimal

    from lawglm.answer.calculators import Rate, loan_interest

    calc = loan_interest(100000, Rate(Decimal(36), "月息3分", "月利率3%"))
    text = " ".join(s.text for s in calc.steps)
    assert calc.amount is None                       # the lawful amount needs the published LPR
    assert "LPR × 4" in text and "36% ÷ 4 = 9%" in text and "100,000元 × 36% = 36,000元" in text
    assert "3.45" not in text and "3.1%" not in text  # no LPR value of our own


def test_loans_from_questions(with_interpretations):
    q = "2023年3月1日借给朋友10万，月息2分，约定一年后还，借款时一年期LPR是3.65%，利息最多能要多少？"
    [calc] = _calcs(q)
    assert (calc.kind, calc.amount, calc.deciding.article_no) == ("loan_interest", 14600, 25)
    assert render(calc, with_interpretations) is not None
    # 砍头息: the principal is what was actually handed over (民法典第六百七十条, 规定第二十六条)
    q = "借了他20万，借条写20万，但他先扣了2万利息，实际到手18万，年息两成，借期6个月，LPR为3.45%"
    [calc] = _calcs(q)
    assert calc.amount == 12420 and "200,000元 − 20,000元 = 180,000元" in calc.steps[1].text
    cited = render(calc, with_interpretations)[1]
    assert [(a.law.endswith("民法典"), a.article_no) for a in cited] == [(True, 670), (False, 26),
                                                                         (False, 25)]
    # only exact figures compute: 十几万 gives the rate, not an amount
    [calc] = _calcs("我借给表哥十几万，月息1分，能要多少利息")
    assert calc.amount is None and any("十几万" in n for n in calc.notes)
    assert not any("利息：" in s.text for s in calc.steps)
    # before 2020-08-20: the old interpretation (not in the corpus) for the part before; none computed
    [calc] = _calcs("2019年5月借给他30万，月息3分，现在还能按3分要利息吗")
    assert any(s.ref and s.ref.article_no == 31 for s in calc.steps) and calc.amount is None
    assert render(calc, with_interpretations) is not None
    # no interest agreed: none for the loan period (第二十四条第一款)
    [calc] = _calcs("去年借给同事5万块，当时没写利息，现在他还钱，我能按银行利息要点利息吗？")
    assert calc.kind == "loan_no_interest" and calc.deciding.article_no == 24 and calc.answer == "不能。"
    # overdue: the loan rate when no overdue rate was agreed; with fees, all together under 4 × LPR
    [calc] = _calcs("借条上约定了借期内年利率10%，但没写逾期怎么算。对方逾期不还，我能要逾期利息吗？")
    assert (calc.deciding.article_no, calc.deciding.item) == (28, 2)
    [calc] = _calcs("借条上既约定了逾期利率，又约定了违约金和律师费。借款时一年期LPR是3.1%。我能全都要吗？")
    assert calc.deciding.article_no == 29 and "3.1% × 4 = 12.4%" in calc.steps[1].text
    for c in (calc, _calcs("借给朋友10万，年利率24%，借期一年，利息合法吗？")[0]):
        assert render(c, with_interpretations) is not None
    # interest written in 元 on the principal: 3,000 a month on 100,000 = 3 % a month, 36 % a year
    [calc] = _calcs("借给朋友10万，每月利息3000，借了半年，LPR是3.45%，利息能要多少？")
    assert "月利率3%" in calc.steps[0].text and calc.amount == 6900       # 100,000 × 13.8% × 6/12
    # 10万来周转 is an exact 10万; 10来万 is not
    assert _calcs("借给朋友10万来周转，年利率10%，借期一年，LPR 3%")[0].amount == 10000
    assert _calcs("借给朋友10来万，年利率10%，借期一年，LPR 3%")[0].amount is None
    assert _calcs("朋友找我借钱，我该借吗？") == []


def test_penalty_threshold_is_the_loss_plus_thirty_percent(with_interpretations):
    from lawglm.answer.calculators import penalty_check

    assert "65,000元" in penalty_check(100000, 50000).steps[1].text
    assert "一般可以认定为过分高于" in penalty_check(65001, 50000).steps[1].text
    at_line = penalty_check(65000, 50000).steps[1].text            # exactly 130 %: not above it
    assert "没有超过这一数额" in at_line
    assert "低于损失" in penalty_check(20000, 30000).steps[1].text
    assert penalty_check(100000, 50000).amount is None              # the reduced amount is the court's
    [calc] = _calcs("买卖合同约定违约金10万，对方违约给我造成的实际损失是5万，违约金能全要吗？", "other")
    assert calc.kind == "penalty" and "一般可以认定为过分高于" in calc.steps[1].text
    assert [a.article_no for a in render(calc, with_interpretations)[1]] == [585, 65, 64]
    [calc] = _calcs("签合同交了2万定金，又约定违约金5万，对方违约，我能两个都要吗？", "other")
    assert calc.deciding.article_no == 588 and "2 × 20,000元 = 40,000元" in calc.steps[1].text
    assert render(calc, with_interpretations) is not None
    assert _calcs("对方违约了，合同里写了违约金，能要多少？", "other") == []   # no numbers, no computation
    # a worker's 违约金 is not 民法典's; a bank's loan is not under the 民间借贷 cap
    assert _calcs("公司说我提前离职要付违约金2万，实际损失也就5000，要付吗", "labor_dismissal") == []
    assert _calcs("信用卡欠了5万，年利率18%，利息合法吗") == []


def test_bride_price_rule_follows_the_facts(with_interpretations):
    from lawglm.answer.decided import decide_answer

    q = "我们订婚时男方给了8万8彩礼，一直没领证，也没住在一起，后来女方反悔不结了。彩礼能要回来吗？"
    [calc] = _calcs(q, "marriage")
    assert (calc.deciding.article_no, calc.deciding.item, calc.amount) == (5, 1, None)
    d = decide_answer(q, [], with_interpretations, date(2026, 12, 7))
    assert d.conclusion.startswith("可以。")
    assert "婚姻家庭编的解释（一）》第五条第一款第（一）项" in d.conclusion
    [calc] = _calcs("结婚三年了，孩子都两岁了，现在要离婚，我家当初给了18万彩礼，能要回来吗？", "marriage")
    assert calc.deciding.law.endswith("彩礼纠纷案件适用法律若干问题的规定") and calc.deciding.article_no == 5
    # 一般不予支持: in general not — the 一般 kept (a short marriage and a very high amount may change it)
    assert calc.answer == "一般不能。" and "法律没有规定固定的比例" in calc.steps[0].text
    [calc] = _calcs("没领证但是同居了一年，给了20万彩礼，现在分手了能要回多少？", "marriage")
    assert calc.deciding.article_no == 6 and calc.amount is None
    [calc] = _calcs("结婚半年就离婚，彩礼30万，我们这人均可支配收入4万，能退多少", "marriage")
    assert "300,000元 ÷ 40,000元 ≈ 7.5倍" in calc.steps[-1].text and calc.amount is None
    for q in ("领证后一直没住在一起，现在离婚，彩礼15万能要回来吗？", "没领证但同居了一年，彩礼20万，分手了"):
        assert render(_calcs(q, "marriage")[0], with_interpretations) is not None
    assert _calcs("彩礼一般给多少合适？", "marriage") == []
    # not registered, nothing said about living together: both rules named; the facts not given decide nothing
    [calc] = _calcs("订婚后女方反悔了，彩礼10万能要回来吗？", "marriage")
    assert calc.deciding.item == 1 and calc.answer == "" and calc.steps[1].ref.article_no == 6
    [calc] = _calcs("彩礼能要回来吗？", "marriage")
    assert calc.deciding is None and "请补充这些事实" in calc.steps[0].text
    assert render(calc, with_interpretations) is not None


def test_loan_answer_end_to_end(with_interpretations):
    from lawglm.answer.decided import compose_decided, decide_answer

    q = "2023年3月1日借给朋友10万，月息2分，约定一年后还，借款时一年期LPR是3.65%，利息最多能要多少？"
    d = decide_answer(q, [], with_interpretations, date(2026, 12, 7))
    assert d.conclusion.startswith("可以。") and "第二十五条第一款" in d.conclusion
    assert "14,600元" in d.conclusion
    text = compose_decided(d, d.conclusion, with_interpretations)[0]
    assert "3.65% × 4 = 14.6%" in text and "9,400元不受支持" in text
    # asked whether it is lawful, with no LPR: the rule decides, no yes/no and no figure of ours
    q = "借给朋友10万，年利率24%，借期一年，利息合法吗？"
    d = decide_answer(q, [], with_interpretations, date(2026, 12, 7))
    assert not d.conclusion.startswith(("可以", "不能")) and d.headline is None
    assert "第二十五条第一款" in d.conclusion
    # asked how much a court supports, no LPR: the clause's 应予支持 …除外 gives no 一般会 (the rate may be
    # over the cap); the working says what decides it
    q = "前年借给朋友十万块，借条上写的年息两成，到期了他只肯还本金。这利息法院能支持多少？"
    d = decide_answer(q, [], with_interpretations, date(2026, 12, 7))
    assert not d.conclusion.startswith(("一般会", "会", "可以", "不能")), d.conclusion
    # no interest agreed, overdue: not a bare 不能
    q = "去年借给表哥三万块，当时没写利息，借条就写了年底还。现在拖了一年多还没还，我能要利息吗？"
    d = decide_answer(q, [], with_interpretations, date(2026, 12, 7))
    assert d.conclusion.startswith("借期内的利息不能要") and "第二十八条第二款第（一）项" in d.conclusion


def test_no_interest_agreed_but_overdue_is_not_a_bare_no():
    """No interest agreed and the loan is overdue: the loan period earns none (第二十四条第一款), but
    interest from the day repayment was due can be claimed (第二十八条第二款第（一）项) — a bare 不能 would
    cost the lender that claim."""
    q = "去年借给表哥三万块，当时没写利息，借条就写了年底还。现在拖了一年多还没还，我能要利息吗？"
    [calc] = _calcs(q)
    assert (calc.deciding.article_no, calc.deciding.paragraph, calc.deciding.item) == (28, 2, 1)
    assert calc.answer.startswith("借期内的利息不能要") and "逾期利息" in calc.answer
    [calc] = _calcs("去年借给同事5万块，当时没写利息，现在他还钱，我能按银行利息要点利息吗？")
    assert calc.answer == "不能。" and calc.deciding.article_no == 24


def test_spoken_wages_are_read_exactly_and_approximate_ones_not_computed():
    """一万二 is 12,000 (not 10,000: the answer understated a severance by 11,000 元); 一万多 / 8000左右
    give no figure to compute with, so no amount is stated."""
    from lawglm.answer.calculators import amount_after

    q = "公司说经营困难要裁员，我在这干了5年零4个月，月工资一万二，经济补偿到底怎么算？"
    calc = next(c for c in _calcs(q, "labor_dismissal") if c.amount is not None)
    assert calc.amount == 5.5 * 12000
    assert amount_after("月薪一万两千五百，干了两年", "月薪") == 12500
    assert amount_after("月工资三千五", "月工资") == 3500
    assert amount_after("月薪8万8", "月薪") == 88000
    for wage in ("一万多", "8000左右"):
        q = f"干了三年，月薪{wage}，被辞退了能要多少补偿？"
        assert all(c.amount is None for c in _calcs(q, "labor_dismissal")), q


def test_estate_debts_capped_at_the_estate(corpus):
    from lawglm.answer.calculators import estate_debts
    from lawglm.answer.decided import decide_answer

    calc = estate_debts(800000, 1200000, "all")
    assert calc.amount == 800000 and calc.answer == "不需要全部偿还。" and calc.asked
    assert "400,000元" in calc.steps[1].text
    assert estate_debts(200000, 50000, "pay").answer.startswith("需要")
    assert estate_debts(200000, 50000).answer == ""
    q = ("我爸去世后留下一套房，评估值80万，可他生前欠了别人120万。债主说让我们子女把120万都还上。"
         "我们必须全还吗？")
    [calc] = calculate(q, "inheritance")
    assert (calc.kind, calc.amount, calc.deciding.article_no) == ("estate_debts", 800000, 1161)
    d = decide_answer(q, [], corpus, date(2026, 12, 7))
    assert d.conclusion.startswith("不需要全部偿还。") and "第一千一百六十一条第一款" in d.conclusion
    assert "800,000元" in d.conclusion


@pytest.mark.parametrize("q,amount,heirs", [
    # marital home: half is the widow's own; the other half shared by widow, two children and a grandmother
    (("我爸去世了，没留遗嘱。家里有一套房是爸妈结婚后买的，值200万。现在有我妈、我、我弟，还有我奶奶在世。"
      "这套房我能分到多少？"), 250000, 4),
    # the asker is the widow: her half plus one of three shares; parents-in-law no longer alive
    ("老公车祸去世了，没有遗嘱，留下婚后买的房子值300万，我们有两个孩子，公公婆婆都不在了。我能分多少？",
     2000000, 3),
    # a separate asset: no half taken out; widower, an only child and one grandparent
    ("我妈去世了，留下存款60万，是她婚前的，我爸还在，我是独生女，外婆还在。我能继承多少？", 200000, 3),
    ("父亲病逝，兄弟姐妹三个，我妈还在，父亲婚前的房子值90万，爷爷奶奶早就去世了，我能分多少？", 225000, 4),
])
def test_statutory_shares_hand_worked(corpus, q, amount, heirs):
    [calc] = calculate(q, "inheritance")
    assert calc.kind == "statutory_shares" and calc.amount == amount
    assert f"共{heirs}人" in calc.steps[-2].text or f"共{heirs}人" in calc.steps[-3].text
    lines, cited = render(calc, corpus)
    assert [a.article_no for a in cited] == [1123] + ([1153] if "婚后" in q else []) + [1127, 1130]
    assert lines[-1].startswith("份额可能")


@pytest.mark.parametrize("q", [
    "我爸去世了，留了遗嘱把房子给我哥，房子值100万，我能分多少？",  # a will decides, not equal shares
    "我爸去世了，房子值100万，我能分多少？",  # the heirs are not said
    "我爸去世了，我妈和我、我弟都在，房子值100万，我能分多少？",  # marital or not is not said
    "我爸去世了，留下房子值100万和存款20万，我妈、我和我弟，婚后买的，我能分多少？",  # two assets
    "爷爷去世了，我爸早就去世了，房子值100万，我能分多少？",  # 代位继承 is not computed
    "爷爷去世了，我爸早就去世了，奶奶还在，我妈也在，我是独生子，房子是爷爷奶奶婚后买的值100万，我能分多少？",
])
def test_no_share_guessed(q):
    assert [c for c in calculate(q, "inheritance") if c.kind == "statutory_shares"] == []


def test_a_sellers_promise_above_the_law_binds_it(with_interpretations):
    q = "网上买东西，商家页面写着“假一赔十”，我买的800块的耳机经鉴定是假的。商家只肯退一赔三。能按承诺赔吗？"
    promise, law = calculate(q, "online_shopping")
    assert (promise.kind, promise.amount, promise.headline) == ("promise", 8000, True)
    assert (law.kind, law.amount) == ("fraud", 2400)
    assert promise.deciding.article_no == 10 and "网络消费纠纷" in promise.deciding.law
    assert render(promise, with_interpretations) is not None
    # food: ten times 50 元 is below the statutory 1,000 元 floor, so the law's figure stands
    milk = "超市买的牛奶过期了，花了50元，店里写着假一赔十，能赔多少？"
    assert [c.kind for c in calculate(milk, "consumer")] == ["food"]
    # in a shop (not online, not food) the corpus holds no promise rule: only the statutory figure
    assert [c.kind for c in calculate("商场买了个2000块的包是假的，店里写着假一赔十，能赔多少", "consumer")] \
        == ["fraud"]


@pytest.mark.parametrize("text,ceiling", [("二十多块", 30), ("20多元", 30), ("几十块", 100), ("十几元", 20),
                                          ("150多块", 160), ("100多块", 200), ("5块", None)])
def test_rough_prices_have_a_ceiling(text, ceiling):
    from lawglm.answer.calculators import price_ceiling

    assert price_ceiling(text) == ceiling


def test_a_rough_price_under_the_floor_gets_the_floor(corpus):
    q = "在超市买了两盒牛奶发现过期半个月了，一共才二十多块钱。是不是有个最低赔一千块的说法？"
    [calc] = calculate(q, "consumer")
    assert (calc.kind, calc.amount) == ("food", 1000) and "价款不到30元" in calc.steps[0].text
    assert render(calc, corpus) is not None
    [calc] = calculate("网上买了个几十块的充电宝，结果是假货，能赔多少？", "online_shopping")
    assert (calc.kind, calc.amount) == ("fraud", 500)
    # 170多 × 3 may pass 500: the exact price is needed, nothing is computed
    assert calculate("网上买了个170多块的耳机，是假货，能赔多少？", "online_shopping") == []


def test_years_and_more_give_the_lower_figure_and_say_the_higher():
    from lawglm.answer.calculators import _wage

    q = "在公司干了两年多，HR说明天不用来了，没说任何理由。我工资八千一个月，能要多少钱？"
    assert service(q) is None and _wage(q) == 8000  # 八千一个月 is 8,000 a month, not 8,100
    wrongful, plain = calculate(q, "labor_dismissal")
    assert (wrongful.title, wrongful.amount) == ("违法解除赔偿金（至少）", 40000)  # 2.5 months × 8,000 × 2
    assert "多出的部分满六个月的，违法解除赔偿金为48,000元。" in wrongful.notes
    assert "2年多，多出的部分不满六个月的" in wrongful.steps[0].text
    assert (plain.title, plain.amount) == ("经济补偿（至少）", 20000)
    assert _wage("工资一万二一个月") == 12000


def test_bride_price_reads_living_together_as_people_say_it(with_interpretations):
    q = "订了婚，给了十八万八彩礼，没领证，但是在一起住了快一年了，现在她提出分手。彩礼能要回来多少？"
    [calc] = _calcs(q, "marriage")
    assert calc.deciding.article_no == 6 and "请补充" not in calc.steps[0].text  # lived together: 第六条
    [calc] = _calcs("结婚才四个月就闹离婚，当初给了二十八万彩礼。现在离婚彩礼能退吗？", "marriage")
    assert calc.deciding.law.endswith("彩礼纠纷案件适用法律若干问题的规定") and calc.deciding.article_no == 5
    # married, living together not said: both rules, and only that fact is asked for (not the marriage)
    [calc] = _calcs("领证了，彩礼20万，现在要离婚，能退吗？", "marriage")
    assert calc.deciding is None and [s.ref.article_no for s in calc.steps] == [5, 5]
    assert "请补充是否共同生活过" in calc.steps[1].text and "结婚登记、是否" not in calc.steps[0].text
    assert render(calc, with_interpretations) is not None


def test_interest_taken_off_in_advance_without_a_rate_decides_the_principal(with_interpretations):
    q = "找人借了五万，对方说利息先扣，实际只打给我四万二，借条写的是五万。现在还钱是按五万算还是四万二算？"
    [calc] = _calcs(q)
    assert (calc.kind, calc.amount, calc.deciding.article_no) == ("principal", 42000, 670)
    assert "50,000元 − 8,000元 = 42,000元" in calc.steps[1].text
    assert render(calc, with_interpretations) is not None
    assert _calcs("借了10万，对方实际转给我9万，说1万是利息")[0].amount == 90000


# --- numbers as other people write them; 年休假, 误工费, 护理费 -----------------------------------------
@pytest.fixture(scope="module")
def with_injury_and_leave(corpus):
    """laws.db plus the shipped documents the injury and annual-leave calculators cite."""
    from lawglm.answer.calculators import ANNUAL_LEAVE, ANNUAL_LEAVE_RULES, PERSONAL_INJURY, WORK_INJURY
    from lawglm.statutes.corpus import Corpus
    from lawglm.statutes.shipped import read_shipped

    wanted = {ANNUAL_LEAVE, ANNUAL_LEAVE_RULES, PERSONAL_INJURY, WORK_INJURY}
    return Corpus([*corpus.articles, *(a for a in read_shipped() if a.law in wanted)])


def test_thousands_separators_and_full_width_digits():
    from lawglm.answer.calculators import plain_digits

    assert plain_digits("月平均工资是12,000元，借了１０，０００元") == "月平均工资是12000元，借了10000元"
    assert plain_digits("第3,4项") == "第3,4项"  # not a thousands group
    q = "做了整整十五年，裁员了。月薪四万五。上年度职工月平均工资是12,000元。补偿能拿多少？"
    assert _calcs(q, "labor_dismissal")[0].amount == 12 * 36000  # capped: 3 × 12,000, twelve years


@pytest.mark.parametrize("q,served", [
    ("我是2022年9月入职的，做到今年11月30号", (4, 1)),            # the start day unknown: the lower count
    ("2021年3月进的公司，这个月（12月）1号被辞的", (5, 8)),
    ("2024年3月5日入职，2026年3月4日被辞退", (1, 11)),
    ("入职时间是2023年6月，一直干到现在", (3, 5)),
    ("2025年5月入职的，今年11月我离职了", (1, 5)),
    ("我2025年3月买的车，今年5月卖了", None),                    # not a start of work
])
def test_service_from_dates_written_to_the_month(q, served):
    from lawglm.answer.calculators import service_from_dates

    assert service_from_dates(q, date(2026, 12, 7)) == served


def test_labor_facts_as_people_write_them():
    q = ("老板就因为我请了十天婚假回来就把我开了。我2021年3月进的公司，这个月（12月）1号被辞的，月薪七千二，"
         "能要多少钱？")
    head = _calcs(q, "labor_dismissal")[0]
    assert (head.kind, head.amount) == ("wrongful_dismissal", 2 * 6 * 7200)  # 5年8个月 → 6 months, twice
    q = "2025年5月入职的，公司一直没跟我签劳动合同，今年11月我离职了，月薪8千没变过。我能要多少二倍工资？"
    assert _calcs(q, "wages")[0].amount == 11 * 8000
    q = "合同写的月薪一万，试用期三个月，结果试用期每个月只发了6500。三个月下来少发了我多少？"
    head = _calcs(q, "wages")[0]
    assert (head.kind, head.amount) == ("probation", (8000 - 6500) * 3)


def test_unused_annual_leave(with_injury_and_leave):
    from lawglm.answer.calculators import leave_days, unused_leave

    assert [leave_days(y) for y in (0, 1, 9, 10, 19, 20, 30)] == [0, 5, 5, 10, 10, 15, 15]
    calc = unused_leave(12, None, daily=400)
    assert calc.amount == 2 * 10 * 400 and "12,000元" in calc.notes[0]  # the extra 200%; 300% in all
    assert unused_leave(5, 3, daily=300).amount == 2 * 3 * 300
    assert unused_leave(3, None, monthly=8700).amount == 2 * 5 * 400  # 8700 / 21.75 = 400 a day
    lines, _ = render(calc, with_injury_and_leave)
    assert "《职工带薪年休假条例》第五条第三款" in lines[1] and "实施办法》第十条第一款" in lines[2]
    q = "我累计工作已经12年了，今年公司一天年假都没让我休。我日工资400元。公司应该补我多少未休年假工资？"
    assert _calcs(q, "wages")[0].amount == 8000
    q = "工龄6年，今年还有3天年假没休，月薪8700，能补多少？"
    assert _calcs(q, "wages")[0].amount == 2 * 3 * 400
    assert not [c for c in _calcs("工龄6年，年假休完了，月薪8700", "wages") if c.kind == "annual_leave"]


def test_lost_earnings_and_nursing(with_injury_and_leave):
    from lawglm.answer.calculators import lost_earnings, nursing_costs

    assert lost_earnings(2, 9000, "个月").amount == 18000
    assert nursing_costs(18, 220, hired=True).amount == 3960
    q = "被车撞了，医院开了证明要休息两个月。我是正式员工，月薪9000，固定的。误工费能要多少？"
    assert _calcs(q, "traffic")[0].amount == 18000
    q = "我做装修的，日薪固定450，被电动车撞了医院证明一共45天不能干活。误工费多少"
    assert _calcs(q, "neighbours")[0].amount == 20250           # named: computed whatever the area
    q = "我爸被车撞了住院，请了个护工，一天220，医院说需要陪护18天。护理费能要多少？"
    calc = _calcs(q, "traffic")[0]
    assert calc.amount == 3960 and "护工" in calc.steps[0].text
    q = "出车祸后我老婆请假在医院照顾我30天，她日工资300块。护理费怎么算？"
    calc = _calcs(q, "traffic")[0]
    assert calc.amount == 9000 and "参照误工费" in calc.steps[0].text
    for c in (calc, lost_earnings(45, 450, "天"), nursing_costs(18, 220, hired=True)):
        assert render(c, with_injury_and_leave) is not None
    q = "手指被机器压了，鉴定七级伤残。公司一直按最低基数3000块给我交社保，我们市上年度职工月平均工资是8000。"
    assert _calcs(q, "work_injury")[0].amount == 13 * 4800      # 本人工资 raised to 60% of the average


def test_deposit_facts_as_people_write_them():
    assert deposit(24000, 80000, receiver_breached=False, payer_breached=True).amount == 8000  # above 20%
    assert deposit(10000, 80000, receiver_breached=False, payer_breached=True).amount == 0
    q = "买朋友的二手车，车价10万，我先付了3万定金。结果他转头把车卖给别人了。我最多能要回多少钱？"
    assert _calcs(q, "other")[0].amount == 50000             # 2 × 20,000 + the 10,000 above the cap
    q = "订了一套实木家具总价8万，交了三成定金。后来我家里出事不想要了，家具店说定金一分不退。能要回来多少？"
    assert _calcs(q, "consumer")[0].amount == 8000            # 24,000 paid, 16,000 of it 定金, kept
    q = "装修合同总价12万，交了2万定金，签完装修公司说排不上工期不给我做了，也不退钱。"
    assert _calcs(q, "neighbours")[0].amount == 40000          # the receiver broke it: double


def test_penalty_or_deposit_the_better_choice(with_interpretations):
    from lawglm.answer.calculators import penalty_or_deposit

    calc = penalty_or_deposit(20000, 10000, receiver_breached=True)
    assert calc.amount == 30000                                # 违约金 + the 定金 handed back > 2 × 定金
    assert penalty_or_deposit(5000, 10000, receiver_breached=True).amount == 20000
    assert penalty_or_deposit(20000, 10000).amount is None     # who broke it not said: no figure
    assert render(calc, with_interpretations) is not None
    q = "合同约定违约金2万，我还交了1万定金。现在卖家反悔不卖了，我能不能违约金和定金双倍都要？最多拿回多少？"
    calc = _calcs(q, "other")[0]
    assert calc.amount == 30000 and calc.answer.startswith("不能") and calc.asked


@pytest.mark.parametrize("q,area,amount", [
    ("在商场买了件标着'100%纯羊毛'的大衣，1200元，拿去检测说是化纤的。能多拿多少？", "consumer", 3600),
    ("网上花89块买了个写着'原装正品'的充电器 结果是山寨货 我能让他赔多少", "online_shopping", 500),
    ("店里挂着'假一赔二'的牌子，我买了双600块的鞋，鉴定是假的，我应该要多少？", "other", 1800),  # law wins
])
def test_fraud_as_people_describe_it(q, area, amount):
    assert _calcs(q, area)[0].amount == amount


def test_fraud_needs_a_purchase_outside_consumer_areas():
    assert not _calcs("被人骗了5000块，能要回来吗", "other")


@pytest.mark.parametrize("q,amount", [
    # one figure, said without 存款/价值: the widow's half + one of two shares
    (("老公走了，我们婚后一起存的钱有60万，有一个女儿，公公婆婆都已经不在了，没留遗嘱。"
      "这60万最后归我的一共是多少"), 450000),
    # the widow asks the parents-in-law's share (他爸妈都健在): one of four shares of the half
    ("丈夫车祸去世，我们有个儿子，他爸妈都健在。婚后买的车加存款一共80万，没遗嘱。公婆每人分多少", 100000),
    # 老伴; his own house plus half the marital savings, shared by three
    (("老伴去世了。他婚前有套全款房，现在值100万；婚后我们一起存了50万。我们有两个儿子，他父母早就过世了，没遗嘱。"
      "大儿子能分多少？"), 416666.67),
])
def test_statutory_shares_as_people_ask(corpus, q, amount):
    [calc] = calculate(q, "marriage")  # routed as a family matter: the reader still finds the heirs
    assert calc.amount == amount
    assert render(calc, corpus) is not None


def test_loans_as_people_write_them(with_interpretations):
    q = ("借给朋友10万，借条上写的是10万，但当时我先扣了1万作为一年的利息，实际只转给他9万。"
         "借条写的10万难道不算吗？本金到底按多少算？")
    head = _calcs(q)[0]
    assert (head.kind, head.amount) == ("principal", 90000)  # 9万 read whole, not as a year's interest
    q = "借款8万，合同约定利息按每天万分之五算，借了半年（6个月）。签合同时一年期LPR是3%。利息最多能要多少？"
    assert _calcs(q)[0].amount == 4800                    # 18.25% a year above 12%: 80,000 × 12% × 6/12
    q = ("我找人借了5万，借条写5万，对方当场扣了5000说是手续费，我实际只拿到4.5万。约定年利率12%，"
         "一年后连本带息还，签的时候LPR是3.1%。到期我一共应该还多少？")
    calc = _calcs(q)[0]
    assert calc.amount == 45000 + 5400 and "本息合计" in calc.steps[-1].text
    assert render(calc, with_interpretations) is not None


def test_an_amount_at_the_edge_of_the_window_is_read_whole():
    from lawglm.answer.calculators import amount_after

    assert amount_after("定金是…………12万", r"定金是", 6) == 120000
    assert amount_after("定金是……………………12万", r"定金是", 6) is None   # starts beyond the window


@pytest.mark.parametrize("q,area,amount", [
    ("在公司干了五年零八个月，公司裁员，月工资1.2w，补偿多少", "labor_dismissal", 6 * 12000),
    ("税前月薪12k，工作3年半，公司说不续签了，能拿多少补偿", "labor_dismissal", 4 * 12000),
    ("工伤鉴定八级，本人工资5000，一次性伤残补助金多少", "work_injury", 11 * 5000),
    ("我爸被车撞死了，他六十八岁，城镇居民人均可支配收入是5万，死亡赔偿金多少", "traffic", 12 * 50000),
    ("借给同学2万块，约定月息1分半，借了一年，当时LPR是3.45%，能要多少利息", "loans", 2760),  # 18% > 13.8%
    ("房东收了我押金5000和定金2000，总租金36000，他反悔不租了，能要回多少定金", "tenancy", 4000),
])
def test_more_ways_of_writing_the_facts(q, area, amount):
    assert _calcs(q, area)[0].amount == amount


def test_disability_compensation_share_only_when_given(with_injury_and_leave):
    from lawglm.answer.calculators import disability_compensation

    assert disability_compensation(55, 40000).amount is None               # the grade's share: not in the law
    assert disability_compensation(65, 50000, 0.1).amount == 15 * 50000 * 0.1  # 20 − 5 years, the share given
    assert disability_compensation(80, 50000, 1).amount == 5 * 50000
    calc = _calcs("我爸65岁被车撞了，定了十级伤残，人均可支配收入5万，按10%算残疾赔偿金", "traffic")[0]
    assert calc.amount == 75000
    assert render(calc, with_injury_and_leave) is not None
    q = "不胜任工作被辞退，工作满3年，工资8000元每月，没有培训也没调岗，能要多少"
    assert _calcs(q, "labor_dismissal")[0].amount == 2 * 3 * 8000  # 第四十条第（二）项 skipped: unlawful
    q = "加班费怎么算，我每天加班2小时，一个月加了40小时，时薪30元"
    assert _calcs(q, "wages")[0].amount == 40 * 30 * 1.5


@pytest.mark.parametrize("q,area,amount", [
    ("2023.3入职，2026.11.20被公司辞退，说经营困难，月工资6000，经济补偿多少", "labor_dismissal", 4 * 6000),
    ("23年3月入职的，今年10月被裁员，工资每个月七千，补偿多少", "labor_dismissal", 4 * 7000),  # not 23 years
    ("入职到现在8个月一直没签合同，工资4500，二倍工资多少", "wages", 7 * 4500),
    ("借给他5万，说好利息一个月1000，借了3个月，当时LPR是3.1%，利息能要多少", "loans", 1550),  # 24% → 12.4%
    ("买了一盒月饼120元，发现已经变质了，能索赔多少", "consumer", 1200),
    ("在单位工作了二十二年，今年年休假一天没休，日工资500，公司应该补多少", "wages", 2 * 15 * 500),
])
def test_dates_and_words_people_use(q, area, amount):
    assert _calcs(q, area)[0].amount == amount


def test_n_plus_one_when_notice_was_not_given(corpus):
    from lawglm.answer.calculators import LABOR_CONTRACT_RULES
    from lawglm.statutes.corpus import Corpus
    from lawglm.statutes.shipped import read_shipped

    q = "我生病医疗期满了，公司说我不能从事原工作，没提前通知就把我解除了，我干了4年，月薪6000，N+1是多少"
    head = _calcs(q, "labor_dismissal")[0]
    assert (head.kind, head.amount) == ("notice_pay", 4 * 6000 + 6000)
    shipped = Corpus([*corpus.articles, *(a for a in read_shipped() if a.law == LABOR_CONTRACT_RULES)])
    lines, cited = render(head, shipped)
    assert "第四十条" in lines[-2] and cited[-1].article_no == 20
    q = "公司经济性裁员，没提前通知，我干了4年，月薪6000，补偿多少"   # 第四十一条: no extra month
    assert _calcs(q, "labor_dismissal")[0].amount == 24000


def test_service_before_a_comma_is_service():
    assert service("做了两年零三个月，合同到期公司不续签了") == (2, 3)
    assert service("签了3年合同，干了1年") == (1, 0)


def test_the_total_paid_and_a_percentage_are_read_as_people_write_them():
    # a unit price beside the total: ten times what was paid (two boxes), not one box
    q = "在超市买了两盒进口奶粉，发现已经过期半个月了，一盒398块，两盒796。我能要多少钱？"
    [calc] = calculate(q, "consumer", date(2026, 12, 7))
    assert (calc.kind, calc.amount) == ("food", 7960)
    # 只有转正的60% is a share, not 60 元 paid
    q = "试用期6个月，试用期工资只有转正的60%，转正工资是6000，试用期给我3600。能不能要回差额？"
    [calc] = calculate(q, "wages", date(2026, 12, 7))
    assert calc.kind == "probation" and "4,800元 − 3,600元 = 1,200元" in calc.steps[1].text
