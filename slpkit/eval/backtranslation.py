"""Back-translation evaluator: a small sign-to-text transformer trained on ground-truth poses.

SLP papers score generated signing by translating it back to text with a model trained
on real poses and reporting BLEU/chrF/ROUGE-L against the sentence (reference notes,
"Back-translation"); the ground-truth poses give the upper bound row. The anchors never
released their back-translators, so slpkit trains one on SynthSign, caches it and reuses
it in every notebook.

Model: pose encoder (linear + sinusoidal positions + ``nn.TransformerEncoder``), text
decoder (``nn.TransformerDecoder``) over a word-level vocabulary built from the training
text (English/German split into words and punctuation, Chinese per character or with
jieba words), started by the target-language token (``en_ASL``, ``zh_CSL``, ``de_DGS``),
greedy decoding. Inputs are normalised with train statistics
``(x - mean) / max(std, min_std)`` (a floor, because generated poses may move channels
that are constant in the data).

Typical use::

    cfg = BackTranslatorConfig.for_mode("smoke")
    bt = train_backtranslator(corpus, "v133", cfg)          # cached after the first call
    bt.score(poses, refs, languages)                        # {'bleu4': ..., 'per_language': {...}}
    ground_truth_row(corpus, "test", translator=bt)         # the upper bound
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from slpkit.checks import check_motion
from slpkit.data.text import LANG_TOKENS
from slpkit.positional import sinusoidal_encoding
from slpkit.config import (SCALE_OUT_FIELDS, Preset, cache_dir, config_hash, per_device_batch, resolve_device,
                           seed_everything, trainer_options)

PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"
CACHE_VERSION = 1
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
_NO_SPACE_BEFORE = set(".,!?;:)]}%…")
_NO_SPACE_AFTER = set("([{¿¡")


# ---------------------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class BackTranslatorConfig(Preset):
    """Back-translator hyper-parameters; ``smoke()`` trains in well under a minute on one CPU thread."""

    d_model: int = 64
    n_heads: int = 4
    enc_layers: int = 2
    dec_layers: int = 2
    ff_dim: int = 128
    dropout: float = 0.2
    temporal_stride: int = 4  # temporal downsampling before the encoder
    frontend: str = "conv"  # 'conv' (Conv1d k=2*stride+1, stride, GELU) | 'pool' (average pool + linear)
    max_frames: int = 512
    max_text_len: int = 48
    zh_tokens: str = "char"  # 'char' | 'jieba'
    min_std: float = 1e-3
    noise_std: float = 0.0  # Gaussian noise on the normalised input while training
    token_dropout: float = 0.3  # decoder input words replaced by <unk> while training (less language-model memorising)
    use_dictionary: bool = True  # also train on the corpus dictionary (citation form -> word)
    dictionary_instances: int = 1  # citation-form instances per word used (0 = all)
    lr: float = 2e-3
    weight_decay: float = 1e-2
    label_smoothing: float = 0.1
    batch_size: int = 16
    max_epochs: int = 40
    seed: int = 0
    device: str = "auto"
    devices: int | str = 1  # Lightning Trainer devices / strategy, e.g. 4 and "ddp"; batch_size stays global
    strategy: str = "auto"

    @classmethod
    def smoke(cls) -> "BackTranslatorConfig":
        return cls()

    @classmethod
    def full(cls) -> "BackTranslatorConfig":
        return cls(d_model=256, n_heads=8, enc_layers=3, dec_layers=3, ff_dim=1024, dropout=0.2,
                   temporal_stride=4, lr=5e-4, batch_size=32, max_epochs=120, dictionary_instances=0)


# ---------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------
def tokenize(text: str, language: str, zh_tokens: str = "char") -> list[str]:
    """Word-level tokens: Chinese per character (or jieba words); others words + punctuation, case kept."""
    if language == "csl":
        if zh_tokens == "jieba":
            from slpkit.data.text import _jieba_tokenizer

            return [t for t in _jieba_tokenizer().lcut(text, HMM=False) if t.strip()]
        return [c for c in text if not c.isspace()]
    return _WORD_RE.findall(text)


def detokenize(tokens: Sequence[str], language: str) -> str:
    """Inverse of :func:`tokenize` for the usual spacing rules (no space before . , ! ? ; :)."""
    if language == "csl":
        return "".join(tokens)
    out = ""
    for t in tokens:
        if not out or t in _NO_SPACE_BEFORE or out[-1] in _NO_SPACE_AFTER or t.startswith("'"):
            out += t
        else:
            out += " " + t
    return out


class Vocab:
    """Word-level vocabulary: ``<pad>`` 0, ``<unk>`` 1, ``<eos>`` 2, language tokens, words by frequency."""

    def __init__(self, tokens: Sequence[str]):
        self.itos = list(tokens)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if self.itos[:3] != [PAD, UNK, EOS]:
            raise ValueError("a Vocab starts with <pad>, <unk>, <eos>")

    @classmethod
    def build(cls, texts: Sequence[str], languages: Sequence[str], zh_tokens: str = "char") -> "Vocab":
        counts: dict[str, int] = {}
        for t, lang in zip(texts, languages):
            for w in tokenize(t, lang, zh_tokens):
                counts[w] = counts.get(w, 0) + 1
        words = sorted(counts, key=lambda w: (-counts[w], w))
        return cls([PAD, UNK, EOS] + list(LANG_TOKENS.values()) + words)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str, language: str, zh_tokens: str = "char") -> list[int]:
        return [self.stoi.get(w, 1) for w in tokenize(text, language, zh_tokens)]

    def decode(self, ids: Sequence[int], language: str) -> str:
        toks = []
        for i in ids:
            if i == 2:
                break
            if i >= 3 + len(LANG_TOKENS):
                toks.append(self.itos[i])
        return detokenize(toks, language)


# ---------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------
class BackTranslator(pl.LightningModule):
    """Sign-to-text transformer. Inputs are raw ``(T, D)`` poses in ``representation``."""

    def __init__(self, in_dim: int, vocab: list[str], cfg: dict[str, Any], mean: Sequence[float], std: Sequence[float],
                 representation: str = "v133"):
        super().__init__()
        self.save_hyperparameters()
        self.cfg = BackTranslatorConfig(**cfg)
        self.vocab = Vocab(vocab)
        self.representation = representation
        self.in_dim = int(in_dim)
        c = self.cfg
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean), dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(np.asarray(std), dtype=torch.float32).clamp_min(c.min_std))
        if c.frontend == "conv":
            k = 2 * c.temporal_stride + 1
            self.in_proj = nn.Sequential(nn.Conv1d(self.in_dim, c.d_model, k, stride=c.temporal_stride, padding=k // 2),
                                         nn.GELU(), nn.Conv1d(c.d_model, c.d_model, 3, padding=1))
        elif c.frontend == "pool":
            self.in_proj = nn.Linear(self.in_dim, c.d_model)
        else:
            raise ValueError(f"frontend {c.frontend!r}: use 'conv' or 'pool'")
        self.register_buffer("pos", sinusoidal_encoding(max(c.max_frames, c.max_text_len + 2), c.d_model), persistent=False)
        enc_layer = nn.TransformerEncoderLayer(c.d_model, c.n_heads, c.ff_dim, c.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(enc_layer, c.enc_layers, enable_nested_tensor=False)
        self.enc_norm = nn.LayerNorm(c.d_model)
        self.tok_emb = nn.Embedding(len(self.vocab), c.d_model, padding_idx=0)
        dec_layer = nn.TransformerDecoderLayer(c.d_model, c.n_heads, c.ff_dim, c.dropout, batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(dec_layer, c.dec_layers)
        self.dec_norm = nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, len(self.vocab))

    # -- encoding --------------------------------------------------------------------
    def encode(self, motion: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``motion (B, T, D)`` raw poses, ``mask (B, T)`` True on frames -> memory and its mask."""
        x = (motion - self.mean) / self.std
        if self.training and self.cfg.noise_std > 0:
            x = x + self.cfg.noise_std * torch.randn_like(x)
        x = x * mask[..., None]
        s = self.cfg.temporal_stride
        if self.cfg.frontend == "conv":
            h = self.in_proj(x.transpose(1, 2)).transpose(1, 2)
            n = h.shape[1]
            lengths = (mask.sum(1) + s - 1) // s
            mask = torch.arange(n, device=x.device)[None] < lengths[:, None]
            if n > self.pos.shape[0]:
                raise ValueError(f"sequence of {motion.shape[1]} frames is longer than max_frames={self.cfg.max_frames} "
                                 "x stride; raise BackTranslatorConfig.max_frames")
            h = (h + self.pos[:n]) * mask[..., None]
            h = self.enc_norm(self.encoder(h, src_key_padding_mask=~mask))
            return h, mask
        if s > 1:
            T = x.shape[1]
            pad = (-T) % s
            if pad:
                x = F.pad(x, (0, 0, 0, pad))
                mask = F.pad(mask, (0, pad), value=False)
            B, Tp, D = x.shape
            m = mask.float().reshape(B, Tp // s, s)
            x = (x.reshape(B, Tp // s, s, D) * m[..., None]).sum(2) / m.sum(2, keepdim=True).clamp_min(1.0)
            mask = m.sum(2) > 0
        if x.shape[1] > self.pos.shape[0]:
            raise ValueError(f"sequence of {x.shape[1] * s} frames is longer than max_frames={self.cfg.max_frames} x stride; "
                             "raise BackTranslatorConfig.max_frames")
        h = self.in_proj(x) + self.pos[: x.shape[1]]
        h = self.enc_norm(self.encoder(h, src_key_padding_mask=~mask))
        return h, mask

    def decode_logits(self, memory: torch.Tensor, mem_mask: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        L = tokens.shape[1]
        h = self.tok_emb(tokens) * math.sqrt(self.cfg.d_model) + self.pos[:L]
        causal = torch.triu(torch.ones(L, L, dtype=torch.bool, device=tokens.device), 1)
        h = self.decoder(h, memory, tgt_mask=causal, tgt_key_padding_mask=tokens == 0,
                         memory_key_padding_mask=~mem_mask)
        return self.head(self.dec_norm(h))

    def _targets(self, texts: Sequence[str], languages: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        seqs = []
        for t, lang in zip(texts, languages):
            ids = self.vocab.encode(t, lang, self.cfg.zh_tokens)[: self.cfg.max_text_len]
            seqs.append([self.vocab.stoi[LANG_TOKENS[lang]]] + ids + [2])
        L = max(len(s) for s in seqs)
        arr = torch.zeros(len(seqs), L, dtype=torch.long)
        for i, s in enumerate(seqs):
            arr[i, : len(s)] = torch.tensor(s)
        arr = arr.to(self.device)
        return arr[:, :-1], arr[:, 1:]

    def loss(self, batch: dict[str, Any]) -> torch.Tensor:
        memory, mmask = self.encode(batch["motion"], batch["mask"])
        inp, tgt = self._targets(batch["text"], batch["language"])
        if self.training and self.cfg.token_dropout > 0:
            drop = (torch.rand(inp.shape, device=inp.device) < self.cfg.token_dropout) & (inp > 2 + len(LANG_TOKENS))
            inp = inp.masked_fill(drop, 1)
        logits = self.decode_logits(memory, mmask, inp)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=0,
                               label_smoothing=self.cfg.label_smoothing)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["text"]))
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch)
        self.log("val_loss", loss, prog_bar=True, batch_size=len(batch["text"]))
        return loss

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.cfg.lr, weight_decay=self.cfg.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches)) if self.trainer is not None else 1000
        warm = max(1, total // 20)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total))))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # -- inference -------------------------------------------------------------------
    @torch.no_grad()
    def greedy(self, motion: torch.Tensor, mask: torch.Tensor, languages: Sequence[str]) -> list[list[int]]:
        memory, mmask = self.encode(motion, mask)
        B = motion.shape[0]
        tokens = torch.tensor([[self.vocab.stoi[LANG_TOKENS[lang]]] for lang in languages], device=motion.device)
        done = torch.zeros(B, dtype=torch.bool, device=motion.device)
        for _ in range(self.cfg.max_text_len + 1):
            logits = self.decode_logits(memory, mmask, tokens)[:, -1]
            logits[:, 0] = -float("inf")  # never <pad>
            logits[:, 3: 3 + len(LANG_TOKENS)] = -float("inf")  # never a language token
            nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, 2), nxt)
            tokens = torch.cat([tokens, nxt[:, None]], 1)
            done |= nxt == 2
            if bool(done.all()):
                break
        return [row[1:] for row in tokens.tolist()]

    def translate(self, poses: Sequence[np.ndarray | torch.Tensor], languages: Sequence[str] | str,
                  batch_size: int = 64) -> list[str]:
        """Translate ``(T, D)`` raw pose sequences (same representation as training) to text."""
        if isinstance(languages, str):
            languages = [languages] * len(poses)
        if len(languages) != len(poses):
            raise ValueError(f"{len(poses)} pose sequences but {len(languages)} languages")
        for lang in set(languages):
            if lang not in LANG_TOKENS:
                raise ValueError(f"unknown language {lang!r}: use one of {list(LANG_TOKENS)}")
        was_training = self.training
        self.eval()
        out: list[str] = []
        dev = self.mean.device
        try:
            for i in range(0, len(poses), batch_size):
                chunk = [torch.as_tensor(np.asarray(p) if not isinstance(p, torch.Tensor) else p, dtype=torch.float32)
                         for p in poses[i: i + batch_size]]
                for j, p in enumerate(chunk):
                    check_motion(p, self.in_dim, f"pose sequence {i + j}",
                                 f"The back-translator was trained on {self.representation!r} ({self.in_dim} dims).")
                lengths = torch.tensor([p.shape[0] for p in chunk])
                motion = torch.zeros(len(chunk), int(lengths.max()), self.in_dim)
                for j, p in enumerate(chunk):
                    motion[j, : p.shape[0]] = p
                mask = torch.arange(motion.shape[1])[None] < lengths[:, None]
                langs = list(languages[i: i + batch_size])
                ids = self.greedy(motion.to(dev), mask.to(dev), langs)
                out += [self.vocab.decode(r, lang) for r, lang in zip(ids, langs)]
        finally:
            self.train(was_training)
        return out

    def score(self, poses: Sequence[np.ndarray | torch.Tensor], refs: Sequence[str], languages: Sequence[str] | str,
              return_hyps: bool = False) -> dict[str, Any]:
        """Translate ``poses`` and score against ``refs`` (see :func:`score_translations`)."""
        if isinstance(languages, str):
            languages = [languages] * len(poses)
        hyps = self.translate(poses, languages)
        res = score_translations(hyps, refs, languages)
        if return_hyps:
            res["hyps"] = hyps
        return res

    # -- persistence -----------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save({"hparams": dict(self.hparams), "state_dict": {k: v.cpu() for k, v in self.state_dict().items()},
                    "version": CACHE_VERSION}, tmp)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "BackTranslator":
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"back-translator checkpoint not found: {path}")
        try:
            ck = torch.load(path, map_location="cpu", weights_only=False)
            model = cls(**ck["hparams"])
            model.load_state_dict(ck["state_dict"])
        except Exception as err:
            raise ValueError(f"cannot read back-translator checkpoint {path} ({type(err).__name__}: {err}); "
                             "delete it to retrain") from err
        return model.to(resolve_device(device)).eval()


# ---------------------------------------------------------------------------------------
# scoring
# ---------------------------------------------------------------------------------------
SCORE_KEYS = ("bleu1", "bleu2", "bleu3", "bleu4", "chrf", "rouge_l")


def score_translations(hyps: Sequence[str], refs: Sequence[str], languages: Sequence[str]) -> dict[str, Any]:
    """Scores per language with :func:`slpkit.metrics.text.translation_scores` and overall.

    Overall = mean of the per-language scores weighted by the number of sentences (BLEU is a
    corpus statistic and languages are tokenised differently, so they are not pooled).
    Returns ``{'bleu1'..'bleu4', 'chrf', 'rouge_l', 'n', 'per_language': {lang: {...}}}``.
    """
    from slpkit.metrics.text import translation_scores

    if not (len(hyps) == len(refs) == len(languages)):
        raise ValueError(f"{len(hyps)} hypotheses, {len(refs)} references, {len(languages)} languages: lengths differ")
    if not hyps:
        raise ValueError("nothing to score: pass at least one hypothesis")
    per: dict[str, dict[str, float]] = {}
    for lang in sorted(set(languages)):
        idx = [i for i, l in enumerate(languages) if l == lang]
        sc = translation_scores([hyps[i] for i in idx], [refs[i] for i in idx], lang)
        per[lang] = {k: float(v) for k, v in sc.items()}
        per[lang]["n"] = len(idx)
    n = len(hyps)
    keys = [k for k in next(iter(per.values())) if k != "n"]
    out: dict[str, Any] = {k: sum(p[k] * p["n"] for p in per.values()) / n for k in keys}
    out["n"] = n
    out["per_language"] = per
    return out


# ---------------------------------------------------------------------------------------
# training + cache
# ---------------------------------------------------------------------------------------
def _corpus_fingerprint(corpus: Any) -> dict[str, Any]:
    train = corpus.split("train")
    return {
        "meta": getattr(corpus, "meta", {}),
        "fingerprint": corpus.fingerprint() if hasattr(corpus, "fingerprint") else None,
        "n": len(corpus.sentences),
        "train_ids": config_hash([s.id for s in train], 16),
        "train_text": config_hash([s.text for s in train], 16),
        "train_len": config_hash([int(len(s.v133)) for s in train], 16),
    }


def backtranslator_key(corpus: Any, representation: str, cfg: BackTranslatorConfig) -> str:
    """Cache key: hash of the config (device, devices, strategy excluded), representation and corpus fingerprint."""
    c = dataclasses.asdict(cfg)
    for k in ("device", *SCALE_OUT_FIELDS):
        c.pop(k, None)
    return config_hash({"cfg": c, "representation": representation, "corpus": _corpus_fingerprint(corpus),
                        "version": CACHE_VERSION}, 16)


def backtranslator_path(corpus: Any, representation: str, cfg: BackTranslatorConfig) -> Path:
    return cache_dir("backtranslator") / f"bt-{representation}-{backtranslator_key(corpus, representation, cfg)}.pt"


def train_backtranslator(corpus: Any, representation: str = "v133", cfg: BackTranslatorConfig | None = None,
                         cache: bool = True, progress_bar: bool | None = None, validate: bool = False) -> BackTranslator:
    """Train (or load from the cache) a back-translator on the train split of ``corpus``.

    The checkpoint lives in ``slpkit.config.cache_dir('backtranslator')`` keyed by
    :func:`backtranslator_key`; with ``cache=True`` an existing one is loaded, not retrained.
    ``progress_bar=None`` keeps Lightning's default (shown).
    """
    from slpkit.data.datamodule import SignDataModule, SignDataset, collate_motion, sentence_features

    cfg = cfg or BackTranslatorConfig.smoke()
    path = backtranslator_path(corpus, representation, cfg)
    if cache and path.exists():
        return BackTranslator.load(path, cfg.device)
    seed_everything(cfg.seed)
    dm = SignDataModule(corpus, representation, batch_size=cfg.batch_size, normalise=False)
    train = list(corpus.split("train"))
    if not train:
        raise ValueError("the corpus has no train sentences: cannot train a back-translator")
    items, feats = train, dm.features("train")
    if cfg.use_dictionary and getattr(corpus, "dictionary", None):
        entries = [SimpleNamespace(id=f"dict:{d.language}:{d.word}:{d.instance}", text=d.word, language=d.language,
                                   gloss=[d.gloss], v133=d.v133, face108=d.face108) for d in corpus.dictionary
                   if cfg.dictionary_instances <= 0 or d.instance < cfg.dictionary_instances]
        items = items + entries
        feats = feats + sentence_features(entries, representation)
    vocab = Vocab.build([s.text for s in items], [s.language for s in items], cfg.zh_tokens)
    model = BackTranslator(dm.dim, vocab.itos, dataclasses.asdict(cfg), dm.mean.tolist(), dm.std.tolist(), representation)
    trainer = pl.Trainer(
        max_epochs=cfg.max_epochs, **trainer_options(cfg.device, cfg.devices, cfg.strategy), logger=False,
        enable_checkpointing=False, enable_model_summary=False, gradient_clip_val=1.0,
        num_sanity_val_steps=0, limit_val_batches=1.0 if validate else 0,
        **({} if progress_bar is None else {"enable_progress_bar": progress_bar}),
    )
    loader = DataLoader(SignDataset(items, feats), batch_size=per_device_batch(cfg.batch_size, trainer.world_size),
                        shuffle=True, collate_fn=collate_motion)
    trainer.fit(model, train_dataloaders=loader,
                val_dataloaders=dm.val_dataloader() if validate and corpus.split("val") else None)
    model = model.cpu().eval()
    if cache and trainer.is_global_zero:
        model.save(path)
    trainer.strategy.barrier("slpkit-backtranslator-saved")
    return model.to(resolve_device(cfg.device))


# ---------------------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------------------
def _split_poses(corpus: Any, split: str, representation: str) -> tuple[list[np.ndarray], list[Any]]:
    from slpkit.data.datamodule import corpus_features

    sents = list(corpus.split(split))
    if not sents:
        raise ValueError(f"the corpus has no {split!r} sentences")
    feats = corpus_features(corpus, representation)
    return [feats[s.id] for s in sents], sents


def derangement(n: int, seed: int = 0) -> np.ndarray:
    """A random permutation of ``range(n)`` with no fixed point (n >= 2)."""
    rng = np.random.default_rng(seed)
    if n < 2:
        return np.arange(n)
    while True:
        p = rng.permutation(n)
        if not (p == np.arange(n)).any():
            return p


def ground_truth_row(corpus: Any, split: str = "test", translator: BackTranslator | None = None,
                     representation: str | None = None, cfg: BackTranslatorConfig | None = None,
                     shuffled: bool = False, seed: int = 0) -> dict[str, Any]:
    """Back-translation scores of the ground-truth poses of ``split`` (the upper bound row).

    ``shuffled=True`` gives the control: poses permuted across sentences (no sentence keeps
    its own poses), so the score measures what the decoder gets from language priors alone.
    Without ``translator`` one is trained (or loaded from the cache) with ``cfg``.
    """
    if translator is None:
        translator = train_backtranslator(corpus, representation or "v133", cfg)
    rep = representation or translator.representation
    poses, sents = _split_poses(corpus, split, rep)
    if shuffled:
        perm = derangement(len(poses), seed)
        poses = [poses[i] for i in perm]
    return translator.score(poses, [s.text for s in sents], [s.language for s in sents])


def upper_bound_table(rows: dict[str, dict[str, Any]], title: str = "Back-translation of ground-truth poses",
                      source: str = "", note: str = "", paper_rows: Sequence[Sequence[Any]] = ()) -> dict[str, Any]:
    """``slpkit.notebook.table`` with one row per entry of ``rows`` (label -> scores dict)."""
    from slpkit.notebook.report import table

    cols = ["row", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "chrF", "ROUGE-L"]
    body = [[label] + [round(float(sc[k]), 2) for k in SCORE_KEYS] for label, sc in rows.items()]
    return table(title, cols, body, paper_rows=paper_rows, note=note, source=source)
