"""The authors' relative positions (``relative: True``): the logits laid out as their pads and reshapes lay them,
any window, the fused and explicit paths, the presets and the config round trip. Their reference tensors are
checked in tests/test_official.py."""

from __future__ import annotations

import pytest
import torch

from sttr.models import ModelConfig, SpatialSelfAttention, TemporalSelfAttention, build_model
from sttr.models.attention import attend

pytestmark = pytest.mark.usefixtures("one_thread")


def _pad_reshape_1d(x: torch.Tensor) -> torch.Tensor:
    """(B, N_h, L, 2L - 1) relative -> (B, N_h, L, L) absolute, by section 8's recipe: pad a column, flatten,
    pad L - 1, reshape to (L + 1, 2L - 1), keep [:L, L - 1:]."""
    b, h, length, _ = x.shape
    x = torch.cat([x, x.new_zeros(b, h, length, 1)], dim=3).reshape(b, h, 2 * length * length)
    x = torch.cat([x, x.new_zeros(b, h, length - 1)], dim=2).reshape(b, h, length + 1, 2 * length - 1)
    return x[:, :, :length, length - 1 :]


def _pad_reshape_joints(pairs: torch.Tensor, diagonal: torch.Tensor) -> torch.Tensor:
    """(B, V^2 - V) pair logits (query-major, V - 1 per query) and (B, V) diagonal ones -> (B, V, V): rows of V,
    a zero row, the diagonal as a first column, reshaped to (V + 1, V) and cut to V rows."""
    b, v = diagonal.shape
    x = torch.cat([pairs.reshape(b, v - 1, v), pairs.new_zeros(b, 1, v)], dim=1)
    x = torch.cat([diagonal.reshape(b, v, 1), x], dim=2).reshape(b, v + 1, v)
    return x[:, :v, :]


def test_tsa_offsets_are_the_authors_layout():
    torch.manual_seed(0)
    frames = 7
    tsa = TemporalSelfAttention(16, 16, 8, heads=2, num_joints=3, relative_frames=frames).double()
    q = torch.randn(4, 2, frames, 4, dtype=torch.float64)  # (B, N_h, L, d_k/N_h)
    ours = tsa._relative_logits(q).double()
    rel = torch.einsum("bhld,md->bhlm", q * 4**-0.5, tsa.key_rel.double())  # (B, N_h, L, 2L - 1)
    torch.testing.assert_close(ours, _pad_reshape_1d(rel), atol=1e-12, rtol=0)
    # a shorter layer reads the centre of the table; a longer one clips the offsets to +-(F - 1)
    short = tsa._relative_logits(q[:, :, :5]).double()
    centre = torch.einsum("bhld,md->bhlm", q[:, :, :5] * 0.5, tsa.key_rel.double()[2:11])
    torch.testing.assert_close(short, _pad_reshape_1d(centre), atol=1e-12, rtol=0)
    long = tsa._relative_logits(torch.randn(1, 2, 20, 4, dtype=torch.float64)).detach()
    assert long.shape == (1, 2, 20, 20)
    torch.testing.assert_close(long[0, 0, 0, 6:], long[0, 0, 0, 6].expand(14))  # offsets 6.. share row 12


def test_ssa_pairs_are_the_authors_layout():
    torch.manual_seed(1)
    v = 5
    ssa = SpatialSelfAttention(8, 16, 8, heads=2, num_joints=v, relative=True).double()
    q = torch.randn(3, 2, v, 4, dtype=torch.float64)  # (N*T, N_h, V, d_k/N_h)
    ours = ssa._relative_logits(q).double()
    key_rel = ssa.attention_conv.key_rel.double()  # (V^2 - V, d)
    scaled = (q * 0.5).reshape(6, v, 4)
    pairs = torch.einsum("bmd,md->bm", scaled.repeat_interleave(v - 1, dim=1), key_rel)  # (B*N_h, V^2 - V)
    diagonal = scaled @ ssa.attention_conv.key_rel_diagonal.double()[0]  # (B*N_h, V)
    torch.testing.assert_close(ours.reshape(6, v, v), _pad_reshape_joints(pairs, diagonal), atol=1e-12, rtol=0)


@pytest.mark.parametrize("keep_some", [False, True])
def test_bias_is_added_alike_on_both_paths(keep_some):
    torch.manual_seed(2)
    q, k, v = (torch.randn(3, 2, 6, 4) for _ in range(3))
    bias = torch.randn(3, 2, 6, 6)
    keep = None
    if keep_some:
        keep = torch.rand(3, 2, 1, 6) < 0.5
        keep[0, 0] = False  # a row with every key dropped outputs zeros
    explicit, weights = attend(q, k, v, keep=keep, bias=bias)
    fused, _ = attend(q, k, v, keep=keep, fused=True, bias=bias)
    torch.testing.assert_close(fused, explicit, atol=1e-6, rtol=0)
    logits = q @ k.transpose(-1, -2) / 2 + bias
    if keep is not None:
        logits = logits.masked_fill(~keep, float("-inf"))
    expected = torch.nan_to_num(torch.softmax(logits, dim=-1))
    torch.testing.assert_close(weights, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("stream", ["spatial", "temporal"])
def test_relative_networks_run_any_window_and_train(stream):
    """A table sized for 16 frames runs 16, 13 and 40 frames, and key_rel receives a gradient."""
    torch.manual_seed(3)
    cfg = ModelConfig.small(stream, num_classes=5, widths=(8, 16, 16), heads=2, relative=True, relative_frames=16)
    model = build_model(cfg)
    rel = [n for n, _ in model.named_parameters() if "key_rel" in n]
    assert len(rel) == (12 if stream == "spatial" else 6)
    for frames in (16, 13, 40):
        logits = model(torch.randn(2, 3, frames, 25, 2))
        assert logits.shape == (2, 5) and torch.isfinite(logits).all()
    logits.sum().backward()
    grads = dict(model.named_parameters())
    assert all(grads[n].grad is not None and grads[n].grad.abs().sum() > 0 for n in rel)


def test_paper_presets_stay_without_relative_positions():
    for stream in ("spatial", "temporal"):
        for cfg in (ModelConfig.paper(stream), ModelConfig.small(stream), ModelConfig.kinetics(stream)):
            assert not cfg.relative
            assert not any("key_rel" in n for n in build_model(cfg).state_dict())
    cfg = ModelConfig.paper("temporal", relative=True)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    assert [cfg.tsa_frames(i) for i in range(3, 9)] == [150, 150, 150, 75, 75, 75]  # the authors' F at T = 300
    shapes = {n: tuple(p.shape) for n, p in build_model(cfg).named_parameters() if "key_rel" in n}
    assert shapes["backbone.3.tcn1.key_rel"] == (299, 4) and shapes["backbone.8.tcn1.key_rel"] == (149, 8)
    with pytest.raises(ValueError, match="ModelConfig.relative: expected true or false"):
        ModelConfig(relative="yes")
    with pytest.raises(ValueError, match="ModelConfig.relative_frames: expected a positive int"):
        ModelConfig(relative=True, relative_frames=0)
