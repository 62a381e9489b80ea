"""Locate the repository root, so notebooks and the pipeline find configs/, results/ and figures/.

papermill runs a notebook in the working directory it is given and nbval in the notebook's folder:
walking up to ``pyproject.toml`` gives the same root from both.
"""

from __future__ import annotations

from pathlib import Path

MARKER = "pyproject.toml"


def _is_root(path: Path) -> bool:
    """True for the sttr checkout: it holds ``pyproject.toml`` and the ``sttr`` package."""
    return (path / MARKER).is_file() and (path / "sttr" / "__init__.py").is_file()


def _walk_up(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        if _is_root(candidate):
            return candidate
    return None


def repo_root(start: str | Path | None = None) -> Path:
    """The sttr repository root: the first folder above ``start`` (default: the working directory)
    holding ``pyproject.toml`` and ``sttr/``, else the one above this package's own files."""
    first = Path.cwd() if start is None else Path(start)
    first = first.resolve()
    if first.is_file():
        first = first.parent
    found = _walk_up(first)
    if found is None and start is None:
        found = _walk_up(Path(__file__).resolve().parent)
    if found is None:
        raise FileNotFoundError(
            f"{first}: no folder above it holds {MARKER} and the sttr/ package; "
            "run from inside the sttr repository (or pass its path)"
        )
    return found
