"""Rows, paper numbers and face plots of notebook 09 (M3T Tables 1, 2, the recognition table, Fig. 4).

Paper numbers are copied from the M3T paper (How2Sign / CSL-Daily / Phoenix14T columns). SOKE's row in M3T
Table 1 is SOKE with retrieval (marked ‡ in the paper); slpkit's SOKE row is notebook 04's multi-head model
without retrieval, the configuration M3T's own model matches (no dictionary).

Face plots: :func:`face_landmarks` turns ``F108`` into the 128 face landmarks of slpkit's FLAME-like face model
(:class:`slpkit.body.face.FaceModel`) in the head frame (head motion removed, so only the face moves);
:func:`animate_faces` writes several of them side by side as a GIF.

    >>> import numpy as np
    >>> face_landmarks(np.zeros((3, 108), np.float32)).shape
    (3, 128, 3)
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np

from slpkit.body.face import FACE128_LIMBS, FACE_GROUPS
from slpkit.body.keypoints import default_face_model
from slpkit.eval.motion import motion_variance_ratio

__all__ = ["DATASETS", "PAPER_TABLE1", "PAPER_TABLE2", "PAPER_RECOGNITION", "TABLE1_COLUMNS", "TABLE2_COLUMNS",
           "RECOGNITION_COLUMNS", "table1_row", "table2_row", "recognition_row", "paper_table1_rows",
           "paper_table2_rows", "face_landmarks", "landmark_motion", "FACE_COLUMNS", "face_row", "animate_faces"]

DATASETS = ("How2Sign", "CSL-Daily", "Phoenix14T")

#: M3T Table 1: (DTW-PA-JPE body, hand, DTW-JPE body, hand) per dataset
PAPER_TABLE1: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "SOKE‡ (retrieval)": {"How2Sign": (6.82, 2.35, 7.75, 10.08), "CSL-Daily": (6.24, 1.71, 7.38, 9.68),
                          "Phoenix14T": (4.77, 1.38, 6.04, 7.72)},
    "M3T w/o SLT": {"How2Sign": (4.52, 2.42, 5.02, 8.94), "CSL-Daily": (4.13, 1.59, 4.77, 9.94),
                    "Phoenix14T": (3.54, 1.54, 4.17, 9.14)},
    "M3T w/ SLT": {"How2Sign": (4.28, 2.28, 4.86, 9.44), "CSL-Daily": (3.97, 1.51, 4.63, 9.28),
                   "Phoenix14T": (3.41, 1.46, 4.02, 8.55)},
}
#: M3T Table 2: back-translation (ROUGE-L, BLEU-4) per dataset
PAPER_TABLE2: dict[str, dict[str, tuple[float, float]]] = {
    "GT 3DMM": {"How2Sign": (18.68, 2.04), "CSL-Daily": (27.14, 7.11), "Phoenix14T": (35.83, 11.84)},
    "M3T w/o SLT": {"How2Sign": (12.32, 1.58), "CSL-Daily": (17.27, 4.74), "Phoenix14T": (31.14, 10.16)},
    "M3T w/ SLT": {"How2Sign": (13.15, 1.72), "CSL-Daily": (20.23, 5.80), "Phoenix14T": (32.12, 10.58)},
}
#: M3T's NMFs-CSL table (pose-based methods and M3T): Overall / Confusing / Normal, top-1 / top-5 (%)
PAPER_RECOGNITION: list[list[Any]] = [
    ["ST-GCN (pose)", 59.9, 86.8, 42.2, 79.4, 83.4, 96.7],
    ["SignBERT (pose)", 67.0, 95.3, 46.4, 92.1, 94.5, 99.6],
    ["BEST (pose)", 68.5, 94.4, 49.0, 90.3, 94.6, 99.7],
    ["M3T (frozen FSQ encoders, face tokens)", 74.1, 95.1, 58.3, 93.0, 93.5, 97.6],
]

TABLE1_COLUMNS = ["Method", "DTW-PA-JPE Body", "DTW-PA-JPE Hand", "DTW-JPE Body", "DTW-JPE Hand"]
TABLE2_COLUMNS = ["Method", "ROUGE-L", "BLEU-4"]
RECOGNITION_COLUMNS = ["Probe input", "Overall T-1", "Overall T-5", "Conf. T-1", "Conf. T-5", "Norm. T-1", "Norm. T-5"]


def table1_row(label: str, res: Mapping[str, Any]) -> list[Any]:
    """``[label, DTW-PA-JPE body, hand, DTW-JPE body, hand]`` of a :func:`~slpkit.generators.m3t.module.score_motion`
    (or ``evaluate_generator``) result."""
    return [label] + [float(res[k]) for k in ("dtw_pa_jpe_body", "dtw_pa_jpe_hand", "dtw_jpe_body", "dtw_jpe_hand")]


def table2_row(label: str, res: Mapping[str, Any]) -> list[Any]:
    """``[label, ROUGE-L, BLEU-4]`` of a result with back-translation scores."""
    return [label, float(res["rouge_l"]), float(res["bleu4"])]


def recognition_row(label: str, res: Mapping[str, Any]) -> list[Any]:
    """``[label, overall top-1, top-5, confusing top-1, top-5, normal top-1, top-5]`` of ``evaluate_probe``."""
    return [label] + [float(res[s][k]) for s in ("overall", "confusing", "normal") for k in ("top1", "top5")]


def paper_table1_rows(datasets: Sequence[str] = DATASETS) -> list[list[Any]]:
    return [[f"{m}, {d}", *PAPER_TABLE1[m][d]] for m in PAPER_TABLE1 for d in datasets]


def paper_table2_rows(datasets: Sequence[str] = DATASETS) -> list[list[Any]]:
    return [[f"{m}, {d}", *PAPER_TABLE2[m][d]] for m in PAPER_TABLE2 for d in datasets]


# ---------------------------------------------------------------------------------------------- face
def face_landmarks(face108, face_model=None) -> np.ndarray:
    """``F108 (T, 108)`` -> face landmarks ``(T, 128, 3)`` in the head frame (metres)."""
    fm = face_model or default_face_model()
    return np.asarray(fm.landmarks(np.asarray(face108, np.float32)), np.float32)


def landmark_motion(face108_seqs: Sequence[np.ndarray]) -> dict[str, float]:
    """How much the face moves: mean over sequences of the temporal standard deviation of the face landmarks
    (mm), over all 128 (``'all'``), the lips and the brows (:data:`slpkit.body.face.FACE_GROUPS`)."""
    groups = {"all": slice(None), "lips": FACE_GROUPS["lips"],
              "brows": FACE_GROUPS["left_brow"] + FACE_GROUPS["right_brow"]}
    vals: dict[str, list[float]] = {k: [] for k in groups}
    for f in face108_seqs:
        if len(f) < 2:
            continue
        sd = face_landmarks(f).std(0).mean(-1) * 1000.0                     # (128,) mm
        for k, idx in groups.items():
            vals[k].append(float(sd[idx].mean()))
    if not vals["all"]:
        raise ValueError("landmark_motion needs sequences with at least 2 frames")
    return {k: float(np.mean(v)) for k, v in vals.items()}


#: columns of :func:`face_row` (notebook 09's facial-expressivity table)
FACE_COLUMNS = ["System", "var ratio F108", "var ratio expr 10..99", "var ratio expr 0..9 (SMPL-X)", "var ratio jaw",
                "landmarks mm", "lips mm", "brows mm"]


def face_row(label: str, faces: Sequence[np.ndarray], refs: Sequence[np.ndarray]) -> list[Any]:
    """One row of the facial-expressivity table (M3T Fig. 4, quantified): generated / reference temporal variance
    of ``F108`` (all, the expression entries SMPL-X lacks ``10..99``, the 10 it has, the jaw) and how far the face
    landmarks move (:func:`landmark_motion`). ``faces`` and ``refs``: sequences of ``(T, 108)``."""
    all108 = motion_variance_ratio(faces, refs)
    expr_hi = motion_variance_ratio(faces, refs, slice(10, 100))
    expr10 = motion_variance_ratio(faces, refs, slice(0, 10))
    jaw = motion_variance_ratio(faces, refs, slice(102, 108))
    lm = landmark_motion(faces)
    return [label, all108, expr_hi, expr10, jaw, lm["all"], lm["lips"], lm["brows"]]


def animate_faces(panels: Mapping[str, np.ndarray], path: str, fps: float = 12.5, every: int = 2, dpi: int = 70,
                  size: float = 2.6, ncols: int | None = None) -> str:
    """Face landmarks side by side as a GIF: ``panels`` ``{title: F108 (T, 108)}`` (front view, head frame, the
    contour edges of :data:`slpkit.body.face.FACE128_LIMBS`), ``ncols`` panels per row (default: one row); every
    ``every``-th frame, the shorter sequences hold their last frame. Returns the written path."""
    from matplotlib import animation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    if not panels:
        raise ValueError("animate_faces needs at least one panel {title: face108 (T, 108)}")
    seqs = {k: face_landmarks(v)[::max(1, int(every))] for k, v in panels.items()}
    pts = np.concatenate([s.reshape(-1, 3) for s in seqs.values()])
    lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
    c, r = (lo + hi) / 2, float((hi - lo).max()) / 2 * 1.03
    nc = int(ncols or len(seqs))
    nr = -(-len(seqs) // nc)
    fig = Figure(figsize=(size * nc, size * 1.12 * nr), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.04, top=0.92 if nr == 1 else 0.95, wspace=0.04, hspace=0.12)
    edges = np.asarray(FACE128_LIMBS)
    cols = []
    for k, (title, s) in enumerate(seqs.items()):
        ax = fig.add_subplot(nr, nc, k + 1)
        ax.set_xlim(c[0] + r, c[0] - r)   # the subject faces the viewer: their left on the right
        ax.set_ylim(c[1] - r, c[1] + r)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
        lc = LineCollection(s[0][edges][..., :2], colors=f"C{k}", linewidths=1.2)
        ax.add_collection(lc)
        cols.append((lc, s))
    T = max(len(s) for s in seqs.values())
    label = fig.text(0.01, 0.01, "", fontsize=7)

    def update(t):
        for lc, s in cols:
            lc.set_segments(s[min(t, len(s) - 1)][edges][..., :2])
        label.set_text(f"frame {t * every + 1}")
        return [lc for lc, _ in cols] + [label]

    d = os.path.dirname(str(path))
    if d:
        os.makedirs(d, exist_ok=True)
    anim = animation.FuncAnimation(fig, update, frames=T, interval=1000.0 / fps, blit=False)
    anim.save(str(path), writer=animation.PillowWriter(fps=fps), dpi=dpi)
    return str(path)
