"""1D-convolutional residual encoder / decoder of the motion tokenizers.

The shape follows T2M-GPT / MotionGPT, which SOKE (Sec. 3.2) and M3T (App. 0.D.1)
both build on (T2M-GPT's VQ-VAE as forked by SOKE's public code; ``docs/reference.md``,
"VQ-VAE tokenizer")::

    Encoder  (B, T, D) -> Conv1d(D, W, k3) + ReLU
                       -> down_t x [Conv1d(W, W, k4, stride 2, pad 1) + Resnet1D(W)]
                       -> Conv1d(W, C, k3)                               -> (B, T / 2**down_t, C)
    Decoder  (B, T', C) -> Conv1d(C, W, k3) + ReLU
                        -> down_t x [Resnet1D(W) + Upsample(x2, nearest) + Conv1d(W, W, k3)]
                        -> Conv1d(W, W, k3) + ReLU + Conv1d(W, D, k3)   -> (B, T' * 2**down_t, D)

``Resnet1D``: ``res_depth`` residual blocks ``x + Conv(k1)(ReLU(Conv(k3, dilation d)(ReLU(x))))``
with dilations ``growth**i`` listed largest first (SOKE: depth 3, growth 3 -> 9, 3, 1;
M3T: depth 6, growth 3). SOKE uses width = code dim = 512, ``down_t = 2`` (4x);
M3T uses width 1024 and a 3-dim latent (the FSQ levels).

Tensors cross the public API time-major ``(B, T, D)``; the convs run channels-first inside.
"""

from __future__ import annotations

import torch
from torch import nn


class ResConv1DBlock(nn.Module):
    """``x + Conv1d(k1)(ReLU(Conv1d(k3, dilation)(ReLU(x))))`` on ``(B, W, T)``."""

    def __init__(self, width: int, dilation: int = 1):
        super().__init__()
        self.act1 = nn.ReLU()
        self.conv1 = nn.Conv1d(width, width, 3, 1, padding=dilation, dilation=dilation)
        self.act2 = nn.ReLU()
        self.conv2 = nn.Conv1d(width, width, 1, 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act2(self.conv1(self.act1(x))))


class Resnet1D(nn.Module):
    """``depth`` dilated residual blocks; dilations ``growth**i``, largest first when ``reverse_dilation``."""

    def __init__(self, width: int, depth: int = 3, dilation_growth_rate: int = 3, reverse_dilation: bool = True):
        super().__init__()
        dilations = [dilation_growth_rate**i for i in range(depth)]
        if reverse_dilation:
            dilations = dilations[::-1]
        self.dilations = tuple(dilations)
        self.model = nn.Sequential(*[ResConv1DBlock(width, d) for d in dilations])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def _check_depth(depth: int, width: int, res_depth: int, dim: int | None = None, code_dim: int | None = None,
                 dilation_growth_rate: int = 1) -> None:
    if depth < 0 or width < 1 or res_depth < 0:
        raise ValueError(f"invalid conv sizes: depth={depth} (>= 0), width={width} (>= 1), res_depth={res_depth} (>= 0)")
    for name, v in (("in/out dim", dim), ("code_dim", code_dim)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name}={v!r}: use a positive number of channels")
    if isinstance(dilation_growth_rate, bool) or not isinstance(dilation_growth_rate, int) or dilation_growth_rate < 1:
        raise ValueError(f"dilation_growth_rate={dilation_growth_rate!r}: use a positive integer (3 -> dilations 9, 3, 1)")


class Encoder(nn.Module):
    """``(B, T, in_dim) -> (B, T / 2**depth, code_dim)``; ``T`` should be a multiple of ``2**depth``.

    Args:
        in_dim: features per frame (e.g. 43 for SOKE's body part).
        code_dim: latent channels ``C`` (SOKE 512; M3T = number of FSQ levels).
        width: hidden channels (SOKE 512, M3T 1024).
        depth: number of stride-2 down blocks (2 -> 4x temporal downsampling).
        res_depth: residual blocks per Resnet1D (SOKE 3, M3T 6).
        dilation_growth_rate: dilation base (3 -> 9, 3, 1).
    """

    def __init__(self, in_dim: int, code_dim: int = 512, width: int = 512, depth: int = 2,
                 res_depth: int = 3, dilation_growth_rate: int = 3):
        super().__init__()
        _check_depth(depth, width, res_depth, in_dim, code_dim, dilation_growth_rate)
        self.in_dim, self.code_dim, self.depth = in_dim, code_dim, depth
        blocks: list[nn.Module] = [nn.Conv1d(in_dim, width, 3, 1, 1), nn.ReLU()]
        for _ in range(depth):
            blocks.append(nn.Sequential(
                nn.Conv1d(width, width, 4, 2, 1),
                Resnet1D(width, res_depth, dilation_growth_rate, reverse_dilation=True),
            ))
        blocks.append(nn.Conv1d(width, code_dim, 3, 1, 1))
        self.model = nn.Sequential(*blocks)

    @property
    def downsample(self) -> int:
        return 2**self.depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.transpose(1, 2)).transpose(1, 2)


class Decoder(nn.Module):
    """``(B, T', code_dim) -> (B, T' * 2**depth, out_dim)``, the mirror of :class:`Encoder`.

    ``reverse_dilation=True`` (dilations 9, 3, 1 as in the T2M-GPT / SOKE code);
    pass ``False`` for 1, 3, 9 (M3T's wording "reversed dilation").
    """

    def __init__(self, out_dim: int, code_dim: int = 512, width: int = 512, depth: int = 2,
                 res_depth: int = 3, dilation_growth_rate: int = 3, reverse_dilation: bool = True):
        super().__init__()
        _check_depth(depth, width, res_depth)
        self.out_dim, self.code_dim, self.depth = out_dim, code_dim, depth
        blocks: list[nn.Module] = [nn.Conv1d(code_dim, width, 3, 1, 1), nn.ReLU()]
        for _ in range(depth):
            blocks.append(nn.Sequential(
                Resnet1D(width, res_depth, dilation_growth_rate, reverse_dilation=reverse_dilation),
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv1d(width, width, 3, 1, 1),
            ))
        blocks += [nn.Conv1d(width, width, 3, 1, 1), nn.ReLU(), nn.Conv1d(width, out_dim, 3, 1, 1)]
        self.model = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(z.transpose(1, 2)).transpose(1, 2)
