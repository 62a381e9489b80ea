"""Many training runs of one profile (a stream over seeds, with joints or joints + bones) in parallel processes.

Each run is ``python -m sttr train`` in a process of its own with a fixed number of torch threads, so a run's
numbers do not depend on how many run beside it or on the machine's core count (only on the CPU kind). A run
whose ``last.pt`` already holds the same effective config and its last epoch is not trained again, so
notebooks and the pipeline can ask for the same runs without repeating work; an interrupted run resumes.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sttr.checkpoint import CheckpointError, read_checkpoint
from sttr.experiment import ConfigError, ExperimentConfig, load_config

log = logging.getLogger(__name__)

LOG_FILE = "train.log"


class RunFailed(RuntimeError):
    """A training process exited with an error; the message names the run and ends with its log."""


@dataclass(frozen=True)
class Run:
    """One training run: an experiment config file (a stream, with or without bones), a seed, and overrides."""

    config: Path
    seed: int
    overrides: tuple[str, ...] = ()

    @functools.cached_property
    def _experiment(self) -> ExperimentConfig:
        base = load_config(self.config, self.overrides)
        out_dir = Path(base.out_dir) / f"seed{self.seed}"
        return load_config(self.config, [*self.overrides, f"train.seed={self.seed}", f"out_dir={out_dir}"])

    def experiment(self) -> ExperimentConfig:
        """The effective config: the file, the overrides, this seed and its own ``seed<k>`` folder (read once)."""
        return self._experiment

    @property
    def out_dir(self) -> Path:
        return Path(self.experiment().out_dir)

    def is_complete(self) -> bool:
        """Whether ``last.pt`` holds this very config (seed, recipe, data) trained to its last epoch."""
        cfg = self.experiment()
        last = Path(cfg.out_dir) / "last.pt"
        if not last.is_file():
            return False
        try:
            ckpt = read_checkpoint(last)
        except (CheckpointError, OSError):
            return False
        return ckpt.get("epoch") == cfg.train.epochs and ckpt.get("experiment") == cfg.to_dict()

    def command(self) -> list[str]:
        """The ``python -m sttr train`` command line of this run (resuming what an interrupted run left)."""
        args = [*self.overrides, f"train.seed={self.seed}", f"out_dir={self.out_dir}"]
        return [sys.executable, "-m", "sttr", "train", "--config", str(self.config), "--no-progress", "--resume", *args]


def _execute(run: Run) -> Run:
    """Train one run in a child process, its output in ``<out_dir>/train.log``; raise ``RunFailed`` on failure."""
    out = run.out_dir
    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOG_FILE, "w") as log_file:
        code = subprocess.call(run.command(), stdout=log_file, stderr=subprocess.STDOUT)
    if code != 0:
        tail = "\n".join((out / LOG_FILE).read_text(errors="replace").splitlines()[-15:])
        raise RunFailed(f"training {run.config} seed {run.seed} exited with status {code}; {out / LOG_FILE} ends:\n{tail}")
    return run


def train_runs(runs: Sequence[Run], workers: int = 1) -> list[Run]:
    """Train every run that is not complete, ``workers`` processes at a time (give each run ``train.threads``
    in its overrides); returns the runs that were trained. Every run is attempted; failures are raised
    together at the end."""
    todo = [run for run in runs if not run.is_complete()]
    if not todo:
        return []
    log.info("training %d of %d runs, %d at a time", len(todo), len(runs), workers)
    failures: list[str] = []
    with ThreadPoolExecutor(max(1, workers)) as pool:
        futures = [pool.submit(_execute, run) for run in todo]
        for future in futures:
            try:
                future.result()
            except (RunFailed, ConfigError, OSError) as err:
                failures.append(str(err))
    if failures:
        raise RunFailed(f"{len(failures)} of {len(todo)} runs failed:\n" + "\n\n".join(failures))
    return todo
