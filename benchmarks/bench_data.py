"""Data pipeline speed: files/s for reading and reading+preprocessing raw NTU-format files.

Generates NTU-like files (mean ~85 frames, some 300, one or two bodies, all 12 joint fields written
like Kinect's) in a temporary folder, times the reader, reader+normalisation and ``prepare_ntu`` (single
process and the pool), extrapolates the full NTU-60 set (56,880 files), and compares CPU time per file
and output with ``tests/oracles/authors_ntu.py``, our re-implementation of the structure of the authors' data code
(2s-AGCN's ``read_xyz`` + ``pre_normalization``; the real code is not run here), both interleaved file by
file and with each code over the files in passes of its own. Exits non-zero if the outputs differ by more
than 1e-5.

    python benchmarks/bench_data.py [--files 300] [--authors-files 40] [--workers 2]
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
from sttr.runtime import cpu_model  # noqa: E402

from tests.oracles import authors_ntu  # noqa: E402

NTU60_FILES = 56_880
TOLERANCE = 1e-5


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


def ours(path: Path) -> np.ndarray:
    """Our pipeline for one file: read + body selection + normalisation, (3, 300, 25, 2) float32."""
    return skeleton_to_input(read_skeleton(path))


def authors(path: Path) -> np.ndarray:
    """The authors' structure for one file: ``read_xyz`` into the sample's row of the (N, 3, 300, 25, 2)
    array, then ``pre_normalization`` on that (1, 3, 300, 25, 2) row (what their batch loop spends per sample)."""
    data = authors_ntu.read_xyz(str(path))  # (3, T, 25, 2)
    fp = np.zeros((1, 3, 300, 25, 2), dtype=np.float32)
    fp[0, :, : data.shape[1]] = data
    return authors_ntu.pre_normalization(fp)[0]


def compare_with_authors(paths: list[Path]) -> tuple[float, float, float]:
    """CPU seconds per file of ours and of the authors' structure, interleaved file by file; max |difference|."""
    ours(paths[0])  # warm-up: lazy imports and first-call costs
    authors(paths[0])
    c_ours = c_authors = max_diff = 0.0
    for path in paths:
        c0 = time.process_time()
        x = ours(path)
        c1 = time.process_time()
        y = authors(path)
        c2 = time.process_time()
        c_ours, c_authors = c_ours + c1 - c0, c_authors + c2 - c1
        max_diff = max(max_diff, float(np.abs(x - y).max()))
    return c_ours / len(paths), c_authors / len(paths), max_diff


def compare_in_passes(paths: list[Path], rounds: int = 2) -> tuple[float, float]:
    """CPU seconds per file of ours and of the authors' structure, each over all ``paths`` in a pass of its own
    (as each tool runs over a dataset), passes alternated for ``rounds`` rounds; best pass of each."""
    best = {"ours": float("inf"), "authors": float("inf")}
    for _ in range(rounds):
        for name, fn in (("ours", ours), ("authors", authors)):
            c0 = time.process_time()
            for path in paths:
                fn(path)
            best[name] = min(best[name], (time.process_time() - c0) / len(paths))
    return best["ours"], best["authors"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--authors-files", type=int, default=40, help="files also run through authors_ntu.py")
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

        ours(paths[0])  # warm-up: pandas' parser is imported on first use
        t0, c0 = time.perf_counter(), time.process_time()
        seqs = [read_skeleton(p) for p in paths]
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        for seq in seqs:
            skeleton_to_input(seq)
        t_norm, c_norm = time.perf_counter() - t0, time.process_time() - c0

        rows = [("read (1 process)", n, t_read), ("read + preprocess (1 process)", n, t_read + t_norm)]
        for workers in sorted({1, args.workers}):
            t0 = time.perf_counter()
            prepare_ntu(raw, Path(tmp) / f"out{workers}", "ntu60", ["xsub"], workers=workers, progress=False,
                        keep_missing=True)  # fmt: skip
            rows.append((f"prepare_ntu, {workers} worker(s), with writing", n, time.perf_counter() - t0))

        k = min(args.authors_files, n)
        sample = paths[:: max(1, n // k)][:k]  # spread over the set
        c_ours, c_authors, max_diff = compare_with_authors(sample)
        p_ours, p_authors = compare_in_passes(sample)
        rows.append(("authors' structure (authors_ntu.py), CPU time", k, c_authors * k))

    load = os.getloadavg()[0]
    shared = " (above the CPU count: other processes share the cores)" if load > (os.cpu_count() or 1) else ""
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, "
          f"numpy {np.__version__}, torch {torch.__version__}, python {platform.python_version()}, "
          f"load average {load:.1f}{shared}")  # fmt: skip
    print(f"{n} generated files, mean {mean_len:.1f} frames, {size_mb:.2f} MB per file")
    print(f"{'step':48s} {'files':>6s} {'files/s':>8s} {'NTU-60 (56,880 files), extrapolated':>38s}")
    for label, count, seconds in rows:
        minutes = NTU60_FILES / (count / seconds) / 60
        print(f"{label:48s} {count:6d} {_rate(count, seconds)} {minutes:33.1f} min")
    print(f"CPU time per file, 1 process: read {c_read / n * 1e3:.1f} ms, preprocess {c_norm / n * 1e3:.1f} ms")
    print(f"same {k} files, interleaved, CPU time per file: ours (read + preprocess) {c_ours * 1e3:.1f} ms, "
          f"authors' structure (read_xyz + pre_normalization) {c_authors * 1e3:.1f} ms")  # fmt: skip
    print(f"speed-up over the authors' structure (CPU time, interleaved): {c_authors / c_ours:.1f}x")
    print(f"same {k} files, each code in passes of its own (best of 2), CPU time per file: ours {p_ours * 1e3:.1f} ms, "
          f"authors' structure {p_authors * 1e3:.1f} ms: {p_authors / p_ours:.1f}x")  # fmt: skip
    print(f"max |ours - authors' structure| over {k} files: {max_diff:.2e} (tolerance {TOLERANCE:g})")
    if not max_diff <= TOLERANCE:
        sys.exit(f"outputs differ from the authors' structure by {max_diff:.2e} > {TOLERANCE:g}")


if __name__ == "__main__":
    main()
