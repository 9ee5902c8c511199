"""Spoken-language text utilities: languages, segmentation, inflection and lemmas.

SynthSign pairs each sign language with a spoken language (ASL-English,
CSL-Chinese, DGS-German, as in SOKE's How2Sign / CSL-Daily / Phoenix-2014T).
Retrieval from a sign dictionary (SOKE Sec. 3.4) looks words of the sentence up in
the dictionary, which needs

- segmentation (:func:`segment`): Chinese is written without spaces, so it is segmented
  with ``jieba`` (deterministic, dictionary-based, HMM off, with a lexicon's words
  added); English and German are lower-cased and split on non-letters;
- lemmatisation (:func:`lemmatise`): the generator inflects words (English 3rd person
  ``-s``, German verb person endings and adjective endings, a few listed irregular forms)
  and :func:`lemmatise` undoes exactly those rules, checking candidates against known
  lemmas.

Both take the known words as arguments: this module knows the rules, not a language's
words. A corpus hands out its lexicon as a :class:`SpokenLexicon`
(``corpus.spoken_lexicon('dgs').lemmatise('isst') == 'essen'``), SynthSign's from its
word bank.

The inflection helpers (:func:`en_verb`, :func:`de_verb`, :func:`de_adjective`)
are the ones the generator uses, so text and lemmas stay consistent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping

LANGUAGES: tuple[str, ...] = ("asl", "csl", "dgs")
SPOKEN: dict[str, str] = {"asl": "en", "csl": "zh", "dgs": "de"}
LANG_TOKENS: dict[str, str] = {"asl": "en_ASL", "csl": "zh_CSL", "dgs": "de_DGS"}

_PUNCT_ZH = set("，。？！、；：“”‘’（）《》,.?!;: \t\n")
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


PERSONS: tuple[str, ...] = ("1s", "2s", "3s", "1p")


def _check_person(person: str) -> str:
    if person not in PERSONS:
        raise ValueError(f"person={person!r}: use one of {PERSONS} (1st / 2nd / 3rd singular, 1st plural)")
    return person


def _check_str(x, name: str) -> str:
    if not isinstance(x, str):
        raise ValueError(f"{name}={x!r} ({type(x).__name__}): pass a string")
    return x


def check_language(lang: str) -> str:
    """Return ``lang`` if it is one of :data:`LANGUAGES`, else raise ``ValueError``."""
    if lang not in LANGUAGES:
        raise ValueError(
            f"unknown sign language {lang!r}: use one of {', '.join(repr(x) for x in LANGUAGES)} "
            "(ASL with English text, CSL with Chinese, DGS with German)."
        )
    return lang


# --------------------------------------------------------------------------- inflection
def en_verb(lemma: str, person: str) -> str:
    """English present tense: 3rd person singular gets ``-s``/``-es``/``-ies``.

    ``person`` is one of ``'1s', '2s', '3s', '1p'``.
    """
    _check_str(lemma, "lemma")
    if _check_person(person) != "3s":
        return lemma
    if lemma == "have":
        return "has"
    if lemma == "do":
        return "does"
    if lemma == "go":
        return "goes"
    if re.search(r"(s|sh|ch|x|z|o)$", lemma):
        return lemma + "es"
    if re.search(r"[^aeiou]y$", lemma):
        return lemma[:-1] + "ies"
    return lemma + "s"


def _de_stem(lemma: str) -> str:
    if lemma.endswith("eln") or lemma.endswith("ern"):
        return lemma[:-1]
    return lemma[:-2] if lemma.endswith("en") else lemma[:-1]


def de_verb(lemma: str, person: str, irregular: dict[str, str] | None = None) -> str:
    """German present tense of a (regular) verb, ``person`` in ``'1s', '2s', '3s', '1p'``.

    Rules: ich ``-e``, du ``-st`` (``-est`` after t/d or consonant+n/m, ``-t`` after
    s/ß/z/x), er/sie ``-t`` (``-et`` after t/d or consonant+n/m), wir = infinitive.
    ``irregular`` maps person -> form and wins (e.g. ``essen``: ``{'2s': 'isst', '3s': 'isst'}``).
    """
    _check_str(lemma, "lemma")
    _check_person(person)
    if irregular and person in irregular:
        return irregular[person]
    if person == "1p":
        return lemma
    stem = _de_stem(lemma)
    needs_e = bool(re.search(r"([td]|[^aeioulrhmn][nm])$", stem))
    if person == "1s":
        return stem + "e" if not stem.endswith("e") else stem
    if person == "2s":
        if re.search(r"(s|ß|z|x)$", stem):
            return stem + "t"
        return stem + ("est" if needs_e else "st")
    return stem + ("et" if needs_e else "t")


def de_adjective(lemma: str, strong_en: bool) -> str:
    """German attributive adjective after a definite article: ``-en`` or ``-e``."""
    base = lemma[:-1] if lemma.endswith("e") else lemma
    return base + ("en" if strong_en else "e")


# --------------------------------------------------------------------------- lexicon
@dataclass(frozen=True)
class SpokenLexicon:
    """The known words of one spoken language: what :func:`lemmatise` and :func:`segment` need.

    ``lemmas``: dictionary forms (lower case, Chinese as written); ``irregular``: inflected form ->
    lemma for forms no rule explains (German ``isst`` -> ``essen``); ``function_words``: words with no
    sign of their own (articles, particles), needed to segment Chinese. A corpus hands out its own
    (:meth:`slpkit.data.corpus.Corpus.spoken_lexicon`); nothing here knows a particular language's words.
    """

    language: str
    lemmas: frozenset = frozenset()
    irregular: Mapping[str, str] = field(default_factory=dict)
    function_words: frozenset = frozenset()

    def __post_init__(self) -> None:
        check_language(self.language)
        for name in ("lemmas", "function_words"):
            v = getattr(self, name)
            if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
                raise ValueError(f"SpokenLexicon.{name}={v!r}: pass a collection of words, e.g. [{v!r}] "
                                 "(a single string would be read as its characters)")
        if not isinstance(self.irregular, Mapping):
            raise ValueError(f"SpokenLexicon.irregular={self.irregular!r}: pass a mapping {{inflected form: lemma}}")
        object.__setattr__(self, "lemmas", frozenset(self.lemmas))
        object.__setattr__(self, "irregular", dict(self.irregular))
        object.__setattr__(self, "function_words", frozenset(self.function_words))
        object.__setattr__(self, "_words", self.lemmas | frozenset(self.irregular) | self.function_words)

    @property
    def words(self) -> frozenset:
        """Every known written word (lemmas, irregular forms, function words): the segmentation list."""
        return self._words  # type: ignore[attr-defined]

    def lemmatise(self, word: str) -> str:
        """:func:`lemmatise` with this lexicon."""
        return lemmatise(word, self.language, self.lemmas, self.irregular)

    def segment(self, text: str) -> list[str]:
        """:func:`segment` with this lexicon's words."""
        return segment(text, self.language, self.words)

    def lemmas_of(self, text: str) -> list[str]:
        """:func:`segment` then :func:`lemmatise` every word, with this lexicon."""
        return [self.lemmatise(w) for w in self.segment(text)]

    def state(self) -> dict[str, Any]:
        """Plain-Python description (sorted lists), e.g. to store in a checkpoint; inverse :meth:`from_state`."""
        return {"language": self.language, "lemmas": sorted(self.lemmas),
                "irregular": dict(sorted(self.irregular.items())), "function_words": sorted(self.function_words)}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "SpokenLexicon":
        try:
            return cls(state["language"], state.get("lemmas", ()), state.get("irregular", {}),
                       state.get("function_words", ()))
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"not a SpokenLexicon description ({type(err).__name__}: {err}): "
                             "expected SpokenLexicon.state() output") from err


# --------------------------------------------------------------------------- lemmas
def lemmatise(word: str, language: str, known: Iterable[str] = (),
              irregular: Mapping[str, str] | None = None) -> str:
    """Lemma of ``word`` in the spoken language of ``language`` (rule-based).

    Undoes the inflections of :func:`en_verb`, :func:`de_verb` and :func:`de_adjective`:
    a word in ``known`` (lemmas) is its own lemma, one in ``irregular`` (form -> lemma) maps
    to its lemma, otherwise suffix-stripping candidates are tried in a fixed order and the
    first one in ``known`` wins. A word no rule explains comes back lower-cased, so with no
    ``known`` words this only lower-cases. Chinese words are not inflected and come back
    unchanged. A corpus's lexicon: ``corpus.spoken_lexicon(language).lemmatise(word)``.
    """
    check_language(language)
    _check_str(word, "word")
    if isinstance(known, (str, bytes)):
        raise ValueError(f"known={known!r} is a single string: pass a collection of lemmas, e.g. [{known!r}]")
    w = word.lower() if SPOKEN[language] != "zh" else word
    known_set = known if isinstance(known, frozenset) else frozenset(known)
    irr = irregular or {}
    if w in known_set:
        return w
    if w in irr:
        return irr[w]
    lang = SPOKEN[language]
    cands: list[str] = []
    if lang == "en":
        if w.endswith("ies"):
            cands.append(w[:-3] + "y")
        if w.endswith("es"):
            cands.append(w[:-2])
        if w.endswith("s"):
            cands.append(w[:-1])
    elif lang == "de":
        # verbs: -e, -st, -est, -t, -et -> stem + en / n ; adjectives: -e, -en
        for suf in ("est", "et", "st", "t", "e", "en", "n"):
            if w.endswith(suf) and len(w) > len(suf) + 1:
                stem = w[: -len(suf)]
                cands += [stem + "en", stem + "n", stem, stem + "e"]
    for c in cands:
        if len(c) > 1 and c in known_set:
            return c
    return w


# --------------------------------------------------------------------------- segmentation
@lru_cache(maxsize=8)
def jieba_tokenizer(words: frozenset):
    """A ``jieba.Tokenizer`` with ``words`` added at a high frequency (so they are never split), cached per word set."""
    import jieba  # optional heavy import (dictionary load): only Chinese segmentation needs it

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for w in sorted(words):
        tok.add_word(w, freq=10**6)
    return tok


def _max_match(token: str, vocab: frozenset, max_len: int = 4) -> list[str]:
    """Split a jieba token that merged known words (e.g. ``好的`` -> ``好 的``) by forward maximum matching.

    Returns ``[token]`` unchanged when it cannot be covered by known words.
    """
    out, i = [], 0
    while i < len(token):
        for n in range(min(max_len, len(token) - i), 0, -1):
            if token[i:i + n] in vocab:
                out.append(token[i:i + n])
                i += n
                break
        else:
            return [token]
    return out


def segment(text: str, language: str, words: Iterable[str] = ()) -> list[str]:
    """Split spoken text into words (punctuation dropped).

    Chinese (``csl``): ``jieba`` with HMM off and ``words`` added (deterministic); a token
    that is not in ``words`` but can be covered by them is split further by forward maximum
    matching, so the result matches a lexicon's word boundaries (give the lemmas *and* the
    function words). English / German: lower-cased, split on anything that is not a letter
    (apostrophes kept inside words); ``words`` is not needed.
    """
    check_language(language)
    _check_str(text, "text")
    if isinstance(words, (str, bytes)):
        raise ValueError(f"words={words!r} is a single string: pass a collection of words, e.g. [{words!r}]")
    if SPOKEN[language] == "zh":
        vocab = words if isinstance(words, frozenset) else frozenset(words)
        toks = jieba_tokenizer(vocab).lcut(text, HMM=False)
        toks = [t for t in (x.strip() for x in toks) if t and not all(ch in _PUNCT_ZH for ch in t)]
        out: list[str] = []
        for t in toks:
            out += [t] if t in vocab else _max_match(t, vocab)
        return out
    return [m.group(0) for m in _WORD_RE.finditer(text.lower())]


def lemmas(text: str, language: str, lexicon: SpokenLexicon | None = None) -> list[str]:
    """:func:`segment` then :func:`lemmatise` every word, with ``lexicon`` (``None``: no known words)."""
    if lexicon is None:
        return [lemmatise(w, language) for w in segment(text, language)]
    if lexicon.language != language:
        raise ValueError(f"lexicon of {lexicon.language!r} given for text in {language!r}: "
                         f"pass corpus.spoken_lexicon({language!r})")
    return lexicon.lemmas_of(text)
