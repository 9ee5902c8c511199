"""SOKE's released SMPL-X data layout: writer, loader and SOKE's length rules.

Layouts (one pickle per frame, holding the 7 ``smplx_*`` keys of
:data:`SOKE_KEYS`, each a float32 vector; 179 values in all):

How2Sign (``dataset='how2sign'``)::

    ROOT/{split}/poses/{name}/{name}_{i}_3D.pkl          i = 0, 1, ... (not zero padded)
    ROOT/{split}/re_aligned/how2sign_realigned_{split}_preprocessed_fps.csv

  The CSV is tab-separated with (at least) the columns ``SENTENCE_NAME, SENTENCE, fps,
  START_REALIGNED, END_REALIGNED``; slpkit also writes How2Sign's ``VIDEO_ID, VIDEO_NAME,
  SENTENCE_ID``. Splits: ``train``, ``val``, ``test``.

CSL-Daily (``dataset='csl'``)::

    ROOT/poses/{name}/{i:06d}.pkl
    ROOT/csl_clean.{split}        gzip-pickled list of dicts {'name', 'text', ...}

Phoenix-2014T (``dataset='phoenix'``)::

    ROOT/{name}/images{i:04d}.pkl  name = '{split}/{id}' as in Phoenix's annotation files
    ROOT/phoenix14t.{split}       gzip-pickled list of dicts {'name', 'text', ...}
                                  (Phoenix calls the validation split 'dev')

Frames of one clip are read in natural order of their file names. The annotation
dicts written by slpkit also carry ``gloss`` (space separated), ``signer``,
``language`` and ``fps``; readers only need ``name`` and ``text``.

SOKE's length rules (:func:`soke_length_rules`) are applied by the loader only when
asked (``length_rules=True``), so that a corpus written and read back is unchanged.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from slpkit.body import layouts
from slpkit.checks import check_motion
from slpkit.data.formats._io import (
    as_float32,
    corrupt,
    dump_pickle,
    load_pickle,
    natural_sorted,
    require_dir,
    require_file,
)

SOKE_KEYS: tuple[str, ...] = (
    "smplx_root_pose",
    "smplx_body_pose",
    "smplx_lhand_pose",
    "smplx_rhand_pose",
    "smplx_jaw_pose",
    "smplx_shape",
    "smplx_expr",
)
KEY_DIMS = {"smplx_root_pose": 3, "smplx_body_pose": 63, "smplx_lhand_pose": 45, "smplx_rhand_pose": 45,
            "smplx_jaw_pose": 3, "smplx_shape": 10, "smplx_expr": 10}
DATASETS = ("how2sign", "csl", "phoenix")
DEFAULT_FPS = {"how2sign": 24, "csl": 30, "phoenix": 25}
H2S_COLUMNS = ("VIDEO_ID", "VIDEO_NAME", "SENTENCE_ID", "SENTENCE_NAME", "START_REALIGNED", "END_REALIGNED",
               "SENTENCE", "fps")
H2S_REQUIRED = ("SENTENCE_NAME", "SENTENCE", "fps", "START_REALIGNED", "END_REALIGNED")

# SOKE's length rules
TARGET_FPS = 24
MIN_LEN = 40
MAX_LEN = 400
LEN_MULTIPLE = 4


# ---------------------------------------------------------------------------------------
# length rules
# ---------------------------------------------------------------------------------------
def _check_fps(fps: Any, where: str = "fps", text: bool = False) -> float:
    """A clip's frame rate as a positive finite float (0, NaN, a negative rate and, unless ``text`` (a CSV
    field), a string raise)."""
    if isinstance(fps, (bool, bytes)) or fps is None or (isinstance(fps, str) and not text):
        raise ValueError(f"{where}={fps!r}: pass the clip's frame rate as a positive number (e.g. 24 or 25)")
    try:
        v = float(fps)
    except (TypeError, ValueError):
        raise ValueError(f"{where}={fps!r}: pass the clip's frame rate as a positive number (e.g. 24 or 25)") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{where}={fps!r}: pass the clip's frame rate as a positive number (e.g. 24 or 25)")
    return v


def _uniform_indices(n_in: int, n_out: int) -> np.ndarray:
    """``n_out`` frame indices spread uniformly over ``n_in`` frames (floor(i * n_in / n_out))."""
    return np.floor(np.arange(n_out) * (n_in / n_out)).astype(np.int64).clip(0, n_in - 1)


def soke_length_indices(n_frames: int, fps: float) -> np.ndarray:
    """Frame indices implementing SOKE's length rules for a clip of ``n_frames`` at ``fps``.

    1. ``fps > 24``: resample to 24 fps (keep ``int(24 * T / fps)`` uniformly spaced frames);
    2. shorter than 40 frames: upsample to 40 (frames repeated, uniformly);
    3. longer than 400 frames: subsample to 400 (uniformly);
    4. crop the end so the length is a multiple of 4 (the tokenizers downsample by 4).

    Index-based (nearest frame, no interpolation), so axis-angle values stay valid poses
    and the same indices can be applied to per-frame labels.
    """
    if n_frames <= 0:
        raise ValueError(f"clip has {n_frames} frames: pass at least one frame.")
    fps = _check_fps(fps)
    idx = np.arange(n_frames)
    if fps > TARGET_FPS:
        n = max(1, int(TARGET_FPS * len(idx) / fps))
        idx = idx[_uniform_indices(len(idx), n)]
    if len(idx) < MIN_LEN:
        idx = idx[_uniform_indices(len(idx), MIN_LEN)]
    elif len(idx) > MAX_LEN:
        idx = idx[_uniform_indices(len(idx), MAX_LEN)]
    return idx[: len(idx) - len(idx) % LEN_MULTIPLE]


def soke_length_rules(v133: np.ndarray, fps: float) -> np.ndarray:
    """Apply SOKE's length rules to a ``(T, D)`` clip (usually ``D = 133``); returns ``(T', D)``.

    See :func:`soke_length_indices`. The result is at ``min(fps, 24)`` fps, between 40 and
    400 frames, and its length is a multiple of 4.
    """
    x = np.asarray(v133)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"soke_length_rules expects a (T, D) clip with T > 0, got shape {x.shape}.")
    fps = _check_fps(fps)
    return x[soke_length_indices(x.shape[0], fps)]


# ---------------------------------------------------------------------------------------
# 133 <-> per-frame SMPL-X dicts
# ---------------------------------------------------------------------------------------
def v133_to_frames(v133: np.ndarray, shape: np.ndarray | None = None) -> list[dict[str, np.ndarray]]:
    """``(T, 133)`` SOKE vector -> one dict of the 7 ``smplx_*`` keys per frame (float32 vectors)."""
    check_motion(v133, 133, "v133")
    keys = layouts.v133_to_keys(as_float32(v133))
    if shape is not None:
        keys["smplx_shape"] = np.broadcast_to(as_float32(shape), (len(v133), 10))
    keys = {k: as_float32(keys[k]) for k in SOKE_KEYS}
    return [{k: keys[k][t].copy() for k in SOKE_KEYS} for t in range(len(v133))]


def frames_to_v133(frames: Sequence[dict[str, Any]], names: Sequence[str | Path] | None = None) -> np.ndarray:
    """Per-frame ``smplx_*`` dicts -> ``(T, 133)`` float32. ``names`` (file per frame) go into errors."""
    stacked: dict[str, list[np.ndarray]] = {k: [] for k in SOKE_KEYS}
    for i, fr in enumerate(frames):
        where = names[i] if names is not None else f"frame {i}"
        if not isinstance(fr, dict):
            raise ValueError(f"{where}: expected a dict of smplx_* arrays, got {type(fr).__name__}")
        for k in SOKE_KEYS:
            if k not in fr:
                raise ValueError(f"{where}: key {k!r} missing (has {sorted(fr)}); a SOKE frame pickle holds {list(SOKE_KEYS)}")
            v = np.asarray(fr[k], dtype=np.float32).reshape(-1)
            if v.size != KEY_DIMS[k]:
                raise ValueError(f"{where}: {k} has {v.size} values, expected {KEY_DIMS[k]}")
            stacked[k].append(v)
    keys = {k: np.stack(v) if v else np.zeros((0, KEY_DIMS[k]), np.float32) for k, v in stacked.items()}
    return as_float32(layouts.keys_to_v133(keys))


# ---------------------------------------------------------------------------------------
# writer
# ---------------------------------------------------------------------------------------
def _check_dataset(dataset: str) -> str:
    if dataset not in DATASETS:
        raise ValueError(f"unknown SOKE dataset {dataset!r}: use one of {DATASETS}")
    return dataset


def _phoenix_split(split: str) -> str:
    return "dev" if split == "val" else split


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(H2S_COLUMNS), delimiter="\t", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def h2s_csv_path(root: str | Path, split: str) -> Path:
    return Path(root) / split / "re_aligned" / f"how2sign_realigned_{split}_preprocessed_fps.csv"


def annotation_path(root: str | Path, split: str, dataset: str) -> Path:
    """Path of the gzip-pickled annotation list (CSL-Daily / Phoenix) for ``split``."""
    if dataset == "csl":
        return Path(root) / f"csl_clean.{split}"
    if dataset == "phoenix":
        return Path(root) / f"phoenix14t.{_phoenix_split(split)}"
    raise ValueError(f"dataset {dataset!r} has no gzip annotation file (How2Sign uses a CSV)")


def write_soke(sentences: Iterable[Any], root: str | Path, dataset: str = "how2sign") -> Path:
    """Write ``sentences`` (``slpkit.data.corpus.Sentence``-like) in SOKE's released layout.

    Each sentence goes to its own ``split``; its ``id`` is the clip name. Returns ``root``.
    """
    _check_dataset(dataset)
    if isinstance(sentences, (str, bytes, dict)) or not hasattr(sentences, "__iter__"):
        raise ValueError(f"sentences={type(sentences).__name__}: pass a list of corpus sentences (corpus.sentences)")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    by_split: dict[str, list[Any]] = {}
    for s in sentences:
        by_split.setdefault(s.split, []).append(s)
    for split, items in by_split.items():
        csv_rows, ann = [], []
        for s in items:
            frames = v133_to_frames(s.v133)
            fps = int(getattr(s, "fps", DEFAULT_FPS[dataset]))
            name = s.id
            if dataset == "how2sign":
                folder = root / split / "poses" / name
                paths = [folder / f"{name}_{i}_3D.pkl" for i in range(len(frames))]
                csv_rows.append({
                    "VIDEO_ID": name, "VIDEO_NAME": f"{name}-rgb_front", "SENTENCE_ID": f"{name}_0",
                    "SENTENCE_NAME": name, "START_REALIGNED": 0.0,
                    "END_REALIGNED": round(len(frames) / fps, 4), "SENTENCE": s.text, "fps": fps,
                })
            else:
                if dataset == "csl":
                    folder = root / "poses" / name
                    paths = [folder / f"{i:06d}.pkl" for i in range(len(frames))]
                else:
                    name = f"{_phoenix_split(split)}/{s.id}"
                    folder = root / name
                    paths = [folder / f"images{i + 1:04d}.pkl" for i in range(len(frames))]
                ann.append({"name": name, "text": s.text, "gloss": " ".join(s.gloss), "signer": f"Signer{s.signer:02d}",
                            "language": s.language, "fps": fps, "num_frames": len(frames)})
            folder.mkdir(parents=True, exist_ok=True)
            for fr, p in zip(frames, paths):
                dump_pickle(fr, p)
        if dataset == "how2sign":
            p = h2s_csv_path(root, split)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(_csv_text(csv_rows), encoding="utf-8")
        else:
            dump_pickle(ann, annotation_path(root, split, dataset), gz=True)
    return root


# ---------------------------------------------------------------------------------------
# loader
# ---------------------------------------------------------------------------------------
def read_h2s_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a How2Sign realigned CSV (tab-separated); checks the required columns."""
    path = require_file(path, "How2Sign realigned CSV")
    try:
        text = path.read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    except Exception as err:
        raise corrupt(path, err) from err
    header = text.splitlines()[0].split("\t") if text else []
    missing = [c for c in H2S_REQUIRED if c not in header]
    if missing:
        raise ValueError(f"{path}: columns {missing} missing (header {header}); expected tab-separated {list(H2S_REQUIRED)}")
    for i, r in enumerate(rows):
        if any(r.get(c) is None for c in H2S_REQUIRED):
            raise corrupt(path, f"row {i + 2} has fewer fields than the header")
    return rows


def read_clip(folder: str | Path, pattern: str = "*.pkl") -> np.ndarray:
    """All frame pickles of one clip folder (natural order) -> ``(T, 133)`` float32."""
    folder = require_dir(folder, "SOKE pose folder")
    paths = natural_sorted(folder.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no frame pickles ({pattern}) in SOKE pose folder {folder}")
    frames = [load_pickle(p) for p in paths]
    return frames_to_v133(frames, names=[str(p) for p in paths])


def read_h2s_clip(folder: str | Path, name: str) -> np.ndarray:
    """How2Sign clip ``{name}_{i}_3D.pkl``, i = 0..n-1; a gap in the numbering is a missing file."""
    folder = require_dir(folder, "How2Sign pose folder")
    prefix, suffix = f"{name}_", "_3D.pkl"
    idx = []
    for p in folder.glob(f"*{suffix}"):
        mid = p.name[len(prefix): -len(suffix)] if p.name.startswith(prefix) else ""
        if mid.isdigit():
            idx.append(int(mid))
    if not idx:
        raise FileNotFoundError(f"no frame pickles {name}_<i>_3D.pkl in How2Sign pose folder {folder}")
    have = set(idx)
    for i in range(max(idx) + 1):
        if i not in have:
            raise FileNotFoundError(f"frame file missing: {folder / f'{name}_{i}_3D.pkl'}")
    paths = [folder / f"{name}_{i}_3D.pkl" for i in range(max(idx) + 1)]
    return frames_to_v133([load_pickle(p) for p in paths], names=[str(p) for p in paths])


def load_soke(root: str | Path, split: str, dataset: str = "how2sign", length_rules: bool = False) -> list[dict[str, Any]]:
    """Read one split of a SOKE-layout folder.

    Returns ``[{'name', 'text', 'v133' (T, 133) float32, 'fps', ...}]`` in annotation order;
    CSL/Phoenix entries also keep the other annotation fields (``gloss``, ``signer``...).
    With ``length_rules=True`` SOKE's rules (:func:`soke_length_rules`) are applied and
    ``fps`` becomes ``min(fps, 24)``.
    Missing files raise ``FileNotFoundError``, unreadable ones ``ValueError``, both naming the file.
    """
    _check_dataset(dataset)
    root = require_dir(root, f"SOKE {dataset} root")
    out: list[dict[str, Any]] = []
    if dataset == "how2sign":
        rows = read_h2s_csv(h2s_csv_path(root, split))
        if not rows:
            raise ValueError(f"{h2s_csv_path(root, split)} lists no sentences: the {split!r} split is empty "
                             "(re-create the CSV)")
        for r in rows:
            name = r["SENTENCE_NAME"]
            try:
                fps = _check_fps(r["fps"], f"fps of {name}", text=True)
            except ValueError as err:
                raise corrupt(h2s_csv_path(root, split), f"fps {r['fps']!r} of {name} is not a positive number") from err
            v = read_h2s_clip(root / split / "poses" / name, name)
            out.append({"name": name, "text": r["SENTENCE"], "v133": v, "fps": fps,
                        "start": float(r["START_REALIGNED"]), "end": float(r["END_REALIGNED"])})
    else:
        ann_path = annotation_path(root, split, dataset)
        ann = load_pickle(ann_path, gz=True)
        if not isinstance(ann, list) or not all(isinstance(a, dict) and "name" in a and "text" in a for a in ann):
            raise ValueError(f"{ann_path}: expected a gzip-pickled list of dicts with 'name' and 'text'")
        if not ann:
            raise ValueError(f"{ann_path} lists no clips: the {split!r} split is empty (re-create the annotation file)")
        for i, a in enumerate(ann):
            if not isinstance(a["name"], str) or not a["name"] or not isinstance(a["text"], str):
                raise ValueError(f"{ann_path}, entry {i}: name={a['name']!r} and text={a['text']!r} must be strings "
                                 "(the clip folder's name and its sentence)")
        for a in ann:
            folder = root / "poses" / a["name"] if dataset == "csl" else root / a["name"]
            v = read_clip(folder)
            n = a.get("num_frames")
            if n is not None and int(n) != len(v):
                raise FileNotFoundError(f"{folder}: {len(v)} frame pickles but {ann_path.name} lists {n} frames "
                                        "(frame files missing)")
            entry = dict(a)
            entry["v133"] = v
            entry["fps"] = _check_fps(a.get("fps", DEFAULT_FPS[dataset]), f"{ann_path.name}: fps of {a['name']}")
            out.append(entry)
    if length_rules:
        for e in out:
            e["v133"] = soke_length_rules(e["v133"], e["fps"])
            e["fps"] = min(e["fps"], float(TARGET_FPS))
    return out
