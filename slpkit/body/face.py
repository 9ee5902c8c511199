"""FLAME-like face landmark model driven by the SMPL-FX face vector ``F108``.

M3T (Sec. 3.1, App. 0.C) drives the face with ``F108`` = 100 FLAME expression coefficients +
2 eyelid parameters + jaw rotation in 6D; DARSLP / SLRTP represent the face by 128 MediaPipe
landmarks (DARSLP Sec. 3.1 and 4.1: the SLRTP 2025 challenge's 178 keypoints). FLAME itself needs licensed files,
so :class:`FaceModel` is a small stand-in with the same interface and the same
qualitative structure:

- 128 rest landmarks in the **head frame** (origin at SMPL-X's head joint, metres, y up,
  z forward, +x subject's left), one per MediaPipe face-mesh contour point, in the order of
  :data:`FACE128` (sorted MediaPipe indices = pose-format's ``FACEMESH_CONTOURS_POINTS``):
  face oval 36, lips 40 (outer 20, inner 20), eyes 2 x 16, brows 2 x 10.
- 100 fixed linear expression directions, orthogonal, with decreasing scale per component
  like a PCA basis (``SCALE_0 * (k+1)**-0.75`` metres per unit coefficient). The first ten
  are interpretable (see :data:`EXPRESSION_NAMES`: brow raise, smile, ...), the other 90
  smooth random fields, deterministic from ``seed``.
- 2 eyelid directions (``F108[100]`` left, ``F108[101]`` right; 1 = closed).
- jaw: ``F108[102:108]`` (6D) rotates the lower lip, chin and lower cheeks about the SMPL-X
  jaw joint with smooth skinning weights. An all-zero 6D block is read as identity, so
  ``zeros(108)`` is the neutral face.

Example::

    >>> import numpy as np
    >>> from slpkit.body.face import FaceModel
    >>> fm = FaceModel(seed=0)
    >>> f = np.zeros((5, 108), np.float32); f[:, 1] = 2.0          # smile
    >>> fm.landmarks(f).shape
    (5, 128, 3)
"""

from __future__ import annotations

import numpy as np
import torch

from slpkit.body import skeleton as S
from slpkit.body.layouts import FACE_EXPR, FACE_EYELID, FACE_JAW6D, check_face108
from slpkit.body.rotations import rot6d_to_matrix
from slpkit.checks import check_finite, check_int

__all__ = [
    "FaceModel", "FACE128", "FACE_GROUPS", "MP_CHAINS", "EXPRESSION_NAMES", "NUM_LANDMARKS", "SCALE_0",
    "FACE128_LIMBS",
]

# MediaPipe face-mesh contour chains (FACEMESH_FACE_OVAL / LIPS / EYES / EYEBROWS of
# mediapipe.python.solutions.face_mesh_connections, walked along their edges)
MP_CHAINS: dict[str, list[int]] = {
    "oval": [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
             148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109],
    "lips_outer_upper": [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291],
    "lips_outer_lower": [146, 91, 181, 84, 17, 314, 405, 321, 375],
    "lips_inner_upper": [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308],
    "lips_inner_lower": [95, 88, 178, 87, 14, 317, 402, 318, 324],
    "right_eye_upper": [33, 246, 161, 160, 159, 158, 157, 173, 133],
    "right_eye_lower": [7, 163, 144, 145, 153, 154, 155],
    "left_eye_upper": [263, 466, 388, 387, 386, 385, 384, 398, 362],
    "left_eye_lower": [249, 390, 373, 374, 380, 381, 382],
    "right_brow_lower": [46, 53, 52, 65, 55],
    "right_brow_upper": [70, 63, 105, 66, 107],
    "left_brow_lower": [276, 283, 282, 295, 285],
    "left_brow_upper": [300, 293, 334, 296, 336],
}
#: the 128 MediaPipe face-mesh indices used by the 178 layout, sorted (landmark order of FaceModel)
FACE128: tuple[int, ...] = tuple(sorted(i for c in MP_CHAINS.values() for i in c))
NUM_LANDMARKS = 128
_POS = {mp: k for k, mp in enumerate(FACE128)}
#: landmark indices (0..127) per region
FACE_GROUPS: dict[str, list[int]] = {
    "oval": [_POS[i] for i in MP_CHAINS["oval"]],
    "lips": [_POS[i] for n, c in MP_CHAINS.items() if n.startswith("lips") for i in c],
    "right_eye": [_POS[i] for i in MP_CHAINS["right_eye_upper"] + MP_CHAINS["right_eye_lower"]],
    "left_eye": [_POS[i] for i in MP_CHAINS["left_eye_upper"] + MP_CHAINS["left_eye_lower"]],
    "right_brow": [_POS[i] for i in MP_CHAINS["right_brow_lower"] + MP_CHAINS["right_brow_upper"]],
    "left_brow": [_POS[i] for i in MP_CHAINS["left_brow_lower"] + MP_CHAINS["left_brow_upper"]],
}


def _limbs() -> tuple[tuple[int, int], ...]:
    out = []

    def chain(c, closed=False):
        idx = [_POS[i] for i in c]
        out.extend(zip(idx[:-1], idx[1:]))
        if closed:
            out.append((idx[-1], idx[0]))

    chain(MP_CHAINS["oval"], closed=True)
    for side in ("lips_outer", "lips_inner"):
        up = MP_CHAINS[f"{side}_upper"]
        chain(up)
        chain([up[0]] + MP_CHAINS[f"{side}_lower"] + [up[-1]])
    for side in ("right_eye", "left_eye"):
        up = MP_CHAINS[f"{side}_upper"]
        chain(up)
        chain([up[0]] + MP_CHAINS[f"{side}_lower"] + [up[-1]])
    for n in ("right_brow_lower", "right_brow_upper", "left_brow_lower", "left_brow_upper"):
        chain(MP_CHAINS[n])
    return tuple(out)


#: edges between the 128 landmarks for plotting (MediaPipe contour topology)
FACE128_LIMBS = _limbs()

EXPRESSION_NAMES = (
    "brow_raise", "smile", "brow_furrow", "lip_pucker", "lips_part", "cheek_puff", "lip_press",
    "brow_asym", "squint", "frown",
)
SCALE_0 = 0.02  # metres (norm of the 384-dim displacement) per unit of the first coefficient

_MOUTH_Y, _MOUTH_Z = 0.010, 0.108
_EYE = (0.032, 0.080, 0.085)


def _rest_landmarks() -> np.ndarray:
    """Plausible head-frame positions of the 128 landmarks, built from the contour chains."""
    pos = np.zeros((NUM_LANDMARKS, 3))

    def put(mp, xyz):
        pos[_POS[mp]] = xyz

    # face oval: closed loop from forehead top towards the subject's left, chin half-way
    oval = MP_CHAINS["oval"]
    for k, mp in enumerate(oval):
        phi = 2 * np.pi * k / len(oval)
        x, c = 0.072 * np.sin(phi), np.cos(phi)
        y = 0.0475 + 0.0925 * c
        z = 0.015 + 0.085 * abs(c) ** 0.6 - (0.012 if c < 0 else 0.0) * abs(c)
        put(mp, (x, y, z))

    def lip(chain, half_w, h, dz, corners):
        n = len(chain)
        for k, mp in enumerate(chain):
            t = k / (n - 1) if corners else (k + 1) / (n + 1)
            x = -half_w + 2 * half_w * t
            s = np.sqrt(max(0.0, 1 - (x / half_w) ** 2))
            put(mp, (x, _MOUTH_Y + h * s, _MOUTH_Z + dz - 9.0 * x * x + 0.003 * s))

    lip(MP_CHAINS["lips_outer_upper"], 0.025, 0.008, 0.002, True)
    lip(MP_CHAINS["lips_outer_lower"], 0.025, -0.010, 0.0, False)
    lip(MP_CHAINS["lips_inner_upper"], 0.021, 0.0015, -0.002, True)
    lip(MP_CHAINS["lips_inner_lower"], 0.021, -0.0015, -0.002, False)

    ex, ey, ez = _EYE
    for side, sgn in (("right", -1.0), ("left", 1.0)):
        up, lo = MP_CHAINS[f"{side}_eye_upper"], MP_CHAINS[f"{side}_eye_lower"]
        # chains run outer corner -> inner corner
        for k, mp in enumerate(up):
            t = k / (len(up) - 1)
            x = sgn * (ex + 0.015 - 0.030 * t)
            s = np.sin(np.pi * t)
            put(mp, (x, ey + 0.006 * s, ez + 0.004 * s))
        for k, mp in enumerate(lo):
            t = (k + 1) / (len(lo) + 1)
            x = sgn * (ex + 0.015 - 0.030 * t)
            s = np.sin(np.pi * t)
            put(mp, (x, ey - 0.005 * s, ez + 0.003 * s))
        for row, dy in (("lower", 0.0), ("upper", 0.007)):
            ch = MP_CHAINS[f"{side}_brow_{row}"]
            for k, mp in enumerate(ch):
                t = k / (len(ch) - 1)
                x = sgn * (0.056 - 0.044 * t)
                put(mp, (x, 0.103 + dy + 0.006 * np.sin(np.pi * (0.3 + 0.7 * t)), 0.094 - 0.25 * (abs(x) - 0.012)))
    return pos


def _smooth_field(rng, rest, n_centres=5, sigma=0.025):
    c = rest[rng.choice(len(rest), n_centres, replace=False)]
    vec = rng.normal(size=(n_centres, 3))
    d2 = ((rest[:, None] - c[None]) ** 2).sum(-1)
    return (np.exp(-d2 / (2 * sigma**2))[..., None] * vec[None]).sum(1)


def _semantic_fields(rest: np.ndarray) -> list[np.ndarray]:
    G = FACE_GROUPS
    n = NUM_LANDMARKS
    idx = {mp: _POS[mp] for mp in FACE128}
    corners = [idx[61], idx[291], idx[78], idx[308]]
    upper_lips = [idx[i] for i in MP_CHAINS["lips_outer_upper"][1:-1] + MP_CHAINS["lips_inner_upper"][1:-1]]
    lower_lips = [idx[i] for i in MP_CHAINS["lips_outer_lower"] + MP_CHAINS["lips_inner_lower"]]
    up_lids = [idx[i] for s in ("right", "left") for i in MP_CHAINS[f"{s}_eye_upper"][1:-1]]
    lo_lids = [idx[i] for s in ("right", "left") for i in MP_CHAINS[f"{s}_eye_lower"]]
    brows = G["right_brow"] + G["left_brow"]
    near_mouth = np.exp(-(((rest - [0, _MOUTH_Y, _MOUTH_Z]) ** 2).sum(-1)) / (2 * 0.03**2))
    out = []
    f = np.zeros((n, 3)); f[brows, 1] = 1.0; f[up_lids, 1] = 0.3; out.append(f)  # brow_raise
    f = np.zeros((n, 3)); f[corners, 1] = 0.8; f[corners, 0] = np.sign(rest[corners, 0]) * 0.6
    f[:, 1] += 0.2 * near_mouth; out.append(f)  # smile
    f = np.zeros((n, 3)); inner = [i for i in brows if abs(rest[i, 0]) < 0.03]
    f[inner, 0] = -np.sign(rest[inner, 0]); f[brows, 1] -= 0.4; out.append(f)  # brow_furrow
    lips = G["lips"]
    f = np.zeros((n, 3)); f[lips, 0] = -rest[lips, 0] / 0.025; f[lips, 2] = 0.6; out.append(f)  # lip_pucker
    f = np.zeros((n, 3)); f[upper_lips, 1] = 0.5; f[lower_lips, 1] = -1.0; out.append(f)  # lips_part
    f = np.zeros((n, 3)); mid = [i for i in G["oval"] if -0.03 < rest[i, 1] < 0.05]
    f[mid, 0] = np.sign(rest[mid, 0]); f[lips, 2] += 0.3; out.append(f)  # cheek_puff
    f = np.zeros((n, 3)); f[upper_lips, 1] = -0.5; f[lower_lips, 1] = 0.5; f[lips, 2] -= 0.3; out.append(f)  # lip_press
    f = np.zeros((n, 3)); f[brows, 1] = np.sign(rest[brows, 0]); out.append(f)  # brow_asym
    f = np.zeros((n, 3)); f[lo_lids, 1] = 1.0; f[up_lids, 1] = -0.5; out.append(f)  # squint
    f = np.zeros((n, 3)); f[corners, 1] = -1.0; f[:, 1] -= 0.2 * near_mouth; out.append(f)  # frown
    return out


class FaceModel:
    """128-landmark face driven by ``F108`` (see module docstring). Deterministic from ``seed``.

    Attributes: ``rest (128, 3)``, ``expr_basis (100, 128, 3)`` (orthogonal, scaled),
    ``eyelid_basis (2, 128, 3)``, ``jaw_weights (128,)``, ``jaw_offset (3,)`` (jaw joint in
    the head frame), ``limbs`` (plot edges).
    """

    def __init__(self, seed: int = 0, n_expr: int = 100):
        seed = check_int(seed, "seed", min=0)
        n_expr = check_int(n_expr, "n_expr", min=1, max=100, hint="the F108 face carries 100 expression coefficients")
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.rest = _rest_landmarks()
        fields = _semantic_fields(self.rest)
        while len(fields) < n_expr:
            fields.append(_smooth_field(rng, self.rest))
        A = np.stack([f.reshape(-1) for f in fields[:n_expr]], axis=1)  # (384, 100)
        Q, Rr = np.linalg.qr(A)
        Q = Q * np.sign(np.diag(Rr))[None]  # keep the semantic orientation of each direction
        scale = SCALE_0 * (np.arange(n_expr) + 1.0) ** -0.75
        self.expr_basis = (Q.T * scale[:, None]).reshape(n_expr, NUM_LANDMARKS, 3)
        self.expr_scale = scale
        # eyelids: upper-lid points move down to the lid line (1 = closed)
        lid = np.zeros((2, NUM_LANDMARKS, 3))
        for k, side in enumerate(("left", "right")):
            for mp in MP_CHAINS[f"{side}_eye_upper"][1:-1]:
                i = _POS[mp]
                lid[k, i, 1] = -(self.rest[i, 1] - _EYE[1]) - 0.001
                lid[k, i, 2] = 0.002
        self.eyelid_basis = lid
        # jaw skinning weights
        head = S.REST_JOINTS[S.HEAD]
        self.jaw_offset = S.REST_JOINTS[S.JOINT_NAMES.index("jaw")] - head
        w = np.clip((_MOUTH_Y - self.rest[:, 1]) / 0.02, 0.0, 1.0)
        for mp in MP_CHAINS["lips_outer_lower"] + MP_CHAINS["lips_inner_lower"]:
            w[_POS[mp]] = 1.0
        for mp in MP_CHAINS["lips_outer_upper"][1:-1] + MP_CHAINS["lips_inner_upper"][1:-1]:
            w[_POS[mp]] = 0.0
        for mp in (61, 291, 78, 308):
            w[_POS[mp]] = 0.5
        self.jaw_weights = w
        self.limbs = FACE128_LIMBS
        self._t = {k: torch.as_tensor(getattr(self, k), dtype=torch.float32)
                   for k in ("rest", "expr_basis", "eyelid_basis", "jaw_weights", "jaw_offset")}

    def __repr__(self) -> str:
        return f"FaceModel(seed={self.seed}, landmarks=128, expression={len(self.expr_basis)})"

    def landmarks(self, face108, head_transform=None):
        """``F108 (..., 108)`` -> landmarks ``(..., 128, 3)``.

        ``head_transform``: optional ``(R, t)`` with ``R (..., 3, 3)``, ``t (..., 3)`` (e.g.
        ``BodyModel.head_transform(v133)``) or a ``(..., 4, 4)`` matrix; without it the result
        is in the head frame. numpy in -> numpy float32 out; torch in -> torch out.
        """
        face108 = check_face108(face108)
        was_torch = isinstance(face108, torch.Tensor)
        f = face108 if was_torch else torch.as_tensor(np.asarray(face108), dtype=torch.float32)
        dt, dev = f.dtype, f.device
        T = {k: v.to(dt).to(dev) for k, v in self._t.items()}
        n_expr = T["expr_basis"].shape[0]
        expr = f[..., FACE_EXPR][..., :n_expr]
        pts = T["rest"] + torch.einsum("...k,kld->...ld", expr, T["expr_basis"])
        pts = pts + torch.einsum("...k,kld->...ld", f[..., FACE_EYELID], T["eyelid_basis"])
        r6 = f[..., FACE_JAW6D]
        zero = (r6[..., :3].norm(dim=-1) < 1e-8) | (r6[..., 3:].norm(dim=-1) < 1e-8)
        ident = torch.tensor([1.0, 0, 0, 0, 1.0, 0], dtype=dt, device=dev)
        r6 = torch.where(zero[..., None], ident, r6)
        Rj = rot6d_to_matrix(r6)
        J = T["jaw_offset"]
        moved = ((pts - J)[..., None, :] * Rj[..., None, :, :]).sum(-1) + J  # R @ (p - J) + J
        w = T["jaw_weights"][:, None]
        pts = pts + w * (moved - pts)
        if head_transform is not None:
            pts = _apply_transform(pts, head_transform)
        return pts if was_torch else pts.detach().cpu().numpy().astype(np.float32)


def _apply_transform(pts: torch.Tensor, tf) -> torch.Tensor:
    lead = tuple(pts.shape[:-2])
    hint = (f"pass (R (..., 3, 3), t (..., 3)) or a (..., 4, 4) matrix with the face's leading shape {lead} "
            "(BodyModel.head_transform(v133) gives one)")
    if isinstance(tf, (tuple, list)):
        if len(tf) != 2:
            raise ValueError(f"head_transform is a {type(tf).__name__} of {len(tf)} items: {hint}")
        R, t = tf
    else:
        m = torch.as_tensor(np.asarray(tf) if not isinstance(tf, torch.Tensor) else tf, dtype=pts.dtype, device=pts.device)
        if m.ndim < 2 or tuple(m.shape[-2:]) != (4, 4):
            raise ValueError(f"head_transform has shape {tuple(m.shape)}: {hint}")
        R, t = m[..., :3, :3], m[..., :3, 3]
    R = torch.as_tensor(np.asarray(R) if not isinstance(R, torch.Tensor) else R, dtype=pts.dtype, device=pts.device)
    t = torch.as_tensor(np.asarray(t) if not isinstance(t, torch.Tensor) else t, dtype=pts.dtype, device=pts.device)
    if R.ndim < 2 or tuple(R.shape[-2:]) != (3, 3) or t.ndim < 1 or t.shape[-1] != 3:
        raise ValueError(f"head_transform has R of shape {tuple(R.shape)} and t of shape {tuple(t.shape)}: {hint}")
    try:
        torch.broadcast_shapes(tuple(R.shape[:-2]), tuple(t.shape[:-1]), lead)
    except RuntimeError:
        raise ValueError(f"head_transform (R {tuple(R.shape)}, t {tuple(t.shape)}) does not match the face's "
                         f"{lead[0] if lead else 1} frame(s): {hint}") from None
    check_finite(R, "head_transform R")
    check_finite(t, "head_transform t")
    return (R[..., None, :, :] @ pts[..., None])[..., 0] + t[..., None, :]
