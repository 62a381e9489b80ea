"""SSA, TSA and DropAttention: fused == explicit path (train and eval), fully dropped rows give zeros."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from sttr.models.attention import DropAttention, SpatialSelfAttention, TemporalSelfAttention, attend


pytestmark = pytest.mark.usefixtures("one_thread")


def _qkv(b=6, h=4, length=7, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(b, h, length, d, generator=g, dtype=torch.float64) for _ in range(3)]


def test_attend_paths_equal_without_mask():
    q, k, v = _qkv()
    fused, none = attend(q, k, v, fused=True)
    explicit, weights = attend(q, k, v, fused=False)
    assert none is None
    torch.testing.assert_close(fused, explicit)
    torch.testing.assert_close(weights.sum(-1), torch.ones(6, 4, 7, dtype=torch.float64))


def test_attend_paths_equal_with_keep_mask_and_dropped_rows_are_zero():
    q, k, v = _qkv()
    keep = torch.rand(6, 4, 1, 7, generator=torch.Generator().manual_seed(1)) < 0.5
    keep[0, 1] = False  # every key of this (group, head) dropped
    keep[2, 3] = False
    for t in (q, k, v):
        t.requires_grad_(True)
    fused, _ = attend(q, k, v, keep=keep, fused=True)
    explicit, weights = attend(q, k, v, keep=keep, fused=False)
    torch.testing.assert_close(fused, explicit)
    assert torch.isfinite(fused).all() and torch.isfinite(explicit).all()
    assert (fused[0, 1] == 0).all() and (explicit[0, 1] == 0).all() and (fused[2, 3] == 0).all()
    # dropped keys get no weight; kept weights renormalised to one
    assert (weights.masked_select(~keep.expand_as(weights)) == 0).all()
    rows = keep.any(-1).squeeze(-1)  # (B, N_h)
    torch.testing.assert_close(weights.sum(-1)[rows], torch.ones_like(weights.sum(-1)[rows]))
    grads_f = torch.autograd.grad(fused.sum(), (q, k, v))
    grads_e = torch.autograd.grad(explicit.sum(), (q, k, v))
    for gf, ge in zip(grads_f, grads_e):
        assert torch.isfinite(gf).all()
        torch.testing.assert_close(gf, ge)


def test_drop_attention_mask_shape_rate_and_modes():
    drop = DropAttention(0.5)
    torch.manual_seed(0)
    keep = drop.sample(400, 8, 25, torch.device("cpu"))
    assert keep.shape == (400, 8, 1, 25) and keep.dtype == torch.bool
    assert abs(keep.float().mean().item() - 0.5) < 0.01
    assert drop.eval().sample(4, 8, 25, torch.device("cpu")) is None
    assert DropAttention(0.0).sample(4, 8, 25, torch.device("cpu")) is None


def _units(fused):
    torch.manual_seed(0)
    ssa = SpatialSelfAttention(16, 16, d_k=8, heads=4, num_joints=25, drop_attention=0.5, fused=fused)
    torch.manual_seed(0)
    tsa = TemporalSelfAttention(16, 16, d_k=8, heads=4, num_joints=25, stride=2, drop_attention=0.5, fused=fused)
    return ssa.double(), tsa.double()


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_units_fused_equals_explicit(train):
    """Same parameters and the same DropAttention mask (same seed): both paths give the same outputs and
    gradients; train mode uses batch statistics and a sampled mask."""
    x = torch.randn(3, 16, 10, 25, dtype=torch.float64)
    outs = {}
    for fused in (True, False):
        for unit in _units(fused):
            unit.train(train)
            xi = x.clone().requires_grad_(True)
            torch.manual_seed(7)
            y, w = unit(xi)
            (g,) = torch.autograd.grad(y.square().sum(), xi)
            outs[(type(unit).__name__, fused)] = (y, g)
            assert w is None  # weights only when asked for (then on the explicit path)
    for name in ("SpatialSelfAttention", "TemporalSelfAttention"):
        yf, gf = outs[(name, True)]
        ye, ge = outs[(name, False)]
        torch.testing.assert_close(yf, ye)
        torch.testing.assert_close(gf, ge)


def test_weights_shapes_and_rows_sum_to_one():
    ssa, tsa = _units(True)
    x = torch.randn(2, 16, 10, 25, dtype=torch.float64)
    y, w = ssa.eval()(x, return_weights=True)
    assert y.shape == (2, 16, 10, 25) and w.shape == (2 * 10, 4, 25, 25)
    y, w = tsa.eval()(x, return_weights=True)
    assert y.shape == (2, 16, 5, 25) and w.shape == (2 * 25, 4, 5, 5)
    torch.testing.assert_close(w.sum(-1), torch.ones(50, 4, 5, dtype=torch.float64))


@pytest.mark.parametrize("frames", [1, 5, 7, 9])
def test_tsa_odd_lengths_pad_to_the_stride(frames):
    """Odd T at a strided TSA: time is padded to a multiple of the stride, T' = ceil(T / 2) like the residual."""
    _, tsa = _units(None)
    x = torch.randn(2, 16, frames, 25, dtype=torch.float64)
    y, w = tsa.eval()(x, return_weights=True)
    assert y.shape == (2, 16, (frames + 1) // 2, 25)
    assert w.shape[-1] == (frames + 1) // 2


def test_every_key_dropped_in_train_mode_gives_finite_output():
    """When DropAttention keeps no key (few frames: likely) the unit's output stays finite."""
    for fused in (True, False):
        ssa, tsa = _units(fused)
        for unit in (ssa, tsa):
            unit.train()
            x = torch.randn(2, 16, 4, 25, dtype=torch.float64)
            z, _ = unit.attention(x, keep=torch.zeros(1, 4, 1, 1, dtype=torch.bool))
            assert torch.isfinite(z).all()
            bias = unit._convs()[1].bias.view(1, -1, 1, 1)
            torch.testing.assert_close(z, bias.expand_as(z))  # zero attention -> only the out-proj bias


def test_default_path_per_device_and_contiguous_unit_outputs():
    """``fused=None``: explicit SSA and fused TSA on CPU; both units hand the TCN after them a contiguous
    (N, C, T, V) tensor although the attention branch computes with channels innermost."""
    ssa, tsa = _units(None)
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert (ssa.use_fused(cpu), tsa.use_fused(cpu)) == (False, True)
    assert ssa.use_fused(cuda) and tsa.use_fused(cuda)
    x = torch.randn(2, 16, 6, 25, dtype=torch.float64)
    no_skip = SpatialSelfAttention(16, 32, d_k=8, heads=4, num_joints=25).double()
    for unit in (ssa, tsa, no_skip):
        y, _ = unit.train()(x)
        assert y.is_contiguous()


@pytest.mark.parametrize("frames", [8, 7])
@pytest.mark.parametrize("qkv_kernel", [1, 2])
def test_tsa_strided_qkv_equals_the_authors_conv(frames, qkv_kernel):
    """The qkv projection of a stride-2 TSA equals the authors' Conv2d over time (kernel (1, k), stride (1, 2)
    on (N*V, C, 1, T)): k = 2 a window of two frames (25 joints; odd T padded), k = 1 every other frame (18)."""
    torch.manual_seed(0)
    tsa = TemporalSelfAttention(16, 16, d_k=8, heads=4, num_joints=18, stride=2, qkv_kernel=qkv_kernel).double()
    assert tsa.qkv_conv.weight.shape == (32, 16, 1, qkv_kernel)  # 2 * d_k + d_v
    h = torch.randn(2, frames, 18, 16, dtype=torch.float64)  # (N, T, V, C) after the input BN
    tokens = h.permute(0, 2, 3, 1).reshape(2 * 18, 16, 1, frames)  # (N*V, C, 1, T): the authors' layout
    if frames % qkv_kernel:
        tokens = F.pad(tokens, (0, 1))
    ref = F.conv2d(tokens, tsa.qkv_conv.weight, tsa.qkv_conv.bias, stride=(1, 2))  # (N*V, 32, 1, T')
    ref = ref.view(2, 18, 32, -1).permute(0, 3, 1, 2)  # (N, T', V, 32)
    torch.testing.assert_close(tsa._project(h), ref)
    y, w = tsa.eval()(torch.randn(2, 16, frames, 18, dtype=torch.float64), return_weights=True)
    assert y.shape == (2, 16, (frames + 1) // 2, 18) and w.shape[-1] == (frames + 1) // 2


def test_tsa_qkv_kernel_is_one_or_the_stride():
    with pytest.raises(ValueError, match="qkv_kernel: expected 1 or the stride 2, got 3"):
        TemporalSelfAttention(16, 16, d_k=8, heads=4, num_joints=18, stride=2, qkv_kernel=3)


def test_attention_measurements_on_constructed_maps():
    """Uniform maps are 0 from uniform and query-independent; maps that copy their sample's class differ
    between classes only."""
    import numpy as np

    from sttr.evaluation.attention import distance_matrix, map_statistics, sample_distances

    uniform = np.full((2, 4, 5, 5), 0.2)
    assert map_statistics(uniform) == {"from uniform": 0.0, "mean row from uniform": 0.0, "query dependence": 0.0}
    peaked = np.tile(np.eye(5), (2, 1, 1))  # each query attends to itself only: no column structure
    stats = map_statistics(peaked)
    assert stats["from uniform"] == pytest.approx(0.8) and stats["query dependence"] == pytest.approx(0.8)
    assert stats["mean row from uniform"] == pytest.approx(0.0)
    columns = np.tile(np.eye(5)[2], (5, 1))  # every query attends to key 2: pure column structure
    assert map_statistics(columns) == {"from uniform": 0.8, "mean row from uniform": 0.8, "query dependence": 0.0}
    maps = np.stack([np.tile(np.eye(5)[c], (5, 1)) for c in (0, 0, 1, 1)])  # (S, L, L): class c attends to key c
    d = sample_distances(distance_matrix(maps), np.array([0, 0, 1, 1]))
    assert d == {"within class": 0.0, "between classes": 1.0}


def test_distance_matrix_is_the_mean_row_total_variation_in_any_chunking():
    """The one-pass distances (``torch.cdist`` over column chunks, float64 sums) equal the mean total variation
    between corresponding rows, computed pair by pair; float32 maps keep 1e-12 of it."""
    import numpy as np

    from sttr.evaluation.attention import distance_matrix

    rng = np.random.default_rng(1)
    maps = rng.dirichlet(np.ones(7), size=(5, 3, 7)).astype(np.float32)  # (S, N_h, L, L)
    rows = maps.reshape(5, -1, 7).astype(np.float64)
    direct = np.array([[0.5 * np.abs(a - b).sum(axis=-1).mean() for b in rows] for a in rows])
    for chunk in (1, 5, 1 << 16):
        d = distance_matrix(maps, chunk=chunk)
        assert d.dtype == np.float64 and np.allclose(d, direct, rtol=0, atol=1e-12)
    assert np.all(np.diag(d) == 0) and np.allclose(d, d.T)


def test_class_contrast_against_its_permutation_null():
    """Maps that carry their class beat the label-permutation null; maps that differ by sample only do not."""
    import numpy as np

    from sttr.evaluation.attention import contrast_null, distance_matrix, median_pairs

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 6)
    keys = np.eye(8)[labels]  # (S, L): class c attends to key c
    carry = np.stack([np.tile(0.7 * k + 0.3 * rng.dirichlet(np.ones(8)), (8, 1)) for k in keys])  # (S, L, L)
    observed, null, p = contrast_null(distance_matrix(carry), labels, permutations=199)
    assert observed > 0.3 and abs(null) < 0.1 and p <= 0.01
    noise = np.stack([np.tile(rng.dirichlet(np.ones(8)), (8, 1)) for _ in labels])  # input-dependent, no class
    observed, null, p = contrast_null(distance_matrix(noise), labels, permutations=199)
    assert p > 0.05
    pairs = median_pairs(distance_matrix(carry), labels)
    i, j, d = pairs["within class"]
    assert labels[i] == labels[j] and labels[pairs["between classes"][0]] != labels[pairs["between classes"][1]]
    assert d < pairs["between classes"][2]
