"""Reading an input to predict: NTU ``.skeleton`` files, Kinetics-skeleton ``.json`` clips, ``.npy`` or numpy arrays.

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
  Prepared arrays hold joints (C = 3) or joints+bones (C = 6, joints first).

Every input's valid frames follow its layout's rule (``sttr.data.preprocess.valid_frames``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sttr.data.kinetics import NUM_PERSONS_IN, clip_to_array, read_clip
from sttr.data.names import MAX_FRAMES
from sttr.data.ntu import read_skeleton
from sttr.data.preprocess import normalize, sequence_to_array, valid_frames
from sttr.data.transforms import coco_to_openpose, keypoints_to_array, openpose_keypoints_to_array
from sttr.skeleton import COCO_NUM_JOINTS, KINETICS, NTU, Layout, layout_of_joints

InputLike = str | Path | np.ndarray

# 2D keypoints must be normalised image coordinates (about [0, 1]); beyond this they are taken for pixels.
NORMALISED_LIMIT = 2.0
COCO_NOTE = (
    "COCO-17 keypoints mapped to the 18 OpenPose joints (the 17 points one to one; the neck is the midpoint "
    "of the shoulders, scored by the lower of their scores)"
)


class InputError(ValueError):
    """An input that cannot be predicted; the message names the input and what was expected."""


@dataclass
class Item:
    """One sequence on its way to a model: prepared joints (or joints+bones) in (C, T, V, M)."""

    name: str
    source: str
    x: np.ndarray  # (C, T, V, M) float32
    frames: int  # valid frames, by the layout's rule (``valid_frames``)
    note: str | None = None  # how the input was converted, when that is worth saying


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


def _keypoint_item(keypoints: np.ndarray, name: str, source: str, num_persons: int) -> Item:
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


def _ntu_keypoint_item(keypoints: np.ndarray, name: str, source: str, num_persons: int) -> Item:
    """pyskl 3D keypoints (M, T, 25, 3) -> a normalised (3, max(T, 300), 25, num_persons) item, as ``load_pyskl``
    prepares them: the most energetic bodies when M > num_persons, zero padding, Shi et al."""
    x = keypoints_to_array(keypoints, max(MAX_FRAMES, keypoints.shape[1]), num_persons)  # (3, T, V, M)
    if not np.any(x):
        raise InputError(f"{source}: every keypoint is zero; nothing to classify")
    return Item(name=name, source=source, x=normalize(x), frames=valid_frames(x))


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
) -> Item:
    """OpenPose-18 keypoints (M, T, 18, 3) -> (3, max(T, 300), 18, num_persons) as a clip file of them is
    converted (``sttr.data.transforms.openpose_keypoints_to_array``)."""
    _check_normalised(keypoints, source)
    x = openpose_keypoints_to_array(keypoints, max(MAX_FRAMES, keypoints.shape[1]), num_persons)
    if not np.any(x):
        raise InputError(f"{source}: no joint has a score above 0; nothing to classify")
    return Item(name=name, source=source, x=x, frames=valid_frames(x), note=note)


def _clip_item(path: Path, num_persons: int) -> Item:
    """A Kinetics-skeleton clip file converted as prepare-kinetics converts it, frames past 300 kept."""
    clip = read_clip(path, max_people=NUM_PERSONS_IN)
    frames = max(MAX_FRAMES, int(clip.frame.max()) + 1 if clip.frame.size else 0)
    x, _ = clip_to_array(clip, max_frames=frames, num_person_out=num_persons)  # (3, T, 18, M)
    if not np.any(x):
        raise InputError(f"{path}: no person detected in any of its {clip.num_frames} frames; nothing to classify")
    return Item(name=path.name, source=str(path), x=x, frames=valid_frames(x))


def _skeleton_item(path: Path, num_persons: int) -> Item:
    """A raw .skeleton through prepare-ntu's steps (body selection, padding, normalisation), frames past 300 kept."""
    seq = read_skeleton(path)
    if num_persons != 2:
        raise InputError(f"{path}: .skeleton input needs a model of 2 persons (NTU), this one takes {num_persons}")
    if not seq.num_bodies:
        raise InputError(f"{path}: no body in any of its {seq.num_frames} frames; nothing to classify")
    x = sequence_to_array(seq, max_frames=max(MAX_FRAMES, int(seq.num_frames)))  # (3, T, V, 2), zero-padded
    return Item(name=path.name, source=str(path), x=normalize(x), frames=valid_frames(x))


def _array_items(arr: np.ndarray, name: str, source: str, num_persons: int) -> list[Item]:
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
        items.append(Item(name=n, source=source, x=x, frames=valid_frames(x, normalised=True)))
    return items


def load_input(inp: InputLike, index: int = 0, num_persons: int = 2) -> list[Item]:
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
