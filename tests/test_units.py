"""GCN, adaptive GCN and TCN units: the GCNs equal their definitions; dropout; the joint BN in both
layouts; parameter counts of Table 1b."""

from __future__ import annotations

import copy

import pytest
import torch

from sttr.models import ModelConfig, build_model, table_1b
from sttr.models.units import (
    UniformDropout,
    UnitAGCN,
    UnitGCN,
    UnitTCN,
    joint_batch_norm,
    joint_batch_norm_channels_last,
)
from sttr.skeleton import KINETICS, adjacency_subsets


pytestmark = pytest.mark.usefixtures("one_thread")


def _reference_gcn(unit: UnitGCN, x: torch.Tensor) -> torch.Tensor:
    """ST-GCN's definition, written independently: h_k = x (A_k * M_k) over joints,
    y = ReLU(BN(sum_k Conv1x1_k(h_k)))."""
    a = unit.A * unit.mask
    y = sum(conv(torch.einsum("nctv,vw->nctw", x, a_k)) for conv, a_k in zip(unit.conv_list, a))
    return unit.relu(unit.bn(y))


@pytest.mark.parametrize("c_in, c_out", [(3, 16), (19, 32), (32, 32), (64, 32)])
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_gcn_equals_the_reference_definition(c_in, c_out, train):
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


def test_uniform_dropout_has_the_law_of_nn_dropout():
    torch.manual_seed(0)
    drop = UniformDropout(0.3)
    x = torch.full((1000, 1000), 2.0, requires_grad=True)
    y = drop(x)
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.7) < 3e-3  # 1e6 Bernoulli(0.7) draws: std 4.6e-4
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 2.0 / 0.7))
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.7)  # gradient = the same mask
    assert torch.equal(drop.eval()(x), x) and torch.equal(UniformDropout(0.0)(x), x)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        UniformDropout(1.0)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_joint_batch_norm_channels_last_equals_the_authors_layout(momentum):
    """Same output and gradients as ``joint_batch_norm``; running statistics and the batch counter updated
    exactly as nn.BatchNorm1d does; eval mode uses them."""
    torch.manual_seed(0)
    c, v = 5, 7
    ref = torch.nn.BatchNorm1d(c * v, momentum=momentum).double()
    with torch.no_grad():
        ref.weight.uniform_(0.5, 1.5), ref.bias.uniform_(-1, 1)
    ours = copy.deepcopy(ref)
    for step in range(3):
        x = torch.randn(4, c, 6, v, dtype=torch.float64) * (step + 1) + step
        y_ref = joint_batch_norm(ref, x)  # (N, C, T, V)
        y = joint_batch_norm_channels_last(ours, x)  # (N, T, V, C)
        torch.testing.assert_close(y.permute(0, 3, 1, 2), y_ref)
        g = torch.randn_like(y_ref)
        y_ref.backward(g), y.permute(0, 3, 1, 2).backward(g)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(ours, name), getattr(ref, name))
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad)
    torch.testing.assert_close(ours.bias.grad, ref.bias.grad)
    ref.eval(), ours.eval()
    x = torch.randn(2, c, 3, v, dtype=torch.float64)
    torch.testing.assert_close(joint_batch_norm_channels_last(ours, x).permute(0, 3, 1, 2), joint_batch_norm(ref, x))


def test_table_1b_counts_equal_the_authors():
    table = table_1b()
    assert list(table.module) == ["GCN", "SSA", "TCN", "TSA"]
    assert (table.parameters == table.authors).all()
    assert list(table.authors) == [199_763, 177_792, 590_592, 177_792]
    # the paper prints these x10^4 truncated or rounded (19.97 -> 19.9, 17.78 -> 17.8): within 0.1
    assert ((table.parameters / 1e4 - table.paper_x1e4).abs() < 0.1).all()


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_joint_batch_norm_channels_last_without_running_statistics(train):
    """``track_running_stats=False``: batch statistics in both modes, as nn.BatchNorm1d."""
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm1d(4 * 5, track_running_stats=False).double().train(train)
    x = torch.randn(3, 4, 6, 5, dtype=torch.float64)
    torch.testing.assert_close(joint_batch_norm_channels_last(bn, x).permute(0, 3, 1, 2), joint_batch_norm(bn, x))


def _reference_agcn(unit: UnitAGCN, x: torch.Tensor) -> torch.Tensor:
    """2s-AGCN's Eq. 3 written independently: C_k[v, w] = softmax over v of sum_{c,t} theta_k[c,t,v] phi_k[c,t,w]
    / (C' T); y = ReLU(BN(sum_k W_k(x (A_k + B_k + C_k))) + down(x))."""
    y = 0
    for k in range(3):
        theta, phi = unit.conv_a[k](x), unit.conv_b[k](x)  # (N, C', T, V)
        c_k = torch.softmax(torch.einsum("nctv,nctw->nvw", theta, phi) / (theta.shape[1] * theta.shape[2]), dim=1)
        y = y + unit.conv_d[k](torch.einsum("nctv,nvw->nctw", x, unit.A[k] + unit.PA[k] + c_k))
    return unit.relu(unit.bn(y) + unit.down(x))


@pytest.mark.parametrize("c_in, c_out", [(3, 16), (19, 32), (32, 32)])
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_agcn_equals_the_2s_agcn_definition(c_in, c_out, train):
    torch.manual_seed(0)
    unit = UnitAGCN(c_in, c_out, torch.from_numpy(KINETICS.adjacency())).double().train(train)
    with torch.no_grad():
        unit.PA.uniform_(-0.1, 0.1)
        unit.bn.weight.uniform_(0.5, 1.5)  # away from the 1e-6 init, so that the sum term counts
    x = torch.randn(2, c_in, 6, 18, dtype=torch.float64)
    torch.testing.assert_close(unit(x), _reference_agcn(unit, x))


def test_agcn_keys_shapes_and_parts_are_the_authors():
    """unit_agcn's keys (no mask; the fixed graph is not saved); C' = C_out // 4; ``down`` only when C_in != C_out;
    the data-dependent graphs are column-stochastic (softmax over the joint that sends)."""
    a = torch.from_numpy(adjacency_subsets())
    unit = UnitAGCN(3, 16, a)
    keys = {k: tuple(v.shape) for k, v in unit.state_dict().items() if not k.startswith(("bn.", "down.1."))}
    expected = {"PA": (3, 25, 25), "down.0.weight": (16, 3, 1, 1), "down.0.bias": (16,)}
    for i in range(3):
        for name, c in (("conv_a", 4), ("conv_b", 4), ("conv_d", 16)):
            expected |= {f"{name}.{i}.weight": (c, 3, 1, 1), f"{name}.{i}.bias": (c,)}
    assert keys == expected
    assert not unit.A.requires_grad and "A" not in unit.state_dict() and "mask" not in unit.state_dict()
    torch.testing.assert_close(unit.PA.detach(), torch.full((3, 25, 25), 1e-6))
    same = UnitAGCN(16, 16, a)
    assert isinstance(same.down, torch.nn.Identity)
    c = same.graphs(torch.randn(2, 16, 5, 25))
    assert c.shape == (2, 3, 25, 25)
    torch.testing.assert_close(c.sum(dim=2), torch.ones(2, 3, 25))


@pytest.mark.parametrize("stream", ["spatial", "temporal"])
def test_sync_bn_conversion_reaches_every_batch_norm_and_computes_the_same(stream):
    """``train.sync_bn``: after ``convert_sync_batchnorm`` every BatchNorm is a SyncBatchNorm that the forward
    pass calls (the SSA/TSA input BN included), and the model computes what it did (train and eval mode,
    running statistics), with the same state-dict keys. Outside a process group SyncBatchNorm is a plain BN."""
    torch.manual_seed(0)
    cfg = ModelConfig.small(stream, num_classes=5, dropout=0.0, drop_attention=0.0)
    model = build_model(cfg).double()
    converted = torch.nn.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(model))
    bns = {name: m for name, m in converted.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    assert all(isinstance(m, torch.nn.SyncBatchNorm) for m in bns.values())
    assert any(name.endswith("data_bn") and name != "data_bn" for name in bns)  # the attention units' input BN
    called: set[str] = set()
    for name, m in bns.items():
        m.register_forward_hook(lambda mod, args, out, name=name: called.add(name))
    assert list(converted.state_dict()) == list(model.state_dict())
    x = torch.randn(3, 3, 8, 25, 2, dtype=torch.float64)
    for train in (True, False):
        model.train(train), converted.train(train)
        torch.testing.assert_close(converted(x), model(x))
    unused = {n for n in bns if n.startswith("person_bn")}  # the authors' unused BN
    assert called == set(bns) - unused
    for (name, a), b in zip(model.state_dict().items(), converted.state_dict().values()):
        torch.testing.assert_close(b, a, msg=name)
