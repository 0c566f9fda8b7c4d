"""Tool calling through the APIs with a scripted backend: a fake OpenAI-compatible server (httpx's
MockTransport under lawglm's real RemoteGenerator) replays recorded replies and records what it was sent.
The seed's two-tool example (track / text-to-speech) round-trips through /v1/chat/completions (driven by the
official `openai` client, streamed and not) and /chatglm (ChatGLM3's history shape)."""

from __future__ import annotations

import json

import httpx
import pytest
from doubles import SEED_TOOLS

openai = pytest.importorskip("openai")

TOOLS = [{"type": "function", "function": t} for t in SEED_TOOLS]
QUESTION = "帮我查询股票10111的价格"


class ScriptedBackend:
    """An OpenAI-compatible chat server that streams recorded replies in order: {"content": text} or
    {"tool_calls": [(name, arguments)]}; `requests` holds every body it was sent."""

    def __init__(self, replies: list[dict]):
        self.replies, self.requests = list(replies), []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        reply = self.replies.pop(0)
        base = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
        events = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                        "finish_reason": None}]}]
        for piece in _pieces(reply.get("content", "")):
            events.append(
                {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            )
        for i, (name, args) in enumerate(reply.get("tool_calls", [])):
            events.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": i, "id": f"call_{i}abc", "type": "function",
                 "function": {"name": name, "arguments": ""}}]}, "finish_reason": None}]})
            for piece in _pieces(args):
                events.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [
                    {"index": i, "function": {"arguments": piece}}]}, "finish_reason": None}]})
        finish = "tool_calls" if reply.get("tool_calls") else "stop"
        events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
                       "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37}})
        text = "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events) + "data: [DONE]\n\n"
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


def _pieces(text: str, n: int = 4) -> list[str]:
    return [text[i:i + n] for i in range(0, len(text), n)]


def scripted_assistant(retrieval_assistant, backend: ScriptedBackend, **settings):
    from lawglm.answer.assistant import Assistant
    from lawglm.models.remote import RemoteGenerator
    from lawglm.settings import Settings

    gen = RemoteGenerator("http://scripted.invalid/v1", model="scripted",
                          client=httpx.Client(transport=httpx.MockTransport(backend.handler)))
    return Assistant(
        retrieval_assistant.retriever, gen, Settings(llm_url="http://scripted.invalid/v1", **settings)
    )


def client_for(url: str):
    return openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=60)


def test_seed_tools_round_trip_through_the_openai_api(live_server, retrieval_assistant):
    backend = ScriptedBackend(
        [
            {"tool_calls": [("track", '{"symbol": "10111"}')]},
            {"content": "股票10111的实时价格是12412。"},
            {"tool_calls": [("text-to-speech", '{"text": "价格是12412", "voice": "女声"}')]},
        ]
    )
    client = client_for(live_server(scripted_assistant(retrieval_assistant, backend)))
    messages = [{"role": "user", "content": QUESTION}]
    resp = client.chat.completions.create(model="lawglm", messages=messages, tools=TOOLS)
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "track" and call.id
    assert json.loads(call.function.arguments) == {"symbol": "10111"}
    assert backend.requests[0]["tools"] == TOOLS and backend.requests[0]["messages"] == messages
    # the caller runs the tool and sends the result back as role "tool"
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '{"price": 12412}'}]
    resp = client.chat.completions.create(model="lawglm", messages=messages, tools=TOOLS)
    assert resp.choices[0].finish_reason == "stop"
    assert resp.choices[0].message.content == "股票10111的实时价格是12412。"
    sent = backend.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "track" and sent[2] == messages[2]
    # streamed: the call arrives as OpenAI streams it (id + name first, then the arguments)
    stream = client.chat.completions.create(
        model="lawglm",
        messages=[{"role": "user", "content": "把价格读出来"}],
        tools=TOOLS,
        tool_choice="required",
        stream=True,
    )
    chunks = list(stream)
    first = chunks[0].choices[0].delta
    assert (
        first.role == "assistant"
        and first.tool_calls[0].id
        and first.tool_calls[0].function.name == "text-to-speech"
    )
    args = "".join(tc.function.arguments or "" for c in chunks for tc in c.choices[0].delta.tool_calls or [])
    assert json.loads(args) == {"text": "价格是12412", "voice": "女声"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert backend.requests[2]["tool_choice"] == "required"


def test_text_answers_stream_and_citations_are_checked(live_server, retrieval_assistant):
    text = "依据《中华人民共和国民法典》第一千二百五十四条，由侵权人承担责任。"
    backend = ScriptedBackend([{"content": text}])
    client = client_for(live_server(scripted_assistant(retrieval_assistant, backend)))
    chunks = list(client.chat.completions.create(model="lawglm", tools=TOOLS, stream=True,
                                                 messages=[{"role": "user", "content": "花盆砸人谁负责？"}]))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert chunks[-1].choices[0].finish_reason == "stop"
    cites = chunks[-1].model_extra["citations"]
    assert [(c["law"], c["article_no"], c["verified"]) for c in cites] == [
        ("中华人民共和国民法典", 1254, True)
    ]


def test_a_malformed_call_is_reported_not_guessed(live_server, retrieval_assistant):
    backend = ScriptedBackend([{"tool_calls": [("track", '{"symbol": 10111')]},
                               {"tool_calls": [("weather", '{"city": "北京"}')]}])
    client = client_for(live_server(scripted_assistant(retrieval_assistant, backend)))
    for why in ("not JSON", "not among the tools"):
        resp = client.chat.completions.create(model="lawglm", tools=TOOLS,
                                              messages=[{"role": "user", "content": QUESTION}])
        assert resp.choices[0].finish_reason == "tool_call_error" and not resp.choices[0].message.tool_calls
        assert why in resp.model_extra["tool_call_error"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"tool_choice": "auto"}, "tool_choice"),
        (
            {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "weather"}}},
            "tool_choice",
        ),
        ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice"),
        ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}, "name"),
        ({"tools": [{"type": "retrieval"}]}, "type"),
        ({"tools": TOOLS + TOOLS[:1]}, "used twice"),
        (
            {
                "tools": TOOLS,
                "messages": [
                    {"role": "user", "content": QUESTION},
                    {"role": "tool", "tool_call_id": "call_x", "content": "{}"},
                ],
            },
            "tool_call_id",
        ),
        (
            {
                "tools": TOOLS,
                "messages": [
                    {"role": "user", "content": QUESTION},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "track", "arguments": "[1]"},
                            }
                        ],
                    },
                ],
            },
            "arguments",
        ),
    ],
)
def test_tools_and_tool_choice_are_validated(make_client, retrieval_assistant, body, field):
    client = make_client(scripted_assistant(retrieval_assistant, ScriptedBackend([])))
    r = client.post("/v1/chat/completions", json={"model": "lawglm",
                                                 "messages": [{"role": "user", "content": QUESTION}], **body})
    assert r.status_code == 422 and field in r.text


def test_tools_need_a_model_with_a_tool_format(make_client, retrieval_assistant, model_assistant):
    for assistant, why in ((retrieval_assistant, "retrieval-only"), (model_assistant, "no tool-calling")):
        r = make_client(assistant).post("/v1/chat/completions", json={
            "model": "lawglm", "messages": [{"role": "user", "content": QUESTION}], "tools": TOOLS})
        assert r.status_code == 422 and why in r.text and "tools" in r.text
    # tool_choice none: tools are not offered, the usual grounded answer
    r = make_client(retrieval_assistant).post("/v1/chat/completions", json={
        "model": "lawglm", "messages": [{"role": "user", "content": "花盆砸伤人谁负责？"}], "tools": TOOLS,
        "tool_choice": "none"})
    assert r.status_code == 200 and r.json()["retrieved"]


def test_seed_tools_round_trip_through_chatglm(make_client, retrieval_assistant):
    backend = ScriptedBackend([{"tool_calls": [("track", '{"symbol": "10111"}')]},
                               {"content": "股票10111的价格是12412。"}])
    client = make_client(scripted_assistant(retrieval_assistant, backend))
    system = {
        "role": "system",
        "content": "Answer the following questions as best as you can. You have access to "
        "the following tools:",
        "tools": SEED_TOOLS,
    }
    r = client.post("/chatglm", json={"prompt": QUESTION, "history": [system]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["response"] == {"name": "track", "parameters": {"symbol": "10111"}}
    assert out["history"][-1]["metadata"] == "track" and out["finish_reason"] == "tool_calls"
    assert backend.requests[0]["tools"] == TOOLS
    r = client.post(
        "/chatglm", json={"prompt": '{"price": 12412}', "role": "observation", "history": out["history"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["response"] == "股票10111的价格是12412。"
    sent = backend.requests[1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool"]
    assert (
        sent[3]["tool_call_id"] == sent[2]["tool_calls"][0]["id"] and sent[3]["content"] == '{"price": 12412}'
    )
    r = client.post("/chatglm", json={"prompt": "{}", "role": "observation", "history": [system]})
    assert r.status_code == 422 and "observation must answer a tool call" in r.text


# --- agent mode: the model calls lawglm's legal tools (recorded replies) ---------------------------------
def agent_for(retrieval_assistant, backend, **settings):
    from lawglm.tools.agent import AgentAssistant

    return AgentAssistant(scripted_assistant(retrieval_assistant, backend, agent=True, **settings))


def test_agent_calls_the_legal_tools_and_its_answer_is_checked(retrieval_assistant, corpus):
    article = corpus.get("中华人民共和国民法典", 1254).text
    quote = article.split("。")[0] + "。"
    answer = f"依据《中华人民共和国民法典》第一千二百五十四条：“{quote}”"
    backend = ScriptedBackend([
        {"tool_calls": [("search_statutes", '{"query": "楼上花盆掉下来砸伤人谁负责", "top_k": 3}')]},
        {"tool_calls": [("get_article", '{"law": "民法典", "article_no": "1254"}')]},
        {"content": answer}])
    ans = agent_for(retrieval_assistant, backend).ask("楼上花盆掉下来砸伤了我，谁负责？")
    assert ans.usage.mode == "agent" and ans.usage.agent_stopped is None
    assert [(s["tool"], s["ok"]) for s in ans.usage.agent_steps] == [
        ("search_statutes", True),
        ("get_article", True),
    ]
    assert backend.requests[0]["tools"][0]["function"]["name"] == "search_statutes"
    assert quote[:20] in backend.requests[2]["messages"][-1]["content"]  # the model read the article's text
    (cite,) = ans.citations
    assert (cite.law, cite.article_no, cite.verified, cite.supported) == (
        "中华人民共和国民法典",
        1254,
        True,
        True,
    )
    assert ("中华人民共和国民法典", 1254) in {(h.article.law, h.article.article_no) for h in ans.retrieved}


def test_agent_tool_failure_is_an_observation_and_unsourced_citations_are_flagged(retrieval_assistant):
    backend = ScriptedBackend([
        {"tool_calls": [("get_article", '{"law": "不存在的法", "article_no": "1"}')]},
        {"content": "依据《中华人民共和国民法典》第一千二百五十四条，由侵权人承担责任。"}])
    ans = agent_for(retrieval_assistant, backend).ask("楼上花盆掉下来砸伤了我，谁负责？")
    assert ans.usage.agent_steps == [
        {"tool": "get_article", "arguments": '{"law": "不存在的法", "article_no": "1"}', "ok": False}
    ]
    observation = backend.requests[1]["messages"][-1]
    assert observation["role"] == "tool" and "error" in json.loads(observation["content"])
    (cite,) = ans.citations  # exists, but no tool returned it: not supported
    assert cite.verified and cite.supported is False and cite.support["reason"] == "not_in_sources"


def test_a_looping_model_is_bounded(retrieval_assistant):
    loop = [{"tool_calls": [("search_statutes", '{"query": "花盆"}')]}] * 3
    backend = ScriptedBackend([*loop, {"content": "无法确定。"}])
    ans = agent_for(retrieval_assistant, backend, agent_max_steps=3).ask("楼上花盆掉下来砸伤了我，谁负责？")
    assert ans.usage.agent_stopped == "max_steps" and len(ans.usage.agent_steps) == 3
    assert len(backend.requests) == 4 and backend.requests[-1]["tool_choice"] == "none"
    assert ans.answer == "无法确定。"
    backend = ScriptedBackend([*loop, {"content": "无法确定。"}])
    ans = agent_for(retrieval_assistant, backend, agent_timeout_s=1e-9).ask(
        "楼上花盆掉下来砸伤了我，谁负责？"
    )
    assert ans.usage.agent_stopped == "timeout" and len(backend.requests) == 1


def test_agent_mode_needs_a_model_that_can_call_tools(retrieval_assistant, model_assistant):
    from lawglm.errors import ModelError
    from lawglm.tools.agent import AgentAssistant

    for assistant in (retrieval_assistant, model_assistant):  # the embedded-style model has no tool format
        with pytest.raises(ModelError, match="cannot call tools"):
            AgentAssistant(assistant)


def test_agent_answers_through_the_server(make_client, retrieval_assistant):
    backend = ScriptedBackend([{"tool_calls": [("search_statutes", '{"query": "花盆砸人"}')]},
                               {"content": "应由侵权人承担责任。"}])
    r = make_client(agent_for(retrieval_assistant, backend)).post(
        "/v1/legal/ask", json={"question": "楼上花盆掉下来砸伤了我，谁负责？"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["answer"] == "应由侵权人承担责任。" and r.json()["usage"]["mode"] == "agent"
