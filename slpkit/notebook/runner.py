"""Execute the notebook suite with papermill and build the report.

Each notebook gets its own output folder ``RUN_DIR/<notebook stem>/`` passed as the
``output_dir`` parameter; the executed copy is written beside its ``results.json``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable

from slpkit.config import check_mode
from slpkit.notebook.report import build_report

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"


def discover_notebooks(notebook_dir: str | Path = NOTEBOOK_DIR, select: Iterable[str] | None = None) -> list[Path]:
    """Numbered notebooks (``NN_name.ipynb``) in teaching order, optionally filtered by prefix or substring."""
    nbs = sorted(p for p in Path(notebook_dir).glob("[0-9][0-9]_*.ipynb"))
    if select:
        sel = list(select)
        nbs = [p for p in nbs if any(s in p.stem for s in sel)]
        if not nbs:
            raise ValueError(f"no notebook in {notebook_dir} matches {sel}")
    return nbs


def execute(nb: str | Path, out_dir: str | Path, parameters: dict, kernel_name: str | None = None,
            progress_bar: bool = False) -> Path:
    """Execute one notebook with papermill into ``out_dir``; returns the executed copy's path.

    papermill raises when a cell's last output arrives more than ``iopub_timeout`` (4 s)
    after the cell finished; on a loaded 2-core CI machine that happens to healthy cells,
    so the wait is raised to two minutes (cells themselves have no time limit).
    """
    import papermill as pm

    nb, out_dir = Path(nb), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / nb.name
    pm.execute_notebook(str(nb), str(out), parameters=parameters, kernel_name=kernel_name,
                        cwd=str(nb.parent), progress_bar=progress_bar, iopub_timeout=120)
    return out


def run_notebooks(
    mode: str = "smoke",
    run_dir: str | Path | None = None,
    select: Iterable[str] | None = None,
    seed: int = 0,
    device: str = "auto",
    notebook_dir: str | Path = NOTEBOOK_DIR,
    kernel_name: str | None = None,
    extra_parameters: dict | None = None,
) -> Path:
    """Run notebooks through papermill, then write ``REPORT.md``; returns the run folder."""
    check_mode(mode)
    run_dir = Path(run_dir or Path("runs") / f"{mode}-{time.strftime('%Y%m%d-%H%M%S')}")
    run_dir.mkdir(parents=True, exist_ok=True)
    timings = []
    for nb in discover_notebooks(notebook_dir, select):
        out = run_dir / nb.stem
        out.mkdir(parents=True, exist_ok=True)
        params = {"mode": mode, "seed": seed, "device": device, "output_dir": str(out.resolve())}
        params.update(extra_parameters or {})
        t0 = time.perf_counter()
        print(f"[slpkit] running {nb.name} ({mode}) -> {out}", flush=True)
        execute(nb, out, params, kernel_name=kernel_name, progress_bar=os.environ.get("CI") is None)
        dt = time.perf_counter() - t0
        timings.append((nb.stem, dt))
        print(f"[slpkit] {nb.name} done in {dt:.1f} s", flush=True)
    report = build_report(run_dir)
    with open(run_dir / "timings.tsv", "w") as f:
        f.writelines(f"{name}\t{dt:.1f}\n" for name, dt in timings)
    print(f"[slpkit] report: {report}")
    return run_dir
