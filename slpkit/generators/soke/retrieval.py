"""Retrieval-enhanced prompts (SOKE Sec. 3.4, Fig. 4).

1. :func:`build_sign_dictionary`: every dictionary sign (word-level citation form) is tokenized with the trained
   part-wise tokenizer; ``{(language, lemma): {part: codes}}``. Of several instances of a word the one with the
   lowest tokenizer reconstruction error (MSE of ``decode(encode(x))`` vs ``x``) is kept (SOKE Sec. 3.4). Built
   from a corpus (``build_sign_dictionary(corpus, tokenizer)``) the dictionary also keeps the corpus's spoken
   lexicons (``Corpus.spoken_lexicon``), which keyword search needs.
2. :func:`find_keywords`: the sentence is segmented (jieba for Chinese) and lemmatised with
   :mod:`slpkit.data.text` and the dictionary's lexicon of that language; words found in the dictionary become
   keywords (sentence order, no repeats, at most 3).
3. :func:`prompt_ids`: the encoder input is the sentence followed, for keyword ``i = 1..3``, by the marker
   ``" Key word {i}, "`` (CSL ``" 关键词 {i}, "``, DGS ``" Schlüsselwort {i}, "``) and the keyword's
   per-timestep ``(body, lhand, rhand)`` motion-token triplets, subsampled to at most 10 time steps
   (SOKE's public code; ``docs/reference.md``, "Retrieval prompt"). :func:`prompt_text` renders the same
   prompt as readable text.

Subsampling keeps ``min(K, 10)`` evenly spaced steps including the first and last
(``round(linspace(0, K-1, n))``): slpkit's choice, SOKE's code only fixes the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import torch

from slpkit.checks import check_int, check_texts
from slpkit.data.text import SpokenLexicon, lemmatise, segment
from slpkit.generators.soke.vocab import KEYWORD_MARKERS, SokeVocab, check_text, normalise_language

MAX_KEYWORDS = 3
MAX_PROMPT_STEPS = 10


def as_partwise(tokenizer):
    """Accept a ``PartwiseTokenizer`` or the Lightning ``TokenizerModule`` returned by ``train_tokenizer``."""
    tok = getattr(tokenizer, "tokenizer", tokenizer)
    if not hasattr(tok, "encode") or not hasattr(tok, "decode"):
        raise ValueError(f"expected a PartwiseTokenizer (or TokenizerModule), got {type(tokenizer).__name__}")
    return tok


@dataclass
class SignDictionary:
    """``entries[(language, lemma)] = {part: LongTensor (K,) codes}``; ``errors`` the kept instance's
    reconstruction MSE, ``instances`` its instance index; ``lexicons[language]`` the spoken lexicon used to
    find keywords (:meth:`lexicon`)."""

    entries: dict[tuple[str, str], dict[str, torch.Tensor]] = field(default_factory=dict)
    errors: dict[tuple[str, str], float] = field(default_factory=dict)
    instances: dict[tuple[str, str], int] = field(default_factory=dict)
    lexicons: dict[str, SpokenLexicon] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key) -> bool:
        return key in self.entries

    def get(self, language: str, word: str):
        return self.entries.get((language, word))

    def words(self, language: str) -> list[str]:
        return sorted(w for (l, w) in self.entries if l == language)

    def lexicon(self, language: str) -> SpokenLexicon:
        """The stored lexicon of ``language``; without one, the dictionary's own words as lemmas."""
        lex = self.lexicons.get(language)
        return lex if lex is not None else SpokenLexicon(language, self.words(language))

    def state(self) -> dict[str, Any]:
        """Entries, errors, instances and lexicons (plain Python) for a checkpoint; inverse :meth:`from_state`."""
        return {"entries": self.entries, "errors": self.errors, "instances": self.instances,
                "lexicons": {lang: lex.state() for lang, lex in self.lexicons.items()}}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "SignDictionary":
        """Rebuild from :meth:`state` (a state without ``lexicons``, as older checkpoints hold, also works)."""
        if not isinstance(state, Mapping):
            raise ValueError(f"state={type(state).__name__}: pass SignDictionary.state() output (a dict)")
        try:
            lex = {lang: SpokenLexicon.from_state(v) for lang, v in (state.get("lexicons") or {}).items()}
            return cls(dict(state.get("entries", {})), dict(state.get("errors", {})), dict(state.get("instances", {})),
                       lex)
        except (TypeError, AttributeError) as err:
            raise ValueError(f"not a SignDictionary state ({type(err).__name__}: {err}): expected "
                             "SignDictionary.state() output") from err


def _entries_and_lexicons(entries: Any, lexicons: Mapping[str, SpokenLexicon] | None) -> tuple[list, dict]:
    """A corpus gives its dictionary and its spoken lexicons; a list of entries gives itself (+ ``lexicons``)."""
    lex = dict(lexicons or {})
    if hasattr(entries, "dictionary") and hasattr(entries, "spoken_lexicon"):   # a Corpus
        corpus = entries
        entries = list(corpus.dictionary)
        for lang in sorted({e.language for e in entries}):
            lex.setdefault(lang, corpus.spoken_lexicon(lang))
    if isinstance(entries, (str, bytes, dict)) or entries is None or not hasattr(entries, "__iter__"):
        raise ValueError(f"entries={type(entries).__name__}: pass a Corpus or a list of DictEntry "
                         "(language, word, instance, v133)")
    entries = list(entries)
    for i, e in enumerate(entries):
        if not all(hasattr(e, a) for a in ("language", "word", "v133")):
            raise ValueError(f"entries[{i}] is a {type(e).__name__}: pass DictEntry objects (language, word, v133), "
                             "e.g. corpus.dictionary")
    return entries, lex


@torch.no_grad()
def build_sign_dictionary(entries: Any, tokenizer, lemmatise_words: bool = True,
                          lexicons: Mapping[str, SpokenLexicon] | None = None) -> SignDictionary:
    """Tokenize every ``DictEntry`` (``language, word, instance, v133``) and keep, per ``(language, lemma)``, the
    instance with the lowest tokenizer reconstruction error.

    ``entries``: a :class:`~slpkit.data.corpus.Corpus` (its dictionary; its ``spoken_lexicon`` of every language is
    stored on the result, so :func:`find_keywords` lemmatises like ``Corpus.lookup``) or any iterable of entries,
    with ``lexicons`` ``{language: SpokenLexicon}`` if known (otherwise the entries' own words serve as lemmas).
    """
    entries, lex = _entries_and_lexicons(entries, lexicons)
    tok = as_partwise(tokenizer)
    was = tok.training
    tok.eval()
    out = SignDictionary(lexicons=lex)
    own = {lang: frozenset(e.word for e in entries if e.language == lang) for lang in {e.language for e in entries}}
    try:
        for e in entries:
            x = torch.as_tensor(np.asarray(e.v133, np.float32))
            codes = tok.encode(x)                              # {part: (K,)}
            rec = tok.decode(codes)[: x.shape[0]]
            err = float(((rec.cpu() - x) ** 2).mean())
            if lemmatise_words:
                known = lex[e.language] if e.language in lex else SpokenLexicon(e.language, own[e.language])
                word = lemmatise(e.word, e.language, known.lemmas, known.irregular)
            else:
                word = e.word
            key = (e.language, word)
            if key not in out.errors or err < out.errors[key]:
                out.entries[key] = {p: c.cpu().long() for p, c in codes.items()}
                out.errors[key] = err
                out.instances[key] = int(getattr(e, "instance", 0))
    finally:
        tok.train(was)
    return out


def find_keywords(text: str, language: str, dictionary: SignDictionary, max_keywords: int = MAX_KEYWORDS,
                  lexicon: SpokenLexicon | None = None) -> list[str]:
    """Lemmas of the sentence's words found in the dictionary: sentence order, no repeats, at most ``max_keywords``.

    Words are segmented and lemmatised with ``lexicon`` (default: ``dictionary.lexicon(language)``).
    """
    check_text(text)
    language = normalise_language(language)
    if not isinstance(dictionary, SignDictionary):
        raise ValueError(f"dictionary={type(dictionary).__name__}: pass a SignDictionary "
                         "(build_sign_dictionary(corpus, tokenizer))")
    max_keywords = check_int(max_keywords, "max_keywords", min=0, hint="keywords per prompt (SOKE: 3; 0 = none)")
    if max_keywords == 0:
        return []
    lex = lexicon if lexicon is not None else dictionary.lexicon(language)
    found: list[str] = []
    for w in segment(text, language, lex.words):
        lem = lemmatise(w, language, lex.lemmas, lex.irregular)
        if (language, lem) in dictionary and lem not in found:
            found.append(lem)
            if len(found) == max_keywords:
                break
    return found


def subsample_steps(n_steps: int, max_steps: int = MAX_PROMPT_STEPS) -> list[int]:
    """Indices of at most ``max_steps`` evenly spaced time steps (first and last kept)."""
    n_steps = check_int(n_steps, "n_steps", min=0)
    max_steps = check_int(max_steps, "max_steps", min=1, hint="time steps of a keyword's motion tokens (SOKE: 10)")
    if n_steps <= max_steps:
        return list(range(n_steps))
    return [int(i) for i in np.round(np.linspace(0, n_steps - 1, max_steps)).astype(int)]


def keyword_triplet_ids(vocab: SokeVocab, codes: Mapping[str, torch.Tensor], max_steps: int = MAX_PROMPT_STEPS) -> list[int]:
    """Per-timestep motion-token tuples of a dictionary sign, ``b1 l1 r1 b2 l2 r2 ...`` as vocabulary ids."""
    missing = [p for p in vocab.parts if p not in codes]
    if missing:
        raise ValueError(f"codes lack part(s) {missing}: a dictionary sign needs codes for every part {list(vocab.parts)} "
                         "(tokenize it with the generator's tokenizer)")
    K = min(int(torch.as_tensor(codes[p]).numel()) for p in vocab.parts)
    ids = {p: vocab.codes_to_ids(p, torch.as_tensor(codes[p]).reshape(-1)[:K]).tolist() for p in vocab.parts}
    out: list[int] = []
    for k in subsample_steps(K, max_steps):
        out += [ids[p][k] for p in vocab.parts]
    return out


def prompt_ids(vocab: SokeVocab, text: str, language: str, dictionary: SignDictionary | None,
               max_keywords: int = MAX_KEYWORDS, max_steps: int = MAX_PROMPT_STEPS) -> list[int]:
    """Retrieval part of the encoder input (to append after the sentence's ids; see
    ``SokeVocab.encode_source``): for each keyword ``i``, marker ids then its motion-token triplets."""
    language = normalise_language(language, vocab.languages)
    if dictionary is None:
        return []
    out: list[int] = []
    for i, word in enumerate(find_keywords(text, language, dictionary, max_keywords), start=1):
        out += vocab.encode_marker(language, i)
        out += keyword_triplet_ids(vocab, dictionary.get(language, word), max_steps)
    return out


def prompt_text(vocab: SokeVocab, text: str, language: str, dictionary: SignDictionary | None,
                max_keywords: int = MAX_KEYWORDS, max_steps: int = MAX_PROMPT_STEPS) -> str:
    """The prompt as a string (for reading): ``text Key word 1, <body_3><lhand_7><rhand_1>...``."""
    language = normalise_language(language, vocab.languages)
    s = text
    if dictionary is None:
        return s
    for i, word in enumerate(find_keywords(text, language, dictionary, max_keywords), start=1):
        s += KEYWORD_MARKERS[language].format(i=i)
        s += "".join(vocab.tokens(keyword_triplet_ids(vocab, dictionary.get(language, word), max_steps)))
    return s


def batch_prompts(vocab: SokeVocab, texts: Sequence[str], languages: Sequence[str], dictionary: SignDictionary | None,
                  **kw) -> list[list[int]]:
    """:func:`prompt_ids` for a batch."""
    texts, languages = check_texts(texts, languages)
    return [prompt_ids(vocab, t, l, dictionary, **kw) for t, l in zip(texts, languages)]
