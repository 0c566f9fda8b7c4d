"""The generation worker: one model, many clients.

Jobs (a function of a cancel event returning an iterator of chunks) wait in a bounded queue
and run one at a time on a dedicated thread; their items are handed to the client's event loop through an
asyncio.Queue. A full queue raises QueueFull (-> 503 + Retry-After). When the client goes
away the job is cancelled: its event is set (the generator checks it between tokens), and the
worker stops consuming the iterator and closes it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

log = logging.getLogger("lawglm.server")
_END = object()


class QueueFull(Exception):
    """The generation queue is full; the client should retry later."""


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

    def cancel(self) -> None:
        self.cancelled.set()

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
    """A bounded queue in front of `threads` worker threads (1 = one generation at a time)."""

    def __init__(self, queue_size: int, threads: int = 1):
        self.queue_size = queue_size
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self._threads: list[threading.Thread] = []
        self._n = threads
        self._active = 0
        self._lock = threading.Lock()
        self.cancelled_total = 0
        self.rejected_total = 0

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
        job = Job(fn, asyncio.get_running_loop())
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            with self._lock:
                self.rejected_total += 1
            raise QueueFull(f"generation queue is full ({self.queue_size} waiting); retry shortly") from None
        return job

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                self._active += 1
            try:
                job.execute()
                if job.interrupted:
                    with self._lock:
                        self.cancelled_total += 1
            except Exception:  # execute() hands errors to the client; this is a last resort
                log.exception("generation worker error")
            finally:
                with self._lock:
                    self._active -= 1
