"""Settings are the one source of limits and defaults: retrieval uses the Settings it is given (not the
process environment), a question within max_question_chars is never refused by a lower cap further down,
bad env values fail at start-up with one line naming the variable, and every surface reads the limits."""

from __future__ import annotations

import pytest

from lawglm.cli import main
from lawglm.settings import Settings, SettingsError, get_settings


# --- retrieval follows the Settings it is given ------------------------------------------------------
@pytest.fixture
def env_says_dense(monkeypatch):
    """The process environment asks for another retrieval mode than the Settings under test."""
    monkeypatch.setenv("LAWGLM_RETRIEVAL_MODE", "dense")


def test_assistant_retrieves_with_its_settings_not_the_environment(env_says_dense, tiny_index):
    from lawglm.answer.assistant import Assistant

    a = Assistant.from_settings(Settings(llm="none", index_dir=tiny_index, retrieval_mode="bm25"))
    assert a.retriever.params.mode == "bm25"
    hits = a.ask("借款合同的利息怎么约定").retrieved
    assert hits and {s for h in hits for s in h.sources} <= {"bm25", "direct"}


def test_evaluation_retrieves_with_its_settings(env_says_dense, tiny_index):
    from lawglm.eval.generation import RETRIEVAL_ONLY, GenEvalConfig, load_assistants

    cfg = GenEvalConfig(data="unused.jsonl", modes=[RETRIEVAL_ONLY], progress=False)
    assistant, _ = load_assistants(cfg, Settings(llm="none", index_dir=tiny_index, retrieval_mode="bm25"))[
        RETRIEVAL_ONLY]
    assert assistant.retriever.params.mode == "bm25"


def test_admin_reload_loads_with_the_served_settings(env_says_dense, tiny_index):
    from lawglm.answer.assistant import Assistant
    from lawglm.server.routes_admin import reload_retriever

    waiting = Assistant(None, None, Settings(llm="none", index_dir=tiny_index, retrieval_mode="bm25"))
    retriever, swapped = reload_retriever(waiting, tiny_index)
    assert swapped and retriever.params.mode == "bm25" and waiting.retriever is retriever


# --- a question within max_question_chars is answered ------------------------------------------------
LONG_TURN = "我借给朋友五万元，约定一年后归还，现在他不还钱也不接电话，我该怎么办？" * 6  # > 200 chars


def _long_question(n: int) -> str:
    base = "公司拖欠我三个月工资，老板说没钱发，我能不能申请劳动仲裁要回工资和经济补偿？"
    return (base * (n // len(base) + 1))[:n]


def test_a_long_question_with_history_is_answered(make_client, retrieval_assistant):
    """3,901 characters with two history turns: the search query (question + previous turns) once
    reached 4,303 characters and was refused by a fixed 4,000 cap naming `query`, a field /v1/legal/ask
    does not have."""
    client = make_client(retrieval_assistant)
    history = [{"role": "user", "content": LONG_TURN}, {"role": "assistant", "content": "好的。"}] * 2
    r = client.post("/v1/legal/ask", json={"question": _long_question(3901), "history": history})
    assert r.status_code == 200, r.text
    assert r.json()["retrieved"]


def test_the_question_limit_is_the_setting_everywhere(tiny_index):
    """A larger max_question_chars is honoured by retrieval too; one more character is refused on
    `question`."""
    from lawglm.answer.assistant import Assistant
    from lawglm.answer.options import InvalidRequest

    a = Assistant.from_settings(Settings(llm="none", index_dir=tiny_index, max_question_chars=6000,
                                         relevance_threshold=0))
    assert a.ask(_long_question(6000), [(LONG_TURN, "好的。")]).retrieved
    with pytest.raises(InvalidRequest, match="^question: too long"):
        a.ask(_long_question(6001))


# --- bad environment values fail at start-up ----------------------------------------------------------
@pytest.mark.parametrize("var,value", [("LAWGLM_ANSWER_SHAPE", "bogus"), ("LAWGLM_LLM", "nonsense"),
                                       ("LAWGLM_RETRIEVAL_MODE", "magic"), ("LAWGLM_QUANTIZE", "3"),
                                       ("LAWGLM_TOP_K", "500"), ("LAWGLM_TEMPERATURE", "hot")])
def test_a_bad_env_value_is_one_line_naming_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=f"^{var}: .*{value}"):
        get_settings()


@pytest.mark.parametrize("argv", [["serve", "--port", "1"], ["ask", "公司拖欠工资怎么办", "--llm", "none"],
                                  ["search", "借款"]])
def test_the_cli_refuses_to_start_on_a_bad_env_value(monkeypatch, capsys, argv, tiny_index):
    monkeypatch.setenv("LAWGLM_ANSWER_SHAPE", "bogus")
    monkeypatch.setenv("LAWGLM_INDEX_DIR", str(tiny_index))
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: LAWGLM_ANSWER_SHAPE:") and "bogus" in err[0]


def test_a_server_does_not_start_on_a_bad_env_value(monkeypatch):
    from lawglm.server import create_app

    monkeypatch.setenv("LAWGLM_LLM", "nonsense")
    with pytest.raises(SettingsError, match="^LAWGLM_LLM: "):
        create_app()


# --- one place per limit, and a request option read generically --------------------------------------
def test_readyz_and_the_search_endpoint_read_the_question_limit(make_client, retrieval_assistant):
    client = make_client(retrieval_assistant, max_question_chars=50)
    assert client.get("/readyz").json()["limits"]["question"] == {"min": 1, "max": 50}
    r = client.get("/v1/statutes/search", params={"q": "借" * 51})
    assert r.status_code == 422 and "q" in r.text and "the limit is 50" in r.text
    assert client.get("/v1/statutes/search", params={"q": "借款合同的利息" * 7}).status_code == 200


def test_department_filters_answers_on_every_surface(make_client, retrieval_assistant, tiny_articles):
    """`department` was added as AskOptions field + schema field + CLI flag only; the routes, the
    Assistant and retrieval read it generically."""
    from lawglm.answer.options import AskOptions, InvalidRequest

    dept = next(a.department for a in tiny_articles if a.department)
    ans = retrieval_assistant.ask(AskOptions("借款合同的利息怎么约定", department=dept))
    assert ans.retrieved and all(h.article.department == dept for h in ans.retrieved)
    with pytest.raises(InvalidRequest, match="^department: "):
        retrieval_assistant.ask("借款合同的利息怎么约定", department="火星法")
    client = make_client(retrieval_assistant)
    body = client.post(
        "/v1/legal/ask", json={"question": "借款合同的利息怎么约定", "department": dept}
    ).json()
    assert body["retrieved"] and {h["department"] for h in body["retrieved"]} == {dept}
    r = client.post("/v1/legal/ask", json={"question": "借款合同的利息怎么约定", "department": "火星法"})
    assert r.status_code == 422 and "department" in r.text


def test_ask_options_take_keywords_and_validated_ones_are_not_rechecked(retrieval_assistant):
    from lawglm.answer.options import AskOptions, Checked

    with pytest.raises(TypeError):
        AskOptions("问题", None, 5)  # history, top_k … are keywords only
    checked = retrieval_assistant.prepare(AskOptions("借款合同的利息怎么约定", top_k=3))
    assert isinstance(checked, Checked) and checked.top_k == 3 and checked.max_new_tokens is not None
    assert retrieval_assistant.prepare(checked) is checked
