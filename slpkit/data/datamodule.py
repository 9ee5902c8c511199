"""Lightning data module over a SynthSign :class:`~slpkit.data.corpus.Corpus`.

A *representation* turns one sentence into a ``(T, D)`` float32 motion matrix:

==================  =====  ===========================================================
name                D      content
==================  =====  ===========================================================
``v133``            133    SOKE vector (axis-angle upper body, hands, jaw, 10 expr)
``parts``           133    the same values reordered body (43) | lhand (45) | rhand (45)
``body``            43     SOKE body part ``[0:30] + [120:133]``
``lhand``/``rhand`` 45     one hand
``face108``         108    SMPL-FX face (100 expr + 2 eyelid + 6 jaw rot6D)
``v133+face108``    241    both concatenated
``rot6d``           296    SignSparK streams body 60 | lhand 90 | rhand 90 | face 56
``keypoints178``    534    SLRTP keypoints (178 x 3) flattened
``joints``          J*3    forward-kinematics joints of the default body model, flattened
==================  =====  ===========================================================

Add more with :func:`register_representation`. Features are computed once per corpus
and representation (:func:`corpus_features`) and shared by every data module over it.

Normalisation follows SOKE: ``(x - mean) / (std + 1e-10)`` with per-dimension statistics
of the *train* split (all frames pooled).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from slpkit.body.fk import default_body_model
from slpkit.body.keypoints import keypoints178
from slpkit.body.layouts import PART_INDICES, rot6d_streams
from slpkit.checks import check_bool, check_choice, check_finite, check_int
from slpkit.data.formats.soke import soke_length_rules

SPLITS = ("train", "val", "test")
NORM_EPS = 1e-10

# ---------------------------------------------------------------------------------------
# representations
# ---------------------------------------------------------------------------------------
_REPRESENTATIONS: dict[str, Callable[[Any], np.ndarray]] = {}


def register_representation(name: str, fn: Callable[[Any], np.ndarray]) -> None:
    """Register ``fn(sentence) -> (T, D)`` under ``name`` (overwrites an existing one)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"representation name={name!r}: use a non-empty string")
    if not callable(fn):
        raise ValueError(f"representation {name!r}: fn={fn!r} is not callable; pass fn(sentence) -> (T, D) array")
    _REPRESENTATIONS[name] = fn


def available_representations() -> list[str]:
    return sorted(_REPRESENTATIONS)


def _part(name: str) -> Callable[[Any], np.ndarray]:
    def fn(s: Any) -> np.ndarray:
        return s.v133[:, list(PART_INDICES[name])]

    return fn


def _parts(s: Any) -> np.ndarray:
    return np.concatenate([s.v133[:, list(PART_INDICES[p])] for p in ("body", "lhand", "rhand")], axis=-1)


def _rot6d(s: Any) -> np.ndarray:
    st = rot6d_streams(s.v133, np.asarray(s.face108)[:, :50])
    return np.concatenate([np.asarray(st[k]) for k in ("body", "lhand", "rhand", "face")], axis=-1)


def _keypoints178(s: Any) -> np.ndarray:
    kp = np.asarray(keypoints178(s.v133, s.face108))
    return kp.reshape(kp.shape[0], -1)


_BODY_MODEL = None


def _joints(s: Any) -> np.ndarray:
    global _BODY_MODEL
    if _BODY_MODEL is None:
        _BODY_MODEL = default_body_model()
    j = _BODY_MODEL.joints(s.v133)
    j = j.detach().cpu().numpy() if isinstance(j, torch.Tensor) else np.asarray(j)
    return j.reshape(j.shape[0], -1)


register_representation("v133", lambda s: s.v133)
register_representation("face108", lambda s: s.face108)
register_representation("v133+face108", lambda s: np.concatenate([s.v133, s.face108], axis=-1))
register_representation("parts", _parts)
for _p in ("body", "lhand", "rhand"):
    register_representation(_p, _part(_p))
register_representation("rot6d", _rot6d)
register_representation("keypoints178", _keypoints178)
register_representation("joints", _joints)


def sentence_features(sentences: Sequence[Any], representation: str) -> list[np.ndarray]:
    """``(T, D)`` float32 features of each sentence (not cached)."""
    if not isinstance(representation, str) or representation not in _REPRESENTATIONS:
        raise ValueError(f"unknown representation {representation!r}: use one of {available_representations()} "
                         "or register_representation(name, fn)")
    fn = _REPRESENTATIONS[representation]
    out = []
    for s in sentences:
        x = np.ascontiguousarray(np.asarray(fn(s), dtype=np.float32))
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"representation {representation!r} of {getattr(s, 'id', '?')} has shape {x.shape}, expected (T>0, D)")
        out.append(x)
    return out


_FEATURE_CACHE: dict[tuple[int, str], dict[str, np.ndarray]] = {}


def corpus_features(corpus: Any, representation: str) -> dict[str, np.ndarray]:
    """``{sentence id: (T, D) float32}`` for every sentence of ``corpus``, computed once per corpus."""
    key = (id(corpus), representation)
    if key not in _FEATURE_CACHE:
        feats = sentence_features(corpus.sentences, representation)
        _FEATURE_CACHE[key] = {s.id: f for s, f in zip(corpus.sentences, feats)}
        try:
            weakref.finalize(corpus, _FEATURE_CACHE.pop, key, None)
        except TypeError:  # object without weakref support: keep the entry
            pass
    return _FEATURE_CACHE[key]


def clear_feature_cache() -> None:
    _FEATURE_CACHE.clear()


# ---------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------
def feature_stats(features: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and (population) std over all frames of ``features``; float32 ``(D,)`` each."""
    if not len(features):
        raise ValueError("cannot compute normalisation statistics of an empty split: the train split has no sentences")
    arrs = [np.asarray(f, dtype=np.float64) for f in features]
    for i, a in enumerate(arrs):
        if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] != arrs[0].shape[1]:
            raise ValueError(f"features[{i}] has shape {a.shape}: every feature array must be (T > 0, "
                             f"{arrs[0].shape[-1] if arrs[0].ndim else 'D'}), one representation for all")
        check_finite(a, f"features[{i}]")
    x = np.concatenate(arrs, axis=0)
    return x.mean(0).astype(np.float32), x.std(0).astype(np.float32)


def _as_like(a: np.ndarray, x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return torch.as_tensor(a, dtype=x.dtype, device=x.device)
    return a


def _check_stats_dim(x: Any, mean: np.ndarray, std: np.ndarray) -> None:
    d = np.shape(mean)[-1] if np.ndim(mean) else None
    if np.shape(mean) != np.shape(std) or np.ndim(mean) != 1:
        raise ValueError(f"mean {np.shape(mean)} and std {np.shape(std)} must be (D,) vectors of the same length")
    if np.ndim(x) == 0 or np.shape(x)[-1] != d:
        raise ValueError(f"x has shape {tuple(np.shape(x))} but the statistics have {d} dimensions: pass features of "
                         f"the same representation, (..., {d})")


def normalise(x: Any, mean: np.ndarray, std: np.ndarray, eps: float = NORM_EPS) -> Any:
    """SOKE normalisation ``(x - mean) / (std + eps)`` over the last axis (numpy or torch)."""
    _check_stats_dim(x, mean, std)
    return (x - _as_like(mean, x)) / (_as_like(std, x) + eps)


def denormalise(x: Any, mean: np.ndarray, std: np.ndarray, eps: float = NORM_EPS) -> Any:
    """Inverse of :func:`normalise`."""
    _check_stats_dim(x, mean, std)
    return x * (_as_like(std, x) + eps) + _as_like(mean, x)


# ---------------------------------------------------------------------------------------
# dataset + collate
# ---------------------------------------------------------------------------------------
def _check_max_len(max_len: Any) -> int | None:
    """``max_len`` of a dataset: ``None`` (no limit) or a positive number of frames.

    A negative value would silently drop the last frames of every clip (Python slicing) and 0 would give
    empty batches, so both raise.
    """
    if max_len is None:
        return None
    return check_int(max_len, "max_len", min=1, hint="a positive number of frames (or None for no limit)")


class SignDataset(Dataset):
    """Items ``dict(motion (T, D) float32 tensor, text, language, gloss, id, length)``.

    ``crop`` applies when ``T > max_len``: ``'start'`` keeps the first ``max_len`` frames,
    ``'random'`` a random window, ``'subsample'`` ``max_len`` uniformly spaced frames.
    """

    def __init__(self, sentences: Sequence[Any], features: Sequence[np.ndarray], mean: np.ndarray | None = None,
                 std: np.ndarray | None = None, max_len: int | None = None, crop: str = "start"):
        if len(sentences) != len(features):
            raise ValueError(f"{len(sentences)} sentences but {len(features)} feature arrays")
        if crop not in ("start", "random", "subsample"):
            raise ValueError(f"crop {crop!r}: use 'start', 'random' or 'subsample'")
        max_len = _check_max_len(max_len)
        self.sentences = list(sentences)
        self.features = list(features)
        self.mean, self.std = mean, std
        self.max_len = max_len
        self.crop = crop

    def __len__(self) -> int:
        return len(self.sentences)

    def _crop(self, x: np.ndarray) -> np.ndarray:
        T = x.shape[0]
        if self.max_len is None or T <= self.max_len:
            return x
        if self.crop == "start":
            return x[: self.max_len]
        if self.crop == "random":
            s = int(torch.randint(0, T - self.max_len + 1, ()).item())
            return x[s: s + self.max_len]
        idx = np.floor(np.arange(self.max_len) * (T / self.max_len)).astype(np.int64)
        return x[idx]

    def __getitem__(self, i: int) -> dict[str, Any]:
        s = self.sentences[i]
        x = self._crop(self.features[i])
        if self.mean is not None:
            x = normalise(x, self.mean, self.std)
        x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        return {"motion": x, "text": s.text, "language": s.language, "gloss": list(s.gloss), "id": s.id,
                "length": int(x.shape[0])}


def pad_motion(seqs: Sequence[np.ndarray | torch.Tensor], length: int | None = None, dim: int | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(T_i, D)`` sequences -> zero-padded float32 ``(B, T, D)`` and ``mask (B, T)`` (True on real frames), with
    ``T = length`` or the longest sequence and ``D = dim`` or the first sequence's width."""
    if not len(seqs):
        raise ValueError("cannot pad an empty batch")
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    T = int(lengths.max()) if length is None else int(length)
    D = int(seqs[0].shape[-1]) if dim is None else int(dim)
    out = torch.zeros(len(seqs), T, D, dtype=torch.float32)
    for i, s in enumerate(seqs):
        if s.shape[-1] != D:
            raise ValueError(f"batch mixes feature widths {D} and {s.shape[-1]} (item {i})")
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.float32)
    return out, torch.arange(T)[None, :] < lengths[:, None]


def collate_motion(batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pad motions to ``(B, T_max, D)`` with zeros; ``mask (B, T_max)`` is True on real frames."""
    if not batch:
        raise ValueError("cannot collate an empty batch")
    D = batch[0]["motion"].shape[-1]
    for b in batch:
        if b["motion"].shape[-1] != D:
            raise ValueError(f"batch mixes feature widths {D} and {b['motion'].shape[-1]} (item {b.get('id')})")
    motion, mask = pad_motion([b["motion"] for b in batch])
    out: dict[str, Any] = {"motion": motion, "mask": mask, "lengths": mask.sum(1)}
    for k in ("text", "language", "gloss", "id"):
        out[k] = [b[k] for b in batch]
    return out


# ---------------------------------------------------------------------------------------
# data module
# ---------------------------------------------------------------------------------------
class SignDataModule(pl.LightningDataModule):
    """Train/val/test loaders of a corpus in one representation.

    ``normalise=True`` makes items ``(x - mean) / (std + 1e-10)`` with train statistics;
    :meth:`normalise` / :meth:`denormalise` convert model outputs (numpy or torch, any
    leading shape) either way. ``mean``/``std`` are available right after construction.
    ``length_rules=True`` applies SOKE's length rules to every clip
    (:func:`slpkit.data.formats.soke.soke_length_rules`: 24 fps, 40..400 frames, a multiple of 4).
    """

    def __init__(self, corpus: Any, representation: str = "v133", batch_size: int = 32, normalise: bool = True,
                 max_len: int | None = None, num_workers: int = 0, crop: str = "start", shuffle_train: bool = True,
                 drop_last: bool = False, length_rules: bool = False):
        super().__init__()
        if not (hasattr(corpus, "sentences") and callable(getattr(corpus, "split", None))):
            raise ValueError(f"corpus={type(corpus).__name__}: pass a slpkit.data.corpus.Corpus (e.g. "
                             "slpkit.data.synthsign.generate(SynthSignConfig.for_mode('smoke')))")
        batch_size = check_int(batch_size, "batch_size", min=1, hint="sequences per batch")
        max_len = _check_max_len(max_len)
        num_workers = check_int(num_workers, "num_workers", min=0, hint="0 loads in the main process")
        check_choice(crop, "crop", ("start", "random", "subsample"),
                     "what to keep of a clip longer than max_len: its start, a random window or uniform frames")
        normalise, shuffle_train, drop_last, length_rules = (check_bool(v, n) for v, n in (
            (normalise, "normalise"), (shuffle_train, "shuffle_train"), (drop_last, "drop_last"),
            (length_rules, "length_rules")))
        self.corpus = corpus
        self.representation = representation
        self.batch_size = int(batch_size)
        self.use_normalisation = bool(normalise)
        self.max_len = max_len
        self.num_workers = int(num_workers)
        self.crop = crop
        self.shuffle_train = shuffle_train
        self.drop_last = drop_last
        self._features = corpus_features(corpus, representation)
        if length_rules:
            # a new dict: the per-corpus feature cache stays untouched
            self._features = {s.id: soke_length_rules(self._features[s.id], s.fps) for s in corpus.sentences}
        train = [self._features[s.id] for s in corpus.split("train")]
        self.mean, self.std = feature_stats(train)
        check_finite(self.mean, f"{representation} train mean")
        self.dim = int(self.mean.shape[0])
        self._datasets: dict[str, SignDataset] = {}

    # -- statistics -------------------------------------------------------------------
    def normalise(self, x: Any) -> Any:
        return normalise(x, self.mean, self.std)

    def denormalise(self, x: Any) -> Any:
        return denormalise(x, self.mean, self.std)

    def sentences(self, split: str) -> list[Any]:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: use one of {SPLITS}")
        return list(self.corpus.split(split))

    def features(self, split: str) -> list[np.ndarray]:
        """Raw (unnormalised) ``(T, D)`` features of a split, in corpus order."""
        return [self._features[s.id] for s in self.sentences(split)]

    def dataset(self, split: str) -> SignDataset:
        if split not in self._datasets:
            stats = (self.mean, self.std) if self.use_normalisation else (None, None)
            crop = self.crop if split == "train" else ("start" if self.crop == "random" else self.crop)
            self._datasets[split] = SignDataset(self.sentences(split), self.features(split), *stats,
                                                max_len=self.max_len, crop=crop)
        return self._datasets[split]

    # -- lightning hooks ---------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        for split in SPLITS:
            self.dataset(split)

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return DataLoader(self.dataset(split), batch_size=self.batch_size, shuffle=shuffle,
                          num_workers=self.num_workers, collate_fn=collate_motion,
                          drop_last=self.drop_last and split == "train",
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", self.shuffle_train)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test", False)

    def state_dict(self) -> dict[str, Any]:
        return {"representation": self.representation, "mean": self.mean, "std": self.std}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or "mean" not in state or "std" not in state:
            raise ValueError("state must be a dict with 'mean' and 'std' (what SignDataModule.state_dict() returns)")
        mean, std = np.asarray(state["mean"], np.float32), np.asarray(state["std"], np.float32)
        if mean.shape != (self.dim,) or std.shape != (self.dim,):
            raise ValueError(f"state holds statistics of shape {mean.shape} / {std.shape}, this data module's "
                             f"{self.representation!r} features have {self.dim} dimensions")
        rep = state.get("representation", self.representation)
        if rep != self.representation:
            raise ValueError(f"state is of representation {rep!r}, this data module serves {self.representation!r}")
        self.mean, self.std = mean, std
        self._datasets.clear()
