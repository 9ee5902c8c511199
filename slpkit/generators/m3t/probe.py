"""M3T's recognition probe: isolated signs from frozen FSQ-VAE encoder features (M3T Sec. 3.4, 4.3, App. 0.D.3).

The probe asks whether the tokenizer's representation keeps what tells signs apart, the face included. M3T
evaluates it on NMFs-CSL, whose "confusing" signs share their manual form and differ only in non-manual features.
SynthSign lists the same two kinds of pairs (``corpus.meta``): ``nmf_pairs`` ("confusing": identical manual
form, different mouthing and jaw) and ``minimal_pairs`` ("normal": they differ in handshape). Pipeline, shapes
for one clip of ``T`` frames:

1. **Data** (:func:`citation_clips`): citation forms (rest -> sign -> rest) of every word of those pairs, rendered
   by SynthSign's own ``render_citation`` (what builds ``corpus.dictionary``, whose instances ``0..dict_instances-1``
   it reproduces bit for bit), ``train_instances`` instances per word for training and the next
   ``test_instances`` for testing. The signer, timing and noise vary with the instance. The two words of a pair
   share them at equal instance, so they differ only in the intended channel.
2. **Active window** (:func:`active_window`, "following SignRep: thresholds on hand height and displacement
   relative to a neutral rest pose"): frames where a wrist is raised or displaced from its rest position,
   plus a margin.
3. **Frozen encoders** (:func:`encoder_hidden_states`): the M3T tokenizer's encoders (body, the shared mirrored
   hand encoder for both hands, face), hidden states *before* the last conv that maps to the 3-dim FSQ latent
   (M3T: "the 1024-dimensional hidden states extracted prior to quantization"): ``{stream: (ceil(T/4), W)}``.
4. **Classifier** (:class:`RecognitionProbe`): per-stream linear maps to ``d_model`` plus a modality embedding,
   **interleaved** per time step (``b1 l1 r1 f1 b2 ...``, length ``4 T/4``) with a sinusoidal position of the time
   step, a 3-layer transformer encoder (pre-norm, GELU), masked mean pooling and an MLP onto the classes;
   cross-entropy with label smoothing (0.1). Trained through :func:`slpkit.training.fit`, cached.

Face variants (``ProbeConfig.face``): ``'smplfx'`` the 108-dim SMPL-FX face (M3T); ``'none'`` no face stream
(the classifier sees body and hands only); ``'smplx'`` SOKE's face, i.e. what SMPL-X's parameters hold, the 10
expression coefficients and the jaw, fed to the same frozen face encoder with the other 92 entries (90
expression coefficients, 2 eyelids, which SMPL-X lacks) at the training mean (0 after the tokenizer's
normalisation). Using the same encoder keeps the probe's capacity equal, so the variants differ only in what
the face input holds. A face encoder trained on SMPL-X faces alone may keep more of those 13 dimensions;
slpkit does not train one.

Chance levels: top-1 ``1 / n_classes`` overall. For a confusing pair, body and hands are identical, so
without the face the classifier can at best find the pair: ``1/2`` top-1 on the confusing signs.

Example::

    cfg = ProbeConfig.for_mode("smoke", face="smplfx")
    probe = train_probe(corpus, tokenizer, cfg)
    res = evaluate_probe(probe, corpus, tokenizer)      # {'overall': {'top1', 'top5'}, 'confusing': ..., ...}
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from slpkit.body import skeleton as S
from slpkit.body.fk import default_body_model
from slpkit.body.layouts import FACE_EXPR, FACE_EYELID
from slpkit.checks import check_heads, check_int_fields, check_motion
from slpkit.config import resolve_device, result_fields, seed_everything
from slpkit.data.synthsign import SynthSignConfig
from slpkit.data.synthsign.generator import SynthSign
from slpkit.generators.m3t.vocab import M3T_PARTS, check_m3t_streams
from slpkit.generators.soke.retrieval import as_partwise
from slpkit.positional import sinusoidal_encoding
from slpkit.tokenizers.module import clip_poses
from slpkit.training import (TrainConfig, cached, check_same_config, fit, make_loader, read_checkpoint, single_process,
                             state_fingerprint, warmup_cosine_scheduler)

__all__ = ["FACE_VARIANTS", "SUBSETS", "ProbeConfig", "CitationClip", "active_window", "active_windows",
           "probe_classes", "citation_clips", "clip_features",
           "encoder_hidden_states", "RecognitionProbe", "ProbeModule", "train_probe", "evaluate_probe", "CACHE_VERSION"]

CACHE_VERSION = 1
FACE_VARIANTS: tuple[str, ...] = ("smplfx", "smplx", "none")
SUBSETS: tuple[str, ...] = ("confusing", "normal")
#: SMPL-FX face entries SMPL-X does not have: FLAME expression 10..99 and the two eyelids
_NOT_IN_SMPLX = list(range(FACE_EXPR.start + 10, FACE_EXPR.stop)) + list(range(FACE_EYELID.start, FACE_EYELID.stop))


def check_face_variant(face: str) -> str:
    if face not in FACE_VARIANTS:
        raise ValueError(f"face={face!r}: use 'smplfx' (M3T's 108-dim face), 'smplx' (SOKE's 10 expression "
                         "coefficients + jaw) or 'none' (no face stream)")
    return face


@dataclasses.dataclass
class ProbeConfig(TrainConfig):
    """The recognition probe (App. 0.D.3: 3-layer transformer encoder, hidden 1024, 4 heads, MLP; 26M parameters).

    ``face``: :data:`FACE_VARIANTS`; ``streams``: the modalities the classifier reads (default M3T's four,
    without ``'face'`` when ``face='none'``); ``languages``: ``None`` = every language of the corpus;
    ``train_instances`` / ``test_instances``: citation-form instances per word; ``crop``: active-window cropping
    with thresholds ``crop_height`` (m, wrist raised above rest) and ``crop_displacement`` (m, wrist moved).
    """

    face: str = "smplfx"
    streams: tuple | None = None
    languages: tuple | None = ("csl",)
    train_instances: int = 8
    test_instances: int = 8
    crop: bool = True
    crop_height: float = 0.04
    crop_displacement: float = 0.06
    crop_margin: int = 2
    d_model: int = 64
    layers: int = 3
    n_heads: int = 4
    ffn: int = 128
    dropout: float = 0.1
    label_smoothing: float = 0.1
    # TrainConfig fields, overridden
    batch_size: int = 32
    max_epochs: int = 30
    lr: float = 3e-3
    warmup_steps: int = 30
    weight_decay: float = 1e-2

    def __post_init__(self) -> None:
        super().__post_init__()
        check_face_variant(self.face)
        if self.streams is not None:
            self.streams = tuple(self.streams)
            for s in self.streams:
                if s not in M3T_PARTS:
                    raise ValueError(f"ProbeConfig.streams has the unknown modality {s!r}: use some of {list(M3T_PARTS)}")
            if ("face" in self.streams) != (self.face != "none"):
                raise ValueError(f"ProbeConfig.streams={self.streams} and face={self.face!r} disagree: list 'face' in "
                                 "streams exactly when face is 'smplfx' or 'smplx'")
        if self.languages is not None:
            self.languages = tuple(self.languages)
        check_int_fields(self, ("train_instances", "test_instances", "d_model", "layers", "n_heads", "ffn"))
        check_heads(self)
        if not 0.0 <= float(self.label_smoothing) < 1.0 or not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"ProbeConfig.label_smoothing={self.label_smoothing} / dropout={self.dropout}: use [0, 1)")

    @property
    def stream_names(self) -> tuple[str, ...]:
        if self.streams is not None:
            return self.streams
        return tuple(p for p in M3T_PARTS if p != "face" or self.face != "none")

    @classmethod
    def smoke(cls) -> "ProbeConfig":
        """CSL only (like NMFs-CSL; 6 confusing + 6 normal pairs = 24 classes), 8 training and 8 test instances
        per word; d 64, 3 layers, FFN 128, 30 epochs at lr 3e-3 (seconds on a CPU). On the smoke corpus with
        notebook 03's tokenizer the face probe's confusing top-1 rose with training: 51% / 64% / 80% after 15 / 25
        / 40 epochs at lr 1e-3, 64% / 76% / 84% after 20 / 25 / 40 at lr 3e-3."""
        return cls()

    @classmethod
    def full(cls) -> "ProbeConfig":
        """App. 0.D.3's size: d 1024, 3 layers, 4 heads, FFN 2048 (~26M parameters with the projections); every
        language of the corpus, 20 training and 10 test instances per word."""
        return cls(d_model=1024, n_heads=4, ffn=2048, languages=None, train_instances=20, test_instances=10,
                   max_epochs=100, lr=1e-4, lr_min=1e-6, warmup_steps=200, precision="bf16-mixed")


# ---------------------------------------------------------------------------------------------- data
@dataclasses.dataclass
class CitationClip:
    """One isolated sign: ``subset`` 'confusing' | 'normal', ``label`` its class index, ``pair`` the index of its
    pair (words of a pair share it), ``v133 (T, 133)``, ``face108 (T, 108)``."""

    language: str
    word: str
    gloss: str
    concept: str
    instance: int
    subset: str
    label: int
    pair: int
    v133: np.ndarray
    face108: np.ndarray


def _synthsign(corpus) -> SynthSign:
    meta = getattr(corpus, "meta", {}) or {}
    if meta.get("generator") != "synthsign" or "config" not in meta:
        raise ValueError("the recognition probe renders citation forms with SynthSign: pass a SynthSign corpus "
                         "(slpkit.data.synthsign.generate), whose meta holds its config and the sign pairs")
    fields = {f.name for f in dataclasses.fields(SynthSignConfig)}
    cfg = {k: (tuple(v) if isinstance(v, list) else v) for k, v in meta["config"].items() if k in fields}
    return SynthSign(SynthSignConfig(**cfg))


def probe_classes(corpus, languages: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The classes: every word of the corpus' ``nmf_pairs`` (confusing) and ``minimal_pairs`` (normal), in
    ``languages``; ``[{'language', 'concept', 'word', 'gloss', 'subset', 'pair'}]`` in label order."""
    meta = corpus.meta
    langs = list(languages) if languages is not None else list(meta.get("languages", ()))
    out = []
    for subset, key in (("confusing", "nmf_pairs"), ("normal", "minimal_pairs")):
        for pair in (p for p in meta[key] if p["language"] in langs):
            for concept, word, gloss in zip(pair["concepts"], pair["words"], pair["glosses"]):
                out.append({"language": pair["language"], "concept": concept, "word": word, "gloss": gloss,
                            "subset": subset, "pair": len(out) // 2})
    if not out:
        raise ValueError(f"no sign pairs for languages {langs}: the corpus lists pairs for "
                         f"{sorted({p['language'] for p in meta['nmf_pairs']})}")
    return out


def citation_clips(corpus, instances: Sequence[int], languages: Sequence[str] | None = None) -> list[CitationClip]:
    """Citation forms of every probe class (:func:`probe_classes`) for the given instance numbers."""
    synth = _synthsign(corpus)
    out = []
    for label, c in enumerate(probe_classes(corpus, languages)):
        for k in instances:
            e = synth.render_citation(c["language"], c["concept"], int(k))
            out.append(CitationClip(c["language"], c["word"], c["gloss"], c["concept"], int(k), c["subset"], label,
                                    c["pair"], e.v133, e.face108))
    return out


_WRISTS = [S.JOINT_NAMES.index("left_wrist"), S.JOINT_NAMES.index("right_wrist")]


def _window(j: np.ndarray, r: np.ndarray, height: float, displacement: float, margin: int,
            min_frames: int) -> tuple[int, int]:
    """Active window from wrist positions ``j (T, 2, 3)`` and rest wrists ``r (2, 3)``."""
    T = len(j)
    up = j[..., 1] - r[None, :, 1]
    moved = np.linalg.norm(j - r[None], axis=-1)
    active = np.flatnonzero(((up > height) | (moved > displacement)).any(1))
    if active.size == 0:
        return 0, T
    a, b = max(0, int(active[0]) - margin), min(T, int(active[-1]) + 1 + margin)
    while b - a < min(min_frames, T):
        a, b = max(0, a - 1), min(T, b + 1)
    return a, b


def active_window(v133, height: float = 0.04, displacement: float = 0.06, margin: int = 2, min_frames: int = 8,
                  rest=None, body_model=None) -> tuple[int, int]:
    """``(start, stop)`` of the active signing window of ``v133 (T, 133)``.

    A frame is active when either wrist is more than ``height`` metres above its rest height or more than
    ``displacement`` metres from its rest position; the rest pose is ``rest`` (a V133 frame) or the first frame
    (citation forms start at rest). The window spans the first to the last active frame plus ``margin`` on each
    side, at least ``min_frames`` long; a clip with no active frame is kept whole.

        >>> import numpy as np
        >>> active_window(np.zeros((20, 133), np.float32))      # never leaves the rest pose
        (0, 20)
    """
    v = np.asarray(v133, np.float32)
    check_motion(v, 133, "v133")
    if v.ndim != 2:
        raise ValueError(f"v133 has shape {v.shape}: pass one clip (T, 133)")
    bm = body_model or default_body_model()
    j = np.asarray(bm.joints(v))[:, _WRISTS]                                   # (T, 2, 3)
    r = np.asarray(bm.joints(np.asarray(rest, np.float32)[None]))[0, _WRISTS] if rest is not None else j[0]
    return _window(j, r, height, displacement, margin, min_frames)


def active_windows(clips: Sequence[np.ndarray], height: float = 0.04, displacement: float = 0.06, margin: int = 2,
                   min_frames: int = 8, body_model=None) -> list[tuple[int, int]]:
    """:func:`active_window` of many clips (rest = each clip's first frame), one forward-kinematics call."""
    bm = body_model or default_body_model()
    lens = [len(c) for c in clips]
    j = np.asarray(bm.joints(np.concatenate([np.asarray(c, np.float32) for c in clips])))[:, _WRISTS]
    out, t = [], 0
    for n in lens:
        out.append(_window(j[t:t + n], j[t], height, displacement, margin, min_frames))
        t += n
    return out


@torch.no_grad()
def encoder_hidden_states(tokenizer, x241, face: str = "smplfx", streams: Sequence[str] | None = None
                          ) -> dict[str, torch.Tensor]:
    """Frozen-encoder features of ``[V133 | F108]`` clips ``(T, 241)`` or ``(B, T, 241)``: ``{stream: (ceil(T/4), W)}``
    (``(B, ceil(T/4), W)``), the hidden states before each encoder's last conv (the one onto the FSQ latent).
    ``face='smplx'`` keeps only SMPL-X's part of the face (see the module docstring); ``'none'`` drops the face
    stream."""
    tok = as_partwise(tokenizer)
    check_m3t_streams(tok.stream_names)
    check_face_variant(face)
    want = tuple(streams) if streams is not None else tuple(p for p in M3T_PARTS if p != "face" or face != "none")
    for s in want:
        if s not in M3T_PARTS:
            raise ValueError(f"unknown modality {s!r}: the M3T tokenizer has the streams {list(M3T_PARTS)}")
    if face == "none" and "face" in want:
        raise ValueError("face='none' but 'face' is among the streams: drop it or pick face='smplfx' / 'smplx'")
    x = np.asarray(x241, np.float32)
    check_motion(x, tok.input_dim, "x241", "pass np.concatenate([v133, face108], -1)")
    single = x.ndim == 2
    x = torch.as_tensor(x[None] if single else x).to(tok.mean.device)
    f = tok.normalize(tok.to_features(x))
    by_name = {s.name: s for s in tok.streams}
    if face == "smplx":
        cols = [by_name["face"].cols[i] for i in _NOT_IN_SMPLX]
        f[..., cols] = 0.0                                                     # the training mean
    pad = (-f.shape[1]) % tok.downsample
    if pad:
        f = torch.cat([f, f[:, -1:].expand(-1, pad, -1)], 1)
    out = {}
    for name in want:
        s = by_name[name]
        enc = tok.encoders[s.vae]
        h = enc.model[:-1](f[..., list(s.cols)].transpose(1, 2)).transpose(1, 2).float().cpu()
        out[name] = h[0] if single else h
    return out


class _Features(torch.utils.data.Dataset):
    def __init__(self, feats: list[dict[str, torch.Tensor]], labels: list[int]):
        self.feats, self.labels = feats, labels

    def __len__(self) -> int:
        return len(self.feats)

    def __getitem__(self, i):
        return self.feats[i], self.labels[i]


def _collate(items, streams: tuple[str, ...]):
    T = max(f[streams[0]].shape[0] for f, _ in items)
    B = len(items)
    out = {s: torch.zeros(B, T, items[0][0][s].shape[-1]) for s in streams}
    mask = torch.zeros(B, T, dtype=torch.bool)
    for b, (f, _) in enumerate(items):
        t = f[streams[0]].shape[0]
        mask[b, :t] = True
        for s in streams:
            out[s][b, :t] = f[s]
    return {"feats": out, "mask": mask, "labels": torch.tensor([y for _, y in items], dtype=torch.long)}


class _Collate:
    """Picklable collate (DataLoader workers, DDP spawn)."""

    def __init__(self, streams):
        self.streams = tuple(streams)

    def __call__(self, items):
        return _collate(items, self.streams)


# ---------------------------------------------------------------------------------------------- model
class RecognitionProbe(nn.Module):
    """Interleaved per-modality features -> class logits.

    ``forward(feats {stream: (B, T, W_s)}, mask (B, T) bool) -> (B, n_classes)``. The sequence the transformer
    reads is ``(B, T * S, d)`` for ``S`` streams, step-major (``b1 l1 r1 f1 b2 ...``, M3T Sec. 3.4:
    "interleaved across modalities to form a structured temporal sequence").

        >>> p = RecognitionProbe({"body": 8, "face": 8}, n_classes=5, d_model=16, n_heads=2, ffn=32)
        >>> p({"body": torch.zeros(2, 3, 8), "face": torch.zeros(2, 3, 8)}, torch.ones(2, 3, dtype=torch.bool)).shape
        torch.Size([2, 5])
    """

    def __init__(self, in_dims: dict[str, int], n_classes: int, d_model: int = 64, layers: int = 3, n_heads: int = 4,
                 ffn: int = 128, dropout: float = 0.1, max_steps: int = 512):
        super().__init__()
        self.streams = tuple(in_dims)
        self.proj = nn.ModuleDict({s: nn.Linear(int(d), d_model) for s, d in in_dims.items()})
        self.modality = nn.Parameter(torch.randn(len(self.streams), d_model) * 0.02)
        self.register_buffer("pe", sinusoidal_encoding(max_steps, d_model), persistent=False)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, ffn, dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        layer.self_attn.dropout = 0.0   # dropout on hidden states only (attention-weight dropout: CPU time, no gain)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_model, n_classes))

    def forward(self, feats: dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        missing = [s for s in self.streams if s not in feats]
        if missing:
            raise ValueError(f"feats miss the stream(s) {missing}: this probe reads {list(self.streams)}")
        x = torch.stack([self.proj[s](feats[s]) + self.modality[i] for i, s in enumerate(self.streams)], 2)
        B, T, S, d = x.shape
        x = (x + self.pe[:T][None, :, None]).reshape(B, T * S, d)
        m = mask.repeat_interleave(S, 1)
        h = self.norm(self.encoder(x, src_key_padding_mask=~m))
        w = m.unsqueeze(-1).to(h.dtype)
        return self.head((h * w).sum(1) / w.sum(1).clamp_min(1.0))


class ProbeModule(pl.LightningModule):
    """Lightning wrapper: label-smoothed cross-entropy, AdamW + warm-up + cosine."""

    def __init__(self, probe: RecognitionProbe, cfg: ProbeConfig, classes: list[dict[str, Any]]):
        super().__init__()
        self.probe, self.cfg, self.classes = probe, cfg, classes
        self.history: list[float] = []
        self.train_seconds, self.from_cache = 0.0, False

    def training_step(self, batch, batch_idx):
        logits = self.probe(batch["feats"], batch["mask"])
        loss = F.cross_entropy(logits, batch["labels"], label_smoothing=float(self.cfg.label_smoothing))
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["labels"]))
        self.history.append(float(loss.detach()))
        return loss

    def configure_optimizers(self):
        cfg = self.cfg
        opt = torch.optim.AdamW(self.probe.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        return {"optimizer": opt, "lr_scheduler": warmup_cosine_scheduler(
            opt, cfg.warmup_steps, int(self.trainer.estimated_stepping_batches), cfg.lr_min)}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        torch.save({"kind": "m3t_probe", "version": CACHE_VERSION, "cfg": dataclasses.asdict(self.cfg),
                    "classes": self.classes, "in_dims": {s: l.in_features for s, l in self.probe.proj.items()},
                    "state_dict": {k: v.cpu() for k, v in self.probe.state_dict().items()}, "history": self.history,
                    "train_seconds": self.train_seconds}, path)
        return path

    @classmethod
    def load(cls, path: str | Path, expect: ProbeConfig | None = None) -> "ProbeModule":
        def build(ck: dict) -> "ProbeModule":
            cfg = ProbeConfig(**ck["cfg"])
            probe = _build(cfg, ck["in_dims"], len(ck["classes"]))
            probe.load_state_dict(ck["state_dict"])
            m = cls(probe, cfg, ck["classes"])
            m.history, m.train_seconds = list(ck.get("history", [])), float(ck.get("train_seconds", 0.0))
            return m

        m = read_checkpoint(path, "recognition probe", CACHE_VERSION, build, kind="m3t_probe", train_with="train_probe")
        if expect is not None:
            check_same_config(path, "probe", result_fields(m.cfg), result_fields(expect))
        return m.eval()


def _build(cfg: ProbeConfig, in_dims: dict[str, int], n_classes: int) -> RecognitionProbe:
    return RecognitionProbe(in_dims, n_classes, cfg.d_model, cfg.layers, cfg.n_heads, cfg.ffn, cfg.dropout)


def clip_features(tokenizer, clips: Sequence[CitationClip], cfg: ProbeConfig) -> list[dict[str, torch.Tensor]]:
    """Cropped (``cfg.crop``) frozen-encoder features of each clip (:func:`encoder_hidden_states`); clips of equal
    cropped length go through the encoders as one batch (the numbers of one-by-one calls up to float rounding)."""
    xs = [clip_poses(c, "m3t") for c in clips]
    if cfg.crop:
        wins = active_windows([c.v133 for c in clips], cfg.crop_height, cfg.crop_displacement, cfg.crop_margin)
        xs = [x[a:b] for x, (a, b) in zip(xs, wins)]
    out: list[dict[str, torch.Tensor] | None] = [None] * len(xs)
    by_len: dict[int, list[int]] = {}
    for i, x in enumerate(xs):
        by_len.setdefault(len(x), []).append(i)
    for idx in by_len.values():
        h = encoder_hidden_states(tokenizer, np.stack([xs[i] for i in idx]), cfg.face, cfg.stream_names)
        for k, i in enumerate(idx):
            out[i] = {s: v[k] for s, v in h.items()}
    return out


def train_probe(corpus, tokenizer, cfg: ProbeConfig | None = None, device: str = "auto",
                progress: bool | None = None, cache: bool = True) -> ProbeModule:
    """Train the probe on instances ``0..train_instances-1`` of every probe class (frozen encoders), or load it
    from the cache (key: config, corpus, tokenizer weights). Returns the module in eval mode."""
    cfg = cfg or ProbeConfig.smoke()
    tok = as_partwise(tokenizer)
    check_m3t_streams(tok.stream_names)

    def run(work_dir: Path) -> ProbeModule:
        seed_everything(cfg.seed)
        classes = probe_classes(corpus, cfg.languages)
        clips = citation_clips(corpus, range(cfg.train_instances), cfg.languages)
        feats = clip_features(tok, clips, cfg)
        in_dims = {s: int(feats[0][s].shape[-1]) for s in cfg.stream_names}
        seed_everything(cfg.seed)
        module = ProbeModule(_build(cfg, in_dims, len(classes)), cfg, classes)
        loader = make_loader(_Features(feats, [c.label for c in clips]), [f[cfg.stream_names[0]].shape[0] for f in feats],
                             cfg.batch_size, seed=cfg.seed, collate_fn=_Collate(cfg.stream_names))
        res = fit(module, loader, cfg, name=f"M3T recognition probe (face={cfg.face})", device=device,
                  work_dir=work_dir, progress=progress)
        module.train_seconds = res.seconds
        return module.cpu()

    key = {"cfg": result_fields(cfg), "corpus": corpus.fingerprint() if hasattr(corpus, "fingerprint") else None,
           "tokenizer": state_fingerprint(tok), "version": CACHE_VERSION}
    info: dict = {}
    module = cached("m3t_probe", key, run, save=lambda m, p: m.save(p), load=lambda p: ProbeModule.load(p, cfg),
                    enabled=cache, lock=single_process(cfg), info=info)
    module.from_cache = bool(info.get("hit"))
    return module.to(resolve_device(device)).eval()


@torch.no_grad()
def evaluate_probe(module: ProbeModule, corpus, tokenizer, instances: Sequence[int] | None = None,
                   batch_size: int = 64) -> dict[str, Any]:
    """Top-1 / top-5 accuracy (%) on the test instances (default: the ``test_instances`` after the training ones)
    overall and per subset, with per-clip correctness for the paired bootstrap.

    Returns ``{'overall' | 'confusing' | 'normal': {'top1', 'top5', 'n'}, 'correct1' (N,) 0/1, 'correct5',
    'subset' [N], 'n_classes', 'chance': {'overall_top1', 'confusing_top1_without_face'}, 'pred' (N,), 'labels' (N,),
    'logits' (N, n_classes)}`` (clips in class order, then instance order).
    """
    cfg = module.cfg
    if instances is None:
        instances = range(cfg.train_instances, cfg.train_instances + cfg.test_instances)
    clips = citation_clips(corpus, instances, cfg.languages)
    feats = clip_features(tokenizer, clips, cfg)
    probe = module.probe.eval()
    dev = next(probe.parameters()).device
    logits = []
    for i in range(0, len(feats), batch_size):
        b = _collate([(f, 0) for f in feats[i:i + batch_size]], cfg.stream_names)
        logits.append(probe({s: v.to(dev) for s, v in b["feats"].items()}, b["mask"].to(dev)).float().cpu())
    logits = torch.cat(logits)
    labels = torch.tensor([c.label for c in clips])
    top5 = logits.topk(min(5, logits.shape[-1]), -1).indices
    c1 = (top5[:, 0] == labels).numpy().astype(np.float64)
    c5 = (top5 == labels[:, None]).any(1).numpy().astype(np.float64)
    subset = np.array([c.subset for c in clips])
    out: dict[str, Any] = {"correct1": c1, "correct5": c5, "subset": subset.tolist(), "pred": top5[:, 0].numpy(),
                           "labels": labels.numpy(), "logits": logits.numpy(), "n_classes": int(logits.shape[-1])}
    for name, sel in (("overall", np.ones(len(clips), bool)), ("confusing", subset == "confusing"),
                      ("normal", subset == "normal")):
        out[name] = {"top1": 100.0 * float(c1[sel].mean()), "top5": 100.0 * float(c5[sel].mean()), "n": int(sel.sum())}
    out["chance"] = {"overall_top1": 100.0 / out["n_classes"], "confusing_top1_without_face": 50.0}
    return out
