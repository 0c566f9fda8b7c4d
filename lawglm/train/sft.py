"""Adapter training: LoRA and P-tuning v2 (PEFT prefix tuning) on a causal-LM backbone.

`train(cfg)` validates the data first (`sft_data`), loads the backbone, encodes every example
through `sft_encode` (the answer pipeline's own prompt format, role-based loss masks), then runs a
plain PyTorch loop — gradient accumulation, linear warm-up/decay, eval loss on a dev slice,
checkpoints every `save_steps` (a partial run still leaves a usable adapter), `resume`, a jsonl
loss log and tqdm — and writes the PEFT files plus `lawglm.json` into the output directory.

Only positions that carry a label go through the LM head (`logits_to_keep`): prompt tokens are never
trained, so their 262k-vocabulary logits are skipped (bench/train_bench.py measures the saving).
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lawglm.errors import AdapterError, DataError
from lawglm.settings import DEFAULT_MODEL
from lawglm.train.sft_encode import (
    IGNORE,
    EncodeConfig,
    Encoded,
    encode_all,
    load_retrieval,
    read_data,
    sanity_check,
)

log = logging.getLogger(__name__)
META_FILE = "lawglm.json"
LOG_FILE = "train_log.jsonl"
CKPT_DIR = "checkpoints"
STATE_FILE = "trainer_state.pt"
DEFAULT_LR = {"lora": 3e-4, "ptuning": 2e-2}


@dataclass(kw_only=True)
class TrainConfig(EncodeConfig):
    """Every knob of a training run (stored in lawglm.json as train_config): how examples become model
    inputs (EncodeConfig: columns, filters, retrieval in the prompt, lengths, seed) plus these."""

    data: str
    out: str
    method: str = "lora"  # lora | ptuning
    model: str = DEFAULT_MODEL
    limit: int | None = None  # use only the first N (filtered) records
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_targets: str = "all-linear"  # comma-separated module names, or all-linear
    pre_seq_len: int = 128
    lr: float | None = None  # default: 3e-4 (lora), 2e-2 (ptuning)
    weight_decay: float = 0.0
    warmup_steps: int = 2
    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 1
    grad_accum: int = 4
    eval_data: str | None = None
    eval_limit: int = 16
    eval_steps: int = 0  # 0: only at the end (when eval data is given)
    save_steps: int = 10
    keep_checkpoints: int = 1
    resume: bool = False
    device: str = "auto"
    dtype: str = "float32"

    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.method]

    def check(self) -> None:
        if self.method not in ("lora", "ptuning"):
            raise DataError(f"method: must be lora or ptuning, got {self.method!r}")
        for name in ("max_source_length", "max_target_length", "batch_size", "grad_accum", "pre_seq_len",
                     "lora_rank", "top_k"):
            if getattr(self, name) < 1:
                raise DataError(f"{name.replace('_', '-')}: must be at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise DataError("max-steps: must be at least 1")
        if self.epochs <= 0:
            raise DataError("epochs: must be positive")
        if self.answer_shape not in ("free", "grounded"):
            raise DataError(f"answer-shape: must be free or grounded, got {self.answer_shape!r}")


# --- model -------------------------------------------------------------------------------------
def lora_targets(spec: str) -> str | list[str]:
    if spec.strip() in ("", "all-linear", "all"):
        return "all-linear"
    return [t.strip() for t in spec.split(",") if t.strip()]


def peft_config(cfg: TrainConfig):
    from peft import LoraConfig, PrefixTuningConfig, TaskType

    if cfg.method == "lora":
        return LoraConfig(task_type=TaskType.CAUSAL_LM, r=cfg.lora_rank, lora_alpha=cfg.lora_alpha,
                          lora_dropout=cfg.lora_dropout, target_modules=lora_targets(cfg.lora_targets))
    return PrefixTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=cfg.pre_seq_len,
                              prefix_projection=False)


def _layer_kv(cache, i: int):
    if hasattr(cache, "layers"):
        return cache.layers[i].keys, cache.layers[i].values
    return cache[i][0], cache[i][1]


def init_prefix_from_text(peft_model, tokenizer, text: str) -> bool:
    """Start the prefix from the backbone's own keys/values of `pre_seq_len` real tokens instead of
    PEFT's N(0, 1) init, which wrecks a small model's outputs at step 0 (Li & Liang 2021 use real
    activations too). Returns False (random init kept) when the text is too short."""
    import torch

    cfg = peft_model.peft_config[peft_model.active_adapter]
    ids = tokenizer(text)["input_ids"][:cfg.num_virtual_tokens]  # with BOS where the model adds one
    if len(ids) < cfg.num_virtual_tokens:
        return False
    with torch.no_grad():
        out = peft_model.get_base_model()(
            input_ids=torch.tensor([ids], device=peft_model.device), use_cache=True
        )
        cache = out["cache"] if "cache" in out else out["past_key_values"]  # renamed in transformers 5.24
        parts = []
        for i in range(cfg.num_layers):
            for t in _layer_kv(cache, i):  # (1, heads, tokens, head_dim) -> (tokens, heads * head_dim)
                parts.append(t[0].permute(1, 0, 2).reshape(len(ids), -1))
        weight = peft_model.prompt_encoder[peft_model.active_adapter].embedding.weight
        weight.copy_(torch.cat(parts, dim=1).to(weight.dtype))
    return True


def prefix_init_text(shape: str = "free") -> str:
    """What the prefix starts as: the backbone's own keys/values of the shape's system prompt, repeated."""
    from lawglm.answer.prompts import get_style

    return (get_style(shape).system + "\n") * 8


def wrap_model(model, cfg: TrainConfig, tokenizer=None):
    """The backbone with a fresh trainable adapter; every base weight frozen."""
    from peft import get_peft_model

    from lawglm.models.adapters import peft_wrapping

    for p in model.parameters():
        p.requires_grad_(False)
    try:
        with peft_wrapping():
            peft_model = get_peft_model(model, peft_config(cfg))
    except ValueError as exc:  # e.g. target modules not found
        raise AdapterError(f"cannot attach a {cfg.method} adapter to {cfg.model}: {exc}") from exc
    if cfg.method == "ptuning" and tokenizer is not None and not cfg.resume \
            and not init_prefix_from_text(peft_model, tokenizer, prefix_init_text(cfg.answer_shape)):
        log.warning("prefix init text shorter than %d tokens: keeping the random init", cfg.pre_seq_len)
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    log.info("trainable parameters: %d (%s)", trainable, cfg.method)
    return peft_model


# --- batches and loss ----------------------------------------------------------------------------
def collate(batch: list[Encoded], pad_id: int):
    """Right-padded input ids, attention mask, labels."""
    import torch

    n = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), n), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), n), dtype=torch.long)
    for i, e in enumerate(batch):
        ids[i, :len(e.input_ids)] = torch.tensor(e.input_ids)
        labels[i, :len(e.labels)] = torch.tensor(e.labels)
        mask[i, :len(e.input_ids)] = 1
    return ids, mask, labels


def batch_loss_sum(model, batch: list[Encoded], pad_id: int, device: str):
    """(sum of token losses, number of target tokens); logits only where some row has a label."""
    import torch.nn.functional as F

    ids, mask, labels = (t.to(device) for t in collate(batch, pad_id))
    keep = (labels[:, 1:] != IGNORE).any(dim=0).nonzero().squeeze(-1)  # position p predicts p + 1
    out = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep, use_cache=False)
    logits = out.logits.float()
    targets = labels[:, keep + 1]
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=IGNORE, reduction="sum")
    return loss, int((targets != IGNORE).sum())


def eval_loss(model, data: list[Encoded], pad_id: int, device: str, batch_size: int) -> float:
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(data), batch_size):
            s, n = batch_loss_sum(model, data[i:i + batch_size], pad_id, device)
            total, count = total + s.item(), count + n
    model.train()
    return total / max(count, 1)


def plan_steps(n_examples: int, cfg: TrainConfig) -> list[list[int]]:
    """Example indices for each optimizer step (micro-batches flattened), deterministic in the seed."""
    per_step = cfg.batch_size * cfg.grad_accum
    steps_per_epoch = max(1, math.ceil(n_examples / per_step))
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * steps_per_epoch))
    order: list[int] = []
    epoch = 0
    while len(order) < total * per_step:
        perm = list(range(n_examples))
        random.Random(cfg.seed + epoch).shuffle(perm)
        order += perm
        epoch += 1
    return [order[i * per_step:(i + 1) * per_step] for i in range(total)]


def lr_lambda(total: int, warmup: int):
    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))
    return f


# --- checkpoints, logs, metadata -------------------------------------------------------------------
def append_log(out: Path, record: dict) -> None:
    with (out / LOG_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def latest_checkpoint(out: Path) -> Path | None:
    ckpts = sorted((out / CKPT_DIR).glob("step-*"), key=lambda p: int(p.name.split("-")[1]))
    ckpts = [c for c in ckpts if (c / STATE_FILE).exists()]
    return ckpts[-1] if ckpts else None


def save_checkpoint(out: Path, model, optimizer, scheduler, step: int, keep: int) -> None:
    import torch

    ckpt = out / CKPT_DIR / f"step-{step}"
    tmp = ckpt.with_name(ckpt.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    state = {"step": step, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    torch.save(state, tmp / STATE_FILE)
    shutil.rmtree(ckpt, ignore_errors=True)
    tmp.rename(ckpt)
    for old in sorted((out / CKPT_DIR).glob("step-*"), key=lambda p: int(p.name.split("-")[1]))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(ckpt: Path, model, optimizer, scheduler) -> int:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = ckpt / "adapter_model.safetensors"
    if not weights.exists():
        raise AdapterError(f"resume: {ckpt} has no adapter_model.safetensors")
    set_peft_model_state_dict(model, load_file(str(weights)))
    state = torch.load(ckpt / STATE_FILE, map_location="cpu", weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return int(state["step"])


def adapter_meta(model, cfg: TrainConfig, data_info: dict, metrics: dict) -> dict:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    c = base.config
    text = c.get_text_config() if hasattr(c, "get_text_config") else c
    return {"base_model": cfg.model, "architecture": (c.architectures or [type(base).__name__])[0],
            "model_type": c.model_type, "hidden_size": text.hidden_size,
            "num_layers": text.num_hidden_layers, "vocab_size": text.vocab_size, "method": cfg.method,
            "train_config": asdict(cfg), "data": data_info, "metrics": metrics}


def save_adapter(out: Path, model, meta: dict) -> None:
    """PEFT files + lawglm.json + README.md card, so a reader never sees a half-written adapter."""
    model.save_pretrained(out)
    write_meta(out, meta)


def write_meta(out: Path, meta: dict) -> None:
    tmp = out / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(out / META_FILE)
    (out / "README.md").write_text(render_card(out, meta), encoding="utf-8")


def _hyper_params(meta: dict) -> str:
    c = meta["train_config"]
    if meta["method"] == "lora":
        return (f"LoRA rank {c['lora_rank']}, alpha {c['lora_alpha']}, dropout {c['lora_dropout']}, "
                f"targets {c['lora_targets']}")
    return (f"P-tuning v2: {c['pre_seq_len']} virtual tokens in every layer, no projection, initialised "
            "from the backbone's own keys/values of the system prompt")


def _prompt_setup(c: dict) -> str:
    articles = f"retrieved top-{c['top_k']}" if c["with_retrieval"] else "no retrieval"
    gold = ", gold articles shown" if c["gold_in_context"] else ""
    if c.get("answer_shape") == "grounded":
        return (
            "the grounded shape (prompts.GROUNDED: the paragraphs that matter of each article; "
            f"{articles}{gold}); "
            f"target = the lawyer's opening 1-3 sentences + `依据：` the shown gold articles "
            f"(grounded.conclusion_target), source <= {c['max_source_length']}, target <= "
            f"{c['max_target_length']} tokens"
        )
    cite = "; a 法律依据 line is added for shown gold articles" if c["cite_gold"] else ""
    return (f"lawglm's system prompt + articles ({articles}{gold}), source <= {c['max_source_length']}, "
            f"target <= {c['max_target_length']} tokens{cite}")


def render_card(out: Path, meta: dict) -> str:
    """The adapter card: what it is, data and licence, hyper-parameters, run, metrics."""
    c, d, m = meta["train_config"], meta["data"], meta["metrics"]
    size = sum(f.stat().st_size for f in out.glob("adapter_model.*")) / 1e6
    lines = [
        f"# {out.name}: {meta['method']} adapter for {meta['base_model']}",
        "",
        (
            f"- backbone: `{meta['base_model']}` ({meta['architecture']}, {meta['num_layers']} layers, "
            f"hidden {meta['hidden_size']}); adapter weights {size:.1f} MB"
        ),
        (
            f"- data: `{d['file']}` filtered by {d['filters'] or 'nothing'}: {d['rows']} rows encoded (avg "
            f"{d['avg_tokens']} tokens; {d['truncated_sources']} sources / {d['truncated_targets']} targets "
            "truncated); "
            f"eval loss on {d['eval_rows']} rows of `{d['eval_file']}`"
        ),
        f"- {_hyper_params(meta)}",
        (
            f"- optimisation: AdamW lr {c['lr']}, batch {c['batch_size']} x accumulation {c['grad_accum']}, "
            "warm-up "
            f"{c['warmup_steps']} steps then linear decay over {m['planned_steps']} planned steps, seed "
            f"{c['seed']}"
        ),
        f"- prompts: {_prompt_setup(c)}",
        (
            f"- run: {m['steps']} steps, {m['train_tokens']} tokens, {m['wall_s']} s wall; train loss "
            f"{m['train_loss_first5']} (first 5 steps) -> {m['train_loss_last5']} (last 5); eval loss "
            f"{m['eval_curve']}"
        ),
        "",
        "Per-step log: `train_log.jsonl`.",
        meta.get("card_extra", ""),
    ]
    return "\n".join(lines) + "\n"


# --- the run -----------------------------------------------------------------------------------------
@dataclass
class RunState:
    step: int = 0
    losses: list = field(default_factory=list)  # (step, train loss)
    evals: list = field(default_factory=list)  # (step, eval loss)
    tokens: int = 0
    started: float = field(default_factory=time.time)


def prepare(cfg: TrainConfig):
    """Validate data (before any model), load backbone + adapter, encode train/eval sets."""
    from lawglm.models.backbone import load_backbone

    cfg.check()
    train_ex = read_data(cfg.data, cfg, cfg.limit)
    eval_ex = read_data(cfg.eval_data, cfg, cfg.eval_limit) if cfg.eval_data else []
    retriever, corpus = load_retrieval(cfg)
    model, tok = load_backbone(cfg.model, device=cfg.device, dtype=cfg.dtype, progress=cfg.progress)
    train_set = encode_all(train_ex, tok, cfg, retriever, corpus, "encoding train")
    eval_set = encode_all(eval_ex, tok, cfg, retriever, corpus, "encoding eval") if eval_ex else []
    if not train_set:
        raise DataError(f"{cfg.data}: no example has a trained token left after truncation")
    data_info = {"file": str(cfg.data), "rows": len(train_set), "filters": cfg.filters,
                 "eval_file": cfg.eval_data, "eval_rows": len(eval_set),
                 "truncated_sources": sum(e.truncated_source for e in train_set),
                 "truncated_targets": sum(e.truncated_target for e in train_set),
                 "avg_tokens": round(sum(len(e.input_ids) for e in train_set) / len(train_set), 1)}
    return model, tok, train_set, eval_set, data_info


def train_step(model, batch: list[Encoded], cfg: TrainConfig, pad_id: int, device: str) -> tuple[float, int]:
    """Forward/backward over the micro-batches of one step; loss normalised by the step's target tokens."""
    n_targets = sum(e.n_targets for e in batch)
    total, tokens = 0.0, 0
    for i in range(0, len(batch), cfg.batch_size):
        loss, _ = batch_loss_sum(model, batch[i:i + cfg.batch_size], pad_id, device)
        (loss / n_targets).backward()
        total += loss.item()
        tokens += sum(len(e.input_ids) for e in batch[i:i + cfg.batch_size])
    return total / n_targets, tokens


def run_loop(model, tok, train_set, eval_set, cfg: TrainConfig, out: Path, on_save) -> RunState:
    import torch
    from tqdm import tqdm

    device = str(next(model.parameters()).device)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    plan = plan_steps(len(train_set), cfg)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.learning_rate(), weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(len(plan), cfg.warmup_steps))
    st = RunState()
    ckpt = latest_checkpoint(out) if cfg.resume else None
    if cfg.resume and ckpt is None:
        log.warning("resume: no checkpoint in %s, starting from step 0", out / CKPT_DIR)
    if ckpt is not None:
        st.step = load_checkpoint(ckpt, model, opt, sched)
        log.info("resumed from %s (step %d of %d)", ckpt, st.step, len(plan))
    model.train()
    bar = tqdm(total=len(plan), initial=st.step, desc=f"training {cfg.method}", disable=not cfg.progress)
    while st.step < len(plan):
        loss, tokens = train_step(model, [train_set[i] for i in plan[st.step]], cfg, pad_id, device)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(), sched.step(), opt.zero_grad(set_to_none=True)
        st.step, st.tokens = st.step + 1, st.tokens + tokens
        st.losses.append((st.step, loss))
        elapsed = time.time() - st.started
        append_log(out, {"step": st.step, "loss": round(loss, 4), "lr": sched.get_last_lr()[0],
                         "tokens": tokens, "elapsed_s": round(elapsed, 1),
                         "tokens_per_s": round(st.tokens / max(elapsed, 1e-9), 1)})
        bar.update(1), bar.set_postfix(loss=f"{loss:.3f}")
        last = st.step == len(plan)
        if eval_set and ((cfg.eval_steps and st.step % cfg.eval_steps == 0) or last):
            ev = eval_loss(model, eval_set, pad_id, device, cfg.batch_size)
            st.evals.append((st.step, ev))
            append_log(out, {"step": st.step, "eval_loss": round(ev, 4)})
        if (cfg.save_steps and st.step % cfg.save_steps == 0) or last:
            save_checkpoint(out, model, opt, sched, st.step, cfg.keep_checkpoints)
            on_save(st)
    bar.close()
    return st


def run_metrics(st: RunState, n_steps: int) -> dict:
    first = [loss for _, loss in st.losses[:5]]
    last = [loss for _, loss in st.losses[-5:]]
    return {"steps": st.step, "planned_steps": n_steps, "train_loss_first5": _mean(first),
            "train_loss_last5": _mean(last), "eval_loss": st.evals[-1][1] if st.evals else None,
            "eval_curve": [[s, round(v, 4)] for s, v in st.evals],
            "train_tokens": st.tokens, "wall_s": round(time.time() - st.started, 1)}


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def train(cfg: TrainConfig, echo=print) -> dict:
    """Run one training; returns the metadata written to OUT/lawglm.json."""
    import torch

    torch.manual_seed(cfg.seed)
    model, tok, train_set, eval_set, data_info = prepare(cfg)
    echo(sanity_check(tok, train_set[0]))
    model = wrap_model(model, cfg, tok)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if not cfg.resume:
        (out / LOG_FILE).unlink(missing_ok=True)
    n_steps = len(plan_steps(len(train_set), cfg))
    echo(f"{cfg.method}: {len(train_set)} examples, {n_steps} steps of {cfg.batch_size}x{cfg.grad_accum}, "
         f"avg {data_info['avg_tokens']} tokens; writing {out}")

    def on_save(st: RunState) -> None:
        save_adapter(out, model, adapter_meta(model, cfg, data_info, run_metrics(st, n_steps)))

    st = run_loop(model, tok, train_set, eval_set, cfg, out, on_save)
    meta = adapter_meta(model, cfg, data_info, run_metrics(st, n_steps))
    save_adapter(out, model, meta)
    return meta
