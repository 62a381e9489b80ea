"""Command-line subcommands of ``python -m sttr``: one module each, exposing ``add_arguments`` and ``run``.

``run(args)`` returns the exit status; only these modules print and set exit codes (library code raises).
"""

# Subcommand name -> module under sttr.commands (imported lazily, so `--help` stays fast).
COMMANDS: dict[str, str] = {
    "synth": "synth",
    "synth-kinetics": "synth_kinetics",
    "prepare-ntu": "prepare_ntu",
    "prepare-kinetics": "prepare_kinetics",
    "train": "train",
    "evaluate": "evaluate",
    "fuse": "fuse",
    "predict": "predict",
    "pipeline": "pipeline",
}
