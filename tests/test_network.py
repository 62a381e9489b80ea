"""Stream networks: every preset builds, runs forward and backward, every parameter gets a gradient;
attention maps have the documented shapes; any T works; the graph follows the layout; parameter counts
equal the authors' (paper presets and released configurations)."""

from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F

from sttr.models import (
    ModelConfig,
    UnitAGCN,
    UnitGCN,
    build_model,
    count_parameters,
    paper_parameter_table,
    released_parameter_table,
)
from sttr.skeleton import KINETICS, NTU

PRESETS = [
    (preset, stream, bones)
    for preset in ("paper", "small")
    for stream in ("spatial", "temporal", "stgcn")
    for bones in (False, True)
]


pytestmark = pytest.mark.usefixtures("one_thread")


def _every_parameter_gets_a_gradient(cfg: ModelConfig) -> None:
    torch.manual_seed(0)
    model = build_model(cfg).train()
    x = torch.randn(2, cfg.in_channels, 8, cfg.num_joints, 2)
    logits = model(x)
    assert logits.shape == (2, 7) and torch.isfinite(logits).all()
    F.cross_entropy(logits, torch.tensor([1, 5])).backward()
    for name, p in model.named_parameters():
        if name.startswith("person_bn."):  # unused in forward, as in the authors' code
            assert p.grad is None
            continue
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if ".conv_a." in name and name.endswith(".bias"):
            # theta_k's bias adds the same logit to every v of a column of C_k: the softmax over v ignores it
            assert p.grad.abs().max() < 1e-6, name
            continue
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("preset, stream, bones", PRESETS)
def test_preset_forward_backward_every_parameter_gets_a_gradient(preset, stream, bones):
    _every_parameter_gets_a_gradient(ModelConfig.preset(preset, stream=stream, bones=bones, num_classes=7))


RELEASED_KINDS = [
    ("ntu60", "temporal-agcn", False), ("ntu60", "temporal-agcn", True), ("kinetics", "spatial", False),
    ("kinetics", "temporal", True), ("kinetics", "temporal-agcn", False),
]  # fmt: skip


@pytest.mark.parametrize("dataset, stream, bones", RELEASED_KINDS)
def test_released_presets_forward_backward_every_parameter_gets_a_gradient(dataset, stream, bones):
    _every_parameter_gets_a_gradient(ModelConfig.released(dataset, stream, bones=bones, num_classes=7))


def test_kinetics_stgcn_forward_backward_every_parameter_gets_a_gradient():
    _every_parameter_gets_a_gradient(ModelConfig.kinetics("stgcn", num_classes=7))


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


def test_graph_follows_the_layout_and_other_person_counts():
    """The GCNs use the adjacency of the config's layout (no fallback for other joint counts)."""
    cfg = ModelConfig.small("temporal", graph="kinetics", num_persons=1, num_classes=4)
    model = build_model(cfg)
    assert model(torch.randn(2, 3, 8, 18, 1)).shape == (2, 4)
    gcns = [m for m in model.modules() if isinstance(m, UnitGCN)]
    assert len(gcns) == 10
    for gcn in gcns:
        torch.testing.assert_close(gcn.A, torch.from_numpy(KINETICS.adjacency()))
    ntu = build_model(ModelConfig.small("stgcn"))
    torch.testing.assert_close(ntu.backbone[4].gcn1.A, torch.from_numpy(NTU.adjacency()))
    with pytest.raises(ValueError, match="num_joints"):
        ModelConfig.small("temporal", num_joints=20)


@pytest.mark.parametrize("graph, joints", [("ntu", 25), ("kinetics", 18)])
@pytest.mark.parametrize("frames", [12, 9, 5])
def test_adaptive_and_kinetics_t_tr_any_length(graph, joints, frames):
    """T-TR with adaptive GCNs on both graphs: any T; TSA maps (N*M, V, N_h, T', T') with T' = ceil(T/s)."""
    torch.manual_seed(0)
    model = build_model(ModelConfig.small("temporal", graph=graph, gcn="adaptive", num_classes=5)).eval()
    assert sum(isinstance(m, UnitAGCN) for m in model.modules()) == 10
    with torch.no_grad():
        logits, maps = model(torch.randn(2, 3, frames, joints, 2), return_attention=True)
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()
    t1 = -(-frames // 2)
    assert maps["backbone.3.tcn1"].shape == (2 * 2, joints, 8, t1, t1)
    assert maps["backbone.8.tcn1"].shape[-1] == -(-t1 // 2)


def test_paper_parameter_counts_equal_the_authors():
    table = paper_parameter_table()
    assert len(table) == 12
    assert (table.parameters == table.authors).all(), table
    model = build_model(ModelConfig.paper("spatial"))
    assert count_parameters(model) == 3_075_338


def test_released_parameter_counts_equal_the_authors():
    """All eighteen released configurations (NTU-60, NTU-120, Kinetics x S-TR, T-TR, T-TR-agcn x joints/bones)."""
    table = released_parameter_table()
    assert len(table) == 18 and not table.duplicated(["dataset", "stream", "bones"]).any()
    assert (table.parameters == table.authors).all(), table
    agcn = table[table.stream == "temporal-agcn"]
    assert (agcn.gcn == "adaptive").all() and set(table[table.dataset == "kinetics"].graph) == {"kinetics"}


def test_kinetics_stgcn_parameter_counts_equal_the_authors():
    """The ST-GCN baseline on Kinetics-skeleton (not released; counted with the authors' code)."""
    assert count_parameters(build_model(ModelConfig.kinetics("stgcn"))) == 3_179_296
    assert count_parameters(build_model(ModelConfig.kinetics("stgcn", bones=True))) == 12_455_736


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
