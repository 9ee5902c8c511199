"""SokeGenerator.from_pretrained on a tiny MBart saved locally (no hub access), and save / load."""

import pytest
import torch
from transformers import MBartConfig, MBartForConditionalGeneration, PreTrainedTokenizerFast

from slpkit.generators.soke import decoding as D
from slpkit.generators.soke.model import SokeGenerator
from slpkit.generators.soke.vocab import SokeVocab
from _soke_helpers import LANGS, SIZES, TEXTS, random_codes, tiny_vocab


@pytest.fixture()
def tiny_mbart_dir(tmp_path):
    """A tiny 'pretrained' MBart and its own fast tokenizer, written with save_pretrained."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    base = tiny_vocab()  # its words become the word-level model of a stand-in "pretrained" tokenizer
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(base.text_tokenizer.itos)}, unk_token="<unk>"))
    tok.normalizer, tok.pre_tokenizer = normalizers.Lowercase(), pre_tokenizers.Whitespace()
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>",
                                     eos_token="</s>", unk_token="<unk>")
    torch.manual_seed(0)
    cfg = MBartConfig(vocab_size=len(hf_tok), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                      decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128,
                      pad_token_id=hf_tok.pad_token_id, bos_token_id=hf_tok.bos_token_id,
                      eos_token_id=hf_tok.eos_token_id, scale_embedding=True, dropout=0.0)
    mbart = MBartForConditionalGeneration(cfg)
    path = tmp_path / "tiny-mbart"
    mbart.save_pretrained(str(path))
    hf_tok.save_pretrained(str(path))
    return path, mbart


def test_from_pretrained_loads_weights_and_resizes(tiny_mbart_dir):
    path, ref = tiny_mbart_dir
    vocab = SokeVocab.from_hf_tokenizer(path, SIZES)
    assert vocab.is_hf and vocab.text_size == ref.config.vocab_size
    assert vocab.tokens(vocab.encode_source("the weather is cold", "asl")) == ["the", "weather", "is", "cold", "</s>"]
    gen = SokeGenerator.from_pretrained(path, vocab, lam=0.4)
    assert gen.lam == 0.4
    emb = gen.mbart.get_input_embeddings().weight
    assert emb.shape[0] == len(vocab) and gen.mbart.lm_head.weight.shape[0] == len(vocab)
    assert gen.mbart.final_logits_bias.shape[-1] == len(vocab)
    # pretrained rows and layers are kept
    assert torch.equal(emb[: vocab.text_size], ref.get_input_embeddings().weight)
    k = "model.encoder.layers.0.self_attn.k_proj.weight"
    assert torch.equal(gen.mbart.state_dict()[k], ref.state_dict()[k])
    # it trains and decodes on the integrated vocabulary
    ids, mask, lang = D.encode_batch(gen, TEXTS[:3], LANGS[:3])
    codes = random_codes(vocab, 3, 4)
    batch = dict(input_ids=ids, attention_mask=mask, lang_ids=lang, lengths=torch.tensor([4, 2, 3]),
                 **{f"codes_{p}": c for p, c in codes.items()})
    opt = torch.optim.Adam(gen.parameters(), lr=5e-3)
    losses = []
    for _ in range(30):
        loss = gen(batch, "multihead")["loss"]
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[-1] < 0.5 * losses[0]
    gen.eval()
    out = D.decode(gen, ids, mask, lang, strategy="parallel", max_steps=5, as_codes=False)
    for p in vocab.parts:
        assert all(vocab.part_mask(p)[s].all() for s in out[p])


def test_from_pretrained_with_our_text_tokenizer(tiny_mbart_dir):
    path, _ = tiny_mbart_dir
    vocab = tiny_vocab()   # corpus-trained text tokenizer; embeddings resized to it
    gen = SokeGenerator.from_pretrained(path, vocab).eval()
    assert gen.mbart.get_input_embeddings().num_embeddings == len(vocab)
    out = D.generate(gen, TEXTS[:2], LANGS[:2], "sequential", max_steps=3)
    assert set(out) == set(vocab.parts)


def test_save_load_roundtrip(tmp_path):
    from _soke_helpers import tiny_model

    m = tiny_model(seed=4, lam=0.4).eval()
    m.save(tmp_path / "gen")
    n = SokeGenerator.load(tmp_path / "gen").eval()
    assert n.lam == 0.4 and len(n.vocab) == len(m.vocab)
    a = D.generate(m, TEXTS, LANGS, "multihead", max_steps=5)
    b = D.generate(n, TEXTS, LANGS, "multihead", max_steps=5)
    assert all(torch.equal(x, y) for p in a for x, y in zip(a[p], b[p]))


def test_missing_folder_fails_offline(tmp_path):
    with pytest.raises((OSError, ValueError)):
        SokeGenerator.from_pretrained(tmp_path / "nope", tiny_vocab())
