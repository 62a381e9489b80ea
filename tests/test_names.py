"""NTU sample names, the four benchmarks, dataset membership, labels, action names and missing lists (the
datasets' facts: their registry entries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sttr.data import names
from sttr.data.names import SampleName, action_names, parse_name
from sttr.data.registry import REGISTRY, dataset, split_files


def test_parse_name_fields_and_errors():
    s = parse_name("/data/raw/S017C003P020R001A060.skeleton")
    assert s == SampleName(setup=17, camera=3, performer=20, replication=1, action=60)
    assert s.name == "S017C003P020R001A060"
    assert parse_name("S001C001P001R001A001") == SampleName(1, 1, 1, 1, 1)
    for bad in ("S001C002P003R002A13.skeleton", "foo.txt", "S001C004P003R002A013", "S001C001P001R003A001"):
        with pytest.raises(ValueError, match="not an NTU sample name"):
            parse_name(bad)


def test_four_benchmarks_training_sets():
    ntu60, ntu120 = dataset("ntu60"), dataset("ntu120")
    assert ntu60.is_training("S001C001P001R001A001", "xsub")
    assert not ntu60.is_training("S001C001P003R001A001", "xsub")
    assert ntu60.is_training("S001C002P003R001A001", "xview")
    assert ntu60.is_training("S001C003P003R001A001", "xview")
    assert not ntu60.is_training("S001C001P001R001A001", "xview")
    assert ntu120.is_training("S018C001P045R001A100", "xsub")
    assert ntu120.is_training("S018C001P038R001A100", "xsub")
    assert not ntu120.is_training("S018C001P044R001A100", "xsub")
    assert ntu120.is_training("S018C001P044R001A100", "xset")
    assert not ntu120.is_training("S017C001P044R001A100", "xset")
    assert len(names.XSUB60_TRAIN_PERFORMERS) == 20 and len(names.XSUB120_TRAIN_PERFORMERS) == 53
    with pytest.raises(ValueError, match=r"unknown benchmark 'xset' for dataset 'ntu60'; expected one of \['xsub'"):
        ntu60.is_training("S001C001P001R001A001", "xset")
    for name, bench in [("ntu60", "xsub"), ("ntu60", "xview"), ("ntu120", "xsub"), ("ntu120", "xset")]:
        assert bench in dataset(name).benchmarks and dataset(name).benchmark(bench).rule.startswith("train on")
    assert ntu60.benchmarks["xsub"].rule == "train on performers 1 2 4 5 8 9 13 14 15 16 17 18 19 25 27 28 31 34 35 38"


def test_dataset_membership_and_labels():
    ntu60 = dataset("ntu60")
    assert ntu60.in_dataset("S017C001P001R001A060")
    assert not ntu60.in_dataset("S018C001P001R001A001")
    assert not ntu60.in_dataset("S001C001P001R001A061")
    assert dataset("ntu120").in_dataset("S032C001P001R001A120")
    assert ntu60.label_of("S001C001P001R001A013") == 12
    with pytest.raises(ValueError, match="not part of dataset 'ntu60'"):
        ntu60.label_of("S001C001P001R001A061")


def test_synthetic_dataset_labels_follow_synthetic_actions():
    actions = names.SYNTHETIC_ACTIONS
    name = "S001C001P001R001A%03d" % actions[-1]
    synthetic = dataset("synthetic")
    assert synthetic.label_of(name) == len(actions) - 1
    assert synthetic.is_training(name, "xsub") and not synthetic.is_training(name, "xview")
    assert synthetic.class_names()[0] == action_names(120)[actions[0] - 1]
    assert synthetic.missing_skeletons() == frozenset()


def test_action_names_and_missing_lists():
    names = action_names(120)
    assert len(names) == 120 and names[0] == "drink water" and len(action_names(60)) == 60
    assert dataset("ntu60").class_names() == names[:60]
    with pytest.raises(ValueError, match="60 or 120"):
        action_names(100)
    ntu60, ntu120 = dataset("ntu60").missing_skeletons(), dataset("ntu120").missing_skeletons()
    assert len(ntu60) == 302 and len(ntu120) == 535
    assert "S001C002P005R002A008" in ntu60


def test_kinetics_datasets():
    assert dataset("ntu120").layout == dataset("synthetic").layout == "ntu"
    assert dataset("kinetics").layout == dataset("synthetic-kinetics").layout == "kinetics"
    assert dataset("kinetics").classes == 400 and dataset("synthetic-kinetics").classes == 14
    assert dataset("synthetic-kinetics").class_names() == dataset("synthetic").class_names()
    with pytest.raises(ValueError, match="class names of Kinetics-skeleton .*come with the data.*label_names.json"):
        dataset("kinetics").class_names()
    with pytest.raises(ValueError, match=r"dataset 'kinetics' has no NTU sample names.*\['ntu60', 'ntu120'"):
        dataset("kinetics").missing_skeletons()  # NTU sample names only
    with pytest.raises(ValueError, match="dataset 'synthetic-kinetics' has no NTU sample names"):
        dataset("synthetic-kinetics").label_of("S001C001P001R001A008")
    with pytest.raises(ValueError, match="unknown dataset 'kinetics400'"):
        dataset("kinetics400")
    assert all(entry.title for entry in REGISTRY.values())
    assert "not Kinetics" in dataset("synthetic-kinetics").title


def test_the_registry_holds_one_entry_per_dataset():
    assert list(REGISTRY) == ["ntu60", "ntu120", "synthetic", "kinetics", "synthetic-kinetics"]
    for name, entry in REGISTRY.items():
        assert entry.name == name and entry.layout in ("ntu", "kinetics")
        assert entry.label_names is None or len(entry.class_names()) == entry.classes
        assert entry.ntu_format == bool(entry.benchmarks) == (entry.layout == "ntu")
        assert entry.synthetic == name.startswith("synthetic") and (entry.raw_env is None) == entry.synthetic
    assert dataset("kinetics").split_dir("data/kinetics", "") == Path("data/kinetics")
    assert dataset("ntu120").split_dir("data/ntu120", "xset") == Path("data/ntu120/xset")
    assert split_files("d", "val") == (Path("d/val_data_joint.npy"), Path("d/val_label.pkl"))
    assert split_files("d", "train", "bone")[0] == Path("d/train_data_bone.npy")
    with pytest.raises(ValueError, match=r"unknown dataset 'ntu90'; expected one of \['ntu60'"):
        dataset("ntu90")
