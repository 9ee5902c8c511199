"""Wall-clock latency of a callable (e.g. a generator's ``generate``), with warm-up.

Reference: DARSLP / SOKE report per-sentence generation time; non-autoregressive
decoding is the point of DARSLP. Timing uses :func:`time.perf_counter`; with
``sync_cuda`` (default) CUDA is synchronised before and after each call so that
asynchronous kernels are counted.

Tiny example::

    >>> from slpkit.metrics.latency import measure_latency
    >>> r = measure_latency(sum, [1, 2, 3], repeats=5, warmup=1)
    >>> sorted(r)[:3]
    ['max_s', 'mean_s', 'median_s']
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

__all__ = ["measure_latency"]


def _sync(enabled: bool) -> None:
    if enabled and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def measure_latency(fn: Callable, *args, repeats: int = 20, warmup: int = 3, sync_cuda: bool = True, **kwargs) -> dict:
    """Call ``fn(*args, **kwargs)`` ``warmup`` times untimed, then ``repeats`` times timed.

    Returns ``{'mean_s', 'std_s', 'median_s', 'min_s', 'max_s', 'p90_s', 'repeats',
    'warmup', 'times_s' (list)}``; ``std_s`` is the population standard deviation.
    """
    if not callable(fn):
        raise ValueError(f"measure_latency needs a callable, got {type(fn).__name__}.")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}.")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}.")
    for _ in range(warmup):
        fn(*args, **kwargs)
    times = []
    for _ in range(repeats):
        _sync(sync_cuda)
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        _sync(sync_cuda)
        times.append(time.perf_counter() - t0)
    t = np.asarray(times)
    return {
        "mean_s": float(t.mean()),
        "std_s": float(t.std()),
        "median_s": float(np.median(t)),
        "min_s": float(t.min()),
        "max_s": float(t.max()),
        "p90_s": float(np.percentile(t, 90)),
        "repeats": repeats,
        "warmup": warmup,
        "times_s": times,
    }
