"""SOKE: Signs as Tokens (Zuo et al., CVPR 2025), the autoregressive multilingual generator.

- :mod:`~slpkit.generators.soke.vocab`      integrated vocabulary (text + part-wise motion + language tokens)
- :mod:`~slpkit.generators.soke.model`      :class:`SokeGenerator` on transformers' ``MBartForConditionalGeneration``
- :mod:`~slpkit.generators.soke.decoding`   explicit greedy loops: sequential / parallel / multi-head, KV cache
- :mod:`~slpkit.generators.soke.retrieval`  retrieval-enhanced prompts from a sign dictionary
- :mod:`~slpkit.generators.soke.module`     Lightning training, :class:`SokeConfig`, evaluation helpers
"""

from slpkit.generators.soke.decoding import (
    decode, decode_multihead, decode_parallel, decode_sequential, encode_batch, generate,
)
from slpkit.generators.soke.model import STRATEGIES, SokeGenerator, tiny_mbart_config
from slpkit.generators.soke.retrieval import (
    SignDictionary, build_sign_dictionary, find_keywords, prompt_ids, prompt_text,
)
from slpkit.generators.soke.vocab import PARTS, SokeVocab

__all__ = [
    "SokeVocab", "PARTS", "SokeGenerator", "STRATEGIES", "tiny_mbart_config",
    "decode", "decode_sequential", "decode_parallel", "decode_multihead", "encode_batch", "generate",
    "SignDictionary", "build_sign_dictionary", "find_keywords", "prompt_ids", "prompt_text",
    "SokeConfig", "SokeModule", "train_generator", "load_generator", "evaluate_generator", "trivial_baselines",
]


def __getattr__(name):  # Lightning-based pieces load on first use
    if name in ("SokeConfig", "SokeModule", "train_generator", "load_generator", "evaluate_generator",
                "trivial_baselines"):
        from slpkit.generators.soke import module

        return getattr(module, name)
    raise AttributeError(name)
