"""Viz: frame plots draw the right artists; animations write non-empty GIFs (tiny, fast)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from slpkit.viz import (  # noqa: E402
    HAND_EDGES,
    HAND_PARENTS,
    KP178_SLICES,
    animate,
    plot_frame_parts,
    plot_keypoints178,
    plot_skeleton,
    side_by_side,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_hand_connectivity():
    assert len(HAND_PARENTS) == 21 and HAND_PARENTS[0] == -1
    assert len(HAND_EDGES) == 20
    # each finger: wrist -> 4 points in a chain
    for f in range(5):
        base = 4 * f + 1
        assert (0, base) in HAND_EDGES
        assert all((base + k, base + k + 1) in HAND_EDGES for k in range(3))
    assert KP178_SLICES["face"] == slice(50, 178)


def test_plot_skeleton_front_and_3d():
    x = np.random.default_rng(0).random((21, 3))
    ax = plot_skeleton(x, HAND_PARENTS)
    assert len(ax.lines) == 20
    ax3 = plot_skeleton(x, HAND_PARENTS, view="3d", title="hand")
    assert ax3.name == "3d" and len(ax3.lines) == 20
    ax2 = plot_skeleton(x[:, :2], None)  # 2-D front view, points only
    assert len(ax2.lines) == 0
    with pytest.raises(ValueError, match="parents has 3"):
        plot_skeleton(x, [-1, 0, 1])
    with pytest.raises(ValueError, match="NaN/inf"):
        plot_skeleton(np.full((21, 3), np.nan), HAND_PARENTS)


def test_plot_keypoints178_and_parts():
    kp = np.random.default_rng(1).random((178, 3))
    ax = plot_keypoints178(kp, body_edges=[(0, 1), (1, 2)])
    assert len(ax.lines) == 2 + 20 + 20
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["body", "lhand", "rhand", "face"]
    with pytest.raises(ValueError, match="178"):
        plot_keypoints178(kp[:100])
    parts = {"body": kp[:12], "lhand": kp[8:29], "rhand": kp[29:50]}
    ax = plot_frame_parts(parts, parents={"body": [-1] + [0] * 11})
    assert len(ax.lines) == 11 + 20 + 20


def _is_gif(path, frames):
    with open(path, "rb") as f:
        assert f.read(6) in (b"GIF87a", b"GIF89a")
    with Image.open(path) as im:
        assert im.n_frames == frames


def test_animate_gif(tmp_path):
    seq = np.random.default_rng(2).random((4, 21, 3))
    p = animate(seq, HAND_PARENTS, path=str(tmp_path / "a" / "hand.gif"), fps=10, dpi=30, figsize=(2, 2))
    assert p.endswith("hand.gif") and (tmp_path / "a" / "hand.gif").stat().st_size > 0
    _is_gif(p, 4)
    p3 = animate(seq, HAND_PARENTS, path=str(tmp_path / "hand3d.gif"), fps=10, view="3d", dpi=30, figsize=(2, 2))
    _is_gif(p3, 4)


def test_side_by_side_gif(tmp_path):
    rng = np.random.default_rng(3)
    gt, pred = rng.random((3, 21, 3)), rng.random((5, 21, 3))
    p = side_by_side(gt, pred, HAND_PARENTS, str(tmp_path / "sbs.gif"), fps=10, dpi=30, figsize=(3, 2))
    _is_gif(p, 5)  # the longer one sets the length


def test_mp4_or_fallback(tmp_path):
    from matplotlib import animation

    seq = np.random.default_rng(4).random((2, 21, 3))
    target = str(tmp_path / "clip.mp4")
    if animation.writers.is_available("ffmpeg"):
        p = animate(seq, HAND_PARENTS, path=target, fps=5, dpi=30, figsize=(2, 2))
        assert p == target
    else:
        with pytest.warns(UserWarning, match="ffmpeg"):
            p = animate(seq, HAND_PARENTS, path=target, fps=5, dpi=30, figsize=(2, 2))
        _is_gif(p, 2)


def test_animate_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unsupported"):
        animate(np.zeros((2, 21, 3)), HAND_PARENTS, path=str(tmp_path / "x.avi"))
    with pytest.raises(ValueError, match="empty"):
        animate(np.zeros((0, 21, 3)), HAND_PARENTS, path=str(tmp_path / "x.gif"))
    with pytest.raises(ValueError, match="NaN/inf"):
        animate(np.full((2, 21, 3), np.nan), HAND_PARENTS, path=str(tmp_path / "x.gif"))
    with pytest.raises(ValueError, match="same joint set"):
        side_by_side(np.zeros((2, 21, 3)), np.zeros((2, 12, 3)), None, str(tmp_path / "x.gif"))


def test_codebook_sweep_plot():
    from slpkit.viz import plot_codebook_sweep

    def ev(b, h, k):
        f = np.arange(k, dtype=float) / np.arange(k).sum()
        return {"recon": {"body": {"pa_mpjpe_mm": b}, "hand": {"pa_mpjpe_mm": h}},
                "codebook": {s: {"frequency": f, "utilisation": 75.0} for s in ("body", "rhand")}}

    res = {"64/128": ev(20, 7, 4), "96/192": ev(19, 6, 6), "128/256": ev(21, 6.5, 8)}
    fig = plot_codebook_sweep(res)  # default: the middle configuration
    left, right = fig.axes
    assert len(left.get_lines()) == 3  # body, hand, selected marker
    assert len(right.get_lines()) == 2 and len(right.get_lines()[0].get_xdata()) == 6  # body + rhand of '96/192'
    assert "96/192" in right.get_title()
    assert np.allclose(right.get_lines()[0].get_ydata(), np.sort(res["96/192"]["codebook"]["body"]["frequency"])[::-1])
    fig = plot_codebook_sweep(res, "64/128", streams=("body",))
    assert len(fig.axes[1].get_lines()) == 1 and list(fig.axes[0].get_lines()[2].get_ydata()) == [20, 7]
    with pytest.raises(ValueError, match="configurations"):
        plot_codebook_sweep(res, "1/2")


def test_codebook_sweep_widget_draws_the_selected_configuration():
    pytest.importorskip("ipywidgets")
    from slpkit.viz import codebook_sweep_widget

    res = {k: {"recon": {"body": {"pa_mpjpe_mm": 1.0}, "hand": {"pa_mpjpe_mm": 2.0}},
               "codebook": {s: {"frequency": np.ones(4) / 4, "utilisation": 100.0} for s in ("body", "rhand")}}
           for k in ("a", "b", "c")}
    w = codebook_sweep_widget(res)
    dd = w.children[0]
    assert list(dd.options) == ["a", "b", "c"] and dd.value == "b"
    assert "b" in w.result.axes[1].get_title()
    dd.value = "c"  # the widget redraws on change
    assert "c" in w.result.axes[1].get_title()
