"""Body selection, Shi et al.'s normalisation and bones: properties, and equality with a slow literal version.

The literal reader below follows 2s-AGCN's reading of the NTU files line by line; the normalisation oracle is
``tests/oracles/authors_ntu.py``, the re-implementation of the authors' (2s-AGCN) code with Python loops over
samples, persons, frames and joints that the data benchmark also times.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.oracles.authors_ntu import pre_normalization
from sttr.data.ntu import format_skeleton, read_skeleton
from sttr.data.preprocess import (
    body_energy,
    bones,
    joints_and_bones,
    normalize,
    select_bodies,
    sequence_to_array,
    skeleton_to_input,
    valid_frames,
)
from sttr.skeleton import BONE_PAIRS_1BASED

# A standing person in Kinect camera space (x right, y up, z away), joints 0-based.
_TEMPLATE = np.array([
    [0, 0, 0], [0, 0.3, 0], [0, 0.6, 0], [0, 0.72, 0.02], [-0.2, 0.5, 0], [-0.25, 0.25, 0.02],
    [-0.28, 0.05, 0.04], [-0.29, 0.0, 0.05], [0.2, 0.5, 0], [0.25, 0.25, 0.02], [0.28, 0.05, 0.04],
    [0.29, 0.0, 0.05], [-0.1, -0.05, 0], [-0.1, -0.45, 0.01], [-0.1, -0.85, 0.0], [-0.1, -0.9, -0.1],
    [0.1, -0.05, 0], [0.1, -0.45, 0.01], [0.1, -0.85, 0.0], [0.1, -0.9, -0.1], [0, 0.5, 0],
    [-0.3, -0.05, 0.05], [-0.27, 0.0, 0.08], [0.3, -0.05, 0.05], [0.27, 0.0, 0.08],
])  # fmt: skip


def person(seed: int, frames: int, x: float = 0.0, yaw: float = 0.3) -> np.ndarray:
    """(T, 25, 3) moving body: rigid pose at frame 0 (spine perpendicular to shoulders), motion after."""
    rng = np.random.default_rng(seed)
    c, s = math.cos(yaw), math.sin(yaw)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])  # yaw about the vertical axis
    tilt = np.array([[1, 0, 0], [0, math.cos(0.2), -math.sin(0.2)], [0, math.sin(0.2), math.cos(0.2)]])
    t = np.arange(frames)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, (1, 25, 3))
    motion = 0.08 * np.sin(2 * np.pi * t / 40 + phase) - 0.08 * np.sin(phase)  # zero at frame 0
    pose = (_TEMPLATE[None] + motion) @ (tilt @ rot).T
    return pose + np.array([x, 0.1, 3.0])


def write_sequence(path, bodies_per_frame) -> None:
    path.write_text(format_skeleton(bodies_per_frame))


# ----------------------------------------------------------------- literal reference (README 5)


def literal_read_xyz(path, max_body: int = 4, num_joint: int = 25) -> np.ndarray:
    """Steps 5.1-5.2: read every joint line by line, slot m <- m-th body, keep the top-2 energy slots."""
    with open(path) as f:
        num_frame = int(f.readline())
        data = np.zeros((max_body, num_frame, num_joint, 3))
        for n in range(num_frame):
            num_body = int(f.readline())
            for m in range(num_body):
                f.readline()  # the 10 body fields
                for j in range(int(f.readline())):
                    v = f.readline().split()
                    if m < max_body and j < num_joint:
                        data[m, n, j, :] = [float(v[0]), float(v[1]), float(v[2])]
    energy = []
    for s in data:  # (T, V, C)
        s = s[s.sum(-1).sum(-1) != 0]
        energy.append(s[:, :, 0].std() + s[:, :, 1].std() + s[:, :, 2].std() if len(s) else 0)
    index = np.array(energy).argsort(kind="stable")[::-1][0:2]
    return data[index].transpose(3, 1, 2, 0)  # (C, T, V, 2)


def literal_pipeline(path) -> np.ndarray:
    data = literal_read_xyz(path)
    fp = np.zeros((1, 3, 300, 25, 2), dtype=np.float32)
    fp[0, :, : data.shape[1]] = data
    return pre_normalization(fp)[0]


def literal_bones(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    for v1, v2 in BONE_PAIRS_1BASED:
        out[:, :, v1 - 1] = x[:, :, v1 - 1] - x[:, :, v2 - 1]
    return out


# --------------------------------------------------------------------------------- test inputs


def _sequences() -> dict[str, list]:
    """Hand-made sequences: one body, two bodies, empty frames, four bodies, a spurious body."""
    a, b = person(1, 120, x=-0.4), person(2, 120, x=0.5, yaw=-0.5)
    junk = np.full((60, 25, 3), [1.5, 0.2, 4.0]) + person(3, 60) * 0.001  # nearly static: low energy
    untracked = a.copy()
    untracked[5:9, 7] = 0.0  # an untracked joint
    return {
        "one_body": [[f] for f in a[:85]],
        "two_bodies": [[fa, fb] for fa, fb in zip(a, b)],
        "empty_frames": [[] for _ in range(7)] + [[f] for f in a[:30]] + [[] for _ in range(5)]
        + [[f] for f in a[30:60]] + [[] for _ in range(10)],
        "four_bodies": [[a[t], b[t], person(4, 50)[t], person(5, 50, x=1.0)[t]] for t in range(50)],
        "spurious_body": [[a[t], junk[t], b[t]] for t in range(60)],
        "second_body_late": [[a[t]] + ([b[t]] if t >= 20 else []) for t in range(100)],
        "untracked_joint": [[f] for f in untracked[:40]],
        "long": [[f] for f in person(6, 300)],
    }  # fmt: skip


SEQUENCES = _sequences()


@pytest.mark.parametrize("case", sorted(SEQUENCES))
def test_equal_to_literal_implementation(tmp_path, case):
    path = tmp_path / "S001C001P001R001A001.skeleton"
    write_sequence(path, SEQUENCES[case])
    ours = skeleton_to_input(read_skeleton(path))
    assert ours.shape == (3, 300, 25, 2) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, literal_pipeline(path), atol=1e-5)


def test_spurious_low_energy_body_is_dropped(tmp_path):
    path = tmp_path / "S001C001P001R001A001.skeleton"
    write_sequence(path, SEQUENCES["spurious_body"])
    seq = read_skeleton(path)
    energy = body_energy(seq.dense_xyz())
    assert energy[1] < 0.01 * min(energy[0], energy[2]) and energy[3] == 0
    x = sequence_to_array(seq)  # (3, 300, 25, 2), top-2 energy in descending order
    dense = seq.dense_xyz()
    kept = sorted([0, 2], key=lambda m: -energy[m])
    for slot, m in enumerate(kept):
        np.testing.assert_allclose(x[:, :60, :, slot], dense[m].transpose(2, 0, 1), atol=1e-6)
    assert not x[:, 60:].any()


def test_select_bodies_orders_by_energy():
    dense = np.zeros((4, 10, 25, 3))
    for m, scale in enumerate([0.1, 0.0, 3.0, 1.0]):
        dense[m] = np.random.default_rng(m).normal(size=(10, 25, 3)) * scale
    np.testing.assert_array_equal(select_bodies(dense), dense[[2, 3]])


def test_normalisation_properties(tmp_path):
    path = tmp_path / "S001C001P001R001A001.skeleton"
    write_sequence(path, SEQUENCES["untracked_joint"])
    raw = sequence_to_array(read_skeleton(path))
    assert valid_frames(raw) == 40
    x = normalize(raw)
    spine = x[:, 0, 1, 0] - x[:, 0, 0, 0]
    shoulders = x[:, 0, 8, 0] - x[:, 0, 4, 0]
    np.testing.assert_allclose(spine / np.linalg.norm(spine), [0, 0, 1], atol=1e-5)
    np.testing.assert_allclose(shoulders / np.linalg.norm(shoulders), [1, 0, 0], atol=1e-5)
    np.testing.assert_allclose(x[:, :, 1, 0], 0, atol=1e-6)  # joint 1 of person 0 at the origin
    assert not x[:, 5:9, 7, 0].any()  # an untracked joint stays zero
    assert x[:, 5:9, 6, 0].all()
    for t in range(40, 300):  # padding repeats the sequence
        np.testing.assert_array_equal(x[:, t], x[:, t % 40])
    assert not x[..., 1].any()  # no second person
    # Lengths are preserved by the rotation.
    np.testing.assert_allclose(
        np.linalg.norm(x[:, 3, 4, 0] - x[:, 3, 8, 0]), np.linalg.norm(raw[:, 3, 4, 0] - raw[:, 3, 8, 0]), rtol=1e-5
    )


def test_normalize_batches_and_all_zero_samples():
    rng = np.random.default_rng(0)
    batch = np.zeros((3, 3, 300, 25, 2), dtype=np.float32)
    batch[0, :, :50] = person(7, 50).transpose(2, 0, 1)[..., None]
    batch[2, :, 10:70, :, 0] = person(8, 60).transpose(2, 0, 1)  # frame 0 empty: moved to the start
    batch[2, :, :, 3, 0] *= rng.uniform(size=300) > 0.1  # scattered untracked joints
    out = normalize(batch)
    assert not out[1].any()
    for i in (0, 2):
        np.testing.assert_allclose(out[i], normalize(batch[i]), atol=1e-6)
    np.testing.assert_allclose(out, pre_normalization(batch.copy()), atol=1e-5)
    with pytest.raises(ValueError, match=r"expected \(3, T, V, M\)"):
        normalize(np.zeros((2, 300, 25, 2)))


def test_bones_numpy_and_torch():
    x = np.random.default_rng(0).normal(size=(2, 3, 20, 25, 2)).astype(np.float32)
    expected = np.stack([literal_bones(s) for s in x])
    np.testing.assert_allclose(bones(x), expected, atol=1e-6)
    np.testing.assert_allclose(bones(x[0]), expected[0], atol=1e-6)
    assert not bones(x)[:, :, :, 20].any()  # the (21, 21) pair is a zero bone
    t = torch.from_numpy(x)
    np.testing.assert_allclose(bones(t).numpy(), expected, atol=1e-6)
    jb = joints_and_bones(t)
    assert jb.shape == (2, 6, 20, 25, 2)
    np.testing.assert_allclose(jb[:, 3:].numpy(), expected, atol=1e-6)
    np.testing.assert_array_equal(joints_and_bones(x[0])[:3], x[0])
    with pytest.raises(ValueError, match="expected 25 joints"):
        bones(np.zeros((3, 10, 24, 2)))
