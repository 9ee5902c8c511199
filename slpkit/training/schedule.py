"""Learning-rate schedule shared by every stage: linear warm-up, then cosine decay to a floor.

SOKE / MotionGPT (AdamW, cosine to 1e-6), M3T (cosine with warm-up epochs) and Sign Language
Transformers all use this shape; nanoGPT's ``get_lr`` is the same function::

    factor(s) = (s + 1) / W                                       s < W   (warm-up)
    factor(s) = f + (1 - f) * 0.5 * (1 + cos(pi * (s - W) / (S - W)))      (cosine, s >= W)

with ``W`` warm-up steps, ``S`` total steps and ``f = lr_min / lr`` the floor. The factor
multiplies the optimiser's base learning rate (``torch.optim.lr_scheduler.LambdaLR``).

    >>> [round(warmup_cosine(s, warmup=2, total=6), 3) for s in range(7)]
    [0.5, 1.0, 1.0, 0.854, 0.5, 0.146, 0.0]
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["warmup_cosine", "warmup_cosine_scheduler"]


def warmup_cosine(step: int, warmup: int, total: int, floor: float = 0.0) -> float:
    """LR factor at optimiser step ``step`` (0-based); constant ``floor`` after ``total``."""
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        raise ValueError(f"step={step!r}: use the 0-based optimiser step (an integer >= 0)")
    if not 0.0 <= float(floor) <= 1.0:
        raise ValueError(f"floor={floor!r}: the final LR factor lr_min / lr lies in [0, 1]")
    warmup, total = max(0, int(warmup)), max(1, int(total))
    if step < warmup:
        return (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * t))


def warmup_cosine_scheduler(optimizer: torch.optim.Optimizer, warmup: int, total: int, lr_min: float = 0.0) -> dict:
    """Lightning ``lr_scheduler`` entry (stepped every optimiser step) for :func:`warmup_cosine`.

    ``lr_min`` is absolute (e.g. 1e-6); the floor factor is ``lr_min / base lr`` of the first group.
    """
    base = optimizer.param_groups[0]["lr"]
    if float(lr_min) < 0 or (base > 0 and float(lr_min) > base):
        raise ValueError(f"lr_min={lr_min!r}: use a floor in [0, lr={base}]")
    floor = float(lr_min) / base if base > 0 else 0.0
    sched = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: warmup_cosine(s, warmup, total, floor))
    return {"scheduler": sched, "interval": "step"}
