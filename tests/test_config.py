"""ModelConfig: presets, validation messages naming the field, plain-dict round trip."""

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


@pytest.mark.parametrize("preset", ["paper", "small"])
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
    ],
)
def test_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=field if field != "heads" else "N_h"):
        ModelConfig(**{**ModelConfig.paper("spatial").to_dict(), field: value})


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match="layers"):
        ModelConfig.from_dict({"stream": "spatial", "layers": 10})
