"""load_official reproduces the authors' reference tensors (tests/data/*.pt: NTU S-TR, T-TR, ST-GCN;
tests/data/extended/*.pt: T-TR-agcn and Kinetics-skeleton; tests/data/relative/*.pt: S-TR and T-TR with the
authors' relative positions), loads every released configuration strictly and
refuses every state dict that does not describe one of our networks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from sttr.models import AUTHORS_RELEASED_PARAMETERS, ModelConfig, build_model
from sttr.models.network import AUTHORS_AGCN_GRAPH
from sttr.models.official import OfficialCheckpointError, infer_config, load_official
from sttr.models.units import UnitAGCN
from tests.references import as_made_on_cpu as _as_made_on_cpu

DATA = Path(__file__).parent / "data"
EXTENDED = DATA / "extended"
RELATIVE = DATA / "relative"
NAMES = [f"{s}_{k}" for s in ("spatial", "temporal", "stgcn") for k in ("joints", "bones")]
EXTENDED_NAMES = [
    "temporal_agcn_joints", "temporal_agcn_bones", "kinetics_spatial_joints", "kinetics_temporal_bones",
    "kinetics_temporal_agcn_joints", "kinetics_stgcn_joints",
]  # fmt: skip
RELATIVE_NAMES = ["spatial_relative_joints", "temporal_relative_joints"]
REFERENCES = (
    [(DATA, n) for n in NAMES] + [(EXTENDED, n) for n in EXTENDED_NAMES] + [(RELATIVE, n) for n in RELATIVE_NAMES]
)
ATOL = 1e-5


pytestmark = pytest.mark.usefixtures("one_thread")


def _load(folder: Path, name: str) -> dict:
    return torch.load(folder / f"{name}.pt", map_location="cpu", weights_only=True)


@pytest.fixture(scope="module", params=REFERENCES, ids=[n for _, n in REFERENCES])
def reference(request) -> tuple[str, dict, dict]:
    folder, name = request.param
    manifest = json.loads((folder / "manifest.json").read_text())[name]
    return name, _load(folder, name), manifest


def _train_step(ref: dict, fused: bool, dtype: torch.dtype):
    """Train-mode forward/backward with dropout and DropAttention off, as the reference was made."""
    model = load_official(ref["state_dict"], fused_attention=fused, dropout=0.0, drop_attention=0.0).to(dtype)
    _as_made_on_cpu(model)
    x = ref["input"].to(dtype)
    with torch.no_grad():
        logits_eval = model(x)
    model.train()
    logits_train = model(x)
    loss = F.cross_entropy(logits_train, ref["label"])
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    return model, logits_eval, logits_train, loss, grads


@pytest.mark.parametrize("fused", [False, True], ids=["explicit", "fused"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["fp32", "fp64"])
def test_matches_authors(reference, fused, dtype):
    """Logits (eval and train mode), loss, the three stored gradients and every gradient norm.

    The reference is within 2e-6 of float64 (manifest.json), so float64 is checked in full. In float32
    only logits and loss are: a few ReLU inputs of these fixtures lie within 1e-7 of zero (e.g. -5e-8
    in float64 in temporal_joints unit 3), and float32 rounding in another order of operations flips
    those kinks, which moves some gradients by ~1e-4.
    """
    name, ref, cfg = reference
    model, logits_eval, logits_train, loss, grads = _train_step(ref, fused, dtype)
    assert model.cfg.stream == cfg["stream"] and model.cfg.in_channels == cfg["in_channels"]
    assert list(model.cfg.widths) == cfg["layer_widths"] and model.cfg.num_classes == cfg["num_class"]
    assert model.cfg.graph == cfg.get("graph", "ntu") and model.cfg.num_joints == ref["input"].shape[3]
    assert model.cfg.gcn == ("adaptive" if cfg.get("agcn") else "static")
    assert model.cfg.relative == cfg.get("relative", False) and model.cfg.heads == cfg.get("heads", 8)
    assert sum(p.numel() for p in model.parameters()) == cfg["params"]
    torch.testing.assert_close(logits_eval.float(), ref["logits_eval"], atol=ATOL, rtol=0)
    torch.testing.assert_close(logits_train.float(), ref["logits_train"], atol=ATOL, rtol=0)
    torch.testing.assert_close(loss.float(), ref["loss_train"], atol=ATOL, rtol=0)
    assert set(ref["grad_norms"]) == {k for k, g in grads.items() if g is not None}
    if dtype == torch.float32:
        return
    for key, expected in ref["grads"].items():
        torch.testing.assert_close(grads[key].float(), expected, atol=ATOL, rtol=0, msg=key)
    for key, expected in ref["grad_norms"].items():
        got = grads[key].norm().item()
        assert abs(got - expected) <= ATOL, (key, got, expected)


def test_wrapped_and_prefixed_state_dicts_load(tmp_path):
    ref = torch.load(DATA / "spatial_joints.pt", map_location="cpu", weights_only=True)
    prefixed = {f"module.{k}": v for k, v in ref["state_dict"].items()}
    path = tmp_path / "ntu60_xsub_spatial.pt"
    torch.save({"model_state_dict": prefixed, "epoch": 3, "best_epoch_score": 0.5}, path)
    model = load_official(path)
    assert not model.training
    with torch.no_grad():
        torch.testing.assert_close(model(ref["input"]), ref["logits_eval"], atol=ATOL, rtol=0)
    assert load_official({"state_dict": ref["state_dict"]}).cfg.stream == "spatial"


def test_bad_keys_are_listed():
    sd = dict(torch.load(DATA / "temporal_joints.pt", map_location="cpu", weights_only=True)["state_dict"])
    del sd["backbone.5.tcn1.attn_out.bias"]
    sd["backbone.9.extra.weight"] = torch.zeros(1)
    sd["backbone.4.tcn1.attn_out.weight"] = torch.zeros(32, 32, 3, 1)
    with pytest.raises(OfficialCheckpointError) as err:
        load_official(sd)
    message = str(err.value)
    assert "backbone.5.tcn1.attn_out.bias" in message
    assert "backbone.9.extra.weight" in message
    assert "backbone.4.tcn1.attn_out.weight" in message
    with pytest.raises(OfficialCheckpointError, match="gcn0.conv_list.0.weight"):
        load_official({"fcn.weight": torch.zeros(10, 64, 1)})
    with pytest.raises(OfficialCheckpointError, match="state dict of tensors"):
        load_official({"model_state_dict": [1, 2]})


@pytest.mark.parametrize("key", json.loads((DATA / "paper_configs.json").read_text()).keys())
def test_paper_configs_load_strictly(key):
    """Every key and shape of the authors' twelve full configurations loads into our paper preset."""
    entry = json.loads((DATA / "paper_configs.json").read_text())[key]
    state = {k: torch.zeros(shape) for k, shape in entry["state"].items()}
    stream, kind, classes = key.split("_")
    cfg = ModelConfig.paper(stream, bones=kind == "bones", num_classes=int(classes))
    assert infer_config(state) == cfg
    ours = build_model(cfg).state_dict()
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(s) for k, s in entry["state"].items()}
    model = load_official(state)
    assert sum(p.numel() for p in model.parameters()) == entry["params"]


def test_adaptive_gcn_has_the_authors_fixed_graph():
    """load_official gives every adaptive GCN the fixed graph of the authors' GPU runs (1e-6); with it the
    CPU-made reference logits move by far more than the tolerance, so ``_as_made_on_cpu`` is what matches."""
    ref = _load(EXTENDED, "temporal_agcn_joints")
    model = load_official(ref["state_dict"])
    units = [m for m in model.modules() if isinstance(m, UnitAGCN)]
    assert len(units) == 10  # gcn0 and the nine units' gcn1
    for unit in units:
        torch.testing.assert_close(unit.A, torch.full((3, 25, 25), AUTHORS_AGCN_GRAPH))
    with torch.no_grad():
        assert (model(ref["input"]) - ref["logits_eval"]).abs().max() > 0.1
        _as_made_on_cpu(model)
        torch.testing.assert_close(model(ref["input"]), ref["logits_eval"], atol=ATOL, rtol=0)


def _state(name: str, folder: Path = EXTENDED) -> dict[str, torch.Tensor]:
    return dict(_load(folder, name)["state_dict"])


def test_unknown_joint_count_is_refused():
    sd = _state("spatial_joints", DATA)
    sd["gcn0.mask"] = torch.ones(3, 20, 20)
    with pytest.raises(OfficialCheckpointError, match=r"graph of 20 joints: expected 25 joints .* or 18 joints"):
        load_official(sd)


def test_missing_adaptive_gcn_keys_are_listed():
    sd = _state("temporal_agcn_joints")
    for key in ("gcn0.PA", "backbone.4.gcn1.conv_a.1.weight", "backbone.6.gcn1.down.1.running_var"):
        del sd[key]
    with pytest.raises(OfficialCheckpointError, match="adaptive GCN") as err:
        load_official(sd)
    for key in ("gcn0.PA", "backbone.4.gcn1.conv_a.1.weight", "backbone.6.gcn1.down.1.running_var"):
        assert key in str(err.value)


def test_mixed_static_and_adaptive_gcns_are_refused():
    """A paper GCN (mask, conv_list) where the authors' agcn network has an adaptive one."""
    sd = _state("kinetics_temporal_agcn_joints")
    unit = {k: v for k, v in _state("kinetics_temporal_bones").items() if k.startswith("backbone.5.gcn1.")}
    sd = {k: v for k, v in sd.items() if not k.startswith("backbone.5.gcn1.")} | unit
    with pytest.raises(OfficialCheckpointError, match=r"backbone\.5\.gcn1\.mask") as err:
        load_official(sd)
    assert "backbone.5.gcn1.PA" in str(err.value)


def test_channels_that_do_not_fit_the_input_bn_are_refused():
    """data_bn has M*V*C features: a joints (C=3) input BN under a joints+bones (C=6) stem does not fit."""
    sd = _state("spatial_bones", DATA)
    for key, value in _state("spatial_joints", DATA).items():
        if key.startswith("data_bn."):
            sd[key] = value
    expected = r"data_bn\.weight has 150 features, expected M\*V\*C = 2\*25\*6 = 300"
    with pytest.raises(OfficialCheckpointError, match=expected):
        load_official(sd)


def test_kinetics_tsa_with_an_ntu_qkv_kernel_is_refused():
    """With an even joint count the authors' TSA takes every s-th frame (qkv kernel 1): a (1, 2) kernel
    (their rule for 25 joints) does not fit an 18-joint network."""
    sd = _state("kinetics_temporal_bones")
    sd["backbone.3.tcn1.qkv_conv.weight"] = torch.zeros(48, 32, 1, 2)
    expected = r"backbone\.3\.tcn1\.qkv_conv\.weight: checkpoint \(48, 32, 1, 2\), model \(48, 32, 1, 1\)"
    with pytest.raises(OfficialCheckpointError, match=expected):
        load_official(sd)


# ------------------------------------------------ the authors' released configurations, from their structure


def _bn(prefix: str, n: int) -> dict[str, tuple[int, ...]]:
    stats = {f"{prefix}.{p}": (n,) for p in ("weight", "bias", "running_mean", "running_var")}
    return stats | {f"{prefix}.num_batches_tracked": ()}


def _conv(prefix: str, c_out: int, c_in: int, kernel: tuple[int, ...] = (1, 1)) -> dict[str, tuple[int, ...]]:
    return {f"{prefix}.weight": (c_out, c_in, *kernel), f"{prefix}.bias": (c_out,)}


def _unit2d(prefix: str, c_in: int, c_out: int, kernel: int) -> dict[str, tuple[int, ...]]:
    return _conv(f"{prefix}.conv", c_out, c_in, (kernel, 1)) | _bn(f"{prefix}.bn", c_out)


def _gcn(prefix: str, c_in: int, c_out: int, v: int, adaptive: bool) -> dict[str, tuple[int, ...]]:
    """Their unit_gcn (mask_learning) or unit_agcn (C' = C_out // 4; ``down`` when C_in != C_out)."""
    out = _bn(f"{prefix}.bn", c_out) | {f"{prefix}.{'PA' if adaptive else 'mask'}": (3, v, v)}
    for i in range(3):
        if adaptive:
            out |= _conv(f"{prefix}.conv_a.{i}", c_out // 4, c_in) | _conv(f"{prefix}.conv_b.{i}", c_out // 4, c_in)
            out |= _conv(f"{prefix}.conv_d.{i}", c_out, c_in)
        else:
            out |= _conv(f"{prefix}.conv_list.{i}", c_out, c_in)
    if adaptive and c_in != c_out:
        out |= _conv(f"{prefix}.down.0", c_out, c_in) | _bn(f"{prefix}.down.1", c_out)
    return out


def authors_state_shapes(stream: str, bones: bool, classes: int, v: int, adaptive: bool) -> dict[str, tuple[int, ...]]:
    """Key -> shape of the authors' Model as their configs build it (concat_original, use_data_bn, M=2,
    d_k = d_v / 4 = C_out / 4; double_channel with bones), written from their st_gcn.py, independently of ours."""
    c = 6 if bones else 3
    w0, w1, w2 = (128, 256, 512) if bones else (64, 128, 256)
    plan = [(w0, w0, 1)] * 3 + [(w0 + c, w1, 2)] + [(w1, w1, 1)] * 2 + [(w1, w2, 2)] + [(w2, w2, 1)] * 2
    out = _bn("data_bn", c * v * 2) | _gcn("gcn0", c, w0, v, adaptive) | _unit2d("tcn0", w0, w0, 9)
    for i, (c_in, c_out, s) in enumerate(plan):
        p, attention, d_k = f"backbone.{i}", c_out >= w1, c_out // 4
        if stream == "spatial" and attention:
            out |= _bn(f"{p}.gcn1.data_bn", c_in * v) | _bn(f"{p}.gcn1.bn", c_out)
            out |= _conv(f"{p}.gcn1.attention_conv.qkv_conv", 2 * d_k + c_out, c_in)
            out |= _conv(f"{p}.gcn1.attention_conv.attn_out", c_out, c_out)
        else:
            out |= _gcn(f"{p}.gcn1", c_in, c_out, v, adaptive)
        if stream == "temporal" and attention:
            out |= _bn(f"{p}.tcn1.data_bn", c_out * v) | _bn(f"{p}.tcn1.bn", c_out)
            out |= _conv(f"{p}.tcn1.qkv_conv", 2 * d_k + c_out, c_out, (1, s if v % 2 else 1))
            out |= _conv(f"{p}.tcn1.attn_out", c_out, c_out)
            if s != 1:
                out |= _unit2d(f"{p}.tcn1.down", c_out, c_out, 1)
        else:
            out |= _unit2d(f"{p}.tcn1", c_out, c_out, 9)
        if c_in != c_out or s != 1:
            out |= _unit2d(f"{p}.down1", c_in, c_out, 1)
    return out | _bn("person_bn", w2) | _conv("fcn", classes, w2, (1,))


RELEASED = [
    (dataset, stream, bones)
    for dataset in ("ntu60", "ntu120", "kinetics")
    for stream in ("spatial", "temporal", "temporal-agcn")
    for bones in (False, True)
]


@pytest.mark.parametrize("dataset, stream, bones", RELEASED, ids=["_".join(map(str, r)) for r in RELEASED])
def test_released_configs_load_strictly(dataset, stream, bones):
    """Every key and shape of the authors' eighteen released configurations (NTU-60 X-Sub and X-View share
    one) loads into our network of that configuration, inferred from the keys and shapes alone."""
    v, classes = {"ntu60": (25, 60), "ntu120": (25, 120), "kinetics": (18, 400)}[dataset]
    shapes = authors_state_shapes(stream.removesuffix("-agcn"), bones, classes, v, stream.endswith("-agcn"))
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    trainable = sum(math.prod(s) for k, s in shapes.items() if not k.endswith(buffers))
    assert trainable == AUTHORS_RELEASED_PARAMETERS[(dataset, stream, bones)]
    state = {f"module.{k}": torch.zeros(s) for k, s in shapes.items()}
    cfg = ModelConfig.released(dataset, stream, bones=bones)
    assert infer_config({k.removeprefix("module."): t for k, t in state.items()}) == cfg
    model = load_official({"model_state_dict": state})
    assert model.cfg == cfg
    assert sum(p.numel() for p in model.parameters()) == trainable


# ------------------------------------------------ the authors' relative positions (key_rel)


def test_relative_checkpoints_infer_their_tables():
    """key_rel gives ``relative``, the heads (d_k / N_h columns) and, for TSA, the frames of the window."""
    spatial, temporal = (infer_config(_state(n, RELATIVE)) for n in RELATIVE_NAMES)
    assert spatial.relative and spatial.heads == 8 and spatial.stream == "spatial"
    assert temporal.relative and temporal.heads == 8 and temporal.relative_frames == 24
    assert [temporal.tsa_frames(i) for i in range(3, 9)] == [12, 12, 12, 6, 6, 6]
    assert not infer_config(_state("temporal_joints", DATA)).relative


def test_relative_tables_that_do_not_fit_are_refused():
    sd = _state("temporal_relative_joints", RELATIVE)
    sd["backbone.7.tcn1.key_rel"] = torch.zeros(23, 2)  # a table for 12 frames where the layer sees 6
    expected = r"backbone\.7\.tcn1\.key_rel: checkpoint \(23, 2\), model \(11, 2\)"
    with pytest.raises(OfficialCheckpointError, match=expected):
        load_official(sd)
    sd = _state("temporal_relative_joints", RELATIVE)
    sd["backbone.3.tcn1.key_rel"] = torch.zeros(24, 1)
    with pytest.raises(OfficialCheckpointError, match=r"key_rel has 24 rows, expected 2F - 1"):
        load_official(sd)
    sd = _state("spatial_relative_joints", RELATIVE)
    del sd["backbone.5.gcn1.attention_conv.key_rel_diagonal"]
    expected = r"missing keys \['backbone\.5\.gcn1\.attention_conv\.key_rel_diagonal'\]"
    with pytest.raises(OfficialCheckpointError, match=expected):
        load_official(sd)
    sd = _state("spatial_relative_joints", RELATIVE)
    sd["backbone.3.gcn1.attention_conv.key_rel"] = torch.zeros(600, 3)
    with pytest.raises(OfficialCheckpointError, match=r"3 columns, expected d_k / N_h with d_k = 8"):
        load_official(sd)
    plain = _state("temporal_joints", DATA) | {"backbone.4.tcn1.key_rel": torch.zeros(23, 1)}
    with pytest.raises(OfficialCheckpointError, match=r"missing keys \[.*backbone\.3\.tcn1\.key_rel"):
        load_official(plain)
