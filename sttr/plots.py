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
    cbar_label: str,
    panel: tuple[float, float],
    tick_fontsize: float,
    rotate_x: bool,
    cmap: str,
) -> Figure:
    """Draw (P, R, C) maps as P heatmaps on a shared colour scale with one colour bar."""
    n = w.shape[0]
    fig, axes, created = _axes_list(ax, n, ncols=4, panel=panel)
    vmin, vmax = float(w.min()), float(w.max())  # the data's range: near-uniform maps still show structure
    if vmax <= vmin:
        vmax = vmin + 1.0
    image = None
    for a, m, panel_title in zip(axes, w, panel_titles):
        image = a.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", aspect="auto")
        a.set_xticks(ticks, labels=xticklabels, rotation=90 if rotate_x else 0, fontsize=tick_fontsize)
        a.set_yticks(ticks, labels=yticklabels, fontsize=tick_fontsize)
        a.set_xlabel(xlabel)
        a.set_ylabel(ylabel)
        a.set_title(panel_title)
    fig.colorbar(image, ax=axes, label=cbar_label, shrink=0.9 if n > 1 else 1.0)
    if n > 1 and created:
        fig.suptitle(title)
    return fig


def plot_ssa_map(
    weights,
    joint_names: Sequence[str] = JOINT_NAMES,
    title: str = "SSA: joint-by-joint attention",
    ax=None,
    cmap: str = "viridis",
) -> Figure:
    """Heatmap of Spatial Self-Attention weights, query joints as rows, key joints as columns.

    ``weights`` is (V, V) or (N_h, V, V); with heads, one panel per head on a shared colour scale.
    """
    w = _as_array(weights, "weights")
    if w.ndim == 2:
        w = w[None]  # (1, V, V)
    if w.ndim != 3 or w.shape[1] != w.shape[2]:
        raise ValueError(f"weights: expected (V, V) or (N_h, V, V), got shape {tuple(w.shape)}")
    heads, num_joints = w.shape[0], w.shape[1]
    names = list(joint_names)
    if len(names) != num_joints:
        raise ValueError(f"joint_names: expected {num_joints} names (one per joint), got {len(names)}")
    panel_titles = [title] if heads == 1 else [f"head {h + 1}" for h in range(heads)]
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
        cbar_label="attention weight",
        panel=(5.6, 5.0),
        tick_fontsize=6.5,
        rotate_x=True,
        cmap=cmap,
    )


def plot_tsa_map(
    weights,
    title: str = "TSA: frame-by-frame attention",
    frame_stride: int = 1,
    ax=None,
    cmap: str = "magma",
) -> Figure:
    """Heatmap of Temporal Self-Attention weights over the T' frames a layer sees (query rows, key columns).

    ``frame_stride`` (the temporal stride before that layer) turns layer frames into input frame numbers.
    ``weights`` is (T', T') or (N_h, T', T').
    """
    if frame_stride < 1:
        raise ValueError(f"frame_stride: expected a positive integer, got {frame_stride}")
    w = _as_array(weights, "weights")
    if w.ndim == 2:
        w = w[None]  # (1, T', T')
    if w.ndim != 3 or w.shape[1] != w.shape[2]:
        raise ValueError(f"weights: expected (T', T') or (N_h, T', T'), got shape {tuple(w.shape)}")
    heads, frames = w.shape[0], w.shape[1]
    ticks = np.unique(np.linspace(0, frames - 1, num=min(frames, 9)).round().astype(int))
    labels = [str(int(t) * frame_stride) for t in ticks]
    unit = "input frame" if frame_stride == 1 else f"input frame (layer stride {frame_stride})"
    panel_titles = [title] if heads == 1 else [f"head {h + 1}" for h in range(heads)]
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
        cbar_label="attention weight",
        panel=(5.0, 4.4),
        tick_fontsize=8,
        rotate_x=False,
        cmap=cmap,
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
    for j in sorted(set(queries.tolist()) | set(keys.tolist())):
        ax.annotate(names[j], xy[j], xytext=(3, 3), textcoords="offset points", fontsize=7)
    _set_equal_limits([ax], xy)
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=colour_map)
    fig.colorbar(mappable, ax=ax, label="SSA weight (query -> key)", shrink=0.7)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel(plane[0])
    ax.set_ylabel(plane[1])
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
    value: str | Sequence[str] | None = None,
    label: str | None = None,
    title: str = "Per-class accuracy gain",
    xlabel: str = "accuracy gain",
    axes=None,
) -> Figure:
    """Sorted horizontal bars of per-class gain, one panel per value column; ``highlight`` names are bold.

    Labels come from ``label`` (else a class_name/class/name/action column, else the index); values
    from ``value`` (else the ``gain`` column, else the only numeric column).
    """
    names = _label_series(df, label)
    if value is None:
        numeric = [c for c in df.select_dtypes("number").columns if c not in ("label", "index", "count")]
        if "gain" in df.columns:
            value = "gain"
        elif len(numeric) == 1:
            value = numeric[0]
        else:
            raise ValueError(f"value: name the gain column(s) to plot; numeric columns are {numeric}")
    columns = [value] if isinstance(value, str) else list(value)
    for c in columns:
        if c not in df.columns:
            raise ValueError(f"value: column {c!r} not in the table (columns: {list(df.columns)})")
    marked = set(highlight)
    missing = marked - set(names)
    if missing:
        log.warning("highlight: classes not in the table: %s", sorted(missing))
    n = len(df)
    panel = (6.0, max(3.0, 0.17 * n + 1.4))
    fig, axs, created = _axes_list(axes, len(columns), ncols=len(columns), panel=panel)
    for a, column in zip(axs, columns):
        gains = pd.Series(df[column].to_numpy(dtype=float), index=names.to_numpy())
        gains = gains.sort_values(kind="stable")
        colours = [
            "tab:orange" if name in marked else ("tab:blue" if g >= 0 else "tab:red")
            for name, g in gains.items()
        ]
        a.barh(np.arange(n), gains.to_numpy(), color=colours)
        a.set_yticks(np.arange(n))
        a.set_yticklabels(gains.index, fontsize=7 if n <= 60 else 5)
        for tick in a.get_yticklabels():
            if tick.get_text() in marked:
                tick.set_fontweight("bold")
        a.axvline(0.0, color="black", linewidth=0.8)
        a.set_ylim(-0.6, n - 0.4)
        a.set_xlabel(xlabel)
        a.set_ylabel("action class")
        a.set_title(title if len(columns) == 1 else column)
        legend = [Patch(color="tab:blue", label="gain >= 0"), Patch(color="tab:red", label="gain < 0")]
        if marked & set(gains.index):
            legend.append(Patch(color="tab:orange", label="highlighted class"))
        a.legend(handles=legend, loc="lower right", fontsize=8)
    if created and len(columns) > 1:
        fig.suptitle(title)
    return fig


_LOSS_COLUMNS = ("loss", "train_loss", "val_loss")
_ACCURACY_COLUMNS = ("top1", "train_top1", "val_top1", "top5", "val_top5")


def _runs(metrics) -> dict[str, pd.DataFrame]:
    """{run name: table} from a DataFrame (optional ``run`` column), a list of dicts, or a dict of those."""
    if isinstance(metrics, Mapping):
        return {str(k): pd.DataFrame(v) for k, v in metrics.items()}
    frame = pd.DataFrame(metrics)
    if "run" in frame.columns:
        return {str(k): g for k, g in frame.groupby("run", sort=False)}
    return {"run": frame}


def plot_curves(
    metrics,
    title: str = "Training curves",
    x: str = "epoch",
    loss_columns: Sequence[str] = _LOSS_COLUMNS,
    accuracy_columns: Sequence[str] = _ACCURACY_COLUMNS,
    axes=None,
) -> Figure:
    """Loss and accuracy (and learning rate, when logged) against epoch for one or several runs.

    ``metrics``: a table or list of per-epoch dicts, a table with a ``run`` column, or {run: table}.
    """
    runs = _runs(metrics)
    if not runs or all(len(t) == 0 for t in runs.values()):
        raise ValueError("metrics: expected at least one epoch of metrics, got none")
    for name, table in runs.items():
        if x not in table.columns:
            raise ValueError(f"metrics ({name}): expected a {x!r} column, got {list(table.columns)}")
    present = set().union(*(t.columns for t in runs.values()))
    panels = [
        ("loss", [c for c in loss_columns if c in present], "loss", False),
        ("accuracy", [c for c in accuracy_columns if c in present], "accuracy", False),
        ("learning rate", ["lr"] if "lr" in present else [], "learning rate", True),
    ]
    panels = [p for p in panels if p[1]]
    if not any(p[0] != "learning rate" for p in panels):
        raise ValueError(
            f"metrics: no loss column {list(loss_columns)} and no accuracy column {list(accuracy_columns)} "
            f"among {sorted(present)}"
        )
    fig, axs, created = _axes_list(axes, len(panels), ncols=len(panels), panel=(4.6, 3.6))
    styles = ("-", "--", ":", "-.")
    for a, (panel_name, columns, ylabel, log_scale) in zip(axs, panels):
        for r, (run, table) in enumerate(runs.items()):
            colour = f"C{r % 10}"
            for s, column in enumerate(columns):
                if column not in table.columns:
                    continue
                label = column if len(runs) == 1 else f"{run}: {column}"
                a.plot(table[x], table[column], linestyle=styles[s % len(styles)], color=colour, marker="o",
                       markersize=3, label=label)  # fmt: skip
        if log_scale:
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
    if k <= 15:
        for i in range(k):
            for j in range(k):
                text = f"{m[i, j]:.2f}" if normalize else f"{int(round(m[i, j]))}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > 0.6 * image.norm.vmax else "black")  # fmt: skip
    fig.colorbar(image, ax=ax, label="fraction of the true class" if normalize else "samples", shrink=0.8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return fig


def write_figure(fig: Figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) with stable bytes: no software/date metadata, fixed
    SVG ids. The layout is computed once and then frozen, so saving the figure again gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"png": {"Software": None}, "svg": {"Date": None}}.get(path.suffix.lower().lstrip("."))
    with mpl.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
        # Lay out once, then freeze: constrained layout may still move colour bars or equal-aspect panels
        # on later draws, and two saves of one figure must give the same bytes.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        fig.savefig(path, dpi=dpi, metadata=metadata, bbox_inches="tight")
    return path


def save_figure(fig: Figure, out_dir: str | Path, stem: str, dpi: int = DPI) -> tuple[Path, Path]:
    """Write ``out_dir/stem.png`` and ``.svg`` with stable bytes (``write_figure``)."""
    out = Path(out_dir)
    png = write_figure(fig, out / f"{stem}.png", dpi)
    svg = write_figure(fig, out / f"{stem}.svg", dpi)
    log.info("wrote %s and %s", png, svg)
    return png, svg
