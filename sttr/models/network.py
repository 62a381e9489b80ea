"""The stream network: input BN, GCN+TCN stem, nine units, pooled 1x1-conv head (ST-TR, Sec. 2.3, Fig. 2).

One class builds S-TR (``stream="spatial"``: SSA replaces the GCN), T-TR (``"temporal"``: TSA replaces
the TCN) and the ST-GCN baseline (``"stgcn"``) from a ``ModelConfig``, on the graph of its joint layout, with
the paper's GCN or 2s-AGCN's adaptive one. Submodule names are the authors' state-dict keys (``data_bn``,
``gcn0``, ``tcn0``, ``backbone.{i}.{gcn1,tcn1,down1}``, ``person_bn``, ``fcn``).
"""

from __future__ import annotations

import torch
from torch import nn

from sttr.models.attention import SpatialSelfAttention, TemporalSelfAttention
from sttr.models.config import RAW_INPUT_UNIT, ModelConfig
from sttr.models.units import UnitAGCN, UnitGCN, UnitTCN, he_normal_
from sttr.skeleton import layout

Maps = dict[str, torch.Tensor]

# The fixed graph A_k of the authors' adaptive GCNs. Their unit_agcn makes ``PA = nn.Parameter(A)`` and then fills PA
# with 1e-6: the Parameter shares the skeleton graph's storage, so the graph each unit adds is 1e-6 in every entry.
# On GPU, where ``.cuda()`` gives every PA storage of its own before the weights are loaded, their T-TR-agcn is
# trained and evaluated with A_k = 1e-6 and learns its graphs in PA (B_k) and C_k alone.
AUTHORS_AGCN_GRAPH = 1e-6


class STTRUnit(nn.Module):
    """One backbone unit: y = temporal(spatial(x)) + residual(x), spatial = GCN or SSA, temporal = TCN or TSA."""

    def __init__(self, spatial: nn.Module, temporal: nn.Module, residual: nn.Module) -> None:
        super().__init__()
        self.gcn1 = spatial
        self.tcn1 = temporal
        self.down1 = residual

    def forward(self, x: torch.Tensor, maps: Maps | None = None, prefix: str = "") -> torch.Tensor:
        """(N*M, C_in, T, V) -> (N*M, C_out, ceil(T/s), V); attention weights go into ``maps`` when given."""
        want = maps is not None
        if isinstance(self.gcn1, SpatialSelfAttention):
            h, w = self.gcn1(x, return_weights=want)
            if want:
                maps[f"{prefix}gcn1"] = w.view(x.shape[0], x.shape[2], *w.shape[1:])  # (N*M, T, N_h, V, V)
        else:
            h = self.gcn1(x)
        if isinstance(self.tcn1, TemporalSelfAttention):
            y, w = self.tcn1(h, return_weights=want)
            if want:
                maps[f"{prefix}tcn1"] = w.view(h.shape[0], h.shape[3], *w.shape[1:])  # (N*M, V, N_h, T', T')
        else:
            y = self.tcn1(h)
        return y + self.down1(x)


class STTRNet(nn.Module):
    """S-TR / T-TR / ST-GCN stream: forward(x (N, C, T, V, M)) -> logits (N, classes) [, attention maps]."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c, v, m = cfg.in_channels, cfg.num_joints, cfg.num_persons
        w0, _, w2 = cfg.widths
        a = torch.from_numpy(layout(cfg.graph).adjacency())  # (3, V, V): identity, inward, outward
        self.data_bn = nn.BatchNorm1d(m * v * c)
        self.gcn0 = self._gcn(cfg, c, w0, a)
        self.tcn0 = UnitTCN(w0, w0, kernel_size=9)
        self.backbone = nn.ModuleList(self._unit(cfg, a, *spec, unit=i) for i, spec in enumerate(cfg.units()))
        self.person_bn = nn.BatchNorm1d(w2)  # unused in forward, as in the authors' code; kept for their keys
        self.fcn = nn.Conv1d(w2, cfg.num_classes, kernel_size=1)
        he_normal_(self.fcn)

    @staticmethod
    def _gcn(cfg: ModelConfig, c_in: int, c_out: int, a: torch.Tensor) -> nn.Module:
        """A GCN that is not an SSA: the paper's (``gcn="static"``) or 2s-AGCN's adaptive one, on the fixed
        graph the authors' code gives it (``AUTHORS_AGCN_GRAPH``)."""
        if cfg.gcn == "adaptive":
            return UnitAGCN(c_in, c_out, torch.full_like(a, AUTHORS_AGCN_GRAPH))
        return UnitGCN(c_in, c_out, a)

    @classmethod
    def _unit(
        cls, cfg: ModelConfig, a: torch.Tensor, c_in: int, c_out: int, stride: int, attention: bool, unit: int = 0
    ) -> STTRUnit:
        """Build unit ``unit`` of the plan; attention units follow the stream (SSA for S-TR, TSA for T-TR)."""
        common = dict(heads=cfg.heads, num_joints=cfg.num_joints, drop_attention=cfg.drop_attention)
        if attention and cfg.stream == "spatial":
            spatial: nn.Module = SpatialSelfAttention(
                c_in, c_out, cfg.d_k(c_out), fused=cfg.fused_attention, relative=cfg.relative, **common
            )
        else:
            spatial = cls._gcn(cfg, c_in, c_out, a)
        if attention and cfg.stream == "temporal":
            temporal: nn.Module = TemporalSelfAttention(
                c_out, c_out, cfg.d_k(c_out), stride=stride, qkv_kernel=cfg.qkv_kernel(stride),
                fused=cfg.fused_attention, relative_frames=cfg.tsa_frames(unit) if cfg.relative else None, **common,
            )  # fmt: skip
        else:
            temporal = UnitTCN(c_out, c_out, kernel_size=9, stride=stride, dropout=cfg.dropout)
        if c_in == c_out and stride == 1:
            residual: nn.Module = nn.Identity()
        else:
            residual = UnitTCN(c_in, c_out, kernel_size=1, stride=stride)
        return STTRUnit(spatial, temporal, residual)

    def forward(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, Maps]:
        """(N, C, T, V, M) -> logits (N, classes), or (logits, maps) with maps keyed by layer name."""
        n, c, t, v, m = x.shape
        if (c, v, m) != (self.cfg.in_channels, self.cfg.num_joints, self.cfg.num_persons):
            raise ValueError(
                f"STTRNet input: expected (N, C={self.cfg.in_channels}, T, V={self.cfg.num_joints}, "
                f"M={self.cfg.num_persons}), got {tuple(x.shape)}"
            )
        x_raw = x.permute(0, 4, 1, 2, 3).reshape(n * m, c, t, v)  # (N*M, C, T, V): raw coordinates
        h = x.permute(0, 4, 3, 1, 2).reshape(n, m * v * c, t)  # (N, M*V*C, T): feature m*V*C + v*C + c
        h = self.data_bn(h)
        h = h.view(n, m, v, c, t).permute(0, 1, 3, 4, 2).reshape(n * m, c, t, v)  # (N*M, C, T, V)
        h = self.tcn0(self.gcn0(h))
        maps: Maps | None = {} if return_attention else None
        for i, unit in enumerate(self.backbone):
            if i == RAW_INPUT_UNIT:
                h = torch.cat([h, x_raw], dim=1)  # (N*M, w0 + C, T, V)
            h = unit(h, maps, prefix=f"backbone.{i}.")
        h = h.mean(dim=(2, 3)).view(n, m, -1).mean(dim=1)  # (N, w2): mean over T, V, then persons
        logits = self.fcn(h.unsqueeze(-1)).squeeze(-1)  # (N, classes)
        return (logits, maps) if return_attention else logits


def build_model(cfg: ModelConfig) -> STTRNet:
    """The stream network described by ``cfg`` (randomly initialised, the authors' init)."""
    return STTRNet(cfg)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (what the paper's Table 1b and the reference counts report)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
