"""Channel-aware KL regulariser of DARSLP (Sec. 3.2, Eq. 7) and its schedule (Table 2).

Every latent channel ``c`` of the autoencoder's 80-dim code belongs to one articulator
region ``R`` (body, left hand, right hand, face). At each training step the generator's
predicted encodings of the *batch* (all valid frames of all sequences) give one Gaussian
per channel, ``N(mu_c, sigma_c^2)``; the prior ``N(mu_prior_c, sigma_prior_c^2)`` is
precomputed once from the ground-truth encodings of the training set
(:meth:`ChannelPrior.fit`). The loss is::

    L_KL = sum_R lambda_R * sum_{c in R} KL( N(mu_c, s_c^2) || N(mu_p_c, s_p_c^2) )

with the closed form ``KL = log(s_p / s) + (s^2 + (mu - mu_p)^2) / (2 s_p^2) - 1/2``.

No variational posterior is involved: the predictions are deterministic, only their
batch statistics are pulled towards the data's channel statistics. This is what
counteracts regression to the mean (a generator that predicts the mean latent for every
frame has ``s -> 0`` and pays ``log(s_p / s)``).

:class:`KLSchedule` says when the term is switched on: ``"none"`` (DARSLP),
``"from_start"`` (Table 2 row 2, unstable in the paper) or ``"staged"`` (DARSLP-KL: phase 1
without KL, phase 2 with KL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn

from slpkit.checks import check_finite, check_float

__all__ = ["gaussian_kl", "masked_channel_stats", "ChannelPrior", "ChannelKL", "KLSchedule", "KL_SCHEDULES"]

KL_SCHEDULES = ("none", "from_start", "staged")


def gaussian_kl(mu: torch.Tensor, var: torch.Tensor, mu_p: torch.Tensor, var_p: torch.Tensor) -> torch.Tensor:
    """Elementwise ``KL(N(mu, var) || N(mu_p, var_p))`` for univariate Gaussians (variances, not stds)."""
    return 0.5 * (torch.log(var_p) - torch.log(var) + (var + (mu - mu_p) ** 2) / var_p - 1.0)


def masked_channel_stats(x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and (biased) variance over all valid frames.

    ``x``: ``(B, T, C)`` or ``(N, C)``; ``mask``: ``(B, T)`` bool/0-1 (True = real frame) or None.
    Returns ``(mu (C,), var (C,))``.
    """
    if x.ndim == 3:
        flat = x.reshape(-1, x.shape[-1])
        m = None if mask is None else mask.reshape(-1).to(torch.bool)
    elif x.ndim == 2:
        flat, m = x, (None if mask is None else mask.reshape(-1).to(torch.bool))
    else:
        raise ValueError(f"encodings have shape {tuple(x.shape)}, expected (B, T, C) or (N, C)")
    if m is not None:
        if m.shape[0] != flat.shape[0]:
            raise ValueError(f"mask has {m.shape[0]} entries but encodings have {flat.shape[0]} frames")
        flat = flat[m]
    if flat.shape[0] < 2:
        raise ValueError(f"need at least 2 valid frames for channel statistics, got {flat.shape[0]}")
    mu = flat.mean(0)
    var = ((flat - mu) ** 2).mean(0)
    return mu, var


@dataclass
class ChannelPrior:
    """Per-channel Gaussian prior ``mu (C,)``, ``var (C,)`` of ground-truth encodings."""

    mu: torch.Tensor
    var: torch.Tensor

    @classmethod
    def fit(cls, encodings: torch.Tensor | list, mask: torch.Tensor | None = None, min_var: float = 1e-6) -> "ChannelPrior":
        """Fit from GT encodings: ``(N, C)``, ``(B, T, C)`` (+ mask) or a list of ``(T_i, C)`` arrays."""
        if isinstance(encodings, (list, tuple)):
            encodings = torch.cat([torch.as_tensor(e, dtype=torch.float32).reshape(-1, e.shape[-1]) for e in encodings], 0)
        encodings = torch.as_tensor(encodings, dtype=torch.float32)
        check_finite(encodings, "encodings")
        mu, var = masked_channel_stats(encodings.detach(), mask)
        return cls(mu=mu.cpu(), var=var.clamp_min(min_var).cpu())

    @property
    def channels(self) -> int:
        return int(self.mu.shape[0])

    def state_dict(self) -> dict:
        return {"mu": self.mu.clone(), "var": self.var.clone()}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, torch.Tensor]) -> "ChannelPrior":
        if not isinstance(state, Mapping) or "mu" not in state or "var" not in state:
            raise ValueError("state must be a dict with 'mu' and 'var' (what ChannelPrior.state_dict() returns)")
        mu, var = torch.as_tensor(state["mu"]).float(), torch.as_tensor(state["var"]).float()
        if mu.ndim != 1 or mu.shape != var.shape or not bool((var > 0).all()):
            raise ValueError(f"ChannelPrior state has mu {tuple(mu.shape)} and var {tuple(var.shape)}: pass two (C,) "
                             "vectors, var > 0")
        return cls(mu=mu, var=var)


class ChannelKL(nn.Module):
    """Region-weighted channel-aware KL (Eq. 7).

    Args:
        prior: :class:`ChannelPrior` of the GT encodings (``C`` channels).
        region_slices: ``{region: slice}`` of the latent channels (see
            :meth:`slpkit.generators.darslp.autoencoder.AEConfig.latent_slices`).
        region_weights: ``{region: lambda_R}``; regions left out weigh 0.
        eps: added to the batch variance (a collapsed channel gives a large but finite loss).
    """

    def __init__(
        self,
        prior: ChannelPrior,
        region_slices: Mapping[str, slice],
        region_weights: Mapping[str, float],
        eps: float = 1e-6,
    ):
        super().__init__()
        unknown = set(region_weights) - set(region_slices)
        if unknown:
            raise ValueError(f"KL weights name unknown regions {sorted(unknown)}; known: {sorted(region_slices)}")
        C = prior.channels
        w = torch.zeros(C)
        for name, sl in region_slices.items():
            if sl.stop > C:
                raise ValueError(f"region {name!r} spans channels {sl.start}:{sl.stop} but the prior has {C}")
            w[sl] = float(region_weights.get(name, 0.0))
        self.region_slices = dict(region_slices)
        self.register_buffer("mu_prior", prior.mu.clone().float())
        self.register_buffer("var_prior", prior.var.clone().float())
        self.register_buffer("channel_weight", w)
        self.eps = eps

    def per_channel(self, pred: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Unweighted KL of each channel, shape ``(C,)``."""
        if pred.shape[-1] != self.mu_prior.shape[0]:
            raise ValueError(f"predictions have {pred.shape[-1]} channels, the prior has {self.mu_prior.shape[0]}")
        mu, var = masked_channel_stats(pred, mask)
        return gaussian_kl(mu, var + self.eps, self.mu_prior, self.var_prior)

    def per_region(self, pred: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Unweighted KL summed over the channels of each region."""
        kl = self.per_channel(pred, mask)
        return {name: kl[sl].sum() for name, sl in self.region_slices.items()}

    def forward(self, pred: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``sum_c lambda_{R(c)} KL_c``: a scalar."""
        return (self.channel_weight * self.per_channel(pred, mask)).sum()


@dataclass
class KLSchedule:
    """When (and how strongly) the KL term is applied.

    ``mode``: ``"none"`` (never), ``"from_start"`` (every epoch) or ``"staged"`` (only from
    epoch ``phase1_epochs`` on: the paper's two-phase DARSLP-KL). ``weight`` scales the
    whole term; ``ramp_epochs`` > 0 ramps it linearly once switched on (0 = step, as in the paper).
    """

    mode: str = "staged"
    phase1_epochs: int = 0
    weight: float = 1.0
    ramp_epochs: int = 0

    def __post_init__(self):
        if self.mode not in KL_SCHEDULES:
            raise ValueError(f"unknown KL schedule {self.mode!r}: use one of {KL_SCHEDULES}")
        if self.phase1_epochs < 0 or self.ramp_epochs < 0:
            raise ValueError("phase1_epochs and ramp_epochs must be >= 0")
        check_float(self.weight, "KLSchedule.weight", min=0.0, hint="the multiplier of L_KL (1 in the paper)")

    def start_epoch(self) -> int | None:
        """First epoch with KL, or None for ``"none"``."""
        return {"none": None, "from_start": 0, "staged": self.phase1_epochs}[self.mode]

    def factor(self, epoch: int) -> float:
        """Multiplier of ``L_KL`` at ``epoch`` (0 = off)."""
        start = self.start_epoch()
        if start is None or epoch < start:
            return 0.0
        if self.ramp_epochs > 0:
            return self.weight * min(1.0, (epoch - start + 1) / self.ramp_epochs)
        return self.weight

    def active(self, epoch: int) -> bool:
        return self.factor(epoch) > 0.0
