"""Speed of the stream networks: forward and training step, fused vs explicit attention vs the authors' structure.

Prints one table: per stream and preset (paper: batch 4, T=300, M=2; small), seconds per batch for a
forward pass (eval, no grad) and a forward+backward step (train mode), samples/s, peak memory, GFLOP/s,
and the training-step speed-up of our layout over the authors' structure (three separate subset convs,
explicit attention, their permute/reshape layout), re-implemented below on the same parameters. Each
row runs in a fresh subprocess so that peak RSS is its own. CUDA rows (fp32, bf16 autocast) are added
when a GPU is present.

    python benchmarks/bench_models.py [--quick] [--streams spatial temporal stgcn] [--threads 2]
    python benchmarks/bench_models.py --interleave 3 --presets paper   # only the step ratio, paths alternated
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import subprocess
import sys
import time

import pandas as pd
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from sttr.models import ModelConfig, build_model
from sttr.models.attention import SpatialSelfAttention, TemporalSelfAttention
from sttr.models.units import UniformDropout, UnitTCN, joint_batch_norm


def _authors_attention(self, x, heads_axis_tokens: str):
    """The authors' SSA/TSA attention branch: tokens moved into the batch before the qkv conv."""
    n, c, t, v = x.shape
    h = joint_batch_norm(self.data_bn, x)  # (N, C, T, V)
    qkv_conv, attn_out = self._convs()
    if heads_axis_tokens == "V":
        h = h.permute(0, 2, 1, 3).reshape(n * t, c, 1, v)  # (N*T, C, 1, V): tokens = joints
    else:
        h = h.permute(0, 3, 1, 2).reshape(n * v, c, 1, t)  # (N*V, C, 1, T): tokens = frames
    qkv = qkv_conv(h)  # (B, 2*d_k + d_v, 1, L)
    b, _, _, length = qkv.shape
    q, k, val = torch.split(qkv, [self.d_k, self.d_k, self.d_v], dim=1)
    nh = self.heads
    q = q.reshape(b, nh, self.d_k // nh, length) * (self.d_k // nh) ** -0.5  # (B, N_h, d_kh, L)
    k = k.reshape(b, nh, self.d_k // nh, length)  # (B, N_h, d_kh, L)
    val = val.reshape(b, nh, self.d_v // nh, length)  # (B, N_h, d_vh, L)
    weights = F.softmax(torch.matmul(q.transpose(2, 3), k), dim=-1)  # (B, N_h, L, L)
    if self.training and self.drop_attention.p > 0:
        mask = torch.bernoulli(0.5 * torch.ones(b * nh * length, device=x.device))
        mask = mask.reshape(b, nh, length).unsqueeze(2).expand(b, nh, length, length)  # (B, N_h, L, L)
        weights = weights * mask
        weights = weights / (weights.sum(3, keepdim=True) + 1e-8)
    out = torch.matmul(weights, val.transpose(2, 3))  # (B, N_h, L, d_vh)
    out = out.reshape(b, nh, 1, length, self.d_v // nh).permute(0, 1, 4, 2, 3)  # (B, N_h, d_vh, 1, L)
    out = attn_out(out.reshape(b, self.d_v, 1, length))  # (B, d_v, 1, L)
    if heads_axis_tokens == "V":
        return out.reshape(n, t, self.d_v, v).permute(0, 2, 1, 3)  # (N, d_v, T, V)
    return out.reshape(n, v, self.d_v, length).permute(0, 2, 3, 1)  # (N, d_v, T', V)


class AuthorsSSA(SpatialSelfAttention):
    """SSA in the authors' layout (frames moved into the batch), explicit attention."""

    def forward(self, x, return_weights=False, keep=None):
        z = _authors_attention(self, x, "V")
        if self.skip:
            z = z + x
        return self.relu(self.bn(z)), None


class AuthorsTSA(TemporalSelfAttention):
    """TSA in the authors' layout (joints moved into the batch), explicit attention."""

    def forward(self, x, return_weights=False, keep=None):
        z = _authors_attention(self, x, "T")
        return self.relu(self.bn(z + self.down(x))), None


class AuthorsTCN(UnitTCN):
    """TCN with the authors' dropout: ``nn.Dropout`` (a ``torch.bernoulli`` mask)."""

    def forward(self, x):
        if isinstance(self.dropout, UniformDropout):
            x = F.dropout(x, self.dropout.p, self.training)
        return self.relu(self.bn(self.conv(x)))


def authors_structure(model: torch.nn.Module) -> torch.nn.Module:
    """Swap our units for the authors' structure in place (same parameters, same function). The GCN is the
    authors' per-subset form in both (it measured fastest, so ours uses it)."""
    swaps = {
        UnitTCN: AuthorsTCN, SpatialSelfAttention: AuthorsSSA, TemporalSelfAttention: AuthorsTSA
    }  # fmt: skip
    for module in model.modules():
        if type(module) in swaps:
            module.__class__ = swaps[type(module)]
    return model


def _time(fn, reps: int, warmup: int, sync, best: bool = False) -> float:
    """Median (or, with ``best``, minimum) seconds of ``fn`` over ``reps`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return min(times) if best else sorted(times)[len(times) // 2]


def worker(spec: dict) -> dict:
    """Measure one row (runs in its own process)."""
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    fused = {"fused": True, "explicit": False}.get(spec["path"])  # None: ours as built by default
    cfg = ModelConfig.preset(spec["preset"], stream=spec["stream"], fused_attention=fused)
    device = torch.device(spec["device"])
    model = build_model(cfg).to(device)
    if spec["path"] == "authors":
        model = authors_structure(model)
    n, t = spec["batch"], spec["frames"]
    x = torch.randn(n, cfg.in_channels, t, cfg.num_joints, cfg.num_persons, device=device)
    y = torch.randint(0, cfg.num_classes, (n,), device=device)
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    dtype = torch.bfloat16 if spec["dtype"] == "bf16" else None

    def forward():
        model.eval()
        with torch.no_grad(), torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            model(x)

    def step():
        model.train()
        model.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = F.cross_entropy(model(x), y)
        loss.backward()

    if spec.get("train_only"):
        return {"path": spec["path"], "train_s": _time(step, spec["reps"], spec["warmup"], sync, best=True)}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    fwd = _time(forward, spec["reps"], spec["warmup"], sync)
    train = _time(step, spec["reps"], spec["warmup"], sync)
    if cuda:
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    with FlopCounterMode(display=False) as counter:
        step()
    flops = counter.get_total_flops()
    return {
        "stream": spec["stream"], "preset": spec["preset"], "device": spec["device"], "dtype": spec["dtype"],
        "path": spec["path"], "fwd_s": fwd, "train_s": train, "train_samples_s": n / train,
        "peak_mb": peak_mb, "train_gflop": flops / 1e9, "gflop_s": flops / 1e9 / train,
    }  # fmt: skip


def interleaved(stream: str, preset: str, threads: int, batch: int, frames: int, rounds: int) -> dict:
    """Training-step seconds of the three paths alternated step by step in one process (same parameters),
    so that load from other processes on a shared machine hits all paths alike; best of ``rounds``."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    base = build_model(ModelConfig.preset(preset, stream=stream, fused_attention=True))
    models = {"fused": base, "explicit": copy.deepcopy(base), "authors": authors_structure(copy.deepcopy(base))}
    for module in models["explicit"].modules():
        if hasattr(module, "fused"):
            module.fused = False
    cfg = base.cfg
    x = torch.randn(batch, cfg.in_channels, frames, cfg.num_joints, cfg.num_persons)
    y = torch.randint(0, cfg.num_classes, (batch,))
    times: dict[str, list[float]] = {k: [] for k in models}
    for r in range(rounds + 1):
        for name, model in models.items():
            model.train()
            model.zero_grad(set_to_none=True)
            start = time.perf_counter()
            F.cross_entropy(model(x), y).backward()
            if r:  # round 0 warms up
                times[name].append(time.perf_counter() - start)
    best = {k: min(v) for k, v in times.items()}
    default = "explicit" if stream == "spatial" else "fused"  # what fused_attention=None picks on CPU
    return {
        "stream": stream, "preset": preset, **{f"{k}_train_s": v for k, v in best.items()},
        "speedup_fused": best["authors"] / best["fused"], "speedup_explicit": best["authors"] / best["explicit"],
        "default_path": default, "speedup_default": best["authors"] / best[default],
    }  # fmt: skip


def _run_worker(spec: dict) -> dict:
    """One measurement in a fresh process; the authors' rows run without our allocator setting, as their
    code does (``STTR_NO_MALLOPT=1``), ours with what ``build_model`` sets."""
    env = {**os.environ, "STTR_NO_MALLOPT": "1"} if spec["path"] == "authors" else None
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)],
                         capture_output=True, text=True, check=True, env=env)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def separate(stream: str, preset: str, threads: int, batch: int, frames: int, rounds: int) -> dict:
    """Training-step seconds of ours (default attention choice) and the authors' structure, each in its own
    fresh process (2 warm-up steps, best of 3), processes alternated for ``rounds`` rounds; best of rounds
    (least disturbed by others)."""
    times: dict[str, list[float]] = {"ours": [], "authors": []}
    for _ in range(rounds):
        for path, key in (("default", "ours"), ("authors", "authors")):
            spec = dict(stream=stream, preset=preset, device="cpu", dtype="fp32", path=path, threads=threads,
                        batch=batch, frames=frames, reps=3, warmup=2, train_only=True)  # fmt: skip
            times[key].append(_run_worker(spec)["train_s"])
    best = {k: min(v) for k, v in times.items()}
    return {"stream": stream, "preset": preset, "ours_train_s": best["ours"], "authors_train_s": best["authors"],
            "speedup": best["authors"] / best["ours"]}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 warm-up and 2 timed runs (default 1 and 5)")
    parser.add_argument("--streams", nargs="+", default=["spatial", "temporal", "stgcn"])
    parser.add_argument("--presets", nargs="+", default=["paper", "small"])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--interleave", type=int, default=0, metavar="ROUNDS",
                        help="only the training-step ratio, paths alternated for ROUNDS rounds in one process")
    parser.add_argument("--separate", type=int, default=0, metavar="ROUNDS",
                        help="only the training-step ratio, ours and the authors' each in fresh processes, alternated")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    for rounds, measure, title in (
        (args.separate, separate, "training steps in separate processes (ours: default attention path, allocator "
                                  "setting on; authors: STTR_NO_MALLOPT=1)"),
        (args.interleave, interleaved, "interleaved training steps"),
    ):  # fmt: skip
        if rounds:
            rows = [measure(stream, preset, args.threads, args.batch, args.frames, rounds)
                    for stream in args.streams for preset in args.presets]  # fmt: skip
            print(f"# {title}, torch {torch.__version__}, threads {args.threads}, batch {args.batch}, "
                  f"T={args.frames}, best of {rounds} rounds")  # fmt: skip
            print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
            return 0
    targets = [("cpu", "fp32")]
    if torch.cuda.is_available():
        targets += [("cuda", "fp32"), ("cuda", "bf16")]
    rows = []
    for stream in args.streams:
        for preset in args.presets:
            for device, dtype in targets:
                for path in ("fused", "explicit", "authors"):
                    spec = dict(
                        stream=stream, preset=preset, device=device, dtype=dtype, path=path,
                        threads=args.threads, batch=args.batch, frames=args.frames,
                        reps=2 if args.quick else 5, warmup=1,
                    )  # fmt: skip
                    rows.append(_run_worker(spec))
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    key = ["stream", "preset", "device", "dtype"]
    authors = table[table.path == "authors"].set_index(key)["train_s"]
    table["speedup_vs_authors"] = [
        authors[tuple(r[k] for k in key)] / r["train_s"] for _, r in table.iterrows()
    ]
    print(f"# torch {torch.__version__}, {platform.processor() or platform.machine()}, threads {args.threads}, "
          f"batch {args.batch}, T={args.frames}, M=2")  # fmt: skip
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
