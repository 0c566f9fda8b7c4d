"""Retrieval evaluation: metrics on a gold file built in the test, malformed input, the CLI contract."""

from __future__ import annotations

import json

import pytest

from lawglm.cli import main
from lawglm.errors import DataError
from lawglm.eval.retrieval import evaluate_retrieval, metrics_from_ranks, read_retrieval_data
from lawglm.search.retrieval import Retriever


def write_gold(path, rows) -> str:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return str(path)


GOLD = [
    {"query": "《民法典》第1254条", "gold": [{"law": "中华人民共和国民法典", "article_no": 1254}]},
    # short law names in the gold file resolve like user input
    {
        "query": "刑法第二十条",
        "gold": [{"law": "刑法", "article_no": 20}, {"law": "刑法", "article_no": 999}],
    },
    {
        "query": "民法典第五十四条",
        "gold": [{"law": "中华人民共和国民法典", "article_no": 9999}],
    },  # unreachable
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
    bad.write_text(
        '{"query": "x", "gold": [{"law": "刑法", "article_no": 20}]}\nnot json\n', encoding="utf-8"
    )
    with pytest.raises(SystemExit) as exc:
        main(["eval", "retrieval", "--data", str(bad), "--index-dir", str(tiny_index)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}:2" in err[0]


def test_the_held_back_third_is_sha1_of_the_id_mod_3(tmp_path):
    import hashlib

    from lawglm.eval.retrieval import is_held_out, select_split

    ids = [f"scen-x-{i:03d}" for i in range(60)]
    expect = {i for i in ids if int(hashlib.sha1(i.encode()).hexdigest(), 16) % 3 == 0}
    assert {i for i in ids if is_held_out(i)} == expect and 10 < len(expect) < 30
    rows = [{"id": i, "query": f"q{i}", "gold": [{"law": "刑法", "article_no": 20}]} for i in ids]
    path = write_gold(tmp_path / "s.jsonl", rows)
    held, dev = read_retrieval_data(path, "heldout"), read_retrieval_data(path, "dev")
    assert {e.id for e in held} == expect and not {e.id for e in dev} & expect
    assert len(held) + len(dev) == len(read_retrieval_data(path)) == 60
    assert select_split(dev, "all") == dev
    no_ids = write_gold(tmp_path / "n.jsonl", [{k: v for k, v in r.items() if k != "id"} for r in rows])
    assert len(read_retrieval_data(no_ids, "dev")) == 60  # rows without an id are never held back
    with pytest.raises(DataError, match="no examples in split"):
        read_retrieval_data(no_ids, "heldout")
    both = read_retrieval_data(str(tmp_path / "[sn].jsonl"), "heldout")  # a glob reads every match
    assert {e.id for e in both} == expect
    with pytest.raises(DataError, match="unknown split"):
        read_retrieval_data(path, "test")


def test_gold_sub_articles_and_metadata_are_read(tmp_path):
    path = write_gold(
        tmp_path / "g.jsonl",
        [
            {
                "id": "a-1",
                "query": "x",
                "department": "刑法",
                "law_named": True,
                "gold": [{"law": "刑法", "article_no": 120, "sub_no": 1}],
            }
        ],
    )
    ex = read_retrieval_data(path)[0]
    assert (
        ex.gold == (("刑法", 120, 1),) and ex.department == "刑法" and ex.law_named is True and ex.id == "a-1"
    )
    bad = write_gold(
        tmp_path / "b.jsonl", [{"query": "x", "gold": [{"law": "刑法", "article_no": 1, "sub_no": -1}]}]
    )
    with pytest.raises(DataError, match="sub_no"):
        read_retrieval_data(bad)


def test_generated_lookups_name_real_articles_and_are_found_first(tiny_index, corpus):
    from lawglm.eval.retrieval import lookup_examples

    examples = lookup_examples(corpus, 40, seed=1)
    assert examples == lookup_examples(corpus, 40, seed=1)  # seeded
    assert any(
        e.query.endswith("的内容是什么？")
        and e.query.startswith(("民法商法", "刑法", "行政法", "经济法", "社会法"))
        for e in examples
    )
    for e in examples:
        law, no, sub = e.gold[0]
        assert corpus.get(law, no, sub).is_current
    r = Retriever.load(tiny_index)
    tiny = lookup_examples(r.corpus, 30)
    assert evaluate_retrieval(r, tiny)["recall@1"] == 1.0


def test_cli_compare_prints_every_retriever_for_every_set(tiny_index, tmp_path, capsys):
    gold = write_gold(tmp_path / "gold.jsonl", GOLD)
    main(
        ["eval", "retrieval", "--data", gold, "--lookups", "10", "--compare", "--index-dir", str(tiny_index)]
    )
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert set(result["sets"]) == {"gold.jsonl", "look-ups (generated, n=10)"}
    for rows in result["sets"].values():
        assert list(rows) == ["plain bm25s (char 1+2-grams)", "lawglm bm25 half", "lawglm dense half",
                              "lawglm v1 fusion (0.4/0.6)", "lawglm fused (default)"]
    assert result["sets"]["look-ups (generated, n=10)"]["lawglm fused (default)"]["recall@1"] == 1.0
    text = "\n".join(out[:-1])
    assert "plain bm25s" in text and "gold.jsonl (n=3)" in text


def test_cli_by_department_and_law(tiny_index, tmp_path, capsys):
    gold = write_gold(tmp_path / "gold.jsonl", GOLD)
    main(["eval", "retrieval", "--data", gold, "--by", "law", "--index-dir", str(tiny_index)])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    by = result["by"]["gold.jsonl"]["lawglm"]
    assert by["民法典"]["n"] == 2 and by["刑法"] == {
        "n": 1,
        "recall@1": 1.0,
        "recall@5": 1.0,
        "recall@10": 1.0,
        "mrr@10": 1.0,
    }
    main(
        [
            "eval",
            "retrieval",
            "--data",
            gold,
            "--by",
            "department",
            "--compare",
            "--index-dir",
            str(tiny_index),
        ]
    )
    out = capsys.readouterr().out
    result = json.loads(out.strip().splitlines()[-1])
    assert set(result["by"]["gold.jsonl"]["plain bm25s (char 1+2-grams)"]) == {"民法商法", "刑法"}
    assert "recall@10 by department" in out


def test_cli_by_area_and_level(tiny_index, tmp_path, capsys):
    rows = [{**GOLD[0], "area": "neighbours", "level": "法律"}, {**GOLD[1], "area": "criminal"},
            {**GOLD[2], "area": "neighbours", "level": "司法解释"}]
    gold = write_gold(tmp_path / "gold.jsonl", rows)
    assert [e.area for e in read_retrieval_data(gold)] == ["neighbours", "criminal", "neighbours"]
    main(["eval", "retrieval", "--data", gold, "--by", "area", "--index-dir", str(tiny_index)])
    by = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["by"]["gold.jsonl"]["lawglm"]
    assert by["neighbours"]["n"] == 2 and by["neighbours"]["recall@1"] == 0.5
    assert by["criminal"]["recall@1"] == 1.0
    main(["eval", "retrieval", "--data", gold, "--by", "level", "--index-dir", str(tiny_index)])
    by = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["by"]["gold.jsonl"]["lawglm"]
    # a row without a level field takes its gold document's level (刑法: a 法律 in the fixture corpus)
    assert by["司法解释"] == {"n": 1, "recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0}
    assert by["法律"]["n"] == 2 and by["法律"]["recall@1"] == 1.0


def test_cli_eval_needs_some_data(tiny_index, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["eval", "retrieval", "--index-dir", str(tiny_index)])
    assert exc.value.code == 2 and "--data" in capsys.readouterr().err
