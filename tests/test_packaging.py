"""The two dependency descriptions (pip and conda) and the set-up path agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names of packages whose PyPI name differs.
CONDA_NAMES = {"torch": "pytorch", "pyyaml": "pyyaml"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    names |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    return {CONDA_NAMES.get(n, n) for n in names}


def _conda_packages() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    return names - {"python", "pip"}


def test_pyproject_and_environment_list_the_same_packages():
    assert _pyproject_packages() == _conda_packages()


def test_python_and_torch_floors_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    assert project["requires-python"] == ">=3.10"
    assert "python>=3.10" in env
    assert "torch>=2.4" in project["dependencies"]
    assert "pytorch>=2.4" in env


def test_setup_pins_torch_and_ci_runs_make_test():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^TORCH_SPEC \?= torch==2\.13\.0$", makefile, re.M)
    install_lines = [line for line in makefile.splitlines() if "pip install" in line]
    assert install_lines and all("$(TORCH_SPEC)" in line for line in install_lines)
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "make test"
