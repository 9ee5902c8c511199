"""Command line: ``slpkit run`` executes the notebook suite, ``slpkit report`` rebuilds a report.

Examples::

    slpkit run --mode smoke                 # every notebook, CPU-sized
    slpkit run --mode full --only 02 04     # two notebooks, paper-sized (GPU)
    slpkit report runs/smoke-20261121-190000
    slpkit list
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="slpkit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="execute notebooks with papermill and write REPORT.md")
    r.add_argument("--mode", default="smoke", choices=["smoke", "full"])
    r.add_argument("--only", nargs="*", default=None, help="notebook prefixes or name parts, e.g. 02 soke")
    r.add_argument("--run-dir", default=None, help="output folder (default runs/<mode>-<timestamp>)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--device", default="auto", help="auto | cpu | cuda")
    rep = sub.add_parser("report", help="rebuild REPORT.md from the results.json files of a run folder")
    rep.add_argument("run_dir")
    sub.add_parser("list", help="list the notebooks in teaching order")
    args = p.parse_args(argv)

    from slpkit.notebook import build_report, discover_notebooks, run_notebooks

    if args.cmd == "run":
        run_dir = run_notebooks(args.mode, args.run_dir, args.only, seed=args.seed, device=args.device)
        print(f"executed notebooks and REPORT.md are in {run_dir}")
    elif args.cmd == "report":
        print(build_report(args.run_dir))
    elif args.cmd == "list":
        for nb in discover_notebooks():
            print(nb.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
