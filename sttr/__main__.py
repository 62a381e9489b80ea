"""``python -m sttr COMMAND``: synth, synth-kinetics, prepare-ntu, prepare-kinetics, train, evaluate, fuse, predict,
pipeline."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from sttr.commands import COMMANDS
from sttr.runtime import tune_cpu_allocator


def _load(name: str):
    return importlib.import_module(f"sttr.commands.{COMMANDS[name]}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; with ``only`` set, just that subcommand's module is imported."""
    parser = argparse.ArgumentParser(
        prog="python -m sttr",
        description="ST-TR companion: data preparation, training, evaluation, fusion, prediction, notebooks.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name, help="(see `python -m sttr %s --help`)" % name, add_help=False)
            continue
        module = _load(name)
        doc = (module.__doc__ or "").strip()
        p = sub.add_parser(
            name,
            help=doc.splitlines()[0] if doc else None,
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = next((a for a in argv if a in COMMANDS), None)
    args = build_parser(only=chosen).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    tune_cpu_allocator()  # process-wide: keep freed tensor memory for reuse (sttr.runtime)
    return int(_load(args.command).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
