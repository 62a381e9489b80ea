"""Metrics of per-sample scores: top-k accuracy, per-class accuracy and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from sttr.data.names import default_class_names


def as_scores(scores: np.ndarray | torch.Tensor, what: str = "scores") -> np.ndarray:
    """(N, K) scores as a numpy array; anything else is an error naming ``what``."""
    if isinstance(scores, torch.Tensor):
        scores = scores.detach().cpu().numpy()
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"{what}: expected a (N, K) array of scores, got shape {scores.shape}")
    return scores


def as_labels(labels: Sequence[int] | np.ndarray | torch.Tensor, n: int, what: str = "labels") -> np.ndarray:
    """(N,) int64 labels, one per sample; a different count is an error naming ``what``."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if labels.shape[0] != n:
        raise ValueError(f"{what}: expected {n} labels (one per sample), got {labels.shape[0]}")
    return labels


def _predictions(scores_or_preds: np.ndarray | torch.Tensor, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Predicted classes from (N, K) scores (argmax) or from (N,) predicted labels, and the number of classes:
    K for scores, else one past the largest label or prediction."""
    if isinstance(scores_or_preds, torch.Tensor):
        scores_or_preds = scores_or_preds.detach().cpu().numpy()
    arr = np.asarray(scores_or_preds)
    if arr.ndim not in (1, 2):
        raise ValueError(f"expected (N, K) scores or (N,) predictions, got shape {arr.shape}")
    preds = (arr.argmax(axis=1) if arr.ndim == 2 else arr).astype(np.int64)
    if preds.shape[0] != labels.shape[0]:
        raise ValueError(f"expected {labels.shape[0]} predictions (one per label), got {preds.shape[0]}")
    k = arr.shape[1] if arr.ndim == 2 else int(max(labels.max(initial=-1), preds.max(initial=-1)) + 1)
    return preds, k


def topk_accuracy(scores: np.ndarray | torch.Tensor, labels: Sequence[int] | np.ndarray, k: int = 1) -> float:
    """Fraction (0..1) of samples whose label is among the ``k`` highest scores (top-1, top-5)."""
    scores = as_scores(scores)
    labels = as_labels(labels, scores.shape[0])
    if scores.shape[0] == 0:
        return float("nan")
    k = max(1, min(int(k), scores.shape[1]))
    # (N, k) indices of the k largest scores; argpartition is O(K) per row.
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def per_class_accuracy(
    scores_or_preds: np.ndarray | torch.Tensor,
    labels: Sequence[int] | np.ndarray,
    class_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Accuracy of each class: columns ``label, name, samples, correct, accuracy`` (accuracy 0..1, NaN if no sample)."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    preds, k = _predictions(scores_or_preds, labels)
    if class_names is not None:
        if len(class_names) < k:
            raise ValueError(f"class_names: expected at least {k} names, got {len(class_names)}")
        k = len(class_names)
        names = list(class_names)
    else:
        names = default_class_names(k)
    samples = np.bincount(labels[labels >= 0], minlength=k)[:k]
    correct = np.bincount(labels[(labels >= 0) & (preds == labels)], minlength=k)[:k]
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(samples > 0, correct / np.maximum(samples, 1), np.nan)
    return pd.DataFrame(
        {"label": np.arange(k), "name": names, "samples": samples, "correct": correct, "accuracy": acc}
    )


def confusion_matrix(
    scores_or_preds: np.ndarray | torch.Tensor, labels: Sequence[int] | np.ndarray, num_classes: int | None = None
) -> np.ndarray:
    """(K, K) int64 counts, rows = true class, columns = predicted class."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    preds, k = _predictions(scores_or_preds, labels)
    num_classes = k if num_classes is None else num_classes
    keep = labels >= 0
    flat = labels[keep] * num_classes + preds[keep]
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
