"""Training throughput of the part-wise tokenizers (VQ vs FSQ) at several sizes.

Times the bare training step (forward, SmoothL1 + quantizer loss, backward, AdamW step,
EMA codebook update) on random normalised windows, without Lightning or data loading,
so the figures measure the model. Sizes:

* ``smoke``: ``TokenizerConfig.smoke()`` (width 64, batch 32, window 32)
* ``mid``:   width 256, batch 64, window 64
* ``full``:  SOKE's width 512, batch 320, window 64 (GPU)

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_tokenizer.py --sizes smoke mid --steps 20
    python benchmarks/bench_tokenizer.py --device cuda --sizes mid full --bf16 --compile

Prints one line per (size, quantizer) and writes ``--out`` JSON if given.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from slpkit.config import resolve_device, seed_everything
from slpkit.tokenizers.module import TokenizerConfig, build_tokenizer

SIZES = {
    "smoke": {},
    "mid": dict(width=256, batch_size=64, window=64),
    "full": dict(width=512, batch_size=320, window=64),
}


def bench(size: str, quantizer: str, partition: str, steps: int, warmup: int, device: str, bf16: bool,
          compile_: bool, threads: int | None) -> dict:
    seed_everything(0)
    cfg = dataclasses.replace(TokenizerConfig.smoke(), partition=partition, quantizer=quantizer, **SIZES[size])
    dev = resolve_device(device)
    tok = build_tokenizer(cfg).to(dev).train()
    opt = torch.optim.AdamW(tok.parameters(), lr=cfg.lr, betas=cfg.betas)
    fwd = torch.compile(tok.forward_features) if compile_ else tok.forward_features
    x = torch.randn(cfg.batch_size, cfg.window, tok.feature_dim, device=dev)
    amp = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16)

    def step():
        with amp:
            _, losses, _ = fwd(x)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        opt.step()

    for _ in range(warmup):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return {"size": size, "quantizer": quantizer, "partition": partition, "device": str(dev),
            "threads": threads or torch.get_num_threads(), "bf16": bf16, "compile": compile_,
            "width": cfg.width, "batch": cfg.batch_size, "window": cfg.window,
            "params_M": round(tok.num_parameters() / 1e6, 3), "steps": steps,
            "steps_per_s": round(steps / dt, 3), "frames_per_s": round(steps * cfg.batch_size * cfg.window / dt, 1),
            "gpu": torch.cuda.get_device_name(0) if dev.type == "cuda" else None}


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["smoke", "mid"], choices=list(SIZES))
    ap.add_argument("--quantizers", nargs="+", default=["vq", "fsq"], choices=["vq", "fsq"])
    ap.add_argument("--partition", default="body_lhand_rhand")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bf16", action="store_true", help="autocast to bfloat16 (quantizers stay float32)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the forward")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    ap.add_argument("--out", default=None, help="write results as JSON")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    rows = []
    for size in a.sizes:
        for q in a.quantizers:
            r = bench(size, q, a.partition, a.steps, a.warmup, a.device, a.bf16, a.compile, a.threads)
            rows.append(r)
            print(f"{size:6s} {q:4s} width {r['width']:4d} batch {r['batch']:4d} x {r['window']} frames  "
                  f"{r['params_M']:7.3f}M params  {r['steps_per_s']:8.2f} steps/s  {r['frames_per_s']:10.0f} frames/s  "
                  f"[{r['device']}{' bf16' if a.bf16 else ''}{' compile' if a.compile else ''}]", flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
