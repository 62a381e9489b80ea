"""NTU RGB+D naming facts that no dataset chooses: sample names, the benchmarks' performer and camera sets, the
action names, the missing-skeleton list files and the NTU actions the synthetic sets imitate (which dataset keeps
what, and its splits: ``sttr.data.registry``).

NTU RGB+D 60 (Shahroudy et al., CVPR 2016) has actions A1-A60 in setups S001-S017; NTU RGB+D 120 (Liu et al.,
TPAMI 2019) adds A61-A120 and S018-S032. The synthetic mini-NTU set (``sttr.data.synthetic``) uses the same
names and class names for the NTU actions it imitates (``SYNTHETIC_ACTIONS``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

# NTU sequences have at most 300 frames (30 fps); prepared arrays hold 300, and the paper's models see T = 300.
MAX_FRAMES = 300

# Training performers of the cross-subject benchmarks (Shahroudy et al. 2016; Liu et al. 2019).
XSUB60_TRAIN_PERFORMERS = frozenset(
    (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
)
XSUB120_TRAIN_PERFORMERS = XSUB60_TRAIN_PERFORMERS | frozenset(
    (45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86,
     89, 91, 92, 93, 94, 95, 97, 98, 100, 103)
)  # fmt: skip
XVIEW_TRAIN_CAMERAS = frozenset((2, 3))  # X-View trains on cameras 2 and 3

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


@lru_cache(maxsize=None)
def read_missing_skeletons(resource: str) -> frozenset[str]:
    """The sample names listed one a line in ``sttr/data/resources/<resource>`` (a missing-skeleton list)."""
    text = resources.files("sttr.data").joinpath(f"resources/{resource}").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
