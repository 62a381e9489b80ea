"""What the numbered notebooks share: one profile's folders, its data, and training (or loading) a stream.

A notebook turns its ``parameters`` cell into a ``Companion`` with ``open_companion(...)`` and then calls
library functions through it, so the same notebook serves the synthetic mini profile and the NTU profiles.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sttr.checkpoint import load_checkpoint
from sttr.evaluation.attention import attention_maps
from sttr.evaluation.inference import evaluate_checkpoint
from sttr.evaluation.scores import Scores, load_scores
from sttr.evaluation.tables import write_table
from sttr.experiment import STREAMS, ExperimentConfig, Profile, list_profiles, load_config, load_profile
from sttr.plots import save_figure
from sttr.repo import repo_root

log = logging.getLogger(__name__)

STREAM_TITLES = {"stgcn": "ST-GCN", "spatial": "S-TR", "temporal": "T-TR", "fused": "ST-TR"}
DATASET_TITLES = {
    "ntu60": "NTU RGB+D 60",
    "ntu120": "NTU RGB+D 120",
    "synthetic": "synthetic mini-NTU (generated, not NTU RGB+D)",
}
BENCHMARK_TITLES = {"xsub": "X-Sub", "xview": "X-View", "xset": "X-Set"}
SCORES_FILE = "scores_val.npz"
METRICS_FILE = "metrics.jsonl"


@dataclass(frozen=True)
class StreamRun:
    """One trained (or loaded) stream: its checkpoint, per-epoch metrics and validation scores."""

    stream: str
    checkpoint: Path
    scores: Scores
    metrics: pd.DataFrame  # one row per epoch; empty when a checkpoint was only evaluated
    trained: bool


@dataclass(frozen=True)
class Companion:
    """One notebook run's settings (from its ``parameters`` cell) and the folders they imply."""

    profile: Profile
    root: Path
    epochs: int | None = None
    device: str = "cpu"
    bones: bool = False
    seed: int | None = None
    progress: bool = False

    @property
    def results_dir(self) -> Path:
        """``results/<profile>/``: tables (CSV and Markdown)."""
        return self.root / "results" / self.profile.name

    @property
    def figures_dir(self) -> Path:
        """``figures/<profile>/``: PNG and SVG figures."""
        return self.root / "figures" / self.profile.name

    @property
    def synthetic(self) -> bool:
        return self.profile.dataset == "synthetic"

    @property
    def data_label(self) -> str:
        """What every table and figure names as its data, e.g. ``NTU RGB+D 60, X-Sub``."""
        dataset = DATASET_TITLES[self.profile.dataset]
        modality = "joints+bones" if self.bones else "joints"
        return f"{dataset}, {BENCHMARK_TITLES.get(self.profile.benchmark, self.profile.benchmark)} split, {modality}"

    def run_dir(self, stream: str) -> Path:
        """Where one stream's checkpoints, metrics and scores go: its config's ``out_dir``."""
        return Path(self.experiment(stream).out_dir)

    def experiment(self, stream: str) -> ExperimentConfig:
        """The stream's config of this profile with the notebook's overrides (epochs, device, seed)."""
        overrides = [f"train.device={self.device}"]
        if self.epochs is not None:
            overrides.append(f"train.epochs={self.epochs}")
        if self.seed is not None:
            overrides.append(f"train.seed={self.seed}")
        return load_config(self.profile.config_path(stream, self.bones), overrides)

    # data ---------------------------------------------------------------------------------------

    def prepare_data(self, rebuild: bool = False) -> dict[str, Any]:
        """Generate the synthetic raw files (synthetic profiles) and prepare the splits; returns the report.

        Reuses earlier output when its report lists this benchmark, unless ``rebuild``.
        """
        from sttr.data.prepare import prepare_ntu

        report_path = self.profile.prepared_dir / "prepare_report.json"
        if not rebuild and report_path.is_file() and (self.profile.split_dir / "val_label.pkl").is_file():
            report = json.loads(report_path.read_text())
            if self.profile.benchmark in report.get("benchmarks", []):
                return report
        raw = self.profile.raw_dir
        if self.synthetic:
            from sttr.data.synthetic import generate

            spec = self.profile.synth
            generate(raw, seed=spec.seed, max_samples=spec.max_samples, progress=self.progress)
        elif not raw.is_dir():
            raise FileNotFoundError(
                f"{raw}: raw NTU skeleton folder not found; request NTU RGB+D from its official page, unpack "
                "nturgb+d_skeletons/ there, or set $STTR_NTU_RAW (see README, Data)"
            )
        return prepare_ntu(
            raw, self.profile.prepared_dir, dataset=self.profile.dataset, benchmarks=[self.profile.benchmark],
            progress=self.progress,
        )

    # streams ------------------------------------------------------------------------------------

    def train_stream(self, stream: str, checkpoint: str | Path | None = None) -> StreamRun:
        """Train ``stream`` with the profile's recipe, or, given ``checkpoint`` (ours or the authors'), evaluate it."""
        from sttr.train import train

        out = self.run_dir(stream)
        if checkpoint is not None:
            evaluate_checkpoint(
                checkpoint, self.profile.split_dir, device=self.device, progress=self.progress, out=out / SCORES_FILE
            )
            return StreamRun(stream, Path(checkpoint), load_scores(out / SCORES_FILE), pd.DataFrame(), False)
        result = train(self.experiment(stream), progress=self.progress)
        return StreamRun(stream, result.best_checkpoint, load_scores(result.scores_path), self.metrics(stream), True)

    def metrics(self, stream: str) -> pd.DataFrame:
        """Per-epoch metrics a training run logged (``metrics.jsonl``)."""
        path = self.run_dir(stream) / METRICS_FILE
        if not path.is_file():
            return pd.DataFrame()
        return pd.read_json(path, lines=True)

    def scores(self, stream: str) -> Scores:
        """Validation scores of a stream that an earlier notebook trained or evaluated."""
        path = self.run_dir(stream) / SCORES_FILE
        if not path.is_file():
            notebook = {"stgcn": "02_train_baseline", "spatial": "03_train_s_tr", "temporal": "04_train_t_tr"}
            raise FileNotFoundError(f"{path}: no scores for {stream}; run notebooks/{notebook[stream]}.ipynb first")
        return load_scores(path)

    def checkpoint(self, stream: str) -> Path:
        """The best checkpoint of a stream trained by an earlier notebook."""
        path = self.run_dir(stream) / "best.pt"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no checkpoint for {stream}; train it first")
        return path

    # outputs ------------------------------------------------------------------------------------

    def save_table(self, df: pd.DataFrame, stem: str, title: str) -> pd.DataFrame:
        """Write ``df`` to ``results/<profile>/<stem>.{csv,md}`` with a caption naming the data and profile."""
        caption = f"**{title}** (data: {self.data_label}; profile: {self.profile.name})"
        write_table(df, self.results_dir / stem, caption=caption)
        return df

    def save_figure(self, fig, stem: str) -> None:
        """Write a figure to ``figures/<profile>/<stem>.{png,svg}`` (returns nothing: no paths in notebook outputs)."""
        save_figure(fig, self.figures_dir, stem)

    def describe(self) -> pd.DataFrame:
        """The run's settings as a two-column table for the top of a notebook."""
        rows = {
            "profile": self.profile.name,
            "data": self.data_label,
            "prepared split": str(self.profile.split_dir.relative_to(self.root) if self.profile.split_dir.is_relative_to(self.root) else self.profile.split_dir),
            "epochs": self.epochs if self.epochs is not None else "profile default",
            "device": self.device,
            "seed": self.seed if self.seed is not None else "profile default",
        }
        return pd.DataFrame({"setting": list(rows), "value": [str(v) for v in rows.values()]})


def open_companion(
    profile: str = "mini",
    *,
    epochs: int | None = None,
    device: str = "cpu",
    bones: bool = False,
    seed: int | None = None,
    progress: bool = False,
    data_dir: str | None = None,
) -> Companion:
    """Validate a notebook's parameters and return its ``Companion`` (``data_dir`` overrides the raw folder)."""
    if profile not in list_profiles():
        raise ValueError(f"profile {profile!r}: expected one of {list_profiles()}")
    if epochs is not None and (not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"epochs: expected a positive integer or None, got {epochs!r}")
    if not (device == "cpu" or device == "auto" or str(device).startswith("cuda")):
        raise ValueError(f"device: expected 'cpu', 'auto' or 'cuda[:i]', got {device!r}")
    prof = load_profile(profile)
    if data_dir:
        prof = dataclasses.replace(prof, raw_dir=Path(data_dir).expanduser().resolve())
    return Companion(prof, repo_root(), epochs, device, bool(bones), seed, bool(progress))


# Classes the paper names as gaining most from SSA (S-TR) and TSA (T-TR), Sec. 3.3, with their NTU names.
PAPER_GAIN_CLASSES: dict[str, tuple[str, ...]] = {
    "spatial": ("playing with phone/tablet", "typing on a keyboard", "cross hands in front (say stop)"),
    "temporal": ("hugging other person", "point finger at the other person", "pat on back of other person"),
}
# Where a profile has no paper numbers of its own (synthetic data), the table shows NTU-60 X-Sub's, labelled.
REFERENCE_PROFILE = "ntu60-xsub"


def paper_comparison(run: Companion, scores: dict[str, Scores]) -> pd.DataFrame:
    """Table 1a / Table 2 replica: our top-1/top-5 per stream and fused, beside the paper's top-1 (%).

    Every row names our data, the paper's data, the profile and the epochs we trained.
    """
    reference = run.profile if run.profile.paper else load_profile(REFERENCE_PROFILE)
    paper_data = f"{DATASET_TITLES[reference.dataset]}, {BENCHMARK_TITLES[reference.benchmark]} (paper)"
    rows = []
    for stream, sc in scores.items():
        if stream == "fused":
            epochs = "/".join(str(run.experiment(s).train.epochs) for s in ("spatial", "temporal"))
        else:
            epochs = str(run.experiment(stream).train.epochs)
        rows.append(
            {
                "model": STREAM_TITLES[stream] + (" (S-TR + T-TR)" if stream == "fused" else ""),
                "input": "joints+bones" if run.bones else "joints",
                "top-1 (ours)": 100.0 * sc.top1(),
                "top-5 (ours)": 100.0 * sc.top5(),
                "our data": run.data_label,
                "profile": run.profile.name,
                "epochs": epochs,
                "top-1 (paper)": reference.paper_top1(stream, run.bones),
                "paper data": paper_data,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class AttentionSample:
    """One validation sample run through the trained S-TR and T-TR with their attention maps (person 0 first)."""

    index: int
    name: str
    class_name: str
    xyz: Any  # (T, V, 3) numpy array: person 0's joints as the models saw them
    ssa: dict[str, Any]  # layer -> (M, T', heads, V, V) numpy arrays of S-TR
    tsa: dict[str, Any]  # layer -> (M, V, heads, T', T') numpy arrays of T-TR

    def joints_at(self, layer: str, frame: int) -> Any:
        """Person 0's joints (V, 3) at the input frame matching ``frame`` of an SSA layer's time resolution."""
        frames_in_layer = self.ssa[layer].shape[1]
        return self.xyz[min(frame * self.xyz.shape[0] // frames_in_layer, self.xyz.shape[0] - 1)]


def attention_sample(run: Companion, sample: int | None = None) -> AttentionSample:
    """Run the trained S-TR and T-TR of this profile on one validation sample and collect their attention.

    ``sample`` None picks the first sample of a class the paper names for S-TR (else sample 0).
    """
    from sttr.data.dataset import SkeletonDataset

    models = {s: load_checkpoint(run.checkpoint(s), device="cpu") for s in ("spatial", "temporal")}
    maps: dict[str, dict[str, Any]] = {}
    chosen = None
    for stream, loaded in models.items():
        kw = {"window": loaded.window, "resample": loaded.resample} if loaded.window else {}
        ds = SkeletonDataset.from_dir(run.profile.split_dir, split="val", modality=loaded.modality, **kw)
        if chosen is None:
            wanted = [i for i, y in enumerate(ds.labels) if ds.class_names[y] in PAPER_GAIN_CLASSES["spatial"]]
            chosen = sample if sample is not None else (wanted[0] if wanted else 0)
            if not 0 <= chosen < len(ds):
                raise ValueError(f"sample {chosen}: expected an index below {len(ds)} (validation samples)")
        x, label, _ = ds[chosen]
        maps[stream] = attention_maps(loaded.model, x)
    xyz = x[:3, :, :, 0].permute(1, 2, 0).numpy()  # (T, V, 3): person 0
    return AttentionSample(
        index=chosen,
        name=str(ds.sample_names[chosen]),
        class_name=ds.class_names[label],
        xyz=xyz,
        ssa=maps["spatial"],
        tsa=maps["temporal"],
    )


__all__ = [
    "AttentionSample",
    "Companion",
    "PAPER_GAIN_CLASSES",
    "STREAMS",
    "STREAM_TITLES",
    "StreamRun",
    "attention_sample",
    "open_companion",
    "paper_comparison",
]
