"""The answer pipeline: question (+ history) -> retrieval -> budgeted prompt -> generation -> verified
citations -> Answer. Also retrieval-only answers (no model) and draft-then-retrieve.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from lawglm.answer.grounded import LENGTH_NOTE, dedupe_stream, drop_repeats
from lawglm.answer.options import AskOptions, Limits, validate
from lawglm.answer.prompts import VOCAB_TEXTS, build_messages, check_cancel, retrieval_query
from lawglm.answer.support import check_answer
from lawglm.models.decoding import DecodeStats
from lawglm.records import Answer, Citation, Hit, Sections, Usage
from lawglm.settings import Settings
from lawglm.statutes.citations import check

if TYPE_CHECKING:
    from lawglm.models.generation import Generator
    from lawglm.search.retrieval import SearchService

RETRIEVAL_ONLY_HEADER = "以下是检索到的相关法条（仅供参考，不构成法律意见）："
NO_HITS = "未检索到相关法条，请换一种说法或指定法律名称。"
DRAFT_TOKENS = 96


@dataclass
class Assistant:
    """Retriever + generator (None = retrieval-only) + settings: what `lawglm ask` and the server use."""

    retriever: SearchService | None  # None while the index is still being built (the server waits)
    generator: Generator | None  # None: retrieval-only answers
    settings: Settings  # defaults of every request option (top_k, top_p, temperature, max_new_tokens, ...)
    today: Callable[[], date] = field(
        default_factory=lambda: date.today, repr=False
    )  # the day deadlines count to

    @classmethod
    def from_settings(cls, settings: Settings, *, adapter: str | None = None,
                      progress: bool = True, restrict_vocab: bool | None = None) -> Assistant:
        """Load the index (settings.index_dir) and the generator settings.llm_mode() asks for."""
        from lawglm.models.generation import load_generator
        from lawglm.search.retrieval import Retriever

        retriever = Retriever.from_settings(settings)
        generator = load_generator(settings, adapter=adapter, corpus=retriever.corpus,
                                   restrict_vocab=restrict_vocab, progress=progress, vocab_texts=VOCAB_TEXTS)
        return cls(retriever, generator, settings)

    def __post_init__(self) -> None:
        from lawglm.answer.chooser import default_chooser

        default_chooser()  # the deciding-article weights are read at start-up: a bad file fails here

    # --- what the server and CLI ask about ---------------------------------------------
    @property
    def ready(self) -> bool:
        return self.retriever is not None

    @property
    def adapters(self) -> list[str]:
        return list(self.generator.adapters) if self.generator is not None else []

    @property
    def context_length(self) -> int:
        return self.generator.context_length if self.generator is not None else 0

    def models(self) -> list[dict]:
        """The backbone (or retrieval-only) and each loaded adapter."""
        if self.generator is None:
            return [{"id": "retrieval-only", "kind": "retrieval", "context_length": 0}]
        out = [{"id": self.generator.name, "kind": f"backbone ({self.generator.kind})",
                "context_length": self.context_length,
                "default_adapter": self.generator.default_adapter}]
        for info in self.generator.adapter_infos:
            meta = info.get("meta", {})
            out.append({"id": info["name"], "kind": "adapter", "method": info["method"],
                        "base_model": meta.get("base_model"), "metrics": meta.get("metrics", {})})
        return out

    @property
    def uses_model(self) -> bool:
        """True when answers need the language model (not retrieval-only mode)."""
        return self.generator is not None

    def swap_retriever(self, retriever: SearchService) -> None:
        """Serve a new retriever; requests already running keep the one they hold."""
        self.retriever = retriever

    # --- validation --------------------------------------------------------------------
    def limits(self) -> Limits:
        """What requests are checked against (no model call: the server checks before queueing)."""
        tokenizer = self.generator.tokenizer if self.generator is not None else None
        return Limits(self.settings, self.context_length, tuple(self.adapters), self.generator is not None,
                      self.retriever.corpus.require_law, tokenizer, levels=tuple(self.retriever.levels()))

    def prepare(self, opts: AskOptions, caps: Settings | None = None) -> AskOptions:
        """The options validated, with defaults; InvalidRequest names the bad field. `caps`: the
        request-size limits (a server's settings) when they are not this assistant's."""
        return validate(opts, replace(self.limits(), caps=caps) if caps is not None else self.limits())

    # --- answering ----------------------------------------------------------------------
    def ask(self, question: str | AskOptions, history: Sequence | None = None, **fields) -> Answer:
        """The whole answer at once (see `stream`)."""
        answer = None
        for item in self.stream(question, history, **fields):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str | AskOptions, history: Sequence | None = None, *,
               cancel: threading.Event | None = None, **fields) -> Iterator[str | Answer]:
        """Text chunks as they are generated, then ONE final Answer (text, verified and support-checked
        citations, hits, usage). Takes AskOptions, or a question with AskOptions' fields as keywords.
        The chunks of a grounded answer are final; those of a free answer are provisional (the final
        text may have citations corrected and repeated sentences removed)."""
        if not isinstance(question, AskOptions):
            question = AskOptions(question, history=history, **fields)
        opts = question
        opts = self.prepare(opts)
        question, pairs = opts.question, list(opts.history)
        off_topic = self._off_topic(question, pairs, opts)
        if off_topic is not None:
            parts = _plain(*off_topic)
        elif self.generator is None:
            parts = self._retrieval_only(question, pairs, opts)
        elif opts.answer_shape == "grounded":
            parts = self._grounded(question, pairs, opts, cancel)
        else:
            parts = self._generate(question, pairs, opts, cancel)
        for item in _flag_missing_sources(parts, question, self.retriever.corpus):
            if isinstance(item, Answer):
                item = _with_status(item, self.retriever.corpus)
                item = _with_roles(_with_links(item, self.retriever, self.settings.links_shown), question)
            yield item

    def _off_topic(self, question: str, pairs: list, opts: AskOptions) -> tuple[str, str] | None:
        """(reply, mode) for small talk, or for a question the statutes have nothing relevant to (the
        relevance threshold; not applied when the caller names the law); None for a legal question."""
        from lawglm.answer.smalltalk import NOTHING_RELEVANT, small_talk_kind, small_talk_reply

        kind = small_talk_kind(question)
        if kind is not None:
            return small_talk_reply(kind), "small-talk"
        threshold = self.settings.relevance_threshold
        if threshold and opts.law is None and not self.retriever.is_relevant(self._query(question, pairs),
                                                                             threshold):
            return NOTHING_RELEVANT, "nothing-relevant"
        return None

    def _query(self, question: str, pairs: list[tuple[str, str]], draft: str = "") -> str:
        """The search query: the question (and draft) with the previous turns that fit the retriever's
        query limit (the question alone is within it: validated against the same setting)."""
        return retrieval_query(question + ("\n" + draft if draft else ""), pairs,
                               max_total=self.settings.max_question_chars)

    def search(self, question: str, pairs: list[tuple[str, str]], opts: AskOptions,
               draft: str = "") -> list[Hit]:
        return self.retriever.search(self._query(question, pairs, draft), opts.top_k, **opts.filters())

    def _scores(self, hits: list[Hit]) -> list[float] | None:
        """The hits' scores when they are the learned ranker's (the deciding-article chooser weighs them),
        else None (the chooser reads each rank's typical score)."""
        return [h.score for h in hits] if getattr(self.retriever, "learned_scores", False) else None

    def _retrieval_only(self, question: str, pairs: list, opts: AskOptions) -> Iterator[str | Answer]:
        """No model: the answer that decides the question from the retrieved articles (answer/decided.py:
        the deciding clause, the person's numbers, 下一步 by area, 法律依据 deciding clause first)."""
        t0 = time.perf_counter()
        hits = self.search(question, pairs, opts)
        sections = Sections()
        if hits:
            from lawglm.answer.decided import decided_text

            text, cites, sections = decided_text(question, [h.article for h in hits], self.retriever.corpus,
                                                 self.today(), opts.law, scores=self._scores(hits))
        else:
            text, cites = NO_HITS, []
        yield text
        yield Answer(
            text,
            cites,
            hits,
            Usage(seconds=round(time.perf_counter() - t0, 3), tokens_per_s=0.0, truncated=False,
                  mode="retrieval-only"),
            sections,
        )

    def _draft(self, question: str, pairs: list, opts: AskOptions) -> tuple[str, int]:
        """A short answer without articles: its words help retrieve the articles a layperson didn't name."""
        prompt = build_messages(question, [], pairs, tokenizer=self.generator.tokenizer,
                                max_prompt_tokens=opts.budget()[0])
        stats = DecodeStats()
        reply = self.generator.stream(prompt.messages, max_new_tokens=DRAFT_TOKENS, top_p=opts.top_p,
                                      temperature=0, repetition_penalty=self.settings.repetition_penalty,
                                      adapter=opts.adapter, stats=stats)
        text = "".join(reply)
        return text, stats.completion_tokens

    def _prompt(self, question: str, pairs: list, opts: AskOptions, style: str,
                cancel: threading.Event | None = None) -> tuple[Any, int]:
        """(prompt, draft tokens): retrieval (after an optional draft) and the budgeted prompt;
        `cancel` is checked between the steps and inside the budgeting (Cancelled)."""
        check_cancel(cancel)
        draft, draft_tokens = self._draft(question, pairs, opts) if opts.draft_first else ("", 0)
        check_cancel(cancel)
        hits = self.search(question, pairs, opts, draft)
        check_cancel(cancel)
        prompt = build_messages(question, hits, pairs, tokenizer=self.generator.tokenizer,
                                max_prompt_tokens=opts.budget()[0], style=style, cancel=cancel)
        return prompt, draft_tokens

    def _decode(self, prompt: Any, opts: AskOptions, max_new_tokens: int, stats: DecodeStats,
                cancel: threading.Event | None) -> Iterator[str]:
        """The model's reply to `prompt` as it streams; a local backend's citations are constrained while
        decoding (CitationGuard), a remote backend's are checked afterwards."""
        sources = [h.article for h in prompt.sources]
        guard = None
        if self.generator.kind == "local":
            from lawglm.answer.citation_guard import CitationGuard

            guard = CitationGuard(sources, self.retriever.corpus, query=opts.question)
        return self.generator.stream(prompt.messages, max_new_tokens=max_new_tokens, top_p=opts.top_p,
                                     temperature=opts.temperature,
                                     repetition_penalty=self.settings.repetition_penalty,
                                     adapter=opts.adapter, stats=stats, cancel=cancel, guard=guard)

    def _generate(self, question: str, pairs: list, opts: AskOptions,
                  cancel: threading.Event | None) -> Iterator[str | Answer]:
        """The model's own answer, citations guarded while decoding (local) and checked afterwards."""
        t0 = time.perf_counter()
        prompt, draft_tokens = self._prompt(question, pairs, opts, "free", cancel)
        sources = [h.article for h in prompt.sources]
        stats, parts = DecodeStats(), []
        t_gen = time.perf_counter()
        chunks = self._decode(prompt, opts, opts.budget()[1], stats, cancel)
        yield from dedupe_stream(_kept(chunks, parts))  # a repeated sentence is never shown, even streamed
        check_cancel(cancel)
        text, cites = check_answer(drop_repeats("".join(parts).strip()), sources, self.retriever.corpus,
                                   context_law=opts.law)
        usage = replace(_usage(stats, prompt, t0, t_gen, draft_tokens), shape="free")
        if usage.finish_reason == "length":  # the model wanted to go on: say the answer is cut short
            text += LENGTH_NOTE
            yield LENGTH_NOTE
        yield Answer(text, cites, prompt.sources, usage)

    def _grounded(self, question: str, pairs: list, opts: AskOptions,
                  cancel: threading.Event | None) -> Iterator[str | Answer]:
        """The decided answer with what the model may add (decided.stream):
        结论 → 计算 → 法律依据 → 下一步. The model is asked only where it could add a sentence the deciding
        clause bears out (settings.model_addition: by default when the clause matched the question only
        weakly), shown the clause's article alone, for at most settings.model_addition_tokens and only
        until a sentence the clause does not bear out; otherwise the answer is the decided one, at once."""
        from lawglm.answer import decided

        t0 = time.perf_counter()
        check_cancel(cancel)
        draft, draft_tokens = self._draft(question, pairs, opts) if opts.draft_first else ("", 0)
        check_cancel(cancel)
        hits = self.search(question, pairs, opts, draft)
        sources = [h.article for h in hits]
        corpus = self.retriever.corpus
        decision = (decided.decide_answer(question, sources, corpus, self.today(),
                                          scores=self._scores(hits)) if sources else None)
        stats, prompt, shown = DecodeStats(), None, hits
        chunks: Iterator[str] | None = None  # the model is not asked
        if decision is not None and decided.model_may_add(decision, self.settings.model_addition):
            # the model is shown the deciding clause's article only: what it may add must be tied to it
            given = [h for h in hits if h.article is decision.clause.article] or hits
            prompt = build_messages(question, given, pairs, tokenizer=self.generator.tokenizer,
                                    max_prompt_tokens=opts.budget()[0], style="grounded", cancel=cancel)
            shown = prompt.sources
            tokens = min(opts.budget()[1], self.settings.model_addition_tokens)
            chunks = self._decode(prompt, opts, tokens, stats, cancel) if shown else iter(())
        t_gen = time.perf_counter()
        for item in decided.stream(question, sources, corpus, chunks, stats, context_law=opts.law,
                                    cancel=cancel, today=self.today(), decision=decision,
                                    gate_sources=[h.article for h in shown]):
            if isinstance(item, decided.GroundedAnswer):
                usage = replace(_usage(stats, prompt, t0, t_gen, draft_tokens), **item.usage)
                yield Answer(item.text, item.citations, hits, usage, item.sections)
            else:
                yield item


def _kept(chunks: Iterator[str], parts: list[str]) -> Iterator[str]:
    """The chunks, each also appended to `parts`."""
    for chunk in chunks:
        parts.append(chunk)
        yield chunk


def _flag_missing_sources(
    parts: Iterator[str | Answer], question: str, corpus: Any
) -> Iterator[str | Answer]:
    """When the document a question most likely needs is not in the corpus (彩礼 and no 婚姻家庭编解释),
    the answer starts by saying its sources are incomplete (lawglm/answer/source_gaps.py)."""
    from lawglm.answer.source_gaps import missing_sources, notice, with_notice

    gaps = missing_sources(question, corpus)
    if not gaps:
        yield from parts
        return
    yield notice(gaps) + "\n\n"
    for item in parts:
        yield with_notice(item, gaps) if isinstance(item, Answer) else item


def _with_status(answer: Answer, corpus: Any) -> Answer:
    """Each cited and retrieved article with the status it is shown with and its amendment history."""
    from lawglm.statutes.amendments import status_detail

    for c in answer.citations:
        if c.article is not None:
            c.status_detail = status_detail(c.article, corpus)
    answer.retrieved = [replace(h, status_detail=status_detail(h.article, corpus)) for h in answer.retrieved]
    return answer


def _with_links(answer: Answer, retriever: SearchService, limit: int) -> Answer:
    """Each cited and retrieved article with its cross-references (statutes.links): the interpretations and
    regulations applying it, the articles it applies."""
    links = retriever.links
    for c in answer.citations:
        if c.article is not None:
            c.links = links.to_dict(c.article, limit)
    answer.retrieved = [replace(h, links=links.to_dict(h.article, limit)) for h in answer.retrieved]
    return answer


MIN_SHARED_TERMS = (
    2  # content bigrams of the question (with retrieval's legal-term expansion: 工资 -> 劳动报酬)
)
# an article shown as found must hold to be labelled related to the question; a plain lexical heuristic


def _listed_span(text: str) -> tuple[int, int]:
    """Where the answer lists its 法律依据 (the articles shown as found, quoted verbatim), or (-1, -1)."""
    from lawglm.answer.grounded import BASIS_HEAD

    start = 0 if text.startswith(BASIS_HEAD) else text.find("\n" + BASIS_HEAD)
    if start < 0:
        return -1, -1
    end = text.find("\n\n", start + 1)
    return start, len(text) if end < 0 else end


def _with_roles(answer: Answer, question: str) -> Answer:
    """Each supported citation's role, so that a card is labelled by what it is rather than 原文支持 for all:
    `claim` when the answer's own words — its conclusion, a step, a model's sentence — cite the article and
    are borne out by it (every citation of that article then counts as one); an article only listed under
    法律依据 or shown as a verbatim block is `related`, or `off_question` when the answer itself says it does
    not bear on the question (sections.basis_full) or it shares fewer than MIN_SHARED_TERMS content bigrams
    with the question."""
    from lawglm.answer.grounded import grams
    from lawglm.search.retrieval import expand_query

    cites = [c for c in answer.citations if c.verified and c.article is not None and c.supported]
    lo, hi = _listed_span(answer.answer)
    claimed = {c.article.key for c in cites if (c.support or {}).get("kind") != "block"
               and not lo <= c.span[0] < hi}
    bears = {
        (b.get("law"), b.get("article_no")): b.get("bears")
        for b in answer.sections.basis_full
        if isinstance(b, dict)
    }
    asked = grams(expand_query(question))
    for c in cites:
        if c.article.key in claimed:
            c.role = "claim"
        elif bears.get((c.article.law, c.article.article_no)) is False:
            c.role = "off_question"
        else:
            c.role = "related" if len(asked & grams(c.article.text)) >= MIN_SHARED_TERMS else "off_question"
    return answer


def _finish(reason: str) -> str:
    """The decode loop's reason in OpenAI's terms: length (cut at the token limit), cancelled, or stop."""
    return reason if reason in ("length", "cancelled") else "stop"


def _plain(text: str, mode: str) -> Iterator[str | Answer]:
    """A reply that needs neither articles nor the model (small talk, nothing relevant)."""
    yield text
    yield plain_answer(text, mode)


def plain_answer(text: str, mode: str) -> Answer:
    return Answer(text, [], [], Usage(tokens_per_s=0.0, truncated=False, mode=mode))


def small_talk_answer(question: str) -> Answer | None:
    """The reply to a whole input that is small talk (你好, 谢谢): known without the index or the model, so
    nothing needs loading for it; None for anything else."""
    from lawglm.answer.smalltalk import small_talk_kind, small_talk_reply

    kind = small_talk_kind(question)
    return None if kind is None else plain_answer(small_talk_reply(kind), "small-talk")


def _usage(stats: Any, prompt: Any, t0: float, t_gen: float, draft_tokens: int) -> Usage:
    """A model answer's usage: tokens, timing (decode speed after the first token), the prompt's
    truncation and the decode loop's finish reason (`prompt` None: the model was not asked)."""
    now = time.perf_counter()
    decode_s = now - t_gen - (stats.first_token_s or 0.0)
    speed = round(max(stats.completion_tokens - 1, 0) / decode_s, 2) if decode_s > 0 else 0.0
    return Usage(prompt_tokens=stats.prompt_tokens, completion_tokens=stats.completion_tokens,
                 total_tokens=stats.prompt_tokens + stats.completion_tokens, seconds=round(now - t0, 3),
                 first_token_s=round(stats.first_token_s or 0.0, 3),
                 tokens_per_s=speed,
                 truncated=prompt is not None and prompt.was_truncated,
                 truncation=prompt.truncated if prompt is not None else None,
                 finish_reason=_finish(stats.finish_reason), draft_tokens=draft_tokens)


def format_retrieved(hits: Sequence[Hit], corpus: Any) -> tuple[str, list[Citation]]:
    """Retrieval-only answer: each hit as 《law》第N条（status） + text, with its (checked) citation."""
    if not hits:
        return NO_HITS, []
    from lawglm.statutes.amendments import shown_status

    lines, cites, pos = [RETRIEVAL_ONLY_HEADER], [], len(RETRIEVAL_ONLY_HEADER) + 1
    seen: set[str] = set()  # an amending article restating one shown above: its repeats read ……
    for i, h in enumerate(hits, 1):
        a = h.article
        head = f"【{i}】{a.citation}（{shown_status(a, corpus)}）"
        start = pos + len(f"【{i}】")
        cites.append(check(Citation(a.citation, a.law, a.article_no, a.sub_no,
                                    span=(start, start + len(a.citation))), corpus))
        body = drop_repeats(a.text.strip(), seen, verbatim=True)
        lines += [head, body]
        pos += len(head) + 1 + len(body) + 1
    return "\n".join(lines), cites
