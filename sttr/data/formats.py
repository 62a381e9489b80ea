"""Prepared-array files in and out: the 2s-AGCN ``.npy``/``.pkl`` pair (with our ``label_names.json`` beside it),
pyskl's ``ntu*_3danno.pkl``, and the staged writing that the prepare jobs share.

Pickle can run code while loading, so only these two label/annotation formats are unpickled, through
an unpickler that allows plain Python containers and numpy arrays and refuses every other class.
Every file is written under a temporary name (``<name>.partial``) and renamed when complete, so an
interrupted job never leaves a truncated file under the final name.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from sttr.atomic import PARTIAL, atomic_write, partial_path
from sttr.data.names import MAX_FRAMES
from sttr.data.preprocess import NUM_PERSONS, normalize
from sttr.data.transforms import keypoints_to_array
from sttr.skeleton import LAYOUTS, NUM_JOINTS, layout_of_joints

log = logging.getLogger(__name__)

LABEL_NAMES = "label_names.json"  # class names by label, beside a prepared split

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
    """Load a 2s-AGCN pair: ``*_data_*.npy`` (N, C, T, V, M) and the label pickle; memory-mapped by default.

    V is a layout's joint count (``sttr.skeleton.layout_of_joints``): NTU's 25 or Kinetics-skeleton's 18.
    """
    data_path = Path(data_path)
    if not data_path.is_file():
        raise FileNotFoundError(f"{data_path}: file not found")
    data = np.load(data_path, mmap_mode="r" if mmap else None, allow_pickle=False)
    if data.ndim != 5:
        joints = " or ".join(str(layout.num_joints) for layout in LAYOUTS.values())
        raise ValueError(f"{data_path}: expected an array (N, C, T, V, M) with V = {joints}, got shape {data.shape}")
    layout_of_joints(data.shape[3], f"{data_path}: array of shape {data.shape}, V")
    names, labels = read_labels(label_path)
    if len(names) != data.shape[0]:
        raise ValueError(f"{label_path}: {len(names)} labels for {data.shape[0]} samples in {data_path.name}")
    return data, names, labels


def write_labels(label_path: str | Path, names: Sequence[str], labels: Sequence[int]) -> None:
    """Write the label pickle ``(sample_names, labels)`` (plain lists, protocol 4) atomically."""
    if len(names) != len(labels):
        raise ValueError(f"{label_path}: {len(names)} names but {len(labels)} labels")
    with atomic_write(label_path) as f:
        pickle.dump(([str(n) for n in names], [int(v) for v in labels]), f, protocol=4)


def save_array(path: str | Path, array: np.ndarray) -> None:
    """``np.save`` through a temporary file, renamed when complete."""
    with atomic_write(path) as f:
        np.save(f, array)


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON through a temporary file, renamed when complete."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=1) + "\n")


def write_agcn(
    data_path: str | Path, label_path: str | Path, data: np.ndarray, names: Sequence[str], labels: Sequence[int]
) -> None:
    """Write a 2s-AGCN pair (float32 ``.npy`` and label pickle), each through a temporary file."""
    data = np.asarray(data, dtype=np.float32)
    if data.ndim != 5 or data.shape[0] != len(names):
        raise ValueError(f"{data_path}: expected (N, C, T, V, M) data with N = {len(names)}, got {data.shape}")
    save_array(data_path, data)
    write_labels(label_path, names, labels)


def read_label_names(folder: str | Path) -> list[str] | None:
    """The class names of a prepared split (``folder/label_names.json``, index = label), or None without one."""
    path = Path(folder) / LABEL_NAMES
    if not path.is_file():
        return None
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not valid JSON ({err}); expected a list of class names") from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{path}: expected a JSON list of class names")
    return names


def write_label_names(folder: str | Path, names: Sequence[str]) -> None:
    """Write ``folder/label_names.json``: the class names by label."""
    write_json(Path(folder) / LABEL_NAMES, [str(n) for n in names])


class StagedArray:
    """A (rows, C, T, V, M) float32 ``.npy`` filled row by row through a memory map under ``<name>.partial``.

    ``finish`` shrinks it to the rows written, ``publish`` renames it into place, ``discard`` deletes it; a
    job that writes many such arrays publishes none of them until all are complete.
    """

    def __init__(
        self, path: str | Path, rows: int, channels: int, joints: int,
        frames: int = MAX_FRAMES, persons: int = NUM_PERSONS,
    ) -> None:  # fmt: skip
        self.path = Path(path)
        self.tmp = partial_path(self.path)
        shape = (rows, channels, frames, joints, persons)  # (N, C, T, V, M)
        self.array: np.memmap | None = np.lib.format.open_memmap(self.tmp, mode="w+", dtype=np.float32, shape=shape)

    def __setitem__(self, row: int, sample: np.ndarray) -> None:
        """Write one sample (C, T, V, M) at ``row``."""
        if self.array is None:
            raise ValueError(f"{self.tmp}: already finished or discarded")
        self.array[row] = sample

    def finish(self, rows: int) -> None:
        """Flush, shrink to the first ``rows`` samples (the header is rewritten in place) and close."""
        if self.array is None:
            raise ValueError(f"{self.tmp}: already finished or discarded")
        self.array.flush()
        offset = self.array.offset
        self.array = None
        _shrink_npy(self.tmp, rows, offset)

    def publish(self) -> None:
        """Rename the finished file to its final name."""
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        """Close and delete the temporary file (an interrupted or refused job)."""
        self.array = None
        self.tmp.unlink(missing_ok=True)


def _shrink_npy(path: Path, rows: int, offset: int) -> None:
    """Set the first dimension of a float32 C-order ``.npy`` file to ``rows``, keeping its header length."""
    with open(path, "r+b") as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
        new_shape = (rows,) + tuple(shape[1:])
        header = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": fortran, "shape": new_shape})
        prefix = 6 + 2 + (2 if version == (1, 0) else 4)  # magic, version, header length field
        size = offset - prefix
        text = header.ljust(size - 1) + "\n"
        if len(text) != size:
            raise ValueError(f"{path}: cannot rewrite the .npy header in place")
        f.seek(prefix)
        f.write(text.encode("latin1"))
        f.truncate(offset + rows * int(np.prod(new_shape[1:])) * dtype.itemsize)


def clean_partials(folders: Iterable[Path]) -> None:
    """Delete the ``*.partial`` files an interrupted job left in ``folders``."""
    for folder in folders:
        if folder.is_dir():
            for stale in folder.glob(f"*{PARTIAL}"):
                log.info("removing %s left by an interrupted run", stale)
                stale.unlink()


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
