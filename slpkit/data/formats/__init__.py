"""Writers and loaders for the real datasets' layouts (SynthSign can be written in each).

- :mod:`~slpkit.data.formats.soke`: SOKE's released SMPL-X pickles (How2Sign, CSL-Daily,
  Phoenix-2014T) and SOKE's length rules;
- :mod:`~slpkit.data.formats.signspark`: SignSparK ``.npz`` rot6D streams + segment labels;
- :mod:`~slpkit.data.formats.slrtp`: SLRTP 2025 challenge ``{split}.pt`` with 178 x 3 keypoints;
- :mod:`~slpkit.data.formats.poseformat`: pose-format ``.pose`` files with MediaPipe Holistic components.

Every loader raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a
corrupt one, naming the file. ``data_stubs/make_samples.py`` writes tiny samples of each.
"""

from slpkit.data.formats.poseformat import load_pose_178, load_poseformat, write_pose, write_poseformat
from slpkit.data.formats.signspark import load_signspark, read_sequence, write_signspark
from slpkit.data.formats.slrtp import load_slrtp, write_slrtp
from slpkit.data.formats.soke import load_soke, soke_length_rules, write_soke

__all__ = [
    "load_soke", "write_soke", "soke_length_rules",
    "load_signspark", "write_signspark", "read_sequence",
    "load_slrtp", "write_slrtp",
    "load_poseformat", "write_poseformat", "load_pose_178", "write_pose",
]
