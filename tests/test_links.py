"""The law ↔ interpretation cross-reference graph (statutes/links.py) on made-up documents, its storage in an
index version, and its use in the API, `lawglm lookup` and the legal tools."""

from __future__ import annotations

import json

import pytest

from lawglm.records import Article
from lawglm.statutes.corpus import Corpus
from lawglm.statutes.links import Links, build_links
from tests.test_web import browser  # noqa: F401  (the shared headless Chromium fixture)

LAW = "中华人民共和国示例家庭法"
OLD_LAW = "中华人民共和国示例旧法"
INTERP = "最高人民法院关于适用《中华人民共和国示例家庭法》的解释（一）"
INTERP2 = "最高人民法院关于审理示例纠纷案件适用法律若干问题的规定"
REG = "示例家庭法实施条例"


def _law(name: str, n: int, *, level: str = "法律", status: str = "现行有效", version: str = "2020-01-01",
         texts: dict[int, str] | None = None) -> list[Article]:
    return [
        Article(
            law=name,
            article_no=i,
            text=(texts or {}).get(i, f"{name}示例条文第{i}号，内容各不相同甲{i}乙。"),
            law_id=f"{name}@{version}",
            status=status,
            level=level,
            version_date=version,
        )
        for i in range(1, n + 1)
    ]


def _doc(name: str, level: str, texts: dict[int, str], version: str = "2021-01-01",
         status: str = "现行有效") -> list[Article]:
    return [Article(law=name, article_no=i, text=t, law_id=f"{name}@{version}", status=status, level=level,
                    version_date=version) for i, t in texts.items()]


@pytest.fixture(scope="module")
def made_up() -> Corpus:
    interp = _doc(
        INTERP,
        "司法解释",
        {
            1: "依照《中华人民共和国示例家庭法》第三条的规定，认定示例事项。",  # full name
            2: "示例家庭法第四条所称的示例情形，包括下列情形。",  # short name
            # 该法 = the law named
            # last
            3: "根据示例家庭法第五条规定……依照该法第六条处理；本解释第一条另有规定的除外。",
            4: "依照示例家庭法第九十九条的规定处理。",  # no such article: no link
            5: "适用示例旧法第二条。",  # a repealed law: no link
            6: "依照本解释第二条处理。",  # inside one document: no link
        },
    )
    old_interp = _doc(INTERP, "司法解释", {7: "依照示例家庭法第七条的规定处理。"}, version="2019-01-01",
                      status="历史版本")  # a historical version: no link
    reg = _doc(
        REG,
        "行政法规",
        {
            1: "根据《示例家庭法》第三条、第八条的规定，制定本条例。",
            2: "依照本条例第一条及示例家庭法解释一第二条办理。",
        },
    )  # regulation -> interpretation
    return Corpus(
        _law(LAW, 10)
        + _law(OLD_LAW, 3, status="已废止")
        + interp
        + old_interp
        + reg
        + _doc(INTERP2, "司法解释", {1: "当事人依据示例家庭法第三条提出请求的，人民法院应予支持。"})
    )


def _cites(refs) -> list[str]:
    return [f"{r.law}:{r.article_no}" for r in refs]


def test_interpretation_links_to_the_law_articles_it_cites(made_up):
    links = build_links(made_up)
    art = made_up.get
    assert _cites(links.of(art(INTERP, 1))[1]) == [f"{LAW}:3"]
    assert _cites(links.of(art(INTERP, 2))[1]) == [f"{LAW}:4"]
    assert _cites(links.of(art(INTERP, 3))[1]) == [f"{LAW}:5", f"{LAW}:6"]  # 本解释第一条 is no link
    for no in (4, 5, 6):  # a missing article, a repealed law, its own article
        assert links.of(art(INTERP, no))[1] == [], no


def test_no_link_to_an_article_that_does_not_exist_or_is_not_in_force(made_up):
    links = build_links(made_up)
    targets = {(r.law, r.article_no) for key in list(links._applies) for r in links.of(key)[1]}
    assert (LAW, 99) not in targets and all(law != OLD_LAW for law, _ in targets)
    assert all(made_up.get(law, no) is not None and made_up.get(law, no).is_current for law, no in targets)
    hist = made_up.versions(INTERP, 7)[0]
    assert hist.status == "历史版本" and links.of(hist) == ([], [])
    assert links.of(made_up.get(LAW, 7)) == ([], [])  # only the historical version cited it


def test_reverse_links_list_interpretations_first(made_up):
    links = build_links(made_up)
    applied_by, applies = links.of(made_up.get(LAW, 3))
    assert applies == []
    assert _cites(applied_by) == [f"{INTERP2}:1", f"{INTERP}:1", f"{REG}:1"]  # by level, then by name
    assert [r.level for r in applied_by] == ["司法解释", "司法解释", "行政法规"]
    reg2 = links.of(made_up.get(REG, 2))[1]
    assert _cites(reg2) == [f"{INTERP}:2"]  # regulation -> interpretation; 本条例第一条 no link
    by, to = links.of(made_up.get(INTERP, 2))  # linked both ways: applied by a regulation, applying a law
    assert _cites(by) == [f"{REG}:2"] and _cites(to) == [f"{LAW}:4"]


def test_links_round_trip_and_dict(made_up):
    links = build_links(made_up)
    again = Links.from_json(links.to_json())
    assert len(again) == len(links) > 0
    for a in made_up.articles:
        assert again.of(a) == links.of(a)
    d = links.to_dict(made_up.get(LAW, 3), limit=2)
    assert d["applied_by_total"] == 3 and len(d["applied_by"]) == 2
    first = d["applied_by"][0]
    assert first["law"] == INTERP2 and first["article_no"] == 1 and first["label"] == "第一条"
    assert first["citation"] == f"《{INTERP2}》第一条" and first["level"] == "司法解释"
    with pytest.raises(ValueError):
        Links.from_json(json.dumps({"format": 99}))


def test_a_law_revised_after_the_interpretation_keeps_only_numbers_its_text_bears_out():
    """The law was revised (renumbered) after the interpretation: 第二条 now holds what 第一条 held."""
    texts = {
        i: f"无关事项{i}号{'甲乙丙丁戊己庚辛'[i % 8]}{'子丑寅卯辰巳午未'[i % 8]}的规定。"
        for i in range(1, 21)
    }
    texts[2] = "债务人隐匿财产逃避执行的，处以罚款、拘留。"  # was 第一条 before the revision
    texts[10] = "当事人申请先予执行的，人民法院可以责令提供担保。"
    revised = _law(LAW, 20, version="2023-01-01", texts=texts)
    interp = _doc(INTERP, "司法解释", {
        1: "债务人隐匿财产逃避执行的，依照示例家庭法第一条的规定处以罚款、拘留。",  # meant today's 第二条
        2: "当事人申请先予执行的，依照示例家庭法第十条责令提供担保。",  # the number still holds
    }, version="2020-01-01")
    links = build_links(Corpus(revised + interp))
    c = Corpus(revised + interp)
    assert links.of(c.get(INTERP, 1))[1] == []
    assert _cites(links.of(c.get(INTERP, 2))[1]) == [f"{LAW}:10"]


def test_the_graph_is_stored_with_the_index_version(made_up, tmp_path):
    from lawglm.errors import IndexCorrupt
    from lawglm.search import index as ix

    ix.build_index(made_up, tmp_path / "idx", None, progress=False)
    path = ix.current_path(tmp_path / "idx")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert ix.LINKS_FILE in manifest["files"] and (path / ix.LINKS_FILE).is_file()
    stored = ix.index_links(tmp_path / "idx")
    loaded = ix.load_index(tmp_path / "idx")
    assert len(stored) == len(loaded.links) == len(build_links(made_up))
    assert _cites(loaded.links.of(made_up.get(INTERP, 1))[1]) == [f"{LAW}:3"]
    (path / ix.LINKS_FILE).write_text(
        '{"format": 1, "articles": {}, "edges": [["x", "y"]]}', encoding="utf-8"
    )
    with pytest.raises(IndexCorrupt, match="links.json"):
        ix.index_links(tmp_path / "idx")
    (path / ix.LINKS_FILE).unlink()  # a version built before the graph existed: built from its snapshot
    assert ix.index_links(tmp_path / "idx") is None
    assert len(ix.load_index(tmp_path / "idx").links) == len(build_links(made_up))


@pytest.fixture(scope="module")
def links_index(made_up, tmp_path_factory):
    from lawglm.search import index as ix

    where = tmp_path_factory.mktemp("links") / "index"
    ix.build_index(made_up, where, None, progress=False)
    return where


@pytest.fixture(scope="module")
def links_assistant(links_index):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    return Assistant.from_settings(Settings(llm="none", index_dir=links_index, links_shown=2))


def test_api_exposes_links(make_client, links_assistant):
    client = make_client(links_assistant)
    r = client.get("/v1/statutes/示例家庭法/3")
    assert r.status_code == 200, r.text
    links = r.json()["links"]
    assert links["applied_by_total"] == 3 and len(links["applied_by"]) == 2  # links_shown=2
    assert [(x["law"], x["article_no"], x["level"]) for x in links["applied_by"]] == [
        (INTERP2, 1, "司法解释"), (INTERP, 1, "司法解释")]
    assert links["applied_by"][1]["citation"] == f"《{INTERP}》第一条" and links["applies"] == []
    r = client.get("/v1/statutes/search", params={"q": "依照示例家庭法第三条的规定认定示例事项", "k": 5})
    hits = r.json()["hits"]
    assert hits and all("links" in h for h in hits)
    mine = next(h for h in hits if h["law"] == INTERP and h["article_no"] == 1)
    assert [(x["law"], x["article_no"], x["label"]) for x in mine["links"]["applies"]] == [(LAW, 3, "第三条")]
    r = client.post("/v1/legal/ask", json={"question": "示例家庭法第三条规定的示例事项怎么认定？"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["retrieved"] and all("links" in h for h in body["retrieved"])
    assert any(h["links"]["applied_by_total"] + h["links"]["applies_total"] for h in body["retrieved"])
    law3 = [h for h in body["retrieved"] if h["law"] == LAW and h["article_no"] == 3]
    assert not law3 or law3[0]["links"]["applied_by_total"] == 3
    assert all("links" in c for c in body["citations"])
    cited = [c for c in body["citations"] if c["law"] == LAW and c["article_no"] == 3 and c["verified"]]
    assert all(c["links"]["applied_by_total"] == 3 for c in cited)


def test_lookup_prints_and_returns_links(links_index, capsys):
    from live import run_cli

    code, out, err = run_cli(["lookup", "示例家庭法", "3", "--index-dir", str(links_index)], capsys)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("适用本条的解释和法规："))
    assert (
        "示例家庭法解释一 第一条" in line
        and "示例纠纷规定 第一条" in line
        and "示例家庭法实施条例 第一条" in line
    )
    code, out, err = run_cli(
        ["lookup", "示例家庭法解释一", "3", "--index-dir", str(links_index), "--json"], capsys
    )
    assert code == 0, err
    applies = json.loads(out)[0]["links"]["applies"]
    assert [(x["law"], x["article_no"]) for x in applies] == [(LAW, 5), (LAW, 6)]
    code, out, _ = run_cli(["lookup", "示例家庭法", "9", "--index-dir", str(links_index)], capsys)
    assert code == 0 and "适用本条" not in out and "本条适用" not in out  # no links, no line


def test_get_article_tool_returns_links(links_assistant):
    from lawglm.tools.legal import LegalTools

    tools = LegalTools(links_assistant.retriever, links_assistant.settings)
    out = tools.call("get_article", {"law": "示例家庭法实施条例", "article_no": "1"})
    assert [(x["law"], x["article_no"]) for x in out["links"]["applies"]] == [(LAW, 3), (LAW, 8)]
    assert out["links"]["applied_by"] == [] and out["links"]["applies_total"] == 2


@pytest.mark.browser
def test_the_page_shows_the_links_line_under_a_card(browser, live_server, links_assistant):  # noqa: F811
    question = "依照示例家庭法第三条的规定认定示例事项"
    want = {(h.article.law, h.article.label) for h in links_assistant.ask(question).retrieved
            if any(links_assistant.retriever.index.links.of(h.article))}
    assert (LAW, "第三条") in want
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_server(links_assistant) + "/")
        page.wait_for_selector("#status.badge-ok")
        page.fill("#question", question)
        page.click("#submit")
        page.locator(".bot .retrieved ol li").first.wait_for(state="attached", timeout=20000)
        page.locator(".bot .retrieved summary").first.click()
        items = page.locator(".bot .retrieved ol li")
        shown = {}
        for i in range(items.count()):
            item = items.nth(i)
            if item.locator(".links-line").count():
                shown[item.locator(".cite-title").text_content()] = item.locator(".links-line").text_content()
        line = shown[f"《{LAW}》第三条"]
        assert line.startswith("适用本条的解释和法规：") and "示例家庭法解释一 第一条" in line
        assert "（共 3 条）" in line  # links_shown=2 of 3
        assert len(shown) == len(want)
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
    finally:
        page.close()
    assert not errors, errors


def _variants(made_up: Corpus) -> dict[str, tuple[Corpus, set[str]]]:
    """Changed corpora an index update can produce from `made_up`, each with the laws it changed."""
    from dataclasses import replace

    from lawglm.records import HISTORICAL

    arts = made_up.articles
    revised = [replace(a, status=HISTORICAL) if a.law == LAW else a for a in arts] + _law(
        LAW, 99, version="2023-01-01", texts={4: "经修改的示例条文第四号，内容另行规定。"})  # 第九十九条 new
    re_enacted = [a for a in arts if a.law != OLD_LAW] + _law(OLD_LAW, 3, version="2020-06-01")
    naming_new = arts + _doc("最高人民法院关于示例家庭法适用的批复", "司法解释",
                             {1: "依照示例家庭法第二条、示例家庭法解释一第三条处理。"}, version="2024-01-01")
    # a second 示例家庭法解释（一）-like document makes the short name 示例家庭法解释一 ambiguous
    ambiguous = arts + _doc("最高人民法院关于适用《示例家庭法》的解释（一）", "司法解释", {1: "示例条文。"})
    return {"revised": (Corpus(revised), {LAW}), "re-enacted": (Corpus(re_enacted), {OLD_LAW}),
            "new document": (Corpus(naming_new), {"最高人民法院关于示例家庭法适用的批复"}),
            "ambiguous name": (Corpus(ambiguous), {"最高人民法院关于适用《示例家庭法》的解释（一）"})}


@pytest.mark.parametrize("variant", ["revised", "re-enacted", "new document", "ambiguous name"])
def test_update_links_gives_the_graph_a_full_build_gives(made_up, variant):
    from lawglm.statutes.links import update_links

    corpus, laws = _variants(made_up)[variant]
    full = build_links(corpus)
    assert update_links(build_links(made_up), made_up, corpus, laws).to_json() == full.to_json()
    assert full.to_json() != build_links(made_up).to_json()  # each variant changes the graph
    # laws changed but not said: the old links of what was not re-read stay (what the argument is for)
    if variant == "revised":
        assert update_links(build_links(made_up), made_up, corpus, set()).to_json() != full.to_json()


def test_links_touching_one_law_are_its_links_in_the_whole_graph(made_up):
    from lawglm.statutes.links import links_touching

    for corpus in [made_up] + [c for c, _ in _variants(made_up).values()]:
        full = build_links(corpus)
        for law in corpus.laws():
            part = links_touching(corpus, law)
            for a in corpus.law_articles(law):
                assert part.of(a) == full.of(a)


def test_links_touching_some_articles_are_their_links_in_the_whole_graph(made_up):
    from lawglm.statutes.links import links_touching

    for corpus in [made_up] + [c for c, _ in _variants(made_up).values()]:
        full = build_links(corpus)
        for a in corpus.articles:
            assert links_touching(corpus, a.law, [a]).of(a) == full.of(a)


def test_lookup_without_an_index_shows_the_same_links(made_up, links_index, tmp_path, monkeypatch, capsys):
    """No index built: lookup reads the statutes and the links touching the article (not the whole graph)
    and prints what it prints with the index's links.json."""
    from live import run_cli

    from lawglm.statutes.corpus import write_jsonl

    write_jsonl(made_up.articles, tmp_path / "statutes.jsonl")
    monkeypatch.setenv("LAWGLM_CORPUS", str(tmp_path / "statutes.jsonl"))
    def links_of(out: str, as_json: bool):
        if as_json:
            return [row["links"] for row in json.loads(out)]
        return [x for x in out.splitlines() if x.startswith(("适用本条", "本条适用"))]

    for args in (["示例家庭法", "3"], ["示例家庭法解释一", "3", "--json"], ["示例家庭法实施条例", "2"]):
        with_index = run_cli(["lookup", *args, "--index-dir", str(links_index)], capsys)
        without = run_cli(["lookup", *args, "--index-dir", str(tmp_path / "none")], capsys)
        assert with_index[0] == without[0] == 0
        shown = links_of(with_index[1], "--json" in args)
        assert shown and shown == links_of(without[1], "--json" in args)
    assert not (tmp_path / "none").exists()
