"""Our Server-Sent Events frames are byte-identical to sse-starlette's (the parity test that lets us keep
two f-strings instead of the dependency; see pyproject.toml)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sse_starlette = pytest.importorskip("sse_starlette.sse")

from lawglm.server.routes_legal import sse
from lawglm.server.routes_openai import sse_data

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)


def reference(data, event: str | None = None) -> str:
    frame = sse_starlette.ServerSentEvent(data=json.dumps(data, ensure_ascii=False), event=event, sep="\n")
    return frame.encode().decode("utf-8")


@settings(max_examples=300, deadline=None)
@given(event=st.sampled_from(["token", "final", "error"]), data=JSON)
def test_event_frames_match_sse_starlette(event, data):
    assert sse(event, data) == reference(data, event)


@settings(max_examples=300, deadline=None)
@given(data=JSON)
def test_openai_data_frames_match_sse_starlette(data):
    assert sse_data(data) == reference(data)


def test_text_with_newlines_stays_one_data_line():
    frame = sse("token", {"text": "第一行\n第二行\r\n"})
    assert frame.count("\n") == 3 and frame == reference({"text": "第一行\n第二行\r\n"}, "token")
