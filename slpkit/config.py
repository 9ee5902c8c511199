"""Run configuration shared by every notebook and trainer.

One seeding path (:func:`seed_everything`), one way to pick a device, one way to
write a ``results.json``. Stage-specific configs are dataclasses with ``smoke()``
and ``full()`` presets (see :class:`Preset`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

Mode = Literal["smoke", "full"]
MODES: tuple[str, ...] = ("smoke", "full")
#: set (to a log path) by ``slpkit run --mode full --dry-run``; see :mod:`slpkit.training.dryrun`
DRY_RUN_ENV = "SLPKIT_DRY_RUN"


def check_mode(mode: str) -> Mode:
    """Return ``mode`` if it is ``'smoke'`` or ``'full'``, else raise a clear error."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use 'smoke' (CPU, minutes) or 'full' (GPU, reproduces a table)")
    return mode  # type: ignore[return-value]


def seed_everything(seed: int, deterministic: bool = False) -> int:
    """Seed python, numpy and torch (CPU and CUDA) from one integer.

    Lightning's own ``seed_everything`` is called too so its dataloader workers
    derive their seeds from the same value.
    """
    import lightning.pytorch as pl

    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed={seed!r}: use an integer in [0, 2**32)")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    pl.seed_everything(seed, workers=True, verbose=False)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    return seed


def check_device(device: Any) -> str | torch.device:
    """``device`` if it is ``'auto'``, a torch device string (``'cpu'``, ``'cuda'``, ``'cuda:1'``, ``'mps'``) or a
    ``torch.device``; ``ValueError`` naming it otherwise. Availability is checked by :func:`resolve_device`."""
    if isinstance(device, torch.device) or device == "auto":
        return device
    if not isinstance(device, str) or not device:
        raise ValueError(f"device={device!r}: use 'auto', 'cpu' or 'cuda' (or 'cuda:N')")
    try:
        torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"device={device!r} is not a device: use 'auto', 'cpu' or 'cuda' (or 'cuda:N')") from None
    return device


def resolve_device(device: str = "auto") -> torch.device:
    """``'auto'`` -> CUDA when available, else CPU; anything else is passed to torch."""
    check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available: pass device='cpu' or 'auto'")
    return dev


def accelerator_for(device: str = "auto") -> str:
    """Lightning ``accelerator`` string for a slpkit device string."""
    return "gpu" if resolve_device(device).type == "cuda" else "cpu"


#: Config fields that choose *where* a run happens, not *what* it computes: left out of cache keys.
SCALE_OUT_FIELDS: tuple[str, ...] = ("devices", "strategy")


def trainer_options(device: str = "auto", devices: int | str | list = 1, strategy: str = "auto", num_nodes: int = 1,
                    precision: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``lightning.pytorch.Trainer``: the one place trainers pick their hardware.

    ``accelerator`` comes from :func:`accelerator_for` (``device``); ``devices``, ``strategy`` and
    ``num_nodes`` are passed through to Lightning; ``precision`` only when given (else Lightning's
    ``'32-true'``). The defaults train on one device, exactly as before. Scale-out is Lightning's
    own DDP, no home-made launcher::

        # 4 GPUs of one machine, one process each (run as a script: `python train.py`)
        trainer = pl.Trainer(max_epochs=10, **trainer_options("cuda", devices=4, strategy="ddp"))
        # the same through a stage config
        cfg = TokenizerConfig.for_mode("full", devices=4, strategy="ddp")

    slpkit trainers keep every config's ``batch_size`` as the *global* batch: each of the
    ``trainer.world_size`` processes loads ``batch_size / world_size`` of it (:func:`per_device_batch`),
    so steps per epoch, LR schedules and results do not depend on the device count (which is why
    ``devices`` / ``strategy`` are not in cache keys). ``strategy="ddp"`` re-runs the calling script
    once per device; from a notebook use ``"ddp_notebook"`` (fork) instead.
    """
    if isinstance(devices, bool) or (isinstance(devices, int) and devices < 1) or (
            isinstance(devices, str) and devices != "auto" and not devices.isdigit()):
        raise ValueError(f"devices={devices!r}: use a positive number of devices, 'auto' or a list of device ids")
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 1:
        raise ValueError(f"num_nodes={num_nodes!r}: use a positive number of machines (1)")
    opts: dict[str, Any] = {"accelerator": accelerator_for(device), "devices": devices, "strategy": strategy,
                            "num_nodes": num_nodes}
    if precision is not None:
        opts["precision"] = precision
    return opts


def per_device_batch(batch_size: int, world_size: int) -> int:
    """Per-process share of a global ``batch_size`` under DDP (raises unless it divides evenly)."""
    if world_size < 1 or batch_size % world_size:
        raise ValueError(f"batch_size {batch_size} is the global batch and must be divisible by the "
                         f"{world_size} DDP processes: change batch_size or devices")
    return batch_size // world_size


def result_fields(cfg: Any) -> dict[str, Any]:
    """``dataclasses.asdict(cfg)`` without :data:`SCALE_OUT_FIELDS` (what a cache key should hash)."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in SCALE_OUT_FIELDS}


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_results(output_dir: str | os.PathLike, results: dict[str, Any], name: str = "results.json") -> Path:
    """Write a notebook's measured results as JSON (the report and tests read it).

    Convention: ``{"notebook": str, "mode": str, "seed": int, "tables": [Table...], ...}``
    where a table is ``{"title", "columns", "rows", "paper_rows", "note"}`` (see
    :func:`slpkit.notebook.report.table`).
    """
    if not isinstance(results, dict):
        raise ValueError(f"results={type(results).__name__}: pass a dict, e.g. {{'notebook': ..., 'tables': [...]}}")
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output_dir={str(out)!r} is a file: pass the notebook's output folder")
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text(json.dumps(_jsonable(results), indent=2, ensure_ascii=False))
    return path


@dataclasses.dataclass
class Preset:
    """Base for stage configs: subclasses define ``smoke()`` and ``full()`` classmethods."""

    @classmethod
    def smoke(cls):  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def full(cls):  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def dry_run_overrides(cls) -> dict[str, Any]:
        """Fields a full-mode dry run changes (only data sizes; see :mod:`slpkit.training.dryrun`)."""
        return {}

    @classmethod
    def for_mode(cls, mode: str, **overrides):
        """The ``smoke()`` or ``full()`` preset with ``overrides`` applied (and validated).

        During a full-mode dry run (``$SLPKIT_DRY_RUN`` set) ``full`` also gets :meth:`dry_run_overrides`.
        """
        cfg = cls.smoke() if check_mode(mode) == "smoke" else cls.full()
        if mode == "full" and os.environ.get(DRY_RUN_ENV):
            overrides = {**cls.dry_run_overrides(), **overrides}
        if overrides:
            unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(cls)})
            if unknown:
                raise ValueError(f"{cls.__name__} has no field(s) {unknown}: valid fields are "
                                 f"{[f.name for f in dataclasses.fields(cls)]}")
            cfg = dataclasses.replace(cfg, **overrides)
        return cfg


def cache_dir(*parts: str) -> Path:
    """Folder for trained artifacts reused across notebooks (tokenizers, back-translators).

    ``$SLPKIT_CACHE`` if set, else ``<repo>/.cache/slpkit`` (ignored by git).
    """
    root = Path(os.environ.get("SLPKIT_CACHE", Path(__file__).resolve().parents[1] / ".cache" / "slpkit"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_hash(cfg: Any, length: int = 10) -> str:
    """Short stable hash of a (dataclass) config, used to key cached artifacts."""
    import hashlib

    blob = json.dumps(_jsonable(cfg), sort_keys=True, default=str).encode()
    return hashlib.sha1(blob).hexdigest()[:length]
