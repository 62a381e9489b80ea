"""Results over seeds: mean and spread, the paper's fusion per seed pair beside the same-stream ensemble control,
and per-class accuracy and gains over seeds.

Accuracies here are in percent. A stream trained with seeds s_1..s_n gives n values; the standard deviation is
the sample one (n - 1 in the denominator), undefined for one seed. Two streams are fused seed by seed
(S-TR seed s_i with T-TR seed s_i); the ensemble control fuses two seeds of one stream in disjoint pairs
(s_1 with s_2, s_3 with s_4, ...), so no run is counted in two pairs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sttr.evaluation.metrics import confusion_matrix, per_class_accuracy
from sttr.evaluation.scores import Scores, fuse_scores
from sttr.streams import TITLES

Pair = tuple[int, int]


@dataclass(frozen=True)
class Spread:
    """Values over seeds (or seed pairs): their mean, sample standard deviation and count."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def sd(self) -> float:
        return float(np.std(self.values, ddof=1)) if self.n > 1 else math.nan

    def __str__(self) -> str:
        if not self.values:
            return "not run"
        if self.n == 1:
            return f"{self.mean:.1f} (n = 1)"
        return f"{self.mean:.1f} ± {self.sd:.1f} (n = {self.n})"


def spread(values: Sequence[float]) -> Spread:
    """``Spread`` of a sequence of numbers."""
    return Spread(tuple(float(v) for v in values))


def correctness(scores: Mapping[object, Scores]) -> np.ndarray:
    """(runs, N) 1 where a run's top-1 prediction is right, in the mapping's order."""
    return np.stack([(s.scores.argmax(axis=1) == s.labels).astype(np.float64) for s in scores.values()])


def top1(scores: Mapping[int, Scores]) -> Spread:
    """Top-1 accuracy (%) of each seed's scores."""
    return spread([100.0 * s.top1() for s in scores.values()])


def disjoint_pairs(seeds: Sequence[int]) -> list[Pair]:
    """Two seeds of one stream to fuse, in disjoint pairs: (s_1, s_2), (s_3, s_4), ... (an odd last seed unused)."""
    a = sorted(seeds)
    return [(a[i], a[i + 1]) for i in range(0, len(a) - 1, 2)]


def seed_pairs(seeds_a: Sequence[int], seeds_b: Sequence[int] | None = None) -> list[Pair]:
    """Seed pairs to fuse: two streams seed by seed (``seeds_b`` given), or two seeds of one stream in disjoint
    pairs (none for a single seed)."""
    if seeds_b is None:
        return disjoint_pairs(seeds_a)
    return list(zip(sorted(seeds_a), sorted(seeds_b)))


def fuse_pairs(
    a: Mapping[int, Scores], b: Mapping[int, Scores] | None = None, pairs: Sequence[Pair] | None = None
) -> dict[Pair, Scores]:
    """The paper's fusion (sum of softmax scores) of each seed pair: two streams, or two seeds of stream ``a``."""
    pairs = seed_pairs(list(a), None if b is None else list(b)) if pairs is None else pairs
    other = a if b is None else b
    return {(i, j): fuse_scores([a[i], other[j]]) for i, j in pairs}


def fusion_gain(a: Mapping[int, Scores], b: Mapping[int, Scores] | None = None) -> tuple[Spread, Spread]:
    """Top-1 (%) of the fused seed pairs, and their gain over the better run of each pair (points)."""
    other = a if b is None else b
    fused = fuse_pairs(a, b)
    acc = [100.0 * s.top1() for s in fused.values()]
    gain = [f - 100.0 * max(a[i].top1(), other[j].top1()) for f, (i, j) in zip(acc, fused)]
    return spread(acc), spread(gain)


# Runs by (stream, bones) -> seed -> validation scores (of the last epoch, as reported).
Runs = Mapping[tuple[str, bool], Mapping[int, Scores]]


def stream_runs(runs: Runs, stream: str, bones: bool = False) -> Mapping[int, Scores]:
    """The runs of one stream, or for ``"fused"`` the paper's ST-TR: S-TR + T-TR fused seed by seed; empty when
    not run."""
    if stream == "fused":
        s, t = runs.get(("spatial", bones), {}), runs.get(("temporal", bones), {})
        return fuse_pairs(s, t) if s and t else {}
    return runs.get((stream, bones), {})


def per_class_over_seeds(scores: Mapping[int, Scores]) -> pd.DataFrame:
    """Per-class accuracy (%) of each seed: columns ``label, name, samples`` and one column per seed."""
    table = None
    for seed, s in scores.items():
        acc = per_class_accuracy(s.scores, s.labels, s.class_names)
        if table is None:
            table = acc[["label", "name", "samples"]].copy()
        table[seed] = 100.0 * acc["accuracy"].to_numpy()
    return table


def seed_pair_gains(
    model: Mapping[int, Scores], baseline: Mapping[int, Scores]
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Per-class accuracy (%) of each seed of ``model`` and of ``baseline`` (``per_class_over_seeds``), and the
    per-class gain (points) of each seed pair, (K, pairs)."""
    a, b = per_class_over_seeds(model), per_class_over_seeds(baseline)
    pairs = seed_pairs(list(model), list(baseline))
    gains = np.stack([a[i].to_numpy() - b[j].to_numpy() for i, j in pairs], axis=1)  # (K, pairs)
    return a, b, gains


def per_class_gains(model: Mapping[int, Scores], baseline: Mapping[int, Scores]) -> pd.DataFrame:
    """Per-class gain (points) of ``model`` over ``baseline``: the difference of the mean per-class accuracies
    with its 95 % interval (``sttr.evaluation.stats``: seeds and the class's validation samples), the sd over
    seed pairs, n and the rank of each class (1 = the largest mean gain), with both models' mean per-class
    accuracy (%). Intervals are clipped to the possible range, [-100, 100]. A class without validation samples has no
    gain and no rank."""
    from sttr.evaluation.stats import difference

    a, b, gains = seed_pair_gains(model, baseline)
    out = a[["label", "name", "samples"]].copy()
    out["accuracy (%)"] = a[list(model)].mean(axis=1)
    out["baseline accuracy (%)"] = b[list(baseline)].mean(axis=1)
    out["gain mean"] = out["accuracy (%)"] - out["baseline accuracy (%)"]
    out["gain sd"] = gains.std(axis=1, ddof=1) if gains.shape[1] > 1 else np.nan
    out["n"] = gains.shape[1]
    first = next(iter(model.values()))
    right_a, right_b = correctness(model), correctness(baseline)  # (runs, N)
    low, high = np.full(len(out), np.nan), np.full(len(out), np.nan)
    for i, label in enumerate(out["label"]):
        idx = np.flatnonzero(first.labels == label)
        if idx.size and len(model) > 1 and len(baseline) > 1:
            low[i], high[i] = np.clip(difference(right_a[:, idx], right_b[:, idx], paired=False).interval, -100, 100)
    out["gain low"], out["gain high"] = low, high
    out["rank"] = out["gain mean"].rank(ascending=False, method="min").astype("Int64")
    return out.sort_values(["rank", "label"], na_position="last").reset_index(drop=True)


def pair_collapses(scores: Mapping[int, Scores], threshold: float = 25.0, top: int | None = None) -> pd.DataFrame:
    """Class pairs where one class goes to the other: the share (%) of class a's samples predicted as b, summed
    over seeds, for every pair above ``threshold`` percent (the ``top`` largest when given), largest first."""
    first = next(iter(scores.values()))
    names = list(first.class_names or [str(i) for i in range(first.num_classes)])
    matrix = summed_confusion(scores).astype(np.float64)
    totals = matrix.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100.0 * matrix / totals
    np.fill_diagonal(share, np.nan)
    rows = [{"class": names[i], "predicted as": names[j], "share (%)": share[i, j], "samples": int(totals[i, 0])}
            for i, j in zip(*np.nonzero(np.nan_to_num(share) > threshold))]  # fmt: skip
    out = pd.DataFrame(rows, columns=["class", "predicted as", "share (%)", "samples"])
    out = out.sort_values(["share (%)", "class"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return out if top is None else out.head(top)


def summed_confusion(scores: Mapping[int, Scores]) -> np.ndarray:
    """(K, K) counts summed over seeds: rows = true class, columns = predicted class."""
    first = next(iter(scores.values()))
    k = first.num_classes
    return sum(confusion_matrix(s.scores, s.labels, k) for s in scores.values())


def seed_summary(run_table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean ± sd over seeds of a run table (``Companion.run_table``) per model and input: top-1 and top-5 of the
    last epoch, and top-1 of the best epoch. Returns (numbers for the CSV, cells for display)."""
    numbers, display = [], []
    columns = ("top-1 last (%)", "top-5 last (%)", "top-1 best (%)")
    trained = run_table[run_table["seed"] != "checkpoint"] if len(run_table) else run_table
    for (model, inputs), group in trained.groupby(["model", "input"], sort=False):
        num: dict[str, object] = {"model": model, "input": inputs, "n": len(group)}
        show: dict[str, object] = {"model": model, "input": inputs}
        for column in columns:
            s = spread(group[column].dropna())
            num[f"{column} mean"], num[f"{column} sd"] = s.mean, s.sd
            show[column] = str(s)
        numbers.append(num)
        display.append(show)
    return pd.DataFrame(numbers), pd.DataFrame(display)


def fusion_table(runs: Runs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's two-stream fusion beside the ensemble control: top-1 (%) of S-TR + T-TR (seed by seed) and of
    two seeds of one stream, with the gain over the better run of each pair. Returns (numbers, display)."""
    combos = [("ST-TR (S-TR + T-TR)", runs.get(("spatial", False), {}), runs.get(("temporal", False), {}))]
    combos += [(f"{TITLES[s]} + {TITLES[s]} (two seeds)", runs.get((s, False), {}), None)
               for s in ("stgcn", "spatial", "temporal")]  # fmt: skip
    numbers, display = [], []
    for name, a, b in combos:
        if not a or (b is not None and not b):
            continue
        acc, gain = fusion_gain(a, b)
        if not acc.n:
            continue
        numbers.append({"fusion": name, "pairs": acc.n, "top-1 mean": acc.mean, "top-1 sd": acc.sd,
                        "gain mean": gain.mean, "gain sd": gain.sd})  # fmt: skip
        display.append({"fusion": name, "top-1 (%)": str(acc), "gain over the better run of the pair (points)": str(gain)})
    return pd.DataFrame(numbers), pd.DataFrame(display)


def convergence(run_table: pd.DataFrame) -> pd.DataFrame:
    """Per trained run: top-1 of the last and of the best validation epoch and their gap (points), the check
    that training reached its plateau (the last epoch within 1 point of the best)."""
    trained = run_table.dropna(subset=["best epoch"])
    out = trained[["model", "input", "seed", "epochs", "top-1 last (%)", "top-1 best (%)", "best epoch"]].copy()
    out["gap (points)"] = out["top-1 best (%)"] - out["top-1 last (%)"]
    out["last within 1 point of best"] = out["gap (points)"] <= 1.0
    return out.reset_index(drop=True)


def per_class_table(runs: Runs, streams: Sequence[str] = ("stgcn", "spatial", "temporal")) -> pd.DataFrame:
    """Per-class accuracy (%) on joints, mean over seeds, one column per model, with the samples per class."""
    table = None
    for stream in streams:
        if (stream, False) not in runs:
            continue
        acc = per_class_over_seeds(runs[(stream, False)])
        seeds = [c for c in acc.columns if c not in ("label", "name", "samples")]
        if table is None:
            table = acc[["label", "name", "samples"]].copy()
        table[TITLES[stream]] = acc[seeds].mean(axis=1)
    return table


def confusion_between(scores: Mapping[int, Scores], pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """For pairs of classes (a, b): the fraction (%) of a's samples predicted as b and of b's as a, summed
    over seeds; e.g. actions that are each other's time reversal."""
    first = next(iter(scores.values()))
    names = list(first.class_names or [])
    matrix = summed_confusion(scores)
    rows = []
    for a, b in pairs:
        if a not in names or b not in names:
            continue
        i, j = names.index(a), names.index(b)
        rows.append({"class": a, "confused with": b, "predicted as the other (%)": 100.0 * matrix[i, j] / matrix[i].sum(),
                     "the other predicted as it (%)": 100.0 * matrix[j, i] / matrix[j].sum()})  # fmt: skip
    return pd.DataFrame(rows)
