"""Figures of the companion: SSA/TSA attention maps, skeleton drawings, per-class gains, curves, counts.

Every figure has a title, labelled axes and a colour bar where colour encodes a value; ``save_figure``
writes PNG and SVG with stable bytes so committed figures only change when their content does.
Imports only numpy, pandas, matplotlib, seaborn and the skeleton layout.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sttr.skeleton import EDGES, JOINT_NAMES, NUM_JOINTS

log = logging.getLogger(__name__)

DPI = 150
SVG_HASHSALT = "sttr"
PERSON_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple")


def _as_array(x, name: str) -> np.ndarray:
    """A float numpy array from a numpy array, list or (CPU/GPU, grad or not) torch tensor."""
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    arr = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values, found NaN or inf")
    return arr


def _axes_list(ax, n: int, ncols: int, panel: tuple[float, float]) -> tuple[Figure, list[Axes], bool]:
    """``n`` axes: the caller's (one Axes or a sequence of at least ``n``) or a new grid.

    Returns (figure, axes, created) where ``created`` says the figure is ours to title and lay out.
    """
    if ax is None:
        ncols = max(1, min(ncols, n))
        nrows = -(-n // ncols)
        fig, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(panel[0] * ncols, panel[1] * nrows),
            squeeze=False,
            layout="constrained",
        )
        flat = list(grid.ravel())
        for extra in flat[n:]:
            extra.set_visible(False)
        return fig, flat[:n], True
    flat = [ax] if isinstance(ax, Axes) else list(np.asarray(ax, dtype=object).ravel())
    if len(flat) < n:
        raise ValueError(f"ax: expected {n} axes (one per panel), got {len(flat)}")
    return flat[0].figure, flat[:n], False


def _heatmap_stack(
    w: np.ndarray,
    *,
    title: str,
    panel_titles: Sequence[str],
    ax,
    xlabel: str,
    ylabel: str,
    ticks: np.ndarray,
    xticklabels: Sequence[str],
    yticklabels: Sequence[str],
    uniform: float,
    span: float | None,
    panel: tuple[float, float],
    tick_fontsize: float,
    rotate_x: bool,
    ncols: int = 4,
) -> Figure:
    """Draw (P, L, L) attention maps as P heatmaps on one colour scale centred on uniform attention ``uniform``
    (white; red above, blue below), spanning ``span`` either side (default: the largest deviation in ``w``).
    In a grid only the outer panels carry tick labels: the panels share their rows and columns."""
    n = w.shape[0]
    fig, axes, created = _axes_list(ax, n, ncols=ncols, panel=panel)
    if span is None:
        span = float(np.abs(w - uniform).max())
    span = max(span, 1e-3 * uniform)  # a uniform map still gets a scale
    columns = max(1, min(ncols, n)) if created else n
    image = None
    for i, (a, m, panel_title) in enumerate(zip(axes, w, panel_titles)):
        image = a.imshow(m, cmap="RdBu_r", vmin=uniform - span, vmax=uniform + span, interpolation="nearest",
                         aspect="auto")  # fmt: skip
        first_column, last_row = i % columns == 0, i >= n - columns
        a.set_xticks(ticks, labels=xticklabels if last_row or not created else [], rotation=90 if rotate_x else 0,
                     fontsize=tick_fontsize)  # fmt: skip
        a.set_yticks(ticks, labels=yticklabels if first_column or not created else [], fontsize=tick_fontsize)
        if last_row or not created:
            a.set_xlabel(xlabel)
        if first_column or not created:
            a.set_ylabel(ylabel)
        a.set_title(panel_title, fontsize=10)
    label = f"attention weight (white: uniform, {uniform:.3g})"
    fig.colorbar(image, ax=axes, label=label, shrink=0.9 if n > 1 else 1.0)
    if n > 1 and created:
        fig.suptitle(title)
    return fig


def _stack(weights, name: str) -> np.ndarray:
    """(L, L) or (P, L, L) maps as (P, L, L); anything else is an error naming ``name``."""
    w = _as_array(weights, name)
    if w.ndim == 2:
        w = w[None]  # (1, L, L)
    if w.ndim != 3 or w.shape[1] != w.shape[2]:
        raise ValueError(f"{name}: expected (V, V) or (N_h, V, V) maps, got shape {tuple(w.shape)}")
    return w


def plot_ssa_map(
    weights,
    joint_names: Sequence[str] = JOINT_NAMES,
    title: str = "SSA: joint-by-joint attention",
    ax=None,
    panel_titles: Sequence[str] | None = None,
    span: float | None = None,
) -> Figure:
    """Heatmap of Spatial Self-Attention weights, query joints as rows, key joints as columns, coloured by
    their difference from uniform attention 1/V.

    ``weights`` is (V, V) or (P, V, V) (heads, or maps to compare), drawn on one shared scale; ``span`` fixes
    it (e.g. to share it with another figure); ``panel_titles`` default to "head i".
    """
    w = _stack(weights, "weights")
    panels, num_joints = w.shape[0], w.shape[1]
    names = list(joint_names)
    if len(names) != num_joints:
        raise ValueError(f"joint_names: expected {num_joints} names (one per joint), got {len(names)}")
    if panel_titles is None:
        panel_titles = [title] if panels == 1 else [f"head {h + 1}" for h in range(panels)]
    return _heatmap_stack(
        w,
        title=title,
        panel_titles=panel_titles,
        ax=ax,
        xlabel="key joint (attended to)",
        ylabel="query joint",
        ticks=np.arange(num_joints),
        xticklabels=names,
        yticklabels=names,
        uniform=1.0 / num_joints,
        span=span,
        panel=(4.6, 4.4),
        tick_fontsize=6.5,
        rotate_x=True,
    )


def plot_tsa_map(
    weights,
    title: str = "TSA: frame-by-frame attention",
    frame_stride: int = 1,
    ax=None,
    panel_titles: Sequence[str] | None = None,
    span: float | None = None,
) -> Figure:
    """Heatmap of Temporal Self-Attention weights over the T' frames a layer sees (query rows, key columns),
    coloured by their difference from uniform attention 1/T'.

    ``frame_stride`` (the temporal stride before that layer) turns layer frames into input frame numbers.
    ``weights`` is (T', T') or (P, T', T'), drawn on one shared scale.
    """
    if frame_stride < 1:
        raise ValueError(f"frame_stride: expected a positive integer, got {frame_stride}")
    w = _stack(weights, "weights")
    panels, frames = w.shape[0], w.shape[1]
    ticks = np.unique(np.linspace(0, frames - 1, num=min(frames, 9)).round().astype(int))
    labels = [str(int(t) * frame_stride) for t in ticks]
    unit = "input frame" if frame_stride == 1 else f"input frame (layer stride {frame_stride})"
    if panel_titles is None:
        panel_titles = [title] if panels == 1 else [f"head {h + 1}" for h in range(panels)]
    return _heatmap_stack(
        w,
        title=title,
        panel_titles=panel_titles,
        ax=ax,
        xlabel=f"key {unit}",
        ylabel=f"query {unit}",
        ticks=ticks,
        xticklabels=labels,
        yticklabels=labels,
        uniform=1.0 / frames,
        span=span,
        panel=(4.4, 4.0),
        tick_fontsize=8,
        rotate_x=False,
    )


def _skeleton_frames(xyz) -> np.ndarray:
    """(T, V, 3) or (3, T, V, M) -> (T, V, M, 3)."""
    arr = _as_array(xyz, "xyz")
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = arr[:, :, None, :]  # (T, V, 1, 3)
    elif arr.ndim == 4 and arr.shape[0] == 3:
        arr = arr.transpose(1, 2, 3, 0)  # (T, V, M, 3)
    else:
        raise ValueError(f"xyz: expected (T, V, 3) or (3, T, V, M), got shape {tuple(arr.shape)}")
    if arr.shape[1] != NUM_JOINTS:
        raise ValueError(f"xyz: expected {NUM_JOINTS} joints (NTU layout), got {arr.shape[1]}")
    return arr


def _draw_bones(ax: Axes, joints: np.ndarray, colour: str, label: str | None, alpha: float = 1.0) -> None:
    """Bones from ``sttr.skeleton.EDGES`` and joint dots for one (V, 2) body."""
    segments = [(joints[c], joints[p]) for c, p in EDGES]
    ax.add_collection(LineCollection(segments, colors=colour, linewidths=2.0, alpha=alpha, label=label))
    ax.scatter(joints[:, 0], joints[:, 1], s=10, color=colour, alpha=alpha, zorder=3)


def _plane_axes(plane: str) -> tuple[int, int]:
    """Coordinate indices of a projection plane: "xy" for camera space (y up), "xz" after Shi et al.'s
    normalisation (spine along +z, shoulders along +x)."""
    if len(plane) != 2 or any(c not in "xyz" for c in plane) or plane[0] == plane[1]:
        raise ValueError(f"plane: expected two of x, y, z such as 'xy' or 'xz', got {plane!r}")
    return "xyz".index(plane[0]), "xyz".index(plane[1])


def _set_equal_limits(axes: Iterable[Axes], points: np.ndarray) -> None:
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-3) * 1.1
    for a in axes:
        a.set_xlim(centre[0] - half, centre[0] + half)
        a.set_ylim(centre[1] - half, centre[1] + half)
        a.set_aspect("equal")


def plot_skeleton(
    xyz,
    frames: Sequence[int] | None = None,
    axes=None,
    title: str = "Skeleton (x-y projection)",
    plane: str = "xy",
) -> Figure:
    """Draw the skeleton at a few frames, projected on ``plane`` ("xy" raw, "xz" normalised), one colour per person.

    ``xyz`` is (T, V, 3) or the (3, T, V, M) model layout; ``frames`` defaults to four frames spread over
    the frames with data (the zero padding is skipped); an all-zero person is not drawn.
    """
    seq = _skeleton_frames(xyz)  # (T, V, M, 3)
    present = np.abs(seq).sum(axis=(1, 3)) > 0  # (T, M): person m has data at frame t
    if frames is None:
        valid = np.flatnonzero(present.any(axis=1))
        if valid.size == 0:
            raise ValueError("xyz: every frame is zero, nothing to draw")
        picks = np.linspace(0, valid.size - 1, num=min(4, valid.size)).round().astype(int)
        frames = sorted({int(valid[i]) for i in picks})
    frames = [int(f) for f in frames]
    for f in frames:
        if not 0 <= f < seq.shape[0]:
            raise ValueError(f"frames: frame {f} is outside the sequence of {seq.shape[0]} frames")
    axes_idx = _plane_axes(plane)
    fig, axs, created = _axes_list(axes, len(frames), ncols=4, panel=(3.4, 3.6))
    drawn: list[np.ndarray] = []
    persons_drawn: set[int] = set()
    for a, f in zip(axs, frames):
        for m in range(seq.shape[2]):
            if not present[f, m]:
                continue
            joints = seq[f, :, m][:, list(axes_idx)]  # (V, 2): projection on the plane
            colour = PERSON_COLOURS[m % len(PERSON_COLOURS)]
            _draw_bones(a, joints, colour, label=f"person {m + 1}")
            drawn.append(joints)
            persons_drawn.add(m)
        a.set_title(f"frame {f}")
        a.set_xlabel(plane[0])
        a.set_ylabel(plane[1])
    if not drawn:
        raise ValueError(f"xyz: no person has data at frames {frames}")
    _set_equal_limits(axs, np.concatenate(drawn))
    if len(persons_drawn) > 1:
        handles = [
            Line2D([], [], color=PERSON_COLOURS[m % len(PERSON_COLOURS)], lw=2, label=f"person {m + 1}")
            for m in sorted(persons_drawn)
        ]
        axs[-1].legend(handles=handles, loc="best", fontsize=8)
    if created and len(axs) > 1:
        fig.suptitle(title)
    elif len(axs) == 1:
        axs[0].set_title(f"{title}, frame {frames[0]}")
    return fig


def _label_joints(ax: Axes, xy: np.ndarray, joints: Sequence[int], names: Sequence[str]) -> None:
    """Name ``joints`` beside the skeleton without overlaps: labels in a column right of the body, at least a
    line apart, each joined to its joint by a thin line."""
    ax.apply_aspect()  # the equal-aspect box sets how many pixels a metre takes
    (x0, y0), (x1, y1) = ax.transData.transform([(0.0, 0.0), (1.0, 1.0)])
    gap = 1.5 * 7 * ax.figure.dpi / 72 / abs(y1 - y0)  # one and a half lines of 7-point text, in data units
    right = float(xy[:, 0].max()) + 20 * ax.figure.dpi / 72 / abs(x1 - x0)  # 20 points right of the body
    placed: list[float] = []
    for j in sorted(joints, key=lambda j: -xy[j, 1]):  # top to bottom
        y = float(xy[j, 1]) if not placed else min(float(xy[j, 1]), placed[-1] - gap)
        placed.append(y)
        ax.annotate(names[j], xy[j], xytext=(right, y), textcoords="data", fontsize=7, va="center",
                    arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5})  # fmt: skip
    lo, hi = ax.get_ylim()
    if placed and placed[-1] - gap < lo:  # room for labels pushed below the body
        ax.set_ylim(placed[-1] - gap, hi)


def plot_attention_links(
    xyz_frame,
    weights,
    top: int = 10,
    joint_names: Sequence[str] = JOINT_NAMES,
    title: str | None = None,
    ax=None,
    cmap: str = "plasma",
    plane: str = "xy",
) -> Figure:
    """The ``top`` strongest SSA links (query joint -> key joint, self-links excluded) drawn on the skeleton.

    ``xyz_frame`` is one frame (V, 3), ``weights`` (V, V) SSA weights (average heads first); a link's
    colour, width and opacity grow with its weight.
    """
    joints = _as_array(xyz_frame, "xyz_frame")
    w = _as_array(weights, "weights")
    if joints.shape != (NUM_JOINTS, 3):
        raise ValueError(f"xyz_frame: expected ({NUM_JOINTS}, 3), got shape {tuple(joints.shape)}")
    if w.shape != (NUM_JOINTS, NUM_JOINTS):
        raise ValueError(f"weights: expected ({NUM_JOINTS}, {NUM_JOINTS}), got shape {tuple(w.shape)}")
    if top < 1:
        raise ValueError(f"top: expected a positive number of links, got {top}")
    names = list(joint_names)
    off = np.where(np.eye(NUM_JOINTS, dtype=bool), -np.inf, w)  # self-attention has no line to draw
    order = np.argsort(-off, axis=None, kind="stable")[: min(top, NUM_JOINTS * (NUM_JOINTS - 1))]
    queries, keys = np.unravel_index(order, w.shape)
    values = w[queries, keys]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 6.4), layout="constrained")
    fig = ax.figure
    xy = joints[:, list(_plane_axes(plane))]  # (V, 2): projection on the plane
    _draw_bones(ax, xy, "0.75", label="bones")
    norm = mpl.colors.Normalize(vmin=float(values.min()), vmax=float(values.max()))
    if norm.vmax <= norm.vmin:
        norm = mpl.colors.Normalize(vmin=norm.vmin - 1e-6, vmax=norm.vmax + 1e-6)
    colour_map = mpl.colormaps[cmap]
    strength = norm(values)  # 0 weakest .. 1 strongest of the drawn links
    colours = colour_map(strength)
    colours[:, 3] = 0.35 + 0.65 * strength
    segments = [(xy[q], xy[k]) for q, k in zip(queries, keys)]
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=1.0 + 4.0 * strength, zorder=2))
    ax.scatter(xy[queries, 0], xy[queries, 1], marker="^", s=45, color="black", zorder=4,
               label="query joint")  # fmt: skip
    _set_equal_limits([ax], xy)
    _label_joints(ax, xy, sorted(set(queries.tolist()) | set(keys.tolist())), names)
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=colour_map)
    fig.colorbar(mappable, ax=ax, label="SSA weight (query -> key)", shrink=0.7)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel(f"{plane[0]} (m, normalised)")
    ax.set_ylabel(f"{plane[1]} (m, normalised)")
    ax.set_title(title or f"Strongest SSA links (top {len(values)})")
    return fig


_LABEL_COLUMNS = ("class_name", "class", "name", "action")


def _label_series(df: pd.DataFrame, label: str | None) -> pd.Series:
    if label is not None:
        if label not in df.columns:
            raise ValueError(f"label: column {label!r} not in the table (columns: {list(df.columns)})")
        return df[label].astype(str)
    for candidate in _LABEL_COLUMNS:
        if candidate in df.columns:
            return df[candidate].astype(str)
    return pd.Series(df.index.astype(str), index=df.index)


def plot_per_class_gain(
    df: pd.DataFrame,
    highlight: Iterable[str] = (),
    title: str = "Per-class accuracy gain",
    model: str = "model",
    baseline: str = "baseline",
) -> Figure:
    """Per-class gain of a model over a baseline (points, mean ± sd over seeds) as sorted bars, beside both
    models' absolute per-class accuracy (%); ``highlight`` names are bold and coloured.

    ``df`` is ``sttr.evaluation.findings.per_class_gains``' table: ``name``, ``gain mean``, ``gain sd``,
    ``accuracy (%)``, ``baseline accuracy (%)`` and ``samples``.
    """
    need = {"name", "gain mean", "accuracy (%)", "baseline accuracy (%)"}
    if not need <= set(df.columns):
        raise ValueError(f"df: expected columns {sorted(need)}, got {list(df.columns)}")
    marked = set(highlight)
    missing = marked - set(df["name"])
    if missing:
        log.warning("highlight: classes not in the table: %s", sorted(missing))
    table = df.sort_values(["gain mean", "name"], kind="stable").reset_index(drop=True)  # largest gain on top
    n = len(table)
    labels = [f"{name} (n = {int(k)})" if "samples" in table else name for name, k in
              zip(table["name"], table.get("samples", [0] * n))]  # fmt: skip
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, max(3.2, 0.3 * n + 1.6)), sharey=True,
                                      layout="constrained", gridspec_kw={"width_ratios": [3, 2]})  # fmt: skip
    y = np.arange(n)
    gain = table["gain mean"].to_numpy(dtype=float)
    sd = table["gain sd"].to_numpy(dtype=float) if "gain sd" in table else np.zeros(n)
    colours = ["tab:orange" if name in marked else ("tab:blue" if g >= 0 else "tab:red")
               for name, g in zip(table["name"], gain)]  # fmt: skip
    left.barh(y, gain, xerr=np.nan_to_num(sd), color=colours, error_kw={"elinewidth": 0.8, "capsize": 2})
    left.axvline(0.0, color="black", linewidth=0.8)
    left.set_yticks(y, labels=labels, fontsize=7 if n <= 60 else 5)
    for tick, name in zip(left.get_yticklabels(), table["name"]):
        if name in marked:
            tick.set_fontweight("bold")
    left.set_ylim(-0.6, n - 0.4)
    left.set_xlabel(f"{model} minus {baseline}, accuracy (points; bar = mean, line = ± sd over seeds)")
    left.set_ylabel("action class")
    handles = [Patch(color="tab:blue", label="gain ≥ 0"), Patch(color="tab:red", label="gain < 0")]
    if marked & set(table["name"]):
        handles.append(Patch(color="tab:orange", label="class the paper names"))
    left.legend(handles=handles, loc="lower right", fontsize=7)
    right.scatter(table["accuracy (%)"], y, marker="o", color="tab:green", label=model, zorder=3)
    right.scatter(table["baseline accuracy (%)"], y, marker="|", s=80, color="black", label=baseline, zorder=3)
    right.set_xlim(-2, 102)
    right.set_xlabel("accuracy (%), mean over seeds")
    right.grid(axis="x", alpha=0.3)
    right.legend(loc="lower left", fontsize=7)
    fig.suptitle(title)
    return fig


_LOSS_COLUMNS = ("train_loss", "val_loss", "loss")
_ACCURACY_COLUMNS = ("top1", "top5", "train_top1", "val_top1", "val_top5")
# How a logged column is named in legends: the split and, for accuracy, top-1 or top-5.
_CURVE_NAMES = {"train_loss": "train loss", "val_loss": "validation loss", "loss": "loss",
                "top1": "validation top-1", "top5": "validation top-5", "train_top1": "train top-1",
                "val_top1": "validation top-1", "val_top5": "validation top-5"}  # fmt: skip
_CURVE_STYLES = {"train_loss": "-", "val_loss": "--", "loss": "-", "top1": "-", "top5": ":", "train_top1": "-.",
                 "val_top1": "-", "val_top5": ":"}  # fmt: skip


def _runs(metrics) -> dict[str, pd.DataFrame]:
    """{run name: table} from a DataFrame (optional ``run`` or ``seed`` column), a list of dicts, or a dict."""
    if isinstance(metrics, Mapping):
        return {str(k): pd.DataFrame(v) for k, v in metrics.items()}
    frame = pd.DataFrame(metrics)
    for key, prefix in (("run", ""), ("seed", "seed ")):
        if key in frame.columns:
            return {f"{prefix}{k}": g for k, g in frame.groupby(key, sort=False)}
    return {"run": frame}


def plot_curves(
    metrics,
    title: str = "Training curves",
    x: str = "epoch",
    loss_columns: Sequence[str] = _LOSS_COLUMNS,
    accuracy_columns: Sequence[str] = _ACCURACY_COLUMNS,
    axes=None,
) -> Figure:
    """Loss (log axis), accuracy (%) and the learning rate (steps, as the trainer sets it per epoch) against
    epoch for one or several runs: colours tell runs apart, line styles train from validation and top-1 from
    top-5.

    ``metrics``: a table or list of per-epoch dicts (accuracies as fractions, as ``metrics.jsonl`` logs them),
    a table with a ``run`` or ``seed`` column, or {run: table}.
    """
    runs = _runs(metrics)
    if not runs or all(len(t) == 0 for t in runs.values()):
        raise ValueError("metrics: expected at least one epoch of metrics, got none")
    for name, table in runs.items():
        if x not in table.columns:
            raise ValueError(f"metrics ({name}): expected a {x!r} column, got {list(table.columns)}")
    present = set().union(*(t.columns for t in runs.values()))
    panels = [
        ("loss", [c for c in loss_columns if c in present], "cross-entropy loss (log scale)"),
        ("accuracy", [c for c in accuracy_columns if c in present], "accuracy (%)"),
        ("learning rate", ["lr"] if "lr" in present else [], "learning rate (log scale)"),
    ]
    panels = [p for p in panels if p[1]]
    if not any(p[0] != "learning rate" for p in panels):
        raise ValueError(
            f"metrics: no loss column {list(loss_columns)} and no accuracy column {list(accuracy_columns)} "
            f"among {sorted(present)}"
        )
    fig, axs, created = _axes_list(axes, len(panels), ncols=len(panels), panel=(4.8, 3.8))
    for a, (panel_name, columns, ylabel) in zip(axs, panels):
        for r, (run, table) in enumerate(runs.items()):
            colour = f"C{r % 10}"
            if panel_name == "learning rate":  # the same schedule for every run: drawn once, as steps
                if r == 0:
                    a.step(table[x], table["lr"], where="post", color="0.3", label="learning rate")
                continue
            for column in columns:
                if column not in table.columns:
                    continue
                rows = table[[x, column]].dropna()  # validation is logged only on evaluated epochs
                values = 100.0 * rows[column] if panel_name == "accuracy" else rows[column]
                name = _CURVE_NAMES.get(column, column)
                a.plot(rows[x], values, linestyle=_CURVE_STYLES.get(column, "-"), color=colour, marker="o",
                       markersize=2.5, label=name if len(runs) == 1 else f"{run}: {name}")  # fmt: skip
        if panel_name != "accuracy":
            a.set_yscale("log")
        a.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        a.set_xlabel(x)
        a.set_ylabel(ylabel)
        a.set_title(panel_name)
        a.legend(fontsize=7)
    if created:
        fig.suptitle(title)
    return fig


def plot_class_counts(
    df: pd.DataFrame,
    title: str = "Samples per class and split",
    label: str | None = None,
    ax=None,
) -> Figure:
    """Horizontal bars of samples per class, one colour per split.

    ``df``: wide (one row per class, one numeric column per split) or long (``split`` and ``count``
    columns plus a class column).
    """
    names = _label_series(df, label)
    if {"split", "count"} <= set(df.columns):
        wide = pd.DataFrame({"class": names, "split": df["split"].astype(str), "count": df["count"]})
        wide = wide.pivot_table(index="class", columns="split", values="count", aggfunc="sum", sort=False)
    else:
        numeric = [c for c in df.select_dtypes("number").columns if c not in ("label", "index")]
        if not numeric:
            raise ValueError(f"df: expected numeric count columns (one per split), got {list(df.columns)}")
        wide = pd.DataFrame(df[numeric].to_numpy(), index=names.to_numpy(), columns=numeric)
    wide = wide.fillna(0)
    n, splits = wide.shape
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, max(3.0, 0.16 * n * max(1, splits) ** 0.5 + 1.4)),
                               layout="constrained")  # fmt: skip
    fig = ax.figure
    long = wide.reset_index(names="class").melt(id_vars="class", var_name="split", value_name="count")
    sns.barplot(data=long, y="class", x="count", hue="split", orient="h", ax=ax)
    ax.tick_params(axis="y", labelsize=7 if n <= 60 else 5)
    ax.set_xlabel("samples")
    ax.set_ylabel("action class")
    ax.set_title(title)
    ax.legend(title="split", fontsize=8)
    return fig


def plot_confusion(
    matrix,
    class_names: Sequence[str],
    normalize: bool = True,
    title: str = "Confusion matrix",
    ax=None,
    cmap: str = "Blues",
) -> Figure:
    """Confusion matrix heatmap (true rows, predicted columns), row-normalised by default."""
    m = _as_array(matrix, "matrix")
    k = len(class_names)
    if m.shape != (k, k):
        raise ValueError(f"matrix: expected ({k}, {k}) for {k} class names, got shape {tuple(m.shape)}")
    if normalize:
        rows = m.sum(axis=1, keepdims=True)
        m = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    if ax is None:
        side = min(14.0, max(5.0, 0.16 * k + 3.0))
        fig, ax = plt.subplots(figsize=(side + 1.2, side), layout="constrained")
    fig = ax.figure
    image = ax.imshow(m, cmap=cmap, vmin=0.0, vmax=1.0 if normalize else max(float(m.max()), 1.0),
                      interpolation="nearest")  # fmt: skip
    fontsize = 8 if k <= 20 else (5 if k <= 60 else 3.5)
    ax.set_xticks(np.arange(k))
    ax.set_xticklabels(class_names, rotation=90, fontsize=fontsize)
    ax.set_yticks(np.arange(k))
    ax.set_yticklabels(class_names, fontsize=fontsize)
    if k <= 15:  # small enough to print the cells: percent (or counts), empty cells left blank
        for i in range(k):
            for j in range(k):
                if (normalize and m[i, j] < 0.005) or (not normalize and m[i, j] == 0):
                    continue
                text = f"{100 * m[i, j]:.0f}" if normalize else f"{int(round(m[i, j]))}"
                ax.text(j, i, text, ha="center", va="center", fontsize=6.5,
                        color="white" if m[i, j] > 0.6 * image.norm.vmax else "black")  # fmt: skip
    label = "fraction of the true class (cells: %)" if normalize else "samples"
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return fig


def write_figure(fig: Figure, path: str | Path, dpi: int | None = DPI) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix; ``dpi`` None: the figure's own) with stable bytes: no
    software/date metadata, fixed SVG ids. The layout is computed once and then frozen, so saving the figure
    again gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"png": {"Software": None}, "svg": {"Date": None}}.get(path.suffix.lower().lstrip("."))
    with mpl.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
        # Lay out once, then freeze: constrained layout may still move colour bars or equal-aspect panels
        # on later draws, and two saves of one figure must give the same bytes.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        fig.savefig(path, dpi=fig.dpi if dpi is None else dpi, metadata=metadata, bbox_inches="tight")
    return path


def save_figure(fig: Figure, out_dir: str | Path, stem: str, dpi: int = DPI) -> tuple[Path, Path]:
    """Write ``out_dir/stem.png`` and ``.svg`` with stable bytes (``write_figure``)."""
    out = Path(out_dir)
    png = write_figure(fig, out / f"{stem}.png", dpi)
    svg = write_figure(fig, out / f"{stem}.svg", None)  # vector; embedded rasters at the figure's dpi
    log.info("wrote %s and %s", png, svg)
    return png, svg



def plot_explorer(scene, fig: Figure | None = None) -> Figure:
    """One view of the attention explorer (``sttr.explore.Scene``): the skeleton at the chosen frame with its
    strongest SSA links, the SSA map at that frame (the chosen joint's row marked), the TSA map of the chosen
    joint (the chosen frame's row marked), and the prediction beside the true label.

    Each map keeps the colour scale of its layer (``scene.ssa_span``, ``scene.tsa_span``: shared by all heads,
    frames and joints), so moving a control compares maps on one scale. ``fig`` is cleared and reused.
    """
    if fig is None:
        fig = plt.figure(figsize=EXPLORER_SIZE)
    fig.clf()
    grid = fig.add_gridspec(1, 4, **_EXPLORER_GRID)
    axes = [fig.add_subplot(grid[0, i], label=f"explorer {name}") for i, name in enumerate(_EXPLORER_PANELS)]
    _explorer_links(axes[0], scene)
    if scene.ssa is not None:
        plot_ssa_map(scene.ssa, scene.joint_names, title=scene.ssa_title, ax=axes[1], span=scene.ssa_span)
        axes[1].axhline(scene.joint, color="black", lw=0.8, ls=":")
    else:
        _absent(axes[1], scene.ssa_title)
    if scene.tsa is not None:
        plot_tsa_map(scene.tsa, title=scene.tsa_title, frame_stride=scene.tsa_stride, ax=axes[2], span=scene.tsa_span)
        axes[2].axhline(_tsa_row(scene), color="black", lw=0.8, ls=":")
    else:
        _absent(axes[2], scene.tsa_title)
    axes[3].axis("off")
    axes[3].text(0.0, 1.0, "\n".join(scene.prediction), va="top", ha="left", family="monospace", fontsize=8,
                 transform=axes[3].transAxes)  # fmt: skip
    fig.suptitle(scene.title)
    return fig


_EXPLORER_PANELS = ("links", "ssa", "tsa", "prediction")
EXPLORER_SIZE = (18.0, 5.4)
_EXPLORER_GRID = {"width_ratios": (1.3, 1.2, 1.05, 1.2), "left": 0.03, "right": 0.995, "bottom": 0.2, "top": 0.86,
                  "wspace": 0.55}  # fmt: skip


def _tsa_row(scene) -> int:
    return min(scene.frame // scene.tsa_stride, scene.tsa.shape[0] - 1)


def _explorer_links(ax: Axes, scene) -> None:
    """The skeleton panel: strongest SSA links (``plot_attention_links``), the bare skeleton, or why neither."""
    if scene.joints is not None and scene.ssa is not None:
        plot_attention_links(scene.joints, scene.ssa, top=10, joint_names=scene.joint_names, ax=ax, plane="xz",
                             title=f"Strongest SSA links, frame {scene.frame}")  # fmt: skip
    elif scene.joints is not None:
        plot_skeleton(scene.joints[None], frames=[0], axes=ax, plane="xz")
        ax.set_title(f"Skeleton, frame {scene.frame}")
    else:
        _absent(ax, "no NTU skeleton to draw")


def _heatmap_limits(w: np.ndarray, span: float | None) -> tuple[float, float]:
    """The colour limits ``_heatmap_stack`` gives (L, L) maps with ``span``: uniform attention 1/L in the middle."""
    uniform = 1.0 / w.shape[-1]
    span = float(np.abs(w - uniform).max()) if span is None else span
    span = max(span, 1e-3 * uniform)
    return uniform - span, uniform + span


class ExplorerCanvas:
    """``plot_explorer`` redrawn fast for the explorer's widget: the SSA map's axes (joint names, colour bar) are
    drawn once and kept as pixels (Agg blitting); a change redraws the maps, markers and titles on top of them,
    the skeleton panel (its strongest SSA links updated in place, on limits fixed per sample, without joint name
    labels: the SSA map beside it names the joints) and the TSA panel (redrawn by ``plot_tsa_map`` only when its
    frame count changes). ``update`` returns the RGBA pixels."""

    def __init__(self, scene, dpi: int = 72) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = Figure(figsize=EXPLORER_SIZE, dpi=dpi)  # outside pyplot: no notebook backend shows it
        FigureCanvasAgg(self.fig)
        grid = self.fig.add_gridspec(1, 4, **_EXPLORER_GRID)
        self.links, self.ssa, self.tsa, self.text = (self.fig.add_subplot(grid[0, i]) for i in range(4))
        self.tsa_box = self.tsa.get_position()
        self.bones = LineCollection([], colors="0.75", linewidths=2.0, label="bones")
        self.arrows = LineCollection([], zorder=2)
        self.links.add_collection(self.bones)
        self.links.add_collection(self.arrows)
        self.queries = self.links.scatter([], [], marker="^", s=45, color="black", zorder=4, label="query joint")
        # legend and plane outside the redrawn axes: drawn once
        self.fig.legend(handles=[self.bones, self.queries], loc="lower left", bbox_to_anchor=(0.04, 0.03), fontsize=8,
                        ncol=2, title="x-z plane (normalised), link colour and width: SSA weight",
                        title_fontsize=8)  # fmt: skip
        if scene.ssa is not None:
            plot_ssa_map(scene.ssa, scene.joint_names, title=scene.ssa_title, ax=self.ssa, span=scene.ssa_span)
            self.ssa.axhline(scene.joint, color="black", lw=0.8, ls=":")
            self.ssa_bar = self.fig.axes[-1]
        else:
            _absent(self.ssa, scene.ssa_title)
            self.ssa_bar = None
        self.text.axis("off")
        self.prediction = self.text.text(0.0, 1.0, "", va="top", ha="left", family="monospace", fontsize=8,
                                         transform=self.text.transAxes)  # fmt: skip
        self.title = self.fig.suptitle("")
        self.links.set_xticks([])  # the limits follow the sample: no tick labels to redraw on every change
        self.links.set_yticks([])
        self.tsa_shape: tuple[int, int] | None = None
        self.tsa_bar: Axes | None = None
        self._draw_tsa(scene)
        self._capture()

    def _dynamic(self) -> list:
        """The artists a change can alter; every other pixel comes from the background."""
        out = [self.links, self.prediction, self.title]
        for ax in (self.ssa, self.tsa):
            out += [*ax.images, *ax.lines, ax.title]
        return out + [bar for bar in (self.ssa_bar, self.tsa_bar) if bar is not None]

    def _capture(self) -> None:
        """Draw everything but the dynamic artists and keep those pixels."""
        for artist in self._dynamic():
            artist.set_animated(True)
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)

    def _draw_tsa(self, scene) -> None:
        """The TSA panel drawn anew by ``plot_tsa_map`` (its frame count or stride changed), its colour bar too."""
        if self.tsa_bar is not None:
            self.tsa_bar.remove()
        self.tsa.clear()
        self.tsa.set_position(self.tsa_box)
        before = set(self.fig.axes)
        if scene.tsa is None:
            _absent(self.tsa, scene.tsa_title)
            self.tsa_shape, self.tsa_bar = None, None
            return
        plot_tsa_map(scene.tsa, title=scene.tsa_title, frame_stride=scene.tsa_stride, ax=self.tsa, span=scene.tsa_span)
        self.tsa.axhline(_tsa_row(scene), color="black", lw=0.8, ls=":")
        self.tsa_bar = next(a for a in self.fig.axes if a not in before)
        self.tsa_shape = (scene.tsa.shape[0], scene.tsa_stride)

    def _draw_links(self, scene) -> None:
        """Bones and the strongest SSA links of the frame, as ``plot_attention_links`` colours them."""
        self.links.set_title(f"Strongest SSA links, frame {scene.frame}" if scene.ssa is not None
                             else f"Skeleton, frame {scene.frame}")  # fmt: skip
        if scene.joints is None:
            self.bones.set_segments([])
            self.arrows.set_segments([])
            self.queries.set_offsets(np.zeros((0, 2)))
            self.links.set_title("no NTU skeleton to draw")
            return
        xy = scene.joints[:, list(_plane_axes("xz"))]  # (V, 2)
        self.bones.set_segments([(xy[c], xy[p]) for c, p in EDGES])
        (x0, z0), (x1, z1) = scene.skeleton_box
        centre, half = np.array([(x0 + x1) / 2, (z0 + z1) / 2]), max(x1 - x0, z1 - z0, 1e-3) / 2 * 1.1
        self.links.set_xlim(centre[0] - half, centre[0] + half)
        self.links.set_ylim(centre[1] - half, centre[1] + half)
        self.links.set_aspect("equal")
        if scene.ssa is None:
            self.arrows.set_segments([])
            self.queries.set_offsets(np.zeros((0, 2)))
            return
        w = np.asarray(scene.ssa, dtype=np.float64)
        off = np.where(np.eye(len(w), dtype=bool), -np.inf, w)  # self-attention has no line to draw
        order = np.argsort(-off, axis=None, kind="stable")[:10]
        queries, keys = np.unravel_index(order, w.shape)
        values = w[queries, keys]
        spread = max(float(values.max() - values.min()), 1e-6)
        strength = (values - values.min()) / spread  # 0 weakest .. 1 strongest of the drawn links
        colours = mpl.colormaps["plasma"](strength)
        colours[:, 3] = 0.35 + 0.65 * strength
        self.arrows.set_segments([(xy[q], xy[k]) for q, k in zip(queries, keys)])
        self.arrows.set_colors(colours)
        self.arrows.set_linewidths(1.0 + 4.0 * strength)
        self.queries.set_offsets(xy[queries])

    def update(self, scene) -> np.ndarray:
        """Redraw what ``scene`` changes; returns the figure's (H, W, 4) uint8 pixels."""
        canvas = self.fig.canvas
        tsa_shape = None if scene.tsa is None else (scene.tsa.shape[0], scene.tsa_stride)
        if tsa_shape != self.tsa_shape:  # another frame count: new tick labels, a new background
            self._draw_tsa(scene)
            self._capture()
        canvas.restore_region(self.background)
        self._draw_links(scene)
        if scene.ssa is not None and self.ssa.images:
            image = self.ssa.images[0]
            image.set_data(scene.ssa)
            image.set_clim(*_heatmap_limits(scene.ssa, scene.ssa_span))
            self.ssa.lines[-1].set_ydata([scene.joint, scene.joint])
            self.ssa.set_title(scene.ssa_title, fontsize=10)
        if scene.tsa is not None:
            image = self.tsa.images[0]
            image.set_data(scene.tsa)
            image.set_clim(*_heatmap_limits(scene.tsa, scene.tsa_span))
            self.tsa.lines[-1].set_ydata([_tsa_row(scene)] * 2)
            self.tsa.set_title(scene.tsa_title, fontsize=10)
        self.prediction.set_text("\n".join(scene.prediction))
        self.title.set_text(scene.title)
        for artist in self._dynamic():
            artist.set_animated(True)
            self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())


def _absent(ax: Axes, message: str) -> None:
    """An empty panel that says why it is empty."""
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color="0.4", transform=ax.transAxes)
