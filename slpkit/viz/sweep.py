"""Plots of tokenizer sweeps (notebook 02, SOKE Table S6): a static figure and its ipywidgets explorer."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np


def plot_codebook_sweep(results: Mapping[str, Mapping[str, Any]], key: str | None = None,
                        streams: Sequence[str] = ("body", "rhand")):
    """Two panels for a codebook-size sweep, highlighting configuration ``key``.

    ``results``: ``{config label (e.g. '96/192'): evaluate_tokenizer(...) result}``; each needs
    ``['recon'][part]['pa_mpjpe_mm']`` for ``part`` in body / hand and ``['codebook'][stream]``
    with ``'frequency'`` (K,) and ``'utilisation'`` (%) for each of ``streams``.
    ``key`` defaults to the middle configuration.

    Left: body and hand PA-MPJPE (mm) of every configuration (2 lines) plus a star marker line for
    ``key``. Right: the sorted code frequencies of ``key`` per stream (one line per stream).
    Returns the matplotlib ``Figure`` (the caller shows it, e.g. ``plt.show()``); usable as an
    ipywidgets callback through ``functools.partial(plot_codebook_sweep, results)``.
    """
    import matplotlib.pyplot as plt  # plotting import kept local: importing slpkit.viz stays cheap

    keys = list(results)
    if not keys:
        raise ValueError("plot_codebook_sweep needs at least one configuration")
    key = keys[len(keys) // 2] if key is None else key
    if key not in results:
        raise ValueError(f"key={key!r} is not one of the sweep's configurations {keys}")
    ev = results[key]
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.2))
    b = [results[k]["recon"]["body"]["pa_mpjpe_mm"] for k in keys]
    h = [results[k]["recon"]["hand"]["pa_mpjpe_mm"] for k in keys]
    ax[0].plot(keys, b, "o-", label="body")
    ax[0].plot(keys, h, "s-", label="hand")
    i = keys.index(key)
    ax[0].plot([keys[i]] * 2, [b[i], h[i]], "k*", ms=14, label="selected")
    ax[0].set_title("PA-MPJPE (mm) vs codebook sizes")
    ax[0].legend()
    for stream in streams:
        f = np.sort(ev["codebook"][stream]["frequency"])[::-1]
        ax[1].plot(np.arange(len(f)), f, label=f"{stream}: {ev['codebook'][stream]['utilisation']:.0f}% used")
    ax[1].set_title(f"code frequencies (sorted), {key}")
    ax[1].set_xlabel("code rank")
    ax[1].legend()
    fig.tight_layout()
    return fig


def codebook_sweep_widget(results: Mapping[str, Mapping[str, Any]], key: str | None = None,
                          description: str = "N_B/N_H"):
    """An ``ipywidgets.interactive`` that redraws :func:`plot_codebook_sweep` for the configuration
    picked in a Dropdown (its only control, ``widget.children[0]``; options = ``results``' keys, value
    ``key``, default the middle one). The widget draws once on creation; ``widget.result`` is the
    last figure. In a headless run (papermill) widgets do not render: draw the static plot as well.
    """
    import ipywidgets as widgets  # notebook-only dependency: imported when a widget is built

    keys = list(results)
    dropdown = widgets.Dropdown(options=keys, value=keys[len(keys) // 2] if key is None else key, description=description)

    # a plain one-argument function: interactive() reads the callback's __name__ and signature, so a
    # functools.partial fails (no __name__) and an update_wrapper'd one exposes every parameter
    def redraw(key: str):
        return plot_codebook_sweep(results, key)

    return widgets.interactive(redraw, key=dropdown)
