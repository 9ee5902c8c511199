"""Data: the SynthSign generator, corpus containers, text utilities, real-format loaders.

``from slpkit.data import Corpus, Sentence, DictEntry, LANGUAGES`` ;
the generator: ``slpkit.data.synthsign.generate(SynthSignConfig.for_mode('smoke', seed=0))``.
"""

from slpkit.data.corpus import SPLITS, Corpus, DictEntry, Sentence
from slpkit.data.text import LANG_TOKENS, LANGUAGES, SPOKEN, check_language, lemmatise, segment

__all__ = [
    "Corpus", "DictEntry", "Sentence", "SPLITS",
    "LANGUAGES", "SPOKEN", "LANG_TOKENS", "check_language", "segment", "lemmatise",
]
