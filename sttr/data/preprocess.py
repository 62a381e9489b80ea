"""Body selection, Shi et al.'s pre-normalisation and bones, vectorised with numpy.

Equal to the algorithm of 2s-AGCN that ST-TR reuses (Shi et al., CVPR 2019, code release), computed over all
samples, persons, frames and joints at once instead of per joint in Python. A frame or joint is
"empty" when all its coordinates are zero.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sttr.data.names import MAX_FRAMES
from sttr.data.ntu import SkeletonSequence
from sttr.skeleton import CENTER_JOINT, KINETICS, NUM_JOINTS, SHOULDER_AXIS, SPINE_AXIS, layout_of_joints

MAX_BODIES = 4
NUM_PERSONS = 2


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
    persons = select_persons(seq, max_frames, max_bodies)  # (2, T, V, 3)
    return np.ascontiguousarray(persons.transpose(3, 1, 2, 0))  # (3, T, V, 2)


def select_persons(seq: SkeletonSequence, max_frames: int = MAX_FRAMES, max_bodies: int = MAX_BODIES) -> np.ndarray:
    """The top-2 energy slots of a sequence as persons (2, max_frames, 25, 3) float32, zero-padded.

    Same result as ``select_bodies(seq.dense_xyz(max_bodies))``, computed from the bodies of the file
    (no dense (4, T, 25, 3) array): energies come from each slot's non-empty bodies.
    """
    xyz = seq.xyz  # (B, V, 3)
    slot, frame = seq.slot_index, seq.frame_index
    nonempty = xyz.any(axis=(1, 2))  # (B,)
    energy = np.zeros(max_bodies)
    for m in np.unique(slot[slot < max_bodies]).tolist():
        points = xyz[(slot == m) & nonempty]  # (K, V, 3): the slot's non-empty frames
        if len(points):
            energy[m] = _std_sum(points)
    # Descending order as the authors' ``argsort()[::-1]`` (ties: the later slot first).
    order = np.argsort(energy, kind="stable")[::-1][:NUM_PERSONS]
    out = np.zeros((NUM_PERSONS, max_frames, NUM_JOINTS, 3), dtype=np.float32)
    for k, m in enumerate(order.tolist()):
        rows = np.flatnonzero((slot == m) & (frame < max_frames))
        out[k, frame[rows]] = xyz[rows]
    return out


def _std_sum(points: np.ndarray) -> float:
    """Sum over x, y, z of the standard deviation of (K, V, 3) points (as ``body_energy`` for one slot)."""
    flat = points.reshape(-1, 3)
    mean = flat.sum(0) / len(flat)
    return float(np.sqrt(((flat - mean) ** 2).sum(0) / len(flat)).sum())


def valid_frames(x: np.ndarray, normalised: bool = False) -> int:
    """Valid frames of one (C, T, V, M) sequence, by the rule of its layout (V joints); 0 when all empty.

    Kinetics-skeleton (18 joints): one past the last non-empty frame, so ``x[:, :n]`` holds every detection and
    a clip's frame numbers stay the video's (``prepare-kinetics``). NTU (25 joints): from the first to the last
    non-empty frame (``prepare-ntu``'s ``*_num_frames.npy``); of a ``normalised`` array, whose padding repeats
    frames 0..L-1 (step one of Shi et al.'s normalisation), L recovered by ``_repetition_period``.
    """
    nonempty = np.flatnonzero(np.any(x != 0, axis=(0, 2, 3)))
    if not nonempty.size:
        return 0
    if layout_of_joints(x.shape[2], f"valid frames of shape {x.shape}") is KINETICS:
        return int(nonempty[-1] + 1)
    if normalised:
        return _repetition_period(x)
    return int(nonempty[-1] - nonempty[0] + 1)


def _repetition_period(x: np.ndarray, tol: float = 1e-5) -> int:
    """L of a normalised NTU (C, T, V, M) array: the longest person's shortest period relative to its own joint 1.

    Normalisation repeats each person's frames 0..L-1 over the padding, then centres every frame on person 0's
    joint 1; relative to its own joint 1 a person's pose thus repeats with period L (without a repetition, a
    zero tail ends it). Approximate in two rare cases: a pose that repeats exactly reads as shorter, and a
    second person who appears after the first and outlasts it counts from its own first frame.
    """
    t = x.shape[1]
    lengths = [0]
    for m in range(x.shape[-1]):
        p = x[..., m]  # (C, T, V)
        nonempty = np.flatnonzero(np.any(p != 0, axis=(0, 2)))
        if not nonempty.size:
            continue
        rel = p - p[:, :, CENTER_JOINT : CENTER_JOINT + 1]  # (C, T, V): pose relative to its own joint 1
        scale = tol * max(1.0, float(np.abs(rel).max()))
        # A period n repeats frame 0 at frame n: only those frames are checked in full.
        candidates = np.flatnonzero(np.all(np.abs(rel - rel[:, :1]) <= scale, axis=(0, 2)))
        period = next(
            (int(n) for n in candidates[candidates > 0]
             if np.all(np.abs(rel[:, n:] - rel[:, np.arange(n, t) % n]) <= scale)),
            int(nonempty[-1]) + 1,  # no repetition: a zero tail (or nothing) ends the sequence
        )  # fmt: skip
        lengths.append(period)
    return max(lengths)


def _rotation_matrix(v: np.ndarray, target: tuple[float, float, float]) -> np.ndarray:
    """The 2s-AGCN Rodrigues matrix turning v (3,) parallel to ``target``, in Python floats (cheaper than
    numpy for one 3-vector); identity when the axis or the angle is below 1e-6; (3, 3)."""
    v0, v1, v2 = v.tolist()
    t0, t1, t2 = target
    x, y, z = v1 * t2 - v2 * t1, v2 * t0 - v0 * t2, v0 * t1 - v1 * t0  # cross(v, target)
    norm_v = math.sqrt(v0 * v0 + v1 * v1 + v2 * v2)
    cos = min(max((v0 * t0 + v1 * t1 + v2 * t2) / (norm_v if norm_v > 0 else 1.0), -1.0), 1.0)
    theta = 0.0 if abs(v0) + abs(v1) + abs(v2) < 1e-6 else float(np.arccos(cos))
    if abs(x) + abs(y) + abs(z) < 1e-6 or abs(theta) < 1e-6:
        return np.eye(3)
    norm = math.sqrt(x * x + y * y + z * z)
    a, sin = float(np.cos(theta / 2.0)), float(np.sin(theta / 2.0))
    b, c, d = -(x / norm) * sin, -(y / norm) * sin, -(z / norm) * sin
    aa, bb, cc, dd = a * a, b * b, c * c, d * d
    bc, ad, ac, ab, bd, cd = b * c, a * d, a * c, a * b, b * d, c * d
    return np.array([[aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)],
                     [2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)],
                     [2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc]])  # fmt: skip


def _joint_mask(s: np.ndarray) -> np.ndarray:
    """Non-zero joints of (..., 3): elementwise, avoiding a slow reduction over a length-3 axis."""
    return (s[..., 0] != 0) | (s[..., 1] != 0) | (s[..., 2] != 0)


def _frame_sources(nonempty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 4a as indices: for (P, T) non-empty frames, the source frame of every output frame (P, T)
    (non-empty frames first if frame 0 is empty, then frames 0..L-1 repeated) and each L, (P,)."""
    p, t = nonempty.shape
    frames = np.broadcast_to(np.arange(t), (p, t))
    compacted = np.argsort(~nonempty, axis=1, kind="stable")  # non-empty frames first, in order
    order = np.where(nonempty[:, :1], frames, compacted)  # (P, T)
    nonempty = np.take_along_axis(nonempty, order, 1)
    # First frame after which everything is empty: one past the last non-empty frame.
    length = np.where(nonempty.any(1), t - np.argmax(nonempty[:, ::-1], axis=1), 0)  # (P,)
    cyclic = np.where(frames < length[:, None], frames, (frames - length[:, None]) % np.maximum(length, 1)[:, None])
    src = np.take_along_axis(order, np.where(length[:, None] > 0, cyclic, frames), 1)  # (P, T)
    return src, length


def _fill_null_frames(s: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 4a on (P, T, V, C) persons (``mask`` (P, T, V) their non-zero joints): move the non-empty
    frames first if frame 0 is empty, then repeat frames 0..L-1 until the end."""
    src, _ = _frame_sources(mask.any(-1))
    person = np.arange(s.shape[0])[:, None]
    return s[person, src], mask[person, src]  # (P, T, V, C), (P, T, V)


def _center_and_rotate(s: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Steps 4b-4d on (N, M, T, V, C) float64 persons after 4a (``mask`` (N, M, T, V, 1) their non-zero joints).

    Subtract person 0's joint 1 of the same frame (all-zero joints stay zero), then apply per sample one
    matrix turning person 0's spine (joint 0 -> 1) in frame 0 to +z and its shoulders (joint 4 -> 8), taken
    after that turn, to +x. Returns (N, M, T, V, C).
    """
    n, m, t, v, c = s.shape
    s = (s - s[:, :1, :, CENTER_JOINT : CENTER_JOINT + 1, :]) * mask
    rot = np.empty((n, 3, 3))
    # The batched einsum / matmul forms below round differently from ``rot_z @ v`` and ``rot_x @ rot_z`` in the last
    # float64 bit; they are kept so that prepared arrays stay bit-identical to those already written.
    for i, first in enumerate(s[:, 0, 0]):  # (V, C): person 0, frame 0 of each sample
        rot_z = _rotation_matrix(first[SPINE_AXIS[1]] - first[SPINE_AXIS[0]], (0.0, 0.0, 1.0))  # 4c
        shoulders = first[None, SHOULDER_AXIS[1]] - first[None, SHOULDER_AXIS[0]]  # (1, 3)
        rot_x = _rotation_matrix(np.einsum("nij,nj->ni", rot_z[None], shoulders)[0], (1.0, 0.0, 0.0))  # 4d
        rot[i] = (rot_x[None] @ rot_z[None])[0]
    return (s.reshape(n, m * t * v, c) @ rot.transpose(0, 2, 1)).reshape(n, m, t, v, c)


def _normalize_persons(persons: np.ndarray) -> np.ndarray:
    """``normalize`` of one sample given as persons (M, T, V, C); returns (C, T, V, M) float32.

    Works on one period of the padded sequence (the lcm of the persons' lengths, e.g. the valid
    frames when all persons share them) and tiles it: every step after 4a is per frame, so the
    result equals the computation over all T frames.
    """
    m, t, v, c = persons.shape
    mask = _joint_mask(persons)  # (M, T, V)
    src, length = _frame_sources(mask.any(-1))
    period = min(math.lcm(*[n for n in length.tolist() if n]), t)  # lcm of the non-zero lengths, 1 if none
    person = np.arange(m)[:, None]
    s = persons[person, src[:, :period]].astype(np.float64)  # (M, P, V, C)
    mask = mask[person, src[:, :period], :, None]  # (M, P, V, 1)
    s = _center_and_rotate(s[None], mask[None])[0]  # (M, P, V, C)
    s = s.transpose(3, 1, 2, 0).astype(np.float32)  # (C, P, V, M)
    return np.take(s, np.arange(t) % period, axis=1) if period < t else np.ascontiguousarray(s)


def normalize(x: np.ndarray) -> np.ndarray:
    """Shi et al.'s pre-normalisation (Shi et al.) of (C, T, V, M) or (N, C, T, V, M) arrays.

    Null frames filled by repetition, centred on person 0's joint 1, person 0's spine (joint 0 -> 1)
    in frame 0 turned to +z and its shoulders (joint 4 -> 8) to +x. Returns float32.
    """
    if x.ndim == 4 and x.shape[0] == 3:
        return _normalize_persons(np.transpose(x, (3, 1, 2, 0)))
    if x.ndim != 5 or x.shape[1] != 3:
        raise ValueError(f"normalize: expected (3, T, V, M) or (N, 3, T, V, M), got shape {x.shape}")
    n, c, t, v, m = x.shape
    s = np.transpose(x, (0, 4, 2, 3, 1)).astype(np.float64).reshape(n * m, t, v, c)  # (N*M, T, V, C)
    s, mask = _fill_null_frames(s, _joint_mask(s))
    s = _center_and_rotate(s.reshape(n, m, t, v, c), mask.reshape(n, m, t, v, 1))  # (N, M, T, V, C)
    return np.ascontiguousarray(np.transpose(s, (0, 4, 2, 3, 1)), dtype=np.float32)  # (N, C, T, V, M)


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def bones(x: Any) -> Any:
    """Bone vectors ``joint[v1] - joint[v2]`` of (C, T, V, M) or (N, C, T, V, M), with the bone pairs of the
    layout that has V joints (NTU's 25 or Kinetics' 18, ``sttr.skeleton``).

    Works on numpy arrays and torch tensors alike; V is the second-last axis. The parents are gathered with
    ``np.take`` / ``index_select``, ~10x faster per (3, 300, 25, 2) sample than fancy indexing (benchmarks/README.md).
    """
    parents = layout_of_joints(x.shape[-2], f"bones of shape {tuple(x.shape)}").bone_parents()
    if _is_torch(x):
        import torch

        return x - x.index_select(-2, torch.tensor(parents, device=x.device))
    return x - np.take(x, parents, axis=-2)


def joints_and_bones(x: Any) -> Any:
    """Joints and bones concatenated on the channel axis: 3 -> 6 channels (numpy or torch)."""
    axis = -4  # C in (C, T, V, M) and (N, C, T, V, M)
    if _is_torch(x):
        import torch

        return torch.cat([x, bones(x)], dim=axis)
    return np.concatenate([x, bones(x)], axis=axis)


def skeleton_to_input(seq: SkeletonSequence, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The full pipeline for one file: body selection, padding and normalisation, (3, 300, 25, 2) float32."""
    return _normalize_persons(select_persons(seq, max_frames))


def skeleton_to_input_and_length(seq: SkeletonSequence, max_frames: int = MAX_FRAMES) -> tuple[np.ndarray, int]:
    """``skeleton_to_input`` and the ``valid_frames`` of the array before normalisation."""
    persons = select_persons(seq, max_frames)  # (2, T, V, 3)
    return _normalize_persons(persons), valid_frames(persons.transpose(3, 1, 2, 0))
