"""The paper's Table 1a and Table 2 in their layout: the paper's top-1 (%), ours where this profile ran them
(mean ± sd over seeds, last epoch), "needs NTU" where only NTU data can fill a cell, and gains over ST-GCN.

The paper's numbers live in ``sttr.paper``; a profile's own runs
fill the column of its dataset and benchmark. A synthetic profile fills a column of its own, labelled as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sttr.evaluation.findings import Runs, Spread, stream_runs, top1
from sttr.streams import TITLES
from sttr.experiment import Profile, load_profile

NEEDS_NTU = "needs NTU"
# (column title, profile) of the paper's tables
TABLE_1A = (("X-Sub", "ntu60-xsub"), ("X-View", "ntu60-xview"))
TABLE_2 = (("NTU-60 X-Sub", "ntu60-xsub"), ("NTU-60 X-View", "ntu60-xview"), ("NTU-120 X-Sub", "ntu120-xsub"),
           ("NTU-120 X-Set", "ntu120-xset"))  # fmt: skip
TABLE_1A_ROWS = (("stgcn", False), ("spatial", False), ("temporal", False), ("fused", False),
                 ("spatial", True), ("temporal", True), ("fused", True))  # fmt: skip
TABLE_2_ROWS = (("spatial", False), ("temporal", False), ("fused", False), ("fused", True))


def _cell(value: Spread | None, shown: bool) -> str:
    return str(value) if shown and value is not None and value.n else ("not run" if shown else NEEDS_NTU)


def _ours(runs: Runs, stream: str, bones: bool) -> Spread:
    return top1(stream_runs(runs, stream, bones))


def replica(
    profile: Profile, runs: Runs, columns: tuple[tuple[str, str], ...], rows: tuple[tuple[str, bool], ...],
    gains: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A paper table as (numbers, display): the CSV's numeric columns (paper, ours mean / sd / n per column) and
    the Markdown's cells ("86.4", "86.9 ± 0.4 (n = 3)", "needs NTU"); with ``gains``, the gain over ST-GCN."""
    papers = {title: load_profile(name) for title, name in columns}
    synthetic = profile.dataset == "synthetic"
    numbers, display = [], []
    for stream, bones in rows:
        ours = _ours(runs, stream, bones)
        base = _ours(runs, "stgcn", bones)
        num = {"model": TITLES[stream], "bones": "yes" if bones else ""}
        show = dict(num)
        for title, paper in papers.items():
            mine = not synthetic and paper.name == profile.name
            p = paper.paper_top1(stream, bones)
            num[f"{title} paper"] = np.nan if p is None else p
            num[f"{title} ours mean"] = ours.mean if mine else np.nan
            num[f"{title} ours sd"] = ours.sd if mine else np.nan
            show[f"{title}: paper"] = "" if p is None else f"{p:.1f}"
            show[f"{title}: ours"] = _cell(ours, mine)
            if gains:
                pb = paper.paper_top1("stgcn", bones)
                gain = None if p is None or pb is None or stream == "stgcn" else p - pb
                show[f"{title}: paper gain over ST-GCN"] = "" if gain is None else f"{gain:+.1f}"
        if synthetic:
            label = "ours, synthetic mini-NTU"
            num[f"{label} mean"], num[f"{label} sd"], num[f"{label} n"] = ours.mean, ours.sd, ours.n
            show[label] = _cell(ours, True)
            if gains:
                diff = ours.mean - base.mean if ours.n and base.n and stream != "stgcn" else np.nan
                num[f"{label} gain over ST-GCN"] = diff
                show[f"{label}: gain over ST-GCN"] = "" if np.isnan(diff) else f"{diff:+.1f}"
        numbers.append(num)
        display.append(show)
    return pd.DataFrame(numbers), pd.DataFrame(display)


def table_1a(profile: Profile, runs: Runs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 1a: ST-GCN, S-TR, T-TR and ST-TR on NTU-60 X-Sub and X-View, without and with bones."""
    return replica(profile, runs, TABLE_1A, TABLE_1A_ROWS, gains=True)


def table_2(profile: Profile, runs: Runs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 2 (the paper's rows of its own models): NTU-60 X-Sub / X-View and NTU-120 X-Sub / X-Set."""
    return replica(profile, runs, TABLE_2, TABLE_2_ROWS, gains=False)
