"""SignSparK's keyframes (Fig. 2b) as conditioning: validation, masks, values.

The policy itself (onset, middle and offset frame of every sign segment) is
:func:`slpkit.data.formats.signspark.keyframes`; :func:`slpkit.generators.signspark.bio.span_keyframes`
applies it to spans. This module checks keyframe indices given by a user and turns them into the
``(T,)`` mask and ``(K, D)`` values the flow model reads.

    >>> check_keyframes([0, 4, 9], 10).tolist()
    [0, 4, 9]
    >>> keyframe_mask([0, 4, 9], 10).nonzero()[0].tolist()
    [0, 4, 9]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from slpkit.data.formats.signspark import keyframes as keyframe_policy

__all__ = ["keyframe_policy", "check_keyframes", "keyframe_mask", "sentence_keyframes"]


def check_keyframes(indices: Sequence[int] | np.ndarray, num_frames: int, name: str = "keyframes",
                    allow_empty: bool = False) -> np.ndarray:
    """``(K,) int64`` keyframe frame indices; ``ValueError`` naming the problem and what to do.

    Valid: integers, strictly increasing (sorted, no repeats), in ``[0, num_frames)``; at least one unless
    ``allow_empty``.
    """
    T = int(num_frames)
    a = np.asarray(indices)
    if a.ndim != 1:
        raise ValueError(f"{name} has shape {a.shape}: pass a 1-D list of frame indices")
    if a.size and not (np.issubdtype(a.dtype, np.integer) or np.all(np.mod(a, 1) == 0)):
        raise ValueError(f"{name}={a.tolist()[:6]} holds non-integer frame indices: pass integer frames")
    a = a.astype(np.int64)
    if a.size == 0:
        if allow_empty:
            return a
        raise ValueError(f"{name} is empty: pass at least one keyframe index (or use text-only generation)")
    if T < 1:
        raise ValueError(f"num_frames={T}: a sequence needs at least one frame")
    if a.min() < 0:
        raise ValueError(f"{name} index {int(a.min())} is out of range (negative): use frame indices in [0, {T - 1}]")
    if a.max() >= T:
        raise ValueError(f"{name} index {int(a.max())} is out of range for a sequence of {T} frames: the sequence is "
                         f"shorter than its keyframes; use a length >= {int(a.max()) + 1} or keyframes in [0, {T - 1}]")
    d = np.diff(a)
    if (d <= 0).any():
        k = int(np.nonzero(d <= 0)[0][0]) + 1
        raise ValueError(f"{name} are not sorted: index {int(a[k])} at position {k} follows {int(a[k - 1])}; "
                         "pass strictly increasing frame indices (e.g. np.unique(keyframes))")
    return a


def keyframe_mask(indices: Sequence[int] | np.ndarray, num_frames: int) -> np.ndarray:
    """``(T,) bool``: True at the keyframes."""
    m = np.zeros(int(num_frames), bool)
    m[check_keyframes(indices, num_frames, allow_empty=True)] = True
    return m


def sentence_keyframes(sentence: Any) -> np.ndarray:
    """Keyframes of a corpus sentence's reference segments (its ``bio`` tags)."""
    return keyframe_policy(np.asarray(sentence.bio))
