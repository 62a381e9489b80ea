"""Training runs over seeds in child processes: trained once, kept when complete, failures named with the log."""

from __future__ import annotations

import pytest
import yaml

from sttr.sweep import Run, RunFailed, train_runs
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


def test_a_failing_run_is_named_with_its_log(tmp_path):
    config = tmp_path / "broken.yaml"
    config.write_text(yaml.safe_dump(tiny_config(tmp_path / "no-data", tmp_path / "runs" / "broken")))
    with pytest.raises(RunFailed, match=r"(?s)broken.yaml seed 1 exited with status 2.*data.dir .* does not exist"):
        train_runs([Run(config, 1)], workers=1)
