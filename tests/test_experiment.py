"""Experiment configs and profiles: every YAML loads, overrides, and validation against the data before training."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from sttr.experiment import (
    STREAMS,
    ConfigError,
    DataConfig,
    ExperimentConfig,
    TrainConfig,
    list_profiles,
    load_config,
    load_profile,
    validate,
)
from sttr.models import ModelConfig, build_model

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*/*.yaml"))
STREAM_CONFIGS = [p for p in CONFIGS if p.name != "profile.yaml"]
PROFILES = ["mini", "smoke", "ntu60-xsub", "ntu60-xview", "ntu120-xsub", "ntu120-xset", "kinetics", "kinetics-synth"]
KINETICS_PROFILES = ("kinetics", "kinetics-synth")


def write_split(
    folder: Path, n: int = 6, frames: int = 8, classes: int = 3, channels: int = 3, persons: int = 2, joints: int = 25
) -> Path:
    """A minimal prepared split (zeros) with labels 0..classes-1."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val"):
        np.save(folder / f"{split}_data_joint.npy", np.zeros((n, channels, frames, joints, persons), np.float32))
        labels = [i % classes for i in range(n)]
        with open(folder / f"{split}_label.pkl", "wb") as f:
            pickle.dump(([f"s{i}" for i in range(n)], labels), f)
    return folder


def config_dict(data_dir: Path, **model: object) -> dict:
    return {
        "name": "t",
        "out_dir": "runs/t",
        "data": {"dir": str(data_dir), "modality": "joint"},
        "model": {"preset": "small", "stream": "spatial", "num_classes": 3, **model},
        "train": {"epochs": 1},
    }


def test_configs_folder_has_every_profile_and_stream():
    assert sorted(list_profiles()) == sorted(PROFILES)
    for name in PROFILES:
        profile = load_profile(name)
        for stream in STREAMS:
            for bones in (False, True):
                assert profile.config_path(stream, bones).is_file()


@pytest.mark.parametrize("path", STREAM_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_config_loads_and_fits_its_profile(path):
    cfg = load_config(path)
    profile = load_profile(path.parent.name)
    assert Path(cfg.data.dir) == profile.split_dir == profile.prepared_dir / profile.benchmark
    assert Path(cfg.out_dir).parent == profile.runs_dir
    stem = path.stem.removesuffix("_relative")  # temporal_relative.yaml: T-TR with relative positions (notebook 08)
    bones = stem.endswith("_bones")
    assert cfg.model.stream == stem.removesuffix("_bones")
    assert cfg.model.relative == path.stem.endswith("_relative")
    assert cfg.model.in_channels == cfg.data.channels == (6 if bones else 3)
    from sttr.data.registry import dataset

    assert cfg.model.num_classes == dataset(profile.dataset).classes
    assert cfg.model.graph == ("kinetics" if profile.name in KINETICS_PROFILES else "ntu")
    if profile.dataset in ("ntu60", "ntu120"):
        assert cfg.model == ModelConfig.paper(cfg.model.stream, bones=bones, num_classes=cfg.model.num_classes)
        assert cfg.train == TrainConfig()  # the paper's recipe is the default
        assert cfg.data.eval_window == cfg.data.window is None
    if profile.name in KINETICS_PROFILES:  # the authors' Kinetics feeder: random 150 of 300 frames, moved; test on all
        d = cfg.data
        assert (d.window, d.resample, d.random_choose, d.random_move, d.random_shift) == (150, False, True, True, False)
        assert (d.window_scope, d.eval_window, d.eval_resample) == ("train", None, False)
        assert cfg.model.dropout == 0.0 and profile.paper_top1("fused") is None  # the paper has no Kinetics numbers
    if profile.dataset == "kinetics":  # their config/st_gcn/kinetics-skeleton/train.yaml
        assert cfg.model == ModelConfig.kinetics(cfg.model.stream, bones=bones)
        assert cfg.train == TrainConfig(epochs=65, milestones=(45, 55), batch_size=64)
    assert ExperimentConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("profile", ["smoke", "mini", "kinetics-synth"])
def test_cpu_profile_models_run(profile):
    torch.manual_seed(0)
    for stream in STREAMS:
        cfg = load_config(load_profile(profile).config_path(stream, bones=True))
        frames = 16 if profile == "kinetics-synth" else cfg.data.window
        x = torch.randn(2, cfg.model.in_channels, frames, cfg.model.num_joints, 2)  # (N, C, T, V, M)
        with torch.no_grad():
            assert build_model(cfg.model).eval()(x).shape == (2, cfg.model.num_classes)


def test_profiles_hold_paper_numbers_and_paths(monkeypatch):
    p = load_profile("ntu60-xsub")
    assert (p.dataset, p.benchmark) == ("ntu60", "xsub")
    assert p.paper_top1("spatial") == 86.4 and p.paper_top1("temporal", bones=True) == 87.3
    assert p.paper_top1("fused") == 88.7 and p.paper_top1("stgcn", bones=True) is None
    assert load_profile("ntu120-xset").paper_top1("fused") == 84.1
    assert p.raw_dir == ROOT / "data/ntu/nturgb+d_skeletons"
    monkeypatch.setenv("STTR_NTU_RAW", "/elsewhere/skeletons")
    assert load_profile("ntu60-xsub").raw_dir == Path("/elsewhere/skeletons")
    mini = load_profile("mini")
    assert mini.dataset == "synthetic" and mini.synth is not None and mini.raw_dir == ROOT / "data/mini/raw"
    with pytest.raises(ConfigError, match="nope"):
        load_profile("nope")
    kinetics = load_profile("kinetics")
    assert kinetics.split_dir == kinetics.prepared_dir == ROOT / "data/kinetics"  # prepare-kinetics: no benchmark
    assert kinetics.raw_dir == ROOT / "data/kinetics-skeleton" and kinetics.paper_top1("spatial") is None
    monkeypatch.setenv("STTR_KINETICS_RAW", "/elsewhere/kinetics-skeleton")
    assert load_profile("kinetics").raw_dir == Path("/elsewhere/kinetics-skeleton")
    assert load_profile("kinetics-synth").raw_dir == ROOT / "data/kinetics-synth/raw"  # synthetic: its own


def test_a_kinetics_profile_has_no_benchmark(tmp_path):
    folder = tmp_path / "configs" / "k"
    folder.mkdir(parents=True)
    text = "dataset: kinetics\nbenchmark: xsub\nraw_dir: r\nprepared_dir: p\nruns_dir: o\n"
    (folder / "profile.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"profile.yaml: benchmark: Kinetics-skeleton .*has one train/val split"):
        load_profile("k", tmp_path / "configs")


def test_overrides_and_unknown_keys(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config_dict(tmp_path / "d")))
    cfg = load_config(path, ["train.epochs=2", "train.milestones=[1]", "model.dropout=0.2", "train.amp=bf16"])
    assert (cfg.train.epochs, cfg.train.milestones, cfg.model.dropout, cfg.train.amp) == (2, (1,), 0.2, "bf16")
    assert Path(cfg.out_dir) == ROOT / "runs/t"  # relative paths are taken from the repository root
    with pytest.raises(ConfigError, match="train.epoch"):
        load_config(path, ["train.epoch=2"])
    bad = config_dict(tmp_path / "d")
    bad["train"]["learning_rate"] = 0.1
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match=r"exp\.yaml.*train\.learning_rate"):
        load_config(path)
    bad = config_dict(tmp_path / "d", depth=3)
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match="depth"):
        load_config(path)
    with pytest.raises(ConfigError, match="train.amp"):
        TrainConfig(amp="fp32")
    with pytest.raises(ConfigError, match="train.milestones"):
        TrainConfig(milestones=(90, 60))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_validate_accepts_matching_data(tmp_path):
    cfg = ExperimentConfig.from_dict(config_dict(write_split(tmp_path / "d")))
    validate(cfg)


@pytest.mark.parametrize(
    "case, pattern",
    [
        ("missing_dir", "does not exist"),
        ("missing_file", "lacks val_label.pkl"),
        ("bones_model_on_joints", r"gives 3 input channels.*in_channels=6"),
        ("too_few_classes", r"largest label 2.*num_classes=2"),
        ("one_person_data", r"1 persons but model.num_persons=2"),
        ("label_count", "names and"),
        ("class_names", "class names for labels up to 2"),
        ("kinetics_model_on_ntu_data", r"25 joints \(NTU RGB\+D.*model.graph='kinetics' has 18 joints"),
        ("ntu_model_on_kinetics_data", r"18 joints \(Kinetics-skeleton.*model.graph='ntu' has 25 joints"),
        ("coco_joints", r"expected 25 joints .* or 18 joints .*, found 17"),
    ],
)
def test_validate_names_the_mismatch(tmp_path, case, pattern):
    joints = {"ntu_model_on_kinetics_data": 18, "coco_joints": 17}.get(case, 25)
    data = write_split(tmp_path / "d", persons=1 if case == "one_person_data" else 2, joints=joints)
    d = config_dict(data)
    if case == "kinetics_model_on_ntu_data":
        d["model"]["graph"] = "kinetics"
    if case == "missing_dir":
        d["data"]["dir"] = str(tmp_path / "absent")
    elif case == "missing_file":
        (data / "val_label.pkl").unlink()
    elif case == "bones_model_on_joints":
        d["model"]["bones"] = True
    elif case == "too_few_classes":
        d["model"]["num_classes"] = 2
    elif case == "label_count":
        with open(data / "train_label.pkl", "wb") as f:
            pickle.dump((["a"], [0]), f)
    elif case == "class_names":
        (data / "label_names.json").write_text(json.dumps(["a", "b"]))
    with pytest.raises(ConfigError, match=pattern):
        validate(ExperimentConfig.from_dict(d))


def test_overridden_widths_keep_attention_in_the_wider_units():
    """A YAML that narrows the widths still puts SSA/TSA in units 3..8 (attention_from follows widths[1])."""
    from sttr.experiment import model_config_from_section

    cfg = model_config_from_section({"preset": "small", "stream": "spatial", "widths": [8, 16, 16], "heads": 2})
    assert cfg.attention_from == 16
    assert [attention for *_, attention in cfg.units()] == [False] * 3 + [True] * 6


def test_synthetic_profiles_have_as_many_classes_as_the_synthetic_set():
    from sttr.data.synthetic import SYNTHETIC_ACTIONS
    from sttr.experiment import STREAMS, load_config, load_profile

    for name in ("mini", "smoke", "kinetics-synth"):
        profile = load_profile(name)
        for stream in STREAMS:
            for bones in (False, True):
                cfg = load_config(profile.config_path(stream, bones))
                assert cfg.model.num_classes == len(SYNTHETIC_ACTIONS)


def test_window_scope_says_where_the_window_applies(tmp_path):
    everywhere = DataConfig(dir="d", window=64, resample=True)
    assert (everywhere.window_scope, everywhere.eval_window, everywhere.eval_resample) == ("all", 64, True)
    training = DataConfig(dir="d", window=150, random_choose=True, window_scope="train")
    assert (training.eval_window, training.eval_resample) == (None, False)
    with pytest.raises(ConfigError, match=r"data.window_scope: expected one of \['all', 'train'\], got 'val'"):
        DataConfig(dir="d", window=150, window_scope="val")
    with pytest.raises(ConfigError, match="data.window_scope: 'train' needs data.window"):
        DataConfig(dir="d", window_scope="train")
    d = config_dict(write_split(tmp_path / "k", frames=300, joints=18), graph="kinetics")
    d["data"].update(window=150, window_scope="train", random_choose=True, random_move=True)
    cfg = ExperimentConfig.from_dict(d)
    validate(cfg)  # an 18-joint split for a model of the Kinetics graph
    assert ExperimentConfig.from_dict(cfg.to_dict()).data == cfg.data
