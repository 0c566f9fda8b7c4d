"""Generation evaluation: character BLEU-4 / ROUGE against hand-computed values, citation metrics,
and the `lawglm eval generation` command end to end (tiny index, tiny model)."""

from __future__ import annotations

import json
import math

import pytest

from lawglm.evaluation import (
    GenEvalConfig,
    Prediction,
    bleu4,
    chars,
    citation_scores,
    evaluate_generation,
    rouge_l,
    rouge_n,
    score,
    text_scores,
)


def test_rouge_on_a_prefix_hypothesis():
    h, r = chars("我爱北京"), chars("我爱北京天安门")
    assert rouge_n(h, r, 1) == pytest.approx(8 / 11)  # P = 1, R = 4/7
    assert rouge_n(h, r, 2) == pytest.approx(2 / 3)  # 3 of 3 bigrams, 3 of 6
    assert rouge_l(h, r) == pytest.approx(8 / 11)  # LCS = 4


def test_bleu4_brevity_penalty_and_smoothing():
    # every n-gram of the hypothesis matches; only the brevity penalty exp(1 - 7/4) applies
    assert bleu4(chars("我爱北京"), chars("我爱北京天安门")) == pytest.approx(math.exp(-0.75))
    # p1 = 1, p2 = 1/3, p3 = 0 -> 1/(2*2), p4 = 0 -> 1/(4*1) (NIST geometric smoothing), BP = 1
    assert bleu4(chars("甲乙丙丁"), chars("甲乙丁丙")) == pytest.approx((1 * 1 / 3 * 1 / 4 * 1 / 4) ** 0.25)
    assert rouge_l(chars("甲乙丙丁"), chars("甲乙丁丙")) == pytest.approx(3 / 4)


def test_identical_empty_and_whitespace():
    s = text_scores("合同 无效\n", "合同无效")
    assert s == {"bleu4": pytest.approx(1.0), "rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert text_scores("", "合同无效") == {"bleu4": 0.0, "rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert bleu4(chars("合同"), chars("合同无效")) == 0.0  # no 3- or 4-grams at all


def test_citation_scores_existing_current_and_gold(corpus):
    text = "依据《中华人民共和国民法典》第五十四条和《中华人民共和国民法典》第九千条。"
    gold = [{"law": "中华人民共和国民法典", "article_no": 54}]
    s = citation_scores(text, gold, corpus)
    assert s == {"cited": 2, "existing": 1, "current": 1, "gold_hit": True}
    assert citation_scores("没有引用。", gold, corpus)["gold_hit"] is False
    assert citation_scores("没有引用。", [], corpus)["gold_hit"] is None


def test_score_aggregates(corpus):
    preds = [Prediction("q1", "合同无效", "合同无效", [{"law": "中华人民共和国民法典", "article_no": 54}], 4, 2.0),
             Prediction("q2", "甲乙丙丁", "依据《中华人民共和国民法典》第五十四条", [], 6, 1.0)]
    out = score(preds, corpus)
    assert out["n"] == 2 and out["rouge1"] == pytest.approx(50.0)
    assert out["citations"] == 1 and out["citation_validity"] == 1.0 and out["answers_citing"] == 0.5
    assert out["gold_hit_rate"] == 0.0 and out["gold_rows"] == 1
    assert out["tokens_per_s"] == pytest.approx(10 / 3, abs=0.01)


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory, tiny_corpus):
    from lawglm.index import build_index

    path = tmp_path_factory.mktemp("tiny-index")
    build_index(tiny_corpus, path, None, progress=False)
    return path


@pytest.fixture
def dev_file(tmp_path, tiny_corpus):
    a = tiny_corpus.get("中华人民共和国劳动合同法", 82)
    rows = [{"question": "用人单位不签书面劳动合同要付双倍工资吗？", "answer": a.text,
             "gold": [{"law": a.law, "article_no": 82}]},
            {"question": "正当防卫要承担刑事责任吗？", "answer": "不负刑事责任。", "gold": []}]
    f = tmp_path / "dev.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(f)


def test_cli_eval_generation_retrieval_only(dev_file, tiny_index, capsys, tmp_path):
    from lawglm.cli import main

    preds = tmp_path / "preds.jsonl"
    main(["eval", "generation", "--data", dev_file, "--llm", "none", "--index-dir", str(tiny_index),
          "--out", str(preds)])
    lines = capsys.readouterr().out.strip().splitlines()
    report = json.loads(lines[-1])
    assert "rougeL" in lines[0] + "\n".join(lines[:-1]) and report["n"] == 2
    assert report["answers_citing"] == 1.0 and report["citation_validity"] > 0.5  # (texts cite 本法第N条 too)
    assert report["gold_hit_rate"] == 1.0  # the gold article is retrieved for the first question
    assert len(preds.read_text(encoding="utf-8").splitlines()) == 2


def test_eval_generation_with_a_tiny_model(dev_file, tiny_gemma_dir):
    cfg = GenEvalConfig(data=dev_file, model=str(tiny_gemma_dir), adapter="none", no_retrieval=True,
                        max_new_tokens=4, device="cpu", progress=False)
    report = evaluate_generation(cfg, echo=lambda m: None)
    assert report["n"] == 2 and report["retrieval"] is False and report["tokens_per_s"] > 0
    assert 0 <= report["rougeL"] <= 100


def test_eval_generation_bad_data_and_unknown_adapter(tmp_path, dev_file, tiny_gemma_dir):
    from lawglm.errors import AdapterError, DataError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="bad.jsonl:1"):
        evaluate_generation(GenEvalConfig(data=str(bad), llm="none", no_retrieval=True))
    with pytest.raises(AdapterError):
        evaluate_generation(GenEvalConfig(data=dev_file, model=str(tiny_gemma_dir), adapter="no-such-adapter",
                                          adapters_dir=str(tmp_path), no_retrieval=True, device="cpu",
                                          progress=False))
