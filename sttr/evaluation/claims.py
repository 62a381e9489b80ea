"""The paper's claims, one row each: the claim and its section, the paper's numbers, ours, the difference with its
95 % interval, the smallest effect the runs detect, the Holm-corrected p-value and the verdict.

The protocol is ``sttr.evaluation.stats.PROTOCOL``. Pairing follows how the runs were made: ST-TR seed k is S-TR
seed k fused with T-TR seed k, so ST-TR is compared with S-TR or T-TR pair by pair; separately trained streams
are independent. The same-stream ensemble control fuses disjoint seed pairs (no run is in two pairs); it shares
runs with ST-TR, which makes the independent comparison conservative. Parameter counts are exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sttr import paper
from sttr.evaluation.findings import Runs, correctness, disjoint_pairs, fuse_pairs, spread, stream_runs, top1
from sttr.evaluation.scores import Scores
from sttr.evaluation.stats import (
    CONTRADICTED,
    NOT_DETECTED,
    NOT_RUN,
    PROTOCOL,
    SUPPORTED,
    Assumed,
    Difference,
    difference,
    holm,
    pooled_sd,
    verdict,
)
from sttr.streams import TITLES

__all__ = ["CONTRADICTED", "NOT_DETECTED", "NOT_RUN", "PROTOCOL", "SUPPORTED", "ClaimTest", "ProbeTables", "claims_table"]

COLUMNS = ["claim", "section", "paper", "ours", "difference [95 % CI]", "detectable (80 % power)", "p",
           "p (Holm)", "verdict", "source"]  # fmt: skip


@dataclass(frozen=True)
class ClaimTest:
    """One statistical claim: its text, section, the paper's number, ours, the comparison and the sign the paper
    gives a - b (+1: a beats b)."""

    claim: str
    section: str
    paper: str
    ours: str
    diff: Difference | None
    sign: int = 1
    source: str = "paper"  # "paper", or "ours, not the paper's" for findings beyond it
    p: float | None = None  # a p-value of another test than the difference's t (e.g. combined permutation tests)
    direction: str | None = None  # a size claim: the claim of its direction, which must be supported first

    @property
    def p_value(self) -> float:
        return self.p if self.p is not None else (self.diff.p if self.diff is not None else np.nan)


def _assumptions(runs: Runs) -> tuple[Assumed | None, Assumed | None]:
    """Seed sds for a side with one run: single streams take the pooled sd of the joint streams; fusions take
    the spread of the ST-TR joint pairs."""
    singles = pooled_sd([top1(runs[(s, False)]).values for s in ("stgcn", "spatial", "temporal") if (s, False) in runs])
    fused = pooled_sd([top1(stream_runs(runs, "fused")).values])
    return singles, fused


def _ours(a: Mapping[object, Scores], b: Mapping[object, Scores], ta: str, tb: str) -> str:
    return f"{ta} {top1(a)}; {tb} {top1(b)}"


def _beats(runs: Runs, a: str, b: str, single: Assumed | None, fused: Assumed | None, bones: bool = False,
           null: float = 0.0) -> Difference | None:  # fmt: skip
    """a - b in top-1 points; ST-TR against one of its own streams is paired pair by pair."""
    ra, rb = stream_runs(runs, a, bones), stream_runs(runs, b, bones)
    if not ra or not rb:
        return None
    if a == "fused" and b in ("spatial", "temporal"):
        side = 0 if b == "spatial" else 1
        rb = {pair: rb[pair[side]] for pair in ra if pair[side] in rb}
        ra = {pair: ra[pair] for pair in rb}
        return difference(correctness(ra), correctness(rb), paired=True, null=null, assumed=fused)
    assumed = fused if a == "fused" else single
    return difference(correctness(ra), correctness(rb), paired=False, null=null, assumed=assumed)


def _accuracy_tests(runs: Runs, single: Assumed | None, fused: Assumed | None) -> list[ClaimTest]:
    beats = (
        ("spatial", "stgcn", "S-TR beats ST-GCN", "Sec. 3.3, Table 1a"),
        ("spatial", "temporal", "S-TR beats T-TR", "Table 1a"),
        ("fused", "spatial", "ST-TR (S-TR + T-TR) beats S-TR", "Sec. 3.3, Table 1a"),
        ("fused", "temporal", "ST-TR (S-TR + T-TR) beats T-TR", "Sec. 3.3, Table 1a"),
        ("fused", "stgcn", "ST-TR beats ST-GCN", "Sec. 3.3, Table 1a"),
    )
    tests = []
    for a, b, text, section in beats:
        ra, rb = stream_runs(runs, a), stream_runs(runs, b)
        tests.append(ClaimTest(text, section, paper.gain((a, False), (b, False)), _ours(ra, rb, TITLES[a], TITLES[b]),
                               _beats(runs, a, b, single, fused)))  # fmt: skip
    size = paper.largest_gain(("fused", False), ("stgcn", False))
    ra, rb = stream_runs(runs, "fused"), stream_runs(runs, "stgcn")
    tests.append(ClaimTest(f"ST-TR beats ST-GCN by up to {size:.0f} points (the size)", "Sec. 3.3, Table 1a",
                           f"{size:+.1f} (largest of X-Sub, X-View)", _ours(ra, rb, "ST-TR", "ST-GCN"),
                           _beats(runs, "fused", "stgcn", single, fused, null=size),
                           direction="ST-TR beats ST-GCN"))  # fmt: skip
    return tests


def _ensemble_test(runs: Runs, fused: Assumed | None) -> ClaimTest:
    """ST-TR against the better same-stream ensemble of disjoint seed pairs: is the fusion gain more than
    ensembling two runs?"""
    claim, section = "the fusion gain exceeds same-stream ensembling", "Sec. 3.3 (our control)"
    st = stream_runs(runs, "fused")
    controls = {s: fuse_pairs(runs[(s, False)], pairs=disjoint_pairs(list(runs[(s, False)])))
                for s in ("spatial", "temporal") if (s, False) in runs}  # fmt: skip
    controls = {s: c for s, c in controls.items() if c}
    if not controls or not st:
        return ClaimTest(claim, section, "not measured in the paper", "", None)
    best = max(controls, key=lambda s: top1(controls[s]).mean)
    listing = "; ".join(f"{TITLES[s]} + {TITLES[s]} {top1(c)}" for s, c in controls.items())
    diff = difference(correctness(st), correctness(controls[best]), paired=False, assumed=fused)
    return ClaimTest(claim, section, "not measured in the paper", f"ST-TR {top1(st)}; {listing}", diff)


def _bones_tests(runs: Runs, single: Assumed | None, fused: Assumed | None) -> list[ClaimTest]:
    tests = []
    for stream in ("spatial", "temporal", "fused", "stgcn"):
        a, b = stream_runs(runs, stream, True), stream_runs(runs, stream)
        diff = None
        if a and b:
            diff = difference(correctness(a), correctness(b), paired=False,
                              assumed=fused if stream == "fused" else single)  # fmt: skip
        ours = f"joints+bones {top1(a)}; joints {top1(b)}" if a and b else ""
        tests.append(ClaimTest(f"joints + bones improve {TITLES[stream]}", "Sec. 3.3, Table 1a",
                               paper.gain((stream, True), (stream, False)), ours, diff))  # fmt: skip
    return tests


def class_contrast_weights(labels: np.ndarray, class_names: Sequence[str], named: Sequence[str]) -> np.ndarray | None:
    """(N,) weights that turn per-sample correctness into the named classes' mean accuracy minus the other classes'
    mean accuracy (each class weighted equally; classes without validation samples left out), or None when no
    named class (or no other class) has samples."""
    labels = np.asarray(labels)
    present = np.unique(labels[labels >= 0])
    mine = [c for c in present if class_names[c] in named]
    other = [c for c in present if class_names[c] not in named]
    if not mine or not other:
        return None
    counts = np.bincount(labels[labels >= 0], minlength=len(class_names))
    w = np.zeros(len(labels))
    for group, sign in ((mine, 1.0), (other, -1.0)):
        for c in group:
            w[labels == c] = sign / (len(group) * counts[c])
    return w


def _class_tests(runs: Runs, single: Assumed | None) -> list[ClaimTest]:
    """The classes Sec. 3.3 names gain most: their mean gain over ST-GCN minus the other classes' mean gain."""
    tests = []
    for stream in ("spatial", "temporal"):
        named = paper.GAIN_CLASSES[stream]
        claim = f"the classes named in Sec. 3.3 gain most with {TITLES[stream]}: " + ", ".join(named)
        model, base = runs.get((stream, False), {}), runs.get(("stgcn", False), {})
        first = next(iter(model.values()), None)
        w = None if first is None or not base else class_contrast_weights(first.labels, first.class_names or (), named)
        if w is None:
            ours = "the named classes are not in this data" if first is not None and base else ""
            tests.append(ClaimTest(claim, "Sec. 3.3", "named, no numbers", ours, None))
            continue
        diff = difference(correctness(model), correctness(base), paired=False, weights=w, assumed=single)
        ours = f"named minus other classes' accuracy: {TITLES[stream]} minus ST-GCN, points"
        tests.append(ClaimTest(claim, "Sec. 3.3", "named, no numbers", ours, diff))
    return tests


def _attention_test(attention: pd.DataFrame | None) -> ClaimTest:
    """Between-class minus within-class SSA map distance, against the same measure with class labels permuted
    (per seed: observed against the permutation null's mean; columns of ``attention_seeds``)."""
    claim = "SSA maps differ more between classes than within a class, beyond a label-permutation null"
    if attention is None or not len(attention):
        return ClaimTest(claim, "Sec. 2.1", "stated, not measured", "", None)
    observed = attention["between minus within (x 10^-3)"].to_numpy()
    null = attention["permuted labels (x 10^-3)"].to_numpy()
    p = float(stats.combine_pvalues(attention["permutation p"].to_numpy(), method="fisher").pvalue)
    ours = (f"observed {spread(observed)}; label-permutation null {spread(null)} (x 10^-3 total variation); p: each "
            "seed's permutation test, combined (Fisher)")  # fmt: skip
    return ClaimTest(claim, "Sec. 2.1", "stated, not measured", ours, difference(observed, null, paired=True), p=p)


def _parameter_rows() -> list[dict[str, str]]:
    from sttr.models import ModelConfig, build_model, count_parameters, table_1b

    t = table_1b().set_index("module")["parameters"]
    tsa_gap = t["TCN"] - t["TSA"]
    paper_gap = round(1e4 * (paper.TABLE_1B["TCN"][0] - paper.TABLE_1B["TSA"][0]))
    ours = f"SSA {t['SSA']:,} vs GCN {t['GCN']:,}; TSA {t['TSA']:,} vs TCN {t['TCN']:,} ({tsa_gap / 1e4:.1f} x 10^4 fewer)"
    counts = {s: count_parameters(build_model(ModelConfig.paper(s))) for s in ("spatial", "stgcn")}
    table = ", ".join(f"{k} {v[0]}" for k, v in paper.TABLE_1B.items())
    rows = [
        ("SSA has fewer parameters than GCN, TSA 41.3 x 10^4 fewer than TCN", "Table 1b",
         f"{table} (x 10^4, C_in = C_out = 256)", ours,
         t["SSA"] < t["GCN"] and round(tsa_gap / 1e3) == round(paper_gap / 1e3)),
        ("S-TR has fewer parameters than ST-GCN", "Sec. 3.3", "fewer parameters (NTU-60, joints)",
         f"S-TR {counts['spatial']:,} vs ST-GCN {counts['stgcn']:,}", counts["spatial"] < counts["stgcn"]),
    ]  # fmt: skip
    return [dict(zip(COLUMNS, (claim, section, p, ours, "exact count", "", "", "", SUPPORTED if ok else CONTRADICTED,
                               "paper")))  # fmt: skip
            for claim, section, p, ours, ok in rows]


def _fmt_p(p: float) -> str:
    return "" if not np.isfinite(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def holm_rows(tests: Sequence[ClaimTest]) -> list[dict[str, str]]:
    """Table rows of statistical claims, with Holm's correction over all of them that were run."""
    adjusted = holm([t.p_value for t in tests])
    verdicts = {t.claim: verdict(t.diff, p, t.sign) for t, p in zip(tests, adjusted) if t.diff is not None}
    rows = []
    for t, p_adj in zip(tests, adjusted):
        if t.diff is None:
            rows.append(dict(zip(COLUMNS, (t.claim, t.section, t.paper, t.ours, "", "", "", "", NOT_RUN, t.source))))
            continue
        d = t.diff
        word = verdicts[t.claim]
        if t.direction is not None and word == SUPPORTED and verdicts.get(t.direction) != SUPPORTED:
            word = NOT_DETECTED  # the size fits only once the direction itself survives Holm's correction
        detectable = f"{d.detectable:.1f}" + (" (seed sd assumed)" if d.assumed else "")
        null = f" vs {d.null:+.1f}" if d.null else ""
        rows.append(dict(zip(COLUMNS, (t.claim, t.section, t.paper, t.ours, f"{d}{null}", detectable,
                                       _fmt_p(t.p_value), _fmt_p(p_adj), word, t.source))))  # fmt: skip
    return rows


def claim_tests(runs: Runs, attention: pd.DataFrame | None = None) -> list[ClaimTest]:
    """Every statistical claim of the paper measured on ``runs`` (validation scores of the last epoch by (stream,
    bones) and seed) and ``attention`` (per seed: the SSA class contrast and its permutation null)."""
    single, fused = _assumptions(runs)
    return [*_accuracy_tests(runs, single, fused), _ensemble_test(runs, fused), *_bones_tests(runs, single, fused),
            *_class_tests(runs, single), _attention_test(attention)]  # fmt: skip


OURS = "ours, not the paper's"
EXACT_TOLERANCE = 1e-9  # largest logit change (float64) that counts as exactly invariant


@dataclass(frozen=True)
class ProbeTables:
    """What notebook 08 saved: per-seed probes, per-seed time-reversed pairs, and the order-blind copies' check."""

    probes: pd.DataFrame
    pairs: pd.DataFrame
    invariance: pd.DataFrame | None = None


def _paired_probe(probes: ProbeTables, measure: str) -> Difference | None:
    from sttr.evaluation.probes import RELATIVE_TITLE, paired_seeds

    paired = paired_seeds(probes.probes, probes.pairs, TITLES["temporal"], RELATIVE_TITLE)
    columns = [f"{measure}: {RELATIVE_TITLE}", f"{measure}: {TITLES['temporal']}"]
    if paired.empty or not set(columns) <= set(paired.columns):
        return None
    return difference(paired[columns[0]].to_numpy(), paired[columns[1]].to_numpy(), paired=True)


def probe_tests(probes: ProbeTables | None) -> list[ClaimTest]:
    """Our findings beyond the paper (notebook 08), T-TR with the authors' relative positions against T-TR, paired
    by seed (per-seed values; the validation term is not included): time-reversed pairs told apart, dependence
    on frame order, top-1."""
    section = "Sec. 2.2 (ours)"
    rows = (
        ("relative positions restore order: T-TR tells time-reversed pairs apart (reversed samples taken for the "
         "partner class)", "reversed pairs: predicted as partner (%)", +1),
        ("relative positions restore order: T-TR's top-1 falls when every frame is shuffled",
         "top-1 all frames shuffled (%)", -1),
        ("relative positions change T-TR's top-1", "top-1 (%)", +1),
    )  # fmt: skip
    tests = []
    for claim, measure, sign in rows:
        diff = None if probes is None else _paired_probe(probes, measure)
        ours = "" if diff is None else f"T-TR with relative positions minus T-TR, {measure}, per seed"
        tests.append(ClaimTest(claim, section, "not in the paper (its T-TR trains without)", ours, diff, sign, OURS))
    return tests


def _order_blind_row(probes: ProbeTables | None) -> dict[str, str]:
    claim = "TSA is blind to frame order beyond the layers before it"
    inv = None if probes is None else probes.invariance
    plain = None if inv is None else inv[inv["model"] == TITLES["temporal"]]
    if plain is None or plain.empty:
        return dict(zip(COLUMNS, (claim, "Sec. 2.2 (ours)", "not in the paper", "", "", "", "", "", NOT_RUN, OURS)))
    change = float(plain["max abs logit change"].max())
    ours = (f"T-TR with frame-wise layers before its TSA: largest logit change {change:.1e} under time reversal and "
            f"a full shuffle (float64; logits up to {float(plain['max abs logit'].max()):.1f})")  # fmt: skip
    word = SUPPORTED if change < EXACT_TOLERANCE else CONTRADICTED
    return dict(zip(COLUMNS, (claim, "Sec. 2.2 (ours)", "not in the paper", ours, "exact (float64)", "", "", "", word,
                              OURS)))  # fmt: skip


def claims_table(
    runs: Runs, attention: pd.DataFrame | None = None, probes: ProbeTables | None = None
) -> pd.DataFrame:
    """One row per claim: the paper's statistical claims and our probe findings, Holm-corrected together, then the
    exact claims (parameter counts, the order-blind check). Columns: ``COLUMNS``."""
    rows = holm_rows([*claim_tests(runs, attention), *probe_tests(probes)])
    return pd.DataFrame([*rows, *_parameter_rows(), _order_blind_row(probes)], columns=COLUMNS)


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rows have each verdict."""
    return {v: int((table["verdict"] == v).sum()) for v in (SUPPORTED, CONTRADICTED, NOT_DETECTED, NOT_RUN)}
