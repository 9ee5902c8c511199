"""Real MediaPipe Holistic ``.pose`` files: 468/478 faces, masks, the y-up convention, glitches, masked losses."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from slpkit.body import keypoints as K
from slpkit.data.formats import poseformat as P
from slpkit.generators.darslp.autoencoder import (AEConfig, AutoencoderModule, PoseAutoencoder, region_recon_terms,
                                                  reconstruction_errors, train_autoencoder)

REPO = Path(__file__).resolve().parents[1]
LHAND, RHAND = K.REGIONS["lhand"], K.REGIONS["rhand"]


def _stub_module():
    spec = importlib.util.spec_from_file_location("make_real_like_pose", REPO / "data_stubs" / "make_real_like_pose.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def clip(corpus):
    """First 40 frames of a SynthSign sentence as 178 keypoints (metres, y up)."""
    s = corpus.sentences[0]
    return K.keypoints178(s.v133[:40], s.face108[:40])


@pytest.fixture(scope="module")
def stand_ins(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("real_like")
    return _stub_module().make_real_like_poses(out, n_clips=9, seed=0, corpus=corpus)


def _truth(corpus, info, n_frames):
    """The stand-in's SynthSign ground truth, normalised, linearly resampled onto the loaded clip's ``n_frames``."""
    s = next(x for x in corpus.sentences if x.id == info["sentence"])
    a, L = info["start"], info["frames"]
    kp = K.normalize178(K.keypoints178(s.v133[a:a + L], s.face108[a:a + L]))
    pos = np.linspace(0, L - 1, n_frames)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, L - 1)
    t = (pos - lo)[:, None, None]
    return (1 - t) * kp[lo] + t * kp[hi]


# ------------------------------------------------------------------ reading
@pytest.mark.parametrize("face_points", [468, 478])
def test_round_trip_468_and_478_faces(clip, tmp_path, face_points):
    path = P.write_pose(tmp_path / "a.pose", clip, 25, face_points=face_points, world_landmarks=face_points == 478)
    pose = P.read_pose(path)
    sizes = {c.name: len(c.points) for c in pose.header.components}
    assert sizes["FACE_LANDMARKS"] == face_points
    assert ("POSE_WORLD_LANDMARKS" in sizes) == (face_points == 478)
    got = P.load_pose(path)
    assert got["coords"] == "world" and got["fps"] == 25 and got["mask"].dtype == bool and got["mask"].all()
    np.testing.assert_allclose(got["keypoints"], clip, atol=1e-6)
    np.testing.assert_allclose(P.load_pose_178(path), clip, atol=1e-6)


@pytest.mark.parametrize("face_points", [468, 478])
def test_name_based_selection_agrees_with_mediapipe_to_178(face_points):
    n = P.TOTAL_POINTS + face_points - 468
    code = np.arange(n, dtype=np.float32)
    coded = np.stack([code, -code, 2 * code], -1)[None]
    np.testing.assert_array_equal(K.mediapipe_to_178(coded)[0], coded[0, P.placement(face_points)])


def test_reduced_face_and_bad_component_sets(clip, tmp_path):
    path = P.write_pose(tmp_path / "full.pose", clip, 25, face_points=478)
    pose = P.read_pose(path)
    from slpkit.body.face import FACE128

    # pose-format's reduced holistic (FACEMESH_CONTOURS_POINTS face) still has the 128 contour points
    keep = [c.name for c in pose.header.components]
    reduced = pose.get_components(keep, {"FACE_LANDMARKS": [str(i) for i in FACE128]})
    kp, mask, _ = P.pose_to_178(reduced)
    np.testing.assert_allclose(kp, clip, atol=1e-6)
    no_hand = pose.get_components(["POSE_LANDMARKS", "FACE_LANDMARKS", "RIGHT_HAND_LANDMARKS"])
    with pytest.raises(ValueError, match="LEFT_HAND_LANDMARKS"):
        P.pose_to_178(no_hand, path="x.pose")
    few = pose.get_components(keep, {"FACE_LANDMARKS": [str(i) for i in range(100)]})
    with pytest.raises(ValueError, match="FACE_LANDMARKS has 100 points"):
        P.pose_to_178(few)


def test_2d_files_second_person_and_skipped_files(clip, tmp_path):
    import io

    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    data, conf, header = P.holistic_arrays(clip, coords="image", width=640, height=480, face_points=478)
    comps = [PoseHeaderComponent(c.name, c.points, c.limbs, c.colors, "XYC") for c in header.components]
    xy = np.stack([data[..., :2], data[..., :2] + 40.0], 1)  # two people, 2-D landmarks
    pose = Pose(PoseHeader(0.2, PoseHeaderDimensions(640, 480, 0), comps),
                NumPyPoseBody(25.0, xy, np.stack([conf, conf], 1)))
    buf = io.BytesIO()
    pose.write(buf)
    (tmp_path / "a_2d.pose").write_bytes(buf.getvalue())
    flat = clip * np.array([1, 1, 0], np.float32)
    for person in (0, 1):
        got = P.load_pose(tmp_path / "a_2d.pose", normalize=True, person=person)
        assert got["coords"] == "image" and np.all(got["keypoints"][..., 2] == 0)
        np.testing.assert_allclose(got["keypoints"], K.normalize178(flat), atol=1e-5)
    with pytest.raises(ValueError, match="person=2"):
        P.load_pose(tmp_path / "a_2d.pose", person=2)
    (tmp_path / "b_broken.pose").write_bytes(buf.getvalue()[:500])
    with pytest.raises(ValueError, match="b_broken.pose"):
        P.load_pose_folder(tmp_path)
    with pytest.warns(UserWarning, match="b_broken.pose"):
        assert [c["name"] for c in P.load_pose_folder(tmp_path, skip_errors=True)] == ["a_2d"]


def test_non_positive_confidence_is_missing(clip, tmp_path):
    mask = np.ones(clip.shape[:2], bool)
    mask[5:15, LHAND] = False
    data, conf, header = P.holistic_arrays(clip, mask=mask, coords="image", width=640, height=480)
    idx = P.placement()
    conf[20, idx[RHAND]] = -0.05  # an interpolation artefact ...
    data[20, idx[RHAND]] = 0.0  # ... at the image origin
    path = P.write_holistic(tmp_path / "c.pose", data, conf, 25, header)
    got = P.load_pose(path, glitch_threshold=None, max_gap=0)
    want = mask.copy()
    want[20, RHAND] = False
    np.testing.assert_array_equal(got["mask"], want)
    assert np.all(got["keypoints"][~want] == 0)
    # the old behaviour (np.ma.filled(..., 0) and confidence ignored) put the hand at the origin
    raw, _ = P.pose_to_holistic(P.read_pose(path))
    assert np.all(raw["LEFT_HAND_LANDMARKS"][5:15] == 0)


def test_masked_hand_stays_masked_through_loading_normalisation_batching(clip, tmp_path):
    mask25 = np.ones(clip.shape[:2], bool)
    mask25[10:25, LHAND] = False
    kp30, mask30 = P.resample_178(clip, mask25, 25.0, 30.0, max_gap=0)
    path = P.write_pose(tmp_path / "m.pose", kp30, 30.0, mask=mask30, coords="image", width=1280, height=720,
                        face_points=478)
    got = P.load_pose(path, normalize=True)
    assert got["fps"] == 25 and got["source_fps"] == 30 and got["keypoints"].shape == clip.shape
    lost = ~got["mask"][:, LHAND].any(-1)
    assert lost[10:25].all(), "a frame the source lost came back as observed"
    assert not lost[:8].any() and not lost[27:].any(), "the gap grew by more than two frames"
    assert np.all(got["keypoints"][~got["mask"]] == 0)
    assert got["mask"][:, RHAND].all() and got["mask"][:, K.REGIONS["face"]].all()
    other = {"name": "short", "keypoints": got["keypoints"][:12], "mask": got["mask"][:12]}
    batch = P.batch_clips([other, got])
    pm = batch["point_mask"]
    assert pm.shape == (2, 40, 178) and batch["motion"].shape == (2, 40, 534)
    np.testing.assert_array_equal(pm[1].numpy(), got["mask"])
    assert not pm[0, 12:].any() and batch["mask"][0].sum() == 12
    assert torch.all(batch["motion"].reshape(2, 40, 178, 3)[~pm] == 0)


# ------------------------------------------------------------------ convention
def test_synthsign_written_in_pixels_reads_back_in_the_synthsign_convention(clip, tmp_path):
    path = P.write_pose(tmp_path / "px.pose", clip, 25, coords="image", width=1280, height=720, face_points=478)
    # the file itself is in MediaPipe's image convention, checked with pose-format alone
    from pose_format import Pose

    pose = Pose.read(path.read_bytes())
    data = np.asarray(pose.body.data.data)[:, 0]
    hdr = pose.header
    rs, ls = (hdr.get_point_index("POSE_LANDMARKS", n) for n in ("RIGHT_SHOULDER", "LEFT_SHOULDER"))
    face = [hdr.get_point_index("FACE_LANDMARKS", str(i)) for i in (10, 152)]  # forehead, chin
    assert np.all(data[:, face, 1].mean(1) < data[:, [rs, ls], 1].mean(1)), "y must point down in the file"
    assert np.all(data[:, rs, 0] < data[:, ls, 0]), "the signer's right shoulder is on the image's left"
    xy = data[:, P.placement(478), :2]
    assert xy.min() >= 0 and xy[..., 0].max() <= 1280 and xy[..., 1].max() <= 720
    hand_wrist = hdr.get_point_index("RIGHT_HAND_LANDMARKS", "WRIST")
    assert np.allclose(data[:, hand_wrist, 2], 0), "MediaPipe hand depth is relative to the hand's wrist"

    got = P.load_pose(path)
    assert got["coords"] == "image"
    for per_frame in (True, False):
        np.testing.assert_allclose(K.normalize178(got["keypoints"], mask=got["mask"], per_frame=per_frame),
                                   K.normalize178(clip, mask=np.ones(clip.shape[:2], bool), per_frame=per_frame),
                                   atol=2e-5)
    wrong = P.load_pose(path, coords="world", normalize=True)["keypoints"]
    assert np.abs(wrong - K.normalize178(clip)).max() > 1.0, "without the flip the signer is upside down"


def test_per_clip_normalisation_is_pose_formats(clip, tmp_path):
    from pose_format.utils.generic import pose_normalization_info

    mask = np.ones(clip.shape[:2], bool)
    mask[3:9, 0] = False  # right shoulder lost for a while
    path = P.write_pose(tmp_path / "n.pose", clip * 100 + 7, 25, mask=mask)
    pose = P.read_pose(path)
    ours = K.normalize178(P.load_pose(path)["keypoints"], mask=mask, per_frame=False)
    pose.normalize(pose_normalization_info(pose.header))
    theirs = np.ma.getdata(P.select_178(pose).body.data)[:, 0]
    np.testing.assert_allclose(ours[mask], theirs[mask], atol=1e-4)


def test_normalize178_with_missing_shoulders():
    rng = np.random.default_rng(0)
    kp = rng.normal(0, 1, (2, 6, 178, 3)).astype(np.float32)
    mask = np.ones(kp.shape[:-1], bool)
    mask[0, 2, 3] = False  # left shoulder missing in one frame
    mask[1, :, 40:50] = False
    kp[0, 2, 3] = 1e6  # its value must not matter
    out = K.normalize178(kp, mask=mask)
    assert np.isfinite(out).all() and np.all(out[~mask] == 0)
    ok = [0, 1, 3, 4, 5]
    centre = (0.5 * (kp[0, ok, 0] + kp[0, ok, 3])).mean(0)
    width = np.linalg.norm(kp[0, ok, 0] - kp[0, ok, 3], axis=-1).mean()
    np.testing.assert_allclose(out[0, 2, 0], (kp[0, 2, 0] - centre) / width, rtol=1e-4)
    np.testing.assert_allclose(out[1], K.normalize178(kp[1]) * mask[1][..., None], atol=1e-5)  # = per frame
    t = K.normalize178(torch.from_numpy(kp), mask=torch.from_numpy(mask))
    np.testing.assert_allclose(t.numpy(), out, atol=1e-5)
    mask[0, :, 0] = False
    with pytest.raises(ValueError, match="both shoulders"):
        K.normalize178(kp, mask=mask)


# ------------------------------------------------------------------ stand-ins, glitches
def test_stand_ins_look_like_real_pipeline_output(stand_ins):
    from pose_format import Pose

    fps_seen, neg, jumps, never = set(), 0, [], 0
    for info in stand_ins:
        pose = Pose.read(Path(info["path"]).read_bytes())
        sizes = [(c.name, len(c.points)) for c in pose.header.components]
        assert sizes == [("POSE_LANDMARKS", 33), ("FACE_LANDMARKS", 478), ("LEFT_HAND_LANDMARKS", 21),
                         ("RIGHT_HAND_LANDMARKS", 21), ("POSE_WORLD_LANDMARKS", 33)]
        fps_seen.add(round(float(pose.body.fps), 2))
        conf = np.asarray(pose.body.confidence)[:, 0]
        data = np.asarray(pose.body.data.data)[:, 0]
        lh = [pose.header.get_point_index("LEFT_HAND_LANDMARKS", "WRIST")]
        never += int(not (conf[:, lh] > 0).any())
        neg += int((conf < 0).sum())
        g = info["glitch_frame"]
        rw = pose.header.get_point_index("POSE_LANDMARKS", "RIGHT_WRIST")
        jumps.append(np.linalg.norm(data[g, rw, :2] - data[g - 1, rw, :2]))
    assert {30.0, 29.97} <= fps_seen
    assert neg > 0 and never > 0 and min(jumps) > 1000


def test_stand_ins_load_close_to_the_truth_with_glitches_masked(stand_ins, corpus):
    for info in stand_ins:
        got = P.load_pose(info["path"], normalize=True)
        kp, mask = got["keypoints"], got["mask"]
        assert np.isfinite(kp).all() and got["fps"] == 25 and got["coords"] == "image"
        assert info["glitch_frame"] in got["glitch_frames"]
        assert (not info["left_never"]) or not mask[:, LHAND].any()
        truth = _truth(corpus, info, len(kp))
        err = np.linalg.norm(kp - truth, axis=-1)[mask]
        assert err.max() < 0.1, f"{info['path']}: observed points off by up to {err.max():.3f} shoulder widths"
        # hands hang from the right wrists (MediaPipe's hand depth re-anchored, no left/right swap)
        for hand_wrist, body_wrist in K.HAND_WRISTS.values():
            both = mask[:, hand_wrist] & mask[:, body_wrist]
            assert np.all(np.linalg.norm(kp[both, hand_wrist] - kp[both, body_wrist], axis=-1) < 0.05)
    # without glitch masking the jump reaches the keypoints: the test above can fail
    info = stand_ins[0]
    raw = P.load_pose(info["path"], glitch_threshold=None, max_gap=0, fps=None)
    g = info["glitch_frame"]
    assert np.isfinite(raw["keypoints"]).all() and raw["mask"][g, 2]
    assert np.linalg.norm(raw["keypoints"][g, 2] - raw["keypoints"][g - 1, 2]) > 1000


def test_glitch_collapsing_the_shoulders_gives_finite_keypoints(clip, tmp_path):
    data, conf, header = P.holistic_arrays(clip, coords="image", width=640, height=480)
    idx = P.placement()
    data[7, idx[3]] = data[7, idx[0]]  # left shoulder snaps onto the right one: width 0
    data[8, idx[:8], :2] += 5000.0  # the body jumps by 5000 px, hands and face stay
    path = P.write_holistic(tmp_path / "g.pose", data, conf, 25, header)
    raw = P.load_pose(path, normalize=True, glitch_threshold=None, max_gap=0)
    assert np.isfinite(raw["keypoints"]).all()  # even unflagged: no NaN / inf
    assert np.abs(raw["keypoints"][8]).max() > 10  # ... but the jump shows
    got = P.load_pose(path, normalize=True, max_gap=0)
    assert not got["mask"][7, 3] and not got["mask"][8, :8].any()
    assert np.isfinite(got["keypoints"]).all() and np.abs(got["keypoints"]).max() < 3
    np.testing.assert_allclose(got["keypoints"][got["mask"]], K.normalize178(clip)[got["mask"]], atol=0.05)


# ------------------------------------------------------------------ masked autoencoder
def _garbage_under(kp, mask, seed):
    g = np.random.default_rng(seed).normal(0, 50, kp.shape).astype(np.float32)
    return np.where(mask[..., None], kp, g)


def test_autoencoder_loss_is_unchanged_by_values_under_the_mask(clip):
    torch.manual_seed(0)
    kp = K.normalize178(clip)
    mask = np.ones(kp.shape[:2], bool)
    mask[:20, LHAND] = False  # a whole region ...
    mask[5, 0:8] = False
    mask[7:12, 1] = False  # ... and parts of regions: their encoders also see the observed points
    mask[30:, 60:70] = False
    ae = PoseAutoencoder(AEConfig())
    ae.fit_normalizer(torch.from_numpy(_garbage_under(kp, mask, 1)), torch.from_numpy(mask))
    pm = torch.from_numpy(mask)
    losses, grads = [], []
    for seed in (2, 3):
        x = torch.from_numpy(_garbage_under(kp, mask, seed))
        ae.zero_grad()
        out = ae.loss(x, point_mask=pm)
        out["loss"].backward()
        losses.append(out["loss"].item())
        grads.append(torch.cat([p.grad.flatten() for p in ae.parameters()]))
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    assert torch.allclose(grads[0], grads[1], atol=1e-6)
    unmasked = [ae.loss(torch.from_numpy(_garbage_under(kp, mask, s)))["loss"].item() for s in (2, 3)]
    assert abs(unmasked[0] - unmasked[1]) > 1e-3  # the garbage does matter without the mask
    # the batch path (batch_clips -> AutoencoderModule) passes the point mask on
    module = AutoencoderModule(AEConfig())
    module.model.load_state_dict(ae.state_dict())
    module.log = lambda *a, **k: None
    batch_losses = [module.training_step(P.batch_clips([{"keypoints": _garbage_under(kp, mask, s), "mask": mask}]), 0)
                    .item() for s in (4, 5)]
    assert batch_losses[0] == pytest.approx(batch_losses[1], rel=1e-6)


def test_masked_terms_equal_the_paper_terms_when_everything_is_observed():
    x, x_hat = torch.randn(4, 7, 178, 3), torch.randn(4, 7, 178, 3)
    js = AEConfig().joint_slices()
    frame_mask = torch.ones(4, 7, dtype=torch.bool)
    frame_mask[:, 5:] = False
    plain = region_recon_terms(x, x_hat, js, frame_mask)
    masked = region_recon_terms(x, x_hat, js, frame_mask, torch.ones(4, 7, 178, dtype=torch.bool))
    full = region_recon_terms(x[:, :5], x_hat[:, :5], js)
    for n in js:
        assert masked[n].item() == pytest.approx(plain[n].item(), rel=1e-5)
        assert masked[n].item() == pytest.approx(full[n].item(), rel=1e-5)


def test_training_ignores_values_under_the_mask_and_beats_the_mean_pose(stand_ins):
    clips = [P.load_pose(i["path"], normalize=True) for i in stand_ins]
    train, test = clips[:7], clips[7:]
    cfg = AEConfig.for_mode("smoke", max_steps=100)  # a quarter of the preset: 7 short clips are learnt by then
    models = []
    for seed in (1, 2):
        seqs = [_garbage_under(c["keypoints"], c["mask"], seed) for c in train]
        models.append(train_autoencoder(seqs, cfg, seed=0, masks=[c["mask"] for c in train]))
    for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)
    errs = reconstruction_errors(models[0], [c["keypoints"] for c in test], [c["mask"] for c in test])
    assert errs["autoencoder"]["all"] < 0.7 * errs["mean pose"]["all"]
    assert np.isfinite(errs["autoencoder"]["body"])


# ------------------------------------------------------------------ corpus loader errors
def test_load_poseformat_errors(corpus, tmp_path):
    s = corpus.split("train")[:2]
    P.write_poseformat(s, tmp_path, coords="image", face_points=478)
    got = P.load_poseformat(tmp_path, "train")
    assert [g["name"] for g in got] == [x.id for x in s] and all(g["mask"].all() for g in got)
    assert all(g["coords"] == "image" and g["text"] == x.text for g, x in zip(got, s))
    lines = (tmp_path / "train.jsonl").read_text().splitlines()
    (tmp_path / "train.jsonl").write_text(lines[0] + "\n" + json.dumps({"text": "no name"}) + "\n")
    with pytest.raises(ValueError, match=r"train\.jsonl, line 2.*'name'"):
        P.load_poseformat(tmp_path, "train")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .pose files"):
        P.load_poseformat(tmp_path, "empty")
    with pytest.raises(FileNotFoundError, match="no .pose files"):
        P.load_pose_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match="coords='up'"):
        P.load_pose(tmp_path / "train" / f"{s[0].id}.pose", coords="up")
