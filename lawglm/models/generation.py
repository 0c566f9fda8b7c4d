"""Generators: what the answer pipeline streams from (a local HF model with its adapters, the decode
loop and a legal-domain vocabulary; a remote OpenAI-compatible server), and building one from settings.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from lawglm.errors import ModelError
from lawglm.models.adapters import NONE, AdapterSet
from lawglm.models.backbone import context_length, load_backbone, quantize_int8_cpu, resolve_device
from lawglm.models.decoding import DecodeStats, PrefixCache
from lawglm.models.remote import RemoteGenerator
from lawglm.settings import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_P,
    PACKAGE_DIR,
    Settings,
)


# --- generators ----------------------------------------------------------------------
@runtime_checkable
class Generator(Protocol):
    """What the answer pipeline, the server and the tools stream from and ask about (LocalGenerator,
    RemoteGenerator; a test double implements every member).

    kind: local (decoded here: citations can be guarded while decoding, adapters swapped per request) or
    remote (an OpenAI-compatible server: tools and tool_choice pass through); tokenizer: None when token
    counts are estimates (count_tokens); adapter_infos: {name, method, meta} of each adapter loaded."""

    kind: str
    name: str
    context_length: int
    tokenizer: Any
    default_adapter: str | None

    @property
    def adapters(self) -> list[str]: ...
    @property
    def adapter_infos(self) -> list[dict]: ...
    def count_tokens(self, prompt: str | list[dict]) -> int: ...

    def stream(
        self,
        prompt: str | list[dict],
        *,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        top_p: float = DEFAULT_TOP_P,
        temperature: float = DEFAULT_TEMPERATURE,
        repetition_penalty: float = DEFAULT_REPETITION_PENALTY,
        stop: Sequence[str] = (),
        adapter: str | None = None,
        stats: DecodeStats | None = None,
        cancel: threading.Event | None = None,
        seed: int | None = None,
        guard: Any = None,
        tools: list | None = None,
        tool_choice: Any = None,
    ) -> Iterator[str]:
        """Text chunks of the reply. `guard` (a CitationGuard) is for kind local only; `tools` /
        `tool_choice` for kind remote only (a local model's tools ride in the messages,
        models/tool_calls.native_messages); each kind refuses the other's with ModelError."""
        ...


class LocalGenerator:
    """A backbone (+ PEFT adapters, unmerged) in this process; one generation at a time."""

    kind = "local"

    def __init__(self, model: Any, tokenizer: Any, *, name: str = "", adapters: AdapterSet | None = None,
                 default_adapter: str | None = None, vocab_ids: Sequence[int] | None = None,
                 int8_head: bool = False, threads: int = 0):
        """`model`: a backbone or a PeftModel; `adapters`: from adapters.attach_adapters (wins over model)."""
        from lawglm.models.decoding import OutputHead, end_token_ids

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
        from lawglm.models.chat_format import prompt_ids, render

        return prompt_ids(
            self.tokenizer, prompt if isinstance(prompt, str) else render(self.tokenizer, prompt)
        )

    def count_tokens(self, prompt: str | list[dict]) -> int:
        return len(self.encode(prompt))

    def system_prefix_len(self, prompt: str | list[dict], ids: list[int]) -> int:
        """How many leading prompt tokens are the system instruction alone (the same for every request,
        so its KV cache is reused); 0 for a plain-text prompt."""
        from lawglm.models.chat_format import prompt_ids, render

        if isinstance(prompt, str) or not prompt or prompt[0].get("role") != "system":
            return 0
        head = prompt_ids(self.tokenizer, render(self.tokenizer, prompt[:1], add_generation_prompt=False))
        n = 0
        while n < min(len(head), len(ids)) and head[n] == ids[n]:
            n += 1
        return max(0, n - 1)  # the last token may merge with what follows

    def stream(
        self,
        prompt: str | list[dict],
        *,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        top_p: float = DEFAULT_TOP_P,
        temperature: float = DEFAULT_TEMPERATURE,
        repetition_penalty: float = DEFAULT_REPETITION_PENALTY,
        stop: Sequence[str] = (),
        adapter: str | None = None,
        stats: DecodeStats | None = None,
        cancel: threading.Event | None = None,
        seed: int | None = None,
        guard: Any = None,
        tools: list | None = None,
        tool_choice: Any = None,
    ) -> Iterator[str]:
        """Text chunks of the reply. Stop iterating (or close the iterator / set `cancel`) to free the model.
        `guard` constrains citations (citation_guard.CitationGuard); the system prefix's KV cache is
        reused. Tools are not taken here: they ride in the messages (models/tool_calls.native_messages)."""
        import torch

        if tools or tool_choice is not None:
            raise ModelError("tools: a local model takes its tools in the messages (models/tool_calls)")

        from lawglm.models.chat_format import stop_strings
        from lawglm.models.decoding import SamplingParams, decode

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
            yield from decode(
                self.model,
                self.tokenizer,
                ids,
                params,
                head=self.head,
                end_ids=self.end_ids,
                prefix_model=prefix,
                stats=stats,
                cancel=cancel,
                guard=guard,
                prefix=self.prefixes,
                prefix_key=name,
                prefix_len=self.system_prefix_len(prompt, ids),
            )


# --- building a generator from settings -------------------------------------------------------
VOCAB_VERSION = 1
RESTRICT_MIN_VOCAB = 100_000  # only huge vocabularies (Gemma's 262k) are worth restricting


VOCAB_SUPPLEMENTS = PACKAGE_DIR / "data" / "vocab"


def vocab_supplement(name: str, tokenizer: Any) -> list[int]:
    """Extra domain token ids shipped for a backbone (tokens of training questions and answers that the
    statutes never use: 怎么, 老板, ...), written by `bench/decode_bench.py --write-supplement`."""
    f = VOCAB_SUPPLEMENTS / f"{name}.json"
    if not f.exists():
        return []
    data = json.loads(f.read_text(encoding="utf-8"))
    return data["ids"] if data.get("vocab_size") == len(tokenizer) else []


def cached_domain_vocab(tokenizer: Any, corpus: Any, settings: Settings, progress: bool = True,
                        texts: Sequence[str] = ()) -> list[int]:
    """The domain vocabulary for (tokenizer, corpus, the caller's prompt `texts`), computed once and cached
    under LAWGLM_HOME/vocab."""
    import hashlib

    from lawglm.models.chat_format import CHAT_TEMPLATE
    from lawglm.models.decoding import domain_vocab

    extra = vocab_supplement(Path(settings.model).name, tokenizer)
    key = (f"{VOCAB_VERSION}|{getattr(tokenizer, 'name_or_path', '')}|{len(tokenizer)}|{corpus.sha256}|"
           f"{hashlib.sha256(json.dumps(extra).encode()).hexdigest()}"
           f"{'|' + hashlib.sha256(json.dumps(list(texts)).encode()).hexdigest() if texts else ''}")
    path = settings.home / "vocab" / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".json")
    if path.exists():
        return json.loads(path.read_text())
    texts = [a.text for a in corpus.articles] + corpus.laws() + list(texts) + [CHAT_TEMPLATE]
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

    from lawglm.errors import AdapterError
    from lawglm.models.adapters import check_adapter, list_adapters, resolve_adapter

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
                         restrict_vocab: bool | None = None, progress: bool = True,
                         vocab_texts: Sequence[str] = ()) -> LocalGenerator:
    """Backbone + adapters (validated, unmerged) + optional domain vocabulary, ready to stream.

    `adapter` (default settings.adapter) becomes the default for requests; when it is the configured
    default and has not been trained yet, the bare backbone is used (with a note on stderr).
    On CPU the output vocabulary is restricted to the legal domain (same perplexity, ~10x smaller head)."""
    import sys

    from lawglm.models.adapters import attach_adapters, resolve_adapter

    adapter = adapter if adapter is not None else settings.adapter
    device = resolve_device(settings.device)
    # None/0 = full precision. int8 on CPU is opt-in (--quantize 8): bench/decode_bench.py measured 2.5x
    # faster
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
    default = (
        resolve_adapter(adapter, settings.adapters_dir).name if adapter not in (None, "", NONE) else NONE
    )
    if restrict_vocab is None:
        restrict_vocab = device == "cpu" and len(tok) >= RESTRICT_MIN_VOCAB and corpus is not None
    vocab = (
        cached_domain_vocab(tok, corpus, settings, progress, vocab_texts)
        if restrict_vocab and corpus
        else None
    )
    return LocalGenerator(aset.model, tok, name=settings.model, adapters=aset, default_adapter=default,
                          vocab_ids=vocab, int8_head=quant == 8, threads=settings.threads)


def load_generator(settings: Settings, *, adapter: str | None = None, corpus: Any = None,
                   restrict_vocab: bool | None = None, progress: bool = True,
                   vocab_texts: Sequence[str] = ()) -> Generator | None:
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
                                progress=progress, vocab_texts=vocab_texts)
