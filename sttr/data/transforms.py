"""The input pipeline shared by the training Dataset and predict: the window rule (crop, pad or resample), the
modality (joints, bones or both) and keypoints -> the (C, T, V, M) array (3D NTU keypoints, 2D OpenPose-18
keypoints, COCO-17 keypoints mapped to OpenPose-18); plus the authors' feeder augmentations (random shift,
random move), which only training uses.

Arrays are one sample (C, T, V, M) unless said otherwise; every function returns a new array.
"""

from __future__ import annotations

import numpy as np

from sttr.data.kinetics import clip_from_keypoints, clip_to_array
from sttr.data.names import MAX_FRAMES
from sttr.data.preprocess import NUM_PERSONS, bones, joints_and_bones, select_bodies
from sttr.skeleton import COCO_NECK_FROM, COCO_NUM_JOINTS, KINETICS, MODALITY_CHANNELS, OPENPOSE_FROM_COCO

MODALITIES = tuple(MODALITY_CHANNELS)


def pad_or_crop(x: np.ndarray, frames: int) -> np.ndarray:
    """First ``frames`` frames of (C, T, V, M), zero-padded at the end when shorter."""
    if x.shape[1] >= frames:
        return x[:, :frames]
    out = np.zeros((x.shape[0], frames) + x.shape[2:], dtype=x.dtype)
    out[:, : x.shape[1]] = x
    return out


def resample_frames(x: np.ndarray, frames: int) -> np.ndarray:
    """Linearly resample (C, T, V, M) to ``frames`` frames spanning the whole sequence."""
    t = x.shape[1]
    if t == 0:
        return np.zeros((x.shape[0], frames) + x.shape[2:], dtype=x.dtype)
    pos = np.linspace(0.0, t - 1, frames)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, t - 1)
    w = (pos - lo).astype(x.dtype)[None, :, None, None]  # (1, frames, 1, 1)
    return x[:, lo] * (1 - w) + x[:, hi] * w


def fit_window(x: np.ndarray, window: int, resample: bool, valid: int | None = None) -> np.ndarray:
    """The window rule of training and inference: with ``resample`` the ``valid`` frames (default: all) are
    resampled linearly to ``window`` frames; otherwise the first ``window`` frames, zero-padded when shorter."""
    if resample:
        return resample_frames(x[:, : x.shape[1] if valid is None else valid], window)
    return pad_or_crop(x, window)


def to_modality(x: np.ndarray, modality: str) -> np.ndarray:
    """The model input of ``modality`` from 3-channel joints: the joints, their bones, or both (6 channels)."""
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
    if modality == "joint":
        return x
    if modality == "bone":
        return bones(x)
    return joints_and_bones(x)  # (6, T, V, M): joints first


def keypoints_to_array(keypoints: np.ndarray, frames: int, num_persons: int = 2) -> np.ndarray:
    """3D keypoints (M, T, V, 3) as pyskl stores them -> (3, frames, V, num_persons) float32, not normalised:
    the most energetic bodies when M > num_persons (as for NTU files), cropped or zero-padded to ``frames``."""
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.shape[0] > num_persons:
        kp = select_bodies(kp, num_persons)  # (num_persons, T, V, 3)
    kp = kp[:, :frames]
    out = np.zeros((3, frames, kp.shape[2], num_persons), dtype=np.float32)
    out[:, : kp.shape[1], :, : kp.shape[0]] = kp.transpose(3, 1, 2, 0)  # (3, T, V, M)
    return out


def openpose_keypoints_to_array(
    keypoints: np.ndarray, frames: int = MAX_FRAMES, num_persons: int = NUM_PERSONS
) -> np.ndarray:
    """2D OpenPose-18 keypoints (M, T, 18, 3) -> (3, frames, 18, num_persons) float32 (x, y, score), converted as
    the authors convert a Kinetics-skeleton clip (``sttr.data.kinetics.clip_to_array``): x and y are fractions of
    the image width and height, as OpenPose and ST-GCN write them; person m of frame t is its m-th listed person."""
    x, _ = clip_to_array(clip_from_keypoints(keypoints), max_frames=frames, num_person_out=num_persons)
    return x


def coco_to_openpose(keypoints: np.ndarray) -> np.ndarray:
    """COCO-17 keypoints (M, T, 17, 3) (x, y, score) -> OpenPose-18 (M, T, 18, 3) (``sttr.skeleton``'s
    ``OPENPOSE_FROM_COCO``): 17 points one to one; the neck, which COCO lacks, is the midpoint of the two
    shoulders, scored by the lower of their scores."""
    kp = np.asarray(keypoints)
    if kp.ndim != 4 or kp.shape[2:] != (COCO_NUM_JOINTS, 3):
        raise ValueError(f"expected COCO keypoints (M, T, {COCO_NUM_JOINTS}, 3), got shape {kp.shape}")
    out = np.zeros(kp.shape[:2] + (KINETICS.num_joints, 3), dtype=np.result_type(kp.dtype, np.float32))
    mapped = [j for j, c in enumerate(OPENPOSE_FROM_COCO) if c is not None]
    out[:, :, mapped] = kp[:, :, [OPENPOSE_FROM_COCO[j] for j in mapped]]
    neck = OPENPOSE_FROM_COCO.index(None)
    left, right = kp[:, :, COCO_NECK_FROM[0]], kp[:, :, COCO_NECK_FROM[1]]  # (M, T, 3) each
    out[:, :, neck, :2] = (left[..., :2] + right[..., :2]) / 2
    out[:, :, neck, 2] = np.minimum(left[..., 2], right[..., 2])
    return out


def random_window(x: np.ndarray, window: int, rng: np.random.Generator) -> np.ndarray:
    """The authors' feeder ``random_choose``: a random ``window``-frame crop of a longer (C, T, V, M)."""
    if x.shape[1] <= window:
        return x
    start = int(rng.integers(0, x.shape[1] - window + 1))
    return x[:, start : start + window]


def random_shift(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The authors' feeder ``random_shift``: move the non-empty span to a random start in the window."""
    c, t, v, m = x.shape
    nonempty = np.flatnonzero(np.any(x != 0, axis=(0, 2, 3)))
    if nonempty.size == 0:
        return x
    begin, end = nonempty[0], nonempty[-1] + 1
    bias = int(rng.integers(0, t - (end - begin) + 1))
    out = np.zeros_like(x)
    out[:, bias : bias + end - begin] = x[:, begin:end]
    return out


def random_move(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The authors' feeder ``random_move``: random rotation, scale and shift of x and y (channels 0 and 1),
    interpolated over time; other channels (z, or OpenPose's score) are left as they are.

    The authors move x and y of their precomputed joint+bone arrays, so their bones keep the unmoved
    directions; ``SkeletonDataset`` moves the joints and computes the bones afterwards, from the moved joints.
    """
    c, t, v, m = x.shape
    angle = rng.choice([-10.0, -5.0, 0.0, 5.0, 10.0], 2) * np.pi / 180
    scale = rng.choice([0.9, 1.0, 1.1], 2)
    shift = rng.choice([-0.2, -0.1, 0.0, 0.1, 0.2], (2, 2))  # (node, xy)
    a = np.linspace(angle[0], angle[1], t)
    s = np.linspace(scale[0], scale[1], t)
    tx = np.linspace(shift[0, 0], shift[1, 0], t)
    ty = np.linspace(shift[0, 1], shift[1, 1], t)
    theta = np.array([[np.cos(a) * s, -np.sin(a) * s], [np.sin(a) * s, np.cos(a) * s]])  # (2, 2, T)
    xy = np.einsum("ijt,jtvm->itvm", theta, x[:2])  # (2, T, V, M)
    xy[0] += tx[:, None, None]
    xy[1] += ty[:, None, None]
    out = x.copy()
    out[:2] = xy
    return out
