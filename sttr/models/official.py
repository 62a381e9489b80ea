"""load_official: the authors' ST-TR checkpoints (state dicts) -> our ``STTRNet``, by name and shape.

Like nanoGPT's ``from_pretrained``: the configuration is inferred from key names and shapes (stream,
channels, widths, classes, persons, joints), then the state dict is loaded strictly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import torch

from sttr.models.config import ModelConfig
from sttr.models.network import STTRNet, build_model

log = logging.getLogger(__name__)


class OfficialCheckpointError(ValueError):
    """An authors' checkpoint whose keys or shapes do not describe an ST-TR stream network."""


def _unwrap(obj: Any, source: str) -> dict[str, torch.Tensor]:
    """Bare state dict, or one under ``model_state_dict`` / ``state_dict``; strips ``module.`` prefixes."""
    if isinstance(obj, Mapping):
        for key in ("model_state_dict", "state_dict"):
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise OfficialCheckpointError(
            f"{source}: expected a state dict of tensors (bare, or under 'model_state_dict' / 'state_dict')"
        )
    return {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in obj.items()}


def _shape(sd: Mapping[str, torch.Tensor], key: str, source: str) -> tuple[int, ...]:
    """Shape of a required key, or an error naming it."""
    if key not in sd:
        raise OfficialCheckpointError(f"{source}: missing key {key!r}, needed to infer the configuration")
    return tuple(sd[key].shape)


def infer_config(state_dict: Mapping[str, torch.Tensor], source: str = "state dict", **overrides: Any) -> ModelConfig:
    """ModelConfig of an authors' state dict (heads cannot be seen in shapes: N_h=8 unless overridden)."""
    sd = state_dict
    if any(".gcn1.attention_conv." in k for k in sd):
        stream = "spatial"
    elif any(".tcn1.qkv_conv." in k for k in sd):
        stream = "temporal"
    else:
        stream = "stgcn"
    w0, c = _shape(sd, "gcn0.conv_list.0.weight", source)[:2]
    v = _shape(sd, "gcn0.mask", source)[-1]
    classes, w2 = _shape(sd, "fcn.weight", source)[:2]
    w1 = _shape(sd, "backbone.3.down1.conv.weight", source)[0]
    bn = _shape(sd, "data_bn.weight", source)[0]
    if bn % (v * c):
        raise OfficialCheckpointError(
            f"{source}: data_bn.weight has {bn} features, expected a multiple of V*C = {v}*{c}"
        )
    attention_units = [
        i for i in range(9) if f"backbone.{i}.gcn1.attention_conv.qkv_conv.weight" in sd
        or f"backbone.{i}.tcn1.qkv_conv.weight" in sd
    ]
    widths = (w0, w1, w2)
    attention_from = None
    if attention_units:
        attention_from = min(ModelConfig(widths=widths, in_channels=c).units()[i][1] for i in attention_units)
    fields: dict[str, Any] = dict(
        stream=stream,
        in_channels=c,
        num_classes=classes,
        widths=widths,
        num_persons=bn // (v * c),
        num_joints=v,
        attention_from=attention_from,
    )
    fields.update(overrides)
    return ModelConfig(**fields)


def load_official(
    path_or_state_dict: str | os.PathLike | Mapping[str, Any], *, fused_attention: bool | None = None, **overrides: Any
) -> STTRNet:
    """Our model with the function of an authors' checkpoint, in eval mode.

    ``overrides`` go to ModelConfig (e.g. ``dropout=0.0, drop_attention=0.0`` for deterministic training
    mode, ``heads``). Missing, unexpected or mis-shaped keys raise ``OfficialCheckpointError`` listing them.
    """
    if isinstance(path_or_state_dict, (str, os.PathLike)):
        source = os.fspath(path_or_state_dict)
        obj = torch.load(source, map_location="cpu", weights_only=True)
    else:
        source, obj = "state dict", path_or_state_dict
    sd = _unwrap(obj, source)
    cfg = infer_config(sd, source, fused_attention=fused_attention, **overrides)
    model = build_model(cfg)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(sd))
    unexpected = sorted(set(sd) - set(expected))
    mismatched = sorted(
        f"{k}: checkpoint {tuple(sd[k].shape)}, model {tuple(expected[k].shape)}"
        for k in set(sd) & set(expected)
        if sd[k].shape != expected[k].shape
    )
    if missing or unexpected or mismatched:
        raise OfficialCheckpointError(
            f"{source}: does not match the inferred {cfg.stream} network (widths {cfg.widths}, "
            f"C={cfg.in_channels}, classes {cfg.num_classes}); missing keys {missing}; "
            f"unexpected keys {unexpected}; inconsistent shapes {mismatched}"
        )
    model.load_state_dict(sd, strict=True)
    log.info("loaded %s as %s", source, cfg)
    return model.eval()
