"""Predict the action of one's own skeleton sequences with a trained or an authors' checkpoint.

INPUT, for an NTU model (25 Kinect v2 joints, x y z): a raw NTU .skeleton file (read, the two most active
bodies kept and normalised exactly as `prepare-ntu` does), a .npy prepared in the 2s-AGCN layout,
(C, T, 25, M) or (N, C, T, 25, M) (used as is), or a .npy of 3D keypoints (M, T, 25, 3) as pyskl stores them
(normalised here).

INPUT, for a Kinetics-skeleton model (18 OpenPose joints, x y score): a Kinetics-skeleton clip .json in
ST-GCN's format, a .npy of OpenPose-18 keypoints (M, T, 18, 3) or of COCO-17 keypoints (M, T, 17, 3) of a
2D pose estimator (x, y, score; x and y as fractions of the frame's width and height, in [0, 1]), both
converted as prepare-kinetics converts a clip (COCO's neck is the midpoint of the shoulders; the output's
note says so), or a prepared (C, T, 18, M) / (N, C, T, 18, M) .npy (used as is).

A 4-axis array whose last axis has size 3 is keypoints; otherwise it is (C, T, V, M). An input whose
skeleton is not the checkpoint's graph is refused with a message naming both. Bones are computed when the
checkpoint needs them.

Two --checkpoint options give the paper's two-stream fusion (sum of the softmax scores); their graph and
classes must be the same. A sequence longer than a model's window is fitted by the checkpoint's rule
(resampled, or cropped) and the output says so in a note. --class-names names the classes of checkpoints
that carry no names (the authors' Kinetics-skeleton ones): a label_names.json, or the prepared folder
holding one.

Exit status: 0 when every input was predicted, 1 when any input failed (the others are still
predicted and printed), 2 when a checkpoint cannot be used.

Examples (a file of the synthetic set with models of the mini profile; a Kinetics-skeleton clip and COCO-17
keypoints with an authors' Kinetics checkpoint):
  python -m sttr predict data/mini/raw/S001C001P001R001A010.skeleton \\
      --checkpoint runs/mini/spatial/best.pt --checkpoint runs/mini/temporal/best.pt --json pred.json
  python -m sttr predict clip.json poses_coco.npy --checkpoint kinetics_spatial.pt \\
      --class-names data/kinetics/label_names.json
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m sttr predict`."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help=".skeleton files, Kinetics-skeleton .json clips, prepared .npy arrays or keypoint "
                             ".npy arrays (M, T, V, 3): V = 25 NTU 3D, 18 OpenPose 2D, 17 COCO 2D")
    parser.add_argument("--checkpoint", action="append", required=True, metavar="CKPT",
                        help="our trainer's checkpoint or an authors' .pt; give it twice for two-stream fusion")
    parser.add_argument("--top-k", type=int, default=5, help="how many actions to list per input (default: 5)")
    parser.add_argument("--class-names", metavar="LABEL_NAMES", default=None,
                        help="class names for checkpoints that carry none: a label_names.json (written by "
                             "prepare-ntu / prepare-kinetics) or the folder holding it")
    parser.add_argument("--json", metavar="OUT.json", default=None,
                        help="also write the predictions as JSON (schema sttr-predictions/1, see sttr.predict)")
    parser.add_argument("--attention-figure", metavar="OUT.png", default=None,
                        help="save the attention map of the first input that was predicted: the SSA "
                             "joint-by-joint map (S-TR) or the TSA frame-by-frame map (T-TR) of the last "
                             "attention layer, averaged over heads (and frames or joints)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default), cuda, cuda:1, ...")
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per forward pass (default: 16)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Predict, print a table per input, write JSON/figure; non-zero exit when anything failed."""
    from sttr.checkpoint import CheckpointError
    from sttr.predict import Predictor, format_table, write_json
    from sttr.predict.figure import attention_figure

    try:
        predictor = Predictor(args.checkpoint, device=args.device, top_k=args.top_k, batch_size=args.batch_size,
                              progress=not args.no_progress, class_names=args.class_names)
    except (CheckpointError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    predictions = predictor.predict(args.inputs)
    print(format_table(predictions), end="")
    failed = [p for p in predictions if not p.ok]
    if args.json:
        write_json(predictions, predictor, args.json)
        print(f"predictions written to {args.json}")
    if args.attention_figure:
        first = next((p for p in predictions if p.ok), None)
        if first is None:
            print("error: no input was predicted, so there is no attention map to draw", file=sys.stderr)
            return 1
        try:
            out = attention_figure(predictor.attention(first.source), args.attention_figure)
        except ValueError as exc:
            print(f"error: attention figure: {exc}", file=sys.stderr)
            return 1
        print(f"attention map of {first.name} written to {out}")
    if failed:
        print(f"error: {len(failed)} of {len(predictions)} inputs could not be predicted:", file=sys.stderr)
        for p in failed:
            print(f"  {p.error}", file=sys.stderr)
        return 1
    return 0
