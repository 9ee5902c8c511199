"""Write kilobyte-size SynthSign samples in every real-data layout slpkit reads.

    python data_stubs/make_samples.py OUT_DIR [--seed 0] [--frames 6]

writes (each readable by its ``slpkit.data.formats`` loader)::

    OUT_DIR/soke_how2sign/   SOKE How2Sign layout (ASL sentences), splits train/val/test
    OUT_DIR/soke_csl/        SOKE CSL-Daily layout (CSL sentences)
    OUT_DIR/soke_phoenix/    SOKE Phoenix-2014T layout (DGS sentences)
    OUT_DIR/signspark/       SignSparK .npz (rot6D streams + segment labels)
    OUT_DIR/slrtp/           SLRTP {train,dev,test}.pt with 178 x 3 keypoints
    OUT_DIR/poseformat/      pose-format .pose (MediaPipe Holistic components) + {split}.jsonl

The files are generated (seeded), never committed: tests and notebook 00 call
:func:`make_samples` into a temporary folder. Sentences are cut to ``frames`` frames
so every file stays small.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test")


def crop_sentence(s, n_frames: int):
    """The first ``n_frames`` frames of a sentence, with spans/glosses/BIO tags cut to match."""
    n = min(n_frames, s.num_frames)
    spans = [(a, min(b, n), g) for a, b, g in s.spans if a < n]
    return dataclasses.replace(
        s, v133=np.ascontiguousarray(s.v133[:n]), face108=np.ascontiguousarray(s.face108[:n]),
        bio=np.ascontiguousarray(s.bio[:n]), spans=spans, gloss=[g for _, _, g in spans],
    )


def pick(corpus, languages, n_frames: int) -> list:
    """One cropped sentence per split, languages taken in turn from ``languages``."""
    out = []
    for i, sp in enumerate(SPLITS):
        lang = languages[i % len(languages)]
        cands = corpus.by_language(lang, sp) or corpus.split(sp)
        out.append(crop_sentence(cands[0], n_frames))
    return out


def make_samples(out_dir: str | Path, seed: int = 0, n_frames: int = 6, corpus=None) -> dict[str, Path]:
    """Write the samples into ``out_dir``; returns ``{format name: folder}``."""
    from slpkit.data.formats import poseformat, signspark, slrtp, soke

    if corpus is None:
        from slpkit.data.synthsign import SynthSignConfig, generate

        corpus = generate(SynthSignConfig.for_mode("smoke", seed=seed))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for dataset, lang in (("how2sign", "asl"), ("csl", "csl"), ("phoenix", "dgs")):
        paths[f"soke_{dataset}"] = soke.write_soke(pick(corpus, [lang], n_frames), out / f"soke_{dataset}", dataset)
    mixed = pick(corpus, ["asl", "csl", "dgs"], n_frames)
    paths["signspark"] = signspark.write_signspark(mixed, out / "signspark")
    paths["slrtp"] = slrtp.write_slrtp(mixed, out / "slrtp")
    paths["poseformat"] = poseformat.write_poseformat(mixed, out / "poseformat")
    return paths


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--frames", type=int, default=6)
    args = ap.parse_args(argv)
    paths = make_samples(args.out_dir, args.seed, args.frames)
    for name, p in paths.items():
        size = sum(f.stat().st_size for f in Path(p).rglob("*") if f.is_file())
        print(f"{name:14s} {p}  ({size / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
