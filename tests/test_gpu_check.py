"""benchmarks/gpu_check.py: its sections run on the CPU at tiny sizes, its summary logic, and its no-GPU exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import gpu_check as gc
from sttr.experiment import load_config

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "--device",
    "cpu",
    "--quick",
    "--preset",
    "small",
    "--batch-size",
    "2",
    "--frames",
    "8",
    "--workers",
    "1",
    "--split-samples",
    "40",
    "--amp",
    "fp32",
    "--no-compile",
    "--budget-scale",
    "30",
]


def test_without_a_gpu_it_says_so_in_one_line_and_exits_0(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--json", str(tmp_path / "r.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("\n") == 1 and "no CUDA GPU" in proc.stdout
    assert not (tmp_path / "r.json").exists()


def test_sections_run_on_the_cpu_at_tiny_sizes(tmp_path, monkeypatch, one_thread):
    """Every in-process section and the real training run (a subprocess), as on a GPU but at tiny sizes."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    sections = ["reference", "attention", "bf16", "presets", "compile", "train_run"]
    out = tmp_path / "check.json"
    assert gc.main([*TINY, "--sections", *sections, "--json", str(out), "--tmp-dir", str(tmp_path)]) == 0
    data = json.loads(out.read_text())
    assert data["format"] == gc.FORMAT and data["finished"] and not data["interrupted"]
    status = {name: s["status"] for name, s in data["sections"].items()}
    assert status == {**dict.fromkeys(sections, "ok"), "compile": "skipped"}
    rows = {name: s["rows"] for name, s in data["sections"].items()}
    assert [r["reference"] for r in rows["reference"]] == [gc.reference_label(p) for p in gc.reference_files()]
    assert len(rows["attention"]) == len(gc.ATTENTION_CHECKS) and len(rows["bf16"]) == len(rows["reference"])
    assert [(r["stream"], r["input"], r["precision"]) for r in rows["presets"]] == [
        (s, "bones" if b else "joints", p) for s, b in gc.PRESETS for p in ("fp32", "bf16")
    ]
    assert all(r["train_samples_per_s"] > 0 and r["epoch_s"] > 0 for r in rows["presets"])
    kinds = [r["kind"] for r in rows["train_run"]]
    assert kinds == ["split", "loader", "loader", "run", "loader_share"]
    run = rows["train_run"][3]
    assert run["returncode"] == 0 and len(run["epoch_seconds"]) == gc.RUN_EPOCHS
    assert len(data["estimates"]) == 12 and data["recommendation"]["num_workers"] >= 1
    table = gc.format_table(data)
    assert table.count("\n") == 1 + sum(len(r) for r in rows.values()) + 1  # header, rows, recommendation


def test_train_command_is_a_valid_config_and_torchrun_adds_one_process(tmp_path):
    """The real run's overrides still fit the ntu60-xsub config (a YAML reorganisation would show here)."""
    settings = gc.Settings(device="cpu", preset="small", frames=8, batch_size=2, workers=3)
    cmd = gc.train_command(settings, gc.torch.device("cpu"), tmp_path / "split", tmp_path / "out", 14, torchrun=False)
    config, overrides = cmd[cmd.index("--config") + 1], [c for c in cmd if "=" in c]
    cfg = load_config(config, overrides)
    assert (cfg.train.epochs, cfg.train.device, cfg.train.amp, cfg.train.batch_size) == (
        gc.RUN_EPOCHS,
        "cpu",
        "bf16",
        2,
    )
    assert (cfg.model.num_classes, cfg.data.num_workers, cfg.data.window, cfg.out_dir) == (
        14,
        3,
        8,
        str(tmp_path / "out"),
    )
    ddp = gc.train_command(settings, gc.torch.device("cpu"), tmp_path / "split", tmp_path / "out", 14, torchrun=True)
    assert ddp[1:7] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1", "-m"]
    assert [c for c in ddp[7:] if not c.startswith("name=")] == [c for c in cmd[2:] if not c.startswith("name=")]


def test_flops_per_sample_of_the_paper_s_tr():
    """The FLOP count behind the TFLOP/s column: ~99 GFLOP per training sample at T = 300 (benchmarks/README.md)."""
    train, evaluation = gc.flops_per_sample(gc.ModelConfig.paper("spatial"), 300)
    assert train / 1e9 == pytest.approx(99.1, abs=0.1) and evaluation / 1e9 == pytest.approx(33.0, abs=0.1)


def test_estimates_loader_share_and_workers():
    e = gc.epoch_estimate(train_rate=40_091 / 600, eval_rate=16_487 / 60)
    assert e["epoch_s"] == pytest.approx(660) and e["run_h"] == pytest.approx(22)
    share = gc.loader_share(500.0, 1000.0, 2000.0, n_train=1000, n_val=1000, epoch_s=2.0)
    assert share["headroom"] == 0.5 and share["wait_share_from_rates"] == 0.5 and not share["keeps_up"]
    assert share["model_only_epoch_s"] == 1.5 and share["overhead_share"] == pytest.approx(0.25)
    assert gc.loader_share(3000.0, 1000.0, 2000.0, 10, 10, None)["keeps_up"]
    assert gc.workers_needed(train_rate=1000, per_worker=400) == 4  # 1.25 x 1000 / 400 = 3.1
    assert gc.workers_needed(train_rate=1, per_worker=4000) == 1


def _report(bf16_status: str) -> dict:
    def preset(stream, inp, precision, train):
        return {
            "item": f"{stream} {inp} {precision}",
            "status": "ok",
            "stream": stream,
            "input": inp,
            "precision": precision,
            "train_samples_per_s": train,
            "eval_samples_per_s": 3 * train,
            **gc.epoch_estimate(train, 3 * train),
        }

    rows = [
        preset("spatial", "joints", "fp32", 400),
        preset("spatial", "joints", "bf16", 800),
        preset("spatial", "bones", "fp32", 100),
        preset("spatial", "bones", "bf16", 250),
    ]
    compiled = [
        preset("spatial", "joints", "bf16+compile", 1000),
        {**preset("spatial", "bones", "bf16+compile", 900), "status": "failed"},
    ]
    loaders = [
        {"item": "l", "status": "ok", "kind": "loader", "modality": m, "workers": w, "samples_per_s_per_worker": r}
        for m, w, r in (("joint", 1, 1000), ("joint", 8, 700), ("joint_bone", 1, 300))
    ]
    sections = {
        "bf16": {"status": bf16_status, "rows": [], "error": None},
        "presets": {"status": "ok", "rows": rows, "error": None},
        "compile": {"status": "failed", "rows": compiled, "error": None},
        "train_run": {"status": "ok", "rows": loaders, "error": "RuntimeError: boom"},
    }
    return {"sections": sections}


def test_recommendation_takes_the_fastest_setting_that_passed():
    data = _report("ok")
    gc.summarize(data)
    rec = data["recommendation"]
    assert rec["per_preset"]["spatial/joints"]["precision"] == "bf16+compile"
    assert rec["per_preset"]["spatial/joints"]["speedup_over_fp32"] == 2.5
    assert rec["per_preset"]["spatial/bones"]["precision"] == "bf16"  # its compile row failed its check
    assert rec["num_workers"] == 2  # max(1.25 x 1000 / 700, 1.25 x 250 / 300) -> 2
    assert rec["overrides"] == ["train.amp=bf16", "train.compile=true", "data.num_workers=2"]
    assert len(data["estimates"]) == 5
    table = gc.format_table(data)
    assert "| train_run | (section) | failed | RuntimeError: boom |" in table
    assert "train.amp=bf16 train.compile=true data.num_workers=2" in table
    only_joints_compiled = _report("ok")  # bones: no compile row; the presets measured in every setting decide
    only_joints_compiled["sections"]["compile"]["rows"].pop()
    only_joints_compiled["sections"]["presets"]["rows"] += [
        {**r, "stream": "temporal"}
        for r in only_joints_compiled["sections"]["presets"]["rows"]
        if r["input"] == "bones"
    ]
    gc.summarize(only_joints_compiled)
    assert only_joints_compiled["recommendation"]["overrides"][:2] == ["train.amp=bf16", "train.compile=true"]
    unverified = _report("failed")  # bf16 did not pass: only fp32 may be recommended
    gc.summarize(unverified)
    assert {p["precision"] for p in unverified["recommendation"]["per_preset"].values()} == {"fp32"}


def test_report_is_written_after_every_row(tmp_path):
    report = gc.Report(tmp_path / "r.json", {"started": "now"})
    report.open("presets", 80)
    report.add("presets", {"item": "a", "status": "ok", "value": float("nan")})
    on_disk = json.loads((tmp_path / "r.json").read_text())
    assert (
        on_disk["sections"]["presets"]["status"] == "running"
        and on_disk["sections"]["presets"]["rows"][0]["value"] is None
    )
    report.add("presets", gc.skipped("b", "budget spent"))
    report.close("presets", gc.section_status(report.rows("presets"), None), 1.0, None)
    assert json.loads((tmp_path / "r.json").read_text())["sections"]["presets"]["status"] == "partial"
    assert gc.section_status([gc.skipped("c", "x")], None) == "skipped"
    assert gc.section_status([], "ValueError: x") == "failed"


def test_compile_is_skipped_once_its_budget_cannot_hold_a_compile(tmp_path):
    report = gc.Report(tmp_path / "r.json", {})
    run = gc.Run(gc.Settings(device="cpu"), gc.torch.device("cpu"), report, tmp_path)
    rows: list[dict] = []
    gc.check_compile(run, gc.Budget(30.0), rows.append)  # less than one compile's expected time
    assert [r["status"] for r in rows] == ["skipped"] * len(gc.PRESETS)
    assert rows[0]["detail"].startswith("compile budget spent")


def test_a_timed_out_run_is_killed_with_its_children(tmp_path):
    """As torchrun's worker would be: nothing of a timed-out trainer is left running (on the GPU)."""
    pid_file = tmp_path / "child.pid"
    child = "import time; time.sleep(60)"
    parent = (
        f"import pathlib, subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', {child!r}], "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid)); time.sleep(60)"
    )
    returncode, _ = gc.run_process([sys.executable, "-c", parent], dict(os.environ), timeout=3)
    assert returncode is None
    stat = Path(f"/proc/{pid_file.read_text()}/stat")
    for _ in range(50):  # the kill is asynchronous; a zombie (Z) has stopped running
        if not stat.exists() or stat.read_text().split(")")[-1].split()[0] in ("Z", "X"):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the child {pid_file.read_text()} still runs")
