"""A rehearsal of a profile: every notebook at the profile's real model, window and device, on a few samples per
class of its prepared splits, each declared run taking a few optimizer steps.

It answers, before days of training, whether every notebook runs, what one step costs and needs on this device,
and how long the full profile would take. Its data, runs, tables and figures live under ``rehearsal/`` folders
(``data/rehearsal/<profile>``, ``runs/rehearsal/<profile>``, ``results/rehearsal/<profile>``,
``figures/rehearsal/<profile>``), and every table and figure says "rehearsal".
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from sttr.data.formats import read_label_names, read_labels, save_array, write_label_names, write_labels
from sttr.data.registry import SPLITS, split_files

if TYPE_CHECKING:
    from sttr.companion import Companion
    from sttr.experiment import Profile

FOLDER = "rehearsal"  # the sub-folder of data/, runs/, results/ and figures/ that rehearsals write to
REHEARSE_ENV = "STTR_REHEARSE"  # set by the pipeline for its notebooks: the rehearsal's settings as JSON
OVERRIDES_ENV = "STTR_OVERRIDES"  # set by the pipeline for its notebooks: dotted train overrides as a JSON list
STAMP = "REHEARSAL: not a result"
REPORT = "rehearsal"  # results/rehearsal/<profile>/rehearsal.{md,json}
EVAL_COST = 1 / 3  # a validation sample costs about a third of a training sample (forward only)


@dataclass(frozen=True)
class Rehearsal:
    """How small a rehearsal is: ``per_class`` samples of each class in each split, ``steps`` optimizer steps
    per run (one epoch), at ``batch`` samples per step (None: 1 on the CPU, the profile's batch on CUDA), and
    ``analysis`` validation samples (one per class, classes in order) that the attention study and the probes
    read per model: their code paths at the real shapes, without a forward pass per class at T = 300 for every
    probe and seed."""

    per_class: int = 1
    steps: int = 2
    batch: int | None = None
    analysis: int = 4

    def __post_init__(self) -> None:
        for name in ("per_class", "steps", "analysis"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"rehearsal {name}: expected a positive integer, got {value!r}")
        if self.batch is not None and (not isinstance(self.batch, int) or self.batch < 1):
            raise ValueError(f"rehearsal batch: expected a positive integer or None, got {self.batch!r}")

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Rehearsal | None":
        """The rehearsal the pipeline asked for in ``$STTR_REHEARSE``, or None."""
        text = (os.environ if environ is None else environ).get(REHEARSE_ENV)
        if not text:
            return None
        try:
            return cls(**json.loads(text))
        except (json.JSONDecodeError, TypeError) as err:
            raise ValueError(f"${REHEARSE_ENV}: expected JSON like {cls().to_env()}, got {text!r}") from err

    def overrides(self, device: str) -> tuple[str, ...]:
        """The train settings of a rehearsal run: one epoch of ``steps`` steps (and as many validation batches)."""
        out = ["train.epochs=1", f"train.max_batches={self.steps}", "train.grad_accum=1", "train.milestones=[]",
               "train.warmup_epochs=0", "train.eval_every=1"]  # fmt: skip
        cuda = str(device).startswith("cuda") or (device == "auto" and _cuda())
        batch = self.batch if self.batch is not None else (None if cuda else 1)
        if batch is not None:
            out.append(f"train.batch_size={batch}")
        return tuple(out)

    def describe(self) -> str:
        return f"{self.per_class} sample(s) per class, {self.steps} steps per run, {self.analysis} samples analysed"

    def analysed(self, labels: Sequence[int]) -> list[int]:
        """The validation samples that the attention study and the probes read: the first sample of each class, in
        class order, ``analysis`` of them."""
        firsts = {}
        for i, label in enumerate(labels):
            firsts.setdefault(int(label), i)
        return [firsts[c] for c in sorted(firsts)][: self.analysis]

    def profile(self, profile: "Profile", root: Path) -> "Profile":
        """The rehearsal's view of ``profile``: its data and runs under ``rehearsal/`` folders."""
        return dataclasses.replace(
            profile,
            prepared_dir=root / "data" / FOLDER / profile.name,
            runs_dir=root / "runs" / FOLDER / profile.name,
        )


def overrides_from_env(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The dotted overrides the pipeline passed in ``$STTR_OVERRIDES`` (a JSON list of ``key=value``)."""
    text = (os.environ if environ is None else environ).get(OVERRIDES_ENV)
    if not text:
        return ()
    try:
        items = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"${OVERRIDES_ENV}: expected a JSON list of KEY=VALUE strings, got {text!r}") from err
    if not isinstance(items, list) or not all(isinstance(i, str) and "=" in i for i in items):
        raise ValueError(f"${OVERRIDES_ENV}: expected a JSON list of KEY=VALUE strings, got {text!r}")
    return tuple(items)


def subset_split(source: str | Path, target: str | Path, per_class: int) -> dict[str, int]:
    """Copy the first ``per_class`` samples of every class of both splits of the prepared folder ``source`` to
    ``target`` (every ``<split>_*.npy`` with a row per sample, the labels, the class names); returns the counts."""
    source, target = Path(source), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in SPLITS:
        label_path = split_files(source, split)[1]
        if not label_path.is_file():
            raise FileNotFoundError(f"{label_path}: no prepared {split} split to rehearse on (run 01_data_prep first)")
        names, labels = read_labels(label_path)
        labels_arr = np.asarray(labels)
        chosen = np.sort(np.concatenate([np.flatnonzero(labels_arr == c)[:per_class] for c in np.unique(labels_arr)]))
        for array_path in sorted(source.glob(f"{split}_*.npy")):
            array = np.load(array_path, mmap_mode="r")
            if array.shape[:1] == (len(labels),):
                save_array(target / array_path.name, np.ascontiguousarray(array[chosen]))
        write_labels(target / label_path.name, [names[i] for i in chosen], [labels[i] for i in chosen])
        counts[split] = int(len(chosen))
    class_names = read_label_names(source)
    if class_names is not None:
        write_label_names(target, class_names)
    return counts


def stamp(fig) -> None:
    """Mark a figure as a rehearsal's: a red line across its top."""
    fig.text(0.5, 0.995, STAMP, ha="center", va="top", color="tab:red", fontsize=10, fontweight="bold")


def _labels_count(split_dir: Path, split: str) -> int | None:
    path = split_files(split_dir, split)[1]
    return len(read_labels(path)[1]) if path.is_file() else None


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    from sttr.runtime import cpu_model

    return f"{cpu_model()}, {os.cpu_count()} CPUs"


def stream_table(run: "Companion") -> pd.DataFrame:
    """Per stream and input of a rehearsed companion: seconds per step, peak memory, what the profile's own batch
    needs against the device, and the full profile's projected training time on this device."""
    from sttr.streams import INPUT_TITLES, TITLES
    from sttr.streams import TRAINED as STREAM_ORDER
    from sttr.experiment import load_config
    from sttr.memory import GB
    from sttr.sweep import PROCESS_FILE, read_memory

    full = run.full_profile or run.profile
    n_train, n_val = _labels_count(full.split_dir, "train"), _labels_count(full.split_dir, "val")
    rows = []
    for stream in STREAM_ORDER:
        for bones in (False, True):
            seeds = run.seeds_of(bones)
            if not seeds:
                continue
            folder = run.run(stream, bones, seeds[0]).out_dir.parent
            real = load_config(full.config_path(stream, bones), run.real_overrides()).train
            row: dict[str, Any] = {"model": TITLES[stream], "input": INPUT_TITLES[bones], "runs": len(seeds),
                                   "batch x accumulation": f"{real.batch_size} x {real.grad_accum}"}  # fmt: skip
            estimate = read_memory(folder)
            if estimate is None:
                rows.append({**row, "fits": "not measured (the notebook did not train it)"})
                continue
            measured_at = estimate.batch_size
            at_full = dataclasses.replace(
                estimate, batch_size=real.batch_size, grad_accum=real.grad_accum,
                seconds_per_step=estimate.seconds_per_step if measured_at == real.batch_size else None,
            )  # fmt: skip
            records = [json.loads(p.read_text()) for s in seeds if (p := folder / f"seed{s}" / PROCESS_FILE).is_file()]
            cuda = estimate.device.startswith("cuda")
            peaks = [r["peak_rss"] for r in records if r.get("peak_rss")]
            peak = estimate.probes[-1].peak if cuda or not peaks else max(peaks)
            step = at_full.step_seconds()
            hours = None
            if n_train is not None and n_val is not None:
                per_sample = step / real.batch_size
                epoch = per_sample * (n_train + EVAL_COST * n_val / real.eval_every)
                hours = len(seeds) * real.epochs * epoch / 3600
            rows.append({
                **row,
                "seconds per step": round(step, 2),
                "peak memory (GB)": round(peak / GB, 2),
                "measure": f"{estimate.measure}, batch {estimate.probes[-1].batch if cuda else measured_at}",
                "need at its batch (GB)": round(at_full.need() / GB, 1),
                "available (GB)": round(at_full.available / GB, 1),
                "fits": "yes" if at_full.fits(run.workers) else "no: " + at_full.advice(run.workers),
                "projected hours": None if hours is None else float(f"{hours:.3g}"),
            })  # fmt: skip
    return pd.DataFrame(rows)


def write_report(run: "Companion", notebooks: Sequence[Any], seconds: float) -> str:
    """Write ``results/rehearsal/<profile>/rehearsal.{md,json}`` (streams, notebooks) and return the Markdown."""
    from sttr.evaluation.tables import dataframe_to_markdown

    streams = stream_table(run)
    books = pd.DataFrame([{"notebook": n.notebook, "result": {"ok": "pass", "failed": "fail"}.get(n.status, n.status),
                           "seconds": n.seconds, "error": n.error or ""} for n in notebooks])  # fmt: skip
    full = run.full_profile or run.profile
    n_train, n_val = _labels_count(full.split_dir, "train"), _labels_count(full.split_dir, "val")
    device = run.device if run.device != "auto" else ("cuda" if _cuda() else "cpu")
    lines = [
        f"# Rehearsal of profile `{full.name}` ({run.rehearsal.describe() if run.rehearsal else ''})",
        "",
        f"Device: {device} ({_device_name(device)}); {seconds / 60:.1f} min in all. Projected hours: every declared "
        f"run of the full profile one after the other, {n_train} training and {n_val} validation samples per epoch, "
        f"the step at the profile's batch (CPU: linear in the batch from the measured one), a validation sample "
        f"costing a third of a training sample. Overrides: {' '.join(run.overrides) or 'none'}.",
        "",
        dataframe_to_markdown(streams, float_format="{:.2f}") if not streams.empty else "(no stream was trained)",
        "",
        dataframe_to_markdown(books),
        "",
    ]
    text = "\n".join(lines)
    folder = run.results_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{REPORT}.md").write_text(text, encoding="utf-8")
    payload = {"profile": full.name, "device": device, "seconds": round(seconds, 1),
               "streams": json.loads(streams.to_json(orient="records")),
               "notebooks": json.loads(books.to_json(orient="records"))}  # fmt: skip
    (folder / f"{REPORT}.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return text


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
