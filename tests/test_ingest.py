"""Statute ingestion: text/Markdown/JSONL/db parsing, encodings, report warnings and errors, versions."""

from __future__ import annotations

import json

import pytest

from lawglm.records import HISTORICAL, REPEALED
from lawglm.statutes.corpus import Corpus, write_jsonl
from lawglm.statutes.ingest import IngestError, ingest_paths, load_corpus, resolve_versions

# our own fake statute (never real law text): 编/分编/章/节, 目录, 之一, a paragraph that starts
# with 第X条 (a reference, not an article), 附则 and an effective-date clause
FAKE_LAW = """# 中华人民共和国测试法

（2020年1月2日第十三届全国人民代表大会常务委员会第一次会议通过　根据2023年12月29日第十四届全国人民代表大会
常务委员会第七次会议修订）

目　　录

第一编　总　则
第一章　一般规定
第二章　附则

第一编　总　则
第一章　一般规定

**第一条**　为了测试解析器，制定本法。

第二条　测试应当遵守下列规定：
（一）不得编造条文；
（二）第三条规定的情形除外。
第二十条规定的内容，本款不适用。

第一节　细　则
第三条　测试条文第三条。
第三条之一　测试子条。

第二分编　分则
第二章　附　则
第一百零一条　本法自2024年7月1日起施行。
"""


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def render_law(articles, title, header="") -> str:
    """Published-text rendering of real articles from laws.db (chapter headings, 第X条　text)."""
    out, chapter, section = [title, header, "目录"], None, None
    chapters = list(dict.fromkeys(a.chapter for a in articles if a.chapter))
    out += chapters
    for a in articles:
        if a.chapter != chapter and a.chapter:
            out.append(a.chapter.replace(" ", "　"))
            chapter = a.chapter
        if a.section != section and a.section:
            out.append(a.section)
        section = a.section
        first, *rest = a.text.split("\n")
        out.append(f"{a.label}　{first}")
        out.extend("　　" + p for p in rest)
    return "\n".join(out) + "\n"


def test_fake_law_structure(tmp_path):
    res = ingest_paths([write(tmp_path / "测试法.md", FAKE_LAW)])
    arts = {a.label: a for a in res.articles}
    assert list(arts) == ["第一条", "第二条", "第三条", "第三条之一", "第一百零一条"]
    law = "中华人民共和国测试法"
    assert {a.law for a in res.articles} == {law}
    assert arts["第一条"].text == "为了测试解析器，制定本法。"
    assert arts["第一条"].chapter == "第一章 一般规定" and arts["第一条"].section == ""
    # paragraphs (款) joined by newlines; a line starting with 第二十条规定 is a paragraph
    assert arts["第二条"].text.split("\n") == [
        "测试应当遵守下列规定：",
        "（一）不得编造条文；",
        "（二）第三条规定的情形除外。",
        "第二十条规定的内容，本款不适用。",
    ]
    assert arts["第三条之一"].sub_no == 1 and arts["第三条之一"].section == "第一节 细则"
    assert arts["第一百零一条"].article_no == 101 and arts["第一百零一条"].chapter == "第二章 附则"
    assert arts["第一百零一条"].section == ""
    # dates: version = latest adoption date, effective = 自…起施行
    assert {(a.effective_date, a.version_date, a.status) for a in res.articles} == {
        ("2024-07-01", "2023-12-29", "现行有效")}
    # the 目录 block produced no articles and no warnings about headings; the gap 3 -> 101 is reported
    assert any("skips from article 3 to 101" in w and "测试法.md:" in w for w in res.report.warnings)
    assert res.report.ok and res.report.laws == {law: 5} and res.report.articles == 5


def test_real_law_round_trip(corpus, tmp_path):
    law = "中华人民共和国劳动合同法"
    real = sorted(corpus.law_articles(law), key=lambda a: (a.article_no, a.sub_no))
    path = write(tmp_path / "ldht.txt", render_law(real, law, "（2007年6月29日通过）"))
    got = ingest_paths([path]).articles
    assert [(a.article_no, a.sub_no, a.text, a.chapter, a.section) for a in got] == [
        (a.article_no, a.sub_no, a.text, a.chapter, a.section) for a in real]
    assert any(a.section for a in real)


def test_gb18030_and_bom(tmp_path):
    gb = write(tmp_path / "gb.txt", FAKE_LAW, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb.read_bytes().decode("utf-8")
    bom = write(tmp_path / "bom.txt", FAKE_LAW.replace("测试法", "测试二法"), "utf-8-sig")
    res = ingest_paths([gb, bom])
    assert set(res.report.laws) == {"中华人民共和国测试法", "中华人民共和国测试二法"}
    by_law = {(a.law, a.label): a.text for a in res.articles}
    assert by_law[("中华人民共和国测试法", "第一条")] == by_law[("中华人民共和国测试二法", "第一条")]


def test_undecodable_file_is_an_error(tmp_path):
    bad = write(tmp_path / "utf16.txt", FAKE_LAW, "utf-16")
    res = ingest_paths([bad], strict=False)
    assert not res.report.ok and "utf16.txt" in res.report.errors[0] and "decode" in res.report.errors[0]
    with pytest.raises(IngestError) as exc:
        ingest_paths([bad])
    assert exc.value.report.errors == res.report.errors


def test_warnings_name_file_and_line(tmp_path):
    text = ("中华人民共和国警告法\n这是一段说明文字。\n第一条　甲。\n第一条　重复。\n"
            "第三条　丙。\n第四条\n第五条　戊。\n")
    res = ingest_paths([write(tmp_path / "w.txt", text)])
    w = "\n".join(res.report.warnings)
    assert "w.txt:2: text before the first article" in w
    assert "w.txt:4: duplicate 第一条" in w
    assert "w.txt:5:" in w and "skips from article 1 to 3" in w
    assert "w.txt:6:" in w and "第四条 is empty" in w
    assert [a.article_no for a in res.articles] == [1, 3, 5]
    assert res.articles[0].text == "甲。"


@pytest.mark.parametrize(
    "name,content,needle",
    [
        (
            "bad.jsonl",
            '{"law": "测试法", "article_no": 1, "text": "甲"}\n{"law": oops}\n',
            "bad.jsonl:2: invalid JSON",
        ),
        ("miss.jsonl", '{"law": "测试法", "text": "甲"}\n', "miss.jsonl:1: missing field(s) article_no"),
        (
            "num.jsonl",
            '{"law": "测试法", "article_no": "第abc条", "text": "甲"}\n',
            "num.jsonl:1: malformed article_no",
        ),
        (
            "num.txt",
            "中华人民共和国测试法\n第一条　甲。\n第abc条　乙。\n",
            "num.txt:3: non-numeric article number",
        ),
        ("empty.txt", "中华人民共和国测试法\n（2020年1月1日通过）\n", "has no articles"),
        ("status.txt", "中华人民共和国测试法\n状态：作废了\n第一条　甲。\n", "status.txt:2: unknown status"),
    ],
)
def test_errors_fail_the_job(tmp_path, name, content, needle):
    path = write(tmp_path / name, content)
    res = ingest_paths([path], strict=False)
    assert not res.report.ok
    assert any(needle in e for e in res.report.errors), res.report.errors
    with pytest.raises(IngestError, match=needle.split(":")[-1].strip()[:8]):
        ingest_paths([path])


def test_jsonl_round_trip_and_directory(tiny_articles, tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    write_jsonl(tiny_articles, tmp_path / "d" / "sub" / "tiny.jsonl")
    write(tmp_path / "d" / "测试法.md", FAKE_LAW)
    write(tmp_path / "d" / "ignored.csv", "not,a,law\n")
    res = ingest_paths([tmp_path / "d"])
    assert len(res.report.files) == 2
    got = {a.key: a for a in res.articles}
    for a in tiny_articles:
        b = got[a.key]
        assert (b.law, b.article_no, b.text, b.status, b.chapter, b.effective_date) == (
            a.law, a.article_no, a.text, a.status, a.chapter, a.effective_date)
    corpus = load_corpus(tmp_path / "d")  # load_corpus goes through ingest_paths for directories
    assert corpus.lookup("测试法", "第三条之一").text == "测试子条。"


def test_sqlite_and_sniffed_upload(corpus, tmp_path):
    res = ingest_paths([corpus.source])
    assert len(res.articles) == len(corpus.articles)
    assert [a.status for a in res.articles] == [a.status for a in corpus.articles]
    upload = write(tmp_path / "tmpab12cd", FAKE_LAW)  # an upload saved without a suffix
    assert ingest_paths([upload]).report.laws == {"中华人民共和国测试法": 5}


def test_repeal_header_and_notice(tmp_path):
    repealed = write(tmp_path / "r.md", "---\ntitle: 中华人民共和国废止测试法\nstatus: 已废止\n"
                     "effective_date: 2001-02-03\n---\n第一条　甲。\n第二条　乙。\n")
    res = ingest_paths([repealed])
    assert {(a.law, a.status, a.effective_date) for a in res.articles} == {
        ("中华人民共和国废止测试法", REPEALED, "2001-02-03")}
    notice = write(tmp_path / "n.txt", "中华人民共和国测试法\n状态：已废止\n施行日期：2025年1月1日\n")
    res = ingest_paths([notice])
    assert res.articles == [] and res.report.ok
    assert [(r.law, r.date) for r in res.repeals] == [("中华人民共和国测试法", "2025-01-01")]


def test_later_version_replaces_earlier(tmp_path):
    old = write(tmp_path / "old.txt", FAKE_LAW)
    new_text = FAKE_LAW.replace("2023年12月29日", "2025年6月30日").replace(
        "2024年7月1日", "2025年9月1日").replace("为了测试解析器", "为了更好地测试解析器")
    new = write(tmp_path / "new.txt", new_text)
    corpus = Corpus(ingest_paths([new, old]).articles)
    law = "中华人民共和国测试法"
    current = corpus.get(law, 1)
    assert current.text.startswith("为了更好地") and current.status == "现行有效"
    assert current.effective_date == "2025-09-01"
    versions = corpus.versions(law, 1)
    assert [(v.status, v.effective_date) for v in versions] == [
        ("现行有效", "2025-09-01"), (HISTORICAL, "2024-07-01")]
    in_force = [a for a in corpus.current() if a.law == law]
    assert in_force and all(a.effective_date == "2025-09-01" for a in in_force)
    # the same version twice (identical content) is one version; resolving again changes nothing
    again = ingest_paths([old, write(tmp_path / "copy.txt", FAKE_LAW)])
    assert len(again.articles) == 5
    assert resolve_versions(corpus.articles) == corpus.articles


def test_conflicting_copies_of_one_version(tmp_path):
    a = write(tmp_path / "a.txt", FAKE_LAW)
    b = write(tmp_path / "b.txt", FAKE_LAW.replace("不得编造条文", "不得改动条文"))
    res = ingest_paths([a, b], strict=False)
    assert any("b.txt" in e and "differs" in e for e in res.report.errors)


def test_cli_ingest(tmp_path, capsys):
    from lawglm.cli import main

    src = write(tmp_path / "测试法.md", FAKE_LAW)
    out = tmp_path / "out" / "articles.jsonl"
    main(["ingest", str(src), "--out", str(out)])
    printed = capsys.readouterr().out
    assert "1 law(s), 5 article(s)" in printed and "中华人民共和国测试法: 5" in printed
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["article_no"] for r in rows] == [1, 2, 3, 3, 101]
    bad = write(tmp_path / "bad.jsonl", '{"law": oops}\n')
    with pytest.raises(SystemExit) as exc:
        main(["ingest", str(bad), "--out", str(tmp_path / "never.jsonl")])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and err.count("\n") == 1 and "bad.jsonl:1: invalid JSON" in err
    assert not (tmp_path / "never.jsonl").exists()

