"""One length-bucketed batch sampler for every stage, DDP-aware and resumable.

Variable-length sequences padded to the longest item of a batch waste compute on padding
(Sign Language Transformers, joeynmt and fairseq batch by length for this reason). Each epoch:

1. shuffle the items with a numpy RNG seeded by ``(seed, epoch)``;
2. cut the order into pools of ``bucket * batch_size`` items and sort each pool by length;
3. cut each pool into batches of ``batch_size`` and shuffle the batches.

The order is a pure function of ``(seed, epoch)`` (set by :meth:`set_epoch`; slpkit's
:func:`slpkit.training.fit` calls it at every epoch start), so a run resumed from an epoch
checkpoint sees the same batches as an uninterrupted one.

Under DDP (``torch.distributed`` initialised) every rank builds the same batches and takes
the slice ``batch[rank::world]``, so ``batch_size`` stays the *global* batch; batches with
fewer items than ranks are dropped on every rank (equal step counts keep DDP in lockstep).
Use it as ``DataLoader(ds, batch_sampler=sampler)``; ``fit`` then turns off Lightning's
``use_distributed_sampler`` so Lightning does not wrap it.

    >>> s = BucketBatchSampler([5, 1, 4, 2, 3, 6], batch_size=2, bucket=3, seed=0)
    >>> sorted(i for b in s for i in b)
    [0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np
import torch

from slpkit.checks import check_int

__all__ = ["BucketBatchSampler", "rank_world"]


def rank_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the initialised process group, ``(0, 1)`` without one."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class BucketBatchSampler(torch.utils.data.Sampler):
    """Batches of similar length; ``lengths[i]`` is the length of item ``i`` (any unit).

    ``bucket=1`` gives plain shuffled batches; ``shuffle=False`` keeps the given order
    (evaluation), still cut into batches.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, bucket: int = 8, seed: int = 0, shuffle: bool = True,
                 drop_last: bool = False):
        batch_size = check_int(batch_size, "batch_size", min=1, hint="items per batch")
        bucket = check_int(bucket, "bucket", min=1, hint="1 (no bucketing) or more batches per sorted pool")
        if isinstance(lengths, (str, bytes, dict)) or not hasattr(lengths, "__len__"):
            raise ValueError(f"lengths={type(lengths).__name__}: pass one length per item (a list of numbers)")
        if len(lengths) == 0:
            raise ValueError("lengths is empty: the dataset has no items to batch")
        arr = np.asarray(lengths)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all() or (arr < 0).any():
            raise ValueError(f"lengths (shape {arr.shape}, dtype {arr.dtype}) must be one finite, non-negative length "
                             "per item")
        check_int(seed, "seed", min=0)
        self.lengths = arr
        self.batch_size, self.bucket, self.seed = int(batch_size), int(bucket), int(seed)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def batches(self) -> list[list[int]]:
        """All batches of the current epoch (global, before the per-rank split)."""
        n, bs = len(self.lengths), self.batch_size
        if not self.shuffle:
            order = np.arange(n)
            out = [order[i: i + bs].tolist() for i in range(0, n, bs)]
        else:
            rng = np.random.default_rng([self.seed, self.epoch])
            order = rng.permutation(n)
            pool = bs * self.bucket
            out = []
            for i in range(0, n, pool):
                part = order[i: i + pool]
                part = part[np.argsort(self.lengths[part], kind="stable")]
                out += [part[j: j + bs].tolist() for j in range(0, len(part), bs)]
            out = [out[k] for k in rng.permutation(len(out))]
        if self.drop_last:
            out = [b for b in out if len(b) == bs]
        return out

    def __iter__(self) -> Iterator[list[int]]:
        rank, world = rank_world()
        for b in self.batches():
            if world == 1:
                yield b
            elif len(b) >= world:
                yield b[rank::world]

    def __len__(self) -> int:
        rank, world = rank_world()
        if world == 1 and not self.drop_last:
            return math.ceil(len(self.lengths) / self.batch_size)
        return sum(len(b) >= world for b in self.batches())
