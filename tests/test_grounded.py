"""The grounded answer shape: excerpts, the sentence gate, 下一步, composition without repeats, the
training target, and the whole path through Assistant with a tiny model (accepted and fallback)."""

from __future__ import annotations

import pytest

from lawglm.answer.grounded import (
    CONCLUSION_HEAD,
    FALLBACK,
    FROM_SOURCES,
    SentenceGate,
    asks_what_to_do,
    compose,
    conclusion_target,
    dispute_kind,
    drop_repeats,
    next_steps,
    norm,
    quoted_conclusion,
    sentences,
    shown_basis,
)
from lawglm.answer.options import AskOptions
from lawglm.answer.prompts import TRIM_MARK, excerpt, paragraphs
from tests.conftest import teach

LABOR = "中华人民共和国劳动合同法"
CIVIL = "中华人民共和国民法典"


def test_excerpt_keeps_the_paragraphs_that_matter_verbatim(corpus):
    a = corpus.get(CIVIL, 1079)  # 有下列情形之一…（一）…（五） + later paragraphs
    out = excerpt(a.text, "夫妻因感情不和分居满二年，能判离婚吗？", 120)
    kept = [p for p in out.split("\n") if p != TRIM_MARK]
    assert all(p in paragraphs(a.text) for p in kept)  # verbatim paragraphs only
    assert any("分居满二年" in p for p in kept)
    lead = next(p for p in paragraphs(a.text) if p.startswith("有下列情形之一"))
    assert lead in kept  # an item keeps its lead-in
    assert TRIM_MARK in out and len("".join(kept)) <= 120
    short = corpus.get(CIVIL, 667)
    assert excerpt(short.text, "借款", 120) == short.text


def test_drop_repeats_removes_later_copies_and_keeps_quotes_verbatim():
    text = "借款应当返还。借款应当返还！另：“借款应当返还。利息另计。”完。"
    out = drop_repeats(text)
    assert out == "借款应当返还。另：“……利息另计。”完。"
    assert drop_repeats("是的。是的。") == "是的。是的。"  # too short to count as a sentence repeated
    # an amending article that restates an article shown above: its repeated lines fold into one ……
    once = "有下列情形之一的，处三年以下有期徒刑：\n（一）聚众哄闹、冲击法庭的；\n（二）殴打司法工作人员的。"
    again = drop_repeats(f"1. “{once}”\n2. “将第三百零九条修改为：{once}”")
    assert again.endswith("有期徒刑：\n……”") and again.count("……") == 1, again


@pytest.fixture(scope="module")
def labor_sources(corpus):
    return [corpus.get(LABOR, 82), corpus.get(LABOR, 10)]


def test_gate_keeps_grounded_sentences_and_stops_at_trouble(labor_sources, corpus):
    q = "公司一直不跟我签书面劳动合同，能要双倍工资吗？"
    gate = SentenceGate(q, labor_sources, corpus)
    kept = "用人单位超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
    assert gate.push(kept) == kept
    assert not gate.push(
        "用人单位超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
    )
    assert gate.dropped[-1][1] == "repetitive" and gate.stopped and not gate.push("另一句。")
    assert gate.verdict() == "accepted"


def test_an_intro_ending_in_a_colon_is_kept_only_with_what_it_announces(labor_sources, corpus):
    q = "公司一直不跟我签书面劳动合同，能要双倍工资吗？"
    intro = "根据《中华人民共和国劳动合同法》第八十二条规定："
    said = ("“用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，"
        "应当向劳动者每月支付二倍的工资。”")
    gate = SentenceGate(q, labor_sources, corpus)
    assert gate.push(intro) == "" and gate.conclusion == ""  # nothing shown yet
    assert gate.push(said) == intro + said and gate.conclusion == intro + said
    colon_stop = SentenceGate(q, labor_sources, corpus)  # 「规定：。」 reads as 「规定：」
    assert colon_stop.push(intro[:-1] + "：。") == "" and colon_stop.push(said) == intro + said
    alone = SentenceGate(q, labor_sources, corpus)
    alone.push("用人单位未签合同的，分别按照下列规定处理：")
    assert alone.conclusion == "" and alone.verdict() == "empty"  # the list it announced never came
    assert not alone.push("月亮绕着地球转，潮汐由此产生，渔民据此出海捕鱼。")
    assert [r for _, r in alone.dropped] == ["incomplete", "off_topic"]


@pytest.mark.parametrize("sentence, reason", [
    ("月亮绕着地球转，潮汐由此产生，渔民据此出海捕鱼。", "off_topic"),
    ("根据《中华人民共和国刑法》第二百六十四条，公司构成盗窃罪。", "unsupported"),
    ("【1】《中华人民共和国劳动合同法》第八十二条（现行有效）用人单位…", "copied_source"),
    ("书面书面书面书面书面书面书面书面书面书面。", "repetitive"),
    ("公司不签劳动合同，能不能要双倍工资。", "echo"),  # restates the question and still asks it
])
def test_gate_drops(labor_sources, corpus, sentence, reason):
    gate = SentenceGate("公司不签劳动合同，能要双倍工资吗？", labor_sources, corpus)
    assert not gate.push(sentence) and gate.dropped == [(sentence, reason)]
    assert gate.verdict() == reason and gate.conclusion == ""


def test_gate_keeps_a_paraphrase_but_not_its_attribution(labor_sources, corpus):
    source = labor_sources[0]
    gate = SentenceGate("公司不签劳动合同，能要双倍工资吗？", labor_sources, corpus)
    said = f"根据{source.citation}的规定，公司不签书面劳动合同满一个月的，应当每月支付劳动者二倍工资。"
    kept = gate.push(said)  # the words are not the article's: the claim stays, the attribution goes
    assert kept == "公司不签书面劳动合同满一个月的，应当每月支付劳动者二倍工资。" and gate.unattributed == 1
    quoted = SentenceGate("公司不签劳动合同，能要双倍工资吗？", labor_sources, corpus)
    exact = f"依据{source.citation}，" + source.text.split("。")[0] + "。"
    assert quoted.push(exact) == exact and quoted.unattributed == 0  # the article's own words keep it


def test_next_steps_for_a_labour_dispute_quote_the_limitation_period(corpus, labor_sources):
    assert dispute_kind("公司拖欠我三个月工资", labor_sources) == "labor"
    assert dispute_kind("全国人大代表是怎么选出来的？", [corpus.get("中华人民共和国宪法", 59)]) is None
    lines, quoted = next_steps("公司拖欠我三个月工资", labor_sources, corpus)
    period = corpus.get("中华人民共和国劳动争议调解仲裁法", 27)
    assert quoted == [period] and any("仲裁" in line for line in lines)
    assert lines[-1] == f"期限：{period.citation}规定：“{sentences(paragraphs(period.text)[0])[0]}”"


def test_next_steps_only_for_a_persons_own_matter_and_never_twice(corpus, labor_sources):
    assert asks_what_to_do("公司拖欠我三个月工资，我该怎么办？") and asks_what_to_do("房东不退押金怎么办")
    assert not asks_what_to_do("什么情形下遗嘱无效？") and not asks_what_to_do("犯罪中止是什么意思")
    assert next_steps("用人单位拖欠工资的法律责任是什么", labor_sources, corpus) == ([], [])
    period = corpus.get("中华人民共和国劳动争议调解仲裁法", 27)
    lines, quoted = next_steps("公司拖欠我工资怎么办", [*labor_sources, period], corpus)
    assert lines and not quoted and not any("期限" in line for line in lines)  # already in 法律依据


def test_compose_has_the_three_parts_and_no_repeated_sentence(corpus, labor_sources):
    q = "公司不跟我签劳动合同，我能要双倍工资吗？"
    steps, _ = next_steps(q, labor_sources, corpus)
    text = compose("", shown_basis("", labor_sources, q), steps)
    assert text.startswith(CONCLUSION_HEAD + FALLBACK)
    assert (
        "\n\n法律依据：\n1. " + labor_sources[0].citation + "（现行有效）：“" in text
        and "\n\n下一步：\n1. " in text
    )
    keys = [norm(s) for s in sentences(text) if len(norm(s)) >= 6]
    assert len(keys) == len(set(keys))


def test_quoted_conclusion_is_the_sources_sentence_closest_to_the_question(corpus, labor_sources):
    q = "公司超过一个月不签书面劳动合同，要付二倍工资吗？"
    text = quoted_conclusion(q, labor_sources)
    assert text.startswith(FROM_SOURCES + labor_sources[0].citation + "规定：“")
    core = text.split("“", 1)[1].split("”", 1)[0]
    assert core in labor_sources[0].text and "二倍" in core  # verbatim, and the sentence that matches
    assert (
        quoted_conclusion("今天天气怎么样", labor_sources) == FALLBACK
    )  # nothing in the sources is about it
    wages = corpus.get(
        "中华人民共和国劳动法", 91
    )  # 有下列侵害…情形之一的…：（一）克扣或者无故拖欠劳动者工资的；…
    picked = quoted_conclusion("公司拖欠我三个月工资，我该怎么办？", [wages])
    assert "（一）" not in picked and not picked.rstrip("”").endswith("：")  # no bare list item or list intro


def test_basis_does_not_repeat_what_the_conclusion_quotes(corpus, labor_sources):
    q = "公司超过一个月不签书面劳动合同，要付二倍工资吗？"
    conclusion = quoted_conclusion(q, labor_sources)
    shown = shown_basis(conclusion, labor_sources, q)
    core = conclusion.split("“", 1)[1].split("”", 1)[0]
    assert shown and all(core not in text for _, text in shown)
    text = compose(conclusion, shown_basis(conclusion, labor_sources, q), [])
    assert text.count(core) == 1 and all(f"{a.citation}（" in text for a, _ in shown)


def test_training_target_is_the_opening_sentences_and_the_gold_basis(corpus, labor_sources):
    answer = ("您好，用人单位超过一个月未签书面合同的，应当每月支付二倍工资。可以申请劳动仲裁。"
              "希望对您有帮助。另外依据《中华人民共和国刑法》第二百六十四条……")
    target = conclusion_target(answer, labor_sources, [labor_sources[0]], corpus)
    assert target == ("用人单位超过一个月未签书面合同的，应当每月支付二倍工资。可以申请劳动仲裁。\n依据："
                      + labor_sources[0].citation + "。")
    assert conclusion_target(answer, labor_sources[1:], [labor_sources[0]], corpus) is None  # gold not shown


# --- through the Assistant --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def retriever(tiny_index):
    from lawglm.search.retrieval import Retriever

    return Retriever.load(tiny_index)


QUESTION = "公司一直不跟我签书面劳动合同，能要双倍工资吗？"


def _grounded(retriever, model, tok):
    from lawglm.answer.assistant import Assistant
    from lawglm.models.generation import LocalGenerator
    from lawglm.settings import get_settings

    return Assistant(retriever, LocalGenerator(model, tok), get_settings(answer_shape="grounded", top_k=3))


def test_grounded_answer_keeps_a_taught_conclusion(retriever, tiny_gemma_dir, corpus):
    from lawglm.answer.prompts import GROUNDED, build_messages
    from lawglm.models.backbone import load_backbone

    model, tok = load_backbone(str(tiny_gemma_dir), device="cpu", progress=False)
    assistant = _grounded(retriever, model, tok)
    hits = retriever.search(QUESTION, 3)
    article = corpus.get(LABOR, 82)
    assert article.key in [h.article.key for h in hits]
    conclusion = "用人单位超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
    prompt = build_messages(QUESTION, hits, tokenizer=tok, style=GROUNDED,
                            max_prompt_tokens=assistant.prepare(AskOptions(QUESTION)).budget()[0])
    teach(model, tok, prompt.messages, conclusion + "\n依据：" + article.citation + "。")
    items = list(assistant.stream(QUESTION, temperature=0))
    answer = items[-1]
    assert "".join(items[:-1]) == answer.answer  # the streamed chunks are the final text
    assert answer.answer.startswith(CONCLUSION_HEAD + conclusion) and answer.usage["gate"] == "accepted"
    assert answer.answer.index("1. " + article.citation) > 0  # the basis the model named comes first
    assert all(c.verified and c.supported for c in answer.citations)
    assert answer.usage["shape"] == "grounded" and answer.usage["first_token_s"] > 0
    s = answer.sections
    assert (
        s["conclusion"] == conclusion
        and s["conclusion_from"] == "model"
        and s["basis"][0] == article.citation
    )


def test_grounded_answer_falls_back_honestly_for_an_untaught_model(retriever, tiny_backbone):
    model, tok = tiny_backbone
    answer = _grounded(retriever, model, tok).ask(QUESTION, temperature=0)
    # the model's words are dropped; the conclusion is the most relevant sentence of a source, quoted
    assert answer.answer.startswith(CONCLUSION_HEAD + FROM_SOURCES) and answer.usage["gate"] != "accepted"
    assert answer.sections["conclusion_from"] == "sources"
    quoted = answer.sections["conclusion"].split("“", 1)[1].split("”", 1)[0]
    assert any(quoted in h.article.text for h in answer.retrieved)
    assert "：“……”" not in answer.answer  # an article the conclusion quoted whole is not listed as ……
    assert answer.citations and all(c.supported for c in answer.citations)  # the verbatim 法律依据
    keys = [norm(s) for s in sentences(answer.answer) if len(norm(s)) >= 6]
    assert len(keys) == len(set(keys))


def test_free_answers_never_repeat_a_sentence_streamed_or_final(fixed_reply_assistant, tiny_articles):
    """--answer-shape free: a sentence said again — word for word, or as the tail of an earlier one — is
    shown neither in the streamed text nor in the final answer."""
    from lawglm.answer.grounded import norm, sentences
    from lawglm.records import Answer

    said = next(a for a in tiny_articles if a.law.endswith("民法典") and a.article_no == 667).text.split(
        "。"
    )[0]
    said += "。"
    reply = f"{said}{said[5:]}请保留好借条和转账记录。{said}"
    chunks, answer = [], None
    for item in fixed_reply_assistant(reply).stream("朋友借钱不还怎么办", answer_shape="free"):
        if isinstance(item, Answer):
            answer = item
        else:
            chunks.append(item)
    streamed = "".join(chunks)
    for text in (streamed, answer.answer):
        keys = [norm(s) for s in sentences(text)]
        assert keys.count(norm(said)) == 1 and norm(said[5:]) not in keys, text
        assert "请保留好借条和转账记录。" in text
    assert answer.answer.startswith(streamed)


def test_citation_roles_say_what_a_card_is(fixed_reply_assistant, retrieval_assistant, support_reply):
    """A card is labelled by what it is: an article the answer's own words are borne out by (claim), or one
    only shown as found — related to the question, or hardly touching it (off_question)."""
    from lawglm.answer.assistant import MIN_SHARED_TERMS
    from lawglm.answer.grounded import grams
    from lawglm.search.retrieval import expand_query
    from tests.conftest import SUPPORT_QUESTION

    answer = fixed_reply_assistant(support_reply["reply"]).ask(SUPPORT_QUESTION, answer_shape="free")
    roles = {c.article.key: c.role for c in answer.citations if c.article is not None}
    assert roles[support_reply["first"].key] == "claim"  # the quote, re-pointed to the article it comes from
    assert roles[support_reply["unrelated"].key] is None and roles[support_reply["outside"].key] is None
    # the grounded shape with no conclusion of its own: the 法律依据 list is shown as found, backing nothing
    from lawglm.answer.assistant import _with_roles
    from lawglm.answer.grounded import FALLBACK, compose, shown_basis
    from lawglm.answer.support import check_support, outside_quotes
    from lawglm.records import Answer
    from lawglm.statutes.citations import verify

    question, corpus = "朋友借钱不还怎么办", retrieval_assistant.retriever.corpus
    arts = [h.article for h in retrieval_assistant.retriever.search(question, 4)]
    text = compose(FALLBACK, shown_basis(FALLBACK, arts, question), [])
    text, cites = check_support(text, outside_quotes(text, verify(text, corpus)), arts, corpus)
    listed = _with_roles(Answer(text, cites, [], {}), question).citations
    assert listed and all(c.role in ("related", "off_question") for c in listed)
    asked = grams(expand_query(question))
    for c in listed:
        assert (c.role == "related") == (len(asked & grams(c.article.text)) >= MIN_SHARED_TERMS)
    assert any(c.role == "related" for c in listed)
    decided = retrieval_assistant.ask(
        question
    )  # the conclusion's article backs it; the list is shown as found
    assert any(c.role == "claim" for c in decided.citations)
    assert retrieval_assistant.ask("你好").citations == []
