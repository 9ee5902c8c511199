"""Benchmark: slpkit's batched DTW against dtaidistance's C DTW, same inputs, one run.

dtaidistance's ``dtw_ndim.distance`` returns ``sqrt(sum over the path of squared
Euclidean frame distances)``: the optimal path is chosen on the *squared* Euclidean
cost and the square root is taken at the end. slpkit's ``cost='sqeuclidean'`` uses the
same per-frame cost, so ``sqrt(slpkit) == dtaidistance`` exactly (checked below on the
benchmark inputs and on 1-D sequences with ``dtw.distance_fast``). That is the
like-for-like timing. The SOKE cost (mean over joints of per-joint Euclidean distance,
one square root per joint and cell) and the L1 cost have no dtaidistance counterpart;
their timings are printed for reference against the same C baseline.

The DTW-PA-JPE cost matrix (one similarity Procrustes per cell, SOKE) is timed twice on the
same frames: slpkit's compiled loop (``pa_cost_matrix``) and a vectorised numpy formulation of
the same fits (``procrustes_align`` of each prediction frame against all reference frames),
with their largest difference.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_dtw.py [--pairs 200] [--min-len 100]
        [--max-len 200] [--joints 50] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from slpkit.metrics.dtw import dtw_batch
from slpkit.metrics.pose import pa_cost_matrix
from slpkit.metrics.procrustes import procrustes_align


def _best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--min-len", type=int, default=100)
    ap.add_argument("--max-len", type=int, default=200)
    ap.add_argument("--joints", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3, help="best-of repeats per timing")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    try:
        from dtaidistance import dtw as dtai_dtw
        from dtaidistance import dtw_ndim
    except ImportError as e:  # dev extra
        raise SystemExit(f"dtaidistance is needed for this benchmark (pip install 'slpkit[dev]'): {e}")

    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    J = args.joints
    lens_p = rng.integers(args.min_len, args.max_len + 1, args.pairs)
    lens_r = rng.integers(args.min_len, args.max_len + 1, args.pairs)
    # smooth random-walk "motion" in metres, float64 (dtaidistance's C code needs doubles)
    preds = [np.cumsum(rng.normal(0, 0.01, (t, J, 3)), axis=0) for t in lens_p]
    refs = [np.cumsum(rng.normal(0, 0.01, (t, J, 3)), axis=0) for t in lens_r]
    preds_flat = [np.ascontiguousarray(p.reshape(len(p), -1)) for p in preds]
    refs_flat = [np.ascontiguousarray(r.reshape(len(r), -1)) for r in refs]

    print(
        f"{args.pairs} pairs, lengths {args.min_len}-{args.max_len}, {J} joints x 3 "
        f"({J * 3} dims), {int((lens_p * lens_r).sum()):,} cells; torch threads = {torch.get_num_threads()}"
    )

    # --- correctness on the matching convention
    d_c = np.array([dtw_ndim.distance(p, r, use_c=True) for p, r in zip(preds_flat, refs_flat)])
    d_s = np.sqrt(dtw_batch(preds_flat, refs_flat, cost="sqeuclidean"))
    max_rel = float(np.max(np.abs(d_c - d_s) / np.maximum(d_c, 1e-12)))
    a1 = [rng.normal(size=t) for t in rng.integers(20, 60, 20)]
    b1 = [rng.normal(size=t) for t in rng.integers(20, 60, 20)]
    d1c = np.array([dtai_dtw.distance_fast(x, y) for x, y in zip(a1, b1)])
    d1s = np.sqrt(dtw_batch(a1, b1, cost="sqeuclidean"))
    max_rel_1d = float(np.max(np.abs(d1c - d1s) / np.maximum(d1c, 1e-12)))
    print(f"agreement sqrt(slpkit sqeuclidean) vs dtaidistance: max rel diff {max_rel:.2e} (ndim), {max_rel_1d:.2e} (1-D)")

    # --- timings (best of N), same inputs
    t_c = _best_of(lambda: [dtw_ndim.distance(p, r, use_c=True) for p, r in zip(preds_flat, refs_flat)], args.repeats)
    t_sq = _best_of(lambda: dtw_batch(preds_flat, refs_flat, cost="sqeuclidean"), args.repeats)
    t_soke = _best_of(lambda: dtw_batch(preds, refs, cost="mean_joint_l2"), args.repeats)
    t_l1 = _best_of(lambda: dtw_batch(preds_flat, refs_flat, cost="l1"), args.repeats)
    t_eu = _best_of(lambda: dtw_batch(preds_flat, refs_flat, cost="euclidean"), args.repeats)
    t_path = _best_of(lambda: dtw_batch(preds_flat, refs_flat, cost="sqeuclidean", return_paths=True), args.repeats)

    rows = [
        ("dtaidistance C dtw_ndim.distance (sqeuclidean, 1 pair/call)", t_c),
        ("slpkit dtw_batch cost='sqeuclidean' (same convention)", t_sq),
        ("slpkit dtw_batch cost='sqeuclidean' + paths", t_path),
        ("slpkit dtw_batch cost='mean_joint_l2' (SOKE)", t_soke),
        ("slpkit dtw_batch cost='l1' (Progressive Transformers)", t_l1),
        ("slpkit dtw_batch cost='euclidean' (SLRTP)", t_eu),
    ]
    for name, t in rows:
        print(f"{name:<64s} {t:8.3f} s   ratio vs C {t / t_c:5.2f}x")

    # --- DTW-PA-JPE cost matrices: a hand (21 joints) of the first pairs, compiled loop vs numpy
    hands = [(p[:, :21], r[:, :21]) for p, r in zip(preds[:10], refs[:10])]

    def numpy_pa(p, r):
        return np.stack([np.linalg.norm(procrustes_align(np.broadcast_to(x, r.shape), r) - r, axis=-1).mean(-1) for x in p])

    pa_cost_matrix(*hands[0])  # compile (numba caches the machine code on disk)
    diff = max(float(np.abs(pa_cost_matrix(p, r) - numpy_pa(p, r)).max()) for p, r in hands[:2])
    t_pa = _best_of(lambda: [pa_cost_matrix(p, r) for p, r in hands], args.repeats)
    t_np = _best_of(lambda: [numpy_pa(p, r) for p, r in hands], args.repeats)
    cells = sum(len(p) * len(r) for p, r in hands)
    print(f"DTW-PA-JPE cost, {len(hands)} pairs x 21 joints ({cells:,} Procrustes fits): slpkit {t_pa:.3f} s, "
          f"numpy {t_np:.3f} s, numpy / slpkit {t_np / t_pa:.1f}x, max abs diff {diff:.1e}")
    return {name: t for name, t in rows} | {"max_rel_diff": max_rel, "max_rel_diff_1d": max_rel_1d,
                                            "pa_cost_s": t_pa, "pa_cost_numpy_s": t_np, "pa_max_abs_diff": diff}


if __name__ == "__main__":
    main()
