"""SLRTP 2025 challenge keypoints: 178 x 3 per frame (8 body + 21 + 21 hands + 128 face).

Container (as the challenge's released ``{split}.pt`` files, loaded with ``torch.load``)::

    ROOT/{split}.pt     split in {'train', 'dev', 'test'} ('val' is written as 'dev')

holding ``{name: {'poses_3d': torch.float32 (T, 178, 3), 'text': str, 'gloss': str,
'fps': int, 'language': str, 'signer': int}}``; the challenge files key the keypoints
as ``poses_3d`` and name sequences by id. slpkit's files load with
``torch.load(path, weights_only=True)`` (tensors, strings and numbers only).

The keypoint order is the one of :func:`slpkit.body.keypoints.keypoints178`. The
challenge's ground truth is at 25 fps and its evaluation subsamples it ``[::2]``: that is
a metric convention (see ``slpkit.metrics``), the files keep every frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch

from slpkit.body import keypoints
from slpkit.checks import check_shape
from slpkit.data.formats._io import corrupt, require_file

N_KEYPOINTS = 178


def slrtp_split(split: str) -> str:
    """``'val'`` -> ``'dev'`` (the challenge's name); other names are file stems (``{split}.pt``)."""
    if not isinstance(split, str) or not split or "/" in split:
        raise ValueError(f"split={split!r}: use a split name such as 'train', 'dev' (or 'val') or 'test'")
    return "dev" if split == "val" else split


def slrtp_path(root: str | Path, split: str) -> Path:
    return Path(root) / f"{slrtp_split(split)}.pt"


def sentence_keypoints(sentence: Any) -> np.ndarray:
    """``(T, 178, 3)`` float32 keypoints of a corpus sentence."""
    return np.asarray(keypoints.keypoints178(sentence.v133, sentence.face108), dtype=np.float32)


def write_split(path: str | Path, entries: dict[str, dict[str, Any]]) -> Path:
    """Write ``{name: {'poses_3d': (T,178,3), 'text', ...}}`` to one ``.pt`` file."""
    data = {}
    for name, e in entries.items():
        kp = np.asarray(e["poses_3d"], dtype=np.float32)
        check_shape(kp, (-1, N_KEYPOINTS, 3), f"poses_3d of {name}")
        d = {k: v for k, v in e.items() if k != "poses_3d"}
        d["poses_3d"] = torch.from_numpy(np.ascontiguousarray(kp))
        data[str(name)] = d
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(data, path)
    return path


def write_slrtp(sentences: Iterable[Any], root: str | Path) -> Path:
    """Write corpus sentences as ``ROOT/{train,dev,test}.pt`` (see module doc)."""
    if isinstance(sentences, (str, bytes, dict)) or not hasattr(sentences, "__iter__"):
        raise ValueError(f"sentences={type(sentences).__name__}: pass a list of corpus sentences (corpus.sentences)")
    by_split: dict[str, dict[str, dict[str, Any]]] = {}
    for s in sentences:
        if not hasattr(s, "v133") or not hasattr(s, "split"):
            raise ValueError(f"sentences holds a {type(s).__name__}: pass corpus Sentence objects (corpus.sentences)")
        by_split.setdefault(slrtp_split(s.split), {})[s.id] = {
            "poses_3d": sentence_keypoints(s), "text": s.text, "gloss": " ".join(s.gloss),
            "fps": int(getattr(s, "fps", 25)), "language": s.language, "signer": int(s.signer),
        }
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for split, entries in by_split.items():
        write_split(slrtp_path(root, split), entries)
    return root


def load_slrtp(root: str | Path, split: str) -> list[dict[str, Any]]:
    """One split -> ``[{'name', 'text', 'gloss', 'keypoints' (T,178,3) float32, 'fps', ...}]`` in file order."""
    path = require_file(slrtp_path(root, split), f"SLRTP {split} file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise corrupt(path, f"{type(err).__name__}: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a dict {{name: {{'poses_3d', 'text', ...}}}}, got {type(data).__name__}")
    if not data:
        raise ValueError(f"{path} holds no sequences (an empty dict): re-create the {split!r} split")
    out = []
    for name, e in data.items():
        if not isinstance(e, dict) or "poses_3d" not in e:
            raise ValueError(f"{path}: entry {name!r} has no 'poses_3d'")
        kp = e["poses_3d"]
        kp = kp.numpy() if isinstance(kp, torch.Tensor) else np.asarray(kp)
        if kp.ndim != 3 or kp.shape[1:] != (N_KEYPOINTS, 3):
            raise ValueError(f"{path}: poses_3d of {name!r} has shape {kp.shape}, expected (T, {N_KEYPOINTS}, 3)")
        if kp.shape[0] == 0:
            raise ValueError(f"{path}: poses_3d of {name!r} has 0 frames: every sequence needs at least one frame "
                             "(drop the entry or re-extract its keypoints)")
        if not np.isfinite(kp).all():
            t = int(np.argwhere(~np.isfinite(kp))[0][0])
            raise ValueError(f"{path}: poses_3d of {name!r} holds {int((~np.isfinite(kp)).sum())} NaN/inf value(s) "
                             f"(first in frame {t}): interpolate or drop the missing frames before saving")
        text = e.get("text", "")
        if not isinstance(text, str):
            raise ValueError(f"{path}: text of {name!r} is {type(text).__name__} {text!r}, expected a string")
        entry = {k: v for k, v in e.items() if k != "poses_3d"}
        entry.update(name=str(name), keypoints=np.ascontiguousarray(kp, dtype=np.float32))
        entry.setdefault("text", "")
        out.append(entry)
    return out
