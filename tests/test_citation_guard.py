"""Constrained citations in lawglm's decode loop: a tiny model taught to cite an article it is not given
cannot do so under the guard; quotations after a cited source are the article's own words; the reused
system-prefix KV cache gives the same reply as a full prefill."""

from __future__ import annotations

import pytest

from lawglm.answer.citation_guard import CitationGuard
from lawglm.models.backbone import load_backbone
from lawglm.models.generation import LocalGenerator
from lawglm.statutes.citations import verify
from tests.conftest import teach

CIVIL = "中华人民共和国民法典"
LABOR = "中华人民共和国劳动合同法"
QUESTION = [{"role": "system", "content": "你是法律助手。"}, {"role": "user", "content": "借款不还怎么办？"}]


@pytest.fixture(scope="module")
def sources(corpus):
    return [corpus.get(CIVIL, 667), corpus.get(CIVIL, 675), corpus.get(LABOR, 82)]


@pytest.fixture(scope="module")
def guard(sources, corpus):
    return CitationGuard(sources, corpus, query="借款到期不还")


@pytest.mark.parametrize("text, piece, ok", [
    ("根据", "《民法", True),  # heading for a source's law
    ("根据《民法典》", "第六百六十七条", True),
    ("根据《民法典》第六百六", "十七条", True),
    ("根据《民法典》", "第六百六十八条", False),  # a real article, but not a source
    ("根据《民法典》第六百六", "十八", False),  # cannot become a source any more
    ("根据《刑法》", "第", False),  # no source in that law
    ("依照劳动合同法第", "八十二条", True),
    ("依照劳动合同法第", "82条", True),
    ("依照劳动合同法第", "三十九条", False),
    ("签订《劳动", "合同》后", True),  # the contract, not the law
    ("根据《民法典》的规定，第", "一，", True),  # an enumeration, not an article
    ("依据《民法典》第六百六十七条", "规定：“", True),  # a quotation may open (and will be filled)
    ("依据《民法典》第六百六十七条规定：", "“借款", False),  # ...but not with the model's own words
])
def test_check(guard, text, piece, ok):
    assert guard.check(text, piece) is ok


def test_fallback_completes_an_allowed_citation(guard):
    assert guard.fallback("根据《民法") == "典》第六百六十七条"
    assert guard.fallback("根据《民法典》第六百七") == "十五条"
    assert guard.fallback("今天天气") is None


def test_forced_quotation_is_the_article_text(guard, corpus):
    forced = guard.forced("依据《中华人民共和国民法典》第六百六十七条规定：“")
    assert forced == corpus.get(CIVIL, 667).text + "”"
    assert guard.forced("他说：“") is None  # no source cited right before


@pytest.fixture(scope="module")
def taught(tiny_gemma_dir, corpus):
    """A tiny Gemma3 that has learnt to cite 刑法第二百六十四条 (theft) for a loan question."""
    model, tok = load_backbone(str(tiny_gemma_dir), device="cpu", progress=False)
    reply = f"依据《{corpus.get('中华人民共和国刑法', 264).law}》第二百六十四条处理。"
    assert teach(model, tok, QUESTION, reply) < 0.5
    return LocalGenerator(model, tok), reply


def _reply(gen, guard=None, **kw):
    return "".join(gen.stream(QUESTION, guard=guard, **{"max_new_tokens": 40, "temperature": 0, **kw}))


def test_the_taught_model_cites_the_forbidden_article_without_the_guard(taught, corpus):
    gen, reply = taught
    out = _reply(gen)
    assert out == reply  # the test would catch a guard that lets it through
    assert [(c.law, c.article_no) for c in verify(out, corpus)] == [("中华人民共和国刑法", 264)]


def test_the_guard_keeps_every_citation_inside_the_sources(taught, guard, sources, corpus):
    gen, _ = taught
    allowed = {(a.law, a.article_no) for a in sources}
    outs = [_reply(gen, guard)] + [_reply(gen, guard, temperature=1.5, top_p=1.0, seed=s) for s in range(6)]
    cites = [c for out in outs for c in verify(out, corpus)]
    assert all((c.law, c.article_no) in allowed for c in cites), outs  # (a random model may cite nothing) ...
    assert not any("二百六十四" in out for out in outs)  # ... but never the article it was taught to cite


def test_a_quotation_after_a_source_is_copied_verbatim(tiny_gemma_dir, corpus, sources):
    model, tok = load_backbone(str(tiny_gemma_dir), device="cpu", progress=False)
    article = corpus.get(CIVIL, 667)
    teach(model, tok, QUESTION, f"依据{article.citation}规定：“借钱就得还，天经地义。”")
    gen = LocalGenerator(model, tok)
    free = _reply(gen)
    assert "借钱就得还" in free  # what the model would have put in the source's mouth
    guarded = _reply(gen, CitationGuard(sources, corpus, query="借款"), max_new_tokens=80)
    assert f"规定：“{article.text}”" in guarded and "借钱就得还" not in guarded


def test_system_prefix_cache_gives_the_same_reply(tiny_backbone, sources):
    from lawglm.models.decoding import DecodeStats

    model, tok = tiny_backbone
    system = {"role": "system", "content": "请依据下列条文回答：" + sources[1].text}
    msgs = [system, {"role": "user", "content": "借款合同的利息怎么约定？"}]
    cold = LocalGenerator(model, tok)
    cold.prefixes.max_entries = 0  # every request prefills from scratch
    warm = LocalGenerator(model, tok)
    stats = [DecodeStats() for _ in range(3)]
    baseline = "".join(cold.stream(msgs, max_new_tokens=12, temperature=0, stats=stats[0]))
    first = "".join(warm.stream(msgs, max_new_tokens=12, temperature=0, stats=stats[1]))
    second = "".join(warm.stream([system, {"role": "user", "content": "借款合同的利息怎么约定？"}],
                                 max_new_tokens=12, temperature=0, stats=stats[2]))
    assert baseline == first == second
    assert stats[2].extra["prefix_cached_tokens"] > 10 and len(warm.prefixes.entries) == 1
