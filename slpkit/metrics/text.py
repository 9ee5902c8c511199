"""Back-translation text metrics: BLEU-1..4, chrF, ROUGE-L.

Back-translation scoring as in SOKE Sec. 4 (BLEU-4), DARSLP Tables 1-6 (BLEU-1..4, chrF,
ROUGE) and M3T Sec. 4.1 / Table 2 (BLEU-4, ROUGE-L); ``docs/reference.md``, "Other metrics".
BLEU-1..4 are sacrebleu corpus BLEU without extra tokenisation (``tokenize='none'``: the text is
scored as whitespace-separated tokens), chrF from sacrebleu, ROUGE-L; Chinese is
scored per character (every non-space character becomes a token). SOKE and DARSLP
report these for the back-translated text of generated signing.

- BLEU-n = sacrebleu ``BLEU(max_ngram_order=n)``: brevity penalty times the geometric
  mean of the 1..n-gram precisions with uniform weights 1/n, sacrebleu's default
  ``exp`` smoothing. Scale 0-100. A corpus with no n-grams of order n at all (every
  hypothesis shorter than n tokens) scores BLEU-n = 0, as in sacrebleu.
- chrF: sacrebleu ``CHRF()`` (character 6-grams, beta 2). Scale 0-100.
- ROUGE-L: sentence-level LCS F-measure ``(1+b^2) P R / (R + b^2 P)`` averaged over
  sentences, ``beta=1`` (F1) by default; the coco-caption / signjoey variant uses
  ``beta=1.2``. Scale 0-100.

Tiny example::

    >>> from slpkit.metrics.text import translation_scores
    >>> s = translation_scores(["the cat sat down"], ["the cat sat down"], language="asl")
    >>> round(s["bleu4"]), round(s["rouge_l"])
    (100, 100)
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from sacrebleu.metrics import BLEU, CHRF

from slpkit.checks import check_float, check_int

__all__ = ["tokens", "bleu", "chrf", "rouge_l", "translation_scores", "bleu_statistic", "chrf_statistic", "rouge_l_sentences", "wer",
           "CHAR_LANGUAGES", "WORD_LANGUAGES", "TEXT_LANGUAGES", "text_language"]

#: languages scored per character (sign language code or spoken language code)
CHAR_LANGUAGES = frozenset({"csl", "zh", "zh_csl", "chinese", "cmn"})
#: languages scored by whitespace tokens
WORD_LANGUAGES = frozenset({"asl", "dgs", "en", "de", "en_asl", "de_dgs", "english", "german"})
#: every language code the text metrics know (case-insensitive); ``None`` = whitespace tokens
TEXT_LANGUAGES = tuple(sorted(CHAR_LANGUAGES | WORD_LANGUAGES))


def text_language(language: str | None) -> str | None:
    """The one place text metrics read a language code: ``'char'`` (Chinese, scored per character),
    ``'word'`` (whitespace tokens) or ``None`` (no language given: whitespace tokens).

    An unknown code (``'zh-CN'``, ``'fr'``, a number) raises instead of silently falling back to whitespace
    tokens, which would score Chinese as one token per sentence.
    """
    if language is None:
        return None
    if isinstance(language, str):
        key = language.lower()
        if key in CHAR_LANGUAGES:
            return "char"
        if key in WORD_LANGUAGES:
            return "word"
    raise ValueError(f"language={language!r} is not a language the text metrics know: use a sign-language code "
                     f"('asl', 'csl', 'dgs'), a spoken one ('en', 'zh', 'de') or None (whitespace tokens); "
                     f"accepted: {list(TEXT_LANGUAGES)} (case-insensitive)")


def _per_char(language: str | None) -> bool:
    return text_language(language) == "char"


def tokens(text: str, language: str | None = None) -> list[str]:
    """Tokens as scored: every non-space character for Chinese, else whitespace split."""
    if not isinstance(text, str):
        raise ValueError(f"text={text!r} ({type(text).__name__}): pass a string")
    if _per_char(language):
        return [ch for ch in text if not ch.isspace()]
    return text.split()


def _check(hyps, refs) -> tuple[list[str], list[str]]:
    if isinstance(hyps, str) or isinstance(refs, str):
        raise ValueError("pass lists of sentences (a corpus), not a single string: e.g. bleu([hyp], [ref]).")
    for name, x in (("hyps", hyps), ("refs", refs)):
        if x is None or isinstance(x, dict) or not hasattr(x, "__iter__"):
            raise ValueError(f"{name}={x!r}: pass a list of sentences (one string per sentence), e.g. bleu([hyp], [ref])")
    hyps, refs = list(hyps), list(refs)
    if len(hyps) != len(refs):
        raise ValueError(f"got {len(hyps)} hypotheses but {len(refs)} references; pass one reference per hypothesis.")
    if not hyps:
        raise ValueError("empty corpus: pass at least one (hypothesis, reference) pair.")
    for q, (h, r) in enumerate(zip(hyps, refs)):
        if not isinstance(h, str) or not isinstance(r, str):
            raise ValueError(f"pair {q}: hypotheses and references must be strings, got {type(h).__name__}/{type(r).__name__}.")
    return hyps, refs


def _prep(texts: list[str], language: str | None) -> list[str]:
    return [" ".join(tokens(t, language)) for t in texts]


def bleu(hyps: Sequence[str], refs: Sequence[str], language: str | None = None) -> dict[str, float]:
    """Corpus BLEU-1..4 (0-100) -> ``{'bleu1': ..., 'bleu2': ..., 'bleu3': ..., 'bleu4': ...}``.

    ``language``: 'asl'/'dgs'/'en'/'de' (whitespace tokens) or 'csl'/'zh' (characters); see :func:`text_language`.
    """
    text_language(language)
    hyps, refs = _check(hyps, refs)
    h, r = _prep(hyps, language), _prep(refs, language)
    return {
        f"bleu{n}": float(BLEU(max_ngram_order=n, tokenize="none").corpus_score(h, [r]).score) for n in range(1, 5)
    }


def chrf(hyps: Sequence[str], refs: Sequence[str], language: str | None = None) -> float:
    """Corpus chrF (0-100), sacrebleu defaults (whitespace is ignored, so Chinese is per character)."""
    text_language(language)
    hyps, refs = _check(hyps, refs)
    return float(CHRF().corpus_score(_prep(hyps, language), [_prep(refs, language)]).score)


def _lcs(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l_sentences(hyps: Sequence[str], refs: Sequence[str], language: str | None = None,
                      beta: float = 1.0) -> np.ndarray:
    """Sentence-level ROUGE-L F-measures (0-100), one per pair (:func:`rouge_l` is their mean)."""
    text_language(language)
    beta = check_float(beta, "beta", min=0.0, min_open=True, hint="ROUGE-L's recall weight: 1 (F1) or 1.2 (coco-caption)")
    hyps, refs = _check(hyps, refs)
    out = np.zeros(len(hyps))
    for q, (h, r) in enumerate(zip(hyps, refs)):
        th, tr = tokens(h, language), tokens(r, language)
        lcs = _lcs(th, tr) if th and tr else 0
        if lcs:
            p, rc = lcs / len(th), lcs / len(tr)
            out[q] = 100.0 * (1 + beta**2) * p * rc / (rc + beta**2 * p)
    return out


def rouge_l(hyps: Sequence[str], refs: Sequence[str], language: str | None = None, beta: float = 1.0) -> float:
    """Mean sentence-level ROUGE-L F-measure (0-100) from the longest common subsequence.

    Per sentence: ``P = LCS / len(hyp)``, ``R = LCS / len(ref)``,
    ``F = (1 + beta^2) P R / (R + beta^2 P)`` (0 when LCS = 0 or a side is empty).
    """
    return float(rouge_l_sentences(hyps, refs, language, beta).mean())


def _corpus_statistic(metric, hyps: Sequence[str], refs: Sequence[str], languages: Sequence[str] | str
                      ) -> Callable[[np.ndarray], float]:
    """``f(indices)`` of a sacrebleu corpus metric from per-sentence statistics (see :func:`bleu_statistic`)."""
    hyps, refs = _check(hyps, refs)
    if languages is None or (not isinstance(languages, str) and not hasattr(languages, "__iter__")):
        raise ValueError(f"languages={languages!r}: pass one language code per sentence (or one code for all)")
    langs = [languages] * len(hyps) if isinstance(languages, str) else list(languages)
    if len(langs) != len(hyps):
        raise ValueError(f"{len(hyps)} hypotheses but {len(langs)} languages: pass one language per sentence")
    for lang in set(langs):
        text_language(lang)
    codes = sorted(set(langs))
    lang_id = np.array([codes.index(l) for l in langs])
    stats = None
    for li, lang in enumerate(codes):
        idx = np.nonzero(lang_id == li)[0]
        st = np.asarray(metric._extract_corpus_statistics(_prep([hyps[i] for i in idx], lang),
                                                          [_prep([refs[i] for i in idx], lang)]), dtype=np.float64)
        if stats is None:
            stats = np.zeros((len(hyps), st.shape[1]))
        stats[idx] = st

    n_items = len(hyps)

    def f(indices: np.ndarray) -> float:
        indices = np.asarray(indices)
        if indices.ndim != 1 or indices.size == 0 or not np.issubdtype(indices.dtype, np.integer) \
                or int(indices.min()) < 0 or int(indices.max()) >= n_items:
            raise ValueError(f"indices {indices if indices.size < 8 else indices[:8]}... (dtype {indices.dtype}, shape "
                             f"{indices.shape}): pass a non-empty 1-D array of sentence indices in [0, {n_items})")
        total, n = 0.0, 0
        for li in range(len(codes)):
            sel = indices[lang_id[indices] == li]
            if sel.size:
                total += sel.size * float(metric._compute_score_from_stats(stats[sel].sum(0).tolist()).score)
                n += sel.size
        return total / max(1, n)

    return f


def bleu_statistic(hyps: Sequence[str], refs: Sequence[str], languages: Sequence[str] | str,
                   order: int = 4) -> Callable[[np.ndarray], float]:
    """``f(indices) -> BLEU-order`` of any resample of the sentences, for the paired bootstrap.

    Per-sentence n-gram statistics are extracted once with sacrebleu (``_extract_corpus_statistics``,
    what sacrebleu's own paired bootstrap uses); a resample's corpus BLEU is computed from the summed
    statistics. With several languages the score is the mean of the per-language corpus BLEUs weighted
    by each language's number of sentences in the resample (languages are tokenised differently, so
    they are never pooled), as :func:`slpkit.eval.backtranslation.score_translations` does.
    ``f(np.arange(n))`` equals that overall score.
    """
    order = check_int(order, "order", min=1, max=4, hint="BLEU-1..BLEU-4")
    return _corpus_statistic(BLEU(max_ngram_order=order, tokenize="none"), hyps, refs, languages)


def chrf_statistic(hyps: Sequence[str], refs: Sequence[str], languages: Sequence[str] | str
                   ) -> Callable[[np.ndarray], float]:
    """``f(indices) -> chrF`` of any resample of the sentences (as :func:`bleu_statistic`, sacrebleu's CHRF)."""
    return _corpus_statistic(CHRF(), hyps, refs, languages)


def translation_scores(hyps: Sequence[str], refs: Sequence[str], language: str | None = None) -> dict[str, float]:
    """All back-translation scores: ``bleu1..bleu4``, ``chrf``, ``rouge_l`` (each 0-100)."""
    out = bleu(hyps, refs, language)
    out["chrf"] = chrf(hyps, refs, language)
    out["rouge_l"] = rouge_l(hyps, refs, language)
    return out


def _edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def wer(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]]) -> float:
    """Word error rate (0-100) of token sequences, e.g. recognised glosses against the reference glosses:
    total Levenshtein edits (substitutions + insertions + deletions) / total reference tokens
    (Sign Language Transformers report gloss WER this way).

        >>> wer([["A", "B"]], [["A", "C", "B"]])
        33.33333333333333
    """
    for name, x in (("hyps", hyps), ("refs", refs)):
        if isinstance(x, str) or x is None or not hasattr(x, "__len__"):
            raise ValueError(f"{name}={x!r}: pass a list of token sequences, e.g. wer([['A', 'B']], [['A', 'C']])")
        for i, seq in enumerate(x):
            if isinstance(seq, str) or not hasattr(seq, "__iter__"):
                raise ValueError(f"{name}[{i}]={seq!r} is not a token sequence: pass a list of tokens per sentence, "
                                 f"e.g. {str(seq).split()!r}" if isinstance(seq, str) else
                                 f"{name}[{i}]={seq!r} is not a token sequence: pass a list of tokens per sentence")
    if len(hyps) != len(refs) or not len(hyps):
        raise ValueError(f"pass lists of token sequences of equal length (>= 1): got {len(hyps)} and {len(refs)}")
    edits = sum(_edit_distance(list(h), list(r)) for h, r in zip(hyps, refs))
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("the references hold no tokens: WER is undefined")
    return 100.0 * edits / total
