"""DARSLP end to end: autoencoder, two-phase generator training, generation, evaluation, diagnostics.

Typical use::

    from slpkit.generators.darslp import Darslp, DarslpConfig, examples_from_corpus
    cfg = DarslpConfig.for_mode("smoke", seed=0)
    train = examples_from_corpus(corpus, "train", frame_step=cfg.frame_step)
    model = Darslp(cfg).fit(train)                 # AE (Eq. 1-3), then NAT phase 1 (Eq. 6), phase 2 (Eq. 8)
    poses = model.generate(["the dog eats"], ["asl"])   # list of (T_hat, 178, 3) float32
    scores = model.evaluate(examples_from_corpus(corpus, "test", cfg.frame_step), backtranslator=bt)

Two-phase training (Sec. 4.2.2): ``phase1_epochs`` with ``L_enc + L_len``, then ``phase2_epochs``
with the KL term switched on or off by the :class:`~slpkit.generators.darslp.channel_kl.KLSchedule`
(``"none"``: DARSLP, ``"staged"``: DARSLP-KL, ``"from_start"``: KL in both phases). Each phase is
its own ``Trainer.fit`` with a fresh Adam (lr 2e-4, weight decay 1e-4) + ReduceLROnPlateau
(factor 0.9, patience 40), so every schedule gets the same number of epochs; phase 2 can be
branched from one phase-1 model with :meth:`Darslp.copy` + :meth:`Darslp.train_phase`.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from slpkit.config import Preset, seed_everything
from slpkit.generators.darslp.autoencoder import (
    REGION_ORDER,
    AEConfig,
    PoseAutoencoder,
    _quiet,
    _quiet_trainer,
    as_keypoints,
    train_autoencoder,
)
from slpkit.generators.darslp.channel_kl import ChannelKL, ChannelPrior, KLSchedule
from slpkit.generators.darslp.nat import (
    NATConfig,
    NonAutoregressiveTransformer,
    TextVocab,
    encoding_loss,
    length_loss,
)

__all__ = [
    "DarslpConfig",
    "Example",
    "examples_from_corpus",
    "NATModule",
    "Darslp",
    "dtw_mje",
    "to_frame_rate",
    "motion_variance",
    "channel_entropy",
    "latent_channel_stats",
    "PAPER_L1_WEIGHTS",
    "PAPER_KL_WEIGHTS",
    "weights_bhf",
    "TABLE_COLUMNS",
    "result_row",
    "plot_latent_histograms",
    "reconstruction_row",
    "RECON_COLUMNS",
    "evaluate_rows",
]

#: Final region weights of the paper (Sec. 4.3): L1 (body-RH-LH-face) 1-14-10-2, KL 1-10-6-1.
PAPER_L1_WEIGHTS = {"body": 1.0, "rhand": 14.0, "lhand": 10.0, "face": 2.0}
PAPER_KL_WEIGHTS = {"body": 1.0, "rhand": 10.0, "lhand": 6.0, "face": 1.0}


#: Columns of DARSLP Tables 1-4 (the paper's order); :func:`result_row` fills them.
TABLE_COLUMNS = ["Models", "DTW-MJE", "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "chrF", "ROUGE"]


def result_row(label: str, scores: Mapping[str, Any], digits: int = 4) -> list:
    """``[label, DTW-MJE, BLEU-1..4, chrF, ROUGE-L]`` from :meth:`Darslp.evaluate` / back-translation scores."""
    keys = ["dtw_mje", "bleu1", "bleu2", "bleu3", "bleu4", "chrf", "rouge_l"]
    return [label] + [None if scores.get(k) is None else round(float(scores[k]), digits if k == "dtw_mje" else 2) for k in keys]


def weights_bhf(body: float, rh: float, lh: float, face: float) -> dict[str, float]:
    """Region weights in the paper's order Body-RH-LH-Face (e.g. ``weights_bhf(1, 14, 10, 2)``)."""
    return {"body": float(body), "rhand": float(rh), "lhand": float(lh), "face": float(face)}


@dataclass
class DarslpConfig(Preset):
    """Everything DARSLP needs; :meth:`full` = the paper's values, :meth:`smoke` = tiny CPU run."""

    ae: AEConfig = dataclasses.field(default_factory=AEConfig)
    nat: NATConfig = dataclasses.field(default_factory=NATConfig)
    l1_weights: dict = dataclasses.field(default_factory=lambda: dict(PAPER_L1_WEIGHTS))
    kl_weights: dict = dataclasses.field(default_factory=lambda: dict(PAPER_KL_WEIGHTS))
    kl_schedule: str = "staged"
    kl_scale: float = 1.0  # global multiplier of L_KL (1 in the paper)
    phase1_epochs: int = 300
    phase2_epochs: int = 300
    batch_size: int = 32
    lr: float = 2e-4
    weight_decay: float = 1e-4
    plateau_factor: float = 0.9
    plateau_patience: int = 40
    frame_step: int = 2  # SLRTP convention: 25 fps -> 12.5 fps ([::2]) for training and references
    length_margin: float = 1.1  # T_max = ceil(margin * longest training sequence) when nat.max_len == 0
    grad_clip: float = 1.0
    length_weight: float = 1.0  # multiplier of L_len (1 in the paper, Eq. 6)
    seed: int = 0
    # Lightning Trainer devices / strategy of both stages (they override ``ae.devices`` / ``ae.strategy``,
    # which serve a standalone ``train_autoencoder``); ``batch_size`` stays the global batch.
    devices: int | str = 1
    strategy: str = "auto"

    @classmethod
    def smoke(cls) -> "DarslpConfig":
        return cls(
            ae=AEConfig.smoke(), nat=dataclasses.replace(NATConfig.smoke(), max_len=0),
            phase1_epochs=12, phase2_epochs=6, batch_size=32, lr=3e-3, plateau_patience=10, length_weight=10.0,
        )

    @classmethod
    def full(cls) -> "DarslpConfig":
        return cls(ae=AEConfig.full(), nat=dataclasses.replace(NATConfig.full(), max_len=0))

    def schedule(self) -> KLSchedule:
        return KLSchedule(self.kl_schedule, phase1_epochs=self.phase1_epochs, weight=self.kl_scale)


@dataclass
class Example:
    """One training / test pair: spoken-language text and its ``(T, 178, 3)`` keypoints."""

    text: str
    language: str
    keypoints: np.ndarray
    id: str = ""


def examples_from_corpus(corpus: Any, split: str, frame_step: int = 2, limit: int | None = None,
                         normalize: bool = False) -> list[Example]:
    """SynthSign sentences of ``split`` as :class:`Example` (keypoints via ``slpkit.body.keypoints.keypoints178``,
    shared through the data module's feature cache), subsampled ``[::frame_step]``.

    ``normalize=True`` applies the paper's per-frame neck-centring / shoulder-width scaling
    (``slpkit.body.keypoints.normalize178``); off by default because the back-translator is
    trained on the raw ``keypoints178`` representation.
    """
    from slpkit.data.datamodule import corpus_features

    feats = corpus_features(corpus, "keypoints178")
    sents = corpus.split(split)
    if limit is not None:
        sents = sents[:limit]
    if not sents:
        raise ValueError(f"split {split!r} of the corpus is empty")
    out = []
    for s in sents:
        kp = np.asarray(feats[s.id], dtype=np.float32).reshape(-1, 178, 3)[:: max(1, int(frame_step))]
        if normalize:
            from slpkit.body.keypoints import normalize178

            kp = np.asarray(normalize178(kp), dtype=np.float32)
        out.append(Example(text=s.text, language=s.language, keypoints=kp, id=s.id))
    return out


# ----------------------------------------------------------------------------------- data
class _LatentDataset(Dataset):
    def __init__(self, ids: list[torch.Tensor], latents: list[torch.Tensor]):
        self.ids, self.latents = ids, latents

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return self.ids[i], self.latents[i]


class _BucketBatches(torch.utils.data.Sampler):
    """Shuffled batches of similar length (less padding): shuffle, sort within pools of ``pool`` batches,
    cut into batches, shuffle the batches. Deterministic given ``seed`` and the epoch count.

    Under DDP (``torch.distributed`` initialised) every rank builds the same batches and takes its
    ``batch[rank::world]`` share, so ``batch_size`` stays the global batch; batches with fewer items
    than ranks are skipped (the trainer must be built with ``use_distributed_sampler=False``)."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0, pool: int = 4):
        self.lengths = np.asarray(lengths)
        self.bs, self.seed, self.pool, self.epoch = int(batch_size), int(seed), int(pool), 0

    def __iter__(self):
        rng = np.random.default_rng(self.seed + self.epoch)
        self.epoch += 1
        idx = rng.permutation(len(self.lengths))
        chunk = self.bs * self.pool
        batches = []
        for i in range(0, len(idx), chunk):
            part = idx[i: i + chunk]
            part = part[np.argsort(self.lengths[part], kind="stable")]
            batches += [part[j: j + self.bs].tolist() for j in range(0, len(part), self.bs)]
        rank, world = _rank_world()
        for k in rng.permutation(len(batches)):
            if world == 1:
                yield batches[k]
            elif len(batches[k]) >= world:
                yield batches[k][rank::world]

    def __len__(self) -> int:
        world = _rank_world()[1]
        if world == 1:
            return int(math.ceil(len(self.lengths) / self.bs))
        n, chunk = len(self.lengths), self.bs * self.pool
        sizes = [min(self.bs, min(chunk, n - i) - j) for i in range(0, n, chunk) for j in range(0, min(chunk, n - i), self.bs)]
        return sum(s >= world for s in sizes)


def _rank_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the initialised process group, ``(0, 1)`` without one."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _collate(batch):
    ids, lat = zip(*batch)
    B, L, T, C = len(ids), max(len(x) for x in ids), max(len(z) for z in lat), lat[0].shape[-1]
    tid = torch.zeros(B, L, dtype=torch.long)
    z = torch.zeros(B, T, C)
    lengths = torch.tensor([len(x) for x in lat], dtype=torch.long)
    for i, (a, b) in enumerate(zip(ids, lat)):
        tid[i, : len(a)] = a
        z[i, : len(b)] = b
    return {"ids": tid, "text_mask": tid != 0, "latents": z, "lengths": lengths}


# ----------------------------------------------------------------------------------- lightning
class NATModule(pl.LightningModule):
    """Trains the NAT with ``L_enc + L_len (+ kl_factor * L_KL)``; ``kl_factor`` comes from a
    :class:`KLSchedule` at global epoch ``epoch_offset + current_epoch``."""

    def __init__(
        self,
        model: NonAutoregressiveTransformer,
        latent_slices: Mapping[str, slice],
        l1_weights: Mapping[str, float],
        kl: ChannelKL | None = None,
        schedule: KLSchedule | None = None,
        epoch_offset: int = 0,
        lr: float = 2e-4,
        weight_decay: float = 1e-4,
        plateau_factor: float = 0.9,
        plateau_patience: int = 40,
        length_weight: float = 1.0,
    ):
        super().__init__()
        self.length_weight = length_weight
        self.model = model
        self.kl = kl
        self.latent_slices = dict(latent_slices)
        self.l1_weights = dict(l1_weights)
        self.schedule = schedule or KLSchedule("none")
        self.epoch_offset = epoch_offset
        self.hp = dict(lr=lr, weight_decay=weight_decay, factor=plateau_factor, patience=plateau_patience)

    def kl_factor(self) -> float:
        if self.kl is None:
            return 0.0
        return self.schedule.factor(self.epoch_offset + int(self.current_epoch))

    def losses(self, batch) -> dict[str, torch.Tensor]:
        max_len = self.model.cfg.max_len
        lengths = batch["lengths"]
        out = self.model(batch["ids"], batch["text_mask"], lengths=lengths, T=batch["latents"].shape[1])
        enc = encoding_loss(out["latents"], batch["latents"], out["mask"], self.latent_slices, self.l1_weights)
        ln = self.length_weight * length_loss(out["ratio"], lengths.to(out["ratio"].dtype) / max_len)
        res = {"enc": enc, "len": ln, "loss": enc + ln}
        f = self.kl_factor()
        if f > 0:
            kl = self.kl(out["latents"], out["mask"])
            res["kl"] = kl
            res["loss"] = res["loss"] + f * kl
        return res

    def training_step(self, batch, batch_idx):
        res = self.losses(batch)
        bs = int(batch["ids"].shape[0])
        for k, v in res.items():
            # sync_dist: every DDP rank sees the same epoch loss, so ReduceLROnPlateau agrees across ranks
            self.log(f"train/{k}", v, on_step=False, on_epoch=True, batch_size=bs, sync_dist=True)
        return res["loss"]

    def validation_step(self, batch, batch_idx):
        res = self.losses(batch)
        for k, v in res.items():
            self.log(f"val/{k}", v, on_step=False, on_epoch=True, batch_size=int(batch["ids"].shape[0]))

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hp["lr"], weight_decay=self.hp["weight_decay"])
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=self.hp["factor"], patience=self.hp["patience"])
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "train/loss", "interval": "epoch"}}


# ----------------------------------------------------------------------------------- pipeline
class Darslp:
    """DARSLP pipeline: :meth:`fit` = :meth:`fit_autoencoder` + :meth:`prepare_generator` + two :meth:`train_phase`."""

    def __init__(self, cfg: DarslpConfig | None = None, device: str = "cpu", tokenizer: Callable | None = None):
        self.cfg = cfg or DarslpConfig()
        self.device = device
        self.tokenizer = tokenizer
        self.ae: PoseAutoencoder | None = None
        self.nat: NonAutoregressiveTransformer | None = None
        self.vocab: TextVocab | None = None
        self.prior: ChannelPrior | None = None
        self.train_encodings: list[torch.Tensor] = []
        self.epochs_done = 0
        self.max_len: int | None = None
        self.history: list[dict] = []
        self._data: _LatentDataset | None = None

    # -- stage 1
    def fit_autoencoder(self, examples: Sequence[Example]) -> "Darslp":
        self._check_examples(examples)
        ae_cfg = dataclasses.replace(self.cfg.ae, devices=self.cfg.devices, strategy=self.cfg.strategy)
        self.ae = train_autoencoder([e.keypoints for e in examples], ae_cfg, device=self.device, seed=self.cfg.seed)
        return self

    @torch.no_grad()
    def encode(self, keypoints: Any) -> torch.Tensor:
        """GT encodings ``(T, C)`` of ``(T, 178, 3)`` keypoints with the trained autoencoder."""
        self._need("ae")
        return self.ae.eval().encode(as_keypoints(keypoints)).cpu()

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        self._need("ae")
        return self.ae.eval().decode(latents.float()).cpu().numpy().astype(np.float32)

    # -- stage 2
    def prepare_generator(self, examples: Sequence[Example]) -> "Darslp":
        """Vocabulary, GT encodings, channel prior, reference pose encoding and a fresh NAT."""
        self._need("ae")
        self._check_examples(examples)
        seed_everything(self.cfg.seed)
        self.vocab = TextVocab.build([e.text for e in examples], [e.language for e in examples], tokenizer=self.tokenizer)
        self.train_encodings = [self.encode(e.keypoints) for e in examples]
        longest = max(len(z) for z in self.train_encodings)
        nat_cfg = self.cfg.nat
        if nat_cfg.max_len <= 0:
            nat_cfg = dataclasses.replace(nat_cfg, max_len=int(math.ceil(self.cfg.length_margin * longest)))
        self.max_len = nat_cfg.max_len
        self.prior = ChannelPrior.fit(self.train_encodings)
        self.nat = NonAutoregressiveTransformer(nat_cfg, self.ae.latent_dim, vocab_size=len(self.vocab))
        # canonical reference pose = encoding of the mean training pose
        self.nat.set_reference(self.encode(self.ae.mean_pose[None]).reshape(-1) if self.cfg.ae.normalize else self.prior.mu)
        ids = [self.vocab.encode([e.text], [e.language], max_len=nat_cfg.max_text_len)[0][0] for e in examples]
        lat = [z[: nat_cfg.max_len] for z in self.train_encodings]
        self._data = _LatentDataset(ids, lat)
        self.epochs_done = 0
        return self

    def make_kl(self, kl_weights: Mapping[str, float] | None = None) -> ChannelKL:
        self._need("prior")
        return ChannelKL(self.prior, self.ae.cfg.latent_slices(), kl_weights or self.cfg.kl_weights)

    def train_phase(self, epochs: int, schedule: KLSchedule | None = None, l1_weights: Mapping[str, float] | None = None,
                    kl_weights: Mapping[str, float] | None = None) -> "Darslp":
        """Train the NAT for ``epochs`` more epochs (fresh optimizer); the KL factor follows ``schedule``
        at the global epoch count (so ``staged`` is off in phase 1 and on in phase 2)."""
        self._need("nat")
        if epochs <= 0:
            return self
        schedule = schedule or self.cfg.schedule()
        module = NATModule(
            self.nat, self.ae.cfg.latent_slices(), l1_weights or self.cfg.l1_weights,
            kl=self.make_kl(kl_weights), schedule=schedule, epoch_offset=self.epochs_done,
            lr=self.cfg.lr, weight_decay=self.cfg.weight_decay,
            plateau_factor=self.cfg.plateau_factor, plateau_patience=self.cfg.plateau_patience,
            length_weight=self.cfg.length_weight,
        )
        sampler = _BucketBatches([len(z) for z in self._data.latents], self.cfg.batch_size, seed=self.cfg.seed + 7919 * self.epochs_done)
        loader = DataLoader(self._data, batch_sampler=sampler, collate_fn=_collate)
        trainer = _quiet_trainer(epochs, self.device, self.cfg.devices, self.cfg.strategy, use_distributed_sampler=False,
                                 gradient_clip_val=self.cfg.grad_clip or None)
        module.train()
        with _quiet():
            trainer.fit(module, loader)
        self.nat = module.model.cpu().eval()
        self.history.append({k: float(v) for k, v in trainer.callback_metrics.items()} | {"epochs": epochs, "start": self.epochs_done})
        self.epochs_done += epochs
        return self

    def fit_phase1(self, examples: Sequence[Example]) -> "Darslp":
        """:meth:`prepare_generator` + ``phase1_epochs`` (KL only if the schedule is ``"from_start"``)."""
        self.prepare_generator(examples)
        return self.train_phase(self.cfg.phase1_epochs)

    def fit_phase2(self) -> "Darslp":
        """``phase2_epochs`` more (KL on for ``"staged"`` and ``"from_start"``, off for ``"none"``)."""
        return self.train_phase(self.cfg.phase2_epochs)

    def fit_generator(self, examples: Sequence[Example]) -> "Darslp":
        """Two-phase generator training with the config's weights and KL schedule."""
        return self.fit_phase1(examples).fit_phase2()

    def fit(self, examples: Sequence[Example]) -> "Darslp":
        """Both stages on ``examples`` (list of :class:`Example`)."""
        return self.fit_autoencoder(examples).fit_generator(examples)

    def copy(self) -> "Darslp":
        """Deep copy (branch phase 2 from one phase-1 model)."""
        return copy.deepcopy(self)

    def branch(self, **cfg_overrides) -> "Darslp":
        """Deep copy with config fields replaced, e.g. ``p1.branch(kl_schedule="staged").fit_phase2()``
        or ``ae_only.branch(l1_weights=weights_bhf(1, 1, 1, 1)).fit_phase1(train)``."""
        new = copy.deepcopy(self)
        new.cfg = dataclasses.replace(self.cfg, **cfg_overrides)
        return new

    # -- inference
    @torch.no_grad()
    def predict_latents(self, texts: Sequence[str], languages: Sequence[str], lengths: Sequence[int] | None = None) -> list[torch.Tensor]:
        """Predicted latents ``(T_hat_i, C)`` per sentence (``lengths`` overrides the length predictor)."""
        self._need("nat")
        ids, mask = self.vocab.encode(list(texts), list(languages), max_len=self.nat.cfg.max_text_len)
        L = None if lengths is None else torch.as_tensor(list(lengths), dtype=torch.long).clamp(1, self.nat.cfg.max_len)
        out = self.nat.eval()(ids, mask, lengths=L)
        return [out["latents"][i, : int(out["lengths"][i])].cpu() for i in range(len(texts))]

    def generate(self, texts: Sequence[str], languages: Sequence[str], lengths: Sequence[int] | None = None,
                 batch_size: int = 64) -> list[np.ndarray]:
        """Text -> list of ``(T_hat, 178, 3)`` float32 keypoints (NAT latents decoded by the AE decoder)."""
        if isinstance(texts, str) or isinstance(languages, str):
            raise ValueError("generate takes lists: generate(['text'], ['asl'])")
        if len(texts) != len(languages):
            raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
        out = []
        for i in range(0, len(texts), batch_size):
            sl = slice(i, i + batch_size)
            lat = self.predict_latents(texts[sl], languages[sl], None if lengths is None else list(lengths)[sl])
            out += [self.decode(z) for z in lat]
        return out

    def evaluate(self, examples: Sequence[Example], backtranslator: Any = None, use_gt_length: bool = False) -> dict[str, float]:
        """DTW-MJE (SLRTP convention) and, with a back-translator, its BLEU/ROUGE/chrF on generated poses."""
        texts, langs = [e.text for e in examples], [e.language for e in examples]
        lengths = [len(e.keypoints) for e in examples] if use_gt_length else None
        preds = self.generate(texts, langs, lengths)
        refs = [e.keypoints for e in examples]
        res = {"dtw_mje": dtw_mje(preds, refs)}
        if backtranslator is not None:
            bt_in = [to_frame_rate(p, self.cfg.frame_step).reshape(-1, 178 * 3) for p in preds]
            sc = backtranslator.score(bt_in, texts, langs)
            res.update({k: v for k, v in sc.items() if k != "per_language"})
        return res

    @torch.no_grad()
    def latent_spread(self, texts: Sequence[str], languages: Sequence[str]) -> dict[str, float]:
        """Regression-to-the-mean in latent space: per region, mean over channels of
        std(predicted channel) / std(ground-truth prior). 1 = as spread as the data, 0 = constant."""
        self._need("nat")
        z = torch.cat(self.predict_latents(texts, languages), 0)
        ratio = z.std(0) / self.prior.var.sqrt()
        return {n: float(ratio[sl].mean()) for n, sl in self.ae.cfg.latent_slices().items()}

    # -- helpers
    def _need(self, what: str) -> None:
        if getattr(self, what) is None:
            step = {"ae": "fit_autoencoder", "nat": "prepare_generator / fit", "prior": "prepare_generator"}[what]
            raise RuntimeError(f"DARSLP has no {what} yet: call {step}() first")

    @staticmethod
    def _check_examples(examples: Sequence[Example]) -> None:
        if not examples:
            raise ValueError("no examples given: pass a non-empty list of Example (see examples_from_corpus)")
        for e in examples:
            as_keypoints(e.keypoints, f"keypoints of example {e.id or e.text[:20]!r}")


# ----------------------------------------------------------------------------------- metrics, diagnostics
def dtw_mje(preds: Sequence[np.ndarray], refs: Sequence[np.ndarray], subsample_ref: int = 1) -> float:
    """DTW-MJE, SLRTP 2025 convention (``slpkit.metrics.dtw_mje_slrtp``) on ``(T, 178, 3)`` sequences.

    SLRTP subsamples the 25 fps references ``[::2]``; :func:`examples_from_corpus` has already done
    that (``frame_step``), so by default the references passed here are used as they are
    (``subsample_ref=1``). Pass full-rate references with ``subsample_ref=2``.
    """
    from slpkit.metrics import dtw_mje_slrtp

    return float(dtw_mje_slrtp([np.asarray(p) for p in preds], [np.asarray(r) for r in refs], subsample_ref=subsample_ref))


def to_frame_rate(poses: np.ndarray, step: int) -> np.ndarray:
    """Undo a ``[::step]`` subsampling by linear interpolation along time: ``(T, ...) -> (T * step, ...)``.

    Generated poses live at the training rate (12.5 fps with ``frame_step=2``); the back-translator
    was trained on the corpus' full-rate poses, so they are brought back to it before scoring.
    """
    p = np.asarray(poses, dtype=np.float32)
    step = int(step)
    if step <= 1:
        return p
    pos = np.arange(len(p) * step) / step
    i0 = np.clip(np.floor(pos).astype(int), 0, len(p) - 1)
    i1 = np.clip(i0 + 1, 0, len(p) - 1)
    w = (pos - i0).reshape(-1, *([1] * (p.ndim - 1))).astype(np.float32)
    return (p[i0] * (1 - w) + p[i1] * w).astype(np.float32)


def motion_variance(sequences: Sequence[np.ndarray], joints: slice | Sequence[int]) -> float:
    """Mean over sequences of the temporal variance of the selected keypoints (averaged over joints and xyz).

    The regression-to-the-mean diagnostic: generated hands with much less variance than the
    ground truth mean the generator collapsed towards the average pose.
    """
    vals = [float(np.asarray(s)[:, joints, :].var(axis=0).mean()) for s in sequences if len(s) > 1]
    if not vals:
        raise ValueError("motion_variance needs sequences with at least 2 frames")
    return float(np.mean(vals))


def channel_entropy(values: np.ndarray, edges: np.ndarray) -> float:
    """Shannon entropy (nats) of the histogram of ``values`` over fixed bin ``edges``."""
    counts, _ = np.histogram(values, bins=edges)
    p = counts / max(1, counts.sum())
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def latent_channel_stats(encodings: Sequence[torch.Tensor] | torch.Tensor, latent_slices: Mapping[str, slice],
                         bins: int = 40, top_k: int = 8) -> dict[str, dict]:
    """Figure 3: per-region channel histograms with entropy (E), IQR and SD.

    All channels share the same bin edges (1st..99th percentile of all encodings, ``bins`` bins),
    so a channel with little spread falls in few bins and gets low entropy, as in the paper
    (face channels). Returns ``{region: {"mean_entropy", "channels": [{"channel", "entropy",
    "iqr", "sd", "counts"}...top_k by entropy], "edges"}}``.
    """
    z = torch.cat([torch.as_tensor(e).reshape(-1, torch.as_tensor(e).shape[-1]) for e in encodings], 0) \
        if isinstance(encodings, (list, tuple)) else torch.as_tensor(encodings).reshape(-1, encodings.shape[-1])
    z = z.detach().cpu().numpy()
    lo, hi = np.percentile(z, 1), np.percentile(z, 99)
    edges = np.linspace(lo, hi, bins + 1)
    out = {}
    for name in REGION_ORDER:
        if name not in latent_slices:
            continue
        sl = latent_slices[name]
        chans = []
        for c in range(sl.start, sl.stop):
            v = z[:, c]
            q1, q3 = np.percentile(v, [25, 75])
            chans.append({"channel": c, "entropy": channel_entropy(v, edges), "iqr": float(q3 - q1), "sd": float(v.std()),
                          "counts": np.histogram(v, bins=edges)[0]})
        ents = [ch["entropy"] for ch in chans]
        out[name] = {"mean_entropy": float(np.mean(ents)), "channels": sorted(chans, key=lambda ch: -ch["entropy"])[:top_k],
                     "edges": edges}
    return out


def plot_latent_histograms(stats: Mapping[str, dict], title: str = ""):
    """Figure 3 layout: one row per region, its top-k channels' histograms annotated with E, IQR, SD."""
    import matplotlib.pyplot as plt

    regions = [r for r in ("rhand", "lhand", "face", "body") if r in stats]
    k = max(len(stats[r]["channels"]) for r in regions)
    fig, axes = plt.subplots(len(regions), k, figsize=(2.0 * k, 1.9 * len(regions)), squeeze=False)
    for i, r in enumerate(regions):
        edges = stats[r]["edges"]
        for j in range(k):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(stats[r]["channels"]):
                ax.axis("off")
                continue
            ch = stats[r]["channels"][j]
            ax.bar(edges[:-1], ch["counts"], width=np.diff(edges), align="edge", color=f"C{i}")
            ax.set_title(f"c{ch['channel']} E={ch['entropy']:.2f}\nIQR={ch['iqr']:.2f} SD={ch['sd']:.2f}", fontsize=7)
        axes[i][0].set_ylabel(f"{r}\n(avg E {stats[r]['mean_entropy']:.2f})", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


#: Columns of :func:`reconstruction_row` (notebook 06's autoencoder table).
RECON_COLUMNS = ["latent", "body", "lhand", "rhand", "face", "mean-pose baseline (all)", "AE (all)"]


@torch.no_grad()
def reconstruction_row(label: str, model: "Darslp", examples: Sequence[Example], digits: int = 4) -> list:
    """Autoencoder reconstruction on ``examples`` as a table row (:data:`RECON_COLUMNS`).

    All frames of the examples are stacked to ``(N, 178, 3)`` and passed through ``model.ae``
    (``decode(encode(x))``). Returns ``[label, body, lhand, rhand, face, mean-pose baseline (all),
    AE (all)]``: the mean per-joint Euclidean error (keypoint units) per region
    (``slpkit.body.keypoints.REGIONS``), then over all 178 keypoints for the AE's mean pose
    (the baseline) and for the reconstruction, each rounded to ``digits``.
    """
    from slpkit.body.keypoints import REGIONS

    model._need("ae")
    frames = torch.cat([torch.as_tensor(e.keypoints) for e in examples]).to(model.ae.mean_pose.device)
    rec = model.ae.reconstruct(frames)
    mean = model.ae.mean_pose.expand_as(frames)

    def err(a: torch.Tensor, sl: slice) -> float:  # mean per-joint error over frames and joints of sl
        return float((a[:, sl] - frames[:, sl]).norm(dim=-1).mean())

    everything = slice(0, 178)
    return [label] + [round(err(rec, REGIONS[r]), digits) for r in ("body", "lhand", "rhand", "face")] + \
           [round(err(mean, everything), digits), round(err(rec, everything), digits)]


def evaluate_rows(models: Mapping[str, "Darslp"], examples: Sequence[Example], backtranslator: Any = None) -> list[list]:
    """:func:`result_row` of each ``{label: model}`` evaluated on ``examples`` (:meth:`Darslp.evaluate`:
    DTW-MJE and, with a back-translator, BLEU-1..4 / chrF / ROUGE-L), in the mapping's order
    (columns :data:`TABLE_COLUMNS`)."""
    return [result_row(label, m.evaluate(examples, backtranslator=backtranslator)) for label, m in models.items()]
