"""What `ask`, `chat` and `search` share when a `lawglm serve` is running: finding it (LAWGLM_URL, else the
default address if it answers), waiting while it prepares (its progress on stderr), and asking it over HTTP —
the model and index stay loaded in the server, so a question is answered in seconds (as `ollama run` uses
its server). Without one, the commands answer in their own process."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator

import click

from lawglm.errors import LawGLMError
from lawglm.settings import Settings


class ServerError(LawGLMError):
    """The running server refused the request or failed (the message is its own)."""


def find_server(s: Settings) -> str | None:
    """Base URL of a reachable lawglm server, waiting (with its progress) while it prepares; None when
    none answers (or LAWGLM_URL=none). A server whose start-up failed is reported and not used."""
    if s.url.strip().lower() == "none":
        return None
    import httpx

    base = (s.url or f"http://{s.host}:{s.port}").rstrip("/")
    shown = ""
    while True:
        try:
            r = httpx.get(base + "/readyz", timeout=s.server_probe_s)
            body = r.json()
        except (httpx.HTTPError, ValueError):
            if s.url:
                click.echo(f"note: no lawglm server answers at {base}; answering in this process", err=True)
            return None
        if not isinstance(body, dict) or "ready" not in body:
            return None
        if body.get("ready"):
            if shown:
                click.echo("", err=True)
            return base
        prep = body.get("preparing")
        if not prep:  # start-up failed (its reason says why): answer here instead
            click.echo(f"note: the server at {base} is not ready ({body.get('reason')}); answering in this "
                       "process", err=True)
            return None
        step = f"（{prep['done']}/{prep['total']}）" if prep.get("total") else ""
        line = f"\r服务器 {base} 正在准备：{prep.get('label')}{step}，已用 {prep.get('elapsed_s', 0):.0f} 秒"
        click.echo(line.ljust(len(shown)), nl=False, err=True)
        shown = line
        time.sleep(1.0)


def _error(r) -> ServerError:
    try:
        body = r.json()
        msg = (body.get("error") or {}).get("message") or body.get("detail") or r.text
    except ValueError:
        msg = r.text
    if isinstance(msg, list):
        msg = "; ".join(f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}" for d in msg)
    return ServerError(f"server: {msg}")


def ask_stream(base: str, body: dict) -> Iterator[str | dict]:
    """Text chunks of the server's streamed answer, then the final answer (a dict, Answer.to_dict's form)."""
    import httpx

    with httpx.stream("POST", base + "/v1/legal/ask", json={**body, "stream": True},
                      timeout=httpx.Timeout(10.0, read=None)) as r:
        if r.status_code != 200:
            r.read()
            raise _error(r)
        event = "message"
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:].strip())
                if event == "token":
                    yield data["text"]
                elif event == "final":
                    yield data
                elif event == "error":
                    raise ServerError(f"server: {(data.get('error') or {}).get('message') or data}")


def search(base: str, params: dict) -> list[dict]:
    import httpx

    r = httpx.get(base + "/v1/statutes/search", params={k: v for k, v in params.items() if v is not None},
                  timeout=60.0)
    if r.status_code != 200:
        raise _error(r)
    return r.json()["hits"]


def flush() -> None:
    sys.stdout.flush()
