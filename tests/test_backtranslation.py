"""Back-translation evaluator: learns (GT >> shuffled-pose control, low gloss WER), checkpoint round trip, cache."""

import numpy as np
import pytest

from slpkit.data.datamodule import corpus_features
from slpkit.data.vocab import TextVocab, detokenize, tokenize
from slpkit.eval.backtranslation import (
    BackTranslator,
    BackTranslatorConfig,
    derangement,
    ground_truth_row,
    recognition_wer,
    score_translations,
    train_backtranslator,
    upper_bound_table,
)
from slpkit.metrics.bootstrap import paired_bootstrap
from slpkit.training import artifact_dir
from slpkit.eval.backtranslation import backtranslator_key


@pytest.fixture(scope="module")
def trained(corpus):
    cfg = BackTranslatorConfig.smoke()
    bt = train_backtranslator(corpus, "v133", cfg, cache=True, progress=False)
    return bt, cfg


def test_tokenize_detokenize_round_trip(corpus):
    for s in corpus.sentences[:60]:
        assert detokenize(tokenize(s.text, s.language), s.language) == s.text
    assert tokenize("我喜欢苹果。", "csl") == ["我", "喜", "欢", "苹", "果", "。"]
    assert tokenize("Ich mag Äpfel.", "dgs") == ["Ich", "mag", "Äpfel", "."]


def test_vocab_encode_decode():
    v = TextVocab.build(["the dog runs.", "狗跑。"], ["asl", "csl"])
    assert v.decode(v.encode("the dog runs.", "asl", eos=True), "asl") == "the dog runs."
    assert v.decode(v.encode("狗跑。", "csl"), "csl") == "狗跑。"
    assert v.encode("unseen", "asl") == [v.unk_id]
    assert TextVocab.from_dict(v.to_dict()).itos == v.itos
    with pytest.raises(ValueError, match="integer"):
        v.decode([True, 4], "asl")


def test_ground_truth_beats_shuffled_poses(corpus, trained):
    bt, _ = trained
    gt = ground_truth_row(corpus, "test", translator=bt, return_hyps=True)
    shuffled = ground_truth_row(corpus, "test", translator=bt, shuffled=True, seed=0, return_hyps=True)
    assert set(gt["per_language"]) == set(corpus.languages)
    print("GT", {k: round(gt[k], 1) for k in ("bleu1", "bleu4", "chrf", "rouge_l")},
          "shuffled", {k: round(shuffled[k], 1) for k in ("bleu1", "bleu4", "chrf", "rouge_l")})
    # signal: BLEU-4 >= 30 on the real poses and at most a fifth of it from language priors alone (issue 9;
    # measured on seeds 0-2 and three CPU kernel sets: 49-63 vs 0.8-1.4)
    assert gt["bleu4"] >= 30 and shuffled["bleu4"] <= gt["bleu4"] / 5, (gt["bleu4"], shuffled["bleu4"])
    # and the gap is far beyond resampling noise of the test sentences
    n = len(gt["hyps"])
    cmp = paired_bootstrap(gt["bleu4_statistic"], shuffled["bleu4_statistic"], better="higher", n=n)
    assert cmp["verdict"] == "holds" and cmp["lo"] > 20, cmp
    t = upper_bound_table({"ground truth": gt, "shuffled poses": shuffled})
    assert [r[0] for r in t["rows"]] == ["ground truth", "shuffled poses"] and len(t["columns"]) == 7


def test_recogniser_gloss_wer(corpus, trained):
    bt, _ = trained
    test = corpus.split("test")
    feats = corpus_features(corpus, "v133")
    poses, glosses = [feats[s.id] for s in test], [s.gloss for s in test]
    w = recognition_wer(bt, poses, glosses)
    shuffled = recognition_wer(bt, [poses[i] for i in derangement(len(poses))], glosses)
    print(f"gloss WER {w:.1f} (shuffled poses {shuffled:.1f})")
    assert w < 15 and shuffled > 50, (w, shuffled)  # measured 1.7-3.5 on seeds 0-2


def test_checkpoint_round_trip_and_cache(corpus, trained, tmp_path):
    bt, cfg = trained
    test = corpus.split("test")[:10]
    poses = [s.v133 for s in test]
    langs = [s.language for s in test]
    ref = bt.translate(poses, langs)
    bt2 = BackTranslator.load(bt.save(tmp_path / "bt.pt"))
    assert bt2.translate(poses, langs) == ref
    # the cached checkpoint is loaded, not retrained
    folder = artifact_dir("backtranslator", backtranslator_key(corpus, "v133", cfg))
    assert (folder / "artifact").exists() and (folder / "meta.json").exists()
    calls = []
    import slpkit.eval.backtranslation as B

    orig = B.fit
    B.fit = lambda *a, **k: calls.append(1) or orig(*a, **k)
    try:
        bt3 = train_backtranslator(corpus, "v133", cfg, cache=True, progress=False)
    finally:
        B.fit = orig
    assert not calls and bt3.translate(poses, langs) == ref
    # the hardware fields are not part of the key, the model fields are
    key = backtranslator_key(corpus, "v133", cfg)
    assert backtranslator_key(corpus, "v133", BackTranslatorConfig.for_mode("smoke", device="cpu")) == key
    assert backtranslator_key(corpus, "v133", BackTranslatorConfig.for_mode("smoke", d_model=32)) != key
    # corrupt / missing checkpoints are named
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt"):
        BackTranslator.load(bad)
    with pytest.raises(FileNotFoundError, match="nothere.pt"):
        BackTranslator.load(tmp_path / "nothere.pt")


def test_translate_validates_inputs(trained):
    bt, _ = trained
    with pytest.raises(ValueError, match="133"):
        bt.translate([np.zeros((10, 132), np.float32)], ["asl"])
    with pytest.raises(ValueError, match="language"):
        bt.translate([np.zeros((10, 133), np.float32)], ["xx"])
    with pytest.raises(ValueError, match="NaN"):
        bt.translate([np.full((10, 133), np.nan, np.float32)], ["asl"])
    with pytest.raises(ValueError, match="zh_tokens"):
        BackTranslatorConfig(zh_tokens="word")


def test_score_translations_weights_languages():
    res = score_translations(["the cat sat", "猫坐"], ["the cat sat", "狗跑"], ["asl", "csl"])
    assert res["per_language"]["asl"]["bleu1"] == pytest.approx(100)
    assert res["bleu1"] == pytest.approx((100 + res["per_language"]["csl"]["bleu1"]) / 2)


def test_derangement_has_no_fixed_point():
    for n in (2, 3, 10, 50):
        p = derangement(n, seed=n)
        assert sorted(p.tolist()) == list(range(n)) and not (p == np.arange(n)).any()
