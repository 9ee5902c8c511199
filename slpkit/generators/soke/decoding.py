"""Greedy decoding loops of SOKE and M3T, written out (no ``generate()``): sequential, parallel, multi-head.

The loops are generic over the model's parts (streams, ``n = len(model.parts)``): SOKE's three (body, left hand,
right hand; SOKE Eq. 2-4) and M3T's four (+ face; M3T Sec. 3.3, Eq. 8: multi-head, "generation terminates when
any modality emits the <EOS> token", greedy). The model decides what starts the decoder
(:meth:`SokeGenerator.start_embedding`: SOKE's language token or M3T's fused modality-language prompts) and where
the per-part logits come from (:meth:`SokeGenerator.head_weights`: slices of the tied LM head, or M3T's separate
linear heads).

All three loops are batched and, by default, use the decoder's KV cache (``past_key_values``, an
``EncoderDecoderCache``): each step feeds only the newest position; the cross-attention keys / values of the
encoder output are computed once at the first step and reused. ``use_cache=False`` recomputes the whole prefix
every step (the slow reference: the tests check both give the same tokens).

Stopping (``stop``):

- ``'any'`` (SOKE paper, Sec. 3.3): a sample ends as soon as *any* head / stream emits its EOS.
- ``'body'`` (released code): a sample ends when the body (first part) stream emits its EOS; the other heads
  are then restricted to motion codes (their EOS is masked out) so every part gets the same length.
- ``'never'``: every EOS is masked out and exactly ``max_steps`` steps are decoded (latency benchmarks).

``max_steps`` counts motion *time steps* K (one token per part), 100 by default: sequential decoding therefore
runs up to ``n * max_steps`` decoder calls, parallel and multi-head ``max_steps`` calls (parallel on nB rows).

Output: ``{part: [LongTensor (K_b,) per sample]}`` of part-local codebook indices (what
``PartwiseTokenizer.decode`` takes) or, with ``as_codes=False``, vocabulary ids.

Per-step cost is kept lean: the LM head is evaluated only on the motion ids (``SokeGenerator.slice_logits``),
masking is a precomputed additive ``-inf`` bias, and nothing leaves the device inside the loop except one
"all finished?" flag.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from slpkit.generators.soke.model import SokeGenerator, check_strategy
from slpkit.generators.soke.vocab import normalise_language

STOP_RULES: tuple[str, ...] = ("any", "body", "never")
MAX_STEPS = 100


def check_stop(stop: str) -> str:
    if stop not in STOP_RULES:
        raise ValueError(f"unknown stopping rule {stop!r}: use 'any' (paper: any head's EOS), 'body' "
                         "(released code: body EOS) or 'never' (always max_steps: latency benchmarks)")
    return stop


def encode_batch(model: SokeGenerator, texts: Sequence[str], languages: Sequence[str],
                 prompts: Sequence[Sequence[int]] | None = None, device=None):
    """Tokenise texts (+ optional retrieval prompt ids) into a right-padded encoder batch.

    Returns ``(input_ids (B, S), attention_mask (B, S), lang_ids (B,))``.
    """
    vocab = model.vocab
    for name, v in (("texts", texts), ("languages", languages)):
        if isinstance(v, str):
            raise ValueError(f"{name}={v!r} is a single string: pass a list with one entry per sample, e.g. [{v!r}]")
    if len(texts) != len(languages) or len(texts) == 0:
        raise ValueError(f"need as many languages as texts (and at least one): got {len(texts)} texts, {len(languages)} languages")
    prompts = prompts if prompts is not None else [()] * len(texts)
    seqs = [vocab.encode_source(t, l, p) for t, l, p in zip(texts, languages, prompts)]
    positions = int(model.mbart.config.max_position_embeddings)
    for i, s in enumerate(seqs):
        if len(s) > positions:
            raise ValueError(f"texts[{i}] encodes to {len(s)} tokens, more than the encoder's {positions} positions "
                             "(max_positions): split the text into sentences")
    S = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), S), vocab.pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), S), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    langs = torch.tensor([vocab.language_id(l) for l in languages], dtype=torch.long)
    device = device or model.device
    return ids.to(device), mask.to(device), langs.to(device)


def _lang_tensor(model: SokeGenerator, languages, device) -> torch.Tensor:
    if isinstance(languages, torch.Tensor):
        return languages.to(device)
    return torch.tensor([model.vocab.language_id(normalise_language(l, model.vocab.languages)) for l in languages],
                        dtype=torch.long, device=device)


def _motion_head(model: SokeGenerator):
    """Output rows and bias of the motion ids only: ``(W (Vm, D), b (Vm,), m0)`` (every part's head, in id order)."""
    m0, m1 = model.vocab.motion_range
    W, b = model.head_weights(m0, m1)
    return W, b, m0


def _part_bias(model: SokeGenerator, stop: str, device, dtype) -> torch.Tensor:
    """``(n_parts, Vm)`` additive mask: 0 on the part's codes (+ its EOS when that part may stop), -inf elsewhere."""
    m0, m1 = model.vocab.motion_range
    bias = torch.full((len(model.parts), m1 - m0), float("-inf"), device=device, dtype=dtype)
    for i, p in enumerate(model.parts):
        a, b = model.ranges[p]
        may_stop = stop == "any" or (stop == "body" and i == 0)
        bias[i, a - m0 : (b if may_stop else b - 1) - m0] = 0.0
    return bias


class _Embedder:
    """Decoder-input embeddings for the loops: ``model.embed`` for a token, ``model.fuse`` for a fused multi-head
    step, ``model.start_embedding`` for the first position (one implementation each, shared with training)."""

    def __init__(self, model: SokeGenerator, device):
        self.model = model

    def token(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model.embed(ids)

    def fused(self, step: torch.Tensor) -> torch.Tensor:
        """``(B, n_parts)`` ids -> ``(B, D)`` fused embedding (SOKE Eq. 4; M3T's equal-weight average)."""
        return self.model.fuse(step)

    def start(self, lang: torch.Tensor) -> torch.Tensor:
        """``(B,)`` target-language ids -> ``(B, 1, D)`` first decoder input."""
        return self.model.start_embedding(lang)


def _encoder(model: SokeGenerator, input_ids, attention_mask):
    if attention_mask is None:
        attention_mask = (input_ids != model.vocab.pad_id).long()
    enc = model.encode(input_ids, attention_mask)
    # No padding -> no cross-attention mask to build every step.
    return enc, (None if bool(attention_mask.all()) else attention_mask)


def _collect(model: SokeGenerator, toks: torch.Tensor, lengths: torch.Tensor, as_codes: bool) -> dict[str, list[torch.Tensor]]:
    """``toks (B, steps, n_parts)`` ids -> ``{part: [LongTensor (K_b,)]}``."""
    toks, lengths = toks.cpu(), lengths.cpu().tolist()
    out: dict[str, list[torch.Tensor]] = {p: [] for p in model.parts}
    for i, p in enumerate(model.parts):
        start = model.ranges[p][0]
        for b, k in enumerate(lengths):
            seq = toks[b, :k, i].clone()
            out[p].append(seq - start if as_codes else seq)
    return out


class _Stepper:
    """One decoder step with or without the KV cache (the only place the two modes differ)."""

    def __init__(self, model: SokeGenerator, enc, enc_mask, first: torch.Tensor, use_cache: bool):
        self.model, self.enc, self.enc_mask, self.use_cache = model, enc, enc_mask, use_cache
        self.past = None
        self.x = first  # (N, 1, D): what to feed next (cache) / the whole prefix (no cache)

    def __call__(self) -> torch.Tensor:
        """Hidden state of the newest position, ``(N, D)``."""
        if self.use_cache:
            h, self.past = self.model.decode_hidden(self.x, self.enc, self.enc_mask, self.past, use_cache=True)
        else:
            h, _ = self.model.decode_hidden(self.x, self.enc, self.enc_mask, None, use_cache=False)
        return h[:, -1]

    def feed(self, emb: torch.Tensor) -> None:
        emb = emb[:, None]
        self.x = emb if self.use_cache else torch.cat([self.x, emb], 1)


def _check_args(model, stop, max_steps, tokens_per_step: int = 1):
    check_stop(stop)
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    # the decoder reads 1 start token + every fed token; past the learned positions mBART would index out of range
    positions = int(model.mbart.config.max_position_embeddings)
    if tokens_per_step * max_steps > positions:
        raise ValueError(f"max_steps={max_steps} needs {tokens_per_step * max_steps} decoder positions but the model "
                         f"has {positions} (max_positions): use max_steps <= {positions // tokens_per_step}")
    if model.training:
        raise ValueError("model is in training mode (dropout on): call model.eval() before decoding")


def _greedy_loop(stepper: _Stepper, pick, feed, eos: torch.Tensor, stop: str, batch: int,
                 max_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The greedy loop of multi-head and parallel decoding: ``pick(hidden) -> (B, n)`` tokens of one time step,
    ``feed(step)`` the decoder's next input. A sample ends at its first EOS (of any part with ``stop='any'``, of
    the body with ``'body'``); the loop ends when all have. Returns tokens ``(B, K, n)`` and lengths ``(B,)``
    (steps before the EOS, ``max_steps`` for samples that never stopped)."""
    dev = eos.device
    finished = torch.zeros(batch, dtype=torch.bool, device=dev)
    lengths = torch.full((batch,), max_steps, dtype=torch.long, device=dev)
    toks = []
    for k in range(max_steps):
        step = pick(stepper())                                                      # (B, n)
        is_eos = step == eos
        ends = is_eos.any(1) if stop == "any" else is_eos[:, 0]
        lengths = torch.where(ends & ~finished, torch.full_like(lengths, k), lengths)
        finished = finished | ends
        toks.append(step)
        if bool(finished.all()):
            break
        stepper.feed(feed(step))
    return torch.stack(toks, 1), lengths


@torch.inference_mode()
def decode_multihead(model: SokeGenerator, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, languages,
                     max_steps: int = MAX_STEPS, stop: str = "any", use_cache: bool = True,
                     as_codes: bool = True) -> dict[str, list[torch.Tensor]]:
    """Multi-head decoding (SOKE Eq. 4, M3T Eq. 8): one stream; each step feeds the fused embedding of the previous
    step's tokens (body, lhand, rhand[, face]) and reads every part from the same hidden state, each through its
    own head (one matmul over all motion rows, then a per-part argmax)."""
    _check_args(model, stop, max_steps)
    enc, enc_mask = _encoder(model, input_ids, attention_mask)
    B, n, dev = enc.shape[0], len(model.parts), enc.device
    W, wb, m0 = _motion_head(model)
    bias = _part_bias(model, stop, dev, W.dtype)                                   # (n, Vm)
    eos = torch.tensor([model.vocab.part_eos[p] for p in model.parts], device=dev)  # (n,)
    emb = _Embedder(model, dev)
    stepper = _Stepper(model, enc, enc_mask, emb.start(_lang_tensor(model, languages, dev)), use_cache)
    # (B, D) -> (B, n): one matmul over all motion rows, then a per-part argmax
    pick = lambda h: ((F.linear(h, W) + wb)[:, None, :] + bias).argmax(-1) + m0
    toks, lengths = _greedy_loop(stepper, pick, emb.fused, eos, stop, B, max_steps)
    return _collect(model, toks, lengths, as_codes)


@torch.inference_mode()
def decode_parallel(model: SokeGenerator, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, languages,
                    max_steps: int = MAX_STEPS, stop: str = "any", use_cache: bool = True,
                    as_codes: bool = True) -> dict[str, list[torch.Tensor]]:
    """Parallel decoding (SOKE Eq. 3): n streams with shared weights, batched as ``nB`` rows
    (sample-major: row ``nb + i`` is part ``i`` of sample ``b``), each started by its part-language token
    (e.g. ``<body_en_ASL>``); the encoder runs once on ``B`` rows."""
    _check_args(model, stop, max_steps)
    enc, enc_mask = _encoder(model, input_ids, attention_mask)
    B, n, dev = enc.shape[0], len(model.parts), enc.device
    enc = enc.repeat_interleave(n, 0)
    enc_mask = None if enc_mask is None else enc_mask.repeat_interleave(n, 0)
    W, wb, m0 = _motion_head(model)
    row_bias = _part_bias(model, stop, dev, W.dtype).repeat(B, 1)                   # (nB, Vm)
    eos = torch.tensor([model.vocab.part_eos[p] for p in model.parts], device=dev)
    lang = _lang_tensor(model, languages, dev)
    start = torch.stack([model._part_lang_ids(p, lang) for p in model.parts], 1).reshape(B * n, 1)
    emb = _Embedder(model, dev)
    stepper = _Stepper(model, enc, enc_mask, emb.token(start), use_cache)
    # (nB, D) -> (B, n): each row reads its own part; row nb + i back to sample b, part i
    pick = lambda h: ((F.linear(h, W) + wb + row_bias).argmax(-1) + m0).view(B, n)
    toks, lengths = _greedy_loop(stepper, pick, lambda step: emb.token(step.reshape(-1)), eos, stop, B, max_steps)
    return _collect(model, toks, lengths, as_codes)


@torch.inference_mode()
def decode_sequential(model: SokeGenerator, input_ids: torch.Tensor, attention_mask: torch.Tensor | None, languages,
                      max_steps: int = MAX_STEPS, stop: str = "any", use_cache: bool = True,
                      as_codes: bool = True) -> dict[str, list[torch.Tensor]]:
    """Sequential decoding (SOKE Eq. 2): one stream ``b1 l1 r1 b2 l2 r2 ...`` (``... f1 ...`` with M3T's face);
    position ``j`` is read with the head of part ``j % n``, so K time steps cost ``nK`` decoder calls. With
    ``stop='any'`` an EOS of any part ends the sample and only complete steps (one token per part) are kept."""
    _check_args(model, stop, max_steps, tokens_per_step=len(model.parts))
    enc, enc_mask = _encoder(model, input_ids, attention_mask)
    B, n, dev = enc.shape[0], len(model.parts), enc.device
    # per part: its own slice of the LM head (codes + EOS, or codes only when that part may not stop)
    heads = []
    for i, p in enumerate(model.parts):
        a, b = model.ranges[p]
        b = b if (stop == "any" or (stop == "body" and i == 0)) else b - 1
        heads.append((*model.head_weights(a, b), a, model.vocab.part_eos[p]))
    emb = _Embedder(model, dev)
    stepper = _Stepper(model, enc, enc_mask, emb.start(_lang_tensor(model, languages, dev)), use_cache)
    finished = torch.zeros(B, dtype=torch.bool, device=dev)
    lengths = torch.full((B,), max_steps, dtype=torch.long, device=dev)
    toks = []
    for j in range(n * max_steps):
        W, wb, a, eos = heads[j % n]
        tok = (F.linear(stepper(), W) + wb).argmax(-1) + a                         # (B,)
        ends = tok == eos
        lengths = torch.where(ends & ~finished, torch.full_like(lengths, j // n), lengths)
        finished = finished | ends
        toks.append(tok)
        if bool(finished.all()):
            break
        stepper.feed(emb.token(tok))
    steps = len(toks) // n
    if steps == 0:
        full = torch.zeros((B, 0, n), dtype=torch.long, device=dev)
    else:
        full = torch.stack(toks[: steps * n], 1).view(B, steps, n)
    return _collect(model, full, lengths.clamp(max=steps), as_codes)


DECODERS = {"sequential": decode_sequential, "parallel": decode_parallel, "multihead": decode_multihead}


def decode(model: SokeGenerator, input_ids, attention_mask, languages, strategy: str = "multihead", **kwargs):
    """Dispatch to :func:`decode_sequential` / :func:`decode_parallel` / :func:`decode_multihead`."""
    return DECODERS[check_strategy(strategy)](model, input_ids, attention_mask, languages, **kwargs)


def generate(model: SokeGenerator, texts: Sequence[str], languages: Sequence[str], strategy: str = "multihead",
             prompts: Sequence[Sequence[int]] | None = None, **kwargs) -> dict[str, list[torch.Tensor]]:
    """Text -> part-wise motion codes: :func:`encode_batch` then :func:`decode`."""
    ids, mask, lang = encode_batch(model, texts, languages, prompts)
    return decode(model, ids, mask, lang, strategy=strategy, **kwargs)
