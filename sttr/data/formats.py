"""Arrays other projects made: the 2s-AGCN ``.npy``/``.pkl`` pair and pyskl's ``ntu*_3danno.pkl``.

Pickle can run code while loading, so only these two label/annotation formats are unpickled, through
an unpickler that allows plain Python containers and numpy arrays and refuses every other class.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sttr.data.names import MAX_FRAMES
from sttr.data.preprocess import NUM_PERSONS, normalize
from sttr.data.transforms import keypoints_to_array
from sttr.skeleton import NUM_JOINTS

_ALLOWED_GLOBALS = {
    ("builtins", "list"), ("builtins", "tuple"), ("builtins", "dict"), ("builtins", "set"),
    ("builtins", "frozenset"), ("builtins", "str"), ("builtins", "int"), ("builtins", "float"),
    ("builtins", "bool"), ("builtins", "bytes"), ("collections", "OrderedDict"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
}  # fmt: skip


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles Python containers, numbers, strings and numpy arrays only."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to unpickle {module}.{name}: only label lists and pyskl annotations are read"
        )


def _safe_load(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            return _RestrictedUnpickler(f).load()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: not a readable label pickle ({err})") from None


def read_labels(label_path: str | Path) -> tuple[list[str], list[int]]:
    """Read a 2s-AGCN label pickle ``(sample_names, labels)`` (restricted unpickler, see module doc)."""
    label_path = Path(label_path)
    obj = _safe_load(label_path)
    if not (isinstance(obj, (tuple, list)) and len(obj) == 2):
        raise ValueError(f"{label_path}: expected a pickle of (sample_names, labels), got {type(obj).__name__}")
    names, labels = obj
    names = [str(n) for n in names]
    try:
        labels = [int(v) for v in labels]
    except (TypeError, ValueError):
        raise ValueError(f"{label_path}: labels must be integers") from None
    if len(names) != len(labels):
        raise ValueError(f"{label_path}: {len(names)} sample names but {len(labels)} labels")
    if labels and min(labels) < 0:
        raise ValueError(f"{label_path}: labels must be 0-based non-negative integers, found {min(labels)}")
    return names, labels


def load_agcn(
    data_path: str | Path, label_path: str | Path, mmap: bool = True
) -> tuple[np.ndarray, list[str], list[int]]:
    """Load a 2s-AGCN pair: ``*_data_*.npy`` (N, C, T, V, M) and the label pickle; memory-mapped by default."""
    data_path = Path(data_path)
    if not data_path.is_file():
        raise FileNotFoundError(f"{data_path}: file not found")
    data = np.load(data_path, mmap_mode="r" if mmap else None, allow_pickle=False)
    if data.ndim != 5 or data.shape[3] != NUM_JOINTS:
        raise ValueError(f"{data_path}: expected an array (N, C, T, 25, M), got shape {data.shape}")
    names, labels = read_labels(label_path)
    if len(names) != data.shape[0]:
        raise ValueError(f"{label_path}: {len(names)} labels for {data.shape[0]} samples in {data_path.name}")
    return data, names, labels


def write_labels(label_path: str | Path, names: Sequence[str], labels: Sequence[int]) -> None:
    """Write the label pickle ``(sample_names, labels)`` (plain lists, protocol 4) atomically."""
    if len(names) != len(labels):
        raise ValueError(f"{label_path}: {len(names)} names but {len(labels)} labels")
    label_path = Path(label_path)
    tmp = label_path.with_name(label_path.name + ".partial")
    with open(tmp, "wb") as f:
        pickle.dump(([str(n) for n in names], [int(v) for v in labels]), f, protocol=4)
    os.replace(tmp, label_path)


def write_agcn(
    data_path: str | Path, label_path: str | Path, data: np.ndarray, names: Sequence[str], labels: Sequence[int]
) -> None:
    """Write a 2s-AGCN pair (float32 ``.npy`` and label pickle), each through a temporary file."""
    data = np.asarray(data, dtype=np.float32)
    if data.ndim != 5 or data.shape[0] != len(names):
        raise ValueError(f"{data_path}: expected (N, C, T, V, M) data with N = {len(names)}, got {data.shape}")
    data_path = Path(data_path)
    tmp = data_path.with_name(data_path.name + ".partial")
    with open(tmp, "wb") as f:
        np.save(f, data)
    os.replace(tmp, data_path)
    write_labels(label_path, names, labels)


def _keypoints(keypoint: np.ndarray, where: str, max_frames: int) -> np.ndarray:
    """One pyskl annotation's keypoint (M, T, 25, 3) -> (3, max_frames, 25, 2), checked, not normalised."""
    kp = np.asarray(keypoint)
    if kp.ndim != 4 or kp.shape[2] != NUM_JOINTS or kp.shape[3] != 3:
        raise ValueError(f"{where}: expected keypoint (M, T, 25, 3), got shape {kp.shape}")
    return keypoints_to_array(kp, max_frames, NUM_PERSONS)


def load_pyskl(
    path: str | Path, split_name: str, max_frames: int = MAX_FRAMES
) -> tuple[np.ndarray, list[str], list[int]]:
    """Read one split of pyskl's ``ntu60_3danno.pkl``/``ntu120_3danno.pkl`` into normalised arrays.

    Returns (N, 3, max_frames, 25, 2) float32 prepared like ``prepare-ntu`` (body selection when M > 2,
    zero padding, Shi et al.'s normalisation), frame_dir names and labels. The pickle is read with the
    restricted unpickler (module doc).
    """
    path = Path(path)
    obj = _safe_load(path)
    if not isinstance(obj, dict) or "split" not in obj or "annotations" not in obj:
        raise ValueError(f"{path}: expected a pyskl dict with 'split' and 'annotations'")
    splits = obj["split"]
    if split_name not in splits:
        raise ValueError(f"{path}: no split {split_name!r}; available: {sorted(splits)}")
    by_name = {}
    for i, ann in enumerate(obj["annotations"]):
        if not isinstance(ann, dict) or not {"frame_dir", "label", "keypoint"} <= set(ann):
            raise ValueError(f"{path}: annotation {i} lacks frame_dir, label or keypoint")
        by_name[str(ann["frame_dir"])] = ann
    names = [str(n) for n in splits[split_name]]
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(
            f"{path}: split {split_name!r} names {len(missing)} samples without annotation, e.g. {missing[0]}"
        )
    out = np.zeros((len(names), 3, max_frames, NUM_JOINTS, NUM_PERSONS), dtype=np.float32)
    chunk = 256
    for start in range(0, len(names), chunk):
        block = [_keypoints(by_name[n]["keypoint"], f"{path}: {n}", max_frames) for n in names[start : start + chunk]]
        if block:
            out[start : start + len(block)] = normalize(np.stack(block))  # (n, 3, T, V, 2)
    labels = [int(by_name[n]["label"]) for n in names]
    return out, names, labels
