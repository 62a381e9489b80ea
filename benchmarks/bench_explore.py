"""Benchmark the attention explorer: redraw time per control change, and the first (uncached) view of a sample.

Models are the mini profile's size (small preset, 2 heads, 32-frame windows, 60 classes) with random weights,
S-TR and T-TR together, on a random 300-frame validation split. A redraw is what the widget does on a control
change: the view's arrays from the cache, the figure redrawn, its PNG written. The first view of a sample
adds both streams' forward passes with attention.

    python benchmarks/bench_explore.py [--repeats 20] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import torch

from sttr.data.formats import write_agcn
from sttr.explore import Explorer, View
from sttr.models import ModelConfig, build_model
from sttr.runtime import cpu_model

CLASSES = 60
WINDOW = 32


def mini_explorer(folder: Path, samples: int = 16) -> Explorer:
    """S-TR and T-TR of the mini profile's size (random weights) on a random validation split in ``folder``."""
    rng = np.random.default_rng(0)
    data = rng.normal(size=(samples, 3, 300, 25, 2)).astype(np.float32)
    names = [f"S001C001P001R001A{i % CLASSES + 1:03d}" for i in range(samples)]
    labels = [i % CLASSES for i in range(samples)]
    write_agcn(folder / "val_data_joint.npy", folder / "val_label.pkl", data, names, labels)
    (folder / "label_names.json").write_text(json.dumps([f"class {i}" for i in range(CLASSES)]))
    payloads = []
    for seed, stream in enumerate(("spatial", "temporal")):
        torch.manual_seed(seed)
        cfg = ModelConfig.small(stream, heads=2, num_classes=CLASSES)
        payloads.append({"format": "sttr-checkpoint", "version": 1, "model_config": cfg.to_dict(),
                         "model_state_dict": build_model(cfg).state_dict(), "modality": "joint", "window": WINDOW,
                         "resample": True})  # fmt: skip
    return Explorer.from_checkpoints(payloads, split_dir=folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20, help="redraws per control (default: 20)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        ex = mini_explorer(Path(tmp))
        base = ex.default_view(sample=0)
        ex.png(base)  # warm-up: matplotlib's first draw loads fonts
        changes = {
            "unit": lambda v, i: replace(v, unit=ex.units[i % len(ex.units)]),
            "head": lambda v, i: replace(v, head=None if i % 3 == 2 else i % 3),
            "frame": lambda v, i: replace(v, frame=i % WINDOW),
            "joint": lambda v, i: replace(v, joint=i % 25),
            "stream": lambda v, i: replace(v, stream=ex.streams[i % 2]),
        }
        rows = [(name, _timed(ex, [change(base, i + 1) for i in range(args.repeats)]))
                for name, change in changes.items()]  # fmt: skip
        rows.append(("new sample", _timed(ex, [replace(base, sample=s) for s in range(1, 6)])))
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores, load average {load}, torch threads: {torch.get_num_threads()}")
    print(f"models: small preset, 2 heads, {WINDOW}-frame windows, {CLASSES} classes (S-TR and T-TR)")
    print("| change | wall median (ms) | wall max (ms) | CPU median (ms) |")
    print("|---|---:|---:|---:|")
    for control, (wall, worst, cpu) in rows:
        print(f"| {control} | {wall:.0f} | {worst:.0f} | {cpu:.0f} |")
    print("(new sample: both streams' forward pass with attention, then the redraw)")


def _timed(ex: Explorer, views: list[View]) -> tuple[float, float, float]:
    """Median and largest wall-clock ms of ``ex.png`` over ``views``, and its median CPU (process) ms."""
    wall, cpu = [], []
    for view in views:
        start, start_cpu = time.perf_counter(), time.process_time()
        ex.png(view)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1e3 * float(np.median(wall)), 1e3 * float(np.max(wall)), 1e3 * float(np.median(cpu))


if __name__ == "__main__":
    main()
