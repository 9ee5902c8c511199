"""SignSparK-style sequences: one ``.npz`` per sequence with rot6D streams and segment labels.

Layout::

    ROOT/{split}/{id}.npz

Arrays in each file (``np.load(path)`` works without ``allow_pickle``):

=============  ============  ==========================================================
key            shape/dtype   content
=============  ============  ==========================================================
``body``       (T, 60) f32   10 upper-body joints x rot6D (SMPL-X joints 12..21)
``lhand``      (T, 90) f32   15 left-hand joints x rot6D
``rhand``      (T, 90) f32   15 right-hand joints x rot6D
``face``       (T, 56) f32   jaw rot6D (6) + 50 expression coefficients
``labels``     (T,) int8     per-frame segment labels: 0 outside, 2 segment start, 1 inside
``text``       () str        spoken-language sentence
``gloss``      (G,) str      glosses in signing order
``language``   () str        'asl' | 'csl' | 'dgs'
``id``         () str        sequence id
``fps``        () int32      frame rate
``signer``     () int32      signer id
=============  ============  ==========================================================

rot6D = first two columns of the rotation matrix, ``R[..., :, :2].transpose(-1, -2)``
flattened (Zhou et al.), computed by :func:`slpkit.body.layouts.rot6d_streams`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from slpkit.body import layouts
from slpkit.data.formats._io import as_float32, corrupt, load_npz, natural_sorted, require_dir

STREAM_DIMS = {"body": 60, "lhand": 90, "rhand": 90, "face": 56}
LABEL_OUTSIDE, LABEL_INSIDE, LABEL_START = 0, 1, 2


def sentence_streams(sentence: Any) -> dict[str, np.ndarray]:
    """rot6D streams ``{'body', 'lhand', 'rhand', 'face'}`` of a corpus sentence (float32)."""
    streams = layouts.rot6d_streams(sentence.v133, np.asarray(sentence.face108)[:, :50])
    return {k: as_float32(streams[k]) for k in STREAM_DIMS}


def write_sequence(path: str | Path, streams: dict[str, np.ndarray], labels: np.ndarray, text: str,
                   gloss: Iterable[str] = (), language: str = "", id: str = "", fps: int = 25, signer: int = 0) -> Path:
    """Write one SignSparK ``.npz``; checks stream widths and that labels have one entry per frame."""
    path = Path(path)
    T = len(labels)
    if T == 0:
        raise ValueError(f"{path.name}: labels are empty: a sequence needs at least one frame")
    for k, d in STREAM_DIMS.items():
        if k not in streams:
            raise ValueError(f"stream {k!r} missing: SignSparK files hold {list(STREAM_DIMS)}")
        a = np.asarray(streams[k])
        if a.shape != (T, d):
            raise ValueError(f"stream {k!r} has shape {a.shape}, expected ({T}, {d}) (one row per label)")
        if not np.isfinite(a).all():
            raise ValueError(f"stream {k!r} holds NaN/inf values: clean or interpolate them before writing {path.name}")
    lab = np.asarray(labels)
    if not np.isin(lab, (LABEL_OUTSIDE, LABEL_INSIDE, LABEL_START)).all():
        raise ValueError("segment labels must be 0 (outside), 1 (inside) or 2 (segment start)")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        **{k: as_float32(streams[k]) for k in STREAM_DIMS},
        labels=lab.astype(np.int8),
        text=np.array(str(text)),
        gloss=np.array([str(g) for g in gloss], dtype=str).reshape(-1),
        language=np.array(str(language)),
        id=np.array(str(id)),
        fps=np.array(int(fps), dtype=np.int32),
        signer=np.array(int(signer), dtype=np.int32),
    )
    return path


def write_signspark(sentences: Iterable[Any], root: str | Path) -> Path:
    """Write corpus sentences as ``ROOT/{split}/{id}.npz`` (rot6D streams + BIO labels + text)."""
    root = Path(root)
    for s in sentences:
        write_sequence(root / s.split / f"{s.id}.npz", sentence_streams(s), s.bio, s.text, s.gloss,
                       s.language, s.id, int(getattr(s, "fps", 25)), int(s.signer))
    root.mkdir(parents=True, exist_ok=True)
    return root


def read_sequence(path: str | Path) -> dict[str, Any]:
    """One SignSparK ``.npz`` -> dict(id, text, gloss, language, fps, signer, labels, body, lhand, rhand, face)."""
    z = load_npz(path)
    need = list(STREAM_DIMS) + ["labels", "text"]
    missing = [k for k in need if k not in z]
    if missing:
        raise ValueError(f"{path}: arrays {missing} missing (has {sorted(z)})")
    T = len(z["labels"])
    if T == 0:
        raise ValueError(f"{path}: the sequence has 0 frames (empty labels): re-create it or drop the file")
    for k, d in STREAM_DIMS.items():
        if z[k].shape != (T, d):
            raise corrupt(path, f"stream {k} has shape {z[k].shape}, expected ({T}, {d})")
        if not np.isfinite(z[k]).all():
            t = int(np.argwhere(~np.isfinite(z[k]))[0][0])
            raise ValueError(f"{path}: stream {k!r} holds NaN/inf values (first in frame {t}): interpolate or drop "
                             "the missing frames and write the file again")
    bad = ~np.isin(z["labels"], (LABEL_OUTSIDE, LABEL_INSIDE, LABEL_START))
    if bad.any():
        raise ValueError(f"{path}: labels hold {z['labels'][bad][:3].tolist()} at frames "
                         f"{np.nonzero(bad)[0][:3].tolist()}: use 0 (outside), 1 (inside) or 2 (segment start)")
    out: dict[str, Any] = {k: as_float32(z[k]) for k in STREAM_DIMS}
    out["labels"] = z["labels"].astype(np.int8)
    out["text"] = str(z["text"])
    out["gloss"] = [str(g) for g in z["gloss"]] if "gloss" in z else []
    out["language"] = str(z["language"]) if "language" in z else ""
    out["id"] = str(z["id"]) if "id" in z else Path(path).stem
    out["fps"] = int(z["fps"]) if "fps" in z else 25
    out["signer"] = int(z["signer"]) if "signer" in z else 0
    return out


def load_signspark(root: str | Path, split: str) -> list[dict[str, Any]]:
    """All sequences of ``ROOT/{split}/`` in natural file order (see :func:`read_sequence`)."""
    folder = require_dir(Path(root) / split, f"SignSparK split folder ({split!r})")
    paths = natural_sorted(folder.glob("*.npz"))
    if not paths:
        raise FileNotFoundError(f"no .npz sequences in SignSparK split folder {folder}")
    return [read_sequence(p) for p in paths]


def _segments(lab: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end_exclusive)`` of every labelled segment: a segment starts at a ``2`` (or at a ``1`` that
    follows a ``0`` / the first frame) and runs over the following ``1`` frames."""
    out: list[tuple[int, int]] = []
    t, T = 0, len(lab)
    while t < T:
        if lab[t] == LABEL_START or (lab[t] == LABEL_INSIDE and (t == 0 or lab[t - 1] == LABEL_OUTSIDE)):
            s = t
            t += 1
            while t < T and lab[t] == LABEL_INSIDE:
                t += 1
            out.append((s, t))
        else:
            t += 1
    return out


def label_spans(labels: np.ndarray) -> list[tuple[int, int]]:
    """Segments ``(start, end_exclusive)`` of per-frame labels (0 outside, 1 inside, 2 start), sorted and disjoint.

    Read the way :func:`keyframes` reads them, so any label sequence gives valid spans; labels other than
    0 / 1 / 2 raise ``ValueError``.
    """
    lab = np.asarray(labels).reshape(-1)
    bad = ~np.isin(lab, (LABEL_OUTSIDE, LABEL_INSIDE, LABEL_START))
    if bad.any():
        raise ValueError(f"tags hold {lab[bad][:3].tolist()} at frames {np.nonzero(bad)[0][:3].tolist()}: "
                         "use 0 (outside), 1 (inside) or 2 (sign start)")
    return _segments(lab)


def keyframes(labels: np.ndarray) -> np.ndarray:
    """SignSparK keyframes: first, middle and last frame of every labelled segment (sorted, unique)."""
    out: list[int] = []
    for s, t in label_spans(labels):
        e = t - 1
        out += [s, (s + e) // 2, e]
    return np.unique(np.asarray(out, dtype=np.int64))
