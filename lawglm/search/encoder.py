"""Loading a dense encoder and embedding texts with it (training one is `lawglm.train.encoder`).

`load_encoder(path)` loads any sentence-transformers model offline on CPU; `load_query_encoder(path)`
prefers the torch-free `StaticEncoder` below; `encode(model, texts)` gives unit float32 vectors.

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

from lawglm.errors import ModelError

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

    def encode_texts(self, texts: list[str], progress: bool = False, batch: int = 1024) -> np.ndarray:
        """Unit float32 vectors of `texts` (a text without known tokens gets the zero vector); tokenized
        `batch` texts at a time (the encodings of a whole corpus at once would hold ~1 GB)."""
        from tqdm.auto import tqdm

        texts = list(texts)
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        bar = tqdm(total=len(texts), desc="embedding", unit="doc", disable=not progress)
        for start in range(0, len(texts), batch):
            encodings = self.tokenizer.encode_batch(texts[start:start + batch], add_special_tokens=False)
            for i, enc in enumerate(encodings, start):
                if enc.ids:
                    v = self.table[enc.ids].mean(axis=0)
                    out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
            bar.update(len(encodings))
        bar.close()
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


def load_encoder(path: str | Path):
    """A sentence-transformers model from a local path, on CPU, offline; ModelError when it cannot load."""
    if not Path(path).exists():
        raise ModelError(f"encoder not found: {path} (pass --encoder PATH, or --encoder none for BM25 only; "
                         f"make one: lawglm encoder train --out {path})")
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is a ModelError for the user
        raise ModelError(f"cannot load encoder {path}: {exc}") from None


def load_query_encoder(path: str):
    """The encoder for embedding queries: a `StaticEncoder` when the model is a static one (same vectors,
    no torch import), else the sentence-transformers model (load_encoder)."""
    if Path(path).exists():
        try:
            static = load_static(path)
        except Exception:  # noqa: BLE001 - an unreadable file: load_encoder reports it properly
            static = None
        if static is not None:
            return static
    return load_encoder(path)


def embedding_dim(model) -> int:
    get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get() or 0)


def encode(model, texts: list[str], *, progress: bool = False, batch_size: int = 512) -> np.ndarray:
    """Unit-normalised float32 embeddings of `texts`."""
    if not texts:
        dim = embedding_dim(model)
        return np.zeros((0, dim), dtype=np.float32)
    if hasattr(model, "encode_texts"):  # a StaticEncoder: numpy only
        return model.encode_texts(texts, progress=progress)
    static = _static_table(model) if len(texts) <= 8 else None
    if static is not None:  # a query: numpy lookup, ~0.1 ms instead of ~3 ms through torch
        tokenizer, table = static
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        for i, enc in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):
            if enc.ids:
                v = table[enc.ids].mean(axis=0)
                out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        return out
    vecs = model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
                        show_progress_bar=progress)
    return np.ascontiguousarray(vecs, dtype=np.float32)


def _static_table(model):
    """(tokenizer, float32 table) when `model` is a sentence-transformers StaticEmbedding (+ Normalize)
    whose output is the plain mean of its token vectors; else None. Cached on the model."""
    cached = getattr(model, "_lawglm_static", False)
    if cached is not False:
        return cached
    found = None
    try:
        mods = list(model)
        first = mods[0]
        bag = getattr(first, "embedding", None)
        if (type(first).__name__ == "StaticEmbedding" and getattr(bag, "mode", "") == "mean"
                and all(type(m).__name__ == "Normalize" for m in mods[1:])):
            found = (first.tokenizer, bag.weight.detach().cpu().numpy().astype(np.float32))
    except (TypeError, AttributeError):
        found = None
    try:
        model._lawglm_static = found
    except AttributeError:
        pass
    return found
