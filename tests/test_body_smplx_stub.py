"""SMPLXModel on the stand-in SMPL-X folder written by data_stubs/make_smplx_stub.py (at test time)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from slpkit.body import fk

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stub_dir(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_smplx_stub", ROOT / "data_stubs" / "make_smplx_stub.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.make_smplx_stub(tmp_path_factory.mktemp("smplx_models"))
    assert (out / "smplx" / "SMPLX_NEUTRAL.npz").is_file()
    return out


def _v133(T=10, seed=0):
    return np.random.default_rng(seed).normal(0, 0.4, (T, 133)).astype(np.float32)


def test_smplx_model_shapes(stub_dir):
    bm = fk.load_body_model(stub_dir)
    assert isinstance(bm, fk.SMPLXModel)
    v = _v133()
    mj = bm.metric_joints(v)
    assert {k: x.shape for k, x in mj.items()} == {"body": (10, 12, 3), "lhand": (10, 21, 3), "rhand": (10, 21, 3)}
    assert bm.joints(v).shape == (10, 70, 3)
    assert bm.joints(torch.from_numpy(v).reshape(2, 5, 133)).shape == (2, 5, 70, 3)


def test_stub_agrees_with_offline_model(stub_dir):
    """The stub is built on the offline rest skeleton: with flat hands and betas 0, LBS == offline FK."""
    bm = fk.SMPLXModel(stub_dir, flat_hand_mean=True, chunk=7)  # chunking exercised too
    v = _v133(15, seed=1)
    np.testing.assert_allclose(bm.joints(v), fk.default_body_model().joints(v), atol=1e-5)
    # the model's mean hand (flat_hand_mean=False, smplx's default) changes the fingers only
    j_mean = fk.SMPLXModel(stub_dir).metric_joints(v)
    j_flat = bm.metric_joints(v)
    np.testing.assert_allclose(j_mean["body"], j_flat["body"], atol=1e-5)
    assert np.abs(j_mean["lhand"] - j_flat["lhand"]).max() > 1e-3


def test_betas_change_joints(stub_dir):
    bm = fk.SMPLXModel(stub_dir, betas=np.ones(10))
    bm0 = fk.SMPLXModel(stub_dir)
    v = _v133(3)
    assert np.abs(bm.joints(v) - bm0.joints(v)).max() > 1e-3
    np.testing.assert_allclose(bm0.joints(v, betas=np.ones(10)), bm.joints(v), atol=1e-6)


def test_npz_path_and_smplx_subfolder_accepted(stub_dir):
    assert fk.SMPLXModel(stub_dir / "smplx").path == fk.SMPLXModel(stub_dir / "smplx" / "SMPLX_NEUTRAL.npz").path
