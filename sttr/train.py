"""The training loop (paper recipe: SGD Nesterov, MultiStepLR, cross-entropy), with checkpoints, exact resume, AMP and DDP.

Reads top to bottom like nanoGPT's train.py: DDP comes from torchrun's environment, gradient accumulation and
autocast are a few visible lines. ``train(config)`` is what the CLI and the notebooks call.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from sttr.atomic import atomic_write
from sttr.checkpoint import read_checkpoint, save_checkpoint, training_payload
from sttr.data.dataset import SkeletonDataset, make_loader
from sttr.data.names import default_class_names
from sttr.distributed import DistEnv, all_gather_objects, all_reduce_sum, env_from_torchrun, setup, teardown
from sttr.evaluation.inference import autocast, gather, infer
from sttr.evaluation.metrics import topk_accuracy
from sttr.evaluation.scores import save_scores
from sttr.experiment import ConfigError, ExperimentConfig, TrainConfig, apply_overrides, load_config, validate
from sttr.models import build_model
from sttr.runtime import tune_cpu_allocator

logger = logging.getLogger(__name__)

# What a run writes into its out_dir besides last.pt and best.pt.
METRICS_FILE = "metrics.jsonl"
LAST_SCORES = "scores_last.npz"  # validation scores of the last evaluated epoch: the numbers we report
BEST_SCORES = "scores_best.npz"  # validation scores of the best epoch: the authors' selection


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message names the epoch and step and suggests fixes."""


@dataclass(frozen=True)
class TrainResult:
    """Where a finished run put its outputs, and its final and best validation metrics (top-k as fractions 0..1)."""

    out_dir: Path
    best_checkpoint: Path
    last_checkpoint: Path
    metrics_path: Path
    scores_path: Path | None  # validation scores of the best epoch (the authors' selection)
    last_scores_path: Path | None = None  # validation scores of the last evaluated epoch
    final_metrics: dict[str, Any] = field(default_factory=dict)
    best_top1: float = float("nan")
    best_epoch: int = 0


def resolve_device(name: str, env: DistEnv) -> torch.device:
    """``auto`` -> this process's GPU when CUDA is present, else the CPU; ``cuda`` without CUDA is an error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"train.device={name!r} but CUDA is not available; use 'auto' or 'cpu'")
        return torch.device("cuda", env.local_rank) if name == "cuda" else torch.device(name)
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA) so a CPU run is repeatable."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """The torch / CUDA / NumPy / Python RNG states as tensors and plain lists (loadable with weights_only=True)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "python": [py_state[0], list(py_state[1]), py_state[2]],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the states written by ``rng_state``."""
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n[0], np.asarray(n[1], dtype=np.uint32), n[2], n[3], n[4]))
    p = state["python"]
    random.setstate((p[0], tuple(p[1]), p[2]))


def build_optimizer(model: nn.Module, cfg: ExperimentConfig) -> torch.optim.Optimizer:
    """SGD with (Nesterov) momentum and weight decay on every parameter, as in the paper."""
    tc = cfg.train
    return torch.optim.SGD(
        model.parameters(), lr=tc.lr, momentum=tc.momentum, nesterov=tc.nesterov, weight_decay=tc.weight_decay
    )


def lr_factor(epoch: int, tc: TrainConfig) -> float:
    """The learning rate of 0-based ``epoch`` as a fraction of ``tc.lr``: the warm-up ramp, then the step
    schedule (x gamma at each milestone passed; the paper: x0.1 at 60 and 90) or a cosine decay to zero."""
    if epoch < tc.warmup_epochs:
        return (epoch + 1) / (tc.warmup_epochs + 1)
    if tc.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * (epoch - tc.warmup_epochs) / (tc.epochs - tc.warmup_epochs)))
    return tc.gamma ** sum(epoch >= m for m in tc.milestones)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: ExperimentConfig) -> torch.optim.lr_scheduler.LambdaLR:
    """The epoch-wise learning rate of ``lr_factor``, stepped once per epoch."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: lr_factor(epoch, cfg.train))


def build_datasets(cfg: ExperimentConfig) -> tuple[SkeletonDataset, SkeletonDataset]:
    """The training split (window and augmentation as configured) and the validation split (no augmentation,
    the evaluation window: full length when ``data.window_scope`` is "train", as the authors' Kinetics feeder)."""
    d = cfg.data
    train_ds = SkeletonDataset.from_dir(
        d.dir, split="train", modality=d.modality, window=d.window, resample=d.resample,
        random_shift=d.random_shift, random_move=d.random_move, random_choose=d.random_choose,
    )  # fmt: skip
    val_ds = SkeletonDataset.from_dir(
        d.dir, split="val", modality=d.modality, window=d.eval_window, resample=d.eval_resample
    )
    return train_ds, val_ds


def _evaluate(
    model: nn.Module, val_ds: SkeletonDataset, cfg: ExperimentConfig, env: DistEnv, device: torch.device, progress: bool
) -> dict[str, Any]:
    """Logits of every validation sample exactly once (each rank scores its shard; ``gather`` joins them),
    with the validation loss and top-1 / top-5."""
    tc = cfg.train
    loader = make_loader(
        val_ds,
        tc.batch_size,
        shuffle=False,
        seed=tc.seed,
        num_workers=cfg.data.num_workers,
        distributed=env.enabled,
        pin_memory=device.type == "cuda",
    )
    local = infer(model, loader, device, tc.amp, tc.max_batches, progress and env.is_main)
    index, logits = gather(*local, env)  # (N_val,), (N_val, K)
    labels = np.asarray(val_ds.labels)[index]
    log_probs = torch.log_softmax(torch.from_numpy(logits), dim=1)
    val_loss = float(F.nll_loss(log_probs, torch.from_numpy(labels).long()))
    return {
        "index": index,
        "scores": logits,
        "labels": labels,
        "val_loss": val_loss,
        "top1": topk_accuracy(logits, labels, 1),
        "top5": topk_accuracy(logits, labels, 5),
    }


class PadToBatch(nn.Module):
    """Evaluation through a compiled model at one batch size: a short last batch is padded with zeros to
    ``batch`` samples and the padding's logits dropped, so that it does not recompile. Exact in eval mode, where
    every sample's logits depend on that sample only (BN running statistics, no dropout)."""

    def __init__(self, model: nn.Module, batch: int) -> None:
        super().__init__()
        self.model, self.batch = model, batch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, T, V, M), N <= batch -> (N, K)."""
        n = x.shape[0]
        if n < self.batch:
            x = torch.cat([x, x.new_zeros((self.batch - n, *x.shape[1:]))])  # (batch, C, T, V, M)
        return self.model(x)[:n]


def configure_device(device: torch.device) -> None:
    """cuDNN autotuning on CUDA: the input shapes are fixed (batch, C, T, V, M), so the fastest convolution
    algorithm is searched once per shape and reused."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True


def restore_scaler(scaler: torch.amp.GradScaler, state: dict[str, Any], path: Path) -> None:
    """The checkpoint's loss-scaler state; a run without fp16 saved none (an empty dict), and an fp16 run that
    resumes from it starts with a fresh scale, as a new fp16 run does."""
    if not state and scaler.is_enabled():
        logger.info("%s: no fp16 loss-scaler state (saved without train.amp=fp16); starting a fresh scale", path)
        return
    scaler.load_state_dict(state)


def freeze_unused_parameters(model: nn.Module, example: torch.Tensor) -> list[str]:
    """Stop gradients of parameters the forward pass never uses (e.g. the authors' unused ``person_bn``), which
    DDP would otherwise wait for; a single-process run leaves such parameters unchanged anyway. Returns their names."""
    was_training = model.training
    model.eval()  # no running-statistics update, no dropout
    with torch.random.fork_rng(devices=[]):
        model(example).float().sum().backward()
    unused = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    for name, p in model.named_parameters():
        p.grad = None
        if name in unused:
            p.requires_grad_(False)
    model.train(was_training)
    return unused


def _diverged(cfg: ExperimentConfig, epoch: int, step: int, value: float, lr: float) -> TrainingDiverged:
    hints = [
        f"lower train.lr (now {lr:g})",
        "with train.amp=fp16 try amp=bf16 or amp=null",
        f"check the prepared data for NaN/inf (np.isfinite over {Path(cfg.data.dir) / 'train_data_joint.npy'})",
        f"resume from {Path(cfg.out_dir) / 'last.pt'} with a lower lr (--resume train.lr=...)",
    ]
    return TrainingDiverged(
        f"{cfg.name}: the training loss became {value} at epoch {epoch}, step {step}; stopped. Hints: " + "; ".join(hints)
    )


def loss_stats(pending: list[torch.Tensor], env: DistEnv) -> torch.Tensor:
    """The (loss sum, count) of each pending step, summed over ranks, on the CPU: (steps, 2) float64. One
    all-reduce and one device-to-host copy for ``train.loss_every`` steps, so that the GPU is not stalled each step."""
    return all_reduce_sum(torch.stack(pending), env).cpu()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The per-epoch rows of a run's ``metrics.jsonl`` (none when the file does not exist)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write_metrics(path: Path, rows: list[dict[str, Any]]) -> None:
    with atomic_write(path, "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))


def _class_names(ds: SkeletonDataset, num_classes: int) -> list[str]:
    names = list(getattr(ds, "class_names", None) or [])
    return [str(n) for n in names] if len(names) == num_classes else default_class_names(num_classes)


def train(
    cfg: ExperimentConfig | str | Path,
    overrides: Sequence[str] = (),
    progress: bool = True,
    resume: bool = False,
) -> TrainResult:
    """Train one stream as the config says; with ``resume`` continue from ``out_dir/last.pt`` bit for bit (CPU).

    Launch under ``torchrun`` for DistributedDataParallel (one process per GPU, or gloo on CPU).
    """
    if isinstance(cfg, ExperimentConfig):
        if overrides:
            cfg = ExperimentConfig.from_dict(apply_overrides(cfg.to_dict(), overrides, cfg.source), source=cfg.source)
    else:
        cfg = load_config(cfg, overrides)
    validate(cfg)
    tune_cpu_allocator()
    if cfg.train.threads is not None:
        torch.set_num_threads(cfg.train.threads)
    if cfg.train.amp == "fp16" and not (cfg.train.device != "cpu" and torch.cuda.is_available()):
        raise ConfigError(f"{cfg.source}: train.amp='fp16' needs CUDA; use amp='bf16' or null on the CPU")
    env = env_from_torchrun()
    device = resolve_device(cfg.train.device, env)
    env = setup(device)
    configure_device(device)
    try:
        result = _train(cfg, env, device, progress, resume)
    except BaseException:
        teardown()
        raise
    teardown(synchronize=True)
    return result


def _train(cfg: ExperimentConfig, env: DistEnv, device: torch.device, progress: bool, resume: bool) -> TrainResult:
    tc = cfg.train
    out = Path(cfg.out_dir)
    last_path, best_path = out / "last.pt", out / "best.pt"
    metrics_path, scores_path, last_scores_path = out / METRICS_FILE, out / BEST_SCORES, out / LAST_SCORES
    if env.is_main:
        out.mkdir(parents=True, exist_ok=True)
    seed_everything(tc.seed + env.rank)

    train_ds, val_ds = build_datasets(cfg)
    class_names = _class_names(val_ds, cfg.model.num_classes)
    model = build_model(cfg.model).to(device)
    if tc.sync_bn and env.enabled:
        if device.type != "cuda" and env.world_size > 1:
            raise ConfigError(f"{cfg.source}: train.sync_bn needs CUDA (torch's SyncBatchNorm runs on GPUs only)")
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # every BN, the SSA/TSA input BN included
    raw_model = model  # the module whose state_dict keys go into checkpoints
    optimizer = build_optimizer(raw_model, cfg)
    scheduler = build_scheduler(optimizer, cfg)
    scaler = torch.amp.GradScaler(device.type, enabled=tc.amp == "fp16")

    start_epoch, best_top1, best_epoch, restored_rng = 0, -math.inf, 0, None
    if resume and last_path.is_file():
        ckpt = read_checkpoint(last_path)  # CPU tensors: RNG states must stay on the CPU
        if ckpt["model_config"] != cfg.model.to_dict():
            raise ConfigError(f"{last_path}: its model_config differs from {cfg.source}; resume needs the same model")
        raw_model.load_state_dict(ckpt["model_state_dict"])
        optimizer.load_state_dict(ckpt["optimizer_state_dict"])
        scheduler.load_state_dict(ckpt["scheduler_state_dict"])
        restore_scaler(scaler, ckpt["scaler_state_dict"], last_path)
        start_epoch, best_top1, best_epoch = ckpt["epoch"], ckpt["best_top1"], ckpt.get("best_epoch", 0)
        per_rank = ckpt.get("rng_per_rank") or []
        restored_rng = per_rank[env.rank] if len(per_rank) == env.world_size else ckpt["rng"]
        if env.is_main:
            _write_metrics(metrics_path, [r for r in read_metrics(metrics_path) if r["epoch"] <= start_epoch])
        logger.info("resuming %s from %s after epoch %d", cfg.name, last_path, start_epoch)
    else:
        if resume:
            logger.warning("--resume: %s not found, starting from scratch", last_path)
        if env.is_main and metrics_path.exists():
            metrics_path.unlink()

    model = raw_model
    if env.enabled:
        example = val_ds[0][0].unsqueeze(0).to(device)  # (1, C, T, V, M)
        frozen = freeze_unused_parameters(raw_model, example)
        if frozen:
            logger.info("DDP: parameters unused by forward kept fixed: %s", ", ".join(frozen))
        model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    eval_model: nn.Module = raw_model  # evaluation needs no DDP: each rank scores its shard, ``gather`` joins them
    if tc.compile:  # after DDP, as PyTorch documents; one batch size: training drops the short last batch
        model = torch.compile(model)
        eval_model = PadToBatch(torch.compile(raw_model), tc.batch_size)
    if restored_rng is not None:
        set_rng_state(restored_rng)  # last: nothing above may draw from the RNGs after this point

    metrics: dict[str, Any] = {}
    for epoch in range(start_epoch, tc.epochs):
        t0 = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        loader = make_loader(
            train_ds,
            tc.batch_size,
            shuffle=True,
            seed=(tc.seed * 1000 + epoch) % 2**31,  # a fresh, reproducible order each epoch (also after resume)
            num_workers=cfg.data.num_workers,
            drop_last=tc.compile,  # a compiled step sees one batch size (at most batch_size - 1 samples left out)
            distributed=env.enabled,
            pin_memory=device.type == "cuda",  # non_blocking copies below are asynchronous only from pinned memory
        )
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        n_batches = len(loader) if tc.max_batches is None else min(len(loader), tc.max_batches)
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss_sum = torch.zeros((), dtype=torch.float64)
        n_seen = 0
        pending: list[torch.Tensor] = []  # (loss sum, count) of the steps since the loss last reached the CPU
        bar = tqdm(
            total=n_batches, desc=f"epoch {epoch + 1}/{tc.epochs}", leave=False, disable=not (progress and env.is_main)
        )
        for step, (x, y, _) in enumerate(loader):
            if step >= n_batches:
                break
            x = x.to(device, non_blocking=True)  # (N, C, T, V, M)
            y = torch.as_tensor(y).to(device, non_blocking=True).long()
            update = (step + 1) % tc.grad_accum == 0 or step + 1 == n_batches
            sync = model.no_sync() if env.enabled and not update else nullcontext()  # DDP: all-reduce only on update
            with sync:
                with autocast(device, tc.amp):
                    logits = model(x)  # (N, K)
                loss = F.cross_entropy(logits.float(), y)
                n = torch.tensor(float(x.shape[0]), dtype=torch.float64, device=device)
                pending.append(torch.stack([loss.detach().double() * n, n]))  # stays on the device
                scaler.scale(loss / tc.grad_accum).backward()
            if update:
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
            bar.update(1)
            if len(pending) == tc.loss_every or step + 1 == n_batches:
                stats = loss_stats(pending, env)  # (steps, 2): (loss sum, count) over ranks
                for i, stat in enumerate(stats, start=step + 2 - len(pending)):
                    if not math.isfinite(float(stat[0])):
                        raise _diverged(cfg, epoch + 1, i, float(stat[0]), lr)
                    loss_sum += stat[0]
                    n_seen += int(stat[1])
                pending = []
                bar.set_postfix(loss=f"{float(stats[-1, 0]) / float(stats[-1, 1]):.4f}")
        bar.close()
        scheduler.step()

        metrics = {"epoch": epoch + 1, "train_loss": float(loss_sum) / max(n_seen, 1), "lr": lr}
        last_epoch = epoch + 1 == tc.epochs
        is_best = evaluated = False
        if (epoch + 1) % tc.eval_every == 0 or last_epoch:
            evaluated = True
            ev = _evaluate(eval_model, val_ds, cfg, env, device, progress)
            metrics.update(val_loss=ev["val_loss"], top1=ev["top1"], top5=ev["top5"], val_samples=len(ev["index"]))
            is_best = ev["top1"] > best_top1
            if is_best:
                best_top1, best_epoch = ev["top1"], epoch + 1
        metrics["seconds"] = time.perf_counter() - t0
        rngs = all_gather_objects(rng_state(), env)
        if env.is_main:
            payload = training_payload(
                model_config=cfg.model,
                model_state=raw_model.state_dict(),
                training_state={
                    "optimizer_state_dict": optimizer.state_dict(),
                    "scheduler_state_dict": scheduler.state_dict(),
                    "scaler_state_dict": scaler.state_dict(),
                    "rng": rngs[0],
                    "rng_per_rank": rngs if env.world_size > 1 else [],
                    "epoch": epoch + 1,
                    "best_top1": best_top1,
                    "best_epoch": best_epoch,
                    "metrics": metrics,
                    "world_size": env.world_size,
                },
                experiment=cfg.to_dict(),
                class_names=class_names,
                modality=cfg.data.modality,
                window=cfg.data.eval_window,  # the input rule of evaluate and predict
                resample=cfg.data.eval_resample,
            )
            if evaluated:  # scores first: a crash before the checkpoint only repeats this epoch on resume
                names = [str(val_ds.sample_names[i]) for i in ev["index"]]
                save_scores(last_scores_path, names, ev["scores"], ev["labels"], class_names)
            if is_best:
                save_scores(scores_path, names, ev["scores"], ev["labels"], class_names)
                save_checkpoint(best_path, payload)
            save_checkpoint(last_path, payload)
            _write_metrics(metrics_path, [*read_metrics(metrics_path), metrics])
            logger.info(
                "%s epoch %d/%d: loss %.4f, top-1 %s, top-5 %s, lr %g, %.1f s",
                cfg.name,
                epoch + 1,
                tc.epochs,
                metrics["train_loss"],
                f"{100 * metrics['top1']:.2f}%" if "top1" in metrics else "-",
                f"{100 * metrics['top5']:.2f}%" if "top5" in metrics else "-",
                lr,
                metrics["seconds"],
            )

    if not metrics:
        rows = read_metrics(metrics_path)
        metrics = rows[-1] if rows else {}
    return TrainResult(
        out_dir=out,
        best_checkpoint=best_path,
        last_checkpoint=last_path,
        metrics_path=metrics_path,
        scores_path=scores_path if scores_path.exists() else None,
        last_scores_path=last_scores_path if last_scores_path.exists() else None,
        final_metrics=metrics,
        best_top1=best_top1,
        best_epoch=best_epoch,
    )
