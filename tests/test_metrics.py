"""Metrics: top-k accuracy, per-class accuracy and the confusion matrix on hand-made scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sttr.evaluation.metrics import confusion_matrix, per_class_accuracy
from tests.score_fixtures import CLASSES, LABELS, SCORES


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
