"""Citation extraction and verification, and the lookup / verify commands."""

import json
import time
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawglm.cli import main
from lawglm.numerals import DIGITS
from lawglm.statutes.citations import extract, verify, verify_one
from lawglm.statutes.corpus import Corpus

CIVIL = "中华人民共和国民法典"
CRIMINAL = "中华人民共和国刑法"


def refs(text, corpus, **kw):
    return [(c.law, c.article_no, c.sub_no, c.paragraph, c.reason) for c in verify(text, corpus, **kw)]


@pytest.mark.parametrize("text, expected", [
    ("根据《民法典》第一千二百五十四条", [(CIVIL, 1254, 0, None, "valid")]),
    ("《中华人民共和国民法典》第1254条", [(CIVIL, 1254, 0, None, "valid")]),
    ("民法典第１２５４条", [(CIVIL, 1254, 0, None, "valid")]),
    ("依照民法典第一千二百五十四条第二款的规定", [(CIVIL, 1254, 0, 2, "valid")]),
    ("刑法第十七条之一", [(CRIMINAL, 17, 1, None, "valid")]),
    ("民诉法第一百二十二条第（一）项", [("中华人民共和国民事诉讼法", 122, 0, None, "valid")]),
    ("经济法个人所得税法第二条", [("中华人民共和国个人所得税法", 2, 0, None, "valid")]),
    ("依据《消法》第二十五条", [("中华人民共和国消费者权益保护法", 25, 0, None, "valid")]),
])
def test_single_citations(corpus, text, expected):
    assert refs(text, corpus) == expected


def test_ranges_and_lists(corpus):
    assert [r[1] for r in refs("依照刑法第十条至第十二条", corpus)] == [10, 11, 12]
    assert [r[1] for r in refs("刑法第十条、第十一条和第十三条", corpus)] == [10, 11, 13]
    assert [r[1] for r in refs("刑法第十、十一条", corpus)] == [10, 11]
    assert [r[1] for r in refs("《劳动合同法》第三十九条、四十条", corpus)] == [39, 40]
    assert all(r[0] == CRIMINAL for r in refs("依照刑法第十条至第十二条", corpus))


def test_several_laws_in_one_text(corpus):
    got = refs("依据刑法第264条、民法典第1165条，以及《劳动合同法》第82条", corpus)
    assert [(r[0], r[1]) for r in got] == [(CRIMINAL, 264), (CIVIL, 1165), ("中华人民共和国劳动合同法", 82)]


def test_this_law_uses_context_or_the_last_named_law(corpus):
    assert refs("本法第五条规定", corpus, context_law="刑法") == [(CRIMINAL, 5, 0, None, "valid")]
    got = refs("民法典第一千零七十九条规定……该法第一千零八十七条", corpus)
    assert [(r[0], r[1]) for r in got] == [(CIVIL, 1079), (CIVIL, 1087)]


def test_invented_and_unknown_are_flagged(corpus):
    (c,) = verify("民法典第88888条", corpus)
    assert c.reason == "article_not_found" and not c.verified and c.article is None
    (c,) = verify("根据火星法第五条", corpus)
    assert c.reason == "law_not_found" and not c.verified
    (c,) = verify("第二十条规定了正当防卫", corpus)  # no law named anywhere
    assert c.reason == "law_not_found"


def test_repealed_and_historical_are_labelled(corpus):
    (c,) = verify("农村土地承包法第十六条", corpus)
    assert c.reason == "repealed" and c.article.status == "已废止" and not c.verified
    old = next(a for a in corpus.articles if a.status == "历史版本")
    only_old = Corpus([old])  # an article that survives only in an old version of its law
    (c,) = verify(f"{old.law}第{old.article_no}条", only_old)
    assert c.reason == "historical" and c.article == old


def test_extract_spans_point_into_the_text(corpus):
    text = "如上，民法典第一千二百五十四条规定了高空抛物。"
    (c,) = extract(text, corpus)
    assert text[c.span[0]:c.span[1]] == "第一千二百五十四条" and c.reason == "unverified"


def test_verify_one(corpus):
    assert verify_one(corpus, "民法典", 1254).verified
    assert verify_one(corpus, "《民法典》", "第一千二百五十四条").verified
    assert verify_one(corpus, "民法典", 88888).reason == "article_not_found"
    assert verify_one(corpus, "火星法", 1).reason == "law_not_found"


def test_citation_to_dict(corpus):
    (c,) = verify("《民法典》第1254条", corpus)
    d = c.to_dict()
    assert d["verified"] and d["label"] == "第一千二百五十四条" and d["text"] == corpus.get(CIVIL, 1254).text
    json.dumps(d, ensure_ascii=False)


def test_changed_text_in_a_fake_corpus_is_what_verify_returns(corpus):
    a = corpus.get(CIVIL, 1254)
    fake = Corpus([replace(a, status="已废止")])
    assert verify("民法典第1254条", fake)[0].reason == "repealed"


# --- CLI: lookup / verify --------------------------------------------------------------
@pytest.mark.parametrize(
    "args", [["民法典", "1254"], ["《民法典》第1254条"], ["民法典", "第一千二百五十四条"]]
)
def test_cli_lookup(args, capsys, corpus):
    main(["lookup", *args])
    out = capsys.readouterr().out
    assert out.startswith(f"《{CIVIL}》第一千二百五十四条") and corpus.get(CIVIL, 1254).text in out


def test_cli_lookup_json_all_versions(capsys, corpus):
    key = next(k for k, v in corpus._versions.items() if len(v) > 1)
    main(["lookup", key[0], str(key[1]), "--all-versions", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(corpus.versions(*key)) and rows[0]["status"] in ("现行有效", "已被修改")


@pytest.mark.parametrize("args, code, message", [
    (["lookup", "民法典", "88888"], 1, "88888"),
    (["lookup", "火星法", "1"], 1, "火星法"),
    (["lookup", "没有条文的一句话"], 1, "no article reference"),
    (["verify", "   "], 2, "empty"),
])
def test_cli_errors_are_one_line(capsys, args, code, message):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_cli_verify_exit_codes(capsys):
    main(["verify", "依据《民法典》第1254条"])
    assert "✓" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["verify", "依据《民法典》第88888条"])
    assert exc.value.code == 3
    assert "article_not_found" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--json", "刑法第二十条与火星法第一条"])
    rows = json.loads(capsys.readouterr().out)
    assert exc.value.code == 3 and [r["reason"] for r in rows] == ["valid", "law_not_found"]
    assert (
        rows[1]["raw"] == "《火星法》第一条"
    )  # the unknown law's name does not swallow the citation before it


def test_malformed_numerals_are_no_citation_and_never_raise(corpus):
    from lawglm.statutes.citations import verify

    cites = verify("依据《中华人民共和国劳动合同法》第三十七一条，以及第三十八条", corpus)
    assert [(c.law, c.article_no) for c in cites] == [("中华人民共和国劳动合同法", 38)]


# --- forms models write: mixed digits, connectives, ranges, 之一, 款/项, unreadable numbers ------
@pytest.mark.parametrize("text, expected", [
    ("《民法典》第1千零八十九条", [(CIVIL, 1089)]),
    ("《民法典》第１千零８十９条", [(CIVIL, 1089)]),
    ("《民法典》1165条规定", [(CIVIL, 1165)]),
    ("民法典第一千零七十九条，以及本法第3条", [(CIVIL, 1079), (CIVIL, 3)]),
    ("根据民法典第1079条，并依照本法第1087条", [(CIVIL, 1079), (CIVIL, 1087)]),
    ("刑法第十条与同法第十二条", [(CRIMINAL, 10), (CRIMINAL, 12)]),
    ("根据《民法典》第1079条和该法第1087条", [(CIVIL, 1079), (CIVIL, 1087)]),
    ("《民法典》第1079至1081条", [(CIVIL, 1079), (CIVIL, 1080), (CIVIL, 1081)]),
    ("《民法典》第一千零七十九条到一千零八十条", [(CIVIL, 1079), (CIVIL, 1080)]),
    ("《香港特别行政区基本法》第十八条", [("中华人民共和国香港特别行政区基本法", 18)]),  # 基本法 is not 本法
    ("《中华人民共和国劳动合同法》（2012年修正）第四十七条", [("中华人民共和国劳动合同法", 47)]),
    ("《民法典》中的第1079条和第1087条", [(CIVIL, 1079), (CIVIL, 1087)]),
])
def test_forms_models_write(corpus, text, expected):
    assert [(c.law, c.article_no) for c in verify(text, corpus)] == expected
    assert all(c.law and "以及" not in c.law and "依照" not in c.law for c in verify(text, corpus))


def test_huge_article_numbers_are_article_not_found_not_errors(corpus):
    (c,) = verify("《民法典》第100000000条", corpus)
    assert c.reason == "article_not_found" and c.to_dict()["label"] == "第一亿条"
    (c,) = verify("《民法典》第" + "1" * 30 + "条", corpus)
    assert c.reason == "article_not_found" and c.to_dict()["label"] == "第" + "1" * 30 + "条"


def test_unreadable_numbers_are_reported(corpus):
    from lawglm.statutes.citations import unreadable

    text = "依据《劳动合同法》第三十七一条，以及《民法典》第" + "9" * 5000 + "条"
    assert verify(text, corpus) == []
    bad = unreadable(text)
    assert bad[0].raw == "第三十七一条" and "too long" in bad[1].error
    assert len(bad[1].to_dict()["raw"]) <= 60 and "4300" not in bad[1].error
    assert unreadable("《民法典》第1千零八十九条、第二十条") == []


def test_cli_verify_reports_unreadable_with_exit_3(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "《民法典》第三十七一条规定"])
    out = capsys.readouterr().out
    assert exc.value.code == 3 and "unreadable" in out and "no citations found" not in out
    main(["verify", "《民法典》第1千零八十九条"])
    assert "✓" in capsys.readouterr().out


def test_extract_limit_bounds_the_work(corpus):
    from lawglm.statutes.citations import TooManyCitations, extract

    text = "刑法第一条至第五十条。" * 20  # 1,000 citations
    assert len(extract(text, corpus)) == 1000
    with pytest.raises(TooManyCitations):
        extract(text, corpus, limit=100)


# property tests: every way of writing the number, the law and what stands before 本法 is read the same
def _written(n: int) -> st.SearchStrategy[str]:
    from lawglm.numerals import int_to_cn

    cn = int_to_cn(n)
    arabic_cn = st.lists(st.booleans(), min_size=len(cn), max_size=len(cn)).map(  # 1千零八十九, 一千0八十9
        lambda flags: "".join(str(DIGITS[ch]) if f and ch in DIGITS else ch for ch, f in zip(cn, flags)))
    full = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return st.one_of(st.just(str(n)), st.just(cn), st.just(full), arabic_cn)


LAW_FORMS = ["《民法典》", "民法典", "《中华人民共和国民法典》", "中华人民共和国民法典", "《民法典》的"]
LEADS = ["", "根据", "依照", "按照", "参照", "依据", "如上，", "我认为应当依照", "此外，"]
CONNECTIVES = [
    "以及",
    "和",
    "及",
    "与",
    "或者",
    "并",
    "依照",
    "根据",
    "按照",
    "参照",
    "，",
    "；同时",
    "。另外，",
]
SELF = ["本法", "该法", "同法"]


@settings(deadline=None, max_examples=300)
@given(data=st.data(), first=st.integers(1, 1260), second=st.integers(1, 1260))
def test_property_mixed_forms_and_connectives(corpus, data, first, second):
    text = (
        data.draw(st.sampled_from(LEADS))
        + data.draw(st.sampled_from(LAW_FORMS))
        + f"第{data.draw(_written(first))}条"
        + data.draw(st.sampled_from(["", "第二款", "第一款第（三）项"]))
        + data.draw(st.sampled_from(CONNECTIVES))
        + data.draw(st.sampled_from(SELF))
        + f"第{data.draw(_written(second))}条"
        + data.draw(st.sampled_from(["", "规定", "的规定。"]))
    )
    got = extract(text, corpus)
    assert [(c.law, c.article_no) for c in got] == [(CIVIL, first), (CIVIL, second)], text


@settings(deadline=None, max_examples=200)
@given(data=st.data(), no=st.integers(1, 400), sub=st.integers(0, 3), width=st.integers(1, 5))
def test_property_sub_articles_and_ranges(corpus, data, no, sub, width):
    written = data.draw(_written(no))
    tail = f"之{data.draw(_written(sub))}" if sub else ""
    (c,) = extract(f"依据《刑法》第{written}条{tail}", corpus)
    assert (c.law, c.article_no, c.sub_no) == (CRIMINAL, no, sub)
    sep = data.draw(st.sampled_from(["至", "到", "至第", "-"]))
    got = extract(f"刑法第{written}条{sep}{data.draw(_written(no + width))}条", corpus)
    assert [c.article_no for c in got] == list(range(no, no + width + 1))


# --- HTTP: bounded work and 4xx naming the field ---------------------------------------------
def test_http_verify_caps_text_and_citations(make_client, retrieval_assistant):
    client = make_client(retrieval_assistant, max_verify_chars=5000, max_verify_citations=200)
    ranges = "刑法第一条至第五十条。" * 20  # 220 characters, 1,000 citations (20,000 such ranges took 175 s)
    t0 = time.perf_counter()
    r = client.post("/v1/citations/verify", json={"text": ranges})
    assert r.status_code == 422 and "max_verify_citations" in r.json()["error"]["message"]
    assert r.json()["detail"][0]["loc"] == ["body", "text"] and time.perf_counter() - t0 < 5
    r = client.post("/v1/citations/verify", json={"text": "刑法第一条。" * 1000})  # 6,000 characters
    assert (
        r.status_code == 422
        and "max_verify_chars" in r.json()["error"]["message"]
        and "6000" in r.json()["error"]["message"]
    )
    r = client.post("/v1/citations/verify", json={"text": "刑法第一条至第五十条。" * 4})
    assert r.status_code == 200 and len(r.json()["citations"]) == 200


def test_http_huge_and_malformed_numbers_are_never_5xx(make_client, retrieval_assistant):
    client = make_client(retrieval_assistant)
    r = client.post("/v1/citations/verify", json={"text": "《民法典》第100000000条"})
    assert r.status_code == 200 and r.json()["citations"][0]["reason"] == "article_not_found"
    r = client.post("/v1/citations/verify", json={"text": "《民法典》第" + "9" * 5000 + "条"})
    body = r.json()
    assert (
        r.status_code == 200
        and body["all_verified"] is False
        and "too long" in body["unreadable"][0]["error"]
    )
    assert "4300" not in r.text and "Exceeds" not in r.text
    r = client.get("/v1/statutes/民法典/" + "9" * 5000)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "article_no"]
    assert "4300" not in r.text and "Exceeds" not in r.text
    r = client.get("/v1/statutes/民法典/100000000")
    assert r.status_code == 404 and "100000000" in r.json()["error"]["message"]


def test_cli_verify_checks_a_quote_against_the_cited_article(capsys, corpus, tmp_path):
    """Without --sources: a quote is checked against the article it cites (whose text is known); one that
    is another article's words fails with exit 3 and names the article they come from."""
    from live import run_cli

    words = corpus.get("中华人民共和国劳动法", 50).text
    own = corpus.get("中华人民共和国劳动合同法", 30).text.split("\n")[0]
    where = ["--index-dir", str(tmp_path / "none")]
    code, out, _ = run_cli(["verify", f"《劳动合同法》第三十条规定：“{words}”", *where], capsys)
    assert code == 3 and "✗ 《劳动合同法》第三十条" in out and "实为《中华人民共和国劳动法》第五十条" in out
    code, out, _ = run_cli(["verify", f"《劳动合同法》第三十条规定：“{own}”", *where], capsys)
    assert code == 0 and "✓ 《劳动合同法》第三十条" in out and "原文支持" in out
    code, out, _ = run_cli(
        ["verify", f"《劳动合同法》第三十条规定：“{own[:-6]}用人单位可以不支付。”", *where], capsys
    )
    assert code == 3 and "引文与该条原文不符" in out
    code, out, _ = run_cli(["verify", "--json", f"《劳动合同法》第三十条规定：“{words}”", *where], capsys)
    row = json.loads(out)[0]
    assert code == 3 and row["support"]["reason"] == "quote_mismatch"
    assert row["support"]["actual"]["citation"] == "《中华人民共和国劳动法》第五十条"
