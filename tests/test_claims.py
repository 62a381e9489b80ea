"""The claims checklist on hand-made runs: pairing, Holm, verdicts, absent classes and one seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sttr.data.registry import dataset
from sttr.evaluation.claims import (
    COLUMNS,
    CONTRADICTED,
    NOT_DETECTED,
    NOT_RUN,
    SUPPORTED,
    class_contrast_weights,
    claims_table,
)
from sttr.evaluation.scores import Scores

NAMES = dataset("synthetic").class_names()  # the 14 classes, the paper's named ones among them


def runs_with(accuracy: float, seed: int, n: int = 280, absent: tuple[int, ...] = ()) -> Scores:
    """Scores of ``n`` samples (n/14 per class) right on about ``accuracy`` of every class (random per seed)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(14), n // 14)
    labels = labels[~np.isin(labels, absent)]
    right = rng.random(len(labels)) < accuracy
    predicted = np.where(right, labels, (labels + 1 + rng.integers(0, 12, len(labels))) % 14)
    s = np.full((len(labels), 14), 0.01, dtype=np.float32)
    s[np.arange(len(labels)), predicted] = 0.87
    return Scores(np.array([f"s{i}" for i in range(len(labels))]), s, labels, tuple(NAMES))


def _runs(seeds=(1, 2, 3), absent=()):
    return {("stgcn", False): {s: runs_with(0.55, s, absent=absent) for s in seeds},
            ("spatial", False): {s: runs_with(0.95, 10 + s, absent=absent) for s in seeds},
            ("temporal", False): {s: runs_with(0.95, 20 + s, absent=absent) for s in seeds}}  # fmt: skip


def test_claims_table_on_hand_made_runs():
    attention = pd.DataFrame({"seed": [1, 2, 3], "between minus within (x 10^-3)": [5.0, 5.1, 5.2],
                              "permuted labels (x 10^-3)": [0.0, 0.05, 0.1],
                              "permutation p": [0.001, 0.001, 0.002]})  # fmt: skip
    table = claims_table(_runs(), attention=attention).set_index("claim")
    assert list(table.reset_index().columns) == COLUMNS
    assert table.loc["S-TR beats ST-GCN", "verdict"] == SUPPORTED  # +40 points
    assert table.loc["S-TR beats T-TR", "verdict"] == NOT_DETECTED  # equal by construction
    assert table.loc["joints + bones improve S-TR", "verdict"] == NOT_RUN  # no bones runs
    assert table.loc["S-TR has fewer parameters than ST-GCN", "verdict"] == SUPPORTED
    assert table.loc["ST-TR beats ST-GCN by up to 3 points (the size)", "verdict"] == CONTRADICTED  # ~+40, not 3
    attention_row = [c for c in table.index if c.startswith("SSA maps")][0]
    assert table.loc[attention_row, "verdict"] == SUPPORTED
    p, p_holm = pd.to_numeric(table["p"].str.replace("< ", ""), errors="coerce"), pd.to_numeric(
        table["p (Holm)"].str.replace("< ", ""), errors="coerce")
    assert (p_holm.dropna() >= p.dropna() - 1e-12).all()  # Holm never lowers a p-value
    assert "S-TR 95" in table.loc["S-TR beats ST-GCN", "ours"]
    assert table.loc["S-TR beats T-TR", "detectable (80 % power)"] != ""


def test_fused_comparisons_are_paired_with_their_own_stream():
    table = claims_table(_runs()).set_index("claim")
    # three pairs, paired: a t with 2 degrees of freedom; the cell shows the interval
    assert "[" in table.loc["ST-TR (S-TR + T-TR) beats T-TR", "difference [95 % CI]"]


def test_absent_classes_and_one_seed_do_not_break_the_table():
    table = claims_table(_runs(seeds=(1,), absent=(0, 5))).set_index("claim")
    assert set(table["verdict"]) <= {SUPPORTED, CONTRADICTED, NOT_DETECTED, NOT_RUN}
    w = class_contrast_weights(np.array([1, 1, 2, 3]), NAMES, [NAMES[1]])
    assert np.isclose(w.sum(), 0.0) and np.isclose(w[:2].sum(), 1.0)  # named mean minus the others' mean
    assert class_contrast_weights(np.array([2, 3]), NAMES, [NAMES[1]]) is None  # the named class is absent


def test_probe_findings_join_the_family_as_ours():
    from sttr.evaluation.claims import ProbeTables
    from sttr.evaluation.probes import RELATIVE_TITLE

    rows, pairs = [], []
    for model, shuffled, partner, top1 in (("T-TR", 90.0, 10.0, 90.0), (RELATIVE_TITLE, 40.0, 80.0, 91.0)):
        for seed, jitter in ((1, 0.0), (2, 1.0), (3, -0.5)):
            rows += [{"model": model, "seed": seed, "probe": "original", "family": "none", "block": None,
                      "top-1 (%)": top1 + (jitter if model == "T-TR" else -3 * jitter), "changed (%)": 0.0},
                     {"model": model, "seed": seed, "probe": "time reversed", "family": "order", "block": None,
                      "top-1 (%)": 60.0 + jitter, "changed (%)": 30.0},
                     {"model": model, "seed": seed, "probe": "shuffled in blocks of 32", "family": "order",
                      "block": 32, "top-1 (%)": shuffled + jitter, "changed (%)": 50.0}]  # fmt: skip
            pairs.append({"model": model, "seed": seed, "class": "all pairs", "partner": "", "samples": 140,
                          "accuracy (%)": 90.0, "reversed: accuracy (%)": 10.0,
                          "reversed: predicted as partner (%)": partner + 2 * jitter})  # fmt: skip
    invariance = pd.DataFrame({"model": ["T-TR", RELATIVE_TITLE], "seed": [1, 1], "probe": ["time reversed"] * 2,
                               "max abs logit change": [4e-16, 0.2], "max abs logit": [11.8, 11.8]})  # fmt: skip
    table = claims_table(_runs(), probes=ProbeTables(pd.DataFrame(rows), pd.DataFrame(pairs), invariance))
    ours = table[table["source"] == "ours, not the paper's"].set_index("claim")
    assert len(ours) == 4
    pairs_row = [c for c in ours.index if "time-reversed pairs apart" in c][0]
    shuffle_row = [c for c in ours.index if "every frame is shuffled" in c][0]
    assert ours.loc[pairs_row, "difference [95 % CI]"].startswith("+70.0")
    assert ours.loc[shuffle_row, "difference [95 % CI]"].startswith("-50.0")
    assert ours.loc["TSA is blind to frame order beyond the layers before it", "verdict"] == SUPPORTED
    assert ours.loc["relative positions change T-TR's top-1", "verdict"] == NOT_DETECTED  # +1 within the seeds' noise
    without = claims_table(_runs()).set_index("claim")
    assert without.loc["TSA is blind to frame order beyond the layers before it", "verdict"] == NOT_RUN


def test_a_size_claim_needs_its_direction_to_survive_holm():
    from sttr.evaluation.claims import ClaimTest, holm_rows
    from sttr.evaluation.stats import difference

    a, b = [5.0, 6.5, 7.0, 5.5], [3.0, 3.1, 2.9, 3.2]  # +2.95, unadjusted p about 0.005
    direction = ClaimTest("A beats B", "", "", "", difference(a, b, paired=True))
    size = ClaimTest("A beats B by 3 (the size)", "", "", "", difference(a, b, paired=True, null=3.0),
                     direction="A beats B")
    noise = [ClaimTest(f"other {i}", "", "", "", difference([1.0, 2.0, 0.0], [1.0, 1.5, 0.5], paired=True))
             for i in range(12)]  # fmt: skip
    alone = {r["claim"]: r["verdict"] for r in holm_rows([direction, size])}
    assert alone == {"A beats B": SUPPORTED, "A beats B by 3 (the size)": SUPPORTED}
    family = {r["claim"]: r["verdict"] for r in holm_rows([direction, size, *noise])}
    assert family["A beats B"] == NOT_DETECTED and family["A beats B by 3 (the size)"] == NOT_DETECTED
