"""DARSLP measurements: DTW-MJE (whole set and per sentence), frame-rate conversion, motion variance,
latent channel statistics (Figure 3), length statistics.

DTW-MJE follows the SLRTP 2025 convention (``slpkit.metrics.dtw_mje_slrtp``, DARSLP Tables 1-5): every
(prediction, reference) pair is aligned by exact DTW on flattened frames, and the per-joint Euclidean
error is averaged over **all aligned frame pairs of the set** (frame-pooled, not a mean of per-sentence
means). :func:`dtw_mje_sentences` keeps each sentence's mean error and its weight (aligned pairs x
joints), so ``weighted_mean(means, weights)`` over any resample of the sentences is the set's DTW-MJE:
that is the statistic the paired bootstrap resamples (``slpkit.metrics.bootstrap.weighted_mean``).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch

from slpkit.checks import check_int
from slpkit.eval.motion import length_stats
from slpkit.generators.darslp.autoencoder import REGION_ORDER
from slpkit.metrics import dtw_mje_slrtp
from slpkit.metrics.dtw import dtw_batch

__all__ = ["dtw_mje", "dtw_mje_sentences", "to_frame_rate", "motion_variance", "channel_entropy",
           "latent_channel_stats", "length_stats"]


def dtw_mje(preds: Sequence[np.ndarray], refs: Sequence[np.ndarray], subsample_ref: int = 1) -> float:
    """DTW-MJE, SLRTP 2025 convention (``slpkit.metrics.dtw_mje_slrtp``) on ``(T, 178, 3)`` sequences.

    SLRTP subsamples the 25 fps references ``[::2]``; :func:`~slpkit.generators.darslp.data.examples_from_corpus`
    has already done that (``frame_step``), so by default the references passed here are used as they
    are (``subsample_ref=1``). Pass full-rate references with ``subsample_ref=2``.
    """
    return float(dtw_mje_slrtp([np.asarray(p) for p in preds], [np.asarray(r) for r in refs], subsample_ref=subsample_ref))


def dtw_mje_sentences(preds: Sequence[np.ndarray], refs: Sequence[np.ndarray], subsample_ref: int = 1
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per-sentence DTW-MJE ``(N,)`` (mean per-joint error along the sentence's DTW path) and its weight ``(N,)``
    (aligned frame pairs x joints). ``np.average(means, weights=weights)`` equals :func:`dtw_mje`."""
    preds = [np.asarray(p, np.float64) for p in preds]
    refs = [np.asarray(r, np.float64)[::max(1, int(subsample_ref))] for r in refs]
    if len(preds) != len(refs) or not preds:
        raise ValueError(f"got {len(preds)} predictions and {len(refs)} references: pass one reference per "
                         "prediction (and at least one)")
    _, paths = dtw_batch(preds, refs, cost="euclidean", return_paths=True)
    means, weights = np.empty(len(preds)), np.empty(len(preds))
    for q, (p, r, path) in enumerate(zip(preds, refs, paths)):
        p = p.reshape(len(p), -1, 3)
        r = r.reshape(len(r), -1, 3)
        err = np.linalg.norm(p[path[:, 0]] - r[path[:, 1]], axis=-1)  # (L, J)
        means[q], weights[q] = float(err.mean()), float(err.size)
    return means, weights


def to_frame_rate(poses: np.ndarray, step: int) -> np.ndarray:
    """Undo a ``[::step]`` subsampling by linear interpolation along time: ``(T, ...) -> (T * step, ...)``.

    Generated poses live at the training rate (12.5 fps with ``frame_step=2``); the back-translator
    was trained on the corpus' full-rate poses, so they are brought back to it before scoring.
    """
    p = np.asarray(poses, dtype=np.float32)
    step = check_int(step, "step", min=1, hint="the frame_step the poses were subsampled with (1: unchanged)")
    if p.ndim == 0 or len(p) == 0:
        raise ValueError(f"poses has shape {p.shape}: pass a sequence of at least one frame")
    if step <= 1:
        return p
    pos = np.arange(len(p) * step) / step
    i0 = np.clip(np.floor(pos).astype(int), 0, len(p) - 1)
    i1 = np.clip(i0 + 1, 0, len(p) - 1)
    w = (pos - i0).reshape(-1, *([1] * (p.ndim - 1))).astype(np.float32)
    return (p[i0] * (1 - w) + p[i1] * w).astype(np.float32)


def motion_variance(sequences: Sequence[np.ndarray], joints: slice | Sequence[int]) -> float:
    """Mean over sequences of the temporal variance of the selected keypoints (averaged over joints and xyz).

    The regression-to-the-mean diagnostic (DARSLP Sec. 5.2): generated hands with much less variance
    than the ground truth mean the generator collapsed towards the average pose.
    """
    vals = [float(np.asarray(s)[:, joints, :].var(axis=0).mean()) for s in sequences if len(s) > 1]
    if not vals:
        raise ValueError("motion_variance needs sequences with at least 2 frames")
    return float(np.mean(vals))


def channel_entropy(values: np.ndarray, edges: np.ndarray) -> float:
    """Shannon entropy (nats) of the histogram of ``values`` over fixed bin ``edges``."""
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or not np.isfinite(e).all() or (np.diff(e) <= 0).any():
        raise ValueError(f"edges has shape {e.shape}: pass at least two finite, increasing bin edges")
    counts, _ = np.histogram(values, bins=edges)
    p = counts / max(1, counts.sum())
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def latent_channel_stats(encodings: Sequence[torch.Tensor] | torch.Tensor, latent_slices: Mapping[str, slice],
                         bins: int = 40, top_k: int = 8) -> dict[str, dict]:
    """DARSLP Figure 3: per-region channel histograms with entropy (E), IQR and SD.

    All channels share the same bin edges (1st..99th percentile of all encodings, ``bins`` bins),
    so a channel with little spread falls in few bins and gets low entropy, as in the paper
    (face channels). Returns ``{region: {"mean_entropy", "channels": [{"channel", "entropy",
    "iqr", "sd", "counts"}...top_k by entropy], "edges"}}``.
    """
    if isinstance(encodings, (list, tuple)):
        z = torch.cat([torch.as_tensor(e).reshape(-1, torch.as_tensor(e).shape[-1]) for e in encodings], 0)
    else:
        z = torch.as_tensor(encodings).reshape(-1, encodings.shape[-1])
    z = z.detach().cpu().numpy()
    lo, hi = np.percentile(z, 1), np.percentile(z, 99)
    edges = np.linspace(lo, hi, bins + 1)
    out = {}
    for name in REGION_ORDER:
        if name not in latent_slices:
            continue
        sl = latent_slices[name]
        chans = []
        for c in range(sl.start, sl.stop):
            v = z[:, c]
            q1, q3 = np.percentile(v, [25, 75])
            chans.append({"channel": c, "entropy": channel_entropy(v, edges), "iqr": float(q3 - q1), "sd": float(v.std()),
                          "counts": np.histogram(v, bins=edges)[0]})
        ents = [ch["entropy"] for ch in chans]
        out[name] = {"mean_entropy": float(np.mean(ents)), "channels": sorted(chans, key=lambda ch: -ch["entropy"])[:top_k],
                     "edges": edges}
    return out
