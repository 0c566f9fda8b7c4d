"""Judicial interpretations and regulations: recognised on ingest (level, 文号, short names), cited and
verified, filtered by level in retrieval, and a notice when the source a question needs is missing.

Every document here is made up in the test (invented titles such as 测试法典 / 测试保险条例 and invented
text); none is real law text.
"""

from __future__ import annotations

import json
import shutil

import pytest

from lawglm.cli import main
from lawglm.statutes.citations import verify
from lawglm.statutes.corpus import Corpus
from lawglm.statutes.ingest import ingest_paths
from lawglm.statutes.levels import INTERPRETATION, LAW, REGULATION, doc_number, level_of, short_names

INTERP = "最高人民法院关于适用《中华人民共和国测试法典》测试编的解释（一）"
LENDING = "最高人民法院关于审理测试借贷案件适用法律若干问题的规定"
REG = "测试保险条例"
INTERP_TEXT = f"""# {INTERP.replace('《', '〈').replace('》', '〉')}

法释〔2099〕7号

（2099年1月2日最高人民法院审判委员会第1次会议通过，自2099年3月1日起施行）

第一条　测试编所称的测试礼金，是指一方为缔结测试关系给付的财物。
第二条　测试礼金在下列情形下应当返还：（一）未办理测试登记的；（二）测试后未共同生活的。
第三条　本解释自2099年3月1日起施行。
"""
LENDING_TEXT = f"""{LENDING}
（法释[2098]3号）
第一条　测试借贷的利率不得超过测试上限。
第二条　依照本规定第一条，超过部分不予支持。
"""
REG_TEXT = f"""{REG}
（2098年5月1日中华人民共和国国务院令第999号公布　自2098年7月1日起施行）
第一条　为了测试工伤认定，制定本条例。
第二条　职工在测试岗位上受到伤害的，应当认定为测试工伤。
"""


@pytest.fixture(scope="module")
def doc_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    (d / "interp.md").write_text(INTERP_TEXT, encoding="utf-8")
    (d / "lending.txt").write_text(LENDING_TEXT, encoding="utf-8")
    (d / "reg.txt").write_text(REG_TEXT, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def docs(doc_dir):
    return ingest_paths([doc_dir])


@pytest.fixture(scope="module")
def mixed(docs, tiny_articles):
    """The tiny statute corpus plus the made-up interpretation, rule and regulation."""
    return Corpus([*tiny_articles, *docs.articles], source="mixed")


# --- what a title says ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "title, level",
    [
        (INTERP, INTERPRETATION),
        (LENDING, INTERPRETATION),
        ("最高人民法院、最高人民检察院关于办理测试刑事案件的解释", INTERPRETATION),
        ("最高人民法院关于测试问题的批复", INTERPRETATION),
        (REG, REGULATION),
        ("中华人民共和国测试法实施条例", REGULATION),
        ("中华人民共和国测试法", LAW),
        ("测试法典", LAW),
        ("测试工作的通知", ""),
    ],
)
def test_level_from_title(title, level):
    assert level_of(title) == level


def test_document_numbers_and_short_names():
    assert doc_number("（法释[2098]3号）") == "法释〔2098〕3号"
    assert doc_number("中华人民共和国国务院令 第 999 号") == "国务院令第999号"
    assert doc_number("第一条　测试") == ""
    assert short_names(LENDING) == ["测试借贷规定"]
    names = short_names(INTERP)
    assert {"测试编解释一", "测试编解释（一）", "测试法典测试编解释一", "测试编司法解释一"} <= set(names)
    assert short_names("中华人民共和国测试法实施条例") == ["测试法实施条例"]
    assert short_names("中华人民共和国测试法") == []


# --- ingest ----------------------------------------------------------------------------------------
def test_ingest_recognises_interpretations_and_regulations(docs):
    by_law = {a.law: a for a in docs.articles}
    assert set(by_law) == {INTERP, LENDING, REG}  # the inner 《》 kept, （一） part of the name
    assert (by_law[INTERP].level, by_law[INTERP].doc_no) == (INTERPRETATION, "法释〔2099〕7号")
    assert (by_law[LENDING].level, by_law[LENDING].doc_no) == (INTERPRETATION, "法释〔2098〕3号")
    assert (by_law[REG].level, by_law[REG].doc_no) == (REGULATION, "国务院令第999号")
    assert by_law[INTERP].effective_date == "2099-03-01" and by_law[REG].effective_date == "2098-07-01"
    assert docs.report.levels[INTERP] == INTERPRETATION and not docs.report.warnings
    assert any(line.endswith("[行政法规]") for line in docs.report.lines())


def test_level_header_wins_over_the_title(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("测试管理条例\n效力级别：地方性法规\n第一条　测试。\n", encoding="utf-8")
    (art,) = ingest_paths([path]).articles
    assert art.level == "地方性法规"


def test_jsonl_level_defaults_from_the_title(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"law": REG, "article_no": 1, "text": "测试。"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    (art,) = ingest_paths([path]).articles
    assert art.level == REGULATION


def test_cli_ingest_shows_levels(doc_dir, capsys):
    main(["ingest", str(doc_dir)])
    out = capsys.readouterr().out
    assert f"{INTERP}: 3 [司法解释]" in out and f"{REG}: 2 [行政法规]" in out


# --- citations -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, law, no", [
    (f"《{INTERP}》第二条", INTERP, 2),
    ("《最高人民法院关于适用〈中华人民共和国测试法典〉测试编的解释（一）》第二条", INTERP, 2),
    ("《最高人民法院关于适用《中华人民共和国测试法典》测试编的解释(一)》第一条", INTERP, 1),
    ("依据《测试编解释一》第二条", INTERP, 2),
    ("测试编解释（一）第一条", INTERP, 1),
    ("根据测试法典测试编司法解释一第二条", INTERP, 2),
    ("《法释〔2099〕7号》第一条", INTERP, 1),
    ("《测试借贷规定》第二条", LENDING, 2),
    ("测试借贷规定第1条", LENDING, 1),
    (f"《{REG}》第二条", REG, 2),
])
def test_citations_to_interpretations_verify(mixed, text, law, no):
    (c,) = verify(text, mixed)
    assert (c.law, c.article_no, c.reason) == (law, no, "valid")


def test_this_interpretation_and_connectives(mixed):
    got = verify("依据《测试借贷规定》第一条，以及本规定第二条；《测试编解释一》第一条和本解释第二条", mixed)
    assert [(c.law, c.article_no, c.reason) for c in got] == [
        (LENDING, 1, "valid"), (LENDING, 2, "valid"), (INTERP, 1, "valid"), (INTERP, 2, "valid")]
    (c,) = verify("《测试编解释一》第九十九条", mixed)
    assert c.reason == "article_not_found"


def test_a_short_name_two_documents_share_names_neither(docs, tiny_articles):
    from dataclasses import replace

    twin = [replace(a, law=INTERP.replace("（一）", "（二）"), law_id="twin")
            for a in docs.articles if a.law == INTERP]
    corpus = Corpus([*docs.articles, *twin])
    assert corpus.resolve_law("测试编解释一") == INTERP and corpus.resolve_law("测试编解释二") == twin[0].law
    clash = [replace(a, law="最高人民法院关于审理测试借贷纠纷案件的规定", law_id="clash", doc_no="")
             for a in docs.articles if a.law == LENDING]
    corpus = Corpus([*docs.articles, *clash])
    assert corpus.resolve_law("测试借贷规定") is None  # 测试借贷规定 would name both


# --- retrieval by level and the index update path --------------------------------------------------
@pytest.fixture(scope="module")
def updated_index(tiny_index, doc_dir, tmp_path_factory):
    from lawglm.search.updates import apply_update

    dest = tmp_path_factory.mktemp("doc-index") / "index"
    shutil.copytree(tiny_index, dest)
    apply_update(dest, [doc_dir], progress=False)
    return dest


def test_index_update_then_search_by_level(updated_index):
    from lawglm.search.retrieval import Retriever

    r = Retriever.load(updated_index)
    assert set(r.levels()) >= {INTERPRETATION, REGULATION, LAW}
    hits = r.search("测试礼金在什么情形下应当返还", 3, level="司法解释")
    assert hits and all(h.article.level == INTERPRETATION for h in hits) and hits[0].article.law == INTERP
    hits = r.search("测试工伤认定", 5, level="regulation")
    assert hits and {h.article.law for h in hits} == {REG}
    hits = r.search("借款利息", 5, level="法律")
    assert hits and all(h.article.level == LAW for h in hits)
    assert {h.article.level for h in r.search("测试", 10, level="司法解释,行政法规")} <= {
        INTERPRETATION,
        REGULATION,
    }
    from lawglm.errors import InvalidQuery

    with pytest.raises(InvalidQuery, match="level"):
        r.search("借款", 5, level="部门规章")
    assert r.corpus.resolve_law("测试编解释一") == INTERP  # aliases survive the index snapshot
    assert r.corpus.get(INTERP, 1).doc_no == "法释〔2099〕7号"


def test_cli_search_level(updated_index, capsys):
    main(
        [
            "search",
            "测试礼金返还",
            "--index-dir",
            str(updated_index),
            "--level",
            "司法解释",
            "-k",
            "2",
            "--json",
        ]
    )
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["level"] == INTERPRETATION for r in rows)
    with pytest.raises(SystemExit) as exc:
        main(["search", "测试", "--index-dir", str(updated_index), "--level", "火星规章"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code != 0 and len(err) == 1 and "level" in err[0]


def test_http_level_field(make_client, updated_index):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    client = make_client(Assistant.from_settings(Settings(llm="none", index_dir=updated_index)))
    r = client.get("/v1/statutes/search", params={"q": "测试工伤认定", "level": "行政法规"})
    assert r.status_code == 200 and {h["law"] for h in r.json()["hits"]} == {REG}
    r = client.post("/v1/legal/ask", json={"question": "测试礼金什么时候应当返还？", "level": "司法解释"})
    assert r.status_code == 200 and {h["level"] for h in r.json()["retrieved"]} == {INTERPRETATION}
    r = client.post("/v1/legal/ask", json={"question": "测试", "level": "火星规章"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "level"]
    assert client.get("/v1/statutes/search", params={"q": "测试", "level": "火星规章"}).status_code == 422


# --- the source a question needs is missing -----------------------------------------------------
def test_missing_sources_are_named(tiny_corpus):
    from lawglm.answer.source_gaps import missing_sources, notice

    (gap,) = missing_sources("结婚前给的彩礼，离婚后能要回来吗？", tiny_corpus)
    assert gap.topic == "彩礼" and gap.level == INTERPRETATION
    assert "依据不完整" in notice([gap]) and "婚姻家庭编的解释" in notice([gap])
    assert [g.topic for g in missing_sources("工伤认定要多久？民间借贷利率上限是多少？", tiny_corpus)] == \
        ["民间借贷利率", "工伤认定"]
    assert missing_sources("公司拖欠工资怎么办", tiny_corpus) == []


def test_a_loaded_source_closes_the_gap(tiny_articles):
    from dataclasses import replace

    from lawglm.answer.source_gaps import missing_sources

    # a made-up article filed under the title the topic needs: the gap is closed once the document is loaded
    stand_in = replace(
        tiny_articles[0], law="工伤保险条例", law_id="stand-in", text="测试条文。", level=REGULATION
    )
    assert missing_sources("工伤认定", Corpus([*tiny_articles, stand_in])) == []


def test_answer_says_its_sources_are_incomplete(retrieval_assistant):
    ans = retrieval_assistant.ask("男方给的彩礼，离婚时可以要求返还吗？")
    assert ans.answer.startswith("【依据不完整】彩礼")
    assert ans.sections.sources_incomplete[0]["topic"] == "彩礼"
    head = ans.answer.index("\n\n") + 2
    assert ans.citations and all(
        c.span[0] >= head and "条" in ans.answer[c.span[0] : c.span[1]] for c in ans.citations
    )  # spans still point at the citations after the notice
    streamed = "".join(x for x in retrieval_assistant.stream("彩礼能退吗？") if isinstance(x, str))
    assert streamed.startswith("【依据不完整】")
    plain = retrieval_assistant.ask("从建筑物中抛掷物品造成他人损害的，由谁承担侵权责任？")
    assert "依据不完整" not in plain.answer and plain.sections.sources_incomplete is None


def test_lookup_and_verify_read_the_index(updated_index, doc_dir, tmp_path, capsys):
    """Documents added with `index update` are what lookup and verify see too (names, short names, 文号),
    and `verify --corpus DIR` adds DIR's documents to the defaults instead of replacing them."""
    from live import run_cli

    where = ["--index-dir", str(updated_index)]
    for name in ("测试借贷规定", "法释〔2098〕3号", LENDING):
        code, out, err = run_cli(["lookup", name, "2", *where], capsys)
        assert code == 0 and out.startswith(f"《{LENDING}》第二条") and "超过部分不予支持" in out, (name, err)
    code, out, _ = run_cli(["lookup", "《测试编解释一》第一条", *where], capsys)
    assert code == 0 and "测试礼金，是指" in out
    code, out, _ = run_cli(
        ["verify", "依据《测试借贷规定》第二条和《民法典》第一千二百五十四条", *where], capsys
    )
    assert code == 0 and out.count("✓") == 2
    code, out, _ = run_cli(
        ["verify", "依据《测试借贷规定》第二条", "--index-dir", str(tmp_path / "none")], capsys
    )
    assert code == 3 and "law_not_found" in out  # not in the default corpus
    for index_dir in (tmp_path / "none", updated_index):  # --corpus on top of laws.db, or of the index
        code, out, err = run_cli(["verify", "依据《测试借贷规定》第二条和《民法典》第一千二百五十四条",
                                  "--corpus", str(doc_dir), "--index-dir", str(index_dir)], capsys)
        assert code == 0 and out.count("✓") == 2, err


def test_one_level_check_for_options_search_and_the_early_check(updated_index):
    """The request options, the search filter and the manifest-only check refuse a level with the same words
    (statutes.levels.check_levels): against the index's levels once it is loaded, else against every level."""
    from lawglm.answer.options import AskOptions, InvalidRequest, Limits, validate
    from lawglm.errors import InvalidQuery
    from lawglm.search.retrieval import Retriever, check_request
    from lawglm.settings import get_settings

    r = Retriever.load(updated_index)
    held = "(this index holds: " + ", ".join(r.levels()) + ")"
    with pytest.raises(InvalidQuery) as searched:
        r.search("借款", 5, level="法律,部门规章")
    limits = Limits(get_settings(), levels=tuple(r.levels()))
    with pytest.raises(InvalidRequest) as asked:
        validate(AskOptions("借款", level="法律,部门规章"), limits)
    assert str(searched.value) == str(asked.value) == f"level: unknown level '部门规章' {held}"
    check_request(updated_index, "借款", 5, level="部门规章")  # a level there is: the index decides later
    with pytest.raises(InvalidQuery, match=r"^level: unknown level '国际条约' \(one of: 法律, "):
        check_request(updated_index, "借款", 5, level="国际条约")
    assert validate(AskOptions("借款", level="regulation，司法解释"), limits).level == "行政法规,司法解释"
