"""The SDPA group limit: attention over more groups than the kernel takes runs in chunks with the same result."""

from __future__ import annotations

import pytest
import torch

from sttr.models import attention
from sttr.models.attention import SpatialSelfAttention, TemporalSelfAttention, attend, attend_in_chunks

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "explicit"])
def test_attend_in_chunks_equals_attend(fused):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(11, 2, 6, 4, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(3))
    keep = torch.rand(11, 2, 1, 6, generator=g) < 0.5
    keep[4, 1] = False  # a (group, head) with every key dropped
    bias = torch.randn(11, 2, 6, 6, generator=g, dtype=torch.float64)  # relative-position logits per group
    whole, w_whole = attend(q, k, v, keep=keep, fused=fused, bias=bias)
    chunked, w_chunked = attend_in_chunks(q, k, v, keep=keep, fused=fused, max_groups=3, bias=bias)  # 3+3+3+2
    torch.testing.assert_close(chunked, whole)
    assert (w_whole is None) == (w_chunked is None) == fused
    if not fused:
        torch.testing.assert_close(w_chunked, w_whole)
    grads = torch.autograd.grad(chunked.square().sum(), (q, k, v))
    for a, b in zip(grads, torch.autograd.grad(whole.square().sum(), (q, k, v))):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("unit_class", [SpatialSelfAttention, TemporalSelfAttention])
def test_units_chunk_their_groups_above_the_limit(unit_class, monkeypatch):
    """SSA's N*T and TSA's N*V groups (here 2*9 = 18 and 2*25 = 50) through a limit of 7 groups per call."""
    torch.manual_seed(0)
    unit = unit_class(8, 8, d_k=4, heads=2, num_joints=25, fused=True).double().eval()
    x = torch.randn(2, 8, 9, 25, dtype=torch.float64)
    expected, _ = unit(x)
    calls = []
    real = attention.attend
    monkeypatch.setattr(attention, "SDPA_MAX_GROUPS", 7)
    monkeypatch.setattr(attention, "attend", lambda q, *a, **kw: calls.append(q.shape[0]) or real(q, *a, **kw))
    got, _ = unit(x)
    torch.testing.assert_close(got, expected)
    assert max(calls) <= 7 and sum(calls) == (18 if unit_class is SpatialSelfAttention else 50)
