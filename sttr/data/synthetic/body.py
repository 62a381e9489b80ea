"""Kinematic body model behind the synthetic mini-NTU: a 25-joint Kinect v2 body driven by joint angles.

Frames: a body frame in metres with x = the body's own left, y up, z forward and the floor at y = 0
(right-handed, like Kinect camera space). The trunk, head and legs follow joint angles through forward
kinematics; each wrist follows a target through two-bone inverse kinematics (bone lengths exact, the
elbow placed by a swivel angle about the shoulder-wrist axis); hand, hand tip and thumb follow the
forearm. A ``Scene`` holds one or two bodies placed in a shared scene frame (interactions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sttr.skeleton import ARM_JOINTS, BASE_OF_SPINE, HEAD, LEG_JOINTS, MIDDLE_OF_SPINE, NECK, NUM_JOINTS, SPINE

FPS = 30.0
SIDES = ("L", "R")
_SIGN = {"L": 1.0, "R": -1.0}  # body x points to the body's own left

# Bone lengths of a 1.75 m adult (metres); each performer scales them.
_BONES_175 = {
    "lower_spine": 0.26, "upper_spine": 0.22, "neck": 0.07, "head": 0.15, "shoulder_half": 0.18,
    "hip_half": 0.085, "upper_arm": 0.29, "forearm": 0.25, "hand": 0.08, "tip": 0.07, "thumb": 0.05,
    "thigh": 0.43, "shin": 0.41, "ankle": 0.08, "foot": 0.13,
}  # fmt: skip


@dataclass(frozen=True)
class Performer:
    """One person's proportions and style: bone lengths (m), speed and amplitude factors, handedness."""

    bones: dict[str, float]
    speed: float
    amplitude: float
    dominant: str  # "R" or "L": the hand used by one-handed actions
    lean: float  # habitual trunk pitch (radians)
    swivel: float  # habitual elbow swivel (radians)


def make_performer(rng: np.random.Generator) -> Performer:
    """Draw a performer: height 1.50-1.90 m, +-4 % per-bone proportions, speed, amplitude, handedness."""
    scale = rng.uniform(1.50, 1.90) / 1.75
    bones = {k: float(v * scale * (1.0 + 0.04 * rng.standard_normal())) for k, v in _BONES_175.items()}
    return Performer(
        bones=bones,
        speed=float(rng.uniform(0.8, 1.25)),
        amplitude=float(rng.uniform(0.8, 1.2)),
        dominant="L" if rng.random() < 0.15 else "R",
        lean=float(np.deg2rad(rng.normal(2.0, 3.0))),
        swivel=float(rng.normal(0.0, 0.15)),
    )


def rng_for(seed: int, *key: int) -> np.random.Generator:
    """A random stream of its own for ``key`` (e.g. performer, action): same seed and key, same draws."""
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


def rot_x(a: np.ndarray) -> np.ndarray:
    """Rotations about x, (T,) angles -> (T, 3, 3); positive tilts +y towards +z."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([o, z, z, z, c, -s, z, s, c], axis=-1).reshape(*np.shape(a), 3, 3)


def rot_y(a: np.ndarray) -> np.ndarray:
    """Rotations about y (yaw), (T,) angles -> (T, 3, 3); positive turns +z towards +x."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([c, z, s, z, o, z, -s, z, c], axis=-1).reshape(*np.shape(a), 3, 3)


def rot_z(a: np.ndarray) -> np.ndarray:
    """Rotations about z (roll), (T,) angles -> (T, 3, 3); positive tilts +y towards -x."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([c, -s, z, s, c, z, z, z, o], axis=-1).reshape(*np.shape(a), 3, 3)


def apply(rot: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors: (T, 3, 3) @ (3,) or (T, 3) -> (T, 3)."""
    return np.einsum("tij,tj->ti", rot, np.broadcast_to(v, rot.shape[:-1]))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def smoothstep(x: np.ndarray) -> np.ndarray:
    """C1 ramp 0 -> 1 on [0, 1], clipped outside."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass
class Body:
    """One body's drive (joint angles and targets, arrays over T frames) and its placement in the scene."""

    perf: Performer
    T: int
    yaw: float = 0.0  # body -> scene rotation about y
    pos: np.ndarray = field(default_factory=lambda: np.zeros(3))  # scene position of the body frame
    root: np.ndarray = field(init=False)  # (T, 3) base of spine in the body frame
    pitch: np.ndarray = field(init=False)  # (T,) trunk forward lean
    roll: np.ndarray = field(init=False)
    twist: np.ndarray = field(init=False)  # (T,) trunk yaw relative to the pelvis
    head_pitch: np.ndarray = field(init=False)
    head_yaw: np.ndarray = field(init=False)
    hip_flex: np.ndarray = field(init=False)  # (T,) both legs
    knee_flex: np.ndarray = field(init=False)
    target: dict = field(default_factory=dict)  # side -> (T, 3) wrist target in the body frame
    weight: dict = field(default_factory=dict)  # side -> (T,) blend rest -> target
    swivel: dict = field(default_factory=dict)  # side -> (T,) elbow swivel
    used: set = field(default_factory=set)  # arms the action drives (distractor gestures avoid them)
    trunk: dict | None = None  # filled by build_trunk

    def __post_init__(self) -> None:
        T, z = self.T, np.zeros(self.T)
        self.root = np.zeros((T, 3))
        self.root[:, 1] = self.standing_height(z, z)
        self.pitch = np.full(T, self.perf.lean)
        self.roll, self.twist, self.head_pitch, self.head_yaw = z.copy(), z.copy(), z.copy(), z.copy()
        self.hip_flex = np.full(T, np.deg2rad(4.0))
        self.knee_flex = np.full(T, np.deg2rad(6.0))
        for side in SIDES:
            self.weight[side] = z.copy()
            self.target[side] = np.zeros((T, 3))
            self.swivel[side] = np.full(T, self.perf.swivel)

    def standing_height(self, hip_flex: np.ndarray, knee_flex: np.ndarray) -> np.ndarray:
        """Height of the base of spine above the floor with both feet flat, (T,)."""
        b = self.perf.bones
        return (
            b["ankle"] + b["thigh"] * np.cos(hip_flex) + b["shin"] * np.cos(hip_flex - knee_flex) + 0.05
        )

    def feet_offset(self, hip_flex: np.ndarray, knee_flex: np.ndarray) -> np.ndarray:
        """Forward distance from the base of spine to the ankles, (T,): keeps the feet planted."""
        b = self.perf.bones
        return b["thigh"] * np.sin(hip_flex) + b["shin"] * np.sin(hip_flex - knee_flex)

    def to_scene(self, p: np.ndarray) -> np.ndarray:
        """Body-frame points (..., 3) -> scene frame."""
        return p @ rot_y(np.array(self.yaw)).T + self.pos

    def from_scene(self, p: np.ndarray) -> np.ndarray:
        """Scene-frame points (..., 3) -> this body's frame."""
        return (p - self.pos) @ rot_y(np.array(self.yaw))

    def build_trunk(self) -> dict:
        """Forward kinematics of spine, head, shoulders and hips from the trunk angles."""
        b = self.perf.bones
        r_t = rot_y(self.twist) @ rot_x(self.pitch) @ rot_z(self.roll)  # (T, 3, 3) trunk
        r_h = r_t @ rot_y(self.head_yaw) @ rot_x(self.head_pitch)
        r_p = rot_y(0.3 * self.twist)  # pelvis follows a little of the twist
        mid = self.root + apply(rot_x(0.5 * self.pitch) @ rot_z(self.roll), np.array([0, b["lower_spine"], 0]))
        ss = mid + apply(r_t, np.array([0.0, b["upper_spine"], -0.01]))
        neck = ss + apply(r_h, np.array([0.0, b["neck"], 0.01]))
        head = neck + apply(r_h, np.array([0.0, b["head"], 0.02]))
        t = {"rot": r_t, "pelvis": r_p, BASE_OF_SPINE: self.root, MIDDLE_OF_SPINE: mid, SPINE: ss, NECK: neck, HEAD: head}
        for side in SIDES:
            s = _SIGN[side]
            t[ARM_JOINTS[side][0]] = ss + apply(r_t, np.array([s * b["shoulder_half"], -0.025, -0.01]))
            t[LEG_JOINTS[side][0]] = self.root + apply(r_p, np.array([s * b["hip_half"], -0.06, 0.0]))
        self.trunk = t
        return t

    def local(self, offset: np.ndarray, origin: int = SPINE) -> np.ndarray:
        """Point at ``offset`` (3,) or (T, 3) in the trunk's rotated frame from joint ``origin``: (T, 3)."""
        return self.trunk[origin] + apply(self.trunk["rot"], np.asarray(offset, dtype=float))

    def rest_wrist(self, side: str) -> np.ndarray:
        """Wrist position of a hanging arm with a slightly bent elbow, (T, 3)."""
        b = self.perf.bones
        reach = 0.95 * (b["upper_arm"] + b["forearm"])
        return self.local(np.array([_SIGN[side] * 0.06, -reach, 0.05]), ARM_JOINTS[side][0])

    def set_arm(self, side: str, target: np.ndarray, weight: np.ndarray, swivel: float | np.ndarray = 0.0) -> None:
        """Drive one wrist towards ``target`` (T, 3) with blend ``weight`` (T,)."""
        self.target[side] = np.asarray(target, dtype=float)
        self.weight[side] = np.asarray(weight, dtype=float)
        self.swivel[side] = self.perf.swivel + np.broadcast_to(np.asarray(swivel, dtype=float), (self.T,))
        self.used.add(side)

    def joints(self) -> np.ndarray:
        """All 25 joints in the scene frame, (T, 25, 3); arms by inverse, legs by forward kinematics."""
        t = self.trunk if self.trunk is not None else self.build_trunk()
        b = self.perf.bones
        out = np.zeros((self.T, NUM_JOINTS, 3))
        for j in (BASE_OF_SPINE, MIDDLE_OF_SPINE, NECK, HEAD, SPINE):
            out[:, j] = t[j]
        for side in SIDES:
            s = _SIGN[side]
            sh = t[ARM_JOINTS[side][0]]
            rest = self.rest_wrist(side)
            w = self.weight[side][:, None]
            arc = 4.0 * w * (1.0 - w) * apply(t["rot"], np.array([0.0, 0.0, 0.25]))  # hand swings in front
            wrist_goal = rest + w * (self.target[side] - rest) + arc
            pole = apply(t["rot"], np.array([s * 1.0, -0.6, -0.3]))  # elbows out, down, back
            out[:, list(ARM_JOINTS[side])] = _arm_ik(sh, wrist_goal, pole, self.swivel[side] * s, b)
            hip = t[LEG_JOINTS[side][0]]
            phi, kappa = self.hip_flex, self.knee_flex
            abd = np.deg2rad(4.0)
            thigh = np.stack([s * np.sin(abd) * np.ones_like(phi), -np.cos(phi), np.sin(phi)], -1)
            shin = np.stack([s * np.sin(abd) * np.ones_like(phi), -np.cos(phi - kappa), np.sin(phi - kappa)], -1)
            knee = hip + b["thigh"] * apply(t["pelvis"], _unit(thigh))
            ankle = knee + b["shin"] * apply(t["pelvis"], _unit(shin))
            foot = ankle + apply(t["pelvis"], np.array([s * 0.02, -0.05, b["foot"]]))
            out[:, list(LEG_JOINTS[side])] = np.stack([hip, knee, ankle, foot], axis=1)
        return out @ rot_y(np.array(self.yaw)).T + self.pos  # (T, 25, 3) scene frame


def _arm_ik(shoulder: np.ndarray, goal: np.ndarray, pole: np.ndarray, swivel: np.ndarray, b: dict) -> np.ndarray:
    """Two-bone IK: shoulder, elbow, wrist, hand, hand tip, thumb, (T, 6, 3); unreachable goals stretch the arm."""
    a, c = b["upper_arm"], b["forearm"]
    d_vec = goal - shoulder
    n = _unit(d_vec)
    d = np.clip(np.linalg.norm(d_vec, axis=-1), abs(a - c) + 0.02, 0.995 * (a + c))[:, None]
    cos_a = (a * a + d * d - c * c) / (2 * a * d)
    sin_a = np.sqrt(np.clip(1.0 - cos_a**2, 0.0, 1.0))
    u = _unit(pole - np.sum(pole * n, -1, keepdims=True) * n)
    v = np.cross(n, u)
    sw = swivel[:, None]
    elbow = shoulder + a * cos_a * n + a * sin_a * (np.cos(sw) * u + np.sin(sw) * v)
    wrist = shoulder + d * n
    fore = _unit(wrist - elbow)
    palm = _unit(fore + 0.25 * u)  # hand bends a little towards the palm side
    hand = wrist + b["hand"] * palm
    tip = hand + b["tip"] * palm
    thumb = wrist + 0.6 * b["hand"] * palm + b["thumb"] * _unit(np.cross(fore, u) + 0.3 * palm)
    return np.stack([shoulder, elbow, wrist, hand, tip, thumb], axis=1)


@dataclass
class Scene:
    """The bodies of one performance over T frames, with its timeline: phase ``u`` of the action window."""

    bodies: list[Body]
    T: int
    t: np.ndarray  # (T,) seconds
    u: np.ndarray  # (T,) action phase in [0, 1]: 0 before the window, 1 after it
    rng: np.random.Generator
    freq: float  # Hz of cyclic actions (class-independent distribution)
    window: float  # frames in the action window

    def envelope(self, ramp: float = 0.2) -> np.ndarray:
        """Go-hold-return weight over the action window, (T,); each ramp lasts at least 0.4 s."""
        ramp = min(0.45, max(ramp, 0.4 * FPS / self.window))
        return smoothstep(self.u / ramp) * smoothstep((1.0 - self.u) / ramp)

    def osc(self, phase: float = 0.0, freq: float | None = None) -> np.ndarray:
        """A sine at the cyclic-action frequency, (T,)."""
        return np.sin(2 * np.pi * (freq or self.freq) * self.t + phase)
