"""Skeleton plots and animations (matplotlib; GIF via Pillow, MP4 via ffmpeg if present), sweep plots."""

from slpkit.viz.animate import animate, animate_keypoints, side_by_side
from slpkit.viz.skeleton import (
    HAND_EDGES,
    HAND_PARENTS,
    KP178_SLICES,
    REGION_COLORS,
    edges_from_parents,
    plot_frame_parts,
    plot_keypoints178,
    plot_skeleton,
)
from slpkit.viz.sweep import codebook_sweep_widget, plot_codebook_sweep

__all__ = [
    "HAND_EDGES",
    "HAND_PARENTS",
    "KP178_SLICES",
    "REGION_COLORS",
    "animate",
    "animate_keypoints",
    "edges_from_parents",
    "codebook_sweep_widget",
    "plot_codebook_sweep",
    "plot_frame_parts",
    "plot_keypoints178",
    "plot_skeleton",
    "side_by_side",
]
