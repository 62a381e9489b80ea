"""The CPU allocator setting: on where glibc allows it, off on request, and memory freed by a step reused; the
CPU description benchmarks print."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

_PROBE = """
import resource, torch
from sttr.runtime import tune_cpu_allocator
on = tune_cpu_allocator()
assert tune_cpu_allocator() == on  # idempotent
faults = []
for step in range(8):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones(64, 2**18).sum()  # 64 MB allocated and freed each step
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(on, min(faults[4:]))  # after the heap has settled
"""


def _probe(**env: str) -> tuple[bool, int]:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})  # fmt: skip
    on, faults = out.stdout.split()
    return on == "True", int(faults)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_freed_tensor_memory_is_reused_without_page_faults():
    on, faults = _probe()
    assert on and faults < 100  # the 64 MB block comes back from the heap: no fresh pages
    off, faults_default = _probe(STTR_NO_MALLOPT="1")
    assert not off and faults_default > 10_000  # glibc's default: a fresh mmap (16,384 pages) every step


def test_cpu_isa_is_the_widest_vector_extension(monkeypatch):
    from sttr import runtime

    for flags, isa in (("fpu sse2 avx avx2 avx512f", "AVX-512"), ("fpu sse2 avx avx2 fma", "AVX2"), ("fpu sse2", "no AVX2")):
        monkeypatch.setattr(runtime, "_cpuinfo_field", lambda name, flags=flags: flags if name == "flags" else None)
        assert runtime.cpu_isa() == isa


def test_cpu_model_reads_cpuinfo_and_falls_back_to_platform(monkeypatch):
    from sttr import runtime

    monkeypatch.setattr(runtime, "_cpuinfo_field", lambda name: "AMD EPYC 9B14" if name == "model name" else None)
    assert runtime.cpu_model() == "AMD EPYC 9B14"
    monkeypatch.setattr(runtime, "_cpuinfo_field", lambda name: None)
    monkeypatch.setattr(runtime.platform, "processor", lambda: "x86_64")
    assert runtime.cpu_model() == "x86_64"
