"""DARSLP / SLRTP 2025 keypoint layout: 178 x 3 = 8 body + 21 right hand + 21 left hand + 128 face.

DARSLP Sec. 3.1 / 4.1 and the reference notes ("SLRTP 2025"): MediaPipe Holistic keypoints
lifted to 3D, 178 per frame; DARSLP names the 8 upper-body joints "shoulders, elbows, wrists
and hips". slpkit follows the order the SLRTP 2025 challenge publishes with its data
(``keypoint_def.py`` of the challenge's keypoint-information repository), right side first::

    0 right_shoulder  1 right_elbow  2 right_wrist  3 left_shoulder
    4 left_elbow      5 left_wrist   6 right_hip    7 left_hip       (MediaPipe pose 12, 14, 16, 11, 13, 15, 24, 23)
    8..28   right hand, 21 points in MediaPipe hand order (wrist, thumb cmc/mcp/ip/tip, index
            mcp/pip/dip/tip, middle..., ring..., pinky...)
    29..49  left hand, same order
    50..177 face: the 128 MediaPipe face-mesh contour points (face oval, lips, eyes, brows),
            sorted by face-mesh index (:data:`slpkit.body.face.FACE128`; pose-format calls this
            subset ``FACEMESH_CONTOURS_POINTS``)

:func:`keypoints178` renders it from SMPL-X parameters (body model FK for body and hands, the
:class:`~slpkit.body.face.FaceModel` placed with the head joint's global transform for the face;
metres, y up). :func:`mediapipe_to_178` selects it from MediaPipe Holistic output as pose-format
stores it: components ``POSE_LANDMARKS`` (33), ``FACE_LANDMARKS`` (468, or 478 with refined
irises), ``LEFT_HAND_LANDMARKS`` (21), ``RIGHT_HAND_LANDMARKS`` (21) and optionally
``POSE_WORLD_LANDMARKS`` (33), in that order (``pose_format.utils.holistic.holistic_components``).
Coordinates are passed through unchanged (MediaPipe: image x right, y down).

Example::

    >>> import numpy as np
    >>> from slpkit.body.keypoints import keypoints178, REGIONS
    >>> kp = keypoints178(np.zeros((4, 133), np.float32), np.zeros((4, 108), np.float32))
    >>> kp.shape, kp[:, REGIONS['face']].shape
    ((4, 178, 3), (4, 128, 3))
"""

from __future__ import annotations

import functools
from typing import Mapping

import numpy as np
import torch

from slpkit.body import skeleton as S
from slpkit.body.face import FACE128, FACE128_LIMBS, FaceModel
from slpkit.body.fk import BodyModel, default_body_model
from slpkit.body.layouts import check_face108, check_v133
from slpkit.checks import check_finite

__all__ = [
    "NUM_KEYPOINTS", "REGIONS", "BODY8_NAMES", "MP_POSE_BODY8", "HOLISTIC_COMPONENTS", "LIMBS178",
    "keypoints178", "mediapipe_to_178", "normalize178", "default_face_model",
]

NUM_KEYPOINTS = 178
#: region slices in SLRTP order (right hand before left); iterate in this dict's order
#: (body, lhand, rhand, face) for the per-region models, index with the slices.
REGIONS = {"body": slice(0, 8), "lhand": slice(29, 50), "rhand": slice(8, 29), "face": slice(50, 178)}
BODY8_NAMES = ("right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
               "right_hip", "left_hip")
#: MediaPipe pose landmark indices of the 8 body keypoints
MP_POSE_BODY8 = (12, 14, 16, 11, 13, 15, 24, 23)
_BODY8_IDX = np.array([S.EXT_NAMES.index(n) for n in BODY8_NAMES])
#: pose-format holistic component order and sizes
HOLISTIC_COMPONENTS = (("POSE_LANDMARKS", 33), ("FACE_LANDMARKS", 468), ("LEFT_HAND_LANDMARKS", 21),
                       ("RIGHT_HAND_LANDMARKS", 21), ("POSE_WORLD_LANDMARKS", 33))

LIMBS178: tuple[tuple[int, int], ...] = (
    # SLRTP's body edges, plus each body wrist to its hand wrist
    ((0, 1), (1, 2), (0, 3), (3, 4), (4, 5), (0, 6), (6, 7), (7, 3), (2, 8), (5, 29))
    + tuple((8 + a, 8 + b) for a, b in S.HAND_LIMBS21)
    + tuple((29 + a, 29 + b) for a, b in S.HAND_LIMBS21)
    + tuple((50 + a, 50 + b) for a, b in FACE128_LIMBS)
)


@functools.lru_cache(maxsize=4)
def default_face_model(seed: int = 0) -> FaceModel:
    """Cached :class:`FaceModel` (seed 0 unless told)."""
    return FaceModel(seed)


def keypoints178(v133, face108, body_model: BodyModel | None = None, face_model: FaceModel | None = None):
    """SMPL-X parameters -> DARSLP/SLRTP keypoints ``(..., T, 178, 3)`` (metres, y up).

    ``v133 (..., T, 133)`` and ``face108 (..., T, 108)`` must share leading shape.
    numpy in -> numpy float32 out; torch in -> torch out.
    """
    v133 = check_v133(v133)
    face108 = check_face108(face108)
    if tuple(v133.shape[:-1]) != tuple(face108.shape[:-1]):
        raise ValueError(f"v133 {tuple(v133.shape)} and face108 {tuple(face108.shape)} must have the same leading "
                         "shape (one face vector per frame).")
    bm = body_model or default_body_model()
    fm = face_model or default_face_model()
    j = bm.joints(v133)
    grot = bm.global_rotations(v133)
    head = (grot[..., S.HEAD, :, :], j[..., S.HEAD, :])
    if isinstance(j, torch.Tensor):
        face108 = torch.as_tensor(face108, dtype=j.dtype, device=j.device)
    face = fm.landmarks(face108, head_transform=head)
    parts = [j[..., _BODY8_IDX, :], j[..., S.METRIC_RHAND_IDX, :], j[..., S.METRIC_LHAND_IDX, :], face]
    if isinstance(j, torch.Tensor):
        return torch.cat([torch.as_tensor(p, dtype=j.dtype, device=j.device) for p in parts], dim=-2)
    return np.concatenate(parts, axis=-2).astype(np.float32)


def _components_from_array(arr: np.ndarray) -> dict[str, np.ndarray]:
    n = arr.shape[-2]
    sizes = {543: 468, 576: 468, 553: 478, 586: 478}
    if n not in sizes:
        raise ValueError(
            f"MediaPipe Holistic array has {n} points (shape {arr.shape}); expected 543 (33 pose + 468 face + "
            "21 + 21 hands), 553 (478 refined face), or 576 / 586 with the 33 POSE_WORLD_LANDMARKS appended "
            "(pose-format's holistic component order). Pass a dict {component: array} otherwise."
        )
    nf = sizes[n]
    o = 0
    out = {}
    for name, k in (("POSE_LANDMARKS", 33), ("FACE_LANDMARKS", nf), ("LEFT_HAND_LANDMARKS", 21),
                    ("RIGHT_HAND_LANDMARKS", 21)):
        out[name] = arr[..., o:o + k, :]
        o += k
    return out


def _components_from_pose(pose) -> dict[str, np.ndarray]:
    data = pose.body.data
    data = np.ma.filled(data, 0.0) if isinstance(data, np.ma.MaskedArray) else np.asarray(data)
    data = data[:, 0]  # first person: (frames, points, dims)
    out, o = {}, 0
    for c in pose.header.components:
        out[c.name] = data[:, o:o + len(c.points)]
        o += len(c.points)
    return out


def mediapipe_to_178(holistic) -> np.ndarray:
    """MediaPipe Holistic keypoints -> ``(..., 178, 3)`` float32 in the 178 layout.

    ``holistic``: an array ``(..., N, D)`` in pose-format's component order (N = 543, 553,
    576 or 586; D >= 2, extra dims such as confidence dropped, z = 0 when D == 2), a dict
    ``{component_name: (..., n, D)}``, or a ``pose_format.Pose`` (first person).
    Body = pose landmarks 12, 14, 16, 11, 13, 15, 24, 23; right hand then left hand (21 points
    each); face = :data:`FACE128`.
    """
    if hasattr(holistic, "header") and hasattr(holistic, "body"):
        comps = _components_from_pose(holistic)
    elif isinstance(holistic, Mapping):
        comps = {k: np.asarray(v) for k, v in holistic.items()}
    else:
        arr = np.asarray(holistic.detach().cpu() if isinstance(holistic, torch.Tensor) else holistic)
        if arr.ndim < 2:
            raise ValueError(f"MediaPipe Holistic array has shape {arr.shape}, expected (..., N, D)")
        comps = _components_from_array(arr)
    need = {"POSE_LANDMARKS": 33, "FACE_LANDMARKS": 468, "LEFT_HAND_LANDMARKS": 21, "RIGHT_HAND_LANDMARKS": 21}
    for name, k in need.items():
        if name not in comps:
            raise ValueError(f"MediaPipe Holistic input lacks component {name!r}; got {list(comps)}")
        if comps[name].shape[-2] < k:
            raise ValueError(f"component {name} has {comps[name].shape[-2]} points, expected {k}")
    parts = [
        comps["POSE_LANDMARKS"][..., list(MP_POSE_BODY8), :],
        comps["RIGHT_HAND_LANDMARKS"][..., :21, :],
        comps["LEFT_HAND_LANDMARKS"][..., :21, :],
        comps["FACE_LANDMARKS"][..., list(FACE128), :],
    ]
    out = np.concatenate(parts, axis=-2).astype(np.float32)
    if out.shape[-1] < 2:
        raise ValueError(f"MediaPipe points have {out.shape[-1]} coordinates, expected at least 2")
    if out.shape[-1] == 2:
        out = np.concatenate([out, np.zeros(out.shape[:-1] + (1,), np.float32)], axis=-1)
    return out[..., :3]


def normalize178(kp, eps: float = 1e-8):
    """DARSLP Sec. 4.1 normalisation: centre on the neck (mid-shoulder point, the 178 layout has
    no neck) and divide by shoulder width, per frame. ``(..., 178, 3) -> (..., 178, 3)``."""
    # shoulders are keypoints 0 (right) and 3 (left)
    check_finite(kp, "keypoints")
    if kp.shape[-2:] != (178, 3):
        raise ValueError(f"keypoints have shape {tuple(kp.shape)}, expected (..., 178, 3)")
    neck = 0.5 * (kp[..., 0:1, :] + kp[..., 3:4, :])
    if isinstance(kp, torch.Tensor):
        width = (kp[..., 0, :] - kp[..., 3, :]).norm(dim=-1)[..., None, None].clamp_min(eps)
    else:
        width = np.maximum(np.linalg.norm(kp[..., 0, :] - kp[..., 3, :], axis=-1)[..., None, None], eps)
    return (kp - neck) / width
