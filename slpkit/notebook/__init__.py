"""Notebook harness: execute notebooks with papermill and collect their results into a report."""

from slpkit.notebook.report import SYNTHETIC_NOTE, build_report, table
from slpkit.notebook.runner import discover_notebooks, run_notebooks

__all__ = ["SYNTHETIC_NOTE", "build_report", "table", "discover_notebooks", "run_notebooks"]
