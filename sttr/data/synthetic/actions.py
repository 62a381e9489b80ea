"""The choreography of each synthetic class (the table in the package docstring) and ``perform``: one
performance of a class by a performer, as joint positions in its scene frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sttr.data.names import MAX_FRAMES, SYNTHETIC_ACTIONS
from sttr.data.registry import dataset
from sttr.data.synthetic.body import (
    FPS,
    SIDES,
    Body,
    Scene,
    apply,
    make_performer,
    rng_for,
    smoothstep,
)
from sttr.skeleton import ARM_JOINTS, BASE_OF_SPINE, HEAD, SPINE

_SIGN = {"L": 1.0, "R": -1.0}
MIN_FRAMES = 40  # performance length: 40 frames up to MAX_FRAMES, NTU's longest


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
if set(_ACTIONS) != set(SYNTHETIC_ACTIONS):
    raise ImportError(f"the choreographies {sorted(_ACTIONS)} do not match names.SYNTHETIC_ACTIONS {SYNTHETIC_ACTIONS}")


def time_reversed_class_names() -> list[tuple[str, str]]:
    """The class names of the pairs of actions that are each other's time reversal (same poses, reversed)."""
    names = dict(zip(SYNTHETIC_ACTIONS, dataset("synthetic").class_names()))
    return [(names[a], names[b]) for a, b in TIME_REVERSED_PAIRS]


def describe_classes() -> pd.DataFrame:
    """One row per synthetic class: NTU number and name, bodies, what the motion does, the claim it exercises."""
    return pd.DataFrame(
        {
            "number": list(SYNTHETIC_ACTIONS),
            "name": dataset("synthetic").class_names(),
            "bodies": [2 if a in INTERACTIONS else 1 for a in SYNTHETIC_ACTIONS],
            "motion": [_ACTIONS[a][1] for a in SYNTHETIC_ACTIONS],
            "claim": [_ACTIONS[a][2] for a in SYNTHETIC_ACTIONS],
        }
    )


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
    perf = make_performer(rng_for(seed, 0, performer))
    rng = rng_for(seed, 1, performer, replication, action)
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
