"""SOKE decoding loops: KV cache == full recompute, part masks, stopping rules, λ fusion, overfitting."""

import pytest
import torch

from slpkit.generators.soke import decoding as D
from slpkit.generators.soke.model import STRATEGIES
from _soke_helpers import LANGS, TEXTS, random_codes, tiny_model, tiny_vocab


@pytest.fixture(scope="module")
def model():
    return tiny_model(seed=1, d_model=48, layers=2).eval()


@pytest.fixture(scope="module")
def batch(model):
    return D.encode_batch(model, TEXTS, LANGS)  # padded encoder batch (different text lengths)


@pytest.mark.parametrize("stop", ["any", "body", "never"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cached_equals_uncached(model, batch, strategy, stop):
    ids, mask, lang = batch
    a = D.decode(model, ids, mask, lang, strategy=strategy, stop=stop, max_steps=12, use_cache=True)
    b = D.decode(model, ids, mask, lang, strategy=strategy, stop=stop, max_steps=12, use_cache=False)
    for p in model.parts:
        assert len(a[p]) == len(TEXTS)
        for x, y in zip(a[p], b[p]):
            assert torch.equal(x, y), (strategy, stop, p, x, y)
    if stop == "never":
        assert all(len(x) == 12 for x in a["body"])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_batched_equals_one_by_one(model, strategy):
    out = D.generate(model, TEXTS, LANGS, strategy, max_steps=8)
    for i, (t, l) in enumerate(zip(TEXTS, LANGS)):
        one = D.generate(model, [t], [l], strategy, max_steps=8)
        for p in model.parts:
            assert torch.equal(one[p][0], out[p][i])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_head_emits_only_its_part(model, batch, strategy):
    ids, mask, lang = batch
    out = D.decode(model, ids, mask, lang, strategy=strategy, stop="never", max_steps=10, as_codes=False)
    v = model.vocab
    for p in model.parts:
        a, b = v.part_range(p)
        allowed = v.part_mask(p)
        for seq in out[p]:
            assert len(seq) == 10
            assert allowed[seq].all(), (p, seq)
            assert (seq < b - 1).all()  # the EOS never ends up in the output
    codes = D.decode(model, ids, mask, lang, strategy=strategy, stop="never", max_steps=10)
    for p in model.parts:
        assert torch.equal(codes[p][0] + v.part_range(p)[0], out[p][0])


def test_part_logits_mask_to_minus_inf(model):
    logits = torch.randn(2, 3, len(model.vocab))
    for p in model.parts:
        m = model.part_logits(logits, p)
        mask = model.vocab.part_mask(p)
        assert torch.isinf(m[..., ~mask]).all() and torch.equal(m[..., mask], logits[..., mask])


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_stopping_rules(strategy):
    m = tiny_model(seed=2).eval()
    ids, mask, lang = D.encode_batch(m, TEXTS[:2], LANGS[:2])
    v = m.vocab
    with torch.no_grad():
        m.mbart.final_logits_bias[0, v.part_eos["lhand"]] = 1e4   # the left hand always wants to stop
        m.mbart.final_logits_bias[0, v.part_eos["body"]] = -1e4   # the body never does
    any_ = D.decode(m, ids, mask, lang, strategy=strategy, stop="any", max_steps=6)
    body = D.decode(m, ids, mask, lang, strategy=strategy, stop="body", max_steps=6)
    assert all(len(x) == 0 for x in any_["lhand"])          # paper: any head's EOS ends the sample
    assert all(len(x) == 6 for x in body["lhand"])          # released code: only the body stream's EOS counts
    with torch.no_grad():
        m.mbart.final_logits_bias[0, v.part_eos["body"]] = 1e4
    body = D.decode(m, ids, mask, lang, strategy=strategy, stop="body", max_steps=6)
    assert all(len(x) == 0 for p in m.parts for x in body[p])
    with pytest.raises(ValueError, match="stopping rule"):
        D.decode(m, ids, mask, lang, strategy=strategy, stop="first")


def test_errors(model, batch):
    ids, mask, lang = batch
    with pytest.raises(ValueError, match="strategy"):
        D.decode(model, ids, mask, lang, strategy="beam")
    with pytest.raises(ValueError, match="unknown sign language"):
        D.generate(model, ["hello"], ["xsl"])
    with pytest.raises(ValueError, match="empty"):
        D.generate(model, [""], ["asl"])
    model.train()
    try:
        with pytest.raises(ValueError, match="eval"):
            D.decode(model, ids, mask, lang)
    finally:
        model.eval()


@pytest.mark.parametrize("lam", [1 / 3, 0.4, 0.1])
def test_lambda_fusion_equals_formula(lam):
    m = tiny_model(seed=3, lam=lam).eval()
    v = m.vocab
    ids = {p: v.codes_to_ids(p, torch.tensor([0, 1, 5])) for p in v.parts}
    E = m.mbart.model.decoder.embed_tokens
    expected = ((1 - 2 * lam) * E.weight[ids["body"]] + lam * E.weight[ids["lhand"]] + lam * E.weight[ids["rhand"]]) * E.embed_scale
    assert torch.allclose(m.fuse(ids), expected, atol=1e-6)
    stacked = torch.stack([ids[p] for p in v.parts], -1)
    assert torch.allclose(m.fuse(stacked), expected, atol=1e-6)
    # the lean decoding path computes the same embedding
    assert torch.allclose(D._Embedder(m, "cpu").fused(stacked), expected, atol=1e-5)
    assert m.fusion_weights() == pytest.approx([1 - 2 * lam, lam, lam])
    with pytest.raises(ValueError, match="λ"):
        m.lam = 0.7


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tiny_model_overfits_and_regenerates_exactly(strategy):
    v = tiny_vocab()
    m = tiny_model(v, seed=0)
    n, K = len(TEXTS), 6
    codes = random_codes(v, n, K, seed=5)
    lengths = torch.tensor([5, 3, 6, 4, 2])
    ids, mask, lang = D.encode_batch(m, TEXTS, LANGS)
    batch = dict(input_ids=ids, attention_mask=mask, lang_ids=lang, lengths=lengths,
                 **{f"codes_{p}": c for p, c in codes.items()})
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    first = None
    for _ in range(400):
        loss = m(batch, strategy)["loss"]
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 0.01:
            break
    assert float(loss) < 0.05 * first
    m.eval()
    for stop in ("any", "body"):
        out = D.decode(m, ids, mask, lang, strategy=strategy, stop=stop, max_steps=10)
        for p in v.parts:
            for b in range(n):
                assert torch.equal(out[p][b], codes[p][b, : lengths[b]]), (stop, p, b)
