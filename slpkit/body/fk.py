"""Forward kinematics and pluggable body models (offline built-in skeleton or real SMPL-X).

Both backends implement :class:`BodyModel`:

- ``joints(v133, betas=None) -> (..., 70, 3)``: the 55 SMPL-X joints, 10 fingertips and 5 face
  points (nose, right_eye, left_eye, right_ear, left_ear); names/parents in
  :data:`slpkit.body.skeleton.EXT_NAMES` / ``EXT_PARENTS`` (also ``model.names``, ``model.parents``).
- ``metric_joints(v133) -> {'body': (..., 12, 3), 'lhand': (..., 21, 3), 'rhand': (..., 21, 3)}``:
  SOKE's metric joint sets (SOKE's public evaluation code; ``docs/reference.md``, "Three DTW
  conventions"): body = neck, shoulders, elbows, wrists, ears, eyes, nose (neck first);
  hands = wrist + 3 joints per finger + fingertip, in MediaPipe order (wrist, thumb1-3,
  thumb tip, index1-3, index tip, ... pinky tip).

Backends:

- :class:`OfflineSMPLX` (default, :func:`default_body_model`): SMPL-X's kinematic tree with the
  built-in rest skeleton of :mod:`slpkit.body.skeleton`; no files, no mesh. Fingertips are
  offsets of the distal finger joints and nose/eyes/ears offsets of the head joint. ``betas``
  only uses ``betas[..., 0]`` as a uniform scale ``1 + 0.06 * betas[0]`` (height-like).
- :class:`SMPLXModel`: wraps ``smplx.create(folder, model_type='smplx', gender='neutral',
  use_pca=False, use_face_contour=True)`` exactly as SOKE's public evaluation code does (36 zeros
  for root + lower body prepended, one fixed betas vector); fingertips and face points
  are SMPL-X mesh vertices (``smplx.vertex_ids.vertex_ids['smplx']``).

As in SMPL-X, the root (pelvis) sits at the rest pelvis position; V133 carries no root or
lower-body rotation so they are zero. Coordinates: metres, y up, z forward, +x = subject's left.

Example::

    >>> import numpy as np
    >>> from slpkit.body.fk import default_body_model
    >>> bm = default_body_model()
    >>> bm.joints(np.zeros((8, 133), np.float32)).shape
    (8, 70, 3)
    >>> {k: v.shape for k, v in bm.metric_joints(np.zeros((8, 133))).items()}
    {'body': (8, 12, 3), 'lhand': (8, 21, 3), 'rhand': (8, 21, 3)}
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import torch

from slpkit.body import skeleton as S
from slpkit.body.layouts import check_v133, v133_to_full_pose
from slpkit.body.rotations import axis_angle_to_matrix
from slpkit.checks import check_finite, check_int, check_last_dim, check_shape

__all__ = [
    "forward_kinematics", "BodyModel", "OfflineSMPLX", "SMPLXModel", "default_body_model",
    "load_body_model", "SMPLX_DOWNLOAD_URL",
]

SMPLX_DOWNLOAD_URL = "https://smpl-x.is.tue.mpg.de"


@functools.lru_cache(maxsize=None)
def _levels(parents: tuple[int, ...]) -> list[tuple[list[int], list[int]]]:
    depth = [0] * len(parents)
    for j, p in enumerate(parents):
        if p >= j and p != -1:
            raise ValueError("parents must be topologically ordered (parent index < child index)")
        depth[j] = 0 if p < 0 else depth[p] + 1
    out = []
    for d in range(1, max(depth) + 1):
        idx = [j for j in range(len(parents)) if depth[j] == d]
        out.append((idx, [parents[j] for j in idx]))
    return out


def forward_kinematics(
    local_rot: torch.Tensor,
    rest: torch.Tensor,
    parents=S.PARENTS,
    transl: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched FK: local rotations ``(..., J, 3, 3)`` and rest joints ``(J, 3)`` (or ``(..., J, 3)``)
    -> global positions ``(..., J, 3)`` and global rotations ``(..., J, 3, 3)``.

    Joint ``j`` is placed at ``p[parent] + G[parent] @ (rest[j] - rest[parent])`` with
    ``G[j] = G[parent] @ R[j]``; the root stays at ``rest[0] (+ transl)`` rotated by ``R[0]``.
    Joints are processed level by level of the tree (about 12 batched steps for SMPL-X).
    """
    check_shape(local_rot, (-1, 3, 3), "local rotations")
    parents_t = tuple(int(p) for p in parents)
    J = local_rot.shape[-3]
    if len(parents_t) != J:
        raise ValueError(f"{J} local rotations but {len(parents_t)} parents")
    if not isinstance(rest, torch.Tensor):
        rest = np.array(rest, dtype=np.float64)  # copy: REST_JOINTS is read-only
    rest = torch.as_tensor(rest, dtype=local_rot.dtype, device=local_rot.device)
    check_shape(rest, (J, 3), "rest joints")
    batch = local_rot.shape[:-3]
    rest = rest.expand(batch + (J, 3))
    grot = torch.empty_like(local_rot)
    gpos = torch.empty(batch + (J, 3), dtype=local_rot.dtype, device=local_rot.device)
    roots = [j for j, p in enumerate(parents_t) if p < 0]
    grot[..., roots, :, :] = local_rot[..., roots, :, :]
    gpos[..., roots, :] = rest[..., roots, :] if transl is None else rest[..., roots, :] + transl[..., None, :]
    for idx, par in _levels(parents_t):
        rp = grot[..., par, :, :]
        grot[..., idx, :, :] = rp @ local_rot[..., idx, :, :]
        off = (rest[..., idx, :] - rest[..., par, :])[..., None]
        gpos[..., idx, :] = gpos[..., par, :] + (rp @ off)[..., 0]
    return gpos, grot


def _to_torch(x, dtype=torch.float32):
    if isinstance(x, torch.Tensor):
        return x, True
    return torch.as_tensor(np.asarray(x), dtype=dtype), False


def _back(x: torch.Tensor, was_torch: bool):
    if was_torch:
        return x
    return x.detach().cpu().numpy().astype(np.float32)


class BodyModel:
    """Interface of a body model. Subclasses implement :meth:`_ext_joints` on flat ``(N, 133)``
    torch input; the public methods handle numpy/torch, leading dims and validation."""

    names: tuple[str, ...] = S.EXT_NAMES
    parents: np.ndarray = S.EXT_PARENTS
    num_joints: int = S.NUM_EXT
    metric_names = {"body": S.METRIC_BODY_NAMES, "lhand": S.METRIC_HAND_NAMES, "rhand": S.METRIC_HAND_NAMES}

    def _ext_joints(self, v133: torch.Tensor, betas: torch.Tensor | None) -> torch.Tensor:  # (N, 70, 3)
        raise NotImplementedError

    def _prepare(self, v133, betas):
        v133 = check_v133(v133)
        t, was_torch = _to_torch(v133)
        lead = tuple(t.shape[:-1])
        flat = t.reshape(-1, 133)
        b = None
        if betas is not None:
            b = torch.as_tensor(betas, dtype=flat.dtype, device=flat.device)
            check_last_dim(b, 10, "betas", "SMPL-X shape has 10 betas here (SOKE's smplx_shape).")
            check_finite(b, "betas")
            # (10,) for all frames, or (..., 10) matching the leading dims except time
            ok = b.ndim == 1 or (b.ndim - 1 <= len(lead) and all(
                x in (1, y) for x, y in zip(b.shape[:-1], lead[: b.ndim - 1])))
            if not ok:
                raise ValueError(f"betas has shape {tuple(b.shape)} for v133 of shape {tuple(t.shape)}: pass one (10,) "
                                 f"shape vector for every frame or one per frame, shape {lead + (10,)}")
            if b.ndim > 1:
                b = b.reshape(b.shape[:-1] + (1,) * (len(lead) - b.ndim + 1) + (10,)).expand(lead + (10,))
            else:
                b = b.expand(lead + (10,))
            b = b.reshape(-1, 10)
        return flat, b, lead, was_torch

    def joints(self, v133, betas=None):
        """``(..., 133) -> (..., 70, 3)`` joint positions in metres (see module docstring)."""
        flat, b, lead, was_torch = self._prepare(v133, betas)
        out = self._ext_joints(flat, b).reshape(lead + (self.num_joints, 3))
        return _back(out, was_torch)

    def metric_joints(self, v133, betas=None) -> dict:
        """SOKE metric sets: ``{'body': (..., 12, 3), 'lhand': (..., 21, 3), 'rhand': (..., 21, 3)}``."""
        j = self.joints(v133, betas)
        return {
            "body": j[..., S.METRIC_BODY_IDX, :],
            "lhand": j[..., S.METRIC_LHAND_IDX, :],
            "rhand": j[..., S.METRIC_RHAND_IDX, :],
        }

    def global_rotations(self, v133):
        """Global rotation of each of the 55 SMPL-X joints, ``(..., 55, 3, 3)`` (root and lower body
        zero, so independent of the rest skeleton)."""
        v133 = check_v133(v133)
        t, was_torch = _to_torch(v133)
        rot = axis_angle_to_matrix(v133_to_full_pose(t))
        _, grot = forward_kinematics(rot, S.REST_JOINTS)
        return _back(grot, was_torch)

    def joints_and_rotations(self, v133, betas=None):
        """``(joints (..., 70, 3), global rotations (..., 55, 3, 3))``: both outputs of one FK pass where the
        backend allows it (:func:`slpkit.body.keypoints.keypoints178` needs both for every frame)."""
        return self.joints(v133, betas), self.global_rotations(v133)

    def head_transform(self, v133, betas=None):
        """``(R, t)``: global rotation ``(..., 3, 3)`` and position ``(..., 3)`` of the head joint."""
        grot = self.global_rotations(v133)
        j = self.joints(v133, betas)
        return grot[..., S.HEAD, :, :], j[..., S.HEAD, :]


class OfflineSMPLX(BodyModel):
    """SMPL-X kinematic tree on the built-in rest skeleton (:data:`slpkit.body.skeleton.REST_JOINTS`).

    ``rest``: optional ``(55, 3)`` rest joints to use instead of the built-in ones (tip and face
    offsets stay the built-in ones).
    """

    def __init__(self, rest: np.ndarray | None = None):
        self.rest = np.array(S.REST_JOINTS if rest is None else rest, dtype=np.float64)
        if self.rest.shape != (55, 3):
            raise ValueError(f"rest joints have shape {self.rest.shape}, expected (55, 3)")
        self._rest_t = torch.as_tensor(self.rest, dtype=torch.float32)
        self._tip_off = torch.as_tensor(S.TIP_OFFSETS, dtype=torch.float32)
        self._face_off = torch.as_tensor(S.FACE_POINT_OFFSETS, dtype=torch.float32)

    def __repr__(self) -> str:
        return "OfflineSMPLX(built-in rest skeleton, 70 joints)"

    def rest_points(self) -> np.ndarray:
        """``(70, 3)`` rest positions (v133 = 0)."""
        tips = self.rest[S.TIP_PARENTS] + S.TIP_OFFSETS
        face = self.rest[S.HEAD] + S.FACE_POINT_OFFSETS
        return np.concatenate([self.rest, tips, face]).astype(np.float32)

    def forward_full(self, full_pose, transl=None):
        """FK from a full SMPL-X pose: axis-angle ``(..., 55, 3)`` (or rotation matrices
        ``(..., 55, 3, 3)``), optional ``transl (..., 3)`` -> ``(..., 70, 3)``."""
        t, was_torch = _to_torch(full_pose)
        check_finite(t, "full pose")
        rot = t if t.shape[-2:] == (3, 3) and t.ndim >= 3 and t.shape[-3] == 55 else None
        if rot is None:
            check_shape(t, (55, 3), "full pose", "SMPL-X full pose is 55 joints x 3 axis-angle.")
            rot = axis_angle_to_matrix(t)
        tr = None
        if transl is not None:
            tr = torch.as_tensor(np.asarray(transl) if not isinstance(transl, torch.Tensor) else transl,
                                 dtype=rot.dtype, device=rot.device)
            check_last_dim(tr, 3, "transl", "a translation is (x, y, z) in metres")
            check_finite(tr, "transl")
            try:
                torch.broadcast_shapes(tuple(tr.shape[:-1]), tuple(rot.shape[:-3]))
            except RuntimeError:
                raise ValueError(f"transl has shape {tuple(tr.shape)} but the full pose has shape {tuple(t.shape)}: "
                                 f"pass (3,) or one translation per frame, shape {tuple(rot.shape[:-3]) + (3,)}") from None
        out = self._points_from_rot(rot, tr)
        return _back(out, was_torch)

    def _points_from_rot(self, rot: torch.Tensor, transl: torch.Tensor | None = None,
                         with_rotations: bool = False):
        rest = self._rest_t.to(dtype=rot.dtype, device=rot.device)
        pos, grot = forward_kinematics(rot, rest, S.PARENTS, transl)
        tip_off = self._tip_off.to(dtype=rot.dtype, device=rot.device)
        face_off = self._face_off.to(dtype=rot.dtype, device=rot.device)
        tips = pos[..., S.TIP_PARENTS, :] + (grot[..., S.TIP_PARENTS, :, :] @ tip_off[..., None])[..., 0]
        face = pos[..., [S.HEAD], :] + (grot[..., [S.HEAD], :, :] @ face_off[..., None])[..., 0]
        points = torch.cat([pos, tips, face], dim=-2)
        return (points, grot) if with_rotations else points

    def _ext_joints(self, v133, betas, with_rotations: bool = False):
        rot = axis_angle_to_matrix(v133_to_full_pose(v133))
        out, grot = self._points_from_rot(rot, with_rotations=True)
        if betas is not None:
            out = out * (1.0 + 0.06 * betas[:, :1])[:, :, None]
        return (out, grot) if with_rotations else out

    def joints_and_rotations(self, v133, betas=None):
        """Joints and global rotations from one FK pass (see :meth:`BodyModel.joints_and_rotations`)."""
        flat, b, lead, was_torch = self._prepare(v133, betas)
        out, grot = self._ext_joints(flat, b, with_rotations=True)
        return (_back(out.reshape(lead + (self.num_joints, 3)), was_torch),
                _back(grot.reshape(lead + (55, 3, 3)), was_torch))


def _resolve_smplx_path(model_folder) -> Path:
    """``model_folder`` may be the folder holding ``smplx/SMPLX_NEUTRAL.npz`` (smplx's layout), the
    ``smplx`` folder itself, or the ``.npz``/``.pkl`` file."""
    p = Path(os.path.expanduser(str(model_folder)))
    candidates = []
    if p.is_file():
        return p
    for ext in ("npz", "pkl"):
        candidates += [p / "smplx" / f"SMPLX_NEUTRAL.{ext}", p / f"SMPLX_NEUTRAL.{ext}"]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError(
        f"SMPL-X model files not found at {str(p)!r} (looked for {', '.join(str(c) for c in candidates[:2])}). "
        f"Download SMPL-X (free registration) from {SMPLX_DOWNLOAD_URL} and lay it out as smplx expects: "
        "<model_folder>/smplx/SMPLX_NEUTRAL.npz (smplx.create(model_folder, model_type='smplx', "
        "gender='neutral') looks there). For a stand-in with random geometry run "
        "`python data_stubs/make_smplx_stub.py <model_folder>`; without any files use "
        "slpkit.body.fk.default_body_model() (offline skeleton)."
    )


class SMPLXModel(BodyModel):
    """Real SMPL-X through the ``smplx`` package, configured as in SOKE's evaluation.

    ``model_folder``: see :func:`_resolve_smplx_path`. ``betas``: fixed ``(10,)`` shape vector
    (default zeros). ``flat_hand_mean``: smplx's option (default False, smplx's default and
    SOKE's ``smplx.create`` call: hand poses are relative to the model's mean hand).
    ``chunk``: frames per smplx call (memory bound).
    """

    def __init__(self, model_folder, betas=None, flat_hand_mean: bool = False, chunk: int = 256,
                 device: str | torch.device = "cpu"):
        import smplx  # optional heavy dependency: only the real SMPL-X backend (licensed model files) needs it
        from smplx.vertex_ids import vertex_ids

        path = _resolve_smplx_path(model_folder)
        if path.suffix not in (".npz", ".pkl"):
            raise ValueError(f"{path} is not an SMPL-X model file: pass the folder holding smplx/SMPLX_NEUTRAL.npz "
                             "(or the .npz / .pkl file itself)")
        b = np.zeros(10, np.float32) if betas is None else np.asarray(betas, np.float32).reshape(-1)
        if b.shape != (10,) or not np.isfinite(b).all():
            raise ValueError(f"betas has shape {np.shape(betas)}: pass 10 finite shape coefficients, shape (10,)")
        chunk = check_int(chunk, "chunk", min=1, hint="frames per smplx call")
        self.path = path
        self.device = torch.device(device)
        try:
            model = smplx.create(
                str(path), model_type="smplx", gender="neutral", use_pca=False, use_face_contour=True,
                flat_hand_mean=flat_hand_mean, num_betas=10, num_expression_coeffs=10, batch_size=1,
                ext=path.suffix.lstrip("."),
            )
        except Exception as err:  # truncated (UnpicklingError, BadZipFile) or foreign (AttributeError, KeyError) files
            raise ValueError(f"cannot read the SMPL-X model file {path} ({type(err).__name__}: {err}): the file is "
                             "truncated or not an SMPL-X model; download it again from "
                             f"{SMPLX_DOWNLOAD_URL} (or write a stand-in with data_stubs/make_smplx_stub.py)") from err
        self.model = model.to(self.device)
        self.model.eval()
        for prm in self.model.parameters():
            prm.requires_grad_(False)
        ids = vertex_ids["smplx"]
        tip_ids = [ids[f"{s}{f}"] for s in ("l", "r") for f in S.FINGERS]
        face_ids = [ids[k] for k in ("nose", "reye", "leye", "rear", "lear")]
        self._vert_ids = torch.as_tensor(tip_ids + face_ids, dtype=torch.long, device=self.device)
        self.betas = torch.as_tensor(b, device=self.device)
        self.chunk = chunk

    def __repr__(self) -> str:
        return f"SMPLXModel({str(self.path)!r})"

    def _ext_joints(self, v133, betas):
        dev_in, dtype_in = v133.device, v133.dtype
        v = v133.to(self.device, torch.float32)
        n = v.shape[0]
        b_all = self.betas.expand(n, 10) if betas is None else betas.to(self.device, torch.float32)
        outs = []
        for s in range(0, n, self.chunk):
            x = v[s:s + self.chunk]
            m = x.shape[0]
            z3 = x.new_zeros(m, 3)
            body = torch.cat([x.new_zeros(m, 33), x[:, 0:30]], dim=1)  # 36 zeros incl. root
            out = self.model(
                betas=b_all[s:s + m], global_orient=z3, body_pose=body, left_hand_pose=x[:, 30:75],
                right_hand_pose=x[:, 75:120], jaw_pose=x[:, 120:123], expression=x[:, 123:133],
                leye_pose=z3, reye_pose=z3, transl=z3, return_verts=True,
            )
            extra = out.vertices[:, self._vert_ids]
            outs.append(torch.cat([out.joints[:, :55], extra], dim=1))
        res = torch.cat(outs, dim=0) if outs else v.new_zeros(0, S.NUM_EXT, 3)
        return res.to(dev_in, dtype_in)


@functools.lru_cache(maxsize=1)
def default_body_model() -> OfflineSMPLX:
    """The offline body model (no files needed); cached."""
    return OfflineSMPLX()


def load_body_model(path=None, **kwargs) -> BodyModel:
    """``None`` or ``'offline'`` -> :func:`default_body_model`; a path -> :class:`SMPLXModel`
    (``FileNotFoundError`` with download instructions if the files are missing)."""
    if path is None or (isinstance(path, str) and path.lower() == "offline"):
        return default_body_model()
    if isinstance(path, BodyModel):
        return path
    return SMPLXModel(path, **kwargs)
