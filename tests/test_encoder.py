"""lawglm's default dense encoder: vocabulary/tokenizer, training on a tiny corpus, saving, the CLI,
and the shipped artefact under lawglm/data/encoder/ (all statute text comes from laws.db at test time)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lawglm.cli import main
from lawglm.errors import DataError, ModelError
from lawglm.search.encoder import load_encoder
from lawglm.search.text import article_document
from lawglm.settings import DEFAULT_ENCODER
from lawglm.statutes.corpus import write_jsonl
from lawglm.train import encoder as enc


def _questions(articles, path: Path) -> Path:
    """One query per article: its chapter plus the start of its text (taken from the corpus)."""
    with open(path, "w", encoding="utf-8") as f:
        for a in articles:
            q = f"{a.chapter} {a.text[:12]}"
            f.write(json.dumps({"query": q, "gold": [{"law": a.law, "article_no": a.article_no}]},
                               ensure_ascii=False) + "\n")
    return path


def _tiny_cfg(qfile: Path, **kw) -> enc.EncoderConfig:
    base = {"dim": 32, "vocab_size": 3000, "min_word_freq": 1, "steps": 60, "batch_size": 16, "lr": 0.05,
            "init": "random", "seed": 7, "train_files": [str(qfile)]}
    return enc.EncoderConfig(**{**base, **kw})


# --- vocabulary and tokenizer ---------------------------------------------------------------------
def test_tokenizer_keeps_words_drops_punctuation_and_marks_unknowns(tiny_articles):
    words, chars = enc.count_pieces([article_document(a) for a in tiny_articles], progress=False)
    vocab = enc.build_vocab(words, chars, size=2000, min_freq=1)
    tok = enc.build_tokenizer(vocab)
    word = words.most_common(1)[0][0]
    assert tok.encode(word, add_special_tokens=False).tokens == [word]
    assert tok.encode(f"《{word}》，。！", add_special_tokens=False).tokens == [word]
    assert tok.encode("鱻", add_special_tokens=False).ids == [0]  # a character never seen -> [UNK]
    assert vocab[0][0] == enc.UNK and len({v for v, _ in vocab}) == len(vocab)


def test_vocab_respects_size_and_keeps_every_character(tiny_articles):
    words, chars = enc.count_pieces([a.text for a in tiny_articles], progress=False)
    vocab = enc.build_vocab(words, chars, size=len(chars) + 50, min_freq=1)
    pieces = {v for v, _ in vocab}
    assert set(chars) <= pieces
    assert len(vocab) <= len(chars) + 50 + 36  # + [UNK] budget and the ASCII letters/digits


# --- training data -----------------------------------------------------------------------------------
def test_question_pairs_resolve_gold_articles(tmp_path, tiny_corpus, tiny_articles):
    pairs = enc.read_question_pairs(_questions(tiny_articles, tmp_path / "q.jsonl"), tiny_corpus)
    assert len(pairs) == len(tiny_articles)
    assert pairs[0].positive == article_document(tiny_articles[0]) and pairs[0].key == tiny_articles[0].key


def test_bad_training_data_is_a_clear_error(tmp_path, tiny_corpus):
    with pytest.raises(DataError, match="not found"):
        enc.read_question_pairs(tmp_path / "missing.jsonl", tiny_corpus)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "gold": []}\n{not json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2"):
        enc.read_question_pairs(bad, tiny_corpus)
    bad.write_text('{"gold": []}\n', encoding="utf-8")
    with pytest.raises(DataError, match="query"):
        enc.read_question_pairs(bad, tiny_corpus)


def test_batches_never_repeat_an_article(tiny_articles):
    import random

    pairs = [enc.Pair(a.text[:5], a.text, a.key, "x") for a in tiny_articles] * 3
    gen = enc.batches(pairs, 8, random.Random(0))
    for _ in range(20):
        batch = next(gen)
        assert len(batch) == 8 and len({p.key for p in batch}) == 8


# --- training end to end ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_corpus, tiny_articles):
    d = tmp_path_factory.mktemp("enc")
    qfile = _questions(tiny_articles, d / "q.jsonl")
    info = enc.train_encoder(
        d / "model", _tiny_cfg(qfile), corpus=tiny_corpus, dev_files=[qfile], progress=False
    )
    return d, qfile, info


def test_training_learns_and_saves_a_loadable_model(trained, tiny_corpus, tiny_articles):
    from sentence_transformers import SentenceTransformer

    d, qfile, info = trained
    untrained = enc.train_encoder(d / "untrained", _tiny_cfg(qfile, steps=0), corpus=tiny_corpus,
                                  dev_files=[qfile], progress=False)
    assert info["dev"]["q.jsonl"]["recall@1"] > untrained["dev"]["q.jsonl"]["recall@1"]
    assert info["dev"]["q.jsonl"]["recall@5"] >= 0.8
    model = SentenceTransformer(str(d / "model"), device="cpu")
    vecs = model.encode([a.text for a in tiny_articles[:3]])
    assert vecs.shape == (3, 32)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    again = enc.dense_recalls(model, tiny_corpus, enc.read_dev_sets([qfile]))["q.jsonl"]["recall@5"]
    assert again == pytest.approx(info["dev"]["q.jsonl"]["recall@5"], abs=0.04)
    card = (d / "model" / "README.md").read_text(encoding="utf-8")
    assert "60 steps" in card and "| `q.jsonl` |" in card
    assert json.loads((d / "model" / "lawglm_encoder.json").read_text())["config"]["seed"] == 7


def test_training_is_reproducible_and_save_replaces_atomically(trained, tiny_corpus):
    from safetensors.numpy import load_file

    d, qfile, _ = trained
    again = d / "again"
    again.mkdir()
    (again / "stale.txt").write_text("old model")
    enc.train_encoder(again, _tiny_cfg(qfile), corpus=tiny_corpus, progress=False)
    a, b = load_file(str(d / "model" / "model.safetensors")), load_file(str(again / "model.safetensors"))
    assert np.array_equal(a["embeddings"], b["embeddings"])
    assert not (again / "stale.txt").exists()
    assert [p.name for p in d.iterdir() if p.name.startswith(".")] == []  # no temp dirs left behind


def test_no_training_files_is_a_clear_error(tmp_path, tiny_corpus):
    with pytest.raises(DataError, match="no training files"):
        enc.train_encoder(tmp_path / "m", enc.EncoderConfig(train_files=[]), corpus=tiny_corpus)


# --- CLI ---------------------------------------------------------------------------------------------------
def test_cli_train_and_eval(tmp_path, tiny_articles, capsys):
    src = tmp_path / "tiny.jsonl"
    write_jsonl(tiny_articles, src)
    qfile = _questions(tiny_articles, tmp_path / "q.jsonl")
    out = tmp_path / "model"
    main(["encoder", "train", "--out", str(out), "--train-data", str(qfile), "--dev", str(qfile),
          "--corpus", str(src), "--steps", "30", "--dim", "16", "--vocab-size", "2000",
          "--batch-size", "8", "--init", "random"])
    assert "encoder written to" in capsys.readouterr().out
    main(["encoder", "eval", "--encoder", str(out), "--data", str(qfile), "--corpus", str(src)])
    scores = json.loads(capsys.readouterr().out)
    assert set(scores) == {"n", "recall@1", "recall@5", "recall@10", "mrr@10"} and scores["recall@10"] > 0.5


@pytest.mark.parametrize(
    "args, needle",
    [
        (
            ["encoder", "train", "--out", "{tmp}/m", "--train-data", "{tmp}/missing.jsonl", "--steps", "1"],
            "not found",
        ),
        (["encoder", "eval", "--encoder", "{tmp}/nothing", "--data", "{tmp}/q.jsonl"], "encoder not found"),
        (["encoder", "eval", "--data", "{tmp}/bad.jsonl"], "bad.jsonl:2: invalid JSON"),
        (["encoder", "eval", "--data", "{tmp}/nogold.jsonl"], "nogold.jsonl:1: 'gold' must be"),
        (["encoder", "eval", "--data", "{tmp}/missing.jsonl"], "missing.jsonl: file not found"),
        (
            ["encoder", "train", "--out", "{tmp}/m", "--train-data", "{tmp}/q.jsonl", "--steps", "-3"],
            "--steps",
        ),
        (["encoder", "train", "--out", "{tmp}/m"], "--train-data"),  # no default pointing outside the repo
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, args, needle):
    (tmp_path / "q.jsonl").write_text(
        '{"query": "借款利息", "gold": [{"law": "民法典", "article_no": 680}]}\n', encoding="utf-8"
    )
    (tmp_path / "bad.jsonl").write_text((tmp_path / "q.jsonl").read_text(encoding="utf-8") + "{oops\n",
                                        encoding="utf-8")
    (tmp_path / "nogold.jsonl").write_text('{"query": "借款利息"}\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([a.format(tmp=tmp_path) for a in args])
    assert exc.value.code != 0
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_load_encoder_missing(tmp_path):
    with pytest.raises(ModelError, match="encoder not found"):
        load_encoder(tmp_path / "nothing")
    with pytest.raises(ModelError, match="cannot load encoder"):
        load_encoder(tmp_path)  # a directory that holds no model


# --- the shipped default encoder ------------------------------------------------------------------------
def test_shipped_encoder_is_small_and_loads_offline():
    path = Path(DEFAULT_ENCODER)
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    assert size < 20 * 1024 * 1024
    model = load_encoder(path)
    assert model.encode(["劳动合同"]).shape == (1, model[0].embedding.embedding_dim)
    assert "## Dev numbers" in (path / "README.md").read_text(encoding="utf-8")


QUERIES = {  # plain-language questions (ours) -> the tiny-corpus article that answers them
    "公司单方面解除劳动合同要给员工多少经济补偿？": ("中华人民共和国劳动合同法", 47),
    "楼上住户窗户里扔出来的东西砸伤了路人，找不到是谁扔的怎么办？": ("中华人民共和国民法典", 1254),
    "借钱给朋友没写利息，后来能要利息吗？": ("中华人民共和国民法典", 680),
}


def test_shipped_encoder_finds_the_right_article(tiny_corpus, tmp_path):
    """Dense retrieval alone (what the shipped encoder adds to the index) over the tiny corpus."""
    from lawglm.search.index import build_index
    from lawglm.search.retrieval import Params, Retriever

    build_index(tiny_corpus, tmp_path / "idx", str(DEFAULT_ENCODER), progress=False)
    dense = Retriever.load(tmp_path / "idx", Params(mode="dense"))
    for question, gold in QUERIES.items():
        assert gold in {(h.article.law, h.article.article_no) for h in dense.search(question, 3)}, question


# --- initialisation from the backbone (assembles the Gemma GGUF: slow) ------------------------------------
@pytest.mark.slow
def test_gemma_init_is_the_mean_of_backbone_token_vectors(tmp_path):
    pieces = [enc.UNK, "劳动", "合同", "劳动合同", "法院", "判决"]
    _, gtok = enc._gemma_files(tmp_path)
    ids = {p: gtok.encode(p, add_special_tokens=False).ids for p in pieces[1:4]}
    if not (len(ids["劳动"]) == len(ids["合同"]) == 1 and ids["劳动合同"] == ids["劳动"] + ids["合同"]):
        pytest.skip("the backbone tokenizer does not split 劳动合同 into 劳动 + 合同")
    w = enc.gemma_init(pieces, dim=16, cache=tmp_path)
    assert w.shape == (6, 16) and np.isfinite(w).all() and not w[0].any()
    np.testing.assert_allclose(w[3], (w[1] + w[2]) / 2, atol=1e-4)  # PCA is affine: means survive


def test_cli_help_defaults_match_the_config():
    import re

    from lawglm.cli.train import encoder_train

    cfg = enc.EncoderConfig()
    shown = {p.name: re.search(r"\[default: ([^\]]+)\]", p.help or "") for p in encoder_train.params}
    checked = {k: m.group(1) for k, m in shown.items() if m}
    assert len(checked) >= 8
    for name, value in checked.items():
        assert str(getattr(cfg, name)) == value, name


# --- BM25-mined hard negatives ------------------------------------------------------------------------
def test_hard_negatives_are_bm25_neighbours_that_are_not_gold(tiny_corpus, tiny_articles, tmp_path):
    arts = tiny_corpus.current()
    pairs = enc.read_question_pairs(_questions(tiny_articles, tmp_path / "q.jsonl"), tiny_corpus)
    hard = enc.mine_hard_negatives(pairs, arts, depth=5)
    docs = {article_document(a): a.key for a in arts}
    assert len(hard) == len({p.anchor for p in pairs})
    for p in pairs:
        mined = hard[p.anchor]
        assert 0 < len(mined) <= 5 and all(docs[d] != p.key for d in mined)
        assert article_document(next(a for a in arts if a.key == p.key)) not in mined


def test_the_card_states_the_hard_negatives(trained):
    d, _, info = trained
    card = (d / "model" / "README.md").read_text(encoding="utf-8")
    assert (
        info["config"]["hard_negatives"] == 4
        and "4 of the" in card
        and "BM25 ranks in the question's top 30" in card
    )
