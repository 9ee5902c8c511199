"""The harness itself: config, seeding, input checks, result tables, report, packaging."""

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch

from slpkit import seed_everything
from slpkit.checks import check_finite, check_last_dim, check_motion, check_shape
from slpkit.config import Preset, cache_dir, check_mode, config_hash, resolve_device, write_results
from slpkit.notebook import build_report, discover_notebooks, table
from slpkit.notebook.report import table_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_seed_everything_reproduces_numpy_and_torch():
    seed_everything(3)
    a = (np.random.rand(4), torch.rand(4))
    seed_everything(3)
    b = (np.random.rand(4), torch.rand(4))
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])
    seed_everything(4)
    assert not torch.equal(torch.rand(4), b[1])


def test_mode_and_device_errors():
    assert check_mode("smoke") == "smoke"
    with pytest.raises(ValueError, match="smoke"):
        check_mode("fast")
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_checks_name_the_problem():
    with pytest.raises(ValueError, match=r"expected 133"):
        check_last_dim(np.zeros((5, 132)), 133, "v133")
    with pytest.raises(ValueError, match="NaN/inf.*index \\(1, 2\\)"):
        x = np.zeros((3, 4))
        x[1, 2] = np.nan
        check_finite(x)
    with pytest.raises(ValueError, match="empty sequence"):
        check_motion(torch.zeros(0, 133), 133)
    with pytest.raises(ValueError, match=r"\(\.\.\., \*, 3\)"):
        check_shape(np.zeros((4, 5, 2)), (-1, 3), "joints")
    check_motion(np.zeros((2, 133), dtype=np.float32), 133)  # a valid clip passes


def test_preset_for_mode_and_hash():
    from dataclasses import dataclass

    @dataclass
    class Cfg(Preset):
        width: int = 8

        @classmethod
        def smoke(cls):
            return cls(width=8)

        @classmethod
        def full(cls):
            return cls(width=512)

    assert Cfg.for_mode("full").width == 512
    assert Cfg.for_mode("smoke", width=16).width == 16
    assert config_hash(Cfg.smoke()) == config_hash(Cfg(width=8)) != config_hash(Cfg.full())


def test_cache_dir_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SLPKIT_CACHE", str(tmp_path))
    assert cache_dir("tok") == tmp_path / "tok" and (tmp_path / "tok").is_dir()


def test_table_checks_row_width_and_carries_synthetic_note():
    with pytest.raises(ValueError, match="2 cells but there are 3 columns"):
        table("T", ["a", "b", "c"], [["x", 1]])
    t = table("DTW", ["method", "body"], [["ours", 1.23456]], [["SOKE", 6.82]], source="SOKE Table 2")
    md = table_markdown(t)
    assert "ours: ours | 1.235" in md and "paper: SOKE | 6.82" in md and "synthetic" in md.lower()


def test_results_and_report_round_trip(tmp_path):
    t = table("Recon", ["partition", "MPJPE"], [["3-part", np.float32(12.5)]])
    write_results(tmp_path / "02_x", {"notebook": "02_x", "mode": "smoke", "seed": 0, "tables": [t], "arr": np.arange(3)})
    res = json.loads((tmp_path / "02_x" / "results.json").read_text())
    assert res["arr"] == [0, 1, 2] and res["tables"][0]["rows"] == [["3-part", 12.5]]
    report = build_report(tmp_path).read_text()
    assert "## 02_x (mode: smoke, seed: 0)" in report and "| ours: 3-part | 12.5 |" in report


def _deps(specs):
    return sorted(re.split(r"[<>=!~ \[]", s, maxsplit=1)[0].lower() for s in specs)


def test_environment_yml_matches_pyproject():
    import yaml

    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    want = _deps(py["dependencies"] + py["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    got = _deps([s for s in pip if not s.startswith("-e")])
    assert got == want
    assert not any("torchvision" in d or d.startswith("nvidia") for d in want)


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make run" in readme
    assert re.search(r"^make test$", ci, re.M)


def test_notebooks_are_numbered_clean_and_parameterised():
    nbs = discover_notebooks()
    assert nbs, "no notebooks found"
    for nb in nbs:
        cells = json.loads(nb.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb.name}: exactly one cell must be tagged 'parameters'"
        src = "".join(tagged[0]["source"])
        for name in ("mode", "seed", "device", "output_dir"):
            assert re.search(rf"^{name}\s*=", src, re.M), f"{nb.name}: parameters cell lacks {name}"
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), f"{nb.name} has outputs"
        # notebooks import the library; they never define library code
        assert not any(re.search(r"^(def|class) ", "".join(c["source"]), re.M) for c in code), f"{nb.name} defines code"
