"""Comparing a rerun with committed results: means inside the committed interval, verdicts unchanged."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sttr.companion import open_companion
from sttr.evaluation.reproducibility import compare_claims, compare_summaries
from sttr.evaluation.tables import write_table


def _summary(means, sds):
    return pd.DataFrame({"model": ["ST-GCN", "S-TR", "T-TR"], "input": ["joints"] * 3,
                         "top-1 last (%) mean": means, "top-1 last (%) sd": sds})  # fmt: skip


def test_means_are_checked_against_mean_plus_minus_two_sd():
    committed = _summary([90.0, 91.0, 92.0], [1.0, 0.5, np.nan])
    rerun = _summary([91.9, 92.1, 80.0], [0.8, 0.7, np.nan])
    table = compare_summaries(committed, rerun)
    assert table["inside"].tolist() == [True, False, "n/a"]  # 91.9 in [88, 92]; 92.1 outside [90, 92]; one run
    assert table["committed"].tolist() == ["90.0 ± 1.0", "91.0 ± 0.5", "92.0 (one run)"]
    assert table["rerun"].tolist()[2] == "80.0 (one run)"
    assert table["interval"].tolist()[:2] == ["[88.0, 92.0]", "[90.0, 92.0]"]


def test_verdicts_are_compared_claim_by_claim():
    committed = pd.DataFrame({"claim": ["a", "b"], "verdict": ["supported", "not detected"], "p (Holm)": ["0.010", "0.30"]})
    rerun = pd.DataFrame({"claim": ["b", "a"], "verdict": ["contradicted", "supported"], "p (Holm)": ["0.02", "0.01"]})
    table = compare_claims(committed, rerun).set_index("claim")
    assert table.loc["a", "same"] and not table.loc["b", "same"]
    assert not table.loc["a", "near the edge"] and not table.loc["b", "near the edge"]  # 0.010 and 0.30: outside


def test_machine_check_tables_read_back_as_written(tmp_path):
    run = dataclasses.replace(open_companion("smoke"), root=tmp_path)
    assert "not measured for profile smoke" in run.machine_check()
    committed = _summary([90.0, 91.0, 92.0], [1.0, 0.5, np.nan])
    means = compare_summaries(committed, _summary([91.9, 92.1, 80.0], [0.8, 0.7, np.nan])).assign(kernels="avx2")
    write_table(means, run.results_dir / "bench_machines_means", caption="means")
    read = run.machine_check()
    assert read["inside"].tolist() == ["True", "False", "n/a"]
    assert read["committed"].tolist() == means["committed"].tolist()
    claims = pd.DataFrame({"claim": ["a", "b"], "verdict": ["supported", "not detected"], "p (Holm)": ["< 0.001", "0.080"]})
    write_table(compare_claims(claims, claims), run.results_dir / "bench_machines_verdicts", caption="verdicts")
    check = run.machine_check("verdicts")
    assert check["same"].tolist() == ["True", "True"] and check["near the edge"].tolist() == ["False", "True"]
    with pytest.raises(ValueError, match="'means' or 'verdicts'"):
        run.machine_check("claims")
