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

The model is generic over the vocabulary's parts (streams): SOKE's three, or M3T's four (body, hands, face),
with the fusion weights of :meth:`SokeGenerator.fusion_weights`.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn
from transformers import MBartConfig, MBartForConditionalGeneration
from transformers.models.mbart.modeling_mbart import MBartDecoder

from slpkit.generators.soke.vocab import SokeVocab

#: the decoder's KV-cache keyword: ``cache`` in transformers >= 5.x, ``past_key_values`` before
_CACHE_KW = "cache" if "cache" in inspect.signature(MBartDecoder.forward).parameters else "past_key_values"

STRATEGIES: tuple[str, ...] = ("sequential", "parallel", "multihead")
IGNORE = -100


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown decoding strategy {strategy!r}: use one of {STRATEGIES}")
    return strategy


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
    """

    def __init__(self, vocab: SokeVocab, config=None, lam: float = 1 / 3, mbart=None, attn_implementation: str = "sdpa",
                 input_dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= float(input_dropout) < 1.0:
            raise ValueError(f"input_dropout must lie in [0, 1), got {input_dropout}")
        self.input_dropout = float(input_dropout)
        self.vocab = vocab
        self.parts = vocab.parts
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

    # ------------------------------------------------------------------ λ
    @property
    def lam(self) -> float:
        return self._lam

    @lam.setter
    def lam(self, value: float) -> None:
        n = len(self.vocab.parts)
        value = float(value)
        if n > 1 and not (0.0 <= value <= 1.0 / (n - 1)):
            raise ValueError(f"λ must lie in [0, {1 / (n - 1):.3g}] for {n} parts (SOKE: 1/3, released code 0.4), got {value}")
        self._lam = value

    def fusion_weights(self) -> list[float]:
        """Weights of the part embeddings in the fused input: ``[1-2λ, λ, λ]`` for SOKE's three parts."""
        n = len(self.parts)
        if n == 1:
            return [1.0]
        return [1.0 - (n - 1) * self.lam] + [self.lam] * (n - 1)

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
        emb = self.mbart.model.decoder.embed_tokens
        w = torch.tensor(self.fusion_weights(), dtype=emb.weight.dtype, device=emb.weight.device) * float(emb.embed_scale)
        flat = ids.reshape(-1, ids.shape[-1])
        out = F.embedding_bag(flat, emb.weight, mode="sum", per_sample_weights=w.expand(flat.shape))
        return out.reshape(*ids.shape[:-1], -1)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder hidden states ``(B, S, D)`` (``h_en`` in SOKE Eq. 2-4)."""
        if attention_mask is None:
            attention_mask = (input_ids != self.vocab.pad_id).long()
        return self.mbart.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

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
        """Shared LM head: ``(..., D) -> (..., V)``."""
        return self.mbart.lm_head(hidden) + self.mbart.final_logits_bias

    def slice_logits(self, hidden: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        """Shared LM head restricted to ids ``[start, stop)``: the same numbers as ``logits(hidden)[..., start:stop]``
        at a fraction of the cost (decoding only ever reads the motion ids)."""
        w = self.mbart.lm_head.weight[start:stop]
        return F.linear(hidden, w) + self.mbart.final_logits_bias[0, start:stop]

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
            x = torch.cat([self.embed(lang[:, None]), self.fuse({p: ids[p] for p in self.parts})], 1)
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
            x = self.embed(torch.cat([lang[:, None], flat], 1))  # (B, nK+1)
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
    def from_pretrained(cls, path: str | Path, vocab: SokeVocab, lam: float = 1 / 3, **kwargs) -> "SokeGenerator":
        """Load any MBart checkpoint from a local folder (e.g. mBART-large-cc25 downloaded beforehand) and resize
        its embeddings / LM head to the integrated vocabulary. Nothing is fetched from the network.

        Pair it with ``SokeVocab.from_hf_tokenizer(path)`` so the text ids keep their pretrained meaning;
        motion and language tokens are new rows (appended after the text ids).
        """
        mbart = MBartForConditionalGeneration.from_pretrained(str(path), local_files_only=True, **kwargs)
        mbart.config.pad_token_id = vocab.pad_id
        return cls(vocab, lam=lam, mbart=mbart)

    def state(self) -> dict[str, Any]:
        """Everything to rebuild this generator in one picklable dict (word-level vocabularies only):
        vocabulary, mBART config, λ, input dropout, weights. Inverse: :meth:`from_state`."""
        return {"vocab": self.vocab.to_dict(), "mbart_config": self.config.to_dict(), "lam": self.lam,
                "input_dropout": self.input_dropout,
                "state_dict": {k: v.detach().cpu() for k, v in self.mbart.state_dict().items()}}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "SokeGenerator":
        vocab = SokeVocab.from_dict(state["vocab"])
        config = MBartConfig.from_dict(state["mbart_config"])
        model = cls(vocab, config, lam=state["lam"], input_dropout=state.get("input_dropout", 0.0))
        model.mbart.load_state_dict(state["state_dict"])
        return model

    def save(self, folder: str | Path) -> Path:
        """Save backbone (``save_pretrained``), vocabulary and λ to ``folder``; reload with :meth:`load`."""
        folder = Path(folder)
        self.mbart.save_pretrained(str(folder / "mbart"))
        self.vocab.save(folder / "vocab")
        (folder / "soke.json").write_text(json.dumps({"lam": self.lam}))
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
            return cls.from_pretrained(folder / "mbart", vocab, lam=meta["lam"])
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise ValueError(f"cannot read the SOKE generator in {folder} ({type(err).__name__}: {err}); "
                             "save it again or delete it") from err
