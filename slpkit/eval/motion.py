"""Motion scores of generated V133 poses, the same for every system (SOKE, M3T, SignSparK, baselines).

Generated and reference poses are SOKE 133-vectors ``(T, 133)``; forward kinematics of the body
model gives SOKE's metric joint sets (12 body, 21 per hand) and :func:`pose_scores` reports
DTW-JPE / DTW-PA-JPE (SOKE Tables 1-2 convention: per-frame mean joint distance accumulated along
the DTW path, metres) for the body, each hand, the hands' mean and the 54-joint weighted average
("Avg" of SOKE Table 2), each with its per-sentence values for the paired bootstrap.

:func:`length_stats` tells whether generated lengths follow the references; :func:`mean_pose_baseline`
is the text-blind baseline every generator must beat; :func:`motion_variance_ratio` the
regression-to-the-mean diagnostic (generated / reference motion variance over time).

    >>> import numpy as np
    >>> x = np.zeros((8, 133), np.float32)
    >>> round(pose_scores([x], [x])["dtw_jpe_avg"], 6)
    0.0
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from slpkit.body.fk import default_body_model
from slpkit.checks import check_int
from slpkit.metrics.pose import part_scores

__all__ = ["METRIC_JOINTS", "SCORE_KEYS", "pose_scores", "length_stats", "mean_pose_baseline", "motion_variance_ratio"]

#: SOKE metric joint counts (body 12, each hand 21): "Avg" in SOKE Table 2 is the joint-weighted mean
#: (e.g. How2Sign sequential: (12 * 8.55 + 42 * 3.53) / 54 = 4.64).
METRIC_JOINTS = {"body": 12, "lhand": 21, "rhand": 21}
SCORE_KEYS = tuple(f"{m}_{p}" for m in ("dtw_jpe", "dtw_pa_jpe") for p in ("body", "lhand", "rhand", "hand", "avg"))


def pose_scores(preds: Sequence[np.ndarray], refs: Sequence[np.ndarray], body_model=None, pa: bool = True) -> dict[str, Any]:
    """SOKE metrics of V133 pose lists (metres): ``dtw_jpe_{body,lhand,rhand,hand,avg}`` and
    ``dtw_pa_jpe_...`` averaged over sentences, plus ``per_sentence`` with the same keys as ``(N,)``
    arrays. ``hand`` = mean of the two hands, ``avg`` = 54-joint weighted mean (SOKE Table 2).

    DTW-PA-JPE aligns every (generated frame, reference frame) pair with a Procrustes fit, ~60x the cost of
    DTW-JPE (about 10 CPU seconds for 170 SynthSign test sentences); ``pa=False`` skips it (learning checks
    against baselines use DTW-JPE)."""
    for name, x in (("preds", preds), ("refs", refs)):
        if isinstance(x, (str, bytes, dict)) or x is None or not hasattr(x, "__len__") or (
                isinstance(x, np.ndarray) and x.ndim == 2):
            raise ValueError(f"{name} must be a list of (T, 133) V133 sequences, got {type(x).__name__}"
                             + (f" of shape {x.shape} (wrap one sequence as [x])" if isinstance(x, np.ndarray) else ""))
    preds, refs = list(preds), list(refs)
    if len(preds) != len(refs) or not preds:
        raise ValueError(f"got {len(preds)} generated and {len(refs)} reference sequences: pass one reference "
                         "per generated sequence (and at least one)")
    bm = body_model or default_body_model()
    P = [bm.metric_joints(np.asarray(p, np.float32)) for p in preds]
    R = [bm.metric_joints(np.asarray(r, np.float32)) for r in refs]
    s = part_scores(P, R, reduce="none", pa=pa)
    per: dict[str, np.ndarray] = {}
    for m in ("dtw_jpe", "dtw_pa_jpe") if pa else ("dtw_jpe",):
        for p in ("body", "lhand", "rhand"):
            per[f"{m}_{p}"] = np.asarray(s[p][m], np.float64)
        per[f"{m}_hand"] = 0.5 * (per[f"{m}_lhand"] + per[f"{m}_rhand"])
        per[f"{m}_avg"] = sum(METRIC_JOINTS[p] * per[f"{m}_{p}"] for p in METRIC_JOINTS) / sum(METRIC_JOINTS.values())
    out: dict[str, Any] = {k: float(v.mean()) for k, v in per.items()}
    out["per_sentence"] = per
    return out


def length_stats(pred_frames: Sequence[int], ref_frames: Sequence[int], stopped: Sequence[bool] | None = None) -> dict[str, float]:
    """How well generated lengths track the references: ``len_err_frames`` (mean |T_pred - T_ref|),
    ``len_corr`` (Pearson correlation; nan when one side is constant) and, for autoregressive models,
    ``eos_fraction`` (share of samples that stopped by EOS before the step cap; ``stopped`` per sample)."""
    P, R = np.asarray(pred_frames, float), np.asarray(ref_frames, float)
    if P.shape != R.shape or P.size == 0 or P.ndim != 1:
        raise ValueError(f"{P.size} generated lengths but {R.size} reference lengths: pass one per sentence")
    if not (np.isfinite(P).all() and np.isfinite(R).all()) or (P < 0).any() or (R < 1).any():
        raise ValueError("lengths must be frame counts: generated >= 0, references >= 1 (got "
                         f"min {P.min():g} / {R.min():g})")
    if stopped is not None and len(stopped) != len(P):
        raise ValueError(f"stopped has {len(stopped)} entries for {len(P)} sentences: pass one per sentence")
    corr = float(np.corrcoef(P, R)[0, 1]) if len(P) > 1 and P.std() > 0 and R.std() > 0 else float("nan")
    out = {"len_err_frames": float(np.mean(np.abs(P - R))), "len_corr": corr}
    if stopped is not None:
        out["eos_fraction"] = float(np.mean(np.asarray(stopped, bool)))
    return out


def mean_pose_baseline(train_poses: Sequence[np.ndarray], n: int) -> list[np.ndarray]:
    """Text-blind baseline: the mean training frame repeated for the mean training length, ``n`` times.

    Frames of any shape: ``(T, 133)`` V133 vectors (SOKE, M3T) or ``(T, J, 3)`` keypoints (DARSLP)."""
    n = check_int(n, "n", min=1, hint="one baseline sequence per test sentence")
    train_poses = [np.asarray(p, np.float32) for p in train_poses]
    if not train_poses:
        raise ValueError("no training poses: the mean-pose baseline needs the train split")
    T = max(1, int(round(np.mean([len(p) for p in train_poses]))))
    mean = np.concatenate(train_poses).mean(0)
    return [np.repeat(mean[None], T, axis=0).astype(np.float32)] * int(n)


def motion_variance_ratio(preds: Sequence[np.ndarray], refs: Sequence[np.ndarray], columns=slice(None)) -> float:
    """Regression to the mean: mean over sentences of the temporal variance of the selected columns of the
    generated sequences, divided by the same for the references (1 = as much motion as the data)."""
    def var(seqs):
        vals = [float(np.asarray(s)[:, columns].var(0).mean()) for s in seqs if len(s) > 1]
        if not vals:
            raise ValueError("motion_variance_ratio needs sequences with at least 2 frames")
        return float(np.mean(vals))

    return var(preds) / max(var(refs), 1e-12)
