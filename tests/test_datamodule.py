"""SignDataModule: padding/mask, SOKE normalisation round trip, disjoint splits, feature cache."""

import numpy as np
import pytest
import torch

from slpkit.data.corpus import Corpus
from slpkit.data.datamodule import (
    SignDataModule,
    available_representations,
    collate_motion,
    corpus_features,
    feature_stats,
)


def test_splits_are_disjoint_and_cover_the_corpus(corpus):
    dm = SignDataModule(corpus, "v133", batch_size=4)
    ids = {sp: {b for batch in getattr(dm, f"{sp}_dataloader")() for b in batch["id"]} for sp in ("train", "val", "test")}
    assert ids["train"] and ids["val"] and ids["test"]
    assert not ids["train"] & ids["val"] and not ids["train"] & ids["test"] and not ids["val"] & ids["test"]
    assert set().union(*ids.values()) == {s.id for s in corpus.sentences}


def test_padding_and_mask(corpus):
    dm = SignDataModule(corpus, "v133", batch_size=5, normalise=False, shuffle_train=False)
    batch = next(iter(dm.train_dataloader()))
    sents = corpus.split("train")[:5]
    B, T, D = batch["motion"].shape
    assert (B, D) == (5, 133) and batch["motion"].dtype == torch.float32
    assert batch["mask"].dtype == torch.bool and batch["mask"].shape == (B, T)
    assert batch["lengths"].tolist() == [s.num_frames for s in sents]
    assert T == max(s.num_frames for s in sents)
    for i, s in enumerate(sents):
        L = s.num_frames
        assert batch["mask"][i, :L].all() and not batch["mask"][i, L:].any()
        np.testing.assert_array_equal(batch["motion"][i, :L].numpy(), s.v133)
        assert torch.all(batch["motion"][i, L:] == 0)
        assert batch["text"][i] == s.text and batch["id"][i] == s.id and batch["language"][i] == s.language
        assert batch["gloss"][i] == list(s.gloss)


def test_normalisation_round_trip_and_train_statistics(corpus):
    dm = SignDataModule(corpus, "face108", batch_size=8, shuffle_train=False)
    train = np.concatenate([s.face108 for s in corpus.split("train")]).astype(np.float64)
    np.testing.assert_allclose(dm.mean, train.mean(0), atol=1e-5)
    np.testing.assert_allclose(dm.std, train.std(0), atol=1e-5)
    batch = next(iter(dm.val_dataloader()))
    s0 = corpus.split("val")[0]
    L = s0.num_frames
    np.testing.assert_allclose(batch["motion"][0, :L].numpy(), (s0.face108 - dm.mean) / (dm.std + 1e-10), rtol=1e-5, atol=1e-4)
    back = dm.denormalise(batch["motion"])  # torch in, torch out
    assert isinstance(back, torch.Tensor)
    np.testing.assert_allclose(back[0, :L].numpy(), s0.face108, atol=1e-4)
    x = corpus.split("test")[0].face108
    np.testing.assert_allclose(dm.denormalise(dm.normalise(x)), x, atol=1e-5)
    # the normalised train frames have zero mean and unit variance where the data moves
    z = dm.normalise(train.astype(np.float32))
    moving = dm.std > 1e-4
    np.testing.assert_allclose(z.mean(0)[moving], 0, atol=1e-3)
    np.testing.assert_allclose(z.std(0)[moving], 1, atol=1e-3)


@pytest.mark.parametrize("rep,dim", [("v133", 133), ("parts", 133), ("body", 43), ("face108", 108),
                                     ("rot6d", 296), ("keypoints178", 534)])
def test_representations_have_documented_widths(corpus, rep, dim):
    assert rep in available_representations()
    # 10 sentences per split: computing 178 keypoints for the whole corpus would take this test 20 s
    small = Corpus([s for name in ("train", "val", "test") for s in corpus.split(name)[:10]], [], dict(corpus.meta))
    dm = SignDataModule(small, rep, batch_size=2)
    assert dm.dim == dim
    batch = next(iter(dm.test_dataloader()))
    assert batch["motion"].shape[-1] == dim and torch.isfinite(batch["motion"]).all()


def test_features_are_cached_once_per_corpus(corpus):
    a = corpus_features(corpus, "parts")
    b = SignDataModule(corpus, "parts")._features
    assert a is b
    s = corpus.sentences[0]
    from slpkit.body.layouts import PART_INDICES

    np.testing.assert_array_equal(a[s.id][:, :43], s.v133[:, PART_INDICES["body"]])


def test_max_len_and_errors(corpus):
    dm = SignDataModule(corpus, "v133", batch_size=3, max_len=16, crop="random")
    batch = next(iter(dm.train_dataloader()))
    assert batch["motion"].shape[1] <= 16 and batch["lengths"].max() <= 16
    with pytest.raises(ValueError, match="unknown representation"):
        SignDataModule(corpus, "nope")
    with pytest.raises(ValueError, match="empty"):
        feature_stats([])
    with pytest.raises(ValueError, match="empty batch"):
        collate_motion([])


def test_soke_length_rules_option(corpus):
    dm = SignDataModule(corpus, "v133", batch_size=4, normalise=False, length_rules=True)
    raw = corpus_features(corpus, "v133")
    for s, x in zip(corpus.split("train"), dm.features("train")):
        # 25 fps -> 24 fps, then at least 40 frames, a multiple of 4; frames are copies of raw frames
        assert x.shape[0] % 4 == 0 and 40 <= x.shape[0] <= 400
        assert x.shape[0] <= int(24 * s.num_frames / 25) or x.shape[0] == 40
        assert np.isin(x[:, 0], raw[s.id][:, 0]).all()
    assert raw is corpus_features(corpus, "v133")  # the shared feature cache is not rewritten
    assert all(raw[s.id].shape[0] == s.num_frames for s in corpus.sentences)
