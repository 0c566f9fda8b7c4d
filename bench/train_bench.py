"""Training throughput on CPU with the default backbone: LoRA vs P-tuning v2 (prefix) steps, and the
LM-head saving of `logits_to_keep` (logits only where labels are) against full logits.

Usage: python bench/train_bench.py [--data /work/shared/data/sft_train.jsonl] [--steps 2] [--batch 2]
Prints how it measured, one row per variant, and ratios against the LoRA (targets-only logits) row.
"""

from __future__ import annotations

import argparse
import os
import platform
import time


def make_set(args):
    from lawglm.models.backbone import load_backbone
    from lawglm.train.sft import TrainConfig
    from lawglm.train.sft_encode import encode_all, load_retrieval, read_data

    cfg = TrainConfig(data=args.data, out="", filters={"license": "MIT"}, limit=args.steps * args.batch,
                      max_source_length=args.max_source, max_target_length=args.max_target, progress=False,
                      device="cpu")
    examples = read_data(args.data, cfg, cfg.limit)
    _, corpus = load_retrieval(cfg)
    model, tok = load_backbone(cfg.model, device="cpu", dtype="float32", progress=False)
    return cfg, model, tok, encode_all(examples, tok, cfg, None, corpus, "encoding")


def full_logits_loss(model, batch, pad_id):
    """Baseline: the usual forward with labels (logits for every position)."""
    from lawglm.train.sft import collate

    ids, mask, labels = collate(batch, pad_id)
    return model(input_ids=ids, attention_mask=mask, labels=labels, use_cache=False).loss


def time_steps(model, data, args, pad_id, full: bool) -> tuple[float, int]:
    from lawglm.train.sft import batch_loss_sum

    tokens, t0 = 0, time.perf_counter()
    for i in range(0, len(data), args.batch):
        batch = data[i:i + args.batch]
        if full:
            full_logits_loss(model, batch, pad_id).backward()
        else:
            s, n = batch_loss_sum(model, batch, pad_id, "cpu")
            (s / n).backward()
        model.zero_grad(set_to_none=True)
        tokens += sum(len(e.input_ids) for e in batch)
    return time.perf_counter() - t0, tokens


def main() -> None:
    import torch

    from lawglm.train.sft import wrap_model

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/sft_train.jsonl")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--max-source", type=int, default=448)
    ap.add_argument("--max-target", type=int, default=128)
    args = ap.parse_args()
    cfg, model, tok, data = make_set(args)
    pad = tok.pad_token_id
    print(
        "# train_bench: default backbone (Gemma-3-270M, fp32) on CPU "
        f"({platform.processor() or platform.machine()},"
        f" torch threads={torch.get_num_threads()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')},"
        f" load avg {os.getloadavg()[0]:.1f}); {args.steps} steps x batch {args.batch} of the first MIT rows"
        " of"
        f" {args.data} (gold articles in the prompt, source <= {args.max_source}, target <= "
        f"{args.max_target});"
        f" forward + backward per step, optimizer excluded, wall clock, same examples for every row"
    )
    rows = []
    for name, method, full in [("lora r16 all-linear, logits at targets", "lora", False),
                               ("lora r16 all-linear, full logits", "lora", True),
                               ("p-tuning v2 (prefix 128), logits at targets", "ptuning", False)]:
        cfg.method = method
        peft_model = wrap_model(model, cfg, tok)
        peft_model.train()
        secs, tokens = time_steps(peft_model, data, args, pad, full)
        rows.append((name, secs, tokens))
        model = peft_model.unload() if method == "lora" else peft_model.get_base_model()
    base = rows[0][2] / rows[0][1]
    print(f"{'variant':<46} {'s/step':>8} {'tokens/s':>9} {'ratio':>6}")
    for name, secs, tokens in rows:
        print(f"{name:<46} {secs / args.steps:8.1f} {tokens / secs:9.1f} {tokens / secs / base:6.2f}")


if __name__ == "__main__":
    main()
