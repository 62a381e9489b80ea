"""The structure of the authors' NTU data code, re-implemented: the oracle of the normalisation tests and the
baseline of ``benchmarks/bench_data.py``.

ST-TR reuses 2s-AGCN's ``data_gen/ntu_gendata.py`` and ``data_gen/preprocess.py``. This module is our
own re-implementation of that code's structure and cost (a dict of floats per joint line read with
``readline``, a Python triple loop to fill the array, and a Python-level ``np.dot`` per joint for each
rotation), written from its description; it is not the authors' code. Their ``print`` calls and ``tqdm``
progress bars are left out: they only add cost. Not part of the ``sttr`` package.
"""

from __future__ import annotations

import math

import numpy as np


def read_skeleton_filter(file: str) -> dict:
    """The whole file as nested dicts: frames, bodies (10 fields), joints (12 fields), every value a float."""
    with open(file, "r") as f:
        sequence = {"numFrame": int(f.readline()), "frameInfo": []}
        for _ in range(sequence["numFrame"]):
            frame = {"numBody": int(f.readline()), "bodyInfo": []}
            for _ in range(frame["numBody"]):
                body_keys = [
                    "bodyID", "clipedEdges", "handLeftConfidence", "handLeftState", "handRightConfidence",
                    "handRightState", "isResticted", "leanX", "leanY", "trackingState",
                ]  # fmt: skip
                body = {k: float(v) for k, v in zip(body_keys, f.readline().split())}
                body["numJoint"] = int(f.readline())
                body["jointInfo"] = []
                for _ in range(body["numJoint"]):
                    joint_keys = [
                        "x", "y", "z", "depthX", "depthY", "colorX", "colorY",
                        "orientationW", "orientationX", "orientationY", "orientationZ", "trackingState",
                    ]  # fmt: skip
                    joint = {k: float(v) for k, v in zip(joint_keys, f.readline().split())}
                    body["jointInfo"].append(joint)
                frame["bodyInfo"].append(body)
            sequence["frameInfo"].append(frame)
    return sequence


def get_nonzero_std(s: np.ndarray) -> float:
    """Energy of one slot (T, V, C): sum of the x, y, z std over its non-empty frames; 0 if none."""
    index = s.sum(-1).sum(-1) != 0
    s = s[index]
    if len(s) != 0:
        return s[:, :, 0].std() + s[:, :, 1].std() + s[:, :, 2].std()
    return 0


def read_xyz(file: str, max_body: int = 4, num_joint: int = 25) -> np.ndarray:
    """Fill (max_body, T, V, 3) joint by joint, keep the two highest-energy slots: (3, T, V, 2)."""
    seq_info = read_skeleton_filter(file)
    data = np.zeros((max_body, seq_info["numFrame"], num_joint, 3))
    for n, f in enumerate(seq_info["frameInfo"]):
        for m, b in enumerate(f["bodyInfo"]):
            for j, v in enumerate(b["jointInfo"]):
                if m < max_body and j < num_joint:
                    data[m, n, j, :] = [v["x"], v["y"], v["z"]]
    energy = np.array([get_nonzero_std(x) for x in data])
    index = energy.argsort()[::-1][0:2]
    data = data[index]
    return data.transpose(3, 1, 2, 0)


def unit_vector(vector: np.ndarray) -> np.ndarray:
    """The vector divided by its norm."""
    return vector / np.linalg.norm(vector)


def angle_between(v1, v2) -> float:
    """Angle in radians between two vectors; 0 when either is (nearly) zero."""
    if np.abs(v1).sum() < 1e-6 or np.abs(v2).sum() < 1e-6:
        return 0
    return np.arccos(np.clip(np.dot(unit_vector(v1), unit_vector(v2)), -1.0, 1.0))


def rotation_matrix(axis, theta) -> np.ndarray:
    """Euler-Rodrigues rotation by ``theta`` about ``axis`` (clockwise, as 2s-AGCN); identity if tiny."""
    if np.abs(axis).sum() < 1e-6 or np.abs(theta) < 1e-6:
        return np.eye(3)
    axis = np.asarray(axis)
    axis = axis / math.sqrt(np.dot(axis, axis))
    a = math.cos(theta / 2.0)
    b, c, d = -axis * math.sin(theta / 2.0)
    aa, bb, cc, dd = a * a, b * b, c * c, d * d
    bc, ad, ac, ab, bd, cd = b * c, a * d, a * c, a * b, b * d, c * d
    return np.array([[aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)],
                     [2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)],
                     [2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc]])  # fmt: skip


def _pad_null_frames(s: np.ndarray) -> None:
    """Pass 1: move non-empty frames first if frame 0 is empty, then repeat them over the empty tail."""
    for i_s, skeleton in enumerate(s):
        for i_p, person in enumerate(skeleton):
            if person.sum() == 0:
                continue
            if person[0].sum() == 0:
                index = person.sum(-1).sum(-1) != 0
                tmp = person[index].copy()
                person *= 0
                person[: len(tmp)] = tmp
            for i_f, frame in enumerate(person):
                if frame.sum() == 0:
                    if person[i_f:].sum() == 0:
                        rest = len(person) - i_f
                        num = int(np.ceil(rest / i_f))
                        pad = np.concatenate([person[0:i_f] for _ in range(num)], 0)[:rest]
                        s[i_s, i_p, i_f:] = pad
                        break


def _subtract_center(s: np.ndarray) -> None:
    """Pass 2: subtract person 0's joint 1 of each frame from every person, keeping zero joints zero."""
    _, _, t, v, _ = s.shape
    for i_s, skeleton in enumerate(s):
        if skeleton.sum() == 0:
            continue
        main_body_center = skeleton[0][:, 1:2, :].copy()
        for i_p, person in enumerate(skeleton):
            if person.sum() == 0:
                continue
            mask = (person.sum(-1) != 0).reshape(t, v, 1)
            s[i_s, i_p] = (s[i_s, i_p] - main_body_center) * mask


def _align(s: np.ndarray, head: int, tail: int, target: list[int]) -> None:
    """Passes 3 and 4: rotate every joint of every non-empty frame so that person 0's vector
    ``joint[head] - joint[tail]`` in frame 0 is parallel to ``target``; one ``np.dot`` per joint."""
    for i_s, skeleton in enumerate(s):
        if skeleton.sum() == 0:
            continue
        joint_head, joint_tail = skeleton[0, 0, head], skeleton[0, 0, tail]
        axis = np.cross(joint_head - joint_tail, target)
        angle = angle_between(joint_head - joint_tail, target)
        matrix = rotation_matrix(axis, angle)
        for i_p, person in enumerate(skeleton):
            if person.sum() == 0:
                continue
            for i_f, frame in enumerate(person):
                if frame.sum() == 0:
                    continue
                for i_j, joint in enumerate(frame):
                    s[i_s, i_p, i_f, i_j] = np.dot(matrix, joint)


def pre_normalization(data: np.ndarray, zaxis: list[int] = [0, 1], xaxis: list[int] = [8, 4]) -> np.ndarray:
    """Shi et al.'s pre-normalisation of (N, C, T, V, M), in place as the authors' (float32 in, float32 out)."""
    s = np.transpose(data, [0, 4, 2, 3, 1])  # (N, M, T, V, C), a view
    _pad_null_frames(s)
    _subtract_center(s)
    _align(s, zaxis[1], zaxis[0], [0, 0, 1])  # spine: joint 1 - joint 0 along +z
    _align(s, xaxis[0], xaxis[1], [1, 0, 0])  # shoulders: joint 8 - joint 4 along +x
    return np.transpose(s, [0, 4, 2, 3, 1])


def gendata(files: list[str], max_frame: int = 300, num_joint: int = 25, max_body_true: int = 2) -> np.ndarray:
    """The ``gendata`` loop: fill (N, 3, 300, 25, 2) float32 file by file, then normalise the batch."""
    fp = np.zeros((len(files), 3, max_frame, num_joint, max_body_true), dtype=np.float32)
    for i, file in enumerate(files):
        data = read_xyz(file, max_body=4, num_joint=num_joint)
        fp[i, :, 0 : data.shape[1], :, :] = data
    return pre_normalization(fp)
