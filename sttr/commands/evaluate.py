"""Evaluate a checkpoint on a prepared split: print top-1/top-5 and write per-sample softmax scores.

CKPT is a checkpoint of `python -m sttr train` (its stored modality, window rule and class names are
used; a window for training only means the full length here) or one of the authors' released .pt files,
NTU or Kinetics-skeleton (read through load_official: 3 input channels -> joints, 6 -> joints+bones; the
full 300 frames; class names from SPLIT_DIR/label_names.json when it names as many classes, else NTU-60/120
names from the class count, else "class i"). SPLIT_DIR is a folder written by `python -m sttr prepare-ntu`
(e.g. data/ntu60/xsub) or `python -m sttr prepare-kinetics` (e.g. data/kinetics), or the 2s-AGCN layout
({train,val}_data_joint.npy + {train,val}_label.pkl); its skeleton must be the checkpoint's graph.

Examples:
  python -m sttr evaluate --checkpoint runs/mini/spatial/best.pt --data data/mini/xsub \\
      --out results/mini/scores/spatial_val.npz
  python -m sttr evaluate --checkpoint kinetics_spatial.pt --data data/kinetics --out kinetics_spatial.npz
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m sttr evaluate`."""
    parser.add_argument("--checkpoint", required=True, metavar="CKPT",
                        help="checkpoint to evaluate: ours (best.pt/last.pt) or an authors' .pt file")
    parser.add_argument("--data", required=True, metavar="SPLIT_DIR",
                        help="prepared split folder holding {split}_data_joint.npy and {split}_label.pkl")
    parser.add_argument("--split", default="val", choices=("train", "val"),
                        help="which split of SPLIT_DIR to evaluate (default: val)")
    parser.add_argument("--modality", choices=("joint", "bone", "joint_bone"), default=None,
                        help="input modality; default: the checkpoint's (authors': joint for 3 channels, "
                             "joint_bone for 6)")
    parser.add_argument("--out", metavar="SCORES.npz", default=None,
                        help="write per-sample softmax scores, names and labels here (input of `sttr fuse`)")
    parser.add_argument("--per-class", metavar="CSV", default=None,
                        help="also write per-class accuracy with the action names to this CSV file")
    parser.add_argument("--batch-size", type=int, default=32, help="samples per forward pass (default: 32)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default), cuda, cuda:1, ...")
    parser.add_argument("--workers", type=int, default=0, help="data-loader worker processes (default: 0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the accuracies, write the score file; exit 1 with a message on bad input."""
    from sttr.evaluation.inference import evaluate_checkpoint
    from sttr.evaluation.metrics import per_class_accuracy

    try:
        result = evaluate_checkpoint(
            args.checkpoint,
            args.data,
            split=args.split,
            modality=args.modality,
            batch_size=args.batch_size,
            device=args.device,
            num_workers=args.workers,
            progress=not args.no_progress,
            out=args.out,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    s = result.scores
    print(f"checkpoint: {result.checkpoint}")
    print(f"data:       {result.split_dir} ({result.split}, {s.scores.shape[0]} samples, modality {result.modality})")
    print(f"top-1:      {100 * result.top1:.2f}%")
    print(f"top-5:      {100 * result.top5:.2f}%")
    if args.out:
        print(f"scores:     {args.out}")
    if args.per_class:
        df = per_class_accuracy(s.scores, s.labels, s.class_names)
        df.to_csv(args.per_class, index=False)
        print(f"per-class:  {args.per_class}")
    return 0
