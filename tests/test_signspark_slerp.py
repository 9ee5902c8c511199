"""SLERP baseline of SignSparK Table 2: exact endpoints, unit quaternions, constant angular speed."""

import numpy as np
import pytest
import torch

from slpkit.body.rotations import axis_angle_to_matrix, matrix_to_quaternion, random_rotations, rot6d_to_matrix
from slpkit.generators.signspark.features import (EXPR, N_ROTATIONS, ROT_DIMS, features_to_v133, sentence_features,
                                                  v133_to_features)
from slpkit.generators.signspark.keyframes import sentence_keyframes
from slpkit.generators.signspark.slerp import quaternion_to_matrix, slerp, slerp_baseline, slerp_keyframes


def _random_frames(K, seed=0):
    rng = np.random.default_rng(seed)
    v = np.zeros((K, 133), np.float32)
    v[:, :123] = rng.normal(0, 0.6, (K, 123))
    v[:, 123:] = rng.normal(0, 1, (K, 10))
    return v133_to_features(v, rng.normal(0, 1, (K, 50)))


def _rotations(x):
    return rot6d_to_matrix(torch.as_tensor(x[..., :ROT_DIMS], dtype=torch.float64).reshape(len(x), N_ROTATIONS, 6))


def _angle(Ra, Rb):
    c = ((Ra.transpose(-1, -2) @ Rb).diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2
    return torch.arccos(c.clamp(-1, 1))


def test_endpoints_are_exact_and_frames_outside_are_held():
    vals = _random_frames(3)
    kf = [4, 10, 17]
    out = slerp_keyframes(vals, kf, 22)
    assert out.shape == (22, 296)
    assert np.array_equal(out[kf], vals)
    assert np.array_equal(out[:4], np.repeat(vals[:1], 4, 0)) or np.allclose(out[:4], vals[0], atol=1e-6)
    assert np.allclose(out[17:], vals[2], atol=1e-6)


def test_interpolated_rotations_are_unit_quaternions_on_the_shorter_arc():
    q0 = matrix_to_quaternion(axis_angle_to_matrix(torch.as_tensor(random_rotations(50, seed=1))))
    q1 = matrix_to_quaternion(axis_angle_to_matrix(torch.as_tensor(random_rotations(50, seed=2))))
    for u in (0.0, 0.3, 0.5, 1.0):
        q = slerp(q0, q1, torch.full((50,), u, dtype=torch.float64))
        torch.testing.assert_close(q.norm(dim=-1), torch.ones(50, dtype=torch.float64))
    # u = 0 / 1 give the endpoints (up to sign); the angle to q0 never exceeds the angle q0 -> q1
    torch.testing.assert_close(slerp(q0, q1, torch.zeros(50, dtype=torch.float64)), q0)
    qh = slerp(q0, q1, torch.full((50,), 0.5, dtype=torch.float64))
    R0, R1, Rh = (quaternion_to_matrix(q) for q in (q0, q1, qh))
    torch.testing.assert_close(_angle(R0, Rh), 0.5 * _angle(R0, R1), atol=1e-7, rtol=1e-6)
    # output frames are valid rotations
    out = slerp_keyframes(_random_frames(2), [0, 9], 10)
    R = _rotations(out)
    torch.testing.assert_close(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand_as(R), atol=1e-5,
                               rtol=0)


def test_constant_angular_speed_between_keyframes():
    vals = _random_frames(2, seed=3)
    out = slerp_keyframes(vals, [2, 14], 16)
    R = _rotations(out[2:15])
    steps = _angle(R[:-1], R[1:])  # (12, 41) angle per frame per joint
    total = _angle(R[:1], R[-1:])[0]
    torch.testing.assert_close(steps, (total / 12).expand_as(steps), atol=2e-5, rtol=0)
    # the expression coefficients move linearly
    d = np.diff(out[2:15, EXPR], axis=0)
    assert np.allclose(d, d[0], atol=1e-5)


def test_slerp_baseline_on_a_corpus_sentence(corpus):
    s = corpus.split("test")[0]
    f = sentence_features([s])[0]
    kf = sentence_keyframes(s)
    out = slerp_baseline(f, kf)
    assert out.shape == f.shape and np.array_equal(out[kf], f[kf])
    v = features_to_v133(out)
    assert v.shape == (len(f), 133) and np.isfinite(v).all()
    with pytest.raises(ValueError, match="one frame per keyframe"):
        slerp_keyframes(f[kf][:-1], kf, len(f))
