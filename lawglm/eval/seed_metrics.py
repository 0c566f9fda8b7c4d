"""The seeds' generation metrics, computed as ChatGLM's `ptuning/main.py` (`compute_metrics`) computes them,
so lawglm's adapter table can be set beside the ChatGLM P-tuning / LoRA tables (ADGEN BLEU-4, ROUGE-1/2/L).

Per item, exactly as there:
- ROUGE-1/2/L: both texts segmented with jieba (default dictionary, accurate mode), words joined by spaces,
  scored by `rouge_chinese.Rouge().get_scores` (sentences cut at 。！？; ROUGE-N over *distinct* n-grams,
  ROUGE-L as the LCS of all words); the F-score ×100, rounded to 4 places.
- BLEU-4: `nltk` `sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)`
  over characters (whitespace and newlines included, as `list(str)` gives them) ×100, rounded to 4 places.
The means of those per-item values are the scores.

One difference, for empty predictions: `ptuning/main.py` raises there (rouge_chinese: "Hypothesis is
empty."); here such a prediction scores 0 on every metric (nltk already gives BLEU 0) and is counted, so a
model that writes nothing is scored, not skipped.

lawglm's own character-level scores (no segmentation, n-gram counts, whitespace dropped) stay in
`evaluation.py`; the two are printed side by side.
"""

from __future__ import annotations

import threading

SEED_KEYS = ("seed_bleu4", "seed_rouge1", "seed_rouge2", "seed_rougeL")
_ROUGE_KEYS = {"rouge-1": "seed_rouge1", "rouge-2": "seed_rouge2", "rouge-l": "seed_rougeL"}

_tokenizer = None
_lock = threading.Lock()


def _jieba():
    """A jieba tokenizer of its own with the default dictionary, so words other code adds to the global
    jieba dictionary cannot change these scores."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                _tokenizer = tok
    return _tokenizer


def segment(text: str) -> str:
    """jieba words joined by spaces: what ptuning/main.py hands to rouge_chinese."""
    return " ".join(_jieba().cut(text))


def seed_scores(pred: str, label: str) -> dict[str, float]:
    """One item's seed-style scores (×100, 4 places), keys `SEED_KEYS`."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from rouge_chinese import Rouge

    hyp, ref = segment(pred), segment(label)
    out = dict.fromkeys(SEED_KEYS, 0.0)
    if hyp.split() and ref.split():  # rouge_chinese raises on an empty side (see the module doc)
        for name, v in Rouge().get_scores(hyp, ref)[0].items():
            out[_ROUGE_KEYS[name]] = round(v["f"] * 100, 4)
    bleu = sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)
    out["seed_bleu4"] = round(float(bleu) * 100, 4)
    return out


def seed_means(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """The mean of each per-item seed score over (prediction, reference) pairs, plus how many predictions
    were empty (`seed_empty`, scored 0)."""
    if not pairs:
        return {**dict.fromkeys(SEED_KEYS, 0.0), "seed_empty": 0}
    items = [seed_scores(p, r) for p, r in pairs]
    out: dict[str, float] = {k: sum(s[k] for s in items) / len(items) for k in SEED_KEYS}
    out["seed_empty"] = sum(not segment(p).split() for p, _ in pairs)
    return out
