"""The registry is the one home of a dataset: an entry added to it alone is prepared, split, labelled, named and
configured through the public functions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sttr.__main__ import main
from sttr.data.formats import load_agcn, read_label_names
from sttr.data.names import action_names
from sttr.data.ntu import format_skeleton
from sttr.data.prepare import prepare_ntu
from sttr.data.registry import REGISTRY, Dataset, dataset, split_files
from sttr.experiment import load_profile

NAME = "ntu60-daily"  # NTU-60's first ten actions, X-View only
TRAIN = ["S001C002P001R002A002", "S002C003P003R001A010"]  # cameras 2 and 3
VAL = ["S001C001P001R001A001", "S003C001P004R001A005"]
MISSING = "S001C002P005R002A008"  # on NTU-60's missing-skeleton list
NOT_KEPT = ["S001C001P001R001A011", "S018C001P001R001A001"]  # action 11; setup 18


@pytest.fixture
def daily(monkeypatch) -> Dataset:
    """A copy of the NTU-60 entry under a new name that keeps ten classes and one benchmark, added to the registry."""
    ntu60 = dataset("ntu60")
    entry = dataclasses.replace(
        ntu60, name=NAME, title="NTU RGB+D 60 daily actions A1-A10", classes=10,
        benchmarks={"xview": ntu60.benchmarks["xview"]}, label_names=tuple(action_names(60)[:10]),
        keep=lambda s: s.action <= 10 and s.setup <= 17,
    )  # fmt: skip
    monkeypatch.setitem(REGISTRY, NAME, entry)
    return entry


@pytest.fixture
def raw(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    folder = tmp_path / "raw"
    folder.mkdir()
    for name in TRAIN + VAL + [MISSING] + NOT_KEPT:
        joints = rng.normal(size=(25, 3)) * 0.3 + np.array([0, 0, 3.0])
        (folder / f"{name}.skeleton").write_text(format_skeleton([[joints + 0.01 * t] for t in range(12)]))
    return folder


def test_an_entry_added_to_the_registry_alone_is_a_dataset(daily, raw, tmp_path):
    entry = dataset(NAME)
    assert entry.layout == "ntu" and entry.ntu_format and entry.title.startswith("NTU RGB+D 60 daily")
    assert entry.class_names() == action_names(60)[:10]
    assert entry.missing_skeletons() == dataset("ntu60").missing_skeletons()
    assert entry.label_of("S001C001P001R001A010") == 9 and not entry.in_dataset("S001C001P001R001A011")

    report = entry.prepare(raw, tmp_path / "out", "xview", False)  # the prepare job the companion runs
    assert report["dataset"] == NAME and report["num_classes"] == 10 and report["counts"] == {
        "xview": {"train": 2, "val": 2}
    }
    assert report["excluded_missing_skeletons"] == [MISSING] and report["excluded_not_in_dataset"] == 2
    split_dir = entry.split_dir(tmp_path / "out", "xview")
    for split, names in (("train", TRAIN), ("val", VAL)):
        data, kept, labels = load_agcn(*split_files(split_dir, split))
        assert kept == sorted(names) and labels == [int(n[-3:]) - 1 for n in kept] and data.shape[0] == 2
    assert read_label_names(split_dir) == action_names(60)[:10]
    with pytest.raises(ValueError, match=r"unknown benchmark 'xsub' for dataset 'ntu60-daily'; expected .*\['xview'\]"):
        prepare_ntu(raw, tmp_path / "other", dataset=NAME, benchmarks=["xsub"])

    cli = tmp_path / "cli"  # prepare-ntu offers the new dataset and writes the same bytes
    assert main(["prepare-ntu", str(raw), str(cli), "--dataset", NAME, "--benchmark", "xview", "--workers", "1",
                 "--no-progress"]) == 0  # fmt: skip
    for split in ("train", "val"):
        for a, b in zip(split_files(split_dir, split), split_files(cli / "xview", split)):
            assert a.read_bytes() == b.read_bytes()

    folder = tmp_path / "configs" / "daily"
    folder.mkdir(parents=True)
    (folder / "profile.yaml").write_text(f"dataset: {NAME}\nbenchmark: xview\nraw_dir: r\nprepared_dir: p\nruns_dir: o")
    model = load_profile("daily", tmp_path / "configs").experiment_dict("spatial", {})["model"]
    assert model["num_classes"] == 10 and model["graph"] == "ntu"


def test_an_entry_must_be_consistent():
    with pytest.raises(ValueError, match="dataset 'ntu60': 60 class names for 10 classes"):
        dataclasses.replace(dataset("ntu60"), classes=10)
    with pytest.raises(ValueError, match="an NTU-format dataset needs keep, label and benchmarks"):
        dataclasses.replace(dataset("ntu60"), benchmarks={})
