"""The attention figure of ``predict --attention-figure``: one input's SSA or TSA map, written to a file."""

from __future__ import annotations

from pathlib import Path

from sttr import plots
from sttr.predict.predictor import AttentionMap
from sttr.skeleton import layout


def attention_figure(att: AttentionMap, out: str | Path) -> Path:
    """Save the SSA joint-by-joint (joint names on the axes) or TSA frame-by-frame map ``att`` to ``out``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if att.stream == "spatial":
        title = f"SSA {att.layer}: {att.input_name} (mean over heads and frames)"
        fig = plots.plot_ssa_map(att.weights, layout(att.graph).joint_names, title=title)
    else:
        title = f"TSA {att.layer}: {att.input_name} (mean over heads and joints)"
        stride = max(1, round(att.input_frames / att.weights.shape[0]))
        fig = plots.plot_tsa_map(att.weights, title=title, frame_stride=stride)
    out = plots.write_figure(fig, out)
    plt.close(fig)
    return out
