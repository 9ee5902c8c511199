"""Rows, paper numbers, orderings and plots of notebook 06 (DARSLP), so the notebook holds no library code.

- DARSLP Tables 1-5: :data:`TABLE_COLUMNS`, :func:`result_row`, :func:`evaluate_rows`, the paper's rows
  :data:`PAPER_GT_DEV`, :data:`PAPER_TABLE1` ... :data:`PAPER_TABLE5`;
- the autoencoder: :data:`RECON_COLUMNS`, :func:`reconstruction_row`;
- Figure 3: :data:`PAPER_FIG3`, :func:`plot_latent_histograms`;
- orderings judged against noise (paired bootstrap over sentences, ``slpkit.metrics.bootstrap``):
  :func:`dtw_ordering` (DTW-MJE, the SLRTP frame-pooled statistic recomputed on every resample),
  :func:`bleu_ordering` (back-translation BLEU-4 of every resample), :func:`motion_ordering` (hand motion,
  the regression-to-the-mean claim of Sec. 5.2, per sentence: :func:`hand_motion`) and :func:`learning_checks`
  (each generator against the text-blind mean-pose baseline, :func:`mean_pose_scores`), with
  :data:`LEARNING_COLUMNS` / :func:`learning_row`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch

from slpkit.body.keypoints import REGIONS
from slpkit.eval.motion import mean_pose_baseline
from slpkit.generators.darslp.data import Example
from slpkit.generators.darslp.diagnostics import dtw_mje_sentences, motion_variance
from slpkit.metrics.bootstrap import Ordering, ordering, weighted_mean

__all__ = ["TABLE_COLUMNS", "result_row", "evaluate_rows", "RECON_COLUMNS", "reconstruction_row",
           "plot_latent_histograms", "PAPER_GT_DEV", "PAPER_TABLE1", "PAPER_TABLE2", "PAPER_TABLE3", "PAPER_TABLE4",
           "PAPER_TABLE5", "PAPER_FIG3", "dtw_ordering", "bleu_ordering", "mean_pose_scores", "learning_checks",
           "LEARNING_COLUMNS", "learning_row", "hand_motion", "motion_ordering"]

#: Columns of DARSLP Tables 1-4 (the paper's order); :func:`result_row` fills them.
TABLE_COLUMNS = ["Models", "DTW-MJE", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "chrF", "ROUGE"]

#: PHOENIX14T DEV ground truth (Tables 1-2) and the paper's rows of Tables 1-4 (DEV) and 5 (test).
PAPER_GT_DEV = ["GT", 0.000, 30.92, 21.34, 16.01, 12.74, 34.71, 30.19]
PAPER_TABLE1 = [PAPER_GT_DEV,
                ["128 (Body+Hands) + 32 (Face)", 0.042, 22.45, 13.78, 9.58, 7.21, 28.18, 20.70],
                ["64 (Body+Hands) + 32 (Face)", 0.044, 20.92, 12.57, 8.79, 6.72, 27.78, 19.91],
                ["64 (Body+Hands) + 16 (Face)", 0.041, 22.59, 13.87, 9.83, 7.59, 28.25, 21.19]]
PAPER_TABLE2 = [PAPER_GT_DEV,
                ["L1 w/o KL", 0.041, 22.59, 13.87, 9.83, 7.59, 28.25, 21.19],
                ["L1 + w/ KL", 0.042, 20.51, 12.46, 8.88, 6.93, 27.00, 18.95],
                ["Pretrained(w/L1)+Tuning w/ KL", 0.039, 25.91, 16.34, 11.43, 8.70, 29.92, 23.67]]
PAPER_TABLE3 = [["Uniform (1–1–1–1)", 0.039, 22.14, 13.14, 8.95, 6.72, 27.89, 19.91],
                ["Moderate Hand Emphasis (1–7–5–2)", 0.041, 22.59, 13.87, 9.83, 7.59, 28.25, 21.19],
                ["Heavy Hand Emphasis (1–14–10–2)", 0.043, 24.78, 15.84, 11.26, 8.66, 29.36, 22.98]]
PAPER_TABLE4 = [["Uniform (1–1–1–1)", 0.040, 26.69, 17.49, 12.79, 9.99, 30.63, 24.92],
                ["Moderate Hand Emphasis (1–3–5–1)", 0.040, 27.35, 17.51, 12.52, 9.66, 30.96, 25.28],
                ["Heavy Hand Emphasis (1–10–6–1)", 0.039, 27.11, 18.00, 13.09, 10.27, 31.38, 25.70]]
#: Table 5 orders ROUGE before chrF; the values are copied into :data:`TABLE_COLUMNS` order.
PAPER_TABLE5 = [["GT", 0.000, 34.43, 22.08, 16.13, 12.81, 34.62, 35.22],
                ["DARSLP", 0.043, 28.91, 16.45, 11.52, 8.86, 28.84, 28.50],
                ["DARSLP-KL", 0.039, 32.33, 19.84, 14.07, 10.90, 32.00, 31.80]]
#: Average channel entropy per region (body, lhand, rhand, face) of Figures 3 (PHOENIX14T) and 4 (CSL-Daily).
PAPER_FIG3 = [["PHOENIX14T (Fig. 3)", 1.1075, 2.2241, 2.0101, 0.1377], ["CSL-Daily (Fig. 4)", 1.65, 3.19, 2.98, 2.21]]


def result_row(label: str, scores: Mapping[str, Any], digits: int = 4) -> list:
    """``[label, DTW-MJE, BLEU-1..4, chrF, ROUGE-L]`` from :meth:`Darslp.evaluate` / back-translation scores."""
    keys = ["dtw_mje", "bleu1", "bleu2", "bleu3", "bleu4", "chrf", "rouge_l"]
    return [label] + [None if scores.get(k) is None else round(float(scores[k]), digits if k == "dtw_mje" else 2) for k in keys]


def evaluate_rows(models: Mapping[str, Any], examples: Sequence[Example], backtranslator: Any = None,
                  scores: dict | None = None, **evaluate_kwargs: Any) -> list[list]:
    """:func:`result_row` of each ``{label: model}`` evaluated on ``examples`` (:meth:`Darslp.evaluate`:
    DTW-MJE and, with a back-translator, BLEU-1..4 / chrF / ROUGE-L), in the mapping's order
    (columns :data:`TABLE_COLUMNS`). Pass a dict as ``scores`` to keep each model's full evaluation
    (per-sentence values for the orderings, ``return_poses=True`` for the poses) under its label."""
    rows = []
    for label, m in models.items():
        res = m.evaluate(examples, backtranslator=backtranslator, **evaluate_kwargs)
        if scores is not None:
            scores[label] = res
        rows.append(result_row(label, res))
    return rows


#: Columns of :func:`reconstruction_row` (notebook 06's autoencoder table).
RECON_COLUMNS = ["latent", "body", "lhand", "rhand", "face", "mean-pose baseline (all)", "AE (all)"]


@torch.no_grad()
def reconstruction_row(label: str, model: Any, examples: Sequence[Example], digits: int = 4) -> list:
    """Autoencoder reconstruction on ``examples`` as a table row (:data:`RECON_COLUMNS`).

    All frames of the examples are stacked to ``(N, 178, 3)`` and passed through ``model.ae``
    (``decode(encode(x))``). Returns ``[label, body, lhand, rhand, face, mean-pose baseline (all),
    AE (all)]``: the mean per-joint Euclidean error (keypoint units) per region
    (``slpkit.body.keypoints.REGIONS``), then over all 178 keypoints for the AE's mean pose
    (the baseline) and for the reconstruction, each rounded to ``digits``.
    """
    model._need("ae")
    frames = torch.cat([torch.as_tensor(e.keypoints) for e in examples]).to(model.ae.mean_pose.device)
    rec = model.ae.reconstruct(frames)
    mean = model.ae.mean_pose.expand_as(frames)

    def err(a: torch.Tensor, sl: slice) -> float:  # mean per-joint error over frames and joints of sl
        return float((a[:, sl] - frames[:, sl]).norm(dim=-1).mean())

    everything = slice(0, 178)
    return [label] + [round(err(rec, REGIONS[r]), digits) for r in ("body", "lhand", "rhand", "face")] + \
           [round(err(mean, everything), digits), round(err(rec, everything), digits)]


def plot_latent_histograms(stats: Mapping[str, dict], title: str = ""):
    """DARSLP Figure 3 layout: one row per region, its top-k channels' histograms annotated with E, IQR, SD."""
    import matplotlib.pyplot as plt  # optional heavy import: only plotting needs it

    regions = [r for r in ("rhand", "lhand", "face", "body") if r in stats]
    k = max(len(stats[r]["channels"]) for r in regions)
    fig, axes = plt.subplots(len(regions), k, figsize=(2.0 * k, 1.9 * len(regions)), squeeze=False)
    for i, r in enumerate(regions):
        edges = stats[r]["edges"]
        for j in range(k):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(stats[r]["channels"]):
                ax.axis("off")
                continue
            ch = stats[r]["channels"][j]
            ax.bar(edges[:-1], ch["counts"], width=np.diff(edges), align="edge", color=f"C{i}")
            ax.set_title(f"c{ch['channel']} E={ch['entropy']:.2f}\nIQR={ch['iqr']:.2f} SD={ch['sd']:.2f}", fontsize=7)
        axes[i][0].set_ylabel(f"{r}\n(avg E {stats[r]['mean_entropy']:.2f})", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------- orderings
def _dtw_stat(scores: Mapping[str, Any]):
    return weighted_mean(scores["dtw_mje_sentences"], scores["dtw_mje_weights"])


def dtw_ordering(claim: str, a: Mapping[str, Any], b: Mapping[str, Any], *, source: str, a_name: str, b_name: str,
                 seed: int = 0) -> Ordering:
    """"A has lower DTW-MJE than B": paired bootstrap over sentences of the SLRTP frame-pooled DTW-MJE.

    ``a`` / ``b``: :meth:`Darslp.evaluate` results (or :func:`mean_pose_scores`) on the same sentences.
    """
    n = len(a["dtw_mje_sentences"])
    return ordering(claim, _dtw_stat(a), _dtw_stat(b), source=source, metric="DTW-MJE (SLRTP)", better="lower",
                    a_name=a_name, b_name=b_name, n=n, seed=seed)


def bleu_ordering(claim: str, a: Mapping[str, Any], b: Mapping[str, Any], *, source: str, a_name: str, b_name: str,
                  seed: int = 0) -> Ordering:
    """"A has higher back-translation BLEU-4 than B": paired bootstrap of corpus BLEU-4 (``bleu4_statistic``)."""
    return ordering(claim, a["bleu4_statistic"], b["bleu4_statistic"], source=source, metric="back-translation BLEU-4",
                    better="higher", a_name=a_name, b_name=b_name, n=int(a["n"]), seed=seed)


def mean_pose_scores(train: Sequence[Example], examples: Sequence[Example]) -> dict[str, Any]:
    """The text-blind baseline scored like :meth:`Darslp.evaluate`: the mean training pose repeated for the mean
    training length (:func:`~slpkit.eval.motion.mean_pose_baseline`), for every sentence."""
    poses = mean_pose_baseline([np.asarray(e.keypoints) for e in train], len(examples))
    means, weights = dtw_mje_sentences(poses, [np.asarray(e.keypoints) for e in examples])
    return {"dtw_mje": float(np.average(means, weights=weights)), "dtw_mje_sentences": means,
            "dtw_mje_weights": weights, "n": len(examples), "lengths": [len(p) for p in poses]}


def learning_checks(scores: Mapping[str, Mapping[str, Any]], baseline: Mapping[str, Any], *, split: str = "DEV",
                    seed: int = 0) -> list[Ordering]:
    """One :func:`dtw_ordering` per generator: "``label`` beats the mean-pose baseline on DTW-MJE"."""
    return [dtw_ordering(f"{label} beats the mean-pose baseline ({split})", s, baseline, source="learning check",
                         a_name=label, b_name="mean pose", seed=seed) for label, s in scores.items()]


#: Columns of :func:`learning_row`.
LEARNING_COLUMNS = ["model", "DTW-MJE", "mean-pose DTW-MJE", "improvement", "95% CI", "verdict",
                    "length corr.", "length error (frames)"]


def learning_row(o: Ordering, scores: Mapping[str, Any], label: str | None = None) -> list:
    """A learning check as a row (:data:`LEARNING_COLUMNS`): the DTW-MJE ordering against the mean pose plus the
    length statistics of ``scores`` (the generator's :meth:`Darslp.evaluate` result)."""
    return [o.a if label is None else label, round(o.a_value, 4), round(o.b_value, 4), round(o.diff, 4), f"[{o.lo:+.4f}, {o.hi:+.4f}]", o.verdict,
            round(float(scores["len_corr"]), 3), round(float(scores["len_err_frames"]), 2)]


def hand_motion(poses: Sequence[np.ndarray], refs: Sequence[np.ndarray]) -> np.ndarray:
    """Per sentence: temporal variance of the generated hand keypoints (both hands) divided by the mean variance
    of the reference hands over the set, ``(N,)``; 1 = as much hand motion as the data on average (Sec. 5.2)."""
    hands = np.r_[np.arange(178)[REGIONS["rhand"]], np.arange(178)[REGIONS["lhand"]]]
    ref = motion_variance(refs, hands)
    return np.array([float(np.asarray(p)[:, hands].var(axis=0).mean()) if len(p) > 1 else 0.0 for p in poses]) / ref


def motion_ordering(claim: str, a: Mapping[str, Any], b: Mapping[str, Any], refs: Sequence[np.ndarray], *,
                    source: str, a_name: str, b_name: str, seed: int = 0) -> Ordering:
    """"A's generated hands move more than B's" (less regression to the mean): paired bootstrap of the mean
    :func:`hand_motion` over sentences. ``a`` / ``b``: :meth:`Darslp.evaluate` results with ``return_poses=True``."""
    return ordering(claim, hand_motion(a["poses"], refs), hand_motion(b["poses"], refs), source=source,
                    metric="hand motion variance / GT", better="higher", a_name=a_name, b_name=b_name, seed=seed)
