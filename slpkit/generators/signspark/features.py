"""SignSparK's frame representation: the four rot6D streams as one ``(T, 296)`` vector, and back to V133.

Layout (SignSparK npz streams, :mod:`slpkit.data.formats.signspark`)::

    [  0: 60]  body   10 upper-body joints x rot6D (SMPL-X joints 12..21: neck, l/r collar, head,
                      l/r shoulder, l/r elbow, l/r wrist)
    [ 60:150]  lhand  15 left-hand joints x rot6D
    [150:240]  rhand  15 right-hand joints x rot6D
    [240:296]  face   jaw rot6D (6) + 50 expression coefficients

so ``[0:246]`` are 41 rotations in 6D and ``[246:296]`` are linear coefficients. The same vector as
``slpkit.data.datamodule.corpus_features(corpus, 'rot6d')``; :func:`sentence_features` computes it for
a list of sentences in one vectorised pass (about 25x faster than per sentence). Generated vectors go
back to SOKE's 133-vector with :func:`features_to_v133` (Gram-Schmidt projects any 6D output onto a
rotation), so every slpkit metric (DTW-JPE, back-translation) applies.

:func:`hand_features` are FAST's frozen per-frame hand features (SignSparK Fig. 2a uses WiLoR image
features, which slpkit does not have): per hand the rot6D of its 15 finger joints and of the arm chain
that places it (collar, shoulder, elbow, wrist), 114 numbers, with no learned parameters.

    >>> import numpy as np
    >>> v = np.zeros((4, 133), np.float32)
    >>> x = v133_to_features(v)
    >>> x.shape, float(np.abs(features_to_v133(x) - v).max()) < 1e-6
    ((4, 296), True)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np
import torch

from slpkit.body import layouts
from slpkit.checks import check_int, check_motion
from slpkit.data.formats.signspark import STREAM_DIMS
from slpkit.training import TrainConfig

__all__ = ["STREAMS", "FEATURE_DIM", "SLICES", "ROT_DIMS", "N_ROTATIONS", "EXPR", "streams_to_features",
           "features_to_streams", "v133_to_features", "features_to_v133", "sentence_features", "hand_features",
           "HAND_FEATURE_DIM", "ARM_CHAIN"]

STREAMS = ("body", "lhand", "rhand", "face")
FEATURE_DIM = sum(STREAM_DIMS[k] for k in STREAMS)  # 296
SLICES: dict[str, slice] = {}
_o = 0
for _k in STREAMS:
    SLICES[_k] = slice(_o, _o + STREAM_DIMS[_k])
    _o += STREAM_DIMS[_k]
ROT_DIMS = 246  # body 60 + hands 180 + jaw 6
N_ROTATIONS = ROT_DIMS // 6  # 41
EXPR = slice(ROT_DIMS, FEATURE_DIM)
#: body-stream joints of each arm chain (collar, shoulder, elbow, wrist)
ARM_CHAIN = {"lhand": (1, 4, 6, 8), "rhand": (2, 5, 7, 9)}
HAND_FEATURE_DIM = 6 * (len(ARM_CHAIN["lhand"]) + 15)  # 114


def streams_to_features(streams: dict) -> np.ndarray | torch.Tensor:
    """``{'body', 'lhand', 'rhand', 'face'}`` -> ``(..., 296)``."""
    parts = [streams[k] for k in STREAMS]
    if isinstance(parts[0], torch.Tensor):
        return torch.cat(parts, -1)
    return np.concatenate([np.asarray(p) for p in parts], -1)


def features_to_streams(x: np.ndarray | torch.Tensor) -> dict:
    """``(..., 296)`` -> the four streams (views)."""
    check_motion(x, FEATURE_DIM, "features", "SignSparK frames are body 60 | lhand 90 | rhand 90 | face 56 = 296.")
    return {k: x[..., SLICES[k]] for k in STREAMS}


def v133_to_features(v133: np.ndarray, expr50: np.ndarray | None = None) -> np.ndarray:
    """SOKE ``(T, 133)`` (+ optional ``(T, 50)`` expression, e.g. ``face108[:, :50]``) -> ``(T, 296)`` float32."""
    st = layouts.rot6d_streams(torch.as_tensor(np.asarray(v133), dtype=torch.float64),
                               None if expr50 is None else torch.as_tensor(np.asarray(expr50), dtype=torch.float64))
    return streams_to_features(st).numpy().astype(np.float32)


def features_to_v133(x: np.ndarray | torch.Tensor) -> np.ndarray:
    """``(T, 296)`` -> SOKE ``(T, 133)`` float32 (rotations projected by Gram-Schmidt)."""
    xt = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x.detach().cpu(), dtype=torch.float64)
    v133, _ = layouts.rot6d_streams_to_v133(features_to_streams(xt))
    return v133.numpy().astype(np.float32)


def sentence_features(sentences: Sequence[Any]) -> list[np.ndarray]:
    """``(T_i, 296)`` float32 per sentence or dictionary entry (``v133`` and ``face108[:, :50]``), one pass."""
    items = list(sentences)
    if not items:
        return []
    lens = [int(np.asarray(s.v133).shape[0]) for s in items]
    v = np.concatenate([np.asarray(s.v133, np.float64) for s in items])
    e = np.concatenate([np.asarray(s.face108, np.float64)[:, :50] for s in items])
    x = v133_to_features(v, e)
    return [a.copy() for a in np.split(x, np.cumsum(lens)[:-1])]


def hand_features(x: np.ndarray | torch.Tensor) -> tuple:
    """FAST's frozen features of ``(..., T, 296)`` frames: ``(left, right)``, each ``(..., T, 114)`` =
    arm chain rot6D (collar, shoulder, elbow, wrist: 24) + 15 finger joints rot6D (90)."""
    body = x[..., SLICES["body"]]
    out = []
    for hand in ("lhand", "rhand"):
        idx = [6 * j + c for j in ARM_CHAIN[hand] for c in range(6)]
        arm = body[..., idx]
        fingers = x[..., SLICES[hand]]
        out.append(torch.cat([arm, fingers], -1) if isinstance(x, torch.Tensor) else np.concatenate([arm, fingers], -1))
    return tuple(out)


@dataclasses.dataclass
class StageConfig(TrainConfig):
    """The training fields of SignSparK's two learned stages, the FAST tagger and the CFM generator: both read these
    features normalised with train statistics, ``(x - mean) / max(std, min_std)`` (the floor keeps channels that
    hardly move from blowing up), in length-bucketed batches (pools of ``bucket x batch_size`` sorted by length),
    under AdamW with weight decay 0.01."""

    min_std: float = 1e-2
    bucket: int = 4
    weight_decay: float = 0.01

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        if isinstance(self.min_std, bool) or not float(self.min_std) > 0:
            raise ValueError(f"{name}.min_std={self.min_std!r}: use a positive floor, e.g. 1e-2")
        check_int(self.bucket, f"{name}.bucket", min=1, hint="1 = no bucketing")
