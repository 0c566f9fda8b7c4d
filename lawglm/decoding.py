"""The local decode loop: KV-cached token-by-token generation over an HF causal LM (with or without
PEFT adapters), optional output vocabulary restricted to the legal domain, stop strings, cancellation.

Owned by the generation part (issue 3); `LocalGenerator` in generation.py drives it.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

END_TOKENS = ("<end_of_turn>", "<|user|>", "<|observation|>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>")


@dataclass
class SamplingParams:
    max_new_tokens: int = 512
    top_p: float = 0.7
    temperature: float = 0.95
    repetition_penalty: float = 1.0
    stop: Sequence[str] = ()
    seed: int | None = None


@dataclass
class DecodeStats:
    """Filled in while a stream runs: what the caller reports as usage."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_token_s: float | None = None
    finish_reason: str = ""
    extra: dict = field(default_factory=dict)


def base_model(model: Any) -> Any:
    """The transformers causal LM under a PeftModel (LoRA layers stay injected in place)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def end_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """Token ids that end a reply: eos from config/generation config/tokenizer + chat end tokens."""
    ids: set[int] = set()
    for src in (getattr(base_model(model), "generation_config", None), base_model(model).config, tokenizer):
        eos = getattr(src, "eos_token_id", None)
        ids.update(eos if isinstance(eos, (list, tuple)) else ([eos] if eos is not None else []))
    vocab = tokenizer.get_vocab()
    ids.update(vocab[t] for t in END_TOKENS if t in vocab)
    return {int(i) for i in ids}


class OutputHead:
    """Logits over the whole vocabulary, or only over `vocab_ids` (a much smaller matmul).

    A restricted head is extended per request with the prompt's own tokens (`extended`), so a reply
    can always repeat words of the question even when the statutes never use them."""

    def __init__(self, model: Any, vocab_ids: Sequence[int] | None = None, int8: bool = False):
        import torch

        lm = base_model(model)
        self.head = lm.get_output_embeddings()
        cap = getattr(lm.config.get_text_config(), "final_logit_softcapping", None)
        self.softcap = float(cap) if cap else None
        self.ids = self.sub = self.extra = None
        if vocab_ids is not None and isinstance(self.head, torch.nn.Linear):
            self._set_ids(torch.tensor(sorted({int(i) for i in vocab_ids}), dtype=torch.long))
            sub = _linear(self.head.weight.detach()[self.ids])
            self.sub = quantize_linear(sub) if int8 else sub
        elif int8 and isinstance(self.head, torch.nn.Linear):
            self.sub = quantize_linear(_linear(self.head.weight.detach().clone()))

    def _set_ids(self, ids: torch.Tensor) -> None:
        import torch

        self.ids = ids
        self.sorted_ids, self.order = torch.sort(ids)

    def extended(self, token_ids: Sequence[int]) -> OutputHead:
        """This head plus `token_ids` outside its vocabulary (a per-request copy; self is unchanged)."""
        import copy

        import torch

        if self.ids is None:
            return self
        new = torch.tensor(sorted(set(map(int, token_ids)) - set(self.ids.tolist())), dtype=torch.long)
        if not len(new):
            return self
        out = copy.copy(self)
        out.extra = _linear(self.head.weight.detach()[new])
        out._set_ids(torch.cat([self.ids, new]))
        return out

    def __call__(self, hidden: torch.Tensor) -> torch.Tensor:
        import torch

        logits = (self.sub or self.head)(hidden).float()
        if self.extra is not None:
            logits = torch.cat([logits, self.extra(hidden).float()], dim=-1)
        if self.softcap:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def to_token(self, index: int) -> int:
        return int(self.ids[index]) if self.ids is not None else index

    def to_index(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Positions of token ids in the logits (ids outside a restricted vocabulary are dropped)."""
        import torch

        if self.ids is None:
            return token_ids
        pos = torch.searchsorted(self.sorted_ids, token_ids).clamp(max=len(self.ids) - 1)
        return self.order[pos[self.sorted_ids[pos] == token_ids]]


def _linear(weight: Any) -> Any:
    """A bias-free Linear holding `weight` (rows = output tokens)."""
    import torch

    out = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False, dtype=weight.dtype)
    out.weight = torch.nn.Parameter(weight, requires_grad=False)
    return out


def quantize_linear(module: torch.nn.Module) -> torch.nn.Module:
    import torch

    spec = {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}
    with warnings.catch_warnings():  # torch.ao quantisation is deprecated in favour of torchao, still works
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(module, spec, dtype=torch.qint8)


def choose(logits: torch.Tensor, seen: torch.Tensor, p: SamplingParams,
           gen: torch.Generator | None) -> int:
    """Next position in `logits`: repetition penalty, then greedy (temperature 0) or top-p sampling."""
    import torch

    if p.repetition_penalty != 1.0 and seen.numel():
        vals = logits[seen]
        logits[seen] = torch.where(vals > 0, vals / p.repetition_penalty, vals * p.repetition_penalty)
    if p.temperature <= 0 or p.top_p <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / p.temperature, dim=-1)
    sorted_p, order = torch.sort(probs, descending=True)
    keep = torch.cumsum(sorted_p, dim=-1) - sorted_p < p.top_p
    sorted_p = sorted_p * keep
    pick = torch.multinomial(sorted_p / sorted_p.sum(), 1, generator=gen)
    return int(order[pick])


class TextDelta:
    """Incremental detokenisation with stop strings: emits only text that is final."""

    def __init__(self, tokenizer: Any, stop: Sequence[str]):
        self.tokenizer, self.stop = tokenizer, [s for s in stop if s]
        self.ids: list[int] = []
        self.sent = 0
        self.stopped = False

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd"):  # an incomplete multi-byte character
            return ""
        cut = min((i for i in (text.find(s) for s in self.stop) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            return self._emit(text[:cut])
        return self._emit(text[:len(text) - self._held(text)])

    def flush(self) -> str:
        if self.stopped:
            return ""
        return self._emit(self.tokenizer.decode(self.ids, skip_special_tokens=True).rstrip("\ufffd"))

    def _held(self, text: str) -> int:
        """Length of the longest tail of `text` that may be the start of a stop string."""
        best = 0
        for s in self.stop:
            for k in range(min(len(s) - 1, len(text)), best, -1):
                if text.endswith(s[:k]):
                    best = k
                    break
        return best

    def _emit(self, upto: str) -> str:
        if len(upto) <= self.sent:
            return ""
        out, self.sent = upto[self.sent:], len(upto)
        return out


def _initial_cache(model: Any, prefix_model: Any):
    if prefix_model is not None:
        return prefix_model.get_prompt(batch_size=1)
    from transformers import DynamicCache

    return DynamicCache(config=base_model(model).config)


def _body(model: Any):
    lm = base_model(model)
    return lm.model if hasattr(lm, "model") else lm.get_decoder()


def decode(model: Any, tokenizer: Any, input_ids: list[int], params: SamplingParams, *,
           head: OutputHead, end_ids: set[int], prefix_model: Any = None, stats: DecodeStats | None = None,
           cancel: threading.Event | None = None) -> Iterator[str]:
    """Yield text chunks of the reply to `input_ids` (KV-cached; one token per step)."""
    import time

    import torch

    stats = stats if stats is not None else DecodeStats()
    stats.prompt_tokens = len(input_ids)
    head = head.extended(input_ids)
    gen = torch.Generator().manual_seed(params.seed) if params.seed is not None else None
    body, cache = _body(model), _initial_cache(model, prefix_model)
    device = next(base_model(model).parameters()).device
    delta, t0 = TextDelta(tokenizer, params.stop), time.perf_counter()
    seen = torch.tensor(input_ids, dtype=torch.long)
    step = torch.tensor([input_ids], dtype=torch.long, device=device)
    stats.finish_reason = "length"
    for _ in range(params.max_new_tokens):
        if cancel is not None and cancel.is_set():
            stats.finish_reason = "cancelled"
            return
        hidden = body(input_ids=step, past_key_values=cache, use_cache=True).last_hidden_state[:, -1]
        logits = head(hidden)[0]
        token = head.to_token(choose(logits, head.to_index(seen) if params.repetition_penalty != 1.0
                                     else seen[:0], params, gen))
        if stats.first_token_s is None:
            stats.first_token_s = time.perf_counter() - t0
        if token in end_ids:
            stats.finish_reason = "stop"
            break
        stats.completion_tokens += 1
        if params.repetition_penalty != 1.0:
            seen = torch.cat([seen, torch.tensor([token])])
        chunk = delta.push(token)
        if chunk:
            yield chunk
        if delta.stopped:
            stats.finish_reason = "stop"
            return
        step = torch.tensor([[token]], dtype=torch.long, device=device)
    tail = delta.flush()
    if tail:
        yield tail


# --- the legal-domain output vocabulary ---------------------------------------------------
def _short_token_ids(tokenizer: Any) -> set[int]:
    """Tokens that spell at most one character (every CJK character, punctuation, byte fallbacks)."""
    out = set()
    for tok, i in tokenizer.get_vocab().items():
        if len(tok) <= 8 and (tok.startswith("<0x") or len(tokenizer.convert_tokens_to_string([tok])) <= 1):
            out.add(int(i))
    return out


def domain_vocab(tokenizer: Any, texts: Sequence[str], *, progress: bool = True,
                 batch: int = 1024) -> list[int]:
    """Token ids the legal domain uses: every token of `texts` (statutes, prompts), every
    one-character token, and the special tokens. A fraction of a 262k vocabulary."""
    from tqdm import tqdm

    ids = _short_token_ids(tokenizer) | {int(i) for i in tokenizer.all_special_ids}
    for start in tqdm(range(0, len(texts), batch), desc="domain vocabulary", disable=not progress,
                      unit="batch"):
        for row in tokenizer(list(texts[start:start + batch]), add_special_tokens=False)["input_ids"]:
            ids.update(row)
    return sorted(ids)
