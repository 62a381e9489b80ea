"""Per-sample scores, top-k accuracy, per-class accuracy, confusion, two-stream fusion and result tables.

Score files (``save_scores`` / ``load_scores``) are ``.npz`` archives read with ``allow_pickle=False``:
``names`` (N,) unicode sample names, ``scores`` (N, K) float32 softmax probabilities, ``labels`` (N,)
int64 (-1 where unknown) and optionally ``class_names`` (K,) unicode. Fusion is the paper's (Sec. 2.3):
the streams' softmax scores are summed ("the sub-networks outputs are eventually fused together by
summing up their softmax output scores").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from sttr.skeleton import MODALITY_CHANNELS

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "sttr-checkpoint"
NTU_FRAMES = 300  # NTU's longest sequence; the authors' models see T = 300 frames


class CheckpointError(ValueError):
    """A file that is not a model checkpoint of ours or of the authors (the message names the file)."""


class ScoreFileMismatch(ValueError):
    """Score files that cannot be fused or compared: different samples, order or classes."""


# ----------------------------------------------------------------------------------------------
# scores and accuracies


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


def _as_scores(scores: np.ndarray | torch.Tensor, what: str = "scores") -> np.ndarray:
    if isinstance(scores, torch.Tensor):
        scores = scores.detach().cpu().numpy()
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(f"{what}: expected a (N, K) array of scores, got shape {scores.shape}")
    return scores


def _as_labels(labels: Sequence[int] | np.ndarray | torch.Tensor, n: int, what: str = "labels") -> np.ndarray:
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    if labels.shape[0] != n:
        raise ValueError(f"{what}: expected {n} labels (one per sample), got {labels.shape[0]}")
    return labels


def _predictions(scores_or_preds: np.ndarray | torch.Tensor, n_labels: int) -> np.ndarray:
    """Predicted classes from (N, K) scores (argmax) or from (N,) predicted labels."""
    if isinstance(scores_or_preds, torch.Tensor):
        scores_or_preds = scores_or_preds.detach().cpu().numpy()
    arr = np.asarray(scores_or_preds)
    if arr.ndim == 2:
        arr = arr.argmax(axis=1)
    elif arr.ndim != 1:
        raise ValueError(f"expected (N, K) scores or (N,) predictions, got shape {arr.shape}")
    if arr.shape[0] != n_labels:
        raise ValueError(f"expected {n_labels} predictions (one per label), got {arr.shape[0]}")
    return arr.astype(np.int64)


def topk_accuracy(scores: np.ndarray | torch.Tensor, labels: Sequence[int] | np.ndarray, k: int = 1) -> float:
    """Fraction (0..1) of samples whose label is among the ``k`` highest scores (top-1, top-5)."""
    scores = _as_scores(scores)
    labels = _as_labels(labels, scores.shape[0])
    if scores.shape[0] == 0:
        return float("nan")
    k = max(1, min(int(k), scores.shape[1]))
    # (N, k) indices of the k largest scores; argpartition is O(K) per row.
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def default_class_names(num_classes: int) -> list[str]:
    """NTU-60 or NTU-120 action names for 60 or 120 classes, else ``class i``."""
    if num_classes in (60, 120):
        from sttr.data.names import action_names

        return list(action_names(num_classes))
    return [f"class {i}" for i in range(num_classes)]


def per_class_accuracy(
    scores_or_preds: np.ndarray | torch.Tensor,
    labels: Sequence[int] | np.ndarray,
    class_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Accuracy of each class: columns ``label, name, samples, correct, accuracy`` (accuracy 0..1, NaN if no sample)."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    preds = _predictions(scores_or_preds, labels.shape[0])
    arr = np.asarray(scores_or_preds.detach().cpu() if isinstance(scores_or_preds, torch.Tensor) else scores_or_preds)
    k = arr.shape[1] if arr.ndim == 2 else int(max(labels.max(initial=-1), preds.max(initial=-1)) + 1)
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
    preds = _predictions(scores_or_preds, labels.shape[0])
    arr = np.asarray(scores_or_preds.detach().cpu() if isinstance(scores_or_preds, torch.Tensor) else scores_or_preds)
    if num_classes is None:
        num_classes = arr.shape[1] if arr.ndim == 2 else int(max(labels.max(initial=-1), preds.max(initial=-1)) + 1)
    keep = labels >= 0
    flat = labels[keep] * num_classes + preds[keep]
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


# ----------------------------------------------------------------------------------------------
# score files


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
    scores = _as_scores(scores, str(path))
    names = np.asarray([str(n) for n in names], dtype=np.str_)
    if names.shape[0] != scores.shape[0]:
        raise ValueError(f"{path}: {names.shape[0]} sample names for {scores.shape[0]} score rows")
    labels = _as_labels(labels, scores.shape[0], f"{path}: labels")
    if from_logits or (from_logits is None and not is_probability(scores)):
        log.debug("%s: scores are not probabilities; storing their softmax", path)
        scores = softmax(scores)
    arrays: dict[str, np.ndarray] = {"names": names, "scores": scores.astype(np.float32), "labels": labels}
    if class_names is not None:
        if len(class_names) != scores.shape[1]:
            raise ValueError(f"{path}: {len(class_names)} class names for {scores.shape[1]} classes")
        arrays["class_names"] = np.asarray([str(c) for c in class_names], dtype=np.str_)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
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
                    "(expected names, scores, labels as written by sttr.evaluate.save_scores)"
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
    arr = _as_scores(item, f"input {index}")
    if not is_probability(arr):
        arr = softmax(arr)
    n = arr.shape[0]
    return Scores(
        names=np.asarray([str(i) for i in range(n)], dtype=np.str_),
        scores=arr.astype(np.float32),
        labels=np.full(n, -1, dtype=np.int64),
        source=f"<array {index}>",
    )


def check_compatible(a: Scores, b: Scores) -> None:
    """Raise ``ScoreFileMismatch`` unless ``a`` and ``b`` cover the same samples, in the same order, and classes."""
    if a.scores.shape[1] != b.scores.shape[1]:
        raise ScoreFileMismatch(
            f"{b.source} has {b.scores.shape[1]} classes but {a.source} has {a.scores.shape[1]}: "
            "fusion needs models trained on the same classes"
        )
    if a.class_names is not None and b.class_names is not None and a.class_names != b.class_names:
        diff = next(i for i, (x, y) in enumerate(zip(a.class_names, b.class_names)) if x != y)
        raise ScoreFileMismatch(
            f"{b.source} names class {diff} {b.class_names[diff]!r} but {a.source} names it "
            f"{a.class_names[diff]!r}: fusion needs the same classes in the same order"
        )
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
    fused = np.zeros_like(first.scores, dtype=np.float64)
    for w, s in zip(weights, streams):
        fused += float(w) * s.scores.astype(np.float64)
    labels = first.labels.copy()
    for s in streams[1:]:
        labels = np.where(labels >= 0, labels, s.labels)
    class_names = next((s.class_names for s in streams if s.class_names is not None), None)
    return Scores(
        names=first.names,
        scores=fused.astype(np.float32),
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
    arr = _as_scores(item)
    if labels is None:
        raise ValueError("per_class_gain: labels are required when scores are given as arrays")
    return arr, _as_labels(labels, arr.shape[0]), None


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


# ----------------------------------------------------------------------------------------------
# checkpoints and evaluation


@dataclass
class LoadedModel:
    """A model in eval mode with what inference needs to feed it like training did."""

    model: nn.Module
    config: Any  # sttr.models.ModelConfig
    class_names: list[str]
    modality: str  # joint | bone | joint_bone
    window: int | None
    resample: bool
    source: str
    kind: str  # "sttr" (our trainer) or "official" (the authors' weights)
    extra: dict = field(default_factory=dict)

    @property
    def in_channels(self) -> int:
        return int(self.config.in_channels)

    @property
    def num_classes(self) -> int:
        return int(self.config.num_classes)

    @property
    def stream(self) -> str:
        return str(self.config.stream)


def _config_of(model: nn.Module, source: str) -> Any:
    for attr in ("config", "cfg"):
        cfg = getattr(model, attr, None)
        if cfg is not None and hasattr(cfg, "in_channels"):
            return cfg
    raise CheckpointError(f"{source}: the loaded model carries no ModelConfig (.config)")


def check_modality(modality: str, channels: int, source: str) -> None:
    """Raise ``CheckpointError`` unless ``modality`` is known and gives the model's ``channels`` inputs."""
    if modality not in MODALITY_CHANNELS:
        raise CheckpointError(f"{source}: modality {modality!r}, expected one of {sorted(MODALITY_CHANNELS)}")
    if MODALITY_CHANNELS[modality] != channels:
        raise CheckpointError(
            f"{source}: the model takes {channels} channels but modality {modality!r} "
            f"gives {MODALITY_CHANNELS[modality]}"
        )


def _modality_for(channels: int, source: str) -> str:
    if channels == 3:
        return "joint"
    if channels == 6:
        return "joint_bone"
    raise CheckpointError(f"{source}: model takes {channels} input channels; expected 3 (joints) or 6 (joints+bones)")


def load_checkpoint(checkpoint: str | Path | dict, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a checkpoint of our trainer ("format": "sttr-checkpoint") or the authors' weights (``load_official``).

    Authors' checkpoints take modality ``joint`` for 3 input channels and ``joint_bone`` for 6, the full
    300-frame window and NTU class names by class count.
    """
    from sttr.models import ModelConfig, build_model
    from sttr.models.official import load_official

    source = "<state dict>" if isinstance(checkpoint, dict) else str(checkpoint)
    if isinstance(checkpoint, dict):
        obj: Any = checkpoint
    else:
        path = Path(checkpoint)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: checkpoint not found")
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            raise CheckpointError(
                f"{path}: not a PyTorch checkpoint ({type(exc).__name__}: {first_line}); "
                "expected a file written by `python -m sttr train` or one of the authors' released .pt files"
            ) from exc
    if not isinstance(obj, dict):
        raise CheckpointError(
            f"{source}: holds a {type(obj).__name__}, expected a checkpoint dict (our trainer's) or a model state dict"
        )
    if obj.get("format") == CHECKPOINT_FORMAT:
        try:
            cfg = ModelConfig.from_dict(obj["model_config"])
            model = build_model(cfg)
            model.load_state_dict(obj["model_state_dict"], strict=True)
        except KeyError as exc:
            raise CheckpointError(f"{source}: sttr checkpoint without the field {exc}") from exc
        except (RuntimeError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{source}: the weights do not fit the stored model_config: {exc}") from exc
        modality = str(obj.get("modality") or _modality_for(cfg.in_channels, source))
        check_modality(modality, cfg.in_channels, source)
        class_names = list(obj.get("class_names") or default_class_names(cfg.num_classes))
        if len(class_names) != cfg.num_classes:
            raise CheckpointError(f"{source}: {len(class_names)} class names for a {cfg.num_classes}-class model")
        window = obj.get("window")
        loaded = LoadedModel(
            model=model,
            config=cfg,
            class_names=class_names,
            modality=modality,
            window=None if window is None else int(window),
            resample=bool(obj.get("resample", False)),
            source=source,
            kind="sttr",
            extra={k: obj[k] for k in ("epoch", "experiment") if k in obj},
        )
    else:
        try:
            model = load_official(obj)
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(
                f"{source}: not a model checkpoint: expected our trainer's checkpoint (\"format\": "
                f"\"{CHECKPOINT_FORMAT}\") or the authors' model state dict (bare, or under "
                f"\"model_state_dict\"): {exc}"
            ) from exc
        cfg = _config_of(model, source)
        loaded = LoadedModel(
            model=model,
            config=cfg,
            class_names=default_class_names(int(cfg.num_classes)),
            modality=_modality_for(int(cfg.in_channels), source),
            window=None,
            resample=False,
            source=source,
            kind="official",
        )
    loaded.model.to(device).eval()
    log.info("loaded %s: %s checkpoint, %s stream, %s, %d classes", source, loaded.kind, loaded.stream,
             loaded.modality, loaded.num_classes)
    return loaded


@torch.no_grad()
def predict_scores(
    model: nn.Module, loader: Any, device: str | torch.device = "cpu", progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax scores of every sample in ``loader`` (items ``(x, label, index)``): (indices (N,), scores (N, K)).

    Rows are sorted by dataset index, each index kept once.
    """
    model.eval()
    device = torch.device(device)
    indices: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    for batch in tqdm(loader, desc="evaluate", disable=not progress, leave=False):
        x, index = batch[0], batch[2]
        logits = model(x.to(device, non_blocking=True).float())  # (N, K)
        scores.append(softmax(logits))
        indices.append(np.asarray(index.cpu() if isinstance(index, torch.Tensor) else index, dtype=np.int64))
    if not scores:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    idx = np.concatenate(indices)
    sc = np.concatenate(scores)
    idx, first = np.unique(idx, return_index=True)
    return idx, sc[first]


@dataclass(frozen=True)
class EvaluationResult:
    """Scores of one checkpoint on one split, with its accuracies (0..1)."""

    scores: Scores
    top1: float
    top5: float
    checkpoint: str
    split_dir: str
    split: str
    modality: str


def evaluate_checkpoint(
    checkpoint: str | Path | dict,
    split_dir: str | Path,
    split: str = "val",
    modality: str | None = None,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    num_workers: int = 0,
    progress: bool = True,
    out: str | Path | None = None,
) -> EvaluationResult:
    """Evaluate our or the authors' checkpoint on a prepared split (``{split}_data_joint.npy`` + labels).

    The checkpoint's modality/window/resample are used unless ``modality`` overrides; writes scores to ``out``.
    """
    from sttr.data.dataset import SkeletonDataset, make_loader

    loaded = load_checkpoint(checkpoint, device=device)
    modality = modality or loaded.modality
    check_modality(modality, loaded.in_channels, loaded.source)
    kwargs: dict[str, Any] = {"modality": modality}
    if loaded.window is not None:
        kwargs.update(window=loaded.window, resample=loaded.resample)
    dataset = SkeletonDataset.from_dir(split_dir, split=split, **kwargs)
    labels_all = np.asarray(dataset.labels, dtype=np.int64)
    if labels_all.size and labels_all.max() >= loaded.num_classes:
        raise ValueError(
            f"{split_dir}: labels go up to {labels_all.max()} but {loaded.source} has {loaded.num_classes} classes"
        )
    loader = make_loader(dataset, batch_size=batch_size, shuffle=False, seed=0, num_workers=num_workers)
    idx, probs = predict_scores(loaded.model, loader, device=device, progress=progress)
    names = np.asarray([str(dataset.sample_names[i]) for i in idx], dtype=np.str_)
    class_names = list(loaded.class_names)
    ds_names = getattr(dataset, "class_names", None)
    if loaded.kind == "official" and ds_names and len(ds_names) == loaded.num_classes:
        class_names = list(ds_names)
    scores = Scores(
        names=names,
        scores=probs,
        labels=labels_all[idx],
        class_names=tuple(class_names),
        source=str(out) if out is not None else loaded.source,
    )
    if out is not None:
        save_scores(out, scores.names, scores.scores, scores.labels, class_names)
    return EvaluationResult(
        scores=scores,
        top1=scores.top1(),
        top5=scores.top5(),
        checkpoint=loaded.source,
        split_dir=str(split_dir),
        split=split,
        modality=modality,
    )


# ----------------------------------------------------------------------------------------------
# tables


def accuracy_row(model: str, scores: Scores) -> dict[str, Any]:
    """One results-table row: model, samples, top-1 and top-5 in percent."""
    return {
        "model": model,
        "samples": int(scores.scores.shape[0]),
        "top1": 100.0 * scores.top1(),
        "top5": 100.0 * scores.top5(),
    }


def summary_table(rows: Sequence[dict[str, Any]] | pd.DataFrame, data: str, profile: str) -> pd.DataFrame:
    """A results table with ``data`` (dataset/benchmark) and ``profile`` columns, so no number loses its context."""
    df = pd.DataFrame(rows).copy()
    df.insert(0, "profile", profile)
    df.insert(0, "data", data)
    return df


def dataframe_to_markdown(df: pd.DataFrame, caption: str | None = None, float_format: str = "{:.1f}") -> str:
    """A GitHub Markdown table of ``df`` (no extra dependency), with an optional caption line above it."""

    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if math.isnan(v) else float_format.format(v)
        return str(v).replace("|", "\\|")

    cols = [str(c) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    lines = []
    if caption:
        lines += [caption, ""]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_table(
    df: pd.DataFrame, path_stem: str | Path, caption: str | None = None, float_format: str = "{:.1f}"
) -> tuple[Path, Path]:
    """Write ``df`` as ``<stem>.csv`` and ``<stem>.md`` (Markdown with ``caption``); returns both paths."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv_path = stem.with_suffix(".csv")
    md_path = stem.with_suffix(".md")
    df.to_csv(csv_path, index=False)
    md_path.write_text(dataframe_to_markdown(df, caption, float_format), encoding="utf-8")
    return csv_path, md_path


def write_summary(
    rows: Sequence[dict[str, Any]] | pd.DataFrame,
    path_stem: str | Path,
    data: str,
    profile: str,
    title: str = "Results",
) -> pd.DataFrame:
    """``summary_table`` written to CSV and Markdown, the caption naming the data and the profile."""
    df = summary_table(rows, data, profile)
    write_table(df, path_stem, caption=f"**{title}** (data: {data}; profile: {profile}; accuracy in %)")
    return df
