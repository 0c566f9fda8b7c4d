"""Fine-tuning data: parse and validate every supported JSONL format into `Example`s (no model needed).

Formats (one JSON object per line; `detect_format` picks one per file from its first record):
- ``sft``: lawglm's own ``{"question", "answer", "gold": [{"law", "article_no"}], ...}``;
- ``prompt``: ChatGLM-style ``{"prompt", "response", "history": [[q, a], ...]}`` — column names are
  configurable (ADGEN: ``content``/``summary``); history becomes earlier chat turns (not trained);
- ``conversations``: ChatGLM3 ``{"conversations": [{"role", "content", "loss"?}], "tools"?}`` with
  per-role loss: assistant turns are trained unless ``"loss": false``; system/user/tool turns are
  not, unless ``"loss": true``.

Bad data raises one `DataError` naming the file and line, before any model is loaded. A record
whose question or answer is present but blank (the shared data has one) is skipped with a warning
naming its line, so one empty answer does not block a training run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from lawglm.errors import DataError
from lawglm.records import iter_jsonl

log = logging.getLogger(__name__)
ROLES = {"system", "user", "assistant", "tool", "observation"}
FORMATS = ("auto", "sft", "prompt", "conversations")


@dataclass
class Turn:
    role: str  # system | user | assistant | tool
    content: str
    loss: bool  # whether the tokens of this turn are trained


@dataclass
class Example:
    """One training / evaluation example, normalised to chat turns."""

    turns: list[Turn]
    question: str | None = None  # the last user question (sft / prompt formats): retrieval queries it
    gold: list[dict] = field(default_factory=list)
    tools: list | None = None
    line: int = 0
    verbatim: bool = False  # conversations format: train on these turns as given (no retrieval prompt)

    @property
    def answer(self) -> str:
        trained = [t.content for t in self.turns if t.role == "assistant"]
        return trained[-1] if trained else ""

    @property
    def history(self) -> list[tuple[str, str]]:
        """Earlier (question, answer) pairs before the final question."""
        out, pending = [], None
        for t in self.turns[:-2]:
            if t.role == "user":
                pending = t.content
            elif t.role == "assistant" and pending is not None:
                out.append((pending, t.content))
                pending = None
        return out


class BlankRecord(DataError):
    """A record with a blank text field: skipped (with a warning) rather than failing the file."""


@dataclass
class Columns:
    prompt: str = "prompt"
    response: str = "response"
    history: str | None = "history"


def read_records(path: str | Path) -> list[tuple[int, dict]]:
    """(line number, object) for every non-blank line; DataError on unreadable / invalid JSON."""
    p = Path(path)
    out = []
    for no, obj in iter_jsonl(p, DataError):
        if not isinstance(obj, dict):
            raise DataError(f"{p}:{no}: expected a JSON object, got {type(obj).__name__}")
        out.append((no, obj))
    if not out:
        raise DataError(f"{p}: empty data file")
    return out


def detect_format(obj: dict, columns: Columns) -> str:
    if "conversations" in obj:
        return "conversations"
    if "question" in obj and "answer" in obj:
        return "sft"
    if columns.prompt in obj or columns.response in obj:
        return "prompt"
    return ""


def _text(obj: dict, key: str, where: str, allow_empty: bool = False) -> str:
    if key not in obj:
        raise DataError(f"{where}: missing field {key!r}")
    val = obj[key]
    if not isinstance(val, str):
        raise DataError(f"{where}: field {key!r} must be a string, got {type(val).__name__}")
    if not allow_empty and not val.strip():
        raise BlankRecord(f"{where}: field {key!r} is empty")
    return val


def _gold(obj: dict, where: str) -> list[dict]:
    gold = obj.get("gold") or []
    if not isinstance(gold, list) or not all(
            isinstance(g, dict) and isinstance(g.get("law"), str) and isinstance(g.get("article_no"), int)
            for g in gold):
        raise DataError(f"{where}: field 'gold' must be a list of {{\"law\": str, \"article_no\": int}}")
    return gold


def parse_sft(obj: dict, where: str) -> Example:
    q, a = _text(obj, "question", where), _text(obj, "answer", where)
    return Example([Turn("user", q, False), Turn("assistant", a, True)], question=q, gold=_gold(obj, where))


def _history(obj: dict, key: str | None, where: str) -> list[Turn]:
    hist = obj.get(key) if key else None
    if hist is None:
        return []
    if not isinstance(hist, list) or not all(
        isinstance(h, (list, tuple)) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in hist
    ):
        raise DataError(f"{where}: field {key!r} must be a list of [question, answer] string pairs")
    turns: list[Turn] = []
    for q, a in hist:
        turns += [Turn("user", q, False), Turn("assistant", a, False)]
    return turns


def parse_prompt(obj: dict, where: str, columns: Columns) -> Example:
    q, a = _text(obj, columns.prompt, where), _text(obj, columns.response, where)
    turns = _history(obj, columns.history, where) + [Turn("user", q, False), Turn("assistant", a, True)]
    return Example(turns, question=q, gold=_gold(obj, where))


def _conv_turn(msg, where: str, i: int) -> Turn:
    w = f"{where}: conversations[{i}]"
    if not isinstance(msg, dict):
        raise DataError(f"{w} must be an object with 'role' and 'content'")
    role = msg.get("role")
    if role not in ROLES:
        raise DataError(f"{w}: unknown role {role!r} (expected one of {', '.join(sorted(ROLES))})")
    content = msg.get("content")
    if not isinstance(content, str):
        raise DataError(f"{w}: 'content' must be a string")
    loss = msg.get("loss", role == "assistant")
    if not isinstance(loss, bool):
        raise DataError(f"{w}: 'loss' must be true or false")
    return Turn("tool" if role == "observation" else role, content, loss)


def parse_conversations(obj: dict, where: str) -> Example:
    conv = obj["conversations"]
    if not isinstance(conv, list) or not conv:
        raise DataError(f"{where}: 'conversations' must be a non-empty list")
    turns = [_conv_turn(m, where, i) for i, m in enumerate(conv)]
    if not any(t.loss for t in turns):
        raise DataError(f"{where}: no turn is trained (no assistant turn, or all have \"loss\": false)")
    tools = obj.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise DataError(f"{where}: 'tools' must be a list")
    users = [t.content for t in turns if t.role == "user"]
    return Example(turns, question=users[-1] if users else None, gold=_gold(obj, where), tools=tools,
                   verbatim=True)


def parse_record(obj: dict, fmt: str, where: str, columns: Columns) -> Example:
    if fmt == "sft":
        return parse_sft(obj, where)
    if fmt == "prompt":
        return parse_prompt(obj, where, columns)
    if "conversations" not in obj:
        raise DataError(f"{where}: missing field 'conversations'")
    return parse_conversations(obj, where)


def load_examples(path: str | Path, fmt: str = "auto", columns: Columns | None = None,
                  limit: int | None = None, where_filter: dict | None = None) -> list[Example]:
    """Parse and validate a whole file; `where_filter` keeps records whose fields equal the given values."""
    if fmt not in FORMATS:
        raise DataError(f"unknown data format {fmt!r} (expected one of {', '.join(FORMATS)})")
    columns = columns or Columns()
    records = read_records(path)
    if fmt == "auto":
        fmt = detect_format(records[0][1], columns)
        if not fmt:
            raise DataError(f"{path}:{records[0][0]}: cannot tell the format: expected 'question'/'answer', "
                            f"{columns.prompt!r}/{columns.response!r} or 'conversations'")
    out, blank = [], []
    for no, obj in records:
        if where_filter and any(obj.get(k) != v for k, v in where_filter.items()):
            continue
        try:
            ex = parse_record(obj, fmt, f"{path}:{no}", columns)
        except BlankRecord:
            blank.append(no)
            continue
        ex.line = no
        out.append(ex)
        if limit and len(out) >= limit:
            break
    if blank:
        log.warning("%s: skipped %d record(s) with a blank question/answer (lines %s)", path, len(blank),
                    ", ".join(map(str, blank[:10])))
    if not out:
        raise DataError(
            f"{path}: no usable records"
            + (f" after filtering {where_filter}" if where_filter else "")
            + (f" ({len(blank)} blank)" if blank else "")
        )
    return out
