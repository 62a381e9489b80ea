"""Data pipeline speed: files/s for reading and reading+preprocessing raw NTU-format files.

Generates NTU-like files (mean ~85 frames, some 300, one or two bodies, all 12 joint fields written
like Kinect's) in a temporary folder, times the reader, reader+normalisation and ``prepare_ntu`` (single
process and the pool), extrapolates the full NTU-60 set (56,880 files), and compares speed and
output with the literal per-joint implementation of tests/test_preprocess.py (the authors' algorithm).

    python benchmarks/bench_data.py [--files 300] [--literal-files 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sttr.data.ntu import format_skeleton, read_skeleton  # noqa: E402
from sttr.data.prepare import prepare_ntu  # noqa: E402
from sttr.data.preprocess import skeleton_to_input  # noqa: E402

NTU60_FILES = 56_880


def _body(rng: np.random.Generator, frames: int, offset: float) -> np.ndarray:
    """(T, 25, 12) Kinect-like rows: xyz in metres, depth/colour pixels, orientation quaternion, state."""
    xyz = rng.normal(scale=0.3, size=(1, 25, 3)) + np.array([offset, 0.2, 3.2])
    xyz = xyz + np.cumsum(rng.normal(scale=0.005, size=(frames, 25, 3)), axis=0)
    depth = 256 + 360 * xyz[..., :2] / xyz[..., 2:]
    color = 960 + 1060 * xyz[..., :2] / xyz[..., 2:]
    quat = rng.normal(size=(frames, 25, 4))
    quat /= np.linalg.norm(quat, axis=-1, keepdims=True)
    state = np.full((frames, 25, 1), 2.0)
    return np.concatenate([xyz, depth, color, quat, state], axis=-1)


def make_files(folder: Path, count: int, seed: int = 0) -> float:
    """Write ``count`` NTU-like files (5% of 300 frames, the rest ~U(25, 140); 30% two bodies); mean length."""
    rng = np.random.default_rng(seed)
    lengths = []
    for i in range(count):
        frames = 300 if rng.uniform() < 0.05 else int(rng.integers(25, 140))
        lengths.append(frames)
        bodies = [_body(rng, frames, 0.0)] + ([_body(rng, frames, 0.8)] if rng.uniform() < 0.3 else [])
        per_frame = [[{"joints": b[t], "info": (72057594037930000 + k, 0, 1, 1, 0, 1, 0, 0.01, 0.05, 2)}
                      for k, b in enumerate(bodies)] for t in range(frames)]  # fmt: skip
        name = "S%03dC%03dP%03dR%03dA%03d.skeleton" % (1 + i % 17, 1 + i % 3, 1 + i % 40, 1 + i % 2, 1 + i % 60)
        (folder / name).write_text(format_skeleton(per_frame))
    return float(np.mean(lengths))


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--literal-files", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    import torch  # only to record the version

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        mean_len = make_files(raw, args.files)
        paths = sorted(raw.glob("*.skeleton"))
        n = len(paths)  # names may repeat across the generated set
        size_mb = sum(p.stat().st_size for p in paths) / n / 1e6

        t0, c0 = time.perf_counter(), time.process_time()
        seqs = [read_skeleton(p) for p in paths]
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        arrays = [skeleton_to_input(s) for s in seqs]
        t_norm, c_norm = time.perf_counter() - t0, time.process_time() - c0

        rows = [("read (1 process)", n, t_read), ("read + preprocess (1 process)", n, t_read + t_norm)]
        for workers in sorted({1, args.workers}):
            t0 = time.perf_counter()
            prepare_ntu(raw, Path(tmp) / f"out{workers}", "ntu60", ["xsub"], workers=workers, progress=False,
                        keep_missing=True)  # fmt: skip
            rows.append((f"prepare_ntu, {workers} worker(s), with writing", n, time.perf_counter() - t0))

        from tests.test_preprocess import literal_pipeline  # the authors' algorithm, literally

        k = min(args.literal_files, n)
        t0, c0 = time.perf_counter(), time.process_time()
        literal = [literal_pipeline(p) for p in paths[:k]]
        t_literal, c_literal = time.perf_counter() - t0, time.process_time() - c0
        rows.append(("literal per-joint reader + preprocess", k, t_literal))
        max_diff = max(float(np.abs(a - b).max()) for a, b in zip(arrays[:k], literal))

    load = os.getloadavg()[0]
    shared = " (above the CPU count: other processes share the cores)" if load > (os.cpu_count() or 1) else ""
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"numpy {np.__version__}, torch {torch.__version__}, python {platform.python_version()}, "
          f"load average {load:.1f}{shared}")  # fmt: skip
    print(f"{n} generated files, mean {mean_len:.1f} frames, {size_mb:.2f} MB per file")
    print(f"{'step':48s} {'files':>6s} {'files/s':>8s} {'NTU-60 (56,880 files), extrapolated':>38s}")
    for label, count, seconds in rows:
        minutes = NTU60_FILES / (count / seconds) / 60
        print(f"{label:48s} {count:6d} {_rate(count, seconds)} {minutes:33.1f} min")
    print(f"CPU time per file, 1 process: read {c_read / n * 1e3:.1f} ms, preprocess {c_norm / n * 1e3:.1f} ms")
    per_ours = (c_read + c_norm) / n
    print(f"speed-up of read + preprocess over the literal implementation (CPU time): {c_literal / k / per_ours:.0f}x")
    print(f"max |ours - literal| over {k} files: {max_diff:.2e}")


if __name__ == "__main__":
    main()
