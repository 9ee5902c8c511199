"""Skeleton animations: GIF (Pillow, always available) or MP4 (ffmpeg, if installed).

Reference: SOKE / DARSLP show generated signing next to the ground truth; slpkit renders
joint skeletons with matplotlib (``FuncAnimation`` + ``PillowWriter``) instead of
Blender, so it runs anywhere, headless included (figures are drawn on an Agg canvas,
independent of the pyplot backend).

Shapes: ``seq`` ``(T, J, 3)`` joints (SMPL-X convention, y up), ``parents`` length J
(-1 for roots; see :data:`slpkit.viz.skeleton.HAND_PARENTS` or
``slpkit.body.skeleton.PARENTS``).

Tiny example::

    >>> import numpy as np
    >>> from slpkit.viz import animate, HAND_PARENTS
    >>> path = animate(np.random.rand(5, 21, 3), HAND_PARENTS, path="/tmp/hand.gif", fps=10)
"""

from __future__ import annotations

import os
import warnings
from typing import Sequence

import numpy as np
import torch

from slpkit.body.keypoints import LIMBS178, REGIONS
from slpkit.viz.skeleton import REGION_COLORS, _project, edges_from_parents

__all__ = ["animate", "side_by_side", "animate_keypoints"]


def _seq(x, name: str) -> np.ndarray:
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=float)
    if x.ndim != 3 or x.shape[-1] != 3:
        raise ValueError(f"{name} has shape {x.shape}, expected a joint sequence (T, J, 3).")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}): pass at least one frame and one joint.")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN/inf; interpolate or drop missing frames before animating.")
    return x


def _writer(path: str, fps: int):
    from matplotlib import animation  # plotting import kept local: importing slpkit.viz stays cheap

    ext = os.path.splitext(path)[1].lower()
    if ext == ".gif":
        return path, animation.PillowWriter(fps=fps)
    if ext == ".mp4":
        if animation.writers.is_available("ffmpeg"):
            return path, animation.FFMpegWriter(fps=fps)
        gif = os.path.splitext(path)[0] + ".gif"
        warnings.warn(f"ffmpeg is not available: writing {gif} instead of {path}.", stacklevel=3)
        return gif, animation.PillowWriter(fps=fps)
    raise ValueError(f"unsupported animation file type {ext!r}: use '.gif' (or '.mp4' with ffmpeg installed).")


def _limits(seqs: Sequence[np.ndarray], view: str):
    pts = np.concatenate([_project(s.reshape(-1, 3), view) for s in seqs])
    lo, hi = pts.min(0), pts.max(0)
    c, r = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-6) * 1.1
    return c - r, c + r


def _panel(fig, pos, view, limits, title):
    ax = fig.add_subplot(*pos, projection="3d") if view == "3d" else fig.add_subplot(*pos)
    lo, hi = limits
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if view == "3d":
        ax.set_zlim(lo[2], hi[2])
    else:
        ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


class _Skeleton:
    """Artists of one skeleton, updated in place frame by frame."""

    def __init__(self, ax, seq: np.ndarray, parents, view: str, color: str):
        self.ax, self.seq, self.view = ax, seq, view
        self.edges = edges_from_parents(parents) if parents is not None else []
        pts = _project(seq[0], view)
        if view == "3d":
            self.points = ax.scatter(pts[:, 0], pts[:, 1], pts[:, 2], s=8, c=color)
            self.lines = [ax.plot(*[[pts[a, k], pts[b, k]] for k in range(3)], color=color, lw=1.5)[0] for a, b in self.edges]
        else:
            self.points = ax.scatter(pts[:, 0], pts[:, 1], s=8, c=color, zorder=3)
            self.lines = [ax.plot(pts[[a, b], 0], pts[[a, b], 1], color=color, lw=1.5)[0] for a, b in self.edges]

    def update(self, t: int):
        pts = _project(self.seq[min(t, len(self.seq) - 1)], self.view)  # hold the last frame
        if self.view == "3d":
            self.points._offsets3d = (pts[:, 0], pts[:, 1], pts[:, 2])
            for line, (a, b) in zip(self.lines, self.edges):
                line.set_data_3d(pts[[a, b], 0], pts[[a, b], 1], pts[[a, b], 2])
        else:
            self.points.set_offsets(pts)
            for line, (a, b) in zip(self.lines, self.edges):
                line.set_data(pts[[a, b], 0], pts[[a, b], 1])
        return [self.points, *self.lines]


def _render(seqs, parents, path, fps, view, titles, colors, figsize, dpi) -> str:
    # plotting imports kept local: importing slpkit.viz stays cheap
    from matplotlib import animation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not isinstance(fps, (int, float)) or fps <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}.")
    if view not in ("front", "3d"):
        raise ValueError(f"view must be 'front' or '3d', got {view!r}.")
    for s in seqs:
        if parents is not None and len(parents) != s.shape[1]:
            raise ValueError(f"parents has {len(parents)} entries but the sequence has {s.shape[1]} joints.")
    out_path, writer = _writer(str(path), fps)
    d = os.path.dirname(out_path)
    if d:
        os.makedirs(d, exist_ok=True)
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    limits = _limits(seqs, view)
    skels = [
        _Skeleton(_panel(fig, (1, len(seqs), k + 1), view, limits, titles[k]), s, parents, view, colors[k])
        for k, s in enumerate(seqs)
    ]
    T = max(len(s) for s in seqs)
    label = fig.text(0.01, 0.01, "", fontsize=7)

    def update(t):
        label.set_text(f"frame {t + 1}/{T}")
        return [a for sk in skels for a in sk.update(t)] + [label]

    anim = animation.FuncAnimation(fig, update, frames=T, interval=1000.0 / fps, blit=False)
    anim.save(out_path, writer=writer, dpi=dpi)
    return out_path


def animate(
    seq,
    parents: Sequence[int] | None,
    path: str = "x.gif",
    fps: int = 25,
    view: str = "front",
    title: str | None = None,
    color: str = "tab:blue",
    figsize=(4, 4),
    dpi: int = 80,
) -> str:
    """Animate ``seq (T, J, 3)`` to ``path`` (``.gif``, or ``.mp4`` if ffmpeg exists).

    Returns the written path (an ``.mp4`` request falls back to ``.gif`` with a warning
    when ffmpeg is missing).
    """
    s = _seq(seq, "seq")
    return _render([s], parents, path, fps, view, [title], [color], figsize, dpi)


def side_by_side(
    gt,
    pred,
    parents: Sequence[int] | None,
    path: str = "side_by_side.gif",
    titles: tuple[str, str] = ("ground truth", "generated"),
    fps: int = 25,
    view: str = "front",
    figsize=(7, 3.8),
    dpi: int = 80,
) -> str:
    """Ground truth and generation side by side, same scale; the shorter one holds its last frame.

    ``gt (Tg, J, 3)``, ``pred (Tp, J, 3)`` with the same joints. Returns the written path.
    """
    g, p = _seq(gt, "gt"), _seq(pred, "pred")
    if g.shape[1] != p.shape[1]:
        raise ValueError(f"gt has {g.shape[1]} joints but pred has {p.shape[1]}: use the same joint set.")
    if len(titles) != 2:
        raise ValueError(f"titles needs two entries, got {titles!r}.")
    return _render([g, p], parents, path, fps, view, list(titles), ["tab:blue", "tab:orange"], figsize, dpi)


def _region_of(i: int) -> str:
    return next(name for name, sl in REGIONS.items() if sl.start <= i < sl.stop)


def animate_keypoints(panels, path: str = "signing.gif", fps: int = 12, stride: int = 2, title: str | None = None,
                      figsize_per_panel: float = 3.0, dpi: int = 72) -> str:
    """Several ``(T, 178, 3)`` keypoint sequences side by side (front view, same scale), with every bone of
    :data:`slpkit.body.keypoints.LIMBS178`: the arms, the 21-point **finger bones** of each hand and the
    **face contours** (oval, brows, eyes, lips), coloured by region, so hand shapes and non-manual features
    show. ``panels``: ``{label: sequence}`` (e.g. the ground truth and every system for one sentence); every
    ``stride``-th frame is drawn; shorter sequences hold their last frame. Returns the written path.
    """
    # plotting imports kept local: importing slpkit.viz stays cheap
    from matplotlib import animation
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not isinstance(panels, dict) or not panels:
        raise ValueError("panels must be a non-empty {label: (T, 178, 3) keypoints} dict")
    seqs = {k: _seq(v, f"panels[{k!r}]") for k, v in panels.items()}
    for k, v in seqs.items():
        if v.shape[1] != 178:
            raise ValueError(f"panels[{k!r}] has {v.shape[1]} points: expected the 178-keypoint layout")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride={stride!r}: draw every stride-th frame, stride >= 1")
    seqs = {k: v[::stride] for k, v in seqs.items()}
    out_path, writer = _writer(str(path), fps)
    if os.path.dirname(out_path):
        os.makedirs(os.path.dirname(out_path), exist_ok=True)
    n = len(seqs)
    cols = min(n, 5)
    rows = -(-n // cols)
    fig = Figure(figsize=(figsize_per_panel * cols, figsize_per_panel * rows + (0.4 if title else 0)), dpi=dpi)
    FigureCanvasAgg(fig)
    upper = [i for i in range(178) if i not in (6, 7)]  # frame the signing space: hips (6, 7) may leave the panel
    lo, hi = _limits([v[:, upper] for v in seqs.values()], "front")
    colors = [REGION_COLORS[_region_of(a)] for a, _ in LIMBS178]
    artists = []
    for k, (name, seq) in enumerate(seqs.items()):
        ax = _panel(fig, (rows, cols, k + 1), "front", (lo, hi), None)
        ax.set_title(name, fontsize=8)
        pts = _project(seq[0], "front")
        lines = [ax.plot(pts[[a, b], 0], pts[[a, b], 1], color=c, lw=0.9 if a >= REGIONS["face"].start else 1.4)[0]
                 for (a, b), c in zip(LIMBS178, colors)]
        artists.append((seq, lines))
    if title:
        fig.suptitle(title, fontsize=9)
    T = max(len(s) for s in seqs.values())

    def update(t):
        out = []
        for seq, lines in artists:
            pts = _project(seq[min(t, len(seq) - 1)], "front")
            for line, (a, b) in zip(lines, LIMBS178):
                line.set_data(pts[[a, b], 0], pts[[a, b], 1])
            out += lines
        return out

    anim = animation.FuncAnimation(fig, update, frames=T, interval=1000.0 / fps, blit=False)
    anim.save(out_path, writer=writer, dpi=dpi)
    return out_path
