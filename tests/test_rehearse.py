"""A rehearsal's pieces: the class-balanced subset, its own folders and labels, its run settings, its table."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sttr.companion import open_companion  # noqa: E402
from sttr.data.formats import read_label_names, read_labels, write_label_names  # noqa: E402
from sttr.memory import GB, MemoryEstimate, StepProbe  # noqa: E402
from sttr.rehearse import STAMP, Rehearsal, overrides_from_env, stamp, stream_table, subset_split  # noqa: E402
from sttr.sweep import MEMORY_FILE, PROCESS_FILE  # noqa: E402
from tests.test_train import NUM_CLASSES, make_split  # noqa: E402


def test_the_subset_keeps_the_first_samples_of_every_class(tmp_path):
    source = make_split(tmp_path / "full", n_train=30, n_val=20, frames=6)
    np.save(source / "train_num_frames.npy", np.arange(30))
    write_label_names(source, [f"class {c}" for c in range(NUM_CLASSES)])
    counts = subset_split(source, tmp_path / "subset", per_class=2)
    for split, n in (("train", 30), ("val", 20)):
        names, labels = read_labels(source / f"{split}_label.pkl")
        sub_names, sub_labels = read_labels(tmp_path / "subset" / f"{split}_label.pkl")
        chosen = [names.index(name) for name in sub_names]
        assert chosen == sorted(chosen) and [labels[i] for i in chosen] == sub_labels
        assert all(sub_labels.count(c) == min(2, labels.count(c)) for c in set(labels))
        full = np.load(source / f"{split}_data_joint.npy")
        assert np.array_equal(np.load(tmp_path / "subset" / f"{split}_data_joint.npy"), full[chosen])
        assert counts[split] == len(sub_labels) == 2 * len(set(labels))
    assert np.array_equal(np.load(tmp_path / "subset" / "train_num_frames.npy"), np.sort(chosen_train(source)))
    assert read_label_names(tmp_path / "subset") == [f"class {c}" for c in range(NUM_CLASSES)]
    with pytest.raises(FileNotFoundError, match="no prepared train split to rehearse on"):
        subset_split(tmp_path / "nothing", tmp_path / "x", 1)


def chosen_train(source):
    _, labels = read_labels(source / "train_label.pkl")
    labels = np.asarray(labels)
    return np.concatenate([np.flatnonzero(labels == c)[:2] for c in np.unique(labels)])


def test_settings_come_from_the_environment_the_pipeline_sets():
    assert Rehearsal.from_env({}) is None and overrides_from_env({}) == ()
    assert Rehearsal.from_env({"STTR_REHEARSE": Rehearsal(steps=3, batch=4).to_env()}) == Rehearsal(steps=3, batch=4)
    assert overrides_from_env({"STTR_OVERRIDES": '["train.batch_size=8"]'}) == ("train.batch_size=8",)
    with pytest.raises(ValueError, match="STTR_OVERRIDES: expected a JSON list"):
        overrides_from_env({"STTR_OVERRIDES": '{"train.batch_size": 8}'})
    with pytest.raises(ValueError, match="rehearsal steps: expected a positive integer"):
        Rehearsal(steps=0)
    with pytest.raises(ValueError, match="rehearsal analysis: expected a positive integer"):
        Rehearsal(analysis=0)
    assert "train.batch_size=1" in Rehearsal().overrides("cpu")
    assert not any(o.startswith("train.batch_size") for o in Rehearsal().overrides("cuda"))  # the profile's batch


def test_a_rehearsal_companion_has_its_own_folders_labels_and_run_settings():
    real = open_companion("ntu60-xsub", overrides=["train.batch_size=8", "train.grad_accum=4"], rehearsal=None)
    run = open_companion("ntu60-xsub", overrides=["train.grad_accum=4"], rehearsal=Rehearsal(steps=3))
    assert real.results_dir == real.root / "results" / "ntu60-xsub"
    assert run.results_dir == run.root / "results" / "rehearsal" / "ntu60-xsub"
    assert run.figures_dir == run.root / "figures" / "rehearsal" / "ntu60-xsub"
    assert run.data_label.startswith(
        "REHEARSAL (1 sample(s) per class, 3 steps per run, 4 samples analysed), not a result: NTU RGB+D 60"
    )
    assert run.provenance()["overrides"] == "train.grad_accum=4"
    assert "overrides" not in open_companion("smoke").provenance()
    cfg = run.experiment("spatial", bones=True)
    assert cfg.train.max_batches == 3 and cfg.train.epochs == 1 and cfg.train.batch_size == 1
    assert cfg.train.grad_accum == 4  # the pipeline's overrides come after the rehearsal's
    assert cfg.data.dir == str(run.root / "data" / "rehearsal" / "ntu60-xsub" / "xsub")
    assert cfg.out_dir.startswith(str(run.root / "runs" / "rehearsal" / "ntu60-xsub" / "spatial_bones"))
    assert cfg.model.widths == real.experiment("spatial", bones=True).model.widths  # the real model
    full = real.experiment("spatial")
    assert (full.train.batch_size, full.train.grad_accum, full.train.epochs) == (8, 4, 120)
    fig = plt.figure()
    stamp(fig)
    assert [t.get_text() for t in fig.texts] == [STAMP]
    plt.close(fig)


def test_a_rehearsal_analyses_the_first_sample_of_its_first_classes():
    """The attention study and the probes read one sample of each class, ``analysis`` of them; a real run reads
    ``per_class`` of each class, or every sample."""
    labels = np.array([3, 0, 0, 2, 3, 1, 2, 1])
    assert Rehearsal(analysis=3).analysed(labels.tolist()) == [1, 5, 3]  # classes 0, 1, 2: their first samples
    assert Rehearsal(analysis=9).analysed(labels.tolist()) == [1, 5, 3, 0]  # fewer classes than asked: all of them
    rehearsal = open_companion("ntu60-xsub", rehearsal=Rehearsal(analysis=2))
    assert rehearsal.analysed(labels, per_class=8).tolist() == [1, 5]
    real = open_companion("smoke")
    assert real.analysed(labels, per_class=1).tolist() == [1, 5, 3, 0]
    assert real.analysed(labels).tolist() == list(range(8))


def test_a_profile_without_bones_seeds_lists_its_runs(tmp_path):
    import dataclasses

    run = open_companion("kinetics-synth")
    assert run.bones_seeds == ()  # the Kinetics profiles train joints only
    run = dataclasses.replace(run, runs_dir=tmp_path / "runs")
    assert run.all_scores() == {} and run.run_table().empty
    assert run.run_dir("stgcn", True, 0) == tmp_path / "runs" / "stgcn_bones" / "checkpoint"


def test_the_table_projects_the_full_profile_from_the_measured_step(tmp_path, monkeypatch):
    run = open_companion("ntu60-xsub", seeds=[1, 2], bones_seeds=[], rehearsal=Rehearsal())
    full = tmp_path / "full" / "xsub"
    make_split(full, n_train=100, n_val=50, frames=4)
    import dataclasses

    run = dataclasses.replace(run, full_profile=dataclasses.replace(run.full_profile, prepared_dir=tmp_path / "full"),
                              runs_dir=tmp_path / "runs")  # fmt: skip
    folder = tmp_path / "runs" / "spatial"
    folder.mkdir(parents=True)
    probes = [StepProbe(1, 2 * GB, 1.0), StepProbe(2, 3 * GB, 2.0)]  # 1 GB fixed + 1 GB and 1 s per sample
    estimate = MemoryEstimate("spatial.yaml", "cpu", 1, 1, tuple(probes), 20 * GB, 24 * GB, "CPU RSS", 300)
    (folder / MEMORY_FILE).write_text(json.dumps({"experiment": {}, "estimate": estimate.to_dict()}))
    for seed, peak in ((1, 2.5), (2, 2.7)):
        (folder / f"seed{seed}").mkdir()
        (folder / f"seed{seed}" / PROCESS_FILE).write_text(json.dumps({"returncode": 0, "peak_rss": peak * GB}))
    table = stream_table(run).set_index("model")
    row = table.loc["S-TR"]
    assert row["seconds per step"] == 32.0 and row["peak memory (GB)"] == 2.7  # 32 samples at 1 s; the larger run
    assert row["need at its batch (GB)"] == 33.0
    assert row["fits"].startswith("no: set train.batch_size=16 train.grad_accum=2")
    # 2 runs x 120 epochs x (100 + 50 / 3) samples x 1 s
    assert row["projected hours"] == float(f"{2 * 120 * (100 + 50 / 3) / 3600:.3g}")
    assert table.loc["T-TR", "fits"].startswith("not measured")


PAPER_PROFILES = ("ntu60-xsub", "ntu60-xview", "ntu120-xsub", "ntu120-xset", "kinetics")
# The paper's models, classes and graphs at CI cost: 8 resampled frames everywhere, one thread, no loader workers.
CI_OVERRIDES = ["data.window=8", "data.resample=true", "data.window_scope=all", "data.num_workers=0", "train.threads=1"]


@pytest.fixture(scope="module")
def coverage_raw(tmp_path_factory):
    """Raw data in each dataset's own format covering every class: NTU A001-A120 in S001-S032, Kinetics 0-399."""
    from sttr.data.synthetic.coverage import generate_kinetics_coverage, generate_ntu_coverage

    root = tmp_path_factory.mktemp("raw")
    generate_ntu_coverage(root / "ntu", classes=120)
    generate_kinetics_coverage(root / "kinetics")
    return root


@pytest.mark.rehearsal
@pytest.mark.parametrize("name", PAPER_PROFILES)
def test_paper_profiles_rehearse_at_full_model_size(name, coverage_raw, tmp_path):
    import dataclasses

    import torch

    from sttr.checkpoint import read_checkpoint
    from sttr.streams import TRAINED as STREAM_ORDER
    from sttr.models import ModelConfig

    torch.set_num_threads(1)
    run = open_companion(name, seeds=[1], bones_seeds=[1], overrides=CI_OVERRIDES, rehearsal=Rehearsal(steps=1))
    kinetics = run.profile.dataset == "kinetics"
    full = dataclasses.replace(run.full_profile, raw_dir=coverage_raw / ("kinetics" if kinetics else "ntu"),
                               prepared_dir=tmp_path / "data" / name)  # fmt: skip
    view = run.rehearsal.profile(full, tmp_path)
    run = dataclasses.replace(run, root=tmp_path, profile=view, full_profile=full, runs_dir=view.runs_dir)
    classes = {"ntu60": 60, "ntu120": 120, "kinetics": 400}[full.dataset]
    report = run.prepare_data()
    assert report["rehearsal"]["counts"] == {"train": classes, "val": classes}  # one sample of every class
    for stream in STREAM_ORDER:
        table = run.train_stream(stream)
        assert len(table) == 2  # joints and joints + bones, one step each
        for bones in (False, True):
            cfg = run.experiment(stream, bones)
            paper = ModelConfig.kinetics if kinetics else ModelConfig.paper
            assert cfg.model == paper(stream, bones=bones, num_classes=classes)  # the paper's model, full size
            ckpt = read_checkpoint(run.checkpoint(stream, bones))
            assert ckpt["epoch"] == 1 and len(ckpt["class_names"]) == classes
    streams = stream_table(run)
    assert len(streams) == 6 and streams["projected hours"].gt(0).all() and streams["fits"].ne("").all()
