"""Spatial (SSA) and temporal (TSA) self-attention units with DropAttention (paper Sec. 3, Eqs. 3-6).

Two paths compute the same function: a fused one through ``scaled_dot_product_attention`` with
DropAttention as a per-key boolean mask, and an explicit matmul + softmax one that also returns the
attention weights. Both take the softmax over the kept keys, which is the authors' renormalisation of
the kept weights by their row sum + 1e-8 without the 1e-8 (a relative difference of 1e-8 / kept mass).
Both work with channels innermost: the input BN returns (N, T, V, C) so that the qkv and output
projections are single GEMMs and the heads are views, not copies of the activations. The authors' optional
relative positions (``key_rel``; off in the paper's configurations) enter both paths as a bias on the logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sttr.models.units import UnitTCN, joint_batch_norm_channels_last


class DropAttention(nn.Module):
    """DropAttention: in training, per (token group, head) one Bernoulli(1 - p) keep-flag per key,
    shared by all queries; the kept weights are renormalised to sum to one (zeros if none is kept)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def sample(self, batch: int, heads: int, keys: int, device: torch.device) -> torch.Tensor | None:
        """Keep-mask (batch, heads, 1, keys) bool, or None when inactive (eval mode or p == 0)."""
        if not self.training or self.p <= 0:
            return None
        # uniform < 1 - p: the same Bernoulli(1 - p) flags, several times cheaper than torch.bernoulli on CPU
        return torch.rand(batch, heads, 1, keys, device=device) < 1.0 - self.p

    def extra_repr(self) -> str:
        return f"p={self.p}"


def attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    keep: torch.Tensor | None = None,
    fused: bool = False,
    need_weights: bool = True,
    bias: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Multi-head attention over (B, N_h, L, d) tensors: softmax(q k^T / sqrt(d_k/N_h) + bias) v.

    ``keep`` (B, N_h, 1, L) bool drops keys as DropAttention does: the softmax runs over the kept keys
    only, and a row with no kept key outputs zeros. ``bias`` (B, N_h, L, L) is added to the scaled logits
    (the relative-position logits). Returns (output, weights); weights is None on the fused path or when
    ``need_weights`` is False.
    """
    any_kept = None if keep is None else keep.any(dim=-1, keepdim=True)  # (B, N_h, 1, 1)
    if fused:
        if keep is None:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=bias), None
        # a row with every key dropped attends to all keys and is zeroed after: zeros like the authors, no NaN
        mask = keep | ~any_kept  # (B, N_h, 1, L)
        if bias is not None:
            mask = bias.masked_fill(~mask, float("-inf"))  # (B, N_h, L, L)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return out * any_kept.to(out.dtype), None
    b, h, length, d = q.shape
    if keep is None:
        add, beta = q.new_zeros(()), 0.0
    else:  # -inf on dropped keys, in rows that keep some, added inside the GEMM: (B*N_h, 1, L)
        drop = (~keep & any_kept).expand(b, h, 1, k.shape[2]).reshape(b * h, 1, -1)
        add, beta = q.new_zeros(drop.shape).masked_fill_(drop, float("-inf")), 1.0
    if bias is not None:
        add, beta = add + bias.reshape(b * h, length, -1), 1.0  # (B*N_h, L, L)
    scores = torch.baddbmm(
        add, q.reshape(b * h, length, d), k.reshape(b * h, -1, d).transpose(1, 2), beta=beta, alpha=d**-0.5
    )  # (B*N_h, L, L): scaled logits
    weights = torch.softmax(scores, dim=-1).view(b, h, length, -1)  # (B, N_h, L, L)
    out = torch.matmul(weights, v)  # (B, N_h, L, d_v)
    if keep is not None and not bool(any_kept.all()):  # rows with every key dropped output zeros
        kept = any_kept.to(out.dtype)
        out, weights = out * kept, weights * kept
    return out, weights if need_weights else None


SDPA_MAX_GROUPS = 65_535  # CUDA's grid limit on the batch axis of the memory-efficient SDPA kernel (fp32)


def attend_in_chunks(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    keep: torch.Tensor | None = None,
    fused: bool = False,
    need_weights: bool = True,
    max_groups: int | None = None,
    bias: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``attend`` over at most ``max_groups`` (default ``SDPA_MAX_GROUPS``) groups at a time, joined on the
    group axis: SSA has N*M*T groups, over 65,535 from batch 110 at T = 300, where the kernel fails. ``bias``
    (groups, N_h, L, L): relative-position logits, cut like the groups."""
    limit = max_groups or SDPA_MAX_GROUPS
    if q.shape[0] <= limit:
        return attend(q, k, v, keep=keep, fused=fused, need_weights=need_weights, bias=bias)

    def part(t: torch.Tensor | None, i: int) -> torch.Tensor | None:
        return None if t is None or t.shape[0] == 1 else t[i : i + limit]  # a shared (1, ...) bias stays whole

    parts = [
        attend(q[i : i + limit], k[i : i + limit], v[i : i + limit], keep=part(keep, i), fused=fused,
               need_weights=need_weights, bias=bias if bias is not None and bias.shape[0] == 1 else part(bias, i))
        for i in range(0, q.shape[0], limit)
    ]
    weights = torch.cat([w for _, w in parts]) if need_weights and parts[0][1] is not None else None
    return torch.cat([o for o, _ in parts]), weights


class _Projections(nn.Module):
    """The qkv projection (C_in -> 2*d_k + d_v) and the output projection (d_v -> d_v) of one unit."""

    def __init__(
        self, in_channels: int, qkv_channels: int, d_v: int, kernel: tuple[int, int], stride: tuple[int, int]
    ) -> None:
        super().__init__()
        self.qkv_conv = nn.Conv2d(in_channels, qkv_channels, kernel_size=kernel, stride=stride)
        self.attn_out = nn.Conv2d(d_v, d_v, kernel_size=1)


class _SelfAttention(nn.Module):
    """Shared body of SSA and TSA: input BN, qkv projection, heads over a token axis, output projection."""

    token_axis: str = "V"

    def __init__(
        self,
        in_channels: int,
        d_k: int,
        d_v: int,
        heads: int,
        num_joints: int,
        stride: int = 1,
        drop_attention: float = 0.5,
        fused: bool | None = None,
        qkv_kernel: int = 1,
    ) -> None:
        super().__init__()
        self.d_k, self.d_v, self.heads, self.stride = d_k, d_v, heads, stride
        self.fused = fused
        self.data_bn = nn.BatchNorm1d(in_channels * num_joints)
        projections = _Projections(in_channels, 2 * d_k + d_v, d_v, (1, qkv_kernel), (1, stride))
        if self.token_axis == "V":
            self.attention_conv = projections  # the authors' SSA keys: attention_conv.{qkv_conv,attn_out}
        else:
            self.qkv_conv, self.attn_out = projections.qkv_conv, projections.attn_out
        self.drop_attention = DropAttention(drop_attention)

    def _convs(self) -> tuple[nn.Conv2d, nn.Conv2d]:
        """(qkv_conv, attn_out), wherever the authors' key layout puts them."""
        owner = self.attention_conv if self.token_axis == "V" else self
        return owner.qkv_conv, owner.attn_out

    def _project(self, h: torch.Tensor) -> torch.Tensor:
        """qkv channels of the normalised input (N, T, V, C) -> (N, T', V, 2*d_k + d_v), one GEMM."""
        conv = self._convs()[0]
        return F.linear(h, conv.weight.flatten(1), conv.bias)

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        """(N, T, V, d) -> (N*groups, N_h, L, d/N_h): heads take contiguous channel groups; tokens are the
        joints of each frame (SSA) or the frames of each joint (TSA)."""
        n, tt, vv, d = t.shape
        t = t.unflatten(-1, (self.heads, d // self.heads))  # (N, T, V, N_h, d_h)
        if self.token_axis == "V":
            return t.permute(0, 1, 3, 2, 4).reshape(n * tt, self.heads, vv, -1)  # (N*T, N_h, V, d_h)
        return t.permute(0, 2, 3, 1, 4).reshape(n * vv, self.heads, tt, -1)  # (N*V, N_h, T, d_h)

    def _merge(self, o: torch.Tensor, n: int, tt: int, vv: int) -> torch.Tensor:
        """Inverse of ``_heads`` for the values: -> (N, T, V, d_v), heads concatenated head-major."""
        if self.token_axis == "V":
            o = o.view(n, tt, self.heads, vv, -1).transpose(2, 3)  # (N, T, V, N_h, d_h)
        else:
            o = o.view(n, vv, self.heads, tt, -1).permute(0, 3, 1, 2, 4)  # (N, T, V, N_h, d_h)
        return o.reshape(n, tt, vv, self.d_v)  # (N, T, V, d_v)

    def _relative_logits(self, q: torch.Tensor) -> torch.Tensor | None:
        """Relative-position logits (N*groups, N_h, L, L) of the queries, or None without relative positions."""
        return None

    @staticmethod
    def _position_logits(q: torch.Tensor, table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """(q / sqrt(d_k/N_h)) . table[index[i, j]] for every query i and key j: the authors' relative logits
        (their ``relative_logits_1d`` + ``rel_to_abs``), laid out by an index instead of pads and reshapes."""
        embeddings = table[index]  # (L, L, d_k/N_h)
        return torch.einsum("bhld,lmd->bhlm", q, embeddings) * q.shape[-1] ** -0.5  # (B, N_h, L, L)

    def use_fused(self, device: torch.device) -> bool:
        """Fused SDPA path unless configured. ``None`` picks it on CUDA and, on CPU, for TSA only: over 150
        frames it is far faster and leaner there, while for SSA's 25 joints the masked SDPA falls back to a
        math kernel that is no faster than the explicit path (benchmarks/README.md)."""
        if self.fused is not None:
            return self.fused
        return device.type == "cuda" or self.token_axis == "T"

    def attention(
        self, x: torch.Tensor, return_weights: bool = False, keep: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attention branch on (N, C, T, V): returns (N, d_v, T', V) after the output projection and the
        weights (N*groups, N_h, L, L) when asked. ``keep`` overrides the sampled DropAttention mask."""
        h = joint_batch_norm_channels_last(self.data_bn, x)  # (N, T, V, C)
        qkv = self._project(h)  # (N, T', V, 2*d_k + d_v)
        n, tt, vv, _ = qkv.shape
        q, k, v = torch.split(qkv, [self.d_k, self.d_k, self.d_v], dim=-1)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)  # (N*groups, N_h, L, d_h)
        if keep is None:
            keep = self.drop_attention.sample(q.shape[0], self.heads, q.shape[2], q.device)
        fused = self.use_fused(x.device) and not return_weights
        bias = self._relative_logits(q)  # (N*groups, N_h, L, L) or None
        o, weights = attend_in_chunks(q, k, v, keep, fused, return_weights, bias=bias)  # (N*groups, N_h, L, d_h)
        attn_out = self._convs()[1]
        z = F.linear(self._merge(o, n, tt, vv), attn_out.weight.flatten(1), attn_out.bias)  # (N, T', V, d_v)
        return z.permute(0, 3, 1, 2), weights  # (N, d_v, T', V), channels innermost in memory


class SpatialSelfAttention(_SelfAttention):
    """SSA unit: per-frame multi-head self-attention among the joints, y = ReLU(BN(SSA(x) [+ x])).

    The inner skip is used only when C_in == C_out (as in the authors' code). Weights: (N*T, N_h, V, V).
    With ``relative`` (the authors' option, off in the paper's configurations) the logits gain
    q . key_rel[(i, j)]: one learned embedding per ordered pair of different joints (V^2 - V rows) and one,
    ``key_rel_diagonal``, shared by the diagonal, so SSA knows which joint is which.
    """

    token_axis = "V"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        d_k: int,
        heads: int,
        num_joints: int,
        drop_attention: float = 0.5,
        fused: bool | None = None,
        relative: bool = False,
    ) -> None:
        super().__init__(in_channels, d_k, out_channels, heads, num_joints, 1, drop_attention, fused)
        self.relative = relative
        if relative:  # the authors' keys: attention_conv.key_rel, attention_conv.key_rel_diagonal
            pairs = num_joints * num_joints - num_joints
            self.attention_conv.key_rel = nn.Parameter(torch.randn(pairs, d_k // heads))
            self.attention_conv.key_rel_diagonal = nn.Parameter(torch.randn(1, d_k // heads))
        self.skip = in_channels == out_channels
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def _relative_logits(self, q: torch.Tensor) -> torch.Tensor | None:
        """Joint-pair logits (N*T, N_h, V, V): pair (i, j != i) uses row i*(V-1) + j - [j > i] of key_rel (the
        order of the authors' ``rel_to_abs``), the diagonal key_rel_diagonal."""
        if not self.relative:
            return None
        v = q.shape[2]
        table = torch.cat([self.attention_conv.key_rel, self.attention_conv.key_rel_diagonal])  # (V^2 - V + 1, d)
        if table.shape[0] != v * v - v + 1:
            raise ValueError(f"SpatialSelfAttention: key_rel has {table.shape[0] - 1} pairs, the input {v} joints")
        i, j = torch.arange(v, device=q.device)[:, None], torch.arange(v, device=q.device)[None, :]
        index = torch.where(i == j, v * v - v, i * (v - 1) + j - (j > i).long())  # (V, V)
        return self._position_logits(q, table, index)

    def forward(
        self, x: torch.Tensor, return_weights: bool = False, keep: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N, C_in, T, V) -> ((N, C_out, T, V), weights (N*T, N_h, V, V) or None)."""
        z, weights = self.attention(x, return_weights, keep)
        z = x + z if self.skip else z.contiguous()  # (N, C_out, T, V), contiguous for the TCN after
        return self.relu(self.bn(z)), weights


class TemporalSelfAttention(_SelfAttention):
    """TSA unit: per-joint multi-head self-attention among frames, strided by the qkv conv (stride s along T).

    y = ReLU(BN(TSA(x) + r)), r = x or a stride-s 1x1 TCN. The qkv conv's temporal kernel is ``qkv_kernel``:
    s (a window of s frames per step; the authors' rule for an odd joint count) or 1 (every s-th frame; their
    rule for an even one). Any T works: with the window, time is zero-padded (after the input BN) to a
    multiple of the stride, so T' = ceil(T / s) like the strided TCN and residuals; for T divisible by s
    nothing is padded and the result equals the authors'. Weights: (N*V, N_h, T', T').

    With ``relative_frames`` F (the authors' ``relative`` option, off in the paper's configurations) the logits
    gain q . key_rel[j - i + F - 1]: one learned embedding per frame offset (2F - 1 rows), so TSA knows frame
    order. The authors fix F per width for T = 300; here F is the layer's frames for the configured window, and
    offsets beyond +-(F - 1) share the outermost rows, so any length runs (equal to the authors' at L = F).
    """

    token_axis = "T"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        d_k: int,
        heads: int,
        num_joints: int,
        stride: int = 1,
        drop_attention: float = 0.5,
        fused: bool | None = None,
        qkv_kernel: int | None = None,
        relative_frames: int | None = None,
    ) -> None:
        qkv_kernel = stride if qkv_kernel is None else qkv_kernel
        if qkv_kernel not in (1, stride):
            raise ValueError(f"TemporalSelfAttention qkv_kernel: expected 1 or the stride {stride}, got {qkv_kernel}")
        super().__init__(
            in_channels, d_k, out_channels, heads, num_joints, stride, drop_attention, fused, qkv_kernel
        )
        if relative_frames is not None:
            if not isinstance(relative_frames, int) or relative_frames < 1:
                raise ValueError(
                    f"TemporalSelfAttention relative_frames: expected a positive int, got {relative_frames!r}"
                )
            self.key_rel = nn.Parameter(torch.randn(2 * relative_frames - 1, d_k // heads))  # (2F - 1, d_k/N_h)
        self.relative_frames = relative_frames
        if in_channels == out_channels and stride == 1:
            self.down: nn.Module = nn.Identity()
        else:
            self.down = UnitTCN(in_channels, out_channels, kernel_size=1, stride=stride)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def _project(self, h: torch.Tensor) -> torch.Tensor:
        """Strided qkv over time on (N, T, V, C): a (1, 1) kernel takes every s-th frame; a (1, s) kernel is
        applied along T as one GEMM over the s frames of each step -> (N, ceil(T/s), V, 2*d_k + d_v)."""
        s = self.stride
        if s == 1:
            return super()._project(h)
        if self.qkv_conv.kernel_size[1] == 1:
            return super()._project(h[:, ::s])  # (N, ceil(T/s), V, C): frames 0, s, 2s, ...
        n, t, v, c = h.shape
        if t % s:
            h = F.pad(h, (0, 0, 0, 0, 0, s - t % s))  # (N, T + pad, V, C): zeros after the input BN
        h = h.unflatten(1, (-1, s)).transpose(2, 3).reshape(n, -1, v, s * c)  # (N, T', V, s*C): tap-major
        w = self.qkv_conv.weight.view(self.qkv_conv.out_channels, c, s).transpose(1, 2)  # (C_qkv, s, C_in)
        return F.linear(h, w.reshape(w.shape[0], s * c), self.qkv_conv.bias)

    def _relative_logits(self, q: torch.Tensor) -> torch.Tensor | None:
        """Frame-offset logits (N*V, N_h, T', T'): query frame i, key frame j use key_rel row j - i + F - 1
        (offsets clipped to +-(F - 1)), what the authors' ``rel_to_abs`` lays out."""
        if self.relative_frames is None:
            return None
        f, length = self.relative_frames, q.shape[2]
        steps = torch.arange(length, device=q.device)
        index = (steps[None, :] - steps[:, None]).clamp(-(f - 1), f - 1) + f - 1  # (T', T')
        return self._position_logits(q, self.key_rel, index)

    def forward(
        self, x: torch.Tensor, return_weights: bool = False, keep: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(N, C_in, T, V) -> ((N, C_out, ceil(T/s), V), weights (N*V, N_h, T', T') or None)."""
        z, weights = self.attention(x, return_weights, keep)
        return self.relu(self.bn(self.down(x) + z)), weights  # residual first: contiguous sum
