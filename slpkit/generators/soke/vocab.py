"""SOKE integrated vocabulary: text tokens + part-wise motion tokens + language tokens (SOKE Sec. 3.3).

One id space shared by the encoder and the decoder of the mBART backbone::

    [0, text_size)              text tokens (specials <pad> <s> </s> <unk> first when trained here,
                                or the mBART tokenizer's own ids when built from a pretrained tokenizer)
    language tokens             en_ASL zh_CSL de_DGS             (start the decoder: sequential, multi-head)
    part-language tokens        <body_en_ASL> <lhand_en_ASL> ... (start each stream of parallel decoding)
    per part, contiguous:       <body_0> ... <body_{N-1}> <body_eos>, then <lhand_0> ... <lhand_eos>, ...

Every part's motion codes *and* its end-of-sequence token lie in one contiguous id range
(:meth:`SokeVocab.part_range`), so "logits masked to the part's vocabulary" (what SOKE's code does) equals
"argmax / softmax over that slice of the logits" - the decoders use the slice, :func:`part_mask` gives the
boolean mask for teaching and tests.

Text: slpkit's one word-level :class:`~slpkit.data.vocab.TextVocab` trained on the corpus text (lower-cased,
Chinese segmented into words with jieba and the corpus lexicon), whose language tokens start the decoder; or any
Hugging Face tokenizer (e.g. mBART's own sentencepiece tokenizer from a local folder) through
:meth:`SokeVocab.from_hf_tokenizer`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import torch

from slpkit.data.text import LANG_TOKENS
from slpkit.data.vocab import TextVocab

PARTS: tuple[str, ...] = ("body", "lhand", "rhand")
#: Default SOKE codebook sizes (SOKE Sec. 4 implementation details).
SOKE_CODEBOOKS: dict[str, int] = {"body": 96, "lhand": 192, "rhand": 192}
#: Retrieval prompt keyword markers per language (SOKE's public code).
KEYWORD_MARKERS: dict[str, str] = {"asl": " Key word {i}, ", "csl": " 关键词 {i}, ", "dgs": " Schlüsselwort {i}, "}


def _lang_tokens() -> dict[str, str]:
    return dict(LANG_TOKENS)


def check_text(text: str) -> str:
    """Raise a clear ``ValueError`` for empty / blank / non-string text."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}: {text!r}")
    if not text.strip():
        raise ValueError("text is empty: pass a sentence in the spoken language to sign (e.g. 'the weather is cold').")
    return text


class SokeVocab:
    """Integrated vocabulary of the SOKE generator.

    Parameters
    ----------
    text_tokenizer:
        a :class:`~slpkit.data.vocab.TextVocab` (trained here, see :meth:`train`) or a Hugging Face
        ``PreTrainedTokenizer(Fast)`` (see :meth:`from_hf_tokenizer`).
    codebook_sizes:
        ``{part: N}`` in decoding order; the first part is the "body" stream that drives the
        ``stop='body'`` rule. SOKE: ``{'body': 96, 'lhand': 192, 'rhand': 192}``; a whole-body tokenizer gives
        ``{'whole': N}``, a two-part one e.g. ``{'body': Nb, 'hands': Nh}``.
    languages:
        ``{'asl': 'en_ASL', ...}`` (default: :data:`slpkit.data.text.LANG_TOKENS`).
    """

    def __init__(self, text_tokenizer, codebook_sizes: Mapping[str, int] = SOKE_CODEBOOKS,
                 languages: Mapping[str, str] | None = None):
        self.text_tokenizer = text_tokenizer
        self.is_hf = not isinstance(text_tokenizer, TextVocab)
        self.codebook_sizes = {str(p): int(n) for p, n in codebook_sizes.items()}
        if not self.codebook_sizes or any(n < 1 for n in self.codebook_sizes.values()):
            raise ValueError(f"codebook_sizes must map each part to a positive size, got {dict(codebook_sizes)}")
        self.parts: tuple[str, ...] = tuple(self.codebook_sizes)
        self.languages: dict[str, str] = dict(languages or _lang_tokens())

        if self.is_hf:
            tok = text_tokenizer
            self.text_size = len(tok)
            self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else 1
            self.bos_id = tok.bos_token_id if tok.bos_token_id is not None else self.pad_id
            self.eos_id = tok.eos_token_id if tok.eos_token_id is not None else self.pad_id
            self.unk_id = tok.unk_token_id if tok.unk_token_id is not None else self.pad_id
        else:
            tok = text_tokenizer
            self.text_size = len(tok)
            self.pad_id, self.bos_id, self.eos_id, self.unk_id = tok.pad_id, tok.bos_id, tok.eos_id, tok.unk_id

        # --- added tokens, after the text vocabulary ---------------------------------------------------
        self._added: list[str] = []

        def add(tok: str) -> int:
            self._added.append(tok)
            return self.text_size + len(self._added) - 1

        if self.is_hf or set(self.languages.items()) - set(text_tokenizer.languages.items()):
            self.lang_ids: dict[str, int] = {lang: add(t) for lang, t in self.languages.items()}
        else:  # the text vocabulary's own language tokens start the decoder
            self.lang_ids = {lang: text_tokenizer.language_id(lang) for lang in self.languages}
        self.part_lang_ids: dict[tuple[str, str], int] = {
            (p, lang): add(f"<{p}_{t}>") for p in self.parts for lang, t in self.languages.items()
        }
        self._ranges: dict[str, tuple[int, int]] = {}
        self.part_eos: dict[str, int] = {}
        for p, n in self.codebook_sizes.items():
            start = add(f"<{p}_0>")
            for i in range(1, n):
                add(f"<{p}_{i}>")
            self.part_eos[p] = add(f"<{p}_eos>")
            self._ranges[p] = (start, self.part_eos[p] + 1)
        self.motion_range: tuple[int, int] = (self._ranges[self.parts[0]][0], self._ranges[self.parts[-1]][1])
        self.size = self.text_size + len(self._added)

    # ------------------------------------------------------------------ construction
    @classmethod
    def train(cls, texts: Iterable[tuple[str, str]], codebook_sizes: Mapping[str, int] = SOKE_CODEBOOKS,
              kind: str = "wordlevel", languages: Mapping[str, str] | None = None,
              include_markers: bool = True, jieba_words: Iterable[str] = ()) -> "SokeVocab":
        """Build the word-level text vocabulary from ``(text, language)`` pairs (lower-cased; Chinese segmented
        with jieba, ``jieba_words`` added to its dictionary so words match the sign glosses).

        The retrieval keyword markers (" Key word 1, " ...) are added to the vocabulary so prompts never hit
        ``<unk>``. ``kind`` must be ``'wordlevel'`` (slpkit has one text vocabulary; use
        :meth:`from_hf_tokenizer` for a pretrained subword tokenizer).
        """
        if kind != "wordlevel":
            raise ValueError(f"unknown text tokenizer kind {kind!r}: use 'wordlevel' (slpkit's TextVocab), or "
                             "SokeVocab.from_hf_tokenizer(path) for a pretrained subword tokenizer")
        langs = dict(languages or _lang_tokens())
        pairs = [(check_text(t), normalise_language(l, langs)) for t, l in texts]
        if not pairs:
            raise ValueError("no training text: pass (text, language) pairs from the corpus")
        if include_markers:
            seen = {l for _, l in pairs}
            pairs += [(marker.format(i=i), lang) for lang, marker in KEYWORD_MARKERS.items() if lang in seen
                      for i in range(1, 4)]
        text = TextVocab.build([t for t, _ in pairs], [l for _, l in pairs], lowercase=True, zh="jieba",
                               jieba_words=jieba_words)
        return cls(text, codebook_sizes, langs)

    @classmethod
    def from_hf_tokenizer(cls, tokenizer_or_path, codebook_sizes: Mapping[str, int] = SOKE_CODEBOOKS,
                          languages: Mapping[str, str] | None = None) -> "SokeVocab":
        """Use a Hugging Face tokenizer (object or local folder, e.g. mBART's sentencepiece one) for the text
        part; motion and language tokens are appended after its ``len(tokenizer)`` ids."""
        tok = tokenizer_or_path
        if isinstance(tok, (str, Path)):
            from transformers import AutoTokenizer  # optional heavy dependency: only pretrained HF tokenizers need it

            tok = AutoTokenizer.from_pretrained(str(tok), local_files_only=True)
        return cls(tok, codebook_sizes, languages)

    # ------------------------------------------------------------------ ids
    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        parts = ", ".join(f"{p}: {self._ranges[p][0]}..{self._ranges[p][1] - 1}" for p in self.parts)
        return f"SokeVocab(size={self.size}, text={self.text_size}, languages={list(self.languages)}, {parts})"

    def part_range(self, part: str) -> tuple[int, int]:
        """``(start, stop)`` ids of ``part``: codes ``start..stop-2`` then ``<part_eos>`` at ``stop-1``."""
        self._check_part(part)
        return self._ranges[part]

    def part_mask(self, part: str, device: torch.device | str | None = None) -> torch.Tensor:
        """Boolean ``(V,)`` mask, True on ``part``'s motion tokens and its EOS (what that head may emit)."""
        start, stop = self.part_range(part)
        mask = torch.zeros(self.size, dtype=torch.bool, device=device)
        mask[start:stop] = True
        return mask

    def codes_to_ids(self, part: str, codes: torch.Tensor | Sequence[int]) -> torch.Tensor:
        """Part-local codebook indices ``0..N-1`` -> vocabulary ids."""
        n = self._check_part(part)
        t = torch.as_tensor(codes)
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise ValueError(f"{part} codes must be integer codebook indices, got dtype {t.dtype}: round or cast "
                             "them with .long() yourself if that is what you mean")
        codes = t.long()
        if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= n):
            raise ValueError(f"{part} codes must lie in [0, {n}), got range [{int(codes.min())}, {int(codes.max())}]")
        return codes + self._ranges[part][0]

    def ids_to_codes(self, part: str, ids: torch.Tensor) -> torch.Tensor:
        """Vocabulary ids of ``part`` -> part-local codebook indices (EOS is not a code: strip it first)."""
        start, stop = self.part_range(part)
        ids = torch.as_tensor(ids, dtype=torch.long)
        if ids.numel() and (int(ids.min()) < start or int(ids.max()) >= stop - 1):
            raise ValueError(f"ids outside {part}'s codes [{start}, {stop - 1})")
        return ids - start

    def language_id(self, language: str) -> int:
        return self.lang_ids[normalise_language(language, self.languages)]

    def part_language_id(self, part: str, language: str) -> int:
        self._check_part(part)
        return self.part_lang_ids[(part, normalise_language(language, self.languages))]

    def id_to_token(self, i: int) -> str:
        if i >= self.text_size:
            return self._added[i - self.text_size]
        if self.is_hf:
            return self.text_tokenizer.convert_ids_to_tokens(int(i))
        return self.text_tokenizer.itos[int(i)]

    def tokens(self, ids: Iterable[int]) -> list[str]:
        """Readable token strings (for teaching: show what the encoder / decoder sees)."""
        return [self.id_to_token(int(i)) for i in ids]

    # ------------------------------------------------------------------ text
    def encode_text(self, text: str, language: str) -> list[int]:
        """Text ids (no special tokens); Chinese is pre-segmented with jieba."""
        language = normalise_language(language, self.languages)
        check_text(text)
        if self.is_hf:
            return list(self.text_tokenizer(text, add_special_tokens=False)["input_ids"])
        return self.text_tokenizer.encode(text, language)

    def encode_marker(self, language: str, i: int) -> list[int]:
        """Ids of the retrieval keyword marker ``" Key word {i}, "`` in ``language``."""
        language = normalise_language(language, self.languages)
        marker = KEYWORD_MARKERS.get(language, KEYWORD_MARKERS["asl"]).format(i=i)
        if self.is_hf:
            return list(self.text_tokenizer(marker, add_special_tokens=False)["input_ids"])
        return self.text_tokenizer.encode(marker, language)

    def encode_source(self, text: str, language: str, extra: Sequence[int] = ()) -> list[int]:
        """Encoder input: ``text ids + extra (retrieval prompt ids) + </s>``."""
        return self.encode_text(text, language) + list(extra) + [self.eos_id]

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.is_hf:
            self.text_tokenizer.save_pretrained(str(folder / "text_tokenizer"))
        meta = {"codebook_sizes": self.codebook_sizes, "languages": self.languages, "is_hf": self.is_hf,
                "text_vocab": None if self.is_hf else self.text_tokenizer.to_dict()}
        (folder / "soke_vocab.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "SokeVocab":
        folder = Path(folder)
        meta = json.loads((folder / "soke_vocab.json").read_text())
        if meta["is_hf"]:
            return cls.from_hf_tokenizer(folder / "text_tokenizer", meta["codebook_sizes"], meta["languages"])
        return cls(TextVocab.from_dict(meta["text_vocab"]), meta["codebook_sizes"], meta["languages"])

    def to_dict(self) -> dict:
        """Everything needed to rebuild a word-level vocabulary (:meth:`from_dict`); not for HF tokenizers."""
        if self.is_hf:
            raise ValueError("a vocabulary over a Hugging Face tokenizer is saved with save(folder), not to_dict()")
        return {"text_vocab": self.text_tokenizer.to_dict(), "codebook_sizes": self.codebook_sizes,
                "languages": self.languages}

    @classmethod
    def from_dict(cls, d: Mapping) -> "SokeVocab":
        return cls(TextVocab.from_dict(d["text_vocab"]), d["codebook_sizes"], d["languages"])

    # ------------------------------------------------------------------ checks
    def _check_part(self, part: str) -> int:
        if part not in self.codebook_sizes:
            raise ValueError(f"unknown part {part!r}: this vocabulary has parts {list(self.parts)}")
        return self.codebook_sizes[part]


def normalise_language(language: str, languages: Mapping[str, str] | None = None) -> str:
    """``'asl'`` or its target token ``'en_ASL'`` -> ``'asl'``; anything else -> ``ValueError`` listing the valid ones."""
    langs = dict(languages or _lang_tokens())
    if isinstance(language, str):
        if language in langs:
            return language
        for k, tok in langs.items():
            if language == tok:
                return k
        if language.lower() in langs:
            return language.lower()
    valid = ", ".join(f"{k!r} ({t})" for k, t in langs.items())
    raise ValueError(f"unknown sign language {language!r}: valid languages are {valid}")

