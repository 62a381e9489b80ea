"""A re-implementation of the structure of the authors' Kinetics-skeleton conversion, for tests only.

ST-TR's ``code/tools/kinetics_gendata.py`` (as 2s-AGCN's ``data_gen/kinetics_gendata.py``) reads a clip in
``Feeder_kinetics.__getitem__`` and copies it into the output array in ``gendata``. This module redoes
those steps one by one, with their loops and their order of operations (float64 work array, per-entry
slices, per-frame reordering, cast to float32 on copy), so that ``sttr.data.kinetics`` can be checked
against it. It is written from their structure, not copied, and is not used by the package.
"""

from __future__ import annotations

import numpy as np

C, T, V = 3, 300, 18
NUM_PERSON_IN, NUM_PERSON_OUT = 5, 2


def feeder_getitem(video_info: dict, stable: bool = True) -> np.ndarray:
    """``Feeder_kinetics.__getitem__`` on a decoded clip JSON: (C, T, V, NUM_PERSON_OUT) float64.

    ``stable``: argsort with ties in listing order, what their default argsort gave for rows of 5 with the
    numpy of their time (< 1.25: insertion sort for short rows); ``False`` calls this numpy's default argsort,
    whose tie order differs on CPUs where it dispatches to x86-simd-sort (AVX-512 from numpy 1.25, AVX2 from 2.0).
    A ``frame_index`` of T or more raises IndexError, as in their script.
    """
    data_numpy = np.zeros((C, T, V, NUM_PERSON_IN))
    for frame_info in video_info["data"]:
        frame_index = frame_info["frame_index"]
        for m, skeleton_info in enumerate(frame_info["skeleton"]):
            if m >= NUM_PERSON_IN:
                break
            pose = skeleton_info["pose"]
            score = skeleton_info["score"]
            data_numpy[0, frame_index, :, m] = pose[0::2]
            data_numpy[1, frame_index, :, m] = pose[1::2]
            data_numpy[2, frame_index, :, m] = score

    # centralisation, in their order: shift x and y, negate y, then zero x and y where the score is 0
    data_numpy[0:2] = data_numpy[0:2] - 0.5
    data_numpy[1:2] = -data_numpy[1:2]
    data_numpy[0][data_numpy[2] == 0] = 0
    data_numpy[1][data_numpy[2] == 0] = 0

    # sort by score, frame by frame
    key = -data_numpy[2, :, :, :].sum(axis=1)  # (T, M)
    sort_index = key.argsort(axis=1, kind="stable") if stable else key.argsort(axis=1)
    for t, s in enumerate(sort_index):
        data_numpy[:, t, :, :] = data_numpy[:, t, :, s].transpose((1, 2, 0))
    return data_numpy[:, :, :, 0:NUM_PERSON_OUT]


def gendata_sample(video_info: dict, stable: bool = True) -> np.ndarray:
    """One sample as ``gendata`` stores it: the feeder's output copied into a float32 (C, T, V, M) slot."""
    fp = np.zeros((1, C, T, V, NUM_PERSON_OUT), dtype=np.float32)
    data = feeder_getitem(video_info, stable)
    fp[0, :, 0 : data.shape[1], :, :] = data
    return fp[0]


def gen_bones(data: np.ndarray) -> np.ndarray:
    """Their ``ntu_gen_bones.py`` for 'kinetics' on (N, C, T, V, M) float32: a float32 copy, then each pair set."""
    pairs = (
        (0, 0), (1, 0), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5), (7, 6), (8, 2), (9, 8), (10, 9), (11, 5),
        (12, 11), (13, 12), (14, 0), (15, 0), (16, 14), (17, 15),
    )  # fmt: skip
    fp_sp = np.zeros(data.shape, dtype=np.float32)
    fp_sp[:, : data.shape[1]] = data
    for v1, v2 in pairs:
        fp_sp[:, :, :, v1, :] = data[:, :, :, v1, :] - data[:, :, :, v2, :]
    return fp_sp
