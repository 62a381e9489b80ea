"""Result tables as CSV and GitHub Markdown (no extra dependency), each with a caption that names its data."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


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
