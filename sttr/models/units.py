"""GCN and TCN units of the stream network: the paper's GCN (ST-GCN "spatial" partitioning with a learnable
mask), 2s-AGCN's adaptive GCN (the authors' ``agcn: True``) and the temporal convolution.

Parameter names follow the authors' checkpoints (``conv_list.{k}``, ``mask``, ``conv``, ``bn``; ``PA``,
``conv_a/b/d.{k}``, ``down``) so that their state dicts load without renaming.
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


def joint_batch_norm_channels_last(bn: nn.BatchNorm1d, x: torch.Tensor) -> torch.Tensor:
    """The same BN as :func:`joint_batch_norm`, returned as (N, T, V, C): channels innermost, so that the
    projections after it are single large GEMMs. Parameters and running statistics stay in the authors'
    feature order ``c*V + v``; only this call sees them permuted to ``v*C + c``.

    Any other BN class (``nn.SyncBatchNorm`` after ``convert_sync_batchnorm``) is called as a module on the
    features in its own order, so that it does its own work (the all-reduce of batch statistics across ranks)."""
    n, c, t, v = x.shape
    if type(bn) is not nn.BatchNorm1d:
        y = bn(x.permute(0, 2, 1, 3).reshape(n * t, c * v))  # (N*T, C*V): features c*V + v
        return y.view(n, t, c, v).transpose(2, 3)  # (N, T, V, C), a view
    h = x.permute(0, 2, 3, 1).reshape(n * t, v * c)  # (N*T, V*C)

    def last(p: torch.Tensor | None) -> torch.Tensor | None:  # feature c*V + v -> v*C + c
        return None if p is None else p.view(c, v).t().reshape(-1)

    if not bn.training or bn.running_mean is None:  # eval with running statistics, or none kept: no update
        y = F.batch_norm(h, last(bn.running_mean), last(bn.running_var), last(bn.weight), last(bn.bias),
                         bn.running_mean is None, 0.0, bn.eps)  # fmt: skip
        return y.view(n, t, v, c)
    factor = 0.0 if bn.momentum is None else bn.momentum
    if bn.num_batches_tracked is not None:
        bn.num_batches_tracked.add_(1)
        if bn.momentum is None:  # cumulative moving average, as nn.BatchNorm1d
            factor = 1.0 / float(bn.num_batches_tracked)
    mean, var = last(bn.running_mean), last(bn.running_var)  # permuted copies, updated in place below
    y = F.batch_norm(h, mean, var, last(bn.weight), last(bn.bias), True, factor, bn.eps)
    with torch.no_grad():
        bn.running_mean.copy_(mean.view(v, c).t().reshape(-1))
        bn.running_var.copy_(var.view(v, c).t().reshape(-1))
    return y.view(n, t, v, c)  # (N, T, V, C)


class UniformDropout(nn.Module):
    """Inverted dropout, the law of ``nn.Dropout`` (keep with probability 1 - p, scale by 1 / (1 - p)), with the
    mask drawn as ``uniform >= p``: several times cheaper on CPU than ``torch.bernoulli`` (benchmarks/)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand_like(x).ge_(self.p).mul_(1.0 / (1.0 - self.p))  # same shape as x: 0 or 1 / (1 - p)
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class UnitGCN(nn.Module):
    """Graph convolution with 3 partition subsets and a learnable mask: y = ReLU(BN(sum_k W_k (x (A_k * M_k)))).

    Computed per subset as the authors do ((N*C*T, V) @ (A_k * M_k), then that subset's 1x1 conv): on CPU this
    measured faster than one einsum + one conv over K*C_in channels and than a channels-last GEMM form
    (benchmarks/README.md).
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
        flat = x.reshape(n * c * t, v)  # (N*C*T, V): one GEMM per subset aggregates over joints
        y = None
        for conv, a_k in zip(self.conv_list, a):
            y_k = conv(flat.mm(a_k).view(n, c, t, v))  # (N, C_out, T, V)
            y = y_k if y is None else y + y_k
        return self.relu(self.bn(y))


class UnitTCN(nn.Module):
    """Temporal convolution unit: Dropout -> Conv (kernel_size x 1, stride along T) -> BN -> ReLU.

    Output length is ceil(T / stride) for odd kernels (padding (k-1)/2), matching the strided TSA.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 9, stride: int = 1, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.dropout = UniformDropout(dropout) if dropout > 0 else nn.Identity()
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


class UnitAGCN(nn.Module):
    """Adaptive graph convolution of 2s-AGCN (Shi et al., CVPR 2019, Eqs. 3-4), as the authors' ``unit_agcn``:
    y = ReLU(BN(sum_k W_k x (A_k + B_k + C_k)) + down(x)).

    ``A_k``: the fixed partition matrices (a buffer); ``B_k`` = ``PA[k]``: a learned (V, V) offset;
    ``C_k = softmax_over_v((theta_k x)^T (phi_k x) / (C' T))``: the data-dependent embedded-Gaussian graph,
    theta_k = ``conv_a[k]``, phi_k = ``conv_b[k]`` (1x1, C_in -> C' = C_out // 4), W_k = ``conv_d[k]``;
    ``down`` is a 1x1 conv + BN when C_in != C_out, else the identity.
    """

    def __init__(self, in_channels: int, out_channels: int, A: torch.Tensor, embedding_factor: int = 4) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.inter_channels = out_channels // embedding_factor  # C'
        self.register_buffer("A", torch.as_tensor(A, dtype=torch.float32).clone(), persistent=False)  # (K, V, V)
        k = self.A.shape[0]
        self.PA = nn.Parameter(torch.full_like(self.A, 1e-6))  # B_k, 2s-AGCN's init
        self.conv_a = nn.ModuleList(nn.Conv2d(in_channels, self.inter_channels, 1) for _ in range(k))
        self.conv_b = nn.ModuleList(nn.Conv2d(in_channels, self.inter_channels, 1) for _ in range(k))
        self.conv_d = nn.ModuleList(nn.Conv2d(in_channels, out_channels, 1) for _ in range(k))
        if in_channels != out_channels:
            self.down: nn.Module = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
        else:
            self.down = nn.Identity()
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        for m in self.modules():  # 2s-AGCN's init: He (fan-out) convs, zero biases, BN of the sum near zero
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                nn.init.zeros_(m.bias)
        nn.init.constant_(self.bn.weight, 1e-6)
        for conv in self.conv_d:  # std sqrt(2 / (C_out * C_in * K)), as their conv_branch_init
            nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / (out_channels * in_channels * k)))

    def graphs(self, x: torch.Tensor) -> torch.Tensor:
        """The data-dependent graphs C_k of ``x`` (N, C_in, T, V) -> (N, K, V, V), each column summing to one."""
        n, _, _, v = x.shape
        out = []
        for conv_a, conv_b in zip(self.conv_a, self.conv_b):
            theta = conv_a(x).permute(0, 3, 1, 2).reshape(n, v, -1)  # (N, V, C'*T)
            phi = conv_b(x).view(n, -1, v)  # (N, C'*T, V)
            out.append(torch.softmax(theta.bmm(phi) / theta.shape[-1], dim=-2))  # (N, V, V): softmax over v
        return torch.stack(out, dim=1)  # (N, K, V, V)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, T, V) -> (N, C_out, T, V)."""
        n, c, t, v = x.shape
        a = self.A + self.PA  # (K, V, V): A_k + B_k
        c_k = self.graphs(x)  # (N, K, V, V)
        flat = x.reshape(n, c * t, v)  # (N, C*T, V)
        y = None
        for i, conv in enumerate(self.conv_d):
            y_k = conv(flat.bmm(c_k[:, i] + a[i]).view(n, c, t, v))  # (N, C_out, T, V)
            y = y_k if y is None else y + y_k
        return self.relu(self.bn(y) + self.down(x))
