"""Data: the SynthSign generator, corpus containers, text utilities, real-format loaders.

``from slpkit.data import Corpus, Sentence, DictEntry, LANGUAGES`` ; a corpus's spoken-language
words for :func:`segment` / :func:`lemmatise`: ``corpus.spoken_lexicon('dgs')`` (a :class:`SpokenLexicon`);
the generator: ``slpkit.data.synthsign.generate(SynthSignConfig.for_mode('smoke', seed=0))``.
"""

from slpkit.data.corpus import SPLITS, Corpus, DictEntry, Sentence
from slpkit.data.text import LANG_TOKENS, LANGUAGES, SPOKEN, SpokenLexicon, check_language, lemmatise, segment

__all__ = [
    "Corpus", "DictEntry", "Sentence", "SPLITS",
    "LANGUAGES", "SPOKEN", "LANG_TOKENS", "check_language", "segment", "lemmatise", "SpokenLexicon",
]
