"""Training runs over seeds in child processes: trained once, kept when complete, failures named with the log."""

from __future__ import annotations

import json
import re
import signal
import sys

import pytest
import yaml

from sttr.memory import InsufficientMemory
from sttr.sweep import MEMORY_FILE, PROCESS_FILE, Run, RunFailed, train_runs
from tests.test_train import make_split, tiny_config


def test_runs_train_once_and_are_kept(tmp_path):
    split = make_split(tmp_path / "split", n_train=16, n_val=8, frames=8)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(split, tmp_path / "runs" / "tiny", epochs=1)))
    runs = [Run(config, seed, ("train.threads=1",)) for seed in (1, 2)]
    assert [r.out_dir.name for r in runs] == ["seed1", "seed2"] and not any(r.is_complete() for r in runs)
    assert train_runs(runs, workers=2) == runs
    assert all(r.is_complete() for r in runs) and (runs[0].out_dir / "train.log").is_file()
    assert train_runs(runs, workers=2) == []  # complete runs with the same config are not trained again
    longer = Run(config, 1, ("train.threads=1", "train.epochs=2"))
    assert not longer.is_complete()  # another config in the same folder is not taken for done
    assert longer.is_stale() and not runs[1].is_stale()
    assert train_runs([longer], workers=1) == [longer]  # trained again from the start, not resumed
    assert longer.is_complete() and not longer.is_stale()


def test_jobs_beside_the_runs_fill_the_slot_an_odd_run_leaves_idle(tmp_path):
    """Three runs on two slots: the job queued beside them starts while the third run still trains, and a failing
    job is raised only after every run ended."""
    split = make_split(tmp_path / "split", n_train=16, n_val=8, frames=8)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(split, tmp_path / "runs" / "tiny", epochs=1)))
    runs = [Run(config, seed, ("train.threads=1",)) for seed in (1, 2, 3)]
    seen: list[list[bool]] = []

    def job() -> None:
        seen.append([r.is_complete() for r in runs])

    def broken() -> None:
        raise ValueError("a probe failed")

    with pytest.raises(ValueError, match="a probe failed"):
        train_runs(runs, workers=2, check_memory=False, beside=[job, broken])
    assert all(r.is_complete() for r in runs)  # the failing job did not stop a run
    assert len(seen) == 1 and seen[0].count(False) >= 1  # the job ran while a run was still training
    done: list[int] = []
    assert train_runs(runs, workers=2, beside=[lambda: done.append(1)]) == [] and done == [1]  # nothing to train


def test_a_failing_run_is_named_with_its_log(tmp_path):
    config = tmp_path / "broken.yaml"
    config.write_text(yaml.safe_dump(tiny_config(tmp_path / "no-data", tmp_path / "runs" / "broken")))
    with pytest.raises(RunFailed, match=r"(?s)broken.yaml seed 1 exited with status 2.*data.dir .* does not exist"):
        train_runs([Run(config, 1)], workers=1)  # the memory check meets the bad config first
    with pytest.raises(RunFailed, match=r"(?s)broken.yaml seed 1 exited with status 2.*train.log ends.*does not exist"):
        train_runs([Run(config, 1)], workers=1, check_memory=False)


def test_a_batch_that_does_not_fit_is_refused_before_training(tmp_path, monkeypatch):
    split = make_split(tmp_path / "split", n_train=8, n_val=8, frames=8)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(split, tmp_path / "runs" / "tiny", epochs=1)))
    runs = [Run(config, seed, ("train.threads=1",)) for seed in (1, 2)]
    monkeypatch.setenv("STTR_MEMORY_LIMIT_GB", "0.05")  # less than a process with torch holds
    with pytest.raises(InsufficientMemory, match=r"tiny.yaml: train.batch_size=8 needs about 2 runs at once x "
                       r"[0-9.]+ GB of CPU memory .* measured at batches 1 and 2.* of 0.05 GB are available; "
                       r"even a batch"):
        train_runs(runs, workers=2)
    assert not any((r.out_dir / "last.pt").exists() for r in runs)  # nothing trained
    stored = tmp_path / "runs" / "tiny" / MEMORY_FILE
    measured = json.loads(stored.read_text())
    assert measured["experiment"]["train"]["batch_size"] == 8 and "seed" not in measured["experiment"]["train"]
    assert measured["estimate"]["probes"][0]["peak"] > 0.05 * 2**30
    before = stored.stat().st_mtime_ns
    monkeypatch.delenv("STTR_MEMORY_LIMIT_GB")
    assert train_runs(runs[:1], workers=1) == runs[:1]  # the same config: the measured step is reused
    assert stored.stat().st_mtime_ns == before
    record = json.loads((runs[0].out_dir / PROCESS_FILE).read_text())
    assert record["returncode"] == 0 and record["peak_rss"] > 50e6 and record["seconds"] > 0


def test_a_run_killed_by_the_system_is_named_as_out_of_memory(tmp_path, monkeypatch):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(tmp_path / "split", tmp_path / "runs" / "tiny")))
    hog = ("import os, signal; x = bytearray(200_000_000); x[::4096] = b'1' * len(x[::4096]); "
           "os.kill(os.getpid(), signal.SIGKILL)")  # touches 200 MB, then dies as the OOM killer kills
    monkeypatch.setattr(Run, "command", lambda self: [sys.executable, "-c", hog])
    run = Run(config, 1)
    with pytest.raises(RunFailed, match=r"tiny.yaml seed 1 killed by the system \(SIGKILL\), most likely out of "
                       r"memory: peak ([0-9.]+) GB of [0-9.]+ GB; lower train.batch_size") as failed:
        train_runs([run], check_memory=False)
    peak = float(re.search(r"peak ([0-9.]+) GB", str(failed.value)).group(1))
    assert peak >= 0.2  # at least what it touched (Linux keeps a forked child's high-water mark across exec)
    assert json.loads((run.out_dir / PROCESS_FILE).read_text())["returncode"] == -signal.SIGKILL
