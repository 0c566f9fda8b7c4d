"""The default corpus: laws.db + the LawRefBook documents shipped inside the package (statutes/shipped.py).

A fresh copy of the package alone, in a directory of its own, loads a default corpus that holds the judicial
interpretations and regulations; short names and 文号 resolve; the 「依据不完整」 notice stays quiet for
documents that are present; `build_shipped` / `lawglm corpus diff` on a made-up checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lawglm.answer.source_gaps import missing_sources
from lawglm.cli import main
from lawglm.settings import PACKAGE_DIR, default_corpus
from lawglm.statutes import shipped
from lawglm.statutes.corpus import Corpus
from lawglm.statutes.ingest import load_corpus
from lawglm.statutes.shipped_build import build_shipped

FRESH = """
import json, sys
from pathlib import Path
import lawglm
from lawglm.settings import default_corpus
from lawglm.statutes.ingest import load_corpus
assert Path(lawglm.__file__).resolve().is_relative_to(Path.cwd().resolve()), lawglm.__file__
c = load_corpus()
levels = {}
for a in c.articles:
    levels[a.level] = levels.get(a.level, 0) + 1
a = c.lookup("民间借贷规定", "第二十五条")
info = {"source": c.source, "levels": levels, "law": a.law, "status": a.status}
print(json.dumps(info, ensure_ascii=False))
"""


def test_a_fresh_copy_of_the_package_has_interpretations(tmp_path):
    pkg = tmp_path / "clone" / "lawglm"
    shutil.copytree(PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(pkg.parent), "LAWGLM_HOME": str(tmp_path / "home")}
    env.pop("LAWGLM_CORPUS", None)
    out = subprocess.run(
        [sys.executable, "-c", FRESH],
        cwd=pkg.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(info["source"]) == pkg / "data" / "corpus"
    assert info["levels"]["司法解释"] > 5000 and info["levels"]["行政法规"] > 10000
    assert info["levels"]["法律"] > 20000 and info["levels"].get("部门规章", 0) > 0
    assert (
        info["law"] == "最高人民法院关于审理民间借贷案件适用法律若干问题的规定"
        and info["status"] == "现行有效"
    )


def test_shipped_data_is_portable_and_matches_its_manifest():
    assert shipped.is_default(default_corpus())
    arts = shipped.read_shipped()
    info = shipped.manifest()
    assert all(a.source.startswith("lawrefbook:") for a in arts)  # no path of the machine that built it
    assert sum(n["articles"] for n in info["by_level"].values()) == len(arts)
    assert (Path(default_corpus()) / shipped.DATA_FILE).stat().st_size < 15_000_000
    assert not any(a.level == "案例" for a in arts)


@pytest.fixture(scope="module")
def default():
    return load_corpus()


def test_default_corpus_short_names_doc_numbers_and_versions(default):
    corpus = default
    assert corpus.lookup("民间借贷规定", "第二十五条").law.endswith("民间借贷案件适用法律若干问题的规定")
    assert corpus.lookup("婚姻家庭编解释二", "第八条").level == "司法解释"
    assert (
        corpus.lookup("法释〔2024〕1号", "2").law
        == "最高人民法院关于审理涉彩礼纠纷案件适用法律若干问题的规定"
    )
    assert corpus.lookup("工伤保险条例", "14").level == "行政法规"
    # 刑法: LawRefBook's 2023-12-29 text is newer than laws.db's 2020-12-26 one; the older is history
    versions = corpus.versions("中华人民共和国刑法", 20)
    assert versions[0].version_date == "2023-12-29" and versions[0].status == "现行有效"
    assert all(v.status == "历史版本" for v in versions[1:]) and len(versions) >= 2
    # a historical version of an interpretation is never in force
    assert not any(a.is_current for a in corpus.versions(
        "最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释", 1)[1:])


def test_source_gap_notice_quiet_when_the_document_is_present(default, tiny_articles):
    corpus = default
    for q in ("订婚时给的彩礼能要回来吗", "民间借贷利率上限是多少", "上班路上被撞算工伤吗"):
        assert missing_sources(q, corpus) == []
        assert missing_sources(q, Corpus(tiny_articles)) != []  # without them: the notice


def test_build_shipped_and_diff_on_a_made_up_checkout(tmp_path, tiny_articles, capsys):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_lawrefbook import LENDING, REG, make_checkout

    root = make_checkout(tmp_path / "lrb")
    out = tmp_path / "shipped"
    info = build_shipped(root, out, db_articles=list(tiny_articles))
    assert info["by_level"]["司法解释"]["documents"] == 2 and info["by_level"]["行政法规"]["documents"] == 2
    assert "中华人民共和国测试法典" in info["laws"]  # a law laws.db lacks
    first = (out / shipped.DATA_FILE).read_bytes()
    build_shipped(root, out, db_articles=list(tiny_articles))
    assert (out / shipped.DATA_FILE).read_bytes() == first  # deterministic
    c = load_corpus(out)
    assert c.lookup("测试借贷规定", "1").version_date == "2099-12-29" and c.require_law(REG) == REG
    assert c.get(LENDING, 1).is_current
    main(["corpus", "diff", str(root), "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert {r["law"]: r["choice"] for r in rows}["中华人民共和国测试法典"] == "lawrefbook"
