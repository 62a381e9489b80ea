"""The papermill pipeline on tiny notebooks in a temporary repository: outputs, stripping, errors, profiles."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from sttr.__main__ import main
from sttr.pipeline import (
    NOTEBOOKS,
    PipelineError,
    notebook_parameters,
    run_pipeline,
    strip_notebook_metadata,
)
from sttr.rehearse import Rehearsal
from sttr.repo import repo_root

pytest.importorskip("papermill")


def _notebook(path: Path, cells: list) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    nbformat.write(nb, path)


def _code(source: str, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A throw-away repository: two profiles, a parameterised notebook and one whose cell 2 raises."""
    for profile in ("mini", "other"):
        (tmp_path / "configs" / profile).mkdir(parents=True)
        (tmp_path / "configs" / profile / "profile.yaml").write_text(f"name: {profile}\n")
    (tmp_path / "configs" / "incomplete").mkdir()  # no profile.yaml: not a profile
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(
        notebooks / "a_params.ipynb",
        [
            nbformat.v4.new_markdown_cell("# A parameterised notebook"),
            _code('profile = "mini"\nscale = 1\nprogress = True', tags=("parameters",)),
            _code(
                "from pathlib import Path\n"
                'Path("marker").mkdir(exist_ok=True)\n'
                'Path("marker", profile + ".txt").write_text(str(scale * 2))\n'
                'print(f"profile={profile} scale={scale} progress={progress}")'
            ),
        ],
    )
    _notebook(
        notebooks / "b_fail.ipynb",
        [
            nbformat.v4.new_markdown_cell("# Fails in cell 2"),
            _code("x = 1"),
            _code('raise ValueError("boom at x=%d" % x)'),
            _code("y = 2"),
        ],
    )
    return tmp_path


def _outputs(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _assert_stripped(nb: nbformat.NotebookNode) -> None:
    assert "papermill" not in nb.metadata
    for cell in nb.cells:
        assert "papermill" not in cell.metadata
        assert "execution" not in cell.metadata


def test_profiles_run_and_do_not_overwrite_each_other(repo: Path) -> None:
    common = dict(root=repo, notebooks=("a_params",), progress=False)
    mini = run_pipeline("mini", parameters={"scale": 3}, **common)
    other = run_pipeline("other", **common)

    # mini replaces the notebook in place, without papermill's injected cell (the defaults stay the source)
    mini_nb = nbformat.read(repo / "notebooks" / "a_params.ipynb", as_version=4)
    assert "profile=mini scale=3 progress=False" in _outputs(mini_nb)
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in mini_nb.cells)
    _assert_stripped(mini_nb)
    assert [c.source for c in mini_nb.cells][1] == 'profile = "mini"\nscale = 1\nprogress = True'

    # other profiles go under runs/<profile>/notebooks and keep the injected cell as a record
    other_path = repo / "runs" / "other" / "notebooks" / "a_params.ipynb"
    other_nb = nbformat.read(other_path, as_version=4)
    assert "profile=other scale=1 progress=False" in _outputs(other_nb)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in other_nb.cells)
    _assert_stripped(other_nb)
    mini_again = nbformat.read(repo / "notebooks" / "a_params.ipynb", as_version=4)
    assert "profile=mini scale=3" in _outputs(mini_again)

    # the notebooks ran in the repository root
    assert (repo / "marker" / "mini.txt").read_text() == "6"
    assert (repo / "marker" / "other.txt").read_text() == "2"

    for summary, profile in ((mini, "mini"), (other, "other")):
        assert summary.status == "ok"
        assert summary.json_path == repo / "results" / profile / "run_summary.json"
        data = json.loads(summary.json_path.read_text())
        assert data["profile"] == profile
        [entry] = data["notebooks"]
        assert entry["notebook"] == "a_params" and entry["status"] == "ok"
        assert entry["seconds"] >= 0 and entry["started"] and entry["finished"]
        assert entry["parameters"]["profile"] == profile
        assert "| a_params | ok |" in summary.markdown_path.read_text()
    assert json.loads(other.json_path.read_text())["notebooks"][0]["output"] == str(
        Path("runs", "other", "notebooks", "a_params.ipynb")
    )
    full = (repo / "results" / "mini" / "run_summary.json").read_text()
    partial = run_pipeline("mini", root=repo, notebooks=("a_params", "b_fail"), only=["a_params"], progress=False)
    assert partial.json_path == repo / "results" / "mini" / "run_summary_partial.json"  # the full run's summary stays
    assert (repo / "results" / "mini" / "run_summary.json").read_text() == full


def test_failing_cell_names_notebook_and_cell(repo: Path) -> None:
    source = (repo / "notebooks" / "b_fail.ipynb").read_text()
    with pytest.raises(PipelineError) as info:
        run_pipeline("mini", root=repo, notebooks=("b_fail", "a_params"), progress=False)
    err = info.value
    assert err.notebook == "b_fail"
    assert err.cell_index == 2  # in the source notebook, although papermill injected a cell above it
    assert err.ename == "ValueError" and err.evalue == "boom at x=1"
    assert "b_fail.ipynb, cell 2" in str(err) and "ValueError: boom at x=1" in str(err)
    assert err.executed_path is not None and err.executed_path.is_file()

    # the committed notebook is untouched and the next notebook did not run
    assert (repo / "notebooks" / "b_fail.ipynb").read_text() == source
    assert not (repo / "marker").exists()
    data = json.loads((repo / "results" / "mini" / "run_summary.json").read_text())
    assert data["status"] == "failed"
    statuses = [(n["notebook"], n["status"]) for n in data["notebooks"]]
    assert statuses == [("b_fail", "failed"), ("a_params", "not run")]


def test_kinetics_profiles_are_accepted() -> None:
    with pytest.raises(ValueError, match="unknown notebooks"):  # past the profile: nothing refuses Kinetics by name
        run_pipeline("kinetics-synth", only=["zz_missing"], overrides=["train.batch_size=8"])


def test_overrides_are_checked_as_sttr_train_checks_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match=r"overrides \['train.batch_size=0'\]: .*smoke.spatial.yaml: train.batch_size: "
                       "expected a positive integer"):
        run_pipeline("smoke", overrides=["train.batch_size=0"])
    assert main(["pipeline", "--profile", "smoke", "-p", "train.nonsense=1"]) == 2
    assert "unknown key 'train.nonsense'" in capsys.readouterr().err


def test_overrides_and_a_rehearsal_reach_the_notebooks(repo: Path) -> None:
    _notebook(
        repo / "notebooks" / "c_env.ipynb",
        [_code('profile = "mini"', tags=("parameters",)),
         _code('import os\nprint("overrides", os.environ.get("STTR_OVERRIDES"), '
               '"rehearse", os.environ.get("STTR_REHEARSE"))')],
    )  # fmt: skip
    stale = repo / "results" / "rehearsal" / "other" / "stale.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier rehearsal")
    summary = run_pipeline("other", root=repo, notebooks=("c_env", "b_fail", "a_params"), progress=False,
                           overrides=["train.batch_size=8", "data.num_workers=8"],
                           rehearsal=Rehearsal(steps=3))  # fmt: skip
    assert "STTR_OVERRIDES" not in os.environ and "STTR_REHEARSE" not in os.environ  # restored
    assert not stale.exists()  # a rehearsal starts clean
    out = repo / "runs" / "rehearsal" / "other" / "notebooks"
    text = _outputs(nbformat.read(out / "c_env.ipynb", as_version=4))
    assert 'overrides ["train.batch_size=8", "data.num_workers=8"] rehearse {"per_class": 1, "steps": 3' in text
    # a rehearsal goes on past a failing notebook and records each one
    statuses = [(n.notebook, n.status) for n in summary.notebooks]
    assert statuses == [("c_env", "ok"), ("b_fail", "failed"), ("a_params", "ok")]
    assert summary.status == "failed" and (out / "a_params.ipynb").is_file()
    assert summary.json_path == repo / "results" / "rehearsal" / "other" / "run_summary.json"
    data = json.loads(summary.json_path.read_text())
    assert data["overrides"] == ["train.batch_size=8", "data.num_workers=8"] and data["rehearsal"]["steps"] == 3
    markdown = summary.markdown_path.read_text()
    assert markdown.startswith(
        "# Rehearsal (1 sample(s) per class, 3 steps per run, 4 samples analysed): profile `other`"
    )
    assert "overrides: train.batch_size=8 data.num_workers=8" in markdown
    assert not (repo / "results" / "other").exists() and not (repo / "runs" / "other").exists()  # never mixed


def test_invalid_arguments_are_named(repo: Path) -> None:
    with pytest.raises(ValueError, match=r"'ntu99'.*valid profiles: mini, other"):
        run_pipeline("ntu99", root=repo, notebooks=("a_params",))
    with pytest.raises(ValueError, match=r"\['epochs'\] not declared"):
        run_pipeline("mini", root=repo, notebooks=("a_params",), parameters={"epochs": 2})
    with pytest.raises(ValueError, match="unknown notebooks"):
        run_pipeline("mini", root=repo, notebooks=("a_params",), only=["zz_missing"])
    with pytest.raises(FileNotFoundError, match="c_absent.ipynb"):
        run_pipeline("mini", root=repo, notebooks=("c_absent",))


def test_strip_notebook_metadata(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    cell = _code("1 + 1")
    cell.metadata["papermill"] = {"duration": 0.5, "status": "completed"}
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    cell.metadata["tags"] = ["keep-me"]
    injected = _code("profile = 'x'", tags=("injected-parameters",))
    _notebook(path, [injected, cell])
    nb = nbformat.read(path, as_version=4)
    nb.metadata["papermill"] = {"start_time": "now"}
    nbformat.write(nb, path)

    strip_notebook_metadata(path)
    nb = nbformat.read(path, as_version=4)
    _assert_stripped(nb)
    assert len(nb.cells) == 2 and nb.cells[1].metadata["tags"] == ["keep-me"]
    strip_notebook_metadata(path, drop_injected=True)
    assert [c.source for c in nbformat.read(path, as_version=4).cells] == ["1 + 1"]


def test_repo_root_walks_up_to_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'sttr'\n")
    (tmp_path / "sttr").mkdir()
    (tmp_path / "sttr" / "__init__.py").write_text("")
    deep = tmp_path / "notebooks" / "sub"
    deep.mkdir(parents=True)
    assert repo_root(deep) == tmp_path.resolve()
    assert (repo_root() / "pyproject.toml").is_file()
    with pytest.raises(FileNotFoundError, match="pyproject.toml"):
        repo_root(tmp_path.parent)


def test_cli_help_and_unknown_profile(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["pipeline", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--profile" in out and "--only" in out and "KEY=VALUE" in out and NOTEBOOKS[0] in out
    assert main(["pipeline", "--profile", "no-such-profile"]) == 2
    assert "valid profiles" in capsys.readouterr().err


def test_notebook_parameters_reads_the_tagged_cell(tmp_path: Path) -> None:
    path = tmp_path / "p.ipynb"
    _notebook(
        path,
        [
            _code("ignored = 1"),
            _code('import os\nprofile = os.environ.get("STTR_PROFILE", "mini")\nepochs: int = 2\na, b = 1, 2',
                  tags=("parameters",)),  # fmt: skip
        ],
    )
    assert notebook_parameters(path) == {"profile", "epochs", "a", "b"}
    _notebook(path, [_code("x = 1")])
    assert notebook_parameters(path) == set()
