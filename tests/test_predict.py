"""Predict: raw .skeleton, prepared .npy and pyskl keypoints agree; fusion; JSON schema; every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sttr.__main__ import main
from sttr.data.ntu import format_skeleton, read_skeleton
from sttr.data.preprocess import normalize, sequence_to_array
from sttr.checkpoint import CheckpointError
from sttr.evaluation.scores import softmax
from sttr.models import ModelConfig, build_model
from sttr.predict import SCHEMA, InputError, Predictor, format_table, predict, to_json, write_json
from sttr.predict.figure import attention_figure

CLASS_NAMES = ["clapping", "sit down", "stand up"]


def _bodies(rng: np.random.Generator, label: int, frames: int, persons: int = 1) -> list[list[np.ndarray]]:
    """A body with a fixed random pose whose hands move along a class-dependent axis; (25, 3) per body."""
    base = rng.normal(0.0, 0.25, size=(25, 3)) + np.array([0.0, 0.0, 3.0])
    t = np.arange(frames)[:, None]
    out = []
    for f in range(frames):
        bodies = []
        for p in range(persons):
            pose = base + np.array([0.8 * p, 0.0, 0.0]) + rng.normal(0.0, 0.005, size=(25, 3))
            pose[[7, 11, 21, 23], label] += 0.3 * np.sin(2 * np.pi * t[f, 0] / 30.0)
            bodies.append(pose)
        out.append(bodies)
    return out


def _write(path: Path, bodies: list[list[np.ndarray]]) -> Path:
    path.write_text(format_skeleton(bodies))
    return path


def _prepared(path: Path) -> np.ndarray:
    """What prepare-ntu stores for one file: (3, 300, 25, 2) normalised."""
    return np.asarray(normalize(sequence_to_array(read_skeleton(path))), dtype=np.float32)


def _train(cfg: ModelConfig, x: torch.Tensor, y: torch.Tensor, steps: int = 2) -> torch.nn.Module:
    model = build_model(cfg)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval()


def _checkpoint(path: Path, model, cfg: ModelConfig, modality: str, window, resample: bool, names=CLASS_NAMES) -> Path:
    torch.save(
        {
            "format": "sttr-checkpoint",
            "version": 1,
            "model_config": cfg.to_dict(),
            "model_state_dict": model.state_dict(),
            "class_names": list(names),
            "modality": modality,
            "window": window,
            "resample": resample,
            "epoch": 1,
            "experiment": {"name": "test"},
        },
        path,
    )
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Raw files of three classes, and two checkpoints trained a few SGD steps on their prepared arrays:
    S-TR on joints with a 32-frame resampled window, T-TR on joints+bones with a 48-frame cropped window."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic scores, restored after the module
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("predict")
    raw = root / "raw"
    raw.mkdir()
    files, labels = [], []
    for i in range(9):
        label = i % 3
        persons = 2 if i == 4 else 1
        name = f"S001C001P{i + 1:03d}R001A{label + 1:03d}.skeleton"
        files.append(_write(raw / name, _bodies(rng, label, int(rng.integers(40, 80)), persons)))
        labels.append(label)
    x = torch.from_numpy(np.stack([_prepared(f) for f in files]))  # (9, 3, 300, 25, 2)
    y = torch.tensor(labels)
    from sttr.data.preprocess import joints_and_bones

    cfg_s = ModelConfig.small("spatial", num_classes=3)
    spatial = _train(cfg_s, x[:, :, :80:4], y)  # (9, 3, 20, 25, 2)
    cfg_t = ModelConfig.small("temporal", bones=True, num_classes=3)
    xb = torch.from_numpy(np.stack([joints_and_bones(s) for s in x.numpy()[:, :, :80:4]]))  # (9, 6, 20, 25, 2)
    temporal = _train(cfg_t, xb, y)
    ck_s = _checkpoint(root / "spatial.pt", spatial, cfg_s, "joint", 32, True)
    ck_t = _checkpoint(root / "temporal.pt", temporal, cfg_t, "joint_bone", 48, False)
    yield {"root": root, "files": files, "labels": labels, "spatial": ck_s, "temporal": ck_t,
           "model_s": spatial, "cfg_s": cfg_s}
    torch.set_num_threads(threads)


def test_skeleton_npy_and_keypoints_give_the_same_scores(setup, tmp_path):
    predictor = Predictor([setup["spatial"]], progress=False)
    for f in (setup["files"][0], setup["files"][4]):  # one body; two bodies
        prepared = _prepared(f)
        npy = tmp_path / f"{f.stem}.npy"
        np.save(npy, prepared)  # (3, 300, 25, 2), 2s-AGCN layout
        batch = tmp_path / f"{f.stem}_batch.npy"
        np.save(batch, np.stack([prepared, prepared]))  # (2, 3, 300, 25, 2)
        seq = read_skeleton(f)
        raw = sequence_to_array(seq)[:, : seq.num_frames]  # (3, T, 25, 2) before normalisation
        persons = 2 if np.any(raw[..., 1]) else 1
        keypoints = np.ascontiguousarray(raw[..., :persons].transpose(3, 1, 2, 0))  # (M, T, 25, 3), pyskl
        kp = tmp_path / f"{f.stem}_kp.npy"
        np.save(kp, keypoints)
        preds = predictor.predict([f, npy, kp, keypoints, batch])
        assert all(p.ok for p in preds), [p.error for p in preds]
        expected = [f.name, npy.name, kp.name, "array[3]", f"{batch.name}[0]", f"{batch.name}[1]"]
        assert [p.name for p in preds] == expected
        for p in preds[1:]:
            np.testing.assert_allclose(p.scores, preds[0].scores, atol=1e-5)
            assert p.frames == preds[0].frames  # the valid length is recovered from the prepared array
        assert preds[0].frames == seq.num_frames
        assert "resampled" in preds[0].note and "32" in preds[0].note  # the checkpoint's window rule, said
        assert [t.name for t in preds[0].top_k] == [CLASS_NAMES[i] for i in np.argsort(-preds[0].scores)]


def test_scores_match_the_model_on_the_prepared_array(setup):
    (pred,) = Predictor(setup["temporal"], progress=False).predict(setup["files"][1])
    from sttr.data.preprocess import joints_and_bones

    x = torch.from_numpy(joints_and_bones(_prepared(setup["files"][1]))[None, :, :48])  # (1, 6, 48, 25, 2)
    from sttr.checkpoint import load_checkpoint

    with torch.no_grad():
        expected = softmax(load_checkpoint(setup["temporal"]).model(x))[0]
    np.testing.assert_allclose(pred.scores, expected, atol=1e-5)
    frames = read_skeleton(setup["files"][1]).num_frames
    assert pred.frames == frames
    if frames > 48:
        assert "cropped to the first 48 frames" in pred.note
    else:
        assert pred.note is None


def test_fusion_is_the_sum_of_the_streams_softmax(setup):
    files = setup["files"][:4]
    fused = Predictor([setup["spatial"], setup["temporal"]], top_k=3, batch_size=2, progress=False).predict(files)
    single_s = Predictor(setup["spatial"], progress=False).predict(files)
    single_t = Predictor(setup["temporal"], progress=False).predict(files)
    for f, s, t in zip(fused, single_s, single_t):
        np.testing.assert_allclose(f.stream_scores[0], s.scores, atol=1e-6)
        np.testing.assert_allclose(f.stream_scores[1], t.scores, atol=1e-6)
        np.testing.assert_allclose(f.scores, s.scores + t.scores, atol=1e-6)
        assert len(f.top_k) == 3
        assert f.top_k[0].label == int(np.argmax(s.scores + t.scores))
        assert f.top_k[0].probability == pytest.approx(float((s.scores + t.scores).max()) / 2, abs=1e-6)


def test_json_follows_the_documented_schema(setup, tmp_path):
    predictor = Predictor([setup["spatial"], setup["temporal"]], top_k=2, progress=False)
    preds = predictor.predict([setup["files"][0], tmp_path / "absent.skeleton"])
    doc = json.loads(write_json(preds, predictor, tmp_path / "out.json").read_text())
    assert doc == json.loads(json.dumps(to_json(preds, predictor)))
    assert set(doc) == {"schema", "fusion", "top_k", "class_names", "checkpoints", "predictions", "errors"}
    assert doc["schema"] == SCHEMA and doc["fusion"] == "sum of softmax scores" and doc["top_k"] == 2
    assert doc["class_names"] == CLASS_NAMES
    assert [c["stream"] for c in doc["checkpoints"]] == ["spatial", "temporal"]
    assert set(doc["checkpoints"][0]) == {"path", "kind", "stream", "graph", "modality", "num_classes", "window",
                                          "resample"}  # fmt: skip
    assert doc["checkpoints"][0]["graph"] == "ntu"
    assert doc["checkpoints"][1]["modality"] == "joint_bone" and doc["checkpoints"][1]["window"] == 48
    (p,) = doc["predictions"]
    assert set(p) == {"input", "source", "frames", "note", "top_k", "fused_scores", "streams"}
    assert p["input"] == setup["files"][0].name and isinstance(p["frames"], int)
    assert [t["rank"] for t in p["top_k"]] == [1, 2]
    assert set(p["top_k"][0]) == {"rank", "label", "name", "probability"}
    assert p["top_k"][0]["name"] == CLASS_NAMES[p["top_k"][0]["label"]]
    assert len(p["fused_scores"]) == 3 and len(p["streams"]) == 2
    assert sum(p["fused_scores"]) == pytest.approx(2.0, abs=1e-4)
    assert p["streams"][0]["checkpoint"] == str(setup["spatial"])
    assert doc["errors"][0]["input"].endswith("absent.skeleton") and "no such file" in doc["errors"][0]["error"]


def test_every_bad_input_is_named_and_the_good_ones_are_still_predicted(setup, tmp_path):
    good = setup["files"]
    junk = tmp_path / "junk.skeleton"
    junk.write_text("not a skeleton\n")
    coco = tmp_path / "coco.npy"
    np.save(coco, np.random.default_rng(1).uniform(0.1, 0.9, (1, 40, 17, 3)))  # COCO keypoints: a 2D input
    flat = tmp_path / "flat.npy"
    np.save(flat, np.ones((2, 40, 25, 2), np.float32))  # 2 channels: 2D
    six = tmp_path / "six.npy"
    np.save(six, np.ones((6, 300, 25, 2), np.float32))  # joints+bones for a joints-only model
    three_people = tmp_path / "three_people.npy"
    np.save(three_people, np.ones((1, 3, 50, 25, 3), np.float32))  # (N, C, T, V, M=3) prepared
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    long = _write(tmp_path / "S001C001P001R001A001.skeleton", _bodies(np.random.default_rng(3), 0, 420))
    inputs = [good[0], junk, coco, good[1], flat, six, three_people, tmp_path / "missing.skeleton", text, long, good[2]]
    preds = Predictor(setup["spatial"], progress=False).predict(inputs)
    by_name = {p.name: p for p in preds}
    assert [p.name for p in preds] == [Path(i).name for i in inputs]
    for f in (good[0], good[1], good[2], long):
        assert by_name[f.name].ok and len(by_name[f.name].top_k) == 3
    assert "junk.skeleton, line 1" in by_name["junk.skeleton"].error
    err = by_name["coco.npy"].error
    assert "coco.npy: the input has the skeleton of Kinetics-skeleton (OpenPose, 18 joints)" in err
    assert "spatial.pt is a model of graph 'ntu', NTU RGB+D (Kinect v2, 25 joints), channels x, y, z" in err
    assert "flat.npy" in by_name["flat.npy"].error and "2 channels" in by_name["flat.npy"].error
    err = by_name["six.npy"].error
    assert "six.npy" in err and "6 channels" in err and "spatial.pt" in err and "takes 3" in err
    assert "3 persons" in by_name["three_people.npy"].error
    assert "missing.skeleton: no such file" in by_name["missing.skeleton"].error
    assert "notes.txt" in by_name["notes.txt"].error and ".skeleton" in by_name["notes.txt"].error
    note = by_name[long.name].note
    assert "420 frames" in note and "longer" in note and "resampled" in note and "32" in note
    with pytest.raises(InputError, match="coco.npy"):
        Predictor(setup["spatial"], progress=False).predict([good[0], coco], strict=True)
    table = format_table(preds)
    assert "ERROR" in table and "clapping" in table and "note:" in table


def test_authors_state_dict_and_class_names_fallback(setup, tmp_path):
    sd = {"module." + k: v for k, v in setup["model_s"].state_dict().items()}
    predictor = Predictor({"model_state_dict": sd, "epoch": 3}, progress=False)
    assert predictor.streams[0].kind == "official" and predictor.streams[0].modality == "joint"
    assert predictor.class_names == ["class 0", "class 1", "class 2"]
    (pred,) = predictor.predict(setup["files"][0])
    x = torch.from_numpy(_prepared(setup["files"][0])[None])  # (1, 3, 300, 25, 2): no window
    with torch.no_grad():
        np.testing.assert_allclose(pred.scores, softmax(setup["model_s"](x))[0], atol=1e-5)
    assert pred.note is None
    long = _write(tmp_path / "S001C001P002R001A002.skeleton", _bodies(np.random.default_rng(4), 1, 330))
    (pred,) = predictor.predict(long)
    assert pred.ok and "330 frames" in pred.note and "resampled uniformly to 300" in pred.note


def test_bad_checkpoints(setup, tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="notes.pt: not a PyTorch checkpoint"):
        Predictor(text)
    opt = tmp_path / "optimizer.pt"
    torch.save({"optimizer_state_dict": {"state": {}, "param_groups": []}, "epoch": 3}, opt)
    with pytest.raises(CheckpointError, match="optimizer.pt: not a model checkpoint"):
        Predictor(opt)
    four = ModelConfig.small("spatial", num_classes=4)
    ck4 = _checkpoint(tmp_path / "four.pt", build_model(four), four, "joint", None, False, ["a", "b", "c", "d"])
    with pytest.raises(CheckpointError, match="four.pt has 4 classes"):
        Predictor([setup["spatial"], ck4])
    renamed = _checkpoint(
        tmp_path / "renamed.pt", setup["model_s"], setup["cfg_s"], "joint", None, False, ["x", "y", "z"]
    )
    with pytest.raises(CheckpointError, match="renamed.pt names class 0 'x'"):
        Predictor([setup["spatial"], renamed])


def test_attention_maps_and_figure(setup, tmp_path):
    predictor = Predictor([setup["spatial"], setup["temporal"]], progress=False)
    att = predictor.attention(setup["files"][0])
    assert att.stream == "spatial" and att.weights.shape == (25, 25) and att.layer.startswith("backbone.")
    np.testing.assert_allclose(att.weights.sum(axis=1), 1.0, atol=1e-4)  # rows of a softmax, averaged
    att = predictor.attention(setup["files"][0], stream=1)
    t = att.weights.shape[0]
    assert att.stream == "temporal" and att.weights.shape == (t, t) and att.input_frames == 48 and t < 48
    np.testing.assert_allclose(att.weights.sum(axis=1), 1.0, atol=1e-4)
    assert attention_figure(att, tmp_path / "tsa.png").stat().st_size > 1000
    out = attention_figure(predictor.attention(setup["files"][0]), tmp_path / "ssa.png")
    assert out.stat().st_size > 1000
    with pytest.raises(ValueError, match="S-TR"):
        stgcn = ModelConfig.small("stgcn", num_classes=3)
        ck = _checkpoint(tmp_path / "stgcn.pt", build_model(stgcn), stgcn, "joint", None, False)
        Predictor(ck, progress=False).attention(setup["files"][0])


def test_predict_function_and_cli(setup, tmp_path, capsys):
    preds = predict(setup["files"][:2], [setup["spatial"]], top_k=1, progress=False)
    assert [len(p.top_k) for p in preds] == [1, 1]
    out_json, out_png = tmp_path / "p.json", tmp_path / "att.png"
    argv = ["predict", str(setup["files"][0]), str(setup["files"][1]), "--checkpoint", str(setup["spatial"]),
            "--checkpoint", str(setup["temporal"]), "--top-k", "2", "--json", str(out_json),
            "--attention-figure", str(out_png), "--no-progress"]
    assert main(argv) == 0
    shown = capsys.readouterr().out
    assert setup["files"][0].name in shown and "prob" in shown
    assert json.loads(out_json.read_text())["schema"] == SCHEMA and out_png.exists()
    bad = tmp_path / "bad.skeleton"
    bad.write_text("3\n1\n")
    assert main(["predict", str(setup["files"][0]), str(bad), "--checkpoint", str(setup["spatial"]),
                 "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "bad.skeleton" in captured.out + captured.err and setup["files"][0].name in captured.out
    assert main(["predict", str(setup["files"][0]), "--checkpoint", str(tmp_path / "none.pt")]) == 2
