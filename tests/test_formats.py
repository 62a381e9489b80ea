"""2s-AGCN pair and pyskl annotation readers on files written here."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from sttr.data.formats import (
    StagedArray,
    load_agcn,
    load_pyskl,
    read_label_names,
    read_labels,
    write_agcn,
    write_label_names,
    write_labels,
)
from sttr.data.preprocess import normalize

NAMES = ["S001C001P001R001A001", "S001C002P002R001A005", "S002C003P003R002A060"]


def _data(n: int = 3) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, 3, 300, 25, 2)).astype(np.float32)


def test_agcn_round_trip(tmp_path):
    data = _data()
    write_agcn(tmp_path / "val_data_joint.npy", tmp_path / "val_label.pkl", data, NAMES, [0, 4, 59])
    arr, names, labels = load_agcn(tmp_path / "val_data_joint.npy", tmp_path / "val_label.pkl")
    assert isinstance(arr, np.memmap)
    np.testing.assert_array_equal(arr, data)
    assert names == NAMES and labels == [0, 4, 59]
    arr, _, _ = load_agcn(tmp_path / "val_data_joint.npy", tmp_path / "val_label.pkl", mmap=False)
    assert not isinstance(arr, np.memmap)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]


def test_kinetics_skeleton_arrays_and_class_names(tmp_path):
    data = np.random.default_rng(1).normal(size=(3, 3, 300, 18, 2)).astype(np.float32)  # (N, x y score, T, V, M)
    write_agcn(tmp_path / "train_data_joint.npy", tmp_path / "train_label.pkl", data, ["a.json", "b.json", "c.json"],
               [0, 399, 7])  # fmt: skip
    arr, names, labels = load_agcn(tmp_path / "train_data_joint.npy", tmp_path / "train_label.pkl")
    np.testing.assert_array_equal(arr, data)
    assert names == ["a.json", "b.json", "c.json"] and labels == [0, 399, 7]
    assert read_label_names(tmp_path) is None
    write_label_names(tmp_path, ["abseiling", "air drumming"])
    assert read_label_names(tmp_path) == ["abseiling", "air drumming"]
    (tmp_path / "label_names.json").write_text('{"0": "abseiling"}')
    with pytest.raises(ValueError, match="label_names.json: expected a JSON list of class names"):
        read_label_names(tmp_path)
    (tmp_path / "label_names.json").write_text("[")
    with pytest.raises(ValueError, match="label_names.json: not valid JSON"):
        read_label_names(tmp_path)


def test_staged_array_is_published_only_when_complete(tmp_path):
    path = tmp_path / "train_data_joint.npy"
    out = StagedArray(path, rows=4, channels=3, joints=18, frames=10)
    out[0] = np.ones((3, 10, 18, 2), np.float32)
    out[1] = np.full((3, 10, 18, 2), 2.0, np.float32)
    assert not path.exists() and (tmp_path / "train_data_joint.npy.partial").is_file()
    out.finish(2)  # two of the four rows were written: the file shrinks to them
    out.publish()
    arr = np.load(path)
    assert arr.shape == (2, 3, 10, 18, 2) and arr[1].min() == arr[1].max() == 2.0
    assert not list(tmp_path.glob("*.partial"))
    stale = StagedArray(tmp_path / "val_data_joint.npy", rows=1, channels=3, joints=25)
    stale.discard()
    assert not list(tmp_path.glob("val_*"))


def test_agcn_labels_written_by_other_projects(tmp_path):
    # 2s-AGCN's gendata pickles (list of names, list of ints); some forks store numpy int64 labels.
    with open(tmp_path / "a.pkl", "wb") as f:
        pickle.dump((NAMES, list(np.array([1, 2, 3], dtype=np.int64))), f)
    assert read_labels(tmp_path / "a.pkl") == (NAMES, [1, 2, 3])


def test_agcn_errors_name_the_file(tmp_path):
    np.save(tmp_path / "d.npy", _data(2))
    write_labels(tmp_path / "l.pkl", NAMES, [0, 1, 2])
    with pytest.raises(ValueError, match=r"l.pkl: 3 labels for 2 samples in d.npy"):
        load_agcn(tmp_path / "d.npy", tmp_path / "l.pkl")
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        load_agcn(tmp_path / "nope.npy", tmp_path / "l.pkl")
    np.save(tmp_path / "bad.npy", np.zeros((2, 3, 300, 24)))
    with pytest.raises(ValueError, match=r"bad.npy: expected an array \(N, C, T, V, M\) with V = 25 or 18"):
        load_agcn(tmp_path / "bad.npy", tmp_path / "l.pkl")
    np.save(tmp_path / "coco.npy", np.zeros((2, 3, 300, 17, 2), np.float32))
    coco_error = r"coco.npy: .*V: expected 25 joints \(NTU.* or 18 joints \(Kinetics.*found 17"
    with pytest.raises(ValueError, match=coco_error):
        load_agcn(tmp_path / "coco.npy", tmp_path / "l.pkl")
    with open(tmp_path / "odd.pkl", "wb") as f:
        pickle.dump({"names": NAMES}, f)
    with pytest.raises(ValueError, match="odd.pkl: expected a pickle of"):
        read_labels(tmp_path / "odd.pkl")
    with pytest.raises(ValueError, match="3 names but 2 labels"):
        write_labels(tmp_path / "x.pkl", NAMES, [0, 1])


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo unsafe",))


def test_pickles_with_other_classes_are_refused(tmp_path):
    with open(tmp_path / "evil.pkl", "wb") as f:
        pickle.dump((NAMES, [_Evil()] * 3), f)
    with pytest.raises(ValueError, match="refusing to unpickle"):
        read_labels(tmp_path / "evil.pkl")


def _pyskl_file(tmp_path) -> tuple[str, dict]:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(1, 1, 25, 3)) + np.array([0, 0, 3.0])
    anns = [
        {"frame_dir": "S001C001P001R001A001", "label": 0, "total_frames": 80,
         "keypoint": (base + 0.05 * rng.normal(size=(1, 80, 25, 3))).astype(np.float32)},
        {"frame_dir": "S001C002P002R001A050", "label": 49, "total_frames": 300,
         "keypoint": (base + 0.05 * rng.normal(size=(2, 300, 25, 3))).astype(np.float32)},
        {"frame_dir": "S001C003P003R001A002", "label": 1, "total_frames": 40,
         "keypoint": (base + 0.05 * rng.normal(size=(2, 40, 25, 3))).astype(np.float32)},
    ]  # fmt: skip
    split = {"xsub_train": ["S001C001P001R001A001", "S001C002P002R001A050"], "xsub_val": ["S001C003P003R001A002"]}
    path = tmp_path / "ntu60_3danno.pkl"
    with open(path, "wb") as f:
        pickle.dump({"split": split, "annotations": anns}, f)
    return str(path), {a["frame_dir"]: a for a in anns}


def test_pyskl_reader(tmp_path):
    path, anns = _pyskl_file(tmp_path)
    data, names, labels = load_pyskl(path, "xsub_train")
    assert data.shape == (2, 3, 300, 25, 2) and data.dtype == np.float32
    assert names == ["S001C001P001R001A001", "S001C002P002R001A050"] and labels == [0, 49]
    for i, name in enumerate(names):
        kp = anns[name]["keypoint"]  # (M, T, V, 3)
        raw = np.zeros((3, 300, 25, 2), dtype=np.float32)
        raw[:, : kp.shape[1], :, : kp.shape[0]] = kp.transpose(3, 1, 2, 0)
        np.testing.assert_allclose(data[i], normalize(raw), atol=1e-6)
    assert not data[0, ..., 1].any() and data[1, ..., 1].any()  # M = 1 padded with an empty person
    val, names, labels = load_pyskl(path, "xsub_val")
    assert val.shape == (1, 3, 300, 25, 2) and labels == [1]
    np.testing.assert_allclose(val[0, :, 40:80], val[0, :, :40], atol=1e-6)  # T < 300: repeated
    with pytest.raises(ValueError, match=r"no split 'xview_train'; available: \['xsub_train', 'xsub_val'\]"):
        load_pyskl(path, "xview_train")
