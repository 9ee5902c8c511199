"""Part-wise motion tokenizers: SOKE's decoupled VQ-VAE and M3T's per-modality FSQ-VAEs.

One :class:`PartwiseTokenizer` holds one conv VAE (``conv.Encoder`` -> quantizer ->
``conv.Decoder``) per *VAE name* and routes each token *stream* through one of them.

Partitions (``partition=``):

===================  ==============  =====================================================
name                 input (D)       streams -> VAE (features)
===================  ==============  =====================================================
``whole``            V133 (133)      whole -> whole (133)            SOKE Table 4 row 1
``body_hands``       V133 (133)      body (43), hands (90)           SOKE Table 4 row 2
``body_lhand_rhand`` V133 (133)      body (43), lhand (45), rhand (45)  SOKE default
``m3t``              V133|F108 (241) body (60), lhand -> hand (90), rhand -> hand (90),
                                     face (108)                      M3T Sec. 3.2
===================  ==============  =====================================================

SOKE parts are index sets of the V133 (``slpkit.body.layouts.PARTITIONS``; body =
``[0:30] + [120:133]``). For ``m3t`` the input ``[V133 | F108]`` is turned into SMPL-FX
streams (``layouts.smplfx_streams(..., mirror_left=True)``: body and hands as 6D rotations,
the left hand mirrored with ``layouts.mirror_hand`` so that ONE hand encoder / quantizer /
decoder serves both hands, M3T: "Left hand poses are mirrored before encoding, enabling a
shared hand encoder"); decoding un-mirrors it (``layouts.smplfx_to_v133``).

Inside, features are normalised with dataset statistics ``(f - mean) / (std + 1e-10)``
(SOKE; ``std`` floored at ``std_floor`` so dims constant in the training data stay
finite on new data; ``std_floor=0`` is the exact SOKE rule). The statistics are buffers,
so they travel in every checkpoint: :meth:`encode` takes raw poses, :meth:`decode`
returns raw poses.

Time: the encoder downsamples by ``2**depth`` (4). Clips whose length is not a multiple
of 4 are padded by repeating the last frame; ``encode`` returns ``ceil(T / 4)`` tokens
per stream and ``forward`` crops the reconstruction back to ``T`` frames.

Example::

    tok = PartwiseTokenizer('body_lhand_rhand', quantizer='vq', width=64)
    ids = tok.encode(v133)          # {'body': (B, T/4), 'lhand': ..., 'rhand': ...}
    poses = tok.decode(ids)         # (B, T, 133)
    recon, losses, ids = tok(v133)  # losses['loss'] = recon + quantizer losses
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from slpkit.body import layouts as L
from slpkit.checks import check_finite, check_motion
from slpkit.tokenizers.conv import Decoder, Encoder
from slpkit.tokenizers.fsq import FSQ
from slpkit.tokenizers.vq import EMAResetQuantizer, QuantizerOutput, VectorQuantizer

PARTITION_NAMES = ("whole", "body_hands", "body_lhand_rhand", "m3t")
M3T_STREAMS = ("body", "lhand", "rhand", "face")

#: default codebook sizes per VAE (SOKE Sec. 4 impl. details: body 96, hands 192;
#: 'whole' uses MotionGPT's 512; 'body_hands' gives the joint hand VAE 2 x 192;
#: m3t matches the FSQ grids below)
DEFAULT_CODEBOOK_SIZES: dict[str, dict[str, int]] = {
    "whole": {"whole": 512},
    "body_hands": {"body": 96, "hands": 384},
    "body_lhand_rhand": {"body": 96, "lhand": 192, "rhand": 192},
    "m3t": {"body": 96, "hand": 192, "face": 512},
}

#: default FSQ levels per VAE. M3T uses a 3-dim latent with codebooks "comparable to SOKE"
#: and a larger face codebook; the exact levels are lost in the paper's text extraction, so
#: slpkit picks grids with SOKE's sizes: 8*4*3 = 96, 8*6*4 = 192, 8*8*8 = 512.
DEFAULT_FSQ_LEVELS: dict[str, dict[str, tuple[int, ...]]] = {
    "whole": {"whole": (8, 8, 8)},
    "body_hands": {"body": (8, 4, 3), "hands": (8, 8, 6)},
    "body_lhand_rhand": {"body": (8, 4, 3), "lhand": (8, 6, 4), "rhand": (8, 6, 4)},
    "m3t": {"body": (8, 4, 3), "hand": (8, 6, 4), "face": (8, 8, 8)},
}


@dataclass(frozen=True)
class Stream:
    """One token stream: ``name`` (key of the token dict), ``vae`` (which VAE encodes it;
    two streams naming the same VAE share encoder, quantizer and decoder) and ``cols``
    (its columns in the feature vector)."""

    name: str
    vae: str
    cols: tuple[int, ...]


def partition_streams(partition: str) -> tuple[list[Stream], int, int]:
    """``(streams, input_dim, feature_dim)`` of a partition (see the module table)."""
    if partition == "m3t":
        dims = L.SMPLFX_DIMS
        streams, start = [], 0
        for name in M3T_STREAMS:
            vae = "hand" if name in ("lhand", "rhand") else name
            streams.append(Stream(name, vae, tuple(range(start, start + dims[name]))))
            start += dims[name]
        return streams, L.D133 + L.F108, start
    if partition not in L.PARTITIONS:
        raise ValueError(f"unknown partition {partition!r}: use one of {PARTITION_NAMES}")
    streams = [Stream(k, k, tuple(idx)) for k, idx in L.PARTITIONS[partition].items()]
    return streams, L.D133, L.D133


def m3t_features(x241: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """``(..., 241)`` ``[V133 | F108]`` -> ``(..., 348)`` SMPL-FX stream features
    ``body 60 | lhand 90 (mirrored) | rhand 90 | face 108``."""
    st = L.smplfx_streams(x241[..., :L.D133], x241[..., L.D133:], mirror_left=True)
    parts = [st[k] for k in M3T_STREAMS]
    return torch.cat(parts, -1) if isinstance(x241, torch.Tensor) else np.concatenate(parts, -1)


def m3t_poses(features: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """Inverse of :func:`m3t_features`: ``(..., 348)`` -> ``(..., 241)`` (left hand un-mirrored)."""
    streams, s = {}, 0
    for k in M3T_STREAMS:
        d = L.SMPLFX_DIMS[k]
        streams[k] = features[..., s:s + d]
        s += d
    v133, face = L.smplfx_to_v133(streams, mirror_left=True)
    return torch.cat([v133, face], -1) if isinstance(features, torch.Tensor) else np.concatenate([v133, face], -1)


def check_partwise_args(partition: str, quantizer: str, vq_kind: str = "ema_reset",
                        codebook_sizes: Mapping[str, int] | None = None,
                        fsq_levels: Mapping[str, Sequence[int]] | None = None,
                        recon_loss: str = "smooth_l1") -> tuple[dict[str, int], dict[str, int], dict[str, tuple]]:
    """Validate a tokenizer's settings; returns ``(vae input dims, VQ sizes, FSQ levels)``.

    ``codebook_sizes`` sets VQ codebooks only: with ``quantizer='fsq'`` the size of a codebook is
    ``prod(fsq_levels[vae])``, so passing ``codebook_sizes`` raises instead of being ignored.
    """
    if quantizer not in ("vq", "fsq"):
        raise ValueError(f"quantizer={quantizer!r}: use 'vq' (SOKE, EMA codebook) or 'fsq' (M3T)")
    if vq_kind not in ("ema_reset", "plain"):
        raise ValueError(f"vq_kind={vq_kind!r}: use 'ema_reset' or 'plain'")
    if recon_loss not in ("smooth_l1", "l2", "l1"):
        raise ValueError(f"recon_loss={recon_loss!r}: use 'smooth_l1', 'l2' or 'l1'")
    if quantizer == "fsq" and codebook_sizes:
        raise ValueError(f"codebook_sizes={dict(codebook_sizes)} only applies to quantizer='vq': an FSQ codebook has "
                         "prod(levels) codes, so set fsq_levels (e.g. {'body': (8, 4, 3)} for 96 codes) instead")
    if quantizer == "vq" and fsq_levels:
        raise ValueError(f"fsq_levels={dict(fsq_levels)} only applies to quantizer='fsq': set codebook_sizes for VQ")
    streams, _, _ = partition_streams(partition)
    vaes: dict[str, int] = {}
    for s in streams:
        vaes.setdefault(s.vae, len(s.cols))
    unknown = set(codebook_sizes or {}) | set(fsq_levels or {})
    if unknown - set(vaes):
        raise ValueError(f"codebook settings for unknown part(s) {sorted(unknown - set(vaes))}; "
                         f"partition {partition!r} has VAEs {list(vaes)}")
    sizes = dict(DEFAULT_CODEBOOK_SIZES[partition])
    sizes.update(codebook_sizes or {})
    for vae, k in sizes.items():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
            raise ValueError(f"codebook_sizes[{vae!r}]={k!r}: use an integer >= 2")
    levels = {k: tuple(v) for k, v in DEFAULT_FSQ_LEVELS[partition].items()}
    levels.update({k: tuple(v) for k, v in (fsq_levels or {}).items()})
    for vae, lv in levels.items():
        if not lv or any(isinstance(l, bool) or not isinstance(l, (int, np.integer)) or l < 2 for l in lv):
            raise ValueError(f"fsq_levels[{vae!r}]={lv!r}: use a tuple of integers >= 2, e.g. (8, 5, 5)")
    return vaes, sizes, levels


class PartwiseTokenizer(nn.Module):
    """Decoupled motion tokenizer (SOKE Sec. 3.2 / M3T Sec. 3.2).

    Args:
        partition: ``'whole' | 'body_hands' | 'body_lhand_rhand' | 'm3t'``.
        quantizer: ``'vq'`` (SOKE) or ``'fsq'`` (M3T).
        vq_kind: ``'ema_reset'`` (SOKE / T2M-GPT, default) or ``'plain'`` (learned codebook).
        codebook_sizes: ``{vae: K}`` for VQ (defaults :data:`DEFAULT_CODEBOOK_SIZES`).
        fsq_levels: ``{vae: levels}`` for FSQ (defaults :data:`DEFAULT_FSQ_LEVELS`).
        width, depth, res_depth, dilation_growth_rate: conv sizes (``conv.Encoder``).
        code_dim: latent width; default ``width`` for VQ (SOKE: 512) and ``len(levels)`` for FSQ (M3T: 3).
        mu, commit_weight: EMA decay and commitment weight (SOKE 0.99, 0.02).
        beta: commitment weight of the plain VQ.
        recon_loss: ``'smooth_l1'`` (SOKE) | ``'l2'`` (M3T) | ``'l1'``, on normalised features.
        std_floor: lower bound of the normalisation std.
    """

    def __init__(self, partition: str = "body_lhand_rhand", quantizer: str = "vq", vq_kind: str = "ema_reset",
                 codebook_sizes: Mapping[str, int] | None = None,
                 fsq_levels: Mapping[str, Sequence[int]] | None = None,
                 width: int = 512, depth: int = 2, res_depth: int = 3, dilation_growth_rate: int = 3,
                 code_dim: int | None = None, mu: float = 0.99, commit_weight: float = 0.02, beta: float = 0.25,
                 recon_loss: str = "smooth_l1", std_floor: float = 1e-3):
        super().__init__()
        vaes, sizes, levels = check_partwise_args(partition, quantizer, vq_kind, codebook_sizes, fsq_levels, recon_loss)
        self.partition, self.quantizer_kind, self.vq_kind = partition, quantizer, vq_kind
        self.streams, self.input_dim, self.feature_dim = partition_streams(partition)
        self.recon_loss, self.std_floor = recon_loss, float(std_floor)
        self.depth = depth
        self.encoders, self.decoders, self.quantizers = nn.ModuleDict(), nn.ModuleDict(), nn.ModuleDict()
        for vae, dim in vaes.items():
            if quantizer == "fsq":
                cdim = code_dim or len(levels[vae])
                q: nn.Module = FSQ(levels[vae], dim=cdim)
            else:
                cdim = code_dim or width
                if vq_kind == "ema_reset":
                    q = EMAResetQuantizer(sizes[vae], cdim, mu=mu, commit_weight=commit_weight)
                else:
                    q = VectorQuantizer(sizes[vae], cdim, beta=beta)
            self.encoders[vae] = Encoder(dim, cdim, width, depth, res_depth, dilation_growth_rate)
            self.decoders[vae] = Decoder(dim, cdim, width, depth, res_depth, dilation_growth_rate)
            self.quantizers[vae] = q
        self.register_buffer("mean", torch.zeros(self.feature_dim))
        self.register_buffer("std", torch.ones(self.feature_dim))

    # ------------------------------------------------------------------ description
    @property
    def stream_names(self) -> list[str]:
        return [s.name for s in self.streams]

    @property
    def downsample(self) -> int:
        return 2**self.depth

    def codebook_size(self, stream: str) -> int:
        """Number of codes of a stream's quantizer (``K`` or ``prod(levels)``)."""
        return int(self.quantizers[self._stream(stream).vae].codebook_size)

    @property
    def codebook_sizes(self) -> dict[str, int]:
        return {s.name: self.codebook_size(s.name) for s in self.streams}

    def _stream(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        raise ValueError(f"unknown stream {name!r}: this {self.partition!r} tokenizer has {self.stream_names}")

    # ------------------------------------------------------------------ features
    def to_features(self, x):
        """Raw poses ``(..., input_dim)`` -> features ``(..., feature_dim)`` (identity for SOKE)."""
        return m3t_features(x) if self.partition == "m3t" else x

    def from_features(self, f):
        """Inverse of :meth:`to_features`."""
        return m3t_poses(f) if self.partition == "m3t" else f

    def set_normalization(self, mean, std) -> None:
        """Store dataset statistics of the *features* (``(feature_dim,)`` each)."""
        mean = torch.as_tensor(np.asarray(mean), dtype=torch.float32).reshape(-1)
        std = torch.as_tensor(np.asarray(std), dtype=torch.float32).reshape(-1)
        if mean.numel() != self.feature_dim or std.numel() != self.feature_dim:
            raise ValueError(f"normalisation stats must have {self.feature_dim} values (features of partition "
                             f"{self.partition!r}), got {mean.numel()} and {std.numel()}")
        check_finite(mean, "mean")
        check_finite(std, "std")
        if bool((std < 0).any()):
            raise ValueError(f"std holds negative values (min {float(std.min()):.4g}): pass standard deviations >= 0")
        self.mean.copy_(mean)
        self.std.copy_(std)

    def _scale(self) -> torch.Tensor:
        return self.std.clamp_min(self.std_floor) + 1e-10

    def normalize(self, f: torch.Tensor) -> torch.Tensor:
        return (f - self.mean) / self._scale()

    def denormalize(self, f: torch.Tensor) -> torch.Tensor:
        return f * self._scale() + self.mean

    def _prepare(self, x, name: str = "poses") -> tuple[torch.Tensor, bool]:
        """Validate raw poses and return ``(B, T, input_dim)`` float tensor on the model device."""
        hint = ("SOKE partitions take the 133-dim V133 vector; 'm3t' takes [V133 | F108] (241), "
                "e.g. np.concatenate([s.v133, s.face108], -1).")
        check_motion(x, self.input_dim, name, hint)
        if x.ndim > 3:
            raise ValueError(f"{name} has shape {tuple(x.shape)}, expected (T, {self.input_dim}) or (B, T, {self.input_dim})")
        x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
        single = x.ndim == 2
        x = x[None] if single else x
        return x.to(self.mean.device, torch.float32), single

    def _pad(self, f: torch.Tensor) -> torch.Tensor:
        T, r = f.shape[1], self.downsample
        pad = (-T) % r
        if pad:
            f = torch.cat([f, f[:, -1:].expand(-1, pad, -1)], 1)
        return f

    # ------------------------------------------------------------------ core (normalised features)
    def _stream_inputs(self, f: torch.Tensor) -> dict[str, torch.Tensor]:
        """Group the per-stream slices of ``f`` by VAE (streams sharing a VAE stacked on the batch axis)."""
        groups: dict[str, list[torch.Tensor]] = {}
        for s in self.streams:
            groups.setdefault(s.vae, []).append(f[..., list(s.cols)])
        return {vae: torch.cat(xs, 0) for vae, xs in groups.items()}

    def forward_features(self, f: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Normalised features ``(B, T, F)`` (``T`` a multiple of 4) -> ``(recon, losses, indices)``.

        Used by the trainer. ``losses``: ``recon`` (on normalised features), ``quant`` (sum of
        quantizer losses), ``commit``, ``codebook`` (raw, summed over VAEs), ``loss`` =
        ``recon + quant``, and ``perplexity/<vae>``.
        """
        B = f.shape[0]
        recon = torch.zeros_like(f)
        indices: dict[str, torch.Tensor] = {}
        losses: dict[str, torch.Tensor] = {}
        quant = commit = codebook = f.new_zeros(())
        for vae, xin in self._stream_inputs(f).items():
            z = self.encoders[vae](xin)
            out: QuantizerOutput = self.quantizers[vae](z)
            y = self.decoders[vae](out.z_q)
            quant = quant + out.loss
            commit = commit + out.commit_loss
            codebook = codebook + out.codebook_loss
            losses[f"perplexity/{vae}"] = out.perplexity.detach()
            members = [s for s in self.streams if s.vae == vae]
            for i, s in enumerate(members):
                recon[..., list(s.cols)] = y[i * B:(i + 1) * B].to(recon.dtype)
                indices[s.name] = out.indices[i * B:(i + 1) * B]
        if self.recon_loss == "smooth_l1":
            rec = F.smooth_l1_loss(recon, f)
        elif self.recon_loss == "l2":
            rec = F.mse_loss(recon, f)
        else:
            rec = F.l1_loss(recon, f)
        losses.update(recon=rec, quant=quant, commit=commit, codebook=codebook, loss=rec + quant)
        return recon, losses, indices

    def encode_features(self, f: torch.Tensor) -> dict[str, torch.Tensor]:
        """Normalised features ``(B, T, F)`` -> token ids per stream (no quantizer state change)."""
        f = self._pad(f)
        B = f.shape[0]
        out: dict[str, torch.Tensor] = {}
        for vae, xin in self._stream_inputs(f).items():
            idx = self.quantizers[vae].encode_indices(self.encoders[vae](xin))
            for i, s in enumerate([s for s in self.streams if s.vae == vae]):
                out[s.name] = idx[i * B:(i + 1) * B].long()
        return out

    def decode_features(self, tokens: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Token ids per stream ``(B, N)`` -> normalised features ``(B, N * 4, F)``."""
        recon = None
        for s in self.streams:
            idx = tokens[s.name]
            z = self.quantizers[s.vae].decode_indices(idx)
            y = self.decoders[s.vae](z.to(self.mean.dtype))
            if recon is None:
                recon = y.new_zeros(y.shape[0], y.shape[1], self.feature_dim)
            recon[..., list(s.cols)] = y
        return recon

    # ------------------------------------------------------------------ public API (raw poses)
    def encode(self, x) -> dict[str, torch.Tensor]:
        """Raw poses ``(B, T, D)`` or ``(T, D)`` -> ``{stream: LongTensor (B, ceil(T/4))}``
        (``(ceil(T/4),)`` for a single clip). Deterministic: quantizer state is not touched."""
        x, single = self._prepare(x)
        tokens = self.encode_features(self.normalize(self.to_features(x)))
        return {k: v[0] for k, v in tokens.items()} if single else tokens

    def decode(self, tokens: Mapping[str, torch.Tensor | np.ndarray | Sequence[int]]) -> torch.Tensor:
        """``{stream: ids (B, N) or (N,)}`` -> raw poses ``(B, 4N, D)`` (or ``(4N, D)``)."""
        if not isinstance(tokens, Mapping):
            raise ValueError(f"tokens={type(tokens).__name__}: pass {{stream: ids}} for the streams {self.stream_names}")
        missing = [s for s in self.stream_names if s not in tokens]
        if missing:
            raise ValueError(f"decode needs token ids for every stream {self.stream_names}; missing {missing}")
        extra = [s for s in tokens if s not in self.stream_names]
        if extra:
            raise ValueError(f"tokens has stream(s) {extra} this {self.partition!r} tokenizer does not have "
                             f"({self.stream_names}): they would be ignored; decode with the tokenizer that made them")
        tok, single, length = {}, None, None
        for name in self.stream_names:
            t = torch.as_tensor(np.asarray(tokens[name]) if not isinstance(tokens[name], torch.Tensor) else tokens[name])
            if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool or t.ndim not in (1, 2):
                raise ValueError(f"tokens[{name!r}] must be integer ids of shape (N,) or (B, N), got {t.dtype} {tuple(t.shape)}")
            if t.numel() == 0:
                raise ValueError(f"tokens[{name!r}] is empty: pass at least one token")
            K = self.codebook_size(name)
            if int(t.min()) < 0 or int(t.max()) >= K:
                raise ValueError(f"tokens[{name!r}] has ids outside [0, {K}) (codebook of stream {name!r})")
            single = t.ndim == 1 if single is None else single
            t = t[None] if t.ndim == 1 else t
            if length is not None and tuple(t.shape) != length:
                raise ValueError(f"all streams must have the same (B, N); {name!r} has {tuple(t.shape)}, expected {length}")
            length = tuple(t.shape)
            tok[name] = t.to(self.mean.device).long()
        poses = self.from_features(self.denormalize(self.decode_features(tok)))
        return poses[0] if single else poses

    def forward(self, x) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Raw poses ``(B, T, D)`` -> ``(recon (B, T, D) raw, losses, indices {stream: (B, ceil(T/4))})``.

        ``losses`` are computed on normalised features (see :meth:`forward_features`). In
        ``train()`` mode EMA quantizers update their codebooks.
        """
        x, single = self._prepare(x)
        T = x.shape[1]
        f = self._pad(self.normalize(self.to_features(x)))
        recon_f, losses, indices = self.forward_features(f)
        recon = self.from_features(self.denormalize(recon_f[:, :T]))
        if single:
            return recon[0], losses, {k: v[0] for k, v in indices.items()}
        return recon, losses, indices

    @torch.no_grad()
    def reconstruct(self, x) -> torch.Tensor:
        """``decode(encode(x))`` cropped to the input length (raw poses in, raw poses out)."""
        x_t, single = self._prepare(x)
        T = x_t.shape[1]
        out = self.decode(self.encode(x_t))[:, :T]
        return out[0] if single else out

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
