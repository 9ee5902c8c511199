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

from slpkit.checks import check_int
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
        if not isinstance(codebook_sizes, Mapping) or not codebook_sizes:
            raise ValueError(f"codebook_sizes={codebook_sizes!r}: pass {{part: size}}, e.g. {dict(SOKE_CODEBOOKS)}")
        self.codebook_sizes = {str(p): check_int(n, f"codebook_sizes[{p!r}]", min=1, hint="codes of that part's "
                                                 "codebook, e.g. 96") for p, n in codebook_sizes.items()}
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
        if isinstance(texts, (str, bytes, dict)) or texts is None or not hasattr(texts, "__iter__"):
            raise ValueError(f"texts={texts!r:.60}: pass (text, language) pairs, e.g. [('the dog runs', 'asl')]")
        pairs = []
        for i, pair in enumerate(texts):
            if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise ValueError(f"texts[{i}]={pair!r:.60}: pass (text, language) pairs, e.g. [('the dog runs', 'asl')]")
            pairs.append((check_text(pair[0]), normalise_language(pair[1], langs)))
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

            if not Path(tok).is_dir():
                raise FileNotFoundError(f"tokenizer folder not found: {tok} (pass a local folder holding a Hugging Face "
                                        "tokenizer, e.g. mBART-large-cc25 downloaded beforehand)")
            try:
                tok = AutoTokenizer.from_pretrained(str(tok), local_files_only=True)
            except Exception as err:
                raise ValueError(f"cannot load a Hugging Face tokenizer from {tokenizer_or_path} "
                                 f"({type(err).__name__}: {err})") from err
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
        try:
            t = torch.as_tensor(codes)
        except (TypeError, ValueError, RuntimeError) as err:
            raise ValueError(f"{part} codes must be integer codebook indices, got {type(codes).__name__} "
                             f"{str(codes)[:40]!r} ({err})") from None
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
        ids = _int_tensor(ids, f"{part} ids")
        if ids.numel() and (int(ids.min()) < start or int(ids.max()) >= stop - 1):
            raise ValueError(f"ids outside {part}'s codes [{start}, {stop - 1})")
        return ids - start

    def language_id(self, language: str) -> int:
        return self.lang_ids[normalise_language(language, self.languages)]

    def part_language_id(self, part: str, language: str) -> int:
        self._check_part(part)
        return self.part_lang_ids[(part, normalise_language(language, self.languages))]

    def id_to_token(self, i: int) -> str:
        if isinstance(i, torch.Tensor) and i.ndim == 0 and not i.is_floating_point() and i.dtype != torch.bool:
            i = int(i)
        i = check_int(i, "token id", min=0, max=self.size - 1, hint=f"ids of this vocabulary are 0..{self.size - 1}")
        if i >= self.text_size:
            return self._added[i - self.text_size]
        if self.is_hf:
            return self.text_tokenizer.convert_ids_to_tokens(int(i))
        return self.text_tokenizer.itos[int(i)]

    def tokens(self, ids: Iterable[int]) -> list[str]:
        """Readable token strings (for teaching: show what the encoder / decoder sees)."""
        return [self.id_to_token(i) for i in _int_tensor(ids, "ids").reshape(-1).tolist()]

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
        i = check_int(i, "i", min=1, hint="keywords are numbered from 1 (' Key word 1, ')")
        marker = KEYWORD_MARKERS.get(language, KEYWORD_MARKERS["asl"]).format(i=i)
        if self.is_hf:
            return list(self.text_tokenizer(marker, add_special_tokens=False)["input_ids"])
        return self.text_tokenizer.encode(marker, language)

    def encode_source(self, text: str, language: str, extra: Sequence[int] = ()) -> list[int]:
        """Encoder input: ``text ids + extra (retrieval prompt ids) + </s>``."""
        extra = _int_tensor(extra, "extra").reshape(-1).tolist() if len(extra) else []
        if extra and (min(extra) < 0 or max(extra) >= self.size):
            raise ValueError(f"extra (prompt ids) range [{min(extra)}, {max(extra)}] lies outside this vocabulary's "
                             f"ids 0..{self.size - 1}: build prompts with prompt_ids(vocab, ...) of the same vocabulary")
        return self.encode_text(text, language) + extra + [self.eos_id]

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
        """Reload a folder written by :meth:`save`; a missing folder raises ``FileNotFoundError``, a foreign or
        truncated one ``ValueError``, both naming it."""
        folder = Path(folder)
        path = folder / "soke_vocab.json"
        if not path.is_file():
            raise FileNotFoundError(f"{folder} is not a saved SOKE vocabulary: {path.name} is missing "
                                    "(write one with SokeVocab.save(folder))")
        try:
            meta = json.loads(path.read_text())
            if meta["is_hf"]:
                return cls.from_hf_tokenizer(folder / "text_tokenizer", meta["codebook_sizes"], meta["languages"])
            return cls(TextVocab.from_dict(meta["text_vocab"]), meta["codebook_sizes"], meta["languages"])
        except FileNotFoundError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"cannot read the SOKE vocabulary {path} ({type(err).__name__}: {err}): save it again "
                             "with SokeVocab.save(folder)") from err

    def to_dict(self) -> dict:
        """Everything needed to rebuild a word-level vocabulary (:meth:`from_dict`); not for HF tokenizers."""
        if self.is_hf:
            raise ValueError("a vocabulary over a Hugging Face tokenizer is saved with save(folder), not to_dict()")
        return {"text_vocab": self.text_tokenizer.to_dict(), "codebook_sizes": self.codebook_sizes,
                "languages": self.languages}

    @classmethod
    def from_dict(cls, d: Mapping) -> "SokeVocab":
        try:
            return cls(TextVocab.from_dict(d["text_vocab"]), d["codebook_sizes"], d["languages"])
        except (KeyError, TypeError) as err:
            raise ValueError(f"not a SokeVocab description (missing {err}): expected SokeVocab.to_dict() output") from err

    # ------------------------------------------------------------------ checks
    def _check_part(self, part: str) -> int:
        if part not in self.codebook_sizes:
            raise ValueError(f"unknown part {part!r}: this vocabulary has parts {list(self.parts)}")
        return self.codebook_sizes[part]


def _int_tensor(x, name: str) -> torch.Tensor:
    """Integer ids as a long tensor; floats (1.7), bools and strings raise instead of being truncated."""
    try:
        t = torch.as_tensor(x)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"{name} must be integer ids, got {type(x).__name__} {str(x)[:40]!r} ({err})") from None
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{name} must be integer ids, got dtype {t.dtype}: cast them with .long() yourself if "
                         "that is what you mean")
    return t.long()


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

