"""One entry per dataset: its name, title, joint layout, classes, benchmarks with their split rules, the environment
variable of its raw folder, its reader, its prepare job, (synthetic sets) its generator and, for a dataset in NTU's
format, which samples it keeps, their labels and its missing-skeleton list.

Code that needs to know "which dataset" asks ``dataset(name)`` instead of testing the name; adding a dataset means
adding its entry here (and its reader). ``split_files`` is the one place that names the files of a prepared split.

NTU RGB+D 60 (Shahroudy et al., CVPR 2016) keeps actions A1-A60 in setups S001-S017; NTU RGB+D 120 (Liu et al.,
TPAMI 2019) all 120 actions in S001-S032. The synthetic mini-NTU set (``sttr.data.synthetic``) keeps the NTU actions
it imitates and splits as NTU-60. Kinetics-skeleton (Yan et al., ST-GCN, AAAI 2018: OpenPose on Kinetics-400, Kay
et al. 2017) comes as one train/val split whose class names are in its label files (``prepare-kinetics`` writes them
to ``label_names.json``); the synthetic Kinetics-skeleton-format set (``sttr.data.synthetic.kinetics``) has the
synthetic mini-NTU's classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from sttr.data import names
from sttr.data.names import SampleName, parse_name

SPLITS = ("train", "val")
NTU_READER = "sttr.data.ntu"  # .skeleton files with NTU sample names (prepare-ntu)
KINETICS_READER = "sttr.data.kinetics"  # ST-GCN's clip JSON and label files (prepare-kinetics)


def split_files(split_dir: str | Path, split: str, modality: str = "joint") -> tuple[Path, Path]:
    """The data and label files of one prepared split in the 2s-AGCN layout: ``<split>_data_<modality>.npy`` and
    ``<split>_label.pkl``."""
    split_dir = Path(split_dir)
    return split_dir / f"{split}_data_{modality}.npy", split_dir / f"{split}_label.pkl"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark of an NTU-format dataset: the rule that puts a sample in the training set, in words and as a
    test of its NTU name (the rest is the validation set)."""

    rule: str
    is_training: Callable[[SampleName], bool] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Dataset:
    """What sttr knows of one dataset.

    ``benchmarks``: empty for a one-split dataset, prepared into the profile's folder itself. ``job(entry, raw, out,
    benchmark, progress)`` writes the prepared split (``prepare``); ``generate(raw, seed, max_samples, progress)``
    writes a synthetic set's raw files. NTU-format datasets (``reader`` NTU_READER) also say which samples they
    ``keep``, the 0-based ``label`` of a sample and their ``missing_list`` (a file in ``sttr/data/resources``).
    ``label_names``: the class names by label, None where they come with the data (Kinetics-400).
    """

    name: str
    title: str  # what tables and figures call it (a synthetic set says that it is generated)
    layout: str  # the skeleton layout of its arrays (``sttr.skeleton.LAYOUTS``, the model's ``graph``)
    classes: int
    benchmarks: Mapping[str, Benchmark]
    raw_env: str | None  # the environment variable that overrides its raw folder (None: generated)
    reader: str  # the module that reads its raw files
    job: Callable[..., dict[str, Any]] = field(compare=False, repr=False)
    generate: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    label_names: tuple[str, ...] | None = None
    keep: Callable[[SampleName], bool] | None = field(default=None, compare=False, repr=False)
    label: Callable[[SampleName], int] | None = field(default=None, compare=False, repr=False)
    missing_list: str | None = None

    def __post_init__(self) -> None:
        if self.label_names is not None and len(self.label_names) != self.classes:
            raise ValueError(f"dataset {self.name!r}: {len(self.label_names)} class names for {self.classes} classes")
        if self.ntu_format and (self.keep is None or self.label is None or not self.benchmarks):
            raise ValueError(f"dataset {self.name!r}: an NTU-format dataset needs keep, label and benchmarks")

    @property
    def synthetic(self) -> bool:
        return self.generate is not None

    @property
    def ntu_format(self) -> bool:
        """Whether its raw files are NTU ``.skeleton`` files with NTU sample names (prepare-ntu)."""
        return self.reader == NTU_READER

    def split_dir(self, prepared_dir: str | Path, benchmark: str = "") -> Path:
        """Where ``prepare`` puts the arrays of ``benchmark``: ``prepared_dir/<benchmark>``, or ``prepared_dir``."""
        return Path(prepared_dir) / benchmark if self.benchmarks else Path(prepared_dir)

    def prepare(self, raw: Path, out: Path, benchmark: str, progress: bool) -> dict[str, Any]:
        """Prepare ``raw`` into ``out`` (``benchmark``: ignored by a one-split dataset); returns the report."""
        return self.job(self, raw, out, benchmark, progress)

    def class_names(self) -> list[str]:
        """Class names indexed by label; a ValueError where they come with the data (Kinetics-400)."""
        if self.label_names is None:
            raise ValueError(
                f"the class names of {self.title} come with the data: prepare-kinetics writes them (from the "
                "label files) to label_names.json beside the prepared arrays (sttr.data.formats.read_label_names)"
            )
        return list(self.label_names)

    def benchmark(self, benchmark: str) -> Benchmark:
        """The entry of ``benchmark``; a ValueError names this dataset's benchmarks."""
        if benchmark not in self.benchmarks:
            raise ValueError(
                f"unknown benchmark {benchmark!r} for dataset {self.name!r}; expected one of {sorted(self.benchmarks)}"
            )
        return self.benchmarks[benchmark]

    def in_dataset(self, sample: str | SampleName) -> bool:
        """Whether the NTU sample ``sample`` (name or fields) belongs to this dataset."""
        return self._ntu(self.keep)(_sample(sample))

    def label_of(self, sample: str | SampleName) -> int:
        """The 0-based class label of an NTU sample of this dataset; a ValueError for one it does not keep."""
        s = _sample(sample)
        if not self.in_dataset(s):
            raise ValueError(f"{s.name} (action {s.action}, setup {s.setup}) is not part of dataset {self.name!r}")
        return self._ntu(self.label)(s)

    def is_training(self, sample: str | SampleName, benchmark: str) -> bool:
        """Whether an NTU sample is in the training set of ``benchmark``."""
        return self.benchmark(benchmark).is_training(_sample(sample))

    def missing_skeletons(self) -> frozenset[str]:
        """Names of the samples with missing skeletons that its benchmarks leave out (empty: none listed)."""
        self._ntu(self.keep)
        return names.read_missing_skeletons(self.missing_list) if self.missing_list else frozenset()

    def _ntu(self, rule: Callable[[SampleName], Any] | None) -> Callable[[SampleName], Any]:
        if not self.ntu_format or rule is None:
            raise ValueError(
                f"dataset {self.name!r} has no NTU sample names (its reader is {self.reader}); "
                f"NTU-format datasets: {read_by(NTU_READER)}"
            )
        return rule


def _sample(sample: str | SampleName) -> SampleName:
    return sample if isinstance(sample, SampleName) else parse_name(sample)


def _prepare_ntu(entry: Dataset, raw: Path, out: Path, benchmark: str, progress: bool) -> dict[str, Any]:
    from sttr.data.prepare import prepare_ntu

    return prepare_ntu(raw, out, dataset=entry.name, benchmarks=[benchmark], progress=progress)


def _prepare_kinetics(entry: Dataset, raw: Path, out: Path, benchmark: str, progress: bool) -> dict[str, Any]:
    from sttr.data.prepare_kinetics import prepare_kinetics

    return prepare_kinetics(raw, out, progress=progress)


def _generate_ntu(raw: Path, seed: int, max_samples: int | None, progress: bool) -> Any:
    from sttr.data.synthetic import generate

    return generate(raw, seed=seed, max_samples=max_samples, progress=progress)


def _generate_kinetics(raw: Path, seed: int, max_samples: int | None, progress: bool) -> Any:
    from sttr.data.synthetic.kinetics import generate_kinetics

    return generate_kinetics(raw, seed=seed, max_samples=max_samples, progress=progress)


# The benchmarks' training sets (Shahroudy et al. 2016; Liu et al. 2019).
XSUB60 = Benchmark(
    "train on performers " + " ".join(map(str, sorted(names.XSUB60_TRAIN_PERFORMERS))),
    lambda s: s.performer in names.XSUB60_TRAIN_PERFORMERS,
)
XVIEW = Benchmark("train on cameras 2 and 3", lambda s: s.camera in names.XVIEW_TRAIN_CAMERAS)
XSUB120 = Benchmark(
    "train on the NTU-60 X-Sub performers plus 33 NTU-120 performers",
    lambda s: s.performer in names.XSUB120_TRAIN_PERFORMERS,
)
XSET = Benchmark("train on even setup numbers", lambda s: s.setup % 2 == 0)

_SYNTHETIC_NAMES = tuple(names.action_names(120)[a - 1] for a in names.SYNTHETIC_ACTIONS)  # the imitated actions

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "ntu60", "NTU RGB+D 60", "ntu", 60, {"xsub": XSUB60, "xview": XVIEW}, "STTR_NTU_RAW", NTU_READER,
            _prepare_ntu, label_names=tuple(names.action_names(60)),
            keep=lambda s: s.action <= 60 and s.setup <= 17, label=lambda s: s.action - 1,
            missing_list="ntu60_missing_skeletons.txt",
        ),
        Dataset(
            "ntu120", "NTU RGB+D 120", "ntu", 120, {"xsub": XSUB120, "xset": XSET}, "STTR_NTU_RAW", NTU_READER,
            _prepare_ntu, label_names=tuple(names.action_names(120)),
            keep=lambda s: s.action <= 120 and s.setup <= 32, label=lambda s: s.action - 1,
            missing_list="ntu120_missing_skeletons.txt",
        ),
        Dataset(
            "synthetic", "synthetic mini-NTU (generated, not NTU RGB+D)", "ntu", len(_SYNTHETIC_NAMES),
            {"xsub": Benchmark("as NTU-60 X-Sub", XSUB60.is_training),
             "xview": Benchmark("as NTU-60 X-View", XVIEW.is_training)},
            None, NTU_READER, _prepare_ntu, _generate_ntu, label_names=_SYNTHETIC_NAMES,
            keep=lambda s: s.action in names.SYNTHETIC_ACTIONS,
            label=lambda s: names.SYNTHETIC_ACTIONS.index(s.action),
        ),
        Dataset(
            "kinetics", "Kinetics-skeleton (OpenPose on Kinetics-400)", "kinetics", 400, {}, "STTR_KINETICS_RAW",
            KINETICS_READER, _prepare_kinetics,
        ),
        Dataset(
            "synthetic-kinetics", "synthetic Kinetics-skeleton-format set (generated, not Kinetics)", "kinetics",
            len(_SYNTHETIC_NAMES), {}, None, KINETICS_READER, _prepare_kinetics, _generate_kinetics,
            label_names=_SYNTHETIC_NAMES,
        ),
    )
}  # fmt: skip


def dataset(name: str) -> Dataset:
    """The registry entry of ``name``; a ``ValueError`` names the known datasets."""
    if name not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; expected one of {list(REGISTRY)}")
    return REGISTRY[name]


def read_by(reader: str) -> list[str]:
    """The datasets whose raw files ``reader`` reads, e.g. ``read_by(NTU_READER)``: those prepare-ntu prepares."""
    return [name for name, d in REGISTRY.items() if d.reader == reader]
