"""Evaluating tokenizers: codebook usage and reconstruction error.

* :func:`codebook_report` - per stream: utilisation (% of codes used at least once),
  perplexity ``exp(-sum p log p)`` and token frequencies (via
  ``slpkit.metrics.codebook.codebook_stats``). M3T Table 3 reports utilisation
  ("Codebook %"); T2M-GPT / SOKE log the perplexity.
* :func:`reconstruction_report` - MPJPE / PA-MPJPE (mm, frames in correspondence, per-frame
  Procrustes for PA) on the SOKE metric joints of ``slpkit.body.fk`` (body 12, each hand
  21), SOKE Tables 3 / S6 "JPE" (docs/reference.md, "Other metrics": MPJPE /
  PA-MPJPE in mm, averaged over frames); ``hand`` = mean of both hands. MPJPE is
  root-aligned per part (joint 0: neck for the body, wrist for a hand, as SOKE's DTW-JPE
  does), which removes the arm's translation from the hand error; the wrist's global
  rotation still comes from the body tokens, so PA-MPJPE is the hand-only measure. For the 'm3t'
  partition also the face-parameter error (mean absolute error of the 108 SMPL-FX values;
  M3T reports face PA-VPE on FLAME vertices, which slpkit does not model).
* :func:`mean_pose_report` - the same errors for the constant train-mean pose: the
  baseline a tokenizer must beat.
* experiment helpers of notebooks 02 / 03: :func:`experiment_config`,
  :func:`run_tokenizer_experiment`, :func:`mean_utilisation`, :func:`modality_row`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch

from slpkit.metrics.bootstrap import weighted_mean
from slpkit.checks import check_int
from slpkit.tokenizers.module import TokenizerConfig, TokenizerModule, clip_poses, train_tokenizer
from slpkit.tokenizers.partwise import PartwiseTokenizer


def _tok(model: TokenizerModule | PartwiseTokenizer) -> PartwiseTokenizer:
    return model.tokenizer if isinstance(model, TokenizerModule) else model


@torch.no_grad()
def tokenize_clips(model: TokenizerModule | PartwiseTokenizer, clips: Sequence[np.ndarray],
                   batch_size: int = 64) -> list[dict[str, np.ndarray]]:
    """Token ids ``{stream: (ceil(T/4),) int64}`` of each raw clip ``(T, D)`` (eval mode, deterministic).

    Clips of equal length are encoded as one batch (no padding, so every clip sees only its own frames;
    ~10x faster than one by one on a CPU for a corpus of a few hundred distinct lengths)."""
    tok = _tok(model)
    clips = [np.asarray(c, np.float32) for c in clips]
    by_len: dict[int, list[int]] = {}
    for i, c in enumerate(clips):
        by_len.setdefault(len(c), []).append(i)
    out: list[dict[str, np.ndarray]] = [{} for _ in clips]
    was = tok.training
    tok.eval()
    try:
        for idx in by_len.values():
            for j in range(0, len(idx), batch_size):
                chunk = idx[j:j + batch_size]
                codes = tok.encode(np.stack([clips[i] for i in chunk]))           # {stream: (b, ceil(T/4))}
                for k, i in enumerate(chunk):
                    out[i] = {p: c[k].cpu().numpy().astype(np.int64) for p, c in codes.items()}
    finally:
        tok.train(was)
    return out


@torch.no_grad()
def reconstruct_clips(model: TokenizerModule | PartwiseTokenizer, clips: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``decode(encode(clip))`` cropped to each clip's length, as float32 numpy."""
    tok = _tok(model)
    was = tok.training
    tok.eval()
    try:
        return [tok.reconstruct(c).cpu().numpy().astype(np.float32) for c in clips]
    finally:
        tok.train(was)


def codebook_report(tokens: Sequence[Mapping[str, Any]], codebook_sizes: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """``{stream: {'K', 'used', 'utilisation' (%), 'perplexity', 'counts' (K,), 'frequency' (K,)}}``.

    ``tokens``: per-clip dicts as returned by :func:`tokenize_clips`.
    """
    from slpkit.metrics.codebook import codebook_stats

    out = {}
    for name, K in codebook_sizes.items():
        ids = [np.asarray(t[name]).ravel() for t in tokens]
        st = codebook_stats(ids, int(K))
        counts = np.asarray(st["counts"])
        out[name] = {"K": int(K), "used": int((counts > 0).sum()), "utilisation": float(st["utilisation"]),
                     "perplexity": float(st["perplexity"]), "counts": counts,
                     "frequency": counts / max(1, counts.sum())}
    return out


def _v133_of(x: np.ndarray) -> np.ndarray:
    return x[..., :133]


def _errors(preds: Sequence[np.ndarray], refs: Sequence[np.ndarray], partition: str, body_model=None) -> dict[str, dict[str, float]]:
    from slpkit.body.fk import default_body_model
    from slpkit.metrics.pose import mpjpe, pa_mpjpe

    bm = body_model or default_body_model()
    acc: dict[str, dict[str, list[float]]] = {}
    weights: list[int] = []
    for p, r in zip(preds, refs):
        jp, jr = bm.metric_joints(_v133_of(p)), bm.metric_joints(_v133_of(r))
        for part in ("body", "lhand", "rhand"):
            d = acc.setdefault(part, {"mpjpe_mm": [], "pa_mpjpe_mm": []})
            a, b = np.asarray(jp[part]), np.asarray(jr[part])
            d["mpjpe_mm"].append(mpjpe(a - a[:, :1], b - b[:, :1], unit="mm"))  # root-aligned
            d["pa_mpjpe_mm"].append(pa_mpjpe(jp[part], jr[part], unit="mm"))
        if partition == "m3t":
            d = acc.setdefault("face", {"param_mae": []})
            d["param_mae"].append(float(np.abs(p[..., 133:] - r[..., 133:]).mean()))
        weights.append(len(r))
    w = np.asarray(weights, float)
    out: dict[str, Any] = {part: {k: float(np.average(v, weights=w)) for k, v in d.items()} for part, d in acc.items()}
    out["hand"] = {k: 0.5 * (out["lhand"][k] + out["rhand"][k]) for k in out["lhand"]}
    # per-clip values (and frame counts) for the paired bootstrap: the frame-weighted mean of a resample is
    # slpkit.metrics.bootstrap.weighted_mean(values, frames)
    per = {f"{part}_{k}": np.asarray(v, float) for part, d in acc.items() for k, v in d.items()}
    for k in acc["lhand"]:
        per[f"hand_{k}"] = 0.5 * (per[f"lhand_{k}"] + per[f"rhand_{k}"])
    out["per_clip"], out["frames"] = per, w
    return out


def reconstruction_report(model: TokenizerModule | PartwiseTokenizer, clips: Sequence[Any], body_model=None) -> dict[str, dict[str, float]]:
    """Frame-weighted MPJPE / PA-MPJPE (mm) per part of ``decode(encode(x))``.

    ``clips``: sentences / dictionary entries (with ``v133`` and ``face108``) or raw arrays
    of the tokenizer's input layout. Returns ``{'body'|'lhand'|'rhand'|'hand': {'mpjpe_mm',
    'pa_mpjpe_mm'}, ['face': {'param_mae'}], 'per_clip': {'<part>_<metric>': (N,)}, 'frames': (N,)}``.
    """
    tok = _tok(model)
    if isinstance(clips, (str, bytes, np.ndarray)) or not hasattr(clips, "__len__") or not len(clips):
        raise ValueError("clips is empty or not a list: pass the sentences (or raw (T, D) arrays) to reconstruct, e.g. "
                         "corpus.split('test')")
    refs = [c if isinstance(c, np.ndarray) else clip_poses(c, tok.partition) for c in clips]
    preds = reconstruct_clips(tok, refs)
    return _errors(preds, refs, tok.partition, body_model)


def mean_pose_report(train_clips: Sequence[Any], clips: Sequence[Any], partition: str = "body_lhand_rhand",
                     body_model=None) -> dict[str, dict[str, float]]:
    """Errors of predicting the train-mean pose for every frame (the baseline to beat)."""
    tr = [c if isinstance(c, np.ndarray) else clip_poses(c, partition) for c in train_clips]
    refs = [c if isinstance(c, np.ndarray) else clip_poses(c, partition) for c in clips]
    mean = np.concatenate(tr, 0).mean(0).astype(np.float32)
    preds = [np.broadcast_to(mean, r.shape).copy() for r in refs]
    return _errors(preds, refs, partition, body_model)


def evaluate_tokenizer(model: TokenizerModule | PartwiseTokenizer, corpus: Any, split: str = "test",
                       baseline: bool = True) -> dict[str, Any]:
    """Reconstruction errors, codebook usage (and the mean-pose baseline) on a corpus split."""
    tok = _tok(model)
    clips = corpus.split(split)
    raw = [clip_poses(s, tok.partition) for s in clips]
    out: dict[str, Any] = {"recon": reconstruction_report(tok, raw),
                           "codebook": codebook_report(tokenize_clips(tok, raw), tok.codebook_sizes)}
    if baseline:
        out["baseline"] = mean_pose_report(corpus.split("train"), raw, tok.partition)
    return out


# ------------------------------------------------------------------ experiment helpers (notebooks 02 / 03)
def experiment_config(mode: str, seed: int = 0, steps: int | None = None, preset: str = "soke",
                      **overrides) -> TokenizerConfig:
    """The :class:`~slpkit.tokenizers.module.TokenizerConfig` of one notebook experiment.

    ``preset='soke'`` starts from ``TokenizerConfig.for_mode(mode)`` (SOKE's DETO), ``'m3t'`` from
    ``TokenizerConfig.m3t(mode)`` (FSQ-VAEs). ``seed`` and ``overrides`` (e.g. ``partition``,
    ``quantizer``, ``codebook_sizes``) replace the preset's fields; ``steps`` (if not ``None``)
    sets ``max_steps``, which then wins over ``max_epochs``.
    """
    over = dict(seed=seed, **overrides)
    if steps is not None:
        over["max_steps"] = int(steps)
    if preset == "soke":
        return TokenizerConfig.for_mode(mode, **over)
    if preset == "m3t":
        return TokenizerConfig.m3t(mode, **over)
    raise ValueError(f"unknown preset {preset!r}: use 'soke' or 'm3t'")


def run_tokenizer_experiment(corpus: Any, cfg: TokenizerConfig, eval_clips: Sequence[Any],
                             stats_clips: Sequence[Any] | None = None, cache: bool = True,
                             device: str = "auto") -> dict[str, Any]:
    """Train (or load from the cache) the tokenizer of ``cfg`` on ``corpus`` and measure it.

    Reconstruction is measured on ``eval_clips`` (:func:`reconstruction_report`), codebook usage on
    the tokens of ``stats_clips`` (default: ``eval_clips``; notebook 03 uses every clip of the corpus).
    Clips are raw tokenizer inputs ``(T, D)`` (e.g. from ``clip_poses``) or sentences.
    Returns ``{'recon': reconstruction_report, 'codebook': codebook_report, 'tokens': the tokens of
    ``stats_clips`` (per clip ``{stream: ids}``), 'seconds': training time in s (0.0 when loaded from the cache)}``.
    """
    module = train_tokenizer(corpus, cfg, cache=cache, device=device)
    tok = module.tokenizer
    stats_clips = eval_clips if stats_clips is None else stats_clips
    raw = [c if isinstance(c, np.ndarray) else clip_poses(c, tok.partition) for c in stats_clips]
    tokens = tokenize_clips(module, raw)
    return {"recon": reconstruction_report(module, eval_clips),
            "codebook": codebook_report(tokens, tok.codebook_sizes), "tokens": tokens,
            "seconds": module.train_seconds}


def mean_utilisation(codebook: Mapping[str, Mapping[str, Any]], streams: Sequence[str] | None = None) -> float:
    """Mean codebook utilisation (%) over ``streams`` of a :func:`codebook_report` (default: all of
    its streams); streams missing from the report are skipped."""
    names = list(codebook) if streams is None else [s for s in streams if s in codebook]
    if not names:
        raise ValueError(f"no stream of {list(streams) if streams is not None else []} is in the codebook report "
                         f"(it has {list(codebook)}): pass codebook_report(...) output and its stream names")
    return float(np.mean([codebook[k]["utilisation"] for k in names]))


#: Metric columns of :func:`modality_row` (after the label and any ``extra`` columns).
MODALITY_COLUMNS = ["body PA-MPJPE (mm)", "hand PA-MPJPE (mm)", "face error", "body use %", "hand use %", "face use %"]


def modality_row(label: str, result: Mapping[str, Any], extra: Sequence[Any] = ()) -> list:
    """One table row per M3T tokenizer (M3T Table 3 layout) from a :func:`run_tokenizer_experiment` result:
    ``[label, *extra, body PA-MPJPE, hand PA-MPJPE, face param MAE, body use %, hand use % (mean of both
    hands), face use %]`` (:data:`MODALITY_COLUMNS`). ``result`` needs ``'recon'`` with body / hand /
    face errors and ``'codebook'`` with body / lhand / rhand / face utilisation."""
    rc, cb = result["recon"], result["codebook"]
    hand_use = 0.5 * (cb["lhand"]["utilisation"] + cb["rhand"]["utilisation"])
    return [label, *extra, rc["body"]["pa_mpjpe_mm"], rc["hand"]["pa_mpjpe_mm"], rc["face"]["param_mae"],
            cb["body"]["utilisation"], hand_use, cb["face"]["utilisation"]]


# ------------------------------------------------------------------ bootstrap statistics (notebooks 02 / 03 orderings)
def recon_statistic(report: Mapping[str, Any], key: str):
    """``f(clip indices)`` = frame-weighted mean of ``report['per_clip'][key]`` (e.g. ``'hand_pa_mpjpe_mm'``) over
    a resample of the clips: the statistic :func:`slpkit.metrics.bootstrap.ordering` compares between tokenizers.
    ``report``: a :func:`reconstruction_report` / :func:`mean_pose_report` result."""
    if key not in report.get("per_clip", {}):
        raise ValueError(f"unknown reconstruction key {key!r}: the report has {sorted(report.get('per_clip', {}))}")
    return weighted_mean(report["per_clip"][key], report["frames"])


def utilisation_statistic(tokens: Sequence[Mapping[str, Any]], stream: str, codebook_size: int):
    """``f(clip indices)`` = share (%) of the ``codebook_size`` codes of ``stream`` used by a resample of the clips'
    tokens. A count of distinct codes is biased low on resamples (repeated clips add no new codes), so its
    bootstrap interval can sit below the full-data value; both quantizers share the bias on the same resamples."""
    if not len(tokens):
        raise ValueError("no tokens: pass the tokens of at least one clip")
    if any(stream not in t for t in tokens):
        raise ValueError(f"stream {stream!r} is missing from the tokens (they have {sorted(tokens[0])}): pass one of them")
    ids = [np.asarray(t[stream]).ravel() for t in tokens]
    K = check_int(codebook_size, "codebook_size", min=1)
    return lambda idx: 100.0 * len(np.unique(np.concatenate([ids[i] for i in idx]))) / K
