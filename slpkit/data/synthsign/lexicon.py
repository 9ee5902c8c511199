"""SynthSign lexicons: a concept word bank and per-language sign forms.

The word bank (:data:`WORD_BANK`) lists concepts with real English, Chinese and
German words (German gender and irregular present-tense forms included) and a part
of speech / selectional class. :func:`build_lexicons` draws, for every language, a
sign form per concept from the seeded phonology (:mod:`.phonology`), so the same
concept is signed differently in ASL, CSL and DGS, except for a shared set
(``shared_fraction`` of the open-class concepts, "cold" always among them) whose
form is identical in all three (SOKE Sec. 4.3: "the sign for 'cold' in CSL and DGS
shares similar body movements"). Each lexicon also holds

- ``minimal_pairs``: concept pairs whose forms differ only in handshape;
- ``nmf_pairs``: "confusing" pairs (M3T Sec. 4.5, NMFs-CSL) whose manual forms are
  identical and which differ only in mouthing (face latent 3..7 and jaw opening), i.e.
  mostly in the 100-dim SMPL-FX expression, faintly in SMPL-X's 10 expression dims.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from slpkit.data.synthsign.phonology import HANDSHAPE_NAMES, SignForm, sample_form, sample_mouthing
from slpkit.data.text import SPOKEN, check_language

#: the concept table, one ``|``-separated line per concept: ``word_bank.psv`` beside this module (its header
#: comments give the columns and the part-of-speech classes)
WORD_BANK = (Path(__file__).with_name("word_bank.psv")).read_text(encoding="utf-8")

#: closed classes: always in the vocabulary, never in minimal / NMF pairs or the shared set
CLOSED_POS = ("pron", "time", "wh", "neg")
#: spoken function words that have no sign of their own
FUNCTION_WORDS: dict[str, frozenset] = {
    "asl": frozenset({"the", "a", "do", "does", "will", "be", "is", "am", "are"}),
    "csl": frozenset({"的", "很", "吗", "在"}),
    "dgs": frozenset({"der", "die", "das", "den", "ist", "bin", "bist", "sind"}),
}


@dataclass(frozen=True)
class Concept:
    id: str
    pos: str
    classes: str
    en: str
    zh: str
    de: str
    de_gender: str
    de_irregular: tuple  # ((person, form), ...)

    def word(self, language: str) -> str:
        """Lemma in the spoken language of ``language`` (lower-case except Chinese)."""
        lang = SPOKEN[check_language(language)]
        w = getattr(self, lang)
        return w if lang == "zh" else w.lower()

    def surface(self, language: str) -> str:
        """Dictionary spelling (German nouns capitalised, English 'I')."""
        return getattr(self, SPOKEN[check_language(language)])


@lru_cache(maxsize=None)
def word_bank() -> tuple[Concept, ...]:
    out = []
    for line in WORD_BANK.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cid, pos, classes, en, zh, de, gender, irr = line.split("|")
        irr_t = tuple(tuple(x.split(":")) for x in irr.split(",") if x)
        out.append(Concept(cid, pos, classes, en, zh, de, gender, irr_t))
    return tuple(out)


def known_words(language: str) -> tuple[frozenset, dict]:
    """(lemmas of the whole word bank, {irregular form: lemma}) for ``language``'s spoken language."""
    lang = SPOKEN[check_language(language)]
    lemmas = frozenset(c.word(language) for c in word_bank())
    irr = {}
    if lang == "de":
        for c in word_bank():
            for _, form in c.de_irregular:
                irr[form] = c.word(language)
    return lemmas, irr


def gloss_of(concept: Concept, language: str) -> str:
    """Gloss label: upper-case lemma for ASL / DGS, the Chinese word for CSL (as in CSL-Daily)."""
    w = concept.surface(language)
    return w if SPOKEN[language] == "zh" else w.upper()


def _key(*parts) -> list[int]:
    return [zlib.crc32(str(p).encode()) for p in parts]


def sub_rng(seed: int, *parts) -> np.random.Generator:
    """Deterministic generator for a named sub-stream (no global state)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, *_key(*parts)])


@dataclass
class Lexicon:
    """Concepts of one sign language with their gloss, word and sign form."""

    language: str
    concepts: dict  # concept id -> Concept
    forms: dict  # concept id -> SignForm
    glosses: dict  # concept id -> gloss
    shared: tuple = ()
    minimal_pairs: tuple = ()  # ((concept_a, concept_b), ...) differing only in handshape
    nmf_pairs: tuple = ()  # ((concept_a, concept_b), ...) differing only in face
    form_keys: dict = field(default_factory=dict)  # concept -> seed key (pair partners share it)

    def word(self, cid: str) -> str:
        return self.concepts[cid].word(self.language)

    def by_pos(self, *pos: str) -> list[str]:
        cache = self.__dict__.setdefault("_by_pos", {})
        if pos not in cache:
            cache[pos] = [c for c, k in self.concepts.items() if k.pos in pos]
        return cache[pos]

    def concept_of_gloss(self) -> dict:
        return {g: c for c, g in self.glosses.items()}


def select_vocabulary(seed: int, vocab_fraction: float) -> list[Concept]:
    """Closed classes + a seeded ``vocab_fraction`` of every open class (verbs keep >= 1 object class)."""
    bank = word_bank()
    rng = sub_rng(seed, "vocab")
    chosen: list[Concept] = []
    by_pos: dict[str, list[Concept]] = {}
    for c in bank:
        by_pos.setdefault(c.pos, []).append(c)
    for pos, items in by_pos.items():
        if pos in CLOSED_POS or vocab_fraction >= 1.0:
            chosen += items
            continue
        n = max(2, int(round(vocab_fraction * len(items))))
        idx = np.sort(rng.choice(len(items), size=min(n, len(items)), replace=False))
        keep = [items[i] for i in idx]
        if pos == "adj" and not any(c.id == "COLD" for c in keep):  # SOKE's shared example
            keep[-1] = next(c for c in items if c.id == "COLD")
        chosen += keep
    obj_classes = set("".join(c.classes for c in chosen if c.pos == "obj"))
    chosen = [c for c in chosen if c.pos != "vt" or set(c.classes) & obj_classes]
    order = {c.id: i for i, c in enumerate(bank)}
    return sorted(chosen, key=lambda c: order[c.id])


def build_lexicons(seed: int, languages=("asl", "csl", "dgs"), vocab_fraction: float = 1.0,
                   shared_fraction: float = 0.2, n_minimal_pairs: int = 6, n_nmf_pairs: int = 6) -> dict:
    """One :class:`Lexicon` per language, all from ``seed``."""
    concepts = select_vocabulary(seed, vocab_fraction)
    open_ids = [c.id for c in concepts if c.pos not in CLOSED_POS]
    rng = sub_rng(seed, "shared")
    n_shared = int(round(shared_fraction * len(open_ids)))
    shared = set(rng.choice(open_ids, size=n_shared, replace=False).tolist()) if n_shared else set()
    if "COLD" in open_ids and n_shared:
        shared.add("COLD")
    shared_forms = {}
    for cid in sorted(shared):
        shared_forms[cid] = sample_form(sub_rng(seed, "shared-form", cid))
    lexicons = {}
    for lang in languages:
        check_language(lang)
        lrng = sub_rng(seed, "lexicon", lang)
        forms: dict[str, SignForm] = {}
        used = {f.manual_key() for f in shared_forms.values()}
        for c in concepts:
            if c.id in shared_forms:
                forms[c.id] = shared_forms[c.id]
                continue
            for _ in range(1000):
                f = sample_form(lrng)
                if f.manual_key() not in used:
                    break
            used.add(f.manual_key())
            forms[c.id] = f
        keys = {cid: (f"shared:{cid}" if cid in shared else f"{lang}:{cid}") for cid in forms}
        # minimal pairs among non-shared open concepts
        cand = [cid for cid in open_ids if cid not in shared]
        order = lrng.permutation(len(cand))
        cand = [cand[i] for i in order]
        n_hs = min(n_minimal_pairs, len(cand) // 4)
        n_nmf = min(n_nmf_pairs, len(cand) // 4)
        mp, nmf = [], []
        for i in range(n_hs):
            a, b = cand[2 * i], cand[2 * i + 1]
            fa = forms[a]
            for _ in range(1000):
                hs = str(lrng.choice(HANDSHAPE_NAMES))
                fb = fa.with_handshape(hs)
                if hs not in (fa.handshape, fa.handshape_end) and fb.manual_key() not in used:
                    break
            used.add(fb.manual_key())
            forms[b] = fb
            keys[b] = keys[a]
            mp.append((a, b))
        off = 2 * n_hs
        for i in range(n_nmf):
            a, b = cand[off + 2 * i], cand[off + 2 * i + 1]
            fa = forms[a]
            for _ in range(1000):
                m, syl, jaw, lex = sample_mouthing(lrng)
                if np.linalg.norm(np.subtract(m, fa.mouth)) > 1.2:
                    break
            used.discard(forms[b].manual_key())
            forms[b] = fa.with_face(m, syl, jaw, fa.lexical_face)  # mouthing (and jaw) only
            keys[b] = keys[a]
            nmf.append((a, b))
        cmap = {c.id: c for c in concepts}
        lexicons[lang] = Lexicon(
            language=lang, concepts=cmap, forms=forms, glosses={c.id: gloss_of(c, lang) for c in concepts},
            shared=tuple(sorted(shared)), minimal_pairs=tuple(mp), nmf_pairs=tuple(nmf), form_keys=keys,
        )
    return lexicons
