"""Full-mode dry run: every stage with its *full* preset, 2 optimiser steps, on a small corpus slice.

``slpkit run --mode full --dry-run`` sets ``SLPKIT_DRY_RUN=<run folder>/dryrun.jsonl`` for the
notebook kernels. While it is set:

- :meth:`slpkit.config.Preset.for_mode` applies a config class's ``dry_run_overrides()``
  (only the data size changes, e.g. SynthSign's sentences per language; model widths, layers,
  batch sizes and sequence caps stay at their full values);
- :func:`slpkit.training.fit` trains for :data:`STEPS` optimiser steps and appends one record
  per stage to the log: parameters, peak memory, seconds per step, FLOPs per step (counted
  with ``torch.utils.flop_counter.FlopCounterMode`` on the first step, timed on the second)
  and the steps the full run would take.

:func:`estimate_table` turns the log into the README's table, with GPU hours estimated as
``full steps x FLOPs per step / (GPU throughput)``. The throughput is a stated assumption
(default 400 TFLOP/s: an H100/H200 at ~40% of its dense bf16 peak), not a measurement.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

import torch

from slpkit.config import DRY_RUN_ENV

__all__ = ["ENV", "STEPS", "DRY_RUN_SENTENCES", "active", "log_path", "corpus_scale", "set_corpus_scale", "MemorySampler",
           "record", "read_records", "estimate_rows", "estimate_table", "DEFAULT_GPU_TFLOPS"]

ENV = DRY_RUN_ENV
SCALE_ENV = "SLPKIT_DRY_RUN_SCALE"
STEPS = 2
#: sentences per language of the dry run's corpus slice (SynthSign's full preset has 7,000)
DRY_RUN_SENTENCES = 16
DEFAULT_GPU_TFLOPS = 400.0


def active() -> bool:
    return bool(os.environ.get(ENV))


def log_path() -> Path | None:
    p = os.environ.get(ENV)
    return Path(p) if p else None


def corpus_scale() -> float:
    """Full corpus size / dry-run slice size (set by the data config that made the slice)."""
    return float(os.environ.get(SCALE_ENV, "1"))


def set_corpus_scale(scale: float) -> None:
    os.environ[SCALE_ENV] = str(float(scale))


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # not Linux: peak RSS so far
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


class MemorySampler:
    """Peak memory while a block runs: CUDA's allocator peak, else the process RSS sampled every 5 ms
    (minus the RSS at the start: what the stage added)."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> "MemorySampler":
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
        else:
            self.base = _rss_bytes()
            self.peak = self.base
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *exc) -> None:
        if self.cuda:
            self.peak = torch.cuda.max_memory_allocated()
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, _rss_bytes())

    @property
    def added_mb(self) -> float:
        return (self.peak - self.base) / 2**20


def record(entry: dict[str, Any]) -> None:
    """Append one stage record to the dry-run log (no-op when inactive)."""
    path = log_path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = dict(entry, notebook=os.environ.get("SLPKIT_NOTEBOOK", ""), time=time.strftime("%H:%M:%S"))
    with open(path, "a") as f:
        f.write(json.dumps(entry) + "\n")


def read_records(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no dry-run log at {path}: run `slpkit run --mode full --dry-run` first")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def estimate_rows(records: list[dict[str, Any]], gpu_tflops: float = DEFAULT_GPU_TFLOPS) -> list[list[Any]]:
    """One row per stage: notebook, stage, params (M), peak memory (MB), s/step (this machine), GFLOP/step,
    full-run steps, estimated GPU hours at ``gpu_tflops``."""
    rows = []
    for r in records:
        hours = r["full_steps"] * r["flops_per_step"] / (gpu_tflops * 1e12) / 3600 if r.get("flops_per_step") else None
        rows.append([r.get("notebook", ""), r["name"], round(r["params"] / 1e6, 2), round(r["peak_mb"]),
                     round(r["s_per_step"], 3), round(r["flops_per_step"] / 1e9, 1), int(r["full_steps"]),
                     None if hours is None else round(hours, 3)])
    return rows


ESTIMATE_COLUMNS = ["notebook", "stage", "params (M)", "peak memory (MB)", "s / step (dry run)", "GFLOP / step",
                    "full-run steps", f"GPU hours"]


def estimate_table(records: list[dict[str, Any]], gpu_tflops: float = DEFAULT_GPU_TFLOPS) -> str:
    """Markdown table of :func:`estimate_rows` with a total line."""
    rows = estimate_rows(records, gpu_tflops)
    lines = ["| " + " | ".join(ESTIMATE_COLUMNS) + " |", "|" + "---|" * len(ESTIMATE_COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join("—" if v is None else str(v) for v in r) + " |")
    total = sum(r[-1] for r in rows if r[-1] is not None)
    lines.append(f"| **total** | {len(rows)} stages | | | | | | **{total:.2f}** |")
    lines.append("")
    lines.append(f"GPU hours = full-run steps x FLOPs per step / {gpu_tflops:g} TFLOP/s (assumed sustained "
                 "throughput, ~40% of an H100/H200's dense bf16 peak); FLOPs counted by "
                 "torch.utils.flop_counter on one training step (forward + backward) at the full batch size.")
    return "\n".join(lines)


def full_steps(max_steps: int, max_epochs: int, steps_per_epoch: int) -> int:
    """Steps the full run takes: ``max_steps`` if set, else epochs x steps per epoch scaled to the full corpus."""
    if max_steps and max_steps > 0:
        return int(max_steps)
    return int(max(1, max_epochs) * math.ceil(max(1, steps_per_epoch) * corpus_scale()))
