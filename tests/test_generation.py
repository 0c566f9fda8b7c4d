"""Backbone loading and generators, on tiny random models built in the test (no downloads)."""

from __future__ import annotations

import json
import threading

import pytest

from lawglm.errors import ModelError
from lawglm.models.backbone import (
    backbone_cache_dir,
    context_length,
    ensure_default_backbone,
    load_backbone,
)
from lawglm.models.decoding import DecodeStats
from lawglm.models.generation import LocalGenerator, RemoteGenerator, load_generator
from lawglm.settings import DEFAULT_REPETITION_PENALTY, SettingsError, get_settings

MSGS = [
    {"role": "system", "content": "你是法律助手。"},
    {"role": "user", "content": "借款合同的利息怎么约定？"},
]


@pytest.fixture(scope="module")
def gen(tiny_backbone):
    model, tok = tiny_backbone
    g = LocalGenerator(model, tok)
    g.end_ids = set()  # a random model may say <eos> at once: run to max_new_tokens
    return g


def hf_greedy(model, ids, n):
    import torch

    with torch.inference_mode():
        out = model.generate(torch.tensor([ids]), max_new_tokens=n, min_new_tokens=n, do_sample=False,
                             repetition_penalty=1.0)
    return out[0, len(ids):].tolist()


@pytest.mark.parametrize(
    "fixture, arch",
    [
        ("tiny_glm_dir", "GlmForCausalLM"),
        ("tiny_glm4_dir", "Glm4ForCausalLM"),
        ("tiny_gemma_dir", "Gemma3ForCausalLM"),
    ],
)
def test_load_backbone_glm_glm4_gemma(request, fixture, arch):
    model, tok = load_backbone(str(request.getfixturevalue(fixture)), device="cpu", progress=False)
    assert type(model).__name__ == arch and not model.training and tok.pad_token is not None
    assert context_length(model) == 2048


def test_lawglm_decode_equals_hf_generate_greedy(tiny_backbone, gen):
    model, tok = tiny_backbone
    ids = gen.encode(MSGS)
    want = hf_greedy(model, ids, 12)
    stats = DecodeStats()
    chunks = list(gen.stream(MSGS, max_new_tokens=12, temperature=0, repetition_penalty=1.0, stats=stats))
    assert "".join(chunks) == tok.decode(want, skip_special_tokens=True)
    assert stats.prompt_tokens == len(ids) and stats.completion_tokens == 12 and stats.first_token_s > 0


def test_restricted_vocabulary_only_emits_allowed_tokens(tiny_backbone, gen):
    model, tok = tiny_backbone
    ids = gen.encode(MSGS)
    full = hf_greedy(model, ids, 10)
    same = LocalGenerator(model, tok, vocab_ids=set(full) | {5, 6})
    same.end_ids = set()
    assert "".join(same.stream(MSGS, max_new_tokens=10, temperature=0, repetition_penalty=1.0)) == \
        tok.decode(full, skip_special_tokens=True)  # the argmax is in the set: identical output
    banned = {full[0]}
    small = LocalGenerator(model, tok, vocab_ids=[i for i in range(len(tok)) if i not in banned])
    small.end_ids = set()
    st = DecodeStats()
    text = "".join(small.stream(MSGS, max_new_tokens=10, temperature=0, repetition_penalty=1.0, stats=st))
    assert text != tok.decode(full, skip_special_tokens=True) and st.completion_tokens == 10


def test_stop_strings_cut_the_reply_and_never_leak(gen):
    text = "".join(gen.stream(MSGS, max_new_tokens=16, temperature=0, repetition_penalty=1.0))
    stop = text[len(text) // 2:len(text) // 2 + 2]
    assert len(stop) == 2
    stats = DecodeStats()
    cut = "".join(gen.stream(MSGS, max_new_tokens=16, temperature=0, repetition_penalty=1.0, stop=[stop],
                             stats=stats))
    assert cut == text[:text.find(stop)] and stop not in cut and stats.finish_reason == "stop"


def test_sampling_is_seeded_and_respects_max_new_tokens(gen):
    a = "".join(gen.stream(MSGS, max_new_tokens=8, temperature=1.0, top_p=0.9, seed=1))
    b = "".join(gen.stream(MSGS, max_new_tokens=8, temperature=1.0, top_p=0.9, seed=1))
    st = DecodeStats()
    list(gen.stream(MSGS, max_new_tokens=5, temperature=1.0, top_p=0.9, seed=2, stats=st))
    assert a == b and st.completion_tokens == 5


def test_stopping_iteration_frees_the_model(gen):
    it = gen.stream(MSGS, max_new_tokens=50, temperature=0)
    next(it)
    assert gen.lock.locked()
    it.close()  # a disconnected client: the server closes the iterator
    assert not gen.lock.locked()
    cancel, st = threading.Event(), DecodeStats()
    it = gen.stream(MSGS, max_new_tokens=50, temperature=0, cancel=cancel, stats=st)
    next(it)
    cancel.set()
    rest = list(it)
    assert st.finish_reason == "cancelled" and st.completion_tokens < 50 and len(rest) <= 1
    assert not gen.lock.locked()


def test_prompt_beyond_context_is_an_error(gen):
    with pytest.raises(ModelError, match="context"):
        list(gen.stream("借款" * 3000, max_new_tokens=4))


def test_int8_quantisation_on_cpu(tiny_gemma_dir):
    import torch

    model, tok = load_backbone(str(tiny_gemma_dir), device="cpu", quantize=8, progress=False)
    kinds = {type(m).__module__ for m in model.modules()}
    assert any("quantized" in k for k in kinds)
    assert isinstance(model.get_output_embeddings(), torch.nn.Linear)  # the head is left to OutputHead
    g = LocalGenerator(model, tok, int8_head=True)
    st = DecodeStats()
    list(g.stream(MSGS, max_new_tokens=4, temperature=0, stats=st))
    assert st.completion_tokens + (st.finish_reason == "stop") >= 1


@pytest.mark.parametrize("kwargs, words", [({"quantize": 4}, "4-bit needs CUDA"), ({"quantize": 3}, "8 or 4"),
                                           ({"device": "cuda"}, "CUDA is not available"),
                                           ({"dtype": "float64"}, "unknown dtype")])
def test_bad_device_options_are_clear_errors(tiny_gemma_dir, kwargs, words):
    import torch

    if kwargs.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ModelError, match=words):
        load_backbone(str(tiny_gemma_dir), progress=False, **{"device": "cpu", **kwargs})


def test_missing_and_malformed_model_dirs(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_backbone(str(tmp_path / "nope"), progress=False)
    with pytest.raises(ModelError, match="no config.json"):
        load_backbone(str(tmp_path), progress=False)


def test_chatglm_checkpoint_without_weights_or_of_the_first_generation_says_what_is_wrong(tmp_path):
    """A THUDM remote-code directory is converted (lawglm.models.chatglm); what cannot be converted is
    named."""
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "chatglm",
                "architectures": ["ChatGLMModel"],
                "auto_map": {"AutoConfig": "configuration_chatglm.ChatGLMConfig"},
            }
        )
    )
    with pytest.raises(ModelError, match="no \\*.safetensors or pytorch_model\\*.bin weights"):
        load_backbone(str(tmp_path), device="cpu", progress=False)
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(
        ModelError, match="first-generation ChatGLM-6B"
    ):  # no padded_vocab_size: ChatGLM-6B v1
        load_backbone(str(tmp_path), device="cpu", progress=False)


def test_default_backbone_cache_is_atomic(monkeypatch):
    """A conversion killed half-way leaves no cache; the next run converts again and succeeds."""
    import lawglm.models.backbone as g

    target = backbone_cache_dir()

    def crash(tgt, progress):
        tmp = tgt.parent / f".{tgt.name}.tmp-1"
        tmp.mkdir(parents=True)
        (tmp / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(g, "_convert_gguf", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_default_backbone(progress=False)
    assert not target.exists()

    def convert(tgt, progress):  # the real one's final step: a finished temp dir renamed into place
        tmp = tgt.parent / f".{tgt.name}.tmp-2"
        tmp.mkdir()
        (tmp / "config.json").write_text("{}")
        (tmp / g.CACHE_META).write_text("{}")
        g.os.replace(tmp, tgt)

    monkeypatch.setattr(g, "_convert_gguf", convert)
    assert ensure_default_backbone(progress=False) == target and (target / g.CACHE_META).exists()
    assert not list(target.parent.glob(".*tmp-*"))  # the stale temp dir was cleaned up


def sse(events):
    import httpx

    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"

    def handler(request):
        payload = json.loads(request.content)
        handler.seen.append(payload)
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    handler.seen = []
    return handler


def test_remote_generator_streams_openai_sse():
    import httpx

    handler = sse([{"choices": [{"delta": {"role": "assistant"}}]},
                   {"choices": [{"delta": {"content": "根据"}}]},
                   {"choices": [{"delta": {"content": "《民法典》"}, "finish_reason": "stop"}]},
                   {"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 2}}])
    r = RemoteGenerator("http://llm.local/v1", model="chatglm3-6b",
                        client=httpx.Client(transport=httpx.MockTransport(handler)))
    st = DecodeStats()
    chunks = list(r.stream(MSGS, max_new_tokens=7, temperature=0.1, stop=["\n\n问："], stats=st))
    assert chunks == ["根据", "《民法典》"] and st.prompt_tokens == 30 and st.completion_tokens == 2
    sent = handler.seen[0]
    assert sent["model"] == "chatglm3-6b" and sent["messages"] == MSGS and sent["max_tokens"] == 7
    assert sent["stream"] is True and sent["stop"] == ["\n\n问："] and "seed" not in sent
    assert sent["repetition_penalty"] == DEFAULT_REPETITION_PENALTY  # the settings' default, not 1.0 (off)
    list(r.stream(MSGS, seed=7))
    assert handler.seen[1]["seed"] == 7  # a seed reaches the backend, as the local generator uses its own


def test_remote_errors_are_model_errors():
    import httpx

    bad = RemoteGenerator("http://llm.local/v1", client=httpx.Client(
        transport=httpx.MockTransport(lambda req: httpx.Response(503, text="overloaded"))))
    with pytest.raises(ModelError, match="503"):
        list(bad.stream(MSGS))
    with pytest.raises(ModelError, match="http"):
        RemoteGenerator("llm.local:8000")


def test_generator_per_settings(tiny_gemma_dir, tmp_path):
    assert load_generator(get_settings(llm="none")) is None
    remote = load_generator(get_settings(llm_url="http://127.0.0.1:9/v1"))
    assert isinstance(remote, RemoteGenerator)
    local = load_generator(get_settings(model=str(tiny_gemma_dir), device="cpu", adapters_dir=tmp_path),
                           progress=False)
    assert isinstance(local, LocalGenerator) and local.adapters == [] and local.default_adapter == "none"
    assert not any("quantized" in type(m).__module__ for m in local.model.modules())  # full precision
    q8 = load_generator(get_settings(model=str(tiny_gemma_dir), device="cpu", adapters_dir=tmp_path,
                                     quantize=8), progress=False)
    assert any("quantized" in type(m).__module__ for m in q8.model.modules())
    with pytest.raises(SettingsError, match="^llm: "):  # refused with the settings, before any loading
        load_generator(get_settings(llm="gpt"))


def test_restricted_head_is_extended_with_the_prompt_tokens(tiny_backbone):
    import torch

    from lawglm.models.decoding import OutputHead

    model, tok = tiny_backbone
    head = OutputHead(model, vocab_ids=range(0, len(tok), 3))
    prompt = [4, 5, 7, 9, 10]
    ext = head.extended(prompt)
    assert head.extra is None and len(ext.ids) == len(head.ids) + 4  # 4, 5, 7, 10 (9 is already in)
    hidden = torch.randn(1, model.config.hidden_size)
    full = model.get_output_embeddings()(hidden).float()[0]
    logits = ext(hidden)[0]
    for tid in [0, 3, 4, 7, 10]:
        assert torch.allclose(logits[ext.to_index(torch.tensor([tid]))], full[tid], atol=1e-5)
        assert ext.to_token(int(ext.to_index(torch.tensor([tid])))) == tid
    assert len(ext.to_index(torch.tensor([1, 2, 4]))) == 1  # 1 and 2 are outside


@pytest.mark.slow
def test_default_backbone_converts_once_then_loads_from_cache():
    """The real embedded Gemma-3-270M: GGUF -> safetensors once, then the cache; it answers in Chinese."""
    import time

    t0 = time.perf_counter()
    model, tok = load_backbone(device="cpu", progress=False)
    first = time.perf_counter() - t0
    cache = backbone_cache_dir()
    assert (cache / "model.safetensors").exists() and (cache / "lawglm-backbone.json").exists()
    assert not (cache.parent / "gguf").exists()  # the assembled GGUF is removed after conversion
    t0 = time.perf_counter()
    model, tok = load_backbone(device="cpu", progress=False)
    assert time.perf_counter() - t0 < first
    assert type(model).__name__ == "Gemma3ForCausalLM" and len(tok) == 262144
    g = LocalGenerator(model, tok)
    text = "".join(g.stream(MSGS, max_new_tokens=8, temperature=0))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)
