"""Orderings judged against their noise: a paired bootstrap over test sentences.

A paper's claim "A beats B" is checked on our test sentences by resampling the *sentences* with
replacement (Koehn 2004, "Statistical significance tests for machine translation evaluation";
sacrebleu's ``--paired-bs``) and recomputing the difference of the two systems' scores on every
resample. Both systems are scored on the same resampled sentences (paired), so sentence
difficulty cancels. With ``d`` the improvement of A over B (positive = A better, whatever the
metric's direction) and ``[lo, hi]`` its central 95% interval over the resamples:

==============  =========================================
verdict         meaning
==============  =========================================
``holds``       ``lo > 0``: A is better beyond the noise
``reversed``    ``hi < 0``: B is better beyond the noise
``within noise`` the interval contains 0
==============  =========================================

A score is either per-sentence values (DTW-JPE per sequence: the statistic is their mean) or a
callable ``f(indices) -> float`` for corpus statistics such as BLEU
(:func:`slpkit.metrics.text.bleu_statistic` computes BLEU of any resample from per-sentence n-gram
counts, so 1,000 resamples cost milliseconds).

    >>> import numpy as np
    >>> a, b = np.full(50, 1.0), np.full(50, 2.0)          # A has lower error on every sentence
    >>> paired_bootstrap(a, b, better="lower")["verdict"]
    'holds'
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence, Union

import numpy as np

__all__ = ["VERDICTS", "Ordering", "paired_bootstrap", "bootstrap_ci", "ordering", "ordering_rows",
           "ORDERING_COLUMNS", "orderings_table", "weighted_mean"]

VERDICTS = ("holds", "reversed", "within noise")
Score = Union[Sequence[float], np.ndarray, Callable[[np.ndarray], float]]


def _statistic(score: Score, n: int | None, name: str) -> tuple[Callable[[np.ndarray], float], int]:
    if callable(score):
        if n is None:
            raise ValueError(f"{name} is a callable statistic: pass n= (the number of test sentences)")
        return score, int(n)
    arr = np.asarray(score, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be one score per test sentence (1-D, non-empty), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN/inf scores: score every sentence before comparing")
    return (lambda idx: float(arr[idx].mean())), arr.size


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> Callable[[np.ndarray], float]:
    """Statistic ``f(indices)`` = weighted mean of ``values[indices]`` (e.g. frame-weighted MPJPE per clip)."""
    v, w = np.asarray(values, np.float64), np.asarray(weights, np.float64)
    if v.shape != w.shape or v.ndim != 1 or not v.size:
        raise ValueError(f"values {v.shape} and weights {w.shape} must be equal-length 1-D arrays (one per sentence)")
    if not (np.isfinite(v).all() and np.isfinite(w).all()) or (w < 0).any() or not w.sum() > 0:
        raise ValueError(f"weights {w[:5]}... must be finite and >= 0 with a positive sum, values finite "
                         "(e.g. the aligned frame counts of dtw_mje_slrtp(per_sequence=True))")
    return lambda idx: float(np.average(v[idx], weights=w[idx]))


def paired_bootstrap(a: Score, b: Score, better: str = "lower", n_resamples: int = 1000, seed: int = 0,
                     ci: float = 0.95, n: int | None = None) -> dict[str, Any]:
    """Paired bootstrap of ``score(A) - score(B)`` over test sentences.

    Returns ``{'a', 'b'`` (scores on all sentences), ``'diff'`` (improvement of A over B: ``b - a`` if
    lower is better, ``a - b`` if higher), ``'lo', 'hi'`` (``ci`` interval of that improvement),
    ``'verdict'``, ``'n'``, ``'resamples'}``.
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better={better!r}: use 'lower' (errors, DTW) or 'higher' (BLEU, accuracy)")
    if int(n_resamples) < 100:
        raise ValueError(f"n_resamples={n_resamples}: use at least 100 (1,000 is the usual choice)")
    if not 0.5 < float(ci) < 1.0:
        raise ValueError(f"ci={ci}: use a coverage in (0.5, 1), e.g. 0.95")
    fa, na = _statistic(a, n, "a")
    fb, nb = _statistic(b, n, "b")
    if na != nb:
        raise ValueError(f"a has {na} sentences but b has {nb}: score both systems on the same test sentences")
    sign = -1.0 if better == "lower" else 1.0
    rng = np.random.default_rng(seed)
    idx_all = np.arange(na)
    sa, sb = fa(idx_all), fb(idx_all)
    diffs = np.empty(int(n_resamples))
    for r in range(int(n_resamples)):
        idx = rng.integers(0, na, na)
        diffs[r] = sign * (fa(idx) - fb(idx))
    lo, hi = np.quantile(diffs, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    verdict = "holds" if lo > 0 else "reversed" if hi < 0 else "within noise"
    return {"a": float(sa), "b": float(sb), "diff": float(sign * (sa - sb)), "lo": float(lo), "hi": float(hi),
            "verdict": verdict, "n": int(na), "resamples": int(n_resamples)}


def bootstrap_ci(score: Score, n_resamples: int = 1000, seed: int = 0, ci: float = 0.95,
                 n: int | None = None) -> tuple[float, float, float]:
    """``(value on all sentences, lo, hi)``: percentile bootstrap interval of one system's score over its test
    sentences (the leaderboard's error bars; comparisons between systems use :func:`paired_bootstrap`)."""
    f, size = _statistic(score, n, "score")
    if int(n_resamples) < 100 or not 0.5 < float(ci) < 1.0:
        raise ValueError(f"n_resamples={n_resamples}, ci={ci}: use >= 100 resamples and a coverage in (0.5, 1)")
    rng = np.random.default_rng(seed)
    vals = np.array([f(rng.integers(0, size, size)) for _ in range(int(n_resamples))])
    lo, hi = np.quantile(vals, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    return float(f(np.arange(size))), float(lo), float(hi)


@dataclasses.dataclass
class Ordering:
    """One paper ordering checked on our data: "``a`` beats ``b`` on ``metric``" (``source`` cites the paper)."""

    claim: str
    source: str
    metric: str
    better: str
    a: str
    b: str
    a_value: float
    b_value: float
    diff: float
    lo: float
    hi: float
    verdict: str
    n: int
    resamples: int

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        return (f"{self.claim} [{self.source}]: {self.verdict} (improvement {self.diff:+.4g}, "
                f"95% CI [{self.lo:+.4g}, {self.hi:+.4g}], n={self.n})")


def ordering(claim: str, a: Score, b: Score, *, source: str, metric: str, better: str, a_name: str = "A",
             b_name: str = "B", n: int | None = None, n_resamples: int = 1000, seed: int = 0) -> Ordering:
    """:func:`paired_bootstrap` wrapped as an :class:`Ordering` (what notebooks store in ``results.json``)."""
    r = paired_bootstrap(a, b, better=better, n_resamples=n_resamples, seed=seed, n=n)
    return Ordering(claim, source, metric, better, a_name, b_name, r["a"], r["b"], r["diff"], r["lo"], r["hi"],
                    r["verdict"], r["n"], r["resamples"])


ORDERING_COLUMNS = ["claim", "source", "metric", "A", "B", "A score", "B score", "improvement", "95% CI", "verdict"]


def ordering_rows(orderings: Sequence[Ordering | dict]) -> list[list[Any]]:
    rows = []
    for o in orderings:
        o = o if isinstance(o, dict) else o.as_dict()
        rows.append([o["claim"], o["source"], o["metric"], o["a"], o["b"], round(o["a_value"], 4),
                     round(o["b_value"], 4), round(o["diff"], 4), f"[{o['lo']:+.4g}, {o['hi']:+.4g}]", o["verdict"]])
    return rows


def orderings_table(orderings: Sequence[Ordering | dict], title: str = "Paper orderings on our data", note: str = ""):
    """A report table (``slpkit.notebook.table``) of orderings with their intervals and verdicts."""
    from slpkit.notebook.report import table

    if isinstance(orderings, (str, dict, Ordering)) or not hasattr(orderings, "__iter__"):
        raise ValueError(f"orderings={orderings!r}: pass a list of Ordering (from ordering(...)) or their as_dict()")
    orderings = list(orderings)
    need = ("claim", "source", "metric", "a", "b", "a_value", "b_value", "diff", "lo", "hi", "verdict", "n", "resamples")
    for i, o in enumerate(orderings):
        if not isinstance(o, (Ordering, dict)) or (isinstance(o, dict) and any(k not in o for k in need)):
            raise ValueError(f"orderings[{i}]={o!r}: pass Ordering objects (from ordering(...)) or dicts with keys {need}")
    n = {o.n if isinstance(o, Ordering) else o["n"] for o in orderings}
    base = (f"Paired bootstrap over {'/'.join(str(x) for x in sorted(n))} test sentences, "
            f"{orderings[0].resamples if isinstance(orderings[0], Ordering) else orderings[0]['resamples']} resamples; "
            "improvement > 0 means A is better; verdict 'holds' / 'reversed' when the 95% interval excludes 0.") \
        if orderings else "No orderings."
    return table(title, ORDERING_COLUMNS, ordering_rows(orderings), note=(note + " " if note else "") + base,
                 source="slpkit check of the papers' claims")
