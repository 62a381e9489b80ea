"""The checkpoint contract: what a training run saves, atomically, and the one reader for ours and the authors'.

Our trainer's files are dicts with ``"format": "sttr-checkpoint"`` and a ``"version"``; besides the weights
they carry the model config, the class names and the input rule (modality, window, resample) so that
evaluation and prediction feed the model as validation did (the full length when the window was for
training only, ``DataConfig.window_scope``), and the optimiser, scheduler and RNG states for an exact
resume. The authors' released files are state dicts (bare or under ``model_state_dict``) read
through ``sttr.models.official.load_official``. Every file is read with ``torch.load(weights_only=True)``:
nothing in a checkpoint can run code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sttr.atomic import atomic_path
from sttr.data.names import default_class_names
from sttr.models import ModelConfig, build_model
from sttr.models.official import load_official
from sttr.skeleton import MODALITY_CHANNELS, Layout, layout

log = logging.getLogger(__name__)

FORMAT = "sttr-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a model checkpoint of ours or of the authors (the message names the file)."""


@dataclass
class LoadedModel:
    """A model in eval mode with what inference needs to feed it like training did."""

    model: nn.Module
    config: ModelConfig
    class_names: list[str]
    modality: str  # joint | bone | joint_bone
    window: int | None
    resample: bool
    source: str
    kind: str  # "sttr" (our trainer) or "official" (the authors' weights)
    extra: dict = field(default_factory=dict)

    @property
    def in_channels(self) -> int:
        return int(self.config.in_channels)

    @property
    def num_classes(self) -> int:
        return int(self.config.num_classes)

    @property
    def stream(self) -> str:
        return str(self.config.stream)

    @property
    def graph(self) -> str:
        """The skeleton graph the model was built on: "ntu" (25 Kinect v2 joints, x y z) or "kinetics" (18
        OpenPose joints, x y score)."""
        return str(self.config.graph)

    @property
    def layout(self) -> Layout:
        """The joint layout of ``graph`` (``sttr.skeleton``): joint names, edges, channels."""
        return layout(self.graph)


def training_payload(
    *,
    model_config: ModelConfig,
    model_state: dict[str, Any],
    training_state: dict[str, Any],
    experiment: dict[str, Any],
    class_names: list[str],
    modality: str,
    window: int | None,
    resample: bool,
) -> dict[str, Any]:
    """The dict a training run saves each epoch: format and version, the model and its input rule, and
    ``training_state`` (optimizer, scheduler, scaler, RNG states, epoch, best top-1, metrics) for resuming."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "model_config": model_config.to_dict(),
        "model_state_dict": model_state,
        **training_state,
        "experiment": experiment,
        "class_names": list(class_names),
        "modality": modality,
        "window": window,
        "resample": resample,
    }


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write atomically: a temporary file in the same folder, then ``os.replace``; a crash keeps the old file."""
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _load(path: Path, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load`` with ``weights_only=True``; an unreadable file is a ``CheckpointError`` naming it."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise CheckpointError(
            f"{path}: not a PyTorch checkpoint ({type(exc).__name__}: {first_line}); "
            "expected a file written by `python -m sttr train` or one of the authors' released .pt files"
        ) from exc


def _check_version(obj: dict[str, Any], source: str) -> None:
    if obj.get("version") != VERSION:
        raise CheckpointError(f"{source}: checkpoint version {obj.get('version')}, this sttr reads {VERSION}")


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The whole dict of one of our checkpoints (to resume training), its format and version checked."""
    path = Path(path)
    obj = _load(path, map_location)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an sttr checkpoint (expected format {FORMAT!r})")
    _check_version(obj, str(path))
    return obj


def check_modality(modality: str, channels: int, source: str) -> None:
    """Raise ``CheckpointError`` unless ``modality`` is known and gives the model's ``channels`` inputs."""
    if modality not in MODALITY_CHANNELS:
        raise CheckpointError(f"{source}: modality {modality!r}, expected one of {sorted(MODALITY_CHANNELS)}")
    if MODALITY_CHANNELS[modality] != channels:
        raise CheckpointError(
            f"{source}: the model takes {channels} channels but modality {modality!r} "
            f"gives {MODALITY_CHANNELS[modality]}"
        )


def _modality_for(channels: int, source: str) -> str:
    """The authors' files carry no modality: 3 input channels are joints, 6 are joints and bones."""
    if channels == 3:
        return "joint"
    if channels == 6:
        return "joint_bone"
    raise CheckpointError(f"{source}: model takes {channels} input channels; expected 3 (joints) or 6 (joints+bones)")


def _ours(obj: dict[str, Any], source: str) -> LoadedModel:
    """A checkpoint of our trainer: the stored config, weights, class names and input rule."""
    _check_version(obj, source)
    try:
        cfg = ModelConfig.from_dict(obj["model_config"])
        model = build_model(cfg)
        model.load_state_dict(obj["model_state_dict"], strict=True)
    except KeyError as exc:
        raise CheckpointError(f"{source}: sttr checkpoint without the field {exc}") from exc
    except (RuntimeError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{source}: the weights do not fit the stored model_config: {exc}") from exc
    modality = str(obj.get("modality") or _modality_for(cfg.in_channels, source))
    check_modality(modality, cfg.in_channels, source)
    class_names = list(obj.get("class_names") or default_class_names(cfg.num_classes))
    if len(class_names) != cfg.num_classes:
        raise CheckpointError(f"{source}: {len(class_names)} class names for a {cfg.num_classes}-class model")
    window = obj.get("window")
    return LoadedModel(
        model=model,
        config=cfg,
        class_names=class_names,
        modality=modality,
        window=None if window is None else int(window),
        resample=bool(obj.get("resample", False)),
        source=source,
        kind="sttr",
        extra={k: obj[k] for k in ("epoch", "experiment") if k in obj},
    )


def _official(obj: dict[str, Any], source: str) -> LoadedModel:
    """One of the authors' state dicts: config inferred from keys and shapes, full-length input."""
    try:
        model = load_official(obj)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(
            f"{source}: not a model checkpoint: expected our trainer's checkpoint (\"format\": "
            f"\"{FORMAT}\") or the authors' model state dict (bare, or under \"model_state_dict\"): {exc}"
        ) from exc
    cfg = model.cfg
    return LoadedModel(
        model=model,
        config=cfg,
        class_names=default_class_names(int(cfg.num_classes)),
        modality=_modality_for(int(cfg.in_channels), source),
        window=None,
        resample=False,
        source=source,
        kind="official",
    )


def load_checkpoint(checkpoint: str | Path | dict, device: str | torch.device = "cpu") -> LoadedModel:
    """The one reader: our trainer's checkpoint or the authors' weights, as a model in eval mode on ``device``.

    Authors' checkpoints take modality ``joint`` for 3 input channels and ``joint_bone`` for 6 (channels x, y, z
    on NTU's graph, x, y, score on Kinetics-skeleton's), the full 300 frames, and class names by class count:
    NTU-60/120's for 60 or 120 classes, else ``class i`` (``evaluate_checkpoint`` takes the names of a
    ``label_names.json`` beside the evaluated split, e.g. Kinetics-400's written by prepare-kinetics).
    """
    source = "<state dict>" if isinstance(checkpoint, dict) else str(checkpoint)
    obj = checkpoint if isinstance(checkpoint, dict) else _load(Path(checkpoint))
    if not isinstance(obj, dict):
        raise CheckpointError(
            f"{source}: holds a {type(obj).__name__}, expected a checkpoint dict (our trainer's) or a model state dict"
        )
    loaded = _ours(obj, source) if obj.get("format") == FORMAT else _official(obj, source)
    loaded.model.to(device).eval()
    log.info("loaded %s: %s checkpoint, %s stream, %s graph, %s, %d classes", source, loaded.kind, loaded.stream,
             loaded.graph, loaded.modality, loaded.num_classes)  # fmt: skip
    return loaded
