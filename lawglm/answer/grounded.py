"""The model's part of the grounded answer shape, and the text rules every answer follows.

- `SentenceGate`: the model's sentences, each checked as it completes (garbled, repeated, copying the prompt,
  off the question, echoing it, or citing an article it was not given or for words it does not contain →
  dropped, and generation stops). What the gate keeps is then checked against the deciding clause
  (answer/decided.py, which composes the whole answer: 结论 → 计算 → 法律依据 → 下一步).
- The rule that no sentence is ever repeated in an answer (`drop_repeats`, `dedupe_stream`), the sentence and
  heading helpers the composition uses, and the training target of this shape (`conclusion_target`), so
  training and serving agree on what the model writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lawglm.answer.prompts import BASIS_MARK
from lawglm.records import Article, Citation

CONCLUSION_HEAD = "结论："
BASIS_HEAD = "法律依据："
NEXT_HEAD = "下一步："
DISCLAIMER = "以上内容仅供参考，不构成法律意见。"
FALLBACK = "未能得出可靠的简短结论，请对照下列条文理解；如需确定结论，建议咨询执业律师。"
FROM_SOURCES = "（摘自条文）"  # a conclusion the system quoted from the top sources, not written by the model
NO_SOURCES = "未检索到与您的问题相关的法条，请补充事实或换一种说法（例如写明涉及的法律）。"
LENGTH_NOTE = "（回答已达长度上限）"  # ends an answer the token limit cut short (finish_reason "length")
SENTENCE_END = ("。", "！", "？", "；", "…", "”", "」", "）", ".", "!", "?")
MAX_SENTENCES = 3
MAX_CONCLUSION_CHARS = 200
BASIS_CHARS = 300  # verbatim excerpt per article in 法律依据
MIN_GROUNDING = (
    0.4  # share of a sentence's content bigrams in the question or sources (bench/gate_thresholds.py)
)
MIN_REPEAT_CHARS = 6  # shorter "sentences" (是的。) may recur
MIN_RESTATED_CHARS = 12  # a sentence inside (or around) an earlier one counts as repeated from this length

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


_COLON_STOP = re.compile(r"([：:])\s*[。.]")


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
    key = _LEAD_IN.sub("", key)  # 「根据法律规定，」 + an earlier sentence is that sentence again
    if len(key) < MIN_RESTATED_CHARS:
        return False
    return any(key in old or (len(old) >= MIN_RESTATED_CHARS and old in key) for old in seen)


# a lead-in that announces a rule without adding to it (on norm()ed text: punctuation gone)
_LEAD_IN = re.compile(r"^(?:根据|依据|依照|按照)(?:法律|相关法律|有关法律|上述|该条|本条|法律的)?规定")


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
