"""SignSparK end to end: train the flow model through slpkit's training layer and generate for the three tasks.

SignSparK (Fig. 3): 3D features -> FAST keyframe selection -> conditional flow matching (CFM) synthesis.
One :class:`CFMModule` serves all tasks (keyframes are dropped for 10% of the training sequences, text for
another independent 10%, so the same network is also a text-only and an unconditional model):

==========  ====================================================================================
task        conditioning at sampling time
==========  ====================================================================================
GF-T2P      text only; length from the :class:`~.model.LengthPredictor` (Table 1 "no KF")
SR-T2P      text + keyframes of the words' dictionary citation forms (SOKE's sign dictionary),
            segmented by FAST and placed on the timeline (:mod:`.retrieval`; Table 1 "SR-T2P")
KF2P        text + the reference sequence's own keyframes and length (Table 2)
==========  ====================================================================================

Frames are SignSparK's 296-dim rot6D vectors (:mod:`.features`), normalised per dimension with train
statistics (``(x - mean) / max(std, min_std)``); generated frames go back to V133 (:func:`to_v133`) for
every slpkit metric. Training keyframes come from the reference BIO tags of SynthSign (SignSparK mines
them with FAST on real data, where no labels exist).

    cfg = CFMConfig.for_mode("smoke", seed=0)
    model = train_cfm(corpus, cfg)                                  # cached by config + corpus
    feats = model.sample(["The dog runs."], ["asl"])                # GF-T2P, list of (T, 296)
    feats = kf2p(model, corpus.split("test"))                      # KF2P with reference keyframes
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Sequence

import lightning.pytorch as pl
import numpy as np
import torch
from torch.utils.data import StackDataset

from slpkit.checks import check_int_fields, check_motion
from slpkit.config import SCALE_OUT_FIELDS, resolve_device, seed_everything
from slpkit.data.datamodule import pad_motion
from slpkit.generators.signspark import text as textvocab
from slpkit.generators.signspark.features import FEATURE_DIM, StageConfig, features_to_v133, sentence_features
from slpkit.generators.signspark.flow import SOLVERS, LossWeights, cfm_loss, guided_field, impose_keyframes, sample_time, solve
from slpkit.generators.signspark.keyframes import check_keyframes, sentence_keyframes
from slpkit.generators.signspark.model import FlowNet, FlowNetConfig, LengthPredictor
from slpkit.training import cached, fit, make_loader, read_checkpoint, single_process, warmup_cosine_scheduler

__all__ = ["CFMConfig", "CFMModule", "train_cfm", "cfm_key", "CACHE_VERSION", "kf2p", "gf_t2p", "sr_t2p", "to_v133",
           "check_request", "dtw_jpe_scores"]

CACHE_VERSION = 2


# ------------------------------------------------------------------------------------------------ config
@dataclasses.dataclass
class CFMConfig(StageConfig, FlowNetConfig):
    """SignSparK's flow model. Loss weights, time range, CFG dropout and solver follow SignSparK's public code;
    network sizes are slpkit's (the paper gives none). ``smoke()``: d 64, 3 layers, a few hundred steps on a CPU;
    ``full()``: d 256, 6 layers. The network's fields (``d_model``, ``layers``, ``keyframe_input``, ...) are
    :class:`~slpkit.generators.signspark.model.FlowNetConfig`'s, inherited; :meth:`net_config` hands them on."""

    t_eps: float = 1e-3  # t ~ U(t_eps, 1)
    w_flow: float = 0.5
    w_recon: float = 1.0
    w_velocity: float = 0.5
    w_acceleration: float = 0.1
    p_drop_text: float = 0.1  # CFG condition dropout, independent for text and keyframes
    p_drop_keyframes: float = 0.1
    length_weight: float = 1.0  # weight of the length predictor's loss (separate parameters)
    solver: str = "euler"
    steps: int = 50
    guidance_scale: float = 1.0
    # TrainConfig fields, overridden
    batch_size: int = 32
    max_steps: int = 20000
    lr: float = 3e-4
    warmup_steps: int = 500

    def __post_init__(self) -> None:
        super().__post_init__()
        FlowNetConfig.__post_init__(self)  # the network's fields
        name = type(self).__name__

        def bad(field: str, hint: str) -> ValueError:
            return ValueError(f"{name}.{field}={getattr(self, field)!r}: {hint}")

        if int(self.dim) != FEATURE_DIM:
            raise bad("dim", f"SignSparK's frame features have {FEATURE_DIM} channels (slpkit.generators.signspark."
                             "features): leave dim at its default")
        check_int_fields(self, ("steps",))
        for f in ("p_drop_text", "p_drop_keyframes"):
            if not 0.0 <= float(getattr(self, f)) < 1.0:
                raise bad(f, "use a probability in [0, 1)")
        if not 0.0 <= float(self.t_eps) < 1.0:
            raise bad("t_eps", "use a small non-negative number below 1 (SignSparK: ~1e-3)")
        for f in ("w_flow", "w_recon", "w_velocity", "w_acceleration", "length_weight"):
            if float(getattr(self, f)) < 0:
                raise bad(f, "use a non-negative loss weight")
        if self.solver not in SOLVERS:
            raise bad("solver", f"use one of {SOLVERS}")
        if not float(self.guidance_scale) >= 0:
            raise bad("guidance_scale", "use a non-negative scale (1 = no guidance)")

    @classmethod
    def smoke(cls) -> "CFMConfig":
        return cls(d_model=64, n_heads=4, layers=3, ff_dim=128, text_layers=1, dropout=0.0, batch_size=8,
                   max_steps=300, lr=2e-3, lr_min=1e-4, warmup_steps=30, weight_decay=0.0)

    @classmethod
    def full(cls) -> "CFMConfig":
        return cls(d_model=256, n_heads=8, layers=6, ff_dim=1024, text_layers=3, dropout=0.1, batch_size=64,
                   max_steps=40000, lr=2e-4, warmup_steps=1000)

    def net_config(self) -> FlowNetConfig:
        """The :class:`FlowNet` sizes of this config (its :class:`FlowNetConfig` fields)."""
        return FlowNetConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(FlowNetConfig)})

    def loss_weights(self) -> LossWeights:
        return LossWeights(self.w_flow, self.w_recon, self.w_velocity, self.w_acceleration)


# ------------------------------------------------------------------------------------------------ data
# ------------------------------------------------------------------------------------------------ module
class CFMModule(pl.LightningModule):
    """SignSparK's CFM (training step, sampling for GF-T2P / SR-T2P / KF2P); frames in raw rot6D features."""

    def __init__(self, cfg: CFMConfig | dict, vocab: dict, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.cfg = cfg if isinstance(cfg, CFMConfig) else CFMConfig(**cfg)
        self.vocab = textvocab.vocab_from_state(vocab)  # ``vocab``: textvocab.vocab_state(...) of the train texts
        self.net = FlowNet(self.cfg.net_config(), len(self.vocab))
        self.length = LengthPredictor(len(self.vocab))
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, np.float32)))
        self.register_buffer("std", torch.as_tensor(np.maximum(np.asarray(std, np.float32), self.cfg.min_std)))
        self.history: list[dict[str, float]] = []

    # -- data -----------------------------------------------------------------------------------
    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean

    def encode_text(self, texts: Sequence[str], languages: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        ids, mask = textvocab.encode(self.vocab, texts, languages, max_len=self.cfg.max_text_len)
        return ids.to(self.device), mask.to(self.device)

    def collate(self, items) -> dict[str, Any]:
        feats, texts, langs, kfs = zip(*items)
        x, mask = pad_motion(feats)
        kf = torch.zeros_like(mask)
        for j, k in enumerate(kfs):
            kf[j, torch.as_tensor(np.asarray(k, np.int64))] = True
        ids, idm = textvocab.encode(self.vocab, texts, langs, max_len=self.cfg.max_text_len)
        return {"x": x, "mask": mask, "kf": kf & mask, "ids": ids, "ids_mask": idm,
                "lengths": mask.sum(1).float()}

    # -- training -------------------------------------------------------------------------------
    def losses(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        c = self.cfg
        x1 = self.normalise(batch["x"]) * batch["mask"][..., None]
        m = batch["mask"]
        B = x1.shape[0]
        drop_text = torch.rand(B, device=x1.device) < c.p_drop_text
        drop_kf = torch.rand(B, device=x1.device) < c.p_drop_keyframes
        kf = batch["kf"] & ~drop_kf[:, None]
        x0 = impose_keyframes(torch.randn_like(x1), x1, kf)
        t = sample_time(B, c.t_eps, device=x1.device)
        tt = t[:, None, None]
        x_t = impose_keyframes(tt * x1 + (1 - tt) * x0, x1, kf)
        mem, mem_mask = self.net.encode_text(batch["ids"], batch["ids_mask"], drop=drop_text)
        v = self.net(x_t, t, m, mem, mem_mask, x1, kf)
        terms = cfm_loss(v, x0, x1, t, m, c.loss_weights())
        log_len = self.length(batch["ids"], batch["ids_mask"])
        terms["length"] = torch.nn.functional.mse_loss(log_len, torch.log(batch["lengths"]))
        terms["total"] = terms["loss"] + c.length_weight * terms["length"]
        return terms

    def training_step(self, batch, batch_idx):
        terms = self.losses(batch)
        self.log("train_loss", terms["loss"], prog_bar=True, batch_size=len(batch["x"]))
        if batch_idx % 10 == 0:
            self.history.append({k: float(v.detach()) for k, v in terms.items()})
        return terms["total"]

    def validation_step(self, batch, batch_idx):
        g = torch.random.get_rng_state()
        torch.manual_seed(1234 + batch_idx)  # the same noise and times at every validation
        terms = self.losses(batch)
        torch.random.set_rng_state(g)
        self.log("val_loss", terms["loss"], batch_size=len(batch["x"]))

    def configure_optimizers(self):
        c = self.cfg
        opt = torch.optim.AdamW(self.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        return {"optimizer": opt, "lr_scheduler": warmup_cosine_scheduler(
            opt, c.warmup_steps, int(self.trainer.estimated_stepping_batches), c.lr_min)}

    # -- generation -----------------------------------------------------------------------------
    @torch.no_grad()
    def predict_lengths(self, texts: Sequence[str], languages: Sequence[str]) -> list[int]:
        """GF-T2P lengths in frames from the text (the length predictor)."""
        ids, mask = self.encode_text(texts, languages)
        return [int(n) for n in self.length.frames(ids, mask, max_frames=self.cfg.max_frames).tolist()]

    @torch.no_grad()
    def sample(self, texts: Sequence[str], languages: Sequence[str], lengths: Sequence[int] | None = None,
               keyframes: Sequence[Sequence[int] | None] | None = None,
               keyframe_values: Sequence[np.ndarray | None] | None = None, solver: str | None = None,
               steps: int | None = None, guidance_scale: float | None = None, seed: int = 0,
               batch_size: int = 64, use_text: bool = True) -> list[np.ndarray]:
        """Generate ``(T_i, 296)`` raw rot6D frames per request (see :func:`check_request` for the contract).

        ``keyframes[i]`` / ``keyframe_values[i]``: sorted frame indices and their ``(K, 296)`` frames (``None`` =
        text only). ``lengths`` default: the length predictor. ``use_text=False`` conditions on keyframes only.
        Solver, steps and guidance scale default to the config's. Requests are batched by length (``batch_size`` at a
        time); the noise comes from ``seed`` (and the batch composition).
        """
        c = self.cfg
        solver = c.solver if solver is None else solver
        steps = c.steps if steps is None else int(steps)
        scale = c.guidance_scale if guidance_scale is None else float(guidance_scale)
        texts, languages = list(texts), list(languages)
        n = len(texts)
        keyframes = [None] * n if keyframes is None else list(keyframes)
        keyframe_values = [None] * n if keyframe_values is None else list(keyframe_values)
        if lengths is None:
            lengths = [None] * n
        lengths = list(lengths)
        if not (len(languages) == len(keyframes) == len(keyframe_values) == len(lengths) == n):
            raise ValueError(f"{n} texts, {len(languages)} languages, {len(lengths)} lengths, {len(keyframes)} keyframe "
                             f"lists and {len(keyframe_values)} value arrays: pass one of each per request")
        need = [i for i, L in enumerate(lengths) if L is None]
        if need:
            pred = self.predict_lengths([texts[i] for i in need], [languages[i] for i in need])
            for i, L in zip(need, pred):
                lengths[i] = L
        reqs = [check_request(texts[i], languages[i], lengths[i], keyframes[i], keyframe_values[i], use_text,
                              c.max_frames, index=i) for i in range(n)]
        was = self.training
        self.eval()
        out: list[np.ndarray | None] = [None] * n
        gen = torch.Generator().manual_seed(int(seed))
        order = sorted(range(n), key=lambda i: reqs[i]["length"])  # similar lengths share a batch: less padding
        try:
            for b0 in range(0, n, int(batch_size)):
                idx = order[b0: b0 + int(batch_size)]
                for i, y in zip(idx, self._sample_batch([reqs[i] for i in idx], solver, steps, scale, gen, use_text)):
                    out[i] = y
        finally:
            self.train(was)
        return out

    def _sample_batch(self, reqs, solver, steps, scale, gen, use_text):
        dev = self.device
        B = len(reqs)
        T = max(r["length"] for r in reqs)
        lengths = torch.tensor([r["length"] for r in reqs])
        fm = (torch.arange(T)[None] < lengths[:, None]).to(dev)
        kf = torch.zeros(B, T, dtype=torch.bool)
        kv = torch.zeros(B, T, FEATURE_DIM)
        for j, r in enumerate(reqs):
            if r["keyframes"] is not None:
                idx = torch.as_tensor(r["keyframes"])
                kf[j, idx] = True
                kv[j, idx] = self.normalise(torch.as_tensor(r["values"], dtype=torch.float32).to(dev)).cpu()
        kf, kv = kf.to(dev), kv.to(dev)
        ids, idm = self.encode_text([r["text"] for r in reqs], [r["language"] for r in reqs])
        drop = torch.full((B,), not use_text, dtype=torch.bool, device=dev)
        mem, mm = self.net.encode_text(ids, idm, drop=drop)
        null, null_m = self.net.text.null_memory(B)
        L = max(mem.shape[1], 1)
        null_pad = torch.cat([null, torch.zeros(B, L - 1, null.shape[-1], device=dev)], 1)
        null_mpad = torch.cat([null_m, torch.zeros(B, L - 1, dtype=torch.bool, device=dev)], 1)
        ctx = self.net.keyframe_context(fm, kv, kf)
        ctx2 = self.net.keyframe_context(torch.cat([fm, fm]), torch.cat([kv, torch.zeros_like(kv)]),
                                         torch.cat([kf, torch.zeros_like(kf)])) if scale != 1.0 else None
        mem2, mm2 = (torch.cat([mem, null_pad]), torch.cat([mm, null_mpad])) if scale != 1.0 else (None, None)

        def cond(x, t):
            return self.net(x, t, fm, mem, mm, context=ctx)

        def joint(x, t):
            v = self.net(torch.cat([x, x]), torch.cat([t, t]), None, mem2, mm2, context=ctx2)
            return v[:B], v[B:]

        field = guided_field(cond, scale=scale, joint=joint)
        x0 = torch.randn(B, T, FEATURE_DIM, generator=gen).to(dev)
        x = solve(field, x0, solver, steps, kv, kf)
        x = self.denormalise(x).cpu().double().numpy()
        res = []
        for j, r in enumerate(reqs):
            y = x[j, : r["length"]].astype(np.float32)
            if r["keyframes"] is not None:
                y[r["keyframes"]] = np.asarray(r["values"], np.float32)  # exact, not through (x - m) / s * s + m
            res.append(y)
        return res

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"cfg": dataclasses.asdict(self.cfg), "vocab": textvocab.vocab_state(self.vocab), "mean": self.mean.cpu().numpy(),
                    "std": self.std.cpu().numpy(), "state_dict": {k: v.cpu() for k, v in self.state_dict().items()},
                    "history": self.history, "train_seconds": float(getattr(self, "train_seconds", 0.0)),
                    "version": CACHE_VERSION}, path)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "CFMModule":
        def build(blob: dict) -> "CFMModule":
            m = cls(blob["cfg"], blob["vocab"], blob["mean"], np.ones_like(blob["std"]))
            m.load_state_dict(blob["state_dict"])
            m.history, m.train_seconds = list(blob.get("history", [])), float(blob.get("train_seconds", 0.0))
            return m

        return read_checkpoint(path, "flow-matching generator", CACHE_VERSION, build, train_with="train_cfm").to(
            resolve_device(device)).eval()


# ------------------------------------------------------------------------------------------------ requests
def check_request(text: str, language: str, length: int, keyframes: Sequence[int] | None,
                  values: np.ndarray | None, use_text: bool = True, max_frames: int = 1024, index: int = 0) -> dict:
    """Validate one generation request; ``ValueError`` naming the argument, its value and what to do."""
    where = f"request {index}"
    if not isinstance(text, str):
        raise ValueError(f"{where}: text={text!r} is not a string: pass the sentence as str ('' with keyframes only)")
    has_kf = keyframes is not None and len(keyframes) > 0
    if (not text.strip() or not use_text) and not has_kf:
        raise ValueError(f"{where}: empty text ({text!r}) and no keyframes: nothing to condition on; pass a sentence, "
                         "keyframes, or both")
    L = int(length)
    if L < 1 or L > int(max_frames):
        raise ValueError(f"{where}: length={length} frames: use 1..{max_frames} (the model's max_frames)")
    if not has_kf:
        if values is not None and len(values):
            raise ValueError(f"{where}: keyframe values given without keyframe indices: pass keyframes= too")
        return {"text": text, "language": language, "length": L, "keyframes": None, "values": None}
    kf = check_keyframes(keyframes, L, name=f"{where}: keyframes")
    if values is None:
        raise ValueError(f"{where}: {len(kf)} keyframe indices but no keyframe values: pass keyframe_values= "
                         f"with ({len(kf)}, {FEATURE_DIM}) frames")
    vals = np.asarray(values, np.float32)
    check_motion(vals, FEATURE_DIM, f"{where}: keyframe values")
    if len(vals) != len(kf):
        raise ValueError(f"{where}: {len(vals)} keyframe values for {len(kf)} keyframe indices: pass one frame per "
                         "keyframe")
    return {"text": text, "language": language, "length": L, "keyframes": kf, "values": vals}


# ------------------------------------------------------------------------------------------------ training
def cfm_key(corpus: Any, cfg: CFMConfig) -> dict[str, Any]:
    """What a cached flow model depends on: config (hardware fields excluded), corpus fingerprint, format."""
    c = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in SCALE_OUT_FIELDS}
    return {"cfg": c, "corpus": corpus.fingerprint(), "version": CACHE_VERSION}


def train_cfm(corpus: Any, cfg: CFMConfig | None = None, device: str = "auto", progress: bool | None = None,
              cache: bool = True, validate: bool = False, features: dict[str, np.ndarray] | None = None) -> CFMModule:
    """Train (or load from the cache) SignSparK's CFM on the train split of ``corpus``.

    Training keyframes = the reference segments' onset / middle / offset frames. ``validate=True`` keeps the
    checkpoint with the lowest val-split loss. ``features``: precomputed ``{sentence id: (T, 296)}``.
    """
    cfg = cfg or CFMConfig.smoke()
    train = list(corpus.split("train"))
    if not train:
        raise ValueError("the corpus has no train sentences: cannot train the flow model")

    def feats_of(sents):
        if features is not None:
            return [features[s.id] for s in sents]
        return sentence_features(sents)

    def build_and_fit(work_dir: Path) -> CFMModule:
        seed_everything(cfg.seed)
        feats = feats_of(train)
        allf = np.concatenate(feats).astype(np.float64)
        module = CFMModule(cfg, textvocab.vocab_state(textvocab.build_vocab([s.text for s in train],
                                                                              [s.language for s in train])),
                           allf.mean(0), allf.std(0))
        module.length.log_mean.fill_(float(np.mean([np.log(len(f)) for f in feats])))
        ds = StackDataset(feats, [s.text for s in train], [s.language for s in train],
                        [sentence_keyframes(s) for s in train])
        loader = make_loader(ds, [len(f) for f in feats], cfg.batch_size, bucket=cfg.bucket, seed=cfg.seed,
                             collate_fn=module.collate)
        val = None
        if validate and corpus.split("val"):
            vs = corpus.split("val")
            val = make_loader(StackDataset(feats_of(vs), [s.text for s in vs], [s.language for s in vs],
                                         [sentence_keyframes(s) for s in vs]), [s.num_frames for s in vs],
                              cfg.batch_size, shuffle=False, collate_fn=module.collate)
        t0 = time.perf_counter()
        fit(module, loader, cfg, name="signspark cfm", val_loader=val, device=device, work_dir=work_dir,
            monitor="val_loss" if val is not None else None, progress=progress)
        module.train_seconds = time.perf_counter() - t0
        return module.cpu().eval()

    info: dict = {}
    model = cached("signspark_cfm", cfm_key(corpus, cfg), build_and_fit, save=lambda m, p: m.save(p),
                   load=CFMModule.load, enabled=cache, lock=single_process(cfg), info=info)
    model.from_cache = bool(info.get("hit"))
    return model.to(resolve_device(device)).eval()


# ------------------------------------------------------------------------------------------------ tasks
def gf_t2p(model: CFMModule, texts: Sequence[str], languages: Sequence[str], lengths: Sequence[int] | None = None,
           **sample_kwargs) -> list[np.ndarray]:
    """GF-T2P: text only (lengths from the length predictor unless given)."""
    return model.sample(texts, languages, lengths, **sample_kwargs)


def kf2p(model: CFMModule, sentences: Sequence[Any], features: Sequence[np.ndarray] | None = None,
         use_text: bool = True, **sample_kwargs) -> list[np.ndarray]:
    """KF2P: each sentence regenerated from its own reference keyframes (and length, and text unless
    ``use_text=False``)."""
    sentences = list(sentences)
    feats = sentence_features(sentences) if features is None else list(features)
    kfs = [sentence_keyframes(s) for s in sentences]
    return model.sample([s.text for s in sentences], [s.language for s in sentences], [len(f) for f in feats],
                        kfs, [f[k] for f, k in zip(feats, kfs)], use_text=use_text, **sample_kwargs)


def sr_t2p(model: CFMModule, planner: Any, texts: Sequence[str], languages: Sequence[str],
           lengths: Sequence[int] | None = None, **sample_kwargs) -> tuple[list[np.ndarray], list[Any]]:
    """SR-T2P: text + keyframes of the retrieved citation forms (``planner``: a
    :class:`~slpkit.generators.signspark.retrieval.RetrievalPlanner`) placed on the predicted length.
    Returns the frames and the plans (a sentence without dictionary words falls back to text only)."""
    texts, languages = list(texts), list(languages)
    lengths = model.predict_lengths(texts, languages) if lengths is None else list(lengths)
    plans = planner.plans(texts, languages, lengths)
    kfs = [p.keyframes if len(p.keyframes) else None for p in plans]
    vals = [p.values if len(p.keyframes) else None for p in plans]
    return model.sample(texts, languages, [p.length for p in plans], kfs, vals, **sample_kwargs), plans


def to_v133(features: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Generated ``(T, 296)`` frames -> SOKE ``(T, 133)`` for slpkit's metrics and back-translator."""
    return [features_to_v133(f) for f in features]


def dtw_jpe_scores(preds_v133: Sequence[np.ndarray], refs_v133: Sequence[np.ndarray]) -> dict[str, Any]:
    """DTW-JPE only (no Procrustes: ~30x faster than :func:`slpkit.eval.motion.pose_scores`, same values):
    ``dtw_jpe_{body,lhand,rhand,hand,avg}`` and ``per_sentence`` arrays (metres, SOKE convention)."""
    from slpkit.body.fk import default_body_model
    from slpkit.eval.motion import METRIC_JOINTS
    from slpkit.metrics.pose import dtw_jpe

    preds, refs = list(preds_v133), list(refs_v133)
    if len(preds) != len(refs) or not preds:
        raise ValueError(f"got {len(preds)} generated and {len(refs)} reference sequences: pass one reference each")
    bm = default_body_model()
    P = [bm.metric_joints(np.asarray(p, np.float32)) for p in preds]
    R = [bm.metric_joints(np.asarray(r, np.float32)) for r in refs]
    per = {f"dtw_jpe_{k}": np.asarray(dtw_jpe([p[k] for p in P], [r[k] for r in R], root=0, reduce="none"), np.float64)
           for k in METRIC_JOINTS}
    per["dtw_jpe_hand"] = 0.5 * (per["dtw_jpe_lhand"] + per["dtw_jpe_rhand"])
    per["dtw_jpe_avg"] = sum(METRIC_JOINTS[k] * per[f"dtw_jpe_{k}"] for k in METRIC_JOINTS) / sum(METRIC_JOINTS.values())
    out: dict[str, Any] = {k: float(v.mean()) for k, v in per.items()}
    out["per_sentence"] = per
    return out
