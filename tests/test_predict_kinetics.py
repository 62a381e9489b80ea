"""Predict on 2D pose-estimator output with Kinetics-skeleton checkpoints: clip JSON, OpenPose-18 and COCO-17
arrays agree; every mismatch between an input's skeleton and a checkpoint's graph is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sttr.__main__ import main
from sttr.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, training_payload
from sttr.data.formats import write_agcn, write_label_names
from sttr.data.kinetics import convert_clip, read_clip
from sttr.data.ntu import format_skeleton
from sttr.data.synthetic.kinetics import generate_kinetics
from sttr.data.transforms import coco_to_openpose
from sttr.evaluation.inference import evaluate_checkpoint
from sttr.evaluation.scores import softmax
from sttr.models import ModelConfig, build_model
from sttr.predict import COCO_NOTE, Predictor
from sttr.predict.figure import attention_figure
from sttr.skeleton import COCO_NECK_FROM, KINETICS_JOINT_NAMES, OPENPOSE_FROM_COCO

CLASSES = 14


def _save(path: Path, cfg: ModelConfig, model: torch.nn.Module, names: list[str]) -> Path:
    """Our trainer's checkpoint of ``model``, evaluated on full sequences (no window)."""
    payload = training_payload(model_config=cfg, model_state=model.state_dict(), training_state={"epoch": 1},
                               experiment={}, class_names=names, modality="joint", window=None, resample=False)  # fmt: skip
    save_checkpoint(path, payload)
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Synthetic Kinetics-skeleton clips; an S-TR on the 18-joint graph (ours, and its state dict as the authors'
    release would hold it) and an NTU S-TR, both random, their batch norms given statistics."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic scores, restored after the module
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("kinetics-predict")
    generate_kinetics(root / "raw", seed=0, max_samples=6, progress=False, workers=1)
    clips = sorted(p for p in (root / "raw").rglob("synthetic_*.json") if read_clip(p).frame.size)
    names = [f"class {i}" for i in range(CLASSES)]
    cfg = ModelConfig.kinetics("spatial", num_classes=CLASSES, widths=(16, 32, 32))  # N_h = 8: as load_official infers
    model = build_model(cfg)
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, 32, 18, 2))  # (N, C, T, V, M): running statistics away from their initial values
    model.eval()
    ntu_cfg = ModelConfig.small("spatial", num_classes=CLASSES, widths=(8, 16, 16), heads=2)
    yield {
        "root": root,
        "clips": clips,
        "model": model,
        "ours": _save(root / "kinetics.pt", cfg, model, names),
        "authors": {"module." + k: v for k, v in model.state_dict().items()},
        "ntu": _save(root / "ntu.pt", ntu_cfg, build_model(ntu_cfg).eval(), names),
    }
    torch.set_num_threads(threads)


def _keypoints(path: Path) -> np.ndarray:
    """A clip file as OpenPose keypoints (M, T, 18, 3) float64: frame t's m-th listed person in [m, t]."""
    clip = read_clip(path)
    kp = np.zeros((int(clip.slot.max()) + 1, int(clip.frame.max()) + 1, 18, 3))
    kp[clip.slot, clip.frame, :, :2] = clip.pose
    kp[clip.slot, clip.frame, :, 2] = clip.score
    return kp


def test_clip_json_and_openpose_array_give_the_same_scores(setup):
    clip = setup["clips"][0]
    x, _ = convert_clip(clip)  # (3, 300, 18, 2): what prepare-kinetics stores for this clip
    with torch.no_grad():
        expected = softmax(setup["model"](torch.from_numpy(x[None])))[0]
    for checkpoint in (setup["ours"], setup["authors"]):
        predictor = Predictor(checkpoint, progress=False)
        assert predictor.streams[0].graph == "kinetics" and predictor.streams[0].window is None
        from_json, from_array, prepared = predictor.predict([clip, _keypoints(clip), x])
        assert from_json.ok and from_array.ok and prepared.ok, (from_json.error, from_array.error, prepared.error)
        np.testing.assert_array_equal(from_json.scores, from_array.scores)
        np.testing.assert_allclose(from_json.scores, expected, atol=1e-6)
        np.testing.assert_allclose(prepared.scores, expected, atol=1e-6)  # a prepared (3, 300, 18, 2) array as is
        assert from_json.frames == from_array.frames == prepared.frames > 0 and from_json.note is None
    other = Predictor(setup["ours"], progress=False).predict(setup["clips"][1])[0]
    assert np.abs(other.scores - from_json.scores).max() > 1e-4  # the scores depend on the input


def test_coco_keypoints_are_mapped_to_openpose(setup):
    kp = _keypoints(setup["clips"][0])  # (M, T, 18, 3)
    left, right = kp[:, :, 5], kp[:, :, 2]  # OpenPose's left and right shoulder
    kp[:, :, 1, :2] = (left[..., :2] + right[..., :2]) / 2  # the neck where the COCO mapping is exact
    kp[:, :, 1, 2] = np.minimum(left[..., 2], right[..., 2])
    coco = np.zeros(kp.shape[:2] + (17, 3))
    for j, c in enumerate(OPENPOSE_FROM_COCO):
        if c is not None:
            coco[:, :, c] = kp[:, :, j]
    assert [OPENPOSE_FROM_COCO.index(c) for c in COCO_NECK_FROM] == [5, 2]
    np.testing.assert_array_equal(coco_to_openpose(coco), kp)
    openpose, mapped = Predictor(setup["ours"], progress=False).predict([kp, coco])
    np.testing.assert_array_equal(mapped.scores, openpose.scores)
    assert openpose.note is None and mapped.note == COCO_NOTE and "neck is the midpoint of the shoulders" in COCO_NOTE


def test_longer_clips_are_resampled_to_300_frames(setup, tmp_path):
    kp = _keypoints(setup["clips"][0])
    long = np.concatenate([kp] * (400 // kp.shape[1] + 1), axis=1)[:, :400]  # (M, 400, 18, 3)
    (pred,) = Predictor(setup["ours"], progress=False).predict(long)
    assert pred.frames == 400 and "400 frames" in pred.note and "resampled uniformly to 300" in pred.note


def test_every_mismatch_is_refused_by_name(setup, tmp_path):
    rng = np.random.default_rng(0)
    skeleton = tmp_path / "S001C001P001R001A001.skeleton"
    skeleton.write_text(format_skeleton([[rng.normal(size=(25, 3)) + [0.0, 0.0, 3.0]] for _ in range(30)]))
    ntu_keypoints = rng.normal(size=(1, 30, 25, 3))  # 3D joints (pyskl)
    pixels = _keypoints(setup["clips"][0]) * [1920.0, 1080.0, 1.0]
    inputs = [skeleton, ntu_keypoints, pixels, rng.uniform(size=(1, 30, 16, 3)), np.ones((3, 30, 17, 2))]
    errors = [p.error for p in Predictor(setup["ours"], progress=False).predict(inputs)]
    graph = "kinetics.pt is a model of graph 'kinetics', Kinetics-skeleton (OpenPose, 18 joints)"
    ntu = "the input has the skeleton of NTU RGB+D (Kinect v2, 25 joints), channels x, y, z, but"
    assert f"A001.skeleton: {ntu}" in errors[0] and graph in errors[0]
    assert f"<array 1>: {ntu}" in errors[1] and graph in errors[1]
    assert "<array 2>: x and y reach 1" in errors[2] and "divide pixel coordinates" in errors[2]
    assert "V = 16; expected V = 25" in errors[3] and "17 (COCO x, y, score)" in errors[3]
    assert "17 joints in a prepared (C, T, V, M) array" in errors[4]
    clip = setup["clips"][0]
    for inp in (clip, _keypoints(clip)):
        (pred,) = Predictor(setup["ntu"], progress=False).predict(inp)
        assert "the input has the skeleton of Kinetics-skeleton (OpenPose, 18 joints), channels x, y, score" in pred.error
        assert "ntu.pt is a model of graph 'ntu', NTU RGB+D (Kinect v2, 25 joints), channels x, y, z" in pred.error
    with pytest.raises(CheckpointError, match=r"ntu.pt is a model of graph 'ntu'.*same skeleton"):
        Predictor([setup["ours"], setup["ntu"]], progress=False)
    with pytest.raises(ValueError, match="3 class names for .*kinetics.pt's 14 classes"):
        Predictor(setup["ours"], class_names=["a", "b", "c"], progress=False)


def test_evaluate_kinetics_checkpoints_names_and_skeletons(setup, tmp_path):
    x = np.stack([convert_clip(c)[0] for c in setup["clips"][:2]])  # (2, 3, 300, 18, 2), prepare-kinetics' arrays
    (tmp_path / "k").mkdir()
    (tmp_path / "n").mkdir()
    write_agcn(tmp_path / "k" / "val_data_joint.npy", tmp_path / "k" / "val_label.pkl", x, ["a.json", "b.json"], [0, 3])
    unnamed = evaluate_checkpoint(setup["authors"], tmp_path / "k", progress=False)
    assert unnamed.scores.class_names[3] == "class 3"
    with torch.no_grad():
        np.testing.assert_allclose(unnamed.scores.scores, softmax(setup["model"](torch.from_numpy(x))), atol=1e-6)
    names = [f"action {i}" for i in range(CLASSES)]
    write_label_names(tmp_path / "k", names)
    assert list(evaluate_checkpoint(setup["authors"], tmp_path / "k", progress=False).scores.class_names) == names
    write_agcn(tmp_path / "n" / "val_data_joint.npy", tmp_path / "n" / "val_label.pkl", np.zeros((2, 3, 40, 25, 2)),
               ["a", "b"], [0, 1])  # fmt: skip
    with pytest.raises(ValueError, match=r"val_data_joint.npy: 25 joints \(NTU RGB\+D.*kinetics.pt is a model of the "
                                         r"Kinetics-skeleton \(OpenPose, 18 joints\) graph"):  # fmt: skip
        evaluate_checkpoint(setup["ours"], tmp_path / "n", progress=False)


def test_class_names_attention_and_cli(setup, tmp_path, capsys):
    names = [f"action {i}" for i in range(CLASSES)]
    (tmp_path / "label_names.json").write_text(json.dumps(names))
    predictor = Predictor(setup["authors"], class_names=tmp_path, progress=False)
    assert predictor.class_names == names and load_checkpoint(setup["authors"]).class_names[0] == "class 0"
    att = predictor.attention(setup["clips"][0])
    assert att.graph == "kinetics" and att.weights.shape == (18, 18)
    figure = attention_figure(att, tmp_path / "ssa.png")
    assert figure.stat().st_size > 1000 and len(KINETICS_JOINT_NAMES) == 18
    out = tmp_path / "p.json"
    argv = ["predict", str(setup["clips"][0]), "--checkpoint", str(setup["ours"]), "--class-names",
            str(tmp_path / "label_names.json"), "--json", str(out), "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert "action " in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["checkpoints"][0]["graph"] == "kinetics" and doc["class_names"] == names
    assert main(["predict", str(setup["clips"][0]), "--checkpoint", str(setup["ntu"]), "--no-progress"]) == 1
    assert "model of graph 'ntu'" in capsys.readouterr().err
