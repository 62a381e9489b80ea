"""Kinetics-skeleton (ST-GCN's OpenPose release): per-clip JSON and label files in, (3, 300, 18, 2) arrays out.

One JSON per clip, ``{"data": [{"frame_index": f, "skeleton": [{"pose": [x0, y0, x1, y1, ...],
"score": [s0, ...]}, ...]}, ...], "label": str, "label_index": k}``, with x and y divided by the video's
width and height, and per split a label file ``{clip_id: {"has_skeleton": bool, "label": str,
"label_index": int}}`` (Yan et al., ST-GCN, AAAI 2018). ``clip_to_array`` computes what the ST-TR
authors' ``kinetics_gendata.py`` (2s-AGCN's, through ST-GCN's Kinetics feeder) writes for a clip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sttr.data.preprocess import MAX_FRAMES, NUM_PERSONS
from sttr.skeleton import KINETICS

NUM_JOINTS = KINETICS.num_joints  # 18 OpenPose joints
NUM_PERSONS_IN = 5  # people read per frame: the first 5 listed
SPLITS = ("train", "val")
_NUMBER = frozenset((int, float))  # JSON numbers; bool, str and None are not


class KineticsFormatError(ValueError):
    """A clip or label file that does not follow the Kinetics-skeleton format; the message names file and key."""


def clip_folder(raw_dir: str | Path, split: str) -> Path:
    """``RAW/kinetics_<split>``: the folder of one split's clip files."""
    return Path(raw_dir) / f"kinetics_{split}"


def label_file(raw_dir: str | Path, split: str) -> Path:
    """``RAW/kinetics_<split>_label.json``: one split's label file."""
    return Path(raw_dir) / f"kinetics_{split}_label.json"


def clip_id(path: str | Path) -> str:
    """The clip id of a clip file: its name without ``.json`` (the key of the label file)."""
    name = Path(path).name
    return name[: -len(".json")] if name.endswith(".json") else name


@dataclass(frozen=True)
class LabelEntry:
    """One clip's entry of a label file."""

    has_skeleton: bool
    label: str
    label_index: int


@dataclass(frozen=True)
class Clip:
    """The people of a clip as listed: K entries, each a frame index, its place in the frame's list and its joints."""

    frame: np.ndarray  # (K,) int64 frame_index
    slot: np.ndarray  # (K,) int64 position of the person in its frame's skeleton list
    pose: np.ndarray  # (K, 18, 2) float64 x, y as written (fractions of width and height)
    score: np.ndarray  # (K, 18) float64
    num_frames: int  # entries of "data"
    label: str | None
    label_index: int | None


def _load_json(path: Path) -> Any:
    """``json.load`` with errors that name the file and say what is wrong."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        raise KineticsFormatError(f"{path.name}: file not found") from None
    except OSError as err:
        raise KineticsFormatError(f"{path.name}: cannot read ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise KineticsFormatError(f"{path.name}: not JSON text (bytes that are not UTF-8)") from None
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise KineticsFormatError(f"{path.name}: not valid JSON ({err.msg}, {where})") from None
    except RecursionError:
        raise KineticsFormatError(f"{path.name}: not valid JSON (nested too deeply)") from None


def _is_int(v: Any) -> bool:
    return type(v) is int


def _show(v: Any) -> str:
    """A JSON value as written, shortened for a message."""
    return json.dumps(v)[:40]


def _numbers(values: Any, length: int, where: str) -> list:
    """Check that ``values`` is a JSON list of ``length`` numbers; return it."""
    if type(values) is not list:
        raise KineticsFormatError(f"{where}: expected a list of {length} numbers, found {type(values).__name__}")
    if len(values) != length:
        raise KineticsFormatError(f"{where}: expected a list of {length} numbers, found {len(values)} values")
    if not set(map(type, values)) <= _NUMBER:
        k, bad = next((k, v) for k, v in enumerate(values) if type(v) not in _NUMBER)
        raise KineticsFormatError(f"{where}[{k}]: expected a number, found {_show(bad)}")
    return values


def _finite(values: np.ndarray, entries: list[str], what: str) -> None:
    """Raise naming the first entry whose (K, n) row of ``values`` holds NaN or infinity."""
    bad = ~np.isfinite(values)
    if bad.any():
        k, j = map(int, np.argwhere(bad)[0])
        raise KineticsFormatError(f"{entries[k]}.{what}[{j}]: expected a finite number, found {values[k, j]}")


def parse_clip(obj: Any, name: str, max_people: int | None = None) -> Clip:
    """Validate a decoded clip JSON and gather its people; only the first ``max_people`` of a frame are read.

    ``name`` (the file name) starts every error message, followed by the JSON path of the bad value.
    """
    if type(obj) is not dict:
        raise KineticsFormatError(f"{name}: expected a JSON object with key 'data', found {type(obj).__name__}")
    if "data" not in obj:
        raise KineticsFormatError(f"{name}: expected key 'data' (the list of frames), found keys {sorted(obj)[:8]}")
    frames = obj["data"]
    if type(frames) is not list:
        raise KineticsFormatError(f"{name}: 'data': expected a list of frames, found {type(frames).__name__}")
    label, label_index = obj.get("label"), obj.get("label_index")
    if label is not None and type(label) is not str:
        raise KineticsFormatError(f"{name}: 'label': expected a string, found {type(label).__name__}")
    if label_index is not None and not _is_int(label_index):
        raise KineticsFormatError(f"{name}: 'label_index': expected an integer, found {_show(label_index)}")
    index, slot, poses, scores, entries = [], [], [], [], []
    for i, frame in enumerate(frames):
        where = f"{name}: data[{i}]"
        if type(frame) is not dict or "frame_index" not in frame or "skeleton" not in frame:
            found = sorted(frame)[:8] if type(frame) is dict else type(frame).__name__
            raise KineticsFormatError(f"{where}: expected an object with 'frame_index' and 'skeleton', found {found}")
        f, people = frame["frame_index"], frame["skeleton"]
        if not _is_int(f) or f < 0:
            raise KineticsFormatError(f"{where}.frame_index: expected an integer >= 0, found {_show(f)}")
        if type(people) is not list:
            raise KineticsFormatError(f"{where}.skeleton: expected a list of people, found {type(people).__name__}")
        for m, person in enumerate(people[:max_people]):
            at = f"{where}.skeleton[{m}]"
            if type(person) is not dict or "pose" not in person or "score" not in person:
                found = sorted(person)[:8] if type(person) is dict else type(person).__name__
                raise KineticsFormatError(f"{at}: expected an object with 'pose' and 'score', found {found}")
            poses.append(_numbers(person["pose"], 2 * NUM_JOINTS, f"{at}.pose"))
            scores.append(_numbers(person["score"], NUM_JOINTS, f"{at}.score"))
            index.append(f)
            slot.append(m)
            entries.append(at)
    try:
        pose = np.array(poses, dtype=np.float64).reshape(-1, 2 * NUM_JOINTS)  # (K, 36)
        score = np.array(scores, dtype=np.float64).reshape(-1, NUM_JOINTS)  # (K, 18)
    except OverflowError:
        raise KineticsFormatError(f"{name}: a pose or score value is too large for a float") from None
    _finite(pose, entries, "pose")
    _finite(score, entries, "score")
    return Clip(
        frame=np.array(index, dtype=np.int64), slot=np.array(slot, dtype=np.int64),
        pose=pose.reshape(-1, NUM_JOINTS, 2), score=score, num_frames=len(frames),
        label=label, label_index=label_index,
    )  # fmt: skip


def read_clip(path: str | Path, max_people: int | None = None) -> Clip:
    """Read one clip file (see ``parse_clip``); malformed files raise ``KineticsFormatError`` naming the file."""
    path = Path(path)
    return parse_clip(_load_json(path), path.name, max_people)


def clip_to_array(
    clip: Clip, max_frames: int = MAX_FRAMES, num_person_in: int = NUM_PERSONS_IN, num_person_out: int = NUM_PERSONS
) -> tuple[np.ndarray, int]:
    """(3, max_frames, 18, num_person_out) float32 (x, y, score) of a clip, and how many frames were left out.

    As the authors' conversion: the first ``num_person_in`` people of each frame go to slots indexed by
    ``frame_index`` (a later entry with the same index overwrites the slot); x and y minus 0.5, y negated,
    both zeroed where the score is 0; per frame the people ordered by summed score, descending, ties in
    listing order, and the first ``num_person_out`` kept. Frames with ``frame_index >= max_frames`` that list
    people (they stop the authors' script with an IndexError) are left out and counted.
    """
    read = clip.slot < num_person_in
    keep = read & (clip.frame < max_frames)
    dropped = len(np.unique(clip.frame[read & ~keep]))
    key = clip.frame[keep] * num_person_in + clip.slot[keep]
    _, last = np.unique(key[::-1], return_index=True)  # the last entry of each (frame, slot)
    rows = np.flatnonzero(keep)[len(key) - 1 - last]
    f, m = clip.frame[rows], clip.slot[rows]
    data = np.zeros((3, max_frames, NUM_JOINTS, num_person_in))  # (C, T, V, M_in) float64
    data[0][f, :, m] = clip.pose[rows, :, 0]
    data[1][f, :, m] = clip.pose[rows, :, 1]
    data[2][f, :, m] = clip.score[rows]
    data[0:2] = data[0:2] - 0.5
    data[1:2] = -data[1:2]
    missing = data[2] == 0  # (T, V, M_in)
    data[0][missing] = 0
    data[1][missing] = 0
    # Descending summed score. Their default argsort kept ties in listing order (numpy < 1.25 sorts rows this
    # short by insertion); the SIMD argsort of numpy >= 1.25 (AVX-512) and >= 2.0 (AVX2) need not, so the
    # order is made stable here.
    order = np.argsort(-data[2].sum(axis=1), axis=1, kind="stable")[:, :num_person_out]  # (T, M_out)
    out = np.take_along_axis(data, order[None, :, None, :], axis=3)  # (C, T, V, M_out)
    return out.astype(np.float32), dropped


def clip_from_keypoints(keypoints: np.ndarray) -> Clip:
    """OpenPose keypoints (M, T, 18, 3) (x, y as fractions of width and height, score) as the clip whose frame t
    lists person m in place m, i.e. what a clip file of these detections holds (people without any detected
    joint included: their scores are 0, so ``clip_to_array`` treats them as it treats people not listed)."""
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim != 4 or kp.shape[2:] != (NUM_JOINTS, 3):
        raise ValueError(f"expected OpenPose keypoints (M, T, {NUM_JOINTS}, 3), got shape {kp.shape}")
    m, t = kp.shape[:2]
    entries = kp.transpose(1, 0, 2, 3).reshape(t * m, NUM_JOINTS, 3)  # (T*M, 18, 3): frame by frame
    return Clip(
        frame=np.repeat(np.arange(t, dtype=np.int64), m), slot=np.tile(np.arange(m, dtype=np.int64), t),
        pose=entries[..., :2], score=entries[..., 2], num_frames=t, label=None, label_index=None,
    )  # fmt: skip



def convert_clip(path: str | Path, expected_label: int | None = None) -> tuple[np.ndarray, int]:
    """Read a clip file and convert it (``clip_to_array``); a ``label_index`` in it must be ``expected_label``."""
    path = Path(path)
    clip = read_clip(path, max_people=NUM_PERSONS_IN)
    if expected_label is not None and clip.label_index is not None and clip.label_index != expected_label:
        raise KineticsFormatError(
            f"{path.name}: label_index {clip.label_index}, but the label file gives {expected_label} for this clip"
        )
    return clip_to_array(clip)


def parse_label_entries(obj: Any, name: str) -> tuple[dict[str, LabelEntry], dict[str, str]]:
    """The well-formed entries of a decoded label file by clip id, and a message per malformed entry by clip id."""
    if type(obj) is not dict:
        raise KineticsFormatError(f"{name}: expected a JSON object {{clip_id: {{...}}}}, found {type(obj).__name__}")
    entries: dict[str, LabelEntry] = {}
    problems: dict[str, str] = {}
    for key, entry in obj.items():
        where = f"{name}: entry {key!r}"
        if type(entry) is not dict or not {"has_skeleton", "label", "label_index"} <= set(entry):
            found = sorted(entry) if type(entry) is dict else type(entry).__name__
            problems[key] = f"{where}: expected an object with has_skeleton, label and label_index, found {found}"
        elif type(entry["has_skeleton"]) is not bool:
            problems[key] = f"{where}: has_skeleton: expected true or false, found {_show(entry['has_skeleton'])}"
        elif type(entry["label"]) is not str:
            problems[key] = f"{where}: label: expected a string, found {_show(entry['label'])}"
        elif not _is_int(entry["label_index"]) or entry["label_index"] < 0:
            problems[key] = f"{where}: label_index: expected an integer >= 0, found {_show(entry['label_index'])}"
        else:
            entries[key] = LabelEntry(entry["has_skeleton"], entry["label"], entry["label_index"])
    return entries, problems


def read_label_file(path: str | Path) -> tuple[dict[str, LabelEntry], dict[str, str]]:
    """Read ``kinetics_<split>_label.json``: well-formed entries and a message per malformed entry, by clip id."""
    path = Path(path)
    return parse_label_entries(_load_json(path), path.name)


def class_names(entries: Sequence[LabelEntry], name: str = "label files") -> tuple[list[str], list[str]]:
    """Class names by label index from label entries, and a message per index named two ways (first name kept).

    Indices no entry uses are named ``"label_index <k>"``.
    """
    names: dict[int, str] = {}
    conflicts: dict[int, set[str]] = {}
    for e in entries:
        if names.setdefault(e.label_index, e.label) != e.label:
            conflicts.setdefault(e.label_index, {names[e.label_index]}).add(e.label)
    count = max(names) + 1 if names else 0
    listed = [names.get(k, f"label_index {k}") for k in range(count)]
    problems = [
        f"{name}: label_index {k} is named {sorted(v)}; kept {names[k]!r}" for k, v in sorted(conflicts.items())
    ]
    return listed, problems


def _person_json(pose: np.ndarray, score: np.ndarray, decimals: int, where: str) -> dict[str, list[float]]:
    """One person of a frame as ST-GCN writes it: ``pose`` [x0, y0, x1, y1, ...] and ``score``, rounded."""
    pose, score = np.asarray(pose, dtype=np.float64), np.asarray(score, dtype=np.float64)
    if pose.shape != (NUM_JOINTS, 2) or score.shape != (NUM_JOINTS,):
        raise ValueError(f"{where}: expected pose (18, 2) and score (18,), got {pose.shape} and {score.shape}")
    return {
        "pose": [round(v, decimals) for v in pose.reshape(-1).tolist()],
        "score": [round(v, decimals) for v in score.tolist()],
    }


def format_clip(
    frames: Sequence[tuple[int, Sequence[tuple[np.ndarray, np.ndarray]]]],
    label: str,
    label_index: int,
    decimals: int = 3,
) -> str:
    """The JSON text of a clip: per frame its ``frame_index`` and people ``(pose (18, 2), score (18,))``.

    Values are rounded to ``decimals`` (3 in ST-GCN's release); ``read_clip`` reads it back.
    """
    data = [
        {
            "frame_index": int(f),
            "skeleton": [_person_json(p, s, decimals, f"frame {f}, person {m}") for m, (p, s) in enumerate(people)],
        }
        for f, people in frames
    ]
    return json.dumps({"data": data, "label": label, "label_index": int(label_index)}, separators=(",", ":"))


def format_labels(entries: dict[str, LabelEntry]) -> str:
    """The JSON text of a label file, clip ids sorted."""
    obj = {
        k: {"has_skeleton": e.has_skeleton, "label": e.label, "label_index": e.label_index}
        for k, e in sorted(entries.items())
    }
    return json.dumps(obj, indent=1) + "\n"
