"""What a contextual cross-encoder built from the default backbone would cost per search.

    python3 bench/rerank_cost.py [--layers 2,4,6] [--pairs 20] [--tokens 256] [--threads 2]

Runs the first N transformer layers of the embedded Gemma-3-270M (the safetensors cache lawglm makes on first
use) over a batch of `pairs` (query + article) sequences of `tokens` tokens each — the forward pass a reranker
of the top `pairs` hits would need — and prints the median wall time over 3 runs beside the 25 ms search
budget.
Token ids are random (cost does not depend on them); no trained reranker is involved.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", default="2,4,6")
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch

    from lawglm.models.backbone import load_backbone
    from lawglm.settings import get_settings

    torch.set_num_threads(args.threads)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; threads {args.threads}; "
          f"{args.pairs} pairs x {args.tokens} tokens")
    x = torch.randint(100, 20000, (args.pairs, args.tokens))
    for n in (int(v) for v in args.layers.split(",")):
        model, _ = load_backbone(get_settings().model, device="cpu", progress=False)
        body = model.model
        body.layers = body.layers[:n]
        times = []
        with torch.inference_mode():
            body(input_ids=x[:2])
            for _ in range(3):
                t = time.perf_counter()
                body(input_ids=x)
                times.append(time.perf_counter() - t)
        ms = statistics.median(times) * 1000
        print(f"first {n} layers: {ms:8.0f} ms per search ({ms / 25:.0f}x the 25 ms budget)")


if __name__ == "__main__":
    main()
