"""Back-translation evaluator: learns (GT >> shuffled-pose control), checkpoint round trip, cache."""

import time

import numpy as np
import pytest

from slpkit.eval.backtranslation import (
    BackTranslator,
    BackTranslatorConfig,
    Vocab,
    backtranslator_path,
    derangement,
    detokenize,
    ground_truth_row,
    score_translations,
    tokenize,
    train_backtranslator,
    upper_bound_table,
)


@pytest.fixture(scope="module")
def trained(corpus):
    cfg = BackTranslatorConfig.smoke()
    t0 = time.process_time()  # CPU seconds of this process: robust to other jobs sharing the cores
    bt = train_backtranslator(corpus, "v133", cfg, cache=True, progress_bar=False)
    return bt, time.process_time() - t0, cfg


def test_tokenize_detokenize_round_trip(corpus):
    for s in corpus.sentences[:60]:
        assert detokenize(tokenize(s.text, s.language), s.language) == s.text
    assert tokenize("我喜欢苹果。", "csl") == ["我", "喜", "欢", "苹", "果", "。"]
    assert tokenize("Ich mag Äpfel.", "dgs") == ["Ich", "mag", "Äpfel", "."]


def test_vocab_encode_decode():
    v = Vocab.build(["the dog runs.", "狗跑。"], ["asl", "csl"])
    assert v.decode(v.encode("the dog runs.", "asl") + [2], "asl") == "the dog runs."
    assert v.decode(v.encode("狗跑。", "csl"), "csl") == "狗跑。"
    assert v.encode("unseen", "asl") == [1]


def test_ground_truth_beats_shuffled_poses(corpus, trained):
    bt, seconds, _ = trained
    assert seconds < 60, f"smoke back-translator took {seconds:.1f} CPU s"
    gt = ground_truth_row(corpus, "test", translator=bt)
    shuffled = ground_truth_row(corpus, "test", translator=bt, shuffled=True, seed=0)
    assert set(gt["per_language"]) == set(corpus.languages)
    print("GT", {k: round(gt[k], 1) for k in ("bleu1", "bleu4", "chrf", "rouge_l")},
          "shuffled", {k: round(shuffled[k], 1) for k in ("bleu1", "bleu4", "chrf", "rouge_l")})
    assert gt["bleu4"] > 2 * shuffled["bleu4"] and gt["bleu4"] > shuffled["bleu4"] + 4, (gt["bleu4"], shuffled["bleu4"])
    assert gt["bleu1"] > shuffled["bleu1"] + 3 and gt["rouge_l"] > shuffled["rouge_l"] + 5
    t = upper_bound_table({"ground truth": gt, "shuffled poses": shuffled})
    assert [r[0] for r in t["rows"]] == ["ground truth", "shuffled poses"] and len(t["columns"]) == 7


def test_checkpoint_round_trip_and_cache(corpus, trained, tmp_path):
    bt, _, cfg = trained
    test = corpus.split("test")[:10]
    poses = [s.v133 for s in test]
    langs = [s.language for s in test]
    ref = bt.translate(poses, langs)
    bt2 = BackTranslator.load(bt.save(tmp_path / "bt.pt"))
    assert bt2.translate(poses, langs) == ref
    # the cached checkpoint is loaded, not retrained
    path = backtranslator_path(corpus, "v133", cfg)
    assert path.exists()
    t0 = time.perf_counter()
    bt3 = train_backtranslator(corpus, "v133", cfg, cache=True, progress_bar=False)
    assert time.perf_counter() - t0 < 5
    assert bt3.translate(poses, langs) == ref
    # a different config gets another key
    assert backtranslator_path(corpus, "v133", BackTranslatorConfig.smoke()) == path
    assert backtranslator_path(corpus, "v133", BackTranslatorConfig.for_mode("smoke", d_model=32)) != path
    # corrupt / missing checkpoints are named
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt"):
        BackTranslator.load(bad)
    with pytest.raises(FileNotFoundError, match="nothere.pt"):
        BackTranslator.load(tmp_path / "nothere.pt")


def test_translate_validates_inputs(trained):
    bt, _, _ = trained
    with pytest.raises(ValueError, match="133"):
        bt.translate([np.zeros((10, 132), np.float32)], ["asl"])
    with pytest.raises(ValueError, match="language"):
        bt.translate([np.zeros((10, 133), np.float32)], ["xx"])
    with pytest.raises(ValueError, match="NaN"):
        bt.translate([np.full((10, 133), np.nan, np.float32)], ["asl"])


def test_score_translations_weights_languages():
    res = score_translations(["the cat sat", "猫坐"], ["the cat sat", "狗跑"], ["asl", "csl"])
    assert res["per_language"]["asl"]["bleu1"] == pytest.approx(100)
    assert res["bleu1"] == pytest.approx((100 + res["per_language"]["csl"]["bleu1"]) / 2)


def test_derangement_has_no_fixed_point():
    for n in (2, 3, 10, 50):
        p = derangement(n, seed=n)
        assert sorted(p.tolist()) == list(range(n)) and not (p == np.arange(n)).any()
