"""The grounded answer shape: excerpts, the sentence gate, 下一步, composition without repeats, the
training target, and the whole path through Assistant with a tiny model (accepted and fallback)."""

from __future__ import annotations

import pytest

from lawglm.answer.grounded import (
    CONCLUSION_HEAD,
    SentenceGate,
    conclusion_target,
    drop_repeats,
    norm,
    sentences,
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


def _grounded(retriever, model, tok, addition="always"):
    from lawglm.answer.assistant import Assistant
    from lawglm.models.generation import LocalGenerator
    from lawglm.settings import get_settings

    return Assistant(retriever, LocalGenerator(model, tok),
                     get_settings(answer_shape="grounded", top_k=3, model_addition=addition))


def test_grounded_answer_keeps_what_the_deciding_clause_bears_out(retriever, tiny_gemma_dir, corpus):
    """The 结论 is the deciding clause in its own words; the model's sentence stays beside it only when the
    clause bears out every claim it makes (a paraphrase of the clause here), and the clause leads 法律依据."""
    from lawglm.answer.prompts import GROUNDED, build_messages
    from lawglm.models.backbone import load_backbone

    model, tok = load_backbone(str(tiny_gemma_dir), device="cpu", progress=False)
    assistant = _grounded(retriever, model, tok)
    hits = retriever.search(QUESTION, 3)
    article = corpus.get(LABOR, 82)
    assert article.key in [h.article.key for h in hits]
    said = "用人单位超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
    prompt = build_messages(QUESTION, hits, tokenizer=tok, style=GROUNDED,
                            max_prompt_tokens=assistant.prepare(AskOptions(QUESTION)).budget()[0])
    teach(model, tok, prompt.messages, said + "\n依据：" + article.citation + "。")
    items = list(assistant.stream(QUESTION, temperature=0))
    answer = items[-1]
    assert "".join(items[:-1]) == answer.answer  # the streamed chunks are the final text
    # the clause matches the question's words below settings.DECIDING_MIN_SCORE: named as the closest one
    head = (CONCLUSION_HEAD + "检索到的条文中，与您的问题最相关的是"
            "《中华人民共和国劳动合同法》第八十二条第一款：")
    assert answer.answer.startswith(head) and answer.usage.gate == "accepted"
    s = answer.sections
    assert s.conclusion.endswith(said) and s.conclusion_from == "clause+model", answer.usage.dropped
    assert s.deciding["label"] == "第八十二条第一款" and s.basis[0] == article.citation
    basis = answer.answer.split("法律依据：")[1].lstrip()
    assert basis.startswith("1. 《中华人民共和国劳动合同法》第八十二条（现行有效，决定本问题的是第一款）：“")
    assert article.text.strip() in basis  # the deciding article in full
    assert all(c.verified and c.supported for c in answer.citations)
    assert answer.usage.shape == "grounded" and answer.usage.first_token_s > 0


def test_a_model_sentence_the_clause_does_not_bear_out_is_dropped(corpus):
    from lawglm.answer.decided import decide_answer

    d = decide_answer(QUESTION, [corpus.get(LABOR, 82)], corpus)
    assert d.clause is not None and d.clause.label == "第八十二条第一款"
    text = d.with_model(["公司必须赔偿您十万元精神损失费。", QUESTION, d.clause.text])
    assert text == d.conclusion
    assert [r for _, r in d.dropped] == ["not_in_clause", "echo", "repeats_clause"]


def test_grounded_answer_never_shows_an_untaught_model_s_words(retriever, tiny_backbone):
    model, tok = tiny_backbone
    answer = _grounded(retriever, model, tok).ask(QUESTION, temperature=0)
    # the model's words are dropped; the conclusion is the deciding clause, in its own words
    assert answer.sections.conclusion_from in ("clause", "none")
    assert answer.answer.startswith(CONCLUSION_HEAD + answer.sections.conclusion)
    assert answer.citations and all(c.supported for c in answer.citations)
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
    # retrieval-only: the deciding clause backs the 结论 (claim); the other articles are shown as found
    listed = retrieval_assistant.ask("朋友借钱不还怎么办")
    deciding = listed.sections.deciding
    claimed = [c for c in listed.citations if c.role == "claim"]
    assert claimed and {(c.article.law, c.article_no) for c in claimed} <= {
        (deciding["law"], deciding["article_no"]), *{(c.article.law, c.article_no) for c in claimed
                                                     if (c.support or {}).get("kind") == "quote"}}
    asked = grams(expand_query("朋友借钱不还怎么办"))
    for c in listed.citations:
        if c.role != "claim":
            assert (c.role == "related") == (len(asked & grams(c.article.text)) >= MIN_SHARED_TERMS)
    assert retrieval_assistant.ask("你好").citations == []


def test_basis_quotes_the_governing_articles_in_full_names_other_bearing_ones_folds_the_rest(corpus):
    """法律依据: the deciding article in full with its 款 named, the best-ranked bearing one in full, the
    other bearing ones named in one 另见 line (not a citation the answer makes), the rest counted."""
    from datetime import date

    from lawglm.answer.decided import ALSO_NOTE, decide_answer, decided_text

    civil = "中华人民共和国民法典"
    q = "借款合同没有约定利息，借款人要不要支付利息？"
    sources = [corpus.get(civil, n) for n in (680, 674, 667, 1042, 264)]
    sources[4] = corpus.get("中华人民共和国刑法", 264)
    d = decide_answer(q, sources, corpus, date(2026, 1, 5))
    assert d.clause is not None and d.clause.article.article_no == 680
    text, cites, sections = decided_text(q, sources, corpus, date(2026, 1, 5))
    basis = text.split("法律依据：")[1].split("\n\n")[0].strip().split("\n")
    part = d.clause.label.removeprefix("第六百八十条")
    assert basis[0].startswith(f"1. 《{civil}》第六百八十条（现行有效，决定本问题的是{part}）：“")
    assert sources[0].text.strip() in text and sources[1].text.strip() in text  # both in full
    also = [x for x in basis if x.startswith(ALSO_NOTE.split("{")[0])]
    assert also and "第六百六十七条" in also[0] and sources[2].text.strip() not in text
    # named in one line; the two that do not bear are left to 全部条文 (basis_full), not counted in the text
    assert also == [basis[-1]] and "另有" not in text and basis[-1].count("全部条文") == 1
    assert {c.article_no for c in cites} == {680, 674}  # the 另见 names are pointers, not checked claims
    assert all(c.supported for c in cites)
    full = {(x["article_no"], x["quoted"], x["bears"]) for x in sections.basis_full}
    assert full == {(680, True, True), (674, True, True), (667, False, True), (1042, False, False),
                    (264, False, False)}


def test_nothing_decides_the_best_ranked_articles_are_quoted_to_compare_with(corpus):
    from lawglm.answer.clauses import NO_CLAUSE
    from lawglm.answer.decided import decided_text

    q = "这种情况到底该怎么看待比较合适呢？"
    sources = [corpus.get("中华人民共和国民法典", n) for n in (1042, 1165, 54)]
    text, _, sections = decided_text(q, sources, corpus, None)
    assert [x["quoted"] for x in sections.basis_full] == [True, True, False]
    assert NO_CLAUSE in text and sources[0].text.strip() in text and sources[1].text.strip() in text
    assert sources[2].text.strip() not in text and "另有" not in text  # left to 全部条文


def test_next_steps_only_for_the_person_s_own_matter():
    from lawglm.answer.decided import own_matter

    for q in ("公司把我辞退了，能要多少补偿？", "在地铁上从别人包里偷了一个钱包，算犯罪吗？",
              "奶奶写的遗嘱没写日期，算数吗？", "借给朋友两万块不还怎么办？"):
        assert own_matter(q), q
    for q in ("姓名权和名称权有什么差别？", "产品质量监督检查制度如何规定？",
              "为了公共利益使用他人肖像，侵权吗？"):
        assert not own_matter(q), q


@pytest.mark.parametrize("addition,asked", [("unsure", False), ("always", True), ("off", False)])
def test_the_model_is_asked_only_where_it_could_add_to_the_clause(retriever, addition, asked):
    """settings.model_addition: a clause that decides the question (unsure: the default) or `off` -> the
    model is never called and the answer is the decided one; `always` -> it is asked, for at most
    settings.model_addition_tokens."""
    from doubles import Recorded

    from lawglm.answer.assistant import Assistant
    from lawglm.settings import get_settings

    model = Recorded("用人单位应当向劳动者每月支付二倍的工资。")
    settings = get_settings(answer_shape="grounded", top_k=3, model_addition=addition)
    q = "入职半年了公司一直没跟我订立书面劳动合同，能要求每月支付二倍的工资吗？"  # clearly 第八十二条第一款
    answer = Assistant(retriever, model, settings).ask(q)
    only = Assistant(retriever, None, get_settings(top_k=3)).ask(q)
    assert bool(model.prompts) == asked
    assert answer.sections.deciding["label"] == "第八十二条第一款"  # a clause that decides
    if not asked:
        assert answer.answer == only.answer and answer.usage.prompt_tokens == 0
        assert [h.article.key for h in answer.retrieved] == [h.article.key for h in only.retrieved]


def test_a_weak_clause_asks_the_model_within_the_token_budget(retriever, tiny_gemma_dir):
    """A clause that matched the question only weakly: the model is asked, for model_addition_tokens."""
    from lawglm.answer.assistant import Assistant
    from lawglm.models.backbone import load_backbone
    from lawglm.models.generation import LocalGenerator
    from lawglm.settings import get_settings

    model, tok = load_backbone(str(tiny_gemma_dir), device="cpu", progress=False)
    settings = get_settings(answer_shape="grounded", top_k=3, model_addition_tokens=5)
    q = "借钱不还怎么办？"
    answer = Assistant(retriever, LocalGenerator(model, tok), settings).ask(q, temperature=0)
    assert answer.sections.deciding is not None and "最相关" in answer.sections.conclusion
    assert 0 < answer.usage.completion_tokens <= 5 and answer.usage.first_token_s > 0


def test_a_lead_in_before_an_earlier_sentence_is_a_repeat():
    """「根据法律规定，」 followed by the clause the 结论 already quoted adds nothing (the embedded model's
    one kept sentence on the answers dev set did this): it is dropped like any repeat; a new fact after
    the same lead-in stays."""
    clause = "违反本法规定，网络交易第三方平台提供者未对入网经营者进行实名登记的，由主管部门责令改正。"
    head = f"结论：与您的问题最相关的是《示例法》第一条：{clause}"
    assert drop_repeats(head + "根据法律规定，" + clause) == head
    new = "根据法律规定，平台知道销售者侵害消费者权益未采取必要措施的，与销售者承担连带责任。"
    assert drop_repeats(head + new) == head + new


def test_an_article_the_conclusion_states_whole_is_not_quoted_again(corpus):
    """A one-sentence deciding article run into the 结论 in full is named in 法律依据 with 原文见结论
    instead of being printed a second time (the name is a pointer, not a citation to check); --full
    quotes it; an article the 结论 states only in part is quoted whole, in its order."""
    from lawglm.answer.decided import IN_CONCLUSION, compose_decided, decide_answer, decided_text
    from lawglm.answer.grounded import norm, sentences
    from lawglm.records import Article

    one = Article("示例法", 1, "存货人交付仓储物的，保管人应当出具仓单、入库单等凭证。")
    two = Article("示例法", 2, "仓储物的保管人应当妥善保管仓储物。\n"
                              "保管人因保管不善造成仓储物毁损的，应当赔偿。")
    q = "存货人交付仓储物后，保管人应当出具仓单、入库单等凭证吗？"
    text = decided_text(q, [one, two], corpus, None)[0]
    basis = text.split("法律依据：")[1].split("\n\n")[0].strip().split("\n")
    assert basis[0].startswith("1. 《示例法》第一条（")
    assert basis[0].endswith(f"决定本问题，{IN_CONCLUSION}）")
    assert norm(one.text) in norm(text.split("\n")[0])  # the 结论 states it
    keys = [norm(s) for s in sentences(text) if len(norm(s)) >= 6]
    assert len(keys) == len(set(keys))  # no sentence said twice
    loan = corpus.get("中华人民共和国民法典", 667)  # one sentence, in the corpus: its citations are checked
    text, cites, _ = decided_text("朋友借钱不还怎么办", [loan], corpus, None)
    head = len(text.split("\n")[0])
    assert f"{IN_CONCLUSION}）" in text and loan.text.strip() not in text.split("法律依据：")[1]
    assert all(c.supported for c in cites) and any(c.article_no == 667 and c.span[0] < head for c in cites)
    at = text.index(f"{IN_CONCLUSION}）")
    line = (text.rindex("\n", 0, at), at)
    assert not any(line[0] <= c.span[0] < line[1] for c in cites)  # the pointer is not a citation to check
    d = decide_answer(q, [one, two], corpus)
    assert one.text in compose_decided(d, d.conclusion, corpus, full=True)[0]
    part = "仓储物的保管人应当妥善保管仓储物吗？保管不善造成仓储物毁损的，要赔偿吗？"
    text = decided_text(part, [two], corpus, None)[0]
    assert two.text.replace("\n", "") in text.replace("\n", "") and IN_CONCLUSION not in text


def test_the_deciding_fact_does_not_repeat_the_condition_the_conclusion_just_quoted(corpus):
    """Unsure 结论: 结论取决于…的条件 names the condition only when the quoted words do not already say it."""
    from lawglm.answer.decided import _unrepeated

    fact = "结论取决于您的情况是否符合该款的条件（用人单位未与劳动者订立书面劳动合同的）。"
    said = ("检索到的条文中，与您的问题最相关的是《示例法》第一条："
            "用人单位未与劳动者订立书面劳动合同的，应当支付二倍工资。")
    assert _unrepeated(fact, said) == "结论取决于您的情况是否符合该款的条件。"
    other = "检索到的条文中，与您的问题最相关的是《示例法》第二条：劳动者可以辞职。"
    assert _unrepeated(fact, other) == fact
