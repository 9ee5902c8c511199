"""SynthSign motion: signers, sign templates, coarticulated assembly, non-manuals, outputs.

Internal per-frame vector (133, float64), laid out like ``V133`` for the first 123 dims:
``[0:30]`` upper body axis-angle, ``[30:75]`` left hand, ``[75:120]`` right hand (dominant),
``[120:123]`` jaw, then ``[123:131]`` the 8-dim face latent ``z`` and ``[131:133]`` eyelids.
:func:`to_outputs` maps it to ``v133`` and ``face108``: the FLAME-like 100-dim expression is
``z @ basis.T`` with a fixed random basis (:func:`face_basis`) whose columns have decreasing
scale, so the face lives on an 8-dim linear manifold; rows 0..9 (which become SOKE's 10 SMPL-X
expression dims) load strongly on the grammatical components (brows, cheeks) and only weakly
(x0.12) on the mouthing components 3..7, so mouthing that is clear in the 100-dim SMPL-FX face
is faint in SMPL-X's 10 dims (M3T Sec. 3.1's argument for SMPL-FX).

Face latent components: 0 brow raise (yes/no questions, topics), 1 brow furrow
(wh-questions, negation), 2 lexical cheek/brow, 3..7 mouthing.

Coarticulation (:func:`assemble`): consecutive signs are never concatenated; the gap between
the end of one sign and the start of the next is a minimum-jerk blend (Flash & Hogan) whose
length grows with the distance the arms travel, and the blend starts *inside* the previous
sign, earlier for the hands (anticipatory handshape change, 35% of the sign) than for the
arms (12%) and the face (20%), so the last frames of a sign depend on the next sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from slpkit.body.rotations import axis_angle_to_rot6d
from slpkit.data.synthsign import phonology as ph

D = 133
NECK, L_COLLAR, R_COLLAR, HEAD = slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 12)
L_SH, R_SH, L_EL, R_EL, L_WR, R_WR = (slice(12, 15), slice(15, 18), slice(18, 21), slice(21, 24),
                                      slice(24, 27), slice(27, 30))
LHAND, RHAND, JAW, Z, LID = slice(30, 75), slice(75, 120), slice(120, 123), slice(123, 131), slice(131, 133)
N_LATENT = 8
FACE_SCALES = np.array([1.0, 0.9, 0.8, 0.72, 0.64, 0.56, 0.5, 0.45])
_MIRROR3 = np.array([1.0, -1.0, -1.0])


def minjerk(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile ``10 t^3 - 15 t^4 + 6 t^5`` on ``[0, 1]`` (zero velocity/acceleration at ends)."""
    t = np.minimum(np.maximum(tau, 0.0), 1.0)
    return t * t * t * (10.0 + t * (-15.0 + 6.0 * t))


@dataclass(frozen=True)
class Signer:
    """Per-signer style: speed, amplitude, body proportions/posture, hand laxness, face, noise."""

    id: int
    speed: float  # > 1 signs faster (shorter signs and transitions)
    amplitude: float  # scales movement size
    arm_offset: tuple  # (a, f, e) radians added to every arm configuration (proportions)
    posture: tuple  # 12 axis-angle values added to neck, collars, head
    laxness: float  # scales finger flexion
    face_scale: float
    face_neutral: tuple  # 8-dim latent offset (face identity)
    noise: float  # scale of the smooth per-frame noise
    blink_rate: float  # blinks per second


def sample_signer(rng: np.random.Generator, signer_id: int, variation: float = 1.0) -> Signer:
    v = float(variation)
    return Signer(
        id=int(signer_id),
        speed=float(np.exp(rng.uniform(-0.22, 0.22) * v)),
        amplitude=float(np.exp(rng.uniform(-0.25, 0.25) * v)),
        arm_offset=tuple(float(x) for x in rng.normal(0.0, 0.07 * v, 3)),
        posture=tuple(float(x) for x in rng.normal(0.0, 0.05 * v, 12)),
        laxness=float(1.0 + rng.uniform(-0.15, 0.05) * v),
        face_scale=float(np.exp(rng.uniform(-0.3, 0.3) * v)),
        face_neutral=tuple(float(x) for x in rng.normal(0.0, 0.35 * v, N_LATENT)),
        noise=float(np.exp(rng.uniform(-0.4, 0.4) * v)),
        blink_rate=float(rng.uniform(0.15, 0.45)),
    )


def face_basis(rng: np.random.Generator) -> np.ndarray:
    """Fixed ``(100, 8)`` expression basis with decreasing column scale (see module doc)."""
    B = rng.normal(0.0, 1.0, (100, N_LATENT)) * FACE_SCALES
    B[:10, 3:] *= 0.12
    return B


def _arm_aa(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) [down, forward, elbow] radians of the right arm -> shoulder and elbow axis-angle (N, 3)."""
    sh = Rotation.from_euler("zx", np.stack([params[:, 0], -params[:, 1]], axis=1)).as_rotvec()
    el = np.zeros_like(sh)
    el[:, 1] = params[:, 2]
    return sh, el


def rest_pose(signer: Signer) -> np.ndarray:
    """(133,) internal rest pose of ``signer``: arms down, hands relaxed, neutral face."""
    x = np.zeros(D)
    arm = np.deg2rad(ph.REST_ARM) + np.asarray(signer.arm_offset) * 0.5
    sh, el = _arm_aa(arm[None])
    x[R_SH], x[R_EL] = sh[0], el[0]
    x[L_SH], x[L_EL] = sh[0] * _MIRROR3, el[0] * _MIRROR3
    x[RHAND] = ph.RELAXED_HAND * signer.laxness
    x[LHAND] = (ph.RELAXED_HAND * signer.laxness).reshape(15, 3).__mul__(_MIRROR3).reshape(45)
    x[0:12] += np.asarray(signer.posture)
    x[JAW.start] = 0.03
    return x


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / max(np.linalg.norm(v), 1e-9)


def sign_template(form: ph.SignForm, signer: Signer) -> np.ndarray:
    """``(L, 133)`` internal trajectory of one sign by ``signer`` (no noise, no timing jitter)."""
    L = max(6, int(round(form.length / signer.speed)))
    tau = np.linspace(0.0, 1.0, L)
    s = minjerk(tau)
    base = form.hand_type == "base"
    loc = np.deg2rad(ph.BASE_DOMINANT if base else ph.LOCATIONS[form.location]) + np.asarray(signer.arm_offset)
    d = _unit(ph.DIRECTIONS[form.direction])
    perp = _unit(np.cross(d, [0.3, 0.4, 0.87]))
    amp = 0.28 * signer.amplitude
    r = form.repeats
    off = np.zeros((L, 3))
    wrist = np.tile(np.asarray(ph.ORIENTATIONS[form.orientation], float), (L, 1))
    mv = form.movement
    if mv == "straight":
        off = np.outer(s - 0.5, d) * amp
    elif mv == "arc":
        off = np.outer(s - 0.5, d) * amp + np.outer(np.sin(np.pi * s), perp) * 0.4 * amp
    elif mv == "circle":
        ang = 2 * np.pi * s
        off = 0.45 * amp * (np.outer(np.cos(ang), d) + np.outer(np.sin(ang), perp))
    elif mv == "repeated":
        off = np.outer(0.5 * (1 - np.cos(2 * np.pi * r * s)), d) * 0.45 * amp
    elif mv == "wiggle":
        off = np.outer(s - 0.5, d) * 0.15 * amp
    elif mv == "twist":
        wrist[:, 0] += 0.3 * signer.amplitude * 0.5 * (1 - np.cos(2 * np.pi * min(r, 2) * s))
    arm = loc[None, :] + off
    sh, el = _arm_aa(arm)

    hand = np.tile(ph.HANDSHAPES[form.handshape], (L, 1))
    if form.handshape_end:
        w = minjerk((tau - 0.15) / 0.7)[:, None]
        hand = hand + w * (ph.HANDSHAPES[form.handshape_end] - ph.HANDSHAPES[form.handshape])[None, :]
    if mv == "wiggle":
        env = np.sin(np.pi * tau) ** 2
        fingers = np.arange(4) * 9  # index, middle, pinky, ring: joint 1 of each; +2 = flexion (z)
        phase = np.array([0.0, 0.8, 2.4, 1.6])
        wig = 0.3 * np.sin(2 * np.pi * r * tau[:, None] + phase[None, :]) * env[:, None]
        hand[:, fingers + 2] += wig
        hand[:, fingers + 5] += 0.6 * wig
    hand = hand * signer.laxness

    x = np.zeros((L, D))
    x[:, 0:12] = np.asarray(signer.posture)[None, :]
    x[:, R_SH], x[:, R_EL], x[:, R_WR], x[:, RHAND] = sh, el, wrist, hand
    if form.hand_type == "sym":
        x[:, L_SH], x[:, L_EL], x[:, L_WR] = sh * _MIRROR3, el * _MIRROR3, wrist * _MIRROR3
        x[:, LHAND] = (hand.reshape(L, 15, 3) * _MIRROR3).reshape(L, 45)
    elif base:
        barm = np.deg2rad(ph.BASE_ARM) + np.asarray(signer.arm_offset)
        bsh, bel = _arm_aa(barm[None])
        x[:, L_SH], x[:, L_EL] = bsh[0] * _MIRROR3, bel[0] * _MIRROR3
        x[:, L_WR] = np.asarray(ph.ORIENTATIONS["up"]) * _MIRROR3
        x[:, LHAND] = (ph.HANDSHAPES[form.base_handshape] * signer.laxness).reshape(15, 3).__mul__(_MIRROR3).reshape(45)
    else:
        rp = rest_pose(signer)
        x[:, L_SH], x[:, L_EL], x[:, L_WR], x[:, LHAND] = rp[L_SH], rp[L_EL], rp[L_WR], rp[LHAND]
    # face: mouthing bumps (syllables), lexical component, jaw opening
    prof = np.sin(np.pi * form.mouth_syllables * tau) ** 2
    x[:, 126:131] = np.outer(prof, form.mouth) * signer.face_scale
    x[:, 125] = form.lexical_face * np.sin(np.pi * tau) ** 2 * signer.face_scale
    x[:, JAW.start] = 0.03 + form.jaw * prof
    return x


# anticipation (fraction of the previous sign's length) per internal dim
ANTICIPATION = np.zeros(D)
ANTICIPATION[0:12] = 0.10
ANTICIPATION[12:30] = 0.12
ANTICIPATION[30:120] = 0.35
ANTICIPATION[120:133] = 0.20
_ARMS = np.r_[12:30]


def resample(x: np.ndarray, n: int) -> np.ndarray:
    """Linear time resampling of ``(L, D)`` to ``(n, D)`` (first and last frame kept)."""
    L = x.shape[0]
    if n == L:
        return x
    pos = np.linspace(0.0, L - 1, n)
    i0 = np.minimum(pos.astype(np.int64), L - 2) if L > 1 else np.zeros(n, np.int64)
    f = (pos - i0)[:, None]
    return x[i0] * (1.0 - f) + x[np.minimum(i0 + 1, L - 1)] * f


def transition_frames(a: np.ndarray, b: np.ndarray, speed: float) -> int:
    """Frames between two signs: grows with the arm distance, shrinks with signer speed (3..12)."""
    d = a[12:30] - b[12:30]
    dist = float(np.sqrt(d @ d))
    return int(min(max(round((3.0 + 7.0 * dist) / speed), 3), 12))


def assemble(templates: list, rest: np.ndarray, signer: Signer, rng: np.random.Generator,
             hold: tuple[int, int] = (6, 6), timing_jitter: float = 0.1, place_jitter: float = 0.03,
             blend: str = "minjerk") -> tuple[np.ndarray, list]:
    """Rest -> signs -> rest with coarticulated transitions.

    Returns the internal ``(T, 133)`` trajectory and the ``(start, end_exclusive)`` frames of
    each sign. ``blend='linear'`` uses linear instead of minimum-jerk blends (an ablation).
    """
    pieces = [np.repeat(rest[None], hold[0], axis=0)]
    for tpl in templates:
        n = max(5, int(round(tpl.shape[0] * np.exp(rng.uniform(-timing_jitter, timing_jitter)))))
        p = resample(tpl, n)
        if place_jitter:
            j = rng.normal(0.0, place_jitter, 9)
            p = p.copy()
            p[:, 15:24] += j[None, :]  # dominant shoulder/elbow/wrist placement
        pieces.append(p)
    pieces.append(np.repeat(rest[None], hold[1], axis=0))
    gaps = [transition_frames(pieces[k][-1], pieces[k + 1][0], signer.speed) for k in range(len(pieces) - 1)]
    lens = [p.shape[0] for p in pieces]
    starts = np.concatenate([[0], np.cumsum(np.array(lens[:-1]) + np.array(gaps))]).astype(int)
    T = int(starts[-1] + lens[-1])
    out = np.empty((T, D))
    for p, s0 in zip(pieces, starts):
        out[s0:s0 + p.shape[0]] = p
    prof = minjerk if blend == "minjerk" else (lambda t: np.minimum(np.maximum(t, 0.0), 1.0))
    for k in range(len(pieces) - 1):
        P, N = pieces[k], pieces[k + 1]
        sp, ep, sn = starts[k], starts[k] + lens[k], starts[k + 1]
        a = np.floor(ANTICIPATION * (lens[k] if 0 < k else 0)).astype(int)  # no anticipation out of rest
        w0 = ep - a  # (D,)
        tmin = int(w0.min())
        tt = np.arange(tmin, sn)
        prev = P[np.minimum(tt - sp, lens[k] - 1)]
        tau = (tt[:, None] - w0[None, :] + 1) / (sn - w0[None, :] + 1)
        w = prof(tau)
        out[tmin:sn] = prev + w * (N[0][None, :] - prev)
    spans = [(int(starts[k]), int(starts[k] + lens[k])) for k in range(1, len(pieces) - 1)]
    return out, spans


def _plateau(T: int, t0: int, t1: int, ramp: int = 8) -> np.ndarray:
    t = np.arange(T)
    return minjerk((t - (t0 - ramp)) / ramp) * minjerk(((t1 + ramp) - t) / ramp)


def add_nonmanuals(x: np.ndarray, spans: list, nmf: list, signer: Signer, fps: int = 25) -> None:
    """Grammatical non-manuals over sign ranges, in place (see grammar module doc)."""
    T = x.shape[0]
    fs = signer.face_scale
    for kind, i0, i1 in nmf:
        t0, t1 = spans[i0][0], spans[i1][1]
        env = _plateau(T, t0, t1)
        if kind == "yn_question":
            x[:, 123] += 1.6 * fs * env
            x[:, 9] += 0.14 * env  # head forward
            x[:, 0] += 0.05 * env
        elif kind == "wh_question":
            x[:, 124] += 1.5 * fs * env
            x[:, 9] += 0.07 * env
            x[:, 131:133] += 0.25 * env[:, None]  # squint
        elif kind == "topic":
            x[:, 123] += 1.3 * fs * env
            x[:, 9] -= 0.12 * env  # head back
        elif kind == "negation":
            t = np.arange(T) / fps
            shake = np.sin(2 * np.pi * 2.2 * signer.speed * (t - t0 / fps)) * env
            x[:, 1] += 0.10 * shake  # neck y
            x[:, 10] += 0.22 * shake  # head y
            x[:, 124] += 0.6 * fs * env
        else:  # pragma: no cover - grammar only emits the kinds above
            raise ValueError(f"unknown non-manual {kind!r}")


# smooth noise scale per internal dim
NOISE_SIGMA = np.full(D, 0.015)
NOISE_SIGMA[30:120] = 0.03
NOISE_SIGMA[120:123] = 0.008
NOISE_SIGMA[123:131] = 0.08
NOISE_SIGMA[131:133] = 0.02


_KNOTS: dict = {}


def _knot_matrix(T: int, every: int) -> np.ndarray:
    """``(T, K)`` linear-interpolation weights from knots every ``every`` frames (cached per T)."""
    W = _KNOTS.get((T, every))
    if W is None:
        K = T // every + 2
        pos = np.arange(T) / every
        i0 = pos.astype(np.int64)
        f = pos - i0
        W = np.zeros((T, K))
        W[np.arange(T), i0] = 1 - f
        W[np.arange(T), i0 + 1] += f
        _KNOTS[(T, every)] = W
    return W


def finish(x: np.ndarray, signer: Signer, rng: np.random.Generator, fps: int = 25, noise: float = 1.0,
           knot_every: int = 6) -> np.ndarray:
    """Face identity, blinks and smooth noise (piecewise-linear between random knots), in place."""
    T = x.shape[0]
    x[:, Z] += np.asarray(signer.face_neutral)[None, :]
    n_blink = rng.poisson(signer.blink_rate * T / fps)
    if n_blink:
        c = rng.integers(0, T, n_blink)
        x[:, LID] += np.exp(-0.5 * ((np.arange(T)[:, None] - c[None, :]) / 1.5) ** 2).sum(1)[:, None]
    if noise > 0:
        W = _knot_matrix(T, knot_every)
        knots = rng.standard_normal((W.shape[1], D)) * (NOISE_SIGMA * (signer.noise * noise))
        x += W @ knots
    x[:, LID] = np.minimum(np.maximum(x[:, LID], 0.0), 1.0)
    return x


def to_outputs(x: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Internal ``(T, 133)`` -> ``v133 (T, 133)`` and ``face108 (T, 108)`` float32 (jaw 6D filled by caller).

    ``face108[:, 102:108]`` is left zero here; :func:`fill_jaw6d` computes it for many
    sequences at once with ``slpkit.body.rotations.axis_angle_to_rot6d``.
    """
    T = x.shape[0]
    expr = (x[:, Z] @ basis.T).astype(np.float32)
    v = np.empty((T, 133), np.float32)
    v[:, :123] = x[:, :123]
    v[:, 123:133] = expr[:, :10]
    f = np.empty((T, 108), np.float32)
    f[:, :100] = expr
    f[:, 100:102] = x[:, LID]
    f[:, 102:108] = 0.0
    return v, f


def fill_jaw6d(pairs: list) -> None:
    """Set ``face108[:, 102:108] = rot6d(v133[:, 120:123])`` for a list of ``(v133, face108)``, in place."""
    if not pairs:
        return
    jaw = np.concatenate([v[:, 120:123] for v, _ in pairs]).astype(np.float64)
    r6 = np.asarray(axis_angle_to_rot6d(jaw), dtype=np.float32)
    o = 0
    for v, f in pairs:
        n = v.shape[0]
        f[:, 102:108] = r6[o:o + n]
        o += n
