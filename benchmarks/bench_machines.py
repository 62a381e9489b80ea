"""Do the committed results survive another CPU kind? Retrain a profile's runs with other CPU kernels and check.

CPU results depend on the instruction set the kernels use: AVX-512 and AVX2 machines round differently in the
last bits, and training diverges from there. PyTorch and oneDNN can be told to use a lower instruction set
(``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``), which reproduces another machine kind's numerics on this
one. For each setting this script trains every run of the profile (as ``make reproduce`` does: same seeds,
same single-thread processes) into a folder of its own, then prints, per stream, the mean ± sd over seeds
against the committed interval (``results/<profile>/summary.csv``: mean ± 2 sd) and every claim's verdict
against the committed one (``results/<profile>/claims.csv``); both tables also go to
``results/<profile>/bench_machines_{means,verdicts}.{csv,md}``, which notebooks 05 and 09 show. A verdict whose
Holm-corrected p lies between 0.0125 and 0.2 (within a factor of 4 of 0.05) is marked as near the edge.

    python benchmarks/bench_machines.py                    # AVX2 kernels on this machine (about as long as the
                                                           # training of make reproduce)
    python benchmarks/bench_machines.py --isa native avx2  # also retrain with this machine's own kernels
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sttr.companion import open_companion  # noqa: E402
from sttr.evaluation.claims import ProbeTables, claims_table  # noqa: E402
from sttr.evaluation.findings import seed_summary  # noqa: E402
from sttr.evaluation.probes import pair_seeds, probe_seeds  # noqa: E402
from sttr.evaluation.reproducibility import compare_claims, compare_summaries  # noqa: E402
from sttr.evaluation.tables import write_table  # noqa: E402
from sttr.runtime import cpu_isa, cpu_model, tune_cpu_allocator  # noqa: E402
from sttr.streams import TRAINED  # noqa: E402

SCRIPT = Path(__file__).stem  # the tables this script writes are named after it
# Environment of each setting: the kernels PyTorch (ATen) and oneDNN may use.
SETTINGS = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}


def machine() -> str:
    """The CPU model, its widest vector extension and its logical CPUs (the retrain's machine)."""
    return f"{cpu_model()} ({cpu_isa()}, {os.cpu_count()} logical CPUs)"


def retrain(profile: str, setting: str, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train the profile's runs with ``setting``'s kernels into ``folder``: (summary over seeds, claims)."""
    os.environ.update(SETTINGS[setting])  # inherited by the training processes
    run = open_companion(profile)
    run = run.with_runs_dir(folder / setting)
    for stream in TRAINED:
        run.train_stream(stream)
    numbers, _ = seed_summary(run.run_table())
    study = run.attention_study("spatial")
    probes = None
    if run.relative_config().is_file():  # the control and the probes of notebook 08, with its defaults
        results = run.probe_study(seed=0)  # trains the control first
        probes = ProbeTables(probe_seeds(results), pair_seeds(results), run.order_invariance(samples=16))
    return numbers, claims_table(run.all_scores(), attention=study.per_seed, probes=probes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="mini")
    parser.add_argument("--isa", nargs="+", default=["avx2"], choices=sorted(SETTINGS))
    parser.add_argument("--keep", metavar="DIR", default=None, help="train into DIR (default: a temporary folder)")
    args = parser.parse_args()
    tune_cpu_allocator()
    results = ROOT / "results" / args.profile
    committed_summary = pd.read_csv(results / "summary.csv")
    committed_claims = pd.read_csv(results / "claims.csv")
    print(f"machine: {machine()}; profile {args.profile}; {time.strftime('%Y-%m-%d')}")
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        for setting in args.isa:
            t0 = time.perf_counter()
            summary, claims = retrain(args.profile, setting, folder)
            minutes = (time.perf_counter() - t0) / 60
            print(f"\n== kernels: {setting} {SETTINGS[setting] or '(this machine)'}; {minutes:.1f} min ==")
            means = compare_summaries(committed_summary, summary).assign(kernels=setting)
            verdicts = compare_claims(committed_claims, claims).assign(kernels=setting)
            print(means.to_string(index=False))
            print(verdicts.to_string(index=False))
            tables.append((means, verdicts))
    caption = f"(profile {args.profile}; retrained on {machine()}, {time.strftime('%Y-%m-%d')}, bench_machines.py)"
    write_table(pd.concat([t[0] for t in tables]), results / f"{SCRIPT}_means",
                caption=f"**Committed means against a retrain with other CPU kernels** {caption}")
    write_table(pd.concat([t[1] for t in tables]), results / f"{SCRIPT}_verdicts",
                caption=f"**Committed verdicts against a retrain with other CPU kernels** {caption}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
