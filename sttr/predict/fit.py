"""Fitting a read input to one checkpoint: its graph, its channels (bones computed when needed), its frames.

A checkpoint of our trainer stores the ``window`` and ``resample`` rule of its validation and the same rule is
applied here (none when its window was for training only, as the authors' Kinetics recipe); a model without a
window (the authors', or ours evaluated on full sequences) saw 300 frames, so a longer sequence is resampled
uniformly to 300 frames. Whenever the frame count changes, the returned note says so.
"""

from __future__ import annotations

import numpy as np

from sttr.checkpoint import LoadedModel
from sttr.data.names import MAX_FRAMES
from sttr.data.transforms import fit_window, to_modality
from sttr.predict.inputs import InputError
from sttr.skeleton import layout_of_joints


def check_graph(v: int, loaded: LoadedModel, what: str) -> None:
    """Raise ``InputError`` naming the input's layout and the checkpoint's graph unless V is the graph's."""
    graph = loaded.layout
    if v != graph.num_joints:
        given = layout_of_joints(v, what)
        raise InputError(
            f"{what}: the input has the skeleton of {given.title}, channels {', '.join(given.channels)}, but "
            f"{loaded.source} is a model of graph {graph.name!r}, {graph.title}, channels {', '.join(graph.channels)}"
        )


def fit_stream(x: np.ndarray, frames: int, loaded: LoadedModel, what: str) -> tuple[np.ndarray, str | None]:
    """Channels and frames of (C, T, V, M) with ``frames`` valid frames, as ``loaded`` was validated in training.

    V must be the joint count of the model's graph. Bones are computed when needed; the window rule is the
    validation data loader's (``SkeletonDataset``): ``resample`` -> the valid frames resampled linearly to
    ``window``; a window alone -> the first ``window`` frames (zero-padded when shorter); no window -> the
    whole sequence, resampled to 300 frames when longer. Returns the array and a note when the frame count
    changed (None otherwise).
    """
    check_graph(x.shape[2], loaded, what)
    need = loaded.in_channels
    c = x.shape[0]
    if c == 3:
        x = to_modality(x, loaded.modality)  # (3 or 6, T, V, M)
    if x.shape[0] != need:
        raise InputError(
            f"{what}: {c} channels but {loaded.source} takes {need} ({loaded.modality}); "
            "give 3-channel joints (bones are computed here) or arrays prepared for that modality"
        )
    note = None
    window = loaded.window
    if window is None:
        if frames > MAX_FRAMES:
            x = fit_window(x, MAX_FRAMES, resample=True, valid=frames)  # (C, 300, V, M)
            note = (
                f"{frames} frames is longer than the {MAX_FRAMES} frames the model saw in training: "
                f"resampled uniformly to {MAX_FRAMES} frames"
            )
    elif loaded.resample:
        x = fit_window(x, window, resample=True, valid=max(frames, 1))  # (C, window, V, M)
        if frames > window:
            note = (
                f"{frames} frames is longer than the checkpoint's window of {window}: resampled "
                f"uniformly to {window} frames (the checkpoint's rule)"
            )
        elif frames != window:
            note = f"{frames} frames resampled to the checkpoint's window of {window} frames"
    else:
        x = fit_window(x, window, resample=False)  # (C, window, V, M)
        if frames > window:
            note = (
                f"{frames} frames is longer than the checkpoint's window of {window}: cropped to the "
                f"first {window} frames (the checkpoint's rule)"
            )
    return np.ascontiguousarray(x, dtype=np.float32), note
