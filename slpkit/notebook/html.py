"""``REPORT.html``: one self-contained page per run, for people who would rather look than read.

For every notebook of a run folder: a link to the executed notebook, its result tables (ours beside the
paper's, with the synthetic-data note), and every figure it drew (PNG outputs of the executed notebook and
GIF animations it saved), embedded as ``data:`` URIs so the file can be mailed or opened offline. The claims
table (every paper ordering with its bootstrap verdict, :mod:`slpkit.notebook.claims`) opens the page.

    build_html("runs/smoke-20261201-120000")     # -> runs/smoke-20261201-120000/REPORT.html
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from slpkit.notebook.claims import claims_table
from slpkit.notebook.report import SYNTHETIC_NOTE, format_cell, read_results

__all__ = ["build_html", "table_html", "MAX_GIF_BYTES"]

#: animations larger than this are linked, not embedded (the page stays small enough to open)
MAX_GIF_BYTES = 3 * 2**20

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{font-size:1.7rem} h2{margin-top:2.5rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0 .2rem;font-size:.82rem}
th,td{border:1px solid #ccc;padding:.22rem .45rem;text-align:right} th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left} tr.paper td{color:#666;background:#fafafa;font-style:italic}
.note{font-size:.78rem;color:#555;max-width:1100px} .v-holds{color:#176a2d;font-weight:600}
.v-reversed{color:#a3161a;font-weight:600} .v-noise{color:#8a6d00} figure{display:inline-block;margin:.4rem}
figure img{max-width:560px;border:1px solid #eee} nav a{margin-right:.8rem} .toc{line-height:1.8}
"""


def _cell(v: Any) -> str:
    s = html.escape(format_cell(v))
    for verdict, cls in (("holds", "v-holds"), ("reversed", "v-reversed"), ("within noise", "v-noise")):
        if s == verdict or s.startswith(f"mixed ({verdict}"):
            return f'<span class="{cls}">{s}</span>'
    return s


def table_html(t: dict[str, Any]) -> str:
    """One result table: our rows, then the paper's rows (greyed), then its note."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t["columns"])
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in [f"ours: {r[0]}"] + list(r[1:])) + "</tr>"
                   for r in t["rows"])
    body += "".join('<tr class="paper">' + "".join(f"<td>{_cell(c)}</td>" for c in [f"paper: {r[0]}"] + list(r[1:]))
                    + "</tr>" for r in t.get("paper_rows", []))
    src = f" <small>({html.escape(t['source'])})</small>" if t.get("source") else ""
    return (f"<h3>{html.escape(t['title'])}{src}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p class=\"note\">{html.escape(t.get('note', ''))}</p>")


def _figures(folder: Path) -> list[str]:
    """``<figure>`` tags of the PNG outputs of the executed notebook in ``folder`` and of its GIF files."""
    out = []
    for nb in sorted(folder.glob("*.ipynb")):
        try:
            cells = json.loads(nb.read_text())["cells"]
        except (json.JSONDecodeError, KeyError):
            continue
        for c in cells:
            for o in c.get("outputs", []) or []:
                png = (o.get("data") or {}).get("image/png")
                if png:
                    data = "".join(png) if isinstance(png, list) else png
                    out.append(f'<figure><img alt="figure from {html.escape(nb.name)}" '
                               f'src="data:image/png;base64,{data.strip()}"></figure>')
    for gif in sorted(folder.rglob("*.gif")):
        rel = gif.relative_to(folder.parent)
        if gif.stat().st_size <= MAX_GIF_BYTES:
            data = base64.b64encode(gif.read_bytes()).decode()
            out.append(f'<figure><img alt="{html.escape(gif.name)}" src="data:image/gif;base64,{data}">'
                       f"<figcaption>{html.escape(gif.name)}</figcaption></figure>")
        else:
            out.append(f'<p>Animation <a href="{html.escape(str(rel))}">{html.escape(gif.name)}</a> '
                       f"({gif.stat().st_size / 2**20:.1f} MB, not embedded)</p>")
    return out


def build_html(run_dir: str | Path, out_name: str = "REPORT.html") -> Path:
    """Write ``run_dir/REPORT.html`` (see the module docstring) and return its path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist: pass a folder written by `slpkit run`")
    found = sorted(run_dir.glob("*/results.json"))
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>slpkit results {html.escape(run_dir.name)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>slpkit results <small>{html.escape(run_dir.name)}</small></h1>",
             f"<p class='note'>{html.escape(SYNTHETIC_NOTE)}</p>"]
    toc = []
    for path in found:
        stem = path.parent.name
        nb_files = sorted(path.parent.glob("*.ipynb"))
        link = f' · <a href="{html.escape(str(nb_files[0].relative_to(run_dir)))}">executed notebook</a>' if nb_files else ""
        toc.append(f'<a href="#{html.escape(stem)}">{html.escape(stem)}</a>{link}')
    parts.append("<h2>Notebooks</h2><div class='toc'>" + ("<br>".join(toc) or "No results.json found.") + "</div>")
    if found:
        parts.append("<h2 id='claims'>Claims: every paper ordering, judged against its noise</h2>")
        parts.append(table_html(claims_table([run_dir])))
    for path in found:
        res = read_results(path)
        stem = path.parent.name
        parts.append(f"<h2 id='{html.escape(stem)}'>{html.escape(res.get('notebook', stem))} "
                     f"<small>(mode {html.escape(str(res.get('mode', '?')))}, seed {html.escape(str(res.get('seed', '?')))})"
                     "</small></h2>")
        parts += [table_html(t) for t in res.get("tables", [])]
        figs = _figures(path.parent)
        if figs:
            parts.append("<h3>Figures</h3>" + "".join(figs))
    parts.append("</body></html>")
    out = run_dir / out_name
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
