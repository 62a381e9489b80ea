"""How many seeds the NTU profiles need to detect the paper's differences, by the protocol of
``sttr.evaluation.stats``: the seed spread is an assumption (stated in every row), the validation term follows
from each benchmark's number of validation samples."""

from __future__ import annotations

import math

import pandas as pd

from sttr import paper
from sttr.evaluation.stats import detectable_effect, seeds_needed

# Validation samples of each NTU benchmark (the standard splits, missing skeletons removed).
VALIDATION_SAMPLES: dict[tuple[str, str], int] = {
    ("ntu60", "xsub"): 16_487,
    ("ntu60", "xview"): 18_932,
    ("ntu120", "xsub"): 50_919,
    ("ntu120", "xset"): 59_477,
}
BENCHMARK_TITLES = {("ntu60", "xsub"): "NTU-60 X-Sub", ("ntu60", "xview"): "NTU-60 X-View",
                    ("ntu120", "xsub"): "NTU-120 X-Sub", ("ntu120", "xset"): "NTU-120 X-Set"}  # fmt: skip
# The paper's comparisons between two separately trained streams (a, b), as the claims make them.
COMPARISONS = ((("spatial", False), ("stgcn", False)), (("spatial", False), ("temporal", False)),
               (("fused", False), ("stgcn", False)), (("spatial", True), ("spatial", False)),
               (("temporal", True), ("temporal", False)))  # fmt: skip
ASSUMED_SEED_SDS = (0.2, 0.5, 1.0)  # points: assumptions, not measurements (no NTU runs here)
DISCORDANCE = 0.10  # assumed share of validation samples on which two models of ~86 % top-1 disagree


def detectable_with(seeds: int, seed_sd: float, validation_samples: int, discordance: float = DISCORDANCE) -> float:
    """The smallest difference (points) two streams of ``seeds`` runs each detect with 80 % power."""
    se = math.hypot(seed_sd * math.sqrt(2.0 / seeds), 100.0 * math.sqrt(discordance / validation_samples))
    return detectable_effect(se, 2.0 * seeds - 2.0)


def power_table(seed_sds: tuple[float, ...] = ASSUMED_SEED_SDS, seeds: int = 3) -> pd.DataFrame:
    """Per benchmark and paper comparison: the paper's difference, the seeds per side needed to detect it, and
    what ``seeds`` runs per side detect, for each assumed seed sd."""
    rows = []
    for (dataset, benchmark), n_val in VALIDATION_SAMPLES.items():
        for a, b in COMPARISONS:
            pa, pb = paper.top1(dataset, benchmark, *a), paper.top1(dataset, benchmark, *b)
            if pa is None or pb is None:
                continue
            effect = abs(pa - pb)
            for sd in seed_sds:
                need = seeds_needed(effect, sd, n_val, DISCORDANCE)
                rows.append({
                    "benchmark": BENCHMARK_TITLES[(dataset, benchmark)],
                    "validation samples": n_val,
                    "comparison": f"{_title(a)} vs {_title(b)}",
                    "paper difference (points)": round(pa - pb, 1),
                    "assumed seed sd (points)": sd,
                    "seeds per side needed": "more than 100" if need is None else str(need),
                    f"detectable with {seeds} seeds (points)": round(detectable_with(seeds, sd, n_val), 2),
                })  # fmt: skip
    return pd.DataFrame(rows)


def _title(key: tuple[str, bool]) -> str:
    from sttr.streams import TITLES

    return TITLES[key[0]] + (" (bones)" if key[1] else "")
