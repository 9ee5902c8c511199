"""M3T's recognition probe (Sec. 3.4, App. 0.D.3) on frozen FSQ-VAE encoders, at smoke size.

A tiny M3T tokenizer (width 32, 150 steps) on a 40-sentence-per-language SynthSign corpus; the probe is the smoke
model (``ProbeConfig.smoke()``: CSL, 6 confusing + 6 normal pairs = 24 classes) trained on 6 instances per word for
20 epochs and tested on the next 4 (the test's time budget; notebook 09 trains the preset, 8 + 8 instances).

- with the face stream it recognises the *normal* signs (handshape minimal pairs) far above chance;
- without the face stream the two words of a *confusing* pair get bit-identical inputs (same signer, timing and
  hands at equal instance), so the probe predicts the same word for both: confusing top-1 can reach 1/2 at most
  and does (it finds the pair);
- active-window cropping, citation forms equal to the corpus dictionary, encoder features, clear errors.

``SLPKIT_TEST_SEED`` (default 0) picks the corpus, tokenizer and probe seed; checked for 0, 1, 2 under
``ATEN_CPU_CAPABILITY=default`` and ``avx2``.
"""

import os

import numpy as np
import pytest
import torch

from slpkit.generators.m3t.probe import (ProbeConfig, active_window, citation_clips, encoder_hidden_states,
                                         evaluate_probe, probe_classes, train_probe)
from slpkit.tokenizers.module import clip_poses

# one worker runs this module, so its module-scoped fixtures are built once (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_m3t_probe")

SEED = int(os.environ.get("SLPKIT_TEST_SEED", "0"))


def tiny_m3t_tokenizer_config(seed):
    from slpkit.tokenizers.module import TokenizerConfig

    return TokenizerConfig.m3t("smoke", seed=seed, width=32, res_depth=1, max_steps=150)


@pytest.fixture(scope="module")
def setup():
    from slpkit.data.synthsign import SynthSignConfig, generate
    from slpkit.tokenizers.module import train_tokenizer

    corpus = generate(SynthSignConfig.for_mode("smoke", seed=SEED, sentences_per_language=40))
    tok = train_tokenizer(corpus, tiny_m3t_tokenizer_config(SEED), device="cpu", progress=False)
    return corpus, tok


def test_citation_clips_are_the_dictionary_and_pairs_differ_only_in_the_face(setup):
    corpus, _ = setup
    clips = citation_clips(corpus, [0, 1], ["csl"])
    assert len(clips) == 2 * len(probe_classes(corpus, ["csl"])) == 2 * 24
    dic = {(e.language, e.word, e.instance): e for e in corpus.dictionary}
    for c in clips:
        e = dic[(c.language, c.word, c.instance)]
        assert np.array_equal(e.v133, c.v133) and np.array_equal(e.face108, c.face108)
    by = {(c.label, c.instance): c for c in clips}
    for c in clips:
        other = next(o for o in clips if o.pair == c.pair and o.label != c.label and o.instance == c.instance)
        same_hands = np.array_equal(c.v133[:, :120], other.v133[:, :120])
        assert same_hands == (c.subset == "confusing"), (c.word, other.word, c.subset)
        if c.subset == "confusing":
            assert np.abs(c.face108 - other.face108).max() > 0.1
        assert by[(c.label, c.instance)] is c


def test_active_window_trims_the_rest_holds(setup):
    corpus, _ = setup
    for c in citation_clips(corpus, [0, 3], ["csl"])[:8]:
        a, b = active_window(c.v133)
        assert 3 <= a < b <= len(c.v133) - 3, (a, b, len(c.v133))   # citation forms hold the rest pose 6-10 frames
    assert active_window(np.zeros((20, 133), np.float32)) == (0, 20)
    with pytest.raises(ValueError, match="v133"):
        active_window(np.zeros((20, 120), np.float32))


def test_encoder_hidden_states(setup):
    corpus, tok = setup
    c = citation_clips(corpus, [0], ["csl"])[0]
    x = clip_poses(c, "m3t")
    h = encoder_hidden_states(tok, x)
    T4 = -(-len(x) // 4)
    assert set(h) == {"body", "lhand", "rhand", "face"} and all(v.shape == (T4, 32) for v in h.values())
    sx = encoder_hidden_states(tok, x, face="smplx")
    assert all(torch.equal(sx[s], h[s]) for s in ("body", "lhand", "rhand")) and not torch.equal(sx["face"], h["face"])
    assert set(encoder_hidden_states(tok, x, face="none")) == {"body", "lhand", "rhand"}
    batch = encoder_hidden_states(tok, np.stack([x, x]))
    assert torch.allclose(batch["face"][1], h["face"], atol=1e-5)


@pytest.fixture(scope="module")
def probes(setup):
    corpus, tok = setup
    out = {}
    for face in ("smplfx", "none"):
        cfg = ProbeConfig.for_mode("smoke", seed=SEED, face=face, max_epochs=20, train_instances=6, test_instances=4)
        module = train_probe(corpus, tok, cfg, device="cpu", progress=False)
        out[face] = evaluate_probe(module, corpus, tok)
    return out


def test_probe_recognises_normal_signs_far_above_chance(probes):
    r = probes["smplfx"]
    chance = r["chance"]["overall_top1"]                      # 1/24 = 4.2%
    # measured (seeds 0-2 x avx2 / default): normal top-1 95.8-100%
    assert r["normal"]["top1"] >= 15 * chance, (r["normal"], chance)
    assert r["normal"]["n"] == 12 * 4 and r["confusing"]["n"] == 12 * 4


def test_without_face_confusing_signs_drop_to_pair_chance(probes):
    r = probes["none"]
    conf = np.array(r["subset"]) == "confusing"
    labels, logits = r["labels"][conf], r["logits"][conf]
    # the two words of a pair get identical inputs at equal instance: the probe cannot tell them apart ...
    for pair in np.unique(labels // 2):
        a, b = logits[labels == 2 * pair], logits[labels == 2 * pair + 1]
        assert np.allclose(a, b, atol=1e-4), pair
    # ... so confusing top-1 falls to the pair chance 1/2 although body and hands still find the pair
    # (measured, seeds 0-2 x avx2 / default: top-1 43.8-50%, right pair 87.5-100%)
    found = float(np.mean(r["pred"][conf] // 2 == labels // 2))
    assert found >= 0.8, found
    assert 40.0 <= r["confusing"]["top1"] <= 60.0, r["confusing"]
    assert r["chance"]["confusing_top1_without_face"] == 50.0
    assert r["normal"]["top1"] >= 15 * r["chance"]["overall_top1"]


def test_probe_bad_input(setup):
    from slpkit.tokenizers.partwise import PartwiseTokenizer

    corpus, tok = setup
    with pytest.raises(ValueError, match="face='mouth'"):
        ProbeConfig.for_mode("smoke", face="mouth")
    with pytest.raises(ValueError, match="unknown modality 'tongue'"):
        ProbeConfig.for_mode("smoke", streams=("body", "tongue"))
    with pytest.raises(ValueError, match="disagree"):
        ProbeConfig.for_mode("smoke", face="none", streams=("body", "lhand", "rhand", "face"))
    soke_tok = PartwiseTokenizer("body_lhand_rhand", quantizer="vq", width=16)
    with pytest.raises(ValueError, match="no face stream"):
        train_probe(corpus, soke_tok, ProbeConfig.for_mode("smoke"))
    x = clip_poses(citation_clips(corpus, [0], ["csl"])[0], "m3t")
    with pytest.raises(ValueError, match="no face stream"):
        encoder_hidden_states(soke_tok, x)
    with pytest.raises(ValueError, match="unknown modality 'tongue'"):
        encoder_hidden_states(tok, x, streams=("body", "tongue"))
    with pytest.raises(ValueError, match="241"):
        encoder_hidden_states(tok, x[:, :133])
    with pytest.raises(ValueError, match="no sign pairs"):
        probe_classes(corpus, ["xsl"])
