"""Command line: ``slpkit run`` executes the notebook suite, ``slpkit report`` / ``slpkit claims`` summarise runs.

Examples::

    slpkit run --mode smoke                      # every notebook, CPU-sized -> runs/smoke-<time>/REPORT.md
    slpkit run --mode smoke --jobs 2             # two notebooks at a time (one core each)
    slpkit run --mode smoke --seeds 0 1 2        # once per seed, then CLAIMS.md over the seeds
    slpkit run --mode full --only 02 04          # two notebooks, paper-sized (GPU)
    slpkit run --mode full --dry-run             # full presets, 2 steps per model: params, memory, GPU-hour estimate
    slpkit report runs/smoke-20261121-190000
    slpkit claims runs/smoke-seeds-20261121-190000
    slpkit list
"""

from __future__ import annotations

import argparse
import sys

from slpkit.notebook.claims import claims_table, missing_notebooks, run_folders
from slpkit.notebook.html import build_html
from slpkit.notebook.report import build_report, table_markdown
from slpkit.notebook.runner import NotebookFailures, discover_notebooks, run_notebooks, run_seeds


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="slpkit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="execute notebooks with papermill and write REPORT.md")
    r.add_argument("--mode", default="smoke", choices=["smoke", "full"])
    r.add_argument("--only", nargs="+", default=None, help="notebook prefixes or name parts, e.g. 02 soke")
    r.add_argument("--run-dir", default=None, help="output folder (default runs/<mode>-<timestamp>)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--seeds", type=int, nargs="+", default=None, help="run once per seed and write CLAIMS.md")
    r.add_argument("--device", default="auto", help="auto | cpu | cuda")
    r.add_argument("--jobs", type=int, default=1, help="notebooks executed at the same time")
    r.add_argument("--dry-run", action="store_true", help="full presets, 2 optimiser steps per model (with --mode full)")
    rep = sub.add_parser("report", help="rebuild REPORT.md and REPORT.html from the results.json files of a run folder")
    rep.add_argument("run_dir")
    cl = sub.add_parser("claims", help="one table of every paper ordering across runs / seeds (CLAIMS.md)")
    cl.add_argument("run_dirs", nargs="+")
    cl.add_argument("--out", default=None, help="write the table here (default: print it)")
    sub.add_parser("list", help="list the notebooks in teaching order")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "run":
            kw = dict(select=args.only, device=args.device, jobs=args.jobs, dry_run=args.dry_run)
            if args.seeds:
                root = run_seeds(args.seeds, args.mode, args.run_dir, **kw)
                print(f"seed runs and CLAIMS.md are in {root}")
            else:
                run_dir = run_notebooks(args.mode, args.run_dir, seed=args.seed, **kw)
                print(f"executed notebooks and REPORT.md are in {run_dir}")
        elif args.cmd == "report":
            print(build_report(args.run_dir))
            print(build_html(args.run_dir))
        elif args.cmd == "claims":
            runs = run_folders(args.run_dirs)
            expected = [p.stem for p in discover_notebooks()]
            missing = missing_notebooks(runs, expected)
            for run, names in missing.items():
                print(f"[slpkit] {run} has no results for {', '.join(names)}", file=sys.stderr)
            if all(not any(r.glob("*/results.json")) for r in runs):
                raise ValueError(f"no notebook results in {', '.join(map(str, runs))}: run `slpkit run` first")
            md = table_markdown(claims_table(runs))
            if args.out:
                with open(args.out, "w") as f:
                    f.write(md)
                print(f"claims table written to {args.out}")
            else:
                print(md)
        elif args.cmd == "list":
            for nb in discover_notebooks():
                print(nb.name)
    except NotebookFailures as err:
        print(f"slpkit: {err}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as err:
        print(f"slpkit: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
