"""Evaluating our and the authors' checkpoints on a prepared split: scores, accuracies, the CLI."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from sttr.__main__ import main
from sttr.checkpoint import CheckpointError, load_checkpoint
from sttr.evaluation.inference import evaluate_checkpoint
from sttr.evaluation.metrics import topk_accuracy
from sttr.evaluation.scores import load_scores, softmax
from sttr.models import ModelConfig, build_model
from tests.score_fixtures import CLASSES


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """A tiny prepared split (6 samples, 3 classes, T = 60) and a small S-TR trained a few steps on it."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic scores, restored after the module
    root = tmp_path_factory.mktemp("split")
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 0.5, size=(6, 3, 60, 25, 2)).astype(np.float32)
    x[:, :, 45:] = 0.0  # a zero-padded tail, as prepared arrays have
    labels = [0, 1, 2, 0, 1, 2]
    names = [f"S001C001P{i + 1:03d}R001A{labels[i] + 1:03d}" for i in range(6)]
    np.save(root / "val_data_joint.npy", x)
    with open(root / "val_label.pkl", "wb") as f:
        pickle.dump((names, labels), f)
    (root / "label_names.json").write_text(json.dumps(CLASSES))
    cfg = ModelConfig.small("spatial", num_classes=3)
    model = build_model(cfg)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.tensor(labels)).backward()
        opt.step()
    model.eval()
    yield {"root": root, "x": x, "labels": labels, "names": names, "model": model, "cfg": cfg}
    torch.set_num_threads(threads)


def _ours(path, model, cfg, window=None, resample=False, modality="joint"):
    torch.save(
        {"format": "sttr-checkpoint", "version": 1, "model_config": cfg.to_dict(),
         "model_state_dict": model.state_dict(), "class_names": CLASSES, "modality": modality,
         "window": window, "resample": resample, "epoch": 2, "experiment": {}},
        path,
    )  # fmt: skip
    return path


def test_evaluate_our_checkpoint(split, tmp_path, capsys):
    ck = _ours(tmp_path / "best.pt", split["model"], split["cfg"])
    out = tmp_path / "scores.npz"
    result = evaluate_checkpoint(ck, split["root"], batch_size=4, progress=False, out=out)
    with torch.no_grad():
        expected = softmax(split["model"](torch.from_numpy(split["x"])))
    np.testing.assert_allclose(result.scores.scores, expected, atol=1e-5)
    assert result.scores.names.tolist() == split["names"] and result.scores.labels.tolist() == split["labels"]
    assert result.top1 == pytest.approx(topk_accuracy(expected, split["labels"], 1))
    assert result.scores.class_names == tuple(CLASSES)
    saved = load_scores(out)
    np.testing.assert_allclose(saved.scores, expected, atol=1e-5)
    assert main(["evaluate", "--checkpoint", str(ck), "--data", str(split["root"]), "--no-progress"]) == 0
    shown = capsys.readouterr().out
    assert f"top-1:      {100 * result.top1:.2f}%" in shown and "top-5" in shown


def test_evaluate_windowed_checkpoint_matches_predict(split, tmp_path):
    from sttr.predict import Predictor

    ck = _ours(tmp_path / "win.pt", split["model"], split["cfg"], window=16, resample=True)
    result = evaluate_checkpoint(ck, split["root"], batch_size=4, progress=False)
    predictor = Predictor(ck, progress=False)
    for i in range(2):
        (p,) = predictor.predict(split["x"][i])
        np.testing.assert_allclose(p.scores, result.scores.scores[i], atol=1e-5)
        assert "16" in p.note  # the window rule is said


@pytest.mark.parametrize("wrap", ["module_model_state_dict", "bare"])
def test_evaluate_authors_checkpoint(split, tmp_path, wrap):
    sd = split["model"].state_dict()
    obj = {"model_state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 80, "best_epoch": 70} \
        if wrap != "bare" else dict(sd)
    torch.save(obj, tmp_path / "ntu_spatial.pt")
    result = evaluate_checkpoint(tmp_path / "ntu_spatial.pt", split["root"], batch_size=6, progress=False)
    with torch.no_grad():
        expected = softmax(split["model"](torch.from_numpy(split["x"])))
    np.testing.assert_allclose(result.scores.scores, expected, atol=1e-5)
    assert result.modality == "joint" and result.scores.class_names == tuple(CLASSES)


def test_evaluate_authors_bones_checkpoint(split, tmp_path):
    from sttr.data.preprocess import joints_and_bones

    torch.manual_seed(1)
    model = build_model(ModelConfig.small("temporal", bones=True, num_classes=3)).eval()
    torch.save({"model_state_dict": model.state_dict()}, tmp_path / "bones_temporal.pt")
    result = evaluate_checkpoint(tmp_path / "bones_temporal.pt", split["root"], progress=False)
    assert result.modality == "joint_bone"
    with torch.no_grad():
        expected = softmax(model(torch.from_numpy(joints_and_bones(split["x"]))))
    np.testing.assert_allclose(result.scores.scores, expected, atol=1e-5)


def test_checkpoint_errors(split, tmp_path, capsys):
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(CheckpointError, match="text.pt: not a PyTorch checkpoint"):
        load_checkpoint(tmp_path / "text.pt")
    torch.save({"optimizer_state_dict": {"state": {}}, "epoch": 1}, tmp_path / "opt.pt")
    with pytest.raises(CheckpointError, match="opt.pt: not a model checkpoint"):
        load_checkpoint(tmp_path / "opt.pt")
    torch.save({"weird": torch.zeros(3)}, tmp_path / "weird.pt")
    with pytest.raises(CheckpointError, match="weird.pt: not a model checkpoint"):
        load_checkpoint(tmp_path / "weird.pt")
    ck = _ours(tmp_path / "ours.pt", split["model"], split["cfg"])
    with pytest.raises(ValueError, match="takes 3 channels but modality 'joint_bone'"):
        evaluate_checkpoint(ck, split["root"], modality="joint_bone", progress=False)
    assert main(["evaluate", "--checkpoint", str(tmp_path / "opt.pt"), "--data", str(split["root"])]) == 1
    assert "opt.pt" in capsys.readouterr().err
