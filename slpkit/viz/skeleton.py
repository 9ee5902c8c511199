"""Single-frame skeleton plots (matplotlib): joint trees, 178-keypoint layout, parts.

Layouts: SLRTP 2025 / DARSLP keypoints (DARSLP Sec. 3.1, 4.1: 8 body + 21 + 21 hands + 128 face
= 178 x 3) and SOKE's metric joint sets (body 12, hands 21; ``docs/reference.md``, "Metrics").
SMPL-X coordinates
are y-up, x to the signer's left, z towards the camera, so the default ``view='front'``
draws ``(x, y)`` and ``view='3d'`` draws ``(x, z, y)`` with y vertical.

Shapes: a frame is ``(J, 3)`` (or ``(J, 2)`` for front view only); ``parents`` is a
length-J sequence with ``-1`` for roots.

Tiny example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from slpkit.viz.skeleton import plot_skeleton, HAND_PARENTS
    >>> ax = plot_skeleton(np.random.rand(21, 3), HAND_PARENTS)
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch

__all__ = [
    "HAND_PARENTS",
    "HAND_EDGES",
    "KP178_SLICES",
    "REGION_COLORS",
    "edges_from_parents",
    "make_axes",
    "plot_skeleton",
    "plot_keypoints178",
    "plot_frame_parts",
]

#: Standard 21-point hand: 0 wrist; thumb 1-4, index 5-8, middle 9-12, ring 13-16,
#: pinky 17-20, each finger a chain wrist -> its 4 points.
HAND_PARENTS: tuple[int, ...] = (-1,) + tuple(p for f in range(5) for p in (0, 4 * f + 1, 4 * f + 2, 4 * f + 3))
#: Region slices of the 178-keypoint layout (SLRTP 2025).
KP178_SLICES: dict[str, slice] = {
    "body": slice(0, 8),
    "lhand": slice(29, 50),
    "rhand": slice(8, 29),
    "face": slice(50, 178),
}
#: SLRTP 2025 body bones (right shoulder-elbow-wrist, left, hips), body-local indices
SLRTP_BODY_EDGES = ((0, 1), (1, 2), (0, 3), (3, 4), (4, 5), (0, 6), (6, 7), (7, 3))
REGION_COLORS: dict[str, str] = {"body": "tab:blue", "lhand": "tab:green", "rhand": "tab:red", "face": "tab:gray"}


def edges_from_parents(parents: Sequence[int]) -> list[tuple[int, int]]:
    """``[(parent, child), ...]`` for every joint with a parent >= 0."""
    if isinstance(parents, (str, bytes)) or not hasattr(parents, "__iter__"):
        raise ValueError(f"parents={parents!r}: pass one parent index per joint (-1 or None for a root)")
    parents = list(parents)
    out = []
    for c, p in enumerate(parents):
        if p is None or int(p) < 0:
            continue
        if int(p) >= len(parents) or int(p) == c:
            raise ValueError(f"parents[{c}]={p!r} is not another joint of these {len(parents)}: use -1 for a root")
        out.append((int(p), c))
    return out


HAND_EDGES: list[tuple[int, int]] = edges_from_parents(HAND_PARENTS)


def _frame(x, name: str = "joints") -> np.ndarray:
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[-1] not in (2, 3) or x.shape[0] == 0:
        raise ValueError(f"{name} has shape {x.shape}, expected one frame (J, 3) or (J, 2).")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN/inf; interpolate or drop missing joints before plotting.")
    return x


def make_axes(view: str = "front", ax=None, figsize=(4, 4)):
    """Return ``ax`` or a new axes for ``view`` in ``{'front', '3d'}``."""
    import matplotlib.pyplot as plt  # plotting import kept local: importing slpkit.viz stays cheap

    if view not in ("front", "3d"):
        raise ValueError(f"view must be 'front' or '3d', got {view!r}.")
    if ax is not None:
        return ax
    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(111, projection="3d") if view == "3d" else fig.add_subplot(111)


def _project(x: np.ndarray, view: str) -> np.ndarray:
    """Columns in plotting order: front -> (x, y); 3d -> (x, z, y)."""
    if view == "front":
        return x[:, :2]
    if x.shape[1] != 3:
        raise ValueError("view='3d' needs (J, 3) joints.")
    return x[:, [0, 2, 1]]


def _draw(ax, pts: np.ndarray, edges, color, view: str, size: float, lw: float, label=None):
    """Draw points and bones; returns the list of created artists."""
    artists = []
    if view == "3d":
        artists.append(ax.scatter(pts[:, 0], pts[:, 1], pts[:, 2], s=size, c=color, label=label))
        for a, b in edges:
            artists += ax.plot(*[[pts[a, k], pts[b, k]] for k in range(3)], color=color, lw=lw)
    else:
        artists.append(ax.scatter(pts[:, 0], pts[:, 1], s=size, c=color, label=label, zorder=3))
        for a, b in edges:
            artists += ax.plot([pts[a, 0], pts[b, 0]], [pts[a, 1], pts[b, 1]], color=color, lw=lw)
    return artists


def _finish(ax, pts: np.ndarray, view: str, title: str | None, limits=None):
    lo, hi = (pts.min(0), pts.max(0)) if limits is None else limits
    c, r = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-6) * 1.1
    if view == "3d":
        ax.set_xlim(c[0] - r, c[0] + r)
        ax.set_ylim(c[1] - r, c[1] + r)
        ax.set_zlim(c[2] - r, c[2] + r)
        ax.set_xlabel("x")
        ax.set_ylabel("z")
        ax.set_zlabel("y")
    else:
        ax.set_xlim(c[0] - r, c[0] + r)
        ax.set_ylim(c[1] - r, c[1] + r)
        ax.set_aspect("equal")
    if title:
        ax.set_title(title)


def plot_skeleton(
    joints,
    parents: Sequence[int] | None,
    ax=None,
    view: str = "front",
    color: str = "tab:blue",
    size: float = 10.0,
    linewidth: float = 1.5,
    title: str | None = None,
    limits=None,
):
    """Plot one frame ``(J, 3)`` (or ``(J, 2)``) as a joint tree; returns the axes.

    ``parents`` (length J, -1 for roots) gives the bones; ``None`` draws points only.
    ``limits``: optional ``(lo, hi)`` arrays in plotting order to fix the view.
    """
    x = _frame(joints)
    if parents is not None and len(parents) != len(x):
        raise ValueError(f"parents has {len(parents)} entries but the frame has {len(x)} joints.")
    ax = make_axes(view, ax)
    pts = _project(x, view)
    _draw(ax, pts, edges_from_parents(parents) if parents is not None else [], color, view, size, linewidth)
    _finish(ax, pts, view, title, limits)
    return ax


def plot_keypoints178(kp, ax=None, view: str = "front", body_edges=None, title: str | None = None, size: float = 6.0):
    """Plot one ``(178, 3)`` keypoint frame, regions coloured (body / hands / face).

    Regions (SLRTP order): body 0:8, rhand 8:29, lhand 29:50, face 50:178 (:data:`KP178_SLICES`). Hands
    get the standard 21-point bones; body bones follow SLRTP's ``keypoint_def`` edges unless
    ``body_edges`` (pairs of body-local indices 0..7) is given; face points are drawn as dots.
    """
    x = _frame(kp, "kp")
    if len(x) != 178:
        raise ValueError(f"kp has {len(x)} points, expected the 178-keypoint layout (8 body + 21 + 21 + 128 face).")
    ax = make_axes(view, ax)
    pts = _project(x, view)
    edges = {"body": list(SLRTP_BODY_EDGES if body_edges is None else body_edges), "lhand": HAND_EDGES, "rhand": HAND_EDGES, "face": []}
    for name, sl in KP178_SLICES.items():
        s = size / 3 if name == "face" else size
        _draw(ax, pts[sl], edges[name], REGION_COLORS[name], view, s, 1.2, label=name)
    _finish(ax, pts, view, title)
    ax.legend(loc="upper right", fontsize="x-small")
    return ax


def plot_frame_parts(
    parts: Mapping[str, object],
    parents: Mapping[str, Sequence[int] | None] | None = None,
    ax=None,
    view: str = "front",
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    limits=None,
):
    """Plot several joint sets of one frame, e.g. ``{'body': (12,3), 'lhand': (21,3), 'rhand': (21,3)}``.

    ``parents[name]`` gives each part's bones; hands (21 points) default to
    :data:`HAND_PARENTS`, other parts without parents are drawn as points.
    """
    if not isinstance(parts, Mapping) or not parts:
        raise ValueError(f"plot_frame_parts needs {{name: (J, 3) joints}}, e.g. body_model.metric_joints(v133[t]); "
                         f"got {type(parts).__name__}")
    parents = dict(parents or {})
    colors = {**REGION_COLORS, **dict(colors or {})}
    ax = make_axes(view, ax)
    allpts = []
    for k, (name, joints) in enumerate(parts.items()):
        x = _frame(joints, name)
        par = parents.get(name, HAND_PARENTS if len(x) == 21 else None)
        if par is not None and len(par) != len(x):
            raise ValueError(f"parents[{name!r}] has {len(par)} entries but the part has {len(x)} joints.")
        pts = _project(x, view)
        edges = edges_from_parents(par) if par is not None else []
        _draw(ax, pts, edges, colors.get(name, f"C{k}"), view, 10.0, 1.5, label=name)
        allpts.append(pts)
    _finish(ax, np.concatenate(allpts), view, title, limits)
    ax.legend(loc="upper right", fontsize="x-small")
    return ax
