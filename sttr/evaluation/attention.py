"""Attention maps of a trained S-TR or T-TR: the weights of every SSA / TSA layer for one sample."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def attention_maps(model: nn.Module, x: np.ndarray | torch.Tensor) -> dict[str, np.ndarray]:
    """Layer name -> attention weights of one sample ``x`` (C, T, V, M), as float32 arrays: SSA layers
    (``backbone.i.gcn1``) give (M, T', N_h, V, V), TSA layers (``backbone.i.tcn1``) give (M, V, N_h, T', T').
    Empty for ST-GCN, which has no attention."""
    device = next(model.parameters()).device
    batch = torch.as_tensor(np.asarray(x, dtype=np.float32))[None].to(device)  # (1, C, T, V, M)
    _, maps = model.eval()(batch, return_attention=True)
    return {name: w.float().cpu().numpy() for name, w in maps.items()}
