"""PEFT adapters (LoRA, prefix tuning = P-tuning v2): find, validate against the loaded backbone,
load several onto one base (unmerged), and choose one per request.

Adapters are written by training as `save_pretrained` output plus a `lawglm.json` metadata file:
    {"base_model": str, "architecture": str, "model_type": str, "hidden_size": int, "num_layers": int,
     "vocab_size": int, "method": "lora" | "prefix", "train_config": {...}, "metrics": {...}}
`read_adapter_meta` is its reader; `backbone_signature` gives the fields training should copy.
"""

from __future__ import annotations

import copy
import json
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lawglm.errors import AdapterError

META_FILE = "lawglm.json"
WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin")
NONE = "none"
SIGNATURE_KEYS = ("architecture", "hidden_size", "num_layers", "vocab_size")
PROMPT_LEARNING = ("PREFIX_TUNING", "P_TUNING", "PROMPT_TUNING")


def _text_config(model: Any) -> Any:
    cfg = getattr(model, "config", model)
    return cfg.get_text_config() if hasattr(cfg, "get_text_config") else cfg


def backbone_signature(model: Any) -> dict:
    """What identifies a backbone for adapter compatibility (written into lawglm.json by training)."""
    from lawglm.models.decoding import base_model

    cfg = _text_config(base_model(model))
    archs = getattr(base_model(model).config, "architectures", None) or [type(base_model(model)).__name__]
    return {"architecture": archs[0], "model_type": getattr(cfg, "model_type", ""),
            "hidden_size": getattr(cfg, "hidden_size", None),
            "num_layers": getattr(cfg, "num_hidden_layers", getattr(cfg, "num_layers", None)),
            "vocab_size": getattr(cfg, "vocab_size", None),
            "base_model": getattr(base_model(model), "lawglm_source", "")
            or getattr(base_model(model).config, "_name_or_path", "")}


def read_adapter_meta(path: str | Path) -> dict:
    """The adapter's lawglm.json as a dict ({} when the adapter has none, e.g. trained elsewhere)."""
    f = Path(path) / META_FILE
    if not f.exists():
        return {}
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AdapterError(f"adapter {Path(path).name}: {f} is not valid JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise AdapterError(f"adapter {Path(path).name}: {f} must hold a JSON object")
    return meta


def read_adapter_config(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_dir():
        raise AdapterError(f"adapter: {path} does not exist (train one with `lawglm train`, or pass a path)")
    f = path / "adapter_config.json"
    if not f.exists():
        raise AdapterError(f"adapter {path.name}: {path} has no adapter_config.json (not a PEFT adapter)")
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AdapterError(f"adapter {path.name}: adapter_config.json is not valid JSON ({exc})") from exc


def resolve_adapter(name: str, adapters_dir: str | Path = "adapters") -> Path:
    """A name under adapters_dir (adapters/NAME) or a path to an adapter directory."""
    p = Path(name).expanduser()
    if p.is_dir() or "/" in name or name.startswith("."):
        return p
    return Path(adapters_dir) / name


def list_adapters(adapters_dir: str | Path = "adapters") -> list[dict]:
    """Adapters found under adapters_dir: name, path, method, metadata (and `error` when unreadable)."""
    root = Path(adapters_dir)
    out = []
    for d in (
        sorted(p for p in root.glob("*") if (p / "adapter_config.json").exists()) if root.is_dir() else []
    ):
        entry = {"name": d.name, "path": str(d), "method": "", "meta": {}}
        try:
            entry["method"] = str(read_adapter_config(d).get("peft_type", "")).lower()
            entry["meta"] = read_adapter_meta(d)
        except AdapterError as exc:
            entry["error"] = str(exc)
        out.append(entry)
    return out


# --- validation --------------------------------------------------------------------------
def _check_meta(name: str, meta: dict, sig: dict) -> None:
    wrong = [f"{k}: adapter {meta[k]!r} != backbone {sig[k]!r}" for k in SIGNATURE_KEYS
             if meta.get(k) is not None and sig.get(k) is not None and meta[k] != sig[k]]
    if wrong:
        raise AdapterError(f"adapter {name} was trained on a different backbone "
                           f"({meta.get('base_model', '?')}): " + "; ".join(wrong))


def _check_lora_targets(name: str, cfg: dict, model: Any) -> None:
    targets = cfg.get("target_modules")
    if not targets or isinstance(targets, str):  # a regex or "all-linear": let PEFT decide
        return
    leaves = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    missing = [t for t in targets if t.rsplit(".", 1)[-1] not in leaves]
    if len(missing) == len(targets):
        raise AdapterError(f"adapter {name}: its LoRA target modules {missing} do not exist in the backbone "
                           f"({type(model).__name__}); it was trained on another architecture")


def _expected_prompt_config(cfg: dict, model: Any) -> dict:
    """num_layers / token_dim / num_attention_heads as PEFT would derive them for this backbone."""
    from peft import PrefixTuningConfig
    from peft.utils.other import _prepare_prompt_learning_config

    probe = PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=cfg.get("num_virtual_tokens") or 1)
    probe = _prepare_prompt_learning_config(copy.deepcopy(probe), _text_config(model))
    return {"num_layers": probe.num_layers, "token_dim": probe.token_dim,
            "num_attention_heads": probe.num_attention_heads}


def _saved_prefix_shape(path: Path) -> tuple[int, ...] | None:
    f = path / "adapter_model.safetensors"
    if not f.exists():
        return None
    from safetensors import safe_open

    with safe_open(str(f), framework="pt") as st:
        keys = [k for k in st.keys() if "prompt_embeddings" in k]  # noqa: SIM118 (a safetensors handle)
        return tuple(st.get_slice(keys[0]).get_shape()) if keys else None


def _check_prefix(name: str, path: Path, cfg: dict, model: Any) -> None:
    expected = _expected_prompt_config(cfg, model)
    wrong = [f"{k}: adapter {cfg.get(k)} != backbone {v}" for k, v in expected.items()
             if cfg.get(k) is not None and cfg.get(k) != v]
    if wrong:
        raise AdapterError(
            f"adapter {name}: prefix-tuning shape does not fit the backbone: " + "; ".join(wrong)
        )
    n_virtual = cfg.get("num_virtual_tokens")
    if not isinstance(n_virtual, int) or n_virtual <= 0:
        raise AdapterError(
            f"adapter {name}: num_virtual_tokens must be a positive integer, got {n_virtual!r}"
        )
    shape = _saved_prefix_shape(path)
    want = (n_virtual, expected["num_layers"] * 2 * expected["token_dim"])
    if shape is not None and tuple(shape) != want:
        raise AdapterError(
            f"adapter {name}: saved prefix tensor has shape {list(shape)}, expected {list(want)} "
            f"(num_virtual_tokens={n_virtual}, num_layers={expected['num_layers']}, "
            f"token_dim={expected['token_dim']}); the files do not match adapter_config.json"
        )


def check_adapter(name: str, path: str | Path, model: Any) -> dict:
    """Validate one adapter against the loaded backbone; AdapterError says exactly what is wrong."""
    from lawglm.models.decoding import base_model

    path = Path(path)
    cfg = read_adapter_config(path)
    if not any((path / w).exists() for w in WEIGHT_FILES):
        raise AdapterError(f"adapter {name}: {path} has no adapter weights ({' or '.join(WEIGHT_FILES)})")
    peft_type = str(cfg.get("peft_type", "")).upper()
    if peft_type not in ("LORA", "PREFIX_TUNING"):
        raise AdapterError(
            f"adapter {name}: method {peft_type or '?'} is not supported (LORA or PREFIX_TUNING)"
        )
    meta, base = read_adapter_meta(path), base_model(model)
    _check_meta(name, meta, backbone_signature(base))
    if peft_type == "LORA":
        _check_lora_targets(name, cfg, base)
    else:
        _check_prefix(name, path, cfg, base)
    return {"name": name, "path": str(path), "method": "lora" if peft_type == "LORA" else "prefix",
            "meta": meta}


# --- loading and choosing ---------------------------------------------------------------
@dataclass
class AdapterSet:
    """The adapters on one base. PEFT cannot mix LoRA and prefix tuning in one PeftModel, so LoRA
    adapters share one PeftModel (`model`, injected unmerged) and each prefix adapter is a PeftModel
    over the same base whose prefix only seeds the KV cache."""

    model: Any  # what runs: the base, or a PeftModel holding every LoRA adapter
    prefixes: dict[str, Any] = field(default_factory=dict)
    infos: list[dict] = field(default_factory=list)

    @classmethod
    def wrap(cls, model: Any) -> AdapterSet:
        """An AdapterSet for a model as given (a bare backbone, or a PeftModel from training)."""
        cfgs = getattr(model, "peft_config", None) or {}
        if cfgs and all(_prompt_learning(c) for c in cfgs.values()):
            return cls(model.get_base_model(), {n: model for n in cfgs})
        return cls(model)

    @property
    def lora(self) -> list[str]:
        return list(getattr(self.model, "peft_config", None) or {})

    @property
    def names(self) -> list[str]:
        return [*self.lora, *self.prefixes]

    def require(self, name: str | None) -> str:
        """The adapter a request asked for, checked: a loaded adapter name or 'none'."""
        if name is None or name == NONE:
            return NONE
        if name not in self.names:
            raise AdapterError(
                f"adapter: unknown adapter {name!r} (loaded: {', '.join(self.names) or 'none'})"
            )
        return name

    @contextmanager
    def use(self, name: str | None):
        """Run one request with adapter `name` ('none'/None: the bare backbone). Yields the prefix
        PeftModel whose prompt seeds the KV cache, or None."""
        name = self.require(name)
        if name in self.lora:
            self.model.set_adapter(name)
            yield None
            return
        with self.model.disable_adapter() if self.lora else nullcontext():
            prefix = self.prefixes.get(name)
            if prefix is not None:
                prefix.set_adapter(name)
            yield prefix


def _prompt_learning(cfg: Any) -> bool:
    return str(getattr(cfg, "peft_type", "")).upper().split(".")[-1] in PROMPT_LEARNING


@contextmanager
def peft_wrapping():
    """Around building a PeftModel: PeftModel.__init__ (peft 0.21) reads `model.is_gradient_checkpointing`,
    which transformers 5 deprecates; nothing in lawglm reads it, so that one warning would only print on
    every ask and every training run."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
        )
        yield


def _load_one(model: Any, info: dict, first_lora: bool) -> Any:
    from peft import PeftModel

    try:
        if first_lora or info["method"] == "prefix":
            with peft_wrapping():
                return PeftModel.from_pretrained(model, info["path"], adapter_name=info["name"])
        model.load_adapter(info["path"], adapter_name=info["name"])
        return model
    except (RuntimeError, ValueError, KeyError, OSError) as exc:
        raise AdapterError(f"adapter {info['name']}: cannot load {info['path']}: {exc}") from exc


def attach_adapters(model: Any, adapters: dict[str, str | Path]) -> AdapterSet:
    """Validate every adapter (name -> path) first, then load them all onto `model`, unmerged."""
    infos = [check_adapter(n, p, model) for n, p in adapters.items()]
    lora = [i for i in infos if i["method"] == "lora"]
    out = AdapterSet(model, {}, infos)
    for k, info in enumerate(lora):
        out.model = _load_one(out.model, info, k == 0)
    base = out.model.get_base_model() if lora else model
    for info in (i for i in infos if i["method"] == "prefix"):
        out.prefixes[info["name"]] = _load_one(base, info, False).eval()
    out.model.eval()
    return out
