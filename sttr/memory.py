"""Memory a training run needs, known before it runs: one optimizer step measured at two small batches, extrapolated
to the configured batch, against what the device has.

On the CPU the measure is the process's resident set high-water mark (Linux ``VmHWM``, reset before each step);
on CUDA it is the caching allocator's peak reserved memory. Both grow linearly with the batch (activations), on
top of a fixed part (the process, the model, its gradients and the optimizer's momentum), so two batches give
the line. ``python -m sttr.memory`` measures the runs named on its standard input and prints JSON; the sweep
calls it before training, one fresh process per config (a heap freed by one config would hide the next one's peak).

``$STTR_MEMORY_LIMIT_GB`` caps the memory a run may count on (e.g. to leave room for other work).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

GB = 1024**3
LIMIT_ENV = "STTR_MEMORY_LIMIT_GB"
MARGIN = 0.9  # a run may plan on this fraction of the device's memory: allocator slack, loader workers, the OS
CPU_PROBE_BATCHES = (1, 2)
CUDA_PROBE_BATCHES = (2, 4)


def gb(n: float) -> str:
    """Bytes as GB for messages: one decimal, two below 1 GB."""
    return f"{n / GB:.1f} GB" if n >= GB else f"{n / GB:.2f} GB"


class InsufficientMemory(RuntimeError):
    """A run's configured batch needs more memory than the device has; the message gives the need and the way out."""


# measuring ----------------------------------------------------------------------------------------------------


def _status_kb(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux), else None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_cpu_peak() -> bool:
    """Reset the resident set high-water mark to the current resident set (Linux); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_peak() -> int:
    """The process's peak resident set in bytes (since the last reset where Linux allows it)."""
    kb = _status_kb("VmHWM")
    if kb is None:  # elsewhere: the lifetime peak (KiB on Linux, bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    return kb * 1024


def _meminfo() -> dict[str, int]:
    """/proc/meminfo in bytes (Linux), else empty."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            out[key] = int(parts[0]) * 1024
    return out


def _cgroup_limit() -> int | None:
    """This process's cgroup memory limit in bytes (v2 or v1), None when unlimited or unknown."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return None


def device_capacity(device: str) -> tuple[int, int]:
    """(available, total) bytes for a run on ``device`` ("cpu" or "cuda[:i]"); ``$STTR_MEMORY_LIMIT_GB`` caps both."""
    if device.startswith("cuda"):
        import torch

        free, total = torch.cuda.mem_get_info(torch.device(device))
        available = int(free)
        total = int(total)
    else:
        info = _meminfo()
        total = info.get("MemTotal") or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        available = info.get("MemAvailable", total)
        limit = _cgroup_limit()
        if limit is not None:
            total, available = min(total, limit), min(available, limit)
    cap = os.environ.get(LIMIT_ENV)
    if cap:
        try:
            limit = int(float(cap) * GB)
        except ValueError:
            raise ValueError(f"${LIMIT_ENV}: expected a number of GB, got {cap!r}") from None
        total, available = min(total, limit), min(available, limit)
    return available, total


@dataclass(frozen=True)
class StepProbe:
    """One measured optimizer step: its batch, peak memory (bytes, absolute) and seconds."""

    batch: int
    peak: int
    seconds: float


@dataclass(frozen=True)
class MemoryEstimate:
    """What a run's step needs at its configured batch, from two measured batches, against the device."""

    config: str
    device: str
    batch_size: int
    grad_accum: int
    probes: tuple[StepProbe, ...]
    available: int
    total: int
    measure: str  # "CPU RSS" or "CUDA reserved"
    frames: int
    seconds_per_step: float | None = None  # measured at batch_size (CUDA, when it fits), else None
    warm_seconds: float | None = None  # a second step at the largest probe batch (the first ones pay set-up costs)

    @property
    def per_sample(self) -> float:
        """Bytes each sample of a batch adds (the slope between the probes; never below zero)."""
        a, b = self.probes[0], self.probes[-1]
        return max(0.0, (b.peak - a.peak) / (b.batch - a.batch)) if b.batch != a.batch else 0.0

    @property
    def fixed(self) -> float:
        """Bytes of a step that do not grow with the batch (process, model, gradients, momentum)."""
        return self.probes[0].peak - self.per_sample * self.probes[0].batch

    def need(self, batch: int | None = None) -> float:
        """Extrapolated peak bytes of one step at ``batch`` (default: the configured batch)."""
        return self.fixed + self.per_sample * (self.batch_size if batch is None else batch)

    @property
    def seconds_per_sample(self) -> float:
        """Training seconds per sample at the largest probe batch (its warm step where measured)."""
        last = self.probes[-1]
        return (last.seconds if self.warm_seconds is None else self.warm_seconds) / last.batch

    def step_seconds(self) -> float:
        """Seconds of one forward pass + backward at the configured batch: measured, else linear in the samples."""
        if self.seconds_per_step is not None:
            return self.seconds_per_step
        return self.seconds_per_sample * self.batch_size

    def fits(self, processes: int = 1) -> bool:
        """Whether ``processes`` such runs at once fit in ``MARGIN`` of the available memory."""
        return processes * self.need() <= MARGIN * self.available

    def largest_batch(self, processes: int = 1) -> int:
        """The largest batch whose step fits ``processes`` at once (0 when not even one sample fits)."""
        room = MARGIN * self.available / processes - self.fixed
        if room <= 0:
            return 0
        return self.batch_size if self.per_sample == 0 else int(room // self.per_sample)

    def advice(self, processes: int = 1) -> str:
        """The ``train.batch_size`` / ``train.grad_accum`` pair that fits and keeps the effective batch."""
        largest = self.largest_batch(processes)
        divisors = [b for b in range(1, self.batch_size + 1) if self.batch_size % b == 0 and b <= largest]
        if not divisors:
            return (f"even a batch of 1 needs about {gb(self.need(1))}; use a machine with more memory "
                    f"or a smaller data.window ({self.frames} frames now)")  # fmt: skip
        batch = divisors[-1]
        accum = self.grad_accum * self.batch_size // batch
        extra = " and run one training process at a time (-p workers=1)" if processes > 1 else ""
        return (f"set train.batch_size={batch} train.grad_accum={accum} (pipeline: -p train.batch_size={batch} "
                f"-p train.grad_accum={accum}), which keeps the effective batch of "
                f"{self.batch_size * self.grad_accum}{extra}")  # fmt: skip

    def message(self, processes: int = 1) -> str:
        """Why the run would not fit, with the measured numbers and the way out."""
        kind = "GPU" if self.device.startswith("cuda") else "CPU"
        probes = " and ".join(str(p.batch) for p in self.probes)
        runs = f"{processes} runs at once x " if processes > 1 else ""
        return (
            f"{self.config}: train.batch_size={self.batch_size} needs about {runs}{gb(self.need())} of {kind} "
            f"memory ({gb(self.fixed)} fixed + {gb(self.per_sample)} per sample, {self.measure} "
            f"measured at batches {probes}, {self.frames} frames), but {gb(self.available)} of "
            f"{gb(self.total)} are available; {self.advice(processes)}"
        )

    def check(self, processes: int = 1) -> None:
        """Raise ``InsufficientMemory`` unless ``processes`` runs at once fit."""
        if not self.fits(processes):
            raise InsufficientMemory(self.message(processes))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["probes"] = [asdict(p) for p in self.probes]
        d.update(need=self.need(), per_sample=self.per_sample, fixed=self.fixed)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MemoryEstimate":
        fields = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        fields["probes"] = tuple(StepProbe(**p) for p in d["probes"])
        return cls(**fields)


def _frames(cfg) -> int:
    """Frames a training sample has: the window, else the stored length of the training split."""
    if cfg.data.window is not None:
        return cfg.data.window
    import numpy as np

    from sttr.experiment import split_files

    return int(np.load(split_files(cfg.data.dir, "train")[0], mmap_mode="r").shape[2])


def measure(cfg, device: str | None = None, batches: Sequence[int] | None = None) -> MemoryEstimate:
    """Measure one training step of ``cfg``'s model at each of ``batches`` (increasing) on ``device`` and fit the
    line to the configured batch; random inputs of the run's shape (N, C, T, V, M)."""
    import torch
    import torch.nn.functional as F

    from sttr.evaluation.inference import autocast
    from sttr.models import build_model
    from sttr.runtime import tune_cpu_allocator
    from sttr.train import build_optimizer

    tc = cfg.train
    name = device or ("cuda" if tc.device == "auto" and torch.cuda.is_available() else tc.device)
    name = "cpu" if name == "auto" else name
    dev = torch.device(name)
    cuda = dev.type == "cuda"
    batches = tuple(batches or (CUDA_PROBE_BATCHES if cuda else CPU_PROBE_BATCHES))
    tune_cpu_allocator()  # as training does: freed blocks stay in the heap
    if tc.threads is not None:
        torch.set_num_threads(tc.threads)
    available, total = device_capacity(name)
    frames = _frames(cfg)
    torch.manual_seed(0)
    model = build_model(cfg.model).to(dev)
    optimizer = build_optimizer(model, cfg)
    model.train()
    shape = (cfg.data.channels, frames, cfg.model.num_joints, cfg.model.num_persons)

    def step(batch: int) -> float:
        x = torch.randn(batch, *shape, device=dev)  # (N, C, T, V, M)
        y = torch.randint(0, cfg.model.num_classes, (batch,), device=dev)
        if cuda:
            torch.cuda.synchronize(dev)
        t0 = time.perf_counter()
        with autocast(dev, tc.amp):
            logits = model(x)  # (N, K)
        F.cross_entropy(logits.float(), y).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize(dev)
        return time.perf_counter() - t0

    probes = []
    for batch in batches:
        if cuda:
            torch.cuda.reset_peak_memory_stats(dev)
        else:
            _reset_cpu_peak()
        seconds = step(batch)
        peak = torch.cuda.max_memory_reserved(dev) if cuda else cpu_peak()
        probes.append(StepProbe(batch=batch, peak=int(peak), seconds=seconds))
    estimate = MemoryEstimate(
        config=cfg.source, device=name, batch_size=tc.batch_size, grad_accum=tc.grad_accum, probes=tuple(probes),
        available=available, total=total, measure="CUDA reserved" if cuda else "CPU RSS", frames=frames,
    )  # fmt: skip
    if cuda and estimate.fits():  # a GPU step is cheap: time the real batch, a warm-up step first
        step(tc.batch_size)
        return _replace(estimate, seconds_per_step=step(tc.batch_size))
    return _replace(estimate, warm_seconds=step(batches[-1]))


def _replace(estimate: MemoryEstimate, **changes: Any) -> MemoryEstimate:
    import dataclasses

    return dataclasses.replace(estimate, **changes)


def with_capacity(estimate: MemoryEstimate) -> MemoryEstimate:
    """The same measurement against the device's memory now (a stored estimate may be older)."""
    available, total = device_capacity(estimate.device)
    return _replace(estimate, available=available, total=total)


def describe_kill(code: int, peak: int | None, device: str = "cpu") -> str:
    """How a training process ended by a signal reads: SIGKILL is the kernel's out-of-memory killer's signal."""
    import signal

    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    if -code != signal.SIGKILL:
        return f"stopped by {name}"
    _, total = device_capacity("cpu")
    used = f"peak {gb(peak)} of {gb(total)}" if peak else f"{gb(total)} on this machine"
    return (f"killed by the system ({name}), most likely out of memory: {used}; lower train.batch_size and raise "
            "train.grad_accum to keep the effective batch, or run fewer at once (workers)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Read ``[{"config": path, "overrides": [...]}, ...]`` on stdin, print one estimate per run as JSON lines."""
    import logging

    from sttr.experiment import ConfigError, load_config, validate

    logging.basicConfig(level=logging.WARNING)
    try:
        for item in json.loads(sys.stdin.read()):
            cfg = load_config(item["config"], item.get("overrides", ()))
            validate(cfg)
            print(json.dumps(measure(cfg).to_dict()), flush=True)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

