"""DARSLP (Tasyurek, Kiziltepe, Keles): gloss-free text-to-pose with an articulator-disentangled
pose autoencoder, a non-autoregressive transformer and channel-aware KL regularisation.

- :mod:`.autoencoder`  region-wise linear pose autoencoder (Sec. 3.1, Eq. 1-3)
- :mod:`.nat`          non-autoregressive transformer + length predictor (Sec. 3.2, Eq. 4-5)
- :mod:`.channel_kl`   channel-aware KL regulariser and its schedule (Eq. 7, Table 2)
- :mod:`.module`       Lightning modules, :class:`DarslpConfig`, the :class:`Darslp` pipeline, diagnostics
"""

from slpkit.generators.darslp.autoencoder import AEConfig, AutoencoderModule, PoseAutoencoder, train_autoencoder
from slpkit.generators.darslp.channel_kl import ChannelKL, ChannelPrior, KLSchedule, gaussian_kl
from slpkit.generators.darslp.module import (
    PAPER_KL_WEIGHTS,
    PAPER_L1_WEIGHTS,
    Darslp,
    DarslpConfig,
    Example,
    NATModule,
    channel_entropy,
    dtw_mje,
    examples_from_corpus,
    latent_channel_stats,
    motion_variance,
    weights_bhf,
    result_row,
    TABLE_COLUMNS,
    plot_latent_histograms,
    to_frame_rate,
    reconstruction_row,
    RECON_COLUMNS,
    evaluate_rows,
)
from slpkit.generators.darslp.nat import NATConfig, NonAutoregressiveTransformer, TextVocab

__all__ = [
    "AEConfig", "AutoencoderModule", "PoseAutoencoder", "train_autoencoder",
    "ChannelKL", "ChannelPrior", "KLSchedule", "gaussian_kl",
    "Darslp", "DarslpConfig", "Example", "NATModule", "examples_from_corpus", "dtw_mje",
    "motion_variance", "channel_entropy", "latent_channel_stats", "weights_bhf",
    "result_row", "TABLE_COLUMNS", "plot_latent_histograms", "to_frame_rate",
    "reconstruction_row", "RECON_COLUMNS", "evaluate_rows",
    "PAPER_L1_WEIGHTS", "PAPER_KL_WEIGHTS",
    "NATConfig", "NonAutoregressiveTransformer", "TextVocab",
]
