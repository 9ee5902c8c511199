"""Every system behind one interface for the leaderboard: text in, keypoints (and V133) out, timed.

:func:`make_entry` turns a system's ``generate(sentences) -> (keypoints, v133 or None)`` into a
:class:`~slpkit.eval.leaderboard.Entry`: it generates for every test sentence, times one video at batch 1
(fastest of 3 runs per sentence, a few sentences) and a batch of 32, and records the parameter count and the
training seconds. The ``*_system`` functions adapt each trained model to that interface:

==========================  =============================================================================
adapter                     output
==========================  =============================================================================
:func:`soke_system`         SOKE / M3T token generator -> tokenizer decoder -> V133 (and face) -> keypoints
:func:`darslp_system`       DARSLP keypoints (12.5 fps, linearly interpolated back to 25 fps)
:func:`signspark_system`    SignSparK CFM rot6D frames (GF-T2P text only, or SR-T2P with a retrieval planner)
:func:`pose_system`         fixed poses (text-blind baselines, ground truth)
==========================  =============================================================================
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from slpkit.body.layouts import face108_from
from slpkit.eval.leaderboard import Entry, keypoints_of
from slpkit.generators.darslp.diagnostics import to_frame_rate
from slpkit.generators.signspark.features import features_to_v133
from slpkit.generators.signspark.pipeline import gf_t2p, sr_t2p
from slpkit.generators.soke.module import codes_to_poses
from slpkit.metrics.latency import measure_latency

__all__ = ["make_entry", "soke_system", "darslp_system", "signspark_system", "pose_system", "count_parameters"]

Generate = Callable[[Sequence[Any]], tuple[list[np.ndarray], list[np.ndarray] | None]]


def count_parameters(*modules: Any) -> int:
    """Parameters of the given ``torch.nn.Module`` s (non-modules count 0)."""
    return int(sum(p.numel() for m in modules if isinstance(m, torch.nn.Module) for p in m.parameters()))


def make_entry(name: str, system: str, generate: Generate, sentences: Sequence[Any], params: int | None = None,
               train_seconds: float | None = None, latency_sentences: int = 4, throughput_batch: int = 32,
               timed: bool = True) -> Entry:
    """Generate for ``sentences`` and time ``generate`` (batch 1 and batch ``throughput_batch``)."""
    sentences = list(sentences)
    if not sentences:
        raise ValueError("no sentences: pass the test sentences to generate for")
    kp, v133 = generate(sentences)
    latency = throughput = None
    if timed:
        k = min(int(latency_sentences), len(sentences))
        latency = float(np.mean([measure_latency(generate, [s], repeats=3, warmup=0)["min_s"] for s in sentences[:k]]))
        batch = sentences[: min(int(throughput_batch), len(sentences))]
        throughput = len(batch) / measure_latency(generate, batch, repeats=2, warmup=0)["min_s"]
    return Entry(name, system, [np.asarray(k_, np.float32) for k_ in kp],
                 None if v133 is None else [np.asarray(v, np.float32) for v in v133], latency, throughput, params,
                 train_seconds)


def soke_system(module: Any, tokenizer: Any, face: str = "v133") -> Generate:
    """SOKE (or M3T) generator + its tokenizer. ``face='v133'``: the face comes from the V133's 10 expression
    coefficients (SOKE's tokenizer decodes V133 only); ``'face108'``: the tokenizer decodes ``[V133 | F108]``
    (M3T's face stream) and the 108-dim face is used."""
    if face not in ("v133", "face108"):
        raise ValueError(f"face={face!r}: use 'v133' (SOKE) or 'face108' (M3T's face stream)")

    def generate(sentences):
        codes = module.generate([s.text for s in sentences], [s.language for s in sentences])
        poses, _ = codes_to_poses(tokenizer, codes)
        if face == "face108":
            v133, f108 = [p[:, :133] for p in poses], [p[:, 133:] for p in poses]
            return keypoints_of(v133, f108), v133
        return keypoints_of(poses), poses

    return generate


def darslp_system(model: Any) -> Generate:
    """DARSLP: text -> keypoints at the model's training rate, interpolated back to 25 fps."""
    def generate(sentences):
        kp = model.generate([s.text for s in sentences], [s.language for s in sentences])
        return [to_frame_rate(k, model.cfg.frame_step) for k in kp], None

    return generate


def signspark_system(cfm: Any, planner: Any = None) -> Generate:
    """SignSparK CFM: GF-T2P (text only) or, with a retrieval ``planner``, SR-T2P. The face uses the generated jaw
    and the first 50 expression coefficients (SignSparK's face stream)."""
    def generate(sentences):
        texts, langs = [s.text for s in sentences], [s.language for s in sentences]
        frames = gf_t2p(cfm, texts, langs) if planner is None else sr_t2p(cfm, planner, texts, langs)[0]
        v133 = [features_to_v133(f) for f in frames]
        faces = [face108_from(v, expr100=np.concatenate([f[:, 246:296], np.zeros((len(f), 50), np.float32)], -1))
                 for v, f in zip(v133, frames)]
        return keypoints_of(v133, faces), v133

    return generate


def pose_system(poses: Callable[[Any], tuple[np.ndarray, np.ndarray | None]]) -> Generate:
    """Fixed output per sentence: ``poses(sentence) -> (v133, face108 or None)`` (baselines, ground truth)."""
    def generate(sentences):
        out = [poses(s) for s in sentences]
        v133 = [np.asarray(v, np.float32) for v, _ in out]
        faces = [face108_from(v) if f is None else np.asarray(f, np.float32) for v, (_, f) in zip(v133, out)]
        return keypoints_of(v133, faces), v133

    return generate
