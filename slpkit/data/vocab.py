"""One text vocabulary for every model that reads or writes spoken-language text.

The back-translator writes text, DARSLP's transformer and SignSparK's flow model read it, and
SOKE's integrated vocabulary puts it in front of its motion tokens; all of them use
:class:`TextVocab`: a word-level vocabulary built from training sentences::

    0 <pad>   1 <unk>   2 <s>   3 </s>   4.. language tokens en_ASL zh_CSL de_DGS   then words by frequency

Tokenisation (:func:`tokenize`) keeps words and punctuation as separate tokens (case kept unless
``lowercase``); Chinese is split per character (``zh='char'``, what back-translation scoring
uses) or into words with jieba (``zh='jieba'``; pass ``words=`` to add a lexicon so segmentation
matches the glosses, as SOKE's retrieval needs). :func:`detokenize` undoes it with the usual
spacing rules, so ``detokenize(tokenize(t)) == t`` for corpus text.

    >>> v = TextVocab.build(["The dog runs."], ["asl"])
    >>> v.decode(v.encode("The dog runs.", "asl", eos=True), "asl")
    'The dog runs.'
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import torch

from slpkit.checks import check_int
from slpkit.data.text import LANG_TOKENS, check_language
from slpkit.data.text import jieba_tokenizer as _jieba

__all__ = ["PAD", "UNK", "BOS", "EOS", "SPECIALS", "ZH_MODES", "tokenize", "detokenize", "TextVocab"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, BOS, EOS)
ZH_MODES = ("char", "jieba")
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
_NO_SPACE_BEFORE = set(".,!?;:)]}%…")
_NO_SPACE_AFTER = set("([{¿¡")


def _check_zh(zh: str) -> str:
    if zh not in ZH_MODES:
        raise ValueError(f"zh={zh!r}: use 'char' (one token per Chinese character) or 'jieba' (jieba words)")
    return zh


def tokenize(text: str, language: str, zh: str = "char", lowercase: bool = False, words: Iterable[str] = ()) -> list[str]:
    """Word and punctuation tokens of ``text``; Chinese per character or jieba word (``zh``)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}: {text!r}")
    check_language(language)
    if language == "csl":
        if _check_zh(zh) == "jieba":
            return [t for t in _jieba(frozenset(words)).lcut(text, HMM=False) if t.strip()]
        return [c for c in text if not c.isspace()]
    return _WORD_RE.findall(text.lower() if lowercase else text)


def detokenize(tokens: Sequence[str], language: str) -> str:
    """Inverse of :func:`tokenize` for the usual spacing rules (no space before . , ! ? ; :)."""
    if isinstance(tokens, (str, bytes)) or tokens is None or not hasattr(tokens, "__iter__"):
        raise ValueError(f"tokens={tokens!r}: pass a list of token strings (what tokenize returns), not "
                         f"{'one string' if isinstance(tokens, str) else type(tokens).__name__}; to turn ids into text "
                         "use TextVocab.decode(ids, language)")
    tokens = list(tokens)
    for i, t in enumerate(tokens):
        if not isinstance(t, str):
            raise ValueError(f"tokens[{i}]={t!r} ({type(t).__name__}) is not a token string: detokenize takes tokens; "
                             "for token ids use TextVocab.decode(ids, language)")
    check_language(language)
    if language == "csl":
        return "".join(tokens)
    out = ""
    for t in tokens:
        if not out or t in _NO_SPACE_BEFORE or out[-1] in _NO_SPACE_AFTER or t.startswith("'"):
            out += t
        else:
            out += " " + t
    return out


class TextVocab:
    """Word-level vocabulary (see the module docstring for the id layout)."""

    def __init__(self, words: Sequence[str], lowercase: bool = False, zh: str = "char",
                 languages: Mapping[str, str] | None = None, jieba_words: Iterable[str] = ()):
        if isinstance(words, (str, bytes)) or words is None or not hasattr(words, "__iter__"):
            raise ValueError(f"words={words!r}: pass a list of word strings (a single string would become its "
                             "characters)")
        words = list(words)
        if not all(isinstance(w, str) for w in words):
            bad = next(w for w in words if not isinstance(w, str))
            raise ValueError(f"words holds {bad!r} ({type(bad).__name__}): every word must be a string")
        self.languages = dict(languages or LANG_TOKENS)
        self.lowercase, self.zh = bool(lowercase), _check_zh(zh)
        self.jieba_words = tuple(sorted(set(jieba_words)))
        head = list(SPECIALS) + list(self.languages.values())
        words = [w for w in words if w not in head]
        self.itos: list[str] = head + list(dict.fromkeys(words))
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = range(4)
        self.first_word = len(head)

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, texts: Sequence[str], languages: Sequence[str], *, lowercase: bool = False, zh: str = "char",
              min_count: int = 1, extra_words: Iterable[str] = (), jieba_words: Iterable[str] = ()) -> "TextVocab":
        """Vocabulary of the words of ``texts`` (most frequent first, ties alphabetical) + ``extra_words``."""
        if isinstance(texts, str) or isinstance(languages, str):
            raise ValueError("texts and languages must be lists (one entry per sentence), not single strings")
        if texts is None or languages is None or not hasattr(texts, "__len__") or not hasattr(languages, "__len__"):
            raise ValueError(f"texts={type(texts).__name__}, languages={type(languages).__name__}: pass two lists, "
                             "one text and one language per sentence")
        check_int(min_count, "min_count", min=1, hint="keep words seen at least this often in the texts")
        if len(texts) != len(languages):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages: pass one language per text")
        if not texts:
            raise ValueError("cannot build a vocabulary from zero sentences: pass the training texts")
        extra_words, jieba_words = list(extra_words), tuple(jieba_words)  # iterators would be used up
        counts: Counter = Counter()
        for t, lang in zip(texts, languages):
            counts.update(tokenize(t, lang, zh, lowercase, jieba_words))
        words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        if not words and not extra_words:
            raise ValueError(f"min_count={min_count}: no word occurs that often in the {len(texts)} texts (the most "
                             f"frequent occurs {max(counts.values(), default=0)} times): lower min_count")
        extra = [w for w in extra_words if w not in counts]
        return cls(words + extra, lowercase=lowercase, zh=zh, jieba_words=jieba_words)

    def to_dict(self) -> dict[str, Any]:
        return {"words": self.itos[self.first_word:], "lowercase": self.lowercase, "zh": self.zh,
                "languages": self.languages, "jieba_words": list(self.jieba_words)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TextVocab":
        try:
            return cls(d["words"], lowercase=d["lowercase"], zh=d["zh"], languages=d["languages"],
                       jieba_words=d.get("jieba_words", ()))
        except (KeyError, TypeError) as err:
            raise ValueError(f"not a TextVocab description (missing {err}): expected TextVocab.to_dict() output") from err

    # ------------------------------------------------------------------ ids
    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"TextVocab({len(self)} tokens: {len(self) - self.first_word} words, languages {list(self.languages)})"

    def language_id(self, language: str) -> int:
        if language not in self.languages:
            raise ValueError(f"unknown sign language {language!r}: this vocabulary has {list(self.languages)}")
        return self.stoi[self.languages[language]]

    def tokens(self, text: str, language: str) -> list[str]:
        return tokenize(text, language, self.zh, self.lowercase, self.jieba_words)

    def encode(self, text: str, language: str, *, lang: bool = False, bos: bool = False, eos: bool = False,
               max_len: int | None = None) -> list[int]:
        """Ids of ``text``; optional leading language token / ``<s>`` and trailing ``</s>``."""
        max_len = check_int(max_len, "max_len", min=1, none_ok=True, hint="text tokens to keep (None: all)")
        ids = [self.stoi.get(t, self.unk_id) for t in self.tokens(text, language)]
        if max_len is not None:
            ids = ids[:max_len]
        head = ([self.language_id(language)] if lang else []) + ([self.bos_id] if bos else [])
        return head + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: Iterable[int], language: str) -> str:
        """Text of ``ids``: stops at ``</s>``, skips specials and language tokens."""
        if isinstance(ids, (str, bytes)) or ids is None or not hasattr(ids, "__iter__"):
            raise ValueError(f"ids={ids!r}: pass a list (or 1-D tensor) of integer token ids")
        if isinstance(ids, (torch.Tensor, np.ndarray)) and ids.ndim != 1:
            raise ValueError(f"ids has shape {tuple(ids.shape)}: decode one sequence at a time, a 1-D list of ids")
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) and not (hasattr(i, "dtype") and "int" in str(i.dtype)):
                raise ValueError(f"token ids must be integers, got {type(i).__name__} {i!r}")
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise ValueError(f"token id {i} is outside this vocabulary of {len(self.itos)} tokens")
            if i == self.eos_id:
                break
            if i >= self.first_word:
                out.append(self.itos[i])
        return detokenize(out, language)

    def batch(self, texts: Sequence[str], languages: Sequence[str], *, lang: bool = True, bos: bool = False,
              eos: bool = False, max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded ``ids (B, L)`` (0 = pad) and ``mask (B, L)`` (True = token)."""
        if isinstance(texts, str) or isinstance(languages, str):
            raise ValueError("pass a list of texts and a list of languages, not single strings")
        if texts is None or languages is None or not hasattr(texts, "__len__") or not hasattr(languages, "__len__"):
            raise ValueError(f"texts={type(texts).__name__}, languages={type(languages).__name__}: pass two lists")
        if len(texts) != len(languages) or not texts:
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages: pass one language per text (>= 1)")
        seqs = [self.encode(t, l, lang=lang, bos=bos, eos=eos, max_len=max_len) for t, l in zip(texts, languages)]
        L = max(1, max(len(s) for s in seqs))
        ids = torch.zeros(len(seqs), L, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        return ids, ids != self.pad_id
