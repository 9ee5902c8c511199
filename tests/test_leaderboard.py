"""The leaderboard (notebook 10): every system scored the same way, with intervals; the learning checks."""

import numpy as np
import pytest

from slpkit.eval.leaderboard import (METRICS, Entry, learning_orderings, leaderboard_table, mje_sentences,
                                     reference_keypoints, score_entries)
from slpkit.eval.systems import count_parameters, make_entry, pose_system

# one worker runs this module, so its module-scoped fixtures are built once (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_leaderboard")


@pytest.fixture(scope="module")
def sentences(corpus):
    return corpus.split("test")[:8]


@pytest.fixture(scope="module")
def entries(corpus, sentences):
    mean = np.mean(np.concatenate([s.v133 for s in corpus.split("train")[:50]]), 0, keepdims=True)
    still = lambda s: (np.repeat(mean, s.num_frames, 0), None)
    # ground truth with a small constant offset: close to the reference but not equal to it
    nudged = lambda s: (s.v133 + np.float32(0.02), s.face108)
    return [make_entry("ground truth", "reference", pose_system(lambda s: (s.v133, s.face108)), sentences, timed=False),
            make_entry("mean pose", "text-blind", pose_system(still), sentences, timed=False),
            make_entry("nudged", "test", pose_system(nudged), sentences, params=7, timed=True,
                       latency_sentences=1, throughput_batch=2)]


def test_scores_have_intervals_and_ground_truth_is_exact(entries, sentences):
    scores = {s["name"]: s for s in score_entries(entries, sentences, n_resamples=200)}
    gt, mp, nudged = scores["ground truth"], scores["mean pose"], scores["nudged"]
    for key in ("dtw_mje", "dtw_pt", "dtw_jpe_body", "dtw_jpe_hand"):
        assert gt[key][0] == pytest.approx(0.0, abs=1e-9), key
        for row in (mp, nudged):
            value, lo, hi = row[key]
            assert lo <= value <= hi and value > 0, (key, row[key])
        assert nudged[key][0] < mp[key][0], key                      # a near copy beats the still mean pose
    assert gt["hand_var_ratio"][0] == pytest.approx(1.0)
    assert mp["hand_var_ratio"][0] < 1e-6                           # a still pose does not move
    assert nudged["latency_b1_s"] > 0 and nudged["throughput_b32"] > 0 and nudged["params"] == 7
    assert "bleu4" not in gt                                        # no back-translator, no text columns
    table = leaderboard_table(list(scores.values()))
    assert len(table["rows"]) == 3 and len(table["columns"]) > len(METRICS)


def test_mje_per_sentence_pools_to_the_table_value(entries, sentences):
    err, count = mje_sentences(entries[1], sentences, reference_keypoints(sentences))
    assert err.shape == count.shape == (len(sentences),) and (count > 0).all()
    pooled = score_entries(entries[1:2], sentences, n_resamples=100)[0]["dtw_mje"][0]
    assert pooled == pytest.approx(float((err * count).sum() / count.sum()), rel=1e-6)


def test_learning_orderings_judge_each_system_against_the_baseline(entries, sentences):
    stats = {}
    score_entries(entries, sentences, n_resamples=100, statistics=stats)
    assert set(stats) == {"ground truth", "mean pose", "nudged"} and set(stats["nudged"]) == {"dtw_mje"}
    out = learning_orderings(stats, len(sentences), baseline="mean pose", reference="ground truth", seed=0)
    assert [o.a for o in out] == ["nudged"]                         # baseline and reference are not judged
    assert out[0].verdict == "holds" and out[0].lo > 0 and out[0].n == len(sentences)
    # the baseline judged against itself through a renamed copy: no difference, within noise
    twin = Entry("twin", "test", entries[1].keypoints, entries[1].v133)
    same_stats = {}
    score_entries(entries[:2] + [twin], sentences, n_resamples=100, statistics=same_stats)
    same = learning_orderings(same_stats, len(sentences), baseline="mean pose", reference="ground truth")
    assert same[0].verdict == "within noise" and same[0].diff == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="baseline='nope'"):
        learning_orderings(stats, len(sentences), baseline="nope", reference="ground truth")


def test_entries_must_match_the_sentences(entries, sentences):
    with pytest.raises(ValueError, match="'mean pose' has 8 keypoint sequences for 7"):
        score_entries(entries[1:2], sentences[:7])
    with pytest.raises(ValueError, match="no test sentences"):
        score_entries(entries, [])
    assert count_parameters(object()) == 0


class _ExactReader:
    """A stand-in back-translator: reads a sentence exactly when handed its reference keypoints, else nothing."""

    def __init__(self, sentences):
        self.refs = [k.reshape(len(k), -1) for k in reference_keypoints(sentences)]

    def score(self, poses, texts, languages, return_hyps=False):
        from slpkit.metrics.text import bleu_statistic

        hyps = [t if p.shape == r.shape and np.allclose(p, r) else "" for p, r, t in zip(poses, self.refs, texts)]
        return {"hyps": hyps, "bleu4_statistic": bleu_statistic(hyps, texts, languages)}


def test_ground_truth_must_back_translate_better_than_every_system(entries, sentences):
    stats = {}
    scores = score_entries(entries, sentences, backtranslator=_ExactReader(sentences), n_resamples=100,
                           statistics=stats)
    assert {s["name"]: s["bleu4"][0] for s in scores}["ground truth"] == pytest.approx(100.0)
    out = learning_orderings(stats, len(sentences), baseline="mean pose", reference="ground truth")
    bleu = [o for o in out if o.metric == "BLEU-4"]
    assert [(o.a, o.b, o.verdict) for o in bleu] == [("ground truth", "nudged", "holds")]
