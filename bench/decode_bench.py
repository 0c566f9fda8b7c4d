"""Decode speed of lawglm's local generator vs plain `model.generate`, same model, same prompt, one run.

Measures time-to-first-token (TTFT) and decode tokens/s (greedy) on CPU for:
  hf-generate        model.generate (fp32, full 262k-vocab head) — the baseline
  lawglm-fp32-full   lawglm's KV-cached decode loop, full vocabulary head
  lawglm-fp32-domain + output vocabulary restricted to the legal domain (corpus tokens + 1-char tokens)
  lawglm-int8-domain + int8 dynamic (per-channel) quantisation of the Linear layers and the head
                     (`--quantize 8`; opt-in: faster but higher perplexity)
`lawglm ask` on CPU uses lawglm-fp32-domain by default.
and the quality cost of the restricted vocabulary: greedy outputs equal to the full-vocabulary run,
perplexity of dev answers (teacher-forced), and the share of dev-answer tokens outside the vocabulary.

    python3 bench/decode_bench.py [--new-tokens 64] [--prompt-tokens 1000] [--threads 2] [--rounds 3]
                                  [--ppl-answers 16] [--greedy-prompts 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time
from pathlib import Path
from statistics import median

DEV = Path(os.environ.get("LAWGLM_SHARED", "/work/shared/data")) / "sft_dev.jsonl"
LAWS = ["中华人民共和国民法典", "中华人民共和国劳动合同法", "中华人民共和国消费者权益保护法"]


def build_prompt(corpus, tokenizer, target_tokens: int, question: str):
    """A realistic prompt: system + numbered articles (from the corpus) + question, ~target_tokens long."""
    from lawglm.answer.prompts import build_messages
    from lawglm.models.chat_format import count_tokens
    from lawglm.records import Hit

    arts = [a for law in LAWS for a in corpus.law_articles(law) if a.is_current and 60 < len(a.text) < 400]
    hits: list[Hit] = []
    for a in arts[670::7]:
        hits.append(Hit(a, 1.0))
        if count_tokens(tokenizer, build_messages(question, hits).messages) >= target_tokens:
            break
    return build_messages(question, hits).messages


def time_hf_generate(model, ids, new_tokens: int) -> dict:
    import torch
    from transformers.generation.streamers import BaseStreamer

    class Clock(BaseStreamer):
        def __init__(self):
            self.times = []

        def put(self, value):
            self.times.append(time.perf_counter())

        def end(self):
            pass

    clock = Clock()
    t0 = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(torch.tensor([ids]), max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                             do_sample=False, streamer=clock)
    total = time.perf_counter() - t0
    n = out.shape[1] - len(ids)
    ttft = clock.times[1] - t0
    return {"ttft_s": ttft, "tokens": n, "decode_tok_s": (n - 1) / (total - ttft),
            "ids": out[0, len(ids):].tolist()}


def time_lawglm(gen, messages, new_tokens: int) -> dict:
    from lawglm.models.decoding import DecodeStats

    stats = DecodeStats()
    gen.end_ids_saved, gen.end_ids = gen.end_ids, set()  # run the full length, like min_new_tokens
    t0 = time.perf_counter()
    text = "".join(gen.stream(messages, max_new_tokens=new_tokens, temperature=0, stop=(), stats=stats))
    total = time.perf_counter() - t0
    gen.end_ids = gen.end_ids_saved
    n = stats.completion_tokens
    return {"ttft_s": stats.first_token_s, "tokens": n,
            "decode_tok_s": (n - 1) / (total - stats.first_token_s), "text": text}


def perplexity(gens: dict, tokenizer, messages_list, answers, vocab_ids) -> dict:
    """Teacher-forced perplexity of reference answers, over the answer tokens inside the domain
    vocabulary (the same tokens for every generator), plus the share of tokens outside it."""
    import torch

    from lawglm.models.decoding import base_model

    vocab = torch.tensor(sorted(vocab_ids))
    nll = dict.fromkeys(gens, 0.0)
    n = oov = 0
    for msgs, ans in zip(messages_list, answers):
        a_ids = tokenizer(ans, add_special_tokens=False)["input_ids"][:128]
        tgt = torch.tensor(a_ids)
        inside = torch.isin(tgt, vocab)
        rows = torch.arange(len(a_ids))[inside]
        for name, g in gens.items():
            p_ids = g.encode(msgs)
            with torch.inference_mode():
                h = base_model(g.model).model(input_ids=torch.tensor([p_ids + a_ids])).last_hidden_state
                logp = torch.log_softmax(g.head(h[0, len(p_ids) - 1:-1]), -1)
            nll[name] -= logp[rows, g.head.to_index(tgt[inside])].sum().item()
        oov += int((~inside).sum())
        n += int(inside.sum())
    return {"tokens": n + oov, "ppl": {k: math.exp(v / n) for k, v in nll.items()}, "oov_tokens": oov,
            "oov_rate": oov / (n + oov)}


def write_supplement() -> None:
    """Token ids of the training questions/answers/queries (not the dev sets) missing from the corpus."""
    from lawglm.models.backbone import load_backbone
    from lawglm.models.decoding import domain_vocab
    from lawglm.models.generation import VOCAB_SUPPLEMENTS
    from lawglm.settings import Settings
    from lawglm.statutes.ingest import load_corpus

    settings = Settings()
    _, tok = load_backbone(settings.model, device="cpu")
    texts = []
    for name in ("sft_train.jsonl", "retrieval_train.jsonl"):
        for line in (DEV.parent / name).open(encoding="utf-8"):
            r = json.loads(line)
            texts += [r.get("question") or r.get("query") or "", r.get("answer", "")]
    corpus = load_corpus(settings.corpus_source())
    base = set(domain_vocab(tok, [a.text for a in corpus.articles], progress=True))
    extra = sorted(set(domain_vocab(tok, texts)) - base)
    out = VOCAB_SUPPLEMENTS / f"{settings.model}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"vocab_size": len(tok), "source": "sft_train + retrieval_train token ids "
                               "not in the statute corpus", "ids": extra}))
    print(f"wrote {out}: {len(extra)} token ids")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--prompt-tokens", type=int, default=1000)
    ap.add_argument(
        "--threads", type=int, default=2, help="torch threads (1 on a machine busy with other work)"
    )
    ap.add_argument("--ppl-answers", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (median reported)")
    ap.add_argument("--greedy-prompts", type=int, default=3)
    ap.add_argument(
        "--write-supplement",
        action="store_true",
        help="write lawglm/data/vocab/<model>.json: training-question/answer tokens the corpus lacks",
    )
    args = ap.parse_args()
    if args.write_supplement:
        write_supplement()
        return

    import torch

    from lawglm.answer.prompts import VOCAB_TEXTS
    from lawglm.models.backbone import load_backbone, quantize_int8_cpu
    from lawglm.models.generation import LocalGenerator, cached_domain_vocab
    from lawglm.settings import Settings
    from lawglm.statutes.ingest import load_corpus

    torch.set_num_threads(args.threads)
    settings = Settings()
    t0 = time.perf_counter()
    model, tok = load_backbone(settings.model, device="cpu", progress=True)
    load_s = time.perf_counter() - t0
    corpus = load_corpus(settings.corpus_source())
    vocab = cached_domain_vocab(tok, corpus, settings, texts=VOCAB_TEXTS)
    q = "借款合同没有约定利息，出借人能否要求借款人支付利息？逾期还款又该怎么算？"
    messages = build_prompt(corpus, tok, args.prompt_tokens, q)
    qmodel = quantize_int8_cpu(copy.deepcopy(model))
    gens = {"lawglm-fp32-full": LocalGenerator(model, tok),
            "lawglm-fp32-domain": LocalGenerator(model, tok, vocab_ids=vocab),
            "lawglm-int8-domain": LocalGenerator(qmodel, tok, vocab_ids=vocab, int8_head=True)}
    ids = gens["lawglm-fp32-full"].encode(messages)
    print(f"# decode_bench: model={settings.model} load={load_s:.1f}s torch={torch.__version__} "
          f"threads={torch.get_num_threads()} cpus={os.cpu_count()} load_avg={os.getloadavg()[0]:.1f}")
    print(f"# prompt={len(ids)} tokens, new tokens={args.new_tokens}, greedy; vocab full={len(tok)} "
          f"domain={len(vocab)}")
    runs: dict[str, list[dict]] = {"hf-generate": [], **{k: [] for k in gens}}
    for _ in range(args.rounds):  # interleaved rounds: a busy machine slows every path alike
        runs["hf-generate"].append(time_hf_generate(model, ids, args.new_tokens))
        for k, g in gens.items():
            runs[k].append(time_lawglm(g, messages, args.new_tokens))
    rows = {k: {**v[0], "ttft_s": median(r["ttft_s"] for r in v),
                "decode_tok_s": median(r["decode_tok_s"] for r in v)} for k, v in runs.items()}
    base = rows["hf-generate"]
    print(f"# median of {args.rounds} interleaved rounds; load_avg now {os.getloadavg()[0]:.1f}")
    print(f"{'path':<20}{'TTFT s':>9}{'decode tok/s':>14}{'speed-up':>10}{'TTFT ratio':>12}")
    for name, r in rows.items():
        print(f"{name:<20}{r['ttft_s']:>9.2f}{r['decode_tok_s']:>14.2f}"
              f"{r['decode_tok_s'] / base['decode_tok_s']:>9.2f}x{base['ttft_s'] / r['ttft_s']:>11.2f}x")
    quality(args, tok, corpus, gens, rows, vocab)


def quality(args, tok, corpus, gens: dict, rows: dict, vocab) -> None:
    """Greedy agreement with the full-vocabulary fp32 decode, and perplexity on dev answers."""
    hf_text = tok.decode(rows["hf-generate"]["ids"], skip_special_tokens=True)
    print(f"# greedy {args.new_tokens}-token reply on the bench prompt identical to hf-generate: "
          + ", ".join(f"{k}={hf_text.startswith(r['text'])}" for k, r in rows.items() if k != "hf-generate"))
    if not DEV.exists() or args.ppl_answers <= 0:
        print(f"# dev-set quality skipped ({DEV} missing or --ppl-answers 0)")
        return
    from lawglm.answer.prompts import build_messages
    from lawglm.records import Hit

    dev = [json.loads(line) for line in DEV.open(encoding="utf-8")][:args.ppl_answers]
    msgs = [build_messages(r["question"], [Hit(a, 1.0) for g in r.get("gold", [])[:3]
                                           if (a := corpus.get(g["law"], g["article_no"]))]).messages
            for r in dev]
    agree = dict.fromkeys(gens, 0)
    for m in msgs[:args.greedy_prompts]:
        want = "".join(gens["lawglm-fp32-full"].stream(m, max_new_tokens=24, temperature=0))
        for k, g in gens.items():
            agree[k] += "".join(g.stream(m, max_new_tokens=24, temperature=0)) == want
    print(f"# greedy 24-token replies identical to fp32-full on {args.greedy_prompts} dev questions: "
          + ", ".join(f"{k}={v}/{args.greedy_prompts}" for k, v in agree.items()))
    p = perplexity(gens, tok, msgs, [r["answer"] for r in dev], vocab)
    print(f"# dev answers ({p['tokens']} tokens, {len(dev)} answers) perplexity: "
          + ", ".join(f"{k}={v:.2f}" for k, v in p["ppl"].items())
          + f"; tokens outside the domain vocabulary: {p['oov_tokens']} ({100 * p['oov_rate']:.2f}%)")


if __name__ == "__main__":
    main()
