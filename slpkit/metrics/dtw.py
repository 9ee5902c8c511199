"""Fast dynamic time warping (DTW) with the three conventions of the SLP literature.

Sources: SOKE's public code (``dtw_soke``; the same DTW is reported by M3T Sec. 4.1 and
SignSparK Tables 1-2), Progressive Transformers (Saunders et al. 2020, ``dtw_pt``) and the
SLRTP 2025 challenge evaluation code, SLRTP-Sign-Production-Evaluation (``dtw_mje_slrtp``;
DARSLP Tables 1-6 "DTW-MJE"); ``docs/reference.md``, "Three DTW conventions". The three
named conventions give numbers that cannot be compared with each other:

========================  ==============================  ===============================
function                  per-frame cost                  reported value
========================  ==============================  ===============================
:func:`dtw_soke`          mean over joints of Euclidean   accumulated cost at (Tp, Tr),
                          (SOKE, SignSparK, M3T)          NOT divided by path length
:func:`dtw_pt`            L1 over all coordinates         accumulated cost / ref. length
                          (Progressive Transformers)
:func:`dtw_mje_slrtp`     Euclidean on flattened frames   frame-weighted global mean
                          (SLRTP 2025, DARSLP DTW-MJE)    per-joint error over aligned
                                                          pairs of the whole test set
========================  ==============================  ===============================

The recursion is the classic one without window and with unit step weights::

    D[i, j] = C[i, j] + min(D[i-1, j-1], D[i-1, j], D[i, j-1]),   D[0, 0] = C[0, 0]

Implementation: the cost matrix is computed vectorised (blocked numpy for the
per-joint Euclidean cost, ``torch.cdist`` for L1 / Euclidean, a matrix product for the
squared Euclidean cost), then the accumulated cost is swept along anti-diagonals
(``i + j = k``), one numpy operation per diagonal for a whole batch of padded pairs
(pairs are sorted by length and chunked so padding stays small). Cells outside a
pair's ``(Tp, Tr)`` box never influence the cells inside it, so padding values are
irrelevant. Backtracking is vectorised over the batch too. Accumulation is float64.

Shapes: a sequence is ``(T, J, C)`` joints (usually ``C = 3``) or, for the
flattened-frame costs, ``(T, D)`` or ``(T,)``.

Tiny example::

    >>> import numpy as np
    >>> from slpkit.metrics.dtw import dtw
    >>> a = np.zeros((3, 2, 3)); b = np.repeat(a, 2, axis=0)   # time-warped copy
    >>> float(dtw(a, b))
    0.0
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from slpkit.checks import check_finite, check_nonempty

__all__ = [
    "COSTS",
    "cost_matrix",
    "dtw",
    "dtw_batch",
    "dtw_from_costs",
    "dtw_soke",
    "dtw_pt",
    "dtw_mje_slrtp",
]

#: Supported per-frame costs.
#: ``mean_joint_l2``: mean over joints of the Euclidean distance (SOKE), needs ``(T, J, C)``.
#: ``l1``: sum of absolute differences over all coordinates (Progressive Transformers).
#: ``euclidean``: Euclidean distance between flattened frames (SLRTP 2025).
#: ``sqeuclidean``: squared Euclidean between flattened frames; ``sqrt`` of its DTW equals
#: ``dtaidistance.dtw_ndim.distance`` (used by the benchmark to check agreement).
COSTS = ("mean_joint_l2", "l1", "euclidean", "sqeuclidean")

_MAX_PAIRS_PER_CHUNK = 64
_MAX_CELLS_PER_CHUNK = 1 << 23  # padded cost cells (float64) per chunk: 64 MiB
_ROW_BLOCK = 8  # rows per block of the per-joint cost (keeps the working set in cache)


# ----------------------------------------------------------------------------- input


def _to_numpy(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.dtype == object or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{name} must be a numeric array, got dtype {x.dtype}.")
    return x


def _prepare_pair(pred, ref, cost: str, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Validate one pair and return it in the layout the cost needs.

    ``mean_joint_l2`` -> two ``(T, J, C)`` arrays; other costs -> two ``(T, D)`` arrays.
    """
    if cost not in COSTS:
        raise ValueError(f"unknown DTW cost {cost!r}; choose one of {COSTS}.")
    pn, rn = f"pred{name}", f"ref{name}"
    p, r = _to_numpy(pred, pn), _to_numpy(ref, rn)
    for x, n in ((p, pn), (r, rn)):
        if x.ndim == 0:
            raise ValueError(f"{n} is a scalar; expected a sequence (T, J, 3) or (T, D).")
        check_nonempty(x, n, axis=0)
        check_finite(x, n)
    if cost == "mean_joint_l2":
        for x, n in ((p, pn), (r, rn)):
            if x.ndim != 3:
                raise ValueError(
                    f"{n} has shape {x.shape}; cost 'mean_joint_l2' needs joints (T, J, 3). "
                    "For flattened frames (T, D) use cost='euclidean' or cost='l1'."
                )
    else:
        p = p.reshape(p.shape[0], -1)
        r = r.reshape(r.shape[0], -1)
    if p.shape[1:] != r.shape[1:]:
        what = "joint counts / coordinates" if cost == "mean_joint_l2" else "frame sizes"
        raise ValueError(
            f"{pn} and {rn} have mismatched {what}: per-frame shapes {p.shape[1:]} vs {r.shape[1:]} "
            f"(full shapes {p.shape} and {r.shape}). Select the same joint set for both."
        )
    return p, r


# ------------------------------------------------------------------------------ costs


def _mean_joint_l2(p: np.ndarray, r: np.ndarray, out: np.ndarray) -> None:
    """Write the (Tp, Tr) mean-over-joints Euclidean cost of one pair into ``out``."""
    tp, j, c = p.shape
    tr = r.shape[0]
    pt = np.ascontiguousarray(np.transpose(p, (2, 1, 0)), dtype=np.float32)  # (C, J, Tp)
    rt = np.ascontiguousarray(np.transpose(r, (2, 1, 0)), dtype=np.float32)  # (C, J, Tr)
    rb = min(_ROW_BLOCK, tp)
    acc = np.empty((j, rb, tr), np.float32)
    tmp = np.empty((j, rb, tr), np.float32)
    row = np.empty((rb, tr), np.float32)
    for i0 in range(0, tp, rb):
        i1 = min(i0 + rb, tp)
        k = i1 - i0
        a, t = acc[:, :k], tmp[:, :k]
        np.subtract(pt[0, :, i0:i1, None], rt[0, :, None, :], out=a)
        np.multiply(a, a, out=a)
        for ci in range(1, c):
            np.subtract(pt[ci, :, i0:i1, None], rt[ci, :, None, :], out=t)
            np.multiply(t, t, out=t)
            np.add(a, t, out=a)
        np.sqrt(a, out=a)
        np.sum(a, axis=0, out=row[:k])
        out[i0:i1] = row[:k]
    out /= j


def _flat_costs(ps: list[np.ndarray], rs: list[np.ndarray], cost: str, out: np.ndarray) -> None:
    """Costs on flattened frames for a chunk of pairs, written into padded ``out`` (b, n, m)."""
    b = len(ps)
    n, m = out.shape[1], out.shape[2]
    d = ps[0].shape[1]
    dt = torch.float64 if cost == "sqeuclidean" else torch.float32
    P = torch.zeros((b, n, d), dtype=dt)
    R = torch.zeros((b, m, d), dtype=dt)
    for k, (p, r) in enumerate(zip(ps, rs)):
        # np.require copies views torch cannot wrap: read-only (np.broadcast_to) or reversed (x[::-1])
        P[k, : len(p)] = torch.from_numpy(np.require(p, requirements=("W", "C"))).to(dt)
        R[k, : len(r)] = torch.from_numpy(np.require(r, requirements=("W", "C"))).to(dt)
    with torch.no_grad():
        if cost == "l1":
            C = torch.cdist(P, R, p=1.0)
        elif cost == "euclidean":
            C = torch.cdist(P, R, p=2.0, compute_mode="donot_use_mm_for_euclid_dist")
        else:  # sqeuclidean: |p|^2 + |r|^2 - 2 p.r in float64, clamped at 0
            C = torch.baddbmm(
                (P * P).sum(-1, keepdim=True) + (R * R).sum(-1)[:, None, :], P, R.transpose(1, 2), alpha=-2.0
            ).clamp_min_(0.0)
    out[:] = C.numpy()


def cost_matrix(pred, ref, cost: str = "mean_joint_l2") -> np.ndarray:
    """Per-frame cost matrix ``(Tp, Tr)`` (float64) between two sequences.

    ``pred``: ``(Tp, J, 3)`` (or ``(Tp, D)`` / ``(Tp,)`` for flattened costs);
    ``ref``: same per-frame shape, any length. See :data:`COSTS`.
    """
    p, r = _prepare_pair(pred, ref, cost)
    out = np.empty((1, len(p), len(r)), np.float64)
    _fill_costs([p], [r], cost, out)
    return out[0]


def _fill_costs(ps, rs, cost, out):
    if cost == "mean_joint_l2":
        for k, (p, r) in enumerate(zip(ps, rs)):
            _mean_joint_l2(p, r, out[k, : len(p), : len(r)])
    else:
        _flat_costs(ps, rs, cost, out)


# ------------------------------------------------------------------------ accumulation


def _accumulate(C: np.ndarray, lp: np.ndarray, lr: np.ndarray, keep: bool):
    """Accumulated DTW cost of a padded chunk.

    ``C``: (b, n, m) float64 C-contiguous, ``lp``/``lr``: (b,) true lengths.
    Returns ``(values (b,), D)`` where ``D`` (K, b, n+1) holds every anti-diagonal
    (position ``i + 1`` = row ``i``, position 0 = the ``i = -1`` sentinel) if ``keep``.
    """
    b, n, m = C.shape
    if m == 1:  # the strided diagonal slice below needs a step m - 1 >= 1
        C = np.concatenate([C, np.full((b, n, 1), np.inf)], axis=2)
        m = 2
    K = n + m - 1
    step = m - 1
    Cf = C.reshape(b, n * m)
    ends = lp + lr - 2
    vals = np.empty(b, np.float64)
    by_end: dict[int, np.ndarray] = {}
    for e in np.unique(ends):
        by_end[int(e)] = np.nonzero(ends == e)[0]
    if keep:
        D = np.full((K, b, n + 1), np.inf)
        inf_row = np.full((b, n + 1), np.inf)
        buf = lambda k: D[k] if k >= 0 else inf_row  # noqa: E731
    else:
        D = None
        bufs = [np.full((b, n + 1), np.inf) for _ in range(3)]
        buf = lambda k: bufs[k % 3]  # noqa: E731
    tmp = np.empty((b, n), np.float64)
    cur = buf(0)
    cur[:, 1] = C[:, 0, 0]
    if 0 in by_end:
        idx = by_end[0]
        vals[idx] = cur[idx, lp[idx]]
    for k in range(1, K):
        lo = max(0, k - m + 1)
        hi = min(k, n - 1)
        L = hi - lo + 1
        s = Cf[:, k + lo * step : k + hi * step + 1 : step]  # C[:, i, k - i] for i = lo..hi
        p1, p2, cur = buf(k - 1), buf(k - 2), buf(k)
        t = tmp[:, :L]
        np.minimum(p1[:, lo : hi + 1], p1[:, lo + 1 : hi + 2], out=t)  # D[i-1, j], D[i, j-1]
        np.minimum(t, p2[:, lo : hi + 1], out=t)  # D[i-1, j-1]
        np.add(t, s, out=cur[:, lo + 1 : hi + 2])
        if k in by_end:
            idx = by_end[k]
            vals[idx] = cur[idx, lp[idx]]
    return vals, D


def _backtrack(D: np.ndarray, lp: np.ndarray, lr: np.ndarray) -> list[np.ndarray]:
    """Vectorised backtracking from (Tp-1, Tr-1) to (0, 0); ties prefer the diagonal."""
    b = len(lp)
    i = lp.astype(np.int64) - 1
    j = lr.astype(np.int64) - 1
    maxlen = int((lp + lr).max()) - 1
    rows = np.zeros((b, maxlen), np.int64)
    cols = np.zeros((b, maxlen), np.int64)
    plen = np.zeros(b, np.int64)
    bidx = np.arange(b)
    rows[:, 0], cols[:, 0], plen[:] = i, j, 1
    active = (i > 0) | (j > 0)
    step = 1
    while active.any():
        k = i + j
        kd = np.maximum(k - 2, 0)
        ku = np.maximum(k - 1, 0)
        diag = np.where((i > 0) & (j > 0), D[kd, bidx, i], np.inf)  # D[i-1, j-1]
        up = np.where(i > 0, D[ku, bidx, i], np.inf)  # D[i-1, j]
        left = np.where(j > 0, D[ku, bidx, np.minimum(i + 1, D.shape[2] - 1)], np.inf)  # D[i, j-1]
        move = np.argmin(np.stack([diag, up, left]), axis=0)
        di = np.where(move <= 1, 1, 0)
        dj = np.where(move != 1, 1, 0)
        i = np.where(active, i - di, i)
        j = np.where(active, j - dj, j)
        rows[active, step] = i[active]
        cols[active, step] = j[active]
        plen[active] += 1
        active = (i > 0) | (j > 0)
        step += 1
    return [np.stack([rows[q, : plen[q]][::-1], cols[q, : plen[q]][::-1]], axis=1) for q in range(b)]


def _chunks(lp: np.ndarray, lr: np.ndarray, keep: bool) -> list[np.ndarray]:
    """Group pair indices (sorted by size) so each padded chunk stays small."""
    order = np.lexsort((lr, lp))
    chunks, cur = [], []
    n = m = 0
    for q in order:
        n2, m2 = max(n, lp[q]), max(m, lr[q])
        cells = (len(cur) + 1) * (n2 + 1) * ((n2 + m2) if keep else m2)
        if cur and (len(cur) >= _MAX_PAIRS_PER_CHUNK or cells > _MAX_CELLS_PER_CHUNK):
            chunks.append(np.array(cur))
            cur, n2, m2 = [], lp[q], lr[q]
        cur.append(q)
        n, m = n2, m2
    if cur:
        chunks.append(np.array(cur))
    return chunks


def _run(ps: list[np.ndarray], rs: list[np.ndarray], cost: str | None, costs, return_paths: bool):
    """Shared driver: either sequences + cost name or precomputed cost matrices."""
    if costs is not None:
        lp = np.array([c.shape[0] for c in costs], np.int64)
        lr = np.array([c.shape[1] for c in costs], np.int64)
    else:
        lp = np.array([len(p) for p in ps], np.int64)
        lr = np.array([len(r) for r in rs], np.int64)
    B = len(lp)
    vals = np.empty(B, np.float64)
    paths: list[np.ndarray | None] = [None] * B
    for idx in _chunks(lp, lr, return_paths):
        n, m = int(lp[idx].max()), int(lr[idx].max())
        C = np.zeros((len(idx), n, m), np.float64)
        if costs is not None:
            for k, q in enumerate(idx):
                C[k, : lp[q], : lr[q]] = costs[q]
        else:
            _fill_costs([ps[q] for q in idx], [rs[q] for q in idx], cost, C)
        v, D = _accumulate(C, lp[idx], lr[idx], keep=return_paths)
        vals[idx] = v
        if return_paths:
            for q, path in zip(idx, _backtrack(D, lp[idx], lr[idx])):
                paths[q] = path
    return (vals, paths) if return_paths else vals


# ------------------------------------------------------------------------------ public


def dtw(pred, ref, cost: str = "mean_joint_l2", return_path: bool = False):
    """DTW accumulated cost at ``(Tp, Tr)`` of one pair (not normalised).

    Args:
        pred: ``(Tp, J, 3)`` joints (or ``(Tp, D)`` / ``(Tp,)`` for flattened costs).
        ref: ``(Tr, J, 3)``, same per-frame shape as ``pred``.
        cost: one of :data:`COSTS`.
        return_path: also return the warping path, an int array ``(L, 2)`` of
            ``(pred_frame, ref_frame)`` from ``(0, 0)`` to ``(Tp-1, Tr-1)``.

    Returns:
        ``float`` or ``(float, path)``.
    """
    p, r = _prepare_pair(pred, ref, cost)
    out = _run([p], [r], cost, None, return_path)
    if return_path:
        vals, paths = out
        return float(vals[0]), paths[0]
    return float(out[0])


def dtw_batch(preds: Sequence, refs: Sequence, cost: str = "mean_joint_l2", return_paths: bool = False):
    """DTW of many variable-length pairs at once (padded, chunked, vectorised).

    Args:
        preds, refs: sequences of equal count; pair ``q`` is ``(preds[q], refs[q])`` with
            shapes as in :func:`dtw` (lengths may all differ).
    Returns:
        ``np.ndarray (B,)`` float64 of accumulated costs, plus a list of paths if
        ``return_paths``.
    """
    if len(preds) != len(refs):
        raise ValueError(f"dtw_batch got {len(preds)} predictions but {len(refs)} references; pass one per pair.")
    if len(preds) == 0:
        raise ValueError("dtw_batch got no pairs: pass at least one (pred, ref) pair.")
    pairs = [_prepare_pair(p, r, cost, f"[{q}]") for q, (p, r) in enumerate(zip(preds, refs))]
    shape0 = pairs[0][0].shape[1:]
    for q, (p, _) in enumerate(pairs):
        if p.shape[1:] != shape0:
            raise ValueError(
                f"dtw_batch: pair {q} has per-frame shape {p.shape[1:]} but pair 0 has {shape0}; "
                "use one joint set for the whole batch."
            )
    return _run([p for p, _ in pairs], [r for _, r in pairs], cost, None, return_paths)


def dtw_from_costs(costs: Sequence, return_paths: bool = False):
    """DTW of precomputed cost matrices ``[(Tp, Tr), ...]`` (e.g. Procrustes costs).

    Returns ``np.ndarray (B,)`` (and the paths if ``return_paths``).
    """
    if len(costs) == 0:
        raise ValueError("dtw_from_costs got no cost matrices.")
    cs = []
    for q, c in enumerate(costs):
        c = _to_numpy(c, f"cost[{q}]")
        if c.ndim != 2 or 0 in c.shape:
            raise ValueError(f"cost[{q}] has shape {c.shape}; expected a non-empty (Tp, Tr) matrix.")
        check_finite(c, f"cost[{q}]")
        if float(c.min()) < 0:
            raise ValueError(f"cost[{q}] holds negative costs (min {float(c.min()):.4g}): DTW costs are distances >= 0")
        cs.append(np.asarray(c, np.float64))
    return _run([], [], None, cs, return_paths)


def dtw_soke(pred, ref) -> float:
    """SOKE DTW: mean-over-joints Euclidean cost, accumulated along the path, NOT normalised.

    ``pred (Tp, J, 3)`` uses its own length; ``ref (Tr, J, 3)``. Units as the input (metres).
    """
    return dtw(pred, ref, cost="mean_joint_l2")


def dtw_pt(pred, ref) -> float:
    """Progressive Transformers DTW: L1 per-frame cost, accumulated cost / reference length.

    ``pred (Tp, D)`` or ``(Tp, J, 3)``; ``ref`` same per-frame shape.
    """
    p, r = _prepare_pair(pred, ref, "l1")
    return float(_run([p], [r], "l1", None, False)[0]) / len(r)


def dtw_mje_slrtp(preds: Sequence, refs: Sequence, subsample_ref: int = 2, n_coords: int = 3,
                  per_sequence: bool = False):
    """SLRTP 2025 DTW-MJE (DARSLP): frame-weighted global mean per-joint Euclidean error.

    For each pair, the reference is subsampled ``[::subsample_ref]`` (25 -> 12.5 fps), the
    two sequences are aligned by DTW with a Euclidean cost on flattened frames, both are
    gathered along the path, all aligned frame pairs of the test set are concatenated and
    the per-joint Euclidean error is averaged over every (aligned frame, joint). No Procrustes.

    Note: the challenge code uses ``fastdtw`` (an approximation); slpkit uses exact DTW,
    so values can differ slightly (exact DTW finds a path at least as cheap).

    Args:
        preds: list of ``(Tp, J, 3)`` (e.g. 178 keypoints) or one such array.
        refs: list of ``(Tr, J, 3)`` at the original frame rate.
        subsample_ref: reference stride (1 disables subsampling).
        n_coords: coordinates per joint when inputs are flattened ``(T, J*n_coords)``.
        per_sequence: return ``(mean error of each sequence (N,), aligned (frame, joint) count of each (N,))``
            instead of the pooled value; the pooled DTW-MJE is their count-weighted mean (what a bootstrap over
            test sequences resamples: ``slpkit.metrics.bootstrap.weighted_mean(errors, counts)``).
    """
    if isinstance(preds, (np.ndarray, torch.Tensor)) and np.ndim(preds) in (2, 3):
        preds, refs = [preds], [refs]
    if isinstance(subsample_ref, bool) or not isinstance(subsample_ref, (int, np.integer)) or subsample_ref < 1:
        raise ValueError(f"subsample_ref must be a positive int, got {subsample_ref!r}.")
    if isinstance(n_coords, bool) or not isinstance(n_coords, (int, np.integer)) or n_coords < 1:
        raise ValueError(f"n_coords must be a positive int (3 for x, y, z), got {n_coords!r}.")
    if isinstance(preds, (str, bytes)) or isinstance(refs, (str, bytes)) or len(preds) != len(refs):
        raise ValueError(f"dtw_mje_slrtp needs one reference per prediction: got {len(preds)} predictions and "
                         f"{len(refs)} references")
    refs_sub = []
    for q, r in enumerate(refs):
        r = _to_numpy(r, f"ref[{q}]")
        check_nonempty(r, f"ref[{q}]", axis=0)
        refs_sub.append(r[::subsample_ref])
    _, paths = dtw_batch(preds, refs_sub, cost="euclidean", return_paths=True)
    means, counts = [], []
    for q, (p, r, path) in enumerate(zip(preds, refs_sub, paths)):
        p = _to_numpy(p, f"pred[{q}]").astype(np.float64)
        r = r.astype(np.float64)
        if p.ndim == 2:
            if p.shape[1] % n_coords:
                raise ValueError(f"pred[{q}] has {p.shape[1]} values per frame, not a multiple of {n_coords}.")
            p = p.reshape(len(p), -1, n_coords)
            r = r.reshape(len(r), -1, n_coords)
        err = np.linalg.norm(p[path[:, 0]] - r[path[:, 1]], axis=-1)  # (L, J)
        means.append(float(err.mean()))
        counts.append(err.size)
    means_a, counts_a = np.asarray(means), np.asarray(counts, dtype=np.float64)
    if per_sequence:
        return means_a, counts_a
    return float((means_a * counts_a).sum() / counts_a.sum())
