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


def test_without_a_gpu_it_fails_with_a_message_and_says_so_in_its_folder(tmp_path):
    """A CUDA-less torch must not pass: exit status 2, the reason on stderr and in the output folder."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "no CUDA GPU visible" in proc.stderr and not proc.stdout
    data = json.loads((tmp_path / "out" / gc.OUT_JSON).read_text())
    assert data["sections"]["preflight"]["status"] == "failed"
    assert "| preflight | CUDA | failed |" in (tmp_path / "out" / gc.OUT_TABLE).read_text()


def test_sections_run_on_the_cpu_at_tiny_sizes(tmp_path, monkeypatch, one_thread):
    """Every in-process section and the real training run (a subprocess), as on a GPU but at tiny sizes."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    sections = ["reference", "attention", "bf16", "presets", "train_run", "compile"]
    out = tmp_path / "out"
    assert gc.main([*TINY, "--sections", *sections, "--out", str(out), "--tmp-dir", str(tmp_path)]) == 0
    data = json.loads((out / gc.OUT_JSON).read_text())
    assert data["format"] == gc.FORMAT and data["finished"] and not data["interrupted"]
    status = {name: s["status"] for name, s in data["sections"].items()}
    assert list(status) == ["preflight", *sections]  # preflight first, compile last
    # partial on a CPU: no GPU row in preflight, no over-65,535-groups row in attention
    partial = {"preflight": "partial", "attention": "partial", "compile": "skipped"}
    assert status == {**dict.fromkeys(sections, "ok"), **partial}
    rows = {name: s["rows"] for name, s in data["sections"].items()}
    assert [r["item"] for r in rows["preflight"]] == ["GPU", "versions", "/dev/shm", "CPUs"]
    assert [r["reference"] for r in rows["reference"]] == [gc.reference_label(p) for p in gc.reference_files()]
    kernels, chunked = rows["attention"][len(gc.ATTENTION_CHECKS) : -1], rows["attention"][-1]
    assert len(kernels) == 4 * len(gc.paper_attention_shapes(8)) and len(rows["bf16"]) == len(rows["reference"])
    assert chunked["status"] == "skipped" and "CUDA only" in chunked["detail"]
    combinations = {(d, m) for d in ("float32", "bfloat16") for m in (False, True)}
    assert {(r["dtype"], r["masked"]) for r in kernels} == combinations
    assert {(r["d_qk"], r["d_v"]) for r in kernels} >= {(4, 16), (8, 32), (16, 64)}  # the paper's head dims
    assert all(r["default_backend"] != "unknown" and r["backends"]["math"] == "ok" for r in kernels)
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
    assert (out / gc.OUT_TABLE).read_text().endswith(table + "\n")


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
    report = gc.Report(tmp_path / "r", {"started": "now"})
    report.open("presets", 80)
    report.add("presets", {"item": "a", "status": "ok", "value": float("nan"), "detail": "x"})
    on_disk = json.loads((tmp_path / "r" / gc.OUT_JSON).read_text())
    assert "| presets | a | ok | x |" in (tmp_path / "r" / gc.OUT_TABLE).read_text()
    assert (
        on_disk["sections"]["presets"]["status"] == "running"
        and on_disk["sections"]["presets"]["rows"][0]["value"] is None
    )
    report.add("presets", gc.skipped("b", "budget spent"))
    report.close("presets", gc.section_status(report.rows("presets"), None), 1.0, None)
    assert json.loads((tmp_path / "r" / gc.OUT_JSON).read_text())["sections"]["presets"]["status"] == "partial"
    assert gc.section_status([gc.skipped("c", "x")], None) == "skipped"
    assert gc.section_status([], "ValueError: x") == "failed"


def test_compile_stops_at_its_hard_limit_and_after_the_first_failure(tmp_path):
    report = gc.Report(tmp_path / "r", {})
    run = gc.Run(gc.Settings(device="cpu", preset="small", frames=8, batch_size=2), gc.torch.device("cpu"), report,
                 tmp_path)  # fmt: skip
    rows: list[dict] = []
    start = time.monotonic()
    gc.check_compile(run, gc.Budget(0.5), rows.append)  # far less than one compile: interrupted, not waited for
    assert time.monotonic() - start < 20
    assert [r["status"] for r in rows] == ["failed"] + ["skipped"] * (len(gc.PRESETS) - 1)
    assert "TimeLimit" in rows[0]["detail"] and rows[1]["detail"].startswith("stopped after the failure of")


def test_compile_training_step_check():
    """Loss within the bf16 tolerance and every gradient norm within 10 % (tiny norms against a floor)."""
    eager = (2.0, {"a": 1.0, "b": 0.5, "tiny": 1e-6})
    assert gc.compare_steps(eager, (2.02, {"a": 1.05, "b": 0.48, "tiny": 5e-5}))["train_step_ok"]
    bad_grad = gc.compare_steps(eager, (2.0, {"a": 1.0, "b": 0.7, "tiny": 1e-6}))
    assert not bad_grad["train_step_ok"] and bad_grad["grad_norm_worst"] == "b"
    assert not gc.compare_steps(eager, (2.2, eager[1]))["train_step_ok"]
    assert not gc.compare_steps(eager, (2.0, {"a": 1.0, "b": 0.5}))["train_step_ok"]  # a gradient went missing
    torch = gc.torch
    torch.manual_seed(0)
    cfg = gc.ModelConfig.small("spatial", num_classes=3, dropout=0.0, drop_attention=0.0)
    model = gc.build_model(cfg)
    x, y = torch.randn(2, 3, 8, 25, 2), torch.tensor([0, 2])
    steps = [gc.step_gradients(model, model, x, y, None) for _ in range(2)]  # eager twice: the same step
    assert gc.compare_steps(*steps)["grad_norm_max_rel_diff"] < 1e-5 and len(steps[0][1]) > 10


def test_a_section_after_a_sticky_cuda_error(tmp_path, monkeypatch):
    """When releasing memory raises (a sticky CUDA error), the error is recorded, the sections that need this
    process's CUDA context are skipped, and those that run subprocesses still run."""
    report = gc.Report(tmp_path / "r", {})
    run = gc.Run(gc.Settings(device="cpu"), gc.torch.device("cpu"), report, tmp_path)
    ran = []
    for name in ("presets", "bf16", "torchrun"):
        check = lambda r, b, add, name=name: ran.append(name) or add(gc.checked(name, True, ""))  # noqa: E731
        monkeypatch.setitem(gc.CHECKS, name, check)
    calls = iter([RuntimeError("CUDA error: an illegal memory access was encountered")])

    def release(device):
        err = next(calls, None)
        if err:
            raise err

    monkeypatch.setattr(gc, "release_memory", release)
    for name in ("presets", "bf16", "torchrun"):
        gc.run_section(run, name)
    sections = report.data["sections"]
    assert ran == ["presets", "torchrun"]
    assert sections["presets"]["status"] == "failed" and "illegal memory access" in sections["presets"]["error"]
    assert sections["bf16"]["status"] == "skipped" and sections["torchrun"]["status"] == "ok"


def test_shm_lowers_the_workers_and_the_budget_adds_up():
    mib = 2**20
    assert gc.batch_bytes(32, 300) == 11_520_000  # joints + bones, float32
    assert gc.workers_for_shm(8, 32, 300, free_bytes=64 * mib) == 1  # Docker's default /dev/shm
    assert gc.workers_for_shm(8, 32, 300, free_bytes=16 * mib) == 0
    assert gc.workers_for_shm(8, 32, 300, free_bytes=64 * 2**30) == 8
    default, quick = gc.Settings(), gc.Settings(quick=True)
    assert sum(gc.budgets(default).values()) == 360 and sum(gc.budgets(quick).values()) == 180
    assert gc.budget_line(default, list(gc.SECTIONS)).endswith("= 360 s (6.0 min)")
    assert list(gc.SECTIONS)[0] == "preflight" and list(gc.SECTIONS)[-1] == "compile"


def test_loader_rate_times_a_split_of_few_batches(tmp_path):
    """--quick's split had fewer batches than 2 x workers: the start-up skip now leaves half of them timed."""
    from bench_loader import loader_rate, write_random_split

    write_random_split(tmp_path, "train", n=60, frames=8)
    assert loader_rate(tmp_path, "joint_bone", workers=4, batch=10) > 0  # 6 batches; 8 would have been skipped
    with pytest.raises(ValueError, match="timing needs 2"):
        loader_rate(tmp_path, "joint", workers=0, batch=60)


def test_a_timed_out_run_is_killed_with_its_children(tmp_path):
    """As torchrun's worker would be: nothing of a timed-out trainer is left running (on the GPU)."""
    pid_file = tmp_path / "child.pid"
    child = "import time; time.sleep(60)"
    parent = (
        f"import pathlib, subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', {child!r}], "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid)); time.sleep(60)"
    )
    returncode, _ = gc.run_process([sys.executable, "-c", parent], dict(os.environ), timeout=3, grace=1)
    assert returncode is None
    stat = Path(f"/proc/{pid_file.read_text()}/stat")
    for _ in range(50):  # the kill is asynchronous; a zombie (Z) has stopped running
        if not stat.exists() or stat.read_text().split(")")[-1].split()[0] in ("Z", "X"):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the child {pid_file.read_text()} still runs")


def test_a_timed_out_run_stops_a_worker_in_a_session_of_its_own(tmp_path):
    """As torchrun starts its worker: in a new session, which the run's process group signal misses. The worker
    is stopped too, and reading the output does not wait for it (it would hold the pipe for 60 s)."""
    pid_file = tmp_path / "worker.pid"
    worker = "import time; time.sleep(60)"
    parent = (
        f"import pathlib, subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', {worker!r}], "
        "start_new_session=True); "
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid)); time.sleep(60)"
    )
    start = time.monotonic()
    returncode, _ = gc.run_process([sys.executable, "-c", parent], dict(os.environ), timeout=3, grace=1)
    assert returncode is None and time.monotonic() - start < 20
    stat = Path(f"/proc/{pid_file.read_text()}/stat")
    for _ in range(50):
        if not stat.exists() or stat.read_text().split(")")[-1].split()[0] in ("Z", "X"):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the worker {pid_file.read_text()} still runs")
