"""Attention maps of a trained S-TR or T-TR, and measurements of them: how far they are from uniform, how much
their rows depend on the query, and how much they differ between samples of one class and of two classes.

Distances are total variation distances between attention rows (probability distributions over keys): 0 for
identical rows, 1 for rows with disjoint support. A map whose rows all equal 1/L is uniform.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def _tv_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Total variation distance between attention rows (distributions over the last axis), in [0, 1]."""
    return 0.5 * np.abs(p - q).sum(axis=-1)


def map_statistics(maps: np.ndarray) -> dict[str, float]:
    """How far maps (..., L, L) (rows = queries, distributions over L keys) are from uniform, and how much
    their rows depend on the query: mean total variation of each row from 1/L and from the map's mean row."""
    uniform = np.full(maps.shape[-1], 1.0 / maps.shape[-1])
    mean_row = maps.mean(axis=-2, keepdims=True)  # (..., 1, L): what a query-independent map would be
    return {"from uniform": float(_tv_rows(maps, uniform).mean()),
            "query dependence": float(_tv_rows(maps, mean_row).mean())}  # fmt: skip


def sample_distances(signatures: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Mean distance between the attention of two samples, within a class and between classes.

    ``signatures`` (S, ..., L, L): one map stack per sample (e.g. heads x queries, averaged over frames);
    the distance of two samples is the mean total variation between their corresponding rows."""
    s = signatures.reshape(signatures.shape[0], -1, signatures.shape[-1])  # (S, rows, L)
    d = np.stack([_tv_rows(s, s[i][None]).mean(axis=1) for i in range(len(s))])  # (S, S)
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(s), dtype=bool)
    within = d[same & off]
    between = d[~same]
    return {"within class": float(within.mean()) if within.size else float("nan"),
            "between classes": float(between.mean()) if between.size else float("nan")}  # fmt: skip


@torch.no_grad()
def attention_study(
    model: nn.Module, xs: np.ndarray, labels: np.ndarray, batch: int = 16
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Measure every attention layer of ``model`` on samples ``xs`` (S, C, T, V, M) of classes ``labels``:
    per layer, the distance of its rows from uniform, their query dependence, and the distance between
    samples within a class and between classes (person 0, all heads; maps averaged over frames for the
    sample comparison). Returns the table and, per layer, the samples' (S, N_h, L, L) frame-averaged maps."""
    device = next(model.parameters()).device
    model.eval()
    stats: dict[str, list[dict[str, float]]] = {}
    signatures: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(xs), batch):
        x = torch.as_tensor(np.asarray(xs[start : start + batch], dtype=np.float32)).to(device)
        _, maps = model(x, return_attention=True)
        n, m = x.shape[0], x.shape[-1]
        for layer, w in maps.items():
            w = w.float().cpu().numpy()
            w = w.reshape(n, m, *w.shape[1:])[:, 0]  # person 0: SSA (n, T', N_h, V, V), TSA (n, V, N_h, T', T')
            stats.setdefault(layer, []).append({**map_statistics(w), "weight": n})
            signatures.setdefault(layer, []).append(w.mean(axis=1))  # (n, N_h, L, L): over frames / joints
    rows = []
    sig = {layer: np.concatenate(parts) for layer, parts in signatures.items()}
    for layer, parts in stats.items():
        total = sum(p["weight"] for p in parts)
        row = {"layer": layer, "tokens": sig[layer].shape[-1]}
        for key in ("from uniform", "query dependence"):
            row[key] = sum(p[key] * p["weight"] for p in parts) / total
        row.update(sample_distances(sig[layer], np.asarray(labels)))
        rows.append(row)
    return pd.DataFrame(rows), sig
