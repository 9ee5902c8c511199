"""Tests for slpkit.body.rotations: round trips, invariants, mirroring, numpy/torch parity."""

import math

import numpy as np
import pytest
import torch

from slpkit.body import rotations as R


def _aa(n=500, max_angle=math.pi - 1e-3, seed=0):
    return R.random_rotations(n, max_angle, seed)


def test_rodrigues_matches_closed_form_about_z():
    t = 0.7
    m = R.axis_angle_to_matrix(np.array([0.0, 0.0, t]))
    ref = np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0], [0, 0, 1]])
    np.testing.assert_allclose(m, ref, atol=1e-12)


def test_matrices_are_rotations():
    m = R.axis_angle_to_matrix(_aa())
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-10)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-10)


@pytest.mark.parametrize("scale", [1.0, 1e-4, 1e-9])
def test_axis_angle_round_trip_including_near_zero(scale):
    aa = _aa() * scale
    np.testing.assert_allclose(R.matrix_to_axis_angle(R.axis_angle_to_matrix(aa)), aa, atol=1e-10, rtol=1e-6)


def test_near_pi_round_trip_gives_same_rotation():
    aa = _aa(200)
    aa = aa / np.linalg.norm(aa, axis=-1, keepdims=True) * (math.pi - np.linspace(0, 1e-6, 200))[:, None]
    m = R.axis_angle_to_matrix(aa)
    back = R.matrix_to_axis_angle(m)
    np.testing.assert_allclose(R.axis_angle_to_matrix(back), m, atol=1e-7)
    assert np.all(np.linalg.norm(back, axis=-1) <= math.pi + 1e-9)


def test_rot6d_convention_is_first_two_columns():
    m = R.axis_angle_to_matrix(_aa(10))
    r6 = R.matrix_to_rot6d(m)
    np.testing.assert_array_equal(r6[:, :3], m[:, :, 0])
    np.testing.assert_array_equal(r6[:, 3:], m[:, :, 1])


def test_rot6d_round_trips():
    aa = _aa().astype(np.float32)
    np.testing.assert_allclose(R.rot6d_to_axis_angle(R.axis_angle_to_rot6d(aa)), aa, atol=1e-5)
    m = R.axis_angle_to_matrix(aa)
    np.testing.assert_allclose(R.rot6d_to_matrix(R.matrix_to_rot6d(m)), m, atol=1e-6)


def test_rot6d_projects_noisy_input_to_rotation():
    r6 = np.random.default_rng(1).normal(size=(50, 6))
    m = R.rot6d_to_matrix(r6)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-10)


def test_mirror_matrix_consistent_with_mirror_axis_angle():
    aa = _aa()
    lhs = R.mirror_matrix(R.axis_angle_to_matrix(aa))
    rhs = R.axis_angle_to_matrix(R.mirror_axis_angle(aa))
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    # and it is the reflection M R M with M = diag(-1, 1, 1)
    M = np.diag([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(lhs, M @ R.axis_angle_to_matrix(aa) @ M, atol=1e-12)
    np.testing.assert_array_equal(R.mirror_axis_angle(np.array([1.0, 2.0, 3.0])), [1.0, -2.0, -3.0])


def test_mirror_is_involution_and_changes_things():
    aa = _aa(20)
    assert not np.allclose(R.mirror_axis_angle(aa), aa)
    np.testing.assert_array_equal(R.mirror_axis_angle(R.mirror_axis_angle(aa)), aa)


def test_torch_and_numpy_agree_and_types_preserved():
    aa = _aa(30).astype(np.float32)
    out_np = R.axis_angle_to_rot6d(aa)
    out_t = R.axis_angle_to_rot6d(torch.from_numpy(aa))
    assert isinstance(out_np, np.ndarray) and out_np.dtype == np.float32
    assert isinstance(out_t, torch.Tensor) and out_t.dtype == torch.float32
    np.testing.assert_allclose(out_t.numpy(), out_np, atol=1e-5)


def test_gradients_finite_at_zero_and_pi_region():
    x = torch.zeros(4, 3, dtype=torch.float64, requires_grad=True)
    R.axis_angle_to_matrix(x)[..., 0, 1].sum().backward()
    assert torch.isfinite(x.grad).all()
    # d R01 / d aa_z at 0 is -1 (R01 = -sin(z))
    assert torch.allclose(x.grad[:, 2], torch.full((4,), -1.0, dtype=torch.float64))
    m = R.axis_angle_to_matrix(torch.tensor(_aa(10)))
    m.requires_grad_(True)
    R.matrix_to_axis_angle(m).sum().backward()
    assert torch.isfinite(m.grad).all()


def test_batch_shapes():
    aa = np.zeros((2, 7, 15, 3))
    assert R.axis_angle_to_matrix(aa).shape == (2, 7, 15, 3, 3)
    assert R.axis_angle_to_rot6d(aa).shape == (2, 7, 15, 6)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="expected 3"):
        R.axis_angle_to_matrix(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="expected 6"):
        R.rot6d_to_matrix(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="3, 3"):
        R.matrix_to_axis_angle(np.zeros((4, 3, 4)))
