"""The training layer every slpkit stage uses (tokenizers, SOKE, M3T, DARSLP, SignSparK, back-translator).

- :mod:`~slpkit.training.schedule`  warm-up + cosine learning-rate factor (:func:`warmup_cosine`)
- :mod:`~slpkit.training.sampler`   :class:`BucketBatchSampler`: length buckets, DDP-aware, epoch-keyed
- :mod:`~slpkit.training.fit`       :class:`TrainConfig`, :func:`fit` (Trainer from a config, resume,
  validation-based selection, early stopping, progress bars), :func:`make_loader`
- :mod:`~slpkit.training.cache`     :func:`cached`: load or train-and-save by config hash, checksummed
- :mod:`~slpkit.training.dryrun`    the full-mode dry run (2 steps per stage, measured)
"""

from slpkit.training import dryrun
from slpkit.training.cache import (CacheInfo, artifact_dir, cached, check_same_config, read_checkpoint, single_process,
                                   state_fingerprint)
from slpkit.training.fit import FitResult, Reproducible, TrainConfig, fit, make_loader, quiet
from slpkit.training.sampler import BucketBatchSampler, rank_world
from slpkit.training.schedule import warmup_cosine, warmup_cosine_scheduler

__all__ = ["BucketBatchSampler", "CacheInfo", "FitResult", "Reproducible", "TrainConfig", "artifact_dir", "cached",
           "check_same_config", "read_checkpoint", "dryrun", "fit", "make_loader", "quiet", "rank_world", "single_process", "state_fingerprint", "warmup_cosine", "warmup_cosine_scheduler"]
