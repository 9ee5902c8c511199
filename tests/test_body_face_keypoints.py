"""Tests for slpkit.body.face (FaceModel) and slpkit.body.keypoints (178 layout, MediaPipe mapping)."""

import numpy as np
import pytest
import torch

from slpkit.body import face as F, fk, keypoints as K, layouts as L, skeleton as S
from slpkit.body.rotations import axis_angle_to_matrix, axis_angle_to_rot6d


def _v133(T=6, seed=0, scale=0.3):
    return np.random.default_rng(seed).normal(0, scale, (T, 133)).astype(np.float32)


# ----------------------------------------------------------------------------- face
def test_face128_is_mediapipe_contour_subset():
    assert len(F.FACE128) == 128 and len(set(F.FACE128)) == 128
    assert list(F.FACE128) == sorted(F.FACE128) and max(F.FACE128) < 468
    assert {10, 152, 33, 263, 61, 291, 78, 308, 70, 300} <= set(F.FACE128)
    assert sum(len(v) for v in F.FACE_GROUPS.values()) == 128


def test_face_rest_symmetric_and_in_head_frame():
    fm = F.FaceModel(0)
    r = fm.rest
    assert r.shape == (128, 3)
    # every landmark has a mirror partner
    d = np.linalg.norm((r * [-1, 1, 1])[:, None] - r[None], axis=-1).min(1)
    assert d.max() < 1e-9
    assert 0.1 < r[:, 1].max() - r[:, 1].min() < 0.25 and r[:, 2].min() > 0  # face in front of head joint
    eyes = r[F.FACE_GROUPS["left_eye"]].mean(0)
    np.testing.assert_allclose(eyes, S.FACE_POINT_OFFSETS[2], atol=0.01)  # consistent with body-model eye


def test_face_neutral_and_deterministic():
    fm = F.FaceModel(seed=3)
    out = fm.landmarks(np.zeros((2, 108), np.float32))
    np.testing.assert_allclose(out, np.broadcast_to(fm.rest, out.shape), atol=1e-6)
    ident = np.zeros((1, 108), np.float32)
    ident[:, 102:108] = axis_angle_to_rot6d(np.zeros(3))
    np.testing.assert_allclose(fm.landmarks(ident)[0], fm.rest, atol=1e-6)
    np.testing.assert_array_equal(F.FaceModel(seed=3).expr_basis, fm.expr_basis)
    assert not np.allclose(F.FaceModel(seed=4).expr_basis[20:], fm.expr_basis[20:])


def test_expression_basis_pca_like():
    fm = F.FaceModel(0)
    B = fm.expr_basis.reshape(100, -1)
    gram = B @ B.T
    np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-12)  # orthogonal
    norms = np.sqrt(np.diag(gram))
    assert np.all(np.diff(norms) < 0)  # decreasing scale
    # expression is linear in the coefficients
    f = np.zeros((3, 108), np.float32)
    f[1, 5], f[2, 5] = 1.0, 2.0
    lm = fm.landmarks(f)
    np.testing.assert_allclose(lm[2] - lm[0], 2 * (lm[1] - lm[0]), atol=1e-6)


def test_semantic_components_move_the_right_landmarks():
    fm = F.FaceModel(0)
    brows = F.FACE_GROUPS["left_brow"] + F.FACE_GROUPS["right_brow"]
    f = np.zeros((2, 108), np.float32)
    f[1, 0] = 2.0  # brow_raise
    lm = fm.landmarks(f)
    assert (lm[1, brows, 1] - lm[0, brows, 1]).mean() > 1e-3
    f = np.zeros((2, 108), np.float32)
    f[1, 100] = 1.0  # left eyelid closed
    lm = fm.landmarks(f)
    left_up = [F._POS[i] for i in F.MP_CHAINS["left_eye_upper"][1:-1]]
    right_up = [F._POS[i] for i in F.MP_CHAINS["right_eye_upper"][1:-1]]
    assert (lm[1, left_up, 1] - lm[0, left_up, 1]).max() < -1e-3
    np.testing.assert_allclose(lm[1, right_up], lm[0, right_up], atol=1e-7)


def test_jaw_opens_mouth_and_keeps_upper_face():
    fm = F.FaceModel(0)
    f = np.zeros((2, 108), np.float32)
    f[:, 102:108] = axis_angle_to_rot6d(np.array([[0, 0, 0], [0.35, 0, 0]], np.float32))
    lm = fm.landmarks(f)
    chin = F._POS[152]
    lower_lip = F._POS[17]
    assert lm[1, chin, 1] < lm[0, chin, 1] - 0.01
    assert lm[1, lower_lip, 1] < lm[0, lower_lip, 1] - 0.005
    upper = F.FACE_GROUPS["left_eye"] + F.FACE_GROUPS["right_brow"]
    np.testing.assert_allclose(lm[1, upper], lm[0, upper], atol=1e-7)


def test_face_head_transform_and_errors():
    fm = F.FaceModel(0)
    f = np.random.default_rng(0).normal(size=(4, 108)).astype(np.float32)
    R = axis_angle_to_matrix(np.array([0.2, 0.5, -0.1], np.float32))
    t = np.array([0.1, 1.0, 0.3], np.float32)
    local = fm.landmarks(f)
    np.testing.assert_allclose(fm.landmarks(f, (R, t)), local @ R.T + t, atol=1e-5)
    M = np.eye(4, dtype=np.float32)
    M[:3, :3], M[:3, 3] = R, t
    np.testing.assert_allclose(fm.landmarks(f, M), local @ R.T + t, atol=1e-5)
    assert isinstance(fm.landmarks(torch.from_numpy(f)), torch.Tensor)
    with pytest.raises(ValueError, match="expected 108"):
        fm.landmarks(np.zeros((4, 107)))


# ----------------------------------------------------------------------------- keypoints 178
def test_regions_cover_178():
    sizes = {k: s.stop - s.start for k, s in K.REGIONS.items()}
    assert sizes == {"body": 8, "lhand": 21, "rhand": 21, "face": 128} and sum(sizes.values()) == 178
    assert all(0 <= a < 178 and 0 <= b < 178 for a, b in K.LIMBS178)


def test_keypoints178_consistent_with_body_model_and_face():
    v, f = _v133(5), np.random.default_rng(1).normal(size=(5, 108)).astype(np.float32)
    kp = K.keypoints178(v, f)
    assert kp.shape == (5, 178, 3) and kp.dtype == np.float32
    bm = fk.default_body_model()
    mj, j = bm.metric_joints(v), bm.joints(v)
    np.testing.assert_array_equal(kp[:, K.REGIONS["lhand"]], mj["lhand"])
    np.testing.assert_array_equal(kp[:, K.REGIONS["rhand"]], mj["rhand"])
    np.testing.assert_array_equal(kp[:, 5], j[:, S.JOINT_NAMES.index("left_wrist")])
    np.testing.assert_array_equal(kp[:, 2], j[:, S.JOINT_NAMES.index("right_wrist")])
    np.testing.assert_array_equal(kp[:, 8], kp[:, 2])  # right hand wrist == right body wrist (SLRTP order)
    np.testing.assert_array_equal(kp[:, 29], kp[:, 5])
    # face follows the head: rotating the neck moves the face rigidly around it
    v2 = v.copy()
    v2[:, 0:3] += np.array([0.0, 0.6, 0.0], np.float32)  # neck yaw
    kp2 = K.keypoints178(v2, f)
    face, face2 = kp[:, 50:], kp2[:, 50:]
    assert np.abs(face2 - face).max() > 0.02
    d = np.linalg.norm(face[:, :, None] - face[:, None], axis=-1)
    d2 = np.linalg.norm(face2[:, :, None] - face2[:, None], axis=-1)
    np.testing.assert_allclose(d2, d, atol=1e-5)
    np.testing.assert_allclose(kp2[:, :8], kp[:, :8], atol=1e-6)  # shoulders etc. unaffected


def test_keypoints178_batched_torch_and_errors():
    v, f = _v133(6).reshape(2, 3, 133), np.zeros((2, 3, 108), np.float32)
    kt = K.keypoints178(torch.from_numpy(v), torch.from_numpy(f))
    assert isinstance(kt, torch.Tensor) and kt.shape == (2, 3, 178, 3)
    np.testing.assert_allclose(kt.numpy(), K.keypoints178(v, f), atol=1e-5)
    with pytest.raises(ValueError, match="same leading"):
        K.keypoints178(v, np.zeros((2, 4, 108)))
    with pytest.raises(ValueError, match="expected 133"):
        K.keypoints178(np.zeros((3, 132)), np.zeros((3, 108)))


def _synthetic_holistic(T=3, n_face=468, world=False, dims=3):
    comps = [33, n_face, 21, 21] + ([33] if world else [])
    # encode (component, point) in the values so the mapping can be checked exactly
    arrs = []
    for c, n in enumerate(comps):
        a = np.zeros((T, n, dims), np.float32)
        a[..., 0] = c
        a[..., 1] = np.arange(n)
        if dims > 2:
            a[..., 2] = np.arange(T)[:, None]
        arrs.append(a)
    return np.concatenate(arrs, axis=1)


@pytest.mark.parametrize("n_face,world", [(468, False), (478, False), (468, True), (478, True)])
def test_mediapipe_mapping(n_face, world):
    kp = K.mediapipe_to_178(_synthetic_holistic(n_face=n_face, world=world))
    assert kp.shape == (3, 178, 3)
    np.testing.assert_array_equal(kp[0, :8, 0], 0)
    np.testing.assert_array_equal(kp[0, :8, 1], [12, 14, 16, 11, 13, 15, 24, 23])  # SLRTP: right side first
    np.testing.assert_array_equal(kp[0, 8:29, 0], 3)  # right hand component
    np.testing.assert_array_equal(kp[0, 29:50, 0], 2)
    np.testing.assert_array_equal(kp[0, 8:29, 1], np.arange(21))
    np.testing.assert_array_equal(kp[0, 50:, 0], 1)
    np.testing.assert_array_equal(kp[0, 50:, 1], F.FACE128)
    np.testing.assert_array_equal(kp[2, :, 2], 2)


def test_mediapipe_dict_2d_and_errors():
    arr = _synthetic_holistic(dims=2)
    comps = {"POSE_LANDMARKS": arr[:, :33], "FACE_LANDMARKS": arr[:, 33:501],
             "LEFT_HAND_LANDMARKS": arr[:, 501:522], "RIGHT_HAND_LANDMARKS": arr[:, 522:543]}
    kp = K.mediapipe_to_178(comps)
    assert kp.shape == (3, 178, 3) and np.all(kp[..., 2] == 0)
    np.testing.assert_array_equal(kp, K.mediapipe_to_178(arr))
    with pytest.raises(ValueError, match="543"):
        K.mediapipe_to_178(np.zeros((3, 540, 3)))
    del comps["FACE_LANDMARKS"]
    with pytest.raises(ValueError, match="FACE_LANDMARKS"):
        K.mediapipe_to_178(comps)


def test_normalize178():
    kp = K.keypoints178(_v133(4), np.zeros((4, 108), np.float32))
    n = K.normalize178(kp)
    np.testing.assert_allclose(0.5 * (n[:, 0] + n[:, 3]), 0, atol=1e-6)  # shoulders: 0 right, 3 left
    np.testing.assert_allclose(np.linalg.norm(n[:, 0] - n[:, 3], axis=-1), 1, atol=1e-5)
    np.testing.assert_allclose(K.normalize178(kp * 3 + 1), n, atol=1e-5)


def test_mediapipe_from_pose_format_pose():
    from pose_format import Pose
    from pose_format.numpy.pose_body import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    names = [c for c in K.HOLISTIC_COMPONENTS]
    comps = [PoseHeaderComponent(name=n, points=[str(i) for i in range(k)], limbs=[], colors=[(0, 0, 0)],
                                 point_format="XYZC") for n, k in names]
    header = PoseHeader(version=0.1, dimensions=PoseHeaderDimensions(width=1, height=1, depth=1), components=comps)
    data = _synthetic_holistic(T=4, world=True)[:, None]  # (frames, people, points, dims)
    pose = Pose(header, NumPyPoseBody(fps=25, data=data, confidence=np.ones(data.shape[:3], np.float32)))
    np.testing.assert_array_equal(K.mediapipe_to_178(pose), K.mediapipe_to_178(data[:, 0]))
