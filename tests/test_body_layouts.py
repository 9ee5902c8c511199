"""Tests for slpkit.body.layouts: constants, exact round trips, consistency rules, errors."""

import numpy as np
import pytest
import torch

from slpkit.body import layouts as L
from slpkit.body.rotations import axis_angle_to_rot6d, mirror_axis_angle


def _v133(T=12, seed=0, scale=0.4):
    return np.random.default_rng(seed).normal(0, scale, (T, 133)).astype(np.float32)


def test_constants_match_architecture():
    assert (L.D133, L.F108) == (133, 108)
    assert sum(L.SOKE_KEYS.values()) == 179
    assert list(L.SOKE_KEYS) == ["smplx_root_pose", "smplx_body_pose", "smplx_lhand_pose", "smplx_rhand_pose",
                                 "smplx_jaw_pose", "smplx_shape", "smplx_expr"]
    assert (L.UPPER_BODY, L.LHAND, L.RHAND, L.JAW, L.EXPR) == (
        slice(0, 30), slice(30, 75), slice(75, 120), slice(120, 123), slice(123, 133))
    assert L.PART_INDICES["body"] == list(range(30)) + list(range(120, 133))
    assert {k: len(v) for k, v in L.PART_INDICES.items()} == {"body": 43, "lhand": 45, "rhand": 45}
    allidx = sorted(sum(L.PART_INDICES.values(), []))
    assert allidx == list(range(133))


def test_keys_round_trip_dict_and_per_frame_list():
    v = _v133()
    keys = L.v133_to_keys(v, betas=np.arange(10.0))
    assert {k: keys[k].shape[-1] for k in keys} == dict(L.SOKE_KEYS)
    assert np.all(keys["smplx_root_pose"] == 0) and np.all(keys["smplx_body_pose"][:, :33] == 0)
    np.testing.assert_array_equal(keys["smplx_shape"][3], np.arange(10.0))
    np.testing.assert_array_equal(L.keys_to_v133(keys), v)
    frames = [{k: keys[k][t][None] for k in keys} for t in range(len(v))]  # SOKE pickles: (1, k) per frame
    np.testing.assert_array_equal(L.keys_to_v133(frames), v)
    # the neck (SMPL-X joint 12) lives at body_pose[33:36]
    np.testing.assert_array_equal(keys["smplx_body_pose"][:, 33:36], v[:, 0:3])


def test_keys_errors():
    keys = L.v133_to_keys(_v133())
    del keys["smplx_jaw_pose"]
    with pytest.raises(ValueError, match="smplx_jaw_pose"):
        L.keys_to_v133(keys)
    with pytest.raises(ValueError, match="empty"):
        L.keys_to_v133([])


def test_full_pose_places_upper_body_at_joints_12_to_21():
    v = _v133(3)
    fp = L.v133_to_full_pose(v)
    assert fp.shape == (3, 55, 3)
    np.testing.assert_array_equal(fp[:, 12:22].reshape(3, 30), v[:, :30])
    np.testing.assert_array_equal(fp[:, 22], v[:, 120:123])
    np.testing.assert_array_equal(fp[:, 25:40].reshape(3, 45), v[:, 30:75])
    np.testing.assert_array_equal(fp[:, 40:55].reshape(3, 45), v[:, 75:120])
    assert np.all(fp[:, :12] == 0) and np.all(fp[:, 23:25] == 0)


@pytest.mark.parametrize("name,dims", [("whole", {"whole": 133}), ("body_hands", {"body": 43, "hands": 90}),
                                       ("body_lhand_rhand", {"body": 43, "lhand": 45, "rhand": 45})])
def test_partitions_round_trip(name, dims):
    v = _v133()
    assert L.partition_dims(name) == dims
    parts = L.split_partition(v, name)
    assert {k: p.shape[-1] for k, p in parts.items()} == dims
    np.testing.assert_array_equal(L.merge_partition(parts), v)
    np.testing.assert_array_equal(L.merge_partition(parts, name), v)


def test_split_merge_parts_numpy_and_torch_batched():
    v = _v133(8).reshape(2, 4, 133)
    parts = L.split_parts(v)
    np.testing.assert_array_equal(parts["body"][..., 30:], v[..., 120:])
    np.testing.assert_array_equal(L.merge_parts(parts), v)
    vt = torch.from_numpy(v)
    pt = L.split_parts(vt)
    assert isinstance(pt["lhand"], torch.Tensor)
    assert torch.equal(L.merge_parts(pt), vt)
    with pytest.raises(ValueError, match="partition"):
        L.merge_parts({"body": parts["body"], "foo": parts["lhand"]})
    with pytest.raises(ValueError, match="unknown partition"):
        L.partition_dims("hands_only")


def test_face108_consistency_and_smplfx_round_trip():
    v = _v133()
    rng = np.random.default_rng(3)
    expr100 = rng.normal(size=(12, 100)).astype(np.float32)
    lid = rng.uniform(size=(12, 2)).astype(np.float32)
    f = L.face108_from(v, expr100, lid)
    assert f.shape == (12, 108) and f.dtype == np.float32
    np.testing.assert_array_equal(f[:, :10], v[:, 123:133])
    np.testing.assert_array_equal(f[:, 10:100], expr100[:, 10:])
    np.testing.assert_array_equal(f[:, 100:102], lid)
    np.testing.assert_allclose(f[:, 102:108], axis_angle_to_rot6d(v[:, 120:123]), atol=1e-6)
    streams = L.smplfx_streams(v, f)
    assert {k: s.shape[-1] for k, s in streams.items()} == {"body": 60, "lhand": 90, "rhand": 90, "face": 108}
    v2, f2 = L.smplfx_to_v133(streams)
    np.testing.assert_allclose(v2, v, atol=1e-5)
    np.testing.assert_allclose(f2, f, atol=1e-6)
    s_m = L.smplfx_streams(v, f, mirror_left=True)
    assert not np.allclose(s_m["lhand"], streams["lhand"])
    np.testing.assert_allclose(L.smplfx_to_v133(s_m, mirror_left=True)[0], v, atol=1e-5)


def test_rot6d_streams_round_trip_and_dims():
    v = _v133()
    e50 = np.random.default_rng(4).normal(size=(12, 50)).astype(np.float32)
    e50[:, :10] = v[:, 123:133]
    s = L.rot6d_streams(v, e50)
    assert {k: x.shape[-1] for k, x in s.items()} == {"body": 60, "lhand": 90, "rhand": 90, "face": 56}
    v2, e2 = L.rot6d_streams_to_v133(s)
    np.testing.assert_allclose(v2, v, atol=1e-5)
    np.testing.assert_allclose(e2, e50, atol=1e-6)
    s0 = L.rot6d_streams(torch.from_numpy(v))
    assert isinstance(s0["face"], torch.Tensor)
    assert torch.all(s0["face"][:, 16:] == 0)


def test_mirror_hand_per_joint():
    h = _v133()[:, 30:75]
    m = L.mirror_hand(h)
    np.testing.assert_array_equal(m.reshape(-1, 15, 3), mirror_axis_angle(h.reshape(-1, 15, 3)))
    np.testing.assert_array_equal(m[:, 0::3], h[:, 0::3])
    np.testing.assert_array_equal(m[:, 1::3], -h[:, 1::3])
    np.testing.assert_array_equal(L.mirror_hand(m), h)
    with pytest.raises(ValueError, match="45"):
        L.mirror_hand(h[:, :44])


def test_mirror_v133_swaps_hands():
    v = _v133()
    m = L.mirror_v133(v)
    np.testing.assert_array_equal(m[:, 30:75], L.mirror_hand(v[:, 75:120]))
    np.testing.assert_array_equal(m[:, 123:], v[:, 123:])
    np.testing.assert_array_equal(L.mirror_v133(m), v)


@pytest.mark.parametrize("fn", [L.split_parts, L.v133_to_keys, lambda x: L.rot6d_streams(x), L.check_v133])
def test_bad_v133_inputs(fn):
    with pytest.raises(ValueError, match=r"expected 133.*V133 layout"):
        fn(np.zeros((5, 132), np.float32))
    bad = _v133(5)
    bad[2, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fn(bad)
    with pytest.raises(ValueError, match="empty"):
        fn(np.zeros((0, 133), np.float32))


def test_bad_face_input():
    with pytest.raises(ValueError, match="expected 108"):
        L.smplfx_streams(_v133(4), np.zeros((4, 100)))
