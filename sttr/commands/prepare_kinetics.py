"""Turn ST-GCN's Kinetics-skeleton JSON clips into 2s-AGCN arrays, as the authors' kinetics_gendata.py does.

RAW_DIR is the kinetics-skeleton folder: kinetics_train/ and kinetics_val/ (one JSON per clip) and
kinetics_train_label.json, kinetics_val_label.json. Writes OUT_DIR/{train,val}_data_joint.npy
(N, 3, 300, 18, 2) float32 (x, y, score), {train,val}_label.pkl (clip file names, label_index),
{train,val}_num_frames.npy, label_names.json and prepare_report.json, which lists every malformed or
unlabelled file. Clips are in file-name order; clips marked has_skeleton false are left out (counted in
the report). Malformed files are skipped (exit 0) unless --strict (exit 1, naming them). Example, the data
of the kinetics profile (configs/kinetics/) and a run on it:

    python -m sttr prepare-kinetics data/kinetics-skeleton data/kinetics
    python -m sttr train --config configs/kinetics/temporal_bones.yaml
"""

from __future__ import annotations

import argparse
import sys

from sttr.data.kinetics import SPLITS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``prepare-kinetics``."""
    parser.add_argument("raw_dir", metavar="RAW_DIR", help="the kinetics-skeleton folder")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output folder")
    parser.add_argument("--split", action="append", choices=SPLITS, dest="splits",
                        help="split to prepare; repeat for both (default: train and val)")  # fmt: skip
    parser.add_argument("--bones", action="store_true", help="also write {train,val}_data_bone.npy")
    parser.add_argument(
        "--joint-bones", action="store_true", help="also write {train,val}_data_joint_bone.npy (6 channels)"
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 1) if any clip file is malformed or unlabelled")  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _listing(items: list[dict[str, str]], limit: int = 20) -> list[str]:
    lines = [f"  {s['file']}: {s['reason']}" for s in items[:limit]]
    return lines + ([f"  ... and {len(items) - limit} more"] if len(items) > limit else [])


def run(args: argparse.Namespace) -> int:
    """Run ``prepare_kinetics`` and print a summary; exit 1 on --strict failures, 2 on bad input."""
    from sttr.data.kinetics import KineticsFormatError
    from sttr.data.prepare import PrepareError
    from sttr.data.prepare_kinetics import prepare_kinetics

    try:
        report = prepare_kinetics(
            args.raw_dir, args.out_dir, splits=args.splits or SPLITS, bones=args.bones, joint_bones=args.joint_bones,
            workers=args.workers, strict=args.strict, progress=not args.no_progress,
        )  # fmt: skip
    except PrepareError as err:
        print(f"error: {len(err.skipped)} clip file(s) could not be used (--strict); only the report was written:",
              file=sys.stderr)  # fmt: skip
        print("\n".join(_listing(err.skipped, limit=len(err.skipped))), file=sys.stderr)
        return 1
    except (KineticsFormatError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{s} {n}" for s, n in report["counts"].items())
    print(f"kinetics-skeleton: {counts} ({report['num_classes']} classes) in {args.out_dir}")
    print(f"left out (has_skeleton false): {sum(report['no_skeleton'].values())}")
    for key, what in (("skipped", "malformed"), ("unlabelled", "unlabelled")):
        if report[key]:
            print(f"{what}: {len(report[key])}, see {args.out_dir}/prepare_report.json:")
            print("\n".join(_listing(report[key])))
    return 0
