"""The checkpoint contract: atomic saves, and one reader that checks format and version on every path."""

from __future__ import annotations

import pytest
import torch

from sttr.checkpoint import FORMAT, CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint, training_payload
from sttr.models import ModelConfig, build_model


def _payload(version: int = 1) -> dict:
    cfg = ModelConfig.small("stgcn", num_classes=3)
    payload = training_payload(
        model_config=cfg, model_state=build_model(cfg).state_dict(), training_state={"epoch": 2},
        experiment={}, class_names=["a", "b", "c"], modality="joint", window=16, resample=True,
    )  # fmt: skip
    return {**payload, "version": version}


def test_save_is_atomic_and_reads_back(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint(path, _payload())
    loaded = load_checkpoint(path)
    assert loaded.kind == "sttr" and loaded.class_names == ["a", "b", "c"] and loaded.window == 16
    assert read_checkpoint(path)["format"] == FORMAT and read_checkpoint(path)["epoch"] == 2

    def broken_save(obj, f):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, _payload())
    monkeypatch.undo()
    assert read_checkpoint(path)["epoch"] == 2 and [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_every_reader_checks_the_version(tmp_path):
    path = tmp_path / "future.pt"
    torch.save(_payload(version=2), path)
    with pytest.raises(CheckpointError, match="future.pt: checkpoint version 2, this sttr reads 1"):
        read_checkpoint(path)
    with pytest.raises(CheckpointError, match="future.pt: checkpoint version 2, this sttr reads 1"):
        load_checkpoint(path)
    torch.save({"model_state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="other.pt: not an sttr checkpoint"):
        read_checkpoint(tmp_path / "other.pt")
