"""One cache of trained artifacts for every stage: load it, or train it (resumably) and save it.

``cached(kind, key, train, save, load)`` keys an artifact by a hash of ``key`` (the stage config
without the fields that only choose hardware, the corpus fingerprint, a format version):

    <cache root>/<kind>/<hash>/artifact      the saved object (``save(obj, path)`` writes it)
    <cache root>/<kind>/<hash>/meta.json     key, sha256 of the artifact, seconds it took to train
    <cache root>/<kind>/<hash>/work/         checkpoints of a run in progress (``train(work_dir)``)

- **integrity**: the artifact's sha256 is checked before loading; a truncated or edited file is
  reported, deleted and retrained instead of being loaded;
- **resume**: ``train`` gets ``work/`` and passes it to :func:`slpkit.training.fit`, so a run that
  was interrupted continues from its last epoch checkpoint the next time it is asked for;
- **one trainer at a time**: a file lock (``<hash>.lock``) makes a second process asking for the
  same artifact wait for the first and then load its result (parallel test workers, two notebooks);
- under DDP only rank 0 writes; the other ranks wait at a barrier.

The root is :func:`slpkit.config.cache_dir` (``$SLPKIT_CACHE``, default ``<repo>/.cache/slpkit``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, Callable, TypeVar

import torch

from slpkit.config import cache_dir, config_hash
from slpkit.training.sampler import rank_world

__all__ = ["cached", "artifact_dir", "sha256", "CacheInfo", "single_process", "state_fingerprint", "read_checkpoint",
           "check_same_config"]

T = TypeVar("T")
ARTIFACT, META, WORK = "artifact", "meta.json", "work"


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def state_fingerprint(module: torch.nn.Module, length: int = 16) -> str:
    """SHA-1 over a module's state (names, shapes, bytes): the identity of a trained upstream model (e.g. the
    tokenizer a generator was trained on) inside a downstream cache key."""
    h = hashlib.sha1()
    for name, t in sorted(module.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:length]


def read_checkpoint(path: str | Path, what: str, version: int, build: Callable[[dict], T], *, kind: str | None = None,
                    train_with: str | None = None) -> T:
    """``build(ck)`` of the dict a stage's ``save`` wrote to ``path`` (every slpkit ``load_*`` reads through here).

    A missing file raises ``FileNotFoundError``; a file that is not a dict of format ``version`` (and of ``kind``,
    when given), or that ``build`` cannot read (truncated, foreign, keys of another release), raises ``ValueError``
    naming the file and what to do: ``what`` names the model in the messages, ``train_with`` the function
    that writes one.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} checkpoint not found: {path}" + (f" (train one with {train_with})"
                                                                          if train_with else ""))
    try:
        ck = torch.load(path, map_location="cpu", weights_only=False)
        if not isinstance(ck, dict) or ck.get("version") != version or (kind is not None and ck.get("kind") != kind):
            found = ck.get("version") if isinstance(ck, dict) else type(ck).__name__
            raise ValueError(f"not a slpkit {what} file of format version {version} (found {found!r})")
        return build(ck)
    except Exception as err:
        raise ValueError(f"cannot read {what} checkpoint {path} ({type(err).__name__}: {err}); "
                         "delete it to retrain") from err


def check_same_config(path: str | Path, what: str, found: dict, expected: dict) -> None:
    """Raise ``ValueError`` when a loaded file's config fields differ from the ones a caller expects
    (``load_*(..., expect=cfg)``), naming the file and the differing fields."""
    if found != expected:
        diff = {k: (found.get(k), expected.get(k)) for k in sorted(set(found) | set(expected)) if found.get(k) != expected.get(k)}
        raise ValueError(f"{path} holds a {what} of another config (file vs expected: {diff})")


def artifact_dir(kind: str, key: Any) -> Path:
    """``<cache root>/<kind>/<hash of key>`` (not created)."""
    if not isinstance(kind, str) or not kind or "/" in kind or kind in (".", ".."):
        raise ValueError(f"kind={kind!r}: name the artifact kind with a plain folder name, e.g. 'tokenizers'")
    return cache_dir(kind) / config_hash(key, 16)


@contextlib.contextmanager
def _lock(path: Path, enabled: bool):
    if not enabled:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def single_process(cfg: Any) -> bool:
    """True when ``cfg`` trains in this process alone (no DDP ranks launched): then the cache may lock.

    With several devices Lightning relaunches the script once per rank and every rank must reach
    ``fit``; a lock held by rank 0 would deadlock them.
    """
    return str(getattr(cfg, "devices", 1)) == "1" and getattr(cfg, "strategy", "auto") in ("auto", "single_device")


class CacheInfo(dict):
    """``{'hit': bool, 'path': str, 'train_seconds': float}`` of the last :func:`cached` call (``info=``)."""


def _valid(folder: Path) -> bool:
    meta, art = folder / META, folder / ARTIFACT
    if not (meta.exists() and art.exists()):
        return False
    try:
        want = json.loads(meta.read_text())["sha256"]
    except (ValueError, KeyError):
        want = None
    if want != sha256(art):
        warnings.warn(f"cached artifact {art} does not match its checksum (truncated or changed): retraining it",
                      stacklevel=3)
        (folder / META).unlink(missing_ok=True)
        art.unlink(missing_ok=True)
        return False
    return True


def cached(kind: str, key: Any, train: Callable[[Path], T], save: Callable[[T, Path], None],
           load: Callable[[Path], T], *, enabled: bool = True, lock: bool = True,
           info: CacheInfo | None = None) -> T:
    """Load the artifact of ``(kind, key)``, or ``train(work_dir)``, ``save`` it and return it.

    ``enabled=False`` always trains (and overwrites the cached copy). ``lock=False`` for multi-process
    (DDP) training, where every rank must enter ``train`` together.
    """
    folder = artifact_dir(kind, key)
    info = info if info is not None else CacheInfo()
    rank, world = rank_world()
    with _lock(folder.parent / f"{folder.name}.lock", lock and world == 1):
        if enabled and _valid(folder):
            info.update(hit=True, path=str(folder / ARTIFACT), train_seconds=0.0)
            try:
                return load(folder / ARTIFACT)
            except ValueError as err:
                warnings.warn(f"cannot load cached artifact {folder / ARTIFACT} ({err}): retraining it", stacklevel=2)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        obj = train(folder / WORK)
        seconds = time.perf_counter() - t0
        rank, world = rank_world()
        if rank == 0:
            tmp = folder / (ARTIFACT + ".tmp")
            save(obj, tmp)
            tmp.replace(folder / ARTIFACT)
            meta = {"kind": kind, "key": json.loads(json.dumps(key, default=str)), "sha256": sha256(folder / ARTIFACT),
                    "train_seconds": round(seconds, 2), "created": time.strftime("%Y-%m-%d %H:%M:%S")}
            (folder / META).write_text(json.dumps(meta, indent=1, ensure_ascii=False))
            shutil.rmtree(folder / WORK, ignore_errors=True)
        if world > 1:
            torch.distributed.barrier()
        info.update(hit=False, path=str(folder / ARTIFACT), train_seconds=seconds)
        return obj
