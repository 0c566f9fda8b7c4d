"""Strict input: C0/C1 controls and DEL in any text are a 422 (query strings too), JSON
bodies are UTF-8 only (UTF-16/32 refused like GB18030), and booleans are JSON true/false, never "yes"."""

from __future__ import annotations

import json

import pytest

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"


@pytest.fixture
def client(make_client, retrieval_assistant):
    return make_client(retrieval_assistant, llm="none")


def fields_of(r) -> list[str]:
    return [".".join(map(str, d["loc"])) for d in r.json()["detail"]]


@pytest.mark.parametrize("char", ["\x7f", "\x85", "\x80", "\x9f", "\x00", "\x1b"])
def test_control_characters_in_a_question_are_422(client, char):
    r = client.post("/v1/legal/ask", json={"question": f"借款{char}利息"})
    assert r.status_code == 422 and fields_of(r) == ["body.question"], r.text
    assert f"U+{ord(char):04X}" in r.text


@pytest.mark.parametrize("path, payload, field", [
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "借款\x85"}]}, "body.messages"),
    ("/chatglm", {"prompt": "借款\x7f", "history": []}, "body.prompt"),
    ("/v1/citations/verify", {"text": "《民法典》第1254条\x85"}, "body.text"),
])
def test_control_characters_in_other_bodies_are_422(client, path, payload, field):
    r = client.post(path, json=payload)
    assert r.status_code == 422 and any(f.startswith(field) for f in fields_of(r)), r.text


def test_tab_and_newline_stay_allowed(client):
    assert client.post("/v1/legal/ask", json={"question": f"{QUESTION}\n\t（补充）"}).status_code == 200


@pytest.mark.parametrize("param, value", [("q", "高空\x00抛物"), ("q", "高空\x85抛物"), ("q", "\x7f"),
                                          ("law", "民法典\x00"), ("level", "法律\x00")])
def test_control_characters_in_search_parameters_are_422(client, param, value):
    params = {"q": "高空抛物", param: value}
    r = client.get("/v1/statutes/search", params=params)
    assert r.status_code == 422 and fields_of(r) == [f"query.{param}"], r.text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "gb18030"])
def test_json_bodies_are_utf8_only(client, encoding):
    raw = json.dumps({"question": QUESTION}, ensure_ascii=False).encode(encoding)
    r = client.post("/v1/legal/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and fields_of(r) == ["body"], r.text
    assert "UTF-8" in r.text and r.headers.get("x-request-id")
    for sig in ("utf-8", "utf-8-sig"):
        raw = json.dumps({"question": QUESTION}, ensure_ascii=False).encode(sig)
        r = client.post("/v1/legal/ask", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("path, body", [
    ("/v1/legal/ask", {"question": QUESTION, "stream": "yes"}),
    ("/v1/legal/ask", {"question": QUESTION, "stream": 1}),
    ("/v1/legal/ask", {"question": QUESTION, "draft_first": "true"}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": QUESTION}], "stream": "yes"}),
])
def test_booleans_are_json_true_or_false(client, path, body):
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert any(f in ("body.stream", "body.draft_first") for f in fields_of(r)), r.text
