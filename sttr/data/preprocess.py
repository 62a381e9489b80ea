"""Body selection, Shi et al.'s pre-normalisation and bones, vectorised with numpy.

Equal to the algorithm of 2s-AGCN that ST-TR reuses (reference README, section 5), computed over all
samples, persons, frames and joints at once instead of per joint in Python. A frame or joint is
"empty" when all its coordinates are zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sttr.data.ntu import SkeletonSequence
from sttr.skeleton import BONE_PAIRS, CENTER_JOINT, NUM_JOINTS, SHOULDER_AXIS, SPINE_AXIS

MAX_FRAMES = 300
MAX_BODIES = 4
NUM_PERSONS = 2

# bone[v1] = joint[v1] - joint[_BONE_PARENT[v1]] (reference README 5.5)
_BONE_PARENT: list[int] = [0] * NUM_JOINTS
for _v1, _v2 in BONE_PAIRS:
    _BONE_PARENT[_v1] = _v2


def body_energy(dense: np.ndarray) -> np.ndarray:
    """Energy of each slot of (M, T, V, 3): sum over x, y, z of the std over joints of its non-empty frames."""
    m, t, v, c = dense.shape
    valid = dense.reshape(m, t, v * c).any(-1)  # (M, T)
    count = valid.sum(1) * v  # values per coordinate, (M,)
    w = valid[:, :, None, None]
    total = np.where(w, dense, 0.0).sum((1, 2))  # (M, 3)
    safe = np.maximum(count, 1)[:, None]
    mean = total / safe
    sq = np.where(w, (dense - mean[:, None, None, :]) ** 2, 0.0).sum((1, 2))  # (M, 3)
    std = np.sqrt(sq / safe)
    return np.where(count > 0, std.sum(1), 0.0)


def select_bodies(dense: np.ndarray, num_persons: int = NUM_PERSONS) -> np.ndarray:
    """Keep the ``num_persons`` slots of (M, T, V, 3) with the largest energy, in descending order."""
    energy = body_energy(dense)
    # Descending order as the authors' ``argsort()[::-1]`` (ties: the later slot first).
    order = np.argsort(energy, kind="stable")[::-1][:num_persons]
    out = np.zeros((num_persons,) + dense.shape[1:], dtype=dense.dtype)
    out[: len(order)] = dense[order]
    return out


def sequence_to_array(
    seq: SkeletonSequence, max_frames: int = MAX_FRAMES, max_bodies: int = MAX_BODIES
) -> np.ndarray:
    """Read slots, keep the top-2 energy bodies and zero-pad: (3, max_frames, 25, 2) float32, not normalised.

    Frames past ``max_frames`` are dropped (NTU has at most 300).
    """
    dense = seq.dense_xyz(max_bodies)  # (M, T, V, 3)
    chosen = select_bodies(dense)[:, :max_frames]  # (2, T, V, 3)
    out = np.zeros((3, max_frames, NUM_JOINTS, NUM_PERSONS), dtype=np.float32)
    out[:, : chosen.shape[1]] = chosen.transpose(3, 1, 2, 0)  # (3, T, V, 2)
    return out


def valid_length(x: np.ndarray) -> int:
    """Frames from the first to the last non-empty frame of a (C, T, V, M) array (0 when all empty)."""
    nonempty = np.flatnonzero(np.any(x != 0, axis=(0, 2, 3)))
    return int(nonempty[-1] - nonempty[0] + 1) if nonempty.size else 0


def _rotation_matrices(v: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per row of v (N, 3): the 2s-AGCN Rodrigues matrix turning v parallel to ``target``; (N, 3, 3)."""
    axis = np.cross(v, target)  # (N, 3)
    norm_v = np.linalg.norm(v, axis=1)
    cos = np.clip((v @ target) / np.where(norm_v > 0, norm_v, 1.0), -1.0, 1.0)
    theta = np.where(np.abs(v).sum(1) < 1e-6, 0.0, np.arccos(cos))
    identity = (np.abs(axis).sum(1) < 1e-6) | (np.abs(theta) < 1e-6)
    axis_norm = np.linalg.norm(axis, axis=1)
    axis = axis / np.where(identity, 1.0, axis_norm)[:, None]
    a = np.cos(theta / 2.0)
    b, c, d = (-axis * np.sin(theta / 2.0)[:, None]).T
    aa, bb, cc, dd = a * a, b * b, c * c, d * d
    bc, ad, ac, ab, bd, cd = b * c, a * d, a * c, a * b, b * d, c * d
    rot = np.stack(
        [
            np.stack([aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)], -1),
            np.stack([2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)], -1),
            np.stack([2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc], -1),
        ],
        1,
    )  # (N, 3, 3)
    rot[identity] = np.eye(3)
    return rot


def _joint_mask(s: np.ndarray) -> np.ndarray:
    """Non-zero joints of (..., 3): elementwise, avoiding a slow reduction over a length-3 axis."""
    return (s[..., 0] != 0) | (s[..., 1] != 0) | (s[..., 2] != 0)


def _fill_null_frames(s: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 4a on (P, T, V, C) persons (``mask`` (P, T, V) their non-zero joints): move the non-empty
    frames first if frame 0 is empty, then repeat frames 0..L-1 until the end."""
    p, t = s.shape[:2]
    nonempty = mask.any(-1)  # (P, T)
    frames = np.broadcast_to(np.arange(t), (p, t))
    compacted = np.argsort(~nonempty, axis=1, kind="stable")  # non-empty frames first, in order
    order = np.where(nonempty[:, :1], frames, compacted)  # (P, T)
    nonempty = np.take_along_axis(nonempty, order, 1)
    # First frame after which everything is empty: one past the last non-empty frame.
    length = np.where(nonempty.any(1), t - np.argmax(nonempty[:, ::-1], axis=1), 0)[:, None]  # (P, 1)
    cyclic = np.where(frames < length, frames, (frames - length) % np.maximum(length, 1))
    src = np.take_along_axis(order, np.where(length > 0, cyclic, frames), 1)  # (P, T)
    person = np.arange(p)[:, None]
    return s[person, src], mask[person, src]  # (P, T, V, C), (P, T, V)


def normalize(x: np.ndarray) -> np.ndarray:
    """Shi et al.'s pre-normalisation (reference README 5.4) of (C, T, V, M) or (N, C, T, V, M) arrays.

    Null frames filled by repetition, centred on person 0's joint 1, person 0's spine (joint 0 -> 1)
    in frame 0 turned to +z and its shoulders (joint 4 -> 8) to +x. Returns float32.
    """
    single = x.ndim == 4
    if single:
        x = x[None]
    if x.ndim != 5 or x.shape[1] != 3:
        raise ValueError(f"normalize: expected (3, T, V, M) or (N, 3, T, V, M), got shape {x.shape}")
    n, c, t, v, m = x.shape
    s = np.transpose(x, (0, 4, 2, 3, 1)).astype(np.float64).reshape(n * m, t, v, c)  # (N*M, T, V, C)
    s, mask = _fill_null_frames(s, _joint_mask(s))
    s, mask = s.reshape(n, m, t, v, c), mask.reshape(n, m, t, v, 1)  # (N, M, T, V, C), (N, M, T, V, 1)
    # 4b: subtract person 0's joint 1 of the same frame; all-zero joints stay zero.
    center = s[:, :1, :, CENTER_JOINT : CENTER_JOINT + 1, :]  # (N, 1, T, 1, C)
    s = (s - center) * mask
    # 4c, 4d: rotations from person 0 in frame 0 (zero joints stay zero under a rotation); the
    # shoulder rotation is computed on the spine-rotated skeleton and both are applied as one matrix.
    spine = s[:, 0, 0, SPINE_AXIS[1]] - s[:, 0, 0, SPINE_AXIS[0]]  # (N, 3)
    rot_z = _rotation_matrices(spine, np.array([0.0, 0.0, 1.0]))  # (N, 3, 3)
    shoulders = s[:, 0, 0, SHOULDER_AXIS[1]] - s[:, 0, 0, SHOULDER_AXIS[0]]  # (N, 3)
    rot_x = _rotation_matrices(np.einsum("nij,nj->ni", rot_z, shoulders), np.array([1.0, 0.0, 0.0]))
    rot = rot_x @ rot_z  # (N, 3, 3)
    s = s.reshape(n, m * t * v, c) @ rot.transpose(0, 2, 1)  # (N, M*T*V, C)
    s = np.transpose(s.reshape(n, m, t, v, c), (0, 4, 2, 3, 1))  # (N, C, T, V, M)
    out = np.ascontiguousarray(s, dtype=np.float32)
    return out[0] if single else out


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def bones(x: Any) -> Any:
    """Bone vectors ``joint[v1] - joint[v2]`` (reference README 5.5) of (C, T, V, M) or (N, C, T, V, M).

    Works on numpy arrays and torch tensors alike; V is the second-last axis.
    """
    if x.shape[-2] != NUM_JOINTS:
        raise ValueError(f"bones: expected {NUM_JOINTS} joints on axis -2, got shape {tuple(x.shape)}")
    return x - x[..., _BONE_PARENT, :]


def joints_and_bones(x: Any) -> Any:
    """Joints and bones concatenated on the channel axis: 3 -> 6 channels (numpy or torch)."""
    axis = -4  # C in (C, T, V, M) and (N, C, T, V, M)
    if _is_torch(x):
        import torch

        return torch.cat([x, bones(x)], dim=axis)
    return np.concatenate([x, bones(x)], axis=axis)


def skeleton_to_input(seq: SkeletonSequence, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The full pipeline for one file: body selection, padding and normalisation, (3, 300, 25, 2) float32."""
    return normalize(sequence_to_array(seq, max_frames=max_frames))
