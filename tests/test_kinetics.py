"""Kinetics-skeleton: the clip reader and conversion against the authors' loop, prepare-kinetics, the synthetic set.

The oracle (``tests/oracles/kinetics_gendata.py``) re-implements the structure of the authors'
``kinetics_gendata.py`` (loops, float64 work array, per-frame reordering); the conversion must equal it
to the bit on generated clips with every edge case of the format.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sttr.__main__ import main
from sttr.data import prepare_kinetics as prepare_module
from sttr.data.synthetic import kinetics as sk
from sttr.data.formats import read_labels
from sttr.data.kinetics import (
    KineticsFormatError,
    LabelEntry,
    clip_to_array,
    format_clip,
    parse_clip,
    parse_label_entries,
    read_clip,
)
from sttr.data.prepare import PrepareError
from sttr.data.prepare_kinetics import prepare_kinetics
from sttr.data.preprocess import bones
from sttr.data.synthetic import SYNTHETIC_ACTIONS
from tests.oracles.kinetics_gendata import gen_bones, gendata_sample

# ------------------------------------------------------------------------------------ generated clips


def _person(rng: np.random.Generator, zeros: float = 0.2, score: np.ndarray | None = None) -> dict:
    """One listed person: pose in [0, 1] with 3 decimals, scores with some exact zeros."""
    s = np.round(rng.uniform(0.05, 1.0, 18), 3) if score is None else score
    s = np.where(rng.random(18) < zeros, 0.0, s)
    return {"pose": np.round(rng.random(36), 3).tolist(), "score": s.tolist()}


def _clip(seed: int, frames: int = 120, max_people: int = 8, **features: bool) -> dict:
    """A clip with the format's edge cases: up to ``max_people`` people, empty frames, missing and repeated
    frame indices, unordered frames, people without any score."""
    rng = np.random.default_rng(seed)
    data = []
    for f in range(frames):
        if rng.random() < 0.1:  # frame entry missing
            continue
        n = int(rng.integers(0, max_people + 1)) if rng.random() > 0.15 else 0  # empty skeleton list
        people = [_person(rng, zeros=1.0 if rng.random() < 0.05 else 0.2) for _ in range(n)]
        data.append({"frame_index": f, "skeleton": people})
    if features.get("repeat", True):  # repeated frame indices: later entries overwrite slots
        data += [{"frame_index": int(rng.integers(0, frames)), "skeleton": [_person(rng)]} for _ in range(3)]
    if features.get("shuffle", True):
        data = [data[i] for i in rng.permutation(len(data))]
    return {"data": data, "label": "synthetic class", "label_index": 3}


def _ties(seed: int) -> dict:
    """Frames where several people have the same summed score (one score vector shared, different poses)."""
    rng = np.random.default_rng(seed)
    base = np.round(rng.uniform(0.1, 1.0, 18), 3)
    low, high = np.full(18, 0.25), np.full(18, 0.5)
    # Summed scores 4.5, 4.5, 9, 9, 0: numpy's SIMD argsort (AVX-512) lists the 4th person before the 3rd.
    data = [{"frame_index": 0, "skeleton": [_person(rng, 0.0, low), _person(rng, 0.0, low), _person(rng, 0.0, high),
                                            _person(rng, 0.0, high), _person(rng, 1.0)]}]  # fmt: skip
    for f in range(1, 40):
        people = [_person(rng, zeros=0.0, score=base if rng.random() < 0.7 else None)
                  for _ in range(int(rng.integers(2, 8)))]  # fmt: skip
        data.append({"frame_index": f, "skeleton": people})
    return {"data": data, "label_index": 0}


def _convert(obj: dict) -> np.ndarray:
    x, dropped = clip_to_array(parse_clip(obj, "clip.json", max_people=5))
    assert dropped == 0
    return x


@pytest.mark.parametrize("seed", range(6))
def test_conversion_equals_the_authors_loop(seed: int) -> None:
    obj = _clip(seed, frames=(40, 120, 300)[seed % 3])
    x = _convert(obj)
    assert x.shape == (3, 300, 18, 2) and x.dtype == np.float32
    assert x.tobytes() == gendata_sample(obj).tobytes()  # bit for bit, zeros' signs included


@pytest.mark.parametrize("seed", range(3))
def test_ties_keep_the_listing_order(seed: int) -> None:
    obj = _ties(seed)
    x = _convert(obj)
    assert x.tobytes() == gendata_sample(obj, stable=True).tobytes()
    tied = 0
    for f, frame in enumerate(obj["data"]):
        people = frame["skeleton"][:5]
        sums = [sum(p["score"]) for p in people]
        best = [i for i, s in enumerate(sums) if s == max(sums)]
        tied += len(best) > 1
        np.testing.assert_array_equal(x[0, f, :, 0], np.float32(np.array(people[best[0]]["pose"][0::2]) - 0.5))
        if len(best) > 1:  # the second place goes to the next of the tied people in listing order
            np.testing.assert_array_equal(x[0, f, :, 1], np.float32(np.array(people[best[1]]["pose"][0::2]) - 0.5))
    assert tied > 10


def test_without_ties_any_argsort_agrees() -> None:
    obj = _clip(11, max_people=5, repeat=False)
    assert _convert(obj).tobytes() == gendata_sample(obj, stable=False).tobytes()


def test_frames_from_300_on_are_left_out_where_the_authors_stop() -> None:
    obj = _clip(5, frames=320, shuffle=False, repeat=False)
    with pytest.raises(IndexError):
        gendata_sample(obj)
    x, dropped = clip_to_array(parse_clip(obj, "long.json", max_people=5))
    kept = {**obj, "data": [f for f in obj["data"] if f["frame_index"] < 300]}
    assert dropped == len({f["frame_index"] for f in obj["data"] if f["skeleton"]} - set(range(300)))
    assert dropped > 0 and x.tobytes() == gendata_sample(kept).tobytes()


def test_only_the_first_five_people_are_read() -> None:
    rng = np.random.default_rng(0)
    people = [_person(rng, zeros=0.0, score=np.full(18, 0.1 * (k + 1))) for k in range(7)]
    x = _convert({"data": [{"frame_index": 0, "skeleton": people}]})
    np.testing.assert_allclose(x[2, 0, 0], [0.5, 0.4], rtol=1e-6)  # the 6th and 7th (0.6, 0.7) are not read
    np.testing.assert_allclose(x[0, 0, :, 0], np.float32(np.array(people[4]["pose"][0::2]) - 0.5))
    np.testing.assert_allclose(x[1, 0, :, 0], np.float32(0.5 - np.array(people[4]["pose"][1::2])))


def _malformed_cases() -> list[tuple[str, str, list[str]]]:
    good = {"frame_index": 0, "skeleton": [{"pose": [0.5] * 36, "score": [0.5] * 18}]}

    def with_person(**kw: object) -> str:
        person = {"pose": [0.5] * 36, "score": [0.5] * 18, **kw}
        return json.dumps({"data": [good, {"frame_index": 1, "skeleton": [person]}]})

    return [
        ("bad_json", '{"data": [', ["not valid JSON", "line 1"]),
        ("not_object", "[1, 2]", ["expected a JSON object", "list"]),
        ("no_data", '{"frames": []}', ["expected key 'data'", "frames"]),
        ("frame_keys", '{"data": [{"index": 0, "skeleton": []}]}', ["data[0]", "'frame_index' and 'skeleton'"]),
        ("negative_frame", '{"data": [{"frame_index": -1, "skeleton": []}]}', ["data[0].frame_index", ">= 0"]),
        ("float_frame", '{"data": [{"frame_index": 2.0, "skeleton": []}]}', ["data[0].frame_index", "integer"]),
        ("skeleton_type", '{"data": [{"frame_index": 0, "skeleton": {}}]}', ["data[0].skeleton", "list of people"]),
        ("person_keys", json.dumps({"data": [{"frame_index": 0, "skeleton": [{"pose": [0.5] * 36}]}]}),
         ["data[0].skeleton[0]", "'pose' and 'score'", "pose"]),
        ("pose_length", with_person(pose=[0.5] * 34), ["data[1].skeleton[0].pose", "36 numbers", "found 34"]),
        ("score_length", with_person(score=[0.5] * 17), ["data[1].skeleton[0].score", "18 numbers", "found 17"]),
        ("string_value", with_person(score=[0.5] * 17 + ["0.5"]), ["data[1].skeleton[0].score[17]", "number", '"0.5"']),
        ("null_value", with_person(pose=[None] + [0.5] * 35), ["data[1].skeleton[0].pose[0]", "number", "null"]),
        ("bool_value", with_person(pose=[0.5, True] + [0.5] * 34), ["data[1].skeleton[0].pose[1]", "true"]),
        ("nan_value", with_person(score=[0.5] * 5 + [float("nan")] + [0.5] * 12),
         ["data[1].skeleton[0].score[5]", "finite"]),
        ("label_index_type", '{"data": [], "label_index": "3"}', ["label_index", "integer"]),
    ]  # fmt: skip


@pytest.mark.parametrize("name, text, expected", _malformed_cases(), ids=[c[0] for c in _malformed_cases()])
def test_malformed_clips_name_the_file_key_and_expectation(tmp_path: Path, name: str, text: str, expected) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(text)
    with pytest.raises(KineticsFormatError) as info:
        read_clip(path)
    message = str(info.value)
    assert message.startswith(f"{name}.json: ")
    for part in expected:
        assert part in message, message


def test_label_file_entries_are_checked_one_by_one() -> None:
    obj = {
        "a": {"has_skeleton": True, "label": "x", "label_index": 0},
        "b": {"has_skeleton": 1, "label": "x", "label_index": 0},
        "c": {"has_skeleton": True, "label": "x", "label_index": -1},
        "d": {"label": "x"},
        "e": [],
    }
    entries, problems = parse_label_entries(obj, "labels.json")
    assert entries == {"a": LabelEntry(True, "x", 0)}
    assert sorted(problems) == ["b", "c", "d", "e"]
    assert "has_skeleton: expected true or false" in problems["b"] and ">= 0" in problems["c"]
    with pytest.raises(KineticsFormatError, match="labels.json: expected a JSON object"):
        parse_label_entries([], "labels.json")


# -------------------------------------------------------------------------------------- synthetic set

N_CLASSES = len(SYNTHETIC_ACTIONS)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic-kinetics")
    sk.generate_kinetics(out, seed=0, max_samples=2 * N_CLASSES, progress=False)
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_synthetic_same_seed_same_bytes(synthetic: Path, tmp_path: Path) -> None:
    first = _tree(synthetic)
    again = sk.generate_kinetics(tmp_path / "a", seed=0, max_samples=2 * N_CLASSES, progress=False, workers=2)
    assert _tree(tmp_path / "a") == first
    assert len(again["train"]) == len(again["val"]) == N_CLASSES  # the prefix holds both splits
    sk.generate_kinetics(tmp_path / "b", seed=1, max_samples=4, progress=False)
    other = {k: v for k, v in _tree(tmp_path / "b").items() if k.endswith(".json") and "/" in k}
    assert len(other) == 4 and all(v != first[k] for k, v in other.items())
    sk.generate_kinetics(tmp_path / "a", seed=0, max_samples=4, progress=False)  # a smaller set in the same place
    clips = {k: v for k, v in _tree(tmp_path / "a").items() if k.endswith(".json") and "/" in k}
    assert clips.keys() == other.keys() and all(v == first[k] for k, v in clips.items())  # the others removed


def test_synthetic_is_labelled_synthetic(synthetic: Path) -> None:
    from sttr.data.names import XSUB60_TRAIN_PERFORMERS
    from sttr.data.registry import dataset

    names = dataset("synthetic").class_names()
    for split in ("train", "val"):
        labels = json.loads((synthetic / f"kinetics_{split}_label.json").read_text())
        files = sorted(p.name[:-5] for p in (synthetic / f"kinetics_{split}").iterdir())
        assert sorted(labels) == files and all(k.startswith("synthetic_S") for k in files)
        for key, entry in labels.items():
            assert set(entry) == {"has_skeleton", "label", "label_index"}
            assert entry["label"] == names[entry["label_index"]]
            performer = int(key.split("P")[1][:3])
            assert (performer in XSUB60_TRAIN_PERFORMERS) == (split == "train")
            clip = json.loads((synthetic / f"kinetics_{split}" / f"{key}.json").read_text())
            assert clip["label"] == entry["label"] and clip["label_index"] == entry["label_index"]
    assert "Not Kinetics" in (synthetic / "README.txt").read_text()
    assert "not Kinetics" in sk.__doc__


def test_synthetic_round_trips_through_the_reader(synthetic: Path) -> None:
    people_per_frame, dropouts = [], 0
    for path in sorted(synthetic.rglob("synthetic_*.json")):
        text = path.read_text()
        clip = read_clip(path)
        frames: dict[int, list] = {}
        for k in range(len(clip.frame)):
            frames.setdefault(int(clip.frame[k]), []).append((clip.pose[k], clip.score[k]))
        listed = [(f, frames.get(f, [])) for f in (e["frame_index"] for e in json.loads(text)["data"])]
        assert format_clip(listed, clip.label, clip.label_index) == text
        assert ((clip.pose >= 0) & (clip.pose <= 1)).all() and ((clip.score >= 0) & (clip.score < 1)).all()
        missing = clip.score == 0
        assert (clip.pose[missing] == 0).all()  # dropouts as OpenPose writes them
        dropouts += int(missing.sum())
        assert ((~missing).sum(1) >= 2).all()  # a listed person has at least two joints
        people_per_frame.append(np.bincount(clip.frame).max() if len(clip.frame) else 0)
    assert max(people_per_frame) >= 2 and dropouts > 0


def test_synthetic_joint_mapping_and_camera() -> None:
    from sttr.skeleton import ARM_JOINTS, HEAD, LEG_JOINTS

    body = sk.perform(0, 3, 1, 10)[0]  # (T, 25, 3) clapping, scene frame
    op = sk.openpose_joints(body)  # (T, 18, 3)
    pairs = {2: ARM_JOINTS["R"][0], 4: ARM_JOINTS["R"][2], 5: ARM_JOINTS["L"][0], 10: LEG_JOINTS["R"][2],
             11: LEG_JOINTS["L"][0]}  # fmt: skip
    for j, k in pairs.items():
        np.testing.assert_array_equal(op[:, j], body[:, k])
    to_head = np.linalg.norm(op[:, [0, 14, 15, 16, 17]] - body[:, None, HEAD], axis=-1)
    assert (to_head > 0.05).all() and (to_head < 0.15).all()  # a face around the head joint
    eyes = np.linalg.norm(op[:, [14, 15]] - op[:, None, 0], axis=-1)  # (T, 2) nose to each eye
    np.testing.assert_allclose(eyes[:, 0], eyes[:, 1])
    # Filmed from the front (R001 faces camera 2): the left shoulder is on the image's right, the nose seen.
    text, _ = sk.make_clip(0, (3, 2, 1, 10))
    clip = parse_clip(json.loads(text), "front.json")
    real = (clip.score > 0).sum(1) >= 10
    both = real & (clip.score[:, 2] > 0) & (clip.score[:, 5] > 0)
    assert (clip.pose[both, 5, 0] > clip.pose[both, 2, 0]).mean() > 0.95
    assert (clip.score[real, 0] > 0).mean() > 0.9


def test_synth_kinetics_cli(tmp_path: Path, capsys) -> None:
    assert main(["synth-kinetics", str(tmp_path), "--max-samples", "3", "--seed", "2", "--workers", "1",
                 "--no-progress"]) == 0  # fmt: skip
    assert len(list(tmp_path.rglob("synthetic_*.json"))) == 3
    assert "wrote 3 training and 0 validation clips" in capsys.readouterr().out
    assert main(["synth-kinetics", str(tmp_path), "--performers", "1", "--no-progress"]) == 2


# ----------------------------------------------------------------------------------- prepare-kinetics

def _one_frame(pose: list, score: list) -> str:
    return json.dumps({"data": [{"frame_index": 0, "skeleton": [{"pose": pose, "score": score}]}]})


GOOD_POSE = {"frame_index": 0, "skeleton": [{"pose": [0.5] * 36, "score": [0.5] * 18}]}
PLANTED_MALFORMED = {
    "kinetics_train/zz_bad_json.json": "{not json",
    "kinetics_train/zz_wrong_keys.json": json.dumps({"frames": []}),
    "kinetics_val/zz_pose_length.json": _one_frame([0.5] * 30, [0.5] * 18),
    "kinetics_val/zz_non_numeric.json": _one_frame(["x"] * 36, [0.5] * 18),
    "kinetics_val/zz_label_mismatch.json": json.dumps({"data": [GOOD_POSE], "label_index": 5}),
}
PLANTED_EXTRA = {  # usable or left out on purpose
    "kinetics_train/zz_long.json": json.dumps({"data": [dict(GOOD_POSE, frame_index=f) for f in (1, 299, 300, 305)]}),
    "kinetics_train/zz_no_skeleton.json": json.dumps({"data": []}),
    "kinetics_train/zz_unlabelled.json": json.dumps({"data": [GOOD_POSE]}),
}


@pytest.fixture(scope="module")
def raw(synthetic: Path, tmp_path_factory) -> Path:
    """The synthetic set with broken, unlabelled and edge-case files planted in a copy."""
    raw = tmp_path_factory.mktemp("raw") / "kinetics-skeleton"
    shutil.copytree(synthetic, raw)
    for rel, text in {**PLANTED_MALFORMED, **PLANTED_EXTRA}.items():
        (raw / rel).write_text(text)
    extra_entries = {  # clip id -> has_skeleton; zz_ghost_entry has no clip file, zz_unlabelled no entry
        "train": {"zz_long": True, "zz_no_skeleton": False, "zz_bad_json": True, "zz_wrong_keys": True,
                  "zz_ghost_entry": True},
        "val": {"zz_pose_length": True, "zz_non_numeric": True, "zz_label_mismatch": True},
    }  # fmt: skip
    for split, extra in extra_entries.items():
        path = raw / f"kinetics_{split}_label.json"
        labels = json.loads(path.read_text())
        labels.update({k: {"has_skeleton": h, "label": "sitting down", "label_index": 0} for k, h in extra.items()})
        path.write_text(json.dumps(labels))
    return raw


def _check_prepared(raw: Path, out: Path, report: dict) -> None:
    assert {s["file"] for s in report["skipped"]} == set(PLANTED_MALFORMED)
    reasons = {s["file"]: s["reason"] for s in report["skipped"]}
    assert "not valid JSON" in reasons["kinetics_train/zz_bad_json.json"]
    assert "expected key 'data'" in reasons["kinetics_train/zz_wrong_keys.json"]
    assert "pose: expected a list of 36 numbers, found 30" in reasons["kinetics_val/zz_pose_length.json"]
    assert "pose[0]: expected a number" in reasons["kinetics_val/zz_non_numeric.json"]
    assert "label_index 5, but the label file gives 0" in reasons["kinetics_val/zz_label_mismatch.json"]
    unlabelled = {s["file"]: s["reason"] for s in report["unlabelled"]}
    assert unlabelled.keys() == {"kinetics_train/zz_unlabelled.json", "kinetics_train_label.json"}
    assert "zz_ghost_entry" in unlabelled["kinetics_train_label.json"]
    assert report["no_skeleton"] == {"train": 1, "val": 0}
    assert report["frames_left_out"] == [{"file": "kinetics_train/zz_long.json", "frames": 2}]
    assert json.loads((out / "label_names.json").read_text())[2] == "clapping"
    for split in ("train", "val"):
        x = np.load(out / f"{split}_data_joint.npy")
        names, labels = read_labels(out / f"{split}_label.pkl")
        label_file = json.loads((raw / f"kinetics_{split}_label.json").read_text())
        expected = sorted(p.name for p in (raw / f"kinetics_{split}").iterdir()
                          if label_file.get(p.name[:-5], {}).get("has_skeleton") and p.name not in
                          {Path(f).name for f in PLANTED_MALFORMED})  # fmt: skip
        assert names == expected and report["counts"][split] == len(names)
        assert x.shape == (len(names), 3, 300, 18, 2) and x.dtype == np.float32
        assert labels == [label_file[n[:-5]]["label_index"] for n in names]
        for i, name in enumerate(names):
            obj = json.loads((raw / f"kinetics_{split}" / name).read_text())
            obj["data"] = [f for f in obj["data"] if f["frame_index"] < 300]
            assert x[i].tobytes() == gendata_sample(obj).tobytes(), name
        frames = np.load(out / f"{split}_num_frames.npy")
        assert frames.shape == (len(names),) and (frames > 0).all()
    assert not list(out.rglob("*.partial"))


def test_prepare_kinetics_arrays_labels_and_report(raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = prepare_kinetics(raw, out, bones=True, joint_bones=True, workers=1, progress=False)
    assert report["arrays"] == ["bone", "joint", "joint_bone"] and report["complete"]
    assert json.loads((out / "prepare_report.json").read_text()) == report
    _check_prepared(raw, out, report)
    for split in ("train", "val"):
        joint = np.load(out / f"{split}_data_joint.npy")
        bone = np.load(out / f"{split}_data_bone.npy")
        assert bone.tobytes() == gen_bones(joint).tobytes()  # the authors' bones, score channel included
        np.testing.assert_array_equal(bone, bones(joint))
        np.testing.assert_array_equal(np.load(out / f"{split}_data_joint_bone.npy"), np.concatenate([joint, bone], 1))
    before = _tree(out)
    (out / "val_data_joint.npy.partial").write_bytes(b"left by a killed run")
    prepare_kinetics(raw, out, bones=True, joint_bones=True, workers=2, progress=False)  # a process pool
    assert _tree(out) == before
    prepare_kinetics(raw, out, workers=1, progress=False)  # stale bone arrays go
    assert not list(out.glob("*bone*"))


def test_interrupted_run_leaves_previous_outputs_intact(raw: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    prepare_kinetics(raw, out, splits=["val"], workers=1, progress=False)
    before = _tree(out)
    calls = []
    real = prepare_module.process_clip

    def interrupted(job):
        calls.append(job)
        if len(calls) > 4:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(prepare_module, "process_clip", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_kinetics(raw, out, splits=["val"], bones=True, workers=1, progress=False)
    assert _tree(out) == before  # no partial output, nothing replaced
    monkeypatch.setattr(prepare_module, "process_clip", real)
    prepare_kinetics(raw, out, splits=["val"], workers=1, progress=False)
    assert _tree(out) == before


def test_strict_fails_naming_every_unusable_file(raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "strict"
    with pytest.raises(PrepareError) as info:
        prepare_kinetics(raw, out, workers=1, progress=False, strict=True)
    assert {s["file"] for s in info.value.skipped} == set(PLANTED_MALFORMED) | {"kinetics_train/zz_unlabelled.json"}
    assert json.loads((out / "prepare_report.json").read_text())["complete"] is False
    assert sorted(p.name for p in out.iterdir()) == ["prepare_report.json"]


def test_cli_prints_errors_without_traceback(raw: Path, synthetic: Path, tmp_path: Path, capsys) -> None:
    assert main(["prepare-kinetics", str(raw), str(tmp_path / "a"), "--split", "val", "--workers", "1",
                 "--no-progress", "--strict"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith("error: 3 clip file(s)") and "kinetics_val/zz_pose_length.json" in err
    assert "Traceback" not in err
    assert main(["prepare-kinetics", str(tmp_path / "nowhere"), str(tmp_path / "b"), "--no-progress"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    broken = tmp_path / "broken"
    shutil.copytree(synthetic, broken)
    (broken / "kinetics_val_label.json").write_text("{")
    assert main(["prepare-kinetics", str(broken), str(tmp_path / "c"), "--no-progress"]) == 2
    assert "error: kinetics_val_label.json: not valid JSON" in capsys.readouterr().err
    assert main(["prepare-kinetics", str(synthetic), str(tmp_path / "d"), "--workers", "1", "--no-progress"]) == 0
    assert f"train {N_CLASSES}, val {N_CLASSES}" in capsys.readouterr().out


# -------------------------------------------------------------------- train, evaluate, predict, table

ROOT = Path(__file__).resolve().parents[1]


def test_synthetic_profile_end_to_end(synthetic: Path, tmp_path: Path, one_thread, capsys) -> None:
    """prepare-kinetics -> train (the kinetics-synth profile: random 150-frame windows, full-length validation)
    -> evaluate -> predict a clip -> the results table; validation, evaluate and predict agree to the sample."""
    from sttr.checkpoint import read_checkpoint
    from sttr.evaluation.scores import load_scores
    from sttr.evaluation.tables import NO_KINETICS_NUMBERS, kinetics_table
    from sttr.experiment import load_profile
    from sttr.predict import Predictor

    data, runs = tmp_path / "prepared", tmp_path / "run"
    assert main(["prepare-kinetics", str(synthetic), str(data), "--workers", "1", "--no-progress"]) == 0
    config = ROOT / "configs" / "kinetics-synth" / "spatial.yaml"
    assert main(["train", "--config", str(config), "--no-progress", f"data.dir={data}", f"out_dir={runs}",
                 "train.epochs=1", "train.batch_size=8"]) == 0  # fmt: skip
    checkpoint = read_checkpoint(runs / "last.pt")
    assert checkpoint["experiment"]["data"]["window"] == 150 and checkpoint["model_config"]["graph"] == "kinetics"
    assert (checkpoint["window"], checkpoint["resample"]) == (None, False)  # evaluate and predict: full length
    scores_path = tmp_path / "spatial.npz"
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", str(runs / "last.pt"), "--data", str(data), "--out", str(scores_path),
                 "--no-progress"]) == 0  # fmt: skip
    assert "top-1:" in capsys.readouterr().out
    evaluated, validated = load_scores(scores_path), load_scores(runs / "scores_last.npz")
    assert list(evaluated.names) == list(validated.names) and evaluated.class_names[2] == "clapping"
    np.testing.assert_allclose(evaluated.scores, validated.scores, atol=1e-6)
    (pred,) = Predictor(runs / "last.pt", progress=False).predict(synthetic / "kinetics_val" / evaluated.names[0])
    np.testing.assert_allclose(pred.scores, evaluated.scores[0], atol=1e-6)
    table = kinetics_table(load_profile("kinetics-synth"), {("spatial", False): evaluated})
    assert list(table["model"]) == ["S-TR"] and list(table["input"]) == ["joints"]
    assert table["top-1 (%)"][0] == pytest.approx(100 * evaluated.top1())
    assert table["top-5 (%)"][0] == pytest.approx(100 * evaluated.top5())
    assert table["samples"][0] == len(evaluated.names)
    assert table["paper (ICPR 2020)"][0] == "no Kinetics-skeleton numbers"
    assert NO_KINETICS_NUMBERS in table.attrs["caption"] and "not Kinetics" in table.attrs["caption"]
