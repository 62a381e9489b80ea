"""Per-sample scores: the score file, compatibility checks, the paper's two-stream fusion and per-class gains.

Score files (``save_scores`` / ``load_scores``) are ``.npz`` archives read with ``allow_pickle=False``:
``names`` (N,) unicode sample names, ``scores`` (N, K) float32 softmax probabilities, ``labels`` (N,)
int64 (-1 where unknown) and optionally ``class_names`` (K,) unicode. Fusion is the paper's (Sec. 2.3):
the streams' softmax scores are summed ("the sub-networks outputs are eventually fused together by
summing up their softmax output scores").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sttr.atomic import atomic_write
from sttr.evaluation.metrics import as_labels, as_scores, per_class_accuracy, topk_accuracy

log = logging.getLogger(__name__)


class ScoreFileMismatch(ValueError):
    """Score files that cannot be fused or compared: different samples, order or classes."""


def softmax(logits: np.ndarray | torch.Tensor, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax over ``axis``, as float32 numpy (scores of one stream, paper Sec. 2.3)."""
    if isinstance(logits, torch.Tensor):
        logits = logits.detach().float().cpu().numpy()
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def is_probability(scores: np.ndarray, atol: float = 1e-3) -> bool:
    """True when every row of ``scores`` (N, K) is a probability distribution (non-negative, sums to 1)."""
    scores = np.asarray(scores)
    if scores.size == 0:
        return True
    return bool((scores >= 0).all() and np.allclose(scores.sum(axis=-1), 1.0, atol=atol))


@dataclass(frozen=True)
class Scores:
    """Per-sample softmax scores of one model (or a fusion) with the sample names and labels."""

    names: np.ndarray  # (N,) unicode
    scores: np.ndarray  # (N, K) float32 probabilities (a fusion holds their sum)
    labels: np.ndarray  # (N,) int64, -1 where unknown
    class_names: tuple[str, ...] | None = None
    source: str = "<array>"

    @property
    def num_classes(self) -> int:
        return int(self.scores.shape[1])

    def top1(self) -> float:
        """Top-1 accuracy (0..1)."""
        return topk_accuracy(self.scores, self.labels, 1)

    def top5(self) -> float:
        """Top-5 accuracy (0..1)."""
        return topk_accuracy(self.scores, self.labels, 5)


def save_scores(
    path: str | Path,
    names: Sequence[str] | np.ndarray,
    scores: np.ndarray | torch.Tensor,
    labels: Sequence[int] | np.ndarray,
    class_names: Sequence[str] | None = None,
    from_logits: bool | None = None,
) -> Path:
    """Write per-sample scores to ``path`` (.npz), written atomically.

    ``from_logits`` None: rows that are not probability distributions are taken for logits and softmaxed,
    so a model's file always holds probabilities; False stores ``scores`` as given (a fusion's sums).
    """
    path = Path(path)
    scores = as_scores(scores, str(path))
    names = np.asarray([str(n) for n in names], dtype=np.str_)
    if names.shape[0] != scores.shape[0]:
        raise ValueError(f"{path}: {names.shape[0]} sample names for {scores.shape[0]} score rows")
    labels = as_labels(labels, scores.shape[0], f"{path}: labels")
    if from_logits or (from_logits is None and not is_probability(scores)):
        log.debug("%s: scores are not probabilities; storing their softmax", path)
        scores = softmax(scores)
    arrays: dict[str, np.ndarray] = {"names": names, "scores": scores.astype(np.float32), "labels": labels}
    if class_names is not None:
        if len(class_names) != scores.shape[1]:
            raise ValueError(f"{path}: {len(class_names)} class names for {scores.shape[1]} classes")
        arrays["class_names"] = np.asarray([str(c) for c in class_names], dtype=np.str_)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:  # a file object: savez adds no ".npz" to the partial name
        np.savez(f, **arrays)
    return path


def load_scores(path: str | Path) -> Scores:
    """Read a score file written by ``save_scores`` (no pickle)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: score file not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("names", "scores", "labels") if k not in data.files]
            if missing:
                raise ValueError(
                    f"{path}: not a score file: missing {', '.join(missing)} "
                    "(expected names, scores, labels as written by sttr.evaluation.scores.save_scores)"
                )
            names = data["names"].astype(np.str_)
            scores = data["scores"].astype(np.float32)
            labels = data["labels"].astype(np.int64)
            class_names = tuple(str(c) for c in data["class_names"]) if "class_names" in data.files else None
    except ValueError as exc:
        if str(path) in str(exc):
            raise
        raise ValueError(f"{path}: not a readable .npz score file ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile, EOFError, OSError: a damaged or foreign file
        raise ValueError(f"{path}: not a readable .npz score file ({exc})") from exc
    if scores.ndim != 2 or names.shape[0] != scores.shape[0] or labels.shape[0] != scores.shape[0]:
        raise ValueError(
            f"{path}: inconsistent score file: names {names.shape}, scores {scores.shape}, labels {labels.shape}"
        )
    return Scores(names=names, scores=scores, labels=labels, class_names=class_names, source=str(path))


def _to_scores(item: str | Path | Scores | np.ndarray | torch.Tensor, index: int) -> Scores:
    if isinstance(item, Scores):
        return item
    if isinstance(item, (str, Path)):
        return load_scores(item)
    arr = as_scores(item, f"input {index}")
    if not is_probability(arr):
        arr = softmax(arr)
    n = arr.shape[0]
    return Scores(
        names=np.asarray([str(i) for i in range(n)], dtype=np.str_),
        scores=arr.astype(np.float32),
        labels=np.full(n, -1, dtype=np.int64),
        source=f"<array {index}>",
    )


def class_mismatch(
    source_a: str, count_a: int, names_a: Sequence[str] | None,
    source_b: str, count_b: int, names_b: Sequence[str] | None,
) -> str | None:
    """Why the classes of two models (or score files) cannot be fused, or None when they can: the same
    number of classes and, where both name them, the same names in the same order."""
    if count_a != count_b:
        return f"{source_b} has {count_b} classes but {source_a} has {count_a}: fusion needs models of the same classes"
    if names_a is not None and names_b is not None and list(names_a) != list(names_b):
        i = next(i for i, (x, y) in enumerate(zip(names_a, names_b)) if x != y)
        return (
            f"{source_b} names class {i} {names_b[i]!r} but {source_a} names it {names_a[i]!r}: "
            "fusion needs the same classes in the same order"
        )
    return None


def sum_scores(scores: Sequence[np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
    """The paper's fusion of (..., K) softmax scores: their (weighted) sum, accumulated in float64 -> float32."""
    weights = [1.0] * len(scores) if weights is None else weights
    fused = np.zeros(np.shape(scores[0]), dtype=np.float64)
    for w, s in zip(weights, scores):
        fused += float(w) * np.asarray(s, dtype=np.float64)
    return fused.astype(np.float32)


def check_compatible(a: Scores, b: Scores) -> None:
    """Raise ``ScoreFileMismatch`` unless ``a`` and ``b`` cover the same samples, in the same order, and classes."""
    mismatch = class_mismatch(a.source, a.scores.shape[1], a.class_names, b.source, b.scores.shape[1], b.class_names)
    if mismatch:
        raise ScoreFileMismatch(mismatch)
    if a.names.shape[0] != b.names.shape[0]:
        raise ScoreFileMismatch(
            f"{b.source} has {b.names.shape[0]} samples but {a.source} has {a.names.shape[0]}: "
            "the score files must cover the same samples in the same order"
        )
    differ = np.nonzero(a.names != b.names)[0]
    if differ.size:
        i = int(differ[0])
        same_set = set(a.names.tolist()) == set(b.names.tolist())
        hint = " (same samples, different order)" if same_set else ""
        raise ScoreFileMismatch(
            f"{b.source}: sample {i} is {b.names[i]!r} but {a.source} has {a.names[i]!r}{hint}; "
            f"{differ.size} positions differ: the score files must cover the same samples in the same order"
        )
    known = (a.labels >= 0) & (b.labels >= 0)
    bad = np.nonzero(known & (a.labels != b.labels))[0]
    if bad.size:
        i = int(bad[0])
        raise ScoreFileMismatch(
            f"{b.source}: sample {b.names[i]!r} has label {b.labels[i]} but {a.source} says {a.labels[i]}"
        )


def fuse_scores(
    inputs: Sequence[str | Path | Scores | np.ndarray | torch.Tensor], weights: Sequence[float] | None = None
) -> Scores:
    """Two-stream (or n-stream) fusion: the weighted sum of the streams' softmax scores (paper Sec. 2.3).

    Inputs are score files, ``Scores`` or (N, K) arrays (logits are softmaxed); files are checked to cover
    the same samples in the same order and the same classes.
    """
    if len(inputs) == 0:
        raise ValueError("fuse_scores: expected at least one score file")
    streams = [_to_scores(item, i) for i, item in enumerate(inputs)]
    if weights is None:
        weights = [1.0] * len(streams)
    if len(weights) != len(streams):
        raise ValueError(f"fuse_scores: {len(weights)} weights for {len(streams)} score files")
    first = streams[0]
    for other in streams[1:]:
        check_compatible(first, other)
    labels = first.labels.copy()
    for s in streams[1:]:
        labels = np.where(labels >= 0, labels, s.labels)
    class_names = next((s.class_names for s in streams if s.class_names is not None), None)
    return Scores(
        names=first.names,
        scores=sum_scores([s.scores for s in streams], weights),
        labels=labels,
        class_names=class_names,
        source=" + ".join(
            s.source if float(w) == 1.0 else f"{float(w):g}*{s.source}" for w, s in zip(weights, streams)
        ),
    )


def _scores_and_labels(
    item: str | Path | Scores | np.ndarray, labels: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, Scores | None]:
    if isinstance(item, (str, Path)):
        item = load_scores(item)
    if isinstance(item, Scores):
        return item.scores, item.labels, item
    arr = as_scores(item)
    if labels is None:
        raise ValueError("per_class_gain: labels are required when scores are given as arrays")
    return arr, as_labels(labels, arr.shape[0]), None


def per_class_gain(
    scores_a: str | Path | Scores | np.ndarray,
    scores_b: str | Path | Scores | np.ndarray,
    class_names: Sequence[str] | None = None,
    labels: Sequence[int] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Per-class accuracy of model a minus model b, sorted by gain (largest first).

    Columns: ``label, name, samples, accuracy_a, accuracy_b, gain`` (accuracies and gain 0..1).
    """
    lab = None if labels is None else np.asarray(labels, dtype=np.int64)
    sa, la, fa = _scores_and_labels(scores_a, lab)
    sb, lb, fb = _scores_and_labels(scores_b, lab)
    if fa is not None and fb is not None:
        check_compatible(fa, fb)
    elif sa.shape != sb.shape:
        raise ScoreFileMismatch(f"per_class_gain: score shapes differ: {sa.shape} vs {sb.shape}")
    if class_names is None:
        class_names = next((f.class_names for f in (fa, fb) if f is not None and f.class_names), None)
    a = per_class_accuracy(sa, la, class_names)
    b = per_class_accuracy(sb, lb, class_names)
    out = pd.DataFrame(
        {
            "label": a["label"],
            "name": a["name"],
            "samples": a["samples"],
            "accuracy_a": a["accuracy"],
            "accuracy_b": b["accuracy"],
        }
    )
    out["gain"] = out["accuracy_a"] - out["accuracy_b"]
    return out.sort_values(["gain", "label"], ascending=[False, True], na_position="last").reset_index(drop=True)
