"""Does a rerun reproduce committed results? Per stream, its mean against the committed mean ± 2 sd; per claim,
its verdict against the committed one (used by ``benchmarks/bench_machines.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["model", "input"]
MEAN, SD = "top-1 last (%) mean", "top-1 last (%) sd"


def _mean_sd(mean: float, sd: float) -> str:
    """``mean ± sd``, or ``mean (one run)`` where a single run has no sd."""
    return f"{mean:.1f} ± {sd:.1f}" if np.isfinite(sd) else f"{mean:.1f} (one run)"


def compare_summaries(committed: pd.DataFrame, rerun: pd.DataFrame) -> pd.DataFrame:
    """Per (model, input): the committed mean ± sd and interval (mean ± 2 sd), the rerun's mean ± sd, and
    whether the rerun's mean lies inside the interval (a single committed run has no interval)."""
    both = committed[[*KEY, MEAN, SD]].merge(rerun[[*KEY, MEAN, SD]], on=KEY, suffixes=(" committed", " rerun"))
    mean, sd = both[f"{MEAN} committed"], both[f"{SD} committed"]
    low, high = mean - 2 * sd, mean + 2 * sd
    rerun_mean = both[f"{MEAN} rerun"]
    return pd.DataFrame({
        "model": both["model"],
        "input": both["input"],
        "committed": [_mean_sd(m, s) for m, s in zip(mean, sd)],
        "interval": [f"[{a:.1f}, {b:.1f}]" if np.isfinite(b) else "one run" for a, b in zip(low, high)],
        "rerun": [_mean_sd(m, s) for m, s in zip(rerun_mean, both[f"{SD} rerun"])],
        "inside": [bool(a <= m <= b) if np.isfinite(b) else "n/a" for a, m, b in zip(low, rerun_mean, high)],
    })  # fmt: skip


def compare_claims(committed: pd.DataFrame, rerun: pd.DataFrame) -> pd.DataFrame:
    """Per claim: the committed and the rerun's verdict, and whether they agree."""
    both = committed[["claim", "verdict"]].merge(rerun[["claim", "verdict"]], on="claim", suffixes=(" committed", " rerun"))
    both["same"] = both["verdict committed"] == both["verdict rerun"]
    return both
