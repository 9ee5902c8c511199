"""Non-autoregressive text-to-latent transformer of DARSLP (Sec. 3.2, 4.2.2).

Pipeline::

    text tokens -> embeddings (E) -> Linear(E, 512) + positional encoding
                -> Transformer encoder (3 layers, 4 heads, FFN 1024)          = memory
    time queries q_t = P(z_ref) + e_t   (z_ref: encoding of a canonical reference pose,
                                        e_t: learned, initialised sinusoidally)
                -> Transformer decoder (6 layers, 8 heads, FFN 1024), all T frames at once
                -> Linear(512, 80)                                          = predicted latents z_hat
    masked mean of memory -> Linear(512, 1) -> sigmoid = length ratio r_hat;  T_hat = round(r_hat * T_max)

Losses: region-weighted L1 on the encodings (Eq. 4) and L1 on the length ratio (Eq. 5).

Text embeddings are pluggable: by default a learned token embedding over a word vocabulary
built from the training corpus (:class:`TextVocab`; Chinese is segmented into words with
``slpkit.data.text.segment``); any module mapping ``(B, L)`` token ids to ``(B, L, E)`` can be
passed as ``text_embedder``, or precomputed float embeddings ``(B, L, E)`` (e.g. BERT's 768-dim
outputs, as in the paper) can be given directly to :meth:`NonAutoregressiveTransformer.forward`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Callable, Mapping, Sequence

import torch
from torch import nn

from slpkit.config import Preset
from slpkit.positional import sinusoidal_encoding

__all__ = [
    "NATConfig",
    "TextVocab",
    "segment_tokenizer",
    "LearnedTextEmbedding",
    "NonAutoregressiveTransformer",
    "sinusoidal_encoding",
    "encoding_l1_terms",
    "encoding_loss",
    "length_loss",
    "lengths_from_ratio",
    "lengths_mask",
]

PAD, UNK = "<pad>", "<unk>"


@dataclasses.dataclass
class NATConfig(Preset):
    """Transformer hyper-parameters (paper values in :meth:`full`)."""

    text_dim: int = 768  # dimension of the text embeddings fed to the input projection
    d_model: int = 512
    enc_layers: int = 3
    enc_heads: int = 4
    dec_layers: int = 6
    dec_heads: int = 8
    ffn: int = 1024
    dropout: float = 0.1
    max_len: int = 200  # T_max in frames (the length ratio is relative to it)
    max_text_len: int = 128

    @classmethod
    def smoke(cls) -> "NATConfig":
        return cls(text_dim=64, d_model=64, enc_layers=1, enc_heads=4, dec_layers=2, dec_heads=4, ffn=128, dropout=0.0, max_len=128)

    @classmethod
    def full(cls) -> "NATConfig":
        return cls()


def segment_tokenizer(text: str, language: str) -> list[str]:
    """Default word tokenizer: ``slpkit.data.text.segment`` (Chinese word segmentation), lower-cased."""
    from slpkit.data.text import segment

    return [w.lower() for w in segment(text, language) if w.strip()]


class TextVocab:
    """Word vocabulary from training sentences; every sentence starts with a language tag ``<asl>``/``<csl>``/``<dgs>``."""

    def __init__(self, tokens: Sequence[str], tokenizer: Callable[[str, str], list[str]] | None = None):
        self.itos = list(tokens)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if self.itos[:2] != [PAD, UNK]:
            raise ValueError("a TextVocab must start with '<pad>', '<unk>'")
        self.tokenizer = tokenizer or segment_tokenizer

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        languages: Sequence[str],
        tokenizer: Callable[[str, str], list[str]] | None = None,
        min_count: int = 1,
    ) -> "TextVocab":
        if len(texts) != len(languages):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
        if not texts:
            raise ValueError("cannot build a vocabulary from zero sentences")
        tok = tokenizer or segment_tokenizer
        counts: Counter = Counter()
        for text, lang in zip(texts, languages):
            counts.update(tok(text, lang))
        tags = sorted({f"<{lang}>" for lang in languages})
        words = sorted(w for w, c in counts.items() if c >= min_count)
        return cls([PAD, UNK] + tags + words, tok)

    def __len__(self) -> int:
        return len(self.itos)

    def tokens(self, text: str, language: str) -> list[str]:
        return [f"<{language}>"] + self.tokenizer(text, language)

    def encode(self, texts: Sequence[str], languages: Sequence[str], max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids ``(B, L)`` (0 = pad) and mask ``(B, L)`` (True = real token)."""
        if isinstance(texts, str):
            raise ValueError("pass a list of texts (and a list of languages), not a single string")
        if len(texts) != len(languages):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
        unk = self.stoi[UNK]
        seqs = [[self.stoi.get(t, unk) for t in self.tokens(x, lang)] for x, lang in zip(texts, languages)]
        if max_len:
            seqs = [s[:max_len] for s in seqs]
        L = max(len(s) for s in seqs)
        ids = torch.zeros(len(seqs), L, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        return ids, ids != 0


class LearnedTextEmbedding(nn.Module):
    """Default text embedder: a trainable lookup table ``(vocab, dim)`` (pad row is zero)."""

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.dim = dim
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embed(ids)


def lengths_from_ratio(ratio: torch.Tensor, max_len: int) -> torch.Tensor:
    """``T_hat = clamp(round(r_hat * T_max), 1, T_max)`` (long)."""
    return torch.clamp(torch.round(ratio * max_len), 1, max_len).long()


def lengths_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """``(B, T)`` bool, True for the first ``lengths[b]`` frames."""
    return torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]


class NonAutoregressiveTransformer(nn.Module):
    """Text -> ``(B, T, C)`` latents and a length ratio, all frames in one pass.

    Args:
        cfg: :class:`NATConfig`.
        latent_dim: channels of the autoencoder's latent (80 by default).
        vocab_size: size of the word vocabulary for the default :class:`LearnedTextEmbedding`.
        text_embedder: any module ``ids (B, L) -> (B, L, cfg.text_dim)`` (overrides ``vocab_size``).
            With neither, :meth:`forward` expects float embeddings ``(B, L, cfg.text_dim)``.
    """

    def __init__(self, cfg: NATConfig, latent_dim: int, vocab_size: int | None = None, text_embedder: nn.Module | None = None):
        super().__init__()
        self.cfg = cfg
        self.latent_dim = latent_dim
        if text_embedder is None and vocab_size is not None:
            text_embedder = LearnedTextEmbedding(vocab_size, cfg.text_dim)
        self.text_embedder = text_embedder
        d = cfg.d_model
        self.in_proj = nn.Linear(cfg.text_dim, d)
        self.register_buffer("text_pe", sinusoidal_encoding(cfg.max_text_len, d), persistent=False)
        enc_layer = nn.TransformerEncoderLayer(d, cfg.enc_heads, cfg.ffn, cfg.dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(enc_layer, cfg.enc_layers, enable_nested_tensor=False)
        dec_layer = nn.TransformerDecoderLayer(d, cfg.dec_heads, cfg.ffn, cfg.dropout, batch_first=True)
        self.decoder = nn.TransformerDecoder(dec_layer, cfg.dec_layers)
        # learned time queries: projection of a canonical reference-pose encoding + learned per-frame offsets
        self.register_buffer("reference_latent", torch.zeros(latent_dim))
        self.query_proj = nn.Linear(latent_dim, d)
        self.time_queries = nn.Parameter(sinusoidal_encoding(cfg.max_len, d).clone())
        self.head = nn.Linear(d, latent_dim)
        self.length_head = nn.Linear(d, 1)

    @torch.no_grad()
    def set_reference(self, z_ref: torch.Tensor) -> None:
        """Canonical reference pose encoding ``(C,)`` (e.g. the encoding of the mean training pose).

        The time queries start from it and the output head's bias is set to it, so an
        untrained model already predicts the reference pose at every frame.
        """
        z_ref = torch.as_tensor(z_ref, dtype=torch.float32).reshape(-1)
        if z_ref.shape[0] != self.latent_dim:
            raise ValueError(f"reference latent has {z_ref.shape[0]} channels, expected {self.latent_dim}")
        self.reference_latent.copy_(z_ref)
        self.head.bias.copy_(z_ref)

    def encode_text(self, text: torch.Tensor, text_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns memory ``(B, L, d)`` and its mask ``(B, L)`` (True = token)."""
        if not torch.is_floating_point(text):
            if self.text_embedder is None:
                raise ValueError("token ids given but this model has no text embedder: pass vocab_size or text_embedder, or float embeddings")
            if text_mask is None:
                text_mask = text != 0
            emb = self.text_embedder(text)
        else:
            emb = text
        if emb.shape[-1] != self.cfg.text_dim:
            raise ValueError(f"text embeddings have dimension {emb.shape[-1]}, NATConfig.text_dim is {self.cfg.text_dim}")
        B, L = emb.shape[:2]
        if L > self.cfg.max_text_len:
            raise ValueError(f"text has {L} tokens, more than max_text_len={self.cfg.max_text_len}")
        if text_mask is None:
            text_mask = torch.ones(B, L, dtype=torch.bool, device=emb.device)
        h = self.in_proj(emb) + self.text_pe[:L]
        mem = self.encoder(h, src_key_padding_mask=~text_mask)
        return mem, text_mask

    def predict_ratio(self, mem: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        m = text_mask.to(mem.dtype)[..., None]
        pooled = (mem * m).sum(1) / m.sum(1).clamp_min(1.0)
        return torch.sigmoid(self.length_head(pooled)).squeeze(-1)

    def forward(
        self,
        text: torch.Tensor,
        text_mask: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
        T: int | None = None,
    ) -> dict[str, torch.Tensor]:
        """Predict latents for ``T`` frames (default ``max(lengths)`` or ``max_len``).

        ``lengths`` (B,): frames per sequence used to mask the decoder's self-attention (ground-truth
        lengths in training; ``None`` = the model's own predicted lengths, as at inference).
        Returns ``{"latents" (B,T,C), "ratio" (B,), "lengths" (B,), "mask" (B,T)}``.
        """
        mem, text_mask = self.encode_text(text, text_mask)
        ratio = self.predict_ratio(mem, text_mask)
        if lengths is None:
            lengths = lengths_from_ratio(ratio.detach(), self.cfg.max_len)
        lengths = lengths.to(mem.device).long()
        if int(lengths.max()) > self.cfg.max_len or int(lengths.min()) < 1:
            raise ValueError(f"lengths must lie in [1, max_len={self.cfg.max_len}], got {lengths.tolist()}")
        T = int(T or lengths.max())
        mask = lengths_mask(lengths, T)
        q = self.query_proj(self.reference_latent)[None, None, :] + self.time_queries[:T][None]
        q = q.expand(mem.shape[0], -1, -1)
        h = self.decoder(q, mem, tgt_key_padding_mask=~mask, memory_key_padding_mask=~text_mask)
        return {"latents": self.head(h), "ratio": ratio, "lengths": lengths, "mask": mask}


def encoding_l1_terms(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, latent_slices: Mapping[str, slice]
) -> dict[str, torch.Tensor]:
    """Unweighted Eq. 4 terms per region: ``1/T sum_t ||z_hat_t^R - z_t^R||_1`` per sequence, mean over the batch."""
    m = mask.to(pred.dtype)
    T = m.sum(1).clamp_min(1.0)
    diff = (pred - target).abs()
    out = {}
    for name, sl in latent_slices.items():
        per_seq = (diff[..., sl].sum(-1) * m).sum(1) / T
        out[name] = per_seq.mean()
    return out


def encoding_loss(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, latent_slices: Mapping[str, slice], weights: Mapping[str, float]
) -> torch.Tensor:
    """Eq. 4: ``sum_R w_R * 1/T sum_t ||z_hat - z||_1`` (batch mean)."""
    terms = encoding_l1_terms(pred, target, mask, latent_slices)
    return sum(float(weights.get(n, 0.0)) * t for n, t in terms.items())


def length_loss(ratio_pred: torch.Tensor, ratio_true: torch.Tensor) -> torch.Tensor:
    """Eq. 5: ``|r_hat - r|`` (batch mean)."""
    return (ratio_pred - ratio_true).abs().mean()
