"""BM25 tokenisation: jieba words + CJK bigrams, function words dropped, what gets indexed."""

import pytest

from lawglm.search.text import TOKENIZER_NAME, article_document, bigrams, short_law_name, tokenize, words


def test_bigrams_cover_every_cjk_run():
    assert bigrams("正当防卫") == ["正当", "当防", "防卫"]
    assert bigrams("罪，刑") == ["罪", "刑"]  # a lone character stays a unigram
    assert bigrams("abc 123") == []


def test_words_drop_function_words_and_punctuation():
    w = words("请问正当防卫是什么？")
    assert "正当防卫" in w
    assert not {"请问", "是", "什么", "？"} & set(w)


def test_tokenize_keeps_words_and_marked_bigrams():
    toks = tokenize("高空抛物砸伤人")
    assert "~抛物" in toks and "~砸伤" in toks
    assert any(not t.startswith("~") for t in toks)  # jieba words too
    assert tokenize("的了吗？") == []  # nothing but function words


def test_tokenize_lowercases_latin():
    assert "app" in tokenize("APP 个人信息")


def test_article_document_indexes_short_law_name_chapter_and_text(tiny_corpus):
    a = tiny_corpus.get("中华人民共和国刑法", 20)
    doc = article_document(a)
    assert doc.startswith("刑法 ")
    assert a.chapter in doc and a.text in doc
    assert "中华人民共和国" not in doc.split(" ")[0]


def test_short_law_name():
    assert short_law_name("中华人民共和国民法典") == "民法典"
    assert short_law_name("全国人民代表大会组织法") == "全国人民代表大会组织法"
    assert TOKENIZER_NAME


def test_char_tokens_are_unigrams_bigrams_and_whole_latin_words():
    from lawglm.search.text import char_tokens

    assert char_tokens("民法典第1254条ABC") == [
        "民",
        "法",
        "典",
        "第",
        "民法",
        "法典",
        "典第",
        "1254",
        "条",
        "abc",
    ]
    assert char_tokens("，。") == []


def test_rjieba_words_are_jiebas_on_statutes_and_questions(corpus):
    """The BM25 words come from rjieba; on statute text (every 50th article of laws.db) and on questions
    they are the words Python jieba (lcut, HMM on) gives: only Latin/digit runs such as 「3.236in」 may
    differ (bench/segment_bench.py counts 5 such articles of 26,168)."""
    import jieba

    from lawglm.search.text import _WORD, STOPWORDS

    def jieba_words(text):
        return [w.lower() for w in jieba.lcut(text) if _WORD.search(w) and w not in STOPWORDS]

    texts = [article_document(a) for a in corpus.articles[::50]]
    texts += [
        "同事借我钱不还怎么办",
        "公司拖欠我三个月工资，我该怎么办？",
        "高空抛物砸伤人谁负责",
        "离婚时彩礼能要回来吗",
    ]
    assert all(words(t) == jieba_words(t) for t in texts)


def test_an_index_tokenised_by_python_jieba_still_serves_and_says_how_to_update(tmp_path, tiny_index, capsys):
    import json
    import shutil

    from lawglm.search.index import current_path
    from lawglm.search.retrieval import Retriever

    d = tmp_path / "index"
    shutil.copytree(tiny_index, d)
    manifest = current_path(d) / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m["tokenizer"] == TOKENIZER_NAME
    manifest.write_text(
        json.dumps({**m, "tokenizer": "jieba+bigram-v1"}, ensure_ascii=False), encoding="utf-8"
    )
    hits = Retriever.load(d).search("正当防卫", 3)
    assert hits and "jieba+bigram-v1" in capsys.readouterr().err


@pytest.mark.parametrize("text, want", [
    ("干了两年多，月薪八千，被辞退了", "干了 ，月薪 ，被辞退了"),
    ("干了5年零4个月，月工资一万二", "干了 ，月工资 "),
    ("订婚给了18万8彩礼，三千多块钱的酒", "订婚给了 彩礼， 的酒"),
    ("被辞退都一年半了", "被辞退都 了"),
])
def test_without_quantities_drops_spans_of_time_and_money(text, want):
    from lawglm.search.text import without_quantities

    assert without_quantities(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "借条上写的年息36%",
        "孩子十七岁了",
        "七天无理由退货",
        "第一千零八十条",
        "万一他不还",
        "食品安全法的十倍赔偿",
        "月底发工资",
        "第三年",
    ],
)
def test_without_quantities_keeps_what_statutes_say(text):
    from lawglm.search.text import without_quantities

    assert without_quantities(text) == text
