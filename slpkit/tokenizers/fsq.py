"""Finite Scalar Quantization (Mentzer et al. 2023), as used by M3T's tokenizers.

Each of ``d = len(levels)`` latent dimensions is squashed and rounded onto ``L_i`` levels;
the implicit codebook is the grid of all combinations, size ``prod(levels)``. No codebook,
no codebook or commitment loss: training minimises reconstruction only (M3T Eq. 4, 6).

Per dimension with ``L`` levels (lucidrains' vector-quantize-pytorch ``FSQ``, which the tests
compare against; ``docs/reference.md``, "FSQ")::

    half_l = (L - 1) * (1 + eps) / 2          offset = 0.5 if L even else 0
    shift  = atanh(offset / half_l)
    z_hat  = round_ste(tanh(z + shift) * half_l - offset) / (L // 2)     # in [-1, 1]

    index  = sum_i (z_hat_i * (L_i // 2) + L_i // 2) * basis_i,  basis = cumprod([1] + levels[:-1])
    level_i = (index // basis_i) % L_i       (inverse)

``round_ste(x) = x + sg(round(x) - x)``: the forward pass rounds, the backward pass is the
identity, so the encoder gets gradients. When the latent width ``dim`` differs from
``len(levels)`` a linear ``project_in`` / ``project_out`` pair is added (as in the reference).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from slpkit.tokenizers.vq import QuantizerOutput, perplexity_from_indices


def round_ste(z: torch.Tensor) -> torch.Tensor:
    """Round with a straight-through (identity) gradient."""
    return z + (z.round() - z).detach()


class FSQ(nn.Module):
    """FSQ quantizer on ``(B, N, dim)`` latents.

    Args:
        levels: levels per latent dimension, e.g. ``(8, 5, 5, 5)`` -> codebook 1000.
            Each level must be >= 2 (3 or more recommended: 2 levels is asymmetric).
        dim: latent width; ``None`` -> ``len(levels)``. If different, linear projections are added.
        eps: the ``(1 + eps)`` margin of ``half_l`` (1e-3 as in the reference).

    ``codes`` below are the normalised grid values in [-1, 1] of width ``len(levels)``
    (before ``project_out``); ``indices`` are int64 in ``[0, codebook_size)``.
    """

    def __init__(self, levels: Sequence[int], dim: int | None = None, eps: float = 1e-3):
        super().__init__()
        if isinstance(levels, (str, bytes)) or not hasattr(levels, "__iter__") or any(
                isinstance(l, bool) or not isinstance(l, (int, np.integer)) for l in levels):
            raise ValueError(f"FSQ levels must be a non-empty list of integers >= 2, got {levels!r}")
        levels = [int(l) for l in levels]
        if not levels or any(l < 2 for l in levels):
            raise ValueError(f"FSQ levels must be a non-empty list of integers >= 2, got {levels}")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1):
            raise ValueError(f"FSQ dim={dim!r}: use a positive latent width (or None for len(levels))")
        if not float(eps) >= 0:
            raise ValueError(f"FSQ eps={eps!r}: use a small non-negative number (1e-3)")
        self.levels = tuple(levels)
        self.eps = float(eps)
        self.register_buffer("_levels", torch.tensor(levels, dtype=torch.long), persistent=False)
        self.register_buffer("_basis", torch.cumprod(torch.tensor([1] + levels[:-1], dtype=torch.long), 0),
                             persistent=False)
        self.codebook_dim = len(levels)
        self.dim = int(dim) if dim is not None else self.codebook_dim
        self.codebook_size = 1
        for l in levels:
            self.codebook_size *= l
        proj = self.dim != self.codebook_dim
        self.project_in = nn.Linear(self.dim, self.codebook_dim) if proj else nn.Identity()
        self.project_out = nn.Linear(self.codebook_dim, self.dim) if proj else nn.Identity()

    # -- the quantizer itself -------------------------------------------------------------------
    def bound(self, z: torch.Tensor) -> torch.Tensor:
        """``tanh(z + shift) * half_l - offset``: values in ``(-L/2, L/2)`` before rounding."""
        lv = self._levels.to(z.dtype)
        half_l = (lv - 1) * (1 + self.eps) / 2
        offset = torch.where(self._levels % 2 == 0, 0.5, 0.0).to(z.dtype)
        shift = torch.atanh(offset / half_l)
        return torch.tanh(z + shift) * half_l - offset

    def quantize_codes(self, z: torch.Tensor) -> torch.Tensor:
        """``(…, len(levels))`` -> normalised grid codes in [-1, 1] (straight-through)."""
        half_width = (self._levels // 2).to(z.dtype)
        return round_ste(self.bound(z)) / half_width

    def codes_to_indices(self, codes: torch.Tensor) -> torch.Tensor:
        """Normalised codes ``(…, len(levels))`` -> int64 indices ``(…)``."""
        if codes.shape[-1] != self.codebook_dim:
            raise ValueError(f"codes must have last dimension {self.codebook_dim}, got {tuple(codes.shape)}")
        half_width = self._levels // 2
        level_idx = (codes * half_width + half_width).round().long()
        return (level_idx * self._basis).sum(-1)

    def _check_indices(self, indices) -> torch.Tensor:
        t = torch.as_tensor(indices, device=self._levels.device)
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise ValueError(f"FSQ indices must be integers, got dtype {t.dtype}")
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= self.codebook_size):
            raise ValueError(f"FSQ indices lie in [{int(t.min())}, {int(t.max())}], outside the codebook's "
                             f"[0, {self.codebook_size}) (levels {self.levels})")
        return t.long()

    def indices_to_level_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """``(…)`` -> per-dimension level index ``(…, len(levels))`` in ``[0, L_i)``."""
        return (self._check_indices(indices)[..., None] // self._basis) % self._levels

    def indices_to_codes(self, indices: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`codes_to_indices`: int indices -> normalised codes (no projection)."""
        half_width = self._levels // 2
        return ((self.indices_to_level_indices(indices) - half_width) / half_width).float()

    @property
    def implicit_codebook(self) -> torch.Tensor:
        """All ``codebook_size`` grid codes, ``(K, len(levels))``, row k = code of index k."""
        return self.indices_to_codes(torch.arange(self.codebook_size, device=self._levels.device))

    # -- common quantizer API -------------------------------------------------------------------
    def _check(self, z: torch.Tensor) -> None:
        if z.ndim != 3 or z.shape[-1] != self.dim:
            raise ValueError(f"FSQ expects latents of shape (B, N, {self.dim}), got {tuple(z.shape)}")

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, N, dim)`` -> (projected quantized latents ``(B, N, dim)``, indices ``(B, N)``)."""
        self._check(z)
        with torch.autocast(device_type=z.device.type, enabled=False):  # rounding in float32
            codes = self.quantize_codes(self.project_in(z.float()))
            idx = self.codes_to_indices(codes)
            out = self.project_out(codes)
        return out.to(z.dtype), idx

    def encode_indices(self, z: torch.Tensor) -> torch.Tensor:
        return self.quantize(z)[1]

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, N, dim)`` (codes passed through ``project_out``)."""
        return self.project_out(self.indices_to_codes(indices).to(self._float_dtype()))

    def _float_dtype(self) -> torch.dtype:
        if isinstance(self.project_out, nn.Linear):
            return self.project_out.weight.dtype
        return torch.float32

    def forward(self, z: torch.Tensor) -> QuantizerOutput:
        zq, idx = self.quantize(z)
        zero = zq.new_zeros((), dtype=torch.float32)
        return QuantizerOutput(zq, idx, zero, zero, zero, perplexity_from_indices(idx, self.codebook_size))
