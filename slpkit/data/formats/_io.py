"""Small shared helpers for the format readers: errors that name the file, natural sort."""

from __future__ import annotations

import gzip
import pickle
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np


def require_file(path: str | Path, what: str = "file") -> Path:
    """Return ``path`` if it exists, else raise ``FileNotFoundError`` naming it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    return path


def require_dir(path: str | Path, what: str = "folder") -> Path:
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{what} not found: {path}")
    return path


def corrupt(path: str | Path, err: BaseException | str) -> ValueError:
    """A ``ValueError`` that names the unreadable file and the underlying problem."""
    return ValueError(f"cannot read {path}: the file is corrupt or truncated ({err}). Re-create or re-download it.")


def load_pickle(path: str | Path, gz: bool = False) -> Any:
    """Unpickle ``path`` (optionally gzip-compressed); missing -> FileNotFoundError, corrupt -> ValueError."""
    path = require_file(path)
    try:
        opener = gzip.open if gz else open
        with opener(path, "rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        raise
    except Exception as err:  # EOFError, UnpicklingError, gzip.BadGzipFile, ...
        raise corrupt(path, f"{type(err).__name__}: {err}") from err


def dump_pickle(obj: Any, path: str | Path, gz: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        pickle.dump(obj, f, protocol=4)
    return path


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` eagerly (so corruption shows here, naming the file)."""
    path = require_file(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as err:
        raise corrupt(path, f"{type(err).__name__}: {err}") from err


def natural_key(name: str) -> list:
    """Sort key that orders ``x_2`` before ``x_10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(name))]


def natural_sorted(items: Iterable) -> list:
    return sorted(items, key=lambda p: natural_key(Path(p).name))


def as_float32(x: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32))
