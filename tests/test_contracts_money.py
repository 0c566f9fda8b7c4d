"""Amounts as people say them (4万5, 6万8千, 7.5万, 5万块钱, 三千五, 1万2), rates (每平方米 / 每天)
never taken for a total, quantities with no cue word (大概60平, 120平的房子), and the safety net: an amount
that cannot be what the request says is left blank and quoted in the notes, never printed. Through the
real path, with a user template written here."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from lawglm.contracts import draft
from lawglm.contracts.fields import implausible_amount
from lawglm.contracts.money import parse_amount
from lawglm.contracts.schema import FieldSpec
from lawglm.settings import Settings

REPAIR = {
    "name": "repair",
    "title": "房屋维修合同",
    "description": "维修方为委托方维修房屋，委托方支付维修费。",
    "strong_keywords": ["维修合同", "房屋维修合同"],
    "keywords": ["维修", "修缮"],
    "self_party": "party_a",
    "fields": {
        "party_a": {
            "type": "party",
            "role": "甲方",
            "title": "委托方",
            "label": "甲方（委托方）",
            "required": True,
            "aliases": ["委托方", "房主"],
        },
        "party_b": {
            "type": "party",
            "role": "乙方",
            "title": "维修方",
            "label": "乙方（维修方）",
            "required": True,
            "aliases": ["维修方", "维修公司"],
        },
        "area": {"type": "number", "label": "维修面积", "unit": "平方米", "cues": ["维修面积", "面积"]},
        "price_rate": {"type": "rate", "label": "维修单价", "per": ["平方米"], "cues": ["单价", "报价"]},
        "price": {
            "type": "money",
            "label": "维修总价",
            "required": True,
            "product_of": ["price_rate", "area"],
            "cues": ["合同价款", "维修费", "工程款", "费用", "报价"],
        },
        "deposit": {"type": "money", "label": "质量保证金", "minimum": 100, "cues": ["保证金"]},
        "late_fee": {
            "type": "money",
            "label": "逾期完工违约金（每日）",
            "cues": ["逾期完工每天", "每逾期一天"],
        },
    },
    "clauses": [
        {
            "title": "价款",
            "refs": [],
            "text": "维修总价为人民币{{ f.price }}元（大写：{{ cn.price }}）；面积{{ f.area }}平方米。\n",
        }
    ],
}
HEAD = "帮我写个房屋维修合同，房主张伟，维修公司是上海美家装饰工程有限公司，"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    folder: Path = tmp_path_factory.mktemp("firm")
    (folder / "repair.yaml").write_text(
        yaml.safe_dump(REPAIR, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return Settings(templates_dir=str(folder))


def repair(text, settings, corpus):
    d = draft(request=HEAD + text, settings=settings, corpus=corpus)
    assert d.template == "repair"
    return d


@pytest.mark.parametrize(
    "written, value",
    [
        ("4万5", "45000"),
        ("6万8千元", "68000"),
        ("7.5万", "75000"),
        ("5万块钱", "50000"),
        ("三千五", "3500"),
        ("1万2", "12000"),
        ("一万二", "12000"),
        ("10万5000元", "105000"),
        ("1千5", "1500"),
        ("3块5", "3.5"),
    ],
)
def test_colloquial_amounts_parse_to_what_people_mean(written, value):
    assert parse_amount(written) == Decimal(value)


@pytest.mark.parametrize(
    "said, price, capital",
    [
        ("维修费一共4万5。", "45000", "肆万伍仟元整"),
        ("工程款6万8千元。", "68000", "陆万捌仟元整"),
        (
            "全包5万块钱。",
            "50000",
            "伍万元整",
        ),  # no cue word: the one amount in 元, for the one required total
        ("合同价7.5万。", "75000", "柒万伍仟元整"),  # 合同价 is how 合同价款 is written short
        ("费用三千五。", "3500", "叁仟伍佰元整"),
        ("维修费1万2。", "12000", "壹万贰仟元整"),
    ],
)
def test_amounts_as_people_say_them_reach_the_contract(said, price, capital, settings, corpus):
    d = repair(said, settings, corpus)
    assert d.fields.get("price") == price, (d.fields, d.notes)
    assert capital in d.markdown


def test_a_rate_per_square_metre_is_never_the_total(settings, corpus):
    d = repair("维修面积156平方米，每平方米报价980元。", settings, corpus)
    assert d.fields["price_rate"] == "980元/平方米"
    assert d.fields["price"] == "152880"  # 980 × 156, computed and noted — not 980
    assert any("152880" in n for n in d.notes)
    d = repair("每平方米报价980元。", settings, corpus)
    assert "price" not in d.fields and d.fields["price_rate"] == "980元/平方米"


def test_a_rate_per_day_is_the_per_day_field_and_never_the_total(settings, corpus):
    d = repair("维修费3万元，逾期完工每天赔200元。", settings, corpus)
    assert d.fields["late_fee"] == "200" and d.fields["price"] == "30000"
    d = repair("维修时间10天，费用每天500元。", settings, corpus)
    assert "price" not in d.fields, d.fields


@pytest.mark.parametrize(
    "said, area", [("大概60平，维修费5万元。", "60"), ("我家120平的房子要维修，维修费5万元。", "120")]
)
def test_an_area_with_no_cue_word_is_read(said, area, settings, corpus):
    assert repair(said, settings, corpus).fields.get("area") == area


def test_an_implausible_amount_is_a_blank_and_a_verbatim_note(settings, corpus):
    d = repair("维修费1元。", settings, corpus)
    assert "price" not in d.fields and "price" in d.missing
    assert any("「维修费1元」" in n for n in d.notes), d.notes
    assert "壹元整" not in d.markdown and "人民币1.00" not in d.markdown
    d = repair("维修费3万元，保证金50元。", settings, corpus)  # below the template's declared minimum (100)
    assert "deposit" not in d.fields and any("「保证金50元」" in n for n in d.notes), d.notes
    assert d.fields["price"] == "30000"


def test_an_amount_read_from_part_of_a_longer_number_is_refused():
    spec = FieldSpec(name="price", type="money", label="维修总价", required=True)
    text = "工程款6万8千元"
    assert implausible_amount(spec, Decimal(8000), text, [(text.index("8"), len(text))])  # 6万「8千元」
    assert implausible_amount(spec, Decimal(1), "费用1万2", [(2, 3)])  # 「1」万2
    assert implausible_amount(spec, Decimal(5), "费用5万元", [(2, 5)])  # 万 read as 5
    assert implausible_amount(spec, Decimal(68000), text, [(3, len(text))]) is None
