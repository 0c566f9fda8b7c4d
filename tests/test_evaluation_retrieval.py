"""Retrieval evaluation: metrics on a gold file built in the test, malformed input, the CLI contract."""

from __future__ import annotations

import json

import pytest

from lawglm.cli import main
from lawglm.errors import DataError
from lawglm.evaluation import evaluate_retrieval, metrics_from_ranks, read_retrieval_data
from lawglm.retrieval import Retriever


def write_gold(path, rows) -> str:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return str(path)


GOLD = [
    {"query": "《民法典》第1254条", "gold": [{"law": "中华人民共和国民法典", "article_no": 1254}]},
    # short law names in the gold file resolve like user input
    {"query": "刑法第二十条", "gold": [{"law": "刑法", "article_no": 20}, {"law": "刑法", "article_no": 999}]},
    {"query": "民法典第五十四条", "gold": [{"law": "中华人民共和国民法典", "article_no": 9999}]},  # unreachable
]


def test_metrics_from_ranks_by_hand():
    m = metrics_from_ranks([0, 2, None, 7], seconds=0.4)
    assert m == {"n": 4, "recall@1": 0.25, "recall@5": 0.5, "recall@10": 0.75,
                 "mrr@10": round((1 + 1 / 3 + 1 / 8) / 4, 4), "ms_per_query": 100.0}
    assert metrics_from_ranks([11], 0.0, k=20)["recall@20"] == 1.0


def test_evaluate_retrieval_counts_any_gold_hit(tiny_index, tmp_path):
    examples = read_retrieval_data(write_gold(tmp_path / "gold.jsonl", GOLD))
    m = evaluate_retrieval(Retriever.load(tiny_index), examples)
    assert m["n"] == 3 and m["recall@1"] == round(2 / 3, 4) and m["recall@10"] == round(2 / 3, 4)
    assert m["mrr@10"] == round(2 / 3, 4) and m["ms_per_query"] > 0


@pytest.mark.parametrize("content, where", [
    ('{"query": "x", "gold": [{"law": "刑法", "article_no": 20}]}\n{broken\n', ":2: invalid JSON"),
    ('\n{"query": "", "gold": [{"law": "刑法", "article_no": 20}]}\n', ":2: 'query'"),
    ('{"query": "x", "gold": []}\n', ":1: 'gold'"),
    ('{"query": "x", "gold": [{"law": "刑法", "article_no": "二十"}]}\n', ":1: gold 'article_no'"),
    ('{"query": "x", "gold": [{"article_no": 20}]}\n', ":1: every gold entry"),
    ('["x"]\n', ":1: expected a JSON object"),
    ("\n\n", "no examples"),
])
def test_malformed_gold_file_names_file_and_line(tmp_path, content, where):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_retrieval_data(path)
    assert str(path) in str(err.value) and where in str(err.value)


def test_cli_eval_retrieval_last_line_is_json(tiny_index, tmp_path, capsys):
    gold = write_gold(tmp_path / "gold.jsonl", GOLD)
    main(["eval", "retrieval", "--data", gold, "--index-dir", str(tiny_index), "-k", "5"])
    out = capsys.readouterr().out.strip().splitlines()
    metrics = json.loads(out[-1])
    assert set(metrics) >= {"n", "recall@1", "recall@5", "recall@10", "mrr@10", "ms_per_query"}
    assert metrics["n"] == 3 and any(line.startswith("recall@5") for line in out[:-1])


def test_cli_eval_retrieval_malformed_file_is_one_error_line(tiny_index, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "gold": [{"law": "刑法", "article_no": 20}]}\nnot json\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["eval", "retrieval", "--data", str(bad), "--index-dir", str(tiny_index)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}:2" in err[0]
