"""Write a synthetic set in ST-GCN's Kinetics-skeleton format: the mini-NTU motions as 2D OpenPose detections.

Generated, not Kinetics: 14 imitated NTU classes, clip ids starting with synthetic_. Writes
OUT_DIR/kinetics_{train,val}/ (one JSON per clip), kinetics_{train,val}_label.json and README.txt;
performers are split as NTU X-Sub. Deterministic from the seed (same seed, same bytes). Default size:
performers x 3 cameras x 2 replications x 14 classes (3,360 clips for 40 performers). The data of the
kinetics-synth profile (configs/kinetics-synth/), and a run on it:

    python -m sttr synth-kinetics data/kinetics-synth/raw --max-samples 336
    python -m sttr prepare-kinetics data/kinetics-synth/raw data/kinetics-synth
    python -m sttr train --config configs/kinetics-synth/spatial.yaml

--coverage writes instead one training and one validation clip for each of Kinetics-400's 400 label indices
(`sttr.data.synthetic.coverage`), enough to rehearse the kinetics profile without the data:

    python -m sttr synth-kinetics data/kinetics-coverage --coverage
    STTR_KINETICS_RAW=data/kinetics-coverage python -m sttr pipeline --profile kinetics --rehearse
"""

from __future__ import annotations

import argparse
import time

from sttr.commands.synth import add_generator_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `python -m sttr synth-kinetics`."""
    add_generator_arguments(parser, "folder for the kinetics-skeleton layout (created)",
                            "write a subset of N clips balanced over classes, cameras and the two splits")  # fmt: skip
    parser.add_argument("--coverage", action="store_true",
                        help="write a training and a validation clip for each of the 400 classes instead (rehearsals)")


def run(args: argparse.Namespace) -> int:
    """Generate the clips and print a one-line summary."""
    import sys

    from sttr.data.synthetic.kinetics import generate_kinetics

    start = time.perf_counter()
    if args.coverage:
        from sttr.data.synthetic.coverage import generate_kinetics_coverage

        counts = generate_kinetics_coverage(args.out_dir, seed=args.seed)
        print(f"wrote {counts['train']} training and {counts['val']} validation clips covering the 400 classes to "
              f"{args.out_dir} in {time.perf_counter() - start:.1f} s")
        return 0
    try:
        clips = generate_kinetics(args.out_dir, seed=args.seed, max_samples=args.max_samples,
                                  performers=args.performers, progress=not args.no_progress, workers=args.workers)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(f"wrote {len(clips['train'])} training and {len(clips['val'])} validation clips (synthetic, "
          f"Kinetics-skeleton format) to {args.out_dir} in {seconds:.1f} s")
    return 0
