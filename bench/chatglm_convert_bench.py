"""Streamed ChatGLM conversion at full size: peak memory of `lawglm convert chatglm` on a 6B checkpoint.

Writes a synthetic checkpoint with ChatGLM3-6B's exact layout (28 layers, hidden 4096, 32 heads in 2
multi-query groups, kv_channels 128, ffn 13696, padded vocabulary 65024; float16, the release's key names and
config fields; 6.24 B parameters = 12.5 GB in 7 safetensors shards like the release) — no download; the values
are a tiled random block, which does not change what is measured. Then runs the converter in a subprocess
and polls its /proc/PID/status (VmHWM = peak resident set, RssAnon = heap, RssFile = mapped shard pages)
every 50 ms. Goal: peak RSS <= the largest source shard + 1 GiB. Both directories are deleted afterwards
(pass --keep to keep them).

    python bench/chatglm_convert_bench.py --dir /tmp/chatglm-bench
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

CHATGLM3_6B = {
    "model_type": "chatglm",
    "architectures": ["ChatGLMModel"],
    "add_bias_linear": False,
    "add_qkv_bias": True,
    "apply_query_key_layer_scaling": True,
    "apply_residual_connection_post_layernorm": False,
    "attention_dropout": 0.0,
    "attention_softmax_in_fp32": True,
    "bias_dropout_fusion": True,
    "ffn_hidden_size": 13696,
    "fp32_residual_connection": False,
    "hidden_dropout": 0.0,
    "hidden_size": 4096,
    "kv_channels": 128,
    "layernorm_epsilon": 1e-05,
    "multi_query_attention": True,
    "multi_query_group_num": 2,
    "num_attention_heads": 32,
    "num_layers": 28,
    "original_rope": True,
    "padded_vocab_size": 65024,
    "post_layer_norm": True,
    "rmsnorm": True,
    "seq_length": 8192,
    "use_cache": True,
    "torch_dtype": "float16",
    "tie_word_embeddings": False,
    "eos_token_id": 2,
    "pad_token_id": 0,
}
GiB = 1 << 30


def tensor_shapes(cfg: dict) -> list[tuple[str, tuple[int, ...]]]:
    """The release's tensors in file order."""
    h, ffn, vocab = cfg["hidden_size"], cfg["ffn_hidden_size"], cfg["padded_vocab_size"]
    qkv = (cfg["num_attention_heads"] + 2 * cfg["multi_query_group_num"]) * cfg["kv_channels"]
    out = [("transformer.embedding.word_embeddings.weight", (vocab, h))]
    for i in range(cfg["num_layers"]):
        p = f"transformer.encoder.layers.{i}."
        out += [
            (p + "input_layernorm.weight", (h,)),
            (p + "self_attention.query_key_value.weight", (qkv, h)),
            (p + "self_attention.query_key_value.bias", (qkv,)),
            (p + "self_attention.dense.weight", (h, h)),
            (p + "post_attention_layernorm.weight", (h,)),
            (p + "mlp.dense_h_to_4h.weight", (2 * ffn, h)),
            (p + "mlp.dense_4h_to_h.weight", (h, ffn)),
        ]
    return out + [("transformer.encoder.final_layernorm.weight", (h,)),
                  ("transformer.output_layer.weight", (vocab, h))]


def write_synthetic(src: Path, n_shards: int = 7) -> list[int]:
    """Write the checkpoint shard by shard; returns the shard sizes in bytes."""
    import math

    import torch
    from safetensors.torch import save_file

    src.mkdir(parents=True)
    shapes = tensor_shapes(CHATGLM3_6B)
    block = torch.randn(1 << 25, generator=torch.Generator().manual_seed(0)).half() * 0.02
    total = sum(math.prod(s) for _, s in shapes) * 2
    budget, groups, current, size = total / n_shards, [], [], 0
    for name, shape in shapes:
        current.append((name, shape))
        size += math.prod(shape) * 2
        if size >= budget and len(groups) < n_shards - 1:
            groups.append(current)
            current, size = [], 0
    groups.append(current)
    weight_map, sizes = {}, []
    for n, group in enumerate(groups, 1):
        fname = f"model-{n:05d}-of-{len(groups):05d}.safetensors"
        tensors = {}
        for name, shape in group:
            t = torch.empty(shape, dtype=torch.float16)
            flat = t.view(-1)
            for start in range(0, flat.numel(), block.numel()):
                chunk = flat[start:start + block.numel()]
                chunk.copy_(block[:chunk.numel()])
            tensors[name] = t
            weight_map[name] = fname
        save_file(tensors, str(src / fname), metadata={"format": "pt"})
        sizes.append((src / fname).stat().st_size)
        print(f"  wrote {fname}: {sizes[-1] / GiB:.2f} GiB", flush=True)
        del tensors
    (src / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": sum(sizes)},
                                                                  "weight_map": weight_map}))
    (src / "config.json").write_text(json.dumps(CHATGLM3_6B, indent=2))
    return sizes


def _status(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def run_converter(src: Path, out: Path) -> dict:
    """Run `lawglm convert chatglm` in a subprocess, polling its memory; returns peaks and wall time."""
    cmd = [sys.executable, "-m", "lawglm.cli", "convert", "chatglm", str(src), str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    while proc.poll() is None:
        st = _status(proc.pid)
        peak = {k: max(v, st.get(k, 0)) for k, v in peak.items()}
        time.sleep(0.05)
    stdout, stderr = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"converter failed ({proc.returncode}): {stderr.strip()[-500:]}")
    import resource

    peak["ru_maxrss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {**peak, "wall_s": time.perf_counter() - t0, "stdout": stdout.strip()}


def spot_check(src: Path, out: Path) -> bool:
    """Layer 0's q/k/v in the output are the rows of the source's query_key_value."""
    import torch
    from safetensors import safe_open

    index = json.loads((out / "model.safetensors.index.json").read_text())["weight_map"]
    src_index = json.loads((src / "model.safetensors.index.json").read_text())["weight_map"]
    name = "transformer.encoder.layers.0.self_attention.query_key_value.weight"
    with safe_open(str(src / src_index[name]), framework="pt") as f:
        fused = f.get_tensor(name)
    parts = []
    for p in "qkv":
        key = f"model.layers.0.self_attn.{p}_proj.weight"
        with safe_open(str(out / index[key]), framework="pt") as f:
            parts.append(f.get_tensor(key))
    return torch.equal(torch.cat(parts), fused)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="/tmp/lawglm-chatglm-bench", help="scratch dir (needs ~26 GB free)")
    ap.add_argument("--keep", action="store_true", help="keep the synthetic and converted checkpoints")
    args = ap.parse_args()
    root = Path(args.dir)
    if root.exists():
        shutil.rmtree(root)
    src, out = root / "chatglm3-6b-synthetic", root / "chatglm3-6b-hf"
    try:
        t0 = time.perf_counter()
        print("writing a synthetic ChatGLM3-6B checkpoint (float16, release layout) ...", flush=True)
        sizes = write_synthetic(src)
        print(
            f"  {sum(sizes) / GiB:.2f} GiB in {len(sizes)} shards, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        print("converting with `python -m lawglm.cli convert chatglm SRC OUT` ...", flush=True)
        r = run_converter(src, out)
        ok = spot_check(src, out)
        largest, peak = max(sizes), max(r["VmHWM"], r["ru_maxrss"])
        print(
            f"\nconversion: {r['wall_s']:.0f} s wall, {sum(sizes) / r['wall_s'] / 2**20:.0f} MiB/s of source "
            f"(2 shared CPU cores; includes sha256 of every output file)"
        )
        print(
            f"peak RSS (VmHWM, polled every 50 ms; ru_maxrss {r['ru_maxrss'] / GiB:.2f} GiB): "
            f"{peak / GiB:.2f} GiB"
            f" = heap (RssAnon) <= {r['RssAnon'] / GiB:.2f} GiB + mapped shard pages (RssFile) <= "
            f"{r['RssFile'] / GiB:.2f} GiB"
        )
        budget = largest + GiB
        print(f"goal: <= largest source shard {largest / GiB:.2f} GiB + 1 GiB = {budget / GiB:.2f} GiB -> "
              f"{'met' if peak <= budget else 'MISSED'}")
        print(f"layer 0 q/k/v rows equal the source query_key_value: {ok}")
        print(
            "GPU: none is lent to this task, so the --quantize 4 decode of the converted model was not timed"
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
