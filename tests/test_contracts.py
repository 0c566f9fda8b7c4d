"""Contract drafting: templates, typed fields, computed totals, extraction, Markdown/DOCX, CLI."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import docx
import live
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawglm.contracts import (
    FieldErrors,
    NoTemplateMatch,
    TemplateError,
    UnknownTemplate,
    draft,
    get_schema,
    list_templates,
    parse_capital,
    to_capital,
    to_docx,
)
from lawglm.contracts.fields import validate
from lawglm.contracts.money import parse_amount
from lawglm.contracts.render import BLANK, computed, render_markdown
from lawglm.contracts.schema import load_templates, parse_template
from lawglm.numerals import int_to_cn
from lawglm.statutes.citations import verify_one

NAMES = sorted(load_templates())  # the built-in templates, whatever they are
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\bNone\b|\bUndefined\b")

# the PowerLawGLM-style acceptance request, written out in full with prices and quantities
FURNITURE = (
    "帮我起草一份家具买卖合同，乙方是北京红源家具有限责任公司，购买的家具分别是红源牌实木餐桌10张，单价3000元；"
    "红源牌实木椅40把，单价800元。总价款分两期支付：合同签订后支付30%，验收合格后支付70%。"
    "乙方应于2026年12月15日前将家具送至甲方指定地点北京市海淀区中关村大街1号。"
    "争议解决方式选择诉讼，管辖法院约定为北京市海淀区人民法院。"
)


# --- templates are data, and every statute they cite is real -------------------------------------
def test_built_in_templates_listed():
    rows = list_templates()
    assert sorted(r["name"] for r in rows) == NAMES and len(NAMES) >= 8
    for r in rows:
        assert r["title"] and r["description"] and r["fields"] >= 5 and r["source"] == "built-in"


def test_schema_describes_fields():
    s = get_schema("sale")
    assert s == get_schema("买卖合同")
    props = s["properties"]
    assert props["party_b"]["type"] == "party" and props["party_b"]["required"] is True
    assert props["items"]["type"] == "items" and "unit_price" in props["items"]["items"]["properties"]
    assert props["payment_method"]["choices"][0] == "银行转账"
    assert props["payment_schedule"]["sum_of_percent"] == 100
    assert props["dispute"]["properties"]["method"]["choices"] == ["诉讼", "仲裁"]
    assert set(s["required"]) == {"party_a", "party_b", "items"}
    assert {"law": "民法典", "article": "595"} in s["references"]


def test_unknown_template_lists_available():
    with pytest.raises(UnknownTemplate) as exc:
        get_schema("rental")
    assert exc.value.available == NAMES
    assert "lease" in str(exc.value)


@pytest.mark.parametrize("name", NAMES)
def test_every_statute_reference_is_current_law(name, corpus):
    tpl = load_templates()[name]
    refs = tpl.refs()
    assert len(refs) >= 8
    for ref in refs:
        c = verify_one(corpus, ref.law, ref.article)
        assert c.verified, f"{name}: {ref.law} {ref.article} -> {c.reason}"
        assert c.article.is_current


def test_labor_covers_article_17(corpus):
    """劳动合同法 第十七条's required clauses each have a clause in the labor template."""
    tpl = load_templates()["labor"]
    titles = "".join(c.title for c in tpl.clauses)
    for topic in (
        "劳动合同期限",
        "工作内容和工作地点",
        "工作时间和休息休假",
        "劳动报酬",
        "社会保险",
        "劳动保护",
    ):
        assert topic in titles
    art17 = corpus.get("中华人民共和国劳动合同法", 17)
    for topic in ("劳动合同期限", "工作时间和休息休假", "劳动报酬", "社会保险"):
        assert topic in art17.text


# --- rendering: all fields, no fields --------------------------------------------------------------
def full_values(name: str) -> dict:
    """A valid value for every field of a template, built from its schema."""
    tpl = load_templates()[name]
    out, day = {}, date(2026, 1, 5)
    for i, (fname, f) in enumerate(tpl.fields.items()):
        if f.type == "party":
            person = f.kind == "person"
            out[fname] = ({"name": f"欧阳{'明' if i % 2 else '华'}", "id_number": "11010519800101123X",
                           "address": f"测试住址{i}号", "phone": "13900000000"} if person else
                          {"name": f"测试{f.title}{i}有限公司", "credit_code": "91110000MA00TEST0X",
                           "legal_representative": "赵六", "address": f"测试注册地址{i}号", "agent": "钱七",
                           "phone": "010-88886666"})
        elif f.type == "text":
            out[fname] = f"{f.label}内容{i}"
        elif f.type == "money":
            out[fname] = f"{10000 + i}.50"
        elif f.type in ("number", "percent"):
            out[fname] = 5 if f.type == "percent" else 88.5
        elif f.type == "integer":
            out[fname] = min(int(f.maximum or 99), int(f.minimum or 0) + 3)
        elif f.type == "date":
            day += timedelta(days=31)
            out[fname] = day.isoformat()
        elif f.type == "choice":
            out[fname] = f.choices[-1]
        elif f.type == "items":
            out[fname] = [
                {"name": "甲型货品", "spec": "A-1", "unit": "件", "quantity": 3, "unit_price": "99.90"},
                {"name": "乙型货品", "spec": "B-2", "unit": "箱", "quantity": 2, "unit_price": 1000},
            ]
            if not f.priced:
                out[fname] = [{k: v for k, v in row.items() if k != "unit_price"} for row in out[fname]]
        elif f.type == "schedule":
            out[fname] = [{"stage": "签约后五日内", "percent": 40}, {"stage": "验收合格后", "percent": 60}]
        elif f.type == "dispute":
            out[fname] = {"method": "仲裁", "commission": "测试仲裁委员会"}
    return out


@pytest.mark.parametrize("name", NAMES)
def test_renders_with_every_field(name, corpus):
    values = full_values(name)
    d = draft(name, fields=values, corpus=corpus)
    md = d.markdown
    assert not LEFTOVER.search(md)
    assert d.missing == [] and d.extracted == []
    assert md.startswith(f"# {load_templates()[name].title}\n")
    for fname, v in values.items():
        if isinstance(v, str) and load_templates()[name].fields[fname].type == "text":
            assert v in md, f"{fname} not rendered"
        if isinstance(v, dict) and "name" in v:
            assert v["name"] in md
    for fname, capital in d.computed.items():
        if fname.endswith("_capital"):
            assert capital in md
    assert "第一条" in md and "附：条款所依据的法律规定" in md
    # typed values come back as JSON and can be sent again unchanged
    again = draft(name, fields=json.loads(json.dumps(d.fields)), corpus=corpus)
    assert again.markdown == md


@pytest.mark.parametrize("name", NAMES)
def test_renders_with_no_fields(name, corpus):
    d = draft(name, corpus=corpus)
    assert not LEFTOVER.search(d.markdown)
    assert BLANK in d.markdown
    tpl = load_templates()[name]
    assert d.missing == [n for n, f in tpl.fields.items() if f.required]
    assert all(c["verified"] and c["status"] == "现行有效" and c["text"] for c in d.citations)
    headings = re.findall(r"^## (第\S+条)", d.markdown, re.MULTILINE)
    assert headings == [f"第{int_to_cn(i)}条" for i in range(1, len(tpl.clauses) + 1)]


def test_template_bugs_are_caught_at_load_or_render():
    base = {
        "name": "t",
        "title": "测试合同",
        "description": "d",
        "fields": {"x": {"type": "text", "label": "X"}},
    }
    for text in (
        "{{ nosuch }}",
        "{{ f.nosuch }}",
        "{% if %}",
        "{{ cn.x }}",
    ):  # names the schema lacks, Jinja that does not compile
        with pytest.raises(TemplateError, match="clauses"):
            parse_template({**base, "clauses": [{"title": "条款", "text": text}]})
    for text in ("{{ none }}", "{{ f }}", "{% raw %}{{ x }}{% endraw %}"):
        tpl = parse_template({**base, "clauses": [{"title": "条款", "text": text}]})
        with pytest.raises(TemplateError):
            render_markdown(tpl, {})


def test_user_text_may_say_none_but_not_template_markers(corpus):
    d = draft("nda", fields={"purpose": "None项目的Undefined阶段"}, corpus=corpus)
    assert "None项目的Undefined阶段" in d.markdown
    with pytest.raises(FieldErrors) as exc:
        draft("nda", fields={"purpose": "{{ 7 * 7 }}"}, corpus=corpus)
    assert exc.value.errors[0]["field"] == "purpose"


def test_bad_template_files_are_rejected():
    with pytest.raises(TemplateError, match="type"):
        parse_template({"name": "t", "title": "T", "description": "d", "fields": {"x": {"type": "blob"}},
                        "clauses": [{"title": "c", "text": "x"}]})
    with pytest.raises(TemplateError, match="statute reference"):
        parse_template(
            {
                "name": "t",
                "title": "T",
                "description": "d",
                "fields": {"x": {"type": "text", "label": "x"}},
                "clauses": [{"title": "c", "text": "x", "refs": ["民法典 第X条"]}],
            }
        )


# --- structured errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields, path, words",
    [
        ({"colour": "red"}, "colour", "unknown field"),
        ({"items": "desk"}, "items", "list"),
        ({"items": [{"name": "桌", "quantity": "many"}]}, "items[0].quantity", "not a number"),
        ({"items": [{"name": "桌", "quantity": 1, "unit_price": -5}]}, "items[0].unit_price", "less than 0"),
        ({"items": [{"name": "桌", "colour": "red"}]}, "items[0].colour", "unknown key"),
        ({"payment_schedule": [{"percent": 30}, {"percent": 60}]}, "payment_schedule", "add up to 90"),
        (
            {"payment_schedule": [{"percent": 130}, {"percent": -30}]},
            "payment_schedule[0].percent",
            "at most 100",
        ),
        ({"delivery_date": "2026-02-30"}, "delivery_date", "not a valid date"),
        ({"delivery_date": 20261215}, "delivery_date", "date"),
        ({"inspection_days": 2.5}, "inspection_days", "whole number"),
        ({"late_payment_rate": True}, "late_payment_rate", "number"),
        ({"payment_method": "比特币"}, "payment_method", "one of"),
        ({"dispute": {"method": "诉讼", "commission": "北京仲裁委员会"}}, "dispute.commission", "仲裁"),
        ({"party_a": {"name": "某公司", "credit_code": "123"}}, "party_a.credit_code", "18"),
    ],
)
def test_field_errors_name_the_field(fields, path, words, corpus):
    with pytest.raises(FieldErrors) as exc:
        draft("sale", fields=fields, corpus=corpus)
    errors = exc.value.errors
    assert any(e["field"] == path and words in e["message"] for e in errors), errors


def test_all_field_errors_reported_together(corpus):
    with pytest.raises(FieldErrors) as exc:
        draft("lease", fields={"rent": -1, "deposit": "abc", "nope": 1}, corpus=corpus)
    assert {e["field"] for e in exc.value.errors} == {"rent", "deposit", "nope"}
    with pytest.raises(FieldErrors):
        draft("lease", fields=["rent"], corpus=corpus)


def test_cross_field_rules(corpus):
    with pytest.raises(FieldErrors) as exc:
        draft("labor", fields={"monthly_wage": 10000, "probation_wage": 7000}, corpus=corpus)
    assert exc.value.errors[0]["field"] == "probation_wage" and "百分之八十" in exc.value.errors[0]["message"]
    draft("labor", fields={"monthly_wage": 10000, "probation_wage": 8000}, corpus=corpus)
    with pytest.raises(FieldErrors) as exc:
        draft("lease", fields={"term_start": "2027-01-01", "term_end": "2026-01-01"}, corpus=corpus)
    assert exc.value.errors[0]["field"] == "term_start"
    with pytest.raises(FieldErrors):  # a person cannot be the employer
        draft("labor", fields={"party_a": {"name": "张三", "kind": "person"}}, corpus=corpus)


def test_request_or_template_needed():
    with pytest.raises(FieldErrors) as exc:
        draft()
    assert exc.value.errors[0]["field"] == "template"
    with pytest.raises(FieldErrors):
        draft(request="   ")


# --- the acceptance example --------------------------------------------------------------------------
def test_furniture_request(corpus):
    d = draft(request=FURNITURE, corpus=corpus)
    assert d.template == "sale"
    f = d.fields
    assert f["party_b"]["name"] == "北京红源家具有限责任公司" and f["party_b"]["kind"] == "organization"
    assert [(r["name"], r["quantity"], r["unit"], r["unit_price"]) for r in f["items"]] == [
        ("红源牌实木餐桌", "10", "张", "3000"), ("红源牌实木椅", "40", "把", "800")]
    assert f["dispute"] == {"method": "诉讼", "court": "北京市海淀区人民法院"}
    assert f["delivery_date"] == "2026-12-15"
    assert f["delivery_place"] == "北京市海淀区中关村大街1号"
    assert [s["percent"] for s in f["payment_schedule"]] == ["30", "70"]
    assert d.computed["items_total"] == "62000.00"
    assert d.computed["items_total_capital"] == "人民币陆万贰仟元整"
    assert d.computed["payment_schedule_amounts"] == ["18600.00", "43400.00"]
    assert "party_a" in d.missing and "party_a" not in f  # the buyer was not named: left blank
    md = d.markdown
    assert "| 1 | 红源牌实木餐桌 |  | 张 | 10 | 3,000.00 | 30,000.00 |" in md
    assert "人民币62,000.00元（大写：人民币陆万贰仟元整）" in md
    assert "任何一方均可向北京市海淀区人民法院提起诉讼" in md
    assert "**甲方（买受人）**：________" in md
    assert "质量保证期为____个月" in md  # facts not given stay blank
    assert set(d.extracted) >= {"party_b", "items", "dispute", "delivery_date", "payment_schedule"}


def test_furniture_request_as_powerlawglm_words_it(corpus):
    """Names only (no quantities or prices): the rows are there, everything else stays blank."""
    d = draft(
        request="帮我起草一份家具买卖合同，乙方是北京红源家具有限责任公司，购买的家具分别是红源牌实木餐桌和实木椅，"
        "争议解决方式选择诉讼，管辖法院约定为北京市海淀区人民法院。",
        corpus=corpus,
    )
    assert d.fields["items"] == [{"name": "红源牌实木餐桌"}, {"name": "实木椅"}]
    assert "items_total" not in d.computed
    assert (
        "| 2 | 实木椅 |  |  |  |  |  |" in d.markdown and "人民币________元（大写：________）" in d.markdown
    )
    assert d.fields["dispute"]["court"] == "北京市海淀区人民法院"


@pytest.mark.parametrize("request_text", [
    "我司向北京红源家具有限责任公司订购红源牌实木餐桌10张和红源牌实木椅40把，单价分别为3000元和800元。",
    "家具买卖。乙方：北京红源家具有限责任公司。购买红源牌实木餐桌十张（单价三千元）、红源牌实木椅40把（每把800元）。",
    "采购合同：乙方为北京红源家具有限责任公司，红源牌实木餐桌，数量10张，单价3000元；红源牌实木椅，数量40把，共计32000元。",
])
def test_furniture_request_phrasings(request_text, corpus):
    d = draft(request=request_text, corpus=corpus)
    assert d.template == "sale" and d.fields["party_b"]["name"] == "北京红源家具有限责任公司"
    assert [(r["quantity"], r["unit_price"]) for r in d.fields["items"]] == [("10", "3000"), ("40", "800")]
    assert d.computed["items_total_capital"] == "人民币陆万贰仟元整"


def test_given_fields_override_extracted(corpus):
    d = draft(request=FURNITURE, fields={"party_a": "北京某某科技有限公司", "dispute": "仲裁"}, corpus=corpus)
    assert d.fields["party_a"]["name"] == "北京某某科技有限公司"
    assert d.fields["dispute"] == {"method": "仲裁"} and "dispute" not in d.extracted
    assert "北京市海淀区人民法院" not in d.markdown


def test_extracted_schedule_that_does_not_add_up_is_a_note_not_an_error(corpus):
    """The extractor's reading of a request is never the caller's 422: the split stays blank, the words are
    quoted."""
    req = "采购办公桌5张，单价1200元，合同签订后支付30%，验收后支付60%"
    d = draft(request=req, corpus=corpus)
    assert "payment_schedule" not in d.fields and d.computed["items_total"] == "6000.00"
    assert any("合同签订后支付30%" in n and "验收后支付60%" in n and "add up to 90" in n for n in d.notes), (
        d.notes
    )
    with pytest.raises(FieldErrors) as exc:  # the same split passed explicitly is the caller's error
        draft(request=req, fields={"payment_schedule": [{"percent": 30}, {"percent": 60}]}, corpus=corpus)
    assert exc.value.errors[0]["field"] == "payment_schedule"


REQUESTS = [
    (
        (
            "把位于上海市徐汇区漕溪北路100弄5号1202室的房子出租给李明，身份证号310104199001011234，建筑面积89.5平方米，用于居住。"
            "租期两年，自2026年1月1日起至2027年12月31日止，月租金6500元，押一付三，押金6500元。出租人是王芳，电话13800138000。"
            "如有争议提交上海仲裁委员会仲裁。"
        ),
        "lease",
        {
            "party_a": {"name": "王芳", "kind": "person", "phone": "13800138000"},
            "party_b": {"name": "李明", "kind": "person", "id_number": "310104199001011234"},
            "property_address": "上海市徐汇区漕溪北路100弄5号1202室",
            "area": "89.5",
            "use": "居住",
            "term_months": 24,
            "term_start": "2026-01-01",
            "term_end": "2027-12-31",
            "rent": "6500",
            "deposit": "6500",
            "payment_cycle": "季付",
            "dispute": {"method": "仲裁", "commission": "上海仲裁委员会"},
        },
    ),
    (
        (
            "请起草劳动合同：用人单位是杭州云帆网络科技有限公司，法定代表人陈刚；劳动者张伟，身份证号330106199205051234。"
            "张伟担任高级Java开发工程师，工作地点为杭州市西湖区文三路90号。合同期限三年，自2026年3月1日起至2029年2月28日止，"
            "试用期3个月，试用期工资16000元，转正后月工资20000元，每月10日发放工资，实行标准工时制。"
        ),
        "labor",
        {
            "party_a": {
                "name": "杭州云帆网络科技有限公司",
                "kind": "organization",
                "legal_representative": "陈刚",
            },
            "party_b": {"name": "张伟", "kind": "person", "id_number": "330106199205051234"},
            "position": "高级Java开发工程师",
            "work_place": "杭州市西湖区文三路90号",
            "probation_months": 3,
            "probation_wage": "16000",
            "monthly_wage": "20000",
            "pay_day": 10,
            "hours_system": "标准工时制",
            "term_start": "2026-03-01",
            "term_end": "2029-02-28",
        },
    ),
    (
        (
            "我要借钱给朋友，出借人赵强，借款人孙丽，借款金额二十万元，用于装修房屋，年利率百分之六，借款期限12个月，"
            "2027年6月30日前一次性还本付息，争议由杭州市西湖区人民法院管辖。"
        ),
        "loan",
        {
            "party_a": {"name": "赵强", "kind": "person"},
            "party_b": {"name": "孙丽", "kind": "person"},
            "principal": "200000",
            "purpose": "装修房屋",
            "annual_rate": "6",
            "term_months": 12,
            "repay_date": "2027-06-30",
            "interest_method": "到期一次性还本付息",
            "dispute": {"method": "诉讼", "court": "杭州市西湖区人民法院"},
        },
    ),
    (
        (
            "托运人广州华达贸易有限公司委托承运人顺畅物流有限公司运输货物：钢材20吨、电缆线100卷。起运地为广州市黄埔区港前路8号，"
            "运至武汉市江汉区解放大道1号，收货人为刘洋，2026年5月10日装货，2026年5月14日前到达，公路运输，运费18000元，"
            "逾期到达每日按运费的千分之五支付违约金。"
        ),
        "transport",
        {
            "party_a": {"name": "广州华达贸易有限公司", "kind": "organization"},
            "party_b": {"name": "顺畅物流有限公司", "kind": "organization"},
            "cargo": [
                {"name": "钢材", "quantity": "20", "unit": "吨"},
                {"name": "电缆线", "quantity": "100", "unit": "卷"},
            ],
            "origin": "广州市黄埔区港前路8号",
            "destination": "武汉市江汉区解放大道1号",
            "consignee": "刘洋",
            "pickup_date": "2026-05-10",
            "arrival_date": "2026-05-14",
            "transport_mode": "公路运输",
            "freight": "18000",
            "late_rate": "0.5",
        },
    ),
    (
        (
            "我们公司（甲方，深圳前海星河科技有限公司）需要一份技术服务合同，服务方是深圳市云维信息技术有限公司，"
            "服务内容为核心业务系统的运维与安全加固，服务期限自2026年7月1日至2027年6月30日，技术服务费36万元，"
            "签约后支付50%，验收合格后支付50%，新成果归甲方所有，提交深圳国际仲裁院仲裁。"
        ),
        "tech_service",
        {
            "party_a": {"name": "深圳前海星河科技有限公司", "kind": "organization"},
            "party_b": {"name": "深圳市云维信息技术有限公司", "kind": "organization"},
            "service_content": "核心业务系统的运维与安全加固",
            "service_start": "2026-07-01",
            "service_end": "2027-06-30",
            "fee": "360000",
            "payment_schedule": [
                {"stage": "签约后", "percent": "50"},
                {"stage": "验收合格后", "percent": "50"},
            ],
            "results_owner": "归委托方所有",
            "dispute": {"method": "仲裁", "commission": "深圳国际仲裁院"},
        },
    ),
    (
        (
            "起草一份保密协议，披露方是南京紫金生物医药股份有限公司，接收方是上海浦江咨询有限公司，双方就新药临床数据分析项目合作，"
            "相互保密，保密期限5年，违约金50万元。"
        ),
        "nda",
        {
            "party_a": {"name": "南京紫金生物医药股份有限公司", "kind": "organization"},
            "party_b": {"name": "上海浦江咨询有限公司", "kind": "organization"},
            "mutual": "双向保密",
            "term_years": 5,
            "penalty": "500000",
        },
    ),
    (
        "委托人陈静委托受托人成都信达代理有限公司代为办理公司工商变更登记，报酬3000元，委托人预付费用。",
        "entrustment",
        {
            "party_a": {"name": "陈静", "kind": "person"},
            "party_b": {"name": "成都信达代理有限公司", "kind": "organization"},
            "matters": "办理公司工商变更登记",
            "fee": "3000",
            "expense_handling": "委托人预付",
        },
    ),
]


# colloquial requests: who "我" is, names after 叫, X向我借, 我们（公司）, 送到, 一次性付款
REQUESTS += [
    (("我是房东张建国，想把名下位于北京市朝阳区望京西园三区312号楼2单元501的住房租给刘晓，每月房租4800元，季度付款，"
     "租期一年，从2026年3月1日开始。"), "lease",
     {"party_a": {"name": "张建国", "kind": "person"}, "party_b": {"name": "刘晓", "kind": "person"},
      "property_address": "北京市朝阳区望京西园三区312号楼2单元501", "rent": "4800", "payment_cycle": "季付",
      "term_months": 12, "term_start": "2026-03-01"}),
    (("公司要招一名会计，员工叫周敏，月薪8500元，试用期两个月，试用期工资按8000元，2026年4月1日入职，"
     "工作地点在苏州工业园区星湖街328号。用人单位是苏州恒信财务咨询有限公司。"), "labor",
     {"party_a": {"name": "苏州恒信财务咨询有限公司", "kind": "organization"},
      "party_b": {"name": "周敏", "kind": "person"}, "monthly_wage": "8500", "probation_wage": "8000",
      "probation_months": 2, "term_start": "2026-04-01", "work_place": "苏州工业园区星湖街328号"}),
    ("朋友林涛向我借了5万块钱，约定2026年12月31日前还清，不要利息，帮我写个借款合同，我叫黄磊。", "loan",
     {"party_a": {"name": "黄磊", "kind": "person"}, "party_b": {"name": "林涛", "kind": "person"},
      "principal": "50000", "repay_date": "2026-12-31"}),
    (("需要一份运输合同，我们（浙江宁波甬达电器有限公司）把空调300台从宁波运到成都，承运方是四川蓉城货运有限公司，"
     "运费总计4.5万元。"), "transport",
     {"party_a": {"name": "浙江宁波甬达电器有限公司", "kind": "organization"},
      "party_b": {"name": "四川蓉城货运有限公司", "kind": "organization"},
      "cargo": [{"name": "空调", "quantity": "300", "unit": "台"}], "origin": "宁波", "destination": "成都",
      "freight": "45000"}),
    (("和合作方深圳市前海投资管理有限公司签个保密协议，我方是广州天河软件有限公司，保密期三年，违约金100万元，"
     "争议到广州仲裁委员会。"), "nda",
     {"party_a": {"name": "广州天河软件有限公司", "kind": "organization"},
      "party_b": {"name": "深圳市前海投资管理有限公司", "kind": "organization"}, "term_years": 3,
      "dispute": {"method": "仲裁", "commission": "广州仲裁委员会"}}),
    (("采购合同：甲方北京市第一中学，供应商是华为技术（深圳）有限公司，采购交换机5台，单价2万元，"
     "2026年9月1日前送到学校，验收合格后30日内一次性付款。"), "sale",
     {"party_a": {"name": "北京市第一中学", "kind": "organization"},
      "party_b": {"name": "华为技术（深圳）有限公司", "kind": "organization"},
      "items": [{"name": "交换机", "unit": "台", "quantity": "5", "unit_price": "20000"}],
      "delivery_date": "2026-09-01", "payment_schedule": [{"percent": "100", "stage": "验收合格后30日内"}]}),
]


@pytest.mark.parametrize("request_text, name, expected", REQUESTS, ids=[r[1] for r in REQUESTS])
def test_requests_to_fields(request_text, name, expected, corpus):
    d = draft(request=request_text, corpus=corpus)
    assert d.template == name
    for key, value in expected.items():
        assert d.fields.get(key) == value, key
    assert not LEFTOVER.search(d.markdown)


def test_no_template_match_lists_choices():
    for req in ("帮我写一首关于春天的诗", "请帮我起草一份合同"):
        with pytest.raises(NoTemplateMatch) as exc:
            draft(request=req)
        assert [c["name"] for c in exc.value.choices] == NAMES
        assert "买卖合同" in str(exc.value)


def test_party_names_do_not_steer_the_template(corpus):
    """A seller called …运输有限公司 still gets a sale contract."""
    d = draft(request="向北京迅达运输有限公司购买二手货车2辆，单价15万元", corpus=corpus)
    assert d.template == "sale"
    assert d.fields["party_b"]["name"] == "北京迅达运输有限公司"  # 向X购买: X is the seller
    assert d.computed["items_total"] == "300000.00"


# --- money: capital numerals -----------------------------------------------------------------------
@pytest.mark.parametrize("amount, capital", [
    ("87500", "人民币捌万柒仟伍佰元整"), ("62000", "人民币陆万贰仟元整"), ("0", "人民币零元整"),
    ("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分"), ("1409.50", "人民币壹仟肆佰零玖元伍角"),
    ("107000.53", "人民币壹拾万柒仟元零伍角叁分"), ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
    ("0.05", "人民币伍分"), ("10", "人民币壹拾元整"), ("1000001", "人民币壹佰万零壹元整"),
    ("100010000", "人民币壹亿零壹万元整"), ("120003000", "人民币壹亿贰仟万叁仟元整"),
])
def test_capital_numerals_known(amount, capital):
    assert to_capital(amount) == capital
    assert parse_capital(capital) == Decimal(amount)


AMOUNTS = st.integers(min_value=0, max_value=99_999_999_999_999).map(lambda c: Decimal(c) / 100)


@given(AMOUNTS)
@settings(max_examples=400, deadline=None)
def test_capital_numerals_round_trip_and_rules(amount):
    s = to_capital(amount)
    assert parse_capital(s) == amount
    assert s.startswith("人民币")
    assert s.endswith("元整") == (amount == amount.to_integral_value())
    if amount > 0:  # 零元整 is how nothing is written
        assert "零零" not in s and not re.search(r"零[万亿元角整]|零$", s)
    assert not re.search(r"[^零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整人民币]", s)
    if amount >= 1:
        assert s[3] != "零"


@given(AMOUNTS)
@settings(max_examples=200, deadline=None)
def test_amounts_in_text_parse_back(amount):
    assert parse_amount(f"{amount}元") == amount
    assert parse_amount(f"人民币{amount:,.2f}元") == amount
    assert parse_amount(f"{amount / 10000}万元") == amount


def test_chinese_amounts_parse():
    assert parse_amount("二十万元") == Decimal(200000)
    assert parse_amount("一万五千元") == Decimal(15000)
    assert parse_amount("叁仟伍佰元") == Decimal(3500)
    assert parse_amount("1.2亿元") == Decimal(120000000)


ROWS = st.lists(st.tuples(st.integers(1, 5000), st.integers(0, 10**7)), min_size=1, max_size=6)


@given(ROWS, st.lists(st.integers(1, 97), min_size=1, max_size=4))
@settings(max_examples=100, deadline=None)
def test_totals_and_instalments_add_up(rows, cuts):
    """Line subtotals sum to the total, the capital form says the same, instalments add up to the total."""
    percents = [Decimal(c) for c in cuts if c < 100][:3]
    if sum(percents) >= 100:
        percents = [Decimal(50)]
    percents.append(100 - sum(percents))
    tpl = load_templates()["sale"]
    values = validate(
        tpl,
        {
            "items": [
                {"name": f"货品{i}", "quantity": q, "unit_price": str(Decimal(p) / 100)}
                for i, (q, p) in enumerate(rows)
            ],
            "payment_schedule": [{"percent": str(p)} for p in percents],
        },
    )
    c = computed(tpl, values)
    expected = sum(Decimal(q) * Decimal(p) / 100 for q, p in rows)
    assert Decimal(c["items_total"]) == expected
    assert sum(Decimal(s) for s in c["items_subtotals"]) == expected
    assert parse_capital(c["items_total_capital"]) == expected
    assert sum(Decimal(a) for a in c["payment_schedule_amounts"]) == expected


# --- DOCX --------------------------------------------------------------------------------------------
def test_docx_has_tables_and_court(corpus):
    d = draft(request=FURNITURE, corpus=corpus)
    data = to_docx(d)
    assert data[:2] == b"PK"
    doc = docx.Document(io.BytesIO(data))
    items, signatures = doc.tables[0], doc.tables[-1]
    assert [c.text for c in items.rows[0].cells][:2] == ["序号", "名称"]
    assert [c.text for c in items.rows[1].cells] == [
        "1",
        "红源牌实木餐桌",
        "",
        "张",
        "10",
        "3,000.00",
        "30,000.00",
    ]
    assert items.rows[-1].cells[-1].text == "62,000.00"
    assert "北京红源家具有限责任公司" in signatures.rows[1].cells[1].text
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "北京市海淀区人民法院" in text and "人民币陆万贰仟元整" in text
    assert (
        doc.paragraphs[0].text == "家具买卖合同" and doc.paragraphs[0].style.name == "Title"
    )  # as the request names it
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0].startswith("第一条") and "**" not in text
    assert to_docx(d.to_dict()) and len(doc.tables) == 2


# --- LLM-assisted extraction (a recorded generator at the edge) --------------------------------------
class RecordedGenerator:
    """Replays a model reply in chunks, as lawglm.models.generation generators stream."""

    def __init__(self, reply: str):
        self.reply, self.messages = reply, None

    def stream(self, messages, **params):
        self.messages = messages
        for i in range(0, len(self.reply), 7):
            yield self.reply[i:i + 7]


def test_llm_values_are_checked_against_schema_and_request(corpus):
    reply = "好的：```json\n" + json.dumps({
        "party_a": {"name": "北京红源家具有限责任公司"},     # stated in the request: kept
        "warranty_months": 24,                              # not stated anywhere: dropped
        "dispute": {"method": "诉讼", "court": "北京市朝阳区人民法院"},  # invented court: dropped
        "late_payment_rate": -1,                            # fails the schema: dropped
        "sign_place": "北京市海淀区",                        # stated (inside the court's name): kept
    }, ensure_ascii=False) + "\n```"
    gen = RecordedGenerator(reply)
    d = draft(request=FURNITURE, generator=gen, corpus=corpus)
    assert "红源牌实木餐桌" in gen.messages[1]["content"] and "warranty_months" in gen.messages[1]["content"]
    assert d.fields["party_a"]["name"] == "北京红源家具有限责任公司"
    assert d.fields["sign_place"] == "北京市海淀区"
    assert "warranty_months" not in d.fields
    assert d.fields["dispute"]["court"] == "北京市海淀区人民法院"  # the rule-based value stands
    assert "late_payment_rate" not in d.fields
    assert any("warranty_months" in n for n in d.notes) and any("late_payment_rate" in n for n in d.notes)


def test_llm_failure_falls_back_to_rules(corpus):
    class Broken:
        def stream(self, messages, **params):
            raise RuntimeError("backbone unavailable")
            yield ""

    d = draft(request=FURNITURE, generator=Broken(), corpus=corpus)
    assert d.fields["party_b"]["name"] == "北京红源家具有限责任公司"
    assert any("LLM extraction failed" in n for n in d.notes)
    d = draft(request=FURNITURE, generator=RecordedGenerator("I cannot help with that."), corpus=corpus)
    assert any("no JSON" in n for n in d.notes) and d.fields["items"]


# --- CLI -----------------------------------------------------------------------------------------------
def run_cli(capsys, *args) -> tuple[int, str, str]:
    return live.run_cli(args, capsys)


def test_cli_list_and_show(capsys):
    code, out, _ = run_cli(capsys, "contract", "list", "--json")
    assert code == 0 and [t["name"] for t in json.loads(out)] == NAMES
    code, out, _ = run_cli(capsys, "contract", "show", "劳动合同")
    assert code == 0 and "probation_wage" in out and "必填" in out
    code, _, err = run_cli(capsys, "contract", "show", "rental")
    assert code == 1 and err.count("\n") == 1 and "available: " in err and "entrustment" in err


def test_cli_draft(capsys, tmp_path):
    out_docx = tmp_path / "合同.docx"
    code, out, err = run_cli(
        capsys, "contract", "draft", "--request", FURNITURE, "--docx", str(out_docx), "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["template"] == "sale" and result["missing"] == ["party_a"]
    assert "北京市海淀区人民法院" in result["markdown"]
    assert "party_a" in err
    assert docx.Document(str(out_docx)).tables
    fields = tmp_path / "f.json"
    fields.write_text(json.dumps({"rent": "5000元", "use": "办公"}, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli(capsys, "contract", "draft", "-t", "lease", "--fields", str(fields), "--no-basis")
    assert code == 0 and "人民币伍仟元整" in out and "☑办公" in out and "附：" not in out


@pytest.mark.parametrize("args, code, words", [
    (["contract", "draft"], 2, "--template"),
    (["contract", "draft", "-r", "帮我写一首诗"], 1, "choose a template"),
    (["contract", "draft", "-t", "sale", "--fields", "MISSING.json"], 2, "MISSING.json"),
])
def test_cli_errors(capsys, args, code, words):
    got, _, err = run_cli(capsys, *args)
    assert got == code and words in err and err.count("\n") == 1


def test_cli_field_errors(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": [{"name": "桌", "unit_price": -1}]}', encoding="utf-8")
    code, _, err = run_cli(capsys, "contract", "draft", "-t", "sale", "--fields", str(bad))
    assert code == 1 and "items[0].unit_price" in err and err.count("\n") == 1
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = run_cli(capsys, "contract", "draft", "-t", "sale", "--fields", str(bad))
    assert code == 2 and "--fields" in err


# --- arbitrary requests: a draft or a structured error, never a crash --------------------------------
TOKENS = [
    "买卖合同",
    "租赁",
    "劳动合同",
    "借款",
    "保密协议",
    "运输",
    "委托",
    "技术服务",
    "乙方是",
    "甲方为",
    "出借人",
    "承租人",
    "北京红源家具有限责任公司",
    "张三",
    "我们公司",
    "餐桌",
    "10",
    "十",
    "两",
    "零",
    "点",
    "张",
    "把",
    "吨",
    "个月",
    "年",
    "日",
    "单价",
    "3000",
    "万",
    "元",
    "%",
    "百分之",
    "千分之",
    "支付",
    "2026年",
    "13月",
    "2月",
    "30日",
    "12月",
    "15日",
    "前",
    "至",
    "自",
    "人民法院",
    "仲裁委员会",
    "诉讼",
    "仲裁",
    "，",
    "。",
    "；",
    "：",
    "、",
    "（",
    "）",
    "和",
    "位于",
    "月租金",
    "试用期",
    "工资",
    "身份证号",
    "110105198001011234",
    "统一社会信用代码",
    "{{",
    "None",
    "|",
    "\n",
    " ",
    "分别是",
    "单价分别为",
    "数量",
    "共计",
    "每张",
    "包括",
    "我们（",
    "我叫",
    "向我借",
    "朋友",
    "从",
    "运到",
    "一次性付款",
    "员工叫",
    "我方是",
    "（深圳）",
]


@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40).map("".join))
@settings(max_examples=150, deadline=None)
def test_any_request_gives_a_draft_or_a_structured_error(text):
    from lawglm.contracts import ContractError

    tiny = _tiny_corpus_for_fuzz()
    try:
        d = draft(request=text, corpus=tiny)
    except ContractError as exc:
        assert not isinstance(exc, TemplateError), exc
        return
    assert not LEFTOVER.search(_without_values(d.markdown, d.values))


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for v in items for s in _strings(v)]


def _without_values(markdown: str, values: dict) -> str:
    """The draft without the values read from the request (which may themselves hold {{ or None; a | is
    shown as ｜ in tables): what is left is template text, where no markup or None may remain."""
    found = sorted({s for s in _strings(values) if s}, key=len, reverse=True)
    pattern = "|".join(re.escape(v) for s in found for v in (s, s.replace("|", "｜")))
    return re.sub(pattern, " ", markdown) if pattern else markdown


_FUZZ = {}


def _tiny_corpus_for_fuzz():
    """An empty corpus keeps the property fast; statute verification is tested against the real one above."""
    from lawglm.statutes.corpus import Corpus

    return _FUZZ.setdefault("c", Corpus([], source="empty"))


@pytest.mark.parametrize("name", NAMES)
def test_templates_are_our_wording_not_pasted_statute(name, corpus):
    """No clause copies a run of 16+ characters from an article it cites (text read from laws.db)."""
    window = 16
    for clause in load_templates()[name].clauses:
        body = re.sub(r"\s", "", clause.text)
        for ref in clause.refs:
            text = re.sub(r"\s", "", verify_one(corpus, ref.law, ref.article).article.text)
            copied = [text[i:i + window] for i in range(len(text) - window + 1) if text[i:i + window] in body]
            assert not copied, f"{name} / {clause.title} copies {ref.law} {ref.article}: {copied[0]}"
