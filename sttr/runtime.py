"""Process-level CPU settings for training and inference: glibc's allocator kept from returning memory.

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
