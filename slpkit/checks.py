"""Input validation with messages that say what is wrong and what to do.

Every public entry point that takes motion arrays calls these, so a user who
passes a 132-dim vector, a NaN or an empty clip learns why at once instead of
from a shape error deep inside a conv layer.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def check_last_dim(x: ArrayLike, expected: int, name: str = "input", hint: str = "") -> None:
    """Raise ``ValueError`` if ``x.shape[-1] != expected``."""
    if x.ndim == 0 or x.shape[-1] != expected:
        msg = f"{name} has last dimension {tuple(x.shape)[-1:] or '()'} (shape {tuple(x.shape)}), expected {expected}."
        if hint:
            msg += f" {hint}"
        raise ValueError(msg)


def check_shape(x: ArrayLike, tail: Sequence[int], name: str = "input", hint: str = "") -> None:
    """Raise ``ValueError`` unless ``x.shape`` ends with ``tail`` (use -1 for 'any')."""
    tail = tuple(tail)
    shape = tuple(x.shape)
    ok = len(shape) >= len(tail) and all(t == -1 or s == t for s, t in zip(shape[len(shape) - len(tail):], tail))
    if not ok:
        want = "(..., " + ", ".join("*" if t == -1 else str(t) for t in tail) + ")"
        msg = f"{name} has shape {shape}, expected {want}."
        if hint:
            msg += f" {hint}"
        raise ValueError(msg)


def check_finite(x: ArrayLike, name: str = "input") -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or inf, saying where the first one is."""
    finite = torch.isfinite(x) if isinstance(x, torch.Tensor) else np.isfinite(x)
    if not bool(finite.all()):
        bad = (~finite).nonzero() if isinstance(x, torch.Tensor) else np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        n = int((~finite).sum())
        raise ValueError(
            f"{name} contains {n} NaN/inf value(s) (first at index {first}). "
            "Clean or interpolate the missing frames before calling this (e.g. np.nan_to_num or drop the frames)."
        )


def check_nonempty(x: ArrayLike, name: str = "input", axis: int = -2) -> None:
    """Raise ``ValueError`` if the time axis (default: second to last) is empty."""
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError(f"{name} is an empty sequence (shape {tuple(x.shape)}): pass at least one frame.")


def check_motion(x: ArrayLike, dim: int, name: str = "motion", hint: str = "") -> None:
    """Shape ``(..., T, dim)``, ``T > 0`` and finite: the usual contract of a motion array."""
    if x.ndim < 2:
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected (T, {dim}) or (B, T, {dim}).")
    check_last_dim(x, dim, name, hint)
    check_nonempty(x, name)
    check_finite(x, name)
