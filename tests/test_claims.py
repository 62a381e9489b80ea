"""The claims checklist: the rule on constructed differences, and verdicts on hand-made runs."""

from __future__ import annotations

import math

import numpy as np

from sttr.data.names import class_names
from sttr.evaluation.claims import FAILS, HOLDS, NOISE, NOT_RUN, claims_table, compare
from sttr.evaluation.findings import spread
from sttr.evaluation.scores import Scores

NAMES = class_names("synthetic")  # the 14 classes, the paper's named ones among them


def runs_with(accuracy: float, seed: int, n: int = 140) -> Scores:
    """Scores of ``n`` samples (10 per class) right on the first ``accuracy`` fraction of every class."""
    labels = np.repeat(np.arange(14), n // 14)
    right = np.concatenate([np.arange(n // 14) < round(accuracy * n // 14)] * 14)
    rng = np.random.default_rng(seed)
    predicted = np.where(right, labels, (labels + 1 + rng.integers(0, 12, n)) % 14)
    s = np.full((n, 14), 0.01, dtype=np.float32)
    s[np.arange(n), predicted] = 0.87
    return Scores(np.array([f"s{i}" for i in range(n)]), s, labels, tuple(NAMES))


def test_rule():
    assert compare(spread([90, 91, 92]), spread([80, 81, 82]), math.nan).verdict == HOLDS
    assert compare(spread([80, 81, 82]), spread([90, 91, 92]), math.nan).verdict == FAILS
    assert compare(spread([90, 95, 85]), spread([89, 88, 90]), math.nan).verdict == NOISE
    assert compare(spread([90]), spread([]), math.nan).verdict == NOT_RUN
    one = compare(spread([93.0]), spread([90, 91, 92]), fallback_sd=5.0)  # one run: the fallback sd
    assert one.se == math.sqrt(25 / 1 + 1 / 3) and one.verdict == NOISE
    assert str(compare(spread([90, 91, 92]), spread([80, 81, 82]), math.nan)) == "+10.0 (2 se = 1.6)"


def test_claims_table_on_hand_made_runs():
    runs = {("stgcn", False): {s: runs_with(0.7, s) for s in (1, 2, 3)},
            ("spatial", False): {s: runs_with(0.9, 10 + s) for s in (1, 2, 3)},
            ("temporal", False): {s: runs_with(0.9, 20 + s) for s in (1, 2, 3)}}  # fmt: skip
    table = claims_table(runs, attention=spread([5.0, 6.0, 7.0])).set_index("claim")
    assert table.loc["S-TR beats ST-GCN", "verdict"] == HOLDS
    assert table.loc["S-TR beats T-TR", "verdict"] == NOISE  # equal by construction
    assert table.loc["joints + bones improve S-TR", "verdict"] == NOT_RUN  # no bones runs
    assert table.loc["S-TR has fewer parameters than ST-GCN", "verdict"] == HOLDS
    attention = [c for c in table.index if c.startswith("SSA attention")]
    assert table.loc[attention[0], "verdict"] == HOLDS
    assert set(table["verdict"]) <= {HOLDS, FAILS, NOISE, NOT_RUN} and len(table) == 15
    assert "S-TR 90.0 ± 0.0 (n = 3)" in table.loc["S-TR beats ST-GCN", "ours"]
