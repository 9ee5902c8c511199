"""pose-format ``.pose`` files with MediaPipe Holistic components, and their 178-keypoint view.

Files are written and read with the ``pose_format`` library (``Pose``, ``PoseHeader``,
``PoseHeaderComponent``, ``NumPyPoseBody``), point format ``XYZC`` (``XYC`` files read too,
with z = 0). MediaPipe Holistic's components, as ``pose_format.utils.holistic`` names them:

=========================  ========  ==========================================
component                  points    point names
=========================  ========  ==========================================
``POSE_LANDMARKS``         33        MediaPipe ``PoseLandmark`` names (NOSE, ...)
``FACE_LANDMARKS``         468/478   ``"0"`` ... ``"467"`` (``"477"`` with refined irises)
``LEFT_HAND_LANDMARKS``    21        MediaPipe ``HandLandmark`` names (WRIST, ...)
``RIGHT_HAND_LANDMARKS``   21        same
``POSE_WORLD_LANDMARKS``   33        optional (pose-format's holistic output has it)
=========================  ========  ==========================================

Reading (:func:`load_pose`) takes the 178 keypoints **by point name** with pose-format's
``Pose.get_components`` (so the 468- and 478-point meshes, files with world landmarks and
reduced files such as pose-format's 128-point contour face all work), in SLRTP order
(:mod:`slpkit.body.keypoints`), then:

1. **mask** from confidence: a point is observed iff its confidence is ``> min_confidence``
   (default 0: pose-format marks undetected points with confidence 0; negative confidences
   are interpolation artefacts and count as missing) and its coordinates are finite;
2. **orientation**: ``coords="auto"`` tells image landmarks (pixels, y down) from y-up files
   with :func:`slpkit.body.keypoints.detect_y_down` and converts image landmarks with
   :func:`slpkit.body.keypoints.image_to_y_up` (y flipped, z to pixels, hand depth anchored at
   the body wrists). The result is in the y-up convention of :mod:`slpkit.body.keypoints`,
   in the file's units;
3. **glitches**: :func:`slpkit.body.keypoints.flag_glitches` masks tracking spikes;
4. **frame rate / gaps**: pose-format's ``NumPyPoseBody.interpolate`` resamples to ``fps``
   (25, SynthSign's rate; ``None`` keeps the file's) and fills gaps of at most ``max_gap``
   frames, which become observed; longer gaps stay masked.

It returns ``keypoints (T, 178, 3)`` float32, finite, with 0 under the mask, and ``mask (T, 178)``
bool (True = observed): the mask contract of :mod:`slpkit.body.keypoints`. Pass
``normalize=True`` (or call :func:`slpkit.body.keypoints.normalize178` with ``mask=``) to get
shoulder-centred keypoints in shoulder widths, the same frame SynthSign's keypoints take.

Writing: :func:`write_pose` places each of the 178 keypoints at the Holistic landmark it is
read from (:func:`placement`); every other landmark is zero with confidence 0 (masked, as
pose-format marks undetected points). ``coords="world"`` (default) writes the values as they
are, so ``178 -> .pose -> 178`` is exact; ``coords="image"`` writes them as MediaPipe image
landmarks of a virtual camera (:func:`slpkit.body.keypoints.y_up_to_image`), as a real
pipeline would.

Corpus layout written by :func:`write_poseformat`::

    ROOT/{split}/{id}.pose
    ROOT/{split}.jsonl       one JSON object per line: {"name", "text", "gloss", "language", "fps", "signer"}
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from slpkit.checks import check_int, check_shape
from slpkit.data.formats._io import corrupt, natural_key, require_dir, require_file

POSE_POINTS = (
    "NOSE", "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "RIGHT_EYE_INNER", "RIGHT_EYE", "RIGHT_EYE_OUTER",
    "LEFT_EAR", "RIGHT_EAR", "MOUTH_LEFT", "MOUTH_RIGHT", "LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_ELBOW",
    "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_PINKY", "RIGHT_PINKY", "LEFT_INDEX", "RIGHT_INDEX",
    "LEFT_THUMB", "RIGHT_THUMB", "LEFT_HIP", "RIGHT_HIP", "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE",
    "LEFT_HEEL", "RIGHT_HEEL", "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX",
)
HAND_POINTS = (
    "WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP", "INDEX_FINGER_PIP",
    "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP", "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP",
    "MIDDLE_FINGER_TIP", "RING_FINGER_MCP", "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP",
    "PINKY_MCP", "PINKY_PIP", "PINKY_DIP", "PINKY_TIP",
)
#: face-mesh sizes MediaPipe produces: 468, or 478 with ``refine_face_landmarks`` (10 iris points)
FACE_SIZES = (468, 478)
FACE_POINTS = tuple(str(i) for i in range(468))
FACE_POINTS_REFINED = tuple(str(i) for i in range(478))
WORLD_COMPONENT = "POSE_WORLD_LANDMARKS"
#: what :func:`write_pose` writes by default (slpkit's own files)
COMPONENTS: dict[str, tuple[str, ...]] = {
    "POSE_LANDMARKS": POSE_POINTS,
    "FACE_LANDMARKS": FACE_POINTS,
    "LEFT_HAND_LANDMARKS": HAND_POINTS,
    "RIGHT_HAND_LANDMARKS": HAND_POINTS,
}
COMPONENT_SIZES = {k: len(v) for k, v in COMPONENTS.items()}
TOTAL_POINTS = sum(COMPONENT_SIZES.values())  # 543
COORDS = ("auto", "image", "world")

_HAND_LIMBS = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
               (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20)]
_POSE_LIMBS = [(11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24), (0, 2), (0, 5),
               (2, 7), (5, 8), (9, 10), (15, 17), (15, 19), (15, 21), (16, 18), (16, 20), (16, 22)]
_LIMBS = {"POSE_LANDMARKS": _POSE_LIMBS, "FACE_LANDMARKS": [], "LEFT_HAND_LANDMARKS": _HAND_LIMBS,
          "RIGHT_HAND_LANDMARKS": _HAND_LIMBS, WORLD_COMPONENT: _POSE_LIMBS}
_COLORS = {"POSE_LANDMARKS": (255, 0, 0), "FACE_LANDMARKS": (128, 128, 128), "LEFT_HAND_LANDMARKS": (0, 255, 0),
           "RIGHT_HAND_LANDMARKS": (0, 0, 255), WORLD_COMPONENT: (255, 0, 0)}


def _selection_178() -> list[tuple[str, tuple[str, ...]]]:
    """``[(component, point names)]`` whose concatenation is the 178 layout (SLRTP order: body, rhand, lhand, face)."""
    from slpkit.body.face import FACE128
    from slpkit.body.keypoints import MP_POSE_BODY8

    return [("POSE_LANDMARKS", tuple(POSE_POINTS[i] for i in MP_POSE_BODY8)),
            ("RIGHT_HAND_LANDMARKS", HAND_POINTS),
            ("LEFT_HAND_LANDMARKS", HAND_POINTS),
            ("FACE_LANDMARKS", tuple(str(i) for i in FACE128))]


# ---------------------------------------------------------------------------------------
# header / raw holistic I/O
# ---------------------------------------------------------------------------------------
def holistic_components(face_points: int = 468, world_landmarks: bool = False) -> dict[str, tuple[str, ...]]:
    """``{component: point names}`` of MediaPipe Holistic in pose-format's order (468- or 478-point face)."""
    if face_points not in FACE_SIZES:
        raise ValueError(f"face_points={face_points!r}: MediaPipe's face mesh has 468 points, or 478 with refined irises")
    comps = dict(COMPONENTS)
    comps["FACE_LANDMARKS"] = FACE_POINTS if face_points == 468 else FACE_POINTS_REFINED
    if world_landmarks:
        comps[WORLD_COMPONENT] = POSE_POINTS
    return comps


def holistic_header(width: int = 1000, height: int = 1000, depth: int = 1000, *, face_points: int = 468,
                    world_landmarks: bool = False):
    """``PoseHeader`` with the MediaPipe Holistic components, point format ``XYZC``."""
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    comps = [PoseHeaderComponent(name, list(points), list(_LIMBS[name]), [_COLORS[name]] * max(1, len(_LIMBS[name])),
                                 "XYZC")
             for name, points in holistic_components(face_points, world_landmarks).items()]
    return PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(width, height, depth), components=comps)


def write_holistic(path: str | Path, data: np.ndarray, confidence: np.ndarray, fps: float = 25.0,
                   header: Any = None) -> Path:
    """Write ``(T, N, 3)`` landmarks with ``(T, N)`` confidence as a one-person ``.pose`` file.

    ``header`` defaults to :func:`holistic_header` (N = 543); pass another one for 478-point faces
    or world landmarks (N must match it).
    """
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody

    header = header or holistic_header()
    n = sum(len(c.points) for c in header.components)
    data = np.asarray(data, dtype=np.float32)
    conf = np.asarray(confidence, dtype=np.float32)
    check_shape(data, (-1, n, 3), "holistic landmarks", f"The header has {n} points.")
    if conf.shape != data.shape[:2]:
        raise ValueError(f"confidence has shape {conf.shape}, expected {data.shape[:2]} (one value per landmark)")
    if not float(fps) > 0:
        raise ValueError(f"fps={fps!r}: pass the clip's frame rate (> 0)")
    body = NumPyPoseBody(fps=float(fps), data=data[:, None], confidence=conf[:, None])
    pose = Pose(header, body)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    pose.write(buf)
    path.write_bytes(buf.getvalue())
    return path


def read_pose(path: str | Path):
    """Read a ``.pose`` file with ``pose_format.Pose.read``; errors name the file."""
    from pose_format import Pose

    path = require_file(path, ".pose file")
    raw = path.read_bytes()
    try:
        pose = Pose.read(raw)
        data = np.asarray(pose.body.data)
        conf = np.asarray(pose.body.confidence)
    except Exception as err:
        raise corrupt(path, f"{type(err).__name__}: {err}") from err
    n_points = sum(len(c.points) for c in pose.header.components)
    if data.ndim != 4 or data.shape[2] != n_points or conf.shape != data.shape[:3]:
        raise corrupt(path, f"body of shape {data.shape} does not match a header with {n_points} points")
    return pose


def pose_to_holistic(pose: Any, person: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Split a Holistic ``Pose`` into ``{component: (T, n, 3)}`` and ``{component: (T, n)}`` confidence.

    Raw view of every component in the file (any face size, world landmarks included):
    masked landmarks come back as zeros and only the confidence says they are missing. Use
    :func:`load_pose` for the 178 keypoints with a mask.
    """
    names = [c.name for c in pose.header.components]
    missing = [c for c in COMPONENTS if c not in names]
    if missing:
        raise ValueError(f"pose has components {names}; MediaPipe Holistic components {missing} are missing")
    data = np.ma.filled(pose.body.data, 0.0)[:, person].astype(np.float32)
    conf = np.asarray(pose.body.confidence)[:, person].astype(np.float32)
    out, cout, start = {}, {}, 0
    for c in pose.header.components:
        n = len(c.points)
        out[c.name] = data[:, start:start + n, :3]
        cout[c.name] = conf[:, start:start + n]
        start += n
    return out, cout


# ---------------------------------------------------------------------------------------
# 178 <-> holistic
# ---------------------------------------------------------------------------------------
def holistic_to_178(parts: dict[str, np.ndarray]) -> np.ndarray:
    """``{component: (T, n, 3)}`` Holistic landmarks -> ``(T, 178, 3)`` via ``slpkit.body.keypoints.mediapipe_to_178``."""
    from slpkit.body.keypoints import mediapipe_to_178

    out = mediapipe_to_178({k: parts[k] for k in COMPONENTS})
    return np.asarray(out, dtype=np.float32)


def placement(face_points: int = 468, world_landmarks: bool = False) -> np.ndarray:
    """For each of the 178 keypoints, the flat Holistic landmark index it is read from, ``(178,)`` int64.

    From the point names :func:`load_pose` selects, in the layout of :func:`holistic_components`
    (0..542 for the default 468-point face). A test checks it agrees with
    :func:`slpkit.body.keypoints.mediapipe_to_178`.
    """
    comps = holistic_components(face_points, world_landmarks)
    offsets, o = {}, 0
    for name, points in comps.items():
        offsets[name] = o
        o += len(points)
    idx = [offsets[c] + comps[c].index(p) for c, points in _selection_178() for p in points]
    return np.asarray(idx, dtype=np.int64)


def keypoints178_to_holistic(kp: np.ndarray, mask: np.ndarray | None = None, face_points: int = 468,
                             world_landmarks: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(T, 178, 3)`` -> ``(T, N, 3)`` landmarks and ``(T, N)`` confidence (1 where placed and observed, else 0)."""
    kp = np.asarray(kp, dtype=np.float32)
    check_shape(kp, (-1, 178, 3), "keypoints178")
    n = sum(len(p) for p in holistic_components(face_points, world_landmarks).values())
    idx = placement(face_points, world_landmarks)
    m = np.ones(kp.shape[:2], bool) if mask is None else _check_point_mask(mask, kp)
    data = np.zeros((kp.shape[0], n, 3), np.float32)
    conf = np.zeros((kp.shape[0], n), np.float32)
    data[:, idx] = np.where(m[..., None], kp, 0.0)
    conf[:, idx] = m.astype(np.float32)
    return data, conf


def _check_point_mask(mask: Any, kp: np.ndarray) -> np.ndarray:
    from slpkit.body.keypoints import check_mask

    return check_mask(mask, kp)


def holistic_arrays(keypoints: np.ndarray, *, mask: np.ndarray | None = None, coords: str = "world",
                    width: int = 1000, height: int = 1000, face_points: int = 468, world_landmarks: bool = False):
    """``(T, 178, 3)`` y-up keypoints -> ``(landmarks (T, N, 3), confidence (T, N), PoseHeader)`` for :func:`write_holistic`.

    What :func:`write_pose` writes, returned instead so a caller can edit it first (the
    stand-ins of ``data_stubs/make_real_like_pose.py`` add glitches and confidence artefacts).
    """
    from slpkit.body.keypoints import y_up_to_image

    kp = np.asarray(keypoints, dtype=np.float32)
    check_shape(kp, (-1, 178, 3), "keypoints", "Build them with slpkit.body.keypoints.keypoints178(v133, face108).")
    if coords not in ("world", "image"):
        raise ValueError(f"coords={coords!r}: write 'world' (values as they are) or 'image' (MediaPipe pixels, y down)")
    if kp.shape[0] == 0:
        raise ValueError("keypoints have 0 frames (shape (0, 178, 3)): a .pose file needs at least one frame")
    m = np.ones(kp.shape[:2], bool) if mask is None else _check_point_mask(mask, kp)
    if not np.isfinite(kp[m]).all():
        t, j = np.argwhere(~np.isfinite(kp).all(-1) & m)[0]
        raise ValueError(f"keypoints hold NaN/inf at observed points (first: frame {t}, point {j}): mask them "
                         "(mask=..., False = missing) or clean them before writing")
    values = kp if coords == "world" else y_up_to_image(kp, width, height, m)[0]
    data, conf = keypoints178_to_holistic(values, m, face_points, world_landmarks)
    if world_landmarks:
        # pose-format stores MediaPipe's world landmarks (metres, hip-centred, y down) times (width, height)
        hips = 0.5 * (kp[:, 6] + kp[:, 7])
        body_idx = placement(face_points, False)[:8]
        world_off = sum(len(p) for p in holistic_components(face_points, False).values())
        w = (kp[:, :8] - hips[:, None]) * np.array([1.0, -1.0, -1.0], np.float32)
        data[:, world_off + body_idx] = np.where(m[:, :8, None], w * np.array([width, height, 1.0], np.float32), 0.0)
        conf[:, world_off + body_idx] = m[:, :8]
    header = holistic_header(width, height, face_points=face_points, world_landmarks=world_landmarks)
    return data, conf, header


def write_pose(path: str | Path, keypoints: np.ndarray, fps: float = 25.0, *, mask: np.ndarray | None = None,
               coords: str = "world", width: int = 1000, height: int = 1000, face_points: int = 468,
               world_landmarks: bool = False) -> Path:
    """Write ``(T, 178, 3)`` y-up keypoints as a Holistic ``.pose`` file; masked points get confidence 0.

    ``coords="world"``: values written as they are (exact round trip with :func:`load_pose`).
    ``coords="image"``: as MediaPipe image landmarks of a virtual ``width`` x ``height`` camera
    (:func:`slpkit.body.keypoints.y_up_to_image`: pixels, y down), the way a real pipeline
    stores them; :func:`load_pose` brings them back up to translation and scale, so
    ``normalize178`` of both agree. ``face_points`` 468 or 478; ``world_landmarks`` adds
    ``POSE_WORLD_LANDMARKS`` (the 8 body points, hip-centred, y down).
    """
    data, conf, header = holistic_arrays(keypoints, mask=mask, coords=coords, width=width, height=height,
                                         face_points=face_points, world_landmarks=world_landmarks)
    return write_holistic(path, data, conf, fps, header)


# ---------------------------------------------------------------------------------------
# reading real files: 178 keypoints + mask
# ---------------------------------------------------------------------------------------
def select_178(pose: Any, path: str | Path | None = None):
    """The 178 keypoints of a Holistic ``Pose`` as a new ``Pose`` (``Pose.get_components`` by point name, SLRTP order).

    Raises ``ValueError`` naming the file and what is missing when a component or one of the
    selected points (e.g. a face mesh without the 128 contour points) is absent.
    """
    where = f"{path}: " if path is not None else ""
    comps = {c.name: c for c in pose.header.components}
    sel = _selection_178()
    absent = [name for name, _ in sel if name not in comps]
    if absent:
        raise ValueError(
            f"{where}pose has components {list(comps)}; the MediaPipe Holistic components {absent} are missing. "
            "slpkit reads Holistic .pose files (pose-format's holistic output: POSE_LANDMARKS, FACE_LANDMARKS, "
            "LEFT_HAND_LANDMARKS, RIGHT_HAND_LANDMARKS, optionally POSE_WORLD_LANDMARKS).")
    for name, points in sel:
        have = set(comps[name].points)
        lacking = [p for p in points if p not in have]
        if lacking:
            raise ValueError(
                f"{where}component {name} has {len(have)} points and lacks {len(lacking)} the 178 layout reads "
                f"(e.g. {lacking[:5]}). The face must hold the 128 contour points of MediaPipe's 468/478-point mesh "
                "(named by mesh index); hands and pose need MediaPipe's point names.")
    return pose.get_components([name for name, _ in sel], {name: list(points) for name, points in sel})


def pose_to_178(pose: Any, *, person: int = 0, min_confidence: float = 0.0, coords: str = "auto",
                path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """A Holistic ``Pose`` -> ``(keypoints (T, 178, 3) float32 y-up, mask (T, 178) bool, coords)``, at the file's rate.

    Steps 1-2 of the module doc (mask from confidence, orientation). ``coords`` is the
    convention the file was found in (``"image"`` or ``"world"``); keypoints are 0 under the mask.
    """
    from slpkit.body.keypoints import detect_y_down, image_to_y_up

    where = f"{path}: " if path is not None else ""
    if coords not in COORDS:
        raise ValueError(f"coords={coords!r}: use 'auto' (detect), 'image' (MediaPipe pixels, y down) or 'world' (y up)")
    sub = select_178(pose, path)
    data = np.asarray(np.ma.getdata(sub.body.data), dtype=np.float64)
    conf = np.asarray(np.ma.getdata(sub.body.confidence), dtype=np.float64)
    if data.shape[0] == 0:
        raise ValueError(f"{where}the file has no frames")
    if not 0 <= person < data.shape[1]:
        raise ValueError(f"{where}person={person} but the file holds {data.shape[1]} person(s) per frame")
    data, conf = data[:, person], conf[:, person]
    if data.shape[-1] < 2:
        raise ValueError(f"{where}points have {data.shape[-1]} coordinates, expected at least x, y")
    if data.shape[-1] == 2:  # XYC files: 2-D landmarks
        data = np.concatenate([data, np.zeros(data.shape[:-1] + (1,))], axis=-1)
    data = data[..., :3]
    mask = (conf > float(min_confidence)) & np.isfinite(data).all(-1) & np.isfinite(conf)
    kp = np.where(mask[..., None], data, 0.0).astype(np.float32)
    if coords == "auto":
        y_down = detect_y_down(kp, mask)
        if y_down is None:
            raise ValueError(f"{where}cannot tell the orientation (no frame with shoulders and face or hips observed): "
                             "pass coords='image' (MediaPipe pixels, y down) or coords='world' (y up)")
        coords = "image" if y_down else "world"
    if coords == "image":
        kp = image_to_y_up(kp, float(pose.header.dimensions.width), mask)
    return np.where(mask[..., None], kp, 0.0).astype(np.float32), mask, coords


def _fill_short_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """``(T, P)`` mask with interior runs of at most ``max_gap`` missing frames (between observed ones) set True."""
    out = mask.copy()
    if max_gap <= 0:
        return out
    for p in np.nonzero((~mask).any(0) & mask.any(0))[0]:
        obs = np.nonzero(mask[:, p])[0]
        for a, b in zip(obs[:-1], obs[1:]):
            if 1 < b - a <= max_gap + 1:
                out[a + 1:b, p] = True
    return out


def resample_178(kp: np.ndarray, mask: np.ndarray, fps: float, new_fps: float | None = None, max_gap: int = 2,
                 kind: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    """Resample ``(T, 178, 3)`` keypoints + mask from ``fps`` to ``new_fps`` and fill short gaps.

    Values come from pose-format's ``NumPyPoseBody.interpolate`` (``kind`` as scipy's
    ``interp1d``; it interpolates each point over its observed frames, confidence 0 = missing).
    The mask is resampled conservatively: a new frame is observed iff the source frames on
    both sides of it are, after gaps of at most ``max_gap`` frames between observed frames are
    counted as observed (they are interpolated). Clips of one frame are returned unchanged.
    Returns ``(keypoints (T', 178, 3) float32 with 0 under the mask, mask (T', 178))``.
    """
    from pose_format.numpy import NumPyPoseBody

    kp = np.asarray(kp, dtype=np.float32)
    mask = _check_point_mask(mask, kp)
    new_fps = float(fps if new_fps is None else new_fps)
    if not (float(fps) > 0 and new_fps > 0):
        raise ValueError(f"fps={fps!r}, new_fps={new_fps!r}: frame rates must be > 0")
    max_gap = check_int(max_gap, "max_gap", min=0, hint="missing frames in a row to interpolate (0: none)")
    filled = _fill_short_gaps(mask, max_gap)
    T = kp.shape[0]
    same_rate = math.isclose(float(fps), new_fps, rel_tol=1e-9)
    if T < 2 or (same_rate and np.array_equal(filled, mask)):
        return np.where(mask[..., None], kp, 0.0).astype(np.float32), mask.copy()
    body = NumPyPoseBody(fps=float(fps), data=kp[:, None].astype(np.float32), confidence=mask[:, None].astype(np.float32))
    new = body.interpolate(new_fps=new_fps, kind=kind)
    values = np.asarray(np.ma.getdata(new.data), dtype=np.float64)[:, 0]
    # pose-format maps the frames to linspace(0, 1, T) and linspace(0, 1, T'): each new frame's source position
    pos = np.linspace(0.0, T - 1.0, values.shape[0])
    lo = np.clip(np.floor(pos + 1e-9).astype(np.int64), 0, T - 1)
    hi = np.clip(np.ceil(pos - 1e-9).astype(np.int64), 0, T - 1)
    new_mask = filled[lo] & filled[hi]
    new_mask &= np.isfinite(values).all(-1)
    return np.where(new_mask[..., None], values, 0.0).astype(np.float32), new_mask


def load_pose(path: str | Path, *, fps: float | None = 25.0, coords: str = "auto", min_confidence: float = 0.0,
              glitch_threshold: float | None = 1.5, max_gap: int = 2, normalize: bool = False,
              person: int = 0) -> dict[str, Any]:
    """Read one Holistic ``.pose`` file (real MediaPipe output or slpkit's) -> 178 keypoints with a mask.

    Returns ``{"name", "keypoints" (T, 178, 3) float32, "mask" (T, 178) bool, "fps", "source_fps",
    "source_frames", "coords" ('image' | 'world'), "glitch_frames" (source frames with a flagged point)}``.
    Keypoints follow the y-up convention of :mod:`slpkit.body.keypoints` in the file's units, or
    shoulder widths with ``normalize=True`` (:func:`slpkit.body.keypoints.normalize178`, per frame,
    with the mask). ``fps=None`` keeps the file's rate; ``glitch_threshold=None`` skips the spike
    test; ``max_gap=0`` interpolates no gap. See the module doc for each step.
    """
    from slpkit.body.keypoints import flag_glitches, normalize178

    if fps is not None and not float(fps) > 0:
        raise ValueError(f"fps={fps!r}: pass the frame rate to resample to (SynthSign: 25) or None to keep the file's")
    pose = read_pose(path)
    kp, mask, found = pose_to_178(pose, person=person, min_confidence=min_confidence, coords=coords, path=path)
    source_fps = float(pose.body.fps)
    glitch_frames: list[int] = []
    if glitch_threshold is not None:
        clean = flag_glitches(kp, mask, threshold=float(glitch_threshold))
        glitch_frames = np.nonzero((mask & ~clean).any(-1))[0].tolist()
        mask = clean
        kp = np.where(mask[..., None], kp, 0.0).astype(np.float32)
    resample = fps is not None and kp.shape[0] >= 2
    if resample and not source_fps > 0:
        raise ValueError(f"{path}: the file's fps is {source_fps}, so it cannot be resampled; pass fps=None")
    rate = source_fps if source_fps > 0 else 1.0  # fps=None: only short gaps are filled, at the file's rate
    kp, mask = resample_178(kp, mask, rate, float(fps) if resample else None, max_gap=max_gap)
    out_fps = float(fps) if resample else source_fps
    if normalize:
        try:
            kp = normalize178(kp, mask=mask)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from err
    return {"name": Path(path).stem, "keypoints": np.ascontiguousarray(kp, dtype=np.float32), "mask": mask,
            "fps": out_fps, "source_fps": source_fps, "source_frames": int(pose.body.data.shape[0]),
            "coords": found, "glitch_frames": glitch_frames}


def load_pose_178(path: str | Path, **kwargs: Any) -> np.ndarray:
    """Read a Holistic ``.pose`` file -> ``(T, 178, 3)`` float32 keypoints (:func:`load_pose` without the mask).

    Missing points are 0: use :func:`load_pose` to know which they are.
    """
    return load_pose(path, **kwargs)["keypoints"]


def load_pose_folder(folder: str | Path, skip_errors: bool = False, **kwargs: Any) -> list[dict[str, Any]]:
    """Every ``*.pose`` file directly in ``folder`` (natural name order) through :func:`load_pose` (same keywords).

    ``skip_errors=True`` leaves out files that raise ``ValueError`` (corrupt, not Holistic, no
    shoulders to normalise by) with one warning naming each, instead of stopping at the first.
    """
    import warnings

    folder = require_dir(folder, "folder of .pose files")
    paths = sorted(folder.glob("*.pose"), key=lambda p: natural_key(p.name))
    if not paths:
        raise FileNotFoundError(f"no .pose files in {folder}: point it at a folder holding MediaPipe Holistic .pose "
                                "files (e.g. written by pose-format's video_to_pose)")
    out, skipped = [], []
    for p in paths:
        try:
            out.append(load_pose(p, **kwargs))
        except ValueError as err:
            if not skip_errors:
                raise
            skipped.append(f"{p.name}: {err}")
    if skipped:
        warnings.warn(f"skipped {len(skipped)} of {len(paths)} .pose files:\n" + "\n".join(skipped), stacklevel=2)
    if not out:
        raise ValueError(f"none of the {len(paths)} .pose files in {folder} could be read (see the warning)")
    return out


# ---------------------------------------------------------------------------------------
# batching
# ---------------------------------------------------------------------------------------
def batch_clips(clips: Sequence[dict[str, Any]], max_len: int | None = None) -> dict[str, Any]:
    """Pad clips ``[{"keypoints" (T, 178, 3), "mask" (T, 178), ...}]`` into one batch (torch).

    Returns ``{"motion" (B, T_max, 534) float32, "mask" (B, T_max) bool (real frames),
    "point_mask" (B, T_max, 178) bool (observed points of real frames), "lengths" (B,),
    "name" [B]}``, the data module's batch layout plus ``point_mask``; padding is 0 and False.
    ``max_len`` keeps the first ``max_len`` frames of longer clips. Clips without ``"mask"`` are
    fully observed.
    """
    import torch

    if isinstance(clips, dict) or not clips:
        raise ValueError("batch_clips got no clips: pass a list of clip dicts (what load_pose returns)")
    max_len = check_int(max_len, "max_len", min=1, none_ok=True, hint="frames to keep per clip (None: all)")
    kps, masks = [], []
    for i, c in enumerate(clips):
        kp = np.asarray(c["keypoints"], dtype=np.float32)
        check_shape(kp, (-1, 178, 3), f"keypoints of clip {c.get('name', i)}")
        m = np.ones(kp.shape[:2], bool) if c.get("mask") is None else _check_point_mask(c["mask"], kp)
        if max_len is not None:
            kp, m = kp[:max_len], m[:max_len]
        kps.append(kp)
        masks.append(m)
    lengths = torch.tensor([len(k) for k in kps], dtype=torch.long)
    B, T = len(kps), int(lengths.max())
    motion = torch.zeros(B, T, 178, 3)
    point_mask = torch.zeros(B, T, 178, dtype=torch.bool)
    for i, (kp, m) in enumerate(zip(kps, masks)):
        motion[i, : len(kp)] = torch.from_numpy(np.where(m[..., None], kp, 0.0).astype(np.float32))
        point_mask[i, : len(kp)] = torch.from_numpy(m)
    return {"motion": motion.reshape(B, T, 178 * 3), "mask": torch.arange(T)[None, :] < lengths[:, None],
            "point_mask": point_mask, "lengths": lengths, "name": [c.get("name", str(i)) for i, c in enumerate(clips)]}


# ---------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------
def write_poseformat(sentences: Iterable[Any], root: str | Path, **write_kwargs: Any) -> Path:
    """Write corpus sentences as ``ROOT/{split}/{id}.pose`` plus ``ROOT/{split}.jsonl`` (text etc.).

    ``write_kwargs`` go to :func:`write_pose` (e.g. ``coords="image", face_points=478``).
    """
    from slpkit.data.formats.slrtp import sentence_keypoints

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    index: dict[str, list[str]] = {}
    for s in sentences:
        fps = int(getattr(s, "fps", 25))
        write_pose(root / s.split / f"{s.id}.pose", sentence_keypoints(s), fps, **write_kwargs)
        index.setdefault(s.split, []).append(json.dumps(
            {"name": s.id, "text": s.text, "gloss": " ".join(s.gloss), "language": s.language, "fps": fps,
             "signer": int(s.signer)}, ensure_ascii=False))
    for split, lines in index.items():
        (root / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def load_poseformat(root: str | Path, split: str, **kwargs: Any) -> list[dict[str, Any]]:
    """One split -> ``[{'name', 'text', 'keypoints' (T, 178, 3), 'mask' (T, 178), 'fps', ...}]`` in index order.

    ``kwargs`` go to :func:`load_pose` (resampling, orientation, normalisation); ``'fps'`` is
    the rate of the returned keypoints, ``'source_fps'`` the file's. Without
    ``ROOT/{split}.jsonl`` every ``.pose`` of the folder is read (text empty).
    """
    root = Path(root)
    folder = require_dir(root / split, f"pose-format split folder ({split!r})")
    index_path = root / f"{split}.jsonl"
    if index_path.exists():
        entries = []
        for i, line in enumerate(index_path.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except json.JSONDecodeError as err:
                raise corrupt(index_path, f"line {i + 1}: {err}") from err
            if not isinstance(e, dict) or not isinstance(e.get("name"), str) or not e["name"]:
                raise ValueError(f"{index_path}, line {i + 1}: expected a JSON object with a 'name' (the .pose file's "
                                 f"stem in {folder}), got {line[:80]!r}. Fix or remove the line.")
            entries.append(e)
    else:
        entries = [{"name": p.stem, "text": ""} for p in sorted(folder.glob("*.pose"), key=lambda p: natural_key(p.name))]
    if not entries:
        raise FileNotFoundError(f"no .pose files in pose-format split folder {folder} (and no entries in {index_path})")
    out = []
    for e in entries:
        clip = load_pose(folder / f"{e['name']}.pose", **kwargs)
        e = dict(e)
        e.update({k: v for k, v in clip.items() if k != "name"})
        out.append(e)
    return out
