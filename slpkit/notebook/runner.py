"""Execute the notebook suite with papermill and build the report.

Each notebook gets its own output folder ``RUN_DIR/<notebook stem>/`` passed as the ``output_dir``
parameter; the executed copy is written beside its ``results.json``. ``jobs > 1`` runs that many
notebooks at once (one kernel each, ``OMP_NUM_THREADS`` split between them); models they share are
trained once thanks to the locked cache (:func:`slpkit.training.cached`). ``seeds`` runs the suite once
per seed into ``RUN_DIR/seed-<s>/`` and writes ``CLAIMS.md`` (:mod:`slpkit.notebook.claims`). ``dry_run``
runs every notebook in full mode for two optimiser steps per model on a small corpus slice and writes
``DRYRUN.md`` (:mod:`slpkit.training.dryrun`).
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Sequence

from slpkit.config import check_device, check_mode
from slpkit.data.synthsign.config import SynthSignConfig
from slpkit.notebook.claims import claims_table
from slpkit.notebook.html import build_html
from slpkit.notebook.report import build_report, table_markdown
from slpkit.training import dryrun

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"

__all__ = ["NOTEBOOK_DIR", "SCHEDULE", "schedule", "discover_notebooks", "execute", "run_notebooks", "run_seeds",
           "NotebookFailures"]

#: the order in which parallel runs (``jobs > 1``; the test suite's two workers) start the notebooks. The longest
#: come first, so the workers finish together; a notebook that loads models another one trains (same config, same
#: cache key) comes after it, so a worker does not wait on the cache lock while the other trains: 05, 08, 09 and 02
#: reuse 04's tokenizer and SOKE generators, 02 also 05's partition tokenizers, 07 08's segmenter, 10 everything.
SCHEDULE = ("04", "03", "05", "06", "09", "02", "08", "01", "07", "11", "00", "10")


def schedule(notebooks: Iterable[str | Path]) -> list[Path]:
    """``notebooks`` in :data:`SCHEDULE` order (unlisted ones last, in teaching order)."""
    rank = lambda p: SCHEDULE.index(Path(p).name[:2]) if Path(p).name[:2] in SCHEDULE else len(SCHEDULE)
    return sorted((Path(p) for p in notebooks), key=lambda p: (rank(p), p.name))


class NotebookFailures(RuntimeError):
    """Some notebooks failed; the others ran and the report was written."""


def discover_notebooks(notebook_dir: str | Path = NOTEBOOK_DIR, select: Iterable[str] | None = None) -> list[Path]:
    """Numbered notebooks (``NN_name.ipynb``) in teaching order, optionally filtered by prefix or substring."""
    notebook_dir = Path(notebook_dir)
    if not notebook_dir.is_dir():
        raise FileNotFoundError(f"notebook folder {notebook_dir} does not exist")
    nbs = sorted(p for p in notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if select is not None:
        if isinstance(select, (str, int)):  # one selector, not its characters ('02' would match every notebook)
            select = [select]
        sel = [str(s) for s in select]
        unknown = [s for s in sel if not any(s in p.stem for p in nbs)]
        if unknown:
            raise ValueError(f"no notebook matches {unknown}: choose from {[p.stem for p in nbs]} "
                             "(a number prefix such as 04 or a part of the name)")
        nbs = [p for p in nbs if any(s in p.stem for s in sel)]
    return nbs


def execute(nb: str | Path, out_dir: str | Path, parameters: dict, kernel_name: str | None = None,
            progress_bar: bool = False) -> Path:
    """Execute one notebook with papermill into ``out_dir``; returns the executed copy's path.

    papermill raises when a cell's last output arrives more than ``iopub_timeout`` (4 s)
    after the cell finished; on a loaded 2-core CI machine that happens to healthy cells,
    so the wait is raised to two minutes (cells themselves have no time limit).
    """
    import papermill as pm  # heavy (nbclient, jupyter): only the runner needs it

    nb, out_dir = Path(nb), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / nb.name
    pm.execute_notebook(str(nb), str(out), parameters=parameters, kernel_name=kernel_name,
                        cwd=str(nb.parent), progress_bar=progress_bar, iopub_timeout=120)
    return out


def _make_run_dir(run_dir: str | Path | None, mode: str, dry: bool) -> Path:
    name = f"{mode}{'-dryrun' if dry else ''}-{time.strftime('%Y%m%d-%H%M%S')}"
    path = Path(run_dir) if run_dir is not None else Path("runs") / name
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"cannot create the run folder {path} ({err.strerror}): pass a writable --run-dir") from err
    return path


def run_notebooks(
    mode: str = "smoke",
    run_dir: str | Path | None = None,
    select: Iterable[str] | None = None,
    seed: int = 0,
    device: str = "auto",
    notebook_dir: str | Path = NOTEBOOK_DIR,
    kernel_name: str | None = None,
    extra_parameters: dict | None = None,
    jobs: int = 1,
    dry_run: bool = False,
) -> Path:
    """Run notebooks through papermill, then write ``REPORT.md`` and ``REPORT.html``; returns the run folder.

    Raises :class:`NotebookFailures` (after writing the report) if any notebook failed.
    """
    check_mode(mode)
    check_device(device)
    if dry_run and mode != "full":
        raise ValueError("--dry-run checks the full presets: use it with --mode full")
    if int(jobs) < 1:
        raise ValueError(f"jobs={jobs}: run at least one notebook at a time")
    nbs = discover_notebooks(notebook_dir, select)  # validates --only before any folder is made
    run_dir = _make_run_dir(run_dir, mode, dry_run)
    jobs = 1 if dry_run else min(int(jobs), len(nbs))
    threads = os.environ.get("OMP_NUM_THREADS")
    if jobs > 1:  # split the cores between the kernels
        os.environ["OMP_NUM_THREADS"] = str(max(1, (int(threads) if threads else os.cpu_count() or 1) // jobs))
    os.environ.setdefault("SLPKIT_PROGRESS", "0")  # tqdm bars do not belong in executed notebooks
    if dry_run:
        log = run_dir / "dryrun.jsonl"
        log.unlink(missing_ok=True)
        os.environ[dryrun.ENV] = str(log.resolve())
        dryrun.set_corpus_scale(SynthSignConfig.full().sentences_per_language / dryrun.DRY_RUN_SENTENCES)
    timings: dict[str, float] = {}
    failures: dict[str, str] = {}

    def one(nb: Path) -> None:
        out = run_dir / nb.stem
        out.mkdir(parents=True, exist_ok=True)
        params = {"mode": mode, "seed": seed, "device": device, "output_dir": str(out.resolve())}
        params.update(extra_parameters or {})
        if dry_run:
            os.environ["SLPKIT_NOTEBOOK"] = nb.stem
        t0 = time.perf_counter()
        print(f"[slpkit] running {nb.name} ({mode}{', dry run' if dry_run else ''}) -> {out}", flush=True)
        try:
            execute(nb, out, params, kernel_name=kernel_name, progress_bar=jobs == 1 and os.environ.get("CI") is None)
        except Exception as err:  # one failing notebook must not lose the others' results
            failures[nb.stem] = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"
            print(f"[slpkit] {nb.name} FAILED: {failures[nb.stem]}", flush=True)
        timings[nb.stem] = time.perf_counter() - t0
        print(f"[slpkit] {nb.name} done in {timings[nb.stem]:.1f} s", flush=True)

    try:
        if jobs == 1:
            for nb in nbs:
                one(nb)
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                list(pool.map(one, schedule(nbs)))
    finally:
        if threads is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = threads
        if dry_run:
            os.environ.pop(dryrun.ENV, None)
            os.environ.pop("SLPKIT_NOTEBOOK", None)
    report = build_report(run_dir)
    build_html(run_dir)
    with open(run_dir / "timings.tsv", "w") as f:
        f.writelines(f"{name}\t{timings[name]:.1f}\n" for name in sorted(timings))
    if dry_run and (run_dir / "dryrun.jsonl").exists():
        md = dryrun.estimate_table(dryrun.read_records(run_dir / "dryrun.jsonl"))
        (run_dir / "DRYRUN.md").write_text(f"# Full-mode dry run ({run_dir.name})\n\n{md}\n")
        print(md)
    print(f"[slpkit] report: {report}")
    if failures:
        raise NotebookFailures(f"{len(failures)} of {len(nbs)} notebooks failed (report written to {report}): "
                               + "; ".join(f"{k}: {v}" for k, v in failures.items()))
    return run_dir


def run_seeds(seeds: Sequence[int], mode: str = "smoke", run_dir: str | Path | None = None, **kwargs) -> Path:
    """:func:`run_notebooks` once per seed into ``RUN_DIR/seed-<s>/``, then ``CLAIMS.md`` over all of them."""
    seeds = [int(s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds}: pass distinct seeds, e.g. --seeds 0 1 2")
    root = _make_run_dir(run_dir, mode, kwargs.get("dry_run", False))
    failed = []
    for s in seeds:
        try:
            run_notebooks(mode, root / f"seed-{s}", seed=s, **kwargs)
        except NotebookFailures as err:
            failed.append(f"seed {s}: {err}")
    t = claims_table([root])
    (root / "CLAIMS.md").write_text(f"# Claims across seeds {seeds} ({root.name})\n\n" + table_markdown(t))
    print(f"[slpkit] claims over {len(seeds)} seeds: {root / 'CLAIMS.md'}")
    if failed:
        raise NotebookFailures("; ".join(failed))
    return root


def remove_empty(path: Path) -> None:
    """Delete ``path`` if it is an empty folder (a run that never started)."""
    if path.is_dir() and not any(path.iterdir()):
        shutil.rmtree(path)
