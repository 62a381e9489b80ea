"""One prepared check of the CUDA path: does it compute what the CPU computes, how fast is it, what to recommend.

    python benchmarks/gpu_check.py --out DIR          # one GPU: 6 minutes by its budgets
    python benchmarks/gpu_check.py --quick --out DIR  # fewer steps, compile of one preset only: 3 minutes
    python benchmarks/gpu_check.py --device cpu --quick --preset small --batch-size 2 --frames 16 \\
        --split-samples 40 --workers 1 --no-compile --out DIR   # the same sections on a CPU at tiny sizes

Runs from a checkout without installing the package. ``DIR`` receives ``gpu_check.json`` and ``gpu_check.md``
(the table), both rewritten after every row, so that a run that is killed leaves what it measured. Without a
CUDA GPU (and ``--device cuda``, the default) it says so on stderr and in DIR and exits 2. Progress goes to
stderr, starting with the budget arithmetic; at the end the table goes to stdout. Exit status 1 when a check
failed.

Sections, in this order, each independent (a failure is recorded with its error and the next section runs,
also after a CUDA error that leaves this process's context unusable: then the in-process sections are skipped
and the subprocess ones still run), each with a time budget (items left when it is spent are recorded as
skipped). Budgets, default / --quick, in seconds, adding up to 360 / 180:

  preflight  (5 / 5)     GPU name and memory, torch, CUDA and cuDNN versions, /dev/shm: the run's DataLoader
                         workers are lowered until their batches in flight fit in half of its free space
  reference  (30 / 15)   every reference tensor (tests/data/**/manifest.json) on the device in float32 and
                         float64, explicit and fused attention, compared as tests/test_official.py does
                         (atol 1e-5), with TF32 off
  attention  (25 / 10)   fused == explicit attention (attend with and without the DropAttention mask, SSA/TSA
                         units in train and eval mode) at the unit tests' shapes, TF32 off; then the SDPA
                         kernels at the paper's head dims (every distinct attention call of S-TR and T-TR,
                         joints and joints + bones), float32 and bfloat16, with and without the mask: the
                         backend the default path runs (from the profiler) and each backend forced in turn,
                         outputs and q/k/v gradients against the explicit path in float32 from the same inputs
                         (atol = rtol = 1e-4 in float32, 3e-2 in bfloat16)
  bf16       (10 / 5)    bf16 autocast logits of the reference configurations against the float32 ones:
                         max |difference| <= 0.05 x max(1, max |logit|)
  presets    (70 / 20)   a training step (SGD, cross-entropy) and an evaluation pass of each paper preset
                         (S-TR, T-TR, ST-GCN; joints and joints + bones) at batch 32, T = 300, random
                         input: fp32 (torch's defaults, TF32 convolutions) and bf16 samples/s, peak memory
  train_run  (90 / 40)   a synthetic NTU-sized split (prepared here, (N, 3, 300, 25, 2), 14 classes);
                         the DataLoader alone over it (1 and N workers, joints and joints + bones);
                         ``python -m sttr train`` for 2 epochs with train.device=cuda train.amp=bf16
                         and N workers; the loader's share of step time
  torchrun   (45 / 25)   the same run under ``torchrun --standalone --nproc_per_node 1`` (DDP, NCCL)
  compile    (85 / 60)   last, under a hard time limit (the budget), stopping at its first failure: the
                         presets with torch.compile and bf16; one training step (dropout off) against eager
                         (loss within the bf16 tolerance, every gradient norm within 10 %), compile times
                         apart, samples/s, compiled eval logits against eager within the bf16 tolerance

The estimates of an NTU-60 X-Sub epoch (40,091 training + 16,487 validation samples) and of the paper's
120 epochs come from the measured samples/s; the recommendation is the fastest setting that passed its checks.

``gpu_check.json`` (format ``sttr-gpu-check/1``)::

    {
      "format": "sttr-gpu-check/1", "started": str, "finished": str | null, "interrupted": bool,
      "argv": [str], "budget_s": {NAME: float},
      "environment": {"torch", "python", "cpu", "cpu_count", "device", "gpu", "gpu_memory_gib", "capability", "cuda",
                      "cudnn", "fp32_precision": {...}},
      "settings": {"device", "quick", "preset", "batch_size", "frames", "warmup", "steps", "workers",
                   "split_samples", "amp", "compile", "compile_presets", "budget_scale"},
      "sections": {NAME: {"status": "running" | "ok" | "partial" | "skipped" | "failed", "seconds": float,
                          "budget_s": float, "error": str | null,
                          "rows": [{"item": str, "status": "ok" | "failed" | "skipped", "detail": str, ...}]}},
      "estimates": [{"stream", "input", "precision", "train_samples_per_s", "eval_samples_per_s",
                     "epoch_s", "run_h"}],
      "recommendation": {"per_preset": {"spatial/joints": {"precision", "overrides", "train_samples_per_s",
                                                           "speedup_over_fp32", "measured": [str]}},
                         "overrides": [str], "num_workers": int | null, "basis": str}
    }

Fields of the rows beyond item, status and detail, by section:
  reference  reference, variants: [{dtype, path: "explicit" | "fused", max_abs_diff: {logits_eval, logits_train,
             loss, grads (float64)}, gradient_keys_match, grad_norm_violations: [str], ok}]
  preflight  GPU: gpu, memory_gib, free_gib; versions: torch, cuda, cudnn, python; /dev/shm: free_mib, workers,
             workers_asked; CPUs: cpu, cpu_count
  attention  check, max_abs_diff: {dtype: float}, tolerance: {dtype: float}; the kernel rows: unit, groups, heads,
             tokens, d_qk, d_v, dtype, masked, default_backend, backends: {default|flash|efficient|cudnn|math:
             "ok" | "unsupported" | "differs: ..." | "error: ..."}, max_abs_diff: {backend: float}, tolerance
  bf16       reference, max_abs_diff_eval, max_abs_diff_train, tolerance, top1_agreement
  presets    stream, input: "joints" | "bones", precision: "fp32" | "bf16", train_samples_per_s,
             eval_samples_per_s, peak_memory_gib, epoch_s, run_h; on CUDA train_gflop_per_sample, train_tflops
  compile    the same with precision "bf16+compile", and compile_train_s, compile_eval_s,
             max_abs_diff_vs_eager, tolerance, train_step_ok, loss_eager, loss_compiled, loss_tolerance,
             grad_norm_max_rel_diff, grad_norm_worst, grad_keys_match
  train_run  kind "split": train_samples, val_samples, classes, seconds; kind "loader": modality, workers,
             samples_per_s, samples_per_s_per_worker; kind "run": command, returncode, wall_s, train_samples,
             val_samples, epoch_seconds: [float], top1, log_tail (when it failed); kind "loader_share": method,
             loader_samples_per_s, model_train_samples_per_s, headroom, wait_share_from_rates, keeps_up, epoch_s,
             model_only_epoch_s, overhead_s, overhead_share
  torchrun   as a "run" row, and ddp (the trainer logged its DDP wrapper), epoch_ratio_vs_plain
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import logging
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _folder in (ROOT, HERE):  # this checkout's sttr without `pip install -e .` (an offline GPU machine); bench_loader
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from bench_loader import loader_rate  # noqa: E402
from sttr.data.formats import write_json  # noqa: E402
from sttr.data.prepare import prepare_ntu  # noqa: E402
from sttr.data.synthetic import generate  # noqa: E402
from sttr.models import ModelConfig, build_model  # noqa: E402
from sttr.models.attention import SpatialSelfAttention, TemporalSelfAttention, attend, attend_in_chunks  # noqa: E402
from sttr.models.official import load_official  # noqa: E402
from sttr.runtime import cpu_model  # noqa: E402
from sttr.train import METRICS_FILE, read_metrics  # noqa: E402
from tests.references import as_made_on_cpu  # noqa: E402

logger = logging.getLogger("gpu_check")

FORMAT = "sttr-gpu-check/1"
DATA = ROOT / "tests" / "data"
CONFIG = ROOT / "configs" / "ntu60-xsub" / "spatial.yaml"
NTU60_XSUB_TRAIN = 40_091
NTU60_XSUB_VAL = 16_487
EPOCHS = 120
SYNTHETIC_FILES = 3360  # the full synthetic set: 40 performers x 3 cameras x 2 replications x 14 classes
RUN_EPOCHS = 2  # the second epoch is timed: the first carries CUDA's and cuDNN's start-up
PRESETS = (
    ("spatial", False),
    ("temporal", False),
    ("stgcn", False),
    ("spatial", True),
    ("temporal", True),
    ("stgcn", True),
)
SECTIONS = ("preflight", "reference", "attention", "bf16", "presets", "train_run", "torchrun", "compile")
IN_PROCESS = {"reference", "attention", "bf16", "presets", "compile"}  # need this process's CUDA context
BUDGET_S = {  # seconds per section on one H100-class GPU; they add up to 6 minutes
    "preflight": 5,
    "reference": 30,
    "attention": 25,
    "bf16": 10,
    "presets": 70,
    "train_run": 90,
    "torchrun": 45,
    "compile": 85,  # a hard limit: the compile is interrupted when it is spent
}
QUICK_BUDGET_S = {  # --quick: 3 minutes
    "preflight": 5,
    "reference": 15,
    "attention": 10,
    "bf16": 5,
    "presets": 20,
    "train_run": 40,
    "torchrun": 25,
    "compile": 60,
}
OUT_JSON, OUT_TABLE = "gpu_check.json", "gpu_check.md"  # what --out DIR holds, rewritten after every row
SHM = Path("/dev/shm")
SHM_SHARE = 0.5  # of /dev/shm's free space for the loader's batches in flight (pinned copies, other users)
PREFETCH = 2  # batches each DataLoader worker keeps ready (torch's prefetch_factor)
REFERENCE_ATOL = 1e-5  # tests/test_official.py
EQUAL_TOL = {torch.float32: 1e-5, torch.float64: 1e-7}  # atol and rtol of fused == explicit
KERNEL_TOL = {torch.float32: 1e-4, torch.bfloat16: 3e-2}  # atol = rtol of an SDPA kernel vs explicit fp32
COMPILE_GRAD_TOL = 0.1  # relative difference of a gradient norm, compiled vs eager training step in bf16
BF16_TOL = 0.05  # of max(1, max |logit|): bf16 keeps 8 significant bits; the CPU's autocast differs by up to 1.7 %
COMPILE_GUESS_S = 90.0  # one preset's train + eval compile before any was measured
OVERRIDES = {"fp32": [], "bf16": ["train.amp=bf16"], "bf16+compile": ["train.amp=bf16", "train.compile=true"]}
LOADER_HEADROOM = 1.25  # workers to feed 1.25x the fastest training rate
DDP_LOG = "DDP: "  # the trainer logs this when it wraps the model in DistributedDataParallel


@dataclass(frozen=True)
class Settings:
    """What the run measures, and at which sizes (the CLI's options)."""

    device: str = "cuda"
    quick: bool = False
    preset: str = "paper"
    batch_size: int = 32
    frames: int = 300
    warmup: int = 2
    steps: int = 5
    workers: int = 8
    split_samples: int | None = None
    amp: str = "bf16"
    compile: bool = True
    compile_presets: int = len(PRESETS)
    budget_scale: float = 1.0


class Budget:
    """A section's time allowance in seconds, counted from its creation."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def spent(self) -> bool:
        return self.left() <= 0


def plain(obj: Any) -> Any:
    """JSON-safe copy: non-finite floats become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


class Report:
    """The results, written to ``out/gpu_check.json`` and as a Markdown table to ``out/gpu_check.md`` (each
    atomically) after every change, so that a run that is killed leaves what it measured."""

    def __init__(self, out: Path, header: dict[str, Any]) -> None:
        self.out = out
        self.path = out / OUT_JSON
        self.data: dict[str, Any] = {
            "format": FORMAT,
            **header,
            "finished": None,
            "interrupted": False,
            "sections": {},
            "estimates": [],
            "recommendation": {},
        }
        self.write()

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.path, plain(self.data))  # through a temporary file, renamed when complete
        table = self.out / OUT_TABLE
        tmp = table.with_name(table.name + ".tmp")
        tmp.write_text(format_markdown(self.data) + "\n")
        os.replace(tmp, table)

    def open(self, name: str, budget_s: float) -> None:
        self.data["sections"][name] = {
            "status": "running",
            "seconds": None,
            "budget_s": budget_s,
            "error": None,
            "rows": [],
        }
        self.write()

    def add(self, name: str, row: dict[str, Any]) -> None:
        self.data["sections"][name]["rows"].append(row)
        logger.info(
            "[%s] %s: %s%s", name, row["item"], row["status"], f" ({row['detail']})" if row.get("detail") else ""
        )
        self.write()

    def close(self, name: str, status: str, seconds: float, error: str | None) -> None:
        self.data["sections"][name].update(status=status, seconds=seconds, error=error)
        summarize(self.data)
        self.write()

    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.data["sections"].get(name, {}).get("rows", [])


@dataclass
class Run:
    """What the sections share: settings, device, report, scratch folder and the prepared synthetic split."""

    settings: Settings
    device: torch.device
    report: Report
    tmp: Path
    split: Path | None = None
    broken: str | None = None  # the CUDA error after which this process's context is unusable


# ---------------------------------------------------------------------------------------------------- helpers


def skipped(item: str, why: str, **fields: Any) -> dict[str, Any]:
    """A row for an item left out, saying why."""
    return {"item": item, "status": "skipped", "detail": why, **fields}


def checked(item: str, ok: bool, detail: str, **fields: Any) -> dict[str, Any]:
    """A row for an item that ran: ok, or failed when ``ok`` is false, with what was measured."""
    return {"item": item, "status": "ok" if ok else "failed", "detail": detail, **fields}


def failed(item: str, err: BaseException, **fields: Any) -> dict[str, Any]:
    """A row for an item that raised, with the error."""
    return {"item": item, "status": "failed", "detail": f"{type(err).__name__}: {err}"[:500], **fields}


def section_status(rows: list[dict[str, Any]], error: str | None) -> str:
    """failed if the section raised or a row failed; skipped if every row was; partial if some were; else ok."""
    statuses = {r["status"] for r in rows}
    if error or "failed" in statuses:
        return "failed"
    if statuses == {"skipped"}:
        return "skipped"
    return "partial" if "skipped" in statuses else "ok"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def release_memory(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def autocast(device: torch.device, amp: str | None):
    """bf16 autocast on the device, or nothing for fp32."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if amp == "bf16" else nullcontext()


@contextmanager
def strict_fp32() -> Iterator[None]:
    """IEEE float32 in cuDNN convolutions and cuBLAS matmuls (no TF32) for the equivalence checks; restored after."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # torch >= 2.9; mixing it with allow_tf32 raises
        backends = (conv, torch.backends.cudnn.rnn, torch.backends.cuda.matmul)
        saved = [b.fp32_precision for b in backends]
        for b in backends:
            b.fp32_precision = "ieee"
        try:
            yield
        finally:
            for b, value in zip(backends, saved, strict=True):
                b.fp32_precision = value
        return
    saved_legacy = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved_legacy


def fp32_precision_flags() -> dict[str, Any]:
    """How float32 convolutions and matmuls run by default (TF32 or IEEE), as this torch reports it."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):
        return {"cudnn_conv": conv.fp32_precision, "cuda_matmul": torch.backends.cuda.matmul.fp32_precision}
    return {
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
    }


def max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.detach().double().cpu() - b.detach().double().cpu()).abs().max())


def close(a: torch.Tensor, b: torch.Tensor, tol: float) -> bool:
    """|a - b| <= tol + tol * |b| everywhere (torch.testing.assert_close's rule with atol = rtol = tol)."""
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return bool(((a - b).abs() <= tol + tol * b.abs()).all())


def environment(device: torch.device) -> dict[str, Any]:
    """Software and hardware this run measured on."""
    env: dict[str, Any] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "device": str(device),
    }
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        env.update(
            gpu=p.name,
            gpu_memory_gib=p.total_memory / 2**30,
            capability=f"{p.major}.{p.minor}",
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            fp32_precision=fp32_precision_flags(),
        )
    return env


def preset_config(settings: Settings, stream: str, bones: bool, num_classes: int = 60) -> ModelConfig:
    return ModelConfig.preset(settings.preset, stream=stream, bones=bones, num_classes=num_classes)


def preset_name(stream: str, bones: bool) -> str:
    return f"{stream} {'bones' if bones else 'joints'}"


@functools.lru_cache(maxsize=None)
def flops_per_sample(cfg: ModelConfig, frames: int) -> tuple[float, float]:
    """FLOPs of one sample's training step (forward + backward) and evaluation, counted on the meta device."""
    from torch.utils.flop_counter import FlopCounterMode

    cfg = ModelConfig.from_dict({**cfg.to_dict(), "fused_attention": True})  # the explicit path reads a value
    with torch.device("meta"):
        model = build_model(cfg).train()
        x = torch.randn(1, cfg.in_channels, frames, cfg.num_joints, cfg.num_persons)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    train = counter.get_total_flops()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(x)
    return float(train), float(counter.get_total_flops())


def epoch_estimate(train_rate: float, eval_rate: float) -> dict[str, float]:
    """Seconds of one NTU-60 X-Sub epoch (training + evaluation) and hours of the paper's 120 epochs."""
    epoch_s = NTU60_XSUB_TRAIN / train_rate + NTU60_XSUB_VAL / eval_rate
    return {"epoch_s": epoch_s, "run_h": EPOCHS * epoch_s / 3600}


# ---------------------------------------------------------------------------------------------------- preflight


def batch_bytes(batch: int, frames: int, channels: int = 6) -> int:
    """Bytes of one float32 batch (N, C, T, 25, 2); joints + bones (6 channels) is the largest the loader sends."""
    return batch * channels * frames * 25 * 2 * 4


def workers_for_shm(workers: int, batch: int, frames: int, free_bytes: int) -> int:
    """The most DataLoader workers, up to ``workers``, whose batches in flight (``PREFETCH`` each, joints + bones)
    fit in ``SHM_SHARE`` of /dev/shm's free space: a worker hands each batch over in shared memory, and a full
    /dev/shm kills the run with a "Bus error"."""
    per_worker = PREFETCH * batch_bytes(batch, frames)
    return max(0, min(workers, int(free_bytes * SHM_SHARE // per_worker)))


def check_preflight(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    """What the run measures on: device, versions, memory, /dev/shm (the run's workers lowered to fit it)."""
    env, s = run.report.data["environment"], run.settings
    if run.device.type == "cuda":
        free, total = torch.cuda.mem_get_info(run.device)
        add(checked("GPU", True, f"{env['gpu']}, compute capability {env['capability']}, {total / 2**30:.1f} GiB "
                    f"({free / 2**30:.1f} GiB free)", gpu=env["gpu"], memory_gib=total / 2**30,
                    free_gib=free / 2**30))  # fmt: skip
    else:
        add(skipped("GPU", "--device cpu: a dry run of the sections on the CPU"))
    versions = f"torch {env['torch']}, CUDA {env.get('cuda')}, cuDNN {env.get('cudnn')}, Python {env['python']}"
    add(checked("versions", True, versions, **{k: env.get(k) for k in ("torch", "cuda", "cudnn", "python")}))
    if not SHM.is_dir():
        add(skipped("/dev/shm", f"{SHM} not found; workers kept at {s.workers}"))
    else:
        free = shutil.disk_usage(SHM).free
        fit = workers_for_shm(s.workers, s.batch_size, s.frames, free)
        detail = f"{free / 2**20:.0f} MiB free; {s.workers} worker(s) x {PREFETCH} batches x " \
                 f"{batch_bytes(s.batch_size, s.frames) / 2**20:.2f} MiB (joints + bones)"  # fmt: skip
        if fit < s.workers:
            detail += f" do not fit in {SHM_SHARE:.0%} of it: workers lowered to {fit}"
            run.settings = replace(s, workers=fit)
            run.report.data["settings"]["workers"] = fit
        add(checked("/dev/shm", True, detail, free_mib=free / 2**20, workers=run.settings.workers,
                    workers_asked=s.workers))  # fmt: skip
    add(checked("CPUs", True, f"{env['cpu']}, {env['cpu_count']} CPUs", cpu=env["cpu"], cpu_count=env["cpu_count"]))


# ---------------------------------------------------------------------------------------------------- reference


def reference_files(data: Path = DATA) -> list[Path]:
    """The reference tensors named by every ``manifest.json`` under ``data`` (the extended set included)."""
    return [
        m.parent / f"{name}.pt" for m in sorted(data.glob("**/manifest.json")) for name in json.loads(m.read_text())
    ]


def reference_label(path: Path) -> str:
    return str(path.relative_to(DATA).with_suffix("")) if path.is_relative_to(DATA) else path.stem


def reference_diffs(ref: dict[str, Any], fused: bool, dtype: torch.dtype, device: torch.device) -> dict[str, Any]:
    """Logits (eval, train), loss and, in float64, gradients against the authors' tensors, as test_official."""
    model = load_official(ref["state_dict"], fused_attention=fused, dropout=0.0, drop_attention=0.0)
    as_made_on_cpu(model)  # the adaptive GCN's graph as the CPU-made references have it
    model = model.to(device=device, dtype=dtype).eval()
    x = ref["input"].to(device=device, dtype=dtype)
    with torch.no_grad():
        logits_eval = model(x)
    model.train()
    logits_train = model(x)
    loss = F.cross_entropy(logits_train, ref["label"].to(device))
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    diffs = {
        "logits_eval": max_abs(logits_eval, ref["logits_eval"]),
        "logits_train": max_abs(logits_train, ref["logits_train"]),
        "loss": max_abs(loss, ref["loss_train"]),
    }
    same_keys = set(grads) == set(ref["grad_norms"])
    violations: list[str] = []
    if dtype == torch.float64 and same_keys:
        diffs["grads"] = max(max_abs(grads[k], g) for k, g in ref["grads"].items())
        violations = [k for k, n in ref["grad_norms"].items() if abs(float(grads[k].norm()) - n) > 1e-4 * n + 1e-6]
    ok = same_keys and max(diffs.values()) <= REFERENCE_ATOL and not violations
    return {"max_abs_diff": diffs, "gradient_keys_match": same_keys, "grad_norm_violations": violations, "ok": ok}


def reference_row(path: Path, dtypes: tuple[torch.dtype, ...], device: torch.device) -> dict[str, Any]:
    """Every variant (dtype x attention path) of one reference file, in one row."""
    ref = torch.load(path, map_location="cpu", weights_only=True)
    variants = []
    with strict_fp32():
        for dtype in dtypes:
            for fused in (False, True):
                d = reference_diffs(ref, fused, dtype, device)
                variants.append(
                    {"dtype": str(dtype).removeprefix("torch."), "path": "fused" if fused else "explicit", **d}
                )
    worst = {
        v["dtype"]: max(max(w["max_abs_diff"].values()) for w in variants if w["dtype"] == v["dtype"]) for v in variants
    }
    detail = (
        ", ".join(f"{k} max diff {v:.1e}" for k, v in worst.items()) + f" (atol {REFERENCE_ATOL:g}; explicit and fused)"
    )
    bad = [f"{v['dtype']} {v['path']}" for v in variants if not v["ok"]]
    if bad:
        detail = f"differs: {', '.join(bad)}; " + detail
    return checked(reference_label(path), not bad, detail, reference=reference_label(path), variants=variants)


def check_reference(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    dtypes = (torch.float32,) if run.settings.quick else (torch.float32, torch.float64)
    files = reference_files()
    if not files:
        raise FileNotFoundError(f"{DATA}: no manifest.json naming reference tensors")
    for path in files:
        if budget.spent():
            add(skipped(reference_label(path), "budget spent"))
            continue
        try:
            add(reference_row(path, dtypes, run.device))
        except Exception as err:  # noqa: BLE001 - one unreadable reference must not hide the others
            add(failed(reference_label(path), err))


# ---------------------------------------------------------------------------------------------------- attention


def attend_shapes(frames: int) -> tuple[tuple[int, int, int, int, int], ...]:
    """(groups B, heads N_h, tokens L, d_qk and d_v per head): the unit test's shape, then SSA- and TSA-like
    shapes with tiny head dims (2/8) for 2 samples x 2 persons at T = ``frames``; the paper's own head dims are
    the ``kernels`` check's (``paper_attention_shapes``)."""
    return (6, 4, 7, 5, 5), (2 * 2 * frames, 8, 25, 2, 8), (2 * 2 * 25, 8, frames, 2, 8)


SDPA_OPS = {  # the aten op of each SDPA backend, as the profiler names it
    "flash": ("_scaled_dot_product_flash_attention",),
    "efficient": ("_scaled_dot_product_efficient_attention",),
    "cudnn": ("_scaled_dot_product_cudnn_attention",),
    "math": ("_scaled_dot_product_attention_math",),
}


@functools.lru_cache(maxsize=None)
def paper_attention_shapes(frames: int) -> tuple[tuple[str, int, int, int, int, int], ...]:
    """(unit, groups, heads, tokens, d_qk, d_v per head) of every distinct attention call of the paper's S-TR
    and T-TR, joints and joints + bones, for one sample (2 persons) at T = ``frames``, recorded from a forward
    pass on the meta device."""
    from sttr.models import attention as attention_module

    seen: dict[tuple, tuple] = {}
    real = attention_module.attend

    def record(q, k, v, *args, **kwargs):
        unit = "SSA" if q.shape[2] == 25 else "TSA"
        key = (unit, q.shape[1], q.shape[2], q.shape[3], v.shape[3])
        seen[key] = (unit, max(q.shape[0], seen.get(key, (0, 0))[1]), *key[1:])
        return real(q, k, v, *args, **kwargs)

    attention_module.attend = record
    try:
        for stream in ("spatial", "temporal"):
            for bones in (False, True):
                cfg = ModelConfig.paper(stream, bones=bones, fused_attention=True)
                with torch.device("meta"):
                    build_model(cfg).eval()(torch.zeros(1, cfg.in_channels, frames, cfg.num_joints, cfg.num_persons))
    finally:
        attention_module.attend = real
    if not seen:
        raise RuntimeError("no call of sttr.models.attention.attend recorded in the paper models' forward pass")
    return tuple(sorted(seen.values()))


def sdpa_backend_used(q, k, v, keep) -> str:
    """Which SDPA backend ``attend``'s fused path runs for these inputs, from the profiler's op names."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        attend(q, k, v, keep=keep, fused=True)
    names = {e.key for e in prof.key_averages()}
    found = [b for b, ops in SDPA_OPS.items() if any(any(op in n for op in ops) for n in names)]
    return "+".join(found) or "unknown"


def kernel_row(shape: tuple[str, int, int, int, int, int], dtype: torch.dtype, masked: bool,
               device: torch.device) -> dict[str, Any]:  # fmt: skip
    """One paper attention shape in ``dtype``, with or without the DropAttention mask: the default SDPA path and
    each backend forced in turn, outputs and q/k/v gradients against the explicit path in float32 from the same
    inputs (TF32 off), at ``KERNEL_TOL[dtype]`` (atol = rtol)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    unit, b, h, length, d_qk, d_v = shape
    g = torch.Generator().manual_seed(0)
    q, k = (torch.randn(b, h, length, d_qk, generator=g).to(device=device, dtype=dtype) for _ in range(2))
    v = torch.randn(b, h, length, d_v, generator=g).to(device=device, dtype=dtype)
    keep = None
    if masked:
        keep = torch.rand(b, h, 1, length, generator=g) < 0.5
        keep[0, 0] = False  # a (group, head) with every key dropped
        keep = keep.to(device)
    tol = KERNEL_TOL[dtype]
    with strict_fp32(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SDPA says why each backend it skips does not apply
        ref_in = [t.float().requires_grad_(True) for t in (q, k, v)]
        ref, _ = attend(*ref_in, keep=keep, fused=False)
        ref_grads = torch.autograd.grad(ref.square().sum(), ref_in)

        def compare() -> float:
            ins = [t.clone().requires_grad_(True) for t in (q, k, v)]
            out, _ = attend(*ins, keep=keep, fused=True)
            grads = torch.autograd.grad(out.float().square().sum(), ins)
            pairs = [(out, ref), *zip(grads, ref_grads)]
            if not all(close(a, b_, tol) for a, b_ in pairs):
                raise AssertionError(f"max diff {max(max_abs(a, b_) for a, b_ in pairs):.2e} over the tolerance")
            return max(max_abs(a, b_) for a, b_ in pairs)

        default = sdpa_backend_used(q, k, v, keep)
        results: dict[str, str] = {}
        diffs: dict[str, float] = {}
        try:
            diffs["default"] = compare()
            results["default"] = "ok"
        except AssertionError as err:
            results["default"] = f"differs: {err}"
        for name, backend in (("flash", SDPBackend.FLASH_ATTENTION), ("efficient", SDPBackend.EFFICIENT_ATTENTION),
                              ("cudnn", SDPBackend.CUDNN_ATTENTION), ("math", SDPBackend.MATH)):  # fmt: skip
            try:
                with sdpa_kernel([backend]):
                    diffs[name] = compare()
                results[name] = "ok"
            except AssertionError as err:
                results[name] = f"differs: {err}"
            except RuntimeError as err:  # "No available kernel": this backend does not take these inputs
                results[name] = "unsupported" if "kernel" in str(err).lower() else f"error: {str(err)[:200]}"
    label = str(dtype).removeprefix("torch.")
    item = f"{unit} L={length} {h} heads d {d_qk}/{d_v} {label}{', DropAttention' if masked else ''}"
    # a wrong result fails the row, from any backend (another shape or torch may pick it); an error only from the
    # default path, which the models run
    bad = [n for n, r in results.items() if r.startswith("differs") or (n == "default" and r != "ok")]
    errors = [n for n, r in results.items() if r.startswith("error") and n not in bad]
    ran = [n for n, r in results.items() if r == "ok" and n != "default"]
    detail = (
        f"default: {default}, max diff {diffs.get('default', float('nan')):.1e} (atol = rtol = {tol:g}); "
        f"backends ok: {', '.join(ran) or 'none'}"
        + (f"; failed: {', '.join(f'{n} ({results[n]})' for n in bad)}" if bad else "")
        + (f"; raised when forced: {', '.join(errors)}" if errors else "")
    )
    return checked(item, not bad, detail, unit=unit, groups=b, heads=h, tokens=length, d_qk=d_qk, d_v=d_v,
                   dtype=label, masked=masked, default_backend=default, backends=results, max_abs_diff=diffs,
                   tolerance=tol)  # fmt: skip


def chunked_row(device: torch.device, groups: int = 70_000) -> dict[str, Any]:
    """SSA over more groups than the memory-efficient kernel's grid takes (65,535; batch 117 x 2 persons x 300
    frames), through ``attend_in_chunks`` with the mask, against the explicit path in float32."""
    item = f"SSA over {groups:,} groups, float32, DropAttention, chunked"
    if device.type != "cuda":
        return skipped(item, "CUDA only (the kernel's grid limit); tests/test_attention_chunks.py checks the chunks")
    g = torch.Generator(device=device).manual_seed(0)
    q, k = (torch.randn(groups, 8, 25, 4, device=device, generator=g) for _ in range(2))  # d 4/16: S-TR joints
    v = torch.randn(groups, 8, 25, 16, device=device, generator=g)
    keep = torch.rand(groups, 8, 1, 25, device=device, generator=g) < 0.5
    with strict_fp32():
        out, _ = attend_in_chunks(q, k, v, keep=keep, fused=True)
        ref, _ = attend(q, k, v, keep=keep, fused=False)
    diff, tol = max_abs(out, ref), KERNEL_TOL[torch.float32]
    return checked(item, close(out, ref, tol), f"max diff {diff:.1e} (atol = rtol = {tol:g})", groups=groups,
                   max_abs_diff=diff, tolerance=tol)  # fmt: skip


def check_kernels(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    """Every paper attention shape x (float32, bfloat16) x (no mask, DropAttention mask), then SSA over more
    groups than the kernel takes at once."""
    for shape in paper_attention_shapes(run.settings.frames):
        for dtype in (torch.float32, torch.bfloat16):
            for masked in (False, True):
                item = f"{shape[0]} L={shape[3]} d {shape[4]}/{shape[5]} {str(dtype).removeprefix('torch.')}"
                if budget.spent():
                    add(skipped(item, "budget spent"))
                    continue
                try:
                    add(kernel_row(shape, dtype, masked, run.device))
                except Exception as err:  # noqa: BLE001 - recorded; the other shapes still run
                    add(failed(item, err))
    try:
        add(chunked_row(run.device))
    except Exception as err:  # noqa: BLE001 - recorded
        add(failed("SSA over more than 65,535 groups", err))


def attend_pairs(
    device: torch.device, dtype: torch.dtype, masked: bool, frames: int
) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], bool]:
    """(fused, explicit) outputs and q/k/v gradients of ``attend``; with a mask also whether dropped rows are zero."""
    pairs, rows_ok = [], True
    for b, h, length, d_qk, d_v in attend_shapes(frames):
        g = torch.Generator().manual_seed(0)
        q, k = (torch.randn(b, h, length, d_qk, generator=g, dtype=torch.float64) for _ in range(2))
        v = torch.randn(b, h, length, d_v, generator=g, dtype=torch.float64)
        q, k, v = (t.to(device=device, dtype=dtype).requires_grad_(True) for t in (q, k, v))
        keep = None
        if masked:
            keep = torch.rand(b, h, 1, length, generator=g) < 0.5
            keep[0, 1] = False  # every key of this (group, head) dropped
            keep = keep.to(device)
        fused, _ = attend(q, k, v, keep=keep, fused=True)
        explicit, _ = attend(q, k, v, keep=keep, fused=False)
        grads_f = torch.autograd.grad(fused.sum(), (q, k, v))
        grads_e = torch.autograd.grad(explicit.sum(), (q, k, v))
        pairs += [(fused, explicit), *zip(grads_f, grads_e, strict=True)]
        if masked:
            rows_ok &= bool((fused[0, 1] == 0).all() and (explicit[0, 1] == 0).all())
            rows_ok &= all(bool(torch.isfinite(t).all()) for t in (fused, explicit, *grads_f, *grads_e))
    return pairs, rows_ok


def unit_pairs(
    device: torch.device, dtype: torch.dtype, train: bool, frames: int
) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], bool]:
    """(fused, explicit) outputs and input gradients of SSA and TSA units (T = ``frames``), same parameters and mask."""
    x = torch.randn(3, 16, frames, 25, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(
        device=device, dtype=dtype
    )
    outs = {}
    for fused in (True, False):
        torch.manual_seed(0)
        ssa = SpatialSelfAttention(16, 16, d_k=8, heads=4, num_joints=25, drop_attention=0.5, fused=fused)
        torch.manual_seed(0)
        tsa = TemporalSelfAttention(16, 16, d_k=8, heads=4, num_joints=25, stride=2, drop_attention=0.5, fused=fused)
        for unit in (ssa, tsa):
            unit = unit.to(device=device, dtype=dtype).train(train)
            xi = x.clone().requires_grad_(True)
            torch.manual_seed(7)  # the same DropAttention mask on both paths (seeds CUDA too)
            y, _ = unit(xi)
            (grad,) = torch.autograd.grad(y.square().sum(), xi)
            outs[(type(unit).__name__, fused)] = (y, grad)
    pairs = []
    for name in ("SpatialSelfAttention", "TemporalSelfAttention"):
        pairs += list(zip(outs[(name, True)], outs[(name, False)], strict=True))
    return pairs, True


ATTENTION_CHECKS = {
    "attend, no mask": functools.partial(attend_pairs, masked=False),
    "attend, DropAttention mask": functools.partial(attend_pairs, masked=True),
    "SSA and TSA units, eval": functools.partial(unit_pairs, train=False),
    "SSA and TSA units, train": functools.partial(unit_pairs, train=True),
}


def attention_row(name: str, device: torch.device, dtypes: tuple[torch.dtype, ...], frames: int) -> dict[str, Any]:
    """One fused == explicit check in every dtype: max |difference| and whether all pairs are within tolerance."""
    diffs, ok = {}, True
    with strict_fp32():
        for dtype in dtypes:
            pairs, extra_ok = ATTENTION_CHECKS[name](device, dtype, frames=frames)
            label = str(dtype).removeprefix("torch.")
            diffs[label] = max(max_abs(a, b) for a, b in pairs)
            ok &= extra_ok and all(close(a, b, EQUAL_TOL[dtype]) for a, b in pairs)
    tolerance = {str(d).removeprefix("torch."): EQUAL_TOL[d] for d in dtypes}
    detail = ", ".join(f"{k} max diff {v:.1e}" for k, v in diffs.items())
    detail += " (atol = rtol = " + ", ".join(f"{t:g} in {k}" for k, t in tolerance.items()) + ")"
    return checked(name, ok, detail, check=name, max_abs_diff=diffs, tolerance=tolerance)


def check_attention(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    """fused == explicit at the unit test's shapes, then the SDPA kernels at the paper's head dims."""
    dtypes = (torch.float32,) if run.settings.quick else (torch.float32, torch.float64)
    for name in ATTENTION_CHECKS:
        if budget.spent():
            add(skipped(name, "budget spent"))
            continue
        try:
            add(attention_row(name, run.device, dtypes, run.settings.frames))
        except Exception as err:  # noqa: BLE001 - recorded; the other checks still run
            add(failed(name, err))
    check_kernels(run, budget, add)


# ---------------------------------------------------------------------------------------------------- bf16


def bf16_row(path: Path, device: torch.device) -> dict[str, Any]:
    """bf16 autocast logits (eval and train mode, the device's default attention path) against the reference's."""
    ref = torch.load(path, map_location="cpu", weights_only=True)
    model = load_official(ref["state_dict"], dropout=0.0, drop_attention=0.0)
    as_made_on_cpu(model)
    model = model.to(device).eval()
    x = ref["input"].to(device)
    with torch.no_grad(), autocast(device, "bf16"):
        logits_eval = model(x).float()
        logits_train = model.train()(x).float()
    scale = max(1.0, float(ref["logits_eval"].abs().max()), float(ref["logits_train"].abs().max()))
    tolerance = BF16_TOL * scale
    d_eval, d_train = max_abs(logits_eval, ref["logits_eval"]), max_abs(logits_train, ref["logits_train"])
    agree = float((logits_eval.argmax(1).cpu() == ref["logits_eval"].argmax(1)).float().mean())
    ok = max(d_eval, d_train) <= tolerance
    detail = f"max diff eval {d_eval:.3f}, train {d_train:.3f} (tolerance {tolerance:.3f}); top-1 agreement {agree:.0%}"
    return checked(reference_label(path), ok, detail, reference=reference_label(path), max_abs_diff_eval=d_eval,
                   max_abs_diff_train=d_train, tolerance=tolerance, top1_agreement=agree)  # fmt: skip


def check_bf16(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    for path in reference_files():
        if budget.spent():
            add(skipped(reference_label(path), "budget spent"))
            continue
        try:
            add(bf16_row(path, run.device))
        except Exception as err:  # noqa: BLE001 - recorded; the other references still run
            add(failed(reference_label(path), err))


# ---------------------------------------------------------------------------------------------------- presets


def random_batch(cfg: ModelConfig, settings: Settings, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """A random (N, C, T, V, M) batch and labels of the paper's shape at the settings' batch and T."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(settings.batch_size, cfg.in_channels, settings.frames, cfg.num_joints, cfg.num_persons, generator=g)
    y = torch.randint(0, cfg.num_classes, (settings.batch_size,), generator=g)
    return x.to(device), y.to(device)


def sgd(model: torch.nn.Module) -> torch.optim.Optimizer:
    """The paper's optimiser (the trainer's defaults: SGD, Nesterov momentum 0.9, weight decay 1e-4, lr 0.1)."""
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)


def train_step(model, optimizer, x, y, amp: str | None) -> None:
    """One step as the trainer takes it: autocast forward, float32 cross-entropy, backward, SGD."""
    with autocast(x.device, amp):
        logits = model(x)  # (N, K)
    loss = F.cross_entropy(logits.float(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def eval_step(model, x, amp: str | None) -> None:
    with torch.no_grad(), autocast(x.device, amp):
        model(x)


def seconds_per_step(step: Callable[[], None], warmup: int, steps: int, device: torch.device) -> float:
    """Mean wall time of ``steps`` calls after ``warmup`` calls, the device synchronised around them."""
    for _ in range(warmup):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - start) / steps


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None


def rate_fields(run: Run, cfg: ModelConfig, train_s: float, eval_s: float, peak: float | None) -> dict[str, Any]:
    """samples/s, peak memory, the NTU-60 estimates and, on CUDA, the FLOP rate of one measured setting."""
    s = run.settings
    train_rate, eval_rate = s.batch_size / train_s, s.batch_size / eval_s
    fields = {
        "train_samples_per_s": train_rate,
        "eval_samples_per_s": eval_rate,
        "peak_memory_gib": peak,
        **epoch_estimate(train_rate, eval_rate),
    }
    if run.device.type == "cuda":
        try:
            train_flops, _ = flops_per_sample(cfg, s.frames)
        except Exception as err:  # noqa: BLE001 - the FLOP rate is a diagnostic; the measurement stands without it
            logger.warning("FLOPs of %s not counted: %s: %s", cfg.stream, type(err).__name__, err)
            return fields
        fields.update(train_gflop_per_sample=train_flops / 1e9, train_tflops=train_rate * train_flops / 1e12)
    return fields


def num(x: float) -> str:
    """A measured number for the table: whole above 100, three significant digits below."""
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def rate_detail(fields: dict[str, Any]) -> str:
    peak = f", peak {fields['peak_memory_gib']:.1f} GiB" if fields.get("peak_memory_gib") is not None else ""
    flops = f", {num(fields['train_tflops'])} TFLOP/s" if fields.get("train_tflops") is not None else ""
    return (
        f"train {num(fields['train_samples_per_s'])}/s, eval {num(fields['eval_samples_per_s'])}/s{peak}{flops}; "
        f"NTU-60 epoch {num(fields['epoch_s'] / 60)} min, 120 epochs {num(fields['run_h'])} h"
    )


def measure_eager(run: Run, cfg: ModelConfig, amp: str | None) -> dict[str, Any]:
    """Training and evaluation samples/s and peak memory of one preset in eager mode."""
    s, device = run.settings, run.device
    torch.manual_seed(0)
    model = build_model(cfg).to(device)
    optimizer = sgd(model)
    x, y = random_batch(cfg, s, device)
    reset_peak(device)
    train_s = seconds_per_step(lambda: train_step(model, optimizer, x, y, amp), s.warmup, s.steps, device)
    peak = peak_gib(device)
    model.eval()
    eval_s = seconds_per_step(lambda: eval_step(model, x, amp), s.warmup, s.steps, device)
    return rate_fields(run, cfg, train_s, eval_s, peak)


def preset_row(run: Run, stream: str, bones: bool, precision: str) -> dict[str, Any]:
    item = f"{preset_name(stream, bones)} {precision}"
    fields = {"stream": stream, "input": "bones" if bones else "joints", "precision": precision}
    try:
        measured = measure_eager(
            run, preset_config(run.settings, stream, bones), None if precision == "fp32" else "bf16"
        )
    except torch.cuda.OutOfMemoryError as err:
        return failed(item, err, **fields)
    finally:
        release_memory(run.device)
    return checked(item, True, rate_detail(measured), **fields, **measured)


def check_presets(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    for stream, bones in PRESETS:
        for precision in ("fp32", "bf16"):
            item = f"{preset_name(stream, bones)} {precision}"
            if budget.spent():
                add(skipped(item, "budget spent"))
                continue
            try:
                add(preset_row(run, stream, bones, precision))
            except Exception as err:  # noqa: BLE001 - recorded; the other presets still run
                add(failed(item, err))


# ---------------------------------------------------------------------------------------------------- compile


class TimeLimit(BaseException):
    """A hard time limit ran out (``hard_limit``); a BaseException, so that no ``except Exception`` inside
    the compiler swallows it."""


@contextmanager
def hard_limit(seconds: float) -> Iterator[None]:
    """Raise ``TimeLimit`` in this (main) thread after ``seconds``, also inside a long compile: SIGALRM's
    handler runs between two Python bytecodes, and the compiler is mostly Python."""

    def expire(signum: int, frame: Any) -> None:
        raise TimeLimit(f"stopped at the section's hard limit of {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def step_gradients(forward: torch.nn.Module, model: torch.nn.Module, x, y, amp: str | None) -> tuple[float, dict]:
    """Loss and per-parameter gradient norms of one training step of ``forward`` (``model`` or its compiled
    wrapper), read from ``model``'s parameters; no optimiser step."""
    model.zero_grad(set_to_none=True)
    with autocast(x.device, amp):
        logits = forward(x)  # (N, K)
    loss = F.cross_entropy(logits.float(), y)
    loss.backward()
    norms = {n: float(p.grad.float().norm()) for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return float(loss.detach()), norms


def compare_steps(eager: tuple[float, dict], compiled: tuple[float, dict]) -> dict[str, Any]:
    """Loss and gradient norms of a compiled training step against eager's: the loss within the bf16
    tolerance, each gradient norm within ``COMPILE_GRAD_TOL`` relative (norms under 1e-3 of the largest are
    compared against that floor)."""
    (loss_e, norms_e), (loss_c, norms_c) = eager, compiled
    floor = 1e-3 * max(norms_e.values(), default=1.0)
    rel = {k: abs(norms_c[k] - n) / max(n, floor) for k, n in norms_e.items() if k in norms_c}
    worst = max(rel, key=rel.get) if rel else None
    loss_tol = BF16_TOL * max(1.0, abs(loss_e))
    grads_ok = set(norms_e) == set(norms_c) and (not rel or rel[worst] <= COMPILE_GRAD_TOL)
    ok = grads_ok and abs(loss_c - loss_e) <= loss_tol
    return {
        "train_step_ok": ok,
        "loss_eager": loss_e,
        "loss_compiled": loss_c,
        "loss_tolerance": loss_tol,
        "grad_norm_max_rel_diff": rel[worst] if worst else None,
        "grad_norm_worst": worst,
        "grad_keys_match": set(norms_e) == set(norms_c),
    }


def measure_compiled(run: Run, cfg: ModelConfig) -> dict[str, Any]:
    """torch.compile + bf16: one training step (dropout off) checked against eager by its loss and gradient
    norms, compile times apart, steady samples/s, and compiled eval logits against eager."""
    import torch._dynamo

    s, device = run.settings, run.device
    torch._dynamo.reset()
    torch.manual_seed(0)
    cfg = ModelConfig.from_dict({**cfg.to_dict(), "dropout": 0.0, "drop_attention": 0.0})  # deterministic steps
    model = build_model(cfg).to(device)
    compiled = torch.compile(model)
    optimizer = sgd(model)
    x, y = random_batch(cfg, s, device)
    eager_step = step_gradients(model, model, x, y, "bf16")
    reset_peak(device)
    start = time.perf_counter()
    compiled_step = step_gradients(compiled, model, x, y, "bf16")
    sync(device)
    first_train = time.perf_counter() - start
    step_check = compare_steps(eager_step, compiled_step)
    train_s = seconds_per_step(
        lambda: train_step(compiled, optimizer, x, y, "bf16"), max(0, s.warmup - 1), s.steps, device
    )
    peak = peak_gib(device)
    compiled.eval()
    start = time.perf_counter()
    eval_step(compiled, x, "bf16")
    sync(device)
    first_eval = time.perf_counter() - start
    eval_s = seconds_per_step(lambda: eval_step(compiled, x, "bf16"), max(0, s.warmup - 1), s.steps, device)
    with torch.no_grad(), autocast(device, "bf16"):
        got, expected = compiled(x).float(), model(x).float()  # the same module, weights and statistics
    tolerance = BF16_TOL * max(1.0, float(expected.abs().max()))
    return {
        **rate_fields(run, cfg, train_s, eval_s, peak),
        "compile_train_s": max(0.0, first_train - train_s),
        "compile_eval_s": max(0.0, first_eval - eval_s),
        "max_abs_diff_vs_eager": max_abs(got, expected),
        "tolerance": tolerance,
        **step_check,
    }


def compile_row(run: Run, stream: str, bones: bool) -> dict[str, Any]:
    item = f"{preset_name(stream, bones)} bf16+compile"
    fields = {"stream": stream, "input": "bones" if bones else "joints", "precision": "bf16+compile"}
    try:
        m = measure_compiled(run, preset_config(run.settings, stream, bones))
    except torch.cuda.OutOfMemoryError as err:
        return failed(item, err, **fields)
    finally:
        release_memory(run.device)
    ok = m["max_abs_diff_vs_eager"] <= m["tolerance"] and m["train_step_ok"]
    grad = m["grad_norm_max_rel_diff"]
    detail = (
        f"compile {m['compile_train_s']:.0f} s + eval {m['compile_eval_s']:.0f} s; {rate_detail(m)}; "
        f"eval logits vs eager max diff {m['max_abs_diff_vs_eager']:.3f} (tolerance {m['tolerance']:.3f}); "
        f"training step: loss {m['loss_compiled']:.4f} vs {m['loss_eager']:.4f} (tolerance {m['loss_tolerance']:.3f}), "
        f"gradient norms within {grad if grad is not None else float('nan'):.1%} ({COMPILE_GRAD_TOL:.0%} allowed)"
    )
    return checked(item, ok, detail, **fields, **m)


def check_compile(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    """The presets compiled in turn, under a hard time limit (the section's budget); the first failure, a
    failed check or the limit stops the section, as a missing compiler would fail every preset the same way."""
    last: float | None = None
    stopped: str | None = None
    for i, (stream, bones) in enumerate(PRESETS):
        item = f"{preset_name(stream, bones)} bf16+compile"
        need = last if last is not None else COMPILE_GUESS_S * run.settings.budget_scale
        if not run.settings.compile:
            add(skipped(item, "--no-compile"))
        elif i >= run.settings.compile_presets:
            add(skipped(item, f"compile of the first {run.settings.compile_presets} preset(s) only"))
        elif stopped:
            add(skipped(item, f"stopped after {stopped}"))
        elif last is not None and budget.left() < need:
            left = max(0.0, budget.left())
            add(skipped(item, f"compile budget spent: {left:.0f} s left, a compile takes ~{need:.0f} s"))
        else:
            start = time.monotonic()
            try:
                with hard_limit(budget.left()):
                    row = compile_row(run, stream, bones)
            except (Exception, TimeLimit) as err:  # noqa: BLE001 - recorded; compile may fail where eager works
                row = failed(item, err)
            add(row)
            if row["status"] != "ok":
                stopped = f"the failure of {item}"
            last = time.monotonic() - start


# ---------------------------------------------------------------------------------------------------- train_run


def prepare_split(run: Run) -> Path:
    """A synthetic X-Sub split of NTU-sized samples ((N, 3, 300, 25, 2), 14 classes), made once per run."""
    if run.split is not None:
        return run.split
    raw, out = run.tmp / "raw", run.tmp / "prepared"
    files = run.settings.split_samples or SYNTHETIC_FILES
    workers = (os.cpu_count() or 1) if files >= 400 else 1  # a process pool costs seconds to start
    generate(raw, seed=0, max_samples=run.settings.split_samples, progress=False, workers=workers)
    prepare_ntu(raw, out, dataset="synthetic", benchmarks=["xsub"], workers=workers, progress=False)
    shutil.rmtree(raw)
    run.split = out / "xsub"
    return run.split


def split_sizes(split: Path) -> tuple[int, int, int]:
    """Training samples, validation samples and classes of a prepared split."""
    n_train = np.load(split / "train_data_joint.npy", mmap_mode="r").shape[0]
    n_val = np.load(split / "val_data_joint.npy", mmap_mode="r").shape[0]
    return n_train, n_val, len(json.loads((split / "label_names.json").read_text()))


def train_command(
    settings: Settings, device: torch.device, split: Path, out_dir: Path, classes: int, torchrun: bool
) -> list[str]:
    """``python -m sttr train`` on the S-TR config of ntu60-xsub over ``split`` (under torchrun with one process)."""
    cmd = [sys.executable, "-m"]
    if torchrun:
        cmd += ["torch.distributed.run", "--standalone", "--nproc_per_node", "1", "-m"]
    cmd += [
        "sttr",
        "train",
        "--config",
        str(CONFIG),
        "--no-progress",
        f"data.dir={split}",
        f"out_dir={out_dir}",
        f"name=gpu-check-{'torchrun' if torchrun else 'run'}",
        f"model.preset={settings.preset}",
        f"model.num_classes={classes}",
        f"train.epochs={RUN_EPOCHS}",
        f"train.device={device.type}",
        f"train.amp={settings.amp if settings.amp != 'fp32' else 'null'}",
        f"train.batch_size={settings.batch_size}",
        f"data.num_workers={settings.workers}",
    ]
    if settings.frames < 300:
        cmd.append(f"data.window={settings.frames}")
    return cmd


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, ...), from /proc (Linux; none elsewhere)."""
    parent_of: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parent_of[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [c for c, p in parent_of.items() if p in frontier]
        found += children
        frontier = children
    return found


def stop_tree(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM, then after ``grace`` seconds SIGKILL, to ``proc``'s process group and to every process below it
    in a group of its own: torchrun starts its workers in new sessions, which its group's signal misses."""
    tree = descendants(proc.pid)
    groups = {proc.pid}
    for pid in tree:
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for group in groups:
            try:
                os.killpg(group, sig)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in tree:  # a worker that made a group of its own after we looked
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        if sig == signal.SIGTERM:
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and not (proc.poll() is not None and all(map(_finished, tree))):
                time.sleep(0.1)


def _finished(pid: int) -> bool:
    """True when ``pid`` is gone or a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def run_process(cmd: list[str], env: dict[str, str], timeout: float, grace: float = 5.0) -> tuple[int | None, str]:
    """Exit status (None after a timeout) and output of ``cmd``, run in a process group of its own; on a timeout
    or an interruption it and everything it started are stopped (``stop_tree``), and the output is read with a
    time limit, so that neither a trainer left on the GPU nor a hung worker holding the pipe can block the check."""
    with subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    ) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
            return proc.returncode, out
        except BaseException as err:
            stop_tree(proc, grace)
            try:
                out, _ = proc.communicate(timeout=grace + 5)
            except subprocess.TimeoutExpired:  # a process we could not stop still holds the pipe
                out = "(output not read: a process of the run still held it after SIGKILL)"
            if isinstance(err, subprocess.TimeoutExpired):
                return None, out or ""
            raise


def run_training(run: Run, budget: Budget, torchrun: bool) -> dict[str, Any]:
    """Run the trainer as a subprocess within the budget; its exit status, epoch seconds and log tail."""
    split = prepare_split(run)
    n_train, n_val, classes = split_sizes(split)
    out_dir = run.tmp / ("run_torchrun" if torchrun else "run")
    cmd = train_command(run.settings, run.device, split, out_dir, classes, torchrun)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    item = "torchrun --nproc_per_node 1" if torchrun else "python -m sttr train"
    timeout = max(10.0, budget.left())
    start = time.perf_counter()
    returncode, log = run_process(cmd, env, timeout)
    wall = time.perf_counter() - start
    if returncode is None:
        return checked(item, False, f"timed out after {timeout:.0f} s", kind="run", command=cmd, log_tail=log[-3000:])
    epochs = read_metrics(out_dir / METRICS_FILE)
    row = {
        "item": item,
        "kind": "run",
        "command": cmd,
        "returncode": returncode,
        "wall_s": wall,
        "train_samples": n_train,
        "val_samples": n_val,
        "epoch_seconds": [e.get("seconds") for e in epochs],
        "top1": epochs[-1].get("top1") if epochs else None,
        "ddp": DDP_LOG in log if torchrun else None,
    }
    ok = returncode == 0 and len(epochs) == RUN_EPOCHS and (not torchrun or row["ddp"])
    if not ok:
        row["log_tail"] = log[-3000:]
    why = (
        ""
        if ok
        else ("; the DDP wrapper was not used" if torchrun and returncode == 0 else f"; exit status {returncode}")
    )
    seconds = ", ".join(f"{s:.1f}" for s in row["epoch_seconds"] if s is not None)
    row.update(
        status="ok" if ok else "failed",
        detail=f"{n_train} + {n_val} samples, epochs {seconds} s, wall {wall:.0f} s{why}",
    )
    return row


def loader_rows(run: Run, split: Path, budget: Budget) -> list[dict[str, Any]]:
    """The training DataLoader alone over the split: samples/s with 1 and N workers, joints and joints + bones."""
    s = run.settings
    n_train, _, _ = split_sizes(split)
    rows = []
    for modality in ("joint", "joint_bone"):
        for workers in sorted({min(1, s.workers), s.workers}):
            item = f"DataLoader {modality}, {workers} worker(s)"
            if budget.spent():
                rows.append(skipped(item, "budget spent"))
                continue
            try:  # every sample after the start-up batches
                rate = loader_rate(split, modality, workers, s.batch_size, pin_memory=run.device.type == "cuda")
            except Exception as err:  # noqa: BLE001 - recorded; the other loaders and the real run still run
                rows.append(failed(item, err, kind="loader", modality=modality, workers=workers))
                continue
            per_worker = rate / max(workers, 1)
            detail = f"{num(rate)} samples/s, {num(per_worker)} per worker"
            rows.append(checked(item, True, detail, kind="loader", modality=modality, workers=workers,
                                samples_per_s=rate, samples_per_s_per_worker=per_worker))  # fmt: skip
    return rows


def model_rates(run: Run, stream: str, bones: bool, precision: str) -> dict[str, Any] | None:
    """The presets section's measurement of one setting, if it ran and passed."""
    for row in run.report.rows("presets"):
        if row["status"] == "ok" and (row["stream"], row["input"], row["precision"]) == (
            stream,
            "bones" if bones else "joints",
            precision,
        ):
            return row
    return None


def loader_share(
    loader_rate_: float, train_rate: float, eval_rate: float, n_train: int, n_val: int, epoch_s: float | None
) -> dict[str, Any]:
    """The loader's share of step time, two ways: the loader alone against the model alone (a prefetching
    loader slower than the model makes the GPU wait 1 - loader/model of each step), and the real run's timed
    epoch against the model-only time of the same samples (the excess also holds worker start-up and checkpoints)."""
    headroom = loader_rate_ / train_rate
    out = {
        "loader_samples_per_s": loader_rate_,
        "model_train_samples_per_s": train_rate,
        "headroom": headroom,
        "wait_share_from_rates": max(0.0, 1.0 - headroom),
        "keeps_up": headroom >= 1.0,
    }
    if epoch_s:
        model_only = n_train / train_rate + n_val / eval_rate
        out.update(
            epoch_s=epoch_s,
            model_only_epoch_s=model_only,
            overhead_s=epoch_s - model_only,
            overhead_share=max(0.0, 1.0 - model_only / epoch_s),
        )
    return out


def workers_needed(train_rate: float, per_worker: float, headroom: float = LOADER_HEADROOM) -> int:
    """DataLoader workers that feed ``headroom`` times the training rate at ``per_worker`` samples/s each."""
    return max(1, math.ceil(headroom * train_rate / per_worker))


def share_row(run: Run, loaders: list[dict[str, Any]], train: dict[str, Any]) -> dict[str, Any]:
    """Does the loader with the run's workers keep the model busy (S-TR joints at the run's precision)?"""
    s = run.settings
    precision = "fp32" if s.amp == "fp32" else "bf16"
    model = model_rates(run, "spatial", False, precision)
    item = f"loader share, spatial joints {precision}"
    if model is None and run.broken:
        return skipped(item, f"no model rate: this process's CUDA context is unusable after: {run.broken}",
                       kind="loader_share")  # fmt: skip
    if model is None:
        measured = measure_eager(run, preset_config(s, "spatial", False), None if precision == "fp32" else "bf16")
        model = {
            "train_samples_per_s": measured["train_samples_per_s"],
            "eval_samples_per_s": measured["eval_samples_per_s"],
        }
    loader = next(
        (r for r in loaders if r.get("modality") == "joint" and r.get("workers") == s.workers and r["status"] == "ok"),
        None,
    )
    if loader is None:
        return skipped(item, "no DataLoader measurement with the run's workers", kind="loader_share")
    epochs = [e for e in train.get("epoch_seconds", []) if e is not None]
    share = loader_share(
        loader["samples_per_s"],
        model["train_samples_per_s"],
        model["eval_samples_per_s"],
        train.get("train_samples", 0),
        train.get("val_samples", 0),
        epochs[-1] if epochs else None,
    )
    detail = (
        f"loader {num(share['loader_samples_per_s'])}/s with {s.workers} worker(s) vs model "
        f"{num(share['model_train_samples_per_s'])}/s: headroom {share['headroom']:.2f}x, "
        f"GPU wait {share['wait_share_from_rates']:.0%} of a step"
    )
    if "overhead_share" in share:
        detail += (
            f"; timed epoch {num(share['epoch_s'])} s vs model-only {num(share['model_only_epoch_s'])} s "
            f"({share['overhead_share']:.0%} outside the model: loader waits, worker start-up, checkpoints)"
        )
    method = (
        "DataLoader alone over the split (same batch, workers, pinned memory on CUDA) vs the presets section's "
        "model-only training rate; the run's second epoch (metrics.jsonl seconds) vs the model-only time of its samples"
    )
    return checked(item, share["keeps_up"], detail, kind="loader_share", method=method, **share)


def check_train_run(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    start = time.perf_counter()
    split = prepare_split(run)
    seconds = time.perf_counter() - start
    n_train, n_val, classes = split_sizes(split)
    detail = f"{n_train} + {n_val} samples (3, 300, 25, 2), {classes} classes, {seconds:.0f} s"
    add(checked("synthetic split", True, detail, kind="split", train_samples=n_train, val_samples=n_val,
                classes=classes, seconds=seconds))  # fmt: skip
    loaders = loader_rows(run, split, budget)
    for row in loaders:
        add(row)
    train = run_training(run, budget, torchrun=False)
    add(train)
    try:
        add(share_row(run, loaders, train))
    except Exception as err:  # noqa: BLE001 - recorded; the run's row above stands
        add(failed("loader share", err, kind="loader_share"))


def check_torchrun(run: Run, budget: Budget, add: Callable[[dict[str, Any]], None]) -> None:
    row = run_training(run, budget, torchrun=True)
    plain_run = next((r for r in run.report.rows("train_run") if r.get("kind") == "run" and r["status"] == "ok"), None)
    if plain_run and row["status"] == "ok" and row["epoch_seconds"][-1] and plain_run["epoch_seconds"][-1]:
        row["epoch_ratio_vs_plain"] = row["epoch_seconds"][-1] / plain_run["epoch_seconds"][-1]
        row["detail"] += f"; last epoch {row['epoch_ratio_vs_plain']:.2f}x the plain run's"
    add(row)


CHECKS: dict[str, Callable[[Run, Budget, Callable[[dict[str, Any]], None]], None]] = {
    "preflight": check_preflight,
    "reference": check_reference,
    "attention": check_attention,
    "bf16": check_bf16,
    "presets": check_presets,
    "compile": check_compile,
    "train_run": check_train_run,
    "torchrun": check_torchrun,
}


# ---------------------------------------------------------------------------------------------------- summary


def estimates(data: dict[str, Any]) -> list[dict[str, Any]]:
    """NTU-60 X-Sub epoch and 120-epoch estimates of every measured setting."""
    keys = ("stream", "input", "precision", "train_samples_per_s", "eval_samples_per_s", "epoch_s", "run_h")
    rows = [r for name in ("presets", "compile") for r in data["sections"].get(name, {}).get("rows", [])]
    return [{k: r[k] for k in keys} for r in rows if r["status"] == "ok" and "epoch_s" in r]


def recommend(data: dict[str, Any]) -> dict[str, Any]:
    """The fastest setting per preset among those that passed their checks, the overall one, and the workers."""
    sections = data["sections"]
    bf16_ok = sections.get("bf16", {}).get("status") == "ok"
    measured = [
        r
        for name in ("presets", "compile")
        for r in sections.get(name, {}).get("rows", [])
        if r["status"] == "ok" and "train_samples_per_s" in r
    ]
    candidates = [r for r in measured if r["precision"] == "fp32" or bf16_ok]
    per_preset: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys((r["stream"], r["input"]) for r in candidates):
        rows = [r for r in candidates if (r["stream"], r["input"]) == key]
        best = max(rows, key=lambda r: r["train_samples_per_s"])
        fp32 = next((r for r in rows if r["precision"] == "fp32"), None)
        per_preset["/".join(key)] = {
            "precision": best["precision"],
            "overrides": OVERRIDES[best["precision"]],
            "train_samples_per_s": best["train_samples_per_s"],
            "speedup_over_fp32": best["train_samples_per_s"] / fp32["train_samples_per_s"] if fp32 else None,
            "measured": [r["precision"] for r in rows],
        }
    if not per_preset:
        return {}
    order = list(OVERRIDES)
    most = max(len(p["measured"]) for p in per_preset.values())  # compile may have run for the first presets only
    votes = Counter(p["precision"] for p in per_preset.values() if len(p["measured"]) == most)
    overall = max(votes, key=lambda p: (votes[p], order.index(p)))
    workers = None
    loaders = [
        r for r in sections.get("train_run", {}).get("rows", []) if r.get("kind") == "loader" and r["status"] == "ok"
    ]
    for modality, inp in (("joint", "joints"), ("joint_bone", "bones")):
        per_worker = min(
            (r["samples_per_s_per_worker"] for r in loaders if r["modality"] == modality and r["workers"] >= 1),
            default=None,
        )
        rates = [p["train_samples_per_s"] for k, p in per_preset.items() if k.endswith("/" + inp)]
        if per_worker and rates:
            workers = max(workers or 1, workers_needed(max(rates), per_worker))
    basis = (
        "per preset, the fastest training samples/s among settings that passed (bf16 only when the bf16 section "
        "passed; compile only when its logits matched eager); overall, the most frequent choice among the presets "
        f"measured in every setting; workers: {LOADER_HEADROOM}x the fastest rate over the lowest samples/s per worker"
    )
    overrides = OVERRIDES[overall] + ([f"data.num_workers={workers}"] if workers else [])
    return {"per_preset": per_preset, "overrides": overrides, "num_workers": workers, "basis": basis}


def summarize(data: dict[str, Any]) -> None:
    """Recompute the estimates and the recommendation from the rows so far."""
    data["estimates"] = estimates(data)
    data["recommendation"] = recommend(data)


def format_table(data: dict[str, Any]) -> str:
    """One Markdown table: a line per check, then the recommendation."""
    lines = ["| section | check | result | detail |", "|---|---|---|---|"]

    def line(section: str, item: str, status: str, detail: str) -> None:
        lines.append(f"| {section} | {item} | {status} | {detail.replace('|', '/')} |")

    for name, sec in data["sections"].items():
        for row in sec["rows"]:
            line(name, row["item"], row["status"], row.get("detail", ""))
        if sec["error"]:
            line(name, "(section)", "failed", sec["error"])
        elif not sec["rows"]:
            line(name, "(section)", sec["status"], "no rows")
    rec = data.get("recommendation") or {}
    if rec:
        speed = ", ".join(
            f"{k} {v['precision']}"
            + (f" {v['speedup_over_fp32']:.2f}x fp32" if v["precision"] != "fp32" and v["speedup_over_fp32"] else "")
            for k, v in rec["per_preset"].items()
        )
        line("recommend", "NTU configs", "-", f"{' '.join(rec['overrides']) or 'defaults'} ({speed})")
    return "\n".join(lines)


def format_markdown(data: dict[str, Any]) -> str:
    """The Markdown file of --out: what ran where, whether it finished, and the table."""
    env = data.get("environment", {})
    state = "finished " + data["finished"] if data.get("finished") else (
        "interrupted" if data.get("interrupted") else "running (or killed)")  # fmt: skip
    head = (
        f"GPU check ({FORMAT}): {env.get('gpu', env.get('device'))}, torch {env.get('torch')}, CUDA {env.get('cuda')}, "
        f"cuDNN {env.get('cudnn')}, {env.get('cpu_count')} CPUs; started {data.get('started')}, {state}"
    )
    return head + "\n\n" + format_table(data)


# ---------------------------------------------------------------------------------------------------- main


def budgets(settings: Settings) -> dict[str, float]:
    """Each section's time budget in seconds: the default or --quick table, times --budget-scale."""
    table = QUICK_BUDGET_S if settings.quick else BUDGET_S
    return {name: seconds * settings.budget_scale for name, seconds in table.items()}


def budget_line(settings: Settings, sections: list[str]) -> str:
    """The run's budget arithmetic, printed at the start."""
    b = budgets(settings)
    total = sum(b[n] for n in sections)
    return " + ".join(f"{n} {b[n]:.0f}" for n in sections) + f" = {total:.0f} s ({total / 60:.1f} min)"


def run_section(run: Run, name: str) -> None:
    """Run one section within its budget; an exception is recorded as the section's error. After a CUDA error
    that leaves this process's context unusable, the sections that need it are skipped; subprocesses still run."""
    budget = Budget(budgets(run.settings)[name])
    run.report.open(name, budget.seconds)
    logger.info("[%s] start, budget %.0f s", name, budget.seconds)
    start, error = time.perf_counter(), None
    if run.broken and name in IN_PROCESS:
        run.report.add(name, skipped("(section)", f"this process's CUDA context is unusable after: {run.broken}"))
    else:
        try:
            CHECKS[name](run, budget, lambda row: run.report.add(name, row))
        except Exception as err:  # noqa: BLE001 - a failing section is recorded and the next one runs
            error = f"{type(err).__name__}: {err}"
            logger.error("[%s] failed: %s\n%s", name, error, traceback.format_exc())
    try:
        release_memory(run.device)
    except Exception as err:  # noqa: BLE001 - a sticky CUDA error (e.g. an illegal memory access) raises here
        run.broken = f"{type(err).__name__}: {err}"[:300]
        error = (error + "; " if error else "") + f"releasing memory: {run.broken}"
        logger.error("[%s] CUDA unusable: %s", name, run.broken)
    seconds = time.perf_counter() - start
    status = section_status(run.report.rows(name), error)
    run.report.close(name, status, seconds, error)
    logger.info("[%s] %s in %.0f s", name, status, seconds)


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 warm-up + 2 timed steps, float32 checks only, compile of one preset, 1,008-sample split",
    )
    parser.add_argument(
        "--out", required=True, help=f"folder for {OUT_JSON} and {OUT_TABLE}, rewritten after every measurement"
    )
    parser.add_argument(
        "--device", default="cuda", choices=["cuda", "cpu"], help="cpu: the same sections on the CPU (use tiny sizes)"
    )
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="which sections to run")
    parser.add_argument(
        "--preset", default="paper", choices=["paper", "small"], help="model sizes (small: widths 16/32/64)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="batch of the steps and the run (paper: 32)")
    parser.add_argument(
        "--frames", type=int, default=300, help="T of the steps (paper: 300); the run's window when < 300"
    )
    parser.add_argument(
        "--workers", type=int, default=min(8, os.cpu_count() or 1), help="DataLoader workers of the run"
    )
    parser.add_argument(
        "--split-samples", type=int, default=None, help="synthetic files (default 3,360, the full set; --quick 1,008)"
    )
    parser.add_argument("--amp", default="bf16", choices=["bf16", "fp32"], help="precision of the real run")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile measurements")
    parser.add_argument("--budget-scale", type=float, default=1.0, help="multiply every section's time budget")
    parser.add_argument(
        "--tmp-dir", default=None, help="where the synthetic split and runs go (default: the system's temp)"
    )
    args = parser.parse_args(argv)
    settings = Settings(
        device=args.device,
        quick=args.quick,
        preset=args.preset,
        batch_size=args.batch_size,
        frames=args.frames,
        warmup=1 if args.quick else 2,
        steps=2 if args.quick else 5,
        workers=args.workers,
        split_samples=args.split_samples if args.split_samples is not None else (1008 if args.quick else None),
        amp=args.amp,
        compile=not args.no_compile,
        compile_presets=1 if args.quick else len(PRESETS),
        budget_scale=args.budget_scale,
    )
    return args, settings


def no_gpu_line() -> str:
    build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
    return (
        f"gpu_check: no CUDA GPU visible (torch {torch.__version__}, {build}); nothing was checked. "
        "Run it on a machine with a GPU and a CUDA build of torch, or use --device cpu with tiny sizes."
    )


def main(argv: list[str] | None = None) -> int:
    args, settings = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S", stream=sys.stderr
    )
    header = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv if argv is None else argv,
        "settings": asdict(settings),
    }
    if settings.device == "cuda" and not torch.cuda.is_available():  # preflight: a CUDA-less torch must not pass
        report = Report(Path(args.out), {**header, "environment": environment(torch.device("cpu"))})
        report.open("preflight", 0)
        report.add("preflight", checked("CUDA", False, no_gpu_line()))
        report.close("preflight", "failed", 0.0, "no CUDA GPU visible")
        print(no_gpu_line(), file=sys.stderr)
        return 2
    device = torch.device(settings.device)
    report = Report(Path(args.out), {**header, "environment": environment(device)})
    sections = [n for n in SECTIONS if n in args.sections or n == "preflight"]
    gpu = report.data["environment"].get("gpu", device)
    logger.info("%s, torch %s; results in %s", gpu, torch.__version__, report.out)
    logger.info("budget: %s", budget_line(settings, sections))
    report.data["budget_s"] = budgets(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="sttr-gpu-check-", dir=args.tmp_dir) as tmp:
            run = Run(settings, device, report, Path(tmp))
            for name in sections:
                run_section(run, name)
    except BaseException:
        report.data["interrupted"] = True
        report.write()
        raise
    report.data["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    report.write()
    env = report.data["environment"]
    print(
        f"GPU check: {env.get('gpu', env['device'])}, torch {env['torch']}, CUDA {env.get('cuda')}, "
        f"{env['cpu_count']} CPUs; batch {settings.batch_size}, T = {settings.frames}; results: {report.out}"
    )
    print(format_table(report.data))
    return 1 if any(s["status"] == "failed" for s in report.data["sections"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
