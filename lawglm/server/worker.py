"""The generation worker: one model, many clients.

Jobs (a function of a cancel event returning an iterator of chunks) wait in a bounded queue
and run one at a time on a dedicated thread; their items are handed to the client's event loop through an
asyncio.Queue. A full queue raises QueueFull (-> 503 + Retry-After). When the client goes
away the job is cancelled: its event is set (the generator checks it between tokens), and the
worker stops consuming the iterator and closes it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

log = logging.getLogger("lawglm.server")
_END = object()


class QueueFull(Exception):
    """The generation queue is full (or an answer admitted now would wait too long); retry later.
    `retry_after`: seconds until one would be admitted, by the worker's estimate."""

    def __init__(self, message: str, retry_after: int = 2):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Queued:
    """Yielded by a stream while its job waits: `position` in the queue (1 = next), `ahead` = answers before
    it
    (running ones included), `estimated_wait_s` until it starts."""

    position: int
    ahead: int
    estimated_wait_s: int

    def to_dict(self) -> dict:
        return {"position": self.position, "ahead": self.ahead, "estimated_wait_s": self.estimated_wait_s}


@dataclass(frozen=True)
class Started:
    """Yielded by a stream that was announced as queued, when its generation starts (`waited_s` after the
    request)."""

    waited_s: float

    def to_dict(self) -> dict:
        return {"waited_s": self.waited_s}


@dataclass
class _Failure:
    exc: BaseException


@dataclass
class Job:
    """One request's generation: produced on a worker thread, consumed on the event loop."""

    fn: Callable[[threading.Event], Iterator]  # called with the job's cancel event
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue = field(default_factory=asyncio.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    interrupted: bool = False  # stopped early because the client went away
    started: threading.Event = field(default_factory=threading.Event)
    on_cancel: Callable[[Job], None] | None = None  # the worker takes a cancelled job out of its queue

    def cancel(self) -> None:
        self.cancelled.set()
        if self.on_cancel is not None and not self.started.is_set():
            self.on_cancel(self)

    def _emit(self, item: object) -> None:
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, item)
        except RuntimeError:  # the loop is gone (server shutting down); nobody is listening
            self.cancelled.set()

    def execute(self) -> None:
        """Run on a worker thread: iterate fn() until done or cancelled, always closing it."""
        try:
            if self.cancelled.is_set():
                self.interrupted = True
                return
            items = self.fn(self.cancelled)
            try:
                for item in items:
                    if self.cancelled.is_set():
                        self.interrupted = True
                        break
                    self._emit(item)
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which maps it to an HTTP error
            if self.cancelled.is_set():  # the work stopped itself (Cancelled) because the client left
                self.interrupted = True
            else:
                self._emit(_Failure(exc))
        finally:
            self.finished.set()
            self._emit(_END)

    async def next(self) -> object:
        """The next item; re-raises the job's exception; StopAsyncIteration at the end.

        Safe to cancel (asyncio.Queue.get loses nothing), so callers may poll with a timeout.
        """
        item = await self.events.get()
        if item is _END:
            self.events.put_nowait(_END)  # stay at the end for any further call
            raise StopAsyncIteration
        if isinstance(item, _Failure):
            raise item.exc
        return item


class GenerationWorker:
    """A bounded queue in front of `threads` worker threads (1 = one generation at a time).

    Admission is bounded twice: at most `queue_size` jobs wait, and a job is admitted only when it would
    start within `max_wait_s` by the estimate (what the running job has left, then per job ahead the 90th
    percentile of the last answer times measured,
    `prior_s` until one is measured); 0 = no wait bound."""

    def __init__(self, queue_size: int, threads: int = 1, *, max_wait_s: float = 0.0, prior_s: float = 10.0,
                 window: int = 20):
        self.queue_size = queue_size
        self.max_wait_s, self.prior_s = max_wait_s, prior_s
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self._threads: list[threading.Thread] = []
        self._n = threads
        self._active = 0
        self._lock = threading.Lock()
        self._durations: collections.deque[float] = collections.deque(maxlen=window)
        self._running_since: dict[int, float] = {}  # id(job) -> when it started
        self.cancelled_total = 0
        self.rejected_total = 0

    def estimate(self) -> float:
        """Seconds one answer takes: the 90th percentile of the last measured ones (a long answer is common
        enough that the mean would admit answers that then wait past the bound); the prior until measured."""
        with self._lock:
            times = sorted(self._durations)
        return times[round(0.9 * (len(times) - 1))] if times else self.prior_s

    def wait_for(self, ahead: int) -> float:
        """Estimated seconds before a job with `ahead` jobs before it (running ones included) starts: what the
        running jobs have left of the estimate (the earliest to finish frees a thread), then the estimate for
        each further job per thread."""
        if ahead < self._n:
            return 0.0
        est, now = self.estimate(), time.monotonic()
        with self._lock:
            left = sorted(max(0.0, est - (now - t)) for t in self._running_since.values())
        first = left[0] if len(left) >= self._n else 0.0
        return first + (ahead - self._n) / self._n * est

    def position(self, job: Job) -> Queued | None:
        """Where a waiting job stands; None once it runs (or left)."""
        with self._queue.mutex:
            try:
                index = self._queue.queue.index(job)
            except ValueError:
                return None
        ahead = index + self._active
        return Queued(index + 1, ahead, math.ceil(self.wait_for(ahead)))

    def _withdraw(self, job: Job) -> None:
        """A cancelled job that has not started leaves the queue at once (its place is free again)."""
        with self._queue.mutex:
            try:
                self._queue.queue.remove(job)
            except ValueError:
                return
            self._queue.not_full.notify()

    def start(self) -> None:
        for i in range(self._n - len(self._threads)):
            t = threading.Thread(target=self._run, name=f"lawglm-gen-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    @property
    def running(self) -> int:
        """Jobs running now."""
        return self._active

    @property
    def depth(self) -> int:
        """Jobs waiting plus jobs running."""
        return self._queue.qsize() + self._active

    def submit(self, fn: Callable[[threading.Event], Iterator]) -> Job:
        """Queue a job for the calling event loop; QueueFull when no room is left."""
        if not self._threads:
            self.start()
        job = Job(fn, asyncio.get_running_loop(), on_cancel=self._withdraw)
        ahead = self.depth
        wait = self.wait_for(ahead)
        too_long = self.max_wait_s > 0 and wait > self.max_wait_s
        try:
            if too_long:
                raise queue.Full
            self._queue.put_nowait(job)
        except queue.Full:
            with self._lock:
                self.rejected_total += 1
            # admitted again once the wait has fallen to the bound (or, when the places are full, one has
            # freed)
            retry = max(1, math.ceil(wait - self.max_wait_s if too_long else self.estimate() / self._n))
            why = (
                f"an answer now would start in about {math.ceil(wait)} s ({ahead} ahead, about "
                f"{self.estimate():.0f} s each), over the {self.max_wait_s:g} s bound "
                "(LAWGLM_MAX_QUEUE_WAIT_S)"
                if too_long
                else f"{self.queue_size} waiting (LAWGLM_QUEUE_SIZE)"
            )
            raise QueueFull(f"generation queue is full: {why}; retry in {retry} s", retry) from None
        return job

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            t0 = time.monotonic()
            with self._lock:
                self._active += 1
                self._running_since[id(job)] = t0
            job.started.set()
            try:
                job.execute()
                took = time.monotonic() - t0
                if job.interrupted:
                    with self._lock:
                        self.cancelled_total += 1
                if not job.interrupted or took > self.estimate():  # a stopped job still says answers are long
                    with self._lock:
                        self._durations.append(took)
            except Exception:  # execute() hands errors to the client; this is a last resort
                log.exception("generation worker error")
            finally:
                with self._lock:
                    self._active -= 1
                    self._running_since.pop(id(job), None)
