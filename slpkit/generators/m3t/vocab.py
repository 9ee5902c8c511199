"""M3T's lexicon: text + four motion-token modalities + modality-language prompts (M3T Sec. 3.3, Eq. 7).

M3T adds "a unique word for every FSQ index" per modality and "language tokens for each combination of
language and modality", the domain prompts ``<ASL_LH>``, ``<DGS_F>``, ...; with the hands decoupled that gives
four sign modalities. slpkit's :class:`~slpkit.generators.soke.vocab.SokeVocab` already builds exactly that
id space over any parts ``{part: codebook size}``: motion tokens ``<face_0> ... <face_511> <face_eos>`` and
one part-language token ``<{part}_{language token}>`` per (part, language), e.g. ``<lhand_en_ASL>``. This module
only fixes M3T's four parts, names those tokens the paper's way and checks what a caller passes::

    <ASL_B>  = <body_en_ASL>     <ASL_LH> = <lhand_en_ASL>     <ASL_RH> = <rhand_en_ASL>     <ASL_F> = <face_en_ASL>

Example::

    >>> from slpkit.generators.soke.vocab import SokeVocab
    >>> v = m3t_vocab([("the weather is cold", "asl")])
    >>> modality_prompt("lhand", "dgs"), v.id_to_token(v.part_language_id("lhand", "asl"))
    ('<DGS_LH>', '<lhand_en_ASL>')
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from slpkit.generators.soke.vocab import SokeVocab, normalise_language

__all__ = ["M3T_PARTS", "M3T_CODEBOOKS", "MODALITY_TAGS", "check_modality", "check_m3t_streams", "modality_prompt",
           "prompt_table", "m3t_vocab"]

#: M3T's four sign modalities in decoding order (body first: it drives ``stop='body'``).
M3T_PARTS: tuple[str, ...] = ("body", "lhand", "rhand", "face")
#: M3T codebook sizes (App. 0.D.1, "comparable to SOKE", the face larger): the FSQ grids of
#: ``slpkit.tokenizers.partwise.DEFAULT_FSQ_LEVELS['m3t']`` (8*4*3, 8*6*4 twice, 8*8*8).
M3T_CODEBOOKS: dict[str, int] = {"body": 96, "lhand": 192, "rhand": 192, "face": 512}
#: the paper's modality suffixes of the prompts (``<ASL_LH>``, ``<DGS_F>``; M3T Sec. 3.3)
MODALITY_TAGS: dict[str, str] = {"body": "B", "lhand": "LH", "rhand": "RH", "face": "F"}


def check_modality(part: str) -> str:
    """``part`` if it is one of M3T's modalities, else a ``ValueError`` that lists them."""
    if part not in MODALITY_TAGS:
        raise ValueError(f"unknown modality {part!r}: M3T has the modalities {list(M3T_PARTS)} "
                         "(body, left hand, right hand, face)")
    return part


def check_m3t_streams(streams: Iterable[str], what: str = "tokenizer") -> tuple[str, ...]:
    """Check that ``streams`` are M3T's four modalities (any order): an unknown one or a missing face stream
    raises a ``ValueError`` naming them and saying what to pass instead."""
    streams = tuple(streams)
    for s in streams:
        if s not in MODALITY_TAGS:
            raise ValueError(f"{what} has the unknown modality {s!r} (streams {list(streams)}): M3T needs the streams "
                             f"{list(M3T_PARTS)}; train one with TokenizerConfig.m3t(mode) (partition 'm3t')")
    missing = [p for p in M3T_PARTS if p not in streams]
    if "face" in missing:
        raise ValueError(f"{what} has no face stream (streams {list(streams)}): M3T generates the 108-dim SMPL-FX face "
                         "as its fourth stream; use a tokenizer of partition 'm3t' (TokenizerConfig.m3t(mode)), not "
                         "a SOKE body / lhand / rhand one")
    if missing:
        raise ValueError(f"{what} misses the stream(s) {missing} (streams {list(streams)}): M3T needs {list(M3T_PARTS)}")
    return streams


def modality_prompt(part: str, language: str) -> str:
    """The paper's name of a modality-language prompt: ``('lhand', 'asl') -> '<ASL_LH>'``."""
    return f"<{normalise_language(language).upper()}_{MODALITY_TAGS[check_modality(part)]}>"


def prompt_table(vocab: SokeVocab, language: str) -> list[tuple[str, str, int]]:
    """``[(paper name, vocabulary token, id)]`` of the modality prompts of ``language``, in part order."""
    check_m3t_streams(vocab.parts, "vocabulary")
    out = []
    for p in vocab.parts:
        i = vocab.part_language_id(p, language)
        out.append((modality_prompt(p, language), vocab.id_to_token(i), i))
    return out


def m3t_vocab(texts: Sequence[tuple[str, str]], codebook_sizes: Mapping[str, int] | None = None,
              **kwargs) -> SokeVocab:
    """The integrated vocabulary (Eq. 7) over M3T's four modalities: :meth:`SokeVocab.train` with
    ``codebook_sizes`` (default :data:`M3T_CODEBOOKS`) checked to be M3T's streams."""
    sizes = dict(codebook_sizes or M3T_CODEBOOKS)
    check_m3t_streams(sizes, "codebook_sizes")
    sizes = {p: sizes[p] for p in M3T_PARTS}
    return SokeVocab.train(texts, sizes, **kwargs)
