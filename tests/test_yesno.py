"""Yes / no from the deciding clause's own words (answer/yesno.py): stated only where the clause's
consequence is what the question asks; never from a prohibition on the other side's conduct, a partial or
negated point; the forum 下一步 requires answers 能直接起诉吗; otherwise the clause's condition is named as
what decides it."""

import pytest

from lawglm.answer.areas import next_steps_for
from lawglm.answer.clauses import split
from lawglm.answer.decided import decide_answer
from lawglm.answer.yesno import asked, clause_verdict, condition_check, deciding_fact, forum_verdict
from lawglm.records import Article
from lawglm.search.routing import Routing, route

CIVIL = "中华人民共和国民法典"


def _clause(corpus, law, no, paragraph=1, item=0):
    article = corpus.get(law, no)
    assert article is not None
    return next(c for c in split(article) if (c.paragraph, c.item) == (paragraph, item))


def test_the_main_question_is_read():
    a = asked("冷静期到哪天结束？他能单方面撤回吗？")
    assert (a.kind, a.predicate) == ("able", "单方面撤回")
    assert asked("我能拿欠条直接去法院起诉吗，还是必须先仲裁？").predicate == "拿欠条直接去法院起诉"
    assert asked("这个遗嘱有效吗？").kind == "valid"
    assert asked("我想申请劳动仲裁要经济补偿，行不行？").predicate == "申请劳动仲裁要经济补偿"
    assert asked("经济补偿应该给我多少？") is None


def test_a_clause_that_decides_what_is_asked(corpus):
    withdraw = _clause(corpus, CIVIL, 1077)
    q = "我们2026年12月1日递交了离婚登记申请，三十日内他后悔了，他能单方面撤回离婚登记申请吗？"
    assert clause_verdict(q, withdraw, sure=True) == "能。"
    assert clause_verdict(q, withdraw, sure=False) == ""   # a clause matched only weakly decides nothing
    usury = _clause(corpus, CIVIL, 680)
    assert clause_verdict("朋友问我，个人能高利放贷吗？", usury, sure=True) == "不能。"
    invalid = _clause(corpus, CIVIL, 153)
    q = "我们签的合同违反了法律、行政法规的强制性规定，这个民事法律行为还有效吗？"
    assert clause_verdict(q, invalid, sure=True) == "一般无效。"   # 但是…除外: the exception is kept
    # naming the deed is not meeting the clause's condition: no 无效 for a contract merely unsealed
    assert clause_verdict("我们签的合同没盖章，这个合同还有效吗？", invalid, sure=True) == ""


@pytest.mark.parametrize("law,no,item,question", [
    # 不得 binds the neighbour's filming: it does not say whether I may demand removal
    (CIVIL, 1033, 2, "邻居的摄像头对着我家拍摄住宅，我能要求他拆掉摄像头吗？"),
    # a partial point (全部) is not answered by the clause's yes
    (CIVIL, 1077, 0, "离婚登记申请三十日内，他能把离婚登记申请全部撤回吗？"),
])
def test_no_yes_no_where_the_clause_does_not_answer_it(corpus, law, no, item, question):
    assert clause_verdict(question, _clause(corpus, law, no, 1, item), sure=True) == ""


def test_refusing_what_the_clause_forbids_the_other_side(corpus):
    """不得安排夜班 binds the employer: it answers whether the person may refuse — where the facts meet the
    clause's threshold; a count below it (怀孕五个月 against 七个月以上) gives no yes/no."""
    night = _clause(corpus, "中华人民共和国劳动法", 61)
    assert clause_verdict("我怀孕七个半月了，单位安排我上夜班，我可以拒绝上夜班吗？", night, True) == "可以。"
    assert clause_verdict("我怀孕五个月了，单位安排我上夜班，我可以拒绝上夜班吗？", night, True) == ""


def test_the_forum_the_law_requires_answers_can_i_sue_directly(corpus):
    labor = "公司把我辞退了，我能直接去法院起诉吗？"
    nxt = next_steps_for(labor, Routing("labor_dismissal", (), 0.9, {"labor_dismissal": 5.0}, ""), corpus)
    assert forum_verdict(labor, nxt) == "不能，须先申请劳动仲裁（见下一步）。"
    retiree = "我已经退休领退休金了，在超市打工被辞了，我想申请劳动仲裁要经济补偿，行不行？"
    nxt = next_steps_for(retiree, Routing("labor_dismissal", (), 0.9, {"labor_dismissal": 5.0}, ""), corpus)
    assert forum_verdict(retiree, nxt).startswith("不能，应当直接向人民法院起诉")
    info = "我向县政府申请公开征地文件，他们答复不予公开，我能直接去法院告吗？"
    assert forum_verdict(info, next_steps_for(info, route(info), corpus)).startswith("不能，须先申请行政复议")
    # a fine not made on the spot may go to court directly: no yes/no from the forum
    fine = "市场监管局给我开了两万元的罚款决定书，我不服，能直接起诉吗？"
    assert forum_verdict(fine, next_steps_for(fine, route(fine), corpus)) == ""


def test_where_no_yes_no_follows_the_deciding_fact_is_named(corpus):
    item = _clause(corpus, CIVIL, 1079, 3, 4)
    q = "我跟老婆感情不和分开住了，法院能判离吗？"
    cond = item.text[3:].rstrip("。；")
    assert deciding_fact(q, item) == f"结论取决于您的情况是否符合该项的条件（{cond}）。"
    assert deciding_fact("离婚怎么分财产？", item) == ""   # no yes/no asked


def test_the_decided_answer_states_the_clause_verdict_and_never_an_echo(corpus):
    from lawglm.answer.clauses import is_echo
    from lawglm.answer.grounded import sentences

    q = "我们2026年12月1日递交了离婚登记申请，三十日内他后悔了，他能单方面撤回离婚登记申请吗？"
    article = corpus.get(CIVIL, 1077)
    d = decide_answer(q, [article], corpus, routing=Routing("marriage", (), 0.9, {"marriage": 5.0}, ""))
    assert d.conclusion.startswith("能。") and "第一千零七十七条" in d.conclusion
    assert not any(is_echo(s, q) for s in sentences(d.conclusion))


def test_a_court_rule_for_one_matter_does_not_answer_other_court_questions(corpus):
    """A protection order goes to court, but that does not make every court question a 能."""
    q = "老公动手打我，我能起诉离婚吗？"
    nxt = next_steps_for(q, Routing("marriage", (), 0.9, {"marriage": 5.0}, ""), corpus)
    assert nxt.forum[0] == "人民法院" and forum_verdict(q, nxt) == ""


def test_the_clause_asked_about_decides(corpus):
    """Asked when: the clause that states the specific period decides (民法典第一千一百二十四条 for a 受遗赠);
    its length stays named in 下一步 even where the quotation is elided there."""
    q = ("2026年11月15日我才知道，老朋友在遗嘱里把一幅字画留给了我（我不是他的亲属）。"
         "我需要做什么吗？有期限吗？")
    d = decide_answer(q, [corpus.get(CIVIL, 1133)], corpus,
                      routing=Routing("inheritance", (), 0.9, {"inheritance": 5.0}, ""))
    assert d.clause.article.article_no == 1124 and "六十日" in d.conclusion
    assert any(line.startswith("期限：接受或者放弃受遗赠的期限（六十日）") for line in d.next.lines)


def test_the_deciding_fact_is_never_an_echo_of_the_question(corpus):
    """A question that copies the clause's condition gets no sentence handing its own words back."""
    from lawglm.answer.clauses import is_echo
    from lawglm.answer.grounded import sentences

    item = _clause(corpus, CIVIL, 1079, 3, 4)
    q = "我们因感情不和分居满二年，因感情不和分居满二年的，法院能判离吗？"
    d = decide_answer(q, [item.article], corpus, routing=Routing("marriage", (), 0.9, {"marriage": 5.0}, ""))
    assert not any(is_echo(s, q) for s in sentences(d.conclusion))


# --- made-up clauses: each question form, who is bound, conditions the facts meet or fail -------------
def _made(text: str, no: int = 1, paragraph: int = 1, item: int = 0):
    return next(c for c in split(Article("示例条例", no, text)) if (c.paragraph, c.item) == (paragraph, item))


@pytest.mark.parametrize("question,kind,predicate", [
    ("孩子八个月大，我有哺乳假吗？", "have", "哺乳假"),
    ("公司有没有加班补贴？", "have", "加班补贴"),
    ("狗咬了人，他要赔吗？", "must", "赔"),
    ("我需要自己证明吗？", "must", "自己证明"),
    ("调解成了还会罚款吗？", "will", "罚款"),
    ("下班路上摔伤，这算工伤吗？", "is", "工伤"),
    ("这能算工伤吗？", "is", "工伤"),
    ("他才十五岁，是不是不用负刑事责任？", "is", "不用负刑事责任"),
    ("这遗嘱算数吗？", "valid", ""),
    ("受伤一年多了还能认工伤吗", "is", "工伤"),             # no question mark: its 吗 ends it
    ("房东要不要赔", "must", "赔"),
    ("试用期被辞退，这合法吗。。", "legal", ""),
    ("房东把我的东西扔了，他能这样吗？", "legal", ""),
])
def test_more_question_forms_are_read(question, kind, predicate):
    a = asked(question)
    assert (a.kind, a.predicate) == (kind, predicate)


def test_a_duty_on_the_other_side_answers_the_persons_right():
    nursing = _made("用人单位应当在每天的劳动时间内为哺乳期女职工安排一小时哺乳假。")
    assert clause_verdict("宝宝八个月大，我回公司上班了。我有哺乳假吗？", nursing, True) == "应当有。"
    assert clause_verdict("宝宝八个月大，我有年休假吗？", nursing, True) == ""   # another thing: no answer
    dog = _made("饲养的动物造成他人损害的，动物饲养人应当承担侵权责任。")
    assert clause_verdict("邻居的狗把我咬伤了，他要赔吗？", dog, True) == "需要。"


def test_a_prohibition_on_the_person_and_on_refusing():
    no_refuse = _made("劳动者不得拒绝用人单位依法安排的值班。")
    assert clause_verdict("单位安排我值班，我可以拒绝值班吗？", no_refuse, True) == "不可以。"


def test_a_court_clause_answers_a_court_question_in_general_where_it_says_so():
    gift = _made("双方已办理结婚登记且共同生活，离婚时一方请求返还彩礼的，人民法院一般不予支持。")
    assert clause_verdict("结婚三年有孩子了，要离婚，彩礼能要回来吗？", gift, True) == "一般不能。"
    divorce = _made("有下列情形之一，调解无效的，应当准予离婚：\n（一）因感情不和分居满二年；\n"
                    "（二）其他情形。", item=1)
    q = "我们因为感情不和已经分居两年多了，法院能判离吗？"
    assert clause_verdict(q, divorce, True) == "一般会。"   # 调解无效的: the lead-in's own condition
    assert clause_verdict("我们因为感情不和分居一年多了，法院能判离吗？", divorce, True) == ""


def test_an_exception_gives_in_general():
    keep = _made("出租人应当返还押金，但是承租人有损坏的除外。")
    assert clause_verdict("退租了，房东要退押金吗？", keep, True) == "一般需要。"
    spot = _made("违法事实确凿的，执法人员可以当场收缴罚款，法律另有规定的，从其规定。")
    assert clause_verdict("违法事实确凿，执法人员能当场收缴罚款吗？", spot, True) == "一般可以。"


def test_a_condition_that_excludes_the_person_gives_no():
    commute = _made("职工在上下班途中，受到非本人主要责任的交通事故伤害的，应当认定为工伤。")
    q = "下班路上闯红灯撞了车，交警认定我负主要责任。我能报工伤吗？"
    assert condition_check(q, commute.text) == "excluded"
    # the no names the clause's own exclusion it rests on
    said = clause_verdict(q, commute, True)
    assert said == "一般不能——该规定只适用于“非本人主要责任”的情形，与您所说的不符。"
    other = "下班路上被车撞了，交警认定对方负主要责任。我能报工伤吗？"
    assert condition_check(other, commute.text) == "unknown"   # 非本人: said of the other side, it holds
    assert clause_verdict(other, commute, True) == ""   # met is not read as yes: no bare 能 from 认定为工伤
    assert condition_check("怀孕7个半月了", "对怀孕7个月以上的女职工") == "met"
    assert condition_check("干了3年7个月，怀孕5个月了", "对怀孕7个月以上的女职工") == "unmet"
    assert condition_check("干了3年7个月", "对怀孕7个月以上的女职工") == "unknown"   # 7个月 of another count


@pytest.mark.parametrize("question", [
    "退租了，房东要全部退押金吗？",           # a partial point
    "退租了，房东是不是不用退押金？",         # a negated point
    "我能要求房东赔偿装修费吗？",             # the clause says nothing of it
])
def test_no_verdict_for_a_partial_negated_or_other_point(question):
    keep = _made("出租人应当返还押金，但是承租人有损坏的除外。")
    assert clause_verdict(question, keep, True) == ""


def test_a_claim_against_another_party_than_the_clause_names_is_not_answered():
    platform = _made("消费者向网络交易平台提供者请求赔偿的，人民法院应予支持。")
    assert clause_verdict("东西坏了，我能找平台赔吗？", platform, True) == "能。"
    assert clause_verdict("东西坏了，我能找店家赔吗？", platform, True) == ""


def test_an_open_question_is_no_yes_no():
    assert asked("我能要多少钱啊？") is None
    assert asked("我能要点什么？") is None


def test_an_act_the_clause_forbids_is_not_allowed():
    """合法吗 / 他能这样吗 about an act the question tells of: 不合法 / 不能 where the clause forbids that
    very act (its words shared with what the question tells), nothing where it forbids another."""
    rule = _made("出租人不得擅自处置承租人留在房屋内的物品。")
    told = "房东趁我出差，擅自处置了我留在房屋内的物品。"
    assert clause_verdict(told + "这合法吗？", rule, True) == "不合法。"
    assert clause_verdict(told + "他能这样吗？", rule, True) == "不能。"
    assert clause_verdict("房东涨了房租。这合法吗？", rule, True) == ""
    allowed = _made("出租人可以在租期届满后收回房屋。")
    assert clause_verdict("租期到了，房东要收回房屋。这合法吗？", allowed, True) == ""   # never a bare 合法


def test_a_negative_word_of_the_facts_is_not_a_negated_point():
    label = _made("购买者以食品标签不合格为由请求支付十倍赔偿金，标签瑕疵不影响食品安全的，"
                  "人民法院不予支持。")
    assert clause_verdict("饼干标签有错别字，我能以标签不合格要十倍赔偿吗？", label, True) == "不能。"
    assert clause_verdict("饼干标签有错别字，我能不要十倍赔偿吗？", label, True) == ""


def test_a_prohibition_on_the_party_the_person_is():
    """男方不得提出离婚 binds the person who speaks of 老婆: their own 起诉离婚 is answered (一般: 但…除外);
    a person who speaks of 老公 is not the one bound."""
    from lawglm.answer.yesno import asker_roles

    rule = _made("女方在怀孕期间，男方不得提出离婚，但是，女方提出离婚的除外。")
    assert asker_roles("老婆怀孕四个月了") == {"男方"}
    assert clause_verdict("老婆怀孕四个月了，我现在能起诉离婚吗？", rule, True) == "一般不能。"
    assert clause_verdict("我怀孕四个月了，老公想离婚，我现在能起诉离婚吗？", rule, True) == ""


def test_all_of_it_where_the_clause_gives_it_within_a_limit():
    rule = _made("购买者明知食品不合格仍请求十倍赔偿的，人民法院应当在合理生活消费需要范围内依法支持。")
    q = "我明知道零食过期还买了20箱，想按十倍索赔，法院会全部支持吗？"
    assert clause_verdict(q, rule, True) == "不会。"
    assert clause_verdict("我明知道零食过期还买了，想按十倍索赔，法院会支持吗？", rule, True) == "会。"


def test_a_one_character_act_is_read_in_the_statutes_words():
    rule = _made("经营者提供的商品不符合质量要求的，消费者可以依照国家规定退货。")
    assert clause_verdict("冰箱买来五天就不制冷，我能坚持退吗？", rule, True) == "能。"
    assert clause_verdict("冰箱买来五天就不制冷，我能换吗？", rule, True) == ""


def test_a_duty_in_the_condition_is_not_the_consequence():
    offset = _made("行政机关已经给予当事人行政拘留的，应当依法折抵相应刑期。")
    assert clause_verdict("调解成了还会拘留吗？", offset, True) == ""


def test_precision_guards_never_a_bare_term_nor_a_thing_shared_by_one_word():
    injury = _made("职工在工作时间和工作场所内，因工作原因受到事故伤害的，应当认定为工伤。")
    # whether the deed meets the term's conditions is not read: no bare 算
    assert clause_verdict("我在车间干活时被机器砸伤了，这算工伤吗？", injury, True) == ""
    assert clause_verdict("我在车间干活时被机器砸伤了，这不算工伤吗？", injury, True) == ""
    court = _made("当事人可以向人民法院起诉。")
    assert clause_verdict("我有必要起诉吗？", court, True) == ""   # 起诉 alone is not the thing asked


def test_a_consequence_of_a_lapsed_period_is_not_a_yes_no():
    from lawglm.answer.clauses import split as split_clauses
    from lawglm.answer.yesno import clause_verdict as verdict_of

    # made-up articles: refusal follows a period's lapse, which the question does not date
    late = split_clauses(Article("示例法", 3, "当事人逾期提出申请的，人民法院不予受理。"))[0]
    assert verdict_of("判决书收到好久了，我还能申请吗？", late, True) == ""
    limit = split_clauses(Article("示例法", 4, "超过起诉期限起诉的，人民法院不予受理。"))[0]
    assert verdict_of("我现在能起诉吗？", limit, True) == ""
    # a lease's end is no lapse of the person's period: the clause still answers
    lease = split_clauses(Article("示例法", 5, "租赁期间届满时，承租人请求出租人补偿装修费用的，不予支持。"))
    lease = lease[0]
    assert verdict_of("租期到了，我能让房东补偿装修费用吗？", lease, True).endswith("不能。")
