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

from sttr.skeleton import EDGES, JOINT_NAMES, NUM_JOINTS, layout_of_joints

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


def _heatmap_limits(w: np.ndarray, vmax: float | None) -> tuple[float, float]:
    """Colour limits of (..., L, L) attention maps: from 0 to ``vmax`` (default: their largest weight), at least
    a little above uniform attention 1/L, so that uniform stays on the scale."""
    top = float(w.max()) if vmax is None else float(vmax)
    return 0.0, max(top, 1.05 / w.shape[-1])


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
    vmax: float | None,
    panel: tuple[float, float],
    tick_fontsize: float,
    rotate_x: bool,
    ncols: int = 4,
) -> Figure:
    """Draw (P, L, L) attention maps as P heatmaps on one non-negative colour scale from 0 to ``vmax`` (default:
    the largest weight in ``w``), with uniform attention ``uniform`` marked on the colour bar. In a grid only the
    outer panels carry tick labels: the panels share their rows and columns."""
    n = w.shape[0]
    fig, axes, created = _axes_list(ax, n, ncols=ncols, panel=panel)
    low, top = _heatmap_limits(w, vmax)
    columns = max(1, min(ncols, n)) if created else n
    image = None
    for i, (a, m, panel_title) in enumerate(zip(axes, w, panel_titles)):
        image = a.imshow(m, cmap="viridis", vmin=low, vmax=top, interpolation="nearest", aspect="auto")
        first_column, last_row = i % columns == 0, i >= n - columns
        a.set_xticks(ticks, labels=xticklabels if last_row or not created else [], rotation=90 if rotate_x else 0,
                     fontsize=tick_fontsize)  # fmt: skip
        a.set_yticks(ticks, labels=yticklabels if first_column or not created else [], fontsize=tick_fontsize)
        if last_row or not created:
            a.set_xlabel(xlabel)
        if first_column or not created:
            a.set_ylabel(ylabel)
        a.set_title(panel_title, fontsize=10)
    bar = fig.colorbar(image, ax=axes, label=f"attention weight (red line: uniform, {uniform:.3g})",
                       shrink=0.9 if n > 1 else 1.0, ticks=mpl.ticker.MaxNLocator(6))  # fmt: skip
    bar.ax.axhline(uniform, color="red", linewidth=2.5)
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
    vmax: float | None = None,
    ncols: int = 4,
) -> Figure:
    """Heatmap of Spatial Self-Attention weights, query joints as rows, key joints as columns, on a scale from 0
    with uniform attention 1/V marked.

    ``weights`` is (V, V) or (P, V, V) (heads, or maps to compare), drawn on one shared scale; ``vmax`` fixes
    its top (e.g. to share it with another figure); ``panel_titles`` default to "head i".
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
        vmax=vmax,
        panel=(4.6, 4.4),
        tick_fontsize=6.5,
        rotate_x=True,
        ncols=ncols,
    )


def plot_tsa_map(
    weights,
    title: str = "TSA: frame-by-frame attention",
    frame_stride: int = 1,
    ax=None,
    panel_titles: Sequence[str] | None = None,
    vmax: float | None = None,
) -> Figure:
    """Heatmap of Temporal Self-Attention weights over the T' frames a layer sees (query rows, key columns), on a
    scale from 0 with uniform attention 1/T' marked.

    ``frame_stride`` (the temporal stride before that layer) turns layer frames into input frame numbers.
    ``weights`` is (T', T') or (P, T', T'), drawn on one shared scale.
    """
    if frame_stride < 1:
        raise ValueError(f"frame_stride: expected a positive integer, got {frame_stride}")
    w = _stack(weights, "weights")
    panels, frames = w.shape[0], w.shape[1]
    ticks = np.arange(0, frames, max(1, -(-frames // 8)))  # evenly spaced layer frames
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
        vmax=vmax,
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
    layout_of_joints(arr.shape[1], "xyz")  # NTU's 25 or Kinetics' 18 joints, else a clear error
    return arr


def _draw_bones(
    ax: Axes, joints: np.ndarray, colour: str, label: str | None, alpha: float = 1.0, edges=EDGES
) -> None:
    """Bones from ``edges`` (default NTU's, ``sttr.skeleton.EDGES``) and joint dots for one (V, 2) body."""
    segments = [(joints[c], joints[p]) for c, p in edges]
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
            _draw_bones(a, joints, colour, label=f"person {m + 1}", edges=layout_of_joints(seq.shape[1]).edges)
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
    joint_names: Sequence[str] | None = None,
    title: str | None = None,
    ax=None,
    cmap: str = "plasma",
    plane: str = "xy",
) -> Figure:
    """The ``top`` strongest SSA links (query joint -> key joint, self-links excluded) drawn on the skeleton.

    ``xyz_frame`` is one frame (V, 3) of NTU's 25 joints or Kinetics' 18 (the layout follows V), ``weights``
    (V, V) SSA weights (average heads first); a link's colour, width and opacity grow with its weight.
    """
    joints = _as_array(xyz_frame, "xyz_frame")
    w = _as_array(weights, "weights")
    if joints.ndim != 2 or joints.shape[1] != 3:
        raise ValueError(f"xyz_frame: expected (V, 3), got shape {tuple(joints.shape)}")
    body = layout_of_joints(joints.shape[0], "xyz_frame")
    v = body.num_joints
    if w.shape != (v, v):
        raise ValueError(f"weights: expected ({v}, {v}), got shape {tuple(w.shape)}")
    if top < 1:
        raise ValueError(f"top: expected a positive number of links, got {top}")
    names = list(body.joint_names if joint_names is None else joint_names)
    off = np.where(np.eye(v, dtype=bool), -np.inf, w)  # self-attention has no line to draw
    order = np.argsort(-off, axis=None, kind="stable")[: min(top, v * (v - 1))]
    queries, keys = np.unravel_index(order, w.shape)
    values = w[queries, keys]
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 6.4), layout="constrained")
    fig = ax.figure
    xy = joints[:, list(_plane_axes(plane))]  # (V, 2): projection on the plane
    _draw_bones(ax, xy, "0.75", label="bones", edges=body.edges)
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


def _gain_rows(table: pd.DataFrame, marked: set[str], extremes: int) -> pd.DataFrame:
    """All classes when few, else the ``extremes`` largest and smallest gains and the marked classes."""
    if len(table) <= 2 * extremes + len(marked):
        return table
    keep = table.head(extremes).index.union(table.tail(extremes).index).union(table.index[table["name"].isin(marked)])
    return table.loc[keep]


def plot_per_class_gain(
    df: pd.DataFrame,
    highlight: Iterable[str] = (),
    title: str = "Per-class accuracy gain",
    model: str = "model",
    baseline: str = "baseline",
    extremes: int = 15,
) -> Figure:
    """Per-class gain of a model over a baseline (points: mean with its 95 % interval over seeds) as sorted bars,
    beside both models' absolute per-class accuracy (%); ``highlight`` names are marked with a black edge and
    bold labels, their bars keep the colour of their sign. With many classes only the ``extremes`` largest and
    smallest gains and the highlighted classes are drawn (the title says how many of how many).

    ``df`` is ``sttr.evaluation.findings.per_class_gains``' table: ``name``, ``gain mean``, ``gain low``,
    ``gain high``, ``accuracy (%)``, ``baseline accuracy (%)`` and ``samples``.
    """
    need = {"name", "gain mean", "accuracy (%)", "baseline accuracy (%)"}
    if not need <= set(df.columns):
        raise ValueError(f"df: expected columns {sorted(need)}, got {list(df.columns)}")
    marked = set(highlight)
    missing = marked - set(df["name"])
    if missing:
        log.warning("highlight: classes not in the table: %s", sorted(missing))
    measured = df.dropna(subset=["gain mean"])
    ordered = measured.sort_values(["gain mean", "name"], ascending=[False, True], kind="stable")
    table = _gain_rows(ordered.reset_index(drop=True), marked, extremes).iloc[::-1].reset_index(drop=True)
    n = len(table)
    labels = [f"{name} (n = {int(k)})" if "samples" in table else name for name, k in
              zip(table["name"], table.get("samples", [0] * n))]  # fmt: skip
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, max(3.2, 0.3 * n + 1.8)), sharey=True,
                                      layout="constrained", gridspec_kw={"width_ratios": [3, 2]})  # fmt: skip
    y = np.arange(n)
    gain = table["gain mean"].to_numpy(dtype=float)
    if {"gain low", "gain high"} <= set(table.columns):
        low = np.clip(table["gain low"].to_numpy(dtype=float), -100.0, 100.0)  # a gain lies in [-100, 100]
        high = np.clip(table["gain high"].to_numpy(dtype=float), -100.0, 100.0)
        err = np.vstack([gain - low, high - gain])
        err_text = "line: 95 % interval over seeds and samples"
    else:
        err = np.nan_to_num(table["gain sd"].to_numpy(dtype=float)) if "gain sd" in table else np.zeros(n)
        err_text = "line: ± sd over seeds"
    colours = ["tab:blue" if g >= 0 else "tab:red" for g in gain]
    edges = ["black" if name in marked else "none" for name in table["name"]]
    left.barh(y, gain, xerr=np.nan_to_num(err), color=colours, edgecolor=edges, linewidth=1.6,
              error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.35"})  # fmt: skip
    left.axvline(0.0, color="black", linewidth=0.8)
    left.set_yticks(y, labels=labels, fontsize=8)
    for tick, name in zip(left.get_yticklabels(), table["name"]):
        if name in marked:
            tick.set_fontweight("bold")
    left.set_ylim(-0.6, n - 0.4)
    left.set_xlabel(f"{model} minus {baseline}, accuracy (points)")
    left.set_xlim(max(-105.0, left.get_xlim()[0]), min(105.0, left.get_xlim()[1]))
    left.set_title(f"bar: mean gain; {err_text}", fontsize=9)
    left.set_ylabel("action class")
    handles = [Patch(color="tab:blue", label="gain ≥ 0"), Patch(color="tab:red", label="gain < 0")]
    if marked & set(table["name"]):
        handles.append(Patch(facecolor="white", edgecolor="black", linewidth=1.6, label="class the paper names (bold)"))
    fig.legend(handles=handles, loc="outside lower left", ncols=3, fontsize=8)
    right.scatter(table["accuracy (%)"], y, marker="o", color="tab:green", label=model, zorder=3)
    right.scatter(table["baseline accuracy (%)"], y, marker="|", s=80, color="black", label=baseline, zorder=3)
    right.set_xlim(-2, 102)
    right.set_xlabel("accuracy (%), mean over seeds")
    right.grid(axis="x", alpha=0.3)
    fig.legend(*right.get_legend_handles_labels(), loc="outside lower right", ncols=2, fontsize=8)
    shown = "" if n == len(measured) else f" ({n} of {len(measured)} classes: largest, smallest and named gains)"
    fig.suptitle(title + shown)
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
                validation = not column.startswith("train") and column != "loss"
                a.plot(rows[x], values, linestyle=_CURVE_STYLES.get(column, "-"), color=colour,
                       marker="o" if validation else None, markersize=3.5, markerfacecolor="white" if validation
                       else colour, linewidth=1.6 if validation else 1.0)  # fmt: skip
        if panel_name != "accuracy":
            a.set_yscale("log")
        a.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        a.set_xlabel(x)
        a.set_ylabel(ylabel)
        a.set_title(panel_name)
        if panel_name != "learning rate":  # line styles: which curve; colours: which run (legend below)
            styles = [Line2D([], [], color="0.2", linestyle=_CURVE_STYLES.get(c, "-"),
                             marker=None if c.startswith("train") or c == "loss" else "o", markerfacecolor="white",
                             label=_CURVE_NAMES.get(c, c)) for c in columns]  # fmt: skip
            a.legend(handles=styles, fontsize=8.5)
    if len(runs) > 1 and created:
        fig.legend(handles=[Line2D([], [], color=f"C{r % 10}", linewidth=2.5, label=run) for r, run in
                            enumerate(runs)], loc="outside lower center", ncols=min(len(runs), 8), fontsize=9)
    if created:
        fig.suptitle(title)
    return fig


def plot_class_counts(
    df: pd.DataFrame,
    title: str = "Samples per class and split",
    label: str | None = None,
    ax=None,
    bars_up_to: int = 30,
) -> Figure:
    """Samples per class, one colour per split: bars per class up to ``bars_up_to`` classes; beyond, each split's
    counts sorted from the largest class to the smallest (readable at 60, 120 or 400 classes), the extremes named.

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
    if n > bars_up_to:
        if ax is None:
            fig, ax = plt.subplots(figsize=(8.0, 4.2), layout="constrained")
        fig = ax.figure
        for i, split in enumerate(wide.columns):
            counts = wide[split].sort_values(ascending=False, kind="stable")
            ax.plot(np.arange(1, n + 1), counts.to_numpy(), drawstyle="steps-mid", color=f"C{i}",
                    label=f"{split}: {int(counts.min())}-{int(counts.max())} per class "
                          f"(fewest: {counts.index[-1]})")  # fmt: skip
        ax.set_xlabel(f"class rank by samples (1 = most; {n} classes)")
        ax.set_ylabel("samples")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="lower left")
        ax.set_title(title)
        return fig
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.0, max(3.0, 0.22 * n * max(1, splits) ** 0.5 + 1.6)),
                               layout="constrained")  # fmt: skip
    fig = ax.figure
    long = wide.reset_index(names="class").melt(id_vars="class", var_name="split", value_name="count")
    sns.barplot(data=long, y="class", x="count", hue="split", orient="h", ax=ax)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("samples")
    ax.set_ylabel("action class")
    ax.set_title(title)
    ax.legend(title="split", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def plot_confused_pairs(pairs: Mapping[str, pd.DataFrame], title: str = "Most confused class pairs") -> Figure:
    """The most confused (true class -> predicted class) pairs of each model, one panel each, as bars of the share
    of the true class's samples (%); readable at any number of classes.

    ``pairs``: model title -> ``sttr.evaluation.findings.pair_collapses`` table (``class``, ``predicted as``,
    ``share (%)``, ``samples``)."""
    if not pairs:
        raise ValueError("pairs: expected at least one model's table")
    rows = max(1, max(len(t) for t in pairs.values()))
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 0.42 * rows + 1.8), layout="constrained",
                             squeeze=False)  # fmt: skip
    top = max([float(t["share (%)"].max()) for t in pairs.values() if len(t)] + [10.0])
    for a, (model, table) in zip(axes[0], pairs.items()):
        table = table.iloc[::-1]
        y = np.arange(len(table))
        a.barh(y, table["share (%)"], color="tab:purple")
        labels = [f"{c} → {p}" for c, p in zip(table["class"], table["predicted as"])]
        a.set_yticks(y, labels=labels, fontsize=8)
        for yy, v in zip(y, table["share (%)"]):
            a.text(v + 0.01 * top, yy, f"{v:.0f}", va="center", fontsize=7)
        a.set_xlim(0, 1.15 * top)
        a.set_xlabel("share of the true class predicted as the other (%)")
        a.set_title(model)
        if not len(table):
            a.text(0.5, 0.5, "no confusion above the threshold", ha="center", transform=a.transAxes)
    fig.suptitle(title)
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


def _mean_sd_by(table: pd.DataFrame, keys: Sequence[str], column: str) -> pd.DataFrame:
    """Mean and sample sd (0 for one value) of ``column`` over the rows of each ``keys`` group, in order."""
    out = table.groupby(list(keys), sort=False)[column].agg(["mean", "std"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def plot_order_probes(
    probes: pd.DataFrame, chance: float | None = None, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Top-1 (%) against the block size k of the frame shuffles (log scale), one line per model, mean ± sd over
    seeds (``sttr.evaluation.probes.probe_seeds``: columns model, seed, block, ``top-1 (%)``); time reversal as a
    marker at the right; ``chance`` (%) as a dotted line."""
    shuffles = probes.dropna(subset=["block"])
    if shuffles.empty:
        raise ValueError("plot_order_probes: no block-shuffle rows (column 'block')")
    fig, axes, created = _axes_list(ax, 1, 1, (6.4, 4.2))
    ax = axes[0]
    stats = _mean_sd_by(shuffles, ["model", "block"], "top-1 (%)")
    reversed_ = probes[probes["probe"] == "time reversed"]
    far = float(stats["block"].max()) * 1.6
    groups = list(stats.groupby("model", sort=False))
    for i, (model, rows) in enumerate(groups):
        colour, dodge = f"C{i}", 2.0 ** (0.05 * (i - (len(groups) - 1) / 2))  # side by side on the log axis
        ax.errorbar(rows["block"] * dodge, rows["mean"], yerr=rows["std"], marker="o", capsize=3, color=colour,
                    label=model)  # fmt: skip
        rev = reversed_[reversed_["model"] == model]["top-1 (%)"]
        if len(rev):
            ax.errorbar([far * dodge], [rev.mean()], yerr=[rev.std() if len(rev) > 1 else 0.0], marker="s", capsize=3,
                        color=colour, linestyle="none")  # fmt: skip
    blocks = sorted(int(b) for b in stats["block"].unique())
    ax.set_xscale("log", base=2)
    ax.set_xticks([*blocks, far], [*map(str, blocks), "reversed"])
    ax.minorticks_off()
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle=":", label=f"chance ({chance:.1f}%)")
    ax.set_xlabel("frames shuffled within blocks of k (k in frames, log scale); squares: time reversed")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(title="model (mean ± sd over seeds)", fontsize="small")
    if created:
        fig.suptitle(title or "Frame order probes: accuracy against shuffle block size")
    return fig


def plot_reversed_pairs(pairs: pd.DataFrame, title: str | None = None) -> Figure:
    """Per class of the time-reversed pairs and per model (``sttr.evaluation.probes.pair_seeds``), mean ± sd over
    seeds: accuracy on the original sequences, and the time-reversed sequences predicted as the partner class."""
    rows = pairs[pairs["class"] != "all pairs"]
    if rows.empty:  # e.g. Kinetics-400, or a rehearsal's few classes: say so instead of drawing empty axes
        fig = plt.figure(figsize=(6.4, 2.0), layout="constrained")
        fig.text(0.5, 0.5, "No time-reversed pair of actions among the classes probed", ha="center", va="center")
        fig.suptitle(title or "Actions that are each other's time reversal")
        return fig
    panels = [("accuracy (%)", "original sequences: predicted as their class"),
              ("reversed: predicted as partner (%)", "time-reversed sequences: predicted as the partner class")]  # fmt: skip
    classes = list(dict.fromkeys(rows["class"]))
    models = list(dict.fromkeys(rows["model"]))
    fig, axes, _ = _axes_list(None, 2, 2, (max(4.8, 1.4 * len(classes) + 1.5), 4.4))
    width = 0.8 / len(models)
    for ax, (column, label) in zip(axes, panels):
        stats = _mean_sd_by(rows, ["model", "class"], column)
        for i, model in enumerate(models):
            mine = stats[stats["model"] == model].set_index("class").reindex(classes)
            x = np.arange(len(classes)) + (i - (len(models) - 1) / 2) * width
            ax.bar(x, mine["mean"], width, yerr=mine["std"], capsize=3, color=f"C{i}", label=model)
        ax.set_xticks(np.arange(len(classes)), classes, rotation=20, ha="right", fontsize="small")
        ax.set_ylim(0, 105)
        ax.set_title(label, fontsize="medium")
        ax.set_ylabel("samples of the class (%)")
        ax.set_xlabel("class (its time reversal is the partner class)")
    fig.legend(*axes[0].get_legend_handles_labels(), title="model (mean ± sd over seeds)", fontsize="small",
               loc="outside lower center", ncols=4)  # below the panels: no bar hidden
    fig.suptitle(title or "Actions that are each other's time reversal")
    return fig

def plot_explorer(scene, fig: Figure | None = None) -> Figure:
    """One view of the attention explorer (``sttr.explore.Scene``): the skeleton at the chosen frame with its
    strongest SSA links, the SSA map at that frame (the chosen joint's row marked), the TSA map of the chosen
    joint (the chosen frame's row marked), and the prediction beside the true label.

    Each map keeps the colour scale of its layer (``scene.ssa_vmax``, ``scene.tsa_vmax``: shared by all heads,
    frames and joints), so moving a control compares maps on one scale. ``fig`` is cleared and reused.
    """
    if fig is None:
        fig = plt.figure(figsize=EXPLORER_SIZE)
    fig.clf()
    grid = fig.add_gridspec(1, 4, **_EXPLORER_GRID)
    axes = [fig.add_subplot(grid[0, i], label=f"explorer {name}") for i, name in enumerate(_EXPLORER_PANELS)]
    _explorer_links(axes[0], scene)
    if scene.ssa is not None:
        plot_ssa_map(scene.ssa, scene.joint_names, title=scene.ssa_title, ax=axes[1], vmax=scene.ssa_vmax)
        axes[1].axhline(scene.joint, color="white", lw=1.0, ls=":")
    else:
        _absent(axes[1], scene.ssa_title)
    if scene.tsa is not None:
        plot_tsa_map(scene.tsa, title=scene.tsa_title, frame_stride=scene.tsa_stride, ax=axes[2], vmax=scene.tsa_vmax)
        axes[2].axhline(_tsa_row(scene), color="white", lw=1.0, ls=":")
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
        plot_attention_links(scene.joints, scene.ssa, top=10, joint_names=scene.joint_names, ax=ax, plane=scene.plane,
                             title=f"Strongest SSA links, frame {scene.frame}")  # fmt: skip
    elif scene.joints is not None:
        plot_skeleton(scene.joints[None], frames=[0], axes=ax, plane=scene.plane)
        ax.set_title(f"Skeleton, frame {scene.frame}")
    else:
        _absent(ax, "bones input: no skeleton to draw")


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
            plot_ssa_map(scene.ssa, scene.joint_names, title=scene.ssa_title, ax=self.ssa, vmax=scene.ssa_vmax)
            self.ssa.axhline(scene.joint, color="white", lw=1.0, ls=":")
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
        self._backgrounds: dict = {}  # TSA (frames, stride) -> (background pixels, its TSA axes and colour bar)
        self._draw_tsa(scene)
        self._capture()

    def warm(self, scenes) -> None:
        """Draw the background of every TSA frame count among ``scenes`` once (e.g. one scene per unit), so that
        a later change of unit only restores pixels."""
        for scene in scenes:
            self.update(scene)

    def _dynamic(self) -> list:
        """The artists a change can alter; every other pixel comes from the background."""
        out = [self.links, self.prediction, self.title]
        for ax in (self.ssa, self.tsa):
            out += [*ax.images, *ax.lines, ax.title]
        return out + [bar for bar in (self.ssa_bar, self.tsa_bar) if bar is not None]

    def _capture(self) -> None:
        """Draw everything but the dynamic artists and keep those pixels (per TSA frame count)."""
        for artist in self._dynamic():
            artist.set_animated(True)
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self._backgrounds[self.tsa_shape] = (self.background, self.tsa, self.tsa_bar)

    def _draw_tsa(self, scene) -> None:
        """The TSA panel drawn by ``plot_tsa_map`` into ``self.tsa`` (a fresh axes per frame count), its colour bar
        too."""
        self.tsa.set_position(self.tsa_box)
        before = set(self.fig.axes)
        if scene.tsa is None:
            _absent(self.tsa, scene.tsa_title)
            self.tsa_shape, self.tsa_bar = None, None
            return
        plot_tsa_map(scene.tsa, title=scene.tsa_title, frame_stride=scene.tsa_stride, ax=self.tsa, vmax=scene.tsa_vmax)
        self.tsa.axhline(_tsa_row(scene), color="white", lw=1.0, ls=":")
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
            self.links.set_title("bones input: no skeleton to draw")
            return
        xy = scene.joints[:, list(_plane_axes(scene.plane))]  # (V, 2)
        self.bones.set_segments([(xy[c], xy[p]) for c, p in layout_of_joints(len(xy)).edges])
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
        if tsa_shape != self.tsa_shape and tsa_shape in self._backgrounds:  # a frame count drawn before
            for ax in (self.tsa, self.tsa_bar):
                if ax is not None:
                    ax.set_visible(False)
            self.background, self.tsa, self.tsa_bar = self._backgrounds[tsa_shape]
            for ax in (self.tsa, self.tsa_bar):
                if ax is not None:
                    ax.set_visible(True)
            self.tsa_shape = tsa_shape
        elif tsa_shape != self.tsa_shape:  # a new frame count: new tick labels, a new background
            for ax in (self.tsa, self.tsa_bar):
                if ax is not None:
                    ax.set_visible(False)
            self.tsa = self.fig.add_axes(self.tsa_box)
            self.tsa_bar = None
            self._draw_tsa(scene)
            self._capture()
        canvas.restore_region(self.background)
        self._draw_links(scene)
        if scene.ssa is not None and self.ssa.images:
            image = self.ssa.images[0]
            image.set_data(scene.ssa)
            image.set_clim(*_heatmap_limits(scene.ssa, scene.ssa_vmax))
            self.ssa.lines[-1].set_ydata([scene.joint, scene.joint])
            self.ssa.set_title(scene.ssa_title, fontsize=10)
        if scene.tsa is not None:
            image = self.tsa.images[0]
            image.set_data(scene.tsa)
            image.set_clim(*_heatmap_limits(scene.tsa, scene.tsa_vmax))
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
