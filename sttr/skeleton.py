"""Joint layouts: the NTU RGB+D 25-joint Kinect v2 body and the 18-joint OpenPose body of Kinetics-skeleton, and
the 17 COCO keypoints of 2D pose estimators with their map onto OpenPose's 18.

The one home of these facts: joint names, graph edges, bone pairs, centre joint, channels and the
partition matrices of the graph convolution (ST-GCN "spatial" partitioning). Everything else imports
them. Indices are 0-based unless a name ends in ``_1BASED``. The module-level names without a layout
prefix (``NUM_JOINTS``, ``EDGES``, ...) describe NTU, the paper's dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ----------------------------------------------------------------------------------------------- NTU

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

# Named joints of the Kinect v2 body (0-based), for the normalisation and the synthetic body model.
BASE_OF_SPINE, MIDDLE_OF_SPINE, NECK, HEAD, SPINE = 0, 1, 2, 3, 20
# shoulder, elbow, wrist, hand, hand tip, thumb of each side ("L" = the body's own left)
ARM_JOINTS: dict[str, tuple[int, ...]] = {"L": (4, 5, 6, 7, 21, 22), "R": (8, 9, 10, 11, 23, 24)}
# hip, knee, ankle, foot of each side
LEG_JOINTS: dict[str, tuple[int, ...]] = {"L": (12, 13, 14, 15), "R": (16, 17, 18, 19)}

# Joints used by the normalisation (Shi et al.): centre = middle of spine, spine axis 0 -> 1, shoulders 4 -> 8.
CENTER_JOINT = MIDDLE_OF_SPINE
SPINE_AXIS = (BASE_OF_SPINE, MIDDLE_OF_SPINE)
SHOULDER_AXIS = (ARM_JOINTS["L"][0], ARM_JOINTS["R"][0])

HAND_JOINTS = (7, 11, 21, 22, 23, 24)

# Model inputs: joints, bones or both concatenated on channels -> input channels.
MODALITY_CHANNELS: dict[str, int] = {"joint": 3, "bone": 3, "joint_bone": 6}

# --------------------------------------------------------------------------------- Kinetics (OpenPose)

KINETICS_NUM_JOINTS = 18

KINETICS_JOINT_NAMES: tuple[str, ...] = (
    "nose",
    "neck",
    "right shoulder",
    "right elbow",
    "right wrist",
    "left shoulder",
    "left elbow",
    "left wrist",
    "right hip",
    "right knee",
    "right ankle",
    "left hip",
    "left knee",
    "left ankle",
    "right eye",
    "left eye",
    "right ear",
    "left ear",
)

# Graph edges (child, parent), 0-based, as ST-GCN's Kinetics (OpenPose) graph lists them.
KINETICS_EDGES: tuple[tuple[int, int], ...] = (
    (4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5), (8, 2), (5, 1),
    (2, 1), (0, 1), (15, 0), (14, 0), (17, 15), (16, 14),
)  # fmt: skip

# Bone pairs (v1, v2), 0-based, of the 2s-AGCN bone generator for Kinetics; (0, 0) gives a zero bone.
KINETICS_BONE_PAIRS: tuple[tuple[int, int], ...] = (
    (0, 0), (1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5), (7, 6), (8, 2), (9, 8), (10, 9), (11, 5),
    (12, 11), (13, 12), (14, 0), (15, 0), (16, 14), (17, 15),
)  # fmt: skip

KINETICS_CENTER_JOINT = 1  # neck

# ---------------------------------------------------------------------------- COCO-17 (2D pose estimators)

COCO_NUM_JOINTS = 17

# The 17 keypoints of COCO (Lin et al., ECCV 2014), in the order pose estimators trained on COCO write them.
COCO_JOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left eye",
    "right eye",
    "left ear",
    "right ear",
    "left shoulder",
    "right shoulder",
    "left elbow",
    "right elbow",
    "left wrist",
    "right wrist",
    "left hip",
    "right hip",
    "left knee",
    "right knee",
    "left ankle",
    "right ankle",
)

# COCO-17 -> OpenPose-18: the COCO keypoint of each OpenPose joint (the same body point), None for the neck,
# which COCO lacks: it is the midpoint of the two shoulders ``COCO_NECK_FROM``, scored by the lower of the two.
OPENPOSE_FROM_COCO: tuple[int | None, ...] = (0, None, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3)
COCO_NECK_FROM: tuple[int, int] = (5, 6)  # left and right shoulder


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


@dataclass(frozen=True)
class Layout:
    """One skeleton layout: what a model's graph and the data pipeline need to know about a body."""

    name: str  # "ntu" | "kinetics": the value of ModelConfig.graph
    title: str
    joint_names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]  # (child, parent), 0-based
    bone_pairs: tuple[tuple[int, int], ...]  # bone[v1] = joint[v1] - joint[v2]
    center: int
    channels: tuple[str, ...]  # the three input channels of a joint
    hands: tuple[str, ...] = ()  # the joints that end the arms, by name (what notebook 07 draws TSA for)

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def adjacency(self) -> np.ndarray:
        """(3, V, V) partition matrices of this layout's graph (identity, inward, outward)."""
        return adjacency_subsets(self.num_joints, self.edges)

    def mirror(self) -> list[int]:
        """``mirror[v]``: the joint on the other side of the body from joint v (left <-> right, by name; itself on
        the midline), a permutation of the joints that swaps every left/right pair."""
        swapped = {"left": "right", "right": "left"}
        index = {name: v for v, name in enumerate(self.joint_names)}
        return [index[" ".join(swapped.get(w, w) for w in name.split(" "))] for name in self.joint_names]

    def bone_parents(self) -> list[int]:
        """``parents[v1] = v2`` of the bone pairs, so that bones are ``x - x[..., parents, :]``."""
        parents = list(range(self.num_joints))
        for v1, v2 in self.bone_pairs:
            parents[v1] = v2
        return parents


NTU = Layout("ntu", "NTU RGB+D (Kinect v2, 25 joints)", JOINT_NAMES, EDGES, BONE_PAIRS, CENTER_JOINT, ("x", "y", "z"),
             ("left hand", "right hand"))  # fmt: skip
KINETICS = Layout(
    "kinetics", "Kinetics-skeleton (OpenPose, 18 joints)", KINETICS_JOINT_NAMES, KINETICS_EDGES,
    KINETICS_BONE_PAIRS, KINETICS_CENTER_JOINT, ("x", "y", "score"), ("left wrist", "right wrist"),
)  # fmt: skip
LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (NTU, KINETICS)}


def layout(name: str) -> Layout:
    """The layout called ``name`` ("ntu" or "kinetics"); an error lists the known ones."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown skeleton layout {name!r}; expected one of {sorted(LAYOUTS)}")
    return LAYOUTS[name]


def layout_of_joints(num_joints: int, what: str = "input") -> Layout:
    """The layout with ``num_joints`` joints (25: NTU, 18: Kinetics); an error names ``what`` otherwise."""
    for candidate in LAYOUTS.values():
        if candidate.num_joints == num_joints:
            return candidate
    known = " or ".join(f"{c.num_joints} joints ({c.title})" for c in LAYOUTS.values())
    raise ValueError(f"{what}: expected {known}, found {num_joints}")
