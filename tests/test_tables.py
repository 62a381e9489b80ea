"""Result tables: CSV and Markdown written side by side, the caption naming the data and the profile."""

from __future__ import annotations

import pandas as pd

from sttr.evaluation.tables import dataframe_to_markdown, write_table


def test_tables_name_data_and_profile(tmp_path):
    df = pd.DataFrame([{"model": "S-TR", "top1": 86.44}, {"model": "T-TR", "top1": float("nan")}])
    write_table(df, tmp_path / "t", caption="**Table 1a** (data: synthetic/xsub; profile: smoke)")
    md = (tmp_path / "t.md").read_text()
    assert md.startswith("**Table 1a** (data: synthetic/xsub; profile: smoke)")
    assert "| S-TR | 86.4 |" in md and "| T-TR |  |" in md  # one decimal; NaN left blank
    assert pd.read_csv(tmp_path / "t.csv")["top1"].tolist()[0] == 86.44  # the CSV keeps full precision
    assert "---:" in dataframe_to_markdown(df) and "|---|" in dataframe_to_markdown(df)
