"""The typed seams: the real retriever and generators, and the test doubles standing in for them, implement
every member of the protocols the answer pipeline and the server call (search.retrieval.SearchService,
models.generation.Generator), with every keyword those callers pass."""

from __future__ import annotations

import inspect

import httpx
import pytest
from doubles import Recorded, SearchSpy

from lawglm.errors import ModelError
from lawglm.models.generation import Generator, LocalGenerator
from lawglm.models.remote import RemoteGenerator
from lawglm.search.retrieval import Retriever, SearchService


def _keywords(fn) -> dict[str, object]:
    """The keyword parameters of `fn` with their defaults."""
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name != "self"}


def _takes_the_protocols_keywords(method, protocol_method) -> None:
    have, want = _keywords(method), _keywords(protocol_method)
    missing = sorted(set(want) - set(have))
    assert not missing, f"{method.__qualname__} lacks {missing}"


@pytest.fixture(scope="module")
def retriever(tiny_index):
    return Retriever.load(tiny_index)


@pytest.fixture(scope="module")
def generators(tiny_backbone):
    model, tok = tiny_backbone
    remote = RemoteGenerator("http://llm.test/v1", client=httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(500))))
    return [LocalGenerator(model, tok), remote, Recorded("回答。")]


def test_retrievers_implement_the_search_service(retriever):
    for r in (retriever, SearchSpy(retriever)):
        assert isinstance(r, SearchService), type(r).__name__
        _takes_the_protocols_keywords(r.search, SearchService.search)
        assert r.levels() == retriever.levels() and r.links is retriever.links
        assert r.corpus is retriever.corpus and r.version == retriever.version


def test_generators_implement_the_generator_protocol(generators):
    for g in generators:
        assert isinstance(g, Generator), type(g).__name__
        _takes_the_protocols_keywords(g.stream, Generator.stream)
        assert isinstance(g.adapters, list) and isinstance(g.adapter_infos, list)
        assert g.context_length > 0 and g.count_tokens("借款利息") > 0


def test_an_object_missing_a_member_is_no_generator():
    class NoAdapters:  # everything the pipeline reads but the adapters it lists
        kind, name, context_length, tokenizer, default_adapter = "local", "x", 1, None, None
        adapter_infos = ()

        def count_tokens(self, prompt):
            return 0

        def stream(self, prompt, **kw):
            yield ""

    assert not isinstance(NoAdapters(), Generator)


def test_each_kind_refuses_the_others_keywords(generators):
    local, remote, _ = generators
    with pytest.raises(ModelError, match="^tools:"):
        next(local.stream("你好", tools=[{"name": "track"}]))
    with pytest.raises(ModelError, match="^guard:"):
        next(remote.stream("你好", guard=object()))
