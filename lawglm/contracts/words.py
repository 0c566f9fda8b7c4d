"""Word boundaries of a request (jieba), for the recognisers that must decide where a name ends.

Owns `word_spans(text)`: the (start, end) of every jieba word, cached per text, `word_at(text, i)`,
the word starting at i, and `occurrences(word, text)` (literal matches without compiling a regex).
刘畅拍摄企业宣传片
-> 刘畅 | 拍摄 | …, so a person named before a verb the
rules do not list still gets the right length; 做店长 -> 做 | 店长, so 店 there does not end a shop's name.
jieba is loaded on first use (about 0.7 s once per process).
"""

from __future__ import annotations

import functools
import logging


@functools.lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt


@functools.lru_cache(maxsize=64)
def word_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each jieba word of the text, in order."""
    out, i = [], 0
    for w in _tokenizer().cut(text, HMM=True):
        out.append((i, i + len(w)))
        i += len(w)
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _starts(text: str) -> dict[int, int]:
    return {s: e for s, e in word_spans(text)}


def word_at(text: str, i: int) -> str:
    """The jieba word that starts at position i ('' when a word runs across i)."""
    end = _starts(text).get(i)
    return text[i:end] if end is not None else ""


def word_end_at(text: str, i: int) -> bool:
    """Whether a jieba word ends exactly at position i."""
    return i == len(text) or i in _starts(text)


def frequency(word: str) -> int:
    """How often jieba's dictionary has the word (0: not a dictionary word, e.g. most people's names)."""
    return _tokenizer().FREQ.get(word, 0) or 0


def occurrences(word: str, text: str) -> list[int]:
    """Start of every occurrence of a literal word (str.find: no regex to compile for each word)."""
    out, i = [], text.find(word) if word else -1
    while i >= 0:
        out.append(i)
        i = text.find(word, i + 1)
    return out
