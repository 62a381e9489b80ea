"""Raw NTU ``.skeleton`` folder -> 2s-AGCN training arrays for one or more benchmarks.

Every file is read and normalised once in a process pool; results arrive in name order and go
straight into memory-mapped ``.npy`` files under temporary names, renamed when complete
(``sttr.data.formats.StagedArray``), so a rerun after an interruption starts clean and never duplicates.
Malformed files are skipped and reported.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from sttr.data.formats import StagedArray, clean_partials, save_array, write_json, write_label_names, write_labels
from sttr.data.names import MAX_FRAMES, parse_name
from sttr.data.ntu import SkeletonFormatError, read_skeleton
from sttr.data.preprocess import joints_and_bones, skeleton_to_input_and_length
from sttr.data.registry import NTU_READER, REGISTRY, read_by
from sttr.skeleton import NUM_JOINTS

log = logging.getLogger(__name__)

SPLITS = ("train", "val")


class PrepareError(RuntimeError):
    """``prepare_ntu(strict=True)`` found malformed files; ``skipped`` lists (file, reason)."""

    def __init__(self, skipped: list[dict[str, str]]) -> None:
        self.skipped = skipped
        listing = "; ".join(f"{s['file']}: {s['reason']}" for s in skipped[:20])
        more = f" (and {len(skipped) - 20} more)" if len(skipped) > 20 else ""
        super().__init__(f"{len(skipped)} raw file(s) could not be used: {listing}{more}")


def process_file(path: str) -> tuple[np.ndarray | None, int, str | None]:
    """Read and normalise one file: (array (3, 300, 25, 2) float32, valid frames, None) or (None, 0, reason)."""
    try:
        seq = read_skeleton(path)
    except SkeletonFormatError as err:
        return None, 0, str(err)
    except OSError as err:
        return None, 0, f"{Path(path).name}: cannot read ({err.strerror or err})"
    if seq.num_bodies == 0:
        return None, 0, f"{Path(path).name}: no body in any of its {seq.num_frames} frames"
    x, length = skeleton_to_input_and_length(seq, max_frames=MAX_FRAMES)  # (3, T, V, 2)
    return x, length, None


def map_in_order(
    function: Callable[[Any], Any], items: Sequence[Any], workers: int, progress: bool, desc: str, unit: str
) -> Iterator[Any]:
    """``function`` over ``items``, results in order, in a process pool when ``workers > 1``, with a progress bar
    (the data-preparation jobs' loop; ``function`` must be importable by the pool's processes)."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(items), desc=desc, unit=unit, disable=not progress)
    try:
        if workers <= 1 or len(items) < 2:
            for item in items:
                yield function(item)
                bar.update()
            return
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers) as pool:
            for result in pool.imap(function, items, chunksize=8):
                yield result
                bar.update()
    finally:
        bar.close()


def output_kinds(bones: bool, joint_bones: bool) -> dict[str, int]:
    """The arrays a prepare job writes, kind -> channels: the joints, and on request bones and joints+bones."""
    return {"joint": 3} | ({"bone": 3} if bones else {}) | ({"joint_bone": 6} if joint_bones else {})


def sample_arrays(x: np.ndarray, kinds: Iterable[str]) -> dict[str, np.ndarray]:
    """One sample's arrays of ``kinds`` from its joints (3, T, V, M); bones are computed once when needed."""
    kinds = list(kinds)
    if kinds == ["joint"]:
        return {"joint": x}
    both = joints_and_bones(x)  # (6, T, V, M): joints, then bones
    arrays = {"joint": x, "bone": both[3:], "joint_bone": both}
    return {k: arrays[k] for k in kinds}


def publish_split(
    folder: Path, split: str, outputs: Mapping[str, StagedArray], names: Sequence[str], labels: Sequence[int],
    lengths: Sequence[int],
) -> None:  # fmt: skip
    """Rename a split's finished arrays into place, remove bone arrays of an earlier run that were not asked
    for (they would not match the new joints), and write the split's frame counts and labels."""
    for out in outputs.values():
        out.publish()
    for kind in ("bone", "joint_bone"):
        stale = folder / f"{split}_data_{kind}.npy"
        if kind not in outputs and stale.exists():
            log.info("removing %s: not requested, would not match the new joints", stale)
            stale.unlink()
    save_array(folder / f"{split}_num_frames.npy", np.asarray(lengths, dtype=np.int64))
    write_labels(folder / f"{split}_label.pkl", names, labels)


def prepare_ntu(
    raw_dir: str | Path,
    out_dir: str | Path,
    dataset: str = "ntu60",
    benchmarks: Sequence[str] = ("xsub",),
    *,
    bones: bool = False,
    joint_bones: bool = False,
    workers: int | None = None,
    strict: bool = False,
    progress: bool = True,
    keep_missing: bool = False,
) -> dict[str, Any]:
    """Turn ``raw_dir``'s ``.skeleton`` files (searched recursively) into 2s-AGCN arrays per benchmark.

    Writes ``out_dir/<benchmark>/{train,val}_data_joint.npy`` (N, 3, 300, 25, 2) float32,
    ``{train,val}_label.pkl``, ``{train,val}_num_frames.npy``, optional ``_data_bone.npy`` and
    ``_data_joint_bone.npy``, ``label_names.json``, and ``out_dir/prepare_report.json``, which is
    returned. Samples are sorted by name; the dataset's missing-skeleton list is applied unless
    ``keep_missing``. With ``strict``, any skipped file raises ``PrepareError`` and no arrays are kept.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if dataset not in REGISTRY or not REGISTRY[dataset].ntu_format:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {read_by(NTU_READER)}")
    entry = REGISTRY[dataset]
    benchmarks = list(dict.fromkeys(benchmarks))
    if not benchmarks:
        raise ValueError("no benchmark given; expected e.g. xsub")
    for b in benchmarks:
        entry.benchmark(b)  # a ValueError names the dataset's benchmarks
    missing = frozenset() if keep_missing else entry.missing_skeletons()
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: raw skeleton folder not found")
    workers = (os.cpu_count() or 1) if workers is None else max(1, workers)

    skipped: list[dict[str, str]] = []
    by_name: dict[str, Path] = {}
    excluded_missing: list[str] = []
    not_in_dataset = 0
    for path in sorted(raw_dir.rglob("*.skeleton")):
        try:
            sample = parse_name(path.name)
        except ValueError as err:
            skipped.append({"file": path.name, "reason": str(err)})
            continue
        name = sample.name
        if not entry.in_dataset(sample):
            not_in_dataset += 1
        elif name in by_name:
            skipped.append({"file": str(path), "reason": f"duplicate of {by_name[name]}"})
        elif name in missing:
            excluded_missing.append(name)
        else:
            by_name[name] = path
    names = sorted(by_name)
    if not names:
        raise ValueError(f"{raw_dir}: no .skeleton file of dataset {dataset!r} found")
    log.info("%d %s samples in %s (%d workers)", len(names), dataset, raw_dir, workers)

    folders = [out_dir / b for b in benchmarks]
    clean_partials([out_dir, *folders])
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    train_of = {b: [entry.is_training(n, b) for n in names] for b in benchmarks}
    kinds = output_kinds(bones, joint_bones)
    outputs: dict[tuple[str, str, str], StagedArray] = {}
    kept: dict[tuple[str, str], list[int]] = {(b, s): [] for b in benchmarks for s in SPLITS}
    lengths: dict[tuple[str, str], list[int]] = {(b, s): [] for b in benchmarks for s in SPLITS}
    for b in benchmarks:
        n_train = sum(train_of[b])
        for split, rows in (("train", n_train), ("val", len(names) - n_train)):
            for kind, channels in kinds.items():
                path = out_dir / b / f"{split}_data_{kind}.npy"
                outputs[b, split, kind] = StagedArray(path, rows, channels, NUM_JOINTS)

    try:
        paths = [str(by_name[n]) for n in names]
        with contextlib.closing(map_in_order(process_file, paths, workers, progress, "prepare-ntu", "file")) as results:
            for i, (x, length, reason) in enumerate(results):
                if x is None:
                    skipped.append({"file": by_name[names[i]].name, "reason": reason or "unknown error"})
                    continue
                arrays = sample_arrays(x, kinds)
                for b in benchmarks:
                    split = "train" if train_of[b][i] else "val"
                    row = len(kept[b, split])
                    for kind in kinds:
                        outputs[b, split, kind][row] = arrays[kind]
                    kept[b, split].append(i)
                    lengths[b, split].append(length)
        for (b, split, kind), out in outputs.items():
            out.finish(len(kept[b, split]))
    except BaseException:
        for out in outputs.values():
            out.discard()
        raise

    report: dict[str, Any] = {
        "dataset": dataset,
        "benchmarks": benchmarks,
        "raw_dir": str(raw_dir),
        "num_classes": entry.classes,
        "files_used": sum(len(kept[benchmarks[0], s]) for s in SPLITS),
        "excluded_missing_skeletons": excluded_missing,
        "excluded_not_in_dataset": not_in_dataset,
        "skipped": skipped,
        "counts": {b: {s: len(kept[b, s]) for s in SPLITS} for b in benchmarks},
        "arrays": sorted(kinds),
        "complete": not (strict and skipped),
    }
    if strict and skipped:
        for out in outputs.values():
            out.discard()
        write_json(out_dir / "prepare_report.json", report)
        raise PrepareError(skipped)

    for b in benchmarks:
        for split in SPLITS:
            rows = kept[b, split]
            publish_split(out_dir / b, split, {k: outputs[b, split, k] for k in kinds}, [names[i] for i in rows],
                          [entry.label_of(names[i]) for i in rows], lengths[b, split])  # fmt: skip
        write_label_names(out_dir / b, entry.class_names())
    write_json(out_dir / "prepare_report.json", report)
    log.info("prepared %s: %s; %d file(s) skipped", dataset, report["counts"], len(skipped))
    return report
