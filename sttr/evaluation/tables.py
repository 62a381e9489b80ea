"""Result tables as CSV and GitHub Markdown (no extra dependency), each with a caption that names its data, and
the results table of a Kinetics-skeleton profile."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sttr.data.registry import KINETICS_READER, dataset, read_by
from sttr.evaluation.scores import Scores
from sttr.streams import INPUT_TITLES
from sttr.streams import TITLES as STREAM_TITLES

if TYPE_CHECKING:
    from sttr.experiment import Profile

NO_KINETICS_NUMBERS = "the paper (ICPR 2020) reports no Kinetics-skeleton numbers"


def dataframe_to_markdown(df: pd.DataFrame, caption: str | None = None, float_format: str = "{:.1f}") -> str:
    """A GitHub Markdown table of ``df`` (no extra dependency), with an optional caption line above it."""

    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if math.isnan(v) else float_format.format(v)
        return str(v).replace("|", "\\|")

    cols = [str(c) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    lines = []
    if caption:
        lines += [caption, ""]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_table(
    df: pd.DataFrame,
    path_stem: str | Path,
    caption: str | None = None,
    float_format: str = "{:.1f}",
    markdown: pd.DataFrame | None = None,
) -> tuple[Path, Path]:
    """Write ``df`` as ``<stem>.csv`` and ``<stem>.md`` (Markdown with ``caption``; ``markdown`` replaces ``df``
    there, e.g. with formatted "mean ± sd" cells); returns both paths."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    csv_path = stem.with_suffix(".csv")
    md_path = stem.with_suffix(".md")
    df.to_csv(csv_path, index=False)
    shown = df if markdown is None else markdown
    md_path.write_text(dataframe_to_markdown(shown, caption, float_format), encoding="utf-8")
    return csv_path, md_path


def kinetics_table(profile: Profile, runs: Mapping[tuple[str, bool], Scores | Mapping[int, Scores]]) -> pd.DataFrame:
    """Top-1 / top-5 (%) of the evaluated runs of a Kinetics-skeleton profile, one row per run, beside a column
    saying that the paper reports none to compare with; ``df.attrs["caption"]`` names the data and says so.

    ``runs`` maps (stream, bones) to the validation scores of one run (e.g. an evaluated checkpoint) or to
    those of several seeds ``{seed: Scores}``; stream is "stgcn", "spatial", "temporal" or "fused" (ST-TR).
    """
    if dataset(profile.dataset).reader != KINETICS_READER:
        raise ValueError(
            f"profile {profile.name}: dataset {profile.dataset!r} is not Kinetics-skeleton "
            f"({', '.join(read_by(KINETICS_READER))}); its paper numbers are in the profile's paper section"
        )
    rows = []
    order = list(STREAM_TITLES)
    for (stream, bones), found in sorted(runs.items(), key=lambda kv: (_position(kv[0][0], order), kv[0][1])):
        by_seed = found if isinstance(found, Mapping) else {None: found}
        for seed, scores in sorted(by_seed.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0)):
            rows.append({
                "model": STREAM_TITLES[stream],
                "input": INPUT_TITLES[bool(bones)],
                "seed": "-" if seed is None else str(seed),
                "samples": int(scores.scores.shape[0]),
                "top-1 (%)": 100.0 * scores.top1(),
                "top-5 (%)": 100.0 * scores.top5(),
                "paper (ICPR 2020)": "no Kinetics-skeleton numbers",
            })  # fmt: skip
    columns = ["model", "input", "seed", "samples", "top-1 (%)", "top-5 (%)", "paper (ICPR 2020)"]
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["caption"] = (
        f"Top-1 / top-5 accuracy (%) on {dataset(profile.dataset).title}, validation split, profile "
        f"{profile.name}; {NO_KINETICS_NUMBERS}, so there is nothing of theirs to compare with"
    )
    return df


def _position(stream: str, order: list[str]) -> int:
    """Where a stream goes in a table (the baseline first, the fusion last); an unknown one is an error."""
    if stream not in order:
        raise ValueError(f"unknown stream {stream!r}; expected one of {order}")
    return order.index(stream)
