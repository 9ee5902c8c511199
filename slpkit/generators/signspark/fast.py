"""FAST: SignSparK's sign segmentation model (Fig. 2a) and its training through slpkit's training layer.

SignSparK mines sign boundaries at scale with FAST, "an ultra-efficient sign segmentation model":
frozen per-frame hand features -> two parallel 1D-conv streams -> a two-stream mixer -> a transformer
-> per-frame BIO tags. FAST's code is not public; slpkit builds it from the figure:

    left hand  (B, T, 114) -> Linear(114, d) -> 3 x residual [Conv1d(d, d, 7) + GELU]  = a (B, T, d)
    right hand (B, T, 114) -> Linear(114, d) -> 3 x residual [Conv1d(d, d, 7) + GELU]  = b (B, T, d)
    mixer      m = (a + b) / 2 + Linear(GELU(Linear([a, b, a * b])))                       (B, T, d)
    transformer encoder (pre-norm, sinusoidal positions, padding mask)                     (B, T, d)
    BIO head   Linear(d, 3)  -> logits of O (0), I (1), B (2) per frame                   (B, T, 3)

Frozen features (WiLoR's image features are not available): per hand the rot6D pose of its 15 finger
joints and of the arm chain that places it (collar, shoulder, elbow, wrist),
:func:`slpkit.generators.signspark.features.hand_features`, normalised with train statistics; nothing
before the conv streams is learned. Training: per-frame cross-entropy (padding masked) with class weights
(``B`` is one frame per sign). Decoding: :func:`slpkit.generators.signspark.bio.decode_bio` (constrained
Viterbi: every span starts with ``B`` and has at least ``min_span`` frames).

:class:`TaggerModule` trains any per-frame tagger with that loss (FAST, the BiLSTM baseline of
:mod:`.baselines`); :func:`train_segmenter` caches it by config + corpus; :class:`Segmenter` turns
``(T, 296)`` frames into spans.

    cfg = FASTConfig.for_mode("smoke", seed=0)
    seg = train_segmenter(corpus, cfg)                   # cached
    spans = seg.segment([features])                      # [[(start, end_exclusive), ...]]
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from slpkit.checks import check_heads, check_int_fields, check_motion
from slpkit.config import SCALE_OUT_FIELDS, resolve_device, seed_everything
from slpkit.generators.signspark.bio import bio_to_spans, decode_bio
from slpkit.generators.signspark.features import (FEATURE_DIM, HAND_FEATURE_DIM, StageConfig, hand_features,
                                                  sentence_features)
from slpkit.positional import sinusoidal_encoding
from slpkit.training import cached, fit, make_loader, read_checkpoint, single_process, warmup_cosine_scheduler

__all__ = ["FASTConfig", "FAST", "TwoStreamMixer", "ConvStream", "EncoderBlock", "TaggerConfig", "TaggerModule", "Segmenter",
           "train_segmenter", "segmenter_key", "CACHE_VERSION"]

CACHE_VERSION = 1


@dataclasses.dataclass
class TaggerConfig(StageConfig):
    """Fields every per-frame tagger shares (loss, decoding, batching)."""

    class_weights: tuple = (1.0, 1.0, 4.0)  # cross-entropy weights of O, I, B
    min_span: int = 2  # decoded signs have at least this many frames
    dropout: float = 0.1
    # TrainConfig fields, overridden
    batch_size: int = 16
    max_steps: int = 2000
    lr: float = 2e-3
    warmup_steps: int = 50

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        if len(self.class_weights) != 3 or min(float(w) for w in self.class_weights) <= 0:
            raise ValueError(f"{name}.class_weights={self.class_weights!r}: give three positive weights (O, I, B)")
        if int(self.min_span) < 1:
            raise ValueError(f"{name}.min_span={self.min_span!r}: use 1 or more frames")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"{name}.dropout={self.dropout!r}: use a probability in [0, 1)")

    def build(self) -> nn.Module:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclasses.dataclass
class FASTConfig(TaggerConfig):
    """FAST sizes (slpkit's; the paper gives none). ``smoke()``: d 32, 1 transformer layer, 400 steps;
    ``full()``: d 64, 2 layers."""

    d_model: int = 64
    conv_kernel: int = 7
    conv_layers: int = 3
    n_heads: int = 2
    layers: int = 2
    ff_dim: int = 128
    separable: bool = False  # depthwise-separable stream convolutions

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int_fields(self, ("d_model", "conv_kernel", "conv_layers", "n_heads", "ff_dim"))
        if int(self.layers) < 0:
            raise ValueError(f"FASTConfig.layers={self.layers!r}: use 0 or more transformer layers")
        check_heads(self)
        if self.conv_kernel % 2 == 0:
            raise ValueError(f"FASTConfig.conv_kernel={self.conv_kernel}: use an odd kernel size")

    @classmethod
    def smoke(cls) -> "FASTConfig":
        return cls(d_model=32, layers=1, ff_dim=64, dropout=0.0, max_steps=400, lr=3e-3, batch_size=16)

    @classmethod
    def full(cls) -> "FASTConfig":
        return cls(d_model=64, layers=2, ff_dim=128, max_steps=10000, batch_size=64, lr=1e-3, warmup_steps=300)

    def build(self) -> nn.Module:
        return FAST(self)


class ConvStream(nn.Module):
    """One hand's stream: ``(B, T, 114) -> Linear -> n x residual [Conv1d(k) + GELU] -> (B, T, d)``;
    ``separable=True``: each conv is depthwise (k taps per channel) then pointwise (d x d), ~k times cheaper."""

    def __init__(self, in_dim: int, d: int, kernel: int, layers: int, separable: bool = False):
        super().__init__()
        self.proj = nn.Linear(in_dim, d)

        def conv():
            if not separable:
                return nn.Conv1d(d, d, kernel, padding=kernel // 2)
            return nn.Sequential(nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d), nn.Conv1d(d, d, 1))

        self.convs = nn.ModuleList(conv() for _ in range(layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask[:, None].to(x.dtype)
        h = self.proj(x).transpose(1, 2) * m  # (B, d, T)
        for conv in self.convs:
            h = (h + nn.functional.gelu(conv(h))) * m
        return h.transpose(1, 2)


class TwoStreamMixer(nn.Module):
    """``m = (a + b) / 2 + W2 GELU(W1 [a, b, a * b])``: each frame sees both hands (and their agreement)."""

    def __init__(self, d: int):
        super().__init__()
        self.w1 = nn.Linear(3 * d, d)
        self.w2 = nn.Linear(d, d)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return 0.5 * (a + b) + self.w2(nn.functional.gelu(self.w1(torch.cat([a, b, a * b], -1))))


class EncoderBlock(nn.Module):
    """Pre-norm transformer encoder block on ``F.scaled_dot_product_attention`` (a boolean key mask keeps the
    fused kernel; ``None`` when nothing is padded)."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float):
        super().__init__()
        self.h, self.p = int(heads), float(dropout)
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, key_mask: torch.Tensor | None) -> torch.Tensor:
        B, T, d = h.shape
        q, k, v = self.qkv(self.n1(h)).view(B, T, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        a = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=key_mask,
                                                       dropout_p=self.p if self.training else 0.0)
        h = h + self.drop(self.o(a.transpose(1, 2).reshape(B, T, d)))
        return h + self.drop(self.ff(self.n2(h)))


class FAST(nn.Module):
    """FAST (SignSparK Fig. 2a): ``(left, right)`` hand features ``(B, T, 114)`` each + mask -> logits ``(B, T, 3)``.

        >>> net = FAST(FASTConfig(d_model=16, n_heads=2, layers=1, ff_dim=32))
        >>> x = torch.randn(2, 9, 114)
        >>> net(x, x, torch.ones(2, 9, dtype=torch.bool)).shape
        torch.Size([2, 9, 3])
    """

    def __init__(self, cfg: FASTConfig):
        super().__init__()
        d = cfg.d_model
        self.left = ConvStream(HAND_FEATURE_DIM, d, cfg.conv_kernel, cfg.conv_layers, cfg.separable)
        self.right = ConvStream(HAND_FEATURE_DIM, d, cfg.conv_kernel, cfg.conv_layers, cfg.separable)
        self.mixer = TwoStreamMixer(d)
        self.blocks = nn.ModuleList(EncoderBlock(d, cfg.n_heads, cfg.ff_dim, cfg.dropout) for _ in range(cfg.layers))
        self.register_buffer("pos", sinusoidal_encoding(4096, d), persistent=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 3)

    def forward(self, left: torch.Tensor, right: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.bool()
        h = self.mixer(self.left(left, m), self.right(right, m))
        T = h.shape[1]
        if T > self.pos.shape[0]:
            raise ValueError(f"a sequence of {T} frames exceeds FAST's 4096-frame positional table: split it")
        h = h + self.pos[:T][None]
        key_mask = None if bool(m.all()) else m[:, None, None, :]
        for blk in self.blocks:
            h = blk(h, key_mask)
        return self.head(self.norm(h))


# ------------------------------------------------------------------------------------------------ training
class _Tagged(Dataset):
    def __init__(self, feats: Sequence[np.ndarray], tags: Sequence[np.ndarray]):
        self.feats, self.tags = feats, tags

    def __len__(self) -> int:
        return len(self.feats)

    def __getitem__(self, i):
        return self.feats[i], self.tags[i]


class TaggerModule(pl.LightningModule):
    """A per-frame BIO tagger over ``(T, 296)`` frames: normalisation, loss, batched prediction, persistence."""

    def __init__(self, cfg: TaggerConfig, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.cfg = cfg
        self.net = cfg.build()
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, np.float32)))
        self.register_buffer("std", torch.as_tensor(np.maximum(np.asarray(std, np.float32), cfg.min_std)))
        self.register_buffer("weights", torch.tensor([float(w) for w in cfg.class_weights]))
        self.history: list[float] = []
        self.train_seconds = 0.0

    def inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Frozen features: raw ``(B, T, 296)`` frames -> normalised ``(left, right)`` ``(B, T, 114)``."""
        left, right = hand_features(x)
        return (left - self.mean[:HAND_FEATURE_DIM]) / self.std[:HAND_FEATURE_DIM], \
            (right - self.mean[HAND_FEATURE_DIM:]) / self.std[HAND_FEATURE_DIM:]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        left, right = self.inputs(x)
        return self.net(left, right, mask)

    def collate(self, items):
        feats, tags = zip(*items)
        lengths = torch.tensor([len(f) for f in feats])
        T = int(lengths.max())
        x = torch.zeros(len(feats), T, FEATURE_DIM)
        y = torch.zeros(len(feats), T, dtype=torch.long)
        for j, (f, t) in enumerate(zip(feats, tags)):
            x[j, : len(f)] = torch.as_tensor(f, dtype=torch.float32)
            y[j, : len(t)] = torch.as_tensor(np.asarray(t), dtype=torch.long)
        return {"x": x, "y": y, "mask": torch.arange(T)[None] < lengths[:, None]}

    def loss(self, batch) -> torch.Tensor:
        logits = self(batch["x"], batch["mask"])
        m = batch["mask"]
        return nn.functional.cross_entropy(logits[m], batch["y"][m], weight=self.weights)

    def training_step(self, batch, batch_idx):
        loss = self.loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["x"]))
        if batch_idx % 10 == 0:
            self.history.append(float(loss.detach()))
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.loss(batch), batch_size=len(batch["x"]))

    def configure_optimizers(self):
        c = self.cfg
        opt = torch.optim.AdamW(self.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        return {"optimizer": opt, "lr_scheduler": warmup_cosine_scheduler(
            opt, c.warmup_steps, int(self.trainer.estimated_stepping_batches), c.lr_min)}

    @torch.no_grad()
    def log_probs(self, frames: Sequence[np.ndarray], batch_size: int = 64) -> list[np.ndarray]:
        """Per-frame log-probabilities ``(T_i, 3)`` of ``(T_i, 296)`` frame arrays (batched, padded)."""
        frames = list(frames)
        for i, f in enumerate(frames):
            check_motion(np.asarray(f), FEATURE_DIM, f"frames[{i}]", "FAST reads SignSparK (T, 296) rot6D frames.")
        was = self.training
        self.eval()
        out: list[np.ndarray] = []
        try:
            for b0 in range(0, len(frames), int(batch_size)):
                chunk = frames[b0: b0 + int(batch_size)]
                batch = self.collate([(f, np.zeros(len(f), np.int64)) for f in chunk])
                lp = torch.log_softmax(self(batch["x"].to(self.device), batch["mask"].to(self.device)), -1).cpu()
                out += [lp[j, : len(f)].numpy() for j, f in enumerate(chunk)]
        finally:
            self.train(was)
        return out

    def save(self, path: str | Path) -> Path:
        torch.save({"cfg": dataclasses.asdict(self.cfg), "cfg_class": type(self.cfg).__name__,
                    "mean": self.mean.cpu().numpy(), "std": self.std.cpu().numpy(),
                    "state_dict": {k: v.cpu() for k, v in self.state_dict().items()}, "history": self.history,
                    "train_seconds": float(self.train_seconds), "version": CACHE_VERSION}, path)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "TaggerModule":
        from slpkit.generators.signspark.baselines import BiLSTMConfig

        def build(blob: dict) -> "TaggerModule":
            kind = {"FASTConfig": FASTConfig, "BiLSTMConfig": BiLSTMConfig}[blob["cfg_class"]]
            c = dict(blob["cfg"])
            c["class_weights"] = tuple(c["class_weights"])
            m = cls(kind(**c), blob["mean"], np.ones_like(blob["std"]))
            m.load_state_dict(blob["state_dict"])
            m.history, m.train_seconds = list(blob.get("history", [])), float(blob.get("train_seconds", 0.0))
            return m

        return read_checkpoint(path, "sign tagger", CACHE_VERSION, build, train_with="train_segmenter").to(
            resolve_device(device)).eval()


class Segmenter:
    """Frames -> BIO tags -> spans with a trained :class:`TaggerModule` (valid spans by construction).

    ``segment`` returns ``[(start, end_exclusive), ...]`` per sequence; ``tags`` the decoded ``(T,)`` tags.
    """

    def __init__(self, module: TaggerModule, min_span: int | None = None):
        self.module = module
        self.min_span = int(module.cfg.min_span if min_span is None else min_span)

    @property
    def train_seconds(self) -> float:
        return float(self.module.train_seconds)

    @property
    def from_cache(self) -> bool:
        return bool(getattr(self.module, "from_cache", False))

    @property
    def name(self) -> str:
        return "FAST" if isinstance(self.module.cfg, FASTConfig) else "BiLSTM tagger"

    def tags(self, frames: Sequence[np.ndarray], batch_size: int = 64) -> list[np.ndarray]:
        return [decode_bio(lp, self.min_span) for lp in self.module.log_probs(frames, batch_size)]

    def segment(self, frames: Sequence[np.ndarray], batch_size: int = 64) -> list[list[tuple[int, int]]]:
        return [bio_to_spans(t) for t in self.tags(frames, batch_size)]


def segmenter_key(corpus: Any, cfg: TaggerConfig) -> dict[str, Any]:
    """Cache key: config class and fields (hardware fields excluded), corpus fingerprint, format version."""
    c = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in SCALE_OUT_FIELDS}
    return {"kind": type(cfg).__name__, "cfg": c, "corpus": corpus.fingerprint(), "version": CACHE_VERSION}


def train_segmenter(corpus: Any, cfg: TaggerConfig | None = None, device: str = "auto", progress: bool | None = None,
                    cache: bool = True, features: dict[str, np.ndarray] | None = None) -> Segmenter:
    """Train (or load from the cache) a tagger (:class:`FASTConfig` -> FAST, ``BiLSTMConfig`` -> the BiLSTM
    baseline) on the train split's reference BIO tags; returns a :class:`Segmenter`."""
    cfg = cfg or FASTConfig.smoke()
    train = list(corpus.split("train"))
    if not train:
        raise ValueError("the corpus has no train sentences: cannot train a segmenter")

    def build_and_fit(work_dir: Path) -> TaggerModule:
        seed_everything(cfg.seed)
        feats = [features[s.id] for s in train] if features is not None else sentence_features(train)
        left, right = zip(*(hand_features(f) for f in feats))
        hf = np.concatenate([np.concatenate(left), np.concatenate(right)], 1).astype(np.float64)
        module = TaggerModule(cfg, hf.mean(0), hf.std(0))
        loader = make_loader(_Tagged(feats, [s.bio for s in train]), [len(f) for f in feats], cfg.batch_size,
                             bucket=cfg.bucket, seed=cfg.seed, collate_fn=module.collate)
        t0 = time.perf_counter()
        fit(module, loader, cfg, name=f"signspark {type(cfg).__name__.replace('Config', '')}", device=device,
            work_dir=work_dir, progress=progress)
        module.train_seconds = time.perf_counter() - t0
        return module.cpu().eval()

    kind = "signspark_" + type(cfg).__name__.replace("Config", "").lower()
    info: dict = {}
    module = cached(kind, segmenter_key(corpus, cfg), build_and_fit, save=lambda m, p: m.save(p),
                    load=TaggerModule.load, enabled=cache, lock=single_process(cfg), info=info)
    module.from_cache = bool(info.get("hit"))
    return Segmenter(module.to(resolve_device(device)).eval())
