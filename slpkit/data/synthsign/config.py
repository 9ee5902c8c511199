"""Configuration of the SynthSign generator (``smoke`` seconds on CPU, ``full`` >= 20k sentences)."""

from __future__ import annotations

from dataclasses import dataclass

from slpkit.checks import check_float, check_int
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

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> "SynthSignConfig":
        """Raise ``ValueError`` naming the first bad field, its value and what to use (called when built)."""
        if isinstance(self.languages, str):
            raise ValueError(f"SynthSignConfig.languages={self.languages!r} is a string: pass a tuple, e.g. "
                             f"({self.languages!r},)")
        if isinstance(self.languages, list):
            self.languages = tuple(self.languages)
        if not self.languages:
            raise ValueError("SynthSignConfig.languages is empty: pass e.g. ('asl', 'csl', 'dgs').")
        for lang in self.languages:
            check_language(lang)
        if len(set(self.languages)) != len(self.languages):
            raise ValueError(f"SynthSignConfig.languages {self.languages} repeats a language.")
        check_int(self.seed, "SynthSignConfig.seed", min=0)
        check_int(self.sentences_per_language, "SynthSignConfig.sentences_per_language", min=1)
        check_int(self.signers_per_language, "SynthSignConfig.signers_per_language", min=1)
        check_int(self.dict_instances, "SynthSignConfig.dict_instances", min=0)
        check_int(self.n_minimal_pairs, "SynthSignConfig.n_minimal_pairs", min=0)
        check_int(self.n_nmf_pairs, "SynthSignConfig.n_nmf_pairs", min=0)
        check_float(self.vocab_fraction, "SynthSignConfig.vocab_fraction", min=0.0, max=1.0, min_open=True,
                    hint="the share of each open word class in the vocabulary, in (0, 1]")
        check_float(self.shared_fraction, "SynthSignConfig.shared_fraction", min=0.0, max=1.0)
        check_float(self.topic_prob, "SynthSignConfig.topic_prob", min=0.0, max=1.0)
        for f in ("signer_variation", "noise", "timing_jitter", "place_jitter"):
            check_float(getattr(self, f), f"SynthSignConfig.{f}", min=0.0, hint="0 turns it off")
        sf = self.split_fractions
        if isinstance(sf, list):
            self.split_fractions = sf = tuple(sf)
        if (not isinstance(sf, tuple) or len(sf) != 3
                or any(isinstance(x, (bool, str)) or not isinstance(x, (int, float)) for x in sf)
                or abs(sum(sf) - 1.0) > 1e-6 or min(sf) < 0):
            raise ValueError(f"SynthSignConfig.split_fractions={sf!r}: give three non-negative shares summing to 1.")
        rf = self.rest_frames
        if isinstance(rf, list):
            self.rest_frames = rf = tuple(rf)
        if not isinstance(rf, tuple) or len(rf) != 2:
            raise ValueError(f"SynthSignConfig.rest_frames={rf!r}: give (frames before, frames after), e.g. (6, 6).")
        for i, x in enumerate(rf):
            check_int(x, f"SynthSignConfig.rest_frames[{i}]", min=0)
        if self.blend not in ("minjerk", "linear"):
            raise ValueError(f"SynthSignConfig.blend={self.blend!r}: use 'minjerk' or 'linear'.")
        if self.fps != 25:
            raise ValueError(f"SynthSignConfig.fps={self.fps!r}: SynthSign is generated at 25 fps (fps=25); resample "
                             "afterwards if needed.")
        return self
