"""SOKE retrieval-enhanced prompts: keywords, prompt token layout, dictionary instance selection."""

import numpy as np
import pytest
import torch

from slpkit.data.corpus import Corpus, DictEntry
from slpkit.data.synthsign import SynthSign, SynthSignConfig
from slpkit.data.text import SpokenLexicon
from slpkit.generators.soke.retrieval import (
    SignDictionary, build_sign_dictionary, find_keywords, keyword_triplet_ids, prompt_ids, prompt_text, subsample_steps,
)
from slpkit.generators.soke.vocab import SokeVocab
from slpkit.tokenizers.partwise import PartwiseTokenizer

SIZES = {"body": 8, "lhand": 12, "rhand": 12}


def codes(K, seed):
    g = torch.Generator().manual_seed(seed)
    return {p: torch.randint(0, n, (K,), generator=g) for p, n in SIZES.items()}


@pytest.fixture(scope="module")
def setup():
    texts = [("the weather is cold", "asl"), ("das wetter ist kalt", "dgs"), ("明天我们工作。", "csl")]
    vocab = SokeVocab.train(texts, SIZES)
    d = SignDictionary()
    d.entries[("asl", "weather")] = codes(3, 0)
    d.entries[("asl", "cold")] = codes(14, 1)     # longer than 10 steps: subsampled
    d.entries[("asl", "tea")] = codes(2, 2)
    d.entries[("dgs", "kalt")] = codes(4, 3)
    d.entries[("csl", "明天")] = codes(5, 4)
    return vocab, d


def test_subsample_steps():
    assert subsample_steps(4) == [0, 1, 2, 3]
    s = subsample_steps(14)
    assert len(s) == 10 and s[0] == 0 and s[-1] == 13 and s == sorted(set(s))


def test_prompt_holds_expected_tokens(setup):
    vocab, d = setup
    text = "The weather is cold"
    assert find_keywords(text, "asl", d) == ["weather", "cold"]          # sentence order
    ids = prompt_ids(vocab, text, "asl", d)
    expected = vocab.encode_marker("asl", 1)
    w = d.get("asl", "weather")
    for k in range(3):
        expected += [int(vocab.codes_to_ids(p, w[p][k : k + 1])) for p in vocab.parts]
    expected += vocab.encode_marker("asl", 2)
    c = d.get("asl", "cold")
    for k in subsample_steps(14, 10):
        expected += [int(vocab.codes_to_ids(p, c[p][k : k + 1])) for p in vocab.parts]
    assert ids == expected
    assert vocab.tokens(vocab.encode_marker("asl", 2)) == ["key", "word", "2", ","]
    # the motion tokens in the prompt are (body, lhand, rhand) triplets
    motion = [i for i in ids if i >= vocab.motion_range[0]]
    assert len(motion) == 3 * (3 + 10)
    for j, i in enumerate(motion):
        assert vocab.part_mask(vocab.parts[j % 3])[i]
    s = prompt_text(vocab, text, "asl", d)
    assert s.startswith("The weather is cold Key word 1, <body_") and " Key word 2, " in s
    # full encoder input: sentence, prompt, </s>
    src = vocab.encode_source(text, "asl", ids)
    assert src[:4] == vocab.encode_text(text, "asl") and src[-1] == vocab.eos_id


def test_markers_per_language_and_jieba(setup):
    vocab, d = setup
    assert find_keywords("Das Wetter ist kalt.", "dgs", d) == ["kalt"]
    assert prompt_text(vocab, "Das Wetter ist kalt.", "dgs", d).startswith("Das Wetter ist kalt. Schlüsselwort 1, <body_")
    assert find_keywords("明天我们工作。", "csl", d) == ["明天"]                 # jieba segmentation
    assert " 关键词 1, " in prompt_text(vocab, "明天我们工作。", "csl", d)
    assert vocab.unk_id not in prompt_ids(vocab, "明天我们工作。", "csl", d)


def test_at_most_three_keywords_and_no_repeats(setup):
    vocab, d = setup
    kws = find_keywords("cold tea , cold weather and tea", "asl", d)
    assert kws == ["cold", "tea", "weather"]
    assert find_keywords("cold tea weather", "asl", d, max_keywords=2) == ["cold", "tea"]
    assert prompt_ids(vocab, "nothing here", "asl", d) == []
    assert prompt_ids(vocab, "the weather", "asl", None) == []


def test_errors(setup):
    vocab, d = setup
    with pytest.raises(ValueError, match="unknown sign language"):
        prompt_ids(vocab, "the weather", "bsl", d)
    with pytest.raises(ValueError, match="empty"):
        find_keywords("  ", "asl", d)


def test_dictionary_keeps_lowest_reconstruction_error():
    torch.manual_seed(0)
    tok = PartwiseTokenizer("body_lhand_rhand", width=16, res_depth=1,
                            codebook_sizes={"body": 8, "lhand": 12, "rhand": 12}).eval()
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 24, dtype=np.float32)[:, None]
    entries = []
    for inst, scale in enumerate([0.05, 1.0, 0.3]):
        v = (np.sin(6 * t + np.arange(133)) * scale + rng.normal(0, scale, (24, 133))).astype(np.float32)
        entries.append(DictEntry("asl", "cold", "COLD", inst, v, np.zeros((24, 108), np.float32)))
    entries.append(DictEntry("asl", "tea", "TEA", 0, entries[1].v133.copy(), np.zeros((24, 108), np.float32)))
    d = build_sign_dictionary(entries, tok)
    assert len(d) == 2 and ("asl", "cold") in d
    errs = []
    for e in entries[:3]:
        x = torch.as_tensor(e.v133)
        with torch.no_grad():
            errs.append(float(((tok.decode(tok.encode(x))[:24] - x) ** 2).mean()))
    assert d.instances[("asl", "cold")] == int(np.argmin(errs))
    assert d.errors[("asl", "cold")] == pytest.approx(min(errs), rel=1e-5)
    assert all(len(v) == 6 for v in d.get("asl", "cold").values())   # 24 frames / 4
    vocab = SokeVocab.train([("cold tea", "asl")], tok.codebook_sizes)
    assert len(keyword_triplet_ids(vocab, d.get("asl", "cold"))) == 18


class _CodeTokenizer:
    """Stand-in tokenizer: 2 codes per part, nothing learned (retrieval only reads the codes)."""

    training = False

    def eval(self):
        return self

    def train(self, mode=True):
        return self

    def encode(self, x):
        return {p: torch.zeros(2, dtype=torch.long) for p in SIZES}

    def decode(self, codes):
        return torch.zeros(8, 133)


@pytest.fixture(scope="module")
def synth_corpus():
    """A SynthSign dictionary (every concept, one frame per entry) with the generator's meta, no motion rendered."""
    ss = SynthSign(SynthSignConfig.for_mode("smoke", seed=0, vocab_fraction=1.0, sentences_per_language=1))
    z, f = np.zeros((1, 133), np.float32), np.zeros((1, 108), np.float32)
    entries = [DictEntry(lang, lex.word(c), lex.glosses[c], 0, z, f) for lang, lex in ss.lexicons.items()
               for c in lex.concepts]
    return Corpus([], entries, ss.meta({}))


def test_dictionary_from_a_corpus_keeps_its_spoken_lexicons(synth_corpus):
    d = build_sign_dictionary(synth_corpus, _CodeTokenizer())
    assert set(d.lexicons) == {"asl", "csl", "dgs"}
    assert d.lexicon("dgs") == synth_corpus.spoken_lexicon("dgs")
    assert set(d.entries) == {(e.language, e.word) for e in synth_corpus.dictionary}
    # irregular German forms and inflections are lemmatised with the corpus lexicon, as Corpus.lookup does
    assert find_keywords("Der Freund sieht das kleine Fahrrad.", "dgs", d) == ["freund", "sehen", "klein"]
    assert find_keywords("Der Opa trägt das Geschenk.", "dgs", d) == ["opa", "tragen", "geschenk"]
    assert find_keywords("The teacher carries the box.", "asl", d) == ["teacher", "carry", "box"]
    assert find_keywords("好的书", "csl", d) == ["好", "书"]           # jieba + the lexicon's function words
    # from bare entries the dictionary's own words are the lemmas: regular forms still found, irregular not
    bare = build_sign_dictionary(synth_corpus.dictionary, _CodeTokenizer())
    assert not bare.lexicons and set(bare.entries) == set(d.entries)
    assert find_keywords("Der Opa trägt das Geschenk.", "dgs", bare) == ["opa", "geschenk"]
    assert find_keywords("Der Opa trägt das Geschenk.", "dgs", bare,
                         lexicon=synth_corpus.spoken_lexicon("dgs")) == ["opa", "tragen", "geschenk"]
    given = build_sign_dictionary(synth_corpus.dictionary, _CodeTokenizer(),
                                  lexicons={"dgs": synth_corpus.spoken_lexicon("dgs")})
    assert find_keywords("Der Opa trägt das Geschenk.", "dgs", given) == ["opa", "tragen", "geschenk"]


def test_dictionary_state_round_trip(synth_corpus):
    d = build_sign_dictionary(synth_corpus, _CodeTokenizer())
    state = d.state()
    assert isinstance(state["lexicons"]["dgs"]["lemmas"], list)   # plain Python for checkpoints
    back = SignDictionary.from_state(state)
    assert back.lexicons == d.lexicons and back.errors == d.errors and back.instances == d.instances
    assert set(back.entries) == set(d.entries)
    old = SignDictionary.from_state({"entries": d.entries, "errors": d.errors, "instances": d.instances})
    assert old.lexicons == {} and len(old) == len(d)
    assert SignDictionary(d.entries, d.errors, d.instances).lexicon("asl") == SpokenLexicon("asl", d.words("asl"))
