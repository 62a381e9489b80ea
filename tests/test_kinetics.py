"""Kinetics-skeleton: the clip reader and conversion against the authors' loop, the synthetic set.

The oracle (``tests/oracles/kinetics_gendata.py``) re-implements the structure of the authors'
``kinetics_gendata.py`` (loops, float64 work array, per-frame reordering); the conversion must equal it
to the bit on generated clips with every edge case of the format.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sttr.__main__ import main
from sttr.data import synthetic_kinetics as sk
from sttr.data.kinetics import (
    KineticsFormatError,
    LabelEntry,
    clip_to_array,
    format_clip,
    parse_clip,
    parse_label_entries,
    read_clip,
)
from sttr.data.synthetic import SYNTHETIC_ACTIONS
from tests.oracles.kinetics_gendata import gendata_sample

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
    from sttr.data.ntu import XSUB60_TRAIN_PERFORMERS, class_names

    names = class_names("synthetic")
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
