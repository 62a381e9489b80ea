"""Synthetic mini-NTU: determinism, the exact .skeleton format, names, balance, classes, time reversal."""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from sttr.__main__ import main
from sttr.data import synthetic as syn
from sttr.data.names import MAX_FRAMES, SampleName
from sttr.data.ntu import read_skeleton
from sttr.data.registry import dataset
from sttr.data.synthetic import actions, generation
from sttr.data.synthetic.body import Body, Scene, make_performer, rng_for

NAME = re.compile(r"^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})\.skeleton$")
N_CLASSES = len(syn.SYNTHETIC_ACTIONS)


def parse_counts(path: Path) -> dict:
    """A literal line-by-line reading of the NTU text format, independent of sttr.data.ntu."""
    lines = path.read_text(encoding="ascii").splitlines()
    pos = 0

    def take() -> list[str]:
        nonlocal pos
        pos += 1
        return lines[pos - 1].split()

    frames = int(take()[0])
    counts, body_lines, joints = [], [], []
    for _ in range(frames):
        n = take()
        assert len(n) == 1, f"{path.name}, line {pos}: expected a body count"
        counts.append(int(n[0]))
        for _ in range(counts[-1]):
            body = take()
            assert len(body) == 10, f"{path.name}, line {pos}: expected 10 body values"
            body_lines.append(body)
            assert take() == ["25"], f"{path.name}, line {pos}: expected 25"
            for _ in range(25):
                row = take()
                assert len(row) == 12, f"{path.name}, line {pos}: expected 12 joint values"
                joints.append([float(v) for v in row])
    assert pos == len(lines), f"{path.name}: {len(lines) - pos} lines after the last frame"
    return {"frames": frames, "counts": np.array(counts), "body": body_lines, "joints": np.array(joints)}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    # 2 files per class: balanced over classes, spread over performers and cameras.
    return syn.generate(tmp_path_factory.mktemp("synth"), seed=0, max_samples=2 * N_CLASSES, progress=False)


def test_classes_are_ntu_actions() -> None:
    table = syn.describe_classes()
    assert 12 <= N_CLASSES <= 16 and list(table["number"]) == list(syn.SYNTHETIC_ACTIONS)
    assert list(syn.SYNTHETIC_ACTIONS) == sorted(syn.SYNTHETIC_ACTIONS)
    tsv = resources.files("sttr.data").joinpath("resources/ntu120_actions.tsv").read_text(encoding="utf-8")
    names = dict(line.split("\t") for line in tsv.splitlines() if line.strip())
    assert dataset("synthetic").class_names() == [names[str(a)] for a in syn.SYNTHETIC_ACTIONS]
    assert set(table["claim"]) == {"far joints", "order in time", "interaction"}
    assert table.loc[table["bodies"] == 2, "number"].tolist() == sorted(syn.INTERACTIONS)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, files: list[Path]) -> None:
    again = syn.generate(tmp_path / "a", seed=0, max_samples=4, progress=False)
    other = syn.generate(tmp_path / "b", seed=1, max_samples=4, progress=False)
    first = {p.name: p.read_bytes() for p in files}
    assert [p.name for p in again] == [p.name for p in other]
    for p, q in zip(again, other):
        assert p.read_bytes() == first[p.name]  # generation order (4 vs 28 files) does not matter
        assert p.read_bytes() != q.read_bytes()


def test_process_pool_writes_the_same_files(tmp_path: Path, files: list[Path]) -> None:
    pooled = syn.generate(tmp_path, seed=0, max_samples=6, progress=False, workers=2)
    first = {p.name: p.read_bytes() for p in files}
    assert all(p.read_bytes() == first[p.name] for p in pooled)


def test_format_fields_and_lengths(files: list[Path]) -> None:
    assert len(files) == 2 * N_CLASSES
    assert Counter(int(NAME.match(p.name).group(5)) for p in files) == {a: 2 for a in syn.SYNTHETIC_ACTIONS}
    for path in files:
        assert NAME.match(path.name), path.name
        f = parse_counts(path)
        assert actions.MIN_FRAMES <= f["frames"] <= MAX_FRAMES
        assert (f["counts"] > 0).mean() > 0.8  # lost frames are occasional
        j = f["joints"]
        assert np.isfinite(j).all()
        assert set(np.unique(j[:, 11])) <= {1.0, 2.0}  # trackingState: tracked or inferred
        assert (j[:, 2] > 1.0).all() and (j[:, 2] < 6.0).all()  # depth in metres
        q = np.linalg.norm(j[:, 7:11], axis=1)
        assert np.allclose(q[q > 0], 1.0, atol=1e-6)  # unit quaternions; end joints are 0 0 0 0
        body = np.array(f["body"], dtype=float)
        assert (body[:, 0] > 7e16).all() and (body[:, 9] == 2).all()
        assert (np.abs(body[:, 7:9]) <= 1).all()


def test_read_back_through_the_ntu_reader(files: list[Path]) -> None:
    for path in files[:6]:
        seq, ref = read_skeleton(path), parse_counts(path)
        assert seq.num_frames == ref["frames"]
        np.testing.assert_array_equal(seq.bodies_per_frame, ref["counts"])
        np.testing.assert_allclose(seq.joints.reshape(-1, 12), ref["joints"], rtol=0, atol=1e-9)
        assert all(str(i) == b[0] for i, b in zip(seq.body_ids, ref["body"]))  # exact 17-digit IDs


def test_interactions_have_two_bodies(files: list[Path]) -> None:
    for action in syn.SYNTHETIC_ACTIONS:
        bodies = syn.perform(0, 3, 1, action)
        assert len(bodies) == (2 if action in syn.INTERACTIONS else 1)
        assert all(b.shape[1:] == (25, 3) for b in bodies)
    for path in files:
        action = int(NAME.match(path.name).group(5))
        ids = read_skeleton(path).body_ids
        if action in syn.INTERACTIONS:
            assert len(np.unique(ids)) >= 2, path.name


def test_max_samples_is_balanced() -> None:
    keys = generation._ordered_keys(40)
    assert len(keys) == 40 * 3 * 2 * N_CLASSES and len(set(keys)) == len(keys)
    part = keys[: N_CLASSES * 30]
    assert set(Counter(k[3] for k in part).values()) == {30}  # classes
    assert Counter(k[0] for k in part) == {p: N_CLASSES for p in range(1, 31)}  # performers
    assert set(Counter(k[1] for k in part).values()) == {N_CLASSES * 10}  # cameras
    for action in syn.SYNTHETIC_ACTIONS:  # each class alone spreads over performers and cameras
        mine = [k for k in part if k[3] == action]
        assert len({k[0] for k in mine}) == 30 and set(Counter(k[1] for k in mine).values()) == {10}


def test_names_avoid_the_missing_skeleton_lists() -> None:
    missing = generation._missing_names()
    names = {SampleName(syn.setup_of(p, r, a), c, p, r, a).name for p, c, r, a in generation._ordered_keys(40)}
    assert len(names) == 40 * 3 * 2 * N_CLASSES and not names & missing
    # P025 films in S008 by default, but S008C003P025R002A030 is a missing NTU sample: it moves to S009
    assert SampleName(8, 3, 25, 2, 30).name in missing and 1 + (25 - 1) % generation.NUM_SETUPS == 8
    assert syn.setup_of(25, 2, 30) == 9


def _bare_scene(T: int, reverse_time: bool, n_bodies: int = 1) -> Scene:
    """A scene without idle motion; ``reverse_time`` plays the phase ramp backwards (u -> 1 - u[::-1])."""
    rng = np.random.default_rng(7)
    perf = make_performer(np.random.default_rng(3))
    u = np.clip((np.arange(T) - 10) / (T - 20), 0, 1)
    bodies = [Body(perf, T) for _ in range(n_bodies)]
    u = 1 - u[::-1] if reverse_time else u
    return Scene(bodies=bodies, T=T, t=np.arange(T) / 30, u=u, rng=rng, freq=1.5, window=T - 20)


@pytest.mark.parametrize("forward, backward", syn.TIME_REVERSED_PAIRS)
def test_reversed_classes_are_the_same_poses_backwards(forward: int, backward: int) -> None:
    run = {}
    for action, reverse_time in ((forward, False), (backward, True)):
        scene = _bare_scene(90, reverse_time)
        actions._ACTIONS[action][0](scene)
        run[action] = scene.bodies[0].joints()
    np.testing.assert_allclose(run[backward], run[forward][::-1], atol=1e-9)


def test_hips_go_down_when_sitting_and_up_when_standing() -> None:
    for performer in (1, 2, 7):
        for action, sign in ((8, -1), (9, 1)):
            hip = syn.perform(0, performer, 1, action)[0][:, 0, 1]  # (T,) base of spine height
            k = max(3, len(hip) // 10)
            assert sign * (hip[-k:].mean() - hip[:k].mean()) > 0.2


def test_lengths_follow_ntu_and_do_not_depend_on_the_class() -> None:
    lengths = {
        a: [actions._length(rng_for(0, 1, p, r, a)) for p in range(1, 41) for r in (1, 2)] for a in syn.SYNTHETIC_ACTIONS
    }
    everything = np.concatenate(list(lengths.values()))
    assert everything.min() >= 40 and everything.max() <= 300 and 80 <= everything.mean() <= 105
    means = np.array([np.mean(v) for v in lengths.values()])
    assert means.std() < 0.15 * everything.mean()


def test_cli_writes_files(tmp_path: Path, capsys) -> None:
    assert main(["synth", str(tmp_path), "--max-samples", "3", "--seed", "2", "--no-progress"]) == 0
    assert len(list(tmp_path.glob("*.skeleton"))) == 3
    assert "wrote 3 files" in capsys.readouterr().out


def test_coverage_names_put_every_ntu_action_on_both_sides_of_every_benchmark():
    from sttr.data.synthetic.coverage import NTU_MUTUAL, choreography, ntu_names

    names = [n for n, _ in ntu_names(120)]
    assert sorted({n.setup for n in names}) == list(range(1, 33))
    assert sorted({n.action for n in names}) == list(range(1, 121))
    missing = dataset("ntu60").missing_skeletons() | dataset("ntu120").missing_skeletons()
    assert not any(n.name in missing for n in names) and len({n.name for n in names}) == 240
    for name, benchmarks, classes in (("ntu60", ("xsub", "xview"), 60), ("ntu120", ("xsub", "xset"), 120)):
        entry = dataset(name)
        kept = [n for n in names if entry.in_dataset(n)]
        for benchmark in benchmarks:
            for side in (True, False):
                actions_ = {n.action for n in kept if entry.is_training(n, benchmark) == side}
                assert actions_ == set(range(1, classes + 1)), (name, benchmark, side)
    assert all((choreography(a) in actions.INTERACTIONS) == (a in NTU_MUTUAL) for a in range(1, 121))


def test_coverage_files_read_back_with_their_bodies(tmp_path):
    from sttr.data.synthetic.coverage import generate_kinetics_coverage, generate_ntu_coverage
    from sttr.data.kinetics import read_clip

    paths = generate_ntu_coverage(tmp_path / "ntu", classes=60)
    assert len(paths) == 120
    mutual = next(p for p in paths if "A055" in p.name)
    assert read_skeleton(mutual).bodies_per_frame.max() >= 2  # a mutual action has two bodies
    counts = generate_kinetics_coverage(tmp_path / "kinetics", classes=3)
    assert counts == {"train": 3, "val": 3}
    clip = read_clip(tmp_path / "kinetics" / "kinetics_val" / "coverage_val_002.json")
    assert clip.label_index == 2 and clip.label == "coverage class 002" and clip.num_frames > 0
