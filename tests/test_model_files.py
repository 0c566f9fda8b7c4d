"""Untrusted checkpoints, configs and names: `lawglm convert chatglm` and `lawglm
adapters
import` write only where they are told, delete only what lawglm made, read only inside SRC, and check every
config against the weights actually present before allocating anything; every refusal is one line on
stderr."""

from __future__ import annotations

import json
import os
import resource

import pytest
from live import run_cli
from test_chatglm import write_checkpoint, write_finetune_lora, write_ptuning

torch = pytest.importorskip("torch")


def one_line_error(capsys, args, *want: str) -> str:
    code, _, err = run_cli(args, capsys)
    assert code == 1, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for w in want:
        assert w in err, err
    return err


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """(config, state, src, converted) of a tiny ChatGLM3-layout checkpoint (read-only: copy to change it)."""
    from lawglm.models.chatglm import convert_chatglm

    root = tmp_path_factory.mktemp("ckpt")
    cfg, state = write_checkpoint(root / "src", "chatglm3")
    convert_chatglm(root / "src", root / "converted", progress=False)
    return cfg, state, root / "src", root / "converted"


def copy_src(checkpoint, dest):
    import shutil

    shutil.copytree(checkpoint[2], dest)
    return dest


def tree(path) -> dict:
    return {str(p.relative_to(path)): p.stat().st_size for p in sorted(path.rglob("*"))}


# --- 1. adapter names are names -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["../escaped_adapter", "..", ".", "a/b", "/abs/adapter", ".hidden", "", "a\\b", "x\x00y"]
)
def test_adapter_import_name_must_be_a_plain_name(checkpoint, tmp_path, capsys, name):
    cfg, _, _, converted = checkpoint
    write_ptuning(tmp_path / "pt", cfg, projection=False)
    adapters = tmp_path / "lab" / "adapters"
    adapters.mkdir(parents=True)
    (tmp_path / "lab" / "keep.txt").write_text("the parent's own file")
    (adapters / "other").mkdir()
    before = tree(tmp_path)
    name_arg = name if name != "/abs/adapter" else str(tmp_path / "abs")
    one_line_error(capsys, ["adapters", "import", str(tmp_path / "pt"), "--base", str(converted), "--name",
                            name_arg, "--adapters-dir", str(adapters), "--overwrite"], "name")
    assert tree(tmp_path) == before


def test_adapter_overwrite_replaces_only_an_adapter_lawglm_made(checkpoint, tmp_path, capsys):
    cfg, _, _, converted = checkpoint
    write_ptuning(tmp_path / "pt", cfg, projection=False)
    adapters = tmp_path / "adapters"
    (adapters / "mine").mkdir(parents=True)
    (adapters / "mine" / "notes.txt").write_text("not an adapter")
    args = [
        "adapters",
        "import",
        str(tmp_path / "pt"),
        "--base",
        str(converted),
        "--adapters-dir",
        str(adapters),
    ]
    one_line_error(capsys, [*args, "--name", "mine", "--overwrite"], "lawglm.json")
    assert (adapters / "mine" / "notes.txt").is_file()
    (tmp_path / "elsewhere").mkdir()
    (adapters / "link").symlink_to(tmp_path / "elsewhere")
    one_line_error(capsys, [*args, "--name", "link", "--overwrite"], "symbolic link")
    assert (tmp_path / "elsewhere").is_dir() and (adapters / "link").is_symlink()
    code, _, err = run_cli([*args, "--name", "pt1"], capsys)
    assert code == 0, err
    code, _, err = run_cli([*args, "--name", "pt1", "--overwrite"], capsys)  # its own adapter: replaced
    assert code == 0, err
    assert sorted(p.name for p in adapters.iterdir()) == ["link", "mine", "pt1"]  # no temp dirs left


# --- 2-3. convert --overwrite deletes only its own conversions
# ------------------------------------------------
def test_convert_refuses_an_out_that_is_or_holds_the_source(checkpoint, tmp_path, capsys):
    src = copy_src(checkpoint, tmp_path / "models" / "src")
    (tmp_path / "models" / "other.txt").write_text("a sibling")
    before = tree(tmp_path)
    for out in (src, tmp_path / "models", tmp_path):
        one_line_error(capsys, ["convert", "chatglm", str(src), str(out), "--overwrite"], "source")
        assert tree(tmp_path) == before


def test_convert_overwrite_needs_a_lawglm_conversion_and_no_symlink(checkpoint, tmp_path, capsys):
    src = copy_src(checkpoint, tmp_path / "src")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "thesis.tex").write_text("years of work")
    one_line_error(capsys, ["convert", "chatglm", str(src), str(tmp_path / "plain"), "--overwrite"],
                   "lawglm-convert.json")
    assert (tmp_path / "plain" / "thesis.tex").is_file()
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.txt").write_text("x")
    (tmp_path / "out").symlink_to(tmp_path / "real")
    one_line_error(capsys, ["convert", "chatglm", str(src), str(tmp_path / "out"), "--overwrite"],
                   "symbolic link")
    assert (tmp_path / "real" / "x.txt").is_file()
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert leftovers == []
    code, _, err = run_cli(["convert", "chatglm", str(src), str(tmp_path / "conv")], capsys)
    assert code == 0, err
    code, _, err = run_cli(["convert", "chatglm", str(src), str(tmp_path / "conv"), "--overwrite"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv", "out", "plain", "real", "src"]


def test_a_failed_conversion_leaves_no_temp_dir(checkpoint, tmp_path, capsys):
    src = copy_src(checkpoint, tmp_path / "src")
    shard = src / "model-00002-of-00002.safetensors"
    shard.write_bytes(shard.read_bytes()[:200])  # a truncated shard fails half way
    code, _, err = run_cli(["convert", "chatglm", str(src), str(tmp_path / "out")], capsys)
    assert code == 1 and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


# --- 4. reads stay inside SRC -------------------------------------------------------------------------------
# -
def test_convert_reads_only_inside_the_source(checkpoint, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    src = copy_src(checkpoint, tmp_path / "a" / "b" / "src")
    shard = src / "model-00001-of-00002.safetensors"
    os.replace(shard, outside / "model.safetensors")
    index_file = src / "model.safetensors.index.json"
    index = json.loads(index_file.read_text())
    for escape in ("../../../outside/model.safetensors", str(outside / "model.safetensors")):
        weight_map = {k: (escape if v == shard.name else v) for k, v in index["weight_map"].items()}
        index_file.write_text(json.dumps({**index, "weight_map": weight_map}))
        one_line_error(capsys, ["convert", "chatglm", str(src), str(tmp_path / "out")], "outside")
    index_file.write_text(json.dumps(index))
    shard.symlink_to(outside / "model.safetensors")
    one_line_error(capsys, ["convert", "chatglm", str(src), str(tmp_path / "out")], "outside")
    assert not (tmp_path / "out").exists()
    shard.unlink()
    os.replace(outside / "model.safetensors", src / "real.bin")
    shard.symlink_to("real.bin")  # a link that stays inside SRC is fine
    code, _, err = run_cli(["convert", "chatglm", str(src), str(tmp_path / "out")], capsys)
    assert code == 0, err


def test_a_hub_cache_snapshot_reads_its_blobs(checkpoint, tmp_path, capsys):
    """The Hugging Face cache links snapshots/<rev>/<file> to ../../blobs/<sha>: that layout converts."""
    repo = tmp_path / "models--THUDM--chatglm3-6b"
    snap = copy_src(checkpoint, repo / "snapshots" / "abc123")
    (repo / "blobs").mkdir()
    for f in list(snap.iterdir()):
        os.replace(f, repo / "blobs" / f.name)
        f.symlink_to(os.path.join("..", "..", "blobs", f.name))
    code, _, err = run_cli(["convert", "chatglm", str(snap), str(tmp_path / "out")], capsys)
    assert code == 0, err


def test_adapter_import_reads_only_inside_the_source(checkpoint, tmp_path, capsys):
    cfg, _, _, converted = checkpoint
    write_finetune_lora(tmp_path / "lora", cfg)
    (tmp_path / "outside").mkdir()
    weights = tmp_path / "lora" / "adapter_model.safetensors"
    os.replace(weights, tmp_path / "outside" / "w.safetensors")
    weights.symlink_to(tmp_path / "outside" / "w.safetensors")
    one_line_error(capsys, ["adapters", "import", str(tmp_path / "lora"), "--base", str(converted), "--name",
                            "x", "--adapters-dir", str(tmp_path / "adapters")], "outside")
    write_ptuning(tmp_path / "pt", cfg, projection=False)
    os.replace(tmp_path / "pt" / "pytorch_model.bin", tmp_path / "outside" / "p.bin")
    (tmp_path / "pt" / "pytorch_model.bin").symlink_to(tmp_path / "outside" / "p.bin")
    one_line_error(capsys, ["adapters", "import", str(tmp_path / "pt"), "--base", str(converted), "--name",
                            "x", "--adapters-dir", str(tmp_path / "adapters")], "outside")
    assert not (tmp_path / "adapters" / "x").exists()


# --- 5-7. configs are checked against the weights before anything is allocated ---------------------------
def _with_config(checkpoint, dest, **changes):
    src = copy_src(checkpoint, dest)
    cfg = json.loads((src / "config.json").read_text())
    for k, v in changes.items():
        if v is KeyError:
            cfg.pop(k)
        else:
            cfg[k] = v
    (src / "config.json").write_text(json.dumps(cfg))
    return src


@pytest.mark.parametrize("changes, want", [
    ({"num_layers": 1_000_000_000}, "num_layers"),
    ({"num_layers": -5}, "num_layers"),
    ({"num_layers": 3}, "num_layers"),
    ({"hidden_size": 1_000_000_000}, "hidden_size"),
    ({"padded_vocab_size": 10 ** 12}, "padded_vocab_size"),
    ({"num_attention_heads": 0}, "num_attention_heads"),
    ({"hidden_size": KeyError}, "hidden_size"),
    ({"hidden_size": "64"}, "hidden_size"),
    ({"ffn_hidden_size": 95}, "ffn_hidden_size"),
    ({"multi_query_group_num": 3}, "multi_query_group_num"),
    ({"kv_channels": 12}, "kv_channels"),
    ({"rope_ratio": "fast"}, "rope_ratio"),
    ({"num_layers": True}, "num_layers"),
])
def test_a_config_that_does_not_match_the_weights_is_one_line(checkpoint, tmp_path, capsys, changes, want):
    src = _with_config(checkpoint, tmp_path / "src", **changes)
    one_line_error(capsys, ["convert", "chatglm", str(src), str(tmp_path / "out")], want)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_a_billion_layers_is_refused_before_allocating(checkpoint, tmp_path, capsys):
    """Regression: num_layers 1e9 allocated until memory ran out (6 GB in 37 s); now refused at once with
    the memory it uses bounded (measured by peak RSS of this process)."""
    import time

    src = _with_config(checkpoint, tmp_path / "src", num_layers=1_000_000_000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    one_line_error(capsys, ["convert", "chatglm", str(src), str(tmp_path / "out")], "num_layers")
    assert time.perf_counter() - t < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200_000  # KiB


@pytest.mark.parametrize("config", ["[1, 2]", '"chatglm"', "null"])
def test_a_config_that_is_not_an_object_is_one_line(checkpoint, tmp_path, capsys, config):
    src = copy_src(checkpoint, tmp_path / "src")
    (src / "config.json").write_text(config)
    one_line_error(capsys, ["convert", "chatglm", str(src), str(tmp_path / "out")], "config.json")
    lora = tmp_path / "lora"
    write_finetune_lora(lora, checkpoint[0])
    (lora / "adapter_config.json").write_text(config)
    one_line_error(capsys, ["adapters", "import", str(lora), "--base", str(checkpoint[3]), "--name", "x",
                            "--adapters-dir", str(tmp_path / "adapters")], "adapter_config.json")


def _lora_with(checkpoint, path, edit):
    from safetensors.torch import load_file, save_file

    write_finetune_lora(path, checkpoint[0])
    f = path / "adapter_model.safetensors"
    tensors = load_file(str(f))
    edit(tensors)
    save_file({k: v.clone().contiguous() for k, v in tensors.items()}, str(f))
    return path


@pytest.mark.parametrize("edit, want", [
    (lambda t: t.update({k.replace("layers.0.", "layers.999999."): v for k, v in list(t.items())
                         if "layers.0." in k}), "layer 999999"),
    (lambda t: t.update({k: v[:-1] for k, v in list(t.items()) if "query_key_value.lora_B" in k}), "rows"),
    (lambda t: t.update({k: v[:, :-1] for k, v in list(t.items()) if "dense_h_to_4h.lora_A" in k}),
     "columns"),
    (lambda t: t.update({k: v[:2] for k, v in list(t.items()) if "lora_A" in k}), "rank"),
])
def test_a_lora_that_does_not_fit_the_base_is_one_line(checkpoint, tmp_path, capsys, edit, want):
    src = _lora_with(checkpoint, tmp_path / "lora", edit)
    one_line_error(capsys, ["adapters", "import", str(src), "--base", str(checkpoint[3]), "--name", "x",
                            "--adapters-dir", str(tmp_path / "adapters")], want)
    assert not (tmp_path / "adapters" / "x").exists()


@pytest.mark.parametrize("field, value", [("r", 0), ("r", "4"), ("lora_alpha", "big"), ("r", None)])
def test_a_lora_config_with_bad_values_is_one_line(checkpoint, tmp_path, capsys, field, value):
    src = tmp_path / "lora"
    write_finetune_lora(src, checkpoint[0])
    conf = json.loads((src / "adapter_config.json").read_text())
    (src / "adapter_config.json").write_text(json.dumps({**conf, field: value}))
    one_line_error(capsys, ["adapters", "import", str(src), "--base", str(checkpoint[3]), "--name", "x",
                            "--adapters-dir", str(tmp_path / "adapters")], field)


def test_a_ptuning_projection_of_the_wrong_shape_is_one_line(checkpoint, tmp_path, capsys):
    cfg = checkpoint[0]
    write_ptuning(tmp_path / "pt", cfg, projection=True)
    state = torch.load(tmp_path / "pt" / "pytorch_model.bin", weights_only=True)
    key = "transformer.prefix_encoder.trans.0.weight"
    state[key] = state[key][:, :-1]
    torch.save(state, tmp_path / "pt" / "pytorch_model.bin")
    one_line_error(
        capsys,
        [
            "adapters",
            "import",
            str(tmp_path / "pt"),
            "--base",
            str(checkpoint[3]),
            "--name",
            "x",
            "--adapters-dir",
            str(tmp_path / "adapters"),
        ],
        "trans.0",
    )


def test_a_base_config_that_is_not_an_object_is_one_line(checkpoint, tmp_path, capsys):
    import shutil

    cfg = checkpoint[0]
    base = tmp_path / "base"
    shutil.copytree(checkpoint[3], base)
    (base / "config.json").write_text("[]")
    write_ptuning(tmp_path / "pt", cfg, projection=False)
    one_line_error(capsys, ["adapters", "import", str(tmp_path / "pt"), "--base", str(base), "--name", "x",
                            "--adapters-dir", str(tmp_path / "adapters")], "config.json")

