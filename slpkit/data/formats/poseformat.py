"""pose-format ``.pose`` files with MediaPipe Holistic components, and their 178-keypoint view.

Files are written and read with the ``pose_format`` library (``Pose``, ``PoseHeader``,
``PoseHeaderComponent``, ``NumPyPoseBody``), one person, point format ``XYZC``, with the
four components MediaPipe Holistic produces (as ``pose_format.utils.holistic`` names them):

=========================  ======  ==========================================
component                  points  point names
=========================  ======  ==========================================
``POSE_LANDMARKS``         33      MediaPipe ``PoseLandmark`` names (NOSE, ...)
``FACE_LANDMARKS``         468     ``"0"`` ... ``"467"`` (face mesh)
``LEFT_HAND_LANDMARKS``    21      MediaPipe ``HandLandmark`` names (WRIST, ...)
``RIGHT_HAND_LANDMARKS``   21      same
=========================  ======  ==========================================

Reading converts to SLRTP's 178 keypoints with :func:`slpkit.body.keypoints.mediapipe_to_178`.

Writing synthetic data (which has 178 keypoints, not 543 landmarks) uses the inverse
placement :func:`keypoints178_to_holistic`: each of the 178 keypoints is put at the
Holistic landmark that ``mediapipe_to_178`` reads it from (found once by probing that
function with index-coded landmarks); every other landmark is zero with confidence 0
(masked, as pose-format marks undetected points). So ``178 -> .pose -> 178`` is exact.

Corpus layout written by :func:`write_poseformat`::

    ROOT/{split}/{id}.pose
    ROOT/{split}.jsonl       one JSON object per line: {"name", "text", "gloss", "language", "fps", "signer"}
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from slpkit.checks import check_shape
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
FACE_POINTS = tuple(str(i) for i in range(468))
COMPONENTS: dict[str, tuple[str, ...]] = {
    "POSE_LANDMARKS": POSE_POINTS,
    "FACE_LANDMARKS": FACE_POINTS,
    "LEFT_HAND_LANDMARKS": HAND_POINTS,
    "RIGHT_HAND_LANDMARKS": HAND_POINTS,
}
COMPONENT_SIZES = {k: len(v) for k, v in COMPONENTS.items()}
TOTAL_POINTS = sum(COMPONENT_SIZES.values())  # 543
_OFFSETS = dict(zip(COMPONENTS, np.cumsum([0] + list(COMPONENT_SIZES.values()))[:-1].tolist()))

_HAND_LIMBS = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
               (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20)]
_POSE_LIMBS = [(11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24), (0, 2), (0, 5),
               (2, 7), (5, 8), (9, 10), (15, 17), (15, 19), (15, 21), (16, 18), (16, 20), (16, 22)]
_LIMBS = {"POSE_LANDMARKS": _POSE_LIMBS, "FACE_LANDMARKS": [], "LEFT_HAND_LANDMARKS": _HAND_LIMBS,
          "RIGHT_HAND_LANDMARKS": _HAND_LIMBS}
_COLORS = {"POSE_LANDMARKS": (255, 0, 0), "FACE_LANDMARKS": (128, 128, 128), "LEFT_HAND_LANDMARKS": (0, 255, 0),
           "RIGHT_HAND_LANDMARKS": (0, 0, 255)}


# ---------------------------------------------------------------------------------------
# header / raw holistic I/O
# ---------------------------------------------------------------------------------------
def holistic_header(width: int = 1000, height: int = 1000, depth: int = 1000):
    """``PoseHeader`` with the four MediaPipe Holistic components, point format ``XYZC``."""
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    comps = [PoseHeaderComponent(name, list(points), list(_LIMBS[name]), [_COLORS[name]] * len(_LIMBS[name]), "XYZC")
             for name, points in COMPONENTS.items()]
    return PoseHeader(version=0.2, dimensions=PoseHeaderDimensions(width, height, depth), components=comps)


def write_holistic(path: str | Path, data: np.ndarray, confidence: np.ndarray, fps: float = 25.0) -> Path:
    """Write ``(T, 543, 3)`` landmarks with ``(T, 543)`` confidence as a one-person ``.pose`` file."""
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody

    data = np.asarray(data, dtype=np.float32)
    conf = np.asarray(confidence, dtype=np.float32)
    check_shape(data, (-1, TOTAL_POINTS, 3), "holistic landmarks")
    if conf.shape != data.shape[:2]:
        raise ValueError(f"confidence has shape {conf.shape}, expected {data.shape[:2]}")
    body = NumPyPoseBody(fps=float(fps), data=data[:, None], confidence=conf[:, None])
    pose = Pose(holistic_header(), body)
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

    Masked (undetected) landmarks come back as zeros with confidence 0.
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
        if c.name in COMPONENTS:
            if n != COMPONENT_SIZES[c.name]:
                raise ValueError(f"component {c.name} has {n} points, expected {COMPONENT_SIZES[c.name]}")
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


@lru_cache(maxsize=1)
def placement() -> np.ndarray:
    """For each of the 178 keypoints, the flat Holistic landmark index (0..542) it is read from.

    Found by calling :func:`holistic_to_178` on index-coded landmarks; raises if
    ``mediapipe_to_178`` is not a pure selection (then no exact inverse exists).
    """
    code = np.arange(TOTAL_POINTS, dtype=np.float32) + 1.0
    coded = np.stack([code, 2 * code, -code], axis=-1)[None]  # (1, 543, 3)
    parts = {c: coded[:, o:o + COMPONENT_SIZES[c]] for c, o in _OFFSETS.items()}
    out = holistic_to_178(parts)[0]  # (178, 3)
    idx = np.rint(out[:, 0]).astype(np.int64) - 1
    ok = (idx >= 0) & (idx < TOTAL_POINTS)
    ok &= np.allclose(out, np.stack([idx + 1.0, 2 * (idx + 1.0), -(idx + 1.0)], -1), atol=1e-4)
    if not np.all(ok):
        raise NotImplementedError("mediapipe_to_178 is not a pure selection of landmarks: 178 -> .pose cannot be exact")
    if len(set(idx.tolist())) != len(idx):
        raise NotImplementedError("mediapipe_to_178 reads two keypoints from one landmark: no exact inverse")
    return idx


def keypoints178_to_holistic(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(T, 178, 3)`` -> ``(T, 543, 3)`` landmarks and ``(T, 543)`` confidence (1 where placed, else 0)."""
    kp = np.asarray(kp, dtype=np.float32)
    check_shape(kp, (-1, 178, 3), "keypoints178")
    idx = placement()
    data = np.zeros((kp.shape[0], TOTAL_POINTS, 3), np.float32)
    conf = np.zeros((kp.shape[0], TOTAL_POINTS), np.float32)
    data[:, idx] = kp
    conf[:, idx] = 1.0
    return data, conf


def write_pose(path: str | Path, keypoints: np.ndarray, fps: float = 25.0) -> Path:
    """Write ``(T, 178, 3)`` keypoints as a Holistic ``.pose`` file (exact inverse placement)."""
    data, conf = keypoints178_to_holistic(keypoints)
    return write_holistic(path, data, conf, fps)


def load_pose_178(path: str | Path) -> np.ndarray:
    """Read a Holistic ``.pose`` file -> ``(T, 178, 3)`` float32 keypoints."""
    pose = read_pose(path)
    try:
        parts, _ = pose_to_holistic(pose)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from err
    return holistic_to_178(parts)


# ---------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------
def write_poseformat(sentences: Iterable[Any], root: str | Path) -> Path:
    """Write corpus sentences as ``ROOT/{split}/{id}.pose`` plus ``ROOT/{split}.jsonl`` (text etc.)."""
    from slpkit.data.formats.slrtp import sentence_keypoints

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    index: dict[str, list[str]] = {}
    for s in sentences:
        fps = int(getattr(s, "fps", 25))
        write_pose(root / s.split / f"{s.id}.pose", sentence_keypoints(s), fps)
        index.setdefault(s.split, []).append(json.dumps(
            {"name": s.id, "text": s.text, "gloss": " ".join(s.gloss), "language": s.language, "fps": fps,
             "signer": int(s.signer)}, ensure_ascii=False))
    for split, lines in index.items():
        (root / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def load_poseformat(root: str | Path, split: str) -> list[dict[str, Any]]:
    """One split -> ``[{'name', 'text', 'keypoints' (T, 178, 3), 'fps', ...}]`` in index order.

    Without ``ROOT/{split}.jsonl`` every ``.pose`` of the folder is read (text empty).
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
                entries.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise corrupt(index_path, f"line {i + 1}: {err}") from err
    else:
        entries = [{"name": p.stem, "text": ""} for p in sorted(folder.glob("*.pose"), key=lambda p: natural_key(p.name))]
    out = []
    for e in entries:
        path = folder / f"{e['name']}.pose"
        pose = read_pose(path)
        try:
            parts, _ = pose_to_holistic(pose)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from err
        e = dict(e)
        e["keypoints"] = holistic_to_178(parts)
        e.setdefault("fps", float(pose.body.fps))
        out.append(e)
    return out
