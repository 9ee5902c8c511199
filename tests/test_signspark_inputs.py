"""Bad input to SignSparK's generators and configs: ValueError naming the problem; SR-T2P timeline placement."""

import numpy as np
import pytest
import torch

from slpkit.generators.signspark import text as textvocab
from slpkit.generators.signspark.baselines import BiLSTMConfig
from slpkit.generators.signspark.fast import FASTConfig
from slpkit.generators.signspark.keyframes import check_keyframes
from slpkit.generators.signspark.pipeline import CFMConfig, CFMModule
from slpkit.generators.signspark.retrieval import CitationSign, RetrievalPlanner, place_signs
from slpkit.generators.signspark.slerp import slerp_keyframes


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    cfg = CFMConfig.for_mode("smoke", d_model=16, n_heads=2, layers=1, ff_dim=16)
    v = textvocab.build_vocab(["the dog runs"], ["asl"])
    return CFMModule(cfg, textvocab.vocab_state(v), np.zeros(296), np.ones(296)).eval()


VALS = np.zeros((3, 296), np.float32)


def test_keyframe_index_out_of_range(model):
    with pytest.raises(ValueError, match=r"index -1 is out of range.*\[0, 19\]"):
        model.sample(["the dog runs"], ["asl"], [20], [[-1, 4, 9]], [VALS], steps=1)
    with pytest.raises(ValueError, match=r"index 25 is out of range for a sequence of 20 frames"):
        slerp_keyframes(VALS, [0, 4, 25], 20)


def test_keyframes_not_sorted(model):
    with pytest.raises(ValueError, match=r"not sorted: index 2 at position 1 follows 7.*strictly increasing"):
        model.sample(["the dog runs"], ["asl"], [20], [[7, 2, 9]], [VALS], steps=1)
    with pytest.raises(ValueError, match="not sorted"):
        check_keyframes([1, 3, 3], 10)


def test_empty_text_with_no_keyframes(model):
    with pytest.raises(ValueError, match=r"empty text \(''\) and no keyframes.*pass a sentence, keyframes, or both"):
        model.sample([""], ["asl"], [20], steps=1)
    with pytest.raises(ValueError, match="empty text"):
        model.sample(["the dog runs"], ["asl"], [20], use_text=False, steps=1)
    out = model.sample([""], ["asl"], [20], [[0, 5, 19]], [VALS], steps=1)  # keyframes only is fine
    assert out[0].shape == (20, 296)


def test_sequence_shorter_than_its_keyframes(model):
    with pytest.raises(ValueError, match=r"sequence of 8 frames: the sequence is shorter than its keyframes; use a length >= 13"):
        model.sample(["the dog runs"], ["asl"], [8], [[0, 6, 12]], [VALS], steps=1)


def test_other_request_errors(model):
    with pytest.raises(ValueError, match=r"2 keyframe values for 3 keyframe indices"):
        model.sample(["the dog runs"], ["asl"], [20], [[0, 6, 12]], [VALS[:2]], steps=1)
    with pytest.raises(ValueError, match="no keyframe values"):
        model.sample(["the dog runs"], ["asl"], [20], [[0, 6, 12]], [None], steps=1)
    with pytest.raises(ValueError, match=r"length=0 frames"):
        model.sample(["the dog runs"], ["asl"], [0], steps=1)
    with pytest.raises(ValueError, match="one of each per request"):
        model.sample(["the dog runs", "x"], ["asl"], [20, 20], steps=1)
    with pytest.raises(ValueError, match="last dimension"):
        model.sample(["the dog runs"], ["asl"], [20], [[0, 6, 12]], [np.zeros((3, 133))], steps=1)
    with pytest.raises(ValueError, match="steps"):
        model.sample(["the dog runs"], ["asl"], [20], steps=0)


def test_configs_name_the_bad_field():
    with pytest.raises(ValueError, match=r"CFMConfig.p_drop_text=1.5: use a probability"):
        CFMConfig.for_mode("smoke", p_drop_text=1.5)
    with pytest.raises(ValueError, match=r"CFMConfig.solver='rk4'"):
        CFMConfig.for_mode("smoke", solver="rk4")
    with pytest.raises(ValueError, match=r"CFMConfig.d_model=30.*n_heads=4"):
        CFMConfig.for_mode("smoke", d_model=30)
    with pytest.raises(ValueError, match=r"CFMConfig.max_steps=0"):
        CFMConfig.for_mode("smoke", max_steps=0)  # the training layer's own check
    with pytest.raises(ValueError, match=r"FASTConfig.conv_kernel=4: use an odd"):
        FASTConfig.for_mode("smoke", conv_kernel=4)
    with pytest.raises(ValueError, match=r"BiLSTMConfig.class_weights"):
        BiLSTMConfig.for_mode("smoke", class_weights=(1.0, 2.0))


def test_place_signs_keeps_order_durations_and_fits_the_timeline():
    rng = np.random.default_rng(0)
    signs = [CitationSign(f"w{i}", f"G{i}", rng.normal(size=(L, 296)).astype(np.float32)) for i, L in enumerate((9, 14, 5))]
    kf, vals, T, starts = place_signs(signs, 80)
    assert T == 80 and starts == sorted(starts) and len(kf) == 9
    assert np.all(np.diff(kf) > 0) and kf[0] > 0 and kf[-1] < T - 1
    for s, a in zip(signs, starts):
        off = s.keyframe_offsets()
        assert np.array_equal(vals[np.searchsorted(kf, a + off)], s.frames[off])
    gaps = [starts[0]] + [starts[i + 1] - starts[i] - signs[i].duration for i in range(2)] + [T - starts[-1] - 5]
    assert max(gaps) - min(gaps) <= 1  # the free frames are shared equally
    kf2, _, T2, _ = place_signs(signs, 10)  # too short: the timeline grows to fit the signs
    assert T2 == 28 + 4 * 2 and kf2[-1] < T2
    assert place_signs([], 40)[2] == 40 and len(place_signs([], 40)[0]) == 0


class _WholeClip:
    def segment(self, frames):
        return [[(2, len(f) - 2)] for f in frames]


def test_retrieval_plan_uses_dictionary_words_in_sentence_order(corpus):
    s = next(x for x in corpus.split("test") if x.language == "asl")
    planner = RetrievalPlanner(corpus, _WholeClip())
    plan = planner.plan(s.text, s.language, 100)
    words = [w for w, _ in planner.entries(s.text, s.language)]
    assert plan.words == words and len(words) >= 1
    assert len(plan.keyframes) == len(plan.values) and plan.length >= 100
    check_keyframes(plan.keyframes, plan.length)
    assert RetrievalPlanner(corpus, _WholeClip()).plan("xyzzy qwerty", "asl", 50).words == []
