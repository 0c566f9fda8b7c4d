"""Answers in the queue: admission bounded by the wait estimated from measured answer
times,
Retry-After derived from that estimate, a streamed answer told at once that it is queued and where, and an
end-to-end deadline per answer that ends it with a clear message."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import pytest

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"


def _blocked(gate: threading.Event, seconds: float = 0.0):
    def run(cancel):
        if seconds:
            time.sleep(seconds)
        gate.wait(30)
        yield "x"
    return run


def _submit(worker, fn):
    async def go():
        return worker.submit(fn)
    return asyncio.run(go())


def _wait_until(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cond()


def _measure(worker, seconds: float, n: int = 2) -> None:
    """Run n jobs of about `seconds` each through the worker, so its estimate is measured, not assumed."""
    done = threading.Event()
    done.set()
    for _ in range(n):
        _submit(worker, _blocked(done, seconds))
        _wait_until(lambda: worker.depth == 0)


def test_admission_is_bounded_by_the_estimated_wait():
    from lawglm.server.worker import GenerationWorker, QueueFull

    worker = GenerationWorker(queue_size=16, max_wait_s=1.0, prior_s=10.0)
    worker.start()
    gate = threading.Event()
    try:
        _measure(worker, 0.3)
        assert 0.25 < worker.estimate() < 1.0  # measured, not the 10 s prior
        _submit(worker, _blocked(gate))
        _wait_until(lambda: worker.running == 1)
        admitted = 1
        with pytest.raises(QueueFull) as refused:
            for _ in range(16):
                _submit(worker, _blocked(gate))
                admitted += 1
        # every admitted answer starts within the bound by the estimate; far fewer than the 16 places
        assert worker.wait_for(worker.depth - 1) <= 1.0 < worker.wait_for(worker.depth)
        assert 2 <= admitted < 8
        retry = refused.value.retry_after
        assert isinstance(retry, int) and 1 <= retry <= 2 and "LAWGLM_MAX_QUEUE_WAIT_S" in str(refused.value)
        assert worker.rejected_total == 1
    finally:
        gate.set()
        worker.stop()


def test_retry_after_comes_from_the_estimate(make_client, model_assistant):
    c = make_client(model_assistant, queue_size=16, max_queue_wait_s=20, answer_seconds_prior=10)
    worker = c.app.state.lawglm.worker
    gate = threading.Event()
    try:
        for _ in range(3):  # running + 2 waiting: a new answer would start in ~30 s > 20 s
            _submit(worker, _blocked(gate))
        _wait_until(lambda: worker.depth == 3)
        r = c.post("/v1/legal/ask", json={"question": QUESTION})
        assert r.status_code == 503 and r.headers["retry-after"] == "10", r.headers
        assert r.headers.get("x-request-id") and "30 s" in r.json()["detail"]
    finally:
        gate.set()


def test_a_queued_stream_gets_its_position_at_once(model_assistant):
    """Regression: streamed answers got no bytes until generation started (first token after 91-113 s)."""
    from live import serve_in_thread

    from lawglm.server import create_app
    from lawglm.settings import Settings

    app = create_app(model_assistant, Settings(queue_size=16, max_queue_wait_s=60, answer_seconds_prior=5))
    worker = app.state.lawglm.worker
    gate = threading.Event()
    with serve_in_thread(app, timeout=60) as url:
        try:
            for _ in range(2):
                _submit(worker, _blocked(gate))
            _wait_until(lambda: worker.depth == 2)
            t = time.perf_counter()
            with httpx.stream("POST", url + "/v1/legal/ask", json={"question": QUESTION, "stream": True,
                                                                     "max_length": 256}, timeout=30) as r:
                assert r.status_code == 200
                lines = r.iter_lines()
                first = next(lines)
                took = time.perf_counter() - t
                data = json.loads(next(lines).removeprefix("data: "))
                assert first == "event: queued" and took < 1.0, (first, took)
                assert data == {"position": 2, "ahead": 2, "estimated_wait_s": 10}, data
                gate.set()
                rest = "\n".join(lines)
            assert "event: final" in rest
        finally:
            gate.set()


def test_an_answer_past_its_deadline_ends_with_a_clear_message(make_client, model_assistant):
    c = make_client(model_assistant, answer_deadline_s=1)
    worker = c.app.state.lawglm.worker
    gate = threading.Event()
    try:
        _submit(worker, _blocked(gate))  # the model is busy for longer than the deadline
        _wait_until(lambda: worker.running == 1)
        t = time.perf_counter()
        r = c.post("/v1/legal/ask", json={"question": QUESTION})
        assert r.status_code == 503 and time.perf_counter() - t < 5
        assert (
            "LAWGLM_ANSWER_DEADLINE_S" in r.json()["detail"]
            and r.json()["error"]["type"] == "deadline_exceeded"
        )
        r = c.post("/v1/legal/ask", json={"question": QUESTION, "stream": True})
        assert r.status_code == 200 and "event: queued" in r.text
        error = r.text.split("event: error\ndata: ", 1)[1].split("\n", 1)[0]
        assert "LAWGLM_ANSWER_DEADLINE_S" in json.loads(error)["detail"]
        _wait_until(lambda: worker.depth == 1)  # the expired answers left the queue
    finally:
        gate.set()


def test_the_wait_counts_what_the_running_answer_has_left():
    """Retry-After is the time until the wait falls to the bound: the running answer's elapsed time counts."""
    from lawglm.server.worker import GenerationWorker

    worker = GenerationWorker(queue_size=4, max_wait_s=5.0, prior_s=10.0)
    worker.start()
    gate = threading.Event()
    try:
        _submit(worker, _blocked(gate))
        _wait_until(lambda: worker.running == 1)
        first = worker.wait_for(1)
        time.sleep(1.0)
        assert 9.0 <= first <= 10.0 and first - worker.wait_for(1) >= 0.9
        assert abs(worker.wait_for(2) - worker.wait_for(1) - 10.0) < 0.01
    finally:
        gate.set()
        worker.stop()
