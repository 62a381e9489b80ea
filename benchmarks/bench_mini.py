"""Training throughput of a CPU profile's runs (default: mini), and the training time of its pipeline.

Times the trainer's pieces on the profile's own prepared split (``SkeletonDataset`` with the profile's window
rule, ``make_loader``, ``build_model``, an SGD step with cross-entropy; the evaluation pass in eval mode) for
each stream: one process with 1 and 2 torch threads, and two single-thread processes side by side (how
``runs.workers: 2`` trains). From the measured rates it estimates the training minutes of the profile's
pipeline: every stream with its seeds on joints and its bones seeds on joints + bones, for the profile's
epochs and evaluation schedule. Prepare the split first (``make reproduce`` does, or notebook 01).

    python benchmarks/bench_mini.py                 # about 2 minutes on 2 cores
    python benchmarks/bench_mini.py --batches 40    # steadier numbers
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sttr.data.dataset import make_loader  # noqa: E402
from sttr.experiment import load_config, load_profile  # noqa: E402
from sttr.models import build_model  # noqa: E402
from sttr.runtime import cpu_isa, cpu_model, tune_cpu_allocator  # noqa: E402
from sttr.train import build_datasets, build_optimizer  # noqa: E402

STREAMS = ("stgcn", "spatial", "temporal")


def measure(config: Path, threads: int, batches: int) -> dict[str, float]:
    """Training and evaluation samples/s of one stream config in this process with ``threads`` threads."""
    torch.set_num_threads(threads)
    cfg = load_config(config)
    train_ds, val_ds = build_datasets(cfg)  # the trainer's splits and window rules
    torch.manual_seed(0)
    model = build_model(cfg.model)
    optimizer = build_optimizer(model, cfg)
    loader = make_loader(train_ds, cfg.train.batch_size, shuffle=True, seed=0)
    model.train()
    n, t0 = 0, 0.0
    for step, (x, y, _) in enumerate(loader):
        if step == 2:  # two warm-up steps
            n, t0 = 0, time.perf_counter()
        if step == batches + 2:
            break
        loss = F.cross_entropy(model(x), torch.as_tensor(y).long())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        n += x.shape[0]
    train_rate = n / (time.perf_counter() - t0)
    model.eval()
    val = make_loader(val_ds, cfg.train.batch_size, shuffle=False, seed=0)
    n, t0 = 0, time.perf_counter()
    with torch.no_grad():
        for step, (x, _, _) in enumerate(val):
            if step == batches:
                break
            model(x)
            n += x.shape[0]
    return {"train": train_rate, "eval": n / (time.perf_counter() - t0), "train_samples": len(train_ds),
            "val_samples": len(val_ds)}  # fmt: skip


def _child(config: Path, threads: int, batches: int) -> subprocess.Popen:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks.bench_mini import measure; "
            f"print(json.dumps(measure({str(config)!r}, {threads}, {batches})))")  # fmt: skip
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def side_by_side(config: Path, batches: int) -> dict[str, float]:
    """Two single-thread processes on the same config at once: their summed samples/s."""
    procs = [_child(config, 1, batches) for _ in range(2)]
    results = [json.loads(p.communicate()[0]) for p in procs]
    return {"train": sum(r["train"] for r in results), "eval": sum(r["eval"] for r in results)}


def pipeline_minutes(profile: str, rates: dict[str, dict[str, float]], sizes: dict[str, float]) -> float:
    """Training wall time (min) of the profile's runs at the two-process rates: every stream's joint and bones
    seeds, each epoch a training pass and (every ``eval_every`` epochs and the last) a validation pass."""
    prof = load_profile(profile)
    runs = [(stream, prof.config_path(stream, bones), seeds, bones) for stream in STREAMS
            for bones, seeds in ((False, prof.runs.seeds), (True, prof.runs.bones_seeds))]
    # the controls beside the stream files, e.g. temporal_relative.yaml (notebook 08), with the joint seeds
    runs += [(path.stem.split("_")[0], path, prof.runs.seeds, False) for path in sorted(prof.folder.glob("*_relative.yaml"))]
    total = 0.0
    for stream, config, seeds, bones in runs:
        tc = load_config(config).train
        evals = len({e for e in range(1, tc.epochs + 1) if e % tc.eval_every == 0} | {tc.epochs})
        per_run = tc.epochs * sizes["train"] / rates[stream]["train"] + evals * sizes["val"] / rates[stream]["eval"]
        total += len(seeds) * per_run * (1.05 if bones else 1.0)  # bones: 6 input channels, a little more
    return total / 60.0  # the rates are already two processes' sums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="mini")
    parser.add_argument("--batches", type=int, default=20, help="timed batches per measurement")
    args = parser.parse_args()
    tune_cpu_allocator()
    profile = load_profile(args.profile)
    print(f"profile {args.profile}; {cpu_model()} ({cpu_isa()}); torch {torch.__version__}; {time.strftime('%Y-%m-%d')}")
    print(f"{'stream':<9} {'setting':<22} {'train samples/s':>16} {'eval samples/s':>15}")
    rates, sizes = {}, {}
    for stream in STREAMS:
        config = profile.config_path(stream)
        for threads in (1, 2):
            r = measure(config, threads, args.batches)
            sizes = {"train": r["train_samples"], "val": r["val_samples"]}
            print(f"{stream:<9} {f'1 process, {threads} thread(s)':<22} {r['train']:>16.1f} {r['eval']:>15.1f}")
        rates[stream] = side_by_side(config, args.batches)
        print(f"{stream:<9} {'2 processes x 1 thread':<22} {rates[stream]['train']:>16.1f} {rates[stream]['eval']:>15.1f}")
    minutes = pipeline_minutes(args.profile, rates, sizes)
    runs = profile.runs
    print(f"\nestimated training time of the {args.profile} pipeline ({len(runs.seeds)} joint and "
          f"{len(runs.bones_seeds)} bones seed(s) per stream, and the controls beside the stream files, 2 processes): "
          f"{minutes:.1f} min")
    return 0 if math.isfinite(minutes) else 1


if __name__ == "__main__":
    sys.exit(main())
