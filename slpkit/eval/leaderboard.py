"""One benchmark, four systems: every system's generated signing scored the same way on the same sentences.

No paper compares SOKE, M3T, DARSLP and SignSparK with the same metrics; they all run on SynthSign, so
slpkit can. Each system hands in an :class:`Entry`: its output for every test sentence as 178 keypoints
(SLRTP layout, 25 fps, the one representation every system can produce: V133 systems through forward
kinematics and the face model, DARSLP natively) and, for the SMPL-X systems, as V133 vectors. Then
:func:`score_entries` computes, each with a percentile-bootstrap 95% interval over the test sentences
(:func:`slpkit.metrics.bootstrap.bootstrap_ci`):

- SOKE's DTW-PA-JPE and DTW-JPE, body and hands (SMPL-X metric joints; V133 systems only);
- SLRTP's DTW-MJE (DARSLP's metric: 12.5 fps, exact DTW on flattened keypoints, frame-pooled);
- Progressive Transformers' DTW (L1 cost / reference length) on the flattened keypoints;
- back-translation BLEU-4 / ROUGE-L / chrF with one keypoint back-translator for every system;
- regression to the mean: generated / reference temporal variance of the face and of the hands;
- and, without intervals, latency per video at batch 1, videos per second at batch 32, parameters and
  training seconds (measured by the notebook that trains or loads each system).

:func:`leaderboard_table` turns the scores into a report table, :func:`plot_leaderboard` into bar charts
with the intervals.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from slpkit.body.keypoints import REGIONS, keypoints178
from slpkit.body.layouts import face108_from
from slpkit.eval.motion import pose_scores
from slpkit.metrics.bootstrap import Ordering, bootstrap_ci, ordering, weighted_mean
from slpkit.metrics.dtw import dtw_mje_slrtp, dtw_pt
from slpkit.metrics.text import chrf_statistic, rouge_l_sentences
from slpkit.notebook.report import table

__all__ = ["Entry", "keypoints_of", "reference_keypoints", "mje_sentences", "score_entries", "learning_orderings", "leaderboard_table",
           "plot_leaderboard", "METRICS"]

#: (key, column label, lower is better) of the scored metrics, in table order
METRICS = [
    ("dtw_pa_jpe_body", "DTW-PA-JPE body", True), ("dtw_pa_jpe_hand", "DTW-PA-JPE hand", True),
    ("dtw_jpe_body", "DTW-JPE body", True), ("dtw_jpe_hand", "DTW-JPE hand", True),
    ("dtw_mje", "DTW-MJE (SLRTP)", True), ("dtw_pt", "DTW (PT)", True),
    ("bleu4", "BLEU-4", False), ("rouge_l", "ROUGE-L", False), ("chrf", "chrF", False),
    ("face_var_ratio", "face var ratio", None), ("hand_var_ratio", "hand var ratio", None),
]
_HANDS = list(range(REGIONS["rhand"].start, REGIONS["lhand"].stop))  # both hands: 21 + 21 keypoints
_FACE = list(range(REGIONS["face"].start, REGIONS["face"].stop))


@dataclasses.dataclass
class Entry:
    """One system's generated signing for the test sentences (same order as the references)."""

    name: str
    system: str
    keypoints: list[np.ndarray]  # (T, 178, 3) per sentence, 25 fps
    v133: list[np.ndarray] | None = None  # (T, 133) per sentence (SMPL-X systems)
    latency_b1_s: float | None = None
    throughput_b32: float | None = None  # videos per second
    params: int | None = None
    train_seconds: float | None = None


def keypoints_of(v133: Sequence[np.ndarray], face108: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """``(T, 178, 3)`` keypoints of V133 sequences; without ``face108`` the face comes from the V133's 10
    expression coefficients and jaw only (what SOKE generates)."""
    faces = [face108_from(np.asarray(v, np.float32)) for v in v133] if face108 is None else list(face108)
    if len(faces) != len(v133):
        raise ValueError(f"{len(v133)} V133 sequences but {len(faces)} face108 sequences: pass one face per sequence")
    return [np.asarray(keypoints178(np.asarray(v, np.float32), np.asarray(f, np.float32)), np.float32)
            for v, f in zip(v133, faces)]


def reference_keypoints(sentences: Sequence[Any]) -> list[np.ndarray]:
    """Ground-truth ``(T, 178, 3)`` keypoints of the sentences (their V133 and 108-dim face)."""
    return keypoints_of([np.asarray(s.v133, np.float32) for s in sentences], [s.face108 for s in sentences])


def mje_sentences(entry: Entry, sentences: Sequence[Any], refs: Sequence[np.ndarray] | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """SLRTP DTW-MJE of ``entry`` per sentence: ``(mean error (N,), aligned point count (N,))``; predictions and
    references both at 12.5 fps (``[::2]``), as the challenge scores. The pooled DTW-MJE is their weighted mean."""
    refs = reference_keypoints(sentences) if refs is None else refs
    return dtw_mje_slrtp([np.asarray(k, np.float32)[::2] for k in entry.keypoints], refs, subsample_ref=2,
                         per_sequence=True)


def _var_ratio(preds: list[np.ndarray], refs: list[np.ndarray], joints) -> Any:
    gv = np.array([float(p[:, joints].var(0).mean()) if len(p) > 1 else 0.0 for p in preds])
    rv = np.array([float(r[:, joints].var(0).mean()) for r in refs])
    return lambda idx: float(gv[idx].mean() / max(rv[idx].mean(), 1e-12))


def score_entries(entries: Sequence[Entry], sentences: Sequence[Any], backtranslator=None, seed: int = 0,
                  n_resamples: int = 1000, statistics: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """``[{'name', 'system', <metric>: (value, lo, hi) ..., 'latency_b1_s', ...}]`` for ``entries`` on
    ``sentences`` (their ground truth is the reference). ``backtranslator``: one trained on
    ``'keypoints178'`` (``train_backtranslator(corpus, 'keypoints178', ...)``); ``None`` skips the text columns.
    ``statistics``: a dict that receives, per entry name, the resample statistics ``{'dtw_mje': f, 'bleu4': f}``
    (``f(indices) -> score``) for :func:`learning_orderings`, so the orderings reuse this scoring pass."""
    sentences = list(sentences)
    if not sentences:
        raise ValueError("no test sentences: pass the sentences the entries were generated for")
    ref_v = [np.asarray(s.v133, np.float32) for s in sentences]
    ref_kp = reference_keypoints(sentences)
    texts, langs = [s.text for s in sentences], [s.language for s in sentences]
    n = len(sentences)
    out = []
    for e in entries:
        if len(e.keypoints) != n or (e.v133 is not None and len(e.v133) != n):
            raise ValueError(f"entry {e.name!r} has {len(e.keypoints)} keypoint sequences for {n} test sentences: "
                             "generate one sequence per sentence, in the same order")
        row: dict[str, Any] = {"name": e.name, "system": e.system, "latency_b1_s": e.latency_b1_s,
                               "throughput_b32": e.throughput_b32, "params": e.params, "train_seconds": e.train_seconds}
        ci = lambda s, size=None: bootstrap_ci(s, n_resamples=n_resamples, seed=seed, n=size)
        if e.v133 is not None:
            ps = pose_scores(e.v133, ref_v)["per_sentence"]
            for k in ("dtw_pa_jpe_body", "dtw_pa_jpe_hand", "dtw_jpe_body", "dtw_jpe_hand"):
                row[k] = ci(ps[k])
        kp = [np.asarray(k, np.float32) for k in e.keypoints]
        stats = {"dtw_mje": weighted_mean(*mje_sentences(e, sentences, ref_kp))}
        row["dtw_mje"] = ci(stats["dtw_mje"], n)
        row["dtw_pt"] = ci(np.array([dtw_pt(k.reshape(len(k), -1), r.reshape(len(r), -1)) for k, r in zip(kp, ref_kp)]))
        if backtranslator is not None:
            sc = backtranslator.score([k.reshape(len(k), -1) for k in kp], texts, langs, return_hyps=True)
            stats["bleu4"] = sc["bleu4_statistic"]
            row["bleu4"] = ci(stats["bleu4"], n)
            row["chrf"] = ci(chrf_statistic(sc["hyps"], texts, langs), n)
            rouge = np.zeros(n)
            for lang in sorted(set(langs)):
                idx = [i for i, l in enumerate(langs) if l == lang]
                rouge[idx] = rouge_l_sentences([sc["hyps"][i] for i in idx], [texts[i] for i in idx], lang)
            row["rouge_l"] = ci(rouge)
        row["face_var_ratio"] = ci(_var_ratio(kp, ref_kp, _FACE), n)
        row["hand_var_ratio"] = ci(_var_ratio(kp, ref_kp, _HANDS), n)
        if statistics is not None:
            statistics[e.name] = stats
        out.append(row)
    return out


def learning_orderings(statistics: dict[str, dict[str, Any]], n: int, baseline: str, reference: str,
                       seed: int = 0) -> list[Ordering]:
    """The same two checks for every system (entries other than ``baseline`` and ``reference``, by name), each a
    paired bootstrap over the ``n`` test sentences (:func:`slpkit.metrics.bootstrap.ordering`): it beats the
    text-blind ``baseline`` on DTW-MJE (it learned something from the text) and, when the entries were
    back-translated, the ground truth ``reference`` back-translates better than it (BLEU-4 is not saturated, so the
    column can rank systems). ``statistics``: what :func:`score_entries` wrote into its ``statistics=`` dict."""
    for arg, name in (("baseline", baseline), ("reference", reference)):
        if name not in statistics:
            raise ValueError(f"{arg}={name!r} is not a scored entry: use one of {sorted(statistics)} (pass the dict "
                             "given to score_entries(..., statistics=...))")
    out = []
    for name, st in statistics.items():
        if name in (baseline, reference):
            continue
        out.append(ordering(f"{name} beats the {baseline} on DTW-MJE", st["dtw_mje"], statistics[baseline]["dtw_mje"],
                            n=n, source="slpkit learning check (leaderboard)", metric="DTW-MJE", better="lower",
                            a_name=name, b_name=baseline, seed=seed))
        if "bleu4" in st and "bleu4" in statistics[reference]:
            out.append(ordering(f"{reference} back-translates better than {name}", statistics[reference]["bleu4"],
                                st["bleu4"], n=n, source="slpkit learning check (leaderboard)", metric="BLEU-4",
                                better="higher", a_name=reference, b_name=name, seed=seed))
    return out


def _fmt(v: tuple[float, float, float] | None) -> str | None:
    if v is None:
        return None
    return f"{v[0]:.3g} [{v[1]:.3g}, {v[2]:.3g}]"


def leaderboard_table(scores: Sequence[dict[str, Any]], title: str = "Leaderboard: every system on the same test sentences",
                      note: str = "") -> dict[str, Any]:
    """Report table: one row per entry, ``value [95% CI]`` per metric, then latency, throughput, size, time."""
    cols = ["system", "paper"] + [label for _, label, _ in METRICS] + [
        "latency b1 (s)", "videos/s b32", "params (M)", "train s"]
    rows = []
    for s in scores:
        rows.append([s["name"], s["system"]] + [_fmt(s.get(k)) for k, _, _ in METRICS] + [
            None if s["latency_b1_s"] is None else round(s["latency_b1_s"], 4),
            None if s["throughput_b32"] is None else round(s["throughput_b32"], 2),
            None if s["params"] is None else round(s["params"] / 1e6, 3),
            None if s["train_seconds"] is None else round(s["train_seconds"], 1)])
    base = ("Each score with its percentile-bootstrap 95% interval over the test sentences. DTW in metres (SOKE: SMPL-X "
            "metric joints, accumulated; SLRTP DTW-MJE: keypoints at 12.5 fps, frame-pooled; PT: L1 / reference length). "
            "Back-translation with one keypoint back-translator for every system. Var ratio = generated / reference "
            "temporal variance (1 = as much motion as the data; < 1 = regression to the mean). '—' = not defined for "
            "that system (DARSLP generates keypoints, not SMPL-X).")
    return table(title, cols, rows, note=(note + " " if note else "") + base, source="slpkit leaderboard (no paper table)")


def plot_leaderboard(scores: Sequence[dict[str, Any]], metrics: Sequence[str] = ("dtw_mje", "dtw_jpe_hand", "bleu4",
                                                                                 "hand_var_ratio")):
    """Bar charts of ``metrics`` with their 95% intervals, one bar per entry."""
    import matplotlib.pyplot as plt  # plotting only: keep the scoring importable without a display stack

    labels = {k: (label, lower) for k, label, lower in METRICS}
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    names = [s["name"] for s in scores]
    for ax, m in zip(axes[0], metrics):
        vals = [s.get(m) for s in scores]
        x = np.arange(len(names))
        v = np.array([np.nan if t is None else t[0] for t in vals])
        err = np.array([[0, 0] if t is None else [t[0] - t[1], t[2] - t[0]] for t in vals]).T
        ax.bar(x, v, yerr=err, capsize=3, color=[f"C{i % 10}" for i in range(len(names))])
        ax.set_xticks(x, names, rotation=45, ha="right", fontsize=7)
        label, lower = labels[m]
        ax.set_title(label + ("  (lower is better)" if lower else "  (higher is better)" if lower is False else
                              "  (1 = like the data)"), fontsize=9)
        if lower is None:
            ax.axhline(1.0, color="k", lw=0.8, ls="--")
    fig.tight_layout()
    return fig
