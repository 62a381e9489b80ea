"""Turn raw NTU RGB+D .skeleton files into 2s-AGCN training arrays (one folder per benchmark).

Writes OUT_DIR/<benchmark>/{train,val}_data_joint.npy (N, 3, 300, 25, 2) float32 and
{train,val}_label.pkl (the format of 2s-AGCN, MS-G3D, CTR-GCN and the ST-TR authors), plus
OUT_DIR/prepare_report.json listing every skipped file with its reason. Malformed files are skipped
(exit 0) unless --strict (exit 1, naming them). Example:

    python -m sttr prepare-ntu nturgb+d_skeletons data/ntu60 --dataset ntu60 --benchmark xsub --benchmark xview
"""

from __future__ import annotations

import argparse
import sys

from sttr.data.prepare import PrepareError, prepare_ntu
from sttr.data.registry import NTU_READER, REGISTRY, read_by


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``prepare-ntu``."""
    parser.add_argument("raw_dir", metavar="RAW_DIR", help="folder with the .skeleton files (searched recursively)")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output folder")
    parser.add_argument("--dataset", choices=read_by(NTU_READER), default="ntu60", help="dataset (default: ntu60)")
    parser.add_argument(
        "--benchmark", action="append", dest="benchmarks",
        choices=sorted({b for d in REGISTRY.values() for b in d.benchmarks}),
        help="benchmark to write; repeat for several (default: xsub)",
    )  # fmt: skip
    parser.add_argument("--bones", action="store_true", help="also write {train,val}_data_bone.npy")
    parser.add_argument(
        "--joint-bones", action="store_true", help="also write {train,val}_data_joint_bone.npy (6 channels)"
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) if any file is malformed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--keep-missing", action="store_true", help="keep samples of the missing-skeleton list")


def run(args: argparse.Namespace) -> int:
    """Run ``prepare_ntu`` and print a summary; exit 1 on --strict failures, 2 on bad input."""
    try:
        report = prepare_ntu(
            args.raw_dir, args.out_dir, args.dataset, args.benchmarks or ["xsub"],
            bones=args.bones, joint_bones=args.joint_bones, workers=args.workers, strict=args.strict,
            progress=not args.no_progress, keep_missing=args.keep_missing,
        )  # fmt: skip
    except PrepareError as err:
        print(f"error: {len(err.skipped)} malformed file(s) (--strict); only the report was written:", file=sys.stderr)
        for s in err.skipped:
            print(f"  {s['file']}: {s['reason']}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for bench, counts in report["counts"].items():
        print(f"{bench}: train {counts['train']}, val {counts['val']}")
    print(f"left out (missing-skeleton list): {len(report['excluded_missing_skeletons'])}")
    if report["skipped"]:
        print(f"skipped {len(report['skipped'])} file(s), see {args.out_dir}/prepare_report.json:")
        for s in report["skipped"]:
            print(f"  {s['file']}: {s['reason']}")
    return 0
