"""Raw files that cover every class of NTU RGB+D 60/120 or Kinetics-skeleton in the dataset's own format and naming,
for rehearsing the paper's profiles without the data (CI).

NTU: one ``.skeleton`` file per action on the training side and one on the validation side of every benchmark at
once (performer, camera and setup parity chosen so: X-Sub, X-View and X-Set all split it), actions A001-A060 in
setups S001-S017 (so the NTU-60 profiles find all 60) and A061-A120 in S018-S032, every setup used. Kinetics: one
training and one validation clip per label index 0-399 in ST-GCN's clip JSON and label files.

The motion is the synthetic set's choreographies reused (``sttr.data.synthetic.actions``): a single-person action
performs one of its single-person classes, a mutual action (NTU's A050-A060, A106-A120) one of its two-person
classes, so the body count is right. These files test formats, names, splits, class counts and model sizes,
not accuracy.
"""

from __future__ import annotations

from pathlib import Path

from sttr.data.kinetics import LabelEntry, clip_folder, format_labels, label_file
from sttr.data.names import SYNTHETIC_ACTIONS, XSUB120_TRAIN_PERFORMERS, SampleName
from sttr.data.registry import dataset
from sttr.data.synthetic.actions import INTERACTIONS, perform
from sttr.data.synthetic.generation import _missing_names, write_filmed
from sttr.data.synthetic.kinetics import make_clip

NTU_MUTUAL = frozenset((*range(50, 61), *range(106, 121)))  # NTU's two-person actions
_SINGLE = tuple(a for a in SYNTHETIC_ACTIONS if a not in INTERACTIONS)
_PAIR = tuple(a for a in SYNTHETIC_ACTIONS if a in INTERACTIONS)
# Training performers of every X-Sub benchmark, and performers of none (NTU-60 and NTU-120 alike).
_TRAIN_PERFORMERS = (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
_VAL_PERFORMERS = tuple(p for p in range(3, 45) if p not in XSUB120_TRAIN_PERFORMERS)
_CAMERA = {"train": 2, "val": 1}  # X-View trains on cameras 2 and 3


def choreography(action: int) -> int:
    """The synthetic class whose motion NTU action ``action`` borrows (two bodies for a mutual action)."""
    pool = _PAIR if action in NTU_MUTUAL else _SINGLE
    return pool[(action - 1) % len(pool)]


def _setup(action: int, side: str) -> int:
    """Even setups on the training side (X-Set), odd on the validation side; A001-A060 within S001-S017."""
    low, high = (1, 17) if action <= 60 else (18, 32)
    options = [s for s in range(low, high + 1) if (s % 2 == 0) == (side == "train")]
    return options[(action - 1) % len(options)]


def ntu_names(classes: int = 120) -> list[tuple[SampleName, int]]:
    """The (name, choreography) of every file: two per action, avoiding the missing-skeleton lists."""
    missing = _missing_names()
    out = []
    for action in range(1, classes + 1):
        for side, performers in (("train", _TRAIN_PERFORMERS), ("val", _VAL_PERFORMERS)):
            start = (action - 1) % len(performers)
            for p in performers[start:] + performers[:start]:
                name = SampleName(_setup(action, side), _CAMERA[side], p, 1, action)
                if name.name not in missing:
                    out.append((name, choreography(action)))
                    break
    return out


def generate_ntu_coverage(out_dir: str | Path, classes: int = 120, seed: int = 0) -> list[Path]:
    """Write the NTU coverage files (``classes`` 60 or 120) into ``out_dir``; returns their paths."""
    if classes not in (60, 120):
        raise ValueError(f"classes: expected 60 (NTU RGB+D 60) or 120 (NTU RGB+D 120), got {classes}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, motion in ntu_names(classes):
        key = (name.performer, name.replication, motion)
        paths.append(write_filmed(out / f"{name.name}.skeleton", perform(seed, *key), seed, key, name.camera,
                                  name.setup))  # fmt: skip
    return paths


def generate_kinetics_coverage(
    out_dir: str | Path, classes: int = dataset("kinetics").classes, seed: int = 0
) -> dict[str, int]:
    """Write one training and one validation clip per label index (``classes``, default Kinetics-400's 400) with
    their label files into ``out_dir``; returns the clips per split."""
    out = Path(out_dir)
    counts = {}
    for split, performers in (("train", _TRAIN_PERFORMERS), ("val", _VAL_PERFORMERS)):
        clip_folder(out, split).mkdir(parents=True, exist_ok=True)
        entries: dict[str, LabelEntry] = {}
        for index in range(classes):
            p = performers[index % len(performers)]
            motion = _SINGLE[index % len(_SINGLE)]
            label = f"coverage class {index:03d}"
            text, entry = make_clip(seed, (p, _CAMERA[split], 1, motion), label=(label, index))
            clip = f"coverage_{split}_{index:03d}"
            (clip_folder(out, split) / f"{clip}.json").write_text(text, encoding="utf-8")
            entries[clip] = entry
        label_file(out, split).write_text(format_labels(entries), encoding="utf-8")
        counts[split] = len(entries)
    return counts
