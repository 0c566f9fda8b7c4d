"""The answer pipeline through the real retriever (tiny index) and a tiny local model."""

from __future__ import annotations

import pytest
from doubles import Recorded, SearchSpy
from live import run_cli

from lawglm.answer.assistant import Assistant
from lawglm.answer.options import InvalidRequest
from lawglm.errors import LawGLMError, UnknownLaw
from lawglm.models.generation import LocalGenerator
from lawglm.records import Answer
from lawglm.settings import get_settings

CAILI = [["订婚时给了彩礼，现在不结婚了，彩礼能要回来吗？", "可以要求返还。"]]


@pytest.fixture(scope="module")
def retriever(tiny_index):
    from lawglm.search.retrieval import Retriever

    return Retriever.load(tiny_index)


@pytest.fixture(scope="module")
def local(tiny_backbone):
    model, tok = tiny_backbone
    return LocalGenerator(model, tok)


@pytest.fixture()
def assistant(retriever, local):  # the model asked beside every clause (the default asks it only where weak)
    return Assistant(retriever, local, get_settings(max_new_tokens=12, model_addition="always"))


def test_stream_chunks_concatenate_to_the_answer(assistant):
    items = list(assistant.stream("借款合同没有约定利息，要付利息吗？", temperature=0))
    chunks, final = items[:-1], items[-1]
    assert isinstance(final, Answer) and all(isinstance(c, str) for c in chunks)
    assert "".join(chunks).strip() == final.answer
    assert final.retrieved and all(h.article.is_current for h in final.retrieved)
    u = final.usage
    assert u.prompt_tokens > 0 and u.total_tokens == u.prompt_tokens + u.completion_tokens
    assert 0 < u.completion_tokens <= 12 or u.finish_reason == "stop"
    assert u.seconds > 0 and u.truncated is False
    assert assistant.ask("借款合同没有约定利息，要付利息吗？", temperature=0).answer == final.answer


def test_generated_citations_are_verified_and_inventions_flagged(retriever, tiny_corpus):
    real = tiny_corpus.get("中华人民共和国民法典", 667)
    top = max(a.article_no for a in tiny_corpus.law_articles(real.law))
    reply = (f"根据{real.citation}，借款合同应当返还借款。另见《{real.law}》第{top + 500}条，"
             f"以及《中华人民共和国月球开发法》第3条。")
    a = Assistant(retriever, Recorded(reply), get_settings(answer_shape="free"))
    ans = a.ask("借款合同是什么？")
    assert ans.answer == reply
    reasons = {(c.law, c.article_no): c.reason for c in ans.citations}
    assert reasons[(real.law, 667)] == "valid"
    assert reasons[(real.law, top + 500)] == "article_not_found"
    assert [c.reason for c in ans.citations if c.article_no == 3] == ["law_not_found"]
    assert [c.verified for c in ans.citations] == [True, False, False]
    prompt = a.generator.prompts[0]
    assert prompt[-1]["content"].endswith("借款合同是什么？") and "【1】" in prompt[-1]["content"]


def test_follow_up_retrieves_with_the_previous_turn(assistant, retriever):
    alone = retriever.search("那如果已经领证了呢？", 3)
    ans = Assistant(retriever, None, get_settings(top_k=3)).ask("那如果已经领证了呢？", CAILI)
    laws = [h.article.law for h in ans.retrieved]
    assert "中华人民共和国民法典" in laws and laws[:1] != [h.article.law for h in alone][:1]
    openai = [{"role": "user", "content": CAILI[0][0]}, {"role": "assistant", "content": CAILI[0][1]}]
    again = Assistant(retriever, None, get_settings(top_k=3)).ask("那如果已经领证了呢？", openai)
    assert [h.article.key for h in again.retrieved] == [h.article.key for h in ans.retrieved]


def test_retrieval_only_answer_decides_from_the_articles(retriever):
    """No model: the deciding clause in the 结论, 法律依据 with it first, every retrieved article in full in
    sections.basis_full, and every citation the answer makes checked where it is written."""
    from lawglm.eval.generation import repeated_sentence

    a = Assistant(retriever, None, get_settings())
    items = list(a.stream("员工严重违反规章制度，公司可以解除劳动合同吗？", top_k=3))
    ans = items[-1]
    assert items[0] == ans.answer and len(ans.retrieved) == 3 and a.models()[0]["kind"] == "retrieval"
    assert (
        ans.answer.startswith("结论：") and "《中华人民共和国劳动合同法》第三十九条第（二）项" in ans.answer
    )
    assert ans.sections.deciding["label"] == "第三十九条第（二）项"
    basis = ans.answer.split("法律依据：")[1]
    first = "1. 《中华人民共和国劳动合同法》第三十九条（现行有效，决定本问题的是第（二）项）：“"
    assert basis.lstrip().startswith(first)  # the deciding article first, in full, its 项 named
    assert retriever.corpus.get("中华人民共和国劳动合同法", 39).text.strip() in basis
    assert "下一步" not in ans.answer  # a question about the law in general: no procedure
    full = {x["citation"]: x["text"] for x in ans.sections.basis_full}
    for h in ans.retrieved:
        assert full[h.article.citation] == h.article.text.strip()
    for c in ans.citations:
        assert c.verified and ans.answer[c.span[0]:c.span[1]].endswith(c.raw[c.raw.find("第"):])
    assert not repeated_sentence(ans.answer)
    assert ans.usage.completion_tokens == 0 and a.context_length == 0


def test_retrieval_only_answer_never_repeats_a_sentence(corpus):
    """刑法修正案（九）第三十七条 restates 刑法第三百零九条: shown after it, its repeated lines read ……"""
    from lawglm.answer.assistant import format_retrieved
    from lawglm.eval.generation import repeated_sentence
    from lawglm.records import Hit

    arts = [corpus.get("中华人民共和国刑法", 309), corpus.get("中华人民共和国刑法修正案（九）", 37)]
    assert all(arts) and arts[0].text.split("\n")[1].strip() in arts[1].text
    plain = "\n".join(a.text for a in arts)
    text, cites = format_retrieved([Hit(a, 1.0, ("bm25",)) for a in arts], corpus)
    assert repeated_sentence(plain) and not repeated_sentence(text)
    assert arts[0].text.strip() in text and "……" in text  # the first copy stays whole
    assert [text[c.span[0]:c.span[1]] for c in cites] == [a.citation for a in arts]


def test_law_filter(retriever):
    ans = Assistant(retriever, None, get_settings()).ask("工资", law="劳动合同法", top_k=3)
    assert {h.article.law for h in ans.retrieved} == {"中华人民共和国劳动合同法"}
    with pytest.raises(UnknownLaw):
        Assistant(retriever, None, get_settings()).ask("工资", law="火星法")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"question": "  "}, "question"),
        ({"adapter": "legal-x"}, "adapter"),
        ({"max_length": 10**6}, "max_length"),
        ({"top_k": 0}, "top_k"),
        ({"top_p": 1.5}, "top_p"),
        ({"temperature": -1.0}, "temperature"),
        ({"temperature": 2.5}, "temperature"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
    ],
)
def test_bad_requests_name_the_field(assistant, kwargs, field):
    kwargs = {"question": "借款利息", **kwargs}
    with pytest.raises(InvalidRequest, match=f"^{field}:") as exc:
        assistant.ask(**kwargs)
    assert isinstance(exc.value, LawGLMError)


def test_max_new_tokens_caps_the_reply_alone(assistant):
    ans = assistant.ask("借款到期不还怎么办？", max_new_tokens=3, temperature=0)
    assert 0 < ans.usage.completion_tokens <= 3
    assert (
        assistant.ask("借款到期不还怎么办？", temperature=0).usage.completion_tokens > 3
    )  # the default is longer


def test_small_max_length_truncates_the_prompt_not_the_question(assistant):
    history = [["借款合同需要书面形式吗？", "一般需要。" * 10]] * 3
    ans = assistant.ask("借款到期不还怎么办？", history, max_length=400, temperature=0)
    u = ans.usage
    assert u.truncated and u.truncation["history_dropped"] >= 1
    assert u.prompt_tokens <= 400 - 12 and u.total_tokens <= 400


def test_draft_first_retrieves_with_the_draft(assistant, retriever):
    spy = SearchSpy(retriever)  # records the queries the real retriever is asked
    a = Assistant(spy, assistant.generator, assistant.settings)
    ans = a.ask("借钱不还怎么办？", draft_first=True, temperature=0)
    seen = spy.queries
    assert ans.usage.draft_tokens > 0 and len(seen) == 1
    assert seen[0].startswith("借钱不还怎么办？\n") and len(seen[0]) > len("借钱不还怎么办？\n")


def test_from_settings_local_and_retrieval_only(tiny_index, tiny_gemma_dir, tmp_path):
    s = get_settings(index_dir=tiny_index, model=str(tiny_gemma_dir), device="cpu", adapters_dir=tmp_path,
                     max_new_tokens=4)
    a = Assistant.from_settings(s, progress=False)
    assert a.ready and a.adapters == [] and a.context_length == 2048
    assert a.models()[0]["id"] == str(tiny_gemma_dir)
    assert isinstance(a.ask("借款利息", temperature=0), Answer)
    none = Assistant.from_settings(get_settings(index_dir=tiny_index, llm="none"))
    assert none.generator is None and none.ask("借款利息").citations




def test_cli_ask_retrieval_only_json_and_text(tiny_index, capsys):
    import json

    code, out, _ = run_cli(
        [
            "ask",
            "公司辞退员工要给经济补偿吗？",
            "--llm",
            "none",
            "--index-dir",
            str(tiny_index),
            "--json",
            "--top-k",
            "2",
        ],
        capsys,
    )
    data = json.loads(out)
    assert code == 0 and len(data["retrieved"]) == 2 and all(c["verified"] for c in data["citations"])
    code, out, _ = run_cli(
        ["ask", "公司辞退员工要给经济补偿吗？", "--llm", "none", "--index-dir", str(tiny_index)], capsys
    )
    assert code == 0 and "引用核验" in out and "✓ 《" in out


def test_cli_ask_local_model_streams(tiny_index, tiny_gemma_dir, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LAWGLM_MAX_NEW_TOKENS", "6")
    monkeypatch.setenv("LAWGLM_ADAPTERS_DIR", str(tmp_path))
    code, out, _ = run_cli(
        [
            "ask",
            "借款利息怎么算？",
            "--model",
            str(tiny_gemma_dir),
            "--device",
            "cpu",
            "--index-dir",
            str(tiny_index),
            "--temperature",
            "0",
            "--adapter",
            "none",
        ],
        capsys,
    )
    assert code == 0 and "检索到的法条" in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["ask", " ", "--llm", "none"], "QUESTION is empty"),
        (["ask", "q", "--top-k", "0"], "top-k"),
        (["ask", "q", "--llm", "none", "--index-dir", "/nonexistent/idx"], "index"),
    ],
)
def test_cli_bad_input_is_one_line_on_stderr(args, words, capsys):
    code, _, err = run_cli(args, capsys)
    assert code != 0 and words in err and len(err.strip().splitlines()) == 1


def test_cli_chat_clear_and_stop(tiny_index, capsys, monkeypatch):
    script = "彩礼能要回来吗？\n那如果已经领证了呢？\nclear\n\nstop\n不会被问到\n"
    code, out, _ = run_cli(["chat", "--llm", "none", "--index-dir", str(tiny_index), "--top-k", "2"], capsys,
                           stdin=script, monkeypatch=monkeypatch)
    assert code == 0 and out.count("欢迎使用") == 2 and out.count("lawglm：") == 2


# --- one spelling of each flag across the CLI ------------------------------------------------------------
def _commands():
    import click

    from lawglm.cli import cli

    def walk(group, prefix):
        for name, cmd in group.commands.items():
            if isinstance(cmd, click.Group):
                yield from walk(cmd, prefix + [name])
            else:
                yield " ".join(prefix + [name]), cmd
    return dict(walk(cli, []))


def test_every_command_spells_its_flags_the_same_way():
    import click

    cmds = _commands()
    index_flags = {name: opt.opts for name, c in cmds.items() for opt in c.params
                   if opt.name == "index_dir"}
    assert {"ask", "chat", "search", "serve", "index build", "eval retrieval"} <= set(index_flags)
    assert all(opts == ["--index-dir"] for opts in index_flags.values()), index_flags
    llm = {name: tuple(opt.type.choices) for name, c in cmds.items() for opt in c.params if opt.name == "llm"}
    assert set(llm) >= {"ask", "chat", "serve"} and len(set(llm.values())) == 1, llm
    serve = {opt.name for opt in cmds["serve"].params}
    assert {"quantize", "device"} <= serve
    assert all(isinstance(c, click.Command) for c in cmds.values())


def test_the_removed_index_alias_is_a_usage_error(tiny_index, capsys):
    argv = ["ask", "公司辞退员工要给经济补偿吗？", "--llm", "none", "--index", str(tiny_index)]
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "--index-dir" in err  # click suggests the flag that exists


@pytest.mark.parametrize("args, words", [
    (["ask", "借" * 10_000, "--llm", "none"], "question is too long"),
    (["ask", "借钱不还", "--llm", "none", "--law", "火星法"], "unknown law"),
    (["ask", "借钱不还", "--llm", "none", "--level", "国际条约"], "unknown level"),
    (["ask", "借钱不还", "--llm", "remote"], "--llm-url"),
])
def test_cli_ask_checks_the_request_before_loading(tiny_index, monkeypatch, capsys, args, words):
    import lawglm.search.index

    def refuse(*a, **k):
        raise AssertionError("the index was loaded before the request was checked")

    monkeypatch.setattr(lawglm.search.index, "load_version", refuse)
    monkeypatch.delenv("LAWGLM_LLM_URL", raising=False)
    code, _, err = run_cli(args + ["--index-dir", str(tiny_index)], capsys)
    assert code != 0 and words in err and len(err.strip().splitlines()) == 1
