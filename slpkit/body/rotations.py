"""Rotation conversions: axis-angle, rotation matrix, 6D (Zhou et al.) and left/right mirroring.

All SMPL-X poses in slpkit are axis-angle (SOKE's released data; ``docs/reference.md``,
"SMPL-X layout and SOKE's 133-vector"); SignSparK and M3T feed their networks the continuous
6D representation of Zhou et al. (CVPR 2019), cited as "6D representation" in M3T Sec. 3.1
and used for SignSparK's rot6D features in its public code. The 6D convention fixed in ARCHITECTURE.md
is the first two *columns* of the matrix, flattened column by column::

    rot6d = R[..., :, :2].transpose(-1, -2).reshape(..., 6)   # (c0x, c0y, c0z, c1x, c1y, c1z)

Shapes: axis-angle ``(..., 3)``, matrices ``(..., 3, 3)``, 6D ``(..., 6)``.
Every function accepts a ``numpy.ndarray`` or a ``torch.Tensor`` and returns the
same type (numpy inputs are computed in float64 and cast back to their dtype;
torch inputs keep dtype, device and autograd).

Mirroring (sagittal plane, x -> -x in SMPL-X's frame where +x is the subject's left):
a reflection ``M = diag(-1, 1, 1)`` maps a rotation ``R`` to ``M R M``. Because an
axis-angle vector is a pseudo-vector it maps to ``det(M) M a = (x, -y, -z)``
(:func:`mirror_axis_angle`); element-wise, ``M R M`` is ``R * [[1,-1,-1],[-1,1,1],[-1,1,1]]``,
which is exactly what SignSparK's code multiplies left-hand matrices by
(:func:`mirror_matrix`). Hence ``mirror_matrix(axis_angle_to_matrix(a)) ==
axis_angle_to_matrix(mirror_axis_angle(a))`` (tested).

Example::

    >>> import numpy as np
    >>> from slpkit.body.rotations import axis_angle_to_rot6d, rot6d_to_axis_angle
    >>> aa = np.array([[0.1, -0.2, 0.3]], dtype=np.float32)
    >>> np.allclose(rot6d_to_axis_angle(axis_angle_to_rot6d(aa)), aa, atol=1e-6)
    True
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from slpkit.checks import check_float, check_int, check_last_dim, check_shape

__all__ = [
    "axis_angle_to_matrix",
    "matrix_to_axis_angle",
    "matrix_to_rot6d",
    "rot6d_to_matrix",
    "axis_angle_to_rot6d",
    "rot6d_to_axis_angle",
    "matrix_to_quaternion",
    "quaternion_to_axis_angle",
    "mirror_axis_angle",
    "mirror_matrix",
    "MIRROR_SIGNS",
]

#: element-wise sign pattern of ``diag(-1,1,1) @ R @ diag(-1,1,1)`` (SignSparK's left-hand mirror)
MIRROR_SIGNS = np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]])
_AA_SIGNS = (1.0, -1.0, -1.0)


def _numpy_compatible(fn):
    """Run a torch implementation on numpy input and hand numpy back (same dtype)."""

    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        if isinstance(x, torch.Tensor):
            return fn(x, *args, **kwargs)
        arr = np.asarray(x)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(f"{fn.__name__} needs a numeric array (numpy or torch), got {type(x).__name__} of dtype "
                             f"{arr.dtype}: {str(x)[:40]!r}")
        out_dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
        out = fn(torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64)), *args, **kwargs)
        return out.numpy().astype(out_dtype, copy=False)

    return wrapper


def _skew(v: torch.Tensor) -> torch.Tensor:
    x, y, z = v.unbind(-1)
    o = torch.zeros_like(x)
    return torch.stack([o, -z, y, z, o, -x, -y, x, o], dim=-1).reshape(v.shape[:-1] + (3, 3))


@_numpy_compatible
def axis_angle_to_matrix(aa):
    """Rodrigues' formula, ``(..., 3) -> (..., 3, 3)``.

    ``R = I + sinc(t) K + (1-cos t)/t^2 K^2`` with ``K = skew(aa)``; both coefficients use
    a Taylor series for small angles, so the result and its gradient are exact at 0.
    """
    check_last_dim(aa, 3, "axis-angle", "Axis-angle rotations are (..., 3).")
    t2 = (aa * aa).sum(-1, keepdim=True)[..., None]  # (...,1,1)
    small = t2 < 1e-8
    t2s = torch.where(small, torch.ones_like(t2), t2)
    ts = torch.sqrt(t2s)
    a = torch.where(small, 1.0 - t2 / 6.0 + t2 * t2 / 120.0, torch.sin(ts) / ts)
    b = torch.where(small, 0.5 - t2 / 24.0 + t2 * t2 / 720.0, (1.0 - torch.cos(ts)) / t2s)
    k = _skew(aa)
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device).expand(k.shape)
    return eye + a * k + b * (k @ k)


@_numpy_compatible
def matrix_to_quaternion(m):
    """Rotation matrix ``(..., 3, 3)`` -> unit quaternion ``(..., 4)`` as ``(w, x, y, z)``, ``w >= 0``.

    Shepperd's method: of the four algebraically equal candidates, the one with the
    largest denominator is taken, so the result is stable near 0 and near pi.
    """
    check_shape(m, (3, 3), "rotation matrix")
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    q_abs = torch.sqrt(
        torch.clamp(
            torch.stack(
                [1.0 + m00 + m11 + m22, 1.0 + m00 - m11 - m22, 1.0 - m00 + m11 - m22, 1.0 - m00 - m11 + m22],
                dim=-1,
            ),
            min=0.0,
        )
    )
    cands = torch.stack(
        [
            torch.stack([q_abs[..., 0] ** 2, m21 - m12, m02 - m20, m10 - m01], dim=-1),
            torch.stack([m21 - m12, q_abs[..., 1] ** 2, m10 + m01, m02 + m20], dim=-1),
            torch.stack([m02 - m20, m10 + m01, q_abs[..., 2] ** 2, m12 + m21], dim=-1),
            torch.stack([m10 - m01, m20 + m02, m21 + m12, q_abs[..., 3] ** 2], dim=-1),
        ],
        dim=-2,
    )
    floor = torch.tensor(0.1, dtype=q_abs.dtype, device=q_abs.device)
    cands = cands / (2.0 * torch.maximum(q_abs[..., None], floor))
    best = q_abs.argmax(dim=-1)
    q = torch.gather(cands, -2, best[..., None, None].expand(best.shape + (1, 4))).squeeze(-2)
    q = q / q.norm(dim=-1, keepdim=True)
    return torch.where(q[..., :1] < 0, -q, q)


@_numpy_compatible
def quaternion_to_axis_angle(q):
    """Quaternion ``(..., 4)`` ``(w, x, y, z)`` -> axis-angle ``(..., 3)`` with angle in ``[0, pi]``."""
    check_last_dim(q, 4, "quaternion", "Quaternions are (..., 4) as (w, x, y, z).")
    q = torch.where(q[..., :1] < 0, -q, q)
    xyz = q[..., 1:]
    s = xyz.norm(dim=-1, keepdim=True)
    half = torch.atan2(s, q[..., :1])
    small = s < 1e-6
    s_safe = torch.where(small, torch.ones_like(s), s)
    # angle / sin(angle/2) = 2*half/sin(half); for small half: 2/w * (1 + s^2/(6 w^2))-ish -> use 2/w
    w = q[..., :1]
    factor = torch.where(small, 2.0 / torch.where(w.abs() < 1e-6, torch.ones_like(w), w), 2.0 * half / s_safe)
    return xyz * factor


@_numpy_compatible
def matrix_to_axis_angle(m):
    """Rotation matrix ``(..., 3, 3)`` -> axis-angle ``(..., 3)``, angle in ``[0, pi]``.

    Goes through :func:`matrix_to_quaternion` (stable near 0 and pi). At exactly pi the
    sign of the axis is arbitrary (``a`` and ``-a`` are the same rotation).
    """
    return quaternion_to_axis_angle(matrix_to_quaternion(m))


@_numpy_compatible
def matrix_to_rot6d(m):
    """``(..., 3, 3) -> (..., 6)``: first two columns, column-major (ARCHITECTURE.md convention)."""
    check_shape(m, (3, 3), "rotation matrix")
    return m[..., :, :2].transpose(-1, -2).reshape(m.shape[:-2] + (6,))


@_numpy_compatible
def rot6d_to_matrix(r6):
    """``(..., 6) -> (..., 3, 3)`` by Gram-Schmidt (Zhou et al. 2019, Sec. 4).

    Exact inverse of :func:`matrix_to_rot6d` on rotation matrices; any non-degenerate
    6-vector (e.g. a network output) is projected to the nearest-by-construction rotation.
    """
    check_last_dim(r6, 6, "rot6d", "6D rotations are (..., 6): two matrix columns, column-major.")
    a1, a2 = r6[..., :3], r6[..., 3:]
    b1 = a1 / a1.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    a2p = a2 - (b1 * a2).sum(-1, keepdim=True) * b1
    b2 = a2p / a2p.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


@_numpy_compatible
def axis_angle_to_rot6d(aa):
    """``(..., 3) -> (..., 6)``."""
    return matrix_to_rot6d(axis_angle_to_matrix(aa))


@_numpy_compatible
def rot6d_to_axis_angle(r6):
    """``(..., 6) -> (..., 3)``."""
    return matrix_to_axis_angle(rot6d_to_matrix(r6))


def mirror_axis_angle(aa):
    """Reflect axis-angle rotations across the sagittal plane: ``(x, y, z) -> (x, -y, -z)``.

    Works on ``(..., 3)`` and on any flat ``(..., 3k)`` stack of joints (e.g. a 45-dim hand).
    Equivalent to :func:`mirror_matrix` on the corresponding matrices.
    """
    if aa.ndim == 0 or aa.shape[-1] % 3 != 0:
        raise ValueError(f"axis-angle has shape {tuple(aa.shape)}, expected (..., 3k) (3 values per joint).")
    k = aa.shape[-1] // 3
    if isinstance(aa, torch.Tensor):
        signs = torch.tensor(_AA_SIGNS * k, dtype=aa.dtype, device=aa.device)
    else:
        signs = np.asarray(_AA_SIGNS * k, dtype=aa.dtype if np.issubdtype(aa.dtype, np.floating) else np.float64)
    return aa * signs


def mirror_matrix(m):
    """Reflect rotation matrices across the sagittal plane, ``M R M`` with ``M = diag(-1, 1, 1)``.

    Implemented as SignSparK's code does it: element-wise product with
    ``[[1,-1,-1],[-1,1,1],[-1,1,1]]`` (:data:`MIRROR_SIGNS`). ``(..., 3, 3) -> (..., 3, 3)``.
    """
    check_shape(m, (3, 3), "rotation matrix")
    if isinstance(m, torch.Tensor):
        return m * torch.as_tensor(MIRROR_SIGNS, dtype=m.dtype, device=m.device)
    return m * MIRROR_SIGNS.astype(m.dtype if np.issubdtype(m.dtype, np.floating) else np.float64)


def random_rotations(n: int, max_angle: float = math.pi, seed: int = 0) -> np.ndarray:
    """``(n, 3)`` float64 axis-angle vectors with uniform random axes and angles in ``[0, max_angle)``
    (helper for tests and synthetic data)."""
    n = check_int(n, "n", min=0)
    max_angle = check_float(max_angle, "max_angle", min=0.0, hint="angles are drawn from [0, max_angle) radians")
    seed = check_int(seed, "seed", min=0)
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    return axis * rng.uniform(0.0, max_angle, size=(n, 1))
