"""Codebook usage statistics of a vector-quantised tokenizer.

SOKE's public code (from T2M-GPT) logs the perplexity ``exp(-sum_k p_k log p_k)`` of the
code distribution; utilisation is the share of codes used at least once (M3T Table 3,
"Codebook %"). ``docs/reference.md``, "VQ-VAE tokenizer". An ideal codebook of size K has perplexity K and 100 %
utilisation; a collapsed one has perplexity ~1.

Shapes: ``indices`` any integer array (e.g. ``(B, T')`` token ids), a torch tensor, or a
list of such arrays (variable lengths).

Tiny example::

    >>> from slpkit.metrics.codebook import codebook_stats
    >>> s = codebook_stats([0, 0, 1, 1], codebook_size=4)
    >>> s['utilisation'], round(s['perplexity'], 6)
    (50.0, 2.0)
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["codebook_stats"]


def _flatten(indices) -> np.ndarray:
    if isinstance(indices, torch.Tensor):
        return indices.detach().cpu().numpy().ravel()
    if isinstance(indices, np.ndarray):
        return indices.ravel()
    parts = [_flatten(x) if isinstance(x, (np.ndarray, torch.Tensor, list, tuple)) else np.asarray([x]) for x in indices]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def codebook_stats(indices, codebook_size: int) -> dict:
    """Utilisation (% of codes used), perplexity and per-code counts.

    Returns ``{'utilisation': float (0-100), 'perplexity': float, 'counts': np.ndarray (K,)}``.
    """
    if not isinstance(codebook_size, (int, np.integer)) or codebook_size < 1:
        raise ValueError(f"codebook_size must be a positive int, got {codebook_size!r}.")
    idx = _flatten(indices)
    if idx.size == 0:
        raise ValueError("codebook_stats got no indices: pass at least one code id.")
    if not np.issubdtype(idx.dtype, np.integer):
        if np.issubdtype(idx.dtype, np.floating) and np.isfinite(idx).all() and (idx == np.round(idx)).all():
            idx = idx.astype(np.int64)
        else:
            raise ValueError(f"code indices must be integers, got dtype {idx.dtype} (NaN/inf or fractional values?).")
    if idx.min() < 0 or idx.max() >= codebook_size:
        raise ValueError(
            f"code indices must lie in [0, {codebook_size}); got min {int(idx.min())}, max {int(idx.max())}. "
            "Strip special tokens (BOS/EOS/PAD) before computing codebook statistics."
        )
    counts = np.bincount(idx.astype(np.int64), minlength=codebook_size)
    p = counts / counts.sum()
    nz = p[p > 0]
    perplexity = float(np.exp(-(nz * np.log(nz)).sum()))
    return {
        "utilisation": float(100.0 * (counts > 0).sum() / codebook_size),
        "perplexity": perplexity,
        "counts": counts,
    }
