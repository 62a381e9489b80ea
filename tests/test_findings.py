"""Results over seeds on hand-made scores: spread, seed pairs, fusion against the ensemble control, per-class
gains and ranks, convergence, and the paper-table replicas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sttr.evaluation.findings import (
    convergence,
    fuse_pairs,
    pair_collapses,
    fusion_gain,
    per_class_gains,
    seed_pairs,
    seed_summary,
    spread,
    stream_runs,
    top1,
)
from sttr.evaluation.paper_tables import NEEDS_NTU, table_1a, table_2
from sttr.evaluation.scores import Scores
from sttr.experiment import load_profile

CLASSES = ("a", "b", "c")
LABELS = np.array([0, 0, 1, 1, 2, 2])


def scores_from(predicted: list[int], confidence: float = 0.8) -> Scores:
    """Softmax-like scores that put ``confidence`` on each sample's predicted class."""
    s = np.full((len(predicted), 3), (1 - confidence) / 2, dtype=np.float32)
    s[np.arange(len(predicted)), predicted] = confidence
    return Scores(np.array([f"s{i}" for i in range(len(predicted))]), s, LABELS, CLASSES)


def test_spread_and_seed_pairs():
    s = spread([90.0, 92.0, 94.0])
    assert (s.n, s.mean, s.sd) == (3, 92.0, 2.0) and str(s) == "92.0 ± 2.0 (n = 3)"
    assert str(spread([91.0])) == "91.0 (n = 1)" and math.isnan(spread([91.0]).sd)
    assert str(spread([])) == "not run"
    assert seed_pairs([3, 1, 2], [2, 3, 1]) == [(1, 1), (2, 2), (3, 3)]  # two streams: seed by seed
    assert seed_pairs([1, 2, 3]) == [(1, 2)]  # one stream: disjoint pairs, no run in two pairs
    assert seed_pairs([4, 1, 2, 3]) == [(1, 2), (3, 4)]
    assert seed_pairs([1, 2]) == [(1, 2)] and seed_pairs([1]) == []


def test_fusion_sums_softmax_and_measures_the_gain_over_the_better_run():
    a = {1: scores_from([0, 0, 1, 1, 0, 0]), 2: scores_from([0, 0, 1, 1, 2, 2])}  # 66.7 %, 100 %
    b = {1: scores_from([0, 1, 1, 1, 2, 2], 0.9), 2: scores_from([0, 0, 2, 2, 2, 2])}
    fused = fuse_pairs(a, b)
    np.testing.assert_allclose(fused[(1, 1)].scores, a[1].scores + b[1].scores, rtol=1e-6)
    acc, gain = fusion_gain(a, b)
    expected = [100 * f.top1() for f in fused.values()]
    assert acc.values == pytest.approx(tuple(expected))
    assert gain.values == pytest.approx((expected[0] - 100 * 5 / 6, expected[1] - 100.0))
    assert list(fuse_pairs(a)) == [(1, 2)]  # the ensemble control: two seeds of one stream
    runs = {("spatial", False): a, ("temporal", False): b}
    assert set(stream_runs(runs, "fused")) == {(1, 1), (2, 2)} and stream_runs(runs, "fused", bones=True) == {}


def test_per_class_gains_pair_seeds_and_rank_classes():
    model = {1: scores_from([0, 0, 1, 1, 2, 2]), 2: scores_from([0, 0, 1, 0, 2, 2])}
    base = {1: scores_from([0, 0, 0, 0, 2, 2]), 2: scores_from([0, 1, 0, 0, 2, 2])}
    g = per_class_gains(model, base).set_index("name")
    assert g.loc["b", "gain mean"] == pytest.approx(75.0) and g.loc["b", "gain sd"] == pytest.approx(35.355, abs=1e-3)
    assert g.loc["a", "gain mean"] == pytest.approx(25.0) and g.loc["c", "gain mean"] == 0.0
    assert g["rank"].to_dict() == {"b": 1, "a": 2, "c": 3} and set(g["n"]) == {2}
    assert (g["gain low"] <= g["gain mean"]).all() and (g["gain mean"] <= g["gain high"]).all()
    assert top1(model).values == pytest.approx((100.0, 100 * 5 / 6))


def test_per_class_gains_and_collapses_with_an_absent_class_and_one_seed():
    model = {1: scores_from([0, 0, 1, 1, 2, 2])}
    base = {1: scores_from([0, 1, 0, 0, 2, 2])}
    absent = {s: Scores(v.names[:2], v.scores[:2], v.labels[:2], v.class_names) for s, v in model.items()}
    absent_base = {s: Scores(v.names[:2], v.scores[:2], v.labels[:2], v.class_names) for s, v in base.items()}
    g = per_class_gains(absent, absent_base).set_index("name")  # classes b and c have no sample
    assert g.loc["a", "rank"] == 1 and pd.isna(g.loc["b", "rank"]) and pd.isna(g.loc["a", "gain low"])
    collapses = pair_collapses(base, threshold=25.0)
    assert collapses.iloc[0][["class", "predicted as"]].tolist() == ["b", "a"]  # b's only sample went to a
    assert collapses.iloc[0]["share (%)"] == 100.0


def test_seed_summary_and_convergence():
    runs = pd.DataFrame({
        "model": ["S-TR"] * 3, "input": ["joints"] * 3, "seed": [1, 2, 3], "epochs": [12] * 3,
        "top-1 last (%)": [90.0, 92.0, 94.0], "top-5 last (%)": [99.0] * 3, "top-1 best (%)": [91.5, 92.0, 94.0],
        "best epoch": [8, 12, 12],
    })  # fmt: skip
    numbers, shown = seed_summary(runs)
    assert numbers.loc[0, "top-1 last (%) mean"] == 92.0 and numbers.loc[0, "n"] == 3
    assert shown.loc[0, "top-1 last (%)"] == "92.0 ± 2.0 (n = 3)"
    check = convergence(runs)
    assert check["gap (points)"].tolist() == [1.5, 0.0, 0.0]
    assert check["last within 1 point of best"].tolist() == [False, True, True]


def test_table_replicas_put_ours_where_the_profile_ran():
    runs = {("stgcn", False): {1: scores_from([0, 0, 1, 1, 2, 0]), 2: scores_from([0, 0, 1, 1, 2, 2])},
            ("spatial", False): {1: scores_from([0, 0, 1, 1, 2, 2]), 2: scores_from([0, 0, 1, 1, 2, 2])}}  # fmt: skip
    numbers, shown = table_1a(load_profile("mini"), runs)
    s_tr = shown[(shown["model"] == "S-TR") & (shown["bones"] == "")].iloc[0]
    assert s_tr["X-Sub: paper"] == "86.4" and s_tr["X-Sub: ours"] == NEEDS_NTU  # synthetic runs never fill NTU
    assert s_tr["ours, synthetic mini-NTU"] == "100.0 ± 0.0 (n = 2)"
    assert s_tr["ours, synthetic mini-NTU: gain over ST-GCN"] == "+8.3" and s_tr["X-Sub: paper gain over ST-GCN"] == "+0.7"
    xsub, _ = table_1a(load_profile("ntu60-xsub"), runs)
    row = xsub[(xsub["model"] == "S-TR") & (xsub["bones"] == "")].iloc[0]
    assert row["X-Sub ours mean"] == 100.0 and math.isnan(row["X-View ours mean"])
    t2 = table_2(load_profile("mini"), runs)[1]
    assert list(t2["model"]) == ["S-TR", "T-TR", "ST-TR", "ST-TR"] and (t2["NTU-120 X-Set: ours"] == NEEDS_NTU).all()
