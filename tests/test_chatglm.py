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
    h, hd, nh, ng = cfg["hidden_size"], cfg["kv_channels"], cfg["num_attention_heads"], cfg["multi_query_group_num"]
    qkv = (nh + 2 * ng) * hd
    r = lambda *s: torch.randn(*s, generator=g) * 0.2  # noqa: E731
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
        fname = f"model-0000{n}-of-00002.safetensors" if fmt == "safetensors" else f"pytorch_model-0000{n}-of-00002.bin"
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
    """Logits [seq, vocab] of the remote-code ChatGLM on `ids`; prefix_kv: [pre_seq_len, layers*2*groups*kv]."""
    eps, ng, hd = cfg["layernorm_epsilon"], cfg["multi_query_group_num"], cfg["kv_channels"]
    x = state["transformer.embedding.word_embeddings.weight"][torch.tensor(ids)]
    cache = _rope_cache(cfg, torch.arange(len(ids)), linear_rope)
    past = None if prefix_kv is None else prefix_kv.view(prefix_kv.shape[0], cfg["num_layers"] * 2, ng, hd)
    for i in range(cfg["num_layers"]):
        p = f"transformer.encoder.layers.{i}."
        prefix = None if past is None else (past[:, 2 * i], past[:, 2 * i + 1])
        x = x + _attention(_rms(x, state[p + "input_layernorm.weight"], eps), state, p + "self_attention.",
                           cfg, cache, prefix)
        h = _rms(x, state[p + "post_attention_layernorm.weight"], eps) @ state[p + "mlp.dense_h_to_4h.weight"].T
        gate, up = h.chunk(2, dim=-1)
        x = x + (torch.nn.functional.silu(gate) * up) @ state[p + "mlp.dense_4h_to_h.weight"].T
    x = _rms(x, state["transformer.encoder.final_layernorm.weight"], eps)
    return x @ state["transformer.output_layer.weight"].T


def _native_logits(model, ids, cache=None):
    kwargs = {} if cache is None else {"past_key_values": cache}
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids]), use_cache=cache is not None, **kwargs).logits[0]


def _ids(vocab, n=12, seed=1):
    return torch.randint(0, vocab, (n,), generator=torch.Generator().manual_seed(seed)).tolist()


# --- conversion ---------------------------------------------------------------------------------
@pytest.mark.parametrize("flavour, fmt", [("chatglm2", "bin"), ("chatglm3", "safetensors"),
                                          ("glm4", "safetensors"), ("chatglm2-32k", "safetensors")])
def test_converted_logits_match_the_reference(tmp_path, flavour, fmt):
    from lawglm.chatglm import convert_chatglm, verify_conversion
    from lawglm.generation import load_backbone

    cfg, state = write_checkpoint(tmp_path / "src", flavour, fmt=fmt)
    meta = convert_chatglm(tmp_path / "src", tmp_path / "out", progress=False)
    assert sorted(meta["source_files"]) == sorted(p.name for p in (tmp_path / "src").glob("*0000*"))
    assert "model-00001-of-00002.safetensors" in meta["sha256"] and verify_conversion(tmp_path / "out") == []
    model, _ = load_native(tmp_path / "out", load_backbone)
    assert type(model).__name__ == "GlmForCausalLM" and model.config.num_key_value_heads == 2
    ids = _ids(160)
    want = reference_logits(state, cfg, ids, linear_rope=flavour == "chatglm2-32k")
    got = _native_logits(model, ids)
    assert torch.allclose(got, want, atol=1e-5), (got - want).abs().max()


def load_native(path, load_backbone):
    """(model, None): GlmForCausalLM from a converted directory that has no tokenizer."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval(), None


def test_manifest_detects_a_changed_shard_and_bad_sources_are_refused(tmp_path):
    from lawglm.chatglm import convert_chatglm, verify_conversion
    from lawglm.errors import ModelError

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
