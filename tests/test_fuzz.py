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


@pytest.fixture(scope="module")
def app(retrieval_assistant):
    from lawglm.server import create_app
    from lawglm.settings import Settings

    return create_app(retrieval_assistant, Settings(llm="none", admin_token="fuzz-token"))


def _check(case, failures: list) -> None:
    t = time.perf_counter()
    r = case.call()
    took = time.perf_counter() - t
    if r.status_code >= 500 or len(r.content) > MAX_BYTES or took > MAX_SECONDS:
        failures.append(f"{case.method} {case.formatted_path} body={str(case.body)[:200]!r} "
                        f"query={case.query!r} -> {r.status_code}, {len(r.content)} bytes, {took:.2f} s: "
                        f"{r.text[:200]}")


def test_no_generated_request_gets_a_5xx(app):
    from fastapi.testclient import TestClient

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, calls = [], 0
    with TestClient(app) as client:
        for result in schema.get_all_operations():
            op = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                @given(op.as_strategy(generation_mode=mode))
                @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
                def run(case):
                    nonlocal calls
                    calls += 1
                    _check(case, failures)
                try:
                    run()
                except Unsatisfiable:  # nothing to violate (GET /healthz has no parameters)
                    assert mode == GenerationMode.NEGATIVE
            t = time.perf_counter()
            assert client.get("/healthz").status_code == 200 and time.perf_counter() - t < 1.0
    assert calls >= 100, calls
    assert not failures, "\n".join(failures[:10])
