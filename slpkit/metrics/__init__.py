"""Evaluation metrics for sign language production, every convention named.

See ``docs/reference.md`` ("Metrics": three DTW conventions that give incomparable
numbers): SOKE DTW (:func:`dtw_soke`, DTW-JPE, DTW-PA-JPE), Progressive
Transformers DTW (:func:`dtw_pt`), SLRTP 2025 DTW-MJE (:func:`dtw_mje_slrtp`);
MPJPE / PA-MPJPE for tokenizer reconstruction; codebook statistics; back-translation
BLEU-1..4 / chrF / ROUGE-L; latency.
"""

from slpkit.metrics.codebook import codebook_stats
from slpkit.metrics.dtw import (
    COSTS,
    cost_matrix,
    dtw,
    dtw_batch,
    dtw_from_costs,
    dtw_mje_slrtp,
    dtw_pt,
    dtw_soke,
)
from slpkit.metrics.latency import measure_latency
from slpkit.metrics.pose import PARTS, dtw_jpe, dtw_pa_jpe, mpjpe, pa_cost_matrix, pa_mpjpe, part_scores
from slpkit.metrics.procrustes import procrustes_align, similarity_transform
from slpkit.metrics.bootstrap import Ordering, ordering, orderings_table, paired_bootstrap
from slpkit.metrics.text import bleu, bleu_statistic, chrf, rouge_l, rouge_l_sentences, tokens, translation_scores

__all__ = [
    "COSTS",
    "Ordering",
    "ordering",
    "orderings_table",
    "paired_bootstrap",
    "bleu_statistic",
    "rouge_l_sentences",
    "PARTS",
    "bleu",
    "chrf",
    "codebook_stats",
    "cost_matrix",
    "dtw",
    "dtw_batch",
    "dtw_from_costs",
    "dtw_jpe",
    "dtw_mje_slrtp",
    "dtw_pa_jpe",
    "dtw_pt",
    "dtw_soke",
    "measure_latency",
    "mpjpe",
    "pa_cost_matrix",
    "pa_mpjpe",
    "part_scores",
    "procrustes_align",
    "rouge_l",
    "similarity_transform",
    "tokens",
    "translation_scores",
]
