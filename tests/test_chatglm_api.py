"""/chatglm as the deployment guide's clients use it, and small talk / nothing relevant on every endpoint.

The contract test replays the bodies of the guide's sample request.py (`prompt` plus history, max_length,
top_p, temperature; empty and filled) against uvicorn serving the real app on loopback."""

from __future__ import annotations

import re

import httpx
import pytest

from lawglm.answer.smalltalk import CAPABILITIES, NOTHING_RELEVANT, small_talk_kind

QUESTION = "从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？"
EARLIER = [["邻居家花盆掉下来砸伤了人怎么办？", "可依据民法典相关规定。"]]
GUIDE_BODIES = [  # request.py's literal body, then the same filled in the ways api.py accepts
    {"prompt": "", "history": [], "max_length": "", "top_p": "", "temperature": ""},
    {"prompt": "你好", "history": [], "max_length": "", "top_p": "", "temperature": ""},
    {"prompt": QUESTION, "history": [], "max_length": "", "top_p": "", "temperature": ""},
    {"prompt": QUESTION, "history": [], "max_length": 2048, "top_p": 0.7, "temperature": 0.95},
    {"prompt": QUESTION, "history": EARLIER, "max_length": "2048", "top_p": "0.7", "temperature": "0.95"},
    {"prompt": QUESTION, "history": None, "max_length": None, "top_p": None, "temperature": None},
    {"prompt": "找不到是谁扔的呢？", "history": EARLIER},
    {"prompt": QUESTION, "history": [], "max_length": 256, "top_p": 0.7, "temperature": 0.95},
]
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def check_guide_shape(body: dict, sent: dict) -> None:
    assert {"response", "history", "status", "time"} <= set(body)
    assert body["status"] == 200 and TIME.fullmatch(body["time"])
    assert isinstance(body["response"], str) and body["response"]
    assert body["history"] == [*(sent.get("history") or []), [sent["prompt"], body["response"]]]


@pytest.fixture(scope="module")
def urls(tiny_index, tiny_gemma_dir, tmp_path_factory):
    """Base URLs of the live app in retrieval-only mode and with the tiny model."""
    from contextlib import ExitStack

    from live import serve_in_thread

    from lawglm.answer.assistant import Assistant
    from lawglm.server import create_app
    from lawglm.settings import Settings

    retrieval = Assistant.from_settings(Settings(llm="none", index_dir=tiny_index))
    model = Assistant.from_settings(Settings(
        llm="local", model=str(tiny_gemma_dir), adapter="none", device="cpu", index_dir=tiny_index,
        adapters_dir=tmp_path_factory.mktemp("none"), max_new_tokens=48), progress=False)
    with ExitStack() as stack:
        yield {name: stack.enter_context(serve_in_thread(create_app(a, a.settings), timeout=60))
               for name, a in (("retrieval", retrieval), ("model", model))}


@pytest.mark.parametrize("mode", ["retrieval", "model"])
def test_guide_request_bodies_get_200_in_the_guide_shape(urls, mode):
    for sent in GUIDE_BODIES:
        r = httpx.post(urls[mode] + "/chatglm", json=sent, timeout=120)
        assert r.status_code == 200, (sent, r.text)
        check_guide_shape(r.json(), sent)
    assert (
        CAPABILITIES
        in httpx.post(urls[mode] + "/chatglm", json=GUIDE_BODIES[0], timeout=60).json()["response"]
    )


@pytest.mark.parametrize("max_length", [64, 65, 100, 256, 2048, 10 ** 6])
def test_short_prompts_never_422_with_any_max_length_from_64(urls, max_length):
    for prompt in (QUESTION, (QUESTION * 4)[:99], "工资"):
        sent = {"prompt": prompt, "history": [], "max_length": max_length, "top_p": "", "temperature": 0}
        r = httpx.post(urls["model"] + "/chatglm", json=sent, timeout=120)
        assert r.status_code == 200, (max_length, r.text)
        check_guide_shape(r.json(), sent)


@pytest.mark.parametrize("field, value", [("max_length", "abc"), ("max_length", True), ("max_length", 0),
                                          ("max_length", [5]), ("top_p", "2"), ("top_p", "x"),
                                          ("temperature", {"t": 1}), ("temperature", "-1")])
def test_other_values_are_422_naming_the_field(urls, field, value):
    sent = {"prompt": QUESTION, "history": [], "max_length": "", "top_p": "", "temperature": "", field: value}
    r = httpx.post(urls["retrieval"] + "/chatglm", json=sent, timeout=60)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["message"]


# --- small talk and nothing relevant -----------------------------------------------------------------
@pytest.mark.parametrize(
    "text, kind",
    [
        ("你好", "greeting"),
        ("您好！", "greeting"),
        ("律师你好", "greeting"),
        ("Hello", "greeting"),
        ("谢谢", "thanks"),
        ("谢谢律师！", "thanks"),
        ("你是谁？", "identity"),
        ("你能做什么", "identity"),
        ("再见", "farewell"),
        ("好的", "ack"),
        ("  ", "empty"),
        ("你好，谢谢，再见", "greeting"),
    ],
)
def test_small_talk_is_recognised(text, kind):
    assert small_talk_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "你好，公司拖欠我三个月工资怎么办？",
        "请问离婚时财产怎么分",
        "谢谢，那如果对方不还钱呢？",
        "好的，那我可以起诉吗",
        "你好律师，我被狗咬了谁负责",
        "可以吗？我想解除劳动合同",
        QUESTION,
    ],
)
def test_questions_are_not_small_talk(text):
    assert small_talk_kind(text) is None


def _endpoint_answers(url: str, text: str) -> list[tuple[str, str, list, list]]:
    """(endpoint, answer text, citations, retrieved) of `text` on every answering endpoint."""
    out = []
    a = httpx.post(url + "/v1/legal/ask", json={"question": text}, timeout=120).json()
    out.append(("legal", a["answer"], a["citations"], a["retrieved"]))
    events = httpx.post(url + "/v1/legal/ask", json={"question": text, "stream": True}, timeout=120).text
    final = [line for line in events.split("\n") if line.startswith("data: ")][-1]
    import json

    f = json.loads(final[6:])
    out.append(("legal-stream", f["answer"], f["citations"], f["retrieved"]))
    c = httpx.post(url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": text}]},
                   timeout=120).json()
    out.append(("openai", c["choices"][0]["message"]["content"], c["citations"], c["retrieved"]))
    g = httpx.post(url + "/chatglm", json={"prompt": text, "history": []}, timeout=120).json()
    out.append(("chatglm", g["response"], g["citations"], []))
    return out


@pytest.mark.parametrize("mode", ["retrieval", "model"])
def test_greetings_get_what_lawglm_does_and_no_articles_everywhere(urls, mode):
    for text in ("你好", "谢谢！", "你是谁"):
        for endpoint, answer, citations, retrieved in _endpoint_answers(urls[mode], text):
            assert CAPABILITIES in answer, (endpoint, answer)
            assert citations == [] and retrieved == [] and "《" not in answer, endpoint


@pytest.mark.parametrize("mode", ["retrieval", "model"])
def test_nothing_relevant_says_so_instead_of_listing_articles(urls, mode):
    for endpoint, answer, citations, retrieved in _endpoint_answers(urls[mode], "ⅹⅹⅹ绻绻绻"):
        assert answer == NOTHING_RELEVANT and citations == [] and retrieved == [], endpoint
    legal = _endpoint_answers(urls[mode], QUESTION)[0]
    assert legal[1] != NOTHING_RELEVANT and legal[3]  # a legal question still gets its articles


def test_relevance_threshold_comes_from_settings(retrieval_assistant, tiny_index):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    assert retrieval_assistant.retriever.relevance("ⅹⅹⅹ绻绻绻") == 0.0
    assert retrieval_assistant.retriever.relevance(QUESTION) > Settings().relevance_threshold
    off = Assistant(retrieval_assistant.retriever, None, Settings(llm="none", index_dir=tiny_index,
                                                                  relevance_threshold=0))
    assert off.ask("ⅹⅹⅹ绻绻绻").answer != NOTHING_RELEVANT  # 0 turns the threshold off
    assert off.ask("你好").answer.endswith(CAPABILITIES)  # small talk does not depend on it


def test_law_filter_on_chatglm(urls):
    """A `law` filter (the one request option added through AskOptions, the mapping and the schema)."""
    url = urls["retrieval"] + "/chatglm"
    labour = httpx.post(
        url, json={"prompt": "用人单位拖欠工资怎么办", "history": [], "law": "劳动合同法"}, timeout=60
    )
    assert labour.status_code == 200, labour.text
    laws = {c["law"] for c in labour.json()["citations"]}
    assert laws == {"中华人民共和国劳动合同法"}
    assert (
        httpx.post(url, json={"prompt": "工资", "law": ""}, timeout=60).status_code == 200
    )  # "" = every law
    unknown = httpx.post(url, json={"prompt": "工资", "law": "火星法"}, timeout=60)
    assert unknown.status_code == 404 and "火星法" in unknown.json()["detail"]
