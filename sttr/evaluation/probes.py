"""Order and identity probes: what a trained stream can see of frame order and of which joint is which.

The paper's TSA and SSA (``relative: False``, as the authors trained them) carry no position of their own: order and
joint identity reach the attention only through the layers before it. The probes feed every validation sequence
again, changed, and measure top-1 and how many predictions change:
- order: the valid frames in reverse, and the frames shuffled within consecutive blocks of k frames (k = 1 changes
  nothing, k = the window shuffles every frame);
- identity: the joints relabelled by one random permutation, and by the left/right swap of the skeleton layout
  (``Layout.mirror``: the same points in space, each side's joints under the other side's labels);
- the classes that need order: per-class accuracy on the pairs of actions that are each other's time reversal.
``order_blind`` makes a T-TR's layers before the attention frame-wise, so that what is left is exactly invariant to
frame order unless the attention itself knows positions (the authors' relative positions, ``relative: True``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from sttr.checkpoint import LoadedModel
from sttr.data.synthetic import time_reversed_class_names
from sttr.evaluation.findings import spread
from sttr.models.attention import TemporalSelfAttention
from sttr.models.units import UnitTCN
from sttr.skeleton import Layout

ORIGINAL, REVERSED, PERMUTED, MIRRORED = "original", "time reversed", "joints permuted", "left/right swapped"
TOP1, CHANGED = "top-1 (%)", "changed (%)"  # the two numbers of every probe
RELATIVE_TITLE = "T-TR (relative positions)"  # the model title of T-TR trained with ``relative: true``


@dataclass(frozen=True)
class Probe:
    """One change of the input: ``family`` "none" (the original), "order" or "identity"; ``block`` = k of a block
    shuffle (None otherwise)."""

    name: str
    family: str
    block: int | None = None


def block_name(k: int) -> str:
    """The probe name of a shuffle within blocks of ``k`` frames."""
    return f"shuffled in blocks of {k}"


def block_sizes(window: int) -> list[int]:
    """Block sizes k of the order probes: 1, 2, 4, ... below the window, and the window itself."""
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"block_sizes: expected a positive window in frames, got {window!r}")
    sizes = [1 << i for i in range(window.bit_length()) if 1 << i < window]
    return [*sizes, window]


def probe_list(window: int, blocks: Sequence[int] | None = None) -> list[Probe]:
    """The original, time reversal, block shuffles (``blocks``, default ``block_sizes(window)``), a random joint
    permutation and the left/right swap."""
    shuffles = [Probe(block_name(k), "order", k) for k in (block_sizes(window) if blocks is None else blocks)]
    return [Probe(ORIGINAL, "none"), Probe(REVERSED, "order"), *shuffles,
            Probe(PERMUTED, "identity"), Probe(MIRRORED, "identity")]  # fmt: skip


# ---------------------------------------------------------------------------------------- the changes of the input


def valid_lengths(x: torch.Tensor) -> torch.Tensor:
    """(N,) one past the last frame with a non-zero value of each (N, C, T, V, M) sample (T when all zero)."""
    nonzero = (x != 0).flatten(3).any(dim=(1, 3))  # (N, T)
    steps = torch.arange(1, x.shape[2] + 1, device=x.device)
    last = (nonzero * steps).amax(dim=1)  # (N,)
    return torch.where(last > 0, last, torch.full_like(last, x.shape[2]))


def _gather_frames(x: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """x (N, C, T, V, M) with frame t of sample n taken from frame order[n, t]."""
    n, c, t, v, m = x.shape
    return x.gather(2, order.view(n, 1, t, 1, 1).expand(n, c, t, v, m))


def reverse_time(x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """(N, C, T, V, M) with each sample's valid frames (``valid_lengths``) in reverse order; zero padding stays at
    the end."""
    lengths = valid_lengths(x) if lengths is None else lengths
    steps = torch.arange(x.shape[2], device=x.device).expand(x.shape[0], -1)  # (N, T)
    order = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return _gather_frames(x, order)


def shuffle_within_blocks(
    x: torch.Tensor, k: int, generator: torch.Generator, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """(N, C, T, V, M) with the valid frames of each sample cut into consecutive blocks of ``k`` (the last one
    shorter) and each block's frames put in a random order; the blocks keep their place."""
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"shuffle_within_blocks: expected a positive block size, got {k!r}")
    lengths = valid_lengths(x) if lengths is None else lengths
    n, t = x.shape[0], x.shape[2]
    steps = torch.arange(t, device=x.device).expand(n, -1)  # (N, T)
    block = torch.where(steps < lengths[:, None], steps // k, t + steps)  # padding: a block of its own per frame
    keys = block.double() + torch.rand(n, t, generator=generator, dtype=torch.float64).to(x.device)
    order = keys.argsort(dim=1)  # (N, T): sorted by block, randomly within each
    return _gather_frames(x, order)


def permute_joints(x: torch.Tensor, permutation: Sequence[int]) -> torch.Tensor:
    """(N, C, T, V, M) with joint v's values moved to joint permutation[v] (labels change, points stay)."""
    perm = torch.as_tensor(list(permutation), device=x.device)
    if sorted(perm.tolist()) != list(range(x.shape[3])):
        raise ValueError(f"permute_joints: expected a permutation of {x.shape[3]} joints, got {list(permutation)}")
    out = torch.empty_like(x)
    out[:, :, :, perm] = x
    return out


def random_permutation(num_joints: int, seed: int) -> list[int]:
    """The joint permutation of the identity probe, drawn from ``seed`` (the same for every model)."""
    return torch.randperm(num_joints, generator=torch.Generator().manual_seed(seed)).tolist()


def apply_probe(probe: Probe, x: torch.Tensor, layout: Layout, generator: torch.Generator, seed: int) -> torch.Tensor:
    """The input ``x`` (N, C, T, V, M) as ``probe`` changes it."""
    if probe.family == "none":
        return x
    if probe.name == REVERSED:
        return reverse_time(x)
    if probe.block is not None:
        return shuffle_within_blocks(x, probe.block, generator)
    if probe.name == PERMUTED:
        return permute_joints(x, random_permutation(x.shape[3], seed))
    if probe.name == MIRRORED:
        return permute_joints(x, layout.mirror())
    raise ValueError(f"apply_probe: unknown probe {probe!r}")


# ---------------------------------------------------------------------------------------------- one model, probed


# The columns of a time-reversed pair table (``ProbeResult.reversed_pairs``), one row per class of a pair.
PAIR_COLUMNS = ("class", "partner", "samples", "accuracy (%)", "reversed: accuracy (%)",
                "reversed: predicted as partner (%)")  # fmt: skip


@dataclass(frozen=True)
class ProbeResult:
    """One model's probes: ``predictions`` (probe name -> (S,) predicted classes), ``labels`` (S,), class names."""

    labels: np.ndarray
    predictions: dict[str, np.ndarray]
    probes: tuple[Probe, ...]
    class_names: tuple[str, ...]

    def table(self) -> pd.DataFrame:
        """One row per probe: probe, family, block (k), top-1 (%) and predictions changed from the original (%)."""
        original = self.predictions[ORIGINAL]
        rows = []
        for p in self.probes:
            pred = self.predictions[p.name]
            rows.append({"probe": p.name, "family": p.family, "block": p.block,
                         TOP1: 100.0 * float(np.mean(pred == self.labels)),
                         CHANGED: 100.0 * float(np.mean(pred != original))})  # fmt: skip
        return pd.DataFrame(rows)

    def reversed_pairs(self, pairs: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
        """Per class of each time-reversed pair (default ``time_reversed_class_names``, those this model knows):
        samples, accuracy on the original and on the time-reversed input (%), and the reversed samples predicted as
        the partner class (%) — what a model that sees order must do."""
        pairs = time_reversed_class_names() if pairs is None else pairs
        names = list(self.class_names)
        rows = []
        for a, b in pairs:
            if a not in names or b not in names:
                continue
            for cls, partner in ((a, b), (b, a)):
                mine = self.labels == names.index(cls)
                if not mine.any():
                    continue
                original, reversed_ = self.predictions[ORIGINAL][mine], self.predictions[REVERSED][mine]
                rows.append({
                    "class": cls, "partner": partner, "samples": int(mine.sum()),
                    "accuracy (%)": 100.0 * float(np.mean(original == names.index(cls))),
                    "reversed: accuracy (%)": 100.0 * float(np.mean(reversed_ == names.index(cls))),
                    "reversed: predicted as partner (%)": 100.0 * float(np.mean(reversed_ == names.index(partner))),
                })  # fmt: skip
        return pd.DataFrame(rows, columns=PAIR_COLUMNS)


@torch.no_grad()
def run_probes(
    loaded: LoadedModel, dataset, seed: int = 0, blocks: Sequence[int] | None = None, batch_size: int = 8
) -> ProbeResult:
    """Feed every sample of ``dataset`` (items (x (C, T, V, M), label, index), as ``loaded`` was trained) through
    ``loaded`` under every probe. The random changes are drawn from ``seed`` in dataset order, so every model sees
    the same changed inputs."""
    model = loaded.model.eval()
    device = next(model.parameters()).device
    window = int(dataset[0][0].shape[1])
    probes = tuple(probe_list(window, blocks))
    generator = torch.Generator().manual_seed(seed)
    labels: list[int] = []
    preds: dict[str, list[np.ndarray]] = {p.name: [] for p in probes}
    for start in range(0, len(dataset), batch_size):
        items = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        x = torch.stack([item[0] for item in items]).to(device)  # (N, C, T, V, M)
        labels.extend(int(item[1]) for item in items)
        for p in probes:
            if p.block == 1:  # blocks of one frame change nothing: the original's predictions
                continue
            changed = apply_probe(p, x, loaded.layout, generator, seed)
            preds[p.name].append(model(changed).argmax(dim=1).cpu().numpy())
    predictions = {name: np.concatenate(v) if v else np.zeros(0, np.int64) for name, v in preds.items()}
    for p in probes:
        if p.block == 1:
            predictions[p.name] = predictions[ORIGINAL]
    names = tuple(loaded.class_names) or tuple(getattr(dataset, "class_names", None) or [])
    return ProbeResult(np.asarray(labels), predictions, probes, names)


# ------------------------------------------------------------------------------- many models and seeds: the tables


def probe_seeds(results: Mapping[str, Mapping[int, ProbeResult]]) -> pd.DataFrame:
    """The per-seed table the claims read: one row per (model, seed, probe) with top-1 (%) and changed (%).
    ``results``: model title -> seed -> ``ProbeResult``."""
    frames = [r.table().assign(model=model, seed=seed) for model, runs in results.items() for seed, r in runs.items()]
    cols = ["model", "seed", "probe", "family", "block", TOP1, CHANGED]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def pair_seeds(results: Mapping[str, Mapping[int, ProbeResult]]) -> pd.DataFrame:
    """Per (model, seed, class) of the time-reversed pairs: ``ProbeResult.reversed_pairs`` rows, plus one row per
    (model, seed) with class "all pairs" pooling the pairs' samples."""
    frames = []
    for model, by_seed in results.items():
        for seed, r in by_seed.items():
            table = r.reversed_pairs()
            if table.empty:
                continue
            w = table["samples"]
            pooled = {"class": "all pairs", "partner": "", "samples": int(w.sum())}
            for col in PAIR_COLUMNS[3:]:  # the accuracies, weighted by samples
                pooled[col] = float((table[col] * w).sum() / w.sum())
            frames.append(pd.concat([table, pd.DataFrame([pooled])], ignore_index=True).assign(model=model, seed=seed))
    if not frames:  # no time-reversed pair among these classes (e.g. Kinetics-400, or a rehearsal's few classes)
        return pd.DataFrame(columns=[*PAIR_COLUMNS, "model", "seed"])
    return pd.concat(frames, ignore_index=True)


def seed_values(table: pd.DataFrame, model: str, column: str, **where: object) -> dict[int, float]:
    """Per seed, ``column`` of the rows of ``model`` matching ``where`` (e.g. ``probe=REVERSED`` in ``probe_seeds``,
    ``**{"class": "all pairs"}`` in ``pair_seeds``): the paired per-seed numbers a claims row needs."""
    rows = table[table["model"] == model]
    for key, value in where.items():
        rows = rows[rows[key] == value]
    if rows["seed"].duplicated().any():
        raise ValueError(f"seed_values: {model} {where} matches several rows per seed; name the probe or class")
    return {int(s): float(v) for s, v in zip(rows["seed"], rows[column])}


def mean_sd(table: pd.DataFrame, by: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Mean and sample sd over seeds of ``columns``, grouped by ``by`` in order of appearance; cells "m ± sd"
    (just m for one seed)."""
    out = table.groupby(list(by), sort=False, dropna=False)[list(columns)].agg(mean_sd_cell)
    return out.reset_index()


def mean_sd_cell(values: Sequence[float] | pd.Series) -> str:
    """"m ± sd" of ``values`` over seeds (sample sd; just m for one seed), one decimal."""
    s = spread(list(values))
    return f"{s.mean:.1f} ± {s.sd:.1f}" if s.n > 1 else f"{s.mean:.1f}"


def probe_summary(probes: pd.DataFrame) -> pd.DataFrame:
    """One row per probe (in probe order), per model "top-1 (%)" and "changed (%)" as "mean ± sd" over seeds."""
    cells = mean_sd(probes, ["model", "probe"], [TOP1, CHANGED])
    wide = cells.pivot(index="probe", columns="model", values=[TOP1, CHANGED])
    models = list(dict.fromkeys(probes["model"]))
    wide = wide.reindex(list(dict.fromkeys(probes["probe"])))
    wide.columns = [f"{model}: {col}" for col, model in wide.columns]
    return wide[[f"{m}: {c}" for m in models for c in (TOP1, CHANGED)]].reset_index()


def chance(results: Mapping[str, Mapping[int, ProbeResult]]) -> float:
    """Top-1 (%) of a uniform guess: 100 / the number of classes of the probed models."""
    first = next(r for by_seed in results.values() for r in by_seed.values())
    return 100.0 / len(first.class_names)


def paired_seeds(probes: pd.DataFrame, pairs: pd.DataFrame, model_a: str, model_b: str) -> pd.DataFrame:
    """Per seed both models ran with, ``model_b`` and ``model_a`` side by side and b - a (points): top-1, top-1
    time reversed, top-1 with every frame shuffled, and time-reversed pair samples predicted as the partner class.
    The paired per-seed numbers of "relative positions restore order" (a = T-TR, b = T-TR with relative positions)."""
    full = block_name(int(probes["block"].max()))
    measures = {
        "top-1 (%)": (probes, TOP1, {"probe": ORIGINAL}),
        "top-1 time reversed (%)": (probes, TOP1, {"probe": REVERSED}),
        "top-1 all frames shuffled (%)": (probes, TOP1, {"probe": full}),
        "reversed pairs: predicted as partner (%)":
            (pairs, "reversed: predicted as partner (%)", {"class": "all pairs"}),
    }
    rows: dict[int, dict[str, float]] = {}
    for measure, (table, column, where) in measures.items():
        if table.empty:
            continue
        a, b = seed_values(table, model_a, column, **where), seed_values(table, model_b, column, **where)
        for seed in sorted(set(a) & set(b)):
            row = rows.setdefault(seed, {"seed": seed})
            row.update({f"{measure}: {model_a}": a[seed], f"{measure}: {model_b}": b[seed],
                        f"{measure}: difference": b[seed] - a[seed]})  # fmt: skip
    return pd.DataFrame(list(rows.values()))


def conclusions(
    probes: pd.DataFrame, pairs: pd.DataFrame, compare: tuple[str, str] | None = None
) -> list[str]:
    """Plain sentences from ``probe_seeds`` and ``pair_seeds``: per model what order and identity changes do to its
    top-1 and predictions (mean ± sd over seeds), and, for ``compare`` = (a, b), b - a per seed (``paired_seeds``)."""
    lines = []
    for model, rows in probes.groupby("model", sort=False):
        cell = rows.groupby("probe", sort=False)[[TOP1, CHANGED]].agg(mean_sd_cell)  # "m ± sd" over seeds
        base = cell.loc[ORIGINAL, TOP1]
        rev, perm, mir = cell.loc[REVERSED], cell.loc[PERMUTED], cell.loc[MIRRORED]
        full = cell.loc[block_name(int(rows["block"].max()))]
        lines.append(
            f"{model}: top-1 {base}% on the original; reversing time changes {rev[CHANGED]}% of its "
            f"predictions (top-1 {rev[TOP1]}%), shuffling every frame {full[CHANGED]}% (top-1 {full[TOP1]}%); "
            f"relabelling the joints at random changes {perm[CHANGED]}% (top-1 {perm[TOP1]}%), "
            f"swapping left and right {mir[CHANGED]}% (top-1 {mir[TOP1]}%)."
        )
        if not pairs.empty and model in set(pairs["model"]):
            pooled = pairs[(pairs["model"] == model) & (pairs["class"] == "all pairs")]
            acc, partner = pooled["reversed: accuracy (%)"], pooled["reversed: predicted as partner (%)"]
            tells = partner.mean() > acc.mean()
            verb = "tells the reversed pairs apart" if tells else "does not tell the reversed pairs apart"
            lines.append(
                f"  On the time-reversed pairs it {verb}: a reversed sample is predicted as the partner class "
                f"{mean_sd_cell(partner)}% of the time and as its own class {mean_sd_cell(acc)}%."
            )
    if compare is not None and {*compare} <= set(probes["model"]):
        paired = paired_seeds(probes, pairs, *compare)
        if not paired.empty:
            parts = []
            for measure in ("top-1 (%)", "top-1 time reversed (%)", "reversed pairs: predicted as partner (%)"):
                column = f"{measure}: difference"
                if column in paired:
                    d = spread(paired[column].tolist())
                    sd = f" ± {d.sd:.1f}" if d.n > 1 else ""
                    parts.append(f"{measure.removesuffix(' (%)')} by {d.mean:+.1f}{sd} points")
            lines.append(
                f"{compare[1]} against {compare[0]}, paired by seed over {len(paired)} seed(s) (mean ± sd of the "
                f"differences): " + ", ".join(parts) + "."
            )
    return lines


# ------------------------------------------------------------------------------------- exact order invariance


def order_blind(model: nn.Module) -> nn.Module:
    """A copy of a stream network whose layers before (and around) the attention are frame-wise: every temporal
    convolution becomes the 1x1 conv with its taps summed (its output on a motionless input) and every stride 1.
    GCNs, BNs in eval mode and the attention's projections already act per frame, so what is left of a T-TR sees
    frame order only through relative positions; without them it is exactly invariant to the order of frames."""
    blind = copy.deepcopy(model).eval()
    for module in blind.modules():
        if isinstance(module, UnitTCN):
            conv = module.conv
            conv.weight = nn.Parameter(conv.weight.sum(dim=2, keepdim=True))  # (C_out, C_in, 1, 1)
            conv.kernel_size, conv.stride, conv.padding = (1, 1), (1, 1), (0, 0)
        elif isinstance(module, TemporalSelfAttention):
            conv = module.qkv_conv
            conv.weight = nn.Parameter(conv.weight.sum(dim=3, keepdim=True))  # (C_qkv, C_in, 1, 1)
            conv.kernel_size, conv.stride = (1, 1), (1, 1)
            module.stride = 1
        elif isinstance(module, nn.Conv2d) and (module.kernel_size[0] != 1 or module.stride[0] != 1):
            raise ValueError(f"order_blind: a temporal convolution outside a TCN unit: {module}")
    return blind


@torch.no_grad()
def order_invariance(model: nn.Module, x: torch.Tensor, seed: int = 0) -> pd.DataFrame:
    """Largest |logit change| (float64) of ``order_blind(model)`` under time reversal and a full shuffle of the
    frames of ``x`` (N, C, T, V, M), with the logit scale for reference: 0 up to float64 rounding (~1e-15) for the
    paper's T-TR, of the order of the logits with the authors' relative positions."""
    blind = order_blind(model).double()
    x = x.double()
    generator = torch.Generator().manual_seed(seed)
    logits = blind(x)
    changes = {REVERSED: reverse_time(x), block_name(x.shape[2]): shuffle_within_blocks(x, x.shape[2], generator)}
    rows = []
    for name, changed in changes.items():
        rows.append({"probe": name, "max abs logit change": float((blind(changed) - logits).abs().max()),
                     "max abs logit": float(logits.abs().max())})  # fmt: skip
    return pd.DataFrame(rows)
