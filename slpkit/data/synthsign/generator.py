"""SynthSign generator: ``generate(cfg) -> Corpus``.

Language design (what the papers' ablations need):

- Signs are multi-cue (:mod:`.phonology`): handshape (20 finger configurations of the 15
  MANO joints per hand), location (9 places reached by shoulder/elbow angles), palm
  orientation (wrist), movement (straight, arc, circle, repeated, wiggle, twist) and hand
  arrangement (one-handed, symmetric two-handed, dominant hand on a base hand), plus a
  mouthing and lexical face component. Body, each hand and the face all carry meaning
  (SOKE's decoupled tokenizers, M3T's face stream).
- Three sign languages, each with its own lexicon over one concept word bank, word order
  (ASL topic-comment / SVO, CSL SVO, DGS SOV) and spoken text in real English, Chinese
  (no spaces: jieba needed) and German (inflected: lemmatisation needed). ~20% of the
  open-class concepts ("cold" among them) share their sign across languages (SOKE Sec. 4.3).
- Minimal pairs differing only in handshape and "confusing" pairs differing only in face
  (M3T's NMFs-CSL probe) are listed in ``meta['minimal_pairs']`` / ``meta['nmf_pairs']``.
- The spoken languages' words: ``meta['known_words'][lang]`` (``lemmas`` of the whole word bank,
  German ``irregular`` forms -> lemma) and ``meta['function_words'][lang]``; read them with
  ``corpus.spoken_lexicon(lang)`` (segmentation and lemmatisation, :mod:`slpkit.data.text`).
- Grammatical non-manuals span the sentence (question brows, negation head shake, topic).
- Coarticulation: minimum-jerk transitions whose length depends on the distance and which
  start inside the previous sign (anticipatory handshape) -- never concatenation.
- Signer variation (speed, amplitude, proportions, laxness, face identity, noise) makes the
  per-dimension mean pose a poor predictor (DARSLP's regression to the mean).
- A word-level dictionary of citation forms (rest to rest, several instances per word by
  different signers) for SOKE's retrieval (Sec. 3.4).
- SignSparK BIO tags and spans per sentence; 25 fps; train / val / test splits.

Determinism: every random draw comes from ``numpy.random.default_rng`` seeded by
``[seed, crc32(name parts)...]`` (:func:`slpkit.data.synthsign.lexicon.sub_rng`); no global
state, so the same config gives the same corpus bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from slpkit.data.corpus import SPLITS, Corpus, DictEntry, Sentence
from slpkit.data.synthsign import motion as mo
from slpkit.data.synthsign.config import SynthSignConfig
from slpkit.data.synthsign.grammar import SentencePlan, sample_plan
from slpkit.data.synthsign.lexicon import FUNCTION_WORDS, Lexicon, build_lexicons, known_words, sub_rng
from slpkit.data.text import LANG_TOKENS, LANGUAGES, check_language


class SynthSign:
    """Lexicons, signers and renderers of one configuration (``generate`` uses it).

    Useful on its own to render single signs, e.g. minimal pairs for the same signer and
    noise: ``SynthSign(cfg).render_citation('asl', 'COLD', instance=0)``.
    """

    def __init__(self, cfg: SynthSignConfig | None = None):
        if cfg is not None and not isinstance(cfg, SynthSignConfig):
            raise ValueError(f"cfg must be a SynthSignConfig, got {type(cfg).__name__}: build one with "
                             "SynthSignConfig.for_mode('smoke', seed=0) or SynthSignConfig(**fields)")
        self.cfg = (cfg or SynthSignConfig.smoke()).validate()
        c = self.cfg
        self.lexicons: dict[str, Lexicon] = build_lexicons(
            c.seed, c.languages, c.vocab_fraction, c.shared_fraction, c.n_minimal_pairs, c.n_nmf_pairs)
        self.basis = mo.face_basis(sub_rng(c.seed, "face-basis"))
        self.signers: dict[str, list[mo.Signer]] = {}
        for lang in c.languages:
            li = LANGUAGES.index(lang)
            ids = [li * c.signers_per_language + k for k in range(c.signers_per_language)]
            self.signers[lang] = [mo.sample_signer(sub_rng(c.seed, "signer", sid), sid, c.signer_variation) for sid in ids]
        self._rest: dict[int, np.ndarray] = {}
        self._templates: dict = {}

    # ------------------------------------------------------------------ pieces
    def rest(self, signer: mo.Signer) -> np.ndarray:
        if signer.id not in self._rest:
            self._rest[signer.id] = mo.rest_pose(signer)
        return self._rest[signer.id]

    def template(self, lang: str, concept: str, signer: mo.Signer) -> np.ndarray:
        form = self.lexicons[lang].forms[concept]
        key = (form, signer.id)
        tpl = self._templates.get(key)
        if tpl is None:
            tpl = self._templates[key] = mo.sign_template(form, signer)
        return tpl

    def _render(self, lang: str, concepts: list, signer: mo.Signer, rng: np.random.Generator, nmf=(),
                hold=None) -> tuple[np.ndarray, np.ndarray, list]:
        c = self.cfg
        tpls = [self.template(lang, cid, signer) for cid in concepts]
        x, spans = mo.assemble(tpls, self.rest(signer), signer, rng, hold=hold or tuple(c.rest_frames),
                               timing_jitter=c.timing_jitter, place_jitter=c.place_jitter, blend=c.blend)
        if nmf:
            mo.add_nonmanuals(x, spans, list(nmf), signer, c.fps)
        mo.finish(x, signer, rng, c.fps, c.noise)
        v, f = mo.to_outputs(x, self.basis)
        return v, f, spans

    def plan(self, lang: str, index: int) -> tuple[SentencePlan, mo.Signer, str]:
        """The abstract sentence, signer and split of sentence ``index`` of ``lang``."""
        return self._plan(lang, index, sub_rng(self.cfg.seed, "sentence", lang, index))

    def _plan(self, lang: str, index: int, rng: np.random.Generator):
        plan = sample_plan(rng, self.lexicons[lang], self.cfg.topic_prob)
        signer = self.signers[lang][int(rng.integers(len(self.signers[lang])))]
        u = rng.random()
        cum = np.cumsum(self.cfg.split_fractions)
        split = SPLITS[int(min(np.searchsorted(cum, u, side="right"), 2))]
        return plan, signer, split

    def render_sentence(self, lang: str, index: int, fill_jaw: bool = True) -> tuple[Sentence, SentencePlan]:
        rng = sub_rng(self.cfg.seed, "sentence", lang, index)  # plan first, then rendering, one stream
        plan, signer, split = self._plan(lang, index, rng)
        lex = self.lexicons[lang]
        v, f, spans = self._render(lang, plan.concepts, signer, rng, plan.nmf)
        gloss = [lex.glosses[cid] for cid in plan.concepts]
        bio = np.zeros(v.shape[0], np.int8)
        for s, e in spans:
            bio[s] = 2
            bio[s + 1:e] = 1
        sent = Sentence(id=f"{lang}_{index:05d}", language=lang, text=plan.text, gloss=gloss, signer=signer.id,
                        split=split, v133=v, face108=f, bio=bio,
                        spans=[(s, e, g) for (s, e), g in zip(spans, gloss)], fps=self.cfg.fps)
        if fill_jaw:
            mo.fill_jaw6d([(v, f)])
        return sent, plan

    def render_citation(self, lang: str, concept: str, instance: int = 0, signer: mo.Signer | None = None,
                        fill_jaw: bool = True) -> DictEntry:
        """Citation form (rest -> sign -> rest) of ``concept``; instance ``k`` fixes signer, timing and noise.

        Minimal-pair partners share their random stream (``lexicon.form_keys``), so for the
        same instance they differ only in the intended channel.
        """
        lex = self.lexicons[check_language(lang)]
        key = lex.form_keys[concept]
        rng = sub_rng(self.cfg.seed, "dict", key, instance)
        k = int(rng.integers(len(self.signers[lang])))
        signer = signer or self.signers[lang][k]
        hold = (int(rng.integers(6, 10)), int(rng.integers(6, 10)))
        v, f, _ = self._render(lang, [concept], signer, rng, (), hold=hold)
        if fill_jaw:
            mo.fill_jaw6d([(v, f)])
        return DictEntry(language=lang, word=lex.word(concept), gloss=lex.glosses[concept], instance=int(instance),
                         v133=v, face108=f)

    # ------------------------------------------------------------------ corpus
    def meta(self, sentence_info: dict) -> dict:
        c = self.cfg
        langs = list(c.languages)
        mp, nmf = [], []
        for lang in langs:
            lex = self.lexicons[lang]
            for pairs, out, channel in ((lex.minimal_pairs, mp, "handshape"), (lex.nmf_pairs, nmf, "face")):
                for a, b in pairs:
                    out.append({"language": lang, "concepts": (a, b), "glosses": (lex.glosses[a], lex.glosses[b]),
                                "words": (lex.word(a), lex.word(b)), "channel": channel})
        shared = sorted(set.intersection(*(set(self.lexicons[lang].shared) for lang in langs))) if langs else []
        lexicon_meta = {
            lang: {cid: {"gloss": lex.glosses[cid], "word": lex.word(cid), "pos": lex.concepts[cid].pos,
                         "shared": cid in lex.shared, "form": lex.forms[cid].as_dict()}
                   for cid in lex.concepts}
            for lang, lex in self.lexicons.items()
        }
        return {
            "generator": "synthsign",
            "config": dataclasses.asdict(c),
            "seed": c.seed,
            "fps": c.fps,
            "languages": langs,
            "lang_tokens": {lang: LANG_TOKENS[lang] for lang in langs},
            "minimal_pairs": mp,
            "nmf_pairs": nmf,
            "shared_concepts": {cid: {lang: self.lexicons[lang].glosses[cid] for lang in langs} for cid in shared},
            "lexicon": lexicon_meta,
            "function_words": {lang: sorted(FUNCTION_WORDS[lang]) for lang in langs},
            "known_words": {lang: _known_words_meta(lang) for lang in langs},
            "signers": {lang: [dataclasses.asdict(s) for s in ss] for lang, ss in self.signers.items()},
            "face_basis": self.basis.astype(np.float32),
            "face_latent": ["brow_raise", "brow_furrow", "lexical_face", "mouth_0", "mouth_1", "mouth_2",
                            "mouth_3", "mouth_4"],
            "sentence_info": sentence_info,
        }

    def generate(self) -> Corpus:
        c = self.cfg
        sentences: list[Sentence] = []
        info: dict = {}
        for lang in c.languages:
            for i in range(c.sentences_per_language):
                s, plan = self.render_sentence(lang, i, fill_jaw=False)
                sentences.append(s)
                info[s.id] = {"template": plan.template,
                              "nmf": [(k, s.spans[a][0], s.spans[b][1]) for k, a, b in plan.nmf]}
        dictionary: list[DictEntry] = []
        for lang in c.languages:
            for cid in self.lexicons[lang].concepts:
                for k in range(c.dict_instances):
                    dictionary.append(self.render_citation(lang, cid, k, fill_jaw=False))
        mo.fill_jaw6d([(s.v133, s.face108) for s in sentences] + [(d.v133, d.face108) for d in dictionary])
        return Corpus(sentences=sentences, dictionary=dictionary, meta=self.meta(info))


def _known_words_meta(lang: str) -> dict:
    """``{'lemmas': [...], 'irregular': {form: lemma}}`` of the whole word bank (what ``Corpus.spoken_lexicon`` reads)."""
    lemmas, irregular = known_words(lang)
    return {"lemmas": sorted(lemmas), "irregular": dict(sorted(irregular.items()))}


def generate(cfg: SynthSignConfig | None = None) -> Corpus:
    """Generate a SynthSign corpus (default: the smoke preset, seed 0). Same config -> same corpus."""
    return SynthSign(cfg).generate()


def render_citation(cfg: SynthSignConfig, lang: str, concept: str, instance: int = 0) -> DictEntry:
    """One citation form without generating the corpus (see :meth:`SynthSign.render_citation`)."""
    return SynthSign(cfg).render_citation(lang, concept, instance)
