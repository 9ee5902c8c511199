"""BIO tags <-> spans, valid-span decoding, keyframes of spans, segmentation metrics."""

import numpy as np
import pytest

from slpkit.data.formats.signspark import keyframes as keyframe_policy
from slpkit.generators.signspark.bio import bio_to_spans, check_spans, decode_bio, span_keyframes, spans_to_bio
from slpkit.metrics.segmentation import (boundary_errors, frame_f1, match_segments, segment_counts, segment_f1,
                                         segment_f1_statistic, segmentation_scores, segmentation_scores_from_spans,
                                         span_iou)


def _random_spans(rng, T):
    cuts = np.sort(rng.choice(np.arange(1, T), size=min(T - 1, 2 * int(rng.integers(1, 6))), replace=False))
    spans = [(int(a), int(b)) for a, b in zip(cuts[::2], cuts[1::2])]
    return [s for s in spans if s[1] > s[0]]


def test_bio_spans_bio_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(200):
        T = int(rng.integers(2, 60))
        spans = _random_spans(rng, T)
        tags = spans_to_bio(spans, T)
        assert bio_to_spans(tags) == spans
        assert np.array_equal(spans_to_bio(bio_to_spans(tags), T), tags)


def test_round_trip_on_corpus_tags(corpus):
    for s in corpus.sentences[:200]:
        spans = bio_to_spans(s.bio)
        assert spans == [(a, b) for a, b, _ in s.spans]
        assert np.array_equal(spans_to_bio(spans, s.num_frames), s.bio)


def test_reading_imperfect_tags_gives_valid_spans():
    assert bio_to_spans([1, 1, 0, 1, 2, 1, 2, 0]) == [(0, 2), (3, 4), (4, 6), (6, 7)]
    with pytest.raises(ValueError, match="use 0"):
        bio_to_spans([0, 3, 1])


def test_keyframes_of_a_span_are_onset_middle_offset():
    assert span_keyframes([(3, 10)], 12).tolist() == [3, 6, 9]
    assert span_keyframes([(3, 4)], 12).tolist() == [3]
    assert span_keyframes([(0, 2), (5, 12)], 12).tolist() == [0, 1, 5, 8, 11]
    rng = np.random.default_rng(1)
    for _ in range(50):
        T = int(rng.integers(5, 80))
        spans = _random_spans(rng, T)
        kf = span_keyframes(spans, T)
        want = sorted({f for a, b in spans for f in (a, (a + b - 1) // 2, b - 1)})
        assert kf.tolist() == want
        assert np.array_equal(kf, keyframe_policy(spans_to_bio(spans, T)))


def test_decoding_never_emits_an_invalid_span():
    rng = np.random.default_rng(2)
    for min_len in (1, 2, 4):
        for _ in range(100):
            T = int(rng.integers(1, 50))
            logp = np.log(rng.dirichlet([0.5, 0.5, 0.5], size=T))
            tags = decode_bio(logp, min_len=min_len)
            assert tags.shape == (T,) and set(np.unique(tags)) <= {0, 1, 2}
            spans = bio_to_spans(tags)
            check_spans(spans, T)
            for a, b in spans:
                assert tags[a] == 2 and (b - a) >= min_len and (tags[a + 1:b] == 1).all()
            assert not any(tags[t] == 1 and tags[t - 1] == 0 for t in range(1, T)) and (T == 0 or tags[0] != 1)


def test_decoding_is_the_argmax_when_that_is_valid():
    tags = np.array([0, 2, 1, 1, 0, 2, 1, 0])
    logp = np.log(np.full((8, 3), 0.05))
    logp[np.arange(8), tags] = np.log(0.9)
    assert np.array_equal(decode_bio(logp), tags)
    with pytest.raises(ValueError, match=r"\(T, 3\)"):
        decode_bio(np.zeros((4, 2)))


def test_check_spans_rejects_bad_spans():
    with pytest.raises(ValueError, match="outside the sequence"):
        check_spans([(3, 12)], 10)
    with pytest.raises(ValueError, match="sort the spans"):
        check_spans([(5, 8), (2, 4)], 10)
    with pytest.raises(ValueError, match="or empty"):
        check_spans([(4, 4)], 10)


def test_segment_matching_iou_and_f1():
    assert span_iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    ref = [(0, 10), (20, 30), (40, 50)]
    pred = [(1, 10), (20, 24), (41, 52), (60, 65)]
    m = match_segments(pred, ref, 0.5)
    assert [(i, j) for i, j, _ in m] == [(0, 0), (2, 2)]  # (20, 24) has IoU 0.4
    assert segment_counts([pred], [ref]).tolist() == [[2, 4, 3]]
    assert segment_f1([pred], [ref]) == pytest.approx(2 * 2 / 7)
    be = boundary_errors([pred], [ref])
    assert be["onset_error"] == pytest.approx(1.0) and be["offset_error"] == pytest.approx(1.0)
    assert be["boundary_error"] == pytest.approx(1.0) and be["matched"] == 2
    # one prediction covering two references matches at most one of them
    assert segment_counts([[(0, 30)]], [[(0, 14), (16, 30)]]).tolist() == [[0, 1, 2]]


def test_frame_f1_per_class_and_bootstrap_statistic():
    ref = [np.array([0, 2, 1, 1, 0, 0])]
    pred = [np.array([0, 0, 2, 1, 0, 0])]
    f = frame_f1(pred, ref)
    assert f["frame_f1_O"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 0))
    assert f["frame_f1_I"] == pytest.approx(2 * 1 / (2 + 0 + 1)) and f["frame_f1_B"] == 0.0
    s = segmentation_scores(pred, ref)
    assert s["segment_f1"] == pytest.approx(1.0)  # (2, 4) vs (1, 4): IoU 2/3
    assert s["onset_error"] == 1.0 and s["offset_error"] == 0.0
    counts = np.array([[1, 1, 1], [0, 2, 1], [3, 3, 4]])
    stat = segment_f1_statistic(counts)
    assert stat(np.arange(3)) == pytest.approx(2 * 4 / (6 + 6))
    assert stat(np.array([0, 0])) == 1.0
    r = segmentation_scores_from_spans([[(1, 4)]], [[(1, 4)]], [6])
    assert r["segment_f1"] == 1.0 and r["frame_f1_B"] == 1.0 and r["per_sentence"]["segment_f1"].tolist() == [1.0]
