"""A torch ``Dataset`` over memory-mapped 2s-AGCN arrays, and a reproducible loader factory.

Arrays of either skeleton layout are read (NTU's 25 joints, Kinetics-skeleton's 18). Bones are computed on
the fly when no bone file exists. The authors' feeder augmentations (random shift, random move, random
window) are available and off by default, as in the paper's NTU recipe; their Kinetics feeder trains with
a random window of 150 of the 300 stored frames and random move, and tests on the full 300 frames.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from sttr.data.formats import load_agcn, read_label_names
from sttr.data.preprocess import valid_frames
from sttr.data.transforms import MODALITIES, fit_window, random_move, random_shift, random_window, to_modality
from sttr.skeleton import MODALITY_CHANNELS


class SkeletonDataset(Dataset):
    """Samples ``(x (C, T, V, M) float32 tensor, label, index)`` from a ``*_data_*.npy`` + label pickle pair.

    ``window`` with ``resample`` resamples each sample's valid frames to ``window`` frames (linear
    interpolation); ``window`` alone takes the first ``window`` frames (with ``random_choose`` a random
    ``window``-frame crop of the stored frames, as the authors' ``random_choose``). Valid frames come from
    ``<split>_num_frames.npy`` when present beside the data.

    ``random_move`` moves the joints and the bones are computed from the moved joints (also when a
    joint_bone file holds bones: they are recomputed), whereas the authors' feeder moves x and y of their
    precomputed joint+bone arrays and leaves the bone channels unmoved. A bone-only file is moved as it is.
    """

    def __init__(
        self,
        data_path: str | Path,
        label_path: str | Path,
        modality: str = "joint",
        window: int | None = None,
        resample: bool = False,
        random_shift: bool = False,
        random_move: bool = False,
        random_choose: bool = False,
        mmap: bool = True,
        seed: int = 0,
    ) -> None:
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
        if window is not None and window < 1:
            raise ValueError(f"window must be a positive number of frames, got {window}")
        if resample and window is None:
            raise ValueError("resample=True needs a window (number of frames)")
        data_path, label_path = Path(data_path), Path(label_path)
        self.data_path, self.label_path = data_path, label_path
        self.modality = modality
        self.window, self.resample = window, resample
        self.random_shift, self.random_move, self.random_choose = random_shift, random_move, random_choose
        data, names, labels = load_agcn(data_path, label_path, mmap=mmap)
        channels = data.shape[1]
        is_bone_file = "_data_bone" in data_path.name
        # A 3-channel joint file serves every modality: bones are then computed on the fly.
        self.compute_bones = modality != "joint" and channels == 3 and not is_bone_file
        expected = MODALITY_CHANNELS[modality]
        if not self.compute_bones and (channels != expected or is_bone_file != (modality == "bone")):
            raise ValueError(f"{data_path}: {channels}-channel data does not fit modality {modality!r}")
        self.data = data
        self.sample_names: list[str] = names
        self.labels: list[int] = labels
        self.lengths = self._load_lengths(data_path)
        self.class_names = read_label_names(data_path.parent)
        self.num_classes = len(self.class_names) if self.class_names else (max(labels) + 1 if labels else 0)
        self._rng = np.random.default_rng(seed)

    @staticmethod
    def _split_prefix(data_path: Path) -> str:
        return data_path.name.split("_data_")[0]

    def _load_lengths(self, data_path: Path) -> np.ndarray | None:
        path = data_path.with_name(f"{self._split_prefix(data_path)}_num_frames.npy")
        if not path.is_file():
            return None
        lengths = np.load(path)
        if lengths.shape != (len(self.labels),):
            raise ValueError(f"{path}: expected {len(self.labels)} frame counts, found shape {lengths.shape}")
        return lengths

    @classmethod
    def from_dir(
        cls, split_dir: str | Path, split: str = "train", modality: str = "joint", **kw: Any
    ) -> "SkeletonDataset":
        """Open ``split_dir/{split}_data_<modality>.npy`` (or the joint file, bones on the fly) and its labels."""
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        split_dir = Path(split_dir)
        data_path = split_dir / f"{split}_data_{modality}.npy"
        if not data_path.is_file():
            data_path = split_dir / f"{split}_data_joint.npy"
        return cls(data_path, split_dir / f"{split}_label.pkl", modality=modality, **kw)

    def reseed(self, seed: int) -> None:
        """Reset the augmentation generator (called per worker by ``make_loader``)."""
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.labels)

    def _valid_length(self, x: np.ndarray, index: int) -> int:
        """The sample's valid frames: as stored in ``*_num_frames.npy``, else by its layout's rule."""
        if self.lengths is not None and self.lengths[index] > 0:
            return int(min(self.lengths[index], x.shape[1]))
        return valid_frames(x, normalised=True) or x.shape[1]  # an all-zero sample keeps its stored length

    def _move(self, x: np.ndarray) -> np.ndarray:
        """``random_move`` of the joints; bones stored with them (joint_bone, 6 channels) follow the moved joints."""
        if self.modality == "joint_bone" and not self.compute_bones:
            return to_modality(random_move(x[:3], self._rng), "joint_bone")  # (6, T, V, M): joints first
        return random_move(x, self._rng)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, int]:
        x = np.array(self.data[index], dtype=np.float32)  # (C, T, V, M), copied out of the memory map
        if self.window is not None:
            if self.random_choose and not self.resample:
                x = random_window(x, self.window, self._rng)
            valid = self._valid_length(x, index) if self.resample else None
            x = fit_window(x, self.window, self.resample, valid)  # (C, window, V, M)
        if self.random_shift:
            x = random_shift(x, self._rng)
        if self.random_move:
            x = self._move(x)
        if self.compute_bones:
            x = to_modality(x, self.modality)  # bones, or joints + bones (6, T, V, M)
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), int(self.labels[index]), index


def _seed_worker(worker_id: int) -> None:
    """Seed a loader worker from its torch seed, which the loader's generator draws anew every epoch."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    info = torch.utils.data.get_worker_info()
    if info is not None and hasattr(info.dataset, "reseed"):
        info.dataset.reseed(torch.initial_seed())


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    seed: int,
    num_workers: int = 0,
    drop_last: bool = False,
    distributed: bool = False,
    pin_memory: bool = False,
) -> DataLoader:
    """A ``DataLoader`` whose order and augmentations follow ``seed`` (torch.Generator + worker_init_fn).

    With ``distributed``, a ``DistributedSampler`` shards the data (call ``loader.sampler.set_epoch``
    every epoch) and each rank's workers get their own seeds. ``pin_memory`` (for a CUDA device) puts
    batches in page-locked memory, so that ``.to(device, non_blocking=True)`` copies asynchronously.
    """
    generator = torch.Generator()
    sampler = None
    if distributed:
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed, drop_last=drop_last)
        generator.manual_seed(seed + 1000003 * sampler.rank)
        shuffle = False
    else:
        generator.manual_seed(seed)
    if num_workers == 0 and hasattr(dataset, "reseed"):
        dataset.reseed(seed)  # augmentations in the main process follow the seed too
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=drop_last,
        generator=generator,
        worker_init_fn=_seed_worker,
        persistent_workers=False,
        pin_memory=pin_memory,
    )
