"""Training DataLoader throughput at T = 300: samples/s with 0, 1, 2 workers, joints and joints + bones, memmap on disk.

Writes a temporary prepared training split of random data in the paper's shape (N, 3, 300, 25, 2), float32, in
the 2s-AGCN layout (default 4,000 samples, 720 MB) on local disk, then reads it through the trainer's own pieces:
``SkeletonDataset.from_dir`` over the memory-mapped ``.npy`` and ``make_loader`` (batch 32, shuffled, as in
training). ``joint`` is the data of the joints configs; ``joint_bone`` computes the bones on the fly from the
same 3-channel file, as the Dataset does for the joints + bones configs when no bone file was prepared.

Page cache: a ``cold`` pass first drops the file's pages from the page cache (``fsync``, then
``posix_fadvise(DONTNEED)``, which needs no root), so its samples are read from the disk; a ``warm`` pass
follows with the file cached, as in every epoch after the first when the split fits in RAM (NTU-60 X-Sub's
training joints are 7.2 GB). The main process runs one torch thread, like each loader worker.

    python benchmarks/bench_loader.py                                  # 4,000 samples, workers 0 1 2
    python benchmarks/bench_loader.py --samples 1000 --workers 0 1    # quicker
    python benchmarks/bench_loader.py --dir /data/tmp                  # another disk

It ends with what one GPU consumes per preset (an estimate from counted FLOPs at an assumed rate) and the
workers that feed it.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from sttr.data.dataset import SkeletonDataset, make_loader
from sttr.data.formats import write_labels
from sttr.runtime import cpu_model

MODALITIES = ("joint", "joint_bone")
ASSUMED_GPU_TFLOPS = 250.0  # sustained bf16 training rate of one H100/H200, a quarter of its dense peak (README)
LOADER_HEADROOM = 1.25  # workers that feed 1.25x what the GPU consumes


def gpu_consumption(frames: int) -> list[tuple[str, str, float]]:
    """(data, preset, samples/s) one GPU consumes in training at ``ASSUMED_GPU_TFLOPS``, from each paper
    preset's counted FLOPs per training sample at T = ``frames`` (an estimate, not a measurement)."""
    from gpu_check import flops_per_sample  # here: gpu_check imports this module

    from sttr.models import ModelConfig

    rows = []
    for modality, bones in (("joint", False), ("joint_bone", True)):
        for stream in ("spatial", "temporal", "stgcn"):
            train_flops, _ = flops_per_sample(ModelConfig.paper(stream, bones=bones), frames)
            rows.append((modality, stream, ASSUMED_GPU_TFLOPS * 1e12 / train_flops))
    return rows


def write_random_split(folder: Path, split: str, n: int, frames: int, classes: int = 60, seed: int = 0) -> Path:
    """``<split>_data_joint.npy`` (n, 3, frames, 25, 2) of random float32, written in chunks and synced, and its
    label pickle: a prepared split in the 2s-AGCN layout for timing (the benchmarks' stand-in for NTU)."""
    rng = np.random.default_rng(seed)
    path = folder / f"{split}_data_joint.npy"
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 3, frames, 25, 2))
    for start in range(0, n, 256):
        x[start : start + 256] = rng.standard_normal(x[start : start + 256].shape, dtype=np.float32)
    x.flush()
    del x
    labels = rng.integers(0, classes, n).tolist()
    write_labels(folder / f"{split}_label.pkl", [f"S001C001P001R001A{c + 1:03d}_{i}" for i, c in enumerate(labels)], labels)
    return path


def drop_from_page_cache(path: Path) -> None:
    """Write back and evict the file's pages from this machine's page cache (Linux; a no-op elsewhere)."""
    if not hasattr(os, "posix_fadvise"):
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def loader_rate(
    folder: Path, modality: str, workers: int, batch: int, limit: int | None = None, pin_memory: bool = False
) -> float:
    """Steady samples per second of a shuffled pass over at most ``limit`` samples (None: all): the clock starts
    once the batches the workers prepared during their start-up (2 per worker, the loader's prefetch) are taken,
    at most half of the pass's batches, so that a small split is timed too."""
    ds = SkeletonDataset.from_dir(folder, split="train", modality=modality)
    loader = make_loader(ds, batch, shuffle=True, seed=1, num_workers=workers, pin_memory=pin_memory)
    if len(loader) < 2:
        raise ValueError(f"{folder}: {len(ds)} samples make {len(loader)} batch(es) of {batch}; timing needs 2")
    skip = min(max(1, 2 * workers), len(loader) // 2)
    limit = len(ds) if limit is None else limit
    seen, start = 0, 0.0
    for i, (x, _, _) in enumerate(loader):
        if i == skip:
            start = time.perf_counter()
        elif i > skip:
            seen += x.shape[0]
            if seen >= limit:
                break
    elapsed = time.perf_counter() - start
    if seen == 0:
        raise ValueError(f"{folder}: {len(ds)} samples leave none to time after {skip + 1} batches of {batch}")
    del loader, ds
    gc.collect()  # unmap the memory map before the next cold pass evicts its pages
    return seen / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=4000, help="samples in the split (4,000 x 180 kB = 720 MB)")
    parser.add_argument("--limit", type=int, default=2000, help="samples timed per pass (after the first batches)")
    parser.add_argument("--frames", type=int, default=300, help="sequence length T (paper: 300)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch (paper: 32)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2], help="DataLoader workers to measure")
    parser.add_argument("--dir", default=None, help="where the temporary split is written (default: the system's temp)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} CPUs, torch {torch.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}, load average {load:.1f}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )
    mb = args.samples * 3 * args.frames * 25 * 2 * 4 / 1e6
    print(
        f"split: {args.samples} samples (3, {args.frames}, 25, 2) float32, {mb:.0f} MB memory-mapped; "
        f"batch {args.batch_size}, shuffled; {args.limit} samples timed per pass after the start-up batches"
    )
    header = f"| {'data':10} | {'workers':>7} | {'cache':5} | {'samples/s':>9} | {'samples/s per worker':>20} |"
    print(header)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    warm_per_worker: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sttr-bench-loader-", dir=args.dir) as tmp:
        folder = Path(tmp)
        path = write_random_split(folder, "train", args.samples, args.frames)
        for modality in MODALITIES:
            for workers in args.workers:
                for cache in ("cold", "warm"):
                    if cache == "cold":
                        drop_from_page_cache(path)
                    rate = loader_rate(folder, modality, workers, args.batch_size, args.limit)
                    per_worker = rate / max(workers, 1)
                    if cache == "warm" and workers >= 1:
                        warm_per_worker[modality] = min(per_worker, warm_per_worker.get(modality, per_worker))
                    print(
                        f"| {modality:10} | {workers:7d} | {cache:5} | {rate:9.0f} | {per_worker:20.0f} |", flush=True
                    )
    print(
        f"\nwhat one GPU consumes in training at an assumed {ASSUMED_GPU_TFLOPS:.0f} TFLOP/s (counted FLOPs per sample "
        f"at T = {args.frames}), and the workers that feed {LOADER_HEADROOM}x that at the lowest warm per-worker rate:"
    )
    print("| data       | preset   | GPU samples/s (estimate) | loader samples/s per worker | workers |")
    print("|------------|----------|-------------------------:|----------------------------:|--------:|")
    for modality, stream, gpu_rate in gpu_consumption(args.frames):
        per_worker = warm_per_worker.get(modality)
        need = "-" if per_worker is None else str(math.ceil(LOADER_HEADROOM * gpu_rate / per_worker))
        loader = "-" if per_worker is None else f"{per_worker:.0f}"
        print(f"| {modality:10} | {stream:8} | {gpu_rate:24.0f} | {loader:>27} | {need:>7} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end: {load:.1f}")
    print("workers 0: the main process reads; samples/s per worker = samples/s / max(workers, 1)")


if __name__ == "__main__":
    main()
