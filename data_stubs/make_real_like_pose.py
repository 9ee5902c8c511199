"""Write ``.pose`` stand-ins that look like a real MediaPipe Holistic pipeline's output.

    python data_stubs/make_real_like_pose.py OUT_DIR [--clips 16] [--seed 0]

Real clips (pose-format's ``video_to_pose`` on signers' videos) differ from the files slpkit
writes for SynthSign in every way a loader can trip on. Each stand-in is a crop of a SynthSign
sentence, written with pose-format, and has:

- the **478-point face** (``refine_face_landmarks``: 10 iris points) and the
  ``POSE_WORLD_LANDMARKS`` component pose-format's holistic output carries;
- **pixel coordinates**, y down, of a virtual 1280 x 720 camera, with MediaPipe's depth
  convention (``z`` on the normalised-x scale, hands relative to their wrist),
  by :func:`slpkit.data.formats.poseformat.holistic_arrays` with ``coords="image"``;
- **30 fps** (also 29.97 and 25, cycled per clip), lengths of 6 to 150 frames at 25 fps;
- **masked hands**: the left hand is never detected in about half of the clips, the right one
  in a tenth, and otherwise each hand is lost for one or two stretches (confidence 0, data 0,
  as pose-format writes undetected points); the frames at each stretch's edges carry a small
  **negative confidence** and a garbage position (interpolation artefacts);
- **one glitch frame**: the right arm and hand jump by more than 1000 px.

Face-mesh points outside the 128 the 178 layout reads are put at the face's centroid and
pose landmarks outside the 8 at the neck (low visibility), so every component is filled the way
MediaPipe fills it. Clips are named ``clip_000.pose`` ...; ``make_real_like_poses`` also
returns, per clip, the SynthSign sentence and frames it was cut from (the ground truth).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

FPS_CYCLE = (30.0, 29.97, 25.0)
WIDTH, HEIGHT = 1280, 720


def _stretch_mask(rng: np.random.Generator, T: int, p_never: float) -> np.ndarray:
    """``(T,)`` bool: False where the hand is not detected (never, or one or two stretches)."""
    seen = np.ones(T, bool)
    if rng.random() < p_never:
        return ~seen
    for _ in range(int(rng.integers(1, 3))):
        n = int(rng.integers(max(2, T // 10), max(3, T // 3) + 1))
        a = int(rng.integers(0, max(1, T - n + 1)))
        seen[a:a + n] = False
    return seen


def make_real_like_poses(out_dir: str | Path, n_clips: int = 16, seed: int = 0, corpus: Any = None,
                         fps_cycle: tuple[float, ...] = FPS_CYCLE) -> list[dict[str, Any]]:
    """Write ``n_clips`` stand-ins into ``out_dir``; returns ``[{"path", "sentence", "start", "frames", "fps",
    "glitch_frame", "left_never", "right_never"}]`` (``start``/``frames`` index the sentence's 25 fps frames)."""
    from slpkit.body.keypoints import REGIONS, keypoints178
    from slpkit.data.formats import poseformat as P

    if corpus is None:
        from slpkit.data.synthsign import SynthSignConfig, generate

        corpus = generate(SynthSignConfig.for_mode("smoke", seed=seed))
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    face_idx = P.placement(478, True)[REGIONS["face"]]
    body_idx = P.placement(478, True)[REGIONS["body"]]
    n_pose = len(P.POSE_POINTS)
    face_off = n_pose
    other_face = np.setdiff1d(np.arange(face_off, face_off + 478), face_idx)
    other_pose = np.setdiff1d(np.arange(n_pose), body_idx)
    infos = []
    for i in range(n_clips):
        s = corpus.sentences[i % len(corpus.sentences)]
        L = int(rng.integers(6, min(s.num_frames, 150) + 1))
        start = int(rng.integers(0, s.num_frames - L + 1))
        kp25 = keypoints178(s.v133[start:start + L], s.face108[start:start + L])
        fps = float(fps_cycle[i % len(fps_cycle)])
        kp, _ = P.resample_178(kp25, np.ones(kp25.shape[:2], bool), 25.0, fps, max_gap=0)
        T = len(kp)
        mask = np.ones((T, 178), bool)
        left_seen, right_seen = _stretch_mask(rng, T, 0.5), _stretch_mask(rng, T, 0.1)
        mask[:, REGIONS["lhand"]] &= left_seen[:, None]
        mask[:, REGIONS["rhand"]] &= right_seen[:, None]
        data, conf, header = P.holistic_arrays(kp, mask=mask, coords="image", width=WIDTH, height=HEIGHT,
                                               face_points=478, world_landmarks=True)
        # fill the landmarks the 178 layout does not read, as MediaPipe would (all of a detected component)
        data[:, other_face] = data[:, face_idx].mean(1, keepdims=True)
        conf[:, other_face] = 1.0
        neck = data[:, body_idx[[0, 3]]].mean(1, keepdims=True)
        data[:, other_pose] = neck
        conf[:, other_pose] = rng.uniform(0.05, 0.4, (T, len(other_pose)))
        conf[:, body_idx] = rng.uniform(0.6, 1.0, (T, len(body_idx)))  # pose-format stores visibility
        # interpolation artefacts: negative confidence and a garbage point at each stretch's edges
        for sl, seen in ((REGIONS["lhand"], left_seen), (REGIONS["rhand"], right_seen)):
            idx = P.placement(478, True)[sl]
            edges = np.nonzero(seen[:-1] != seen[1:])[0]
            for e in edges:
                f = e if seen[e] else e + 1  # the observed frame next to the gap
                conf[f, idx] = -0.03
                data[f, idx] = 0.0
        # one glitch frame: the right arm and hand jump by > 1000 px
        g = int(rng.integers(1, T - 1)) if T > 2 else 0
        arm = np.concatenate([P.placement(478, True)[[0, 1, 2]], P.placement(478, True)[REGIONS["rhand"]]])
        data[g, arm, 0] += 1100.0
        data[g, arm, 1] -= 800.0
        path = P.write_holistic(out / f"clip_{i:03d}.pose", data, conf, fps, header)
        infos.append({"path": path, "sentence": s.id, "start": start, "frames": L, "fps": fps, "glitch_frame": g,
                      "left_never": not left_seen.any(), "right_never": not right_seen.any()})
    return infos


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    infos = make_real_like_poses(args.out_dir, args.clips, args.seed)
    size = sum(Path(i["path"]).stat().st_size for i in infos)
    print(f"wrote {len(infos)} .pose stand-ins to {args.out_dir} ({size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
