"""SMPL-X kinematic tree and a built-in rest skeleton (no model files needed).

The 55 joints, their names and parents are SMPL-X's (Pavlakos et al. 2019; the same order as
``smplx.joint_names.JOINT_NAMES[:55]``): 22 body joints, jaw, 2 eyes, 15 left-hand and
15 right-hand joints (per hand: index1-3, middle1-3, pinky1-3, ring1-3, thumb1-3).

:data:`REST_JOINTS` is a plausible neutral adult (about 1.7 m) written from anatomy, in
metres, in SMPL-X's frame: **y up, z forward (the way the subject faces), +x the subject's
left**; pelvis at the origin; T-pose with arms along +-x, palms down, fingers extended and
slightly spread, thumbs pointing forward-out. The right side is the exact mirror
``x -> -x`` of the left (tested). Extra points carried by the offline body model
(:mod:`slpkit.body.fk`): 10 fingertips (offsets from the distal finger joints) and 5 face
points (nose, eyes, ears: fixed offsets of the head joint), the same set smplx adds from
mesh vertices (``smplx.vertex_ids['smplx']``).

Extended joint set ``J = 70`` (what ``BodyModel.joints`` returns)::

    0..54   SMPL-X joints (JOINT_NAMES)
    55..59  left  thumb/index/middle/ring/pinky tips
    60..64  right thumb/index/middle/ring/pinky tips
    65..69  nose, right_eye, left_eye, right_ear, left_ear

Example::

    >>> from slpkit.body.skeleton import REST_JOINTS, PARENTS, JOINT_NAMES
    >>> REST_JOINTS.shape, len(PARENTS), JOINT_NAMES[20]
    ((55, 3), 55, 'left_wrist')
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "JOINT_NAMES", "PARENTS", "NUM_JOINTS", "REST_JOINTS", "EXT_NAMES", "EXT_PARENTS", "NUM_EXT",
    "TIP_NAMES", "TIP_PARENTS", "TIP_OFFSETS", "FACE_POINT_NAMES", "FACE_POINT_OFFSETS", "rest_points",
    "METRIC_BODY_NAMES", "METRIC_HAND_NAMES", "METRIC_BODY_IDX", "METRIC_LHAND_IDX", "METRIC_RHAND_IDX",
    "HAND_LIMBS21", "BODY_LIMBS12", "MIRROR_PERM", "MIRROR_PERM_EXT", "joint_index",
]

JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "jaw",
    "left_eye_smplhf", "right_eye_smplhf",
    "left_index1", "left_index2", "left_index3", "left_middle1", "left_middle2", "left_middle3",
    "left_pinky1", "left_pinky2", "left_pinky3", "left_ring1", "left_ring2", "left_ring3",
    "left_thumb1", "left_thumb2", "left_thumb3",
    "right_index1", "right_index2", "right_index3", "right_middle1", "right_middle2", "right_middle3",
    "right_pinky1", "right_pinky2", "right_pinky3", "right_ring1", "right_ring2", "right_ring3",
    "right_thumb1", "right_thumb2", "right_thumb3",
)
NUM_JOINTS = 55

PARENTS: np.ndarray = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15,
     20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
     21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53],
    dtype=np.int64,
)

FINGERS = ("thumb", "index", "middle", "ring", "pinky")  # anatomical / MediaPipe order
_SMPLX_FINGER_ORDER = ("index", "middle", "pinky", "ring", "thumb")  # SMPL-X joint order


def joint_index(name: str) -> int:
    """Index of a joint in the extended 70-joint set (:data:`EXT_NAMES`)."""
    if name not in EXT_NAMES:
        raise ValueError(f"unknown joint {name!r}: use one of the {len(EXT_NAMES)} names of EXT_NAMES, e.g. "
                         f"{EXT_NAMES[:3]} ... (SMPL-X joints, fingertips, face points)")
    return EXT_NAMES.index(name)


def _left_body() -> dict[str, tuple[float, float, float]]:
    # centre-line and left-side body joints, metres (pelvis at origin)
    return {
        "pelvis": (0.0, 0.0, 0.0),
        "left_hip": (0.060, -0.085, -0.005),
        "spine1": (0.0, 0.110, -0.015),
        "left_knee": (0.100, -0.470, 0.005),
        "spine2": (0.0, 0.240, -0.005),
        "left_ankle": (0.090, -0.870, -0.040),
        "spine3": (0.0, 0.300, 0.015),
        "left_foot": (0.110, -0.930, 0.080),
        "neck": (0.0, 0.520, -0.015),
        "left_collar": (0.075, 0.430, -0.005),
        "head": (0.0, 0.620, 0.010),
        "left_shoulder": (0.180, 0.455, -0.015),
        "left_elbow": (0.440, 0.455, -0.025),
        "left_wrist": (0.690, 0.455, -0.020),
        "jaw": (0.0, 0.605, 0.045),
        "left_eye_smplhf": (0.031, 0.700, 0.085),
    }


# per finger: base offset from the wrist, spread angle in the x-z plane (deg, + = towards +z / thumb
# side), downward tilt (m per m), and segment lengths (base->2, 2->3, 3->tip)
_FINGER_SPEC = {
    #          base (dx, dy, dz)          spread  tilt   segments
    "thumb": ((0.030, -0.012, 0.022), 40.0, -0.25, (0.035, 0.030, 0.026)),
    "index": ((0.090, 0.000, 0.024), 7.0, -0.02, (0.038, 0.024, 0.021)),
    "middle": ((0.094, 0.002, 0.004), 0.0, -0.02, (0.043, 0.028, 0.023)),
    "ring": ((0.088, 0.000, -0.015), -7.0, -0.03, (0.039, 0.026, 0.022)),
    "pinky": ((0.079, -0.004, -0.032), -15.0, -0.05, (0.030, 0.020, 0.019)),
}


def _left_hand(wrist: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    joints, tips = {}, {}
    for f, (base, spread, tilt, segs) in _FINGER_SPEC.items():
        a = np.deg2rad(spread)
        d = np.array([np.cos(a), tilt, np.sin(a)])
        d /= np.linalg.norm(d)
        p = wrist + np.array(base)
        joints[f"left_{f}1"] = p
        for k, seg in enumerate(segs):
            p = p + seg * d
            if k < 2:
                joints[f"left_{f}{k + 2}"] = p
            else:
                tips[f] = p
    return joints, tips


def _build():
    left = {k: np.array(v, dtype=np.float64) for k, v in _left_body().items()}
    hand, tips = _left_hand(left["left_wrist"])
    left.update(hand)
    pos = np.zeros((NUM_JOINTS, 3))
    for i, n in enumerate(JOINT_NAMES):
        if n in left:
            pos[i] = left[n]
        else:
            src = n.replace("right", "left")
            if src not in left:
                raise KeyError(n)
            pos[i] = left[src] * np.array([-1.0, 1.0, 1.0])
    # tips: offsets from the distal joints (index3 etc.)
    tip_off = np.zeros((10, 3))
    tip_par = np.zeros(10, dtype=np.int64)
    for s, side in enumerate(("left", "right")):
        for k, f in enumerate(FINGERS):
            par = JOINT_NAMES.index(f"{side}_{f}3")
            tip = tips[f] * (np.array([-1.0, 1.0, 1.0]) if side == "right" else 1.0)
            tip_off[5 * s + k] = tip - pos[par]
            tip_par[5 * s + k] = par
    return pos, tip_off, tip_par


REST_JOINTS, TIP_OFFSETS, TIP_PARENTS = _build()
REST_JOINTS.setflags(write=False)
TIP_NAMES = tuple(f"{side}_{f}_tip" for side in ("left", "right") for f in FINGERS)

HEAD = 15
FACE_POINT_NAMES = ("nose", "right_eye", "left_eye", "right_ear", "left_ear")
#: head-frame offsets (from the head joint) of the face points; eyes on the cornea, ears at the tragus
FACE_POINT_OFFSETS = np.array(
    [
        [0.0, 0.045, 0.115],
        [-0.032, 0.080, 0.090],
        [0.032, 0.080, 0.090],
        [-0.075, 0.055, -0.005],
        [0.075, 0.055, -0.005],
    ]
)

EXT_NAMES: tuple[str, ...] = JOINT_NAMES + TIP_NAMES + FACE_POINT_NAMES
EXT_PARENTS = np.concatenate([PARENTS, TIP_PARENTS, np.full(5, HEAD)])
NUM_EXT = len(EXT_NAMES)  # 70


def rest_points() -> np.ndarray:
    """Rest positions of all 70 extended joints, ``(70, 3)`` metres."""
    tips = REST_JOINTS[TIP_PARENTS] + TIP_OFFSETS
    face = REST_JOINTS[HEAD] + FACE_POINT_OFFSETS
    return np.concatenate([REST_JOINTS, tips, face], axis=0)


#: SOKE body metric set (12 joints), neck first (root of DTW-JPE translation)
METRIC_BODY_NAMES = (
    "neck", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_ear", "right_ear", "left_eye", "right_eye", "nose",
)
#: hand metric set (21): wrist, then per finger (thumb, index, middle, ring, pinky) 3 joints + tip:
#: the MediaPipe / OpenPose hand order
METRIC_HAND_NAMES = ("wrist",) + tuple(
    f"{f}{k}" for f in FINGERS for k in ("1", "2", "3", "_tip")
)
METRIC_BODY_IDX = np.array([EXT_NAMES.index(n) for n in METRIC_BODY_NAMES])
METRIC_LHAND_IDX = np.array([EXT_NAMES.index(f"left_{n}") for n in METRIC_HAND_NAMES])
METRIC_RHAND_IDX = np.array([EXT_NAMES.index(f"right_{n}") for n in METRIC_HAND_NAMES])

#: limbs of the 21-point hand (indices into METRIC_HAND_NAMES), MediaPipe HAND_CONNECTIONS topology
HAND_LIMBS21 = tuple(
    [(0, 1 + 4 * k) for k in range(5)] + [(1 + 4 * k + j, 2 + 4 * k + j) for k in range(5) for j in range(3)]
)
#: limbs of the 12-point body metric set
BODY_LIMBS12 = ((0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6), (0, 11), (11, 9), (11, 10), (9, 7), (10, 8))


def _mirror_perm(names: tuple[str, ...]) -> np.ndarray:
    def swap(n: str) -> str:
        return n.replace("left", "\0").replace("right", "left").replace("\0", "right")

    return np.array([names.index(swap(n)) for n in names])


#: index of each joint's left/right counterpart (itself on the centre line)
MIRROR_PERM = _mirror_perm(JOINT_NAMES)
MIRROR_PERM_EXT = _mirror_perm(EXT_NAMES)
