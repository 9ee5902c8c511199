"""Codebook statistics, text metrics (BLEU / chrF / ROUGE-L) and latency."""

import math

import numpy as np
import pytest
import torch
from sacrebleu.metrics import BLEU

from slpkit.metrics import bleu, chrf, codebook_stats, measure_latency, rouge_l, tokens, translation_scores


# ------------------------------------------------------------------ codebook
def test_codebook_hand_computed():
    s = codebook_stats(np.array([[0, 0, 1, 3]]), codebook_size=8)
    assert s["utilisation"] == pytest.approx(100 * 3 / 8)
    p = np.array([0.5, 0.25, 0.25])
    assert s["perplexity"] == pytest.approx(math.exp(-(p * np.log(p)).sum()))  # = 2 * sqrt(2)
    assert s["perplexity"] == pytest.approx(2 * math.sqrt(2))
    np.testing.assert_array_equal(s["counts"], [2, 1, 0, 1, 0, 0, 0, 0])


def test_codebook_uniform_and_collapsed_and_list_input():
    uni = codebook_stats(torch.arange(16).repeat(3), 16)
    assert uni["utilisation"] == 100.0 and uni["perplexity"] == pytest.approx(16.0)
    col = codebook_stats([np.array([5, 5]), np.array([5])], 16)
    assert col["perplexity"] == pytest.approx(1.0) and col["utilisation"] == pytest.approx(100 / 16)


def test_codebook_bad_input():
    with pytest.raises(ValueError, match="no indices"):
        codebook_stats(np.array([], dtype=np.int64), 4)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        codebook_stats([0, 4], 4)
    with pytest.raises(ValueError, match="integers"):
        codebook_stats(np.array([0.0, np.nan]), 4)


# ---------------------------------------------------------------------- text
def test_bleu_identical_and_disjoint():
    hyps = ["the man signs a long story", "we go home now today"]
    same = bleu(hyps, hyps, "asl")
    assert all(v == pytest.approx(100.0) for v in same.values())
    disjoint = bleu(["aa bb cc dd ee"], ["ff gg hh ii jj"], "asl")
    assert all(v == pytest.approx(0.0, abs=1e-6) for v in disjoint.values())


def test_bleu_n_orders():
    # 4 hyp tokens, 3 of 4 unigrams and 2 of 3 bigrams match, same length (BP = 1)
    b = bleu(["a b c d"], ["a b c e"], "dgs")
    assert b["bleu1"] == pytest.approx(75.0)
    assert b["bleu2"] == pytest.approx(100 * math.sqrt(0.75 * 2 / 3))
    assert b["bleu1"] >= b["bleu2"] >= b["bleu3"] >= b["bleu4"]


def test_no_extra_tokenisation():
    # with tokenize='none' the comma stays glued to the word: "hello," != "hello"
    b = bleu(["hello, world"], ["hello world"], "asl")
    assert b["bleu1"] == pytest.approx(50.0)


def test_chinese_scored_per_character():
    assert tokens("我 爱你", "csl") == ["我", "爱", "你"]
    hyp, ref = "我喜欢猫", "我喜欢狗"  # one word each without spaces: 3 of 4 characters match
    b = bleu([hyp], [ref], "csl")
    assert b["bleu1"] == pytest.approx(75.0)
    want = BLEU(max_ngram_order=2, tokenize="none").corpus_score(["我 喜 欢 猫"], [["我 喜 欢 狗"]]).score
    assert b["bleu2"] == pytest.approx(want)
    assert bleu([hyp], [ref], "asl")["bleu1"] == pytest.approx(0.0)  # as a single token it is wrong
    assert rouge_l([hyp], [ref], "zh") == pytest.approx(75.0)


def test_rouge_l_hand_computed():
    # hyp "a b c d e", ref "a c e f": LCS = "a c e" = 3; P = 3/5, R = 3/4; F1 = 2PR/(P+R) = 2/3
    assert rouge_l(["a b c d e"], ["a c e f"]) == pytest.approx(100 * 2 / 3)
    # beta = 1.2 (coco-caption) -> (1 + b^2) P R / (R + b^2 P)
    p, r, b = 0.6, 0.75, 1.2
    assert rouge_l(["a b c d e"], ["a c e f"], beta=1.2) == pytest.approx(100 * (1 + b * b) * p * r / (r + b * b * p))
    # averaged over sentences; an empty hypothesis scores 0
    assert rouge_l(["x y", ""], ["x y", "z"]) == pytest.approx(50.0)


def test_chrf_and_translation_scores():
    s = translation_scores(["the cat sat on the mat"], ["the cat sat on the mat"], "asl")
    assert set(s) == {"bleu1", "bleu2", "bleu3", "bleu4", "chrf", "rouge_l"}
    assert all(v == pytest.approx(100.0) for v in s.values())
    assert 0 < chrf(["the cat sat"], ["the cat sit"]) < 100


def test_text_bad_input():
    with pytest.raises(ValueError, match="one reference per hypothesis"):
        bleu(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="empty corpus"):
        rouge_l([], [])
    with pytest.raises(ValueError, match="not a single string"):
        chrf("abc", "abc")


# ------------------------------------------------------------------- latency
def test_measure_latency():
    calls = []
    r = measure_latency(lambda x, y=0: calls.append(x + y), 1, y=2, repeats=4, warmup=2)
    assert len(calls) == 6 and calls[0] == 3
    assert r["repeats"] == 4 and len(r["times_s"]) == 4
    assert r["min_s"] <= r["median_s"] <= r["max_s"] and r["mean_s"] >= 0 and r["std_s"] >= 0
    with pytest.raises(ValueError, match="repeats"):
        measure_latency(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="callable"):
        measure_latency(3)
