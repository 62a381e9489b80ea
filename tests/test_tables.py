"""Result tables: CSV and Markdown written side by side, the caption naming the data and the profile; the table of a
Kinetics-skeleton profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sttr.evaluation.scores import Scores
from sttr.evaluation.tables import NO_KINETICS_NUMBERS, dataframe_to_markdown, kinetics_table, write_table
from sttr.experiment import load_profile
from tests.score_fixtures import LABELS, NAMES, SCORES


def test_tables_name_data_and_profile(tmp_path):
    df = pd.DataFrame([{"model": "S-TR", "top1": 86.44}, {"model": "T-TR", "top1": float("nan")}])
    write_table(df, tmp_path / "t", caption="**Table 1a** (data: synthetic/xsub; profile: smoke)")
    md = (tmp_path / "t.md").read_text()
    assert md.startswith("**Table 1a** (data: synthetic/xsub; profile: smoke)")
    assert "| S-TR | 86.4 |" in md and "| T-TR |  |" in md  # one decimal; NaN left blank
    assert pd.read_csv(tmp_path / "t.csv")["top1"].tolist()[0] == 86.44  # the CSV keeps full precision
    assert "---:" in dataframe_to_markdown(df) and "|---|" in dataframe_to_markdown(df)


def test_kinetics_table_rows_numbers_and_the_missing_paper_numbers(tmp_path):
    def scores(order: list[int]) -> Scores:
        return Scores(names=np.asarray(NAMES), scores=SCORES[:, order], labels=LABELS)  # top-1: 50 % for [0, 1, 2]

    runs = {
        ("fused", False): scores([0, 1, 2]),
        ("spatial", True): {2: scores([1, 0, 2]), 1: scores([0, 1, 2])},
        ("spatial", False): scores([2, 1, 0]),
    }
    df = kinetics_table(load_profile("kinetics"), runs)
    assert list(zip(df["model"], df["input"], df["seed"])) == [
        ("S-TR", "joints", "-"), ("S-TR", "joints+bones", "1"), ("S-TR", "joints+bones", "2"), ("ST-TR", "joints", "-")
    ]  # fmt: skip
    expected = [100 * scores(order).top1() for order in ([2, 1, 0], [0, 1, 2], [1, 0, 2], [0, 1, 2])]
    assert df["top-1 (%)"].tolist() == pytest.approx(expected) and len(set(expected)) > 1
    assert df["top-5 (%)"].tolist() == [100.0] * 4 and set(df["samples"]) == {4}
    assert set(df["paper (ICPR 2020)"]) == {"no Kinetics-skeleton numbers"}
    caption = df.attrs["caption"]
    assert caption.startswith("Top-1 / top-5 accuracy (%) on Kinetics-skeleton (OpenPose on Kinetics-400)")
    assert NO_KINETICS_NUMBERS in caption
    assert NO_KINETICS_NUMBERS == "the paper (ICPR 2020) reports no Kinetics-skeleton numbers"
    write_table(df, tmp_path / "kinetics", caption=caption)
    assert (tmp_path / "kinetics.md").read_text().startswith(caption)
    with pytest.raises(ValueError, match="profile ntu60-xsub: dataset 'ntu60' is not Kinetics-skeleton"):
        kinetics_table(load_profile("ntu60-xsub"), runs)
    with pytest.raises(ValueError, match="unknown stream 'st-tr'"):
        kinetics_table(load_profile("kinetics"), {("st-tr", False): scores([0, 1, 2])})
