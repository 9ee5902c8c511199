"""Corpus containers shared by every stage: :class:`Sentence`, :class:`DictEntry`, :class:`Corpus`.

Layouts (ARCHITECTURE.md): ``v133`` is SOKE's 133-dim SMPL-X vector (axis-angle; upper
body ``[0:30]``, left hand ``[30:75]``, right hand ``[75:120]``, jaw ``[120:123]``,
expression ``[123:133]``); ``face108`` is M3T's SMPL-FX face (100 FLAME-like
expression + 2 eyelid + 6 jaw rot6D) with ``face108[:, :10] == v133[:, 123:133]`` and
``face108[:, 102:108] == rot6d(v133[:, 120:123])``. ``bio`` holds SignSparK's per-frame
segment tags (0 outside, 2 sign start, 1 inside); ``spans`` the same as
``(start, end_exclusive, gloss)``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slpkit.checks import check_motion
from slpkit.data.text import LANGUAGES, SpokenLexicon, check_language, lemmatise

SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass
class Sentence:
    """One signed sentence with its spoken-language text (see module doc for layouts)."""

    id: str
    language: str  # 'asl' | 'csl' | 'dgs'
    text: str  # spoken language: English / Chinese / German
    gloss: list[str]  # sign glosses in signing order
    signer: int
    split: str  # 'train' | 'val' | 'test'
    v133: np.ndarray  # (T, 133) float32, SOKE vector, axis-angle
    face108: np.ndarray  # (T, 108) float32, SMPL-FX face
    bio: np.ndarray  # (T,) int8: 0 outside, 2 sign start, 1 inside
    spans: list[tuple[int, int, str]]  # (start, end_exclusive, gloss) per sign
    fps: int = 25

    @property
    def num_frames(self) -> int:
        return int(self.v133.shape[0])

    def validate(self) -> None:
        """Raise ``ValueError`` if shapes, dtypes, tags or spans are inconsistent."""
        check_language(self.language)
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"{self.id}: text={self.text!r}: every sentence needs its spoken-language text (a non-empty string)")
        if isinstance(self.fps, bool) or not isinstance(self.fps, (int, np.integer)) or self.fps < 1:
            raise ValueError(f"{self.id}: fps={self.fps!r}: use the clip's frame rate, a positive integer (SynthSign: 25)")
        check_motion(self.v133, 133, f"{self.id}.v133")
        check_motion(self.face108, 108, f"{self.id}.face108")
        T = self.v133.shape[0]
        if self.face108.shape[0] != T or self.bio.shape != (T,):
            raise ValueError(
                f"{self.id}: v133 has {T} frames but face108 has {self.face108.shape[0]} and bio "
                f"{self.bio.shape}; all per-frame arrays must share the time axis."
            )
        if self.split not in SPLITS:
            raise ValueError(f"{self.id}: split {self.split!r} is not one of {SPLITS}.")
        if len(self.spans) != len(self.gloss):
            raise ValueError(f"{self.id}: {len(self.spans)} spans for {len(self.gloss)} glosses; need one span per gloss.")
        for (s, e, g), g2 in zip(self.spans, self.gloss):
            if g != g2 or not (0 <= s < e <= T) or self.bio[s] != 2 or np.any(self.bio[s + 1:e] != 1):
                raise ValueError(f"{self.id}: span {(s, e, g)} does not match gloss {g2!r} / BIO tags.")


@dataclass
class DictEntry:
    """Word-level citation form (isolated sign, rest to rest), one instance of several."""

    language: str
    word: str  # spoken-language lemma
    gloss: str
    instance: int
    v133: np.ndarray  # (T, 133) float32
    face108: np.ndarray  # (T, 108) float32


@dataclass
class Corpus:
    """Sentences + sign dictionary + ``meta`` (generator config, lexicon facts, pair lists)."""

    sentences: list[Sentence]
    dictionary: list[DictEntry]
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("sentences", "dictionary"):
            v = getattr(self, name)
            if isinstance(v, (str, bytes, dict)) or v is None or not hasattr(v, "__iter__"):
                raise ValueError(f"Corpus.{name}={type(v).__name__}: pass a list of "
                                 f"{'Sentence' if name == 'sentences' else 'DictEntry'} (it may be empty)")
            if not isinstance(v, list):
                setattr(self, name, list(v))
        if not isinstance(self.meta, dict):
            raise ValueError(f"Corpus.meta={type(self.meta).__name__}: pass a dict (generator config, lexicon facts)")

    # ------------------------------------------------------------------ access
    def split(self, name: str) -> list[Sentence]:
        """Sentences of split ``name`` (``'train'``, ``'val'`` or ``'test'``), in corpus order."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}: use one of {SPLITS}.")
        return [s for s in self.sentences if s.split == name]

    @property
    def languages(self) -> list[str]:
        """Languages present, in :data:`LANGUAGES` order."""
        present = {s.language for s in self.sentences} | {d.language for d in self.dictionary}
        return [lang for lang in LANGUAGES if lang in present]

    def by_language(self, language: str, split: str | None = None) -> list[Sentence]:
        check_language(language)
        sents = self.sentences if split is None else self.split(split)
        return [s for s in sents if s.language == language]

    def _index(self) -> dict[tuple[str, str], list[DictEntry]]:
        idx = getattr(self, "_dict_index", None)
        if idx is None or getattr(self, "_dict_index_n", -1) != len(self.dictionary):
            idx = {}
            for d in self.dictionary:
                idx.setdefault((d.language, d.word), []).append(d)
                if d.gloss != d.word:
                    idx.setdefault((d.language, d.gloss), []).append(d)
            object.__setattr__(self, "_dict_index", idx)
            object.__setattr__(self, "_dict_index_n", len(self.dictionary))
        return idx

    def spoken_lexicon(self, language: str) -> SpokenLexicon:
        """Known words of ``language``'s spoken language, for :mod:`slpkit.data.text` (segmentation, lemmas).

        From ``meta['known_words'][language]`` (``{'lemmas': [...], 'irregular': {form: lemma}}``, written by
        the SynthSign generator: its whole word bank) and ``meta['function_words'][language]``; a corpus
        without them (e.g. built from real data) gets its dictionary words as lemmas.
        """
        check_language(language)
        cache = getattr(self, "_lexicons", None)
        if cache is None or getattr(self, "_lexicons_n", -1) != len(self.dictionary):
            cache = {}
            object.__setattr__(self, "_lexicons", cache)
            object.__setattr__(self, "_lexicons_n", len(self.dictionary))
        if language not in cache:
            known = (self.meta.get("known_words") or {}).get(language)
            if known is not None:
                lemmas, irregular = known.get("lemmas", ()), known.get("irregular", {})
            else:
                lemmas, irregular = self.words(language), {}
            function = (self.meta.get("function_words") or {}).get(language, ())
            cache[language] = SpokenLexicon(language, lemmas, irregular, function)
        return cache[language]

    def lookup(self, language: str, word: str) -> list[DictEntry]:
        """Dictionary instances of ``word`` (an inflected form, its lemma, or a gloss); ``[]`` if absent.

        The lemma comes from :meth:`spoken_lexicon` (``lemmatise`` with the corpus's known words).
        """
        check_language(language)
        if not isinstance(word, str):
            raise ValueError(f"word={word!r} ({type(word).__name__}): look up a word as a string, e.g. 'dog'")
        idx = self._index()
        lex = self.spoken_lexicon(language)
        for key in (word, word.lower(), lemmatise(word, language, lex.lemmas, lex.irregular)):
            if (language, key) in idx:
                return list(idx[(language, key)])
        return []

    def words(self, language: str) -> list[str]:
        """Dictionary words (lemmas) of ``language``, sorted."""
        check_language(language)
        return sorted({d.word for d in self.dictionary if d.language == language})

    # ------------------------------------------------------------------ stats
    def summary(self) -> dict[str, Any]:
        """Counts and lengths per language and split (plain Python numbers)."""
        out: dict[str, Any] = {"sentences": len(self.sentences), "dictionary_entries": len(self.dictionary)}
        per: dict[str, Any] = {}
        for lang in self.languages:
            ss = [s for s in self.sentences if s.language == lang]
            lens = np.array([s.num_frames for s in ss]) if ss else np.zeros(1)
            glosses = Counter(g for s in ss for g in s.gloss)
            per[lang] = {
                "sentences": len(ss),
                **{f"n_{sp}": sum(s.split == sp for s in ss) for sp in SPLITS},
                "signers": sorted({s.signer for s in ss}),
                "frames_total": int(lens.sum()),
                "frames_mean": float(lens.mean()),
                "frames_min": int(lens.min()),
                "frames_max": int(lens.max()),
                "signs_per_sentence": float(np.mean([len(s.gloss) for s in ss])) if ss else 0.0,
                "gloss_vocab": len(glosses),
                "dictionary_words": len({d.word for d in self.dictionary if d.language == lang}),
            }
        out["per_language"] = per
        return out

    def fingerprint(self) -> str:
        """SHA-1 over every array and string of the corpus (equal iff bit-for-bit equal content)."""
        h = hashlib.sha1()
        for s in self.sentences:
            h.update(f"{s.id}|{s.language}|{s.text}|{' '.join(s.gloss)}|{s.signer}|{s.split}|{s.fps}|{s.spans}".encode())
            for a in (s.v133, s.face108, s.bio):
                h.update(str(a.dtype).encode() + str(a.shape).encode())
                h.update(np.ascontiguousarray(a).tobytes())
        for d in self.dictionary:
            h.update(f"{d.language}|{d.word}|{d.gloss}|{d.instance}".encode())
            for a in (d.v133, d.face108):
                h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def __len__(self) -> int:
        return len(self.sentences)

    def __repr__(self) -> str:
        return (f"Corpus({len(self.sentences)} sentences, {len(self.dictionary)} dictionary entries, "
                f"languages={self.languages})")
