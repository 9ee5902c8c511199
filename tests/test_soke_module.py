"""SOKE Lightning training and the evaluation helper, end to end on a small SynthSign subset."""

import math

import numpy as np
import pytest
import torch

from slpkit.generators.soke.module import SokeConfig, evaluate_generator, train_generator


@pytest.fixture(scope="module")
def small():
    from slpkit.data.corpus import Corpus
    from slpkit.data.synthsign import SynthSignConfig, generate
    from slpkit.tokenizers.partwise import PartwiseTokenizer

    corpus = generate(SynthSignConfig.for_mode("smoke", seed=0))
    train = [s for s in corpus.split("train") if len(s.v133) <= 120][:24]
    test = [s for s in corpus.split("test") if len(s.v133) <= 120][:3]
    words = {w for s in train + test for w in s.text.lower().replace(".", " ").split()}
    dic = [d for d in corpus.dictionary if d.word in words][:40]
    small = Corpus(train + test, dic, dict(corpus.meta))
    torch.manual_seed(0)
    tok = PartwiseTokenizer("body_lhand_rhand", width=16, res_depth=1,
                            codebook_sizes={"body": 16, "lhand": 16, "rhand": 16}).eval()
    return small, tok


@pytest.mark.parametrize("strategy,retrieval", [("multihead", True), ("sequential", False), ("parallel", False)])
def test_train_and_evaluate(small, strategy, retrieval):
    corpus, tok = small
    cfg = SokeConfig.for_mode("smoke", decoding=strategy, retrieval=retrieval, d_model=32, layers=1, heads=2, ffn=64,
                              max_steps=40, batch_size=8, lr=5e-3, dropout=0.0, max_decode_steps=12)
    gen = train_generator(corpus, tok, cfg, device="cpu")
    first = np.mean([h["loss"] for h in gen.history[:3]])
    last = np.mean([h["loss"] for h in gen.history[-3:]])
    assert last < 0.8 * first, (first, last)                    # it learns (baseline: the untrained loss)
    assert not gen.model.training and len(gen.history) == 40
    if retrieval:
        assert gen.dictionary is not None and len(gen.dictionary) > 0
        assert any(gen.prompts([s.text], [s.language])[0] for s in corpus.split("train"))
    test = corpus.split("test")
    res = evaluate_generator(gen, tok, test, latency_samples=1)
    for k in ("dtw_jpe_body", "dtw_pa_jpe_body", "dtw_pa_jpe_hand", "dtw_pa_jpe_avg", "latency_s"):
        assert math.isfinite(res[k]) and res[k] >= 0, k
    assert res["n"] == len(test) and len(res["poses"]) == len(test)
    assert all(p.shape[-1] == 133 for p in res["poses"])
    assert set(res["per_language"]) == {s.language for s in test}
    lat = evaluate_generator(gen, tok, test[:1], latency_samples=1, latency_steps=5, per_language=False)
    assert lat["latency_steps"] == 5 and lat["latency_s"] > 0


def test_config_presets_and_errors(small):
    corpus, tok = small
    full = SokeConfig.full()
    assert (full.d_model, full.layers, full.heads, full.ffn) == (1024, 12, 16, 4096) and full.lr == 2e-4
    assert SokeConfig.smoke().lam == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="strategy"):
        train_generator(corpus, tok, SokeConfig.for_mode("smoke", decoding="beam"))
    with pytest.raises(ValueError, match="unknown sign language"):
        train_generator(corpus, tok, SokeConfig.for_mode("smoke", languages=("bsl",)))
