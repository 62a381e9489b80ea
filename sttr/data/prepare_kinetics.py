"""Kinetics-skeleton folder -> 2s-AGCN arrays per split: the prepare-kinetics job.

Every clip is read and converted once in a process pool; results arrive in file-name order and go
straight into memory-mapped ``.npy`` files under temporary names, renamed when complete
(``sttr.data.formats.StagedArray``), so a rerun after an interruption starts clean. Malformed and
unlabelled files are skipped and reported.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sttr.data.formats import StagedArray, clean_partials, write_json, write_label_names
from sttr.data.kinetics import (
    NUM_JOINTS,
    SPLITS,
    KineticsFormatError,
    LabelEntry,
    class_names,
    clip_folder,
    clip_id,
    convert_clip,
    label_file,
    read_label_file,
)
from sttr.data.prepare import PrepareError, map_in_order, output_kinds, publish_split, sample_arrays
from sttr.data.preprocess import valid_frames

log = logging.getLogger(__name__)

Result = tuple[np.ndarray | None, int, str | None]  # (array (3, T, V, M) or None, frames left out, reason)


def process_clip(job: tuple[str, int]) -> Result:
    """Convert one clip file whose label file gives ``label_index``; a malformed file gives (None, 0, reason)."""
    path, label_index = job
    try:
        x, dropped = convert_clip(path, label_index)  # (3, 300, 18, 2)
    except KineticsFormatError as err:
        return None, 0, str(err)
    return x, dropped, None


@dataclass
class _Split:
    """One split's clip files matched with its label file: what to convert and everything set aside."""

    name: str
    entries: dict[str, LabelEntry]
    jobs: list[tuple[Path, int]] = field(default_factory=list)  # (clip file, label_index), by file name
    skipped: list[dict[str, str]] = field(default_factory=list)  # malformed label entries and their clips
    unlabelled_clips: list[dict[str, str]] = field(default_factory=list)  # clip files without a label entry
    entries_without_clip: list[dict[str, str]] = field(default_factory=list)  # has_skeleton entries, no file

    @property
    def no_skeleton(self) -> int:
        """Label entries with ``has_skeleton: false``: their clips are left out, as the authors do."""
        return sum(not e.has_skeleton for e in self.entries.values())


def _scan_split(raw_dir: Path, split: str) -> _Split:
    """Match the clip files of a split with its label file; clips in file-name order."""
    folder, labels = clip_folder(raw_dir, split), label_file(raw_dir, split)
    for path, what in ((folder, "clip folder"), (labels, "label file")):
        if not path.exists():
            raise FileNotFoundError(f"{path}: {what} of split {split!r} not found (expected kinetics_{split}/ "
                                    f"and kinetics_{split}_label.json in {raw_dir})")  # fmt: skip
    entries, problems = read_label_file(labels)
    out = _Split(split, entries)
    out.skipped += [{"file": labels.name, "reason": reason} for _, reason in sorted(problems.items())]
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".json") and p.is_file())
    for path in files:
        key, rel = clip_id(path), f"{folder.name}/{path.name}"
        entry = entries.get(key)
        if key in problems:
            out.skipped.append({"file": rel, "reason": f"its entry in {labels.name} is malformed (listed there)"})
        elif entry is None:
            out.unlabelled_clips.append({"file": rel, "reason": f"no entry {key!r} in {labels.name}"})
        elif entry.has_skeleton:
            out.jobs.append((path, entry.label_index))
    listed = {clip_id(p) for p in files}
    for key, entry in sorted(entries.items()):
        if entry.has_skeleton and key not in listed:
            reason = f"entry {key!r} (has_skeleton true) has no clip file {folder.name}/{key}.json"
            out.entries_without_clip.append({"file": labels.name, "reason": reason})
    return out


@dataclass
class _Written:
    """A converted split: kept sample names, labels, valid frames, clips with frames left out, problems."""

    names: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def _convert_split(split: _Split, outputs: dict[str, StagedArray], workers: int, progress: bool) -> _Written:
    """Convert a split's clips into ``outputs`` (joint, and bone / joint_bone when present) in order."""
    done = _Written()
    jobs = [(str(p), label) for p, label in split.jobs]
    desc = f"prepare-kinetics {split.name}"
    with contextlib.closing(map_in_order(process_clip, jobs, workers, progress, desc, "clip")) as results:
        for (path, label), (x, dropped, reason) in zip(split.jobs, results):
            rel = f"{path.parent.name}/{path.name}"
            if x is None:
                done.skipped.append({"file": rel, "reason": reason or "unknown error"})
                continue
            row = len(done.names)
            for kind, array in sample_arrays(x, outputs).items():  # bones of all three channels, as the authors
                outputs[kind][row] = array
            done.names.append(path.name)
            done.labels.append(label)
            done.lengths.append(valid_frames(x))
            if dropped:
                done.dropped.append({"file": rel, "frames": dropped})
    for out in outputs.values():
        out.finish(len(done.names))
    return done


def _report(
    raw_dir: Path,
    scanned: dict[str, _Split],
    written: dict[str, _Written],
    names: list[str],
    name_problems: list[str],
    arrays: list[str],
) -> dict[str, Any]:
    """``prepare_report.json``: counts, every malformed and unlabelled file, clips with frames left out."""
    splits = list(scanned)
    return {
        "dataset": "kinetics-skeleton",
        "raw_dir": str(raw_dir),
        "splits": splits,
        "order": "clip files sorted by name",
        "num_classes": len(names),
        "counts": {s: len(written[s].names) for s in splits},
        "no_skeleton": {s: scanned[s].no_skeleton for s in splits},
        "skipped": [x for s in splits for x in scanned[s].skipped + written[s].skipped],
        "unlabelled": [x for s in splits for x in scanned[s].unlabelled_clips + scanned[s].entries_without_clip],
        "label_name_conflicts": name_problems,
        "frames_left_out": [x for s in splits for x in written[s].dropped],
        "arrays": arrays,
    }


def _discard(outputs: dict[str, dict[str, StagedArray]]) -> None:
    for per_split in outputs.values():
        for out in per_split.values():
            out.discard()


def prepare_kinetics(
    raw_dir: str | Path,
    out_dir: str | Path,
    *,
    splits: Sequence[str] = SPLITS,
    bones: bool = False,
    joint_bones: bool = False,
    workers: int | None = None,
    strict: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Turn a ``kinetics-skeleton`` folder into 2s-AGCN arrays, as the authors' ``kinetics_gendata.py``.

    Reads ``raw_dir/kinetics_<split>/*.json`` and ``kinetics_<split>_label.json``; writes
    ``out_dir/<split>_data_joint.npy`` (N, 3, 300, 18, 2) float32 (x, y, score), ``<split>_label.pkl``
    (clip file names, label_index), ``<split>_num_frames.npy``, optional ``_data_bone.npy`` /
    ``_data_joint_bone.npy``, ``label_names.json`` and ``prepare_report.json``, which is returned.
    Clips are in file-name order; clips with ``has_skeleton: false`` are left out. With ``strict``, any
    malformed or unlabelled clip raises ``PrepareError`` and no arrays are kept.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    splits = list(dict.fromkeys(splits))
    if not splits or any(s not in SPLITS for s in splits):
        raise ValueError(f"splits: expected some of {SPLITS}, got {splits}")
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: Kinetics-skeleton folder not found")
    workers = (os.cpu_count() or 1) if workers is None else max(1, workers)
    scanned = {s: _scan_split(raw_dir, s) for s in splits}
    names, name_problems = class_names([e for s in splits for e in scanned[s].entries.values()])
    if not any(scanned[s].jobs for s in splits):
        folders = ", ".join(f"kinetics_{s}/" for s in splits)
        raise ValueError(f"{raw_dir}: no labelled clip file with a skeleton in {folders}")

    clean_partials([out_dir])
    out_dir.mkdir(parents=True, exist_ok=True)
    kinds = output_kinds(bones, joint_bones)
    outputs: dict[str, dict[str, StagedArray]] = {}
    written: dict[str, _Written] = {}
    try:
        for s in splits:
            rows = len(scanned[s].jobs)
            outputs[s] = {k: StagedArray(out_dir / f"{s}_data_{k}.npy", rows, c, NUM_JOINTS) for k, c in kinds.items()}
            written[s] = _convert_split(scanned[s], outputs[s], workers, progress)
    except BaseException:
        _discard(outputs)
        raise

    report = _report(raw_dir, scanned, written, names, name_problems, sorted(kinds))
    unusable = report["skipped"] + [u for s in splits for u in scanned[s].unlabelled_clips]
    report["complete"] = not (strict and unusable)
    if strict and unusable:
        _discard(outputs)
        write_json(out_dir / "prepare_report.json", report)
        raise PrepareError(unusable)
    for s in splits:
        publish_split(out_dir, s, outputs[s], written[s].names, written[s].labels, written[s].lengths)
    write_label_names(out_dir, names)
    write_json(out_dir / "prepare_report.json", report)
    log.info("prepared kinetics-skeleton: %s; %d malformed, %d unlabelled skipped", report["counts"],
             len(report["skipped"]), len(report["unlabelled"]))  # fmt: skip
    return report
