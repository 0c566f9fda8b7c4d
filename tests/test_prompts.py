"""Prompt building: history formats, follow-up retrieval queries, token budgets, rendering."""

from __future__ import annotations

import pytest

from lawglm.answer.prompts import (
    SYSTEM_PROMPT,
    InvalidHistory,
    PromptTooLong,
    build_messages,
    normalize_history,
    retrieval_query,
)
from lawglm.errors import LawGLMError
from lawglm.models.chat_format import CHAT_TEMPLATE, count_tokens, render, stop_strings
from lawglm.records import Hit


@pytest.fixture(scope="module")
def tok(tiny_tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_tokenizer_dir)


@pytest.fixture()
def hits(tiny_corpus):
    arts = [a for a in tiny_corpus.articles if a.law == "中华人民共和国民法典"][:5]
    return [Hit(a, 1.0 - i / 10) for i, a in enumerate(arts)]


def test_history_formats_agree():
    chatglm = [["离婚后彩礼要退吗？", "要看情况。"], ("没领证呢？", "一般应返还。")]
    openai = [
        {"role": "system", "content": "x"},
        {"role": "user", "content": "离婚后彩礼要退吗？"},
        {"role": "assistant", "content": "要看情况。"},
        {"role": "user", "content": [{"type": "text", "text": "没领证呢？"}]},
        {"role": "assistant", "content": "一般应返还。"},
    ]
    assert normalize_history(chatglm) == normalize_history(openai) == [
        ("离婚后彩礼要退吗？", "要看情况。"), ("没领证呢？", "一般应返还。")]
    assert normalize_history(None) == [] and normalize_history([]) == []


@pytest.mark.parametrize("bad, words", [
    ("hello", "must be a list"),
    ([["only question"]], "history[0]"),
    ([{"role": "assistant", "content": "hi"}], "without a preceding user"),
    ([{"role": "user", "content": "q"}], "no answer"),
    ([{"role": "robot", "content": "q"}], "history[0]"),
    ([{"role": "user", "content": 5}, {"role": "assistant", "content": "a"}], "content must be a string"),
])
def test_malformed_history_is_a_clear_error(bad, words):
    with pytest.raises(InvalidHistory, match=words.replace("[", r"\[").replace("]", r"\]")) as exc:
        normalize_history(bad)
    assert isinstance(exc.value, LawGLMError) and isinstance(exc.value, ValueError)


def test_follow_up_query_carries_the_topic():
    history = [["订婚后给了彩礼，现在要分手，彩礼能要回来吗？", "可以要求返还。"]]
    q = retrieval_query("那如果已经领证了呢？", history)
    assert "彩礼" in q and q.endswith("那如果已经领证了呢？")
    assert retrieval_query("借款利息怎么算？") == "借款利息怎么算？"


def test_messages_number_the_articles_with_status(hits):
    p = build_messages("借款合同需要书面形式吗？", hits, [["上一个问题", "上一个回答"]])
    assert p.messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert [m["role"] for m in p.messages] == ["system", "user", "assistant", "user"]
    user = p.messages[-1]["content"]
    for i, h in enumerate(hits, 1):
        assert f"【{i}】{h.article.citation}（{h.article.status}）" in user
        assert h.article.text.strip() in user
    assert user.endswith("借款合同需要书面形式吗？") and p.sources == hits and not p.was_truncated


def test_budget_drops_history_first_then_articles_never_the_question(tok, hits):
    history = [[f"第{i}个问题：借款合同", "回答" * 20] for i in range(6)]
    full = build_messages("借款到期不还怎么办？", hits, history, tokenizer=tok)
    no_history = build_messages("借款到期不还怎么办？", hits, tokenizer=tok)
    # a budget that fits all articles and about half the history: only the oldest turns go
    budget = (no_history.prompt_tokens + full.prompt_tokens) // 2
    p = build_messages("借款到期不还怎么办？", hits, history, tokenizer=tok, max_prompt_tokens=budget)
    dropped = p.truncated["history_dropped"]
    assert 0 < dropped < 6 and p.sources == hits and p.prompt_tokens <= budget < full.prompt_tokens
    kept = [m["content"] for m in p.messages if m["role"] == "user"][:-1]
    assert kept == [q for q, _ in history[dropped:]]  # the newest survive, in order
    # tighter: all history gone, lowest-ranked articles trimmed/dropped, question intact
    tight = build_messages("借款到期不还怎么办？", hits, history, tokenizer=tok,
                           max_prompt_tokens=no_history.prompt_tokens // 2)
    assert tight.truncated["history_dropped"] == 6 and tight.was_truncated
    assert len(tight.sources) < len(hits) or tight.truncated["articles_trimmed"]
    assert tight.sources == hits[:len(tight.sources)]  # the best-ranked are kept
    assert tight.messages[-1]["content"].endswith("借款到期不还怎么办？")
    assert count_tokens(tok, tight.messages) == tight.prompt_tokens <= no_history.prompt_tokens // 2


def test_question_alone_too_long_is_an_error_not_an_overflow(tok, hits):
    with pytest.raises(PromptTooLong, match="question"):
        build_messages("借款" * 400, hits, tokenizer=tok, max_prompt_tokens=120)


def test_budget_without_tokenizer_counts_characters(hits):
    p = build_messages("借款到期不还怎么办？", hits, max_prompt_tokens=600)
    assert len(render(None, p.messages)) <= 600 and p.was_truncated


def test_render_uses_the_model_template_or_ours(tok, hits):
    p = build_messages("问题？", hits[:1], [["早先的问题", "早先的回答"]])
    ours = render(None, p.messages)
    assert tok.chat_template == CHAT_TEMPLATE and render(tok, p.messages) == ours  # same format both ways
    assert ours.startswith(SYSTEM_PROMPT) and "[Round 1]\n\n问：早先的问题\n\n答：早先的回答" in ours
    assert ours.endswith("问题：问题？\n\n答：") and "[Round 2]" in ours
    assert "\n\n[Round" in stop_strings(None)


def test_render_merges_system_into_templates_without_a_system_role(tok):
    import copy

    strict = copy.deepcopy(tok)
    strict.chat_template = ("{% for m in messages %}{% if m['role'] == 'system' %}"
                            "{{ raise_exception('System role not supported') }}{% endif %}"
                            "<{{ m['role'] }}>{{ m['content'] }}{% endfor %}<assistant>")
    text = render(strict, [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}])
    assert text == "<user>S\n\nQ<assistant>"


def _drop_one_at_a_time(question, hits, history, tok, budget):
    """The reference: drop the oldest pair until the prompt fits (what one-pass budgeting must agree with)."""
    pairs = normalize_history(history)
    while pairs and count_tokens(tok, build_messages(question, hits, pairs, tokenizer=tok).messages) > budget:
        pairs = pairs[1:]
    return len(normalize_history(history)) - len(pairs)


@pytest.mark.parametrize("budget_extra", [0, 5, 60, 200, 10_000])
def test_one_pass_history_budget_agrees_with_dropping_one_pair_at_a_time(tok, hits, budget_extra):
    history = [[f"第{i}个问题：借款合同" + "利息" * (i % 7), "回答" * (3 + i % 11)] for i in range(40)]
    base = build_messages("借款到期不还怎么办？", hits, tokenizer=tok).prompt_tokens
    p = build_messages(
        "借款到期不还怎么办？", hits, history, tokenizer=tok, max_prompt_tokens=base + budget_extra
    )
    assert p.truncated["history_dropped"] == _drop_one_at_a_time("借款到期不还怎么办？", hits, history, tok,
                                                                 base + budget_extra)
    assert p.prompt_tokens <= base + budget_extra


def test_long_history_is_budgeted_in_one_pass(tok, hits):
    """4,000 pairs (~80 KB) are budgeted in one pass: re-tokenising the rest for each dropped pair is
    quadratic (minutes)."""
    import time

    history = [[f"问题{i}：借款", f"回答{i}"] for i in range(4000)]
    assert len(str(history).encode()) > 80_000
    t = time.perf_counter()
    p = build_messages("借款到期不还怎么办？", hits, history, tokenizer=tok, max_prompt_tokens=800)
    assert time.perf_counter() - t < 2.0
    assert 0 < len(normalize_history(history)) - p.truncated["history_dropped"] < 4000
    assert p.prompt_tokens <= 800


def test_budgeting_honours_cancellation(tok, hits):
    import threading

    from lawglm.errors import Cancelled

    cancel = threading.Event()
    cancel.set()
    history = [[f"问题{i}", f"回答{i}"] for i in range(500)]
    with pytest.raises(Cancelled):
        build_messages(
            "借款到期不还怎么办？", hits, history, tokenizer=tok, max_prompt_tokens=300, cancel=cancel
        )
    with pytest.raises(Cancelled):  # the article-trimming search checks it too
        build_messages("借款到期不还怎么办？", hits, tokenizer=tok, max_prompt_tokens=150, cancel=cancel)
