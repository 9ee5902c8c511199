"""Motion tokenizers: SOKE's decoupled VQ-VAE (EMA + reset codebooks) and M3T's FSQ-VAEs.

- :mod:`~slpkit.tokenizers.conv`      1D-conv residual encoder / decoder (4x downsampling)
- :mod:`~slpkit.tokenizers.vq`        :class:`EMAResetQuantizer` (SOKE / T2M-GPT), :class:`VectorQuantizer`
- :mod:`~slpkit.tokenizers.fsq`       :class:`FSQ` (Mentzer et al.; M3T)
- :mod:`~slpkit.tokenizers.partwise`  :class:`PartwiseTokenizer` (whole / body_hands / body_lhand_rhand / m3t)
- :mod:`~slpkit.tokenizers.module`    Lightning :class:`TokenizerModule`, :class:`TokenizerConfig`,
  :func:`train_tokenizer` (cached), :func:`load_tokenizer`
- :mod:`~slpkit.tokenizers.stats`     codebook usage, reconstruction MPJPE / PA-MPJPE, mean-pose baseline,
  notebook experiment helpers (:func:`experiment_config`, :func:`run_tokenizer_experiment`, :func:`modality_row`)
"""

from slpkit.tokenizers.conv import Decoder, Encoder, Resnet1D
from slpkit.tokenizers.fsq import FSQ, round_ste
from slpkit.tokenizers.module import (
    TokenizerConfig,
    TokenizerModule,
    build_tokenizer,
    cache_path,
    load_tokenizer,
    train_tokenizer,
)
from slpkit.tokenizers.partwise import PartwiseTokenizer, m3t_features, m3t_poses, partition_streams
from slpkit.tokenizers.stats import (
    MODALITY_COLUMNS,
    codebook_report,
    evaluate_tokenizer,
    experiment_config,
    mean_pose_report,
    mean_utilisation,
    modality_row,
    recon_statistic,
    reconstruction_report,
    run_tokenizer_experiment,
    tokenize_clips,
    utilisation_statistic,
)
from slpkit.tokenizers.vq import EMAResetQuantizer, QuantizerOutput, VectorQuantizer

__all__ = [
    "Encoder", "Decoder", "Resnet1D", "FSQ", "round_ste", "EMAResetQuantizer", "VectorQuantizer", "QuantizerOutput",
    "PartwiseTokenizer", "partition_streams", "m3t_features", "m3t_poses", "TokenizerConfig", "TokenizerModule",
    "build_tokenizer", "train_tokenizer", "load_tokenizer", "cache_path", "codebook_report", "evaluate_tokenizer",
    "mean_pose_report", "reconstruction_report", "tokenize_clips", "experiment_config", "run_tokenizer_experiment",
    "mean_utilisation", "modality_row", "MODALITY_COLUMNS", "recon_statistic", "utilisation_statistic",
]
