"""One entry per dataset: its name, title, joint layout, classes, benchmarks with their split rules, the environment
variable of its raw folder, its reader, its prepare job and (synthetic sets) its generator.

Code that needs to know "which dataset" asks ``dataset(name)`` instead of testing the name; ``split_files`` is
the one place that names the files of a prepared split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from sttr.data import names

SPLITS = ("train", "val")


def split_files(split_dir: str | Path, split: str, modality: str = "joint") -> tuple[Path, Path]:
    """The data and label files of one prepared split in the 2s-AGCN layout: ``<split>_data_<modality>.npy`` and
    ``<split>_label.pkl``."""
    split_dir = Path(split_dir)
    return split_dir / f"{split}_data_{modality}.npy", split_dir / f"{split}_label.pkl"


def _prepare_ntu(dataset: str) -> Callable[..., dict[str, Any]]:
    def prepare(raw: Path, out: Path, benchmark: str, progress: bool) -> dict[str, Any]:
        from sttr.data.prepare import prepare_ntu

        return prepare_ntu(raw, out, dataset=dataset, benchmarks=[benchmark], progress=progress)

    return prepare


def _prepare_kinetics(raw: Path, out: Path, benchmark: str, progress: bool) -> dict[str, Any]:
    from sttr.data.prepare_kinetics import prepare_kinetics

    return prepare_kinetics(raw, out, progress=progress)


def _generate_ntu(raw: Path, seed: int, max_samples: int | None, progress: bool) -> Any:
    from sttr.data.synthetic import generate

    return generate(raw, seed=seed, max_samples=max_samples, progress=progress)


def _generate_kinetics(raw: Path, seed: int, max_samples: int | None, progress: bool) -> Any:
    from sttr.data.synthetic.kinetics import generate_kinetics

    return generate_kinetics(raw, seed=seed, max_samples=max_samples, progress=progress)


@dataclass(frozen=True)
class Dataset:
    """What sttr knows of one dataset. ``benchmarks`` maps a benchmark to its training rule (empty: one
    train/val split, prepared into the profile's folder itself); ``prepare(raw, out, benchmark, progress)``
    writes the prepared split; ``generate(raw, seed, max_samples, progress)`` writes a synthetic set's raw files."""

    name: str
    title: str
    layout: str
    classes: int
    benchmarks: Mapping[str, str]
    raw_env: str | None
    reader: str  # the module that reads its raw files
    prepare: Callable[..., dict[str, Any]] = field(compare=False, repr=False)
    generate: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    @property
    def synthetic(self) -> bool:
        return self.generate is not None

    def split_dir(self, prepared_dir: str | Path, benchmark: str = "") -> Path:
        """Where ``prepare`` puts the arrays of ``benchmark``: ``prepared_dir/<benchmark>``, or ``prepared_dir``."""
        return Path(prepared_dir) / benchmark if self.benchmarks else Path(prepared_dir)


def _rules(dataset: str) -> dict[str, str]:
    return {b: rule for (d, b), rule in names.BENCHMARKS.items() if d == dataset}


REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("ntu60", names.DATASET_TITLES["ntu60"], "ntu", 60, _rules("ntu60"), "STTR_NTU_RAW", "sttr.data.ntu",
                _prepare_ntu("ntu60")),
        Dataset("ntu120", names.DATASET_TITLES["ntu120"], "ntu", 120, _rules("ntu120"), "STTR_NTU_RAW",
                "sttr.data.ntu", _prepare_ntu("ntu120")),
        Dataset("synthetic", names.DATASET_TITLES["synthetic"], "ntu", len(names.SYNTHETIC_ACTIONS),
                _rules("synthetic"), None, "sttr.data.ntu", _prepare_ntu("synthetic"), _generate_ntu),
        Dataset("kinetics", names.DATASET_TITLES["kinetics"], "kinetics", names.KINETICS_CLASSES, {},
                "STTR_KINETICS_RAW", "sttr.data.kinetics", _prepare_kinetics),
        Dataset("synthetic-kinetics", names.DATASET_TITLES["synthetic-kinetics"], "kinetics",
                len(names.SYNTHETIC_ACTIONS), {}, None, "sttr.data.kinetics", _prepare_kinetics, _generate_kinetics),
    )
}  # fmt: skip


def dataset(name: str) -> Dataset:
    """The registry entry of ``name``; a ``ValueError`` names the known datasets."""
    if name not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; expected one of {list(REGISTRY)}")
    return REGISTRY[name]
