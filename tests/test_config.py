"""ModelConfig: presets (paper, small, T-TR-agcn, Kinetics, released), validation messages naming the field,
plain-dict round trip, old dicts without the graph and GCN fields."""

from __future__ import annotations

import json

import pytest
import yaml

from sttr.models import ModelConfig


def test_paper_preset_values():
    cfg = ModelConfig.paper("spatial")
    assert cfg.widths == (64, 128, 256) and cfg.in_channels == 3 and cfg.num_classes == 60
    assert (cfg.heads, cfg.dk_factor, cfg.dv_factor, cfg.dropout, cfg.drop_attention) == (8, 0.25, 1.0, 0.5, 0.5)
    assert cfg.attention_from == 128 and cfg.num_persons == 2 and cfg.num_joints == 25
    assert (cfg.graph, cfg.gcn) == ("ntu", "static")
    bones = ModelConfig.paper("temporal", bones=True, num_classes=120)
    assert bones.widths == (128, 256, 512) and bones.in_channels == 6 and bones.num_classes == 120
    assert bones.attention_from == 256


def test_small_and_named_presets():
    assert ModelConfig.small("stgcn").widths == (16, 32, 64)
    assert ModelConfig.small("spatial", bones=True).in_channels == 6
    assert ModelConfig.preset("paper", stream="temporal", bones=True) == ModelConfig.paper("temporal", bones=True)
    assert ModelConfig.preset("small", stream="spatial", dropout=0.1).dropout == 0.1
    with pytest.raises(ValueError, match="preset"):
        ModelConfig.preset("huge")


def test_units_plan_follows_the_paper():
    units = ModelConfig.paper("spatial").units()
    assert [(i, o, s) for i, o, s, _ in units] == [
        (64, 64, 1), (64, 64, 1), (64, 64, 1), (67, 128, 2), (128, 128, 1), (128, 128, 1),
        (128, 256, 2), (256, 256, 1), (256, 256, 1),
    ]  # fmt: skip
    assert [a for *_, a in units] == [False] * 3 + [True] * 6
    assert not any(a for *_, a in ModelConfig.paper("stgcn").units())


def test_agcn_and_kinetics_presets():
    agcn = ModelConfig.temporal_agcn(bones=True, num_classes=120)
    assert agcn == ModelConfig.paper("temporal", bones=True, num_classes=120, gcn="adaptive")
    kin = ModelConfig.kinetics("spatial")
    assert (kin.graph, kin.num_joints, kin.num_classes, kin.in_channels, kin.widths) == (
        "kinetics", 18, 400, 3, (64, 128, 256)
    )
    assert (kin.dropout, kin.drop_attention, kin.gcn) == (0.0, 0.5, "static")
    kin_bones = ModelConfig.preset("kinetics", stream="temporal", bones=True, gcn="adaptive")
    assert (kin_bones.in_channels, kin_bones.widths, kin_bones.gcn) == (6, (128, 256, 512), "adaptive")
    assert ModelConfig.released("kinetics", "temporal-agcn", bones=True) == kin_bones
    assert ModelConfig.released("ntu120", "temporal-agcn") == ModelConfig.temporal_agcn(num_classes=120)
    assert ModelConfig.released("ntu60", "spatial", bones=True) == ModelConfig.paper("spatial", bones=True)
    with pytest.raises(ValueError, match="dataset 'ntu90'"):
        ModelConfig.released("ntu90", "spatial")
    with pytest.raises(ValueError, match="stream 'stgcn'"):
        ModelConfig.released("ntu60", "stgcn")


def test_tsa_qkv_kernel_follows_the_joint_count():
    """The authors' TSA: a (1, s) qkv window for an odd joint count (NTU), every s-th frame for an even one."""
    assert [ModelConfig.paper("temporal").qkv_kernel(s) for s in (1, 2)] == [1, 2]
    assert [ModelConfig.kinetics("temporal").qkv_kernel(s) for s in (1, 2)] == [1, 1]


def test_old_dicts_without_graph_and_gcn_load_as_ntu_static():
    old = ModelConfig.paper("temporal").to_dict()
    del old["graph"], old["gcn"]
    assert ModelConfig.from_dict(old) == ModelConfig.paper("temporal")
    old["num_joints"] = 18  # an 18-joint network of an old config had no graph: refused, naming the field
    with pytest.raises(ValueError, match=r"ModelConfig\.num_joints: graph 'ntu' has 25 joints, got 18"):
        ModelConfig.from_dict(old)


@pytest.mark.parametrize("preset", ["paper", "small", "kinetics"])
@pytest.mark.parametrize("stream", ["spatial", "temporal", "stgcn"])
def test_dict_round_trip_is_plain(preset, stream):
    cfg = ModelConfig.preset(preset, stream=stream, fused_attention=True)
    d = cfg.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert yaml.safe_load(yaml.safe_dump(d)) == d
    assert ModelConfig.from_dict(json.loads(json.dumps(d))) == cfg


@pytest.mark.parametrize(
    "field, value",
    [
        ("stream", "spatio"),
        ("widths", (64, 128)),
        ("in_channels", 0),
        ("num_classes", 1.5),
        ("heads", 7),
        ("dropout", 1.0),
        ("drop_attention", -0.1),
        ("dk_factor", 0.0),
        ("dv_factor", 0.5),
        ("attention_from", 0),
        ("fused_attention", "yes"),
        ("graph", "coco"),
        ("gcn", "agcn"),
        ("num_joints", 18),
    ],
)
def test_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=field if field != "heads" else "N_h"):
        ModelConfig(**{**ModelConfig.paper("spatial").to_dict(), field: value})


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match="layers"):
        ModelConfig.from_dict({"stream": "spatial", "layers": 10})
