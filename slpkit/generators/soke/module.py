"""Training and evaluation of the SOKE generator through slpkit's training layer.

Pipeline (SOKE Fig. 2): a trained part-wise tokenizer turns every sentence's V133 motion into per-part codes;
:class:`SokeModule` trains the mBART generator with teacher forcing for one decoding strategy (sequential /
parallel / multihead); :func:`evaluate_generator` generates codes greedily, decodes them to poses with the
tokenizer and scores them with :func:`slpkit.eval.motion.pose_scores` (DTW-JPE / DTW-PA-JPE per part, SOKE
convention, with per-sentence values for the paired bootstrap), back-translation BLEU-4 (``slpkit.eval``) and
latency (seconds per video at batch 1).

Training goes through :func:`slpkit.training.fit` (devices / strategy / precision from the config, resumable)
and trained generators are cached by config + corpus + tokenizer (:func:`slpkit.training.cached`), so the
notebooks that compare against SOKE reuse what notebook 04 trained.

Typical use::

    tok = train_tokenizer(corpus, TokenizerConfig.for_mode("smoke"))
    gen = train_generator(corpus, tok, SokeConfig.for_mode("smoke", decoding="multihead"))
    res = evaluate_generator(gen, tok, corpus.split("test"))
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning.pytorch as pl
import numpy as np
import torch

from slpkit.checks import (check_bool, check_choice, check_heads, check_int, check_int_fields, check_kwargs,
                           check_list, check_pair, check_stage_inputs, check_texts)
from slpkit.config import resolve_device, result_fields, seed_everything
from slpkit.eval.motion import length_stats, mean_pose_baseline, pose_scores
from slpkit.generators.soke import decoding as D
from slpkit.generators.soke.model import STRATEGIES, SokeGenerator, check_strategy, tiny_mbart_config
from slpkit.generators.soke.retrieval import SignDictionary, as_partwise, batch_prompts, build_sign_dictionary
from slpkit.generators.soke.vocab import SokeVocab, normalise_language
from slpkit.metrics.latency import measure_latency
from slpkit.tokenizers.stats import tokenize_clips
from slpkit.training import (TrainConfig, cached, check_same_config, fit, make_loader, read_checkpoint, single_process,
                             state_fingerprint, warmup_cosine_scheduler)

__all__ = ["SokeConfig", "SokeModule", "build_vocab", "train_generator", "load_generator", "evaluate_generator",
           "trivial_baselines", "codes_to_poses", "sentence_codes", "make_examples", "collate", "training_sentences",
           "measure_generation_latency", "generation_latencies", "CACHE_VERSION"]

CACHE_VERSION = 1


@dataclasses.dataclass
class SokeConfig(TrainConfig):
    """Everything that defines a trained SOKE generator.

    ``decoding``: the decoding strategy, 'sequential' | 'parallel' | 'multihead' (``strategy`` is Lightning's, as
    in every slpkit training config); ``lam``: λ of SOKE Eq. 4 (paper 1/3, released code
    0.4); ``stop``: 'any' (paper) | 'body' (released code); ``retrieval``: append dictionary keywords to the
    prompt (SOKE Sec. 3.4); ``languages``: restrict training to some sign languages (monolingual baselines,
    SOKE Table S8), ``None`` = all; ``pretrained``: a local MBart folder (e.g. mBART-large-cc25) instead of a
    tiny model trained from scratch. Training fields (``lr``, ``max_steps``, ``devices``, ...) come from
    :class:`~slpkit.training.TrainConfig`.
    """

    decoding: str = "multihead"
    lam: float = 1 / 3
    stop: str = "any"
    retrieval: bool = False
    languages: tuple | None = None
    text_tokenizer: str = "wordlevel"
    pretrained: str | None = None
    d_model: int = 64
    layers: int = 2
    heads: int = 4
    ffn: int = 128
    dropout: float = 0.1
    input_dropout: float = 0.0
    betas: tuple = (0.9, 0.99)
    bucket: int = 0  # > 1: length-bucketed batches (pools of bucket x batch_size sorted by length)
    max_decode_steps: int = 100
    max_keywords: int = 3
    prompt_steps: int = 10
    # TrainConfig fields, overridden
    lr: float = 2e-3
    warmup_steps: int = 20
    batch_size: int = 16
    max_epochs: int = 40

    def __post_init__(self) -> None:
        if self.strategy in STRATEGIES:
            raise ValueError(f"SokeConfig.strategy={self.strategy!r} is Lightning's training strategy ('auto', 'ddp', "
                             f"...); the decoding strategy is decoding={self.strategy!r}")
        super().__post_init__()
        check_int_fields(self, ("d_model", "layers", "heads", "ffn", "max_decode_steps", "prompt_steps"))
        check_int_fields(self, ("bucket", "max_keywords"), min=0)
        check_strategy(self.decoding)
        D.check_stop(self.stop)
        if isinstance(self.betas, list):
            self.betas = tuple(self.betas)
        if isinstance(self.languages, str):
            raise ValueError(f"SokeConfig.languages={self.languages!r} is a string: pass a tuple, e.g. ('asl',)")
        if self.languages is not None:
            self.languages = tuple(normalise_language(l) for l in self.languages)
            if not self.languages:
                raise ValueError("SokeConfig.languages=(): pass None (all languages) or at least one language")
        if not 0.0 <= float(self.lam) <= 0.5:
            raise ValueError(f"SokeConfig.lam={self.lam}: λ of SOKE Eq. 4 lies in [0, 0.5] (paper 1/3, code 0.4)")
        check_heads(self, heads="heads")
        if not 0.0 <= float(self.dropout) < 1.0 or not 0.0 <= float(self.input_dropout) < 1.0:
            raise ValueError(f"SokeConfig.dropout={self.dropout} / input_dropout={self.input_dropout}: use [0, 1)")
        check_bool(self.retrieval, "SokeConfig.retrieval")
        check_choice(self.text_tokenizer, "SokeConfig.text_tokenizer", ("wordlevel",),
                     "slpkit's TextVocab; a pretrained subword tokenizer comes with pretrained=<folder>")
        self.betas = check_pair(self.betas, "SokeConfig.betas", hint="AdamW's (beta1, beta2), SOKE: (0.9, 0.99)")
        if self.pretrained is not None:
            if not isinstance(self.pretrained, (str, Path)) or not str(self.pretrained):
                raise ValueError(f"SokeConfig.pretrained={self.pretrained!r}: pass a local MBart folder or None")
            positions = _pretrained_positions(self.pretrained)
            if positions is not None and self.max_decode_steps > positions:
                raise ValueError(f"SokeConfig.max_decode_steps={self.max_decode_steps} exceeds the position table of "
                                 f"{self.pretrained} (max_position_embeddings={positions}): use max_decode_steps <= "
                                 f"{positions} ({positions // 3} for sequential decoding of three parts)")

    @classmethod
    def smoke(cls) -> "SokeConfig":
        """Tiny mBART (d 64, 2+2 layers, FFN 128) trained from scratch for 800 steps of batch 32 at lr 5e-3
        (warm-up 50, cosine), length-bucketed batches: ~50 s on one CPU thread for multi-head on the SynthSign
        smoke corpus (sequential decodes 3x longer sequences). Decoding is capped at 48 steps (192 frames;
        SynthSign smoke clips are 60-190 frames). Measured (seed 0, 172 held-out test sentences): 90% stop by
        EOS, generated / reference length correlation 0.75, DTW-JPE 7.0 vs 8.9 for the best text-blind
        baseline; batch 16 at lr 1e-2 (the preset for the 6x smaller corpus) stopped 70% by EOS with length
        correlation 0.1."""
        return cls(max_steps=800, batch_size=32, lr=5e-3, warmup_steps=50, bucket=8, max_decode_steps=48)

    @classmethod
    def full(cls) -> "SokeConfig":
        """mBART-large-cc25-sized (d 1024, 12+12 layers, 16 heads, FFN 4096), AdamW lr 2e-4, batch 32,
        150 epochs (SOKE Sec. 4). Pass ``pretrained=<local mBART folder>`` to fine-tune real weights."""
        return cls(d_model=1024, layers=12, heads=16, ffn=4096, dropout=0.1, lr=2e-4, lr_min=1e-6,
                   warmup_steps=500, batch_size=32, max_epochs=150, bucket=8, precision="bf16-mixed")


def _pretrained_positions(folder: str | Path) -> int | None:
    """``max_position_embeddings`` of a local MBart folder (its ``config.json``), ``None`` if it cannot be read."""
    cfg = Path(folder) / "config.json"
    try:
        return int(json.loads(cfg.read_text())["max_position_embeddings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


#: keyword arguments of the decoding loops that :meth:`SokeModule.generate` passes on
DECODE_KWARGS = ("max_steps", "stop", "use_cache", "as_codes")


def decoder_positions(strategy: str, n_parts: int, max_steps: int) -> int:
    """Decoder positions greedy decoding of ``max_steps`` motion steps uses (what mBART's position table must hold):
    ``n_parts * max_steps`` for sequential decoding (one token per part and step), ``max_steps`` otherwise."""
    return (n_parts if strategy == "sequential" else 1) * int(max_steps)


def _check_sentences(sentences: Any, name: str = "sentences") -> list:
    sents = check_list(sentences, name, what="corpus sentences", example="corpus.split('test')")
    for i, s in enumerate(sents):
        if not all(hasattr(s, a) for a in ("text", "language", "v133")):
            raise ValueError(f"{name}[{i}] is a {type(s).__name__}: pass corpus Sentence objects (text, language, "
                             "v133), e.g. corpus.split('test')")
    return sents


# ---------------------------------------------------------------------------------------------- data
def sentence_codes(tokenizer, sentences: Sequence[Any]) -> list[dict[str, torch.Tensor]]:
    """Per-sentence part-wise codes ``{part: LongTensor (ceil(T/4),)}`` from the tokenizer (eval mode; sentences
    of equal length in one batch, :func:`slpkit.tokenizers.stats.tokenize_clips`)."""
    codes = tokenize_clips(as_partwise(tokenizer), [s.v133 for s in sentences])
    return [{p: torch.from_numpy(c) for p, c in c_.items()} for c_ in codes]


def make_examples(vocab: SokeVocab, sentences: Sequence[Any], codes: Sequence[dict], dictionary: SignDictionary | None = None,
                  max_keywords: int = 3, prompt_steps: int = 10, max_len: int | None = None) -> list[dict]:
    """Training examples: encoder ids (sentence + retrieval prompt + ``</s>``), language id, per-part codes."""
    sentences, codes = list(sentences), list(codes)
    if len(sentences) != len(codes):
        raise ValueError(f"{len(sentences)} sentences but {len(codes)} code dicts: pass one per sentence "
                         "(sentence_codes(tokenizer, sentences))")
    out = []
    for s, c in zip(sentences, codes):
        prompt = batch_prompts(vocab, [s.text], [s.language], dictionary, max_keywords=max_keywords,
                               max_steps=prompt_steps)[0] if dictionary is not None else []
        K = min(len(c[p]) for p in vocab.parts)
        if max_len:
            K = min(K, max_len)
        out.append({"src": vocab.encode_source(s.text, s.language, prompt), "lang": vocab.language_id(s.language),
                    "codes": {p: c[p][:K] for p in vocab.parts}, "K": K})
    return out


def collate(examples: Sequence[dict], pad_id: int, parts: Sequence[str]) -> dict[str, torch.Tensor]:
    B = len(examples)
    S = max(len(e["src"]) for e in examples)
    K = max(e["K"] for e in examples)
    ids = torch.full((B, S), pad_id, dtype=torch.long)
    mask = torch.zeros((B, S), dtype=torch.long)
    batch = {f"codes_{p}": torch.zeros((B, K), dtype=torch.long) for p in parts}
    for i, e in enumerate(examples):
        ids[i, : len(e["src"])] = torch.tensor(e["src"])
        mask[i, : len(e["src"])] = 1
        for p in parts:
            batch[f"codes_{p}"][i, : e["K"]] = e["codes"][p][: e["K"]]
    batch.update(input_ids=ids, attention_mask=mask, lang_ids=torch.tensor([e["lang"] for e in examples]),
                 lengths=torch.tensor([e["K"] for e in examples]))
    return batch


class _Collate:
    """Picklable collate function (DataLoader workers, DDP spawn)."""

    def __init__(self, pad_id: int, parts: Sequence[str]):
        self.pad_id, self.parts = pad_id, tuple(parts)

    def __call__(self, examples):
        return collate(examples, self.pad_id, self.parts)


# ---------------------------------------------------------------------------------------------- module
class SokeModule(pl.LightningModule):
    """Lightning wrapper: teacher-forced loss of ``cfg.decoding``, AdamW + linear warm-up + cosine decay."""

    def __init__(self, model: SokeGenerator, cfg: SokeConfig, dictionary: SignDictionary | None = None):
        super().__init__()
        self.model, self.cfg = model, cfg
        self.dictionary = dictionary
        self.history: list[dict[str, float]] = []
        self.train_seconds, self.from_cache = 0.0, False

    @property
    def vocab(self) -> SokeVocab:
        return self.model.vocab

    def training_step(self, batch, batch_idx):
        out = self.model(batch, self.cfg.decoding)
        self.log("train/loss", out["loss"], prog_bar=True, batch_size=batch["lengths"].shape[0])
        self.history.append({k: float(v.detach()) for k, v in out.items()})
        return out["loss"]

    def validation_step(self, batch, batch_idx):
        out = self.model(batch, self.cfg.decoding)
        self.log("val/loss", out["loss"], prog_bar=True, batch_size=batch["lengths"].shape[0])

    def configure_optimizers(self):
        cfg = self.cfg
        opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)
        return {"optimizer": opt, "lr_scheduler": warmup_cosine_scheduler(
            opt, cfg.warmup_steps, int(self.trainer.estimated_stepping_batches), cfg.lr_min)}

    # -- inference ----------------------------------------------------------------------------------
    def prompts(self, texts: Sequence[str], languages: Sequence[str]) -> list[list[int]] | None:
        if not self.cfg.retrieval or self.dictionary is None:
            return None
        return batch_prompts(self.vocab, texts, languages, self.dictionary, max_keywords=self.cfg.max_keywords,
                             max_steps=self.cfg.prompt_steps)

    def generate(self, texts: Sequence[str], languages: Sequence[str], strategy: str | None = None,
                 **kwargs) -> dict[str, list[torch.Tensor]]:
        """Text -> ``{part: [codes (K_b,)]}`` with the module's strategy / stop rule / retrieval (override by kwargs:
        ``max_steps``, ``stop``, ``use_cache``, ``as_codes``).

        Bad input raises ``ValueError`` naming it: a string instead of a list of texts, an empty or non-string
        text, a language list of another length, unknown keyword arguments, ``max_steps`` that is not a positive
        integer or needs more decoder positions than mBART's position table holds, a sentence (with its retrieval
        prompt) longer than the encoder's position table.
        """
        vocab = self.vocab
        texts, languages = check_texts(texts, languages, normalise=lambda l: normalise_language(l, vocab.languages))
        check_kwargs(kwargs, DECODE_KWARGS, "SokeModule.generate")
        strategy = check_strategy(strategy or self.cfg.decoding)
        kwargs.setdefault("stop", self.cfg.stop)
        kwargs.setdefault("max_steps", self.cfg.max_decode_steps)
        D.check_stop(kwargs["stop"])
        max_steps = kwargs["max_steps"] = check_int(kwargs["max_steps"], "max_steps", min=1,
                                                    hint="motion time steps to decode at most")
        P = int(self.model.config.max_position_embeddings)
        n = len(vocab.parts)
        if decoder_positions(strategy, n, max_steps) > P:
            most = P // (n if strategy == "sequential" else 1)
            raise ValueError(f"max_steps={max_steps}: {strategy} decoding of {n} part(s) needs "
                             f"{decoder_positions(strategy, n, max_steps)} decoder positions but the model's position "
                             f"table holds {P} (max_position_embeddings): use max_steps <= {most}")
        self.model.eval()
        ids, mask, lang = D.encode_batch(self.model, texts, languages, self.prompts(texts, languages))
        if ids.shape[1] > P:
            lens = mask.sum(1)
            i = int(lens.argmax())
            raise ValueError(f"texts[{i}] encodes to {int(lens[i])} tokens (sentence, retrieval prompt and </s>) but the "
                             f"encoder's position table holds {P} (max_position_embeddings): shorten or split the "
                             f"sentence ({texts[i][:40]!r}...)")
        return D.decode(self.model, ids, mask, lang, strategy=strategy, **kwargs)

    # -- persistence ----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Config, generator (:meth:`SokeGenerator.state`), retrieval dictionary and history in one file."""
        path = Path(path)
        d = self.dictionary
        torch.save({"version": CACHE_VERSION, "cfg": dataclasses.asdict(self.cfg), "model": self.model.state(),
                    "dictionary": None if d is None else d.state(),
                    "history": self.history, "train_seconds": self.train_seconds}, path)
        return path


def load_generator(path: str | Path, device: str = "cpu", expect: SokeConfig | None = None) -> SokeModule:
    """Load a generator written by :meth:`SokeModule.save` (what :func:`train_generator` caches), eval mode.

    ``expect``: raise if the file holds a generator of another config. Missing, truncated or foreign files
    raise ``FileNotFoundError`` / ``ValueError`` naming the file.
    """
    def build(ck: dict) -> SokeModule:
        dic = ck.get("dictionary")
        m = SokeModule(SokeGenerator.from_state(ck["model"]), SokeConfig(**ck["cfg"]),
                       dictionary=None if dic is None else SignDictionary.from_state(dic))
        m.history, m.train_seconds = list(ck.get("history", [])), float(ck.get("train_seconds", 0.0))
        return m

    module = read_checkpoint(path, "SOKE generator", CACHE_VERSION, build, train_with="train_generator")
    if expect is not None:
        check_same_config(path, "SOKE generator", result_fields(module.cfg), result_fields(expect))
    return module.to(resolve_device(device)).eval()


def build_vocab(corpus, tokenizer, cfg: SokeConfig) -> SokeVocab:
    """Integrated vocabulary: the tokenizer's streams and codebook sizes + text of the train split."""
    tok = as_partwise(tokenizer)
    sizes = dict(tok.codebook_sizes)
    if cfg.pretrained:
        p = Path(cfg.pretrained)
        if any((p / f).exists() for f in ("tokenizer.json", "sentencepiece.bpe.model", "tokenizer_config.json")):
            return SokeVocab.from_hf_tokenizer(p, sizes)
    texts = [(s.text, s.language) for s in corpus.split("train")]
    words = corpus.words("csl") if "csl" in getattr(corpus, "languages", ()) else ()
    return SokeVocab.train(texts, sizes, kind=cfg.text_tokenizer, jieba_words=words)


def _cache_key(corpus, tokenizer, cfg: SokeConfig, dictionary: SignDictionary | None) -> dict[str, Any]:
    dic = None
    if dictionary is not None:
        dic = {"entries": [(k, {p: c.tolist() for p, c in v.items()}) for k, v in sorted(dictionary.entries.items())],
               "lexicons": dictionary.state()["lexicons"]}
    return {"cfg": result_fields(cfg), "corpus": corpus.fingerprint() if hasattr(corpus, "fingerprint") else None,
            "tokenizer": state_fingerprint(as_partwise(tokenizer)), "dictionary": dic, "version": CACHE_VERSION}


def training_sentences(corpus, languages: Sequence[str] | None) -> list:
    """The train split of ``corpus``, restricted to ``languages`` (``None``: all; SOKE Table S8's monolingual
    baselines); a ``ValueError`` names the corpus' languages when none is left."""
    langs = None if languages is None else set(languages)
    train = [s for s in corpus.split("train") if langs is None or s.language in langs]
    if not train:
        raise ValueError(f"no training sentences for languages {languages}: the corpus has "
                         f"{sorted({s.language for s in corpus.split('train')})}")
    return train


def train_generator(corpus, tokenizer, cfg: SokeConfig | None = None, device: str = "auto",
                    dictionary: SignDictionary | None = None, progress: bool | None = None,
                    cache: bool = True) -> SokeModule:
    """Train a SOKE generator on the train split of ``corpus`` (codes from ``tokenizer``), or load it from the cache.

    Returns the :class:`SokeModule` in eval mode (``.model``, ``.vocab``, ``.dictionary``, ``.history``,
    ``.train_seconds``, ``.from_cache``). With ``cfg.retrieval`` the sign dictionary is built from the corpus
    (its dictionary + spoken lexicons) unless one is passed. Generators over a pretrained mBART folder are not cached.
    """
    cfg = check_stage_inputs(corpus, cfg, SokeConfig)
    as_partwise(tokenizer)
    if cfg.pretrained and not Path(cfg.pretrained).is_dir():
        raise FileNotFoundError(f"SokeConfig.pretrained={cfg.pretrained!r}: no such folder (download the MBart "
                                "checkpoint, e.g. mBART-large-cc25, to a local folder first)")
    if cfg.retrieval and dictionary is None:
        dictionary = build_sign_dictionary(corpus, tokenizer)
    train = training_sentences(corpus, cfg.languages)

    def run(work_dir: Path) -> SokeModule:
        seed_everything(cfg.seed)
        vocab = build_vocab(corpus, tokenizer, cfg)
        examples = make_examples(vocab, train, sentence_codes(tokenizer, train), dictionary if cfg.retrieval else None,
                                 cfg.max_keywords, cfg.prompt_steps, max_len=cfg.max_decode_steps)
        longest_src = max(len(e["src"]) for e in examples)
        need = max(len(vocab.parts) * cfg.max_decode_steps + 2, longest_src + 16)
        if cfg.pretrained:
            model = SokeGenerator.from_pretrained(cfg.pretrained, vocab, lam=cfg.lam)
            model.input_dropout = float(cfg.input_dropout)
        else:
            mcfg = tiny_mbart_config(len(vocab), cfg.d_model, cfg.layers, cfg.heads, cfg.ffn,
                                     max_positions=max(512, need), dropout=cfg.dropout, pad_token_id=vocab.pad_id,
                                     bos_token_id=vocab.bos_id, eos_token_id=vocab.eos_id)
            model = SokeGenerator(vocab, mcfg, lam=cfg.lam, input_dropout=cfg.input_dropout)
        loader = make_loader(examples, [e["K"] for e in examples], cfg.batch_size, bucket=max(1, cfg.bucket),
                             seed=cfg.seed, collate_fn=_Collate(vocab.pad_id, vocab.parts))
        module = SokeModule(model, cfg, dictionary=dictionary if cfg.retrieval else None)
        res = fit(module, loader, cfg, name=f"SOKE {cfg.decoding}{' + retrieval' if cfg.retrieval else ''}",
                  device=device, work_dir=work_dir, progress=progress)
        module.train_seconds = res.seconds
        return module.cpu()

    info: dict = {}
    module = cached("soke", _cache_key(corpus, tokenizer, cfg, dictionary), run, save=lambda m, p: m.save(p),
                    load=lambda p: load_generator(p, "cpu", expect=cfg), enabled=cache and not cfg.pretrained,
                    lock=single_process(cfg), info=info)
    module.from_cache = bool(info.get("hit"))
    return module.to(resolve_device(device)).eval()


# ---------------------------------------------------------------------------------------------- evaluation
def codes_to_poses(tokenizer, codes: dict[str, list[torch.Tensor]]) -> tuple[list[np.ndarray], int]:
    """Decode generated codes to V133 poses, one ``(4K, 133)`` array per sample. A sample that stopped at once
    (K = 0) is decoded from one step of code 0 and counted in the second return value."""
    tok = as_partwise(tokenizer)
    if not isinstance(codes, Mapping) or not codes:
        raise ValueError(f"codes={codes!r:.60}: pass {{part: [LongTensor (K_b,)]}} as generate() returns")
    parts = list(codes)
    missing = [p for p in tok.stream_names if p not in codes] if hasattr(tok, "stream_names") else []
    if missing:
        raise ValueError(f"codes lack stream(s) {missing} of the tokenizer (it has {tok.stream_names}): decode with the "
                         "tokenizer the generator was trained on")
    n = {p: len(codes[p]) for p in parts}
    if len(set(n.values())) != 1:
        raise ValueError(f"codes hold different numbers of samples per part {n}: pass one code sequence per sample "
                         "and part")
    poses, empty = [], 0
    with torch.no_grad():
        for b in range(len(codes[parts[0]])):
            c = {p: codes[p][b] for p in parts}
            if min(len(v) for v in c.values()) == 0:
                empty += 1
                c = {p: torch.zeros(1, dtype=torch.long) for p in parts}
            K = min(len(v) for v in c.values())
            poses.append(tok.decode({p: v[:K] for p, v in c.items()}).cpu().numpy().astype(np.float32))
    return poses, empty


def trivial_baselines(tokenizer, train_sentences: Sequence[Any], sentences: Sequence[Any],
                      pa: bool = False) -> dict[str, dict[str, Any]]:
    """Two text-blind baselines a trained generator must beat, scored like :func:`evaluate_generator`:

    - ``'most_frequent_tokens'``: each part's most frequent training code, repeated for the mean training length
      (in tokens), decoded by the tokenizer;
    - ``'mean_pose'``: the mean training frame (V133), repeated for the mean training length (in frames).

    Returns ``{name: {pose_scores..., 'per_sentence', 'len_err_frames', 'poses'}}`` (DTW-PA-JPE only with ``pa``).
    """
    train_sentences = _check_sentences(train_sentences, "train_sentences")
    sentences = _check_sentences(sentences, "sentences")
    codes = sentence_codes(tokenizer, train_sentences)
    parts = list(codes[0])
    K = max(1, int(round(np.mean([min(len(c[p]) for p in parts) for c in codes]))))
    top = {p: int(np.bincount(np.concatenate([c[p].numpy() for c in codes])).argmax()) for p in parts}
    tok_poses, _ = codes_to_poses(tokenizer, {p: [torch.full((K,), top[p], dtype=torch.long)] for p in parts})
    refs = [np.asarray(s.v133, np.float32) for s in sentences]
    mean = mean_pose_baseline([s.v133 for s in train_sentences], 1)[0]
    out = {}
    for name, pose in (("most_frequent_tokens", tok_poses[0]), ("mean_pose", mean)):
        poses = [pose] * len(refs)
        r: dict[str, Any] = pose_scores(poses, refs, pa=pa)
        r["len_err_frames"] = float(np.mean([abs(len(pose) - len(x)) for x in refs]))
        r["poses"] = poses
        out[name] = r
    return out


def measure_generation_latency(module: SokeModule, texts: Sequence[str], languages: Sequence[str],
                               strategy: str | None = None, repeats: int = 3, **kwargs) -> float:
    """Seconds per video at batch 1 (generation of motion tokens, as SOKE Table 2), mean over ``texts``."""
    return float(np.mean(generation_latencies(module, texts, languages, strategy, repeats, **kwargs)))


def generation_latencies(module: SokeModule, texts: Sequence[str], languages: Sequence[str],
                         strategy: str | None = None, repeats: int = 3, **kwargs) -> np.ndarray:
    """Seconds per video at batch 1 for each text (what :func:`measure_generation_latency` averages): the fastest
    of ``repeats`` runs, which is robust to other processes sharing the CPU (a slower run measures them)."""
    texts, languages = check_texts(texts, languages)
    return np.asarray([measure_latency(module.generate, [t], [l], strategy, repeats=repeats, warmup=0, **kwargs)["min_s"]
                       for t, l in zip(texts, languages)])


def evaluate_generator(module: SokeModule, tokenizer, sentences: Sequence[Any], strategy: str | None = None,
                       backtranslator=None, batch_size: int = 32, latency_samples: int = 4, per_language: bool = True,
                       latency_steps: int | None = None, pa: bool = True, **decode_kwargs) -> dict[str, Any]:
    """Generate for ``sentences`` and score them.

    Returns ``{'dtw_jpe_body', ..., 'dtw_pa_jpe_avg', 'per_sentence': {key: (N,)}, 'bleu4' and
    'bleu4_statistic' (when a back-translator is given), 'latency_s' (batch 1, first ``latency_samples``
    sentences), 'n', 'n_empty', 'mean_len', 'eos_fraction', 'len_err_frames', 'len_corr'
    (:func:`slpkit.eval.motion.length_stats`), 'per_language': {lang: {...}}, 'poses': [...]}``.

    ``latency_steps``: time exactly that many decoding steps per video (``stop='never'``) instead of the model's
    own stopping; compares strategies at equal output length. ``pa=False`` skips DTW-PA-JPE (the slow metric).
    """
    sentences = _check_sentences(sentences)
    batch_size = check_int(batch_size, "batch_size", min=1, hint="sentences generated at once")
    latency_samples = check_int(latency_samples, "latency_samples", min=0, hint="sentences timed at batch 1 (0: none)")
    latency_steps = check_int(latency_steps, "latency_steps", min=1, none_ok=True,
                              hint="decoding steps per timed video, or None for the model's own stopping")
    check_kwargs(decode_kwargs, DECODE_KWARGS, "evaluate_generator")
    codes: dict[str, list[torch.Tensor]] = {p: [] for p in module.vocab.parts}
    for i in range(0, len(sentences), batch_size):
        chunk = sentences[i : i + batch_size]
        out = module.generate([s.text for s in chunk], [s.language for s in chunk], strategy, **decode_kwargs)
        for p in codes:
            codes[p] += out[p]
    poses, empty = codes_to_poses(tokenizer, codes)
    refs = [np.asarray(s.v133, np.float32) for s in sentences]
    res: dict[str, Any] = pose_scores(poses, refs, pa=pa)
    steps = [len(c) for c in codes[module.vocab.parts[0]]]
    res.update(n=len(sentences), n_empty=empty, mean_len=float(np.mean(steps)))
    cap = int(decode_kwargs.get("max_steps", module.cfg.max_decode_steps))
    res.update(length_stats([len(p) for p in poses], [len(r) for r in refs], stopped=[k < cap for k in steps]))
    langs = [s.language for s in sentences]
    if backtranslator is not None:
        bt = backtranslator.score(poses, [s.text for s in sentences], langs, return_hyps=True)
        res["bleu4"], res["bleu4_statistic"], res["hyps"] = float(bt["bleu4"]), bt["bleu4_statistic"], bt["hyps"]
    if per_language:
        res["per_language"] = {}
        for lang in sorted(set(langs)):
            idx = [i for i, l in enumerate(langs) if l == lang]
            r = {k: float(v[idx].mean()) for k, v in res["per_sentence"].items()}
            if backtranslator is not None:
                r["bleu4"] = float(res["bleu4_statistic"](np.asarray(idx)))
            res["per_language"][lang] = r
    if latency_samples:
        k = min(latency_samples, len(sentences))
        lat_kwargs = dict(decode_kwargs)
        if latency_steps:
            lat_kwargs.update(stop="never", max_steps=int(latency_steps))
        module.generate([sentences[0].text], [sentences[0].language], strategy, **lat_kwargs)  # warm-up
        res["latencies_s"] = generation_latencies(module, [s.text for s in sentences[:k]], langs[:k], strategy,
                                                  **lat_kwargs)
        res["latency_s"] = float(res["latencies_s"].mean())
        res["latency_steps"] = latency_steps
    res["poses"] = poses
    return res
