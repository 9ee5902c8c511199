"""DARSLP (Tasyurek, Kiziltepe, Keles): gloss-free text-to-pose with an articulator-disentangled
pose autoencoder, a non-autoregressive transformer and channel-aware KL regularisation.

- :mod:`.autoencoder`  region-wise linear pose autoencoder (Sec. 3.1, Eq. 1-3), masks for missing points
- :mod:`.nat`          non-autoregressive transformer + length predictor (Sec. 3.2, Eq. 4-5), crop / mask lengths
- :mod:`.channel_kl`   channel-aware KL regulariser and its schedule (Eq. 7, Table 2)
- :mod:`.config`       :class:`DarslpConfig` and the paper's region weightings (Sec. 4.2.2, 4.3)
- :mod:`.data`         :class:`Example` (optionally with a point mask), latent batches, the channel prior
- :mod:`.module`       Lightning module, the :class:`Darslp` pipeline, :func:`train_darslp` (cached)
- :mod:`.diagnostics`  DTW-MJE (per sentence too), motion variance, latent channel statistics (Figure 3)
- :mod:`.tables`       notebook 06's rows, the paper's numbers, bootstrap orderings, Figure 3 plot
"""

from slpkit.generators.darslp.autoencoder import (AEConfig, AutoencoderModule, PoseAutoencoder, reconstruction_errors,
                                                  train_autoencoder)
from slpkit.generators.darslp.channel_kl import ChannelKL, ChannelPrior, KLSchedule, gaussian_kl
from slpkit.generators.darslp.config import (KL_WEIGHTINGS, L1_WEIGHTINGS, PAPER_KL_WEIGHTS, PAPER_L1_WEIGHTS,
                                             DarslpConfig, weights_bhf)
from slpkit.generators.darslp.data import Example, examples_from_corpus
from slpkit.generators.darslp.diagnostics import (channel_entropy, dtw_mje, dtw_mje_sentences, latent_channel_stats,
                                                  motion_variance, to_frame_rate)
from slpkit.generators.darslp.module import Darslp, NATModule, load_darslp, train_darslp
from slpkit.generators.darslp.nat import LENGTH_MODES, NATConfig, NonAutoregressiveTransformer
from slpkit.generators.darslp.tables import (LEARNING_COLUMNS, PAPER_FIG3, PAPER_GT_DEV, PAPER_TABLE1, PAPER_TABLE2,
                                             PAPER_TABLE3, PAPER_TABLE4, PAPER_TABLE5, RECON_COLUMNS, TABLE_COLUMNS,
                                             bleu_ordering, dtw_ordering, evaluate_rows, hand_motion, learning_checks,
                                             learning_row, mean_pose_scores, motion_ordering, plot_latent_histograms,
                                             reconstruction_row, result_row)

__all__ = [
    "AEConfig", "AutoencoderModule", "PoseAutoencoder", "train_autoencoder", "reconstruction_errors",
    "ChannelKL", "ChannelPrior", "KLSchedule", "gaussian_kl",
    "DarslpConfig", "weights_bhf", "L1_WEIGHTINGS", "KL_WEIGHTINGS", "PAPER_L1_WEIGHTS", "PAPER_KL_WEIGHTS",
    "Example", "examples_from_corpus",
    "dtw_mje", "dtw_mje_sentences", "to_frame_rate", "motion_variance", "channel_entropy", "latent_channel_stats",
    "Darslp", "NATModule", "train_darslp", "load_darslp",
    "NATConfig", "NonAutoregressiveTransformer", "LENGTH_MODES",
    "TABLE_COLUMNS", "result_row", "evaluate_rows", "RECON_COLUMNS", "reconstruction_row", "plot_latent_histograms",
    "PAPER_GT_DEV", "PAPER_TABLE1", "PAPER_TABLE2", "PAPER_TABLE3", "PAPER_TABLE4", "PAPER_TABLE5", "PAPER_FIG3",
    "dtw_ordering", "bleu_ordering", "mean_pose_scores", "learning_checks", "LEARNING_COLUMNS", "learning_row",
    "hand_motion", "motion_ordering",
]
