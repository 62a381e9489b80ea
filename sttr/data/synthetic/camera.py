"""Filming a performance with virtual Kinect v2 cameras: camera placement per setup, camera-space joints with
sensor noise, inferred joints, lost frames and spurious bodies, and the fields of each body and joint line."""

from __future__ import annotations

import numpy as np

from sttr.data.synthetic.body import rng_for, rot_x, rot_y
from sttr.skeleton import ARM_JOINTS, LEG_JOINTS, NUM_JOINTS

CAMERA_AZIMUTH = {1: 0.0, 2: 45.0, 3: -45.0}  # degrees around the subject
FACING_AZIMUTH = {1: 45.0, 2: -45.0}  # replication -> azimuth the subject faces

# Kinect v2 intrinsics (approximate): depth 512x424, colour 1920x1080 (colour camera ~5 cm to the side).
_DEPTH_F, _DEPTH_C = 365.5, (256.0, 212.0)
_COLOR_F, _COLOR_C, _COLOR_SHIFT = 1081.4, (960.0, 540.0), 0.052
_BODY_ID_BASE = 72057594037927936  # 2**56: Kinect body IDs in NTU look like 72057594037931101

# Joint -> child joint whose bone sets its orientation (Kinect hierarchy, 0-based); others are end joints.
_ORIENT_CHILD = {0: 1, 1: 20, 20: 2, 2: 3, 4: 5, 5: 6, 6: 7, 7: 21, 8: 9, 9: 10, 10: 11, 11: 23,
                 12: 13, 13: 14, 14: 15, 16: 17, 17: 18, 18: 19}  # fmt: skip
_DISTAL = np.array([6, 7, 10, 11, 14, 15, 18, 19, 21, 22, 23, 24])  # often inferred by Kinect


def _setup_camera(setup: int) -> tuple[float, float]:
    """Camera height and distance (m) of a setup: a fixed low-discrepancy spread over the 17 setups."""
    return 0.7 + 0.7 * ((setup * 0.6180339887) % 1.0), 2.6 + 0.8 * ((setup * 0.3819660113) % 1.0)


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


def _body_fields(rng: np.random.Generator, cam: np.ndarray, fields: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The body line per frame: the body ID (T,) int64 and the other 9 ``BODY_FIELDS`` (T, 9)."""
    T = cam.shape[0]
    out = np.zeros((T, 10))  # BODY_FIELDS, bodyID column unused (ids exceed float64's integers)
    body_id = np.full(T, _BODY_ID_BASE + int(rng.integers(1000, 100000)), dtype=np.int64)
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
    out[:, 7:9] = np.nan_to_num(lean)
    out[:, 9] = 2
    return body_id, out[:, 1:]


Lines = list[tuple[np.ndarray, np.ndarray]]  # per body: body ID (T,) and the other body fields (T, 9)


def film(
    bodies: list[np.ndarray],
    seed: int,
    name_key: tuple[int, int, int],
    camera: int,
    replication: int,
    setup: int,
    interaction: bool,
) -> tuple[Lines, list[np.ndarray], np.ndarray]:
    """Film the bodies (scene-frame joints (T, 25, 3) each) from one camera: per body its body line (ID and
    fields) and its (T, 25, 12) joint fields (camera space, pixels, orientations; NaN where absent), and the
    (T,) lost-frame mask. ``name_key`` = (performer, replication, action)."""
    perf_rng = rng_for(seed, 3, *name_key)  # shared by the three cameras of a performance
    rng = rng_for(seed, 2, *name_key, camera)
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
    lines: Lines,
    fields: list[np.ndarray],
    cam_pos: np.ndarray,
    to_cam: np.ndarray,
) -> tuple[Lines, list[np.ndarray]]:
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
