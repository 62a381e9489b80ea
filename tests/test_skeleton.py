"""skeleton.py pinned to the lists of the NTU RGB+D graph, joints and bones (ST-GCN, 2s-AGCN) and of the
Kinetics-skeleton OpenPose graph (ST-GCN's ``graph/kinetics.py``) with 2s-AGCN's Kinetics bone pairs."""

from __future__ import annotations

import numpy as np

import pytest

from sttr import skeleton

REFERENCE_EDGES = [
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9), (11, 10),
    (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19), (22, 23),
    (23, 8), (24, 25), (25, 12),
]  # fmt: skip
REFERENCE_BONES = [
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9), (11, 10),
    (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19), (22, 23),
    (21, 21), (23, 8), (24, 25), (25, 12),
]  # fmt: skip
REFERENCE_NAMES = (
    "base of spine, middle of spine, neck, head, left shoulder, left elbow, left wrist, left hand, "
    "right shoulder, right elbow, right wrist, right hand, left hip, left knee, left ankle, left foot, "
    "right hip, right knee, right ankle, right foot, spine, tip of left hand, left thumb, "
    "tip of right hand, right thumb"
).split(", ")


def test_lists_equal_the_reference():
    assert skeleton.NUM_JOINTS == 25
    assert list(skeleton.EDGES_1BASED) == REFERENCE_EDGES
    assert list(skeleton.BONE_PAIRS_1BASED) == REFERENCE_BONES
    assert list(skeleton.JOINT_NAMES) == REFERENCE_NAMES
    assert skeleton.EDGES == tuple((c - 1, p - 1) for c, p in REFERENCE_EDGES)
    assert skeleton.BONE_PAIRS == tuple((a - 1, b - 1) for a, b in REFERENCE_BONES)
    assert skeleton.CENTER_JOINT == 1 and skeleton.SPINE_AXIS == (0, 1) and skeleton.SHOULDER_AXIS == (4, 8)


# ST-GCN's graph/kinetics.py (OpenPose 18 joints), 0-based (origin, neighbor) = (child, parent).
KINETICS_REFERENCE_EDGES = [
    (4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5), (8, 2), (5, 1), (2, 1),
    (0, 1), (15, 0), (14, 0), (17, 15), (16, 14),
]  # fmt: skip
KINETICS_REFERENCE_BONES = [
    (0, 0), (1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5), (7, 6), (8, 2), (9, 8), (10, 9), (11, 5), (12, 11),
    (13, 12), (14, 0), (15, 0), (16, 14), (17, 15),
]  # fmt: skip
KINETICS_REFERENCE_NAMES = (
    "nose, neck, right shoulder, right elbow, right wrist, left shoulder, left elbow, left wrist, right hip, "
    "right knee, right ankle, left hip, left knee, left ankle, right eye, left eye, right ear, left ear"
).split(", ")


def test_kinetics_lists_equal_the_reference():
    k = skeleton.KINETICS
    assert k.num_joints == skeleton.KINETICS_NUM_JOINTS == 18
    assert list(k.edges) == KINETICS_REFERENCE_EDGES
    assert list(k.bone_pairs) == KINETICS_REFERENCE_BONES
    assert list(k.joint_names) == KINETICS_REFERENCE_NAMES
    assert k.center == 1 and k.channels == ("x", "y", "score")
    assert skeleton.layout("kinetics") is k and skeleton.layout_of_joints(18) is k
    assert skeleton.layout("ntu") is skeleton.NTU and skeleton.layout_of_joints(25) is skeleton.NTU


def test_unknown_layouts_are_errors_that_list_the_known_ones():
    with pytest.raises(ValueError, match=r"'coco'.*\['kinetics', 'ntu'\]"):
        skeleton.layout("coco")
    with pytest.raises(ValueError, match=r"model input: expected 25 joints .* or 18 joints .*, found 17"):
        skeleton.layout_of_joints(17, what="model input")


@pytest.mark.parametrize(
    "layout, edges",
    [(skeleton.NTU, [(c - 1, p - 1) for c, p in REFERENCE_EDGES]), (skeleton.KINETICS, KINETICS_REFERENCE_EDGES)],
    ids=["ntu", "kinetics"],
)
def test_adjacency_subsets_are_the_st_gcn_spatial_partition(layout, edges):
    """Identity, inward (child -> parent) and outward subsets, each column-normalised (A @ D^-1), as ST-GCN's
    graph tools build them for the "spatial" labeling mode."""
    v = len(edges) + 1  # both graphs are trees
    a = layout.adjacency()
    assert a.shape == (3, v, v) and a.dtype == np.float32
    np.testing.assert_array_equal(a[0], np.eye(v, dtype=np.float32))
    inward = np.zeros((v, v), dtype=np.float32)
    for child, parent in edges:
        inward[parent, child] = 1.0  # A[j, i] = 1 for an edge i -> j
    for sub, raw in ((a[1], inward), (a[2], inward.T)):
        col = raw.sum(0)
        expected = np.divide(raw, col, out=np.zeros_like(raw), where=col > 0)  # A @ D^-1
        np.testing.assert_allclose(sub, expected)
        nz = col > 0
        np.testing.assert_allclose(sub.sum(0)[nz], 1.0)


def test_kinetics_outward_columns_split_over_the_children():
    """Outward subset of the OpenPose graph: the neck (1) sends to nose and shoulders, 1/3 each (column-
    normalised); a shoulder to its elbow and hip (the graph hangs the hips on the shoulders), the nose to its
    eyes, 1/2 each; the leaves send nothing."""
    out = skeleton.KINETICS.adjacency()[2]
    np.testing.assert_allclose(out[[0, 2, 5], 1], 1 / 3)
    np.testing.assert_allclose(out[[3, 8], 2], 0.5)
    np.testing.assert_allclose(out[[14, 15], 0], 0.5)
    assert out[:, [4, 7, 10, 13, 16, 17]].sum() == 0.0
    assert skeleton.NTU.adjacency().tolist() == skeleton.adjacency_subsets().tolist()


COCO_REFERENCE_NAMES = (
    "nose, left eye, right eye, left ear, right ear, left shoulder, right shoulder, left elbow, right elbow, "
    "left wrist, right wrist, left hip, right hip, left knee, right knee, left ankle, right ankle"
).split(", ")


def test_coco_to_openpose_maps_each_joint_to_the_same_body_point():
    assert list(skeleton.COCO_JOINT_NAMES) == COCO_REFERENCE_NAMES and skeleton.COCO_NUM_JOINTS == 17
    mapping = skeleton.OPENPOSE_FROM_COCO
    assert len(mapping) == 18 and sorted(c for c in mapping if c is not None) == list(range(17))
    for j, c in enumerate(mapping):
        if c is None:
            assert skeleton.KINETICS_JOINT_NAMES[j] == "neck"
        else:
            assert skeleton.COCO_JOINT_NAMES[c] == skeleton.KINETICS_JOINT_NAMES[j]
    assert [skeleton.COCO_JOINT_NAMES[c] for c in skeleton.COCO_NECK_FROM] == ["left shoulder", "right shoulder"]
