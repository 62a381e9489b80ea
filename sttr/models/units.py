"""GCN and TCN units of the stream network (ST-GCN "spatial" partitioning, reference README sec. 1).

Parameter names follow the authors' checkpoints (``conv_list.{k}``, ``mask``, ``conv``, ``bn``) so that
their state dicts load without renaming.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def he_normal_(conv: nn.Conv1d | nn.Conv2d) -> None:
    """The authors' conv init: weights ~ N(0, 2 / (C_out * kh * kw)), default bias."""
    fan_out = conv.out_channels * math.prod(conv.kernel_size)
    nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / fan_out))


def joint_batch_norm(bn: nn.BatchNorm1d, x: torch.Tensor) -> torch.Tensor:
    """BatchNorm1d over C*V features (feature index c*V + v) of ``x`` (N, C, T, V), as the authors' SSA/TSA."""
    n, c, t, v = x.shape
    y = x.permute(0, 1, 3, 2).reshape(n, c * v, t)  # (N, C*V, T)
    y = bn(y)
    return y.view(n, c, v, t).permute(0, 1, 3, 2)  # (N, C, T, V)


class UnitGCN(nn.Module):
    """Graph convolution with 3 partition subsets and a learnable mask: y = ReLU(BN(sum_k W_k (x (A_k * M_k)))).

    Computed as ONE einsum over the subsets and ONE 1x1 convolution whose weight concatenates the three
    per-subset convs (kept as ``conv_list`` for the authors' key names).
    """

    def __init__(self, in_channels: int, out_channels: int, A: torch.Tensor, mask_learning: bool = True) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.register_buffer("A", torch.as_tensor(A, dtype=torch.float32).clone(), persistent=False)  # (K, V, V)
        k = self.A.shape[0]
        self.conv_list = nn.ModuleList(nn.Conv2d(in_channels, out_channels, kernel_size=1) for _ in range(k))
        for conv in self.conv_list:
            he_normal_(conv)
        self.mask = nn.Parameter(torch.ones_like(self.A)) if mask_learning else None
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, T, V) -> (N, C_out, T, V)."""
        n, c, t, v = x.shape
        a = self.A if self.mask is None else self.A * self.mask  # (K, V, V)
        k = a.shape[0]
        bias = sum(conv.bias for conv in self.conv_list)  # (C_out,)
        if self.in_channels <= self.out_channels:
            # aggregate over joints first (cheaper when C_in <= C_out), then one conv over K*C_in channels
            weight = torch.cat([conv.weight for conv in self.conv_list], dim=1)  # (C_out, K*C_in, 1, 1)
            xa = torch.einsum("nctv,kvw->nkctw", x, a).reshape(n, k * c, t, v)  # (N, K*C_in, T, V)
            y = F.conv2d(xa, weight, bias)  # (N, C_out, T, V)
        else:
            # one conv to K*C_out channels first, then one einsum summing subsets and joints
            weight = torch.cat([conv.weight for conv in self.conv_list], dim=0)  # (K*C_out, C_in, 1, 1)
            z = F.conv2d(x, weight).view(n, k, self.out_channels, t, v)  # (N, K, C_out, T, V)
            y = torch.einsum("nkctv,kvw->nctw", z, a) + bias.view(1, -1, 1, 1)  # (N, C_out, T, V)
        return self.relu(self.bn(y))


class UnitTCN(nn.Module):
    """Temporal convolution unit: Dropout -> Conv (kernel_size x 1, stride along T) -> BN -> ReLU.

    Output length is ceil(T / stride) for odd kernels (padding (k-1)/2), matching the strided TSA.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 9, stride: int = 1, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size=(kernel_size, 1),
            padding=((kernel_size - 1) // 2, 0),
            stride=(stride, 1),
        )
        he_normal_(self.conv)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, T, V) -> (N, C_out, ceil(T / stride), V)."""
        return self.relu(self.bn(self.conv(self.dropout(x))))
