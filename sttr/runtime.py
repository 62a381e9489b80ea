"""Process-level CPU settings for training and inference (glibc's allocator kept from returning memory), and
what CPU this is (its model and vector extension: CPU results depend on them; benchmarks print them).

PyTorch's CPU tensors of a training step are tens of MB each; glibc serves them with fresh ``mmap``s and
returns them on free, so every step pays page faults to zero the same memory again (about 1 s of system
time per paper-configuration step on 2 cores, benchmarks/README.md). Raising the mmap and trim thresholds
keeps freed blocks in the heap for reuse, as jemalloc/tcmalloc do (PyTorch's CPU tuning guide suggests
those). Linux with glibc only; elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform
from pathlib import Path

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_THRESHOLD = 1 << 30  # 1 GiB: blocks below stay in the heap, and the heap is not trimmed below this much free


@functools.cache
def tune_cpu_allocator() -> bool:
    """Keep freed tensor memory for reuse (glibc ``mallopt``). Decided once per process; returns whether the
    setting is on.

    Set ``STTR_NO_MALLOPT=1`` (before the first model is built) to leave the allocator alone, e.g. when
    preloading jemalloc or tcmalloc.
    """
    if os.environ.get("STTR_NO_MALLOPT") or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)) & bool(libc.mallopt(_M_TRIM_THRESHOLD, _THRESHOLD))


def _cpuinfo_field(name: str) -> str | None:
    """The value of the first ``name`` line of /proc/cpuinfo (Linux), else None."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.split(":", 1)[0].strip() == name), None)


def cpu_model() -> str:
    """The CPU's model name, as lscpu prints it (from /proc/cpuinfo; elsewhere what ``platform`` knows)."""
    return _cpuinfo_field("model name") or platform.processor() or platform.machine() or "unknown CPU"


def cpu_isa() -> str:
    """The CPU's widest vector extension that PyTorch's kernels use: "AVX-512", "AVX2" or "no AVX2"."""
    flags = set((_cpuinfo_field("flags") or "").split())
    return "AVX-512" if "avx512f" in flags else ("AVX2" if "avx2" in flags else "no AVX2")
