"""Generation speed of SynthSign (sentences/s, frames/s) for the smoke and full presets.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_synthsign.py [smoke] [full] [--seed 0]``
(both presets by default). Single-threaded numpy; the full preset holds ~2 GB in memory.
"""

from __future__ import annotations

import argparse
import time

from slpkit.data.synthsign import SynthSign, SynthSignConfig


def bench(mode: str, seed: int = 0) -> dict:
    cfg = SynthSignConfig.for_mode(mode, seed=seed)
    t0 = time.perf_counter()
    synth = SynthSign(cfg)
    t1 = time.perf_counter()
    corpus = synth.generate()
    t2 = time.perf_counter()
    n = len(corpus.sentences)
    frames = sum(s.num_frames for s in corpus.sentences)
    dict_frames = sum(d.v133.shape[0] for d in corpus.dictionary)
    return {"mode": mode, "sentences": n, "frames": frames, "dictionary_entries": len(corpus.dictionary),
            "dictionary_frames": dict_frames, "setup_s": t1 - t0, "generate_s": t2 - t1,
            "sentences_per_s": n / (t2 - t0), "frames_per_s": (frames + dict_frames) / (t2 - t0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("modes", nargs="*", default=["smoke", "full"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for mode in args.modes:
        r = bench(mode, args.seed)
        print(f"{r['mode']:>5}: {r['sentences']} sentences, {r['frames']} frames (+{r['dictionary_entries']} dictionary "
              f"entries, {r['dictionary_frames']} frames) in {r['setup_s'] + r['generate_s']:.1f} s "
              f"-> {r['sentences_per_s']:.0f} sentences/s, {r['frames_per_s']:.0f} frames/s")


if __name__ == "__main__":
    main()
