"""Index build/load: layout and manifest, reuse of vectors, versions + atomic CURRENT, damage detection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lawglm.errors import IndexCorrupt, IndexMissing, ModelError
from lawglm.search import index as ix
from lawglm.search.encoder import encode, load_encoder
from lawglm.search.text import article_document
from lawglm.statutes.corpus import Corpus


@pytest.fixture(scope="module")
def mixed_corpus(corpus, tiny_articles):
    """The tiny articles plus a few historical and repealed articles selected from laws.db."""
    hist = [a for a in corpus.articles if a.status == "历史版本"][:3]
    repealed = corpus.law_articles("中华人民共和国农村土地承包法")[:3]
    assert len(hist) == 3 and all(a.status == "已废止" for a in repealed)
    return Corpus(tiny_articles + hist + repealed, source="mixed")


@pytest.fixture
def index_copy(tiny_index, tmp_path) -> Path:
    dest = tmp_path / "index"
    shutil.copytree(tiny_index, dest)
    return dest


def test_build_writes_a_complete_version_and_points_current_at_it(tiny_index, tiny_corpus):
    version = ix.current_version(tiny_index)
    vdir = tiny_index / "versions" / version
    for name in ("manifest.json", "articles.jsonl", "bm25", "dense.faiss", "embeddings.npy", "encoder"):
        assert (vdir / name).exists(), name
    m = json.loads((vdir / "manifest.json").read_text(encoding="utf-8"))
    assert m["version"] == version and m["tokenizer"] and m["built_at"] and m["lawglm_version"]
    assert m["corpus"]["articles"] == len(tiny_corpus) and m["corpus"]["laws"] == len(tiny_corpus.laws())
    assert m["corpus"]["sha256"] == tiny_corpus.sha256
    assert m["encoder"]["dim"] == 32 and m["faiss"]["type"] == "flat"
    assert set(m["law_hashes"]) == set(tiny_corpus.laws())
    assert m["source_info"] == {"fixture": "tiny_index"}


def test_loaded_index_rows_match_articles_and_encoder(tiny_index, tiny_corpus):
    loaded = ix.load_index(tiny_index)
    assert [a.key for a in loaded.corpus.articles] == [a.key for a in tiny_corpus.articles]
    assert loaded.embeddings.dtype == np.float32 and loaded.faiss.ntotal == len(tiny_corpus)
    row = 5
    vec = encode(loaded.encoder(), [article_document(loaded.corpus.articles[row])])
    assert np.allclose(loaded.embeddings[row], vec[0], atol=1e-5)
    _, ids = loaded.faiss.search(vec, 1)
    assert ids[0][0] == row


def test_snapshot_keeps_every_status_and_sub_numbers(tmp_path, mixed_corpus, corpus):
    sub = next(a for a in corpus.articles if a.sub_no and a.is_current)
    c = Corpus(mixed_corpus.articles + [sub], source="mixed+sub")
    ix.build_index(c, tmp_path / "idx", None, progress=False)
    loaded = ix.load_index(tmp_path / "idx")
    assert loaded.corpus.articles == [
        a.__class__(**{**a.__dict__, "source": loaded.corpus.articles[i].source})
        for i, a in enumerate(c.articles)
    ]
    assert {a.status for a in loaded.corpus.articles} >= {"历史版本", "已废止"}
    assert loaded.corpus.get(sub.law, sub.article_no, sub.sub_no).text == sub.text
    assert not loaded.dense and loaded.manifest["encoder"] is None


def test_reuse_embeds_only_articles_without_a_vector(tmp_path, tiny_corpus, tiny_encoder):
    marker = np.zeros(32, dtype=np.float32)
    marker[0] = 1.0
    keys = [a.key for a in tiny_corpus.articles]
    reuse = {k: marker for k in keys[1:]}
    m = ix.build_index(tiny_corpus, tmp_path / "idx", tiny_encoder, progress=False, reuse=reuse)
    assert m["embedded"] == 1
    loaded = ix.load_index(tmp_path / "idx")
    assert np.array_equal(loaded.embeddings[3], marker)
    assert not np.array_equal(loaded.embeddings[0], marker)
    assert loaded.embeddings.shape[0] == len(keys)


def test_versions_switch_atomically_and_prune_to_three(tmp_path, tiny_articles):
    d = tmp_path / "idx"
    built = []
    for i in range(4):
        built.append(ix.build_index(Corpus(tiny_articles[: 5 + i]), d, None, progress=False)["version"])
    assert ix.current_version(d) == built[-1]
    assert ix.list_versions(d) == built[1:]
    ix.set_current(d, built[1])
    assert len(ix.load_index(d).corpus) == 6
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(IndexMissing, match="no index version"):
        ix.set_current(d, "nope")
    assert ix.current_version(d) == built[1]
    ix.build_index(Corpus(tiny_articles[:3]), d, None, progress=False)
    assert built[1] in ix.list_versions(d)  # the version serving before this build is kept


def test_pruning_keeps_the_recently_served_not_the_recently_built(tmp_path, tiny_articles):
    """Pruning after a rollback: build v2, roll back to v1, build v3 and v4 — v1 (served before v3) must
    stay; the rolled-back-from v2 goes first."""
    from lawglm.search.updates import rollback

    d = tmp_path / "idx"
    v1 = ix.build_index(Corpus(tiny_articles[:5]), d, None, progress=False)["version"]
    v2 = ix.build_index(Corpus(tiny_articles[:6]), d, None, progress=False)["version"]
    assert rollback(d) == v1 and ix.current_version(d) == v1
    v3 = ix.build_index(Corpus(tiny_articles[:7]), d, None, progress=False)["version"]
    v4 = ix.build_index(Corpus(tiny_articles[:8]), d, None, progress=False)["version"]
    assert ix.list_versions(d) == sorted([v1, v3, v4]) and v2 not in ix.list_versions(d)
    assert ix.served_order(d) == [v2, v1, v3, v4]
    ix.set_current(d, v1)  # serving v1 again: v4 (served before it) and v1 are both spared
    ix.build_index(Corpus(tiny_articles[:9]), d, None, progress=False)
    assert v1 in ix.list_versions(d) and v3 not in ix.list_versions(d)


def test_failed_build_leaves_old_current_and_no_temp_dir(index_copy, tiny_corpus, monkeypatch):
    before = ix.current_version(index_copy)
    with pytest.raises(ModelError, match="encoder not found"):
        ix.build_index(tiny_corpus, index_copy, str(index_copy / "no-such-encoder"), progress=False)

    def broken(path):
        raise IndexCorrupt("validation failed: simulated")

    monkeypatch.setattr(ix, "validate", broken)
    with pytest.raises(IndexCorrupt, match="simulated"):
        ix.build_index(tiny_corpus, index_copy, None, progress=False)
    assert ix.current_version(index_copy) == before
    assert ix.list_versions(index_copy) == [before]
    assert not list((index_copy / "versions").glob(".tmp-*"))
    assert len(ix.load_index(index_copy).corpus) == len(tiny_corpus)


def test_stale_temp_dir_of_a_dead_build_is_cleaned(index_copy, tiny_corpus):
    stale = index_copy / "versions" / ".tmp-20000101T000000-deadbeef-999999999"
    stale.mkdir()
    (stale / "articles.jsonl").write_text("half", encoding="utf-8")
    assert ix.list_versions(index_copy) == [ix.current_version(index_copy)]  # never listed as a version
    ix.build_index(tiny_corpus, index_copy, None, progress=False)
    assert not stale.exists()


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexMissing, match="lawglm index build"):
        ix.load_index(tmp_path / "nothing")
    assert ix.current_version(tmp_path) is None and ix.list_versions(tmp_path) == []
    with pytest.raises(IndexMissing):
        ix.stats(tmp_path)


@pytest.mark.parametrize("damage, message", [
    (lambda v: (v / "articles.jsonl").write_text((v / "articles.jsonl").read_text(encoding="utf-8")[:-300],
                                                   encoding="utf-8"), "snapshot|articles"),
    (lambda v: (v / "embeddings.npy").unlink(), "dense index"),
    (lambda v: np.save(v / "embeddings.npy", np.zeros((3, 32), dtype=np.float32)), "shape mismatch"),
    (lambda v: (v / "manifest.json").write_text("{not json", encoding="utf-8"), "not valid JSON"),
    (lambda v: shutil.rmtree(v / "bm25"), "BM25"),
    (lambda v: shutil.rmtree(v), "points at version"),
])
def test_damaged_index_is_reported_as_corrupt(index_copy, damage, message):
    damage(index_copy / "versions" / ix.current_version(index_copy))
    with pytest.raises(IndexCorrupt, match=message):
        ix.load_index(index_copy)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_index_types(tmp_path, tiny_corpus, tiny_encoder, kind):
    m = ix.build_index(tiny_corpus, tmp_path / "idx", tiny_encoder, progress=False, index_type=kind)
    assert m["faiss"]["type"] == ("flat" if kind == "ivf" else kind)  # ivf needs >= 1000 vectors
    vecs = np.random.default_rng(0).standard_normal((1200, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index, built = ix.make_faiss(vecs, kind)
    assert built == kind
    _, ids = index.search(vecs[:20], 1)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.9
    with pytest.raises(ValueError, match="unknown index type"):
        ix.build_index(tiny_corpus, tmp_path / "idx", None, index_type="lsh")


def test_stats(tiny_index, tiny_corpus):
    s = ix.stats(tiny_index)
    assert s["version"] == ix.current_version(tiny_index) and s["articles"] == len(tiny_corpus)
    assert s["dim"] == 32 and s["size_bytes"] > 0 and s["versions"] == [s["version"]]


def test_progress_callback_reports_stages(tmp_path, tiny_corpus):
    seen = []
    ix.build_index(tiny_corpus, tmp_path / "idx", None, progress=False,
                   progress_callback=lambda done, total, stage: seen.append((done, total, stage)))
    stages = ["snapshot", "links", "bm25", "dense", "manifest", "validate", "switch", "done"]
    assert [stage for _, _, stage in seen] == stages
    assert [done for done, _, _ in seen] == list(range(8)) and {total for _, total, _ in seen} == {7}


def test_the_character_bm25_field_is_built_and_matches_bm25s(tiny_index, tiny_corpus):
    import bm25s

    from lawglm.search.text import char_tokens

    loaded = ix.load_index(tiny_index)
    assert (loaded.path / "chars").is_dir() and loaded.chars is not None
    ref = bm25s.BM25()  # bm25s' own indexing, defaults k1=1.5, b=0.75: the field must score the same
    ref.index([char_tokens(article_document(a)) for a in loaded.corpus.articles], show_progress=False)
    q = "借款合同的利息"
    ours = loaded.chars.get_scores([loaded.chars.vocab_dict[t] for t in char_tokens(q)])
    theirs = ref.get_scores([ref.vocab_dict[t] for t in char_tokens(q)])
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_an_index_without_the_character_field_still_serves(index_copy):
    from lawglm.search.retrieval import Retriever

    shutil.rmtree(ix.current_path(index_copy) / "chars")
    loaded = ix.load_index(index_copy)
    assert loaded.chars is None
    assert Retriever.load(index_copy).search("正当防卫", 3)


def test_ivf_trains_on_a_seeded_sample():
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((5000, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    sample = ix.train_sample(vecs, 1000)
    assert sample.shape == (1000, 16) and np.array_equal(sample, ix.train_sample(vecs, 1000))
    assert ix.train_sample(vecs, 10_000) is vecs
    index, built = ix.make_faiss(vecs, "ivf")
    assert built == "ivf" and index.ntotal == 5000 and index.nprobe == min(index.nlist, ix.IVF_NPROBE)
    _, ids = index.search(vecs[:20], 1)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.9


def test_a_static_query_is_encoded_like_sentence_transformers(tiny_index):
    from lawglm.search.encoder import StaticEncoder

    loaded = ix.load_index(tiny_index)
    model = loaded.encoder()  # read with numpy + tokenizers, no torch
    full = load_encoder(loaded.manifest["encoder"]["path"])
    assert isinstance(model, StaticEncoder) and ix.embedding_dim(model) == ix.embedding_dim(full) == 32
    texts = ["高空抛物砸伤人谁负责", "zzz", "借款"]
    for batch in (texts, texts * 5):  # a query batch, and a batch sentence-transformers encodes with torch
        fast = encode(model, batch)
        slow = full.encode(batch, convert_to_numpy=True, normalize_embeddings=True)
        np.testing.assert_allclose(fast, slow, atol=1e-6)
    assert np.array_equal(encode(model, texts), encode(full, texts))  # the query path: same numbers


def test_the_shipped_model2vec_style_encoder_reads_without_torch_to_the_same_table():
    """lawglm/data/encoder stores float16 `embeddings` and per-token `weights` (model2vec layout): the numpy
    reader folds them exactly as sentence-transformers' StaticEmbedding.load does."""
    from lawglm.search.encoder import load_static
    from lawglm.settings import DEFAULT_ENCODER

    static, full = load_static(DEFAULT_ENCODER), load_encoder(DEFAULT_ENCODER)
    assert np.array_equal(static.table, full[0].embedding.weight.detach().numpy().astype(np.float32))
    texts = ["同事借我钱不还怎么办", "高空抛物砸伤人谁负责", "劳动合同解除的经济补偿"]
    assert np.array_equal(encode(static, texts), encode(full, texts))


def test_a_model_that_is_not_static_is_not_read_as_one(tmp_path, tiny_encoder):
    import json
    import shutil

    from lawglm.search.encoder import load_static

    d = tmp_path / "enc"
    shutil.copytree(tiny_encoder, d)
    modules = json.loads((d / "modules.json").read_text())
    modules.append(
        {"idx": len(modules), "name": "x", "path": "x", "type": "sentence_transformers.models.Dense"}
    )
    (d / "modules.json").write_text(json.dumps(modules))
    assert load_static(d) is None and load_static(tmp_path / "missing") is None
