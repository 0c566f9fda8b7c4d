"""`ask`, `chat` and `search` use a running `lawglm serve` (LAWGLM_URL, or the default address when it
answers) instead of loading the index and model themselves; they wait for one that is preparing, showing its
progress; a greeting never loads anything."""

from __future__ import annotations

import json
import threading

import pytest
from live import run_cli, serve_in_thread

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"


@pytest.fixture
def no_loading(monkeypatch):
    """Loading an assistant in the CLI's process fails the test."""
    from lawglm.answer.assistant import Assistant

    def refuse(*a, **k):
        raise AssertionError("the CLI loaded an assistant itself")
    monkeypatch.setattr(Assistant, "from_settings", classmethod(refuse))


def test_ask_chat_search_use_a_running_server(live_server, retrieval_assistant, no_loading, capsys,
                                              monkeypatch):
    url = live_server(retrieval_assistant, llm="none")
    monkeypatch.setenv("LAWGLM_URL", url)
    code, out, err = run_cli(["ask", QUESTION], capsys)
    assert code == 0 and "民法典" in out and "第一千二百五十四条" in out, err
    code, out, _ = run_cli(["ask", QUESTION, "--json", "--top-k", "2"], capsys)
    answer = json.loads(out)
    assert code == 0 and len(answer["retrieved"]) == 2 and answer["usage"]["mode"] == "retrieval-only"
    code, out, _ = run_cli(["search", "高空抛物", "-k", "2", "--json"], capsys)
    rows = json.loads(out)
    assert code == 0 and len(rows) == 2 and all(r["citation"].startswith("《") for r in rows)
    code, out, _ = run_cli(["chat"], capsys, stdin=f"你好\n{QUESTION}\nstop\n", monkeypatch=monkeypatch)
    assert code == 0 and "我是 lawglm 法律助手" in out and "第一千二百五十四条" in out
    code, _, err = run_cli(["ask", QUESTION, "--law", "火星法"], capsys)  # the server's 422, one line
    assert code == 1 and len(err.strip().splitlines()) == 1 and "火星法" in err


def test_a_greeting_loads_nothing(no_loading, capsys, monkeypatch):
    code, out, _ = run_cli(["ask", "你好"], capsys)
    assert code == 0 and "我是 lawglm 法律助手" in out
    code, out, _ = run_cli(["chat"], capsys, stdin="谢谢律师！\nstop\n", monkeypatch=monkeypatch)
    assert code == 0 and "lawglm：" in out


def test_waits_for_a_preparing_server_with_its_progress(tmp_path, tiny_articles, retrieval_assistant,
                                                        capsys, monkeypatch):
    from lawglm.server import app as app_mod
    from lawglm.server import create_app
    from lawglm.settings import Settings
    from lawglm.statutes.corpus import write_jsonl

    corpus = tmp_path / "statutes.jsonl"
    write_jsonl(tiny_articles, corpus)
    go = threading.Event()
    monkeypatch.setattr(app_mod, "load_assistant", lambda s: go.wait(30) and retrieval_assistant)
    app = create_app(settings=Settings(index_dir=tmp_path / "index", llm="none", corpus=str(corpus),
                                       encoder="none"), build_index=True)
    with serve_in_thread(app, ready_path="/healthz") as url:
        monkeypatch.setenv("LAWGLM_URL", url)
        threading.Timer(2.5, go.set).start()
        code, out, err = run_cli(["search", "高空抛物", "-k", "1", "--json"], capsys)
    assert code == 0 and len(json.loads(out)) == 1
    assert "正在准备：" in err and "加载索引" in err


def test_no_server_answers_in_process_and_says_what_loads(tiny_index, capsys, monkeypatch):
    monkeypatch.setenv("LAWGLM_URL", "http://127.0.0.1:9")  # nothing listens there
    code, out, err = run_cli(["ask", QUESTION, "--index-dir", str(tiny_index), "--llm", "none"], capsys)
    assert code == 0 and "第一千二百五十四条" in out and "加载索引" in err and "已加载" in err
    monkeypatch.setenv("LAWGLM_INDEX_DIR", str(tiny_index))
    code, out, err = run_cli(["search", "高空抛物", "-k", "1"], capsys)
    assert code == 0 and "no lawglm server answers" in err and out.startswith("1. 《")
