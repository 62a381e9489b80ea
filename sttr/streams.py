"""The streams of the paper, one registry: name, title, the notebook that trains it, and the attention it has.

``fused`` is ST-TR: S-TR and T-TR scores summed (paper Sec. 3.3); it is evaluated, never trained."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    """One stream: its config name, its title in the paper, the notebook that trains it and its attention."""

    name: str
    title: str
    notebook: str | None
    attention: str | None  # "SSA", "TSA" or None


STREAMS: dict[str, Stream] = {
    s.name: s
    for s in (
        Stream("stgcn", "ST-GCN", "02_train_baseline", None),
        Stream("spatial", "S-TR", "03_train_s_tr", "SSA"),
        Stream("temporal", "T-TR", "04_train_t_tr", "TSA"),
        Stream("fused", "ST-TR", None, None),
    )
}
TRAINED: tuple[str, ...] = ("stgcn", "spatial", "temporal")  # the baseline first, as the paper's tables list them
TITLES: dict[str, str] = {s.name: s.title for s in STREAMS.values()}
INPUT_TITLES: dict[bool, str] = {False: "joints", True: "joints+bones"}
