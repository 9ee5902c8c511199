"""Input validation with messages that say what is wrong and what to do.

Every public entry point that takes motion arrays calls these, so a user who
passes a 132-dim vector, a NaN or an empty clip learns why at once instead of
from a shape error deep inside a conv layer.

Arrays: :func:`check_motion`, :func:`check_last_dim`, :func:`check_shape`, :func:`check_finite`,
:func:`check_nonempty`, :func:`check_same_leading`. Scalars and settings (config fields, function
arguments): :func:`check_int`, :func:`check_float`, :func:`check_bool`, :func:`check_choice`,
:func:`check_pair`. Batches of inputs: :func:`check_list` (a string where a list is expected),
:func:`check_texts` (sentences + languages of a generator call), :func:`check_lengths` (one integer
length per sequence, no silent clamping), :func:`check_kwargs`. Every one raises ``ValueError`` naming
the argument and its value.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def check_last_dim(x: ArrayLike, expected: int, name: str = "input", hint: str = "") -> None:
    """Raise ``ValueError`` if ``x.shape[-1] != expected``."""
    if x.ndim == 0 or x.shape[-1] != expected:
        msg = f"{name} has last dimension {tuple(x.shape)[-1:] or '()'} (shape {tuple(x.shape)}), expected {expected}."
        if hint:
            msg += f" {hint}"
        raise ValueError(msg)


def check_shape(x: ArrayLike, tail: Sequence[int], name: str = "input", hint: str = "") -> None:
    """Raise ``ValueError`` unless ``x.shape`` ends with ``tail`` (use -1 for 'any')."""
    tail = tuple(tail)
    shape = tuple(x.shape)
    ok = len(shape) >= len(tail) and all(t == -1 or s == t for s, t in zip(shape[len(shape) - len(tail):], tail))
    if not ok:
        want = "(..., " + ", ".join("*" if t == -1 else str(t) for t in tail) + ")"
        msg = f"{name} has shape {shape}, expected {want}."
        if hint:
            msg += f" {hint}"
        raise ValueError(msg)


def check_finite(x: ArrayLike, name: str = "input") -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or inf, saying where the first one is."""
    finite = torch.isfinite(x) if isinstance(x, torch.Tensor) else np.isfinite(x)
    if not bool(finite.all()):
        bad = (~finite).nonzero() if isinstance(x, torch.Tensor) else np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        n = int((~finite).sum())
        raise ValueError(
            f"{name} contains {n} NaN/inf value(s) (first at index {first}). "
            "Clean or interpolate the missing frames before calling this (e.g. np.nan_to_num or drop the frames)."
        )


def check_nonempty(x: ArrayLike, name: str = "input", axis: int = -2) -> None:
    """Raise ``ValueError`` if the time axis (default: second to last) is empty."""
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError(f"{name} is an empty sequence (shape {tuple(x.shape)}): pass at least one frame.")


def check_motion(x: ArrayLike, dim: int, name: str = "motion", hint: str = "") -> None:
    """Shape ``(..., T, dim)``, ``T > 0`` and finite: the usual contract of a motion array."""
    if x.ndim < 2:
        raise ValueError(f"{name} has shape {tuple(x.shape)}, expected (T, {dim}) or (B, T, {dim}).")
    check_last_dim(x, dim, name, hint)
    check_nonempty(x, name)
    check_finite(x, name)


# ---------------------------------------------------------------------------------------------- scalars

def _is_int(value) -> bool:
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    if isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point() and value.dtype != torch.bool:
        return True
    return False


def check_int(value, name: str, *, min: int | None = None, max: int | None = None, none_ok: bool = False,
              hint: str = "") -> int | None:
    """``value`` as a Python ``int``; ``ValueError`` naming ``name`` unless it is an integer in ``[min, max]``.

    Floats (even ``2.0``), bools and strings are rejected: a size or a count given as ``2.5`` or ``'4'`` is a
    mistake to report, not to round. ``none_ok`` lets ``None`` through (returned as ``None``).
    """
    if value is None and none_ok:
        return None
    if not _is_int(value):
        want = "an integer" + (" or None" if none_ok else "")
        raise ValueError(f"{name}={value!r} ({type(value).__name__}): use {want}" + (f"; {hint}" if hint else ""))
    v = int(value)
    if (min is not None and v < min) or (max is not None and v > max):
        if min is not None and max is not None:
            rng = f"an integer in [{min}, {max}]"
        elif min is not None:
            rng = {0: "a non-negative integer", 1: "a positive integer"}.get(min, f"an integer >= {min}")
        else:
            rng = f"an integer <= {max}"
        raise ValueError(f"{name}={value!r}: use {rng}" + (f"; {hint}" if hint else ""))
    return v


def check_int_fields(cfg, fields: Sequence[str], *, min: int = 1) -> None:
    """:func:`check_int` of each of ``cfg``'s ``fields`` (a config's sizes and counts), named ``<Config>.<field>``."""
    for f in fields:
        check_int(getattr(cfg, f), f"{type(cfg).__name__}.{f}", min=min)


def check_heads(cfg, width: str = "d_model", heads: str = "n_heads") -> None:
    """Multi-head attention splits ``cfg.<width>`` into ``cfg.<heads>`` equal heads: ``ValueError`` unless it divides."""
    check_int(getattr(cfg, heads), f"{type(cfg).__name__}.{heads}", min=1)
    if int(getattr(cfg, width)) % int(getattr(cfg, heads)):
        raise ValueError(f"{type(cfg).__name__}.{width}={getattr(cfg, width)} is not divisible by "
                         f"{heads}={getattr(cfg, heads)}: use a multiple of it")


def check_stage_inputs(corpus, cfg, cls):
    """The first check of every ``train_*``: ``cfg`` (``cls.smoke()`` when ``None``) must be a ``cls`` and ``corpus``
    a :class:`slpkit.data.corpus.Corpus` (sentences and splits). Returns the config."""
    cfg = cls.smoke() if cfg is None else cfg
    if not isinstance(cfg, cls):
        raise ValueError(f"cfg must be a {cls.__name__}, got {type(cfg).__name__}: use {cls.__name__}.for_mode('smoke', "
                         "...)")
    if not (hasattr(corpus, "sentences") and callable(getattr(corpus, "split", None))):
        raise ValueError(f"corpus={type(corpus).__name__}: pass a slpkit.data.corpus.Corpus")
    return cfg


def check_float(value, name: str, *, min: float | None = None, max: float | None = None, min_open: bool = False,
                max_open: bool = False, hint: str = "") -> float:
    """``value`` as a finite Python ``float`` in the given range (``min_open`` / ``max_open`` exclude the ends)."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise ValueError(f"{name}={value!r}: use a number" + (f"; {hint}" if hint else ""))
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} ({type(value).__name__}): use a number" + (f"; {hint}" if hint else "")) from None
    bad = not np.isfinite(v)
    if min is not None:
        bad |= v <= min if min_open else v < min
    if max is not None:
        bad |= v >= max if max_open else v > max
    if bad:
        if min is not None and max is not None:
            rng = f"a number in {'(' if min_open else '['}{min}, {max}{')' if max_open else ']'}"
        elif min is not None:
            rng = f"a number {'>' if min_open else '>='} {min}"
        elif max is not None:
            rng = f"a number {'<' if max_open else '<='} {max}"
        else:
            rng = "a finite number"
        raise ValueError(f"{name}={value!r}: use {rng}" + (f"; {hint}" if hint else ""))
    return v


def check_bool(value, name: str) -> bool:
    """``value`` if it is a bool (a string such as ``'no'`` would be truthy: reject it)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}={value!r} ({type(value).__name__}): use True or False")
    return bool(value)


def check_choice(value, name: str, choices: Sequence, hint: str = ""):
    """``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    try:
        ok = value in tuple(choices)
    except TypeError:  # unhashable / incomparable
        ok = False
    if not ok:
        raise ValueError(f"{name}={value!r}: use one of {tuple(choices)}" + (f" ({hint})" if hint else ""))
    return value


def check_pair(value, name: str, *, min: float = 0.0, max: float = 1.0, max_open: bool = True,
               hint: str = "") -> tuple[float, float]:
    """A pair of numbers in ``[min, max)`` (e.g. Adam's ``betas``), returned as a tuple of floats."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name}={value!r}: use two numbers, e.g. (0.9, 0.99)" + (f"; {hint}" if hint else ""))
    return tuple(check_float(v, f"{name}[{i}]", min=min, max=max, max_open=max_open, hint=hint)  # type: ignore[return-value]
                 for i, v in enumerate(value))


# ---------------------------------------------------------------------------------------------- lists of inputs
def check_list(value, name: str, *, what: str = "items", nonempty: bool = True, example: str = "") -> list:
    """``value`` as a list; a single string, ``None``, a dict or a non-iterable raise ``ValueError``.

    A string where a list is expected would otherwise be split into characters.
    """
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name}={value[:40]!r} is a single string: pass a list of {what}"
                         + (f", e.g. {example}" if example else f", e.g. [{value[:20]!r}]"))
    if value is None or isinstance(value, dict) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name}={value!r}: pass a list of {what}" + (f", e.g. {example}" if example else ""))
    if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim == 0:
        raise ValueError(f"{name} is a scalar array: pass a list of {what}")
    out = list(value)
    if nonempty and not out:
        raise ValueError(f"{name} is empty: pass at least one of the {what}" + (f", e.g. {example}" if example else ""))
    return out


def check_texts(texts, languages=None, *, name: str = "texts", allow_blank: bool = False,
                normalise=None) -> tuple[list[str], list[str] | None]:
    """Validate a batch of sentences (and their languages) for a generator or a text model.

    ``texts`` must be a list (not one string, which would be split into characters) of non-blank strings;
    ``languages`` (if given) a list of the same length (``languages='asl'`` raises, saying to pass one per
    text). ``normalise``: optional ``f(language) -> language`` (e.g. a generator's language check) applied to
    each. Returns ``(texts, languages)`` as lists.
    """
    texts = check_list(texts, name, what="sentences", example="['the weather is cold']")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"{name}[{i}]={t!r} ({type(t).__name__}): every text must be a string")
        if not allow_blank and not t.strip():
            raise ValueError(f"{name}[{i}]={t!r} is empty: pass a sentence in the spoken language to sign "
                             "(e.g. 'the weather is cold')")
    if languages is None:
        return texts, None
    if isinstance(languages, str):
        raise ValueError(f"languages={languages!r} is a single string: pass one language per text, "
                         f"e.g. [{languages!r}] * {len(texts)}")
    langs = check_list(languages, "languages", what="languages", example="['asl']")
    if len(langs) != len(texts):
        raise ValueError(f"{len(texts)} {name} but {len(langs)} languages: pass one language per text")
    for i, lang in enumerate(langs):
        if not isinstance(lang, str):
            raise ValueError(f"languages[{i}]={lang!r} ({type(lang).__name__}): use a language code such as 'asl'")
    if normalise is not None:
        langs = [normalise(lang) for lang in langs]
    return texts, langs


def check_lengths(lengths, n: int, *, name: str = "lengths", min: int = 1, max: int | None = None,
                  hint: str = "") -> list[int]:
    """``n`` integer lengths in ``[min, max]`` (one per sequence) as a list of ints.

    Floats (``3.7``), a single number where a list is expected, a list of another length and values outside
    the range raise ``ValueError`` naming the offending entry (no silent rounding or clamping).
    """
    if isinstance(lengths, torch.Tensor):
        lengths = lengths.detach().cpu().reshape(-1).tolist() if lengths.ndim else lengths
    if isinstance(lengths, np.ndarray) and lengths.ndim:
        lengths = lengths.reshape(-1).tolist()
    if _is_int(lengths) or isinstance(lengths, float):
        raise ValueError(f"{name}={lengths!r} is a single number: pass one length per sequence, e.g. [{lengths!r}] * {n}")
    vals = check_list(lengths, name, what="lengths (one per sequence)", nonempty=False)
    if len(vals) != n:
        raise ValueError(f"{name} has {len(vals)} entries for {n} sequences: pass one length per sequence")
    return [check_int(v, f"{name}[{i}]", min=min, max=max, hint=hint) for i, v in enumerate(vals)]


def check_same_leading(arrays: dict, what: str = "parts", hint: str = "") -> tuple:
    """All arrays of ``{name: array}`` share their leading shape (all but the last axis); returns it.

    Catches a 1-frame part that numpy would silently broadcast over the other parts' frames.
    """
    shapes = {k: tuple(np.shape(v))[:-1] for k, v in arrays.items()}
    if len(set(shapes.values())) > 1:
        desc = ", ".join(f"{k} {tuple(np.shape(v))}" for k, v in arrays.items())
        raise ValueError(f"{what} have different leading shapes ({desc}): every one needs the same frames"
                         + (f"; {hint}" if hint else ""))
    return next(iter(shapes.values())) if shapes else ()


def check_kwargs(kwargs: dict, allowed: Sequence[str], where: str) -> None:
    """Raise ``ValueError`` for keyword arguments ``where`` does not take (instead of a deep ``TypeError``)."""
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"{where} got unknown keyword argument(s) {unknown}: it takes {sorted(allowed)}")
