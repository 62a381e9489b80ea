"""NTU sample names, the four benchmarks, dataset membership, labels, action names and missing lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from sttr.data import names
from sttr.data.names import (
    SampleName,
    action_names,
    class_names,
    is_training,
    missing_skeletons,
    parse_name,
)


def test_parse_name_fields_and_errors():
    s = parse_name("/data/raw/S017C003P020R001A060.skeleton")
    assert s == SampleName(setup=17, camera=3, performer=20, replication=1, action=60)
    assert s.name == "S017C003P020R001A060"
    assert parse_name("S001C001P001R001A001") == SampleName(1, 1, 1, 1, 1)
    for bad in ("S001C002P003R002A13.skeleton", "foo.txt", "S001C004P003R002A013", "S001C001P001R003A001"):
        with pytest.raises(ValueError, match="not an NTU sample name"):
            parse_name(bad)


def test_four_benchmarks_training_sets():
    assert is_training("S001C001P001R001A001", "ntu60", "xsub")
    assert not is_training("S001C001P003R001A001", "ntu60", "xsub")
    assert is_training("S001C002P003R001A001", "ntu60", "xview")
    assert is_training("S001C003P003R001A001", "ntu60", "xview")
    assert not is_training("S001C001P001R001A001", "ntu60", "xview")
    assert is_training("S018C001P045R001A100", "ntu120", "xsub")
    assert is_training("S018C001P038R001A100", "ntu120", "xsub")
    assert not is_training("S018C001P044R001A100", "ntu120", "xsub")
    assert is_training("S018C001P044R001A100", "ntu120", "xset")
    assert not is_training("S017C001P044R001A100", "ntu120", "xset")
    assert len(names.XSUB60_TRAIN_PERFORMERS) == 20 and len(names.XSUB120_TRAIN_PERFORMERS) == 53
    with pytest.raises(ValueError, match="unknown benchmark 'xset' for dataset 'ntu60'"):
        is_training("S001C001P001R001A001", "ntu60", "xset")
    for dataset, bench in [("ntu60", "xsub"), ("ntu60", "xview"), ("ntu120", "xsub"), ("ntu120", "xset")]:
        assert (dataset, bench) in names.BENCHMARKS


def test_dataset_membership_and_labels():
    assert names.in_dataset("S017C001P001R001A060", "ntu60")
    assert not names.in_dataset("S018C001P001R001A001", "ntu60")
    assert not names.in_dataset("S001C001P001R001A061", "ntu60")
    assert names.in_dataset("S032C001P001R001A120", "ntu120")
    assert names.label_of("S001C001P001R001A013", "ntu60") == 12
    with pytest.raises(ValueError, match="not part of dataset 'ntu60'"):
        names.label_of("S001C001P001R001A061", "ntu60")


def test_synthetic_dataset_labels_follow_synthetic_actions():
    actions = names.SYNTHETIC_ACTIONS
    name = "S001C001P001R001A%03d" % actions[-1]
    assert names.label_of(name, "synthetic") == len(actions) - 1
    assert is_training(name, "synthetic", "xsub") and not is_training(name, "synthetic", "xview")
    assert class_names("synthetic")[0] == action_names(120)[actions[0] - 1]
    assert missing_skeletons("synthetic") == frozenset()


def test_action_names_and_missing_lists():
    names = action_names(120)
    assert len(names) == 120 and names[0] == "drink water" and len(action_names(60)) == 60
    assert class_names("ntu60") == names[:60]
    with pytest.raises(ValueError, match="60 or 120"):
        action_names(100)
    assert len(missing_skeletons("ntu60")) == 302 and len(missing_skeletons("ntu120")) == 535
    assert "S001C002P005R002A008" in missing_skeletons("ntu60")


def test_kinetics_datasets():
    assert names.dataset_layout("ntu120") == names.dataset_layout("synthetic") == "ntu"
    assert names.dataset_layout("kinetics") == names.dataset_layout("synthetic-kinetics") == "kinetics"
    assert names.num_classes("kinetics") == 400 and names.num_classes("synthetic-kinetics") == 14
    assert class_names("synthetic-kinetics") == class_names("synthetic")
    with pytest.raises(ValueError, match="Kinetics-400 class names come with the data.*label_names.json"):
        class_names("kinetics")
    with pytest.raises(ValueError, match="unknown dataset 'kinetics'"):
        missing_skeletons("kinetics")  # NTU sample names only
    with pytest.raises(ValueError, match="unknown dataset 'kinetics400'"):
        names.dataset_layout("kinetics400")
    assert set(names.DATASET_TITLES) == set(names.DATASETS)
    assert "not Kinetics" in names.DATASET_TITLES["synthetic-kinetics"]


def test_the_registry_holds_one_entry_per_dataset():
    from sttr.data import names
    from sttr.data.registry import REGISTRY, dataset, split_files

    assert list(REGISTRY) == list(names.DATASETS)
    for name, entry in REGISTRY.items():
        assert entry.name == name and entry.title == names.DATASET_TITLES[name]
        assert entry.layout == names.dataset_layout(name) and entry.classes == names.num_classes(name)
        assert set(entry.benchmarks) == {b for d, b in names.BENCHMARKS if d == name}
        assert entry.synthetic == name.startswith("synthetic") and (entry.raw_env is None) == entry.synthetic
    assert dataset("kinetics").split_dir("data/kinetics", "") == Path("data/kinetics")
    assert dataset("ntu120").split_dir("data/ntu120", "xset") == Path("data/ntu120/xset")
    assert split_files("d", "val") == (Path("d/val_data_joint.npy"), Path("d/val_label.pkl"))
    assert split_files("d", "train", "bone")[0] == Path("d/train_data_bone.npy")
    with pytest.raises(ValueError, match=r"unknown dataset 'ntu90'; expected one of \['ntu60'"):
        dataset("ntu90")
