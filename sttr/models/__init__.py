"""ST-TR stream networks (S-TR, T-TR, ST-GCN baseline), their units, presets and the parameter tables of the
paper's configurations and of the authors' released ones."""

from __future__ import annotations

import pandas as pd

from sttr.models.attention import DropAttention, SpatialSelfAttention, TemporalSelfAttention
from sttr.models.config import ModelConfig
from sttr.models.network import STTRNet, STTRUnit, build_model, count_parameters
from sttr.models.official import load_official
from sttr.models.units import UnitAGCN, UnitGCN, UnitTCN
from sttr.paper import TABLE_1B
from sttr.skeleton import adjacency_subsets

__all__ = [
    "DropAttention",
    "ModelConfig",
    "STTRNet",
    "STTRUnit",
    "SpatialSelfAttention",
    "TemporalSelfAttention",
    "UnitAGCN",
    "UnitGCN",
    "UnitTCN",
    "build_model",
    "count_parameters",
    "load_official",
    "paper_parameter_table",
    "released_parameter_table",
    "table_1b",
]

# The trainable-parameter counts of the authors' code: (stream, bones, classes) -> count.
AUTHORS_PARAMETERS: dict[tuple[str, bool, int], int] = {
    ("spatial", False, 60): 3_075_338, ("spatial", False, 120): 3_090_758,
    ("spatial", True, 60): 12_126_348, ("spatial", True, 120): 12_157_128,
    ("temporal", False, 60): 1_768_870, ("temporal", False, 120): 1_784_290,
    ("temporal", True, 60): 6_840_914, ("temporal", True, 120): 6_871_694,
    ("stgcn", False, 60): 3_101_030, ("stgcn", False, 120): 3_116_450,
    ("stgcn", True, 60): 12_290_514, ("stgcn", True, 120): 12_321_294,
}  # fmt: skip

# The authors' trainable-parameter counts of their released configurations (their code, full size):
# (dataset, stream as their checkpoint names spell it, bones) -> count.
AUTHORS_RELEASED_PARAMETERS: dict[tuple[str, str, bool], int] = {
    ("ntu60", "spatial", False): 3_075_338, ("ntu60", "spatial", True): 12_126_348,
    ("ntu60", "temporal", False): 1_768_870, ("ntu60", "temporal", True): 6_840_914,
    ("ntu60", "temporal-agcn", False): 2_140_358, ("ntu60", "temporal-agcn", True): 8_319_954,
    ("ntu120", "spatial", False): 3_090_758, ("ntu120", "spatial", True): 12_157_128,
    ("ntu120", "temporal", False): 1_784_290, ("ntu120", "temporal", True): 6_871_694,
    ("ntu120", "temporal-agcn", False): 2_155_778, ("ntu120", "temporal-agcn", True): 8_350_734,
    ("kinetics", "spatial", False): 3_145_540, ("kinetics", "spatial", True): 12_270_024,
    ("kinetics", "temporal", False): 1_708_128, ("kinetics", "temporal", True): 6_482_360,
    ("kinetics", "temporal-agcn", False): 2_079_616, ("kinetics", "temporal-agcn", True): 7_961_400,
}  # fmt: skip



def table_1b(channels: int = 256, heads: int = 8) -> pd.DataFrame:
    """Paper Table 1b: parameters of GCN, SSA, TCN and TSA at C_in = C_out = ``channels``, ours vs paper."""
    cfg = ModelConfig(heads=heads)
    d_k = cfg.d_k(channels)
    a = adjacency_subsets()
    modules = {
        "GCN": UnitGCN(channels, channels, a),
        "SSA": SpatialSelfAttention(channels, channels, d_k, heads, cfg.num_joints),
        "TCN": UnitTCN(channels, channels, kernel_size=9),
        "TSA": TemporalSelfAttention(channels, channels, d_k, heads, cfg.num_joints),
    }
    rows = [
        {
            "module": name,
            "parameters": count_parameters(module),
            "paper_x1e4": TABLE_1B[name][0],
            "authors": TABLE_1B[name][1],
        }
        for name, module in modules.items()
    ]
    return pd.DataFrame(rows)


def paper_parameter_table() -> pd.DataFrame:
    """The twelve paper presets (3 streams x joints/bones x 60/120 classes): our count vs the authors'."""
    rows = []
    for (stream, bones, classes), authors in AUTHORS_PARAMETERS.items():
        model = build_model(ModelConfig.paper(stream, bones=bones, num_classes=classes))
        rows.append(
            {
                "stream": stream,
                "bones": bones,
                "num_classes": classes,
                "parameters": count_parameters(model),
                "authors": authors,
            }
        )
    return pd.DataFrame(rows)


def released_parameter_table() -> pd.DataFrame:
    """The authors' eighteen released configurations (NTU-60, NTU-120, Kinetics x S-TR, T-TR, T-TR-agcn x
    joints/bones; :meth:`ModelConfig.released`): our parameter count vs the authors'."""
    rows = []
    for (dataset, stream, bones), authors in AUTHORS_RELEASED_PARAMETERS.items():
        cfg = ModelConfig.released(dataset, stream, bones=bones)
        rows.append(
            {
                "dataset": dataset,
                "stream": stream,
                "bones": bones,
                "graph": cfg.graph,
                "gcn": cfg.gcn,
                "num_classes": cfg.num_classes,
                "parameters": count_parameters(build_model(cfg)),
                "authors": authors,
            }
        )
    return pd.DataFrame(rows)
