"""lawglm eval answers: key facts read from an answer's text, harm, echoes, the held-back split, the CLI."""

import json

import pytest

from lawglm.eval.answers import held_back, read_rows, score_answer, verdict

ROW = {
    "id": "t-1",
    "question": "公司把我辞退了，干了3年，月薪1万，能要多少？",
    "area": "labor_dismissal",
    "yes_no": "yes",
    "article": {"law": "中华人民共和国劳动合同法", "article_no": 47, "clause": "第一款"},
    "forum": "劳动仲裁",
    "deadline": {"days": None, "months": None, "years": 1},
    "deadline_end": "2027-10-31",
    "amount": {"value": 30000, "unit": "元"},
}
GOOD = (
    "结论：可以。起决定作用的是《中华人民共和国劳动合同法》第四十七条第一款，经济补偿为30,000元。\n\n"
    "下一步：\n1. 先向劳动争议仲裁委员会申请劳动仲裁。\n2. 期限：仲裁时效为一年，最后一日为2027年10月31日。"
)
CITED = [("中华人民共和国劳动合同法", 47, 1)]


def test_a_good_answer_scores_every_fact():
    s = score_answer(ROW, GOOD, CITED)
    assert s.facts == {"yes_no": True, "article": True, "forum": True, "deadline": True, "deadline_end": True,
                       "amount": True}
    assert s.harm == [] and not s.echo and s.clause


def test_harm_wrong_verdict_court_first_longer_deadline():
    bad = ("结论：不可以，公司不用给钱。\n\n下一步：\n1. 直接向人民法院起诉。\n2. 期限：诉讼时效三年。")
    s = score_answer(ROW, bad, CITED)
    assert set(s.harm) == {"yes_no", "forum", "deadline"}
    assert s.facts["yes_no"] is False and s.facts["forum"] is False and s.facts["deadline"] is False
    # the mandatory step first, then court: no harm
    ok = "结论：……\n\n下一步：\n1. 先申请劳动仲裁，对裁决不服再向人民法院起诉。\n2. 期限：一年。"
    assert score_answer(ROW, ok, CITED).harm == []


def test_forum_is_scored_strictly():
    """A forum named only as a later step, or ruled out, is not named as the first one."""
    court = dict(ROW, forum="法院")
    arbitration_first = ("结论：……\n\n下一步：\n1. 先向劳动争议仲裁委员会申请劳动仲裁；"
                         "劳动争议须先仲裁，不能直接向法院起诉，对仲裁裁决不服的，再向人民法院起诉。")
    assert score_answer(court, arbitration_first, CITED).facts["forum"] is False
    direct = "结论：……\n\n下一步：\n1. 不需要申请劳动仲裁，协商不成的，直接向人民法院起诉。"
    assert score_answer(court, direct, CITED).facts["forum"] is True
    # where 行政复议 must come first, offering direct litigation "where the law allows it" is a miss and harm
    review = dict(ROW, forum="行政复议")
    generic = ("结论：……\n\n下一步：\n1. 先向行政复议机关申请行政复议；"
               "法律规定可以直接起诉的，也可以向人民法院提起行政诉讼，但当场作出的行政处罚等情形必须先申请复议。")
    s = score_answer(review, generic, CITED)
    assert s.facts["forum"] is False and "forum" in s.harm
    mandatory = ("结论：……\n\n下一步：\n1. 须先向行政复议机关申请行政复议，不能直接向人民法院起诉；"
                 "对复议决定不服的，再依法向人民法院提起行政诉讼。")
    s = score_answer(review, mandatory, CITED)
    assert s.facts["forum"] is True and s.harm == []
    # a negation governs only the forum it is put to: 不需要仲裁直接向法院起诉 still sends one to court
    skip = "结论：……\n\n下一步：\n1. 不需要仲裁直接向法院起诉，也可以申请劳动仲裁。"
    assert "forum" in score_answer(ROW, skip, CITED).harm
    # court first, the mandatory step only after it: harm
    late = "结论：……\n\n下一步：\n1. 可以向人民法院起诉，也可以申请劳动仲裁。"
    assert "forum" in score_answer(ROW, late, CITED).harm


def test_a_period_in_the_statutes_words_is_stated():
    two = dict(ROW, deadline={"days": None, "months": None, "years": 2}, deadline_end=None)
    text = "结论：……\n\n下一步：\n1. 期限：请求国家赔偿的时效为两年。"
    assert score_answer(two, text, CITED).facts["deadline"] is True
    assert score_answer(two, text.replace("两年", "三年"), CITED).facts["deadline"] is False
    # a date is not a period: 2025年6月1日 is not a first period of 2025 years
    dated = "结论：……\n\n下一步：\n1. 期限：按您所说的2025年6月1日起算，两年，最后一日为2027年6月1日。"
    assert "deadline" not in score_answer(two, dated, CITED).harm


def test_abstaining_is_a_miss_not_harm_and_echoes_are_counted():
    s = score_answer(ROW, "结论：" + ROW["question"], [])
    assert s.facts["yes_no"] is False and "yes_no" not in s.harm and s.echo


@pytest.mark.parametrize(
    "text,want",
    [
        ("可以。依据……", "yes"),
        ("不可以，因为……", "no"),
        ("您有权要求……", "yes"),
        ("该遗嘱无效。", "no"),
        ("就您描述的情形，起决定作用的是……", None),
        ("“不得拍摄”是条文的话。", None),
    ],
)
def test_verdict(text, want):
    assert verdict(text) == want


def test_held_back_third(tmp_path):
    rows = [{"id": f"r-{i}", "question": "问"} for i in range(30)]
    f = tmp_path / "a.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    dev, held = read_rows(f, "dev"), read_rows(f, "heldout")
    assert len(dev) + len(held) == 30 and all(held_back(r["id"]) for r in held)
    assert not any(held_back(r["id"]) for r in dev) and len(read_rows(f, "all")) == 30


def test_cli_eval_answers_retrieval_only(tiny_index, tmp_path, capsys):
    from lawglm.cli import main

    f = tmp_path / "a.jsonl"
    f.write_text(json.dumps(dict(ROW, id="x-0"), ensure_ascii=False) + "\n", encoding="utf-8")
    assert not held_back("x-0")
    main(["eval", "answers", "--data", str(f), "--index-dir", str(tiny_index)])
    out = capsys.readouterr().out.strip().splitlines()
    report = json.loads(out[-1])
    m = report["modes"]["retrieval-only"]
    assert m["n"] == 1 and m["facts_scored"] == 6 and m["forum"] == 1.0 and m["amount"] == 1.0
    assert m["harm"] == 0 and m["echoes"] == 0


def test_rouge_scores_measure_the_slice_from_the_offset(tmp_path):
    """--rouge-offset: the rows from the offset are scored (a second slice), the first ones are not."""
    from types import SimpleNamespace

    from lawglm.eval.answers import rouge_scores
    from lawglm.records import Article

    rows = [{"question": f"问题{n}", "answer": text} for n, text in enumerate(["甲乙丙丁", "戊己庚辛"])]
    path = tmp_path / "lawyers.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    asked = []

    class Echo:  # answers every question with the second row's lawyer answer
        def ask(self, question, **_):
            asked.append(question)
            hit = SimpleNamespace(article=Article("示例法", 1, "戊己"))
            return SimpleNamespace(answer="戊己庚辛", retrieved=[hit])

    first = rouge_scores(str(path), {"m": (Echo(), None)}, 1, None)["m"]
    second = rouge_scores(str(path), {"m": (Echo(), None)}, 1, None, offset=1)["m"]
    assert first["rougeL"] == 0.0 and second["rougeL"] == 100.0
    assert second["rougeL_top2_quote"] == round(100 * 2 * (2 / 2 * 2 / 4) / (1 + 2 / 4), 2)
    assert asked == ["问题0", "问题1"]
