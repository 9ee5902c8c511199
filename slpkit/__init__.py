"""slpkit: a teaching-and-reproduction kit for 3D sign language production.

Stages, in pipeline order:

- ``slpkit.body``        SMPL-X layouts, rotations, forward kinematics, keypoints
- ``slpkit.data``        SynthSign (seeded synthetic benchmark), real-format loaders, DataModules
- ``slpkit.metrics``     DTW conventions, MPJPE / PA-MPJPE, codebook stats, BLEU / chrF / ROUGE-L
- ``slpkit.tokenizers``  VQ-VAE (SOKE) and FSQ-VAE (M3T) motion tokenizers
- ``slpkit.generators``  SOKE (autoregressive, mBART) and DARSLP (non-autoregressive)
- ``slpkit.eval``        back-translation evaluator
- ``slpkit.viz``         skeleton plots and animations
- ``slpkit.notebook``    papermill runner and results report
"""

from slpkit.config import seed_everything

__version__ = "0.1.0"
__all__ = ["seed_everything", "__version__"]
