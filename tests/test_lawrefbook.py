"""The LawRefBook layout read as published: levels from folder + catalogue, versions side by side, the
catalogue's `expired`, dates from the event lines, cases and `_index.md` left out, split laws joined, and
`lawglm ingest` / `lawglm index update` on such a checkout.

The checkout is made in the test: invented titles (测试…) and invented text, none of it real law.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from lawglm.cli import main
from lawglm.records import CURRENT_STATUSES, HISTORICAL, REPEALED
from lawglm.statutes.corpus import Corpus
from lawglm.statutes.ingest import ingest_paths

PILOT = "人民检察院测试公益诉讼试点工作实施办法"  # a 司法解释 whose title looks like a 行政法规
LENDING = "最高人民法院关于审理测试借贷案件适用法律若干问题的规定"
REG = "测试保险条例"


def _doc(title: str, events: list[str], body: str, subtitle: str = "") -> str:
    head = f"# {title}\n\n" + (f"# {subtitle}\n\n" if subtitle else "") + "\n\n".join(events)
    return f"{head}\n\n<!-- INFO END -->\n\n{body}\n"


FILES = {
    f"司法解释/{PILOT}(2098-12-24).md": _doc(
        PILOT,
        ["2098年12月24日 测试委员会通过", "2098年12月24日 施行"],
        "第一条 测试公益诉讼由测试机关提起。\n\n第二条 测试机关应当先行测试。",
    ),
    f"司法解释/{LENDING}(2095-06-23).md": _doc(
        LENDING,
        ["2095年6月23日 测试审判委员会第1次会议通过", "2095年9月1日 施行"],
        "为测试，制定本规定。\n\n第一条 测试借贷的年利率不得超过百分之二十四。\n\n第二条 旧的第二条。",
    ),
    f"司法解释/{LENDING}(2099-12-29).md": _doc(
        LENDING,
        [
            "2095年6月23日 测试审判委员会第1次会议通过",
            "2099年12月23日 测试审判委员会第9次会议修正",
            "2100年1月1日 施行",
        ],
        "最高人民法院\n\n关于审理测试借贷案件\n\n为测试，制定本规定。\n\n"
        "第一条 测试借贷的利率不得超过合同成立时一年期测试利率的四倍。\n\n第二条 "
        "依照《中华人民共和国测试法典》第三条，"
        "借款人应当按期返还借款。",
    ),
    "司法解释/最高人民法院关于测试问题的批复.md": _doc(
        "最高人民法院关于测试问题的批复", ["2097年1月1日 通过"], "一、测试事项应当测试。\n\n二、此复。"
    ),
    f"行政法规/{REG}(2098-05-01).md": _doc(
        REG,
        ["2098年5月1日 中华人民共和国国务院令第999号公布", "2098年7月1日 施行"],
        "## 第一章 总则\n\n第一条 为了测试工伤认定，制定本条例。\n\n"
        "## 第二章 认定\n\n第二条 职工在测试岗位上受到伤害的，应当认定为测试工伤。",
    ),
    "行政法规/测试旧条例(2090-01-01).md": _doc(
        "测试旧条例", ["2090年1月1日 国务院发布"], "第一条 旧的测试规则。"
    ),
    "部门规章/测试部/测试程序规定(2097-03-01).md": _doc(
        "测试程序规定", ["2097年3月1日 测试部令第1号公布"], "第一条 测试程序依照本规定。"
    ),
    "民法典/总则.md": _doc(
        "中华人民共和国测试法典",
        ["2096年5月28日 测试大会通过", "2097年1月1日 施行"],
        "第一条 测试法典总则。\n\n第二条 测试法典第二条。\n\n第三条 借款人应当按期返还借款。",
        subtitle="总则",
    ),
    "民法典/合同编.md": _doc(
        "中华人民共和国测试法典",
        ["2096年5月28日 测试大会通过", "2097年1月1日 施行"],
        "第四条 测试合同编第四条。",
        subtitle="合同编",
    ),
    "案例/测试类/测试案例一.md": _doc("测试案例一", ["2099年1月1日 发布"], "第一条 这是一个案例，不是法条。"),
    "司法解释/_index.md": "---\nbookCollapseSection: true\n---\n",
    "法律法规模版.md": _doc("某条法律的标题", ["1990年01月23日 发生了什么事情"], "第一条 xxxxx"),
}
CATALOGUE = [  # (level, name, publish, expired, valid_from, folder)
    ("司法解释", PILOT, "2098-12-24", 1, "2098-12-24", "司法解释"),
    ("司法解释", LENDING, "2095-06-23", 0, "2095-09-01", "司法解释"),
    ("司法解释", LENDING, "2099-12-29", 0, "", "司法解释"),
    ("司法解释", "最高人民法院关于测试问题的批复", None, 0, None, "司法解释"),
    ("行政法规", REG, "2098-05-01", 0, None, "行政法规"),
    ("行政法规", "测试旧条例", "2090-01-01", 1, None, "行政法规"),
    ("部门规章", "测试程序规定", "2097-03-01", 0, None, "部门规章/测试部"),
    ("案例", "测试案例一", None, 0, None, "案例/测试类"),
]


def make_checkout(root: Path) -> Path:
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    con = sqlite3.connect(root / "db.sqlite3")
    con.execute("CREATE TABLE category (id TEXT PRIMARY KEY, name TEXT, folder TEXT, isSubFolder INTEGER)")
    con.execute("CREATE TABLE law (id TEXT PRIMARY KEY, level TEXT, name TEXT, filename TEXT, publish DATE, "
                "expired INTEGER, valid_from DATE, ver INTEGER, category_id TEXT)")
    for i, (level, name, publish, expired, valid_from, folder) in enumerate(CATALOGUE):
        con.execute("INSERT OR IGNORE INTO category VALUES (?, ?, ?, 0)", (folder, folder, folder))
        con.execute("INSERT INTO law VALUES (?, ?, ?, NULL, ?, ?, ?, 0, ?)",
                    (str(i), level, name, publish, expired, valid_from, folder))
    con.commit()
    con.close()
    return root


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    return make_checkout(tmp_path_factory.mktemp("lawrefbook"))


@pytest.fixture(scope="module")
def ingested(checkout):
    return ingest_paths([checkout])


def _first(result, law, version=""):
    return next(a for a in result.articles if a.law == law and a.article_no == 1
                and (not version or a.version_date == version))


def test_levels_come_from_folder_and_catalogue_not_the_title(ingested):
    levels = ingested.report.levels
    assert levels[PILOT] == "司法解释"  # the title (…实施办法) would say 行政法规
    assert levels[LENDING] == "司法解释"
    assert levels[REG] == "行政法规"
    assert levels["测试程序规定"] == "部门规章"
    assert levels["中华人民共和国测试法典"] == "法律"


def test_cases_index_files_and_template_are_not_statutes(ingested):
    laws = set(ingested.report.laws)
    assert "测试案例一" not in laws and "某条法律的标题" not in laws
    assert not any("_index" in f or "案例" in f or "模版" in f for f in ingested.report.files)
    # a 批复 numbered 一、二、 has no 第N条: skipped with a warning, never renumbered into articles
    assert "最高人民法院关于测试问题的批复" not in laws
    assert any(
        "最高人民法院关于测试问题的批复" in w for w in ingested.report.skipped + ingested.report.warnings
    )


def test_versions_side_by_side_and_history(ingested):
    old, new = _first(ingested, LENDING, "2095-06-23"), _first(ingested, LENDING, "2099-12-29")
    assert old.status == HISTORICAL and new.status == "现行有效"
    assert old.law_id != new.law_id
    assert "四倍" in new.text and "百分之二十四" in old.text
    assert (old.effective_date, new.effective_date) == ("2095-09-01", "2100-01-01")
    corpus = Corpus(ingested.articles)
    assert corpus.get(LENDING, 1).version_date == "2099-12-29"  # the current version first
    assert [a.status for a in corpus.versions(LENDING, 1)] == ["现行有效", HISTORICAL]


def test_expired_in_catalogue_is_repealed_and_never_shown_in_force(ingested):
    pilot = _first(ingested, PILOT)
    assert pilot.status == REPEALED and not pilot.is_current
    old_reg = _first(ingested, "测试旧条例")
    assert old_reg.status == REPEALED
    historical = [a for a in ingested.articles if a.law == LENDING and a.version_date == "2095-06-23"]
    assert historical and all(a.status not in CURRENT_STATUSES for a in historical)


def test_dates_document_number_headings(ingested):
    reg = [a for a in ingested.articles if a.law == REG]
    assert [a.article_no for a in reg] == [1, 2]
    assert reg[0].doc_no == "国务院令第999号" and reg[0].version_date == "2098-05-01"
    assert reg[0].effective_date == "2098-07-01"
    assert reg[1].chapter.startswith("第二章")
    # the preamble and the title set over three lines are not articles
    assert [
        a.article_no for a in ingested.articles if a.law == LENDING and a.version_date == "2099-12-29"
    ] == [1, 2]


def test_parts_of_a_split_law_are_one_law(ingested):
    code = [a for a in ingested.articles if a.law == "中华人民共和国测试法典"]
    assert sorted(a.article_no for a in code) == [1, 2, 3, 4]
    assert len({a.law_id for a in code}) == 1 and all(a.status == "现行有效" for a in code)
    assert not any("starts at article" in w for w in ingested.report.warnings)


def test_a_subfolder_of_the_checkout_reads_the_catalogue_too(checkout):
    result = ingest_paths([checkout / "司法解释"])
    assert result.report.levels[PILOT] == "司法解释"
    assert _first(result, PILOT).status == REPEALED


def test_cli_ingest_reports_levels(checkout, capsys):
    main(["ingest", str(checkout), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["levels"][PILOT] == "司法解释"


def test_index_update_on_a_checkout(tiny_index, checkout, tmp_path, capsys):
    index_dir = tmp_path / "index"
    shutil.copytree(tiny_index, index_dir)
    main(["index", "update", str(checkout), "--index-dir", str(index_dir)])
    capsys.readouterr()
    main(
        [
            "search",
            "测试借贷利率上限",
            "--index-dir",
            str(index_dir),
            "--level",
            "司法解释",
            "-k",
            "3",
            "--json",
        ]
    )
    hits = json.loads(capsys.readouterr().out)
    assert hits and hits[0]["law"] == LENDING and hits[0]["status"] == "现行有效"
    main(["search", "测试公益诉讼", "--index-dir", str(index_dir), "--status", "all", "-k", "3", "--json"])
    pilot = [h for h in json.loads(capsys.readouterr().out) if h["law"] == PILOT]
    assert pilot and all(h["status"] == REPEALED for h in pilot)
