"""skeleton.py pinned to the lists of the authors' NTU graph, the NTU joint names and 2s-AGCN's bone pairs."""

from __future__ import annotations

import numpy as np

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


def test_adjacency_subsets_are_the_st_gcn_spatial_partition():
    a = skeleton.adjacency_subsets()
    assert a.shape == (3, 25, 25) and a.dtype == np.float32
    np.testing.assert_array_equal(a[0], np.eye(25, dtype=np.float32))
    inward = np.zeros((25, 25), dtype=np.float32)
    for child, parent in REFERENCE_EDGES:
        inward[parent - 1, child - 1] = 1.0  # A[j, i] = 1 for an edge i -> j
    for sub, raw in ((a[1], inward), (a[2], inward.T)):
        col = raw.sum(0)
        expected = np.divide(raw, col, out=np.zeros_like(raw), where=col > 0)  # A @ D^-1
        np.testing.assert_allclose(sub, expected)
        nz = col > 0
        np.testing.assert_allclose(sub.sum(0)[nz], 1.0)
