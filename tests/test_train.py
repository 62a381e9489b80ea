"""Trainer: a tiny run learns, exact resume, crash-safe checkpoints, NaN stop, gloo DDP gathers every score once."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from sttr.checkpoint import FORMAT, read_checkpoint
from sttr.evaluation.scores import load_scores
from sttr.experiment import ConfigError, ExperimentConfig, TrainConfig
from sttr.data.dataset import make_loader
from sttr.evaluation.inference import infer
from sttr.models import build_model
from sttr.train import (
    PadToBatch,
    TrainingDiverged,
    build_datasets,
    configure_device,
    lr_factor,
    restore_scaler,
    train,
)

ROOT = Path(__file__).resolve().parents[1]
NUM_CLASSES = 4


def make_split(folder: Path, n_train: int = 48, n_val: int = 24, frames: int = 16, seed: int = 0) -> Path:
    """A prepared split whose classes differ by motion: class c moves person 0 along axis c % 3 at frequency 1 + c // 3."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(frames) / frames
    for split, n in (("train", n_train), ("val", n_val)):
        labels = np.arange(n) % NUM_CLASSES
        rng.shuffle(labels)
        x = 0.1 * rng.standard_normal((n, 3, frames, 25, 2)).astype(np.float32)  # (N, C, T, V, M)
        x[..., 1] = 0.0  # a single performer: the second body is all zeros, as in most NTU samples
        for i, c in enumerate(labels):
            phase = rng.uniform(0, 2 * np.pi)
            x[i, c % 3, :, :, 0] += np.sin(2 * np.pi * (1 + c // 3) * t + phase)[:, None]
        names = [f"S001C001P{i % 40 + 1:03d}R001A{int(c) + 1:03d}_{split}{i}" for i, c in enumerate(labels)]
        np.save(folder / f"{split}_data_joint.npy", x)
        with open(folder / f"{split}_label.pkl", "wb") as f:
            pickle.dump((names, [int(c) for c in labels]), f)
    return folder


def tiny_config(data_dir: Path, out_dir: Path, **train: object) -> dict:
    """A config dict for a tiny S-TR (widths 8/16/16, 2 heads) on ``data_dir``."""
    return {
        "name": "tiny",
        "out_dir": str(out_dir),
        "data": {"dir": str(data_dir), "modality": "joint"},
        "model": {"preset": "small", "stream": "spatial", "num_classes": NUM_CLASSES, "widths": [8, 16, 16], "heads": 2},
        "train": {"epochs": 2, "batch_size": 8, "lr": 0.05, "milestones": [3], "seed": 3, "device": "cpu", **train},
    }


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def split_dir(tmp_path_factory) -> Path:
    return make_split(tmp_path_factory.mktemp("split"))


def test_tiny_run_learns_and_writes_outputs(split_dir, tmp_path):
    d = tiny_config(split_dir, tmp_path / "run", epochs=6, milestones=[5])
    d["model"]["dropout"] = 0.1
    result = train(ExperimentConfig.from_dict(d), progress=False)
    rows = [json.loads(line) for line in result.metrics_path.read_text().splitlines()]
    assert [r["epoch"] for r in rows] == list(range(1, 7))
    assert {"train_loss", "top1", "top5", "lr", "seconds", "val_loss"} <= set(rows[0])
    assert rows[-1]["train_loss"] < 0.7 * rows[0]["train_loss"]
    assert result.best_top1 > 1 / NUM_CLASSES + 0.25  # well above chance (25 %)
    assert rows[-1]["lr"] == pytest.approx(0.05 * 0.1)  # step schedule: x0.1 from epoch 5 on (6th epoch)
    ckpt = torch.load(result.last_checkpoint, weights_only=True)
    assert ckpt["format"] == FORMAT and ckpt["version"] == 1 and ckpt["epoch"] == 6
    for key in ("model_state_dict", "optimizer_state_dict", "scheduler_state_dict", "scaler_state_dict", "rng"):
        assert key in ckpt
    assert ckpt["experiment"]["train"]["epochs"] == 6 and ckpt["modality"] == "joint"
    assert len(ckpt["class_names"]) == NUM_CLASSES
    best = read_checkpoint(result.best_checkpoint)
    assert best["epoch"] == result.best_epoch and best["best_top1"] == result.best_top1
    scores = load_scores(result.scores_path)
    assert scores.scores.shape == (24, NUM_CLASSES) and len(set(scores.names)) == 24
    assert scores.top1() == pytest.approx(result.best_top1)


def test_schedules_warmup_and_threads():
    step = TrainConfig(epochs=5, milestones=(2, 4), gamma=0.1)
    assert [lr_factor(e, step) for e in range(5)] == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])
    cosine = TrainConfig(epochs=5, schedule="cosine", warmup_epochs=1, milestones=())
    expected = [0.5, 1.0, 0.5 * (1 + np.cos(np.pi / 4)), 0.5, 0.5 * (1 + np.cos(3 * np.pi / 4))]
    assert [lr_factor(e, cosine) for e in range(5)] == pytest.approx(expected)
    for bad, field in (({"schedule": "linear"}, "train.schedule"), ({"warmup_epochs": 5}, "train.warmup_epochs"),
                       ({"threads": 0}, "train.threads")):  # fmt: skip
        with pytest.raises(ConfigError, match=field):
            TrainConfig(epochs=5, **bad)


def test_last_and_best_epoch_scores(split_dir, tmp_path):
    d = tiny_config(split_dir, tmp_path / "run", epochs=3, schedule="cosine", milestones=[], eval_every=2, threads=2)
    result = train(ExperimentConfig.from_dict(d), progress=False)
    rows = [json.loads(line) for line in result.metrics_path.read_text().splitlines()]
    assert ["top1" in r for r in rows] == [False, True, True]  # every 2nd epoch, and the last
    assert torch.get_num_threads() == 2  # train.threads is applied (the autouse fixture set 1)
    last, best = load_scores(result.last_scores_path), load_scores(result.scores_path)
    assert last.top1() == pytest.approx(rows[-1]["top1"]) and best.top1() == pytest.approx(result.best_top1)
    assert (last.names == best.names).all()


def test_resume_continues_bit_for_bit(split_dir, tmp_path):
    straight = train(ExperimentConfig.from_dict(tiny_config(split_dir, tmp_path / "a", epochs=4)), progress=False)
    part = ExperimentConfig.from_dict(tiny_config(split_dir, tmp_path / "b", epochs=2))
    train(part, progress=False)
    resumed = train(part, overrides=["train.epochs=4"], progress=False, resume=True)
    a = torch.load(straight.last_checkpoint, weights_only=True)
    b = torch.load(resumed.last_checkpoint, weights_only=True)
    assert b["epoch"] == 4
    assert a["model_state_dict"].keys() == b["model_state_dict"].keys()
    for key, value in a["model_state_dict"].items():
        assert torch.equal(value, b["model_state_dict"][key]), key
    for key, state in a["optimizer_state_dict"]["state"].items():  # SGD momentum buffers
        assert torch.equal(state["momentum_buffer"], b["optimizer_state_dict"]["state"][key]["momentum_buffer"])
    for key in ("epoch", "best_top1", "best_epoch"):
        assert a[key] == b[key]
    assert _metrics_without_time(straight.metrics_path) == _metrics_without_time(resumed.metrics_path)


def _metrics_without_time(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_crash_while_saving_keeps_previous_checkpoint(split_dir, tmp_path, monkeypatch):
    cfg = ExperimentConfig.from_dict(tiny_config(split_dir, tmp_path / "run", epochs=1))
    result = train(cfg, progress=False)
    real_save = torch.save

    def broken_save(obj, f, *args, **kwargs):
        with open(f, "wb") as fh:  # half a file, then the "power cut"
            fh.write(b"PK\x03\x04 partial")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="simulated"):
        train(cfg, overrides=["train.epochs=2"], progress=False, resume=True)
    monkeypatch.setattr(torch, "save", real_save)
    ckpt = read_checkpoint(result.last_checkpoint)
    assert ckpt["epoch"] == 1
    assert not list(result.out_dir.glob("*.partial"))


def test_nan_loss_stops_with_clear_error(tmp_path):
    split = make_split(tmp_path / "split", n_train=16, n_val=8)
    x = np.load(split / "train_data_joint.npy")
    x[:, 0, 3] = np.nan
    np.save(split / "train_data_joint.npy", x)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 1.*lower train\.lr"):
        train(ExperimentConfig.from_dict(tiny_config(split, tmp_path / "run")), progress=False)


def test_two_gloo_processes_gather_each_score_once(tmp_path):
    split = make_split(tmp_path / "split", n_train=12, n_val=7)  # 7 is not divisible by 2 ranks x batch 2
    d = tiny_config(split, tmp_path / "run", epochs=1, batch_size=2)
    config = tmp_path / "ddp.yaml"
    config.write_text(yaml.safe_dump(d))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd += ["-m", "sttr", "train", "--config", str(config), "--no-progress"]
    proc = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["val_samples"] == 7
    scores = load_scores(tmp_path / "run" / "scores_best.npz")
    with open(split / "val_label.pkl", "rb") as f:
        names, labels = pickle.load(f)
    assert list(scores.names) == names and list(scores.labels) == labels
    assert np.allclose(scores.scores.sum(axis=1), 1.0, atol=1e-5)
    ckpt = read_checkpoint(tmp_path / "run" / "last.pt")
    assert ckpt["world_size"] == 2 and len(ckpt["rng_per_rank"]) == 2
    assert not any(k.startswith("module.") for k in ckpt["model_state_dict"])


def test_cli_help_explains_every_option():
    proc = subprocess.run(
        [sys.executable, "-m", "sttr", "train", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    for option in ("--config", "--resume", "--no-progress", "KEY=VALUE"):
        assert option in proc.stdout


def test_cli_reports_config_errors(split_dir, tmp_path):
    config = tmp_path / "bad.yaml"
    d = tiny_config(split_dir, tmp_path / "run")
    d["model"]["bones"] = True  # a 6-channel model on 3-channel joint data
    config.write_text(yaml.safe_dump(d))
    proc = subprocess.run(
        [sys.executable, "-m", "sttr", "train", "--config", str(config), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "in_channels=6" in proc.stderr and "bad.yaml" in proc.stderr


def test_loss_every_n_steps_trains_the_same_weights(split_dir, tmp_path):
    """The loss reaches the CPU every ``train.loss_every`` steps: same weights and losses as every step."""
    every = train(ExperimentConfig.from_dict(tiny_config(split_dir, tmp_path / "a", loss_every=1)), progress=False)
    batched = train(ExperimentConfig.from_dict(tiny_config(split_dir, tmp_path / "b", loss_every=4)), progress=False)
    a = torch.load(every.last_checkpoint, weights_only=True)["model_state_dict"]
    b = torch.load(batched.last_checkpoint, weights_only=True)["model_state_dict"]
    for key, value in a.items():
        assert torch.equal(value, b[key]), key
    assert _metrics_without_time(every.metrics_path) == _metrics_without_time(batched.metrics_path)


def test_a_diverged_step_is_named_when_the_loss_reaches_the_cpu_later(tmp_path):
    """One NaN sample, found in the 4th batch of the seeded order: the error names that step, not the flush's."""
    split = make_split(tmp_path / "split", n_train=48, n_val=8)
    d = tiny_config(split, tmp_path / "run", loss_every=50)
    cfg = ExperimentConfig.from_dict(d)
    ds, _ = build_datasets(cfg)
    order = [int(i) for _, _, index in make_loader(ds, 8, shuffle=True, seed=cfg.train.seed * 1000) for i in index]
    x = np.load(split / "train_data_joint.npy")
    x[order[3 * 8 + 2], 0, 3] = np.nan
    np.save(split / "train_data_joint.npy", x)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 4;"):
        train(cfg, progress=False)


def test_compiled_training_sees_one_batch_size(split_dir, tmp_path, monkeypatch):
    """With train.compile the compiled model never meets a short last batch (no recompilation): training drops
    it, evaluation pads it; the padded evaluation scores the same as the eager model's."""
    shapes: dict[bool, set[int]] = {True: set(), False: set()}

    def record(module):
        def hook(mod, args):
            shapes[mod.training].add(args[0].shape[0])

        inner = getattr(module, "module", module)  # DDP or the model
        inner.register_forward_pre_hook(hook)
        return module

    monkeypatch.setattr(torch, "compile", record)
    d = tiny_config(split_dir, tmp_path / "c", epochs=1, batch_size=10)  # 48 training, 24 validation samples
    compiled = train(ExperimentConfig.from_dict(d), progress=False, overrides=["train.compile=true"])
    assert shapes == {True: {10}, False: {10}}
    cfg = ExperimentConfig.from_dict(d)
    model = build_model(cfg.model)
    model.load_state_dict(read_checkpoint(compiled.last_checkpoint)["model_state_dict"])
    _, val_ds = build_datasets(cfg)
    index, logits = infer(model, make_loader(val_ds, 7, shuffle=False, seed=0), torch.device("cpu"))
    scores = load_scores(compiled.last_scores_path)
    np.testing.assert_allclose(scores.scores, torch.softmax(torch.from_numpy(logits), 1).numpy(), atol=1e-5)


def test_pad_to_batch_is_exact_in_eval_mode():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.BatchNorm1d(12), torch.nn.Linear(12, 3)).eval()
    x = torch.randn(3, 3, 2, 2, 1)
    torch.testing.assert_close(PadToBatch(model, 8)(x), model(x))
    assert PadToBatch(model, 8)(torch.randn(8, 3, 2, 2, 1)).shape == (8, 3)


def test_cudnn_benchmark_is_set_on_cuda_only():
    before = torch.backends.cudnn.benchmark
    try:
        torch.backends.cudnn.benchmark = False
        configure_device(torch.device("cpu"))
        assert not torch.backends.cudnn.benchmark
        configure_device(torch.device("cuda"))
        assert torch.backends.cudnn.benchmark
    finally:
        torch.backends.cudnn.benchmark = before


def test_fp16_resume_from_a_checkpoint_without_scaler_state(tmp_path, caplog):
    """A bf16 or fp32 run saves an empty loss-scaler state; an fp16 run resuming from it starts a fresh scale."""
    saved = torch.amp.GradScaler("cpu", enabled=False).state_dict()
    assert saved == {}
    fp16 = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    with caplog.at_level("INFO", logger="sttr.train"):
        restore_scaler(fp16, saved, tmp_path / "last.pt")
    assert fp16.is_enabled() and "fresh scale" in caplog.text
    assert fp16.state_dict()["scale"] == 2.0**10
    earlier = torch.amp.GradScaler("cpu", init_scale=8.0)
    restore_scaler(fp16, earlier.state_dict(), tmp_path / "last.pt")
    assert fp16.state_dict()["scale"] == 8.0
    restore_scaler(torch.amp.GradScaler("cpu", enabled=False), earlier.state_dict(), tmp_path / "last.pt")


def test_sync_bn_across_cpu_processes_is_a_clear_error(split_dir, tmp_path):
    """torch's SyncBatchNorm synchronises on GPUs only: several CPU ranks with train.sync_bn stop before training."""
    from sttr.distributed import DistEnv
    from sttr.train import _train

    cfg = ExperimentConfig.from_dict(tiny_config(split_dir, tmp_path / "run", sync_bn=True))
    with pytest.raises(ConfigError, match="train.sync_bn needs CUDA"):
        _train(cfg, DistEnv(rank=0, world_size=2), torch.device("cpu"), progress=False, resume=False)
