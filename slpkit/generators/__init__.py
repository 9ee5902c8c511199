"""Text-to-sign generators.

- :mod:`slpkit.generators.soke`   SOKE (Zuo et al., CVPR 2025): autoregressive multilingual generator on an
  mBART backbone with an integrated text + part-wise motion vocabulary, sequential / parallel / multi-head
  decoding and retrieval-enhanced prompts.
- :mod:`slpkit.generators.darslp` DARSLP: non-autoregressive generator on a disentangled pose autoencoder.

Sub-packages are imported on demand (``from slpkit.generators.soke import SokeGenerator``) so that importing
one generator never pulls in the other's dependencies.
"""
