"""Shared tiny fixtures of the SOKE tests (random codes, tiny vocab / model); not a test module."""

import torch

from slpkit.generators.soke.model import SokeGenerator, tiny_mbart_config
from slpkit.generators.soke.vocab import SokeVocab

TEXTS = ["the weather is cold", "i like hot tea", "das wetter ist kalt", "we go home now", "der hund schläft"]
LANGS = ["asl", "asl", "dgs", "asl", "dgs"]
SIZES = {"body": 8, "lhand": 12, "rhand": 12}


def tiny_vocab(sizes=SIZES) -> SokeVocab:
    return SokeVocab.train(list(zip(TEXTS, LANGS)), sizes)


def tiny_model(vocab=None, seed=0, d_model=32, layers=1, dropout=0.0, lam=1 / 3) -> SokeGenerator:
    vocab = vocab or tiny_vocab()
    torch.manual_seed(seed)
    cfg = tiny_mbart_config(len(vocab), d_model=d_model, layers=layers, heads=2, ffn=64, dropout=dropout,
                            pad_token_id=vocab.pad_id, bos_token_id=vocab.bos_id, eos_token_id=vocab.eos_id)
    return SokeGenerator(vocab, cfg, lam=lam)


def random_codes(vocab, n, K, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {p: torch.randint(0, vocab.codebook_sizes[p], (n, K), generator=g) for p in vocab.parts}
