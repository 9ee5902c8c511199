"""SignSparK speed: FAST segmentation throughput, CFM sampling latency (and the DTW each setting reaches).

1. **FAST** ("ultra-efficient", SignSparK Fig. 2a): network frames per second on one CPU thread at batch 64
   (128-frame sequences, frozen features + streams + transformer + softmax), against the BiLSTM tagger trained
   the same way, with both taggers' segment F1 on the test split ("at matched F1"); plus batch-1 latency of a
   128-frame sequence and the constrained Viterbi decoding speed. Goal: >= 100,000 frames/s.
2. **CFM sampling**: seconds per video (text -> V133 poses, GF-T2P) at batch 1 and 64 for Euler-50, Euler-10 and
   Heun-25 (Heun-25 costs what Euler-50 costs: 50 network evaluations), the DTW-JPE avg each reaches on the
   same sentences, and the ratio to SOKE multi-head greedy decoding (tokens + tokenizer decoding -> V133) of the
   same sentences, all measured in this one run (best of 2 per batch-1 sentence, best of ``--repeats // 2``
   per batch; on a shared machine repeat the run: single-thread figures move by +-30% with the load).

Models are the smoke presets of notebooks 07 / 08 / 04 (trained once, then loaded from slpkit's cache).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_signspark.py                 # CPU, one thread
    python benchmarks/bench_signspark.py --device cuda --threads 0         # also on a GPU
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch


def _time(fn, repeats: int, warmup: int = 1, cuda: bool = False) -> float:
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_fast(args, corpus, device, feats):
    from slpkit.generators.signspark import BiLSTMConfig, FASTConfig, sentence_features, train_segmenter
    from slpkit.generators.signspark.tables import decode_throughput
    from slpkit.metrics.segmentation import segmentation_scores_from_spans

    test = corpus.split("test")
    F = sentence_features(test)
    ref = [[(a, b) for a, b, _ in s.spans] for s in test]
    T = [s.num_frames for s in test]
    out = {}
    cuda = device.type == "cuda"
    for name, cfg in (("FAST", FASTConfig.for_mode("smoke", seed=0)), ("BiLSTM", BiLSTMConfig.for_mode("smoke", seed=0))):
        seg = train_segmenter(corpus, cfg, device="cpu", progress=False, features=feats)
        f1 = segmentation_scores_from_spans(seg.segment(F), ref, T)["segment_f1"]
        m = seg.module.to(device).eval()
        row = {"segment_f1": f1, "params": int(sum(p.numel() for p in m.net.parameters()))}
        for B in (64, 1):
            x = torch.randn(B, 128, 296, device=device)
            mask = torch.ones(B, 128, dtype=torch.bool, device=device)
            with torch.no_grad():
                s = _time(lambda: torch.log_softmax(m(x, mask), -1), args.repeats, 2, cuda)
            row[f"frames_per_s_b{B}"] = B * 128 / s
            row[f"ms_per_sequence_b{B}"] = 1e3 * s / B
        out[name] = row
        print(f"  {name:7s} segment F1 {f1:.3f}  params {row['params']:,}  batch 64: {row['frames_per_s_b64']:12,.0f} "
              f"frames/s   batch 1: {row['ms_per_sequence_b1']:.2f} ms / 128 frames", flush=True)
    ratio = out["FAST"]["frames_per_s_b64"] / out["BiLSTM"]["frames_per_s_b64"]
    ratio1 = out["BiLSTM"]["ms_per_sequence_b1"] / out["FAST"]["ms_per_sequence_b1"]
    vit = decode_throughput()
    print(f"  FAST / BiLSTM throughput at batch 64: {ratio:.2f}x; at batch 1 (latency): {ratio1:.2f}x; "
          f"goal >= 100,000 frames/s: {'met' if out['FAST']['frames_per_s_b64'] >= 1e5 else 'NOT met'}; "
          f"Viterbi decoding {vit:,.0f} frames/s (numpy)")
    return {"taggers": out, "fast_over_bilstm_b64": ratio, "fast_over_bilstm_b1": ratio1, "viterbi_frames_per_s": vit}


def bench_cfm(args, corpus, device, feats):
    from slpkit.generators.signspark import CFMConfig, dtw_jpe_scores, to_v133, train_cfm
    from slpkit.generators.soke.module import SokeConfig, codes_to_poses, train_generator
    from slpkit.tokenizers.module import TokenizerConfig, train_tokenizer

    test = corpus.split("test")
    n = min(int(args.sentences), len(test))
    sents = [test[i] for i in np.linspace(0, len(test) - 1, n).round().astype(int)]
    texts, langs, refs = [s.text for s in sents], [s.language for s in sents], [s.v133 for s in sents]
    cuda = device.type == "cuda"
    cfm = train_cfm(corpus, CFMConfig.for_mode("smoke", seed=0), device="cpu", progress=False, features=feats).to(device)
    lengths = cfm.predict_lengths(texts, langs)
    rows = {}
    for label, solver, steps in (("Euler-50", "euler", 50), ("Euler-10", "euler", 10), ("Heun-25", "heun", 25)):
        nfe = steps * (2 if solver == "heun" else 1)
        run = lambda B: to_v133(cfm.sample(texts[:B], langs[:B], lengths[:B], solver=solver, steps=steps,
                                           batch_size=B, guidance_scale=1.0))
        b1 = np.mean([_time(lambda i=i: to_v133(cfm.sample([texts[i]], [langs[i]], [lengths[i]], solver=solver,
                                                           steps=steps, guidance_scale=1.0)), 2, 1 if i == 0 else 0, cuda)
                      for i in range(min(args.latency_samples, n))])
        bB = _time(lambda: run(n), max(1, args.repeats // 2), 1, cuda) / n
        dtw = dtw_jpe_scores(run(n), refs)["dtw_jpe_avg"]
        rows[label] = {"nfe": nfe, "s_per_video_b1": b1, f"s_per_video_b{n}": bB, "dtw_jpe_avg": dtw}
        print(f"  CFM {label:8s} ({nfe:2d} evaluations): batch 1 {b1 * 1e3:8.1f} ms/video, batch {n} "
              f"{bB * 1e3:7.2f} ms/video, DTW-JPE avg {dtw:.3f} m", flush=True)
    tok = train_tokenizer(corpus, TokenizerConfig.for_mode("smoke", seed=0, max_steps=200), device="cpu", progress=False)
    soke = train_generator(corpus, tok, SokeConfig.for_mode("smoke", decoding="multihead", seed=0), device="cpu").to(device)

    def soke_run(idx):
        codes = soke.generate([texts[i] for i in idx], [langs[i] for i in idx])
        return codes_to_poses(tok, codes)[0]

    s1 = np.mean([_time(lambda i=i: soke_run([i]), 2, 1 if i == 0 else 0, cuda) for i in range(min(args.latency_samples, n))])
    sB = _time(lambda: soke_run(list(range(n))), max(1, args.repeats // 2), 1, cuda) / n
    sdtw = dtw_jpe_scores(soke_run(list(range(n))), refs)["dtw_jpe_avg"]
    print(f"  SOKE multi-head greedy: batch 1 {s1 * 1e3:8.1f} ms/video, batch {n} {sB * 1e3:7.2f} ms/video, "
          f"DTW-JPE avg {sdtw:.3f} m")
    for label, r in rows.items():
        r["ratio_to_soke_b1"] = r["s_per_video_b1"] / s1
        r[f"ratio_to_soke_b{n}"] = r[f"s_per_video_b{n}"] / sB
        print(f"  CFM {label} / SOKE multi-head latency: batch 1 {r['ratio_to_soke_b1']:.2f}, batch {n} "
              f"{r[f'ratio_to_soke_b{n}']:.2f}")
    return {"cfm": rows, "soke": {"s_per_video_b1": s1, f"s_per_video_b{n}": sB, "dtw_jpe_avg": sdtw}, "sentences": n}


def main(argv=None):
    from slpkit.config import resolve_device
    from slpkit.data.synthsign import SynthSignConfig, generate
    from slpkit.generators.signspark import sentence_features

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (0 = leave torch's default)")
    ap.add_argument("--sentences", type=int, default=64, help="test sentences of the batched CFM / SOKE runs")
    ap.add_argument("--latency-samples", type=int, default=4, help="sentences timed one at a time (batch 1)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: fast,cfm")
    ap.add_argument("--json", default="", help="also write the results to this file")
    args = ap.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else platform.processor() or 'cpu'}), "
          f"torch threads {torch.get_num_threads()}")
    corpus = generate(SynthSignConfig.for_mode("smoke", seed=0))
    train = corpus.split("train")
    feats = {s.id: f for s, f in zip(train, sentence_features(train))}
    skip = set(filter(None, args.skip.split(",")))
    res = {"device": str(device), "threads": torch.get_num_threads(), "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    if "fast" not in skip:
        print("FAST segmentation (SignSparK Fig. 2a)")
        res["fast"] = bench_fast(args, corpus, device, feats)
    if "cfm" not in skip:
        print("CFM sampling, GF-T2P text -> V133 (SignSparK Sec. 3)")
        res["cfm"] = bench_cfm(args, corpus, device, feats)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
