"""Write the synthetic mini-NTU dataset: NTU-format .skeleton files from a kinematic body model.

Deterministic from the seed (same seed, same bytes). Default size: performers x 3 cameras x
2 replications x 14 classes (3,360 files for 40 performers). See `sttr.data.synthetic` for the classes.

--coverage 60|120 writes instead two files per NTU action (A001-A060 or A001-A120, setups S001-S032), one on
each side of every benchmark, in NTU's format and naming: enough to rehearse an NTU profile without the data
(`sttr.data.synthetic.coverage`):

    python -m sttr synth data/ntu-coverage --coverage 120
    STTR_NTU_RAW=data/ntu-coverage python -m sttr pipeline --profile ntu120-xsub --rehearse
"""

from __future__ import annotations

import argparse
import os
import time

from sttr.data.synthetic import SYNTHETIC_ACTIONS, generate


def add_generator_arguments(parser: argparse.ArgumentParser, out_help: str, subset_help: str) -> None:
    """The options both synthetic generators take (``synth`` and ``synth-kinetics``)."""
    parser.add_argument("out_dir", metavar="OUT_DIR", help=out_help)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--max-samples", type=int, default=None, metavar="N", help=subset_help)
    parser.add_argument("--performers", type=int, default=40, metavar="P", help="number of performers (default 40)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="processes (default: all cores); the files do not depend on it")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `python -m sttr synth`."""
    add_generator_arguments(parser, "folder for the .skeleton files (created)",
                            "write a subset of N files balanced over classes, performers and cameras")  # fmt: skip
    parser.add_argument("--coverage", type=int, choices=(60, 120), metavar="CLASSES",
                        help="write two files for every action of NTU RGB+D 60 or 120 instead (rehearsals)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Generate the files and print a one-line summary."""
    start = time.perf_counter()
    if args.coverage:
        from sttr.data.synthetic.coverage import generate_ntu_coverage

        paths = generate_ntu_coverage(args.out_dir, classes=args.coverage, seed=args.seed)
        print(f"wrote {len(paths)} files covering the {args.coverage} NTU actions to {args.out_dir} "
              f"in {time.perf_counter() - start:.1f} s")
        return 0
    try:
        paths = generate(args.out_dir, seed=args.seed, max_samples=args.max_samples,
                         performers=args.performers, progress=not args.no_progress,
                         workers=args.workers)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files ({len(SYNTHETIC_ACTIONS)} classes, {size / 1e6:.1f} MB) "
          f"to {args.out_dir} in {seconds:.1f} s")
    return 0
