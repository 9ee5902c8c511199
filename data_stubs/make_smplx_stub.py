"""Write a stand-in SMPL-X model folder that ``smplx.create`` loads, for tests and demos.

The real SMPL-X files need a registration at https://smpl-x.is.tue.mpg.de and cannot be
redistributed, so slpkit's tests exercise :class:`slpkit.body.fk.SMPLXModel` on this stub:
``<out_dir>/smplx/SMPLX_NEUTRAL.npz`` with every array smplx reads (``v_template``, ``f``,
``shapedirs`` with 10 shape + 10 expression directions, ``posedirs``, ``J_regressor``,
``weights``, ``kintree_table``, ``hands_components{l,r}``, ``hands_mean{l,r}``,
``lmk_faces_idx``, ``lmk_bary_coords``, ``dynamic_lmk_faces_idx``, ``dynamic_lmk_bary_coords``).

Geometry is random but *consistent with slpkit's offline skeleton*: 10,475 vertices (as
SMPL-X, so the standard ``smplx.vertex_ids['smplx']`` exist), each joint regressed exactly
from symmetric clusters of vertices around :data:`slpkit.body.skeleton.REST_JOINTS`, the
fingertip / nose / eye / ear vertices placed at the offline model's points and skinned
rigidly to their parent joint, pose correctives zero. So with ``betas = 0`` and
``flat_hand_mean=True`` the stub's joints equal :class:`~slpkit.body.fk.OfflineSMPLX`'s
(tested); expression directions move only free face vertices. Nothing here is SMPL-X data.

Usage::

    python data_stubs/make_smplx_stub.py /tmp/smplx_stub        # -> /tmp/smplx_stub/smplx/SMPLX_NEUTRAL.npz
    >>> from slpkit.body.fk import SMPLXModel
    >>> bm = SMPLXModel("/tmp/smplx_stub")                         # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

NUM_VERTS = 10475
NUM_FACES = 20908
NUM_JOINTS = 55
REG_PER_JOINT = 8  # 4 symmetric pairs per joint -> the regressed joint is exactly the cluster centre


def _skeleton():
    try:
        from slpkit.body import skeleton as S
    except ImportError:  # run from a checkout without installing
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from slpkit.body import skeleton as S
    return S


def build_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    """All arrays of a stand-in ``SMPLX_NEUTRAL.npz`` (see module docstring)."""
    from smplx.vertex_ids import vertex_ids

    S = _skeleton()
    rng = np.random.default_rng(seed)
    rest = S.REST_JOINTS.astype(np.float64)
    pts = S.rest_points()

    ids = vertex_ids["smplx"]
    tip_ids = [ids[f"{s}{f}"] for s in ("l", "r") for f in S.FINGERS]
    face_ids = [ids[k] for k in ("nose", "reye", "leye", "rear", "lear")]
    special = np.array(tip_ids + face_ids)
    special_pos = pts[55:70]
    special_joint = np.concatenate([S.TIP_PARENTS, np.full(5, S.HEAD)])

    v = np.zeros((NUM_VERTS, 3))
    owner = np.full(NUM_VERTS, -1, dtype=np.int64)
    v[special] = special_pos
    owner[special] = special_joint

    free = np.setdiff1d(np.arange(NUM_VERTS), special)
    rng.shuffle(free)
    reg = free[: NUM_JOINTS * REG_PER_JOINT].reshape(NUM_JOINTS, REG_PER_JOINT)
    rest_free = free[NUM_JOINTS * REG_PER_JOINT:]
    J_regressor = np.zeros((NUM_JOINTS, NUM_VERTS))
    for j in range(NUM_JOINTS):
        d = rng.normal(0.0, 0.01, (REG_PER_JOINT // 2, 3))
        v[reg[j]] = rest[j] + np.concatenate([d, -d])
        owner[reg[j]] = j
        J_regressor[j, reg[j]] = 1.0 / REG_PER_JOINT

    # skin vertices: more on the torso/head, some on every joint
    probs = np.ones(NUM_JOINTS)
    probs[[0, 3, 6, 9, 12, 15]] = 20.0
    probs /= probs.sum()
    owner[rest_free] = rng.choice(NUM_JOINTS, size=len(rest_free), p=probs)
    v[rest_free] = rest[owner[rest_free]] + rng.normal(0.0, 0.03, (len(rest_free), 3))

    weights = np.zeros((NUM_VERTS, NUM_JOINTS))
    weights[np.arange(NUM_VERTS), owner] = 1.0
    # free skin vertices blend a little with the parent joint (not the exact-test vertices)
    parents = S.PARENTS
    blend = rest_free[parents[owner[rest_free]] >= 0]
    a = rng.uniform(0.0, 0.3, len(blend))
    weights[blend, owner[blend]] = 1.0 - a
    weights[blend, parents[owner[blend]]] += a

    # shape (10) + expression (10) directions
    shapedirs = np.zeros((NUM_VERTS, 3, 20))
    joint_dirs = rng.normal(0.0, 0.01, (NUM_JOINTS, 3, 10))
    shapedirs[:, :, :10] = joint_dirs[owner]
    head_free = rest_free[np.isin(owner[rest_free], [S.HEAD, 22])]
    shapedirs[head_free, :, 10:] = rng.normal(0.0, 0.003, (len(head_free), 3, 10))

    posedirs = np.zeros((NUM_VERTS, 3, (NUM_JOINTS - 1) * 9), dtype=np.float32)

    order = np.argsort(owner * 100000 + np.arange(NUM_VERTS))  # neighbouring triangles within a part
    base = rng.integers(0, NUM_VERTS - 2, NUM_FACES)
    f = np.stack([order[base], order[base + 1], order[base + 2]], axis=1).astype(np.int64)

    def bary(*shape):
        b = rng.uniform(0.05, 1.0, shape + (3,))
        return b / b.sum(-1, keepdims=True)

    head_faces = np.nonzero(np.isin(owner[f[:, 0]], [S.HEAD, 22]))[0]
    if len(head_faces) == 0:  # pragma: no cover
        head_faces = np.arange(NUM_FACES)

    def comps():
        q, _ = np.linalg.qr(rng.normal(size=(45, 45)))
        return q.astype(np.float32)

    return {
        "v_template": v.astype(np.float32),
        "f": f,
        "shapedirs": shapedirs.astype(np.float32),
        "posedirs": posedirs,
        "J_regressor": J_regressor.astype(np.float32),
        "weights": weights.astype(np.float32),
        "kintree_table": np.stack([parents, np.arange(NUM_JOINTS)]).astype(np.int64),
        "hands_componentsl": comps(),
        "hands_componentsr": comps(),
        "hands_meanl": rng.normal(0.0, 0.1, 45).astype(np.float32),
        "hands_meanr": rng.normal(0.0, 0.1, 45).astype(np.float32),
        "lmk_faces_idx": rng.choice(head_faces, 51).astype(np.int64),
        "lmk_bary_coords": bary(51).astype(np.float32),
        "dynamic_lmk_faces_idx": rng.choice(head_faces, (79, 17)).astype(np.int64),
        "dynamic_lmk_bary_coords": bary(79, 17).astype(np.float32),
    }


def make_smplx_stub(out_dir, seed: int = 0) -> Path:
    """Write ``<out_dir>/smplx/SMPLX_NEUTRAL.npz``; returns ``out_dir`` (pass it to ``SMPLXModel``)."""
    out = Path(out_dir)
    (out / "smplx").mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "smplx" / "SMPLX_NEUTRAL.npz", **build_arrays(seed))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out_dir", help="model folder to create (gets smplx/SMPLX_NEUTRAL.npz)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    path = make_smplx_stub(args.out_dir, args.seed)
    print(f"wrote {path / 'smplx' / 'SMPLX_NEUTRAL.npz'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
