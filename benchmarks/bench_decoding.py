"""Latency of the greedy decoding loops: SOKE's three streams and M3T's four, batch 1 and 32, KV cache on / off.

Every video is decoded for exactly ``--steps`` time steps (``stop='never'``) so the strategies are compared at
equal output length: with ``n`` streams sequential makes ``nK`` decoder calls, parallel ``K`` calls on ``nB`` rows,
multi-head ``K`` calls. Two randomly initialised models (latency does not depend on the weights) share the mBART
size (``--d-model``, ``--layers``; ``--size large`` = mBART-large's shape, GPU):

- **SOKE** (3 streams): codebooks 96 / 192 / 192, λ = 1/3, language-token start, shared (tied) LM head;
- **M3T** (4 streams): codebooks 96 / 192 / 192 / 512 (face), equal-weight fusion (λ = 1/4), fused
  modality-prompt start, a separate linear head per modality (M3T Sec. 3.3, App. 0.D.2).

Timings are interleaved: each repeat runs every configuration once, in turn, so a load spike of a shared machine
hits neighbouring runs alike. Latencies are medians over repeats (the minimum is printed too); a ratio is the
median of the per-repeat ratios (sequential and multi-head of the same repeat), with its interquartile range.
``--clock process`` (the default on a CPU) times with the process's CPU time (``time.process_time``), which other
processes on a shared machine barely disturb (single-threaded runs: ``OMP_NUM_THREADS=1``); ``--clock wall`` (the
default on a GPU) uses :func:`slpkit.metrics.latency.measure_latency` (wall clock, CUDA synchronised).

Figures of merit, sequential / multi-head latency at batch 1 with the cache: ideally ``n`` (nK vs K decoder calls):
3.0 for SOKE (SOKE Table 2 reports 3.26 s / 1.46 s = 2.23 on an RTX 3090) and 4.0 for M3T (goal >= 3.8).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_decoding.py             # CPU, tiny models
    python benchmarks/bench_decoding.py --device cuda --size large    # GPU
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from slpkit.config import resolve_device
from slpkit.generators.m3t.vocab import M3T_CODEBOOKS
from slpkit.generators.soke import decoding as D
from slpkit.generators.soke.model import STRATEGIES, SokeGenerator, tiny_mbart_config
from slpkit.generators.soke.vocab import SOKE_CODEBOOKS, SokeVocab
from slpkit.metrics.latency import measure_latency

SENTENCES = [("the mother will cook the noodles tomorrow", "asl"), ("明天我们工作", "csl"),
             ("er benutzt den roten ball", "dgs"), ("you do not cry", "asl")]
#: the two models: codebooks and generator settings
MODELS = {
    "SOKE": dict(codebooks=SOKE_CODEBOOKS, lam=1 / 3, start="lang", heads="shared"),
    "M3T": dict(codebooks=M3T_CODEBOOKS, lam=1 / 4, start="modality", heads="separate"),
}


def build(args, device, codebooks, lam, start, heads):
    vocab = SokeVocab.train([(t, l) for t, l in SENTENCES if l != "csl"] + [("明天 我们 工作", "asl")], codebooks)
    if args.size == "large":
        d, layers, n_heads, ffn = 1024, 12, 16, 4096
    else:
        d, layers, n_heads, ffn = args.d_model, args.layers, args.heads, 4 * args.d_model
    cfg = tiny_mbart_config(len(vocab), d, layers, n_heads, ffn, max_positions=len(codebooks) * args.steps + 16,
                            dropout=0.0, pad_token_id=vocab.pad_id, bos_token_id=vocab.bos_id, eos_token_id=vocab.eos_id)
    torch.manual_seed(0)
    model = SokeGenerator(vocab, cfg, lam=lam, start=start, heads=heads).to(device).eval()
    if args.dtype == "bf16":
        model = model.to(torch.bfloat16)
    return model


def batch_for(model, B, device):
    texts = [SENTENCES[i % len(SENTENCES)][0] for i in range(B)]
    # one language for every row: no tokenisation differences between batch sizes
    return D.encode_batch(model, [t.replace("明天我们工作", "明天 我们 工作") for t in texts], ["asl"] * B, device=device)


def timed(fn, clock: str) -> float:
    """Seconds of one call of ``fn``: process CPU time or wall clock (CUDA synchronised)."""
    if clock == "process":
        t0 = time.process_time()
        fn()
        return time.process_time() - t0
    return measure_latency(fn, repeats=1, warmup=0)["median_s"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--size", choices=["tiny", "large"], default="tiny")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--steps", type=int, default=50, help="motion time steps K per video (50 = 200 frames)")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--models", default="SOKE,M3T")
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--no-uncached", action="store_true", help="skip the runs without the KV cache")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--clock", choices=["auto", "process", "wall"], default="auto",
                    help="process CPU time (default on CPU) or wall clock (default on GPU)")
    ap.add_argument("--json", default="", help="also write the results to this file")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    clock = args.clock if args.clock != "auto" else ("wall" if device.type == "cuda" else "process")
    if clock == "process" and device.type == "cuda":
        raise SystemExit("--clock process measures CPU time, not GPU kernels: use --clock wall on a GPU")
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in names:
        if m not in MODELS:
            raise SystemExit(f"unknown model {m!r}: use some of {list(MODELS)}")
    models = {m: build(args, device, **MODELS[m]) for m in names}
    print(f"device {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else platform.processor() or 'cpu'}), "
          f"torch threads {torch.get_num_threads()}, size {args.size}, K={args.steps}, repeats {args.repeats} (interleaved), "
          f"clock {clock}")
    for m, model in models.items():
        print(f"  {m}: {len(model.parts)} streams {dict(model.vocab.codebook_sizes)}, d={model.config.d_model} "
              f"layers={model.config.decoder_layers} params={sum(p.numel() for p in model.parameters()) / 1e6:.2f}M, "
              f"vocab {len(model.vocab)}, start {model.start!r}, heads {model.heads!r}")
    caches = (True,) if args.no_uncached else (True, False)
    rows = []
    for B in [int(b) for b in args.batches.split(",")]:
        for cache in caches:
            fns = {}
            for m, model in models.items():
                ids, mask, lang = batch_for(model, B, device)
                for strategy in STRATEGIES:
                    fns[(m, strategy)] = (lambda model=model, ids=ids, mask=mask, lang=lang, strategy=strategy:
                                          D.decode(model, ids, mask, lang, strategy=strategy, stop="never",
                                                   max_steps=args.steps, use_cache=cache))
            times = {k: [] for k in fns}
            for fn in fns.values():                       # warm-up
                fn()
            reps = args.repeats if cache else max(3, args.repeats // 2)
            for _ in range(reps):
                for k, fn in fns.items():
                    times[k].append(timed(fn, clock))
            for (m, strategy), t in times.items():
                n = len(models[m].parts)
                calls = args.steps * (n if strategy == "sequential" else 1)
                med, mn = float(np.median(t)), float(np.min(t))
                rows.append(dict(model=m, streams=n, strategy=strategy, batch=B, cache=cache, s_per_batch=med,
                                 s_per_video=med / B, min_s_per_video=mn / B, decoder_calls=calls,
                                 ms_per_call=1e3 * med / calls, times_s=list(t)))
                print(f"  {m:4s} B={B:3d} cache={'on ' if cache else 'off'} {strategy:10s} {med / B * 1e3:9.2f} ms/video "
                      f"(min {mn / B * 1e3:8.2f}; {calls} decoder calls, {1e3 * med / calls:.3f} ms/call)", flush=True)
    print("\nratio sequential / multi-head latency (ideal = number of streams: SOKE 3.0, M3T 4.0, goal >= 3.8; "
          "SOKE Table 2: 3.26/1.46 = 2.23 on RTX 3090)")
    ratios = {}
    for B in sorted({r["batch"] for r in rows}):
        for cache in caches:
            line = []
            for m in models:
                get = lambda s, key="times_s": np.asarray(next(r[key] for r in rows if r["model"] == m and
                                                               r["strategy"] == s and r["batch"] == B and
                                                               r["cache"] == cache))
                tag = f"{m}_B{B}_{'cache' if cache else 'nocache'}"
                per = get("sequential") / get("multihead")                  # one ratio per interleaved repeat
                q1, q3 = np.quantile(per, [0.25, 0.75])
                ratios[tag] = float(np.median(per))
                ratios[tag + "_iqr"] = [float(q1), float(q3)]
                ratios[tag + "_min"] = float(get("sequential").min() / get("multihead").min())
                ratios[tag + "_parallel"] = float(np.median(get("parallel") / get("multihead")))
                line.append(f"{m} ({len(models[m].parts)} streams) seq/mh = {ratios[tag]:.2f} [IQR {q1:.2f}-{q3:.2f}; "
                            f"min-based {ratios[tag + '_min']:.2f}], par/mh = {ratios[tag + '_parallel']:.2f}")
            print(f"  batch {B:3d} cache {'on ' if cache else 'off'}: " + "   |   ".join(line))
    if args.json:
        Path(args.json).write_text(json.dumps({"device": str(device), "clock": clock, "args": vars(args), "rows": rows,
                                               "ratios": ratios, "time": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2))
    return rows, ratios


if __name__ == "__main__":
    main()
