"""SR-T2P keyframes: retrieve the words' citation forms, segment them with FAST, place them on a timeline.

SignSparK Table 1's "Sign Retrieval Text-to-Pose" conditions the flow model on keyframes taken from a
sign dictionary (SOKE's: word-level citation forms, rest to rest). slpkit's pipeline for one sentence:

1. **retrieve**: the sentence's lemmas (``slpkit.data.text.lemmas`` with ``Corpus.spoken_lexicon``) looked up in the corpus dictionary
   (``Corpus.lookup``), in sentence order, each word once, instance 0 of each word;
2. **segment**: FAST (or any :class:`~slpkit.generators.signspark.fast.Segmenter`) finds the sign inside
   each citation form (the longest span; the whole clip if FAST finds none) -> onset / middle / offset
   frames and their ``(3, 296)`` values (SignSparK Fig. 2b);
3. **place**: the signs keep their citation durations and are laid out in sentence order on a timeline
   of ``T`` frames (the flow model's length prediction), the remaining frames shared equally by the
   lead-in, the ``n - 1`` transitions and the lead-out (at least ``min_gap`` frames each; ``T`` grows if
   the signs do not fit).

The sentence's word order is used as is: SynthSign's grammars reorder signs (topics and time first,
verb-final DGS), which a text-side retrieval cannot know, so SR-T2P keyframes can be in another order
than the reference signing, as they would be for SOKE's keyword prompts.

    planner = RetrievalPlanner(corpus, segmenter)
    plan = planner.plan("The dog runs.", "asl", length=90)
    plan.keyframes, plan.values.shape, plan.words
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from slpkit.data.text import lemmas
from slpkit.generators.signspark.features import FEATURE_DIM, sentence_features

__all__ = ["CitationSign", "RetrievalPlan", "RetrievalPlanner", "place_signs"]


@dataclasses.dataclass
class CitationSign:
    """A dictionary sign cut to its segment: ``frames`` ``(L, 296)`` of the sign itself (onset..offset)."""

    word: str
    gloss: str
    frames: np.ndarray

    @property
    def duration(self) -> int:
        return int(len(self.frames))

    def keyframe_offsets(self) -> np.ndarray:
        """Onset, middle, offset frame within the sign (unique, sorted)."""
        L = self.duration
        return np.unique(np.array([0, (L - 1) // 2, L - 1], np.int64))


@dataclasses.dataclass
class RetrievalPlan:
    """Keyframes of one SR-T2P request: sorted frame indices, their ``(K, 296)`` values, the length."""

    keyframes: np.ndarray
    values: np.ndarray
    length: int
    words: list[str]
    starts: list[int]


def place_signs(signs: Sequence[CitationSign], length: int, min_gap: int = 2) -> tuple[np.ndarray, np.ndarray, int, list[int]]:
    """Lay ``signs`` out on ``length`` frames (see the module docstring) -> ``(keyframes, values, length, starts)``."""
    signs = list(signs)
    if not signs:
        return np.zeros(0, np.int64), np.zeros((0, FEATURE_DIM), np.float32), int(length), []
    n = len(signs)
    total = sum(s.duration for s in signs)
    T = max(int(length), total + (n + 1) * int(min_gap))
    gap = (T - total) / (n + 1)
    starts, kfs, vals = [], [], []
    pos = gap
    for s in signs:
        a = int(round(pos))
        a = min(a, T - s.duration)
        starts.append(a)
        off = s.keyframe_offsets()
        kfs.append(a + off)
        vals.append(s.frames[off])
        pos += s.duration + gap
    kf = np.concatenate(kfs)
    values = np.concatenate(vals).astype(np.float32)
    keep = np.r_[True, np.diff(kf) > 0]  # signs never overlap, but be safe with rounding
    return kf[keep], values[keep], T, starts


class RetrievalPlanner:
    """Dictionary retrieval + FAST segmentation + timeline placement for SR-T2P (module docstring).

    ``segmenter``: anything with ``segment(list of (T, 296)) -> list of span lists``; citation forms are
    segmented once and remembered.
    """

    def __init__(self, corpus: Any, segmenter: Any, instance: int = 0, min_gap: int = 2):
        self.corpus, self.segmenter = corpus, segmenter
        self.instance, self.min_gap = int(instance), int(min_gap)
        self._signs: dict[tuple[str, str], CitationSign | None] = {}

    def entries(self, text: str, language: str) -> list[tuple[str, Any]]:
        """``(lemma, DictEntry)`` of the sentence's words found in the dictionary, sentence order, no repeats."""
        out, seen = [], set()
        for w in lemmas(text, language, self.corpus.spoken_lexicon(language)):
            if w in seen:
                continue
            found = self.corpus.lookup(language, w)
            if found:
                seen.add(w)
                pick = [e for e in found if e.instance == self.instance] or found
                out.append((w, pick[0]))
        return out

    def _prepare(self, pairs: Sequence[tuple[str, Any]], language: str) -> None:
        todo = list({w: (w, e) for w, e in pairs if (language, w) not in self._signs}.values())
        if not todo:
            return
        frames = sentence_features([e for _, e in todo])
        spans = self.segmenter.segment(frames)
        for (w, e), f, sp in zip(todo, frames, spans):
            if sp:
                a, b = max(sp, key=lambda x: x[1] - x[0])
            else:
                a, b = 0, len(f)
            self._signs[(language, w)] = CitationSign(w, e.gloss, f[a:b].copy())

    def signs(self, text: str, language: str) -> list[CitationSign]:
        pairs = self.entries(text, language)
        self._prepare(pairs, language)
        return [self._signs[(language, w)] for w, _ in pairs]

    def plan(self, text: str, language: str, length: int) -> RetrievalPlan:
        """Keyframes for ``text`` on about ``length`` frames (longer if the retrieved signs need it)."""
        signs = self.signs(text, language)
        kf, vals, T, starts = place_signs(signs, length, self.min_gap)
        return RetrievalPlan(kf, vals, T, [s.word for s in signs], starts)

    def plans(self, texts: Sequence[str], languages: Sequence[str], lengths: Sequence[int]) -> list[RetrievalPlan]:
        texts, languages, lengths = list(texts), list(languages), list(lengths)
        for lang in sorted(set(languages)):  # segment every needed citation form in one batch per language
            pairs = [p for t, l in zip(texts, languages) if l == lang for p in self.entries(t, l)]
            self._prepare(pairs, lang)
        return [self.plan(t, l, n) for t, l, n in zip(texts, languages, lengths)]
