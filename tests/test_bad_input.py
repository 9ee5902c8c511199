"""Bad input never passes silently (issue 14): one table of bad calls per public entry point.

Every row is ``(entry point, call, exception type, substring)``: ``call(env)`` must raise that exception
(``ValueError`` / ``FileNotFoundError``) and its message must contain the substring, which names the
argument (and usually its value), so a user learns what to fix. Without the check each call would misbehave:
return a silently wrong result (``max_len=-5`` cropping every clip, ``'zh-CN'`` scored by whitespace, a
1-frame part broadcast over the others, empty text generating motion, clamped lengths, NaN poses loaded) or
fail deep inside numpy / torch / mBART with a message that names nothing the user passed.

``env`` holds tiny inputs (a 4-sentence-per-language SynthSign corpus, an untrained tokenizer, a tiny SOKE
generator, an untrained DARSLP model, a tiny back-translator, files in each format), built on first use.
New systems add their rows to ``ROWS`` (one section per module), e.g.::

    ROWS += [
        ("SignSparK generate", lambda e: e.signspark.generate("a text", ["asl"]), ValueError, "texts="),
    ]
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import pickle
from functools import cached_property
from pathlib import Path

import numpy as np
import pytest
import torch

from _soke_helpers import tiny_model, tiny_vocab
from slpkit import cli
from slpkit.body import face as body_face
from slpkit.body import keypoints as K
from slpkit.body import layouts as L
from slpkit.body import rotations as R
from slpkit.body.fk import default_body_model, load_body_model
from slpkit.body.skeleton import joint_index
from slpkit.config import resolve_device, seed_everything, write_results
from slpkit.data import datamodule as DM
from slpkit.data import text as TX
from slpkit.data import vocab as VO
from slpkit.data.corpus import Corpus
from slpkit.data.formats import load_poseformat, load_signspark, load_slrtp, load_soke, soke_length_rules, write_signspark
from slpkit.data.formats import poseformat as PF
from slpkit.data.formats import signspark as SS
from slpkit.data.formats import write_poseformat, write_slrtp, write_soke
from slpkit.data.synthsign import SynthSignConfig, generate
from slpkit.eval import backtranslation as BT
from slpkit.eval import motion as EM
from slpkit.generators.darslp import autoencoder as AE
from slpkit.generators.darslp import channel_kl as CK
from slpkit.generators.darslp import config as DC
from slpkit.generators.darslp import data as DD
from slpkit.generators.darslp import diagnostics as DG
from slpkit.generators.darslp import module as DMOD
from slpkit.generators.darslp import nat as NAT
from slpkit.generators.soke import decoding as D
from slpkit.generators.soke import module as SM
from slpkit.generators.soke import retrieval as SR
from slpkit.generators.soke.model import SokeGenerator
from slpkit.generators.soke.vocab import SokeVocab
from slpkit.metrics import bootstrap as MB
from slpkit.metrics import codebook as MC
from slpkit.metrics import segmentation as MS
from slpkit.metrics import text as MT
from slpkit.metrics.dtw import dtw, dtw_from_costs, dtw_mje_slrtp
from slpkit.metrics.pose import dtw_jpe, pa_cost_matrix, pa_mpjpe
from slpkit.metrics.procrustes import procrustes_align
from slpkit.notebook import report as NR
from slpkit.notebook.claims import claims_table, run_folders
from slpkit.notebook.runner import discover_notebooks
from slpkit.tokenizers import fsq as FSQ
from slpkit.tokenizers import module as TM
from slpkit.tokenizers import vq as VQ
from slpkit.tokenizers.partwise import PartwiseTokenizer
from slpkit.training import BucketBatchSampler, TrainConfig, make_loader, warmup_cosine
from slpkit.viz.skeleton import edges_from_parents
from slpkit.viz.sweep import plot_codebook_sweep

# one worker runs this module, so its module-scoped fixtures are built once (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_bad_input")

V5 = np.zeros((5, 133), np.float32)
KP = np.random.default_rng(0).normal(size=(6, 178, 3)).astype(np.float32)
J12A = np.random.default_rng(1).normal(size=(6, 12, 3))
J12B = np.random.default_rng(2).normal(size=(8, 12, 3))


class Env:
    """Tiny inputs shared by the rows (each built on first use, once per test module)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp

    @cached_property
    def corpus(self):
        return generate(SynthSignConfig(sentences_per_language=4, seed=0))

    @cached_property
    def tok(self):
        return PartwiseTokenizer(width=16).eval()

    @cached_property
    def soke(self) -> SM.SokeModule:
        return SM.SokeModule(tiny_model(tiny_vocab()).eval(), SM.SokeConfig.smoke())

    @cached_property
    def darslp(self) -> DMOD.Darslp:
        cfg = DC.DarslpConfig.smoke()
        m = DMOD.Darslp(cfg)
        m.ae = AE.PoseAutoencoder(cfg.ae)
        return m.prepare_generator(DD.examples_from_corpus(self.corpus, "train", limit=6))

    @cached_property
    def bt(self) -> BT.BackTranslator:
        sents = self.corpus.split("train")
        vocab = VO.TextVocab.build([s.text for s in sents], [s.language for s in sents], zh="char")
        cfg = dataclasses.asdict(BT.BackTranslatorConfig(d_model=16, n_heads=2, enc_layers=1, dec_layers=1, ff_dim=16,
                                                        max_text_len=8))
        return BT.BackTranslator(133, vocab.to_dict(), ["A"], cfg, np.zeros(133), np.ones(133)).eval()

    @cached_property
    def dictionary(self):
        c = self.corpus
        return SR.build_sign_dictionary(c.dictionary[:6], self.tok, lexicons={l: c.spoken_lexicon(l) for l in c.languages})

    # -- files ------------------------------------------------------------------------------------------
    def folder(self, name: str) -> Path:
        p = self.tmp / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    def slrtp_with(self, name: str, edit) -> Path:
        """An SLRTP root whose train.pt had ``edit(first_entry_dict)`` applied."""
        root = self.tmp / name
        if not root.exists():
            write_slrtp(self.corpus.sentences, root)
            data = torch.load(root / "train.pt", weights_only=True)
            edit(data[next(iter(data))])
            torch.save(data, root / "train.pt")
        return root

    def signspark_with(self, name: str, edit) -> Path:
        root = self.tmp / name
        if not root.exists():
            write_signspark(self.corpus.split("train")[:3], root)
            f = sorted((root / "train").glob("*.npz"))[0]
            z = dict(np.load(f))
            edit(z)
            np.savez(f, **z)
        return root

    def soke_csl_with(self, name: str, edit) -> Path:
        root = self.tmp / name
        if not root.exists():
            write_soke(self.corpus.sentences, root, "csl")
            ann_path = root / "csl_clean.train"
            ann = pickle.load(gzip.open(ann_path))
            new = edit(ann)
            ann = ann if new is None else new
            pickle.dump(ann, gzip.open(ann_path, "wb"))
        return root

    def truncated(self, name: str, make) -> Path:
        p = self.tmp / name
        if not p.exists():
            make(p)
            p.write_bytes(p.read_bytes()[: 200])
        return p


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return Env(tmp_path_factory.mktemp("bad_input"))


def cli_error(args: list[str]) -> None:
    """Run the CLI; exit code 2 (a clean error, no traceback) re-raised as ``ValueError(stderr)``."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = cli.main(args)
    if rc == 2:
        raise ValueError(err.getvalue())
    raise AssertionError(f"slpkit {' '.join(args)} exited {rc}, not 2 (stderr: {err.getvalue()!r})")


def _nan(e):
    e["poses_3d"][0, 0, 0] = float("nan")


def _zero_frames(e):
    e["poses_3d"] = torch.zeros(0, 178, 3)


def _nan_stream(z):
    z["body"] = z["body"].copy()
    z["body"][0, 0] = np.nan


def _bad_labels(z):
    z["labels"] = z["labels"].copy()
    z["labels"][0] = 7


def _soke_ckpt(e):
    def make(p):
        e.soke.save(p)
    return make


def _tok_ckpt(p):
    TM.TokenizerModule(TM.TokenizerConfig.smoke()).save(p)


ROWS = [
    # ------------------------------------------------------------------ the silent wrong results
    ("SignDataModule", lambda e: DM.SignDataModule(e.corpus, max_len=-5), ValueError, "max_len=-5"),
    ("SignDataModule", lambda e: DM.SignDataModule(e.corpus, max_len=0), ValueError, "max_len=0"),
    ("SignDataset", lambda e: DM.SignDataset(e.corpus.sentences[:1], [V5], max_len=-1), ValueError, "max_len=-1"),
    ("bleu", lambda e: MT.bleu(["我爱你"], ["我爱你"], language="zh-CN"), ValueError, "language='zh-CN'"),
    ("rouge_l", lambda e: MT.rouge_l(["a"], ["a"], language="fr"), ValueError, "language='fr'"),
    ("bleu_statistic", lambda e: MT.bleu_statistic(["a"], ["a"], ["xx"]), ValueError, "language='xx'"),
    ("merge_parts", lambda e: L.merge_parts({"body": np.zeros((1, 43)), "lhand": np.zeros((5, 45)),
                                             "rhand": np.zeros((5, 45))}), ValueError, "body (1, 43)"),
    ("Darslp.generate", lambda e: e.darslp.generate([""], ["asl"]), ValueError, "texts[0]=''"),
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog"], ["asl"], lengths=[0]), ValueError, "lengths[0]=0"),
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog"], ["asl"], lengths=[-5]), ValueError, "lengths[0]=-5"),
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog"], ["asl"], lengths=[10**6]), ValueError,
     "lengths[0]=1000000"),
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog"], ["asl"], lengths=[3.7]), ValueError, "lengths[0]=3.7"),
    ("SokeModule.generate", lambda e: e.soke.generate([""], ["asl"]), ValueError, "texts[0]=''"),
    ("SokeVocab.codes_to_ids", lambda e: e.soke.vocab.codes_to_ids("body", [1.7]), ValueError, "dtype torch.float"),
    ("SokeVocab.ids_to_codes", lambda e: e.soke.vocab.ids_to_codes("body", torch.tensor([42.7])), ValueError,
     "dtype torch.float"),
    ("TextVocab.decode", lambda e: VO.TextVocab.build(["a b"], ["asl"]).decode([True], "asl"), ValueError, "bool"),
    ("detokenize", lambda e: VO.detokenize([True, False], "asl"), ValueError, "tokens[0]=True"),
    ("BackTranslatorConfig", lambda e: BT.BackTranslatorConfig(zh_tokens="word"), ValueError, "zh_tokens='word'"),
    ("load_slrtp", lambda e: load_slrtp(e.slrtp_with("slrtp_nan", _nan), "train"), ValueError, "NaN"),
    ("load_slrtp", lambda e: load_slrtp(e.slrtp_with("slrtp_zero", _zero_frames), "train"), ValueError, "0 frames"),
    # ------------------------------------------------------------------ the raw errors
    ("BodyModel.joints", lambda e: default_body_model().joints(V5, betas=np.zeros((3, 10))), ValueError,
     "betas has shape (3, 10)"),
    ("v133_to_keys", lambda e: L.v133_to_keys(V5, betas=np.zeros((3, 10))), ValueError, "betas has shape (3, 10)"),
    ("merge_parts", lambda e: L.merge_parts({"body": np.zeros((4, 43)), "lhand": np.zeros((5, 45)),
                                             "rhand": np.zeros((5, 45))}), ValueError, "different leading shapes"),
    ("dtw_jpe", lambda e: dtw_jpe([J12A], [J12B], root=-1), ValueError, "root=-1"),
    ("SokeModule.generate", lambda e: e.soke.generate(["the weather"], ["asl"], max_steps=2000, stop="never"),
     ValueError, "max_steps=2000"),
    ("SokeModule.generate", lambda e: e.soke.generate([" ".join(["weather"] * 700)], ["asl"]), ValueError,
     "texts[0] encodes to"),
    ("SokeModule.generate", lambda e: e.soke.generate("the weather is cold", ["asl"]), ValueError, "single string"),
    ("SokeModule.generate", lambda e: e.soke.generate(["the weather is cold"], "asl"), ValueError, "languages='asl'"),
    ("SokeModule.generate", lambda e: e.soke.generate([None], ["asl"]), ValueError, "texts[0]=None"),
    ("Darslp.generate", lambda e: e.darslp.generate("the dog", ["asl"]), ValueError, "single string"),
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog"], "asl"), ValueError, "languages='asl'"),
    ("Darslp.generate", lambda e: e.darslp.generate([None], ["asl"]), ValueError, "texts[0]=None"),
    ("load_body_model", lambda e: load_body_model(e.truncated("smplx_trunc.npz", lambda p: np.savez(
        p, shapedirs=np.zeros((3, 3))))), ValueError, "smplx_trunc.npz"),
    ("load_body_model", lambda e: load_body_model((lambda p: (np.savez(p, foo=np.zeros(3)), p)[1])(
        e.folder("smplx_foreign") / "SMPLX_NEUTRAL.npz")), ValueError, "not an SMPL-X model"),
    ("load_tokenizer", lambda e: TM.load_tokenizer(e.truncated("tok_trunc.pt", _tok_ckpt)), ValueError,
     "tok_trunc.pt"),
    ("load_tokenizer", lambda e: TM.load_tokenizer((lambda p: (_tok_ckpt(p), p)[1])(e.tmp / "tok.pt"),
                                                   expect=TM.TokenizerConfig.smoke().__class__(lr=1.0)),
     ValueError, "another config"),
    ("load_generator", lambda e: SM.load_generator(e.truncated("soke_trunc.pt", _soke_ckpt(e))), ValueError,
     "soke_trunc.pt"),
    ("load_generator", lambda e: SM.load_generator((lambda p: (e.soke.save(p), p)[1])(e.tmp / "soke.pt"),
                                                   expect=SM.SokeConfig(lam=0.4)), ValueError, "another config"),
    ("SokeGenerator.load", lambda e: SokeGenerator.load(e.tmp / "no_such_generator"), FileNotFoundError,
     "no_such_generator"),
    ("SokeConfig", lambda e: SM.SokeConfig(batch_size=0), ValueError, "batch_size=0"),
    ("TokenizerConfig", lambda e: TM.TokenizerConfig(window=2), ValueError, "window=2"),
    ("DarslpConfig", lambda e: DC.DarslpConfig(batch_size=0), ValueError, "batch_size=0"),
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog", "a cat"], ["asl", "asl"], lengths=[5]), ValueError,
     "lengths has 1 entries for 2"),
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog"], ["asl"], lengths=5), ValueError, "lengths=5"),
    ("load_poseformat", lambda e: load_poseformat(e.folder("pf_empty"), "train") if e.folder("pf_empty/train") else 0,
     FileNotFoundError, "no .pose files"),
    ("load_poseformat", lambda e: load_poseformat(_jsonl_without_name(e), "train"), ValueError, "'name'"),
    ("slpkit run", lambda e: cli_error(["run", "--only", "99", "--run-dir", str(e.tmp / "run99")]), ValueError,
     "no notebook matches ['99']"),
    ("slpkit run", lambda e: cli_error(["run", "--only", "00", "--run-dir", "/proc/slpkit-cannot-create/x"]),
     ValueError, "cannot create the run folder"),
    ("slpkit run", lambda e: cli_error(["run", "--device", "foo", "--only", "00", "--run-dir", str(e.tmp / "rdev")]),
     ValueError, "device='foo'"),
    ("slpkit report", lambda e: cli_error(["report", str(e.tmp / "missing_run")]), ValueError, "does not exist"),
    ("slpkit report", lambda e: cli_error(["report", str(_notebook_folder(e))]), ValueError, "pass its parent"),
    # ------------------------------------------------------------------ config dataclasses reject bad values when built
    ("TrainConfig", lambda e: TrainConfig(batch_size=2.5), ValueError, "batch_size=2.5"),
    ("TrainConfig", lambda e: TrainConfig(warmup_steps=2.5), ValueError, "warmup_steps=2.5"),
    ("TrainConfig", lambda e: TrainConfig(seed=-1), ValueError, "seed=-1"),
    ("TrainConfig", lambda e: TrainConfig(strategy=5), ValueError, "strategy=5"),
    ("SynthSignConfig", lambda e: SynthSignConfig(sentences_per_language=0), ValueError, "sentences_per_language=0"),
    ("SynthSignConfig", lambda e: SynthSignConfig.for_mode("smoke", noise=-1.0), ValueError, "noise=-1.0"),
    ("SynthSignConfig", lambda e: SynthSignConfig(languages="asl"), ValueError, "languages='asl'"),
    ("SynthSignConfig", lambda e: SynthSignConfig(topic_prob=2.0), ValueError, "topic_prob=2.0"),
    ("SynthSignConfig", lambda e: SynthSignConfig(rest_frames=(-1, 6)), ValueError, "rest_frames[0]=-1"),
    ("SynthSign generate", lambda e: generate({"seed": 0}), ValueError, "SynthSignConfig"),
    ("AEConfig", lambda e: AE.AEConfig(betas=(1.5, 0.9)), ValueError, "betas[0]=1.5"),
    ("AEConfig", lambda e: AE.AEConfig(recon_weights={"body": -1.0}), ValueError, "recon_weights['body']=-1.0"),
    ("AEConfig", lambda e: AE.AEConfig(region_joints=(("body", 0, 8),)), ValueError, "region_joints="),
    ("DarslpConfig", lambda e: DC.DarslpConfig(ae=5), ValueError, "DarslpConfig.ae=5"),
    ("DarslpConfig", lambda e: DC.DarslpConfig(ae={"foo": 1}), ValueError, "['foo']"),
    ("DarslpConfig", lambda e: DC.DarslpConfig(l1_weights={"body": float("nan")}), ValueError, "l1_weights['body']"),
    ("KLSchedule", lambda e: CK.KLSchedule("staged", weight=-1.0), ValueError, "weight=-1.0"),
    ("SokeConfig", lambda e: SM.SokeConfig(betas=(1.5, 0.9)), ValueError, "betas[0]=1.5"),
    ("SokeConfig", lambda e: SM.SokeConfig(retrieval="yes"), ValueError, "retrieval='yes'"),
    ("SokeConfig", lambda e: SM.SokeConfig(text_tokenizer="bpe"), ValueError, "text_tokenizer='bpe'"),
    ("TokenizerConfig", lambda e: TM.TokenizerConfig(mu=1.5), ValueError, "mu=1.5"),
    ("TokenizerConfig", lambda e: TM.TokenizerConfig(std_floor=-1.0), ValueError, "std_floor=-1.0"),
    ("TokenizerConfig", lambda e: TM.TokenizerConfig(code_dim=0), ValueError, "code_dim=0"),
    ("TokenizerConfig", lambda e: TM.TokenizerConfig(num_workers=-1), ValueError, "num_workers=-1"),
    ("TokenizerModule", lambda e: TM.TokenizerModule({"foo": 1}), ValueError, "['foo']"),
    ("BackTranslatorConfig", lambda e: BT.BackTranslatorConfig(n_heads=0), ValueError, "n_heads=0"),
    ("BackTranslatorConfig", lambda e: BT.BackTranslatorConfig(device="gpu0"), ValueError, "device='gpu0'"),
    # ------------------------------------------------------------------ body
    ("random_rotations", lambda e: R.random_rotations(-1), ValueError, "n=-1"),
    ("random_rotations", lambda e: R.random_rotations(3, max_angle=-1.0), ValueError, "max_angle=-1.0"),
    ("axis_angle_to_matrix", lambda e: R.axis_angle_to_matrix("abc"), ValueError, "numeric array"),
    ("split_parts", lambda e: L.split_parts("abc"), ValueError, "v133 is not a numeric array"),
    ("v133_to_keys", lambda e: L.v133_to_keys(V5, betas=np.full(10, np.nan)), ValueError, "betas contains"),
    ("v133_to_full_pose", lambda e: L.v133_to_full_pose(V5, root=np.zeros((3, 3))), ValueError, "root has shape"),
    ("keys_to_v133", lambda e: L.keys_to_v133({k: np.zeros((0, d)) for k, d in L.SOKE_KEYS.items()}), ValueError,
     "empty sequence"),
    ("face108_from", lambda e: L.face108_from(V5, expr100=np.zeros((3, 100))), ValueError, "expr100 has shape"),
    ("smplfx_streams", lambda e: L.smplfx_streams(V5, np.zeros((3, 108))), ValueError, "face108 (3, 108)"),
    ("rot6d_streams_to_v133", lambda e: L.rot6d_streams_to_v133(
        {"body": np.zeros((5, 60)), "lhand": np.zeros((5, 90)), "rhand": np.zeros((4, 90)), "face": np.zeros((5, 56))}),
     ValueError, "rhand (4, 90)"),
    ("OfflineSMPLX.forward_full", lambda e: default_body_model().forward_full(np.zeros((5, 55, 3)),
                                                                              transl=np.zeros((3, 3))),
     ValueError, "transl has shape"),
    ("FaceModel.landmarks", lambda e: K.default_face_model().landmarks(np.zeros((5, 108)), head_transform=np.zeros((5, 3))),
     ValueError, "head_transform has shape"),
    ("FaceModel", lambda e: body_face.FaceModel(seed="a"), ValueError, "seed='a'"),
    ("normalize178", lambda e: K.normalize178(KP, eps=-1), ValueError, "eps=-1"),
    ("normalize178", lambda e: K.normalize178(np.zeros((0, 178, 3))), ValueError, "empty sequence"),
    ("check_mask", lambda e: K.check_mask(np.full((6, 178), 0.5), KP), ValueError, "values other than 0 / 1"),
    ("flag_glitches", lambda e: K.flag_glitches(KP, threshold=-1), ValueError, "threshold=-1"),
    ("flag_glitches", lambda e: K.flag_glitches(KP, shoulder_ratio=0), ValueError, "shoulder_ratio=0"),
    ("y_up_to_image", lambda e: K.y_up_to_image(KP, 0, 100), ValueError, "width=0"),
    ("joint_index", lambda e: joint_index("elbow"), ValueError, "unknown joint 'elbow'"),
    # ------------------------------------------------------------------ metrics
    ("tokens", lambda e: MT.tokens("a b", 5), ValueError, "language=5"),
    ("bleu", lambda e: MT.bleu(None, ["a"]), ValueError, "hyps=None"),
    ("rouge_l", lambda e: MT.rouge_l(["a b"], ["a c"], beta=0), ValueError, "beta=0"),
    ("bleu_statistic", lambda e: MT.bleu_statistic(["a"], ["a"], "asl", order=0), ValueError, "order=0"),
    ("bleu_statistic", lambda e: MT.bleu_statistic(["a"], ["a"], "asl")(np.array([3])), ValueError, "indices"),
    ("wer", lambda e: MT.wer(["a b"], [["a", "b"]]), ValueError, "hyps[0]='a b'"),
    ("dtw_from_costs", lambda e: dtw_from_costs([-np.ones((3, 3))]), ValueError, "negative"),
    ("dtw_mje_slrtp", lambda e: dtw_mje_slrtp([J12A], [J12B], n_coords=0), ValueError, "n_coords"),
    ("dtw_mje_slrtp", lambda e: dtw_mje_slrtp([J12A], [J12B, J12B]), ValueError, "one reference per prediction"),
    ("dtw_jpe", lambda e: dtw_jpe([J12A], [J12B], subset=[True]), ValueError, "bool mask of shape (1,)"),
    ("pa_cost_matrix", lambda e: pa_cost_matrix(J12A, J12B[:, :11]), ValueError, "same joint set"),
    ("pa_cost_matrix", lambda e: pa_cost_matrix(J12A, J12B, subset=[12]), ValueError, "out of range for 12 joints"),
    ("pa_mpjpe", lambda e: pa_mpjpe(J12A[:, :2], J12A[:, :2]), ValueError, "at least 3 joints"),
    ("procrustes_align", lambda e: procrustes_align(np.zeros((12, 2)), np.zeros((12, 2))), ValueError, "3D points"),
    ("weighted_mean", lambda e: MB.weighted_mean([1.0, 2.0], [0.0, 0.0]), ValueError, "weights"),
    ("orderings_table", lambda e: MB.orderings_table([1, 2]), ValueError, "orderings[0]=1"),
    ("span_iou", lambda e: MS.span_iou((5, 2), (0, 3)), ValueError, "a=(5, 2)"),
    ("frame_counts", lambda e: MS.frame_counts([0, 5, 2], [0, 1, 2]), ValueError, "pred_tags hold [5]"),
    ("tags_from_spans", lambda e: MS.tags_from_spans([(0, 10)], 5), ValueError, "spans[0]=(0, 10)"),
    ("tags_from_spans", lambda e: MS.tags_from_spans([(0, 3), (2, 4)], 5), ValueError, "overlaps"),
    ("boundary_errors", lambda e: MS.boundary_errors([[(0, 3)]], [[(0, 3)], [(1, 2)]]), ValueError, "1 predicted"),
    ("codebook_stats", lambda e: MC.codebook_stats([0.5, 1.7], 3), ValueError, "integers"),
    ("dtw", lambda e: dtw(J12A, J12B[:, :11]), ValueError, "mismatched joint counts"),
    # ------------------------------------------------------------------ data
    ("SignDataModule", lambda e: DM.SignDataModule(e.corpus, batch_size="4"), ValueError, "batch_size='4'"),
    ("SignDataModule", lambda e: DM.SignDataModule(e.corpus, crop="middle"), ValueError, "crop='middle'"),
    ("SignDataModule", lambda e: DM.SignDataModule(e.corpus, num_workers=-1), ValueError, "num_workers=-1"),
    ("SignDataModule", lambda e: DM.SignDataModule(None), ValueError, "corpus=NoneType"),
    ("SignDataModule.load_state_dict", lambda e: DM.SignDataModule(e.corpus).load_state_dict(
        {"mean": np.zeros(3), "std": np.ones(3)}), ValueError, "133 dimensions"),
    ("normalise", lambda e: DM.normalise(np.zeros((5, 132)), np.zeros(133), np.ones(133)), ValueError,
     "x has shape (5, 132)"),
    ("feature_stats", lambda e: DM.feature_stats([np.full((3, 4), np.nan)]), ValueError, "features[0] contains"),
    ("register_representation", lambda e: DM.register_representation("x", 5), ValueError, "fn=5"),
    ("Corpus", lambda e: Corpus(None, []), ValueError, "Corpus.sentences=NoneType"),
    ("Corpus.lookup", lambda e: e.corpus.lookup("asl", None), ValueError, "word=None"),
    ("Sentence.validate", lambda e: dataclasses.replace(e.corpus.sentences[0], text="").validate(), ValueError,
     "text=''"),
    ("segment", lambda e: TX.segment(None, "asl"), ValueError, "text=None"),
    ("en_verb", lambda e: TX.en_verb("go", "3rd"), ValueError, "person='3rd'"),
    ("SpokenLexicon", lambda e: TX.SpokenLexicon("asl", "dog"), ValueError, "lemmas='dog'"),
    ("TextVocab", lambda e: VO.TextVocab("abc"), ValueError, "words='abc'"),
    ("TextVocab.build", lambda e: VO.TextVocab.build(["a b"], ["asl"], min_count=0), ValueError, "min_count=0"),
    ("TextVocab.encode", lambda e: VO.TextVocab.build(["a b"], ["asl"]).encode("a b", "asl", max_len=-1), ValueError,
     "max_len=-1"),
    ("detokenize", lambda e: VO.detokenize("abc", "asl"), ValueError, "tokens='abc'"),
    ("load_soke", lambda e: load_soke(e.soke_csl_with("csl_text_none", lambda a: a[0].update(text=None)), "train",
                                      "csl"), ValueError, "text=None"),
    ("load_soke", lambda e: load_soke(e.soke_csl_with("csl_empty", lambda a: []), "train", "csl"), ValueError,
     "lists no clips"),
    ("load_soke", lambda e: load_soke(e.soke_csl_with("csl_fps0", lambda a: a[0].update(fps=0)), "train", "csl"),
     ValueError, "fps of"),
    ("soke_length_rules", lambda e: soke_length_rules(np.zeros((50, 133)), 0), ValueError, "fps=0"),
    ("soke_length_rules", lambda e: soke_length_rules(np.zeros((50, 133)), float("nan")), ValueError, "fps=nan"),
    ("load_signspark", lambda e: load_signspark(e.signspark_with("ss_nan", _nan_stream), "train"), ValueError, "NaN"),
    ("load_signspark", lambda e: load_signspark(e.signspark_with("ss_labels", _bad_labels), "train"), ValueError,
     "labels hold [7]"),
    ("keyframes", lambda e: SS.keyframes(np.array([0, 7, 1])), ValueError, "tags hold [7]"),
    ("write_sequence", lambda e: SS.write_sequence(e.tmp / "nan.npz", {k: np.full((3, d), np.nan) for k, d in
                                                                        SS.STREAM_DIMS.items()}, np.zeros(3, int), "t"),
     ValueError, "NaN"),
    ("load_slrtp", lambda e: load_slrtp(e.slrtp_with("slrtp_text", lambda d: d.update(text=5)), "train"), ValueError,
     "text of"),
    ("write_pose", lambda e: PF.write_pose(e.tmp / "nan.pose", np.full((3, 178, 3), np.nan)), ValueError,
     "NaN/inf at observed points"),
    ("batch_clips", lambda e: PF.batch_clips([{"keypoints": KP}], max_len=0), ValueError, "max_len=0"),
    ("resample_178", lambda e: PF.resample_178(KP, np.ones((6, 178), bool), 25, 12, max_gap=-1), ValueError,
     "max_gap=-1"),
    # ------------------------------------------------------------------ tokenizers
    ("PartwiseTokenizer.decode", lambda e: e.tok.decode({k: [True] for k in e.tok.stream_names}), ValueError, "bool"),
    ("PartwiseTokenizer.decode", lambda e: e.tok.decode({**{k: [1] for k in e.tok.stream_names}, "face": [1]}),
     ValueError, "['face']"),
    ("PartwiseTokenizer.set_normalization", lambda e: PartwiseTokenizer(width=8).set_normalization(
        np.full(133, np.nan), np.ones(133)), ValueError, "mean contains"),
    ("FSQ", lambda e: FSQ.FSQ([8, 5], dim=0), ValueError, "dim=0"),
    ("FSQ.decode_indices", lambda e: FSQ.FSQ([8, 5]).decode_indices(torch.tensor([[999]])), ValueError, "[999, 999]"),
    ("EMAResetQuantizer.decode_indices", lambda e: VQ.EMAResetQuantizer(8, 4).decode_indices(torch.tensor([[99]])),
     ValueError, "[99, 99]"),
    ("WindowDataset", lambda e: TM.WindowDataset([np.zeros((5, 3))], 0), ValueError, "window=0"),
    ("train_tokenizer", lambda e: TM.train_tokenizer(e.corpus, {"lr": 1.0}), ValueError, "TokenizerConfig"),
    # ------------------------------------------------------------------ SOKE
    ("SokeModule.generate", lambda e: e.soke.generate(["the weather"], ["asl"], max_steps=2.5), ValueError,
     "max_steps=2.5"),
    ("SokeModule.generate", lambda e: e.soke.generate(["the weather"], ["asl"], beams=4), ValueError, "['beams']"),
    ("SokeModule.generate", lambda e: e.soke.generate(["a", "b"], ["asl"]), ValueError, "2 texts but 1 languages"),
    ("SokeVocab.codes_to_ids", lambda e: e.soke.vocab.codes_to_ids("body", "abc"), ValueError, "body codes"),
    ("SokeVocab.id_to_token", lambda e: e.soke.vocab.id_to_token(-1), ValueError, "token id=-1"),
    ("SokeVocab.encode_source", lambda e: e.soke.vocab.encode_source("a b", "asl", [99999]), ValueError, "extra"),
    ("SokeVocab.encode_marker", lambda e: e.soke.vocab.encode_marker("asl", 0), ValueError, "i=0"),
    ("SokeVocab", lambda e: SokeVocab.train([("a", "asl")], {"body": 2.5}), ValueError, "codebook_sizes['body']=2.5"),
    ("SokeVocab.load", lambda e: SokeVocab.load(e.tmp / "no_vocab"), FileNotFoundError, "not a saved SOKE vocabulary"),
    ("SokeVocab.from_hf_tokenizer", lambda e: SokeVocab.from_hf_tokenizer(e.tmp / "no_hf"), FileNotFoundError, "no_hf"),
    ("find_keywords", lambda e: SR.find_keywords("the dog", "asl", e.dictionary, max_keywords=-1), ValueError,
     "max_keywords=-1"),
    ("find_keywords", lambda e: SR.find_keywords("the dog", "asl", None), ValueError, "dictionary=NoneType"),
    ("subsample_steps", lambda e: SR.subsample_steps(20, 0), ValueError, "max_steps=0"),
    ("batch_prompts", lambda e: SR.batch_prompts(e.soke.vocab, ["a", "b"], ["asl"], e.dictionary), ValueError,
     "2 texts but 1"),
    ("build_sign_dictionary", lambda e: SR.build_sign_dictionary(None, e.tok), ValueError, "entries=NoneType"),
    ("evaluate_generator", lambda e: SM.evaluate_generator(e.soke, e.tok, "abc"), ValueError, "sentences='abc'"),
    ("evaluate_generator", lambda e: SM.evaluate_generator(e.soke, e.tok, e.corpus.split("test"), batch_size=0),
     ValueError, "batch_size=0"),
    ("generation_latencies", lambda e: SM.generation_latencies(e.soke, ["a", "b"], ["asl"]), ValueError,
     "2 texts but 1"),
    ("codes_to_poses", lambda e: SM.codes_to_poses(e.tok, {"body": [torch.tensor([1])], "lhand": [], "rhand": []}),
     ValueError, "different numbers of samples"),
    ("train_generator", lambda e: SM.train_generator(e.corpus, e.tok, cfg={"lr": 1}), ValueError, "SokeConfig"),
    ("train_generator", lambda e: SM.train_generator(e.corpus, e.tok, SM.SokeConfig(pretrained=str(e.tmp / "nombart"))),
     FileNotFoundError, "nombart"),
    # ------------------------------------------------------------------ DARSLP
    ("Darslp.generate", lambda e: e.darslp.generate(["the dog"], ["asl"], batch_size=0), ValueError, "batch_size=0"),
    ("Darslp.predict_latents", lambda e: e.darslp.predict_latents(["the dog"], ["asl"], length_mode="cut"), ValueError,
     "length_mode='cut'"),
    ("Example", lambda e: DD.Example(None, "asl", KP), ValueError, "Example.text=None"),
    ("Example", lambda e: DD.Example("a", "xx", KP), ValueError, "'xx'"),
    ("examples_from_corpus", lambda e: DD.examples_from_corpus(e.corpus, "train", frame_step=0), ValueError,
     "frame_step=0"),
    ("to_frame_rate", lambda e: DG.to_frame_rate(KP, 0), ValueError, "step=0"),
    ("mean_pose_baseline (keypoints)", lambda e: EM.mean_pose_baseline([KP], 0), ValueError, "n=0"),
    ("channel_entropy", lambda e: DG.channel_entropy(np.zeros(5), np.array([1.0])), ValueError, "edges"),
    ("ChannelPrior.from_state_dict", lambda e: CK.ChannelPrior.from_state_dict({}), ValueError, "'mu' and 'var'"),
    ("region_recon_terms", lambda e: AE.region_recon_terms(torch.zeros(3, 178, 3), torch.zeros(2, 178, 3),
                                                          AE.AEConfig().joint_slices()), ValueError, "x_hat"),
    ("lengths_from_ratio", lambda e: NAT.lengths_from_ratio(torch.tensor([0.5]), 0), ValueError, "max_len=0"),
    ("train_darslp", lambda e: DMOD.train_darslp(e.corpus, {"lr": 1}), ValueError, "DarslpConfig"),
    # ------------------------------------------------------------------ eval
    ("BackTranslator.translate", lambda e: e.bt.translate(V5, "asl"), ValueError, "one (T, D) array"),
    ("BackTranslator.score", lambda e: e.bt.score([V5], ["a", "b"], ["asl"]), ValueError, "2 references"),
    ("score_translations", lambda e: BT.score_translations(["a"], ["a"], ["foo"]), ValueError, "'foo'"),
    ("score_translations", lambda e: BT.score_translations("abc", "abc", "aaa"), ValueError, "single string"),
    ("derangement", lambda e: BT.derangement(-1), ValueError, "n=-1"),
    ("ground_truth_row", lambda e: BT.ground_truth_row(e.corpus, "test", translator=object()), ValueError,
     "translator is a object"),
    ("train_backtranslator", lambda e: BT.train_backtranslator(e.corpus, cfg={"lr": 1}), ValueError,
     "BackTranslatorConfig"),
    ("length_stats", lambda e: EM.length_stats([-1], [3]), ValueError, "frame counts"),
    ("mean_pose_baseline", lambda e: EM.mean_pose_baseline([V5], -1), ValueError, "n=-1"),
    ("pose_scores", lambda e: EM.pose_scores(V5, V5), ValueError, "wrap one sequence"),
    # ------------------------------------------------------------------ training
    ("BucketBatchSampler", lambda e: BucketBatchSampler([-1, 2], 1), ValueError, "non-negative length"),
    ("BucketBatchSampler", lambda e: BucketBatchSampler([1, 2, 3], 2.5), ValueError, "batch_size=2.5"),
    ("make_loader", lambda e: make_loader([1, 2], None, 1, num_workers=-1), ValueError, "num_workers=-1"),
    ("warmup_cosine", lambda e: warmup_cosine(-1, 0, 10), ValueError, "step=-1"),
    ("warmup_cosine", lambda e: warmup_cosine(5, 0, 10, floor=2.0), ValueError, "floor=2.0"),
    # ------------------------------------------------------------------ harness, viz, notebook
    ("resolve_device", lambda e: resolve_device("foo"), ValueError, "device='foo'"),
    ("resolve_device", lambda e: resolve_device(None), ValueError, "device=None"),
    ("seed_everything", lambda e: seed_everything(1.5), ValueError, "seed=1.5"),
    ("write_results", lambda e: write_results(e.tmp / "wr", [1, 2]), ValueError, "results=list"),
    ("table", lambda e: NR.table("t", "ab", [[1, 2]]), ValueError, "columns='ab'"),
    ("table", lambda e: NR.table(None, ["a"], [[1]]), ValueError, "title=None"),
    ("table_markdown", lambda e: NR.table_markdown({}), ValueError, "lacks"),
    ("build_report", lambda e: NR.build_report(_bad_json_run(e)), ValueError, "results.json is not valid JSON"),
    ("claims_table", lambda e: claims_table([]), ValueError, "at least one run folder"),
    ("run_folders", lambda e: run_folders(str(e.tmp / "no_run")), FileNotFoundError, "no_run"),
    ("edges_from_parents", lambda e: edges_from_parents([5, 0]), ValueError, "parents[0]=5"),
    ("plot_codebook_sweep", lambda e: plot_codebook_sweep({"8": {}}, key="foo"), ValueError, "key='foo'"),
]


def _truncated_generator_folder(e: Env) -> Path:
    folder = e.tmp / "gen_trunc"
    if not folder.exists():
        e.soke.model.save(folder)
        for f in (folder / "mbart").glob("*.safetensors"):
            f.write_bytes(f.read_bytes()[:100])
    return folder


ROWS += [
    ("SokeGenerator.load", lambda e: SokeGenerator.load(_truncated_generator_folder(e)), ValueError, "gen_trunc"),
    ("soke decoding.generate",
     lambda e: D.generate(e.soke.model, ["the weather"], ["asl"], max_steps=2000, stop="never"), ValueError,
     "max_steps=2000"),
    ("soke decoding.generate", lambda e: D.generate(e.soke.model, [" ".join(["weather"] * 700)], ["asl"]),
     ValueError, "texts[0] encodes to"),
    ("soke decoding.generate", lambda e: D.generate(e.soke.model, "the weather", ["asl"] * 11), ValueError,
     "single string"),
]


def _jsonl_without_name(e: Env) -> Path:
    root = e.tmp / "pf_noname"
    if not root.exists():
        write_poseformat(e.corpus.split("train")[:2], root)
        idx = root / "train.jsonl"
        lines = idx.read_text().splitlines()
        first = json.loads(lines[0])
        first.pop("name")
        idx.write_text("\n".join([json.dumps(first)] + lines[1:]) + "\n")
    return root


def _notebook_folder(e: Env) -> Path:
    nb = e.tmp / "run_nb" / "02_x"
    nb.mkdir(parents=True, exist_ok=True)
    write_results(nb, {"notebook": "02_x", "tables": []})
    return nb


def _bad_json_run(e: Env) -> Path:
    run = e.tmp / "run_badjson"
    (run / "02_x").mkdir(parents=True, exist_ok=True)
    (run / "02_x" / "results.json").write_text("{bad")
    return run


@pytest.mark.parametrize("entry, call, exc, match", ROWS, ids=[f"{i:03d}-{r[0]}" for i, r in enumerate(ROWS)])
def test_bad_input_raises_a_clear_error(env, entry, call, exc, match):
    with pytest.raises(exc) as info:
        call(env)
    assert match in str(info.value), f"{entry}: message {str(info.value)!r} does not name {match!r}"


def test_rejected_runs_leave_no_folder_behind(env):
    with pytest.raises(ValueError):
        cli_error(["run", "--only", "99", "--run-dir", str(env.tmp / "run99_folder")])
    assert not (env.tmp / "run99_folder").exists()
    with pytest.raises(ValueError):
        cli_error(["run", "--device", "foo", "--only", "00", "--run-dir", str(env.tmp / "rdev_folder")])
    assert not (env.tmp / "rdev_folder").exists()


def test_checks_do_not_change_correct_calls(env):
    """The same calls with good values still work (and give what they gave before the checks)."""
    assert discover_notebooks(select="00") == discover_notebooks(select=["00"])  # one selector, not its characters
    assert MT.bleu(["我 爱你"], ["我爱你"], "zh")["bleu1"] == MT.bleu(["我爱你"], ["我爱你"], "csl")["bleu1"] == pytest.approx(100)
    assert MT.bleu(["a b"], ["a b"], "en_ASL") == MT.bleu(["a b"], ["a b"], "asl") == MT.bleu(["a b"], ["a b"])
    dm = DM.SignDataModule(env.corpus, max_len=16, batch_size=2)
    assert next(iter(dm.train_dataloader()))["motion"].shape[1] <= 16
    out = env.darslp.generate(["the dog"], ["asl"], lengths=[env.darslp.nat.cfg.max_len])
    assert out[0].shape == (env.darslp.nat.cfg.max_len, 178, 3)
    assert SR.find_keywords("the dog", "asl", env.dictionary, max_keywords=0) == []
    parts = L.split_parts(np.random.default_rng(0).normal(size=(4, 133)))
    assert np.array_equal(L.split_parts(L.merge_parts(parts))["lhand"], parts["lhand"])
