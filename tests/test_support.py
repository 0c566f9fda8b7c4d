"""Support checking on hand-written answers: does each cited article say what the answer attributes to it?

Article text is taken from the installed laws.db at test time; the answers around it are ours.
"""

from __future__ import annotations

import json

import pytest

from lawglm.answer.support import check_support, parse_sources, reason_text
from lawglm.cli import main
from lawglm.statutes.citations import verify

CIVIL = "中华人民共和国民法典"
LABOR = "中华人民共和国劳动合同法"
LABOR_LAW = "中华人民共和国劳动法"
CRIMINAL = "中华人民共和国刑法"


def first_sentence(text: str) -> str:
    return text.split("。")[0] + "。"


def run(text, sources, corpus):
    return check_support(text, verify(text, corpus), sources, corpus)


def by_no(cites):
    return {c.article_no: c for c in cites}


def test_exact_quote_of_a_source_is_supported(corpus):
    a = corpus.get(CIVIL, 1254)
    text = f"根据《民法典》第一千二百五十四条规定：“{first_sentence(a.text)}”因此不得高空抛物。"
    out, [c] = run(text, [a, corpus.get(CIVIL, 1165)], corpus)
    assert out == text and c.verified and c.supported
    assert c.support["reason"] == "supported" and c.support["kind"] == "quote" and c.support["score"] == 1.0
    assert c.to_dict()["supported"] is True and c.to_dict()["support"]["reason"] == "supported"


def test_misattributed_quote_is_corrected_to_the_source_it_comes_from(corpus):
    a46, a47 = corpus.get(LABOR, 46), corpus.get(LABOR, 47)
    quote = a47.text.split("\n")[0]
    text = (f"依照《劳动合同法》第四十六条规定：“{quote}”另外，《中华人民共和国民法典》第一千二百五十四条"
            f"规定：“{first_sentence(corpus.get(CIVIL, 1254).text)}”")
    out, cites = run(text, [a46, a47, corpus.get(CIVIL, 1254)], corpus)
    fixed, civil = cites
    assert "《劳动合同法》第四十七条规定" in out and "第四十六条" not in out
    assert (fixed.law, fixed.article_no, fixed.article) == (LABOR, 47, a47) and fixed.supported
    assert fixed.support["corrected_from"] == "《劳动合同法》第四十六条"
    assert fixed.raw == "《劳动合同法》第四十七条" and out[fixed.span[0]:fixed.span[1]] == "第四十七条"
    assert (
        out[civil.span[0] : civil.span[1]] == "第一千二百五十四条" and civil.supported
    )  # spans after it moved
    assert reason_text(fixed) == "原文写作第四十六条，已更正"


def test_quote_from_another_law_is_corrected_with_the_law_name(corpus):
    labor_law_25 = corpus.get(LABOR_LAW, 25)
    quote = labor_law_25.text.split("\n")[0] + "……" + labor_law_25.text.split("\n")[3]
    text = f"《劳动合同法》第二十五条规定：“{quote}”"
    out, [c] = run(text, [labor_law_25, corpus.get(LABOR, 39)], corpus)
    assert out.startswith(f"《{LABOR_LAW}》第二十五条规定") and c.supported and c.law == LABOR_LAW
    assert c.support["corrected_from"] == "《劳动合同法》第二十五条" and out[
        c.span[0] : c.span[1]
    ].startswith("《")


def test_quote_from_no_source_says_which_article_it_really_comes_from(corpus):
    a85 = corpus.get(LABOR, 85)
    text = f"《劳动合同法》第五十条规定：“{a85.text.split('；')[0]}”"
    out, [c] = run(text, [corpus.get(LABOR, 50), corpus.get(LABOR, 46)], corpus)
    assert out == text and c.verified and not c.supported
    s = c.support
    assert s["reason"] == "quote_mismatch" and s["in_sources"] is True
    assert s["actual"]["article_no"] == 85 and s["actual"]["in_sources"] is False
    assert reason_text(c) == f"引文与该条原文不符，实为《{LABOR}》第八十五条"


def test_quote_with_a_changed_number_is_not_supported(corpus):
    a = corpus.get(CRIMINAL, 264)
    assert a.text.count("处三年以下有期徒刑") == 1
    wrong = a.text.replace(
        "处三年以下", "处五年以下"
    )  # 2 of ~140 trigrams differ: n-grams alone would pass it
    _, [c] = run(f"《刑法》第二百六十四条规定：“{wrong}”", [a], corpus)
    assert (
        c.support["reason"] == "quote_mismatch" and c.support["score"] > 0.95 and "五" in c.support["differs"]
    )


def test_quote_with_added_words_is_not_supported(corpus):
    a = corpus.get(CIVIL, 1165)
    padded = first_sentence(a.text) + "受害人还可以要求侵权人公开赔礼道歉并赔偿全部精神损失。"
    _, [c] = run(f"《民法典》第一千一百六十五条规定：“{padded}”", [a], corpus)
    assert c.support["reason"] == "quote_mismatch" and 0.4 < c.support["score"] < 0.8


def test_claim_that_says_what_the_article_says_is_supported(corpus):
    a = corpus.get(CIVIL, 1165)
    claim = first_sentence(a.text).replace("损害的", "损害")  # a paraphrase: same words, one dropped
    text = f"您好，根据《中华人民共和国民法典》第1165条，{claim}请保留证据。"
    out, [c] = run(text, [a], corpus)
    assert c.supported and c.support["kind"] == "claim" and out == text


def test_claim_that_changes_a_modal_adds_or_says_something_else_is_unrelated(corpus):
    a1165, a1254 = corpus.get(CIVIL, 1165), corpus.get(CIVIL, 1254)
    clause = next(s for s in a1254.text.split("；") if "自己不是侵权人" in s)
    cases = [
        (a1254, "一千二百五十四", clause.replace("不是", "是") + "。"),  # a dropped 不: >0.9 trigrams match
        (
            a1165,
            "一千一百六十五",
            first_sentence(a1165.text)[:-1] + "，并应当公开赔礼道歉、赔偿全部精神损失。",
        ),
        (a1165, "一千一百六十五", "借款合同应当采用书面形式，利息不得预先在本金中扣除。"),
    ]
    for art, no, claim in cases:
        _, [c] = run(f"依据《民法典》第{no}条，{claim}", [art], corpus)
        assert not c.supported and c.support["reason"] == "unrelated", claim
    dropped = run(f"依据《民法典》第一千二百五十四条，{cases[0][2]}", [a1254], corpus)[1][0]
    assert dropped.support["score"] >= 0.9 and "不" in dropped.support["differs"]
    assert reason_text(dropped).startswith("回答与该条原文不一致")
    assert reason_text(c) == "该条与回答内容无关"


def test_citation_with_no_words_tied_to_it_is_unrelated(corpus):
    a = corpus.get(CIVIL, 1254)
    _, [c] = run("详见《民法典》第一千二百五十四条。", [a], corpus)
    assert c.support["reason"] == "unrelated" and c.support["kind"] == "none"


def test_citation_not_among_the_sources(corpus):
    a20 = corpus.get(CRIMINAL, 20)
    text = f"《刑法》第二十条规定，{first_sentence(a20.text)}"
    _, [c] = run(text, [corpus.get(CIVIL, 1254)], corpus)
    assert c.verified and not c.supported
    assert c.support["reason"] == "not_in_sources" and c.support["matches"] is True
    assert reason_text(c) == "该条不在检索到的依据中（条文内容与回答相符）"


def test_invented_and_repealed_articles_stay_unsupported(corpus):
    a = corpus.get(CIVIL, 1254)
    text = f"《民法典》第88888条规定：“{first_sentence(a.text)}”另见《火星法》第一条。"
    out, cites = run(text, [corpus.get(CIVIL, 1165)], corpus)
    c = by_no(cites)
    assert c[88888].support["reason"] == "article_not_found" and not c[88888].supported
    assert c[1].support["reason"] == "law_not_found" and out == text
    repealed = next(x for x in corpus.articles if x.status == "已废止")
    text = f"《{repealed.law}》{repealed.label}规定，{first_sentence(repealed.text)}"
    _, [r] = run(text, [repealed], corpus)
    assert r.reason == "repealed" and r.support["reason"] == "repealed" and not r.supported


def test_invented_number_whose_quote_is_a_source_is_corrected(corpus):
    a = corpus.get(CIVIL, 1254)
    out, [c] = run(f"《民法典》第88888条规定：“{first_sentence(a.text)}”", [a], corpus)
    assert c.supported and c.article_no == 1254 and c.support["original_reason"] == "article_not_found"
    assert out.startswith("《民法典》第1254条规定：") and c.support["corrected_from"] == "《民法典》第88888条"


def test_quote_shared_by_two_sources_is_not_re_pointed(corpus):
    art = corpus.get(LABOR, 39)
    labor_law = corpus.get(LABOR_LAW, 25)
    common = art.text.split("\n")[0]
    assert common in labor_law.text  # both begin 劳动者有下列情形之一的，用人单位可以解除劳动合同：
    out, [c] = run(
        f"《民法典》第一千零四十二条规定：“{common}”", [art, labor_law, corpus.get(CIVIL, 1042)], corpus
    )
    assert out.startswith("《民法典》第一千零四十二条") and c.support["reason"] == "quote_mismatch"


def test_quote_before_a_parenthesised_citation(corpus):
    a = corpus.get(CIVIL, 1254)
    text = f"“{first_sentence(a.text)}”（《民法典》第一千二百五十四条）"
    _, [c] = run(text, [a], corpus)
    assert c.supported and c.support["kind"] == "quote"


def test_grounded_basis_items_with_excerpts_are_supported(corpus):
    a46, a47 = corpus.get(LABOR, 46), corpus.get(LABOR, 47)
    excerpt = a47.text.split("。")[0] + "……" + a47.text.split("。")[2]
    text = ("结论：公司应当支付经济补偿。\n\n法律依据：\n"
            f"1. {a46.citation}（现行有效）：“{a46.text.splitlines()[0]}”\n"
            f"2. {a47.citation}（现行有效）：“{excerpt}”")
    _, cites = run(text, [a46, a47], corpus)
    assert [c.supported for c in cites] == [True, True]


def test_retrieval_only_answers_are_supported(retrieval_assistant):
    ans = retrieval_assistant.ask("从建筑物中抛掷物品造成他人损害，谁承担责任？", top_k=5)
    # the 结论's deciding clause is checked at 款/项 grain, 法律依据 as verbatim blocks, the rest as quotes
    assert ans.citations and all(c.supported for c in ans.citations)
    assert ans.citations[0].support["kind"] == "clause" and ans.citations[0].paragraph == 1
    assert {c.support["kind"] for c in ans.citations} <= {"clause", "block", "quote"}
    assert all(c.support["score"] >= 0.95 for c in ans.citations)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "第",
        "《》第条",
        "《民法典》第一千二百五十四条“",
        "“”《民法典》第1254条（",
        "根据《民法典》第1254条、第1255条至第1258条和第十、十一条规定：\n\n\n",
        "《" * 500 + "民法典》第1254条" + "”" * 50,
        "１２５４条\x00\ufeff《民法典》第１２５４条：",
    ],
)
def test_odd_text_never_raises(corpus, text):
    out, cites = run(text, [corpus.get(CIVIL, 1254)], corpus)
    assert isinstance(out, str) and all(c.support and "reason" in c.support for c in cites)


def test_unchecked_citations_serialise_as_null(corpus):
    [c] = verify("《民法典》第1254条", corpus)
    assert c.to_dict()["supported"] is None and c.to_dict()["support"] is None


# --- sources named by a person ----------------------------------------------------------------------
def test_parse_sources_compact_and_citation_forms(corpus):
    arts = parse_sources(
        ["民法典1079,劳动合同法85；《中华人民共和国刑法》第二十条、第二十一条", "民法典1079"], corpus
    )
    assert [(a.law, a.article_no) for a in arts] == [
        (CRIMINAL, 20),
        (CRIMINAL, 21),
        (CIVIL, 1079),
        (LABOR, 85),
    ]
    for bad in ("火星法1", "民法典99999", "《民法典》第99999条"):
        with pytest.raises(ValueError, match="sources"):
            parse_sources(bad, corpus)


def test_cli_verify_with_sources(capsys, corpus, tmp_path):
    a85 = corpus.get(LABOR, 85)
    text = (f"《劳动合同法》第五十条规定：“{a85.text.split('；')[0]}”另《民法典》第一千零七十九条规定，"
        "借款应当按期归还。")
    with pytest.raises(SystemExit) as exc:
        main(["verify", text, "--sources", "劳动合同法85,劳动合同法50", "--sources", "民法典1079"])
    out = capsys.readouterr().out
    assert exc.value.code == 3
    assert "✓ 《劳动合同法》第八十五条  原文写作第五十条，已更正" in out
    assert "⚠ 《民法典》第一千零七十九条  该条与回答内容无关" in out and "已更正的文本：" in out
    src = tmp_path / "sources.txt"
    src.write_text("劳动合同法85\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["verify", text.split("另")[0], "--sources", str(src), "--json"])
    body = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0 and body["all_supported"] and "第八十五条" in body["text"]
    assert body["citations"][0]["support"]["corrected_from"] == "《劳动合同法》第五十条"


def test_cli_verify_bad_sources_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "依据《民法典》第1254条", "--sources", "火星法1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 1 and len(err) == 1 and "火星法1" in err[0]
