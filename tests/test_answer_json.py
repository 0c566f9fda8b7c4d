"""The JSON of an answer (Answer.to_dict, what /v1/legal/ask and `lawglm ask --json` send) byte for byte:
key order, null values and omitted keys included. tests/data/answer_json.jsonl holds the JSON of the same
answers as the API wrote it while usage, sections and support were plain dicts; timings are masked.

When answers change on purpose, rewrite the file from the current code and review its diff:
`LAWGLM_WRITE_ANSWER_JSON=1 python3 -m pytest tests/test_answer_json.py -p no:cacheprovider`."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

from conftest import SUPPORT_QUESTION
from doubles import Recorded

from lawglm.answer.assistant import Assistant
from lawglm.settings import get_settings

EXPECTED = Path(__file__).parent / "data" / "answer_json.jsonl"
TIMINGS = re.compile(r'"(seconds|first_token_s|tokens_per_s)": [0-9.e-]+')


def _json(answer) -> str:
    return TIMINGS.sub(r'"\1": 0', json.dumps(answer.to_dict(), ensure_ascii=False))


def _answers(retrieval_assistant, fixed_reply_assistant, support_reply) -> list[tuple[str, str]]:
    r = retrieval_assistant.retriever

    def day():  # the day deadlines count to
        return date(2026, 1, 5)

    only = Assistant(r, None, get_settings(llm="none"), today=day)
    top = r.search(SUPPORT_QUESTION, 1)[0].article
    grounded_reply = f"根据{top.citation}，{top.text.split('。')[0]}。"
    grounded = Assistant(r, Recorded(grounded_reply), get_settings(answer_shape="grounded"), today=day)
    free = fixed_reply_assistant(support_reply["reply"])
    return [
        ("retrieval-only", _json(only.ask(SUPPORT_QUESTION))),
        ("retrieval-only, a law named", _json(only.ask("借款合同没有约定利息，要付利息吗？", law="民法典"))),
        ("small talk", _json(only.ask("你好"))),
        ("grounded", _json(grounded.ask(SUPPORT_QUESTION))),
        ("free, support checked and a quote re-pointed", _json(free.ask(SUPPORT_QUESTION))),
    ]


def test_answer_json_is_byte_identical(retrieval_assistant, fixed_reply_assistant, support_reply):
    got = _answers(retrieval_assistant, fixed_reply_assistant, support_reply)
    if os.environ.get("LAWGLM_WRITE_ANSWER_JSON"):
        EXPECTED.write_text("".join(json.dumps({"case": name, "json": text}, ensure_ascii=False) + "\n"
                                    for name, text in got), encoding="utf-8")
    expected = [json.loads(line) for line in EXPECTED.read_text(encoding="utf-8").splitlines()]
    assert [name for name, _ in got] == [e["case"] for e in expected]
    for (name, text), e in zip(got, expected):
        assert text == e["json"], name
