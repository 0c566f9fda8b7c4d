"""Hostile input: no 5xx, bounded error bodies, confined admin paths, the DoS cases with their
sizes."""

from __future__ import annotations

import json
import os
import socket
import time

import httpx
import pytest

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"
ADMIN = {"Authorization": "Bearer admin-token-for-tests"}
LAW = ("中华人民共和国在线更新测试法\n\n第一条 为了检验法规库在线更新功能，制定本法。\n第二条 "
    "本法自2026年3月1日起施行。\n")


@pytest.fixture
def client(make_client, retrieval_assistant):
    return make_client(retrieval_assistant, llm="none")


def fields_of(r) -> list[str]:
    return [".".join(map(str, d["loc"][1:])) for d in r.json()["detail"]]


def post_raw(client, path: str, raw: bytes):
    return client.post(path, content=raw, headers={"content-type": "application/json"})


# --- characters no request may carry -------------------------------------------------------------------
@pytest.mark.parametrize("path, payload, field", [
    ("/v1/legal/ask", {"question": "借款\\ud800"}, "question"),
    ("/v1/legal/ask", {"question": "借款", "history": [["问\\ud800", "答"]]}, "history"),
    ("/v1/legal/ask", {"question": "借款", "history": [{"role": "user", "content": "\\udfff"},
                                                      {"role": "assistant", "content": "x"}]}, "history"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "借款\\ud800"}]}, "messages"),
    ("/chatglm", {"prompt": "借款", "history": [["\\ud800", "答"]]}, "history"),
    ("/v1/contracts/draft", {"template": "loan", "fields": {"lender": "张三\\ud800"}}, "fields"),
    ("/v1/legal/ask", {"question": "借款", "\\ud800": 1}, ""),  # the unknown-field 422 renders too
])
def test_lone_surrogates_are_422_naming_the_field(client, path, payload, field):
    raw = json.dumps(payload, ensure_ascii=False).replace("\\\\u", "\\u").encode()
    r = post_raw(client, path, raw)
    assert r.status_code == 422, r.text
    assert any(f.startswith(field) for f in fields_of(r)), r.json()


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\ufffe"])
def test_docx_with_xml_incompatible_characters_is_422(client, char):
    r = client.post("/v1/contracts/draft", params={"format": "docx"},
                    json={"template": "loan", "fields": {"lender": f"张三{char}公司"}})
    assert r.status_code == 422, r.text
    assert fields_of(r) == ["fields"] and "lender" in r.json()["error"]["message"]
    r = client.post("/v1/contracts/draft", params={"format": "docx"},
                    json={"request": f"帮我起草一份借款合同，出借人张三{char}"})
    assert r.status_code == 422 and fields_of(r) == ["request"]


@pytest.mark.parametrize("raw", [b'{"question": "\xff\xfe"}', b"[" * 10_000 + b"]" * 10_000,
                                 b'{"question": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001])
def test_unreadable_bodies_are_422(client, raw):
    r = post_raw(client, "/v1/legal/ask", raw)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][0] == "body"


# --- error amplification and up-front caps --------------------------------------------------------------
def test_a_megabyte_of_invalid_items_gets_a_small_fast_422(client):
    """~1 MB of invalid history items gets a small 422 quickly (pydantic alone would list every item, the
    input echoed each time: an 80 MB body)."""
    for n in (120_000, 9_000):  # over the structural bound, and under it (each item validated)
        raw = json.dumps({"question": "借款", "history": [[1, 2]] * n}).encode()
        t = time.perf_counter()
        r = post_raw(client, "/v1/legal/ask", raw)
        assert r.status_code == 422 and time.perf_counter() - t < 3.0
        assert len(r.content) < 10_000 and len(r.json()["detail"]) <= 20
    assert "more errors" in r.json()["error"]["message"]


def test_history_longer_than_the_setting_is_422_naming_the_limit(make_client, retrieval_assistant):
    c = make_client(retrieval_assistant, llm="none", max_history_turns=10)
    r = c.post("/v1/legal/ask", json={"question": QUESTION, "history": [["问", "答"]] * 11})
    assert r.status_code == 422 and fields_of(r) == ["history"]
    assert "the limit is 10" in r.json()["error"]["message"]
    msgs = [{"role": "user", "content": "问"}, {"role": "assistant", "content": "答"}] * 6
    r = c.post("/v1/chat/completions", json={"messages": [*msgs, {"role": "user", "content": QUESTION}]})
    assert r.status_code == 422 and fields_of(r) == ["messages"]
    assert (
        c.post("/v1/legal/ask", json={"question": QUESTION, "history": [["问", "答"]] * 10}).status_code
        == 200
    )


def test_long_history_is_answered_quickly_with_the_model(make_client, model_assistant):
    """4,000 history pairs are a 422 at once (the max_history_turns cap, before any pair is read), and the
    largest allowed history is budgeted in one pass."""
    c = make_client(model_assistant)
    t = time.perf_counter()
    r = c.post(
        "/v1/legal/ask",
        json={"question": QUESTION, "history": [[f"问题{i}", f"回答{i}"] for i in range(4000)]},
    )
    assert r.status_code == 422 and time.perf_counter() - t < 2.0
    r = c.post("/v1/legal/ask", json={"question": QUESTION, "max_length": 256,
                                      "history": [[f"问题{i}：借款", "回答" * 40] for i in range(100)]})
    assert r.status_code == 200 and r.json()["usage"]["truncation"]["history_dropped"] > 0


def test_a_client_leaving_a_plain_answer_counts_as_cancelled_not_500(live_server, model_assistant):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    chatty = Assistant(model_assistant.retriever, model_assistant.generator,
                       Settings(max_new_tokens=2000, answer_shape="free"))
    url = live_server(chatty)
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"question": QUESTION, "max_length": 1800, "temperature": 0}).encode()
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"POST /v1/legal/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(0.3)
    deadline, text = time.monotonic() + 20, ""
    while 'status="499"' not in text and time.monotonic() < deadline:
        text = httpx.get(url + "/metrics").text
        time.sleep(0.1)
    assert 'route="/v1/legal/ask",status="499"' in text.replace("method=\"POST\",", "")
    assert 'status="500"' not in text


# --- admin confinement ----------------------------------------------------------------------------------
@pytest.fixture
def admin(make_client, tiny_index, tmp_path):
    import shutil

    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    index_dir = tmp_path / "index"
    shutil.copytree(tiny_index, index_dir)
    (tmp_path / "roots").mkdir()
    assistant = Assistant.from_settings(Settings(llm="none", index_dir=index_dir))
    return make_client(assistant, llm="none", index_dir=index_dir, admin_token=ADMIN["Authorization"][7:],
                       ingest_roots=[tmp_path / "roots"], max_article_chars=500, max_law_chars=2000)


def test_rebuild_paths_stay_inside_the_ingest_roots(admin, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("中华人民共和国秘密法\n第一条 口令是hunter2hunter2。\n", encoding="utf-8")
    (tmp_path / "roots" / "link.txt").symlink_to(secret)
    (tmp_path / "roots" / "sub").mkdir()
    (tmp_path / "roots" / "sub" / "law.txt").write_text(LAW, encoding="utf-8")
    (tmp_path / "roots" / "sub" / "inner.txt").symlink_to(secret)
    for path in (
        "/etc/passwd",
        str(secret),
        str(tmp_path / "roots" / "link.txt"),
        str(tmp_path / "roots" / "sub"),
        str(tmp_path / "roots" / ".." / "secret.txt"),
    ):
        r = admin.post("/v1/index/rebuild", headers=ADMIN, json={"path": path})
        assert r.status_code == 422 and fields_of(r) == ["path"], r.text
        assert "outside the ingest roots" in r.text and "hunter2" not in r.text and "秘密法" not in r.text
    (tmp_path / "roots" / "sub" / "inner.txt").unlink()
    r = admin.post("/v1/index/rebuild", headers=ADMIN, json={"path": str(tmp_path / "roots" / "sub")})
    assert r.status_code == 202, r.text


def test_parser_reports_quote_only_short_escaped_excerpts(admin, tmp_path):
    line = "这一行不是条文而是一段很长的、不应被完整回显的私密内容ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = f"中华人民共和国在线更新测试法\n{line}\n未知键名很长很长很长很长很长很长：值\n第一条 内容。\n"
    r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.txt", text.encode())})
    assert r.status_code == 202, r.text
    warnings = " ".join(r.json()["report"]["warnings"])
    assert line[:16] in warnings and line[16:] not in warnings and "ABCDEF" not in warnings
    assert str(tmp_path) not in r.text and "law.txt:2" in warnings  # upload named as sent, no temp dir


def test_article_and_law_size_caps_are_422_with_the_limit(admin):
    huge = "中华人民共和国在线更新测试法\n第一条 " + "很长" * 400 + "。\n"
    r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("big.txt", huge.encode())})
    assert r.status_code == 422 and "the limit is 500" in r.text and "LAWGLM_MAX_ARTICLE_CHARS" in r.text
    many = "中华人民共和国在线更新测试法\n" + "".join(f"第{i}条 " + "字" * 300 + "。\n" for i in range(1, 9))
    r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("many.txt", many.encode())})
    assert r.status_code == 422 and "LAWGLM_MAX_LAW_CHARS" in r.text


def test_public_responses_carry_no_server_paths(admin, tiny_index, tmp_path):
    stats = admin.get("/v1/index").json()
    assert stats["index_dir"] == "index" and stats["articles"] > 0
    for value in stats.values():
        assert not (isinstance(value, str) and "/" in value), stats
    hits = admin.get("/v1/statutes/search", params={"q": "高空抛物"}).json()["hits"]
    assert hits and all("/" not in h["source"] for h in hits)
    assert "/" not in admin.get("/v1/statutes/民法典/1254").json()["source"]
    assert admin.get("/v1/index/jobs/whatever").status_code == 401


def test_stale_upload_dirs_are_removed_at_start_up(make_client, retrieval_assistant, tmp_path):
    uploads = tmp_path / "home" / "uploads"
    dead, live = uploads / "upload-999999999-abc", uploads / f"upload-{os.getpid()}-def"
    for d in (dead, live, uploads / "upload-old-style"):
        d.mkdir(parents=True)
        (d / "statutes.txt").write_text("x")
    make_client(retrieval_assistant, llm="none", home=tmp_path / "home")
    assert live.exists() and not dead.exists() and not (uploads / "upload-old-style").exists()


@pytest.mark.parametrize("shape", ["grounded", "free"])
def test_answering_stops_at_once_when_cancelled(model_assistant, shape):
    """Each long step checks the cancel event: retrieval, prompt budgeting (tests/test_prompts.py), decoding
    (tests/test_generation.py) — a request whose client already left does no model work."""
    import threading

    from lawglm.errors import Cancelled

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        list(model_assistant.stream(QUESTION, [["问", "答"]] * 50, answer_shape=shape, cancel=cancel))


def test_metrics_parse_with_prometheus_client(client):
    """Parity with prometheus-client: its parser reads our exposition text, every family typed,
    histogram buckets cumulative and ending at +Inf == count, and the 422 / 200 counts as sent."""
    from prometheus_client.parser import text_string_to_metric_families

    client.post("/v1/legal/ask", json={"question": QUESTION})
    client.post("/v1/legal/ask", json={"question": ""})
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert families["lawglm_requests"].type == "counter"
    counts = {(s.labels["route"], s.labels["status"]): s.value for s in families["lawglm_requests"].samples
              if s.name == "lawglm_requests_total"}
    assert counts[("/v1/legal/ask", "200")] == 1 and counts[("/v1/legal/ask", "422")] == 1
    hist = families["lawglm_request_duration_seconds"]
    assert hist.type == "histogram"
    ask = [s for s in hist.samples if s.labels.get("route") == "/v1/legal/ask"]
    buckets = [s.value for s in ask if s.name.endswith("_bucket")]
    assert (
        buckets == sorted(buckets)
        and [s.labels["le"] for s in ask if s.name.endswith("_bucket")][-1] == "+Inf"
    )
    assert buckets[-1] == next(s.value for s in ask if s.name.endswith("_count")) == 2
    assert {"lawglm_queue_depth", "lawglm_ready", "lawglm_tokens_generated"} <= set(families)
