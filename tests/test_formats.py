"""Real-format writers and loaders: round trips of the synthetic corpus, clear errors on bad files."""

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from slpkit.data.formats import poseformat, signspark, slrtp, soke

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sentences(corpus):
    """Two sentences per (language, split), for speed; every language and split is present."""
    out = []
    for lang in corpus.languages:
        for sp in ("train", "val", "test"):
            out += corpus.by_language(lang, sp)[:2]
    return out


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep))])


# ------------------------------------------------------------------ SOKE
@pytest.mark.parametrize("dataset", ["how2sign", "csl", "phoenix"])
def test_soke_round_trip(sentences, dataset, tmp_path):
    soke.write_soke(sentences, tmp_path, dataset)
    for sp in ("train", "val", "test"):
        ref = [s for s in sentences if s.split == sp]
        got = soke.load_soke(tmp_path, sp, dataset)
        assert [g["text"] for g in got] == [s.text for s in ref]
        for g, s in zip(got, ref):
            assert g["v133"].dtype == np.float32 and g["v133"].shape == s.v133.shape
            np.testing.assert_allclose(g["v133"], s.v133, atol=1e-6)
            assert g["fps"] == s.fps


def test_soke_layout_is_the_released_one(sentences, tmp_path):
    import pickle

    soke.write_soke(sentences[:1], tmp_path / "h2s", "how2sign")
    s = sentences[0]
    frame0 = tmp_path / "h2s" / s.split / "poses" / s.id / f"{s.id}_0_3D.pkl"
    d = pickle.loads(frame0.read_bytes())
    assert set(d) == set(soke.SOKE_KEYS) and sum(np.asarray(v).size for v in d.values()) == 179
    csv = (tmp_path / "h2s" / s.split / "re_aligned" / f"how2sign_realigned_{s.split}_preprocessed_fps.csv").read_text()
    header = csv.splitlines()[0].split("\t")
    assert {"SENTENCE_NAME", "SENTENCE", "fps", "START_REALIGNED", "END_REALIGNED"} <= set(header)
    soke.write_soke(sentences[:1], tmp_path / "csl", "csl")
    ann = pickle.loads(gzip.open(tmp_path / "csl" / f"csl_clean.{s.split}").read())
    assert ann[0]["name"] == s.id and ann[0]["text"] == s.text
    assert len(list((tmp_path / "csl" / "poses" / s.id).glob("*.pkl"))) == s.num_frames


def test_soke_missing_and_corrupt_files_are_named(sentences, tmp_path):
    soke.write_soke(sentences, tmp_path / "h2s", "how2sign")
    s = [x for x in sentences if x.split == "train"][0]
    frame = tmp_path / "h2s" / "train" / "poses" / s.id / f"{s.id}_3_3D.pkl"
    _truncate(frame)
    with pytest.raises(ValueError, match=frame.name):
        soke.load_soke(tmp_path / "h2s", "train", "how2sign")
    frame.unlink()  # a missing frame in the middle is caught too
    with pytest.raises(FileNotFoundError, match=f"{s.id}_3_3D.pkl"):
        soke.load_soke(tmp_path / "h2s", "train", "how2sign")
    csv = soke.h2s_csv_path(tmp_path / "h2s", "val")
    csv.unlink()
    with pytest.raises(FileNotFoundError, match=csv.name):
        soke.load_soke(tmp_path / "h2s", "val", "how2sign")
    soke.write_soke(sentences, tmp_path / "ph", "phoenix")
    ann = tmp_path / "ph" / "phoenix14t.dev"
    _truncate(ann)
    with pytest.raises(ValueError, match=ann.name):
        soke.load_soke(tmp_path / "ph", "val", "phoenix")
    with pytest.raises(FileNotFoundError, match="phoenix14t.nope"):
        soke.load_soke(tmp_path / "ph", "nope", "phoenix")


def test_soke_length_rules():
    x = np.arange(1000, dtype=np.float32)[:, None].repeat(3, 1)
    for T, fps, want in [(100, 24, 100), (100, 30, 80), (10, 25, 40), (1000, 24, 400), (57, 24, 56), (39, 12, 40)]:
        y = soke.soke_length_rules(x[:T], fps)
        assert y.shape == (want, 3), (T, fps)
        assert len(y) % 4 == 0 and 40 <= len(y) <= 400
        assert np.all(np.diff(y[:, 0]) >= 0)  # frames stay in order, taken from the input
        assert set(y[:, 0]) <= set(x[:T, 0])
    with pytest.raises(ValueError):
        soke.soke_length_rules(np.zeros((0, 133)), 24)


def test_soke_loader_applies_length_rules_on_request(sentences, tmp_path):
    soke.write_soke(sentences[:3], tmp_path, "csl")
    sp = sentences[0].split
    got = soke.load_soke(tmp_path, sp, "csl", length_rules=True)
    for g in got:
        assert len(g["v133"]) % 4 == 0 and 40 <= len(g["v133"]) <= 400 and g["fps"] <= 24


# ------------------------------------------------------------------ SignSparK
def test_signspark_round_trip(sentences, tmp_path):
    from slpkit.body.layouts import rot6d_streams

    signspark.write_signspark(sentences, tmp_path)
    for sp in ("train", "val", "test"):
        ref = [s for s in sentences if s.split == sp]
        got = {g["id"]: g for g in signspark.load_signspark(tmp_path, sp)}
        assert set(got) == {s.id for s in ref}
        for s in ref:
            g = got[s.id]
            st = rot6d_streams(s.v133, s.face108[:, :50])
            for k, d in signspark.STREAM_DIMS.items():
                assert g[k].shape == (s.num_frames, d)
                np.testing.assert_allclose(g[k], st[k], atol=1e-6)
            np.testing.assert_array_equal(g["labels"], s.bio)
            assert g["text"] == s.text and g["gloss"] == list(s.gloss) and g["language"] == s.language
    path = tmp_path / sentences[0].split / f"{sentences[0].id}.npz"
    _truncate(path)
    with pytest.raises(ValueError, match=path.name):
        signspark.read_sequence(path)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        signspark.read_sequence(tmp_path / "missing.npz")


def test_signspark_keyframes():
    lab = np.array([0, 2, 1, 1, 1, 2, 1, 0, 0, 2], np.int8)
    assert signspark.keyframes(lab).tolist() == [1, 2, 4, 5, 6, 9]


# ------------------------------------------------------------------ SLRTP
def test_slrtp_round_trip(sentences, tmp_path):
    from slpkit.body.keypoints import keypoints178

    slrtp.write_slrtp(sentences, tmp_path)
    assert (tmp_path / "dev.pt").exists() and not (tmp_path / "val.pt").exists()
    for sp in ("train", "val", "test"):
        ref = [s for s in sentences if s.split == sp]
        got = slrtp.load_slrtp(tmp_path, sp)
        assert [g["name"] for g in got] == [s.id for s in ref]
        for g, s in zip(got, ref):
            assert g["keypoints"].shape == (s.num_frames, 178, 3) and g["text"] == s.text
            np.testing.assert_allclose(g["keypoints"], keypoints178(s.v133, s.face108), atol=1e-6)
    _truncate(tmp_path / "test.pt")
    with pytest.raises(ValueError, match="test.pt"):
        slrtp.load_slrtp(tmp_path, "test")
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        slrtp.load_slrtp(tmp_path, "nope")


# ------------------------------------------------------------------ pose-format
def test_poseformat_round_trip_is_exact(sentences, tmp_path):
    from slpkit.body.keypoints import keypoints178

    s = sentences[0]
    kp = np.asarray(keypoints178(s.v133, s.face108), np.float32)
    path = poseformat.write_pose(tmp_path / "a.pose", kp, fps=s.fps)
    pose = poseformat.read_pose(path)
    names = [c.name for c in pose.header.components]
    assert names == list(poseformat.COMPONENTS)
    assert pose.body.data.shape == (s.num_frames, 1, poseformat.TOTAL_POINTS, 3)
    back = poseformat.load_pose_178(path)
    np.testing.assert_allclose(back, kp, atol=1e-6)


def test_poseformat_corpus_round_trip_and_errors(sentences, tmp_path):
    from slpkit.body.keypoints import keypoints178

    poseformat.write_poseformat(sentences, tmp_path)
    for sp in ("train", "test"):
        ref = [s for s in sentences if s.split == sp]
        got = poseformat.load_poseformat(tmp_path, sp)
        assert [g["name"] for g in got] == [s.id for s in ref]
        for g, s in zip(got, ref):
            assert g["text"] == s.text and g["fps"] == s.fps
            assert g["mask"].dtype == bool and g["mask"].shape == (s.num_frames, 178) and g["mask"].all()
            np.testing.assert_allclose(g["keypoints"], keypoints178(s.v133, s.face108), atol=1e-6)
    path = tmp_path / "train" / f"{[s for s in sentences if s.split == 'train'][0].id}.pose"
    _truncate(path, 0.7)
    with pytest.raises(ValueError, match=path.name):
        poseformat.load_pose_178(path)
    with pytest.raises(FileNotFoundError, match="absent.pose"):
        poseformat.load_pose_178(tmp_path / "absent.pose")


# ------------------------------------------------------------------ sample files
def test_make_samples_writes_small_files_in_every_format(tmp_path):
    spec = importlib.util.spec_from_file_location("make_samples", REPO / "data_stubs" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    paths = mod.make_samples(tmp_path, seed=0)
    assert set(paths) >= {"soke_how2sign", "soke_csl", "soke_phoenix", "signspark", "slrtp", "poseformat"}
    total = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert total < 1_000_000, f"samples take {total} bytes"
    assert soke.load_soke(paths["soke_how2sign"], "train", "how2sign")
    assert soke.load_soke(paths["soke_csl"], "train", "csl")
    assert soke.load_soke(paths["soke_phoenix"], "train", "phoenix")
    assert signspark.load_signspark(paths["signspark"], "train")
    assert slrtp.load_slrtp(paths["slrtp"], "train")
    assert poseformat.load_poseformat(paths["poseformat"], "train")
