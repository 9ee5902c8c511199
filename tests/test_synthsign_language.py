"""SynthSign language design: minimal pairs, NMF pairs, shared signs, coarticulation,
regression-to-the-mean risk, text segmentation and lemmatisation, word order."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from slpkit.data import LANGUAGES, lemmatise, segment
from slpkit.data.corpus import Corpus
from slpkit.data.synthsign import SynthSign, SynthSignConfig, generate
from slpkit.data.synthsign.grammar import _sign_order
from slpkit.data.synthsign.lexicon import FUNCTION_WORDS, known_words, sub_rng
from slpkit.data.synthsign.motion import sign_template
from slpkit.data.text import SpokenLexicon, de_verb, en_verb, lemmas
from slpkit.metrics.dtw import dtw


@pytest.fixture(scope="module")
def synth() -> SynthSign:
    return SynthSign(SynthSignConfig.for_mode("smoke", seed=0))


@pytest.fixture(scope="module")
def corpus(synth) -> object:
    return synth.generate()


BODY, LH, RH, FACE = slice(0, 30), slice(30, 75), slice(75, 120), slice(120, 133)


def test_handshape_minimal_pairs_differ_only_in_hands(synth, corpus):
    assert corpus.meta["minimal_pairs"]
    for pair in corpus.meta["minimal_pairs"]:
        lang, (a, b) = pair["language"], pair["concepts"]
        fa, fb = synth.lexicons[lang].forms[a], synth.lexicons[lang].forms[b]
        assert fa.handshape != fb.handshape
        ea, eb = synth.render_citation(lang, a, 0), synth.render_citation(lang, b, 0)
        assert ea.v133.shape == eb.v133.shape  # same signer, timing and noise
        assert np.array_equal(ea.v133[:, BODY], eb.v133[:, BODY])
        assert np.array_equal(ea.v133[:, FACE], eb.v133[:, FACE]) and np.array_equal(ea.face108, eb.face108)
        assert np.abs(ea.v133[:, RH] - eb.v133[:, RH]).max() > 0.3


def test_nmf_pairs_differ_only_in_face(synth, corpus):
    assert corpus.meta["nmf_pairs"]
    for pair in corpus.meta["nmf_pairs"]:
        lang, (a, b) = pair["language"], pair["concepts"]
        lex = synth.lexicons[lang]
        assert lex.forms[a].manual_key() == lex.forms[b].manual_key()
        ea, eb = synth.render_citation(lang, a, 1), synth.render_citation(lang, b, 1)
        assert np.array_equal(ea.v133[:, :120], eb.v133[:, :120])  # body and both hands identical
        assert np.abs(ea.face108[:, :100] - eb.face108[:, :100]).max() > 0.5
        # mouthing is much clearer in the 100-dim SMPL-FX face than in SMPL-X's 10 dims
        d100 = np.abs(ea.face108[:, 10:100] - eb.face108[:, 10:100]).mean()
        d10 = np.abs(ea.v133[:, 123:133] - eb.v133[:, 123:133]).mean()
        assert d100 > 2 * d10


def test_shared_signs_identical_across_languages(synth, corpus):
    shared = corpus.meta["shared_concepts"]
    n_open = sum(1 for v in corpus.meta["lexicon"]["asl"].values() if v["pos"] not in ("pron", "time", "wh", "neg"))
    assert 0.15 <= len(shared) / n_open <= 0.25 and "COLD" in shared
    signer = synth.signers["csl"][0]
    for cid in shared:
        forms = {synth.lexicons[lang].forms[cid] for lang in LANGUAGES}
        assert len(forms) == 1
    ec = synth.render_citation("csl", "COLD", 0, signer=signer)
    ed = synth.render_citation("dgs", "COLD", 0, signer=signer)
    assert np.array_equal(ec.v133, ed.v133) and ec.word == "冷" and ed.word == "kalt"
    # non-shared concepts are signed differently
    other = next(c for c in synth.lexicons["asl"].concepts if c not in shared)
    assert synth.lexicons["asl"].forms[other] != synth.lexicons["dgs"].forms[other]


def test_coarticulation_smooth_and_context_dependent(synth, corpus):
    for s in corpus.sentences:
        vel = np.abs(np.diff(s.v133, axis=0))
        # rad/frame at 25 fps; plain concatenation jumps by ~1.5-2 rad between signs
        assert vel[:, :30].max() < 0.45 and vel[:, 30:120].max() < 0.6, (s.id, vel.max())
        assert np.abs(np.diff(s.face108[:, :100], axis=0)).max() < 3.0  # mouthing syllables at ~4 Hz
        starts = [a for a, _, _ in s.spans]
        ends = [e for _, e, _ in s.spans]
        assert all(n > e for e, n in zip(ends[:-1], starts[1:]))  # transition frames between signs
    # the same sign followed by two different signs: its tail and the transition differ
    lang, sig = "asl", synth.signers["asl"][0]
    lex = synth.lexicons[lang]
    a, b, c = "BOOK" if "BOOK" in lex.forms else list(lex.forms)[20], "I", "YOU"
    out = {}
    for nxt in (b, c):
        v, _, spans = synth._render(lang, [a, nxt], sig, sub_rng(0, "t"), hold=(6, 6))
        out[nxt] = (v, spans)
    (v1, sp1), (v2, sp2) = out[b], out[c]
    e = sp1[0][1]
    assert sp1[0] == sp2[0]  # same sign, same timing
    assert np.array_equal(v1[: sp1[0][0] + 2], v2[: sp2[0][0] + 2])  # same beginning
    assert np.abs(v1[e - 3:e, 75:120] - v2[e - 3:e, 75:120]).max() > 1e-3  # anticipatory handshape
    # transition is not a jump: first frames after the sign are close to its end
    assert np.abs(v1[e] - v1[e - 1])[:120].max() < 0.3
    jump = np.abs(v1[sp1[1][0]] - v1[e - 1])[:120].max()  # end of sign 1 vs start of sign 2
    assert jump > 2 * np.abs(np.diff(v1[e - 1:sp1[1][0] + 1, :120], axis=0)).max()


def _l2_dtw(p: np.ndarray, r: np.ndarray) -> float:
    return dtw(p, r, cost="euclidean") / len(r)


def test_mean_pose_regresses_to_the_mean(synth, corpus):
    train = np.concatenate([s.v133[:, :120] for s in corpus.split("train")])
    mean = train.mean(0)
    mean_cost, oracle_cost = [], []
    for s in corpus.split("test")[:12]:
        ref = s.v133[:, :120]
        mean_cost.append(_l2_dtw(np.repeat(mean[None], len(ref), 0), ref))
        # an "oracle" that knows the signs: same plan and signer, other timing/noise draws
        idx = int(s.id.split("_")[1])
        plan, signer, _ = synth.plan(s.language, idx)
        v, _, _ = synth._render(s.language, plan.concepts, signer, sub_rng(99, s.id), plan.nmf)
        oracle_cost.append(_l2_dtw(v[:, :120], ref))
    assert np.mean(mean_cost) > 2.0 * np.mean(oracle_cost)
    # per-dimension variation is real in every part (signer variation + lexical contrast)
    std = train.std(0)
    assert std[15:24].mean() > 0.1 and std[75:120].mean() > 0.1


def test_signer_variation():
    s = SynthSign(SynthSignConfig.for_mode("smoke", seed=0))
    form = s.lexicons["asl"].forms["COLD"]
    t = [sign_template(form, sg) for sg in s.signers["asl"]]
    assert len({x.shape[0] for x in t}) > 1  # different speeds
    s0 = SynthSign(SynthSignConfig.for_mode("smoke", seed=0, signer_variation=0.0))
    t0 = [sign_template(form, sg) for sg in s0.signers["asl"]]
    assert all(np.array_equal(t0[0][:, :123], x[:, :123]) for x in t0)


def test_chinese_needs_jieba_and_segments_back_to_glosses(corpus):
    for s in corpus.sentences:
        if s.language == "csl":
            assert " " not in s.text
        lex = corpus.meta["lexicon"][s.language]
        word2gloss = {v["word"]: v["gloss"] for v in lex.values()}
        spoken = corpus.spoken_lexicon(s.language)
        words = [lemmatise(w, s.language, spoken.lemmas, spoken.irregular) for w in segment(s.text, s.language, spoken.words)]
        assert words == spoken.lemmas_of(s.text) == lemmas(s.text, s.language, spoken)
        content = [w for w in words if w not in FUNCTION_WORDS[s.language]]
        assert sorted(word2gloss[w] for w in content) == sorted(s.gloss), (s.text, content, s.gloss)
    zh = corpus.spoken_lexicon("csl").words
    assert segment("我明天买红色的书。", "csl", zh) == ["我", "明天", "买", "红色", "的", "书"]
    assert segment("好的书", "csl", zh) == ["好", "的", "书"]
    assert segment("Tomorrow, I will buy the book.", "asl") == ["tomorrow", "i", "will", "buy", "the", "book"]


def test_inflection_and_lemmatisation_consistent(corpus):
    en, de = corpus.spoken_lexicon("asl"), corpus.spoken_lexicon("dgs")
    assert en_verb("carry", "3s") == "carries" and lemmatise("carries", "asl", en.lemmas) == "carry"
    assert en_verb("wash", "3s") == "washes" and en.lemmatise("washes") == "wash"
    assert en.lemmatise("is") == "is"
    for lemma in ("kaufen", "arbeiten", "öffnen", "tanzen", "füttern", "reisen"):
        for person in ("1s", "2s", "3s", "1p"):
            assert lemmatise(de_verb(lemma, person), "dgs", de.lemmas, de.irregular) == lemma
    assert de_verb("arbeiten", "3s") == "arbeitet" and de_verb("tanzen", "2s") == "tanzt"
    assert de.lemmatise("isst") == "essen" and de.lemmatise("roten") == "rot"
    assert lemmatise("isst", "dgs", de.lemmas) == "isst"  # irregular forms only from `irregular`
    assert lemmatise("Isst", "dgs", irregular={"isst": "essen"}) == "essen"
    assert lemmatise("Häuser", "dgs", known=["haus"]) == "häuser"  # unknown plural stays
    assert lemmatise("Carries", "asl") == "carries"  # no known words: lower-casing only


def test_spoken_lexicon_comes_from_the_corpus(corpus):
    for lang in LANGUAGES:
        lex = corpus.spoken_lexicon(lang)
        lemmas_, irregular = known_words(lang)
        assert lex.language == lang and lex.lemmas == lemmas_ and lex.irregular == irregular
        assert lex.function_words == FUNCTION_WORDS[lang]
        assert set(corpus.words(lang)) <= lex.lemmas  # every dictionary word is a known lemma
        assert corpus.spoken_lexicon(lang) is lex  # cached
        assert SpokenLexicon.from_state(lex.state()) == lex
    de = corpus.spoken_lexicon("dgs")
    form, lemma = next((f, w) for f, w in sorted(de.irregular.items()) if w in corpus.words("dgs"))
    assert corpus.lookup("dgs", form) and corpus.lookup("dgs", form) == corpus.lookup("dgs", lemma)
    # without the generator's word lists (e.g. real data) the dictionary words are the lemmas
    bare = Corpus([], corpus.dictionary, {})
    assert bare.spoken_lexicon("asl").lemmas == frozenset(corpus.words("asl"))
    assert bare.spoken_lexicon("asl").irregular == {} and bare.spoken_lexicon("csl").function_words == frozenset()
    with pytest.raises(ValueError, match="unknown sign language"):
        corpus.spoken_lexicon("bsl")
    with pytest.raises(ValueError, match="spoken_lexicon"):
        lemmas("Der Hund", "dgs", corpus.spoken_lexicon("asl"))


def test_text_module_does_not_import_the_synthetic_language():
    code = ("import sys, slpkit.data.text; "
            "assert not [m for m in sys.modules if m.startswith('slpkit.data.synthsign')], 'synthsign imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_word_order_per_language(synth):
    # same abstract roles -> ASL SVO, CSL SVO, DGS SOV
    roles = dict(subj="I", verb="BUY", obj="BOOK", adj=None, pred=None, time=None, wh=None, neg=False, yn=False,
                 topic=False)
    assert _sign_order("asl", roles)[0] == ["I", "BUY", "BOOK"]
    assert _sign_order("csl", roles)[0] == ["I", "BUY", "BOOK"]
    assert _sign_order("dgs", roles)[0] == ["I", "BOOK", "BUY"]
    seq, nmf = _sign_order("dgs", {**roles, "neg": True})
    assert seq[-1] == "NOT" and nmf == [("negation", 1, 3)]


def test_grammatical_nonmanuals_span_the_sentence(corpus):
    info = corpus.meta["sentence_info"]
    kinds = {k for v in info.values() for k, _, _ in v["nmf"]}
    assert {"yn_question", "wh_question", "negation", "topic"} <= kinds
    for s in corpus.sentences:
        nmf = info[s.id]["nmf"]
        if any(k == "negation" for k, _, _ in nmf):
            _, a, b = next(x for x in nmf if x[0] == "negation")
            head_y = s.v133[a:b, 10]
            assert head_y.max() - head_y.min() > 0.2  # head shake
        if s.text.endswith("?") and any(k == "yn_question" for k, _, _ in nmf):
            assert s.text.endswith("?")
