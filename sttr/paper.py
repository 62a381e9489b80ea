"""The paper's numbers, in one place: top-1 accuracy of Table 1a and Table 2, the parameter counts of Table 1b,
and the classes Sec. 3.3 names as gaining most. Profiles, tables and claims read them from here."""

from __future__ import annotations

# Top-1 accuracy (%) by (dataset, benchmark) -> (stream, bones); "fused" is ST-TR (S-TR + T-TR scores summed).
TOP1: dict[tuple[str, str], dict[tuple[str, bool], float]] = {
    ("ntu60", "xsub"): {("stgcn", False): 85.7, ("spatial", False): 86.4, ("temporal", False): 86.0,
                        ("fused", False): 88.7, ("spatial", True): 87.9, ("temporal", True): 87.3,
                        ("fused", True): 89.9},
    ("ntu60", "xview"): {("stgcn", False): 92.7, ("spatial", False): 94.0, ("temporal", False): 93.6,
                         ("fused", False): 95.6, ("fused", True): 96.1},
    ("ntu120", "xsub"): {("spatial", False): 78.6, ("temporal", False): 78.4, ("fused", False): 81.9},
    ("ntu120", "xset"): {("spatial", False): 80.7, ("temporal", False): 80.5, ("fused", False): 84.1},
}  # fmt: skip

# Table 1b: parameters (x 10^4) of one module at C_in = C_out = 256, and the authors' exact counts.
TABLE_1B: dict[str, tuple[float, int]] = {
    "GCN": (19.9, 199_763),
    "SSA": (17.8, 177_792),
    "TCN": (59.0, 590_592),
    "TSA": (17.7, 177_792),
}

# Classes the paper names as gaining most from SSA (S-TR) and TSA (T-TR), Sec. 3.3, with their NTU names.
GAIN_CLASSES: dict[str, tuple[str, ...]] = {
    "spatial": ("playing with phone/tablet", "typing on a keyboard", "cross hands in front (say stop)"),
    "temporal": ("hugging other person", "point finger at the other person", "pat on back of other person"),
}

# The benchmarks whose numbers a claim quotes, in the paper's order.
CLAIM_BENCHMARKS: tuple[tuple[str, str, str], ...] = (("ntu60", "xsub", "X-Sub"), ("ntu60", "xview", "X-View"))


def top1(dataset: str, benchmark: str, stream: str, bones: bool = False) -> float | None:
    """The paper's top-1 (%) of a stream (or ``fused``) on a dataset and benchmark, None where it gives none."""
    return TOP1.get((dataset, benchmark), {}).get((stream, bones))


def gain(a: tuple[str, bool], b: tuple[str, bool]) -> str:
    """The paper's a - b (points) on NTU-60 X-Sub and X-View where it reports both, e.g. ``+0.7 X-Sub (86.4 vs
    85.7), +1.3 X-View (94.0 vs 92.7)``; "not in the paper" where it reports neither."""
    parts = []
    for dataset, benchmark, title in CLAIM_BENCHMARKS:
        x, y = top1(dataset, benchmark, *a), top1(dataset, benchmark, *b)
        if x is not None and y is not None:
            parts.append(f"{x - y:+.1f} {title} ({x:.1f} vs {y:.1f})")
    return ", ".join(parts) or "not in the paper"


def largest_gain(a: tuple[str, bool], b: tuple[str, bool]) -> float | None:
    """The paper's largest a - b (points) over the benchmarks it reports both on."""
    gains = [top1(d, k, *a) - top1(d, k, *b) for d, k, _ in CLAIM_BENCHMARKS
             if top1(d, k, *a) is not None and top1(d, k, *b) is not None]  # fmt: skip
    return max(gains) if gains else None
