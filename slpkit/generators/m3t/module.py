"""M3T's Sign Motion Language Model (SMLM): training, generation and scoring (M3T Sec. 3.3, App. 0.D.2).

The model is SOKE's generator generalised to four streams (:class:`~slpkit.generators.soke.model.SokeGenerator`
over :data:`~slpkit.generators.m3t.vocab.M3T_PARTS`), configured as M3T describes it:

==========================  ===============================================  ==========================================
M3T                         slpkit                                           SOKE (notebook 04)
==========================  ===============================================  ==========================================
tokens (Sec. 3.2)           FSQ-VAEs, body / lhand / rhand / face (SMPL-FX)  VQ-VAE, body (incl. jaw + 10 expr.) / hands
decoder input (Eq. 8)       equal-weight average of the 4 embeddings (λ=1/4)  (1-2λ)E_B + λE_LH + λE_RH, λ = 1/3
start                       fused modality prompts <ASL_B> ... <ASL_F>       language token en_ASL
output heads (App. 0.D.2)   one linear layer per modality (``'separate'``)   slices of the tied LM head
stop / search               any stream's EOS, greedy, KV cache               same (``stop='any'``)
auxiliary objective (Eq.9)  translation batches with prob. ``p_translation``  —
retrieval                   none (Sec. 4.2: "without external retrieval")    optional (SOKE Sec. 3.4)
==========================  ===============================================  ==========================================

Training goes through :func:`slpkit.training.fit` with the SOKE data pipeline (:func:`~slpkit.generators.soke.module.
make_examples`, the length-bucketed :func:`~slpkit.training.make_loader`); :class:`M3TModule` is a
:class:`~slpkit.generators.soke.module.SokeModule` whose training step draws, per batch, translation (Eq. 9,
:func:`~slpkit.generators.m3t.translation.translation_loss`) with probability ``p_translation`` and production
otherwise. Trained models are cached by config + corpus + tokenizer (:func:`slpkit.training.cached`).

``p_translation``: the paper's value is lost in the text ("randomly sampling (p) production or translation per
batch"; "we alternate them"); slpkit's default 0.5 is the plain reading of "alternate". The run length is not
given either. :meth:`M3TConfig.with_translation` keeps the schedule (same number of batches, a share ``p`` of
them translation: the reading of "alternate" within one training run, and what notebook 09 uses) or, with
``equal_production=True``, keeps the number of *production* batches (``max_steps / (1 - p)`` in all), which
adds the objective instead of replacing production batches by it.

:func:`generate_motion` and :func:`score_motion` serve M3T and SOKE alike (the same decoding loops, the same
scores): poses are split into the V133 (metrics, back-translator) and the face ``F108``; a SOKE generator's face
is the SMPL-X face it can express, :func:`slpkit.body.layouts.face108_from` of its V133 (10 expression
coefficients + jaw, the other 92 entries zero).

Example::

    tok = train_tokenizer(corpus, TokenizerConfig.m3t("smoke"))
    m3t = train_m3t(corpus, tok, M3TConfig.for_mode("smoke"))
    gen = generate_motion(m3t, tok, corpus.split("test"))        # {'v133': [...], 'face108': [...], ...}
    res = score_motion(gen, corpus.split("test"), backtranslator=bt)
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from slpkit.body.layouts import D133, face108_from
from slpkit.config import resolve_device, result_fields, seed_everything
from slpkit.eval.motion import length_stats, motion_variance_ratio, pose_scores
from slpkit.generators.m3t.translation import translation_loss
from slpkit.generators.m3t.vocab import check_m3t_streams
from slpkit.generators.soke.model import HEADS, STARTS, SokeGenerator, check_choice, tiny_mbart_config
from slpkit.generators.soke.module import (SokeConfig, SokeModule, build_vocab, codes_to_poses, collate,
                                           make_examples, training_sentences)
from slpkit.generators.soke.retrieval import as_partwise
from slpkit.metrics.text import rouge_l_sentences
from slpkit.tokenizers.module import clip_poses
from slpkit.tokenizers.stats import tokenize_clips
from slpkit.training import (cached, check_same_config, fit, make_loader, read_checkpoint, single_process,
                             state_fingerprint)

__all__ = ["M3TConfig", "M3TModule", "m3t_codes", "build_m3t_generator", "train_m3t", "load_m3t",
           "generate_motion", "score_motion", "face_variance", "CACHE_VERSION"]

CACHE_VERSION = 1


@dataclasses.dataclass
class M3TConfig(SokeConfig):
    """Everything that defines a trained M3T SMLM: :class:`SokeConfig`'s fields (mBART size, training length,
    ``decoding='multihead'``, ``stop='any'``) with M3T's settings.

    ``lam``: 1/4 = equal-weight fusion of the four embeddings (Sec. 3.3); ``decoder_start``: ``'modality'``
    (fused modality-language prompts) or ``'lang'``; ``output_heads``: ``'separate'`` (App. 0.D.2) or
    ``'shared'`` (SOKE's tied head); ``translation``: train with the auxiliary objective (Eq. 9);
    ``p_translation``: probability that a batch is a translation batch (default 0.5, see the module docstring).
    Smoke / full presets are SOKE's (``SokeConfig.smoke()``: tiny mBART, 800 steps), so M3T and SOKE train at
    the same budget.
    """

    lam: float = 0.25
    decoder_start: str = "modality"
    output_heads: str = "separate"
    translation: bool = False
    p_translation: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("M3TConfig.decoder_start", self.decoder_start, STARTS,
                     "'modality': M3T's fused modality prompts; 'lang': SOKE's language token")
        check_choice("M3TConfig.output_heads", self.output_heads, HEADS,
                     "'separate': M3T's linear layer per modality; 'shared': SOKE's tied LM head")
        if self.retrieval:
            raise ValueError("M3TConfig.retrieval=True: M3T uses no sign dictionary (Sec. 4.2, 'without external "
                             "retrieval'); use SokeConfig for retrieval-enhanced generation")
        if not 0.0 < float(self.p_translation) < 1.0:
            raise ValueError(f"M3TConfig.p_translation={self.p_translation}: use a probability in (0, 1) "
                             "(the share of translation batches; 0.5 = alternate)")

    def with_translation(self, p_translation: float | None = None, equal_production: bool = False) -> "M3TConfig":
        """This config with the translation objective on: the same schedule, a share ``p`` of the batches
        translation. ``equal_production``: scale ``max_steps`` (or ``max_epochs``) by ``1 / (1 - p)`` instead, so the
        expected number of production batches stays that of this config."""
        p = float(self.p_translation if p_translation is None else p_translation)
        over: dict[str, Any] = dict(translation=True, p_translation=p)
        if equal_production and int(self.max_steps) > 0:
            over["max_steps"] = int(math.ceil(int(self.max_steps) / (1.0 - p)))
        elif equal_production:
            over["max_epochs"] = int(math.ceil(int(self.max_epochs) / (1.0 - p)))
        return dataclasses.replace(self, **over)


class M3TModule(SokeModule):
    """Lightning wrapper of the SMLM: each training batch is production (multi-head teacher forcing over the four
    streams) or, with ``cfg.translation``, translation (Eq. 9) with probability ``cfg.p_translation``.

    The draw depends only on ``(seed, global step)``, so every DDP rank picks the same task and a resumed run
    draws what an uninterrupted one would. ``history`` rows carry ``translation`` = 1.0 / 0.0.
    """

    def task(self, step: int) -> str:
        """``'translation'`` or ``'production'`` for optimiser step ``step``."""
        if not self.cfg.translation:
            return "production"
        u = np.random.default_rng([int(self.cfg.seed), int(step), 9]).random()
        return "translation" if u < float(self.cfg.p_translation) else "production"

    def training_step(self, batch, batch_idx):
        task = self.task(self.global_step)
        out = translation_loss(self.model, batch) if task == "translation" else self.model(batch, self.cfg.decoding)
        B = batch["lengths"].shape[0]
        self.log(f"train/{task}_loss", out["loss"], prog_bar=True, batch_size=B)
        row = {k: float(v.detach()) for k, v in out.items()}
        row["translation"] = float(task == "translation")
        self.history.append(row)
        return out["loss"]

    def save(self, path: str | Path) -> Path:
        """Config, generator state and history in one file (:func:`load_m3t`)."""
        path = Path(path)
        torch.save({"kind": "m3t", "version": CACHE_VERSION, "cfg": dataclasses.asdict(self.cfg),
                    "model": self.model.state(), "history": self.history, "train_seconds": self.train_seconds}, path)
        return path


def load_m3t(path: str | Path, device: str = "cpu", expect: M3TConfig | None = None) -> M3TModule:
    """Load what :meth:`M3TModule.save` wrote (eval mode); a missing, foreign or other-config file raises."""
    def build(ck: dict) -> M3TModule:
        m = M3TModule(SokeGenerator.from_state(ck["model"]), M3TConfig(**ck["cfg"]))
        m.history, m.train_seconds = list(ck.get("history", [])), float(ck.get("train_seconds", 0.0))
        return m

    module = read_checkpoint(path, "M3T", CACHE_VERSION, build, kind="m3t", train_with="train_m3t")
    if expect is not None:
        check_same_config(path, "M3T model", result_fields(module.cfg), result_fields(expect))
    return module.to(resolve_device(device)).eval()


# ---------------------------------------------------------------------------------------------- data / model
def m3t_codes(tokenizer, sentences: Sequence[Any], batch_size: int = 64) -> list[dict[str, torch.Tensor]]:
    """Per-sentence codes ``{part: LongTensor (ceil(T/4),)}`` of the four FSQ streams, from ``[V133 | F108]``.

    Sentences of equal length are encoded as one batch (:func:`slpkit.tokenizers.stats.tokenize_clips`)."""
    tok = as_partwise(tokenizer)
    check_m3t_streams(tok.stream_names)
    clips = [clip_poses(s, "m3t") for s in sentences]
    return [{p: torch.from_numpy(c) for p, c in codes.items()} for codes in tokenize_clips(tok, clips, batch_size)]


_CODES_MEMO: dict = {}


def _train_codes(corpus, tok, sentences) -> list[dict[str, torch.Tensor]]:
    """:func:`m3t_codes` of the training sentences, remembered for the last few (tokenizer, corpus, sentences):
    notebook 09 trains two M3T models on the same codes."""
    key = (state_fingerprint(tok), corpus.fingerprint() if hasattr(corpus, "fingerprint") else id(corpus),
           tuple(s.id for s in sentences))
    if key not in _CODES_MEMO:
        while len(_CODES_MEMO) >= 2:
            _CODES_MEMO.pop(next(iter(_CODES_MEMO)))
        _CODES_MEMO[key] = m3t_codes(tok, sentences)
    return _CODES_MEMO[key]


def build_m3t_generator(vocab, cfg: M3TConfig, max_positions: int = 512) -> SokeGenerator:
    """An untrained four-stream :class:`SokeGenerator` of ``cfg`` (or ``cfg.pretrained`` mBART weights)."""
    check_m3t_streams(vocab.parts, "vocabulary")
    kw = dict(lam=cfg.lam, start=cfg.decoder_start, heads=cfg.output_heads)
    if cfg.pretrained:
        model = SokeGenerator.from_pretrained(cfg.pretrained, vocab, **kw)
        model.input_dropout = float(cfg.input_dropout)
        return model
    mcfg = tiny_mbart_config(len(vocab), cfg.d_model, cfg.layers, cfg.heads, cfg.ffn, max_positions=max_positions,
                             dropout=cfg.dropout, pad_token_id=vocab.pad_id, bos_token_id=vocab.bos_id,
                             eos_token_id=vocab.eos_id)
    return SokeGenerator(vocab, mcfg, input_dropout=cfg.input_dropout, **kw)


def _cache_key(corpus, tokenizer, cfg: M3TConfig) -> dict[str, Any]:
    return {"cfg": result_fields(cfg), "corpus": corpus.fingerprint() if hasattr(corpus, "fingerprint") else None,
            "tokenizer": state_fingerprint(as_partwise(tokenizer)), "version": CACHE_VERSION}


def train_m3t(corpus, tokenizer, cfg: M3TConfig | None = None, device: str = "auto", progress: bool | None = None,
              cache: bool = True) -> M3TModule:
    """Train the SMLM on the train split of ``corpus`` (codes of an M3T tokenizer), or load it from the cache.

    Returns the :class:`M3TModule` in eval mode (``.model``, ``.vocab``, ``.history``, ``.train_seconds``,
    ``.from_cache``). A tokenizer without M3T's four streams (e.g. SOKE's) raises a ``ValueError``.
    """
    cfg = cfg or M3TConfig.smoke()
    tok = as_partwise(tokenizer)
    check_m3t_streams(tok.stream_names)
    train = training_sentences(corpus, cfg.languages)

    def run(work_dir: Path) -> M3TModule:
        seed_everything(cfg.seed)
        vocab = build_vocab(corpus, tok, cfg)
        examples = make_examples(vocab, train, _train_codes(corpus, tok, train), None, max_len=cfg.max_decode_steps)
        need = max(len(vocab.parts) * cfg.max_decode_steps + 2, max(len(e["src"]) for e in examples) + 16)
        model = build_m3t_generator(vocab, cfg, max_positions=max(512, need))
        loader = make_loader(examples, [e["K"] for e in examples], cfg.batch_size, bucket=max(1, cfg.bucket),
                             seed=cfg.seed, collate_fn=functools.partial(collate, pad_id=vocab.pad_id,
                                                                         parts=tuple(vocab.parts)))
        module = M3TModule(model, cfg)
        res = fit(module, loader, cfg, name=f"M3T SMLM{' + translation' if cfg.translation else ''}", device=device,
                  work_dir=work_dir, progress=progress)
        module.train_seconds = res.seconds
        return module.cpu()

    info: dict = {}
    module = cached("m3t", _cache_key(corpus, tok, cfg), run, save=lambda m, p: m.save(p),
                    load=lambda p: load_m3t(p, "cpu", expect=cfg), enabled=cache and not cfg.pretrained,
                    lock=single_process(cfg), info=info)
    module.from_cache = bool(info.get("hit"))
    return module.to(resolve_device(device)).eval()


# ---------------------------------------------------------------------------------------------- generation / scores
def generate_motion(module: SokeModule, tokenizer, sentences: Sequence[Any], batch_size: int = 32,
                    **decode_kwargs) -> dict[str, Any]:
    """Generate (greedy, the module's strategy and stop rule) and decode with ``tokenizer``.

    Works for M3T (poses ``(4K, 241)`` split into V133 and F108) and for SOKE (``(4K, 133)``; the face is the
    SMPL-X face :func:`~slpkit.body.layouts.face108_from` of the V133). Returns ``{'v133': [(T_b, 133)],
    'face108': [(T_b, 108)], 'codes': {part: [LongTensor (K_b,)]}, 'steps': [K_b], 'n_empty', 'max_steps'}``.
    """
    sentences = list(sentences)
    if not sentences:
        raise ValueError("no sentences to generate for: pass at least one sentence")
    codes: dict[str, list[torch.Tensor]] = {p: [] for p in module.vocab.parts}
    for i in range(0, len(sentences), batch_size):
        chunk = sentences[i:i + batch_size]
        out = module.generate([s.text for s in chunk], [s.language for s in chunk], **decode_kwargs)
        for p in codes:
            codes[p] += out[p]
    poses, empty = codes_to_poses(tokenizer, codes)
    if poses[0].shape[-1] == D133:
        v133 = poses
        face = [np.asarray(face108_from(p), np.float32) for p in poses]
    else:
        v133 = [np.ascontiguousarray(p[:, :D133]) for p in poses]
        face = [np.ascontiguousarray(p[:, D133:]) for p in poses]
    cap = int(decode_kwargs.get("max_steps", module.cfg.max_decode_steps))
    return {"v133": v133, "face108": face, "codes": codes, "steps": [len(c) for c in codes[module.vocab.parts[0]]],
            "n_empty": empty, "max_steps": cap}


def face_variance(faces: Sequence[np.ndarray], refs: Sequence[np.ndarray]) -> dict[str, float]:
    """Facial expressivity (M3T Fig. 4: "SOKE produces largely static facial outputs"): generated / reference
    temporal variance (:func:`slpkit.eval.motion.motion_variance_ratio`) of the face parameters ``F108``:
    ``'face108'`` all 108, ``'expr100'`` the FLAME-like expression, ``'expr10'`` the 10 coefficients SMPL-X also
    has, ``'jaw'`` the jaw 6D."""
    return {"face108": motion_variance_ratio(faces, refs),
            "expr100": motion_variance_ratio(faces, refs, slice(0, 100)),
            "expr10": motion_variance_ratio(faces, refs, slice(0, 10)),
            "jaw": motion_variance_ratio(faces, refs, slice(102, 108))}


def score_motion(gen: dict[str, Any], sentences: Sequence[Any], backtranslator=None,
                 dtw_index: Sequence[int] | None = None) -> dict[str, Any]:
    """Scores of :func:`generate_motion` output against ``sentences``.

    DTW-JPE / DTW-PA-JPE (:func:`slpkit.eval.motion.pose_scores`, with ``per_sentence``) on the sentences
    ``dtw_index`` (default all: DTW-PA-JPE costs ~0.2 s per sentence on a CPU core); length statistics, the face
    variance ratios (:func:`face_variance`) and, with a back-translator, BLEU-4 / ROUGE-L (+ ``bleu4_statistic``,
    ``rouge_l_per_sentence``, ``hyps``) on all of them.
    """
    sentences = list(sentences)
    n = len(sentences)
    if len(gen["v133"]) != n:
        raise ValueError(f"{len(gen['v133'])} generated sequences for {n} sentences: score what you generated")
    idx = list(range(n)) if dtw_index is None else [int(i) for i in dtw_index]
    refs = [np.asarray(s.v133, np.float32) for s in sentences]
    res: dict[str, Any] = pose_scores([gen["v133"][i] for i in idx], [refs[i] for i in idx])
    res["dtw_index"] = idx
    res.update(n=n, n_dtw=len(idx), n_empty=gen["n_empty"], mean_len=float(np.mean(gen["steps"])))
    res.update(length_stats([len(p) for p in gen["v133"]], [len(r) for r in refs],
                            stopped=[k < gen["max_steps"] for k in gen["steps"]]))
    res["face_variance"] = face_variance(gen["face108"], [s.face108 for s in sentences])
    if backtranslator is not None:
        texts, langs = [s.text for s in sentences], [s.language for s in sentences]
        bt = backtranslator.score(gen["v133"], texts, langs, return_hyps=True)
        res.update(bleu4=float(bt["bleu4"]), rouge_l=float(bt["rouge_l"]), bleu4_statistic=bt["bleu4_statistic"],
                   hyps=bt["hyps"])
        res["rouge_l_per_sentence"] = np.concatenate(
            [rouge_l_sentences([bt["hyps"][i]], [texts[i]], langs[i]) for i in range(n)])
    return res
