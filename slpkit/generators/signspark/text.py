"""The text side of SignSparK's flow model: one place that chooses the word vocabulary.

slpkit is unifying its text vocabularies; until then SignSparK uses DARSLP's word-level
:class:`slpkit.generators.darslp.nat.TextVocab` (``<pad>``, ``<unk>``, a language tag ``<asl>`` /
``<csl>`` / ``<dgs>`` in front of every sentence, words lower-cased, Chinese segmented into
words). Everything else in :mod:`slpkit.generators.signspark` goes through the three functions
below, so swapping the vocabulary is a change to this file only.

    >>> v = build_vocab(["The dog runs."], ["asl"])
    >>> ids, mask = encode(v, ["the dog"], ["asl"])
    >>> ids.shape, bool(mask.all())
    (torch.Size([1, 3]), True)
"""

from __future__ import annotations

from typing import Sequence

import torch

from slpkit.generators.darslp.nat import TextVocab

__all__ = ["TextVocab", "build_vocab", "encode", "vocab_tokens", "vocab_from_tokens"]


def build_vocab(texts: Sequence[str], languages: Sequence[str]) -> TextVocab:
    """Word vocabulary of the training sentences (``ValueError`` on zero sentences)."""
    return TextVocab.build(list(texts), list(languages))


def encode(vocab: TextVocab, texts: Sequence[str], languages: Sequence[str], max_len: int | None = None
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids ``(B, L)`` (0 = pad) and mask ``(B, L)`` (True = real token)."""
    return vocab.encode(list(texts), list(languages), max_len=max_len)


def vocab_tokens(vocab: TextVocab) -> list[str]:
    """What to save: the token list (index order)."""
    return list(vocab.itos)


def vocab_from_tokens(tokens: Sequence[str]) -> TextVocab:
    """Inverse of :func:`vocab_tokens`."""
    return TextVocab(list(tokens))
