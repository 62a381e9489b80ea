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


EDGE = (0.0125, 0.2)  # Holm-corrected p within a factor of 4 of 0.05: a verdict a rerun may flip


def near_edge(p_holm: pd.Series) -> pd.Series:
    """Whether each Holm-corrected p (text as the claims table writes it) lies near the 5 % threshold."""
    p = pd.to_numeric(p_holm.astype(str).str.replace("< ", "", regex=False), errors="coerce")
    return (p >= EDGE[0]) & (p <= EDGE[1])


def compare_claims(committed: pd.DataFrame, rerun: pd.DataFrame) -> pd.DataFrame:
    """Per claim: the committed and the rerun's verdict, whether they agree, and whether the committed verdict
    is near the edge of the rule (``EDGE``)."""
    cols = ["claim", "verdict", "p (Holm)"]
    both = committed[cols].merge(rerun[cols], on="claim", suffixes=(" committed", " rerun"))
    both["same"] = both["verdict committed"] == both["verdict rerun"]
    both["near the edge"] = near_edge(both["p (Holm) committed"])
    return both
