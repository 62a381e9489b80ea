"""The paper's claims, one row each: the claim and its section, the paper's numbers, ours, and a verdict.

The rule, stated once (``RULE``): a difference between two sets of runs counts when it exceeds twice its
standard error, se = sqrt(sd_a^2 / n_a + sd_b^2 / n_b) over seeds (or seed pairs). A side with a single run
takes the largest seed standard deviation measured among this profile's joint streams. The verdict is
"holds" when the difference is on the paper's side by more than 2 se, "does not hold" when it is on the
other side by more than 2 se, "within noise" otherwise, and "not run on this profile" when a side has no
runs. Counts of parameters are exact and need no rule. With three seeds a side, 2 se is a lenient test
(about 85-90 % two-sided under a t distribution), so "within noise" means no difference was measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sttr.evaluation.findings import (
    TITLES,
    Runs,
    Spread,
    fuse_pairs,
    per_class_gains,
    seed_pair_gains,
    spread,
    stream_runs,
    top1,
)
from sttr.evaluation.scores import Scores

RULE = (
    "A difference counts when it exceeds twice its standard error over seeds (se² = sd_a²/n_a + sd_b²/n_b; a side "
    "with one run takes the largest seed sd of this profile's joint streams). holds: on the paper's side by more "
    "than 2 se; does not hold: on the other side by more than 2 se; within noise: otherwise. Parameter counts "
    "are exact."
)
HOLDS, FAILS, NOISE, NOT_RUN = "holds", "does not hold", "within noise", "not run on this profile"

# Classes the paper names as gaining most from SSA (S-TR) and TSA (T-TR), Sec. 3.3, with their NTU names.
PAPER_GAIN_CLASSES: dict[str, tuple[str, ...]] = {
    "spatial": ("playing with phone/tablet", "typing on a keyboard", "cross hands in front (say stop)"),
    "temporal": ("hugging other person", "point finger at the other person", "pat on back of other person"),
}


@dataclass(frozen=True)
class Comparison:
    """Runs a minus runs b (points): the difference of the means, its standard error and the verdict."""

    a: Spread
    b: Spread
    diff: float
    se: float
    verdict: str

    def __str__(self) -> str:
        if self.verdict == NOT_RUN:
            return ""
        return f"{self.diff:+.1f} (2 se = {2 * self.se:.1f})"


def compare(a: Spread, b: Spread, fallback_sd: float) -> Comparison:
    """``RULE`` applied to a - b, where the paper says a > b."""
    if a.n == 0 or b.n == 0:
        return Comparison(a, b, math.nan, math.nan, NOT_RUN)
    var = sum((s.sd if s.n > 1 else fallback_sd) ** 2 / s.n for s in (a, b))
    diff, se = a.mean - b.mean, math.sqrt(var)
    if math.isnan(se):
        verdict = NOISE
    elif diff > 2 * se:
        verdict = HOLDS
    elif diff < -2 * se:
        verdict = FAILS
    else:
        verdict = NOISE
    return Comparison(a, b, diff, se, verdict)


def _fallback_sd(runs: Runs) -> float:
    """The largest seed sd of the joint streams: the spread assumed for a side with one run."""
    sds = [top1(runs[(s, False)]).sd for s in ("stgcn", "spatial", "temporal") if (s, False) in runs]
    sds = [sd for sd in sds if not math.isnan(sd)]
    return max(sds) if sds else math.nan


def _row(claim: str, section: str, paper: str, ours: str, comparison: str, verdict: str) -> dict[str, str]:
    return {"claim": claim, "section": section, "paper": paper, "ours": ours, "difference (ours)": comparison,
            "verdict": verdict}  # fmt: skip


def _beats(runs: Runs, a: str, b: str, sd: float, bones: bool = False) -> Comparison:
    return compare(top1(stream_runs(runs, a, bones)), top1(stream_runs(runs, b, bones)), sd)


def _accuracy_rows(runs: Runs, sd: float) -> list[dict[str, str]]:
    rows = []
    beats = (
        ("spatial", "stgcn", "S-TR beats ST-GCN", "Sec. 3.3, Table 1a", "+0.7 X-Sub (86.4 vs 85.7), +1.3 X-View (94.0 vs 92.7)"),
        ("spatial", "temporal", "S-TR beats T-TR", "Table 1a", "+0.4 X-Sub (86.4 vs 86.0), +0.4 X-View (94.0 vs 93.6)"),
        ("fused", "spatial", "ST-TR (S-TR + T-TR) beats S-TR", "Sec. 3.3, Table 1a", "+2.3 X-Sub (88.7 vs 86.4), +1.6 X-View"),
        ("fused", "temporal", "ST-TR (S-TR + T-TR) beats T-TR", "Sec. 3.3, Table 1a", "+2.7 X-Sub (88.7 vs 86.0), +2.0 X-View"),
        ("fused", "stgcn", "ST-TR beats ST-GCN, by up to 3 points", "Sec. 3.3, Table 1a", "+3.0 X-Sub (88.7 vs 85.7), +2.9 X-View"),
    )  # fmt: skip
    for a, b, text, section, paper in beats:
        c = _beats(runs, a, b, sd)
        ours = f"{TITLES[a]} {c.a}; {TITLES[b]} {c.b}"
        rows.append(_row(text, section, paper, ours, str(c), c.verdict))
    return rows


def _ensemble_row(runs: Runs, sd: float) -> dict[str, str]:
    """Two streams against two seeds of one stream: is the fusion gain more than ensembling?"""
    fused = top1(stream_runs(runs, "fused"))
    controls = {s: top1(fuse_pairs(runs[(s, False)])) for s in ("spatial", "temporal") if (s, False) in runs}
    controls = {s: c for s, c in controls.items() if c.n}
    if not controls or not fused.n:
        return _row("the fusion gain exceeds same-stream ensembling", "Sec. 2.3 (our control)", "not measured",
                    "", "", NOT_RUN)  # fmt: skip
    best = max(controls, key=lambda s: controls[s].mean)
    c = compare(fused, controls[best], sd)
    listing = "; ".join(f"{TITLES[s]} + {TITLES[s]} {v}" for s, v in controls.items())
    return _row("the fusion gain exceeds same-stream ensembling", "Sec. 2.3 (our control)",
                "not measured in the paper", f"ST-TR {fused}; {listing}", str(c), c.verdict)  # fmt: skip


def _bones_rows(runs: Runs, sd: float) -> list[dict[str, str]]:
    paper = {"spatial": "+1.5 X-Sub (87.9 vs 86.4)", "temporal": "+1.3 X-Sub (87.3 vs 86.0)",
             "fused": "+1.2 X-Sub (89.9 vs 88.7)", "stgcn": "not in the paper"}  # fmt: skip
    rows = []
    for stream in ("spatial", "temporal", "fused", "stgcn"):
        c = compare(top1(stream_runs(runs, stream, True)), top1(stream_runs(runs, stream)), sd)
        ours = "" if c.verdict == NOT_RUN else f"joints+bones {c.a}; joints {c.b}"
        rows.append(_row(f"joints + bones improve {TITLES[stream]}", "Sec. 3.3, Table 1a", paper[stream], ours, str(c),
                         c.verdict))  # fmt: skip
    return rows


def _parameter_rows() -> list[dict[str, str]]:
    from sttr.models import ModelConfig, build_model, count_parameters, table_1b

    t = table_1b().set_index("module")["parameters"]
    fewer_ssa = t["SSA"] < t["GCN"]
    tsa_gap = t["TCN"] - t["TSA"]
    ours = f"SSA {t['SSA']:,} vs GCN {t['GCN']:,}; TSA {t['TSA']:,} vs TCN {t['TCN']:,} ({tsa_gap / 1e4:.1f} x 10^4 fewer)"
    counts = {s: count_parameters(build_model(ModelConfig.paper(s))) for s in ("spatial", "stgcn")}
    return [
        _row("SSA has fewer parameters than GCN, TSA 41.3 x 10^4 fewer than TCN", "Table 1b",
             "GCN 19.9, SSA 17.8, TCN 59.0, TSA 17.7 (x 10^4, C_in = C_out = 256)", ours, "exact",
             HOLDS if fewer_ssa and round(tsa_gap / 1e3) == 413 else FAILS),
        _row("S-TR has fewer parameters than ST-GCN", "Sec. 3.3", "fewer parameters (NTU-60, joints)",
             f"S-TR {counts['spatial']:,} vs ST-GCN {counts['stgcn']:,}", "exact",
             HOLDS if counts["spatial"] < counts["stgcn"] else FAILS),
    ]  # fmt: skip


def _class_rows(runs: Runs, sd: float) -> list[dict[str, str]]:
    """The named classes gain most: per seed pair, their mean gain over ST-GCN minus the other classes' mean."""
    rows = []
    for stream, text in (("spatial", "S-TR"), ("temporal", "T-TR")):
        named = PAPER_GAIN_CLASSES[stream]
        claim = f"the classes named in Sec. 3.3 gain most with {text}: " + ", ".join(named)
        model, base = runs.get((stream, False), {}), runs.get(("stgcn", False), {})
        if not model or not base:
            rows.append(_row(claim, "Sec. 3.3", "named, no numbers", "", "", NOT_RUN))
            continue
        gains = per_class_gains(model, base)
        mine = gains["name"].isin(named)
        if not mine.any():
            rows.append(_row(claim, "Sec. 3.3", "named, no numbers", "the named classes are not in this data", "",
                             NOT_RUN))  # fmt: skip
            continue
        diffs = _named_minus_other(model, base, named)
        c = compare(diffs, spread([0.0] * diffs.n), sd)
        ranks = ", ".join(f"{n} #{r}" for n, r in zip(gains.loc[mine, "name"], gains.loc[mine, "rank"]))
        ours = f"named minus other classes' gain {diffs} points; ranks of {len(gains)}: {ranks}"
        rows.append(_row(claim, "Sec. 3.3", "named, no numbers", ours, str(c), c.verdict))
    return rows


def _named_minus_other(model: Mapping[int, Scores], base: Mapping[int, Scores], named: tuple[str, ...]) -> Spread:
    """Per seed pair: the named classes' mean gain minus the other classes' mean gain (points)."""
    classes, _, gains = seed_pair_gains(model, base)  # gains (K, pairs)
    mine = classes["name"].isin(named).to_numpy()
    return spread(np.nanmean(gains[mine], axis=0) - np.nanmean(gains[~mine], axis=0))


def _attention_row(attention: Spread | None) -> dict[str, str]:
    claim = "SSA attention is predicted per sample: maps differ between samples and classes"
    paper = "stated (Sec. 2.1), not measured"
    if attention is None or not attention.n:
        return _row(claim, "Sec. 2.1", paper, "", "", NOT_RUN)
    c = compare(attention, spread([0.0] * attention.n), math.nan)
    ours = f"between-class minus within-class map distance {attention} (x 10^-3 total variation)"
    return _row(claim, "Sec. 2.1", paper, ours, str(c), c.verdict)


def claims_table(runs: Runs, attention: Spread | None = None) -> pd.DataFrame:
    """One row per claim of the paper: claim, section, the paper's numbers, ours (mean ± sd, n), the difference
    with twice its standard error, and the verdict of ``RULE``. ``runs`` holds the validation scores of the
    last epoch by (stream, bones) and seed; ``attention`` the per-seed between-class minus within-class SSA
    map distance (``sttr.evaluation.attention``)."""
    sd = _fallback_sd(runs)
    rows = [*_accuracy_rows(runs, sd), _ensemble_row(runs, sd), *_bones_rows(runs, sd), *_parameter_rows(),
            *_class_rows(runs, sd), _attention_row(attention)]  # fmt: skip
    return pd.DataFrame(rows)
