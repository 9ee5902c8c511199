"""Latency of SOKE's three greedy decoding loops: batch 1 and 32, with and without the KV cache.

Every video is decoded for exactly ``--steps`` time steps (``stop='never'``) so the strategies are compared at
equal output length: sequential makes 3K decoder calls, parallel K calls on 3B rows, multi-head K calls.
The model is randomly initialised (latency does not depend on the weights) with SOKE's codebooks
(96 / 192 / 192) and a small mBART (``--d-model``, ``--layers``); ``--size large`` uses mBART-large's shape
(d 1024, 12 + 12 layers; GPU).

The figure of merit is the ratio sequential / multi-head at batch 1 with cache: ideally 3.0 (3K vs K decoder
calls); SOKE Table 2 reports 3.26 s / 1.46 s = 2.23 on an RTX 3090.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_decoding.py             # CPU, tiny model
    python benchmarks/bench_decoding.py --device cuda --size large    # GPU
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from slpkit.config import resolve_device
from slpkit.generators.soke import decoding as D
from slpkit.generators.soke.model import STRATEGIES, SokeGenerator, tiny_mbart_config
from slpkit.generators.soke.vocab import SOKE_CODEBOOKS, SokeVocab
from slpkit.metrics.latency import measure_latency

SENTENCES = [("the mother will cook the noodles tomorrow", "asl"), ("明天我们工作", "csl"),
             ("er benutzt den roten ball", "dgs"), ("you do not cry", "asl")]


def build(args, device):
    vocab = SokeVocab.train([(t, l) for t, l in SENTENCES if l != "csl"] + [("明天 我们 工作", "asl")], SOKE_CODEBOOKS)
    if args.size == "large":
        d, layers, heads, ffn = 1024, 12, 16, 4096
    else:
        d, layers, heads, ffn = args.d_model, args.layers, args.heads, 4 * args.d_model
    cfg = tiny_mbart_config(len(vocab), d, layers, heads, ffn, max_positions=3 * args.steps + 16, dropout=0.0,
                            pad_token_id=vocab.pad_id, bos_token_id=vocab.bos_id, eos_token_id=vocab.eos_id)
    torch.manual_seed(0)
    model = SokeGenerator(vocab, cfg).to(device).eval()
    if args.dtype == "bf16":
        model = model.to(torch.bfloat16)
    return model


def batch_for(model, B, device):
    texts = [SENTENCES[i % len(SENTENCES)][0] for i in range(B)]
    # one language for every row: no tokenisation differences between batch sizes
    return D.encode_batch(model, [t.replace("明天我们工作", "明天 我们 工作") for t in texts], ["asl"] * B, device=device)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--size", choices=["tiny", "large"], default="tiny")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--steps", type=int, default=50, help="motion time steps K per video (50 = 200 frames)")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--json", default="", help="also write the results to this file")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    model = build(args, device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"device {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else platform.processor() or 'cpu'}), "
          f"torch threads {torch.get_num_threads()}, model {args.size} d={model.config.d_model} "
          f"layers={model.config.decoder_layers} params={n_params / 1e6:.1f}M, vocab {len(model.vocab)}, K={args.steps}")
    rows = []
    for B in [int(b) for b in args.batches.split(",")]:
        ids, mask, lang = batch_for(model, B, device)
        for cache in (True, False):
            for strategy in STRATEGIES:
                fn = lambda: D.decode(model, ids, mask, lang, strategy=strategy, stop="never",
                                      max_steps=args.steps, use_cache=cache)
                r = measure_latency(fn, repeats=args.repeats if cache else max(1, args.repeats // 2), warmup=1)
                calls = args.steps * (3 if strategy == "sequential" else 1)
                rows.append(dict(strategy=strategy, batch=B, cache=cache, s_per_batch=r["median_s"],
                                 s_per_video=r["median_s"] / B, decoder_calls=calls,
                                 ms_per_call=1e3 * r["median_s"] / calls))
                print(f"  B={B:3d} cache={'on ' if cache else 'off'} {strategy:10s} {r['median_s'] / B * 1e3:9.2f} ms/video "
                      f"({calls} decoder calls, {rows[-1]['ms_per_call']:.3f} ms/call)", flush=True)
    print("\nratio sequential / multi-head latency (ideal 3.0; SOKE Table 2: 3.26/1.46 = 2.23 on RTX 3090)")
    ratios = {}
    for B in sorted({r["batch"] for r in rows}):
        for cache in (True, False):
            get = lambda s: next(r["s_per_video"] for r in rows if r["strategy"] == s and r["batch"] == B and r["cache"] == cache)
            ratios[f"B{B}_{'cache' if cache else 'nocache'}"] = get("sequential") / get("multihead")
            print(f"  batch {B:3d} cache {'on ' if cache else 'off'}: sequential/multihead = {ratios[f'B{B}_' + ('cache' if cache else 'nocache')]:.2f}"
                  f"   parallel/multihead = {get('parallel') / get('multihead'):.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": str(device), "args": vars(args), "rows": rows, "ratios": ratios,
                       "time": time.strftime("%Y-%m-%d %H:%M:%S")}, f, indent=2)
    return rows, ratios


if __name__ == "__main__":
    main()
