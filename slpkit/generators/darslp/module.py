"""DARSLP end to end: autoencoder, two-phase generator training, generation, evaluation; the cached model.

Typical use::

    from slpkit.generators.darslp import Darslp, DarslpConfig, examples_from_corpus, train_darslp
    cfg = DarslpConfig.for_mode("smoke", seed=0)
    model = train_darslp(corpus, cfg)        # AE (Eq. 1-3), NAT phase 1 (Eq. 6), phase 2 (Eq. 8); cached
    poses = model.generate(["the dog eats"], ["asl"])   # list of (T_hat, 178, 3) float32
    res = model.evaluate(examples_from_corpus(corpus, "test", cfg.frame_step), backtranslator=bt)

or step by step, on any list of :class:`~slpkit.generators.darslp.data.Example` (optionally with masks)::

    m = Darslp(cfg, jieba_words=corpus.words("csl")).fit(train, val)
    p1 = Darslp(cfg).fit_autoencoder(train).fit_phase1(train, val)
    kl = p1.branch(kl_schedule="staged").fit_phase2()         # DARSLP-KL from the phase-1 model

Two-phase training (DARSLP Sec. 4.2.2): ``phase1_epochs`` with ``L_enc + L_len``, then ``phase2_epochs``
with the KL term switched on or off by the :class:`~slpkit.generators.darslp.channel_kl.KLSchedule`
(``"none"``: DARSLP, ``"staged"``: DARSLP-KL, ``"from_start"``: KL in both phases). Each phase is one
:func:`slpkit.training.fit` with a fresh Adam (lr 2e-4, weight decay 1e-4) and ReduceLROnPlateau
(factor 0.9, patience 40) on the **validation** loss, early stopping on the validation loss and the best
validation epoch kept, as in the paper ("Early stopping based on validation loss is applied", Sec. 4.2.2)
and its public code (``train_stage2.py``: ``ModelCheckpoint`` / ``EarlyStopping`` / the scheduler all
monitor ``valid/total_loss``). Without a validation set the scheduler watches the training loss and
every epoch is kept. Every schedule gets the same number of epochs; phase 2 can be branched from one
phase-1 model (:meth:`Darslp.branch`), and :meth:`Darslp.phase1_model` recovers the phase-1 weights of
a trained model.

Measured on the smoke corpus (600 sentences per language, 1,438 train / 190 val at 12.5 fps) with the
smoke preset: see :meth:`~slpkit.generators.darslp.config.DarslpConfig.smoke` and ``tests/test_darslp_*``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning.pytorch as pl
import numpy as np
import torch

from slpkit.checks import check_choice, check_finite, check_int, check_lengths, check_stage_inputs, check_texts
from slpkit.config import SCALE_OUT_FIELDS, resolve_device, seed_everything
from slpkit.data.vocab import TextVocab
from slpkit.generators.darslp.autoencoder import AEConfig, PoseAutoencoder, as_keypoints, train_autoencoder
from slpkit.generators.darslp.channel_kl import ChannelKL, ChannelPrior, KLSchedule
from slpkit.generators.darslp.config import DarslpConfig
from slpkit.generators.darslp.data import (Example, LatentDataset, collate, examples_from_corpus, fit_prior,
                                           region_frame_mask)
from slpkit.generators.darslp.diagnostics import dtw_mje_sentences, length_stats, to_frame_rate
from slpkit.generators.darslp.nat import (LENGTH_MODES, NATConfig, NonAutoregressiveTransformer, encoding_loss,
                                          length_loss)
from slpkit.training import cached, check_same_config, fit, make_loader, read_checkpoint, single_process

__all__ = ["NATModule", "Darslp", "train_darslp", "load_darslp", "cache_key", "CACHE_VERSION"]

#: bump when the saved format or the training semantics change (invalidates cached models)
CACHE_VERSION = 1


# ----------------------------------------------------------------------------------- lightning
class NATModule(pl.LightningModule):
    """Trains the NAT with ``L_enc + L_len (+ kl_factor * L_KL)`` (Eq. 6 / Eq. 8).

    ``kl_factor`` comes from a :class:`KLSchedule` at global epoch ``epoch_offset + current_epoch``.
    The decoder is trained as it will be used (``model.cfg.length_mode``, see :mod:`slpkit.generators.darslp.nat`):
    ``"crop"`` decodes ``T_max`` frames with unmasked self-attention and scores the first ``T`` (ground-truth
    length), ``"mask"`` decodes the batch's frames with self-attention masked to each ground-truth length.
    Adam + ReduceLROnPlateau on ``monitor`` (``"val/loss"`` when a validation loader is given, else
    ``"train/loss"``).
    """

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
        monitor: str = "val/loss",
    ):
        super().__init__()
        self.length_weight = float(length_weight)
        self.model = model
        self.kl = kl
        self.latent_slices = dict(latent_slices)
        self.l1_weights = dict(l1_weights)
        self.schedule = schedule or KLSchedule("none")
        self.epoch_offset = int(epoch_offset)
        self.monitor = monitor
        self.hp = dict(lr=lr, weight_decay=weight_decay, factor=plateau_factor, patience=plateau_patience)

    def kl_factor(self) -> float:
        if self.kl is None:
            return 0.0
        return self.schedule.factor(self.epoch_offset + int(self.current_epoch))

    def losses(self, batch) -> dict[str, torch.Tensor]:
        max_len = self.model.cfg.max_len
        lengths = batch["lengths"]
        T = batch["latents"].shape[1]
        mode = self.model.cfg.length_mode
        out = self.model(batch["ids"], batch["text_mask"], lengths=lengths, T=max_len if mode == "crop" else T,
                         length_mode=mode)
        out = {**out, "latents": out["latents"][:, :T], "mask": out["mask"][:, :T]}
        enc = encoding_loss(out["latents"], batch["latents"], out["mask"], self.latent_slices, self.l1_weights,
                            batch.get("region_mask"))
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
            self.log(f"val/{k}", v, on_step=False, on_epoch=True, batch_size=int(batch["ids"].shape[0]), sync_dist=True)

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hp["lr"], weight_decay=self.hp["weight_decay"])
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=self.hp["factor"], patience=self.hp["patience"])
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": self.monitor, "interval": "epoch"}}


# ----------------------------------------------------------------------------------- pipeline
class Darslp:
    """DARSLP pipeline: :meth:`fit` = :meth:`fit_autoencoder` + :meth:`prepare_generator` + two :meth:`train_phase`.

    ``jieba_words``: a lexicon for Chinese word segmentation of the text vocabulary (e.g.
    ``corpus.words("csl")``), so CSL sentences split into the words the signs stand for.
    ``progress``: Lightning progress bars (default: ``$SLPKIT_PROGRESS``).
    """

    def __init__(self, cfg: DarslpConfig | None = None, device: str = "cpu", jieba_words: Sequence[str] = (),
                 progress: bool | None = None):
        self.cfg = cfg or DarslpConfig()
        self.device = device
        self.jieba_words = tuple(sorted(set(jieba_words)))
        self.progress = progress
        self.ae: PoseAutoencoder | None = None
        self.nat: NonAutoregressiveTransformer | None = None
        self.vocab: TextVocab | None = None
        self.prior: ChannelPrior | None = None
        self.epochs_done = 0
        self.max_len: int | None = None
        self.history: list[dict] = []
        self.phase1_state: dict | None = None
        self.train_seconds = 0.0
        self.from_cache = False
        self._data: LatentDataset | None = None
        self._val: LatentDataset | None = None

    # -- stage 1
    def fit_autoencoder(self, examples: Sequence[Example], work_dir: str | Path | None = None) -> "Darslp":
        """Train the pose autoencoder (Eq. 1-3) on the examples' frames (their masks respected)."""
        self._check_examples(examples)
        masks = None
        if any(e.mask is not None for e in examples):
            masks = [np.ones(np.asarray(e.keypoints).shape[:-1], bool) if e.mask is None else e.mask for e in examples]
        self.ae = train_autoencoder([e.keypoints for e in examples], self.cfg.ae_config(), device=self.device,
                                    masks=masks, work_dir=work_dir, progress=self.progress)
        return self

    @torch.no_grad()
    def encode(self, keypoints: Any, mask: Any = None) -> torch.Tensor:
        """GT encodings ``(T, C)`` of ``(T, 178, 3)`` keypoints (masked points enter as the mean pose)."""
        self._need("ae")
        pm = None if mask is None else torch.as_tensor(np.asarray(mask)).bool()
        return self.ae.eval().encode(as_keypoints(keypoints), pm).cpu()

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> np.ndarray:
        """Latents ``(..., C)`` -> ``(..., 178, 3)`` float32 keypoints (the autoencoder's decoder)."""
        self._need("ae")
        latents = torch.as_tensor(latents)
        check_finite(latents, "latents")
        return self.ae.eval().decode(latents.float()).cpu().numpy().astype(np.float32)

    # -- stage 2
    def _dataset(self, examples: Sequence[Example], cap: int | None,
                 encodings: Sequence[torch.Tensor] | None = None) -> LatentDataset:
        """Token ids (language token first), GT encodings and region masks, capped at ``cap`` frames."""
        L = self.nat.cfg.max_text_len if self.nat is not None else self.cfg.nat.max_text_len
        ids = [torch.tensor(self.vocab.encode(e.text, e.language, lang=True, max_len=L - 1), dtype=torch.long)
               for e in examples]
        enc = encodings if encodings is not None else [self.encode(e.keypoints, e.mask) for e in examples]
        rms = [None if e.mask is None else {r: v[:cap] for r, v in region_frame_mask(e.mask).items()} for e in examples]
        return LatentDataset(ids, [z[:cap] for z in enc], rms)

    def attach_data(self, examples: Sequence[Example], val: Sequence[Example] | None = None,
                    _encodings: Sequence[torch.Tensor] | None = None) -> "Darslp":
        """Training (and validation) items for :meth:`train_phase` from examples, with this model's AE and vocab
        (what a model loaded from the cache needs before more training)."""
        self._need("nat")
        self._check_examples(examples)
        self._data = self._dataset(examples, self.max_len, _encodings)
        self._val = None
        if val:
            self._check_examples(val)
            self._val = self._dataset(val, self.max_len)
        return self

    def prepare_generator(self, examples: Sequence[Example], val: Sequence[Example] | None = None) -> "Darslp":
        """Vocabulary, GT encodings, channel prior, reference pose encoding and a fresh NAT."""
        self._need("ae")
        self._check_examples(examples)
        seed_everything(self.cfg.seed)
        self.vocab = TextVocab.build([e.text for e in examples], [e.language for e in examples], lowercase=True,
                                     zh="jieba", jieba_words=self.jieba_words)
        enc = [self.encode(e.keypoints, e.mask) for e in examples]
        nat_cfg = self.cfg.nat
        if nat_cfg.max_len <= 0:
            nat_cfg = dataclasses.replace(nat_cfg, max_len=int(math.ceil(self.cfg.length_margin * max(len(z) for z in enc))))
        self.max_len = nat_cfg.max_len
        self.prior = fit_prior(enc, self.ae.cfg.latent_slices(),
                               [None if e.mask is None else region_frame_mask(e.mask) for e in examples])
        self.nat = NonAutoregressiveTransformer(nat_cfg, self.ae.latent_dim, vocab_size=len(self.vocab))
        # canonical reference pose (Sec. 3.2) = encoding of the mean training pose
        self.nat.set_reference(self.encode(self.ae.mean_pose[None]).reshape(-1) if self.cfg.ae.normalize else self.prior.mu)
        self.attach_data(examples, val, _encodings=enc)
        self.epochs_done, self.history, self.phase1_state = 0, [], None
        return self

    def make_kl(self, kl_weights: Mapping[str, float] | None = None) -> ChannelKL:
        self._need("prior")
        return ChannelKL(self.prior, self.ae.cfg.latent_slices(), kl_weights or self.cfg.kl_weights)

    def train_phase(self, epochs: int, schedule: KLSchedule | None = None, l1_weights: Mapping[str, float] | None = None,
                    kl_weights: Mapping[str, float] | None = None, work_dir: str | Path | None = None,
                    name: str = "DARSLP transformer") -> "Darslp":
        """Train the NAT for ``epochs`` more epochs (fresh optimizer); the KL factor follows ``schedule``
        at the global epoch count (so ``staged`` is off in phase 1 and on in phase 2). With validation data
        the best validation epoch of the phase is kept (and ``cfg.early_stopping_patience > 0`` stops early)."""
        self._need("nat")
        if self._data is None:
            raise RuntimeError("DARSLP has no training data attached: call attach_data(train, val) first "
                               "(a model loaded from the cache holds only weights)")
        if epochs <= 0:
            return self
        cfg = self.cfg
        schedule = schedule or cfg.schedule()
        monitor = "val/loss" if self._val is not None else "train/loss"
        module = NATModule(
            self.nat, self.ae.cfg.latent_slices(), l1_weights or cfg.l1_weights,
            kl=self.make_kl(kl_weights), schedule=schedule, epoch_offset=self.epochs_done,
            lr=cfg.lr, weight_decay=cfg.weight_decay, plateau_factor=cfg.plateau_factor,
            plateau_patience=cfg.plateau_patience, length_weight=cfg.length_weight, monitor=monitor,
        )
        loader = make_loader(self._data, self._data.lengths(), cfg.batch_size, bucket=cfg.bucket,
                             seed=cfg.seed + 7919 * self.epochs_done, collate_fn=collate)
        val = None
        if self._val is not None:
            val = make_loader(self._val, self._val.lengths(), cfg.batch_size, shuffle=False, collate_fn=collate)
        phase_cfg = dataclasses.replace(cfg, seed=cfg.seed + 7919 * self.epochs_done)
        res = fit(module, loader, phase_cfg, name=name, val_loader=val, device=self.device, work_dir=work_dir,
                  monitor="val/loss" if val is not None else None, max_epochs=epochs, max_steps=-1,
                  progress=self.progress)
        self.nat = module.model.cpu().eval()
        metrics = {k: float(v) for k, v in res.trainer.callback_metrics.items()}
        self.history.append(metrics | {"epochs": epochs, "start": self.epochs_done, "epochs_run": res.epochs,
                                       "best_val_loss": res.best_score, "seconds": res.seconds})
        self.train_seconds += res.seconds
        self.epochs_done += epochs
        return self

    def _attach_if_needed(self, examples: Sequence[Example] | None, val: Sequence[Example] | None) -> None:
        if self._data is None and examples is not None:
            self.attach_data(examples, val)

    def fit_phase1(self, examples: Sequence[Example], val: Sequence[Example] | None = None,
                   work_dir: str | Path | None = None) -> "Darslp":
        """:meth:`prepare_generator` + ``phase1_epochs`` (KL only if the schedule is ``"from_start"``);
        the phase-1 weights are kept for :meth:`phase1_model`."""
        self.prepare_generator(examples, val)
        self.train_phase(self.cfg.phase1_epochs, work_dir=None if work_dir is None else Path(work_dir) / "phase1",
                         name="DARSLP transformer, phase 1")
        self.phase1_state = {k: v.detach().clone() for k, v in self.nat.state_dict().items()}
        return self

    def fit_phase2(self, examples: Sequence[Example] | None = None, val: Sequence[Example] | None = None,
                   work_dir: str | Path | None = None) -> "Darslp":
        """``phase2_epochs`` more (KL on for ``"staged"`` and ``"from_start"``, off for ``"none"``).

        ``examples`` / ``val`` are only used when the model holds no training data (loaded from the cache)."""
        self._attach_if_needed(examples, val)
        return self.train_phase(self.cfg.phase2_epochs, work_dir=None if work_dir is None else Path(work_dir) / "phase2",
                                name="DARSLP transformer, phase 2")

    def fit_generator(self, examples: Sequence[Example], val: Sequence[Example] | None = None,
                      work_dir: str | Path | None = None) -> "Darslp":
        """Two-phase generator training with the config's weights and KL schedule."""
        return self.fit_phase1(examples, val, work_dir).fit_phase2(work_dir=work_dir)

    def fit(self, examples: Sequence[Example], val: Sequence[Example] | None = None,
            work_dir: str | Path | None = None) -> "Darslp":
        """Both stages on ``examples`` (list of :class:`Example`), validated on ``val`` (phases only)."""
        ae_dir = None if work_dir is None else Path(work_dir) / "autoencoder"
        return self.fit_autoencoder(examples, ae_dir).fit_generator(examples, val, work_dir)

    def copy(self) -> "Darslp":
        """Deep copy (branch phase 2 from one phase-1 model)."""
        return copy.deepcopy(self)

    def branch(self, **cfg_overrides) -> "Darslp":
        """Deep copy with config fields replaced, e.g. ``p1.branch(kl_schedule="staged").fit_phase2()``
        or ``ae_only.branch(l1_weights="uniform").fit_phase1(train, val)``."""
        new = copy.deepcopy(self)
        new.cfg = dataclasses.replace(self.cfg, **cfg_overrides)
        return new

    def phase1_model(self, **cfg_overrides) -> "Darslp":
        """A copy with the NAT weights as they were after phase 1 (:meth:`fit_phase1`), ready for another phase 2."""
        if self.phase1_state is None:
            raise RuntimeError("this model kept no phase-1 weights: train it with fit_phase1 / fit / train_darslp")
        new = self.branch(**cfg_overrides)
        new.nat.load_state_dict(new.phase1_state)
        new.epochs_done = self.cfg.phase1_epochs
        new.history = [h for h in new.history if h["start"] < self.cfg.phase1_epochs]
        return new

    # -- inference
    @torch.no_grad()
    def predict_latents(self, texts: Sequence[str], languages: Sequence[str], lengths: Sequence[int] | None = None,
                        length_mode: str | None = None) -> list[torch.Tensor]:
        """Predicted latents ``(T_hat_i, C)`` per sentence (``lengths`` overrides the length predictor;
        ``length_mode`` overrides ``cfg.nat.length_mode``: ``"crop"`` | ``"mask"``)."""
        self._need("nat")
        texts, languages = check_texts(texts, languages)
        T_max = self.nat.cfg.max_len
        if lengths is not None:
            lengths = check_lengths(lengths, len(texts), max=T_max,
                                    hint=f"frames at the model's rate; its T_max is {T_max} (NATConfig.max_len)")
        if length_mode is not None:
            check_choice(length_mode, "length_mode", LENGTH_MODES, "None uses the config's")
        ids, mask = self.vocab.batch(texts, languages, lang=True, max_len=self.nat.cfg.max_text_len - 1)
        L = None if lengths is None else torch.as_tensor(lengths, dtype=torch.long)
        out = self.nat.eval()(ids, mask, lengths=L, length_mode=length_mode)
        return [out["latents"][i, : int(out["lengths"][i])].cpu() for i in range(len(texts))]

    def generate(self, texts: Sequence[str], languages: Sequence[str], lengths: Sequence[int] | None = None,
                 batch_size: int = 64, length_mode: str | None = None) -> list[np.ndarray]:
        """Text -> list of ``(T_hat, 178, 3)`` float32 keypoints (NAT latents decoded by the AE decoder).

        ``lengths``: one integer frame count per text in ``[1, T_max]`` (``NATConfig.max_len``), overriding the
        length predictor; anything else (0, negative, longer than ``T_max``, fractional, too few) raises, as do
        empty texts, a string instead of a list and a language list of another length (as SOKE's generator).
        """
        texts, languages = check_texts(texts, languages)
        self._need("nat")
        batch_size = check_int(batch_size, "batch_size", min=1, hint="sentences generated at once")
        if lengths is not None:
            lengths = check_lengths(lengths, len(texts), max=self.nat.cfg.max_len,
                                    hint=f"frames at the model's rate; its T_max is {self.nat.cfg.max_len} "
                                         "(NATConfig.max_len)")
        out = []
        for i in range(0, len(texts), batch_size):
            sl = slice(i, i + batch_size)
            lat = self.predict_latents(texts[sl], languages[sl], None if lengths is None else list(lengths)[sl],
                                       length_mode)
            out += [self.decode(z) for z in lat]
        return out

    def evaluate(self, examples: Sequence[Example], backtranslator: Any = None, use_gt_length: bool = False,
                 length_mode: str | None = None, return_poses: bool = False) -> dict[str, Any]:
        """Scores of generated poses against ``examples``.

        Returns ``{"dtw_mje"`` (SLRTP convention, frame-pooled), ``"dtw_mje_sentences"`` and
        ``"dtw_mje_weights"`` (per sentence, :func:`~slpkit.generators.darslp.diagnostics.dtw_mje_sentences`),
        ``"len_err_frames", "len_corr"`` (generated vs reference lengths), ``"lengths", "n"``, and with a
        back-translator its BLEU-1..4 / chrF / ROUGE-L, ``"bleu4_statistic"`` (for the paired bootstrap) and
        ``"hyps"``; ``"poses"`` with ``return_poses``}``.
        """
        self._check_examples(examples)
        texts, langs = [e.text for e in examples], [e.language for e in examples]
        self._need("nat")
        # known-length evaluation: a reference longer than the model's T_max is generated at T_max frames
        lengths = [min(len(e.keypoints), self.nat.cfg.max_len) for e in examples] if use_gt_length else None
        preds = self.generate(texts, langs, lengths, length_mode=length_mode)
        refs = [np.asarray(e.keypoints) for e in examples]
        means, weights = dtw_mje_sentences(preds, refs)
        res: dict[str, Any] = {"dtw_mje": float(np.average(means, weights=weights)), "dtw_mje_sentences": means,
                               "dtw_mje_weights": weights, "n": len(examples), "lengths": [len(p) for p in preds]}
        res.update(length_stats(res["lengths"], [len(r) for r in refs]))
        if backtranslator is not None:
            bt_in = [to_frame_rate(p, self.cfg.frame_step).reshape(-1, 178 * 3) for p in preds]
            sc = backtranslator.score(bt_in, texts, langs, return_hyps=True)
            res.update({k: v for k, v in sc.items() if k != "per_language"})
        if return_poses:
            res["poses"] = preds
        return res

    @torch.no_grad()
    def latent_spread(self, texts: Sequence[str], languages: Sequence[str]) -> dict[str, float]:
        """Regression-to-the-mean in latent space: per region, mean over channels of
        std(predicted channel) / std(ground-truth prior). 1 = as spread as the data, 0 = constant."""
        self._need("nat")
        z = torch.cat(self.predict_latents(texts, languages), 0)
        ratio = z.std(0) / self.prior.var.sqrt()
        return {n: float(ratio[sl].mean()) for n, sl in self.ae.cfg.latent_slices().items()}

    # -- persistence
    def save(self, path: str | Path) -> Path:
        """Config, autoencoder, transformer (+ its phase-1 weights), vocabulary, prior and history in one file."""
        self._need("nat")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"version": CACHE_VERSION, "cfg": dataclasses.asdict(self.cfg), "jieba_words": list(self.jieba_words),
                    "ae": {k: v.cpu() for k, v in self.ae.state_dict().items()},
                    "nat_cfg": dataclasses.asdict(self.nat.cfg), "vocab": self.vocab.to_dict(),
                    "nat": {k: v.cpu() for k, v in self.nat.state_dict().items()}, "phase1_state": self.phase1_state,
                    "prior": self.prior.state_dict(), "epochs_done": self.epochs_done, "history": self.history,
                    "train_seconds": self.train_seconds}, path)
        return path

    # -- helpers
    def _need(self, what: str) -> None:
        if getattr(self, what) is None:
            step = {"ae": "fit_autoencoder", "nat": "prepare_generator / fit", "prior": "prepare_generator"}[what]
            raise RuntimeError(f"DARSLP has no {what} yet: call {step}() first")

    @staticmethod
    def _check_examples(examples: Sequence[Example]) -> None:
        if isinstance(examples, (str, bytes, dict, Example)) or not hasattr(examples, "__len__") or not examples:
            raise ValueError("no examples given: pass a non-empty list of Example (see examples_from_corpus)")
        for i, e in enumerate(examples):
            if not isinstance(e, Example):
                raise ValueError(f"examples[{i}] is a {type(e).__name__}: pass Example objects (examples_from_corpus)")
        for e in examples:
            as_keypoints(e.keypoints, f"keypoints of example {e.id or e.text[:20]!r}")


# ----------------------------------------------------------------------------------- cache
def _strip_scale_out(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _strip_scale_out(v) for k, v in d.items() if k not in SCALE_OUT_FIELDS}
    return d


def cache_key(corpus: Any, cfg: DarslpConfig) -> dict[str, Any]:
    """What a cached DARSLP model depends on: config (``devices`` / ``strategy`` excluded, also in ``ae``),
    corpus fingerprint, format version."""
    fp = corpus.fingerprint() if hasattr(corpus, "fingerprint") else str(getattr(corpus, "meta", ""))
    return {"cfg": _strip_scale_out(dataclasses.asdict(cfg)), "corpus": fp, "version": CACHE_VERSION}


def load_darslp(path: str | Path, device: str = "cpu", expect: DarslpConfig | None = None) -> Darslp:
    """Load a model written by :meth:`Darslp.save` (what :func:`train_darslp` caches), in eval mode, without
    training data (:meth:`Darslp.attach_data` before training it further).

    ``expect``: raise if the file holds a model of another config. A missing file raises ``FileNotFoundError``,
    a truncated or foreign one ``ValueError``; both name the file.
    """
    def build(ck: dict) -> Darslp:
        cfg = DarslpConfig(**ck["cfg"])
        m = Darslp(cfg, device=device, jieba_words=ck.get("jieba_words", ()))
        m.ae = PoseAutoencoder(AEConfig(**ck["cfg"]["ae"]))
        m.ae.load_state_dict(ck["ae"])
        m.ae.eval()
        m.vocab = TextVocab.from_dict(ck["vocab"])
        nat_cfg = NATConfig(**ck["nat_cfg"])
        m.nat = NonAutoregressiveTransformer(nat_cfg, m.ae.latent_dim, vocab_size=len(m.vocab))
        m.nat.load_state_dict(ck["nat"])
        m.nat.eval()
        m.max_len = nat_cfg.max_len
        m.prior = ChannelPrior.from_state_dict(ck["prior"])
        m.phase1_state = ck.get("phase1_state")
        m.epochs_done, m.history = int(ck["epochs_done"]), list(ck.get("history", []))
        m.train_seconds = float(ck.get("train_seconds", 0.0))
        return m

    m = read_checkpoint(path, "DARSLP", CACHE_VERSION, build, train_with="train_darslp")
    if expect is not None:
        check_same_config(path, "DARSLP model", _strip_scale_out(dataclasses.asdict(m.cfg)),
                          _strip_scale_out(dataclasses.asdict(expect)))
    return m


def train_darslp(corpus: Any, cfg: DarslpConfig | None = None, device: str = "auto", cache: bool = True,
                 progress: bool | None = None) -> Darslp:
    """Train DARSLP on the train split of a SynthSign ``corpus`` (validated on its val split), or load it from the cache.

    The whole recipe of ``cfg``: autoencoder, phase 1, phase 2 with ``cfg.kl_schedule`` (the defaults are the
    paper's final DARSLP-KL: L1 1-14-10-2, staged KL 1-10-6-1). Cached by :func:`cache_key`
    (``slpkit.training.cached('darslp', ...)``), so every notebook asking for the same config and corpus gets
    the same model. The returned model has the corpus' train / val data attached (branch it and call
    :meth:`Darslp.fit_phase2` for other phase-2 variants; :meth:`Darslp.phase1_model` gives its phase-1 weights)
    and ``from_cache`` / ``train_seconds`` attributes.
    """
    cfg = check_stage_inputs(corpus, cfg, DarslpConfig)
    dev = str(resolve_device(device))
    train = examples_from_corpus(corpus, "train", frame_step=cfg.frame_step)
    val = examples_from_corpus(corpus, "val", frame_step=cfg.frame_step) if corpus.split("val") else None
    words = corpus.words("csl") if "csl" in getattr(corpus, "languages", ()) else ()

    def run(work_dir: Path) -> Darslp:
        return Darslp(cfg, device=dev, jieba_words=words, progress=progress).fit(train, val, work_dir=work_dir)

    info: dict = {}
    model = cached("darslp", cache_key(corpus, cfg), run, save=lambda m, p: m.save(p),
                   load=lambda p: load_darslp(p, dev, expect=cfg), enabled=cache, lock=single_process(cfg), info=info)
    model.from_cache = bool(info.get("hit"))
    model.device, model.progress = dev, progress
    if model.from_cache:
        model.attach_data(train, val)
    return model
