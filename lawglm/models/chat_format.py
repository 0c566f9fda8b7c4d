"""Chat formats: rendering messages into a prompt in the model's own chat template, or in ours (ChatGLM2-style
rounds) for models without one; prompt token ids and counts; the text that ends a reply."""

from __future__ import annotations

from typing import Any

# Our chat format for models without a chat template (ChatGLM2-style rounds; plain text, any tokenizer).
CHAT_TEMPLATE = (
    "{% set ns = namespace(round=0) %}"
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'user' %}{% set ns.round = ns.round + 1 %}"
    "[Round {{ ns.round }}]\n\n问：{{ m['content'] }}\n\n答："
    "{% elif m['role'] == 'assistant' %}{{ m['content'] }}\n\n{% endif %}"
    "{% endfor %}"
)
# where a reply in our format ends: the model starting the next round
TEMPLATE_STOPS = ("\n\n[Round", "\n[Round", "\n\n问：")


def prompt_ids(tokenizer: Any, text: str) -> list[int]:
    """Token ids of a rendered prompt. Chat templates write their own BOS; ours relies on the tokenizer's."""
    return list(tokenizer(text, add_special_tokens=not has_chat_template(tokenizer))["input_ids"])


def count_tokens(tokenizer: Any, messages: list[dict[str, str]]) -> int:
    """Prompt length in tokens (rendered with the chat template); characters when no tokenizer."""
    text = render(tokenizer, messages)
    if tokenizer is None:
        return len(text)
    return len(prompt_ids(tokenizer, text))


def _render_ours(messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    out, rnd = [], 0
    for m in messages:
        if m["role"] == "system":
            out.append(m["content"] + "\n\n")
        elif m["role"] == "user":
            rnd += 1
            out.append(f"[Round {rnd}]\n\n问：{m['content']}\n\n答：")
        else:
            out.append(m["content"] + "\n\n")
    return "".join(out)  # a user turn always ends in 答： (its generation prompt)


def _merge_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """For templates that reject a system role: prepend it to the first user message."""
    if not messages or messages[0]["role"] != "system":
        return messages
    rest = [dict(m) for m in messages[1:]]
    if rest and rest[0]["role"] == "user":
        rest[0]["content"] = messages[0]["content"] + "\n\n" + rest[0]["content"]
    return rest


def has_chat_template(tokenizer: Any) -> bool:
    return bool(tokenizer is not None and getattr(tokenizer, "chat_template", None))


def render(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """Prompt text in the model's own chat template when it has one, else in ours (CHAT_TEMPLATE)."""
    if not has_chat_template(tokenizer):
        return _render_ours(messages, add_generation_prompt)
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False,
                                             add_generation_prompt=add_generation_prompt)
    except Exception as exc:  # jinja2 TemplateError: e.g. "System role not supported"
        if "system" not in str(exc).lower():
            raise
        return tokenizer.apply_chat_template(_merge_system(messages), tokenize=False,
                                             add_generation_prompt=add_generation_prompt)


def stop_strings(tokenizer: Any) -> list[str]:
    """Text that ends a reply in the prompt format `render` uses for this tokenizer."""
    if not has_chat_template(tokenizer):
        return list(TEMPLATE_STOPS)
    stops = []
    for tok in ("<end_of_turn>", "<|user|>", "<|observation|>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>"):
        if tok in (tokenizer.chat_template or ""):
            stops.append(tok)
    if tokenizer.chat_template == CHAT_TEMPLATE:
        stops += list(TEMPLATE_STOPS)
    return stops
