"""SLERP baseline of SignSparK Table 2: interpolate the joint rotations between the same keyframes.

KF2P asks for the dense sequence given its keyframes; the baseline the paper compares against
interpolates each joint's rotation between consecutive keyframes with spherical linear interpolation
(Shoemake 1985) of unit quaternions, ``slerp(q0, q1, u) = sin((1-u) w) / sin w q0 + sin(u w) / sin w q1``
with ``cos w = <q0, q1>`` (``q1`` negated first when ``<q0, q1> < 0``: the shorter arc). The rotation
angle then grows linearly in ``u``: constant angular speed between two keyframes. Before the first and
after the last keyframe the pose is held; the 50 expression coefficients are interpolated linearly.

Frames are SignSparK's ``(T, 296)`` rot6D vectors (:mod:`~slpkit.generators.signspark.features`):
41 rotations (body 10, hands 15 + 15, jaw) then 50 expression values. Keyframe frames are returned
exactly as given.

    >>> import numpy as np
    >>> from slpkit.generators.signspark.features import v133_to_features
    >>> v = np.zeros((2, 133), np.float32); v[1, 75:78] = [0.0, 0.0, 1.0]
    >>> x = slerp_keyframes(v133_to_features(v), [0, 4], 5)
    >>> x.shape
    (5, 296)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from slpkit.body.rotations import matrix_to_quaternion, matrix_to_rot6d, rot6d_to_matrix
from slpkit.checks import check_motion
from slpkit.generators.signspark.features import EXPR, FEATURE_DIM, N_ROTATIONS, ROT_DIMS
from slpkit.generators.signspark.keyframes import check_keyframes

__all__ = ["quaternion_to_matrix", "slerp", "slerp_keyframes", "slerp_baseline"]


def quaternion_to_matrix(q: torch.Tensor) -> torch.Tensor:
    """Unit quaternion ``(..., 4)`` as ``(w, x, y, z)`` -> rotation matrix ``(..., 3, 3)``."""
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
    ], -1).reshape(q.shape[:-1] + (3, 3))


def slerp(q0: torch.Tensor, q1: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Spherical linear interpolation of unit quaternions ``(..., 4)`` at ``u`` (broadcast to ``(...)``),
    along the shorter arc; nearly equal rotations fall back to normalised linear interpolation."""
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)
    dot = dot.abs().clamp(max=1.0)
    u = u[..., None] if u.dim() == q0.dim() - 1 else u
    w = torch.arccos(dot)
    s = torch.sin(w)
    near = s < 1e-6
    s_safe = torch.where(near, torch.ones_like(s), s)
    a = torch.where(near, 1 - u, torch.sin((1 - u) * w) / s_safe)
    b = torch.where(near, u, torch.sin(u * w) / s_safe)
    q = a * q0 + b * q1
    return q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def slerp_keyframes(values: np.ndarray, keyframes: Sequence[int], num_frames: int) -> np.ndarray:
    """``(T, 296)`` frames from keyframe frames ``values`` ``(K, 296)`` at sorted indices ``keyframes``."""
    vals = np.asarray(values, np.float64)
    check_motion(vals, FEATURE_DIM, "keyframe values", "Pass SignSparK (K, 296) rot6D frames, one per keyframe.")
    kf = check_keyframes(keyframes, num_frames)
    if len(kf) != len(vals):
        raise ValueError(f"{len(vals)} keyframe values for {len(kf)} keyframe indices: pass one frame per keyframe")
    T, K = int(num_frames), len(kf)
    t = np.arange(T)
    if K == 1:
        lo, u = np.zeros(T, np.int64), np.zeros(T)
        hi = lo
    else:
        lo = np.clip(np.searchsorted(kf, t, side="right") - 1, 0, K - 2)
        hi = lo + 1
        u = np.clip((t - kf[lo]) / (kf[hi] - kf[lo]), 0.0, 1.0)
    v = torch.from_numpy(vals)
    q = matrix_to_quaternion(rot6d_to_matrix(v[:, :ROT_DIMS].reshape(K, N_ROTATIONS, 6)))  # (K, 41, 4)
    ut = torch.from_numpy(u)[:, None].expand(T, N_ROTATIONS)
    qt = slerp(q[torch.from_numpy(lo)], q[torch.from_numpy(hi)], ut)  # (T, 41, 4)
    rot = matrix_to_rot6d(quaternion_to_matrix(qt)).reshape(T, ROT_DIMS)
    ex = vals[lo, EXPR] * (1 - u)[:, None] + vals[hi, EXPR] * u[:, None]
    out = np.concatenate([rot.numpy(), ex], -1).astype(np.float32)
    out[kf] = np.asarray(values, np.float32)
    return out


def slerp_baseline(reference: np.ndarray, keyframes: Sequence[int]) -> np.ndarray:
    """KF2P by SLERP: the reference ``(T, 296)`` sequence rebuilt from its frames at ``keyframes``."""
    ref = np.asarray(reference)
    check_motion(ref, FEATURE_DIM, "reference")
    kf = check_keyframes(keyframes, len(ref))
    return slerp_keyframes(ref[kf], kf, len(ref))
