"""Evaluation: top-k, per-class accuracy, confusion, score files, fusion, per-class gain, checkpoints, CLI."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from sttr.__main__ import main
from sttr.evaluate import (
    CheckpointError,
    ScoreFileMismatch,
    Scores,
    confusion_matrix,
    dataframe_to_markdown,
    evaluate_checkpoint,
    fuse_scores,
    load_checkpoint,
    load_scores,
    per_class_accuracy,
    per_class_gain,
    save_scores,
    softmax,
    summary_table,
    topk_accuracy,
    write_summary,
)
from sttr.models import ModelConfig, build_model

# Hand-made scores: 4 samples, 3 classes.
SCORES = np.array(
    [[0.7, 0.2, 0.1],  # label 0: top-1 hit
     [0.5, 0.3, 0.2],  # label 1: top-2 hit
     [0.1, 0.3, 0.6],  # label 2: top-1 hit
     [0.2, 0.5, 0.3]],  # label 2: top-2 hit
    dtype=np.float32,
)  # fmt: skip
LABELS = np.array([0, 1, 2, 2])
NAMES = ["S001C001P001R001A001", "S001C001P001R001A002", "S001C001P002R001A003", "S001C002P002R001A003"]
CLASSES = ["drink water", "eat meal/snack", "brushing teeth"]


def test_softmax_and_topk():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])
    p = softmax(logits)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[0], e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(p[1], [1.0, 0.0, 0.0], atol=1e-7)
    assert p.dtype == np.float32
    np.testing.assert_allclose(softmax(torch.tensor(logits)), p)
    assert topk_accuracy(SCORES, LABELS, 1) == pytest.approx(0.5)
    assert topk_accuracy(SCORES, LABELS, 2) == pytest.approx(1.0)
    assert topk_accuracy(SCORES, LABELS, 5) == pytest.approx(1.0)  # k above K: every class counts
    assert topk_accuracy(torch.from_numpy(SCORES), torch.from_numpy(LABELS), 1) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="expected 4 labels"):
        topk_accuracy(SCORES, LABELS[:3], 1)


def test_per_class_accuracy_and_confusion():
    df = per_class_accuracy(SCORES, LABELS, CLASSES)
    assert list(df.columns) == ["label", "name", "samples", "correct", "accuracy"]
    assert df["name"].tolist() == CLASSES
    assert df["samples"].tolist() == [1, 1, 2] and df["correct"].tolist() == [1, 0, 1]
    np.testing.assert_allclose(df["accuracy"], [1.0, 0.0, 0.5])
    same = per_class_accuracy(SCORES.argmax(1), LABELS, CLASSES)  # predictions instead of scores
    pd.testing.assert_frame_equal(df, same)
    cm = confusion_matrix(SCORES, LABELS)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [1, 0, 0], [0, 1, 1]])  # rows: true, columns: predicted
    assert cm.sum() == 4 and np.trace(cm) == 2
    sixty = per_class_accuracy(np.eye(60)[:4], [0, 1, 2, 3])
    assert sixty["name"][0] == "drink water" and len(sixty) == 60  # NTU-60 names by class count
    assert np.isnan(sixty["accuracy"][10])  # no sample of that class


def test_score_files_round_trip_without_pickle(tmp_path):
    path = save_scores(tmp_path / "a.npz", NAMES, SCORES, LABELS, CLASSES)
    with np.load(path, allow_pickle=False) as data:
        assert data["names"].dtype.kind == "U" and data["scores"].dtype == np.float32
        assert data["labels"].dtype == np.int64
    s = load_scores(path)
    assert s.names.tolist() == NAMES and s.class_names == tuple(CLASSES) and s.labels.tolist() == LABELS.tolist()
    np.testing.assert_array_equal(s.scores, SCORES)
    assert s.top1() == pytest.approx(0.5) and s.top5() == pytest.approx(1.0)
    logits = np.log(SCORES) + 3.0  # not distributions: stored as their softmax
    stored = load_scores(save_scores(tmp_path / "l.npz", NAMES, logits, LABELS))
    np.testing.assert_allclose(stored.scores, SCORES, atol=1e-6)
    bad = tmp_path / "bad.npz"
    np.savez(bad, something=np.zeros(3))
    with pytest.raises(ValueError, match="bad.npz: not a score file: missing names, scores, labels"):
        load_scores(bad)
    junk = tmp_path / "junk.npz"
    junk.write_text("hello")
    with pytest.raises(ValueError, match="junk.npz: not a readable .npz"):
        load_scores(junk)


def test_fusion_equals_hand_computation(tmp_path):
    other = np.array([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8]], dtype=np.float32)
    a = save_scores(tmp_path / "spatial.npz", NAMES, SCORES, LABELS, CLASSES)
    b = save_scores(tmp_path / "temporal.npz", NAMES, other, LABELS, CLASSES)
    fused = fuse_scores([a, b])
    np.testing.assert_allclose(fused.scores, SCORES + other, atol=1e-7)
    # hand: sums [0.8 1.0 0.2] [0.7 1.0 0.3] [0.4 0.6 1.0] [0.3 0.6 1.1] -> 1, 1, 2, 2 vs labels 0 1 2 2
    assert fused.scores.argmax(1).tolist() == [1, 1, 2, 2]
    assert fused.top1() == pytest.approx(0.75)
    assert fused.names.tolist() == NAMES and fused.class_names == tuple(CLASSES)
    weighted = fuse_scores([a, b], weights=[2.0, 0.5])
    np.testing.assert_allclose(weighted.scores, 2 * SCORES + 0.5 * other, atol=1e-6)
    logits = np.log(other)  # arrays may be logits: they are softmaxed first
    np.testing.assert_allclose(fuse_scores([SCORES, logits]).scores, SCORES + other, atol=1e-6)
    # through the CLI, with the fused file written
    out = tmp_path / "fused.npz"
    assert main(["fuse", str(a), str(b), "--out", str(out)]) == 0
    np.testing.assert_allclose(load_scores(out).scores, SCORES + other, atol=1e-6)


def test_fusion_refuses_mismatched_files(tmp_path, capsys):
    a = save_scores(tmp_path / "a.npz", NAMES, SCORES, LABELS, CLASSES)
    order = [1, 0, 2, 3]
    shuffled = save_scores(tmp_path / "shuffled.npz", [NAMES[i] for i in order], SCORES[order], LABELS[order], CLASSES)
    order_error = r"shuffled.npz: sample 0 is .* but .*a.npz has .*same samples, different order"
    with pytest.raises(ScoreFileMismatch, match=order_error):
        fuse_scores([a, shuffled])
    fewer = save_scores(tmp_path / "fewer.npz", NAMES[:3], SCORES[:3], LABELS[:3], CLASSES)
    with pytest.raises(ScoreFileMismatch, match="fewer.npz has 3 samples but .*a.npz has 4"):
        fuse_scores([a, fewer])
    wide = save_scores(tmp_path / "wide.npz", NAMES, np.full((4, 4), 0.25), LABELS)
    with pytest.raises(ScoreFileMismatch, match="wide.npz has 4 classes but .*a.npz has 3"):
        fuse_scores([a, wide])
    renamed = save_scores(tmp_path / "renamed.npz", NAMES, SCORES, LABELS, ["x", "y", "z"])
    with pytest.raises(ScoreFileMismatch, match="renamed.npz names class 0 'x'"):
        fuse_scores([a, renamed])
    relabelled = save_scores(tmp_path / "relabelled.npz", NAMES, SCORES, [1, 1, 2, 2], CLASSES)
    with pytest.raises(ScoreFileMismatch, match="relabelled.npz: sample .* has label 1"):
        fuse_scores([a, relabelled])
    with pytest.raises(ValueError, match="2 weights for 1"):
        fuse_scores([a], weights=[1, 1])
    assert main(["fuse", str(a), str(shuffled)]) == 1
    assert "shuffled.npz" in capsys.readouterr().err


def test_per_class_gain(tmp_path):
    other = np.array([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8]], dtype=np.float32)
    # a = other: per class [0, 1, 1]; b = SCORES: [1, 0, 0.5] -> gains [-1, 1, 0.5]
    a = save_scores(tmp_path / "a.npz", NAMES, other, LABELS, CLASSES)
    b = save_scores(tmp_path / "b.npz", NAMES, SCORES, LABELS, CLASSES)
    df = per_class_gain(a, b)
    assert list(df.columns) == ["label", "name", "samples", "accuracy_a", "accuracy_b", "gain"]
    assert df["name"].tolist() == ["eat meal/snack", "brushing teeth", "drink water"]  # sorted by gain
    np.testing.assert_allclose(df["gain"], [1.0, 0.5, -1.0])
    arrays = per_class_gain(other, SCORES, CLASSES, labels=LABELS)
    pd.testing.assert_frame_equal(df, arrays)


def test_tables_name_data_and_profile(tmp_path):
    df = summary_table([{"model": "S-TR", "top1": 86.4}, {"model": "T-TR", "top1": 86.0}], "ntu60/xsub", "mini")
    assert df.columns.tolist()[:2] == ["data", "profile"] and set(df["profile"]) == {"mini"}
    write_summary([{"model": "S-TR", "top1": 86.44}], tmp_path / "t", "synthetic/xsub", "smoke", title="Table 1a")
    md = (tmp_path / "t.md").read_text()
    assert "data: synthetic/xsub" in md and "profile: smoke" in md and "| S-TR |" in md and "86.4" in md
    assert pd.read_csv(tmp_path / "t.csv")["data"].tolist() == ["synthetic/xsub"]
    assert "---:" in dataframe_to_markdown(df)


# ------------------------------------------------------------------------------ checkpoints on a split


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


def test_scores_dataclass_is_frozen():
    s = Scores(np.asarray(NAMES), SCORES, LABELS)
    with pytest.raises(AttributeError):
        s.source = "x"  # type: ignore[misc]
    assert s.num_classes == 3
