"""Predict: classify one's own skeleton sequences with our trained or the authors' checkpoints.

The preprocessing is the training one, so a prediction means what the benchmark numbers mean.

Inputs, and the rule that tells the layouts apart (by the number of axes, the last axis and the joint count V):

- ``*.skeleton``: raw NTU text (25 Kinect v2 joints, x y z); read, the two most energetic bodies kept and Shi
  et al.'s normalisation applied, exactly as ``prepare-ntu`` does.
- ``*.json``: one Kinetics-skeleton clip in ST-GCN's format (18 OpenPose joints: x and y as fractions of the
  video's width and height, score); converted as the authors' ``kinetics_gendata.py`` and ``prepare-kinetics``
  do (``sttr.data.kinetics``): the first 5 people of a frame read, x and y shifted by -0.5 and y negated, both
  zeroed where the score is 0, per frame the 2 people of highest summed score kept; every frame is kept.
- ``*.npy`` or a numpy array:
  - 5 axes: ``(N, C, T, V, M)``, prepared (2s-AGCN layout, V = 25 or 18): used as is, one prediction per sample;
  - 4 axes, last axis of size 3: keypoints ``(M, T, V, 3)`` of M people over T frames, by V:
    - 25: 3D NTU joints (x, y, z) as pyskl stores them; normalised here as the ``.skeleton`` files are;
    - 18: 2D OpenPose-18 keypoints (x, y, score) in normalised image coordinates, x / width and y / height in
      [0, 1] with the origin at the top left, as OpenPose (normalised output) and ST-GCN's Kinetics-skeleton
      write them (divide pixel coordinates by the frame size first); converted exactly as a ``.json`` clip
      whose frame t lists person m in place m;
    - 17: 2D COCO-17 keypoints (x, y, score) of common pose estimators, in the same coordinates; mapped to
      OpenPose-18 (the 17 points one to one; the neck, which COCO lacks, is the midpoint of the shoulders,
      scored by the lower of their scores), then converted as for 18; the prediction's ``note`` says so;
  - 4 axes otherwise: ``(C, T, V, M)``, prepared (2s-AGCN layout): used as is.
  A prepared array ends with the person axis (M <= 2), so a last axis of 3 always means keypoints.
  Prepared arrays hold joints (C = 3) or joints+bones (C = 6, joints first); bones are computed here
  when the checkpoint needs them and the array holds joints.

The input's layout must be the checkpoint's graph: NTU inputs (25 joints, x y z) for NTU models, 2D inputs
(Kinetics-skeleton clips, OpenPose-18 and COCO-17 keypoints, prepared 18-joint arrays: x y score) for
Kinetics-skeleton models; anything else is an error that names the input's layout and the checkpoint's graph.

Frames: a checkpoint of our trainer stores the ``window`` and ``resample`` rule of its validation and the
same rule is applied here (none when its window was for training only, as the authors' Kinetics recipe); a
model without a window (the authors', or ours evaluated on full sequences) saw 300 frames, so a longer
sequence is resampled uniformly to 300 frames. Whenever the frame count changes, the prediction's ``note``
says so.

Two or more checkpoints: the paper's two-stream fusion, the sum of the streams' softmax scores (Sec. 2.3);
the checkpoints must share the same graph and classes (count, and names where our trainer stored them).

JSON output (``to_json``), schema ``sttr-predictions/1``::

    {
      "schema": "sttr-predictions/1",
      "fusion": "sum of softmax scores",          # or "single stream"
      "top_k": 5,
      "class_names": ["drink water", ...],         # index = label
      "checkpoints": [{"path": str, "kind": "sttr" | "official", "stream": "spatial" | "temporal" |
                       "stgcn", "graph": "ntu" | "kinetics", "modality": "joint" | "bone" | "joint_bone",
                       "num_classes": int, "window": int | null, "resample": bool}],
      "predictions": [{
          "input": str,                            # file name, "file.npy[i]" for (N, ...) arrays
          "source": str,                           # path of the input file, "<array i>" for arrays
          "frames": int,                           # frames of the input sequence (valid frames)
          "note": str | null,                      # how the input was converted or fitted to the window, if it was
          "top_k": [{"rank": 1, "label": int, "name": str, "probability": float}],
                                                   # probability = fused score / number of streams
          "fused_scores": [float, ...],            # (K,) sum of the streams' softmax scores
          "streams": [{"checkpoint": str, "scores": [float, ...]}]   # (K,) softmax of each stream
      }],
      "errors": [{"input": str, "error": str}]     # inputs that could not be predicted
    }
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from sttr.checkpoint import CheckpointError, LoadedModel, load_checkpoint
from sttr.data.formats import LABEL_NAMES, read_label_names
from sttr.data.kinetics import NUM_PERSONS_IN, clip_to_array, read_clip
from sttr.data.names import MAX_FRAMES
from sttr.data.preprocess import normalize, valid_frames, valid_length
from sttr.data.transforms import (
    coco_to_openpose,
    fit_window,
    keypoints_to_array,
    openpose_keypoints_to_array,
    to_modality,
)
from sttr.evaluation.attention import attention_maps
from sttr.evaluation.scores import class_mismatch, softmax, sum_scores
from sttr.skeleton import CENTER_JOINT, COCO_NUM_JOINTS, KINETICS, NTU, Layout, layout, layout_of_joints

log = logging.getLogger(__name__)

SCHEMA = "sttr-predictions/1"
InputLike = str | Path | np.ndarray

# 2D keypoints must be normalised image coordinates (about [0, 1]); beyond this they are taken for pixels.
NORMALISED_LIMIT = 2.0
COCO_NOTE = (
    "COCO-17 keypoints mapped to the 18 OpenPose joints (the 17 points one to one; the neck is the midpoint "
    "of the shoulders, scored by the lower of their scores)"
)


class InputError(ValueError):
    """An input that cannot be predicted; the message names the input and what was expected."""


@dataclass(frozen=True)
class TopK:
    """One of the top-k classes of a prediction."""

    rank: int
    label: int
    name: str
    probability: float


@dataclass
class Prediction:
    """What the model(s) say about one input sequence; ``error`` is set (and scores empty) when it failed."""

    name: str
    source: str
    top_k: list[TopK] = field(default_factory=list)
    scores: np.ndarray | None = None  # (K,) fused: sum of the streams' softmax scores
    stream_scores: list[np.ndarray] = field(default_factory=list)  # (K,) softmax per checkpoint
    frames: int | None = None
    note: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self, checkpoints: Sequence[str] = ()) -> dict[str, Any]:
        """This prediction as a plain dict of the JSON schema (module docstring)."""
        return {
            "input": self.name,
            "source": self.source,
            "frames": self.frames,
            "note": self.note,
            "top_k": [
                {"rank": t.rank, "label": t.label, "name": t.name, "probability": round(t.probability, 6)}
                for t in self.top_k
            ],
            "fused_scores": [] if self.scores is None else [round(float(v), 6) for v in self.scores],
            "streams": [
                {"checkpoint": str(c), "scores": [round(float(v), 6) for v in s]}
                for c, s in zip(checkpoints, self.stream_scores)
            ],
        }


@dataclass
class _Item:
    """One sequence on its way to the model: prepared joints (or joints+bones) in (C, T, V, M)."""

    name: str
    source: str
    x: np.ndarray  # (C, T, V, M) float32
    frames: int  # valid frames, as prepare-ntu / prepare-kinetics count them
    note: str | None = None  # how the input was converted, when that is worth saying


@dataclass(frozen=True)
class AttentionMap:
    """An attention map of one input: SSA (V, V) joint-by-joint or TSA (T', T') frame-by-frame."""

    stream: str  # "spatial" (SSA) or "temporal" (TSA)
    graph: str  # the model's skeleton graph: "ntu" or "kinetics" (joint names of SSA maps)
    layer: str
    weights: np.ndarray
    input_frames: int  # T of the model input; T / T' is the layer's temporal stride
    input_name: str


# ----------------------------------------------------------------------------------------------
# reading inputs


def prepared_length(x: np.ndarray, tol: float = 1e-5) -> int:
    """Valid frames of a prepared (C, T, V, M) array, as ``prepare-ntu`` records them in ``*_num_frames.npy``.

    Normalisation fills each person's padding by repeating its frames 0..L-1 (step one of Shi et al.'s normalisation),
    then centres every frame on person 0's joint 1; so L is the shortest period of the person's pose
    relative to its own joint 1 (without a repetition, a zero tail ends the sequence), and the longest
    person wins. Approximate in two rare cases: a pose that repeats exactly reads as shorter, and a
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
        period = next(
            (n for n in range(1, t) if np.all(np.abs(rel[:, n:] - rel[:, np.arange(n, t) % n]) <= scale)),
            int(nonempty[-1]) + 1,  # no repetition: a zero tail (or nothing) ends the sequence
        )
        lengths.append(period)
    return max(lengths)


def _prepared_layout(v: int, what: str) -> Layout:
    """The layout of a prepared (C, T, V, M) array with V joints; any other V is an error naming the input."""
    if v == COCO_NUM_JOINTS:
        raise InputError(
            f"{what}: 17 joints in a prepared (C, T, V, M) array; COCO-17 keypoints are read as (M, T, 17, 3) "
            "arrays of x, y, score (normalised image coordinates) and mapped to the 18 OpenPose joints"
        )
    try:
        return layout_of_joints(v, f"{what}: prepared array")
    except ValueError as err:
        raise InputError(str(err)) from None


def _input_frames(x: np.ndarray, v: int) -> int:
    """Valid frames of a prepared (C, T, V, M) array: NTU's as prepare-ntu counts them, else one past the last
    non-empty frame (prepare-kinetics)."""
    return prepared_length(x) if v == NTU.num_joints else valid_frames(x)


def _persons(x: np.ndarray, num_persons: int, what: str) -> np.ndarray:
    """Pad (C, T, V, M) with empty persons up to ``num_persons``; more persons are an error."""
    m = x.shape[-1]
    if m > num_persons:
        raise InputError(
            f"{what}: {m} persons, the models take at most {num_persons}; keep the most active ones first"
        )
    if m < num_persons:
        pad = np.zeros(x.shape[:-1] + (num_persons - m,), dtype=x.dtype)
        x = np.concatenate([x, pad], axis=-1)  # (C, T, V, num_persons)
    return x


def _keypoint_item(keypoints: np.ndarray, name: str, source: str, num_persons: int) -> _Item:
    """Keypoints (M, T, V, 3) by V: NTU 3D joints (25), OpenPose-18 (18) or COCO-17 (17) 2D keypoints."""
    v = keypoints.shape[2]
    if v == NTU.num_joints:
        return _ntu_keypoint_item(keypoints, name, source, num_persons)
    if v == KINETICS.num_joints:
        return _openpose_item(keypoints, name, source, num_persons)
    if v == COCO_NUM_JOINTS:
        return _openpose_item(coco_to_openpose(keypoints), name, source, num_persons, note=COCO_NOTE)
    raise InputError(
        f"{source}: keypoints (M, T, V, 3) with V = {v}; expected V = 25 (NTU RGB+D 3D joints x, y, z), 18 "
        "(OpenPose x, y, score) or 17 (COCO x, y, score)"
    )


def _ntu_keypoint_item(keypoints: np.ndarray, name: str, source: str, num_persons: int) -> _Item:
    """pyskl 3D keypoints (M, T, 25, 3) -> a normalised (3, max(T, 300), 25, num_persons) item, as ``load_pyskl``
    prepares them: the most energetic bodies when M > num_persons, zero padding, Shi et al."""
    x = keypoints_to_array(keypoints, max(MAX_FRAMES, keypoints.shape[1]), num_persons)  # (3, T, V, M)
    if not np.any(x):
        raise InputError(f"{source}: every keypoint is zero; nothing to classify")
    return _Item(name=name, source=source, x=normalize(x), frames=valid_length(x))


def _check_normalised(keypoints: np.ndarray, source: str) -> None:
    """Refuse 2D keypoints (M, T, V, 3) whose detected x, y are far outside [0, 1]: pixel coordinates."""
    detected = keypoints[..., 2] != 0  # (M, T, V)
    extent = float(np.abs(keypoints[..., :2][detected]).max()) if detected.any() else 0.0
    if extent > NORMALISED_LIMIT:
        raise InputError(
            f"{source}: x and y reach {extent:g}; expected normalised image coordinates in [0, 1] (x / width, "
            "y / height, as OpenPose and ST-GCN's Kinetics-skeleton write them): divide pixel coordinates by "
            "the frame's width and height"
        )


def _openpose_item(
    keypoints: np.ndarray, name: str, source: str, num_persons: int, note: str | None = None
) -> _Item:
    """OpenPose-18 keypoints (M, T, 18, 3) -> (3, max(T, 300), 18, num_persons) as a clip file of them is
    converted (``sttr.data.transforms.openpose_keypoints_to_array``)."""
    _check_normalised(keypoints, source)
    x = openpose_keypoints_to_array(keypoints, max(MAX_FRAMES, keypoints.shape[1]), num_persons)
    if not np.any(x):
        raise InputError(f"{source}: no joint has a score above 0; nothing to classify")
    return _Item(name=name, source=source, x=x, frames=valid_frames(x), note=note)


def _clip_item(path: Path, num_persons: int) -> _Item:
    """A Kinetics-skeleton clip file converted as prepare-kinetics converts it, frames past 300 kept."""
    clip = read_clip(path, max_people=NUM_PERSONS_IN)
    frames = max(MAX_FRAMES, int(clip.frame.max()) + 1 if clip.frame.size else 0)
    x, _ = clip_to_array(clip, max_frames=frames, num_person_out=num_persons)  # (3, T, 18, M)
    if not np.any(x):
        raise InputError(f"{path}: no person detected in any of its {clip.num_frames} frames; nothing to classify")
    return _Item(name=path.name, source=str(path), x=x, frames=valid_frames(x))


def _skeleton_item(path: Path, num_persons: int) -> _Item:
    """A raw .skeleton through prepare-ntu's steps (body selection, padding, normalisation), frames past 300 kept."""
    from sttr.data.ntu import read_skeleton
    from sttr.data.preprocess import sequence_to_array

    seq = read_skeleton(path)
    if num_persons != 2:
        raise InputError(f"{path}: .skeleton input needs a model of 2 persons (NTU), this one takes {num_persons}")
    if not seq.num_bodies:
        raise InputError(f"{path}: no body in any of its {seq.num_frames} frames; nothing to classify")
    x = sequence_to_array(seq, max_frames=max(MAX_FRAMES, int(seq.num_frames)))  # (3, T, V, 2), zero-padded
    return _Item(name=path.name, source=str(path), x=normalize(x), frames=valid_length(x))


def _array_items(arr: np.ndarray, name: str, source: str, num_persons: int) -> list[_Item]:
    """Items of a (N, C, T, V, M), (C, T, V, M) or (M, T, V, 3) array (rule in the module docstring)."""
    if not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"{source}: expected a numeric array, got dtype {arr.dtype}")
    if not np.isfinite(arr).all():
        raise InputError(f"{source}: the array holds NaN or infinite values")
    if arr.ndim == 4 and arr.shape[-1] == 3:
        return [_keypoint_item(arr, name, source, num_persons)]
    if arr.ndim == 4:
        arr = arr[None]  # (1, C, T, V, M)
        names = [name]
    elif arr.ndim == 5:
        names = [f"{name}[{i}]" for i in range(arr.shape[0])]
    else:
        raise InputError(
            f"{source}: array of shape {arr.shape}; expected (N, C, T, V, M) or (C, T, V, M) prepared "
            "(2s-AGCN layout, V = 25 or 18) or keypoints (M, T, V, 3): V = 25 NTU 3D joints, 18 OpenPose or "
            "17 COCO 2D keypoints (x, y, score)"
        )
    prepared = _prepared_layout(arr.shape[3], source)
    if arr.shape[1] not in (3, 6):
        channels = ", ".join(prepared.channels)
        raise InputError(
            f"{source}: {arr.shape[1]} channels in (N, C, T, V, M) layout; expected 3 ({channels} of each joint) "
            "or 6 (joints+bones); 2D keypoints without scores cannot be used: give (M, T, V, 3) x, y, score"
        )
    items = []
    for n, sample in zip(names, arr.astype(np.float32, copy=False)):
        x = _persons(sample, num_persons, source)  # (C, T, V, M)
        items.append(_Item(name=n, source=source, x=x, frames=_input_frames(x, prepared.num_joints)))
    return items


def load_input(inp: InputLike, index: int = 0, num_persons: int = 2) -> list[_Item]:
    """Read one input (path or array) into prepared (C, T, V, M) sequences; errors name the input."""
    if isinstance(inp, np.ndarray):
        return _array_items(inp, f"array[{index}]", f"<array {index}>", num_persons)
    path = Path(inp)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".skeleton":
        return [_skeleton_item(path, num_persons)]
    if suffix == ".json":
        return [_clip_item(path, num_persons)]
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise InputError(f"{path}: not a readable .npy array ({exc})") from exc
        return _array_items(arr, path.name, str(path), num_persons)
    raise InputError(
        f"{path}: unknown input type {suffix!r}; expected a raw NTU .skeleton file, a Kinetics-skeleton .json "
        "clip or a .npy array ((N, C, T, V, M) or (C, T, V, M) prepared, or (M, T, V, 3) keypoints)"
    )


# ----------------------------------------------------------------------------------------------
# fitting an input to one stream


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


# ----------------------------------------------------------------------------------------------
# the predictor


def class_names_from(source: Sequence[str] | str | Path) -> list[str]:
    """Class names given as a list, a ``label_names.json`` file or a folder holding one (a prepared split)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        folder = path if path.is_dir() else path.parent
        if path.is_file() and path.name != LABEL_NAMES:
            raise ValueError(f"{path}: expected a {LABEL_NAMES} file (a JSON list of class names) or its folder")
        names = read_label_names(folder)
        if names is None:
            raise FileNotFoundError(f"{folder / LABEL_NAMES}: not found (prepare-ntu and prepare-kinetics write it)")
        return names
    return [str(n) for n in source]


def _stored_names(loaded: LoadedModel) -> list[str] | None:
    """The class names a checkpoint carries: ours stores them; the authors' names come from the class count."""
    return list(loaded.class_names) if loaded.kind == "sttr" else None


class Predictor:
    """Loads one or more checkpoints once and predicts many inputs (several checkpoints: summed softmax).

    ``class_names`` (a list, a ``label_names.json`` or a prepared split's folder) names the classes where the
    checkpoints do not, e.g. the Kinetics-400 names for the authors' Kinetics-skeleton checkpoints.
    """

    def __init__(
        self,
        checkpoints: Sequence[str | Path | dict] | str | Path,
        device: str | torch.device = "cpu",
        top_k: int = 5,
        batch_size: int = 16,
        progress: bool = True,
        class_names: Sequence[str] | str | Path | None = None,
    ) -> None:
        if isinstance(checkpoints, (str, Path, dict)):
            checkpoints = [checkpoints]
        if not checkpoints:
            raise ValueError("Predictor: expected at least one checkpoint")
        self.device = torch.device(device)
        self.top_k = int(top_k)
        self.batch_size = int(batch_size)
        self.progress = progress
        self.streams: list[LoadedModel] = [load_checkpoint(c, device=self.device) for c in checkpoints]
        first = self.streams[0]
        for other in self.streams[1:]:
            if other.graph != first.graph:
                raise CheckpointError(
                    f"{other.source} is a model of graph {other.graph!r} ({other.layout.title}) but {first.source} "
                    f"of graph {first.graph!r} ({first.layout.title}): fusion needs models of the same skeleton"
                )
            mismatch = class_mismatch(first.source, first.num_classes, _stored_names(first),
                                      other.source, other.num_classes, _stored_names(other))  # fmt: skip
            if mismatch:
                raise CheckpointError(mismatch)
        persons = {int(s.config.num_persons) for s in self.streams}
        if len(persons) != 1:
            listing = ", ".join(f"{s.source}: {s.config.num_persons}" for s in self.streams)
            raise CheckpointError(f"the checkpoints take different numbers of persons: {listing}")
        self.num_persons = persons.pop()
        stored = next((names for names in map(_stored_names, self.streams) if names), list(first.class_names))
        self.class_names: list[str] = stored if class_names is None else class_names_from(class_names)
        if len(self.class_names) != first.num_classes:
            raise ValueError(f"{len(self.class_names)} class names for {first.source}'s {first.num_classes} classes")

    @property
    def checkpoints(self) -> list[str]:
        return [s.source for s in self.streams]

    def _items(self, inputs: Sequence[InputLike]) -> Iterator[tuple[int, InputLike, list[_Item] | Exception]]:
        for i, inp in enumerate(inputs):
            try:
                yield i, inp, load_input(inp, i, self.num_persons)
            except (InputError, ValueError, OSError) as exc:
                yield i, inp, exc

    @torch.no_grad()
    def _scores(self, loaded: LoadedModel, xs: list[np.ndarray]) -> list[np.ndarray]:
        """Softmax scores (K,) of every fitted (C, T, V, M) array under one stream, batched by equal shape."""
        out: list[np.ndarray] = [np.empty(0, np.float32)] * len(xs)
        by_shape: dict[tuple[int, ...], list[int]] = {}
        for j, x in enumerate(xs):
            by_shape.setdefault(x.shape, []).append(j)
        for idx in by_shape.values():
            for start in range(0, len(idx), self.batch_size):
                chunk = idx[start : start + self.batch_size]
                x = torch.from_numpy(np.stack([xs[j] for j in chunk]))  # (B, C, T, V, M)
                probs = softmax(loaded.model(x.to(self.device)))  # (B, K)
                for j, p in zip(chunk, probs):
                    out[j] = p
        return out

    def _predict_items(self, items: list[_Item], strict: bool) -> list[Prediction]:
        """Fit every item to every stream (a misfit is that item's error), run the streams, fuse."""
        fitted: list[list[tuple[np.ndarray, str | None]]] = []
        errors: dict[int, str] = {}
        for j, it in enumerate(items):
            try:
                fitted.append([fit_stream(it.x, it.frames, s, it.source) for s in self.streams])
            except InputError as exc:
                if strict:
                    raise
                log.warning("%s", exc)
                errors[j] = str(exc)
                fitted.append([])
        good = [j for j in range(len(items)) if j not in errors]
        per_stream = [self._scores(s, [fitted[j][k][0] for j in good]) for k, s in enumerate(self.streams)]
        scores_of = {j: [per_stream[k][g] for k in range(len(self.streams))] for g, j in enumerate(good)}
        preds = []
        for j, it in enumerate(items):
            if j in errors:
                preds.append(Prediction(it.name, it.source, frames=it.frames, error=errors[j]))
                continue
            stream_scores = scores_of[j]
            fused = sum_scores(stream_scores)  # (K,)
            order = np.argsort(-fused, kind="stable")[: min(self.top_k, fused.shape[0])]
            notes: list[str] = [it.note] if it.note else []
            for s, (_, note) in zip(self.streams, fitted[j]):
                if note:
                    notes.append(note if len(self.streams) == 1 else f"{Path(s.source).name}: {note}")
            preds.append(
                Prediction(
                    name=it.name,
                    source=it.source,
                    top_k=[
                        TopK(r + 1, int(c), self.class_names[c], float(fused[c]) / len(self.streams))
                        for r, c in enumerate(order)
                    ],
                    scores=fused,
                    stream_scores=stream_scores,
                    frames=it.frames,
                    note="; ".join(notes) if notes else None,
                )
            )
        return preds

    def predict(self, inputs: InputLike | Sequence[InputLike], strict: bool = False) -> list[Prediction]:
        """Predict every input (paths or arrays), in order; a bad input gives a Prediction with ``error`` set
        (the others are still predicted), or raises when ``strict``."""
        if isinstance(inputs, (str, Path, np.ndarray)):
            inputs = [inputs]
        results: list[Prediction] = []
        pending: list[_Item] = []
        bar = tqdm(total=len(inputs), desc="predict", unit="input", disable=not self.progress or len(inputs) < 2)
        for i, inp, loaded in self._items(inputs):
            if isinstance(loaded, Exception):
                if strict:
                    raise loaded
                log.warning("%s", loaded)
                results.extend(self._predict_items(pending, strict))
                pending = []
                name = f"array[{i}]" if isinstance(inp, np.ndarray) else Path(inp).name
                source = f"<array {i}>" if isinstance(inp, np.ndarray) else str(inp)
                results.append(Prediction(name, source, error=str(loaded)))
            else:
                pending.extend(loaded)
                if len(pending) >= self.batch_size:
                    results.extend(self._predict_items(pending, strict))
                    pending = []
            bar.update(1)
        results.extend(self._predict_items(pending, strict))
        bar.close()
        return results

    def attention(self, inp: InputLike, stream: int | None = None, layer: str | None = None) -> AttentionMap:
        """Attention map of the first sample of ``inp`` in one S-TR/T-TR stream (default: the first such).

        SSA maps are averaged over heads and the frames of the first person -> (V, V) joint-by-joint;
        TSA maps over heads and the joints of the first person -> (T', T') frame-by-frame.
        """
        if stream is None:
            stream = next((i for i, s in enumerate(self.streams) if s.stream in ("spatial", "temporal")), 0)
        loaded = self.streams[stream]
        if loaded.stream not in ("spatial", "temporal"):
            raise ValueError(
                "attention maps need an S-TR (spatial) or T-TR (temporal) checkpoint; got "
                + ", ".join(f"{s.source} ({s.stream})" for s in self.streams)
            )
        item = load_input(inp, 0, self.num_persons)[0]
        x, _ = fit_stream(item.x, item.frames, loaded, item.source)
        maps = attention_maps(loaded.model, x)
        if not maps:
            raise ValueError(f"{loaded.source}: the model returned no attention maps")
        if layer is None:
            layer = list(maps)[-1]  # the deepest attention layer
        if layer not in maps:
            raise ValueError(f"attention layer {layer!r} not found; the model has {list(maps)}")
        w = maps[layer][0]  # person 0: SSA (T, N_h, V, V) / TSA (V, N_h, T', T')
        return AttentionMap(loaded.stream, loaded.graph, layer, w.mean(axis=(0, 1)), int(x.shape[1]), item.name)

    def attention_figure(
        self, inp: InputLike, out: str | Path, stream: int | None = None, layer: str | None = None
    ) -> Path:
        """Save the SSA joint-by-joint (joint names on the axes) or TSA frame-by-frame map of ``inp`` to ``out``."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        from sttr import plots

        att = self.attention(inp, stream, layer)
        if att.stream == "spatial":
            title = f"SSA {att.layer}: {att.input_name} (mean over heads and frames)"
            fig = plots.plot_ssa_map(att.weights, layout(att.graph).joint_names, title=title)
        else:
            title = f"TSA {att.layer}: {att.input_name} (mean over heads and joints)"
            stride = max(1, round(att.input_frames / att.weights.shape[0]))
            fig = plots.plot_tsa_map(att.weights, title=title, frame_stride=stride)
        out = plots.write_figure(fig, out)
        plt.close(fig)
        return out

    def to_json(self, predictions: Sequence[Prediction]) -> dict[str, Any]:
        """Predictions as the JSON-safe dict of schema ``sttr-predictions/1`` (module docstring)."""
        return to_json(predictions, self)


def to_json(predictions: Sequence[Prediction], predictor: Predictor) -> dict[str, Any]:
    """The documented JSON document (schema ``sttr-predictions/1``) of ``predictions``."""
    return {
        "schema": SCHEMA,
        "fusion": "sum of softmax scores" if len(predictor.streams) > 1 else "single stream",
        "top_k": predictor.top_k,
        "class_names": list(predictor.class_names),
        "checkpoints": [
            {
                "path": s.source,
                "kind": s.kind,
                "stream": s.stream,
                "graph": s.graph,
                "modality": s.modality,
                "num_classes": s.num_classes,
                "window": s.window,
                "resample": s.resample,
            }
            for s in predictor.streams
        ],
        "predictions": [p.to_dict(predictor.checkpoints) for p in predictions if p.ok],
        "errors": [{"input": p.source, "error": p.error} for p in predictions if not p.ok],
    }


def write_json(predictions: Sequence[Prediction], predictor: Predictor, path: str | Path) -> Path:
    """Write ``to_json`` to ``path`` (UTF-8, indented)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(predictions, predictor), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def format_table(predictions: Sequence[Prediction]) -> str:
    """A readable terminal table: per input its top-k (rank, label, name, probability), notes and errors."""
    lines: list[str] = []
    for p in predictions:
        header = f"{p.name}" + (f"  ({p.frames} frames)" if p.frames is not None else "")
        lines.append(header)
        if not p.ok:
            lines.append(f"  ERROR: {p.error}")
        else:
            width = max((len(t.name) for t in p.top_k), default=4)
            lines.append(f"  {'rank':>4}  {'label':>5}  {'action':<{width}}  {'prob':>6}")
            for t in p.top_k:
                lines.append(f"  {t.rank:>4}  {t.label:>5}  {t.name:<{width}}  {t.probability:>6.3f}")
            if p.note:
                lines.append(f"  note: {p.note}")
        lines.append("")
    return "\n".join(lines)


def predict(
    inputs: InputLike | Sequence[InputLike],
    checkpoints: Sequence[str | Path | dict] | str | Path,
    device: str | torch.device = "cpu",
    top_k: int = 5,
    batch_size: int = 16,
    progress: bool = True,
    strict: bool = False,
    class_names: Sequence[str] | str | Path | None = None,
) -> list[Prediction]:
    """One-call prediction: load ``checkpoints`` (two: fusion) and predict ``inputs``."""
    predictor = Predictor(checkpoints, device=device, top_k=top_k, batch_size=batch_size, progress=progress,
                          class_names=class_names)  # fmt: skip
    return predictor.predict(inputs, strict=strict)
