"""Fuse the score files of two (or more) streams: the paper's sum of softmax scores (Sec. 2.3).

Each input is a .npz written by `python -m sttr evaluate --out` (or by training: scores_last.npz, scores_best.npz). The
files must cover the same samples in the same order and the same classes; otherwise the command stops
and names the first difference. Prints top-1/top-5 of every stream and of the fusion.

Example:
  python -m sttr fuse results/mini/scores/spatial_val.npz results/mini/scores/temporal_val.npz \\
      --out results/mini/scores/fused_val.npz
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m sttr fuse`."""
    parser.add_argument("scores", nargs="+", metavar="SCORES.npz",
                        help="score files of the streams to fuse (two for the paper's 2s-ST-TR)")
    parser.add_argument("--weights", nargs="+", type=float, default=None, metavar="W",
                        help="one weight per score file (default: 1 each, the paper's plain sum)")
    parser.add_argument("--out", metavar="FUSED.npz", default=None,
                        help="write the fused scores (their weighted sum) here, same format as the inputs")
    parser.add_argument("--per-class", metavar="CSV", default=None,
                        help="write the fused per-class accuracy with the action names to this CSV file")


def run(args: argparse.Namespace) -> int:
    """Fuse, print per-stream and fused accuracies; exit 1 with a message when the files do not match."""
    from sttr.evaluation.metrics import per_class_accuracy
    from sttr.evaluation.scores import fuse_scores, load_scores, save_scores

    try:
        streams = [load_scores(p) for p in args.scores]
        fused = fuse_scores(streams, args.weights)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = [(s.source, s) for s in streams] + [("fused: " + fused.source, fused)]
    width = max(len(label) for label, _ in rows)
    print(f"{'scores':<{width}}  {'top-1':>7}  {'top-5':>7}")
    for label, s in rows:
        print(f"{label:<{width}}  {100 * s.top1():6.2f}%  {100 * s.top5():6.2f}%")
    if args.out:
        save_scores(args.out, fused.names, fused.scores, fused.labels, fused.class_names, from_logits=False)
        print(f"fused scores written to {args.out}")
    if args.per_class:
        per_class_accuracy(fused.scores, fused.labels, fused.class_names).to_csv(args.per_class, index=False)
        print(f"per-class accuracy written to {args.per_class}")
    return 0
