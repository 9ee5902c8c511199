"""Evaluation: the back-translation (sign-to-text) evaluator."""

from slpkit.eval.backtranslation import (
    BackTranslator,
    BackTranslatorConfig,
    ground_truth_row,
    score_translations,
    train_backtranslator,
    upper_bound_table,
)

__all__ = ["BackTranslator", "BackTranslatorConfig", "ground_truth_row", "score_translations",
           "train_backtranslator", "upper_bound_table"]
