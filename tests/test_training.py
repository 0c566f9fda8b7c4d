"""lawglm.train.sft / sft_data / sft_encode: formats, loss masks, bad data, and real tiny-model training."""

from __future__ import annotations

import json

import pytest

from lawglm.errors import DataError
from lawglm.train.sft_data import Columns, Turn, load_examples
from lawglm.train.sft_encode import IGNORE, encode_turns, truncate, with_citations


def write_jsonl(path, rows) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n"
                            for r in rows), encoding="utf-8")
    return str(path)


# --- formats ------------------------------------------------------------------------------
def test_sft_format_parses_question_answer_gold(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"question": "问一", "answer": "答一",
                                            "gold": [{"law": "中华人民共和国民法典", "article_no": 54}]}])
    [ex] = load_examples(f)
    assert ex.question == "问一" and ex.answer == "答一" and ex.gold[0]["article_no"] == 54
    assert [(t.role, t.loss) for t in ex.turns] == [("user", False), ("assistant", True)]


def test_prompt_format_with_custom_columns_and_history(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [{"content": "类型#裙", "summary": "一条裙子",
                                            "hist": [["早", "早上好"]]}])
    [ex] = load_examples(f, columns=Columns("content", "summary", "hist"))
    assert ex.question == "类型#裙" and ex.answer == "一条裙子"
    assert ex.history == [("早", "早上好")]
    assert [t.loss for t in ex.turns] == [False, False, False, True]  # history is context, not trained


def test_conversations_format_roles_and_loss_flags(tmp_path):
    conv = [{"role": "system", "content": "S"}, {"role": "user", "content": "U1", "loss": True},
            {"role": "assistant", "content": "A1", "loss": False}, {"role": "observation", "content": "T"},
            {"role": "assistant", "content": "A2"}]
    f = write_jsonl(tmp_path / "d.jsonl", [{"conversations": conv, "tools": [{"name": "lookup"}]}])
    [ex] = load_examples(f)
    assert [(t.role, t.loss) for t in ex.turns] == [("system", False), ("user", True), ("assistant", False),
                                                    ("tool", False), ("assistant", True)]
    assert ex.tools == [{"name": "lookup"}]


@pytest.mark.parametrize(
    "rows, needle",
    [
        (
            ['{"question": "q", "answer": "a"}', '{"question": "q", "answer": "a"}', "{not json"],
            ":3: invalid JSON",
        ),
        ([{"question": "q", "answer": "a"}, {"question": "q"}], ":2: missing field 'answer'"),
        ([{"question": "q", "answer": 5}], ":1: field 'answer' must be a string"),
        ([{"conversations": [{"role": "judge", "content": "x"}]}], "unknown role 'judge'"),
        ([{"conversations": [{"role": "user", "content": "x"}]}], "no turn is trained"),
        ([{"question": "q", "answer": "a", "gold": [{"law": "民法典"}]}], "field 'gold'"),
        ([[1, 2]], ":1: expected a JSON object"),
        ([{"foo": 1}], "cannot tell the format"),
    ],
)
def test_bad_data_names_file_and_line(tmp_path, rows, needle):
    f = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DataError) as err:
        load_examples(f)
    assert needle in str(err.value) and "bad.jsonl" in str(err.value)


def test_empty_file_and_blank_records(tmp_path, caplog):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty data file"):
        load_examples(str(empty))
    f = write_jsonl(
        tmp_path / "d.jsonl", [{"question": "q", "answer": " "}, {"question": "q2", "answer": "a2"}]
    )
    exs = load_examples(f)
    assert [e.question for e in exs] == ["q2"] and "lines 1" in caplog.text


def test_cli_train_rejects_bad_data_before_loading_a_model(tmp_path, capsys):
    from lawglm.cli import main

    f = write_jsonl(tmp_path / "bad.jsonl", [{"question": "q", "answer": "a"}, "[oops"])
    with pytest.raises(SystemExit) as code:
        main(
            ["train", "--data", f, "--out", str(tmp_path / "out"), "--model", str(tmp_path / "no-such-model")]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert code.value.code == 1 and len(err) == 1 and "bad.jsonl:2: invalid JSON" in err[0]
    assert not (tmp_path / "out").exists()


# --- encoding: loss masks and truncation ---------------------------------------------------
@pytest.fixture(scope="module")
def tiny_tok(tiny_tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_tokenizer_dir)


def _trained_text(tok, enc) -> str:
    return tok.decode([t for t in enc.labels if t != IGNORE], skip_special_tokens=True)


def test_loss_mask_follows_roles(tiny_tok):
    turns = [
        Turn("system", "系统说明", False),
        Turn("user", "第一问", False),
        Turn("assistant", "不训练的答", False),
        Turn("user", "第二问", True),
        Turn("assistant", "要训练的答", True),
    ]
    enc = encode_turns(tiny_tok, turns, 1000, 1000)
    assert len(enc.labels) == len(enc.input_ids)
    trained = _trained_text(tiny_tok, enc)
    assert "第二问" in trained and "要训练的答" in trained
    assert "系统说明" not in trained and "第一问" not in trained and "不训练的答" not in trained
    assert enc.labels[-1] == tiny_tok.eos_token_id  # the model learns to stop
    assert all(l in (IGNORE, i) for l, i in zip(enc.labels, enc.input_ids))


def test_truncation_keeps_prompt_ends_and_cuts_target():
    ids, labels = list(range(20)), [IGNORE] * 12 + list(range(12, 20))
    enc = truncate(ids, labels, max_source=5, max_target=3)
    assert enc.truncated_source and enc.truncated_target
    assert enc.input_ids == [0, 8, 9, 10, 11, 12, 13, 14] and enc.labels[-3:] == [12, 13, 14]
    assert not truncate(ids, labels, 12, 8).truncated_source


def test_gold_citation_is_appended_only_when_missing(tiny_corpus):
    from lawglm.records import Hit

    a = tiny_corpus.get("中华人民共和国民法典", 54)
    hits = [Hit(a, 0.0, ["gold"])]
    out = with_citations("有经营能力的公民可以登记。", hits, tiny_corpus)
    assert out.endswith("法律依据：《中华人民共和国民法典》第五十四条。")
    cited = "依据《中华人民共和国民法典》第五十四条，可以登记。"
    assert with_citations(cited, hits, tiny_corpus) == cited


# --- real training on tiny models ----------------------------------------------------------
TOY = [
    {"prompt": "个体工商户", "response": "自然人从事工商业经营"},
    {"prompt": "农民专业合作社", "response": "互助性经济组织"},
]


def _cfg(tmp_path, model_dir, method, **kw):
    from lawglm.train.sft import TrainConfig

    data = write_jsonl(tmp_path / "toy.jsonl", TOY)
    base = {"data": data, "out": str(tmp_path / f"out-{method}"), "method": method, "model": str(model_dir),
            "gold_in_context": False, "cite_gold": False, "batch_size": 2, "grad_accum": 1, "max_steps": 8,
            "warmup_steps": 0, "save_steps": 4, "device": "cpu", "progress": False, "eval_data": data,
            "lr": 3e-2 if method == "lora" else 1e-1, "pre_seq_len": 4, "lora_rank": 4, "lora_alpha": 8,
            "lora_dropout": 0.0}
    return TrainConfig(**{**base, **kw})


def _base_logits(model_dir, text="个体工商户"):
    import torch

    from lawglm.models.backbone import load_backbone

    model, tok = load_backbone(str(model_dir), device="cpu", progress=False)
    with torch.no_grad():
        return model, tok, model(**tok(text, return_tensors="pt")).logits


@pytest.mark.parametrize("method, fixture", [("lora", "tiny_gemma_dir"), ("ptuning", "tiny_gemma_dir"),
                                             ("lora", "tiny_glm_dir"), ("ptuning", "tiny_glm_dir")])
def test_training_reduces_loss_saves_and_reloads(tmp_path, request, method, fixture):
    import torch

    from lawglm.models.adapters import attach_adapters, read_adapter_meta
    from lawglm.train.sft import train

    model_dir = request.getfixturevalue(fixture)
    meta = train(_cfg(tmp_path, model_dir, method), echo=lambda m: None)
    m = meta["metrics"]
    assert m["steps"] == 8 and m["train_loss_last5"] < m["train_loss_first5"]
    out = tmp_path / f"out-{method}"
    saved = read_adapter_meta(out)
    assert saved["method"] == method and saved["architecture"] in ("Gemma3ForCausalLM", "GlmForCausalLM")
    assert saved["num_layers"] == 2 and saved["data"]["rows"] == 2
    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == list(range(1, 9)) and any("eval_loss" in r for r in log)
    base, tok, before = _base_logits(model_dir)
    state = {k: v.clone() for k, v in base.state_dict().items()}
    adapters = attach_adapters(base, {"legal": out})
    tuned = adapters.prefixes.get("legal") or adapters.model
    with torch.no_grad():
        after = tuned(**tok("个体工商户", return_tensors="pt")).logits
    assert not torch.allclose(before, after, atol=1e-4)  # the adapter changes outputs
    with tuned.disable_adapter(), torch.no_grad():
        assert torch.allclose(before, tuned(**tok("个体工商户", return_tensors="pt")).logits, atol=1e-5)
    now = {k.replace(".base_layer.", "."): v for k, v in tuned.get_base_model().state_dict().items()
           if "lora_" not in k}  # LoRA wraps a layer's weight as <layer>.base_layer.weight
    assert set(now) == set(state) and all(torch.equal(v, now[k]) for k, v in state.items())  # base untouched


def test_resume_continues_from_the_last_checkpoint(tmp_path, tiny_gemma_dir):
    from lawglm.train.sft import train

    train(
        _cfg(tmp_path, tiny_gemma_dir, "lora", max_steps=4, save_steps=2, eval_data=None), echo=lambda m: None
    )
    meta = train(
        _cfg(tmp_path, tiny_gemma_dir, "lora", max_steps=6, save_steps=2, eval_data=None, resume=True),
        echo=lambda m: None,
    )
    log = [json.loads(x) for x in (tmp_path / "out-lora" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6] and meta["metrics"]["steps"] == 6
    assert [p.name for p in (tmp_path / "out-lora" / "checkpoints").iterdir()] == ["step-6"]


def test_conversation_examples_keep_their_turns_and_loss_flags(tmp_path, tiny_tok):
    import random

    from lawglm.train.sft import TrainConfig
    from lawglm.train.sft_encode import encode_turns, example_turns

    conv = [{"role": "user", "content": "第一问", "loss": True}, {"role": "assistant", "content": "第一答"},
            {"role": "user", "content": "第二问"}, {"role": "assistant", "content": "第二答", "loss": False}]
    [ex] = load_examples(write_jsonl(tmp_path / "c.jsonl", [{"conversations": conv}]))
    cfg = TrainConfig(data="", out="", gold_in_context=False, cite_gold=False)
    turns = example_turns(ex, tiny_tok, cfg, None, None, random.Random(0))
    assert [(t.content, t.loss) for t in turns] == [("第一问", True), ("第一答", True), ("第二问", False),
                                                    ("第二答", False)]
    trained = _trained_text(tiny_tok, encode_turns(tiny_tok, turns, 1000, 1000))
    assert "第一问" in trained and "第一答" in trained and "第二答" not in trained


@pytest.mark.parametrize("fixture", ["tiny_gemma_dir", "tiny_glm_dir"])
def test_prefix_starts_as_the_backbones_own_keys_and_values(request, fixture, monkeypatch):
    """P-tuning init: a prefix of n virtual tokens behaves exactly like n real tokens of the init text
    (read through the KV cache's current name: no `past_key_values` deprecation warning)."""
    import torch
    import transformers.utils.generic as hf_generic

    from lawglm.models.backbone import load_backbone

    said = []
    monkeypatch.setattr(hf_generic.logger, "warning_once", lambda msg, *a, **k: said.append(str(msg)))
    from lawglm.train.sft import TrainConfig, prefix_init_text, wrap_model

    model, tok = load_backbone(str(request.getfixturevalue(fixture)), device="cpu", progress=False)
    x = tok("自然人从事工商业经营", add_special_tokens=False, return_tensors="pt")["input_ids"]
    prefix_ids = tok(prefix_init_text())["input_ids"][:6]
    with torch.no_grad():
        real = model(input_ids=torch.cat([torch.tensor([prefix_ids]), x], dim=1)).logits[:, 6:]
    peft_model = wrap_model(model, TrainConfig(data="", out="", method="ptuning", pre_seq_len=6), tok)
    with torch.no_grad():
        virtual = peft_model(input_ids=x, attention_mask=torch.ones_like(x)).logits
    assert torch.allclose(real, virtual, atol=1e-4)
    assert not [m for m in said if "past_key_values" in m]
