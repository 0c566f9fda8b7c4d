"""The grounded answer shape, for small models: 结论 → 法律依据 → 下一步.

- 结论: one to three sentences from the model, each passed through `SentenceGate` as it completes
  (garbled, repeated, off-topic or citing an article it was not given → dropped, and generation stops);
  when nothing survives, an honest fallback sentence says so.
- 法律依据: the articles the conclusion rests on, then the other sources, each with its status and the
  paragraphs that matter quoted verbatim from the corpus (inserted by the system, never by the model).
- 下一步: what the person can do (协商 / 调解 / 仲裁 / 诉讼 …) for the kind of dispute, with the limitation
  period quoted from the corpus article that sets it (data file lawglm/data/next_steps.json).

`stream` is the whole shape in one place: the gate runs over the model's reply (`SentenceGate.run`),
`conclude` picks the conclusion (the model's kept sentences, else a quoted source sentence, else the
fallback), `next_steps` chooses 下一步, `compose` lays the parts out, and the answer's citations are
checked once at the end. Also owns the rule that no sentence is ever repeated in an answer
(`drop_repeats`) and the training target of this shape (`conclusion_target`), so training and serving
agree on what the model writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lawglm.answer.prompts import BASIS_MARK, ITEM, check_cancel, excerpt
from lawglm.models.decoding import DecodeStats
from lawglm.records import Article, Citation
from lawglm.settings import PACKAGE_DIR

CONCLUSION_HEAD = "结论："
BASIS_HEAD = "法律依据："
NEXT_HEAD = "下一步："
DISCLAIMER = "以上内容仅供参考，不构成法律意见。"
FALLBACK = "未能得出可靠的简短结论，请对照下列条文理解；如需确定结论，建议咨询执业律师。"
FROM_SOURCES = "（摘自条文）"  # a conclusion the system quoted from the top sources, not written by the model
NO_SOURCES = "未检索到与您的问题相关的法条，请补充事实或换一种说法（例如写明涉及的法律）。"
LENGTH_NOTE = "（回答已达长度上限）"  # ends an answer the token limit cut short (finish_reason "length")
SENTENCE_END = ("。", "！", "？", "；", "…", "”", "」", "）", ".", "!", "?")
GROUNDED_TOKENS = 160  # a conclusion of at most three sentences and its 依据 line
MAX_SENTENCES = 3
MAX_CONCLUSION_CHARS = 200
BASIS_CHARS = 300  # verbatim excerpt per article in 法律依据
MIN_GROUNDING = (
    0.4  # share of a sentence's content bigrams in the question or sources (bench/gate_thresholds.py)
)
MIN_REPEAT_CHARS = 6  # shorter "sentences" (是的。) may recur
MIN_RESTATED_CHARS = 12  # a sentence inside (or around) an earlier one counts as repeated from this length
NEXT_STEPS_FILE = PACKAGE_DIR / "data" / "next_steps.json"

_SENTENCE = re.compile(r"[“「]?[^。！？；!?;\n“「]+[。！？；!?;”」]*")  # an opening quote starts a sentence
_NOT_TEXT = re.compile(r"[\s\W_]+")
_GREETING = re.compile(r"^(?:您好|你好)[，,！!。\s]*")
_FLUFF = re.compile(r"希望.*帮助|仅供参考|咨询.*律师|以上(?:回答|内容|意见)|欢迎.*咨询")
_COPIED = re.compile(r"【\d+】|[（(](?:现行有效|已被修改|已废止)[)）]|参考法条|问题：")
_ODD = re.compile(r"[^\u4e00-\u9fff0-9A-Za-z，。、；：？！“”‘’（）《》【】「」%.,;:?!()\s\-—…·]")


def sentences(text: str) -> list[str]:
    """Sentences (with their end punctuation) of a text; line breaks end sentences too."""
    return [m.group().strip() for m in _SENTENCE.finditer(text) if m.group().strip()]


def norm(sentence: str) -> str:
    """A sentence without punctuation or spaces: what "the same sentence" compares."""
    return _NOT_TEXT.sub("", sentence)


def grams(text: str) -> set[str]:
    """The content bigrams of a text (function-word bigrams left out)."""
    return _grams(text)


def _grams(text: str) -> set[str]:
    from lawglm.search.text import _function_bigram, bigrams

    return {b for b in bigrams(text) if not _function_bigram(b)}


def grounding(sentence: str, context: set[str]) -> float:
    """Share of the sentence's content bigrams that occur in the context (question + sources)."""
    grams = _grams(sentence)
    return sum(g in context for g in grams) / len(grams) if grams else 0.0


# --- the model's reply --------------------------------------------------------------------------
def split_reply(reply: str) -> tuple[str, str]:
    """(conclusion, basis line) of a reply in the trained shape: text, then 依据：《…》第N条。"""
    pos = reply.find(BASIS_MARK)
    if pos < 0:
        return reply.strip(), ""
    return reply[:pos].strip(), reply[pos + len(BASIS_MARK):].strip()


@dataclass
class SentenceGate:
    """Checks the conclusion one sentence at a time, as the sentences complete.

    `run(chunks)` feeds it the model's reply as it streams and yields the kept sentences; `push(sentence)`
    judges one sentence. A dropped sentence sets `stopped`, since a small model that starts repeating or
    wandering does not come back. A sentence citing anything but the sources (or an article that does
    not exist) is dropped."""

    question: str
    sources: Sequence[Article]
    corpus: object
    min_grounding: float = MIN_GROUNDING
    kept: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    stopped: bool = False
    reply: str = ""  # the model's whole reply, as far as `run` read it
    unattributed: int = 0  # sentences kept without the citation their source did not bear out
    pending: str = ""  # a sentence ending in ： waits for the one it announces

    def __post_init__(self) -> None:
        self.context = _grams(self.question) | {g for a in self.sources for g in _grams(a.text)}
        self._last: tuple[str, list[Citation]] = ("", [])  # the last sentence checked and its citations

    def run(self, chunks: Iterator[str]) -> Iterator[str]:
        """The kept sentences of the model's conclusion as they complete; the whole reply read ends up in
        `reply`. Stops the model (closes `chunks`) when a sentence is dropped or the 依据 line is written."""
        done = 0
        try:
            for chunk in chunks:
                self.reply += chunk
                conclusion, basis = split_reply(self.reply)
                parts = sentences(conclusion)
                complete = parts if BASIS_MARK in self.reply else parts[:-1]
                for s in complete[done:]:
                    done += 1
                    if kept := self.push(s):
                        yield kept
                if self.stopped or (BASIS_MARK in self.reply and ("\n" in basis or basis.endswith("。"))):
                    return
            for s in sentences(split_reply(self.reply)[0])[done:]:
                if kept := self.push(s):
                    yield kept
        finally:
            close = getattr(chunks, "close", None)  # a generator (decode loop) or any iterator
            if close is not None:
                close()

    @property
    def basis_line(self) -> str:
        """What the model wrote after 依据：."""
        return split_reply(self.reply)[1]

    def cut_short(self, finish_reason: str) -> bool:
        """The kept conclusion ran into the token limit in the middle of its last sentence."""
        return bool(self.kept) and finish_reason == "length" and not self.conclusion.endswith(SENTENCE_END)

    def reason(self, sentence: str, lead_in: bool = False) -> str | None:
        """Why a sentence must go (None: it may stay). `lead_in`: it ends in ： — its citations are
        checked together with the sentence it announces."""

        core = norm(sentence)
        if _COPIED.search(sentence):
            return "copied_source"  # the prompt's article list, not a conclusion
        if len(core) < 4 or len(_ODD.findall(sentence)) > max(1, len(sentence) // 20) or "\ufffd" in sentence:
            return "garbled"
        if _self_repeating(core) or any(_same(core, norm(k)) for k in self.kept):
            return "repetitive"
        if (len(self.kept) >= MAX_SENTENCES
                or sum(map(len, self.kept)) + len(self.pending) + len(sentence) > MAX_CONCLUSION_CHARS):
            return "too_long"
        if _echoes(sentence, self.question):
            return "echo"
        if lead_in:
            return None  # the announced sentence carries the support and topic checks
        if not self._supported(sentence):
            return "unsupported"
        if grounding(sentence, self.context) < self.min_grounding:
            return "off_topic"
        if not self.kept and not _grams(sentence) & _grams(self.question):
            return "off_topic"  # the first sentence must be about what was asked
        return None

    def _checked(self, sentence: str) -> list[Citation]:
        """The sentence's citations, support-checked against the sources (support.py); a sentence is
        checked once however often its verdict is asked for."""
        from lawglm.answer.support import check_support
        from lawglm.statutes.citations import verify

        text = "".join([*self.kept, self.pending, sentence])
        if self._last[0] == text:
            return self._last[1]
        cites = [c for c in verify(text, self.corpus) if c.span[1] > len(text) - len(self.pending + sentence)]
        checked = check_support(text, cites, list(self.sources), self.corpus)[1] if cites else []
        self._last = (text, checked)
        return checked

    def _supported(self, sentence: str) -> bool:
        """Every citation the sentence makes names a source and says what the sentence says."""
        return all(
            c.supported and not (c.support or {}).get("corrected_from") for c in self._checked(sentence)
        )

    def push(self, sentence: str) -> str | None:
        """The sentence as kept ("" while a 根据…规定： waits for what it announces), or None (and the gate
        stops). A sentence whose claim its cited source does not bear out word for word keeps the claim
        without the attribution, when the claim itself is
        grounded (根据《X》第N条，甲应当… -> 甲应当…): the article still leads 法律依据, but no words are
        put in its mouth."""
        if self.stopped:
            return None
        sentence = _COLON_STOP.sub(r"\1", sentence)  # 「…撤销赠与：。」: a colon already ends the lead-in
        lead_in = announces(sentence)
        why = self.reason(sentence, lead_in)
        if why == "unsupported" and all(c.article is not None and c.support.get("reason") != "not_in_sources"
                                        for c in self._checked(sentence)):
            bare = strip_attributions(sentence)
            if bare != sentence and self.reason(bare) is None:
                sentence, why = bare, None
                self.unattributed += 1
        if why is None:
            if lead_in:
                self.pending += sentence  # 根据…规定： is kept only with what it announces
                return ""
            sentence, self.pending = self.pending + sentence, ""
            self.kept.append(sentence)
            return sentence
        if self.pending:
            self.dropped.append((self.pending, "incomplete"))
            self.pending = ""
        self.dropped.append((sentence, why))
        self.stopped = True
        return None

    @property
    def conclusion(self) -> str:
        return "".join(self.kept)

    def verdict(self) -> str:
        """accepted, or why the whole conclusion was replaced by the fallback."""
        if self.kept:
            return "accepted"
        return self.dropped[0][1] if self.dropped else "empty"


_TRAIL = re.compile(r"^\s*(?:的)?(?:相关|有关)?(?:规定|明确规定)?(?:，|,|：|:)?")


MAX_ECHO = 0.8  # share of a sentence's content bigrams taken from the question that makes it an echo


_ASKING = re.compile(r"可不可以|能不能|是不是|会不会|有没有|是否|能否|可否|吗|呢|怎么|如何|什么|哪|[？?]")


def announces(sentence: str) -> bool:
    """The sentence ends in ： (根据…规定：, 有下列情形之一的：): it introduces what follows."""
    return sentence.rstrip().endswith(("：", ":"))


def _echoes(sentence: str, question: str) -> bool:
    """The sentence restates the question and still asks it (最高额抵押权设定后，当事人可不可以变更…);
    a restatement with a verdict (…的抵押是有效的) is an answer and stays."""
    grams = _grams(sentence)
    return (bool(grams) and len(grams & _grams(question)) / len(grams) >= MAX_ECHO
            and _ASKING.search(sentence) is not None)


def strip_attributions(sentence: str) -> str:
    """The sentence without its citation lead-ins (根据《X》第N条的规定，…) and bracketed citations
    （《X》第N条）; unchanged when a citation sits anywhere else (…，符合《X》第N条。)."""
    from lawglm.statutes.citations import _ARTICLE_RE

    out = sentence
    for pattern in (
        re.compile(r"[（(]\s*(?:见|参见|依据)?\s*《[^》]{1,40}》" + _ARTICLE_RE.pattern + r"\s*[)）]"),
        re.compile(
            r"(?:^|(?<=[，,；;：:]))\s*(?:根据|依据|依照|按照|参照|按)?\s*《[^》]{1,40}》"
            + _ARTICLE_RE.pattern
            + _TRAIL.pattern[1:]
        ),
    ):
        out = pattern.sub("", out)
    return out if "《" not in out else sentence


def _same(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a in b or b in a:
        return min(len(a), len(b)) >= MIN_REPEAT_CHARS
    ga, gb = {a[i:i + 2] for i in range(len(a) - 1)}, {b[i:i + 2] for i in range(len(b) - 1)}
    return len(ga & gb) / max(1, len(ga | gb)) > 0.7


def _self_repeating(core: str, n: int = 4) -> bool:
    """A 4-gram three times in one sentence: the model is looping."""
    seen: dict[str, int] = {}
    for i in range(len(core) - n + 1):
        seen[core[i:i + n]] = seen.get(core[i:i + n], 0) + 1
        if seen[core[i:i + n]] >= 3:
            return True
    return False


# --- the whole shape ---------------------------------------------------------------------------
@dataclass
class GroundedAnswer:
    """A grounded answer's final text and checked citations, its parts (`sections`, as the APIs return
    them) and what the gate did (`usage`, merged into the answer's usage)."""

    text: str
    citations: list[Citation]
    sections: dict
    usage: dict


def stream(question: str, sources: Sequence[Article], corpus: Any, chunks: Iterator[str], stats: DecodeStats,
           *, context_law: str | None = None, cancel: Any = None) -> Iterator[str | GroundedAnswer]:
    """The answer's text as it is final, then one GroundedAnswer. `chunks`: the model's reply as it
    streams (not read when there are no sources), filling in `stats`; `cancel` is checked after the
    model has stopped."""
    from lawglm.answer.support import check_answer, outside_quotes
    from lawglm.statutes.citations import verify

    gate = SentenceGate(question, sources, corpus)
    if sources:
        yield CONCLUSION_HEAD
        yield from gate.run(chunks)
    check_cancel(cancel)
    conclusion, origin = conclude(gate, question, sources)
    cut = gate.cut_short(stats.finish_reason)
    if cut:
        conclusion += LENGTH_NOTE
        yield LENGTH_NOTE
    if sources and not gate.kept:
        yield conclusion
    steps, quoted = next_steps(question, sources, corpus)
    basis = basis_articles(gate.basis_line, conclusion, sources, corpus)
    shown = shown_basis(conclusion, basis, question)
    text = compose(conclusion, shown, steps) if basis else NO_SOURCES
    head = CONCLUSION_HEAD + conclusion
    yield text[len(head):] if sources and text.startswith(head) else text
    cites = outside_quotes(head, verify(head, corpus, context_law=context_law)) if sources else []
    cites += system_citations(text, [*basis, *quoted], corpus, start=len(head))
    text, cites = check_answer(text, [*sources, *quoted], corpus, citations=cites)
    usage = {"shape": "grounded", "gate": gate.verdict(), "unattributed": gate.unattributed,
             "dropped": [{"sentence": s, "reason": r} for s, r in gate.dropped],
             "finish_reason": "length" if cut else "stop"}  # the gate stopping the model is a normal stop
    sections = {"conclusion": conclusion, "conclusion_from": origin, "basis": [a.citation for a, _ in shown],
                "next_steps": steps, "disclaimer": DISCLAIMER} if sources else {}
    yield GroundedAnswer(text, cites, sections, usage)


def conclude(gate: SentenceGate, question: str, sources: Sequence[Article]) -> tuple[str, str]:
    """(the 结论, where it comes from: model | sources | fallback): the model's kept sentences, else the
    source sentence closest to the question, quoted, else the honest fallback."""
    if gate.kept:
        return gate.conclusion, "model"
    conclusion = quoted_conclusion(question, sources)
    return conclusion, "sources" if conclusion.startswith(FROM_SOURCES) else "fallback"


# --- the conclusion when the model's is dropped ----------------------------------------------------
_COLON_STOP = re.compile(r"([：:])\s*[。.]")
EXTRACT_FROM = 3  # sources (in retrieval order) a quoted conclusion may come from
MIN_EXTRACT_OVERLAP = 2  # content bigrams the quoted sentence must share with the question


def quoted_conclusion(question: str, sources: Sequence[Article]) -> str:
    """When the model's conclusion is dropped: the sentence of the top sources that shares the most
    content with the question, quoted verbatim with its citation (marked FROM_SOURCES: the system chose
    it, the model did not write it); FALLBACK when no sentence is about what was asked."""
    q = _grams(question)
    best, best_score = None, 0.0
    for rank, article in enumerate(sources[:EXTRACT_FROM]):
        for sentence in sentences(article.text):
            if ITEM.match(sentence.lstrip()) or announces(sentence):
                continue  # a list item or a list's intro says nothing on its own
            core = sentence.rstrip("；;，,")
            shared = len(_grams(core) & q)
            score = shared * (1.0 - 0.2 * rank)  # a tie goes to the better-ranked source
            if shared >= MIN_EXTRACT_OVERLAP and len(norm(core)) >= 8 and score > best_score:
                best, best_score = (article, core), score
    if best is None:
        return FALLBACK
    article, core = best
    return f"{FROM_SOURCES}{article.citation}规定：“{core}”" + (
        "" if core.endswith(("。", "！", "？")) else "。"
    )


# --- 法律依据 and 下一步 --------------------------------------------------------------------------
def basis_articles(basis_line: str, conclusion: str, sources: Sequence[Article], corpus) -> list[Article]:
    """The sources the reply says it rests on (its 依据 line and the conclusion's citations), in the
    order written, then the other sources in retrieval order."""
    from lawglm.statutes.citations import verify

    by_key = {(a.law, a.article_no, a.sub_no): a for a in sources}
    named = []
    for c in verify(conclusion + "\n" + basis_line, corpus):
        a = c.article
        key = (a.law, a.article_no, a.sub_no) if a is not None else None
        if key in by_key and by_key[key] not in named:
            named.append(by_key[key])
    return named + [a for a in sources if a not in named]


@lru_cache(maxsize=1)
def _kinds() -> dict:
    data = json.loads(NEXT_STEPS_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def dispute_kind(question: str, sources: Sequence[Article]) -> str | None:
    """The kind of dispute (labor, family, …) by cue words in the question and the laws of the top
    sources; None when nothing points anywhere (e.g. a question about how the NPC is elected)."""
    best, best_score = None, 0
    for name, kind in _kinds().items():
        score = 2 * sum(cue in question for cue in kind["cues"])
        score += sum(
            a.law in kind["laws"]
            or any(lo <= a.article_no <= hi for lo, hi in kind["articles"].get(a.law, []))
            for a in sources[:3]
        )
        if score > best_score:
            best, best_score = name, score
    return best


def quote(article: Article, paragraph: int, count: int) -> str:
    """The first `count` sentences of one paragraph of an article, verbatim."""
    from lawglm.answer.prompts import paragraphs

    paras = paragraphs(article.text)
    if paragraph >= len(paras):
        return ""
    return "".join(sentences(paras[paragraph])[:count])


_PERSONAL = re.compile(
    r"我|俺|本人|咱|自己|怎么办|怎么处理|如何处理|该怎么|怎样才能|怎么才能|如何维权|维权|起诉|告他|告她|"
    r"报警|报案|索赔|赔偿|赔钱|要回|讨回|追回|退还|退钱|不给|不还|不退|被骗|被打|被辞退|被开除"
)


def asks_what_to_do(question: str) -> bool:
    """A person's own matter (我…, …怎么办, 能要回来吗) rather than a question about the law
    (犯罪中止是什么, 遗嘱无效的情形): only the first gets a 下一步 section."""
    return _PERSONAL.search(question) is not None


def next_steps(question: str, sources: Sequence[Article], corpus) -> tuple[list[str], list[Article]]:
    """(lines of the 下一步 section, articles they quote); empty for a question about the law itself
    (asks_what_to_do) or when the kind of dispute is unclear."""
    kind = dispute_kind(question, sources) if asks_what_to_do(question) else None
    if kind is None:
        return [], []
    spec = _kinds()[kind]
    lines, quoted = list(spec["steps"]), []
    shown = {a.key for a in sources}  # a limitation article already in 法律依据 is not quoted twice
    for law, no, para, count in spec["quotes"]:
        article = corpus.get(law, no) if corpus is not None else None
        usable = article is not None and article.is_current and article.key not in shown
        text = quote(article, para, count) if usable else ""
        if text:
            lines.append(f"期限：{article.citation}规定：“{text}”")
            quoted.append(article)
    return lines, quoted


def shown_basis(conclusion: str, basis: Sequence[Article], question: str) -> list[tuple[Article, str]]:
    """(article, verbatim excerpt) per 法律依据 line: a sentence the conclusion already quotes reads ……,
    and an article with nothing left to show is not listed again (the conclusion cites it)."""
    said = {norm(x) for x in sentences(conclusion) if len(norm(x)) >= MIN_REPEAT_CHARS}
    out = []
    for article in basis:
        text = drop_repeats(excerpt(article.text, question, BASIS_CHARS), set(said), verbatim=True)
        if len(norm(text)) >= MIN_REPEAT_CHARS:
            out.append((article, text))
    return out


def compose(conclusion: str, shown: Sequence[tuple[Article, str]], steps: Sequence[str]) -> str:
    """The whole answer text in the grounded shape (no sentence repeated); `shown` = shown_basis(…)."""
    lines = [f"{i}. {a.citation}（{a.status}）：“{text}”" for i, (a, text) in enumerate(shown, 1)]
    parts = [CONCLUSION_HEAD + (conclusion or FALLBACK), "", BASIS_HEAD, *lines]
    if steps:
        parts += ["", NEXT_HEAD, *[f"{i}. {s}" for i, s in enumerate(steps, 1)]]
    parts += ["", DISCLAIMER]
    return drop_repeats("\n".join(parts))


def drop_repeats(text: str, seen: set[str] | None = None, verbatim: bool = False) -> str:
    """Every sentence at most once: a later copy is removed, or — inside a quotation, which must stay
    verbatim — replaced by …… . `seen` carries the sentences of earlier texts (it is updated);
    `verbatim`: the whole text is statute text, so every repeat becomes …… ."""
    seen = set() if seen is None else seen
    out, pos, depth = [], 0, 0
    for m in _SENTENCE.finditer(text):
        out.append(text[pos:m.start()])
        piece = m.group()
        key = norm(piece)
        inside = depth > 0 or piece.lstrip().startswith(("“", "「"))
        depth += piece.count("“") + piece.count("「") - piece.count("”") - piece.count("」")
        if len(key) >= MIN_REPEAT_CHARS and (
            key in seen or (not inside and not verbatim and _restates(key, seen))
        ):
            lead = piece[:len(piece) - len(piece.lstrip("“「"))]
            tail = piece[len(piece.rstrip("”」")):]
            out.append(lead + ("……" if inside or verbatim else "") + tail)
        else:
            seen.add(key)
            out.append(piece)
        pos = m.end()
    out.append(text[pos:])
    return _ELISIONS.sub("……", "".join(out))


def _restates(key: str, seen: set[str]) -> bool:
    """A sentence of the answer's own words that says again what an earlier one said: it is part of an
    earlier sentence, or an earlier sentence is all of it (「租赁合同是出租人将…的合同。」 then
    「出租人将…的合
    同。」). Only over MIN_RESTATED_CHARS, so a short common phrase never removes a sentence."""
    if len(key) < MIN_RESTATED_CHARS:
        return False
    return any(key in old or (len(old) >= MIN_RESTATED_CHARS and old in key) for old in seen)


def dedupe_stream(chunks: Iterator[str]) -> Iterator[str]:
    """Streamed text with every repeated sentence left out as `drop_repeats` leaves it out of the whole:
    each time a sentence completes, what the cleaned text gained is yielded (the reader never sees a
    sentence twice, and the pieces join to drop_repeats of the whole)."""
    raw, shown = "", ""
    for chunk in chunks:
        raw += chunk
        end = max(raw.rfind(c) for c in "。！？；!?;\n")
        if end < 0:
            continue
        clean = drop_repeats(raw[:end + 1].lstrip())
        if clean.startswith(shown) and len(clean) > len(shown):
            yield clean[len(shown):]
            shown = clean
    clean = drop_repeats(raw.strip())
    if clean.startswith(shown) and len(clean) > len(shown):
        yield clean[len(shown):]


_ELISIONS = re.compile(r"……(?:\s*……)+")  # several elided lines in a row read as one ……


# --- training target ----------------------------------------------------------------------------
def conclusion_target(answer: str, sources: Sequence[Article], gold: Sequence[Article], corpus) -> str | None:
    """What the model should write for a lawyer's `answer` in this shape: its first one to three
    sentences (greeting and pleasantries dropped, none citing an article outside `sources`), then
    依据：the gold articles shown. None when no gold article is among the sources."""
    from lawglm.statutes.citations import verify

    shown = {(a.law, a.article_no, a.sub_no) for a in sources}
    basis = [a for a in sources if any((g.law, g.article_no, g.sub_no) == (a.law, a.article_no, a.sub_no)
                                       for g in gold)]
    if not basis:
        return None
    kept: list[str] = []
    for s in sentences(_GREETING.sub("", answer.strip())):
        if _FLUFF.search(s):
            continue
        cites = verify(s, corpus)
        if any(c.article is None or (c.article.law, c.article.article_no, c.article.sub_no) not in shown
               for c in cites):
            continue
        if kept and sum(map(len, kept)) + len(s) > MAX_CONCLUSION_CHARS * 0.75:
            break
        kept.append(s if s.endswith(("。", "！", "？", "；")) or announces(s) else s + "。")
        if len(kept) == MAX_SENTENCES:
            break
    while kept and announces(kept[-1]):
        kept.pop()  # a list intro whose list did not fit
    if not kept or sum(map(len, kept)) > MAX_CONCLUSION_CHARS:
        return None
    return "".join(kept) + "\n" + BASIS_MARK + "；".join(a.citation for a in basis) + "。"


# --- which citations the answer makes ------------------------------------------------------------
def system_citations(text: str, articles: Sequence[Article], corpus, start: int = 0) -> list:
    """Checked citations of the articles the system itself quotes (法律依据 items, 下一步 periods), at
    their places in `text` after `start`, in order."""
    from lawglm.records import Citation
    from lawglm.statutes.citations import check

    out, pos = [], start
    for a in articles:
        at = text.find(a.citation, pos)
        if at < 0:
            continue
        out.append(check(Citation(a.citation, a.law, a.article_no, a.sub_no,
                                  span=(at, at + len(a.citation))), corpus))
        pos = at + len(a.citation)
    return out
