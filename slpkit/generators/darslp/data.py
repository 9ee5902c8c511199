"""DARSLP data: text / keypoint pairs (:class:`Example`), their latent training items and batches.

An :class:`Example` holds one sentence and its ``(T, 178, 3)`` float32 keypoints, optionally with a
point mask ``(T, 178)`` bool (True = observed; the ``slpkit.body.keypoints`` mask contract for real
poses, where MediaPipe loses hands). The transformer is trained on the autoencoder's encodings of the
keypoints (Sec. 3.2: "GT pose encodings ... are obtained by passing the training set poses through
the encoder of the pretrained pose autoencoder"); with a mask the targets are
``ae.encode(keypoints, point_mask)`` and each region's latent block is weighted per frame by
``point_mask[..., REGIONS[r]].any(-1)`` (:func:`region_frame_mask`), so a missing hand adds no loss.

Batches (:func:`collate`): ``ids (B, L)``, ``text_mask (B, L)``, ``latents (B, T, C)``, ``lengths (B,)``
and, when any item has a mask, ``region_mask {region: (B, T) bool}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from slpkit.body.keypoints import REGIONS, check_mask, normalize178
from slpkit.checks import check_int
from slpkit.data.text import check_language
from slpkit.data.datamodule import corpus_features
from slpkit.generators.darslp.autoencoder import REGION_ORDER
from slpkit.generators.darslp.channel_kl import ChannelPrior

__all__ = ["Example", "examples_from_corpus", "region_frame_mask", "LatentDataset", "collate", "fit_prior"]


@dataclass
class Example:
    """One training / test pair: spoken-language text and its ``(T, 178, 3)`` keypoints.

    ``mask``: optional ``(T, 178)`` bool, True = observed (None = every point observed, as in SynthSign).
    """

    text: str
    language: str
    keypoints: np.ndarray
    id: str = ""
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"Example.text={self.text!r} (id {self.id!r}): every example needs its sentence, a "
                             "non-empty string")
        check_language(self.language)
        if self.mask is not None:
            self.mask = check_mask(self.mask, np.asarray(self.keypoints).reshape(-1, 178, 3),
                                   f"mask of example {self.id or self.text[:20]!r}")


def examples_from_corpus(corpus: Any, split: str, frame_step: int = 2, limit: int | None = None,
                         normalize: bool = False) -> list[Example]:
    """SynthSign sentences of ``split`` as :class:`Example` (keypoints via ``slpkit.body.keypoints.keypoints178``,
    shared through the data module's feature cache), subsampled ``[::frame_step]``.

    ``normalize=True`` applies the paper's per-frame neck-centring / shoulder-width scaling
    (``slpkit.body.keypoints.normalize178``, Sec. 4.1); off by default because the back-translator is
    trained on the raw ``keypoints178`` representation.
    """
    frame_step = check_int(frame_step, "frame_step", min=1, hint="keep every frame_step-th frame (SLRTP: 2)")
    limit = check_int(limit, "limit", min=1, none_ok=True, hint="sentences to keep (None: all)")
    feats = corpus_features(corpus, "keypoints178")
    sents = corpus.split(split)
    if limit is not None:
        sents = sents[:limit]
    if not sents:
        raise ValueError(f"split {split!r} of the corpus is empty")
    out = []
    for s in sents:
        kp = np.asarray(feats[s.id], dtype=np.float32).reshape(-1, 178, 3)[::frame_step]
        if normalize:
            kp = np.asarray(normalize178(kp), dtype=np.float32)
        out.append(Example(text=s.text, language=s.language, keypoints=kp, id=s.id))
    return out


def region_frame_mask(point_mask: Any) -> dict[str, torch.Tensor]:
    """``(..., 178)`` point mask -> ``{region: (...) bool}``: True where the region has an observed point."""
    pm = torch.as_tensor(np.asarray(point_mask) if not isinstance(point_mask, torch.Tensor) else point_mask).bool()
    return {r: pm[..., REGIONS[r]].any(-1) for r in REGION_ORDER}


class LatentDataset(Dataset):
    """Items ``(token ids (L,), latents (T, C), region mask {region: (T,)} or None)`` for the transformer."""

    def __init__(self, ids: Sequence[torch.Tensor], latents: Sequence[torch.Tensor],
                 region_masks: Sequence[Mapping[str, torch.Tensor] | None] | None = None):
        if len(ids) != len(latents):
            raise ValueError(f"{len(ids)} token sequences but {len(latents)} latent sequences")
        self.ids, self.latents = list(ids), list(latents)
        self.region_masks = list(region_masks) if region_masks is not None else [None] * len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        return self.ids[i], self.latents[i], self.region_masks[i]

    def lengths(self) -> list[int]:
        return [len(z) for z in self.latents]


def collate(batch: Sequence[tuple]) -> dict[str, Any]:
    """Pad a list of :class:`LatentDataset` items (see the module docstring for the keys)."""
    ids, lat = [b[0] for b in batch], [b[1] for b in batch]
    rms = [b[2] if len(b) > 2 else None for b in batch]
    B, L, T, C = len(ids), max(len(x) for x in ids), max(len(z) for z in lat), lat[0].shape[-1]
    tid = torch.zeros(B, L, dtype=torch.long)
    z = torch.zeros(B, T, C)
    lengths = torch.tensor([len(x) for x in lat], dtype=torch.long)
    for i, (a, b) in enumerate(zip(ids, lat)):
        tid[i, : len(a)] = a
        z[i, : len(b)] = b
    out: dict[str, Any] = {"ids": tid, "text_mask": tid != 0, "latents": z, "lengths": lengths}
    if any(r is not None for r in rms):
        rm = {r: torch.zeros(B, T, dtype=torch.bool) for r in REGION_ORDER}
        for i, (m, n) in enumerate(zip(rms, lengths.tolist())):
            for r in REGION_ORDER:
                rm[r][i, :n] = True if m is None else torch.as_tensor(m[r])[:n]
        out["region_mask"] = rm
    return out


def fit_prior(encodings: Sequence[torch.Tensor], latent_slices: Mapping[str, slice],
              region_masks: Sequence[Mapping[str, torch.Tensor] | None] | None = None) -> ChannelPrior:
    """Channel prior of Eq. 7 from ground-truth encodings ``[(T_i, C)]``.

    With ``region_masks`` a region's channels are fitted on the frames where that region was observed only
    (an unobserved hand's encoding is the encoder's output for the mean pose, not data).
    """
    enc = [torch.as_tensor(e, dtype=torch.float32).reshape(-1, torch.as_tensor(e).shape[-1]) for e in encodings]
    if region_masks is None or all(m is None for m in region_masks):
        return ChannelPrior.fit(enc)
    z = torch.cat(enc, 0)
    mu, var = torch.zeros(z.shape[-1]), torch.ones(z.shape[-1])
    for r, sl in latent_slices.items():
        keep = torch.cat([torch.ones(len(e), dtype=torch.bool) if m is None else torch.as_tensor(m[r]).bool()
                          for e, m in zip(enc, region_masks)])
        if int(keep.sum()) < 2:
            raise ValueError(f"region {r!r} is observed in fewer than 2 training frames: its channel prior "
                             "(Eq. 7) cannot be estimated; drop the region's KL weight or add data")
        p = ChannelPrior.fit(z[keep][:, sl])
        mu[sl], var[sl] = p.mu, p.var
    return ChannelPrior(mu=mu, var=var)
