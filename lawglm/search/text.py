"""Tokenisation for the sparse (BM25) index: jieba words plus CJK character bigrams.

Words come from rjieba (jieba-rs, the Rust port of jieba, same dictionary and HMM): it segments the
corpus 10x faster than Python jieba and loads its dictionary in milliseconds instead of ~1 s per
process. On the 26,168 articles of the default corpus it differs from jieba in 5 (image sizes such as
「3.236in」 kept as one token), on the 265 dev questions and the 1,428 known questions in none, and dev
recall is unchanged (`python3 bench/segment_bench.py --recall …`). Python jieba stays for the encoder's
vocabulary (`_segmenter`).

bm25s's default splitter turns a whole run of Chinese characters into one token,
which makes BM25 useless for Chinese. Here a text becomes jieba words (minus
function words) plus the overlapping character bigrams of every CJK run, so a
query matches an article both on whole words (正当防卫) and on the pieces a
word segmenter splits differently (防卫 / 卫过). `article_document` says what of
an article gets indexed: the law's short name, chapter, section and text.
"""

from __future__ import annotations

import logging
import re
import threading

from lawglm.records import Article

TOKENIZER_NAME = "rjieba+bigram-v1"  # recorded in the index manifest; change when tokens change
OLD_TOKENIZERS = ("jieba+bigram-v1",)  # earlier names of the same scheme (Python jieba): still searchable
CHAR_TOKENIZER_NAME = "char-unigram+bigram-v1"  # `char_tokens`; stored with the index's chars postings
NATION_PREFIX = "中华人民共和国"

# function words and question scaffolding that only add noise to a query
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "对",
        "于",
        "由",
        "从",
        "被",
        "把",
        "及",
        "或",
        "并",
        "等",
        "请问",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "之",
        "其",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "怎么办",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "一下",
        "有关",
        "关于",
        "应该",
        "应当",
        "可以",
        "是否",
        "有没有",
        "如果",
        "因为",
        "所以",
        "但是",
        "然后",
        "因此",
        "一个",
        "没有",
        "就",
        "都",
        "也",
        "还",
        "又",
        "要",
        "会",
        "能",
        "想",
        "请",
        "问",
        "谁",
        "哪些",
        "哪个",
        "为什么",
        "多少",
        "多久",
        "该",
        "这种",
        "这样",
        "那么",
        "现在",
        "已经",
        "自己",
        "个",
        "给",
        "让",
        "说",
        "到",
        "上",
        "下",
        "中",
        "内",
        "后",
        "前",
        "时",
        "着",
        "过",
    ]
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CHAR_RUN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z0-9]+")
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_jieba = None
_jieba_lock = threading.Lock()


def _segmenter():
    """jieba, initialised once (about a second) on first use and never at import time."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of every CJK run (a lone character stays a unigram)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def words(text: str) -> list[str]:
    """jieba words (rjieba, HMM on as jieba.lcut) without punctuation and function words, lower-cased."""
    import rjieba

    return [w.lower() for w in rjieba.cut(text) if _WORD.search(w) and w not in STOPWORDS]


def tokenize(text: str) -> list[str]:
    """The BM25 tokens of a text: words, then bigrams (a bigram equal to a word is kept twice)."""
    return words(text) + ["~" + b for b in bigrams(text) if not _function_bigram(b)]


def char_tokens(text: str) -> list[str]:
    """Character unigrams and bigrams of every CJK run plus whole Latin/digit words, lower-cased: the
    tokens of the plain-BM25 comparison anchor and of the index's second (character) BM25 field."""
    out: list[str] = []
    for run in _CHAR_RUN.findall(text):
        if not _CJK_RUN.fullmatch(run):
            out.append(run.lower())
            continue
        out.extend(run)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def tokenize_many(texts: list[str], progress: bool = False, desc: str = "tokenising") -> list[list[str]]:
    from tqdm.auto import tqdm

    return [tokenize(t) for t in tqdm(texts, desc=desc, disable=not progress, unit="doc")]


def short_law_name(law: str) -> str:
    """中华人民共和国民法典 -> 民法典."""
    return (
        law[len(NATION_PREFIX) :]
        if law.startswith(NATION_PREFIX) and len(law) > len(NATION_PREFIX) + 1
        else law
    )


def article_document(article: Article) -> str:
    """The text indexed for an article: short law name, chapter, section, article text."""
    parts = (short_law_name(article.law), article.chapter, article.section, article.text)
    return " ".join(p for p in parts if p)


# bigrams made only of function characters (的了, 是否, 我们) carry no meaning
_BIGRAM_STOP = frozenset(w for w in STOPWORDS if len(w) == 2)
_FUNCTION_CHARS = frozenset(
    "的了是在和与对于由从被把及或并等我你他她它这那之其吗呢吧啊呀么就都也还又要会能想请问谁该个给让说到着过"
)


def _function_bigram(b: str) -> bool:
    return b in _BIGRAM_STOP or all(ch in _FUNCTION_CHARS for ch in b)


# a span of time or money as people state it (两年多, 5年零4个月, 三年半, 八千, 一万二, 18万8,
# 三千多块, 200元):
# the words of the facts, not of the law; the static encoder reads 「N年半」 as an age and pulls the
# capacity articles (民法典17-21), so the dense query drops them (days, ages, rates and 倍 stay:
# 七日, 十七岁, 36%, 三倍 are what statutes say)
_NUM = "0-9０-９零〇一二两三四五六七八九十百几半"
_QUANTITY = re.compile(
    rf"(?<![第{_NUM}万千])[{_NUM}]+(?:\.[0-9]+)?"
    rf"(?:(?:个多|个|多个)?(?:年|月)(?:零?[{_NUM}]+个?月)?(?![息利薪底初末])|(?:[千万]|k|K)[{_NUM}]*)"
    r"[多余来半]?(?:块钱|块|元|左右)?"
    rf"|(?<![第{_NUM}])[{_NUM}]+(?:\.[0-9]+)?(?:块钱|块|元)")


def without_quantities(text: str) -> str:
    """`text` with the spans of time and money removed (see _QUANTITY), for the dense query."""
    out = _QUANTITY.sub(" ", text)
    return out if out.strip() else text
