"""The one inference loop (training's validation and ``python -m sttr evaluate`` both run it) and the
evaluation of a checkpoint on a prepared split."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from sttr.checkpoint import LoadedModel, check_modality, load_checkpoint
from sttr.distributed import DistEnv, all_gather_objects
from sttr.evaluation.scores import Scores, save_scores, softmax
from sttr.skeleton import layout_of_joints

if TYPE_CHECKING:
    from sttr.data.dataset import SkeletonDataset


def autocast(device: torch.device, amp: str | None):
    """``torch.autocast`` for ``amp`` = "bf16" or "fp16" on ``device``; no autocast for None."""
    if amp is None:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


@torch.no_grad()
def infer(
    model: nn.Module,
    loader: Any,
    device: torch.device,
    amp: str | None = None,
    max_batches: int | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Logits of the samples of ``loader`` (items ``(x, label, index)``), in eval mode: (indices (N,), logits
    (N, K) float32), as this process sees them (a DDP rank sees its shard; see ``gather``)."""
    model.eval()
    n_batches = len(loader) if max_batches is None else min(len(loader), max_batches)
    indices, logits = [], []
    with autocast(device, amp):
        for step, (x, _, index) in enumerate(tqdm(loader, total=n_batches, desc="eval", leave=False, disable=not progress)):
            if step >= n_batches:
                break
            out = model(x.to(device, non_blocking=True))  # (N, K)
            indices.append(torch.as_tensor(index).reshape(-1).cpu())
            logits.append(out.float().cpu())
    if not logits:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    return torch.cat(indices).numpy().astype(np.int64), torch.cat(logits).numpy()


def gather(index: np.ndarray, logits: np.ndarray, env: DistEnv) -> tuple[np.ndarray, np.ndarray]:
    """Every rank's (index, logits), each sample once, in dataset order (``DistributedSampler`` pads the last
    batch with repeated samples); a single process only sorts and de-duplicates."""
    parts = all_gather_objects((index, logits), env)
    all_index = np.concatenate([p[0] for p in parts])
    all_logits = np.concatenate([p[1] for p in parts])
    keep, first = np.unique(all_index, return_index=True)
    return keep, all_logits[first]


def check_layout(dataset: SkeletonDataset, loaded: LoadedModel) -> None:
    """Raise ``ValueError`` naming both unless the split's joints and persons (N, C, T, V, M) fit the model."""
    _, _, _, v, m = dataset.data.shape
    cfg = loaded.config
    if v != cfg.num_joints:
        data = layout_of_joints(v, str(dataset.data_path)).title
        raise ValueError(
            f"{dataset.data_path}: {v} joints ({data}) but {loaded.source} is a model of the "
            f"{loaded.layout.title} graph ({cfg.num_joints} joints)"
        )
    if m != cfg.num_persons:
        raise ValueError(f"{dataset.data_path}: {m} persons but {loaded.source} takes {cfg.num_persons}")


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

    The checkpoint's modality/window/resample are used unless ``modality`` overrides (the authors' and our
    Kinetics checkpoints: the full length); the authors' checkpoints take the class names of the split's
    ``label_names.json`` when it names as many classes; writes scores to ``out``.
    """
    from sttr.data.dataset import SkeletonDataset, make_loader

    device = torch.device(device)
    loaded = load_checkpoint(checkpoint, device=device)
    modality = modality or loaded.modality
    check_modality(modality, loaded.in_channels, loaded.source)
    kwargs: dict[str, Any] = {"modality": modality}
    if loaded.window is not None:
        kwargs.update(window=loaded.window, resample=loaded.resample)
    dataset = SkeletonDataset.from_dir(split_dir, split=split, **kwargs)
    check_layout(dataset, loaded)
    labels_all = np.asarray(dataset.labels, dtype=np.int64)
    if labels_all.size and labels_all.max() >= loaded.num_classes:
        raise ValueError(
            f"{split_dir}: labels go up to {labels_all.max()} but {loaded.source} has {loaded.num_classes} classes"
        )
    loader = make_loader(dataset, batch_size=batch_size, shuffle=False, seed=0, num_workers=num_workers)
    idx, probs = gather(*infer(loaded.model, loader, device, progress=progress), DistEnv())
    probs = softmax(probs)
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
