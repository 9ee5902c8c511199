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
    if not isinstance(title, str) or not title:
        raise ValueError(f"title={title!r}: give the table a title (a non-empty string)")
    for name, v in (("note", note), ("source", source)):
        if not isinstance(v, str):
            raise ValueError(f"{name}={v!r}: pass a string ('' for none)")
    for name, v in (("columns", columns), ("rows", rows), ("paper_rows", paper_rows)):
        if isinstance(v, (str, bytes, dict)) or v is None or not hasattr(v, "__iter__"):
            raise ValueError(f"table {title!r}: {name}={v!r} must be a list"
                             + (" of column names" if name == "columns" else " of rows (each a list of cells)"))
    cols = list(columns)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise ValueError(f"table {title!r}: columns={cols!r}: pass a non-empty list of column names (strings)")
    rows, paper_rows = list(rows), list(paper_rows)
    for r in rows + paper_rows:
        if isinstance(r, (str, bytes, dict)) or not hasattr(r, "__len__"):
            raise ValueError(f"table {title!r}: row {r!r} is not a list of cells: pass one list per row")
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


def format_cell(v: Any) -> str:
    """A table cell as text: ``—`` for missing, 4 significant digits for floats (the Markdown and HTML reports)."""
    if v is None:
        return "—"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.3e}"
    return str(v)


def check_table(t: Any, where: str = "") -> dict[str, Any]:
    """``t`` if it is a table as :func:`table` builds it (``title``, ``columns``, ``rows``, ``note``), else
    ``ValueError`` naming what is missing (and ``where`` it came from, e.g. a ``results.json``)."""
    at = f" in {where}" if where else ""
    if not isinstance(t, dict):
        raise ValueError(f"table{at} is a {type(t).__name__}: build tables with slpkit.notebook.table(...)")
    missing = [k for k in ("title", "columns", "rows", "note") if k not in t]
    if missing:
        raise ValueError(f"table {t.get('title', '?')!r}{at} lacks {missing}: build it with slpkit.notebook.table(...)")
    return t


def read_results(path: str | Path) -> dict[str, Any]:
    """One notebook's ``results.json`` as a dict; invalid JSON or tables raise ``ValueError`` naming the file."""
    path = Path(path)
    try:
        res = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}): rerun that notebook") from err
    if not isinstance(res, dict):
        raise ValueError(f"{path} holds a {type(res).__name__}, expected a dict (slpkit.config.write_results)")
    tables = res.get("tables", [])
    if not isinstance(tables, list):
        raise ValueError(f"{path}: 'tables' is a {type(tables).__name__}, expected a list of tables")
    for t in tables:
        check_table(t, str(path))
    return res


def table_markdown(t: dict[str, Any]) -> str:
    """Render one table: our rows, then the paper's rows marked ``(paper)``."""
    check_table(t)
    cols = t["columns"]
    lines = [f"**{t['title']}**" + (f" ({t['source']})" if t.get("source") else ""), ""]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for r in t["rows"]:
        lines.append("| " + " | ".join(format_cell(c) for c in [f"ours: {r[0]}"] + list(r[1:])) + " |")
    for r in t.get("paper_rows", []):
        lines.append("| " + " | ".join(format_cell(c) for c in [f"paper: {r[0]}"] + list(r[1:])) + " |")
    lines += ["", f"_{t['note']}_", ""]
    return "\n".join(lines)


def print_table(t: dict[str, Any]) -> None:
    """Print a table as markdown (what notebooks show under a results cell)."""
    print(table_markdown(t))


def check_run_folder(path: str | Path) -> Path:
    """``path`` as a run folder of ``slpkit run`` (one sub-folder per notebook): ``FileNotFoundError`` if it does
    not exist, ``ValueError`` if it is a file or one notebook's folder (``results.json`` directly inside)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"run folder {path} does not exist: pass a folder written by `slpkit run`")
    if not path.is_dir():
        raise ValueError(f"{path} is a file: pass the run folder that holds <notebook>/results.json")
    if (path / "results.json").exists():
        raise ValueError(f"{path} is one notebook's output folder: pass its parent {path.parent} "
                         "(the run folder with one sub-folder per notebook)")
    return path


def build_report(run_dir: str | Path, out_name: str = "REPORT.md") -> Path:
    """Collect every ``*/results.json`` below ``run_dir`` into one markdown report.

    Raises ``FileNotFoundError`` if ``run_dir`` does not exist and ``ValueError`` if it is one notebook's folder
    (``results.json`` directly inside: pass its parent) or a folder of seed runs (report each ``seed-*``).
    """
    run_dir = check_run_folder(run_dir)
    if not any(run_dir.glob("*/results.json")) and any(run_dir.glob("seed-*/*/results.json")):
        raise ValueError(f"{run_dir} holds seed runs: pass one of {sorted(p.name for p in run_dir.glob('seed-*'))} "
                         "or use `slpkit claims` for the summary over seeds")
    parts = [f"# slpkit results ({run_dir.name})", "", SYNTHETIC_NOTE, ""]
    found = sorted(run_dir.glob("*/results.json"))
    if not found:
        parts.append("No results.json found: did any notebook run?")
    for path in found:
        res = read_results(path)
        parts += [f"## {res.get('notebook', path.parent.name)} (mode: {res.get('mode', '?')}, seed: {res.get('seed', '?')})", ""]
        for t in res.get("tables", []):
            parts.append(table_markdown(t))
        if not res.get("tables"):
            parts.append("_(no tables)_\n")
    out = run_dir / out_name
    out.write_text("\n".join(parts))
    return out
