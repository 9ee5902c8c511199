"""Batched similarity Procrustes (scale, rotation, translation) with reflection fix.

Reference: ``shared/reference-notes.md`` ("Metrics": DTW-PA-JPE and PA-MPJPE apply a
per-frame similarity Procrustes, scale + rotation + translation, with the reflection
fix) as used by SOKE; the closed form is Umeyama (1991)::

    X = pred - mean(pred),  Y = ref - mean(ref)         (per frame, over joints)
    U S V^T = svd(X^T Y),   d = sign(det(V U^T))
    R = V diag(1, 1, d) U^T,  s = (S . [1, 1, d]) / |X|^2,  t = mean(ref) - s R mean(pred)
    aligned = s pred R^T + t

Shapes: ``pred``, ``ref`` ``(..., J, 3)`` (any leading batch axes, e.g. ``(T, J, 3)``
aligns every frame independently). Computation in float64 numpy; a torch input returns
a torch tensor of the input's dtype and device.

Tiny example::

    >>> import numpy as np
    >>> from slpkit.metrics.procrustes import procrustes_align
    >>> ref = np.random.default_rng(0).normal(size=(5, 3))
    >>> pred = 2.0 * ref[:, ::-1] + 1.0        # scaled, reflected/permuted, shifted
    >>> procrustes_align(pred, ref).shape
    (5, 3)
"""

from __future__ import annotations

import numpy as np
import torch

from slpkit.checks import check_finite

__all__ = ["similarity_transform", "procrustes_align"]


def _check_pair(pred, ref) -> tuple[np.ndarray, np.ndarray]:
    p = pred.detach().cpu().numpy() if isinstance(pred, torch.Tensor) else np.asarray(pred)
    r = ref.detach().cpu().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref)
    if p.ndim < 2 or r.ndim < 2:
        raise ValueError(f"Procrustes needs (..., J, 3) arrays, got shapes {p.shape} and {r.shape}.")
    if p.shape != r.shape:
        raise ValueError(
            f"Procrustes needs pred and ref of the same shape (..., J, 3) with frames in correspondence; "
            f"got {p.shape} and {r.shape}. Align the time axes first (e.g. with DTW) and use the same joints."
        )
    if p.shape[-2] == 0:
        raise ValueError(f"Procrustes got zero joints (shape {p.shape}).")
    check_finite(p, "pred")
    check_finite(r, "ref")
    return p.astype(np.float64), r.astype(np.float64)


def rotation_from_covariance(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kabsch with reflection fix: the proper rotation ``R`` maximising ``tr(R H)``.

    ``H (..., 3, 3) = X^T Y`` of centred point sets. Returns ``R (..., 3, 3)`` (``det R = +1``,
    ``R = V diag(1, 1, d) U^T``) and the sign-fixed singular values ``(..., 3)``, whose sum
    is the optimal ``tr(R H)`` (the numerator of the similarity scale).
    """
    U, S, Vt = np.linalg.svd(H)
    V = np.swapaxes(Vt, -1, -2)
    Ut = np.swapaxes(U, -1, -2)
    d = np.sign(np.linalg.det(V @ Ut))
    d = np.where(d == 0, 1.0, d)  # degenerate (planar/collinear) sets: keep the proper solution
    fix = np.ones(S.shape)
    fix[..., -1] = d
    return (V * fix[..., None, :]) @ Ut, S * fix


def _transform(p: np.ndarray, r: np.ndarray):
    mu_p = p.mean(-2, keepdims=True)
    mu_r = r.mean(-2, keepdims=True)
    X = p - mu_p
    Y = r - mu_r
    R, S = rotation_from_covariance(np.swapaxes(X, -1, -2) @ Y)
    var = (X**2).sum((-1, -2))
    s = S.sum(-1) / np.maximum(var, 1e-12)
    t = mu_r[..., 0, :] - s[..., None] * (mu_p @ np.swapaxes(R, -1, -2))[..., 0, :]
    return s, R, t


def similarity_transform(pred, ref):
    """Best ``(s, R, t)`` with ``ref ~ s * pred @ R.T + t`` per leading index.

    Returns numpy arrays ``s (...)``, ``R (..., 3, 3)`` (``det R = +1``), ``t (..., 3)``.
    """
    p, r = _check_pair(pred, ref)
    return _transform(p, r)


def procrustes_align(pred, ref):
    """Align ``pred`` to ``ref`` by similarity Procrustes; shapes ``(..., J, 3)``.

    Returns the aligned prediction (same shape; numpy float64, or torch like the input).
    """
    p, r = _check_pair(pred, ref)
    s, R, t = _transform(p, r)
    out = s[..., None, None] * (p @ np.swapaxes(R, -1, -2)) + t[..., None, :]
    if isinstance(pred, torch.Tensor):
        return torch.as_tensor(out, dtype=pred.dtype if pred.is_floating_point() else torch.float32, device=pred.device)
    return out
