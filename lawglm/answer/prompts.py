"""Prompts: the system instruction, history formats, retrieval queries, and token-budgeted prompt building.

Training and serving both render prompts through `build_messages` + `render`, so an adapter
sees exactly the format it will be asked in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lawglm.errors import Cancelled, LawGLMError
from lawglm.models.chat_format import count_tokens
from lawglm.records import Hit

SYSTEM_PROMPT = (
    "你是一名严谨的中国法律助手。请只依据下面编号列出的法律条文回答用户的问题：\n"
    "1. 引用条文时写出法律全称和条号，格式为《法律全名》第N条，只引用列出的条文，不要编造条文或条号；\n"
    "2. 如果列出的条文不足以回答问题，请明确说明“所提供的条文未涉及该问题”，不要猜测；\n"
    "3. 回答简明、分点说明适用的条文和结论；\n"
    "4. 提醒用户：以上内容仅供参考，不构成法律意见，具体问题请咨询执业律师。"
)
# The grounded answer shape (small models): the model writes only a short conclusion and the articles it
# rests on; the system adds the verbatim articles and the next steps (see grounded.py).
GROUNDED_SYSTEM_PROMPT = (
    "你是一名严谨的中国法律助手。请阅读下面编号列出的法律条文，用一到三句话直接回答用户的问题："
    "先给出明确结论，再用一句话说明理由。只能引用列出的条文，引用时写《法律全名》第N条，不要编造。"
    "最后另起一行，以“依据：”列出结论所依据的条文。"
)
# what replaces the instruction when a tight budget leaves no room for it (then no instruction at all)
SHORT_SYSTEM_PROMPT = "你是中国法律助手，只依据列出的法条回答，不要编造条文。"
# prompt text whose words the restricted output vocabulary must cover (models.generation.cached_domain_vocab)
VOCAB_TEXTS = (SYSTEM_PROMPT,)
BASIS_MARK = "依据："
ARTICLES_HEADER = "参考法条："
QUESTION_HEADER = "问题："
NO_ARTICLES = "（未检索到相关法条）"
TRIM_MARK = "……"
MIN_TRIMMED_CHARS = 40  # a trimmed article shorter than this is dropped instead
HISTORY_SLACK = 64  # tokens a tokeniser may merge across turn boundaries (keeps the upper bound safe)



class InvalidHistory(LawGLMError, ValueError):
    """Conversation history in a shape we cannot read (message says which turn and why)."""


class PromptTooLong(LawGLMError, ValueError):
    """The question alone does not fit the prompt budget."""


@dataclass(frozen=True)
class Style:
    """How articles are shown to the model: the instruction and how much of each article."""

    name: str
    system: str
    excerpt_chars: int | None = None  # None: whole articles; else the paragraphs that matter, verbatim
    max_articles: int | None = None


FREE = Style("free", SYSTEM_PROMPT)
GROUNDED = Style("grounded", GROUNDED_SYSTEM_PROMPT, excerpt_chars=120, max_articles=5)
STYLES = {s.name: s for s in (FREE, GROUNDED)}


def get_style(name: str | Style) -> Style:
    if isinstance(name, Style):
        return name
    if name not in STYLES:
        raise LawGLMError(f"answer_shape: must be one of {', '.join(STYLES)}, got {name!r}")
    return STYLES[name]


@dataclass
class Prompt:
    """A built prompt: chat messages, the hits actually shown, and what was cut to fit."""

    messages: list[dict[str, str]]
    sources: list[Hit]
    truncated: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0

    @property
    def was_truncated(self) -> bool:
        return any(self.truncated.get(k) for k in ("history_dropped", "articles_dropped", "articles_trimmed",
                                                        "system_shortened"))


# --- history -------------------------------------------------------------------
def _content_text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts: [{"type": "text", "text": ...}]
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if len(parts) == len(content):
            return "".join(parts)
    raise InvalidHistory(f"history: {where} content must be a string, got {type(content).__name__}")


def _pairs_from_messages(messages: Sequence[dict]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for i, m in enumerate(messages):
        role = m.get("role")
        if role not in ("system", "user", "assistant") or "content" not in m:
            raise InvalidHistory(
                f"history[{i}]: expected role system|user|assistant and content, got {m!r:.80}"
            )
        text = _content_text(m["content"], f"history[{i}]")
        if role == "user":
            pending = text if pending is None else pending + "\n" + text
        elif role == "assistant":
            if pending is None:
                raise InvalidHistory(f"history[{i}]: assistant message without a preceding user message")
            pairs.append((pending, text))
            pending = None
    if pending is not None:
        raise InvalidHistory("history ends with a user message that has no answer; "
                             "pass the new question separately")
    return pairs


def normalize_history(history: Sequence | None) -> list[tuple[str, str]]:
    """ChatGLM `[[q, a], ...]` or OpenAI `[{"role", "content"}, ...]` -> [(question, answer), ...]."""
    if not history:
        return []
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise InvalidHistory(f"history must be a list, got {type(history).__name__}")
    if all(isinstance(h, dict) for h in history):
        return _pairs_from_messages(history)
    pairs = []
    for i, h in enumerate(history):
        if (not isinstance(h, (list, tuple)) or len(h) != 2
                or not all(isinstance(x, str) for x in h)):
            raise InvalidHistory(f"history[{i}]: expected [question, answer] strings or "
                                 f"{{'role', 'content'}} messages, got {h!r:.80}")
        pairs.append((h[0], h[1]))
    return pairs


def retrieval_query(question: str, history: Sequence | None = None, *, turns: int = 2,
                    max_chars: int = 200, max_total: int | None = None) -> str:
    """The search query for a question in context: a follow-up (那如果已经领证了呢？) carries the
    topic of the previous user turns, so they are prepended (most recent `turns`, trimmed). With
    `max_total`, the query is at most that long: the question first, then the turns that still fit."""
    pairs = normalize_history(history)
    question = question.strip()[:max_total]
    room = None if max_total is None else max_total - len(question)
    previous: list[str] = []
    for q, _ in reversed(pairs[-turns:]):
        q = q.strip()[:max_chars]
        if q and (room is None or len(q) + 1 <= room):
            previous.insert(0, q)
            room = None if room is None else room - len(q) - 1
    return "\n".join([*previous, question])


# --- articles and messages --------------------------------------------------------
ITEM = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")  # an article's item line （一）…
_SENTENCE_END = re.compile(r"(?<=[。；;！？])")


def paragraphs(text: str) -> list[str]:
    """An article's paragraphs (款) and items (项), verbatim, as stored (one per line)."""
    return [p.strip() for p in text.split("\n") if p.strip()]


def _query_grams(query: str) -> set[str]:
    from lawglm.search.text import _function_bigram, bigrams

    return {b for b in bigrams(query) if not _function_bigram(b)}


def excerpt(text: str, query: str, max_chars: int | None) -> str:
    """The paragraphs of an article that matter for `query`, verbatim and in order, within `max_chars`.

    Paragraphs are ranked by how many of the query's content bigrams they contain; an item （一）… brings
    its lead-in paragraph (有下列情形之一的…) along; omitted text is marked with …… . The whole article
    when it fits (or max_chars is None); a paragraph too long on its own is cut at a sentence end."""
    text = text.strip()
    if max_chars is None or len(text) <= max_chars:
        return text
    paras, grams = paragraphs(text), _query_grams(query)
    ranked = sorted(range(len(paras)), key=lambda i: (-sum(g in paras[i] for g in grams), i))
    chosen: set[int] = set()
    used = 0
    for i in ranked:
        group = {i} | ({_lead_in(paras, i)} if ITEM.match(paras[i]) else set())
        cost = sum(len(paras[j]) for j in group - chosen)
        if used + cost > max_chars:
            continue
        chosen |= group
        used += cost
    if not chosen:
        return _cut(paras[ranked[0]], max_chars)
    out, last = [], -1
    for i in sorted(chosen):
        if i != last + 1:
            out.append(TRIM_MARK)
        out.append(paras[i])
        last = i
    return "\n".join(out) + ("\n" + TRIM_MARK if last < len(paras) - 1 else "")


def _lead_in(paras: list[str], i: int) -> int:
    j = i
    while j > 0 and ITEM.match(paras[j]):
        j -= 1
    return j


def _cut(paragraph: str, max_chars: int) -> str:
    """A paragraph cut after its last sentence end within max_chars (hard cut if none)."""
    head = paragraph[:max_chars]
    ends = [m.start() for m in _SENTENCE_END.finditer(head) if m.start() > 0]
    return (head[:ends[-1]] if ends else head) + TRIM_MARK


def format_article(index: int, hit: Hit, max_chars: int | None = None, query: str = "") -> str:
    """【1】《law》第N条（status）text — with `query`, the paragraphs that matter (see `excerpt`); without
    it, the text cut to max_chars (with a mark)."""
    a = hit.article
    text = a.text.strip()
    if query and max_chars is not None:
        text = excerpt(text, query, max_chars)
    elif max_chars is not None and len(text) > max_chars:
        text = text[:max_chars] + TRIM_MARK
    return f"【{index}】{a.citation}（{a.status}）{text}"


def _article_lines(question: str, hits: Sequence[Hit], trim_last: int | None, style: Style) -> list[str]:
    lines = []
    for i, h in enumerate(hits):
        limit = style.excerpt_chars
        if trim_last is not None and i == len(hits) - 1:
            limit = trim_last if limit is None else min(limit, trim_last)
        lines.append(format_article(i + 1, h, limit, question if style.excerpt_chars else ""))
    return lines


def _user_content(question: str, hits: Sequence[Hit], trim_last: int | None = None,
                  style: Style = FREE) -> str:
    lines = _article_lines(question, hits, trim_last, style)
    articles = "\n".join(lines) if lines else NO_ARTICLES
    return f"{ARTICLES_HEADER}\n{articles}\n\n{QUESTION_HEADER}{question.strip()}"


def _messages(question: str, hits: Sequence[Hit], pairs: Sequence[tuple[str, str]],
              trim_last: int | None = None, style: Style = FREE) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": style.system}] if style.system else []
    for q, a in pairs:
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    msgs.append({"role": "user", "content": _user_content(question, hits, trim_last, style)})
    return msgs


def check_cancel(cancel: Any) -> None:
    """Raise Cancelled when `cancel` (a threading.Event or None) is set: long loops call this per step."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("stopped: the request was cancelled")


def _fit_trim(question: str, hits: list[Hit], pairs: list, tokenizer: Any, budget: int,
              style: Style = FREE, cancel: Any = None) -> int | None:
    """Largest char length of the last hit's text that fits the budget (binary search), or None."""
    lo, hi, best = MIN_TRIMMED_CHARS, len(hits[-1].article.text) - 1, None
    while lo <= hi:
        check_cancel(cancel)
        mid = (lo + hi) // 2
        if count_tokens(tokenizer, _messages(question, hits, pairs, mid, style)) <= budget:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return best


def _turn_tokens(tokenizer: Any, text: str) -> int:
    if tokenizer is None:
        return len(text)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _history_upper_bound(pairs: list, tokenizer: Any, budget: int, cancel: Any) -> int:
    """How many of the newest pairs could possibly fit: each turn tokenised once (newest first) and summed;
    the count stops where even the turns' own tokens (a lower bound of their prompt cost) exceed the
    budget."""
    total = 0
    for k, (q, a) in enumerate(reversed(pairs)):
        check_cancel(cancel)
        total += _turn_tokens(tokenizer, q) + _turn_tokens(tokenizer, a)
        if total > budget + HISTORY_SLACK:
            return k
    return len(pairs)


def _fit_history(question: str, hits: list[Hit], pairs: list, tokenizer: Any, budget: int,
                 style: Style, cancel: Any) -> int:
    """How many of the newest history pairs fit with the question and all articles: token counts per turn
    bound the answer from above, then a binary search over the count renders the prompt O(log n) times
    (the old drop-one-and-recount loop re-tokenised the whole history per dropped pair)."""
    hi = _history_upper_bound(pairs, tokenizer, budget, cancel)
    lo = 0
    while lo < hi:
        check_cancel(cancel)
        mid = (lo + hi + 1) // 2
        if (
            count_tokens(tokenizer, _messages(question, hits, pairs[len(pairs) - mid :], style=style))
            <= budget
        ):
            lo = mid
        else:
            hi = mid - 1
    return lo


def build_messages(question: str, hits: Sequence[Hit], history: Sequence | None = None, *,
                   tokenizer: Any = None, max_prompt_tokens: int | None = None,
                   style: str | Style = FREE, cancel: Any = None) -> Prompt:
    """System instruction + numbered articles + history + question, cut to `max_prompt_tokens`:
    history goes first (oldest turn first), then the lowest-ranked articles are trimmed or dropped, then
    the instruction is shortened (SHORT_SYSTEM_PROMPT, then none); the question is never dropped — if it
    alone does not fit, PromptTooLong is raised.
    `style` says which instruction and how much of each article (FREE: whole; GROUNDED: excerpts).
    `cancel` (a threading.Event) stops the budgeting with Cancelled."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidHistory("question must be a non-empty string")
    style = get_style(style)
    pairs, hits = normalize_history(history), list(hits)[:style.max_articles]
    info = {"history_dropped": 0, "articles_dropped": 0, "articles_trimmed": 0, "system_shortened": 0}
    msgs = _messages(question, hits, pairs, style=style)
    if max_prompt_tokens is None:
        return Prompt(msgs, hits, info, count_tokens(tokenizer, msgs) if tokenizer is not None else 0)
    n = count_tokens(tokenizer, msgs)
    if n > max_prompt_tokens and pairs:
        keep = _fit_history(question, hits, pairs, tokenizer, max_prompt_tokens, style, cancel)
        pairs, info["history_dropped"] = pairs[len(pairs) - keep:] if keep else [], len(pairs) - keep
        msgs = _messages(question, hits, pairs, style=style)
        n = count_tokens(tokenizer, msgs)
    trim = None
    while n > max_prompt_tokens and hits:
        trim = _fit_trim(question, hits, pairs, tokenizer, max_prompt_tokens, style, cancel)
        if trim is not None:
            info["articles_trimmed"] = 1
            break
        hits, info["articles_dropped"] = hits[:-1], info["articles_dropped"] + 1
        msgs = _messages(question, hits, pairs, style=style)
        n = count_tokens(tokenizer, msgs)
    if trim is not None:
        msgs = _messages(question, hits, pairs, trim, style=style)
        n = count_tokens(tokenizer, msgs)
    for system in (SHORT_SYSTEM_PROMPT, ""):  # no articles left and still too long: a shorter instruction
        if n <= max_prompt_tokens:
            break
        style = replace(style, system=system)
        msgs = _messages(question, hits, pairs, style=style)
        n = count_tokens(tokenizer, msgs)
        info["system_shortened"] = 1
    if n > max_prompt_tokens:
        raise PromptTooLong(f"question: too long for the model's context ({n} prompt tokens with no "
                            f"articles or history; budget {max_prompt_tokens}); shorten the question")
    return Prompt(msgs, hits, info, n)


def minimal_prompt_tokens(question: str, tokenizer: Any) -> int:
    """Tokens of the smallest prompt `build_messages` can make for `question`: no instruction, articles
    or history. A budget below this refuses the question; anything above it never does."""
    return count_tokens(tokenizer, _messages(question, [], [], style=replace(FREE, system="")))
