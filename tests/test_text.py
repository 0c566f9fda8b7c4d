"""BM25 tokenisation: jieba words + CJK bigrams, function words dropped, what gets indexed."""

from lawglm.text import TOKENIZER_NAME, article_document, bigrams, short_law_name, tokenize, words


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
    from lawglm.text import char_tokens

    assert char_tokens("民法典第1254条ABC") == ["民", "法", "典", "第", "民法", "法典", "典第", "1254", "条", "abc"]
    assert char_tokens("，。") == []
