"""lawglm.tools: the legal tools over the tiny index, and `lawglm mcp` driven by the official MCP client."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import anyio
import pytest

from lawglm.search.retrieval import Params, Retriever
from lawglm.settings import Settings
from lawglm.tools.legal import SPECS, TOOLS, LegalTools, ToolError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tools(tiny_index):
    s = Settings(index_dir=tiny_index)
    return LegalTools(Retriever.load(tiny_index, Params.from_settings(s)), s)


def test_search_statutes_answers_from_the_index_with_china_law_mcp_fields(tools):
    hits = tools.call(
        "search_statutes",
        {"query": "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同", "top_k": 3},
    )
    assert 1 <= len(hits) <= 3
    assert {"law", "article_no", "article_no_arabic", "chapter", "department", "status", "text", "score",
            "via"} <= set(hits[0])
    assert any(h["law"] == "中华人民共和国劳动合同法" and h["article_no_arabic"] == 82 for h in hits)
    only = tools.call("search_statutes", {"query": "借款", "law": "民法典", "top_k": 20})
    assert only and {h["law"] for h in only} == {"中华人民共和国民法典"}


def test_get_article_resolves_short_names_and_chinese_numbers(tools, tiny_corpus):
    a = tools.call("get_article", {"law": "民法典", "article_no": "第一千零四十二条"})
    assert a["law"] == "中华人民共和国民法典" and a["article_no_arabic"] == 1042
    assert a["text"] == tiny_corpus.get("中华人民共和国民法典", 1042).text and a["status"] == "现行有效"
    assert tools.call("get_article", {"law": "劳动合同法", "article_no": 47})["article_no_arabic"] == 47


@pytest.mark.parametrize("args, field", [
    ({"law": "民法典", "article_no": "9999"}, "9999"),           # no such article
    ({"law": "不存在的法", "article_no": "1"}, "不存在的法"),      # no such law
    ({"law": "民法典", "article_no": "第三十七一条"}, "article_no"),  # unreadable number
    ({"law": "民法典", "article_no": True}, "article_no"),
    ({"law": "", "article_no": "1"}, "law"),
])
def test_get_article_errors_say_what_is_wrong(tools, args, field):
    with pytest.raises(ToolError, match=field):
        tools.call("get_article", args)


def test_verify_citation_reasons_match_china_law_mcp(tools):
    ok = tools.call("verify_citation", {"law": "民法典", "article_no": "1165"})
    assert ok["verified"] is True and ok["article_no_arabic"] == 1165 and ok["text"]
    assert (
        tools.call("verify_citation", {"law": "民法典", "article_no": "99999"})["reason"]
        == "article_not_found"
    )
    assert tools.call("verify_citation", {"law": "编造法", "article_no": "3"})["reason"] == "law_not_found"
    assert tools.call("verify_citation", {"law": "民法典", "article_no": "abc"})["reason"] == "bad_article_no"


def test_check_citations_in_text_catches_invented_articles_and_misquotes(tools, tiny_corpus):
    real = tiny_corpus.get("中华人民共和国民法典", 1042).text.split("。")[0]
    text = (f"《民法典》第一千零四十二条规定：“{real}。”另据《劳动合同法》第八十二条规定：“{real}。”"
            "《民法典》第九千条也有规定。")
    out = tools.call("check_citations_in_text", {"text": text})
    by = {d["citation"]: d for d in out["details"]}
    assert by["《民法典》第一千零四十二条"]["quote_ok"] is True
    wrong = by["《劳动合同法》第八十二条"]
    assert (
        wrong["quote_ok"] is False and "1042" not in wrong["citation"] and "一千零四十二" in wrong["actual"]
    )
    assert by["《民法典》第九千条"]["verified"] is False
    assert out["total"] == 3 and out["invalid"] == 2 and len(out["invalid_citations"]) == 2


def test_list_laws_filters_by_keyword(tools):
    laws = tools.call("list_laws", {"keyword": "劳动"})
    assert [x["law"] for x in laws] == ["中华人民共和国劳动合同法"] and laws[0]["articles"] == 7
    assert len(tools.call("list_laws", {"limit": 2})) == 2


def test_draft_contract_tool_drafts_from_a_request(tools):
    d = tools.call(
        "draft_contract",
        {"request": "帮我起草一份借款合同，出借人张三，借款人李四，借款金额五万元，期限一年"},
    )
    assert d["template"] == "loan" and "张三" in d["markdown"] and "李四" in d["markdown"]


def test_calculate_amounts_shows_the_working_with_its_articles(tools):
    question = "我在公司干了三年半，月薪八千，公司无故把我辞退了，能要多少赔偿？"
    out = tools.call("calculate_amounts", {"question": question})
    amounts = {c["kind"]: c["amount"] for c in out}
    assert amounts == {"wrongful_dismissal": 64000, "severance": 32000}  # 三年半 counts as four years
    assert any("第八十七条" in c for c in out[0]["cited"] + out[0]["working"])
    assert tools.call("calculate_amounts", {"question": "今天天气怎么样"}) == []
    with pytest.raises(ToolError, match="area"):
        tools.call("calculate_amounts", {"question": "干了三年", "area": "astrology"})


def test_next_steps_puts_arbitration_first_for_a_dismissal(tools):
    out = tools.call("next_steps", {"question": "公司违法辞退我，我要怎么维权？", "today": "2026-12-07"})
    assert out["area"] == "labor_dismissal" and out["forum"][0].startswith("劳动")
    assert out["deadlines"][0]["name"] == "劳动仲裁时效"
    assert (out["deadlines"][0]["length"], out["deadlines"][0]["unit"]) == (1, "years")
    with pytest.raises(ToolError, match="today"):
        tools.call("next_steps", {"question": "公司辞退我", "today": "12/07"})


def test_unknown_tools_and_arguments_are_refused(tools):
    with pytest.raises(ToolError, match="unknown tool"):
        tools.call("delete_everything", {})
    with pytest.raises(ToolError, match="bogus"):
        tools.call("search_statutes", {"query": "x", "bogus": 1})
    with pytest.raises(ToolError, match="query"):
        tools.call("search_statutes", {"query": "   "})
    with pytest.raises(ToolError, match="arguments"):
        tools.call("search_statutes", ["not", "a", "dict"])


def test_every_tool_is_specified_once():
    assert len({t.name for t in TOOLS}) == len(TOOLS)
    assert {t.name for t in TOOLS} >= {"search_statutes", "get_article", "list_laws", "verify_citation",
                                       "check_citations_in_text", "draft_contract", "calculate_amounts",
                                       "next_steps"}
    for t in TOOLS:
        assert t.openai()["function"]["parameters"]["type"] == "object"


def test_tool_calls_are_fast_in_process(tools):
    calls = [
        ("search_statutes", {"query": "高空抛物砸伤人谁负责"}),
        ("get_article", {"law": "民法典", "article_no": "1254"}),
        ("verify_citation", {"law": "劳动合同法", "article_no": "82"}),
    ]
    times = []
    for _ in range(5):
        for name, args in calls:
            t0 = time.perf_counter()
            tools.call(name, args)
            times.append(time.perf_counter() - t0)
    assert sorted(times)[len(times) // 2] < 0.25  # generous on a shared CI core; bench/mcp_bench.py measures


# --- the MCP server, through the official client ---------------------------------------------
def _mcp_session(index_dir: Path, home: Path, body):
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "lawglm.cli", "mcp", "--index-dir",
                                                                 str(index_dir)],
                                   env={"PYTHONPATH": str(ROOT), "LAWGLM_HOME": str(home),
                                        "PATH": os.environ.get("PATH", "")}, cwd=str(ROOT))

    async def run():
        with anyio.fail_after(120):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await body(session)

    return anyio.run(run)


def test_mcp_server_is_a_drop_in_for_china_law_mcp(tiny_index, tmp_path):
    import json

    from china_law_mcp.server import server as theirs

    async def body(session):
        listed = (await session.list_tools()).tools
        found = await session.call_tool(
            "search_statutes", {"query": "未订立书面劳动合同 二倍工资", "top_k": 2}
        )
        missing = await session.call_tool("get_article", {"law": "民法典", "article_no": "99999"})
        after = await session.call_tool(
            "verify_citation", {"law": "民法典", "article_no": "第一千一百六十五条"}
        )
        return listed, found, missing, after

    listed, found, missing, after = _mcp_session(tiny_index, tmp_path, body)
    ours = {t.name: set(t.input_schema["properties"]) for t in listed}
    for t in anyio.run(theirs.list_tools):  # every china-law-mcp tool, with the same argument names
        assert ours[t.name] == set(t.input_schema["properties"]), t.name
    assert set(ours) == set(SPECS)
    assert not found.is_error and json.loads(found.content[0].text)
    assert missing.is_error and "99999" in missing.content[0].text  # an MCP tool error, the server lives on
    assert not after.is_error and json.loads(after.content[0].text)["verified"] is True
