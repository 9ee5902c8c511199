"""Tests for slpkit.body.skeleton and slpkit.body.fk (offline backend, FK properties, errors)."""

import numpy as np
import pytest
import torch

from slpkit.body import fk, layouts as L, skeleton as S
from slpkit.body.rotations import axis_angle_to_matrix


def _v133(T=6, seed=0, scale=0.4):
    return np.random.default_rng(seed).normal(0, scale, (T, 133)).astype(np.float32)


def test_tree_is_smplx():
    assert len(S.JOINT_NAMES) == 55 and S.PARENTS.shape == (55,)
    assert S.PARENTS[0] == -1 and all(S.PARENTS[j] < j for j in range(1, 55))
    assert S.JOINT_NAMES[S.PARENTS[S.JOINT_NAMES.index("left_wrist")]] == "left_elbow"
    assert S.JOINT_NAMES[S.PARENTS[S.JOINT_NAMES.index("right_thumb1")]] == "right_wrist"
    assert S.JOINT_NAMES[S.PARENTS[S.JOINT_NAMES.index("jaw")]] == "head"
    import smplx.joint_names
    assert tuple(smplx.joint_names.JOINT_NAMES[:55]) == S.JOINT_NAMES


def test_rest_skeleton_symmetric_and_plausible():
    rest = S.REST_JOINTS
    np.testing.assert_allclose(rest[S.MIRROR_PERM] * [-1, 1, 1], rest, atol=1e-12)
    pts = S.rest_points()
    np.testing.assert_allclose(pts[S.MIRROR_PERM_EXT] * [-1, 1, 1], pts, atol=1e-12)
    height = pts[:, 1].max() - pts[:, 1].min()
    assert 1.5 < height < 1.9
    idx = S.JOINT_NAMES.index
    arm = np.linalg.norm(rest[idx("left_wrist")] - rest[idx("left_shoulder")])
    assert 0.4 < arm < 0.6
    # five distinct finger directions on each hand
    w = rest[idx("left_wrist")]
    dirs = np.stack([rest[idx(f"left_{f}1")] - w for f in S.FINGERS])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    cos = dirs @ dirs.T
    assert np.all(cos[~np.eye(5, dtype=bool)] < 0.9999)
    assert rest[idx("left_thumb3")][2] > rest[idx("left_pinky3")][2]  # thumb forward, pinky back


def test_rest_pose_equals_rest_joints():
    bm = fk.default_body_model()
    j = bm.joints(np.zeros((3, 133), np.float32))
    assert j.shape == (3, 70, 3) and j.dtype == np.float32
    np.testing.assert_allclose(j, np.broadcast_to(S.rest_points(), j.shape), atol=1e-6)
    assert len(bm.names) == 70 and len(bm.parents) == 70


def test_rotated_root_gives_rotated_copy():
    bm = fk.OfflineSMPLX()
    full = L.v133_to_full_pose(_v133(4)).astype(np.float64)
    base = bm.forward_full(full)
    root = np.array([0.3, -1.1, 0.5])
    full_r = full.copy()
    full_r[:, 0] = root
    rot = bm.forward_full(full_r)
    Rm = axis_angle_to_matrix(root)
    p0 = S.REST_JOINTS[0]
    np.testing.assert_allclose(rot, (base - p0) @ Rm.T + p0, atol=1e-5)
    # translation
    moved = bm.forward_full(full, transl=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(moved - base, np.broadcast_to([1.0, 2.0, 3.0], base.shape), atol=1e-5)


def test_bone_lengths_preserved_and_pose_changes_positions():
    bm = fk.default_body_model()
    v = _v133(5)
    j = bm.joints(v)
    rest = S.rest_points()
    par = S.EXT_PARENTS
    child = np.arange(1, 70)
    bl = np.linalg.norm(j[:, child] - j[:, par[child]], axis=-1)
    np.testing.assert_allclose(bl, np.broadcast_to(np.linalg.norm(rest[child] - rest[par[child]], axis=-1), bl.shape), atol=1e-5)
    assert np.abs(j - rest).max() > 0.05


def test_elbow_flexion_moves_wrist_as_expected():
    bm = fk.default_body_model()
    v = np.zeros((1, 133), np.float32)
    v[0, 18:21] = [0.0, 0.0, np.pi / 2]  # left_elbow (upper-body slot 6) about +z
    j = bm.joints(v)[0]
    idx = S.JOINT_NAMES.index
    e, w = j[idx("left_elbow")], j[idx("left_wrist")]
    fore = S.REST_JOINTS[idx("left_wrist")] - S.REST_JOINTS[idx("left_elbow")]
    np.testing.assert_allclose(w - e, axis_angle_to_matrix(np.array([0, 0, np.pi / 2])) @ fore, atol=1e-5)
    assert w[1] > e[1] + 0.2  # forearm now points up


def test_mirror_v133_mirrors_joints():
    bm = fk.default_body_model()
    v = _v133(5)
    j, jm = bm.joints(v), bm.joints(L.mirror_v133(v))
    np.testing.assert_allclose(jm, j[:, S.MIRROR_PERM_EXT] * [-1, 1, 1], atol=1e-5)
    # left hand driven by mirror_hand(right hand) is the mirror image of the right hand
    v2 = np.zeros_like(v)
    v2[:, 75:120] = v[:, 75:120]
    v2[:, 30:75] = L.mirror_hand(v[:, 75:120])
    mj = bm.metric_joints(v2)
    np.testing.assert_allclose(mj["lhand"], mj["rhand"] * [-1, 1, 1], atol=1e-5)


def test_metric_joints_sets_and_batching_and_torch():
    bm = fk.default_body_model()
    v = _v133(8).reshape(2, 4, 133)
    mj = bm.metric_joints(v)
    assert {k: x.shape for k, x in mj.items()} == {"body": (2, 4, 12, 3), "lhand": (2, 4, 21, 3), "rhand": (2, 4, 21, 3)}
    j = bm.joints(v)
    np.testing.assert_array_equal(mj["lhand"][..., 0, :], j[..., S.JOINT_NAMES.index("left_wrist"), :])
    np.testing.assert_array_equal(mj["body"][..., 0, :], j[..., S.JOINT_NAMES.index("neck"), :])
    jt = bm.joints(torch.from_numpy(v))
    assert isinstance(jt, torch.Tensor)
    np.testing.assert_allclose(jt.numpy(), j, atol=1e-6)
    vt = torch.from_numpy(v).requires_grad_(True)
    bm.metric_joints(vt)["rhand"].sum().backward()
    assert vt.grad[..., 75:120].abs().sum() > 0 and vt.grad[..., 30:75].abs().sum() == 0


def test_forward_kinematics_matches_naive_loop():
    rng = np.random.default_rng(5)
    rot = axis_angle_to_matrix(torch.tensor(rng.normal(0, 0.5, (3, 55, 3))))
    rest = torch.tensor(S.REST_JOINTS)
    pos, grot = fk.forward_kinematics(rot, rest)
    G = [None] * 55
    P = [None] * 55
    for j in range(55):
        p = S.PARENTS[j]
        if p < 0:
            G[j], P[j] = rot[:, j], rest[j].expand(3, 3)
        else:
            G[j] = G[p] @ rot[:, j]
            P[j] = P[p] + (G[p] @ (rest[j] - rest[p]))
    assert torch.allclose(pos, torch.stack(P, 1), atol=1e-10)
    assert torch.allclose(grot, torch.stack(G, 1), atol=1e-10)


def test_betas_scale_offline():
    bm = fk.default_body_model()
    v = _v133(2)
    np.testing.assert_allclose(bm.joints(v, betas=np.r_[1.0, np.zeros(9)]), bm.joints(v) * 1.06, atol=1e-6)


def test_bad_inputs():
    bm = fk.default_body_model()
    with pytest.raises(ValueError, match="expected 133"):
        bm.joints(np.zeros((4, 132)))
    with pytest.raises(ValueError, match="NaN"):
        bm.joints(np.full((4, 133), np.nan))
    with pytest.raises(ValueError, match="empty"):
        bm.metric_joints(np.zeros((0, 133)))


def test_missing_smplx_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"smpl-x\.is\.tue\.mpg\.de.*smplx/SMPLX_NEUTRAL\.npz"):
        fk.load_body_model(tmp_path / "nope")
    assert isinstance(fk.load_body_model(None), fk.OfflineSMPLX)
