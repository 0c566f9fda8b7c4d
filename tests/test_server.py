"""The HTTP service through FastAPI's TestClient: the real app over the real Assistant (tiny index,
retrieval-only or the tiny Gemma3), validation, errors, auth, limits, metrics, queueing."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import pytest

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"


def parse_sse(text: str) -> list[tuple[str, dict]]:
    """Server-Sent Events -> [(event, data)], checking the wire format strictly."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        assert set(fields) == {"event", "data"}, block
        events.append((fields["event"], json.loads(fields["data"])))
    return events


@pytest.fixture
def client(make_client, retrieval_assistant):
    return make_client(retrieval_assistant)


def error_fields(r) -> list[str]:
    return [".".join(map(str, d["loc"][1:])) for d in r.json()["detail"]]


# --- answers ---------------------------------------------------------------------------------------
def test_ask_returns_grounded_answer_with_checked_citations(client, corpus):
    r = client.post("/v1/legal/ask", json={"question": QUESTION, "top_k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"answer", "citations", "retrieved", "usage"}
    assert len(body["retrieved"]) == 3
    keys = {(h["law"], h["article_no"]) for h in body["retrieved"]}
    assert ("中华人民共和国民法典", 1254) in keys
    assert body["citations"], "a retrieval-only answer cites the retrieved articles"
    for c in body["citations"]:
        assert c["verified"] and c["reason"] == "valid"
        assert c["text"] == corpus.get(c["law"], c["article_no"]).text  # full text comes from the corpus


def test_ask_stream_is_sse_tokens_then_final(client):
    r = client.post("/v1/legal/ask", json={"question": QUESTION, "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    kinds = [e for e, _ in events]
    assert kinds[-1] == "final" and kinds.count("final") == 1 and "token" in kinds
    assert set(kinds[:-1]) == {"token"}
    final = events[-1][1]
    assert "".join(d["text"] for e, d in events if e == "token") == final["answer"]
    assert final["citations"] and final["retrieved"]


def test_ask_follow_up_with_history_in_both_formats(client):
    pairs = [["邻居家花盆掉下来砸伤了人怎么办？", "可依据民法典相关规定。"]]
    messages = [{"role": "user", "content": pairs[0][0]}, {"role": "assistant", "content": pairs[0][1]}]
    for history in (pairs, messages):
        r = client.post("/v1/legal/ask", json={"question": "找不到是谁扔的呢？", "history": history})
        assert r.status_code == 200, r.text
        assert r.json()["retrieved"]


def test_chatglm_api_shape(client):
    r = client.post("/chatglm", json={"prompt": QUESTION, "history": [], "max_length": 512, "top_p": 0.7,
                                      "temperature": 0.95})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == 200 and isinstance(body["response"], str) and body["response"]
    assert body["history"] == [[QUESTION, body["response"]]]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body["time"])


# --- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("payload, field", [
    ({"question": ""}, "question"),
    ({"question": "   "}, "question"),
    ({"question": "x" * 4001}, "question"),
    ({"question": "q", "top_p": 0}, "top_p"),
    ({"question": "q", "top_p": 1.01}, "top_p"),
    ({"question": "q", "temperature": -0.1}, "temperature"),
    ({"question": "q", "temperature": 2.5}, "temperature"),
    ({"question": "q", "history": [["only one"]]}, "history"),
    ({"question": "q", "history": "not a list"}, "history"),
    ({"question": "q", "history": [{"role": "wizard", "content": "x"}]}, "history"),
    ({"question": "q", "adapter": "no-such-adapter"}, "adapter"),
    ({"question": "q", "top_k": 0}, "top_k"),
    ({"question": "q", "surprise": 1}, "surprise"),
])
def test_validation_errors_name_the_field(client, payload, field):
    r = client.post("/v1/legal/ask", json=payload)
    assert r.status_code == 422, r.text
    assert any(f == field or f.startswith(field + ".") for f in error_fields(r)), r.json()
    assert field in r.json()["error"]["message"]


def test_history_order_must_alternate(client):
    bad = [{"role": "assistant", "content": "答"}, {"role": "assistant", "content": "又答"}]
    r = client.post("/v1/legal/ask", json={"question": "q", "history": bad})
    assert r.status_code == 422 and error_fields(r) == ["history"]


def test_question_limit_comes_from_settings(make_client, retrieval_assistant):
    c = make_client(retrieval_assistant, max_question_chars=10)
    assert c.post("/v1/legal/ask", json={"question": "短问题"}).status_code == 200
    r = c.post("/v1/legal/ask", json={"question": "这是一个超过十个字符的问题吗"})
    assert r.status_code == 422 and "limit is 10" in r.json()["error"]["message"]


def test_max_length_beyond_context_is_rejected(make_client, model_assistant):
    c = make_client(model_assistant)
    ctx = model_assistant.context_length
    r = c.post("/v1/legal/ask", json={"question": QUESTION, "max_length": ctx + 1})
    assert r.status_code == 422 and error_fields(r) == ["max_length"]
    assert str(ctx) in r.json()["error"]["message"]


def test_unknown_law_filter_is_404(client):
    r = client.post("/v1/legal/ask", json={"question": QUESTION, "law": "不存在的某某法"})
    assert r.status_code == 404 and "不存在的某某法" in r.json()["detail"]


def test_body_limit_is_413(make_client, retrieval_assistant):
    c = make_client(retrieval_assistant, max_body_bytes=2000)
    r = c.post("/v1/legal/ask", json={"question": "问" * 1500})
    assert r.status_code == 413 and "2000" in r.json()["detail"]
    chunks = (b'{"question": "' + b"a" * 1000 for _ in range(5))  # no Content-Length: counted as it arrives
    r = c.post("/v1/legal/ask", content=chunks, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unexpected_errors_hide_internals(client, retrieval_assistant, monkeypatch, caplog):
    def boom(*a, **k):
        raise RuntimeError("secret internal detail at /srv/x.py")

    monkeypatch.setattr(retrieval_assistant.retriever, "search", boom)
    r = client.get("/v1/statutes/search", params={"q": "花盆"})
    assert r.status_code == 500
    body = r.text
    assert "secret" not in body and "Traceback" not in body
    rid = r.json()["request_id"]
    assert rid and rid in r.json()["detail"]
    assert any("secret internal detail" in (rec.exc_text or str(rec.exc_info)) for rec in caplog.records)


# --- statutes & citations --------------------------------------------------------------------------
@pytest.mark.parametrize("law, number", [("民法典", "1254"), ("中华人民共和国民法典", "第一千二百五十四条"),
                                         ("《民法典》", "一千二百五十四")])
def test_statute_lookup(client, corpus, law, number):
    r = client.get(f"/v1/statutes/{law}/{number}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["law"], body["article_no"]) == ("中华人民共和国民法典", 1254)
    assert body["text"] == corpus.get("中华人民共和国民法典", 1254).text and body["status"]


def test_statute_lookup_404_names_what_is_missing(client):
    r = client.get("/v1/statutes/民法典/99999")
    assert r.status_code == 404 and "99999" in r.json()["detail"]
    r = client.get("/v1/statutes/火星法/1")
    assert r.status_code == 404 and "火星法" in r.json()["detail"]


def test_statute_search(client):
    r = client.get("/v1/statutes/search", params={"q": "解除劳动合同 经济补偿", "k": 3})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert 0 < len(hits) <= 3 and all(h["text"] and h["status"] for h in hits)
    assert client.get("/v1/statutes/search", params={"q": " "}).status_code == 422
    assert client.get("/v1/statutes/search", params={"q": "x", "k": 0}).status_code == 422


def test_verify_flags_invented_articles(client):
    text = "依据《民法典》第1254条和《中华人民共和国劳动合同法》第八万八千八百八十八条。"
    r = client.post("/v1/citations/verify", json={"text": text})
    assert r.status_code == 200
    cites = {c["article_no"]: c for c in r.json()["citations"]}
    assert cites[1254]["verified"] and cites[1254]["reason"] == "valid"
    assert not cites[88888]["verified"] and cites[88888]["reason"] == "article_not_found"
    assert r.json()["all_verified"] is False
    r = client.post("/v1/citations/verify", json={"text": "本法第二十条", "law": "刑法"})
    assert r.json()["citations"][0]["law"] == "中华人民共和国刑法"
    assert client.post("/v1/citations/verify", json={"text": ""}).status_code == 422


def test_verify_with_sources_checks_support_and_corrects(client, tiny_corpus):
    a47 = tiny_corpus.get("中华人民共和国劳动合同法", 47)  # the server's corpus is the tiny one
    text = (
        f"《劳动合同法》第四十六条规定：“{a47.text.split('。')[0]}”《民法典》第1254条规定，借款应当按期归还。"
    )
    r = client.post("/v1/citations/verify", json={"text": text, "sources": ["劳动合同法47", "民法典1254"]})
    body = r.json()
    assert r.status_code == 200 and body["all_verified"] and body["all_supported"] is False
    fixed, unrelated = body["citations"]
    assert fixed["supported"] and fixed["support"]["corrected_from"] == "《劳动合同法》第四十六条"
    assert body["text"].startswith("《劳动合同法》第四十七条规定") and fixed["article_no"] == 47
    assert not unrelated["supported"] and unrelated["support"]["reason"] == "unrelated"
    plain = client.post("/v1/citations/verify", json={"text": text}).json()  # no sources: existence only
    assert plain["citations"][0]["supported"] is None and plain["text"] is None
    r = client.post("/v1/citations/verify", json={"text": text, "sources": ["火星法1"]})
    assert (
        r.status_code == 422 and error_fields(r) == ["sources"] and "火星法1" in r.json()["detail"][0]["msg"]
    )


def test_answers_carry_support_on_every_endpoint(make_client, fixed_reply_assistant, support_reply):
    from tests.conftest import SUPPORT_QUESTION

    client = make_client(fixed_reply_assistant(support_reply["reply"]))
    first, wrong = support_reply["first"], support_reply["wrong"]
    body = client.post("/v1/legal/ask", json={"question": SUPPORT_QUESTION, "top_k": 5}).json()
    reasons = [(c["article_no"], c["supported"], c["support"]["reason"]) for c in body["citations"]]
    assert reasons == [(first.article_no, True, "supported"),
                       (support_reply["unrelated"].article_no, False, "unrelated"),
                       (support_reply["outside"].article_no, False, "not_in_sources")]
    assert body["citations"][0]["support"]["corrected_from"] == wrong.citation
    assert first.citation in body["answer"] and wrong.citation not in body["answer"]
    events = parse_sse(client.post("/v1/legal/ask", json={"question": SUPPORT_QUESTION, "stream": True}).text)
    assert events[-1][0] == "final" and events[-1][1]["citations"][1]["support"]["reason"] == "unrelated"
    chat = {"model": "fixed", "messages": [{"role": "user", "content": SUPPORT_QUESTION}]}
    extras = client.post("/v1/chat/completions", json=chat).json()["citations"]
    assert [c["supported"] for c in extras] == [True, False, False]
    assert extras[2]["support"]["reason"] == "not_in_sources"


# --- ops -------------------------------------------------------------------------------------------
def test_health_ready_metrics_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    client.post("/v1/legal/ask", json={"question": QUESTION})
    client.post("/v1/legal/ask", json={"question": ""})
    text = client.get("/metrics").text
    assert 'lawglm_requests_total{route="/v1/legal/ask",method="POST",status="200"} 1' in text
    assert 'lawglm_requests_total{route="/v1/legal/ask",method="POST",status="422"} 1' in text
    assert 'lawglm_request_duration_seconds_bucket{route="/v1/legal/ask",le="+Inf"} 2' in text
    assert "lawglm_queue_depth 0" in text and "lawglm_tokens_generated_total" in text
    schema = client.get("/openapi.json").json()
    props = schema["components"]["schemas"]["AskRequest"]["properties"]
    assert all(p.get("description") for p in props.values())
    assert client.get("/docs").status_code == 200


def test_not_ready_until_loaded(make_client, tmp_path):
    c = make_client(None, index_dir=tmp_path / "no-index", llm="none")
    for _ in range(100):  # the lifespan loads in the background and records why it failed
        r = c.get("/readyz")
        if "reason" in r.json() and "no index" in r.json()["reason"]:
            break
        time.sleep(0.05)
    assert r.status_code == 503 and "no index" in r.json()["reason"]
    assert c.get("/healthz").status_code == 200
    r = c.post("/v1/legal/ask", json={"question": QUESTION})
    assert r.status_code == 503 and "no index" in r.json()["detail"]


def test_serve_binds_first_and_says_what_it_prepares(make_client, tmp_path, tiny_articles, monkeypatch):
    """`lawglm serve`'s app answers at once: the page, and /readyz with what is being prepared (the index
    it builds first, then the model) and the knobs' bounds; then it becomes ready."""
    import threading

    from lawglm.search.index import current_version
    from lawglm.server import app as app_mod
    from lawglm.server import create_app
    from lawglm.settings import Settings
    from lawglm.statutes.corpus import write_jsonl

    corpus = tmp_path / "statutes.jsonl"
    write_jsonl(tiny_articles, corpus)
    go, real = threading.Event(), app_mod.load_assistant
    monkeypatch.setattr(app_mod, "load_assistant", lambda s: go.wait(30) and real(s))
    settings = Settings(index_dir=tmp_path / "index", llm="none", corpus=str(corpus), encoder="none")
    from fastapi.testclient import TestClient

    with TestClient(create_app(settings=settings, build_index=True)) as c:
        seen = []
        for _ in range(400):
            r = c.get("/readyz")
            seen.append(r.json().get("preparing"))
            if seen[-1] and seen[-1]["stage"] == "model":
                break
            time.sleep(0.025)
        assert r.status_code == 503 and seen[-1]["label"] == "加载索引" and seen[-1]["elapsed_s"] >= 0
        assert current_version(tmp_path / "index") is not None  # built in the background, port answering
        assert all(p is None or p["stage"] in ("start", "index", "model") for p in seen)
        assert c.get("/").status_code == 200
        limits = r.json()["limits"]
        assert (
            limits["max_new_tokens"]["max"] == settings.max_new_tokens and limits["temperature"]["max"] == 2
        )
        go.set()
        for _ in range(400):
            r = c.get("/readyz")
            if r.status_code == 200:
                break
            time.sleep(0.025)
        assert r.status_code == 200 and "preparing" not in r.json()


def test_request_id_header(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id;<script>"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", forged)  # unsafe ids are replaced by our own


def test_web_page_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"] and "lawglm" in r.text
    assert client.get("/static/app.js").status_code == 200


def test_cors_off_by_default_on_when_configured(make_client, retrieval_assistant):
    h = {"Origin": "http://example.org"}
    off = make_client(retrieval_assistant).get("/healthz", headers=h)
    assert "access-control-allow-origin" not in off.headers
    on = make_client(retrieval_assistant, cors_origins=["http://example.org"]).get("/healthz", headers=h)
    assert on.headers["access-control-allow-origin"] == "http://example.org"


# --- admin auth ------------------------------------------------------------------------------------
def test_admin_disabled_without_token(client):
    r = client.post("/v1/index/reload")
    assert r.status_code == 403 and "LAWGLM_ADMIN_TOKEN" in r.json()["detail"]


def test_admin_token_checked(make_client, retrieval_assistant):
    c = make_client(retrieval_assistant, admin_token="s3cret-token")
    assert c.post("/v1/index/reload").status_code == 401
    assert c.post("/v1/index/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.post("/v1/index/reload", headers={"Authorization": "Basic s3cret-token"}).status_code == 401
    r = c.post("/v1/index/reload", headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200 and r.json()["version"] == retrieval_assistant.retriever.version


# --- the generation worker -------------------------------------------------------------------------
def _occupy(worker, n: int, gate: threading.Event) -> None:
    """Fill the worker: one job running (blocked on gate) and n more queued."""
    def blocked(cancel):
        gate.wait(30)
        yield "x"

    async def submit(k: int) -> None:
        for _ in range(k):
            worker.submit(blocked)

    def wait_for(running: int, depth: int) -> None:
        deadline = time.monotonic() + 10
        while (worker.running, worker.depth) != (running, depth) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (worker.running, worker.depth) == (running, depth)

    asyncio.run(submit(1))
    wait_for(1, 1)  # the worker took it and is blocked: the queue is empty
    asyncio.run(submit(n))
    wait_for(1, n + 1)


def test_queue_full_is_503_with_retry_after(make_client, model_assistant):
    c = make_client(model_assistant, queue_size=2)
    worker = c.app.state.lawglm.worker
    gate = threading.Event()
    try:
        _occupy(worker, 2, gate)
        r = c.post("/v1/legal/ask", json={"question": QUESTION})
        assert r.status_code == 503 and r.headers["retry-after"]
        assert "queue is full" in r.json()["detail"]
        assert "lawglm_queue_depth 3" in c.get("/metrics").text
        # retrieval needs no model: it is served while the model is busy
        assert c.get("/v1/statutes/search", params={"q": "花盆"}).status_code == 200
    finally:
        gate.set()
    r = c.post("/v1/legal/ask", json={"question": QUESTION, "max_length": 256})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "path, payload, field",
    [
        ("/v1/legal/ask", {"question": QUESTION, "max_length": 15}, "max_length"),
        (
            "/v1/legal/ask",
            {"question": "问" * 1500, "max_length": 64},
            "question",
        ),  # does not fit: tokenizer check
        ("/v1/legal/ask", {"question": QUESTION, "adapter": "nope"}, "adapter"),
        ("/chatglm", {"prompt": QUESTION, "history": [], "temperature": "hot"}, "temperature"),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": QUESTION}], "max_tokens": 10**6},
            "max_tokens",
        ),
    ],
)
def test_bad_options_are_refused_before_the_queue(make_client, model_assistant, path, payload, field):
    """Issue 15: a bad option waited behind the whole queue before its 422; now it never reaches the queue."""
    c = make_client(model_assistant, queue_size=1)
    gate = threading.Event()
    try:
        _occupy(c.app.state.lawglm.worker, 1, gate)  # one running, one waiting: a new job would get 503
        t0 = time.monotonic()
        r = c.post(path, json=payload)
        assert r.status_code == 422, r.text
        assert field in error_fields(r) and time.monotonic() - t0 < 5
        assert c.app.state.lawglm.worker.rejected_total == 0
    finally:
        gate.set()


def test_retrieval_only_answers_do_not_wait_for_the_model_worker(make_client, retrieval_assistant):
    c = make_client(retrieval_assistant, queue_size=1)
    gate = threading.Event()
    try:
        _occupy(c.app.state.lawglm.worker, 1, gate)
        assert c.post("/v1/legal/ask", json={"question": QUESTION}).status_code == 200
        assert c.post("/v1/legal/ask", json={"question": QUESTION, "stream": True}).status_code == 200
    finally:
        gate.set()


def test_model_answer_streams_and_counts_tokens(make_client, model_assistant):
    c = make_client(model_assistant)
    r = c.post("/v1/legal/ask", json={"question": QUESTION, "stream": True, "max_length": 512,
                                      "temperature": 0})
    assert r.status_code == 200, r.text
    events = parse_sse(r.text)
    final = events[-1][1]
    assert events[-1][0] == "final"
    assert "".join(d["text"] for e, d in events if e == "token") == final["answer"]
    tokens = final["usage"]["completion_tokens"]
    assert tokens > 0
    assert f"lawglm_tokens_generated_total {tokens}" in c.get("/metrics").text


def test_streamed_model_citations_are_verified_and_inventions_flagged(
    make_client, model_assistant, tiny_corpus
):
    from doubles import Recorded

    from lawglm.answer.assistant import Assistant

    real = tiny_corpus.get("中华人民共和国民法典", 1254)
    reply = (
        f"依据{real.citation}，由侵权人承担责任；另见《中华人民共和国民法典》第9999条和《月球开发法》第3条。"
    )
    recorded = Assistant(model_assistant.retriever, Recorded(reply), model_assistant.settings)
    r = make_client(recorded).post("/v1/legal/ask", json={"question": QUESTION, "stream": True,
                                                          "answer_shape": "free"})
    assert r.status_code == 200, r.text
    final = parse_sse(r.text)[-1][1]
    reasons = {(c["law"], c["article_no"]): (c["verified"], c["reason"]) for c in final["citations"]}
    assert reasons[(real.law, 1254)] == (True, "valid")
    assert reasons[(real.law, 9999)] == (False, "article_not_found")
    assert [v for (law, no), v in reasons.items() if no == 3] == [(False, "law_not_found")]


@pytest.mark.parametrize("shape", ["grounded", "free"])
def test_answer_shape_per_request(make_client, model_assistant, shape):
    c = make_client(model_assistant)
    r = c.post("/v1/legal/ask", json={"question": QUESTION, "answer_shape": shape, "max_length": 512,
                                      "temperature": 0})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["usage"]["shape"] == shape
    assert body["answer"].startswith("结论：") == (shape == "grounded")
    if shape == "grounded":  # whatever the tiny model writes, the basis is verbatim and supported
        assert "法律依据：" in body["answer"] and body["citations"]
        assert all(
            x["supported"] for x in body["citations"] if x["raw"] in body["answer"].split("法律依据：")[1]
        )
    bad = c.post("/v1/legal/ask", json={"question": QUESTION, "answer_shape": "poem"})
    assert bad.status_code == 422 and "answer_shape" in bad.text
    chat = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}],
                                                "answer_shape": shape, "max_tokens": 32, "temperature": 0})
    assert chat.status_code == 200 and chat.json()["choices"][0]["message"]["content"].startswith("结论：") \
        == (shape == "grounded")


# --- contracts -------------------------------------------------------------------------------------
SALE_REQUEST = (
    "帮我起草一份家具买卖合同，乙方是北京红源家具有限责任公司，购买红源牌实木餐桌10张，单价3000元，"
    "红源牌实木椅40把，单价800元。争议解决方式选择诉讼，管辖法院约定为北京市海淀区人民法院。"
)


def test_contract_templates_and_schema(client):
    names = [t["name"] for t in client.get("/v1/contracts").json()["templates"]]
    assert "sale" in names
    schema = client.get("/v1/contracts/sale").json()
    assert schema["name"] == "sale" and "items" in schema["properties"]
    r = client.get("/v1/contracts/no-such-contract")
    assert r.status_code == 404 and r.json()["available"] == names and "sale" in r.json()["detail"]


def test_contract_draft_from_request(client):
    r = client.post("/v1/contracts/draft", json={"request": SALE_REQUEST})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["template"] == "sale"
    assert "北京红源家具有限责任公司" in d["markdown"] and "北京市海淀区人民法院" in d["markdown"]
    assert "{{" not in d["markdown"] and "None" not in d["markdown"]


def test_contract_draft_docx(client):
    import io

    docx = pytest.importorskip("docx")
    r = client.post("/v1/contracts/draft", params={"format": "docx"}, json={"request": SALE_REQUEST})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    doc = docx.Document(io.BytesIO(r.content))
    cells = " ".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    text = "\n".join(p.text for p in doc.paragraphs) + cells
    assert doc.tables and "红源牌实木餐桌" in cells and "北京市海淀区人民法院" in text


def test_contract_errors(client):
    r = client.post("/v1/contracts/draft", json={"template": "sale", "fields": {"bogus": 1}})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["bogus"]
    assert r.json()["detail"][0]["loc"] == ["body", "fields", "bogus"]
    r = client.post("/v1/contracts/draft", json={"request": "今天天气怎么样？"})
    assert r.status_code == 422 and r.json()["choices"]
    assert client.post("/v1/contracts/draft", json={}).status_code == 422
    assert (
        client.post("/v1/contracts/draft", params={"format": "pdf"}, json={"template": "sale"}).status_code
        == 422
    )


# --- index administration --------------------------------------------------------------------------
# A fictional statute written for this test (not real law), in the plain-text format statutes are published
# in.
FICTIONAL_LAW = """中华人民共和国在线更新测试法
第一章 总则
第一条 为了检验法规库在线更新功能，制定本法。
第二条 测试机构应当在收到查询申请之日起七日内作出书面答复。
第三条 本法自2026年3月1日起施行。
"""
ADMIN = {"Authorization": "Bearer admin-token-for-tests"}


@pytest.fixture
def admin_client(make_client, tiny_index, tmp_path):
    import shutil

    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    index_dir = tmp_path / "index"
    shutil.copytree(tiny_index, index_dir)
    assistant = Assistant.from_settings(Settings(llm="none", index_dir=index_dir))
    (tmp_path / "statutes").mkdir()
    return make_client(assistant, llm="none", index_dir=index_dir, admin_token=ADMIN["Authorization"][7:],
                       max_upload_bytes=20_000, ingest_roots=[tmp_path / "statutes"])


def _wait_job(client, job_id: str) -> dict:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = client.get(f"/v1/index/jobs/{job_id}", headers=ADMIN).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_rebuild_from_upload_swaps_index_without_restart(admin_client):
    c = admin_client
    before = c.get("/v1/index").json()
    assert c.get("/v1/statutes/在线更新测试法/2").status_code == 404
    r = c.post("/v1/index/rebuild", headers=ADMIN,
               files={"file": ("在线更新测试法.txt", FICTIONAL_LAW.encode(), "text/plain")})
    assert r.status_code == 202, r.text
    assert r.json()["report"]["articles"] == 3
    job = _wait_job(c, r.json()["job_id"])
    assert job["state"] == "done", job
    after = c.get("/v1/index").json()
    assert after["version"] == job["version"] != before["version"]
    assert after["served_version"] == job["version"]
    got = c.get("/v1/statutes/在线更新测试法/第二条").json()
    assert got["law"] == "中华人民共和国在线更新测试法" and "七日内" in got["text"]
    hits = c.get("/v1/statutes/search", params={"q": "在线更新测试法 查询申请 书面答复"}).json()["hits"]
    assert hits[0]["law"] == "中华人民共和国在线更新测试法"
    # the old laws are still served
    assert c.get("/v1/statutes/民法典/1254").status_code == 200


def test_rebuild_rejects_malformed_input_before_accepting(admin_client):
    c = admin_client
    version = c.get("/v1/index").json()["version"]
    bad = '{"law": "中华人民共和国在线更新测试法", "article_no": 1, "text": "x"}\n{"law": broken\n'
    r = c.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("bad.jsonl", bad.encode())})
    assert r.status_code == 422
    report = r.json()["report"]
    assert report["ok"] is False and any("bad.jsonl:2" in e for e in report["errors"])
    r = c.post("/v1/index/rebuild", headers=ADMIN, json={"path": "/no/such/statutes.txt"})
    assert r.status_code == 422 and error_fields(r) == ["path"]
    r = c.post("/v1/index/rebuild", headers=ADMIN, files={"other": ("x.txt", b"x")})
    assert r.status_code == 422 and error_fields(r) == ["file"]
    r = c.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("big.txt", b"x" * 30_000)})
    assert r.status_code == 413
    assert c.post("/v1/index/rebuild", files={"file": ("a.txt", FICTIONAL_LAW.encode())}).status_code == 401
    assert c.get("/v1/index").json()["version"] == version  # nothing changed
    assert c.get("/v1/index/jobs/nope", headers=ADMIN).status_code == 404
    assert c.get("/v1/index/jobs/nope").status_code == 401  # job status is admin-only too


def test_rebuild_from_server_path(admin_client, tmp_path):
    path = tmp_path / "statutes" / "law.txt"  # inside the configured ingest root
    path.write_text(FICTIONAL_LAW, encoding="utf-8")
    r = admin_client.post("/v1/index/rebuild", headers=ADMIN, json={"path": str(path)})
    assert r.status_code == 202, r.text
    assert _wait_job(admin_client, r.json()["job_id"])["state"] == "done"
    assert admin_client.get("/v1/statutes/在线更新测试法/3").status_code == 200


# --- `lawglm serve` ---------------------------------------------------------------------------------
def test_cli_serve_builds_missing_index_then_serves(tmp_path, tiny_articles):
    import os
    import subprocess
    import sys

    import httpx
    from live import free_port

    from lawglm.search.index import current_version
    from lawglm.statutes.corpus import write_jsonl

    corpus = tmp_path / "statutes.jsonl"
    write_jsonl(tiny_articles, corpus)
    index_dir, port = tmp_path / "index", free_port()
    env = {**os.environ, "LAWGLM_CORPUS": str(corpus), "LAWGLM_ENCODER": "none"}  # BM25-only: quick to build
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lawglm.cli",
            "serve",
            "--llm",
            "none",
            "--port",
            str(port),
            "--index-dir",
            str(index_dir),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, ready = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, proc.stdout.read() if proc.poll() else ready
        assert current_version(index_dir) is not None
        r = httpx.get(f"http://127.0.0.1:{port}/v1/statutes/民法典/1254", timeout=5)
        assert r.status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "building it first" in out and "lawglm: ready after" in out
    assert "GET /readyz" not in out and "GET /v1/statutes" in out  # polls are not logged, requests are


def test_cli_serve_rejects_bad_flags():
    from click.testing import CliRunner

    from lawglm.cli import cli

    r = CliRunner().invoke(cli, ["serve", "--llm", "gpt"])
    assert r.exit_code == 2 and "--llm" in r.output


def test_adapters_reload(make_client, model_assistant, retrieval_assistant, tmp_path):
    from lawglm.answer.assistant import Assistant

    adapters = tmp_path / "adapters"
    adapters.mkdir()
    own = Assistant(model_assistant.retriever, model_assistant.generator,
                    model_assistant.settings.model_copy(update={"adapters_dir": adapters}))
    c = make_client(own, admin_token="tok")
    auth = {"Authorization": "Bearer tok"}
    r = c.post("/v1/adapters/reload", headers=auth)
    assert r.status_code == 200 and r.json() == {"adapters": []}
    assert own.generator is not model_assistant.generator  # a fresh, validated generator was swapped in
    assert c.post("/v1/legal/ask", json={"question": QUESTION, "max_length": 256}).status_code == 200
    r = make_client(retrieval_assistant, admin_token="tok").post("/v1/adapters/reload", headers=auth)
    assert r.status_code == 409 and "retrieval-only" in r.json()["detail"]
