"""M3T: multi-modal motion tokens (2026), the four-stream Sign Motion Language Model and its recognition probe.

- :mod:`~slpkit.generators.m3t.vocab`        modality prompts (``<ASL_LH>``), M3T's four streams, checks
- :mod:`~slpkit.generators.m3t.translation`  auxiliary translation objective (Eq. 9), greedy sign -> text
- :mod:`~slpkit.generators.m3t.module`       :class:`M3TConfig`, :class:`M3TModule`, :func:`train_m3t`,
  :func:`generate_motion`, :func:`score_motion` (the SMLM, Sec. 3.3, App. 0.D.2)
- :mod:`~slpkit.generators.m3t.probe`        recognition probe on frozen FSQ-VAE encoders (Sec. 3.4, App. 0.D.3)
- :mod:`~slpkit.generators.m3t.tables`       notebook 09 rows, paper numbers, face-landmark animations

The tokenizers are :func:`slpkit.tokenizers.TokenizerConfig.m3t` (notebook 03); the generator is SOKE's
:class:`~slpkit.generators.soke.model.SokeGenerator` and decoding loops, generalised to N streams.
"""

from slpkit.generators.m3t.translation import motion_encoder_inputs, translate, translation_loss
from slpkit.generators.m3t.vocab import (M3T_CODEBOOKS, M3T_PARTS, MODALITY_TAGS, check_m3t_streams, check_modality,
                                         m3t_vocab, modality_prompt, prompt_table)

__all__ = [
    "M3T_PARTS", "M3T_CODEBOOKS", "MODALITY_TAGS", "check_modality", "check_m3t_streams", "modality_prompt",
    "prompt_table", "m3t_vocab", "motion_encoder_inputs", "translation_loss", "translate",
    "M3TConfig", "M3TModule", "train_m3t", "load_m3t", "m3t_codes", "build_m3t_generator", "generate_motion",
    "score_motion", "face_variance",
    "ProbeConfig", "RecognitionProbe", "active_window", "citation_clips", "encoder_hidden_states", "train_probe",
    "evaluate_probe",
]

_MODULE = ("M3TConfig", "M3TModule", "train_m3t", "load_m3t", "m3t_codes", "build_m3t_generator", "generate_motion",
           "score_motion", "face_variance")
_PROBE = ("ProbeConfig", "RecognitionProbe", "active_window", "citation_clips", "encoder_hidden_states", "train_probe",
          "evaluate_probe")


def __getattr__(name):  # Lightning-based pieces load on first use
    if name in _MODULE:
        from slpkit.generators.m3t import module

        return getattr(module, name)
    if name in _PROBE:
        from slpkit.generators.m3t import probe

        return getattr(probe, name)
    raise AttributeError(name)
