"""Training and evaluation throughput of the paper configuration, data loading included, and the time of a full run.

Writes a temporary prepared split of random data in the paper's shape (N, 3, 300, 25, 2), then times the
trainer's pieces (SkeletonDataset, make_loader, build_model, SGD step with cross-entropy) per stream:
fp32 on the CPU, fp32 and bf16 on CUDA when present. The estimate of a 120-epoch NTU-60 X-Sub run uses
40,091 training and 16,487 validation samples (40,320 / 16,560 before the 302 samples with missing
skeletons are left out).

    python benchmarks/bench_train.py --quick          # a few batches, a few minutes on a laptop CPU
    python benchmarks/bench_train.py --batch-size 32  # the paper's batch (GPU)
    python benchmarks/bench_train.py --preset small --frames 64 --batch-size 32   # the mini profile's model
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from bench_loader import write_random_split

from sttr.data.dataset import SkeletonDataset, make_loader
from sttr.experiment import ExperimentConfig
from sttr.models import ModelConfig, build_model
from sttr.runtime import cpu_model
from sttr.train import build_optimizer

NTU60_XSUB_TRAIN = 40_091
NTU60_XSUB_VAL = 16_487
EPOCHS = 120


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    split: Path,
    model_cfg: ModelConfig,
    amp: str | None,
    device: torch.device,
    batch: int,
    warmup: int,
    steps: int,
    workers: int,
) -> dict[str, float]:
    """Samples per second of training steps and of evaluation batches, data loading included."""
    cfg = ExperimentConfig.from_dict(
        {
            "name": "bench",
            "out_dir": str(split / "out"),
            "data": {"dir": str(split), "modality": "joint_bone" if model_cfg.in_channels == 6 else "joint", "num_workers": workers},
            "model": model_cfg.to_dict(),
            "train": {"batch_size": batch, "amp": amp},
        }
    )
    torch.manual_seed(0)
    model = build_model(cfg.model).to(device)
    optimizer = build_optimizer(model, cfg)
    dtype = torch.bfloat16 if amp == "bf16" else torch.float32
    autocast = torch.autocast(device.type, dtype=dtype, enabled=amp is not None)
    out: dict[str, float] = {}
    for split_name in ("train", "val"):
        ds = SkeletonDataset.from_dir(split, split=split_name, modality=cfg.data.modality)
        loader = make_loader(ds, batch, shuffle=split_name == "train", seed=0, num_workers=workers)
        training = split_name == "train"
        model.train(training)
        seen, start = 0, 0.0
        with torch.set_grad_enabled(training):
            for i, (x, y, _) in enumerate(loader):
                if i == warmup:
                    _sync(device)
                    start, seen = time.perf_counter(), 0
                if i == warmup + steps:
                    break
                x, y = x.to(device, non_blocking=True), torch.as_tensor(y).to(device)
                with autocast:
                    logits = model(x)  # (N, K)
                if training:
                    loss = F.cross_entropy(logits.float(), y)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                seen += x.shape[0]
        _sync(device)
        out[split_name] = seen / (time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 warm-up and 2 timed batches per measurement")
    parser.add_argument("--batch-size", type=int, default=None, help="default 8 on the CPU, 32 (the paper's) on CUDA")
    parser.add_argument("--steps", type=int, default=5, help="timed batches per measurement (without --quick)")
    parser.add_argument("--frames", type=int, default=300, help="sequence length T (paper: 300)")
    parser.add_argument("--streams", nargs="+", default=["spatial", "temporal", "stgcn"])
    parser.add_argument("--preset", default="paper", choices=["paper", "small"], help="model preset (small: the mini profile's)")
    parser.add_argument("--bones", action="store_true", help="joints+bones models (6 channels; the paper preset doubles the widths)")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers (default 0 on CPU, 4 on CUDA)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    batch = args.batch_size or (32 if cuda else 8)
    workers = args.workers if args.workers is not None else (4 if cuda else 0)
    warmup, steps = (1, 2) if args.quick else (2, args.steps)
    modes = [None, "bf16"] if cuda else [None]
    name = torch.cuda.get_device_name(0) if cuda else cpu_model()
    print(f"device: {name}; torch {torch.__version__}; CPU threads {torch.get_num_threads()}; preset {args.preset}; "
          f"batch {batch}; T={args.frames}; workers {workers}; {warmup} warm-up + {steps} timed batches")  # fmt: skip
    print(f"full run: {EPOCHS} epochs of NTU-60 X-Sub ({NTU60_XSUB_TRAIN} train + {NTU60_XSUB_VAL} val samples)")
    header = f"| {'stream':8} | {'input':6} | {'precision':9} | {'train samples/s':>15} | {'eval samples/s':>14} | {'s/epoch':>9} | {'120 epochs (h)':>14} |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        split = Path(tmp)
        for part, seed in (("train", 0), ("val", 1)):
            write_random_split(split, part, n=batch * (warmup + steps), frames=args.frames, classes=60, seed=seed)
        for stream in args.streams:
            for amp in modes:
                model_cfg = ModelConfig.preset(args.preset, stream=stream, bones=args.bones)
                r = measure(split, model_cfg, amp, device, batch, warmup, steps, workers)
                epoch_s = NTU60_XSUB_TRAIN / r["train"] + NTU60_XSUB_VAL / r["val"]
                print(
                    f"| {stream:8} | {'bones' if args.bones else 'joints':6} | {amp or 'fp32':9} | {r['train']:15.2f} | "
                    f"{r['val']:14.2f} | {epoch_s:9.0f} | {EPOCHS * epoch_s / 3600:14.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
