"""The text side of SignSparK's flow model: one place that chooses the word vocabulary.

SignSparK uses slpkit's shared word-level :class:`slpkit.data.vocab.TextVocab` (the back-translator's):
``<pad> <unk> <s> </s>``, the language tokens ``en_ASL`` / ``zh_CSL`` / ``de_DGS``, then the training words
(lower-cased here; Chinese one token per character). Every sentence is encoded with its language token in
front. Everything else in :mod:`slpkit.generators.signspark` goes through the four functions below, so
swapping the vocabulary is a change to this file only.

    >>> v = build_vocab(["The dog runs."], ["asl"])
    >>> ids, mask = encode(v, ["the dog"], ["asl"])
    >>> ids.shape, bool(mask.all())
    (torch.Size([1, 3]), True)
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch

from slpkit.data.vocab import TextVocab

__all__ = ["TextVocab", "build_vocab", "encode", "vocab_state", "vocab_from_state"]


def build_vocab(texts: Sequence[str], languages: Sequence[str]) -> TextVocab:
    """Word vocabulary of the training sentences (``ValueError`` on zero sentences)."""
    return TextVocab.build(list(texts), list(languages), lowercase=True, zh="char")


def encode(vocab: TextVocab, texts: Sequence[str], languages: Sequence[str], max_len: int | None = None
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids ``(B, L)`` (0 = pad, language token first) and mask ``(B, L)`` (True = real token)."""
    return vocab.batch(list(texts), list(languages), lang=True, max_len=max_len)


def vocab_state(vocab: TextVocab) -> dict[str, Any]:
    """What to save (plain Python values)."""
    return vocab.to_dict()


def vocab_from_state(state: Mapping[str, Any]) -> TextVocab:
    """Inverse of :func:`vocab_state`."""
    return TextVocab.from_dict(state)
