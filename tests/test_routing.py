"""search/routing.py: the area and governing documents of made-up questions (also as people put them:
被炒了, 房东扣押金, 城管收了我的三轮车), the closed set of areas, confidence, that numbers or durations do not
decide the area, that a cue inside a longer cue of another area does not count, and the unsure contract
(both candidate areas exposed; 下一步 shows the shorter deadline first and says why)."""

from __future__ import annotations

import json

import pytest

from lawglm.answer.areas import next_steps_for
from lawglm.search.routing import AREAS, OTHER, ROUTING_FILE, Routing, cue_matches, route
from lawglm.settings import ROUTING_UNSURE_BELOW


@pytest.mark.parametrize(
    "question, area, law",
    [
        ("干了三年半被公司辞退了，月薪八千，没给任何补偿", "labor_dismissal", "中华人民共和国劳动合同法"),
        ("老板拖欠了我两个月工资，加班费也不给", "wages", "中华人民共和国劳动法"),
        ("下班路上骑车摔了，这算不算工伤？", "work_injury", "工伤保险条例"),
        ("房东不退押金，说我退租没提前一个月", "tenancy", "中华人民共和国民法典"),
        ("健身房办的预付卡关门了，钱能退吗", "consumer", "中华人民共和国消费者权益保护法"),
        ("淘宝上买的衣服，卖家不给七天无理由退货", "online_shopping", "中华人民共和国电子商务法"),
        (
            "订婚给了十八万彩礼，没领证能要回来吗",
            "marriage",
            "最高人民法院关于审理涉彩礼纠纷案件适用法律若干问题的规定",
        ),
        ("爷爷去世没留遗嘱，老宅怎么继承", "inheritance", "中华人民共和国民法典"),
        (
            "朋友借钱写了借条，年息两成，到期不还",
            "loans",
            "最高人民法院关于审理民间借贷案件适用法律若干问题的规定",
        ),
        ("被电动车撞了，交警认定对方全责，误工费怎么算", "traffic", "中华人民共和国道路交通安全法"),
        ("楼上邻居家漏水把我家天花板泡了", "neighbours", "中华人民共和国民法典"),
        ("小区门口装了人脸识别，不刷脸不让进", "privacy", "中华人民共和国个人信息保护法"),
        ("晚上有人持刀抢劫，我还手把他打伤了，算正当防卫吗", "criminal", "中华人民共和国刑法"),
        ("城管把我摆摊的三轮车扣押了，还罚款五百", "administrative", "中华人民共和国行政强制法"),
    ],
)
def test_made_up_questions_route_to_their_area(question, area, law):
    r = route(question)
    assert r.area == area, r.scores
    assert law in r.laws
    assert 0 < r.confidence <= 1


def test_no_cue_is_other_with_zero_confidence():
    r = route("今天天气怎么样")
    assert r == Routing(OTHER) and r.laws == () and r.confidence == 0.0
    assert route("").area == OTHER


def test_numbers_and_durations_do_not_route():
    # the same dismissal with or without the years and the wage: same area
    plain = route("公司把我辞退了，能要补偿吗")
    numbers = route("公司把我辞退了，我今年三十五岁，干了十年半，月薪一万二，能要补偿吗")
    assert plain.area == numbers.area == "labor_dismissal"


def test_confidence_and_runner_up_for_a_question_spanning_two_areas():
    r = route("上班路上出了车祸，被车撞伤，能算工伤吗")
    assert {r.area, r.runner_up} == {"work_injury", "traffic"}
    assert r.confidence < 1
    clear = route("工伤认定、视同工伤、劳动能力鉴定和伤残等级")
    assert clear.area == "work_injury" and clear.confidence > r.confidence


def test_the_data_uses_the_closed_set_only():
    data = json.loads(ROUTING_FILE.read_text(encoding="utf-8"))["areas"]
    assert set(data) == set(AREAS) - {OTHER}
    assert all(spec["laws"] for spec in data.values()) and route("今天天气怎么样").laws == ()
    assert route("彩礼").to_dict()["area"] == "marriage"


@pytest.mark.parametrize(
    "question, area",
    [
        ("我被炒了，老板说明天不用来了，能要钱吗", "labor_dismissal"),
        ("被公司炒鱿鱼了，干了两年多，五千块一个月", "labor_dismissal"),
        ("老板不给钱，干了三个月一分没拿到", "wages"),
        ("离职了公司一直拖着不给最后一个月工资", "wages"),
        ("干活的时候从架子上摔下来了，老板说是我自己不小心", "work_injury"),
        ("送外卖的路上被车撞了，平台说我不是他们员工，算工伤吗", "work_injury"),
        ("房东扣押金不退，说墙弄脏了", "tenancy"),
        ("网上买的手机是翻新机，商家不认", "online_shopping"),
        ("男方要退婚，彩礼能要回来吗", "marriage"),
        ("我爸走了，房子怎么分，后妈也要分", "inheritance"),
        ("朋友借我五万块，说好一年还，现在人找不到了", "loans"),
        ("我骑电动车被撞了，对方跑了", "traffic"),
        ("开出租车被人追尾了，停运的损失谁赔", "traffic"),
        ("被打了还手，结果对方轻伤，我要坐牢吗", "criminal"),
        ("城管收了我的三轮车，还说要罚款", "administrative"),
        ("店里卖了过期面包，市场监管局罚了我五千，我觉得太重了", "administrative"),
    ],
)
def test_questions_as_people_put_them(question, area):
    assert route(question).area == area, route(question).scores


def test_a_cue_inside_a_longer_cue_of_another_area_does_not_count():
    # 出租 (tenancy) inside 出租车, 扣押 (administrative) inside 扣押金, 没收 (administrative) inside 没收入
    assert "tenancy" not in route("开出租车被人追尾了").scores
    assert "administrative" not in route("房东扣押金不退").scores
    assert "administrative" not in route("我没收入，老婆要离婚").scores
    # the same cue standing alone still counts
    assert route("房子出租给别人了").area == "tenancy"
    assert route("城管扣押了我的货").area == "administrative"
    assert all(w for w, _, _ in cue_matches("城管扣押了我的货"))


def test_sure_routing_has_one_candidate():
    r = route("城管收了我的三轮车，还说要罚款")
    assert r.confidence >= ROUTING_UNSURE_BELOW and not r.unsure and r.candidates == ("administrative",)
    assert route("今天天气怎么样").candidates == (OTHER,)


def test_unsure_routing_exposes_both_candidates():
    r = route("交警扣了我的车，要交钱才给")   # 暂扣 (administrative) or a traffic matter
    assert r.unsure and r.confidence < ROUTING_UNSURE_BELOW
    assert set(r.candidates) == {"administrative", "traffic"}
    assert r.to_dict()["unsure"] and set(r.to_dict()["candidates"]) == {"administrative", "traffic"}
    # a tie is unsure whatever the confidence formula gives
    tie = Routing("labor_dismissal", (), 0.5, {"labor_dismissal": 8.0, "work_injury": 8.0}, "work_injury")
    assert tie.unsure and tie.candidates == ("labor_dismissal", "work_injury")


def test_unsure_routing_shows_the_shorter_deadline_and_says_why(corpus):
    # a consumer matter (民法典 三年) that may be a complaint about a 监管局 decision (行政复议 六十日)
    q = "商场卖给我的电饭煲漏电，监管局说会处理，我还能找商场赔吗"
    r = route(q)
    assert r.unsure and r.area == "consumer" and "administrative" in r.candidates
    steps = next_steps_for(q, r, corpus)
    assert steps.unsure and "administrative" in steps.candidates
    assert steps.deadlines[0].period.length == (60, "days")
    assert any("较短" in line and "六十日" in line for line in steps.lines)
    # the same matter without the authority: sure, and the civil period
    sure = "商场卖给我的电饭煲漏电，我还能找商场赔吗"
    steps = next_steps_for(sure, route(sure), corpus)
    assert not steps.unsure and steps.deadlines[0].period.length == (3, "years")


def test_routing_never_fails_and_stays_fast_on_long_or_odd_input():
    import time

    from lawglm.search.routing import _table
    from lawglm.settings import MAX_QUESTION_CHARS

    every_cue = "".join(w for w, _, _ in _table()[0])
    for q in ((every_cue * 10)[:MAX_QUESTION_CHARS], "罪" * MAX_QUESTION_CHARS, "🙂\x00\n\t" * 100, "   "):
        t = time.perf_counter()
        r = route(q)
        assert time.perf_counter() - t < 1.0  # milliseconds in practice; generous for a busy machine
        assert r.area in AREAS and 0 <= r.confidence <= 1


def test_a_negated_or_unrelated_phrase_does_not_route():
    # 不是夫妻 is no marriage cue; 医疗事故 is no traffic accident
    q = "男方强行和女方发生关系，两人不是夫妻，算强奸吗"
    assert "夫妻" not in [w for w, _, _ in cue_matches(q)] and route(q).area == "criminal"
    assert "traffic" not in route("医院出了医疗事故，能要求赔偿吗").scores


def test_case_width_and_digit_runs():
    # full-width and lower-case letters are the same cue; a digit cue is not part of a longer number
    assert {w for w, _, _ in cue_matches("ｈｒ说公司要按ｎ+1给我")} >= {"hr", "n+1"}
    assert route("入职时hr说是996").scores.get("wages") == route("入职时HR说是９９６").scores.get("wages")
    assert "wages" not in route("1996年出生").scores and "wages" in route("公司要求996").scores


def test_a_fine_by_an_employer_is_no_administrative_penalty():
    # only an authority imposes 罚款: a company's is a deduction from pay (wages), a 交警's administrative
    assert route("公司规定迟到一次罚款五十，从工资里扣，合法吗").area == "wages"
    assert route("单位罚了我两百块说我违反制度").area == "wages"
    assert route("交警罚了我两百扣了三分").area == "administrative"


def test_a_close_area_with_a_shorter_period_is_a_candidate_however_sure_routing_is(corpus):
    from lawglm.answer.areas import candidates, first_period_days

    sure = Routing("consumer", (), 0.8, {"consumer": 6.0, "criminal": 3.0}, "criminal")
    assert not sure.unsure and first_period_days("criminal") < first_period_days("consumer")
    assert candidates(sure) == ("consumer", "criminal")
    steps = next_steps_for("买到假货，商家还威胁我", sure, corpus)
    assert steps.unsure and steps.deadlines[0].period.length == (6, "months")   # 治安 六个月, not 三年
    # a close area with a longer period is not (criminal routing keeps its own), nor one far behind
    longer = Routing("criminal", (), 0.8, {"criminal": 6.0, "consumer": 3.0}, "consumer")
    assert candidates(longer) == ("criminal",)
    far = Routing("consumer", (), 0.9, {"consumer": 12.0, "criminal": 2.0}, "criminal")
    assert candidates(far) == ("consumer",)


def test_renting_out_a_bank_card_is_a_criminal_matter():
    assert route("有人说把自己的银行卡借给他们走流水，一天给三百块，会不会犯法？").area == "criminal"
    assert route("我想做跑分兼职，能赚钱吗").area == "criminal"
