"""The NTU RGB+D ``.skeleton`` text format: its reader and its writer (sample names: ``names.py``; splits:
``registry.py``).

The format (Shahroudy et al., CVPR 2016): a frame count; per frame a body count; per body a line of 10
``BODY_FIELDS``, the joint count (25) and 25 lines of 12 ``JOINT_FIELDS``. The reader walks the counts in
Python (a few hundred lines per file) and converts the numeric block of every file with one numpy call;
the writer formats a whole file at once with numpy.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

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
    (the m-th body listed fills slot m, as 2s-AGCN reads the files).
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


# Text layout of the numbers, (decimals, integer digits) per group of fields; trailing zeros are dropped.
_JOINT_GROUPS = (((0, 1, 2), (7, 3)), ((3, 4, 5, 6), (4, 6)), ((7, 8, 9, 10), (7, 1)), ((11,), (0, 1)))
_BODY_GROUPS = (((0,), (0, 17)), ((1, 2, 3, 4, 5, 6), (0, 2)), ((7, 8), (7, 1)), ((9,), (0, 1)))  # scaled integers
_PAD = 0  # byte that marks unused positions; removed before writing


def _text_table(v: np.ndarray, decimals: int, int_digits: int, end: bytes, scaled: bool = False) -> np.ndarray:
    """ASCII of a table ``v`` (..., F) -> uint8 (..., F, width), ``_PAD`` where unused: ``-12.5 `` per value.

    A vectorised ``"%.{decimals}f"`` without trailing zeros, built one character plane at a time (Python's
    per-value formatting is what makes writing slow); the last field ends with ``end`` instead of a space.
    ``scaled``: ``v`` already holds the integers value * 10**decimals.
    """
    mag = np.abs(v).astype(np.int64) if scaled else np.rint(np.abs(v) * 10.0**decimals).astype(np.int64)
    if mag.size and mag.max() >= 10 ** (int_digits + decimals):
        raise ValueError(f"value {np.max(np.abs(v))} does not fit {int_digits} integer digits")
    pad = np.uint8(_PAD)
    planes = [np.where((v < 0) & (mag > 0), np.uint8(ord("-")), pad)]
    for p in range(int_digits + decimals - 1, decimals - 1, -1):  # integer digits, leading zeros dropped
        digit = (mag // 10**p % 10 + ord("0")).astype(np.uint8)
        planes.append(digit if p == decimals else np.where(mag < 10**p, pad, digit))
    if decimals:
        planes.append(np.where(mag % 10**decimals == 0, pad, np.uint8(ord("."))))
        for p in range(decimals - 1, -1, -1):  # decimals, trailing zeros dropped
            digit = (mag // 10**p % 10 + ord("0")).astype(np.uint8)
            planes.append(np.where(mag % 10 ** (p + 1) == 0, pad, digit))
    sep = np.full(v.shape, ord(" "), dtype=np.uint8)
    sep[..., -1] = end[0]
    planes.append(sep)
    return np.stack(planes, axis=-1)  # (..., F, width)


def _text_rows(table: np.ndarray, groups: tuple, scaled: bool = False) -> np.ndarray:
    """Text lines of a table whose last axis holds fields, (..., F) -> uint8 (..., line width).

    ``groups``: consecutive runs of fields ``(columns, (decimals, integer digits))`` in file order.
    """
    parts = []
    for k, (columns, (decimals, int_digits)) in enumerate(groups):  # groups cover the fields in order
        end = b"\n" if k == len(groups) - 1 else b" "
        text = _text_table(table[..., list(columns)], decimals, int_digits, end, scaled)  # (..., c, w)
        parts.append(text.reshape(*text.shape[:-2], text.shape[-2] * text.shape[-1]))  # (..., c * w)
    return np.concatenate(parts, axis=-1)


_LEAN = slice(7, 9)  # leanX, leanY: the body line's two decimal fields


def encode_skeleton(body_ids: np.ndarray, body_info: np.ndarray, joints: np.ndarray, present: np.ndarray) -> bytes:
    """The ``.skeleton`` text of T frames with B body slots, vectorised over the file (the inverse of the reader).

    ``body_ids`` (T, B) integer Kinect ids; ``body_info`` (T, B, 9) the other ``BODY_FIELDS``; ``joints``
    (T, B, 25, 12) ``JOINT_FIELDS``; ``present`` (T, B) which slots hold a body in each frame (a frame lists
    its present slots in slot order). Numbers are written as Kinect does: xyz and quaternions with 7
    decimals, pixels with 4, lean with 7, trailing zeros dropped.
    """
    t, b = present.shape
    if t * b == 0:  # no frames, or frames without bodies
        return f"{t}\n".encode() + b"0\n" * t
    info = np.nan_to_num(np.asarray(body_info, dtype=np.float64))
    line = np.empty((t, b, len(BODY_FIELDS)), dtype=np.int64)  # the body line as scaled integers
    line[..., 0] = body_ids
    line[..., 1:] = np.rint(info)
    line[..., _LEAN] = np.rint(info[..., _LEAN.start - 1 : _LEAN.stop - 1] * 1e7)
    text = _text_rows(line, _BODY_GROUPS, scaled=True)  # (T, B, width)
    rows = _text_rows(np.nan_to_num(np.asarray(joints, dtype=np.float64)), _JOINT_GROUPS)  # (T, B, 25, width)
    count_line = np.broadcast_to(np.frombuffer(str(NUM_JOINTS).encode() + b"\n", dtype=np.uint8), (t, b, 3))
    block = np.concatenate([text, count_line, rows.reshape(t, b, -1)], axis=-1)  # (T, B, block width)
    block[~present] = _PAD
    count = _text_table(present.sum(axis=1)[:, None], 0, 2, b"\n", scaled=True)[:, 0]  # (T, width)
    out = np.concatenate([count, block.reshape(t, b * block.shape[-1])], axis=-1).ravel()
    return f"{t}\n".encode() + out[out != _PAD].tobytes()


_DEFAULT_INFO = (0, 0, 0, 0, 0, 0, 0.0, 0.0, 2)  # BODY_FIELDS after bodyID
_DEFAULT_BODY_ID = 72057594037930000  # + slot: Kinect-like tracking ids


def format_skeleton(bodies_per_frame: Sequence[Sequence[Any]]) -> str:
    """``encode_skeleton`` for frames given as lists of bodies: ``bodies_per_frame[t]`` lists frame t's bodies.

    A body is an array (25, 3) of xyz or (25, 12) of all joint fields, or a mapping with ``joints`` and
    optional ``info`` (the 10 body fields) and ``body_id``. Missing joint fields are written as 0 with
    trackingState 2.
    """
    t = len(bodies_per_frame)
    b = max((len(bodies) for bodies in bodies_per_frame), default=0)
    ids = np.zeros((t, b), dtype=np.int64)
    info = np.zeros((t, b, len(BODY_FIELDS) - 1))
    joints = np.zeros((t, b, NUM_JOINTS, len(JOINT_FIELDS)))
    present = np.zeros((t, b), dtype=bool)
    for f, bodies in enumerate(bodies_per_frame):
        for m, body in enumerate(bodies):
            body = body if isinstance(body, Mapping) else {"joints": body}
            xyz = np.asarray(body["joints"], dtype=np.float64)
            if xyz.shape not in ((NUM_JOINTS, 3), (NUM_JOINTS, len(JOINT_FIELDS))):
                raise ValueError(f"frame {f}, body {m}: expected joints of shape (25, 3) or (25, 12), got {xyz.shape}")
            joints[f, m, :, : xyz.shape[1]] = xyz
            if xyz.shape[1] == 3:
                joints[f, m, :, -1] = 2  # trackingState: tracked
            fields = body.get("info")
            if fields is not None and len(fields) != len(BODY_FIELDS):
                raise ValueError(f"frame {f}, body {m}: expected {len(BODY_FIELDS)} body fields, got {len(fields)}")
            info[f, m] = _DEFAULT_INFO if fields is None else fields[1:]
            body_id = body.get("body_id")
            if body_id is None:
                body_id = _DEFAULT_BODY_ID + m if fields is None else fields[0]
            ids[f, m] = int(body_id)
            present[f, m] = True
    return encode_skeleton(ids, info, joints, present).decode("ascii")
