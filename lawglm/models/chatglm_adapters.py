"""ChatGLM's own adapters -> PEFT adapters on the converted GlmForCausalLM (`lawglm adapters import`).

- `ptuning/` checkpoints (P-tuning v2: `pytorch_model.bin` with `transformer.prefix_encoder.embedding.weight`
  [pre_seq_len, layers*2*groups*kv_channels], and with `prefix_projection` also `prefix_encoder.trans.{0,2}`,
  a Linear-Tanh-Linear MLP) become PEFT prefix tuning. The prefix is a constant at inference, so the
  projection is evaluated once and stored as the key/value prefix itself. ChatGLM numbers the prompt's
  positions from 0 after its prefix, transformers from pre_seq_len; rotary attention depends on position
  differences only, so rotating the prefix keys to position pre_seq_len gives identical attention.
- `finetune_demo` LoRA (PEFT LoRA on `query_key_value`, optionally `dense`, `dense_h_to_4h`, `dense_4h_to_h`):
  the fused layer's A is shared by q/k/v and its B rows split like the weight, so every delta is unchanged.

The output is lawglm's adapter layout: PEFT files + `lawglm.json` + a README card.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from lawglm.errors import AdapterError
from lawglm.models.adapters import META_FILE
from lawglm.models.chatglm import read_json
from lawglm.models.model_files import check_out, inside, staging_dir, swap_in

PREFIX_KEY = "transformer.prefix_encoder.embedding.weight"
_LORA_KEY = re.compile(r"^(?:base_model\.model\.)?transformer\.encoder\.layers\.(\d+)\.(.+?)\.(lora_[AB])"
                       r"(?:\.[^.]+)?\.weight$")
_LORA_TARGETS = {
    "self_attention.query_key_value": "self_attn.qkv",
    "self_attention.dense": "self_attn.o_proj",
    "mlp.dense_h_to_4h": "mlp.gate_up_proj",
    "mlp.dense_4h_to_h": "mlp.down_proj",
}


def _load_state(path: Path) -> dict:
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            import torch

            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # unreadable pickle / safetensors header
        raise AdapterError(f"adapter: cannot read {path}: {str(exc)[:200]}") from exc
    if not isinstance(state, dict) or not all(hasattr(v, "shape") for v in state.values()):
        raise AdapterError(f"adapter: {path.name} must hold a dict of tensors")
    return state


_BASE_INTS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
              "intermediate_size", "vocab_size")


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _base_config(base: Path) -> dict:
    cfg_file = base / "config.json"
    if not cfg_file.is_file():
        raise AdapterError(
            f"base: {base} has no config.json (convert the model first: lawglm convert chatglm)"
        )
    cfg = read_json(cfg_file, AdapterError)
    if cfg.get("model_type") != "glm":
        raise AdapterError(f"base: {base} is a {cfg.get('model_type')!r} model; ChatGLM adapters import onto "
                           "the converted GlmForCausalLM directory (lawglm convert chatglm SRC OUT)")
    for name in _BASE_INTS:
        if not _positive_int(cfg.get(name)):
            raise AdapterError(
                f"base: {name} in {cfg_file} must be a positive integer, got {cfg.get(name)!r}"
            )
    return cfg


def detect_kind(src: Path) -> str:
    """'ptuning' (a ptuning/ checkpoint) or 'lora' (a PEFT LoRA made on the remote-code model)."""
    if (src / "adapter_config.json").is_file():
        return "lora"
    if _ptuning_file(src) is not None:
        return "ptuning"
    raise AdapterError(f"src: {src} is neither a ChatGLM ptuning/ checkpoint (pytorch_model.bin with "
                       f"{PREFIX_KEY}) nor a PEFT LoRA adapter (adapter_config.json)")


def _ptuning_file(src: Path) -> Path | None:
    for name in ("pytorch_model.bin", "model.safetensors"):
        if (src / name).is_file():
            return inside(src, name, AdapterError)
    return None


# --- P-tuning v2 -------------------------------------------------------------------------------
def _prefix_kv(state: dict) -> Any:
    """The [pre_seq_len, layers*2*groups*kv_channels] key/value prefix, projected when the MLP is there."""
    import torch

    emb = state[PREFIX_KEY].float()
    if emb.dim() != 2:
        raise AdapterError(f"src: {PREFIX_KEY} must be [pre_seq_len, width], got {list(emb.shape)}")
    if "transformer.prefix_encoder.trans.0.weight" not in state:
        return emb
    p = "transformer.prefix_encoder.trans."
    width = emb.shape[1]
    hidden = state[p + "0.weight"].shape[0] if state[p + "0.weight"].dim() == 2 else -1
    for key, shape in (("0.weight", [hidden, width]), ("0.bias", [hidden]), ("2.weight", [width, hidden]),
                       ("2.bias", [width])):
        got = list(state[p + key].shape) if p + key in state else None
        if got != shape or hidden < 1:
            raise AdapterError(f"src: {p}{key} has shape {got}, the prefix embedding needs {shape}")
    with torch.no_grad():
        hidden = torch.tanh(emb @ state[p + "0.weight"].float().T + state[p + "0.bias"].float())
        return hidden @ state[p + "2.weight"].float().T + state[p + "2.bias"].float()


def _rotate_keys(kv: Any, cfg: dict) -> Any:
    """Prefix keys rotated to position pre_seq_len with the converted model's own rotary embedding."""
    import torch
    from transformers import GlmConfig
    from transformers.models.glm.modeling_glm import GlmRotaryEmbedding, apply_rotary_pos_emb

    conf = GlmConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "model_type", "dtype")})
    n, layers, groups, head_dim = kv.shape[0], conf.num_hidden_layers, conf.num_key_value_heads, conf.head_dim
    x = kv.view(n, layers, 2, groups, head_dim).permute(1, 2, 3, 0, 4).clone()  # layer, k/v, group, pos, dim
    rotary = GlmRotaryEmbedding(conf)
    cos, sin = rotary(x, torch.full((1, n), n, dtype=torch.long))
    keys, _ = apply_rotary_pos_emb(x[:, 0], x[:, 0], cos, sin)
    x[:, 0] = keys
    return x.permute(3, 0, 1, 2, 4).reshape(n, -1).contiguous()


def import_ptuning(src: Path, base: Path, out: Path) -> dict:
    """Write the ptuning/ checkpoint in SRC as a PEFT prefix-tuning adapter for BASE into OUT."""
    from peft import PrefixTuningConfig
    from safetensors.torch import save_file

    cfg = _base_config(base)
    state = _load_state(_ptuning_file(src))
    if PREFIX_KEY not in state:
        raise AdapterError(f"src: {src} holds no {PREFIX_KEY} (not a P-tuning v2 checkpoint)")
    kv = _prefix_kv(state)
    layers, groups, head_dim = cfg["num_hidden_layers"], cfg["num_key_value_heads"], cfg["head_dim"]
    if kv.shape[1] != layers * 2 * groups * head_dim:
        raise AdapterError(f"src: prefix width {kv.shape[1]} != base layers*2*groups*head_dim "
                           f"{layers}*2*{groups}*{head_dim}; the checkpoint was trained on another model")
    out.mkdir(parents=True, exist_ok=True)
    peft_cfg = PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=kv.shape[0], num_layers=layers,
                                  token_dim=groups * head_dim, num_attention_heads=groups,
                                  prefix_projection=False, inference_mode=True,
                                  base_model_name_or_path=str(base))
    peft_cfg.save_pretrained(str(out))
    save_file({"prompt_embeddings": _rotate_keys(kv, cfg)}, str(out / "adapter_model.safetensors"))
    projected = "transformer.prefix_encoder.trans.0.weight" in state
    return {"method": "ptuning", "pre_seq_len": kv.shape[0], "prefix_projection": projected}


# --- LoRA ---------------------------------------------------------------------------------------
def _lora_config(src: Path) -> dict:
    cfg = read_json(inside(src, "adapter_config.json", AdapterError), AdapterError)
    if str(cfg.get("peft_type", "")).upper() != "LORA":
        raise AdapterError(f"src: {src} is a {cfg.get('peft_type')} adapter; only LoRA imports from PEFT")
    for field, ok in (("use_dora", False), ("bias", "none"), ("modules_to_save", None)):
        if cfg.get(field, ok) not in (ok, [], {}):
            raise AdapterError(f"src: {field}={cfg[field]!r} cannot be split onto the native layers")
    if cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
        raise AdapterError("src: per-layer rank_pattern / alpha_pattern is not supported")
    if not _positive_int(cfg.get("r")):
        raise AdapterError(f"src: r (the LoRA rank) in adapter_config.json must be a positive integer, "
                           f"got {cfg.get('r')!r}")
    alpha = cfg.get("lora_alpha", 8)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not alpha > 0:
        raise AdapterError(f"src: lora_alpha in adapter_config.json must be a positive number, got {alpha!r}")
    return cfg


def _lora_shapes(cfg: dict) -> dict[str, tuple[int, int]]:
    """(rows out, columns in) of every remote-code layer a LoRA may target, from the base's config."""
    hidden, q = cfg["hidden_size"], cfg["num_attention_heads"] * cfg["head_dim"]
    kv = cfg["num_key_value_heads"] * cfg["head_dim"]
    return {"self_attention.query_key_value": (q + 2 * kv, hidden), "self_attention.dense": (hidden, q),
            "mlp.dense_h_to_4h": (2 * cfg["intermediate_size"], hidden),
            "mlp.dense_4h_to_h": (hidden, cfg["intermediate_size"])}


def _check_lora_tensor(name: str, t: Any, layer: int, module: str, ab: str, cfg: dict, rank: int) -> None:
    """The tensor fits the base: an existing layer, the module's rows / columns, the config's rank."""
    layers = cfg["num_hidden_layers"]
    if layer >= layers:
        raise AdapterError(
            f"src: {name} is for layer {layer}, the base has {layers} layers (0..{layers - 1})"
        )
    rows, cols = _lora_shapes(cfg)[module]
    shape = list(t.shape)
    if len(shape) != 2:
        raise AdapterError(f"src: {name} must be a matrix, got shape {shape}")
    r_dim, other, want, what = (0, 1, cols, "columns") if ab == "lora_A" else (1, 0, rows, "rows")
    if shape[r_dim] != rank:
        raise AdapterError(f"src: {name} has rank {shape[r_dim]}, adapter_config.json says r {rank}")
    if shape[other] != want:
        raise AdapterError(f"src: {name} has {shape[other]} {what}, the base's {module} needs {want}")


def _lora_tensors(state: dict, cfg: dict, rank: int) -> dict:
    """PEFT LoRA tensors of the remote-code layer names -> GlmForCausalLM names (q/k/v split); every tensor
    checked against the base's layers and sizes and the adapter's rank first."""
    sizes = [cfg["num_attention_heads"] * cfg["head_dim"], cfg["num_key_value_heads"] * cfg["head_dim"],
             cfg["num_key_value_heads"] * cfg["head_dim"]]
    out, pairs = {}, {}
    for name, t in state.items():
        m = _LORA_KEY.match(name)
        if m is None or m.group(2) not in _LORA_TARGETS:
            raise AdapterError(f"src: unexpected LoRA tensor {str(name)[:200]!r}")
        _check_lora_tensor(name, t, int(m.group(1)), m.group(2), m.group(3), cfg, rank)
        pairs.setdefault((int(m.group(1)), m.group(2)), set()).add(m.group(3))
    unpaired = [f"layer {k[0]} {k[1]}" for k, v in pairs.items() if v != {"lora_A", "lora_B"}]
    if unpaired:
        raise AdapterError(f"src: {unpaired[0]} lacks its lora_A or lora_B matrix")
    for name, t in state.items():
        m = _LORA_KEY.match(name)
        layer, target, ab = m.group(1), _LORA_TARGETS[m.group(2)], m.group(3)
        stem = f"base_model.model.model.layers.{layer}."
        if target != "self_attn.qkv":
            out[f"{stem}{target}.{ab}.weight"] = t.contiguous()
            continue
        parts = [t.clone() for _ in range(3)] if ab == "lora_A" else list(t.split(sizes, dim=0))
        for proj, part in zip(("q_proj", "k_proj", "v_proj"), parts, strict=True):
            out[f"{stem}self_attn.{proj}.{ab}.weight"] = part.contiguous()
    return out


def import_lora(src: Path, base: Path, out: Path) -> dict:
    """Write the finetune_demo LoRA in SRC, split onto q/k/v, as a PEFT LoRA for BASE into OUT."""
    from safetensors.torch import save_file

    base_cfg, cfg = _base_config(base), _lora_config(src)
    weights = next(
        (src / n for n in ("adapter_model.safetensors", "adapter_model.bin") if (src / n).is_file()), None
    )
    if weights is None:
        raise AdapterError(f"src: {src} has no adapter_model.safetensors / adapter_model.bin")
    tensors = _lora_tensors(_load_state(inside(src, weights.name, AdapterError)), base_cfg, cfg["r"])
    targets = sorted({k.split(".")[-3] for k in tensors})
    cfg.update(target_modules=targets, base_model_name_or_path=str(base), inference_mode=True)
    cfg.pop("auto_mapping", None)
    out.mkdir(parents=True, exist_ok=True)
    (out / "adapter_config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    save_file(tensors, str(out / "adapter_model.safetensors"))
    return {"method": "lora", "r": cfg.get("r"), "lora_alpha": cfg.get("lora_alpha"), "targets": targets}


# --- lawglm's layout -------------------------------------------------------------------------------
def _meta(base: Path, src: Path, kind: str, info: dict) -> dict:
    cfg = _base_config(base)
    return {"base_model": str(base), "architecture": "GlmForCausalLM", "model_type": "glm",
            "hidden_size": cfg["hidden_size"], "num_layers": cfg["num_hidden_layers"],
            "vocab_size": cfg["vocab_size"], "method": info["method"],
            "imported_from": {"path": str(src), "format": kind, **info}}


def _card(out: Path, meta: dict) -> str:
    src = meta["imported_from"]
    if src["format"] == "ptuning":
        what = (f"ChatGLM P-tuning v2 checkpoint ({src['pre_seq_len']} virtual tokens"
                f"{', prefix_projection evaluated once' if src['prefix_projection'] else ''}) as PEFT prefix "
                "tuning; prefix keys rotated to position pre_seq_len so attention equals ChatGLM's")
    else:
        what = (f"ChatGLM finetune_demo LoRA (r {src['r']}, alpha {src['lora_alpha']}) with query_key_value "
                f"split onto q/k/v; targets {', '.join(src['targets'])}")
    return "\n".join([
        f"# {out.name}: {meta['method']} adapter for {meta['base_model']}", "",
        f"- imported from `{src['path']}` by `lawglm adapters import`: {what}",
        (f"- backbone: `{meta['base_model']}` (GlmForCausalLM, {meta['num_layers']} layers, hidden "
         f"{meta['hidden_size']})"),
        "- training data, licence and metrics: see the source checkpoint; lawglm did not train it", ""])


def import_adapter(src: str | Path, base: str | Path, out: str | Path, overwrite: bool = False) -> dict:
    """Import a ChatGLM adapter (kind detected) into OUT in lawglm's layout; returns its lawglm.json.
    An existing OUT is replaced only with `overwrite` and when it is a lawglm adapter (holds lawglm.json)."""
    src, base, out = Path(src).expanduser(), Path(base).expanduser(), Path(out).expanduser()
    if not src.is_dir():
        raise AdapterError(f"src: {src} is not a directory")
    check_out(out, overwrite, META_FILE, AdapterError, source=src)
    kind = detect_kind(src)
    _base_config(base)
    tmp = staging_dir(out)
    try:
        info = import_ptuning(src, base, tmp) if kind == "ptuning" else import_lora(src, base, tmp)
        meta = _meta(base, src, kind, info)
        (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        (tmp / "README.md").write_text(_card(out, meta), encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, out, META_FILE, AdapterError)
    return meta
