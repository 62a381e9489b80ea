"""A synthetic Kinetics-skeleton-format set: the synthetic mini-NTU motions as 2D OpenPose detections.

Generated, not Kinetics: no clip comes from a video and the classes are the 14 NTU actions that the
synthetic mini-NTU imitates, not Kinetics-400's. It exists so that the Kinetics-skeleton path (reader,
``prepare-kinetics``, 18-joint models) runs and is tested without the real release. The files follow ST-GCN's
format (Yan et al., AAAI 2018): one JSON per clip in ``kinetics_train/`` and ``kinetics_val/`` and the two
label files; clip ids start with ``synthetic_`` and carry the NTU-style name of the performance.

Each performance of :func:`sttr.data.synthetic.perform` is mapped to the 18 OpenPose joints in 3D (the
14 limb joints from their Kinect joints, the neck between the Kinect neck and spine shoulder, nose, eyes
and ears from a fixed face geometry turned with the head), filmed by the same virtual Kinect colour camera
and sensor noise as the ``.skeleton`` files (:func:`sttr.data.synthetic.film`), and divided by the 1920x1080
frame size, as ST-GCN divides OpenPose pixels by the video's width and height. Scores: a per-person
quality times a per-joint base, lowered on the side turned away from the camera, for the face when the
person looks away, and for joints the sensor model marks as inferred, plus noise. Dropouts (score 0 and
coordinates 0, as OpenPose writes missing joints): low scores, joints out of the frame, short random
gaps, lost frames. Spurious people: the sensor model's stray body, ghost detections (a few joints, low
scores) in 25 % of clips, and in 4 % a crowd of 4-6 ghosts (more than 5 people listed in some frames).
People are listed in a random order in every frame; 5 % of clips miss a few frame entries; 2 % are
marked ``has_skeleton: false`` with no frames. Split by performer as NTU X-Sub; deterministic from the seed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from sttr.data.kinetics import NUM_JOINTS, LabelEntry, clip_folder, format_clip, format_labels, label_file
from sttr.data.names import SYNTHETIC_ACTIONS, XSUB60_TRAIN_PERFORMERS
from sttr.data.registry import dataset
from sttr.data.synthetic.actions import INTERACTIONS, perform
from sttr.data.synthetic.camera import film
from sttr.data.synthetic.generation import setup_of, write_performances
from sttr.skeleton import ARM_JOINTS, HEAD, LEG_JOINTS, NECK, SPINE

logger = logging.getLogger(__name__)

PREFIX = "synthetic_"
FRAME_SIZE = (1920.0, 1080.0)  # width, height of the virtual Kinect colour camera (pixels)
DECIMALS = 3  # as ST-GCN's release
CAMERAS = (1, 2, 3)
REPLICATIONS = (1, 2)

# The Kinect slot that carries each OpenPose joint through the camera model: limb joints in their own
# slots, nose in the head's, neck in the spine shoulder's; eyes and ears in the thumb and hand-tip slots of
# their side, so that the sensor model's far-side inferred joints lower them on the far side too.
_CARRIER = (HEAD, SPINE, ARM_JOINTS["R"][0], ARM_JOINTS["R"][1], ARM_JOINTS["R"][2], ARM_JOINTS["L"][0],
            ARM_JOINTS["L"][1], ARM_JOINTS["L"][2], LEG_JOINTS["R"][0], LEG_JOINTS["R"][1], LEG_JOINTS["R"][2],
            LEG_JOINTS["L"][0], LEG_JOINTS["L"][1], LEG_JOINTS["L"][2], ARM_JOINTS["R"][5], ARM_JOINTS["L"][5],
            ARM_JOINTS["R"][4], ARM_JOINTS["L"][4])  # fmt: skip
# Face points from the Kinect head joint, in the head frame (forward, up, own left), metres, for a 15 cm
# neck-to-head distance: nose, right eye, left eye, right ear, left ear (OpenPose joints 0, 14, 15, 16, 17).
_FACE_JOINTS = (0, 14, 15, 16, 17)
_FACE = np.array([[0.10, -0.03, 0.0], [0.075, 0.01, -0.032], [0.075, 0.01, 0.032],
                  [-0.005, 0.0, -0.075], [-0.005, 0.0, 0.075]])  # fmt: skip
# Base score per OpenPose joint: trunk highest, extremities and ears lower.
_BASE_SCORE = np.array([0.85, 0.9, 0.85, 0.8, 0.7, 0.85, 0.8, 0.7, 0.8, 0.75, 0.7, 0.8, 0.75, 0.7,
                        0.8, 0.8, 0.65, 0.65])  # fmt: skip
_SIDE = np.array([0, 0, -1, -1, -1, 1, 1, 1, -1, -1, -1, 1, 1, 1, -1, 1, -1, 1])  # own left +1, right -1
_FACE_FRONT = np.array([0, 14, 15])  # nose and eyes: hidden when the face turns away
_EARS = np.array([16, 17])
_MIN_SCORE = 0.1  # below this OpenPose reports nothing
_MIN_JOINTS = 2  # fewer detected joints: the person is not listed in that frame


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def openpose_joints(body: np.ndarray) -> np.ndarray:
    """The 18 OpenPose joints of a Kinect body (T, 25, 3) -> (T, 18, 3), same frame and units."""
    out = np.zeros((body.shape[0], NUM_JOINTS, 3))
    limbs = [j for j in range(NUM_JOINTS) if j not in _FACE_JOINTS and j != 1]
    out[:, limbs] = body[:, [_CARRIER[j] for j in limbs]]
    out[:, 1] = 0.8 * body[:, SPINE] + 0.2 * body[:, NECK]  # OpenPose neck: between the shoulders
    head, neck = body[:, HEAD], body[:, NECK]
    up = _unit(head - neck)  # (T, 3)
    left = body[:, ARM_JOINTS["L"][0]] - body[:, ARM_JOINTS["R"][0]]
    left = _unit(left - np.sum(left * up, -1, keepdims=True) * up)
    forward = np.cross(left, up)  # own left x up = forward (right-handed, y up)
    size = np.clip(np.linalg.norm(head - neck, axis=-1, keepdims=True) / 0.15, 0.8, 1.2)  # (T, 1)
    for j, (f, u, l) in zip(_FACE_JOINTS, _FACE):
        out[:, j] = head + size * (f * forward + u * up + l * left)
    return out


def _carrier(body: np.ndarray) -> np.ndarray:
    """A (T, 25, 3) body whose slots ``_CARRIER`` hold its OpenPose joints (the other slots keep Kinect's)."""
    out = body.copy()
    out[:, list(_CARRIER)] = openpose_joints(body)
    return out


def _image_xy(color: np.ndarray) -> np.ndarray:
    """Kinect colour pixels (..., 2) -> x, y as fractions of width and height of a plain (unmirrored) image.

    Kinect's colour frames are mirrored (x grows to the sensor's left); x is flipped back, so that a person
    facing the camera has the left shoulder on the right, as in a video, and OpenPose's left/right hold.
    """
    return np.stack([1.0 - color[..., 0] / FRAME_SIZE[0], color[..., 1] / FRAME_SIZE[1]], axis=-1)


def _view(cam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, how much the face (forward) and the own left side turn to the camera: cosines, (T,) each."""
    op = cam[:, list(_CARRIER)]  # (T, 18, 3) camera space
    left = op[:, 5] - op[:, 2] + op[:, 11] - op[:, 8]  # shoulders and hips
    up = op[:, 1] - 0.5 * (op[:, 8] + op[:, 11])
    forward = _unit(np.cross(left, up))
    to_camera = _unit(-op[:, 1])  # the camera sits at the origin
    return np.sum(forward * to_camera, -1), np.sum(_unit(left) * to_camera, -1)


def _detect(fields: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """OpenPose's output for one filmed carrier body (T, 25, 12): (T, 18, 3) x, y in [0, 1], score; 0 0 0 if missed."""
    T = fields.shape[0]
    cam, state = fields[..., 0:3], fields[..., 11]
    xy = _image_xy(fields[:, list(_CARRIER), 5:7])  # (T, 18, 2)
    facing, side = _view(cam)  # (T,), (T,)
    score = np.broadcast_to(_BASE_SCORE * rng.uniform(0.75, 1.1), (T, NUM_JOINTS)).copy()
    score *= 1.0 - 0.45 * _smoothstep((-_SIDE * side[:, None] - 0.3) / 0.5)  # far side turned away
    score[:, _FACE_FRONT] *= _smoothstep((facing[:, None] + 0.3) / 0.5)
    score[:, _EARS] *= _smoothstep((_SIDE[_EARS] * side[:, None] + 0.9) / 0.6)  # the far ear
    score[state[:, list(_CARRIER)] == 1.0] *= 0.5  # joints the sensor model infers
    score = np.clip(score + rng.normal(0.0, 0.04, score.shape), 0.0, 0.99)
    for _ in range(int(rng.integers(0, 4))):  # short gaps of single joints
        j, a = int(rng.integers(NUM_JOINTS)), int(rng.integers(T))
        score[a : a + int(rng.integers(2, 16)), j] = 0.0
    inside = ((xy >= 0.0) & (xy <= 1.0)).all(-1)
    missing = (score < _MIN_SCORE) | ~inside
    out = np.concatenate([xy, score[..., None]], axis=-1)
    out[missing] = 0.0
    return out


def _ghost(rng: np.random.Generator, T: int, start: int | None = None, span: int | None = None) -> np.ndarray:
    """A spurious detection: 2-6 joints in a small cluster at a random place, low scores, over some frames."""
    out = np.zeros((T, NUM_JOINTS, 3))
    joints = rng.choice(NUM_JOINTS, int(rng.integers(2, 7)), replace=False)
    start = int(rng.integers(0, T)) if start is None else start
    span = int(rng.integers(1, 31)) if span is None else span
    frames = np.arange(start, min(T, start + span))
    centre = rng.uniform(0.05, 0.95, 2)
    shape = centre + rng.normal(0, 0.03, (len(joints), 2))  # (J, 2)
    drift = np.cumsum(rng.normal(0, 0.004, (len(frames), 1, 2)), axis=0)
    out[np.ix_(frames, joints, [0, 1])] = np.clip(shape[None] + drift, 0.001, 0.999)
    out[np.ix_(frames, joints, [2])] = rng.uniform(0.1, 0.3, (len(frames), len(joints), 1))
    return out


def _stray_body(fields: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sensor model's spurious body (NaN where absent) as a detection of a few of its joints, low scores."""
    out = np.zeros((fields.shape[0], NUM_JOINTS, 3))
    present = ~np.isnan(fields[:, 0, 0])
    joints = rng.choice(NUM_JOINTS, int(rng.integers(3, 7)), replace=False)
    xy = _image_xy(fields[present][:, [_CARRIER[j] for j in joints], 5:7])  # (P, J, 2)
    inside = ((xy >= 0.0) & (xy <= 1.0)).all(-1)
    score = np.where(inside, rng.uniform(0.1, 0.3, inside.shape), 0.0)
    out[np.ix_(np.flatnonzero(present), joints)] = np.concatenate([np.where(inside[..., None], xy, 0.0),
                                                                    score[..., None]], -1)  # fmt: skip
    return out


def _people(
    bodies: list[np.ndarray], key: tuple[int, int, int, int], seed: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Everyone OpenPose reports in one clip: per person (T, 18, 3), and the (T,) lost-frame mask."""
    p, c, r, a = key
    carriers = [_carrier(b) for b in bodies]
    _, fields, lost = film(carriers, seed, (p, r, a), c, r, setup_of(p, r, a), a in INTERACTIONS)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 101, p, r, a, c]))
    stray = [f for f in fields if np.isnan(f[:, 0, 0]).any()]
    people = [_detect(f, rng) for f in fields if not np.isnan(f[:, 0, 0]).any()]
    people += [_stray_body(f, rng) for f in stray]
    T = len(lost)
    if rng.random() < 0.25:
        people += [_ghost(rng, T) for _ in range(int(rng.integers(1, 4)))]
    if rng.random() < 0.04:
        start, span = int(rng.integers(0, T)), int(rng.integers(5, 40))
        people += [_ghost(rng, T, start, span) for _ in range(int(rng.integers(4, 7)))]
    return people, lost


def _frames(people: list[np.ndarray], lost: np.ndarray, rng: np.random.Generator) -> list[tuple[int, list]]:
    """The clip's frames: per frame its index and the people listed (pose (18, 2), score (18,)), in random order."""
    T = len(lost)
    detected = np.stack([(p[..., 2] > 0).sum(-1) >= _MIN_JOINTS for p in people], axis=1)  # (T, P)
    listed = detected & ~lost[:, None]
    keep = np.ones(T, dtype=bool)
    if rng.random() < 0.05:
        keep[rng.choice(T, int(rng.integers(1, 5)), replace=False)] = False  # frame entries missing
    frames = []
    for t in np.flatnonzero(keep).tolist():
        order = rng.permutation(np.flatnonzero(listed[t])).tolist()
        frames.append((t, [(people[k][t, :, :2], people[k][t, :, 2]) for k in order]))
    return frames


def clip_name(performer: int, camera: int, replication: int, action: int) -> str:
    """Clip id: the prefix and the NTU-style name ``SsssCcccPpppRrrrAaaa`` of the performance and camera."""
    setup = setup_of(performer, replication, action)
    return f"{PREFIX}S{setup:03d}C{camera:03d}P{performer:03d}R{replication:03d}A{action:03d}"


def make_clip(
    seed: int,
    key: tuple[int, int, int, int],
    bodies: list[np.ndarray] | None = None,
    label: tuple[str, int] | None = None,
) -> tuple[str, LabelEntry]:
    """The JSON text and label entry of one clip ``key`` = (performer, camera, replication, action).

    ``bodies``: the performance (``perform``) when already computed for another camera. ``label``: the clip's
    (name, index) instead of its action's; such a clip always has people (``coverage``).
    """
    p, c, r, a = key
    if label is None:
        index = SYNTHETIC_ACTIONS.index(a)
        name = dataset("synthetic-kinetics").class_names()[index]
    else:
        name, index = label
    rng = np.random.default_rng(np.random.SeedSequence([seed, 102, p, r, a, c]))
    if rng.random() < 0.02 and label is None:  # a clip in which the detector found no one
        return format_clip([], name, index), LabelEntry(False, name, index)
    people, lost = _people(perform(seed, p, r, a) if bodies is None else bodies, key, seed)
    frames = _frames(people, lost, rng)
    return format_clip(frames, name, index, DECIMALS), LabelEntry(any(f[1] for f in frames), name, index)


def split_of(performer: int) -> str:
    """``train`` or ``val``: performers split as NTU-60 X-Sub."""
    return "train" if performer in XSUB60_TRAIN_PERFORMERS else "val"


def _performer_order(performers: int) -> list[int]:
    """Performers 1..n with training and validation performers alternating, so any prefix holds both splits."""
    train = [p for p in range(1, performers + 1) if split_of(p) == "train"]
    val = [p for p in range(1, performers + 1) if split_of(p) == "val"]
    order = [p for pair in zip(train, val) for p in pair]
    return order + train[len(val) :] + val[len(train) :]


def ordered_keys(performers: int) -> list[tuple[int, int, int, int]]:
    """All (performer, camera, replication, action) clips, ordered so that prefixes balance classes and splits."""
    keys = []
    for j in range(len(CAMERAS) * len(REPLICATIONS)):
        for i, p in enumerate(_performer_order(performers)):
            camera, replication = CAMERAS[(i + j) % len(CAMERAS)], REPLICATIONS[j // len(CAMERAS)]
            keys += [(p, camera, replication, a) for a in SYNTHETIC_ACTIONS]
    return keys


def _write_group(job: tuple[Path, int, tuple[int, int, int], list[int]]) -> list[tuple[str, str, LabelEntry]]:
    """Perform once, film from each requested camera, write the clip files: (split, clip id, entry) each."""
    out, seed, (p, r, a), cameras = job
    bodies = perform(seed, p, r, a)
    written = []
    for c in cameras:
        name = clip_name(p, c, r, a)
        text, entry = make_clip(seed, (p, c, r, a), bodies)
        split = split_of(p)
        (clip_folder(out, split) / f"{name}.json").write_text(text, encoding="utf-8")
        written.append((split, name, entry))
    return written


_README = """Synthetic Kinetics-skeleton-format set generated by sttr (python -m sttr synth-kinetics), seed {seed}.
Not Kinetics: no clip comes from a video; the {classes} classes are NTU RGB+D actions imitated by a
kinematic body model, filmed by a virtual camera and written as 2D OpenPose-style detections in the
JSON layout of ST-GCN's Kinetics-skeleton release. {train} training and {val} validation clips.
"""


def generate_kinetics(
    out_dir: str | Path,
    seed: int = 0,
    max_samples: int | None = None,
    performers: int = 40,
    progress: bool = True,
    workers: int = 1,
) -> dict[str, list[str]]:
    """Write the synthetic Kinetics-skeleton-format set into ``out_dir``; same seed, same bytes.

    Default size: performers x 3 cameras x 2 replications x 14 classes; ``max_samples`` keeps a prefix of
    ``ordered_keys``; ``workers`` > 1 uses a process pool (the files do not depend on it). Earlier
    ``synthetic_*.json`` clips that are not part of this set are removed. Returns clip ids per split.
    """
    if performers < 2:
        raise ValueError(f"performers: expected >= 2 (one per split at least), got {performers}")
    if max_samples is not None and max_samples < 1:
        raise ValueError(f"max_samples: expected >= 1 or None, got {max_samples}")
    out = Path(out_dir)
    for split in ("train", "val"):
        clip_folder(out, split).mkdir(parents=True, exist_ok=True)
    keys = ordered_keys(performers)[: max_samples or None]
    entries: dict[str, dict[str, LabelEntry]] = {"train": {}, "val": {}}
    for split, name, entry in write_performances(_write_group, out, seed, keys, workers, progress, "synth-kinetics",
                                                 "clip"):  # fmt: skip
        entries[split][name] = entry
    for split, by_name in entries.items():
        for stale in clip_folder(out, split).glob(f"{PREFIX}*.json"):
            if stale.name[: -len(".json")] not in by_name:
                logger.info("removing %s: not part of this synthetic set", stale)
                stale.unlink()
        label_file(out, split).write_text(format_labels(by_name), encoding="utf-8")
    counts = {split: len(by_name) for split, by_name in entries.items()}
    readme = _README.format(seed=seed, classes=len(SYNTHETIC_ACTIONS), **counts)
    (out / "README.txt").write_text(readme, encoding="utf-8")
    logger.info("wrote %d synthetic Kinetics-skeleton-format clips to %s", len(keys), out)
    return {split: sorted(by_name) for split, by_name in entries.items()}

