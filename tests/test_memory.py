"""Memory known before a run: the step's line through two measured batches, the refusal and its way out."""

from __future__ import annotations

import pytest

from sttr.memory import GB, InsufficientMemory, MemoryEstimate, StepProbe, describe_kill, device_capacity, measure
from sttr.experiment import ExperimentConfig
from tests.test_train import make_split, tiny_config


def estimate(batch_size=32, grad_accum=1, available=20 * GB) -> MemoryEstimate:
    """1 GB fixed + 1 GB per sample: 33 GB at batch 32."""
    probes = (StepProbe(batch=1, peak=2 * GB, seconds=1.0), StepProbe(batch=2, peak=3 * GB, seconds=2.0))
    return MemoryEstimate(config="x.yaml", device="cpu", batch_size=batch_size, grad_accum=grad_accum, probes=probes,
                          available=available, total=24 * GB, measure="CPU RSS", frames=300)  # fmt: skip


def test_the_line_through_two_batches_extrapolates_and_advises_a_batch_that_fits():
    e = estimate()
    assert e.per_sample == GB and e.fixed == GB and e.need() == 33 * GB and e.need(4) == 5 * GB
    assert not e.fits() and e.largest_batch() == 17  # 0.9 * 20 GB - 1 GB = 17 samples
    assert e.advice().startswith("set train.batch_size=16 train.grad_accum=2")  # the largest divisor of 32 below 17
    with pytest.raises(InsufficientMemory, match=r"x.yaml: train.batch_size=32 needs about 33.0 GB of CPU memory "
                       r"\(1.0 GB fixed \+ 1.0 GB per sample.*20.0 GB of 24.0 GB are available.*effective batch of 32"):
        e.check()
    assert estimate(batch_size=8).fits() and not estimate(batch_size=8).fits(processes=3)
    assert "-p workers=1" in estimate(batch_size=8).message(processes=3)
    assert "train.grad_accum=6" in estimate(grad_accum=3).advice()  # batch 16 x 2 x 3
    assert "even a batch of 1" in estimate(available=GB).advice()
    assert MemoryEstimate.from_dict(e.to_dict()) == e


def test_a_memory_limit_caps_the_device(monkeypatch):
    monkeypatch.setenv("STTR_MEMORY_LIMIT_GB", "0.5")
    available, total = device_capacity("cpu")
    assert total == GB // 2 and available <= total
    monkeypatch.setenv("STTR_MEMORY_LIMIT_GB", "lots")
    with pytest.raises(ValueError, match="STTR_MEMORY_LIMIT_GB: expected a number of GB"):
        device_capacity("cpu")


def test_a_sigkill_reads_as_out_of_memory():
    text = describe_kill(-9, 3 * GB)
    assert text.startswith("killed by the system (SIGKILL), most likely out of memory: peak 3.0 GB of ")
    assert "train.grad_accum" in text and describe_kill(-15, None) == "stopped by SIGTERM"


def test_a_real_step_is_measured_at_increasing_batches(tmp_path):
    split = make_split(tmp_path / "split", n_train=8, n_val=8, frames=64)
    cfg = ExperimentConfig.from_dict(tiny_config(split, tmp_path / "run", batch_size=64, threads=1))
    e = measure(cfg, batches=(1, 16))
    assert [p.batch for p in e.probes] == [1, 16] and e.frames == 64 and e.measure == "CPU RSS"
    assert e.probes[1].peak >= e.probes[0].peak > 50e6  # a process with torch holds tens of MB at least
    assert e.need() >= e.need(16) >= e.probes[0].peak * 0.99
    assert e.warm_seconds > 0 and e.seconds_per_sample == e.warm_seconds / 16
    assert e.step_seconds() == 64 * e.seconds_per_sample
