"""Run the companion notebooks (00_model_anatomy ... 10_attention_explorer) in order for one profile.

Each notebook is executed with papermill in the repository root, with `profile` (and any -p values)
injected after its `parameters` cell. Executed notebooks go to notebooks/ for the `mini` profile (the
committed ones) and to runs/<profile>/notebooks/ for the others, so profiles never overwrite each other.
Tables land in results/<profile>/, figures in figures/<profile>/, and the run summary (notebook, seconds,
status, timestamps) in results/<profile>/run_summary.json and .md.
A failing cell stops the run; the message names the notebook, the cell and the exception, and the
partly executed copy stays in runs/<profile>/executing/.

examples:
  python -m sttr pipeline --profile mini
  python -m sttr pipeline --profile mini --only 03_train_s_tr 04_train_t_tr -p epochs=2
  python -m sttr pipeline --profile ntu60-xsub -p device=cuda
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from sttr.pipeline import NOTEBOOKS, PipelineError, run_pipeline


def _parameter(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
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
        "ntu60-xview, ntu120-xsub, ntu120-xset)",
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
        "str) and goes to every notebook that declares KEY in its parameters cell",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the executed notebooks "
        "(default: notebooks/ for mini, runs/<profile>/notebooks/ otherwise)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's per-cell progress bar")


def run(args: argparse.Namespace) -> int:
    """Run the pipeline and print its summary; exit status 1 when a notebook fails."""
    try:
        summary = run_pipeline(
            args.profile,
            out_dir=args.out,
            only=args.only,
            parameters=dict(args.parameters),
            progress=not args.no_progress,
        )
    except PipelineError as err:
        print(f"pipeline failed: {err}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary.to_markdown())
    print(f"summary: {summary.json_path}")
    return 0
