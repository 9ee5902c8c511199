"""Orderings judged against their noise: the paired bootstrap, its verdicts and the corpus statistics it resamples."""

import numpy as np
import pytest

from slpkit.metrics.bootstrap import bootstrap_ci, ordering, orderings_table, paired_bootstrap, weighted_mean
from slpkit.metrics.dtw import dtw_mje_slrtp
from slpkit.metrics.text import bleu, bleu_statistic, chrf, chrf_statistic

RNG = np.random.default_rng(0)
A = RNG.normal(1.0, 1.0, 200)


def test_verdicts_follow_the_interval():
    better = A - 0.3 + RNG.normal(0, 0.2, 200)           # lower error on (almost) every sentence
    r = paired_bootstrap(better, A, better="lower", seed=1)
    assert r["verdict"] == "holds" and r["lo"] > 0 and r["diff"] == pytest.approx(A.mean() - better.mean())
    assert paired_bootstrap(A, better, better="lower")["verdict"] == "reversed"
    assert paired_bootstrap(better, A, better="higher")["verdict"] == "reversed"   # the direction matters
    noise = A + RNG.normal(0, 0.5, 200)                  # same mean, only noise
    assert paired_bootstrap(noise, A)["verdict"] == "within noise"
    # the interval is paired: a constant offset is certain even when sentences vary a lot
    assert paired_bootstrap(A - 0.01, A)["verdict"] == "holds"
    # deterministic for a seed
    assert paired_bootstrap(noise, A, seed=3) == paired_bootstrap(noise, A, seed=3)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="same test sentences"):
        paired_bootstrap(A, A[:10])
    with pytest.raises(ValueError, match="better"):
        paired_bootstrap(A, A, better="smaller")
    with pytest.raises(ValueError, match="NaN"):
        paired_bootstrap(np.r_[A[:-1], np.nan], A)
    with pytest.raises(ValueError, match="n="):
        paired_bootstrap(lambda i: 1.0, lambda i: 2.0)
    with pytest.raises(ValueError, match="resamples"):
        paired_bootstrap(A, A, n_resamples=10)


def test_corpus_statistics_equal_sacrebleu_on_any_subset():
    hyps = ["the cat sat on the mat .", "a dog runs", "我喜欢苹果", "狗跑", "the bird sings", "猫睡觉了"]
    refs = ["the cat sat on a mat .", "the dog runs fast", "我喜欢苹果", "狗跑了", "a bird sings", "猫睡觉"]
    langs = ["asl", "asl", "csl", "csl", "asl", "csl"]
    f, g = bleu_statistic(hyps, refs, langs), chrf_statistic(hyps, refs, langs)
    for idx in (np.arange(6), np.array([0, 1, 4]), np.array([2, 3, 5, 5])):
        per = {l: [i for i in idx if langs[i] == l] for l in ("asl", "csl")}
        want_b = sum(len(v) * bleu([hyps[i] for i in v], [refs[i] for i in v], l)["bleu4"] for l, v in per.items() if v)
        want_c = sum(len(v) * chrf([hyps[i] for i in v], [refs[i] for i in v], l) for l, v in per.items() if v)
        assert f(idx) == pytest.approx(want_b / len(idx)) and g(idx) == pytest.approx(want_c / len(idx))


def test_weighted_statistics_and_confidence_interval():
    x = RNG.normal(size=(5, 10, 3))
    means, counts = dtw_mje_slrtp([x, x[:6]], [x[::-1], x], per_sequence=True)
    assert weighted_mean(means, counts)(np.arange(2)) == pytest.approx(dtw_mje_slrtp([x, x[:6]], [x[::-1], x]))
    v, lo, hi = bootstrap_ci(A)
    assert lo < v < hi and v == pytest.approx(A.mean()) and hi - lo < 0.5


def test_orderings_table_carries_the_interval_and_verdict():
    o = ordering("A beats B", A - 0.3, A, source="Paper Table 1", metric="DTW", better="lower", a_name="A", b_name="B")
    t = orderings_table([o])
    row = t["rows"][0]
    assert row[0] == "A beats B" and row[-1] == "holds" and row[-2].startswith("[+") and "synthetic" in t["note"].lower()
    assert o.as_dict()["verdict"] == "holds" and "holds" in str(o)
