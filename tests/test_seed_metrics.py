"""The seeds' generation metrics (ChatGLM ptuning/main.py: jieba + rouge_chinese ROUGE F ×100, nltk BLEU-4
with SmoothingFunction().method3 over characters) reproduce values computed by hand, and `lawglm eval
generation` reports them beside the character-level ones."""

from __future__ import annotations

import math

import pytest

from lawglm.eval.generation import Prediction, format_generation_report, score, text_scores
from lawglm.eval.seed_metrics import seed_means, seed_scores, segment


def test_seed_scores_with_smoothing_match_a_hand_computation():
    """pred 合同无效, label 合同有效; jieba: [合同, 无效] vs [合同, 有效].

    ROUGE-1: distinct words overlap {合同}: P = 1/2, R = 1/2, F = 0.5 -> 50.
    ROUGE-2: [合同 无效] vs [合同 有效]: no overlap -> 0.   ROUGE-L: LCS [合同] = 1 of 2 / 2 -> 50.
    BLEU-4 over characters 合同无效 / 合同有效: p1 = 3/4 (合 同 效), p2 = 1/3 (合同), p3 = 0/2 and p4 = 0/1;
    method3 replaces the k-th zero precision by 1/(2^k · count): p3 = 1/(2·2) = 1/4, p4 = 1/(4·1) = 1/4.
    Equal lengths: BP = 1. BLEU = (3/4 · 1/3 · 1/4 · 1/4)^(1/4) = (1/64)^(1/4) = 2^-1.5 = 0.353553 -> 35.3553.
    """
    s = seed_scores("合同无效", "合同有效")
    assert s == {"seed_bleu4": 35.3553, "seed_rouge1": 50.0, "seed_rouge2": 0.0, "seed_rougeL": 50.0}
    assert s["seed_bleu4"] == round(100 * 2 ** -1.5, 4)


def test_seed_rouge_counts_distinct_ngrams_and_bleu_has_a_brevity_penalty():
    """pred 借款人应按期还款。 label 借款人应当按期还款。逾期要付利息。

    jieba: pred [借款人 应 按期 还款 。] (5 words); label [借款人 应当 按期 还款 。 逾期 要 付 利息 。]
    (10 words, 9 distinct: 。 twice).
    ROUGE-1 over distinct unigrams: overlap {借款人 按期 还款 。} = 4, P = 4/5, R = 4/9, F = 4/7 -> 57.1429.
    ROUGE-2: pred bigrams 4, label bigrams 9 (words run on across the sentence cut), overlap
    {按期 还款, 还款 。} = 2: P = 1/2, R = 2/9, F = 4/13 -> 30.7692.
    ROUGE-L: LCS of the word lists [借款人 按期 还款 。] = 4: P = 4/5, R = 4/10, F = 8/15 -> 53.3333.
    BLEU-4 over characters (9 vs 17): p1 = 9/9, p2 = 7/8 (应按 misses), p3 = 5/7, p4 = 3/6;
    BP = exp(1 - 17/9); BLEU = exp(-8/9) · (1 · 7/8 · 5/7 · 1/2)^(1/4) = 0.307378 -> 30.7378.
    """
    s = seed_scores("借款人应按期还款。", "借款人应当按期还款。逾期要付利息。")
    assert s == {
        "seed_bleu4": 30.7378,
        "seed_rouge1": 57.1429,
        "seed_rouge2": 30.7692,
        "seed_rougeL": 53.3333,
    }
    assert s["seed_bleu4"] == round(100 * math.exp(-8 / 9) * (5 / 16) ** 0.25, 4)
    assert s["seed_rouge1"] == round(100 * 4 / 7, 4)
    # lawglm's own scores count characters with repeats, so the two families differ on the same pair
    assert (
        round(100 * text_scores("借款人应按期还款。", "借款人应当按期还款。逾期要付利息。")["rouge1"], 4)
        != s["seed_rouge1"]
    )


def test_whitespace_is_a_character_for_seed_bleu_and_empty_predictions_score_zero():
    """pred 合同 无效 (with a space), label 合同无效. jieba gives [合同, ' ', 无效]; the space vanishes when
    the
    words are joined, so every ROUGE is 100. BLEU sees 5 characters: p1 = 4/5, p2 = 2/4 (合同 无效),
    p3 = 0/3 -> 1/(2·3), p4 = 0/2 -> 1/(4·2), BP = 1 (5 > 4): (4/5 · 1/2 · 1/6 · 1/8)^(1/4) = (1/120)^(1/4)
    -> 30.2138. An empty prediction (ptuning/main.py would raise) scores 0 and is counted."""
    s = seed_scores("合同 无效", "合同无效")
    assert s == {"seed_bleu4": 30.2138, "seed_rouge1": 100.0, "seed_rouge2": 100.0, "seed_rougeL": 100.0}
    assert text_scores("合同 无效", "合同无效")["bleu4"] == pytest.approx(1.0)  # ours drops whitespace
    assert seed_scores("  \n", "合同无效") == dict.fromkeys(s, 0.0)
    m = seed_means([("合同无效", "合同有效"), ("", "合同无效")])
    assert m == {"seed_bleu4": pytest.approx(35.3553 / 2), "seed_rouge1": 25.0, "seed_rouge2": 0.0,
                 "seed_rougeL": 25.0, "seed_empty": 1}


def test_segmentation_ignores_words_added_to_the_global_jieba_dictionary():
    import jieba

    before = segment("合同无效")
    jieba.add_word("同无")
    try:
        assert segment("合同无效") == before == "合同 无效"
    finally:
        jieba.del_word("同无")


def test_report_prints_seed_scores_beside_ours(corpus):
    preds = [Prediction(mode, "q", "合同有效", answer) for mode, answer in
             (("retrieval-only", "合同无效"), ("legal-lora", "结论：合同有效。\n\n法律依据：\n1. 略"))]
    modes = {m: score([p for p in preds if p.mode == m], corpus) for m in ("retrieval-only", "legal-lora")}
    ro = modes["retrieval-only"]
    assert (ro["seed_bleu4"], ro["seed_rouge1"], ro["seed_rougeL"], ro["seed_empty"]) == (
        35.36,
        50.0,
        50.0,
        0,
    )
    assert ro["seed_rougeL_conclusion"] == 50.0  # retrieval-only: the whole answer
    # the 结论 [合同 有效 。] against [合同 有效]: LCS 2, P = 2/3, R = 1, F = 4/5
    assert modes["legal-lora"]["seed_rougeL_conclusion"] == 80.0
    text = format_generation_report({"data": "d", "rows": 1, "modes": modes}).splitlines()
    keys = [line.split()[0] for line in text[2:-1]]
    assert (
        keys.index("seed_bleu4") == keys.index("bleu4") + 1
        and keys.index("seed_rougeL") == keys.index("rougeL") + 1
    )
    row = next(line for line in text if line.split()[0] == "seed_rouge1")
    assert row.split()[1:] == ["50.0", str(modes["legal-lora"]["seed_rouge1"])]
