"""Dataset metadata: the datasets and their skeleton layouts, NTU sample names, benchmarks (splits), action names
and missing-skeleton lists.

NTU RGB+D 60 (Shahroudy et al., CVPR 2016) has actions A1-A60 in setups S001-S017; NTU RGB+D 120 (Liu et al.,
TPAMI 2019) adds A61-A120 and S018-S032. The synthetic mini-NTU set (``sttr.data.synthetic``) uses the same
names, splits and class names for the NTU actions it imitates (``SYNTHETIC_ACTIONS``). Kinetics-skeleton
(Yan et al., ST-GCN, AAAI 2018: OpenPose on Kinetics-400, Kay et al. 2017) comes as one train/val split whose
class names are in its label files (``prepare-kinetics`` writes them to ``label_names.json``); the synthetic
Kinetics-skeleton-format set (``sttr.data.synthetic.kinetics``) has the synthetic mini-NTU's classes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

# NTU sequences have at most 300 frames (30 fps); prepared arrays hold 300, and the paper's models see T = 300.
MAX_FRAMES = 300

# Datasets prepared by prepare-ntu (raw .skeleton files, NTU sample names) and by prepare-kinetics (clip JSON).
NTU_DATASETS: tuple[str, ...] = ("ntu60", "ntu120", "synthetic")
KINETICS_DATASETS: tuple[str, ...] = ("kinetics", "synthetic-kinetics")
DATASETS: tuple[str, ...] = NTU_DATASETS + KINETICS_DATASETS

KINETICS_CLASSES = 400  # Kinetics-400; ST-GCN's Kinetics-skeleton keeps every class

# What tables and figures call each dataset (the synthetic sets say that they are generated).
DATASET_TITLES: dict[str, str] = {
    "ntu60": "NTU RGB+D 60",
    "ntu120": "NTU RGB+D 120",
    "synthetic": "synthetic mini-NTU (generated, not NTU RGB+D)",
    "kinetics": "Kinetics-skeleton (OpenPose on Kinetics-400)",
    "synthetic-kinetics": "synthetic Kinetics-skeleton-format set (generated, not Kinetics)",
}

# Dataset -> the skeleton layout of its prepared arrays (``sttr.skeleton.LAYOUTS``, the model's ``graph``).
DATASET_LAYOUTS: dict[str, str] = {
    "ntu60": "ntu", "ntu120": "ntu", "synthetic": "ntu", "kinetics": "kinetics", "synthetic-kinetics": "kinetics",
}  # fmt: skip

# Training performers of the cross-subject benchmarks (Shahroudy et al. 2016; Liu et al. 2019).
XSUB60_TRAIN_PERFORMERS = frozenset(
    (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
)
XSUB120_TRAIN_PERFORMERS = XSUB60_TRAIN_PERFORMERS | frozenset(
    (45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86,
     89, 91, 92, 93, 94, 95, 97, 98, 100, 103)
)  # fmt: skip
XVIEW_TRAIN_CAMERAS = frozenset((2, 3))

# (dataset, benchmark) -> the rule that puts a sample in the training set.
BENCHMARKS: dict[tuple[str, str], str] = {
    ("ntu60", "xsub"): "train on performers 1 2 4 5 8 9 13 14 15 16 17 18 19 25 27 28 31 34 35 38",
    ("ntu60", "xview"): "train on cameras 2 and 3",
    ("ntu120", "xsub"): "train on the NTU-60 X-Sub performers plus 33 NTU-120 performers",
    ("ntu120", "xset"): "train on even setup numbers",
    ("synthetic", "xsub"): "as NTU-60 X-Sub",
    ("synthetic", "xview"): "as NTU-60 X-View",
}


# The NTU actions the synthetic mini-NTU set imitates (its 14 classes; choreographies in sttr.data.synthetic).
SYNTHETIC_ACTIONS: tuple[int, ...] = (8, 9, 10, 14, 15, 29, 30, 34, 40, 44, 53, 54, 55, 58)


_NAME_RE = re.compile(r"^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$")


class SampleName(NamedTuple):
    """The five fields of an NTU sample name ``SsssCcccPpppRrrrAaaa`` (all 1-based)."""

    setup: int
    camera: int
    performer: int
    replication: int
    action: int

    @property
    def name(self) -> str:
        """The canonical name, e.g. ``S001C002P003R002A013``."""
        return "S%03dC%03dP%03dR%03dA%03d" % self


def parse_name(name: str | Path) -> SampleName:
    """Split ``S001C002P003R002A013[.skeleton]`` (or a path to it) into its fields; ValueError otherwise."""
    base = Path(str(name)).name
    stem = base[: -len(".skeleton")] if base.endswith(".skeleton") else base
    match = _NAME_RE.match(stem)
    if match is None:
        raise ValueError(
            f"{base!r} is not an NTU sample name: expected SsssCcccPpppRrrrAaaa, e.g. S001C002P003R002A013"
        )
    sample = SampleName(*map(int, match.groups()))
    if not 1 <= sample.camera <= 3 or not 1 <= sample.replication <= 2 or min(sample) < 1:
        raise ValueError(
            f"{base!r} is not an NTU sample name: expected camera 1-3, replication 1-2, "
            "setup/performer/action >= 1"
        )
    return sample


def _check_dataset(dataset: str, known: tuple[str, ...] = DATASETS) -> None:
    if dataset not in known:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {known}")


def dataset_layout(dataset: str) -> str:
    """The skeleton layout of a dataset's arrays: "ntu" (25 Kinect v2 joints) or "kinetics" (18 OpenPose joints)."""
    _check_dataset(dataset)
    return DATASET_LAYOUTS[dataset]


def in_dataset(name: str | SampleName, dataset: str) -> bool:
    """Whether a sample belongs to ``dataset``: NTU-60 keeps A1-A60 and S001-S017 only."""
    _check_dataset(dataset, NTU_DATASETS)
    s = name if isinstance(name, SampleName) else parse_name(name)
    if dataset == "ntu60":
        return s.action <= 60 and s.setup <= 17
    if dataset == "ntu120":
        return s.action <= 120 and s.setup <= 32
    return s.action in SYNTHETIC_ACTIONS


def label_of(name: str | SampleName, dataset: str) -> int:
    """0-based class label: action - 1 for NTU, the action's index in ``SYNTHETIC_ACTIONS`` for synthetic."""
    s = name if isinstance(name, SampleName) else parse_name(name)
    if not in_dataset(s, dataset):
        raise ValueError(f"{s.name} (action {s.action}, setup {s.setup}) is not part of dataset {dataset!r}")
    if dataset == "synthetic":
        return SYNTHETIC_ACTIONS.index(s.action)
    return s.action - 1


def is_training(name: str | SampleName, dataset: str, benchmark: str) -> bool:
    """Whether a sample is in the training set of ``benchmark`` (Shahroudy et al. 2016; Liu et al. 2019)."""
    if (dataset, benchmark) not in BENCHMARKS:
        known = sorted(b for d, b in BENCHMARKS if d == dataset)
        raise ValueError(f"unknown benchmark {benchmark!r} for dataset {dataset!r}; expected one of {known}")
    s = name if isinstance(name, SampleName) else parse_name(name)
    if benchmark == "xview":
        return s.camera in XVIEW_TRAIN_CAMERAS
    if benchmark == "xset":
        return s.setup % 2 == 0
    if dataset == "ntu120":
        return s.performer in XSUB120_TRAIN_PERFORMERS
    return s.performer in XSUB60_TRAIN_PERFORMERS


@lru_cache(maxsize=None)
def _ntu120_names() -> tuple[str, ...]:
    text = resources.files("sttr.data").joinpath("resources/ntu120_actions.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    names = {int(number): label.strip() for number, label in rows}
    if sorted(names) != list(range(1, 121)):
        raise ValueError("ntu120_actions.tsv: expected actions 1-120")
    return tuple(names[i] for i in range(1, 121))


def action_names(num_classes: int = 60) -> list[str]:
    """NTU action names, index = action - 1, for NTU-60 (60) or NTU-120 (120)."""
    if num_classes not in (60, 120):
        raise ValueError(f"num_classes must be 60 or 120, got {num_classes}")
    return list(_ntu120_names()[:num_classes])


def default_class_names(num_classes: int) -> list[str]:
    """NTU-60 or NTU-120 action names for 60 or 120 classes, else ``class i`` (a model that carries no names)."""
    if num_classes in (60, 120):
        return action_names(num_classes)
    return [f"class {i}" for i in range(num_classes)]


def class_names(dataset: str) -> list[str]:
    """Class names indexed by label: NTU-60/120 names, or the names of the imitated NTU actions (both synthetic
    sets). Kinetics-400's names come with the data, not with sttr: read them from ``label_names.json``."""
    _check_dataset(dataset)
    if dataset == "kinetics":
        raise ValueError(
            "the Kinetics-400 class names come with the data: prepare-kinetics writes them (from the label files) "
            "to label_names.json beside the prepared arrays (sttr.data.formats.read_label_names)"
        )
    if dataset in ("synthetic", "synthetic-kinetics"):
        return [_ntu120_names()[a - 1] for a in SYNTHETIC_ACTIONS]
    return action_names(60 if dataset == "ntu60" else 120)


def num_classes(dataset: str) -> int:
    """Number of classes of a dataset (Kinetics-skeleton: the 400 of Kinetics-400)."""
    _check_dataset(dataset)
    return KINETICS_CLASSES if dataset == "kinetics" else len(class_names(dataset))


@lru_cache(maxsize=None)
def missing_skeletons(dataset: str) -> frozenset[str]:
    """Names of the samples with missing skeletons that the benchmarks leave out (empty for synthetic)."""
    _check_dataset(dataset, NTU_DATASETS)
    if dataset == "synthetic":
        return frozenset()
    text = resources.files("sttr.data").joinpath(f"resources/{dataset}_missing_skeletons.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
