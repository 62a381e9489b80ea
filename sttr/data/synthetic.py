"""Synthetic mini-NTU: kinematic bodies filmed by three Kinect v2 cameras, written as NTU ``.skeleton`` files.

NTU RGB+D cannot be downloaded by a script, so the default pipeline runs on this set: the same file format,
names, splits and preprocessing as the real data (reference README, section 4). The bodies come from the
joint-angle model in :mod:`sttr.data.motion`; this module draws the performances, films them and writes
the files. It is a test bed for the pipeline and for the paper's claims, not a substitute for NTU.

Classes (NTU numbers and names; motion; the paper's claim each one exercises):

====  =============================  =========================================================  ==================
 A    NTU name                       motion                                                     claim
====  =============================  =========================================================  ==================
 8    sitting down                   hips and knees flex to ~90 deg, pelvis lowers, trunk leans  order in time
                                     forward then back, hands move onto the thighs
 9    standing up                    exactly the frames of "sitting down" played backwards       order in time
 10   clapping                       both wrists meet and part in front of the chest (cyclic)    far joints
 14   wear jacket                    keyframed: left arm into a sleeve behind, right hand over   order in time
                                     the shoulder, right arm into a sleeve, hands to the front
 15   take off jacket                the same keyframes in reverse order                         order in time
 29   playing with phone/tablet      hands together at the lower chest, head bent down, tapping  far joints
 30   typing on a keyboard           hands apart at waist height, small independent taps, head   far joints
                                     slightly down
 34   rub two hands together         wrists touching in front, sliding against each other        far joints
 40   cross hands in front           forearms crossed in front of the chest, held                far joints
 44   touch head (headache)          dominant hand to the side of the head, head bends down      far joints
 53   pat on back of other person    side by side; the dominant hand pats the other's upper back interaction
 54   point finger at other person   facing; dominant arm stretched towards the other's chest    interaction
 55   hugging other person           facing; both step in, arms around the other's back          interaction
 58   handshaking                    facing; right hands meet half-way and shake up and down     interaction
====  =============================  =========================================================  ==================

"far joints": relations between joints far apart in the graph (hands to each other or to the head);
"order in time": 8/9 and 14/15 are time reversals of each other (same poses, reversed order);
"interaction": two bodies in the file (NTU's A50-A60). Lengths (40-300 frames, mean ~90), speed,
position, facing and amplitude are drawn independently of the class; every body also sways, turns its
head and, in 40 % of performances, makes an unrelated gesture with a free arm (in front, near the face
or on the hip), so that classes overlap somewhat. Nothing is tuned to favour one model.

Filming, as in NTU: cameras C001 at 0 deg, C002 at +45 deg and C003 at -45 deg around the subject, at
the same height; in replication R001 the subject faces C002, in R002 it faces C003, so C001 always
sees a 45 deg view and C002/C003 see front and side views (interaction pairs stand side-on to that
camera). Setup S001-S017 = 1 + (performer - 1) mod 17 (or the next setup, where that name is on a
missing-skeleton list) fixes camera height (0.7-1.4 m) and distance (2.6-3.4 m); the subject stands
2.3-3.7 m from each camera. Kinect camera space: metres, x to the sensor's left, y up, z depth. Each
file adds sensor noise, per-frame jitter, inferred joints (trackingState 1 with displaced positions,
more often on the far arm in side views), lost frames (0 bodies) and, in 8 % of files, a spurious
low-energy body (a small static blob, sometimes listed first). Joint orientations are unit quaternions
whose y axis follows the bone to the child joint; end joints (head, feet, hand tips, thumbs) have
0 0 0 0 as Kinect writes them. Numbers: xyz and quaternions with 7 decimals, pixels with 4, trailing
zeros dropped.
"""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sttr.data.motion import (
    ARM_JOINTS,
    BASE_OF_SPINE,
    FPS,
    HEAD,
    LEG_JOINTS,
    SIDES,
    SPINE,
    Body,
    Scene,
    apply,
    make_performer,
    rot_x,
    rot_y,
    smoothstep,
)
from sttr.skeleton import NUM_JOINTS

logger = logging.getLogger(__name__)

_SIGN = {"L": 1.0, "R": -1.0}

CAMERA_AZIMUTH = {1: 0.0, 2: 45.0, 3: -45.0}  # degrees around the subject
FACING_AZIMUTH = {1: 45.0, 2: -45.0}  # replication -> azimuth the subject faces
NUM_SETUPS = 17
MIN_FRAMES, MAX_FRAMES = 40, 300

# Kinect v2 intrinsics (approximate): depth 512x424, colour 1920x1080 (colour camera ~5 cm to the side).
_DEPTH_F, _DEPTH_C = 365.5, (256.0, 212.0)
_COLOR_F, _COLOR_C, _COLOR_SHIFT = 1081.4, (960.0, 540.0), 0.052
_BODY_ID_BASE = 72057594037927936  # 2**56: Kinect body IDs in NTU look like 72057594037931101

# Joint -> child joint whose bone sets its orientation (Kinect hierarchy, 0-based); others are end joints.
_ORIENT_CHILD = {0: 1, 1: 20, 20: 2, 2: 3, 4: 5, 5: 6, 6: 7, 7: 21, 8: 9, 9: 10, 10: 11, 11: 23,
                 12: 13, 13: 14, 14: 15, 16: 17, 17: 18, 18: 19}  # fmt: skip
_DISTAL = np.array([6, 7, 10, 11, 14, 15, 18, 19, 21, 22, 23, 24])  # often inferred by Kinect


def _sit(s: Scene, reverse: bool) -> None:
    """Sitting down (or, reversed, standing up): hips and knees flex with feet planted."""
    a = s.bodies[0]
    x = 1.0 - s.u if reverse else s.u
    p = smoothstep((x - 0.1) / 0.8)  # (T,) 0 standing -> 1 seated
    hip0, knee0 = a.hip_flex.copy(), a.knee_flex.copy()
    a.hip_flex = hip0 + p * np.deg2rad(s.rng.uniform(78, 92))
    a.knee_flex = knee0 + p * np.deg2rad(s.rng.uniform(82, 98))
    a.root[:, 1] += a.standing_height(a.hip_flex, a.knee_flex) - a.standing_height(hip0, knee0)
    a.root[:, 2] -= a.feet_offset(a.hip_flex, a.knee_flex) - a.feet_offset(hip0, knee0)
    a.pitch = a.pitch + np.deg2rad(s.rng.uniform(20, 35)) * np.sin(np.pi * p) - np.deg2rad(4) * p
    a.build_trunk()
    b = a.perf.bones
    for side in SIDES:
        on_thigh = a.root + np.stack(
            [np.full(s.T, _SIGN[side] * 0.12), np.full(s.T, -0.02), 0.55 * b["thigh"] * np.sin(a.hip_flex)], -1
        )
        a.set_arm(side, on_thigh, 0.9 * p, swivel=0.2)


# Wear jacket keyframes: phase, left wrist, right wrist (offsets from the spine shoulder in the trunk
# frame, body x = own left), arm weight and trunk twist (degrees).
_JACKET = (
    (0.00, (0.10, -0.45, 0.05), (-0.10, -0.45, 0.05), 0.0, 0.0),
    (0.12, (0.12, -0.25, 0.30), (-0.12, -0.25, 0.30), 1.0, 0.0),
    (0.30, (0.36, -0.42, -0.12), (0.08, -0.28, 0.24), 1.0, 15.0),
    (0.45, (0.30, -0.38, -0.05), (-0.05, 0.05, -0.12), 1.0, 5.0),
    (0.62, (0.15, -0.15, 0.15), (-0.36, -0.42, -0.14), 1.0, -15.0),
    (0.80, (0.10, -0.10, 0.20), (-0.10, -0.10, 0.20), 1.0, 0.0),
    (0.92, (0.03, -0.40, 0.22), (-0.03, -0.40, 0.22), 1.0, 0.0),
    (1.00, (0.10, -0.45, 0.05), (-0.10, -0.45, 0.05), 0.0, 0.0),
)


def _keyframes(x: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Smooth (C1 at the keys) interpolation of ``values`` (K, D) at phases ``x`` (T,) -> (T, D)."""
    i = np.clip(np.searchsorted(keys, x, side="right") - 1, 0, len(keys) - 2)
    f = smoothstep((x - keys[i]) / (keys[i + 1] - keys[i]))[:, None]
    return values[i] + f * (values[i + 1] - values[i])


def _jacket(s: Scene, reverse: bool) -> None:
    """Wear jacket (or, reversed, take it off): the keyframes of ``_JACKET`` in order or backwards."""
    a = s.bodies[0]
    x = 1.0 - s.u if reverse else s.u
    keys = np.array([k[0] for k in _JACKET])
    vals = np.array([[*k[1], *k[2], k[3], k[4]] for k in _JACKET])  # (K, 8)
    jitter = 1.0 + 0.1 * s.rng.standard_normal(vals.shape)
    track = _keyframes(x, keys, vals * jitter)  # (T, 8)
    a.twist = a.twist + np.deg2rad(track[:, 7]) * a.perf.amplitude
    a.build_trunk()
    arm = (a.perf.bones["upper_arm"] + a.perf.bones["forearm"]) / 0.54
    a.set_arm("L", a.local(track[:, 0:3] * arm), np.clip(track[:, 6], 0, 1))
    a.set_arm("R", a.local(track[:, 3:6] * arm), np.clip(track[:, 6], 0, 1))


def _clapping(s: Scene) -> None:
    """Both wrists meet and part in front of the chest at the cyclic frequency."""
    a = s.bodies[0]
    a.build_trunk()
    env = s.envelope()
    gap = 0.03 + a.perf.amplitude * 0.17 * (0.5 + 0.5 * s.osc())  # (T,) half-distance between wrists
    centre = np.array([0.0, -0.12, 0.32])
    for side in SIDES:
        off = np.tile(centre, (s.T, 1))
        off[:, 0] = _SIGN[side] * gap
        a.set_arm(side, a.local(off), env, swivel=0.3)


def _rubbing(s: Scene) -> None:
    """Wrists touching in front of the lower chest, sliding against each other."""
    a = s.bodies[0]
    a.build_trunk()
    env = s.envelope()
    slide, push = 0.03 * a.perf.amplitude * s.osc(), 0.02 * s.osc(np.pi / 2)
    for side in SIDES:
        sg = _SIGN[side]
        off = np.stack([np.full(s.T, sg * 0.035), -0.18 + sg * slide, 0.30 + sg * push], -1)
        a.set_arm(side, a.local(off), env, swivel=0.2)


def _cross(s: Scene) -> None:
    """Forearms crossed in front of the chest ("stop"), held with a small tremor."""
    a = s.bodies[0]
    a.build_trunk()
    env = s.envelope(ramp=0.25)
    tremor = 0.008 * s.osc()
    a.set_arm("L", a.local(np.stack([np.full(s.T, -0.07), -0.06 + tremor, np.full(s.T, 0.30)], -1)), env, 0.4)
    a.set_arm("R", a.local(np.stack([np.full(s.T, 0.07), -0.02 + tremor, np.full(s.T, 0.33)], -1)), env, 0.4)


def _touch_head(s: Scene) -> None:
    """The dominant hand goes to the side of the head and rubs; the head bends a little."""
    a = s.bodies[0]
    env = s.envelope()
    a.head_pitch = a.head_pitch + np.deg2rad(s.rng.uniform(5, 18)) * env
    a.build_trunk()
    d = a.perf.dominant
    off = np.stack([np.full(s.T, _SIGN[d] * 0.10), 0.015 * s.osc(), np.full(s.T, 0.04)], -1)
    a.set_arm(d, a.trunk[HEAD] + apply(a.trunk["rot"], off), env, swivel=-0.2)


def _phone(s: Scene) -> None:
    """Hands together at the lower chest holding a phone, head bent down, dominant thumb tapping."""
    a = s.bodies[0]
    env = s.envelope()
    a.head_pitch = a.head_pitch + np.deg2rad(s.rng.uniform(15, 30)) * env
    a.pitch = a.pitch + np.deg2rad(5) * env
    a.build_trunk()
    d = a.perf.dominant
    sides = (d,) if s.rng.random() < 0.3 else SIDES
    for side in sides:
        tap = 0.012 * s.osc() if side == d else 0.0
        off = np.stack([np.full(s.T, _SIGN[side] * 0.05), -0.30 + tap * np.ones(s.T), np.full(s.T, 0.28)], -1)
        a.set_arm(side, a.local(off), env, swivel=0.1)


def _typing(s: Scene) -> None:
    """Hands apart at waist height over a keyboard, small independent taps, head slightly down."""
    a = s.bodies[0]
    env = s.envelope()
    a.head_pitch = a.head_pitch + np.deg2rad(s.rng.uniform(8, 18)) * env
    a.build_trunk()
    drift = 0.03 * np.sin(2 * np.pi * 0.3 * s.t + s.rng.uniform(0, 6.3))
    for side in SIDES:
        tap = 0.012 * s.osc(s.rng.uniform(0, 6.3), freq=1.5 * s.freq)
        off = np.stack([_SIGN[side] * 0.13 + drift, -0.42 + tap, np.full(s.T, 0.33)], -1)
        a.set_arm(side, a.local(off), env, swivel=0.3)


def _face_each_other(s: Scene, distance: float) -> tuple[Body, Body]:
    a, b = s.bodies
    b.pos = np.array([0.0, 0.0, distance])
    b.yaw = np.pi
    return a, b


def _in_frame(src: Body, dst: Body, p: np.ndarray) -> np.ndarray:
    """Points (T, 3) of body ``src``'s frame expressed in body ``dst``'s frame."""
    return dst.from_scene(src.to_scene(p))


def _pat(s: Scene) -> None:
    """Side by side; the performer's dominant hand pats the other's upper back."""
    a, b = s.bodies
    d = a.perf.dominant
    sg = _SIGN[d]
    b.pos = np.array([sg * s.rng.uniform(0.5, 0.6), 0.0, s.rng.uniform(0.1, 0.2)])
    b.yaw = sg * np.deg2rad(s.rng.uniform(-10, 20))
    env = s.envelope()
    a.twist = a.twist + sg * np.deg2rad(12) * env
    b.head_yaw = b.head_yaw + sg * np.deg2rad(20) * env
    b.build_trunk()
    a.build_trunk()
    back = b.local(np.array([0.0, -0.05, -0.13]))
    back[:, 2] -= 0.04 * np.maximum(s.osc(), 0.0)
    a.set_arm(d, _in_frame(b, a, back), env, swivel=-0.3)


def _point(s: Scene) -> None:
    """Facing each other; the performer's dominant arm stretches towards the other's chest."""
    a, b = _face_each_other(s, s.rng.uniform(1.2, 1.8))
    env = s.envelope(ramp=0.25)
    b.pitch = b.pitch - np.deg2rad(6) * env
    b.build_trunk()
    a.build_trunk()
    d = a.perf.dominant
    chest = _in_frame(b, a, b.local(np.array([0.0, -0.12, 0.1])))
    sh = a.trunk[ARM_JOINTS[d][0]]
    reach = a.perf.bones["upper_arm"] + a.perf.bones["forearm"]
    direction = (chest - sh) / np.linalg.norm(chest - sh, axis=-1, keepdims=True)
    a.set_arm(d, sh + 0.97 * reach * direction, env, swivel=0.1)


def _hug(s: Scene) -> None:
    """Facing each other; both step in, lean and wrap their arms around the other's back."""
    d0 = s.rng.uniform(0.9, 1.3)
    a, b = _face_each_other(s, d0)
    env = s.envelope(ramp=0.3)
    step = 0.5 * (d0 - s.rng.uniform(0.30, 0.38)) * env
    high = s.rng.choice(SIDES)
    for me in (a, b):
        me.root[:, 2] += step
        me.pitch = me.pitch + np.deg2rad(8) * env
        me.build_trunk()
    for me, other in ((a, b), (b, a)):
        for side in SIDES:
            dy = -0.02 if side == high else -0.22
            back = other.local(np.array([-_SIGN[side] * 0.12, dy, -0.14]))
            me.set_arm(side, _in_frame(other, me, back), env, swivel=0.5)


def _handshake(s: Scene) -> None:
    """Facing each other; right hands meet half-way at waist height and shake up and down."""
    a, b = _face_each_other(s, s.rng.uniform(0.8, 1.05))
    env = s.envelope()
    shake = 0.035 * s.osc() * smoothstep((env - 0.6) / 0.4)
    for me in (a, b):
        me.build_trunk()
    height = 0.5 * (a.trunk[BASE_OF_SPINE][:, 1] + b.trunk[BASE_OF_SPINE][:, 1]) + 0.02
    meet = np.stack([np.zeros(s.T), height + shake, np.full(s.T, 0.5 * b.pos[2])], -1)  # scene frame
    for me in (a, b):
        me.set_arm("R", me.from_scene(meet), env, swivel=0.2)


_ACTIONS = {
    8: (lambda s: _sit(s, False), "hips and knees flex, pelvis lowers, hands onto thighs", "order in time"),
    9: (lambda s: _sit(s, True), "sitting down played backwards", "order in time"),
    10: (_clapping, "wrists meet and part in front of the chest", "far joints"),
    14: (lambda s: _jacket(s, False), "arms into sleeves one after the other, hands to the front", "order in time"),
    15: (lambda s: _jacket(s, True), "wear jacket played backwards", "order in time"),
    29: (_phone, "hands together at the lower chest, head down, tapping", "far joints"),
    30: (_typing, "hands apart at waist height, independent taps, head down", "far joints"),
    34: (_rubbing, "wrists touching in front, sliding against each other", "far joints"),
    40: (_cross, "forearms crossed in front of the chest, held", "far joints"),
    44: (_touch_head, "dominant hand to the side of the head, head bends", "far joints"),
    53: (_pat, "side by side, dominant hand pats the other's upper back", "interaction"),
    54: (_point, "facing, dominant arm stretched towards the other's chest", "interaction"),
    55: (_hug, "facing, both step in and wrap arms around the other's back", "interaction"),
    58: (_handshake, "facing, right hands meet half-way and shake", "interaction"),
}  # fmt: skip
INTERACTIONS = frozenset(a for a in _ACTIONS if a >= 50)
TIME_REVERSED_PAIRS = ((8, 9), (14, 15))

SYNTHETIC_ACTIONS: tuple[int, ...] = tuple(sorted(_ACTIONS))


def _ntu_action_names() -> dict[int, str]:
    text = resources.files("sttr.data").joinpath("resources/ntu120_actions.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line.strip())
    return {int(n): name.strip() for n, name in rows}


SYNTHETIC_CLASS_NAMES: tuple[str, ...] = tuple(_ntu_action_names()[a] for a in SYNTHETIC_ACTIONS)


def describe_classes() -> pd.DataFrame:
    """One row per synthetic class: NTU number and name, bodies, what the motion does, the claim it exercises."""
    return pd.DataFrame(
        {
            "number": list(SYNTHETIC_ACTIONS),
            "name": list(SYNTHETIC_CLASS_NAMES),
            "bodies": [2 if a in INTERACTIONS else 1 for a in SYNTHETIC_ACTIONS],
            "motion": [_ACTIONS[a][1] for a in SYNTHETIC_ACTIONS],
            "claim": [_ACTIONS[a][2] for a in SYNTHETIC_ACTIONS],
        }
    )


@lru_cache(maxsize=1)
def _missing_names() -> frozenset[str]:
    names: set[str] = set()
    for f in ("ntu60_missing_skeletons.txt", "ntu120_missing_skeletons.txt"):
        text = resources.files("sttr.data").joinpath(f"resources/{f}").read_text(encoding="utf-8")
        names.update(line.strip() for line in text.splitlines() if line.strip())
    return frozenset(names)


def sample_name(setup: int, camera: int, performer: int, replication: int, action: int) -> str:
    """NTU sample name ``SsssCcccPpppRrrrAaaa``."""
    return f"S{setup:03d}C{camera:03d}P{performer:03d}R{replication:03d}A{action:03d}"


def setup_of(performer: int, replication: int, action: int) -> int:
    """Setup of a performance: 1 + (performer - 1) mod 17, moved on while a camera's name is a missing one."""
    setup = 1 + (performer - 1) % NUM_SETUPS
    missing = _missing_names()
    for _ in range(NUM_SETUPS):
        if not any(sample_name(setup, c, performer, replication, action) in missing for c in CAMERA_AZIMUTH):
            return setup
        setup = setup % NUM_SETUPS + 1
    raise ValueError(f"no setup avoids the missing-skeleton lists for P{performer:03d}R{replication:03d}A{action:03d}")


def _setup_camera(setup: int) -> tuple[float, float]:
    """Camera height and distance (m) of a setup: a fixed low-discrepancy spread over the 17 setups."""
    return 0.7 + 0.7 * ((setup * 0.6180339887) % 1.0), 2.6 + 0.8 * ((setup * 0.3819660113) % 1.0)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


def _length(rng: np.random.Generator) -> int:
    if rng.random() < 0.03:
        return int(rng.integers(150, MAX_FRAMES + 1))
    return int(np.clip(round(np.exp(rng.normal(np.log(82.0), 0.35))), MIN_FRAMES, MAX_FRAMES))


def _idle(s: Scene, body: Body) -> None:
    """Shared distractor motion of every body: sway, breathing lean, slow head turns."""
    r, t = s.rng, s.t

    def wave(low: float, high: float) -> np.ndarray:  # a slow sine of random frequency and phase
        return np.sin(2 * np.pi * r.uniform(low, high) * t + r.uniform(0, 2 * np.pi))

    for axis, amp in ((0, 0.015), (2, 0.01)):
        body.root[:, axis] += r.uniform(0.3, 1.0) * amp * wave(0.1, 0.5)
    body.roll = body.roll + np.deg2rad(r.uniform(0.5, 2.5)) * wave(0.1, 0.4)
    body.pitch = body.pitch + np.deg2rad(r.uniform(0.5, 2.0)) * wave(0.1, 0.4)
    knots = np.linspace(0, s.T - 1, 5)
    body.head_yaw = body.head_yaw + np.interp(np.arange(s.T), knots, np.deg2rad(r.normal(0, 10, 5)))


def _gesture(s: Scene, body: Body) -> None:
    """Distractor: one free arm reaches in front, near the face or onto the hip over a random sub-window."""
    free = [side for side in SIDES if side not in body.used]
    if not free or s.rng.random() >= 0.4:
        return
    side = free[int(s.rng.integers(len(free)))]
    sg = _SIGN[side]
    kind = s.rng.choice(3)
    if kind == 0:
        off = np.array([sg * s.rng.uniform(0.05, 0.3), s.rng.uniform(-0.45, 0.0), s.rng.uniform(0.15, 0.4)])
        origin = SPINE
    elif kind == 1:
        off, origin = np.array([sg * 0.05, -0.1, 0.1]), HEAD
    else:
        off, origin = np.array([sg * 0.25, -0.35, 0.0]), SPINE
    start = s.rng.uniform(0, 0.6) * s.T
    span = max(s.rng.uniform(0.2, 0.6) * s.T, 1.0 * FPS)
    x = (np.arange(s.T) - start) / span
    weight = smoothstep(x / 0.3) * smoothstep((1 - x) / 0.3)
    target = body.trunk[origin] + apply(body.trunk["rot"], off)
    body.target[side], body.weight[side] = target, weight


def perform(seed: int, performer: int, replication: int, action: int) -> list[np.ndarray]:
    """Joint positions of one performance in its scene frame: one (T, 25, 3) array per body."""
    if action not in _ACTIONS:
        raise ValueError(f"action A{action:03d}: expected one of the synthetic classes {SYNTHETIC_ACTIONS}")
    perf = make_performer(_rng(seed, 0, performer))
    rng = _rng(seed, 1, performer, replication, action)
    T = _length(rng)
    t0, t1 = rng.uniform(0.0, 0.2) * T, T - rng.uniform(0.0, 0.2) * T
    frames = np.arange(T, dtype=float)
    bodies = [Body(perf, T)]
    if action in INTERACTIONS:
        bodies.append(Body(make_performer(rng), T))
    scene = Scene(
        bodies=bodies, T=T, t=frames / FPS, u=np.clip((frames - t0) / (t1 - t0), 0.0, 1.0), rng=rng,
        freq=float(rng.uniform(1.0, 2.5) * perf.speed), window=t1 - t0,
    )  # fmt: skip
    for body in bodies:
        _idle(scene, body)
    _ACTIONS[action][0](scene)
    for body in bodies:
        if body.trunk is None:
            body.build_trunk()
        _gesture(scene, body)
    return [body.joints() for body in bodies]


def _quaternions(p: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Kinect-style joint orientations (w, x, y, z), (T, 25, 4): y along the bone to the child joint."""
    q = np.zeros(p.shape[:-1] + (4,))
    parents = np.array(list(_ORIENT_CHILD))
    y = p[:, [_ORIENT_CHILD[j] for j in parents]] - p[:, parents]  # (T, J, 3)
    y /= np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), 1e-9)
    z = forward[:, None, :] - np.sum(forward[:, None, :] * y, -1, keepdims=True) * y
    z /= np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), 1e-9)
    x = np.cross(y, z)
    m = np.stack([x, y, z], axis=-1)  # (T, J, 3, 3): columns are the joint's axes
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    w = 0.5 * np.sqrt(np.maximum(0.0, 1 + m00 + m11 + m22))
    qx = 0.5 * np.sqrt(np.maximum(0.0, 1 + m00 - m11 - m22)) * np.sign(m[..., 2, 1] - m[..., 1, 2])
    qy = 0.5 * np.sqrt(np.maximum(0.0, 1 - m00 + m11 - m22)) * np.sign(m[..., 0, 2] - m[..., 2, 0])
    qz = 0.5 * np.sqrt(np.maximum(0.0, 1 - m00 - m11 + m22)) * np.sign(m[..., 1, 0] - m[..., 0, 1])
    quat = np.stack([w, qx, qy, qz], -1)
    q[:, parents] = quat / np.linalg.norm(quat, axis=-1, keepdims=True)
    return q


def _joint_fields(cam: np.ndarray, state: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """The 12 per-joint fields from camera-space positions (T, 25, 3) -> (T, 25, 12)."""
    x, y, z = cam[..., 0], cam[..., 1], cam[..., 2]
    depth = np.stack([_DEPTH_C[0] + _DEPTH_F * x / z, _DEPTH_C[1] - _DEPTH_F * y / z], -1)
    color = np.stack([_COLOR_C[0] + _COLOR_F * (x + _COLOR_SHIFT) / z, _COLOR_C[1] - _COLOR_F * y / z], -1)
    quat = _quaternions(cam, forward)
    return np.concatenate([cam, depth, color, quat, state[..., None]], axis=-1)


def _body_fields(rng: np.random.Generator, cam: np.ndarray, fields: np.ndarray) -> np.ndarray:
    """The 10 body-line values per frame, (T, 10) int64 with lean x/y scaled by 1e7 (``_BODY_DECIMALS``)."""
    T = cam.shape[0]
    out = np.zeros((T, 10), dtype=np.int64)
    out[:, 0] = _BODY_ID_BASE + int(rng.integers(1000, 100000))
    with np.errstate(invalid="ignore"):
        bottom = (fields[:, [15, 19], 4] > 424).any(axis=1)
        side = ((fields[:, :, 3] < 0) | (fields[:, :, 3] > 512)).any(axis=1)
    out[:, 1] = np.where(bottom, 8, 0) + np.where(side, 2, 0)  # clippedEdges bit flags
    chunks = np.arange(T) // 15
    out[:, [3, 5]] = rng.choice([1, 2, 2, 3, 3, 4], size=(chunks[-1] + 1, 2))[chunks]  # hand states
    out[:, [2, 4]] = (rng.random((chunks[-1] + 1, 2)) < 0.8)[chunks]  # hand confidences
    spine = cam[:, 20] - cam[:, 0]
    spine /= np.maximum(np.linalg.norm(spine, axis=-1, keepdims=True), 1e-9)
    lean = np.clip(np.stack([spine[:, 0], -spine[:, 2]], -1) * 2.0, -1.0, 1.0)
    out[:, 7:9] = np.rint(np.nan_to_num(lean) * 1e7)
    out[:, 9] = 2
    return out


def _film(
    bodies: list[np.ndarray],
    seed: int,
    name_key: tuple[int, int, int],
    camera: int,
    replication: int,
    setup: int,
    interaction: bool,
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Film the bodies from one camera: per body its (T, 10) body-line values and (T, 25, 12) joint fields,
    and the (T,) lost-frame mask. ``name_key`` = (performer, replication, action)."""
    perf_rng = _rng(seed, 3, *name_key)  # shared by the three cameras of a performance
    rng = _rng(seed, 2, *name_key, camera)
    T = bodies[0].shape[0]
    face = np.deg2rad(FACING_AZIMUTH[replication] + (90.0 if interaction else 0.0) + perf_rng.normal(0, 8))
    offset = np.array([perf_rng.uniform(-0.3, 0.3), 0.0, perf_rng.uniform(-0.3, 0.3)])
    centre = np.mean([b[0, 0] for b in bodies], axis=0) * np.array([1.0, 0.0, 1.0])
    height, distance = _setup_camera(setup)
    distance += rng.normal(0, 0.05)
    az = np.deg2rad(CAMERA_AZIMUTH[camera])
    cam_pos = np.array([0.0, height, -distance]) @ rot_y(np.array(az)).T
    to_world = rot_y(np.array(face)) @ rot_y(np.array(np.pi))
    to_cam = rot_x(np.array(np.arctan2(1.0 - height, distance))) @ rot_y(np.array(az)).T
    jitter = rng.normal(0, 0.003, (T, 1, 3)) + np.cumsum(rng.normal(0, 0.0005, (T, 1, 3)), axis=0)
    sigma = rng.uniform(0.003, 0.008)
    view = (np.rad2deg(face - az) + 180) % 360 - 180
    lines, fields = [], []
    for k, joints in enumerate(bodies):
        world = (joints - centre) @ to_world.T + offset  # (T, 25, 3)
        cam = (world - cam_pos) @ to_cam.T
        cam = cam + jitter + rng.normal(0, sigma, cam.shape) * (cam[..., 2:3] / 3.0)
        state = np.full((T, NUM_JOINTS), 2.0)
        for _ in range(int(rng.integers(0, 4))):  # inferred segments on distal joints
            j, a = rng.choice(_DISTAL), int(rng.integers(0, T))
            state[a : a + int(rng.integers(3, 30)), j] = 1.0
        if abs(view) > 60:  # side view: the far arm is often inferred (the left one when view > 0)
            far = ARM_JOINTS["L"] if (view > 0) == (k == 0) else ARM_JOINTS["R"]  # the partner mostly faces the other way
            a = int(rng.integers(0, T))
            state[a : a + int(rng.integers(10, 60)), list(far[2:])] = 1.0
        inferred = state == 1.0
        cam[inferred] += rng.normal(0, 0.03, (int(inferred.sum()), 3)) + 0.04
        pelvis = cam[:, LEG_JOINTS["L"][0]] - cam[:, LEG_JOINTS["R"][0]]
        forward = np.cross(pelvis, np.array([0.0, 1.0, 0.0]))  # body left x up = forward
        f = _joint_fields(cam, state, forward)
        fields.append(f)
        lines.append(_body_fields(rng, cam, f))
    lost = np.zeros(T, dtype=bool)
    if rng.random() < 0.12:
        for _ in range(int(rng.integers(1, 4))):
            a = int(rng.integers(0, T))
            lost[a : a + int(rng.integers(1, 6))] = True
    if rng.random() < 0.08:
        lines, fields = _spurious(rng, T, lines, fields, cam_pos, to_cam)
    return lines, fields, lost


def _spurious(
    rng: np.random.Generator,
    T: int,
    lines: list[np.ndarray],
    fields: list[np.ndarray],
    cam_pos: np.ndarray,
    to_cam: np.ndarray,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Add a spurious body: a small static blob of joints (low energy) over a block of frames, NaN elsewhere."""
    where = np.array([rng.uniform(-1.5, 1.5), rng.uniform(0.3, 1.5), rng.uniform(0.8, 2.0)])  # world, metres
    blob = rng.normal(0, 0.05, (NUM_JOINTS, 3)) + where
    cam = ((blob - cam_pos) @ to_cam.T)[None] + rng.normal(0, 0.004, (T, NUM_JOINTS, 3))
    state = np.where(rng.random((T, NUM_JOINTS)) < 0.7, 1.0, 2.0)
    forward = np.tile(np.array([0.0, 0.0, -1.0]), (T, 1))
    f = _joint_fields(cam, state, forward)
    start = int(rng.integers(0, T - 1))
    present = np.zeros(T, dtype=bool)
    present[start : start + int(rng.integers(max(2, T // 10), max(3, T // 2)))] = True
    f[~present] = np.nan  # absent frames are skipped when writing
    at = 0 if rng.random() < 0.3 else len(lines)
    lines.insert(at, _body_fields(rng, cam, f))
    fields.insert(at, f)
    return lines, fields


# Text layout of the numbers, (decimals, integer digits) per group of fields; trailing zeros are dropped.
_JOINT_GROUPS = (((0, 1, 2), (7, 3)), ((3, 4, 5, 6), (4, 6)), ((7, 8, 9, 10), (7, 1)), ((11,), (0, 1)))
_BODY_GROUPS = (((0,), (0, 17)), ((1, 2, 3, 4, 5, 6), (0, 2)), ((7, 8), (7, 1)), ((9,), (0, 1)))  # lean x 1e7
_PAD = 0  # byte that marks unused positions; removed before writing


def _text_table(v: np.ndarray, decimals: int, int_digits: int, end: bytes, scaled: bool = False) -> np.ndarray:
    """ASCII of a table ``v`` (..., F) -> uint8 (..., F, width), ``_PAD`` where unused: ``-12.5 `` per value.

    A vectorised ``"%.{decimals}f"`` without trailing zeros, built one character plane at a time (Python's
    per-value formatting is what makes writing slow); the last field ends with ``end`` instead of a space.
    ``scaled``: ``v`` already holds the integers value * 10**decimals.
    """
    mag = np.abs(v).astype(np.int64) if scaled else np.rint(np.abs(v) * 10.0**decimals).astype(np.int64)
    if mag.size and mag.max() >= 10 ** (int_digits + decimals):
        raise ValueError(f"value {np.max(np.abs(v))} does not fit {int_digits} integer digits")
    pad = np.uint8(_PAD)
    planes = [np.where((v < 0) & (mag > 0), np.uint8(ord("-")), pad)]
    for p in range(int_digits + decimals - 1, decimals - 1, -1):  # integer digits, leading zeros dropped
        digit = (mag // 10**p % 10 + ord("0")).astype(np.uint8)
        planes.append(digit if p == decimals else np.where(mag < 10**p, pad, digit))
    if decimals:
        planes.append(np.where(mag % 10**decimals == 0, pad, np.uint8(ord("."))))
        for p in range(decimals - 1, -1, -1):  # decimals, trailing zeros dropped
            digit = (mag // 10**p % 10 + ord("0")).astype(np.uint8)
            planes.append(np.where(mag % 10 ** (p + 1) == 0, pad, digit))
    sep = np.full(v.shape, ord(" "), dtype=np.uint8)
    sep[..., -1] = end[0]
    planes.append(sep)
    return np.stack(planes, axis=-1)  # (..., F, width)


def _text_rows(table: np.ndarray, groups: tuple, scaled: bool = False) -> np.ndarray:
    """Text lines of a table whose last axis holds fields, (..., F) -> uint8 (..., line width).

    ``groups``: consecutive runs of fields ``(columns, (decimals, integer digits))`` in file order.
    """
    parts = []
    for k, (columns, (decimals, int_digits)) in enumerate(groups):  # groups cover the fields in order
        end = b"\n" if k == len(groups) - 1 else b" "
        text = _text_table(table[..., list(columns)], decimals, int_digits, end, scaled)  # (..., c, w)
        parts.append(text.reshape(*text.shape[:-2], -1))  # (..., c * w)
    return np.concatenate(parts, axis=-1)


def format_skeleton(bodies: list[np.ndarray], fields: list[np.ndarray], lost: np.ndarray) -> bytes:
    """The ``.skeleton`` text: frame count; per frame a body count, per body its line, 25, 25 joint lines.

    ``bodies``: per body (T, 10) int64 body-line values (lean x/y times 1e7); ``fields``: per body
    (T, 25, 12); a body is absent where its fields are NaN or ``lost`` is set. Vectorised over the file.
    """
    T, B = len(lost), len(fields)
    present = np.stack([~np.isnan(f[:, 0, 0]) for f in fields], axis=1) & ~lost[:, None]  # (T, B)
    line = _text_rows(np.stack(bodies, axis=1), _BODY_GROUPS, scaled=True)  # (T, B, width)
    rows = _text_rows(np.nan_to_num(np.stack(fields, axis=1)), _JOINT_GROUPS)  # (T, B, 25, width)
    block = np.concatenate(
        [line, np.broadcast_to(np.frombuffer(b"25\n", dtype=np.uint8), (T, B, 3)), rows.reshape(T, B, -1)], axis=-1
    )  # (T, B, block width)
    block[~present] = _PAD
    count = _text_table(present.sum(axis=1)[:, None], 0, 2, b"\n", scaled=True).reshape(T, -1)  # (T, width)
    text = np.concatenate([count, block.reshape(T, -1)], axis=-1).ravel()
    return f"{T}\n".encode() + text[text != _PAD].tobytes()


def _ordered_keys(performers: int) -> list[tuple[int, int, int, int]]:
    """All (performer, camera, replication, action) keys in a balanced order: any prefix is balanced."""
    keys = []
    n = performers * 6
    for k in range(n):
        p, j = k % performers, k // performers
        camera, replication = 1 + (j + p) % 3, 1 + j // 3
        for action in SYNTHETIC_ACTIONS:
            keys.append((p + 1, camera, replication, action))
    return keys


def _write_group(args: tuple) -> list[Path]:
    """Perform once, film from each requested camera, write the files (a unit of work for the pool)."""
    out, seed, (p, r, a), cameras = args
    bodies = perform(seed, p, r, a)
    setup = setup_of(p, r, a)
    paths = []
    for c in cameras:
        lines, fields, lost = _film(bodies, seed, (p, r, a), c, r, setup, a in INTERACTIONS)
        path = out / f"{sample_name(setup, c, p, r, a)}.skeleton"
        path.write_bytes(format_skeleton(lines, fields, lost))
        paths.append(path)
    return paths


def generate(
    out_dir: str | Path,
    seed: int = 0,
    max_samples: int | None = None,
    performers: int = 40,
    progress: bool = True,
    workers: int = 1,
) -> list[Path]:
    """Write the synthetic mini-NTU ``.skeleton`` files into ``out_dir``; same seed, same bytes.

    Default size: performers x 3 cameras x 2 replications x 14 classes; ``max_samples`` keeps a
    prefix of an order balanced over classes, performers and cameras; ``workers`` > 1 uses a process
    pool (the files do not depend on it). Returns the paths, sorted.
    """
    if performers < 1:
        raise ValueError(f"performers: expected >= 1, got {performers}")
    if max_samples is not None and max_samples < 1:
        raise ValueError(f"max_samples: expected >= 1 or None, got {max_samples}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keys = _ordered_keys(performers)[: max_samples or None]
    groups: dict[tuple[int, int, int], list[int]] = {}
    for p, c, r, a in keys:
        groups.setdefault((p, r, a), []).append(c)
    jobs = [(out, seed, key, sorted(cams)) for key, cams in groups.items()]
    paths: list[Path] = []
    with tqdm(total=len(keys), desc="synth", unit="file", disable=not progress) as bar:
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                for written in pool.map(_write_group, jobs, chunksize=8):
                    paths += written
                    bar.update(len(written))
        else:
            for job in jobs:
                written = _write_group(job)
                paths += written
                bar.update(len(written))
    logger.info("wrote %d synthetic .skeleton files to %s", len(paths), out)
    return sorted(paths)


film = _film
