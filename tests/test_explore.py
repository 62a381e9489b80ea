"""The attention explorer: sample selection, the view -> drawn arrays, the cache, bad files, the widget."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from sttr.data.formats import write_agcn
from sttr.data.ntu import format_skeleton
from sttr.evaluation.attention import attention_maps
from sttr.explore import ExploreError, Explorer, View
from sttr.models import ModelConfig, build_model
from sttr.predict import InputError
from sttr.skeleton import JOINT_NAMES

CLASSES = ["clapping", "sit down", "stand up"]
N = 9
WINDOW = 32


def _payload(stream: str, seed: int) -> dict:
    torch.manual_seed(seed)
    cfg = ModelConfig.small(stream, num_classes=len(CLASSES), heads=2)
    return {"format": "sttr-checkpoint", "version": 1, "model_config": cfg.to_dict(),
            "model_state_dict": build_model(cfg).state_dict(), "class_names": CLASSES, "modality": "joint",
            "window": WINDOW, "resample": True}  # fmt: skip


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    folder = tmp_path_factory.mktemp("split")
    rng = np.random.default_rng(0)
    data = np.zeros((N, 3, 60, 25, 2), dtype=np.float32)
    data[:, :, :, :, 0] = rng.normal(size=(N, 3, 60, 25))
    labels = [i % 3 for i in range(N)]
    names = [f"S001A{i:03d}" for i in range(N)]
    write_agcn(folder / "val_data_joint.npy", folder / "val_label.pkl", data, names, labels)
    np.save(folder / "val_num_frames.npy", np.full(N, 60))
    (folder / "label_names.json").write_text(json.dumps(CLASSES))
    return folder


@pytest.fixture(scope="module")
def explorer(split):
    torch.set_num_threads(1)
    return Explorer.from_checkpoints([_payload("spatial", 1), _payload("temporal", 2)], split_dir=split)


def test_samples_by_class_outcome_and_index(explorer):
    assert len(explorer) == N and explorer.streams == ["spatial", "temporal"] and explorer.units == [3, 4, 5, 6, 7, 8]
    assert explorer.samples() == list(range(N))
    assert explorer.samples("sit down") == [1, 4, 7]
    ds = explorer.datasets["spatial"]
    labels = np.asarray(ds.labels)
    model = explorer.models["temporal"].model
    predicted = np.array([int(model(ds[i][0][None]).argmax()) for i in range(N)])
    right = np.flatnonzero(predicted == labels).tolist()
    assert explorer.samples(outcome="correct", stream="temporal") == right
    assert explorer.samples(outcome="wrong", stream="temporal") == sorted(set(range(N)) - set(right))
    assert explorer.samples("stand up", "correct", "temporal") == [i for i in right if labels[i] == 2]
    with pytest.raises(ExploreError, match="class 'jump'"):
        explorer.samples("jump")
    with pytest.raises(ExploreError, match="outcome 'right'"):
        explorer.samples(outcome="right")


def test_scene_follows_unit_head_frame_and_joint(explorer):
    view = View(sample=4, stream="spatial", unit=6, head=1, frame=20, joint=JOINT_NAMES.index("left hand"))
    scene = explorer.scene(view)
    x = explorer.datasets["spatial"][4][0].numpy()  # (3, 32, 25, 2): resampled to the window
    ssa = attention_maps(explorer.models["spatial"].model, x)["backbone.6.gcn1"][0]  # (T', N_h, V, V)
    stride = x.shape[1] // ssa.shape[0]
    np.testing.assert_allclose(scene.ssa, ssa[20 // stride, 1], atol=1e-6)  # unit 6 sees every second frame
    tsa = attention_maps(explorer.models["temporal"].model, x)["backbone.6.tcn1"][0]  # (V, N_h, T', T')
    np.testing.assert_allclose(scene.tsa, tsa[view.joint, 1], atol=1e-6)
    assert scene.tsa_stride == WINDOW // tsa.shape[-1] and "left hand" in scene.tsa_title
    np.testing.assert_array_equal(scene.joints, x[:, 20, :, 0].T)
    mean = explorer.scene(View(sample=4, unit=6, head=None, frame=20, joint=view.joint))
    np.testing.assert_allclose(mean.ssa, ssa[20 // stride].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(mean.tsa, tsa[view.joint].mean(axis=0), atol=1e-6)
    # one scale per layer: every head and frame of it, so moving a control never rescales the map
    assert scene.ssa_vmax == mean.ssa_vmax == pytest.approx(float(ssa.max()))
    assert scene.tsa_vmax == pytest.approx(float(tsa.max()))
    assert explorer.scene(replace_unit(view, 3)).ssa.shape == (25, 25)


def replace_unit(view: View, unit: int) -> View:
    return View(view.sample, view.stream, unit, view.head, view.frame, view.joint)


def test_prediction_lists_top5_and_true_label(explorer):
    scene = explorer.scene(View(sample=2, stream="temporal"))
    x = explorer.datasets["temporal"][2][0]
    probs = torch.softmax(explorer.models["temporal"].model(x[None]), dim=1)[0].detach().numpy()
    best = int(probs.argmax())
    assert scene.prediction[0] == "T-TR top-3:"  # three classes: top-k stops at their count
    assert scene.prediction[1] == f"1. {CLASSES[best]}  {probs[best]:.3f}"
    assert scene.prediction[-1].startswith("true: stand up")
    assert scene.prediction[-1].endswith("(correct)" if best == 2 else "(wrong)")


def test_attention_is_computed_once_per_sample_and_stream(explorer, monkeypatch):
    explorer._cache.clear()
    calls = []
    compute = Explorer._compute
    monkeypatch.setattr(Explorer, "_compute", lambda self, s, st: calls.append((s, st)) or compute(self, s, st))
    for unit, head, frame, joint in [(3, None, 0, 0), (8, 0, 31, 11), (5, 1, 7, 24), (3, None, 0, 0)]:
        explorer.scene(View(sample=5, unit=unit, head=head, frame=frame, joint=joint))
    assert sorted(calls) == [(5, "spatial"), (5, "temporal")]
    explorer.scene(View(sample=6, stream="temporal"))
    assert sorted(calls) == [(5, "spatial"), (5, "temporal"), (6, "spatial"), (6, "temporal")]
    assert set(explorer.cached()) == set(calls)


def test_bad_choices_name_what_was_expected(explorer):
    with pytest.raises(ExploreError, match="frame 32: expected 0..31"):
        explorer.scene(View(sample=0, frame=32))
    with pytest.raises(ExploreError, match=r"unit 2: the attention units are \[3, 4, 5, 6, 7, 8\]"):
        explorer.scene(View(sample=0, unit=2))
    with pytest.raises(ExploreError, match="head 2: expected 0..1"):
        explorer.scene(View(sample=0, head=2))
    with pytest.raises(ExploreError, match="sample 99: expected an index below 9"):
        explorer.scene(View(sample=99))
    with pytest.raises(ExploreError, match="stream 'stgcn': not loaded"):
        explorer.scene(View(sample=0, stream="stgcn"))


def test_own_files_through_predicts_reader(explorer, tmp_path):
    rng = np.random.default_rng(3)
    base = rng.normal(0.0, 0.25, size=(25, 3)) + np.array([0.0, 0.0, 3.0])
    frames = [[base + rng.normal(0.0, 0.01, size=(25, 3))] for _ in range(50)]
    path = tmp_path / "S001C001P001R001A001.skeleton"
    path.write_text(format_skeleton(frames))
    scene = explorer.scene(View(sample=str(path), frame=10))
    assert scene.title.startswith(path.name)
    assert "50 frames is longer than the checkpoint's window of 32: resampled" in scene.title
    assert scene.prediction[-1] == "true: unknown (own file)" and scene.ssa.shape == (25, 25)
    bad = tmp_path / "poses.npy"
    np.save(bad, np.zeros((2, 40, 7, 3), dtype=np.float32))
    with pytest.raises(InputError, match=r"poses.npy: keypoints \(M, T, V, 3\) with V = 7"):
        explorer.scene(View(sample=str(bad)))
    kinetics = tmp_path / "clip.npy"
    np.save(kinetics, rng.uniform(0.2, 0.8, size=(1, 40, 18, 3)).astype(np.float32))
    with pytest.raises(InputError, match="clip.npy: the input has the skeleton of .*model of graph 'ntu'"):
        explorer.scene(View(sample=str(kinetics)))
    with pytest.raises(InputError, match="missing.skeleton: no such file"):
        explorer.scene(View(sample=str(tmp_path / "missing.skeleton")))


def test_only_attention_models_and_one_graph(split):
    stgcn = ModelConfig.small("stgcn", num_classes=3)
    weights = build_model(stgcn).state_dict()
    payload = {**_payload("spatial", 1), "model_config": stgcn.to_dict(), "model_state_dict": weights}
    with pytest.raises(ExploreError, match="stgcn model given as 'stgcn'"):
        Explorer.from_checkpoints([payload])
    single = Explorer.from_checkpoints(_payload("spatial", 1), split_dir=split)
    scene = single.scene(single.default_view())
    assert scene.tsa is None and scene.tsa_title == "TSA: no T-TR loaded" and scene.ssa is not None


def test_figure_draws_the_scene_and_the_widget_redraws(explorer):
    view = explorer.default_view(sample=1)
    assert view.unit == 8 and view.head is None and view.frame == 16 and view.joint == JOINT_NAMES.index("right hand")
    fig = explorer.figure(view)
    titles = [a.get_title() for a in fig.axes]
    assert any(t.startswith("Strongest SSA links, frame 16") for t in titles)
    assert "S-TR SSA, unit 8, mean over heads, frame 16" in titles
    assert "T-TR TSA, unit 8, mean over heads, right hand" in titles
    plt.close(fig)
    pytest.importorskip("ipywidgets")
    from sttr.explore import ExplorerWidget

    ui = ExplorerWidget(explorer, view)
    first = ui.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    ui.frame.value = 3
    assert ui.view.frame == 3 and ui.image.value != first
    ui.head.value = 0
    assert ui.view.head == 0
    ui.cls.value = "sit down"
    assert [v for _, v in ui.index.options] == [1, 4, 7]
    ui.index.value = 7
    assert ui.view.sample == 7
    ui.path.value = "/nonexistent/file.skeleton"
    ui.load.click()
    assert "no such file" in ui.status.value and ui.view.sample == 7


def test_fast_redraw_matches_the_static_figure(explorer):
    """The widget's blitted canvas shows the scene's arrays on the colour scale ``plot_explorer`` gives them."""
    from sttr.plots import ExplorerCanvas

    first = explorer.scene(View(sample=3, unit=8, head=None, frame=5, joint=2))
    canvas = ExplorerCanvas(first)
    for view in (View(sample=3, unit=4, head=1, frame=30, joint=7), View(sample=8, unit=8, head=0, frame=0, joint=24)):
        scene = explorer.scene(view)
        pixels = canvas.update(scene)
        assert pixels.shape[2] == 4 and pixels.dtype == np.uint8
        static = explorer.figure(view)
        for drawn, panel in ((canvas.ssa, static.axes[1]), (canvas.tsa, static.axes[2])):
            image, reference = drawn.images[0], panel.images[0]
            np.testing.assert_allclose(image.get_array(), reference.get_array())
            assert image.get_clim() == pytest.approx(reference.get_clim())
            assert drawn.get_title() == panel.get_title()
            assert drawn.lines[-1].get_ydata()[0] == panel.lines[-1].get_ydata()[0]
        plt.close(static)
    assert canvas.tsa_shape == (8, 4)  # unit 8's TSA sees every fourth frame


def test_authors_kinetics_checkpoint_and_a_clip_file(tmp_path):
    """The authors' weights (a bare state dict, read by ``load_official``) on the 18-joint graph, with a clip."""
    from sttr.data.synthetic.kinetics import generate_kinetics

    torch.manual_seed(0)
    cfg = ModelConfig.kinetics("spatial", num_classes=3, widths=(16, 32, 32))
    authors = {"module." + k: v for k, v in build_model(cfg).state_dict().items()}
    explorer = Explorer.from_checkpoints(authors)
    assert explorer.models["spatial"].kind == "official" and explorer.layout.name == "kinetics"
    generate_kinetics(tmp_path / "raw", seed=0, max_samples=2, progress=False, workers=1)
    clip = sorted((tmp_path / "raw").rglob("*.json"))[0]
    view = explorer.default_view(str(clip))
    assert view.joint == explorer.layout.joint_names.index("right wrist")
    scene = explorer.scene(view)
    assert scene.ssa.shape == (18, 18) and scene.joints.shape == (18, 3) and scene.plane == "xy" and scene.tsa is None
    assert scene.prediction[-1] == "true: unknown (own file)" and scene.title.startswith(clip.name)
    assert explorer.png(view)[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ExploreError, match="no validation split is loaded"):
        explorer.scene(View(sample=0))
