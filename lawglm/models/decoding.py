"""The local decode loop: KV-cached token-by-token generation over an HF causal LM (with or without
PEFT adapters), optional output vocabulary restricted to the legal domain, stop strings, cancellation.

`LocalGenerator` in generation.py drives it.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lawglm.settings import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_P,
)

if TYPE_CHECKING:
    import torch

END_TOKENS = ("<end_of_turn>", "<|user|>", "<|observation|>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>")


@dataclass
class SamplingParams:
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    top_p: float = DEFAULT_TOP_P
    temperature: float = DEFAULT_TEMPERATURE
    repetition_penalty: float = DEFAULT_REPETITION_PENALTY  # 1.0: off
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


def penalize(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> None:
    """CTRL-style repetition penalty on the positions in `seen`, in place."""
    import torch

    if penalty != 1.0 and seen.numel():
        vals = logits[seen]
        logits[seen] = torch.where(vals > 0, vals / penalty, vals * penalty)


def sample(logits: torch.Tensor, p: SamplingParams, gen: torch.Generator | None) -> int:
    """Next position in `logits`: greedy (temperature 0) or top-p sampling."""
    import torch

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

    @property
    def text(self) -> str:
        """The whole reply so far (including text held back for stop strings)."""
        return self._text

    _text = ""

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        text = self._text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
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


def _cache_kwarg(body: Any) -> str:
    """transformers >= 5.24 calls the KV cache `cache`; earlier releases `past_key_values`."""
    import inspect

    return "cache" if "cache" in inspect.signature(body.forward).parameters else "past_key_values"


def run_body(body: Any, ids: Sequence[int], cache: Any, device: Any) -> torch.Tensor:
    """Feed `ids` through the decoder stack on top of `cache` (extended in place); last hidden state."""
    import torch

    step = torch.tensor([list(ids)], dtype=torch.long, device=device)
    out = body(input_ids=step, use_cache=True, **{_cache_kwarg(body): cache})
    return out.last_hidden_state[:, -1]


class PrefixCache:
    """KV caches of fixed prompt prefixes (the system instruction), per adapter: a request whose
    prompt starts with a cached prefix copies that cache and prefills only the rest."""

    def __init__(self, max_entries: int = 8):
        self.entries: dict[tuple, Any] = {}
        self.max_entries = max_entries

    def start(self, key: Any, ids: list[int], prefix_len: int, make_cache, body: Any,
              device: Any) -> tuple[Any, int]:
        """(cache holding the first n ids, n) — from a stored prefix when there is one."""
        import copy

        if prefix_len < 8 or prefix_len >= len(ids) or self.max_entries <= 0:
            return make_cache(), 0
        entry_key = (key, tuple(ids[:prefix_len]))
        if entry_key not in self.entries:
            cache = make_cache()
            run_body(body, ids[:prefix_len], cache, device)
            if len(self.entries) >= self.max_entries:
                self.entries.pop(next(iter(self.entries)))
            self.entries[entry_key] = cache
        return copy.deepcopy(self.entries[entry_key]), prefix_len


def _piece(tokenizer: Any, ids: list[int], token: int, text: str) -> str:
    return tokenizer.decode([*ids, token], skip_special_tokens=True)[len(text):]


def guarded_choice(logits: torch.Tensor, p: SamplingParams, gen: Any, head: OutputHead, tokenizer: Any,
                   reply_ids: list[int], text: str, guard: Any, max_rejects: int = 32) -> int | str | None:
    """A token the guard accepts (sampled, rejected ones masked out), else the text the guard wants
    forced, else the best acceptable token among the top candidates, else None (nothing may follow)."""
    import torch

    for _ in range(max_rejects):
        index = sample(logits, p, gen)
        token = head.to_token(index)
        if guard.check(text, _piece(tokenizer, reply_ids, token, text)):
            return token
        logits[index] = float("-inf")
    forced = guard.fallback(text)
    if forced:
        return forced
    for index in torch.argsort(logits, descending=True)[:256].tolist():
        token = head.to_token(index)
        if logits[index] > float("-inf") and guard.check(text, _piece(tokenizer, reply_ids, token, text)):
            return token
    return None


def decode(model: Any, tokenizer: Any, input_ids: list[int], params: SamplingParams, *,
           head: OutputHead, end_ids: set[int], prefix_model: Any = None, stats: DecodeStats | None = None,
           cancel: threading.Event | None = None, guard: Any = None, prefix: PrefixCache | None = None,
           prefix_key: Any = None, prefix_len: int = 0) -> Iterator[str]:
    """Yield text chunks of the reply to `input_ids` (KV-cached; one token per step).

    `guard` (citation_guard.CitationGuard) vets every token and may force text (verbatim quotes, the
    rest of an allowed citation); `prefix` reuses the KV cache of the first `prefix_len` prompt tokens."""
    import time

    import torch

    stats = stats if stats is not None else DecodeStats()
    stats.prompt_tokens = len(input_ids)
    head = head.extended(input_ids)
    gen = torch.Generator().manual_seed(params.seed) if params.seed is not None else None
    body = _body(model)
    device = next(base_model(model).parameters()).device
    t0 = time.perf_counter()
    make_cache = lambda: _initial_cache(model, prefix_model)
    cache, done = (prefix.start(prefix_key, input_ids, prefix_len, make_cache, body, device) if prefix
                   else (make_cache(), 0))
    stats.extra["prefix_cached_tokens"] = done
    delta = TextDelta(tokenizer, params.stop)
    seen = torch.tensor(input_ids, dtype=torch.long)
    pending, reply = list(input_ids[done:]), []
    stats.finish_reason = ""  # stays empty when the caller stops reading (e.g. the grounded gate has enough)
    while stats.completion_tokens < params.max_new_tokens:
        if cancel is not None and cancel.is_set():
            stats.finish_reason = "cancelled"
            return
        logits = head(run_body(body, pending, cache, device))[0]
        penalize(logits, head.to_index(seen) if params.repetition_penalty != 1.0 else seen[:0],
                 params.repetition_penalty)
        if guard is None:
            choice: int | str | None = head.to_token(sample(logits, params, gen))
        else:
            choice = guarded_choice(logits, params, gen, head, tokenizer, reply, delta.text, guard)
        if stats.first_token_s is None:
            stats.first_token_s = time.perf_counter() - t0
        if choice is None or (isinstance(choice, int) and choice in end_ids):
            stats.finish_reason = "stop" if choice is not None else "guard"
            break
        tokens = (
            [choice] if isinstance(choice, int) else tokenizer(choice, add_special_tokens=False)["input_ids"]
        )
        forced = guard.forced(delta.text + _piece(tokenizer, reply, tokens[-1], delta.text)) \
            if guard is not None and len(tokens) == 1 else None
        if forced:
            tokens += tokenizer(forced, add_special_tokens=False)["input_ids"]
        for token in tokens:
            stats.completion_tokens += 1
            reply.append(token)
            chunk = delta.push(token)
            if chunk:
                yield chunk
            if delta.stopped:
                stats.finish_reason = "stop"
                return
        if params.repetition_penalty != 1.0:
            seen = torch.cat([seen, torch.tensor(tokens)])
        pending = tokens
    else:
        stats.finish_reason = "length"
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
