"""The statistics protocol: intervals equal scipy's t tests, the validation term, power, Holm, coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import TTestPower

from sttr.evaluation.stats import (
    CONTRADICTED,
    NOT_DETECTED,
    SUPPORTED,
    Assumed,
    detectable_effect,
    difference,
    holm,
    pooled_sd,
    seeds_needed,
    verdict,
)


def test_paired_values_give_scipys_paired_interval():
    a, b = np.array([91.0, 95.5, 88.0, 93.0]), np.array([89.0, 92.0, 88.5, 90.0])
    d = difference(a, b, paired=True)
    ci = stats.ttest_rel(a, b).confidence_interval()
    assert d.interval == pytest.approx((ci.low, ci.high))
    assert d.p == pytest.approx(stats.ttest_rel(a, b).pvalue) and d.df == 3 and d.se_validation == 0


def test_independent_values_give_welchs_interval():
    a, b = np.array([91.0, 95.5, 88.0]), np.array([80.0, 84.0, 81.5, 86.0])
    d = difference(a, b, paired=False)
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval()
    assert d.interval == pytest.approx((ci.low, ci.high)) and d.p == pytest.approx(res.pvalue)
    assert d.df == pytest.approx(res.df)


def test_validation_term_is_the_standard_error_over_samples():
    rng = np.random.default_rng(0)
    right_a = (rng.random(400) < 0.9).astype(float)
    right_b = (rng.random(400) < 0.8).astype(float)
    a, b = np.stack([right_a] * 3), np.stack([right_b] * 3)  # three identical runs: no seed spread
    d = difference(a, b, paired=True)
    assert d.se_seed == 0
    assert d.se_validation == pytest.approx(100 * stats.sem(right_a - right_b))
    assert d.estimate == pytest.approx(100 * (right_a.mean() - right_b.mean()))


def test_a_side_with_one_run_takes_the_assumed_sd():
    d = difference([93.0], [90.0, 91.0, 92.0], paired=False, assumed=Assumed(5.0, 6.0))
    assert d.assumed and d.df == 6.0
    assert d.se_seed == pytest.approx(math.sqrt(25 + stats.sem([90.0, 91.0, 92.0]) ** 2))
    unknown = difference([93.0], [90.0, 91.0, 92.0], paired=False)
    assert math.isnan(unknown.se_seed)


def test_detectable_effect_matches_statsmodels_power():
    sd, n = 4.0, 5
    d = TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8, alternative="two-sided")
    assert detectable_effect(sd / math.sqrt(n), n - 1) == pytest.approx(d * sd, rel=1e-4)


def test_intervals_cover_the_true_difference_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(600):
        a = 90 + rng.normal(0, 3, 3)
        b = 87 + rng.normal(0, 3, 3)
        lo, hi = difference(a, b, paired=False).interval
        hits += lo <= 3.0 <= hi
    assert 0.925 < hits / 600 < 0.975  # Welch is close to exact here


def test_holm_matches_its_definition():
    p = [0.01, 0.04, 0.03, 0.005, float("nan")]
    adjusted = holm(p)
    # sorted 0.005, 0.01, 0.03, 0.04 x (4, 3, 2, 1), running maximum
    assert adjusted[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02]) and math.isnan(adjusted[4])


def test_verdicts():
    strong = difference([95.0, 96.0, 95.5], [80.0, 81.0, 80.5], paired=False)
    assert verdict(strong, 0.001, +1) == SUPPORTED and verdict(strong, 0.001, -1) == CONTRADICTED
    assert verdict(strong, 0.2, +1) == NOT_DETECTED
    size = difference([95.0, 96.0, 95.5], [80.0, 81.0, 80.5], paired=False, null=3.0)
    assert verdict(size, 0.001) == CONTRADICTED  # +15 is not 'up to 3'
    near = difference([84.0, 83.0, 83.5], [80.0, 81.0, 80.5], paired=False, null=3.0)
    assert verdict(near, 0.9) == SUPPORTED  # the interval holds 3 and excludes 0


def test_pooled_sd_and_seeds_needed():
    pooled = pooled_sd([[1.0, 3.0], [2.0, 2.0, 5.0], [7.0]])
    assert pooled.df == 3 and pooled.sd == pytest.approx(math.sqrt((2.0 + 6.0) / 3))
    assert pooled_sd([[1.0]]) is None
    few = seeds_needed(3.0, 0.5, 16487)
    many = seeds_needed(1.0, 0.5, 16487)
    assert few is not None and many is not None and few <= many
    assert seeds_needed(0.4, 0.5, 16487) is None  # the validation set alone hides 0.4 points
