"""Yes / no from the deciding clause's own words (answer/yesno.py): stated only where the clause's
consequence is what the question asks; never from a prohibition on the other side's conduct, a partial or
negated point; the forum 下一步 requires answers 能直接起诉吗; otherwise the clause's condition is named as
what decides it."""

import pytest

from lawglm.answer.areas import next_steps_for
from lawglm.answer.clauses import split
from lawglm.answer.decided import decide_answer
from lawglm.answer.yesno import asked, clause_verdict, deciding_fact, forum_verdict
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


def test_refusing_is_not_the_act_the_clause_forbids(corpus):
    night = _clause(corpus, "中华人民共和国劳动法", 61)
    q = "我怀孕七个月以上了，单位安排我上夜班劳动，我可以拒绝上夜班吗？"
    assert clause_verdict(q, night, sure=True) == ""   # 不得安排 is the employer's act, not my refusal


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
