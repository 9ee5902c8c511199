"""M3T SMLM end to end through slpkit's training layer: train (production + translation batches), cache, reload,
generate four streams and split them into V133 + F108, score; SOKE's generator through the same helpers.

A tiny M3T tokenizer (the one of ``test_m3t_probe.py``: cached once per session) on a 40-sentence-per-language
corpus; ``SLPKIT_TEST_SEED`` (default 0) picks the seeds (checked for 0, 1, 2).
"""

import os

import numpy as np
import pytest
import torch

from slpkit.generators.m3t.module import (M3TConfig, generate_motion, load_m3t, m3t_codes, score_motion,
                                          train_m3t)

# one worker runs this module, so its module-scoped fixtures are built once (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_m3t_module")

SEED = int(os.environ.get("SLPKIT_TEST_SEED", "0"))


@pytest.fixture(scope="module")
def setup():
    from slpkit.data.synthsign import SynthSignConfig, generate
    from slpkit.tokenizers.module import TokenizerConfig, train_tokenizer

    corpus = generate(SynthSignConfig.for_mode("smoke", seed=SEED, sentences_per_language=40))
    tok = train_tokenizer(corpus, TokenizerConfig.m3t("smoke", seed=SEED, width=32, res_depth=1, max_steps=150),
                          device="cpu", progress=False)
    cfg = M3TConfig.for_mode("smoke", seed=SEED, max_steps=120, warmup_steps=10, d_model=32, layers=1, heads=2,
                             ffn=64, max_decode_steps=24).with_translation()
    module = train_m3t(corpus, tok, cfg, device="cpu", progress=False)
    return corpus, tok, cfg, module


def test_trains_both_tasks_and_caches(setup):
    corpus, tok, cfg, module = setup
    h = module.history
    assert len(h) == 120 and {r["translation"] for r in h} == {0.0, 1.0}
    share = np.mean([r["translation"] for r in h])
    assert 0.3 < share < 0.7, share
    assert module.model.parts == ("body", "lhand", "rhand", "face")
    assert (module.model.start, module.model.heads, module.model.lam) == ("modality", "separate", 0.25)
    # both objectives learn: mean of the last 8 over the first 8 batches of each task (measured, seeds 0-2 x
    # avx2 / default: production 19.5-20.3 -> 8.7-9.9, ratio 0.44-0.49; translation 5.1-5.2 -> 2.5-2.7, ratio 0.49-0.52)
    for task in (0.0, 1.0):
        losses = [r["loss"] for r in h if r["translation"] == task]
        assert np.mean(losses[-8:]) < 0.75 * np.mean(losses[:8]), (task, losses[:8], losses[-8:])
    again = train_m3t(corpus, tok, cfg, device="cpu", progress=False)
    assert again.from_cache and again.history == h


def test_reload_generates_the_same(setup, tmp_path):
    corpus, tok, cfg, module = setup
    path = module.save(tmp_path / "m3t.pt")
    back = load_m3t(path, expect=cfg)
    sents = corpus.split("test")[:4]
    a = module.generate([s.text for s in sents], [s.language for s in sents])
    b = back.generate([s.text for s in sents], [s.language for s in sents])
    assert all(torch.equal(x, y) for p in a for x, y in zip(a[p], b[p]))
    with pytest.raises(ValueError, match="another config"):
        load_m3t(path, expect=M3TConfig.for_mode("smoke"))


def test_generate_and_score_split_face_and_body(setup):
    corpus, tok, cfg, module = setup
    sents = corpus.split("test")[:6]
    gen = generate_motion(module, tok, sents)
    for v, f, k in zip(gen["v133"], gen["face108"], gen["steps"]):
        assert v.shape == (4 * max(k, 1), 133) and f.shape == (4 * max(k, 1), 108)
    res = score_motion(gen, sents, dtw_index=[0, 2])
    assert res["n"] == 6 and res["n_dtw"] == 2 and res["per_sentence"]["dtw_jpe_body"].shape == (2,)
    assert set(res["face_variance"]) == {"face108", "expr100", "expr10", "jaw"}
    assert all(np.isfinite(v) and v >= 0 for v in res["face_variance"].values())
    codes = m3t_codes(tok, sents[:1])[0]
    assert set(codes) == {"body", "lhand", "rhand", "face"} and int(codes["face"].max()) < 512


def test_soke_generator_through_the_same_helpers(setup):
    from slpkit.body.layouts import face108_from
    from slpkit.generators.soke.model import SokeGenerator, tiny_mbart_config
    from slpkit.generators.soke.module import SokeConfig, SokeModule, build_vocab
    from slpkit.tokenizers.partwise import PartwiseTokenizer

    corpus, tok, cfg, module = setup
    soke_tok = PartwiseTokenizer("body_lhand_rhand", quantizer="vq", width=16).eval()
    scfg = SokeConfig.for_mode("smoke", max_decode_steps=6)
    vocab = build_vocab(corpus, soke_tok, scfg)
    torch.manual_seed(0)
    gen = SokeGenerator(vocab, tiny_mbart_config(len(vocab), 32, 1, 2, 64, pad_token_id=vocab.pad_id,
                                                 bos_token_id=vocab.bos_id, eos_token_id=vocab.eos_id))
    soke = SokeModule(gen, scfg).eval()
    sents = corpus.split("test")[:3]
    out = generate_motion(soke, soke_tok, sents)
    for v, f in zip(out["v133"], out["face108"]):
        assert v.shape[-1] == 133 and np.allclose(f, face108_from(v))          # SOKE's face: SMPL-X's 10 + jaw
        assert np.abs(f[:, 10:102]).max() == 0.0
    with pytest.raises(ValueError, match="no face stream"):
        train_m3t(corpus, soke_tok, cfg)
    with pytest.raises(ValueError, match="no face stream"):
        m3t_codes(soke_tok, sents)
