"""Fine-tuning examples -> model inputs: chat turns (retrieval-aware, through `prompts.build_messages`
+ `prompts.render` exactly as the answer pipeline renders them), token ids and role-based loss masks.

Labels are IGNORE (-100) everywhere except the trained turns (assistant unless "loss": false;
others only with "loss": true). Sources longer than max_source_length keep their beginning (BOS)
and end (question + generation prompt); targets are cut at max_target_length.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field

from lawglm.errors import DataError
from lawglm.train.sft_data import Columns, Example, Turn, load_examples

log = logging.getLogger(__name__)
IGNORE = -100
CITE_HEADER = "法律依据："


@dataclass
class EncodeConfig:
    """How fine-tuning examples become model inputs (training.TrainConfig extends it)."""

    data_format: str = "auto"
    prompt_column: str = "prompt"
    response_column: str = "response"
    history_column: str | None = "history"
    filters: dict = field(default_factory=dict)  # keep records whose fields equal these values
    with_retrieval: bool = False
    top_k: int = 3
    index_dir: str | None = None
    gold_in_context: bool = True  # put the example's gold articles among the retrieved ones
    cite_gold: bool = True  # append 法律依据：《law》第N条 for gold articles shown but not cited
    answer_shape: str = "free"  # free: the whole answer; grounded: conclusion + 依据 line (grounded.py)
    max_source_length: int = 640
    max_target_length: int = 256
    seed: int = 42
    progress: bool = True


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    truncated_source: bool = False
    truncated_target: bool = False

    @property
    def n_targets(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


# --- data -> messages ----------------------------------------------------------------------
def columns_of(cfg: EncodeConfig) -> Columns:
    return Columns(cfg.prompt_column, cfg.response_column, cfg.history_column)


def read_data(path: str, cfg: EncodeConfig, limit: int | None = None) -> list[Example]:
    return load_examples(path, cfg.data_format, columns_of(cfg), limit=limit, where_filter=cfg.filters)


def gold_articles(ex: Example, corpus) -> list:
    out = []
    for g in ex.gold:
        law = corpus.resolve_law(g["law"]) if corpus is not None else None
        a = corpus.get(law, g["article_no"]) if law else None
        if a is not None and a.is_current:
            out.append(a)
    return out


def context_hits(ex: Example, retriever, corpus, cfg: EncodeConfig, rng: random.Random) -> list:
    """Top-k retrieved hits; gold articles (when asked) replace the lowest-ranked ones at random slots."""
    from lawglm.answer.prompts import retrieval_query
    from lawglm.records import Hit

    hits = list(retriever.search(retrieval_query(ex.question, ex.history), cfg.top_k)) if retriever else []
    if not cfg.gold_in_context:
        return hits
    shown = {(h.article.law, h.article.article_no) for h in hits}
    for a in gold_articles(ex, corpus)[:cfg.top_k]:
        if (a.law, a.article_no) in shown:
            continue
        if len(hits) >= cfg.top_k:
            hits.pop()
        hits.insert(rng.randint(0, len(hits)), Hit(a, 0.0, ["gold"]))
        shown.add((a.law, a.article_no))
    return hits


def with_citations(answer: str, hits: list, corpus) -> str:
    """The answer plus 法律依据：… for shown gold articles the answer does not already cite."""
    from lawglm.statutes.citations import verify

    if corpus is None:
        return answer
    cited = {(c.law, c.article_no) for c in verify(answer, corpus) if c.article is not None}
    missing = [h.article for h in hits if "gold" in (h.sources or [])
               and (h.article.law, h.article.article_no) not in cited]
    if not missing:
        return answer
    return answer.rstrip() + "\n\n" + CITE_HEADER + "；".join(a.citation for a in missing) + "。"


def tools_turn(tools: list) -> Turn:
    return Turn("system", "可用工具：\n" + json.dumps(tools, ensure_ascii=False), False)


def example_turns(ex: Example, tokenizer, cfg: EncodeConfig, retriever, corpus,
                  rng: random.Random) -> list[Turn]:
    """Chat turns as the model will see them: sft/prompt formats go through build_messages (articles,
    history) in the configured answer shape; conversations are rendered as given, tools as a system
    turn, tool results as user turns. [] when the row cannot be taught in the grounded shape."""
    from lawglm.answer.prompts import build_messages

    if ex.verbatim or ex.question is None:  # ChatGLM3 conversations keep their turns and loss flags
        turns = ([tools_turn(ex.tools)] if ex.tools else []) + ex.turns
        return [Turn("user", "[工具返回]\n" + t.content, t.loss) if t.role == "tool" else t for t in turns]
    hits = context_hits(ex, retriever, corpus, cfg, rng) if (retriever or cfg.gold_in_context) else []
    prompt = build_messages(ex.question, hits, ex.history, tokenizer=tokenizer,
                            max_prompt_tokens=cfg.max_source_length, style=cfg.answer_shape)
    if cfg.answer_shape == "grounded":
        from lawglm.answer.grounded import conclusion_target

        answer = conclusion_target(ex.answer, [h.article for h in prompt.sources], gold_articles(ex, corpus),
                                   corpus)
        if answer is None:  # no gold article shown: nothing this shape can be taught from the row
            return []
    else:
        answer = with_citations(ex.answer, prompt.sources, corpus) if cfg.cite_gold else ex.answer
    turns = [Turn(m["role"], m["content"], False) for m in prompt.messages]
    return turns + [Turn("assistant", answer, True)]


# --- messages -> ids and labels ----------------------------------------------------------------
def render_segments(tokenizer, turns: list[Turn]) -> list[tuple[str, bool]]:
    """Split the rendered conversation into (text, trained) pieces, one per turn, by rendering prefixes."""
    from lawglm.models.chat_format import render

    msgs = [{"role": t.role, "content": t.content} for t in turns]
    pieces, prev = [], ""
    for k, t in enumerate(turns):
        gen = k + 1 < len(turns) and turns[k + 1].role == "assistant"
        text = render(tokenizer, msgs[:k + 1], add_generation_prompt=gen)
        if not text.startswith(prev):
            raise DataError(
                f"the chat template does not render turn {k} as a continuation of the earlier turns"
            )
        pieces.append((text[len(prev):], t.loss))
        prev = text
    return pieces


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"] if text else []


def needs_bos(tokenizer, first_text: str) -> bool:
    bos = getattr(tokenizer, "bos_token", None)
    return bool(bos) and not first_text.startswith(bos) and tokenizer.bos_token_id is not None and \
        tokenizer("a")["input_ids"][:1] == [tokenizer.bos_token_id]


def encode_turns(tokenizer, turns: list[Turn], max_source: int, max_target: int) -> Encoded:
    """Token ids + labels (IGNORE outside trained turns); source cut from the left, target from the right."""
    pieces = render_segments(tokenizer, turns)
    ids = [tokenizer.bos_token_id] if needs_bos(tokenizer, pieces[0][0]) else []
    labels = [IGNORE] * len(ids)
    for text, trained in pieces:
        piece = _ids(tokenizer, text)
        ids += piece
        labels += piece if trained else [IGNORE] * len(piece)
    if turns[-1].loss and tokenizer.eos_token_id is not None and ids[-1] != tokenizer.eos_token_id:
        ids.append(tokenizer.eos_token_id)
        labels.append(tokenizer.eos_token_id)
    return truncate(ids, labels, max_source, max_target)


def truncate(ids: list[int], labels: list[int], max_source: int, max_target: int) -> Encoded:
    first = next((i for i, x in enumerate(labels) if x != IGNORE), len(ids))
    src_ids, src_lab, tgt_ids, tgt_lab = ids[:first], labels[:first], ids[first:], labels[first:]
    cut_src, cut_tgt = len(src_ids) > max_source, len(tgt_ids) > max_target
    if cut_src:  # keep the beginning (BOS) and the end (question + generation prompt)
        keep = max_source - 1
        src_ids, src_lab = src_ids[:1] + src_ids[-keep:], src_lab[:1] + src_lab[-keep:]
    if cut_tgt:
        tgt_ids, tgt_lab = tgt_ids[:max_target], tgt_lab[:max_target]
    return Encoded(src_ids + tgt_ids, src_lab + tgt_lab, cut_src, cut_tgt)


def sanity_check(tokenizer, enc: Encoded, window: int = 24) -> str:
    """The first example's tokens / ids / labels around the first trained token (and the end)."""
    first = next((i for i, x in enumerate(enc.labels) if x != IGNORE), 0)
    spans = [(0, min(8, len(enc.input_ids))), (max(0, first - window // 2), first + window),
             (max(0, len(enc.input_ids) - 6), len(enc.input_ids))]
    lines, last = [f"sanity check: {len(enc.input_ids)} tokens, {enc.n_targets} trained"], 0
    for lo, hi in spans:
        lo = max(lo, last)
        if lo > last:
            lines.append(f"  … {lo - last} tokens …")
        for i in range(lo, min(hi, len(enc.input_ids))):
            tok = tokenizer.convert_ids_to_tokens(enc.input_ids[i])
            lines.append(f"  {i:5d} {tok!r:>24} {enc.input_ids[i]:>7} -> {enc.labels[i]}")
        last = max(last, min(hi, len(enc.input_ids)))
    return "\n".join(lines)


def load_retrieval(cfg: EncodeConfig):
    """(retriever or None, corpus or None) for retrieval-aware SFT and gold lookup."""
    from lawglm.settings import get_settings
    from lawglm.statutes.ingest import load_corpus

    s = get_settings(index_dir=cfg.index_dir)
    corpus = load_corpus(s.corpus_source()) if (cfg.with_retrieval or cfg.gold_in_context or cfg.cite_gold
                                                 or cfg.answer_shape == "grounded") else None
    if not cfg.with_retrieval:
        return None, corpus
    from lawglm.search.retrieval import Retriever

    return Retriever.from_settings(s), corpus


def encode_all(examples: list[Example], tokenizer, cfg: EncodeConfig, retriever, corpus,
               desc: str) -> list[Encoded]:
    from tqdm import tqdm

    rng = random.Random(cfg.seed)
    out = []
    for ex in tqdm(examples, desc=desc, disable=not cfg.progress):
        turns = example_turns(ex, tokenizer, cfg, retriever, corpus, rng)
        if not turns:
            continue
        enc = encode_turns(tokenizer, turns, cfg.max_source_length, cfg.max_target_length)
        if enc.n_targets:
            out.append(enc)
    cut_s, cut_t = sum(e.truncated_source for e in out), sum(e.truncated_target for e in out)
    if cut_s or cut_t:
        log.warning("%s: truncated %d sources (> %d tokens) and %d targets (> %d tokens) of %d examples",
                    desc, cut_s, cfg.max_source_length, cut_t, cfg.max_target_length, len(out))
    return out
