"""How an answer ends and how repeatable it is: an answer the token limit cut short says so
(（回答已达长度上限）, finish_reason "length") in the Assistant, the legal API, /chatglm and the OpenAI API,
streamed and not; the default decoding is greedy, so the same question gets the same answer."""

from __future__ import annotations

import json

import httpx
import pytest

from lawglm.answer.assistant import LENGTH_NOTE

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"
SMALL = 400  # max_length: prompt + reply; the tiny random model never ends a reply on its own within it


def _events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_a_cut_answer_ends_with_the_note_and_reports_length(model_assistant):
    items = list(model_assistant.stream(QUESTION, max_length=SMALL))
    final = items[-1]
    assert final.answer.endswith(LENGTH_NOTE) and final.answer.count(LENGTH_NOTE) == 1
    assert final.finish_reason == "length" and final.usage.finish_reason == "length"
    assert final.usage.completion_tokens == min(64, SMALL // 2)  # the reply used its whole budget
    assert items[-2] == LENGTH_NOTE  # streamed too, so the CLI and the page show it as it happens
    assert final.to_dict()["finish_reason"] == "length"


def test_legal_api_and_chatglm_report_length(make_client, model_assistant):
    c = make_client(model_assistant)
    body = c.post("/v1/legal/ask", json={"question": QUESTION, "max_length": SMALL}).json()
    assert body["finish_reason"] == "length" and body["answer"].endswith(LENGTH_NOTE)
    r = c.post("/v1/legal/ask", json={"question": QUESTION, "max_length": SMALL, "stream": True})
    events = _events(r.text)
    tokens = "".join(d["text"] for e, d in events if e == "token")
    final = next(d for e, d in events if e == "final")
    assert tokens.endswith(LENGTH_NOTE) and final["finish_reason"] == "length"
    glm = c.post("/chatglm", json={"prompt": QUESTION, "max_length": SMALL}).json()
    assert glm["response"].endswith(LENGTH_NOTE) and glm["finish_reason"] == "length"


def test_openai_api_reports_length_streamed_and_not(live_server, model_assistant):
    openai = pytest.importorskip("openai")
    c = openai.OpenAI(
        base_url=live_server(model_assistant) + "/v1", api_key="unused", max_retries=0, timeout=60
    )
    msgs = [{"role": "user", "content": QUESTION}]
    resp = c.chat.completions.create(model="lawglm", max_tokens=8, messages=msgs)
    assert resp.choices[0].finish_reason == "length" and resp.choices[0].message.content.endswith(LENGTH_NOTE)
    assert resp.usage.completion_tokens == 8
    chunks = list(c.chat.completions.create(model="lawglm", max_tokens=8, messages=msgs, stream=True))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text.endswith(LENGTH_NOTE) and chunks[-1].choices[0].finish_reason == "length"


def _remote(retrieval_assistant, tiny_index, reply: str, finish: str | None):
    """The real Assistant whose OpenAI-compatible backend (the edge, an httpx.MockTransport) streams
    `reply` and ends with `finish` as its finish_reason."""
    from lawglm.answer.assistant import Assistant
    from lawglm.models.remote import RemoteGenerator
    from lawglm.settings import Settings

    events = [{"choices": [{"delta": {"content": reply}, "finish_reason": None}]},
              {"choices": [{"delta": {}, "finish_reason": finish}]}]
    body = "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events) + "data: [DONE]\n\n"
    transport = httpx.MockTransport(lambda request: httpx.Response(
        200, text=body, headers={"content-type": "text/event-stream"}))
    gen = RemoteGenerator("http://llm.test/v1", model="fixed", client=httpx.Client(transport=transport))
    return Assistant(retrieval_assistant.retriever, gen,
                     Settings(llm_url="http://llm.test/v1", index_dir=tiny_index, answer_shape="free"))


def test_the_note_follows_the_backends_finish_reason(retrieval_assistant, tiny_index):
    whole = _remote(retrieval_assistant, tiny_index, "这属于建筑物致害责任，由侵权人承担。", "stop").ask(
        QUESTION
    )
    assert whole.finish_reason == "stop" and LENGTH_NOTE not in whole.answer
    cut = _remote(retrieval_assistant, tiny_index, "这属于建筑物致害责任，由侵权", "length").ask(QUESTION)
    assert cut.finish_reason == "length" and cut.answer == "这属于建筑物致害责任，由侵权" + LENGTH_NOTE


def test_a_grounded_answer_stopped_by_its_gate_is_not_reported_as_cut(model_assistant):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    grounded = Assistant(model_assistant.retriever, model_assistant.generator,
                         Settings(answer_shape="grounded", max_new_tokens=64))
    ans = grounded.ask(QUESTION)
    assert (
        ans.usage.gate != "accepted"
    )  # the tiny random model's first sentence is dropped: the gate stops it
    assert ans.finish_reason == "stop" and LENGTH_NOTE not in ans.answer


def test_same_question_same_answer_by_default(model_assistant, make_client):
    first, again = (model_assistant.ask(QUESTION).answer for _ in range(2))
    assert first == again
    c = make_client(model_assistant)
    a, b = (c.post("/v1/legal/ask", json={"question": QUESTION}).json()["answer"] for _ in range(2))
    assert a == b == first
    # sampling is still there for whoever asks for it (the web page's sliders): then answers vary
    sampled = {model_assistant.ask(QUESTION, temperature=1.0, top_p=1.0).answer for _ in range(3)}
    assert len(sampled) > 1


def test_readyz_gives_the_page_its_decoding_defaults(make_client, model_assistant):
    sampling = make_client(model_assistant).get("/readyz").json()["sampling"]
    assert sampling == {"temperature": model_assistant.settings.temperature,
                        "top_p": model_assistant.settings.top_p,
                        "max_new_tokens": model_assistant.settings.max_new_tokens}
    assert sampling["temperature"] == 0  # greedy unless configured otherwise (LAWGLM_TEMPERATURE)
