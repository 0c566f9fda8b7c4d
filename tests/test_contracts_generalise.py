"""Extraction mechanisms that are not tied to one phrasing: names that end where a word ends, people named
after
a kinship or job word, the writer's own mentions, parties by kind and elimination, street addresses without a
cue, colloquial numbers, item lines in new orders, splits with several percentages in one clause, template
choice that ignores a contract type named inside a matter. Requests here are written for these tests."""

from __future__ import annotations

import pytest

from lawglm.contracts import NoTemplateMatch, draft
from lawglm.contracts.money import parse_amount
from lawglm.contracts.places import addresses_in


def fields(request, corpus, **kw):
    d = draft(request=request, corpus=corpus, basis=False, **kw)
    return d, d.fields


def party_names(f):
    return f.get("party_a", {}).get("name"), f.get("party_b", {}).get("name")


@pytest.mark.parametrize(
    "text, template, a, b",
    [
        # a name before a verb no rule lists (拍摄), after a job word (摄影师)
        (
            "杭州映画文化传播有限公司委托签约摄影师唐雨桐拍摄产品画册，报酬两万元。",
            "entrustment",
            "杭州映画文化传播有限公司",
            "唐雨桐",
        ),
        # kinship word with the writer's possessive 我: the relative is the party, not the writer
        ("我借给我表哥郑大川四万块，一年后还，不要利息。", "loan", None, "郑大川"),
        # the writer named with a title in brackets
        (
            "我（个体户沈佳怡）要买两台咖啡机，卖家是厦门鹭岛厨具有限公司，每台3980元。",
            "sale",
            "沈佳怡",
            "厦门鹭岛厨具有限公司",
        ),
        # employer and employee by kind (an organisation and a person), no role word at all
        (
            "广州粤味餐饮管理有限公司与黄志远签劳动合同，月薪七千，合同两年。",
            "labor",
            "广州粤味餐饮管理有限公司",
            "黄志远",
        ),
        # a descriptor before the name is not part of it; 对方是X is the other party
        (
            "需要签保密协议，我们是苏州晶方半导体科技有限公司，对方是外包公司无锡芯动科技有限公司。",
            "nda",
            "苏州晶方半导体科技有限公司",
            "无锡芯动科技有限公司",
        ),
    ],
)
def test_parties_without_the_phrasings_rules_were_written_for(text, template, a, b, corpus):
    d, f = fields(text, corpus)
    assert d.template == template
    assert party_names(f) == (a, b)


def test_a_shop_title_is_no_shop_and_a_generic_company_is_no_party(corpus):
    _, f = fields(
        "员工赵梓萱入职我们店（长沙橘洲餐饮管理有限公司）做店长，工资每月6800元，无固定期限。", corpus
    )
    assert party_names(f) == ("长沙橘洲餐饮管理有限公司", "赵梓萱")
    assert f["term_type"] == "无固定期限" and f["monthly_wage"] == "6800"
    _, f = fields("我在一家小公司上班，公司名叫东莞永盛五金厂，我叫罗家豪，做车工，工资每月5200元。", corpus)
    assert party_names(f) == ("东莞永盛五金厂", "罗家豪") and f["position"] == "车工"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("一万二", "12000.00"),
        ("三千五", "3500.00"),
        ("两百五", "250.00"),
        ("3块5", "3.50"),
        ("5千元", "5000.00"),
    ],
)
def test_colloquial_amounts(text, expected):
    assert str(parse_amount(text)) == expected


def test_colloquial_wage_rate_and_durations(corpus):
    _, f = fields("我们是成都云帆科技有限公司，录用了一名测试工程师，叫冯子涵，税前月薪16k，试用期两个月，"
                  "试用期工资按80%发，合同签三年。", corpus)
    assert f["monthly_wage"] == "16000" and f["probation_wage"] == "12800"
    assert f["position"] == "测试工程师" and f["term_months"] == 36 and f["probation_months"] == 2
    _, f = fields("朋友韩立找我借钱，借2.5万，月息一分五，半年还清。我是秦川。", corpus)
    assert f["principal"] == "25000" and f["annual_rate"] == "18" and f["term_months"] == 6
    assert party_names(f) == ("秦川", "韩立")


def test_street_address_without_a_cue_and_trimmed_before_the_next_words(corpus):
    text = (
        "房东孟晓燕把她在西安市雁塔区小寨东路126号5栋1单元802的一居室租给我（许文博），月租3200，押一付一。"
    )
    assert addresses_in(text)[0][2] == "西安市雁塔区小寨东路126号5栋1单元802"
    _, f = fields(text, corpus)
    assert f["property_address"] == "西安市雁塔区小寨东路126号5栋1单元802"
    assert party_names(f) == ("孟晓燕", "许文博") and f["rent"] == "3200" and f["deposit"] == "3200"


@pytest.mark.parametrize("text, rows", [
    ("想跟宁波甬达五金有限公司订一批门把手，规格黑色，800个，15元一个。我们是宁波家美装饰有限公司。",
     [{"name": "门把手", "spec": "黑色", "quantity": "800", "unit": "个", "unit_price": "15"}]),
    ("订货：冷冻鸡翅2吨，单价每吨26000元，冷冻鸡腿1.5吨，单价每吨18000元。卖方青岛海鲜冷链有限公司。",
     [{"name": "冷冻鸡翅", "quantity": "2", "unit": "吨", "unit_price": "26000"},
      {"name": "冷冻鸡腿", "quantity": "1.5", "unit": "吨", "unit_price": "18000"}]),
    ("采购合同 卖方:湖南星沙文具批发部 品名 数量 单价：订书机 50个 18元；档案盒 400个 6元",
     [{"name": "订书机", "quantity": "50", "unit": "个", "unit_price": "18"},
      {"name": "档案盒", "quantity": "400", "unit": "个", "unit_price": "6"}]),
    ("我想从邻村刘大伯（刘守业）那儿买三头黄牛，一头一万一。",
     [{"name": "黄牛", "quantity": "3", "unit": "头", "unit_price": "11000"}]),
])
def test_item_lines_in_new_orders(text, rows, corpus):
    d, f = fields(text, corpus)
    assert d.template == "sale"
    assert f["items"] == rows


def test_cargo_in_brackets_and_space_separated(corpus):
    _, f = fields(
        "我是货主吴海生，把一批家具（衣柜3套、书桌6张）交给德邦物流股份有限公司运到南宁市青秀区民族大道88号，运费1800元。",
        corpus,
    )
    assert f["cargo"] == [
        {"name": "衣柜", "quantity": "3", "unit": "套"},
        {"name": "书桌", "quantity": "6", "unit": "张"},
    ]
    assert f["destination"] == "南宁市青秀区民族大道88号"
    _, f = fields(
        "托运合同 托运人 成都川航物流有限公司 承运人 四川陆港运输有限公司 货物 电动车 120辆 运费 3万元",
        corpus,
    )
    assert f["cargo"] == [{"name": "电动车", "quantity": "120", "unit": "辆"}] and f["freight"] == "30000"


@pytest.mark.parametrize(
    "text, percents",
    [
        (
            "采购两台注塑机，每台9万元，卖方佛山精机有限公司，签约后付百分之三十，验收后付百分之六十，剩下百分之十一年后付清。",
            ["30", "60", "10"],
        ),  # 百分之十, then 一年后 — not 百分之十一
        (
            "技术服务合同，服务方杭州云测科技有限公司，服务费30万元，分三期支付，比例为20%、50%、30%。",
            ["20", "50", "30"],
        ),
        (
            "技术服务合同，服务方南京数衡科技有限公司，服务费8万元，签约后付一半，验收后付另一半。",
            ["50", "50"],
        ),
    ],
)
def test_payment_splits_written_new_ways(text, percents, corpus):
    _, f = fields(text, corpus)
    assert [s["percent"] for s in f["payment_schedule"]] == percents


def test_a_contract_type_inside_a_matter_does_not_choose_the_template(corpus):
    d, f = fields(
        "我（律师高明远）受江苏恒通机械有限公司委托，代理其与客户之间的买卖合同纠纷诉讼，律师费3万元。",
        corpus,
    )
    assert d.template == "entrustment"
    assert party_names(f) == ("江苏恒通机械有限公司", "高明远") and f["fee"] == "30000"
    assert "dispute" not in f  # 诉讼 here is the matter handled, not how the parties settle disputes


def test_generic_words_alone_choose_no_template():
    with pytest.raises(NoTemplateMatch):
        draft(request="请帮我起草一份合同", basis=False)


@pytest.mark.parametrize(
    "text, template, a, b",
    [
        (
            "我姐姐罗雪梅要跟我借二十万买房，说好三年还清，年息4%，我叫罗雪松。",
            "loan",
            "罗雪松",
            "罗雪梅",
        ),  # 我姐 and 姐姐
        (
            "保密协议：披露方北京小米移动软件有限公司，接收方为外包开发者曹宇航，保密期限三年。",
            "nda",
            "北京小米移动软件有限公司",
            "曹宇航",
        ),  # a job title between the role word and the name
        (
            "本人宁志刚委托同乡邵春来代为领取工资，无偿。",
            "entrustment",
            "宁志刚",
            "邵春来",
        ),  # 来 ends no name here
        (
            "新员工入职：姓名祁天宇，职位数据分析师，所属公司上海哔哩哔哩科技有限公司，月薪25000元。",
            "labor",
            "上海哔哩哔哩科技有限公司",
            "祁天宇",
        ),  # 所属公司 is a word for the company, not a company
        (
            "我想卖我的二手车给朋友孟浩然，一辆大众朗逸，价格6.8万元。",
            "vehicle_sale",
            None,
            "孟浩然",
        ),  # 卖X给Y: the writer sells
    ],
)
def test_more_new_party_phrasings(text, template, a, b, corpus):
    d, f = fields(text, corpus)
    assert d.template == template and party_names(f) == (a, b)


def test_no_wrong_numbers_from_lookalikes(corpus):
    _, f = fields(
        "货物运输：托运人福建安踏体育用品有限公司，承运人厦门港务物流有限公司，运动鞋8000箱，运费12万美元。",
        corpus,
    )
    assert "freight" not in f  # dollars are no amount in 元
    _, f = fields(
        "出租方：广州某物业有限公司；承租方：广州知行教育咨询有限公司；租金每月28000元；押金两个月租金。",
        corpus,
    )
    assert f["deposit"] == "56000" and "term_months" not in f  # 两个月租金 is money, not the term
    _, f = fields("采购：卖方东莞市大朗毛织有限公司，羊毛衫2000件，单价85元，付款方式银行转账。", corpus)
    assert "party_a" not in f and f["payment_method"] == "银行转账"  # 付款方式银行 is no bank
    _, f = fields("委托湖北华中知识产权代理有限公司申请发明专利，代理费共计4.5万元。", corpus)
    assert f["fee"] == "45000" and "matters" not in f  # 代理费… is the fee, not the matter


def test_space_separated_lists_calendar_months_and_year_less_dates(corpus):
    _, f = fields(
        "房屋租赁协议 出租方 谢明辉 承租方 万晓丽 租赁房屋 昆明市五华区翠湖南路12号 月租 1600 元 押金 1600 "
        "元 租期 12 个月",
        corpus,
    )
    assert (f["rent"], f["deposit"], f["term_months"]) == ("1600", "1600", 12)
    _, f = fields("租房：房东黄国梁，租户施雨萱，租期从今年3月到明年2月底，月租二千八，交一押一。", corpus)
    assert "term_months" not in f and f["rent"] == "2800" and f["payment_cycle"] == "月付"  # 3月 is March
    _, f = fields(
        "托运人杭州顺达贸易有限公司委托承运人浙江快捷物流有限公司运输纸箱300件，2026年5月6日提货，5月9日前送达，运费6000元。",
        corpus,
    )
    assert (f["pickup_date"], f["arrival_date"]) == ("2026-05-06", "2026-05-09")


def test_dash_lists_bracketed_roles_and_matters_that_mention_litigation(corpus):
    _, f = fields(
        "劳动合同要素：用人单位—重庆长安汽车股份有限公司；劳动者—熊晓峰；工作岗位—装配技术员；劳动报酬—每月7800元。",
        corpus,
    )
    assert party_names(f) == ("重庆长安汽车股份有限公司", "熊晓峰") and f["position"] == "装配技术员"
    _, f = fields(
        "保密协议：深圳市汇顶科技股份有限公司（披露方）、深圳市鼎阳科技股份有限公司（接收方），保密期限七年。",
        corpus,
    )
    assert (
        party_names(f) == ("深圳市汇顶科技股份有限公司", "深圳市鼎阳科技股份有限公司")
        and f["term_years"] == 7
    )
    _, f = fields("上海陆家嘴物业管理有限公司委托上海华诚律师事务所处理业主欠费诉讼，全权委托。", corpus)
    assert f["matters"] == "处理业主欠费诉讼" and "dispute" not in f
    _, f = fields(
        "我们家具厂（东莞市华美家具厂）要运一批沙发，交给德邦物流股份有限公司东莞分公司，运费9600元。", corpus
    )
    assert party_names(f) == ("东莞市华美家具厂", "德邦物流股份有限公司东莞分公司")
