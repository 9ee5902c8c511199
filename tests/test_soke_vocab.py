"""SOKE integrated vocabulary: id ranges, masks, language / text validation, persistence."""

import pytest
import torch

from slpkit.generators.soke.vocab import SokeVocab, normalise_language
from _soke_helpers import LANGS, SIZES, TEXTS, tiny_vocab


def test_ranges_are_contiguous_and_disjoint():
    v = tiny_vocab()
    assert v.parts == ("body", "lhand", "rhand")
    prev = v.text_size
    for p in v.parts:
        a, b = v.part_range(p)
        assert b - a == SIZES[p] + 1            # codes + <part_eos>
        assert v.part_eos[p] == b - 1 and v.id_to_token(b - 1) == f"<{p}_eos>"
        assert v.id_to_token(a) == f"<{p}_0>" and a >= prev
        prev = b
    assert len(v) == v.part_range("rhand")[1]
    assert v.motion_range == (v.part_range("body")[0], v.part_range("rhand")[1])
    # language and part-language start tokens
    assert v.id_to_token(v.language_id("asl")) == "en_ASL"
    assert v.id_to_token(v.part_language_id("lhand", "csl")) == "<lhand_zh_CSL>"
    assert v.language_id("de_DGS") == v.language_id("dgs")


def test_part_mask_selects_exactly_the_part():
    v = tiny_vocab()
    masks = {p: v.part_mask(p) for p in v.parts}
    for p, m in masks.items():
        a, b = v.part_range(p)
        assert m.dtype == torch.bool and m.shape == (len(v),)
        assert m[a:b].all() and int(m.sum()) == b - a
    assert not (masks["body"] & masks["lhand"]).any()
    with pytest.raises(ValueError, match="unknown part"):
        v.part_mask("face")


def test_codes_ids_roundtrip_and_range_check():
    v = tiny_vocab()
    codes = torch.tensor([0, 3, 7])
    ids = v.codes_to_ids("body", codes)
    assert torch.equal(v.ids_to_codes("body", ids), codes)
    with pytest.raises(ValueError, match=r"\[0, 8\)"):
        v.codes_to_ids("body", torch.tensor([8]))


def test_unknown_language_lists_valid_ones():
    v = tiny_vocab()
    with pytest.raises(ValueError) as e:
        v.language_id("bsl")
    msg = str(e.value)
    assert "bsl" in msg and "asl" in msg and "csl" in msg and "dgs" in msg
    with pytest.raises(ValueError, match="unknown sign language"):
        v.encode_text("hello", "klingon")
    assert normalise_language("zh_CSL") == "csl"


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_empty_text_raises(bad):
    v = tiny_vocab()
    with pytest.raises(ValueError, match="text"):
        v.encode_source(bad, "asl")


def test_text_tokens_and_source_format():
    v = tiny_vocab()
    ids = v.encode_source("the weather is cold", "asl")
    assert v.tokens(ids) == ["the", "weather", "is", "cold", "</s>"]
    assert all(i < v.text_size for i in ids)
    # retrieval markers were part of the tokenizer training text: no <unk>
    assert v.unk_id not in v.encode_marker("asl", 2)
    assert v.unk_id not in v.encode_marker("dgs", 1)


def test_save_load_and_unknown_kind(tmp_path):
    v = SokeVocab.train(list(zip(TEXTS, LANGS)), SIZES)
    v.save(tmp_path / "v")
    w = SokeVocab.load(tmp_path / "v")
    assert len(w) == len(v) and w.part_range("rhand") == v.part_range("rhand")
    assert w.encode_text("das wetter ist kalt", "dgs") == v.encode_text("das wetter ist kalt", "dgs")
    assert SokeVocab.from_dict(v.to_dict()).encode_text("das wetter ist kalt", "dgs") == w.encode_text("das wetter ist kalt", "dgs")
    for kind in ("spm", "bpe"):
        with pytest.raises(ValueError, match="wordlevel"):
            SokeVocab.train(list(zip(TEXTS, LANGS)), SIZES, kind=kind)


def test_generic_part_sets():
    v = SokeVocab.train(list(zip(TEXTS, LANGS)), {"whole": 16})
    assert v.parts == ("whole",) and v.part_range("whole")[1] - v.part_range("whole")[0] == 17
    v2 = SokeVocab.train(list(zip(TEXTS, LANGS)), {"body": 8, "hands": 16})
    assert v2.parts == ("body", "hands")
