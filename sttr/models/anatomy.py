"""Look inside a stream network: the tensor shape after every stage of one forward pass (notebook 00)."""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn


def _stages(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The network's stages in forward order: input BN, stem GCN and TCN, the nine units, the classifier."""
    stages = [("data_bn", model.data_bn), ("gcn0", model.gcn0), ("tcn0", model.tcn0)]
    stages += [(f"backbone.{i}", unit) for i, unit in enumerate(model.backbone)]
    return stages + [("fcn", model.fcn)]


def stage_shapes(model: nn.Module, x: torch.Tensor) -> pd.DataFrame:
    """Run ``model`` on ``x`` (N, C, T, V, M) and list each stage's module, output shape and parameters."""
    rows = [{"stage": "input", "module": "(N, C, T, V, M)", "output shape": tuple(x.shape), "parameters": 0}]
    handles = []
    for name, module in _stages(model):
        def record(mod: nn.Module, args, out, name: str = name) -> None:
            out = out[0] if isinstance(out, tuple) else out
            kind = type(mod).__name__
            if name.startswith("backbone."):
                kind = f"{type(mod.gcn1).__name__} + {type(mod.tcn1).__name__}"
            params = sum(p.numel() for p in mod.parameters() if p.requires_grad)
            rows.append({"stage": name, "module": kind, "output shape": tuple(out.shape), "parameters": params})

        handles.append(module.register_forward_hook(record))
    try:
        with torch.no_grad():
            logits = model(x)
    finally:
        for handle in handles:
            handle.remove()
    rows.append({"stage": "logits", "module": "mean over V, M, T; then fcn", "output shape": tuple(logits.shape),
                 "parameters": 0})  # fmt: skip
    return pd.DataFrame(rows)
