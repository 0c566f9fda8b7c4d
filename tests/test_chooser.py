"""The deciding-article chooser (answer/chooser.py): features of each candidate, the pick, the sure /
unsure line in the 结论, and its weights file read at start-up (made-up articles, not statute text)."""

import json

import pytest

from lawglm.answer import chooser as ch
from lawglm.answer.decided import decide_answer
from lawglm.errors import ModelError
from lawglm.records import Article
from lawglm.search.routing import Routing

SURE = "起决定作用的是"
CLOSEST = "与您的问题最相关的是"
CIVIL = Routing("debt", (), 0.9, {"debt": 5.0}, "")
# higher word overlap with the question (债务 清偿 偿还 …), but about someone else's debts
HEIRS = Article("示例法", 11, "继承人以所得遗产实际价值为限清偿被继承人依法应当缴纳的税款和债务，"
                             "超过部分继承人自愿偿还的不在此限，夫妻一方所欠债务亦同。")
# names the question's subject (个体工商户) before 的债务
SHOP = Article("示例法", 56, "个体工商户的债务，个人经营的，以个人财产承担；家庭经营的，以家庭财产承担。")
Q = "夫妻一方经营个体工商户所欠债务，由谁偿还？"


def _write(path, **over):
    data = {"weights": {"rank_rr": 1.0, "clause": 0.2, "subject": 3.0}, "bias": -3.0, "sure_at": 0.8,
            "rank_scores": [0.4, 0.2], **over}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_features_see_the_subject_the_question_names():
    (f_heirs, _, s_heirs), (f_shop, c_shop, s_shop) = ch.features(Q, [HEIRS, SHOP], [0.4, 0.2])
    assert s_heirs > s_shop >= 3  # the premise: the unrelated article shares more words
    assert f_shop["subject"] == 1.0 and f_heirs["subject"] == 0.0
    assert f_heirs["rank_rr"] == 1.0 and f_shop["rank_rr"] == 0.5
    assert f_shop["score_gap"] == pytest.approx(-0.2)
    assert c_shop.article is SHOP and f_shop["clause_margin"] < 0 < f_heirs["clause_margin"]


def test_the_article_whose_subject_the_question_names_is_chosen_over_a_higher_overlap_one(tmp_path):
    chooser = ch.load_chooser(_write(tmp_path / "w.json"))
    pick = chooser.choose(Q, [HEIRS, SHOP], [0.4, 0.2])
    assert pick.clause.article is SHOP and pick.rank == 1 and 0 < pick.probability < 1
    d = decide_answer(Q, [HEIRS, SHOP], None, routing=CIVIL, scores=[0.4, 0.2], chooser=chooser)
    assert d.clause.article is SHOP and d.origin == "matched" and "第五十六条" in d.conclusion
    assert d.basis[0] is SHOP  # 法律依据 puts it first
    # without the subject weight the same words pick the article that shares more of them
    plain = ch.load_chooser(_write(tmp_path / "p.json", weights={"rank_rr": 1.0, "clause": 0.2}))
    assert plain.choose(Q, [HEIRS, SHOP], [0.4, 0.2]).clause.article is HEIRS


def test_an_uncertain_pick_is_marked_unsure_and_a_confident_one_decides(tmp_path):
    unsure = ch.load_chooser(_write(tmp_path / "u.json", sure_at=0.99))
    d = decide_answer(Q, [HEIRS, SHOP], None, routing=CIVIL, scores=[0.4, 0.2], chooser=unsure)
    assert d.probability < 0.99 and not d.sure
    assert CLOSEST in d.conclusion and SURE not in d.conclusion
    sure = ch.load_chooser(_write(tmp_path / "s.json", sure_at=0.3))
    d = decide_answer(Q, [HEIRS, SHOP], None, routing=CIVIL, scores=[0.4, 0.2], chooser=sure)
    assert d.probability >= 0.3 and d.sure and SURE in d.conclusion and d.clause.article is SHOP


def test_words_alone_do_not_decide_against_the_model(tmp_path):
    """A clause that matches many of the question's words, clearly more than the others, is still only the
    closest one when the model gives its article less than settings.DECIDING_WORDS_MIN_PROBABILITY."""
    low = ch.load_chooser(_write(tmp_path / "l.json", weights={"clause": 0.0}, bias=-2.0))
    d = decide_answer(Q, [HEIRS], None, routing=CIVIL, scores=[0.4], chooser=low)
    assert d.score >= 8 and d.margin >= 2 and d.probability < 0.5
    assert not d.sure and CLOSEST in d.conclusion


def test_unscored_sources_are_read_at_each_ranks_typical_score(tmp_path):
    chooser = ch.load_chooser(_write(tmp_path / "w.json"))
    assert [f["score"] for f, _, _ in ch.features(Q, [HEIRS, SHOP], None, chooser.rank_scores)] == [0.4, 0.2]
    assert chooser.choose(Q, [HEIRS, SHOP]).clause.article is SHOP


@pytest.mark.parametrize("text", [None, "{not json", '{"weights": {"rank_rr": 1}, "sure_at": 0.5}',
                                  '{"weights": {"nonsense": 1}, "bias": 0, "sure_at": 0.5}',
                                  '{"weights": {}, "bias": 0, "sure_at": 2}'])
def test_a_missing_or_corrupt_weights_file_fails_naming_it(tmp_path, text):
    path = tmp_path / "decider.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError, match="decider.json"):
        ch.load_chooser(path)


def test_the_assistant_reads_the_weights_at_start_up(tmp_path, monkeypatch):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    bad = tmp_path / "decider.json"
    bad.write_text("{", encoding="utf-8")
    monkeypatch.setattr(ch, "DEFAULT_CHOOSER", bad)
    ch.default_chooser.cache_clear()
    try:
        with pytest.raises(ModelError, match=str(bad)):
            Assistant(None, None, Settings())
    finally:
        monkeypatch.undo()
        ch.default_chooser.cache_clear()
    assert Assistant(None, None, Settings()).generator is None  # the shipped file loads


def test_the_shipped_weights_load():
    shipped = ch.load_chooser(ch.DEFAULT_CHOOSER)
    assert set(shipped.weights) <= set(ch.FEATURES) and 0 < shipped.sure_at <= 1
    assert len(shipped.rank_scores) == ch.CANDIDATES
