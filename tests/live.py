"""Test helpers: lawglm run the way a user runs it — the app on a free loopback port in a background
thread (tests and benches), and the CLI in-process with its exit code and output.

    with serve_in_thread(app) as url:
        httpx.get(url + "/healthz")
    code, out, err = run_cli(["lookup", "民法典", "1"], capsys)
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def serve_in_thread(app: Any, *, host: str = LOOPBACK, port: int | None = None, ready_path: str = "/readyz",
                    timeout: float = 120.0, log_level: str = "warning") -> Iterator[str]:
    """Start uvicorn on host:port (a free port by default); yield the base URL once ready_path answers 200."""
    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"lawglm-uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    try:
        _wait_ready(url + ready_path, thread, timeout)
        yield url
    finally:
        server.should_exit = True
        thread.join(15)


def _wait_ready(url: str, thread: threading.Thread, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"server thread exited before {url} was ready")
        try:
            r = httpx.get(url, timeout=2.0)
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.05)
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s ({last})")


def run_cli(args, capsys, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `lawglm ARGS` run in-process; `stdin` needs `monkeypatch`."""
    import io

    from lawglm.cli import main

    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err
