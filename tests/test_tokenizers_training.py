"""Smoke-size tokenizer training on SynthSign: learns (vs the mean-pose baseline),
deterministic token extraction, checkpoint round trip, cache reuse."""

import dataclasses

import numpy as np
import pytest
import torch

from slpkit.tokenizers import (
    TokenizerConfig,
    evaluate_tokenizer,
    load_tokenizer,
    tokenize_clips,
    train_tokenizer,
)

# one worker runs this module, so its module-scoped fixtures are built once (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_tokenizers_training")


@pytest.fixture(scope="module")
def trained(corpus):
    # the session cache (tests/conftest.py): the notebooks train this same smoke tokenizer
    torch.set_num_threads(1)
    cfg = TokenizerConfig.for_mode("smoke")
    return cfg, train_tokenizer(corpus, cfg, cache=True, device="cpu", progress=False)


def test_smoke_tokenizer_learns_against_mean_pose(corpus, trained):
    _, module = trained
    ev = evaluate_tokenizer(module, corpus, "test")
    rec, base = ev["recon"], ev["baseline"]
    # the tokenizer must be well below the constant train-mean pose on every part
    # (hand MPJPE is wrist-aligned but still carries the wrist's rotation, which the body encodes,
    # so the hand's own articulation is judged by PA-MPJPE)
    assert rec["hand"]["pa_mpjpe_mm"] < 0.6 * base["hand"]["pa_mpjpe_mm"], (rec, base)
    assert rec["body"]["mpjpe_mm"] < 0.85 * base["body"]["mpjpe_mm"], (rec, base)
    assert rec["body"]["pa_mpjpe_mm"] < 0.9 * base["body"]["pa_mpjpe_mm"], (rec, base)
    h = module.history
    assert h[-1]["recon"] < 0.8 * h[0]["recon"]
    for name, st in ev["codebook"].items():
        assert st["utilisation"] > 10.0, (name, st["utilisation"])  # no codebook collapse
        assert st["counts"].sum() > 0


def test_token_extraction_is_deterministic(corpus, trained):
    _, module = trained
    sents = corpus.split("test")[:4]
    a = tokenize_clips(module, [s.v133 for s in sents])
    b = tokenize_clips(module, [s.v133 for s in sents])
    for ta, tb, s in zip(a, b, sents):
        assert set(ta) == {"body", "lhand", "rhand"}
        for k in ta:
            assert np.array_equal(ta[k], tb[k])
            assert ta[k].shape == (-(-s.num_frames // 4),)
    ids = module.tokenize(sents[0].v133)
    poses = module.detokenize(ids)
    assert poses.shape == (4 * len(ids["body"]), 133) and torch.isfinite(poses).all()


def test_checkpoint_round_trip_gives_identical_tokens(corpus, trained):
    cfg, module = trained
    loaded = load_tokenizer(module.checkpoint_path, expect=cfg)
    assert loaded.cfg == cfg
    for k in ("mean", "std"):
        assert torch.equal(getattr(loaded.tokenizer, k), getattr(module.tokenizer, k))
    assert torch.equal(loaded.tokenizer.quantizers["body"].codebook, module.tokenizer.quantizers["body"].codebook)
    clips = [s.v133 for s in corpus.split("test")[:5]]
    for ta, tb in zip(tokenize_clips(module, clips), tokenize_clips(loaded, clips)):
        for k in ta:
            assert np.array_equal(ta[k], tb[k])
    assert loaded.history == module.history
    # the cache returns the same checkpoint instead of retraining
    again = train_tokenizer(corpus, cfg, cache=True, device="cpu", progress=False)
    assert again.from_cache and again.train_seconds == module.train_seconds > 0  # the original training time
    # a checkpoint of another config, a truncated and a missing one are named, not loaded
    with pytest.raises(ValueError, match="another config"):
        load_tokenizer(module.checkpoint_path, expect=dataclasses.replace(cfg, width=32))


def test_bad_checkpoints_are_named(tmp_path):
    bad = tmp_path / "tok.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="tok.pt"):
        load_tokenizer(bad)
    with pytest.raises(FileNotFoundError, match="nothere.pt"):
        load_tokenizer(tmp_path / "nothere.pt")


def test_config_rejects_codebook_sizes_for_fsq():
    with pytest.raises(ValueError, match="fsq_levels"):
        TokenizerConfig.m3t("smoke", codebook_sizes={"body": 64})
    with pytest.raises(ValueError, match="window"):
        TokenizerConfig.for_mode("smoke", window=2)


def test_module_rejects_bad_input(trained):
    _, module = trained
    with pytest.raises(ValueError):
        module.tokenize(np.zeros((16, 132), np.float32))
    bad = np.zeros((16, 133), np.float32)
    bad[3, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        module.tokenize(bad)


def test_m3t_fsq_pipeline_runs(corpus):
    cfg = TokenizerConfig.m3t("smoke", width=16, res_depth=1, max_steps=10, batch_size=8, window=16)
    module = train_tokenizer(corpus, cfg, cache=False, device="cpu", progress=False)
    ev = evaluate_tokenizer(module, corpus, "test", baseline=False)
    assert set(ev["codebook"]) == {"body", "lhand", "rhand", "face"}
    assert ev["codebook"]["face"]["K"] == 512
    assert np.isfinite(ev["recon"]["face"]["param_mae"])
    s = corpus.split("test")[0]
    out = module.reconstruct(np.concatenate([s.v133, s.face108], -1))
    assert out.shape == (s.num_frames, 241)


def _fake_result(body=10.0, hand=5.0, face=0.5, use=(50.0, 60.0, 80.0, 90.0)):
    """A hand-made run_tokenizer_experiment result (m3t streams)."""
    cb = {s: {"utilisation": u} for s, u in zip(("body", "lhand", "rhand", "face"), use)}
    return {"recon": {"body": {"pa_mpjpe_mm": body}, "hand": {"pa_mpjpe_mm": hand}, "face": {"param_mae": face}},
            "codebook": cb, "seconds": 0.0}


def test_modality_row_and_mean_utilisation():
    from slpkit.tokenizers import MODALITY_COLUMNS, mean_utilisation, modality_row

    r = _fake_result()
    assert modality_row("FSQ", r) == ["FSQ", 10.0, 5.0, 0.5, 50.0, 70.0, 90.0]
    assert modality_row("FSQ", r, (16, 1024)) == ["FSQ", 16, 1024, 10.0, 5.0, 0.5, 50.0, 70.0, 90.0]
    assert len(modality_row("x", r)) == 1 + len(MODALITY_COLUMNS)
    assert mean_utilisation(r["codebook"]) == pytest.approx(70.0)
    assert mean_utilisation(r["codebook"], ["body", "face", "missing"]) == pytest.approx(70.0)


def test_experiment_config_presets():
    from slpkit.tokenizers import experiment_config

    cfg = experiment_config("smoke", seed=3, steps=7, partition="whole")
    assert (cfg.seed, cfg.max_steps, cfg.partition, cfg.quantizer) == (3, 7, "whole", "vq")
    assert experiment_config("smoke").max_steps == TokenizerConfig.smoke().max_steps  # steps=None keeps the preset
    m = experiment_config("smoke", steps=5, preset="m3t", quantizer="vq")
    assert m == TokenizerConfig.m3t("smoke", seed=0, max_steps=5, quantizer="vq")
    with pytest.raises(ValueError, match="preset"):
        experiment_config("smoke", preset="nope")


def test_run_tokenizer_experiment_tiny(corpus):
    from slpkit.tokenizers import experiment_config, run_tokenizer_experiment
    from slpkit.tokenizers.module import clip_poses

    cfg = experiment_config("smoke", steps=5, preset="m3t", width=16, res_depth=1, batch_size=8, window=16)
    test = [clip_poses(s, "m3t") for s in corpus.split("test")]
    out = run_tokenizer_experiment(corpus, cfg, test, test + test, cache=False, device="cpu")
    assert set(out) == {"recon", "codebook", "tokens", "seconds"} and out["seconds"] > 0
    assert set(out["codebook"]) == {"body", "lhand", "rhand", "face"}
    n_tokens = sum(-(-len(c) // 4) for c in test)  # ceil(T/4) tokens per clip
    assert out["codebook"]["face"]["counts"].sum() == 2 * n_tokens  # stats over stats_clips
    assert np.isfinite(out["recon"]["face"]["param_mae"])
