"""PEFT adapters: several on one base, chosen per request (unmerged), and precise start-up checks."""

from __future__ import annotations

import json
import shutil

import pytest

from lawglm.errors import AdapterError
from lawglm.models.adapters import (
    attach_adapters,
    backbone_signature,
    check_adapter,
    list_adapters,
    read_adapter_meta,
)
from lawglm.models.backbone import load_backbone
from lawglm.models.generation import LocalGenerator

MSGS = [{"role": "user", "content": "借款合同的利息怎么约定？"}]


def make_adapter(base_dir, out, method: str, **cfg):
    """Train nothing: a freshly initialised PEFT adapter saved the way `lawglm train` saves one."""
    import torch
    from peft import LoraConfig, PrefixTuningConfig, get_peft_model

    model, _ = load_backbone(str(base_dir), device="cpu", progress=False)
    torch.manual_seed(1)
    if method == "lora":
        config = LoraConfig(task_type="CAUSAL_LM", r=4, target_modules=["q_proj", "v_proj"],
                            init_lora_weights=False, **cfg)
    else:
        config = PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=cfg.pop("n", 4), **cfg)
    peft_model = get_peft_model(model, config)
    peft_model.save_pretrained(out)
    meta = {**backbone_signature(model), "method": method, "train_config": {"steps": 0}, "metrics": {}}
    (out / "lawglm.json").write_text(json.dumps(meta))
    return out


@pytest.fixture(scope="module")
def adapters_dir(tmp_path_factory, tiny_gemma_dir):
    root = tmp_path_factory.mktemp("adapters")
    make_adapter(tiny_gemma_dir, root / "legal-lora", "lora")
    make_adapter(tiny_gemma_dir, root / "legal-prefix", "prefix")
    return root


@pytest.fixture()
def base(tiny_gemma_dir):
    return load_backbone(str(tiny_gemma_dir), device="cpu", progress=False)


def greedy(gen, adapter):
    gen.end_ids = set()
    return "".join(
        gen.stream(MSGS, max_new_tokens=10, temperature=0, repetition_penalty=1.0, adapter=adapter)
    )


def test_several_adapters_on_one_base_chosen_per_request(base, adapters_dir):
    model, tok = base
    found = {a["name"]: a["method"] for a in list_adapters(adapters_dir)}
    assert found == {"legal-lora": "lora", "legal-prefix": "prefix_tuning"}
    plain = greedy(LocalGenerator(model, tok), None)
    aset = attach_adapters(model, {a: adapters_dir / a for a in found})
    assert [i["method"] for i in aset.infos] == ["lora", "prefix"]
    gen = LocalGenerator(aset.model, tok, adapters=aset, default_adapter="legal-lora")
    assert sorted(gen.adapters) == ["legal-lora", "legal-prefix"]
    lora, prefix, none = greedy(gen, None), greedy(gen, "legal-prefix"), greedy(gen, "none")
    assert none == plain and lora != plain and prefix != plain  # unmerged: the base is untouched
    assert greedy(gen, "legal-lora") == lora and greedy(gen, "none") == plain
    assert not any(getattr(m, "merged", False) for m in aset.model.modules())


def test_prefix_decode_matches_peft_generate(base, adapters_dir):
    import torch
    from peft import PeftModel

    model, tok = base
    peft_model = PeftModel.from_pretrained(model, adapters_dir / "legal-prefix", adapter_name="law")
    gen = LocalGenerator(peft_model, tok, default_adapter="law")
    ids = gen.encode(MSGS)
    # reference: PEFT's own forward over the whole sequence at every step (no KV cache of ours);
    # peft's generate() is not used because transformers >= 5.24 drops its prefix cache there
    new: list[int] = []
    with torch.inference_mode():
        for _ in range(8):
            logits = peft_model(input_ids=torch.tensor([ids + new])).logits[0, -1]
            new.append(int(logits.argmax()))
    gen.end_ids = set()
    ours = "".join(gen.stream(MSGS, max_new_tokens=8, temperature=0, repetition_penalty=1.0))
    assert ours == tok.decode(new, skip_special_tokens=True)


def test_unknown_adapter_per_request(base, adapters_dir):
    model, tok = base
    aset = attach_adapters(model, {"legal-lora": adapters_dir / "legal-lora"})
    gen = LocalGenerator(aset.model, tok, adapters=aset)
    with pytest.raises(AdapterError, match="unknown adapter 'other'"):
        list(gen.stream(MSGS, max_new_tokens=2, adapter="other"))
    with pytest.raises(AdapterError, match="unknown adapter"):
        LocalGenerator(aset.model, tok, adapters=aset, default_adapter="legal-prefix")


def test_missing_dir_and_missing_config(base, tmp_path):
    model, _ = base
    with pytest.raises(AdapterError, match="does not exist"):
        check_adapter("x", tmp_path / "x", model)
    (tmp_path / "y").mkdir()
    with pytest.raises(AdapterError, match="no adapter_config.json"):
        check_adapter("y", tmp_path / "y", model)


def test_missing_weights(base, adapters_dir, tmp_path):
    model, _ = base
    broken = tmp_path / "w"
    shutil.copytree(adapters_dir / "legal-lora", broken)
    (broken / "adapter_model.safetensors").unlink()
    with pytest.raises(AdapterError, match="no adapter weights"):
        check_adapter("w", broken, model)


def test_adapter_for_another_backbone(tiny_glm_dir, adapters_dir, tmp_path):
    glm, _ = load_backbone(str(tiny_glm_dir), device="cpu", progress=False)
    with pytest.raises(AdapterError, match="different backbone.*architecture: adapter 'Gemma3ForCausalLM'"):
        check_adapter("legal-lora", adapters_dir / "legal-lora", glm)
    other = make_adapter(tiny_glm_dir, tmp_path / "glm-lora", "lora")
    (other / "lawglm.json").write_text(json.dumps({**read_adapter_meta(other), "num_layers": 24}))
    with pytest.raises(AdapterError, match="num_layers: adapter 24 != backbone 2"):
        check_adapter("glm-lora", other, glm)


def test_lora_targets_missing_from_backbone(base, adapters_dir, tmp_path):
    model, _ = base
    other = tmp_path / "odd"
    shutil.copytree(adapters_dir / "legal-lora", other)
    (other / "lawglm.json").unlink()  # trained elsewhere: no metadata, the modules still have to exist
    cfg = json.loads((other / "adapter_config.json").read_text())
    (other / "adapter_config.json").write_text(json.dumps({**cfg, "target_modules": ["query_key_value"]}))
    with pytest.raises(AdapterError, match="target modules"):
        check_adapter("odd", other, model)


@pytest.mark.parametrize("field, value, words", [
    ("num_virtual_tokens", 7, r"saved prefix tensor has shape \[4, .*expected \[7, "),
    ("num_layers", 5, "num_layers: adapter 5 != backbone 2"),
    ("token_dim", 48, "token_dim: adapter 48"),
])
def test_prefix_shape_mismatch(base, adapters_dir, tmp_path, field, value, words):
    model, _ = base
    bad = tmp_path / "p"
    shutil.copytree(adapters_dir / "legal-prefix", bad)
    cfg = json.loads((bad / "adapter_config.json").read_text())
    (bad / "adapter_config.json").write_text(json.dumps({**cfg, field: value}))
    with pytest.raises(AdapterError, match=words):
        check_adapter("p", bad, model)


def test_bad_metadata(adapters_dir, tmp_path):
    bad = tmp_path / "m"
    shutil.copytree(adapters_dir / "legal-lora", bad)
    (bad / "lawglm.json").write_text("{not json")
    with pytest.raises(AdapterError, match="not valid JSON"):
        read_adapter_meta(bad)
    assert read_adapter_meta(adapters_dir / "legal-prefix")["method"] == "prefix"


def test_lora_adapters_on_an_int8_backbone(base, adapters_dir):
    from lawglm.models.backbone import quantize_int8_cpu

    model, tok = base
    aset = attach_adapters(model, {"legal-lora": adapters_dir / "legal-lora"})
    aset.model = quantize_int8_cpu(aset.model)
    lora_modules = [n for n, m in aset.model.named_modules() if n.endswith("lora_A.legal-lora")]
    assert lora_modules and all(type(aset.model.get_submodule(n)).__name__ == "Linear" for n in lora_modules)
    assert (
        "quantized"
        in type(aset.model.get_submodule(lora_modules[0].rsplit(".lora_A", 1)[0] + ".base_layer")).__module__
    )
    gen = LocalGenerator(aset.model, tok, adapters=aset, default_adapter="legal-lora", int8_head=True)
    assert greedy(gen, None) != greedy(gen, "none")


def test_scanned_adapters_that_do_not_fit_are_skipped(tiny_gemma_dir, tiny_glm_dir, adapters_dir, tmp_path,
                                                      capsys):
    from lawglm.models.generation import load_generator
    from lawglm.settings import get_settings

    root = tmp_path / "adapters"
    shutil.copytree(adapters_dir / "legal-lora", root / "legal-lora")
    make_adapter(tiny_glm_dir, root / "glm-lora", "lora")
    (root / "broken").mkdir()
    (root / "broken" / "adapter_config.json").write_text("{oops")
    s = get_settings(model=str(tiny_gemma_dir), device="cpu", adapters_dir=root, quantize=0)
    gen = load_generator(s, adapter="legal-lora", progress=False)
    assert gen.adapters == ["legal-lora"] and gen.default_adapter == "legal-lora"
    err = capsys.readouterr().err
    assert "skipping adapter glm-lora" in err and "skipping adapter broken" in err
    with pytest.raises(AdapterError, match="glm-lora was trained on a different backbone"):
        load_generator(s, adapter="glm-lora", progress=False)
    with pytest.raises(AdapterError, match="does not exist"):
        load_generator(s, adapter="nope", progress=False)


def test_attaching_adapters_prints_no_deprecation_warning(base, adapters_dir):
    """What every `ask` does (a LoRA and a prefix adapter onto the backbone) raises no FutureWarning:
    peft's read of the deprecated `is_gradient_checkpointing` is the only one, and it is silenced there."""
    import warnings

    model, _ = base
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        attach_adapters(model, {a: adapters_dir / a for a in ("legal-lora", "legal-prefix")})
    assert not [w for w in said if issubclass(w.category, FutureWarning)], [str(w.message) for w in said]
