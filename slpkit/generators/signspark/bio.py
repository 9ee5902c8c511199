"""Per-frame BIO sign segments <-> spans, and a decoder that never emits an invalid span.

SignSparK (Fig. 2a) tags every frame with one of three labels, the same codes as SynthSign's
``Sentence.bio`` and the SignSparK npz ``labels``:

====  =========  ===================================
code  name       meaning
====  =========  ===================================
0     ``O``      outside any sign (rest, transition)
2     ``B``      first frame of a sign
1     ``I``      inside a sign (after its first frame)
====  =========  ===================================

A span is ``(start, end_exclusive)`` with ``0 <= start < end <= T``; spans are sorted and disjoint.

- :func:`spans_to_bio` / :func:`bio_to_spans` convert both ways (``bio_to_spans`` reads any tag
  sequence the way :func:`slpkit.data.formats.signspark.keyframes` does: an ``I`` after ``O`` opens a
  sign, so imperfect network tags still give valid spans);
- :func:`decode_bio` turns per-frame class scores ``(T, 3)`` into the most probable tag sequence
  that obeys the grammar ``O -> {O, B}``, ``B -> I``, ``I -> {I, O, B}`` (constrained Viterbi),
  so every decoded span starts with ``B``, lasts at least ``min_len`` frames and is valid;
- :func:`span_keyframes` gives the keyframes of spans (onset, middle, offset; Fig. 2b), reusing
  :func:`slpkit.data.formats.signspark.keyframes`.

    >>> tags = spans_to_bio([(1, 4), (6, 8)], 9)
    >>> tags.tolist()
    [0, 2, 1, 1, 0, 0, 2, 1, 0]
    >>> bio_to_spans(tags)
    [(1, 4), (6, 8)]
    >>> span_keyframes([(1, 4), (6, 8)], 9).tolist()
    [1, 2, 3, 6, 7]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from slpkit.data.formats.signspark import LABEL_INSIDE, LABEL_OUTSIDE, LABEL_START, keyframes, label_spans

__all__ = ["OUTSIDE", "INSIDE", "START", "TAG_NAMES", "spans_to_bio", "bio_to_spans", "decode_bio", "check_spans",
           "span_keyframes"]

OUTSIDE, INSIDE, START = LABEL_OUTSIDE, LABEL_INSIDE, LABEL_START
#: class index -> name, in code order (0, 1, 2)
TAG_NAMES = ("O", "I", "B")


def check_spans(spans: Sequence[Sequence[int]], num_frames: int, name: str = "spans") -> list[tuple[int, int]]:
    """``[(start, end_exclusive), ...]`` as ints; ``ValueError`` naming the first bad span.

    Valid: ``0 <= start < end <= num_frames``, sorted by start, not overlapping. Extra items of a span
    (e.g. the gloss of ``Sentence.spans``) are ignored.
    """
    T = int(num_frames)
    out: list[tuple[int, int]] = []
    prev_end = 0
    for k, sp in enumerate(spans):
        if len(sp) < 2:
            raise ValueError(f"{name}[{k}]={sp!r}: a span is (start, end_exclusive[, gloss])")
        s, e = int(sp[0]), int(sp[1])
        if not 0 <= s < e <= T:
            raise ValueError(f"{name}[{k}]=({s}, {e}) is outside the sequence of {T} frames or empty: "
                             f"need 0 <= start < end <= {T}")
        if s < prev_end:
            raise ValueError(f"{name}[{k}]=({s}, {e}) starts before the previous span ends ({prev_end}): "
                             "sort the spans by start and make them disjoint")
        out.append((s, e))
        prev_end = e
    return out


def spans_to_bio(spans: Sequence[Sequence[int]], num_frames: int) -> np.ndarray:
    """``(T,) int8`` tags: ``B`` at each span start, ``I`` on the rest of the span, ``O`` elsewhere."""
    tags = np.full(int(num_frames), OUTSIDE, dtype=np.int8)
    for s, e in check_spans(spans, num_frames):
        tags[s] = START
        tags[s + 1:e] = INSIDE
    return tags


def bio_to_spans(tags: Sequence[int] | np.ndarray) -> list[tuple[int, int]]:
    """Spans of a tag sequence: a sign starts at ``B`` (or at an ``I`` that follows ``O`` / the first frame)
    and runs over the following ``I`` frames. Any input gives valid, sorted, disjoint spans
    (:func:`slpkit.data.formats.signspark.label_spans`, the reading :func:`keyframes` uses)."""
    return [(int(a), int(b)) for a, b in label_spans(np.asarray(tags))]


def decode_bio(scores: np.ndarray | torch.Tensor, min_len: int = 2, log_probs: bool = True) -> np.ndarray:
    """Most probable valid tag sequence of per-frame scores ``(T, 3)`` (class order O, I, B = codes 0, 1, 2).

    Constrained Viterbi over ``min_len + 1`` states (``O``, ``B``, ``I_1`` ... ``I_{min_len-1}`` counting the
    frames since the start, and ``I`` = long enough): ``O -> {O, B}``, ``B -> I``, a sign may only end or be
    followed by a new ``B`` once it has ``min_len`` frames. ``scores`` are log-probabilities (``log_probs=True``)
    or probabilities. A sequence shorter than ``min_len`` comes back all ``O``.

        >>> p = np.array([[.9, .05, .05], [.1, .8, .1], [.1, .8, .1], [.9, .05, .05]])   # argmax: O I I O
        >>> decode_bio(p, min_len=2, log_probs=False).tolist()   # the I after O becomes a valid B
        [0, 2, 1, 0]
    """
    s = scores.detach().cpu().double().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores, np.float64)
    if s.ndim != 2 or s.shape[1] != 3:
        raise ValueError(f"scores has shape {s.shape}: pass (T, 3) per-frame scores of the classes O, I, B")
    if int(min_len) < 1:
        raise ValueError(f"min_len={min_len}: use 1 or more frames per sign")
    if not log_probs:
        s = np.log(np.clip(s, 1e-12, None))
    T, m = s.shape[0], int(min_len)
    if T == 0:
        return np.zeros(0, np.int8)
    # states: 0 = O, 1 = B (sign has 1 frame), k = 2..n-1: I with k frames in the sign (state n-1: >= n-1 frames)
    n = max(m, 2) + 1
    emit_cls = np.array([OUTSIDE, START] + [INSIDE] * (n - 2))
    allowed = np.zeros((n, n), bool)  # allowed[prev, next]
    allowed[0, 0] = allowed[0, 1] = True
    for k in range(1, n - 1):
        allowed[k, k + 1] = True
    allowed[n - 1, n - 1] = True
    may_end = [1, n - 1] if m == 1 else [n - 1]  # states whose sign is long enough to end
    for k in may_end:
        allowed[k, 0] = allowed[k, 1] = True
    neg = -1e18
    trans = np.where(allowed, 0.0, neg)
    score = np.full(n, neg)
    score[0], score[1] = s[0, OUTSIDE], s[0, START]
    back = np.zeros((T, n), np.int64)
    for t in range(1, T):
        cand = score[:, None] + trans  # (prev, next)
        back[t] = cand.argmax(0)
        score = cand.max(0) + s[t, emit_cls]
    final_ok = np.zeros(n, bool)
    final_ok[[0] + may_end] = True
    score = np.where(final_ok, score, neg)
    state = int(score.argmax())
    path = np.empty(T, np.int64)
    for t in range(T - 1, -1, -1):
        path[t] = state
        state = int(back[t, state])
    return emit_cls[path].astype(np.int8)


def span_keyframes(spans: Sequence[Sequence[int]], num_frames: int) -> np.ndarray:
    """SignSparK keyframes (Fig. 2b) of ``spans``: onset, middle and offset frame of each, sorted, unique
    (``slpkit.data.formats.signspark.keyframes`` of their tags)."""
    return keyframes(spans_to_bio(spans, num_frames))
