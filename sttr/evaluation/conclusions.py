"""Conclusions in words, built from the result tables a profile's notebooks saved (``results/<profile>/*.csv``).

Every number in a conclusion comes from a table: notebooks 02-09 end with one of these, and the README's results
section is ``results_section`` of the mini profile (a test fails when the two drift apart).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sttr.evaluation.stats import CONTRADICTED, NOT_DETECTED, NOT_RUN, SUPPORTED
from sttr.streams import STREAMS, TITLES

CONVERGED_POINTS = 1.0  # a run has converged when its last epoch is within this many points of its best


def _read(results: Path, stem: str) -> pd.DataFrame | None:
    path = Path(results) / f"{stem}.csv"
    return pd.read_csv(path) if path.is_file() else None


def _pm(values: pd.Series) -> str:
    v = values.dropna().to_numpy(dtype=float)
    if not len(v):
        return "not run"
    return f"{v.mean():.1f}" if len(v) == 1 else f"{v.mean():.1f} ± {v.std(ddof=1):.1f} (n = {len(v)})"


def not_converged(runs: pd.DataFrame) -> pd.DataFrame:
    """The trained runs whose last epoch ends more than ``CONVERGED_POINTS`` below their best validation epoch."""
    trained = runs[runs["seed"].astype(str) != "checkpoint"].dropna(subset=["top-1 best (%)"])
    gap = trained["top-1 best (%)"] - trained["top-1 last (%)"]
    return trained.assign(gap=gap)[gap > CONVERGED_POINTS]


def _gaps(rows: pd.DataFrame) -> str:
    return ", ".join(f"{r.model} {r.input} seed {r.seed} ({r.gap:.1f} points below its best)"
                     for r in rows.itertuples())  # fmt: skip


def training(results: Path, stream: str) -> str:
    """Notebooks 02-04: the stream's top-1 over seeds, the spread, and which runs had not converged."""
    runs = _read(results, f"runs_{stream}")
    title = TITLES[stream]
    if runs is None or not len(runs):
        return f"**{title}**: no runs yet."
    lines = []
    for inputs, group in runs.groupby("input", sort=False):
        last = group["top-1 last (%)"]
        spread = f"; seeds range from {last.min():.1f} to {last.max():.1f}" if len(group) > 1 else ""
        lines.append(f"- {title} on {inputs}: top-1 of the last epoch {_pm(last)}{spread}.")
    late = not_converged(runs)
    if len(late):
        lines.append(f"- Not converged (last epoch more than {CONVERGED_POINTS:.0f} point below the best): "
                     f"{_gaps(late)}.")  # fmt: skip
    else:
        lines.append(f"- Every run's last epoch is within {CONVERGED_POINTS:.0f} point of its best validation epoch.")
    return f"**Conclusion ({title}).**\n\n" + "\n".join(lines)


def _claim(claims: pd.DataFrame, text: str) -> pd.Series | None:
    hit = claims[claims["claim"] == text]
    return None if hit.empty else hit.iloc[0]


def _verdict_sentence(row: pd.Series | None) -> str:
    if row is None or row["verdict"] == NOT_RUN:
        return "not run on this profile"
    if row["verdict"] == NOT_DETECTED:
        detect = str(row["detectable (80 % power)"])
        note = " (seed sd assumed)" if "assumed" in detect else ""
        return (f"not detected: the difference is {row['difference [95 % CI]']} points, and these runs detect "
                f"{detect.split(' ')[0]} points with 80 % power{note}")  # fmt: skip
    return f"{row['verdict']}: {row['difference [95 % CI]']} points (Holm-corrected p {row['p (Holm)']})"


def fusion(results: Path, claims: pd.DataFrame | None = None, verdict: bool = True) -> str:
    """Notebook 05: ST-TR against same-stream ensembles, in the claims' protocol (``claims``: the claims table,
    default the saved one; without ``verdict`` the Holm-corrected verdict is left to notebook 09)."""
    table = _read(results, "fusion_and_ensembles")
    claims = _read(results, "claims") if claims is None else claims
    if table is None or not len(table):
        return "**Conclusion (fusion).** No fusion yet."
    lines = [f"- {r['fusion']}: top-1 {r['top-1 mean']:.1f} %"
             + (f" ± {r['top-1 sd']:.1f}" if np.isfinite(r["top-1 sd"]) else "") + f" over {int(r['pairs'])} pair(s)"
             for r in table.to_dict("records")]  # fmt: skip
    row = None if claims is None else _claim(claims, "the fusion gain exceeds same-stream ensembling")
    if verdict:
        lines.append(f"- Is the fusion gain more than ensembling two runs? {_verdict_sentence(row)}.")
    elif row is not None and row["verdict"] != NOT_RUN:
        lines.append(f"- ST-TR minus the better same-stream ensemble: {row['difference [95 % CI]']} points; these "
                     f"runs detect {row['detectable (80 % power)']} points with 80 % power (the verdict, with "
                     "Holm's correction over every claim: notebook 09).")  # fmt: skip
    return "**Conclusion (fusion).**\n\n" + "\n".join(lines)


def per_class(results: Path) -> str:
    """Notebook 06: the pairs a stream collapses, and where the classes the paper names rank."""
    collapses = _read(results, "pair_collapses")
    lines = []
    if collapses is not None and len(collapses):
        for model, group in collapses.groupby("model", sort=False):
            worst = group.iloc[0]
            lines.append(f"- {model} puts {worst['share (%)']:.0f} % of \"{worst['class']}\" into "
                         f"\"{worst['predicted as']}\" (summed over seeds)"
                         + (f", and {len(group) - 1} more pair(s) above 25 %" if len(group) > 1 else "") + ".")
    elif collapses is not None:
        lines.append("- No stream puts more than 25 % of a class into one other class.")
    for stream in ("spatial", "temporal"):
        gains = _read(results, f"per_class_gain_{stream}")
        if gains is None or not len(gains):
            continue
        ranked = gains.dropna(subset=["gain mean"])
        worst = ranked.sort_values("gain mean").iloc[0]
        lines.append(f"- {TITLES[stream]}'s worst class against ST-GCN: \"{worst['name']}\", "
                     f"{worst['gain mean']:+.1f} points [{worst['gain low']:+.1f}, {worst['gain high']:+.1f}].")
    return "**Conclusion (per class).**\n\n" + ("\n".join(lines) or "- No per-class tables yet.")


def attention(results: Path, which: str = "ssa") -> str:
    """Notebook 07: the maps' structure (from uniform, shared column structure, query dependence) and the class
    contrast against its label-permutation null."""
    summary, seeds = _read(results, f"attention_{which}"), _read(results, f"attention_{which}_seeds")
    name = which.upper()
    if summary is None or not len(summary):
        return f"**{name}**: not measured yet."
    fu, mr, qd = (summary[f"{c} mean"] for c in ("from uniform", "mean row from uniform", "query dependence"))
    kind = "key-dominated (columns)" if float((mr > qd).mean()) >= 0.5 else "query-dependent"
    lines = [f"- {name} rows are {fu.min():.3f}-{fu.max():.3f} from uniform (total variation, by layer); the part "
             f"every query shares (mean row) is {mr.min():.3f}-{mr.max():.3f} from uniform, and rows differ from "
             f"that mean row by {qd.min():.3f}-{qd.max():.3f}: the maps are mostly {kind}."]  # fmt: skip
    if seeds is not None and len(seeds):
        obs, null = seeds["between minus within (x 10^-3)"], seeds["permuted labels (x 10^-3)"]
        lines.append(f"- Between-class minus within-class map distance: {_pm(obs)} x 10^-3, against "
                     f"{_pm(null)} x 10^-3 with the class labels permuted (permutation p per seed: "
                     + ", ".join(f"{p:.3f}" for p in seeds["permutation p"]) + ").")  # fmt: skip
    return f"**Conclusion ({name}).**\n\n" + "\n".join(lines)


def probes(results: Path) -> str:
    """Notebook 08: what each stream's prediction does under frame-order and joint-identity changes, and T-TR with
    relative positions against T-TR (``sttr.evaluation.probes.conclusions``)."""
    from sttr.evaluation.probes import RELATIVE_TITLE
    from sttr.evaluation.probes import conclusions as sentences

    table, pairs = _read(results, "probes_seeds"), _read(results, "probes_pairs_seeds")
    if table is None or not len(table):
        return "**Conclusion (probes).** Not measured yet."
    lines = sentences(table, pairs if pairs is not None else pd.DataFrame(), compare=(TITLES["temporal"], RELATIVE_TITLE))
    return "**Conclusion (probes).**\n\n" + "\n".join(f"- {line.strip()}" for line in lines)


def claims(results: Path) -> str:
    """Notebook 08: how many claims each verdict has, and which ones are supported or contradicted."""
    table = _read(results, "claims")
    if table is None or not len(table):
        return "**Conclusion (claims).** No claims table yet."
    counts = {v: int((table["verdict"] == v).sum()) for v in (SUPPORTED, CONTRADICTED, NOT_DETECTED, NOT_RUN)}
    lines = [f"- {len(table)} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + "."]
    for v in (SUPPORTED, CONTRADICTED):
        rows = table[(table["verdict"] == v)]
        if len(rows):
            lines.append(f"- {v.capitalize()}: " + "; ".join(rows["claim"]) + ".")
    detect = pd.to_numeric(table.loc[table["verdict"] == NOT_DETECTED, "detectable (80 % power)"].astype(str)
                           .str.extract(r"([0-9.]+)")[0], errors="coerce").dropna()  # fmt: skip
    if len(detect):
        lines.append(f"- The claims not detected could only have been seen with differences of {detect.min():.1f}-"
                     f"{detect.max():.1f} points (80 % power); the paper's differences are 0.4-3.0 points.")
    machines = _read(results, "bench_machines_verdicts")
    if machines is not None and len(machines) and set(machines["claim"]) == set(table["claim"]):
        same = machines["same"].astype(str).eq("True")
        edge = int(machines["near the edge"].astype(str).eq("True").sum())
        lines.append(f"- Retrained with another CPU kind's kernels (`benchmarks/bench_machines.py`): {int(same.sum())} "
                     f"of {len(machines)} verdicts the same; {edge} near the edge of the 5 % threshold.")  # fmt: skip
    return "**Conclusion (claims).**\n\n" + "\n".join(lines)


def results_section(results: Path) -> str:
    """The README's results section for one profile: its stream table and the conclusions above, from its tables."""
    summary = _read(results, "summary")
    counts = _read(results, "class_counts")
    parts = []
    if counts is not None and len(counts):
        first = counts.iloc[0]
        parts.append(f"Data: {first['data']}; {int(counts['train'].sum())} training and {int(counts['val'].sum())} "
                     f"validation samples, {len(counts)} classes. Profile `{first['profile']}`, seeds "
                     f"{first['seeds']}, {first['epochs']} epochs; every number is the last epoch.")  # fmt: skip
    if summary is not None and len(summary):
        rows = ["| model | input | n | top-1 last epoch (%) | top-1 best epoch (%) |", "|---|---|---:|---:|---:|"]
        for r in summary.to_dict("records"):
            cells = []
            for column in ("top-1 last (%)", "top-1 best (%)"):
                m, sd = r[f"{column} mean"], r[f"{column} sd"]
                cells.append(f"{m:.1f}" + (f" ± {sd:.1f}" if np.isfinite(sd) else ""))
            rows.append(f"| {r['model']} | {r['input']} | {r['n']} | {cells[0]} | {cells[1]} |")
        parts.append("\n".join(rows))
    for stream in ("stgcn", "spatial", "temporal"):
        if STREAMS[stream].notebook and _read(results, f"runs_{stream}") is not None:
            parts.append(training(results, stream))
    parts += [fusion(results), per_class(results), attention(results, "ssa"), attention(results, "tsa"), probes(results),
              claims(results)]
    return "\n\n".join(parts) + "\n"
