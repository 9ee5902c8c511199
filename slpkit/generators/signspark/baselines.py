"""Segmentation baselines FAST is compared with: a velocity heuristic and a BiLSTM tagger.

**Velocity heuristic** (:class:`VelocityHeuristic`, no learning beyond a grid search): signers hold a
sign's place and handshape while they articulate it and move fast between signs, so the speed of the
hands' pose has its minima inside signs and its peaks in the transitions (in SynthSign the rot6D speed
inside a sign is ~5x lower than at a transition peak). The heuristic smooths the per-frame speed of the
frozen hand features (the same 2 x 114 numbers FAST reads), divides it by the sentence's peak speed, and
calls every run of frames below ``threshold`` that contains a local speed minimum, lasts at least
``min_len`` frames and does not touch the first / last frame (the rest pose) a sign. ``fit`` picks
``(smooth, threshold, min_len)`` by segment F1 on the training split.

**BiLSTM tagger** (:class:`BiLSTMTagger`): the recurrent per-frame tagger of earlier sign segmentation
work (e.g. Moryossef et al. 2023 use a BiLSTM over pose features): both hands' features concatenated
``(B, T, 228)`` -> Linear -> bidirectional LSTM -> Linear(2h, 3), trained exactly like FAST
(:class:`~slpkit.generators.signspark.fast.TaggerModule`, same loss, decoding and cache).

    >>> import numpy as np
    >>> h = VelocityHeuristic(smooth=1, threshold=0.5, min_len=2)
    >>> speed = np.array([1, 1, .9, .2, .1, .2, .9, 1, .9, .1, .1, .9, 1, 1.])
    >>> h.spans_from_speed(speed)
    [(3, 6), (9, 11)]
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Sequence

import numpy as np
import torch
from torch import nn

from slpkit.checks import check_int_fields
from slpkit.generators.signspark.fast import TaggerConfig
from slpkit.generators.signspark.features import HAND_FEATURE_DIM, hand_features
from slpkit.metrics.segmentation import segment_f1

__all__ = ["VelocityHeuristic", "BiLSTMConfig", "BiLSTMTagger", "hand_speed"]


def hand_speed(frames: np.ndarray, std: np.ndarray | None = None) -> np.ndarray:
    """``(T,)`` speed of the frozen hand features of ``(T, 296)`` frames (central differences, per-dim ``std``
    scaling when given)."""
    left, right = hand_features(np.asarray(frames, np.float64))
    h = np.concatenate([left, right], -1)
    if std is not None:
        h = h / np.maximum(np.asarray(std, np.float64), 1e-6)
    if len(h) < 2:
        return np.zeros(len(h))
    d = np.gradient(h, axis=0)
    return np.linalg.norm(d, axis=-1)


@dataclasses.dataclass
class VelocityHeuristic:
    """Low-velocity runs as signs (see the module docstring); ``fit`` tunes the three numbers on train."""

    smooth: int = 3
    threshold: float = 0.3
    min_len: int = 4
    std: np.ndarray | None = None

    def spans_from_speed(self, speed: np.ndarray) -> list[tuple[int, int]]:
        s = np.asarray(speed, np.float64)
        T = len(s)
        if T == 0:
            return []
        w = max(1, int(self.smooth))
        if w > 1:
            k = np.ones(w) / w
            s = np.convolve(np.pad(s, (w // 2, w - 1 - w // 2), mode="edge"), k, mode="valid")
        s = s / max(float(s.max()), 1e-12)
        low = s < float(self.threshold)
        out = []
        t = 0
        while t < T:
            if not low[t]:
                t += 1
                continue
            a = t
            while t < T and low[t]:
                t += 1
            b = t
            seg = s[a:b]
            has_min = len(seg) >= 3 and bool(((seg[1:-1] <= seg[:-2]) & (seg[1:-1] <= seg[2:])).any()) or len(seg) < 3
            if a > 0 and b < T and b - a >= int(self.min_len) and has_min:
                out.append((a, b))
        return out

    def segment(self, frames: Sequence[np.ndarray]) -> list[list[tuple[int, int]]]:
        """Spans of each ``(T, 296)`` frame array."""
        return [self.spans_from_speed(hand_speed(f, self.std)) for f in frames]

    def fit(self, frames: Sequence[np.ndarray], spans: Sequence[Sequence[Sequence[int]]],
            smooth: Sequence[int] = (1, 3, 5), thresholds: Sequence[float] = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5),
            min_lens: Sequence[int] = (2, 4, 6, 8), max_sequences: int = 300) -> "VelocityHeuristic":
        """Grid search of ``(smooth, threshold, min_len)`` maximising segment F1 at IoU 0.5 on ``frames``
        (at most ``max_sequences`` of them, evenly spaced: 84 settings x 300 sequences take a few seconds)."""
        frames, spans = list(frames), list(spans)
        if not frames:
            raise ValueError("no training sequences to tune the velocity heuristic on")
        if len(frames) != len(spans):
            raise ValueError(f"{len(frames)} sequences but {len(spans)} span lists: pass one per sequence")
        if len(frames) > int(max_sequences):
            pick = np.linspace(0, len(frames) - 1, int(max_sequences)).round().astype(int)
            frames, spans = [frames[i] for i in pick], [spans[i] for i in pick]
        left, right = zip(*(hand_features(np.asarray(f, np.float64)) for f in frames))
        self.std = np.concatenate([np.concatenate(left), np.concatenate(right)], 1).std(0)
        speeds = [hand_speed(f, self.std) for f in frames]
        ref = [[(int(s[0]), int(s[1])) for s in sp] for sp in spans]
        best = (-1.0, None)
        for w, th, ml in itertools.product(smooth, thresholds, min_lens):
            cand = dataclasses.replace(self, smooth=w, threshold=th, min_len=ml)
            f1 = segment_f1([cand.spans_from_speed(s) for s in speeds], ref)
            if f1 > best[0]:
                best = (f1, (w, th, ml))
        self.smooth, self.threshold, self.min_len = best[1]
        self.train_f1 = best[0]
        return self


@dataclasses.dataclass
class BiLSTMConfig(TaggerConfig):
    """BiLSTM tagger sizes. ``smoke()``: hidden 64, 250 steps (it converges in fewer steps than FAST, each ~1.5x
    dearer); ``full()``: hidden 128, 2 layers."""

    hidden: int = 128
    lstm_layers: int = 2
    proj: int = 64

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int_fields(self, ("hidden", "lstm_layers", "proj"))

    @classmethod
    def smoke(cls) -> "BiLSTMConfig":
        return cls(hidden=64, lstm_layers=1, proj=64, dropout=0.0, max_steps=250, lr=3e-3, batch_size=16)

    @classmethod
    def full(cls) -> "BiLSTMConfig":
        return cls(hidden=128, lstm_layers=2, proj=64, max_steps=10000, batch_size=64, lr=1e-3, warmup_steps=300)

    def build(self) -> nn.Module:
        return BiLSTMTagger(self)


class BiLSTMTagger(nn.Module):
    """``(left, right)`` ``(B, T, 114)`` + mask -> logits ``(B, T, 3)`` through a bidirectional LSTM.

        >>> net = BiLSTMTagger(BiLSTMConfig(hidden=8, lstm_layers=1, proj=8))
        >>> x = torch.randn(2, 7, 114)
        >>> net(x, x, torch.ones(2, 7, dtype=torch.bool)).shape
        torch.Size([2, 7, 3])
    """

    def __init__(self, cfg: BiLSTMConfig):
        super().__init__()
        self.proj = nn.Linear(2 * HAND_FEATURE_DIM, cfg.proj)
        self.lstm = nn.LSTM(cfg.proj, cfg.hidden, num_layers=cfg.lstm_layers, batch_first=True, bidirectional=True,
                            dropout=cfg.dropout if cfg.lstm_layers > 1 else 0.0)
        self.head = nn.Linear(2 * cfg.hidden, 3)

    def forward(self, left: torch.Tensor, right: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.proj(torch.cat([left, right], -1)))
        lengths = mask.sum(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp_min(1), batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
        return self.head(h)
