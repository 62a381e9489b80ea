"""Attention maps of a trained S-TR or T-TR, and measurements of them: how far they are from uniform, how much
their rows depend on the query, and how much they differ between samples of one class and of two classes.

Distances are total variation distances between attention rows (probability distributions over keys): 0 for
identical rows, 1 for rows with disjoint support. A map whose rows all equal 1/L is uniform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats
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


def _tv_rows(p: torch.Tensor, q: torch.Tensor | float) -> torch.Tensor:
    """Total variation distance between attention rows (distributions over the last axis), in [0, 1]."""
    return 0.5 * (p - q).abs_().sum(dim=-1)


@torch.no_grad()
def map_statistics(maps: np.ndarray | torch.Tensor) -> dict[str, float]:
    """How far maps (..., L, L) (rows = queries, distributions over L keys) are from uniform, how far their mean
    row is (the column structure every query shares), and how much rows depend on the query: mean total
    variation of each row from 1/L, of the mean row from 1/L, and of each row from the map's mean row. Computed
    where the maps are (a GPU's maps stay on it)."""
    maps = torch.as_tensor(maps)
    uniform = 1.0 / maps.shape[-1]
    mean_row = maps.mean(dim=-2, keepdim=True)  # (..., 1, L): what a query-independent map would be
    return {"from uniform": float(_tv_rows(maps, uniform).mean()),
            "mean row from uniform": float(_tv_rows(mean_row, uniform).mean()),
            "query dependence": float(_tv_rows(maps, mean_row).mean())}  # fmt: skip


@torch.no_grad()
def distance_matrix(signatures: np.ndarray | torch.Tensor, chunk: int = 1 << 16) -> np.ndarray:
    """(S, S) mean total variation between the corresponding rows of two samples' map stacks (S, ..., L, L): half
    the L1 distance of the flattened stacks over the number of rows, by ``torch.cdist`` on ``chunk`` columns at a
    time in float64 (float32 sums over the 720,000 weights of a T' = 300 stack drift by 1e-5)."""
    s = torch.as_tensor(signatures)
    flat = s.reshape(s.shape[0], -1)  # (S, rows * L)
    total = torch.zeros(s.shape[0], s.shape[0], dtype=torch.float64, device=s.device)
    for start in range(0, flat.shape[1], chunk):
        part = flat[:, start : start + chunk].double()[None]  # (1, S, chunk)
        total += torch.cdist(part, part, p=1)[0]
    rows = flat.shape[1] // s.shape[-1]
    return (total * (0.5 / rows)).cpu().numpy()


def class_contrast(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean distance between samples of two classes minus mean distance between two samples of one class,
    over one or more (S, S) distance matrices (layers, averaged)."""
    d = np.asarray(distances).reshape(-1, *np.asarray(distances).shape[-2:])  # (layers, S, S)
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(labels), dtype=bool)
    return float(np.mean([m[~same].mean() - m[same & off].mean() for m in d]))


def contrast_null(distances: np.ndarray, labels: np.ndarray, permutations: int = 999,
                  seed: int = 0) -> tuple[float, float, float]:  # fmt: skip
    """``class_contrast`` against the same measure with the class labels permuted across samples
    (``scipy.stats.permutation_test``): (observed, mean of the null, one-sided p of observed > null)."""
    labels = np.asarray(labels)

    def statistic(order: np.ndarray) -> float:
        return class_contrast(distances, labels[order])

    res = stats.permutation_test((np.arange(len(labels)),), statistic, permutation_type="pairings",
                                 n_resamples=permutations, alternative="greater", vectorized=False,
                                 rng=np.random.default_rng(seed))  # fmt: skip
    return float(res.statistic), float(np.mean(res.null_distribution)), float(res.pvalue)


def median_pairs(distances: np.ndarray, labels: np.ndarray) -> dict[str, tuple[int, int, float]]:
    """The typical pairs of samples: the one at the median distance among pairs of one class and among pairs
    of two classes, as (i, j, distance)."""
    labels = np.asarray(labels)
    i, j = np.triu_indices(len(labels), k=1)
    same = labels[i] == labels[j]
    out = {}
    for name, mask in (("within class", same), ("between classes", ~same)):
        if not mask.any():
            continue
        d = distances[i[mask], j[mask]]
        k = int(np.argsort(d, kind="stable")[(len(d) - 1) // 2])
        out[name] = (int(i[mask][k]), int(j[mask][k]), float(d[k]))
    return out


def sample_distances(distances: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Mean distance between the attention of two samples, within a class and between classes, from their (S, S)
    ``distance_matrix`` (e.g. of heads x queries maps averaged over frames)."""
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(distances), dtype=bool)
    within = distances[same & off]
    between = distances[~same]
    return {"within class": float(within.mean()) if within.size else float("nan"),
            "between classes": float(between.mean()) if between.size else float("nan")}  # fmt: skip


@torch.no_grad()
def attention_study(
    model: nn.Module, xs: np.ndarray, labels: np.ndarray, batch: int = 16
) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Measure every attention layer of ``model`` on samples ``xs`` (S, C, T, V, M) of classes ``labels``:
    per layer, the distance of its rows from uniform, their query dependence, and the distance between
    samples within a class and between classes (person 0, all heads; maps averaged over frames for the
    sample comparison). Returns the table and, per layer, the samples' (S, N_h, L, L) frame-averaged maps and
    their (S, S) ``distance_matrix``. The maps are measured on the model's device."""
    device = next(model.parameters()).device
    model.eval()
    stats: dict[str, list[dict[str, float]]] = {}
    signatures: dict[str, list[torch.Tensor]] = {}
    for start in range(0, len(xs), batch):
        x = torch.as_tensor(np.asarray(xs[start : start + batch], dtype=np.float32)).to(device)
        _, maps = model(x, return_attention=True)
        n, m = x.shape[0], x.shape[-1]
        for layer, w in maps.items():
            w = w.float().reshape(n, m, *w.shape[1:])[:, 0]  # person 0: SSA (n, T', N_h, V, V), TSA (n, V, N_h, T', T')
            stats.setdefault(layer, []).append({**map_statistics(w), "weight": n})
            signatures.setdefault(layer, []).append(w.mean(dim=1))  # (n, N_h, L, L): over frames / joints
    rows, sig, distances = [], {}, {}
    for layer, parts in stats.items():
        stacked = torch.cat(signatures[layer])  # (S, N_h, L, L)
        sig[layer], distances[layer] = stacked.cpu().numpy(), distance_matrix(stacked)
        total = sum(p["weight"] for p in parts)
        row = {"layer": layer, "tokens": stacked.shape[-1]}
        for key in ("from uniform", "mean row from uniform", "query dependence"):
            row[key] = sum(p[key] * p["weight"] for p in parts) / total
        row.update(sample_distances(distances[layer], np.asarray(labels)))
        rows.append(row)
    return pd.DataFrame(rows), sig, distances


@dataclass(frozen=True)
class AttentionStudy:
    """The attention of every seed of one stream measured on the same validation samples."""

    summary: pd.DataFrame  # per layer: mean and sd over seeds of the measures
    per_seed: pd.DataFrame  # per seed: class contrast (x 10^-3), its label-permutation null and p
    labels: np.ndarray  # (S,) the samples' classes
    class_names: tuple[str, ...]
    signatures: dict[str, np.ndarray]  # the first seed's layer -> (S, N_h, L, L) frame-averaged maps
    distances: dict[str, np.ndarray]  # the first seed's layer -> (S, S) distance_matrix of its signatures


def study_over_seeds(
    models: Mapping[int, nn.Module], xs: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...],
    permutations: int = 999,
) -> AttentionStudy:
    """``attention_study`` of every seed's model on the same samples ``xs`` (S, C, T, V, M): per layer, mean and
    sd over seeds; per seed, the between-class minus within-class distance averaged over layers (x 10^-3)
    beside the same measure with labels permuted (its null) and the permutation p."""
    labels = np.asarray(labels)
    tables, contrast, first = [], [], None
    for seed, model in models.items():
        table, sig, distances = attention_study(model, xs, labels)
        tables.append(table.assign(seed=seed))
        observed, null, p = contrast_null(np.stack(list(distances.values())), labels, permutations, seed)
        contrast.append({"seed": seed, "between minus within (x 10^-3)": 1e3 * observed,
                         "permuted labels (x 10^-3)": 1e3 * null, "permutation p": p})  # fmt: skip
        first = (sig, distances) if first is None else first
    per_seed = pd.concat(tables, ignore_index=True)
    columns = ["from uniform", "mean row from uniform", "query dependence", "within class", "between classes"]
    summary = per_seed.groupby(["layer", "tokens"], sort=False)[columns].agg(["mean", "std"])
    summary.columns = [f"{c} {s}".replace("std", "sd") for c, s in summary.columns]
    signatures, distances = first or ({}, {})
    return AttentionStudy(summary.reset_index(), pd.DataFrame(contrast), labels, tuple(class_names), signatures,
                          distances)  # fmt: skip


@dataclass(frozen=True)
class TypicalPairs:
    """The median pair of samples of one class and of two classes at one layer (first seed, mean over heads)."""

    maps: np.ndarray  # (4, L, L): pair within a class, then pair between classes
    titles: list[str]
    distances: dict[str, float]

    def sentence(self, layer: str) -> str:
        if len(self.distances) < 2:
            kinds = " and ".join(f"{k} {d:.3f}" for k, d in self.distances.items()) or "none"
            return f"At {layer}, only one kind of pair among these samples (median distance: {kinds})."
        w, b = self.distances["within class"], self.distances["between classes"]
        return (f"At {layer}, the median pair of samples of one class is {w:.3f} apart and the median pair of two "
                f"classes {b:.3f} (total variation per head and query); between-class pairs are "
                f"{'further apart' if b > w else 'no further apart'} than within-class ones by {b - w:+.3f}.")


def typical_pairs(study: AttentionStudy, layer: str) -> TypicalPairs:
    """The median within-class and median between-class pair of ``study``'s samples at ``layer``."""
    sig = study.signatures[layer]  # (S, N_h, L, L)
    pairs = median_pairs(study.distances[layer], study.labels)
    maps, titles = [], []
    for kind in ("within class", "between classes"):
        if kind not in pairs:  # e.g. one sample per class: no pair of one class
            continue
        i, j, _ = pairs[kind]
        for k in (i, j):
            maps.append(sig[k].mean(axis=0))  # (L, L): mean over heads
            titles.append(f"{kind}: {study.class_names[study.labels[k]]}")
    return TypicalPairs(np.stack(maps), titles, {k: v[2] for k, v in pairs.items()})
