"""M3T's auxiliary translation objective (M3T Sec. 3.3, Eq. 9): motion tokens -> spoken sentence.

"Given the motion-token streams, their embeddings are fused and passed to the encoder, and the decoder
autoregressively predicts the spoken-language sequence using a single shared output head over the shared
spoken-language vocabulary." The same mBART (:class:`~slpkit.generators.soke.model.SokeGenerator`) runs the
other way round, on a batch of the production loader (``codes_<part>``, ``lengths``, ``input_ids`` = text + ``</s>``,
``lang_ids``):

    encoder input  (B, K+1, D)   fuse(<ASL_B>, <ASL_LH>, <ASL_RH>, <ASL_F>), fuse(b1, l1, r1, f1), ..., fuse(bK, ...)
    decoder input  (B, L)        en_ASL, w1, ..., w_{L-1}
    targets        (B, L)        w1, ..., w_{L-1}, </s>          (padding ignored)
    loss                         cross-entropy of the text head: mBART's tied LM head on the text ids only

``fuse`` is :meth:`SokeGenerator.fuse` (equal weights for λ = 1/4), the same embedding the production decoder
reads; the modality-language prompts open the encoder input as they open the decoder's in production (slpkit's
choice: the paper does not say what starts the encoder's motion sequence). :class:`~slpkit.generators.m3t.module.M3TModule`
samples, per batch, translation with probability ``p_translation`` and production otherwise.

:func:`translate` decodes greedily (sign -> text) with the same head, for teaching and the tests.

Example::

    out = translation_loss(model, batch)          # {'loss': ..., 'loss_translation': ...}
    texts = translate(model, codes, ["asl", "dgs"], max_len=20)
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F

from slpkit.generators.soke.model import IGNORE, SokeGenerator
from slpkit.generators.soke.vocab import normalise_language

__all__ = ["motion_encoder_inputs", "translation_loss", "translate"]


def motion_encoder_inputs(model: SokeGenerator, codes: Mapping[str, torch.Tensor], lengths: torch.Tensor,
                          lang_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder input of Eq. 9: ``(embeds (B, K+1, D), mask (B, K+1))`` from part-local codes ``{part: (B, K)}``
    (anything beyond ``lengths (B,)`` is padding), target-language ids ``(B,)``."""
    missing = [p for p in model.parts if p not in codes]
    if missing:
        raise ValueError(f"codes miss the stream(s) {missing}: the translation objective fuses every stream "
                         f"{list(model.parts)}")
    K = int(lengths.max()) if lengths.numel() else 0
    ids = torch.stack([codes[p][:, :K].clamp(0, model.vocab.codebook_sizes[p] - 1) + model.ranges[p][0]
                       for p in model.parts], -1)                                   # (B, K, n)
    prompt = torch.stack([model._part_lang_ids(p, lang_ids) for p in model.parts], -1)[:, None]  # (B, 1, n)
    x = model.fuse(torch.cat([prompt, ids], 1))                                    # (B, K+1, D)
    steps = torch.arange(K + 1, device=x.device)
    mask = (steps[None] <= lengths[:, None]).long()
    return x, mask


def _text_targets(model: SokeGenerator, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                  lang_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Decoder input ``[lang, w1..]`` and targets ``[w1.., </s>]`` (IGNORE on padding) from the encoder batch."""
    if int(input_ids.max()) >= model.vocab.text_size:
        raise ValueError("the text batch holds non-text ids (a retrieval prompt?): M3T's translation objective "
                         "predicts the spoken sentence only, so train it without retrieval prompts")
    tgt = torch.where(attention_mask.bool(), input_ids, torch.full_like(input_ids, IGNORE))
    dec_in = torch.cat([lang_ids[:, None], input_ids[:, :-1]], 1)   # right padding: causal attention never sees it
    return dec_in, tgt


def translation_loss(model: SokeGenerator, batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Teacher-forced cross-entropy of Eq. 9 on a production batch; returns ``{'loss', 'loss_translation'}``.

    The separate motion heads (``heads='separate'``) take no part in translation; a zero-weighted term keeps them
    in the graph so that DDP sees a gradient (of zeros) for every parameter in every step.
    """
    codes = {p: batch[f"codes_{p}"] for p in model.parts}
    x, mask = motion_encoder_inputs(model, codes, batch["lengths"], batch["lang_ids"])
    enc = model.encode_embeds(x, mask)
    dec_in, tgt = _text_targets(model, batch["input_ids"], batch["attention_mask"], batch["lang_ids"])
    h, _ = model.decode_hidden(model.embed(dec_in), enc, mask)
    V = model.vocab.text_size
    logits = model.slice_logits(h, 0, V)                                            # text head only
    loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=IGNORE)
    if len(model.part_heads):
        loss = loss + 0.0 * sum(p.sum() for p in model.part_heads.parameters())
    return {"loss": loss, "loss_translation": loss.detach()}


@torch.inference_mode()
def translate(model: SokeGenerator, codes: Mapping[str, Sequence[torch.Tensor]], languages: Sequence[str],
              max_len: int = 40) -> list[str]:
    """Greedy sign -> text with the translation head: ``codes`` ``{part: [LongTensor (K_b,)]}`` (what the decoding
    loops return) -> one sentence per sample (word-level vocabularies: detokenised text)."""
    if model.training:
        raise ValueError("model is in training mode (dropout on): call model.eval() before translating")
    parts = model.parts
    missing = [p for p in parts if p not in codes]
    if missing:
        raise ValueError(f"codes miss the stream(s) {missing}: translation reads every stream {list(parts)}")
    n = len(codes[parts[0]])
    if n == 0 or len(languages) != n:
        raise ValueError(f"got {n} motion samples and {len(languages)} languages: pass one language per sample")
    dev = model.device
    lengths = torch.tensor([min(len(codes[p][b]) for p in parts) for b in range(n)], device=dev)
    K = max(int(lengths.max()), 1)
    padded = {p: torch.zeros((n, K), dtype=torch.long, device=dev) for p in parts}
    for p in parts:
        for b in range(n):
            k = int(lengths[b])
            padded[p][b, :k] = torch.as_tensor(codes[p][b][:k], device=dev)
    langs = [normalise_language(l, model.vocab.languages) for l in languages]
    lang_ids = torch.tensor([model.vocab.language_id(l) for l in langs], device=dev)
    x, mask = motion_encoder_inputs(model, padded, lengths, lang_ids)
    enc = model.encode_embeds(x, mask)
    V, eos = model.vocab.text_size, model.vocab.eos_id
    W, bias = model.head_weights(0, V)
    inp, past = model.embed(lang_ids[:, None]), None
    out = torch.zeros((n, 0), dtype=torch.long, device=dev)
    done = torch.zeros(n, dtype=torch.bool, device=dev)
    for _ in range(max_len):
        h, past = model.decode_hidden(inp, enc, mask, past, use_cache=True)
        tok = (F.linear(h[:, -1], W) + bias).argmax(-1)
        tok = torch.where(done, torch.full_like(tok, eos), tok)
        out = torch.cat([out, tok[:, None]], 1)
        done = done | (tok == eos)
        if bool(done.all()):
            break
        inp = model.embed(tok[:, None])
    vocab = model.vocab
    texts = []
    for b in range(n):
        ids = out[b].tolist()
        ids = ids[: ids.index(eos)] if eos in ids else ids
        if vocab.is_hf:
            texts.append(vocab.text_tokenizer.decode(ids, skip_special_tokens=True))
        else:
            texts.append(vocab.text_tokenizer.decode(ids, langs[b]))
    return texts
