"""Run the companion notebooks in order with papermill for one profile, and record what ran.

``run_pipeline("mini")`` executes ``notebooks/00_model_anatomy ... 10_attention_explorer`` with the profile
injected, writes the executed copies (``notebooks/`` for ``mini``, ``runs/<profile>/notebooks/`` for the
others, so profiles never overwrite each other), strips run-varying metadata for stable diffs, and writes
``results/<profile>/run_summary.json`` and ``.md`` (``run_summary_partial`` for a run of some notebooks, which
leaves the full run's summary as it was). A failing cell stops the run with ``PipelineError``.

Dotted overrides (``train.batch_size=8``) reach every training run through ``$STTR_OVERRIDES``; a rehearsal
(``sttr.rehearse``) runs every notebook into ``rehearsal/`` folders through ``$STTR_REHEARSE``, goes on past a
failing notebook and ends with ``results/rehearsal/<profile>/rehearsal.md``.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat

from sttr.experiment import PROFILE_FILE, ConfigError, list_profiles, load_config
from sttr.rehearse import FOLDER as REHEARSAL_FOLDER
from sttr.rehearse import OVERRIDES_ENV, REHEARSE_ENV, Rehearsal
from sttr.repo import repo_root

log = logging.getLogger(__name__)

NOTEBOOKS: tuple[str, ...] = (
    "00_model_anatomy",
    "01_data_prep",
    "02_train_baseline",
    "03_train_s_tr",
    "04_train_t_tr",
    "05_fusion",
    "06_per_class_gains",
    "07_attention_maps",
    "08_probes",
    "09_claims",  # reads the per-seed tables of 07 and 08
    "10_attention_explorer",
)
# The profile whose executed notebooks replace the committed ones (readers see its outputs).
COMMITTED_PROFILE = "mini"
KERNEL_NAME = "python3"
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"  # papermill's tag for the error banner cells it adds


class PipelineError(RuntimeError):
    """A notebook of the pipeline failed; names the notebook, the cell and the exception raised in it."""

    def __init__(
        self,
        message: str,
        notebook: str,
        cell_index: int | None = None,
        execution_count: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        executed_path: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.cell_index = cell_index
        self.execution_count = execution_count
        self.ename = ename
        self.evalue = evalue
        self.executed_path = executed_path


@dataclass
class NotebookRun:
    """One notebook's outcome: status ``ok``/``failed``/``not run``, seconds and UTC timestamps."""

    notebook: str
    status: str
    seconds: float | None = None
    started: str | None = None
    finished: str | None = None
    output: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunSummary:
    """What a pipeline run did: profile, per-notebook runs, and where the summary files are."""

    profile: str
    started: str
    finished: str
    status: str
    notebooks: list[NotebookRun]
    json_path: Path
    markdown_path: Path
    overrides: tuple[str, ...] = ()
    rehearsal: Rehearsal | None = None
    report: str = ""  # a rehearsal's closing table (Markdown)

    @property
    def seconds(self) -> float:
        """Total notebook execution time in seconds."""
        return sum(n.seconds or 0.0 for n in self.notebooks)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (paths as strings)."""
        return {
            "profile": self.profile,
            "started": self.started,
            "finished": self.finished,
            "status": self.status,
            "seconds": round(self.seconds, 1),
            "overrides": list(self.overrides),
            "rehearsal": asdict(self.rehearsal) if self.rehearsal else None,
            "notebooks": [asdict(n) for n in self.notebooks],
        }

    def to_markdown(self) -> str:
        """A Markdown table of the run, one row per notebook."""
        kind = f"Rehearsal ({self.rehearsal.describe()})" if self.rehearsal else "Pipeline run"
        lines = [
            f"# {kind}: profile `{self.profile}`",
            "",
            f"Started {self.started}, finished {self.finished} (UTC); status **{self.status}**, "
            f"{self.seconds:.1f} s of notebook execution; overrides: {' '.join(self.overrides) or 'none'}.",
            "",
            "| notebook | status | seconds | started (UTC) | finished (UTC) |",
            "|---|---|---:|---|---|",
        ]
        for n in self.notebooks:
            seconds = "" if n.seconds is None else f"{n.seconds:.1f}"
            row = [n.notebook, n.status, seconds, n.started or "", n.finished or ""]
            lines.append("| " + " | ".join(row) + " |")
        failed = [n for n in self.notebooks if n.error]
        for n in failed:
            lines += ["", f"**{n.notebook}** failed: {n.error}"]
        if self.report:
            lines += ["", self.report]
        return "\n".join(lines) + "\n"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_profile(profile: str, configs_dir: Path) -> None:
    """Raise ``ValueError`` naming the valid profiles unless ``configs_dir/<profile>/profile.yaml`` exists."""
    valid = list_profiles(configs_dir)
    if profile not in valid:
        raise ValueError(
            f"profile {profile!r}: no {configs_dir / profile / 'profile.yaml'}; "
            f"valid profiles: {', '.join(valid) if valid else '(none found in ' + str(configs_dir) + ')'}"
        )


def strip_notebook_metadata(path: str | Path, drop_injected: bool = False) -> None:
    """Remove run-varying metadata (papermill's, execution timestamps) from a notebook file, in place.

    With ``drop_injected`` the cell papermill injected after the ``parameters`` cell is removed too,
    so a committed notebook keeps taking its defaults from its own ``parameters`` cell.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    cells = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if ERROR_MARKER_TAG in tags or (drop_injected and INJECTED_TAG in tags):
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cells.append(cell)
    nb.cells = cells
    nbformat.write(nb, path)


def notebook_parameters(path: str | Path) -> set[str]:
    """Names assigned at top level in the notebook's cell tagged ``parameters`` (empty set if it has none)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as err:
                raise ValueError(f"{path}, cell {index} (parameters): not plain Python: {err.msg}") from err
            names: set[str] = set()
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    targets = list(node.targets)
                elif isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                else:
                    continue
                for target in targets:
                    elts = target.elts if isinstance(target, ast.Tuple) else [target]
                    names.update(t.id for t in elts if isinstance(t, ast.Name))
            return names
    return set()


def _source_cell_index(source: Path, executed: Path, executed_index: int) -> int:
    """Index in the source notebook of the cell at ``executed_index`` of papermill's executed copy."""
    try:
        src = nbformat.read(source, as_version=4)
        ran = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return executed_index
    # papermill inserts an anchor cell before the failing cell and a banner cell at the top.
    ran_cells = [c for c in ran.cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    if not 0 <= executed_index < len(ran_cells):
        return executed_index
    cell_id = ran_cells[executed_index].get("id")
    ids = [c.get("id") for c in src.cells]
    if cell_id is not None and cell_id in ids:
        return ids.index(cell_id)
    injected = sum(INJECTED_TAG in c.metadata.get("tags", []) for c in ran_cells[:executed_index])
    injected_before = sum(INJECTED_TAG in c.metadata.get("tags", []) for c in src.cells)
    return executed_index - injected + injected_before


def check_overrides(profile: str, configs_dir: Path, overrides: Sequence[str]) -> None:
    """Raise ``ValueError`` unless every stream config of ``profile`` accepts ``overrides`` (as ``sttr train`` does)."""
    for path in sorted((configs_dir / profile).glob("*.yaml")):
        if path.name == PROFILE_FILE:
            continue
        try:
            load_config(path, overrides)
        except ConfigError as err:
            raise ValueError(f"overrides {list(overrides)}: {err}") from None


@contextmanager
def _environment(values: Mapping[str, str | None]):
    """Set (or, for None, remove) environment variables for the notebooks' kernels, restored afterwards."""
    before = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _parse_only(only: Sequence[str] | None, notebooks: Sequence[str]) -> list[str]:
    if not only:
        return list(notebooks)
    wanted = {Path(n).stem for n in only}
    unknown = wanted - set(notebooks)
    if unknown:
        raise ValueError(
            f"only: unknown notebooks {sorted(unknown)}; pipeline notebooks: {list(notebooks)}"
        )
    return [n for n in notebooks if n in wanted]


def run_pipeline(
    profile: str,
    notebooks_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    only: Sequence[str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    progress: bool = True,
    *,
    root: str | Path | None = None,
    configs_dir: str | Path | None = None,
    results_dir: str | Path | None = None,
    notebooks: Sequence[str] = NOTEBOOKS,
    overrides: Sequence[str] = (),
    rehearsal: Rehearsal | None = None,
) -> RunSummary:
    """Execute the pipeline notebooks for ``profile`` with papermill (cwd = repository root) and record the run.

    ``parameters`` go to every notebook whose ``parameters`` cell declares them (a name no notebook
    declares is an error); ``progress=False`` is injected where declared (no bars in executed
    notebooks), while ``progress`` here switches papermill's per-cell bar. Paths default under ``root``.
    ``overrides`` (dotted, as ``sttr train`` takes them) reach every training run. A ``rehearsal`` writes under
    ``rehearsal/`` folders (emptied first), runs every notebook even after one fails, and ends with its table.
    """
    root = repo_root() if root is None else Path(root).resolve()
    notebooks_dir = root / "notebooks" if notebooks_dir is None else Path(notebooks_dir)
    configs_dir = root / "configs" if configs_dir is None else Path(configs_dir)
    check_profile(profile, configs_dir)
    overrides = tuple(overrides)
    check_overrides(profile, configs_dir, overrides)
    runs_root = root / "runs" / REHEARSAL_FOLDER / profile if rehearsal else root / "runs" / profile
    if results_dir is None:
        results_dir = root / "results" / REHEARSAL_FOLDER / profile if rehearsal else root / "results" / profile
    results_dir = Path(results_dir)
    if rehearsal:  # a rehearsal starts clean: its runs take their steps again, its tables are its own
        for folder in (runs_root, results_dir, root / "figures" / REHEARSAL_FOLDER / profile):
            shutil.rmtree(folder, ignore_errors=True)
    if out_dir is None:
        committed = profile == COMMITTED_PROFILE and not rehearsal
        out_dir = notebooks_dir if committed else runs_root / "notebooks"
    out_dir = Path(out_dir)
    in_place = out_dir.resolve() == notebooks_dir.resolve()
    selected = _parse_only(only, notebooks)
    sources = {name: notebooks_dir / f"{name}.ipynb" for name in selected}
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"notebooks not found: {', '.join(missing)}")

    declared = {name: notebook_parameters(path) for name, path in sources.items()}
    user = dict(parameters or {})
    if "profile" in user:
        raise ValueError("parameters: 'profile' is set by the profile argument, not as a parameter")
    undeclared = sorted(k for k in user if not any(k in d for d in declared.values()))
    if undeclared:
        raise ValueError(
            f"parameters: {undeclared} not declared in the parameters cell of any of {selected}; "
            f"declared: {sorted(set().union(*declared.values()))}"
        )

    work_dir = runs_root / "executing"
    work_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [NotebookRun(notebook=name, status="not run") for name in selected]
    started = _now()
    started_at = time.time()
    failure: PipelineError | None = None
    environment = {OVERRIDES_ENV: json.dumps(list(overrides)) if overrides else None,
                   REHEARSE_ENV: rehearsal.to_env() if rehearsal else None}  # fmt: skip
    with _environment(environment):
        failure = _execute_all(runs, sources, declared, user, profile, root, work_dir, out_dir, in_place, progress,
                               keep_going=rehearsal is not None)  # fmt: skip
    report = ""
    if rehearsal:
        report = _rehearsal_report(profile, user, overrides, rehearsal, runs)
    full = list(selected) == list(notebooks)
    stem = "run_summary" if full or rehearsal else "run_summary_partial"  # a partial run keeps the full run's
    summary = RunSummary(
        profile=profile,
        started=started,
        finished=_now(),
        status="failed" if any(r.status == "failed" for r in runs) else "ok",
        notebooks=runs,
        json_path=results_dir / f"{stem}.json",
        markdown_path=results_dir / f"{stem}.md",
        overrides=overrides,
        rehearsal=rehearsal,
        report=report,
    )
    results_dir.mkdir(parents=True, exist_ok=True)
    summary.json_path.write_text(json.dumps(summary.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    summary.markdown_path.write_text(summary.to_markdown(), encoding="utf-8")
    if failure is not None and not rehearsal:
        raise failure
    if not rehearsal and full:
        record_outputs(root, profile, started_at)
        if profile == COMMITTED_PROFILE and in_place and (root / "README.md").is_file():
            from sttr.readme import update_readme

            update_readme(root / "README.md", results_dir)
    return summary


def _rehearsal_report(
    profile: str, user: Mapping[str, Any], overrides: Sequence[str], rehearsal: Rehearsal, runs: list[NotebookRun]
) -> str:
    """The closing table of a rehearsal, for the companion the notebooks opened (same parameters)."""
    from sttr.companion import open_companion
    from sttr.rehearse import write_report

    keys = ("epochs", "device", "seeds", "bones_seeds", "workers", "data_dir")
    try:
        run = open_companion(profile, **{k: user[k] for k in keys if k in user}, overrides=list(overrides),
                             rehearsal=rehearsal)  # fmt: skip
        return write_report(run, runs, sum(r.seconds or 0.0 for r in runs))
    except (OSError, ValueError) as err:  # the notebooks' own failures are in the table already
        log.warning("rehearsal report: %s", err)
        return f"(no rehearsal table: {type(err).__name__}: {err})"


def _execute_all(
    runs: list[NotebookRun],
    sources: Mapping[str, Path],
    declared: Mapping[str, set[str]],
    user: Mapping[str, Any],
    profile: str,
    root: Path,
    work_dir: Path,
    out_dir: Path,
    in_place: bool,
    progress: bool,
    keep_going: bool,
) -> PipelineError | None:
    """Execute the notebooks in order; stop at the first failure unless ``keep_going``; return the first failure."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    first: PipelineError | None = None
    for run in runs:
        failure: PipelineError | None = None
        name = run.notebook
        injected: dict[str, Any] = {"profile": profile}
        if "progress" in declared[name]:
            injected["progress"] = False
        injected.update({k: v for k, v in user.items() if k in declared[name]})
        executing = work_dir / f"{name}.ipynb"
        target = out_dir / f"{name}.ipynb"
        run.parameters = injected
        run.started = _now()
        log.info("running %s (profile %s)", name, profile)
        t0 = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(sources[name]),
                str(executing),
                parameters=injected,
                kernel_name=KERNEL_NAME,
                cwd=str(root),
                progress_bar=progress,
                log_output=False,
            )
        except PapermillExecutionError as err:
            cell = _source_cell_index(sources[name], executing, err.cell_index)
            failure = PipelineError(
                f"notebook {name}.ipynb, cell {cell} (In [{err.exec_count}]): {err.ename}: {err.evalue}; "
                f"executed copy: {executing}",
                notebook=name,
                cell_index=cell,
                execution_count=err.exec_count,
                ename=err.ename,
                evalue=err.evalue,
                executed_path=executing,
            )
        except Exception as err:  # kernel missing or dead, timeout, unreadable notebook
            failure = PipelineError(
                f"notebook {name}.ipynb: {type(err).__name__}: {err}",
                notebook=name,
                executed_path=executing,
            )
            failure.__cause__ = err
        run.seconds = round(time.perf_counter() - t0, 1)
        run.finished = _now()
        if failure is not None:
            run.status, run.error = "failed", str(failure)
            first = first or failure
            if keep_going:
                continue
            break
        strip_notebook_metadata(executing, drop_injected=in_place)
        shutil.move(executing, target)
        run.status, run.output = "ok", _display_path(target, root)
        log.info("%s done in %.1f s -> %s", name, run.seconds, target)
    return first


OUTPUTS_FILE = "outputs.txt"
BENCHMARK_PREFIX = "bench_"  # results/<profile>/bench_<script>_*: written by benchmarks/bench_<script>.py


def record_outputs(root: Path, profile: str, since: float) -> list[str]:
    """After a full run: list what it wrote under ``figures/<profile>/`` and ``results/<profile>/`` in
    ``results/<profile>/outputs.txt``, and delete what it did not write there (figures or tables left by an
    older version), except the benchmarks' tables (``bench_*``). Returns the paths written."""
    written, stale = [], []
    for folder in (root / "figures" / profile, root / "results" / profile):
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if not path.is_file() or path.name == OUTPUTS_FILE:
                continue
            if path.stat().st_mtime >= since - 1.0:
                written.append(_display_path(path, root))
            elif not path.name.startswith(BENCHMARK_PREFIX):
                stale.append(path)
    for path in stale:
        log.info("removing %s: not written by this run of the pipeline", path)
        path.unlink()
    manifest = root / "results" / profile / OUTPUTS_FILE
    manifest.write_text("".join(f"{p}\n" for p in written), encoding="utf-8")
    return written


def _display_path(path: Path, root: Path) -> str:
    """``path`` relative to the repository root when inside it (summaries stay machine-independent)."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
