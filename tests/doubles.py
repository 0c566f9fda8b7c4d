"""Test doubles at the edge of the system (the model), shared by the test modules."""

from __future__ import annotations


class Recorded:
    """Edge double for the model: replays a recorded reply (lets the test choose the citations)."""

    kind, name, context_length, tokenizer, adapters = "recorded", "recorded", 4096, None, []

    def __init__(self, reply: str):
        self.reply, self.prompts = reply, []

    def count_tokens(self, prompt):
        return len(prompt)

    def stream(self, prompt, *, stats=None, **kw):
        self.prompts.append(prompt)
        for i in range(0, len(self.reply), 5):
            yield self.reply[i:i + 5]


# The seed's two tools (ChatGLM3's tools_using_demo): track(symbol), text-to-speech(text, voice, speed)
SEED_TOOLS = [
    {
        "name": "track",
        "description": "追踪指定股票的实时价格",
        "parameters": {
            "type": "object",
            "properties": {"symbol": {"description": "需要追踪的股票代码"}},
            "required": ["symbol"],
        },
    },
    {
        "name": "text-to-speech",
        "description": "将文本转换为语音",
        "parameters": {
            "type": "object",
            "properties": {
                "text": {"description": "需要转换成语音的文本"},
                "voice": {"description": "要使用的语音类型（男声、女声等）"},
                "speed": {"description": "语音的速度（快、中等、慢等）"},
            },
            "required": ["text"],
        },
    },
]
