"""Evaluation: the back-translation (sign-to-text) evaluator and the motion scores every system shares."""

from slpkit.eval.backtranslation import (
    BackTranslator,
    BackTranslatorConfig,
    ground_truth_row,
    recognition_wer,
    score_translations,
    train_backtranslator,
    upper_bound_table,
)
from slpkit.eval.motion import length_stats, mean_pose_baseline, motion_variance_ratio, pose_scores

__all__ = ["BackTranslator", "BackTranslatorConfig", "ground_truth_row", "recognition_wer", "score_translations",
           "train_backtranslator", "upper_bound_table", "pose_scores", "length_stats", "mean_pose_baseline",
           "motion_variance_ratio"]
