"""Admin uploads: malformed or hostile inputs to the rebuild route are clean 4xx with a
request id, the token is checked before a multipart body is read, uploads have limits named in the 4xx, and
server paths stay out of the server's logs (the admin's own response may name them)."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
from test_hardening import ADMIN, LAW, fields_of


def _jsonl(*records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


@pytest.fixture
def admin(make_client, tiny_index, tmp_path):
    """A client with the admin token over a copy of the tiny index (tmp_path/index), ingest root
    tmp_path/roots."""
    return _admin_client(make_client, tiny_index, tmp_path)


ROW = {
    "law": "中华人民共和国在线更新测试法",
    "article_no": 1,
    "text": "为了检验法规库在线更新功能，制定本法。",
}


# --- 8. inputs that got a 500 ----------------------------------------------------------------------------
@pytest.mark.parametrize("filename", ["..", ".", "../..", ".hidden.txt"])
def test_an_upload_named_dot_dot_is_a_422_with_a_request_id(admin, filename):
    r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": (filename, LAW.encode())})
    assert r.status_code == 422, r.text
    assert fields_of(r) == ["file"] and r.headers.get("x-request-id") == r.json()["request_id"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "true", "[1]", '{"a": 1}', "1.5"])
def test_an_article_no_that_is_no_number_is_a_422(admin, value):
    raw = _jsonl(ROW).replace(b'"article_no": 1', b'"article_no": ' + value.encode())
    r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.jsonl", raw)})
    assert r.status_code == 422, r.text
    assert "article_no" in r.text and r.headers.get("x-request-id")


def test_a_jsonl_line_nested_100000_deep_is_a_422(admin):
    raw = b'{"law": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n" + _jsonl(ROW)
    r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.jsonl", raw)})
    assert r.status_code == 422, r.text
    assert "law.jsonl:1" in r.text and "nested" in r.text and r.headers.get("x-request-id")


def test_an_unexpected_error_still_carries_the_request_id(make_client, retrieval_assistant, monkeypatch):
    """A 500 (nothing here should produce one: a bug) has the generic body and the X-Request-ID header."""
    from lawglm.server import routes_legal

    c = make_client(retrieval_assistant, llm="none")

    def boom(*a, **k):
        raise IsADirectoryError(21, "Is a directory", "/srv/private/uploads/..")
    monkeypatch.setattr(routes_legal, "status_detail", boom)
    r = c.get("/v1/statutes/民法典/1254", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 500 and r.headers.get("x-request-id") == "abc-123"
    assert r.json()["request_id"] == "abc-123" and "/srv" not in r.text


# --- 9. the token before the body -------------------------------------------------------------------------
def test_a_multipart_upload_without_the_token_is_refused_before_its_body_is_read(live_server, tiny_index,
                                                                                 retrieval_assistant):
    url = live_server(retrieval_assistant, llm="none", index_dir=tiny_index, admin_token="right-token")
    host, port = url.removeprefix("http://").split(":")
    boundary = "lawglmboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode()
    declared = 45_000_000
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /v1/index/rebuild HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token\r\n"
                  b"Content-Type: multipart/form-data; boundary=" + boundary.encode() + b"\r\n"
                  b"Content-Length: " + str(declared).encode() + b"\r\n\r\n" + head + b"x" * 65_536)
        t = time.perf_counter()
        s.settimeout(5)
        reply = s.recv(4096)  # the 401 comes before the 45 MB body is sent, not after it is spooled
    assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
    assert time.perf_counter() - t < 5


# --- 10. limits per document and per upload ----------------------------------------------------------------
@pytest.mark.parametrize("field, value, setting", [
    ("article_no", 10 ** 30, "LAWGLM_MAX_ARTICLE_NO"),
    ("article_no", 5001, "LAWGLM_MAX_ARTICLE_NO"),
    ("sub_no", 51, "LAWGLM_MAX_SUB_NO"),
])
def test_article_numbers_beyond_the_range_are_a_422_naming_the_limit(admin, field, value, setting):
    r = admin.post(
        "/v1/index/rebuild", headers=ADMIN, files={"file": ("law.jsonl", _jsonl({**ROW, field: value}))}
    )
    assert r.status_code == 422, r.text
    assert setting in r.text and "1000000000000000000000000000000条" not in r.text


def test_a_text_law_numbering_beyond_the_range_is_a_422(admin):
    law = "中华人民共和国在线更新测试法\n第一条 内容。\n第一万零一条 内容。\n"
    r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.txt", law.encode())})
    assert r.status_code == 422 and "LAWGLM_MAX_ARTICLE_NO" in r.text, r.text


def _admin_client(make_client, tiny_index, tmp_path, **overrides):
    import shutil

    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    index_dir = tmp_path / "index"
    shutil.copytree(tiny_index, index_dir)
    (tmp_path / "roots").mkdir()
    return make_client(Assistant.from_settings(Settings(llm="none", index_dir=index_dir)), llm="none",
                       index_dir=index_dir, admin_token=ADMIN["Authorization"][7:],
                       ingest_roots=[tmp_path / "roots"], **overrides)


def test_too_many_articles_in_one_upload_is_a_422_naming_the_limit(make_client, tiny_index, tmp_path):
    c = _admin_client(make_client, tiny_index, tmp_path, max_upload_articles=20)
    rows = [{**ROW, "law": f"中华人民共和国测试{i // 7}法", "article_no": i % 7 + 1} for i in range(21)]
    r = c.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.jsonl", _jsonl(*rows))})
    assert r.status_code == 422 and "LAWGLM_MAX_UPLOAD_ARTICLES" in r.text and "21" in r.text, r.text
    r = c.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.jsonl", _jsonl(*rows[:20]))})
    assert r.status_code == 202, r.text


def test_an_upload_over_the_size_limit_names_the_setting(make_client, retrieval_assistant):
    c = make_client(
        retrieval_assistant, llm="none", admin_token=ADMIN["Authorization"][7:], max_upload_bytes=1000
    )
    r = c.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.txt", ("法" * 2000).encode())})
    assert r.status_code == 413 and "LAWGLM_MAX_UPLOAD_BYTES" in r.text and r.headers.get("x-request-id")


def test_a_server_path_over_the_size_limit_is_a_422(make_client, tiny_index, tmp_path):
    c = _admin_client(make_client, tiny_index, tmp_path, max_upload_bytes=1000)
    (tmp_path / "roots" / "law.txt").write_text(LAW + "第三条 " + "字" * 600 + "。\n", encoding="utf-8")
    r = c.post("/v1/index/rebuild", headers=ADMIN, json={"path": str(tmp_path / "roots")})
    assert r.status_code == 422 and "LAWGLM_MAX_UPLOAD_BYTES" in r.text, r.text


# --- 14. server paths stay out of the logs -----------------------------------------------------------------
def test_a_failed_job_names_paths_to_the_admin_but_not_in_the_log(admin, tmp_path, caplog):
    (tmp_path / "index" / "CURRENT").write_text("99999-gone\n")  # the job's load of the index fails
    with caplog.at_level(logging.INFO, logger="lawglm"):
        r = admin.post("/v1/index/rebuild", headers=ADMIN, files={"file": ("law.txt", LAW.encode())})
        assert r.status_code == 202, r.text
        status = r.json()["status_url"]
        for _ in range(100):
            job = admin.get(status, headers=ADMIN).json()
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
    assert job["state"] == "failed" and str(tmp_path) in job["error"]  # the admin may see where
    logged = "\n".join(caplog.handler.format(rec) for rec in caplog.records)
    assert "failed" in logged and str(tmp_path) not in logged and "<path>" in logged, logged
