"""ChatGLM2/3-6B and GLM-4-9B-chat checkpoints in THUDM's remote-code layout -> transformers-native
GlmForCausalLM directories, streamed shard by shard.

The remote-code model and GlmForCausalLM compute the same function once the weights are renamed:
- `query_key_value` holds [q (heads*head_dim); k (groups*head_dim); v (groups*head_dim)] rows: split into
  q_proj / k_proj / v_proj (multi-query attention groups = num_key_value_heads), bias included;
- `dense_h_to_4h` holds [gate; up] rows, exactly the row order of GlmMLP's fused `gate_up_proj`;
- rotary embeddings: both rotate the first half of each head (kv_channels // 2 dims) in interleaved pairs
  (x[2i], x[2i+1]) by theta_i = base^(-2i/rotary_dim), so no permutation is needed; ChatGLM3 / GLM-4's
  `rope_ratio` multiplies the base, ChatGLM2-32k's divides the positions (linear scaling).

The output directory holds sharded safetensors (one output shard per source shard, so peak memory stays one
shard), the index, config / generation config, the tokenizer (chatglm_tokenizer) and `lawglm-convert.json`,
a manifest with the sha256 of every file written.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lawglm.errors import LawGLMError, ModelError
from lawglm.models.model_files import check_out, inside, staging_dir, swap_in

MANIFEST = "lawglm-convert.json"
SAFETENSORS_INDEX = "model.safetensors.index.json"
BIN_INDEX = "pytorch_model.bin.index.json"
SOURCE_FILES = ("tokenizer.model", "tokenization_chatglm.py", "modeling_chatglm.py")
# THUDM config fields whose values the native model cannot represent
_UNSUPPORTED = {"rmsnorm": True, "add_bias_linear": False, "apply_residual_connection_post_layernorm": False,
                "post_layer_norm": True}
_LAYER = re.compile(r"^encoder\.layers\.(\d+)\.(.+)$")
_RENAMES = {"input_layernorm.weight": "input_layernorm.weight",
            "post_attention_layernorm.weight": "post_attention_layernorm.weight",
            "self_attention.dense.weight": "self_attn.o_proj.weight",
            "mlp.dense_h_to_4h.weight": "mlp.gate_up_proj.weight",
            "mlp.dense_4h_to_h.weight": "mlp.down_proj.weight"}
_TOP = {"embedding.word_embeddings.weight": "model.embed_tokens.weight",
        "encoder.final_layernorm.weight": "model.norm.weight",
        "output_layer.weight": "lm_head.weight"}


# --- recognising a checkpoint ---------------------------------------------------------------
def read_json(path: Path, error: type[LawGLMError] = ModelError) -> dict:
    """A JSON object read from `path` (error naming the file when it is unreadable or not an object)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise error(f"model: cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise error(f"model: {path.name} must hold a JSON object, got {type(data).__name__} ({path})")
    return data


def is_chatglm_dir(path: str | Path) -> bool:
    """A directory holding a THUDM remote-code ChatGLM2/3 / GLM-4 checkpoint (config model_type chatglm)."""
    cfg = Path(path) / "config.json"
    if not cfg.is_file():
        return False
    try:
        data = json.loads(cfg.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("model_type") == "chatglm"


def _rope_is_linear(src: Path) -> bool:
    """ChatGLM2-32k's remote code divides positions by rope_ratio; ChatGLM3 / GLM-4 multiply the base."""
    code = inside(src, "modeling_chatglm.py", ModelError)
    text = code.read_text(encoding="utf-8", errors="replace") if code.is_file() else ""
    return "/ self.rope_ratio" in text and "base * self.rope_ratio" not in text


_REQUIRED_INTS = ("hidden_size", "num_attention_heads", "num_layers", "ffn_hidden_size", "padded_vocab_size")
_OPTIONAL_INTS = ("kv_channels", "multi_query_group_num", "seq_length")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def check_config(cfg: dict) -> None:
    """ModelError naming the field when the checkpoint is not the ChatGLM2/3 / GLM-4 architecture or a size
    is missing, not a positive integer, or inconsistent (checked before anything is read or allocated)."""
    if cfg.get("model_type") != "chatglm":
        raise ModelError(f"model_type: expected 'chatglm', got {cfg.get('model_type')!r}")
    if "position_encoding_2d" in cfg or "padded_vocab_size" not in cfg:
        raise ModelError("config: this is a first-generation ChatGLM-6B (2D positions), which has no native "
                         "transformers model; only ChatGLM2/3-6B and GLM-4-9B convert")
    if cfg.get("quantization_bit"):
        raise ModelError(f"quantization_bit: {cfg['quantization_bit']}-bit ChatGLM checkpoints cannot be "
                         "converted; convert the float16 release and use --quantize instead")
    for name, want in _UNSUPPORTED.items():
        if name in cfg and bool(cfg[name]) != want:
            raise ModelError(f"{name}: {cfg[name]!r} is not supported by GlmForCausalLM (needs {want})")
    for name in _REQUIRED_INTS + _OPTIONAL_INTS:
        if name not in cfg or (cfg[name] is None and name in _OPTIONAL_INTS):
            if name in _REQUIRED_INTS:
                raise ModelError(f"{name}: missing from config.json")
            continue
        if not _is_int(cfg[name]) or cfg[name] < 1:
            raise ModelError(f"{name}: must be a positive integer in config.json, got {cfg[name]!r}")
    for name, required in (("layernorm_epsilon", True), ("rope_ratio", False)):
        value = cfg.get(name)
        if (value is not None or required) and not (_is_number(value) and value > 0):
            raise ModelError(f"{name}: must be a positive number in config.json, got {value!r}")
    heads = cfg["num_attention_heads"]
    if not cfg.get("kv_channels") and cfg["hidden_size"] % heads:
        raise ModelError(f"num_attention_heads: {heads} does not divide hidden_size {cfg['hidden_size']} "
                         "(and config.json has no kv_channels)")
    groups = cfg.get("multi_query_group_num") or heads
    if cfg.get("multi_query_attention") and heads % groups:
        raise ModelError(f"multi_query_group_num: {groups} must divide num_attention_heads {heads}")
    kv = cfg.get("kv_channels") or cfg["hidden_size"] // heads
    if kv % 4:
        raise ModelError(f"kv_channels: {kv} must be divisible by 4 (half of each head is rotated in pairs)")


def glm_config(cfg: dict, *, rope_linear: bool = False, eos_ids: list[int] | None = None) -> dict:
    """GlmConfig fields for a THUDM ChatGLM config dict."""
    check_config(cfg)
    heads = cfg["num_attention_heads"]
    head_dim = cfg.get("kv_channels") or cfg["hidden_size"] // heads
    groups = (cfg.get("multi_query_group_num") or heads) if cfg.get("multi_query_attention") else heads
    ratio = float(cfg.get("rope_ratio", 1) or 1)
    rope: dict[str, Any] = {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5}
    if rope_linear and ratio != 1:
        rope.update(rope_type="linear", factor=ratio)
    else:
        rope["rope_theta"] = 10000.0 * ratio
    eos = eos_ids or cfg.get("eos_token_id", 2)
    return {"architectures": ["GlmForCausalLM"], "model_type": "glm",
            "vocab_size": cfg["padded_vocab_size"], "hidden_size": cfg["hidden_size"],
            "intermediate_size": cfg["ffn_hidden_size"], "num_hidden_layers": cfg["num_layers"],
            "num_attention_heads": heads, "num_key_value_heads": groups, "head_dim": head_dim,
            "hidden_act": "silu", "attention_dropout": float(cfg.get("attention_dropout", 0.0) or 0.0),
            "max_position_embeddings": cfg.get("seq_length", 8192), "rms_norm_eps": cfg["layernorm_epsilon"],
            "attention_bias": bool(cfg.get("add_qkv_bias", False)), "tie_word_embeddings": False,
            "rope_parameters": rope, "pad_token_id": cfg.get("pad_token_id", 0),
            "eos_token_id": eos, "bos_token_id": None, "use_cache": True,
            "dtype": cfg.get("torch_dtype", "float16")}


# --- weights ------------------------------------------------------------------------------
def weight_files(src: Path) -> list[Path]:
    """The checkpoint's weight files in order: from the shard index when there is one. Every file must
    resolve inside SRC (a `../` or absolute shard name, or a symlink leading elsewhere, is refused)."""
    for index in (SAFETENSORS_INDEX, BIN_INDEX):
        if (src / index).is_file():
            weight_map = read_json(inside(src, index, ModelError)).get("weight_map", {})
            if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
                raise ModelError(f"model: {index} needs a weight_map of tensor name -> file name")
            files = [inside(src, n, ModelError) for n in dict.fromkeys(weight_map.values())]
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                raise ModelError(f"model: {src} lacks shards named in {index}: {', '.join(missing[:3])}")
            return files
    files = sorted(src.glob("*.safetensors")) or sorted(src.glob("pytorch_model*.bin"))
    if not files:
        raise ModelError(f"model: {src} has no *.safetensors or pytorch_model*.bin weights")
    return [inside(src, f.name, ModelError) for f in files]


def tensor_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """{tensor name: shape} of one shard, without reading its data (safetensors header; a .bin is mapped)."""
    try:
        if path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as st:
                return {name: tuple(st.get_slice(name).get_shape()) for name in st.keys()}  # noqa: SIM118
        import torch

        state = torch.load(str(path), map_location="cpu", mmap=True, weights_only=True)
        if not isinstance(state, dict):
            raise ModelError(f"model: {path.name} holds no state dict")
        return {str(k): tuple(v.shape) for k, v in state.items() if hasattr(v, "shape")}
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"model: cannot read {path.name}: {str(exc)[:200]}") from exc


def check_weights(files: list[Path], cfg: dict, src_cfg: dict) -> None:
    """Every size config.json declares against the tensors actually present (headers only), before anything
    is allocated: a config that does not describe these weights is refused naming the field."""
    shapes: dict[str, tuple[int, ...]] = {}
    for f in files:
        shapes.update(tensor_shapes(f))
    by_key = {name.removeprefix("transformer."): shape for name, shape in shapes.items()}
    emb = by_key.get("embedding.word_embeddings.weight")
    if emb is None or len(emb) != 2:
        raise ModelError(f"model: the checkpoint has no 2-D embedding.word_embeddings.weight ({emb})")
    vocab, hidden = cfg["vocab_size"], cfg["hidden_size"]
    if emb[0] != vocab:
        raise ModelError(f"padded_vocab_size: config.json says {vocab}, the embedding has {emb[0]} rows")
    if emb[1] != hidden:
        raise ModelError(f"hidden_size: config.json says {hidden}, the embedding has {emb[1]} columns")
    layers = sorted({int(m.group(1)) for k in by_key if (m := _LAYER.match(k))})
    if layers != list(range(len(layers))):
        raise ModelError(f"model: the checkpoint's layers are not numbered 0..n-1 ({layers[:5]}...)")
    if len(layers) != cfg["num_hidden_layers"]:
        raise ModelError(f"num_layers: config.json says {src_cfg['num_layers']}, the weights hold "
                         f"{len(layers)} layers")
    heads, groups, head_dim, ffn = (cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"],
                                    cfg["intermediate_size"])
    qkv = (heads + 2 * groups) * head_dim
    sizes = "num_attention_heads / multi_query_group_num / kv_channels"
    want = {"embedding.word_embeddings.weight": ((vocab, hidden), "padded_vocab_size / hidden_size"),
            "output_layer.weight": ((vocab, hidden), "padded_vocab_size / hidden_size"),
            "encoder.final_layernorm.weight": ((hidden,), "hidden_size")}
    for i in layers:
        p = f"encoder.layers.{i}."
        want.update({p + "input_layernorm.weight": ((hidden,), "hidden_size"),
                     p + "post_attention_layernorm.weight": ((hidden,), "hidden_size"),
                     p + "self_attention.query_key_value.weight": ((qkv, hidden), sizes),
                     p + "self_attention.dense.weight": ((hidden, heads * head_dim), sizes),
                     p + "mlp.dense_h_to_4h.weight": ((2 * ffn, hidden), "ffn_hidden_size"),
                     p + "mlp.dense_4h_to_h.weight": ((hidden, ffn), "ffn_hidden_size")})
        if cfg.get("attention_bias"):
            want[p + "self_attention.query_key_value.bias"] = ((qkv,), sizes)
    missing = sorted(k for k in want if k not in by_key)
    if missing:
        raise ModelError(f"model: the checkpoint lacks {len(missing)} tensors (e.g. {missing[0]})")
    for key, (shape, fields) in want.items():
        if by_key[key] != shape:
            raise ModelError(f"{fields}: config.json gives {key} the shape {list(shape)}, the weights hold "
                             f"{list(by_key[key])}")


def iter_tensors(path: Path) -> Iterator[tuple[str, Any]]:
    """(name, tensor) of one shard, lazily: safetensors memory-mapped, .bin via torch.load(mmap=True)."""
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as st:
            for name in st.keys():  # noqa: SIM118 (a safetensors handle, not a dict)
                yield name, st.get_tensor(name)
        return
    import torch

    try:
        state = torch.load(str(path), map_location="cpu", mmap=True, weights_only=True)
    except Exception as exc:  # legacy (non-zip) pickles cannot be mapped
        raise ModelError(f"model: cannot read {path.name} ({exc}); re-save it with torch>=1.6") from exc
    for name in list(state):
        yield name, state.pop(name)


def convert_tensor(name: str, tensor: Any, cfg: dict) -> list[tuple[str, Any]]:
    """GlmForCausalLM (name, tensor) pairs for one ChatGLM tensor ([] for buffers that are recomputed)."""
    key = name.removeprefix("transformer.")
    if key.endswith("rotary_pos_emb.inv_freq") or key.startswith("prefix_encoder."):
        return []
    if key in _TOP:
        return [(_TOP[key], tensor)]
    m = _LAYER.match(key)
    if m is None:
        if key.endswith(("weight_scale", ".scale")):
            raise ModelError(f"model: {name} is a quantised weight; convert the float16 checkpoint instead")
        raise ModelError(f"model: unexpected tensor {name!r} in a ChatGLM checkpoint")
    layer, rest = m.groups()
    prefix = f"model.layers.{layer}."
    if rest in _RENAMES:
        return [(prefix + _RENAMES[rest], tensor)]
    kind = rest.rsplit(".", 1)[-1]
    if rest.startswith("self_attention.query_key_value."):
        q, k, v = split_qkv(tensor, cfg)
        return [(f"{prefix}self_attn.{p}_proj.{kind}", t) for p, t in zip("qkv", (q, k, v), strict=True)]
    raise ModelError(f"model: unexpected tensor {name!r} in a ChatGLM checkpoint")


def split_qkv(tensor: Any, cfg: dict) -> tuple[Any, Any, Any]:
    """The fused query_key_value rows (weight or bias) split into q, k, v (contiguous copies)."""
    heads, groups, head_dim = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    sizes = [heads * head_dim, groups * head_dim, groups * head_dim]
    if tensor.shape[0] != sum(sizes):
        raise ModelError(f"model: query_key_value has {tensor.shape[0]} rows, config says {sum(sizes)} "
                         f"({heads} heads + 2x{groups} groups of {head_dim})")
    return tuple(t.contiguous() for t in tensor.split(sizes, dim=0))


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _source_bytes(files: list[Path]) -> int:
    return sum(f.stat().st_size for f in files)


def _write_shards(files: list[Path], cfg: dict, tmp: Path, dtype: Any, progress: bool) -> dict[str, str]:
    """Convert shard by shard; weight_map (tensor -> file). Only one shard's tensors are alive at a time."""
    from safetensors.torch import save_file
    from tqdm import tqdm

    weight_map: dict[str, str] = {}
    with tqdm(total=_source_bytes(files), unit="B", unit_scale=True, desc="converting ChatGLM",
              disable=not progress) as bar:
        for n, path in enumerate(files, 1):
            out_name = f"model-{n:05d}-of-{len(files):05d}.safetensors"
            shard: dict[str, Any] = {}
            for name, tensor in iter_tensors(path):
                for new, t in convert_tensor(name, tensor, cfg):
                    shard[new] = (t.to(dtype) if dtype is not None else t).contiguous()
                    weight_map[new] = out_name
            save_file(shard, str(tmp / out_name), metadata={"format": "pt"})
            del shard
            bar.update(path.stat().st_size)
    return weight_map


def _check_complete(weight_map: dict[str, str], cfg: dict) -> None:
    want = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"}
    per_layer = ["input_layernorm.weight", "post_attention_layernorm.weight", "self_attn.q_proj.weight",
                 "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                 "mlp.gate_up_proj.weight", "mlp.down_proj.weight"]
    for i in range(cfg["num_hidden_layers"]):
        want.update(f"model.layers.{i}.{p}" for p in per_layer)
    missing = sorted(want - set(weight_map))
    if missing:
        raise ModelError(f"model: the checkpoint lacks {len(missing)} tensors (e.g. {missing[0]})")


DTYPES = ("float32", "bfloat16", "float16")


def _dtype(name: str | None):
    if name in (None, "", "auto"):
        return None
    if name not in DTYPES:
        raise ModelError(f"dtype: unknown dtype {name!r} (auto | {' | '.join(DTYPES)})")
    import torch

    return getattr(torch, name)


def _write_configs(src: Path, tmp: Path, cfg: dict, chat_format: str | None) -> dict:
    """config.json, generation_config.json and the tokenizer; the tokenizer's info (eos ids, format)."""
    from lawglm.models.chatglm_tokenizer import convert_tokenizer

    info: dict = {}
    if (src / "tokenizer.model").is_file():
        try:
            info = convert_tokenizer(src, tmp, chat_format)
        except ModelError as exc:  # GLM-4's tokenizer.model is a tiktoken vocabulary, not SentencePiece
            info = {"tokenizer": f"not converted: {exc}"}
    if info.get("eos_token_id"):
        cfg["eos_token_id"] = info["eos_token_id"]
        cfg["pad_token_id"] = info.get("pad_token_id", cfg["pad_token_id"])
    (tmp / "config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    gen = {"eos_token_id": cfg["eos_token_id"], "pad_token_id": cfg["pad_token_id"]}
    (tmp / "generation_config.json").write_text(json.dumps(gen, indent=2), encoding="utf-8")
    return info


def _manifest(tmp: Path, src: Path, files: list[Path], info: dict, started: float) -> dict:
    written = {f.name: sha256_file(f) for f in sorted(tmp.iterdir()) if f.is_file() and f.name != MANIFEST}
    meta = {"source": str(src), "source_files": {f.name: f.stat().st_size for f in files},
            "architecture": "GlmForCausalLM", "chat_format": info.get("format"),
            "tokenizer": info.get("tokenizer", "converted" if info else "none in the source"),
            "sha256": written, "seconds": round(time.time() - started, 1), "created": time.time()}
    (tmp / MANIFEST).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return meta


def convert_chatglm(src: str | Path, out: str | Path, *, dtype: str | None = None,
                    chat_format: str | None = None, progress: bool = True, overwrite: bool = False) -> dict:
    """Convert the THUDM checkpoint in SRC into a GlmForCausalLM directory OUT (atomically); the manifest.

    Everything is checked before anything is written: the config against the weights present, every file
    read inside SRC, OUT neither SRC nor above it nor a symlink, and an existing OUT replaced only when it is
    a lawglm conversion (it holds lawglm-convert.json) and --overwrite is given."""
    src, out = Path(src).expanduser(), Path(out).expanduser()
    if not src.is_dir() or not (src / "config.json").is_file():
        raise ModelError(f"src: {src} is not a ChatGLM2/3 / GLM-4 remote-code checkpoint "
                         "(it needs a config.json with model_type 'chatglm')")
    src_cfg = read_json(inside(src, "config.json", ModelError))
    if src_cfg.get("model_type") != "chatglm":
        raise ModelError(f"src: {src} is not a ChatGLM2/3 / GLM-4 remote-code checkpoint "
                         "(its config.json needs model_type 'chatglm')")
    check_out(out, overwrite, MANIFEST, ModelError, source=src)
    for name in SOURCE_FILES:  # read later (tokenizer, rotary flavour): confined like the weights
        inside(src, name, ModelError)
    started = time.time()
    cfg = glm_config(src_cfg, rope_linear=_rope_is_linear(src))
    files = weight_files(src)
    check_weights(files, cfg, src_cfg)
    target_dtype = _dtype(dtype)
    tmp = staging_dir(out)
    try:
        if target_dtype is not None:
            cfg["dtype"] = str(target_dtype).removeprefix("torch.")
        weight_map = _write_shards(files, cfg, tmp, target_dtype, progress)
        _check_complete(weight_map, cfg)
        total = sum((tmp / n).stat().st_size for n in set(weight_map.values()))
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        (tmp / SAFETENSORS_INDEX).write_text(json.dumps(index, indent=2), encoding="utf-8")
        meta = _manifest(tmp, src, files, _write_configs(src, tmp, cfg, chat_format), started)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, out, MANIFEST, ModelError)
    return meta


def verify_conversion(out: str | Path) -> list[str]:
    """Files of a converted directory whose sha256 no longer matches its manifest ([] = intact)."""
    out = Path(out)
    meta = read_json(out / MANIFEST)
    return [name for name, digest in meta.get("sha256", {}).items()
            if not (out / name).is_file() or sha256_file(out / name) != digest]


# --- --model pointing at a raw ChatGLM directory --------------------------------------------
def converted_cache_dir(src: Path, cache: Path) -> Path:
    """Where `--model SRC` keeps its conversion: keyed by the source path and its weight files' sizes."""
    files = weight_files(src)
    key = json.dumps(
        [str(src.resolve())] + [[f.name, f.stat().st_size, int(f.stat().st_mtime)] for f in files]
    )
    return cache / f"chatglm-{src.name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def ensure_converted(src: str | Path, cache: Path, progress: bool = True, *, lock) -> Path:
    """The GlmForCausalLM conversion of a raw ChatGLM directory under `cache`, converted there once;
    `lock(path)`: a cross-process lock (generation's), so two processes never convert it at once."""
    src = Path(src).expanduser()
    target = converted_cache_dir(src, cache)
    if (target / MANIFEST).is_file():
        return target
    with lock(target.parent / f".{target.name}.lock"):
        if not (target / MANIFEST).is_file():
            if progress:
                import sys

                print(f"note: {src} is a ChatGLM remote-code checkpoint; converting it once to "
                      f"GlmForCausalLM in {target}", file=sys.stderr)
            convert_chatglm(src, target, progress=progress, overwrite=True)
    return target
