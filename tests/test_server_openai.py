"""The OpenAI-compatible API driven by the official `openai` client against a live server on loopback,
plus client disconnects cancelling generation (needs a real socket)."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

openai = pytest.importorskip("openai")

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"


def client_for(url: str):
    return openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=60)


@pytest.fixture
def retrieval_url(live_server, retrieval_assistant):
    return live_server(retrieval_assistant)


def test_models_list(retrieval_url):
    ids = [m.id for m in client_for(retrieval_url).models.list()]
    assert ids[0] == "lawglm"


def test_chat_completion(retrieval_url, corpus):
    resp = client_for(retrieval_url).chat.completions.create(
        model="lawglm", messages=[{"role": "system", "content": "ignored: lawglm grounds answers itself"},
                                  {"role": "user", "content": QUESTION}])
    assert resp.object == "chat.completion"
    msg = resp.choices[0].message
    assert msg.role == "assistant" and msg.content and resp.choices[0].finish_reason == "stop"
    cites = resp.model_extra["citations"]
    assert cites and all(c["verified"] for c in cites)
    assert all(c["text"] == corpus.get(c["law"], c["article_no"]).text for c in cites)
    assert ("中华人民共和国民法典", 1254) in {
        (h["law"], h["article_no"]) for h in resp.model_extra["retrieved"]
    }


def test_chat_completion_stream(retrieval_url):
    stream = client_for(retrieval_url).chat.completions.create(
        model="lawglm", stream=True,
        messages=[{"role": "user", "content": "邻居家花盆掉下来砸伤了人"},
                  {"role": "assistant", "content": "这属于建筑物致害责任。"},
                  {"role": "user", "content": QUESTION}])
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] and last.usage is not None


def test_unknown_model_and_bad_messages(retrieval_url):
    c = client_for(retrieval_url)
    with pytest.raises(openai.NotFoundError) as err:
        c.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": QUESTION}])
    assert "gpt-9" in str(err.value) and "lawglm" in str(err.value)
    with pytest.raises(openai.UnprocessableEntityError) as err:
        c.chat.completions.create(model="lawglm", messages=[{"role": "assistant", "content": "hi"}])
    assert "messages" in str(err.value)
    with pytest.raises(openai.UnprocessableEntityError) as err:
        c.chat.completions.create(model="lawglm", messages=[{"role": "user", "content": QUESTION}],
                                  temperature=3)
    assert "temperature" in str(err.value)


def test_model_backed_chat_and_adapter_names(live_server, model_assistant):
    url = live_server(model_assistant)
    c = client_for(url)
    ids = [m.id for m in c.models.list()]
    assert "lawglm" in ids
    resp = c.chat.completions.create(model="lawglm", max_tokens=5, temperature=0,
                                     messages=[{"role": "user", "content": QUESTION}])
    assert 0 < resp.usage.completion_tokens <= 5  # max_tokens caps the reply alone
    for other in ids[1:]:  # the backbone / each adapter is selectable by name
        r = c.chat.completions.create(
            model=other, max_tokens=128, messages=[{"role": "user", "content": QUESTION}]
        )
        assert r.model == other
    with pytest.raises(openai.UnprocessableEntityError) as err:
        c.chat.completions.create(model="lawglm", max_tokens=model_assistant.context_length,
                                  messages=[{"role": "user", "content": QUESTION}])
    assert "max_tokens" in str(err.value)


def _metric(url: str, name: str) -> float:
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


class Paced:
    """The real generator, one token every 20 ms (an edge double for a slower machine)."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def stream(self, prompt, **kw):
        for piece in self.inner.stream(prompt, **kw):
            time.sleep(0.02)
            yield piece


def test_client_disconnect_cancels_generation(live_server, model_assistant):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    # the same loaded tiny model, allowed long answers and paced at 20 ms a token, so the client leaves
    # mid-generation. A free answer streams sentence by sentence (repeats are held back), and the random
    # model writes no 。, so no byte of it reaches the client before the generation ends: the client leaves
    # one second in, while it is still generating, without waiting for the response to start.
    chatty = Assistant(model_assistant.retriever, Paced(model_assistant.generator),
                       Settings(max_new_tokens=2000, answer_shape="free"))
    url = live_server(chatty)
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"question": QUESTION, "stream": True, "max_length": 1800, "temperature": 0}).encode()
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"POST /v1/legal/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(1.0)
        assert _metric(url, "lawglm_queue_depth") == 1  # its generation is running
    deadline = time.monotonic() + 20
    while _metric(url, "lawglm_generations_cancelled_total") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _metric(url, "lawglm_generations_cancelled_total") == 1
    assert _metric(url, "lawglm_queue_depth") == 0
    # the worker is free again for the next client
    r = httpx.post(url + "/v1/legal/ask", json={"question": QUESTION, "max_length": 256}, timeout=60)
    assert r.status_code == 200
