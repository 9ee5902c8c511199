"""SignSparK's velocity network, its text encoder and the length predictor (SignSparK Fig. 3, "CFM synthesis").

The paper gives the framework, not the network; slpkit's network is a small transformer in the style of
flow-matching / diffusion motion models (MDM, Tevet et al. 2023), shapes for B sequences of T frames, D = 296:

    keyframe channel  k = [track (D) | keyframe mask (1) | log(1 + frames to the nearest keyframe) / 3 (1)]
                      track = keyframe values interpolated linearly between keyframes, held outside
                      (``keyframe_input='sparse'``: the values on the keyframes only, zeros elsewhere)
    per frame     h = Linear(x_t) + Linear(k)            -> + GELU(Conv1d(h, kernel 5))   (B, T, d)
                  h = h + sinusoidal frame position + MLP(sinusoidal(1000 t))      (time embedding)
                  L x [self-attention over frames, cross-attention to the text memory, FFN]   (pre-norm)
                  n = Linear(LayerNorm(h)), zero-initialised                                  (B, T, D)
    output        x1_hat = track + n                 (the clean motion: keyframe interpolation + correction)
                  v = (x1_hat - x_t) / (1 - a t),  a = 0.95                  (``parametrisation='x1'``)

    text tokens (B, L) -> Embedding(V, d) + positions -> TransformerEncoder  = memory (B, L, d)

The field is parametrised through a prediction of the clean motion (for a = 1 this is the exact flow of the
straight path towards ``x1_hat``; a < 1 keeps it finite at t = 1); the loss is still SignSparK's, on ``v``.
Starting from the keyframe track, the untrained field already flows from the noise to the interpolation, so the
network learns corrections: the motion between keyframes, and the rest pose and transitions before the first
and after the last keyframe, where the track only holds the end keyframes. Rows without keyframes (GF-T2P)
have ``track = 0``. ``parametrisation='velocity'`` predicts ``v`` directly plus a skip
``g (track - x_t)`` with ``g = g0(t) exp(MLP(t, distance))``, ``g0 = 1 / (1 - 0.9 t)`` between the first and
last keyframe and 1 outside. Measured on the smoke corpus (300 steps, KF2P, 43 test sentences): without any
skip the model did not beat SLERP (DTW-JPE avg 6.9 vs 3.5); 'velocity' reached 2.45 vs SLERP 3.20 but left
noise in the samples (hand acceleration 14x the data's); 'x1' reached 2.5-2.7 with 3x the data's acceleration.
These choices are slpkit's; SignSparK's network is not public.

Conditioning can be dropped per sequence (classifier-free guidance): no text = the memory is one learned
null vector; no keyframes = the keyframe channel is zero (distance = T) and the track is 0.
:class:`LengthPredictor` (text-only use, GF-T2P) regresses ``log T`` from a bag of word embeddings and the
token count.

    >>> net = FlowNet(FlowNetConfig(d_model=32, n_heads=4, layers=1, ff_dim=64), vocab_size=10)
    >>> ids, tm = torch.tensor([[2, 5, 6]]), torch.ones(1, 3, dtype=torch.bool)
    >>> mem, mm = net.encode_text(ids, tm)
    >>> x = torch.randn(1, 8, 296); fm = torch.ones(1, 8, dtype=torch.bool)
    >>> net(x, torch.rand(1), fm, mem, mm).shape
    torch.Size([1, 8, 296])
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from slpkit.checks import check_heads, check_int_fields
from slpkit.positional import sinusoidal_encoding

__all__ = ["FlowNetConfig", "TextEncoder", "Block", "FlowNet", "LengthPredictor", "time_embedding", "keyframe_track",
           "KEYFRAME_INPUTS", "PARAMETRISATIONS"]

KEYFRAME_INPUTS = ("sparse", "interpolated")
PARAMETRISATIONS = ("x1", "velocity")


def keyframe_track(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keyframe values spread over time: ``(B, T, D)`` linear interpolation between consecutive keyframes
    (held before the first / after the last) and ``(B, T)`` distance in frames to the nearest keyframe.
    Rows without keyframes give zeros and a distance of ``T``.

        >>> v = torch.zeros(1, 5, 1); v[0, 0], v[0, 4] = 0.0, 4.0
        >>> m = torch.tensor([[True, False, False, False, True]])
        >>> keyframe_track(v, m)[0][0, :, 0].tolist(), keyframe_track(v, m)[1].tolist()
        ([0.0, 1.0, 2.0, 3.0, 4.0], [[0.0, 1.0, 2.0, 1.0, 0.0]])
    """
    B, T, D = values.shape
    dev = values.device
    t = torch.arange(T, device=dev)[None].expand(B, T)
    big = torch.full_like(t, 10**9)
    # index of the previous / next keyframe at every frame
    prev = torch.where(mask, t, torch.full_like(t, -1)).cummax(1).values
    nxt = torch.where(mask, t, big).flip(1).cummin(1).values.flip(1)
    has = mask.any(1)[:, None]
    first = torch.where(mask, t, big).min(1).values[:, None].expand(B, T)
    last = torch.where(mask, t, torch.full_like(t, -1)).max(1).values[:, None].expand(B, T)
    prev = torch.where(prev < 0, first, prev)
    nxt = torch.where(nxt >= 10**9, last, nxt)
    prev, nxt = prev.clamp(0, T - 1), nxt.clamp(0, T - 1)
    span = (nxt - prev).clamp_min(1).to(values.dtype)
    u = ((t - prev).to(values.dtype) / span).clamp(0, 1)
    u = torch.where(nxt == prev, torch.zeros_like(u), u)
    vp = values.gather(1, prev[..., None].expand(B, T, D))
    vn = values.gather(1, nxt[..., None].expand(B, T, D))
    track = (vp + u[..., None] * (vn - vp)) * has[..., None]
    dist = torch.minimum((t - prev).abs(), (nxt - t).abs()).to(values.dtype)
    dist = torch.where(has, dist, torch.full_like(dist, float(T)))
    return track, dist


@dataclasses.dataclass
class FlowNetConfig:
    """Sizes of :class:`FlowNet` (``dim`` = frame features, 296 for SignSparK's rot6D streams)."""

    dim: int = 296
    d_model: int = 128
    n_heads: int = 4
    layers: int = 4
    ff_dim: int = 256
    text_layers: int = 2
    conv_kernel: int = 5
    dropout: float = 0.1
    max_frames: int = 1024
    max_text_len: int = 64
    keyframe_input: str = "interpolated"  # 'sparse': values on keyframes only; 'interpolated': spread linearly
    skip: bool = True  # v = net + g (keyframe track - x_t), g = g0 exp(MLP(t, distance)) (MLP = 0 at initialisation)
    skip_gain: float = 0.95  # 'x1': the gain 1 / (1 - skip_gain t); 'velocity': g0 of the skip inside the keyframes
    parametrisation: str = "x1"  # 'x1': v = (track + net - x_t) / (1 - skip_gain t); 'velocity': v = net + skip

    def __post_init__(self) -> None:
        name = type(self).__name__  # also checks the fields of CFMConfig, which inherits them
        if self.keyframe_input not in KEYFRAME_INPUTS:
            raise ValueError(f"{name}.keyframe_input={self.keyframe_input!r}: use one of {KEYFRAME_INPUTS}")
        check_int_fields(self, ("dim", "d_model", "n_heads", "layers", "ff_dim", "conv_kernel", "max_frames",
                                "max_text_len"))
        if int(self.text_layers) < 0:
            raise ValueError(f"{name}.text_layers={self.text_layers!r}: use 0 or more layers")
        check_heads(self)
        if self.conv_kernel % 2 == 0:
            raise ValueError(f"{name}.conv_kernel={self.conv_kernel}: use an odd kernel (same-length output)")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"{name}.dropout={self.dropout}: use a probability in [0, 1)")


def time_embedding(t: torch.Tensor, dim: int, scale: float = 1000.0) -> torch.Tensor:
    """``(B,)`` times in [0, 1] -> ``(B, dim)`` sinusoidal features of ``scale * t`` (as in DDPM / MDM)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / max(half, 1))
    a = scale * t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.sin(a), torch.cos(a)], -1)
    return nn.functional.pad(emb, (0, dim - emb.shape[-1]))


class TextEncoder(nn.Module):
    """Token ids ``(B, L)`` -> memory ``(B, L, d)``; a learned null memory stands for "no text"."""

    def __init__(self, vocab_size: int, d_model: int, n_heads: int, layers: int, ff_dim: int, dropout: float,
                 max_len: int):
        super().__init__()
        self.embed = nn.Embedding(int(vocab_size), d_model, padding_idx=0)
        self.register_buffer("pos", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.encoder = None
        if layers > 0:
            layer = nn.TransformerEncoderLayer(d_model, n_heads, ff_dim, dropout, batch_first=True, norm_first=True,
                                               activation="gelu")
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.null = nn.Parameter(torch.zeros(1, 1, d_model))
        self.max_len = int(max_len)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, drop: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """``drop`` ``(B,)`` bool: rows whose text is replaced by the null memory (CFG dropout / unconditional)."""
        ids, mask = ids[:, : self.max_len], mask[:, : self.max_len].bool()
        h = self.embed(ids) + self.pos[: ids.shape[1]][None]
        if self.encoder is not None:
            h = self.encoder(h, src_key_padding_mask=~mask)
        if drop is not None and bool(drop.any()):
            d = drop.bool()
            first = torch.zeros_like(mask)
            first[:, 0] = True
            h = torch.where(d[:, None, None], torch.where(first[..., None], self.null.expand_as(h), torch.zeros_like(h)), h)
            mask = torch.where(d[:, None], first, mask)
        return h, mask

    def null_memory(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The "no text" memory ``(B, 1, d)`` and its mask."""
        return self.null.expand(int(batch), 1, -1), torch.ones(int(batch), 1, dtype=torch.bool, device=self.null.device)


class Block(nn.Module):
    """Pre-norm transformer block: self-attention over frames, cross-attention to the text, FFN
    (``F.scaled_dot_product_attention`` with boolean masks, the fused kernel in training and sampling)."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float):
        super().__init__()
        self.h, self.p = int(heads), float(dropout)
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.o1 = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.q, self.kv, self.o2 = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, self_mask: torch.Tensor, mem: torch.Tensor, mem_mask: torch.Tensor) -> torch.Tensor:
        """``h`` ``(B, T, d)``; ``self_mask`` ``(B, 1, 1, T)`` / ``mem_mask`` ``(B, 1, 1, L)``: True = attend."""
        B, T, d = h.shape
        H, p = self.h, self.p if self.training else 0.0
        q, k, v = self.qkv(self.n1(h)).view(B, T, 3, H, d // H).permute(2, 0, 3, 1, 4)
        a = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=self_mask, dropout_p=p)
        h = h + self.drop(self.o1(a.transpose(1, 2).reshape(B, T, d)))
        L = mem.shape[1]
        q = self.q(self.n2(h)).view(B, T, H, d // H).transpose(1, 2)
        k, v = self.kv(mem).view(B, L, 2, H, d // H).permute(2, 0, 3, 1, 4)
        a = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mem_mask, dropout_p=p)
        h = h + self.drop(self.o2(a.transpose(1, 2).reshape(B, T, d)))
        return h + self.drop(self.ff(self.n3(h)))


class FlowNet(nn.Module):
    """Velocity field ``v(x_t, t | text, keyframes)`` over ``(B, T, D)`` frames (see the module docstring).

    What depends only on the keyframes (track, distances, their input projection) is computed once per
    sampling call by :meth:`keyframe_context` and reused at every solver step.
    """

    def __init__(self, cfg: FlowNetConfig, vocab_size: int):
        super().__init__()
        self.cfg = cfg
        d, D = cfg.d_model, cfg.dim
        self.text = TextEncoder(vocab_size, d, cfg.n_heads, cfg.text_layers, cfg.ff_dim, cfg.dropout, cfg.max_text_len)
        self.mem_norm = nn.LayerNorm(d)
        self.inp_x = nn.Linear(D, d)
        self.inp_kf = nn.Linear(D + 2, d, bias=False)  # keyframe channel (values, mask, log distance)
        self.conv = nn.Conv1d(d, d, cfg.conv_kernel, padding=cfg.conv_kernel // 2)
        self.time = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.register_buffer("pos", sinusoidal_encoding(cfg.max_frames, d), persistent=False)
        self.blocks = nn.ModuleList(Block(d, cfg.n_heads, cfg.ff_dim, cfg.dropout) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, D)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        if cfg.skip and cfg.parametrisation == "velocity":  # per-frame, per-dim gain of the skip, from (t, distance)
            self.gain = nn.Sequential(nn.Linear(d + 1, 32), nn.SiLU(), nn.Linear(32, D))
            nn.init.zeros_(self.gain[-1].weight)
            nn.init.zeros_(self.gain[-1].bias)

    def encode_text(self, ids: torch.Tensor, mask: torch.Tensor, drop: torch.Tensor | None = None):
        return self.text(ids, mask, drop)

    def keyframe_context(self, frame_mask: torch.Tensor, kf_values: torch.Tensor | None = None,
                         kf_mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Everything the field needs from the keyframes ``(B, T, D)`` / ``(B, T)``; constant during sampling."""
        fm = frame_mask.bool()
        B, T = fm.shape
        kmb = torch.zeros_like(fm) if kf_mask is None else kf_mask.bool() & fm
        km = kmb[..., None].to(self.out.weight.dtype)
        kv = torch.zeros(B, T, self.cfg.dim, device=fm.device) if kf_values is None else kf_values.to(km.dtype) * km
        track, dist = keyframe_track(kv, kmb)
        logd = (torch.log1p(dist) / 3.0)[..., None]
        chan = track if self.cfg.keyframe_input == "interpolated" else kv
        ctx = {"fm": fm, "has": kmb.any(1)[:, None, None].to(km.dtype), "track": track, "logd": logd,
               "h_kf": self.inp_kf(torch.cat([chan, km, logd], -1)),
               "self_mask": fm[:, None, None, :]}
        if self.cfg.skip:
            idx = torch.arange(T, device=fm.device)[None]
            first = torch.where(kmb, idx, T).min(1, keepdim=True).values
            last = torch.where(kmb, idx, -1).max(1, keepdim=True).values
            ctx["inside"] = ((idx >= first) & (idx <= last))[..., None]
        return ctx

    def forward(self, x: torch.Tensor, t: torch.Tensor, frame_mask: torch.Tensor, memory: torch.Tensor,
                memory_mask: torch.Tensor, kf_values: torch.Tensor | None = None,
                kf_mask: torch.Tensor | None = None, context: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """``x`` ``(B, T, D)``, ``t`` ``(B,)``, ``frame_mask`` ``(B, T)`` (True = real frame), ``memory`` ``(B, L, d)``
        with ``memory_mask`` ``(B, L)``, keyframes ``kf_values`` ``(B, T, D)`` / ``kf_mask`` ``(B, T)`` (or their
        precomputed ``context``) -> ``(B, T, D)``."""
        B, T, D = x.shape
        if D != self.cfg.dim:
            raise ValueError(f"frames have {D} features but the network was built for {self.cfg.dim}")
        if T > self.cfg.max_frames:
            raise ValueError(f"a sequence of {T} frames exceeds max_frames={self.cfg.max_frames}: raise it in the config")
        ctx = self.keyframe_context(frame_mask, kf_values, kf_mask) if context is None else context
        fm = ctx["fm"][..., None].to(x.dtype)
        h = (self.inp_x(x) + ctx["h_kf"]) * fm
        h = h + nn.functional.gelu(self.conv(h.transpose(1, 2))).transpose(1, 2)
        temb = self.time(time_embedding(t, self.cfg.d_model))
        h = h + self.pos[:T][None] + temb[:, None]
        mem = self.mem_norm(memory)
        mm = memory_mask.bool()[:, None, None, :]
        for blk in self.blocks:
            h = blk(h, ctx["self_mask"], mem, mm)
        v = self.out(self.norm(h))
        if self.cfg.parametrisation == "x1":  # v = (x1_hat - x_t) / (1 - a t), x1_hat = track + network
            g = 1.0 / (1.0 - self.cfg.skip_gain * t.to(x.dtype))[:, None, None]
            base = ctx["track"] * ctx["has"] if self.cfg.skip else torch.zeros_like(x)
            return (base + v - x) * g * fm
        if self.cfg.skip:
            gt = 1.0 / (1.0 - self.cfg.skip_gain * t.to(x.dtype))[:, None, None]
            g0 = torch.where(ctx["inside"], gt, torch.ones_like(fm))
            g = g0 * torch.exp(self.gain(torch.cat([temb[:, None].expand(B, T, -1), ctx["logd"]], -1)))
            v = v + g * (ctx["track"] - x) * ctx["has"]
        return v * fm


class LengthPredictor(nn.Module):
    """Text -> ``log T`` from the sum and the mean of word embeddings and the token count (for GF-T2P)."""

    def __init__(self, vocab_size: int, dim: int = 64):
        super().__init__()
        self.embed = nn.Embedding(int(vocab_size), dim, padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(2 * dim + 1, dim), nn.GELU(), nn.Linear(dim, 1))
        self.register_buffer("log_mean", torch.tensor(0.0))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(B,)`` predicted ``log T``."""
        m = mask.to(torch.float32)[..., None]
        e = self.embed(ids) * m
        n = m.sum(1)
        feats = torch.cat([e.sum(1) / 4.0, e.sum(1) / n.clamp_min(1.0), n / 10.0], -1)
        return self.mlp(feats).squeeze(-1) + self.log_mean

    def frames(self, ids: torch.Tensor, mask: torch.Tensor, min_frames: int = 4, max_frames: int = 1024) -> torch.Tensor:
        """``(B,)`` predicted lengths in frames (rounded, clamped)."""
        return torch.exp(self(ids, mask)).round().long().clamp(int(min_frames), int(max_frames))
