"""DTW: equality with a brute-force O(Tp*Tr) pure-python reference, invariants, bad input."""

import math

import numpy as np
import pytest
import torch

from slpkit.metrics import dtw, dtw_batch, dtw_from_costs, dtw_mje_slrtp, dtw_pt, dtw_soke
from slpkit.metrics.dtw import COSTS


def _frame_cost(a, b, cost):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if cost == "mean_joint_l2":
        return sum(math.sqrt(sum((a[j, c] - b[j, c]) ** 2 for c in range(a.shape[1]))) for j in range(a.shape[0])) / a.shape[0]
    a, b = a.ravel(), b.ravel()
    if cost == "l1":
        return sum(abs(x - y) for x, y in zip(a, b))
    sq = sum((x - y) ** 2 for x, y in zip(a, b))
    return sq if cost == "sqeuclidean" else math.sqrt(sq)


def brute_dtw(p, r, cost):
    """Textbook DTW: D[i][j] = c(i, j) + min(D[i-1][j-1], D[i-1][j], D[i][j-1])."""
    n, m = len(p), len(r)
    D = [[math.inf] * (m + 1) for _ in range(n + 1)]
    D[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i][j] = _frame_cost(p[i - 1], r[j - 1], cost) + min(D[i - 1][j - 1], D[i - 1][j], D[i][j - 1])
    return D[n][m]


@pytest.mark.parametrize("cost", COSTS)
def test_matches_brute_force(cost):
    rng = np.random.default_rng(hash(cost) % 2**32)
    lens = [(1, 1), (1, 7), (6, 1), (2, 2), (5, 9), (9, 5), (13, 13), (17, 4), (8, 21)]
    preds = [rng.normal(size=(a, 4, 3)) for a, _ in lens]
    refs = [rng.normal(size=(b, 4, 3)) for _, b in lens]
    want = np.array([brute_dtw(p, r, cost) for p, r in zip(preds, refs)])
    got_batch, paths = dtw_batch(preds, refs, cost=cost, return_paths=True)
    np.testing.assert_allclose(got_batch, want, rtol=1e-5)
    np.testing.assert_allclose(dtw_batch(preds, refs, cost=cost), want, rtol=1e-5)
    for p, r, w, path in zip(preds, refs, want, paths):
        assert dtw(p, r, cost=cost) == pytest.approx(w, rel=1e-5)
        # the path is monotone, starts at (0, 0), ends at (Tp-1, Tr-1) and costs the value
        assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (len(p) - 1, len(r) - 1)
        steps = np.diff(path, axis=0)
        assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(1) >= 1).all()
        assert sum(_frame_cost(p[i], r[j], cost) for i, j in path) == pytest.approx(w, rel=1e-5)


def test_dtw_single_with_path_and_torch_input():
    rng = np.random.default_rng(0)
    p, r = rng.normal(size=(6, 3, 3)), rng.normal(size=(4, 3, 3))
    v, path = dtw(torch.from_numpy(p), torch.from_numpy(r), return_path=True)
    assert v == pytest.approx(brute_dtw(p, r, "mean_joint_l2"), rel=1e-5)
    assert path.shape[1] == 2


def test_self_and_time_warped_copy_are_zero():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 5, 3))
    warped = np.repeat(x, rng.integers(1, 4, len(x)), axis=0)  # frames repeated
    for cost in COSTS:
        # direct differences: exactly 0; sqeuclidean uses |a|^2+|b|^2-2ab in float64: ~1e-14
        assert dtw(x, x, cost=cost) == (pytest.approx(0.0, abs=1e-9) if cost == "sqeuclidean" else 0.0)
        assert dtw(x, warped, cost=cost) == pytest.approx(0.0, abs=1e-9)
        assert dtw(warped, x, cost=cost) == pytest.approx(0.0, abs=1e-9)
    assert dtw_soke(x, warped) == pytest.approx(0.0, abs=1e-9)


def test_conventions():
    rng = np.random.default_rng(2)
    p, r = rng.normal(size=(7, 4, 3)), rng.normal(size=(11, 4, 3))
    assert dtw_soke(p, r) == pytest.approx(brute_dtw(p, r, "mean_joint_l2"), rel=1e-6)
    assert dtw_pt(p, r) == pytest.approx(brute_dtw(p, r, "l1") / 11, rel=1e-6)
    assert dtw_pt(p.reshape(7, -1), r.reshape(11, -1)) == pytest.approx(dtw_pt(p, r), rel=1e-6)


def test_dtw_from_costs():
    rng = np.random.default_rng(3)
    C = rng.random((5, 8))
    (v,) = dtw_from_costs([C])
    D = np.full((6, 9), np.inf)
    D[0, 0] = 0
    for i in range(5):
        for j in range(8):
            D[i + 1, j + 1] = C[i, j] + min(D[i, j], D[i, j + 1], D[i + 1, j])
    assert v == pytest.approx(D[5, 8])


def test_dtw_mje_slrtp():
    rng = np.random.default_rng(4)
    ref = rng.normal(size=(20, 6, 3))
    # prediction at half the frame rate equals the subsampled reference -> zero error
    assert dtw_mje_slrtp([ref[::2]], [ref]) == pytest.approx(0.0, abs=1e-12)
    # constant offset of 0.1 along x on every joint -> every aligned pair has error 0.1
    pred = ref[::2] + np.array([0.1, 0.0, 0.0])
    assert dtw_mje_slrtp([pred], [ref]) == pytest.approx(0.1, rel=1e-9)
    # frame-weighted over the set: a 2-frame and a 4-frame pair with errors 0.3 and 0.0
    a = rng.normal(size=(2, 6, 3))
    b = rng.normal(size=(4, 6, 3))
    v = dtw_mje_slrtp([a + [0, 0.3, 0], b], [a, b], subsample_ref=1)
    assert v == pytest.approx(0.3 * 2 / 6, rel=1e-9)
    # flattened (T, J*3) input gives the same
    assert dtw_mje_slrtp([pred.reshape(10, -1)], [ref.reshape(20, -1)]) == pytest.approx(0.1, rel=1e-9)


def test_dtaidistance_agrees_on_squared_cost():
    dtaidistance = pytest.importorskip("dtaidistance")
    from dtaidistance import dtw as ddtw
    from dtaidistance import dtw_ndim

    rng = np.random.default_rng(5)
    a, b = rng.normal(size=30), rng.normal(size=23)
    assert math.sqrt(dtw(a, b, cost="sqeuclidean")) == pytest.approx(ddtw.distance_fast(a, b), rel=1e-9)
    a, b = rng.normal(size=(30, 6)), rng.normal(size=(23, 6))
    assert math.sqrt(dtw(a, b, cost="sqeuclidean")) == pytest.approx(dtw_ndim.distance(a, b), rel=1e-9)
    del dtaidistance


@pytest.mark.parametrize(
    "pred, ref, match",
    [
        (np.full((3, 2, 3), np.nan), np.zeros((3, 2, 3)), "NaN/inf"),
        (np.zeros((3, 2, 3)), np.array([[[np.inf, 0, 0], [0, 0, 0]]]), "NaN/inf"),
        (np.zeros((0, 2, 3)), np.zeros((3, 2, 3)), "empty"),
        (np.zeros((3, 2, 3)), np.zeros((3, 5, 3)), "mismatched joint"),
        (np.zeros((3, 6)), np.zeros((3, 6)), "needs joints"),
    ],
)
def test_bad_input(pred, ref, match):
    with pytest.raises(ValueError, match=match):
        dtw(pred, ref)


def test_bad_input_other():
    with pytest.raises(ValueError, match="unknown DTW cost"):
        dtw(np.zeros((2, 1, 3)), np.zeros((2, 1, 3)), cost="cosine")
    with pytest.raises(ValueError, match="mismatched frame sizes"):
        dtw(np.zeros((2, 4)), np.zeros((2, 5)), cost="l1")
    with pytest.raises(ValueError, match="2 predictions but 1"):
        dtw_batch([np.zeros((2, 1, 3))] * 2, [np.zeros((2, 1, 3))])
    with pytest.raises(ValueError, match="no pairs"):
        dtw_batch([], [])
    with pytest.raises(ValueError, match="pair 1"):
        dtw_batch([np.zeros((2, 1, 3)), np.zeros((2, 2, 3))], [np.zeros((2, 1, 3)), np.zeros((2, 2, 3))])
    with pytest.raises(ValueError, match="NaN/inf"):
        dtw_from_costs([np.array([[np.nan]])])
    with pytest.raises(ValueError, match="empty"):
        dtw_mje_slrtp([np.zeros((2, 1, 3))], [np.zeros((0, 1, 3))])
