"""SOKE autoregressive multilingual generator (AMG) on an mBART backbone (SOKE Sec. 3.3).

One encoder, one *shared* decoder and one shared LM head (tied to the input embeddings, as in mBART). The
three decoding strategies differ only in what the decoder is fed and which logits are read:

==============  ==============================================  =======================================
strategy        decoder input                                   heads
==============  ==============================================  =======================================
sequential      ``lang, b1, l1, r1, b2, ...`` (3K+1 positions)  position j reads part ``j % 3`` (Eq. 2)
parallel        3 streams ``<part_lang>, p1, p2, ...``          each stream reads its own part (Eq. 3)
multihead       ``lang, E(b1,l1,r1), E(b2,l2,r2), ...``         every position reads all 3 parts (Eq. 4)
==============  ==============================================  =======================================

with the fused embedding ``E = (1-2λ) E_B + λ E_LH + λ E_RH`` (SOKE Eq. 4; the paper uses λ = 1/3, the
released code 0.4). "Per-part logits" are the shared logits masked to the part's vocabulary
(:meth:`SokeGenerator.part_logits`); the loss is the sum of the three per-part cross-entropies, each
weighted 1.0 (as in SOKE's public code).

The model is generic over the vocabulary's parts (streams): SOKE's three, or M3T's four (body, left hand,
right hand, face; M3T Sec. 3.3, Eq. 7-8), with the fusion weights of :meth:`SokeGenerator.fusion_weights`
(λ = 1/n gives M3T's equal-weight average). Two switches generalise SOKE's model to M3T's and leave SOKE's
defaults (and SOKE's generation, token for token) as they were:

- ``start``: what the decoder reads at its first position. ``'lang'`` (SOKE): the target-language token
  (``en_ASL``). ``'modality'`` (M3T Sec. 3.3: "we prepend modality-specific language prompts, e.g. <ASL_LH>,
  <DGS_F>"): the fused embedding of the parts' modality-language tokens ``<body_en_ASL>, <lhand_en_ASL>, ...``,
  i.e. one prompt per stream, averaged like every other step because the decoder takes one input per step.
  Parallel decoding always starts each stream with its own modality-language token.
- ``heads``: how per-part logits are produced. ``'shared'`` (SOKE's code): slices of mBART's LM head, which is
  tied to the input embeddings. ``'separate'`` (M3T App. 0.D.2: "5 modality-specific token prediction heads:
  text, body, left hand, right hand, and face. Each head is implemented as a linear layer mapping the shared
  hidden representation to the respective vocabulary indices"): one untied ``nn.Linear`` per motion part
  (:attr:`SokeGenerator.part_heads`), bias included; the text head stays mBART's tied LM head. A head
  reads only its own part's ids (codes + EOS) in both modes, so masking the shared logits to a part (SOKE) and a
  linear layer onto the part's ids (M3T) give the same softmax; what differs is whether those rows are the
  input embeddings (tied) or free parameters.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from torch import nn
from transformers import MBartConfig, MBartForConditionalGeneration
from transformers.models.mbart.modeling_mbart import MBartDecoder

from slpkit.generators.soke.vocab import SokeVocab

#: the decoder's KV-cache keyword: ``cache`` in transformers >= 5.x, ``past_key_values`` before
_CACHE_KW = "cache" if "cache" in inspect.signature(MBartDecoder.forward).parameters else "past_key_values"

STRATEGIES: tuple[str, ...] = ("sequential", "parallel", "multihead")
#: decoder start (see the module docstring): SOKE's language token or M3T's fused modality-language prompts
STARTS: tuple[str, ...] = ("lang", "modality")
#: per-part output heads: SOKE's slices of the tied LM head or M3T's separate linear layers
HEADS: tuple[str, ...] = ("shared", "separate")
IGNORE = -100


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown decoding strategy {strategy!r}: use one of {STRATEGIES}")
    return strategy


def check_choice(name: str, value: str, choices: tuple[str, ...], hint: str) -> str:
    if value not in choices:
        raise ValueError(f"{name}={value!r}: use one of {choices} ({hint})")
    return value


def tiny_mbart_config(vocab_size: int, d_model: int = 64, layers: int = 2, heads: int = 4, ffn: int = 128,
                      max_positions: int = 512, dropout: float = 0.1, pad_token_id: int = 0, bos_token_id: int = 1,
                      eos_token_id: int = 2, **kw):
    """A small ``MBartConfig`` trained from scratch (smoke / CPU); ``d_model=1024, layers=12, heads=16,
    ffn=4096`` is mBART-large-cc25's shape."""
    return MBartConfig(
        vocab_size=vocab_size, d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn, decoder_ffn_dim=ffn,
        max_position_embeddings=max_positions, dropout=dropout, attention_dropout=0.0, activation_dropout=0.0,
        pad_token_id=pad_token_id, bos_token_id=bos_token_id, eos_token_id=eos_token_id,
        decoder_start_token_id=eos_token_id, forced_eos_token_id=None, scale_embedding=True, use_cache=True,
        tie_word_embeddings=True, **kw,
    )


class SokeGenerator(nn.Module):
    """mBART encoder-decoder over the integrated :class:`SokeVocab`.

    Parameters
    ----------
    vocab: the integrated vocabulary.
    config: an ``MBartConfig`` (its ``vocab_size`` is set to ``len(vocab)``); default :func:`tiny_mbart_config`.
    lam: λ of the multi-head fused embedding (SOKE Eq. 4), in (0, 0.5) for three parts. For ``n`` parts the
        first (body) part gets ``1 - (n-1)λ`` and every other part ``λ``.
    mbart: an existing ``MBartForConditionalGeneration`` (used by :meth:`from_pretrained`).
    input_dropout: probability of zeroing a teacher-forced motion-token embedding of the decoder input while
        training (:meth:`_drop_inputs`); 0 = off (SOKE).
    start: ``'lang'`` (SOKE, default) or ``'modality'`` (M3T's fused modality-language prompts); see the module
        docstring and :meth:`start_embedding`.
    heads: ``'shared'`` (SOKE, default: slices of the tied LM head) or ``'separate'`` (M3T: one linear layer per
        motion part, :attr:`part_heads`); see :meth:`head_weights`.

    Example (M3T's four streams)::

        vocab = SokeVocab.train(pairs, {"body": 96, "lhand": 192, "rhand": 192, "face": 512})
        gen = SokeGenerator(vocab, lam=1 / 4, start="modality", heads="separate")   # equal-weight fusion
    """

    def __init__(self, vocab: SokeVocab, config=None, lam: float = 1 / 3, mbart=None, attn_implementation: str = "sdpa",
                 input_dropout: float = 0.0, start: str = "lang", heads: str = "shared"):
        super().__init__()
        if not 0.0 <= float(input_dropout) < 1.0:
            raise ValueError(f"input_dropout must lie in [0, 1), got {input_dropout}")
        self.start = check_choice("start", start, STARTS, "'lang': SOKE's language token; 'modality': M3T's "
                                  "modality-language prompts")
        self.heads = check_choice("heads", heads, HEADS, "'shared': SOKE's masked shared LM head; 'separate': M3T's "
                                  "linear layer per modality")
        self.input_dropout = float(input_dropout)
        self.vocab = vocab
        self.parts = vocab.parts
        self._fusion_cache: dict = {}
        self.lam = float(lam)
        if mbart is None:
            if config is None:
                config = tiny_mbart_config(len(vocab), pad_token_id=vocab.pad_id, bos_token_id=vocab.bos_id,
                                           eos_token_id=vocab.eos_id)
            config.vocab_size = len(vocab)
            config._attn_implementation = attn_implementation
            mbart = MBartForConditionalGeneration(config)
        elif mbart.get_input_embeddings().num_embeddings != len(vocab):
            mbart.resize_token_embeddings(len(vocab), mean_resizing=False)
        self.mbart = mbart
        self.config = mbart.config
        # Part id ranges as plain ints (used every decoding step).
        self.ranges = {p: vocab.part_range(p) for p in self.parts}
        # M3T: one linear head per motion part, onto that part's ids (codes + EOS)
        self.part_heads = nn.ModuleDict()
        if self.heads == "separate":
            d = self.config.d_model
            for p in self.parts:
                a, b = self.ranges[p]
                head = nn.Linear(d, b - a)
                nn.init.normal_(head.weight, std=float(getattr(self.config, "init_std", 0.02)))
                nn.init.zeros_(head.bias)
                self.part_heads[p] = head

    # ------------------------------------------------------------------ λ
    @property
    def lam(self) -> float:
        return self._lam

    @lam.setter
    def lam(self, value: float) -> None:
        n = len(self.vocab.parts)
        value = float(value)
        if n > 1 and not (0.0 <= value <= 1.0 / (n - 1)):
            raise ValueError(f"λ must lie in [0, {1 / (n - 1):.3g}] for {n} parts (SOKE: 1/3, released code 0.4; "
                             f"M3T's equal weights: 1/{n}), got {value}")
        self._lam = value
        self._fusion_cache = {}

    def fusion_weights(self) -> list[float]:
        """Weights of the part embeddings in the fused input: ``[1-2λ, λ, λ]`` for SOKE's three parts,
        ``[1-3λ, λ, λ, λ]`` for four (λ = 1/4: M3T's equal-weight average, Sec. 3.3)."""
        n = len(self.parts)
        if n == 1:
            return [1.0]
        return [1.0 - (n - 1) * self.lam] + [self.lam] * (n - 1)

    def _fusion_tensor(self, weight: torch.Tensor) -> torch.Tensor:
        """``fusion_weights() * embed_scale`` as a tensor, built once per dtype / device / inference mode (the
        decoding loops call :meth:`fuse` every step; an inference-mode tensor cannot enter autograd, hence the key)."""
        key = (weight.dtype, weight.device, torch.is_inference_mode_enabled())
        w = self._fusion_cache.get(key)
        if w is None:
            scale = float(self.mbart.model.decoder.embed_tokens.embed_scale)
            w = self._fusion_cache[key] = torch.tensor(self.fusion_weights(), dtype=weight.dtype,
                                                       device=weight.device) * scale
        return w

    # ------------------------------------------------------------------ building blocks
    @property
    def device(self) -> torch.device:
        return self.mbart.lm_head.weight.device

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Decoder token embeddings (mBART's scaled shared embedding)."""
        return self.mbart.model.decoder.embed_tokens(ids)

    def fuse(self, ids: Mapping[str, torch.Tensor] | torch.Tensor) -> torch.Tensor:
        """Multi-head input embedding ``(1-2λ) E_B + λ E_LH + λ E_RH`` (SOKE Eq. 4), the one place it is computed
        (training and the decoding loops call it).

        ``ids``: ``{part: (...,) vocabulary ids}`` or a tensor ``(..., n_parts)`` in part order -> ``(..., D)``.
        One weighted ``embedding_bag`` over the parts' ids (mBART's embedding scale folded into the weights).
        """
        if not isinstance(ids, torch.Tensor):
            ids = torch.stack([ids[p] for p in self.parts], -1)
        weight = self.mbart.model.decoder.embed_tokens.weight
        w = self._fusion_tensor(weight)
        if ids.dim() == 2:   # one decoding step (B, n_parts): no reshapes (this runs once per generated step)
            return F.embedding_bag(ids, weight, mode="sum", per_sample_weights=w.expand(ids.shape))
        flat = ids.reshape(-1, ids.shape[-1])
        out = F.embedding_bag(flat, weight, mode="sum", per_sample_weights=w.expand(flat.shape))
        return out.reshape(*ids.shape[:-1], -1)

    def start_ids(self, lang_ids: torch.Tensor) -> torch.Tensor:
        """Decoder start ids ``(B, 1)`` (``start='lang'``) or ``(B, 1, n_parts)`` modality-language ids
        (``start='modality'``) for target-language ids ``(B,)``."""
        if self.start == "lang":
            return lang_ids[:, None]
        return torch.stack([self._part_lang_ids(p, lang_ids) for p in self.parts], -1)[:, None]

    def start_embedding(self, lang_ids: torch.Tensor) -> torch.Tensor:
        """Decoder input of the first position, ``(B, 1, D)``, for target-language ids ``(B,)``: the language token
        (SOKE) or the fused modality-language prompts ``fuse(<body_lang>, <lhand_lang>, ...)`` (M3T Sec. 3.3).
        Training and the decoding loops both call it."""
        ids = self.start_ids(lang_ids)
        return self.embed(ids) if self.start == "lang" else self.fuse(ids)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder hidden states ``(B, S, D)`` (``h_en`` in SOKE Eq. 2-4)."""
        if attention_mask is None:
            attention_mask = (input_ids != self.vocab.pad_id).long()
        return self.mbart.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def encode_embeds(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder hidden states ``(B, S, D)`` of input *embeddings* ``(B, S, D)`` (already scaled, e.g. from
        :meth:`fuse`): M3T's translation objective feeds the fused motion-token embeddings to the encoder (Eq. 9)."""
        return self.mbart.model.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    def decode_hidden(self, inputs_embeds: torch.Tensor, encoder_hidden: torch.Tensor,
                      encoder_mask: torch.Tensor | None = None, past_key_values=None, use_cache: bool = False):
        """Run the shared decoder on ``inputs_embeds (N, t, D)``; returns ``(hidden (N, t, D), past_key_values)``.

        With ``past_key_values`` (an ``EncoderDecoderCache``) only the new positions are fed: self-attention
        keys / values of the prefix and the cross-attention keys / values come from the cache.
        """
        out = self.mbart.model.decoder(
            inputs_embeds=inputs_embeds, encoder_hidden_states=encoder_hidden, encoder_attention_mask=encoder_mask,
            use_cache=use_cache, **{_CACHE_KW: past_key_values},
        )
        cache = getattr(out, "cache", None)
        return out.last_hidden_state, cache if cache is not None else getattr(out, "past_key_values", None)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """All heads: ``(..., D) -> (..., V)``. With ``heads='shared'`` mBART's LM head; with ``'separate'`` its
        text (and prompt) rows, then each part's own head on that part's ids."""
        out = self.mbart.lm_head(hidden) + self.mbart.final_logits_bias
        if self.heads == "separate":
            out = out.clone()
            for p in self.parts:
                a, b = self.ranges[p]
                out[..., a:b] = self.part_heads[p](hidden)
        return out

    def head_weights(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(W (stop-start, D), b (stop-start,))`` of the output rows for ids ``[start, stop)``: the tied LM head
        (text ids, and every id with ``heads='shared'``) or, with ``heads='separate'``, the part heads' rows (a range
        spanning adjacent parts concatenates their heads, in id order). The decoding loops read motion logits
        through it."""
        if self.heads == "separate" and start >= self.vocab.motion_range[0]:
            ws, bs = [], []
            for p in self.parts:
                a, b = self.ranges[p]
                lo, hi = max(a, start), min(b, stop)
                if lo < hi:
                    head = self.part_heads[p]
                    ws.append(head.weight[lo - a:hi - a])
                    bs.append(head.bias[lo - a:hi - a])
            if sum(len(w) for w in ws) != stop - start:
                raise ValueError(f"ids [{start}, {stop}) are not motion ids of this vocabulary {self.vocab}")
            return (ws[0], bs[0]) if len(ws) == 1 else (torch.cat(ws), torch.cat(bs))
        if self.heads == "separate" and stop > self.vocab.motion_range[0]:
            raise ValueError(f"ids [{start}, {stop}) mix text and motion ids: ask for the two ranges separately")
        return self.mbart.lm_head.weight[start:stop], self.mbart.final_logits_bias[0, start:stop]

    def slice_logits(self, hidden: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Logits of ids ``[start, stop)`` only: the same numbers as ``logits(hidden)[..., start:stop]`` at a fraction
        of the cost (decoding reads only the motion ids, translation only the text ids)."""
        w, b = self.head_weights(start, stop)
        return F.linear(hidden, w) + b

    def part_logits(self, logits: torch.Tensor, part: str) -> torch.Tensor:
        """Shared logits masked to ``part``'s vocabulary (its codes + its EOS), ``-inf`` elsewhere."""
        start, stop = self.ranges[part]
        out = torch.full_like(logits, float("-inf"))
        out[..., start:stop] = logits[..., start:stop]
        return out

    # ------------------------------------------------------------------ training (teacher forcing)
    def forward(self, batch: Mapping[str, torch.Tensor], strategy: str = "multihead") -> dict[str, torch.Tensor]:
        """Teacher-forced loss of one batch.

        ``batch``: ``input_ids (B, S)``, ``attention_mask (B, S)``, ``lang_ids (B,)`` (vocabulary ids of the
        target-language tokens), ``lengths (B,)`` (motion-token steps K_b) and ``codes_<part> (B, K)`` part-local
        codebook indices padded with anything beyond ``lengths``. Returns ``{'loss', 'loss_<part>'...}``; the
        loss is the sum of the per-part cross-entropies (weights 1.0).
        """
        check_strategy(strategy)
        enc_mask = batch["attention_mask"]
        enc = self.encode(batch["input_ids"], enc_mask)
        lengths = batch["lengths"]
        B = lengths.shape[0]
        K = max(int(lengths.max()), 0)
        dev = enc.device
        ids = {}
        for p in self.parts:
            c = batch[f"codes_{p}"][:, :K].clamp(0, self.vocab.codebook_sizes[p] - 1)
            ids[p] = c + self.ranges[p][0]
        steps = torch.arange(K + 1, device=dev)
        # targets per part: codes, then <part_eos> at position K_b, IGNORE after it
        targets = {}
        for p in self.parts:
            t = torch.cat([ids[p], torch.full((B, 1), self.vocab.part_eos[p], device=dev)], 1)
            t = torch.where(steps[None] == lengths[:, None], torch.full_like(t, self.vocab.part_eos[p]), t)
            targets[p] = torch.where(steps[None] > lengths[:, None], torch.full_like(t, IGNORE), t)
        lang = batch["lang_ids"]
        losses: dict[str, torch.Tensor] = {}
        n = len(self.parts)
        if strategy == "multihead":
            x = torch.cat([self.start_embedding(lang), self.fuse({p: ids[p] for p in self.parts})], 1)
            h, _ = self.decode_hidden(self._drop_inputs(x), enc, enc_mask)
            for p in self.parts:
                losses[p] = self._part_ce(h, targets[p], p)
        elif strategy == "parallel":
            enc3 = enc.repeat_interleave(n, 0)
            mask3 = enc_mask.repeat_interleave(n, 0)
            start = torch.stack([self._part_lang_ids(p, lang) for p in self.parts], 1).reshape(B * n, 1)
            body = torch.stack([ids[p] for p in self.parts], 1).reshape(B * n, K)
            h, _ = self.decode_hidden(self._drop_inputs(self.embed(torch.cat([start, body], 1))), enc3, mask3)
            h = h.reshape(B, n, K + 1, -1)
            for i, p in enumerate(self.parts):
                losses[p] = self._part_ce(h[:, i], targets[p], p)
        else:  # sequential: b1 l1 r1 b2 ... ; position j predicts part j % n
            flat = torch.stack([ids[p] for p in self.parts], 2).reshape(B, K * n)
            x = torch.cat([self.start_embedding(lang), self.embed(flat)], 1)  # (B, nK+1)
            h, _ = self.decode_hidden(self._drop_inputs(x), enc, enc_mask)
            for i, p in enumerate(self.parts):
                # part p is predicted at positions i, i+n, ...; the body EOS at position n*K_b
                hp = h[:, i::n]  # (B, K+1) for the body, (B, K) for the others
                tgt = targets[p][:, : hp.shape[1]]
                if i > 0:  # only the body stream ends with an EOS in the flattened sequence
                    tgt = torch.where(steps[None, : hp.shape[1]] >= lengths[:, None], torch.full_like(tgt, IGNORE), tgt)
                losses[p] = self._part_ce(hp, tgt, p)
        out = {f"loss_{p}": l for p, l in losses.items()}
        out["loss"] = sum(losses.values())
        return out

    def _drop_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Motion-token dropout of the teacher-forced decoder input (training only, ``input_dropout`` > 0): each
        motion position's embedding is zeroed with that probability (its position embedding, added inside the
        decoder, stays); the start token is kept. Not in SOKE; off by default. An experiment knob only: on the
        SynthSign smoke corpus p = 0.3 made the model stop by EOS far less often (18% vs 86%), so no preset uses it."""
        p = self.input_dropout
        if not self.training or p <= 0 or x.shape[1] < 2:
            return x
        keep = torch.rand(x.shape[0], x.shape[1], 1, device=x.device) >= p
        keep[:, 0] = True
        return x * keep.to(x.dtype)

    def _part_lang_ids(self, part: str, lang_ids: torch.Tensor) -> torch.Tensor:
        table = torch.zeros(len(self.vocab), dtype=torch.long, device=lang_ids.device)
        for lang, lid in self.vocab.lang_ids.items():
            table[lid] = self.vocab.part_lang_ids[(part, lang)]
        return table[lang_ids]

    def _part_ce(self, hidden: torch.Tensor, target: torch.Tensor, part: str) -> torch.Tensor:
        # Cross-entropy of the part-masked logits. Softmax over the masked logits equals softmax over the
        # part's slice, so the slice is used (no (B, L, V) tensor of -inf).
        start, stop = self.ranges[part]
        logits = self.slice_logits(hidden, start, stop)
        tgt = torch.where(target == IGNORE, target, target - start)
        if (tgt == IGNORE).all():
            return logits.sum() * 0.0
        return F.cross_entropy(logits.reshape(-1, stop - start), tgt.reshape(-1), ignore_index=IGNORE)

    # ------------------------------------------------------------------ persistence
    @classmethod
    def from_pretrained(cls, path: str | Path, vocab: SokeVocab, lam: float = 1 / 3, start: str = "lang",
                        heads: str = "shared", **kwargs) -> "SokeGenerator":
        """Load any MBart checkpoint from a local folder (e.g. mBART-large-cc25 downloaded beforehand) and resize
        its embeddings / LM head to the integrated vocabulary. Nothing is fetched from the network.

        Pair it with ``SokeVocab.from_hf_tokenizer(path)`` so the text ids keep their pretrained meaning;
        motion and language tokens are new rows (appended after the text ids).
        """
        mbart = MBartForConditionalGeneration.from_pretrained(str(path), local_files_only=True, **kwargs)
        mbart.config.pad_token_id = vocab.pad_id
        return cls(vocab, lam=lam, mbart=mbart, start=start, heads=heads)

    def state(self) -> dict[str, Any]:
        """Everything to rebuild this generator in one picklable dict (word-level vocabularies only):
        vocabulary, mBART config, λ, input dropout, start / heads, weights. Inverse: :meth:`from_state`."""
        out = {"vocab": self.vocab.to_dict(), "mbart_config": self.config.to_dict(), "lam": self.lam,
               "input_dropout": self.input_dropout, "start": self.start, "heads": self.heads,
               "state_dict": {k: v.detach().cpu() for k, v in self.mbart.state_dict().items()}}
        if self.heads == "separate":
            out["part_heads"] = {k: v.detach().cpu() for k, v in self.part_heads.state_dict().items()}
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "SokeGenerator":
        vocab = SokeVocab.from_dict(state["vocab"])
        config = MBartConfig.from_dict(state["mbart_config"])
        model = cls(vocab, config, lam=state["lam"], input_dropout=state.get("input_dropout", 0.0),
                    start=state.get("start", "lang"), heads=state.get("heads", "shared"))
        model.mbart.load_state_dict(state["state_dict"])
        if model.heads == "separate":
            model.part_heads.load_state_dict(state["part_heads"])
        return model

    def save(self, folder: str | Path) -> Path:
        """Save backbone (``save_pretrained``), vocabulary, λ, start / heads (and separate heads' weights) to
        ``folder``; reload with :meth:`load`."""
        folder = Path(folder)
        self.mbart.save_pretrained(str(folder / "mbart"))
        self.vocab.save(folder / "vocab")
        (folder / "soke.json").write_text(json.dumps({"lam": self.lam, "start": self.start, "heads": self.heads}))
        if self.heads == "separate":
            torch.save({k: v.detach().cpu() for k, v in self.part_heads.state_dict().items()}, folder / "part_heads.pt")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "SokeGenerator":
        """Reload a folder written by :meth:`save`; a missing or foreign folder raises naming it."""
        folder = Path(folder)
        for need in ("soke.json", "vocab/soke_vocab.json", "mbart"):
            if not (folder / need).exists():
                raise FileNotFoundError(f"{folder} is not a saved SOKE generator: {need} is missing "
                                        "(write one with SokeGenerator.save(folder))")
        try:
            vocab = SokeVocab.load(folder / "vocab")
            meta = json.loads((folder / "soke.json").read_text())
            model = cls.from_pretrained(folder / "mbart", vocab, lam=meta["lam"], start=meta.get("start", "lang"),
                                        heads=meta.get("heads", "shared"))
            if model.heads == "separate":
                model.part_heads.load_state_dict(torch.load(folder / "part_heads.pt", map_location="cpu"))
            return model
        except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as err:
            raise ValueError(f"cannot read the SOKE generator in {folder} ({type(err).__name__}: {err}); "
                             "save it again or delete it") from err
