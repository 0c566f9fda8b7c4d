"""POST /v1/contracts/draft as a new user tries it: never a 5xx, and a 422 only for what the caller passed."""

from __future__ import annotations

import json

import pytest
from doubles import Recorded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture
def client(make_client, retrieval_assistant):
    return make_client(retrieval_assistant)


ISSUE_REQUESTS = [
    ("帮我起草一份家具买卖合同，乙方是北京红源家具有限责任公司，购买的家具分别是红源牌实木餐桌和实木椅，餐桌单价800元50件，"
     "椅子单价950元50件。"),
    "我们公司（上海青禾贸易有限公司）要从杭州绿源茶业有限公司采购龙井茶叶200斤，每斤600元。",
    "房东王芳把房子租给李明，租期从2027年1月1日到2027年12月31日，月租金5000元。",
    "张伟借给刘强人民币五万元，年利率20%，一年后还。",
    "深圳星河科技有限公司招聘陈静为软件工程师，月薪15000元，试用期6个月，合同期限1年。",
    "我（赵磊）委托孙悦代为办理房屋过户手续，报酬5000元。",
    "我们公司委托北京数联科技有限公司做系统运维，服务费共计24万元，分两期支付，各50%。",
    "房屋租赁，出租人王芳，承租人李明，租期300个月，月租金5000元。",
]


@pytest.mark.parametrize("text", ISSUE_REQUESTS)
def test_issue_requests_draft(client, text):
    r = client.post("/v1/contracts/draft", json={"request": text})
    assert r.status_code == 200, r.text
    d = r.json()
    assert {"notes", "warnings", "missing", "fields"} <= set(d) and "{{" not in d["markdown"]


def test_issue_totals_and_warnings(client):
    d = client.post("/v1/contracts/draft", json={"request": ISSUE_REQUESTS[0]}).json()
    assert d["computed"]["items_total"] == "87500.00"
    d = client.post("/v1/contracts/draft", json={"request": ISSUE_REQUESTS[3]}).json()
    assert d["warnings"] and "第六百八十条" in d["warnings"][0]
    d = client.post("/v1/contracts/draft", json={"request": ISSUE_REQUESTS[6]}).json()
    assert d["computed"]["payment_schedule_amounts"] == ["120000.00", "120000.00"]


def test_422_names_the_field_the_caller_passed(client):
    r = client.post(
        "/v1/contracts/draft", json={"request": ISSUE_REQUESTS[2], "fields": {"term_months": 24324}}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "term_months"
    r = client.post("/v1/contracts/draft", json={"request": "今天天气怎么样？"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "request"]


def test_llm_extractor_setting(make_client, retrieval_assistant):
    from lawglm.answer.assistant import Assistant

    reply = {"party_b": {"name": "李明"}, "deposit": 999999, "use": "居住"}
    gen = Recorded(json.dumps(reply, ensure_ascii=False))
    c = make_client(Assistant(retrieval_assistant.retriever, gen, retrieval_assistant.settings),
                    contract_extractor="llm")
    d = c.post("/v1/contracts/draft", json={"request": "房东王芳出租房屋给李明居住，月租金5000元。"}).json()
    assert d["fields"]["party_b"]["name"] == "李明" and d["fields"]["use"] == "居住"
    assert "deposit" not in d["fields"] and any(
        "deposit" in n for n in d["notes"]
    )  # not in the request: dropped
    plain = make_client(retrieval_assistant, contract_extractor="llm")
    d = plain.post("/v1/contracts/draft", json={"request": "房东王芳出租房屋给李明，月租金5000元。"}).json()
    assert any("no model is loaded" in n for n in d["notes"])


TOKENS = [
    "买卖合同",
    "租赁",
    "借款",
    "劳动合同",
    "委托",
    "我（",
    "）",
    "我们公司（",
    "有限公司",
    "张三",
    "借给",
    "向我借",
    "月租",
    "3000",
    "万",
    "千",
    "元",
    "百分之",
    "%",
    "2027年1月1日",
    "至",
    "到",
    "—",
    "租期",
    "个月",
    "年",
    "半",
    "每张",
    "单价",
    "10张",
    "1套",
    "分两期",
    "各50%",
    "剩余",
    "押二付一",
    "月息",
    "分",
    "，",
    "。",
    "：",
    " ",
    "试用期",
]


@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map("".join))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_never_a_5xx_and_422_only_names_request(client, text):
    r = client.post("/v1/contracts/draft", json={"request": text})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert [e["loc"][-1] for e in r.json()["detail"]] == ["request"], r.text


def test_model_and_hybrid_extractor_settings(make_client, retrieval_assistant):
    """The shipped taggers through the route: hybrid keeps every rule value; model alone still drafts."""
    req = {"request": "张伟借给刘强人民币五万元，年利率6%，一年后还，保证人赵海。"}
    rules = (
        make_client(retrieval_assistant, contract_extractor="rules")
        .post("/v1/contracts/draft", json=req)
        .json()
    )
    hybrid = (
        make_client(retrieval_assistant, contract_extractor="hybrid")
        .post("/v1/contracts/draft", json=req)
        .json()
    )
    assert all(hybrid["fields"][k] == v for k, v in rules["fields"].items())
    keyed = {"request": "出借人：张伟；借款人：刘强；借款金额：人民币5万元；年利率6%；借款期限12个月。"}
    model = make_client(retrieval_assistant, contract_extractor="model").post(
        "/v1/contracts/draft", json=keyed
    )
    assert model.status_code == 200
    f = model.json()["fields"]
    assert (
        f["party_a"]["name"],
        f["party_b"]["name"],
        f["principal"],
        f["annual_rate"],
        f["term_months"],
    ) == ("张伟", "刘强", "50000", "6", 12)
