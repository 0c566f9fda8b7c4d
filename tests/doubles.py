"""Test doubles at the edge of the system (the model), shared by the test modules."""

from __future__ import annotations


class Recorded:
    """Edge double for the model: replays a recorded reply (lets the test choose the citations). Implements
    every member of lawglm.models.generation.Generator (tests/test_seams.py checks it)."""

    kind, name, context_length, tokenizer, default_adapter = "recorded", "recorded", 4096, None, None

    def __init__(self, reply: str):
        self.reply, self.prompts = reply, []
        self.adapters: list[str] = []
        self.adapter_infos: list[dict] = []

    def count_tokens(self, prompt):
        return len(prompt)

    def stream(self, prompt, *, max_new_tokens=0, top_p=1.0, temperature=0.0, repetition_penalty=1.0,
               stop=(), adapter=None, stats=None, cancel=None, seed=None, guard=None, tools=None,
               tool_choice=None):
        self.prompts.append(prompt)
        for i in range(0, len(self.reply), 5):
            yield self.reply[i:i + 5]


class SearchSpy:
    """A real retriever whose searches are recorded (`queries`); every other member of
    lawglm.search.retrieval.SearchService is the real one's."""

    def __init__(self, retriever):
        self.real, self.queries = retriever, []
        self.index_dir = retriever.index_dir

    corpus = property(lambda self: self.real.corpus)
    version = property(lambda self: self.real.version)
    links = property(lambda self: self.real.links)

    def search(self, query, k=5, *, law=None, department=None, status="current", level=None):
        self.queries.append(query)
        return self.real.search(query, k, law=law, department=department, status=status, level=level)

    def levels(self):
        return self.real.levels()

    def relevance(self, query):
        return self.real.relevance(query)

    def is_relevant(self, query, threshold):
        return self.real.is_relevant(query, threshold)

    def reload(self, force=False):
        return self.real.reload(force)


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
