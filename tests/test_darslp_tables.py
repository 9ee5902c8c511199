"""Notebook 06's rows and orderings (slpkit.generators.darslp.tables) on hand-made inputs."""

import numpy as np
import pytest
import torch

from slpkit.generators.darslp import (RECON_COLUMNS, Example, bleu_ordering, dtw_ordering, evaluate_rows, hand_motion,
                                      learning_checks, learning_row, mean_pose_scores, motion_ordering,
                                      reconstruction_row)
from slpkit.generators.darslp.tables import LEARNING_COLUMNS


class _IdentityAE(torch.nn.Module):
    """Stands in for PoseAutoencoder: perfect reconstruction, zero mean pose."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean_pose", torch.zeros(178, 3))

    def reconstruct(self, x):
        return torch.as_tensor(x).clone()


class _FakeModel:
    def __init__(self, scores=None):
        self.ae, self.scores, self.seen = _IdentityAE(), scores, None

    def _need(self, what):
        pass

    def evaluate(self, examples, backtranslator=None, **kw):
        self.seen = (len(examples), backtranslator, kw)
        return self.scores


def test_reconstruction_row_and_evaluate_rows():
    kp = np.zeros((3, 178, 3), np.float32)
    kp[:, :, 0] = 2.0  # every joint at distance 2 from the (zero) mean pose
    exs = [Example("a", "asl", kp), Example("b", "asl", kp[:1])]
    row = reconstruction_row("80", _FakeModel(), exs)
    assert row == ["80", 0.0, 0.0, 0.0, 0.0, 2.0, 0.0] and len(row) == len(RECON_COLUMNS)
    sc = {"dtw_mje": 0.5, "bleu1": 1, "bleu2": 2, "bleu3": 3, "bleu4": 4, "chrf": 5, "rouge_l": 6}
    a, b = _FakeModel(sc), _FakeModel(dict(sc, dtw_mje=0.25))
    kept = {}
    rows = evaluate_rows({"A": a, "B": b}, exs, backtranslator="bt", scores=kept, return_poses=True)
    assert rows == [["A", 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], ["B", 0.25, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]
    assert a.seen == (2, "bt", {"return_poses": True}) and kept["B"]["dtw_mje"] == 0.25


def _scores(errors, weights):
    e, w = np.asarray(errors, float), np.asarray(weights, float)
    return {"dtw_mje": float(np.average(e, weights=w)), "dtw_mje_sentences": e, "dtw_mje_weights": w, "n": len(e),
            "len_corr": 0.9, "len_err_frames": 2.0}


def test_dtw_ordering_resamples_the_frame_pooled_statistic():
    rng = np.random.default_rng(0)
    w = rng.integers(20, 80, 60)
    good, bad = _scores(rng.normal(0.04, 0.005, 60), w), _scores(rng.normal(0.08, 0.005, 60), w)
    o = dtw_ordering("good beats bad", good, bad, source="test", a_name="good", b_name="bad")
    assert o.verdict == "holds" and o.lo > 0 and o.a_value == pytest.approx(good["dtw_mje"])
    assert dtw_ordering("bad beats good", bad, good, source="test", a_name="bad", b_name="good").verdict == "reversed"
    same = dtw_ordering("tie", good, good, source="test", a_name="a", b_name="b")
    assert same.verdict == "within noise" and same.diff == 0.0
    checks = learning_checks({"good": good}, bad, split="DEV")
    assert checks[0].claim == "good beats the mean-pose baseline (DEV)" and checks[0].verdict == "holds"
    row = learning_row(checks[0], good, "good (DEV)")
    assert len(row) == len(LEARNING_COLUMNS) and row[0] == "good (DEV)" and row[5] == "holds" and row[6] == 0.9


def test_bleu_ordering_uses_the_resampling_statistic():
    hi = {"bleu4_statistic": lambda idx: 30.0 + 0.0 * len(idx), "n": 40}
    lo = {"bleu4_statistic": lambda idx: 10.0 + 0.0 * len(idx), "n": 40}
    o = bleu_ordering("hi beats lo", hi, lo, source="test", a_name="hi", b_name="lo")
    assert o.verdict == "holds" and o.diff == pytest.approx(20.0) and o.metric == "back-translation BLEU-4"


def test_mean_pose_scores_and_hand_motion():
    still = np.zeros((6, 178, 3), np.float32)
    moving = still.copy()
    moving[::2, 8:50] = 1.0
    train = [Example("a", "asl", still), Example("b", "asl", moving)]
    base = mean_pose_scores(train, train)
    assert base["n"] == 2 and base["lengths"] == [6, 6] and base["dtw_mje"] > 0
    refs = [moving, moving]
    assert hand_motion([moving, still], refs).tolist() == pytest.approx([1.0, 0.0])
    a = {"poses": [moving] * 30}
    b = {"poses": [still] * 30}
    o = motion_ordering("moving hands move more", a, b, [moving] * 30, source="test", a_name="a", b_name="b")
    assert o.verdict == "holds" and o.better == "higher"
