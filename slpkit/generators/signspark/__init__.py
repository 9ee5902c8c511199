"""SignSparK (Low et al. 2026, arXiv:2603.10446): sparse keyframes -> 3D signing by conditional flow matching.

The pipeline of SignSparK Fig. 3, one module per concept:

- :mod:`.features`   the 296-dim rot6D frame (body 60 | lhand 90 | rhand 90 | face 56) <-> SOKE's V133;
                     FAST's frozen per-hand features
- :mod:`.bio`        per-frame BIO tags <-> spans; constrained Viterbi decoding (never an invalid span)
- :mod:`.fast`       FAST (Fig. 2a): two 1D-conv streams, two-stream mixer, transformer, BIO head;
                     :class:`TaggerModule` / :func:`train_segmenter` (training layer, cached), :class:`Segmenter`
- :mod:`.baselines`  velocity heuristic and BiLSTM tagger
- :mod:`.keyframes`  the onset / middle / offset policy (Fig. 2b) as conditioning; input checks
- :mod:`.flow`       CFM path and target, keyframe overwrite, SignSparK's loss, Euler / Heun, guidance
- :mod:`.model`      the velocity network, its text encoder, the length predictor
- :mod:`.text`       the text vocabulary (one place to swap it)
- :mod:`.slerp`      the SLERP baseline of Table 2
- :mod:`.retrieval`  SR-T2P: dictionary citation forms -> FAST -> keyframes on a timeline
- :mod:`.pipeline`   :class:`CFMConfig`, :class:`CFMModule`, :func:`train_cfm`; GF-T2P / SR-T2P / KF2P
- :mod:`.tables`     rows of notebooks 07 and 08

Metrics of segmentation live in :mod:`slpkit.metrics.segmentation`; motion metrics are slpkit's
(:func:`slpkit.eval.motion.pose_scores` on V133 from :func:`to_v133`).
"""

from slpkit.generators.signspark.baselines import BiLSTMConfig, BiLSTMTagger, VelocityHeuristic, hand_speed
from slpkit.generators.signspark.bio import bio_to_spans, check_spans, decode_bio, span_keyframes, spans_to_bio
from slpkit.generators.signspark.fast import FAST, FASTConfig, Segmenter, TaggerModule, train_segmenter
from slpkit.generators.signspark.features import (FEATURE_DIM, features_to_v133, hand_features, sentence_features,
                                                  v133_to_features)
from slpkit.generators.signspark.flow import (LossWeights, cfm_loss, euler, guided_field, heun, impose_keyframes,
                                              sample_time, solve, straight_path)
from slpkit.generators.signspark.keyframes import check_keyframes, keyframe_mask, keyframe_policy, sentence_keyframes
from slpkit.generators.signspark.model import FlowNet, FlowNetConfig, LengthPredictor
from slpkit.generators.signspark.pipeline import (CFMConfig, CFMModule, dtw_jpe_scores, gf_t2p, kf2p, sr_t2p,
                                                  to_v133, train_cfm)
from slpkit.generators.signspark.retrieval import RetrievalPlanner, place_signs
from slpkit.generators.signspark.slerp import slerp, slerp_baseline, slerp_keyframes

__all__ = [
    "BiLSTMConfig", "BiLSTMTagger", "VelocityHeuristic", "hand_speed",
    "bio_to_spans", "check_spans", "decode_bio", "span_keyframes", "spans_to_bio",
    "FAST", "FASTConfig", "Segmenter", "TaggerModule", "train_segmenter",
    "FEATURE_DIM", "features_to_v133", "hand_features", "sentence_features", "v133_to_features",
    "LossWeights", "cfm_loss", "euler", "guided_field", "heun", "impose_keyframes", "sample_time", "solve",
    "straight_path",
    "check_keyframes", "keyframe_mask", "keyframe_policy", "sentence_keyframes",
    "FlowNet", "FlowNetConfig", "LengthPredictor",
    "CFMConfig", "CFMModule", "dtw_jpe_scores", "gf_t2p", "kf2p", "sr_t2p", "to_v133", "train_cfm",
    "RetrievalPlanner", "place_signs",
    "slerp", "slerp_baseline", "slerp_keyframes",
]
