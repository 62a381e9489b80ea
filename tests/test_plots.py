"""Every figure of sttr.plots on small real arrays: labels, titles, colour bars, PNG/SVG with stable bytes."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection
from matplotlib.text import Text  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sttr import plots  # noqa: E402
from sttr.skeleton import EDGES, JOINT_NAMES, NUM_JOINTS  # noqa: E402

# A standing NTU pose (metres, x to the person's left, y up), joint order of sttr.skeleton.
REST_POSE = np.array(
    [
        [0.00, 0.00, 0], [0.00, 0.30, 0], [0.00, 0.58, 0], [0.00, 0.72, 0],  # spine base/mid, neck, head
        [-0.18, 0.50, 0], [-0.22, 0.25, 0], [-0.24, 0.02, 0], [-0.25, -0.06, 0],  # left arm
        [0.18, 0.50, 0], [0.22, 0.25, 0], [0.24, 0.02, 0], [0.25, -0.06, 0],  # right arm
        [-0.10, -0.02, 0], [-0.11, -0.45, 0], [-0.12, -0.85, 0], [-0.12, -0.92, 0.1],  # left leg
        [0.10, -0.02, 0], [0.11, -0.45, 0], [0.12, -0.85, 0], [0.12, -0.92, 0.1],  # right leg
        [0.00, 0.50, 0], [-0.26, -0.12, 0], [-0.21, -0.04, 0], [0.26, -0.12, 0], [0.21, -0.04, 0],
    ]
)  # fmt: skip


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _waving(frames: int = 12) -> np.ndarray:
    """(T, V, 3): the rest pose raising the right hand and wrist over ``frames`` frames."""
    t = np.linspace(0.0, 1.0, frames)[:, None]  # (T, 1)
    seq = np.repeat(REST_POSE[None], frames, axis=0)  # (T, V, 3)
    for joint, lift in ((9, 0.2), (10, 0.55), (11, 0.65), (23, 0.7), (24, 0.62)):
        seq[:, joint, 1] += lift * t[:, 0]
    return seq


def _ssa_weights(pose: np.ndarray, temperatures=(0.05, 0.3)) -> np.ndarray:
    """(N_h, V, V) softmax over keys of -distance^2 / temperature: attention that prefers near joints."""
    d2 = ((pose[:, None, :] - pose[None, :, :]) ** 2).sum(-1)  # (V, V)
    logits = -d2[None] / np.asarray(temperatures)[:, None, None]  # (N_h, V, V)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    return w / w.sum(-1, keepdims=True)


def _tsa_weights(frames: int = 16) -> np.ndarray:
    """(T', T') softmax attention that favours nearby frames."""
    idx = np.arange(frames)
    logits = -np.abs(idx[:, None] - idx[None, :]) / 2.0  # (T', T')
    w = np.exp(logits)
    return w / w.sum(-1, keepdims=True)


def _check_saved(fig: Figure, tmp_path: Path, stem: str) -> None:
    """PNG and SVG are written, read back, and are byte-identical when saved again."""
    first = plots.save_figure(fig, tmp_path / "a", stem, dpi=72)
    second = plots.save_figure(fig, tmp_path / "b", stem, dpi=72)
    assert [p.name for p in first] == [f"{stem}.png", f"{stem}.svg"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two saves"
    image = mpimg.imread(first[0])
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    root = ET.parse(first[1]).getroot()
    assert root.tag.endswith("svg")
    assert b"Software" not in first[0].read_bytes()
    assert "<dc:date>" not in first[1].read_text()


def _tick_texts(ax, axis: str) -> list[str]:
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


def _colorbar_labels(fig: Figure) -> list[str]:
    return [a.get_ylabel() for a in fig.axes if a.get_label() == "<colorbar>"]


def test_ssa_map_single_has_joint_names_and_colour_bar(tmp_path: Path) -> None:
    weights = _ssa_weights(REST_POSE).mean(0)  # (V, V): heads averaged
    fig = plots.plot_ssa_map(weights, title="SSA, layer 4, averaged heads")
    ax = fig.axes[0]
    assert ax.get_title() == "SSA, layer 4, averaged heads"
    assert ax.get_xlabel() == "key joint (attended to)" and ax.get_ylabel() == "query joint"
    assert _tick_texts(ax, "x") == list(JOINT_NAMES) and _tick_texts(ax, "y") == list(JOINT_NAMES)
    assert _colorbar_labels(fig) == ["attention weight (red line: uniform, 0.04)"]
    image = ax.images[0]
    assert image.norm.vmin == 0.0 and image.norm.vmax >= weights.max()  # non-negative, every weight on the scale
    bar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert [line.get_ydata()[0] for line in bar.get_lines()] == [pytest.approx(1 / NUM_JOINTS)]  # uniform marked
    ticks = bar.get_yticks()
    assert np.allclose(np.diff(ticks), np.diff(ticks)[0])  # even ticks
    _check_saved(fig, tmp_path, "ssa")


def test_ssa_map_per_head_grid(tmp_path: Path) -> None:
    weights = _ssa_weights(REST_POSE)  # (2, V, V)
    fig = plots.plot_ssa_map(weights, title="SSA heads")
    maps = [a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>"]
    assert [a.get_title() for a in maps] == ["head 1", "head 2"]
    assert "left hand" in _tick_texts(maps[0], "y") and not any(_tick_texts(maps[1], "y"))  # shared rows
    assert maps[0].images[0].norm.vmax == maps[1].images[0].norm.vmax
    assert fig.get_suptitle() == "SSA heads"
    assert len(_colorbar_labels(fig)) == 1  # one shared scale
    _check_saved(fig, tmp_path, "ssa_heads")


def test_ssa_map_checks_shapes() -> None:
    with pytest.raises(ValueError, match="joint_names"):
        plots.plot_ssa_map(np.eye(NUM_JOINTS), joint_names=JOINT_NAMES[:10])
    with pytest.raises(ValueError, match=r"\(V, V\)"):
        plots.plot_ssa_map(np.ones((25, 24)))
    fig, a = plt.subplots()
    with pytest.raises(ValueError, match="expected 2 axes"):
        plots.plot_ssa_map(_ssa_weights(REST_POSE), ax=[a])


def test_tsa_map_frame_labels_follow_stride(tmp_path: Path) -> None:
    fig = plots.plot_tsa_map(_tsa_weights(16), title="TSA, right hand", frame_stride=2)
    ax = fig.axes[0]
    assert ax.get_title() == "TSA, right hand"
    assert "query" in ax.get_ylabel() and "key" in ax.get_xlabel() and "stride 2" in ax.get_xlabel()
    labels = [int(t) for t in _tick_texts(ax, "x")]
    assert labels[0] == 0 and all(v % 2 == 0 for v in labels) and len(set(np.diff(labels))) == 1  # even ticks
    assert _colorbar_labels(fig) == ["attention weight (red line: uniform, 0.0625)"]
    _check_saved(fig, tmp_path, "tsa")
    with pytest.raises(ValueError, match="frame_stride"):
        plots.plot_tsa_map(_tsa_weights(4), frame_stride=0)


def test_tsa_map_on_given_axes() -> None:
    fig, ax = plt.subplots()
    assert plots.plot_tsa_map(_tsa_weights(8), ax=ax) is fig
    assert ax.get_xlabel() == "key input frame"


def test_skeleton_single_person(tmp_path: Path) -> None:
    fig = plots.plot_skeleton(_waving(12), frames=[0, 11], title="Waving")
    axes = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in axes] == ["frame 0", "frame 11"]
    assert all(a.get_xlabel() == "x" and a.get_ylabel() == "y" for a in axes)
    bones = [c for c in axes[0].collections if isinstance(c, LineCollection)]
    assert len(bones) == 1 and len(bones[0].get_segments()) == len(EDGES)
    assert fig.get_suptitle() == "Waving"
    _check_saved(fig, tmp_path, "skeleton")


def test_skeleton_two_persons_model_layout(tmp_path: Path) -> None:
    seq = _waving(10)  # (T, V, 3)
    model = np.zeros((3, 14, NUM_JOINTS, 2))  # (C, T, V, M) with zero padding after frame 10
    model[:, :10, :, 0] = seq.transpose(2, 0, 1)  # (3, T, V)
    model[:, :10, :, 1] = (seq + [0.8, 0.0, 0.0]).transpose(2, 0, 1)
    fig = plots.plot_skeleton(model)
    axes = [a for a in fig.axes if a.get_visible()]
    titles = [a.get_title() for a in axes]
    assert titles[0] == "frame 0" and titles[-1] == "frame 9"  # padding skipped
    legend = axes[-1].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["person 1", "person 2"]
    _check_saved(fig, tmp_path, "skeleton_two")
    with pytest.raises(ValueError, match=r"\(T, V, 3\) or \(3, T, V, M\)"):
        plots.plot_skeleton(np.zeros((10, 25, 2)))
    with pytest.raises(ValueError, match="outside the sequence"):
        plots.plot_skeleton(seq, frames=[99])


def test_attention_links(tmp_path: Path) -> None:
    weights = _ssa_weights(REST_POSE).mean(0)  # (V, V)
    fig = plots.plot_attention_links(REST_POSE, weights, top=7)
    ax = fig.axes[0]
    links = [c for c in ax.collections if isinstance(c, LineCollection)][-1]
    assert len(links.get_segments()) == 7
    widths = links.get_linewidths()
    assert max(widths) > min(widths)  # width grows with weight
    assert ax.get_title() == "Strongest SSA links (top 7)"
    assert ax.get_xlabel() == "x (m, normalised)" and ax.get_ylabel() == "y (m, normalised)"
    assert _colorbar_labels(fig) == ["SSA weight (query -> key)"]
    named = {t.get_text() for t in ax.texts}
    assert named and named <= set(JOINT_NAMES)
    fig.canvas.draw()
    boxes = [Text.get_window_extent(t) for t in ax.texts]  # the text alone, not its leader line
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])  # labels do not overlap
    _check_saved(fig, tmp_path, "links")
    with pytest.raises(ValueError, match="xyz_frame"):
        plots.plot_attention_links(REST_POSE[:20], weights)


def test_per_class_gain_sorted_and_highlighted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(0)
    names = [f"action {i}" for i in range(12)]
    gain = rng.normal(0, 5, 12)
    df = pd.DataFrame({"name": names, "gain mean": gain, "gain low": gain - 2, "gain high": gain + 2,
                       "accuracy (%)": rng.uniform(50, 100, 12), "baseline accuracy (%)": rng.uniform(50, 100, 12),
                       "samples": np.full(12, 35)})  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="sttr.plots"):
        fig = plots.plot_per_class_gain(df, highlight=["action 3", "not a class"], title="S-TR minus ST-GCN",
                                        model="S-TR", baseline="ST-GCN")  # fmt: skip
    assert "not a class" in caplog.text
    left, right = fig.axes
    labels = _tick_texts(left, "y")
    assert labels == [f"{n} (n = 35)" for n in df.sort_values("gain mean")["name"]]  # the largest gain on top
    bold = [t.get_text() for t in left.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["action 3 (n = 35)"]
    bars = {t: p for t, p in zip(labels, left.patches)}
    marked = bars["action 3 (n = 35)"]
    sign = "tab:blue" if gain[3] >= 0 else "tab:red"
    assert mpl.colors.same_color(marked.get_facecolor(), sign)  # a named class keeps the colour of its sign
    assert mpl.colors.same_color(marked.get_edgecolor(), "black")
    assert left.get_xlabel() == "S-TR minus ST-GCN, accuracy (points)" and "95 % interval" in left.get_title()
    assert right.get_xlabel() == "accuracy (%), mean over seeds"
    assert fig.get_suptitle() == "S-TR minus ST-GCN"
    _check_saved(fig, tmp_path, "gain")
    with pytest.raises(ValueError, match="expected columns"):
        plots.plot_per_class_gain(df.drop(columns="accuracy (%)"))


@pytest.mark.parametrize("classes", [60, 120, 400])
def test_per_class_figures_stay_readable_at_many_classes(classes: int) -> None:
    rng = np.random.default_rng(classes)
    names = [f"action {i}" for i in range(classes)]
    gain = rng.normal(0, 5, classes)
    df = pd.DataFrame({"name": names, "gain mean": gain, "gain low": gain - 2, "gain high": gain + 2,
                       "accuracy (%)": 80.0, "baseline accuracy (%)": 80.0, "samples": 30})  # fmt: skip
    fig = plots.plot_per_class_gain(df, highlight=["action 7"], extremes=15)
    labels = _tick_texts(fig.axes[0], "y")
    assert len(labels) <= 31 and "action 7 (n = 30)" in labels  # extremes and the named class only
    assert fig.get_size_inches()[1] < 14 and f"of {classes} classes" in fig.get_suptitle()
    counts = pd.DataFrame({"class": names, "train": rng.integers(20, 40, classes), "val": rng.integers(5, 15, classes)})
    ax = plots.plot_class_counts(counts).axes[0]
    assert len(ax.get_lines()) == 2 and f"{classes} classes" in ax.get_xlabel()  # sorted counts, not 400 bars
    pairs = pd.DataFrame({"class": names[:10], "predicted as": names[10:20], "share (%)": np.linspace(50, 5, 10),
                          "samples": 30})  # fmt: skip
    fig = plots.plot_confused_pairs({"S-TR": pairs, "T-TR": pairs.head(3)})
    assert [len(_tick_texts(a, "y")) for a in fig.axes] == [10, 3]


def test_curves_several_runs(tmp_path: Path) -> None:
    def log_of(scale: float) -> list[dict]:
        return [
            {"epoch": e, "train_loss": scale / (e + 1), "val_top1": 1 - scale / (e + 2), "lr": 0.1 * 0.5**e}
            for e in range(1, 6)
        ]

    fig = plots.plot_curves({"S-TR": log_of(1.0), "T-TR": log_of(1.5)}, title="mini profile")
    titles = [a.get_title() for a in fig.axes]
    assert titles == ["loss", "accuracy", "learning rate"]
    assert all(a.get_xlabel() == "epoch" for a in fig.axes)
    assert [a.get_ylabel() for a in fig.axes] == [
        "cross-entropy loss (log scale)", "accuracy (%)", "learning rate (log scale)"]
    assert [a.get_yscale() for a in fig.axes] == ["log", "linear", "log"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["train loss"]  # line styles name the curves; colours name the runs, in the figure legend
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["S-TR", "T-TR"]
    accuracy = fig.axes[1].get_lines()[0]
    assert accuracy.get_ydata()[0] == pytest.approx(100 * (1 - 1 / 3))  # fractions drawn as %
    assert fig.axes[2].get_lines()[0].get_drawstyle() == "steps-post" and len(fig.axes[2].get_lines()) == 1
    assert fig.get_suptitle() == "mini profile"
    _check_saved(fig, tmp_path, "curves")

    seeds = pd.DataFrame([{"epoch": r["epoch"], "train_loss": r["train_loss"], "top1": r["val_top1"], "top5": 0.9,
                           "seed": s} for s in (1, 2) for r in log_of(s)])
    fig = plots.plot_curves(seeds)
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert legend == ["validation top-1", "validation top-5"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["seed 1", "seed 2"]

    table = pd.DataFrame(log_of(1.0)).drop(columns="lr")
    assert len(plots.plot_curves(table).axes) == 2
    with pytest.raises(ValueError, match="no loss column"):
        plots.plot_curves([{"epoch": 1, "lr": 0.1}])


def test_class_counts_wide_and_long(tmp_path: Path) -> None:
    names = [f"action {i}" for i in range(6)]
    wide = pd.DataFrame({"class": names, "train": [40, 38, 41, 39, 40, 42], "val": [10, 12, 9, 11, 10, 8]})
    fig = plots.plot_class_counts(wide, title="mini: samples per class")
    ax = fig.axes[0]
    assert ax.get_title() == "mini: samples per class"
    assert ax.get_xlabel() == "samples" and ax.get_ylabel() == "action class"
    assert _tick_texts(ax, "y") == names
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "val"]
    _check_saved(fig, tmp_path, "counts")

    long = wide.melt(id_vars="class", var_name="split", value_name="count")
    fig_long = plots.plot_class_counts(long)
    assert _tick_texts(fig_long.axes[0], "y") == names


@pytest.mark.parametrize(
    "make",
    [
        lambda: plots.plot_ssa_map(np.full((NUM_JOINTS, NUM_JOINTS), 1 / NUM_JOINTS)),
        lambda: plots.plot_tsa_map(np.full((4, 4), 0.25)),
    ],
    ids=["ssa-uniform", "tsa-uniform"],
)
def test_constant_maps_still_get_a_colour_scale(make: Callable[[], Figure]) -> None:
    fig = make()
    image = fig.axes[0].images[0]
    assert image.norm.vmax > image.norm.vmin


def test_skeleton_projection_plane_after_normalisation():
    """Normalised skeletons stand along +z: plane="xz" draws them upright, a bad plane is refused."""
    from sttr.plots import plot_skeleton

    xyz = np.zeros((3, 4, 25, 2), dtype=np.float32)
    xyz[2, :, 3, 0] = 0.8  # the head high along z
    xyz[0, :, 4, 0], xyz[0, :, 8, 0] = -0.2, 0.2
    fig = plot_skeleton(xyz, frames=[0], plane="xz")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "z"
    head = [c for c in ax.collections if c.get_offsets().shape[0] == 25][0].get_offsets()[3]
    assert float(head[1]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="plane"):
        plot_skeleton(xyz, frames=[0], plane="xx")
