"""The deciding clause: articles split into 款 and 项, the clause matching the question's facts, the
conclusion built from the clause's words, 款/项-grain claim support, and echoes."""

from lawglm.answer.clauses import conclusion, decide, is_echo, split, supported_by_clause
from lawglm.records import Article

# made-up articles (not statute text): a lead-in with items, and a two-paragraph article
ITEMS = Article("示例法", 7, "有下列情形之一的，甲方应当赔偿乙方：\n（一）甲方拍摄乙方住宅内部的；\n"
                             "（二）甲方拖欠乙方租金满三个月的；\n（三）其他情形。")
TWO = Article("示例法", 8, "宠物饲养人应当拴绳遛狗。\n狗咬伤他人的，饲养人应当承担医疗费用。")


def test_split_into_paragraphs_and_items():
    clauses = split(ITEMS)
    assert [(c.paragraph, c.item) for c in clauses] == [(1, 0), (1, 1), (1, 2), (1, 3)]
    assert clauses[2].label == "第七条第（二）项" and clauses[2].lead.startswith("有下列情形之一的")
    two = split(TWO)
    assert [c.label for c in two] == ["第八条第一款", "第八条第二款"]
    glued = Article("示例法", 9, "合同自成立时生效。\n第二编 物 权")   # a heading glued on is no clause
    assert len(split(glued)) == 1


def test_decide_picks_the_item_of_the_facts():
    assert decide("房东拖欠租金三个月了，我能要赔偿吗", [ITEMS]).item == 2
    assert decide("对方偷偷拍摄我家住宅内部", [ITEMS]).item == 1
    c = decide("邻居的狗咬伤了我，医疗费谁出", [TWO])
    assert (c.paragraph, c.item) == (2, 0)
    assert decide("今天天气怎么样", [ITEMS, TWO]) is None


def test_conclusion_quotes_the_clause_words():
    c = decide("对方偷偷拍摄我家住宅内部", [ITEMS])
    text = conclusion(c, "对方偷偷拍摄我家住宅内部")
    assert "《示例法》第七条第（一）项" in text and text.endswith("——甲方拍摄乙方住宅内部的。")
    assert "有下列情形之一的，甲方应当赔偿乙方" in text
    assert not is_echo(text, "对方偷偷拍摄我家住宅内部")


def test_clause_support_and_echo():
    c = split(TWO)[1]
    q = "邻居的狗咬伤了我，医疗费谁出"
    assert supported_by_clause("饲养人应当承担医疗费用。", c, q)
    assert not supported_by_clause("饲养人应当赔偿精神损失十万元。", c, q)
    assert is_echo("邻居的狗咬伤了我，医疗费谁出。", q)
    assert not is_echo("饲养人应当承担医疗费用。", q)
