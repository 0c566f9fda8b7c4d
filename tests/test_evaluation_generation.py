"""Generation evaluation: character BLEU-4 / ROUGE against hand-computed values, the answer metrics
(supported citations, misattributions, repeats, gold hit vs its bound), and `lawglm eval generation`
end to end through Assistant.ask (tiny index; retrieval-only beside the tiny model, same rows)."""

from __future__ import annotations

import json
import math

import pytest

from lawglm.eval.generation import (
    GenEvalConfig,
    Prediction,
    bleu4,
    chars,
    conclusion_of,
    evaluate_generation,
    repeated_sentence,
    rouge_l,
    rouge_n,
    score,
    text_scores,
)
from lawglm.settings import get_settings


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


def _cite(law, no, supported=True, reason="supported", verified=True):
    return {"law": law, "article_no": no, "verified": verified, "supported": supported, "reason": reason}


LAW = "中华人民共和国民法典"


def test_score_counts_support_repeats_and_gold_against_its_bound(corpus):
    preds = [
        Prediction(
            "m",
            "q1",
            "合同无效",
            "结论：合同无效。\n\n法律依据：\n1. 略",
            [{"law": LAW, "article_no": 54}],
            [_cite(LAW, 54), _cite(LAW, 56, False, "unrelated")],
            [[LAW, 54], [LAW, 56]],
            0.5,
            10,
            20.0,
            1.0,
            "accepted",
        ),
        Prediction(
            "m",
            "q2",
            "甲乙丙丁",
            "同一句话说两遍。同一句话说两遍。",
            [{"law": LAW, "article_no": 1079}],
            [_cite(LAW, 9000, False, "article_not_found", verified=False)],
            [[LAW, 1079]],
            1.5,
            4,
            10.0,
            2.0,
            "off_topic",
        ),
    ]
    out = score(preds, corpus)
    assert out["n"] == 2 and out["citations"] == 3
    assert out["supported_share"] == round(1 / 3, 3) and out["answers_citing_supported"] == 0.5
    assert out["misattributed"] == 1 and out["invalid"] == 1
    assert out["repeated_sentence_rate"] == 0.5
    assert (
        out["gold_hit"] == 0.5 and out["gold_bound"] == 1.0 and out["gold_rows"] == 2
    )  # q2: retrieved, not cited
    assert out["ttft_median_s"] == 1.0 and out["gate_accepted"] == 0.5
    # "合同无效。" against "合同无效": P 4/5, R 1, F 8/9; q2's whole answer shares no character with 甲乙丙丁
    assert out["rougeL_conclusion"] == round(100 * (8 / 9 + 0) / 2, 2)


def test_conclusion_and_repeats():
    assert conclusion_of("结论：甲应赔偿。\n\n法律依据：\n1. 《X》第1条") == "甲应赔偿。"
    assert conclusion_of("自由回答") == "自由回答"
    assert repeated_sentence("借款应当返还。利息另计。借款应当返还！") and not repeated_sentence(
        "是的。是的。"
    )


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory, tiny_corpus):
    from lawglm.search.index import build_index

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


def test_cli_eval_generation_compares_modes_on_the_same_rows(dev_file, tiny_index, tiny_gemma_dir, capsys,
                                                              tmp_path):
    from lawglm.cli import main

    preds = tmp_path / "preds.jsonl"
    main(["eval", "generation", "--data", dev_file, "--modes", "retrieval-only,none", "--index-dir",
          str(tiny_index), "--model", str(tiny_gemma_dir), "--device", "cpu", "--max-new-tokens", "8",
          "--out", str(preds)])
    lines = capsys.readouterr().out.strip().splitlines()
    report = json.loads(lines[-1])
    assert "retrieval-only" in lines[1] and "none" in lines[1]  # the modes side by side
    ro, bare = report["modes"]["retrieval-only"], report["modes"]["none"]
    assert ro["n"] == bare["n"] == 2 and report["shape"] == "free"  # a user model: free shape by default
    assert ro["supported_share"] == 1.0 and ro["answers_citing_supported"] == 1.0  # verbatim articles
    assert ro["gold_hit"] == ro["gold_bound"] == 1.0 and bare["gold_bound"] == 1.0
    assert bare["ttft_median_s"] > 0 and bare["tokens_per_s"] > 0 and ro["ttft_median_s"] is None
    records = [json.loads(x) for x in preds.read_text(encoding="utf-8").splitlines()]
    assert [r["mode"] for r in records] == ["retrieval-only", "none"] * 2
    main(["eval", "generation", "--data", str(preds), "--rescore"])
    rescored = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rescored["modes"]["retrieval-only"]["rougeL"] == ro["rougeL"]


def test_retrieval_only_mode_is_what_ask_llm_none_answers(
    dev_file, tiny_index, capsys, tmp_path, monkeypatch
):
    from lawglm.cli import main

    monkeypatch.setenv("LAWGLM_INDEX_DIR", str(tiny_index))
    preds = tmp_path / "preds.jsonl"
    main(
        [
            "eval",
            "generation",
            "--data",
            dev_file,
            "--modes",
            "retrieval-only",
            "--top-k",
            "3",
            "--out",
            str(preds),
        ]
    )
    records = [json.loads(x) for x in preds.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2
    for rec in records:
        capsys.readouterr()
        main(["ask", rec["question"], "--llm", "none", "--top-k", "3", "--json"])
        answer = json.loads(capsys.readouterr().out)
        assert rec["answer"] == answer["answer"] and rec["answer"].startswith("结论：")
        assert rec["retrieved"] == [[h["law"], h["article_no"]] for h in answer["retrieved"]]


def test_eval_generation_grounded_shape_with_a_tiny_model(dev_file, tiny_index, tiny_gemma_dir):
    s = get_settings(model=str(tiny_gemma_dir), index_dir=tiny_index, answer_shape="grounded", device="cpu")
    report = evaluate_generation(
        GenEvalConfig(data=dev_file, modes=["none"], max_new_tokens=16, progress=False), s
    )
    m = report["modes"]["none"]
    assert report["shape"] == "grounded" and m["n"] == 2
    assert m["repeated_sentence_rate"] == 0.0 and m["supported_share"] >= 0.9  # 法律依据 is verbatim
    assert m["gold_hit"] == m["gold_bound"] == 1.0


def test_eval_generation_bad_data_and_unknown_adapter(tmp_path, dev_file, tiny_index, tiny_gemma_dir):
    from lawglm.answer.options import InvalidRequest
    from lawglm.errors import DataError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="bad.jsonl:1"):
        evaluate_generation(
            GenEvalConfig(data=str(bad), modes=["retrieval-only"]), get_settings(index_dir=tiny_index)
        )
    s = get_settings(model=str(tiny_gemma_dir), adapters_dir=tmp_path, index_dir=tiny_index, device="cpu")
    with pytest.raises(InvalidRequest, match="adapter"):
        evaluate_generation(GenEvalConfig(data=dev_file, modes=["no-such-adapter"], progress=False), s)
