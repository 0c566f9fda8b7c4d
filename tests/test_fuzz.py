"""Property test over the live app's own /openapi.json (schemathesis): every operation, schema-valid and
schema-violating requests, no 5xx, bounded response size and time, /healthz answering within 1 s.

Small by default (a few examples per operation and mode, ~20 s); `bench/fuzz_bench.py` runs >= 10,000 requests
against a served process and measures CPU per request and /healthz latency.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES = 6  # per operation and generation mode
MAX_BYTES = 2_000_000
MAX_SECONDS = 2.0


TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def app(tmp_path_factory, tiny_index):
    """The app over its own copy of the tiny index (admin rebuilds may change it), ingest roots and home
    in a temp dir (one statute file there, so a generated `path` can reach a real rebuild)."""
    import shutil

    from lawglm.answer.assistant import Assistant
    from lawglm.server import create_app
    from lawglm.settings import Settings

    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(tiny_index, root / "index")
    (root / "roots").mkdir()
    law = "中华人民共和国模糊测试法\n第一条 为了测试，制定本法。\n"
    (root / "roots" / "law.txt").write_text(law, encoding="utf-8")
    settings = Settings(llm="none", admin_token=TOKEN, index_dir=root / "index", home=root / "home",
                        ingest_roots=[root / "roots"])
    return create_app(Assistant.from_settings(settings), settings)


def _check(case, failures: list, headers: dict | None = None, statuses: list | None = None) -> None:
    t = time.perf_counter()
    r = case.call(headers=headers)
    if statuses is not None:
        statuses.append(r.status_code)
    took = time.perf_counter() - t
    if r.status_code >= 500 or len(r.content) > MAX_BYTES or took > MAX_SECONDS:
        failures.append(f"{case.method} {case.formatted_path} body={str(case.body)[:200]!r} "
                        f"query={case.query!r} -> {r.status_code}, {len(r.content)} bytes, {took:.2f} s: "
                        f"{r.text[:200]}")


@pytest.mark.parametrize("who", ["anyone", "admin"])
def test_no_generated_request_gets_a_5xx(app, who):
    """Every operation without a token, and the admin operations again with the token (their real work:
    rebuild jobs from uploads and paths, reloads)."""
    from fastapi.testclient import TestClient

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, calls, statuses = [], 0, []
    headers = {"Authorization": f"Bearer {TOKEN}"} if who == "admin" else None
    with TestClient(app) as client:
        for result in schema.get_all_operations():
            op = result.ok()
            if who == "admin" and "admin" not in (op.tags or []):
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                @given(op.as_strategy(generation_mode=mode))
                @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
                def run(case):
                    nonlocal calls
                    calls += 1
                    _check(case, failures, headers, statuses)
                try:
                    run()
                except Unsatisfiable:  # nothing to violate (GET /healthz has no parameters)
                    assert mode == GenerationMode.NEGATIVE
            t = time.perf_counter()
            assert client.get("/healthz").status_code == 200 and time.perf_counter() - t < 1.0
    assert calls >= (100 if who == "anyone" else 20), calls
    if who == "admin":  # the token got the requests past the gate: real admin work was done
        assert sum(st in (200, 202, 409, 422) for st in statuses) >= 10, statuses
    assert not failures, "\n".join(failures[:10])
