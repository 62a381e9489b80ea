"""The valid-frame rule, one per layout (``sttr.data.preprocess.valid_frames``), and the callers that use it."""

from __future__ import annotations

import numpy as np
import pytest

from sttr.data.dataset import SkeletonDataset
from sttr.data.formats import write_agcn
from sttr.data.preprocess import normalize, valid_frames
from sttr.data.transforms import resample_frames
from sttr.predict import load_input


def _ntu(frames: int, start: int = 0, total: int = 300, seed: int = 0) -> np.ndarray:
    """A raw (3, total, 25, 2) NTU array: one moving person over frames start..start+frames-1, zeros elsewhere."""
    rng = np.random.default_rng(seed)
    x = np.zeros((3, total, 25, 2), dtype=np.float32)
    pose = rng.normal(0.0, 0.3, size=(3, 1, 25)) + np.array([0.0, 0.0, 3.0])[:, None, None]
    walk = np.cumsum(rng.normal(0.0, 0.02, size=(3, frames, 25)), axis=1)
    x[:, start : start + frames, :, 0] = pose + walk
    return x


def test_kinetics_counts_to_the_last_detection():
    x = np.zeros((3, 300, 18, 2), dtype=np.float32)
    x[:, 5:40, :, 0] = 0.3
    x[:, 60, 2, 1] = 0.1  # a second person seen once, later
    assert valid_frames(x) == 61  # leading empty frames count: a clip's frame numbers are the video's
    assert valid_frames(x, normalised=True) == 61  # the same rule: Kinetics arrays are not normalised
    assert valid_frames(np.zeros((3, 300, 18, 2))) == 0


@pytest.mark.parametrize(("frames", "start"), [(40, 0), (77, 0), (1, 0), (300, 0), (64, 10)])
def test_ntu_raw_and_normalised_agree(frames, start):
    raw = _ntu(frames, start)
    assert valid_frames(raw) == frames  # from the first to the last non-empty frame
    assert valid_frames(normalize(raw), normalised=True) == frames  # the repetition period of the padding


def test_layouts_other_than_ntu_and_kinetics_are_refused():
    with pytest.raises(ValueError, match=r"valid frames of shape \(3, 10, 7, 1\).*found 7"):
        valid_frames(np.ones((3, 10, 7, 1)))


def test_dataset_without_stored_lengths_resamples_the_valid_frames(tmp_path):
    prepared = np.stack([normalize(_ntu(n, seed=n)) for n in (40, 90)])  # (2, 3, 300, 25, 2)
    write_agcn(tmp_path / "val_data_joint.npy", tmp_path / "val_label.pkl", prepared, ["a", "b"], [0, 1])
    ds = SkeletonDataset.from_dir(tmp_path, "val", window=32, resample=True)
    assert ds.lengths is None  # no val_num_frames.npy: the layout's rule decides
    for i, n in enumerate((40, 90)):
        np.testing.assert_allclose(ds[i][0].numpy(), resample_frames(prepared[i][:, :n], 32), atol=1e-6)


def test_predict_reads_the_same_frame_counts(tmp_path):
    raw = _ntu(55)
    assert [it.frames for it in load_input(normalize(raw))] == [55]  # a prepared array
    keypoints = raw[:, :55].transpose(3, 1, 2, 0)  # (M, T, V, 3) as pyskl stores them
    assert [it.frames for it in load_input(keypoints)] == [55]
    clip = np.zeros((1, 70, 18, 3), dtype=np.float32)
    clip[0, 20:70] = np.random.default_rng(1).uniform(0.2, 0.8, size=(50, 18, 3))
    assert [it.frames for it in load_input(clip)] == [70]
