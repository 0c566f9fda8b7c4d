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
