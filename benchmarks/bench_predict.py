"""Benchmark ``sttr predict``: one 300-frame sequence and 100 sequences with a paper-size S-TR.

Inputs are raw ``.skeleton`` files of 300 frames (two bodies) written to a temporary folder, so the
time covers reading, body selection, normalisation, batching and the forward pass; model loading is
timed apart. Runs on CPU, and on CUDA when a GPU is present (or ``--devices``).

    python benchmarks/bench_predict.py [--sequences 100] [--batch-size 16] [--threads N] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from sttr.data.ntu import format_skeleton
from sttr.models import ModelConfig, build_model, count_parameters
from sttr.predict import Predictor, load_input
from sttr.runtime import cpu_model


def write_sequences(folder: Path, count: int, frames: int = 300, seed: int = 0) -> list[Path]:
    """``count`` raw .skeleton files of ``frames`` frames with two moving bodies (a random walk per joint)."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        base = rng.normal(0.0, 0.3, size=(2, 25, 3)) + np.array([[0.0, 0.0, 3.0], [0.8, 0.0, 3.2]])[:, None]
        walk = np.cumsum(rng.normal(0.0, 0.004, size=(frames, 2, 25, 3)), axis=0)  # (T, M, V, 3)
        xyz = base[None] + walk
        path = folder / f"S001C001P{i % 40 + 1:03d}R001A{i % 60 + 1:03d}_{i:04d}.skeleton"
        path.write_text(format_skeleton([[xyz[t, 0], xyz[t, 1]] for t in range(frames)]))
        paths.append(path)
    return paths


def time_predict(predictor: Predictor, inputs: list[Path], repeats: int, device: str) -> float:
    """Best wall-clock seconds of ``predictor.predict(inputs)`` over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        preds = predictor.predict(inputs)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
        if not all(p.ok for p in preds):
            raise RuntimeError([p.error for p in preds if not p.ok])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequences", type=int, default=100, help="size of the long list (default: 100)")
    parser.add_argument("--batch-size", type=int, default=16, help="Predictor batch size (default: 16)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--devices", nargs="+", default=None, help="devices (default: cpu, and cuda if present)")
    parser.add_argument("--quick", action="store_true", help="10 sequences, one repeat")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = args.devices or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    n = 10 if args.quick else args.sequences
    repeats = 1 if args.quick else 2  # the single sequence: best of repeats + 1; the list: one run
    torch.manual_seed(0)
    cfg = ModelConfig.paper("spatial")
    model = build_model(cfg).eval()
    print(f"machine: {cpu_model()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    if torch.cuda.is_available():
        print(f"gpu: {torch.cuda.get_device_name(0)}")
    print(f"model: paper S-TR, joints, 60 classes, {count_parameters(model):,} parameters")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ckpt = folder / "paper_spatial.pt"
        torch.save(
            {"format": "sttr-checkpoint", "model_config": cfg.to_dict(), "model_state_dict": model.state_dict(),
             "class_names": None, "modality": "joint", "window": None, "resample": False},
            ckpt,
        )  # fmt: skip
        inputs = write_sequences(folder, n)
        for device in devices:
            start = time.perf_counter()
            predictor = Predictor(ckpt, device=device, batch_size=args.batch_size, progress=False)
            load_s = time.perf_counter() - start
            predictor.predict(inputs[:1])  # warm-up (allocator, kernels)
            one = time_predict(predictor, inputs[:1], repeats + 1, device)
            many = time_predict(predictor, inputs, 1, device)
            rows.append((device, load_s, one, n, many))
        start = time.perf_counter()
        for path in inputs:
            load_input(path)
        prep = (time.perf_counter() - start) / n
    print()
    print(f"| device | load checkpoint (s) | 1 sequence (s) | {n} sequences (s) | sequences/s |")
    print("|---|---:|---:|---:|---:|")
    for device, load_s, one, count, many in rows:
        print(f"| {device} | {load_s:.2f} | {one:.3f} | {many:.2f} | {count / many:.2f} |")
    print(f"\nof which reading + body selection + normalisation (CPU): {1000 * prep:.1f} ms per sequence")


if __name__ == "__main__":
    main()
