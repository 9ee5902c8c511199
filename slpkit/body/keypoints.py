"""DARSLP / SLRTP 2025 keypoint layout: 178 x 3 = 8 body + 21 right hand + 21 left hand + 128 face.

DARSLP Sec. 3.1 / 4.1 (the SLRTP 2025 challenge's keypoints; docs/reference.md, "Three DTW conventions"): MediaPipe Holistic keypoints
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

Sources: :func:`keypoints178` renders it from SMPL-X parameters (body model FK for body and
hands, the :class:`~slpkit.body.face.FaceModel` placed with the head joint's global transform
for the face; metres, y up). :func:`mediapipe_to_178` selects it from MediaPipe Holistic output
as pose-format stores it: components ``POSE_LANDMARKS`` (33), ``FACE_LANDMARKS`` (468, or 478
with refined irises), ``LEFT_HAND_LANDMARKS`` (21), ``RIGHT_HAND_LANDMARKS`` (21) and optionally
``POSE_WORLD_LANDMARKS`` (33), in that order (``pose_format.utils.holistic.holistic_components``);
it passes coordinates through unchanged. ``slpkit.data.formats.poseformat.load_pose`` reads
real ``.pose`` files into the convention below, with a mask.

Coordinate convention (every 178-keypoint array slpkit loads or renders)
---------------------------------------------------------------------------
*Orientation* ("y up"): x towards the signer's left (image right for a camera facing the
signer), y up, z towards the camera; right-handed. SynthSign's ``keypoints178`` (metres),
SLRTP ``.pt`` files written by slpkit and every ``.pose`` file *after loading* follow it.
MediaPipe image landmarks (pose-format's pixel ``x, y`` with y down and MediaPipe's ``z``,
which is normalised by the image width, hands relative to their own wrist) are brought into
it by :func:`image_to_y_up`; :func:`detect_y_down` tells the two apart from the data
(the face lies above the shoulders in a y-up frame).

*Units and origin*: the source's (metres, pixels). :func:`normalize178` is the one
normalisation every consumer applies before comparing sources: centre on the neck (the
mid-shoulder point, keypoints 0 and 3) and divide by the shoulder width (DARSLP Sec. 4.1),
per frame by default. Afterwards a SynthSign clip and a real clip are in the same units
(shoulder widths) and orientation.

Mask contract
-------------
Real keypoints come as ``keypoints (..., T, 178, 3)`` float32, **always finite**, plus
``mask (..., T, 178)`` bool, **True = observed**. A point is missing when its pose-format
confidence is ``<= 0`` (undetected, or a negative interpolation artefact), when it is not
finite, or when :func:`flag_glitches` marks it as a tracking spike. Values under a False are
meaningless (0 after :func:`normalize178`); a consumer must give them no weight (loss, metric,
statistics). Batches add ``point_mask (B, T, 178)`` beside the frame mask ``mask (B, T)``
(``slpkit.data.formats.poseformat.batch_clips``); padded frames are False in both.
SynthSign keypoints are fully observed (mask all True).

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
from slpkit.checks import check_finite, check_float, check_nonempty

__all__ = [
    "NUM_KEYPOINTS", "REGIONS", "BODY8_NAMES", "MP_POSE_BODY8", "HOLISTIC_COMPONENTS", "LIMBS178",
    "keypoints178", "mediapipe_to_178", "normalize178", "default_face_model",
    "check_mask", "detect_y_down", "image_to_y_up", "y_up_to_image", "flag_glitches", "missing_fraction",
    "convention_stats",
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
#: pose-format holistic component order and sizes (the face has 478 points with refined irises)
HOLISTIC_COMPONENTS = (("POSE_LANDMARKS", 33), ("FACE_LANDMARKS", 468), ("LEFT_HAND_LANDMARKS", 21),
                       ("RIGHT_HAND_LANDMARKS", 21), ("POSE_WORLD_LANDMARKS", 33))
#: shoulders (normalisation), and each hand's wrist with the body wrist it hangs from
SHOULDERS = (0, 3)  # right, left
HIPS = (6, 7)
HAND_WRISTS = {"rhand": (8, 2), "lhand": (29, 5)}  # region: (hand wrist, body wrist)

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
    j, grot = bm.joints_and_rotations(v133)
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

    A pure selection: coordinates are not changed and no mask is returned (landmarks a
    ``Pose`` masks come out as zeros). For real files use
    ``slpkit.data.formats.poseformat.load_pose``, which returns the mask and the y-up convention.
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


def check_mask(mask, kp, name: str = "mask"):
    """Validate a point mask against keypoints ``(..., T, 178, 3)``: bool ``(..., T, 178)``, same leading shape.

    Returns the mask as the keypoints' array type (numpy bool array or torch bool tensor).
    """
    m = torch.as_tensor(mask) if isinstance(kp, torch.Tensor) else np.asarray(mask)
    if tuple(m.shape) != tuple(kp.shape[:-1]):
        raise ValueError(f"{name} has shape {tuple(m.shape)} but the keypoints have shape {tuple(kp.shape)}: "
                         f"pass one bool per point, shape {tuple(kp.shape[:-1])} (True = observed).")
    if m.dtype not in (torch.bool, np.bool_, bool):
        # a 0/1 mask is fine; a confidence (0.5) or NaN would be silently read as True
        ok = bool(((m == 0) | (m == 1)).all()) if m.dtype != object else False
        if not ok:
            raise ValueError(f"{name} has dtype {m.dtype} with values other than 0 / 1: pass a bool mask (True = "
                             "observed); threshold confidences first, e.g. confidence > 0.5")
    if isinstance(m, torch.Tensor):
        return m.to(device=kp.device, dtype=torch.bool)
    return m.astype(bool)


def _valid_mean(x: np.ndarray, m: np.ndarray, axis) -> np.ndarray:
    """Mean of ``x`` over ``axis`` where ``m`` (broadcast), NaN where nothing is valid."""
    w = np.broadcast_to(m, x.shape).astype(np.float64)
    n = w.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (np.where(w > 0, x, 0.0)).sum(axis=axis) / np.maximum(n, 1), np.nan)


def detect_y_down(kp, mask=None) -> bool | None:
    """Does a clip ``(T, 178, 3)`` use image orientation (y down)? ``None`` if the data cannot tell.

    A signer is upright: in a y-up frame the face (keypoints 50:178) lies above the shoulder
    midpoint, in an image frame (MediaPipe, pose-format pixels) below it in numbers. Decided by
    the median over frames where the shoulders and at least 10 face points are observed; without
    a face, the hips (below the shoulders when y is up) decide.
    """
    kp = np.asarray(kp.detach().cpu() if isinstance(kp, torch.Tensor) else kp, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints have shape {kp.shape}, expected one clip (T, 178, 3)")
    m = np.ones(kp.shape[:2], bool) if mask is None else check_mask(mask, kp)
    m = m & np.isfinite(kp).all(-1)
    y = kp[..., 1]
    r, l = SHOULDERS
    sh_ok = m[:, r] & m[:, l]
    sh_y = 0.5 * (y[:, r] + y[:, l])
    fm = m[:, REGIONS["face"]]
    face_ok = sh_ok & (fm.sum(-1) >= 10)
    if face_ok.any():
        face_y = _valid_mean(y[:, REGIONS["face"]], fm, axis=-1)
        return bool(np.median((face_y - sh_y)[face_ok]) < 0)
    hip_ok = sh_ok & m[:, HIPS[0]] & m[:, HIPS[1]]
    if hip_ok.any():
        hip_y = 0.5 * (y[:, HIPS[0]] + y[:, HIPS[1]])
        return bool(np.median((hip_y - sh_y)[hip_ok]) > 0)
    return None


def image_to_y_up(kp, width: float, mask=None) -> np.ndarray:
    """MediaPipe image landmarks in the 178 layout -> the y-up convention, in pixels. ``(..., T, 178, 3)``.

    pose-format stores MediaPipe's normalised landmarks as ``(x * width, y * height, z)``
    (``pose_format.utils.holistic.component_points``): x right, y down, and MediaPipe's depth
    ``z`` (smaller = closer to the camera) on the scale of the *normalised* x. So
    ``x' = x``, ``y' = -y``, ``z' = -z * width`` (pixels, towards the camera; a rotation by
    180 degrees about x, handedness kept). MediaPipe's hand depth is relative to the hand's own
    wrist, so each hand's z is shifted to put its wrist at the body wrist's depth (frames where
    both wrists are observed; ``mask`` as in the module's mask contract). The face's depth
    (origin at the head centre in MediaPipe) is kept: close to the body's hip-centred depth
    for an upright signer facing the camera.
    """
    x = np.array(kp.detach().cpu() if isinstance(kp, torch.Tensor) else kp, dtype=np.float32, copy=True)
    if x.shape[-2:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints have shape {x.shape}, expected (..., 178, 3)")
    check_float(width, "width", min=0.0, min_open=True, hint="pass the image width in pixels (the .pose header's "
                "dimensions.width)")
    m = np.ones(x.shape[:-1], bool) if mask is None else check_mask(mask, x)
    x[..., 1] = -x[..., 1]
    x[..., 2] = -x[..., 2] * float(width)
    for hand, (hand_wrist, body_wrist) in HAND_WRISTS.items():
        ok = (m[..., hand_wrist] & m[..., body_wrist])[..., None]
        sl = REGIONS[hand]
        shift = (x[..., body_wrist, 2] - x[..., hand_wrist, 2])[..., None]
        x[..., sl, 2] += np.where(ok, shift, 0.0).astype(np.float32)
    return x


def y_up_to_image(kp, width: int, height: int, mask=None, shoulder_px: float | None = None):
    """Inverse of :func:`image_to_y_up`: y-up keypoints ``(T, 178, 3)`` (e.g. SynthSign metres) -> MediaPipe-style
    image landmarks as pose-format stores them (pixels ``x, y`` with y down, ``z`` on the normalised-x scale,
    hand z relative to the hand wrist).

    A virtual camera facing the signer: the clip's mean shoulder width becomes ``shoulder_px``
    pixels (default ``0.18 * width``) and its mean neck point lands at ``(0.5 * width, 0.35 * height)``,
    which frames an upper body with hips and resting hands inside a 16:9 image.
    Returns ``(landmarks (T, 178, 3) float32, pixels_per_unit)``.
    """
    kp = np.asarray(kp.detach().cpu() if isinstance(kp, torch.Tensor) else kp, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints have shape {kp.shape}, expected one clip (T, 178, 3)")
    for what, v in (("width", width), ("height", height)):
        check_float(v, what, min=0.0, min_open=True, hint="pass the image size in pixels")
    if shoulder_px is not None:
        check_float(shoulder_px, "shoulder_px", min=0.0, min_open=True, hint="pixels between the shoulders, or None")
    m = np.ones(kp.shape[:2], bool) if mask is None else check_mask(mask, kp)
    r, l = SHOULDERS
    ok = m[:, r] & m[:, l]
    if not ok.any():
        raise ValueError("no frame has both shoulders (keypoints 0 and 3) observed: cannot place the virtual camera")
    neck = (0.5 * (kp[ok, r] + kp[ok, l])).mean(0)
    sw = float(np.linalg.norm(kp[ok, r] - kp[ok, l], axis=-1).mean())
    s = float(shoulder_px or 0.18 * width) / max(sw, 1e-12)
    out = np.empty_like(kp)
    out[..., 0] = 0.5 * width + s * (kp[..., 0] - neck[0])
    out[..., 1] = 0.35 * height - s * (kp[..., 1] - neck[1])
    out[..., 2] = -s * (kp[..., 2] - neck[2]) / float(width)
    for hand, (hand_wrist, _) in HAND_WRISTS.items():
        out[:, REGIONS[hand], 2] -= out[:, hand_wrist: hand_wrist + 1, 2]
    return out.astype(np.float32), s


def flag_glitches(kp, mask=None, threshold: float = 1.5, window: int = 5, shoulder_ratio: float = 3.0) -> np.ndarray:
    """Mask tracking spikes: ``(T, 178, 3)`` keypoints (+ mask) -> new mask ``(T, 178)`` (True = observed, no glitch).

    A point is a glitch in a frame when it lies more than ``threshold`` shoulder widths (the
    clip's median shoulder width) from the median of its own observed positions over a centred
    window of ``window`` frames: a spike of up to ``window // 2`` frames is caught (MediaPipe's
    one-frame jumps of > 1000 px), while signing motion (a fast hand moves < 0.5 shoulder widths
    per frame at 25 fps) is not. Both shoulders of a frame are masked when their distance is off
    the clip's median by more than a factor ``shoulder_ratio`` (a collapsed or torn-apart pair
    would wreck that frame's normalisation; turning the torso changes it far less). Non-finite
    points are masked too. A clip without any frame with both shoulders observed is returned
    with only the non-finite points masked.
    """
    x = np.asarray(kp.detach().cpu() if isinstance(kp, torch.Tensor) else kp, dtype=np.float64)
    if x.ndim != 3 or x.shape[1:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints have shape {x.shape}, expected one clip (T, 178, 3)")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 3 or window % 2 == 0:
        raise ValueError(f"window={window!r}: use an odd number of frames >= 3")
    check_float(threshold, "threshold", min=0.0, min_open=True, hint="shoulder widths a point may jump (1.5)")
    check_float(shoulder_ratio, "shoulder_ratio", min=1.0, min_open=True,
                hint="factor by which a frame's shoulder distance may differ from the clip's median (3.0)")
    m = np.ones(x.shape[:2], bool) if mask is None else check_mask(mask, x).copy()
    m &= np.isfinite(x).all(-1)
    r, l = SHOULDERS
    sh_ok = m[:, r] & m[:, l]
    if not sh_ok.any():
        return m
    width = float(np.median(np.linalg.norm(x[sh_ok, r] - x[sh_ok, l], axis=-1)))
    if not width > 0:
        return m
    xn = np.where(m[..., None], x, np.nan)
    h = window // 2
    padded = np.pad(xn, ((h, h), (0, 0), (0, 0)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)  # (T, 178, 3, window)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: points never observed nearby
        med = np.nanmedian(windows, axis=-1)
    dev = np.linalg.norm(np.nan_to_num(xn - med, nan=0.0), axis=-1)
    out = m & ~(dev > threshold * width)
    # shoulders that collapse or fly apart break the per-frame scale even when neither moved far
    frame_width = np.linalg.norm(x[:, r] - x[:, l], axis=-1)
    odd = sh_ok & ~((frame_width > width / shoulder_ratio) & (frame_width < width * shoulder_ratio))
    out[odd, r] = out[odd, l] = False
    return out


def missing_fraction(mask) -> dict[str, float]:
    """Fraction of missing points per region (and ``"all"``) of a mask ``(..., 178)`` (True = observed)."""
    m = np.asarray(mask.detach().cpu() if isinstance(mask, torch.Tensor) else mask, dtype=bool)
    if m.shape[-1:] != (NUM_KEYPOINTS,):
        raise ValueError(f"mask has shape {m.shape}, expected (..., 178)")
    if m.size == 0:
        raise ValueError("mask is empty: no frames")
    out = {name: float(1.0 - m[..., sl].mean()) for name, sl in REGIONS.items()}
    out["all"] = float(1.0 - m.mean())
    return out


def convention_stats(kp, mask=None) -> dict[str, float]:
    """Where a clip's landmarks sit, to compare conventions: medians over observed frames of ``(..., T, 178, 3)``.

    ``shoulder width``, ``face y`` and ``hip y`` (relative to the neck, y up: face > 0 > hips),
    ``right shoulder x`` (relative to the neck: < 0 when x points to the signer's left). After
    :func:`normalize178` a y-up clip reads about ``1, > 0, < 0, -0.5``.
    """
    x = np.asarray(kp.detach().cpu() if isinstance(kp, torch.Tensor) else kp, dtype=np.float64)
    if x.shape[-2:] != (NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints have shape {x.shape}, expected (..., 178, 3)")
    x = x.reshape(-1, NUM_KEYPOINTS, 3)
    m = np.ones(x.shape[:2], bool) if mask is None else np.asarray(mask, bool).reshape(-1, NUM_KEYPOINTS)
    r, l = SHOULDERS
    sh = m[:, r] & m[:, l]
    if not sh.any():
        raise ValueError("no frame has both shoulders observed: nothing to measure")
    neck = 0.5 * (x[:, r] + x[:, l])
    face = _valid_mean(x[:, REGIONS["face"], 1], m[:, REGIONS["face"]], axis=-1) - neck[:, 1]
    hips = m[:, HIPS[0]] & m[:, HIPS[1]] & sh
    face_ok = sh & np.isfinite(face)
    return {
        "shoulder width": float(np.median(np.linalg.norm(x[sh, r] - x[sh, l], axis=-1))),
        "face y": float(np.median(face[face_ok])) if face_ok.any() else float("nan"),
        "hip y": float(np.median(0.5 * (x[hips, HIPS[0], 1] + x[hips, HIPS[1], 1]) - neck[hips, 1])) if hips.any()
        else float("nan"),
        "right shoulder x": float(np.median(x[sh, r, 0] - neck[sh, 0])),
    }


def normalize178(kp, eps: float = 1e-8, *, mask=None, per_frame: bool = True):
    """The one normalisation of 178 keypoints (DARSLP Sec. 4.1): centre on the neck, unit shoulder width.

    ``kp (..., T, 178, 3)`` in the y-up convention (module doc), any units and origin;
    numpy in -> numpy out, torch in -> torch out (differentiable). The neck is the
    mid-shoulder point (the 178 layout has no neck keypoint; shoulders are 0 right, 3 left),
    the scale the shoulder distance.

    - ``per_frame=True`` (DARSLP): each frame by its own shoulders. ``False``: one centre and
      scale per clip (axis ``-3``), the mean over frames of the midpoints and of the distances,
      which is what ``pose_format.Pose.normalize`` computes with ``pose_normalization_info``.
    - ``mask (..., T, 178)`` bool (True = observed, see the module's mask contract): the
      shoulder statistics use observed shoulders only; a frame whose shoulders are not both
      observed (or coincide) takes its clip's mean centre and width; masked points come out as 0.
      Raises ``ValueError`` if a clip has no frame with both shoulders observed.
    """
    check_finite(kp, "keypoints")
    if kp.shape[-2:] != (178, 3) or kp.ndim < 2:
        raise ValueError(f"keypoints have shape {tuple(kp.shape)}, expected (..., 178, 3)")
    if kp.ndim >= 3:
        check_nonempty(kp, "keypoints", axis=-3)
    check_float(eps, "eps", min=0.0, min_open=True, hint="the smallest shoulder width divided by (1e-8)")
    r, l = SHOULDERS
    if mask is None and per_frame:
        neck = 0.5 * (kp[..., r:r + 1, :] + kp[..., l:l + 1, :])
        if isinstance(kp, torch.Tensor):
            width = (kp[..., r, :] - kp[..., l, :]).norm(dim=-1)[..., None, None].clamp_min(eps)
        else:
            width = np.maximum(np.linalg.norm(kp[..., r, :] - kp[..., l, :], axis=-1)[..., None, None], eps)
        return (kp - neck) / width
    is_np = not isinstance(kp, torch.Tensor)
    x = torch.from_numpy(np.ascontiguousarray(kp)) if is_np else kp
    if x.ndim < 3:
        raise ValueError(f"keypoints have shape {tuple(x.shape)}; with mask= or per_frame=False pass clips "
                         "(..., T, 178, 3)")
    m = torch.ones(x.shape[:-1], dtype=torch.bool, device=x.device) if mask is None else check_mask(mask, x)
    centre_f = 0.5 * (x[..., r, :] + x[..., l, :])  # (..., T, 3)
    width_f = (x[..., r, :] - x[..., l, :]).norm(dim=-1)  # (..., T)
    ok = m[..., r] & m[..., l] & (width_f > eps)
    n = ok.sum(-1)  # (...,)
    if bool((n == 0).any()):
        bad = tuple(int(i) for i in (n == 0).nonzero()[0]) if n.ndim else ()
        raise ValueError(f"clip {bad} has no frame with both shoulders observed (keypoints 0 and 3; mask all False "
                         "there or zero shoulder width): it cannot be normalised. Drop it, or check its mask.")
    w = ok.to(x.dtype)
    centre_c = (centre_f * w[..., None]).sum(-2) / n[..., None].to(x.dtype)  # (..., 3)
    width_c = (width_f * w).sum(-1) / n.to(x.dtype)  # (...,)
    if per_frame:
        centre = torch.where(ok[..., None], centre_f, centre_c[..., None, :])
        width = torch.where(ok, width_f, width_c[..., None])
    else:
        centre = centre_c[..., None, :].expand_as(centre_f)
        width = width_c[..., None].expand_as(width_f)
    out = (x - centre[..., None, :]) / width[..., None, None]
    out = torch.where(m[..., None], out, torch.zeros((), dtype=out.dtype, device=out.device))
    return out.numpy().astype(np.asarray(kp).dtype, copy=False) if is_np else out
