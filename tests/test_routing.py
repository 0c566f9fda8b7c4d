"""search/routing.py: the area and governing documents of made-up questions, the closed set of areas,
confidence, and that numbers or durations do not decide the area."""

from __future__ import annotations

import json

import pytest

from lawglm.search.routing import AREAS, OTHER, ROUTING_FILE, Routing, route


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
