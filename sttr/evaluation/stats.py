"""The statistical protocol of every comparison in the companion, stated once (``PROTOCOL``).

A comparison is a difference in points between two sets of runs (a - b), measured on one validation set.
Two sources of chance count:
- the seed: the spread of per-run values (one value per run, or per run pair when the runs are paired);
- the finite validation set: the standard error of the mean per-sample difference over validation samples.
Their standard errors add in quadrature (conservative: the run-by-sample interaction is counted in both).
The 95 % interval and the p-value come from Student's t with the seed level's degrees of freedom (paired: n - 1;
independent: Welch). The smallest detectable effect is the difference a two-sided test at alpha = 0.05 finds
with 80 % power at this standard error and these degrees of freedom (non-central t). The family of statistical
claims is corrected with Holm's step-down method. Distributions, the Welch degrees of freedom and Holm come
from ``scipy.stats`` and ``statsmodels``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

ALPHA = 0.05
POWER = 0.80
PROTOCOL = (
    "Each comparison is a difference in points (a - b) with a 95 % interval from Student's t. Two sources of chance "
    "count: the seeds (paired runs compared as pairs, independent runs by Welch's test; a side with one run takes "
    "the pooled seed sd of this profile's joint streams, stated as an assumption) and the finite validation set "
    "(standard error of the per-sample difference); their standard errors add. p-values over the statistical "
    "claims are corrected with Holm's method (family-wise error 5 %). supported / contradicted: the Holm-corrected "
    "test rejects no difference, on the paper's side / the other side; not detected: it does not, and the row "
    "gives the smallest effect its runs detect with 80 % power at alpha = 0.05. The attention claim is tested "
    "against its null, the same measure with class labels permuted across samples, in each seed; the seeds' "
    "p-values are combined with Fisher's method."
)
SUPPORTED, CONTRADICTED, NOT_DETECTED, NOT_RUN = "supported", "contradicted", "not detected", "not run on this profile"


@dataclass(frozen=True)
class Assumed:
    """A seed standard deviation (points) assumed for a side with one run, and the degrees of freedom it has."""

    sd: float
    df: float


@dataclass(frozen=True)
class Difference:
    """a - b in points with its two standard errors, the t degrees of freedom, the test against ``null`` and the
    smallest effect detectable with 80 % power. ``assumed`` says a side's seed sd was assumed, not measured."""

    estimate: float
    se_seed: float
    se_validation: float
    df: float
    n_a: int
    n_b: int
    paired: bool
    null: float = 0.0
    assumed: bool = False

    @property
    def se(self) -> float:
        return math.hypot(self.se_seed, self.se_validation)

    @property
    def half_width(self) -> float:
        """Half the width of the 95 % interval."""
        return float(stats.t.ppf(1 - ALPHA / 2, self.df)) * self.se

    @property
    def interval(self) -> tuple[float, float]:
        return self.estimate - self.half_width, self.estimate + self.half_width

    @property
    def p(self) -> float:
        """Two-sided p-value of a - b = ``null``."""
        if not self.se > 0:
            return 0.0 if self.estimate != self.null else 1.0
        return float(2 * stats.t.sf(abs(self.estimate - self.null) / self.se, self.df))

    @property
    def detectable(self) -> float:
        """The smallest |a - b| (points) found with 80 % power by a two-sided t test at alpha = 0.05."""
        return detectable_effect(self.se, self.df)

    def __str__(self) -> str:
        lo, hi = self.interval
        return f"{self.estimate:+.1f} [{lo:+.1f}, {hi:+.1f}]"


def detectable_effect(se: float, df: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true difference that a two-sided t test (``df``) at ``alpha`` rejects with ``power``,
    for an estimate with standard error ``se`` (the non-central t distribution)."""
    if not (se > 0 and df > 0):
        return math.nan
    crit = stats.t.ppf(1 - alpha / 2, df)

    def shortfall(delta: float) -> float:
        nc = delta / se
        lower = stats.nct.cdf(-crit, df, nc)  # the far tail: ~0, NaN in scipy for large nc at small df
        return stats.nct.sf(crit, df, nc) + (0.0 if np.isnan(lower) else lower) - power

    upper = se * (crit + 3.0)
    while shortfall(upper) < 0:  # power rises with the effect: widen until 80 % is inside the bracket
        upper *= 1.5
    return float(optimize.brentq(shortfall, 0.0, upper))


def _sem(x: np.ndarray) -> float:
    """Standard error of the mean (``scipy.stats.sem``); exactly 0 for identical values."""
    x = np.asarray(x, dtype=np.float64)
    return 0.0 if np.ptp(x) == 0 else float(stats.sem(x))


def _values(runs: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Per-run values in points: 100 x the weighted sum over samples (``weights`` None: the mean, top-1)."""
    runs = np.asarray(runs, dtype=np.float64)
    if runs.ndim == 1:  # already one value per run
        return runs
    w = np.full(runs.shape[1], 1.0 / runs.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    return 100.0 * runs @ w


def _validation_se(a: np.ndarray, b: np.ndarray, weights: np.ndarray | None) -> float:
    """Standard error (points) of the weighted mean per-sample difference, over validation samples."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim == 1 or b.ndim == 1:
        return 0.0
    n = a.shape[1]
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    per_sample = 100.0 * n * w * (a.mean(axis=0) - b.mean(axis=0))  # (N,): its mean is the estimate
    return _sem(per_sample)


def difference(
    a: np.ndarray | Sequence[float],
    b: np.ndarray | Sequence[float],
    *,
    paired: bool,
    weights: np.ndarray | None = None,
    null: float = 0.0,
    assumed: Assumed | None = None,
) -> Difference:
    """Compare runs ``a`` with runs ``b`` under ``PROTOCOL``.

    ``a``, ``b``: (runs, N) per-sample correctness (0/1) on the same N validation samples, or one value per run
    (points; no validation term). ``paired``: run i of ``a`` belongs with run i of ``b`` (e.g. ST-TR seed k
    contains T-TR seed k). ``weights`` (N,) turn correctness into a run's value (default: top-1, 1/N each).
    ``assumed`` gives the seed sd of a side with one run."""
    va, vb = _values(a, weights), _values(b, weights)
    na, nb = len(va), len(vb)
    if na == 0 or nb == 0:
        raise ValueError("difference: both sides need at least one run")
    se_val = _validation_se(a, b, weights)
    used_assumption = False
    if paired:
        if na != nb:
            raise ValueError(f"difference: paired runs need equal counts, got {na} and {nb}")
        d = va - vb
        if na > 1:
            se_seed, df = _sem(d), na - 1.0
        elif assumed is not None:
            se_seed, df, used_assumption = math.sqrt(2.0) * assumed.sd, assumed.df, True
        else:
            se_seed, df = math.nan, math.nan
    else:
        parts, dfs = [], []
        for v in (va, vb):
            if len(v) > 1:
                parts.append(_sem(v) ** 2)
            elif assumed is not None:
                parts.append(assumed.sd**2)
                used_assumption = True
            else:
                parts.append(math.nan)
        se_seed = math.sqrt(sum(parts))
        if na > 1 and nb > 1:
            df = float(stats.ttest_ind(va, vb, equal_var=False).df)
            if not math.isfinite(df):  # both sides without spread: Welch's df is undefined
                df = float(na + nb - 2)
        else:
            df = assumed.df if assumed is not None else math.nan
    return Difference(float(va.mean() - vb.mean()), se_seed, se_val, df, na, nb, paired, null, used_assumption)


def pooled_sd(groups: Sequence[Sequence[float]]) -> Assumed | None:
    """The pooled seed standard deviation of several groups of runs (points) and its degrees of freedom, or None
    when no group has two runs."""
    used = [np.asarray(g, dtype=np.float64) for g in groups if len(g) > 1]
    if not used:
        return None
    df = sum(len(g) - 1 for g in used)
    ss = sum(float(np.var(g, ddof=1)) * (len(g) - 1) for g in used)
    return Assumed(math.sqrt(ss / df), float(df))


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-corrected p-values (family-wise error), NaN where a p-value is missing."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], alpha=ALPHA, method="holm")[1]
    return out


def verdict(diff: Difference, p_adjusted: float, paper_sign: int = 1) -> str:
    """supported / contradicted / not detected for a claim that a - b has the sign ``paper_sign`` (or, for a
    size claim, equals ``diff.null``: supported when the interval holds the paper's value and excludes zero; the
    claims table also asks that the claim of its direction is supported)."""
    if not math.isfinite(p_adjusted):
        return NOT_DETECTED
    if diff.null != 0.0:
        lo, hi = diff.interval
        if p_adjusted < ALPHA:
            return CONTRADICTED
        return SUPPORTED if lo > 0 or hi < 0 else NOT_DETECTED
    if p_adjusted < ALPHA:
        return SUPPORTED if np.sign(diff.estimate) == paper_sign else CONTRADICTED
    return NOT_DETECTED


def seeds_needed(effect: float, seed_sd: float, validation_samples: int, discordance: float = 0.1,
                 max_seeds: int = 100) -> int | None:
    """Seeds per side for two independent streams to detect ``effect`` points with 80 % power (alpha 0.05):
    seed sd ``seed_sd`` (points), and a validation term for ``validation_samples`` samples on which the two
    models disagree with probability ``discordance``. None when more than ``max_seeds`` are needed."""
    se_val = 100.0 * math.sqrt(discordance / validation_samples)
    for n in range(2, max_seeds + 1):
        se = math.hypot(seed_sd * math.sqrt(2.0 / n), se_val)
        if detectable_effect(se, 2.0 * n - 2.0) <= effect:
            return n
    return None
