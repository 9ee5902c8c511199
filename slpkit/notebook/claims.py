"""The claims table: every paper ordering the notebooks test, across the runs of one or more seeds.

Each notebook stores its orderings in ``results.json`` as ``"orderings": [Ordering.as_dict(), ...]``
(:mod:`slpkit.metrics.bootstrap`: a paired bootstrap over test sentences with a verdict ``holds`` /
``reversed`` / ``within noise``). :func:`collect_claims` gathers them from run folders (one per seed,
``slpkit run --seeds 0 1 2`` writes ``<run>/seed-<s>/``) and :func:`claims_table` writes one row per
claim: the paper and table, our mean improvement and its spread over seeds, the interval of each seed,
and how many seeds agree on each verdict.

    slpkit claims runs/smoke-20261201-120000              # one run or a folder of seed runs
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from slpkit.notebook.report import check_run_folder, table

__all__ = ["run_folders", "collect_claims", "claims_rows", "claims_table", "CLAIM_COLUMNS", "missing_notebooks"]

CLAIM_COLUMNS = ["notebook", "claim", "paper / table", "metric", "seeds", "mean improvement", "spread (sd)",
                 "per-seed 95% CI", "holds", "reversed", "within noise", "verdict"]


def run_folders(paths: Iterable[str | Path]) -> list[Path]:
    """Run folders (each holding ``<notebook>/results.json``) below ``paths``: a run itself, or a folder of
    ``seed-*`` runs. Raises ``FileNotFoundError`` naming a path that does not exist."""
    if isinstance(paths, (str, Path)):  # one folder, not its characters
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = check_run_folder(p)
        seeds = sorted(d for d in p.glob("seed-*") if d.is_dir())
        out += seeds if seeds else [p]
    return out


def _results(run: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(run.glob("*/results.json")):
        try:
            found.append(json.loads(path.read_text()))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not valid JSON ({err}): rerun that notebook") from err
    return found


def missing_notebooks(runs: Sequence[Path], expected: Sequence[str]) -> dict[str, list[str]]:
    """``{run folder: [notebook stems without a results.json]}`` for the runs missing any of ``expected``."""
    out = {}
    for run in runs:
        have = {p.parent.name for p in run.glob("*/results.json")}
        miss = [e for e in expected if e not in have]
        if miss:
            out[str(run)] = miss
    return out


def collect_claims(runs: Sequence[str | Path]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """``{(notebook, claim, metric): [ordering dict per run (seed)]}`` from every ``results.json`` of ``runs``
    (one claim judged on two metrics, e.g. DARSLP's BLEU-4 and DTW-MJE, is two orderings)."""
    claims: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in run_folders(runs):
        for res in _results(run):
            for o in res.get("orderings", []) or []:
                if isinstance(o, dict) and "verdict" in o:
                    key = (res.get("notebook", run.name), o["claim"], str(o.get("metric", "")))
                    claims[key].append(dict(o, seed=res.get("seed")))
    return dict(claims)


def claims_rows(claims: dict[tuple[str, str, str], list[dict[str, Any]]]) -> list[list[Any]]:
    rows = []
    for (nb, claim, _), runs in sorted(claims.items()):
        d = np.array([r["diff"] for r in runs], float)
        counts = {v: sum(r["verdict"] == v for r in runs) for v in ("holds", "reversed", "within noise")}
        verdict = max(counts, key=lambda v: (counts[v], v == "within noise"))
        if counts[verdict] < len(runs):
            verdict = f"mixed ({verdict} {counts[verdict]}/{len(runs)})"
        cis = "; ".join(f"[{r['lo']:+.3g}, {r['hi']:+.3g}]" for r in runs)
        rows.append([nb, claim, runs[0].get("source", ""), runs[0].get("metric", ""), len(runs), round(float(d.mean()), 4),
                     round(float(d.std(ddof=1)), 4) if len(d) > 1 else None, cis, counts["holds"], counts["reversed"],
                     counts["within noise"], verdict])
    return rows


def claims_table(runs: Sequence[str | Path], title: str = "Paper claims on SynthSign, across seeds") -> dict[str, Any]:
    """A report table (``slpkit.notebook.table``) of :func:`claims_rows` for ``runs``."""
    if isinstance(runs, (str, Path)):
        runs = [runs]
    if not runs:
        raise ValueError("claims_table needs at least one run folder (written by `slpkit run`)")
    claims = collect_claims(runs)
    folders = run_folders(runs)
    seeds = sorted({r.get("seed") for rs in claims.values() for r in rs if r.get("seed") is not None})
    note = (f"{len(claims)} orderings from {len(folders)} run(s) (seeds {seeds}); improvement > 0 means the paper's "
            "ordering points our way; each seed's verdict comes from a paired bootstrap over its test sentences "
            "(1,000 resamples, 95% interval).")
    return table(title, CLAIM_COLUMNS, claims_rows(claims), note=note, source="slpkit claims")
