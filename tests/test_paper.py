"""The paper's numbers in one place, and the words the conclusions build from result tables."""

from __future__ import annotations

import pandas as pd
import pytest

from sttr import paper
from sttr.evaluation import conclusions
from sttr.evaluation.power import detectable_with, power_table
from sttr.experiment import load_profile


def test_paper_numbers_feed_profiles_and_claims():
    assert paper.top1("ntu60", "xsub", "fused", True) == 89.9
    assert load_profile("ntu60-xview").paper_top1("stgcn") == 92.7
    assert load_profile("mini").paper_top1("spatial") is None  # synthetic: nothing of the paper's
    assert paper.gain(("spatial", False), ("stgcn", False)) == "+0.7 X-Sub (86.4 vs 85.7), +1.3 X-View (94.0 vs 92.7)"
    assert paper.gain(("stgcn", True), ("stgcn", False)) == "not in the paper"
    assert paper.largest_gain(("fused", False), ("stgcn", False)) == pytest.approx(3.0)


def test_power_table_follows_the_protocol():
    table = power_table(seed_sds=(0.5,))
    row = table[(table["benchmark"] == "NTU-60 X-Sub") & (table["comparison"] == "ST-TR vs ST-GCN")].iloc[0]
    assert row["paper difference (points)"] == 3.0 and row["seeds per side needed"] == "3"
    assert detectable_with(3, 0.5, 16_487) < 3.0 <= detectable_with(2, 0.5, 16_487) + 1.0
    assert detectable_with(10, 0.5, 59_477) < detectable_with(3, 0.5, 59_477)  # more seeds, smaller effects


def _write(folder, stem, rows):
    pd.DataFrame(rows).to_csv(folder / f"{stem}.csv", index=False)


def test_conclusions_are_built_from_the_tables(tmp_path):
    _write(tmp_path, "runs_temporal", [
        {"model": "T-TR", "input": "joints", "seed": s, "top-1 last (%)": v, "top-1 best (%)": b}
        for s, v, b in ((1, 90.0, 90.5), (2, 80.0, 84.0), (3, 85.0, 85.0))])
    text = conclusions.training(tmp_path, "temporal")
    assert "85.0 ± 5.0 (n = 3)" in text and "from 80.0 to 90.0" in text
    assert "T-TR joints seed 2 (4.0 points below its best)" in text  # the unconverged run is named
    _write(tmp_path, "pair_collapses", [
        {"class": "standing up", "predicted as": "sitting down", "share (%)": 49.0, "samples": 105, "model": "T-TR"}])
    assert '49 % of "standing up" into "sitting down"' in conclusions.per_class(tmp_path)
    _write(tmp_path, "claims", [
        {"claim": "a", "verdict": "supported", "detectable (80 % power)": "", "difference [95 % CI]": "+9.0 [+5.0, +13.0]"},
        {"claim": "b", "verdict": "not detected", "detectable (80 % power)": "12.3", "difference [95 % CI]": ""},
        {"claim": "c", "verdict": "not detected", "detectable (80 % power)": "8.1 (seed sd assumed)",
         "difference [95 % CI]": ""}])
    text = conclusions.claims(tmp_path)
    assert "3 claims: 1 supported, 2 not detected" in text and "8.1-12.3 points" in text
    assert "Supported: a." in text
