"""SignSparK conditional flow matching: path, target, keyframe overwrite, loss masking, solvers, guidance."""

import numpy as np
import pytest
import torch

from slpkit.generators.signspark import text as textvocab
from slpkit.generators.signspark.flow import (LossWeights, cfm_loss, euler, guided_field, heun, impose_keyframes,
                                              sample_time, solve, straight_path)
from slpkit.generators.signspark.pipeline import CFMConfig, CFMModule


def _tiny_module(seed=0, **over):
    torch.manual_seed(seed)
    cfg = CFMConfig.for_mode("smoke", d_model=32, n_heads=4, layers=1, ff_dim=32, **over)
    v = textvocab.build_vocab(["the dog runs", "a cat sits"], ["asl", "asl"])
    m = CFMModule(cfg, textvocab.vocab_state(v), np.zeros(296), np.ones(296))
    for p in m.net.out.parameters():  # an untrained but non-trivial field (the output layer starts at zero)
        torch.nn.init.normal_(p, std=0.05)
    return m.eval()


def test_path_and_target_equal_torchcfm_sigma0():
    cfm = pytest.importorskip("torchcfm.conditional_flow_matching",
                              reason="pip install --no-deps torchcfm==1.0.7 POT (see the Makefile)")
    g = torch.Generator().manual_seed(0)
    x0, x1 = torch.randn(5, 7, 296, generator=g), torch.randn(5, 7, 296, generator=g)
    t = torch.rand(5, generator=g)
    t_ref, xt_ref, ut_ref = cfm.ConditionalFlowMatcher(sigma=0.0).sample_location_and_conditional_flow(x0, x1, t)
    xt, ut = straight_path(x0, x1, t)
    assert torch.equal(t_ref, t)
    torch.testing.assert_close(xt, xt_ref, rtol=0, atol=1e-6)
    torch.testing.assert_close(ut, ut_ref, rtol=0, atol=0)


def test_time_is_uniform_on_eps_1():
    t = sample_time(20000, eps=0.05, generator=torch.Generator().manual_seed(0))
    assert float(t.min()) >= 0.05 and float(t.max()) <= 1.0
    assert abs(float(t.mean()) - 0.525) < 0.01
    with pytest.raises(ValueError, match="eps"):
        sample_time(3, eps=1.0)


def test_keyframes_overwrite_x0_and_xt_so_the_target_is_zero_there():
    x0, x1 = torch.randn(2, 9, 4), torch.randn(2, 9, 4)
    kf = torch.zeros(2, 9, dtype=torch.bool)
    kf[0, [0, 4, 8]] = True
    x0k = impose_keyframes(x0, x1, kf)
    xt, u = straight_path(x0k, x1, torch.tensor([0.3, 0.7]))
    torch.testing.assert_close(xt[kf], x1[kf])  # t x1 + (1 - t) x1: x1 up to rounding ...
    xt = impose_keyframes(xt, x1, kf)  # ... so x_t is overwritten too (SignSparK's code), exactly
    assert torch.equal(xt[kf], x1[kf]) and bool((u[kf] == 0).all())
    torch.testing.assert_close(xt[1], 0.7 * x1[1] + 0.3 * x0[1])  # no keyframes in row 1: the plain path
    assert torch.equal(x0k[~kf], x0[~kf])


def test_euler_one_step_on_a_constant_field_is_exact_and_heun_too():
    x0 = torch.randn(3, 5, 2)
    c = torch.randn(3, 5, 2)
    field = lambda x, t: c
    assert torch.equal(euler(field, x0, steps=1), x0 + c)
    torch.testing.assert_close(heun(field, x0, steps=1), x0 + c)
    # a linear-in-time field v = 2t: x(1) = x0 + 1; Heun (trapezoid) is exact on it, Euler is not
    f2 = lambda x, t: 2 * t[:, None, None] * torch.ones_like(x)
    torch.testing.assert_close(heun(f2, x0, steps=3), x0 + 1)
    assert not torch.allclose(euler(f2, x0, steps=3), x0 + 1)


def test_solvers_count_function_evaluations():
    calls = []
    field = lambda x, t: calls.append(float(t[0])) or torch.zeros_like(x)
    euler(field, torch.zeros(1, 2, 1), steps=50)
    assert len(calls) == 50 and calls[0] == 0.0 and calls[-1] == pytest.approx(0.98)
    calls.clear()
    heun(field, torch.zeros(1, 2, 1), steps=25)
    assert len(calls) == 50 and calls[-1] == pytest.approx(1.0)  # Heun-25 costs what Euler-50 costs
    with pytest.raises(ValueError, match="steps"):
        solve(field, torch.zeros(1, 2, 1), "euler", 0)
    with pytest.raises(ValueError, match="solver"):
        solve(field, torch.zeros(1, 2, 1), "rk4", 5)


def test_solvers_reimpose_keyframes_before_every_step():
    x0 = torch.randn(1, 6, 3)
    vals = torch.randn(1, 6, 3)
    kf = torch.zeros(1, 6, dtype=torch.bool)
    kf[0, [1, 4]] = True
    seen = []

    def field(x, t):
        seen.append(torch.equal(x[kf], vals[kf]))
        return torch.randn_like(x)  # a field that would move the keyframes

    for solver in ("euler", "heun"):
        out = solve(field, x0, solver, 4, vals, kf)
        assert torch.equal(out[kf], vals[kf])
    assert all(seen) and len(seen) == 4 + 8


def test_guidance_formula_and_scale_one_is_the_conditional_model():
    cond = lambda x, t: x + 1.0
    unc = lambda x, t: 2.0 * x
    x, t = torch.randn(2, 3, 4), torch.rand(2)
    assert guided_field(cond, unc, 1.0) is cond
    torch.testing.assert_close(guided_field(cond, unc, 2.5)(x, t), 2 * x + 2.5 * (x + 1 - 2 * x))
    with pytest.raises(ValueError, match="unconditional"):
        guided_field(cond, None, 2.0)


def test_module_guidance_scale_one_equals_conditional_and_other_scales_differ():
    m = _tiny_module()
    kw = dict(lengths=[12, 9], keyframes=[[0, 5, 11], None], keyframe_values=[np.random.rand(3, 296), None],
              steps=4, seed=3)
    texts, langs = ["the dog runs", "a cat sits"], ["asl", "asl"]
    a = m.sample(texts, langs, guidance_scale=1.0, **kw)
    # the conditional model by hand: cond field only, same noise
    calls = []
    orig = m.net.forward
    m.net.forward = lambda *args, **kws: calls.append(args[0].shape[0]) or orig(*args, **kws)
    b = m.sample(texts, langs, guidance_scale=1.0, **kw)
    c = m.sample(texts, langs, guidance_scale=3.0, **kw)
    m.net.forward = orig
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert calls[:4] == [2, 2, 2, 2] and calls[4:] == [4] * 4  # scale 1: one pass of B; else one batched pass of 2B
    assert not np.allclose(a[1], c[1])


def test_sampling_returns_exactly_the_given_keyframes_and_lengths():
    m = _tiny_module()
    vals = np.random.default_rng(0).normal(size=(4, 296)).astype(np.float32)
    for solver, steps in (("euler", 3), ("heun", 2)):
        out = m.sample(["the dog runs", "the dog runs"], ["asl", "asl"], [20, 7], [[0, 3, 10, 19], [6]],
                       [vals, vals[:1]], solver=solver, steps=steps, guidance_scale=2.0)
        assert [len(o) for o in out] == [20, 7]
        assert np.array_equal(out[0][[0, 3, 10, 19]], vals) and np.array_equal(out[1][6], vals[0])
        assert np.isfinite(out[0]).all()


def test_sampling_is_seeded_and_the_noise_matters():
    m = _tiny_module()
    a = m.sample(["the dog runs"], ["asl"], [10], steps=3, seed=1)
    b = m.sample(["the dog runs"], ["asl"], [10], steps=3, seed=1)
    c = m.sample(["the dog runs"], ["asl"], [10], steps=3, seed=2)
    assert np.array_equal(a[0], b[0]) and not np.allclose(a[0], c[0])


def test_loss_is_signspark_weighted_sum_and_ignores_padded_frames():
    g = torch.Generator().manual_seed(0)
    B, T, D = 3, 10, 6
    x0, x1, v = (torch.randn(B, T, D, generator=g) for _ in range(3))
    t = torch.rand(B, generator=g)
    mask = torch.arange(T)[None] < torch.tensor([10, 6, 3])[:, None]
    w = LossWeights()
    ref = cfm_loss(v, x0, x1, t, mask, w)
    assert (w.flow, w.recon, w.velocity, w.acceleration) == (0.5, 1.0, 0.5, 0.1)
    total = 0.5 * ref["flow"] + ref["recon"] + 0.5 * ref["velocity"] + 0.1 * ref["acceleration"]
    torch.testing.assert_close(ref["loss"], total)
    # x1_est = x_t + (1 - t) v: a perfect v (= x1 - x0) gives zero for every term
    assert float(cfm_loss(x1 - x0, x0, x1, t, mask)["loss"]) < 1e-10
    # garbage in padded frames changes nothing
    x0b, x1b, vb = x0.clone(), x1.clone(), v.clone()
    for a in (x0b, x1b, vb):
        a[~mask] = 1e6
    out = cfm_loss(vb, x0b, x1b, t, mask, w)
    for k in ref:
        torch.testing.assert_close(out[k], ref[k])


def test_module_loss_ignores_padded_frames():
    m = _tiny_module().train()
    items = [(np.random.default_rng(i).normal(size=(n, 296)).astype(np.float32), "the dog runs", "asl", [0, n // 2, n - 1])
             for i, n in enumerate((14, 9))]
    batch = m.collate(items)
    padded = dict(batch, x=batch["x"].clone())
    padded["x"][1, 9:] = 123.0
    torch.manual_seed(0)
    a = m.losses(batch)
    torch.manual_seed(0)
    b = m.losses(padded)
    for k in ("flow", "recon", "velocity", "acceleration", "loss"):
        torch.testing.assert_close(a[k], b[k])


def test_condition_dropout_and_unconditional_pass_use_null_text():
    m = _tiny_module()
    ids, mask = m.encode_text(["the dog runs", "a cat sits"], ["asl", "asl"])
    mem, mm = m.net.encode_text(ids, mask, drop=torch.tensor([True, False]))
    assert mm[0].tolist() == [True] + [False] * (mm.shape[1] - 1) and bool(mm[1].all())
    torch.testing.assert_close(mem[0, 0], m.net.text.null[0, 0])


def test_save_and_load_round_trip(tmp_path):
    m = _tiny_module()
    m.save(tmp_path / "m.pt")
    m2 = CFMModule.load(tmp_path / "m.pt")
    a = m.sample(["the dog runs"], ["asl"], [8], steps=2)
    b = m2.sample(["the dog runs"], ["asl"], [8], steps=2)
    assert np.array_equal(a[0], b[0])
