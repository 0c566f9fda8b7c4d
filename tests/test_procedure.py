"""A question asking what to do or where to go (怎么办 / 去哪告) gets the first forum and the period that
binds the person in its 结论 (answer/decided.procedure), from the question's area — never when routing is
unsure, never the employer's period, and never at the cost of 下一步's own first step."""

from datetime import date

from lawglm.answer.areas import NextSteps
from lawglm.answer.decided import compose_decided, decide_answer, procedure

TODAY = date(2026, 12, 7)


def _conclusion(q, corpus):
    return decide_answer(q, [], corpus, TODAY).conclusion


def test_administrative_fine_names_review_and_its_last_day(corpus):
    c = _conclusion("城管罚了我500块，是2026年11月20日的决定书，我不服怎么办？", corpus)
    assert ("怎么办：可以先向行政复议机关申请行政复议；行政复议申请期限为六十日，按您说的日期，"
            "最后一日为2027年1月19日") in c
    assert "三年" not in c


def test_labor_says_arbitration_comes_first(corpus):
    q = "公司拖欠我三个月工资，我该怎么办？"
    d = decide_answer(q, [], corpus, TODAY)
    assert ("怎么办：须先向劳动争议仲裁委员会申请劳动仲裁，对结果不服再向人民法院起诉；"
            "劳动仲裁时效为一年") in d.conclusion
    text = compose_decided(d, d.conclusion, corpus)[0]
    first_step = text.split("下一步：\n", 1)[1].split("\n", 1)[0]
    assert "劳动争议须先仲裁，对裁决不服再向人民法院起诉" in first_step  # not dropped as a repeat of the 结论


def test_work_injury_states_the_workers_own_period(corpus):
    from lawglm.statutes.corpus import Corpus
    from lawglm.statutes.shipped import read_shipped

    q = "我在工地摔伤了，老板不给报工伤，怎么办？"
    with_regulation = Corpus([*corpus.articles, *(a for a in read_shipped() if a.law == "工伤保险条例")])
    c = _conclusion(q, with_regulation)
    assert "须先向社会保险行政部门申请工伤认定；本人或近亲属申请工伤认定的期限为1年" in c and "30日" not in c
    # without the regulation its period cannot be quoted, and another area's period never stands in for it
    c = _conclusion(q, corpus)
    assert "怎么办：须先向社会保险行政部门申请工伤认定（详见下一步）。" in c and "劳动仲裁时效" not in c


def test_only_for_questions_asking_what_to_do(corpus):
    assert "怎么办：" not in _conclusion("公司拖欠我三个月工资，合法吗？", corpus)
    # 找谁赔 asks who is liable, not where to go
    assert "怎么办：" not in _conclusion("楼上掉下来花盆砸伤了我，找不到是谁家的，我该找谁赔？", corpus)


def test_unsure_area_or_unknown_forum_says_nothing():
    assert procedure("我该怎么办？", NextSteps("wages", forum=["劳动争议仲裁委员会"], unsure=True)) == ""
    assert procedure("我该怎么办？", NextSteps("other", forum=[])) == ""
    assert procedure("我该怎么办？", NextSteps("marriage", forum=["婚姻登记机关"])) == ""
    assert procedure("我该怎么办？", None) == ""
    assert procedure("我该怎么办？", NextSteps("wages", forum=["劳动争议仲裁委员会", "人民法院"])) == \
        "怎么办：须先向劳动争议仲裁委员会申请劳动仲裁，对结果不服再向人民法院起诉（详见下一步）。"
