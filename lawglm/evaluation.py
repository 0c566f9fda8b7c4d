"""Evaluation on dev files: retrieval metrics (index section) and generation metrics (generation section).

Generation: character-level BLEU-4 and ROUGE-1/2/L for Chinese (implemented here, tested against
hand-computed values), citation validity (share of cited articles that exist in the corpus, via
`citations.verify`), gold hit rate, average answer length and decoding speed.
"""

from __future__ import annotations

# === generation evaluation (BLEU / ROUGE / citations) =========================================
import json
import math
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError
from .records import iter_jsonl


# --- text metrics (character level) ---------------------------------------------------------
def chars(text: str) -> list[str]:
    """Characters of `text` without whitespace: the unit of the Chinese BLEU / ROUGE scores."""
    return [c for c in text if not c.isspace()]


def ngrams(seq: list[str], n: int) -> Counter:
    return Counter(tuple(seq[i:i + n]) for i in range(len(seq) - n + 1))


def _f1(overlap: float, n_hyp: int, n_ref: int) -> float:
    if overlap == 0 or n_hyp == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_hyp, overlap / n_ref
    return 2 * p * r / (p + r)


def rouge_n(hyp: list[str], ref: list[str], n: int) -> float:
    """ROUGE-N F1: clipped n-gram overlap over hypothesis (precision) and reference (recall) counts."""
    h, r = ngrams(hyp, n), ngrams(ref, n)
    return _f1(sum((h & r).values()), sum(h.values()), sum(r.values()))


def lcs_length(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(hyp: list[str], ref: list[str]) -> float:
    """ROUGE-L F1 from the longest common subsequence."""
    return _f1(lcs_length(hyp, ref), len(hyp), len(ref))


def bleu4(hyp: list[str], ref: list[str]) -> float:
    """Sentence BLEU-4 (uniform weights, brevity penalty) with NIST geometric smoothing of zero
    n-gram matches (NLTK's SmoothingFunction().method3, as ChatGLM's fine-tuning eval uses)."""
    if not hyp or not ref:
        return 0.0
    log_sum, k = 0.0, 1
    for n in range(1, 5):
        h = ngrams(hyp, n)
        denom = sum(h.values())
        if denom == 0:  # hypothesis shorter than n
            return 0.0
        match = sum((h & ngrams(ref, n)).values())
        if match == 0:
            k *= 2
            p = 1 / (k * denom)
        else:
            p = match / denom
        log_sum += 0.25 * math.log(p)
    bp = 1.0 if len(hyp) > len(ref) else math.exp(1 - len(ref) / len(hyp))
    return bp * math.exp(log_sum)


def text_scores(hyp: str, ref: str) -> dict[str, float]:
    h, r = chars(hyp), chars(ref)
    return {"bleu4": bleu4(h, r), "rouge1": rouge_n(h, r, 1), "rouge2": rouge_n(h, r, 2), "rougeL": rouge_l(h, r)}


# --- citation metrics --------------------------------------------------------------------------
def citation_scores(answer: str, gold: list[dict], corpus) -> dict[str, Any]:
    """Cited articles (existing / valid-current / total) and whether a gold article is cited."""
    from .citations import verify

    cites = verify(answer, corpus)
    cited = {(c.article.law, c.article.article_no) for c in cites if c.article is not None}
    gold_keys = {(corpus.resolve_law(g["law"]) or g["law"], g["article_no"]) for g in gold}
    return {"cited": len(cites), "existing": sum(c.article is not None for c in cites),
            "current": sum(c.reason == "valid" for c in cites),
            "gold_hit": bool(cited & gold_keys) if gold_keys else None}


# --- running a model over a dev file ------------------------------------------------------------
@dataclass
class GenEvalConfig:
    data: str
    model: str = "gemma-3-270m"
    adapter: str | None = "none"
    adapters_dir: str = "adapters"
    llm: str = "local"  # local | none
    no_retrieval: bool = False
    index_dir: str = "index"
    top_k: int = 3
    limit: int | None = None
    offset: int = 0  # skip the first rows (extend an earlier run; --rescore the concatenation)
    max_new_tokens: int = 128
    max_source_length: int = 640
    out_path: str | None = None
    device: str = "auto"
    progress: bool = True


@dataclass
class Prediction:
    question: str
    reference: str
    answer: str
    gold: list = field(default_factory=list)
    new_tokens: int = 0
    seconds: float = 0.0


def load_model(cfg: GenEvalConfig):
    """(model, tokenizer): the backbone with the adapter validated and attached by lawglm.adapters."""
    from .adapters import attach_adapters, resolve_adapter
    from .generation import load_backbone

    model, tok = load_backbone(cfg.model, device=cfg.device, progress=cfg.progress)
    if cfg.adapter in (None, "", "none"):
        return model, tok
    path = resolve_adapter(cfg.adapter, cfg.adapters_dir)
    adapters = attach_adapters(model, {path.name: path})
    return adapters.prefixes.get(path.name) or adapters.model, tok  # a PeftModel either way


class _StopOnText:
    """Stop decoding once the new text contains one of the prompt format's stop strings."""

    def __init__(self, tok, start: int, stops: list[str]):
        self.tok, self.start, self.stops = tok, start, stops

    def __call__(self, input_ids, scores, **kwargs) -> bool:
        tail = self.tok.decode(input_ids[0, self.start:][-8:], skip_special_tokens=True)
        return any(s in tail for s in self.stops)


def generate_one(model, tok, messages: list[dict], max_new_tokens: int) -> tuple[str, int, float]:
    """Greedy decoding of one rendered prompt: (text, new tokens, seconds)."""
    import torch
    from transformers import StoppingCriteriaList

    from .prompts import render, stop_strings

    text = render(tok, messages, add_generation_prompt=True)
    enc = tok(text, return_tensors="pt", add_special_tokens=not text.startswith(tok.bos_token or "\0"))
    enc = {k: v.to(next(model.parameters()).device) for k, v in enc.items()}
    start, stops = enc["input_ids"].shape[1], stop_strings(tok)
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id,
                             stopping_criteria=StoppingCriteriaList([_StopOnText(tok, start, stops)]))
    new = out[0, start:]
    answer = tok.decode(new, skip_special_tokens=True)
    for s in stops:
        answer = answer.split(s)[0]
    return answer.strip(), int(new.shape[0]), time.perf_counter() - t0


def retrieval_only_answer(hits: list) -> str:
    """The no-model answer: the retrieved articles, cited in full."""
    if not hits:
        return "未检索到相关法条。"
    return "相关法条：\n" + "\n".join(f"{h.article.citation}：{h.article.text}" for h in hits)


def predict(cfg: GenEvalConfig, rows: list[dict], echo, sink=None) -> list[Prediction]:
    """One prediction per row; each is also handed to `sink` as soon as it exists (partial runs keep them)."""
    from tqdm import tqdm

    from .prompts import build_messages

    retriever = None
    if not cfg.no_retrieval:
        from .retrieval import Retriever

        retriever = Retriever.load(cfg.index_dir)
    model, tok = load_model(cfg) if cfg.llm == "local" else (None, None)
    preds = []
    for row in tqdm(rows, desc="generating", disable=not cfg.progress):
        hits = retriever.search(row["question"], cfg.top_k) if retriever else []
        pred = Prediction(row["question"], row["answer"], "", row.get("gold") or [])
        if model is None:
            pred.answer = retrieval_only_answer(hits)
        else:
            prompt = build_messages(row["question"], hits, tokenizer=tok, max_prompt_tokens=cfg.max_source_length)
            pred.answer, pred.new_tokens, pred.seconds = generate_one(model, tok, prompt.messages,
                                                                      cfg.max_new_tokens)
        preds.append(pred)
        if sink is not None:
            sink(pred)
    return preds


def score(preds: list[Prediction], corpus) -> dict[str, Any]:
    """Mean text scores (×100), citation validity and gold hit rate, length, tokens/s."""
    text = [text_scores(p.answer, p.reference) for p in preds]
    cites = [citation_scores(p.answer, p.gold, corpus) for p in preds]
    n_cited = sum(c["cited"] for c in cites)
    hits = [c["gold_hit"] for c in cites if c["gold_hit"] is not None]
    secs = sum(p.seconds for p in preds)
    out = {k: round(100 * sum(t[k] for t in text) / len(text), 2) for k in ("bleu4", "rouge1", "rouge2", "rougeL")}
    out.update({"n": len(preds), "citations": n_cited,
                "citation_validity": round(sum(c["existing"] for c in cites) / n_cited, 3) if n_cited else None,
                "citation_current": round(sum(c["current"] for c in cites) / n_cited, 3) if n_cited else None,
                "answers_citing": round(sum(c["cited"] > 0 for c in cites) / len(cites), 3),
                "gold_hit_rate": round(sum(hits) / len(hits), 3) if hits else None, "gold_rows": len(hits),
                "avg_chars": round(sum(len(p.answer) for p in preds) / len(preds), 1),
                "tokens_per_s": round(sum(p.new_tokens for p in preds) / secs, 2) if secs else None})
    return out


def read_dev(path: str, limit: int | None) -> list[dict]:
    from .sft_data import load_examples

    rows = [{"question": ex.question, "answer": ex.answer, "gold": ex.gold}
            for ex in load_examples(path, limit=limit)]
    if any(not r["question"] for r in rows):
        raise DataError(f"{path}: every row needs a question to evaluate generation")
    return rows


def _jsonl_sink(fh):
    def write(pred: Prediction) -> None:
        fh.write(json.dumps(asdict(pred), ensure_ascii=False) + "\n")
        fh.flush()
    return write


def score_predictions(path: str, limit: int | None = None) -> dict[str, Any]:
    """Re-score a predictions JSONL written by --out (e.g. several runs on their common first N rows)."""
    from .corpus import load_corpus
    from .settings import get_settings

    preds = []
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        try:
            preds.append(Prediction(**json.loads(line)))
        except (json.JSONDecodeError, TypeError) as exc:
            raise DataError(f"{path}:{no}: not a prediction record ({exc})") from None
    if not preds:
        raise DataError(f"{path}: no predictions")
    return {"data": path, "adapter": None, "llm": None, "retrieval": None,
            **score(preds[:limit] if limit else preds, load_corpus(get_settings().corpus_source()))}


def evaluate_generation(cfg: GenEvalConfig, echo=print) -> dict[str, Any]:
    """Generate an answer for each dev row and score it; the report carries the setup too."""
    from .corpus import load_corpus
    from .settings import get_settings

    rows = read_dev(cfg.data, cfg.offset + cfg.limit if cfg.limit else None)[cfg.offset:]
    if not rows:
        raise DataError(f"{cfg.data}: no rows after --offset {cfg.offset}")
    corpus = load_corpus(get_settings().corpus_source())
    with ExitStack() as stack:
        fh = stack.enter_context(open(cfg.out_path, "w", encoding="utf-8")) if cfg.out_path else None
        preds = predict(cfg, rows, echo, sink=_jsonl_sink(fh) if fh else None)
    setup = {"data": cfg.data, "adapter": cfg.adapter if cfg.llm == "local" else None, "llm": cfg.llm,
             "retrieval": not cfg.no_retrieval, "top_k": cfg.top_k, "max_new_tokens": cfg.max_new_tokens}
    return {**setup, **score(preds, corpus)}


def format_generation_report(report: dict[str, Any]) -> str:
    keys = ["n", "bleu4", "rouge1", "rouge2", "rougeL", "citations", "citation_validity", "citation_current",
            "answers_citing", "gold_hit_rate", "avg_chars", "tokens_per_s"]
    head = f"generation eval: adapter={report['adapter']} llm={report['llm']} retrieval={report['retrieval']}"
    return "\n".join([head] + [f"  {k:<18} {report.get(k)}" for k in keys])


# === retrieval evaluation (index & retrieval) =================================================
# File format, one JSON object per line: {"query": "...", "gold": [{"law": "...", "article_no": 1254}, ...]}
# A query is a hit at k when ANY of its gold articles is among the first k results.
RETRIEVAL_KS = (1, 5, 10)


@dataclass(frozen=True)
class RetrievalExample:
    query: str
    gold: tuple[tuple[str, int], ...]  # (law as written in the file, article number)


def _retrieval_example(rec: object, where: str) -> RetrievalExample:
    if not isinstance(rec, dict):
        raise DataError(f"{where}: expected a JSON object")
    query = rec.get("query")
    if not isinstance(query, str) or not query.strip():
        raise DataError(f"{where}: 'query' must be a non-empty string")
    gold = rec.get("gold")
    if not isinstance(gold, list) or not gold:
        raise DataError(f"{where}: 'gold' must be a non-empty list of {{law, article_no}}")
    out = []
    for g in gold:
        if not isinstance(g, dict) or not isinstance(g.get("law"), str) or not g.get("law"):
            raise DataError(f"{where}: every gold entry needs a 'law' name")
        no = g.get("article_no")
        if isinstance(no, bool) or not isinstance(no, int) or no <= 0:
            raise DataError(f"{where}: gold 'article_no' must be a positive integer, got {no!r}")
        out.append((g["law"], no))
    return RetrievalExample(query.strip(), tuple(out))


def read_retrieval_data(path: str | Path) -> list[RetrievalExample]:
    """Parse a retrieval gold file; DataError naming file:line on the first malformed line."""
    out = [_retrieval_example(rec, f"{path}:{i}") for i, rec in iter_jsonl(path, DataError)]
    if not out:
        raise DataError(f"{path}: no examples")
    return out


def first_gold_rank(hits: list, gold: set[tuple[str, int]]) -> int | None:
    """0-based rank of the first hit whose (law, article_no) is gold, or None."""
    for rank, h in enumerate(hits):
        if (h.article.law, h.article.article_no) in gold:
            return rank
    return None


def evaluate_retrieval(retriever, examples: list[RetrievalExample], *, k: int = 10,
                       progress: bool = False, **search_kwargs) -> dict:
    """recall@1/5/10 (+@k), mrr@10 and mean ms per query of `retriever.search` over `examples`."""
    from tqdm.auto import tqdm

    depth = max(k, *RETRIEVAL_KS)
    ranks: list[int | None] = []
    elapsed = 0.0
    for ex in tqdm(examples, desc="evaluating", disable=not progress, unit="q"):
        gold = {(retriever.corpus.resolve_law(law) or law, no) for law, no in ex.gold}
        t0 = time.perf_counter()
        hits = retriever.search(ex.query, depth, **search_kwargs)
        elapsed += time.perf_counter() - t0
        ranks.append(first_gold_rank(hits, gold))
    return metrics_from_ranks(ranks, elapsed, k)


def metrics_from_ranks(ranks: list[int | None], seconds: float, k: int = 10) -> dict:
    n = len(ranks)
    out: dict = {"n": n}
    for cut in sorted({*RETRIEVAL_KS, k}):
        out[f"recall@{cut}"] = round(sum(r is not None and r < cut for r in ranks) / n, 4) if n else 0.0
    out["mrr@10"] = round(sum(1.0 / (r + 1) for r in ranks if r is not None and r < 10) / n, 4) if n else 0.0
    out["ms_per_query"] = round(1000 * seconds / n, 3) if n else 0.0
    return out


def format_table(metrics: dict, title: str = "") -> str:
    """A two-column plain-text table of the metrics."""
    rows = [(name, str(value)) for name, value in metrics.items()]
    width = max(len(r[0]) for r in rows)
    lines = [title] if title else []
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)
