"""ModelConfig: one frozen dataclass for the three stream networks (S-TR, T-TR, ST-GCN) and its presets.

The authors thread dozens of boolean flags through every constructor; here the configuration is data,
validated at construction, with the paper's presets and the authors' released configurations (adaptive-GCN
T-TR, Kinetics-skeleton) as named constructors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sttr.skeleton import LAYOUTS, layout

STREAMS = ("spatial", "temporal", "stgcn")

# GCN of every unit that is not an SSA: "static" = ST-GCN's partitioned GCN with a learnable mask (the paper),
# "adaptive" = 2s-AGCN's adaptive graph convolution (Shi et al., CVPR 2019), the authors' ``agcn: True``.
GCN_KINDS = ("static", "adaptive")

# The datasets of the authors' released checkpoints: dataset -> (graph, classes).
RELEASED_DATASETS: dict[str, tuple[str, int]] = {
    "ntu60": ("ntu", 60), "ntu120": ("ntu", 120), "kinetics": ("kinetics", 400),
}  # fmt: skip
# The released streams, as the checkpoint names spell them -> (our stream, GCN kind).
RELEASED_STREAMS: dict[str, tuple[str, str]] = {
    "spatial": ("spatial", "static"), "temporal": ("temporal", "static"), "temporal-agcn": ("temporal", "adaptive"),
}  # fmt: skip

# Unit plan of the backbone: (index into widths of C_in, index of C_out, temporal stride), as the authors
# build it (Sec. 2.3: three plain layers, then six with attention).
UNIT_PLAN: tuple[tuple[int, int, int], ...] = (
    (0, 0, 1), (0, 0, 1), (0, 0, 1),
    (0, 1, 2), (1, 1, 1), (1, 1, 1),
    (1, 2, 2), (2, 2, 1), (2, 2, 1),
)  # fmt: skip

# Unit receiving the raw coordinates concatenated to its input, as in the authors' code.
RAW_INPUT_UNIT = 3


@dataclass(frozen=True)
class ModelConfig:
    """Configuration of one stream network; ``attention_from`` defaults to ``widths[1]`` (units 3..8 attend).

    ``graph`` names the joint layout of :mod:`sttr.skeleton` ("ntu": 25 Kinect joints, "kinetics": 18 OpenPose
    joints) whose adjacency the GCNs use; ``num_joints`` defaults to that layout's and must agree with it.
    ``gcn`` is the kind of every GCN that is not an SSA (the stem and the units without spatial attention).

    ``fused_attention``: True = ``scaled_dot_product_attention``, False = explicit matmul + softmax,
    None = choose per device (fused on CUDA; on CPU fused for TSA, explicit for SSA, as measured in
    benchmarks/README.md); the explicit path is always used when attention maps are returned.

    ``relative``: the authors' learned relative positions in every SSA (one embedding per ordered joint pair)
    and TSA (one per frame offset), off in the paper's configurations as the authors trained them. A TSA's
    table covers the frames that layer sees of a ``relative_frames``-frame input (``tsa_frames``).
    """

    stream: str = "spatial"
    in_channels: int = 3
    num_classes: int = 60
    widths: tuple[int, int, int] = (64, 128, 256)
    heads: int = 8
    dk_factor: float = 0.25
    dv_factor: float = 1.0
    dropout: float = 0.5
    drop_attention: float = 0.5
    num_persons: int = 2
    num_joints: int | None = None
    attention_from: int | None = None
    fused_attention: bool | None = None
    graph: str = "ntu"
    gcn: str = "static"
    relative: bool = False
    relative_frames: int = 300

    def __post_init__(self) -> None:
        if self.stream not in STREAMS:
            raise ValueError(f"ModelConfig.stream: expected one of {STREAMS}, got {self.stream!r}")
        widths = tuple(self.widths)
        if len(widths) != 3 or not all(isinstance(w, int) and w > 0 for w in widths):
            raise ValueError(f"ModelConfig.widths: expected three positive ints (w0, w1, w2), got {self.widths!r}")
        object.__setattr__(self, "widths", widths)
        if self.graph not in LAYOUTS:
            raise ValueError(f"ModelConfig.graph: expected one of {sorted(LAYOUTS)}, got {self.graph!r}")
        if self.gcn not in GCN_KINDS:
            raise ValueError(f"ModelConfig.gcn: expected one of {GCN_KINDS}, got {self.gcn!r}")
        joints = layout(self.graph).num_joints
        if self.num_joints is None:
            object.__setattr__(self, "num_joints", joints)
        elif self.num_joints != joints:
            raise ValueError(
                f"ModelConfig.num_joints: graph {self.graph!r} has {joints} joints, got {self.num_joints!r}"
            )
        for name in ("in_channels", "num_classes", "heads", "num_persons", "num_joints"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ModelConfig.{name}: expected a positive int, got {value!r}")
        for name in ("dropout", "drop_attention"):
            value = getattr(self, name)
            if not 0.0 <= float(value) < 1.0:
                raise ValueError(f"ModelConfig.{name}: expected a probability in [0, 1), got {value!r}")
        if not 0.0 < float(self.dk_factor) <= 1.0:
            raise ValueError(f"ModelConfig.dk_factor: expected a value in (0, 1], got {self.dk_factor!r}")
        if float(self.dv_factor) != 1.0:
            raise ValueError(
                f"ModelConfig.dv_factor: expected 1.0 (the output projection maps d_v -> d_v = C_out), "
                f"got {self.dv_factor!r}"
            )
        if self.attention_from is None:
            object.__setattr__(self, "attention_from", widths[1])
        if not isinstance(self.attention_from, int) or self.attention_from < 1:
            raise ValueError(f"ModelConfig.attention_from: expected a positive int width, got {self.attention_from!r}")
        if not isinstance(self.relative, bool):
            raise ValueError(f"ModelConfig.relative: expected true or false, got {self.relative!r}")
        frames = self.relative_frames
        if not isinstance(frames, int) or isinstance(frames, bool) or frames < 1:
            raise ValueError(f"ModelConfig.relative_frames: expected a positive int, got {self.relative_frames!r}")
        if self.fused_attention not in (None, True, False):
            raise ValueError(f"ModelConfig.fused_attention: expected True, False or None, got {self.fused_attention!r}")
        if self.stream != "stgcn":
            for width in sorted({w for w in widths if w >= self.attention_from}):
                dk, dv = self.d_k(width), self.d_v(width)
                if dk < self.heads or dk % self.heads or dv % self.heads:
                    raise ValueError(
                        f"ModelConfig.heads: d_k={dk} and d_v={dv} (width {width}, dk_factor {self.dk_factor}) "
                        f"must be multiples of N_h={self.heads}"
                    )

    def d_k(self, width: int) -> int:
        """Key/query channels of an attention unit with ``width`` output channels: floor(dk_factor * C_out)."""
        return int(self.dk_factor * width)

    def d_v(self, width: int) -> int:
        """Value channels of an attention unit with ``width`` output channels: floor(dv_factor * C_out)."""
        return int(self.dv_factor * width)

    def qkv_kernel(self, stride: int) -> int:
        """Temporal kernel of a TSA's qkv conv with this stride: the authors' rule is ``stride`` (a window of
        ``s`` frames per step) for an odd joint count and 1 (every ``s``-th frame) for an even one."""
        return stride if self.num_joints % 2 else 1

    def units(self) -> list[tuple[int, int, int, bool]]:
        """The nine backbone units as (C_in, C_out, stride, attention); unit 3 also takes the raw input."""
        plan = []
        for i, (a, b, stride) in enumerate(UNIT_PLAN):
            c_in = self.widths[a] + (self.in_channels if i == RAW_INPUT_UNIT else 0)
            c_out = self.widths[b]
            attention = self.stream != "stgcn" and c_out >= self.attention_from
            plan.append((c_in, c_out, stride, attention))
        return plan

    def tsa_frames(self, unit: int) -> int:
        """Frames the TSA of backbone unit ``unit`` attends over for a ``relative_frames`` input: ceil(T / s) after
        every stride up to and including that unit's (the rows of its key_rel table are 2F - 1)."""
        frames = self.relative_frames
        for _, _, stride in UNIT_PLAN[: unit + 1]:
            frames = -(-frames // stride)
        return frames

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe dict (tuples become lists); ``from_dict`` inverts it."""
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Build from ``to_dict`` output (or a YAML mapping); unknown keys raise naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"ModelConfig.from_dict: unknown field(s) {unknown}; expected a subset of {sorted(known)}")
        d = dict(d)
        if "widths" in d:
            d["widths"] = tuple(d["widths"])
        return cls(**d)

    @classmethod
    def paper(cls, stream: str, bones: bool = False, num_classes: int = 60, **overrides: Any) -> ModelConfig:
        """The paper's configuration: N_h=8, d_k=d_v factors 0.25/1, dropout and DropAttention 0.5,
        widths 64/128/256 (doubled, with 6 input channels, for joints+bones)."""
        widths = (128, 256, 512) if bones else (64, 128, 256)
        base: dict[str, Any] = dict(
            stream=stream, in_channels=6 if bones else 3, num_classes=num_classes, widths=widths
        )
        base.update(overrides)
        return cls(**base)

    @classmethod
    def small(cls, stream: str, bones: bool = False, num_classes: int = 60, **overrides: Any) -> ModelConfig:
        """CPU-sized configuration: widths 16/32/64 (also with bones), otherwise as the paper (the
        reduced models of the authors' reference tensors)."""
        base: dict[str, Any] = dict(
            stream=stream, in_channels=6 if bones else 3, num_classes=num_classes, widths=(16, 32, 64)
        )
        base.update(overrides)
        return cls(**base)

    @classmethod
    def temporal_agcn(cls, bones: bool = False, num_classes: int = 60, **overrides: Any) -> ModelConfig:
        """T-TR-agcn, the authors' released T-TR with ``agcn: True``: the paper's T-TR whose stem and unit GCNs
        are 2s-AGCN's adaptive graph convolution."""
        return cls.paper("temporal", bones=bones, num_classes=num_classes, **{"gcn": "adaptive", **overrides})

    @classmethod
    def kinetics(cls, stream: str, bones: bool = False, num_classes: int = 400, **overrides: Any) -> ModelConfig:
        """The authors' Kinetics-skeleton configuration: the 18-joint OpenPose graph, channels (x, y, score)
        (6 with bones), 400 classes, dropout 0; widths as the paper's (doubled with bones)."""
        base: dict[str, Any] = dict(graph="kinetics", dropout=0.0)
        base.update(overrides)
        return cls.paper(stream, bones=bones, num_classes=num_classes, **base)

    @classmethod
    def released(cls, dataset: str, stream: str, bones: bool = False, **overrides: Any) -> ModelConfig:
        """The configuration of an authors' released checkpoint, named as their files are: ``dataset`` in
        ("ntu60", "ntu120", "kinetics"), ``stream`` in ("spatial", "temporal", "temporal-agcn")."""
        for what, value, known in (("dataset", dataset, RELEASED_DATASETS), ("stream", stream, RELEASED_STREAMS)):
            if value not in known:
                raise ValueError(f"ModelConfig.released: unknown {what} {value!r}; expected one of {sorted(known)}")
        graph, classes = RELEASED_DATASETS[dataset]
        ours, gcn = RELEASED_STREAMS[stream]
        base: dict[str, Any] = dict(gcn=gcn, num_classes=classes)
        base.update(overrides)
        if graph == "kinetics":
            return cls.kinetics(ours, bones=bones, **base)
        return cls.paper(ours, bones=bones, **base)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> ModelConfig:
        """Named preset ("paper", "small" or "kinetics"); ``overrides`` may include stream, bones, num_classes
        and any field."""
        presets = {"paper": cls.paper, "small": cls.small, "kinetics": cls.kinetics}
        if name not in presets:
            raise ValueError(f"ModelConfig.preset: unknown preset {name!r}; expected one of {sorted(presets)}")
        stream = overrides.pop("stream", "spatial")
        return presets[name](stream, **overrides)
