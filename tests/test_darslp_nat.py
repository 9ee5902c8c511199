"""DARSLP non-autoregressive transformer, length predictor and the Eq. 4/5 losses."""

import dataclasses

import numpy as np
import pytest
import torch

from slpkit.generators.darslp import Darslp, DarslpConfig, Example
from slpkit.generators.darslp.module import _collate
from slpkit.generators.darslp.nat import (
    NATConfig,
    NonAutoregressiveTransformer,
    TextVocab,
    encoding_l1_terms,
    encoding_loss,
    length_loss,
    lengths_from_ratio,
)

TINY = NATConfig(text_dim=16, d_model=32, enc_layers=1, enc_heads=2, dec_layers=1, dec_heads=2, ffn=64, dropout=0.0, max_len=20)
SLICES = {"body": slice(0, 2), "lhand": slice(2, 5), "rhand": slice(5, 8), "face": slice(8, 10)}


def split_tok(text, language):
    return text.split()


def toy_examples(n=64, seed=0):
    """Sentences of 2-3 words out of 6; each word is a fixed 6-frame trajectory of a 4-dim motion
    basis (hands move most), so text determines motion and length (12 or 18 frames)."""
    rng = np.random.default_rng(seed)
    words = list("abcdef")
    base = rng.normal(size=(178, 3)) * 0.2
    basis = rng.normal(size=(4, 178, 3)) * 0.05
    basis[:, 8:50] *= 2
    traj = {w: rng.normal(size=(6, 4)) for w in words}
    out = []
    for i in range(n):
        ws = list(rng.choice(words, int(rng.integers(2, 4))))
        c = np.concatenate([traj[w] for w in ws])
        kp = base + np.einsum("tk,kjd->tjd", c, basis) + rng.normal(size=(len(c), 178, 3)) * 0.002
        out.append(Example(" ".join(ws), "asl", kp.astype(np.float32), id=str(i)))
    return out


def test_vocab_language_tags_and_padding():
    v = TextVocab.build(["the dog", "a cat sleeps"], ["asl", "asl"], tokenizer=split_tok)
    ids, mask = v.encode(["the cat", "unknown words here"], ["asl", "asl"])
    assert ids.shape == (2, 4) and mask.tolist() == [[True, True, True, False], [True] * 4]
    assert v.itos[ids[0, 0]] == "<asl>" and ids[1, 1] == v.stoi["<unk>"]
    with pytest.raises(ValueError):
        v.encode("the cat", "asl")


def test_default_tokenizer_segments_chinese():
    pytest.importorskip("slpkit.data.text")
    v = TextVocab.build(["我喜欢猫。", "the dog runs"], ["csl", "asl"])
    toks = v.tokens("我喜欢猫。", "csl")
    assert toks[0] == "<csl>" and len(toks) >= 3 and "".join(toks[1:]).startswith("我")


def test_forward_shapes_and_length_predictor_sets_frames():
    torch.manual_seed(0)
    nat = NonAutoregressiveTransformer(TINY, 10, vocab_size=12)
    ids = torch.tensor([[3, 4, 5, 0], [3, 6, 0, 0]])
    out = nat(ids)
    expected = lengths_from_ratio(out["ratio"], TINY.max_len)
    assert out["lengths"].tolist() == expected.tolist()
    assert out["latents"].shape == (2, int(expected.max()), 10)
    assert out["mask"].sum(1).tolist() == expected.tolist()
    # forcing the ratio: bias of the length head decides the number of frames
    with torch.no_grad():
        nat.length_head.weight.zero_()
        nat.length_head.bias.fill_(float(np.log(0.35 / 0.65)))  # sigmoid -> 0.35 -> 7 of 20 frames
    out = nat(ids)
    assert out["lengths"].tolist() == [7, 7] and out["latents"].shape[1] == 7
    # given lengths override the predictor
    out = nat(ids, lengths=torch.tensor([5, 9]))
    assert out["latents"].shape == (2, 9, 10) and out["mask"].sum(1).tolist() == [5, 9]
    with pytest.raises(ValueError):
        nat(ids, lengths=torch.tensor([5, 99]))


def test_reference_pose_initialises_the_prediction():
    torch.manual_seed(0)
    nat = NonAutoregressiveTransformer(TINY, 10, vocab_size=12)
    z_ref = torch.arange(10, dtype=torch.float32)
    nat.set_reference(z_ref)
    with torch.no_grad():
        nat.head.weight.zero_()
    out = nat(torch.tensor([[3, 4]]), lengths=torch.tensor([4]))
    assert torch.allclose(out["latents"][0], z_ref.expand(4, 10))


def test_pluggable_text_embeddings():
    torch.manual_seed(0)
    nat = NonAutoregressiveTransformer(TINY, 10)  # no vocabulary: expects float embeddings (e.g. BERT)
    emb = torch.randn(2, 5, TINY.text_dim)
    out = nat(emb, torch.ones(2, 5, dtype=torch.bool), lengths=torch.tensor([3, 4]))
    assert out["latents"].shape == (2, 4, 10)
    with pytest.raises(ValueError):
        nat(torch.tensor([[1, 2]]))
    with pytest.raises(ValueError):
        nat(torch.randn(1, 3, TINY.text_dim + 1))
    custom = torch.nn.Embedding(7, TINY.text_dim)
    nat2 = NonAutoregressiveTransformer(TINY, 10, text_embedder=custom)
    assert nat2(torch.tensor([[1, 2, 3]]), lengths=torch.tensor([2]))["latents"].shape == (1, 2, 10)


def test_encoding_loss_region_weights_and_lengths():
    pred = torch.zeros(2, 4, 10)
    target = torch.ones(2, 4, 10)
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    target[1, 2:] = 100.0  # padding must not count
    terms = encoding_l1_terms(pred, target, mask, SLICES)
    assert {k: round(v.item(), 5) for k, v in terms.items()} == {"body": 2.0, "lhand": 3.0, "rhand": 3.0, "face": 2.0}
    w = {"body": 1.0, "rhand": 7.0, "lhand": 5.0, "face": 2.0}
    base = encoding_loss(pred, target, mask, SLICES, w).item()
    assert base == pytest.approx(2 + 7 * 3 + 5 * 3 + 2 * 2)
    doubled = encoding_loss(pred, target, mask, SLICES, dict(w, rhand=14.0)).item()
    assert doubled - base == pytest.approx(7 * 3)  # doubling the right-hand weight doubles its term
    assert length_loss(torch.tensor([0.5, 0.2]), torch.tensor([0.25, 0.2])).item() == pytest.approx(0.125)


def _small_cfg(**kw):
    cfg = DarslpConfig.smoke()
    nat = dataclasses.replace(cfg.nat, text_dim=32, d_model=32, ffn=64, enc_layers=1, dec_layers=2)
    ae = dataclasses.replace(cfg.ae, epochs=30)
    return dataclasses.replace(cfg, ae=ae, nat=nat, phase1_epochs=70, phase2_epochs=0, kl_schedule="none", **kw)


def test_nat_learns_below_mean_latent_baseline_on_held_out_sentences():
    ex = toy_examples(80)
    train, test = ex[:64], ex[64:]
    m = Darslp(_small_cfg(), tokenizer=split_tok).fit(train)
    sl = m.ae.cfg.latent_slices()
    w = m.cfg.l1_weights
    items = [(m.vocab.encode([e.text], [e.language])[0][0], m.encode(e.keypoints)) for e in test]
    b = _collate(items)
    with torch.no_grad():
        out = m.nat.eval()(b["ids"], b["text_mask"], lengths=b["lengths"], T=b["latents"].shape[1])
    model = encoding_loss(out["latents"], b["latents"], out["mask"], sl, w).item()
    baseline = encoding_loss(m.prior.mu.expand_as(b["latents"]), b["latents"], out["mask"], sl, w).item()
    print("NAT held-out", model, "baseline", baseline)
    assert model < 0.6 * baseline, (model, baseline)
    # generation: predicted lengths, decoded to keypoints
    poses = m.generate([e.text for e in test[:4]], ["asl"] * 4)
    lat = m.predict_latents([e.text for e in test[:4]], ["asl"] * 4)
    assert [p.shape[1:] for p in poses] == [(178, 3)] * 4
    assert [len(p) for p in poses] == [len(z) for z in lat]
    assert all(np.isfinite(p).all() and p.dtype == np.float32 for p in poses)
    # the length predictor learned something: mean abs error below the constant-median predictor's
    true = np.array([len(e.keypoints) for e in test[:4]])
    assert np.abs(np.array([len(p) for p in poses]) - true).mean() <= np.abs(np.median(true) - true).mean() + 3


def test_generate_rejects_bad_input():
    ex = toy_examples(8)
    cfg = dataclasses.replace(_small_cfg(), phase1_epochs=1)
    cfg = dataclasses.replace(cfg, ae=dataclasses.replace(cfg.ae, epochs=1))
    m = Darslp(cfg, tokenizer=split_tok)
    with pytest.raises(RuntimeError):
        m.generate(["a"], ["asl"])
    m.fit(ex)
    with pytest.raises(ValueError):
        m.generate("a b", "asl")
    with pytest.raises(ValueError):
        m.generate(["a b"], ["asl", "asl"])
    bad = Example("a b", "asl", np.zeros((5, 177, 3), np.float32))
    with pytest.raises(ValueError, match="178"):
        Darslp(cfg, tokenizer=split_tok).fit_autoencoder([bad])
    nan = np.zeros((5, 178, 3), np.float32)
    nan[1, 1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Darslp(cfg, tokenizer=split_tok).fit_autoencoder([Example("a", "asl", nan)])
