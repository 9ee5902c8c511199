"""Sign segmentation metrics: per-class frame F1, segment F1 at an IoU threshold, boundary error.

The conventions of the sign segmentation literature (Moryossef et al. 2023, "Linguistically
Motivated Sign Language Segmentation", Findings of EMNLP; used for SignSparK's FAST, Fig. 2a):

- **frame F1 per class**: every frame carries a tag ``O`` (0, outside), ``I`` (1, inside) or ``B``
  (2, sign start); precision / recall / F1 of each class over all frames of the test set (pooled),
  and their unweighted mean (``frame_f1_macro``). ``B`` is the hard class: one frame per sign.
- **segment F1 at IoU 0.5**: predicted and reference spans ``(start, end_exclusive)`` are matched
  one-to-one, greedily by decreasing temporal IoU; a pair with IoU >= 0.5 is a true positive.
  ``F1 = 2 TP / (#pred + #ref)`` pooled over the test set (with IoU > 0.5 each reference span can
  match at most one prediction anyway, so the greedy matching is the optimal one).
- **mean boundary error** (frames): over the matched pairs, the mean of ``|start_p - start_r|`` and
  ``|end_p - end_r|`` (onset and offset error, both reported); NaN when nothing matched. Read it with
  the segment F1: it is measured on the segments that were found.

Per-sentence counts (:func:`segment_counts`) feed :func:`segment_f1_statistic`, a callable for
:func:`slpkit.metrics.bootstrap.ordering` that recomputes the pooled F1 of any resample of sentences.

    >>> ref = [[(2, 6), (9, 12)]]
    >>> pred = [[(2, 5), (10, 12)]]
    >>> s = segmentation_scores_from_spans(pred, ref, [14])
    >>> round(s["segment_f1"], 3), s["boundary_error"]
    (1.0, 0.5)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from slpkit.data.formats.signspark import label_spans

__all__ = ["CLASS_NAMES", "span_iou", "match_segments", "segment_counts", "segment_f1", "segment_f1_statistic",
           "frame_counts", "frame_f1", "boundary_errors", "segmentation_scores", "segmentation_scores_from_spans",
           "tags_from_spans"]

#: tag code -> name (SynthSign / SignSparK: 0 outside, 1 inside, 2 sign start)
CLASS_NAMES = {0: "O", 1: "I", 2: "B"}


def _span(s, name: str = "span") -> tuple[int, int]:
    """``(start, end_exclusive)`` as ints; ``ValueError`` unless it is two integers with ``0 <= start < end``."""
    if isinstance(s, (str, bytes)) or not hasattr(s, "__len__") or len(s) != 2:
        raise ValueError(f"{name}={s!r}: a span is (start, end_exclusive), two frame indices")
    a, b = s
    for v in (a, b):
        if isinstance(v, (bool, np.bool_)) or not (isinstance(v, (int, np.integer))
                                                   or (isinstance(v, (float, np.floating)) and float(v).is_integer())):
            raise ValueError(f"{name}={tuple(s)!r}: span ends must be integer frame indices")
    a, b = int(a), int(b)
    if not 0 <= a < b:
        raise ValueError(f"{name}=({a}, {b}): use 0 <= start < end (end exclusive, at least one frame)")
    return a, b


def _spans(spans: Sequence[Sequence[int]], name: str = "spans") -> list[tuple[int, int]]:
    if isinstance(spans, (str, bytes)) or not hasattr(spans, "__iter__"):
        raise ValueError(f"{name}={spans!r}: pass a list of (start, end_exclusive) spans")
    return [_span(s, f"{name}[{i}]") for i, s in enumerate(spans)]


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def span_iou(a: Sequence[int], b: Sequence[int]) -> float:
    """Temporal IoU of two spans ``(start, end_exclusive)``."""
    a, b = _span(a, "a"), _span(b, "b")
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def match_segments(pred: Sequence[Sequence[int]], ref: Sequence[Sequence[int]], iou: float = 0.5
                   ) -> list[tuple[int, int, float]]:
    """One-to-one matches ``(i_pred, i_ref, iou)`` with IoU >= ``iou``, greedy by decreasing IoU."""
    if not 0.0 < float(iou) <= 1.0:
        raise ValueError(f"iou={iou}: use a threshold in (0, 1], e.g. 0.5")
    P, R = _spans(pred, "pred"), _spans(ref, "ref")
    pairs = [(_iou(p, r), i, j) for i, p in enumerate(P) for j, r in enumerate(R)]
    pairs = sorted((x for x in pairs if x[0] >= iou and x[0] > 0), key=lambda x: (-x[0], x[1], x[2]))
    used_p, used_r, out = set(), set(), []
    for v, i, j in pairs:
        if i not in used_p and j not in used_r:
            used_p.add(i)
            used_r.add(j)
            out.append((i, j, v))
    return sorted(out, key=lambda x: x[1])


def segment_counts(pred: Sequence[Sequence[Sequence[int]]], ref: Sequence[Sequence[Sequence[int]]],
                   iou: float = 0.5) -> np.ndarray:
    """``(N, 3)`` int array of ``(true positives, #predicted, #reference)`` per sentence."""
    if len(pred) != len(ref):
        raise ValueError(f"{len(pred)} predicted span lists but {len(ref)} reference lists: pass one per sentence")
    return np.array([[len(match_segments(p, r, iou)), len(p), len(r)] for p, r in zip(pred, ref)],
                    dtype=np.int64).reshape(-1, 3)


def _f1_from_counts(c: np.ndarray) -> float:
    tp, n_p, n_r = c.sum(0)
    return float(2 * tp / (n_p + n_r)) if n_p + n_r > 0 else 1.0


def segment_f1(pred: Sequence[Sequence[Sequence[int]]], ref: Sequence[Sequence[Sequence[int]]],
               iou: float = 0.5) -> float:
    """Pooled segment F1 at ``iou`` over sentences (1.0 when neither side has a segment)."""
    return _f1_from_counts(segment_counts(pred, ref, iou))


def segment_f1_statistic(counts: np.ndarray) -> Callable[[np.ndarray], float]:
    """``f(indices) -> pooled segment F1`` of a resample of sentences (for the paired bootstrap)."""
    c = np.asarray(counts, dtype=np.int64)
    if c.ndim != 2 or c.shape[1] != 3:
        raise ValueError(f"counts has shape {c.shape}: pass segment_counts(...) output, (N, 3)")
    return lambda idx: _f1_from_counts(c[np.asarray(idx)])


def boundary_errors(pred: Sequence[Sequence[Sequence[int]]], ref: Sequence[Sequence[Sequence[int]]],
                    iou: float = 0.5) -> dict[str, float]:
    """Mean onset / offset / overall boundary error in frames over the pairs matched at ``iou``."""
    if len(pred) != len(ref):
        raise ValueError(f"{len(pred)} predicted span lists but {len(ref)} reference lists: pass one per sentence")
    on, off = [], []
    for p, r in zip(pred, ref):
        P, R = _spans(p), _spans(r)
        for i, j, _ in match_segments(P, R, iou):
            on.append(abs(P[i][0] - R[j][0]))
            off.append(abs(P[i][1] - R[j][1]))
    if not on:
        return {"onset_error": float("nan"), "offset_error": float("nan"), "boundary_error": float("nan"), "matched": 0}
    return {"onset_error": float(np.mean(on)), "offset_error": float(np.mean(off)),
            "boundary_error": float(np.mean(on + off)), "matched": len(on)}


def frame_counts(pred_tags: Sequence[int] | np.ndarray, ref_tags: Sequence[int] | np.ndarray) -> np.ndarray:
    """``(3, 3)`` counts ``[class, (tp, fp, fn)]`` of one sentence (classes 0 O, 1 I, 2 B)."""
    p, r = np.asarray(pred_tags).reshape(-1), np.asarray(ref_tags).reshape(-1)
    if p.shape != r.shape:
        raise ValueError(f"predicted tags have {p.size} frames but the reference has {r.size}: tag every frame")
    for name, t in (("pred_tags", p), ("ref_tags", r)):
        bad = ~np.isin(t, (0, 1, 2))
        if bad.any():
            raise ValueError(f"{name} hold {t[bad][:3].tolist()} at frames {np.nonzero(bad)[0][:3].tolist()}: "
                             "use 0 (outside), 1 (inside) or 2 (sign start)")
    out = np.zeros((3, 3), np.int64)
    for c in range(3):
        out[c] = [np.sum((p == c) & (r == c)), np.sum((p == c) & (r != c)), np.sum((p != c) & (r == c))]
    return out


def _f1(tp: float, fp: float, fn: float) -> float:
    return float(2 * tp / (2 * tp + fp + fn)) if (2 * tp + fp + fn) > 0 else 1.0


def frame_f1(pred_tags: Sequence[np.ndarray], ref_tags: Sequence[np.ndarray]) -> dict[str, float]:
    """Pooled per-class frame F1 ``frame_f1_O``, ``frame_f1_I``, ``frame_f1_B`` and their mean ``frame_f1_macro``."""
    if len(pred_tags) != len(ref_tags):
        raise ValueError(f"{len(pred_tags)} predicted tag sequences but {len(ref_tags)} references")
    tot = sum((frame_counts(p, r) for p, r in zip(pred_tags, ref_tags)), np.zeros((3, 3), np.int64))
    out = {f"frame_f1_{CLASS_NAMES[c]}": _f1(*tot[c]) for c in range(3)}
    out["frame_f1_macro"] = float(np.mean([out[f"frame_f1_{n}"] for n in ("O", "I", "B")]))
    return out


def tags_from_spans(spans: Sequence[Sequence[int]], num_frames: int) -> np.ndarray:
    """``(T,)`` tags of spans (``B`` at the start, ``I`` inside, ``O`` elsewhere).

    Spans must be sorted, disjoint and inside ``[0, num_frames)``; anything else raises ``ValueError``
    (tags cannot express overlapping spans, and numpy would silently clip one past the end).
    """
    if isinstance(num_frames, (bool, np.bool_)) or not isinstance(num_frames, (int, np.integer)) or num_frames < 0:
        raise ValueError(f"num_frames={num_frames!r}: use the clip's number of frames (a non-negative integer)")
    tags = np.zeros(int(num_frames), np.int8)
    prev = 0
    for i, (s, e) in enumerate(_spans(spans)):
        if e > num_frames:
            raise ValueError(f"spans[{i}]=({s}, {e}) ends after the clip's {num_frames} frames")
        if s < prev:
            raise ValueError(f"spans[{i}]=({s}, {e}) overlaps or precedes the span before it (ending at {prev}): "
                             "pass sorted, disjoint spans")
        prev = e
        tags[s] = 2
        tags[s + 1:e] = 1
    return tags


def segmentation_scores(pred_tags: Sequence[np.ndarray], ref_tags: Sequence[np.ndarray],
                        pred_spans: Sequence[Sequence[Sequence[int]]] | None = None,
                        ref_spans: Sequence[Sequence[Sequence[int]]] | None = None, iou: float = 0.5) -> dict[str, Any]:
    """All segmentation metrics of a test set.

    Spans default to the tags' spans (:func:`slpkit.data.formats.signspark.label_spans`, which
    :func:`slpkit.generators.signspark.bio.bio_to_spans` also follows).
    Returns the frame F1s, ``segment_f1``, ``onset_error`` / ``offset_error`` / ``boundary_error`` (frames),
    ``matched``, ``n`` and ``per_sentence``: ``{'segment_counts': (N, 3), 'segment_f1': (N,), 'onset_error': (N,),
    'boundary_error': (N,)}`` (the errors NaN for a sentence without a matched segment).
    """
    pred_tags, ref_tags = list(pred_tags), list(ref_tags)
    if not ref_tags:
        raise ValueError("no sentences to score: pass at least one tag sequence")
    P = [label_spans(t) for t in pred_tags] if pred_spans is None else list(pred_spans)
    R = [label_spans(t) for t in ref_tags] if ref_spans is None else list(ref_spans)
    out: dict[str, Any] = frame_f1(pred_tags, ref_tags)
    counts = segment_counts(P, R, iou)
    out["segment_f1"] = _f1_from_counts(counts)
    out.update(boundary_errors(P, R, iou))
    out["n"] = len(ref_tags)
    per = [boundary_errors([p], [r], iou) for p, r in zip(P, R)]
    out["per_sentence"] = {"segment_counts": counts,
                           "segment_f1": np.array([_f1_from_counts(c[None]) for c in counts], np.float64),
                           "onset_error": np.array([b["onset_error"] for b in per], np.float64),
                           "boundary_error": np.array([b["boundary_error"] for b in per], np.float64)}
    return out


def segmentation_scores_from_spans(pred_spans: Sequence[Sequence[Sequence[int]]],
                                   ref_spans: Sequence[Sequence[Sequence[int]]], num_frames: Sequence[int],
                                   iou: float = 0.5) -> dict[str, Any]:
    """:func:`segmentation_scores` of span lists (tags derived from the spans and ``num_frames``)."""
    if not (len(pred_spans) == len(ref_spans) == len(num_frames)):
        raise ValueError(f"{len(pred_spans)} predicted span lists, {len(ref_spans)} reference lists and "
                         f"{len(num_frames)} frame counts: pass one of each per sentence")
    pt = [tags_from_spans(p, T) for p, T in zip(pred_spans, num_frames)]
    rt = [tags_from_spans(r, T) for r, T in zip(ref_spans, num_frames)]
    return segmentation_scores(pt, rt, pred_spans, ref_spans, iou)
