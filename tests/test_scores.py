"""Score files, softmax and top-k, the paper's fusion (sum of softmax scores), refusals, per-class gains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from sttr.__main__ import main
from sttr.evaluation.metrics import topk_accuracy
from sttr.evaluation.scores import (
    ScoreFileMismatch,
    fuse_scores,
    load_scores,
    per_class_gain,
    save_scores,
    softmax,
)
from tests.score_fixtures import CLASSES, LABELS, NAMES, SCORES


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
