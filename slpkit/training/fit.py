"""One ``fit`` for every stage: the Lightning Trainer built from a :class:`TrainConfig`.

Every slpkit stage (tokenizers, SOKE, M3T, DARSLP, SignSparK, the back-translator) is a
``LightningModule`` trained by :func:`fit`, which owns what the stages used to copy:

- hardware: ``devices`` / ``strategy`` / ``precision`` through
  :func:`slpkit.config.trainer_options` (Lightning's own DDP; ``batch_size`` is the global batch,
  split per rank by :class:`~slpkit.training.sampler.BucketBatchSampler`);
- length: ``max_steps`` (wins when > 0) or ``max_epochs``; gradient accumulation and clipping;
- validation-based selection: with ``monitor`` (a logged metric) the best checkpoint is kept and
  loaded back at the end, and ``early_stopping_patience > 0`` stops after that many validation
  checks without improvement (DARSLP and Sign Language Transformers select on the dev set);
- **resume**: with ``work_dir`` an epoch checkpoint ``work_dir/last.ckpt`` is written as training
  goes; calling ``fit`` again with the same ``work_dir`` continues from it. Together with
  :class:`Reproducible` (per-batch reseeding, epoch-keyed data order) the resumed run ends with
  the same weights as an uninterrupted one (``tests/test_training.py``);
- progress bars (Lightning's tqdm bar; ``SLPKIT_PROGRESS=0`` or ``progress=False`` hides them);
- the full-mode dry run (:mod:`slpkit.training.dryrun`): 2 steps, measured and logged.

Example::

    cfg = MyConfig.for_mode("smoke")                      # a TrainConfig subclass
    loader = make_loader(ds, lengths, cfg.batch_size, seed=cfg.seed, collate_fn=collate)
    res = fit(MyModule(cfg), loader, cfg, name="my stage")
    res.seconds, res.steps
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import random
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
from torch.utils.data import DataLoader, Dataset
from torch.utils.flop_counter import FlopCounterMode

from slpkit.checks import check_int
from slpkit.config import Preset, resolve_device, trainer_options
from slpkit.training import dryrun
from slpkit.training.sampler import BucketBatchSampler

__all__ = ["TrainConfig", "FitResult", "fit", "make_loader", "Reproducible", "quiet", "PRECISIONS", "LAST"]

PRECISIONS = ("32-true", "32", "bf16-mixed", "16-mixed", "bf16-true", "64-true")
LAST = "last.ckpt"


@dataclasses.dataclass
class TrainConfig(Preset):
    """The training fields every stage config shares; :func:`fit` reads them.

    Subclasses add their model fields and override the defaults; every field is checked when the
    config is built (``__post_init__``), so a bad value fails at once, not hours into training.
    """

    seed: int = 0
    batch_size: int = 32
    max_epochs: int = 10
    max_steps: int = -1  # > 0 wins over max_epochs
    lr: float = 1e-3
    lr_min: float = 1e-5  # floor of the warm-up + cosine schedule (slpkit.training.schedule)
    warmup_steps: int = 0
    weight_decay: float = 0.0
    precision: str = "32-true"
    accumulate_grad_batches: int = 1
    gradient_clip_val: float = 1.0  # max gradient norm (the transformer stages); 0 = no clipping
    early_stopping_patience: int = 0  # validation checks without improvement before stopping; 0 = off
    devices: int | str = 1  # Lightning Trainer devices / strategy, e.g. 4 and "ddp"; batch_size stays global
    strategy: str = "auto"

    def __post_init__(self) -> None:
        self.check_training()

    def check_training(self) -> None:
        """Raise ``ValueError`` naming the field, its value and what to use instead."""
        name = type(self).__name__

        def bad(field: str, hint: str) -> ValueError:
            return ValueError(f"{name}.{field}={getattr(self, field)!r}: {hint}")

        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**32:
            raise bad("seed", "use an integer in [0, 2**32)")
        for f in ("batch_size", "max_epochs", "max_steps", "warmup_steps", "accumulate_grad_batches",
                  "early_stopping_patience"):
            v = getattr(self, f)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                raise bad(f, "use an integer")
        for f in ("lr", "lr_min", "weight_decay", "gradient_clip_val"):
            v = getattr(self, f)
            if isinstance(v, (bool, np.bool_, str, bytes)) or v is None:
                raise bad(f, "use a number")
            try:
                fv = float(v)
            except (TypeError, ValueError):
                raise bad(f, "use a number") from None
            if not np.isfinite(fv):
                raise bad(f, "use a finite number")
        if int(self.batch_size) < 1:
            raise bad("batch_size", "use a positive batch size")
        if int(self.max_steps) == 0 or (int(self.max_steps) < 0 and int(self.max_epochs) < 1):
            raise bad("max_steps", f"set max_steps > 0, or max_steps=-1 with max_epochs >= 1 (max_epochs={self.max_epochs})")
        if not float(self.lr) > 0:
            raise bad("lr", "use a positive learning rate")
        if float(self.lr_min) < 0 or float(self.lr_min) > float(self.lr):
            raise bad("lr_min", f"use a floor in [0, lr={self.lr}]")
        if int(self.warmup_steps) < 0:
            raise bad("warmup_steps", "use 0 (no warm-up) or more steps")
        if float(self.weight_decay) < 0:
            raise bad("weight_decay", "use a non-negative weight decay")
        if str(self.precision) not in PRECISIONS:
            raise bad("precision", f"use one of {PRECISIONS} ('bf16-mixed' on a recent GPU)")
        if int(self.accumulate_grad_batches) < 1:
            raise bad("accumulate_grad_batches", "use 1 (no accumulation) or more")
        if float(self.gradient_clip_val) < 0:
            raise bad("gradient_clip_val", "use 0 (off) or a positive norm")
        if int(self.early_stopping_patience) < 0:
            raise bad("early_stopping_patience", "use 0 (off) or a positive number of validation checks")
        if isinstance(self.devices, bool) or (isinstance(self.devices, int) and self.devices < 1) or (
                isinstance(self.devices, str) and self.devices != "auto" and not self.devices.isdigit()) or (
                not isinstance(self.devices, (int, str, list))):
            raise bad("devices", "use a positive number of devices or 'auto'")
        if not isinstance(self.strategy, str) or not self.strategy:
            raise bad("strategy", "use a Lightning strategy name: 'auto', 'ddp', 'ddp_notebook', ...")

    def planned_steps(self, steps_per_epoch: int) -> int:
        """Optimiser steps of a full run of this config (what the LR schedule spans)."""
        if int(self.max_steps) > 0:
            return int(self.max_steps)
        return max(1, int(self.max_epochs) * max(1, int(steps_per_epoch)) // int(self.accumulate_grad_batches))


@dataclasses.dataclass
class FitResult:
    """What :func:`fit` returns (the module itself is trained in place)."""

    trainer: pl.Trainer
    seconds: float
    steps: int
    epochs: int
    best_path: str | None = None
    best_score: float | None = None
    resumed_from: str | None = None


# ------------------------------------------------------------------------------------- data
def make_loader(dataset: Dataset, lengths: Sequence[int] | None, batch_size: int, *, bucket: int = 1, seed: int = 0,
                shuffle: bool = True, drop_last: bool = False, collate_fn: Callable | None = None,
                num_workers: int = 0) -> DataLoader:
    """``DataLoader`` over :class:`BucketBatchSampler` (the one sampler): DDP-aware, epoch-keyed order.

    ``lengths=None`` = items of equal length (plain shuffled batches).
    """
    num_workers = check_int(num_workers, "num_workers", min=0, hint="0 loads in the main process")
    lengths = [1] * len(dataset) if lengths is None else list(lengths)
    if len(lengths) != len(dataset):
        raise ValueError(f"{len(lengths)} lengths for a dataset of {len(dataset)} items: pass one length per item")
    sampler = BucketBatchSampler(lengths, batch_size, bucket=bucket, seed=seed, shuffle=shuffle, drop_last=drop_last)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_fn, num_workers=num_workers,
                      persistent_workers=num_workers > 0)


# ------------------------------------------------------------------------------------- callbacks
def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Reproducible(Callback):
    """Make a run a pure function of ``seed``, whatever point it was resumed from.

    - at each epoch start: ``set_epoch(epoch)`` on the train loader's batch sampler and dataset
      (epoch-keyed shuffling and per-item randomness, e.g. random crops);
    - before each batch: python / numpy / torch reseeded from ``(seed, epoch, batch, rank)``, so
      dropout, noise and time samples do not depend on what ran before in the process.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)

    @staticmethod
    def _loaders(trainer: pl.Trainer) -> list:
        cl = trainer.fit_loop._combined_loader
        return list(cl.flattened) if cl is not None else []

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        for dl in self._loaders(trainer):
            for obj in (getattr(dl, "batch_sampler", None), getattr(dl, "dataset", None)):
                if callable(getattr(obj, "set_epoch", None)):
                    obj.set_epoch(trainer.current_epoch)

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int) -> None:
        state = np.random.SeedSequence([self.seed, trainer.current_epoch, batch_idx, trainer.global_rank])
        _seed_all(int(state.generate_state(1, np.uint32)[0]))


class _DryRunProbe(Callback):
    """Counts FLOPs of the first training step and times the second (dry run only)."""

    def __init__(self):
        self.flops, self.step_seconds, self._t, self._counter = 0, [], 0.0, None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == 0:
            self._counter = FlopCounterMode(display=False)
            self._counter.__enter__()
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize()
        self._t = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize()
        self.step_seconds.append(time.perf_counter() - self._t)
        if self._counter is not None:
            self._counter.__exit__(None, None, None)
            self.flops = int(self._counter.get_total_flops())
            self._counter = None


@contextlib.contextmanager
def quiet():
    """Silence Lightning's banners ("GPU available ...", "Trainer.fit stopped") and its no-val-loader,
    few-workers and eval-mode warnings, which every tiny slpkit run would otherwise print."""
    names = ("lightning.pytorch", "lightning.pytorch.utilities.rank_zero", "lightning.fabric",
             "lightning.pytorch.accelerators.cuda")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        for msg in (".*val_dataloader.*", ".*LeafSpec.*", ".*in eval mode.*", ".*does not have many workers.*",
                    ".*litlogger.*", ".*Trainer.fit. stopped.*", ".*TensorBoard.*", ".*is not recommended.*",
                    ".*Checkpoint directory.*exists.*", ".*bf16.*CPU.*", ".*_pytree.*"):
            warnings.filterwarnings("ignore", message=msg)
        try:
            yield
        finally:
            for lg, lv in zip(loggers, levels):
                lg.setLevel(lv)


def _progress_default() -> bool:
    return os.environ.get("SLPKIT_PROGRESS", "1") not in ("0", "false", "False", "")


# ------------------------------------------------------------------------------------- fit
def fit(module: pl.LightningModule, train_loader: DataLoader, cfg: TrainConfig, *, name: str,
        val_loader: DataLoader | None = None, device: str = "auto", work_dir: str | os.PathLike | None = None,
        monitor: str | None = None, monitor_mode: str = "min", max_epochs: int | None = None,
        max_steps: int | None = None, progress: bool | None = None, callbacks: Iterable[Callback] = (),
        val_check_interval: int | float | None = None, **trainer_kwargs: Any) -> FitResult:
    """Train ``module`` in place with a Trainer built from ``cfg``; see the module docstring.

    ``max_epochs`` / ``max_steps`` override the config's (e.g. DARSLP's two phases).
    ``monitor`` needs ``val_loader`` and a metric the module logs in ``validation_step``.
    ``val_check_interval``: validate every that many training batches (default: every epoch).
    """
    if not isinstance(name, str) or not name:
        raise ValueError("fit needs a stage name (name='tokenizer body_lhand_rhand', ...) for logs and the dry run")
    if monitor is not None and val_loader is None:
        raise ValueError(f"monitor={monitor!r} needs a val_loader: pass one, or monitor=None")
    if monitor_mode not in ("min", "max"):
        raise ValueError(f"monitor_mode={monitor_mode!r}: use 'min' or 'max'")
    epochs = cfg.max_epochs if max_epochs is None else int(max_epochs)
    steps = cfg.max_steps if max_steps is None else int(max_steps)
    dry = dryrun.active()
    if dry:
        steps = dryrun.STEPS
    work = Path(work_dir) if work_dir is not None else None
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
    steps_per_epoch = max(1, len(train_loader))

    cbs: list[Callback] = [Reproducible(cfg.seed)]
    best_cb = None
    if work is not None and not dry:
        # an epoch checkpoint to resume from; at most ~10 saves per run
        n_epochs = steps // steps_per_epoch if steps > 0 else epochs
        cbs.append(ModelCheckpoint(dirpath=work, filename="last", every_n_epochs=max(1, n_epochs // 10),
                                   save_top_k=1, enable_version_counter=False))
    tmp = None
    if monitor is not None and not dry:
        if work is None:
            tmp = tempfile.mkdtemp(prefix="slpkit-fit-")
        best_dir = (work or Path(tmp)) / "best"
        best_cb = ModelCheckpoint(dirpath=best_dir, filename="best", monitor=monitor, mode=monitor_mode,
                                  save_top_k=1, enable_version_counter=False)
        cbs.append(best_cb)
        if cfg.early_stopping_patience > 0:
            cbs.append(EarlyStopping(monitor=monitor, mode=monitor_mode, patience=int(cfg.early_stopping_patience)))
    probe = _DryRunProbe() if dry else None
    if probe is not None:
        cbs.append(probe)
    cbs += list(callbacks)

    if progress is None:
        progress = _progress_default()
    precision = cfg.precision
    if resolve_device(device).type == "cpu" and precision == "16-mixed":
        precision = "bf16-mixed"  # fp16 autocast does not exist on CPU
    sampler = getattr(train_loader, "batch_sampler", None)
    with quiet():
        trainer = pl.Trainer(
            max_epochs=-1 if steps > 0 else epochs, max_steps=steps if steps > 0 else -1,
            **trainer_options(device, cfg.devices, cfg.strategy, precision=precision),
            accumulate_grad_batches=int(cfg.accumulate_grad_batches),
            gradient_clip_val=float(cfg.gradient_clip_val) or None,
            logger=False, enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in cbs),
            enable_model_summary=False, enable_progress_bar=bool(progress), num_sanity_val_steps=0,
            limit_val_batches=1.0 if val_loader is not None else 0,
            val_check_interval=val_check_interval,
            use_distributed_sampler=not isinstance(sampler, BucketBatchSampler),
            callbacks=cbs, **trainer_kwargs,
        )
        resume = work / LAST if work is not None and (work / LAST).exists() and not dry else None
        mem = dryrun.MemorySampler(resolve_device(device)) if dry else contextlib.nullcontext()
        t0 = time.perf_counter()
        with mem:
            trainer.fit(module, train_loader, val_loader, ckpt_path=str(resume) if resume else None)
        seconds = time.perf_counter() - t0
    res = FitResult(trainer, seconds, int(trainer.global_step), int(trainer.current_epoch),
                    resumed_from=str(resume) if resume else None)
    if best_cb is not None and best_cb.best_model_path:
        res.best_path = best_cb.best_model_path
        res.best_score = float(best_cb.best_model_score) if best_cb.best_model_score is not None else None
        state = torch.load(best_cb.best_model_path, map_location="cpu", weights_only=False)["state_dict"]
        module.load_state_dict(state)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    if dry:
        n_params = sum(p.numel() for p in module.parameters())
        timed = probe.step_seconds[1:] or probe.step_seconds
        full_epochs = cfg.max_epochs if max_epochs is None else max_epochs
        full_max_steps = cfg.max_steps if max_steps is None else max_steps
        dryrun.record({
            "name": name, "params": int(n_params), "peak_mb": float(mem.added_mb),
            "s_per_step": float(np.mean(timed)) if timed else float("nan"), "flops_per_step": probe.flops,
            "full_steps": dryrun.full_steps(full_max_steps, full_epochs, steps_per_epoch // int(cfg.accumulate_grad_batches)),
            "batch_size": int(cfg.batch_size), "precision": precision, "device": str(resolve_device(device)),
        })
    return res
