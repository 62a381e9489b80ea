"""The NTU RGB+D 25-joint Kinect v2 layout: joint names, graph edges, bone pairs, partition matrices.

The one home of these facts (reference README, sections 1, 4 and 5); everything else imports them.
Indices are 0-based unless a name ends in ``_1BASED``.
"""

from __future__ import annotations

import numpy as np

NUM_JOINTS = 25

JOINT_NAMES: tuple[str, ...] = (
    "base of spine",
    "middle of spine",
    "neck",
    "head",
    "left shoulder",
    "left elbow",
    "left wrist",
    "left hand",
    "right shoulder",
    "right elbow",
    "right wrist",
    "right hand",
    "left hip",
    "left knee",
    "left ankle",
    "left foot",
    "right hip",
    "right knee",
    "right ankle",
    "right foot",
    "spine",
    "tip of left hand",
    "left thumb",
    "tip of right hand",
    "right thumb",
)

# Graph edges (child, parent), 1-based, as the authors' (ST-GCN) NTU graph lists them.
EDGES_1BASED: tuple[tuple[int, int], ...] = (
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
    (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
    (20, 19), (22, 23), (23, 8), (24, 25), (25, 12),
)  # fmt: skip
EDGES: tuple[tuple[int, int], ...] = tuple((c - 1, p - 1) for c, p in EDGES_1BASED)

# Bone pairs (v1, v2), 1-based: bone[v1] = joint[v1] - joint[v2] (2s-AGCN); (21, 21) gives a zero bone.
BONE_PAIRS_1BASED: tuple[tuple[int, int], ...] = (
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
    (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
    (20, 19), (22, 23), (21, 21), (23, 8), (24, 25), (25, 12),
)  # fmt: skip
BONE_PAIRS: tuple[tuple[int, int], ...] = tuple((a - 1, b - 1) for a, b in BONE_PAIRS_1BASED)

# Joints used by the normalisation (reference README 5.4): spine axis 0 -> 1, shoulders 4 -> 8.
CENTER_JOINT = 1
SPINE_AXIS = (0, 1)
SHOULDER_AXIS = (4, 8)

HAND_JOINTS = (7, 11, 21, 22, 23, 24)

# Model inputs: joints, bones (reference README 5.5) or both concatenated on channels -> input channels.
MODALITY_CHANNELS: dict[str, int] = {"joint": 3, "bone": 3, "joint_bone": 6}


def _normalize_columns(a: np.ndarray) -> np.ndarray:
    """Return ``a @ D^-1`` with ``D`` the diagonal of column sums; zero columns stay zero."""
    col = a.sum(axis=0)
    inv = np.zeros_like(col)
    nz = col > 0
    inv[nz] = 1.0 / col[nz]
    return a * inv[None, :]


def adjacency_subsets(num_joints: int = NUM_JOINTS, edges=EDGES) -> np.ndarray:
    """ST-GCN 'spatial' partitioning: (3, V, V) = identity, inward, outward, each column-normalised.

    ``A[j, i] = 1`` for an edge ``i -> j``; inward edges go child -> parent.
    """
    identity = np.eye(num_joints, dtype=np.float32)
    inward = np.zeros((num_joints, num_joints), dtype=np.float32)
    for child, parent in edges:
        inward[parent, child] = 1.0  # edge child -> parent
    outward = inward.T.copy()
    return np.stack(
        [_normalize_columns(identity), _normalize_columns(inward), _normalize_columns(outward)]
    )
