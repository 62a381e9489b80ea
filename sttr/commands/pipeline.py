"""Run the companion notebooks (00_model_anatomy ... 10_attention_explorer) in order for one profile.

Each notebook is executed with papermill in the repository root, with `profile` (and any -p values)
injected after its `parameters` cell. Executed notebooks go to notebooks/ for the `mini` profile (the
committed ones) and to runs/<profile>/notebooks/ for the others, so profiles never overwrite each other.
Tables land in results/<profile>/, figures in figures/<profile>/, and the run summary (notebook, seconds,
status, timestamps) in results/<profile>/run_summary.json and .md.
A failing cell stops the run; the message names the notebook, the cell and the exception, and the
partly executed copy stays in runs/<profile>/executing/.

A -p key with a dot (train.batch_size=8, data.num_workers=8, model.dropout=0.3) is a dotted override as
`sttr train` takes it: it reaches every training run, its saved config and the tables' provenance.

--rehearse runs every notebook at the profile's real model, window and device on a few samples of each class
of its prepared splits, every declared run taking a few optimizer steps (before each, one step is measured
and a batch that will not fit is refused with the batch that would). Everything goes to rehearsal/ folders
(data/, runs/, results/, figures/), every table and figure says "rehearsal", later notebooks run after a
failing one, and it ends with one table (results/rehearsal/<profile>/rehearsal.md): per stream seconds per
step, peak memory, the need at the profile's batch and the full profile's projected time on this device;
per notebook pass or fail.

examples:
  python -m sttr pipeline --profile mini
  python -m sttr pipeline --profile mini --only 03_train_s_tr 04_train_t_tr -p epochs=2
  python -m sttr pipeline --profile ntu60-xsub -p device=cuda
  python -m sttr pipeline --profile ntu60-xsub -p train.batch_size=8 -p train.grad_accum=4 -p data.num_workers=8
  python -m sttr pipeline --profile ntu60-xsub --rehearse
  python -m sttr pipeline --profile kinetics --rehearse -p device=cuda
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from sttr.pipeline import NOTEBOOKS, PipelineError, run_pipeline
from sttr.rehearse import Rehearsal


def _parameter(text: str) -> tuple[str, Any]:
    """``key=value`` with the value read as YAML; a dotted key keeps its text (an override for ``sttr train``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    if "." in key:
        return key.strip(), value
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    return key.strip(), parsed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m sttr pipeline`."""
    parser.add_argument(
        "--profile",
        required=True,
        help="experiment profile: a folder configs/<profile>/ with profile.yaml (mini, smoke, ntu60-xsub, "
        "ntu60-xview, ntu120-xsub, ntu120-xset, kinetics, kinetics-synth)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NOTEBOOK",
        help="run only these notebooks, still in pipeline order (names without .ipynb): "
        + ", ".join(NOTEBOOKS),
    )
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        type=_parameter,
        default=[],
        metavar="KEY=VALUE",
        help="set a notebook parameter (repeatable); VALUE is read as YAML (2 -> int, true -> bool, cuda -> "
        "str) and goes to every notebook that declares KEY in its parameters cell; a dotted KEY (train.batch_size, "
        "data.num_workers, model.dropout) overrides every training run's config as `sttr train` KEY=VALUE does",
    )
    parser.add_argument(
        "--rehearse",
        action="store_true",
        help="rehearse the profile: every notebook, the real model, window and device, a few samples per class, "
        "a few steps per run; outputs under rehearsal/ folders; ends with a table of step time, memory, "
        "projected time and notebook pass/fail",
    )
    parser.add_argument("--rehearse-per-class", type=int, default=1, metavar="N",
                        help="rehearsal: samples of each class in each split (default 1)")  # fmt: skip
    parser.add_argument("--rehearse-steps", type=int, default=2, metavar="N",
                        help="rehearsal: optimizer steps per run (default 2)")  # fmt: skip
    parser.add_argument("--rehearse-batch", type=int, metavar="N",
                        help="rehearsal: samples per step (default: 1 on the CPU, the profile's batch on CUDA)")
    parser.add_argument("--rehearse-analysis", type=int, default=4, metavar="N",
                        help="rehearsal: validation samples (one per class) that the attention study and the probes "
                        "read per model (default 4)")  # fmt: skip
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the executed notebooks "
        "(default: notebooks/ for mini, runs/<profile>/notebooks/ otherwise)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's per-cell progress bar")


def run(args: argparse.Namespace) -> int:
    """Run the pipeline and print its summary; exit status 1 when a notebook fails."""
    parameters = {k: v for k, v in args.parameters if "." not in k}
    overrides = [f"{k}={v}" for k, v in args.parameters if "." in k]
    try:
        rehearsal = None
        if args.rehearse:
            rehearsal = Rehearsal(per_class=args.rehearse_per_class, steps=args.rehearse_steps,
                                  batch=args.rehearse_batch, analysis=args.rehearse_analysis)  # fmt: skip
        summary = run_pipeline(
            args.profile,
            out_dir=args.out,
            only=args.only,
            parameters=parameters,
            progress=not args.no_progress,
            overrides=overrides,
            rehearsal=rehearsal,
        )
    except PipelineError as err:
        print(f"pipeline failed: {err}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary.to_markdown())
    print(f"summary: {summary.json_path}")
    return 1 if summary.status == "failed" else 0
