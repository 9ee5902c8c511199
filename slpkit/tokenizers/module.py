"""Training the part-wise tokenizers with Lightning, with a cache of trained checkpoints.

SOKE recipe (Sec. 4 implementation details; SOKE's public code, a MotionGPT / T2M-GPT fork): SmoothL1
reconstruction + 0.02 x commitment, AdamW lr 2e-4, betas (0.9, 0.99), cosine decay to
1e-6, 500 epochs at batch 320, codebooks 96 / 192 / 192, width = code dim = 512.
M3T recipe (App. 0.D.1): FSQ, width 1024, 6 residual blocks per Resnet1D, 3-dim latent,
L2 reconstruction only, 100 epochs, cosine with 25 warm-up epochs, batch 16 (Table 3's
best; the appendix says 8).

Training samples random windows of ``window`` frames (T2M-GPT / MotionGPT train their
VQ-VAEs on 64-frame crops); one epoch = one random window per training clip. Training goes
through :func:`slpkit.training.fit` and the trained tokenizer is cached by config + corpus
(:func:`slpkit.training.cached`; an interrupted run resumes from its last epoch checkpoint).

Example::

    cfg = TokenizerConfig.for_mode('smoke', partition='body_lhand_rhand')
    module = train_tokenizer(corpus, cfg)            # cached under cache_dir('tokenizers')
    ids = module.tokenize(sentence.v133)             # {'body': (T/4,), 'lhand': ..., 'rhand': ...}
    poses = module.detokenize(ids)                   # (T, 133)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import Dataset

from slpkit.checks import check_bool, check_float, check_int, check_pair, check_stage_inputs
from slpkit.config import resolve_device, result_fields, seed_everything
from slpkit.data.datamodule import feature_stats
from slpkit.tokenizers.partwise import PartwiseTokenizer, check_partwise_args
from slpkit.training import (TrainConfig, artifact_dir, cached, check_same_config, fit, make_loader, read_checkpoint,
                             single_process, warmup_cosine_scheduler)
from slpkit.training.cache import ARTIFACT

#: bump when the checkpoint format or training semantics change (invalidates the cache)
CACHE_VERSION = 2


@dataclasses.dataclass
class TokenizerConfig(TrainConfig):
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
    betas: tuple = (0.9, 0.99)
    warmup_epochs: float = 0.0
    window: int = 64
    include_dictionary: bool = True
    compile: bool = False
    num_workers: int = 0
    # TrainConfig fields, overridden (SOKE's recipe)
    lr: float = 2e-4
    lr_min: float = 1e-6
    batch_size: int = 320
    max_epochs: int = 500
    gradient_clip_val: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.betas, list):
            self.betas = tuple(self.betas)
        for f in ("width", "depth", "res_depth", "dilation_growth_rate", "window"):
            check_int(getattr(self, f), f"TokenizerConfig.{f}", min=1)
        if int(self.window) < 2 ** int(self.depth):
            raise ValueError(f"TokenizerConfig.window={self.window} is shorter than the encoder's downsampling "
                             f"2**depth={2 ** int(self.depth)}: use a window of at least {2 ** int(self.depth)} frames")
        check_int(self.num_workers, "TokenizerConfig.num_workers", min=0, hint="0 loads in the main process")
        check_int(self.code_dim, "TokenizerConfig.code_dim", min=1, none_ok=True,
                  hint="None: the width for VQ, len(levels) for FSQ")
        check_float(self.mu, "TokenizerConfig.mu", min=0.0, max=1.0, max_open=True, hint="EMA decay (SOKE: 0.99)")
        for f in ("commit_weight", "beta", "std_floor"):
            check_float(getattr(self, f), f"TokenizerConfig.{f}", min=0.0)
        self.betas = check_pair(self.betas, "TokenizerConfig.betas", hint="AdamW's (beta1, beta2), SOKE: (0.9, 0.99)")
        for f in ("include_dictionary", "compile"):
            check_bool(getattr(self, f), f"TokenizerConfig.{f}")
        check_float(self.warmup_epochs, "TokenizerConfig.warmup_epochs", min=0.0, hint="0 or more epochs")
        check_partwise_args(self.partition, self.quantizer, self.vq_kind, self.codebook_sizes, self.fsq_levels,
                            self.recon_loss)

    @classmethod
    def smoke(cls) -> "TokenizerConfig":
        """Tiny CPU run: width 64, batch 32 windows of 32 frames, 400 steps at lr 2e-3 (about 40 s for the
        three-part tokenizer on one core). On the smoke corpus (seeds 0-2) it reaches body MPJPE 0.63-0.72x and
        hand PA-MPJPE 0.28-0.33x of the mean pose's; at 300 steps the body still varied from 0.67x to 0.88x."""
        return cls(width=64, batch_size=32, window=32, max_steps=400, max_epochs=-1, lr=2e-3,
                   include_dictionary=False)

    @classmethod
    def full(cls) -> "TokenizerConfig":
        """SOKE's DETO: width = code dim 512, batch 320, 500 epochs, lr 2e-4 (GPU)."""
        return cls(precision="bf16-mixed")

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
    if not isinstance(obj, Mapping):
        raise ValueError(f"cfg must be a TokenizerConfig (or a dict of its fields), got {type(obj).__name__}")
    fields = {f.name for f in dataclasses.fields(TokenizerConfig)}
    unknown = sorted(set(obj) - fields)
    if unknown:
        raise ValueError(f"TokenizerConfig has no field(s) {unknown}: valid fields are {sorted(fields)}")
    return TokenizerConfig(**dict(obj))


# ---------------------------------------------------------------------------------- data
def clip_poses(clip: Any, partition: str) -> np.ndarray:
    """Raw tokenizer input of a sentence / dictionary entry: V133, or ``[V133 | F108]`` for 'm3t'."""
    if partition == "m3t":
        return np.concatenate([clip.v133, clip.face108], -1).astype(np.float32)
    return np.asarray(clip.v133, np.float32)


class WindowDataset(Dataset):
    """Random ``window``-frame crops of normalised feature clips ``(T, F)``.

    Item ``i`` crops clip ``i % len(clips)`` at a start drawn from ``(seed, epoch, i)`` (set by
    :meth:`set_epoch`, which :func:`slpkit.training.fit` calls), so a resumed run sees the same crops.
    Clips shorter than the window are padded by repeating their last frame.
    """

    def __init__(self, clips: Sequence[np.ndarray], window: int, length: int | None = None, seed: int = 0):
        if not len(clips):
            raise ValueError("no training clips: the corpus' train split is empty")
        self.window = check_int(window, "window", min=1, hint="frames per training crop (SOKE: 64)")
        self.clips = [torch.from_numpy(np.ascontiguousarray(c, np.float32)) for c in clips]
        for i, c in enumerate(self.clips):
            if c.ndim != 2 or c.shape[0] == 0:
                raise ValueError(f"clips[{i}] has shape {tuple(c.shape)}: every clip must be (T > 0, F)")
        self.length = int(length or len(self.clips))
        self.seed, self.epoch = int(seed), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> torch.Tensor:
        x = self.clips[i % len(self.clips)]
        T, W = x.shape[0], self.window
        if T < W:
            return torch.cat([x, x[-1:].expand(W - T, -1)], 0)
        s = int(np.random.default_rng([self.seed, self.epoch, i]).integers(0, T - W + 1))
        return x[s:s + W]


# ---------------------------------------------------------------------------------- Lightning
class TokenizerModule(pl.LightningModule):
    """Lightning wrapper of a :class:`PartwiseTokenizer` (``self.tokenizer``).

    Batches are normalised feature windows ``(B, W, F)``. Loss = reconstruction (SmoothL1 /
    L2 on normalised features) + the quantizer losses (EMA VQ: 0.02 x commitment).
    ``history`` keeps ``(step, loss, recon, perplexity...)`` rows (every 10 steps).
    """

    def __init__(self, cfg: TokenizerConfig | Mapping[str, Any] | None = None, warmup: int = 0):
        super().__init__()
        cfg = _cfg_from(cfg or TokenizerConfig())
        self.cfg = cfg
        self.tokenizer = build_tokenizer(cfg)
        self.warmup = int(warmup)
        self.history: list[dict[str, float]] = []
        self.train_seconds, self.from_cache, self.checkpoint_path = 0.0, False, None
        self._fwd = torch.compile(self.tokenizer.forward_features) if cfg.compile else self.tokenizer.forward_features

    # -- training -----------------------------------------------------------------------
    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        _, losses, _ = self._fwd(batch)
        self.log("loss", losses["loss"].detach(), prog_bar=True, on_step=True, batch_size=batch.shape[0])
        self.log("recon", losses["recon"].detach(), prog_bar=True, on_step=True, batch_size=batch.shape[0])
        if self.global_step % 10 == 0:
            self.history.append({"step": int(self.global_step), **{k: float(v.detach()) for k, v in losses.items()}})
        return losses["loss"]

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        _, losses, _ = self.tokenizer.forward_features(batch)
        self.log("val_recon", losses["recon"], prog_bar=True, batch_size=batch.shape[0])

    def configure_optimizers(self):
        c = self.cfg
        opt = torch.optim.AdamW(self.tokenizer.parameters(), lr=c.lr, betas=tuple(c.betas), weight_decay=c.weight_decay)
        return {"optimizer": opt, "lr_scheduler": warmup_cosine_scheduler(
            opt, self.warmup, int(self.trainer.estimated_stepping_batches), c.lr_min)}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["slpkit_history"] = self.history

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = list(checkpoint.get("slpkit_history", []))

    # -- poses <-> tokens ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _inference(self):
        # eval mode (no codebook updates, no dropout) without gradients, then the mode the caller had
        was = self.tokenizer.training
        self.tokenizer.eval()
        try:
            with torch.no_grad():
                yield self.tokenizer
        finally:
            self.tokenizer.train(was)

    def tokenize(self, poses) -> dict[str, torch.Tensor]:
        """Raw poses ``(T, D)`` / ``(B, T, D)`` -> ``{stream: LongTensor (..., ceil(T/4))}`` (eval mode)."""
        with self._inference() as tok:
            return tok.encode(poses)

    def detokenize(self, tokens: Mapping[str, Any]) -> torch.Tensor:
        """``{stream: ids}`` -> raw poses ``(..., 4N, D)``."""
        with self._inference() as tok:
            return tok.decode(tokens)

    def reconstruct(self, poses) -> torch.Tensor:
        """``detokenize(tokenize(poses))`` cropped to the input length."""
        with self._inference() as tok:
            return tok.reconstruct(poses)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Config, weights (with normalisation statistics and codebooks) and history in one file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"version": CACHE_VERSION, "cfg": dataclasses.asdict(self.cfg), "warmup": self.warmup,
                    "state_dict": {k: v.cpu() for k, v in self.tokenizer.state_dict().items()},
                    "history": self.history, "train_seconds": self.train_seconds}, path)
        return path


# ---------------------------------------------------------------------------------- train + cache
def cache_key(corpus: Any, cfg: TokenizerConfig) -> dict[str, Any]:
    """What a cached tokenizer depends on: config (``devices`` / ``strategy`` excluded), corpus, format version."""
    fp = corpus.fingerprint() if hasattr(corpus, "fingerprint") else str(getattr(corpus, "meta", ""))
    return {"cfg": result_fields(cfg), "corpus": fp, "version": CACHE_VERSION}


def load_tokenizer(path: str | Path, device: str = "cpu", expect: TokenizerConfig | None = None) -> TokenizerModule:
    """Load a tokenizer saved by :meth:`TokenizerModule.save` (what :func:`train_tokenizer` caches), eval mode.

    ``expect``: raise if the file holds a tokenizer of another config. A missing file raises
    ``FileNotFoundError``, a truncated or foreign one ``ValueError``; both name the file.
    """
    def build(ck: dict) -> TokenizerModule:
        m = TokenizerModule(TokenizerConfig(**ck["cfg"]), warmup=ck.get("warmup", 0))
        m.tokenizer.load_state_dict(ck["state_dict"])
        m.history, m.train_seconds = list(ck.get("history", [])), float(ck.get("train_seconds", 0.0))
        return m

    module = read_checkpoint(path, "tokenizer", CACHE_VERSION, build, train_with="train_tokenizer")
    if expect is not None:
        check_same_config(path, "tokenizer", result_fields(module.cfg), result_fields(expect))
    module.checkpoint_path = Path(path)
    return module.to(resolve_device(device)).eval()


def training_clips(corpus: Any, cfg: TokenizerConfig, split: str = "train") -> list[np.ndarray]:
    """Raw tokenizer inputs of a split (plus the dictionary for ``split='train'`` when asked)."""
    clips = [clip_poses(s, cfg.partition) for s in corpus.split(split)]
    if split == "train" and cfg.include_dictionary:
        clips += [clip_poses(d, cfg.partition) for d in getattr(corpus, "dictionary", [])]
    return clips


def train_tokenizer(corpus: Any, cfg: TokenizerConfig | None = None, cache: bool = True, device: str = "auto",
                    progress: bool | None = None, validate: bool = False) -> TokenizerModule:
    """Train a tokenizer on ``corpus``'s train split, or reload it from the cache.

    Cached by :func:`cache_key` (``slpkit.training.cached('tokenizers', ...)``); ``cache=False``
    always retrains (and overwrites). Returns the module in eval mode, with ``train_seconds``
    (the seconds training took, also when loaded from the cache), ``from_cache`` and ``checkpoint_path`` attributes.
    """
    cfg = check_stage_inputs(corpus, cfg, TokenizerConfig)

    def norm(feats, mean, std):
        return [(f - mean) / (np.maximum(std, cfg.std_floor) + 1e-10) for f in feats]

    def train(work_dir: Path) -> TokenizerModule:
        seed_everything(cfg.seed)
        probe = build_tokenizer(cfg)
        feats = [np.asarray(probe.to_features(c), np.float32) for c in training_clips(corpus, cfg, "train")]
        mean, std = feature_stats(feats)
        ds = WindowDataset(norm(feats, mean, std), cfg.window, seed=cfg.seed)
        steps_per_epoch = max(1, math.ceil(len(ds) / cfg.batch_size))
        warm = cfg.warmup_steps or int(round(cfg.warmup_epochs * steps_per_epoch))
        seed_everything(cfg.seed)
        module = TokenizerModule(cfg, warmup=warm)
        module.tokenizer.set_normalization(mean, std)
        loader = make_loader(ds, None, cfg.batch_size, seed=cfg.seed, drop_last=len(ds) > cfg.batch_size,
                             num_workers=cfg.num_workers)
        val = None
        if validate and corpus.split("val"):
            vfeats = [np.asarray(probe.to_features(c), np.float32) for c in training_clips(corpus, cfg, "val")]
            val = make_loader(WindowDataset(norm(vfeats, mean, std), cfg.window, seed=cfg.seed), None, cfg.batch_size,
                              shuffle=False)
        res = fit(module, loader, cfg, name=f"tokenizer {cfg.partition} {cfg.quantizer}", val_loader=val,
                  device=device, work_dir=work_dir, progress=progress,
                  val_check_interval=min(steps_per_epoch, 100) if val is not None else None)
        module.train_seconds = res.seconds
        return module.cpu()

    info: dict = {}
    module = cached("tokenizers", cache_key(corpus, cfg), train, save=lambda m, p: m.save(p),
                    load=lambda p: load_tokenizer(p, "cpu", expect=cfg), enabled=cache, lock=single_process(cfg),
                    info=info)
    module.from_cache = bool(info.get("hit"))
    module.checkpoint_path = Path(info["path"])
    return module.to(resolve_device(device)).eval()


def cache_path(corpus: Any, cfg: TokenizerConfig) -> Path:
    """Where :func:`train_tokenizer` caches the tokenizer of ``(corpus, cfg)``."""
    return artifact_dir("tokenizers", cache_key(corpus, cfg)) / ARTIFACT
