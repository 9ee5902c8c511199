"""Procrustes invariants, MPJPE / PA-MPJPE, DTW-JPE / DTW-PA-JPE, part scores."""

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from slpkit.metrics import (
    dtw_jpe,
    dtw_pa_jpe,
    mpjpe,
    pa_cost_matrix,
    pa_mpjpe,
    part_scores,
    procrustes_align,
    similarity_transform,
)
from slpkit.metrics.dtw import dtw_soke


def _rigid(x, seed, scale=1.7):
    """Rotate, scale and translate each frame of (T, J, 3) differently."""
    rng = np.random.default_rng(seed)
    R = Rotation.random(len(x), random_state=seed).as_matrix()
    return scale * np.einsum("tja,tba->tjb", x, R) + rng.normal(size=(len(x), 1, 3))


def test_procrustes_invariant_zero_error():
    ref = np.random.default_rng(0).normal(size=(6, 21, 3))
    pred = _rigid(ref, 1)
    np.testing.assert_allclose(procrustes_align(pred, ref), ref, atol=1e-10)
    s, R, t = similarity_transform(pred, ref)
    np.testing.assert_allclose(s, 1 / 1.7, rtol=1e-10)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, rtol=1e-10)
    assert pa_mpjpe(pred, ref) == pytest.approx(0.0, abs=1e-10)


def test_procrustes_reflection_fix():
    ref = np.random.default_rng(1).normal(size=(10, 3))
    mirrored = ref * np.array([-1.0, 1.0, 1.0])  # a reflection is not a rotation
    s, R, _ = similarity_transform(mirrored, ref)
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert np.abs(procrustes_align(mirrored, ref) - ref).max() > 1e-3  # cannot undo a mirror


def test_procrustes_torch_and_bad_input():
    ref = torch.randn(4, 5, 3, dtype=torch.float64)
    out = procrustes_align(2 * ref + 1, ref)
    assert isinstance(out, torch.Tensor) and torch.allclose(out, ref, atol=1e-10)
    with pytest.raises(ValueError, match="same shape"):
        procrustes_align(np.zeros((4, 5, 3)), np.zeros((4, 6, 3)))
    with pytest.raises(ValueError, match="NaN/inf"):
        procrustes_align(np.full((5, 3), np.nan), np.zeros((5, 3)))


def test_mpjpe_values_and_units():
    ref = np.zeros((2, 3, 3))
    pred = ref + np.array([0.003, 0.004, 0.0])  # 5 mm everywhere
    assert mpjpe(pred, ref) == pytest.approx(0.005)
    assert mpjpe(pred, ref, unit="mm") == pytest.approx(5.0)
    with pytest.raises(ValueError, match="unit"):
        mpjpe(pred, ref, unit="cm")


def test_pa_mpjpe_le_mpjpe():
    rng = np.random.default_rng(2)
    for seed in range(5):
        ref = rng.normal(size=(8, 12, 3))
        pred = ref + rng.normal(scale=0.3, size=ref.shape) + rng.normal(size=(1, 1, 3))
        assert pa_mpjpe(pred, ref) <= mpjpe(pred, ref) + 1e-12
        assert pa_mpjpe(pred, ref, unit="mm") == pytest.approx(1000 * pa_mpjpe(pred, ref))


def test_mpjpe_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        mpjpe(np.zeros((3, 4, 3)), np.zeros((3, 5, 3)))
    with pytest.raises(ValueError, match="NaN/inf"):
        pa_mpjpe(np.full((3, 4, 3), np.inf), np.zeros((3, 4, 3)))
    with pytest.raises(ValueError, match="empty"):
        mpjpe(np.zeros((0, 4, 3)), np.zeros((0, 4, 3)))


def test_dtw_jpe_translation_invariant_and_warp():
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(9, 21, 3))
    moved = np.repeat(ref, 2, axis=0) + rng.normal(size=(18, 1, 3))  # per-frame shift + time warp
    assert dtw_jpe([moved], [ref]) == pytest.approx(0.0, abs=1e-9)
    # equals SOKE DTW of root-relative frames
    pred = rng.normal(size=(7, 21, 3))
    want = dtw_soke(pred - pred[:, :1], ref - ref[:, :1])
    assert dtw_jpe(pred, ref) == pytest.approx(want)
    assert dtw_jpe(pred, ref, unit="mm") == pytest.approx(1000 * want)
    # mean over sequences
    assert dtw_jpe([pred, moved], [ref, ref]) == pytest.approx(want / 2)


def _umeyama_error(x, y, sub):
    """Reference: similarity Procrustes of frame x onto y from a plain SVD (Umeyama 1991), error on sub."""
    X, Y = x - x.mean(0), y - y.mean(0)
    U, S, Vt = np.linalg.svd(X.T @ Y)
    d = np.sign(np.linalg.det(Vt.T @ U.T)) or 1.0
    R = Vt.T @ np.diag([1.0, 1.0, d]) @ U.T
    s = (S * [1.0, 1.0, d]).sum() / (X**2).sum()
    return np.linalg.norm((s * X @ R.T + y.mean(0) - y)[sub], axis=-1).mean()


def test_pa_cost_matrix_matches_per_cell_procrustes():
    rng = np.random.default_rng(4)
    p, r = rng.normal(size=(5, 12, 3)), rng.normal(size=(4, 12, 3))
    p[1] = r[2] * [-1.0, 1.0, 1.0] * 2.0 + 0.3          # a mirror image of a reference frame: the reflection fix
    p[3, :, 2] = 0.0                                     # a planar frame (det H = 0): the SVD path
    sub = [0, 3, 5, -1]
    C = pa_cost_matrix(p, r, subset=sub)
    for i in range(5):
        for j in range(4):
            a = procrustes_align(p[i], r[j])
            assert C[i, j] == pytest.approx(np.linalg.norm(a[sub] - r[j][sub], axis=-1).mean(), abs=1e-9)
            assert C[i, j] == pytest.approx(_umeyama_error(p[i], r[j], sub), abs=1e-9)
    assert pa_cost_matrix(p, r).shape == (5, 4) and C[1, 2] > 0  # a proper rotation cannot undo the mirror


def test_dtw_pa_jpe_invariant():
    rng = np.random.default_rng(5)
    ref = rng.normal(size=(6, 12, 3))
    pred = _rigid(np.repeat(ref, 2, axis=0), 6, scale=0.5)
    assert dtw_pa_jpe([pred], [ref]) == pytest.approx(0.0, abs=1e-9)
    assert dtw_pa_jpe([pred], [ref], subset=[1, 2]) == pytest.approx(0.0, abs=1e-9)
    noisy = ref + rng.normal(scale=0.2, size=ref.shape)
    assert 0 < dtw_pa_jpe(noisy, ref) <= dtw_jpe(noisy, ref) * 1.5


def test_part_scores_forms():
    rng = np.random.default_rng(7)
    shapes = {"body": 12, "lhand": 21, "rhand": 21}
    ref = {k: rng.normal(size=(6, j, 3)) for k, j in shapes.items()}
    pred = {k: np.repeat(v, 2, axis=0) for k, v in ref.items()}  # own (longer) length
    out = part_scores(pred, ref)
    assert set(out) == {"body", "lhand", "rhand"}
    for v in out.values():
        assert v["dtw_jpe"] == pytest.approx(0.0, abs=1e-9) and v["dtw_pa_jpe"] == pytest.approx(0.0, abs=1e-9)
    noisy = {k: v + rng.normal(scale=0.1, size=v.shape) for k, v in ref.items()}
    a = part_scores([noisy, pred], [ref, ref])
    b = part_scores({k: [noisy[k], pred[k]] for k in ref}, {k: [ref[k], ref[k]] for k in ref})
    assert a == b
    assert a["lhand"]["dtw_jpe"] == pytest.approx(dtw_jpe(noisy["lhand"], ref["lhand"]) / 2)
    with pytest.raises(ValueError, match="lacks part"):
        part_scores({"body": ref["body"]}, ref)


def test_dtw_pose_bad_input():
    a = np.zeros((3, 21, 3))
    with pytest.raises(ValueError, match="21 joints but refs\\[0\\] has 12"):
        dtw_jpe([a], [np.zeros((3, 12, 3))])
    with pytest.raises(ValueError, match="NaN/inf"):
        dtw_pa_jpe([np.full((3, 21, 3), np.nan)], [a])
    with pytest.raises(ValueError, match="empty"):
        dtw_jpe([np.zeros((0, 21, 3))], [a])
    with pytest.raises(ValueError, match="expected joints"):
        dtw_jpe([np.zeros((3, 63))], [np.zeros((3, 63))])
