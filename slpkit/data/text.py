"""Spoken-language text utilities: languages, segmentation, inflection and lemmas.

SynthSign pairs each sign language with a spoken language (ASL-English,
CSL-Chinese, DGS-German, as in SOKE's How2Sign / CSL-Daily / Phoenix-2014T).
Retrieval from a sign dictionary (SOKE Sec. 3.4) looks words of the sentence up in
the dictionary, which needs

- segmentation: Chinese is written without spaces, so it is segmented with
  ``jieba`` (deterministic, dictionary-based, HMM off, with the SynthSign word list
  added); English and German are lower-cased and split on non-letters;
- lemmatisation: the generator inflects words (English 3rd person ``-s``, German
  verb person endings and adjective endings, a few listed irregular forms) and
  :func:`lemmatise` undoes exactly those rules, checking candidates against the
  known lemmas (by default the SynthSign word bank).

The inflection helpers (:func:`en_verb`, :func:`de_verb`, :func:`de_adjective`)
are the ones the generator uses, so text and lemmas stay consistent.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

LANGUAGES: tuple[str, ...] = ("asl", "csl", "dgs")
SPOKEN: dict[str, str] = {"asl": "en", "csl": "zh", "dgs": "de"}
LANG_TOKENS: dict[str, str] = {"asl": "en_ASL", "csl": "zh_CSL", "dgs": "de_DGS"}

_PUNCT_ZH = set("，。？！、；：“”‘’（）《》,.?!;: \t\n")
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


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
    if person != "3s":
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


# --------------------------------------------------------------------------- lemmas
@lru_cache(maxsize=None)
def _default_known(language: str) -> tuple[frozenset, dict]:
    from slpkit.data.synthsign.lexicon import known_words

    return known_words(language)


def lemmatise(word: str, language: str, known: Iterable[str] | None = None,
              irregular: dict[str, str] | None = None) -> str:
    """Lemma of ``word`` in the spoken language of ``language`` (rule-based).

    Undoes the generator's inflections (:func:`en_verb`, :func:`de_verb`,
    :func:`de_adjective`, listed irregular forms). Candidates are checked against
    ``known`` lemmas (default: the SynthSign word bank); a word no rule explains is
    returned lower-cased. Chinese words are not inflected and come back unchanged.
    """
    check_language(language)
    w = word.lower() if SPOKEN[language] != "zh" else word
    if known is None:
        known_set, irr = _default_known(language)
    else:
        known_set, irr = frozenset(known), {}
    if irregular:
        irr = {**irr, **irregular}
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
@lru_cache(maxsize=None)
def _jieba_tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    known, irr = _default_known("csl")
    for w in sorted(set(known) | set(irr)):
        tok.add_word(w, freq=10**6)
    return tok


@lru_cache(maxsize=None)
def _zh_vocab() -> frozenset:
    from slpkit.data.synthsign.lexicon import FUNCTION_WORDS

    known, irr = _default_known("csl")
    return frozenset(known) | frozenset(irr) | FUNCTION_WORDS["csl"]


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


def segment(text: str, language: str) -> list[str]:
    """Split spoken text into words (punctuation dropped).

    Chinese (``csl``): ``jieba`` with HMM off and the SynthSign word list added, so
    the result is deterministic and matches the glosses' words. English/German:
    lower-cased, split on anything that is not a letter (apostrophes kept inside words).
    """
    check_language(language)
    if SPOKEN[language] == "zh":
        toks = _jieba_tokenizer().lcut(text, HMM=False)
        toks = [t for t in (x.strip() for x in toks) if t and not all(ch in _PUNCT_ZH for ch in t)]
        vocab = _zh_vocab()
        out: list[str] = []
        for t in toks:
            out += t if isinstance(t, list) else (_max_match(t, vocab) if t not in vocab else [t])
        return out
    return [m.group(0) for m in _WORD_RE.finditer(text.lower())]


def lemmas(text: str, language: str) -> list[str]:
    """:func:`segment` then :func:`lemmatise` every word."""
    return [lemmatise(w, language) for w in segment(text, language)]
