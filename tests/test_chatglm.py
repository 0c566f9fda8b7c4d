"""ChatGLM2/3 / GLM-4 remote-code checkpoints: conversion, tokenizer, adapters, serving.

No real weights: tiny random checkpoints in THUDM's layout (its key names and config fields) are written
here, and `reference_logits` is an independent forward pass written from the remote-code architecture
([seq, heads, dim] rotary cache of (cos, sin) pairs over half of each head, multi-query groups expanded per
head, prefix keys/values prepended unrotated with the prompt's positions starting at 0).
"""

from __future__ import annotations

import io
import json
import math

import pytest
from doubles import SEED_TOOLS
from live import run_cli

torch = pytest.importorskip("torch")

TINY = {"hidden_size": 64, "num_attention_heads": 4, "multi_query_group_num": 2, "kv_channels": 16,
        "ffn_hidden_size": 96, "num_layers": 2}
FLAVOURS = {
    "chatglm2": {"layernorm_epsilon": 1e-5, "seq_length": 512},
    "chatglm3": {"layernorm_epsilon": 1e-5, "seq_length": 512, "rope_ratio": 50},
    "glm4": {"layernorm_epsilon": 1.5625e-07, "seq_length": 1024, "rope_ratio": 500},
    "chatglm2-32k": {"layernorm_epsilon": 1e-5, "seq_length": 512, "rope_ratio": 4},
}


# --- a ChatGLM checkpoint in THUDM's layout ------------------------------------------------------
def chatglm_config(flavour: str, vocab: int) -> dict:
    return {"model_type": "chatglm", "architectures": ["ChatGLMModel"], "add_bias_linear": False,
            "add_qkv_bias": True, "apply_query_key_layer_scaling": True,
            "apply_residual_connection_post_layernorm": False, "attention_dropout": 0.0,
            "attention_softmax_in_fp32": True, "bias_dropout_fusion": True, "fp32_residual_connection": False,
            "hidden_dropout": 0.0, "multi_query_attention": True, "original_rope": True,
            "padded_vocab_size": vocab, "post_layer_norm": True, "rmsnorm": True, "use_cache": True,
            "torch_dtype": "float32", "tie_word_embeddings": False, "eos_token_id": 2, "pad_token_id": 0,
            **TINY, **FLAVOURS[flavour]}


def chatglm_state(cfg: dict, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    h, hd, nh, ng = (
        cfg["hidden_size"],
        cfg["kv_channels"],
        cfg["num_attention_heads"],
        cfg["multi_query_group_num"],
    )
    qkv = (nh + 2 * ng) * hd
    r = lambda *s: torch.randn(*s, generator=g) * 0.2
    state = {"transformer.embedding.word_embeddings.weight": r(cfg["padded_vocab_size"], h),
             "transformer.rotary_pos_emb.inv_freq": torch.ones(hd // 4),
             "transformer.encoder.final_layernorm.weight": 1 + r(h),
             "transformer.output_layer.weight": r(cfg["padded_vocab_size"], h)}
    for i in range(cfg["num_layers"]):
        p = f"transformer.encoder.layers.{i}."
        state.update({p + "input_layernorm.weight": 1 + r(h), p + "post_attention_layernorm.weight": 1 + r(h),
                      p + "self_attention.query_key_value.weight": r(qkv, h),
                      p + "self_attention.query_key_value.bias": r(qkv),
                      p + "self_attention.dense.weight": r(h, nh * hd),
                      p + "mlp.dense_h_to_4h.weight": r(2 * cfg["ffn_hidden_size"], h),
                      p + "mlp.dense_4h_to_h.weight": r(h, cfg["ffn_hidden_size"])})
    return state


def write_checkpoint(path, flavour: str, vocab: int = 160, fmt: str = "safetensors", tokenizer=None) -> dict:
    """Two weight shards + their index + config.json (+ tokenizer.model); returns (config, state)."""
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    cfg = chatglm_config(flavour, vocab)
    state = chatglm_state(cfg)
    names = sorted(state)
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map = {}
    for n, part in enumerate(halves, 1):
        fname = (
            f"model-0000{n}-of-00002.safetensors"
            if fmt == "safetensors"
            else f"pytorch_model-0000{n}-of-00002.bin"
        )
        tensors = {k: state[k].contiguous() for k in part}
        save_file(tensors, str(path / fname)) if fmt == "safetensors" else torch.save(tensors, path / fname)
        weight_map.update(dict.fromkeys(part, fname))
    index = "model.safetensors.index.json" if fmt == "safetensors" else "pytorch_model.bin.index.json"
    (path / index).write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (path / "config.json").write_text(json.dumps(cfg))
    if flavour == "chatglm2-32k":  # the remote code that interpolates positions instead of scaling the base
        (path / "modeling_chatglm.py").write_text("seq_idx = torch.arange(seq_len) / self.rope_ratio\n")
    if tokenizer is not None:
        (path / "tokenizer.model").write_bytes(tokenizer)
    return cfg, state


# --- the reference forward pass (remote-code semantics) ---------------------------------------------
def _rope_cache(cfg: dict, positions, linear: bool):
    ratio = cfg.get("rope_ratio", 1)
    n_elem = cfg["kv_channels"] // 2
    base = 10000 * (1 if linear else ratio)
    theta = 1.0 / (base ** (torch.arange(0, n_elem, 2, dtype=torch.float) / n_elem))
    pos = positions.float() / (ratio if linear else 1)
    idx = torch.outer(pos, theta)
    return torch.stack([torch.cos(idx), torch.sin(idx)], dim=-1)  # [seq, n_elem/2, 2]


def _apply_rope(x, cache):  # x: [seq, heads, dim]
    rot = cache.shape[-2] * 2
    x, x_pass = x[..., :rot], x[..., rot:]
    xs = x.reshape(x.shape[0], x.shape[1], rot // 2, 2)
    c = cache.view(x.shape[0], 1, rot // 2, 2)
    out = torch.stack([xs[..., 0] * c[..., 0] - xs[..., 1] * c[..., 1],
                       xs[..., 1] * c[..., 0] + xs[..., 0] * c[..., 1]], -1).flatten(2)
    return torch.cat([out, x_pass], dim=-1)


def _rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def _attention(x, state, p, cfg, cache, prefix):
    nh, ng, hd = cfg["num_attention_heads"], cfg["multi_query_group_num"], cfg["kv_channels"]
    qkv = x @ state[p + "query_key_value.weight"].T + state[p + "query_key_value.bias"]
    q, k, v = qkv.split([nh * hd, ng * hd, ng * hd], dim=-1)
    q, k, v = q.view(-1, nh, hd), k.view(-1, ng, hd), v.view(-1, ng, hd)
    q, k = _apply_rope(q, cache), _apply_rope(k, cache)
    n_prefix = 0 if prefix is None else prefix[0].shape[0]
    if prefix is not None:
        k, v = torch.cat([prefix[0], k]), torch.cat([prefix[1], v])
    k = k.unsqueeze(2).expand(-1, ng, nh // ng, hd).reshape(-1, nh, hd)
    v = v.unsqueeze(2).expand(-1, ng, nh // ng, hd).reshape(-1, nh, hd)
    scores = torch.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd)
    s = q.shape[0]
    allowed = torch.ones(s, n_prefix + s, dtype=torch.bool)
    allowed[:, n_prefix:] = torch.tril(torch.ones(s, s, dtype=torch.bool))
    probs = scores.masked_fill(~allowed, float("-inf")).softmax(-1)
    ctx = torch.einsum("hqk,khd->qhd", probs, v).reshape(s, nh * hd)
    return ctx @ state[p + "dense.weight"].T


def reference_logits(state: dict, cfg: dict, ids: list[int], prefix_kv=None, linear_rope: bool = False):
    """Logits [seq, vocab] of the remote-code ChatGLM on `ids`; prefix_kv: [pre_seq_len,
    layers*2*groups*kv]."""
    eps, ng, hd = cfg["layernorm_epsilon"], cfg["multi_query_group_num"], cfg["kv_channels"]
    x = state["transformer.embedding.word_embeddings.weight"][torch.tensor(ids)]
    cache = _rope_cache(cfg, torch.arange(len(ids)), linear_rope)
    past = None if prefix_kv is None else prefix_kv.view(prefix_kv.shape[0], cfg["num_layers"] * 2, ng, hd)
    for i in range(cfg["num_layers"]):
        p = f"transformer.encoder.layers.{i}."
        prefix = None if past is None else (past[:, 2 * i], past[:, 2 * i + 1])
        x = x + _attention(_rms(x, state[p + "input_layernorm.weight"], eps), state, p + "self_attention.",
                           cfg, cache, prefix)
        h = (
            _rms(x, state[p + "post_attention_layernorm.weight"], eps)
            @ state[p + "mlp.dense_h_to_4h.weight"].T
        )
        gate, up = h.chunk(2, dim=-1)
        x = x + (torch.nn.functional.silu(gate) * up) @ state[p + "mlp.dense_4h_to_h.weight"].T
    x = _rms(x, state["transformer.encoder.final_layernorm.weight"], eps)
    return x @ state["transformer.output_layer.weight"].T


def _native_logits(model, ids, cache=None):
    import inspect

    from lawglm.models.decoding import base_model

    name = (
        "cache" if "cache" in inspect.signature(base_model(model).forward).parameters else "past_key_values"
    )
    kwargs = {} if cache is None else {name: cache}
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids]), use_cache=cache is not None, **kwargs).logits[0]


def _ids(vocab, n=12, seed=1):
    return torch.randint(0, vocab, (n,), generator=torch.Generator().manual_seed(seed)).tolist()


# --- conversion ---------------------------------------------------------------------------------
@pytest.mark.parametrize("flavour, fmt", [("chatglm2", "bin"), ("chatglm3", "safetensors"),
                                          ("glm4", "safetensors"), ("chatglm2-32k", "safetensors")])
def test_converted_logits_match_the_reference(tmp_path, flavour, fmt):
    from lawglm.models.chatglm import convert_chatglm, verify_conversion
    cfg, state = write_checkpoint(tmp_path / "src", flavour, fmt=fmt)
    meta = convert_chatglm(tmp_path / "src", tmp_path / "out", progress=False)
    assert sorted(meta["source_files"]) == sorted(p.name for p in (tmp_path / "src").glob("*0000*"))
    assert "model-00001-of-00002.safetensors" in meta["sha256"] and verify_conversion(tmp_path / "out") == []
    model = load_native(tmp_path / "out")
    assert type(model).__name__ == "GlmForCausalLM" and model.config.num_key_value_heads == 2
    ids = _ids(160)
    want = reference_logits(state, cfg, ids, linear_rope=flavour == "chatglm2-32k")
    got = _native_logits(model, ids)
    assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()


def load_native(path):
    """GlmForCausalLM from a converted directory (float32, eval mode)."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()


def test_manifest_detects_a_changed_shard_and_bad_sources_are_refused(tmp_path):
    from lawglm.errors import ModelError
    from lawglm.models.chatglm import convert_chatglm, verify_conversion

    write_checkpoint(tmp_path / "src", "chatglm3")
    convert_chatglm(tmp_path / "src", tmp_path / "out", progress=False)
    shard = tmp_path / "out" / "model-00002-of-00002.safetensors"
    data = bytearray(shard.read_bytes())
    data[-1] ^= 1
    shard.write_bytes(bytes(data))
    assert verify_conversion(tmp_path / "out") == ["model-00002-of-00002.safetensors"]
    with pytest.raises(ModelError, match="not empty"):
        convert_chatglm(tmp_path / "src", tmp_path / "out", progress=False)
    cfg = json.loads((tmp_path / "src" / "config.json").read_text())
    (tmp_path / "src" / "config.json").write_text(json.dumps({**cfg, "add_bias_linear": True}))
    with pytest.raises(ModelError, match="add_bias_linear"):
        convert_chatglm(tmp_path / "src", tmp_path / "new", progress=False)
    assert not (tmp_path / "new").exists()
    with pytest.raises(ModelError, match="not a ChatGLM"):
        convert_chatglm(tmp_path / "out", tmp_path / "new", progress=False)


# --- the tokenizer ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sp_model(tiny_articles):
    """A small SentencePiece BPE model trained here like ChatGLM's (byte fallback, whitespace kept)."""
    import sentencepiece as spm

    from lawglm.answer.prompts import GROUNDED_SYSTEM_PROMPT, SYSTEM_PROMPT

    texts = [a.text for a in tiny_articles] + [SYSTEM_PROMPT, GROUNDED_SYSTEM_PROMPT] * 3 \
        + ["[Round 1]\n\n问：工资\n\n答：可以申请劳动仲裁。\n\n", "code:\n    return x  # two  spaces"] * 5
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=buf, vocab_size=1500, hard_vocab_limit=False,
        model_type="bpe", byte_fallback=True, character_coverage=0.9995, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, split_digits=True,
        allow_whitespace_only_pieces=True, minloglevel=2)
    return buf.getvalue()


def _sp(model_bytes):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_proto=model_bytes)


SPECIALS = ["[MASK]", "[gMASK]", "[sMASK]", "sop", "eop", "<|system|>", "<|user|>", "<|assistant|>",
            "<|observation|>"]


def chatglm3_reference_ids(sp, query, history, system=None):
    """ChatGLM3's build_chat_input: [gMASK] sop, then <|role|> sp("\\n") sp(content) per message,
    <|assistant|>."""
    special = {t: sp.get_piece_size() + i for i, t in enumerate(SPECIALS)}
    ids = [special["[gMASK]"], special["sop"]]
    turns = ([("system", system)] if system else []) + [m for q, a in history
                                                         for m in (("user", q), ("assistant", a))]
    for role, content in [*turns, ("user", query)]:
        ids += [special[f"<|{role}|>"]] + sp.encode("\n") + sp.encode(content)
    return ids + [special["<|assistant|>"]]


def chatglm2_reference_ids(sp, query, history):
    """ChatGLM2's build_prompt + [gMASK] sop."""
    prompt = "".join(f"[Round {i}]\n\n问：{q}\n\n答：{a}\n\n" for i, (q, a) in enumerate(history, 1))
    prompt += f"[Round {len(history) + 1}]\n\n问：{query}\n\n答："
    n = sp.get_piece_size()
    return [n + 1, n + 3] + sp.encode(prompt)


def _messages(query, history, system=None):
    msgs = [{"role": "system", "content": system}] if system else []
    for q, a in history:
        msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    return [*msgs, {"role": "user", "content": query}]


@pytest.fixture(scope="module")
def converted_tokenizers(tmp_path_factory, sp_model):
    from transformers import AutoTokenizer

    from lawglm.models.chatglm_tokenizer import convert_tokenizer

    out = {}
    for fmt in ("chatglm2", "chatglm3"):
        src, dst = tmp_path_factory.mktemp(f"{fmt}-src"), tmp_path_factory.mktemp(f"{fmt}-tok")
        (src / "tokenizer.model").write_bytes(sp_model)
        info = convert_tokenizer(src, dst, fmt)
        out[fmt] = (AutoTokenizer.from_pretrained(dst), info)
    return out


def test_plain_text_tokenises_exactly_like_sentencepiece(converted_tokenizers, sp_model, corpus):
    sp = _sp(sp_model)
    tok, info = converted_tokenizers["chatglm3"]
    texts = [a.text for a in list(corpus.articles)[2000:2200]] + [
        "sophisticated sop eop", "  two  spaces\tand tab\n\nnewlines ", "数字12345，English，😀 emoji", "x"]
    for text in texts:
        assert tok(text, add_special_tokens=False)["input_ids"] == sp.encode(text), text
        assert tok.decode(sp.encode(text)) == sp.decode(sp.encode(text))
    n = sp.get_piece_size()
    assert [tok.convert_tokens_to_ids(t) for t in ("[gMASK]", "<sop>", "<|user|>", "<|observation|>")] == \
        [n + 1, n + 3, n + 6, n + 8]
    assert info["eos_token_id"] == [sp.eos_id(), n + 6, n + 8] and tok.padding_side == "left"


@pytest.mark.parametrize("fmt", ["chatglm2", "chatglm3"])
def test_chat_prompts_are_token_identical_to_model_chat(converted_tokenizers, sp_model, tiny_articles, fmt):
    from lawglm.answer.prompts import SYSTEM_PROMPT
    from lawglm.models.chat_format import prompt_ids, render

    sp = _sp(sp_model)
    tok, _ = converted_tokenizers[fmt]
    history = [
        ["公司拖欠工资怎么办？", tiny_articles[0].text],
        ["  要 先 协商吗？", "可以。\n\n也可以仲裁。"],
    ]
    for hist in ([], history):
        query = tiny_articles[3].text[:60]
        if fmt == "chatglm3":
            want = chatglm3_reference_ids(sp, query, hist, system=SYSTEM_PROMPT)
            msgs = _messages(query, hist, SYSTEM_PROMPT)
        else:
            want, msgs = chatglm2_reference_ids(sp, query, hist), _messages(query, hist)
        assert prompt_ids(tok, render(tok, msgs)) == want


# --- adapters ------------------------------------------------------------------------------------
PRE_SEQ_LEN = 128


@pytest.fixture(scope="module")
def converted_glm(tmp_path_factory):
    """(chatglm config, chatglm state, converted dir) for a ChatGLM3-layout checkpoint."""
    from lawglm.models.chatglm import convert_chatglm

    root = tmp_path_factory.mktemp("chatglm3")
    cfg, state = write_checkpoint(root / "src", "chatglm3")
    convert_chatglm(root / "src", root / "out", progress=False)
    return cfg, state, root / "out"


def write_ptuning(path, cfg, projection: bool, seed: int = 3):
    """A ptuning/main.py checkpoint: the trainable prefix encoder's tensors + the run's config.json."""
    g = torch.Generator().manual_seed(seed)
    kv_size = cfg["num_layers"] * cfg["kv_channels"] * cfg["multi_query_group_num"] * 2
    p = "transformer.prefix_encoder."
    state = {p + "embedding.weight": torch.randn(PRE_SEQ_LEN, kv_size, generator=g)}
    if projection:
        h = cfg["hidden_size"]
        state.update({p + "trans.0.weight": torch.randn(h, kv_size, generator=g) * 0.1,
                      p + "trans.0.bias": torch.randn(h, generator=g) * 0.1,
                      p + "trans.2.weight": torch.randn(kv_size, h, generator=g) * 0.3,
                      p + "trans.2.bias": torch.randn(kv_size, generator=g) * 0.1})
    path.mkdir(parents=True)
    torch.save(state, path / "pytorch_model.bin")
    (path / "config.json").write_text(
        json.dumps({**cfg, "pre_seq_len": PRE_SEQ_LEN, "prefix_projection": projection})
    )
    if not projection:
        return state[p + "embedding.weight"]
    hidden = torch.tanh(
        state[p + "embedding.weight"] @ state[p + "trans.0.weight"].T + state[p + "trans.0.bias"]
    )
    return hidden @ state[p + "trans.2.weight"].T + state[p + "trans.2.bias"]


@pytest.mark.parametrize("projection", [False, True])
def test_ptuning_checkpoint_imports_as_prefix_tuning(tmp_path, converted_glm, projection):
    from lawglm.models.adapters import attach_adapters
    from lawglm.models.chatglm_adapters import import_adapter
    from lawglm.models.decoding import _initial_cache

    cfg, state, out = converted_glm
    kv = write_ptuning(tmp_path / "ptuning" / "checkpoint-3000", cfg, projection)
    meta = import_adapter(tmp_path / "ptuning" / "checkpoint-3000", out, tmp_path / "adapters" / "pt")
    assert meta["method"] == "ptuning" and meta["imported_from"]["prefix_projection"] is projection
    assert "P-tuning v2" in (tmp_path / "adapters" / "pt" / "README.md").read_text()
    # the stored prefix: values as ChatGLM computes them, keys rotated to position PRE_SEQ_LEN
    from safetensors.torch import load_file

    stored = load_file(tmp_path / "adapters" / "pt" / "adapter_model.safetensors")["prompt_embeddings"]
    ng, hd = cfg["multi_query_group_num"], cfg["kv_channels"]
    want, got = kv.view(PRE_SEQ_LEN, -1, 2, ng, hd), stored.view(PRE_SEQ_LEN, -1, 2, ng, hd)
    assert torch.allclose(got[:, :, 1], want[:, :, 1], atol=1e-6)
    cache = _rope_cache(cfg, torch.full((PRE_SEQ_LEN,), PRE_SEQ_LEN), linear=False)
    for layer in range(cfg["num_layers"]):
        assert torch.allclose(got[:, layer, 0], _apply_rope(want[:, layer, 0], cache), atol=1e-6)
    # and the model with it attached computes what ChatGLM computes with its prefix
    model = load_native(out)
    aset = attach_adapters(model, {"pt": tmp_path / "adapters" / "pt"})
    ids = _ids(160, n=10, seed=4)
    with aset.use("pt") as prefix:
        got_logits = _native_logits(aset.model, ids, _initial_cache(aset.model, prefix))
    want_logits = reference_logits(state, cfg, ids, prefix_kv=kv)
    assert torch.allclose(got_logits, want_logits, atol=1e-5), (got_logits - want_logits).abs().max()
    assert not torch.allclose(got_logits, reference_logits(state, cfg, ids), atol=1e-3)


def write_finetune_lora(path, cfg, targets=("query_key_value", "dense_h_to_4h"), r=4, alpha=8, seed=5):
    """A finetune_demo PEFT LoRA saved on the remote-code model; returns {layer module: delta}."""
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(seed)
    h, hd = cfg["hidden_size"], cfg["kv_channels"]
    outs = {
        "self_attention.query_key_value": (cfg["num_attention_heads"] + 2 * cfg["multi_query_group_num"])
        * hd,
        "mlp.dense_h_to_4h": 2 * cfg["ffn_hidden_size"],
    }
    tensors, deltas = {}, {}
    for i in range(cfg["num_layers"]):
        for module, rows in outs.items():
            if module.rsplit(".", 1)[-1] not in targets:
                continue
            a, b = torch.randn(r, h, generator=g) * 0.3, torch.randn(rows, r, generator=g) * 0.3
            key = f"base_model.model.transformer.encoder.layers.{i}.{module}"
            tensors[f"{key}.lora_A.weight"], tensors[f"{key}.lora_B.weight"] = a, b
            deltas[f"transformer.encoder.layers.{i}.{module}.weight"] = (alpha / r) * b @ a
    path.mkdir(parents=True)
    save_file(tensors, str(path / "adapter_model.safetensors"))
    (path / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": r, "lora_alpha": alpha, "lora_dropout": 0.1,
        "target_modules": list(targets), "bias": "none", "fan_in_fan_out": False, "inference_mode": True,
        "modules_to_save": None, "base_model_name_or_path": "THUDM/chatglm3-6b", "auto_mapping": None}))
    return deltas


def test_finetune_demo_lora_splits_onto_q_k_v(tmp_path, converted_glm):
    from lawglm.models.adapters import attach_adapters
    from lawglm.models.chatglm_adapters import import_adapter

    cfg, state, out = converted_glm
    deltas = write_finetune_lora(tmp_path / "lora-src", cfg)
    meta = import_adapter(tmp_path / "lora-src", out, tmp_path / "adapters" / "lora")
    assert meta["imported_from"]["targets"] == ["gate_up_proj", "k_proj", "q_proj", "v_proj"]
    model = load_native(out)
    aset = attach_adapters(model, {"lora": tmp_path / "adapters" / "lora"})
    nq, nk = (
        cfg["num_attention_heads"] * cfg["kv_channels"],
        cfg["multi_query_group_num"] * cfg["kv_channels"],
    )
    layers = aset.model.get_base_model().model.layers
    for i, layer in enumerate(layers):
        fused = deltas[f"transformer.encoder.layers.{i}.self_attention.query_key_value.weight"]
        for proj, rows in zip((layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj),
                              fused.split([nq, nk, nk]), strict=True):
            assert torch.allclose(proj.get_delta_weight("lora"), rows, atol=1e-6)
        assert torch.allclose(layer.mlp.gate_up_proj.get_delta_weight("lora"),
                              deltas[f"transformer.encoder.layers.{i}.mlp.dense_h_to_4h.weight"], atol=1e-6)
    merged = {k: v + deltas.get(k, 0) for k, v in state.items()}
    ids = _ids(160, n=10, seed=6)
    with aset.use("lora"):
        got = _native_logits(aset.model, ids)
    assert torch.allclose(got, reference_logits(merged, cfg, ids), atol=1e-5)


def test_adapter_import_refuses_what_it_cannot_split(tmp_path, converted_glm):
    from lawglm.errors import AdapterError
    from lawglm.models.chatglm_adapters import import_adapter

    cfg, _, out = converted_glm
    write_finetune_lora(tmp_path / "dora", cfg)
    conf = json.loads((tmp_path / "dora" / "adapter_config.json").read_text())
    (tmp_path / "dora" / "adapter_config.json").write_text(json.dumps({**conf, "use_dora": True}))
    with pytest.raises(AdapterError, match="use_dora"):
        import_adapter(tmp_path / "dora", out, tmp_path / "adapters" / "x")
    write_ptuning(tmp_path / "pt", {**cfg, "num_layers": 3}, projection=False)
    with pytest.raises(AdapterError, match="another model"):
        import_adapter(tmp_path / "pt", out, tmp_path / "adapters" / "x")
    with pytest.raises(AdapterError, match="convert the model first"):
        import_adapter(tmp_path / "pt", tmp_path, tmp_path / "adapters" / "x")
    assert not (tmp_path / "adapters" / "x").exists()


# --- serving the converted model ----------------------------------------------------------------
@pytest.fixture(scope="module")
def raw_chatglm3(tmp_path_factory, sp_model):
    """A raw ChatGLM3-layout checkpoint with its tokenizer.model (vocabulary padded like the release)."""
    n = _sp(sp_model).get_piece_size() + len(SPECIALS)
    root = tmp_path_factory.mktemp("models") / "chatglm3-6b-tiny"
    write_checkpoint(root, "chatglm3", vocab=(n + 63) // 64 * 64, tokenizer=sp_model)
    return root




def test_model_flag_on_a_raw_chatglm_dir_converts_once_and_serves(raw_chatglm3, tiny_index, make_client,
                                                                  tmp_path, sp_model):
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    settings = Settings(llm="local", model=str(raw_chatglm3), adapter="none", adapters_dir=tmp_path,
                        device="cpu", index_dir=tiny_index, max_new_tokens=8)
    assistant = Assistant.from_settings(settings, progress=False)
    cached = list((settings.home / "backbones").glob("chatglm-chatglm3-6b-tiny-*"))
    assert len(cached) == 1 and (cached[0] / "lawglm-convert.json").is_file()
    stamp = (cached[0] / "lawglm-convert.json").stat().st_mtime_ns
    gen = assistant.generator
    sp = _sp(sp_model)
    msgs = _messages("工资被拖欠", [["你好", "你好。"]], "你是律师。")
    assert gen.encode(msgs) == chatglm3_reference_ids(sp, "工资被拖欠", [["你好", "你好。"]], "你是律师。")
    n = sp.get_piece_size()
    assert {sp.eos_id(), n + 6, n + 8} <= gen.end_ids  # </s>, <|user|>, <|observation|> end a reply
    answer = assistant.ask("公司拖欠我三个月工资怎么办？", history=[["你好", "你好，请问有什么法律问题？"]])
    assert answer.retrieved and answer.usage.prompt_tokens > 0
    client = make_client(assistant)
    r = client.post("/chatglm", json={"prompt": "公司拖欠工资怎么办？", "history": [["你好", "你好。"]]})
    assert r.status_code == 200 and r.json()["history"][-1][0] == "公司拖欠工资怎么办？"
    assert client.post("/v1/legal/ask", json={"question": "借款到期不还怎么办？"}).status_code == 200
    r = client.post("/v1/chat/completions", json={"model": "lawglm", "messages": [
        {"role": "user", "content": "借款到期不还怎么办？"}], "max_tokens": 8})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["role"] == "assistant"
    Assistant.from_settings(settings, progress=False)  # the second start reuses the conversion
    assert (cached[0] / "lawglm-convert.json").stat().st_mtime_ns == stamp


def test_cli_convert_import_ask_chat_and_train(raw_chatglm3, tiny_index, tmp_path, capsys, monkeypatch,
                                               converted_glm):
    out = tmp_path / "chatglm3-hf"
    code, stdout, _ = run_cli(["convert", "chatglm", str(raw_chatglm3), str(out)], capsys)
    assert code == 0 and "lawglm-convert.json" in stdout and (out / "tokenizer.json").is_file()
    cfg = json.loads((raw_chatglm3 / "config.json").read_text())
    write_ptuning(tmp_path / "ptuning-src", cfg, projection=True)
    code, stdout, _ = run_cli(["adapters", "import", str(tmp_path / "ptuning-src"), "--base", str(out),
                               "--name", "legal-pt", "--adapters-dir", str(tmp_path / "adapters")], capsys)
    assert code == 0 and (tmp_path / "adapters" / "legal-pt" / "lawglm.json").is_file()
    for var, value in {"LAWGLM_MODEL": str(out), "LAWGLM_DEVICE": "cpu", "LAWGLM_INDEX_DIR": str(tiny_index),
                       "LAWGLM_ADAPTERS_DIR": str(tmp_path / "adapters"), "LAWGLM_ADAPTER": "legal-pt",
                       "LAWGLM_MAX_NEW_TOKENS": "6"}.items():
        monkeypatch.setenv(var, value)
    code, stdout, _ = run_cli(["ask", "借款利息怎么算？", "--temperature", "0"], capsys)
    assert code == 0 and "检索到的法条" in stdout
    code, stdout, _ = run_cli(["chat", "--temperature", "0"], capsys, "借款利息怎么算？\nstop\n", monkeypatch)
    assert code == 0 and "lawglm：" in stdout
    data = tmp_path / "toy.jsonl"
    data.write_text("".join(json.dumps({"prompt": q, "response": a}, ensure_ascii=False) + "\n" for q, a in
                            [("个体工商户", "自然人从事工商业经营"), ("农民专业合作社", "互助性经济组织")]))
    code, stdout, err = run_cli(
        [
            "train",
            "--method",
            "lora",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "lora"),
            "--model",
            str(out),
            "--max-steps",
            "2",
            "--device",
            "cpu",
            "--lora-rank",
            "2",
            "--save-steps",
            "0",
            "--no-gold-in-context",
            "--no-cite-gold",
        ],
        capsys,
    )
    assert code == 0, err
    assert json.loads((tmp_path / "lora" / "lawglm.json").read_text())["architecture"] == "GlmForCausalLM"
    code, _, err = run_cli(["convert", "chatglm", str(tmp_path / "lora"), str(tmp_path / "x")], capsys)
    assert code == 1 and err.count("\n") == 1 and "not a ChatGLM" in err


def test_quantize_8_on_cpu_runs_the_converted_model_in_int8(raw_chatglm3):
    from lawglm.errors import ModelError
    from lawglm.models.backbone import load_backbone

    cfg = json.loads((raw_chatglm3 / "config.json").read_text())
    state = chatglm_state(cfg)  # what write_checkpoint wrote
    model, _ = load_backbone(str(raw_chatglm3), device="cpu", quantize=8, progress=False)
    qlinear = [
        n
        for n, m in model.named_modules()
        if type(m).__name__ == "Linear" and "quantized" in type(m).__module__
    ]
    assert len(qlinear) == cfg["num_layers"] * 6  # q, k, v, o, gate_up, down per layer; lm_head stays float
    ids = _ids(cfg["padded_vocab_size"])
    got, want = _native_logits(model, ids), reference_logits(state, cfg, ids)
    assert not torch.allclose(got, want, atol=1e-5)
    assert torch.corrcoef(torch.stack([got.flatten(), want.flatten()]))[0, 1] > 0.99
    with pytest.raises(ModelError, match="4-bit needs CUDA"):
        load_backbone(str(raw_chatglm3), device="cpu", quantize=4, progress=False)


# --- GLM-4's tiktoken tokenizer ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiktoken_ranks(tiny_articles):
    """A small tiktoken vocabulary ({bytes: rank}) trained here with GLM-4's split pattern."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    from lawglm.models.chatglm_tokenizer import GLM4_PATTERN

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(GLM4_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tk.train_from_iterator([a.text for a in tiny_articles] + ["code:\n    return x  # two  spaces"] * 5,
                           trainers.BpeTrainer(vocab_size=1200, show_progress=False,
                                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    to_byte = {c: b for b, c in bytes_to_unicode().items()}
    return {bytes(to_byte[c] for c in token): rank for token, rank in tk.get_vocab().items()}


def test_glm4_tiktoken_tokenizer_matches_tiktoken_and_chat(tmp_path, tiktoken_ranks, corpus, tiny_articles):
    import base64

    tiktoken = pytest.importorskip("tiktoken")  # the reference: GLM-4's remote code tokenises with it
    from transformers import AutoTokenizer

    from lawglm.models.chat_format import prompt_ids, render
    from lawglm.models.chatglm_tokenizer import GLM4_PATTERN, GLM4_SPECIALS, convert_tokenizer

    (tmp_path / "tokenizer.model").write_text(
        "".join(
            f"{base64.b64encode(t).decode()} {r}\n"
            for t, r in sorted(tiktoken_ranks.items(), key=lambda x: x[1])
        )
    )
    info = convert_tokenizer(tmp_path, tmp_path / "out")
    n = len(tiktoken_ranks)
    special = {t: n + i for i, t in enumerate(GLM4_SPECIALS)}
    enc = tiktoken.Encoding("glm4-tiny", pat_str=GLM4_PATTERN, mergeable_ranks=tiktoken_ranks,
                            special_tokens=special)
    tok = AutoTokenizer.from_pretrained(tmp_path / "out")
    assert info["format"] == "glm4" and info["eos_token_id"] == [n, n + 7, n + 9]
    for text in [a.text for a in list(corpus.articles)[3000:3150]] + [
        "sop  two  spaces\n\n\tx",
        "😀 emoji 12345",
    ]:
        ids = enc.encode(text, disallowed_special=())
        assert tok(text, add_special_tokens=False)["input_ids"] == ids, text
        assert tok.decode(ids) == text
    history, query = [["公司拖欠工资怎么办？", tiny_articles[0].text]], tiny_articles[3].text[:60]
    want = [special["[gMASK]"], special["<sop>"]]
    for role, content in [("system", "你是律师。"), ("user", history[0][0]), ("assistant", history[0][1]),
                          ("user", query)]:
        want += [special[f"<|{role}|>"]] + enc.encode("\n" + content, disallowed_special=())
    want.append(special["<|assistant|>"])
    assert prompt_ids(tok, render(tok, _messages(query, history, "你是律师。"))) == want


def test_glm4_checkpoint_converts_with_its_tokenizer(tmp_path, tiktoken_ranks):
    import base64

    from transformers import AutoTokenizer

    from lawglm.models.chatglm import convert_chatglm

    vocab = (len(tiktoken_ranks) + 14 + 63) // 64 * 64
    model_file = "".join(f"{base64.b64encode(t).decode()} {r}\n" for t, r in tiktoken_ranks.items())
    write_checkpoint(tmp_path / "glm-4-9b-chat", "glm4", vocab=vocab, tokenizer=model_file.encode())
    meta = convert_chatglm(tmp_path / "glm-4-9b-chat", tmp_path / "out", progress=False)
    n = len(tiktoken_ranks)
    cfg = json.loads((tmp_path / "out" / "config.json").read_text())
    assert meta["tokenizer"] == "converted" and meta["chat_format"] == "glm4"
    assert cfg["eos_token_id"] == [n, n + 7, n + 9] and cfg["pad_token_id"] == n
    tok = AutoTokenizer.from_pretrained(tmp_path / "out")
    assert tok.convert_tokens_to_ids("[gMASK]") == n + 2 and len(tok) <= cfg["vocab_size"]


# --- tool calling in ChatGLM3's and GLM-4's own formats ----------------------------------------------
OPENAI_TOOLS = [{"type": "function", "function": t} for t in SEED_TOOLS]
TOOL_CONVERSATION = [  # OpenAI shapes: the call the model made and the observation the caller sent back
    {"role": "user", "content": "帮我查询股票10111的价格"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "track", "arguments": '{"symbol": "10111"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"price": 12412}'},
]


def chatglm3_build_chat_input(sp, history, query, role="user"):
    """ChatGLM3's tokenizer.build_chat_input, written from its remote code: a system item with tools gets
    "\\n" + json.dumps(tools, indent=4, ensure_ascii=False); each item is <|role|> sp(metadata + "\\n")
    sp(content)."""
    special = {t: sp.get_piece_size() + i for i, t in enumerate(SPECIALS)}
    ids = [special["[gMASK]"], special["sop"]]
    for item in [*history, {"role": role, "content": query}]:
        content = item["content"]
        if item["role"] == "system" and "tools" in item:
            content = content + "\n" + json.dumps(item["tools"], indent=4, ensure_ascii=False)
        ids += (
            [special[f"<|{item['role']}|>"]] + sp.encode(f"{item.get('metadata', '')}\n") + sp.encode(content)
        )
    return ids + [special["<|assistant|>"]]


def test_chatglm3_tools_and_observations_are_token_identical_to_model_chat(converted_tokenizers, sp_model):
    from lawglm.models.chat_format import prompt_ids, render
    from lawglm.models.tool_calls import CHATGLM3_TOOLS_PROMPT, native_messages

    sp = _sp(sp_model)
    tok, _ = converted_tokenizers["chatglm3"]
    system = {"role": "system", "content": CHATGLM3_TOOLS_PROMPT, "tools": SEED_TOOLS}
    # first turn: the tools system message + the question, as cli_demo_tool.py calls model.chat
    want = chatglm3_build_chat_input(sp, [system], TOOL_CONVERSATION[0]["content"])
    assert (
        prompt_ids(tok, render(tok, native_messages(TOOL_CONVERSATION[:1], OPENAI_TOOLS, "chatglm3"))) == want
    )
    # second turn: the call in history (metadata = the tool's name) and the result as role="observation"
    call = {"role": "assistant", "metadata": "track", "content": "```python\ntool_call(symbol='10111')\n```"}
    want = chatglm3_build_chat_input(
        sp,
        [system, {"role": "user", "content": TOOL_CONVERSATION[0]["content"]}, call],
        '{"price": 12412}',
        role="observation",
    )
    assert prompt_ids(tok, render(tok, native_messages(TOOL_CONVERSATION, OPENAI_TOOLS, "chatglm3"))) == want
    # a caller's own system message carries the tools instead of ChatGLM3's default prompt
    msgs = [{"role": "system", "content": "你是助手。"}, *TOOL_CONVERSATION[:1]]
    want = chatglm3_build_chat_input(sp, [{"role": "system", "content": "你是助手。", "tools": SEED_TOOLS}],
                                     TOOL_CONVERSATION[0]["content"])
    assert prompt_ids(tok, render(tok, native_messages(msgs, OPENAI_TOOLS, "chatglm3"))) == want


def test_glm4_tools_turn_is_token_identical_to_its_chat_template(tmp_path, tiktoken_ranks):
    import base64

    tiktoken = pytest.importorskip("tiktoken")
    from transformers import AutoTokenizer

    from lawglm.models.chat_format import prompt_ids, render
    from lawglm.models.chatglm_tokenizer import GLM4_PATTERN, GLM4_SPECIALS, convert_tokenizer
    from lawglm.models.tool_calls import native_messages

    (tmp_path / "tokenizer.model").write_text(
        "".join(
            f"{base64.b64encode(t).decode()} {r}\n"
            for t, r in sorted(tiktoken_ranks.items(), key=lambda x: x[1])
        )
    )
    convert_tokenizer(tmp_path, tmp_path / "out")
    tok = AutoTokenizer.from_pretrained(tmp_path / "out")
    n = len(tiktoken_ranks)
    enc = tiktoken.Encoding("glm4-tiny", pat_str=GLM4_PATTERN, mergeable_ranks=tiktoken_ranks,
                            special_tokens={t: n + i for i, t in enumerate(GLM4_SPECIALS)})
    # glm-4-9b-chat's template for {"role": "system", "content": None, "tools": [...]} (openai_api_server.py)
    text = (
        "[gMASK]<sop><|system|>\n你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 "
        "模型开发的，"
        "你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具"
    )
    for t in SEED_TOOLS:  # transformers renders templates with trim_blocks: "{% if … %}\n\n## " gives "\n## "
        text += (f"\n## {t['name']}\n\n{json.dumps(t, ensure_ascii=False, indent=4)}\n"
                 "在调用上述函数时，请使用 Json 格式表示调用的参数。")
    text += ("<|user|>\n帮我查询股票10111的价格<|assistant|>track\n{\"symbol\": \"10111\"}"
             "<|observation|>\n{\"price\": 12412}<|assistant|>")
    got = prompt_ids(tok, render(tok, native_messages(TOOL_CONVERSATION, OPENAI_TOOLS, "glm4")))
    assert got == enc.encode(text, allowed_special="all")


@pytest.mark.parametrize("fmt,reply,want", [
    ("chatglm3", "track\n ```python\ntool_call(symbol=\"10111\")\n```", ("track", {"symbol": "10111"})),
    ("chatglm3", "text-to-speech\n```python\ntool_call(text='你好', voice='女声', speed='慢')\n```",
     ("text-to-speech", {"text": "你好", "voice": "女声", "speed": "慢"})),
    ("glm4", "track\n{\"symbol\": \"10111\"}", ("track", {"symbol": "10111"})),
    ("chatglm3", "\n 股票10111的价格是12412。", "股票10111的价格是12412。"),
    ("glm4", "\n价格是12412。", "价格是12412。"),
    ("chatglm3", "track\n```python\ntool_call(symbol=__import__('os').getcwd())\n```", "not a literal"),
    ("chatglm3", "track\n```python\ntool_call(symbol='1'", "not closed"),
    ("chatglm3", "weather\n```python\ntool_call(city='北京')\n```", "not among the tools"),
    ("glm4", "track\n{symbol: 10111}", "not JSON"),
    ("glm4", "track\n[\"10111\"]", "JSON object"),
    ("glm4", "track", "no arguments"),
])
def test_tool_replies_are_parsed_and_malformed_calls_reported(fmt, reply, want):
    from lawglm.models.tool_calls import parse_reply

    turn = parse_reply(reply, fmt, ["track", "text-to-speech"])
    if isinstance(want, tuple):
        assert turn.finish_reason == "tool_calls" and turn.error is None
        assert [(c.name, c.args()) for c in turn.tool_calls] == [want]
    elif turn.error is None:
        assert turn.content == want and turn.finish_reason == "stop" and not turn.tool_calls
    else:
        assert want in turn.error and turn.finish_reason == "tool_call_error" and not turn.tool_calls
        assert turn.content == reply.strip()  # what the model wrote, reported as is
