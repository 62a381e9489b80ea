"""Train one stream (S-TR, T-TR or ST-GCN) from a YAML config, with the paper's recipe by default.

Outputs go to the config's out_dir: last.pt and best.pt (checkpoints), metrics.jsonl (one line per epoch:
train_loss, top1, top5 as fractions, lr, seconds), scores_last.npz (validation softmax scores of the last
epoch: what the companion reports) and scores_best.npz (of the best validation epoch: the authors'
selection); both are inputs of `python -m sttr fuse`.

A config file in configs/<profile>/ holds only what differs from its profile (profile.yaml beside it);
--print-config shows the effective config, which every run also saves with its checkpoints.

Examples:
  python -m sttr train --config configs/mini/spatial.yaml
  python -m sttr train --config configs/ntu60-xsub/spatial_bones.yaml --print-config
  python -m sttr train --config configs/ntu60-xsub/spatial.yaml train.amp=bf16 data.num_workers=8
  python -m sttr train --config configs/ntu60-xsub/spatial.yaml --resume
  python -m torch.distributed.run --nproc_per_node 4 -m sttr train --config configs/ntu60-xsub/temporal.yaml train.batch_size=8

train.batch_size is per process and per forward pass: the effective batch is batch_size x grad_accum x
processes, so with 4 GPUs use train.batch_size=8 to keep the paper's 32 (one small GPU: batch_size=8
grad_accum=4).

Exit status: 0 done, 2 the config does not fit its data (nothing trained), 1 the loss diverged (NaN/inf).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m sttr train``."""
    parser.add_argument(
        "--config",
        required=True,
        metavar="CONFIG",
        help="experiment YAML (sections data, model, train; e.g. configs/ntu60-xsub/spatial.yaml)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from OUT_DIR/last.pt (model, optimizer, scheduler, RNG states): "
        "on the CPU with the same seed the result equals an uninterrupted run",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no tqdm progress bars (logs and CI); the per-epoch log stays"
    )
    parser.add_argument(
        "--print-config", action="store_true",
        help="print the effective config (profile + this file + overrides) as YAML and exit without training",
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="override config values with dotted keys, values read as YAML: train.epochs=2 train.lr=0.05 "
        "train.amp=bf16 train.batch_size=8 train.grad_accum=4 train.compile=true train.sync_bn=true "
        "train.max_batches=10 data.num_workers=8 model.dropout=0.3 out_dir=runs/try name=try",
    )


def run(args: argparse.Namespace) -> int:
    """Validate the config against its data, train, and print where the outputs are."""
    from sttr.experiment import ConfigError, load_config
    from sttr.train import TrainingDiverged, train

    if args.print_config:
        import yaml

        try:
            print(yaml.safe_dump(load_config(args.config, args.overrides).to_dict(), sort_keys=False), end="")
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        return 0
    try:
        result = train(args.config, overrides=args.overrides, progress=not args.no_progress, resume=args.resume)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    from sttr.distributed import env_from_torchrun

    if env_from_torchrun().is_main:
        m = result.final_metrics
        top1 = f"{100 * m['top1']:.2f}%" if "top1" in m else "-"
        print(f"done: {result.out_dir} (last epoch {m.get('epoch', '-')}, top-1 {top1}, best {100 * result.best_top1:.2f}% at epoch {result.best_epoch})")
        print(f"checkpoints: {result.best_checkpoint}, {result.last_checkpoint}")
        print(f"metrics: {result.metrics_path}; validation scores: {result.last_scores_path} (last epoch), "
              f"{result.scores_path} (best epoch)")
    return 0
