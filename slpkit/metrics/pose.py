"""Joint-position errors: MPJPE, PA-MPJPE, DTW-JPE, DTW-PA-JPE (SOKE convention).

SOKE (Zuo et al., "Signs as Tokens", CVPR 2025) Sec. 4 "Evaluation Metrics" and Tables 1-2,
computed as SOKE's public code does; M3T (Sec. 4.1, Table 1) and SignSparK (Tables 1-2) report
the same metrics. ``docs/reference.md``, "Three DTW conventions".

- :func:`mpjpe` / :func:`pa_mpjpe`: frames in correspondence (tokenizer reconstruction),
  mean over frames and joints of the Euclidean error; PA = per-frame similarity
  Procrustes first. Input in metres; ``unit='mm'`` multiplies by 1000.
- :func:`dtw_jpe`: SOKE DTW (mean-over-joints Euclidean cost, accumulated along the path,
  not normalised) after translating every frame so joint ``root`` coincides (joint 0: the
  neck of SOKE's 12-joint body set (the pelvis is not in that set), the
  wrist of a hand). SOKE's per-cell cost ``x - x[root] + y[root]`` vs ``y`` equals the distance
  between root-relative frames, which is what is computed here.
- :func:`dtw_pa_jpe`: the per-cell cost is the error after a similarity Procrustes of
  prediction frame ``i`` onto reference frame ``j`` on all joints, measured on
  ``subset`` (all joints if ``None``).
- :func:`part_scores`: both, per part (``body``, ``lhand``, ``rhand``), averaged over
  sequences. The prediction uses its own (decoded) length.

Shapes: a sequence is ``(T, J, 3)``; "preds"/"refs" are a list of them (or one array).

Tiny example::

    >>> import numpy as np
    >>> from slpkit.metrics.pose import mpjpe, dtw_jpe
    >>> x = np.random.default_rng(0).normal(size=(4, 21, 3))
    >>> mpjpe(x, x), dtw_jpe(x, np.repeat(x, 2, axis=0))
    (0.0, 0.0)
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numba
import numpy as np
import torch

from slpkit.checks import check_finite, check_nonempty
from slpkit.metrics.dtw import dtw_batch, dtw_from_costs
from slpkit.metrics.procrustes import svd_rotation, procrustes_align

__all__ = ["mpjpe", "pa_mpjpe", "dtw_jpe", "dtw_pa_jpe", "pa_cost_matrix", "part_scores", "PARTS"]

PARTS = ("body", "lhand", "rhand")
_UNITS = {"m": 1.0, "mm": 1000.0}


def _scale(unit: str) -> float:
    if unit not in _UNITS:
        raise ValueError(f"unit must be 'm' or 'mm' (inputs are assumed in metres), got {unit!r}.")
    return _UNITS[unit]


def _joints(x, name: str) -> np.ndarray:
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if x.ndim != 3 or x.shape[-1] != 3:
        raise ValueError(f"{name} has shape {x.shape}, expected joints (T, J, 3).")
    check_nonempty(x, name, axis=0)
    if x.shape[1] == 0:
        raise ValueError(f"{name} has zero joints (shape {x.shape}).")
    check_finite(x, name)
    return x.astype(np.float64)


def _as_list(xs, name: str) -> list[np.ndarray]:
    if isinstance(xs, (np.ndarray, torch.Tensor)) and xs.ndim == 3:
        xs = [xs]
    xs = list(xs)
    if not xs:
        raise ValueError(f"{name} is empty: pass at least one sequence.")
    return [_joints(x, f"{name}[{q}]") for q, x in enumerate(xs)]


def _pairs(preds, refs) -> tuple[list[np.ndarray], list[np.ndarray]]:
    ps, rs = _as_list(preds, "preds"), _as_list(refs, "refs")
    if len(ps) != len(rs):
        raise ValueError(f"got {len(ps)} predictions but {len(rs)} references; pass one reference per prediction.")
    for q, (p, r) in enumerate(zip(ps, rs)):
        if p.shape[1] != r.shape[1]:
            raise ValueError(
                f"preds[{q}] has {p.shape[1]} joints but refs[{q}] has {r.shape[1]}: use the same joint set."
            )
    return ps, rs


def _same_shape(pred, ref) -> tuple[np.ndarray, np.ndarray]:
    p = pred.detach().cpu().numpy() if isinstance(pred, torch.Tensor) else np.asarray(pred)
    r = ref.detach().cpu().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    if p.ndim < 2 or p.shape[-1] != 3 or p.shape != r.shape:
        raise ValueError(
            f"MPJPE needs pred and ref of the same shape (..., J, 3) with frames in correspondence; "
            f"got {p.shape} and {r.shape}. For different lengths use dtw_jpe / dtw_pa_jpe."
        )
    if p.size == 0:
        raise ValueError(f"MPJPE got an empty array (shape {p.shape}): pass at least one frame and joint.")
    check_finite(p, "pred")
    check_finite(r, "ref")
    return p.astype(np.float64), r.astype(np.float64)


def mpjpe(pred, ref, unit: str = "m") -> float:
    """Mean per-joint position error over all frames and joints; ``(..., J, 3)`` each."""
    k = _scale(unit)
    p, r = _same_shape(pred, ref)
    return float(np.linalg.norm(p - r, axis=-1).mean() * k)


def pa_mpjpe(pred, ref, unit: str = "m") -> float:
    """MPJPE after a per-frame similarity Procrustes (``(..., J, 3)``, every frame aligned alone)."""
    k = _scale(unit)
    p, r = _same_shape(pred, ref)
    return float(np.linalg.norm(procrustes_align(p, r) - r, axis=-1).mean() * k)


def _subset_idx(subset, J: int) -> np.ndarray:
    if subset is None:
        return np.arange(J)
    idx = np.asarray(subset)
    if idx.dtype == bool:
        if idx.shape != (J,):
            raise ValueError(f"subset is a bool mask of shape {idx.shape} but the sequences have {J} joints: pass one "
                             f"bool per joint, shape ({J},), or a list of joint indices")
        idx = np.nonzero(idx)[0]
    elif not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"subset {subset!r} (dtype {idx.dtype}): pass joint indices (integers) or a bool mask")
    idx = idx.astype(np.int64).ravel()
    if idx.size == 0 or idx.min() < -J or idx.max() >= J:
        raise ValueError(f"subset {subset!r} is empty or out of range for {J} joints.")
    return idx


def _reduce(values: np.ndarray, reduce: str):
    if reduce == "mean":
        return float(values.mean())
    if reduce == "none":
        return values
    raise ValueError(f"reduce={reduce!r}: use 'mean' (one number) or 'none' (one value per sequence)")


def dtw_jpe(preds, refs, root: int = 0, subset=None, unit: str = "m", reduce: str = "mean"):
    """DTW-JPE (SOKE): root-relative frames, SOKE DTW, mean over sequences.

    Args:
        preds, refs: lists of ``(T, J, 3)`` (lengths may differ) or single arrays.
        root: joint made to coincide in every frame (0: the neck for SOKE's body set, the wrist for a hand).
        subset: joints scored after translation (default all).
        reduce: ``'mean'`` (a float) or ``'none'`` (``(N,)`` array, one value per sequence: what the
            paired bootstrap of :mod:`slpkit.metrics.bootstrap` resamples).
    """
    _reduce(np.zeros(1), reduce)
    k = _scale(unit)
    ps, rs = _pairs(preds, refs)
    J = ps[0].shape[1]
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or not 0 <= root < J:
        raise ValueError(f"root={root!r} is not a joint index of these {J}-joint sequences: use 0..{J - 1} "
                         "(0 = the neck for SOKE's body set, the wrist for a hand).")
    for x in ps + rs:
        if x.shape[1] != J:
            raise ValueError(f"all sequences must share one joint set; got {J} and {x.shape[1]} joints.")
    idx = _subset_idx(subset, J)
    ps = [(p - p[:, root : root + 1])[:, idx] for p in ps]
    rs = [(r - r[:, root : root + 1])[:, idx] for r in rs]
    return _reduce(dtw_batch(ps, rs, cost="mean_joint_l2") * k, reduce)


@numba.njit(cache=True)
def _polar_rotation(h, R, x, c, iters: int = 40, tol: float = 1e-12) -> bool:
    """``R`` <- the rotation maximising ``tr(R h)`` of one 3x3 covariance ``h = X^T Y`` when ``det h > 0``: the
    orthogonal polar factor of ``h^T`` by Higham's scaled Newton iteration ``X <- (z X + X^{-T} / z) / 2``, the
    scalar form of :func:`slpkit.metrics.procrustes.rotation_from_covariance` (same start, scaling and stopping
    rule). Returns False (``R`` unset) for ``det h <= 0`` (a reflection to fix), near-singular ``h`` or no
    convergence: the caller takes the SVD. ``x``, ``c``: (9,) work arrays."""
    s = 0.0
    for a in range(3):
        for b in range(3):
            s += h[a, b] * h[a, b]
    s = np.sqrt(s)
    det = (h[0, 0] * (h[1, 1] * h[2, 2] - h[1, 2] * h[2, 1]) - h[0, 1] * (h[1, 0] * h[2, 2] - h[1, 2] * h[2, 0])
           + h[0, 2] * (h[1, 0] * h[2, 1] - h[1, 1] * h[2, 0]))
    if not det > 1e-8 * max(s, 1e-300) ** 3:
        return False
    for a in range(3):
        for b in range(3):
            x[3 * a + b] = h[b, a] / s
    for _ in range(iters):
        # cofactor matrix of x (rows = cross products of the other two rows): x^{-T} = c / det(x)
        c[0] = x[4] * x[8] - x[5] * x[7]
        c[1] = x[5] * x[6] - x[3] * x[8]
        c[2] = x[3] * x[7] - x[4] * x[6]
        c[3] = x[7] * x[2] - x[8] * x[1]
        c[4] = x[8] * x[0] - x[6] * x[2]
        c[5] = x[6] * x[1] - x[7] * x[0]
        c[6] = x[1] * x[5] - x[2] * x[4]
        c[7] = x[2] * x[3] - x[0] * x[5]
        c[8] = x[0] * x[4] - x[1] * x[3]
        d = x[0] * c[0] + x[1] * c[1] + x[2] * c[2]
        ny, nx = 0.0, 0.0
        for q in range(9):
            c[q] /= d
            ny += c[q] * c[q]
            nx += x[q] * x[q]
        z = np.sqrt(np.sqrt(ny / nx))
        step = 0.0
        for q in range(9):
            v = 0.5 * (z * x[q] + c[q] / z)
            step = max(step, abs(v - x[q]))
            x[q] = v
        if step < tol:
            for a in range(3):
                for b in range(3):
                    R[a, b] = x[3 * a + b]
            return True
    return False


@numba.njit(cache=True)
def _pa_cost_kernel(X, Y, varX, idx):
    """``(Tp, Tr)`` mean error on joints ``idx`` of ``s R x_i`` against ``y_k`` for centred frames ``X (Tp, J, 3)``,
    ``Y (Tr, J, 3)``; one similarity Procrustes (Umeyama) per pair, NaN where the Newton rotation does not apply."""
    Tp, J = X.shape[0], X.shape[1]
    Tr, S = Y.shape[0], idx.shape[0]
    out = np.empty((Tp, Tr))
    h, R = np.empty((3, 3)), np.empty((3, 3))
    x, c = np.empty(9), np.empty(9)
    for i in range(Tp):
        for k in range(Tr):
            for a in range(3):
                for b in range(3):
                    acc = 0.0
                    for j in range(J):
                        acc += X[i, j, a] * Y[k, j, b]
                    h[a, b] = acc
            if not _polar_rotation(h, R, x, c):
                out[i, k] = np.nan  # a reflection to fix or a degenerate frame: pa_cost_matrix takes the SVD
                continue
            trace = 0.0
            for a in range(3):
                for b in range(3):
                    trace += R[a, b] * h[b, a]
            scale = trace / max(varX[i], 1e-12)  # s = tr(R H) / |X|^2
            total = 0.0
            for q in range(S):
                j = idx[q]
                e = 0.0
                for a in range(3):
                    v = scale * (R[a, 0] * X[i, j, 0] + R[a, 1] * X[i, j, 1] + R[a, 2] * X[i, j, 2]) - Y[k, j, a]
                    e += v * v
                total += np.sqrt(e)
            out[i, k] = total / S
    return out


def pa_cost_matrix(pred, ref, subset=None) -> np.ndarray:
    """``(Tp, Tr)`` cost: error on ``subset`` after Procrustes of pred frame i onto ref frame j.

    All ``Tp * Tr`` similarity Procrustes fits run in one compiled loop (numba; per pair a 3x3 covariance,
    its polar rotation and the subset error, float64), the cost that makes DTW-PA-JPE ~60x DTW-JPE; the
    few pairs that need a reflection fixed (or are degenerate) take the batched SVD. The translation is
    the difference of the frame centroids (Umeyama), so frames are centred first.
    """
    p = _joints(pred, "pred")
    r = _joints(ref, "ref")
    if p.shape[1] != r.shape[1]:
        raise ValueError(f"pred has {p.shape[1]} joints but ref has {r.shape[1]}: use the same joint set.")
    if p.shape[1] < 3:
        raise ValueError(f"pred has {p.shape[1]} joint(s): a similarity Procrustes needs at least 3 joints "
                         "(with fewer it aligns them exactly and every error is 0)")
    idx = _subset_idx(subset, p.shape[1]) % p.shape[1]
    X = np.ascontiguousarray(p - p.mean(1, keepdims=True), dtype=np.float64)  # (Tp, J, 3)
    Y = np.ascontiguousarray(r - r.mean(1, keepdims=True), dtype=np.float64)  # (Tr, J, 3)
    varX = (X**2).sum((1, 2))
    out = _pa_cost_kernel(X, Y, varX, idx)
    i, k = np.nonzero(np.isnan(out))
    if len(i):  # det H <= 0 or near-singular: U S V^T = svd(H), R = V diag(1, 1, sign det(V U^T)) U^T
        H = np.swapaxes(X[i], 1, 2) @ Y[k]
        R = svd_rotation(H)
        s = np.einsum("nab,nba->n", R, H) / np.maximum(varX[i], 1e-12)
        A = s[:, None, None] * X[i][:, idx] @ np.swapaxes(R, 1, 2)
        out[i, k] = np.linalg.norm(A - Y[k][:, idx], axis=-1).mean(1)
    return out


def dtw_pa_jpe(preds, refs, subset=None, unit: str = "m", reduce: str = "mean"):
    """DTW-PA-JPE (SOKE): DTW over per-cell Procrustes errors, mean over sequences.

    Procrustes uses all joints of the given arrays; the error is measured on ``subset``.
    ``reduce='none'`` returns one value per sequence.
    """
    _reduce(np.zeros(1), reduce)
    k = _scale(unit)
    ps, rs = _pairs(preds, refs)
    costs = [pa_cost_matrix(p, r, subset) for p, r in zip(ps, rs)]
    return _reduce(np.asarray(dtw_from_costs(costs)) * k, reduce)


def _part_lists(parts, name: str) -> dict[str, list]:
    """Accept {part: array}, {part: [arrays]} or [{part: array}, ...]."""
    if isinstance(parts, Mapping):
        out = {}
        for key in PARTS:
            if key not in parts:
                raise ValueError(f"{name} lacks part {key!r}; expected keys {PARTS}, got {tuple(parts)}.")
            v = parts[key]
            out[key] = [v] if isinstance(v, (np.ndarray, torch.Tensor)) else list(v)
        return out
    seqs = list(parts)
    if not seqs:
        raise ValueError(f"{name} is empty.")
    for q, d in enumerate(seqs):
        missing = [k for k in PARTS if k not in d]
        if missing:
            raise ValueError(f"{name}[{q}] lacks part(s) {missing}; expected keys {PARTS}.")
    return {key: [d[key] for d in seqs] for key in PARTS}


def part_scores(pred_parts, ref_parts, unit: str = "m", root: int = 0, reduce: str = "mean", pa: bool = True) -> dict[str, dict]:
    """DTW-JPE and DTW-PA-JPE per part, averaged over sequences (SOKE Table 1 columns).

    Args:
        pred_parts, ref_parts: ``{'body': (T, 12, 3), 'lhand': (T, 21, 3), 'rhand': (T, 21, 3)}``
            for one sequence, the same dict with lists of arrays, or a list of such dicts
            (e.g. ``BodyModel.metric_joints`` outputs). The prediction keeps its own length.
        root: joint translated to coincide (0 = the neck of SOKE's 12-joint body set, the wrist of a hand).
        reduce: ``'mean'`` or ``'none'`` (per-sequence arrays).
        pa: also compute DTW-PA-JPE (the expensive one); ``False`` returns DTW-JPE only.

    Returns:
        ``{'body': {'dtw_jpe': ..., 'dtw_pa_jpe': ...}, 'lhand': {...}, 'rhand': {...}}``.
    """
    P, R = _part_lists(pred_parts, "pred_parts"), _part_lists(ref_parts, "ref_parts")
    out = {}
    for key in PARTS:
        out[key] = {"dtw_jpe": dtw_jpe(P[key], R[key], root=root, unit=unit, reduce=reduce)}
        if pa:
            out[key]["dtw_pa_jpe"] = dtw_pa_jpe(P[key], R[key], unit=unit, reduce=reduce)
    return out
