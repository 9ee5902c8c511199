"""Notebook harness: execute notebooks with papermill and collect their results into reports."""

from slpkit.notebook.claims import claims_table, collect_claims
from slpkit.notebook.html import build_html
from slpkit.notebook.report import SYNTHETIC_NOTE, build_report, table
from slpkit.notebook.runner import discover_notebooks, run_notebooks, run_seeds

__all__ = ["SYNTHETIC_NOTE", "build_report", "build_html", "table", "discover_notebooks", "run_notebooks", "run_seeds",
           "claims_table", "collect_claims"]
