"""Many training runs of one profile (a stream over seeds, with joints or joints + bones) in parallel processes.

Each run is ``python -m sttr train`` in a process of its own with a fixed number of torch threads, so a run's
numbers do not depend on how many run beside it or on the machine's core count (only on the CPU kind). A run
whose ``last.pt`` already holds the same effective config and its last epoch is not trained again, so
notebooks and the pipeline can ask for the same runs without repeating work; an interrupted run resumes.
Before training, one step of each config is measured (``sttr.memory``) and a batch that would not fit the device
is refused with the batch and gradient accumulation that would; a run the system kills is reported as such.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sttr.checkpoint import CheckpointError, read_checkpoint
from sttr.experiment import ConfigError, ExperimentConfig, load_config
from sttr.memory import InsufficientMemory, MemoryEstimate, describe_kill, with_capacity

log = logging.getLogger(__name__)

LOG_FILE = "train.log"
PROCESS_FILE = "process.json"  # in a run's folder: its training process's exit status, seconds and peak RSS
MEMORY_FILE = "memory.json"  # in a stream's folder (beside seed<k>/): the measured step of its config


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

    def is_stale(self) -> bool:
        """Whether ``last.pt`` holds another config (an older recipe or model): the run starts over, since resuming
        needs the same config."""
        last = self.out_dir / "last.pt"
        if not last.is_file():
            return False
        try:
            return read_checkpoint(last).get("experiment") != self.experiment().to_dict()
        except (CheckpointError, OSError):
            return False  # an unreadable checkpoint: the trainer names the file

    def memory_key(self) -> dict:
        """The effective config without what does not change a step's memory (seed, folders, name)."""
        d = self.experiment().to_dict()
        d.pop("out_dir"), d.pop("name")
        d["train"] = {k: v for k, v in d["train"].items() if k != "seed"}
        return d

    def command(self) -> list[str]:
        """The ``python -m sttr train`` command line of this run (resuming what an interrupted run left)."""
        return [sys.executable, "-m", "sttr", "train", "--config", str(self.config), "--no-progress", "--resume",
                *self.arguments()]  # fmt: skip

    def arguments(self) -> list[str]:
        """The dotted overrides of this run: the given ones, its seed and its folder."""
        return [*self.overrides, f"train.seed={self.seed}", f"out_dir={self.out_dir}"]


def _wait(proc: subprocess.Popen) -> tuple[int, int | None]:
    """Wait for a child; its exit code (negative: the signal) and its peak resident set in bytes (where known)."""
    if not hasattr(os, "wait4"):
        return proc.wait(), None
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def _execute(run: Run) -> Run:
    """Train one run in a child process, its output in ``<out_dir>/train.log``; raise ``RunFailed`` on failure."""
    out = run.out_dir
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open(out / LOG_FILE, "w") as log_file:
        code, peak = _wait(subprocess.Popen(run.command(), stdout=log_file, stderr=subprocess.STDOUT))
    record = {"returncode": code, "seconds": round(time.perf_counter() - t0, 2), "peak_rss": peak}
    (out / PROCESS_FILE).write_text(json.dumps(record) + "\n")
    if code != 0:
        tail = "\n".join((out / LOG_FILE).read_text(errors="replace").splitlines()[-15:])
        how = describe_kill(code, peak) if code < 0 else f"exited with status {code}"
        raise RunFailed(f"training {run.config} seed {run.seed} {how}; {out / LOG_FILE} ends:\n{tail}")
    return run


def read_memory(folder: Path) -> MemoryEstimate | None:
    """The step measured for the runs of a stream folder (``memory.json``), or None."""
    path = Path(folder) / MEMORY_FILE
    if not path.is_file():
        return None
    return MemoryEstimate.from_dict(json.loads(path.read_text())["estimate"])


def measure_memory(runs: Sequence[Run]) -> list[MemoryEstimate]:
    """One measured step per distinct config of ``runs`` (in a fresh process), kept in the stream folder's
    ``memory.json`` and reused while the config is the same; the device's free memory is read anew."""
    groups: dict[str, Run] = {}
    for run in runs:
        groups.setdefault(json.dumps(run.memory_key(), sort_keys=True, default=str), run)
    estimates: dict[str, MemoryEstimate] = {}
    todo: list[tuple[str, Run]] = []
    for key, run in groups.items():
        path = run.out_dir.parent / MEMORY_FILE
        stored = json.loads(path.read_text()) if path.is_file() else {}
        if json.dumps(stored.get("experiment"), sort_keys=True, default=str) == key:
            estimates[key] = with_capacity(MemoryEstimate.from_dict(stored["estimate"]))
        else:
            todo.append((key, run))
    for key, run in todo:  # a process per config: a freed heap would hide the next config's peak
        request = [{"config": str(run.config), "overrides": run.arguments()}]
        proc = subprocess.Popen([sys.executable, "-m", "sttr.memory"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        stdout, stderr = proc.communicate(json.dumps(request))
        if proc.returncode != 0:
            code = proc.returncode
            how = describe_kill(code, None) if code < 0 else f"exited with status {code}"
            raise RunFailed(f"measuring one training step of {run.config} seed {run.seed} {how}:\n{stderr[-2000:]}")
        estimate = MemoryEstimate.from_dict(json.loads(stdout.strip().splitlines()[-1]))
        folder = run.out_dir.parent
        folder.mkdir(parents=True, exist_ok=True)
        payload = {"experiment": json.loads(key), "estimate": estimate.to_dict()}
        (folder / MEMORY_FILE).write_text(json.dumps(payload, indent=1, default=str) + "\n")
        estimates[key] = estimate
    return [estimates[key] for key in groups]


def train_runs(
    runs: Sequence[Run], workers: int = 1, check_memory: bool = True, beside: Sequence[Callable[[], object]] = ()
) -> list[Run]:
    """Train every run that is not complete, ``workers`` processes at a time (give each run ``train.threads``
    in its overrides); returns the runs that were trained. With ``check_memory`` one step of each config is
    measured first and ``InsufficientMemory`` raised (nothing trained) when the runs would not fit. Every run
    is attempted; failures are raised together at the end. ``beside``: in-process jobs queued after the runs in
    the same ``workers`` slots, so a slot the runs leave idle (an odd run out) works on them; their errors are
    raised after every run and job ended."""
    todo = [run for run in runs if not run.is_complete()]
    for run in todo:
        if run.is_stale():
            log.warning("%s: its checkpoints hold another config; training it again from the start", run.out_dir)
            shutil.rmtree(run.out_dir)
    if todo and check_memory:
        at_once = min(max(1, workers), len(todo))
        short = [e for e in measure_memory(todo) if not e.fits(at_once)]
        if short:
            raise InsufficientMemory("\n".join(e.message(at_once) for e in short))
    if todo:
        log.info("training %d of %d runs, %d at a time", len(todo), len(runs), workers)
    failures: list[str] = []
    with ThreadPoolExecutor(max(1, workers)) as pool:
        futures = [pool.submit(_execute, run) for run in todo]
        jobs = [pool.submit(job) for job in beside]
        for future in futures:
            try:
                future.result()
            except (RunFailed, ConfigError, OSError) as err:
                failures.append(str(err))
        for job in jobs:
            job.exception()  # wait for every job before raising
    if failures:
        raise RunFailed(f"{len(failures)} of {len(todo)} runs failed:\n" + "\n\n".join(failures))
    for job in jobs:
        job.result()
    return todo
