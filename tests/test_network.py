"""Stream networks: every preset builds, runs forward and backward, every parameter gets a gradient;
attention maps have the documented shapes; any T works; parameter counts equal the authors'."""

from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F

from sttr.models import ModelConfig, build_model, count_parameters, paper_parameter_table

PRESETS = [
    (preset, stream, bones)
    for preset in ("paper", "small")
    for stream in ("spatial", "temporal", "stgcn")
    for bones in (False, True)
]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("preset, stream, bones", PRESETS)
def test_preset_forward_backward_every_parameter_gets_a_gradient(preset, stream, bones):
    torch.manual_seed(0)
    cfg = ModelConfig.preset(preset, stream=stream, bones=bones, num_classes=7)
    model = build_model(cfg).train()
    x = torch.randn(2, cfg.in_channels, 8, 25, 2)
    logits = model(x)
    assert logits.shape == (2, 7) and torch.isfinite(logits).all()
    F.cross_entropy(logits, torch.tensor([1, 5])).backward()
    for name, p in model.named_parameters():
        if name.startswith("person_bn."):  # unused in forward, as in the authors' code
            assert p.grad is None
            continue
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("stream", ["spatial", "temporal", "stgcn"])
@pytest.mark.parametrize("frames", [12, 9, 5])
def test_attention_maps_shapes_and_any_length(stream, frames):
    torch.manual_seed(0)
    cfg = ModelConfig.small(stream, num_classes=5)
    model = build_model(cfg).eval()
    x = torch.randn(3, 3, frames, 25, 2)
    with torch.no_grad():
        logits, maps = model(x, return_attention=True)
        plain = model(x)
    assert logits.shape == (3, 5)
    torch.testing.assert_close(logits, plain, atol=1e-4, rtol=1e-4)  # explicit (maps) vs fused path
    if stream == "stgcn":
        assert maps == {}
        return
    t1 = -(-frames // 2)  # after the stride-2 unit 3
    t2 = -(-t1 // 2)  # after the stride-2 unit 6
    expected_t = {3: t1, 4: t1, 5: t1, 6: t2, 7: t2, 8: t2}
    layer = "gcn1" if stream == "spatial" else "tcn1"
    assert sorted(maps) == sorted(f"backbone.{i}.{layer}" for i in range(3, 9))
    for i, t in expected_t.items():
        w = maps[f"backbone.{i}.{layer}"]
        if stream == "spatial":
            frames_in = {3: frames, 6: t1}.get(i, t)  # SSA runs before its unit's strided TCN
            assert w.shape == (3 * 2, frames_in, 8, 25, 25)
        else:
            assert w.shape == (3 * 2, 25, 8, t, t)
        torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:-1]))


def test_train_mode_attention_with_drop_attention_is_finite_for_short_sequences():
    """Few frames: DropAttention often keeps no key of a row; the authors give zeros there, never NaN."""
    torch.manual_seed(0)
    for fused in (True, False):
        model = build_model(ModelConfig.small("temporal", fused_attention=fused)).train()
        for _ in range(5):
            logits = model(torch.randn(2, 3, 6, 25, 2))
            assert torch.isfinite(logits).all()


def test_input_shape_is_checked():
    model = build_model(ModelConfig.small("spatial"))
    with pytest.raises(ValueError, match="V=25"):
        model(torch.randn(1, 3, 8, 24, 2))


def test_other_joint_and_person_counts():
    cfg = ModelConfig.small("temporal", num_joints=18, num_persons=1, num_classes=4)
    model = build_model(cfg)
    assert model(torch.randn(2, 3, 8, 18, 1)).shape == (2, 4)


def test_paper_parameter_counts_equal_the_authors():
    table = paper_parameter_table()
    assert len(table) == 12
    assert (table.parameters == table.authors).all(), table
    model = build_model(ModelConfig.paper("spatial"))
    assert count_parameters(model) == 3_075_338


def test_model_pickles_and_state_dict_round_trips():
    cfg = ModelConfig.small("spatial")
    torch.manual_seed(0)
    a = build_model(cfg).eval()
    b = pickle.loads(pickle.dumps(a))
    c = build_model(ModelConfig.from_dict(cfg.to_dict())).eval()
    c.load_state_dict(a.state_dict(), strict=True)
    x = torch.randn(1, 3, 8, 25, 2)
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))
        torch.testing.assert_close(a(x), c(x))
