"""Articulator-disentangled pose autoencoder of DARSLP (Sec. 3.1, 4.2.1).

A frame of 178 keypoints (``slpkit.body.keypoints`` layout: 8 body, 21 left hand, 21
right hand, 128 face, each ``(x, y, z)``) is split into its four regions; each region has
its own linear encoder into its own block of latent channels::

    body 8x3 -> 8,  left hand 21x3 -> 28,  right hand 21x3 -> 28,  face 128x3 -> 16   (80 channels)

and the decoder mirrors it (one linear decoder per region, from that region's block only).
The latent code is thus *structurally* disentangled: channel ``c`` belongs to exactly one
articulator, which is what lets the generator weight its losses per region (Eq. 4, 7).

Loss (Eq. 1-3)::

    L_recon  = sum_r w_r * 1/N_r sum_i || x_hat_r^(i) - x_r^(i) ||_1      w = body 0.5, hands 1.5, face 1.0
    L_reg    = lambda * sum_{W in encoder} |W|_1                          lambda = 1e-4, encoder weights only
    L_total  = L_recon + L_reg

optimised with Adam (lr 2e-4, betas (0.5, 0.9); DARSLP Sec. 4.2.1). Training goes through
:func:`slpkit.training.fit` (devices / strategy / precision from the config, optional validation
with best-checkpoint selection and early stopping, resumable with a ``work_dir``).

Input normalisation: the paper's keypoints are already centred on the neck and scaled by
shoulder width (``slpkit.body.keypoints.normalize178``). slpkit additionally subtracts the
training mean pose and divides by one global scale inside the model (``normalize=True``) so
latents have unit-ish size; the loss is always computed in the caller's keypoint units, so
Eq. 1 is unchanged.

Missing points (real MediaPipe clips: undetected hands, glitches). Every method takes an
optional ``point_mask (..., 178)`` bool, True = observed (the mask contract of
``slpkit.body.keypoints``). A masked point

- enters the encoder as the training mean pose (its value is never read),
- adds nothing to Eq. 1: each region's term averages the per-point L1 over observed
  (frame, point) pairs and multiplies by the region's point count, which equals the paper's
  per-frame sum when everything is observed,
- is left out of the mean pose and scale (:meth:`PoseAutoencoder.fit_normalizer`).

So the loss, its gradients and training do not depend on what is written under the mask.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from slpkit.checks import check_bool, check_finite, check_float, check_int, check_nonempty, check_pair
from slpkit.config import seed_everything
from slpkit.training import TrainConfig, fit, make_loader

__all__ = [
    "REGION_ORDER",
    "DEFAULT_REGION_JOINTS",
    "AEConfig",
    "as_keypoints",
    "PoseAutoencoder",
    "AutoencoderModule",
    "region_recon_terms",
    "masked_mean_pose",
    "train_autoencoder",
    "reconstruction_errors",
]

#: Order of the regions in the 178-keypoint layout and in the latent vector.
REGION_ORDER = ("body", "lhand", "rhand", "face")
#: Joint ranges of the regions: the ``slpkit.body.keypoints.REGIONS`` contract
#: (SLRTP order: ``body 0:8, rhand 8:29, lhand 29:50, face 50:178``); a test checks they agree.
DEFAULT_REGION_JOINTS = (("body", 0, 8), ("lhand", 29, 50), ("rhand", 8, 29), ("face", 50, 178))
NUM_KEYPOINTS = 178


@dataclasses.dataclass
class AEConfig(TrainConfig):
    """Pose autoencoder hyper-parameters (DARSLP Sec. 3.1 / 4.2.1) and its training fields.

    ``latent_*``: channels per region (80 in all by default; Table 1 varies them, see
    :meth:`for_latent`). ``hidden`` > 0 adds one hidden projection (+GELU) to every
    region encoder/decoder (the paper's CSL-Daily variant); 0 = purely linear.
    Training fields (``max_epochs`` / ``max_steps``, ``lr``, ``batch_size`` in frames, ``devices``,
    ``strategy``, ...) are :class:`~slpkit.training.TrainConfig`'s; the optimiser is Adam with
    ``betas`` (the paper's (0.5, 0.9)) and ``weight_decay`` (0: the paper names none).
    """

    latent_body: int = 8
    latent_lhand: int = 28
    latent_rhand: int = 28
    latent_face: int = 16
    hidden: int = 0
    recon_weights: dict = dataclasses.field(default_factory=lambda: {"body": 0.5, "lhand": 1.5, "rhand": 1.5, "face": 1.0})
    encoder_l1: float = 1e-4
    betas: tuple = (0.5, 0.9)
    normalize: bool = True
    region_joints: tuple = DEFAULT_REGION_JOINTS
    # TrainConfig fields, overridden (DARSLP Sec. 4.2.1: Adam, lr 2e-4)
    lr: float = 2e-4
    max_epochs: int = 200
    batch_size: int = 256  # frames (the autoencoder is per frame)
    gradient_clip_val: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.betas, list):
            self.betas = tuple(self.betas)
        if isinstance(self.region_joints, list):
            self.region_joints = tuple(tuple(r) for r in self.region_joints)
        for f in ("latent_body", "latent_lhand", "latent_rhand", "latent_face"):
            check_int(getattr(self, f), f"AEConfig.{f}", min=1, hint="every region needs at least one latent channel")
        check_int(self.hidden, "AEConfig.hidden", min=0, hint="0 (linear, the paper's PHOENIX model) or a width")
        if float(self.encoder_l1) < 0:
            raise ValueError(f"AEConfig.encoder_l1={self.encoder_l1!r}: use 0 (off) or a positive lambda (paper 1e-4)")
        if not isinstance(self.recon_weights, Mapping):
            raise ValueError(f"AEConfig.recon_weights={self.recon_weights!r}: pass {{region: weight}} over {REGION_ORDER}")
        unknown = set(self.recon_weights) - set(REGION_ORDER)
        if unknown:
            raise ValueError(f"AEConfig.recon_weights names unknown regions {sorted(unknown)}: use {REGION_ORDER}")
        for k, v in self.recon_weights.items():
            check_float(v, f"AEConfig.recon_weights[{k!r}]", min=0.0, hint="Eq. 1 region weights are >= 0 "
                        "(paper: body 0.5, hands 1.5, face 1.0)")
        self.betas = check_pair(self.betas, "AEConfig.betas", hint="Adam's (beta1, beta2), DARSLP: (0.5, 0.9)")
        check_bool(self.normalize, "AEConfig.normalize")
        rj = self.region_joints
        ok = isinstance(rj, tuple) and all(isinstance(r, tuple) and len(r) == 3 and isinstance(r[0], str)
                                           and all(isinstance(x, (int, np.integer)) for x in r[1:]) for r in rj)
        if ok:
            names = sorted(r[0] for r in rj)
            bounds = sorted((int(r[1]), int(r[2])) for r in rj)
            ok = (names == sorted(REGION_ORDER) and bounds[0][0] == 0 and bounds[-1][1] == NUM_KEYPOINTS
                  and all(a[1] == b[0] and a[0] < a[1] for a, b in zip(bounds, bounds[1:] + [(NUM_KEYPOINTS, 0)])))
        if not ok:
            raise ValueError(f"AEConfig.region_joints={rj!r}: give (name, start, stop) for each of {REGION_ORDER}, "
                             f"tiling the {NUM_KEYPOINTS} keypoints without gaps (default {DEFAULT_REGION_JOINTS})")

    @classmethod
    def smoke(cls) -> "AEConfig":
        """400 steps of 512 frames at lr 5e-3 (the paper's 2e-4 needs hundreds of epochs): a few seconds on one
        CPU thread, whatever the corpus size."""
        return cls(max_steps=400, max_epochs=-1, lr=5e-3, batch_size=512)

    @classmethod
    def full(cls) -> "AEConfig":
        """The paper's optimiser (Adam, lr 2e-4, betas (0.5, 0.9)) for 300 epochs of 512 frames."""
        return cls(max_epochs=300, lr=2e-4, batch_size=512)

    def for_latent(self, body_hands: int = 64, face: int = 16) -> "AEConfig":
        """Table 1 configurations: ``body_hands`` (multiple of 64) split 8:28:28 like the paper, plus ``face``."""
        if body_hands % 64 != 0 or body_hands <= 0 or face <= 0:
            raise ValueError(f"body_hands must be a positive multiple of 64 (got {body_hands}) and face > 0 (got {face})")
        k = body_hands // 64
        return dataclasses.replace(self, latent_body=8 * k, latent_lhand=28 * k, latent_rhand=28 * k, latent_face=face)

    @property
    def latent_dims(self) -> dict[str, int]:
        return {"body": self.latent_body, "lhand": self.latent_lhand, "rhand": self.latent_rhand, "face": self.latent_face}

    @property
    def latent_dim(self) -> int:
        return sum(self.latent_dims.values())

    def latent_slices(self) -> dict[str, slice]:
        """Channel block of each region in the latent vector (order :data:`REGION_ORDER`)."""
        out, start = {}, 0
        for name in REGION_ORDER:
            d = self.latent_dims[name]
            out[name] = slice(start, start + d)
            start += d
        return out

    def joint_slices(self) -> dict[str, slice]:
        return {name: slice(a, b) for name, a, b in self.region_joints}


def as_keypoints(x: Any, name: str = "poses") -> torch.Tensor:
    """``(..., 178, 3)`` or flattened ``(..., 534)`` -> float tensor ``(..., 178, 3)``; ValueError otherwise."""
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    if not torch.is_floating_point(t):
        t = t.float()
    if t.ndim >= 1 and t.shape[-1] == NUM_KEYPOINTS * 3:
        t = t.reshape(*t.shape[:-1], NUM_KEYPOINTS, 3)
    elif not (t.ndim >= 2 and tuple(t.shape[-2:]) == (NUM_KEYPOINTS, 3)):
        raise ValueError(
            f"{name} has shape {tuple(t.shape)}, expected (..., 178, 3) keypoints (or flattened (..., 534)). "
            "Build them with slpkit.body.keypoints.keypoints178(v133, face108)."
        )
    check_finite(t, name)
    if t.ndim >= 3:
        check_nonempty(t, name, axis=-3)
    return t.float()


def _mlp(i: int, o: int, hidden: int) -> nn.Module:
    if hidden <= 0:
        return nn.Linear(i, o)
    return nn.Sequential(nn.Linear(i, hidden), nn.GELU(), nn.Linear(hidden, o))


def _point_weights(x: torch.Tensor, mask: torch.Tensor | None, point_mask: torch.Tensor | None) -> torch.Tensor | None:
    """Frame mask ``(...)`` and/or point mask ``(..., 178)`` -> one float weight per point ``(..., 178)`` (or None)."""
    if mask is None and point_mask is None:
        return None
    w = torch.ones(x.shape[:-1], dtype=x.dtype, device=x.device)
    if mask is not None:
        w = w * torch.as_tensor(mask, device=x.device).to(x.dtype).reshape(x.shape[:-2])[..., None]
    if point_mask is not None:
        pm = torch.as_tensor(point_mask, device=x.device)
        if tuple(pm.shape) != tuple(x.shape[:-1]):
            raise ValueError(f"point_mask has shape {tuple(pm.shape)}, expected {tuple(x.shape[:-1])} "
                             "(one bool per keypoint, True = observed)")
        w = w * pm.to(x.dtype)
    return w


def region_recon_terms(
    x: torch.Tensor, x_hat: torch.Tensor, joint_slices: Mapping[str, slice], mask: torch.Tensor | None = None,
    point_mask: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Unweighted Eq. 1 terms: per region, per-frame L1 norm summed over its coordinates, averaged over valid frames.

    ``x``, ``x_hat``: ``(..., 178, 3)``; ``mask``: same leading shape (True = real frame) or None;
    ``point_mask``: ``(..., 178)`` (True = observed point) or None. With a point mask a region's
    term is its point count times the mean L1 over observed (frame, point) pairs (0 if none), which
    equals the per-frame sum averaged over frames when every point is observed.
    """
    if tuple(x.shape) != tuple(x_hat.shape):
        raise ValueError(f"x has shape {tuple(x.shape)} but x_hat {tuple(x_hat.shape)}: the reconstruction must match "
                         "its input frame for frame")
    diff = (x_hat - x).abs()
    w = _point_weights(x, mask, point_mask)
    out = {}
    for name, sl in joint_slices.items():
        per_point = diff[..., sl, :].sum(dim=-1)  # (..., n_r)
        if w is None:
            out[name] = per_point.sum(dim=-1).mean()
        else:
            wr = w[..., sl]
            out[name] = (per_point * wr).sum() / wr.sum().clamp_min(1.0) * (sl.stop - sl.start)
    return out


def masked_mean_pose(frames: Any, point_mask: Any = None) -> torch.Tensor:
    """Mean pose ``(178, 3)`` of frames ``(..., 178, 3)`` over observed points only (0 where never observed)."""
    f = as_keypoints(frames, "frames").reshape(-1, NUM_KEYPOINTS, 3)
    if point_mask is None:
        return f.mean(0)
    w = torch.as_tensor(point_mask).reshape(-1, NUM_KEYPOINTS).to(f.dtype)
    if w.shape[0] != f.shape[0]:
        raise ValueError(f"point_mask has {w.shape[0]} frames but frames has {f.shape[0]}")
    return (f * w[..., None]).sum(0) / w.sum(0).clamp_min(1.0)[:, None]


class PoseAutoencoder(nn.Module):
    """Region-wise encoder/decoder. ``encode``: ``(..., 178, 3) -> (..., C)``; ``decode``: back."""

    def __init__(self, cfg: AEConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or AEConfig()
        self.joint_slices = cfg.joint_slices()
        self.latent_slices = cfg.latent_slices()
        if set(self.joint_slices) != set(REGION_ORDER):
            raise ValueError(f"region_joints must name exactly {REGION_ORDER}, got {sorted(self.joint_slices)}")
        # Regions are not stored in REGION_ORDER in the 178 layout (SLRTP puts the right hand
        # first), so decoding concatenates them in layout order, which must tile 0..178.
        self.layout_order = sorted(REGION_ORDER, key=lambda n: self.joint_slices[n].start)
        bounds = [(self.joint_slices[n].start, self.joint_slices[n].stop) for n in self.layout_order]
        if bounds[0][0] != 0 or bounds[-1][1] != NUM_KEYPOINTS or any(a[1] != b[0] for a, b in zip(bounds, bounds[1:])):
            raise ValueError(f"region_joints must tile the {NUM_KEYPOINTS} keypoints without gaps, got {bounds}")
        self.encoders = nn.ModuleDict()
        self.decoders = nn.ModuleDict()
        for name in REGION_ORDER:
            sl = self.joint_slices[name]
            n_in = (sl.stop - sl.start) * 3
            d = cfg.latent_dims[name]
            if d <= 0:
                raise ValueError(f"latent size of region {name!r} must be > 0, got {d}")
            self.encoders[name] = _mlp(n_in, d, cfg.hidden)
            self.decoders[name] = _mlp(d, n_in, cfg.hidden)
        self.register_buffer("mean_pose", torch.zeros(NUM_KEYPOINTS, 3))
        self.register_buffer("scale", torch.ones(()))

    @property
    def latent_dim(self) -> int:
        return self.cfg.latent_dim

    @torch.no_grad()
    def fit_normalizer(self, frames: torch.Tensor, point_mask: torch.Tensor | None = None) -> None:
        """Set the mean pose and global scale from training frames ``(N, 178, 3)`` (no-op if ``normalize=False``).

        ``point_mask (N, 178)``: only observed points count (see the module doc).
        """
        if not self.cfg.normalize:
            return
        f = as_keypoints(frames, "frames").reshape(-1, NUM_KEYPOINTS, 3)
        mean = masked_mean_pose(f, point_mask)
        self.mean_pose.copy_(mean)
        if point_mask is None:
            self.scale.copy_((f - mean).std().clamp_min(1e-6))
            return
        w = torch.as_tensor(point_mask).reshape(-1, NUM_KEYPOINTS).bool()
        vals = (f - mean)[w]  # (n_observed, 3)
        self.scale.copy_(vals.std().clamp_min(1e-6) if vals.numel() > 1 else torch.ones(()))

    def encode(self, x: Any, point_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(..., 178, 3) -> (..., C)``; points False in ``point_mask (..., 178)`` enter as the mean pose."""
        x = as_keypoints(x).to(self.mean_pose.device)
        xn = (x - self.mean_pose) / self.scale
        if point_mask is not None:
            keep = _point_weights(x, None, point_mask)[..., None] > 0
            xn = torch.where(keep, xn, torch.zeros((), dtype=xn.dtype, device=xn.device))  # 0 = the mean pose
        zs = [self.encoders[n](xn[..., self.joint_slices[n], :].flatten(-2)) for n in REGION_ORDER]
        return torch.cat(zs, dim=-1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"latents have {z.shape[-1]} channels, this autoencoder uses {self.latent_dim}")
        parts = []
        for n in self.layout_order:
            sl = self.joint_slices[n]
            parts.append(self.decoders[n](z[..., self.latent_slices[n]]).reshape(*z.shape[:-1], sl.stop - sl.start, 3))
        return torch.cat(parts, dim=-2) * self.scale + self.mean_pose

    def forward(self, x: Any, point_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x, point_mask)
        return self.decode(z), z

    def encoder_l1(self) -> torch.Tensor:
        """Eq. 2 without lambda: sum of |W| over the encoder's weight matrices (biases and decoder excluded)."""
        total = self.mean_pose.new_zeros(())
        for mod in self.encoders.modules():
            if isinstance(mod, nn.Linear):
                total = total + mod.weight.abs().sum()
        return total

    def loss(self, x: Any, mask: torch.Tensor | None = None, weights: Mapping[str, float] | None = None,
             point_mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Eq. 1-3. Returns ``{"loss", "recon", "reg", "recon_<region>"...}`` (region terms unweighted).

        ``mask``: frame mask (True = real frame); ``point_mask (..., 178)``: True = observed point.
        """
        x = as_keypoints(x).to(self.mean_pose.device)
        w = dict(self.cfg.recon_weights if weights is None else weights)
        if point_mask is not None:
            point_mask = torch.as_tensor(point_mask, device=x.device)
        x_hat, _ = self(x, point_mask)
        terms = region_recon_terms(x, x_hat, self.joint_slices, mask, point_mask)
        recon = sum(float(w.get(n, 0.0)) * terms[n] for n in REGION_ORDER)
        reg = self.cfg.encoder_l1 * self.encoder_l1()
        out = {"loss": recon + reg, "recon": recon, "reg": reg}
        out.update({f"recon_{n}": t for n, t in terms.items()})
        return out

    @torch.no_grad()
    def reconstruct(self, x: Any, point_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self(x, point_mask)[0]


def _batch_poses(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """``(poses, frame mask, point mask)`` from frames ``(N,178,3)``, a tuple ``(frames[, frame_mask[, point_mask]])``,
    or a batch dict with ``motion`` / ``mask`` / ``point_mask`` (``SignDataModule(corpus, "keypoints178",
    normalise=False)``: this model normalises itself; or ``slpkit.data.formats.poseformat.batch_clips``)."""
    if isinstance(batch, Mapping):
        return batch["motion"], batch.get("mask"), batch.get("point_mask")
    if isinstance(batch, (list, tuple)):
        return batch[0], (batch[1] if len(batch) > 1 else None), (batch[2] if len(batch) > 2 else None)
    return batch, None, None


class AutoencoderModule(pl.LightningModule):
    """Lightning wrapper: Adam(lr, betas) on Eq. 3."""

    def __init__(self, cfg: AEConfig | None = None):
        super().__init__()
        self.cfg = cfg or AEConfig()
        self.model = PoseAutoencoder(self.cfg)

    def _step(self, batch, stage: str):
        x, mask, point_mask = _batch_poses(batch)
        out = self.model.loss(x, mask, point_mask=point_mask)
        bs = int(x.shape[0])
        self.log(f"{stage}/loss", out["loss"], prog_bar=False, batch_size=bs)
        self.log(f"{stage}/recon", out["recon"], batch_size=bs)
        return out["loss"]

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        return self._step(batch, "val")

    def configure_optimizers(self):
        return torch.optim.Adam(self.model.parameters(), lr=self.cfg.lr, betas=tuple(self.cfg.betas),
                                weight_decay=self.cfg.weight_decay)


def _pool_frames(sequences: Sequence[Any] | torch.Tensor | np.ndarray, masks: Any, what: str
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Sequences ``[(T,178,3)]`` or frames ``(N,178,3)`` (+ masks alike) -> frames ``(N,178,3)``, point mask ``(N,178)``."""
    if isinstance(sequences, (torch.Tensor, np.ndarray)):
        frames = as_keypoints(sequences, "frames").reshape(-1, NUM_KEYPOINTS, 3)
        pm = None if masks is None else torch.as_tensor(np.asarray(masks)).reshape(-1, NUM_KEYPOINTS).bool()
    else:
        if len(sequences) == 0:
            raise ValueError(f"no sequences given to {what}")
        seqs = [as_keypoints(s, "sequence").reshape(-1, NUM_KEYPOINTS, 3) for s in sequences]
        frames = torch.cat(seqs, 0)
        pm = None
        if masks is not None:
            if len(masks) != len(seqs):
                raise ValueError(f"{what} got {len(seqs)} sequences but {len(masks)} masks: pass one (T, 178) mask "
                                 "per sequence (True = observed)")
            ms = []
            for i, (s, m) in enumerate(zip(seqs, masks)):
                m = torch.as_tensor(np.asarray(m)).bool().reshape(-1, NUM_KEYPOINTS)
                if m.shape[0] != s.shape[0]:
                    raise ValueError(f"mask {i} has {m.shape[0]} frames but sequence {i} has {s.shape[0]}")
                ms.append(m)
            pm = torch.cat(ms, 0)
    if pm is not None and pm.shape[0] != frames.shape[0]:
        raise ValueError(f"masks hold {pm.shape[0]} frames but the poses hold {frames.shape[0]}")
    return frames, pm


def _frame_tensors(sequences: Any, masks: Any, what: str) -> tuple[torch.Tensor, ...]:
    """Pooled frames (and, with masks, a frame mask and the point mask) with fully masked frames dropped."""
    frames, pm = _pool_frames(sequences, masks, what)
    if pm is None:
        return (frames,)
    keep = pm.any(-1)
    if not bool(keep.any()):
        raise ValueError(f"every point of every frame given to {what} is masked: nothing to train on")
    frames, pm = frames[keep], pm[keep]
    return frames, torch.ones(len(frames), dtype=torch.bool), pm


def train_autoencoder(
    sequences: Sequence[Any] | torch.Tensor, cfg: AEConfig | None = None, device: str = "cpu", seed: int | None = None,
    *, masks: Sequence[Any] | torch.Tensor | np.ndarray | None = None, val_sequences: Sequence[Any] | None = None,
    val_masks: Sequence[Any] | None = None, work_dir: str | Path | None = None, progress: bool | None = None,
) -> PoseAutoencoder:
    """Train a :class:`PoseAutoencoder` on keypoint sequences (list of ``(T,178,3)``) or frames ``(N,178,3)``.

    ``masks``: one ``(T, 178)`` bool per sequence (or ``(N, 178)`` for frames), True = observed;
    masked points get no loss and do not enter the normaliser (module doc); frames with no
    observed point are dropped. Frames are independent for this per-frame model, so all frames
    are pooled and shuffled (:func:`slpkit.training.make_loader`). With ``val_sequences`` the
    validation loss ``val/loss`` is tracked, the best checkpoint kept and, with
    ``cfg.early_stopping_patience > 0``, training stops early. ``seed`` overrides ``cfg.seed``.
    Returns the trained model on CPU in eval mode.
    """
    cfg = cfg or AEConfig()
    if seed is not None and int(seed) != cfg.seed:
        cfg = dataclasses.replace(cfg, seed=int(seed))
    seed_everything(cfg.seed)
    train = _frame_tensors(sequences, masks, "train_autoencoder")
    module = AutoencoderModule(cfg)
    module.model.fit_normalizer(train[0], train[2] if len(train) > 2 else None)
    loader = make_loader(TensorDataset(*train), None, cfg.batch_size, seed=cfg.seed)
    val = None
    if val_sequences is not None:
        vt = _frame_tensors(val_sequences, val_masks, "train_autoencoder (validation)")
        val = make_loader(TensorDataset(*vt), None, cfg.batch_size, shuffle=False)
    fit(module, loader, cfg, name="DARSLP autoencoder", val_loader=val, device=device, work_dir=work_dir,
        monitor="val/loss" if val is not None else None, progress=progress)
    return module.model.cpu().eval()


@torch.no_grad()
def reconstruction_errors(
    model: PoseAutoencoder, sequences: Sequence[Any] | torch.Tensor, masks: Any = None,
    baseline: torch.Tensor | np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """Mean per-point Euclidean error of the autoencoder and of the mean-pose baseline, observed points only.

    ``baseline (178, 3)``: the pose predicted for every frame (default: the model's training
    mean pose, which :meth:`PoseAutoencoder.fit_normalizer` takes over observed points; pass it
    when ``normalize=False``). Errors are in the keypoints' units (shoulder widths after
    ``normalize178``). Returns ``{"autoencoder": {region: err, "all": err}, "mean pose": {...}}``;
    a region with no observed point is NaN.
    """
    frames, pm = _pool_frames(sequences, masks, "reconstruction_errors")
    if baseline is None:
        if not model.cfg.normalize:
            raise ValueError("the model was built with normalize=False, so it holds no mean pose: pass baseline= "
                             "(178, 3), e.g. masked_mean_pose(train_frames, train_masks)")
        baseline = model.mean_pose
    base = torch.as_tensor(np.asarray(baseline.cpu() if isinstance(baseline, torch.Tensor) else baseline),
                           dtype=frames.dtype).reshape(NUM_KEYPOINTS, 3)
    model = model.cpu().eval()
    preds = {"autoencoder": model.reconstruct(frames, pm), "mean pose": base.expand_as(frames)}
    w = torch.ones(frames.shape[:-1]) if pm is None else pm.to(frames.dtype)
    regions = dict(model.joint_slices, all=slice(0, NUM_KEYPOINTS))
    out = {}
    for name, pred in preds.items():
        err = (pred - frames).norm(dim=-1)  # (N, 178)
        out[name] = {r: (float((err[:, sl] * w[:, sl]).sum() / w[:, sl].sum()) if float(w[:, sl].sum()) > 0
                         else float("nan")) for r, sl in regions.items()}
    return out
