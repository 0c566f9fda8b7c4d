"""Citation extraction and verification, and the lookup / verify commands."""

import json
from dataclasses import replace

import pytest

from lawglm.citations import extract, verify, verify_one
from lawglm.cli import main
from lawglm.corpus import Corpus

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
@pytest.mark.parametrize("args", [["民法典", "1254"], ["《民法典》第1254条"], ["民法典", "第一千二百五十四条"]])
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
    assert rows[1]["raw"] == "《火星法》第一条"  # the unknown law's name does not swallow the citation before it


def test_malformed_numerals_are_no_citation_and_never_raise(corpus):
    from lawglm.citations import verify

    cites = verify("依据《中华人民共和国劳动合同法》第三十七一条，以及第三十八条", corpus)
    assert [(c.law, c.article_no) for c in cites] == [("中华人民共和国劳动合同法", 38)]
