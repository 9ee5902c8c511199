"""Conditional flow matching from sparse keyframes (SignSparK Sec. 3, Fig. 3; torchcfm).

Path and target (torchcfm's ``ConditionalFlowMatcher(sigma=0)``, Lipman et al. 2023 / Tong et al.
2024): for data ``x1`` and noise ``x0 ~ N(0, I)``, both ``(B, T, D)``, and ``t ~ U(eps, 1)`` per sequence,

    x_t = t x1 + (1 - t) x0,        u_t = x1 - x0            (straight path, constant target)

Keyframes (SignSparK's public code): at the keyframe frames ``x0`` and ``x_t`` are overwritten with
``x1``, so the target there is 0 and the network only has to learn the frames between keyframes; at
sampling time the keyframes are re-imposed on the state before every evaluation of the field.

Loss (SignSparK's public code), every term a mean over the valid (unpadded) frames only::

    x1_est = x_t + (1 - t) v                                    (one-step estimate of the clean motion)
    L = 0.5 |v - u_t|^2 + 1.0 |x1_est - x1|^2 + 0.5 |d/dt x1_est - d/dt x1|^2 + 0.1 |d2/dt2 x1_est - d2/dt2 x1|^2

with first / second differences over time for the velocity / acceleration terms.

Sampling integrates ``dx/dt = v(x, t)`` from ``t = 0`` (noise) to ``t = 1``: :func:`euler` (SignSparK's
default, 50 steps) or :func:`heun` (2 evaluations per step: Heun-25 costs what Euler-50 does).
Classifier-free guidance (Ho & Salimans 2022): ``v = v_uncond + s (v_cond - v_uncond)``
(:func:`guided_field`; ``s = 1`` is the conditional model and skips the unconditional pass).

    >>> x0, x1 = torch.zeros(1, 4, 2), torch.ones(1, 4, 2)
    >>> xt, u = straight_path(x0, x1, torch.tensor([0.25]))
    >>> float(xt[0, 0, 0]), float(u[0, 0, 0])
    (0.25, 1.0)
    >>> x = euler(lambda x, t: torch.ones_like(x), x0, steps=1)     # constant field: exact
    >>> bool((x == 1).all())
    True
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import torch

__all__ = ["LossWeights", "sample_time", "straight_path", "impose_keyframes", "masked_mse", "cfm_loss",
           "guided_field", "euler", "heun", "solve", "SOLVERS", "Field"]

#: ``field(x (B, T, D), t (B,)) -> v (B, T, D)``
Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
SOLVERS = ("euler", "heun")


@dataclasses.dataclass(frozen=True)
class LossWeights:
    """Weights of the four loss terms (SignSparK's public code: 0.5, 1.0, 0.5, 0.1)."""

    flow: float = 0.5
    recon: float = 1.0
    velocity: float = 0.5
    acceleration: float = 0.1


def sample_time(n: int, eps: float = 1e-3, device: torch.device | str | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """``(n,)`` times ``t ~ U(eps, 1)``."""
    if not 0.0 <= float(eps) < 1.0:
        raise ValueError(f"eps={eps}: use a small non-negative number below 1, e.g. 1e-3")
    u = torch.rand(int(n), device=device, generator=generator)
    return eps + (1.0 - eps) * u


def _pad_t(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
    if t.dim() == 0:
        t = t.expand(x.shape[0])
    return t.reshape((x.shape[0],) + (1,) * (x.dim() - 1))


def straight_path(x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x_t = t x1 + (1 - t) x0`` and target ``u_t = x1 - x0`` for ``(B, ...)`` tensors and ``t`` of shape ``(B,)``."""
    if x0.shape != x1.shape:
        raise ValueError(f"x0 has shape {tuple(x0.shape)} but x1 has {tuple(x1.shape)}: draw the noise like the data")
    tt = _pad_t(t, x1)
    return tt * x1 + (1 - tt) * x0, x1 - x0


def impose_keyframes(x: torch.Tensor, values: torch.Tensor | None, mask: torch.Tensor | None) -> torch.Tensor:
    """``x`` with the frames where ``mask`` ``(B, T)`` is True replaced by ``values`` ``(B, T, D)``."""
    if mask is None or values is None:
        return x
    return torch.where(mask[..., None], values.to(x.dtype), x)


def masked_mse(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``(a - b)^2`` over the frames where ``mask`` ``(B, T)`` is True (and all feature dims)."""
    m = mask.to(a.dtype)[..., None]
    n = m.sum() * a.shape[-1]
    return (((a - b) ** 2) * m).sum() / n.clamp_min(1.0)


def cfm_loss(v: torch.Tensor, x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor, frame_mask: torch.Tensor,
             weights: LossWeights = LossWeights()) -> dict[str, torch.Tensor]:
    """SignSparK's flow-matching loss of a predicted field ``v`` ``(B, T, D)`` (see the module docstring).

    ``x0`` must already carry the keyframe overwrite (``x0[kf] = x1[kf]``). Returns ``{'loss', 'flow', 'recon',
    'velocity', 'acceleration'}``; padded frames (``frame_mask`` False) never enter any term.
    """
    x_t, u = straight_path(x0, x1, t)
    tt = _pad_t(t, x1)
    x1_est = x_t + (1 - tt) * v
    m = frame_mask.bool()
    terms = {"flow": masked_mse(v, u, m), "recon": masked_mse(x1_est, x1, m)}
    mv = m[:, 1:] & m[:, :-1]
    terms["velocity"] = masked_mse(x1_est.diff(dim=1), x1.diff(dim=1), mv)
    ma = mv[:, 1:] & mv[:, :-1]
    terms["acceleration"] = masked_mse(x1_est.diff(n=2, dim=1), x1.diff(n=2, dim=1), ma)
    terms["loss"] = (weights.flow * terms["flow"] + weights.recon * terms["recon"]
                     + weights.velocity * terms["velocity"] + weights.acceleration * terms["acceleration"])
    return terms


def guided_field(cond: Field, uncond: Field | None = None, scale: float = 1.0,
                 joint: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None) -> Field:
    """Classifier-free guidance ``v = uncond + s (cond - uncond)``.

    ``scale == 1`` returns ``cond`` itself (the unconditional field is never evaluated). ``joint(x, t)``, when
    given, returns ``(v_cond, v_uncond)`` from one batched call (what :class:`~.pipeline.CFMModule` does).
    """
    s = float(scale)
    if s == 1.0:
        return cond
    if joint is None and uncond is None:
        raise ValueError(f"guidance scale {s} needs the unconditional field: pass uncond= or joint=")

    def field(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        vc, vu = joint(x, t) if joint is not None else (cond(x, t), uncond(x, t))
        return vu + s * (vc - vu)

    return field


def _times(x: torch.Tensor, value: float) -> torch.Tensor:
    return torch.full((x.shape[0],), float(value), dtype=x.dtype, device=x.device)


def _check_steps(steps: int) -> int:
    if int(steps) < 1 or int(steps) != steps:
        raise ValueError(f"steps={steps}: use a positive integer number of solver steps (SignSparK: Euler 50)")
    return int(steps)


def euler(field: Field, x0: torch.Tensor, steps: int = 50, keyframes: torch.Tensor | None = None,
          keyframe_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Euler from ``t = 0`` to 1 in ``steps`` equal steps; keyframes re-imposed before every step and at the end."""
    n = _check_steps(steps)
    h = 1.0 / n
    x = impose_keyframes(x0, keyframes, keyframe_mask)
    for k in range(n):
        x = impose_keyframes(x, keyframes, keyframe_mask)
        x = x + h * field(x, _times(x, k * h))
    return impose_keyframes(x, keyframes, keyframe_mask)


def heun(field: Field, x0: torch.Tensor, steps: int = 25, keyframes: torch.Tensor | None = None,
         keyframe_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Heun (explicit trapezoid, 2 field evaluations per step) from ``t = 0`` to 1; keyframes re-imposed
    before every evaluation and at the end."""
    n = _check_steps(steps)
    h = 1.0 / n
    x = impose_keyframes(x0, keyframes, keyframe_mask)
    for k in range(n):
        x = impose_keyframes(x, keyframes, keyframe_mask)
        v1 = field(x, _times(x, k * h))
        xp = impose_keyframes(x + h * v1, keyframes, keyframe_mask)
        v2 = field(xp, _times(x, (k + 1) * h))
        x = x + 0.5 * h * (v1 + v2)
    return impose_keyframes(x, keyframes, keyframe_mask)


def solve(field: Field, x0: torch.Tensor, solver: str = "euler", steps: int = 50, keyframes: torch.Tensor | None = None,
          keyframe_mask: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`euler` or :func:`heun` by name."""
    if solver not in SOLVERS:
        raise ValueError(f"solver={solver!r}: use one of {SOLVERS}")
    fn = euler if solver == "euler" else heun
    return fn(field, x0, steps, keyframes, keyframe_mask)
