"""SynthSign phonology: the parameters a sign is built from.

A sign form (:class:`SignForm`) combines the classic manual parameters (Stokoe):
handshape (one of :data:`HANDSHAPES`, ~20 finger configurations written as
axis-angle flexion / spread of the 15 MANO joints of a hand, optionally changing
to a second handshape during the sign), location (:data:`LOCATIONS`, reached by
shoulder/elbow angles of the upper body), orientation (wrist, :data:`ORIENTATIONS`),
movement (:data:`MOVEMENTS` along a direction of :data:`DIRECTIONS`) and hand
arrangement (:data:`HAND_TYPES`: one-handed, symmetric two-handed, dominant hand on a
static base hand), plus non-manual parameters: a mouthing (coefficients of the
mouthing components of the face latent, with jaw opening) and a lexical face
component (cheeks/brows). Meaning is therefore carried by the body, each hand and
the face together (SOKE Sec. 3.2 decouples body / left hand / right hand; M3T adds
the face).

Joint conventions (right = dominant hand; the left hand is the sagittal mirror
``(x, y, z) -> (x, -y, -z)`` of axis-angle, as ``slpkit.body.rotations.mirror_axis_angle``):
MANO joint order inside a 45-dim hand: index 1-3, middle 1-3, pinky 1-3, ring 1-3,
thumb 1-3. Finger flexion of the right hand is a rotation about +z, spread about y.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

# ----------------------------------------------------------------------------- hands
# finger flexion codes: (base, middle, tip) flexion in radians
_FINGER = {
    "E": (0.0, 0.0, 0.0),  # extended
    "F": (1.45, 1.55, 1.05),  # closed into the fist
    "C": (0.55, 0.65, 0.45),  # curved
    "H": (0.05, 1.45, 1.0),  # hooked (base extended, middle/tip flexed)
    "B": (1.4, 0.08, 0.05),  # bent at the base knuckle only
    "K": (0.9, 1.1, 0.8),  # half closed (O / flat-O contact)
}
# thumb codes: three joints x (x, y, z) axis-angle, right hand
_THUMB = {
    "X": ((0.3, 0.6, 0.9), (0.0, 0.0, 0.6), (0.0, 0.0, 0.6)),  # across the palm
    "A": ((0.0, 0.0, 0.25), (0.0, 0.0, 0.15), (0.0, 0.0, 0.1)),  # alongside the index
    "O": ((0.0, -0.55, -0.25), (0.0, 0.0, -0.1), (0.0, 0.0, 0.0)),  # out, abducted
    "T": ((0.6, 0.45, 0.75), (0.0, 0.0, 0.5), (0.0, 0.0, 0.4)),  # opposed, touching a finger
    "C": ((0.3, 0.2, 0.35), (0.0, 0.0, 0.3), (0.0, 0.0, 0.3)),  # curved
}
# name: (thumb, index, middle, ring, pinky, spread)
_HANDSHAPE_CODES = {
    "A": ("A", "F", "F", "F", "F", 0.0),
    "S": ("X", "F", "F", "F", "F", 0.0),
    "B": ("X", "E", "E", "E", "E", 0.0),
    "5": ("O", "E", "E", "E", "E", 0.22),
    "1": ("X", "E", "F", "F", "F", 0.0),
    "V": ("X", "E", "E", "F", "F", 0.22),
    "3": ("O", "E", "E", "F", "F", 0.22),
    "W": ("X", "E", "E", "E", "F", 0.2),
    "L": ("O", "E", "F", "F", "F", 0.0),
    "Y": ("O", "F", "F", "F", "E", 0.25),
    "I": ("X", "F", "F", "F", "E", 0.0),
    "C": ("C", "C", "C", "C", "C", 0.0),
    "O": ("T", "K", "K", "K", "K", 0.0),
    "flatO": ("T", "B", "B", "B", "B", 0.0),
    "F": ("T", "K", "E", "E", "E", 0.2),
    "X": ("X", "H", "F", "F", "F", 0.0),
    "bentB": ("X", "B", "B", "B", "B", 0.0),
    "claw5": ("O", "H", "H", "H", "H", 0.22),
    "H": ("X", "E", "E", "F", "F", 0.0),
    "8": ("O", "E", "K", "E", "E", 0.2),
}


def _hand_vector(code) -> np.ndarray:
    thumb, idx, mid, ring, pinky, spread = code
    out = np.zeros((15, 3))
    # MANO order: index, middle, pinky, ring, thumb
    for j, (f, spr) in enumerate(((idx, spread), (mid, 0.0), (pinky, -1.6 * spread), (ring, -0.7 * spread))):
        flex = _FINGER[f]
        out[3 * j + 0] = (0.0, spr, flex[0])
        out[3 * j + 1] = (0.0, 0.0, flex[1])
        out[3 * j + 2] = (0.0, 0.0, flex[2])
    out[12:15] = np.asarray(_THUMB[thumb])
    return out.reshape(45)


#: right-hand (dominant) 45-dim axis-angle per handshape name
HANDSHAPES: dict[str, np.ndarray] = {k: _hand_vector(v) for k, v in _HANDSHAPE_CODES.items()}
HANDSHAPE_NAMES: tuple[str, ...] = tuple(HANDSHAPES)
#: relaxed hand at rest (slight flexion of every finger)
RELAXED_HAND: np.ndarray = _hand_vector(("A", "C", "C", "C", "C", 0.05)) * 0.45

# ----------------------------------------------------------------------------- arm
# location -> (down angle a, forward angle f, elbow flexion e), degrees, dominant (right) arm.
# The shoulder rotation is R_x(-f) R_z(a) (lower the arm by a, raise it forward by f),
# the elbow flexes about y; the hand ends up at the named place.
LOCATIONS: dict[str, tuple[float, float, float]] = {
    "neutral": (70.0, 35.0, 85.0),
    "chest": (76.0, 22.0, 118.0),
    "chin": (68.0, 30.0, 140.0),
    "forehead": (52.0, 42.0, 150.0),
    "cheek": (45.0, 20.0, 145.0),
    "shoulder": (70.0, 48.0, 132.0),
    "waist": (82.0, 25.0, 62.0),
    "high": (30.0, 62.0, 55.0),
    "side": (58.0, 8.0, 72.0),
}
LOCATION_NAMES: tuple[str, ...] = tuple(LOCATIONS)
#: where the dominant hand acts when it moves on a base hand, and the base arm itself
BASE_DOMINANT: tuple[float, float, float] = (68.0, 40.0, 100.0)
BASE_ARM: tuple[float, float, float] = (74.0, 36.0, 96.0)
REST_ARM: tuple[float, float, float] = (82.0, 6.0, 22.0)

#: wrist axis-angle (right hand) per palm orientation
ORIENTATIONS: dict[str, tuple[float, float, float]] = {
    "down": (0.0, 0.0, 0.0),
    "in": (-1.25, 0.0, 0.0),
    "up": (-1.9, 0.0, 0.0),
    "out": (0.7, 0.0, 0.15),
    "bent": (-0.3, 0.0, 0.6),
}
ORIENTATION_NAMES: tuple[str, ...] = tuple(ORIENTATIONS)

#: movement patterns, shaped over normalised time by motion.sign_template
MOVEMENTS: tuple[str, ...] = ("straight", "arc", "circle", "repeated", "wiggle", "twist")
#: movement directions in (a, f, e) angle space (unit-ish vectors), dominant arm
DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "up": (-0.6, 0.2, 0.5),
    "down": (0.6, -0.2, -0.5),
    "away": (0.0, 0.7, -0.7),
    "toward": (0.0, -0.7, 0.7),
    "across": (0.2, 0.8, 0.3),
    "out": (-0.7, -0.5, 0.0),
}
DIRECTION_NAMES: tuple[str, ...] = tuple(DIRECTIONS)
HAND_TYPES: tuple[str, ...] = ("one", "sym", "base")
BASE_HANDSHAPES: tuple[str, ...] = ("B", "5", "S", "1", "C")

N_MOUTH = 5  # face latent components 3..7 carry mouthing


@dataclass(frozen=True)
class SignForm:
    """Phonological description of one sign (hashable; equal forms render equal motion)."""

    handshape: str
    handshape_end: str | None
    location: str
    orientation: str
    movement: str
    direction: str
    repeats: int
    hand_type: str  # 'one' | 'sym' | 'base'
    base_handshape: str | None
    length: int  # canonical duration in frames at 25 fps (speed 1)
    mouth: tuple[float, ...]  # N_MOUTH mouthing coefficients
    mouth_syllables: int
    jaw: float  # jaw opening of the mouthing (rad)
    lexical_face: float  # lexical cheek/brow component (face latent 2)

    def manual_key(self) -> tuple:
        """Everything the hands and arms depend on (not the face)."""
        return (self.handshape, self.handshape_end, self.location, self.orientation, self.movement,
                self.direction, self.repeats, self.hand_type, self.base_handshape, self.length)

    def as_dict(self) -> dict:
        return asdict(self)

    def with_handshape(self, handshape: str) -> "SignForm":
        """The minimal-pair partner that differs only in (dominant, and mirrored) handshape."""
        return replace(self, handshape=handshape)

    def with_face(self, mouth: tuple[float, ...], syllables: int, jaw: float, lexical_face: float) -> "SignForm":
        """The NMF partner: identical manual parameters, different mouthing / face."""
        return replace(self, mouth=tuple(float(m) for m in mouth), mouth_syllables=int(syllables), jaw=float(jaw),
                       lexical_face=float(lexical_face))


def sample_mouthing(rng: np.random.Generator) -> tuple[tuple[float, ...], int, float, float]:
    """Random mouthing: (coefficients, syllables, jaw opening, lexical face component)."""
    mouth = rng.normal(0.0, 1.0, N_MOUTH)
    mouth *= 1.4 / max(np.linalg.norm(mouth), 1e-6)  # fixed mouthing strength, random shape
    return (tuple(float(round(m, 4)) for m in mouth), int(rng.integers(1, 3)), float(round(rng.uniform(0.05, 0.25), 4)),
            float(round(rng.normal(0.0, 0.5), 4)))


def sample_form(rng: np.random.Generator) -> SignForm:
    """Draw one sign form from the phonology (weights loosely follow lexical statistics)."""
    hs = str(rng.choice(HANDSHAPE_NAMES))
    hs_end = str(rng.choice(HANDSHAPE_NAMES)) if rng.random() < 0.2 else None
    if hs_end == hs:
        hs_end = None
    hand_type = str(rng.choice(HAND_TYPES, p=[0.5, 0.3, 0.2]))
    movement = str(rng.choice(MOVEMENTS, p=[0.25, 0.17, 0.15, 0.2, 0.11, 0.12]))
    repeats = int(rng.integers(2, 4)) if movement in ("repeated", "twist", "wiggle") else 1
    length = int(rng.integers(11, 17)) + (3 if movement in ("repeated", "circle") else 0)
    mouth, syl, jaw, lex = sample_mouthing(rng)
    return SignForm(
        handshape=hs, handshape_end=hs_end,
        location=str(rng.choice(LOCATION_NAMES)), orientation=str(rng.choice(ORIENTATION_NAMES)),
        movement=movement, direction=str(rng.choice(DIRECTION_NAMES)), repeats=repeats,
        hand_type=hand_type, base_handshape=str(rng.choice(BASE_HANDSHAPES)) if hand_type == "base" else None,
        length=length, mouth=mouth, mouth_syllables=syl, jaw=jaw, lexical_face=lex,
    )


def form_from_dict(d: dict) -> SignForm:
    d = dict(d)
    d["mouth"] = tuple(d["mouth"])
    return SignForm(**d)
