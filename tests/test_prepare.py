"""prepare-ntu end to end on a small generated raw folder: Python API, CLI, bad files, reruns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sttr.data import prepare as prepare_module
from sttr.data.formats import load_agcn
from sttr.data.ntu import format_skeleton, read_skeleton
from sttr.data.prepare import PrepareError, prepare_ntu
from sttr.data.preprocess import bones, skeleton_to_input

ROOT = Path(__file__).resolve().parents[1]

GOOD = [
    "S001C001P001R001A001", "S001C002P001R002A002", "S001C003P003R001A003", "S002C001P003R002A004",
    "S002C002P002R001A010", "S003C003P004R001A013", "S003C001P005R001A060", "S004C002P007R002A020",
    "S005C003P008R001A030", "S006C001P009R001A059", "S017C002P040R002A045",
]  # fmt: skip
MISSING = "S001C002P005R002A008"  # in the NTU-60 missing-skeleton list
OTHER = "S018C001P001R001A001"  # NTU-120 only


def _frames(seed: int) -> list:
    rng = np.random.default_rng(seed)
    length = int(rng.integers(20, 90))
    base = rng.normal(size=(25, 3)) * 0.3 + np.array([0, 0, 3.0])
    walk = np.cumsum(rng.normal(scale=0.01, size=(length, 25, 3)), axis=0)
    second = seed % 3 == 0
    return [[base + walk[t]] + ([base + 0.8 - walk[t]] if second and t > 5 else []) for t in range(length)]


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    sub = raw / "nturgb+d_skeletons"
    sub.mkdir()
    for i, name in enumerate(GOOD + [MISSING, OTHER]):
        (sub / f"{name}.skeleton").write_text(format_skeleton(_frames(i)))
    text = format_skeleton(_frames(99))
    (sub / "S001C001P002R001A005.skeleton").write_text(text[: len(text) // 2])  # truncated
    (sub / "S001C001P002R001A006.skeleton").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (sub / "S001C001P002R001A007.skeleton").write_text(format_skeleton([[], [], []]))  # no body
    (sub / "notes.skeleton").write_text("1\n0\n")
    return raw


BAD = {"S001C001P002R001A005.skeleton", "S001C001P002R001A006.skeleton", "S001C001P002R001A007.skeleton",
       "notes.skeleton"}  # fmt: skip


def _check_outputs(raw_dir: Path, out: Path, benchmarks: list[str]) -> None:
    report = json.loads((out / "prepare_report.json").read_text())
    assert {s["file"] for s in report["skipped"]} == BAD
    reasons = {s["file"]: s["reason"] for s in report["skipped"]}
    assert "line" in reasons["S001C001P002R001A005.skeleton"]
    assert "binary" in reasons["S001C001P002R001A006.skeleton"]
    assert "no body" in reasons["S001C001P002R001A007.skeleton"]
    assert report["excluded_missing_skeletons"] == [MISSING]
    assert report["excluded_not_in_dataset"] == 1
    expected = {b: {"train": 0, "val": 0} for b in benchmarks}
    xsub_train = {1, 2, 4, 5, 8, 9}
    for name in GOOD:
        performer, camera = int(name[9:12]), int(name[5:8])
        expected["xsub"]["train" if performer in xsub_train else "val"] += 1
        if "xview" in expected:
            expected["xview"]["train" if camera in (2, 3) else "val"] += 1
    assert report["counts"] == expected
    seen = []
    for b in benchmarks:
        for split in ("train", "val"):
            data, names, labels = load_agcn(out / b / f"{split}_data_joint.npy", out / b / f"{split}_label.pkl")
            assert data.shape == (expected[b][split], 3, 300, 25, 2) and data.dtype == np.float32
            assert names == sorted(names) and labels == [int(n[-3:]) - 1 for n in names]
            for i, name in enumerate(names):
                seq = read_skeleton(raw_dir / "nturgb+d_skeletons" / f"{name}.skeleton")
                np.testing.assert_array_equal(data[i], skeleton_to_input(seq))
            lengths = np.load(out / b / f"{split}_num_frames.npy")
            assert lengths.shape == (len(names),) and (lengths > 0).all()
            seen += names
        assert json.loads((out / b / "label_names.json").read_text())[0] == "drink water"
    assert sorted(seen) == sorted(GOOD * len(benchmarks))  # every good file, once per benchmark
    assert not list(out.rglob("*.partial"))


def test_prepare_api_skips_bad_files_and_reruns_identically(raw_dir, tmp_path):
    out = tmp_path / "out"
    report = prepare_ntu(raw_dir, out, "ntu60", ["xsub"], workers=1, progress=False, bones=True, joint_bones=True)
    assert report["dataset"] == "ntu60" and report["arrays"] == ["bone", "joint", "joint_bone"]
    _check_outputs(raw_dir, out, ["xsub"])
    joint = np.load(out / "xsub" / "train_data_joint.npy")
    np.testing.assert_allclose(np.load(out / "xsub" / "train_data_bone.npy"), bones(joint), atol=1e-6)
    jb = np.load(out / "xsub" / "train_data_joint_bone.npy")
    assert jb.shape[1] == 6
    np.testing.assert_array_equal(jb[:, :3], joint)
    before = {p.name: p.read_bytes() for p in (out / "xsub").iterdir()}
    (out / "xsub" / "val_data_joint.npy.partial").write_bytes(b"left by a killed run")
    prepare_ntu(raw_dir, out, "ntu60", ["xsub"], workers=1, progress=False, bones=True, joint_bones=True)
    after = {p.name: p.read_bytes() for p in (out / "xsub").iterdir()}
    assert after == before
    prepare_ntu(raw_dir, out, "ntu60", ["xsub"], workers=1, progress=False)  # stale bone files go
    assert not list((out / "xsub").glob("*bone*"))
    np.testing.assert_array_equal(np.load(out / "xsub" / "train_data_joint.npy"), joint)


def test_interrupted_run_leaves_previous_output_intact(raw_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    prepare_ntu(raw_dir, out, "ntu60", ["xsub"], workers=1, progress=False)
    before = {p.name: p.read_bytes() for p in (out / "xsub").iterdir()}
    calls = []
    real = prepare_module.process_file

    def interrupted(path):
        calls.append(path)
        if len(calls) > 4:
            raise KeyboardInterrupt
        return real(path)

    monkeypatch.setattr(prepare_module, "process_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_ntu(raw_dir, out, "ntu60", ["xsub"], workers=1, progress=False)
    assert {p.name: p.read_bytes() for p in (out / "xsub").iterdir()} == before
    monkeypatch.setattr(prepare_module, "process_file", real)
    prepare_ntu(raw_dir, out, "ntu60", ["xsub"], workers=1, progress=False)
    assert {p.name: p.read_bytes() for p in (out / "xsub").iterdir()} == before


def test_strict_and_keep_missing(raw_dir, tmp_path):
    out = tmp_path / "strict"
    with pytest.raises(PrepareError, match="4 raw file") as info:
        prepare_ntu(raw_dir, out, "ntu60", ["xsub"], workers=1, progress=False, strict=True)
    assert {s["file"] for s in info.value.skipped} == BAD
    assert json.loads((out / "prepare_report.json").read_text())["complete"] is False
    assert not list((out / "xsub").iterdir())
    report = prepare_ntu(raw_dir, tmp_path / "keep", "ntu120", ["xset"], workers=1, progress=False, keep_missing=True)
    assert sum(report["counts"]["xset"].values()) == len(GOOD) + 2  # the missing-list and NTU-120 files
    with pytest.raises(ValueError, match="unknown benchmark 'xset' for dataset 'ntu60'"):
        prepare_ntu(raw_dir, tmp_path / "x", "ntu60", ["xset"])


def test_cli_with_process_pool(raw_dir, tmp_path):
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "sttr", "prepare-ntu", str(raw_dir), str(out), "--dataset", "ntu60",
           "--benchmark", "xsub", "--benchmark", "xview", "--workers", "2", "--no-progress"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "skipped 4 file(s)" in proc.stdout and "S001C001P002R001A006.skeleton" in proc.stdout
    _check_outputs(raw_dir, out, ["xsub", "xview"])
    strict = [a if a != "2" else "1" for a in cmd] + ["--strict"]  # one process: quicker to start
    proc = subprocess.run(strict, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1
    assert "S001C001P002R001A005.skeleton" in proc.stderr


def test_atomic_write_replaces_only_a_complete_file(tmp_path):
    from sttr.atomic import PARTIAL, atomic_write

    path = tmp_path / "scores.npz"
    with atomic_write(path) as f:
        f.write(b"first")
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_write(path) as f:
            f.write(b"half of the se")
            raise RuntimeError("crash while writing")
    assert path.read_bytes() == b"first" and not list(tmp_path.glob(f"*{PARTIAL}"))
    with atomic_write(tmp_path / "log.jsonl", "w") as f:
        f.write("{}\n")
    assert (tmp_path / "log.jsonl").read_text() == "{}\n"
    with pytest.raises(ValueError, match="mode must be 'wb' or 'w'"):
        with atomic_write(path, "a"):
            pass
