"""Configuration of the DARSLP pipeline: :class:`DarslpConfig` and the paper's region weightings.

Region weights are given in the paper's order **Body-RH-LH-Face** (:func:`weights_bhf`).

- L1 weights of Eq. 4 (:data:`L1_WEIGHTINGS`): uniform 1-1-1-1, moderate 1-7-5-2 (Sec. 4.2.2, Tables 1-3),
  heavy 1-14-10-2 (Sec. 4.3, the final choice; Table 3).
- KL weights lambda_R of Eq. 7 (:data:`KL_WEIGHTINGS`): uniform 1-1-1-1, heavy 1-10-6-1 (Sec. 4.3, the final
  choice; Table 4) and **two readings of the "moderate" start**: the paper is not consistent about it.
  Sec. 4.2.2 says "for initial experiments we set the weights as lambda_B = 1, lambda_RH = 5, lambda_LH = 3,
  lambda_F = 1" (1-5-3-1), while Sec. 4.3 ("moderate region weights ... (1-3-5-1) for the KL divergence,
  corresponding to the body, right hand, left hand, and face") and Table 4's row "Moderate Hand Emphasis
  (1-3-5-1)" give the right hand 3 and the left hand 5. ``"moderate"`` is the Table 4 / Sec. 4.3 reading
  (what the tables report), ``"moderate-sec4.2.2"`` the other; :attr:`DarslpConfig.kl_weights` takes
  either name (or a dict), so the choice is one parameter.

The authors' public code (github.com/sumeyyemeryem/DARSLP, ``train_stage2.py``) takes these as
``--RH_weight/--LH_weight`` and ``--KL_RH_weight/--KL_LH_weight`` with body and face fixed at 1; slpkit
keeps all four regions as parameters.

Training (Sec. 4.2.2): Adam (lr 2e-4, weight decay 1e-4), ReduceLROnPlateau (factor 0.9, patience 40)
on the **validation** loss, early stopping on the validation loss (patience 150 and the best
validation checkpoint in ``train_stage2.py``). :class:`DarslpConfig` is a
:class:`slpkit.training.TrainConfig`, so ``devices`` / ``strategy`` / ``precision`` / ``seed`` work as for
every slpkit stage; ``max_epochs`` is derived (``phase1_epochs + phase2_epochs``).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from slpkit.checks import check_float, check_int
from slpkit.generators.darslp.autoencoder import REGION_ORDER, AEConfig
from slpkit.generators.darslp.channel_kl import KL_SCHEDULES, KLSchedule
from slpkit.generators.darslp.nat import NATConfig
from slpkit.training import TrainConfig

__all__ = ["DarslpConfig", "weights_bhf", "L1_WEIGHTINGS", "KL_WEIGHTINGS", "resolve_weights",
           "PAPER_L1_WEIGHTS", "PAPER_KL_WEIGHTS"]


def weights_bhf(body: float, rh: float, lh: float, face: float) -> dict[str, float]:
    """Region weights in the paper's order Body-RH-LH-Face (e.g. ``weights_bhf(1, 14, 10, 2)``)."""
    return {"body": float(body), "rhand": float(rh), "lhand": float(lh), "face": float(face)}


#: Eq. 4 weightings of the paper (Body-RH-LH-Face): Sec. 4.2.2 / Table 3.
L1_WEIGHTINGS: dict[str, dict[str, float]] = {
    "uniform": weights_bhf(1, 1, 1, 1),
    "moderate": weights_bhf(1, 7, 5, 2),
    "heavy": weights_bhf(1, 14, 10, 2),
}
#: Eq. 7 weightings of the paper (Body-RH-LH-Face): Table 4, Sec. 4.3, and Sec. 4.2.2's variant (module doc).
KL_WEIGHTINGS: dict[str, dict[str, float]] = {
    "uniform": weights_bhf(1, 1, 1, 1),
    "moderate": weights_bhf(1, 3, 5, 1),
    "moderate-sec4.2.2": weights_bhf(1, 5, 3, 1),
    "heavy": weights_bhf(1, 10, 6, 1),
}
#: Final region weights of the paper (Sec. 4.3): L1 (body-RH-LH-face) 1-14-10-2, KL 1-10-6-1.
PAPER_L1_WEIGHTS = dict(L1_WEIGHTINGS["heavy"])
PAPER_KL_WEIGHTS = dict(KL_WEIGHTINGS["heavy"])


def resolve_weights(weights: str | Mapping[str, float], table: Mapping[str, Mapping[str, float]], what: str
                    ) -> dict[str, float]:
    """A weighting name of ``table`` or a ``{region: weight}`` mapping -> a checked ``{region: float}`` dict."""
    if isinstance(weights, str):
        if weights not in table:
            raise ValueError(f"DarslpConfig.{what}={weights!r}: use one of {sorted(table)} or a dict "
                             f"{{region: weight}} over {REGION_ORDER}")
        return dict(table[weights])
    if not isinstance(weights, Mapping):
        raise ValueError(f"DarslpConfig.{what}={weights!r}: use one of {sorted(table)} or a dict {{region: weight}} "
                         f"over {REGION_ORDER}")
    out = {str(k): check_float(v, f"DarslpConfig.{what}[{k!r}]", min=0.0, hint="region weights are >= 0")
           for k, v in dict(weights).items()}
    unknown = set(out) - set(REGION_ORDER)
    if unknown:
        raise ValueError(f"DarslpConfig.{what} names unknown regions {sorted(unknown)}: use {REGION_ORDER}")
    if what == "l1_weights" and not any(v > 0 for v in out.values()):
        raise ValueError(f"DarslpConfig.{what}={out}: every region weight is 0, so Eq. 4 would train nothing; give at "
                         "least one region a positive weight")
    return out


@dataclasses.dataclass
class DarslpConfig(TrainConfig):
    """Everything DARSLP needs; :meth:`full` = the paper's values, :meth:`smoke` = a short CPU run.

    ``l1_weights`` / ``kl_weights``: a weighting name (:data:`L1_WEIGHTINGS`, :data:`KL_WEIGHTINGS`) or a
    ``{region: weight}`` dict; names are resolved to dicts when the config is built. ``kl_schedule``:
    ``"none"`` (DARSLP), ``"staged"`` (DARSLP-KL: KL in phase 2 only) or ``"from_start"`` (Table 2 row 2).
    ``plateau_factor`` / ``plateau_patience``: ReduceLROnPlateau on ``val/loss`` when a validation set is
    given (else on ``train/loss``); ``early_stopping_patience`` (TrainConfig's) stops a phase after that many
    epochs without a better validation loss and keeps its best epoch. ``frame_step``: SLRTP subsamples
    25 fps references ``[::2]`` (12.5 fps), slpkit trains and evaluates at that rate. ``length_margin``:
    ``T_max = ceil(margin x longest training sequence)`` when ``nat.max_len == 0``.
    ``length_weight`` multiplies ``L_len`` (1 in Eq. 6). ``bucket``: length-bucketed batches
    (:func:`slpkit.training.make_loader`). ``devices`` / ``strategy`` apply to both stages (they override the
    nested ``ae`` ones); ``batch_size`` stays the global batch.
    """

    ae: AEConfig = dataclasses.field(default_factory=AEConfig)
    nat: NATConfig = dataclasses.field(default_factory=NATConfig)
    l1_weights: str | dict = "heavy"
    kl_weights: str | dict = "heavy"
    kl_schedule: str = "staged"
    kl_scale: float = 1.0  # global multiplier of L_KL (1 in the paper)
    phase1_epochs: int = 400
    phase2_epochs: int = 400
    plateau_factor: float = 0.9
    plateau_patience: int = 40
    frame_step: int = 2
    length_margin: float = 1.1
    length_weight: float = 1.0
    bucket: int = 4
    # TrainConfig fields, overridden (DARSLP Sec. 4.2.2; train_stage2.py of the public code)
    lr: float = 2e-4
    weight_decay: float = 1e-4
    batch_size: int = 64
    early_stopping_patience: int = 150
    max_epochs: int = 800  # derived: phase1_epochs + phase2_epochs
    gradient_clip_val: float = 0.0

    def __post_init__(self) -> None:
        for name, cls in (("ae", AEConfig), ("nat", NATConfig)):
            v = getattr(self, name)
            if isinstance(v, Mapping):
                unknown = sorted(set(v) - {f.name for f in dataclasses.fields(cls)})
                if unknown:
                    raise ValueError(f"DarslpConfig.{name} has unknown field(s) {unknown}: {cls.__name__} has "
                                     f"{[f.name for f in dataclasses.fields(cls)]}")
                setattr(self, name, cls(**v))
            elif not isinstance(v, cls):
                raise ValueError(f"DarslpConfig.{name}={v!r}: pass a {cls.__name__} (e.g. {cls.__name__}.smoke()) or a "
                                 "dict of its fields")
        for f in ("phase1_epochs", "phase2_epochs"):
            check_int(getattr(self, f), f"DarslpConfig.{f}", min=0, hint="0 or more epochs")
        for f in ("plateau_patience", "frame_step", "bucket"):
            check_int(getattr(self, f), f"DarslpConfig.{f}")
        if int(self.phase1_epochs) + int(self.phase2_epochs) < 1:
            raise ValueError("DarslpConfig: phase1_epochs + phase2_epochs is 0: train at least one epoch")
        self.max_epochs = int(self.phase1_epochs) + int(self.phase2_epochs)
        super().__post_init__()
        self.l1_weights = resolve_weights(self.l1_weights, L1_WEIGHTINGS, "l1_weights")
        self.kl_weights = resolve_weights(self.kl_weights, KL_WEIGHTINGS, "kl_weights")
        if self.kl_schedule not in KL_SCHEDULES:
            raise ValueError(f"DarslpConfig.kl_schedule={self.kl_schedule!r}: use one of {KL_SCHEDULES}")
        if float(self.kl_scale) < 0 or float(self.length_weight) < 0:
            raise ValueError(f"DarslpConfig: kl_scale={self.kl_scale} and length_weight={self.length_weight} "
                             "must be >= 0")
        if not 0.0 < float(self.plateau_factor) < 1.0:
            raise ValueError(f"DarslpConfig.plateau_factor={self.plateau_factor}: use a factor in (0, 1) (paper 0.9)")
        if int(self.plateau_patience) < 0:
            raise ValueError(f"DarslpConfig.plateau_patience={self.plateau_patience}: use 0 or more epochs (paper 40)")
        if int(self.frame_step) < 1:
            raise ValueError(f"DarslpConfig.frame_step={self.frame_step}: use 1 (25 fps) or 2 (SLRTP's 12.5 fps)")
        if float(self.length_margin) < 1.0:
            raise ValueError(f"DarslpConfig.length_margin={self.length_margin}: T_max must cover the longest "
                             "training sequence, use a margin >= 1")
        if int(self.bucket) < 1:
            raise ValueError(f"DarslpConfig.bucket={self.bucket}: use 1 (plain shuffled batches) or more")

    @classmethod
    def smoke(cls) -> "DarslpConfig":
        """A 64-wide transformer (1 encoder + 1 decoder layer) trained 3 + 1 epochs at lr 3e-3, batch 16, on one
        CPU thread: about 11 s of CPU time for phase 1 and 3 s for phase 2 on the smoke corpus (1,438 training
        sentences at 12.5 fps), a few seconds for the 400-step autoencoder. Measured in notebook 06 (seed 0,
        DEV): DTW-MJE 0.046-0.049 for every generator against 0.081 for the mean pose, generated / reference
        length correlation 0.83-0.85. A second decoder layer cost 1.3x for the same DTW-MJE; the earlier
        12 + 6 epochs (tuned on a 6x smaller corpus) reached 0.029 with 4.5x the epochs."""
        return cls(
            ae=AEConfig.smoke(), nat=dataclasses.replace(NATConfig.smoke(), max_len=0, dec_layers=1),
            phase1_epochs=3, phase2_epochs=1, batch_size=16, lr=3e-3, plateau_patience=1,
            early_stopping_patience=2, length_weight=10.0, gradient_clip_val=1.0,
        )

    @classmethod
    def full(cls) -> "DarslpConfig":
        """The paper's sizes and optimiser (Sec. 3.2, 4.2); epochs per phase are not given in the paper
        (``train_stage2.py`` defaults to 800 epochs with early stopping), slpkit splits 400 + 400."""
        return cls(ae=AEConfig.full(), nat=dataclasses.replace(NATConfig.full(), max_len=0))

    def schedule(self) -> KLSchedule:
        """The KL switch of :attr:`kl_schedule` at the global epoch count (phase 2 starts at ``phase1_epochs``)."""
        return KLSchedule(self.kl_schedule, phase1_epochs=self.phase1_epochs, weight=self.kl_scale)

    def ae_config(self) -> AEConfig:
        """The autoencoder config this pipeline trains with (seed, devices and strategy of this config)."""
        return dataclasses.replace(self.ae, seed=self.seed, devices=self.devices, strategy=self.strategy)
