"""Configuration of the SynthSign generator (``smoke`` seconds on CPU, ``full`` >= 20k sentences)."""

from __future__ import annotations

from dataclasses import dataclass

from slpkit.config import Preset
from slpkit.data.text import LANGUAGES, check_language
from slpkit.training.dryrun import DRY_RUN_SENTENCES


@dataclass
class SynthSignConfig(Preset):
    """Everything that determines a SynthSign corpus; same config -> same corpus, bit for bit.

    Ablation knobs: ``signer_variation`` (0 = one identical signer style; regression to the
    mean needs it > 0), ``noise``, ``timing_jitter``, ``blend`` (``'minjerk'`` or ``'linear'``
    transitions), ``shared_fraction`` (cross-lingual shared signs, SOKE Table 3),
    ``n_nmf_pairs`` (signs that differ only in the face, M3T Table 3).
    """

    seed: int = 0
    languages: tuple = LANGUAGES
    sentences_per_language: int = 600
    vocab_fraction: float = 0.5  # share of each open word class (closed classes always in)
    shared_fraction: float = 0.2  # open-class concepts signed identically in all languages
    n_minimal_pairs: int = 6  # per language: sign pairs differing only in handshape
    n_nmf_pairs: int = 6  # per language: sign pairs differing only in mouthing / face
    signers_per_language: int = 4
    dict_instances: int = 2  # citation-form instances per dictionary word
    split_fractions: tuple = (0.8, 0.1, 0.1)  # train / val / test
    fps: int = 25
    signer_variation: float = 1.0
    noise: float = 1.0
    timing_jitter: float = 0.1
    place_jitter: float = 0.03
    blend: str = "minjerk"
    topic_prob: float = 0.3
    rest_frames: tuple = (6, 6)  # rest hold before / after a sentence

    @classmethod
    def smoke(cls) -> "SynthSignConfig":
        return cls()

    @classmethod
    def full(cls) -> "SynthSignConfig":
        return cls(sentences_per_language=7000, vocab_fraction=1.0, n_minimal_pairs=10, n_nmf_pairs=10,
                   signers_per_language=8, dict_instances=3)

    @classmethod
    def dry_run_overrides(cls) -> dict:
        """A full-mode dry run (:mod:`slpkit.training.dryrun`) trains every full preset on a small slice."""
        return {"sentences_per_language": DRY_RUN_SENTENCES}

    def validate(self) -> "SynthSignConfig":
        if not self.languages:
            raise ValueError("SynthSignConfig.languages is empty: pass e.g. ('asl', 'csl', 'dgs').")
        for lang in self.languages:
            check_language(lang)
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"SynthSignConfig.languages {self.languages} repeats a language.")
        if self.sentences_per_language < 1 or self.signers_per_language < 1 or self.dict_instances < 0:
            raise ValueError("sentences_per_language and signers_per_language must be >= 1, dict_instances >= 0.")
        if not 0.0 < self.vocab_fraction <= 1.0:
            raise ValueError(f"vocab_fraction={self.vocab_fraction}: use a value in (0, 1].")
        if not 0.0 <= self.shared_fraction <= 1.0:
            raise ValueError(f"shared_fraction={self.shared_fraction}: use a value in [0, 1].")
        if len(self.split_fractions) != 3 or abs(sum(self.split_fractions) - 1.0) > 1e-6 or min(self.split_fractions) < 0:
            raise ValueError(f"split_fractions={self.split_fractions}: give three non-negative shares summing to 1.")
        if self.blend not in ("minjerk", "linear"):
            raise ValueError(f"blend={self.blend!r}: use 'minjerk' or 'linear'.")
        if self.fps != 25:
            raise ValueError("SynthSign is generated at 25 fps (fps=25); resample afterwards if needed.")
        return self
