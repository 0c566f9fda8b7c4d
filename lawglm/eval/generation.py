"""Generation evaluation on dev files: answer modes side by side, through `Assistant.ask` (retrieval
evaluation lives in lawglm/eval/retrieval.py).

Generation: every answer mode — retrieval-only (no model), the bare backbone, each adapter — answers the
same rows through the product's own path (`Assistant.ask`: retrieval, prompt, guarded decoding, gate,
citation and support checks), and is scored on: character-level BLEU-4 and ROUGE-1/2/L against the
reference answer (implemented here, tested against hand-computed values), ROUGE-L of the model-written
conclusion alone, the same four scores the seeds' way (jieba words, rouge_chinese, nltk BLEU-4 method3
over characters: lawglm/eval/seed_metrics.py) beside them, share of answers citing a supported article,
supported share of the citations shown,
misattributed citations (flagged quote_mismatch / unrelated), repeated-sentence rate, gold-article hit and
its retrieval bound (gold among the sources), time to first token and tokens/s.
"""

from __future__ import annotations

# === generation evaluation ====================================================================
import json
import math
import random
import statistics
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any

from lawglm.answer.options import AskOptions
from lawglm.errors import DataError
from lawglm.records import iter_jsonl
from lawglm.settings import Settings

RETRIEVAL_ONLY = "retrieval-only"
BARE = "none"  # the backbone without an adapter
MISATTRIBUTED = ("quote_mismatch", "unrelated")


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
    return {
        "bleu4": bleu4(h, r),
        "rouge1": rouge_n(h, r, 1),
        "rouge2": rouge_n(h, r, 2),
        "rougeL": rouge_l(h, r),
    }


def conclusion_of(answer: str) -> str:
    """The model-written part of an answer: the 结论 of a grounded answer, else the whole text."""
    from lawglm.answer.grounded import BASIS_HEAD, CONCLUSION_HEAD, FALLBACK, FROM_SOURCES

    if not answer.startswith(CONCLUSION_HEAD):
        return answer
    body = answer[len(CONCLUSION_HEAD):].split("\n\n" + BASIS_HEAD)[0]
    return "" if body.strip() == FALLBACK or body.startswith(FROM_SOURCES) else body


def repeated_sentence(answer: str) -> bool:
    """Whether any sentence (as grounded.drop_repeats compares them) occurs twice."""
    from lawglm.answer.grounded import MIN_REPEAT_CHARS, norm, sentences

    keys = [norm(s) for s in sentences(answer)]
    keys = [k for k in keys if len(k) >= MIN_REPEAT_CHARS]
    return len(keys) != len(set(keys))


# --- running the answer modes over a dev file -----------------------------------------------------
@dataclass
class GenEvalConfig:
    """What to answer and how many tokens a model may write; the backbone, adapters (mode "default" =
    settings.adapter), index, device, quantisation, top_k and answer shape come from Settings."""

    data: str
    modes: list[str] = field(default_factory=lambda: [RETRIEVAL_ONLY, "default"])
    limit: int | None = None  # the first N rows ...
    sample: int | None = None  # ... or a seeded random sample of N rows
    seed: int = 0
    max_new_tokens: int = 256
    out_path: str | None = None
    progress: bool = True


@dataclass
class Prediction:
    mode: str
    question: str
    reference: str
    answer: str
    gold: list = field(default_factory=list)
    cited: list = field(default_factory=list)  # {law, article_no, verified, supported, reason}
    retrieved: list = field(default_factory=list)  # [law, article_no] of the sources
    first_token_s: float | None = None
    completion_tokens: int = 0
    tokens_per_s: float = 0.0
    seconds: float = 0.0
    gate: str | None = None


def read_dev(path: str, limit: int | None = None, sample: int | None = None, seed: int = 0) -> list[dict]:
    """Rows {question, answer, gold}: all, the first `limit`, or a seeded random `sample`."""
    from lawglm.train.sft_data import load_examples

    rows = [{"question": ex.question, "answer": ex.answer, "gold": ex.gold} for ex in load_examples(path)]
    if any(not r["question"] for r in rows):
        raise DataError(f"{path}: every row needs a question to evaluate generation")
    if sample is not None:
        rows = random.Random(seed).sample(rows, min(sample, len(rows)))
    return rows[:limit] if limit else rows


def _prediction(mode: str, row: dict, answer: Any) -> Prediction:
    u = answer.usage
    cited = [
        {
            "law": c.article.law if c.article else c.law,
            "article_no": c.article_no,
            "verified": c.verified,
            "supported": c.supported,
            "reason": (c.support or {}).get("reason", c.reason),
            "corrected": bool((c.support or {}).get("corrected_from")),
        }
        for c in answer.citations
    ]
    return Prediction(mode, row["question"], row["answer"], answer.answer, row.get("gold") or [], cited,
                      [[h.article.law, h.article.article_no] for h in answer.retrieved],
                      u.first_token_s, u.completion_tokens, u.tokens_per_s or 0.0, u.seconds, u.gate)


def load_assistants(cfg: GenEvalConfig, settings: Settings) -> dict[str, Any]:
    """One Assistant per mode, sharing one retriever and one backbone (adapters chosen per request).
    Retrieval-only is the Assistant `lawglm ask --llm none` builds: no generator, the same settings."""
    from lawglm.answer.assistant import Assistant
    from lawglm.search.retrieval import Retriever

    retriever = Retriever.from_settings(settings)
    out: dict[str, Any] = {}
    if any(m != RETRIEVAL_ONLY for m in cfg.modes):
        from lawglm.answer.prompts import VOCAB_TEXTS
        from lawglm.models.generation import load_local_generator

        generator = load_local_generator(
            settings, adapter=BARE, corpus=retriever.corpus, progress=cfg.progress, vocab_texts=VOCAB_TEXTS
        )
        model_assistant = Assistant(retriever, generator, settings)
        for m in cfg.modes:
            if m != RETRIEVAL_ONLY:
                name = settings.adapter if m == "default" else m
                model_assistant.prepare(
                    AskOptions("检查", adapter=name)
                )  # unknown adapter: fail before any row runs
                out[m] = (model_assistant, name)
    if RETRIEVAL_ONLY in cfg.modes:
        out[RETRIEVAL_ONLY] = (Assistant(retriever, None, settings), None)
    return out


def predict(cfg: GenEvalConfig, rows: list[dict], settings: Settings, sink=None) -> list[Prediction]:
    """Every mode answers every row (row by row, so a partial run compares modes on the same rows)."""
    from tqdm import tqdm

    assistants = load_assistants(cfg, settings)
    preds = []
    for row in tqdm(rows, desc="answering", disable=not cfg.progress):
        for mode in cfg.modes:
            assistant, adapter = assistants[mode]
            answer = assistant.ask(row["question"], temperature=0, adapter=adapter,
                                   max_new_tokens=cfg.max_new_tokens if adapter is not None else None)
            preds.append(_prediction(mode, row, answer))
            if sink is not None:
                sink(preds[-1])
    return preds


# --- scores ----------------------------------------------------------------------------------
def _gold_keys(gold: list[dict], corpus) -> set[tuple[str, int]]:
    return {(corpus.resolve_law(g["law"]) or g["law"], g["article_no"]) for g in gold}


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 3) if xs else None


def _seed(preds: list[Prediction]) -> dict[str, Any]:
    """The seeds' BLEU-4 / ROUGE-1/2/L of the whole answer and seed ROUGE-L of the conclusion alone."""
    from lawglm.eval.seed_metrics import SEED_KEYS, seed_means

    whole = seed_means([(p.answer, p.reference) for p in preds])
    concl = seed_means([(conclusion_of(p.answer), p.reference) for p in preds])
    return {**{k: round(whole[k], 2) for k in SEED_KEYS}, "seed_empty": whole["seed_empty"],
            "seed_rougeL_conclusion": round(concl["seed_rougeL"], 2)}


def score(preds: list[Prediction], corpus) -> dict[str, Any]:
    """The metrics of one mode's predictions (see the module doc); text scores ×100."""
    n = len(preds)
    text = [text_scores(p.answer, p.reference) for p in preds]
    out: dict[str, Any] = {"n": n}
    out.update(
        {k: round(100 * sum(t[k] for t in text) / n, 2) for k in ("bleu4", "rouge1", "rouge2", "rougeL")}
    )
    out["rougeL_conclusion"] = round(100 * sum(rouge_l(chars(conclusion_of(p.answer)), chars(p.reference))
                                               for p in preds) / n, 2)
    out.update(_seed(preds))
    shown = [c for p in preds for c in p.cited]
    out.update(
        {
            "citations": len(shown),
            "supported_share": round(sum(c["supported"] for c in shown) / len(shown), 3) if shown else None,
            "answers_citing_supported": round(
                sum(any(c["supported"] for c in p.cited) for p in preds) / n, 3
            ),
            "misattributed": sum(c["reason"] in MISATTRIBUTED for c in shown),
            "not_in_sources": sum(c["reason"] == "not_in_sources" for c in shown),
            "invalid": sum(not c["verified"] for c in shown),
            "corrected": sum(c.get("corrected", False) for c in shown),
            "repeated_sentence_rate": round(sum(map(repeated_sentence, (p.answer for p in preds))) / n, 3),
        }
    )
    with_gold = [p for p in preds if p.gold]
    hit = [bool(_gold_keys(p.gold, corpus) & {(c["law"], c["article_no"]) for c in p.cited if c["verified"]})
           for p in with_gold]
    bound = [bool(_gold_keys(p.gold, corpus) & {tuple(r) for r in p.retrieved}) for p in with_gold]
    out.update({"gold_rows": len(with_gold), "gold_hit": round(sum(hit) / len(hit), 3) if hit else None,
                "gold_bound": round(sum(bound) / len(bound), 3) if bound else None})
    ttft = [p.first_token_s for p in preds if p.first_token_s]
    speed = [p.tokens_per_s for p in preds if p.tokens_per_s]
    gates = [p.gate for p in preds if p.gate]
    out.update(
        {
            "ttft_median_s": _median(ttft),
            "ttft_p90_s": round(sorted(ttft)[int(0.9 * (len(ttft) - 1))], 3) if ttft else None,
            "tokens_per_s": _median(speed),
            "seconds_median": _median([p.seconds for p in preds]),
            "avg_chars": round(sum(len(p.answer) for p in preds) / n, 1),
            "gate_accepted": round(gates.count("accepted") / len(gates), 3) if gates else None,
        }
    )
    return out


def score_modes(preds: list[Prediction], corpus) -> dict[str, dict]:
    modes = list(dict.fromkeys(p.mode for p in preds))
    return {m: score([p for p in preds if p.mode == m], corpus) for m in modes}


def _jsonl_sink(fh):
    def write(pred: Prediction) -> None:
        fh.write(json.dumps(asdict(pred), ensure_ascii=False) + "\n")
        fh.flush()
    return write


def read_predictions(path: str) -> list[Prediction]:
    preds = []
    for no, rec in iter_jsonl(path, DataError):
        try:
            preds.append(Prediction(**rec))
        except TypeError as exc:
            raise DataError(f"{path}:{no}: not a prediction record ({exc})") from None
    if not preds:
        raise DataError(f"{path}: no predictions")
    return preds


def score_predictions(path: str, settings: Settings, limit: int | None = None) -> dict[str, Any]:
    """Re-score a predictions JSONL written by --out (only rows every mode answered are compared)."""
    from lawglm.statutes.ingest import load_corpus

    preds = read_predictions(path)
    counts = Counter(p.question for p in preds)
    modes = len({p.mode for p in preds})
    complete = [q for q in dict.fromkeys(p.question for p in preds) if counts[q] >= modes][:limit]
    keep = set(complete)
    preds = [p for p in preds if p.question in keep]
    return {
        "data": path,
        "rows": len(complete),
        "modes": score_modes(preds, load_corpus(settings.corpus_source())),
    }


def evaluate_generation(cfg: GenEvalConfig, settings: Settings) -> dict[str, Any]:
    """Every mode answers the dev rows; the report carries the setup and one metrics dict per mode."""
    from lawglm.statutes.ingest import load_corpus

    rows = read_dev(cfg.data, cfg.limit, cfg.sample, cfg.seed)
    corpus = load_corpus(settings.corpus_source())
    with ExitStack() as stack:
        fh = stack.enter_context(open(cfg.out_path, "w", encoding="utf-8")) if cfg.out_path else None
        t0 = time.perf_counter()
        preds = predict(cfg, rows, settings, sink=_jsonl_sink(fh) if fh else None)
    setup = {
        "data": cfg.data,
        "rows": len(rows),
        "sample": cfg.sample,
        "seed": cfg.seed,
        "top_k": settings.top_k,
        "shape": settings.shape(),
        "model": settings.model,
        "quantize": settings.quantize,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    return {**setup, "modes": score_modes(preds, corpus)}


REPORT_KEYS = [
    "n",
    "bleu4",
    "seed_bleu4",
    "rouge1",
    "seed_rouge1",
    "rouge2",
    "seed_rouge2",
    "rougeL",
    "seed_rougeL",
    "rougeL_conclusion",
    "seed_rougeL_conclusion",
    "seed_empty",
    "citations",
    "supported_share",
    "answers_citing_supported",
    "misattributed",
    "not_in_sources",
    "invalid",
    "corrected",
    "repeated_sentence_rate",
    "gold_hit",
    "gold_bound",
    "ttft_median_s",
    "ttft_p90_s",
    "tokens_per_s",
    "seconds_median",
    "avg_chars",
    "gate_accepted",
]


def format_generation_report(report: dict[str, Any]) -> str:
    """The modes side by side, one metric per line."""
    modes = list(report["modes"])
    width = max(12, *(len(m) + 2 for m in modes))
    head = (f"generation eval: {report.get('data')} rows={report.get('rows')} shape={report.get('shape')} "
            f"top_k={report.get('top_k')} model={report.get('model')}")
    lines = [head, f"  {'metric':<26}" + "".join(f"{m:>{width}}" for m in modes)]
    for k in REPORT_KEYS:
        lines.append(f"  {k:<26}" + "".join(f"{report['modes'][m].get(k)!s:>{width}}" for m in modes))
    lines.append(
        "  bleu4/rouge*: characters, n-gram counts (ours); seed_*: as ChatGLM ptuning/main.py (jieba words, "
        "rouge_chinese, nltk BLEU-4 method3 over characters); all x100"
    )
    return "\n".join(lines)
