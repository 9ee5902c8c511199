"""Sinusoidal positional encoding (Vaswani et al. 2017, Sec. 3.5), shared by slpkit's transformers.

``PE[t, 2i] = sin(t / 10000^(2i/d))``, ``PE[t, 2i+1] = cos(t / 10000^(2i/d))``.

    >>> sinusoidal_encoding(4, 6).shape
    torch.Size([4, 6])
"""

from __future__ import annotations

import math

import torch


def sinusoidal_encoding(length: int, dim: int) -> torch.Tensor:
    """``(length, dim)`` float32 table; odd ``dim`` drops the last cosine column."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, : dim // 2]
    return pe
