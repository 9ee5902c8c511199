"""Body representations: SMPL-X layouts, rotations, forward kinematics, face landmarks, keypoints.

Modules (see ARCHITECTURE.md "Body layouts" and ``docs/reference.md``, "SMPL-X layout and SOKE's 133-vector"):

- :mod:`~slpkit.body.rotations`  axis-angle / matrix / 6D conversions, sagittal mirroring
- :mod:`~slpkit.body.layouts`    V133 (SOKE), F108 (M3T SMPL-FX), rot6D streams (SignSparK), partitions
- :mod:`~slpkit.body.skeleton`   SMPL-X tree, built-in rest skeleton, metric joint sets
- :mod:`~slpkit.body.fk`         batched FK, ``OfflineSMPLX`` (default) and ``SMPLXModel`` backends
- :mod:`~slpkit.body.face`       ``FaceModel``: FLAME-like 128-landmark face driven by F108
- :mod:`~slpkit.body.keypoints`  DARSLP / SLRTP 178-keypoint layout, MediaPipe Holistic mapping

Example::

    >>> import numpy as np
    >>> from slpkit.body import default_body_model, keypoints178
    >>> v133, f108 = np.zeros((10, 133), np.float32), np.zeros((10, 108), np.float32)
    >>> default_body_model().joints(v133).shape, keypoints178(v133, f108).shape
    ((10, 70, 3), (10, 178, 3))
"""

from slpkit.body.rotations import (
    axis_angle_to_matrix,
    axis_angle_to_rot6d,
    matrix_to_axis_angle,
    matrix_to_rot6d,
    mirror_axis_angle,
    mirror_matrix,
    rot6d_to_axis_angle,
    rot6d_to_matrix,
)
from slpkit.body.layouts import (
    D133,
    EXPR,
    F108,
    JAW,
    LHAND,
    PART_INDICES,
    RHAND,
    SOKE_KEYS,
    UPPER_BODY,
    face108_from,
    keys_to_v133,
    merge_parts,
    mirror_hand,
    mirror_v133,
    partition_dims,
    rot6d_streams,
    rot6d_streams_to_v133,
    smplfx_streams,
    smplfx_to_v133,
    split_parts,
    v133_to_keys,
)
from slpkit.body.skeleton import EXT_NAMES, EXT_PARENTS, JOINT_NAMES, PARENTS, REST_JOINTS
from slpkit.body.fk import (
    BodyModel,
    OfflineSMPLX,
    SMPLXModel,
    default_body_model,
    forward_kinematics,
    load_body_model,
)

__all__ = [
    "axis_angle_to_matrix", "axis_angle_to_rot6d", "matrix_to_axis_angle", "matrix_to_rot6d",
    "mirror_axis_angle", "mirror_matrix", "rot6d_to_axis_angle", "rot6d_to_matrix",
    "D133", "EXPR", "F108", "JAW", "LHAND", "PART_INDICES", "RHAND", "SOKE_KEYS", "UPPER_BODY",
    "face108_from", "keys_to_v133", "merge_parts", "mirror_hand", "mirror_v133", "partition_dims",
    "rot6d_streams", "rot6d_streams_to_v133", "smplfx_streams", "smplfx_to_v133", "split_parts", "v133_to_keys",
    "EXT_NAMES", "EXT_PARENTS", "JOINT_NAMES", "PARENTS", "REST_JOINTS",
    "BodyModel", "OfflineSMPLX", "SMPLXModel", "default_body_model", "forward_kinematics", "load_body_model",
]

from slpkit.body.face import FaceModel
from slpkit.body.keypoints import REGIONS, keypoints178, mediapipe_to_178, normalize178

__all__ += ["FaceModel", "REGIONS", "keypoints178", "mediapipe_to_178", "normalize178"]
