"""Training the part-wise tokenizers with Lightning, with a cache of trained checkpoints.

SOKE recipe (Sec. 4 impl. details; ``reference-notes.md`` "VQ-VAE tokenizer"): SmoothL1
reconstruction + 0.02 x commitment, AdamW lr 2e-4, betas (0.9, 0.99), cosine decay to
1e-6, 500 epochs at batch 320, codebooks 96 / 192 / 192, width = code dim = 512.
M3T recipe (App. 0.D.1): FSQ, width 1024, 6 residual blocks per Resnet1D, 3-dim latent,
L2 reconstruction only, 100 epochs, cosine with 25 warm-up epochs, batch 16 (Table 3's
best; the appendix says 8).

Training samples random windows of ``window`` frames (T2M-GPT / MotionGPT train their
VQ-VAEs on 64-frame crops); one epoch = one random window per training clip.

Example::

    cfg = TokenizerConfig.for_mode('smoke', partition='body_lhand_rhand')
    module = train_tokenizer(corpus, cfg)            # cached under cache_dir('tokenizers')
    ids = module.tokenize(sentence.v133)             # {'body': (T/4,), 'lhand': ..., 'rhand': ...}
    poses = module.detokenize(ids)                   # (T, 133)
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from slpkit.config import (Preset, cache_dir, config_hash, per_device_batch, resolve_device, result_fields,
                           seed_everything, trainer_options)
from slpkit.tokenizers.partwise import PartwiseTokenizer

#: bump when the checkpoint format or training semantics change (invalidates the cache)
CACHE_VERSION = 1


@dataclasses.dataclass
class TokenizerConfig(Preset):
    """Everything that defines a trained tokenizer (hashed to key the cache).

    Model: see :class:`~slpkit.tokenizers.partwise.PartwiseTokenizer`. Training:
    ``max_steps > 0`` wins over ``max_epochs``; ``warmup_steps`` / ``warmup_epochs``
    (linear) then cosine from ``lr`` to ``lr_min``. ``precision`` is Lightning's
    (``'32-true'``, ``'bf16-mixed'`` on GPU); ``compile`` wraps the forward in ``torch.compile``.
    ``include_dictionary`` adds the corpus' citation-form signs to the training clips (SOKE
    trains DETO on the sentences and the sign dictionaries).
    ``devices`` / ``strategy`` go to Lightning's Trainer (e.g. ``devices=4, strategy='ddp'``);
    ``batch_size`` stays the global batch, so they are not part of the cache key.
    """

    partition: str = "body_lhand_rhand"
    quantizer: str = "vq"
    vq_kind: str = "ema_reset"
    codebook_sizes: dict | None = None
    fsq_levels: dict | None = None
    width: int = 512
    depth: int = 2
    res_depth: int = 3
    dilation_growth_rate: int = 3
    code_dim: int | None = None
    mu: float = 0.99
    commit_weight: float = 0.02
    beta: float = 0.25
    recon_loss: str = "smooth_l1"
    std_floor: float = 1e-3
    lr: float = 2e-4
    betas: tuple = (0.9, 0.99)
    weight_decay: float = 0.0
    lr_min: float = 1e-6
    warmup_steps: int = 0
    warmup_epochs: float = 0.0
    batch_size: int = 320
    window: int = 64
    max_steps: int = -1
    max_epochs: int = 500
    include_dictionary: bool = True
    precision: str = "32-true"
    compile: bool = False
    num_workers: int = 0
    seed: int = 0
    devices: int | str = 1
    strategy: str = "auto"

    @classmethod
    def smoke(cls) -> "TokenizerConfig":
        """Tiny CPU run: width 64, batch 32 windows of 32 frames, 300 steps at lr 2e-3
        (about 40 s for the three-part tokenizer on one core)."""
        return cls(width=64, batch_size=32, window=32, max_steps=300, max_epochs=-1, lr=2e-3,
                   include_dictionary=False)

    @classmethod
    def full(cls) -> "TokenizerConfig":
        """SOKE's DETO: width = code dim 512, batch 320, 500 epochs, lr 2e-4 (GPU)."""
        return cls()

    @classmethod
    def m3t(cls, mode: str = "full", **overrides) -> "TokenizerConfig":
        """M3T's FSQ-VAEs (partition 'm3t', FSQ, L2 loss); ``mode='smoke'`` keeps the tiny sizes."""
        base = cls.for_mode(mode)
        m3t = dict(partition="m3t", quantizer="fsq", recon_loss="l2")
        if mode == "full":
            m3t.update(width=1024, res_depth=6, batch_size=16, max_epochs=100, warmup_epochs=25, lr=2e-4)
        m3t.update(overrides)
        return dataclasses.replace(base, **m3t)

    def model_kwargs(self) -> dict[str, Any]:
        keys = ("partition", "quantizer", "vq_kind", "codebook_sizes", "fsq_levels", "width", "depth", "res_depth",
                "dilation_growth_rate", "code_dim", "mu", "commit_weight", "beta", "recon_loss", "std_floor")
        return {k: getattr(self, k) for k in keys}


def build_tokenizer(cfg: TokenizerConfig) -> PartwiseTokenizer:
    """An untrained :class:`PartwiseTokenizer` of ``cfg``."""
    return PartwiseTokenizer(**cfg.model_kwargs())


def _cfg_from(obj: TokenizerConfig | Mapping[str, Any]) -> TokenizerConfig:
    if isinstance(obj, TokenizerConfig):
        return obj
    fields = {f.name for f in dataclasses.fields(TokenizerConfig)}
    d = {k: v for k, v in dict(obj).items() if k in fields}
    if "betas" in d:
        d["betas"] = tuple(d["betas"])
    return TokenizerConfig(**d)


# ---------------------------------------------------------------------------------- data
def clip_poses(clip: Any, partition: str) -> np.ndarray:
    """Raw tokenizer input of a sentence / dictionary entry: V133, or ``[V133 | F108]`` for 'm3t'."""
    if partition == "m3t":
        return np.concatenate([clip.v133, clip.face108], -1).astype(np.float32)
    return np.asarray(clip.v133, np.float32)


class WindowDataset(Dataset):
    """Random ``window``-frame crops of normalised feature clips ``(T, F)``.

    Item ``i`` crops clip ``i % len(clips)`` at a random start (torch RNG, so Lightning's
    seeding makes it reproducible). Clips shorter than the window are padded by repeating
    their last frame.
    """

    def __init__(self, clips: Sequence[np.ndarray], window: int, length: int | None = None):
        if not clips:
            raise ValueError("no training clips: the corpus' train split is empty")
        self.clips = [torch.from_numpy(np.ascontiguousarray(c, np.float32)) for c in clips]
        self.window = int(window)
        self.length = int(length or len(self.clips))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> torch.Tensor:
        x = self.clips[i % len(self.clips)]
        T, W = x.shape[0], self.window
        if T < W:
            return torch.cat([x, x[-1:].expand(W - T, -1)], 0)
        s = int(torch.randint(0, T - W + 1, ()).item())
        return x[s:s + W]


# ---------------------------------------------------------------------------------- Lightning
class TokenizerModule(pl.LightningModule):
    """Lightning wrapper of a :class:`PartwiseTokenizer` (``self.tokenizer``).

    Batches are normalised feature windows ``(B, W, F)``. Loss = reconstruction (SmoothL1 /
    L2 on normalised features) + the quantizer losses (EMA VQ: 0.02 x commitment).
    ``history`` keeps ``(step, loss, recon, perplexity...)`` rows and is saved in checkpoints
    with the normalisation statistics and EMA codebooks (buffers of the tokenizer).
    """

    def __init__(self, cfg: TokenizerConfig | Mapping[str, Any] | None = None, total_steps: int = 1000,
                 warmup: int = 0):
        super().__init__()
        cfg = _cfg_from(cfg or TokenizerConfig())
        self.cfg = cfg
        self.save_hyperparameters({"cfg": dataclasses.asdict(cfg), "total_steps": int(total_steps),
                                   "warmup": int(warmup)})
        self.tokenizer = build_tokenizer(cfg)
        self.total_steps, self.warmup = int(total_steps), int(warmup)
        self.history: list[dict[str, float]] = []
        self._fwd = torch.compile(self.tokenizer.forward_features) if cfg.compile else self.tokenizer.forward_features

    # -- training -----------------------------------------------------------------------
    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        _, losses, _ = self._fwd(batch)
        logs = {k: float(v.detach()) for k, v in losses.items()}
        self.log("loss", losses["loss"].detach(), prog_bar=True, on_step=True, batch_size=batch.shape[0])
        self.log("recon", losses["recon"].detach(), prog_bar=True, on_step=True, batch_size=batch.shape[0])
        if self.global_step % 10 == 0:
            self.history.append({"step": int(self.global_step), **logs})
        return losses["loss"]

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        _, losses, _ = self.tokenizer.forward_features(batch)
        self.log("val_recon", losses["recon"], prog_bar=True, batch_size=batch.shape[0])

    def configure_optimizers(self):
        c = self.cfg
        opt = torch.optim.AdamW(self.tokenizer.parameters(), lr=c.lr, betas=tuple(c.betas), weight_decay=c.weight_decay)
        total, warm, floor = max(1, self.total_steps), self.warmup, c.lr_min / c.lr

        def factor(step: int) -> float:
            if warm > 0 and step < warm:
                return (step + 1) / warm
            t = min(1.0, (step - warm) / max(1, total - warm))
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["slpkit_history"] = self.history
        checkpoint["slpkit_cache_version"] = CACHE_VERSION

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = list(checkpoint.get("slpkit_history", []))

    # -- poses <-> tokens ---------------------------------------------------------------------
    @torch.no_grad()
    def tokenize(self, poses) -> dict[str, torch.Tensor]:
        """Raw poses ``(T, D)`` / ``(B, T, D)`` -> ``{stream: LongTensor (..., ceil(T/4))}`` (eval mode)."""
        was = self.tokenizer.training
        self.tokenizer.eval()
        try:
            return self.tokenizer.encode(poses)
        finally:
            self.tokenizer.train(was)

    @torch.no_grad()
    def detokenize(self, tokens: Mapping[str, Any]) -> torch.Tensor:
        """``{stream: ids}`` -> raw poses ``(..., 4N, D)``."""
        was = self.tokenizer.training
        self.tokenizer.eval()
        try:
            return self.tokenizer.decode(tokens)
        finally:
            self.tokenizer.train(was)

    @torch.no_grad()
    def reconstruct(self, poses) -> torch.Tensor:
        """``detokenize(tokenize(poses))`` cropped to the input length."""
        self.tokenizer.eval()
        return self.tokenizer.reconstruct(poses)


# ---------------------------------------------------------------------------------- train + cache
def cache_key(corpus: Any, cfg: TokenizerConfig) -> str:
    """Hash of the config (``devices`` / ``strategy`` excluded), the corpus content and the cache version."""
    fp = corpus.fingerprint() if hasattr(corpus, "fingerprint") else str(getattr(corpus, "meta", ""))
    return config_hash({"cfg": result_fields(cfg), "corpus": fp, "version": CACHE_VERSION})


def cache_path(corpus: Any, cfg: TokenizerConfig) -> Path:
    return cache_dir("tokenizers") / f"{cfg.partition}-{cfg.quantizer}-{cache_key(corpus, cfg)}.ckpt"


def load_tokenizer(path: str | os.PathLike, device: str = "cpu") -> TokenizerModule:
    """Load a checkpoint written by :func:`train_tokenizer` (eval mode)."""
    dev = resolve_device(device)
    module = TokenizerModule.load_from_checkpoint(str(path), map_location=dev, weights_only=False)
    return module.to(dev).eval()


def training_clips(corpus: Any, cfg: TokenizerConfig, split: str = "train") -> list[np.ndarray]:
    """Raw tokenizer inputs of a split (plus the dictionary for ``split='train'`` when asked)."""
    clips = [clip_poses(s, cfg.partition) for s in corpus.split(split)]
    if split == "train" and cfg.include_dictionary:
        clips += [clip_poses(d, cfg.partition) for d in getattr(corpus, "dictionary", [])]
    return clips


def train_tokenizer(corpus: Any, cfg: TokenizerConfig | None = None, cache: bool = True, device: str = "auto",
                    progress: bool = True, validate: bool = False) -> TokenizerModule:
    """Train a tokenizer on ``corpus``'s train split, or reload it from the cache.

    The checkpoint lives at :func:`cache_path` (``slpkit.config.cache_dir('tokenizers')``,
    keyed by ``config_hash`` of ``cfg`` + corpus fingerprint). ``cache=False`` always
    retrains (and overwrites). Returns the module in eval mode, with ``train_seconds``
    (0.0 when loaded) and ``from_cache`` attributes.
    """
    cfg = cfg or TokenizerConfig.smoke()
    path = cache_path(corpus, cfg)
    if cache and path.exists():
        module = load_tokenizer(path, device)
        module.train_seconds, module.from_cache, module.checkpoint_path = 0.0, True, path
        return module

    from slpkit.data.datamodule import feature_stats

    seed_everything(cfg.seed)
    probe = build_tokenizer(cfg)
    feats = [np.asarray(probe.to_features(c), np.float32) for c in training_clips(corpus, cfg, "train")]
    mean, std = feature_stats(feats)
    norm = [(f - mean) / (np.maximum(std, cfg.std_floor) + 1e-10) for f in feats]
    ds = WindowDataset(norm, cfg.window)
    steps_per_epoch = max(1, math.ceil(len(ds) / cfg.batch_size))
    total = cfg.max_steps if cfg.max_steps > 0 else steps_per_epoch * max(1, cfg.max_epochs)
    warm = cfg.warmup_steps or int(round(cfg.warmup_epochs * steps_per_epoch))

    seed_everything(cfg.seed)
    module = TokenizerModule(cfg, total_steps=total, warmup=warm)
    module.tokenizer.set_normalization(mean, std)
    has_val = bool(validate and corpus.split("val"))
    trainer = pl.Trainer(
        max_steps=total, max_epochs=-1, **trainer_options(device, cfg.devices, cfg.strategy, precision=cfg.precision),
        logger=False, enable_checkpointing=False, enable_model_summary=False,
        enable_progress_bar=progress, num_sanity_val_steps=0, limit_val_batches=1.0 if has_val else 0,
        val_check_interval=min(steps_per_epoch, 100) if has_val else None, deterministic=False,
    )
    batch = per_device_batch(cfg.batch_size, trainer.world_size)  # cfg.batch_size is the global batch
    loader = DataLoader(ds, batch_size=batch, shuffle=True, num_workers=cfg.num_workers,
                        drop_last=len(ds) > cfg.batch_size, persistent_workers=cfg.num_workers > 0)
    val_loader = None
    if has_val:
        vfeats = [np.asarray(probe.to_features(c), np.float32) for c in training_clips(corpus, cfg, "val")]
        vnorm = [(f - mean) / (np.maximum(std, cfg.std_floor) + 1e-10) for f in vfeats]
        val_loader = DataLoader(WindowDataset(vnorm, cfg.window), batch_size=batch)
    t0 = time.perf_counter()
    trainer.fit(module, loader, val_loader)
    module.train_seconds = time.perf_counter() - t0
    tmp = path.with_suffix(".tmp")
    trainer.save_checkpoint(str(tmp))  # written by global rank 0 only under DDP
    if trainer.is_global_zero:
        os.replace(tmp, path)
    trainer.strategy.barrier("slpkit-tokenizer-saved")
    module.from_cache, module.checkpoint_path = False, path
    return module.to(resolve_device(device)).eval()
