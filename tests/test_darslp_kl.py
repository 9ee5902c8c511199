"""Channel-aware KL regulariser (DARSLP Eq. 7) and its schedule."""

import math

import pytest
import torch

from slpkit.generators.darslp.channel_kl import ChannelKL, ChannelPrior, KLSchedule, gaussian_kl, masked_channel_stats


def _kl_hand(mu, var, mu_p, var_p):
    return 0.5 * (math.log(var_p / var) + (var + (mu - mu_p) ** 2) / var_p - 1.0)


def test_gaussian_kl_matches_hand_computed_values():
    # N(1, 4) || N(0, 1): 0.5 * (log(1/4) + (4 + 1) / 1 - 1) = 1.306853
    assert gaussian_kl(torch.tensor(1.0), torch.tensor(4.0), torch.tensor(0.0), torch.tensor(1.0)).item() == pytest.approx(1.306853, abs=1e-5)
    # N(2, 0.25) || N(2, 1): 0.5 * (log 4 + 0.25 - 1) = 0.318147
    assert gaussian_kl(torch.tensor(2.0), torch.tensor(0.25), torch.tensor(2.0), torch.tensor(1.0)).item() == pytest.approx(0.318147, abs=1e-5)


def test_channel_kl_uses_batch_statistics_and_region_weights():
    # two channels (region a = channel 0, region b = channel 1); batch B=1, T=2
    pred = torch.tensor([[[-1.0, 1.5], [3.0, 2.5]]])  # ch0: mean 1, var 4; ch1: mean 2, var 0.25
    prior = ChannelPrior(mu=torch.tensor([0.0, 2.0]), var=torch.tensor([1.0, 1.0]))
    slices = {"a": slice(0, 1), "b": slice(1, 2)}
    kl = ChannelKL(prior, slices, {"a": 1.0, "b": 1.0}, eps=0.0)
    per = kl.per_channel(pred)
    assert per[0].item() == pytest.approx(_kl_hand(1, 4, 0, 1), abs=1e-5)
    assert per[1].item() == pytest.approx(_kl_hand(2, 0.25, 2, 1), abs=1e-5)
    assert kl(pred).item() == pytest.approx(_kl_hand(1, 4, 0, 1) + _kl_hand(2, 0.25, 2, 1), abs=1e-5)
    # lambda_R multiplies exactly its region's channels
    kl3 = ChannelKL(prior, slices, {"a": 1.0, "b": 3.0}, eps=0.0)
    assert kl3(pred).item() == pytest.approx(_kl_hand(1, 4, 0, 1) + 3 * _kl_hand(2, 0.25, 2, 1), abs=1e-5)
    regions = kl.per_region(pred)
    assert regions["a"].item() == pytest.approx(_kl_hand(1, 4, 0, 1), abs=1e-5)


def test_kl_is_zero_when_statistics_match_the_prior():
    torch.manual_seed(0)
    enc = torch.randn(4, 30, 6) * torch.tensor([0.1, 1, 2, 3, 4, 5]) + 3
    prior = ChannelPrior.fit(enc)
    kl = ChannelKL(prior, {"x": slice(0, 3), "y": slice(3, 6)}, {"x": 1.0, "y": 5.0}, eps=0.0)
    assert kl(enc).item() == pytest.approx(0.0, abs=1e-5)
    assert kl(enc * 1.5).item() > 0.1


def test_mask_excludes_padded_frames():
    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[True, True, False]])
    mu, var = masked_channel_stats(x, mask)
    assert mu.item() == pytest.approx(2.0) and var.item() == pytest.approx(1.0)
    prior = ChannelPrior.fit([torch.tensor([[1.0], [3.0]])])
    assert ChannelKL(prior, {"a": slice(0, 1)}, {"a": 1.0}, eps=0.0)(x, mask).item() == pytest.approx(0.0, abs=1e-6)


def test_gradient_flows_to_predictions_and_pulls_towards_prior():
    torch.manual_seed(0)
    prior = ChannelPrior(mu=torch.zeros(4), var=torch.ones(4))
    kl = ChannelKL(prior, {"a": slice(0, 4)}, {"a": 1.0})
    pred = (torch.randn(2, 10, 4) * 0.1 + 2.0).requires_grad_()  # collapsed, shifted: regression to the mean
    opt = torch.optim.SGD([pred], lr=0.5)
    first = None
    for _ in range(50):
        loss = kl(pred)
        if first is None:
            first = loss.item()
            opt.zero_grad()
            loss.backward()
            assert pred.grad is not None and torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0
            opt.step()
            continue
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert kl(pred).item() < 0.1 * first
    assert pred.detach().std().item() > 0.5  # spread restored


def test_prior_fit_from_list_and_errors():
    p = ChannelPrior.fit([torch.zeros(3, 2), torch.ones(3, 2)])
    assert torch.allclose(p.mu, torch.full((2,), 0.5)) and torch.allclose(p.var, torch.full((2,), 0.25))
    with pytest.raises(ValueError):
        ChannelPrior.fit(torch.tensor([[float("nan"), 0.0], [1.0, 1.0]]))
    with pytest.raises(ValueError):
        ChannelKL(p, {"a": slice(0, 2)}, {"nope": 1.0})
    with pytest.raises(ValueError):
        ChannelKL(p, {"a": slice(0, 2)}, {"a": 1.0})(torch.zeros(1, 4, 3))


def test_kl_schedule_modes():
    assert [KLSchedule("none", 3).factor(e) for e in range(5)] == [0, 0, 0, 0, 0]
    assert [KLSchedule("from_start", 3).factor(e) for e in range(5)] == [1, 1, 1, 1, 1]
    assert [KLSchedule("staged", 3, weight=2.0).factor(e) for e in range(5)] == [0, 0, 0, 2, 2]
    assert KLSchedule("staged", 2, ramp_epochs=2).factor(2) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        KLSchedule("cyclic")
