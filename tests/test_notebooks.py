"""The committed notebooks stay thin and pipeline-ready (no def/class, a parameters cell, python3)."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from sttr.pipeline import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=NOTEBOOKS)
def notebook(request):
    path = ROOT / "notebooks" / f"{request.param}.ipynb"
    assert path.is_file(), f"{path} is missing"
    return path, nbformat.read(path, as_version=4)


def test_no_definitions_in_notebooks(notebook):
    path, nb = notebook
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defined = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        assert not defined, f"{path.name}, cell {i}: move {[n.name for n in defined]} into the sttr package"


def test_one_parameters_cell_with_the_profile_from_the_environment(notebook):
    path, nb = notebook
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: expected one cell tagged 'parameters'"
    assert 'os.environ.get("STTR_PROFILE", "mini")' in tagged[0].source


def test_kernel_and_no_run_metadata(notebook):
    path, nb = notebook
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "papermill" not in nb.metadata
    assert all("papermill" not in c.metadata for c in nb.cells), f"{path.name}: papermill cell metadata left in"
