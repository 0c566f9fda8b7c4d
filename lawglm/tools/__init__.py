"""Tools: lawglm's legal functions as tools for agents (`legal`), served over MCP (`mcp_server`: `lawglm mcp`)
."""
