"""What the numbered notebooks share: one profile's folders, its data, and its training runs over seeds.

A notebook turns its ``parameters`` cell into a ``Companion`` with ``open_companion(...)`` and then calls
library functions through it, so the same notebook serves the synthetic mini profile and the NTU profiles.
Every stream is trained with each of the profile's seeds on joints, and with its bones seeds on joints +
bones (``runs`` in ``profile.yaml``); each run lives in ``runs/<profile>/<stream>[_bones]/seed<k>/``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Subset

from sttr.checkpoint import LoadedModel, load_checkpoint
from sttr.data.dataset import SkeletonDataset
from sttr.data.registry import REGISTRY
from sttr.evaluation.attention import AttentionStudy, attention_maps, study_over_seeds
from sttr.evaluation.claims import ProbeTables
from sttr.evaluation.findings import Runs
from sttr.evaluation.inference import evaluate_checkpoint
from sttr.evaluation.probes import RELATIVE_TITLE, ProbeResult, order_invariance, run_probes
from sttr.evaluation.scores import Scores, load_scores
from sttr.evaluation.tables import write_table
from sttr.experiment import ExperimentConfig, Profile, list_profiles, load_profile
from sttr.plots import save_figure
from sttr.paper import GAIN_CLASSES
from sttr.rehearse import FOLDER as REHEARSAL_FOLDER
from sttr.rehearse import Rehearsal, overrides_from_env, stamp, subset_split
from sttr.repo import repo_root
from sttr.skeleton import NTU, Layout, layout_of_joints
from sttr.streams import INPUT_TITLES, STREAMS, TITLES, TRAINED
from sttr.sweep import Run, train_runs
from sttr.train import BEST_SCORES, LAST_SCORES, METRICS_FILE, read_metrics

log = logging.getLogger(__name__)

BENCHMARK_TITLES = {"xsub": "X-Sub", "xview": "X-View", "xset": "X-Set"}
ATTENTION_SEEDS = "attention_ssa_seeds"  # the table of notebook 07 that the claims read
AUTHORS_SEED = 0  # the "seed" under which an evaluated checkpoint (ours or the authors') is listed
RELATIVE_EXPERIMENT = "temporal_relative"  # the experiment file of T-TR with the authors' relative positions
PROBE_TABLES = ("probes_seeds", "probes_pairs_seeds", "probes_order_blind")  # notebook 08's tables the claims read


@dataclass(frozen=True)
class Companion:
    """One notebook run's settings (from its ``parameters`` cell) and the folders and runs they imply."""

    profile: Profile
    root: Path
    epochs: int | None = None
    device: str = "cpu"
    seeds: tuple[int, ...] = (1,)
    bones_seeds: tuple[int, ...] = ()
    workers: int = 1
    progress: bool = False
    runs_dir: Path | None = None  # where the runs go instead of the profile's runs_dir (e.g. a benchmark's)
    overrides: tuple[str, ...] = ()  # dotted train/data/model overrides of every run (pipeline -p train.x=...)
    rehearsal: Rehearsal | None = None  # a rehearsal (sttr.rehearse): ``profile`` is then its view of full_profile
    full_profile: Profile | None = None  # the profile rehearsed, whose prepared data the rehearsal subsets

    @property
    def results_dir(self) -> Path:
        """``results/<profile>/``: tables (CSV and Markdown); ``results/rehearsal/<profile>/`` for a rehearsal."""
        return self.root / "results" / self._folder

    @property
    def figures_dir(self) -> Path:
        """``figures/<profile>/``: PNG and SVG figures; ``figures/rehearsal/<profile>/`` for a rehearsal."""
        return self.root / "figures" / self._folder

    @property
    def _folder(self) -> str:
        return f"{REHEARSAL_FOLDER}/{self.profile.name}" if self.rehearsal else self.profile.name

    @property
    def synthetic(self) -> bool:
        return self.profile.dataset.startswith("synthetic")

    @property
    def data_label(self) -> str:
        """What every table and figure names as its data, e.g. ``NTU RGB+D 60, X-Sub split``."""
        dataset = REGISTRY[self.profile.dataset].title
        rehearsal = f"REHEARSAL ({self.rehearsal.describe()}), not a result: " if self.rehearsal else ""
        if not self.profile.benchmark:
            return f"{rehearsal}{dataset}, validation split"
        return f"{rehearsal}{dataset}, {BENCHMARK_TITLES.get(self.profile.benchmark, self.profile.benchmark)} split"

    def seeds_of(self, bones: bool) -> tuple[int, ...]:
        """The seeds this run trains on joints (``bones`` False) or joints + bones."""
        return self.bones_seeds if bones else self.seeds

    # runs ---------------------------------------------------------------------------------------

    def _settings(self) -> tuple[str, ...]:
        overrides = [f"train.device={self.device}"]
        if self.epochs is not None:
            overrides.append(f"train.epochs={self.epochs}")
        if self.profile.runs.threads is not None:
            overrides.append(f"train.threads={self.profile.runs.threads}")
        return tuple(overrides)

    def real_overrides(self) -> tuple[str, ...]:
        """The overrides of the profile's own runs (device, epochs, threads, the pipeline's), without a rehearsal's."""
        return (*self._settings(), *self.overrides)

    def _overrides(self) -> tuple[str, ...]:
        if self.rehearsal is None:
            return self.real_overrides()
        rehearsal = (*self.rehearsal.overrides(self.device), f"data.dir={self.profile.split_dir}")
        return (*self._settings(), *rehearsal, *self.overrides)  # the pipeline's last: -p train.batch_size=8 holds

    def run(self, stream: str, bones: bool, seed: int) -> Run:
        """One training run of this profile: ``stream`` on joints or joints + bones with ``seed``."""
        config = self.profile.config_path(stream, bones)
        overrides = self._overrides()
        if self.runs_dir is not None:
            overrides += (f"out_dir={self.runs_dir / config.stem}",)
        return Run(config, seed, overrides)

    def with_runs_dir(self, folder: Path) -> Companion:
        """The same runs, trained into (and read from) ``folder`` instead of the profile's runs folder."""
        return dataclasses.replace(self, runs_dir=Path(folder))

    def experiment(self, stream: str, bones: bool = False, seed: int | None = None) -> ExperimentConfig:
        """The effective config of one run (default: the first seed; the first joints seed where no bones seed is
        declared, as in the Kinetics profiles)."""
        return self.run(stream, bones, (self.seeds_of(bones) or self.seeds)[0] if seed is None else seed).experiment()

    def run_dir(self, stream: str, bones: bool, seed: int) -> Path:
        """``runs/<profile>/<stream>[_bones]/seed<k>``: one run's checkpoints, metrics and scores."""
        if seed == AUTHORS_SEED:
            return Path(self.experiment(stream, bones).out_dir).parent / "checkpoint"
        return self.run(stream, bones, seed).out_dir

    def train_stream(self, stream: str, checkpoint: str | Path | None = None) -> pd.DataFrame:
        """Train ``stream`` with every seed on joints and every bones seed on joints + bones (``workers`` at a
        time; finished runs are kept), or, given ``checkpoint`` (ours or the authors'), evaluate that instead.
        Returns ``run_table`` of the stream."""
        if checkpoint is not None:
            out = self.run_dir(stream, False, AUTHORS_SEED)
            evaluate_checkpoint(checkpoint, self.profile.split_dir, device=self.device, progress=self.progress,
                                out=out / LAST_SCORES)  # fmt: skip
            return self.run_table([stream])
        runs = [self.run(stream, bones, seed) for bones in (False, True) for seed in self.seeds_of(bones)]
        train_runs(runs, workers=self.workers)
        return self.run_table([stream])

    def _done(self, stream: str, bones: bool) -> list[int]:
        """The seeds (or ``AUTHORS_SEED``) of this stream that have last-epoch scores."""
        seeds = [AUTHORS_SEED, *self.seeds_of(bones)]
        return [s for s in seeds if (self.run_dir(stream, bones, s) / LAST_SCORES).is_file()]

    def scores(self, stream: str, bones: bool = False, which: str = "last") -> dict[int, Scores]:
        """Validation scores of every finished run of a stream, by seed: of the ``last`` epoch (what we report)
        or of the ``best`` validation epoch (the authors' selection)."""
        name = {"last": LAST_SCORES, "best": BEST_SCORES}[which]
        found = {s: self.run_dir(stream, bones, s) / name for s in self._done(stream, bones)}
        found = {s: p for s, p in found.items() if p.is_file()}
        if not found:
            raise FileNotFoundError(
                f"no {INPUT_TITLES[bones]} runs of {stream} under {self.run_dir(stream, bones, self.seeds_of(bones)[0]).parent}; "
                f"run notebooks/{STREAMS[stream].notebook}.ipynb first"
            )
        return {s: load_scores(p) for s, p in found.items()}

    def all_scores(self, which: str = "last") -> Runs:
        """Validation scores of every finished run of this profile by (stream, bones) and seed."""
        found: dict[tuple[str, bool], dict[int, Scores]] = {}
        for stream in TRAINED:
            for bones in (False, True):
                if self._done(stream, bones):
                    found[(stream, bones)] = self.scores(stream, bones, which)
        return found

    def metrics(self, stream: str, bones: bool = False) -> pd.DataFrame:
        """Per-epoch metrics of every trained run of a stream, one row per (seed, epoch)."""
        frames = []
        for seed in self._done(stream, bones):
            path = self.run_dir(stream, bones, seed) / METRICS_FILE
            if path.is_file():
                frames.append(pd.read_json(path, lines=True).assign(seed=seed))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def checkpoint(self, stream: str, bones: bool = False, seed: int | None = None) -> Path:
        """The last-epoch checkpoint of one trained run (default: the first seed)."""
        path = self.run_dir(stream, bones, self.seeds_of(bones)[0] if seed is None else seed) / "last.pt"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no checkpoint for {stream}; train it first")
        return path

    def run_table(self, streams: tuple[str, ...] | list[str] = TRAINED) -> pd.DataFrame:
        """One row per finished run: stream, input, seed, epochs, top-1 / top-5 of the last epoch (%), and the
        best validation epoch with its top-1 (the authors' selection, reported apart)."""
        rows = []
        for stream in streams:
            for bones in (False, True):
                for seed in self._done(stream, bones):
                    rows.append(self._run_row(stream, bones, seed))
        return pd.DataFrame(rows)

    def _run_row(self, stream: str, bones: bool, seed: int) -> dict[str, Any]:
        out = self.run_dir(stream, bones, seed)
        last = load_scores(out / LAST_SCORES)
        row: dict[str, Any] = {
            "model": TITLES[stream],
            "input": INPUT_TITLES[bones],
            "seed": "checkpoint" if seed == AUTHORS_SEED else seed,
            "epochs": np.nan,
            "top-1 last (%)": 100.0 * last.top1(),
            "top-5 last (%)": 100.0 * last.top5(),
            "top-1 best (%)": np.nan,
            "best epoch": np.nan,
        }
        rows = read_metrics(out / METRICS_FILE)
        if rows:
            evaluated = [r for r in rows if "top1" in r]
            best = max(evaluated, key=lambda r: r["top1"])  # the first epoch reaching the best top-1
            row.update({"epochs": rows[-1]["epoch"], "top-1 best (%)": 100.0 * best["top1"], "best epoch": best["epoch"]})
        return row

    # trained models -------------------------------------------------------------------------------

    def model(self, stream: str, bones: bool = False, seed: int | None = None) -> LoadedModel:
        """The model of one run at its last epoch, in eval mode on the CPU."""
        return load_checkpoint(self.checkpoint(stream, bones, seed))

    def validation_set(self, loaded: LoadedModel) -> SkeletonDataset:
        """The validation split fed as ``loaded`` was trained (its modality and window rule)."""
        kw = {"window": loaded.window, "resample": loaded.resample} if loaded.window else {}
        return SkeletonDataset.from_dir(self.profile.split_dir, split="val", modality=loaded.modality, **kw)

    def analysed(self, labels: np.ndarray, per_class: int | None = None) -> np.ndarray:
        """Indices of the validation samples an analysis reads: the first ``per_class`` of each class (None: all),
        or a rehearsal's ``analysis`` samples (``Rehearsal.analysed``)."""
        labels = np.asarray(labels)
        if self.rehearsal is not None:
            return np.asarray(self.rehearsal.analysed(labels.tolist()), dtype=np.int64)
        if per_class is None:
            return np.arange(len(labels))
        return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)])

    def correct_samples(self, streams: tuple[str, ...] = ("spatial", "temporal")) -> list[int]:
        """Validation samples that the first seed of every one of ``streams`` classifies correctly."""
        scores = [self.scores(stream)[self.seeds[0]] for stream in streams]
        right = np.logical_and.reduce([s.scores.argmax(axis=1) == s.labels for s in scores])
        return np.flatnonzero(right).tolist()

    def attention_study(self, stream: str, per_class: int = 8, permutations: int = 999) -> AttentionStudy:
        """Measure the attention of every seed of ``stream`` (S-TR: SSA, T-TR: TSA) on ``per_class`` validation
        samples of each class (``sttr.evaluation.attention.study_over_seeds``)."""
        loaded = {seed: self.model(stream, seed=seed) for seed in self.seeds}
        models = {seed: m.model for seed, m in loaded.items()}
        ds = self.validation_set(loaded[self.seeds[0]])  # every seed is fed as the first was
        labels = np.asarray(ds.labels)
        chosen = self.analysed(labels, per_class)
        xs = np.stack([ds[int(i)][0].numpy() for i in chosen])  # (S, C, T, V, M)
        return study_over_seeds(models, xs, labels[chosen], tuple(ds.class_names), permutations)

    def attention_evidence(self) -> pd.DataFrame | None:
        """Per seed, the SSA class contrast and its label-permutation null that notebook 07 saved, or None
        before it ran."""
        path = self.results_dir / f"{ATTENTION_SEEDS}.csv"
        return pd.read_csv(path) if path.is_file() else None

    # outputs ------------------------------------------------------------------------------------

    def provenance(self) -> dict[str, str]:
        """What every saved table carries: data, profile, seeds and epochs."""
        epochs = self.epochs if self.epochs is not None else self.experiment("stgcn").train.epochs
        seeds = " ".join(map(str, self.seeds))
        bones = " ".join(map(str, self.bones_seeds)) or "none"
        meta = {"data": self.data_label, "profile": self.profile.name, "seeds": f"{seeds} (bones: {bones})",
                "epochs": str(epochs)}  # fmt: skip
        if self.overrides:
            meta["overrides"] = " ".join(self.overrides)
        return meta

    def save_table(
        self, df: pd.DataFrame, stem: str, title: str, markdown: pd.DataFrame | None = None, decimals: int = 1
    ) -> pd.DataFrame:
        """Write ``df`` to ``results/<profile>/<stem>.{csv,md}``: the CSV with provenance columns (data, profile,
        seeds, epochs), the Markdown (``markdown`` if given, e.g. formatted cells; numbers to ``decimals``) with a
        caption naming them. Returns ``df``."""
        meta = self.provenance()
        caption = f"**{title}** (" + "; ".join(f"{k}: {v}" for k, v in meta.items()) + ")"
        shown = df if markdown is None else markdown
        write_table(df.assign(**meta), self.results_dir / stem, caption=caption, markdown=shown,
                    float_format=f"{{:.{decimals}f}}")  # fmt: skip
        return df

    def machine_check(self, table: str = "means") -> pd.DataFrame | str:
        """The committed ``means`` or claim ``verdicts`` against a retrain with another CPU kind's kernels
        (``benchmarks/bench_machines.py``), or a note when it has not been run for this profile."""
        if table not in ("means", "verdicts"):
            raise ValueError(f"machine_check table must be 'means' or 'verdicts', got {table!r}")
        path = self.results_dir / f"bench_machines_{table}.csv"
        if not path.is_file():
            return (f"not measured for profile {self.profile.name} with these results: run "
                    f"python benchmarks/bench_machines.py --profile {self.profile.name}")  # fmt: skip
        return pd.read_csv(path, dtype=str, keep_default_na=False)  # cells as written ("n/a", not NaN)

    def save_figure(self, fig, stem: str) -> None:
        """Write a figure to ``figures/<profile>/<stem>.{png,svg}`` (returns nothing: no paths in notebook outputs);
        a rehearsal's figure is stamped as such."""
        if self.rehearsal:
            stamp(fig)
        save_figure(fig, self.figures_dir, stem)

    def describe(self) -> pd.DataFrame:
        """The run's settings as a two-column table for the top of a notebook."""
        split = self.profile.split_dir
        rows = {
            "profile": self.profile.name,
            "data": self.data_label,
            "prepared split": str(split.relative_to(self.root) if split.is_relative_to(self.root) else split),
            "epochs": self.epochs if self.epochs is not None else "profile default",
            "device": self.device,
            "seeds (joints)": " ".join(map(str, self.seeds)),
            "seeds (joints+bones)": " ".join(map(str, self.bones_seeds)) or "none",
            "training processes at once": self.workers,
        }
        return pd.DataFrame({"setting": list(rows), "value": [str(v) for v in rows.values()]})

    # data ---------------------------------------------------------------------------------------

    def prepare_data(self, rebuild: bool = False) -> dict[str, Any]:
        """Generate the synthetic raw files (synthetic profiles) and prepare the splits; returns the report.

        Reuses earlier output when its report lists this benchmark, unless ``rebuild``. A rehearsal prepares the
        full profile's data, then copies a few samples of each class of both splits to its own folder.
        """
        if self.rehearsal is not None and self.full_profile is not None:
            full = dataclasses.replace(self, profile=self.full_profile, rehearsal=None, full_profile=None)
            report = full.prepare_data(rebuild)
            counts = subset_split(self.full_profile.split_dir, self.profile.split_dir, self.rehearsal.per_class)
            return {**report, "rehearsal": {"per_class": self.rehearsal.per_class, "counts": counts}}
        from sttr.data.registry import dataset

        entry = dataset(self.profile.dataset)
        report_path = self.profile.prepared_dir / "prepare_report.json"
        if not rebuild and report_path.is_file() and (self.profile.split_dir / "val_label.pkl").is_file():
            report = json.loads(report_path.read_text())
            if not entry.benchmarks or self.profile.benchmark in report.get("benchmarks", []):
                return report
        raw, spec = self.profile.raw_dir, self.profile.synth
        if entry.generate is not None:
            entry.generate(raw, spec.seed, spec.max_samples, self.progress)
        elif not raw.is_dir():
            raise FileNotFoundError(
                f"{raw}: raw {entry.title} folder not found; unpack the dataset there or set ${entry.raw_env} "
                "(see README, Data)"
            )
        return entry.prepare(raw, self.profile.prepared_dir, self.profile.benchmark, self.progress)

    # T-TR with the authors' relative positions, and the probes (notebook 08) --------------------------------

    def relative_config(self) -> Path:
        """``configs/<profile>/temporal_relative.yaml``: T-TR with ``relative: true``, otherwise as temporal.yaml."""
        return self.profile.folder / f"{RELATIVE_EXPERIMENT}.yaml"

    def relative_run(self, seed: int) -> Run:
        """One run of T-TR with relative positions (``relative_config``), in ``runs/<profile>/temporal_relative``."""
        config = self.relative_config()
        if not config.is_file():
            raise FileNotFoundError(f"{config}: profile {self.profile.name} has no T-TR with relative positions")
        overrides = self._overrides()
        if self.runs_dir is not None:
            overrides += (f"out_dir={self.runs_dir / config.stem}",)
        return Run(config, seed, overrides)

    def train_relative(self, beside: Sequence[Callable[[], object]] = ()) -> pd.DataFrame:
        """Train T-TR with relative positions with every joints seed of the profile (finished runs are kept), as
        ``train_stream`` trains T-TR, with the in-process jobs ``beside`` in the slots its runs leave idle; one row
        per run: seed, epochs, top-1 of the last epoch (%). Empty where the profile declares no such control (no
        ``temporal_relative.yaml``)."""
        if not self.relative_config().is_file():
            log.info("profile %s declares no T-TR with relative positions", self.profile.name)
            train_runs([], workers=self.workers, beside=beside)
            return pd.DataFrame(columns=["model", "seed", "epochs", "top-1 last (%)"])
        runs = [self.relative_run(seed) for seed in self.seeds]
        train_runs(runs, workers=self.workers, beside=beside)
        rows = []
        for run in runs:
            metrics = read_metrics(run.out_dir / METRICS_FILE)
            epochs = metrics[-1]["epoch"] if metrics else np.nan
            rows.append({"model": RELATIVE_TITLE, "seed": run.seed, "epochs": epochs,
                         "top-1 last (%)": 100.0 * load_scores(run.out_dir / LAST_SCORES).top1()})  # fmt: skip
        return pd.DataFrame(rows)

    def relative_scores(self) -> dict[int, Scores]:
        """Last-epoch validation scores of the T-TR runs with relative positions, by seed (those finished)."""
        if not self.relative_config().is_file():
            return {}
        found = {s: self.relative_run(s).out_dir / LAST_SCORES for s in self.seeds}
        return {s: load_scores(p) for s, p in found.items() if p.is_file()}

    @contextlib.contextmanager
    def _torch_threads(self) -> Iterator[None]:
        """Torch threads as the profile's training runs use them (``runs.threads``, if set) for in-process work: on a
        busy shared CPU more threads than free cores spin and slow every forward pass down several times."""
        previous, wanted = torch.get_num_threads(), self.profile.runs.threads
        if wanted is not None:
            torch.set_num_threads(wanted)
        try:
            yield
        finally:
            torch.set_num_threads(previous)

    def probe_models(self) -> dict[str, dict[int, Path]]:
        """The last checkpoints the probes read, by model title and seed: every stream's joints runs, then T-TR with
        relative positions where trained."""
        found: dict[str, dict[int, Path]] = {}
        for stream in TRAINED:
            paths = {s: self.run_dir(stream, False, s) / "last.pt" for s in self.seeds}
            found[TITLES[stream]] = {s: p for s, p in paths.items() if p.is_file()}
        if self.relative_config().is_file():
            paths = {s: self.relative_run(s).out_dir / "last.pt" for s in self.seeds}
            found[RELATIVE_TITLE] = {s: p for s, p in paths.items() if p.is_file()}
        return {title: paths for title, paths in found.items() if paths}

    def probe_study(self, seed: int = 0, blocks: list[int] | None = None) -> dict[str, dict[int, ProbeResult]]:
        """``sttr.evaluation.probes.run_probes`` on the validation split for every model of ``probe_models`` (each
        fed as it was trained; the random changes drawn from ``seed``, the same for every model), ``workers`` at a
        time with ``runs.threads`` torch threads, each in a worker process (the forward passes of small models hold
        the GIL: threads would queue). T-TR with relative positions is trained first where a run is missing
        (``train_relative``), the other streams' probes filling the slots its runs leave idle."""
        found: dict[tuple[str, int], ProbeResult] = {}
        procs = ProcessPoolExecutor(max(1, self.workers), mp_context=multiprocessing.get_context("spawn"))

        def probe(title: str, run_seed: int, path: Path) -> None:  # a slot beside the runs waits on its worker
            found[(title, run_seed)] = procs.submit(_probe_worker, self, path, seed, blocks).result()

        with procs:
            streams = [functools.partial(probe, title, s, path) for title, paths in self.probe_models().items()
                       if title != RELATIVE_TITLE for s, path in paths.items()]  # fmt: skip
            self.train_relative(beside=streams)
            relative = self.probe_models().get(RELATIVE_TITLE, {})
            futures = {s: procs.submit(_probe_worker, self, path, seed, blocks) for s, path in relative.items()}
            found.update({(RELATIVE_TITLE, s): future.result() for s, future in futures.items()})
        results: dict[str, dict[int, ProbeResult]] = {}
        for title, paths in self.probe_models().items():  # streams in the registry's order, seeds ascending
            results[title] = {s: found[(title, s)] for s in paths}
        return results

    def _probe_checkpoint(self, path: Path, seed: int, blocks: list[int] | None) -> ProbeResult:
        """``run_probes`` of one checkpoint on the validation split (a rehearsal's ``analysed`` samples), fed as it
        was trained."""
        loaded = load_checkpoint(path)
        ds = self.validation_set(loaded)
        chosen = self.analysed(ds.labels)
        data = ds if len(chosen) == len(ds) else Subset(ds, chosen.tolist())
        return run_probes(loaded, data, seed=seed, blocks=blocks)

    def probe_tables(self) -> ProbeTables | None:
        """The per-seed tables notebook 08 saved (``probe_seeds``, ``pair_seeds``, and the order-blind check when
        it ran), or None before it ran."""
        paths = [self.results_dir / f"{stem}.csv" for stem in PROBE_TABLES]
        if not all(p.is_file() for p in paths[:2]):
            return None
        invariance = pd.read_csv(paths[2]) if paths[2].is_file() else None
        return ProbeTables(pd.read_csv(paths[0]), pd.read_csv(paths[1]), invariance)

    def order_invariance(self, samples: int = 16) -> pd.DataFrame:
        """``sttr.evaluation.probes.order_invariance`` of the first seed of T-TR and of T-TR with relative positions
        on the first ``samples`` validation sequences (of a rehearsal's ``analysed`` ones): the largest logit change
        under time reversal and a full shuffle once the layers before the attention are frame-wise."""
        frames = []
        for title, paths in self.probe_models().items():
            if title not in (TITLES["temporal"], RELATIVE_TITLE):
                continue
            run_seed = min(paths)
            loaded = load_checkpoint(paths[run_seed])
            ds = self.validation_set(loaded)
            chosen = self.analysed(ds.labels)[:samples]
            x = torch.stack([ds[int(i)][0] for i in chosen])  # (S, C, T, V, M)
            with self._torch_threads():
                frames.append(order_invariance(loaded.model, x).assign(model=title, seed=run_seed))
        return pd.concat(frames, ignore_index=True)[["model", "seed", "probe", "max abs logit change", "max abs logit"]]


def split_counts(report: dict[str, Any]) -> pd.DataFrame:
    """Samples per benchmark and split from a prepare report: NTU's ``counts`` are {benchmark: {split: n}},
    Kinetics-skeleton's {split: n} (one split per clip list, no benchmark)."""
    rows = []
    for key, value in report["counts"].items():
        if isinstance(value, dict):
            rows += [{"benchmark": key, "split": split, "samples": n} for split, n in value.items()]
        else:
            rows.append({"benchmark": "-", "split": key, "samples": value})
    return pd.DataFrame(rows, columns=["benchmark", "split", "samples"])


def _seed_list(value: Any, name: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, int) else list(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(f"{name}: expected positive integer seeds, got {value!r}")
    return tuple(values)


def _probe_worker(run: Companion, path: Path, seed: int, blocks: list[int] | None) -> ProbeResult:
    """``Companion._probe_checkpoint`` in a worker process, with the torch threads of the profile's runs."""
    with run._torch_threads():
        return run._probe_checkpoint(path, seed, blocks)


def open_companion(
    profile: str = "mini",
    *,
    epochs: int | None = None,
    device: str = "cpu",
    seeds: list[int] | None = None,
    bones_seeds: list[int] | None = None,
    workers: int | None = None,
    progress: bool = False,
    data_dir: str | None = None,
    overrides: list[str] | None = None,
    rehearsal: Rehearsal | None = None,
) -> Companion:
    """Validate a notebook's parameters and return its ``Companion``: seeds, bones seeds and workers default to
    the profile's ``runs``; ``data_dir`` overrides the raw folder. ``overrides`` (dotted, for every run) and
    ``rehearsal`` default to what the pipeline set in ``$STTR_OVERRIDES`` and ``$STTR_REHEARSE``."""
    if profile not in list_profiles():
        raise ValueError(f"profile {profile!r}: expected one of {list_profiles()}")
    if epochs is not None and (not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"epochs: expected a positive integer or None, got {epochs!r}")
    if not (device == "cpu" or device == "auto" or str(device).startswith("cuda")):
        raise ValueError(f"device: expected 'cpu', 'auto' or 'cuda[:i]', got {device!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers: expected a positive integer or None, got {workers!r}")
    prof = load_profile(profile)
    if data_dir:
        prof = dataclasses.replace(prof, raw_dir=Path(data_dir).expanduser().resolve())
    spec = prof.runs
    rehearsal = Rehearsal.from_env() if rehearsal is None else rehearsal
    full, root = prof, repo_root()
    if rehearsal is not None:
        prof = rehearsal.profile(full, root)
    return Companion(
        overrides=tuple(overrides_from_env() if overrides is None else overrides),
        rehearsal=rehearsal,
        full_profile=full if rehearsal is not None else None,
        runs_dir=prof.runs_dir if rehearsal is not None else None,
        profile=prof,
        root=root,
        epochs=epochs,
        device=device,
        seeds=_seed_list(seeds, "seeds") or spec.seeds,
        bones_seeds=spec.bones_seeds if bones_seeds is None else (_seed_list(bones_seeds, "bones_seeds") or ()),
        workers=spec.workers if workers is None else workers,
        progress=bool(progress),
    )


@dataclass(frozen=True)
class AttentionSample:
    """One validation sample run through the first seed of S-TR and T-TR, with their attention maps."""

    index: int
    name: str
    class_name: str
    xyz: np.ndarray  # (T, V, 3): person 0's joints as the models saw them
    ssa: dict[str, np.ndarray]  # layer -> (M, T', N_h, V, V) of S-TR
    tsa: dict[str, np.ndarray]  # layer -> (M, V, N_h, T', T') of T-TR
    predictions: dict[str, str]  # stream -> predicted class name
    layout: Layout = NTU  # the skeleton layout of the sample (joint names, hands)

    def middle_frame(self) -> np.ndarray:
        """Person 0's joints (V, 3) in the middle of the sequence."""
        return self.xyz[self.xyz.shape[0] // 2]


def attention_sample(run: Companion, sample: int | None = None) -> AttentionSample:
    """Run the first seed of S-TR and T-TR on one validation sample and collect their attention and predictions.

    ``sample`` None picks the first sample of a class the paper names for S-TR that both classify correctly
    (else the first sample both get right, else sample 0)."""
    models = {s: run.model(s) for s in ("spatial", "temporal")}
    ds = run.validation_set(models["spatial"])
    if sample is None:
        right = run.correct_samples()
        named = [i for i in right if ds.class_names[ds.labels[i]] in GAIN_CLASSES["spatial"]]
        sample = (named or right or [0])[0]
    if not 0 <= sample < len(ds):
        raise ValueError(f"sample {sample}: expected an index below {len(ds)} (validation samples)")
    maps, predictions = {}, {}
    for stream, loaded in models.items():
        x, label, _ = run.validation_set(loaded)[sample]
        maps[stream] = attention_maps(loaded.model, x)
        with torch.no_grad():
            predictions[stream] = loaded.class_names[int(loaded.model(x[None]).argmax())]
    return AttentionSample(
        index=sample,
        name=str(ds.sample_names[sample]),
        class_name=ds.class_names[label],
        xyz=x[:3, :, :, 0].permute(1, 2, 0).numpy(),  # (T, V, 3): person 0
        ssa=maps["spatial"],
        tsa=maps["temporal"],
        predictions=predictions,
        layout=layout_of_joints(x.shape[2], "sample"),
    )
