"""load_official: the authors' ST-TR checkpoints (state dicts) -> our ``STTRNet``, by name and shape.

Like nanoGPT's ``from_pretrained``: the configuration is inferred from key names and shapes (stream,
GCN kind, graph, channels, widths, classes), then every key and shape is checked against the network of
that configuration and the state dict is loaded strictly. All released kinds load: S-TR, T-TR and
T-TR-agcn on NTU RGB+D (25 joints) and Kinetics-skeleton (18 joints), with and without bones.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping
from typing import Any

import torch

from sttr.models.config import ModelConfig
from sttr.models.network import STTRNet, build_model
from sttr.skeleton import layout_of_joints

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


def _adaptive(sd: Mapping[str, torch.Tensor]) -> bool:
    """Whether the GCNs are 2s-AGCN's (``PA``, ``conv_a/b/d``) rather than the paper's (``mask``, ``conv_list``)."""
    return any(re.match(r"(gcn0|backbone\.\d+\.gcn1)\.(PA$|conv_[abd]\.)", k) for k in sd)


def _joints(sd: Mapping[str, torch.Tensor], gcn: str, source: str) -> int:
    """V from the stem's (3, V, V) graph parameter (``mask`` or ``PA``), else from any unit's."""
    name = "PA" if gcn == "adaptive" else "mask"
    keys = [f"gcn0.{name}"] + sorted(k for k in sd if re.fullmatch(rf"backbone\.\d+\.gcn1\.{name}", k))
    for key in keys:
        if key in sd:
            return _shape(sd, key, source)[-1]
    raise OfficialCheckpointError(f"{source}: missing key 'gcn0.{name}', needed to infer the number of joints")


REL_KEY = re.compile(r"backbone\.(\d+)\.(?:gcn1\.attention_conv|tcn1)\.key_rel")


def _relative(
    sd: Mapping[str, torch.Tensor], widths: tuple[int, int, int], c: int, source: str, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The relative-position fields of a state dict with the authors' ``key_rel`` weights (none without them):
    ``relative``, ``relative_frames`` from the first TSA table (2F - 1 rows, F = ceil(T / strides so far)) and,
    unless overridden, the heads from the table's d_k / N_h columns."""
    tables = sorted((int(m.group(1)), k) for k in sd if (m := REL_KEY.fullmatch(k)))
    if not tables:
        return {}
    unit, key = tables[0]
    rows, per_head = _shape(sd, key, source)
    plan = ModelConfig(widths=widths, in_channels=c)
    fields: dict[str, Any] = {"relative": True}
    if "heads" not in overrides:
        d_k = plan.d_k(plan.units()[unit][1])
        if per_head < 1 or d_k % per_head:
            raise OfficialCheckpointError(
                f"{source}: {key} has {per_head} columns, expected d_k / N_h with d_k = {d_k}"
            )
        fields["heads"] = d_k // per_head
    if key.endswith("tcn1.key_rel"):
        if rows % 2 == 0:
            raise OfficialCheckpointError(f"{source}: {key} has {rows} rows, expected 2F - 1 (one per frame offset)")
        fields["relative_frames"] = (rows + 1) // 2 * math.prod(stride for _, _, stride, _ in plan.units()[: unit + 1])
    return fields


def infer_config(state_dict: Mapping[str, torch.Tensor], source: str = "state dict", **overrides: Any) -> ModelConfig:
    """ModelConfig of an authors' state dict: stream, GCN kind, graph (from V), channels, widths, classes.

    Heads cannot be seen in shapes (N_h=8 unless overridden) except through a relative-position table (``key_rel``,
    d_k / N_h columns), which also gives ``relative`` and its frames; persons are the authors' M=2 unless overridden.
    Kinetics-skeleton checkpoints get the authors' Kinetics dropout 0 (:meth:`ModelConfig.kinetics`).
    """
    sd = state_dict
    if any(".gcn1.attention_conv." in k for k in sd):
        stream = "spatial"
    elif any(".tcn1.qkv_conv." in k for k in sd):
        stream = "temporal"
    else:
        stream = "stgcn"
    gcn = "adaptive" if _adaptive(sd) else "static"
    w0, c = _shape(sd, "gcn0.conv_d.0.weight" if gcn == "adaptive" else "gcn0.conv_list.0.weight", source)[:2]
    v = _joints(sd, gcn, source)
    try:
        graph = layout_of_joints(v, what=f"{source}: graph of {v} joints").name
    except ValueError as err:
        raise OfficialCheckpointError(str(err)) from None
    classes, w2 = _shape(sd, "fcn.weight", source)[:2]
    w1 = _shape(sd, "backbone.3.down1.conv.weight", source)[0]
    m = overrides.get("num_persons", 2)
    bn = _shape(sd, "data_bn.weight", source)[0]
    if bn != m * v * c:
        raise OfficialCheckpointError(
            f"{source}: data_bn.weight has {bn} features, expected M*V*C = {m}*{v}*{c} = {m * v * c} "
            f"(C from gcn0, V from its graph, M the authors' {m} persons)"
        )
    attention_units = [
        i for i in range(9) if f"backbone.{i}.gcn1.attention_conv.qkv_conv.weight" in sd
        or f"backbone.{i}.tcn1.qkv_conv.weight" in sd
    ]  # fmt: skip
    widths = (w0, w1, w2)
    attention_from = None
    if attention_units:
        attention_from = min(ModelConfig(widths=widths, in_channels=c).units()[i][1] for i in attention_units)
    fields: dict[str, Any] = dict(
        stream=stream,
        in_channels=c,
        num_classes=classes,
        widths=widths,
        num_persons=m,
        attention_from=attention_from,
        graph=graph,
        gcn=gcn,
    )
    if graph == "kinetics":
        fields["dropout"] = 0.0
    fields.update(_relative(sd, widths, c, source, overrides))
    fields.update(overrides)
    try:
        return ModelConfig(**fields)
    except ValueError as err:
        raise OfficialCheckpointError(f"{source}: the shapes describe no valid stream network: {err}") from None


def load_official(
    path_or_state_dict: str | os.PathLike | Mapping[str, Any], *, fused_attention: bool | None = None, **overrides: Any
) -> STTRNet:
    """Our model with the function of an authors' checkpoint, in eval mode.

    Every released configuration loads (:meth:`ModelConfig.released`: NTU-60, NTU-120 and Kinetics-skeleton
    S-TR, T-TR and T-TR-agcn, joints or joints+bones); adaptive GCNs get the fixed graph the authors' code
    gives them (``AUTHORS_AGCN_GRAPH``). ``overrides`` go to ModelConfig (e.g. ``dropout=0.0,
    drop_attention=0.0`` for deterministic training mode, ``heads``). ``OfficialCheckpointError`` names what
    does not fit: a joint count of no known layout, an input BN without M*V*C features, a key needed to infer
    the configuration, or every missing, unexpected and mis-shaped key against the inferred network.
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
            f"{source}: does not match the inferred {cfg.stream} network ({cfg.gcn} GCN, graph {cfg.graph}, "
            f"widths {cfg.widths}, C={cfg.in_channels}, classes {cfg.num_classes}); missing keys {missing}; "
            f"unexpected keys {unexpected}; inconsistent shapes {mismatched}"
        )
    model.load_state_dict(sd, strict=True)
    log.info("loaded %s as %s", source, cfg)
    return model.eval()
