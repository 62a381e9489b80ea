"""The .skeleton reader and writer on hand-written files, and the reader's strict errors."""

from __future__ import annotations

import numpy as np
import pytest

from sttr.data import ntu
from sttr.data.ntu import SkeletonFormatError, format_skeleton, read_skeleton

NAME = "S001C002P003R002A013.skeleton"


def _joints(seed: int) -> np.ndarray:
    """(25, 12) joint rows with every field distinct, trackingState 2."""
    rng = np.random.default_rng(seed)
    j = np.round(rng.normal(size=(25, 12)), 4)
    j[:, -1] = 2
    return j


def _write(tmp_path, frames, name: str = NAME):
    path = tmp_path / name
    path.write_text(format_skeleton(frames))
    return path


def _lines(frames) -> list[str]:
    return format_skeleton(frames).splitlines()


def test_one_body_all_fields(tmp_path):
    info = (72057594037931101, 0, 1, 1, 0, 1, 0, 0.0276, 0.0574, 2)
    frames = [[{"joints": _joints(t), "info": info}] for t in range(3)]
    seq = read_skeleton(_write(tmp_path, frames))
    assert seq.name == "S001C002P003R002A013"
    assert seq.num_frames == 3 and seq.num_bodies == 3
    np.testing.assert_array_equal(seq.bodies_per_frame, [1, 1, 1])
    np.testing.assert_array_equal(seq.frame_index, [0, 1, 2])
    np.testing.assert_array_equal(seq.slot_index, [0, 0, 0])
    for t in range(3):
        np.testing.assert_allclose(seq.joints[t], _joints(t), atol=1e-7)
    assert seq.body_field("bodyID")[0] == 72057594037931101  # exact, beyond float64 precision
    np.testing.assert_allclose(seq.body_field("leanX"), 0.0276)
    np.testing.assert_allclose(seq.joint_field("colorY")[1], _joints(1)[:, 6], atol=1e-7)
    np.testing.assert_allclose(seq.xyz[2], _joints(2)[:, :3], atol=1e-7)
    with pytest.raises(KeyError, match="unknown joint field"):
        seq.joint_field("w")


def test_two_bodies_and_empty_frames(tmp_path):
    frames = [[], [_joints(1), _joints(2)], [], [_joints(3)], []]
    seq = read_skeleton(_write(tmp_path, frames))
    np.testing.assert_array_equal(seq.bodies_per_frame, [0, 2, 0, 1, 0])
    np.testing.assert_array_equal(seq.frame_index, [1, 1, 3])
    np.testing.assert_array_equal(seq.slot_index, [0, 1, 0])
    dense = seq.dense_xyz()
    assert dense.shape == (4, 5, 25, 3)
    np.testing.assert_allclose(dense[1, 1], _joints(2)[:, :3], atol=1e-7)
    np.testing.assert_allclose(dense[0, 3], _joints(3)[:, :3], atol=1e-7)
    assert not dense[:, [0, 2, 4]].any() and not dense[2:].any()


def test_four_and_more_bodies(tmp_path):
    frames = [[_joints(10 * t + m) for m in range(5)] for t in range(2)]
    seq = read_skeleton(_write(tmp_path, frames))
    assert seq.num_bodies == 10
    dense = seq.dense_xyz(max_bodies=4)  # the fifth body of each frame is dropped
    for m in range(4):
        np.testing.assert_allclose(dense[m, 1], _joints(10 + m)[:, :3], atol=1e-7)
    assert seq.dense_xyz(max_bodies=5)[4].any()


def test_zero_frames_and_windows_line_endings(tmp_path):
    assert read_skeleton(_write(tmp_path, [])).num_frames == 0
    path = tmp_path / NAME
    path.write_bytes(format_skeleton([[_joints(0)]]).replace("\n", "\r\n").encode() + b"\r\n\r\n")
    np.testing.assert_allclose(read_skeleton(path).joints[0], _joints(0), atol=1e-7)


def _corrupt(tmp_path, lines: list[str], name: str = NAME):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = [[_joints(1)], [_joints(2), _joints(3)]]  # lines: 1 count, 2 bodies, 3 info, 4 joints, 5-29 ...


def _case(kind: str) -> list[str]:
    lines = _lines(GOOD)
    if kind == "truncated":
        return lines[:40]
    if kind == "frame_count_missing":
        return ["3"] + lines[1:]
    if kind == "frame_count_extra":
        return ["1"] + lines[1:]
    if kind == "joint_count_line":
        return lines[:3] + ["24"] + lines[4:]
    if kind == "joint_missing":
        return lines[:28] + lines[29:]  # frame 1's body has 24 joint lines
    if kind == "joint_width":
        return lines[:9] + [lines[9] + " 7"] + lines[10:]
    if kind == "body_width":
        return lines[:2] + [lines[2] + " 1"] + lines[3:]
    if kind == "non_numeric":
        return lines[:11] + [lines[11].replace(lines[11].split()[1], "abc", 1)] + lines[12:]
    if kind == "non_finite":
        return lines[:12] + [lines[12].replace(lines[12].split()[2], "nan", 1)] + lines[13:]
    if kind == "bad_count":
        return lines[:1] + ["x1"] + lines[2:]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "case, kind, line, message",
    [
        ("truncated", "truncated", 41, "file ends"),
        ("frame_count_missing", "frame_count", 85, "frame 3 of 3"),
        ("frame_count_extra", "frame_count", 30, "expected end of file after 1 frames"),
        ("joint_count_line", "joint_count", 4, "expected 25 joints, found 24"),
        ("joint_missing", "joint_count", 29, "expected 25 joints, found 24"),
        ("joint_width", "joint_line", 10, "expected 12 values for joint 6, found 13"),
        ("body_width", "body_line", 3, "expected a body line of 10 values, found 11"),
        ("non_numeric", "non_numeric", 12, "expected a number, found 'abc'"),
        ("non_finite", "non_finite", 13, "expected a finite number, found 'nan'"),
        ("bad_count", "non_numeric", 2, "expected a body count"),
    ],
)  # fmt: skip
def test_malformed_files_name_file_and_line(tmp_path, case, kind, line, message):
    path = _corrupt(tmp_path, _case(case))
    with pytest.raises(SkeletonFormatError) as info:
        read_skeleton(path)
    err = info.value
    assert (err.kind, err.line, err.path) == (kind, line, str(path))
    assert str(err).startswith(f"{NAME}, line {line}: ")
    assert message in str(err)


def test_joint_count_message_matches_design_doc(tmp_path):
    expected = r"^S001C002P003R002A013.skeleton, line 29: expected 25 joints, found 24$"
    with pytest.raises(SkeletonFormatError, match=expected):
        read_skeleton(_corrupt(tmp_path, _case("joint_missing")))


def test_empty_and_binary_files(tmp_path):
    for content in (b"", b"\n  \n"):
        path = tmp_path / NAME
        path.write_bytes(content)
        with pytest.raises(SkeletonFormatError, match="line 1: empty file") as info:
            read_skeleton(path)
        assert info.value.kind == "empty"
    path.write_bytes(format_skeleton(GOOD).encode()[:200] + b"\x00\x9f\xff" + b"1 2 3\n")
    with pytest.raises(SkeletonFormatError, match="binary") as info:
        read_skeleton(path)
    assert info.value.kind == "binary" and info.value.line == format_skeleton(GOOD)[:200].count("\n") + 1


def test_irregular_spacing_parses_like_regular(tmp_path):
    frames = [[_joints(t)] for t in range(12)]  # 300 joint lines: the pandas path
    text = format_skeleton(frames)
    spaced = "\n".join(" " + line.replace(" ", "  ") + " " for line in text.splitlines()) + "\n"
    regular = ntu.parse_skeleton(text, NAME)
    irregular = ntu.parse_skeleton(spaced, NAME)
    np.testing.assert_array_equal(irregular.joints, regular.joints)
    np.testing.assert_array_equal(irregular.body_ids, regular.body_ids)
    lines = text.splitlines()
    lines[200] = lines[200].replace(lines[200].split()[9], "1e400", 1)  # overflows to inf
    with pytest.raises(SkeletonFormatError, match=r"line 201: expected a finite number, found '1e400'"):
        ntu.parse_skeleton("\n".join(lines), NAME)


@pytest.mark.parametrize("frames", [2, 12])  # 12 frames: over 256 rows, the pandas path
@pytest.mark.parametrize(
    "edit, kind, line",
    [
        (lambda ls: ls[:2] + [" ".join(ls[2].split()[:9])] + ls[3:9] + [ls[9] + " 7"] + ls[10:], "body_line", 3),
        (lambda ls: ls[:9] + [" ".join(ls[9].split()[:11]), ls[10] + " 7"] + ls[11:], "joint_line", 10),
        (lambda ls: ls[:2] + ["-" + ls[2]] + ls[3:], "non_numeric", 3),
    ],
)  # fmt: skip
def test_widths_checked_per_line_even_when_totals_match(frames, edit, kind, line):
    lines = _lines([[_joints(t)] for t in range(frames)])
    with pytest.raises(SkeletonFormatError) as info:
        ntu.parse_skeleton("\n".join(edit(lines)) + "\n", NAME)
    assert (info.value.kind, info.value.line) == (kind, line)
