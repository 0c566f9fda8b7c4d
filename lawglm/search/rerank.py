"""An optional cross-encoder a user brings (bge-reranker, any sentence-transformers CrossEncoder): it
reorders the best `depth` hits of the first stage by its (query, article) relevance.

Selected by `--reranker PATH` / LAWGLM_RERANKER; the article text it reads is
`text.article_document` (short law name, chapter, section, text). A cross-encoder reads every pair in
full, so it costs far more than the first stage: on a CPU expect tens of milliseconds per candidate for
a base-size model (see bench/search_bench.py --reranker).
"""

from __future__ import annotations

import threading
from pathlib import Path

from lawglm.errors import ModelError
from lawglm.records import Hit
from lawglm.search.text import article_document

_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}


def load_reranker(path: str):
    """The CrossEncoder at `path` on the CPU, offline, loaded once per process; ModelError when it can't
    be."""
    key = str(Path(path).expanduser())
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        if not Path(key).exists():
            raise ModelError(
                f"reranker not found: {path} (a local sentence-transformers CrossEncoder directory)"
            )
        try:
            from sentence_transformers import CrossEncoder

            model = CrossEncoder(key, device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure is a ModelError for the user
            raise ModelError(f"cannot load reranker {path}: {exc}") from None
        _LOADED[key] = model
        return model


def rerank(model, query: str, hits: list[Hit], depth: int) -> list[Hit]:
    """`hits` with the first `depth` reordered by the cross-encoder (score = its output: a probability for
    the usual one-label rerankers); ties keep the first stage's order; hits beyond `depth` follow
    unchanged."""
    head, tail = hits[:depth], hits[depth:]
    if len(head) < 2:
        return hits
    raw = model.predict([(query, article_document(h.article)) for h in head], show_progress_bar=False,
                        convert_to_numpy=True)
    scores = [float(s[-1]) if getattr(s, "ndim", 0) else float(s) for s in raw]
    order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
    out = [Hit(head[i].article, scores[i], head[i].sources + ("rerank",)) for i in order]
    return out + tail
