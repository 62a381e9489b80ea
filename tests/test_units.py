"""GCN and TCN units: the fused GCN equals the authors' per-subset form; parameter counts of Table 1b."""

from __future__ import annotations

import pytest
import torch

from sttr.models import table_1b
from sttr.models.units import UnitGCN, UnitTCN, joint_batch_norm
from sttr.skeleton import adjacency_subsets


pytestmark = pytest.mark.usefixtures("one_thread")


def _reference_gcn(unit: UnitGCN, x: torch.Tensor) -> torch.Tensor:
    """The authors' loop: per subset, (N*C*T, V) @ (A_k * M_k), then that subset's conv; summed."""
    n, c, t, v = x.shape
    a = unit.A * unit.mask
    y = sum(unit.conv_list[k](x.reshape(-1, v).mm(a[k]).view(n, c, t, v)) for k in range(a.shape[0]))
    return unit.relu(unit.bn(y))


@pytest.mark.parametrize("c_in, c_out", [(3, 16), (19, 32), (32, 32), (64, 32)])
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_gcn_one_conv_one_einsum_equals_per_subset_form(c_in, c_out, train):
    torch.manual_seed(0)
    unit = UnitGCN(c_in, c_out, torch.from_numpy(adjacency_subsets())).double().train(train)
    with torch.no_grad():
        unit.mask.uniform_(0.5, 1.5)
    x = torch.randn(2, c_in, 6, 25, dtype=torch.float64)
    torch.testing.assert_close(unit(x), _reference_gcn(unit, x))


def test_gcn_keys_are_the_authors():
    unit = UnitGCN(3, 16, torch.from_numpy(adjacency_subsets()))
    assert sorted(k for k in unit.state_dict() if "bn" not in k) == sorted(
        ["mask"] + [f"conv_list.{k}.{p}" for k in range(3) for p in ("weight", "bias")]
    )
    assert not unit.A.requires_grad and "A" not in unit.state_dict()


@pytest.mark.parametrize("frames, stride", [(12, 1), (12, 2), (7, 2), (1, 2)])
def test_tcn_output_length_is_ceil_t_over_stride(frames, stride):
    for kernel in (9, 1):
        y = UnitTCN(4, 8, kernel_size=kernel, stride=stride, dropout=0.5)(torch.randn(2, 4, frames, 25))
        assert y.shape == (2, 8, -(-frames // stride), 25)


def test_joint_batch_norm_feature_order_is_c_times_v_plus_v():
    bn = torch.nn.BatchNorm1d(2 * 3).eval()
    with torch.no_grad():
        bn.bias.copy_(torch.arange(6.0))
    y = joint_batch_norm(bn, torch.zeros(1, 2, 4, 3))  # (N, C, T, V)
    torch.testing.assert_close(y[0, :, 0, :], torch.arange(6.0).view(2, 3))


def test_table_1b_counts_equal_the_authors():
    table = table_1b()
    assert list(table.module) == ["GCN", "SSA", "TCN", "TSA"]
    assert (table.parameters == table.authors).all()
    assert list(table.authors) == [199_763, 177_792, 590_592, 177_792]
    # the paper prints these x10^4 truncated or rounded (19.97 -> 19.9, 17.78 -> 17.8): within 0.1
    assert ((table.parameters / 1e4 - table.paper_x1e4).abs() < 0.1).all()
