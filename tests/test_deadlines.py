"""Deadlines: period lengths read from the corpus, calendar arithmetic across month ends, dates in questions,
and 下一步 by area (forum order, the unsure case showing the shorter deadline)."""

from datetime import date

import pytest

from lawglm.answer.areas import candidates, next_steps_for, periods
from lawglm.answer.deadlines import Period, add_months, dates_in, last_day, start_date
from lawglm.search.routing import Routing, route


@pytest.mark.parametrize("start,n,unit,end", [
    (date(2024, 1, 31), 1, "months", date(2024, 2, 29)),   # no 31 Feb: the month's last day (leap year)
    (date(2023, 1, 31), 1, "months", date(2023, 2, 28)),
    (date(2024, 8, 31), 6, "months", date(2025, 2, 28)),   # 行政诉讼 six months from 31 August
    (date(2024, 3, 31), 6, "months", date(2024, 9, 30)),
    (date(2024, 2, 29), 1, "years", date(2025, 2, 28)),    # a year from 29 February
    (date(2024, 2, 29), 3, "years", date(2027, 2, 28)),
    (date(2024, 3, 5), 1, "years", date(2025, 3, 5)),      # the corresponding day
    (date(2024, 11, 1), 60, "days", date(2024, 12, 31)),   # the first day is not counted
    (date(2024, 12, 15), 60, "days", date(2025, 2, 13)),   # across a year end
    (date(2023, 12, 31), 2, "months", date(2024, 2, 29)),
])
def test_last_day(start, n, unit, end):
    assert last_day(start, n, unit) == end


def test_add_months_keeps_the_day_when_the_month_has_it():
    assert add_months(date(2024, 1, 30), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 28), 1) == date(2024, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_period_lengths_come_from_the_corpus_words(corpus):
    table = periods()
    assert table["civil"].length == (3, "years")
    assert table["labor"].length == (1, "years")
    assert table["admin_review"].length == (60, "days")
    assert table["admin_suit"].length == (6, "months")
    assert table["injury_worker"].length == (1, "years")
    for name in ("civil", "labor", "admin_review", "admin_suit", "labor_award", "public_order"):
        article, clause = table[name].resolve(corpus)
        assert table[name].words in clause.text and article.is_current
    # a period whose words the article does not hold is not shown
    wrong = Period("诉讼时效", "中华人民共和国民法典", 188, 1, "五年", "")
    assert wrong.resolve(corpus) is None


def test_dates_in_a_question():
    text = "我2024年3月5日入职，2025-01-31被辞退，3月3日收到通知"
    found = dates_in(text, today=date(2025, 11, 1))
    assert [m.day for m in found] == [date(2024, 3, 5), date(2025, 1, 31), date(2025, 3, 3)]
    # without a year: a date shortly ahead is this year's (准备12月10日交辞职信), one far ahead last year's
    assert dates_in("准备12月10日交辞职信", today=date(2025, 12, 7))[0].day == date(2025, 12, 10)
    assert dates_in("5月3日被罚", today=date(2025, 1, 10))[0].day == date(2024, 5, 3)
    assert [m.year_given for m in found] == [True, True, False]
    assert dates_in("2月30日被罚", today=date(2025, 5, 1)) == []   # no such day
    assert dates_in("3月5日被罚") == []                              # no year and no reference day
    assert dates_in("二〇二四年三月五日") and dates_in("二〇二四年三月五日")[0].day == date(2024, 3, 5)


def test_start_date_prefers_the_event():
    text = "我2020年6月1日入职，2024年8月31日被辞退，公司2024年9月10日才发工资"
    assert start_date(text, ("辞退",)).day == date(2024, 8, 31)
    assert start_date("2024年1月2日入职，2024年5月6日", ("辞退",)).day == date(2024, 5, 6)  # else the latest
    assert start_date("没写日期", ("辞退",)) is None


def test_forum_by_area(corpus):
    dismissal = next_steps_for("公司把我辞退了，没有任何补偿", route("公司把我辞退了，没有任何补偿"), corpus)
    assert dismissal.area == "labor_dismissal" and dismissal.forum[0] == "劳动争议仲裁委员会"
    assert "须先仲裁" in dismissal.lines[0]
    assert dismissal.deadlines[0].period.length == (1, "years")
    fine = "市场监管局给我开了两万元的罚款决定书，我不服"
    admin = next_steps_for(fine, route(fine), corpus)
    assert admin.area == "administrative" and admin.forum[0] == "行政复议机关"
    assert [d.period.length for d in admin.deadlines] == [(60, "days"), (6, "months")]
    crime = next_steps_for("我被人打了，怎么报警", route("我被人打了，怎么报警"), corpus)
    assert crime.forum == ["公安机关"]


def test_last_day_from_the_question(corpus):
    q = "我2024年8月31日被公司辞退了"
    steps = next_steps_for(q, route(q), corpus, today=date(2024, 9, 30))
    labor = steps.deadlines[0]
    assert (labor.start, labor.end) == (date(2024, 8, 31), date(2025, 8, 31))
    assert "2025年8月31日" in "\n".join(steps.lines) and "距今还有335天" in "\n".join(steps.lines)
    q = "区市场监管局2024年11月1日对我作出罚款决定"
    admin = next_steps_for(q, route(q), corpus, today=date(2024, 12, 16))
    assert admin.deadlines[0].end == date(2024, 12, 31)
    assert "距今还有15天" in "\n".join(admin.lines)


def test_unsure_routing_shows_the_shorter_deadline_first(corpus):
    unsure = Routing("consumer", (), 0.2, {"consumer": 5.0, "tenancy": 4.0}, "tenancy")
    assert candidates(unsure) == ("consumer", "tenancy")
    unsure = Routing("consumer", (), 0.2, {"consumer": 5.0, "administrative": 4.0}, "administrative")
    assert candidates(unsure) == ("consumer", "administrative")
    steps = next_steps_for("商店卖过期食品，被罚了", unsure, corpus)
    assert steps.unsure
    first = steps.deadlines[0]
    assert first.period.length == (60, "days")   # not 民法典 三年
    assert any("较短" in line and "六十日" in line for line in steps.lines)
    sure = Routing("consumer", (), 0.9, {"consumer": 5.0, "tenancy": 0.5}, "tenancy")
    assert next_steps_for("商店卖过期食品", sure, corpus).deadlines[0].period.length == (3, "years")
    # an administrative cue makes 行政复议's sixty days a candidate however sure routing is
    sure = Routing("consumer", (), 0.9, {"consumer": 5.0, "administrative": 0.5}, "administrative")
    assert next_steps_for("商店卖过期食品被罚", sure, corpus).deadlines[0].period.length == (60, "days")


def test_a_period_the_corpus_lacks_is_named_not_stated(corpus):
    q = "上班时从梯子上摔下来骨折了，公司不给报工伤"
    steps = next_steps_for(q, route(q), corpus)
    assert steps.area == "work_injury" and steps.forum[0] == "社会保险行政部门"
    if corpus.resolve_law("工伤保险条例") is None:
        assert any("未收录" in line and "30日" not in line for line in steps.lines)


def test_a_specific_period_governs_over_the_general_one(corpus):
    q = "网购的衣服12月1日签收的，想七天无理由退货"
    steps = next_steps_for(q, route(q), corpus, today=date(2026, 12, 7))
    first = steps.deadlines[0]
    assert first.period.length == (7, "days") and first.end == date(2026, 12, 8)
    q = "我2026年12月4日收到行政处罚告知书，想申请听证"
    steps = next_steps_for(q, route(q), corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].period.length == (5, "days")
    assert steps.deadlines[0].citation.endswith("第六十四条第（一）项")
    assert steps.deadlines[0].end == date(2026, 12, 9)
    q = "借款2026年3月31日到期，朋友做的连带责任保证，没约定保证期间"
    steps = next_steps_for(q, route(q), corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].end == date(2026, 9, 30)
    assert "已经届满" in "\n".join(steps.lines)


def test_a_question_against_an_authority_goes_to_administrative_review(corpus):
    q = "工厂偷排废水流进我家鱼塘，我向环保局书面申请查处，两个多月一直没动静，能告环保局不作为吗"
    steps = next_steps_for(q, Routing("neighbours", (), 0.3, {"neighbours": 3.0}, ""), corpus)
    assert steps.area == "administrative" and steps.forum[0] == "行政复议机关"
    assert steps.deadlines[0].period.length == (60, "days")


def _lines(steps) -> str:
    return "\n".join(steps.lines)


def test_a_retiree_goes_to_court_not_arbitration(corpus):
    """劳动争议解释（一）第三十二条: a worker who draws a pension is in 劳务, not 劳动: court, 三年."""
    q = "我已经退休领退休金了，在一家超市打工，老板突然不让我干了，我能申请劳动仲裁要经济补偿吗？"
    steps = next_steps_for(q, Routing("labor_dismissal", (), 0.9, {"labor_dismissal": 5.0}, ""), corpus)
    assert steps.forum[0] == "人民法院"
    assert "须先仲裁" not in _lines(steps) and "直接向人民法院起诉" in steps.lines[0]
    assert [d.period.name for d in steps.deadlines] == ["诉讼时效"]
    # not yet retired: still 劳动, arbitration first
    q = "我还没到退休年龄，公司说我快退休了就把我辞退了，能申请劳动仲裁吗？"
    steps = next_steps_for(q, Routing("labor_dismissal", (), 0.9, {"labor_dismissal": 5.0}, ""), corpus)
    assert steps.forum[0] == "劳动争议仲裁委员会"


def test_mandatory_review_cases_never_offer_court_first(corpus):
    """行政复议法第二十三条: these cases go to 行政复议 first; the step must not offer direct litigation."""
    from lawglm.eval.answers import court_before_mandatory, first_mentions

    for q in ("我向县政府申请公开征地文件，他们答复不予公开，我能直接去法院告吗？",
              "交警当场罚了我200块，我不服，能直接起诉吗？"):
        steps = next_steps_for(q, route(q), corpus)
        assert steps.forum[0] == "行政复议机关", q
        assert not court_before_mandatory("行政复议", steps.lines[0]), q
        assert first_mentions("行政复议", steps.lines[0])
        assert steps.deadlines[0].period.length == (60, "days")
    # a fine not made on the spot keeps both roads
    fine = "市场监管局给我开了两万元的罚款决定书，我不服"
    assert "也可以向人民法院" in next_steps_for(fine, route(fine), corpus).lines[0]


def test_specific_periods_the_facts_trigger(corpus):
    q = "我买的电热水壶漏电把我手烫伤了，能找商家赔吗？有期限吗？"
    steps = next_steps_for(q, route(q), corpus)
    assert steps.deadlines[0].period.length == (2, "years")   # 产品质量法第四十五条, not 三年
    assert steps.deadlines[0].citation == "《中华人民共和国产品质量法》第四十五条第一款"
    # the ground of 撤销 decides the period: 重大误解 ninety days; not said: the shorter first, with why
    q = "签合同的时候我把单价看错了，属于重大误解，想撤销合同，有期限吗？"
    assert next_steps_for(q, route(q), corpus).deadlines[0].period.length == (90, "days")
    q = "对方骗我签了买卖合同，我想撤销合同，有期限吗？"
    assert next_steps_for(q, route(q), corpus).deadlines[0].period.length == (1, "years")
    q = "我想撤销和对方签的买卖合同，有期限吗？"
    steps = next_steps_for(q, route(q), corpus)
    assert [d.period.length for d in steps.deadlines[:2]] == [(90, "days"), (1, "years")]
    assert any("较短的九十日" in line for line in steps.lines)


def test_steps_only_where_the_question_calls_for_them(corpus):
    owed = "公司拖欠我三个月工资不发，怎么办？"
    assert "支付令" in _lines(next_steps_for(owed, route(owed), corpus))
    quit_ = "我在公司干了五年，想主动辞职，公司需要给我经济补偿吗？"
    wages = Routing("wages", (), 0.9, {"wages": 5.0}, "")
    assert "支付令" not in _lines(next_steps_for(quit_, wages, corpus))


def test_disputes_the_law_says_are_not_labor_go_to_court(corpus):
    """劳动争议解释（一）第二条: a family's 保姆, an 个体工匠's 学徒 are not 劳动争议: court, not 仲裁."""
    labor = Routing("labor_dismissal", (), 0.9, {"labor_dismissal": 5.0}, "")
    for q in ("我在一户人家当保姆三年，雇主突然让我走人，我能申请劳动仲裁吗？",
              "我跟着一个木匠师傅当学徒，师傅不让我干了还不给钱，能申请劳动仲裁吗？"):
        assert next_steps_for(q, labor, corpus).forum[0] == "人民法院", q
    # sent by a 家政公司: still the area's arbitration first
    q = "家政公司派我去一户人家当保姆，公司把我辞退了，能申请劳动仲裁吗？"
    assert next_steps_for(q, labor, corpus).forum[0] == "劳动争议仲裁委员会"
    # an 个体工商户's worker is in 劳动: arbitration first, with the reason added
    q = "我在一家个体户饭店当服务员，老板把我辞退了，怎么办？"
    steps = next_steps_for(q, labor, corpus)
    assert steps.forum[0] == "劳动争议仲裁委员会" and "个体经济组织" in steps.lines[1]


def test_steps_and_evidence_fit_the_matter(corpus):
    marriage = Routing("marriage", (), 0.9, {"marriage": 5.0}, "")
    q = "老公喝了酒就动手打我，我想让他别靠近我和孩子，能向法院申请什么吗？"
    steps = next_steps_for(q, marriage, corpus)
    assert "人身安全保护令" in steps.lines[0] and steps.forum[0] == "人民法院"
    assert "协议离婚" not in _lines(steps) and "验伤" in steps.lines[-1]
    # 打我电话 is a call, not a blow: no protective order for a debt collector's calls
    q = "老公背着我借了三十万网贷，催收天天打我电话，说是夫妻共同债务要我一起还。我需要还吗？"
    assert not any("人身安全保护令" in line for line in next_steps_for(q, marriage, corpus).lines)
    q = "老公动不动就打我，还天天打我电话威胁我，能申请保护令吗？"
    assert "人身安全保护令" in next_steps_for(q, marriage, corpus).lines[0]
    q = "他婚前有重大疾病瞒着我，能撤销婚姻吗？"
    assert "协议离婚" not in _lines(next_steps_for(q, marriage, corpus))
    q = "我们感情破裂了，想离婚，怎么办？"
    assert "协议离婚" in next_steps_for(q, marriage, corpus).lines[0]
    # the evidence of the harm described, whatever the area routing chose
    loans = Routing("loans", (), 0.9, {"loans": 5.0}, "")
    q = "网贷逾期了，催收每天给我爸妈打电话，还在群里发我的照片，这合法吗？"
    evidence = next_steps_for(q, loans, corpus).lines[-1]
    assert "借条" not in evidence and "通话记录" in evidence
    # an unknown area names no evidence list at all rather than one that fits every matter and none
    other = Routing("other", (), 0.2, {}, "")
    q = "土地承包期内我们全家转为非农业户口了，承包的地怎么办？"
    steps = next_steps_for(q, other, corpus)
    assert steps.lines and not any(line.startswith("证据：") for line in steps.lines)
    q = "邻居家的摄像头正对着我家窗户拍，我该怎么办？"  # a harm with its own evidence, whatever the area
    assert next_steps_for(q, other, corpus).lines[-1].startswith("证据：")


@pytest.mark.parametrize("question,first", [
    ("一审判决我输了，我不服，判决书是12月1日收到的，多久内要上诉？", (15, "days")),
    ("一审法院驳回起诉的裁定我不服，要在多久内上诉？", (10, "days")),
    ("我弟弟被判了三年有期徒刑，不服想上诉，有期限吗？", (10, "days")),
    ("法院判决对方还我10万，判决生效半年了他一直没给，我还能申请强制执行吗？", (2, "years")),
])
def test_court_periods_the_facts_trigger(corpus, question, first):
    steps = next_steps_for(question, route(question), corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].period.length == first, question


@pytest.mark.parametrize("question", [
    "我报警说邻居威胁我，派出所一直不处理，拖着不办，我想告派出所，怎么办？",
    "税务局说我少缴了税，要我补税加滞纳金，我不服，能直接起诉吗？",
])
def test_more_cases_that_must_go_to_review_first(corpus, question):
    from lawglm.eval.answers import court_before_mandatory

    steps = next_steps_for(question, route(question), corpus)
    assert steps.forum[0] == "行政复议机关" and steps.first_required, question
    assert not court_before_mandatory("行政复议", steps.lines[0])


def test_a_creditors_revocation_runs_one_year(corpus):
    q = "欠我钱的人把他名下的房子无偿过户给了他弟弟，我想撤销，有期限吗？"
    first = next_steps_for(q, route(q), corpus).deadlines[0]
    assert first.period.length == (1, "years") and first.citation.endswith("第五百四十一条")


# --- special periods over the general one; the person's own period; periods the sources state -------------
@pytest.mark.parametrize("question,first,forum", [
    # the stage the question is at: its court, and only its period (not the area's 一年 / 三年)
    ("劳动仲裁裁决只支持了我一半加班费，我不服，裁决书是12月1日收到的，去法院起诉要在多少天内？",
     (15, "days"), "人民法院"),
    ("我们公司和供应商的合同纠纷仲裁了，裁决书10月10日收到，仲裁违反法定程序，想申请撤销裁决，期限多久？",
     (3, "months"), "中级人民法院"),
    ("我们是公司，劳动仲裁对员工工资的终局裁决适用法律错误，向中院申请撤销裁决有多长时间？",
     (30, "days"), "中级人民法院"),
    ("法院裁定驳回了我的起诉，裁定书11月30日送达的，我想上诉，有几天时间？", (10, "days"), "上一级人民法院"),
    ("对罚款申请了行政复议，11月25日收到复议决定书，维持原处罚，我还想去法院告，要在几天内起诉？",
     (15, "days"), "人民法院"),
    # a topic the question words loosely (要把我租的房子卖掉), past the probation period (试用期已过)
    ("房东通知我说要把我租的房子卖掉，问我买不买，我要在多少天内答复？", (15, "days"), None),
    ("我想辞职，要提前多久跟公司说？已经过了试用期。", (30, "days"), None),
])
def test_a_special_period_overrides_the_general_one(corpus, question, first, forum):
    steps = next_steps_for(question, route(question), corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].period.length == first, question
    assert steps.deadlines[0].article is not None and steps.deadlines[0].specific
    if forum:
        assert steps.forum[0] == forum
        names = {d.period.name for d in steps.deadlines}
        assert "诉讼时效" not in names and "劳动仲裁时效" not in names, names


def test_a_later_steps_period_is_counted_when_the_question_is_at_that_step(corpus):
    """不服仲裁裁决的起诉期限 is a later step for a dismissal, the current one after the award: dated."""
    q = "劳动仲裁裁决我不服，2026年12月1日收到的裁决书，想去法院起诉"
    d = next_steps_for(q, route(q), corpus, today=date(2026, 12, 7)).deadlines[0]
    assert (d.period.length, d.start, d.end) == ((15, "days"), date(2026, 12, 1), date(2026, 12, 16))
    q = "公司把我辞退了，2026年12月1日走的"
    steps = next_steps_for(q, route(q), corpus, today=date(2026, 12, 7))
    award = next(d for d in steps.deadlines if d.period.later)
    assert award.end is None and not award.current


@pytest.mark.parametrize("question,end", [
    ("仲裁裁决书2026年11月30日收到，仲裁员违反法定程序，我想申请撤销裁决", date(2027, 2, 28)),   # no 30 Feb
    ("仲裁裁决书2027年11月30日收到，仲裁员违反法定程序，我想申请撤销裁决", date(2028, 2, 29)),   # leap year
    ("仲裁裁决书2026年8月31日收到，仲裁员违反法定程序，我想申请撤销裁决", date(2026, 11, 30)),
    ("劳动仲裁的终局裁决书2027年1月31日收到，我们公司想申请撤销裁决", date(2027, 3, 2)),      # 30 days
    ("一审裁定书2026年12月25日送达，我不服裁定想上诉", date(2027, 1, 4)),                 # 10 days
])
def test_new_periods_end_across_month_ends(corpus, question, end):
    steps = next_steps_for(question, route(question), corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].end == end, question


@pytest.fixture(scope="module")
def default_corpus():
    """The default corpus (laws.db and the shipped LawRefBook documents: 工伤保险条例 is one)."""
    from lawglm.statutes.ingest import load_corpus

    return load_corpus()


def test_the_employers_period_is_never_the_persons_own(default_corpus):
    """工伤保险条例第十七条: the employer's 30日 is shown as the employer's; the worker's 1年 decides whether
    the worker is still in time."""
    from lawglm.answer.decided import verdict

    q = "我2026年10月1日在车间被机器砸伤了手，公司一直不给申请工伤认定，现在我自己申请还来得及吗？"
    today = date(2026, 12, 7)
    steps = next_steps_for(q, route(q), default_corpus, today)
    employer = next(d for d in steps.deadlines if d.period.party)
    assert employer.period.length == (30, "days") and not employer.own
    text = _lines(steps)
    assert "（这是用人单位的期限）" in text and "用人单位的这一期限按此计算已经届满" in text
    assert "请尽快咨询律师是否有中断" not in text   # no alarm for a period that is not the worker's
    assert verdict(q, None, steps, today).startswith("可以")
    # routing unsure between 工伤 and another area: the employer's 30日 is not "the shorter one to keep"
    unsure = Routing("wages", (), 0.2, {"wages": 5.0, "work_injury": 4.0}, "work_injury")
    steps = next_steps_for("上班受伤了，公司拖欠工资也不给报工伤", unsure, default_corpus)
    assert not any("较短的单位申请工伤认定" in line for line in steps.lines)


def _source(law: str, no: int, text: str):
    from lawglm.records import Article

    return Article(law, no, text)


def test_a_period_the_retrieved_article_states_is_shown_first_when_shorter(corpus):
    q = "邻居在我家墙上开窗，我提异议有期限吗？"
    routing = Routing("neighbours", (), 0.9, {"neighbours": 5.0}, "")
    short = _source("示例法", 3, "相邻一方在墙上开窗的，另一方可以自知道开窗之日起二十日内向其提出异议。")
    longer = _source("示例法", 4, "对墙上开窗有异议的，可以自知道开窗之日起五年内请求拆除。")
    duty = _source("示例法", 5, "人民法院应当在收到开窗异议之日起十日内作出决定。")
    steps = next_steps_for(q, routing, corpus, today=date(2026, 12, 7), sources=[short, longer, duty])
    first = steps.deadlines[0]
    assert first.from_source and first.period.length == (20, "days") and first.end is None
    assert first.citation == "《示例法》第三条"
    assert "二十日内向其提出异议" in _lines(steps) and "较短的二十日" in _lines(steps)
    assert [d.period.length for d in steps.deadlines if d.from_source] == [(20, "days")]  # not 五年, not 十日
    assert "不要按较长的期限拖延" in _lines(steps)
    # not asked about a time limit, or the article's event is not the question's: the area's periods only
    plain = next_steps_for("邻居在我家墙上开窗，怎么办？", routing, corpus, sources=[short])
    assert not any(d.from_source for d in plain.deadlines)
    other = _source("示例法", 6, "对复议决定不服的，可以在收到复议决定书之日起十五日内就开窗提出异议。")
    steps = next_steps_for(q, routing, corpus, sources=[other])
    assert not any(d.from_source for d in steps.deadlines)


def test_stated_periods_reads_the_persons_steps_only():
    from lawglm.answer.deadlines import stated_periods

    a = _source("示例法", 9, "当事人自知道撤销事由之日起一年内、重大误解的当事人自知道撤销事由之日起"
                "九十日内没有行使撤销权的，撤销权消灭。\n在赔偿请求时效的最后六个月内，因不可抗力"
                "不能行使请求权的，时效中止。\n用人单位提前三十日通知劳动者的，可以解除合同。\n"
                "人民法院应当在受理之日起十日内通知对方。\n请求赔偿的诉讼时效期间为二年。")
    found = [(p.words, p.paragraph, p.runs_from) for p in stated_periods(a)]
    assert found == [("一年", 1, "知道撤销事由之日"), ("九十日", 1, "知道撤销事由之日"), ("二年", 5, "")]


def test_a_retrial_is_its_own_stage(corpus):
    """民事诉讼法第二百一十六条: 申请再审 within 六个月 of the judgment taking effect, at the court above."""
    q = "二审判决维持原判我还是不服，判决2026年9月30日生效，想申请再审，有期限吗？"
    steps = next_steps_for(q, route(q), corpus, today=date(2026, 12, 7))
    first = steps.deadlines[0]
    assert first.period.length == (6, "months") and first.end == date(2027, 3, 30)   # 30 Sept + 6 months
    assert steps.forum[0] == "上一级人民法院"
    assert not any(d.period.name.startswith("不服一审") for d in steps.deadlines)   # not an appeal


def test_the_persons_periods_come_shortest_first_even_when_routing_is_sure(corpus):
    """隐私: 治安 (六个月) before 诉讼时效 (三年), whichever the area lists first."""
    sure = Routing("privacy", (), 0.9, {"privacy": 6.0}, "")
    steps = next_steps_for("邻居在楼道装摄像头对着我家门拍，我该怎么办？", sure, corpus)
    assert [d.period.length for d in steps.deadlines][:2] == [(6, "months"), (3, "years")]


def test_asked_whether_they_can_take_the_step_its_dated_period_answers(corpus):
    from lawglm.answer.decided import verdict

    today = date(2026, 12, 7)
    q = "一审判决书2026年12月1日送达，判我还钱，我能上诉吗？"
    steps = next_steps_for(q, route(q), corpus, today)
    assert verdict(q, None, steps, today).startswith("可以，不服一审民事判决的上诉期限还没有届满")
    q = "一审判决书2026年11月1日送达，判我还钱，我能上诉吗？"
    steps = next_steps_for(q, route(q), corpus, today)
    assert verdict(q, None, steps, today).startswith("一般不能了")
    # a general period does not answer whether a step can be taken (能起诉 is not 还来得及)
    q = "2026年12月1日被朋友骗了五千块，我能起诉他吗？"
    assert verdict(q, None, next_steps_for(q, route(q), corpus, today), today) == ""


@pytest.mark.parametrize("question,first", [
    ("我在网上买的手机7天内发现是翻新机，能退吗？", (7, "days")),          # 七日 without 无理由
    ("被父母逼着结的婚，现在想撤销，还来得及吗？", (1, "years")),            # 民法典第一千零五十二条
    ("结婚前女方隐瞒了自己有精神病，结婚半年才知道，怎么办？", (1, "years")),  # 第一千零五十三条
])
def test_specific_periods_in_everyday_words(corpus, question, first):
    steps = next_steps_for(question, route(question), corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].period.length == first and steps.deadlines[0].specific, question


def test_a_work_injury_decision_is_no_traffic_accident_finding(corpus):
    q = "工伤认定书下来了，公司不服申请复议，我该怎么办？"
    steps = next_steps_for(q, route(q), corpus)
    assert all(d.period.name != "申请交通事故认定复核的期限" for d in steps.deadlines)


@pytest.mark.parametrize("text,day", [
    ("上个月15号收到行政处罚决定书", date(2026, 11, 15)),
    ("上上个月30号被辞退", date(2026, 10, 30)),
    ("这个月1号发的通知", date(2026, 12, 1)),
    ("上周五HR找我谈话", date(2026, 12, 4)),  # 2026-12-07 is a Monday
    ("上星期一被车撞了", date(2026, 11, 30)),
    ("昨天被辞退了", date(2026, 12, 6)),
    ("3天前被车撞了", date(2026, 12, 4)),
    ("两天前收到通知", date(2026, 12, 5)),
])
def test_dates_written_relative_to_the_day_asked(text, day):
    assert [m.day for m in dates_in(text, date(2026, 12, 7))] == [day]


def test_relative_dates_across_month_and_year_ends():
    assert [m.day for m in dates_in("上个月31号", date(2026, 12, 7))] == []  # November has no 31st
    assert [m.day for m in dates_in("上个月31号", date(2027, 1, 5))] == [date(2026, 12, 31)]
    assert [m.day for m in dates_in("上周日", date(2027, 1, 1))] == [date(2026, 12, 27)]
    assert [m.day for m in dates_in("本月20号", date(2026, 12, 7))] == []  # not yet come: no event date


def test_a_narrative_today_never_moves_the_start_past_the_event():
    found = dates_in("3月5日被辞退，今天去找公司要钱", date(2026, 12, 7))
    assert [m.day for m in found] == [date(2026, 3, 5)]
    assert [m.day for m in dates_in("上周五被辞退，昨天去要钱", date(2026, 12, 7))] == [date(2026, 12, 4)]


@pytest.mark.parametrize("question,borrower", [
    ("找人借了五万，对方说利息先扣，实际只打给我四万二。现在还钱按多少算？", True),
    ("我向朋友借了5万，他现在催我还高利息，怎么办？", True),
    ("朋友向我借了5万，到期一直不还，怎么办？", False),
    ("借给同事5万，他转给我5000就不还了，怎么办？", False),
    ("2021年3月借给我表哥5万块，他一直没还，现在还能起诉吗？", False),  # lent to my cousin: the lender
    ("去年他借给我3万，现在催我连本带利还，怎么办？", True),
])
def test_loan_steps_follow_the_persons_side(corpus, question, borrower):
    loans = Routing("loans", (), 0.9, {"loans": 5.0}, "")
    lines = _lines(next_steps_for(question, loans, corpus))
    assert ("您是借款人" in lines) is borrower and ("先催讨" in lines) is (not borrower)


@pytest.mark.parametrize("question,area,suspect", [
    ("我弟在商场顺手拿了一个两千多块的耳机被抓了，他十九岁，第一次，会不会被判刑？", "criminal", True),
    ("我老公酒驾被交警抓了，会坐牢吗？", "traffic", True),
    ("我被人打了，打人的被抓了，他会判几年？", "criminal", False),
    ("我被车撞了，肇事司机被抓了，我能要多少赔偿？", "traffic", False),
])
def test_the_suspects_family_is_not_sent_to_report_the_crime(corpus, question, area, suspect):
    nxt = next_steps_for(question, Routing(area, (), 0.9, {area: 5.0}, ""), corpus)
    lines = _lines(nxt)
    assert ("有权委托辩护人" in lines) is suspect
    if suspect:  # no victim's report, and no period of someone else's
        assert "报案" not in lines.split("证据")[0] and not nxt.deadlines


def test_a_commercial_award_is_set_aside_in_three_months_not_a_labor_year(corpus):
    """仲裁法 (2025) 第七十二条 三个月, whatever 仲裁 made routing think of 劳动仲裁."""
    q = "商事仲裁裁决对我们不利，想去法院撤销，多长时间内申请？"
    steps = next_steps_for(q, route(q), corpus)
    assert steps.deadlines[0].period.length == (3, "months") and steps.forum[0] == "中级人民法院"


def test_revoking_a_contract_goes_to_court_or_arbitration_not_the_police(corpus):
    q = "被骗签了一个高价合同，想撤销，多长时间内？"
    steps = next_steps_for(q, route(q), corpus)
    assert steps.forum[0] == "人民法院" and steps.deadlines[0].period.length == (1, "years")
    assert [d.period.name for d in steps.deadlines] == ["撤销权的行使期限"]   # no 治安 追究期限


def test_a_shops_missing_licence_is_not_a_dispute_with_the_state(corpus):
    q = "点外卖吃了一家炸鸡店，全家上吐下泻，后来发现那家店没有营业执照和食品经营许可证。外卖平台要负责吗？"
    sure = Routing("online_shopping", ("online_shopping",), 0.8,
                   {"online_shopping": 6.0, "administrative": 4.0, "consumer": 2.0}, "")
    nxt = next_steps_for(q, sure, corpus)
    assert "行政复议" not in _lines(nxt) and "administrative" not in nxt.candidates
    # an authority named: the shorter administrative period stays beside the routed area's
    q = "网上买的东西被市场监管局认定是假货，罚了商家，我能要求平台赔吗？"
    assert "administrative" in candidates(sure, q)


@pytest.mark.parametrize("question,first", [
    ("对复议结果不满意，还能怎么办？", (15, "days")),
    ("新买的电瓶车充电时爆了，把我腿炸伤，该找谁赔？", (2, "years")),
    ("用了某品牌的面霜脸烂了，医院说是产品有问题，我能告厂家吗？", (2, "years")),
    ("判决书下来了我输了，不服，下一步怎么办？", (15, "days")),
    ("法院裁定不予受理我的起诉，我该怎么办？", (10, "days")),
    ("我们公司的买卖合同纠纷仲裁了，仲裁员和对方有关系，裁决不公，怎么办？", (3, "months")),
    ("网上买的裙子不合适，收到三天了，能退吗？", (7, "days")),
    ("邻居大爷去世前留遗嘱把他的房子送给我，我该怎么办？", (60, "days")),
    ("结婚后才知道老公婚前有精神分裂症一直瞒着我，怎么办？", (1, "years")),
    ("我签合同时把面积看错了，想反悔，怎么办？", (90, "days")),
])
def test_short_periods_in_the_words_people_use(corpus, question, first):
    """A topic whose period is shorter than the area's is raised by everyday words too (raising one by
    mistake can only show a shorter period first; missing it shows a longer one)."""
    steps = next_steps_for(question, route(question), corpus, today=date(2026, 12, 7))
    assert steps.deadlines and steps.deadlines[0].period.length == first, question


def test_a_labor_agreement_signed_freely_is_no_contract_to_revoke(corpus):
    q = "HR让我签了一份协商解除协议，我能反悔说协议无效吗？当时没人逼我，条款也看清楚了。"
    steps = next_steps_for(q, Routing("labor_dismissal", (), 0.9, {"labor_dismissal": 5.0}, ""), corpus)
    assert steps.forum[0] == "劳动争议仲裁委员会" and steps.deadlines[0].period.name == "劳动仲裁时效"


def test_a_second_assessment_in_everyday_words(default_corpus):
    """工伤保险条例第二十六条 (in the default corpus, not laws.db): 15日 to ask for a second assessment."""
    q = "劳动能力鉴定只给我评了十级，我觉得太低，怎么办？"
    steps = next_steps_for(q, route(q), default_corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].period.length == (15, "days")


def test_the_shorter_period_to_keep_is_one_the_corpus_states(corpus):
    """laws.db holds no 工伤保险条例: its 1年 is named as not in the corpus, never as the one to keep."""
    assert corpus.resolve_law("工伤保险条例") is None
    unsure = Routing("consumer", (), 0.2, {"consumer": 5.0, "work_injury": 4.0}, "work_injury")
    steps = next_steps_for("在商场上班时被货架砸伤了", unsure, corpus)
    keep = [line for line in steps.lines if "较短的" in line]
    assert keep and "劳动仲裁时效（一年）" in keep[0] and "工伤认定" not in keep[0]
    missing = [d for d in steps.deadlines if d.article is None]
    assert missing and all("未收录" in line for line in steps.lines if missing[0].period.name in line
                           and line.startswith("期限"))


@pytest.mark.parametrize("question,forum", [
    ("公司辞退我，我想申请劳动仲裁，如果对裁决不服还能去法院吗？", "劳动争议仲裁委员会"),
    ("劳动仲裁一般多久出裁决？对裁决不服怎么办？", "劳动争议仲裁委员会"),
    ("被罚款了，要是复议决定还是维持，我能起诉吗？", "行政复议机关"),
])
def test_a_stage_only_supposed_keeps_the_first_forum(corpus, question, forum):
    """如果对裁决不服: the person has not been to 劳动仲裁 yet; court first would skip it."""
    from lawglm.eval.answers import court_before_mandatory

    steps = next_steps_for(question, route(question), corpus)
    assert steps.forum[0] == forum, question
    if forum == "劳动争议仲裁委员会":
        assert not court_before_mandatory("劳动仲裁", steps.lines[0])


@pytest.mark.parametrize("question", [
    "交警给我开了张罚单罚了200，我觉得冤，能直接去法院告吗？",  # a 罚单 handed over: 当场
    "我向区政府申请公开拆迁文件，他们一直不理我，能起诉吗？",  # 政府信息公开 not answered
])
def test_review_first_cases_in_everyday_words(corpus, question):
    from lawglm.eval.answers import court_before_mandatory

    steps = next_steps_for(question, route(question), corpus)
    assert steps.first_required and not court_before_mandatory("行政复议", steps.lines[0]), question
    q = "物业给我开了张罚单说我乱停车，我不服"
    assert not next_steps_for(q, route(q), corpus).first_required


def test_a_commute_accident_raises_the_work_injury_year(default_corpus):
    """工伤保险条例第十四条第（六）项: a traffic accident on the way to work may be a 工伤 (1年 first); the
    claim against the driver keeps the traffic forum, 工伤认定 is the step beside it."""
    q = "下班路上出车祸骨折了，肇事司机跑了，我该怎么办？"
    steps = next_steps_for(q, Routing("traffic", (), 0.9, {"traffic": 5.0}, ""), default_corpus)
    assert steps.forum[0] == "公安机关交通管理部门" and steps.deadlines[0].period.length == (1, "years")
    assert "申请工伤认定" in steps.lines[1]
    q = "我的车被撞了，修车期间上下班只能打车，这个打车费能让对方赔吗？"   # no injury on the way
    steps = next_steps_for(q, Routing("traffic", (), 0.9, {"traffic": 5.0}, ""), default_corpus)
    assert "工伤" not in _lines(steps)


@pytest.mark.parametrize("question,first", [
    ("我的房子租给了一个租客，他偷偷转租给别人了，我上个月才发现，能收回房子吗？", (6, "months")),
    ("我们去民政局申请协议离婚了，我后悔了，还能撤回吗？", (30, "days")),
])
def test_the_landlords_sublet_objection_and_the_divorce_cooling_off(corpus, question, first):
    """民法典第七百一十八条 (the landlord's 六个月 to object), 第一千零七十七条 (三十日 to withdraw)."""
    steps = next_steps_for(question, route(question), corpus, today=date(2026, 12, 7))
    assert steps.deadlines[0].period.length == first and steps.deadlines[0].specific
    # the tenant of a sublet is not bound by the landlord's six months
    q = "我从二房东手里租的房子，大房东说转租没经过他同意要收房，怎么办？"
    assert not any(d.specific for d in next_steps_for(q, route(q), corpus).deadlines)



@pytest.mark.parametrize("question", [
    "向商家投诉了好几次，商家一直不理我，怎么办？",      # a shop ignoring a complaint is no 不履行法定职责
    "美容院骗我签了合同办卡，我想退掉，怎么办？",        # a consumer's 撤销 keeps 消费者协会 / 12315 first
])
def test_a_consumers_matter_keeps_the_consumer_forum(corpus, question):
    steps = next_steps_for(question, route(question), corpus)
    assert steps.forum[0] == "经营者" and not steps.first_required, question


def test_a_guarantor_is_not_told_they_are_the_borrower(corpus):
    loans = Routing("loans", (), 0.9, {"loans": 5.0}, "")
    q = "朋友向银行借钱让我做保证人，现在他欠着不还，银行催我还钱，我要替他还吗？"
    assert "您是借款人" not in _lines(next_steps_for(q, loans, corpus))


@pytest.mark.parametrize("question,resign", [
    ("公司说我被优化了，当天就让我走，也没提前通知，我能要多少？", False),
    ("干了三年被辞退，公司没有提前三十天通知我，合法吗？", False),
    ("主管说我的岗位取消了，让我当天交接走人，也没提前通知，能要多少？", False),
    ("我想辞职，已经转正了，要提前多久通知公司？", True),
    # quitting because the employer broke the law (劳动合同法第三十八条) needs no thirty days' notice
    ("公司一直不给我交社保，我想辞职，能要补偿吗？", False),
    ("公司拖欠工资三个月，我要辞职，怎么办？", False),
])
def test_the_workers_notice_period_is_not_shown_for_a_dismissal(corpus, question, resign):
    dismissal = Routing("labor_dismissal", (), 0.9, {"labor_dismissal": 5.0}, "")
    lines = _lines(next_steps_for(question, dismissal, corpus))
    assert ("劳动者提前通知解除劳动合同的期限" in lines) is resign
