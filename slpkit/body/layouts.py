"""Fixed SMPL-X vector layouts shared by every slpkit module (ARCHITECTURE.md "Body layouts").

Sources: SOKE Sec. 3.1 (d = 133) and Table 4 (whole / body+hands / body+lhand+rhand tokenizer
partitions), with the key names and slices of SOKE's released data and public code; M3T
Appendix 0.C (SMPL-FX face = 100 FLAME expression + 2 eyelid + 6D jaw = 108); SignSparK's
public code (rot6D streams: body 60, hands 90 each, face = jaw 6D + 50 expression = 56).
``docs/reference.md``, "SMPL-X layout and SOKE's 133-vector".

``V133`` (SOKE vector, axis-angle), per frame::

    [0:30]    upper body = SMPL-X joints 12..21 (neck, l_collar, r_collar, head,
              l_shoulder, r_shoulder, l_elbow, r_elbow, l_wrist, r_wrist), 3 each
    [30:75]   left hand, 15 joints (SMPL-X order index1-3, middle1-3, pinky1-3, ring1-3, thumb1-3)
    [75:120]  right hand, 15 joints
    [120:123] jaw
    [123:133] expression (10)

Parts: ``body = [0:30] + [120:133]`` (43), ``lhand`` (45), ``rhand`` (45).
``F108`` (SMPL-FX face): ``[0:100]`` expression, ``[100:102]`` eyelids (left, right),
``[102:108]`` jaw in 6D. Consistency: ``F108[:, :10] == V133[:, 123:133]`` and
``F108[:, 102:108] == rot6d(V133[:, 120:123])``; builders here treat the V133 as
authoritative and overwrite those entries.

Round trips through 6D (:func:`smplfx_streams`, :func:`rot6d_streams`) return axis-angle with
angle in ``[0, pi]``: exact for every rotation of angle < pi (all real poses), while a vector
of norm > pi comes back as the equivalent shorter rotation.

Example::

    >>> import numpy as np
    >>> from slpkit.body import layouts as L
    >>> v = np.zeros((4, 133), np.float32)
    >>> parts = L.split_parts(v)
    >>> {k: p.shape for k, p in parts.items()}
    {'body': (4, 43), 'lhand': (4, 45), 'rhand': (4, 45)}
    >>> np.array_equal(L.merge_parts(parts), v)
    True
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Mapping, Sequence

import numpy as np
import torch

from slpkit.body.rotations import (
    axis_angle_to_rot6d,
    mirror_axis_angle,
    rot6d_to_axis_angle,
)
from slpkit.checks import check_finite, check_last_dim, check_nonempty, check_same_leading

__all__ = [
    "D133", "F108", "D179", "UPPER_BODY", "LHAND", "RHAND", "JAW", "EXPR", "PART_INDICES", "PART_DIMS",
    "SOKE_KEYS", "UPPER_BODY_JOINTS", "UPPER_BODY_JOINT_NAMES", "PARTITIONS", "FACE_EXPR", "FACE_EYELID",
    "FACE_JAW6D", "ROT6D_DIMS", "SMPLFX_DIMS", "check_v133", "check_face108", "keys_to_v133", "v133_to_keys",
    "v133_to_full_pose", "split_parts", "merge_parts", "partition_dims", "split_partition", "merge_partition",
    "face108_from", "smplfx_streams", "smplfx_to_v133", "rot6d_streams", "rot6d_streams_to_v133",
    "mirror_hand", "mirror_v133",
]

D133 = 133
F108 = 108
D179 = 179
UPPER_BODY = slice(0, 30)
LHAND = slice(30, 75)
RHAND = slice(75, 120)
JAW = slice(120, 123)
EXPR = slice(123, 133)

#: SMPL-X joint ids of the 10 upper-body joints in ``V133[0:30]``
UPPER_BODY_JOINTS = tuple(range(12, 22))
UPPER_BODY_JOINT_NAMES = (
    "neck", "left_collar", "right_collar", "head", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)

PART_INDICES: dict[str, list[int]] = {
    "body": list(range(0, 30)) + list(range(120, 133)),
    "lhand": list(range(30, 75)),
    "rhand": list(range(75, 120)),
}
PART_DIMS = {k: len(v) for k, v in PART_INDICES.items()}

#: SOKE per-frame pickle keys and sizes, in this order (179 values)
SOKE_KEYS: "OrderedDict[str, int]" = OrderedDict(
    [
        ("smplx_root_pose", 3),
        ("smplx_body_pose", 63),
        ("smplx_lhand_pose", 45),
        ("smplx_rhand_pose", 45),
        ("smplx_jaw_pose", 3),
        ("smplx_shape", 10),
        ("smplx_expr", 10),
    ]
)

#: SOKE Table 4 tokenizer partitions: name -> ordered {part: V133 indices}
PARTITIONS: dict[str, dict[str, list[int]]] = {
    "whole": {"whole": list(range(133))},
    "body_hands": {"body": PART_INDICES["body"], "hands": list(range(30, 120))},
    "body_lhand_rhand": dict(PART_INDICES),
}

FACE_EXPR = slice(0, 100)
FACE_EYELID = slice(100, 102)
FACE_JAW6D = slice(102, 108)
#: SignSparK rot6D streams
ROT6D_DIMS = {"body": 60, "lhand": 90, "rhand": 90, "face": 56}
#: M3T SMPL-FX streams (body and hands in 6D, face = F108)
SMPLFX_DIMS = {"body": 60, "lhand": 90, "rhand": 90, "face": 108}

_V133_HINT = (
    "The SOKE V133 layout is [0:30] upper body (SMPL-X joints 12-21, axis-angle), [30:75] left hand, "
    "[75:120] right hand, [120:123] jaw, [123:133] expression. If you have the 179-value SOKE keys, "
    "use slpkit.body.layouts.keys_to_v133."
)
_F108_HINT = "The SMPL-FX face layout F108 is [0:100] expression, [100:102] eyelids, [102:108] jaw 6D (M3T)."


# ----------------------------------------------------------------------------- helpers
def _is_torch(x) -> bool:
    return isinstance(x, torch.Tensor)


def _cat(xs: Sequence, axis: int = -1):
    if any(_is_torch(x) for x in xs):
        ref = next(x for x in xs if _is_torch(x))
        return torch.cat([x if _is_torch(x) else torch.as_tensor(x, dtype=ref.dtype, device=ref.device) for x in xs], dim=axis)
    return np.concatenate(xs, axis=axis)


def _zeros(like, tail: int):
    shape = tuple(like.shape[:-1]) + (tail,)
    if _is_torch(like):
        return torch.zeros(shape, dtype=like.dtype, device=like.device)
    return np.zeros(shape, dtype=like.dtype)


def _as_float(x, name: str = "input"):
    if _is_torch(x):
        return x if x.is_floating_point() else x.float()
    try:
        x = np.asarray(x)
        return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} is not a numeric array ({type(x).__name__} {str(x)[:40]!r}: {err}): pass a numpy "
                         "array or torch tensor of floats") from None


def _check(x, dim: int, name: str, hint: str):
    if x.ndim == 0:
        raise ValueError(f"{name} is a scalar, expected (..., {dim}). {hint}")
    check_last_dim(x, dim, name, hint)
    if x.ndim >= 2:
        check_nonempty(x, name)
    elif x.shape[-1] == 0:
        raise ValueError(f"{name} is empty")
    check_finite(x, name)


def check_v133(v133, name: str = "v133"):
    """Validate a ``(..., 133)`` SOKE vector (last dim, non-empty time axis, finite); returns it as float."""
    v133 = _as_float(v133, name)
    _check(v133, D133, name, _V133_HINT)
    return v133


def check_face108(face108, name: str = "face108"):
    """Validate a ``(..., 108)`` SMPL-FX face vector; returns it as float."""
    face108 = _as_float(face108, name)
    _check(face108, F108, name, _F108_HINT)
    return face108


def _per_frame(x, k: int, name: str, like, hint: str = ""):
    """``x`` given once ``(k,)`` or per frame ``(..., k)`` with ``like``'s leading shape; as ``like``'s type/dtype.

    A ``(3, 10)`` betas array for a 5-frame clip (or any other leading shape) raises instead of failing
    deep in numpy broadcasting or, worse, broadcasting silently.
    """
    x = torch.as_tensor(x, dtype=like.dtype, device=like.device) if _is_torch(like) else np.asarray(x, dtype=like.dtype)
    check_last_dim(x, k, name, hint)
    lead, want = tuple(x.shape[:-1]), tuple(like.shape[:-1])
    if lead not in ((), want):
        raise ValueError(f"{name} has shape {tuple(x.shape)}: give one ({k},) vector for every frame or one per frame, "
                         f"shape {want + (k,)} (the motion has shape {tuple(like.shape)})")
    check_finite(x, name)
    return x


def _take(x, idx: list[int]):
    if _is_torch(x):
        return x[..., torch.as_tensor(idx, device=x.device)]
    return x[..., idx]


# ----------------------------------------------------------------------------- SOKE keys
def keys_to_v133(frames) -> np.ndarray | torch.Tensor:
    """SOKE per-frame keys -> ``(T, 133)``.

    ``frames`` is either a dict ``{key: (T, k)}`` or a list of per-frame dicts
    ``{key: (k,) or (1, k)}`` as in SOKE's released pickles (one pickle per frame).
    Only ``smplx_body_pose`` (its joints 12..21 = values [33:63]), both hands, jaw and
    expression are used; root, lower body and shape are dropped (as SOKE's public code does).
    """
    needed = ["smplx_body_pose", "smplx_lhand_pose", "smplx_rhand_pose", "smplx_jaw_pose", "smplx_expr"]
    if isinstance(frames, Mapping):
        cols = {}
        for k in needed:
            if k not in frames:
                raise ValueError(f"SOKE frame dict is missing key {k!r}; expected keys {list(SOKE_KEYS)}.")
            v = _as_float(frames[k])
            if v.ndim == 1:
                v = v[None]
            check_last_dim(v, SOKE_KEYS[k], k, f"SOKE key sizes: {dict(SOKE_KEYS)}")
            cols[k] = v
        check_same_leading(cols, "SOKE keys", "each key holds one row per frame")
        check_nonempty(cols["smplx_body_pose"], "smplx_body_pose")
    else:
        frames = list(frames)
        if not frames:
            raise ValueError("keys_to_v133 got an empty list of frames: pass at least one frame.")
        for i, f in enumerate(frames):
            for k in needed:
                if k not in f:
                    raise ValueError(f"frame {i} is missing key {k!r}; expected keys {list(SOKE_KEYS)}.")
        torch_in = any(_is_torch(f[k]) for f in frames for k in needed)
        cols = {}
        for k in needed:
            rows = [f[k] for f in frames]
            if torch_in:
                arr = torch.stack([torch.as_tensor(r).reshape(-1).float() for r in rows])
            else:
                arr = np.stack([np.asarray(r, dtype=np.float32).reshape(-1) for r in rows])
            check_last_dim(arr, SOKE_KEYS[k], k, f"SOKE key sizes: {dict(SOKE_KEYS)}")
            cols[k] = arr
    out = _cat(
        [cols["smplx_body_pose"][..., 33:63], cols["smplx_lhand_pose"], cols["smplx_rhand_pose"],
         cols["smplx_jaw_pose"], cols["smplx_expr"]]
    )
    check_finite(out, "SOKE frames")
    return out


def v133_to_keys(v133, betas=None, root=None) -> dict:
    """``(T, 133)`` -> dict of SOKE keys ``{key: (T, k)}`` (root and lower body zero unless given).

    ``betas``: ``(10,)`` or ``(T, 10)`` (default zeros); ``root``: ``(3,)`` or ``(T, 3)`` axis-angle.
    Inverse of :func:`keys_to_v133` on the values it keeps.
    """
    v133 = check_v133(v133)
    body = _zeros(v133, 63)
    body[..., 33:63] = v133[..., UPPER_BODY]

    def _fill(x, k, name):
        z = _zeros(v133, k)
        if x is None:
            return z
        return z + _per_frame(x, k, name, v133)

    return {
        "smplx_root_pose": _fill(root, 3, "root"),
        "smplx_body_pose": body,
        "smplx_lhand_pose": v133[..., LHAND] * 1,
        "smplx_rhand_pose": v133[..., RHAND] * 1,
        "smplx_jaw_pose": v133[..., JAW] * 1,
        "smplx_shape": _fill(betas, 10, "betas"),
        "smplx_expr": v133[..., EXPR] * 1,
    }


def v133_to_full_pose(v133, root=None):
    """``(..., 133)`` -> SMPL-X full pose ``(..., 55, 3)`` axis-angle in SMPL-X joint order
    (root, lower body and eyes zero; expression dropped). ``root`` optional ``(..., 3)``."""
    v133 = check_v133(v133)
    z = _zeros(v133, 3)
    parts = [z if root is None else z + _per_frame(root, 3, "root", v133)] + [z] * 11
    parts += [v133[..., 3 * i:3 * i + 3] for i in range(10)]  # joints 12..21
    parts += [v133[..., JAW], z, z]  # jaw, left eye, right eye
    parts += [v133[..., LHAND], v133[..., RHAND]]
    flat = _cat(parts)
    return flat.reshape(tuple(flat.shape[:-1]) + (55, 3))


# ----------------------------------------------------------------------------- parts
def partition_dims(name: str) -> dict[str, int]:
    """Part sizes of a SOKE Table 4 partition: ``'whole'`` {whole: 133}, ``'body_hands'``
    {body: 43, hands: 90}, ``'body_lhand_rhand'`` {body: 43, lhand: 45, rhand: 45}."""
    if name not in PARTITIONS:
        raise ValueError(f"unknown partition {name!r}: use one of {list(PARTITIONS)}")
    return {k: len(v) for k, v in PARTITIONS[name].items()}


def split_partition(v133, name: str = "body_lhand_rhand") -> dict:
    """Split ``(..., 133)`` into the parts of partition ``name`` (see :func:`partition_dims`)."""
    partition_dims(name)
    v133 = check_v133(v133)
    return {k: _take(v133, idx) for k, idx in PARTITIONS[name].items()}


def merge_partition(parts: Mapping, name: str | None = None):
    """Inverse of :func:`split_partition`; ``name`` is inferred from the keys when omitted."""
    if name is None:
        keys = set(parts)
        matches = [n for n, p in PARTITIONS.items() if set(p) == keys]
        if not matches:
            raise ValueError(f"parts have keys {sorted(keys)}; expected the keys of one partition: "
                             + ", ".join(f"{n}={list(p)}" for n, p in PARTITIONS.items()))
        name = matches[0]
    dims = partition_dims(name)
    ref = None
    for k, d in dims.items():
        if k not in parts:
            raise ValueError(f"partition {name!r} needs part {k!r} ({d} dims); got {list(parts)}")
        check_last_dim(parts[k], d, f"part {k!r}", f"partition {name!r} has sizes {dims}.")
        ref = parts[k]
    check_same_leading({k: parts[k] for k in dims}, "parts", "pass every part with the same frames (e.g. all (T, d))")
    if _is_torch(ref):
        out = torch.zeros(tuple(ref.shape[:-1]) + (D133,), dtype=ref.dtype, device=ref.device)
        for k, idx in PARTITIONS[name].items():
            out[..., torch.as_tensor(idx, device=ref.device)] = torch.as_tensor(parts[k], dtype=ref.dtype, device=ref.device)
    else:
        out = np.zeros(tuple(ref.shape[:-1]) + (D133,), dtype=np.result_type(*[np.asarray(parts[k]).dtype for k in dims]))
        for k, idx in PARTITIONS[name].items():
            out[..., idx] = parts[k]
    return out


def split_parts(v133) -> dict:
    """``(..., 133)`` -> ``{'body': (..., 43), 'lhand': (..., 45), 'rhand': (..., 45)}``."""
    return split_partition(v133, "body_lhand_rhand")


def merge_parts(parts: Mapping):
    """Inverse of :func:`split_parts` (also accepts the 'whole' / 'body_hands' partitions)."""
    return merge_partition(parts)


# ----------------------------------------------------------------------------- face / SMPL-FX
def face108_from(v133, expr100=None, eyelid2=None):
    """Build ``F108`` consistent with a V133: ``[:10]`` = V133 expression, ``[10:100]`` from
    ``expr100[..., 10:]`` (zeros if omitted), ``[100:102]`` eyelids (zeros if omitted),
    ``[102:108]`` = rot6d(V133 jaw). The V133 is authoritative for the shared entries."""
    v133 = check_v133(v133)
    expr = _zeros(v133, 100)
    if expr100 is not None:
        expr = expr + _per_frame(expr100, 100, "expr100", v133, "FLAME-like expression has 100 coefficients (M3T).")
    expr = _cat([v133[..., EXPR], expr[..., 10:]])
    lid = _zeros(v133, 2)
    if eyelid2 is not None:
        lid = lid + _per_frame(eyelid2, 2, "eyelid2", v133, "two eyelid parameters (left, right).")
    out = _cat([expr, lid, axis_angle_to_rot6d(v133[..., JAW])])
    return out.astype(v133.dtype, copy=False) if not _is_torch(out) else out


def _to_6d_joints(x, n: int):
    aa = x.reshape(tuple(x.shape[:-1]) + (n, 3))
    r6 = axis_angle_to_rot6d(aa)
    return r6.reshape(tuple(x.shape[:-1]) + (n * 6,))


def _from_6d_joints(x, n: int):
    r6 = x.reshape(tuple(x.shape[:-1]) + (n, 6))
    aa = rot6d_to_axis_angle(r6)
    return aa.reshape(tuple(x.shape[:-1]) + (n * 3,))


def smplfx_streams(v133, face108, mirror_left: bool = False) -> dict:
    """M3T SMPL-FX streams (M3T Sec. 3.1 / App. 0.C): body, hands and jaw in 6D.

    Returns ``{'body': (..., 60), 'lhand': (..., 90), 'rhand': (..., 90), 'face': (..., 108)}``.
    ``face`` is ``face108`` with its shared entries (first 10 expression, jaw 6D) set from
    ``v133``. ``mirror_left=True`` mirrors the left hand first (M3T's shared hand encoder).
    Note: M3T's body stream has 12 joints (back-translation input 360); V133 carries 10, so 348 here.
    """
    v133 = check_v133(v133)
    face108 = check_face108(face108)
    check_same_leading({"v133": v133, "face108": face108}, "v133 and face108", "one face vector per frame")
    lh = mirror_hand(v133[..., LHAND]) if mirror_left else v133[..., LHAND]
    face = face108_from(v133, face108[..., FACE_EXPR], face108[..., FACE_EYELID])
    return {
        "body": _to_6d_joints(v133[..., UPPER_BODY], 10),
        "lhand": _to_6d_joints(lh, 15),
        "rhand": _to_6d_joints(v133[..., RHAND], 15),
        "face": face,
    }


def _check_streams(streams: Mapping, dims: Mapping[str, int], what: str, sizes: str) -> None:
    """Every stream of ``dims`` present, with its feature size, and all with the same leading (frame) axes."""
    for k, d in dims.items():
        if k not in streams:
            raise ValueError(f"{what} need {k!r}; expected {dict(dims)}")
        check_last_dim(streams[k], d, f"stream {k!r}", f"{sizes}: {dict(dims)}")
    check_same_leading({k: streams[k] for k in dims}, what, "every stream needs the same frames")


def smplfx_to_v133(streams: Mapping, mirror_left: bool = False):
    """Inverse of :func:`smplfx_streams`: returns ``(v133, face108)``."""
    _check_streams(streams, SMPLFX_DIMS, "SMPL-FX streams", "SMPL-FX stream sizes")
    face = streams["face"]
    lh = _from_6d_joints(streams["lhand"], 15)
    if mirror_left:
        lh = mirror_hand(lh)
    v133 = _cat([
        _from_6d_joints(streams["body"], 10), lh, _from_6d_joints(streams["rhand"], 15),
        rot6d_to_axis_angle(face[..., FACE_JAW6D]), face[..., :10],
    ])
    return v133, face * 1


def rot6d_streams(v133, expr50=None) -> dict:
    """SignSparK rot6D streams: ``{'body': (..., 60), 'lhand': (..., 90), 'rhand': (..., 90),
    'face': (..., 56)}`` with face = ``[jaw 6D, 50 expression]``.

    ``expr50`` (``(..., 50)``, e.g. ``face108[..., :50]``) defaults to the V133's 10
    expression values zero-padded; its first 10 entries are set from the V133.
    """
    v133 = check_v133(v133)
    expr = _zeros(v133, 50)
    if expr50 is not None:
        expr = expr + _per_frame(expr50, 50, "expr50", v133, "SignSparK's face stream uses 50 expression coefficients.")
    expr = _cat([v133[..., EXPR], expr[..., 10:]])
    if not _is_torch(expr):
        expr = expr.astype(v133.dtype, copy=False)
    return {
        "body": _to_6d_joints(v133[..., UPPER_BODY], 10),
        "lhand": _to_6d_joints(v133[..., LHAND], 15),
        "rhand": _to_6d_joints(v133[..., RHAND], 15),
        "face": _cat([axis_angle_to_rot6d(v133[..., JAW]), expr]),
    }


def rot6d_streams_to_v133(streams: Mapping):
    """Inverse of :func:`rot6d_streams`: returns ``(v133, expr50)``."""
    _check_streams(streams, ROT6D_DIMS, "rot6D streams", "SignSparK rot6D stream sizes")
    face = streams["face"]
    v133 = _cat([
        _from_6d_joints(streams["body"], 10), _from_6d_joints(streams["lhand"], 15),
        _from_6d_joints(streams["rhand"], 15), rot6d_to_axis_angle(face[..., :6]), face[..., 6:16],
    ])
    return v133, face[..., 6:] * 1


# ----------------------------------------------------------------------------- mirroring
def mirror_hand(hand45):
    """Mirror a ``(..., 45)`` hand pose to the other side: per joint ``(x, y, z) -> (x, -y, -z)``.

    Left and right SMPL-X hands share joint order, so ``mirror_hand(lhand)`` is a right-hand
    pose whose joints are the reflection of the left hand's (M3T shared hand encoder).
    """
    check_last_dim(hand45, 45, "hand pose", "A hand is 15 SMPL-X joints x 3 axis-angle values.")
    return mirror_axis_angle(hand45)


_MIRROR_UPPER = [0, 2, 1, 3, 5, 4, 7, 6, 9, 8]  # swap left/right among joints 12..21


def mirror_v133(v133):
    """Reflect a whole V133 across the sagittal plane: swap left/right joints and hands and
    mirror each rotation (jaw mirrored, expression unchanged). Joint positions of the result
    are the x-reflected, left/right-swapped joints of the input (for a symmetric skeleton)."""
    v133 = check_v133(v133)
    ub = v133[..., UPPER_BODY].reshape(tuple(v133.shape[:-1]) + (10, 3))
    ub = ub[..., _MIRROR_UPPER, :].reshape(tuple(v133.shape[:-1]) + (30,))
    return _cat([
        mirror_axis_angle(ub), mirror_hand(v133[..., RHAND]), mirror_hand(v133[..., LHAND]),
        mirror_axis_angle(v133[..., JAW]), v133[..., EXPR],
    ])
