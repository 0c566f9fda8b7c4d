"""When the 结论 may say a clause 起决定作用 (answer/decided.py, settings.DECIDING_MIN_SCORE / _MARGIN): a
clause matched by its words only when it shares enough with the question and clearly more than any other
retrieved article's clause; otherwise the answer names the closest clause and says to check its
conditions. A clause that sends the person to another forum than 下一步's forum rule is never stated as
deciding."""

from lawglm.answer.clauses import ranked
from lawglm.answer.decided import decide_answer
from lawglm.records import Article
from lawglm.search.routing import Routing
from lawglm.settings import DECIDING_MIN_MARGIN, DECIDING_MIN_SCORE

SURE = "起决定作用的是"
CLOSEST = "与您的问题最相关的是"
NEIGHBOURS = Routing("neighbours", (), 0.9, {"neighbours": 5.0}, "")
# made-up articles (not statute text)
LEASH = Article("示例法", 3, "宠物饲养人遛狗时未拴绳，致使他人受伤的，饲养人应当承担受伤者的全部医疗费用。")
FINE = Article("示例法", 4, "宠物饲养人遛狗时未拴绳，致使他人受伤的，由所在地主管部门处以警告。")
OTHER = Article("示例法", 5, "公园内禁止燃放烟花爆竹。")
Q = "宠物饲养人遛狗时没拴绳，致使我受伤，饲养人要承担我的全部医疗费用吗？"


def test_a_clear_clause_is_stated_as_deciding(corpus):
    (top, s), *rest = ranked(Q, [LEASH, OTHER])
    assert top.article is LEASH and s >= DECIDING_MIN_SCORE and not rest
    d = decide_answer(Q, [LEASH, OTHER], corpus, routing=NEIGHBOURS)
    assert d.sure and d.origin == "matched" and d.clause.article is LEASH
    assert SURE in d.conclusion and CLOSEST not in d.conclusion


def test_a_weak_match_is_named_as_the_closest_only(corpus):
    q = "邻居遛狗没拴绳，我被吓到了，怎么办？"
    found = ranked(q, [LEASH])
    assert found and found[0][1] < DECIDING_MIN_SCORE  # the premise: it matches, but weakly
    d = decide_answer(q, [LEASH], corpus, routing=NEIGHBOURS)
    assert not d.sure and d.clause.article is LEASH
    assert CLOSEST in d.conclusion and SURE not in d.conclusion and "条件" in d.conclusion


def test_a_close_runner_up_from_another_article_makes_it_hedge(corpus):
    """Two articles on the same facts with different consequences: the words alone cannot tell which one
    the question asks about, so neither is stated as deciding."""
    q = "宠物饲养人遛狗时没拴绳，致使我受伤，怎么处理？"
    (_, s), (second, s2), *_ = ranked(q, [LEASH, FINE])
    assert s >= DECIDING_MIN_SCORE and s - s2 < DECIDING_MIN_MARGIN and second.article is FINE
    d = decide_answer(q, [LEASH, FINE], corpus, routing=NEIGHBOURS)
    assert not d.sure and d.margin < DECIDING_MIN_MARGIN
    assert CLOSEST in d.conclusion and SURE not in d.conclusion
    alone = decide_answer(q, [LEASH, OTHER], corpus, routing=NEIGHBOURS)  # no rival: it decides
    assert alone.sure and SURE in alone.conclusion


def test_a_clause_contradicting_the_forum_rule_is_not_stated_as_deciding(corpus):
    """A wage IOU may go to court directly (下一步's forum rule): a clause sending wage disputes to
    arbitration first, however well it matches, is not what decides."""
    q = ("公司给我打了工资欠条，到期还是不给。因工资支付发生的争议，"
         "我可以拿着欠条直接去法院起诉吗，还用不用先仲裁？")
    arb = Article("示例条例", 9, "劳动者与用人单位因工资支付发生争议的，"
                              "当事人可以向劳动争议仲裁机构申请仲裁；对仲裁裁决不服的，可以向人民法院提起诉讼。")
    wages = Routing("wages", (), 0.9, {"wages": 5.0}, "")
    (_, s), *_ = ranked(q, [arb])
    assert s >= DECIDING_MIN_SCORE  # it would be stated as deciding on its words alone
    d = decide_answer(q, [arb], corpus, routing=wages)
    assert d.next.rule and d.next.forum[0] == "人民法院"
    if d.clause is not None and d.clause.article is arb:
        assert not d.sure and SURE not in d.conclusion
    else:  # the corpus holds the rule's article: it decides
        assert d.origin == "forum_rule" and d.clause.article is d.next.rule_article


def test_a_clause_that_awards_nothing_does_not_decide_what_can_be_claimed(corpus):
    """Asked what they can claim (能要…吗), a clause whose words match well but award nothing (a notice
    period) is named as the closest only; the same words asked another way may still decide."""
    notice = Article("示例法", 7, "劳动者提前三十日以书面形式通知用人单位辞职的，可以解除劳动合同。")
    q = "劳动者提前三十日以书面形式通知用人单位辞职，能要经济补偿吗？"
    (top, s), *_ = ranked(q, [notice, OTHER])
    assert top.article is notice and s >= DECIDING_MIN_SCORE  # it would decide on its words alone
    d = decide_answer(q, [notice, OTHER], corpus, routing=NEIGHBOURS)
    assert not d.sure and CLOSEST in d.conclusion and SURE not in d.conclusion
    q = "劳动者提前三十日以书面形式通知用人单位辞职，可以解除劳动合同吗？"
    assert decide_answer(q, [notice, OTHER], corpus, routing=NEIGHBOURS).sure
    assert decide_answer(Q, [LEASH, OTHER], corpus, routing=NEIGHBOURS).sure  # awards 医疗费用: decides


def test_a_weak_match_whose_consequence_is_the_point_asked_decides(corpus):
    """Below DECIDING_MIN_SCORE a clause still decides (answered) where its consequence is the very point
    the question asks and the question's facts are the clause's (yesno.clause_verdict, facts_in_clause):
    the 结论 then opens with the yes/no. The same clause asked another point stays the closest one."""
    from lawglm.settings import ANSWERED_MIN_SCORE

    night = Article("示例规定", 6, "对怀孕7个月以上的女职工，用人单位不得安排夜班劳动。")
    q = "我怀孕7个半月了，车间还排我夜班。我可以拒绝上夜班吗？"
    (_, s), *_ = ranked(q, [night])
    assert ANSWERED_MIN_SCORE <= s < DECIDING_MIN_SCORE   # the premise: a weak match by words alone
    d = decide_answer(q, [night, OTHER], corpus, routing=NEIGHBOURS)
    assert d.sure and d.origin == "answered" and d.conclusion.startswith("可以。" + "就您描述的情形，" + SURE)
    early = decide_answer("我怀孕5个月了，车间还排我夜班。我可以拒绝上夜班吗？", [night, OTHER], corpus,
                          routing=NEIGHBOURS)
    assert not early.sure and CLOSEST in early.conclusion   # below the threshold: it decides nothing


def test_the_retrievers_first_article_is_never_folded(corpus):
    # made-up articles: the first shares no words with the question (found by meaning), the third bears
    by_meaning = Article("示例法", 7, "为了制止正在进行的不法侵害而采取的行为，不负责任。")
    unrelated = Article("示例法", 8, "公园内禁止燃放烟花爆竹。")
    bears = Article("示例法", 9, "闯进他人家中抢东西的，由公安机关依法处理。")
    q = "有人闯进我家抢东西，我把他打伤了，我要负责吗？"
    d = decide_answer(q, [by_meaning, unrelated, bears], corpus, routing=NEIGHBOURS)
    assert by_meaning in d.basis and by_meaning not in d.folded
    assert unrelated in d.folded


def test_a_claim_to_something_other_than_money_is_decided_by_the_clause_that_grants_it(corpus):
    """Asked whether they can require a thing (not money), a clause whose consequence is that very claim
    decides it; the person's facts count where the question also names the party asked of (物业)."""
    face = Article("示例规定", 10, "物业以人脸识别作为出入小区的唯一验证方式，"
                                "不同意的业主请求物业提供其他合理验证方式的，人民法院依法予以支持。")
    q = "小区物业把门禁换成了只能刷脸进，我不想录人脸，能要求物业给我别的验证方式吗？"
    d = decide_answer(q, [face, OTHER], corpus, routing=NEIGHBOURS)
    assert d.sure and d.conclusion.startswith("能。")
