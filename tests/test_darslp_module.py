"""DARSLP pipeline on SynthSign: two-phase training, generation, evaluation, diagnostics."""

import dataclasses

import numpy as np
import pytest
import torch

from slpkit.generators.darslp import (
    Darslp,
    DarslpConfig,
    latent_channel_stats,
    motion_variance,
    result_row,
    to_frame_rate,
    weights_bhf,
)


def test_presets_follow_the_paper():
    full = DarslpConfig.full()
    assert full.ae.latent_dim == 80 and full.ae.lr == 2e-4 and tuple(full.ae.betas) == (0.5, 0.9)
    assert full.ae.recon_weights == {"body": 0.5, "lhand": 1.5, "rhand": 1.5, "face": 1.0} and full.ae.encoder_l1 == 1e-4
    assert (full.nat.d_model, full.nat.enc_layers, full.nat.enc_heads, full.nat.dec_layers, full.nat.dec_heads, full.nat.ffn) == (512, 3, 4, 6, 8, 1024)
    assert full.l1_weights == weights_bhf(1, 14, 10, 2) and full.kl_weights == weights_bhf(1, 10, 6, 1)
    assert full.kl_schedule == "staged" and full.lr == 2e-4 and full.weight_decay == 1e-4
    assert (full.plateau_factor, full.plateau_patience) == (0.9, 40)
    assert DarslpConfig.for_mode("smoke", seed=3).seed == 3
    sched = full.schedule()
    assert not sched.active(full.phase1_epochs - 1) and sched.active(full.phase1_epochs)


def test_helpers():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    up = to_frame_rate(x, 2)
    assert up.shape == (6, 2) and np.allclose(up[::2], x) and np.allclose(up[1], (x[0] + x[1]) / 2)
    seqs = [np.zeros((5, 178, 3)), np.concatenate([np.zeros((2, 178, 3)), np.ones((2, 178, 3))])]
    assert motion_variance(seqs, slice(8, 29)) == pytest.approx(0.125)
    row = result_row("x", {"dtw_mje": 0.123456, "bleu1": 10.0, "bleu2": 5, "bleu3": 3, "bleu4": 1, "chrf": 9, "rouge_l": 8})
    assert row == ["x", 0.1235, 10.0, 5.0, 3.0, 1.0, 9.0, 8.0]
    z = torch.cat([torch.randn(500, 4) * 3, torch.randn(500, 2) * 0.01], 1)
    st = latent_channel_stats(z, {"lhand": slice(0, 4), "face": slice(4, 6)}, top_k=2)
    assert st["lhand"]["mean_entropy"] > st["face"]["mean_entropy"] + 1 and len(st["lhand"]["channels"]) == 2


class _StubBT:
    """Records what the pipeline sends to a back-translator."""

    def score(self, poses, refs, languages):
        self.poses, self.refs = poses, refs
        return {"bleu1": 1.0, "bleu2": 0.5, "bleu3": 0.2, "bleu4": 0.1, "chrf": 3.0, "rouge_l": 2.0, "n": len(poses), "per_language": {}}


def test_synthsign_two_phase_training_generation_and_evaluation(corpus):
    from slpkit.generators.darslp import examples_from_corpus

    train = examples_from_corpus(corpus, "train", frame_step=2, limit=48)
    test = examples_from_corpus(corpus, "test", frame_step=2, limit=6)
    assert train[0].keypoints.shape[1:] == (178, 3) and train[0].keypoints.dtype == np.float32
    full_rate = examples_from_corpus(corpus, "train", frame_step=1, limit=1)[0].keypoints
    assert len(train[0].keypoints) == len(full_rate[::2])
    cfg = DarslpConfig.smoke()
    cfg = dataclasses.replace(cfg, ae=dataclasses.replace(cfg.ae, epochs=3),
                              nat=dataclasses.replace(cfg.nat, d_model=32, text_dim=32, ffn=64, dec_layers=1),
                              phase1_epochs=2, phase2_epochs=1, kl_schedule="staged")
    p1 = Darslp(cfg).fit_autoencoder(train).fit_phase1(train)
    assert p1.epochs_done == 2 and "train/kl" not in p1.history[-1]          # phase 1: no KL
    kl = p1.branch(kl_schedule="staged").fit_phase2()
    nokl = p1.branch(kl_schedule="none").fit_phase2()
    assert "train/kl" in kl.history[-1] and "train/kl" not in nokl.history[-1]  # phase 2: KL only when staged
    assert kl.epochs_done == nokl.epochs_done == 3
    # branches are independent copies of the phase-1 weights
    w = lambda m: m.nat.head.weight.detach()
    assert not torch.equal(w(kl), w(p1)) and not torch.equal(w(kl), w(nokl))
    poses = kl.generate([e.text for e in test], [e.language for e in test])
    assert all(p.shape[1:] == (178, 3) and len(p) >= 1 for p in poses)
    bt = _StubBT()
    res = kl.evaluate(test, backtranslator=bt)
    assert np.isfinite(res["dtw_mje"]) and res["dtw_mje"] > 0 and res["bleu4"] == 0.1
    # the back-translator gets flattened (T, 534) poses at the corpus frame rate
    assert all(p.shape == (2 * len(g), 534) for p, g in zip(bt.poses, poses))
    assert bt.refs == [e.text for e in test]
    # DTW-MJE of the references against themselves is 0
    from slpkit.generators.darslp import dtw_mje

    assert dtw_mje([e.keypoints for e in test], [e.keypoints for e in test]) == pytest.approx(0.0, abs=1e-9)
    spread = kl.latent_spread([e.text for e in test], [e.language for e in test])
    assert set(spread) == {"body", "lhand", "rhand", "face"} and all(v >= 0 for v in spread.values())


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

    def evaluate(self, examples, backtranslator=None):
        self.seen = (len(examples), backtranslator)
        return self.scores


def test_reconstruction_row_and_evaluate_rows():
    from slpkit.generators.darslp import RECON_COLUMNS, Example, evaluate_rows, reconstruction_row

    kp = np.zeros((3, 178, 3), np.float32)
    kp[:, :, 0] = 2.0  # every joint at distance 2 from the (zero) mean pose
    exs = [Example("a", "asl", kp), Example("b", "asl", kp[:1])]
    row = reconstruction_row("80", _FakeModel(), exs)
    assert row == ["80", 0.0, 0.0, 0.0, 0.0, 2.0, 0.0] and len(row) == len(RECON_COLUMNS)
    sc = {"dtw_mje": 0.5, "bleu1": 1, "bleu2": 2, "bleu3": 3, "bleu4": 4, "chrf": 5, "rouge_l": 6}
    a, b = _FakeModel(sc), _FakeModel(dict(sc, dtw_mje=0.25))
    rows = evaluate_rows({"A": a, "B": b}, exs, backtranslator="bt")
    assert rows == [["A", 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], ["B", 0.25, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]
    assert a.seen == (2, "bt")
