"""Result tables: one format for every notebook, rendered to markdown for the report.

A notebook stores its measurements as ``results.json``::

    {"notebook": "02_soke_tokenizer", "mode": "smoke", "seed": 0,
     "tables": [table(...), ...], ...anything else...}

Each table prints the paper's rows beside ours; ours always carry the note that
they come from SynthSign, not from the paper's datasets.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

SYNTHETIC_NOTE = (
    "Ours: measured on SynthSign (slpkit's seeded synthetic benchmark), not on the paper's datasets; "
    "compare trends and orderings, not absolute values."
)


def table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    paper_rows: Sequence[Sequence[Any]] = (),
    note: str = "",
    source: str = "",
    data_note: str = SYNTHETIC_NOTE,
) -> dict[str, Any]:
    """Build a result table.

    ``rows`` and ``paper_rows`` are lists of cells, first cell the row label, one
    cell per column. ``source`` cites the paper table (e.g. ``"SOKE Table 2"``).
    ``data_note`` says where our numbers come from (default: SynthSign); it must say they
    are synthetic.
    """
    if "synthetic" not in data_note.lower():
        raise ValueError("data_note must state that our numbers come from synthetic data")
    cols = list(columns)
    for r in list(rows) + list(paper_rows):
        if len(r) != len(cols):
            raise ValueError(f"table {title!r}: row {list(r)!r} has {len(r)} cells but there are {len(cols)} columns {cols}")
    return {
        "title": title,
        "source": source,
        "columns": cols,
        "rows": [list(r) for r in rows],
        "paper_rows": [list(r) for r in paper_rows],
        "note": (note + " " if note else "") + data_note,
    }


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.3e}"
    return str(v)


def table_markdown(t: dict[str, Any]) -> str:
    """Render one table: our rows, then the paper's rows marked ``(paper)``."""
    cols = t["columns"]
    lines = [f"**{t['title']}**" + (f" ({t['source']})" if t.get("source") else ""), ""]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for r in t["rows"]:
        lines.append("| " + " | ".join(_fmt(c) for c in [f"ours: {r[0]}"] + list(r[1:])) + " |")
    for r in t.get("paper_rows", []):
        lines.append("| " + " | ".join(_fmt(c) for c in [f"paper: {r[0]}"] + list(r[1:])) + " |")
    lines += ["", f"_{t['note']}_", ""]
    return "\n".join(lines)


def print_table(t: dict[str, Any]) -> None:
    """Print a table as markdown (what notebooks show under a results cell)."""
    print(table_markdown(t))


def build_report(run_dir: str | Path, out_name: str = "REPORT.md") -> Path:
    """Collect every ``*/results.json`` below ``run_dir`` into one markdown report.

    Raises ``FileNotFoundError`` if ``run_dir`` does not exist and ``ValueError`` if it is one notebook's folder
    (``results.json`` directly inside: pass its parent) or a folder of seed runs (report each ``seed-*``).
    """
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise FileNotFoundError(f"run folder {run_dir} does not exist: pass a folder written by `slpkit run`")
    if not run_dir.is_dir():
        raise ValueError(f"{run_dir} is a file: pass the run folder that holds <notebook>/results.json")
    if (run_dir / "results.json").exists():
        raise ValueError(f"{run_dir} is one notebook's output folder: pass its parent {run_dir.parent} "
                         "(the run folder with one sub-folder per notebook)")
    if not any(run_dir.glob("*/results.json")) and any(run_dir.glob("seed-*/*/results.json")):
        raise ValueError(f"{run_dir} holds seed runs: pass one of {sorted(p.name for p in run_dir.glob('seed-*'))} "
                         "or use `slpkit claims` for the summary over seeds")
    parts = [f"# slpkit results ({run_dir.name})", "", SYNTHETIC_NOTE, ""]
    found = sorted(run_dir.glob("*/results.json"))
    if not found:
        parts.append("No results.json found: did any notebook run?")
    for path in found:
        res = json.loads(path.read_text())
        parts += [f"## {res.get('notebook', path.parent.name)} (mode: {res.get('mode', '?')}, seed: {res.get('seed', '?')})", ""]
        for t in res.get("tables", []):
            parts.append(table_markdown(t))
        if not res.get("tables"):
            parts.append("_(no tables)_\n")
    out = run_dir / out_name
    out.write_text("\n".join(parts))
    return out
