"""Rows, paper numbers, measurements and plots of notebooks 07 (FAST) and 08 (CFM), so the notebooks hold no
library code.

- segmentation: :data:`SEG_COLUMNS`, :func:`segmentation_row`, :func:`tagger_throughput` (frames / s on one
  thread), :func:`plot_keyframe_timeline` (SignSparK Fig. 2b on a test sentence);
- SignSparK Table 1 / Table 2: :data:`TABLE1_COLUMNS`, :data:`PAPER_TABLE1`, :func:`table1_row`,
  :data:`TABLE2_COLUMNS`, :data:`PAPER_TABLE2`, :func:`table2_row`;
- regression to the mean: :func:`variance_scores` (per-sentence generated / reference motion variance of the
  metric joints), :data:`RTM_COLUMNS`, :func:`rtm_row`;
- sweeps: :func:`plot_sweeps` (guidance scale, solver steps).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Mapping, Sequence

import numpy as np
import torch

__all__ = ["SEG_COLUMNS", "segmentation_row", "tagger_throughput", "decode_throughput", "plot_keyframe_timeline",
           "TABLE1_COLUMNS", "PAPER_TABLE1", "table1_row", "TABLE2_COLUMNS", "PAPER_TABLE2", "table2_row",
           "variance_scores", "keypoints_of", "soke_poses", "RTM_COLUMNS", "rtm_row", "plot_sweeps", "one_thread", "n_params"]

SEG_COLUMNS = ["Segmenter", "frame F1 O", "frame F1 I", "frame F1 B", "frame F1 macro", "segment F1 @ IoU 0.5",
               "onset error (frames)", "offset error (frames)", "boundary error (frames)", "params",
               "frames / s (1 thread, batch 64)"]


def n_params(module: torch.nn.Module | None) -> int | None:
    return None if module is None else int(sum(p.numel() for p in module.parameters()))


def segmentation_row(name: str, scores: Mapping[str, Any], params: int | None = None, fps: float | None = None) -> list:
    """One row of :data:`SEG_COLUMNS` from :func:`slpkit.metrics.segmentation.segmentation_scores`."""
    r = lambda k: round(float(scores[k]), 4)
    return [name, r("frame_f1_O"), r("frame_f1_I"), r("frame_f1_B"), r("frame_f1_macro"), r("segment_f1"),
            r("onset_error"), r("offset_error"), r("boundary_error"), params,
            None if fps is None else int(round(fps))]


@contextlib.contextmanager
def one_thread():
    """Run a block with one torch thread (restored afterwards)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


@torch.no_grad()
def tagger_throughput(module: Any, batch_size: int = 64, num_frames: int = 128, repeats: int = 5,
                      warmup: int = 2, seed: int = 0) -> float:
    """Network frames per second of a :class:`~slpkit.generators.signspark.fast.TaggerModule` on one CPU thread:
    ``batch_size`` sequences of ``num_frames`` raw ``(T, 296)`` frames, feature extraction + network + softmax
    (decoding excluded: see :func:`decode_throughput`); best of ``repeats`` timings."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, num_frames, 296, generator=g)
    mask = torch.ones(batch_size, num_frames, dtype=torch.bool)
    was = module.training
    module.eval()
    best = float("inf")
    with one_thread():
        for _ in range(warmup):
            torch.log_softmax(module(x, mask), -1)
        for _ in range(repeats):
            t0 = time.perf_counter()
            torch.log_softmax(module(x, mask), -1)
            best = min(best, time.perf_counter() - t0)
    module.train(was)
    return batch_size * num_frames / best


def decode_throughput(num_frames: int = 128, repeats: int = 50, min_len: int = 2, seed: int = 0) -> float:
    """Frames per second of the constrained Viterbi BIO decoding (numpy, one sequence at a time)."""
    from slpkit.generators.signspark.bio import decode_bio

    lp = np.log(np.random.default_rng(seed).dirichlet([1, 1, 1], size=num_frames))
    decode_bio(lp, min_len)
    t0 = time.perf_counter()
    for _ in range(repeats):
        decode_bio(lp, min_len)
    return repeats * num_frames / (time.perf_counter() - t0)


def plot_keyframe_timeline(sentence: Any, frames: np.ndarray, predicted: Sequence[Sequence[int]],
                           heuristic: Sequence[Sequence[int]] | None = None, title: str = ""):
    """SignSparK Fig. 2b on one sentence: hand speed over time, reference / FAST (/ heuristic) segments as bars,
    and the onset / middle / offset keyframes of each segmentation as ticks."""
    import matplotlib.pyplot as plt

    from slpkit.generators.signspark.baselines import hand_speed
    from slpkit.generators.signspark.bio import span_keyframes

    T = len(frames)
    ref = [(a, b) for a, b, _ in sentence.spans]
    rows = [("reference", ref, "tab:green"), ("FAST", list(predicted), "tab:blue")]
    if heuristic is not None:
        rows.append(("velocity heuristic", list(heuristic), "tab:orange"))
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(10, 3.6), sharex=True, gridspec_kw={"height_ratios": [1.2, 1]})
    ax0.plot(hand_speed(frames), color="k", lw=1)
    ax0.set_ylabel("hand pose speed")
    for a, b, g in sentence.spans:
        ax0.axvspan(a, b - 1, color="tab:green", alpha=0.12)
        ax0.text((a + b) / 2, ax0.get_ylim()[1] * 0.9, g, ha="center", fontsize=7)
    for y, (name, spans, col) in enumerate(rows):
        for a, b in spans:
            ax1.barh(-y, b - a, left=a, height=0.5, color=col, alpha=0.5)
        kf = span_keyframes(spans, T) if spans else []
        ax1.plot(kf, [-y] * len(kf), "|", color=col, ms=14, mew=2)
    ax1.set_yticks([-y for y in range(len(rows))])
    ax1.set_yticklabels([r[0] for r in rows])
    ax1.set_xlabel("frame (25 fps); ticks = keyframes (onset, middle, offset)")
    fig.suptitle(title or f"[{sentence.language}] {sentence.text}", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ Table 1 / 2
TABLE1_COLUMNS = ["Method", "Task", "DTW-PA-JPE Body", "DTW-PA-JPE Hand", "DTW-JPE Body", "DTW-JPE Hand"]
#: SignSparK Table 1 (How2Sign / CSL-Daily / Phoenix-2014T), rows named "method, dataset"
PAPER_TABLE1 = [
    ["SOKE (no dict.), How2Sign", "GF-T2P", 7.91, 3.10, None, None],
    ["SignSparK (no KF), How2Sign", "GF-T2P", 7.26, 2.72, 6.30, 11.43],
    ["SOKE (no dict.), CSL-Daily", "GF-T2P", 7.58, 2.17, None, None],
    ["SignSparK (no KF), CSL-Daily", "GF-T2P", 7.26, 2.00, 6.27, 10.63],
    ["SOKE (no dict.), Phoenix-2014T", "GF-T2P", 6.16, 1.85, None, None],
    ["SignSparK (no KF), Phoenix-2014T", "GF-T2P", 5.24, 1.52, 4.40, 7.10],
    ["SOKE, How2Sign", "SR-T2P", 6.82, 2.35, 7.75, 10.08],
    ["SOKE, CSL-Daily", "SR-T2P", 6.24, 1.71, 7.38, 9.68],
    ["SignSparK, CSL-Daily", "SR-T2P", 4.87, 1.37, 4.89, 6.56],
    ["SOKE, Phoenix-2014T", "SR-T2P", 4.77, 1.38, 6.04, 7.72],
    ["SignSparK, Phoenix-2014T", "SR-T2P", 3.68, 1.18, 3.51, 4.82],
]


def table1_row(name: str, task: str, scores: Mapping[str, Any]) -> list:
    """One row of :data:`TABLE1_COLUMNS` from :func:`slpkit.eval.motion.pose_scores`."""
    r = lambda k: round(float(scores[k]), 4)
    return [name, task, r("dtw_pa_jpe_body"), r("dtw_pa_jpe_hand"), r("dtw_jpe_body"), r("dtw_jpe_hand")]


TABLE2_COLUMNS = ["Method", "DTW-PA-JPE Body", "DTW-PA-JPE Hand", "DTW-JPE Body", "DTW-JPE Hand", "B-T BLEU-4",
                  "Drop vs GT (%)"]
#: SignSparK Table 2 (KF2P), rows named "method, dataset"; Drop = BLEU-4 drop relative to GT
PAPER_TABLE2 = [
    ["GT, How2Sign", 0.0, 0.0, 0.0, 0.0, 3.37, None],
    ["SLERP Baseline, How2Sign", 4.18, 0.98, 4.36, 3.76, 2.78, 18],
    ["SignSparK, How2Sign", 2.11, 0.86, 1.68, 2.80, 2.99, 11],
    ["GT, CSL-Daily", 0.0, 0.0, 0.0, 0.0, 6.83, None],
    ["SLERP Baseline, CSL-Daily", 4.39, 0.85, 4.05, 4.35, 4.88, 29],
    ["SignSparK, CSL-Daily", 2.50, 0.63, 2.02, 2.71, 5.85, 14],
    ["GT, Phoenix-2014T", 0.0, 0.0, 0.0, 0.0, 14.77, None],
    ["SLERP Baseline, Phoenix-2014T", 4.10, 0.89, 3.71, 4.12, 9.18, 38],
    ["SignSparK, Phoenix-2014T", 2.39, 0.71, 1.92, 2.25, 11.70, 21],
]


def table2_row(name: str, scores: Mapping[str, Any] | None, bleu4: float, gt_bleu4: float) -> list:
    """One row of :data:`TABLE2_COLUMNS`; ``scores=None`` is the ground-truth row (errors 0)."""
    drop = None if scores is None else round(100.0 * (gt_bleu4 - bleu4) / max(gt_bleu4, 1e-9), 1)
    if scores is None:
        return [name, 0.0, 0.0, 0.0, 0.0, round(float(bleu4), 2), None]
    r = lambda k: round(float(scores[k]), 4)
    return [name, r("dtw_pa_jpe_body"), r("dtw_pa_jpe_hand"), r("dtw_jpe_body"), r("dtw_jpe_hand"),
            round(float(bleu4), 2), drop]


def soke_poses(module: Any, tokenizer: Any, sentences: Sequence[Any], batch_size: int = 32) -> list[np.ndarray]:
    """V133 poses a trained SOKE generator (``slpkit.generators.soke``) decodes for ``sentences`` (greedy, its own
    decoding strategy, stop rule and retrieval prompts), for comparison rows scored on the same sentences."""
    from slpkit.generators.soke.module import codes_to_poses

    sentences = list(sentences)
    out: list[np.ndarray] = []
    for i in range(0, len(sentences), int(batch_size)):
        chunk = sentences[i: i + int(batch_size)]
        codes = module.generate([s.text for s in chunk], [s.language for s in chunk])
        out += codes_to_poses(tokenizer, codes)[0]
    return out


# ------------------------------------------------------------------------------------------------ RTM
RTM_COLUMNS = ["Model", "Task", "var ratio body", "var ratio lhand", "var ratio rhand", "|log ratio| hands (mean)",
               "accel ratio hands"]


def keypoints_of(v133_list: Sequence[np.ndarray]) -> list[np.ndarray]:
    """SLRTP / DARSLP keypoints ``(T, 178, 3)`` of V133 poses (face from the V133's expression and jaw)."""
    from slpkit.body.keypoints import keypoints178
    from slpkit.body.layouts import face108_from

    return [np.asarray(keypoints178(np.asarray(v, np.float32), face108_from(np.asarray(v, np.float32))), np.float32)
            for v in v133_list]


def variance_scores(preds_kp: Sequence[np.ndarray], refs_kp: Sequence[np.ndarray]) -> dict[str, Any]:
    """Regression-to-the-mean diagnostic on the 178 SLRTP keypoints ``(T, 178, 3)`` (what DARSLP generates; V133
    poses go through :func:`keypoints_of`): per region (body 8, each hand 21) the mean over sentences of the
    temporal variance of the generated keypoints divided by the same for the references
    (:func:`slpkit.eval.motion.motion_variance_ratio` convention: 1 = as much motion as the data, < 1 = regression to
    the mean), per sentence ``|log(var_gen / var_ref)|`` averaged over both hands (for the bootstrap), and
    ``accel_ratio_hands``: mean |second difference| of the hand keypoints, generated / reference (> 1 = jitter:
    variance that comes from noise rather than from movement)."""
    from slpkit.body.keypoints import REGIONS

    parts = ("body", "lhand", "rhand")
    gv = {p: [] for p in parts}
    rv = {p: [] for p in parts}
    per_log, acc_g, acc_r = [], [], []
    hands = np.r_[REGIONS["lhand"], REGIONS["rhand"]]
    for a, b in zip(preds_kp, refs_kp):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if len(a) > 2 and len(b) > 2:
            acc_g.append(float(np.linalg.norm(np.diff(a[:, hands], n=2, axis=0), axis=-1).mean()))
            acc_r.append(float(np.linalg.norm(np.diff(b[:, hands], n=2, axis=0), axis=-1).mean()))
        logs = []
        for part in parts:
            va = float(a[:, REGIONS[part]].var(0).mean()) if len(a) > 1 else 0.0
            vb = float(b[:, REGIONS[part]].var(0).mean())
            gv[part].append(va)
            rv[part].append(vb)
            if part != "body":
                logs.append(abs(np.log(max(va, 1e-12) / max(vb, 1e-12))))
        per_log.append(float(np.mean(logs)))
    out: dict[str, Any] = {f"var_ratio_{p}": float(np.mean(gv[p]) / max(np.mean(rv[p]), 1e-12)) for p in parts}
    out["per_sentence"] = {"abs_log_ratio_hands": np.asarray(per_log)}
    out["abs_log_ratio_hands"] = float(np.mean(per_log))
    out["accel_ratio_hands"] = float(np.mean(acc_g) / max(np.mean(acc_r), 1e-12)) if acc_g else float("nan")
    return out


def rtm_row(name: str, task: str, v: Mapping[str, Any]) -> list:
    return [name, task, round(v["var_ratio_body"], 3), round(v["var_ratio_lhand"], 3), round(v["var_ratio_rhand"], 3),
            round(v["abs_log_ratio_hands"], 3), round(v["accel_ratio_hands"], 3)]


# ------------------------------------------------------------------------------------------------ sweeps
def plot_sweeps(guidance: Mapping[float, float], solvers: Mapping[str, tuple[int, float, float]], metric: str,
                title: str = ""):
    """Two panels: ``metric`` vs guidance scale; ``metric`` vs function evaluations per solver setting
    (``solvers[label] = (nfe, metric value, seconds per video at batch 64)``)."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3))
    xs = sorted(guidance)
    a.plot(xs, [guidance[x] for x in xs], "o-")
    a.axvline(1.0, color="k", lw=0.6, ls="--")
    a.set_xlabel("guidance scale s (1 = no guidance)")
    a.set_ylabel(metric)
    for label, (nfe, val, _) in solvers.items():
        b.plot(nfe, val, "o")
        b.annotate(label, (nfe, val), textcoords="offset points", xytext=(4, 4), fontsize=8)
    b.set_xlabel("function evaluations per sample")
    b.set_ylabel(metric)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
