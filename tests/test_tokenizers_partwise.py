"""PartwiseTokenizer on random tensors: partitions, M3T mirrored shared hand VAE, validation."""

import numpy as np
import pytest
import torch

from slpkit.body import layouts as L
from slpkit.tokenizers.partwise import PartwiseTokenizer, m3t_features, m3t_poses, partition_streams

TINY = dict(width=16, res_depth=1)


@pytest.mark.parametrize("partition,parts,dims", [
    ("whole", ["whole"], [133]),
    ("body_hands", ["body", "hands"], [43, 90]),
    ("body_lhand_rhand", ["body", "lhand", "rhand"], [43, 45, 45]),
    ("m3t", ["body", "lhand", "rhand", "face"], [60, 90, 90, 108]),
])
@pytest.mark.parametrize("quantizer", ["vq", "fsq"])
def test_shapes_for_partitions(partition, parts, dims, quantizer):
    torch.manual_seed(0)
    tok = PartwiseTokenizer(partition, quantizer=quantizer, **TINY)
    assert tok.stream_names == parts
    assert [len(s.cols) for s in tok.streams] == dims
    D = tok.input_dim
    x = torch.randn(2, 24, D) * 0.3
    recon, losses, idx = tok(x)
    assert recon.shape == (2, 24, D)
    assert set(idx) == set(parts) and all(v.shape == (2, 6) and v.dtype == torch.int64 for v in idx.values())
    assert {"recon", "quant", "commit", "loss"} <= set(losses) and torch.isfinite(losses["loss"])
    tok.eval()
    ids = tok.encode(x)
    assert all(v.shape == (2, 6) for v in ids.values())
    assert tok.decode(ids).shape == (2, 24, D)
    for name, v in ids.items():
        assert int(v.max()) < tok.codebook_size(name)


def test_soke_default_codebooks_and_part_indices():
    tok = PartwiseTokenizer("body_lhand_rhand", **TINY)
    assert tok.codebook_sizes == {"body": 96, "lhand": 192, "rhand": 192}
    streams, D, Fdim = partition_streams("body_lhand_rhand")
    assert D == Fdim == 133
    assert list(streams[0].cols) == L.PART_INDICES["body"]
    fsq = PartwiseTokenizer("body_lhand_rhand", quantizer="fsq", **TINY)
    assert fsq.codebook_sizes == {"body": 96, "lhand": 192, "rhand": 192}


def test_odd_length_single_clip():
    tok = PartwiseTokenizer("body_lhand_rhand", **TINY).eval()
    x = np.random.default_rng(0).normal(size=(21, 133)).astype(np.float32) * 0.2
    ids = tok.encode(x)
    assert all(v.shape == (6,) for v in ids.values())  # ceil(21 / 4)
    assert tok.decode(ids).shape == (24, 133)
    assert tok.reconstruct(x).shape == (21, 133)
    recon, _, _ = tok(x)
    assert recon.shape == (21, 133)


def test_m3t_mirrored_hand_round_trip_and_shared_vae():
    rng = np.random.default_rng(0)
    v133 = (rng.normal(size=(12, 133)) * 0.3).astype(np.float32)
    face = L.face108_from(v133, rng.normal(size=(12, 100)).astype(np.float32), rng.normal(size=(12, 2)).astype(np.float32))
    x = np.concatenate([v133, face], -1)
    f = m3t_features(x)
    assert f.shape == (12, 348)
    # the left-hand stream is the mirrored left hand (layouts.mirror_hand), in 6D
    np.testing.assert_allclose(f[:, 60:150], L.smplfx_streams(v133, face, mirror_left=True)["lhand"], atol=1e-6)
    assert not np.allclose(f[:, 60:150], L.smplfx_streams(v133, face)["lhand"])
    back = m3t_poses(f)
    np.testing.assert_allclose(back, x, atol=1e-4)
    np.testing.assert_allclose(L.mirror_hand(L.mirror_hand(v133[:, 30:75])), v133[:, 30:75], atol=1e-6)
    # torch path too
    back_t = m3t_poses(m3t_features(torch.from_numpy(x)))
    assert torch.allclose(back_t, torch.from_numpy(x), atol=1e-4)
    tok = PartwiseTokenizer("m3t", quantizer="fsq", **TINY)
    assert set(tok.encoders) == {"body", "hand", "face"}  # ONE hand encoder for both hands
    assert tok.quantizers["hand"] is tok.quantizers[tok._stream("lhand").vae]
    # a left hand equal to the mirror of the right hand gets the right hand's tokens
    v_sym = v133.copy()
    v_sym[:, 30:75] = L.mirror_hand(v133[:, 75:120])
    xs = np.concatenate([v_sym, L.face108_from(v_sym)], -1)
    tok.eval()
    ids = tok.encode(xs)
    assert torch.equal(ids["lhand"], ids["rhand"])


def test_encode_is_deterministic_and_leaves_state():
    torch.manual_seed(0)
    tok = PartwiseTokenizer("body_lhand_rhand", **TINY)
    x = torch.randn(2, 16, 133)
    tok.train()
    tok(x)  # initialises the EMA codebooks
    state = {k: v.clone() for k, v in tok.state_dict().items()}
    a, b = tok.encode(x), tok.encode(x)
    for k in a:
        assert torch.equal(a[k], b[k])
    for k, v in tok.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_normalisation_round_trip():
    tok = PartwiseTokenizer("whole", **TINY)
    mean, std = np.linspace(-1, 1, 133), np.linspace(0.0, 2, 133)
    tok.set_normalization(mean, std)
    x = torch.randn(3, 133)
    assert torch.allclose(tok.denormalize(tok.normalize(x)), x, atol=1e-5)
    assert torch.isfinite(tok.normalize(x)).all()  # std 0 floored
    with pytest.raises(ValueError):
        tok.set_normalization(mean[:10], std[:10])


@pytest.mark.parametrize("bad", [
    np.zeros((10, 132), np.float32),  # wrong dim
    np.full((10, 133), np.nan, np.float32),  # NaN
    np.zeros((0, 133), np.float32),  # empty
    np.zeros((133,), np.float32),  # no time axis
])
def test_bad_input_raises_value_error(bad):
    tok = PartwiseTokenizer("body_lhand_rhand", **TINY)
    for fn in (tok.encode, tok.reconstruct, tok.forward):
        with pytest.raises(ValueError):
            fn(bad)


def test_bad_tokens_and_options_raise_value_error():
    tok = PartwiseTokenizer("body_lhand_rhand", **TINY).eval()
    ok = {"body": torch.zeros(1, 3, dtype=torch.long), "lhand": torch.zeros(1, 3, dtype=torch.long),
          "rhand": torch.zeros(1, 3, dtype=torch.long)}
    tok.decode(ok)
    with pytest.raises(ValueError):
        tok.decode({"body": ok["body"]})
    with pytest.raises(ValueError):
        tok.decode({**ok, "body": torch.full((1, 3), 96)})
    with pytest.raises(ValueError):
        tok.decode({**ok, "body": torch.zeros(1, 4, dtype=torch.long)})
    with pytest.raises(ValueError):
        PartwiseTokenizer("legs")
    with pytest.raises(ValueError):
        PartwiseTokenizer("whole", quantizer="rvq")
    with pytest.raises(ValueError):
        PartwiseTokenizer("whole", codebook_sizes={"body": 8})
    m3t = PartwiseTokenizer("m3t", **TINY)
    with pytest.raises(ValueError, match="241"):
        m3t.encode(np.zeros((8, 133), np.float32))
