"""Experiment configuration: frozen dataclasses that map one to one onto the YAML files in ``configs/``.

The paper's recipe and the model presets are the dataclasses' defaults (``TrainConfig``, ``ModelConfig.paper``).
``configs/<profile>/profile.yaml`` holds what a profile changes once: its dataset and benchmark, its folders and,
under ``experiment``, the settings its streams share. Beside it, one short file per
experiment (``spatial.yaml``, ``temporal_bones.yaml``, ...) holds only what differs from the profile: the stream,
bones. Loaded, a stream file becomes a full config with sections ``data``, ``model`` (a preset plus
``ModelConfig`` overrides) and ``train``, and the keys ``name`` and ``out_dir``; every run saves that effective
config with its checkpoints, and ``python -m sttr train --config FILE --print-config`` shows it. A YAML outside
a profile folder is read as it is (it must then give every section itself).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import yaml

from sttr.data.formats import LABEL_NAMES, read_label_names, read_labels
from sttr.data.registry import REGISTRY, dataset, split_files
from sttr.models import ModelConfig
from sttr.models.config import STREAMS
from sttr import paper
from sttr.repo import repo_root
from sttr.skeleton import MODALITY_CHANNELS, layout_of_joints

AMP_MODES = (None, "bf16", "fp16")
SCHEDULES = ("step", "cosine")
# Where data.window applies: "all" = training, validation, evaluation and prediction (the paper's NTU recipe);
# "train" = training only, the others see the full stored length (the authors' Kinetics feeder).
WINDOW_SCOPES = ("all", "train")
PRESETS = ("paper", "small", "kinetics")  # the ModelConfig presets a model section may name
# Environment variables that override the raw folder of the NTU and the Kinetics-skeleton profiles.
RAW_ENV: dict[str, str] = {name: d.raw_env for name, d in REGISTRY.items() if d.raw_env}
NTU_RAW_ENV = RAW_ENV["ntu60"]
KINETICS_RAW_ENV = RAW_ENV["kinetics"]


class ConfigError(ValueError):
    """A configuration that is malformed or does not fit its data; the message names the file and field."""


def _root_of(start: str | Path | None = None) -> Path:
    """The repository root at or above ``start``, else the one holding this package (configs outside the repo)."""
    try:
        return repo_root(start)
    except FileNotFoundError:
        return repo_root(Path(__file__))


def _resolve(path: str | Path, root: Path) -> str:
    p = Path(os.path.expanduser(str(path)))
    return str(p if p.is_absolute() else (root / p))


@dataclass(frozen=True)
class DataConfig:
    """Where the prepared split lives and how samples are read (see ``SkeletonDataset.from_dir``).

    ``window`` frames per sample (None: all stored frames), resampled from the valid frames with
    ``resample``, else cropped (a random crop with ``random_choose``). ``window_scope`` says where the window
    applies: "all" (training, validation, ``evaluate`` and ``predict``: the paper's NTU recipe) or "train"
    (training only; validation, ``evaluate`` and ``predict`` see the full stored length, as the authors'
    Kinetics feeder tests on all 300 frames). The augmentations apply to training only.
    """

    dir: str
    modality: str = "joint"
    window: int | None = None
    resample: bool = False
    window_scope: str = "all"
    random_shift: bool = False
    random_move: bool = False
    random_choose: bool = False
    num_workers: int = 0

    def __post_init__(self) -> None:
        if self.modality not in MODALITY_CHANNELS:
            raise ConfigError(f"data.modality: expected one of {sorted(MODALITY_CHANNELS)}, got {self.modality!r}")
        if self.window is not None and (not isinstance(self.window, int) or self.window < 1):
            raise ConfigError(f"data.window: expected a positive integer or null, got {self.window!r}")
        if self.resample and self.window is None:
            raise ConfigError("data.resample: true needs data.window (the number of frames to resample to)")
        if self.window_scope not in WINDOW_SCOPES:
            raise ConfigError(f"data.window_scope: expected one of {list(WINDOW_SCOPES)}, got {self.window_scope!r}")
        if self.window_scope == "train" and self.window is None:
            raise ConfigError("data.window_scope: 'train' needs data.window (the training window, in frames)")
        if not isinstance(self.num_workers, int) or self.num_workers < 0:
            raise ConfigError(f"data.num_workers: expected an integer >= 0, got {self.num_workers!r}")

    @property
    def channels(self) -> int:
        """Input channels the modality produces (3 for joints or bones, 6 for both)."""
        return MODALITY_CHANNELS[self.modality]

    @property
    def eval_window(self) -> int | None:
        """The window of validation, ``evaluate`` and ``predict``: ``window``, or None (full length) when
        ``window_scope`` is "train"; a checkpoint stores it as its input rule."""
        return self.window if self.window_scope == "all" else None

    @property
    def eval_resample(self) -> bool:
        """Whether validation, ``evaluate`` and ``predict`` resample to ``eval_window`` (stored with it)."""
        return self.resample and self.eval_window is not None


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation recipe; the defaults are the paper's (SGD Nesterov, lr 0.1 x0.1 at 60 and 90, 120 epochs).

    ``batch_size`` is per process and per forward pass: the effective batch is
    ``batch_size * grad_accum * world_size``. The learning rate is set once per epoch: ``schedule`` "step"
    multiplies it by ``gamma`` at each of ``milestones`` (the paper), "cosine" decays it to zero over the
    epochs after ``warmup_epochs`` (a linear ramp from ``lr / (warmup_epochs + 1)``). ``threads`` fixes
    torch's CPU threads for the run (None: torch's default); CPU results depend on it. ``loss_every``: steps
    between the training loss's copies to the CPU (divergence check, progress); the training math is the same.
    """

    epochs: int = 120
    batch_size: int = 32
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 1e-4
    schedule: str = "step"
    milestones: tuple[int, ...] = (60, 90)
    gamma: float = 0.1
    warmup_epochs: int = 0
    grad_accum: int = 1
    amp: str | None = None
    compile: bool = False
    sync_bn: bool = False
    seed: int = 1
    device: str = "auto"
    eval_every: int = 1
    max_batches: int | None = None
    threads: int | None = None
    loss_every: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "milestones", tuple(self.milestones))
        for name in ("epochs", "batch_size", "grad_accum", "eval_every", "loss_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"train.{name}: expected a positive integer, got {value!r}")
        if self.max_batches is not None and (not isinstance(self.max_batches, int) or self.max_batches < 1):
            raise ConfigError(f"train.max_batches: expected a positive integer or null, got {self.max_batches!r}")
        if list(self.milestones) != sorted(set(self.milestones)):
            raise ConfigError(f"train.milestones: expected strictly increasing epochs, got {list(self.milestones)}")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"train.schedule: expected one of {list(SCHEDULES)}, got {self.schedule!r}")
        if not isinstance(self.warmup_epochs, int) or not 0 <= self.warmup_epochs < self.epochs:
            raise ConfigError(f"train.warmup_epochs: expected an integer in [0, epochs), got {self.warmup_epochs!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ConfigError(f"train.threads: expected a positive integer or null, got {self.threads!r}")
        if self.amp not in AMP_MODES:
            raise ConfigError(f"train.amp: expected null, 'bf16' or 'fp16', got {self.amp!r}")
        if not (self.device == "auto" or self.device == "cpu" or self.device.startswith("cuda")):
            raise ConfigError(f"train.device: expected 'auto', 'cpu' or 'cuda[:i]', got {self.device!r}")
        if self.lr <= 0 or self.gamma <= 0 or self.weight_decay < 0 or self.momentum < 0:
            raise ConfigError("train: expected lr > 0, gamma > 0, weight_decay >= 0, momentum >= 0")


def model_config_from_section(section: Mapping[str, Any], where: str = "model") -> ModelConfig:
    """Build a ``ModelConfig`` from a YAML ``model`` section: ``preset`` ("paper", "small" or "kinetics", the
    authors' Kinetics-skeleton configuration) with ``bones``, plus field overrides.

    Without ``preset`` the section is a full ``ModelConfig.to_dict()`` (as stored in checkpoints).
    """
    section = dict(section)
    if "preset" not in section:
        return ModelConfig.from_dict(section)
    preset = section.pop("preset")
    if preset not in PRESETS:
        raise ConfigError(f"{where}.preset: expected one of {list(PRESETS)}, got {preset!r}")
    stream = section.pop("stream", None)
    if stream not in STREAMS:
        raise ConfigError(f"{where}.stream: expected one of {list(STREAMS)}, got {stream!r}")
    bones = bool(section.pop("bones", False))
    num_classes = int(section.pop("num_classes", 60))
    names = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = sorted(set(section) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; expected preset, bones or ModelConfig fields {sorted(names)}")
    section = {k: tuple(v) if isinstance(v, list) else v for k, v in section.items()}
    try:
        # Through the preset, so that derived fields (attention_from = widths[1]) follow overridden widths.
        return getattr(ModelConfig, preset)(stream, bones=bones, num_classes=num_classes, **section)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {err}") from err


@dataclass(frozen=True)
class ExperimentConfig:
    """One training run: data, model, recipe, and where its outputs go (``out_dir``)."""

    data: DataConfig
    model: ModelConfig
    train: TrainConfig = field(default_factory=TrainConfig)
    out_dir: str = "runs/experiment"
    name: str = "experiment"
    source: str = field(default="<dict>", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (YAML- and checkpoint-safe) from which ``from_dict`` rebuilds this config."""
        train = dataclasses.asdict(self.train)
        train["milestones"] = list(self.train.milestones)
        return {
            "name": self.name,
            "out_dir": self.out_dir,
            "data": dataclasses.asdict(self.data),
            "model": self.model.to_dict(),
            "train": train,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "<dict>", root: Path | None = None) -> "ExperimentConfig":
        """Build from a plain dict; unknown keys raise ``ConfigError`` naming the key and ``source``.

        Relative ``data.dir`` and ``out_dir`` are resolved against ``root`` (default: the repository root).
        """
        root = _root_of() if root is None else root
        top = {"name", "out_dir", "data", "model", "train"}
        _check_keys(d, top, "", source)
        for key in ("data", "model"):
            if not isinstance(d.get(key), Mapping):
                raise ConfigError(f"{source}: section {key!r} is missing or not a mapping")
        data_keys = {f.name for f in dataclasses.fields(DataConfig)}
        train_keys = {f.name for f in dataclasses.fields(TrainConfig)}
        _check_keys(d["data"], data_keys, "data.", source)
        _check_keys(d.get("train") or {}, train_keys, "train.", source)
        if "dir" not in d["data"]:
            raise ConfigError(f"{source}: data.dir is required (the prepared split folder)")
        try:
            data = DataConfig(**{**d["data"], "dir": _resolve(d["data"]["dir"], root)})
            train = TrainConfig(**(d.get("train") or {}))
            model = model_config_from_section(d["model"])
        except ConfigError as err:
            raise ConfigError(f"{source}: {err}") from err
        except (TypeError, ValueError) as err:
            raise ConfigError(f"{source}: model: {err}") from err
        name = str(d.get("name", Path(source).stem if source != "<dict>" else "experiment"))
        out_dir = _resolve(d.get("out_dir", f"runs/{name}"), root)
        return cls(data=data, model=model, train=train, out_dir=out_dir, name=name, source=source)


def _check_keys(section: Mapping[str, Any], allowed: set[str], prefix: str, source: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {[prefix + k for k in unknown]}; expected one of {sorted(prefix + a for a in allowed)}"
        )


def apply_overrides(d: dict[str, Any], overrides: Sequence[str], source: str = "<overrides>") -> dict[str, Any]:
    """Apply dotted ``section.key=value`` overrides (values parsed as YAML) to a nested dict, in place."""
    model_keys = {"preset", "bones"} | {f.name for f in dataclasses.fields(ModelConfig)}
    allowed = {
        "data": {f.name for f in dataclasses.fields(DataConfig)},
        "train": {f.name for f in dataclasses.fields(TrainConfig)},
        "model": model_keys,
    }
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r}: expected KEY=VALUE, e.g. train.epochs=2")
        key, text = item.split("=", 1)
        value = yaml.safe_load(text) if text != "" else None
        parts = key.strip().split(".")
        if len(parts) == 1 and parts[0] in ("name", "out_dir"):
            d[parts[0]] = value
        elif len(parts) == 2 and parts[0] in allowed and parts[1] in allowed[parts[0]]:
            d.setdefault(parts[0], {})[parts[1]] = value
        else:
            raise ConfigError(
                f"override {item!r} for {source}: unknown key {key!r}; expected name, out_dir, "
                "data.<field>, model.<field> or train.<field>"
            )
    return d


def _read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file that must hold a mapping (or nothing)."""
    try:
        d = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(d, dict):
        raise ConfigError(f"{path}: expected a mapping, found {type(d).__name__}")
    return d


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``update``, section by section (``data``, ``model``, ``train`` merge key by key)."""
    out = {k: dict(v) if isinstance(v, Mapping) else v for k, v in base.items()}
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> ExperimentConfig:
    """Read an experiment YAML, complete it from its profile (a ``profile.yaml`` beside it), apply dotted
    overrides (``train.epochs=2``) and build the config."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    d = _read_yaml(path)
    if (path.parent / PROFILE_FILE).is_file():
        d = load_profile(path.parent.name, path.parent.parent).experiment_dict(path.stem, d)
    apply_overrides(d, overrides, str(path))
    return ExperimentConfig.from_dict(d, source=str(path), root=_root_of(path.parent))


def validate(cfg: ExperimentConfig) -> None:
    """Check the config against its data before training: files, shapes, channels, classes; raise ``ConfigError``."""
    where = cfg.source
    split_dir = Path(cfg.data.dir)
    if not split_dir.is_dir():
        raise ConfigError(f"{where}: data.dir {split_dir} does not exist (prepare the data first)")
    channels = cfg.data.channels
    max_label = -1
    if cfg.model.in_channels != channels:
        raise ConfigError(
            f"{where}: data.modality {cfg.data.modality!r} gives {channels} input channels but the model expects "
            f"model.in_channels={cfg.model.in_channels} (use modality 'joint_bone' for a bones model, 'joint' otherwise)"
        )
    for split in ("train", "val"):
        data_path, label_path = split_files(split_dir, split)
        for p in (data_path, label_path):
            if not p.is_file():
                raise ConfigError(f"{where}: data.dir {split_dir} lacks {p.name}")
        arr = np.load(data_path, mmap_mode="r")
        if arr.ndim != 5 or arr.shape[1] != 3:
            raise ConfigError(f"{data_path}: expected joints of shape (N, 3, T, V, M), found {tuple(arr.shape)}")
        n, _, t, v, m = arr.shape
        try:
            data_layout = layout_of_joints(v, f"{data_path}: joints of an array of shape {tuple(arr.shape)}")
        except ValueError as err:
            raise ConfigError(str(err)) from None
        if data_layout.name != cfg.model.graph:
            raise ConfigError(
                f"{data_path}: {v} joints ({data_layout.title}) but model.graph={cfg.model.graph!r} has "
                f"{cfg.model.num_joints} joints"
            )
        if m != cfg.model.num_persons:
            raise ConfigError(f"{data_path}: {m} persons but model.num_persons={cfg.model.num_persons}")
        if cfg.data.window is not None and cfg.data.window > t and not cfg.data.resample:
            raise ConfigError(f"{where}: data.window={cfg.data.window} exceeds the {t} stored frames (or set data.resample)")
        try:
            names, labels = read_labels(label_path)  # the restricted unpickler: plain lists only
        except ValueError as err:
            raise ConfigError(f"{err}; expected a pickle of (sample_names, labels)") from err
        labels = np.asarray(labels)
        if len(labels) != n or len(names) != n:
            raise ConfigError(f"{label_path}: {len(names)} names and {len(labels)} labels for {n} samples in {data_path.name}")
        if n == 0:
            raise ConfigError(f"{data_path}: the {split} split is empty")
        if labels.min() < 0:
            raise ConfigError(f"{label_path}: labels must be 0-based, found {int(labels.min())}")
        if int(labels.max()) + 1 > cfg.model.num_classes:
            raise ConfigError(
                f"{label_path}: largest label {int(labels.max())} needs at least {int(labels.max()) + 1} classes "
                f"but model.num_classes={cfg.model.num_classes}"
            )
        max_label = max(max_label, int(labels.max()))
    try:
        class_names = read_label_names(split_dir)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    if class_names is not None and len(class_names) < max_label + 1:
        raise ConfigError(f"{split_dir / LABEL_NAMES}: {len(class_names)} class names for labels up to {max_label}")


@dataclass(frozen=True)
class SynthSpec:
    """How a synthetic profile generates its data (``python -m sttr synth``)."""

    seed: int = 0
    max_samples: int | None = None


@dataclass(frozen=True)
class RunsSpec:
    """Which runs a profile's notebooks train per stream: joints with each of ``seeds``, joints + bones with each
    of ``bones_seeds``, ``workers`` training processes at a time with ``threads`` torch threads each."""

    seeds: tuple[int, ...] = (1,)
    bones_seeds: tuple[int, ...] = ()
    workers: int = 1
    threads: int | None = None

    def __post_init__(self) -> None:
        for name in ("seeds", "bones_seeds"):
            value = tuple(getattr(self, name))
            if not all(isinstance(s, int) and not isinstance(s, bool) for s in value) or len(set(value)) != len(value):
                raise ConfigError(f"runs.{name}: expected a list of distinct integers, got {list(value)}")
            object.__setattr__(self, name, value)
        if not self.seeds:
            raise ConfigError("runs.seeds: expected at least one seed")
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ConfigError(f"runs.workers: expected a positive integer, got {self.workers!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ConfigError(f"runs.threads: expected a positive integer or null, got {self.threads!r}")


PROFILE_FILE = "profile.yaml"
PROFILE_KEYS = {"name", "description", "dataset", "benchmark", "raw_dir", "prepared_dir", "runs_dir", "synth",
                "experiment", "runs"}  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """A family of experiments on one dataset and benchmark: its folders (the paper's numbers: ``sttr.paper``) and the
    settings its experiments share (``experiment``: ``data``, ``model``, ``train`` sections)."""

    name: str
    description: str
    dataset: str
    benchmark: str
    raw_dir: Path
    prepared_dir: Path
    runs_dir: Path
    folder: Path
    synth: SynthSpec | None = None
    experiment: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    runs: RunsSpec = field(default_factory=RunsSpec)

    @property
    def split_dir(self) -> Path:
        """The prepared arrays of this profile's benchmark: ``prepared_dir/<benchmark>`` (prepare-ntu's layout);
        ``prepared_dir`` itself for Kinetics-skeleton, which has one split and no benchmark (prepare-kinetics)."""
        return self.prepared_dir / self.benchmark

    def config_path(self, stream: str, bones: bool = False) -> Path:
        """The YAML of one stream (``stgcn``, ``spatial``, ``temporal``), with joints+bones when ``bones``."""
        if stream not in STREAMS:
            raise ConfigError(f"profile {self.name}: unknown stream {stream!r}; expected one of {list(STREAMS)}")
        return self.folder / f"{stream}{'_bones' if bones else ''}.yaml"

    def paper_top1(self, stream: str, bones: bool = False) -> float | None:
        """The paper's top-1 (%) for a stream (or ``fused``), or None where the paper gives none."""
        return paper.top1(self.dataset, self.benchmark, stream, bones)

    def experiment_dict(self, stem: str, own: Mapping[str, Any]) -> dict[str, Any]:
        """The full config of experiment ``stem`` (e.g. ``temporal_bones``): the paths of this profile, the
        paper's preset with this dataset's classes and skeleton graph, the profile's shared settings, then the
        experiment file's ``own``."""
        base: dict[str, Any] = {
            "name": f"{self.name}-{stem.replace('_', '-')}",
            "out_dir": str(self.runs_dir / stem),
            "data": {"dir": str(self.split_dir)},
            "model": {
                "preset": "paper", "num_classes": dataset(self.dataset).classes, "graph": dataset(self.dataset).layout
            },
            "train": {},
        }
        d = _merge(_merge(base, self.experiment), own)
        if "modality" not in d["data"]:
            d["data"]["modality"] = "joint_bone" if d["model"].get("bones") else "joint"
        return d


def configs_dir() -> Path:
    """The repository's ``configs/`` folder."""
    return repo_root(Path(__file__)) / "configs"


def list_profiles(folder: Path | None = None) -> list[str]:
    """Names of the profiles under ``folder`` (default: ``configs/``): sub-folders holding a profile.yaml."""
    folder = configs_dir() if folder is None else Path(folder)
    return sorted(p.parent.name for p in folder.glob(f"*/{PROFILE_FILE}"))


def load_profile(name: str, folder: Path | None = None) -> Profile:
    """Read ``configs/<name>/profile.yaml`` (or under ``folder``); paths become absolute (repository root),
    raw NTU from $STTR_NTU_RAW, raw Kinetics-skeleton from $STTR_KINETICS_RAW."""
    base = configs_dir() if folder is None else Path(folder)
    path = base / name / PROFILE_FILE
    if not path.is_file():
        raise ConfigError(f"profile {name!r}: {path} not found; available: {list_profiles(base)}")
    d = _read_yaml(path)
    _check_keys(d, PROFILE_KEYS, "", str(path))
    if d.get("dataset") not in REGISTRY:
        raise ConfigError(f"{path}: dataset: expected one of {list(REGISTRY)}, got {d.get('dataset')!r}")
    entry = REGISTRY[d["dataset"]]
    if not entry.benchmarks and d.get("benchmark"):
        raise ConfigError(
            f"{path}: benchmark: {entry.title} has one train/val split and no benchmark; remove the key "
            f"(the split is prepared_dir itself), got {d['benchmark']!r}"
        )
    root = _root_of(path.parent)
    raw = d["raw_dir"]
    env = RAW_ENV.get(d["dataset"])
    if env and os.environ.get(env):
        raw = os.environ[env]
    synth = d.get("synth")
    if synth is not None:
        _check_keys(synth, {"seed", "max_samples"}, "synth.", str(path))
        synth = SynthSpec(**synth)
    experiment = d.get("experiment") or {}
    _check_keys(experiment, {"data", "model", "train"}, "experiment.", str(path))
    runs = d.get("runs") or {}
    _check_keys(runs, {f.name for f in dataclasses.fields(RunsSpec)}, "runs.", str(path))
    try:
        runs = RunsSpec(**runs)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err
    return Profile(
        name=str(d.get("name", name)),
        description=str(d.get("description", "")),
        dataset=d["dataset"],
        benchmark=str(d.get("benchmark", "")),
        raw_dir=Path(_resolve(raw, root)),
        prepared_dir=Path(_resolve(d["prepared_dir"], root)),
        runs_dir=Path(_resolve(d["runs_dir"], root)),
        folder=path.parent,
        synth=synth,
        experiment={k: dict(v) for k, v in experiment.items()},
        runs=runs,
    )
