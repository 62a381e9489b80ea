"""NTU RGB+D raw data: the ``.skeleton`` reader and writer, sample names, benchmarks, action names.

Facts from the reference README, section 4. The reader walks the frame/body counts in Python (a few
hundred lines per file) and converts the numeric block of every file with one numpy call.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd

from sttr.skeleton import NUM_JOINTS

BODY_FIELDS: tuple[str, ...] = (
    "bodyID", "clippedEdges", "handLeftConfidence", "handLeftState", "handRightConfidence",
    "handRightState", "isRestricted", "leanX", "leanY", "trackingState",
)  # fmt: skip
JOINT_FIELDS: tuple[str, ...] = (
    "x", "y", "z", "depthX", "depthY", "colorX", "colorY",
    "orientationW", "orientationX", "orientationY", "orientationZ", "trackingState",
)  # fmt: skip

DATASETS: tuple[str, ...] = ("ntu60", "ntu120", "synthetic")

# Training performers of the cross-subject benchmarks (reference README, section 4).
XSUB60_TRAIN_PERFORMERS = frozenset(
    (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
)
XSUB120_TRAIN_PERFORMERS = XSUB60_TRAIN_PERFORMERS | frozenset(
    (45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86,
     89, 91, 92, 93, 94, 95, 97, 98, 100, 103)
)  # fmt: skip
XVIEW_TRAIN_CAMERAS = frozenset((2, 3))

# (dataset, benchmark) -> the rule that puts a sample in the training set.
BENCHMARKS: dict[tuple[str, str], str] = {
    ("ntu60", "xsub"): "train on performers 1 2 4 5 8 9 13 14 15 16 17 18 19 25 27 28 31 34 35 38",
    ("ntu60", "xview"): "train on cameras 2 and 3",
    ("ntu120", "xsub"): "train on the NTU-60 X-Sub performers plus 33 NTU-120 performers",
    ("ntu120", "xset"): "train on even setup numbers",
    ("synthetic", "xsub"): "as NTU-60 X-Sub",
    ("synthetic", "xview"): "as NTU-60 X-View",
}


class SkeletonFormatError(ValueError):
    """A malformed ``.skeleton`` file; ``path``, ``line`` (1-based) and ``kind`` say where and what.

    Kinds: empty, binary, truncated, frame_count (content does not match the frame count), joint_count,
    joint_line / body_line (wrong number of values), non_numeric, non_finite.
    """

    def __init__(self, path: str | Path, line: int, message: str, kind: str) -> None:
        self.path = str(path)
        self.line = line
        self.kind = kind
        self.reason = message
        super().__init__(f"{Path(path).name}, line {line}: {message}")


@dataclass
class SkeletonSequence:
    """One ``.skeleton`` file: every body of every frame as flat arrays (B bodies in file order).

    ``frame_index[b]`` is the frame of body ``b`` and ``slot_index[b]`` its position in that frame
    (the m-th body listed fills slot m, reference README 5.1).
    """

    name: str
    num_frames: int
    bodies_per_frame: np.ndarray  # (T,) int64
    frame_index: np.ndarray  # (B,) int64
    slot_index: np.ndarray  # (B,) int64
    body_ids: np.ndarray  # (B,) uint64, exact Kinect tracking ids
    body_info: np.ndarray  # (B, 10) float64, BODY_FIELDS (bodyID rounded to float64)
    joints: np.ndarray  # (B, 25, 12) float64, JOINT_FIELDS

    @property
    def xyz(self) -> np.ndarray:
        """Camera-space joint positions in metres, (B, 25, 3)."""
        return self.joints[:, :, :3]

    @property
    def num_bodies(self) -> int:
        """Total number of body entries over all frames."""
        return int(self.frame_index.shape[0])

    def joint_field(self, field: str) -> np.ndarray:
        """One of ``JOINT_FIELDS`` for every body and joint, (B, 25)."""
        if field not in JOINT_FIELDS:
            raise KeyError(f"unknown joint field {field!r}; expected one of {JOINT_FIELDS}")
        return self.joints[:, :, JOINT_FIELDS.index(field)]

    def body_field(self, field: str) -> np.ndarray:
        """One of ``BODY_FIELDS`` for every body, (B,); ``bodyID`` comes back exact (uint64)."""
        if field not in BODY_FIELDS:
            raise KeyError(f"unknown body field {field!r}; expected one of {BODY_FIELDS}")
        if field == "bodyID":
            return self.body_ids
        return self.body_info[:, BODY_FIELDS.index(field)]

    def dense_xyz(self, max_bodies: int = 4) -> np.ndarray:
        """xyz in slots, (max_bodies, T, 25, 3) float64; bodies past ``max_bodies`` in a frame are dropped."""
        out = np.zeros((max_bodies, self.num_frames, NUM_JOINTS, 3))
        keep = self.slot_index < max_bodies
        out[self.slot_index[keep], self.frame_index[keep]] = self.xyz[keep]
        return out


_ALLOWED_BYTES = bytes(range(32, 127)) + b"\t\n\r"


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def read_skeleton(path: str | Path) -> SkeletonSequence:
    """Read an NTU ``.skeleton`` text file strictly; raise ``SkeletonFormatError`` naming file and line."""
    path = Path(path)
    data = path.read_bytes()
    return parse_skeleton(data, path)


def parse_skeleton(data: bytes | str, path: str | Path = "<string>") -> SkeletonSequence:
    """Parse the content of a ``.skeleton`` file (see ``read_skeleton``); ``path`` names it in errors.

    Well-formed files take a byte-level path (line offsets from one numpy call, joint blocks sliced out
    of the bytes); anything unexpected goes to the line-based path, which names the first fault.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    junk = data.translate(None, _ALLOWED_BYTES)
    if junk:
        pos = next(i for i, b in enumerate(data) if b not in _ALLOWED_BYTES)
        raise SkeletonFormatError(
            path, _line_of(data, pos), f"binary or non-ASCII byte 0x{data[pos]:02x}: expected text", "binary"
        )
    seq = _parse_bytes(data, path)
    return seq if seq is not None else _parse_lines(data, path)


def _parse_bytes(data: bytes, path: str | Path) -> SkeletonSequence | None:
    """Fast path for well-formed files; None at the first surprise (``_parse_lines`` then names it)."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)  # newline offsets
    starts = np.concatenate(([0], ends + 1)).tolist()
    ends = ends.tolist() + [len(data)]
    layout = _byte_layout(data, starts, ends)
    if layout is None:
        return None
    num_frames, bodies, body_lines, joint_starts = layout
    # One block of 26 rows per body: its body line padded with two zeros to 12 values, then its joints.
    pad = b" 0" * (len(JOINT_FIELDS) - len(BODY_FIELDS))
    pieces = []
    for b, s in zip(body_lines, joint_starts):
        pieces += [data[starts[b] : ends[b]].rstrip(), pad, b"\n", data[starts[s] : ends[s + NUM_JOINTS - 1]], b"\n"]
    values = _parse_numbers(b"".join(pieces), len(body_lines) * (NUM_JOINTS + 1), len(JOINT_FIELDS))
    if values is None:
        return None
    values = values.reshape(len(body_lines), NUM_JOINTS + 1, len(JOINT_FIELDS))  # (B, 26, 12)
    try:
        body_ids = np.array([int(data[starts[b] : ends[b]].split(None, 1)[0]) for b in body_lines], dtype=np.uint64)
    except (ValueError, OverflowError):
        return None
    body_info = np.ascontiguousarray(values[:, 0, : len(BODY_FIELDS)])  # (B, 10)
    body_info[:, 0] = body_ids  # bodyID rounded once from the exact integer, as ``float`` would
    return _sequence(path, num_frames, bodies, body_ids, body_info, values[:, 1:].reshape(-1, len(JOINT_FIELDS)))


def _byte_layout(data: bytes, starts: list[int], ends: list[int]) -> _Layout | None:
    """Walk the count lines of ``data`` (line i is ``data[starts[i]:ends[i]]``); None at the first surprise."""
    walked = _walk_counts(lambda i: data[starts[i] : ends[i]], str(NUM_JOINTS).encode())
    if walked is None:
        return None
    pos, layout = walked
    if pos > len(starts) or (pos < len(starts) and data[starts[pos] :].strip()):
        return None  # truncated, or content after the last frame
    return layout


def _parse_lines(data: bytes, path: str | Path) -> SkeletonSequence:
    """Line-based path: checks the width of every line and raises ``SkeletonFormatError`` at the first fault."""
    lines = data.decode("ascii").split("\n")
    # Ignore trailing blank lines; the content ends at the last non-blank line.
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    if end == 0:
        raise SkeletonFormatError(path, 1, "empty file: expected a frame count", "empty")
    layout = _fast_layout(lines, end)
    if layout is None:
        layout = _careful_layout(lines, end, path)  # raises the precise error
    num_frames, bodies, body_lines, joint_starts = layout
    joint_rows = [i for s in joint_starts for i in range(s, s + NUM_JOINTS)]
    joints = _parse_block(lines, joint_rows, len(JOINT_FIELDS))  # (B*25, 12)
    body_info = _parse_block(lines, body_lines, len(BODY_FIELDS))  # (B, 10)
    if joints is None or body_info is None:
        _careful_layout(lines, end, path)  # a line of the wrong width
        _locate_bad_number(lines, sorted(body_lines + joint_rows), path)
    try:
        body_ids = np.array([int(lines[i].split(None, 1)[0]) for i in body_lines], dtype=np.uint64)
    except (ValueError, OverflowError):
        bad = next(i for i in body_lines if not lines[i].split(None, 1)[0].isdigit())
        raise SkeletonFormatError(path, bad + 1, "expected an integer bodyID", "non_numeric") from None
    return _sequence(path, num_frames, bodies, body_ids, body_info, joints)


def _sequence(
    path: str | Path, num_frames: int, bodies: list[int], body_ids: np.ndarray, body_info: np.ndarray,
    joints: np.ndarray,
) -> SkeletonSequence:
    """Assemble a ``SkeletonSequence`` from the parsed blocks (``joints`` (B*25, 12), ``body_info`` (B, 10))."""
    nbody = len(body_ids)
    bodies_per_frame = np.asarray(bodies, dtype=np.int64)
    frame_index = np.repeat(np.arange(num_frames), bodies_per_frame)
    starts = np.cumsum(bodies_per_frame) - bodies_per_frame
    slot_index = np.arange(nbody) - np.repeat(starts, bodies_per_frame)
    return SkeletonSequence(
        name=Path(str(path)).name.split(".")[0],
        num_frames=num_frames,
        bodies_per_frame=bodies_per_frame,
        frame_index=frame_index,
        slot_index=slot_index,
        body_ids=body_ids,
        body_info=body_info,
        joints=joints.reshape(nbody, NUM_JOINTS, len(JOINT_FIELDS)),  # (B, 25, 12)
    )


_Layout = tuple[int, list[int], list[int], list[int]]  # frames, bodies per frame, body lines, joint starts


def _walk_counts(line: Callable[[int], Any], joints: Any) -> tuple[int, _Layout] | None:
    """Follow the frame, body and joint counts (``line(i)`` is line i, str or bytes; ``joints`` the joint-count
    line in the same type); (lines walked, layout), or None at the first surprise."""
    bodies: list[int] = []
    body_lines: list[int] = []
    joint_starts: list[int] = []
    try:
        text = line(0).strip()
        if not text.isdigit():
            return None
        pos = 1
        for _ in range(int(text)):
            text = line(pos).strip()
            if not text.isdigit():
                return None
            nb = int(text)
            bodies.append(nb)
            pos += 1
            for _ in range(nb):
                if line(pos + 1).strip() != joints:
                    return None
                body_lines.append(pos)
                joint_starts.append(pos + 2)
                pos += NUM_JOINTS + 2
    except IndexError:
        return None
    return pos, (len(bodies), bodies, body_lines, joint_starts)


def _fast_layout(lines: list[str], end: int) -> _Layout | None:
    """Walk the count lines only; None at the first surprise (``_careful_layout`` then names it)."""
    walked = _walk_counts(lines.__getitem__, str(NUM_JOINTS))
    if walked is None:
        return None
    pos, layout = walked
    if pos != end or any(len(lines[i].split()) != len(BODY_FIELDS) for i in layout[2]):
        return None
    return layout


def _careful_layout(lines: list[str], end: int, path: str | Path) -> _Layout:
    """Walk the file checking the width of every line; raise ``SkeletonFormatError`` at the first fault."""
    widths = list(map(len, map(str.split, lines[:end])))
    num_frames = 0

    def count(i: int, what: str, frame_of: int | None = None) -> int:
        if i >= end:
            where = f" (frame {frame_of} of {num_frames})" if frame_of is not None else ""
            kind = "frame_count" if what == "body count" else "truncated"
            raise SkeletonFormatError(path, i + 1, f"file ends: expected a {what}{where}", kind)
        text = lines[i].strip()
        if widths[i] != 1 or not text.isdigit():
            raise SkeletonFormatError(
                path, i + 1, f"expected a {what} (one non-negative integer), found {text[:40]!r}", "non_numeric"
            )
        return int(text)

    num_frames = count(0, "frame count")
    bodies: list[int] = []
    body_lines: list[int] = []
    joint_starts: list[int] = []
    pos = 1
    for t in range(num_frames):
        nb = count(pos, "body count", frame_of=t + 1)
        bodies.append(nb)
        pos += 1
        for _ in range(nb):
            if pos >= end:
                raise SkeletonFormatError(path, pos + 1, "file ends: expected a body line of 10 values", "truncated")
            if widths[pos] != len(BODY_FIELDS):
                raise SkeletonFormatError(
                    path, pos + 1, f"expected a body line of {len(BODY_FIELDS)} values, found {widths[pos]}",
                    "body_line",
                )
            body_lines.append(pos)
            nj = count(pos + 1, "joint count")
            if nj != NUM_JOINTS:
                raise SkeletonFormatError(path, pos + 2, f"expected {NUM_JOINTS} joints, found {nj}", "joint_count")
            start = pos + 2
            block = widths[start : start + NUM_JOINTS]
            if len(block) == NUM_JOINTS and block.count(len(JOINT_FIELDS)) == NUM_JOINTS:
                joint_starts.append(start)
                pos = start + NUM_JOINTS
                continue
            k = next((j for j, w in enumerate(block) if w != len(JOINT_FIELDS)), len(block))
            if start + k >= end:
                raise SkeletonFormatError(
                    path, start + k + 1, f"file ends: expected {NUM_JOINTS} joints, found {k}", "truncated"
                )
            if block[k] <= 1:
                message = f"expected {NUM_JOINTS} joints, found {k}"
                raise SkeletonFormatError(path, start + k + 1, message, "joint_count")
            raise SkeletonFormatError(
                path, start + k + 1,
                f"expected {len(JOINT_FIELDS)} values for joint {k + 1}, found {block[k]}", "joint_line",
            )  # fmt: skip
    if pos < end:
        raise SkeletonFormatError(
            path, pos + 1,
            f"expected end of file after {num_frames} frames (frame count on line 1), found more content",
            "frame_count",
        )  # fmt: skip
    return num_frames, bodies, body_lines, joint_starts


def _parse_block(lines: list[str], rows: list[int], width: int) -> np.ndarray | None:
    """The given lines (``width`` values each) as a (len(rows), width) float64 array; None if not."""
    return _parse_numbers("\n".join([lines[i] for i in rows]), len(rows), width)


def _parse_numbers(text: str | bytes, rows: int, width: int) -> np.ndarray | None:
    """``rows`` lines of ``width`` numbers as a (rows, width) float64 array, in one call; None if not.

    pandas' C parser converts numbers several times faster than ``float`` or ``np.fromstring``.
    """
    if not rows:
        return np.zeros((0, width))
    if rows < 256:  # small blocks: pandas' per-call overhead dominates
        if isinstance(text, bytes):
            text = text.decode("ascii")
        lines = text.split("\n")
        if len(lines) != rows or any(len(line.split()) != width for line in lines):
            return None
        try:
            values = np.array(text.split(), dtype=np.float64).reshape(rows, width)  # (rows, width)
        except ValueError:
            return None
    else:
        values = None
        for sep in (" ", r"\s+"):  # single spaces as Kinect writes them; any whitespace if that fails
            source = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
            try:
                values = pd.read_csv(
                    source, sep=sep, header=None, dtype=np.float64, engine="c", na_filter=False,
                    quoting=csv.QUOTE_NONE, skip_blank_lines=False,
                ).to_numpy()  # (rows, width)
            except (ValueError, pd.errors.ParserError):
                continue
            if values.shape == (rows, width):
                break
        if values is None:
            return None
    if values.shape != (rows, width) or not np.isfinite(values).all():
        return None
    return values


def _locate_bad_number(lines: list[str], rows: list[int], path: str | Path) -> None:
    """Slow path after a failed block conversion: raise the error for the first bad token."""
    for i in rows:
        for token in lines[i].split():
            try:
                value = float(token)
            except ValueError:
                message = f"expected a number, found {token[:40]!r}"
                raise SkeletonFormatError(path, i + 1, message, "non_numeric") from None
            if not np.isfinite(value):
                raise SkeletonFormatError(path, i + 1, f"expected a finite number, found {token!r}", "non_finite")
    raise SkeletonFormatError(path, rows[0] + 1, "could not parse the numeric block", "non_numeric")


_DEFAULT_BODY = (0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 2)


def format_skeleton(bodies_per_frame: Sequence[Sequence[Any]], precision: int = 7) -> str:
    """Write frames in the NTU ``.skeleton`` text format; the inverse of ``read_skeleton``.

    ``bodies_per_frame[t]`` lists frame t's bodies; a body is an array (25, 3) of xyz or (25, 12) of
    all joint fields, or a mapping with ``joints`` and optional ``info`` (10 body fields) and
    ``body_id``. Missing joint fields are written as 0 with trackingState 2.
    """
    fmt = f"%.{precision}g"
    out = [str(len(bodies_per_frame))]
    for t, bodies in enumerate(bodies_per_frame):
        out.append(str(len(bodies)))
        for m, body in enumerate(bodies):
            info: Sequence[Any] = _DEFAULT_BODY
            body_id = None
            if isinstance(body, Mapping):
                joints = np.asarray(body["joints"], dtype=np.float64)
                info = body.get("info", _DEFAULT_BODY)
                body_id = body.get("body_id")
            else:
                joints = np.asarray(body, dtype=np.float64)
            if joints.shape == (NUM_JOINTS, 3):
                full = np.zeros((NUM_JOINTS, len(JOINT_FIELDS)))
                full[:, :3] = joints
                full[:, -1] = 2
                joints = full
            if joints.shape != (NUM_JOINTS, len(JOINT_FIELDS)):
                raise ValueError(
                    f"frame {t}, body {m}: expected joints of shape (25, 3) or (25, 12), got {joints.shape}"
                )
            if len(info) != len(BODY_FIELDS):
                raise ValueError(f"frame {t}, body {m}: expected {len(BODY_FIELDS)} body fields, got {len(info)}")
            if body_id is None:
                body_id = int(info[0]) if info is not _DEFAULT_BODY else 72057594037930000 + m
            rest = " ".join(_fmt_value(v, fmt) for v in list(info)[1:])
            out.append(f"{int(body_id)} {rest}")
            out.append(str(NUM_JOINTS))
            for row in joints:
                out.append(" ".join(_fmt_value(v, fmt) for v in row[:-1]) + f" {int(row[-1])}")
    return "\n".join(out) + "\n"


def _fmt_value(v: Any, fmt: str) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return fmt % float(v)


# ----------------------------------------------------------------------------------------- names

_NAME_RE = re.compile(r"^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$")


class SampleName(NamedTuple):
    """The five fields of an NTU sample name ``SsssCcccPpppRrrrAaaa`` (all 1-based)."""

    setup: int
    camera: int
    performer: int
    replication: int
    action: int

    @property
    def name(self) -> str:
        """The canonical name, e.g. ``S001C002P003R002A013``."""
        return "S%03dC%03dP%03dR%03dA%03d" % self


def parse_name(name: str | Path) -> SampleName:
    """Split ``S001C002P003R002A013[.skeleton]`` (or a path to it) into its fields; ValueError otherwise."""
    base = Path(str(name)).name
    stem = base[: -len(".skeleton")] if base.endswith(".skeleton") else base
    match = _NAME_RE.match(stem)
    if match is None:
        raise ValueError(
            f"{base!r} is not an NTU sample name: expected SsssCcccPpppRrrrAaaa, e.g. S001C002P003R002A013"
        )
    sample = SampleName(*map(int, match.groups()))
    if not 1 <= sample.camera <= 3 or not 1 <= sample.replication <= 2 or min(sample) < 1:
        raise ValueError(
            f"{base!r} is not an NTU sample name: expected camera 1-3, replication 1-2, "
            "setup/performer/action >= 1"
        )
    return sample


def _check_dataset(dataset: str) -> None:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")


def _synthetic_actions() -> tuple[int, ...]:
    from sttr.data.synthetic import SYNTHETIC_ACTIONS  # lazy: written by the synthetic module

    return tuple(SYNTHETIC_ACTIONS)


def in_dataset(name: str | SampleName, dataset: str) -> bool:
    """Whether a sample belongs to ``dataset``: NTU-60 keeps A1-A60 and S001-S017 only."""
    _check_dataset(dataset)
    s = name if isinstance(name, SampleName) else parse_name(name)
    if dataset == "ntu60":
        return s.action <= 60 and s.setup <= 17
    if dataset == "ntu120":
        return s.action <= 120 and s.setup <= 32
    return s.action in _synthetic_actions()


def label_of(name: str | SampleName, dataset: str) -> int:
    """0-based class label: action - 1 for NTU, the action's index in ``SYNTHETIC_ACTIONS`` for synthetic."""
    s = name if isinstance(name, SampleName) else parse_name(name)
    if not in_dataset(s, dataset):
        raise ValueError(f"{s.name} (action {s.action}, setup {s.setup}) is not part of dataset {dataset!r}")
    if dataset == "synthetic":
        return _synthetic_actions().index(s.action)
    return s.action - 1


def is_training(name: str | SampleName, dataset: str, benchmark: str) -> bool:
    """Whether a sample is in the training set of ``benchmark`` (reference README, section 4)."""
    if (dataset, benchmark) not in BENCHMARKS:
        known = sorted(b for d, b in BENCHMARKS if d == dataset)
        raise ValueError(f"unknown benchmark {benchmark!r} for dataset {dataset!r}; expected one of {known}")
    s = name if isinstance(name, SampleName) else parse_name(name)
    if benchmark == "xview":
        return s.camera in XVIEW_TRAIN_CAMERAS
    if benchmark == "xset":
        return s.setup % 2 == 0
    if dataset == "ntu120":
        return s.performer in XSUB120_TRAIN_PERFORMERS
    return s.performer in XSUB60_TRAIN_PERFORMERS


@lru_cache(maxsize=None)
def _ntu120_names() -> tuple[str, ...]:
    text = resources.files("sttr.data").joinpath("resources/ntu120_actions.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    names = {int(number): label.strip() for number, label in rows}
    if sorted(names) != list(range(1, 121)):
        raise ValueError("ntu120_actions.tsv: expected actions 1-120")
    return tuple(names[i] for i in range(1, 121))


def action_names(num_classes: int = 60) -> list[str]:
    """NTU action names, index = action - 1, for NTU-60 (60) or NTU-120 (120)."""
    if num_classes not in (60, 120):
        raise ValueError(f"num_classes must be 60 or 120, got {num_classes}")
    return list(_ntu120_names()[:num_classes])


def class_names(dataset: str) -> list[str]:
    """Class names indexed by label: NTU-60/120 names, or the names of the imitated NTU actions."""
    _check_dataset(dataset)
    if dataset == "synthetic":
        return [_ntu120_names()[a - 1] for a in _synthetic_actions()]
    return action_names(60 if dataset == "ntu60" else 120)


def num_classes(dataset: str) -> int:
    """Number of classes of a dataset."""
    return len(class_names(dataset))


@lru_cache(maxsize=None)
def missing_skeletons(dataset: str) -> frozenset[str]:
    """Names of the samples with missing skeletons that the benchmarks leave out (empty for synthetic)."""
    _check_dataset(dataset)
    if dataset == "synthetic":
        return frozenset()
    text = resources.files("sttr.data").joinpath(f"resources/{dataset}_missing_skeletons.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


__all__ = [
    "BENCHMARKS", "BODY_FIELDS", "DATASETS", "JOINT_FIELDS", "SampleName", "SkeletonFormatError",
    "SkeletonSequence", "action_names", "class_names", "format_skeleton", "in_dataset", "is_training",
    "label_of", "missing_skeletons", "num_classes", "parse_name", "parse_skeleton", "read_skeleton",
]  # fmt: skip
