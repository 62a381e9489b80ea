"""SkeletonDataset over 2s-AGCN files and the seeded loader factory."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sttr.data.dataset import SkeletonDataset, make_loader
from sttr.data.transforms import random_move, random_shift, resample_frames
from sttr.data.formats import write_agcn
from sttr.data.preprocess import bones

N = 6


@pytest.fixture()
def split_dir(tmp_path):
    rng = np.random.default_rng(0)
    data = np.zeros((N, 3, 300, 25, 2), dtype=np.float32)
    lengths = np.array([40, 300, 64, 10, 100, 77])
    for i, length in enumerate(lengths):
        data[i, :, :length, :, 0] = rng.normal(size=(3, length, 25))
    names = [f"S001C001P00{i + 1}R001A00{i + 1}" for i in range(N)]
    write_agcn(tmp_path / "train_data_joint.npy", tmp_path / "train_label.pkl", data, names, [0, 1, 2, 0, 1, 2])
    np.save(tmp_path / "train_num_frames.npy", lengths)
    (tmp_path / "label_names.json").write_text(json.dumps(["drink water", "eat meal/snack", "brushing teeth"]))
    return tmp_path


def test_items_modalities_and_attributes(split_dir):
    ds = SkeletonDataset.from_dir(split_dir, "train")
    assert len(ds) == N and ds.num_classes == 3 and ds.class_names[1] == "eat meal/snack"
    assert ds.sample_names[0] == "S001C001P001R001A001" and ds.labels == [0, 1, 2, 0, 1, 2]
    x, label, index = ds[4]
    assert x.dtype == torch.float32 and x.shape == (3, 300, 25, 2) and (label, index) == (1, 4)
    raw = np.load(split_dir / "train_data_joint.npy")
    np.testing.assert_array_equal(x.numpy(), raw[4])
    xb, _, _ = SkeletonDataset.from_dir(split_dir, "train", modality="bone")[4]
    np.testing.assert_allclose(xb.numpy(), bones(raw[4]), atol=1e-6)
    xjb, _, _ = SkeletonDataset.from_dir(split_dir, "train", modality="joint_bone")[4]
    assert xjb.shape == (6, 300, 25, 2)
    np.testing.assert_allclose(xjb[3:].numpy(), bones(raw[4]), atol=1e-6)


def test_window_resample_uses_valid_frames(split_dir):
    ds = SkeletonDataset.from_dir(split_dir, "train", window=64, resample=True)
    raw = np.load(split_dir / "train_data_joint.npy")
    x, _, _ = ds[0]  # 40 valid frames -> 64
    assert x.shape == (3, 64, 25, 2)
    np.testing.assert_allclose(x[:, 0].numpy(), raw[0, :, 0], atol=1e-6)
    np.testing.assert_allclose(x[:, -1].numpy(), raw[0, :, 39], atol=1e-6)
    assert x[:, :, :, 0].abs().sum(dim=(0, 2)).min() > 0  # no zero-padding frames sampled
    x2, _, _ = ds[2]  # exactly 64 valid frames: unchanged
    np.testing.assert_allclose(x2.numpy(), raw[2, :, :64], atol=1e-6)
    cropped, _, _ = SkeletonDataset.from_dir(split_dir, "train", window=32)[1]
    np.testing.assert_array_equal(cropped.numpy(), raw[1, :, :32])
    x = np.arange(10, dtype=np.float32).reshape(1, 10, 1, 1)
    np.testing.assert_allclose(resample_frames(x, 19)[0, :, 0, 0], np.arange(19) / 2)


def test_validation_names_the_file(split_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="val_data_joint.npy"):
        SkeletonDataset.from_dir(split_dir, "val")
    with pytest.raises(ValueError, match="modality must be one of"):
        SkeletonDataset.from_dir(split_dir, "train", modality="joints")
    np.save(split_dir / "train_num_frames.npy", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"train_num_frames.npy: expected 6 frame counts"):
        SkeletonDataset.from_dir(split_dir, "train")
    with pytest.raises(ValueError, match="resample=True needs a window"):
        SkeletonDataset.from_dir(split_dir, "train", resample=True)


def test_augmentations_keep_shape_and_are_seeded():
    x = np.zeros((3, 50, 25, 2), dtype=np.float32)
    x[:, 5:25] = np.random.default_rng(0).normal(size=(3, 20, 25, 2))
    shifted = random_shift(x, np.random.default_rng(1))
    assert shifted.shape == x.shape and np.count_nonzero(np.abs(shifted).sum((0, 2, 3))) == 20
    moved = random_move(x, np.random.default_rng(2))
    np.testing.assert_array_equal(moved[2], x[2])  # z untouched
    np.testing.assert_array_equal(moved, random_move(x, np.random.default_rng(2)))


def test_kinetics_feeder_rule_and_bones_after_the_move(tmp_path):
    """Training: a random 150-frame crop of the 300 stored frames, moved; bones follow the moved joints (also when
    a joint_bone file stores them); validation: all 300 frames."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=(4, 3, 300, 18, 2)).astype(np.float32)  # (N, x y score, T, V, M)
    write_agcn(tmp_path / "train_data_joint.npy", tmp_path / "train_label.pkl", data, list("abcd"), [0, 1, 2, 3])
    train = SkeletonDataset.from_dir(tmp_path, "train", window=150, random_choose=True, seed=3)
    crops = [train[1][0].numpy() for _ in range(4)]
    starts = set()
    for crop in crops:
        assert crop.shape == (3, 150, 18, 2)
        start = int(np.flatnonzero(data[1, 0, :, 0, 0] == crop[0, 0, 0, 0])[0])
        np.testing.assert_array_equal(crop, data[1, :, start : start + 150])
        starts.add(start)
    assert len(starts) > 1  # random windows of the stored frames
    np.testing.assert_array_equal(SkeletonDataset.from_dir(tmp_path, "train")[1][0].numpy(), data[1])  # full length
    joint_bone = tmp_path / "train_data_joint_bone.npy"
    np.save(joint_bone, np.concatenate([data, bones(data)], axis=1))  # (N, 6, T, V, M), prepare-kinetics --joint-bones
    stored = SkeletonDataset.from_dir(tmp_path, "train", modality="joint_bone", random_move=True, seed=5)
    on_the_fly = SkeletonDataset(tmp_path / "train_data_joint.npy", tmp_path / "train_label.pkl",
                                 modality="joint_bone", random_move=True, seed=5)  # fmt: skip
    assert stored.data_path == joint_bone and not stored.compute_bones and on_the_fly.compute_bones
    a, b = stored[2][0].numpy(), on_the_fly[2][0].numpy()
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a[3:], bones(a[:3]), atol=1e-6)  # the bones of the moved joints
    np.testing.assert_array_equal(a[2], data[2, 2])  # the score channel is not moved
    assert not np.allclose(a[:2], data[2, :2])


def _epoch(loader) -> tuple[list[int], torch.Tensor]:
    order, xs = [], []
    for x, _, index in loader:
        order += index.tolist()
        xs.append(x)
    return order, torch.cat(xs)


@pytest.mark.parametrize("workers", [0, 2])
def test_loader_is_reproducible(split_dir, workers):
    ds = SkeletonDataset.from_dir(split_dir, "train", window=16, random_move=True)
    a = _epoch(make_loader(ds, 4, shuffle=True, seed=3, num_workers=workers))
    b = _epoch(make_loader(ds, 4, shuffle=True, seed=3, num_workers=workers))
    assert a[0] == b[0] and torch.equal(a[1], b[1])
    assert sorted(a[0]) == list(range(N))
    loader = make_loader(ds, 4, shuffle=True, seed=3, num_workers=workers)
    first, second = _epoch(loader), _epoch(loader)
    assert not torch.equal(first[1][np.argsort(first[0])], second[1][np.argsort(second[0])])  # new augmentation
    batch = next(iter(make_loader(ds, 4, shuffle=False, seed=0, drop_last=True)))
    assert batch[0].shape == (4, 3, 16, 25, 2) and batch[1].dtype == torch.int64


def test_loader_pins_memory_only_when_asked(split_dir):
    """The trainer asks for pinned batches on CUDA (asynchronous copies); the default leaves them pageable."""
    ds = SkeletonDataset.from_dir(split_dir, "train")
    assert not make_loader(ds, 4, shuffle=False, seed=0).pin_memory
    assert make_loader(ds, 4, shuffle=False, seed=0, pin_memory=True).pin_memory
