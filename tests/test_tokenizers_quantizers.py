"""Quantizers of slpkit.tokenizers: FSQ against vector-quantize-pytorch, EMA+reset equations,
straight-through gradients (docs/reference.md, "VQ-VAE tokenizer", "FSQ")."""

import math

import pytest
import torch

from slpkit.tokenizers.conv import Decoder, Encoder
from slpkit.tokenizers.fsq import FSQ
from slpkit.tokenizers.vq import EMAResetQuantizer, VectorQuantizer, perplexity_from_indices

LEVELS = [(8, 5, 5, 5), (8, 6, 4), (7, 5, 5, 5, 5), (8, 4, 3), (8, 8, 8)]


@pytest.mark.parametrize("levels", LEVELS)
def test_fsq_matches_vector_quantize_pytorch(levels):
    ref_mod = pytest.importorskip("vector_quantize_pytorch")
    torch.manual_seed(0)
    ours, ref = FSQ(levels), ref_mod.FSQ(list(levels))
    z = torch.randn(4, 64, len(levels)) * 3
    q, idx = ours.quantize(z)
    q_ref, idx_ref = ref(z)
    assert torch.equal(q, q_ref)
    assert torch.equal(idx, idx_ref.long())
    assert ours.codebook_size == ref.codebook_size == math.prod(levels)
    assert torch.equal(ours.implicit_codebook, ref.implicit_codebook)


def test_fsq_with_projection_matches_reference_weights():
    ref_mod = pytest.importorskip("vector_quantize_pytorch")
    torch.manual_seed(1)
    ours, ref = FSQ((8, 5, 5), dim=16), ref_mod.FSQ([8, 5, 5], dim=16)
    ours.project_in.load_state_dict(ref.project_in.state_dict())
    ours.project_out.load_state_dict(ref.project_out.state_dict())
    z = torch.randn(2, 10, 16)
    q, idx = ours.quantize(z)
    q_ref, idx_ref = ref(z)
    assert torch.allclose(q, q_ref, atol=1e-6) and torch.equal(idx, idx_ref.long())
    assert torch.allclose(ours.decode_indices(idx), q, atol=1e-6)


@pytest.mark.parametrize("levels", LEVELS)
def test_fsq_index_round_trip(levels):
    f = FSQ(levels)
    idx = torch.arange(f.codebook_size)
    codes = f.indices_to_codes(idx)
    assert torch.equal(f.codes_to_indices(codes), idx)
    assert codes.min() >= -1 and codes.max() <= 1
    # quantising a grid code gives the same code back (every grid point reachable)
    z = torch.randn(3, 20, len(levels))
    q, i = f.quantize(z)
    assert torch.equal(f.indices_to_codes(i), q)
    assert i.dtype == torch.int64 and int(i.min()) >= 0 and int(i.max()) < f.codebook_size


def test_fsq_straight_through_and_no_losses():
    f = FSQ((8, 5, 5))
    z = torch.randn(2, 8, 3, requires_grad=True)
    out = f(z)
    assert float(out.loss) == 0.0 and float(out.commit_loss) == 0.0
    out.z_q.sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0  # tanh' != 0: gradient passes the rounding


def test_fsq_rejects_bad_levels_and_shapes():
    with pytest.raises(ValueError):
        FSQ([])
    with pytest.raises(ValueError):
        FSQ([8, 1])
    with pytest.raises(ValueError):
        FSQ([8, 5]).quantize(torch.randn(2, 3, 4))


def _two_code_quantizer(count1: float) -> EMAResetQuantizer:
    q = EMAResetQuantizer(2, 2, mu=0.99)
    q.codebook.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0]]))
    q.code_count.copy_(torch.tensor([2.0, count1]))
    q.code_sum.copy_(q.codebook * q.code_count[:, None])
    q.initted.fill_(True)
    return q


def test_ema_update_equals_equation_two_codes():
    mu = 0.99
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # all nearest to code 0
    q = _two_code_quantizer(count1=1.02)
    q.train()
    out = q(x[None])
    assert out.indices.tolist() == [[0, 0, 0]]
    count0 = mu * 2.0 + (1 - mu) * 3.0
    sum0 = mu * torch.zeros(2) + (1 - mu) * x.sum(0)
    count1 = mu * 1.02
    sum1 = mu * torch.tensor([10.0, 10.0]) * 1.02
    assert torch.allclose(q.code_count, torch.tensor([count0, count1]))
    assert torch.allclose(q.code_sum, torch.stack([sum0, sum1]))
    assert torch.allclose(q.codebook[0], sum0 / count0)
    assert torch.allclose(q.codebook[1], torch.tensor([10.0, 10.0]))  # count1 >= 1: kept (EMA mean)
    assert not q.last_reset.any()
    # perplexity of a one-code batch is 1; commitment = mse(x, sg(x_q)) with x_q the OLD code 0
    assert out.perplexity.item() == pytest.approx(1.0, abs=1e-5)
    assert out.commit_loss.item() == pytest.approx(float((x ** 2).mean()))
    assert out.loss.item() == pytest.approx(0.02 * out.commit_loss.item())


def test_ema_dead_code_reset_uses_current_batch():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    q = _two_code_quantizer(count1=1.005)  # 0.99 * 1.005 < 1 after this step -> dead
    q.train()
    q(x[None])
    assert q.last_reset.tolist() == [False, True]
    assert any(torch.equal(q.codebook[1], row) for row in x)  # replaced by an encoder output of the batch
    assert q.code_count[1].item() == pytest.approx(0.99 * 1.005)  # the statistics themselves keep decaying


def test_ema_init_from_first_batch_and_eval_is_frozen():
    torch.manual_seed(0)
    q = EMAResetQuantizer(4, 3)
    x = torch.randn(1, 10, 3)
    q.init_codebook(x[0])
    assert bool(q.initted) and torch.equal(q.code_count, torch.ones(4))
    for row in q.codebook:
        assert any(torch.equal(row, r) for r in x[0])
    q2 = EMAResetQuantizer(8, 3)
    q2.init_codebook(x[0, :3])  # fewer vectors than codes: tiled + small noise
    assert q2.codebook.shape == (8, 3)
    dist = torch.cdist(q2.codebook, x[0, :3]).min(1).values
    assert float(dist.max()) < 0.1  # every code is a batch vector plus noise of std 0.01/sqrt(C)
    q.eval()
    before = {k: v.clone() for k, v in q.state_dict().items()}
    q(torch.randn(2, 5, 3))
    for k, v in q.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert "codebook" in before and "initted" in before


@pytest.mark.parametrize("kind", ["ema", "plain", "fsq"])
def test_straight_through_gradient_reaches_encoder(kind):
    torch.manual_seed(0)
    enc = Encoder(6, code_dim=8 if kind != "fsq" else 3, width=16, depth=2, res_depth=1)
    dec = Decoder(6, code_dim=8 if kind != "fsq" else 3, width=16, depth=2, res_depth=1)
    q = {"ema": lambda: EMAResetQuantizer(16, 8), "plain": lambda: VectorQuantizer(16, 8),
         "fsq": lambda: FSQ((5, 5, 5))}[kind]()
    q.train()
    x = torch.randn(2, 16, 6)
    z = enc(x)
    z.retain_grad()
    out = q(z)
    loss = (dec(out.z_q) - x).pow(2).mean()
    loss.backward()
    assert z.grad is not None and z.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in enc.model[0].parameters())


def test_plain_vq_losses_and_api():
    torch.manual_seed(0)
    q = VectorQuantizer(5, 4, beta=0.25)
    z = torch.randn(2, 7, 4, requires_grad=True)
    out = q(z)
    e = q.decode_indices(out.indices)
    assert torch.allclose(out.z_q, e, atol=1e-6)
    assert out.codebook_loss.item() == pytest.approx(float(((e - z) ** 2).mean().detach()), rel=1e-5)
    assert out.loss.item() == pytest.approx(out.codebook_loss.item() * 1.25, rel=1e-5)
    out.loss.backward()
    assert q.embedding.weight.grad is not None
    zq, idx = q.quantize(z)
    assert torch.equal(idx, q.encode_indices(z)) and torch.equal(idx, out.indices)


def test_perplexity_and_shape_errors():
    assert perplexity_from_indices(torch.tensor([0, 1, 2, 3]), 8).item() == pytest.approx(4.0, rel=1e-5)
    with pytest.raises(ValueError):
        EMAResetQuantizer(4, 3)(torch.randn(2, 5, 4))
    with pytest.raises(ValueError):
        EMAResetQuantizer(0, 3)


def test_conv_shapes_and_dilations():
    enc = Encoder(43, code_dim=32, width=24, depth=2, res_depth=3)
    dec = Decoder(43, code_dim=32, width=24, depth=2, res_depth=3)
    x = torch.randn(3, 64, 43)
    z = enc(x)
    assert z.shape == (3, 16, 32) and dec(z).shape == (3, 64, 43)
    assert enc.model[2][1].dilations == (9, 3, 1)
    assert Encoder(10, 8, 8, depth=3).downsample == 8
