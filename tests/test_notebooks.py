"""Execute every notebook in smoke mode through papermill, as CI and `make run` do.

Each notebook must finish, write a results.json with at least one table, and every
table must carry rows of ours (the paper rows are optional for the tour).
"""

import json
import os

import pytest

from slpkit.notebook import discover_notebooks
from slpkit.notebook.runner import execute

NOTEBOOKS = discover_notebooks()


@pytest.mark.notebooks
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_smoke_mode(nb, tmp_path):
    out = tmp_path / nb.stem
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    execute(nb, out, {"mode": "smoke", "seed": 0, "device": "cpu", "output_dir": str(out)})
    res = json.loads((out / "results.json").read_text())
    assert res["mode"] == "smoke" and res["notebook"] == nb.stem
    assert res["tables"], f"{nb.name} wrote no tables"
    for t in res["tables"]:
        assert t["rows"], f"{nb.name}: table {t['title']!r} has no rows of ours"
        assert "synthetic" in t["note"].lower()
