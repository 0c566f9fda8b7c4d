"""A sentence-transformers StaticEmbedding model read with numpy and `tokenizers` alone (no torch).

lawglm's default dense encoder is a static model: a text's vector is the mean of its tokens' rows of
one table, normalised. Importing sentence-transformers (and with it torch and transformers) costs
5-10 s on a cold start, while the table itself is a 9 MB safetensors file, so searches read the model
this way: `load_static(path)` returns a `StaticEncoder` when `path` is such a model (modules.json is a
StaticEmbedding followed only by Normalize modules), else None and the caller loads the full model.
The table is built the way `StaticEmbedding.load` builds it (model2vec's float16 `embeddings` times
per-token `weights`, in float32), so query vectors equal the ones sentence-transformers gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STATIC = "StaticEmbedding"
NORMALIZE = "Normalize"


@dataclass
class StaticEncoder:
    """Mean of token vectors, unit-normalised: what StaticEmbedding (+ Normalize) computes."""

    tokenizer: object  # tokenizers.Tokenizer
    table: np.ndarray  # float32, one row per token id
    path: str = ""

    def get_embedding_dimension(self) -> int:
        return int(self.table.shape[1])

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Unit float32 vectors of `texts` (a text without known tokens gets the zero vector)."""
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            if enc.ids:
                v = self.table[enc.ids].mean(axis=0)
                out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        return out


def is_static(path: str | Path) -> bool:
    """True when the model at `path` is a StaticEmbedding optionally followed by Normalize modules."""
    try:
        modules = json.loads((Path(path) / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules if isinstance(m, dict)]
    return (len(kinds) == len(modules) and bool(kinds) and kinds[0] == STATIC
            and all(k == NORMALIZE for k in kinds[1:]) and modules[0].get("path", "") == ""
            and (Path(path) / "model.safetensors").is_file() and (Path(path) / "tokenizer.json").is_file())


def load_static(path: str | Path) -> StaticEncoder | None:
    """The static model at `path` read without torch, or None when it is not one (see module doc)."""
    if not is_static(path):
        return None
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    weights = load_file(str(Path(path) / "model.safetensors"))
    table = _table(weights)
    if table is None:
        return None
    tokenizer = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
    tokenizer.no_padding()  # as StaticEmbedding does
    return StaticEncoder(tokenizer, table, str(path))


def _table(weights: dict[str, np.ndarray]) -> np.ndarray | None:
    """float32 table from `embedding.weight`, or from model2vec's `embeddings` [+ `mapping`, `weights`]
    folded as StaticEmbedding does (scaled in float32)."""
    if "embedding.weight" in weights:
        return np.ascontiguousarray(weights["embedding.weight"], dtype=np.float32)
    emb = weights.get("embeddings")
    if emb is None:
        return None
    if weights.get("mapping") is not None:
        emb = emb[weights["mapping"].astype(np.int64)]
    if weights.get("weights") is not None:
        emb = emb.astype(np.promote_types(emb.dtype, np.float32)) * weights["weights"][:, None]
    return np.ascontiguousarray(emb, dtype=np.float32)
