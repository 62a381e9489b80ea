"""Kinetics-skeleton: the clip reader and conversion against the authors' loop.

The oracle (``tests/oracles/kinetics_gendata.py``) re-implements the structure of the authors'
``kinetics_gendata.py`` (loops, float64 work array, per-frame reordering); the conversion must equal it
to the bit on generated clips with every edge case of the format.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sttr.data.kinetics import (
    KineticsFormatError,
    LabelEntry,
    clip_to_array,
    parse_clip,
    parse_label_entries,
    read_clip,
)
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
